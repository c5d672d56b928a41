"""Helpers for 20-signals, 60-concurrency, 70-tls and tests/bench/core.py, beyond harness.py:
keep-alive connections with any client SSLContext, a non-blocking opener for many idle TLS
connections, a throw-away PKI made with the openssl command, openssl s_client / curl runners and
/proc figures. Standard library only (plus the openssl and curl commands).
"""

import errno
import json
import os
import re
import resource
import selectors
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN  # noqa: E402

# ---- small utilities ---------------------------------------------------------------------------


def raise_nofile(want=8192):
    """Raise the soft RLIMIT_NOFILE to the hard limit (children inherit it); returns the new soft
    limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, want) if hard == resource.RLIM_INFINITY else hard
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def listening(port):
    """True when some socket LISTENs on TCP `port` (read from /proc, so the server sees nothing)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def proc_status_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def fmt_kib(kib):
    return "%d KiB (%.1f MiB)" % (kib, kib / 1024.0)


def tmpdir(tag):
    return tempfile.mkdtemp(prefix="ma-%s-" % tag)


# ---- processes ---------------------------------------------------------------------------------


def run_adapter_expect_exit(argv_tail, timeout=10.0):
    """Run the binary with `argv_tail` expecting it to exit by itself. Returns (rc, output) or
    raises if it is still running after `timeout` (it is then killed)."""
    p = subprocess.Popen([BIN] + list(argv_tail), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("still running after %.0fs (expected to exit); output:\n%s"
                             % (timeout, out.decode("utf-8", "replace")))
    return p.returncode, out.decode("utf-8", "replace")


# ---- TLS clients -------------------------------------------------------------------------------

GOOD_SUITES = {
    # ECDHE with AEAD only: what the CLI contract lists (Go's defaults minus CBC).
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
}


def client_ctx(cafile=None, verify=True, alpn=None, ciphers=None, certfile=None, keyfile=None,
               max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if ciphers:
        ctx.set_ciphers(ciphers)
    if max_version:
        ctx.maximum_version = max_version
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


def parse_response(buf):
    """(status, headers{lower: value}, body, consumed) for a complete response at the start of
    buf, or None when more bytes are needed. Content-Length and chunked framing only."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", head[0])
    if not m:
        raise AssertionError("bad status line %r" % head[0])
    status = int(m.group(1))
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        v = v.strip()
        headers[k] = headers[k] + ", " + v if k in headers else v
    start = end + 4
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        pos = start
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                return None
            size = int(bytes(buf[pos:nl]).split(b";")[0], 16)
            if size == 0:
                fin = buf.find(b"\r\n\r\n", nl)
                if fin < 0:
                    return None
                return status, headers, bytes(body), fin + 4
            if len(buf) < nl + 2 + size + 2:
                return None
            body += buf[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
    if "content-length" not in headers:
        if status in (204, 304) or status < 200:
            return status, headers, b"", start
        raise AssertionError("response without Content-Length: %r" % head)
    n = int(headers["content-length"])
    if len(buf) < start + n:
        return None
    return status, headers, bytes(buf[start:start + n]), start + n


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self, ordered=False):
        if ordered:
            return json.loads(self.body, object_pairs_hook=lambda p: p)
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class Conn:
    """A keep-alive HTTP/1.1 connection over TLS (blocking, with a timeout)."""

    def __init__(self, sock, host="localhost"):
        self.sock = sock
        self.host = host
        self.buf = bytearray()

    @classmethod
    def open(cls, port, ctx, host="localhost", timeout=10.0, addr="127.0.0.1"):
        raw = socket.create_connection((addr, port), timeout=timeout)
        try:
            s = ctx.wrap_socket(raw, server_hostname=host)
        except BaseException:
            raw.close()
            raise
        return cls(s, host)

    def send_request(self, path, method="GET", headers=None):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % self.host]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def read_response(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            r = parse_response(self.buf)
            if r is not None:
                status, headers, body, used = r
                del self.buf[:used]
                return Response(status, headers, body)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete response within %.1fs (have %d bytes)"
                                   % (timeout, len(self.buf)))
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed by the server (have %d bytes)" % len(self.buf))
            self.buf += data

    def request(self, path, method="GET", headers=None, timeout=10.0):
        self.send_request(path, method, headers)
        return self.read_response(timeout)

    def cipher(self):
        return self.sock.cipher()

    def serial(self):
        return self.sock.getpeercert()["serialNumber"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def get(port, path, ctx, host="localhost", timeout=10.0, headers=None):
    c = Conn.open(port, ctx, host, timeout)
    try:
        return c.request(path, headers=headers, timeout=timeout)
    finally:
        c.close()


def timed_get(port, path, ctx, host="localhost", timeout=10.0):
    """(seconds from TCP connect to the end of the response, Response) on a new connection."""
    t0 = time.monotonic()
    r = get(port, path, ctx, host, timeout)
    return time.monotonic() - t0, r


class Background:
    """Run fn() in a thread; .result / .error / .t_done (monotonic) once finished."""

    def __init__(self, fn):
        self.result = self.error = self.t_done = None
        self.t_start = time.monotonic()
        self._th = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._th.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as e:  # reported by the test
            self.error = e
        self.t_done = time.monotonic()

    def join(self, timeout):
        self._th.join(timeout)
        return not self._th.is_alive()

    @property
    def elapsed(self):
        return None if self.t_done is None else self.t_done - self.t_start


def open_idle_conns(port, ctx, n, path="/healthz", host="localhost", window=64, timeout=180.0):
    """Open n keep-alive TLS connections, each completing the handshake and one GET `path` that
    must answer 200, with at most `window` connections in progress at once (non-blocking sockets
    and one selector). Returns the list of Conn (blocking, 10 s timeout) left open and idle."""
    sel = selectors.DefaultSelector()
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()
    done, started, active = [], 0, 0
    deadline = time.monotonic() + timeout

    def begin():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(err, "connect #%d: %s" % (started, os.strerror(err)))
        st = {"sock": s, "state": "connect", "out": req, "in": bytearray(), "i": started}
        sel.register(s, selectors.EVENT_WRITE, st)

    def step(st):
        """Advance one connection; returns the selector event it waits for, or 0 when done."""
        s = st["sock"]
        if st["state"] == "connect":
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, "connect #%d: %s" % (st["i"], os.strerror(err)))
            sel.unregister(s)
            s = ctx.wrap_socket(s, server_hostname=host, do_handshake_on_connect=False)
            st["sock"] = s
            st["state"] = "hs"
            sel.register(s, selectors.EVENT_WRITE, st)
        if st["state"] == "hs":
            try:
                s.do_handshake()
            except ssl.SSLWantReadError:
                return selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                return selectors.EVENT_WRITE
            st["state"] = "send"
        if st["state"] == "send":
            while st["out"]:
                try:
                    k = s.send(st["out"])
                except ssl.SSLWantWriteError:
                    return selectors.EVENT_WRITE
                except ssl.SSLWantReadError:
                    return selectors.EVENT_READ
                st["out"] = st["out"][k:]
            st["state"] = "recv"
        while True:
            try:
                data = s.recv(65536)
            except ssl.SSLWantReadError:
                return selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                return selectors.EVENT_WRITE
            if not data:
                raise ConnectionError("connection #%d closed before its response" % st["i"])
            st["in"] += data
            r = parse_response(st["in"])
            if r is not None:
                if r[0] != 200:
                    raise AssertionError("connection #%d: status %d" % (st["i"], r[0]))
                if r[3] != len(st["in"]):
                    raise AssertionError("connection #%d: extra bytes after the response" % st["i"])
                return 0

    try:
        while len(done) < n:
            while started < n and active < window:
                begin()
                started += 1
                active += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("opened %d of %d connections in %.0fs" % (len(done), n, timeout))
            for key, _ in sel.select(timeout=min(left, 1.0)):
                st = key.data
                ev = step(st)
                if ev:
                    sel.modify(st["sock"], ev, st)
                    continue
                sel.unregister(st["sock"])
                st["sock"].setblocking(True)
                st["sock"].settimeout(10.0)
                done.append(Conn(st["sock"], host))
                active -= 1
    except BaseException:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        close_all(done)
        raise
    finally:
        sel.close()
    return done


def close_all(conns):
    for c in conns:
        c.close()


# ---- command-line TLS clients -------------------------------------------------------------------


def s_client(port, extra, timeout=10.0, stdin=b""):
    """Run `openssl s_client -connect 127.0.0.1:port <extra>`; returns (rc, output, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + list(extra),
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), time.monotonic() - t0


def curl(args, timeout=20.0):
    p = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ---- a throw-away PKI built with the openssl command ---------------------------------------------

KEY_KINDS = {
    # kind: (openssl argv producing PEM on -out, expected PEM label)
    "rsa2048-pkcs1": (["genrsa", "-traditional"], "RSA PRIVATE KEY", 2048),
    "rsa2048-pkcs8": (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "PRIVATE KEY", None),
    "rsa1024-pkcs1": (["genrsa", "-traditional"], "RSA PRIVATE KEY", 1024),
    "ec256-sec1": (["ecparam", "-name", "prime256v1", "-genkey", "-noout"], "EC PRIVATE KEY", None),
    "ec256-pkcs8": (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "PRIVATE KEY", None),
    "ec384-sec1": (["ecparam", "-name", "secp384r1", "-genkey", "-noout"], "EC PRIVATE KEY", None),
    "ec384-pkcs8": (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "PRIVATE KEY", None),
}

SERVER_SANS = ["DNS:localhost", "DNS:metrics-adapter.kube-system.svc", "IP:127.0.0.1", "IP:::1"]


class PKI:
    def __init__(self, d=None):
        self.dir = d or tmpdir("pki")
        self._serial = 0x5000

    def path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, args):
        p = subprocess.run(["openssl"] + args, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr.decode()))

    def key(self, name, kind):
        argv, label, bits = KEY_KINDS[kind]
        out = self.path(name + ".key")
        self._openssl(argv + ["-out", out] + ([str(bits)] if bits else []))
        with open(out) as f:
            pem = f.read()
        assert ("-----BEGIN %s-----" % label) in pem, "openssl made %r, not %s" % (pem[:40], label)
        return out

    def _conf(self, name, ext_lines):
        conf = self.path(name + ".cnf")
        with open(conf, "w") as f:
            f.write("[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=%s\n[ext]\n%s\n" % (name, "\n".join(ext_lines)))
        return conf

    def next_serial(self):
        self._serial += 1
        return self._serial

    def ca(self, name, kind, issuer=None, digest="sha256"):
        """Self-signed root (issuer None) or intermediate signed by issuer (a CA name). Returns name."""
        key = self.key(name, kind)
        ext = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
               "subjectKeyIdentifier=hash"]
        if issuer is None:
            conf = self._conf(name, ext)
            self._openssl(["req", "-new", "-x509", "-config", conf, "-extensions", "ext", "-key", key,
                           "-days", "30", "-" + digest, "-set_serial", str(self.next_serial()),
                           "-out", self.path(name + ".crt")])
        else:
            conf = self._conf(name, ext + ["authorityKeyIdentifier=keyid:always"])
            self._sign(name, key, conf, issuer, digest)
        return name

    def _sign(self, name, key, conf, issuer, digest, serial=None):
        csr = self.path(name + ".csr")
        self._openssl(["req", "-new", "-config", conf, "-key", key, "-out", csr])
        self._openssl(["x509", "-req", "-in", csr, "-CA", self.path(issuer + ".crt"),
                       "-CAkey", self.path(issuer + ".key"), "-set_serial", str(serial or self.next_serial()),
                       "-days", "30", "-" + digest, "-extfile", conf, "-extensions", "ext",
                       "-out", self.path(name + ".crt")])

    def leaf(self, name, kind, issuer, chain=(), sans=SERVER_SANS, serial=None, client=False,
             digest="sha256"):
        """Leaf certificate; writes name.crt (leaf only), name.chain.crt (leaf + `chain` CA certs)
        and name.key. Returns (chain path, key path, serial)."""
        key = self.key(name, kind)
        serial = serial or self.next_serial()
        ku = "digitalSignature" + (",keyEncipherment" if kind.startswith("rsa") else "")
        ext = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical," + ku,
               "extendedKeyUsage=" + ("clientAuth" if client else "serverAuth"),
               "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid:always"]
        if sans:
            ext.append("subjectAltName=" + ",".join(sans))
        conf = self._conf(name, ext)
        self._sign(name, key, conf, issuer, digest, serial)
        chain_path = self.path(name + ".chain.crt")
        with open(chain_path, "w") as out:
            for part in [name] + list(chain):
                with open(self.path(part + ".crt")) as f:
                    out.write(f.read())
        return chain_path, key, serial

    def crt(self, name):
        return self.path(name + ".crt")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def serial_hex(n):
    """The serial as Python's getpeercert() spells it (upper-case hex, even length)."""
    h = "%X" % n
    return "0" * (len(h) % 2) + h


def replace_file(dst, src=None, data=None):
    """Atomically replace dst (new inode, as a Secret volume update does) with src's bytes or data."""
    if data is None:
        with open(src, "rb") as f:
            data = f.read()
    tmp = dst + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)


def note(msg):
    """An indented figure/remark line in the test output."""
    print("     " + msg, flush=True)
