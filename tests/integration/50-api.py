#!/usr/bin/env python3
"""50: the metrics API end to end against the demo backend: discovery, every path form of
custom.metrics.k8s.io v1beta1/v1beta2 and external.metrics.k8s.io v1beta1, errors, health, pretty
printing, and kubectl. Expected values are computed here from /tmp/ma-demo.md's formulas at
--demo-time and compared field by field and in key order (spec §2, §3, §5.8)."""

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal

import harness
from harness import (DEMO_TIME, Adapter, Raw, assert_json, assert_status, get, json_diff,
                     parse_ordered, read_version, test)

A = Adapter("--demo-slow-delay=1s", name="api")
T = DEMO_TIME
TS = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T))

CMG, EMG = "custom.metrics.k8s.io", "external.metrics.k8s.io"
CM1, CM2, EM1 = "/apis/%s/v1beta1" % CMG, "/apis/%s/v1beta2" % CMG, "/apis/%s/v1beta1" % EMG
RPS, QLEN, LOAD = "http_requests_per_second", "queue_length", "node_load1"
NOT_FOUND_ROUTE = "the server could not find the requested resource"

# ---- the demo backend, computed (ma-demo.md) ------------------------------------------------

PODS = ["demo-web-0", "demo-web-1", "demo-web-2", "demo-worker-0", "demo-worker-1"]
POD_LABELS = [{"app": "demo-web", "tier": "frontend"}] * 3 + [{"app": "demo-worker", "tier": "backend"}] * 2
DEPLOYS = {"demo-web": [0, 1, 2], "demo-worker": [3, 4]}
NODES = ["demo-node-0", "demo-node-1"]


def raw_values():
    """Every unrounded demo value at T, with how it is rounded (3 decimals or integer)."""
    w = 2 * math.pi * T
    vals = [(10 + 2 * i + 5 * math.sin(w / 300 + i), 3) for i in range(5)]
    vals += [(0.5 + 0.25 * j + 0.2 * math.sin(w / 120 + j), 3) for j in range(2)]
    vals += [(40 + 10 * math.sin(w / 300), 3), (5 + 2 * math.sin(w / 300), 3)]
    vals += [(100 + 50 * math.sin(w / 600), 0)]
    return vals


def rnd(x, places):
    """Round half away from zero (Decimal ROUND_HALF_UP) to `places` decimals, exactly."""
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pod_val(i):
    return rnd(10 + 2 * i + 5 * math.sin(2 * math.pi * T / 300 + i), 3)


def deploy_val(name):
    return rnd(sum(pod_val(i) for i in DEPLOYS[name]), 3)


def ns_val():
    return rnd(100 + 50 * math.sin(2 * math.pi * T / 600), 0)


def node_val(j):
    return rnd(0.5 + 0.25 * j + 0.2 * math.sin(2 * math.pi * T / 120 + j), 3)


def queue_val(q):
    s = math.sin(2 * math.pi * T / 300)
    return rnd(40 + 10 * s, 3) if q == "orders" else rnd(5 + 2 * s, 3)


SUFFIX = {0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}


def qty(d):
    """Canonical DecimalSI string of a value with at most 3 decimals (Go NewMilliQuantity)."""
    milli = int(Decimal(d) * 1000)
    assert Decimal(milli) == Decimal(d) * 1000, "qty(%s): more than 3 decimals" % d
    if milli == 0:
        return "0"
    sign, m = ("-" if milli < 0 else ""), abs(milli)
    if m % 1000:
        return "%s%dm" % (sign, m)
    v, e = m // 1000, 0
    while v % 1000 == 0 and e < 18:
        v, e = v // 1000, e + 3
    return "%s%d%s" % (sign, v, SUFFIX[e])


def pod_obj(i, ns="default"):
    return {"kind": "Pod", "namespace": ns, "name": PODS[i], "apiVersion": "/v1"}


def deploy_obj(name):
    return {"kind": "Deployment", "namespace": "default", "name": name, "apiVersion": "apps/v1"}


def ns_obj():
    return {"kind": "Namespace", "name": "default", "apiVersion": "/v1"}


def node_obj(j):
    return {"kind": "Node", "name": NODES[j], "apiVersion": "/v1"}


