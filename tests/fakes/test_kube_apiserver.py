#!/usr/bin/env python3
"""Self-test of the fake kube-apiserver (tests/fakes/kube_apiserver.py), talking to it over TLS
with http.client / ssl sockets, the kubectl command and its admin port. Last line:
"N passed, N failed"; exit status 1 on any failure. Run: python3 tests/fakes/test_kube_apiserver.py
[name-substring...]"""

import base64
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
import threading
import time
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kube_apiserver as K  # noqa: E402
from kube_apiserver import FakeKubeApiserver, go_json, make_custom_metric, make_pod  # noqa: E402
from fakeutil import run_self_tests  # noqa: E402

TEST_TIMEOUT = 90
_tests = []
_fakes = []


def test(fn):
    _tests.append(fn)
    return fn


def fake(**kw):
    f = FakeKubeApiserver(**kw)
    _fakes.append(f)
    return f


_shared = None


def shared():
    global _shared
    if _shared is None:
        _shared = fake(bookmark_interval=0.3)
    return _shared


# ---- clients ------------------------------------------------------------------------------------

def ctx_for(f, cert=None, key=None, check_hostname=True):
    c = ssl.create_default_context(cafile=f.ca_path)
    c.check_hostname = check_hostname
    if cert:
        c.load_cert_chain(cert, key)
    return c


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # {lower-name: value}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def call(f, path, method="GET", body=None, token=True, cert=None, key=None, host="127.0.0.1",
         headers=None, timeout=15.0, conn=None):
    """One request (new connection unless conn). token True: the fake's current token."""
    c = conn or http.client.HTTPSConnection(host, f.port, context=ctx_for(f, cert, key),
                                            timeout=timeout)
    h = {"Accept": "application/json"}
    if token is True:
        token = f.token
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    out = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    if conn is None:
        c.close()
    return out


def ok_json(f, path, **kw):
    r = call(f, path, **kw)
    assert r.status == 200, "%s: %r" % (path, r)
    return r.json()


def eq(got, want, what=""):
    assert got == want, "%s: got %r, want %r" % (what, got, want)


def status_bytes(code, reason, message, details=None, cont=None):
    return go_json(K.status_obj(code, reason, message, details, cont))


class EOFAtBoundary(Exception):
    pass


class EOFInChunk(Exception):
    pass


