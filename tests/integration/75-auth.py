#!/usr/bin/env python3
"""75: authentication and authorization like an aggregated API server (issue 5; spec 5.4-5.7).

metrics-adapter --demo --kubeconfig --authorization-mode=Delegated against the fake
kube-apiserver, which serves the kube-system/extension-apiserver-authentication ConfigMap (with a
front-proxy CA and the front-proxy-client certificate), TokenReview and SubjectAccessReview with
scriptable answers. Client certificates are made here with the openssl command (expired, wrong
usage, other CA, CN not allowed). Every SubjectAccessReview the adapter posts is checked field by
field against the spec's table."""

import atexit
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

import harness  # noqa: E402
from harness import Adapter, assert_status, test, tls_context  # noqa: E402
from kube_apiserver import FakeKubeApiserver  # noqa: E402
from tlsutil import run_adapter_expect_exit  # noqa: E402

TTL = 2.0  # the adapter's SAR cache TTLs (allowed and denied) in this file
CM1 = "/apis/custom.metrics.k8s.io/v1beta1"
CM2 = "/apis/custom.metrics.k8s.io/v1beta2"
EM = "/apis/external.metrics.k8s.io/v1beta1"
HPA = "system:serviceaccount:kube-system:horizontal-pod-autoscaler"
UNAUTHORIZED = ("Unauthorized", "Unauthorized")

F = FakeKubeApiserver(key_type="ec")
atexit.register(F.close)
F.set_extension_auth_configmap(uid_headers=["X-Remote-Uid"])
for _i in range(2):
    F.add_pod("default", "web-%d" % _i, labels={"app": "web"}, node="node-0", ip="10.0.0.%d" % (_i + 1))
TOK = F.add_token("it-auth-adapter-token-0123456789", user="system:serviceaccount:kube-system:ma")
KC = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-auth"), auth="token", token=TOK)

DENY = set()       # users the fake SAR denies ("reason" below)
DENY_REASON = "RBAC: no rule"


def sar_hook(spec):
    if spec.get("user") in DENY:
        return (False, DENY_REASON)
    return True


F.sar_hook = sar_hook
F.tokenreview_users["good-token"] = {
    "username": "system:serviceaccount:team:reader", "uid": "uid-77",
    "groups": ["system:serviceaccounts", "system:serviceaccounts:team"],
    "extra": {"authentication.kubernetes.io/credential-id": ["JTI=abc"]}}

A = Adapter("--kubeconfig=" + KC, "--authorization-mode=Delegated",
            "--authorization-webhook-cache-authorized-ttl=%ds" % TTL,
            "--authorization-webhook-cache-unauthorized-ttl=%ds" % TTL, "--v=2", name="delegated")

# ---- certificates --------------------------------------------------------------------------------

FP_CERT, FP_KEY = F.front_proxy_client_cert_path, F.front_proxy_client_key_path
FP_CA, FP_CA_KEY = F.front_proxy_ca_path, F.front_proxy_ca_key_path


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), cwd=F.dir, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr.decode())


def make_cert(name, cn, ca_crt, ca_key, eku="clientAuth", days="30", orgs=()):
    """A leaf for cn signed by ca; days "-1" makes it expired. Returns (cert, key)."""
    key, csr, crt, ext = (os.path.join(F.dir, name + s) for s in (".key", ".csr", ".crt", ".ext"))
    subj = "".join("/O=" + o for o in orgs) + "/CN=" + cn
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", subj)
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
        if eku:
            f.write("extendedKeyUsage=%s\n" % eku)
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-set_serial",
            str(int(time.time() * 1000) % 100000000), "-days", days, "-sha256", "-extfile", ext,
            "-out", crt)
    return crt, key


OTHER_CA = os.path.join(F.dir, "other-ca")
openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", OTHER_CA + ".key", "-out", OTHER_CA + ".crt", "-subj", "/CN=other-ca",
        "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
BAD_CERTS = {
    "other CA": make_cert("fp-other-ca", "front-proxy-client", OTHER_CA + ".crt", OTHER_CA + ".key"),
    "expired": make_cert("fp-expired", "front-proxy-client", FP_CA, FP_CA_KEY, days="-1"),
    "no clientAuth": make_cert("fp-server-only", "front-proxy-client", FP_CA, FP_CA_KEY,
                               eku="serverAuth"),
    "CN not allowed": make_cert("fp-wrong-cn", "not-the-proxy", FP_CA, FP_CA_KEY),
}

