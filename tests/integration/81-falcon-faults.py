#!/usr/bin/env python3
"""81: the Open-Falcon backend end to end (issue 4), failures and configuration: Falcon down, slow,
401, 500, malformed, hanging up; cached values during an outage; rate-limited failure logs; the
Apitoken from flags, a sig file and FALCON_API_*; graph-last; invalid CustomMetrics; the
ExternalMetric CRD absent; a LIST of many pods; the original README's walk-through with kubectl and
falcon_push.py. Setup (fakes and adapters) in falconutil.py, described in 80-falcon.py."""

import json  # noqa: F401
import os  # noqa: F401
import re  # noqa: F401
import shutil  # noqa: F401
import subprocess  # noqa: F401
import sys  # noqa: F401
import tempfile  # noqa: F401
import time  # noqa: F401

import harness
from falconutil import *  # noqa: F401,F403  (fakes, adapters and helpers shared with 80)

# ---- Falcon failures -----------------------------------------------------------------------------

FAIL_NS = "fail"
_fail_setup = []


def fail_setup():
    if not _fail_setup:
        pod(FAIL_NS, "f-0")
        pod(FAIL_NS, "f-1")
        _fail_setup.append(1)
        ready(AF)


def fail_metric(metric, value=5):
    """A fresh metric (own counter) on FLF with f-0 and f-1 pushed; returns its pods path."""
    fail_setup()
    push(FLF, "f-0", metric + ".c", value)
    push(FLF, "f-1", metric + ".c", value + 1)
    define(FAIL_NS, metric, metric + ".c")
    wait_listed(AF, "pods/" + metric)
    return pods_path(FAIL_NS, metric)


def assert_503(path, problem, what):
    st, _, body = get(AF, path, timeout=8)
    assert st == 503, "%s: GET %s: %d %s" % (what, path, st, body[:400])
    msg = json.loads(body).get("message", "")
    assert_status(body, 503, "ServiceUnavailable", msg, what=what)
    assert "Open-Falcon" in msg and re.search(problem, msg, re.I), \
        "%s: 503 message should name Open-Falcon and the problem (/%s/): %r" % (what, problem, msg)
    assert AF.running(), "%s: the adapter exited" % what
    return msg


def assert_recovers(path, what, timeout=5.0, adapter_=AF):
    ok, el = wait_for(lambda: get(adapter_, path)[0] == 200, timeout, 0.1)
    assert ok, "%s: no 200 within %.0f s after recovery: %s" % (
        what, timeout, get(adapter_, path)[2][:300])
    expect(adapter_, path, {"f-0": "5", "f-1": "6"})


def fault_case(metric, inject, undo, problem, what):
    """Falcon fails (inject), the request gets a 503 naming the problem, the adapter stays up;
    after undo the same request answers again."""
    path = fail_metric(metric)
    inject()
    try:
        assert_503(path, problem, what)
    finally:
        undo()
    assert_recovers(path, what)


def set_default_token(value):
    FLF.default_token = value


@test
def falcon_down_503_then_recovers():
    fault_case("fail.down", FLF.stop, FLF.start, "refused|connect|unreachable|down", "Falcon down")


@test
def falcon_slow_beyond_timeout_503():
    path = fail_metric("fail.slow")
    FLF.delay(3, count=1)
    t0 = time.monotonic()
    assert_503(path, "time", "Falcon slow")
    el = time.monotonic() - t0
    assert el < 2.5, "--falcon-timeout=1s, but the 503 came after %.1f s" % el
    assert_recovers(path, "Falcon slow")


@test
def falcon_401_503():
    # the adapter's default sig is no longer accepted
    fault_case("fail.auth", lambda: set_default_token(""),
               lambda: set_default_token("default-token-used-in-server-side"),
               "401|unauthori|not found this user", "Falcon 401")