def cm_item(ver, obj, metric, value, selector=None):
    if ver == "v1beta1":
        return {"describedObject": obj, "metricName": metric, "timestamp": TS, "window": 60,
                "value": qty(value), "selector": selector}
    return {"describedObject": obj, "metric": {"name": metric, "selector": selector}, "timestamp": TS,
            "windowSeconds": 60, "value": qty(value)}


def cm_list(ver, items):
    return {"kind": "MetricValueList", "apiVersion": "%s/%s" % (CMG, ver), "metadata": {}, "items": items}


def pods_list(ver, idx, selector=None):
    return cm_list(ver, [cm_item(ver, pod_obj(i), RPS, pod_val(i), selector) for i in idx])


def em_item(metric, labels, value, window=60):
    d = {"metricName": metric, "metricLabels": labels, "timestamp": TS}
    if window:
        d["window"] = window
    d["value"] = qty(value)
    return d


def em_list(items):
    return {"kind": "ExternalMetricValueList", "apiVersion": "%s/v1beta1" % EMG, "metadata": {},
            "items": items}


def queue_item(q):
    return em_item("demo_queue_depth", {"queue": q}, queue_val(q))


def q(path, **params):
    """path + an encoded query, as Go's url.Values.Encode writes it (keys sorted, space as '+')."""
    return path + ("?" + urllib.parse.urlencode(sorted(params.items())) if params else "")


def fetch(path, status=200, headers=None, ctype="application/json"):
    st, hdrs, body = get(A, path, headers=headers)
    assert st == status, "GET %s: status %d, want %d; body %s" % (path, st, status, body[:400])
    if ctype is not None:
        assert hdrs.get("Content-Type") == ctype, \
            "GET %s: Content-Type %r, want %r" % (path, hdrs.get("Content-Type"), ctype)
    return body


def check(path, want, status=200):
    assert_json(fetch(path, status), want, "GET " + path)


def check_404(path, message):
    assert_status(fetch(path, 404), 404, "NotFound", message, None, "GET " + path)


def check_400(path, message=re.compile(r".+", re.S)):
    assert_status(fetch(path, 400), 400, "BadRequest", message, None, "GET " + path)


# ---- the test's own arithmetic ---------------------------------------------------------------

@test
def expected_values_are_far_from_rounding_ties():
    for x, places in raw_values():
        frac = abs((x * 10 ** places) % 1 - 0.5)
        assert frac > 1e-3, "demo value %r at T=%d is within %.2g of a rounding tie: pick another DEMO_TIME" % (
            x, T, frac)


@test
def quantity_formatter_selfcheck():
    for d, want in [("12.345", "12345m"), ("10", "10"), ("12.3", "12300m"), ("1500", "1500"),
                    ("2000", "2k"), ("0.066", "66m"), ("0", "0"), ("1000000", "1M"), ("0.6", "600m"),
                    ("120000", "120k"), ("-1.5", "-1500m")]:
        assert qty(Decimal(d)) == want, "qty(%s) = %s, want %s" % (d, qty(Decimal(d)), want)


# ---- discovery -------------------------------------------------------------------------------

def res(name, namespaced, kind="MetricValueList"):
    return {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get"]}


def cm_resources(ver):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "%s/%s" % (CMG, ver),
            "resources": [res("pods/" + RPS, True), res("deployments.apps/" + RPS, True),
                          res("namespaces/" + QLEN, False), res("nodes/" + LOAD, False)]}


EM_RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": EMG + "/v1beta1",
                "resources": [res("demo_queue_depth", True, "ExternalMetricValueList"),
                              res("demo_slow_queue", True, "ExternalMetricValueList")]}


def sorted_resources(value):
    """An APIResourceList (ordered form) with resources sorted by name: their order is not part
    of the contract, their fields' order is."""
    out = harness.Ordered()
    for k, v in value:
        if k == "resources" and isinstance(v, list):
            v = sorted(v, key=lambda r: dict(r).get("name", "") if isinstance(r, harness.Ordered) else "")
        out.append((k, v))
    return out


def assert_resource_list(body, want, what):
    try:
        got = parse_ordered(body)
    except ValueError as e:
        raise AssertionError("%s: not JSON (%s): %r" % (what, e, body[:300]))
    assert isinstance(got, harness.Ordered), "%s: not an object: %r" % (what, body[:200])
    d = harness._diff(sorted_resources(got), sorted_resources(harness.to_ordered(want)), "$")
    assert d is None, "%s: %s\n      body: %s" % (what, d, body[:1500])


