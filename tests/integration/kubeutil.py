"""Helpers for the tests that run metrics-adapter against the fake kube-apiserver
(tests/integration/55-kube-cache.py, tests/bench/kube-cache.py). Python 3 standard library only.

* The demo values of cached pods: slot = FNV-1a 32-bit of the pod name % 5, value =
  round3(10 + 2*slot + 5*sin(2*pi*(t mod 300)/300 + slot)) at harness.DEMO_TIME; want_list() builds
  the expected v1beta2 MetricValueList of a set of pods.
* Client: one keep-alive TLS connection to an adapter (reconnects when the adapter closed it).
* wait_for(): poll with a deadline, returning the time the condition took.
* requests_of(), is_pods_list(), is_pods_watch(): the fake's request log, filtered.
"""

import http.client
import math
import os
import sys
import time
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

import harness  # noqa: E402
from harness import DEMO_TIME, IO_TIMEOUT, json_diff, tls_context  # noqa: E402

CM2 = "/apis/custom.metrics.k8s.io/v1beta2"
RPS = "http_requests_per_second"
TS = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(DEMO_TIME))
NOT_SYNCED = "the pods cache has not synced with kube-apiserver yet: "


def fnv1a32(s):
    h = 0x811c9dc5
    for b in s.encode():
        h = ((h ^ b) * 0x01000193) & 0xffffffff
    return h


def pod_value(name, t=DEMO_TIME):
    """The demo value of a cached pod as an exact Decimal with 3 decimals."""
    slot = fnv1a32(name) % 5
    x = 10 + 2 * slot + 5 * math.sin(2 * math.pi * (t % 300) / 300 + slot)
    return Decimal(x).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def qty(d):
    """Canonical DecimalSI string of a value with at most 3 decimals (Go NewMilliQuantity)."""
    milli = int(Decimal(d) * 1000)
    if milli == 0:
        return "0"
    sign, m = ("-" if milli < 0 else ""), abs(milli)
    if m % 1000:
        return "%s%dm" % (sign, m)
    v, e = m // 1000, 0
    while v % 1000 == 0 and e < 18:
        v, e = v // 1000, e + 3
    return "%s%d%s" % (sign, v, {0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}[e])


def pods_path(ns, selector=None, name="*", metric=RPS):
    p = "%s/namespaces/%s/pods/%s/%s" % (CM2, ns, name, metric)
    if selector is not None:
        p += "?labelSelector=" + urllib.parse.quote(selector, safe="")
    return p


def want_list(ns, names, metric=RPS):
    """The MetricValueList the adapter answers for these pods (sorted by name, as it sorts)."""
    items = [{"describedObject": {"kind": "Pod", "namespace": ns, "name": n, "apiVersion": "/v1"},
              "metric": {"name": metric, "selector": None}, "timestamp": TS, "windowSeconds": 60,
              "value": qty(pod_value(n))} for n in sorted(names)]
    return {"kind": "MetricValueList", "apiVersion": "custom.metrics.k8s.io/v1beta2",
            "metadata": {}, "items": items}


class Client:
    """One keep-alive HTTPS connection to an adapter; get() returns (status, body bytes)."""

    def __init__(self, adapter, timeout=IO_TIMEOUT):
        self.adapter = adapter
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.adapter.start()
        self.conn = http.client.HTTPSConnection("127.0.0.1", self.adapter.port,
                                                timeout=self.timeout,
                                                context=tls_context(self.adapter.cafile))

    def get(self, path):
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                body = resp.read()
                if (resp.getheader("Connection") or "").lower() == "close":
                    self.close()
                return resp.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_for(fn, timeout, interval=0.01):
    """Call fn() until it returns a true value or `timeout` seconds passed. Returns
    (value, seconds taken): value is the last result (falsy on timeout)."""
    t0 = time.monotonic()
    while True:
        v = fn()
        el = time.monotonic() - t0
        if v or el >= timeout:
            return v, el
        time.sleep(interval)


def requests_of(fake, pred=None):
    """The fake's recorded requests (dicts: method, path, query, verb, code, headers, time)
    accepted by pred."""
    with fake._lock:
        reqs = list(fake.requests)
    return [r for r in reqs if pred is None or pred(r)]


def is_pods_list(r):
    """A LIST of pods (any namespace): a GET of .../pods without a watch parameter."""
    q = urllib.parse.parse_qs(r["query"], keep_blank_values=True)
    return (r["method"] == "GET" and r["path"].endswith("/pods") and "watch" not in q
            and "/watch/" not in r["path"])


def is_pods_watch(r):
    q = urllib.parse.parse_qs(r["query"], keep_blank_values=True)
    return r["method"] == "GET" and r["path"].endswith("/pods") and "watch" in q


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return None


def log_text(adapter):
    try:
        with open(adapter.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


__all__ = ["harness", "CM2", "RPS", "TS", "NOT_SYNCED", "fnv1a32", "pod_value", "qty", "pods_path",
           "want_list", "Client", "wait_for", "requests_of", "is_pods_list", "is_pods_watch",
           "vm_rss_kib", "log_text", "json_diff"]
