#!/usr/bin/env python3
"""55: the pods cache end to end (issue 3): metrics-adapter --demo --kubeconfig against the fake
kube-apiserver (tests/fakes/kube_apiserver.py), the kubeconfigs written by `kubectl config`.

Fake F serves one adapter per authentication mode: "token" (a static token of its own, used by
every fault test), "tokenfile" (the rotating token) and "cert"; those two are stopped at the end
of their tests, so the fault tests see the token adapter's requests only. Fake F2 starts down and
serves the --watch-namespace adapter. The expected answers are computed from the fake's store
(Running, not deleting, selector matches; sorted by name) and the demo formula (kubeutil)."""

import atexit
import os
import re
import time

import harness
from harness import Adapter, assert_status, get, json_diff, test
from kubeutil import (NOT_SYNCED, Client, is_pods_list, is_pods_watch, log_text, pods_path,
                      pod_value, qty, requests_of, wait_for, want_list)
from kube_apiserver import FakeKubeApiserver

CHANGE_MAX = 1.0      # a change must show in answers within this (issue 3)
RESUME_MAX = 2.0      # after a dropped watch
RECOVER_MAX = 5.0     # after a restart / 410 (one backoff step or a relist)
DOWN_MAX = 35.0       # kube-apiserver down at start: the backoff's ceiling (30 s) plus jitter
BIG = 2 * 1024 * 1024  # annotation bytes of the 2 MB pod

# ---- fake F and its adapters ---------------------------------------------------------------------

F = FakeKubeApiserver()
atexit.register(F.close)
TOK = F.add_token("it-static-token-0123456789abcdef", user="it-token-user")


def seed(fake):
    for i in range(4):
        fake.add_pod("default", "web-%d" % i, labels={"app": "web", "tier": "frontend"},
                     node="node-%d" % (i % 2), ip="10.0.0.%d" % (i + 1))
    fake.add_pod("default", "db-0", labels={"app": "db"}, node="node-0", ip="10.0.1.1")
    fake.add_pod("default", "web-pending", labels={"app": "web"}, phase="Pending")
    fake.add_pod("default", "web-failed", labels={"app": "web"}, phase="Failed", node="node-1")
    fake.add_pod("default", "web-done", labels={"app": "web"}, phase="Succeeded", node="node-1")
    fake.add_pod("default", "web-deleting", labels={"app": "web"}, node="node-1", ip="10.0.0.99")
    fake.mark_deleting("default", "web-deleting")
    fake.add_pod("other", "web-0", labels={"app": "web"}, node="node-0", ip="10.0.2.1")
    fake.add_pod("other", "web-x", labels={"app": "web"}, node="node-0", ip="10.0.2.2")


seed(F)
KC_TOKEN = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-token"), auth="token", token=TOK)
A = Adapter("--kubeconfig=" + KC_TOKEN, "--v=1", name="token")
C = Client(A)

# ---- fake F2 (down at start) and the --watch-namespace adapter -----------------------------------

F2 = FakeKubeApiserver(start=False)
atexit.register(F2.close)
for _ns in ("a", "b", "c"):
    for _i in range(3):
        F2.add_pod(_ns, "%s-pod-%d" % (_ns, _i), labels={"app": "web"}, node="node-0",
                   ip="10.9.%d.%d" % (ord(_ns) - 96, _i))
KC_NS = F2.write_kubeconfig(os.path.join(F2.dir, "kubeconfig-ns"), auth="token")
ANS = Adapter("--kubeconfig=" + KC_NS, "--watch-namespace=a", "--watch-namespace=b", "--v=1",
              name="watch-namespace")


# ---- helpers -------------------------------------------------------------------------------------

def expected(fake, ns, sel=None):
    """Names the adapter must answer: Running pods of ns, not deleting, whose labels contain sel."""
    out = []
    for p in fake.list("pods", ns):
        md = p["metadata"]
        if p.get("status", {}).get("phase") != "Running" or md.get("deletionTimestamp"):
            continue
        labels = md.get("labels") or {}
        if sel and any(labels.get(k) != v for k, v in sel.items()):
            continue
        out.append(md["name"])
    return out


def sel_str(sel):
    return None if sel is None else ",".join("%s=%s" % kv for kv in sorted(sel.items()))