@test
def falcon_500_503():
    fault_case("fail.500", lambda: FLF.fail_next(3, code=500, message="graph rpc exploded"),
               FLF.clear_faults, "500", "Falcon 500")


@test
def falcon_malformed_503():
    fault_case("fail.json", lambda: FLF.malformed(3), FLF.clear_faults,
               "json|malformed|parse|invalid|truncat", "malformed JSON")


@test
def falcon_hangup_503():
    fault_case("fail.hup", lambda: FLF.hangup(3), FLF.clear_faults,
               "clos|hang|reset|EOF|connection", "hangup")


@test
def cached_values_served_during_outage():
    path = fail_metric("fail.cached")
    expect(AF, path, {"f-0": "5", "f-1": "6"})
    FLF.stop()
    try:
        expect(AF, path, {"f-0": "5", "f-1": "6"})
        expect(AF, pods_path(FAIL_NS, "fail.cached", name="f-1"), {"f-1": "6"})
    finally:
        FLF.start()


@test
def failure_log_lines_are_rate_limited():
    # an adapter of its own: AF's earlier failures may have used up its log allowance
    fail_metric("fail.log")
    AL = adapter("log-limit", FLF, "--cache-ttl=1s", "--falcon-timeout=1s")
    ready(AL)
    path = pods_path(FAIL_NS, "fail.log")
    FLF.stop()
    n = 0
    try:
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:
            st = get(AL, path)[0]
            assert st == 503, "Falcon down: %d" % st
            n += 1
    finally:
        FLF.start()
    lines = [ln for ln in stderr_lines(AL) if "open-falcon at" in ln.lower()]
    assert n >= 20, "only %d requests in 2 s" % n
    assert 1 <= len(lines) <= 3, "%d failing requests in 2 s logged %d Falcon error lines:\n%s" % (
        n, len(lines), "\n".join(lines[:20]))
    assert AL.running()
    assert_recovers(path, "log-limit", adapter_=AL)


# ---- read API and credentials --------------------------------------------------------------------

def auth_setup(adapter_, metric):
    if K.get("pods", "auth", "a-0") is None:
        pod("auth", "a-0")
    push(FLA, "a-0", metric + ".c", 12)
    define("auth", metric, metric + ".c")
    wait_listed(adapter_, "pods/" + metric)
    return pods_path("auth", metric)


def apitoken(r):
    return json.loads(r["headers"].get("apitoken", "null"))


@test
def apitoken_from_name_flag_and_sig_file():
    path = auth_setup(G, "auth.file")
    expect(G, path, {"a-0": "12"})
    r = falcon_reqs(FLA, "auth.file.c")[-1]
    assert apitoken(r) == {"name": "alice", "sig": SIG_ALICE}, r["headers"]


@test
def apitoken_from_environment():
    # FALCON_API_URL as the original takes it: a bare host:port, meaning plain http
    old = {k: os.environ.get(k) for k in ("FALCON_API_URL", "FALCON_API_NAME", "FALCON_API_SIG")}
    os.environ.update(FALCON_API_URL="127.0.0.1:%d" % FLA.port, FALCON_API_NAME="bob",
                      FALCON_API_SIG=SIG_BOB)
    try:
        GE.start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    path = auth_setup(GE, "auth.env")
    expect(GE, path, {"a-0": "12"})
    r = falcon_reqs(FLA, "auth.env.c")[-1]
    assert apitoken(r) == {"name": "bob", "sig": SIG_BOB}, r["headers"]


@test
def wrong_sig_is_a_503_naming_the_401():
    path = auth_setup(GW, "auth.wrong")
    st, _, body = get(GW, path)
    assert st == 503, "wrong sig: %d %s" % (st, body[:300])
    msg = json.loads(body)["message"]
    assert "Open-Falcon" in msg and re.search("401|session not found|unauthori", msg, re.I), msg
    assert GW.running()


