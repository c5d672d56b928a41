#!/usr/bin/env python3
"""TLS: certificate/key formats and chains, suites and version, ALPN, optional client certificates,
TLS 1.3-only clients, bad key material at start, certificate reload (SIGHUP and file watch), curl."""

import os
import re
import signal
import ssl
import time

from harness import Adapter, free_port, run, test, tls_context
import tlsutil
from tlsutil import GOOD_SUITES, PKI, Conn, note, serial_hex

SVC = "metrics-adapter.kube-system.svc"  # the name kube-apiserver dials (SNI + hostname check)
RSA_SUITES = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"]
EC_SUITES = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]

# (key kind, issued by the intermediate?) : the key formats the CLI promises
CASES = [("rsa2048-pkcs1", False), ("rsa2048-pkcs8", False), ("ec256-sec1", False),
         ("ec256-pkcs8", False), ("ec384-sec1", True), ("ec384-pkcs8", True)]

_pki = None
_adapters = {}


def pki():
    """Root CA (RSA 2048), intermediate (EC P-384) under it, one server leaf per case, a client
    CA with an EC and an RSA client certificate."""
    global _pki
    if _pki is None:
        p = PKI()
        p.ca("root", "rsa2048-pkcs8")
        p.ca("inter", "ec384-pkcs8", issuer="root")
        p.leaves = {}
        for kind, via_inter in CASES:
            if via_inter:
                p.leaves[kind] = p.leaf("srv-" + kind, kind, "inter", chain=["inter"], digest="sha384")
            else:
                p.leaves[kind] = p.leaf("srv-" + kind, kind, "root")
        p.ca("clientca", "ec256-sec1")
        p.client_ec = p.leaf("client-ec", "ec256-pkcs8", "clientca", sans=None, client=True)
        p.client_rsa = p.leaf("client-rsa", "rsa2048-pkcs8", "clientca", sans=None, client=True)
        _pki = p
    return _pki


def case_adapter(kind):
    """A running adapter serving the leaf of `kind` (shared between the tests of this file)."""
    if kind not in _adapters:
        p = pki()
        chain, key, _ = p.leaves[kind]
        _adapters[kind] = Adapter("--tls-cert-file=" + chain, "--tls-private-key-file=" + key,
                                  name="tls-" + kind, cert_dir=False, cafile=p.crt("root"))
    a = _adapters[kind]
    a.start()
    return a


def healthz(a, ctx, host="localhost"):
    c = Conn.open(a.port, ctx, host)
    try:
        r = c.request("/healthz")
        assert r.status == 200 and r.body == b"ok", "/healthz via %s: %r" % (host, r)
        return c.cipher(), c.sock.selected_alpn_protocol(), c.sock.getpeercert()
    finally:
        c.close()


def check_cipher(cipher, rsa, what):
    name, version, _ = cipher
    assert version == "TLSv1.2", "%s: negotiated %s, want TLSv1.2" % (what, version)
    assert name in GOOD_SUITES, "%s: negotiated %s, not an ECDHE AES-GCM/ChaCha20 suite" % (what, name)
    want = "ECDHE-RSA-" if rsa else "ECDHE-ECDSA-"
    assert name.startswith(want), "%s: negotiated %s for a %s key" % (what, name, "RSA" if rsa else "EC")


def check_curl(a, cafile, host="127.0.0.1"):
    rc, out, err = tlsutil.curl(["--cacert", cafile, "https://%s:%d/healthz" % (host, a.port)])
    assert rc == 0 and out == "ok", "curl --cacert %s https://%s:%d/healthz: rc %d, out %r, err %r" % (
        os.path.basename(cafile), host, a.port, rc, out, err.strip())


# ---- the generated certificate -------------------------------------------------------------------

@test
def generated_certificate_verifies():
    a = Adapter("--tls-san=" + SVC, "--tls-san=10.1.2.3", name="tls-generated")
    a.start()
    for f in ("apiserver.crt", "apiserver.key"):
        assert os.path.getsize(os.path.join(a.cert_dir, f)) > 0, "%s missing or empty" % f
    ctx = tls_context(a.cafile)
    for host in ("localhost", "127.0.0.1", SVC):
        cipher, _, cert = healthz(a, ctx, host)
        assert cipher[1] == "TLSv1.2", "generated cert via %s: %s" % (host, cipher)
        assert cipher[0] in GOOD_SUITES, "generated cert via %s: suite %s" % (host, cipher[0])
    sans = set(cert.get("subjectAltName", ()))
    note("generated certificate: suite %s; SANs %s" % (cipher[0], sorted(sans)))
    for want in [("DNS", "localhost"), ("IP Address", "127.0.0.1"), ("DNS", SVC), ("IP Address", "10.1.2.3")]:
        assert want in sans, "SAN %s missing from the generated certificate: %s" % (want, sorted(sans))
    assert ("IP Address", "::1") in sans or ("IP Address", "0:0:0:0:0:0:0:1") in sans, \
        "SAN IP ::1 missing from the generated certificate: %s" % sorted(sans)
    check_curl(a, a.cafile, "127.0.0.1")
    check_curl(a, a.cafile, "localhost")


