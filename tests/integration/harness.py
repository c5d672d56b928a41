#!/usr/bin/env python3
"""Integration-test harness for metrics-adapter (Python 3 standard library only).

    from harness import Adapter, test, run, ...

* Adapter: one metrics-adapter process on a free 127.0.0.1 port, started lazily (on first use) with
  --demo --demo-time=DEMO_TIME --cert-dir=<tmpdir>; stderr goes to a file whose tail is printed when a
  test failed. Each started adapter is stopped after the tests with SIGTERM, and that it exits 0 is
  itself a test ("<name>: SIGTERM exits 0").
* TLS helpers: tls_context() trusts the generated DIR/apiserver.crt; get() is an http.client GET;
  Raw is a TLS socket for arbitrary bytes with an HTTP/1.1 response reader (pipelining aware).
* Registry: @test functions run in definition order; every failure is printed with its message; the
  last stdout line is exactly "N passed, N failed"; the exit status is 1 on any failure.

The adapter binary is $MA_BIN, default <repo>/build/metrics-adapter.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("MA_BIN") or os.path.join(REPO, "build", "metrics-adapter")
# 2026-01-02T03:04:21Z: every demo value is > 1e-4 milli-units away from a rounding tie, so values
# computed in Python cannot differ from the C ones by float noise (50-api.py checks the margin).
DEMO_TIME = 1767323061
IO_TIMEOUT = 5.0          # every socket operation of a test
TEST_TIMEOUT = 60         # whole test function (SIGALRM watchdog)
START_TIMEOUT = 20.0      # adapter start until it completes a TLS handshake

_adapters = []


def read_version():
    with open(os.path.join(REPO, "VERSION")) as f:
        return f.read().strip()


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def tls_context(cafile, check_hostname=True):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = check_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


# ---- the adapter process -------------------------------------------------------------------------

class Adapter:
    """A metrics-adapter process. Flags in `args` are appended to the defaults; pass demo=False or
    cert_dir=False to leave those defaults out, cafile= to trust another CA (e.g. with
    --tls-cert-file). Start is lazy: the first .port / .start() starts it."""

    def __init__(self, *args, name="adapter", demo=True, cert_dir=True, cafile=None):
        self.name = name
        self.args = list(args)
        self.demo = demo
        self.tmp = tempfile.mkdtemp(prefix="ma-it-")
        self.cert_dir = os.path.join(self.tmp, "certs") if cert_dir else None
        self._cafile = cafile
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self._port = None
        self.proc = None
        self.start_error = None
        self.exit_code = None
        _adapters.append(self)

    @property
    def cafile(self):
        if self._cafile:
            return self._cafile
        return os.path.join(self.cert_dir, "apiserver.crt")

    def argv(self):
        a = [BIN, "--bind-address=127.0.0.1", "--secure-port=%d" % self._port]
        if self.demo:
            a += ["--demo", "--demo-time=%d" % DEMO_TIME]
        if self.cert_dir:
            a.append("--cert-dir=" + self.cert_dir)
        return a + self.args

    @property
    def port(self):
        self.start()
        return self._port

    def start(self):
        if self.proc is not None and self.start_error is None:
            return self
        if self.start_error is not None:
            raise AssertionError("%s did not start: %s" % (self.name, self.start_error))
        if not os.access(BIN, os.X_OK):
            self.start_error = "no executable at %s (set MA_BIN or run ./build.sh)" % BIN
            raise AssertionError(self.start_error)
        if self.cert_dir:
            os.makedirs(self.cert_dir, exist_ok=True)
        self._port = free_port()
        errf = open(self.stderr_path, "wb")
        outf = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=outf,
                                     stderr=errf, start_new_session=True)
        errf.close()
        outf.close()
        deadline = time.monotonic() + START_TIMEOUT
        last = "no attempt"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.exit_code = rc
                self.start_error = "exited with status %d before accepting TLS; stderr:\n%s" % (
                    rc, tail(self.stderr_path, 15))
                raise AssertionError("%s %s" % (self.name, self.start_error))
            if os.path.exists(self.cafile):
                try:
                    s = self._tls_connect(timeout=2.0)
                    s.close()
                    return self
                except (OSError, ssl.SSLError) as e:
                    last = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.05)
        self.start_error = "no TLS handshake within %.0f s (last: %s); stderr:\n%s" % (
            START_TIMEOUT, last, tail(self.stderr_path, 15))
        self.kill()
        raise AssertionError("%s %s" % (self.name, self.start_error))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def tls_connect(self, timeout=IO_TIMEOUT, hostname="localhost", alpn=None, ctx=None):
        """A TLS socket to the adapter (started first if needed)."""
        self.start()
        return self._tls_connect(timeout, hostname, alpn, ctx)

    def _tls_connect(self, timeout=IO_TIMEOUT, hostname="localhost", alpn=None, ctx=None):
        ctx = ctx or tls_context(self.cafile)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        sock = socket.create_connection(("127.0.0.1", self._port), timeout=timeout)
        try:
            return ctx.wrap_socket(sock, server_hostname=hostname)
        except BaseException:
            sock.close()
            raise

    def stop(self, timeout=15.0):
        """SIGTERM; returns the exit status (kills and raises on timeout)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is not None and self.exit_code is None:
            self.exit_code = rc
            raise AssertionError("%s had already exited (status %d) before SIGTERM" % (self.name, rc))
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("%s did not exit within %.0f s of SIGTERM" % (self.name, timeout))
        self.exit_code = self.proc.returncode
        return self.exit_code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)


