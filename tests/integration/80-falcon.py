#!/usr/bin/env python3
"""80: the Open-Falcon backend end to end (issue 4): metrics-adapter (default backend) against the
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

import atexit
import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import Adapter, assert_json, assert_status, get, test
from kubeutil import log_text, wait_for
from kube_apiserver import FakeKubeApiserver
from falcon import FakeFalcon

HERE = os.path.dirname(os.path.abspath(__file__))
PUSH_TOOL = os.path.join(HERE, "..", "fakes", "falcon_push.py")
CM1 = "/apis/custom.metrics.k8s.io/v1beta1"
CM2 = "/apis/custom.metrics.k8s.io/v1beta2"
EM1 = "/apis/external.metrics.k8s.io/v1beta1"
LASTPOINT = "/api/v1/graph/lastpoint"
GROUP, VERSION = "metrics.falcon", "v1alpha1"
CHANGE_MAX = 1.0   # a CustomMetric change must show within this (issue 4)

# ---- fakes ---------------------------------------------------------------------------------------

K = FakeKubeApiserver()
atexit.register(K.close)
K.add_resource(GROUP, VERSION, "custommetrics", "CustomMetric")
K.add_resource(GROUP, VERSION, "externalmetrics", "ExternalMetric")
KC = K.write_kubeconfig(os.path.join(K.dir, "kc"), auth="token",
                        token=K.add_token("it-falcon-token-0123456789abcdef"))

K2 = FakeKubeApiserver()
atexit.register(K2.close)
K2.add_resource(GROUP, VERSION, "custommetrics", "CustomMetric")
KC2 = K2.write_kubeconfig(os.path.join(K2.dir, "kc"), auth="token",
                          token=K2.add_token("it-falcon-token2-0123456789abcdef"))

FL = FakeFalcon(min_step=1)     # lets the staleness tests push points a few seconds old
atexit.register(FL.close)
FLF = FakeFalcon()
atexit.register(FLF.close)
FLA = FakeFalcon(default_token="")
atexit.register(FLA.close)
SIG_ALICE = FLA.add_session("alice", "sig-alice-0123456789")
SIG_BOB = FLA.add_session("bob", "sig-bob-0123456789")

TMP = tempfile.mkdtemp(prefix="ma-it-falcon-")
atexit.register(shutil.rmtree, TMP, True)


def sig_file(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def adapter(name, falcon, *args, kubeconfig=KC):
    return Adapter("--kubeconfig=" + kubeconfig, "--falcon-url=" + falcon.url, *args,
                   name=name, demo=False)


A = adapter("falcon", FL, "--cache-ttl=1s", "--falcon-timeout=2s", "--v=1")
Z = adapter("zero", FL, "--cache-ttl=1s", "--stale-policy=zero", "--stale-after=60s")
NS = adapter("no-seed", FL, "--cache-ttl=1s", "--seed-metric-names=false", "--v=1")
AF = adapter("failures", FLF, "--cache-ttl=3s", "--falcon-timeout=1s")
G = adapter("sig-file", FLA, "--cache-ttl=1s", "--falcon-api-name=alice",
            "--falcon-api-sig-file=" + sig_file("sig-alice", SIG_ALICE + "\n"))
GW = adapter("wrong-sig", FLA, "--cache-ttl=1s", "--falcon-api-name=alice",
             "--falcon-api-sig-file=" + sig_file("sig-wrong", "not-the-sig\n"))
GL = adapter("graph-last", FLA, "--cache-ttl=1s", "--falcon-read-api=graph-last")
GE = Adapter("--kubeconfig=" + KC, "--cache-ttl=1s", name="env", demo=False)  # all from env
X = adapter("no-external-crd", FL, "--cache-ttl=1s", kubeconfig=KC2)

# ---- helpers -------------------------------------------------------------------------------------


def rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def define(ns, name, counter=None, endpoint=None, resource=None, kind="CustomMetric", fake=K,
           **spec_extra):
    """Create (or replace) a CustomMetric/ExternalMetric; spec_extra goes into spec as is."""
    metric = {}
    if counter is not None:
        metric["counter"] = counter
    if endpoint is not None:
        metric["endpoint"] = endpoint
    spec = {"metric": metric}
    if resource is not None:
        spec["target"] = {"resource": resource}
    spec.update(spec_extra)
    obj = {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": kind,
           "metadata": {"name": name, "namespace": ns}, "spec": spec}
    plural = "custommetrics" if kind == "CustomMetric" else "externalmetrics"
    res = fake.resource((GROUP, VERSION, plural))
    if fake.get(res, ns, name) is not None:
        return fake.update(obj, res)
    return fake.create(obj, res)


def pod(ns, name, labels=None, node="node-0", ip="10.1.0.1", fake=K, **kw):
    return fake.add_pod(ns, name, labels=labels or {"app": "web"}, node=node, ip=ip, **kw)


def fetch(adapter_, path, want=200):
    st, _, body = get(adapter_, path)
    assert st == want, "GET %s: status %d, want %d; body %s" % (
        path, st, want, body[:600].decode("utf-8", "replace"))
    return body


def doc(adapter_, path, want=200):
    return json.loads(fetch(adapter_, path, want))


def ready(adapter_, timeout=10.0):
    ok, _ = wait_for(lambda: get(adapter_, "/readyz")[0] == 200, timeout, 0.05)
    assert ok, "%s: /readyz not 200 within %.0f s: %s" % (
        adapter_.name, timeout, get(adapter_, "/readyz?verbose")[2][:600])


def discovery_names(adapter_, gv=CM1):
    return [r["name"] for r in doc(adapter_, gv)["resources"]]


def wait_listed(adapter_, entry, gv=CM1, present=True, limit=CHANGE_MAX):
    """Wait until discovery lists (or no longer lists) entry; assert it took < limit s."""
    ready(adapter_)
    ok, el = wait_for(lambda: (entry in discovery_names(adapter_, gv)) == present, limit * 3, 0.01)
    assert ok, "%s: discovery %s %s %r after %.1f s: %s" % (
        adapter_.name, gv, "never listed" if present else "still lists", entry, el,
        discovery_names(adapter_, gv))
    assert el < limit, "%s: discovery change of %r took %.2f s, want < %.1f s" % (
        adapter_.name, entry, el, limit)
    return el


def falcon_reqs(fl, counter, path=LASTPOINT):
    """Requests to fl's read path whose body asks for counter."""
    with fl._lock:
        reqs = list(fl.requests)
    needle = '"counter":"%s"' % counter
    return [r for r in reqs if r["path"] == path and needle in r["body"]]