# ---- one test per key format ---------------------------------------------------------------------

def make_case_test(kind, via_inter):
    def fn():
        p = pki()
        a = case_adapter(kind)
        ctx = tlsutil.client_ctx(cafile=p.crt("root"))
        rsa = kind.startswith("rsa")
        for host in (SVC, "localhost", "127.0.0.1"):
            cipher, _, cert = healthz(a, ctx, host)
            check_cipher(cipher, rsa, "%s via %s" % (kind, host))
        want_serial = serial_hex(p.leaves[kind][2])
        assert cert["serialNumber"] == want_serial, "served serial %s, want %s" % (cert["serialNumber"], want_serial)
        check_curl(a, p.crt("root"))
        note("%s%s: %s %s" % (kind, " (leaf + intermediate)" if via_inter else "", cipher[1], cipher[0]))
    fn.__name__ = "key_%s%s_serves_and_verifies" % (kind.replace("-", "_"), "_with_intermediate" if via_inter else "")
    return fn


for _kind, _via in CASES:
    test(make_case_test(_kind, _via))


# ---- suites, groups, version ---------------------------------------------------------------------

def suites_test(kind, suites):
    p = pki()
    a = case_adapter(kind)
    for s in suites:
        ctx = tlsutil.client_ctx(cafile=p.crt("root"), ciphers=s, max_version=ssl.TLSVersion.TLSv1_2)
        cipher, _, _ = healthz(a, ctx)
        assert cipher[0] == s, "offered only %s, negotiated %s" % (s, cipher[0])


def refused_suite(a, cafile, suite):
    ctx = tlsutil.client_ctx(cafile=cafile, ciphers=suite, max_version=ssl.TLSVersion.TLSv1_2)
    try:
        cipher, _, _ = healthz(a, ctx)
    except (ssl.SSLError, ConnectionError) as e:
        return "%s: %s" % (type(e).__name__, e)
    raise AssertionError("client offering only %s connected (%s)" % (suite, cipher[0]))


@test
def each_rsa_aead_suite_works():
    suites_test("rsa2048-pkcs1", RSA_SUITES)


@test
def each_ecdsa_aead_suite_works():
    suites_test("ec256-sec1", EC_SUITES)


@test
def no_rsa_key_exchange():
    p = pki()
    a = case_adapter("rsa2048-pkcs1")
    for s in ("AES128-GCM-SHA256", "AES256-GCM-SHA384"):
        refused_suite(a, p.crt("root"), s)
    healthz(a, tlsutil.client_ctx(cafile=p.crt("root")))


