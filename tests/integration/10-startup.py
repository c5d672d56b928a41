#!/usr/bin/env python3
"""10: startup and configuration: --help, --version, flag errors (exit 2, one line), certificate
files and the generated certificate. Contracts: /tmp/ma-cli.md (command line)."""

import atexit
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import harness
from harness import BIN, DEMO_TIME, Adapter, get, read_version, test

TMP = tempfile.mkdtemp(prefix="ma-it-startup-")
atexit.register(shutil.rmtree, TMP, True)
FLAGS = ["--secure-port", "--bind-address", "--tls-cert-file", "--tls-private-key-file", "--cert-dir",
         "--tls-san", "--max-header-bytes", "--max-request-line-bytes", "--header-timeout",
         "--idle-timeout", "--handshake-timeout", "--max-connections", "--shutdown-grace", "--v",
         "--demo", "--demo-time", "--demo-slow-delay", "--version"]
KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+:\d+\] ")


def run_bin(args, timeout=10):
    """Run the binary to completion in a scratch cwd (so a default cert dir never lands in the
    repo). Returns (exit status, stdout, stderr) as text; fails if it is still running."""
    assert os.access(BIN, os.X_OK), "no executable at %s" % BIN
    cwd = tempfile.mkdtemp(dir=TMP)
    try:
        p = subprocess.run([BIN] + args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s: still running after %d s (expected it to exit); stderr: %r"
                             % (" ".join(args), timeout, (e.stderr or b"")[-500:]))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def ok_args():
    """Flags that alone would start a server; a test adds exactly one bad flag to them."""
    return ["--demo", "--bind-address=127.0.0.1", "--secure-port=%d" % harness.free_port(),
            "--cert-dir=" + tempfile.mkdtemp(dir=TMP)]


def check_usage_error(args, mention):
    """The bad-flag contract: exit 2, nothing on stdout, stderr = ONE line
    'metrics-adapter: <reason>' naming `mention` (plus at most a hint line pointing to --help)."""
    rc, out, err = run_bin(args)
    what = "args %r" % args
    assert rc == 2, "%s: exit status %d, want 2; stderr %r" % (what, rc, err)
    assert out == "", "%s: stdout should be empty, got %r" % (what, out[:300])
    lines = err.splitlines()
    assert lines, "%s: nothing on stderr" % what
    assert lines[0].startswith("metrics-adapter: "), \
        "%s: first stderr line %r does not start with 'metrics-adapter: '" % (what, lines[0])
    prefixed = [ln for ln in lines if ln.startswith("metrics-adapter: ")]
    assert len(prefixed) == 1, "%s: %d lines start with 'metrics-adapter: ': %r" % (what, len(prefixed), err)
    assert len(lines) <= 2, "%s: %d stderr lines, want one (+ a --help hint): %r" % (what, len(lines), err)
    assert not any(KLOG.match(ln) for ln in lines), "%s: klog lines on stderr: %r" % (what, err)
    assert "--help" in err, "%s: no hint to --help in %r" % (what, err)
    assert mention in lines[0], "%s: reason %r does not mention %r" % (what, lines[0], mention)
    return lines[0]


def openssl(*args, input=None):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, input=input, timeout=60)
    assert p.returncode == 0, "openssl %s failed: %s" % (" ".join(args), p.stderr.decode()[-500:])
    return p.stdout.decode("utf-8", "replace")


