#!/usr/bin/env python3
"""40: HTTP/1.1 and TLS protocol: raw bytes in, exact status out. Contracts: src/http/parse.h,
src/http/server.h, src/http/url.h, /tmp/ma-cli.md (limits, timeouts, TLS), spec §1.1, §3, §4.4."""

import re
import socket
import ssl
import time

import harness
from harness import ANY, Adapter, Raw, assert_status, test

LINE_MAX, HEAD_MAX = 1024, 4096
A = Adapter("--max-request-line-bytes=%d" % LINE_MAX, "--max-header-bytes=%d" % HEAD_MAX,
            "--header-timeout=1s", "--idle-timeout=1s", "--handshake-timeout=1s",
            "--demo-slow-delay=1500ms", name="protocol")

CM = "/apis/custom.metrics.k8s.io/v1beta1"
EM = "/apis/external.metrics.k8s.io/v1beta1"
PODS = CM + "/namespaces/default/pods/%s/http_requests_per_second"
SLOW = EM + "/namespaces/default/demo_slow_queue"
MSG_405 = "the server does not allow this method on the requested resource"


def req(path="/healthz", method="GET", version="HTTP/1.1", headers=(("Host", "x"),), body=b""):
    head = "%s %s %s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % kv for kv in headers) + "\r\n"
    return head.encode("latin-1") + body


def one(data, head_only=False):
    """Send data on a new connection, return the first response and the connection."""
    c = Raw(A)
    c.send(data)
    return c.read_response(head_only=head_only), c


def expect_close(c, what, timeout=2.0):
    closed, extra = c.wait_closed(timeout)
    assert closed, "%s: connection still open %.1f s after the response" % (what, timeout)
    assert extra == b"", "%s: unexpected bytes after the response: %r" % (what, extra[:200])


def expect_error_and_close(data, status, what):
    """The server answers `status`, says Connection: close, and closes."""
    c = Raw(A)
    try:
        c.send(data)
        try:
            r = c.read_response()
        except harness.Closed as e:
            raise AssertionError("%s: closed without a %d response (%s)" % (what, status, e))
        assert r.status == status, "%s: status %d, want %d; body %r" % (what, r.status, status, r.body[:200])
        assert (r.header("Connection") or "").lower() == "close", \
            "%s: %d response lacks 'Connection: close' (headers %r)" % (what, status, r.headers)
        expect_close(c, what)
        return r
    finally:
        c.close()


def check_common_headers(r, what):
    assert r.header("Date"), "%s: no Date header" % what
    cl = r.header("Content-Length")
    assert cl is not None and cl.isdigit() and int(cl) == len(r.body), \
        "%s: Content-Length %r for %d body bytes" % (what, cl, len(r.body))
    assert len(r.header_all("Content-Length")) == 1, "%s: several Content-Length headers" % what


# ---- connection management -----------------------------------------------------------------

@test
def keep_alive_several_requests():
    with Raw(A) as c:
        for path, ctype, check in [("/healthz", "text/plain", b"ok"),
                                   (CM, "application/json", b'"groupVersion"'),
                                   ("/livez", "text/plain", b"ok"),
                                   (EM + "/namespaces/default/demo_queue_depth", "application/json",
                                    b'"demo_queue_depth"'),
                                   ("/readyz", "text/plain", b"ok")]:
            c.send(req(path))
            r = c.read_response()
            assert r.status == 200, "%s: status %d" % (path, r.status)
            assert check in r.body, "%s: body %r" % (path, r.body[:200])
            assert (r.header("Content-Type") or "").startswith(ctype), \
                "%s: Content-Type %r" % (path, r.header("Content-Type"))
            assert (r.header("Connection") or "").lower() != "close", "%s: Connection: close" % path
            check_common_headers(r, path)


@test
def pipelining_three_in_one_send():
    with Raw(A) as c:
        c.send(req("/healthz") + req(CM) + req(EM))
        r1, r2, r3 = c.read_response(), c.read_response(), c.read_response()
        assert (r1.status, r1.body) == (200, b"ok"), "1st: %r %r" % (r1, r1.body[:100])
        assert r2.status == 200 and r2.json().get("groupVersion") == "custom.metrics.k8s.io/v1beta1", \
            "2nd: %r %r" % (r2, r2.body[:200])
        assert r3.status == 200 and r3.json().get("groupVersion") == "external.metrics.k8s.io/v1beta1", \
            "3rd: %r %r" % (r3, r3.body[:200])


