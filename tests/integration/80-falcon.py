#!/usr/bin/env python3
"""80: the Open-Falcon backend end to end (issue 4), serving: discovery, definitions, pods, object,
namespace and external metrics, staleness, COUNTER rates, the value cache and batching (81 has the
Falcon failures, credentials and read APIs). Setup in falconutil.py: metrics-adapter (default backend) against the
fake kube-apiserver (tests/fakes/kube_apiserver.py, serving the metrics.falcon/v1alpha1
CustomMetric and ExternalMetric resources) and the fake Open-Falcon (tests/fakes/falcon.py).

Fakes: K (kube, both CRDs), K2 (kube without the ExternalMetric CRD); FL (Falcon of the main
adapters), FLF (Falcon of the failure adapter, stopped and faulted), FLA (Falcon without a
default token: only real sessions pass the Apitoken check). Every test uses its own namespace and
its own counters, so the shared adapters' caches cannot leak values between tests; requests to
Falcon are counted by the counters their bodies name.

Adapters (all --cache-ttl=1s unless said): A (defaults: omit, stale after 300 s, seed names on),
Z (--stale-policy=zero --stale-after=60s), NS (--seed-metric-names=false), AF (FLF,
--falcon-timeout=1s, --cache-ttl=3s), G/GE/GW/GL (FLA: Apitoken from the sig file, URL and
Apitoken from FALCON_API_*, a wrong sig, and --falcon-read-api=graph-last), X (K2); AL and AS are
started by their tests (log rate limit, LIST of many pods). The walk-through runs kubectl and
tests/fakes/falcon_push.py as subprocesses."""


import json  # noqa: F401
import threading  # noqa: F401
import time  # noqa: F401

import harness
from falconutil import *  # noqa: F401,F403  (fakes, adapters and helpers shared with 81)

# ---- discovery and definitions -------------------------------------------------------------------

@test
def discovery_lists_every_definition_once():
    define("disc-a", "disc.cpu", "disc.cpu")
    define("disc-b", "disc.cpu", "disc.cpu")          # same name in another namespace: one entry
    define("disc-a", "disc.dep", "disc.qps", endpoint="{name}.{namespace}",
           resource="deployments.apps")
    define("disc-a", "disc.ns", "disc.load", endpoint="ns-{name}", resource="namespaces")
    define("disc-a", "disc.ext", "disc.queue", kind="ExternalMetric", endpoints=["lb-1"])
    wait_listed(A, "pods/disc.cpu")
    wait_listed(A, "disc.ext", gv=EM1)
    for gv in (CM1, CM2):
        d = doc(A, gv)
        assert d["kind"] == "APIResourceList" and d["groupVersion"] == gv[len("/apis/"):], d
        res = d["resources"]
        want = {"pods/disc.cpu": True, "deployments.apps/disc.dep": True,
                "namespaces/disc.ns": False}
        for name, namespaced in want.items():
            got = [r for r in res if r["name"] == name]
            assert len(got) == 1, "%s lists %r %d times: %s" % (gv, name, len(got), res)
            assert got[0] == {"name": name, "singularName": "", "namespaced": namespaced,
                              "kind": "MetricValueList", "verbs": ["get"]}, got[0]
        assert not [r for r in res if "disc.ext" in r["name"]], "external metric in " + gv
    res = doc(A, EM1)["resources"]
    got = [r for r in res if r["name"] == "disc.ext"]
    assert got == [{"name": "disc.ext", "singularName": "", "namespaced": True,
                    "kind": "ExternalMetricValueList", "verbs": ["get"]}], res
    assert not [r for r in res if "disc.cpu" in r["name"]], "custom metric in external: %s" % res


def within_change_max(what, cond):
    """Poll cond() (True when the change shows); assert it took < CHANGE_MAX s."""
    ok, el = wait_for(cond, CHANGE_MAX * 3, 0.01)
    assert ok, "%s: not shown after %.2f s" % (what, el)
    assert el < CHANGE_MAX, "%s: shown after %.2f s, want < %.1f s" % (what, el, CHANGE_MAX)