def check_resource_list(path, want):
    assert_resource_list(fetch(path), want, "GET " + path)


@test
def discovery_resource_lists():
    for slash in ["", "/"]:
        check_resource_list(CM1 + slash, cm_resources("v1beta1"))
        check_resource_list(CM2 + slash, cm_resources("v1beta2"))
        check_resource_list(EM1 + slash, EM_RESOURCES)


@test
def discovery_is_deterministic_and_ignores_unknown_params():
    for path in [CM1, CM2, EM1]:
        b = fetch(path)
        assert fetch(path) == b, "%s: two GETs differ" % path
        assert fetch(path + "?timeout=32s&resourceVersion=0") == b, "%s: ?timeout=32s changes the body" % path


def gv(group, version):
    return {"groupVersion": "%s/%s" % (group, version), "version": version}


EM_GROUP = {"kind": "APIGroup", "apiVersion": "v1", "name": EMG, "versions": [gv(EMG, "v1beta1")],
            "preferredVersion": gv(EMG, "v1beta1")}


def check_cm_group(body, what):
    """spec §1.2/§2.1: CMA lists only v1beta1; listing v1beta2 too is allowed. The preferred
    version is the first listed (Go orders by priority)."""
    got = parse_ordered(body)
    g = dict(got)
    versions = g.get("versions")
    assert isinstance(versions, list) and versions, "%s: versions %r" % (what, versions)
    names = [dict(v).get("version") for v in versions]
    assert names in (["v1beta1"], ["v1beta1", "v1beta2"], ["v1beta2", "v1beta1"]), \
        "%s: versions %s" % (what, names)
    want = {"kind": "APIGroup", "apiVersion": "v1", "name": CMG, "versions": [gv(CMG, n) for n in names],
            "preferredVersion": gv(CMG, names[0])}
    if "serverAddressByClientCIDRs" in g:
        want["serverAddressByClientCIDRs"] = g["serverAddressByClientCIDRs"]
    assert_json(body, want, what)
    return want


@test
def discovery_groups():
    for slash in ["", "/"]:
        check_cm_group(fetch("/apis/" + CMG + slash), "GET /apis/%s%s" % (CMG, slash))
        check("/apis/" + EMG + slash, EM_GROUP)


@test
def discovery_apis():
    cm_want = check_cm_group(fetch("/apis/" + CMG), "/apis/" + CMG)
    for path in ["/apis", "/apis/"]:
        body = fetch(path)
        got = parse_ordered(body)
        keys = [k for k, _ in got]
        assert keys == ["kind", "apiVersion", "groups"], "GET %s: keys %s" % (path, keys)
        assert dict(got)["kind"] == "APIGroupList" and dict(got)["apiVersion"] == "v1", body[:200]
        groups = dict(got)["groups"]
        assert len(groups) == 2, "GET %s: %d groups, want custom and external: %s" % (path, len(groups), body[:800])
        for item, want in zip(groups, [cm_want, EM_GROUP]):
            want = dict(want)
            # Inside a list Go omits the (empty) TypeMeta of each APIGroup; tolerate it if complete.
            if "kind" not in dict(item):
                del want["kind"], want["apiVersion"]
            d = harness._diff(item, harness.to_ordered(want), "$.groups[]")
            assert d is None, "GET %s: %s\n      body: %s" % (path, d, body[:1500])


# ---- custom metrics: every path form, both versions ----------------------------------------

VERSIONS = [("v1beta1", CM1), ("v1beta2", CM2)]


@test
def pods_by_label_selector():
    for ver, P in VERSIONS:
        base = P + "/namespaces/default/pods/%2A/" + RPS
        check(q(base, labelSelector="app=demo-web"), pods_list(ver, [0, 1, 2]))
        check(q(base, labelSelector="tier=backend"), pods_list(ver, [3, 4]))
        check(q(base, labelSelector="app in (demo-web,demo-worker),tier!=frontend"), pods_list(ver, [3, 4]))
        check(base, pods_list(ver, range(5)))
        check(P + "/namespaces/default/pods/*/" + RPS + "?labelSelector=app%3Ddemo-web",
              pods_list(ver, [0, 1, 2]))