@test
def graph_last_read_api():
    path = auth_setup(GL, "auth.gl")
    expect(GL, path, {"a-0": "12"})
    assert len(falcon_reqs(FLA, "auth.gl.c", path="/graph/last")) == 1
    assert falcon_reqs(FLA, "auth.gl.c") == [], "graph-last also used lastpoint"


# ---- bad definitions and a missing CRD -----------------------------------------------------------

@test
def bad_custom_metric_not_served_then_fixed():
    ns = "bad"
    pod(ns, "b-0")
    push(FL, "b-0", "bad.c", 3)
    ready(NS)
    before = len(stderr_lines(NS))
    define(ns, "bad.nocounter", None, endpoint="x")
    define(ns, "bad.policy", "bad.c", stalePolicy="sometimes")
    define(ns, "good.after", "bad.c")          # a marker: once served, the bad ones were seen
    wait_listed(NS, "pods/good.after")
    for m in ("bad.nocounter", "bad.policy"):
        st, _, body = get(NS, pods_path(ns, m))
        assert st == 404, "%s: %d %s" % (m, st, body[:300])
        assert "pods/" + m not in discovery_names(NS), "%s listed in discovery" % m
    # with the naming convention on (A), an invalid object does not fall back to it either: the
    # 404 says why instead of an empty list for a made-up counter
    for m, field in (("bad.nocounter", "spec.metric.counter"), ("bad.policy", "stalePolicy")):
        ok, _ = wait_for(lambda: get(A, pods_path(ns, m))[0] == 404, 3.0)
        st, _, body = get(A, pods_path(ns, m))
        assert st == 404 and b"is invalid" in body and field.encode() in body, \
            "%s on the seed adapter: %d %s" % (m, st, body[:300])
    log = "\n".join(stderr_lines(NS)[before:])
    assert re.search(r"bad\.nocounter.*spec\.metric\.counter", log), "no log line why:\n" + log
    assert re.search(r"bad\.policy.*stalePolicy", log), "no log line why:\n" + log
    assert NS.running()
    define(ns, "bad.policy", "bad.c", stalePolicy="zero")
    ok, el = wait_for(lambda: get(NS, pods_path(ns, "bad.policy"))[0] == 200, 3.0)
    assert ok and el < CHANGE_MAX, "fixed CustomMetric served after %.2f s (ok=%s)" % (el, ok)
    expect(NS, pods_path(ns, "bad.policy"), {"b-0": "3"})


@test
def external_crd_absent_still_ready():
    pod("x", "x-0", fake=K2)
    push(FL, "x-0", "x.c", 8)
    define("x", "x.m", "x.c", fake=K2)
    ready(X)
    st, _, body = get(X, "/readyz")
    assert st == 200, body
    wait_listed(X, "pods/x.m")
    expect(X, pods_path("x", "x.m"), {"x-0": "8"})
    st, _, body = get(X, EM1 + "/namespaces/x/x.m")
    assert st == 404, "external without CRD: %d %s" % (st, body[:300])
    st, _, body = get(X, EM1)
    assert st == 200 and json.loads(body)["resources"] == [], (st, body[:300])


@test
def pods_cache_syncs_without_spurious_list_error():
    # 60+ realistic pods (managedFields and all) in one LIST page need more JSON tokens than the
    # informer's first token array (4096). Growing the array must not fail the LIST.
    for i in range(max(0, 60 - len(K.list("pods")))):
        pod("big", "big-%02d" % i)
    AS = adapter("big-list", FL, "--cache-ttl=1s")
    ready(AS)
    bad = [ln for ln in stderr_lines(AS) if "list failed" in ln]
    assert not bad, "a fresh adapter logged LIST failures against a healthy kube-apiserver:\n" + \
        "\n".join(bad)


# ---- the original README walk-through ------------------------------------------------------------