@test
def custom_metric_added_changed_deleted_within_1s():
    # on NS (no seed names), so that a deleted definition is a 404 rather than a seed lookup
    pod("chg", "chg-0")
    push(FL, "chg-0", "chg.one", 1)
    push(FL, "chg-0", "chg.two", 2)
    path = pods_path("chg", "chg.m")
    ready(NS)
    fetch(NS, path, 404)
    assert "pods/chg.m" not in discovery_names(NS)
    define("chg", "chg.m", "chg.one")
    within_change_max("added", lambda: "pods/chg.m" in discovery_names(NS)
                      and get(NS, path)[0] == 200)
    expect(NS, path, {"chg-0": "1"})
    define("chg", "chg.m", "chg.two")
    within_change_max("changed counter", lambda: values_of(NS, path) == {"chg-0": "2"})
    K.delete(K.resource((GROUP, VERSION, "custommetrics")), "chg", "chg.m")
    within_change_max("deleted", lambda: "pods/chg.m" not in discovery_names(NS)
                      and get(NS, path)[0] == 404)


# ---- pods metrics --------------------------------------------------------------------------------

@test
def pods_metric_selector_values_and_shape():
    ns = "pods"
    pod(ns, "run-0", ip="10.2.0.1")
    pod(ns, "run-1", ip="10.2.0.2")
    pod(ns, "db-0", labels={"app": "db"}, ip="10.2.0.3")
    pod(ns, "pending-0", node=None, ip=None, phase="Pending")
    pod(ns, "failed-0", phase="Failed")
    pod(ns, "done-0", phase="Succeeded")
    pod(ns, "deleting-0", ip="10.2.0.9")
    K.mark_deleting(ns, "deleting-0")
    ts = {}
    for name, v in (("run-0", 20), ("run-1", 1048576.5), ("db-0", 0.25), ("pending-0", 1),
                    ("failed-0", 2), ("done-0", 3), ("deleting-0", 4)):
        ts[name] = push(FL, name, "pods.c", v)
    define(ns, "pods.m", "pods.c")
    wait_listed(A, "pods/pods.m")
    want = {"run-0": "20", "run-1": "1048576500m"}
    for gv in (CM1, CM2):
        body = fetch(A, pods_path(ns, "pods.m", selector="app=web", gv=gv))
        assert_json(body, value_list([pod_item(ns, n, "pods.m", want[n], ts[n], gv=gv)
                                      for n in sorted(want)], gv), gv + " app=web")
    expect(A, pods_path(ns, "pods.m"), dict(want, **{"db-0": "250m"}))
    expect(A, pods_path(ns, "pods.m", selector="app in (db)"), {"db-0": "250m"})
    expect(A, pods_path(ns, "pods.m", selector="app=nope"), {})
    body = fetch(A, pods_path(ns, "pods.m", name="run-1", gv=CM2))
    assert_json(body, value_list([pod_item(ns, "run-1", "pods.m", "1048576500m", ts["run-1"],
                                           gv=CM2)], CM2), "single pod")
    for gone in ("pending-0", "failed-0", "deleting-0"):
        fetch(A, pods_path(ns, "pods.m", name=gone), 404)
    fetch(A, pods_path(ns, "pods.m", name="no-such-pod"), 404)


@test
def pods_default_endpoint_is_the_pod_hostname():
    ns = "ep"
    long_name = "long-" + "x" * 70
    pod(ns, "named-0", hostname="myhost-0", subdomain="svc")
    pod(ns, long_name)
    pod(ns, "hostnet-0", node="node-hn", ip=None, host_network=True)
    pod(ns, "plain-0")
    define(ns, "ep.default", "ep.c")
    want = {"named-0": ("myhost-0", 1), long_name: (long_name[:63], 2), "hostnet-0": ("node-hn", 3),
            "plain-0": ("plain-0", 4)}
    for name, (endpoint, v) in want.items():
        push(FL, endpoint, "ep.c", v)
    push(FL, "named-0", "ep.c", 100)           # decoys: not the hostname Falcon's agent sees
    push(FL, long_name, "ep.c", 101)
    push(FL, "hostnet-0", "ep.c", 102)
    wait_listed(A, "pods/ep.default")
    got = values_of(A, pods_path(ns, "ep.default"))
    assert got == {n: str(v) for n, (_, v) in want.items()}, got
    asked = sorted(json.loads(falcon_reqs(FL, "ep.c")[-1]["body"]), key=lambda p: p["endpoint"])
    assert asked == sorted(({"endpoint": e, "counter": "ep.c"} for e, _ in want.values()),
                           key=lambda p: p["endpoint"]), asked