@test
def cbc_suites_not_offered():
    # The CLI contract lists AES-GCM and ChaCha20-Poly1305 only.
    p = pki()
    for kind, suites in (("rsa2048-pkcs1", ["ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"]),
                         ("ec256-sec1", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"])):
        a = case_adapter(kind)
        for s in suites:
            refused_suite(a, p.crt("root"), s)
        healthz(a, tlsutil.client_ctx(cafile=p.crt("root")))


@test
def ecdhe_groups_x25519_and_p256():
    # In TLS 1.2 a client's supported_groups also restricts the curve of an ECDSA server key, so a
    # single-group offer of X25519 is only meaningful against the RSA certificate.
    p = pki()
    for kind, groups, want in (("rsa2048-pkcs1", "X25519", "X25519"), ("rsa2048-pkcs1", "P-256", "prime256v1"),
                               ("ec256-sec1", "P-256", "prime256v1"), ("ec256-sec1", "X25519:P-256", "")):
        a = case_adapter(kind)
        rc, out, dt = tlsutil.s_client(a.port, ["-tls1_2", "-groups", groups, "-CAfile", p.crt("root"),
                                                "-verify_return_error", "-servername", "localhost", "-brief"])
        m = re.search(r"Server Temp Key: ([^\n]*)", out)
        assert rc == 0 and m and want in m.group(1), "%s, s_client -groups %s: rc %d, temp key %s\n%s" % (
            kind, groups, rc, m.group(1) if m else None, out[-600:])
        note("%s, client groups %s: server temp key %s" % (kind, groups, m.group(1)))


@test
def tls13_only_client_fails_cleanly():
    a = case_adapter("ec256-sec1")
    rc, out, dt = tlsutil.s_client(a.port, ["-tls1_3", "-servername", "localhost"], timeout=15.0)
    err = [l for l in out.splitlines() if "error" in l.lower() or "alert" in l.lower()]
    note("openssl s_client -tls1_3: rc %d after %.2f s: %s" % (rc, dt, (err or ["(no error line)"])[0][:160]))
    assert rc != 0, "s_client -tls1_3 succeeded:\n%s" % out[-800:]
    assert not re.search(r"(New|Protocol *:|Protocol version:) *,? *TLSv1\.3", out), "TLS 1.3 negotiated:\n" + out
    assert dt < 5.0, "s_client -tls1_3 took %.1f s to fail (hang until a timeout?)" % dt
    ctx = tlsutil.client_ctx(cafile=pki().crt("root"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    t0 = time.monotonic()
    try:
        healthz(a, ctx)
        raise AssertionError("a TLS 1.3-only Python client connected")
    except (ssl.SSLError, ConnectionError) as e:
        note("Python TLS 1.3-only client: %s: %s (%.2f s)" % (type(e).__name__, e, time.monotonic() - t0))
    assert time.monotonic() - t0 < 5.0, "TLS 1.3-only Python client took %.1f s to fail" % (time.monotonic() - t0)
    cipher, _, _ = healthz(a, tlsutil.client_ctx(cafile=pki().crt("root")))
    check_cipher(cipher, False, "after the TLS 1.3 attempts")


# ---- ALPN and client certificates ----------------------------------------------------------------

@test
def alpn_never_selects_h2():
    p = pki()
    a = case_adapter("ec256-sec1")
    for offer in (["h2", "http/1.1"], ["http/1.1", "h2"], ["http/1.1"]):
        ctx = tlsutil.client_ctx(cafile=p.crt("root"), alpn=offer)
        _, proto, _ = healthz(a, ctx)
        assert proto in ("http/1.1", None), "offered %s, server selected %r" % (offer, proto)
        note("ALPN offer %s -> %r" % (offer, proto))
    ctx = tlsutil.client_ctx(cafile=p.crt("root"), alpn=["h2"])
    try:
        _, proto, _ = healthz(a, ctx)
        note("ALPN offer ['h2'] -> %r" % (proto,))
        assert proto != "h2", "offered only h2, server selected h2"
    except (ssl.SSLError, ConnectionError) as e:
        note("ALPN offer ['h2'] -> handshake refused (%s)" % e)


@test
def client_certificate_requested_not_required():
    p = pki()
    a = case_adapter("ec256-sec1")
    root = p.crt("root")
    healthz(a, tlsutil.client_ctx(cafile=root))
    for name, (chain, key, _) in (("EC", p.client_ec), ("RSA", p.client_rsa)):
        ctx = tlsutil.client_ctx(cafile=root, certfile=chain, keyfile=key)
        healthz(a, ctx)
    # The server sends a CertificateRequest (s_client reports the CA names / certificate types).
    rc, out, _ = tlsutil.s_client(a.port, ["-tls1_2", "-CAfile", root, "-servername", "localhost"])
    requested = ("client certificate CA names" in out) or ("Client Certificate Types" in out)
    assert rc == 0 and requested, "no CertificateRequest seen by s_client (rc %d):\n%s" % (rc, out[-1200:])
    rc, out, _ = tlsutil.s_client(a.port, ["-tls1_2", "-CAfile", root, "-servername", "localhost",
                                           "-cert", p.client_rsa[0], "-key", p.client_rsa[1], "-brief"])
    assert rc == 0, "s_client with an RSA client certificate: rc %d\n%s" % (rc, out[-800:])


# ---- bad key material at start -------------------------------------------------------------------

def expect_start_failure(chain, key, pattern, what):
    port = free_port()
    argv = ["--demo", "--bind-address=127.0.0.1", "--secure-port=%d" % port,
            "--tls-cert-file=" + chain, "--tls-private-key-file=" + key]
    rc, out = tlsutil.run_adapter_expect_exit(argv, timeout=10.0)
    msg = " | ".join(l.strip() for l in out.strip().splitlines()[-3:])
    note("%s: exit %d: %s" % (what, rc, msg[:300]))
    assert rc > 0, "%s: exit status %d, want non-zero (not a signal)\n%s" % (what, rc, out)
    assert re.search(pattern, out, re.I), "%s: message does not say why (want /%s/):\n%s" % (what, pattern, out)


@test
def rsa_1024_key_rejected_at_start():
    p = pki()
    chain, key, _ = p.leaf("srv-rsa1024", "rsa1024-pkcs1", "root")
    expect_start_failure(chain, key, r"1024|2048|too small|too short|weak|bits|key size", "RSA 1024 key")


@test
def mismatched_key_rejected_at_start():
    p = pki()
    expect_start_failure(p.leaves["ec256-sec1"][0], p.leaves["ec256-pkcs8"][1],
                         r"match|correspond|pair", "EC P-256 certificate with another P-256 key")
    expect_start_failure(p.leaves["rsa2048-pkcs1"][0], p.leaves["ec256-sec1"][1],
                         r"match|correspond|pair|type", "RSA certificate with an EC key")


@test
def missing_cert_file_rejected_at_start():
    p = pki()
    missing = os.path.join(p.dir, "does-not-exist.crt")
    expect_start_failure(missing, p.leaves["ec256-sec1"][1], re.escape(missing), "missing certificate file")


# ---- reload --------------------------------------------------------------------------------------

class Live:
    pass


_live = Live()


def live_setup():
    """The adapter under reload tests: files in a directory of their own, one keep-alive connection
    opened before any reload."""
    if getattr(_live, "a", None) is None:
        p = pki()
        d = tlsutil.tmpdir("live")
        _live.crt, _live.key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
        chain, key, serial = p.leaf("live-1", "ec256-sec1", "root")
        tlsutil.replace_file(_live.key, key)
        tlsutil.replace_file(_live.crt, chain)
        _live.serial = serial
        _live.a = Adapter("--tls-cert-file=" + _live.crt, "--tls-private-key-file=" + _live.key,
                          name="tls-reload", cert_dir=False, cafile=p.crt("root"))
        _live.a.start()
        _live.ctx = tlsutil.client_ctx(cafile=p.crt("root"))
        _live.conn = Conn.open(_live.a.port, _live.ctx)
        r = _live.conn.request("/healthz")
        assert r.status == 200, r
        _live.first_serial = _live.conn.serial()
        assert _live.first_serial == serial_hex(serial), (_live.first_serial, serial)
        _live.n = 1
    return _live


def install(kind):
    """Write a new leaf (new key, new serial) over the live files: key first, then certificate."""
    p = pki()
    _live.n += 1
    chain, key, serial = p.leaf("live-%d" % _live.n, kind, "root")
    tlsutil.replace_file(_live.key, key)
    tlsutil.replace_file(_live.crt, chain)
    return serial


def wait_serial(serial, limit):
    """Seconds until a new connection is served `serial`; raises after `limit` s."""
    t0 = time.monotonic()
    want = serial_hex(serial)
    seen = None
    while True:
        c = Conn.open(_live.a.port, _live.ctx)
        try:
            seen = c.serial()
            if seen == want:
                r = c.request("/healthz")
                assert r.status == 200, "new certificate: /healthz %r" % r
                return time.monotonic() - t0, c.cipher()
        finally:
            c.close()
        if time.monotonic() - t0 > limit:
            raise AssertionError("new connections still see serial %s %.1f s later (want %s)" % (seen, limit, want))
        time.sleep(0.1)


def old_conn_still_works(what):
    c = _live.conn
    r = c.request("/healthz")
    assert r.status == 200 and r.body == b"ok", "keep-alive connection after %s: %r" % (what, r)
    assert c.serial() == _live.first_serial


@test
def reload_on_sighup():
    live_setup()
    serial = install("ec256-sec1")
    _live.a.proc.send_signal(signal.SIGHUP)
    dt, cipher = wait_serial(serial, 1.0)
    note("SIGHUP: new connections see the new certificate after %.2f s" % dt)
    old_conn_still_works("SIGHUP")
    assert _live.a.running(), "adapter exited after SIGHUP"


@test
def reload_on_file_change_without_signal():
    live_setup()
    time.sleep(1.1)  # a new mtime second, whatever the watcher compares
    serial = install("ec256-pkcs8")
    dt, cipher = wait_serial(serial, 6.0)
    note("file watch: new connections see the new certificate after %.2f s" % dt)
    old_conn_still_works("the file-watch reload")


@test
def reload_on_sighup_ec_to_rsa():
    live_setup()
    serial = install("rsa2048-pkcs1")
    _live.a.proc.send_signal(signal.SIGHUP)
    dt, cipher = wait_serial(serial, 1.0)
    check_cipher(cipher, True, "after reloading an RSA certificate")
    old_conn_still_works("the EC -> RSA reload")


@test
def bad_reload_keeps_serving_previous_certificate():
    live_setup()
    p = pki()
    before = Conn.open(_live.a.port, _live.ctx)
    prev = before.serial()
    before.close()
    tlsutil.replace_file(_live.key, data=b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    tlsutil.replace_file(_live.crt, p.leaves["ec256-sec1"][0])
    _live.a.proc.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    assert _live.a.running(), "adapter exited after a SIGHUP with a broken key (status %s)" % _live.a.proc.returncode
    c = Conn.open(_live.a.port, _live.ctx)
    try:
        assert c.serial() == prev, "after a failed reload new connections see serial %s, want the previous %s" % (
            c.serial(), prev)
        r = c.request("/healthz")
        assert r.status == 200, r
    finally:
        c.close()
    old_conn_still_works("a failed reload")


if __name__ == "__main__":
    run()
