"""Shared setup of the Open-Falcon end-to-end tests (80-falcon.py, 81-falcon-faults.py): the fakes,
the adapters (started lazily, by the first test that uses them) and request helpers. Each test file
runs in its own process, so each gets its own fakes and adapters."""

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
from harness import Adapter, assert_json, assert_status, get, test  # noqa: F401
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