def answer_diff(client, ns, names, sel=None):
    """None when the adapter's answer for ns/selector lists exactly `names` with their values."""
    st, body = client.get(pods_path(ns, sel_str(sel)))
    if st != 200:
        return "GET %s: status %d, body %s" % (pods_path(ns, sel_str(sel)), st, body[:300])
    return json_diff(body, want_list(ns, names))


def converge(client, fake, ns, sel, limit, what, names=None):
    """Poll until the answer equals the fake's state (or `names`); assert it took < limit s.
    Returns the seconds taken."""
    names = expected(fake, ns, sel) if names is None else names
    d, el = None, 0.0
    t0 = time.monotonic()
    while True:
        d = answer_diff(client, ns, names, sel)
        el = time.monotonic() - t0
        if d is None or el >= max(limit * 3, limit + 2.0):
            break
        time.sleep(0.01)
    path = pods_path(ns, sel_str(sel))
    assert d is None, "%s: GET %s: after %.2f s still not the expected %s: %s" % (
        what, path, el, names, d)
    assert el < limit, "%s: GET %s: expected %s shown after %.3f s, want < %.1f s" % (
        what, path, names, el, limit)
    return el


def wait_ready(adapter, timeout):
    def ready():
        st, _, body = get(adapter, "/readyz")
        return st == 200
    ok, el = wait_for(ready, timeout, 0.05)
    st, _, body = get(adapter, "/readyz?verbose")
    assert ok, "%s: /readyz not 200 within %.1f s; /readyz?verbose: %d %s" % (
        adapter.name, timeout, st, body.decode(errors="replace"))
    return el, body.decode(errors="replace")


def lists_by(fake, pred):
    return len(requests_of(fake, lambda r: is_pods_list(r) and pred(r)))


def _auth(r):
    for k, v in r["headers"].items():
        if k.lower() == "authorization":
            return v
    return None


def from_a(r):
    return _auth(r) == "Bearer " + TOK


def a_lists():
    return lists_by(F, from_a)


def set_phase(fake, ns, name, phase):
    def f(o):
        o["status"]["phase"] = phase
    fake.patch("pods", ns, name, f)


def schedule(o):
    """A Pending pod scheduled and started."""
    o["spec"]["nodeName"] = "node-1"
    o["status"]["phase"] = "Running"
    o["status"]["podIP"] = "10.0.0.77"


WEB = {"app": "web"}


# ---- authentication modes ------------------------------------------------------------------------

@test
def token_kubeconfig_syncs_and_serves():
    with open(KC_TOKEN) as f:
        kc = f.read()
    assert "token: " + TOK in kc and "current-context: fake" in kc, "kubectl config wrote:\n" + kc
    rv = F.resource_version
    el, verbose = wait_ready(A, 5.0)
    assert "[+]cache/pods ok" in verbose, "/readyz?verbose lacks [+]cache/pods ok:\n" + verbose
    log = log_text(A)
    m = re.search(r"cache/pods: cache synced at resourceVersion (\d+)", log)
    assert m and m.group(1) == rv, "log: want 'cache/pods: cache synced at resourceVersion %s', " \
        "got %r" % (rv, m.group(0) if m else log[-800:])
    # first request of the informer: a paginated LIST of all namespaces, then a WATCH with bookmarks
    # from the list's resourceVersion
    reqs = requests_of(F, from_a)
    pods = [r for r in reqs if "/pods" in r["path"]]
    assert pods and is_pods_list(pods[0]) and pods[0]["path"] == "/api/v1/pods" \
        and "limit=500" in pods[0]["query"], \
        "first pods request: want GET /api/v1/pods?limit=500, got %s" % [
            (r["path"], r["query"]) for r in pods[:3]]
    w = [r for r in pods if is_pods_watch(r)]
    assert w and "resourceVersion=%s" % rv in w[0]["query"] \
        and "allowWatchBookmarks=true" in w[0]["query"], \
        "watch: want resourceVersion=%s&allowWatchBookmarks=true, got %s" % (
            rv, [r["query"] for r in w[:2]])
    assert all(r["code"] == 200 for r in pods), [(r["path"], r["code"]) for r in pods]
    # the answers
    assert expected(F, "default", WEB) == ["web-0", "web-1", "web-2", "web-3"]
    for ns, sel in (("default", WEB), ("default", {"app": "db"}), ("default", None),
                    ("other", WEB), ("kube-system", None), ("nosuchns", WEB)):
        d = answer_diff(C, ns, expected(F, ns, sel), sel)
        assert d is None, "GET %s: %s" % (pods_path(ns, sel_str(sel)), d)
    st, body = C.get(pods_path("default", name="web-2"))
    assert st == 200, "GET %s: %d %s" % (pods_path("default", name="web-2"), st, body[:300])
    d = json_diff(body, want_list("default", ["web-2"]))
    assert d is None, "GET %s: %s" % (pods_path("default", name="web-2"), d)
    st, body = C.get(pods_path("default", name="no-such-pod"))
    assert st == 404, "GET %s: want 404, got %d %s" % (pods_path("default", name="no-such-pod"),
                                                      st, body[:300])
    # the demo formula is what the adapter computed (a spot check of kubeutil's model)
    assert qty(pod_value("web-0")) == "12911m", qty(pod_value("web-0"))