def make_cert(dirname, kind, cn="localhost"):
    """Self-signed cert + key in dirname: kind 'ec' (P-256, SEC1 key) or 'rsa' (2048, PKCS#8)."""
    os.makedirs(dirname, exist_ok=True)
    key, crt = os.path.join(dirname, "tls.key"), os.path.join(dirname, "tls.crt")
    if kind == "ec":
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    else:
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
    openssl("req", "-x509", "-key", key, "-out", crt, "-days", "2", "-subj", "/CN=" + cn,
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    return crt, key


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def served_der(adapter, cafile=None, hostname="localhost"):
    ctx = harness.tls_context(cafile or adapter.cafile)
    s = adapter.tls_connect(ctx=ctx, hostname=hostname)
    try:
        return s.getpeercert(binary_form=True)
    finally:
        s.close()


def wait_for(pred, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


# ---- --help / --version ----------------------------------------------------------------------

@test
def help_exits_0_with_usage():
    rc, out, err = run_bin(["--help"])
    assert rc == 0, "exit status %d, want 0; stderr %r" % (rc, err)
    assert re.search(r"usage", out, re.I), "no 'usage' in stdout: %r" % out[:300]
    missing = [f for f in FLAGS if not re.search(re.escape(f) + r"\b", out)]
    assert not missing, "--help does not mention %s" % missing
    assert err == "", "--help wrote to stderr: %r" % err[:300]


@test
def version_line():
    rc, out, err = run_bin(["--version"])
    assert rc == 0, "exit status %d, want 0; stderr %r" % (rc, err)
    want = r"metrics-adapter v%s \(commit ([0-9a-f]{7,40}|unknown)\)\n" % re.escape(read_version())
    assert re.fullmatch(want, out), "stdout %r does not match %r" % (out, want)


# ---- bad flags: exit 2 with one line -----------------------------------------------------------

@test
def bad_flag_unknown():
    check_usage_error(ok_args() + ["--bogus-flag=1"], "bogus-flag")
    check_usage_error(ok_args() + ["--bogus-flag"], "bogus-flag")
    check_usage_error(ok_args() + ["-x"], "-x")


@test
def bad_flag_duration():
    for bad in ["--header-timeout=10x", "--idle-timeout=abc", "--shutdown-grace=",
                "--handshake-timeout=1.5.s", "--demo-slow-delay=s"]:
        name = bad[2:].split("=")[0]
        check_usage_error(ok_args() + [bad], name)


@test
def bad_flag_port():
    for bad in ["70000", "abc", "-1", "65536", "80x"]:
        args = [a for a in ok_args() if not a.startswith("--secure-port")]
        check_usage_error(args + ["--secure-port=" + bad], "secure-port")


@test
def bad_flag_missing_value():
    check_usage_error(ok_args() + ["--cert-dir"], "cert-dir")
    args = [a for a in ok_args() if not a.startswith("--secure-port")]
    check_usage_error(args + ["--secure-port"], "secure-port")
    check_usage_error(ok_args() + ["--tls-san"], "tls-san")


@test
def bad_flag_other_values():
    check_usage_error(ok_args() + ["--demo=maybe"], "demo")
    check_usage_error(ok_args() + ["--v=loud"], "v")
    check_usage_error(ok_args() + ["--demo-time=soon"], "demo-time")
    check_usage_error(ok_args() + ["--max-header-bytes=lots"], "max-header-bytes")
    check_usage_error(ok_args() + ["--max-connections=-5"], "max-connections")


@test
def bad_flag_bind_address():
    for bad in ["not-an-ip", "127.0.0.256", "1.2.3"]:
        args = [a for a in ok_args() if not a.startswith("--bind-address")]
        check_usage_error(args + ["--bind-address=" + bad], "bind-address")


@test
def falcon_backend_needs_a_cluster():
    """Without --demo the Open-Falcon backend runs with delegated authorization; outside a pod and
    without --kubeconfig there is no cluster to delegate to or watch: a bad flag combination
    (exit 2) that names the way out, not a half-working server."""
    args = [a for a in ok_args() if a != "--demo"]
    env_free = {k: v for k, v in os.environ.items()
                if not k.startswith("KUBERNETES_") and k != "KUBECONFIG"}
    p = subprocess.run([BIN] + args, stdin=subprocess.DEVNULL, capture_output=True, timeout=10,
                       env=env_free, cwd=tempfile.mkdtemp(dir=TMP))
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 2, "exit status %d, want 2; stderr %r" % (p.returncode, err)
    assert "--kubeconfig" in err, err
    # AlwaysAllow lifts the authorization need; the backend still needs pods and definitions
    p = subprocess.run([BIN] + args + ["--authorization-mode=AlwaysAllow"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10, env=env_free, cwd=tempfile.mkdtemp(dir=TMP))
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, "exit status %d, want 1; stderr %r" % (p.returncode, err)
    assert "not running in a pod" in err and "--kubeconfig" in err, err


@test
def bad_backend_flags():
    base = [a for a in ok_args() if a != "--demo"]
    check_usage_error(base + ["--backend=prometheus"], "--backend")
    check_usage_error(base + ["--stale-policy=drop"], "--stale-policy")
    check_usage_error(base + ["--falcon-read-api=history"], "--falcon-read-api")
    check_usage_error(base + ["--cache-ttl=soon"], "cache-ttl")
    check_usage_error(base + ["--stale-after=0s"], "stale-after")
    check_usage_error(base + ["--seed-metric-names=maybe"], "seed-metric-names")


# ---- certificate files -----------------------------------------------------------------------

@test
def missing_cert_file():
    args = ok_args() + ["--tls-cert-file=/nonexistent/ma/tls.crt",
                        "--tls-private-key-file=/nonexistent/ma/tls.key"]
    rc, out, err = run_bin(args)
    assert rc != 0, "exit status 0 with a missing certificate file"
    assert "/nonexistent/ma/tls.crt" in err, "stderr does not name the missing file: %r" % err[-500:]


@test
def garbage_cert_file():
    d = tempfile.mkdtemp(dir=TMP)
    crt, key = os.path.join(d, "bad.crt"), os.path.join(d, "bad.key")
    with open(crt, "w") as f:
        f.write("this is not a certificate\n")
    _, goodkey = make_cert(os.path.join(d, "k"), "ec")
    rc, out, err = run_bin(ok_args() + ["--tls-cert-file=" + crt, "--tls-private-key-file=" + goodkey])
    assert rc != 0, "exit status 0 with a garbage certificate file"
    assert crt in err, "stderr does not name the bad file: %r" % err[-500:]


@test
def cert_without_key():
    crt, _ = make_cert(tempfile.mkdtemp(dir=TMP), "ec")
    rc, out, err = run_bin(ok_args() + ["--tls-cert-file=" + crt])
    assert rc != 0, "exit status 0 with --tls-cert-file but no --tls-private-key-file"
    assert "tls-private-key-file" in err, "stderr does not name the missing flag: %r" % err[-500:]


@test
def port_in_use():
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        args = [a for a in ok_args() if not a.startswith("--secure-port")] + ["--secure-port=%d" % port]
        rc, out, err = run_bin(args)
        assert rc != 0, "exit status 0 although port %d is taken" % port
        assert str(port) in err or "in use" in err.lower(), \
            "stderr says neither the port nor 'in use': %r" % err[-500:]
    finally:
        busy.close()


# ---- a server started with valid flags in every syntax -------------------------------------

FORMS = Adapter("--demo=true", "--demo-time", str(DEMO_TIME), "--header-timeout=1m30s",
                "--idle-timeout", "500ms", "--handshake-timeout=7", "--shutdown-grace=2s", "--v=4",
                "--max-connections", "100", "--demo-slow-delay=1m", name="forms", demo=False)


@test
def valid_flag_forms_start():
    st, _, body = get(FORMS, "/healthz")
    assert (st, body) == (200, b"ok"), "GET /healthz: %d %r" % (st, body)


@test
def serving_on_log_line():
    # ma-cli.md: one klog line `serving on https://<addr>:<port>` (a prefix such as the version
    # before it is allowed).
    want = re.compile(r"^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+:\d+\] (.* )?serving on "
                      r"https://127\.0\.0\.1:%d$" % FORMS.port)
    with open(FORMS.stderr_path, errors="replace") as f:
        lines = f.read().splitlines()
    assert any(want.match(ln) for ln in lines), "no klog line 'serving on https://127.0.0.1:%d' in %r" % (
        FORMS.port, lines[:10])


@test
def v4_logs_each_request():
    path = "/readyz?probe=v4-log-check"
    st, _, _ = get(FORMS, path)
    assert st == 200, st

    def logged():
        with open(FORMS.stderr_path, errors="replace") as f:
            return [ln for ln in f if "/readyz" in ln and "GET" in ln and " 200" in ln]
    assert wait_for(lambda: logged(), 3), "--v=4: no request line (GET /readyz 200) in stderr"
    assert KLOG.match(logged()[-1]), "request log line is not klog: %r" % logged()[-1]


# ---- the generated certificate -------------------------------------------------------------

GEN = Adapter("--tls-san=metrics.example.com", "--tls-san=10.1.2.3", "--tls-san", "2001:db8::7",
              name="gencert")


def gen_paths():
    GEN.start()
    return os.path.join(GEN.cert_dir, "apiserver.crt"), os.path.join(GEN.cert_dir, "apiserver.key")


@test
def generated_cert_verifies():
    crt, _ = gen_paths()
    p = subprocess.run(["openssl", "verify", "-CAfile", crt, crt], capture_output=True, timeout=30)
    out = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0 and out.strip() == "%s: OK" % crt, "openssl verify: rc %d: %s" % (p.returncode, out)


@test
def generated_cert_sans():
    crt, _ = gen_paths()
    text = openssl("x509", "-in", crt, "-noout", "-text")
    m = re.search(r"X509v3 Subject Alternative Name:.*\n\s*(.*)", text)
    assert m, "no SAN extension:\n" + text
    sans = set(s.strip() for s in m.group(1).split(","))
    want = {"DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
            "DNS:metrics.example.com", "IP Address:10.1.2.3", "IP Address:2001:DB8:0:0:0:0:0:7"}
    assert want <= sans, "SANs %s lack %s" % (sorted(sans), sorted(want - sans))


@test
def generated_key_matches_cert():
    crt, key = gen_paths()
    a = openssl("x509", "-in", crt, "-noout", "-pubkey")
    b = openssl("pkey", "-in", key, "-pubout")
    assert a == b, "apiserver.key is not the key of apiserver.crt"


@test
def generated_cert_is_served_and_names_verify():
    crt, _ = gen_paths()
    assert served_der(GEN) == der_of(crt), "served certificate differs from DIR/apiserver.crt"
    for host in ["localhost", "127.0.0.1", "metrics.example.com", "10.1.2.3"]:
        try:
            served_der(GEN, hostname=host)
        except ssl.SSLCertVerificationError as e:
            raise AssertionError("hostname %s does not verify: %s" % (host, e))


# ---- certificates from files, reload ---------------------------------------------------------

EC_DIR = os.path.join(TMP, "ec")
EC_CRT, EC_KEY = os.path.join(EC_DIR, "tls.crt"), os.path.join(EC_DIR, "tls.key")
RSA_DIR = os.path.join(TMP, "rsa")
RSA_CRT, RSA_KEY = os.path.join(RSA_DIR, "tls.crt"), os.path.join(RSA_DIR, "tls.key")
# The CA bundle trusts every certificate these tests make.
BUNDLE = os.path.join(TMP, "bundle.pem")
FILES = Adapter("--tls-cert-file=" + EC_CRT, "--tls-private-key-file=" + EC_KEY,
                name="certfiles", cert_dir=False, cafile=BUNDLE)


def add_to_bundle(crt):
    with open(crt) as f, open(BUNDLE, "a") as b:
        b.write(f.read())


@test
def ec_cert_from_files():
    make_cert(EC_DIR, "ec")
    add_to_bundle(EC_CRT)
    FILES.start()
    assert served_der(FILES) == der_of(EC_CRT), "served certificate is not --tls-cert-file"
    st, _, body = get(FILES, "/healthz")
    assert (st, body) == (200, b"ok"), (st, body)


@test
def rsa_pkcs8_cert_from_files():
    make_cert(RSA_DIR, "rsa", cn="rsa-from-files")
    add_to_bundle(RSA_CRT)
    a = Adapter("--tls-cert-file=" + RSA_CRT, "--tls-private-key-file=" + RSA_KEY, name="rsa",
                cert_dir=False, cafile=BUNDLE)
    assert served_der(a) == der_of(RSA_CRT), "served certificate is not the RSA --tls-cert-file"
    st, _, body = get(a, "/apis/custom.metrics.k8s.io/v1beta1")
    assert st == 200, (st, body[:200])
    assert a.stop() == 0, "rsa adapter: exit status %s after SIGTERM" % a.exit_code


# SIGHUP / file-change reload, SIGINT and graceful shutdown are covered by 20-signals.py and
# 70-tls.py.


if __name__ == "__main__":
    harness.run()