# ---- requests ------------------------------------------------------------------------------------


def request(path, cert=None, headers=None, adapter=A):
    """GET on a fresh connection, presenting cert (cert, key) if given: (status, headers, body)."""
    adapter.start()
    ctx = tls_context(adapter.cafile)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    conn = http.client.HTTPSConnection("127.0.0.1", adapter.port, timeout=harness.IO_TIMEOUT,
                                       context=ctx)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def proxied(user, groups=(), extra=None, uid=None):
    """Headers as kube-apiserver's proxy sets them (spec 5.3): one line per group."""
    h = [("X-Remote-User", user)] + [("X-Remote-Group", g) for g in groups]
    if uid:
        h.append(("X-Remote-Uid", uid))
    for k, vs in (extra or {}).items():
        for v in vs:
            h.append(("X-Remote-Extra-" + k, v))
    return h


def raw_request(path, cert, header_list):
    """GET with repeated header lines (http.client's dict headers cannot repeat a name)."""
    A.start()
    ctx = tls_context(A.cafile)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    conn = http.client.HTTPSConnection("127.0.0.1", A.port, timeout=harness.IO_TIMEOUT, context=ctx)
    try:
        conn.putrequest("GET", path)
        for k, v in header_list:
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


FP = (FP_CERT, FP_KEY)


def sars():
    return len(F.subjectaccessreviews)


def last_sar():
    assert F.subjectaccessreviews, "no SubjectAccessReview was posted"
    return F.subjectaccessreviews[-1]


def must(status, body, want, what):
    assert status == want, "%s: status %d, want %d; body %s" % (what, status, want, body[:400])


# ---- authentication ------------------------------------------------------------------------------

@test
def front_proxy_cert_and_headers_allowed():
    n = sars()
    st, _, body = raw_request(EM + "/namespaces/default/demo_queue_depth", FP, proxied(
        "alice", ["team-a", "team-b"], {"Foo%2fbar": ["v1", "v2"]}, uid="uid-1"))
    must(st, body, 200, "front proxy")
    assert sars() == n + 1, "one SAR expected, %d posted" % (sars() - n)
    want = {"resourceAttributes": {"namespace": "default", "verb": "list",
                                   "group": "external.metrics.k8s.io", "version": "v1beta1",
                                   "resource": "demo_queue_depth"},
            "user": "alice", "groups": ["team-a", "team-b", "system:authenticated"],
            "extra": {"foo/bar": ["v1", "v2"]}, "uid": "uid-1"}
    assert last_sar() == want, "SAR spec %s, want %s" % (json.dumps(last_sar()), json.dumps(want))


@test
def headers_without_certificate_are_anonymous():
    DENY.add("system:anonymous")
    st, _, body = raw_request(EM + "/namespaces/default/demo_queue_depth", None,
                              proxied("alice", ["system:masters"]))
    must(st, body, 403, "headers without a certificate")
    spec = last_sar()
    assert spec["user"] == "system:anonymous" and spec["groups"] == ["system:unauthenticated"], \
        "SAR for %s" % json.dumps(spec)
    assert_status(body, 403, "Forbidden",
                  'demo_queue_depth.external.metrics.k8s.io is forbidden: User "system:anonymous" '
                  'cannot list resource "demo_queue_depth" in API group "external.metrics.k8s.io"'
                  ' in the namespace "default": ' + DENY_REASON,
                  details={"group": "external.metrics.k8s.io", "kind": "demo_queue_depth"})


@test
def bad_certificates_are_401():
    for what, cert in BAD_CERTS.items():
        n = sars()
        st, _, body = raw_request(CM2, cert, proxied("system:kube-aggregator", ["system:masters"]))
        must(st, body, 401, what)
        assert_status(body, 401, "Unauthorized", "Unauthorized", details=None, what=what)
        assert sars() == n, "%s: a SAR was posted for an unauthenticated request" % what
    log = open(A.stderr_path, errors="replace").read()
    for frag in ("signed by unknown authority", "expired", "incompatible key usage",
                 "not in the allowed names"):
        assert frag in log, "no log line saying %r" % frag


@test
def client_certificate_from_cluster_ca():
    cert = F.issue_client_cert("jane", groups=["dev", "ops"])
    st, _, body = request(CM1 + "/namespaces/default/pods/%2A/http_requests_per_second", cert[:2])
    must(st, body, 200, "x509 user")
    spec = last_sar()
    assert spec["user"] == "jane" and spec["groups"] == ["dev", "ops", "system:authenticated"], \
        json.dumps(spec)