@test
def pods_endpoint_templates():
    ns = "tpl"
    pod(ns, "t-0", node="node-a", ip="10.3.0.1", hostname="h0")
    pod(ns, "t-1", node="node-b", ip="10.3.0.2")
    cases = {"tpl.pod": ("{pod}.{namespace}", {"t-0": "t-0.tpl", "t-1": "t-1.tpl"}),
             "tpl.node": ("{node}_{podIP}", {"t-0": "node-a_10.3.0.1", "t-1": "node-b_10.3.0.2"}),
             "tpl.host": ("{hostname}-h", {"t-0": "h0-h", "t-1": "t-1-h"}),
             "tpl.name": ("x-{name}", {"t-0": "x-t-0", "t-1": "x-t-1"}),
             "tpl.fixed": ("fixed-host", {"t-0": "fixed-host", "t-1": "fixed-host"})}
    v = 10
    want = {}
    for metric, (tmpl, endpoints) in cases.items():
        define(ns, metric, "tpl.c", endpoint=tmpl)
        want[metric] = {}
        for pname, ep in endpoints.items():
            v += 1
            if FL.lastpoint(ep, "tpl.c")[0] == 0:
                push(FL, ep, "tpl.c", v)
            want[metric][pname] = "%g" % FL.lastpoint(ep, "tpl.c")[1]
    for metric in cases:
        wait_listed(A, "pods/" + metric)
        got = values_of(A, pods_path(ns, metric))
        assert got == want[metric], "%s (%s): got %s, want %s" % (
            metric, cases[metric][0], got, want[metric])
    assert want["tpl.fixed"]["t-0"] == want["tpl.fixed"]["t-1"]


@test
def seed_convention_without_custom_metric():
    ns = "seed"
    pod(ns, "sd-0")
    ts = push(FL, "sd-0", "net.if.in.bytes", 1048576.5, tags="iface=eth0")
    name = "net.if.in.bytes-iface-equal-eth0"
    body = fetch(A, pods_path(ns, name))
    assert_json(body, value_list([pod_item(ns, "sd-0", name, "1048576500m", ts)]), "seed name")
    asked = json.loads(falcon_reqs(FL, "net.if.in.bytes/iface=eth0")[-1]["body"])
    assert asked == [{"endpoint": "sd-0", "counter": "net.if.in.bytes/iface=eth0"}], asked
    assert "pods/" + name not in discovery_names(A), "a seed name is not a definition"
    ready(NS)
    st, _, body = get(NS, pods_path(ns, name))
    assert st == 404, "--seed-metric-names=false: %d %s" % (st, body[:300])
    assert_status(body, 404, "NotFound", re.compile(".*" + re.escape(name) + ".*"))


# ---- object and namespace metrics ----------------------------------------------------------------

@test
def object_metrics_on_deployments():
    ns = "obj"
    define(ns, "dep.qps", "obj.qps", endpoint="{name}.{namespace}", resource="deployments.apps")
    define(ns, "dep.fixed", "obj.qps", endpoint="lb-fixed", resource="deployments.apps")
    t_web = push(FL, "web.obj", "obj.qps", 7.25)
    push(FL, "api.obj", "obj.qps", 3)
    t_fix = push(FL, "lb-fixed", "obj.qps", 42)
    wait_listed(A, "deployments.apps/dep.fixed")
    for gv in (CM1, CM2):
        body = fetch(A, "%s/namespaces/%s/deployments.apps/web/dep.qps" % (gv, ns))
        assert_json(body, value_list([pod_item(ns, "web", "dep.qps", "7250m", t_web, gv=gv,
                                               kind="Deployment", api_version="apps/v1")], gv))
    expect(A, CM1 + "/namespaces/obj/deployments.apps/api/dep.qps", {"api": "3"})
    for name in ("web", "anything"):
        body = fetch(A, "%s/namespaces/%s/deployments.apps/%s/dep.fixed" % (CM1, ns, name))
        assert_json(body, value_list([pod_item(ns, name, "dep.fixed", "42", t_fix,
                                               kind="Deployment", api_version="apps/v1")]))
    st, _, body = get(A, CM1 + "/namespaces/obj/deployments.apps/*/dep.qps")
    assert st == 404, "wildcard on deployments: %d %s" % (st, body[:300])
    assert_status(body, 404, "NotFound", re.compile(".*dep\\.qps.*"))
    st, _, body = get(A, CM1 + "/namespaces/obj/pods/*/dep.qps")
    assert st == 404 or json.loads(body)["items"] == [], \
        "a deployments metric served for pods: %d %s" % (st, body[:300])