@test
def tokenfile_kubeconfig_and_token_rotation():
    kc = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-tokenfile"), auth="tokenfile")
    with open(kc) as f:
        text = f.read()
    assert "tokenFile: " in text, "kubectl config wrote:\n" + text
    a2 = Adapter("--kubeconfig=" + kc, "--v=1", name="tokenfile")
    c2 = Client(a2)
    try:
        wait_ready(a2, 5.0)
        for ns, sel in (("default", WEB), ("other", WEB)):
            d = answer_diff(c2, ns, expected(F, ns, sel), sel)
            assert d is None, "tokenfile adapter: GET %s: %s" % (pods_path(ns, sel_str(sel)), d)
        for rnd in range(2):
            old = F.token
            new = F.rotate_token()  # the old token is refused from now on; the file rewritten
            t_rot = time.time()
            assert F.wait_watches(2, 5.0) >= 2, "watches of the token and tokenfile adapters"
            assert F.drop_watches() >= 2
            F.add_pod("default", "rot-%d" % rnd, labels={"app": "web"}, node="node-0",
                      ip="10.0.3.%d" % rnd)
            converge(c2, F, "default", WEB, RECOVER_MAX,
                     "tokenfile adapter after token rotation %d" % rnd)
            after = requests_of(F, lambda r: r["time"] >= t_rot and _auth(r) in
                                ("Bearer " + old, "Bearer " + new))
            ok = [r for r in after if _auth(r) == "Bearer " + new and r["code"] == 200
                  and is_pods_watch(r)]
            assert ok, "rotation %d: no pods WATCH with the new token answered 200; requests " \
                "since: %s" % (rnd, [(r["path"], r["code"], _auth(r) == "Bearer " + new)
                                     for r in after])
            bad = [r for r in after if _auth(r) == "Bearer " + new and r["code"] != 200]
            assert not bad, "rotation %d: requests with the new token failed: %s" % (
                rnd, [(r["path"], r["query"], r["code"]) for r in bad])
        # the token adapter (own static token) is unaffected
        converge(C, F, "default", WEB, RECOVER_MAX, "token adapter after rotations")
    finally:
        c2.close()
    assert a2.stop() == 0, "tokenfile adapter: exit status %s after SIGTERM" % a2.exit_code


@test
def cert_kubeconfig_syncs_and_serves():
    kc = F.write_kubeconfig(os.path.join(F.dir, "kubeconfig-cert"), auth="cert")
    with open(kc) as f:
        text = f.read()
    assert "client-certificate: " in text and "client-key: " in text, "kubectl wrote:\n" + text
    t0 = time.time()
    a3 = Adapter("--kubeconfig=" + kc, "--v=1", name="cert")
    c3 = Client(a3)
    try:
        wait_ready(a3, 5.0)
        for ns, sel in (("default", WEB), ("default", None), ("other", WEB)):
            d = answer_diff(c3, ns, expected(F, ns, sel), sel)
            assert d is None, "cert adapter: GET %s: %s" % (pods_path(ns, sel_str(sel)), d)
        F.add_pod("default", "cert-0", labels={"app": "web"}, node="node-1", ip="10.0.4.1")
        converge(c3, F, "default", WEB, CHANGE_MAX, "cert adapter: pod created")
        mine = requests_of(F, lambda r: r["time"] >= t0 and "/pods" in r["path"]
                           and _auth(r) is None)
        assert mine and all(r["user"] == "system:serviceaccount:kube-system:metrics-adapter"
                            and r["code"] == 200 for r in mine), \
            "cert adapter's requests (no Authorization header): %s" % [
                (r["path"], r["user"], r["code"]) for r in mine]
    finally:
        c3.close()
    assert a3.stop() == 0, "cert adapter: exit status %s after SIGTERM" % a3.exit_code