@test
def pods_empty_results():
    for ver, P in VERSIONS:
        check(q(P + "/namespaces/default/pods/%2A/" + RPS, labelSelector="app=nope"), pods_list(ver, []))
        check(P + "/namespaces/other/pods/%2A/" + RPS, pods_list(ver, []))


@test
def single_pod():
    for ver, P in VERSIONS:
        for i in range(5):
            check(P + "/namespaces/default/pods/%s/%s" % (PODS[i], RPS), pods_list(ver, [i]))
        # labelSelector is ignored for named objects (spec §1.3)
        check(q(P + "/namespaces/default/pods/demo-web-0/" + RPS, labelSelector="app=demo-worker"),
              pods_list(ver, [0]))


@test
def deployments_apps():
    for ver, P in VERSIONS:
        base = P + "/namespaces/default/deployments.apps/%s/" + RPS
        for name in DEPLOYS:
            check(base % name, cm_list(ver, [cm_item(ver, deploy_obj(name), RPS, deploy_val(name))]))
        both = cm_list(ver, [cm_item(ver, deploy_obj(n), RPS, deploy_val(n)) for n in DEPLOYS])
        check(base % "%2A", both)
        check(q(base % "%2A", labelSelector="app=demo-worker"),
              cm_list(ver, [cm_item(ver, deploy_obj("demo-worker"), RPS, deploy_val("demo-worker"))]))


@test
def namespace_metric():
    for ver, P in VERSIONS:
        check(P + "/namespaces/default/metrics/" + QLEN, cm_list(ver, [cm_item(ver, ns_obj(), QLEN, ns_val())]))


@test
def nodes_root_scoped():
    for ver, P in VERSIONS:
        for j in range(2):
            check(P + "/nodes/%s/%s" % (NODES[j], LOAD), cm_list(ver, [cm_item(ver, node_obj(j), LOAD, node_val(j))]))
        both = cm_list(ver, [cm_item(ver, node_obj(j), LOAD, node_val(j)) for j in range(2)])
        check(P + "/nodes/%2A/" + LOAD, both)
        check(P + "/nodes/*/" + LOAD, both)
        check(q(P + "/nodes/%2A/" + LOAD, labelSelector="kubernetes.io/os=linux"), both)
        check(q(P + "/nodes/%2A/" + LOAD, labelSelector="kubernetes.io/os=windows"), cm_list(ver, []))


@test
def metric_label_selector_echo():
    cases = [("source=demo", {"matchLabels": {"source": "demo"}}),
             ("source==demo", {"matchLabels": {"source": "demo"}}),
             ("source in (demo,x)", {"matchExpressions": [{"key": "source", "operator": "In",
                                                           "values": ["demo", "x"]}]}),
             ("source notin (x)", {"matchExpressions": [{"key": "source", "operator": "NotIn",
                                                         "values": ["x"]}]}),
             ("source", {"matchExpressions": [{"key": "source", "operator": "Exists"}]}),
             ("source=demo,!absent", {"matchLabels": {"source": "demo"},
                                      "matchExpressions": [{"key": "absent", "operator": "DoesNotExist"}]})]
    for ver, P in VERSIONS:
        for sel, echo in cases:
            check(q(P + "/namespaces/default/pods/%2A/" + RPS, labelSelector="app=demo-web",
                    metricLabelSelector=sel), pods_list(ver, [0, 1, 2], echo))
            check(q(P + "/namespaces/default/pods/demo-web-1/" + RPS, metricLabelSelector=sel),
                  pods_list(ver, [1], echo))
        check(q(P + "/nodes/demo-node-0/" + LOAD, metricLabelSelector="source=demo"),
              cm_list(ver, [cm_item(ver, node_obj(0), LOAD, node_val(0), {"matchLabels": {"source": "demo"}})]))


@test
def metric_label_selector_matching_nothing():
    for ver, P in VERSIONS:
        check(q(P + "/namespaces/default/pods/%2A/" + RPS, metricLabelSelector="source=other"),
              pods_list(ver, []))
        check_404(q(P + "/namespaces/default/pods/demo-web-0/" + RPS, metricLabelSelector="source=other"),
                  "the server could not find the metric %s for pods demo-web-0" % RPS)