@test
def bearer_tokens():
    n = len(F.tokenreviews)
    st, _, body = request(EM + "/namespaces/team/demo_queue_depth",
                          headers={"Authorization": "Bearer good-token"})
    must(st, body, 200, "valid token")
    assert len(F.tokenreviews) == n + 1 and F.tokenreviews[-1]["token"] == "good-token"
    spec = last_sar()
    assert spec["user"] == "system:serviceaccount:team:reader" and spec["uid"] == "uid-77" and \
        spec["groups"][-1] == "system:authenticated" and \
        spec["extra"] == {"authentication.kubernetes.io/credential-id": ["JTI=abc"]}, json.dumps(spec)
    st, _, body = request(EM + "/namespaces/team/demo_queue_depth",
                          headers={"Authorization": "Bearer good-token"})
    must(st, body, 200, "valid token again")
    assert len(F.tokenreviews) == n + 1, "the TokenReview answer was not cached"
    st, _, body = request(CM2, headers={"Authorization": "Bearer bad-token"})
    must(st, body, 401, "invalid token")
    assert_status(body, 401, "Unauthorized", "Unauthorized", details=None)
    F.fail_next(5, 500, path="/apis/authentication.k8s.io")
    try:
        st, _, body = request(CM2, headers={"Authorization": "Bearer other-token"})
    finally:
        F.clear_faults()
    must(st, body, 401, "TokenReview down")


# ---- authorization -------------------------------------------------------------------------------

@test
def sar_deny_and_error():
    DENY.add("bob")
    path = CM2 + "/namespaces/default/deployments.apps/web/rps"
    st, _, body = raw_request(path, FP, proxied("bob", ["g"]))
    must(st, body, 403, "denied")
    assert_status(body, 403, "Forbidden",
                  'deployments.apps.custom.metrics.k8s.io "web" is forbidden: User "bob" cannot '
                  'get resource "deployments.apps/rps" in API group "custom.metrics.k8s.io" in the'
                  ' namespace "default": ' + DENY_REASON,
                  details={"name": "web", "group": "custom.metrics.k8s.io",
                           "kind": "deployments.apps"})
    assert last_sar()["resourceAttributes"] == {
        "namespace": "default", "verb": "get", "group": "custom.metrics.k8s.io",
        "version": "v1beta2", "resource": "deployments.apps", "subresource": "rps",
        "name": "web"}, json.dumps(last_sar())
    F.fail_next(5, 500, path="/apis/authorization.k8s.io")
    try:
        st, hdrs, body = raw_request(CM2 + "/nodes/n1/load", FP, proxied("carol"))
    finally:
        F.clear_faults()
    must(st, body, 500, "SAR error")
    assert hdrs.get("Content-Type", "").startswith("text/plain"), hdrs.get("Content-Type")
    assert body.decode().startswith('Internal Server Error: "%s/nodes/n1/load": ' % CM2), body


@test
def watch_query_is_the_watch_verb():
    """RequestInfo: a nameless get with ?watch=true (any value but 0/false) is reviewed as verb
    watch; ?watch=false stays list; a named get stays get."""
    path = EM + "/namespaces/default/demo_queue_depth"
    for query, verb in (("?watch=true", "watch"), ("?labelSelector=a%3Db&watch=1", "watch"),
                        ("?watch=false", "list"), ("", "list")):
        st, _, body = raw_request(path + query, FP, proxied("watcher", ["g"]))
        assert st not in (401, 403, 500), "%s: %d %s" % (query, st, body[:300])
        ra = last_sar()["resourceAttributes"]
        assert ra["verb"] == verb and "name" not in ra, "%s: %s" % (query, json.dumps(ra))
    raw_request(CM2 + "/namespaces/default/pods/web-0/rps?watch=true", FP, proxied("watcher"))
    assert last_sar()["resourceAttributes"]["verb"] == "get", json.dumps(last_sar())
    DENY.add("watcher2")
    st, _, body = raw_request(path + "?watch=true", FP, proxied("watcher2"))
    must(st, body, 403, "denied watch")
    assert 'User \\"watcher2\\" cannot watch resource \\"demo_queue_depth\\"' in body.decode(), body