# ---- changes -------------------------------------------------------------------------------------

@test
def pod_changes_show_within_1s():
    wait_ready(A, 5.0)
    steps = [
        ("web-4 created", lambda: F.add_pod("default", "web-4", labels={"app": "web"},
                                            node="node-0", ip="10.0.0.5")),
        ("web-1 relabelled out (app=db)", lambda: F.set_labels("default", "web-1", {"app": "db"})),
        ("web-1 relabelled in", lambda: F.set_labels("default", "web-1",
                                                     {"app": "web", "extra": "x"})),
        ("web-2 deleted", lambda: F.delete("pods", "default", "web-2")),
        ("web-3 Failed", lambda: set_phase(F, "default", "web-3", "Failed")),
        ("web-4 Pending", lambda: set_phase(F, "default", "web-4", "Pending")),
        ("web-4 Running again", lambda: set_phase(F, "default", "web-4", "Running")),
        ("web-0 marked deleting", lambda: F.mark_deleting("default", "web-0")),
        ("web-pending Running", lambda: F.patch("pods", "default", "web-pending", schedule)),
        ("db-0 relabelled in (app=web)", lambda: F.set_labels("default", "db-0", {"app": "web"})),
        ("web-0 deleted after its grace period", lambda: F.delete("pods", "default", "web-0")),
    ]
    times = []
    for what, change in steps:
        change()
        times.append(converge(C, F, "default", WEB, CHANGE_MAX, what))
        if what.startswith("web-1 relabelled out"):
            d = answer_diff(C, "default", expected(F, "default", {"app": "db"}), {"app": "db"})
            assert d is None, "web-1 relabelled to app=db: GET %s: %s" % (
                pods_path("default", "app=db"), d)
        if what == "web-2 deleted":
            st, body = C.get(pods_path("default", name="web-2"))
            assert st == 404, "GET %s after delete: want 404, got %d %s" % (
                pods_path("default", name="web-2"), st, body[:300])
    # the other namespace was untouched
    d = answer_diff(C, "other", ["web-0", "web-x"], WEB)
    assert d is None, "GET %s: %s" % (pods_path("other", "app=web"), d)
    print("     change -> answer: max %.0f ms over %d changes" % (max(times) * 1000, len(times)))


# ---- dropped watches, 410, restarts --------------------------------------------------------------

def drop_and_check(what, **kw):
    assert F.wait_watches(1, 5.0) >= 1, "%s: no open watch to drop" % what
    n0 = a_lists()
    t0 = time.time()
    dropped = F.drop_watches(**kw)
    assert dropped >= 1, "%s: nothing dropped" % what
    name = "drop-%d" % int(t0 * 1000 % 1000000)
    F.add_pod("default", name, labels={"app": "web"}, node="node-0", ip="10.0.5.1")
    el = converge(C, F, "default", WEB, RESUME_MAX, what + ": pod created after the drop")
    n1 = a_lists()
    new = requests_of(F, lambda r: r["time"] >= t0 and from_a(r) and "/pods" in r["path"])
    assert n1 == n0, "%s: the adapter listed again (LIST requests %d -> %d) instead of resuming " \
        "the watch; requests since: %s" % (what, n0, n1, [(r["path"], r["query"]) for r in new])
    w = [r for r in new if is_pods_watch(r)]
    assert w and re.search(r"resourceVersion=[1-9]", w[0]["query"]), \
        "%s: want a WATCH resuming from the last resourceVersion, got %s" % (
            what, [r["query"] for r in w])
    F.delete("pods", "default", name)
    converge(C, F, "default", WEB, CHANGE_MAX, what + ": pod deleted on the resumed watch")
    return el


@test
def watch_dropped_mid_chunk_resumes_without_relist():
    el = drop_and_check("watch dropped mid-chunk", mid_chunk=True)
    print("     change after a mid-chunk drop shown in %.0f ms" % (el * 1000))