@test
def namespace_metrics():
    define("nsm", "ns.load", "nsm.load", endpoint="ns-{name}", resource="namespaces")
    ts = push(FL, "ns-nsm", "nsm.load", 3.5)
    wait_listed(A, "namespaces/ns.load")
    for gv in (CM1, CM2):
        d = doc(A, "%s/namespaces/nsm/metrics/ns.load" % gv)
        assert len(d["items"]) == 1, d
        it = d["items"][0]
        assert it["describedObject"]["kind"] == "Namespace" and \
            it["describedObject"]["name"] == "nsm" and \
            it["describedObject"]["apiVersion"] == "/v1", it
        assert it["value"] == "3500m" and it["timestamp"] == rfc3339(ts), it
    fetch(A, CM1 + "/namespaces/other-ns/metrics/ns.load", 404)


# ---- external metrics ----------------------------------------------------------------------------

@test
def external_items_selectors_and_aggregates():
    ns = "ext"
    eps = ["lb-1", "lb-2", "lb-3"]
    vals = {"lb-1": 4.5, "lb-2": 8, "lb-3": 11.5}
    ts = {e: push(FL, e, "ext.q", v) for e, v in vals.items()}
    define(ns, "ext.items", "ext.q", kind="ExternalMetric", endpoints=eps)
    for mode in ("sum", "avg", "min", "max"):
        define(ns, "ext." + mode, "ext.q", kind="ExternalMetric", endpoints=eps, mode=mode)
    wait_listed(A, "ext.max", gv=EM1)
    body = fetch(A, EM1 + "/namespaces/ext/ext.items")
    assert_json(body, {"kind": "ExternalMetricValueList", "apiVersion":
                       "external.metrics.k8s.io/v1beta1", "metadata": {}, "items": [
                           {"metricName": "ext.items", "metricLabels": {"endpoint": e},
                            "timestamp": rfc3339(ts[e]), "value": v}
                           for e, v in (("lb-1", "4500m"), ("lb-2", "8"), ("lb-3", "11500m"))]})
    q = EM1 + "/namespaces/ext/ext.items?labelSelector="
    expect_ext(A, q + "endpoint%3Dlb-1", [({"endpoint": "lb-1"}, "4500m")])
    expect_ext(A, q + urllib.parse.quote("endpoint in (lb-1,lb-3)"),
               [({"endpoint": "lb-1"}, "4500m"), ({"endpoint": "lb-3"}, "11500m")])
    expect_ext(A, q + urllib.parse.quote("endpoint!=lb-2"),
               [({"endpoint": "lb-1"}, "4500m"), ({"endpoint": "lb-3"}, "11500m")])
    expect_ext(A, q + "endpoint%3Dlb-9", [])
    for mode, want in (("sum", "24"), ("avg", "8"), ("min", "4500m"), ("max", "11500m")):
        d = doc(A, EM1 + "/namespaces/ext/ext." + mode)
        assert [(it["metricName"], it["metricLabels"], it["value"]) for it in d["items"]] == \
            [("ext." + mode, {}, want)], "mode %s: %s" % (mode, d)
    fetch(A, EM1 + "/namespaces/other/ext.items", 404)


# ---- staleness -----------------------------------------------------------------------------------

@test
def stale_and_unknown_series_omit_policy():
    ns = "stale"
    for n in ("s-fresh", "s-old", "s-unknown"):
        pod(ns, n)
    now = int(time.time())
    t_fresh = push(FL, "s-fresh", "st.c", 5, step=5)   # < 5 s old: fresh under Z's 60 s too
    push(FL, "s-old", "st.c", 6, ts=now - 600)
    define(ns, "stale.m", "st.c")
    wait_listed(A, "pods/stale.m")
    body = fetch(A, pods_path(ns, "stale.m"))
    assert_json(body, value_list([pod_item(ns, "s-fresh", "stale.m", "5", t_fresh)]), "omit")
    for name, why in (("s-old", "stale|old"), ("s-unknown", "no value|unknown|not found|no data")):
        st, _, body = get(A, pods_path(ns, "stale.m", name=name))
        assert st == 404, "%s: %d %s" % (name, st, body[:300])
        msg = json.loads(body)["message"]
        assert name in msg and "st.c" in msg and re.search(why, msg, re.I), \
            "%s: message should name the series and say why: %r" % (name, msg)
    # null values (Falcon prints NaN as null) count as stale
    define(ns, "stale.null", "st.null")
    push(FL, "s-fresh", "st.null", 7)
    wait_listed(A, "pods/stale.null")
    FL.null_values(n=1)
    try:
        d = doc(A, pods_path(ns, "stale.null"))
    finally:
        FL.clear_faults()
    assert d["items"] == [], "null value served: %s" % d