@test
def sar_cache_expiry():
    path = CM2 + "/namespaces/default/metrics/queue_len"
    who = proxied("cachy", ["g1"])
    st, _, body = raw_request(path, FP, who)
    assert st not in (401, 403, 500), "allowed user got %d: %s" % (st, body[:300])
    allowed_status = st
    n = sars()
    DENY.add("cachy")
    t0 = time.monotonic()
    st, _, body = raw_request(path, FP, who)
    assert st == allowed_status and sars() == n, "a changed answer took effect before the TTL (status %d, " \
        "%d new SARs)" % (st, sars() - n)
    deadline = t0 + TTL + 3
    while time.monotonic() < deadline:
        st, _, body = raw_request(path, FP, who)
        if st == 403:
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    must(st, body, 403, "after the TTL")
    assert took >= TTL - 1.0, "deny took effect after %.1f s, before the %.0f s TTL" % (took, TTL)
    DENY.discard("cachy")
    n = sars()
    st, _, body = raw_request(path, FP, who)
    assert st == 403 and sars() == n, "the denial was not cached"


@test
def slow_review_is_shared():
    """A slow SubjectAccessReview (fake latency): concurrent identical requests wait for one review."""
    n = sars()
    F.delay(1.0, count=1, path="/apis/authorization.k8s.io")
    results = [None] * 5

    def one(i):
        try:
            results[i] = raw_request(EM + "/namespaces/slow/demo_queue_depth", FP,
                                     proxied("slowpoke", ["g"]))[0]
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)
    try:
        ts = [threading.Thread(target=one, args=(i,)) for i in range(5)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join(10)
        took = time.monotonic() - t0
    finally:
        F.clear_faults()
    assert results == [200] * 5, "results %r" % results
    assert took >= 0.9, "answered in %.2f s although the review took 1 s" % took
    assert sars() == n + 1, "%d reviews posted for 5 identical requests" % (sars() - n)


@test
def slow_token_review_is_shared():
    """A slow TokenReview: concurrent requests with the same new token wait for one review."""
    F.tokenreview_users["shared-token"] = {"username": "sharer", "groups": ["g"]}
    n = len(F.tokenreviews)
    F.delay(1.0, count=1, path="/apis/authentication.k8s.io")
    results = [None] * 5

    def one(i):
        try:
            results[i] = request(EM + "/namespaces/team/demo_queue_depth",
                                 headers={"Authorization": "Bearer shared-token"})[0]
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)
    try:
        ts = [threading.Thread(target=one, args=(i,)) for i in range(5)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join(10)
        took = time.monotonic() - t0
    finally:
        F.clear_faults()
    assert results == [200] * 5, "results %r" % results
    assert took >= 0.9, "answered in %.2f s although the review took 1 s" % took
    assert len(F.tokenreviews) == n + 1, "%d TokenReviews posted for 5 requests with one token" % (
        len(F.tokenreviews) - n)


@test
def health_paths_without_credentials():
    n = sars()
    for p in ("/healthz", "/livez", "/readyz"):
        st, _, body = request(p)
        must(st, body, 200, p)
    assert sars() == n, "health paths posted SARs"


@test
def aggregator_discovery_probes():
    n = sars()
    results = [None] * 5

    def probe(i):
        try:
            results[i] = raw_request(CM2, FP, proxied("system:kube-aggregator",
                                                      ["system:masters"]))[0]
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)
    ts = [threading.Thread(target=probe, args=(i,)) for i in range(5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert results == [200] * 5, "probes: %r" % results
    assert sars() == n, "system:masters must skip SubjectAccessReview"
    # aggregated-discovery fallback: the aggregator without groups is authorized by path
    st, _, body = raw_request(CM1, FP, proxied("system:kube-aggregator"))
    must(st, body, 200, "discovery without groups")
    assert last_sar() == {"nonResourceAttributes": {"path": CM1, "verb": "get"},
                          "user": "system:kube-aggregator",
                          "groups": ["system:authenticated"]}, json.dumps(last_sar())


@test
def hpa_shaped_request():
    path = CM2 + "/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=app%3Dweb"
    hdrs = [("User-Agent", "kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/abc/" + HPA),
            ("Accept", "application/vnd.kubernetes.protobuf, */*"), ("Accept-Encoding", "gzip"),
            ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-Proto", "https")] + proxied(
        HPA, ["system:serviceaccounts", "system:serviceaccounts:kube-system",
              "system:authenticated"],
        {"Authentication.kubernetes.io%2fcredential-Id": ["JTI=xyz"]}, uid="4c1e")
    deadline = time.monotonic() + 10
    while True:
        st, _, body = raw_request(path, FP, hdrs)
        if st == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # the pods cache syncs first
    must(st, body, 200, "HPA request")
    items = json.loads(body)["items"]
    assert sorted(i["describedObject"]["name"] for i in items) == ["web-0", "web-1"], body[:300]
    want = {"resourceAttributes": {"namespace": "default", "verb": "get",
                                   "group": "custom.metrics.k8s.io", "version": "v1beta2",
                                   "resource": "pods", "subresource": "http_requests_per_second",
                                   "name": "*"},
            "user": HPA, "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                                    "system:authenticated"],
            "extra": {"authentication.kubernetes.io/credential-id": ["JTI=xyz"]}, "uid": "4c1e"}
    assert last_sar() == want, "SAR spec %s" % json.dumps(last_sar())


@test
def front_proxy_ca_rotation():
    """The ConfigMap's request-header CA changes: after the re-read (SIGHUP here; every minute on
    its own) the new front-proxy certificate is trusted and the old one is not."""
    new_ca = os.path.join(F.dir, "rotated-fp-ca")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", new_ca + ".key", "-out", new_ca + ".crt", "-subj", "/CN=rotated-fp-ca",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    new_cert = make_cert("fp-rotated", "front-proxy-client", new_ca + ".crt", new_ca + ".key")
    who = proxied("system:kube-aggregator", ["system:masters"])
    assert raw_request(CM2, new_cert, who)[0] == 401, "new CA trusted before the re-read"
    with open(new_ca + ".crt") as f:
        F.set_extension_auth_configmap(requestheader=f.read(), uid_headers=["X-Remote-Uid"])

    def settle(cert, want):
        deadline = time.monotonic() + 5
        while True:
            A.proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
            st = raw_request(CM2, cert, who)[0]
            if st == want or time.monotonic() > deadline:
                return st
    try:
        st = settle(new_cert, 200)
        assert st == 200, "rotated front-proxy certificate: %d after SIGHUP" % st
        st = raw_request(CM2, FP, who)[0]
        assert st == 401, "old front-proxy certificate still trusted: %d" % st
        assert "reloaded from kube-system/extension-apiserver-authentication" in \
            open(A.stderr_path, errors="replace").read()
    finally:
        F.set_extension_auth_configmap(uid_headers=["X-Remote-Uid"])
        st = settle(FP, 200)
    assert st == 200, "original front-proxy certificate not trusted again: %d" % st


# ---- start-up ------------------------------------------------------------------------------------

@test
def delegated_needs_a_cluster():
    rc, out = run_adapter_expect_exit(["--demo", "--authorization-mode=Delegated",
                                       "--secure-port=%d" % harness.free_port()])
    assert rc == 2 and "Delegated needs a kube-apiserver" in out, (rc, out)
    rc, out = run_adapter_expect_exit(["--demo", "--authorization-mode=Sometimes"])
    assert rc == 2 and "--authorization-mode" in out, (rc, out)


@test
def review_kubeconfigs():
    """--authentication-kubeconfig (TokenReview, the ConfigMap) and --authorization-kubeconfig
    (SubjectAccessReview) post with their own identities; the main one still lists pods."""
    authn = F.add_token("it-authn-kubeconfig-token-0123456789", user="authn-identity")
    authz = F.add_token("it-authz-kubeconfig-token-0123456789", user="authz-identity")
    kc_n = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-authn"), auth="token", token=authn)
    kc_z = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-authz"), auth="token", token=authz)
    F.reset_counts()
    b = Adapter("--kubeconfig=" + KC, "--authorization-mode=Delegated",
                "--authentication-kubeconfig=" + kc_n, "--authorization-kubeconfig=" + kc_z,
                name="review-kubeconfigs")
    st, _, body = request(EM + "/namespaces/team/demo_queue_depth",
                          headers={"Authorization": "Bearer good-token"}, adapter=b)
    must(st, body, 200, "token through the authentication kubeconfig")
    with F._lock:
        reqs = list(F.requests)

    def bearers(prefix):
        return {r["headers"].get("Authorization") for r in reqs if r["path"].startswith(prefix)}
    assert bearers("/apis/authentication.k8s.io/") == {"Bearer " + authn}, \
        bearers("/apis/authentication.k8s.io/")
    assert bearers("/apis/authorization.k8s.io/") == {"Bearer " + authz}, \
        bearers("/apis/authorization.k8s.io/")
    assert bearers("/api/v1/namespaces/kube-system/configmaps/") == {"Bearer " + authn}, \
        bearers("/api/v1/namespaces/kube-system/configmaps/")
    assert bearers("/api/v1/pods") == {"Bearer " + TOK}, bearers("/api/v1/pods")
    log = open(b.stderr_path, errors="replace").read()
    assert "--authorization-kubeconfig: kubeconfig " + kc_z in log, log[-2000:]
    # no main cluster: Delegated runs on --authorization-kubeconfig alone
    d = Adapter("--demo", "--authorization-mode=Delegated", "--authorization-kubeconfig=" + kc_z,
                name="authz-kubeconfig-only")
    n = sars()
    st, _, body = request(CM2 + "/nodes/n1/load", adapter=d)
    assert st not in (401, 500) and sars() == n + 1, (st, body[:300])
    assert last_sar()["user"] == "system:anonymous", json.dumps(last_sar())
    rc, out = run_adapter_expect_exit(["--demo", "--kubeconfig=" + KC,
                                       "--authorization-mode=Delegated",
                                       "--authentication-kubeconfig=/nonexistent/kubeconfig",
                                       "--secure-port=%d" % harness.free_port()])
    assert rc == 1 and "--authentication-kubeconfig: " in out, (rc, out)


@test
def configmap_lookup_failure():
    F.fail_next(3, 403, path="/api/v1/namespaces/kube-system/configmaps")
    try:
        rc, out = run_adapter_expect_exit(["--demo", "--kubeconfig=" + KC, "--bind-address=127.0.0.1",
                                           "--authorization-mode=Delegated",
                                           "--secure-port=%d" % harness.free_port()], timeout=20)
    finally:
        F.clear_faults()
    assert rc == 1 and "extension-apiserver-authentication-reader" in out, (rc, out)
    F.fail_next(3, 403, path="/api/v1/namespaces/kube-system/configmaps")
    t = Adapter("--kubeconfig=" + KC, "--authorization-mode=Delegated",
                "--authentication-tolerate-lookup-failure", name="tolerate")
    try:
        st, _, body = request("/healthz", adapter=t)
        must(st, body, 200, "tolerated lookup failure")
        assert "continuing without it" in open(t.stderr_path).read(), "no warning logged"
    finally:
        F.clear_faults()


@test
def flags_instead_of_configmap():
    n = F.count(path="/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
    b = Adapter("--kubeconfig=" + KC, "--authorization-mode=Delegated",
                "--client-ca-file=" + F.client_ca_path, "--requestheader-client-ca-file=" + FP_CA,
                "--requestheader-allowed-names=someone,front-proxy-client",
                "--requestheader-username-headers=X-Who", "--requestheader-group-headers=X-Grp",
                name="flags")
    b.start()
    ctx = tls_context(b.cafile)
    ctx.load_cert_chain(FP_CERT, FP_KEY)
    conn = http.client.HTTPSConnection("127.0.0.1", b.port, timeout=5, context=ctx)
    conn.request("GET", CM2, headers={"X-Who": "system:kube-aggregator", "X-Grp": "system:masters"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    must(r.status, body, 200, "custom header names")
    assert F.count(path="/api/v1/namespaces/kube-system/configmaps/extension-apiserver-"
                        "authentication") == n, "the ConfigMap was read although flags gave all"
    rc, out = run_adapter_expect_exit(["--demo", "--kubeconfig=" + KC, "--client-ca-file=/nonexistent",
                                       "--authorization-mode=Delegated",
                                       "--secure-port=%d" % harness.free_port()])
    assert rc == 1 and "/nonexistent" in out, (rc, out)


@test
def always_allow_warns():
    log = open(A.stderr_path, errors="replace").read()
    assert "AlwaysAllow" not in log, "Delegated adapter logged AlwaysAllow"
    d = Adapter(name="demo-default")
    st, _, body = request(CM2, adapter=d)
    must(st, body, 200, "demo default")
    assert re.search(r"authorization mode AlwaysAllow", open(d.stderr_path).read()), \
        "no AlwaysAllow warning"


if __name__ == "__main__":
    harness.run()