@test
def watch_dropped_at_boundary_resumes_without_relist():
    drop_and_check("watch dropped at an event boundary", mid_chunk=False)
    drop_and_check("watch reset (TCP RST)", reset=True)
    # a clean end (the server's timeout) resumes too
    assert F.wait_watches(1, 5.0) >= 1
    n0 = a_lists()
    assert F.end_watches() >= 1
    F.add_pod("default", "after-end", labels={"app": "web"}, node="node-0", ip="10.0.5.2")
    converge(C, F, "default", WEB, RESUME_MAX, "watch ended cleanly: pod created after")
    assert a_lists() == n0, "watch ended cleanly: the adapter listed again (%d -> %d)" % (
        n0, a_lists())


@test
def expired_history_410_relists_and_converges():
    assert F.wait_watches(1, 5.0) >= 1
    n0 = a_lists()
    F.delay(1.0, path="/api/v1/pods")   # the reconnect waits 1 s: it comes after the compaction
    try:
        F.drop_watches()
        time.sleep(0.05)
        F.delete("pods", "default", "web-1")
        F.delete("pods", "default", "after-end")
        F.add_pod("default", "web-5", labels={"app": "web"}, node="node-1", ip="10.0.0.6")
        F.compact()
        t0 = time.monotonic()
        converge(C, F, "default", WEB, RECOVER_MAX + 3.0, "410 Gone: deletions and creation")
    finally:
        F.clear_faults()
    n1 = a_lists()
    assert n1 > n0, "410 Gone: the adapter converged without a new LIST (%d -> %d)?" % (n0, n1)
    st, body = C.get(pods_path("default", name="web-1"))
    assert st == 404, "after the relist: GET %s (deleted while the watch was down): want 404, " \
        "got %d %s" % (pods_path("default", name="web-1"), st, body[:300])
    print("     relist after 410 converged in %.2f s (1 s of it the injected delay)"
          % (time.monotonic() - t0))


@test
def apiserver_restart_keeps_state_resumes():
    n0 = a_lists()
    F.restart(down=0.5)
    F.add_pod("default", "web-6", labels={"app": "web"}, node="node-0", ip="10.0.0.7")
    el = converge(C, F, "default", WEB, RECOVER_MAX, "restart (state kept): pod created after")
    assert a_lists() == n0, "restart with history kept: the adapter listed again (%d -> %d)" % (
        n0, a_lists())
    assert F.wait_watches(1, 5.0) >= 1, "no watch reopened after the restart"
    print("     resumed after restart in %.2f s" % el)


@test
def apiserver_restart_with_reset_relists():
    n0 = a_lists()
    F.stop()
    # changes the adapter cannot see through a watch: the history is lost at the restart
    F.delete("pods", "default", "web-6")
    F.set_labels("default", "web-5", {"app": "other"})
    F.add_pod("default", "web-7", labels={"app": "web"}, node="node-0", ip="10.0.0.8")
    F.restart(reset=True)
    el = converge(C, F, "default", WEB, RECOVER_MAX, "restart with reset: relisted state")
    assert a_lists() > n0, "restart with reset: converged without a LIST (%d -> %d)?" % (
        n0, a_lists())
    print("     relisted after reset restart in %.2f s" % el)


# ---- malformed events ----------------------------------------------------------------------------

RAW_EVENTS = [
    # a Service that looks like a Running web pod: wrong kind, must not be cached
    (b'{"type":"ADDED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc-web",'
     b'"namespace":"default","labels":{"app":"web"}},"status":{"phase":"Running"}}}\n', "svc-web"),
    # a Running web pod under an unknown event type
    (b'{"type":"RESYNC","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"resync-web",'
     b'"namespace":"default","resourceVersion":"1","labels":{"app":"web"}},'
     b'"spec":{"nodeName":"node-0"},"status":{"phase":"Running"}}}\n', "resync-web"),
    # garbage
    (b"this is not JSON at all\n", None),
]