@test
def stale_and_unknown_series_zero_policy():
    ns = "stale"
    define(ns, "stale.z", "st.c")        # same series as stale.m, own metric (own cache entries)
    wait_listed(Z, "pods/stale.z")
    t0 = time.time()
    d = doc(Z, pods_path(ns, "stale.z"))
    got = {it["describedObject"]["name"]: it["value"] for it in d["items"]}
    assert got == {"s-fresh": "5", "s-old": "0", "s-unknown": "0"}, d
    for it in d["items"]:
        if it["value"] == "0":
            t = calendar.timegm(time.strptime(it["timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
            assert abs(t - t0) < 5, "zero-policy timestamp %s is not now" % it["timestamp"]
    expect(Z, pods_path(ns, "stale.z", name="s-old"), {"s-old": "0"})


@test
def stale_after_flag_with_fake_stale_knob():
    ns = "stale"
    define(ns, "stale.knob", "st.knob")
    push(FL, "s-fresh", "st.knob", 9, step=5)
    wait_listed(A, "pods/stale.knob")
    wait_listed(Z, "pods/stale.knob")
    FL.stale(120, n=2)      # points 120 s old: fresh under 300 s (A), stale under 60 s (Z)
    try:
        a = values_of(A, pods_path(ns, "stale.knob", name="s-fresh"))
        z = values_of(Z, pods_path(ns, "stale.knob", name="s-fresh"))
    finally:
        FL.clear_faults()
    assert a == {"s-fresh": "9"}, "--stale-after=300s, point 120 s old: %s" % a
    assert z == {"s-fresh": "0"}, "--stale-after=60s --stale-policy=zero, 120 s old: %s" % z


@test
def per_metric_stale_and_cache_overrides():
    ns = "stale"
    define(ns, "ov.zero", "st.c", stalePolicy="zero")
    define(ns, "ov.long", "st.c", staleAfterSeconds=3600)
    define(ns, "ov.omit", "st.c", stalePolicy="omit")
    wait_listed(A, "pods/ov.omit")
    wait_listed(Z, "pods/ov.omit")
    expect(A, pods_path(ns, "ov.zero"), {"s-fresh": "5", "s-old": "0", "s-unknown": "0"})
    expect(A, pods_path(ns, "ov.long"), {"s-fresh": "5", "s-old": "6"})
    expect(Z, pods_path(ns, "ov.omit"), {"s-fresh": "5"})
    # spec.cacheTTLSeconds: 3600 keeps serving from the cache past --cache-ttl=1s; 0 never caches
    pod("ttl", "ttl-0")
    push(FL, "ttl-0", "ttl.long.c", 1)
    push(FL, "ttl-0", "ttl.zero.c", 1)
    define("ttl", "ttl.long", "ttl.long.c", cacheTTLSeconds=3600)
    define("ttl", "ttl.zero", "ttl.zero.c", cacheTTLSeconds=0)
    wait_listed(A, "pods/ttl.zero")
    for _ in range(2):
        values_of(A, pods_path("ttl", "ttl.long"))
        values_of(A, pods_path("ttl", "ttl.zero"))
    time.sleep(1.3)
    expect(A, pods_path("ttl", "ttl.long"), {"ttl-0": "1"})
    n_long, n_zero = len(falcon_reqs(FL, "ttl.long.c")), len(falcon_reqs(FL, "ttl.zero.c"))
    assert n_long == 1, "cacheTTLSeconds 3600: %d Falcon requests for 3 answers" % n_long
    assert n_zero == 2, "cacheTTLSeconds 0: %d Falcon requests for 2 answers" % n_zero


# ---- COUNTER -------------------------------------------------------------------------------------

@test
def counter_series_served_as_rate():
    ns = "rate"
    pod(ns, "r-0")
    now = int(time.time())
    t1 = now - now % 60
    FL.push("r-0", "net.bytes", 1000, counter_type="COUNTER", ts=t1 - 60)
    FL.push("r-0", "net.bytes", 1090, counter_type="COUNTER", ts=t1)
    assert FL.lastpoint("r-0", "net.bytes") == (t1, 1.5), FL.lastpoint("r-0", "net.bytes")
    define(ns, "rate.m", "net.bytes")
    wait_listed(A, "pods/rate.m")
    body = fetch(A, pods_path(ns, "rate.m"))
    assert_json(body, value_list([pod_item(ns, "r-0", "rate.m", "1500m", t1)]), "COUNTER rate")


# ---- cache and batching --------------------------------------------------------------------------

@test
def fifty_pods_one_falcon_request_and_cache_ttl():
    ns = "cache"
    names = ["c-%02d" % i for i in range(50)]
    for i, n in enumerate(names):
        pod(ns, n, labels={"app": "c"}, ip="10.4.0.%d" % (i + 1))
        push(FL, n, "cache.c", i + 1)
    pod(ns, "c-other", labels={"app": "other"})
    define(ns, "cache.m", "cache.c")
    wait_listed(A, "pods/cache.m")
    path = pods_path(ns, "cache.m", selector="app=c")
    ok, _ = wait_for(lambda: len(doc(A, path)["items"]) == 50, 3.0)
    assert ok, "the 50 pods never all showed: %s" % doc(A, path)
    time.sleep(1.2)                                   # the TTL (1 s) of whatever was fetched
    n0 = len(falcon_reqs(FL, "cache.c"))
    got = values_of(A, path)
    assert got == {n: str(i + 1) for i, n in enumerate(names)}, got
    reqs = falcon_reqs(FL, "cache.c")[n0:]
    assert len(reqs) == 1, "a 50-pod request caused %d Falcon requests" % len(reqs)
    assert reqs[0]["items"] == 50, "the batch asked for %s series" % reqs[0]["items"]
    values_of(A, path)
    values_of(A, pods_path(ns, "cache.m", name="c-07"))
    n1 = len(falcon_reqs(FL, "cache.c"))
    assert n1 == n0 + 1, "requests within the TTL caused %d more Falcon requests" % (n1 - n0 - 1)
    time.sleep(1.2)
    values_of(A, path)
    n2 = len(falcon_reqs(FL, "cache.c"))
    assert n2 == n1 + 1, "after the TTL: %d Falcon requests, want 1" % (n2 - n1)
    time.sleep(1.2)
    FL.delay(0.5, count=1)
    out = []

    def one():
        try:
            out.append(len(doc(A, path)["items"]))
        except Exception as e:  # noqa: BLE001 (reported below)
            out.append(repr(e))
    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    FL.clear_faults()
    assert out == [50] * 5, "concurrent answers: %s" % out
    n3 = len(falcon_reqs(FL, "cache.c"))
    assert n3 == n2 + 1, "5 concurrent identical requests caused %d Falcon requests" % (n3 - n2)



# ---- reused answers (api/memo.h) -----------------------------------------------------------------

@test
def reused_answers_follow_pod_and_definition_changes():
    """With a one-hour cache (spec.cacheTTLSeconds) answers are reused without asking Falcon or
    rendering again; a pod added, relabelled or deleted, or the definition deleted, must still show
    at once (within CHANGE_MAX), not after the hour."""
    ns = "memo"
    for i in range(2):
        pod(ns, "m-%d" % i, labels={"app": "memo"})
        push(FL, "m-%d" % i, "memo.c", 10 + i)
    define(ns, "memo.m", "memo.c", cacheTTLSeconds=3600)
    wait_listed(NS, "pods/memo.m")
    path = pods_path(ns, "memo.m", selector="app=memo")
    expect(NS, path, {"m-0": "10", "m-1": "11"})
    before = falcon_reqs(FL, "memo.c")
    for _ in range(5):
        expect(NS, path, {"m-0": "10", "m-1": "11"})
    assert falcon_reqs(FL, "memo.c") == before, "answers within the TTL asked Falcon again"
    # a new value in Falcon does not show within the TTL (the cache's contract) ...
    push(FL, "m-0", "memo.c", 99)
    expect(NS, path, {"m-0": "10", "m-1": "11"})
    # ... but a new pod does, with its own value fetched
    pod(ns, "m-2", labels={"app": "memo"})
    push(FL, "m-2", "memo.c", 12)
    within_change_max("pod added", lambda: values_of(NS, path) == {"m-0": "10", "m-1": "11",
                                                                   "m-2": "12"})
    K.set_labels(ns, "m-1", {"app": "other"})
    within_change_max("pod relabelled", lambda: values_of(NS, path) == {"m-0": "10", "m-2": "12"})
    K.delete("pods", ns, "m-2")
    within_change_max("pod deleted", lambda: values_of(NS, path) == {"m-0": "10"})
    K.delete(K.resource((GROUP, VERSION, "custommetrics")), ns, "memo.m")
    within_change_max("definition deleted", lambda: get(NS, path)[0] == 404)

if __name__ == "__main__":
    harness.run()