@test
def pipelining_fifty_in_one_send():
    with Raw(A) as c:
        paths = [("/healthz" if i % 2 else CM) for i in range(50)]
        c.send(b"".join(req(p) for p in paths))
        for i, p in enumerate(paths):
            r = c.read_response()
            assert r.status == 200, "response %d: %r" % (i, r)
            if p == "/healthz":
                assert r.body == b"ok", "response %d out of order: %r" % (i, r.body[:80])
            else:
                assert r.body.startswith(b"{"), "response %d out of order: %r" % (i, r.body[:80])


@test
def pipelined_fast_request_waits_for_slow_one():
    with Raw(A) as c:
        t0 = time.monotonic()
        c.send(req(SLOW) + req("/healthz"))
        # The event loop must keep serving others meanwhile.
        with Raw(A) as other:
            other.send(req("/healthz"))
            r = other.read_response()
            assert (r.status, r.body) == (200, b"ok")
            assert time.monotonic() - t0 < 1.2, \
                "another connection waited %.2f s behind the slow metric" % (time.monotonic() - t0)
        r1 = c.read_response(timeout=6)
        r2 = c.read_response()
        assert r1.status == 200 and b"demo_slow_queue" in r1.body, "1st: %r %r" % (r1, r1.body[:200])
        assert (r2.status, r2.body) == (200, b"ok"), "2nd: %r %r" % (r2, r2.body[:200])
        assert time.monotonic() - t0 >= 1.3, "slow metric answered before --demo-slow-delay"


@test
def inflight_request_outlives_idle_timeout():
    with Raw(A) as c:
        c.send(req(SLOW))  # 1.5 s of work > --idle-timeout=1s: not idle
        r = c.read_response(timeout=6)
        assert r.status == 200, "slow request: %r %r" % (r, r.body[:200])


@test
def http10_without_keep_alive_closes():
    r, c = one(b"GET /healthz HTTP/1.0\r\n\r\n")
    try:
        assert (r.status, r.body) == (200, b"ok"), "%r %r" % (r, r.body)
        expect_close(c, "HTTP/1.0")
    finally:
        c.close()


@test
def http10_keep_alive_stays_open():
    with Raw(A) as c:
        for _ in range(2):
            c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            assert (r.status, r.body) == (200, b"ok"), "%r %r" % (r, r.body)


@test
def http11_connection_close():
    r, c = one(req(headers=(("Host", "x"), ("Connection", "close"))))
    try:
        assert r.status == 200
        assert (r.header("Connection") or "").lower() == "close", "no Connection: close: %r" % r.headers
        expect_close(c, "Connection: close")
    finally:
        c.close()