@test
def malformed_events_are_skipped():
    wait_ready(A, 5.0)
    problems, report = [], []
    cases = [(k, None, None) for k in F.INJECT_KINDS if k != "raw"] + \
        [("raw", r, n) for r, n in RAW_EVENTS]
    for i, (kind, raw, ghost) in enumerate(cases):
        what = "injected %s%s" % (kind, " %r" % raw[:50] if raw else "")
        assert F.wait_watches(1, 5.0) >= 1, "%s: no open watch" % what
        n0 = a_lists()
        logn = len(log_text(A))
        reached = F.inject(kind, raw=raw)
        assert reached >= 1, "%s reached no watch" % what
        name = "inj-%d" % i
        F.add_pod("default", name, labels={"app": "web"}, node="node-0", ip="10.0.6.%d" % i)
        limit = RECOVER_MAX if kind.startswith("error-") else CHANGE_MAX
        # serving goes on and a later change shows (fatal: the next cases would be meaningless)
        path = pods_path("default", name=name)
        ok, el = wait_for(lambda: C.get(path)[0] == 200, limit + 2.0)
        assert ok, "%s: pod %s created after it: GET %s not 200 within %.1f s" % (
            what, name, path, limit + 2.0)
        assert el < limit, "%s: pod %s created after it shown after %.2f s, want < %.1f s" % (
            what, name, el, limit)
        relisted = a_lists() - n0
        logged = log_text(A)[logn:]
        if ghost:
            st, body = C.get(pods_path("default", name=ghost))
            if st != 404:
                problems.append("%s: it was cached as a pod: GET %s: want 404, got %d %s" % (
                    what, pods_path("default", name=ghost), st, body[:300]))
                # get rid of it for the next cases: a change while down + compaction -> relist
                F.stop()
                F.add_pod("default", "relist-%d" % i, labels={"app": "x"})
                F.compact()
                F.start()
                limit = RECOVER_MAX
        converge(C, F, "default", WEB, limit, what + ": pods after it")
        d = answer_diff(C, "default", expected(F, "default"), None)
        assert d is None, "%s: GET %s (no selector): %s" % (what, pods_path("default"), d)
        report.append("%s: %d relist(s)" % (kind if not ghost else "raw " + ghost, relisted))
        if kind == "error-410":
            if relisted < 1:
                problems.append("%s: want a relist, LIST requests %d -> %d" % (
                    what, n0, n0 + relisted))
        elif kind != "error-500" and relisted:
            problems.append("%s: want the event skipped, but the adapter listed again (%d LIST "
                            "requests); log since: %r" % (what, relisted, logged[-400:]))
        if kind not in ("empty-line", "error-410", "error-500") \
                and not re.search(r"cache/pods: .*(skip|malformed|unexpected|ignor)", logged):
            problems.append("%s: want a log line saying cache/pods skipped it, log since: %r"
                            % (what, logged[-400:]))
    st, _, body = get(A, "/readyz")
    assert st == 200 and A.running(), "after the injections: /readyz %d %r" % (st, body)
    print("     " + "; ".join(report))
    assert not problems, "\n    ".join(problems)


# ---- cost of an HPA request, big objects ---------------------------------------------------------

@test
def zero_apiserver_requests_per_hpa_request():
    wait_ready(A, 5.0)
    converge(C, F, "default", WEB, RECOVER_MAX, "before counting")
    n0 = len(requests_of(F))
    paths = [pods_path("default", "app=web"), pods_path("default", "app=db"),
             pods_path("default"), pods_path("other", "app=web"),
             pods_path("default", name="web-4")]
    for i in range(20):
        st, body = C.get(paths[i % len(paths)])
        assert st == 200, "GET %s: %d %s" % (paths[i % len(paths)], st, body[:300])
    n1 = len(requests_of(F))
    new = requests_of(F)[n0:]
    assert n1 == n0, "20 HPA requests caused %d kube-apiserver requests: %s" % (
        n1 - n0, [(r["method"], r["path"], r["query"]) for r in new])


def big_pod(fake, name):
    fake.add_pod("default", name, labels={"app": "big"}, node="node-0", ip="10.0.7.1",
                 annotations={"example.com/blob": "b" * BIG})
    got = fake.get("pods", "default", name)
    assert len(got["metadata"]["annotations"]["example.com/blob"]) == BIG


@test
def two_megabyte_pod_in_watch_and_list():
    wait_ready(A, 5.0)
    assert F.wait_watches(1, 5.0) >= 1
    big_pod(F, "big-watch")
    converge(C, F, "default", {"app": "big"}, RECOVER_MAX, "2 MB pod as a watch event",
             names=["big-watch"])
    # the LIST path: created while kube-apiserver is down, history compacted -> 410 -> LIST
    n0 = a_lists()
    F.stop()
    big_pod(F, "big-list")
    F.compact()
    F.start()
    converge(C, F, "default", {"app": "big"}, RECOVER_MAX, "2 MB pod in a LIST page",
             names=["big-list", "big-watch"])
    assert a_lists() > n0, "2 MB pod in LIST: no LIST happened (%d -> %d)" % (n0, a_lists())
    F.delete("pods", "default", "big-watch")
    F.add_pod("default", "after-big", labels={"app": "web"}, node="node-0", ip="10.0.7.2")
    converge(C, F, "default", {"app": "big"}, CHANGE_MAX, "2 MB pod deleted",
             names=["big-list"])
    converge(C, F, "default", WEB, CHANGE_MAX, "pod created after the 2 MB pods")