# kubectl talks to the adapter as the HPA controller would: a token the fake kube-apiserver's
# TokenReview knows (the adapter delegates authentication, issue 5)
HPA_TOKEN = "ma-it-falcon-kubectl-0123456789abcdef"
K.tokenreview_users[HPA_TOKEN] = {
    "username": "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
    "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system"]}


def kubectl(adapter_, path):
    exe = shutil.which("kubectl")
    assert exe, "kubectl is not installed"
    home = tempfile.mkdtemp(prefix="ma-it-kube-", dir=TMP)
    kubeconfig = os.path.join(home, "config")
    open(kubeconfig, "w").close()
    env = dict(os.environ, HOME=home, KUBECONFIG=kubeconfig)
    env.pop("KUBERNETES_SERVICE_HOST", None)
    p = subprocess.run([exe, "--kubeconfig=" + kubeconfig,
                        "--server=https://127.0.0.1:%d" % adapter_.port,
                        "--certificate-authority=" + adapter_.cafile, "--token=" + HPA_TOKEN,
                        "--request-timeout=10s", "get", "--raw", path],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=30)
    assert p.returncode == 0, "kubectl get --raw %s: exit %d: %s" % (
        path, p.returncode, p.stderr.decode(errors="replace")[-500:])
    return p.stdout


def falcon_push(*args):
    p = subprocess.run([sys.executable, PUSH_TOOL, "--url", FL.agent_url, "-n",
                        "custom-metrics-test", "--kubeconfig", KC, "--count", "1"] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0 and "200 success" in out, "falcon_push.py %s: exit %d\n%s%s" % (
        " ".join(args), p.returncode, out, p.stderr.decode(errors="replace"))


@test
def readme_walkthrough_with_kubectl():
    ns = "custom-metrics-test"
    pods = ["test-sample-59f6b8979b-dcsdn", "test-sample-59f6b8979b-x7kq2"]
    for i, n in enumerate(pods):
        pod(ns, n, labels={"app": "test-sample", "pod-template-hash": "59f6b8979b"},
            ip="10.5.0.%d" % (i + 1), owner="test-sample-59f6b8979b")
    define(ns, "cpu.busy", "cpu.busy", endpoint="")
    define(ns, "net.if.in.bytes-iface-equal-eth0", "net.if.in.bytes/iface=eth0", endpoint="")
    wait_listed(A, "pods/net.if.in.bytes-iface-equal-eth0")
    falcon_push("--metric", "cpu.busy", "--value", "43")
    falcon_push("--metric", "net.if.in.bytes", "--tags", "iface=eth0", "--value", "2103321")
    body = kubectl(A, CM1)
    d = json.loads(body)
    assert list(d) == ["kind", "apiVersion", "groupVersion", "resources"], list(d)
    assert (d["kind"], d["apiVersion"], d["groupVersion"]) == (
        "APIResourceList", "v1", "custom.metrics.k8s.io/v1beta1"), d
    for name in ("pods/cpu.busy", "pods/net.if.in.bytes-iface-equal-eth0"):
        got = [r for r in d["resources"] if r["name"] == name]
        assert got == [{"name": name, "singularName": "", "namespaced": True,
                        "kind": "MetricValueList", "verbs": ["get"]}], got
        assert list(got[0]) == ["name", "singularName", "namespaced", "kind", "verbs"], got
    ts = FL.lastpoint(pods[0], "cpu.busy")[0]
    assert ts > 0, FL.series()
    body = kubectl(A, CM1 + "/namespaces/custom-metrics-test/pods/*/cpu.busy")
    assert_json(body, value_list([pod_item(ns, n, "cpu.busy", "43", ts) for n in pods]),
                "kubectl get --raw pods/*/cpu.busy")
    body = kubectl(A, CM1 + "/namespaces/custom-metrics-test/pods/*/"
                   "net.if.in.bytes-iface-equal-eth0")
    assert [it["value"] for it in json.loads(body)["items"]] == ["2103321", "2103321"], body


if __name__ == "__main__":
    harness.run()
