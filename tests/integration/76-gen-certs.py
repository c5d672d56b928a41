#!/usr/bin/env python3
"""`metrics-adapter gen-certs`: the files it writes, what OpenSSL and Go's TLS stack (kubectl, the
same crypto/tls + crypto/x509 kube-apiserver uses to reach an APIService) make of them when the
adapter serves them, and its flag errors (exit 2)."""

import base64
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess

from harness import Adapter, run, test
import tlsutil

SVC, NS = "metrics-adapter", "custom-metrics"
NAMES = ["%s.%s.svc" % (SVC, NS), "%s.%s.svc.cluster.local" % (SVC, NS), "%s.%s" % (SVC, NS), SVC]
APISERVICES = ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io",
               "v1beta1.external.metrics.k8s.io"]

_out = {}


def gen(tag="main", *extra, service=SVC, namespace=NS):
    """Run gen-certs into a fresh directory (cached per tag); returns the directory."""
    if tag in _out:
        return _out[tag]
    d = os.path.join(tlsutil.tmpdir("gencerts"), "nested", "certs")  # parents are created too
    rc, out = tlsutil.run_adapter_expect_exit(
        ["gen-certs", "--service", service, "--namespace", namespace, "--out", d] + list(extra))
    assert rc == 0, "gen-certs exited %d:\n%s" % (rc, out)
    _out[tag] = d
    return d