@test
def leading_empty_line_and_bare_lf():
    r, c = one(b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    c.close()
    assert (r.status, r.body) == (200, b"ok"), "leading CRLF: %r %r" % (r, r.body)
    r, c = one(b"GET /healthz HTTP/1.1\nHost: x\n\n")
    c.close()
    assert (r.status, r.body) == (200, b"ok"), "bare LF: %r %r" % (r, r.body)


@test
def get_with_body_is_discarded():
    with Raw(A) as c:
        c.send(req("/healthz", headers=(("Host", "x"), ("Content-Length", "3")), body=b"abc")
               + req("/livez"))
        r1, r2 = c.read_response(), c.read_response()
        assert (r1.status, r1.body, r2.status, r2.body) == (200, b"ok", 200, b"ok"), (r1, r2)


# ---- methods and content negotiation -------------------------------------------------------

@test
def methods_405_status():
    for m in ["POST", "PUT", "DELETE", "PATCH"]:
        for path in [CM, PODS % "demo-web-0", EM + "/namespaces/default/demo_queue_depth"]:
            r, c = one(req(path, method=m, headers=(("Host", "x"), ("Content-Length", "0"))))
            c.close()
            assert r.status == 405, "%s %s: status %d" % (m, path, r.status)
            assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
            assert_status(r.body, 405, "MethodNotAllowed", MSG_405, ANY, "%s %s" % (m, path))


@test
def post_with_body_then_next_request():
    with Raw(A) as c:
        c.send(req(CM, method="POST", headers=(("Host", "x"), ("Content-Length", "5")), body=b"hello")
               + req("/healthz"))
        r = c.read_response()
        assert r.status == 405, r
        if (r.header("Connection") or "").lower() == "close":
            expect_close(c, "405 with Connection: close")
        else:
            r2 = c.read_response()
            assert (r2.status, r2.body) == (200, b"ok"), \
                "request after a POST body: %r %r (body not discarded?)" % (r2, r2.body[:100])


@test
def accept_406():
    for accept in ["application/xml", "text/html", "application/vnd.kubernetes.protobuf",
                   "application/yaml"]:
        for name in ["Accept", "accept"]:
            r, c = one(req(CM, headers=(("Host", "x"), (name, accept))))
            c.close()
            assert r.status == 406, "%s: %s: status %d" % (name, accept, r.status)
            assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
            assert_status(r.body, 406, "NotAcceptable",
                          re.compile(r"only the following media types are accepted: .+"), ANY, accept)


@test
def accept_json_forms_200():
    for accept in [None, "application/vnd.kubernetes.protobuf, */*", "*/*", "application/json",
                   "application/json, */*", "application/*", "application/json; charset=utf-8",
                   "application/json;as=Table;v=v1;g=meta.k8s.io, application/json",
                   "application/vnd.kubernetes.protobuf,application/json"]:
        hdrs = (("Host", "x"),) + ((("Accept", accept),) if accept else ())
        r, c = one(req(PODS % "%2A", headers=hdrs))
        c.close()
        assert r.status == 200, "Accept %r: status %d %r" % (accept, r.status, r.body[:200])
        assert r.header("Content-Type") == "application/json", \
            "Accept %r: Content-Type %r" % (accept, r.header("Content-Type"))
        assert r.json()["kind"] == "MetricValueList"


@test
def head_has_length_and_no_body():
    with Raw(A) as c:
        c.send(req(CM, method="HEAD") + req(CM) + req("/healthz", method="HEAD") + req("/healthz"))
        h = c.read_response(head_only=True)
        g = c.read_response()  # would fail to parse if HEAD had sent body bytes
        assert h.status == 200 and g.status == 200, (h, g)
        assert h.header("Content-Length") == str(len(g.body)), \
            "HEAD Content-Length %r, GET body %d bytes" % (h.header("Content-Length"), len(g.body))
        assert h.header("Content-Type") == g.header("Content-Type")
        h2 = c.read_response(head_only=True)
        g2 = c.read_response()
        assert h2.status == 200 and h2.header("Content-Length") == "2" and g2.body == b"ok", (h2, g2)
    # Nothing after a lone HEAD response either.
    r, c = one(req("/healthz", method="HEAD", headers=(("Host", "x"), ("Connection", "close"))),
               head_only=True)
    try:
        expect_close(c, "HEAD then close")
    finally:
        c.close()


# ---- malformed requests --------------------------------------------------------------------

@test
def malformed_request_line_400_close():
    for bad in [b"GET /healthz\r\n\r\n", b"GET  /healthz HTTP/1.1\r\n\r\n",
                b"GET /healthz HTTP/1.1 x\r\nHost: x\r\n\r\n", b"GET /healthz HTTX/1.1\r\n\r\n",
                b"G(T /healthz HTTP/1.1\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n",
                b"GET /healthz HTTP/1.x\r\n\r\n", b"GET\r\n\r\n"]:
        expect_error_and_close(bad, 400, repr(bad))


@test
def http2_version_505():
    expect_error_and_close(b"GET /healthz HTTP/2.0\r\n\r\n", 505, "HTTP/2.0")


@test
def bad_header_400_close():
    for bad in [b"Host x", b"Bad Name: v", b"Host : x", b"X-A: a\r\n b", b"X-A: a\x00b",
                b": empty-name", b"Content-Length: 1\r\nContent-Length: 2", b"Content-Length: abc",
                b"Content-Length: -1"]:
        data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + bad + b"\r\n\r\n"
        expect_error_and_close(data, 400, repr(bad))


@test
def transfer_encoding_501_close():
    expect_error_and_close(req(headers=(("Host", "x"), ("Transfer-Encoding", "chunked")),
                               body=b"0\r\n\r\n"), 501, "Transfer-Encoding: chunked")
    expect_error_and_close(req(headers=(("Host", "x"), ("Transfer-Encoding", "gzip, chunked")),
                               body=b"0\r\n\r\n"), 501, "Transfer-Encoding: gzip, chunked")


@test
def transfer_encoding_with_content_length_rejected():
    # parse.h: any Transfer-Encoding is 501, and TE with Content-Length is a syntax error (400);
    # both contracts apply, so either status is correct, but the connection must close.
    data = req(headers=(("Host", "x"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")),
               body=b"0\r\n\r\n")
    c = Raw(A)
    try:
        c.send(data)
        r = c.read_response()
        assert r.status in (400, 501), "TE + CL: status %d, want 400 or 501" % r.status
        expect_close(c, "TE + CL")
    finally:
        c.close()


# ---- limits ----------------------------------------------------------------------------------

def line_of(n):
    """A request line of exactly n bytes (without CRLF) for a path outside any prefix."""
    return "GET /" + "a" * (n - 14) + " HTTP/1.1"


@test
def request_line_at_limit_ok():
    line = line_of(LINE_MAX)
    assert len(line) == LINE_MAX
    r, c = one((line + "\r\nHost: x\r\n\r\n").encode())
    c.close()
    assert r.status == 404, "request line of exactly %d bytes: status %d, want 404" % (LINE_MAX, r.status)


@test
def request_line_over_limit_414():
    expect_error_and_close((line_of(LINE_MAX + 1) + "\r\nHost: x\r\n\r\n").encode(), 414, "line+1")


@test
def request_line_414_before_line_ends():
    t0 = time.monotonic()
    r = expect_error_and_close(("GET /" + "b" * (LINE_MAX + 200)).encode(), 414, "unterminated line")
    assert time.monotonic() - t0 < 0.9, "414 only after %.2f s" % (time.monotonic() - t0)
    assert r.status == 414


def head_of(n):
    """A GET /healthz head of exactly n bytes including the final CRLFCRLF."""
    pre, post = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ", "\r\n\r\n"
    return (pre + "p" * (n - len(pre) - len(post)) + post).encode()


@test
def head_at_limit_ok():
    h = head_of(HEAD_MAX)
    assert len(h) == HEAD_MAX
    r, c = one(h)
    c.close()
    assert (r.status, r.body) == (200, b"ok"), "head of exactly %d bytes: %r" % (HEAD_MAX, r)


@test
def head_over_limit_431():
    expect_error_and_close(head_of(HEAD_MAX + 1), 431, "head+1")


@test
def head_431_before_head_ends():
    t0 = time.monotonic()
    data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"q" * (HEAD_MAX + 500)
    expect_error_and_close(data, 431, "unterminated head")
    assert time.monotonic() - t0 < 0.9, "431 only after %.2f s" % (time.monotonic() - t0)


@test
def header_count_limit():
    ok = [("Host", "x")] + [("X-H%d" % i, "v") for i in range(99)]      # 100 header lines
    r, c = one(req(headers=ok))
    c.close()
    assert (r.status, r.body) == (200, b"ok"), "100 header lines: %r" % r
    expect_error_and_close(req(headers=ok + [("X-One-Too-Many", "v")]), 431, "101 header lines")


# ---- timeouts --------------------------------------------------------------------------------

@test
def slow_header_timeout():
    with Raw(A) as c:
        t0 = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHo")
        closed, got = c.wait_closed(3.5)
        dt = time.monotonic() - t0
        assert closed, "half a head: connection still open after 3.5 s (--header-timeout=1s)"
        assert dt >= 0.7, "closed after %.2f s, before the 1 s header timeout" % dt
        # ma-cli.md: "408 is sent first if some bytes of a head arrived".
        assert got.startswith(b"HTTP/1.1 408 "), "answer to a timed-out half head: %r, want a 408" % got[:100]


@test
def slowloris_drip_is_cut():
    with Raw(A) as c:
        t0 = time.monotonic()
        data = b"GET /healthz HTTP/1.1\r\nX-Drip: " + b"d" * 100
        closed = False
        for b in data:
            try:
                c.send(bytes([b]))
            except (OSError, ssl.SSLError):
                closed = True
                break
            if time.monotonic() - t0 > 3.5:
                break
            time.sleep(0.2)
        if not closed:
            closed, _ = c.wait_closed(0.5)
        dt = time.monotonic() - t0
        assert closed, "a head dripped one byte per 0.2 s was still open after %.1f s" % dt
        assert dt <= 3.5, "dripped head cut only after %.1f s" % dt


@test
def idle_timeout_closes_silently():
    with Raw(A) as c:
        c.send(req())
        assert c.read_response().status == 200
        t0 = time.monotonic()
        closed, got = c.wait_closed(3.5)
        dt = time.monotonic() - t0
        assert closed, "idle keep-alive connection still open after 3.5 s (--idle-timeout=1s)"
        assert dt >= 0.7, "idle connection closed after %.2f s, before the 1 s idle timeout" % dt
        assert got == b"", "bytes sent on idle close: %r" % got[:100]


@test
def silent_tls_connection_is_closed():
    with Raw(A) as c:
        closed, got = c.wait_closed(3.5)
        assert closed, "a TLS connection that never sent a request is still open after 3.5 s"
        assert got == b"", "bytes sent to a connection that never sent a request: %r" % got[:100]


@test
def handshake_timeout():
    s = socket.create_connection(("127.0.0.1", A.port), timeout=4)
    try:
        t0 = time.monotonic()
        data = b""
        while True:  # nothing was sent: the server must give up and close
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
        # A TLS alert record (close_notify) before closing is fine; anything else is not.
        assert data == b"" or data[:1] == b"\x15", "server sent %r to a silent TCP client" % data[:50]
        assert time.monotonic() - t0 < 3.5
    except socket.timeout:
        raise AssertionError("silent TCP connection still open after 4 s (--handshake-timeout=1s)")
    except ConnectionResetError:
        pass
    finally:
        s.close()


# ---- URL decoding ----------------------------------------------------------------------------

def get_body(path, status=200):
    r, c = one(req(path))
    c.close()
    assert r.status == status, "GET %s: status %d, want %d; %r" % (path, r.status, status, r.body[:300])
    return r.body


@test
def percent_encoded_star_is_star():
    sel = "?labelSelector=app%3Ddemo-web"
    b1 = get_body(PODS % "*" + sel)
    assert b1 == get_body(PODS % "%2A" + sel), "%2A differs from *"
    assert b1 == get_body(PODS % "%2a" + sel), "%2a differs from *"
    assert len(dict(harness.parse_ordered(b1))["items"]) == 3, "app=demo-web should give 3 items: %r" % b1[:300]
    n1 = get_body(PODS % "demo-web-0")
    assert n1 == get_body(PODS % "demo%2Dweb%2d0"), "percent-encoded name differs"
    assert n1 == get_body(CM.replace("custom", "%63ustom") + "/namespaces/default/pods/demo-web-0/"
                          "http_requests_per_second"), "percent-encoded group differs"


@test
def plus_in_query_is_space():
    a = get_body(PODS % "%2A" + "?labelSelector=app+in+%28demo-web%29")
    b = get_body(PODS % "%2A" + "?labelSelector=app%20in%20(demo-web)")
    c = get_body(PODS % "%2A" + "?labelSelector=app%3Ddemo-web")
    assert a == b == c, "'+' in a query value is not a space"
    d = get_body(PODS % "%2A" + "?labelSelector=app+in+%28demo-web%2Cdemo-worker%29%2Ctier%21%3Dbackend")
    assert d == c, "aggregator-encoded selector (url.Values.Encode) differs from app=demo-web"


@test
def plus_in_path_is_plus():
    body = get_body(PODS % "demo+web", status=404)
    msg = harness.parse_ordered(body)
    assert "demo+web" in dict(msg).get("message", ""), "path '+' decoded: %r" % body[:300]


@test
def bad_percent_encoding_400():
    for path in [PODS % "%zz", PODS % "demo%2", PODS % "a%00b"]:
        r, c = one(req(path))
        c.close()
        assert r.status == 400, "GET %s: status %d, want 400" % (path, r.status)


# ---- TLS ------------------------------------------------------------------------------------

# TLS versions, suites and ALPN are covered by 70-tls.py.


@test
def plain_http_on_tls_port():
    s = socket.create_connection(("127.0.0.1", A.port), timeout=3)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            raise AssertionError("plain HTTP on the TLS port: connection still open after 3 s")
        except ConnectionResetError:
            pass
        assert not data.startswith(b"HTTP/"), "plain HTTP got an HTTP answer on the TLS port"
    finally:
        s.close()
    r, c = one(req())
    c.close()
    assert r.status == 200, "adapter unhealthy after a plain-HTTP client"


if __name__ == "__main__":
    harness.run()