# ---- HTTP over TLS -------------------------------------------------------------------------------

def get(adapter, path, headers=None, method="GET", body=None, timeout=IO_TIMEOUT):
    """One request on a fresh connection: returns (status, headers, body bytes); headers is an
    http.client.HTTPMessage (case-insensitive .get, .get_all)."""
    adapter.start()
    conn = http.client.HTTPSConnection("127.0.0.1", adapter.port, timeout=timeout,
                                       context=tls_context(adapter.cafile))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, data
    finally:
        conn.close()


class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # list of (name, value) in wire order
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %s, %d body bytes>" % (self.status, self.reason, len(self.body))


class Closed(Exception):
    """The peer closed the connection before a complete response."""


class Raw:
    """A TLS connection for arbitrary request bytes. read_response() parses one HTTP/1.x response
    from the stream, keeping any following bytes for the next call (pipelining)."""

    def __init__(self, adapter, timeout=IO_TIMEOUT, hostname="localhost", alpn=None):
        adapter.start()
        self.sock = adapter.tls_connect(timeout=timeout, hostname=hostname, alpn=alpn)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _recv(self, deadline):
        """Read more bytes into buf; False at EOF. Raises socket.timeout past the deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError):
            chunk = b""
        except ssl.SSLError as e:
            # An abrupt TCP close surfaces as various SSL errors depending on timing.
            if "EOF" in str(e) or "reset" in str(e).lower():
                chunk = b""
            else:
                raise
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_response(self, head_only=False, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._recv(deadline):
                raise Closed("connection closed after %d bytes of a response head: %r"
                             % (len(self.buf), self.buf[:200]))
        end = self.buf.index(b"\r\n\r\n")
        head = self.buf[:end].decode("latin-1")
        rest = self.buf[end + 4:]
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise AssertionError("bad status line %r" % lines[0])
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for ln in lines[1:]:
            if ":" not in ln:
                raise AssertionError("bad response header line %r" % ln)
            k, v = ln.split(":", 1)
            headers.append((k, v.strip()))
        resp = Response(version, status, reason, headers, b"", b"")
        cl = resp.header("Content-Length")
        if head_only or status in (204, 304) or 100 <= status < 200:
            body, used = b"", 0
        elif cl is not None:
            n = int(cl)
            self.buf = rest
            while len(self.buf) < n:
                if not self._recv(deadline):
                    raise Closed("connection closed after %d of %d body bytes" % (len(self.buf), n))
            body, used = self.buf[:n], n
            rest = self.buf
        elif (resp.header("Transfer-Encoding") or "").lower() == "chunked":
            raise AssertionError("chunked response (the adapter always sends Content-Length)")
        else:
            self.buf = rest
            while self._recv(deadline):
                pass
            body, used = self.buf, len(self.buf)
            rest = self.buf
        resp.body = body
        resp.raw = head.encode("latin-1") + b"\r\n\r\n" + body
        self.buf = rest[used:]
        return resp

    def wait_closed(self, timeout):
        """Read until EOF. Returns (closed, bytes received meanwhile); closed is False when the
        connection is still open after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        start = len(self.buf)
        try:
            while self._recv(deadline):
                pass
        except (socket.timeout, TimeoutError):
            return False, self.buf[start:]
        return True, self.buf[start:]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- JSON helpers --------------------------------------------------------------------------------

class Ordered(list):
    """A JSON object as its list of (key, value) pairs in wire order."""