def sh(argv, timeout=30, env=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def x509_text(path):
    rc, out = sh(["openssl", "x509", "-in", path, "-noout", "-text"])
    assert rc == 0, out
    return out


class SvcAdapter(Adapter):
    """The adapter serving gen-certs output: its certificate names the Service, not localhost, so
    the start-up probe must ask for the Service name."""

    def _tls_connect(self, timeout=5.0, hostname=None, alpn=None, ctx=None):
        return super()._tls_connect(timeout, NAMES[0], alpn, ctx)


_adapter = None


def adapter():
    global _adapter
    if _adapter is None:
        d = gen()
        _adapter = SvcAdapter("--tls-cert-file=" + os.path.join(d, "tls.crt"),
                              "--tls-private-key-file=" + os.path.join(d, "tls.key"),
                              name="gen-certs adapter", cert_dir=False, cafile=os.path.join(d, "ca.crt"))
        _adapter.start()
    return _adapter


def kubectl_raw(port, ca, server_name, path="/healthz"):
    """`kubectl get --raw` against the adapter with Go's verifier: CA = ca, SNI and hostname check
    = server_name. No kubeconfig; the token is never looked at by the demo backend."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl not installed (./build.sh test installs Debian's kubernetes-client)"
    env = dict(os.environ, KUBECONFIG=os.devnull)
    argv = [kubectl, "get", "--raw", path, "--server", "https://127.0.0.1:%d" % port,
            "--token", "unused", "--request-timeout", "10s"]
    if ca:
        argv += ["--certificate-authority", ca]
    if server_name:
        argv += ["--tls-server-name", server_name]
    return sh(argv, env=env)


# ---- files ------------------------------------------------------------------------------------


@test
def writes_the_five_files_with_the_right_modes():
    d = gen()
    for name in ["ca.crt", "tls.crt", "tls.key", "ca-bundle.b64", "apiservice-cabundle.yaml"]:
        assert os.path.isfile(os.path.join(d, name)), "%s missing in %s: %s" % (name, d, os.listdir(d))
    mode = stat.S_IMODE(os.stat(os.path.join(d, "tls.key")).st_mode)
    assert mode == 0o600, "tls.key mode %o, want 600" % mode
    for name in ["ca.crt", "tls.crt"]:
        mode = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
        assert mode == 0o644, "%s mode %o, want 644" % (name, mode)
    leftovers = [n for n in os.listdir(d) if n.startswith(".")]
    assert not leftovers, "temporary files left behind: %s" % leftovers
    with open(os.path.join(d, "tls.key")) as f:
        key = f.read()
    assert key.startswith("-----BEGIN EC PRIVATE KEY-----\n"), key[:40]
    assert "PRIVATE KEY" not in open(os.path.join(d, "ca.crt")).read(), "the CA file holds a key"


@test
def ca_bundle_is_base64_of_ca_crt_and_the_patch_carries_it():
    d = gen()
    with open(os.path.join(d, "ca.crt"), "rb") as f:
        ca = f.read()
    with open(os.path.join(d, "ca-bundle.b64")) as f:
        b64 = f.read()
    assert b64.endswith("\n") and "\n" not in b64[:-1], "ca-bundle.b64 must be one line"
    assert base64.b64decode(b64.strip(), validate=True) == ca, "ca-bundle.b64 does not decode to ca.crt"
    with open(os.path.join(d, "apiservice-cabundle.yaml")) as f:
        y = f.read()
    names = re.findall(r"^  name: (\S+)$", y, re.M)
    assert names == APISERVICES, names
    bundles = re.findall(r"^  caBundle: (\S+)$", y, re.M)
    assert bundles == [b64.strip()] * 3, "caBundle values differ from ca-bundle.b64"
    assert y.count("insecureSkipTLSVerify: false") == 3, y
    assert y.count("apiVersion: apiregistration.k8s.io/v1\n") == 3, y


@test
def certificates_as_openssl_sees_them():
    d = gen()
    ca, leaf = os.path.join(d, "ca.crt"), os.path.join(d, "tls.crt")
    rc, out = sh(["openssl", "verify", "-CAfile", ca, leaf])
    assert rc == 0 and "OK" in out, out
    for n in NAMES:
        rc, out = sh(["openssl", "verify", "-CAfile", ca, "-verify_hostname", n, leaf])
        assert rc == 0, "openssl verify -verify_hostname %s: %s" % (n, out)
    rc, out = sh(["openssl", "verify", "-CAfile", ca, "-verify_hostname", "other.%s.svc" % NS, leaf])
    assert rc != 0, "a name not in the certificate verified: %s" % out
    rc, out = sh(["openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", leaf])
    assert rc == 0, out
    t = x509_text(leaf)
    sans = re.search(r"Subject Alternative Name:.*\n\s*(.*)", t).group(1).strip()
    assert sans == ", ".join("DNS:" + n for n in NAMES), sans
    assert re.search(r"Basic Constraints: critical\n\s*CA:FALSE", t), t
    assert "TLS Web Server Authentication" in t, t
    assert "ecdsa-with-SHA256" in t, t
    c = x509_text(ca)
    assert re.search(r"Basic Constraints: critical\n\s*CA:TRUE", c), c
    assert re.search(r"Key Usage: critical\n\s*.*Certificate Sign", c), c


@test
def days_sets_the_validity():
    d = gen("short", "--days", "30")
    rc, out = sh(["openssl", "x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-checkend",
                  str(29 * 86400)])
    assert rc == 0, "certificate expires within 29 days: %s" % out
    rc, out = sh(["openssl", "x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-checkend",
                  str(31 * 86400)])
    assert rc != 0, "--days 30 certificate still valid in 31 days"
    # the default is 3650 days
    rc, out = sh(["openssl", "x509", "-in", os.path.join(gen(), "ca.crt"), "-noout", "-checkend",
                  str(3649 * 86400)])
    assert rc == 0, "default CA validity under 3649 days"


@test
def each_run_makes_a_new_ca():
    a, b = gen(), gen("other")
    rc, out = sh(["openssl", "verify", "-CAfile", os.path.join(a, "ca.crt"), os.path.join(b, "tls.crt")])
    assert rc != 0, "one run's CA verifies another run's certificate: %s" % out


# ---- served, verified by Go and Python -------------------------------------------------------


@test
def go_tls_verifies_every_service_name():
    a = adapter()
    ca = os.path.join(gen(), "ca.crt")
    for n in NAMES:
        rc, out = kubectl_raw(a.port, ca, n)
        assert rc == 0 and out.strip() == "ok", "kubectl --tls-server-name %s: exit %d: %s" % (n, rc, out)


@test
def go_tls_refuses_a_wrong_name_and_a_wrong_ca():
    a = adapter()
    ca = os.path.join(gen(), "ca.crt")
    rc, out = kubectl_raw(a.port, ca, "other.%s.svc" % NS)
    assert rc != 0 and "x509" in out and "other.%s.svc" % NS in out, \
        "wrong --tls-server-name: exit %d: %s" % (rc, out)
    rc, out = kubectl_raw(a.port, ca, None)  # 127.0.0.1 is not in the certificate
    assert rc != 0 and "x509" in out, "no server name: exit %d: %s" % (rc, out)
    rc, out = kubectl_raw(a.port, os.path.join(gen("other"), "ca.crt"), NAMES[0])
    assert rc != 0 and ("unknown authority" in out or "x509" in out), \
        "another run's CA: exit %d: %s" % (rc, out)


@test
def python_tls_verifies_the_service_name():
    a = adapter()
    ctx = ssl.create_default_context(cafile=os.path.join(gen(), "ca.crt"))
    s = a.tls_connect(ctx=ctx)  # SvcAdapter asks for NAMES[0]
    s.close()
    ctx = ssl.create_default_context(cafile=os.path.join(gen(), "ca.crt"))
    try:
        raw = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        try:
            ctx.wrap_socket(raw, server_hostname="localhost").close()
        finally:
            raw.close()
        raise AssertionError("Python accepted the certificate for localhost")
    except ssl.SSLCertVerificationError:
        pass


# ---- flags ------------------------------------------------------------------------------------


def gen_fails(args, code, needle):
    rc, out = tlsutil.run_adapter_expect_exit(["gen-certs"] + args)
    assert rc == code, "gen-certs %s: exit %d, want %d; output:\n%s" % (" ".join(args), rc, code, out)
    assert needle in out, "gen-certs %s: output lacks %r:\n%s" % (" ".join(args), needle, out)


@test
def bad_flags_exit_2_with_a_message():
    d = tlsutil.tmpdir("gencerts-bad")
    ok = ["--service", SVC, "--namespace", NS, "--out", d]
    gen_fails(["--namespace", NS, "--out", d], 2, "--service, --namespace and --out are required")
    gen_fails(["--service", SVC, "--out", d], 2, "required")
    gen_fails(["--service", SVC, "--namespace", NS], 2, "required")
    gen_fails(["--service", "Metrics", "--namespace", NS, "--out", d], 2, "--service \"Metrics\"")
    gen_fails(["--service", "1adapter", "--namespace", NS, "--out", d], 2, "DNS-1035")
    gen_fails(["--service", "a" * 64, "--namespace", NS, "--out", d], 2, "at most 63")
    gen_fails(["--service", SVC, "--namespace", "custom_metrics", "--out", d], 2, "--namespace")
    gen_fails(["--service", SVC, "--namespace", "-x", "--out", d], 2, "--namespace")
    gen_fails(["--service", SVC, "--namespace", NS, "--out", ""], 2, "--out")
    gen_fails(ok + ["--days", "0"], 2, "--days")
    gen_fails(ok + ["--days", "36501"], 2, "--days")
    gen_fails(ok + ["--days", "ten"], 2, "--days")
    gen_fails(ok + ["--bogus"], 2, "--bogus")
    gen_fails(ok + ["extra"], 2, "extra")
    gen_fails(ok + ["--secure-port=1"], 2, "secure-port")  # a server flag is not a gen-certs flag
    assert os.listdir(d) == [], "a refused run wrote files: %s" % os.listdir(d)


@test
def unwritable_out_exits_1():
    d = tlsutil.tmpdir("gencerts-file")
    f = os.path.join(d, "a-file")
    with open(f, "w") as fh:
        fh.write("x")
    gen_fails(["--service", SVC, "--namespace", NS, "--out", os.path.join(f, "certs")], 1, "a-file")


@test
def help_exits_0():
    rc, out = tlsutil.run_adapter_expect_exit(["gen-certs", "--help"])
    assert rc == 0, out
    for word in ["--service", "--namespace", "--out", "--days", "ca-bundle.b64"]:
        assert word in out, "gen-certs --help lacks %s:\n%s" % (word, out)
    rc, out = tlsutil.run_adapter_expect_exit(["--help"])
    assert rc == 0 and "gen-certs" in out, "the server's --help does not mention gen-certs:\n%s" % out


if __name__ == "__main__":
    run()