def pods_path(ns, metric, name="*", selector=None, gv=CM1):
    p = "%s/namespaces/%s/pods/%s/%s" % (gv, ns, name, metric)
    if selector is not None:
        p += "?labelSelector=" + urllib.parse.quote(selector, safe="")
    return p


def pod_item(ns, name, metric, value, ts, gv=CM1, kind="Pod", api_version="/v1"):
    obj = {"kind": kind, "namespace": ns, "name": name, "apiVersion": api_version}
    if gv == CM1:
        return {"describedObject": obj, "metricName": metric, "timestamp": rfc3339(ts),
                "value": value, "selector": None}
    return {"describedObject": obj, "metric": {"name": metric, "selector": None},
            "timestamp": rfc3339(ts), "value": value}


def value_list(items, gv=CM1):
    return {"kind": "MetricValueList", "apiVersion": gv.split("/apis/")[1], "metadata": {},
            "items": items}


def values_of(adapter_, path):
    """{described object name: value} of a MetricValueList answer."""
    return {it["describedObject"]["name"]: it["value"] for it in doc(adapter_, path)["items"]}


def expect(adapter_, path, want):
    got = values_of(adapter_, path)
    assert got == want, "%s: GET %s: values %s, want %s" % (adapter_.name, path, got, want)


def ext_values(adapter_, path):
    return [(it["metricLabels"], it["value"]) for it in doc(adapter_, path)["items"]]


def expect_ext(adapter_, path, want):
    got = ext_values(adapter_, path)
    assert got == want, "%s: GET %s: (labels, value) %s, want %s" % (adapter_.name, path, got, want)


def push(fl, endpoint, metric, value, tags="", **kw):
    """Push and return the point's (aligned) timestamp as the graph stores it."""
    counter = fl.push(endpoint, metric, value, tags=tags, **kw)
    assert counter is not None, "the fake refused %s %s %r" % (endpoint, metric, value)
    return fl.lastpoint(endpoint, counter, raw=True)[0]


def stderr_lines(adapter_):
    return log_text(adapter_).splitlines()


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