def parse_ordered(body):
    """json.loads keeping key order (and duplicate keys) of every object."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body, object_pairs_hook=Ordered)


def to_ordered(value):
    """Python value (dicts in insertion order) -> the parse_ordered representation."""
    if isinstance(value, Ordered):
        return value
    if isinstance(value, dict):
        return Ordered((k, to_ordered(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_ordered(v) for v in value]
    return value


def _diff(got, want, path):
    if isinstance(want, Ordered):
        if not isinstance(got, Ordered):
            return "%s: want an object, got %s" % (path, json.dumps(got))
        gk, wk = [k for k, _ in got], [k for k, _ in want]
        if sorted(gk) != sorted(wk) or len(set(gk)) != len(gk):
            return "%s: keys %s, want %s" % (path, gk, wk)
        for (k, gv), (_, wv) in zip(sorted(got, key=lambda p: p[0]), sorted(want, key=lambda p: p[0])):
            d = _diff(gv, wv, "%s.%s" % (path, k))
            if d:
                return d
        if gk != wk:
            return "%s: key order %s, want %s" % (path, gk, wk)
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or isinstance(got, Ordered):
            return "%s: want an array, got %s" % (path, json.dumps(got))
        for i, (gv, wv) in enumerate(zip(got, want)):
            d = _diff(gv, wv, "%s[%d]" % (path, i))
            if d:
                return d
        if len(got) != len(want):
            return "%s: %d elements, want %d" % (path, len(got), len(want))
        return None
    if type(got) is not type(want) or got != want:
        return "%s: got %s, want %s" % (path, json.dumps(got), json.dumps(want))
    return None


def json_diff(body, want):
    """None when body (bytes/str JSON) equals want (Python value, dicts in the expected key order)
    field by field and in key order; else a message naming the first difference."""
    try:
        got = parse_ordered(body)
    except ValueError as e:
        return "not JSON (%s): %r" % (e, body[:300])
    d = _diff(got, to_ordered(want), "$")
    if d:
        return d + "\n      body: " + (body.decode("utf-8", "replace") if isinstance(body, bytes)
                                        else body)[:1500]
    return None


def assert_json(body, want, what=""):
    d = json_diff(body, want)
    assert d is None, (what + ": " if what else "") + d


def status_doc(code, reason, message, details=None):
    """The metav1.Status body of spec §3 (field order: kind apiVersion metadata status message
    reason details code; reason/details omitted when None)."""
    d = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message}
    if reason is not None:
        d["reason"] = reason
    if details is not None:
        d["details"] = details
    d["code"] = code
    return d


ANY = object()  # assert_status: "details" may be absent or any object


def assert_status(body, code, reason, message, details=ANY, what=""):
    """body is a metav1.Status (spec §3) with exactly these fields in this order. message: exact
    string, or a compiled regex that must match fully. reason None: omitted. details: a value that
    must be equal (None: omitted), or ANY (absent or any object)."""
    pre = (what + ": ") if what else ""
    try:
        got = parse_ordered(body)
    except ValueError as e:
        raise AssertionError("%sStatus body is not JSON (%s): %r" % (pre, e, body[:300]))
    assert isinstance(got, Ordered), "%sStatus body is not an object: %r" % (pre, body[:300])
    g = dict(got)
    msg = g.get("message")
    if hasattr(message, "fullmatch"):
        assert isinstance(msg, str) and message.fullmatch(msg), \
            "%smessage %r does not match %r; body %s" % (pre, msg, message.pattern, body[:500])
        message = msg
    want = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message}
    if reason is not None:
        want["reason"] = reason
    if details is ANY:
        if "details" in g:
            assert isinstance(g["details"], Ordered), "%sdetails is not an object: %s" % (pre, body[:500])
            want["details"] = g["details"]
    elif details is not None:
        want["details"] = details
    want["code"] = code
    d = _diff(got, to_ordered(want), "$")
    assert d is None, "%s%s\n      body: %s" % (pre, d, body[:800])


# ---- registry ------------------------------------------------------------------------------------

_tests = []


def test(fn):
    """Register fn as a test; tests run in definition order."""
    _tests.append(fn)
    return fn


class Skip(Exception):
    pass


def skip(why):
    raise Skip(why)


def _alarm(signum, frame):
    raise TimeoutError("test exceeded %d s" % TEST_TIMEOUT)


def _stop_adapters(results):
    for a in _adapters:
        if a.proc is None or (a.start_error is not None and a.proc.poll() is not None):
            continue
        if a.exit_code is not None and a.proc.poll() is not None:
            continue  # a test stopped it and checked its status itself
        name = "%s: SIGTERM exits 0" % a.name
        try:
            rc = a.stop()
            assert rc == 0, "exit status %s after SIGTERM" % rc
            results.append((name, None))
        except AssertionError as e:
            results.append((name, str(e)))


def run():
    """Run the registered tests, stop the adapters, print the summary, exit."""
    signal.signal(signal.SIGALRM, _alarm)
    results = []  # (name, None | failure message)
    skipped = 0
    for fn in _tests:
        name = fn.__name__
        signal.alarm(TEST_TIMEOUT)
        try:
            fn()
            results.append((name, None))
            print("ok   %s" % name, flush=True)
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
        except AssertionError as e:
            msg = str(e) or "assertion failed (no message): " + traceback.format_exc(limit=2)
            results.append((name, msg))
            print("FAIL %s: %s" % (name, msg), flush=True)
        except Exception as e:  # a test crashing is a failure too, with its traceback
            msg = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=4))
            results.append((name, msg))
            print("FAIL %s: %s" % (name, msg), flush=True)
        finally:
            signal.alarm(0)
    n = len(results)
    _stop_adapters(results)
    for name, msg in results[n:]:
        print(("ok   %s" % name) if msg is None else ("FAIL %s: %s" % (name, msg)), flush=True)
    failed = sum(1 for _, m in results if m is not None)
    passed = len(results) - failed
    for a in _adapters:
        if failed and a.proc is not None:
            print("---- %s stderr (%s), last lines:" % (a.name, a.stderr_path))
            print(tail(a.stderr_path))
        a.kill()
        if not failed:
            shutil.rmtree(a.tmp, ignore_errors=True)
    if skipped:
        print("(%d skipped)" % skipped)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


def _cleanup():
    for a in _adapters:
        a.kill()


import atexit  # noqa: E402  (kept next to its only use)
atexit.register(_cleanup)