class Stream:
    """A raw TLS HTTP/1.1 request whose chunked body is read chunk by chunk."""

    def __init__(self, f, path, token=True, timeout=5.0, port=None):
        self.f = f
        s = socket.create_connection(("127.0.0.1", port or f.port), timeout=timeout)
        self.s = ctx_for(f).wrap_socket(s, server_hostname="localhost")
        self.buf = b""
        tok = f.token if token is True else token
        req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json\r\n" % (
            path, f.port)
        if tok:
            req += "Authorization: Bearer %s\r\n" % tok
        self.s.sendall((req + "\r\n").encode())
        head = self._until(b"\r\n\r\n", timeout)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for ln in lines[1:]:
            if ln:
                k, v = ln.split(":", 1)
                self.headers[k.strip().lower()] = v.strip()

    def _recv(self, deadline):
        self.s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            d = self.s.recv(1 << 20)
        except (ssl.SSLError, ConnectionResetError) as e:
            if "EOF" in str(e) or isinstance(e, ConnectionResetError):
                d = b""
            else:
                raise
        return d

    def _until(self, sep, timeout):
        deadline = time.monotonic() + timeout
        while sep not in self.buf:
            d = self._recv(deadline)
            if not d:
                raise EOFAtBoundary("eof before %r (have %r)" % (sep, self.buf[:200]))
            self.buf += d
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def chunk(self, timeout=5.0):
        """Next chunk's data; b"" for the terminating chunk; EOFAtBoundary / EOFInChunk;
        socket.timeout when nothing arrives."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            d = self._recv(deadline)
            if not d:
                if self.buf:
                    raise EOFInChunk("eof inside chunk head %r" % self.buf[:100])
                raise EOFAtBoundary("eof at chunk boundary")
            self.buf += d
        i = self.buf.index(b"\r\n")
        size = int(self.buf[:i], 16)
        while len(self.buf) < i + 2 + size + 2:
            d = self._recv(deadline)
            if not d:
                raise EOFInChunk("eof inside chunk of %d bytes (have %d)"
                                 % (size, len(self.buf) - i - 2))
            self.buf += d
        data = self.buf[i + 2:i + 2 + size]
        assert self.buf[i + 2 + size:i + 4 + size] == b"\r\n", "chunk not followed by CRLF"
        self.buf = self.buf[i + 4 + size:]
        if size == 0:
            self.buf = self.buf[2:] if self.buf.startswith(b"\r\n") else self.buf
        return data

    def event(self, timeout=5.0):
        """One chunk that must hold exactly one newline-terminated JSON event."""
        c = self.chunk(timeout)
        if c == b"":
            return None
        assert c.endswith(b"\n") and c.count(b"\n") == 1, "not one event line: %r" % c[:200]
        return json.loads(c)

    def events(self, n, timeout=5.0):
        return [self.event(timeout) for _ in range(n)]

    def no_chunk_within(self, seconds):
        try:
            c = self.chunk(seconds)
        except socket.timeout:
            return
        raise AssertionError("unexpected chunk %r" % c[:200])

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def names(items):
    return [i["metadata"]["name"] for i in items]


# ---- TLS and authentication ---------------------------------------------------------------------

@test
def tls_certificate_matches_ip_and_dns_names():
    f = shared()
    for host in ("127.0.0.1", "localhost"):
        s = socket.create_connection(("127.0.0.1", f.port), timeout=5)
        ss = ctx_for(f).wrap_socket(s, server_hostname=host)
        cert = ss.getpeercert()
        ss.close()
        san = cert["subjectAltName"]
        assert ("IP Address", "127.0.0.1") in san and ("DNS", "localhost") in san, san
    bad = socket.create_connection(("127.0.0.1", f.port), timeout=5)
    try:
        ctx_for(f).wrap_socket(bad, server_hostname="example.com")
        raise AssertionError("hostname example.com accepted")
    except ssl.SSLCertVerificationError:
        pass
    finally:
        bad.close()


@test
def unauthenticated_requests_get_401_status():
    f = shared()
    want = b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":' \
           b'"Unauthorized","reason":"Unauthorized","code":401}'
    for tok in (None, "wrong-token"):
        r = call(f, "/api/v1/pods", token=tok)
        eq(r.status, 401, "status with token %r" % tok)
        eq(r.body, want, "body")
        eq(r.headers.get("content-type"), "application/json", "content type")
    eq(call(f, "/api/v1/pods?limit=1").status, 200, "good token")
    f.anonymous = True
    try:
        r = call(f, "/api/v1/pods", token=None)
        eq(r.body, status_bytes(403, "Forbidden", 'pods is forbidden: User "system:anonymous" '
                                'cannot list resource "pods" in API group "" at the cluster scope',
                                {"kind": "pods"}), "anonymous")
        eq(call(f, "/api/v1/pods", token="wrong").status, 401, "bad token is not anonymous")
    finally:
        f.anonymous = False


@test
def client_certificate_from_client_ca_authenticates():
    f = shared()
    r = call(f, "/api/v1/namespaces?limit=1", token=None, cert=f.client_cert_path,
             key=f.client_key_path)
    eq(r.status, 200, "status")
    eq(f.requests[-1]["user"], "system:serviceaccount:kube-system:metrics-adapter", "user")
    cert, key = f.issue_client_cert("alice", ["devs"])
    eq(call(f, "/api/v1/namespaces", token=None, cert=cert, key=key).status, 200, "alice")
    eq(f.requests[-1]["user"], "alice", "user from CN")
    rc, rk = f.issue_client_cert("mallory", rogue=True)
    try:
        call(f, "/api/v1/namespaces", token=None, cert=rc, key=rk)
        raise AssertionError("certificate from an unknown CA accepted")
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        pass   # documented deviation: handshake failure instead of 401


@test
def rotate_token_with_grace_and_without():
    f = fake(admin=False)
    old = f.token
    new = f.rotate_token(grace=0.6)
    assert new != old
    eq(call(f, "/api/v1/namespaces", token=old).status, 200, "old token within grace")
    eq(call(f, "/api/v1/namespaces", token=new).status, 200, "new token")
    time.sleep(0.8)
    eq(call(f, "/api/v1/namespaces", token=old).status, 401, "old token after grace")
    tf = f.write_token_file()
    sa = f.write_serviceaccount_dir()
    eq(os.readlink(os.path.join(sa, "token")), "..data/token", "kubelet layout")
    first_data = os.readlink(os.path.join(sa, "..data"))
    newer = f.rotate_token()
    eq(call(f, "/api/v1/namespaces", token=new).status, 401, "token rotated without grace")
    eq(call(f, "/api/v1/namespaces", token=newer).status, 200, "newest token")
    eq(open(tf).read(), newer, "token file rewritten")
    eq(open(os.path.join(sa, "token")).read(), newer, "service-account token rewritten")
    eq(open(os.path.join(sa, "namespace")).read(), "kube-system", "namespace file")
    assert os.readlink(os.path.join(sa, "..data")) != first_data, "..data not swapped"
    assert not os.path.exists(os.path.join(sa, first_data)), "old data dir left"
    eq(f.incluster_env()["KUBERNETES_SERVICE_PORT"], str(f.port), "in-cluster env")


# ---- LIST ---------------------------------------------------------------------------------------

@test
def empty_list_has_the_real_shape():
    f = shared()
    f.ensure_namespace("t-empty")
    r = call(f, "/api/v1/namespaces/t-empty/pods")
    eq(r.status, 200, "status")
    eq(r.body, b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"%s"},'
               b'"items":[]}' % f.resource_version.encode(), "body")
    eq(r.headers.get("content-length"), str(len(r.body)), "small body has Content-Length")


@test
def list_10000_pods_in_pages_quickly():
    f = fake(admin=False)
    t0 = time.monotonic()
    f.generate_pods(10000, namespaces=("default", "prod"))
    gen = time.monotonic() - t0
    conn = http.client.HTTPSConnection("127.0.0.1", f.port, context=ctx_for(f), timeout=30)
    pages, cont = [], ""
    t0 = time.monotonic()
    while True:
        r = call(f, "/api/v1/pods?limit=500" + ("&continue=" + cont if cont else ""), conn=conn)
        assert r.status == 200, r
        pages.append(r)
        md = json.loads(r.body[:r.body.index(b',"items":')] + b"}")["metadata"]
        cont = md.get("continue")
        if not cont:
            break
    dt = time.monotonic() - t0
    t1 = time.monotonic()
    r = call(f, "/api/v1/pods", conn=conn)
    full_dt = time.monotonic() - t1
    conn.close()
    print("    generate 10000 pods %.2f s; 20 pages of 500 %.2f s; one LIST of %d bytes %.2f s"
          % (gen, dt, len(r.body), full_dt))
    eq(len(pages), 20, "pages")
    allitems, rvs = [], set()
    for i, p in enumerate(pages):
        d = p.json()
        eq(d["kind"], "PodList", "kind")
        eq(list(d["metadata"]), ["resourceVersion"] + (["continue", "remainingItemCount"]
                                                       if i < 19 else []), "list metadata keys")
        if i < 19:
            eq(d["metadata"]["remainingItemCount"], 10000 - 500 * (i + 1), "remainingItemCount")
        eq(p.headers.get("transfer-encoding"), "chunked", "big body is chunked")
        rvs.add(d["metadata"]["resourceVersion"])
        allitems += d["items"]
    eq(rvs, {f.resource_version}, "one RV for every page")
    eq(len(allitems), 10000, "items")
    assert all("kind" not in it and "apiVersion" not in it for it in allitems), "items carry kind"
    keys = ["%s/%s" % (i["metadata"]["namespace"], i["metadata"]["name"]) for i in allitems]
    eq(keys, sorted(set(keys)), "unique and in key order")
    eq(len(r.json()["items"]), 10000, "unpaginated LIST")
    p = [i for i in allitems if i["metadata"]["name"].endswith("-00003")][0]
    for field in (("spec", "nodeName"), ("status", "podIP"), ("status", "phase"),
                  ("metadata", "creationTimestamp"), ("metadata", "labels")):
        assert p[field[0]].get(field[1]), "pod lacks %s: %s" % (".".join(field), p)
    assert p["spec"]["hostname"] and p["spec"]["subdomain"], "pod 3 has hostname/subdomain"
    ready = [c for c in p["status"]["conditions"] if c["type"] == "Ready"]
    eq(ready[0]["status"], "True", "Ready condition")
    phases = {i["status"]["phase"] for i in allitems}
    eq(phases, {"Running", "Pending", "Succeeded", "Failed"}, "phase mix")
    assert dt < 2.0, "paginated LIST of 10000 pods took %.2f s" % dt


@test
def continue_pages_are_a_consistent_snapshot():
    f = shared()
    ns = "t-snap"
    for i in range(30):
        f.add_pod(ns, "p-%02d" % i, labels={"app": "a"})
    p1 = ok_json(f, "/api/v1/namespaces/%s/pods?limit=10" % ns)
    rv = p1["metadata"]["resourceVersion"]
    eq(names(p1["items"]), ["p-%02d" % i for i in range(10)], "page 1")
    f.set_labels(ns, "p-15", {"app": "changed"})
    f.delete("pods", ns, "p-20")
    f.add_pod(ns, "p-155")
    p2 = ok_json(f, "/api/v1/namespaces/%s/pods?limit=10&continue=%s"
                 % (ns, p1["metadata"]["continue"]))
    eq(p2["metadata"]["resourceVersion"], rv, "page 2 RV")
    eq(names(p2["items"]), ["p-%02d" % i for i in range(10, 20)], "page 2 (no p-155)")
    eq(p2["items"][5]["metadata"]["labels"], {"app": "a"}, "p-15 as of the snapshot")
    p3 = ok_json(f, "/api/v1/namespaces/%s/pods?limit=10&continue=%s"
                 % (ns, p2["metadata"]["continue"]))
    eq(names(p3["items"]), ["p-%02d" % i for i in range(20, 30)], "page 3 (p-20 still there)")
    assert "continue" not in p3["metadata"], "last page has no continue"
    now = ok_json(f, "/api/v1/namespaces/%s/pods" % ns)
    assert "p-155" in names(now["items"]) and "p-20" not in names(now["items"]), "fresh list"
    tok = json.loads(base64.urlsafe_b64decode(p1["metadata"]["continue"] + "=="))
    eq(tok, {"v": "meta.k8s.io/v1", "rv": int(rv), "start": "p-09\x00"}, "continue token")


@test
def expired_continue_gets_410_with_inconsistent_token():
    f = shared()
    ns = "t-expire"
    for i in range(6):
        f.add_pod(ns, "e-%d" % i)
    p1 = ok_json(f, "/api/v1/namespaces/%s/pods?limit=2" % ns)
    f.compact()      # compaction at the snapshot's own revision keeps it readable (etcd)
    eq(call(f, "/api/v1/namespaces/%s/pods?limit=2&continue=%s"
            % (ns, p1["metadata"]["continue"])).status, 200, "continue at the compaction RV")
    f.add_pod("t-expire-other", "x")
    f.compact()
    r = call(f, "/api/v1/namespaces/%s/pods?limit=2&continue=%s" % (ns, p1["metadata"]["continue"]))
    eq(r.status, 410, "status")
    d = r.json()
    eq((d["reason"], d["code"], d["message"]), ("Expired", 410, K.CONTINUE_EXPIRED_MSG), "Status")
    tok = json.loads(base64.urlsafe_b64decode(d["metadata"]["continue"] + "=="))
    eq((tok["rv"], tok["start"]), (-1, "e-1\x00"), "inconsistent token")
    f.add_pod(ns, "e-9")
    p2 = ok_json(f, "/api/v1/namespaces/%s/pods?limit=10&continue=%s"
                 % (ns, d["metadata"]["continue"]))
    eq(names(p2["items"]), ["e-2", "e-3", "e-4", "e-5", "e-9"], "inconsistent continuation")
    eq(p2["metadata"]["resourceVersion"], f.resource_version, "latest RV")
    r = call(f, "/api/v1/namespaces/%s/pods?continue=garbage!" % ns)
    eq((r.status, r.json()["reason"]), (400, "BadRequest"), "bad continue")
    r = call(f, "/api/v1/pods?continue=%s&resourceVersion=5" % p1["metadata"]["continue"])
    eq(r.status, 400, "continue with resourceVersion")


@test
def list_resource_version_semantics():
    f = fake(admin=False, too_large_rv_wait=0.4)
    for i in range(5):
        f.add_pod("default", "r-%d" % i)
    d = ok_json(f, "/api/v1/pods?resourceVersion=0&limit=2")
    eq((len(d["items"]), "continue" in d["metadata"]), (5, False), "RV=0 ignores limit")
    rv = int(f.resource_version)
    t0 = time.monotonic()
    r = call(f, "/api/v1/pods?resourceVersion=%d" % (rv + 5))
    eq(r.status, 504, "too large RV")
    assert 0.3 < time.monotonic() - t0 < 3, "waited %.2f s" % (time.monotonic() - t0)
    eq(r.body, status_bytes(504, "Timeout", "Timeout: Too large resource version: %d, current: %d"
                            % (rv + 5, rv), {"causes": [{"reason": "ResourceVersionTooLarge",
                                                         "message": "Too large resource version"}],
                                             "retryAfterSeconds": 1}), "504 body")
    threading.Timer(0.1, lambda: f.add_pod("default", "r-late")).start()
    d = ok_json(f, "/api/v1/pods?resourceVersion=%d" % (rv + 1))
    eq(len(d["items"]), 6, "waited for the RV")
    d = ok_json(f, "/api/v1/pods?resourceVersion=%d&resourceVersionMatch=Exact" % rv)
    eq((len(d["items"]), d["metadata"]["resourceVersion"]), (5, str(rv)), "Exact past RV")
    f.compact()
    r = call(f, "/api/v1/pods?resourceVersion=%d&resourceVersionMatch=Exact" % rv)
    eq((r.status, r.json()["reason"]), (410, "Expired"), "Exact compacted RV")


@test
def label_and_field_selectors():
    f = shared()
    ns = "t-sel"
    f.add_pod(ns, "a1", labels={"app": "a", "tier": "fe"}, node="n1")
    f.add_pod(ns, "a2", labels={"app": "a", "tier": "be"}, node="n2")
    f.add_pod(ns, "b1", labels={"app": "b"}, node="n1", phase="Pending")
    f.add_pod(ns, "c1", labels={"app": "c", "ver": "3"}, node="n2")
    cases = [("app=a", ["a1", "a2"]), ("app==a,tier=be", ["a2"]), ("app!=a", ["b1", "c1"]),
             ("app in (a,c)", ["a1", "a2", "c1"]), ("app notin (a)", ["b1", "c1"]),
             ("tier", ["a1", "a2"]), ("!tier", ["b1", "c1"]), ("ver>2", ["c1"]),
             ("", ["a1", "a2", "b1", "c1"]), ("app=zzz", [])]
    for sel, want in cases:
        d = ok_json(f, "/api/v1/namespaces/%s/pods?labelSelector=%s" % (ns, quote(sel)))
        eq(names(d["items"]), want, "selector %r" % sel)
    for fs, want in (("spec.nodeName=n1", ["a1", "b1"]), ("status.phase=Pending", ["b1"]),
                     ("metadata.name!=a1,spec.nodeName=n2", ["a2", "c1"])):
        d = ok_json(f, "/api/v1/namespaces/%s/pods?fieldSelector=%s" % (ns, quote(fs)))
        eq(names(d["items"]), want, "field selector %r" % fs)
    for bad in ("app=(", "app in ()", "=a", "a,", "app in (a"):
        r = call(f, "/api/v1/pods?labelSelector=" + quote(bad))
        eq((r.status, r.json()["reason"]), (400, "BadRequest"), "bad selector %r" % bad)
    r = call(f, "/api/v1/pods?fieldSelector=spec.foo%3Dx")
    eq(r.body, status_bytes(400, "BadRequest", "field label not supported: spec.foo"), "bad field")
    d = ok_json(f, "/api/v1/namespaces/%s/pods?labelSelector=app%%3Da&limit=1" % ns)
    eq(names(d["items"]), ["a1"], "selector page 1")
    assert "remainingItemCount" not in d["metadata"], "no remainingItemCount with a selector"
    d = ok_json(f, "/api/v1/namespaces/%s/pods?labelSelector=app%%3Da&limit=1&continue=%s"
                % (ns, d["metadata"]["continue"]))
    eq(names(d["items"]), ["a2"], "selector page 2")
    d = ok_json(f, "/api/v1/namespaces/%s/pods?labelSelector=app%%3Da&limit=1&continue=%s"
                % (ns, d["metadata"]["continue"]))
    eq((names(d["items"]), "continue" in d["metadata"]), ([], False), "empty last page")


@test
def namespaces_get_and_not_found():
    f = shared()
    d = ok_json(f, "/api/v1/namespaces")
    eq(d["kind"], "NamespaceList", "kind")
    assert {"default", "kube-system"} <= set(names(d["items"])), names(d["items"])
    ns = ok_json(f, "/api/v1/namespaces/default")
    eq((ns["kind"], ns["apiVersion"], ns["status"]["phase"]), ("Namespace", "v1", "Active"), "ns")
    f.add_pod("t-get", "g1")
    r = call(f, "/api/v1/namespaces/t-get/pods/g1")
    assert r.body.startswith(b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"g1",'), \
        r.body[:80]
    r = call(f, "/api/v1/namespaces/t-get/pods/nope")
    eq(r.body, status_bytes(404, "NotFound", 'pods "nope" not found',
                            {"name": "nope", "kind": "pods"}), "404 object")
    for p in ("/api/v1/widgets", "/apis/nope.io/v1/things", "/api/v2/pods", "/foo",
              "/api/v1/namespaces/default/pods/g1/exec/x"):
        r = call(f, p)
        eq(r.body, status_bytes(404, "NotFound", "the server could not find the requested resource",
                                {}), "404 route %s" % p)


@test
def custom_resources_namespaced_and_cluster_scoped():
    f = shared()
    f.add_resource("metrics.falcon", "v1alpha1", "custommetrics", "CustomMetric")
    f.add_resource("metrics.falcon", "v1alpha1", "clustercustommetrics", "ClusterCustomMetric",
                   namespaced=False)
    f.create(make_custom_metric("t-cr", "qps", {"counter": "qps", "aggregate": "sum"}))
    f.create(make_custom_metric("t-cr", "lat", {"counter": "latency"}))
    f.create(make_custom_metric(None, "global", {"counter": "x"}, kind="ClusterCustomMetric"))
    r = call(f, "/apis/metrics.falcon/v1alpha1/namespaces/t-cr/custommetrics")
    d = json.loads(r.body)
    eq(list(d), ["apiVersion", "items", "kind", "metadata"], "sorted list keys")
    eq((d["kind"], d["apiVersion"]), ("CustomMetricList", "metrics.falcon/v1alpha1"), "list kind")
    eq(names(d["items"]), ["lat", "qps"], "items")
    it = d["items"][1]
    eq(list(it), ["apiVersion", "kind", "metadata", "spec"], "item keys sorted, with kind")
    eq((it["kind"], it["metadata"]["generation"]), ("CustomMetric", 1), "kind/generation")
    assert r.body == go_json(d, sort_keys=True), "not compact sorted JSON"
    d = ok_json(f, "/apis/metrics.falcon/v1alpha1/custommetrics")
    eq(names(d["items"]), ["lat", "qps"], "all namespaces")
    d = ok_json(f, "/apis/metrics.falcon/v1alpha1/clustercustommetrics")
    eq(names(d["items"]), ["global"], "cluster scoped")
    eq(call(f, "/apis/metrics.falcon/v1alpha1/namespaces/x/clustercustommetrics").status, 404,
       "cluster-scoped under a namespace")
    f.patch("custommetrics.metrics.falcon", "t-cr", "qps", lambda o: o["spec"].update(counter="q2"))
    eq(f.get("custommetrics.metrics.falcon", "t-cr", "qps")["metadata"]["generation"], 2,
       "generation bumped by a spec change")
    f.set_labels("t-cr", "qps", {"x": "y"}, resource="custommetrics.metrics.falcon")
    eq(f.get("custommetrics.metrics.falcon", "t-cr", "qps")["metadata"]["generation"], 2,
       "generation kept on a metadata change")
    disc = ok_json(f, "/apis/metrics.falcon/v1alpha1")
    eq(sorted(x["name"] for x in disc["resources"]), ["clustercustommetrics", "custommetrics"],
       "discovery")


# ---- WATCH --------------------------------------------------------------------------------------

@test
def watch_streams_one_event_per_chunk():
    f = shared()
    ns = "t-watch"
    f.add_pod(ns, "w0")
    rv = ok_json(f, "/api/v1/namespaces/%s/pods" % ns)["metadata"]["resourceVersion"]
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    eq((s.status, s.headers.get("transfer-encoding"), s.headers.get("content-type")),
       (200, "chunked", "application/json"), "watch response head")
    f.add_pod(ns, "w1", labels={"app": "x"})
    f.set_labels(ns, "w1", {"app": "y"})
    f.delete("pods", ns, "w1")
    f.add_pod("other-ns", "w9")
    evs = s.events(3)
    eq([e["type"] for e in evs], ["ADDED", "MODIFIED", "DELETED"], "types")
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
    assert rvs == sorted(rvs) and rvs[0] > int(rv), rvs
    eq((evs[0]["object"]["kind"], evs[0]["object"]["apiVersion"]), ("Pod", "v1"), "object kind")
    eq(evs[1]["object"]["metadata"]["labels"], {"app": "y"}, "modified labels")
    s.no_chunk_within(0.4)
    s.close()
    s = Stream(f, "/api/v1/watch/namespaces/%s/pods?resourceVersion=%s" % (ns, rv))
    eq([e["type"] for e in s.events(3)], ["ADDED", "MODIFIED", "DELETED"], "legacy watch path")
    s.close()
    s = Stream(f, "/api/v1/namespaces/%s/pods/w0?watch=true&resourceVersion=%s" % (ns, rv))
    f.set_labels(ns, "w0", {"k": "v"})
    e = s.event()
    eq((e["type"], e["object"]["metadata"]["name"]), ("MODIFIED", "w0"), "single-object watch")
    s.close()


@test
def watch_without_rv_starts_with_synthetic_added():
    f = shared()
    ns = "t-synth"
    for n in ("s1", "s2", "s3"):
        f.add_pod(ns, n)
    for q in ("", "&resourceVersion=0"):
        s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1%s" % (ns, q))
        evs = s.events(3)
        eq([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
           [("ADDED", "s1"), ("ADDED", "s2"), ("ADDED", "s3")], "initial state %r" % q)
        f.add_pod(ns, "s4" + q[-1:])
        eq(s.event()["type"], "ADDED", "live event")
        s.close()


@test
def watch_selector_transitions_become_added_and_deleted():
    f = shared()
    ns = "t-trans"
    f.add_pod(ns, "t1", labels={"app": "a"})
    rv = f.resource_version
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&labelSelector=app%%3Da&resourceVersion=%s"
               % (ns, rv))
    f.set_labels(ns, "t1", {"app": "b"})
    f.set_labels(ns, "t1", {"app": "c"})
    f.set_labels(ns, "t1", {"app": "a"})
    f.set_labels(ns, "t1", {"app": "a", "x": "1"})
    evs = s.events(3)
    eq([e["type"] for e in evs], ["DELETED", "ADDED", "MODIFIED"], "transitions")
    eq(evs[0]["object"]["metadata"]["labels"], {"app": "b"}, "DELETED carries the new state")
    s.close()


@test
def watch_resumes_from_history_and_410_when_too_old():
    f = fake(admin=False, history=20)
    f.add_pod("default", "h0")
    rv0 = int(f.resource_version)
    for i in range(5):
        f.set_labels("default", "h0", {"i": str(i)})
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%d" % rv0)
    evs = s.events(5)
    eq([e["object"]["metadata"]["labels"]["i"] for e in evs], list("01234"), "replayed history")
    s.close()
    for i in range(30):
        f.set_labels("default", "h0", {"j": str(i)})
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%d" % rv0)
    eq(s.status, 200, "410 comes inside a 200 stream")
    floor = f._floor
    c = s.chunk()
    eq(c, b'{"type":"ERROR","object":' + status_bytes(410, "Expired", "too old resource version: "
                                                      "%d (%d)" % (rv0, floor)) + b"}\n", "ERROR")
    eq(s.chunk(), b"", "stream ends after the ERROR event")
    s.close()
    cur = f.resource_version
    f.compact()
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%d" % (int(cur) - 1))
    eq(s.event()["object"]["code"], 410, "after compact()")
    s.close()
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % cur)
    f.add_pod("default", "h1")
    eq(s.event()["type"], "ADDED", "watch from the compaction RV works")
    s.close()


@test
def bookmarks_only_when_asked():
    f = shared()
    ns = "t-bm"
    f.add_pod(ns, "b1")
    rv = f.resource_version
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
               % (ns, rv))
    c = s.chunk(3)
    cur = f.resource_version
    eq(c, b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":'
          b'{"resourceVersion":"%s","creationTimestamp":null},"spec":{"containers":null},'
          b'"status":{}}}\n' % cur.encode(), "pod bookmark")
    s.close()
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    s.no_chunk_within(1.0)
    s.close()
    f.add_resource("metrics.falcon", "v1alpha1", "custommetrics", "CustomMetric")
    s = Stream(f, "/apis/metrics.falcon/v1alpha1/custommetrics?watch=1&allowWatchBookmarks=1"
               "&resourceVersion=%s" % rv)
    e = s.event(3)
    eq(e, {"type": "BOOKMARK", "object": {"apiVersion": "metrics.falcon/v1alpha1",
                                          "kind": "CustomMetric", "metadata": {
                                              "resourceVersion": f.resource_version}}},
       "CR bookmark")
    s.close()


@test
def send_initial_events_end_with_annotated_bookmark():
    f = shared()
    ns = "t-wl"
    f.add_pod(ns, "i1")
    f.add_pod(ns, "i2")
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks="
               "true&resourceVersionMatch=NotOlderThan" % ns)
    evs = s.events(3)
    eq([e["type"] for e in evs], ["ADDED", "ADDED", "BOOKMARK"], "initial events")
    eq(evs[2]["object"]["metadata"]["annotations"], {"k8s.io/initial-events-end": "true"}, "end")
    s.close()
    r = call(f, "/api/v1/pods?watch=1&sendInitialEvents=true")
    eq(r.status, 422, "sendInitialEvents without its companions")


@test
def watch_timeout_ends_stream_cleanly_and_connection_is_reusable():
    f = shared()
    t0 = time.monotonic()
    s = Stream(f, "/api/v1/namespaces/t-to/pods?watch=1&timeoutSeconds=1&resourceVersion=%s"
               % f.resource_version)
    eq(s.chunk(4), b"", "terminating chunk")
    dt = time.monotonic() - t0
    assert 0.9 <= dt < 2.5, "ended after %.2f s" % dt
    s.s.sendall(b"GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
                b"\r\n\r\n" % f.token.encode())
    head = s._until(b"\r\n\r\n", 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    s.close()


@test
def drop_watches_at_boundary_and_mid_chunk():
    f = shared()
    ns = "t-drop"
    rv = f.resource_version
    a = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    b = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    assert f.wait_watches(2) >= 2
    f.add_pod(ns, "d1")
    a.event()
    b.event()
    f.drop_watches(mid_chunk=False)
    try:
        a.chunk(3)
        raise AssertionError("stream continued after drop")
    except EOFAtBoundary:
        pass
    c = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    c.event()
    f.drop_watches(mid_chunk=True)
    for st in (c,):
        try:
            st.chunk(3)
            raise AssertionError("stream continued after mid-chunk drop")
        except EOFInChunk:
            pass
    a.close()
    b.close()
    c.close()
    deadline = time.monotonic() + 3
    while f.active_watches() and time.monotonic() < deadline:
        time.sleep(0.05)
    eq(f.active_watches(), 0, "watches left")


@test
def closed_watch_clients_are_noticed():
    f = shared()
    s = Stream(f, "/api/v1/namespaces/t-gone/pods?watch=1&resourceVersion=%s" % f.resource_version)
    assert f.wait_watches(1) >= 1
    s.close()
    deadline = time.monotonic() + 3
    while f.active_watches() and time.monotonic() < deadline:
        time.sleep(0.05)
    eq(f.active_watches(), 0, "watch still registered after the client left")


@test
def inject_malformed_events():
    f = shared()
    ns = "t-inject"
    rv = f.resource_version
    s = Stream(f, "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv))
    assert f.wait_watches(1) >= 1
    f.inject("invalid-json")
    c = s.chunk()
    try:
        json.loads(c)
        raise AssertionError("invalid-json is valid: %r" % c)
    except ValueError:
        pass
    f.inject("unknown-type")
    eq(s.event()["type"], "RESYNC", "unknown type")
    f.inject("wrong-kind")
    eq(s.event()["object"]["kind"], "Service", "wrong kind")
    f.inject("missing-object")
    assert "object" not in s.event()
    f.inject("bad-fields")
    eq(s.event()["object"]["metadata"]["labels"], ["a", "b"], "bad fields")
    f.inject("raw", raw=b'{"type":"ADDED","object":{}}\n')
    eq(s.event(), {"type": "ADDED", "object": {}}, "raw")
    f.add_pod(ns, "after")
    eq(s.event()["object"]["metadata"]["name"], "after", "stream goes on")
    f.inject("error-410")
    e = s.event()
    eq((e["type"], e["object"]["code"], e["object"]["reason"]), ("ERROR", 410, "Expired"), "410")
    eq(s.chunk(), b"", "stream ends after an injected ERROR")
    s.close()


@test
def watch_chunking_modes_and_a_2mb_event():
    f = fake(admin=False)
    f.watch_chunk_max = 7
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % f.resource_version)
    f.add_pod("default", "split")
    data = b""
    while not data.endswith(b"\n"):
        c = s.chunk()
        assert 0 < len(c) <= 7, c
        data += c
    eq(json.loads(data)["object"]["metadata"]["name"], "split", "split event")
    s.close()
    f.watch_chunk_max = 0
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % f.resource_version)
    big = "x" * (2 * 1024 * 1024)
    f.add_pod("default", "big", annotations={"big": big, "html": "<a&b>"})
    c = s.chunk(10)
    assert len(c) > 2 * 1024 * 1024, len(c)
    assert b'"html":"\\u003ca\\u0026b\\u003e"' in c, "Go HTML-safe escaping"
    eq(json.loads(c)["object"]["metadata"]["annotations"]["big"], big, "2 MB event")
    s.close()


@test
def large_bodies_are_chunked_consistently():
    f = fake(admin=False)
    big = "y" * (2 * 1024 * 1024 + 17)
    f.add_pod("default", "a-small")
    f.add_pod("default", "b-big", annotations={"big": big})
    f.add_pod("default", "c-small")
    for size in (1000, 4093, 32768):
        f.body_chunk_size = size
        s = Stream(f, "/api/v1/namespaces/default/pods")
        eq(s.headers.get("transfer-encoding"), "chunked", "chunked")
        body = b""
        while True:
            c = s.chunk()
            if not c:
                break
            assert len(c) <= size + 4 * 1024, "chunk of %d bytes for size %d" % (len(c), size)
            body += c
        s.close()
        d = json.loads(body)
        eq(names(d["items"]), ["a-small", "b-big", "c-small"], "items (chunk size %d)" % size)
        eq(d["items"][1]["metadata"]["annotations"]["big"], big, "2 MB item")
        r = call(f, "/api/v1/namespaces/default/pods/b-big")
        eq(r.json()["metadata"]["annotations"]["big"], big, "2 MB GET")


# ---- faults, restart, accounting ----------------------------------------------------------------

@test
def restart_keeps_state_or_resets_history():
    f = fake(admin=False)
    f.add_pod("default", "k1")
    rv = f.resource_version
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % rv)
    assert f.wait_watches(1) >= 1
    f.stop()
    try:
        s.chunk(3)
        raise AssertionError("watch survived stop()")
    except (EOFAtBoundary, EOFInChunk):
        pass
    s.close()
    try:
        socket.create_connection(("127.0.0.1", f.port), timeout=2).close()
        raise AssertionError("port still accepts while stopped")
    except ConnectionRefusedError:
        pass
    f.add_pod("default", "k2")         # written "to etcd" while the server is down
    f.start()
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % rv)
    eq(s.event()["object"]["metadata"]["name"], "k2", "resumed after restart")
    s.close()
    f.restart(reset=True)
    s = Stream(f, "/api/v1/pods?watch=1&resourceVersion=%s" % rv)
    eq(s.event()["object"]["code"], 410, "resume after reset")
    s.close()
    eq(names(ok_json(f, "/api/v1/pods")["items"]), ["k1", "k2"], "objects kept")
    f.restart(wipe=True)
    eq(ok_json(f, "/api/v1/pods")["items"], [], "wiped")


@test
def fail_next_and_delay():
    f = shared()
    f.fail_next(2, code=503)
    for _ in range(2):
        r = call(f, "/api/v1/namespaces")
        eq((r.status, r.headers.get("retry-after"), r.json()["reason"]),
           (503, "1", "ServiceUnavailable"), "503")
    eq(call(f, "/api/v1/namespaces").status, 200, "after the failures")
    f.fail_next(1, code=500, path="/api/v1/pods")
    eq(call(f, "/api/v1/namespaces").status, 200, "other path unaffected")
    r = call(f, "/api/v1/pods")
    eq(r.body, status_bytes(500, "InternalError", "Internal error occurred: fake failure",
                            {"causes": [{"message": "fake failure"}]}), "500")
    f.fail_next(1, code=429)
    r = call(f, "/api/v1/pods")
    eq((r.status, r.json()["details"]), (429, {"retryAfterSeconds": 1}), "429")
    f.delay(0.5, count=1, path="/api/v1/namespaces")
    t0 = time.monotonic()
    call(f, "/api/v1/namespaces")
    assert time.monotonic() - t0 >= 0.5, "not delayed"
    t0 = time.monotonic()
    call(f, "/api/v1/namespaces")
    assert time.monotonic() - t0 < 0.4, "delayed twice"
    f.forbidden.add("pods")
    r = call(f, "/api/v1/namespaces/default/pods")
    f.forbidden.discard("pods")
    eq(r.json()["message"], 'pods is forbidden: User "system:serviceaccount:kube-system:'
       'metrics-adapter" cannot list resource "pods" in API group "" in the namespace "default"',
       "403")


@test
def request_counts_per_path_and_verb():
    f = shared()
    f.reset_counts()
    for _ in range(3):
        call(f, "/api/v1/pods?limit=1")
    s = Stream(f, "/api/v1/pods?watch=1&timeoutSeconds=1&resourceVersion=%s" % f.resource_version)
    call(f, "/api/v1/namespaces/default/pods/nope")
    eq(f.counts().get("/api/v1/pods"), 4, "per path")
    eq((f.count(verb="list"), f.count(verb="watch"), f.count(verb="get")), (3, 1, 1), "verbs")
    eq(f.count(prefix="/api/v1/namespaces/default"), 1, "prefix")
    s.close()


@test
def http_create_update_delete():
    f = shared()
    base = "/api/v1/namespaces/t-crud/pods"
    f.ensure_namespace("t-crud")
    pod = make_pod("t-crud", "c1", node="n1", ip="10.9.9.9")
    r = call(f, base, method="POST", body=pod)
    eq(r.status, 201, "create")
    got = r.json()
    assert got["metadata"]["uid"] and got["metadata"]["resourceVersion"], got["metadata"]
    r = call(f, base, method="POST", body=pod)
    eq(r.body, status_bytes(409, "AlreadyExists", 'pods "c1" already exists',
                            {"name": "c1", "kind": "pods"}), "conflict")
    stale = dict(got, metadata=dict(got["metadata"], resourceVersion="1"))
    eq(call(f, base + "/c1", method="PUT", body=stale).json()["reason"], "Conflict", "stale PUT")
    got["metadata"]["labels"] = {"app": "put"}
    r = call(f, base + "/c1", method="PUT", body=got)
    eq((r.status, r.json()["metadata"]["labels"]), (200, {"app": "put"}), "PUT")
    eq(call(f, base + "/c1", method="DELETE").status, 200, "DELETE")
    eq(call(f, base + "/c1").status, 404, "gone")
    eq(call(f, "/api/v1/namespaces/nowhere/pods", method="POST", body=pod).status, 404,
       "namespace missing")


@test
def kubeconfig_written_by_kubectl_works_with_kubectl():
    f = shared()
    f.add_pod("t-kc", "kc1")
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    for auth, kw in (("token", {}), ("cert", {}), ("tokenfile", {}), ("token", {"embed": True}),
                     ("cert", {"embed": True, "server": "https://localhost:%d" % f.port})):
        path = os.path.join(f.dir, "kc-%s-%d" % (auth, len(kw)))
        f.write_kubeconfig(path, auth=auth, **kw)
        text = open(path).read()
        assert "current-context: fake" in text, text
        p = subprocess.run(["kubectl", "--kubeconfig", path, "get", "--raw",
                            "/api/v1/namespaces/t-kc/pods"], capture_output=True, env=env,
                           timeout=30)
        assert p.returncode == 0, "%s %s: %s" % (auth, kw, p.stderr.decode())
        eq(names(json.loads(p.stdout)["items"]), ["kc1"], "kubectl get --raw (%s)" % auth)
    p = subprocess.run(["kubectl", "--kubeconfig", path, "get", "pods", "-n", "t-kc", "-o", "name"],
                       capture_output=True, env=env, timeout=30)
    eq((p.returncode, p.stdout.strip()), (0, b"pod/kc1"), "kubectl get pods (discovery): %s"
       % p.stderr.decode()[-500:])


@test
def admin_endpoint_drives_the_fake():
    f = shared()

    def admin(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", f.admin_port, timeout=10)
        c.request(method, path, body=json.dumps(body) if body is not None else None)
        r = c.getresponse()
        d = r.read()
        c.close()
        assert r.status == 200, "%s %s: %d %r" % (method, path, r.status, d)
        return json.loads(d)

    st = admin("GET", "/state")
    eq((st["port"], st["ca"], st["token"]), (f.port, f.ca_path, f.token), "state")
    admin("POST", "/requests/reset")
    admin("POST", "/fail?code=500&count=1")
    eq(call(f, "/api/v1/namespaces").status, 500, "admin fail")
    eq(admin("GET", "/requests")["counts"], {"/api/v1/namespaces": 1}, "admin counts")
    eq(admin("GET", "/requests?verb=list")["count"], 0, "failed before routing: no verb")
    admin("PUT", "/objects", make_pod("t-admin", "ad1"))
    admin("POST", "/objects/labels", {"namespace": "t-admin", "name": "ad1", "labels": {"a": "b"}})
    eq(f.get("pods", "t-admin", "ad1")["metadata"]["labels"], {"a": "b"}, "labels via admin")
    s = Stream(f, "/api/v1/namespaces/t-admin/pods?watch=1&resourceVersion=%s" % f.resource_version)
    assert f.wait_watches(1) >= 1
    eq(admin("POST", "/inject?kind=wrong-kind")["reached"] >= 1, True, "inject reached")
    eq(s.event()["object"]["kind"], "Service", "admin inject")
    admin("POST", "/objects/delete", {"namespace": "t-admin", "name": "ad1"})
    eq(s.event()["type"], "DELETED", "delete via admin")
    admin("POST", "/drop-watches?mid_chunk=1")
    try:
        s.chunk(3)
        raise AssertionError("not dropped")
    except EOFInChunk:
        pass
    s.close()
    old = f.token
    tok = admin("POST", "/rotate-token")["token"]
    eq((call(f, "/api/v1/namespaces", token=old).status,
        call(f, "/api/v1/namespaces", token=tok).status), (401, 200), "rotate via admin")
    admin("POST", "/restart?down=0.6")
    try:
        socket.create_connection(("127.0.0.1", f.port), timeout=2).close()
        raise AssertionError("port accepts during the down time")
    except ConnectionRefusedError:
        pass
    deadline = time.monotonic() + 5
    while not f.running and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    eq(call(f, "/api/v1/namespaces").status, 200, "back after restart")
    n = admin("POST", "/pods/generate?count=5&namespaces=t-gen")["created"]
    eq(n, 5, "generated")
    eq(len(ok_json(f, "/api/v1/namespaces/t-gen/pods")["items"]), 5, "generated pods listed")


@test
def extension_auth_configmap_tokenreview_and_sar():
    f = shared()
    f.set_extension_auth_configmap(uid_headers=[])
    cm = ok_json(f, "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
    eq(cm["kind"], "ConfigMap", "kind")
    d = cm["data"]
    eq(json.loads(d["requestheader-allowed-names"]), ["front-proxy-client"], "allowed names")
    eq(json.loads(d["requestheader-username-headers"]), ["X-Remote-User"], "user headers")
    eq(json.loads(d["requestheader-uid-headers"]), [], "uid headers")
    assert d["client-ca-file"] == open(f.client_ca_path).read()
    assert d["requestheader-client-ca-file"].startswith("-----BEGIN CERTIFICATE-----")
    assert os.path.exists(f.front_proxy_client_cert_path)
    f.tokenreview_users["good-jwt"] = {"username": "system:serviceaccount:kube-system:hpa",
                                       "uid": "u-1", "groups": ["system:serviceaccounts"]}
    tr = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
          "spec": {"token": "good-jwt"}}
    r = call(f, "/apis/authentication.k8s.io/v1/tokenreviews", method="POST", body=tr)
    eq(r.status, 201, "TokenReview status")
    st = r.json()["status"]
    eq((st["authenticated"], st["user"]["username"], st["user"]["groups"][-1]),
       (True, "system:serviceaccount:kube-system:hpa", "system:authenticated"), "review")
    tr["spec"]["token"] = "bad"
    st = call(f, "/apis/authentication.k8s.io/v1/tokenreviews", method="POST",
              body=tr).json()["status"]
    assert "authenticated" not in st and st["error"], st
    eq(len(f.tokenreviews), 2, "reviews logged")
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "u", "resourceAttributes": {"verb": "get", "resource": "pods"}}}
    st = call(f, "/apis/authorization.k8s.io/v1/subjectaccessreviews", method="POST",
              body=sar).json()["status"]
    eq(st["allowed"], True, "default allow")
    f.sar_hook = lambda spec: (False, "no RBAC for " + spec["user"])
    st = call(f, "/apis/authorization.k8s.io/v1/subjectaccessreviews", method="POST",
              body=sar).json()["status"]
    f.sar_hook = None
    eq(st, {"allowed": False, "reason": "no RBAC for u"}, "hooked deny")
    eq(call(f, "/apis/authorization.k8s.io/v1/subjectaccessreviews").status, 405, "GET SAR")


@test
def runs_as_a_script():
    kc = os.path.join(tempfile.mkdtemp(prefix="fake-kube-test-"), "kubeconfig")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "kube_apiserver.py"), "--pods", "50",
                          "--kubeconfig", kc, "--custom-resource",
                          "metrics.falcon/v1alpha1/custommetrics/CustomMetric"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline()
        info = json.loads(line)
        c = http.client.HTTPSConnection("127.0.0.1", info["port"],
                                        context=ssl.create_default_context(cafile=info["ca"]),
                                        timeout=10)
        c.request("GET", "/api/v1/pods", headers={"Authorization": "Bearer " + info["token"]})
        r = c.getresponse()
        eq((r.status, len(json.loads(r.read())["items"])), (200, 50), "script serves pods")
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", info["admin_port"], timeout=10)
        c.request("GET", "/state")
        eq(json.loads(c.getresponse().read())["port"], info["port"], "admin /state")
        c.close()
        assert os.path.exists(info["kubeconfig"])
        p.send_signal(signal.SIGTERM)
        eq(p.wait(10), 0, "exit status after SIGTERM")
        assert not os.path.exists(info["dir"]), "temp dir left behind"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(os.path.dirname(kc), ignore_errors=True)


# ---- runner -------------------------------------------------------------------------------------

def main(argv):
    return run_self_tests(_tests, _fakes, argv, TEST_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