@test
def field_selector():
    for ver, P in VERSIONS:
        path = P + "/namespaces/default/pods/demo-web-0/" + RPS
        check(q(path, fieldSelector="metadata.name=demo-web-0"), pods_list(ver, [0]))
        check_400(q(path, fieldSelector="metadata.name=demo-web-1"),
                  "fieldSelector metadata.name doesn't match requested name")


# ---- external metrics --------------------------------------------------------------------------

@test
def external_queue_depth():
    for ns in ["default", "team-a"]:
        path = EM1 + "/namespaces/%s/demo_queue_depth" % ns
        check(path, em_list([queue_item("orders"), queue_item("emails")]))
        check(q(path, labelSelector="queue=emails"), em_list([queue_item("emails")]))
        check(q(path, labelSelector="queue in (orders)"), em_list([queue_item("orders")]))
        check(q(path, labelSelector="queue!=orders"), em_list([queue_item("emails")]))
        check(q(path, labelSelector="queue=none"), em_list([]))


@test
def external_slow_queue_is_asynchronous():
    path = EM1 + "/namespaces/default/demo_slow_queue"
    with Raw(A) as slow:
        t0 = time.monotonic()
        slow.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
        st, _, body = get(A, CM1)  # served while the slow one waits
        assert st == 200 and time.monotonic() - t0 < 0.8, \
            "discovery took %.2f s while a slow metric was pending" % (time.monotonic() - t0)
        r = slow.read_response(timeout=6)
        dt = time.monotonic() - t0
        assert r.status == 200, "%r %r" % (r, r.body[:300])
        assert 0.9 <= dt < 4, "slow metric answered after %.2f s with --demo-slow-delay=1s" % dt
        assert_json(r.body, em_list([em_item("demo_slow_queue", {"queue": "slow"}, 1, window=None)]), path)


# ---- errors (spec §3, ma-demo.md) --------------------------------------------------------------

@test
def unknown_metric_404():
    for ver, P in VERSIONS:
        check_404(P + "/namespaces/default/pods/%2A/nope", "the server could not find the metric nope for pods")
        check_404(P + "/namespaces/default/pods/demo-web-0/nope", "the server could not find the metric nope for pods")
        check_404(P + "/nodes/%2A/" + RPS, "the server could not find the metric %s for nodes" % RPS)
        check_404(P + "/namespaces/default/services/%2A/" + RPS,
                  "the server could not find the metric %s for services" % RPS)
        check_404(P + "/namespaces/default/metrics/nope", "the server could not find the metric nope for namespaces")
        # Go routes P/{resource}/{name}/{metric} before anything else: this is metric "pods" of
        # the Namespace object "default" (CMA cmhandlers.go rootScopedPath).
        check_404(P + "/namespaces/default/pods", "the server could not find the metric pods for namespaces")


@test
def unknown_object_404():
    for ver, P in VERSIONS:
        check_404(P + "/namespaces/default/pods/nope-pod/" + RPS,
                  "the server could not find the metric %s for pods nope-pod" % RPS)
        check_404(P + "/namespaces/other/pods/demo-web-0/" + RPS,
                  "the server could not find the metric %s for pods demo-web-0" % RPS)
        check_404(P + "/namespaces/default/deployments.apps/nope-deploy/" + RPS,
                  "the server could not find the metric %s for deployments.apps nope-deploy" % RPS)
        check_404(P + "/nodes/demo-node-9/" + LOAD, "the server could not find the metric %s for nodes demo-node-9" % LOAD)
        check_404(P + "/namespaces/other/metrics/" + QLEN,
                  "the server could not find the metric %s for namespaces other" % QLEN)


@test
def unknown_external_metric_404():
    body = fetch(EM1 + "/namespaces/default/nope", 404)
    assert_status(body, 404, "NotFound", re.compile(r".*\bnope\b.*"), harness.ANY, "unknown external metric")


@test
def bad_label_selector_400():
    for bad in ["app===x", "app in (a", "!", "app=demo-web,", "a b", "app=-x", "x>1.5"]:
        for ver, P in VERSIONS:
            check_400(q(P + "/namespaces/default/pods/%2A/" + RPS, labelSelector=bad))
        check_400(q(EM1 + "/namespaces/default/demo_queue_depth", labelSelector=bad))