# ---- kube-apiserver down at start; --watch-namespace ---------------------------------------------

@test
def apiserver_down_at_start_then_recovers():
    assert not F2.running
    ANS.start()
    c = Client(ANS)
    try:
        time.sleep(1.0)
        st, _, body = get(ANS, "/readyz")
        assert st == 500, "/readyz with kube-apiserver down: want 500, got %d %r" % (st, body)
        st, _, body = get(ANS, "/readyz?verbose")
        text = body.decode(errors="replace")
        for ns in ("a", "b"):
            assert re.search(r"^\[-\]cache/pods/%s failed: \S" % ns, text, re.M), \
                "/readyz?verbose: want a '[-]cache/pods/%s failed: <state>' line, got:\n%s" % (
                    ns, text)
        path = pods_path("a", "app=web")
        st, body = c.get(path)
        assert st == 503, "GET %s before sync: want 503, got %d %s" % (path, st, body[:300])
        assert_status(body, 503, "ServiceUnavailable", re.compile(re.escape(NOT_SYNCED) + ".+"),
                      what="GET %s before sync" % path)
        time.sleep(2.0)
        failures = log_text(ANS).count("cache/pods/a")
        assert failures <= 12, \
            "kube-apiserver down 3 s: %d log lines of cache/pods/a (busy loop?)" % failures
        F2.start()
        t_up = time.monotonic()
        el, verbose = wait_ready(ANS, DOWN_MAX)
        print("     ready %.2f s after kube-apiserver came up (3 s after the adapter started)" % el)
        for ns in ("a", "b"):
            assert "[+]cache/pods/%s ok" % ns in verbose, verbose
        for ns in ("a", "b"):
            d = answer_diff(c, ns, expected(F2, ns, WEB), WEB)
            assert d is None, "GET %s after recovery: %s" % (pods_path(ns, "app=web"), d)
        assert time.monotonic() - t_up < DOWN_MAX
    finally:
        c.close()


@test
def watch_namespace_caches_only_those_namespaces():
    wait_ready(ANS, DOWN_MAX)
    c = Client(ANS)
    try:
        st, _, body = get(ANS, "/readyz?verbose")
        text = body.decode(errors="replace")
        assert st == 200 and "[+]cache/pods/a ok" in text and "[+]cache/pods/b ok" in text, text
        assert not re.search(r"^\[.\]cache/pods ", text, re.M), \
            "/readyz?verbose: an all-namespaces cache/pods line with --watch-namespace:\n" + text
        for ns in ("a", "b"):
            d = answer_diff(c, ns, ["%s-pod-%d" % (ns, i) for i in range(3)], WEB)
            assert d is None, "GET %s: %s" % (pods_path(ns, "app=web"), d)
        d = answer_diff(c, "c", [], WEB)
        assert d is None, "GET %s (namespace not watched): %s" % (pods_path("c", "app=web"), d)
        d = answer_diff(c, "c", [], None)
        assert d is None, "GET %s (namespace not watched): %s" % (pods_path("c"), d)
        F2.add_pod("c", "c-pod-new", labels={"app": "web"}, node="node-0", ip="10.9.3.9")
        F2.add_pod("b", "b-pod-new", labels={"app": "web"}, node="node-0", ip="10.9.2.9")
        converge(c, F2, "b", WEB, CHANGE_MAX, "watched namespace b: pod created")
        d = answer_diff(c, "c", [], WEB)
        assert d is None, "GET %s after a pod was created in c: %s" % (pods_path("c", "app=web"), d)
        paths = sorted({r["path"] for r in requests_of(F2, lambda r: "pods" in r["path"])})
        assert paths == ["/api/v1/namespaces/a/pods", "/api/v1/namespaces/b/pods"], \
            "--watch-namespace=a,b: pods requests went to %s" % paths
    finally:
        c.close()


if __name__ == "__main__":
    harness.run()