@test
def bad_metric_label_selector_400():
    for bad in ["source===demo", "source in (demo", "source=demo,"]:
        for ver, P in VERSIONS:
            check_400(q(P + "/namespaces/default/pods/%2A/" + RPS, metricLabelSelector=bad))
            check_400(q(P + "/namespaces/default/pods/demo-web-0/" + RPS, metricLabelSelector=bad))


@test
def no_route_inside_prefix_404_status():
    paths = []
    for _, P in VERSIONS:
        paths += [P + "/nodes/foo", P + "/namespaces/default/pods/bar", P + "/blah",
                  P + "/namespaces/default/pods/%2A/" + RPS + "/extra",
                  P + "/nodes/demo-node-0/" + LOAD + "/x/y"]
    paths += [EM1 + "/namespaces/foo", EM1 + "/namespaces/foo/group/metric", EM1 + "/blah",
              EM1 + "/namespaces/default/demo_queue_depth/extra"]
    for path in paths:
        assert_status(fetch(path, 404), 404, "NotFound", NOT_FOUND_ROUTE, {}, "GET " + path)


@test
def namespace_metrics_without_name_400():
    # spec §1.2: P/namespaces/{ns}/metrics is too short after the rewrite -> 400 "invalid request path"
    for _, P in VERSIONS:
        check_400(P + "/namespaces/default/metrics", "invalid request path")


@test
def outside_any_prefix_plain_404():
    for path in ["/foo", "/apis/foo.example.com", "/apis/foo.example.com/v1", "/metricsx", "/healthzz"]:
        st, hdrs, body = get(A, path)
        assert st == 404, "GET %s: status %d" % (path, st)
        assert body == b"404 page not found\n", "GET %s: body %r" % (path, body[:200])
        assert hdrs.get("Content-Type") == "text/plain; charset=utf-8", \
            "GET %s: Content-Type %r" % (path, hdrs.get("Content-Type"))


# ---- health, version, openapi ------------------------------------------------------------------

@test
def health_endpoints():
    for name in ["healthz", "livez", "readyz"]:
        st, hdrs, body = get(A, "/" + name)
        assert (st, body) == (200, b"ok"), "/%s: %d %r" % (name, st, body)
        assert hdrs.get("Content-Type") == "text/plain; charset=utf-8", "/%s: %r" % (name, hdrs.get("Content-Type"))
        assert hdrs.get("X-Content-Type-Options") == "nosniff", "/%s: no X-Content-Type-Options: nosniff" % name


@test
def health_verbose():
    for name in ["healthz", "livez", "readyz"]:
        for suffix in ["?verbose", "?verbose=true", "?verbose=1"]:
            st, hdrs, body = get(A, "/" + name + suffix)
            text = body.decode()
            assert st == 200, "/%s%s: %d" % (name, suffix, st)
            lines = text.rstrip("\n").split("\n")
            assert len(lines) >= 2, "/%s%s: %r" % (name, suffix, text)
            assert lines[-1] == "%s check passed" % name, "/%s%s: last line %r" % (name, suffix, lines[-1])
            for ln in lines[:-1]:
                assert re.fullmatch(r"\[\+\][\w.:/-]+ ok", ln), "/%s%s: check line %r" % (name, suffix, ln)


@test
def version_json():
    body = fetch("/version")
    v = json.loads(body)
    assert isinstance(v, dict) and isinstance(v.get("gitVersion"), str), body[:300]
    assert v["gitVersion"].startswith("v" + read_version()), "gitVersion %r, want v%s..." % (
        v["gitVersion"], read_version())


@test
def openapi_v2_empty_v3_404():
    # kube-apiserver's OpenAPI aggregation logs an error and retries on a 404 at /openapi/v2
    # (tests/cluster checks its log): an empty, valid Swagger 2.0 document; v3 404 (it falls back)
    st, hdr, body = get(A, "/openapi/v2", headers={"Accept": "application/json"})
    assert st == 200, "GET /openapi/v2: status %d %r" % (st, body[:200])
    assert hdr.get("Content-Type", "").startswith("application/json"), hdr.get("Content-Type")
    assert json.loads(body) == {"swagger": "2.0", "paths": {},
                                "info": {"title": "metrics-adapter",
                                         "version": "v" + read_version()}}, body[:300]
    st, _, body = get(A, "/openapi/v3")
    assert st == 404, "GET /openapi/v3: status %d, want 404" % st


# ---- pretty printing ---------------------------------------------------------------------------

def assert_pretty(pretty, compact, what):
    assert json.loads(pretty) == json.loads(compact), "%s: pretty JSON differs in value" % what
    assert parse_ordered(pretty) == parse_ordered(compact), "%s: pretty JSON differs in key order" % what
    lines = pretty.decode().rstrip("\n").split("\n")
    assert len(lines) > 3, "%s: not indented: %r" % (what, pretty[:200])
    assert lines[0] == "{" and re.match(r'^\s+"kind": ', lines[1]), "%s: not indented: %r" % (what, pretty[:200])
    assert b"\n" not in compact.rstrip(b"\n"), "%s: compact form has line breaks" % what


@test
def pretty_output():
    for path in [CM1, "/apis", q(CM2 + "/namespaces/default/pods/%2A/" + RPS, labelSelector="app=demo-web"),
                 EM1 + "/namespaces/default/demo_queue_depth"]:
        compact = fetch(path)
        sep = "&" if "?" in path else "?"
        assert_pretty(fetch(path + sep + "pretty=true"), compact, path + " ?pretty=true")
        assert_pretty(fetch(path, headers={"User-Agent": "curl/8.5.0"}), compact, path + " (curl UA)")
        assert fetch(path + sep + "pretty=false") == compact, "%s ?pretty=false is not compact" % path
    err = CM1 + "/namespaces/default/pods/%2A/nope"
    assert_pretty(fetch(err + "?pretty=true", 404), fetch(err, 404), "404 Status ?pretty=true")


# ---- kubectl -----------------------------------------------------------------------------------

def kubectl(path):
    exe = shutil.which("kubectl")
    if not exe:
        harness.skip("kubectl is not installed")
    home = tempfile.mkdtemp(prefix="ma-it-kube-")
    kubeconfig = os.path.join(home, "config")
    open(kubeconfig, "w").close()
    env = dict(os.environ, HOME=home, KUBECONFIG=kubeconfig)
    env.pop("KUBERNETES_SERVICE_HOST", None)
    # Without any credential kubectl prompts for a username; a bearer token is the least
    # intrusive identity (the adapter does no authentication yet and must ignore it).
    p = subprocess.run([exe, "--kubeconfig=" + kubeconfig, "--server=https://127.0.0.1:%d" % A.port,
                        "--certificate-authority=" + A.cafile, "--token=ma-integration-test",
                        "--request-timeout=10s", "get", "--raw", path],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=30)
    shutil.rmtree(home, ignore_errors=True)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def kubectl_ok(path, want, compare=assert_json):
    rc, out, err = kubectl(path)
    assert rc == 0, "kubectl get --raw %s: exit %d: %s" % (path, rc, err.strip()[-500:])
    compare(out, want, "kubectl get --raw " + path)


@test
def kubectl_discovery():
    kubectl_ok(CM1, cm_resources("v1beta1"), assert_resource_list)
    kubectl_ok(EM1 + "/", EM_RESOURCES, assert_resource_list)


@test
def kubectl_pods_list():
    kubectl_ok(CM2 + "/namespaces/default/pods/*/" + RPS + "?labelSelector=app%3Ddemo-web",
               pods_list("v1beta2", [0, 1, 2]))
    kubectl_ok(CM1 + "/namespaces/default/pods/*/" + RPS, pods_list("v1beta1", range(5)))


@test
def kubectl_external_list():
    kubectl_ok(EM1 + "/namespaces/default/demo_queue_depth",
               em_list([queue_item("orders"), queue_item("emails")]))
    kubectl_ok(EM1 + "/namespaces/default/demo_queue_depth?labelSelector=queue%3Dorders",
               em_list([queue_item("orders")]))


@test
def kubectl_decodes_status_errors():
    rc, out, err = kubectl(CM1 + "/namespaces/default/pods/*/nope")
    assert rc != 0, "kubectl exit 0 for a 404"
    want = "the server could not find the metric nope for pods"
    assert "NotFound" in err and want in err, "kubectl did not decode the Status: %r" % err[-500:]


if __name__ == "__main__":
    harness.run()
