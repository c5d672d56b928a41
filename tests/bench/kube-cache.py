#!/usr/bin/env python3
"""Pods cache benchmark of metrics-adapter against the fake kube-apiserver (issue 3): prints
figures, asserts nothing.

For 0, 10,000 and 50,000 pods in namespace "default" (the fake's generate_pods: realistic pods
with managedFields, about 4 KB of JSON each; 100 of them labelled app=hpa-target, Running): start
`metrics-adapter --demo --kubeconfig` (a kubeconfig written by kubectl config) and measure
  * initial sync: process start -> first /readyz 200 (and the adapter's own log: serving ->
    "cache synced"), next to the time a Python client needs just to page through the same LIST
    (the fake's share of it);
  * VmRSS after sync (and VmHWM, the peak while listing); bytes per cached pod =
    (RSS_N - RSS_0) / N;
  * latency of the HPA request that selects the 100 app=hpa-target pods among the N: median and
    p99 of 200 requests on one keep-alive TLS connection (Python client; includes its overhead).
Targets (issue 3): <= 1 KB RSS per pod, 10,000 pods in <= 12 MB RSS, initial sync of 10,000 pods
<= 2 s, lookup among 10,000 pods <= 1 ms. Environment: MA_BIN (binary),
BENCH_KUBE_PODS (comma list, default 0,10000,50000), BENCH_KUBE_REQUESTS (default 200).
"""

import http.client
import json
import os
import re
import shutil
import ssl
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness  # noqa: E402
from kubeutil import Client, log_text, pods_path, vm_rss_kib  # noqa: E402
from kube_apiserver import FakeKubeApiserver  # noqa: E402

SIZES = [int(x) for x in os.environ.get("BENCH_KUBE_PODS", "0,10000,50000").split(",")]
REQUESTS = int(os.environ.get("BENCH_KUBE_REQUESTS", "200"))
TARGETS = 100
SELECTOR = "app=hpa-target"


def say(msg=""):
    print(msg, flush=True)


def vm_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(field + ":"):
                return int(ln.split()[1])
    return None


def klog_time(line):
    """Seconds of the day of a klog line (I1122 05:20:18.478585 ...)."""
    m = re.match(r"[IWEF]\d{4} (\d\d):(\d\d):(\d\d\.\d+)", line)
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else None


def log_sync_seconds(text):
    start = synced = None
    for ln in text.splitlines():
        if start is None and "serving on https://" in ln:
            start = klog_time(ln)
        if synced is None and "cache synced at resourceVersion" in ln:
            synced = klog_time(ln)
    if start is None or synced is None:
        return None
    return (synced - start) % 86400


def fake_list_seconds(fake):
    """Time for a plain Python client to page through GET /api/v1/pods?limit=500."""
    ctx = ssl.create_default_context(cafile=fake.ca_path)
    conn = http.client.HTTPSConnection("127.0.0.1", fake.port, context=ctx, timeout=60)
    hdr = {"Authorization": "Bearer " + fake.token}
    t0 = time.monotonic()
    cont, n, size = "", 0, 0
    while True:
        conn.request("GET", "/api/v1/pods?limit=500" + ("&continue=" + cont if cont else ""),
                     headers=hdr)
        body = conn.getresponse().read()
        size += len(body)
        doc = json.loads(body)
        n += len(doc["items"])
        cont = doc["metadata"].get("continue") or ""
        if not cont:
            break
    el = time.monotonic() - t0
    conn.close()
    return el, n, size


def one(n):
    fake = FakeKubeApiserver()
    try:
        t0 = time.monotonic()
        if n:
            fake.generate_pods(n - TARGETS, ("default",))
            for i in range(TARGETS):
                fake.add_pod("default", "hpa-target-%03d" % i, labels={"app": "hpa-target"},
                             node="node-%d" % (i % 20), ip="10.250.0.%d" % i)
        gen = time.monotonic() - t0
        kc = fake.write_kubeconfig(auth="token")
        list_s, listed, list_bytes = fake_list_seconds(fake)
        a = harness.Adapter("--kubeconfig=" + kc, name="bench-%d" % n)
        c = Client(a, timeout=30)
        t0 = time.monotonic()
        a.start()
        while True:
            st, _ = c.get("/readyz")
            if st == 200:
                break
            if time.monotonic() - t0 > 120:
                raise RuntimeError("no /readyz 200 within 120 s; stderr:\n" + harness.tail(
                    a.stderr_path))
            time.sleep(0.005)
        ready = time.monotonic() - t0
        time.sleep(0.5)
        rss, hwm = vm_kib(a.proc.pid, "VmRSS"), vm_kib(a.proc.pid, "VmHWM")
        res = {"n": n, "gen": gen, "fake_list": list_s, "listed": listed,
               "list_mb": list_bytes / 1e6, "ready": ready,
               "log_sync": log_sync_seconds(log_text(a)), "rss": rss, "hwm": hwm}
        if n:
            path = pods_path("default", SELECTOR)
            st, body = c.get(path)
            items = len(json.loads(body)["items"]) if st == 200 else -1
            for _ in range(20):
                c.get(path)
            lat = []
            for _ in range(REQUESTS):
                t = time.perf_counter()
                st, body = c.get(path)
                lat.append(time.perf_counter() - t)
            lat.sort()
            base = []
            for _ in range(REQUESTS):
                t = time.perf_counter()
                c.get("/livez")
                base.append(time.perf_counter() - t)
            res.update(items=items, status=st, med=statistics.median(lat) * 1e3,
                       p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
                       livez=statistics.median(base) * 1e3, rss_after=vm_rss_kib(a.proc.pid))
        c.close()
        rc = a.stop()
        res["exit"] = rc
        shutil.rmtree(a.tmp, ignore_errors=True)
        return res
    finally:
        fake.close()


def main():
    if not os.access(harness.BIN, os.X_OK):
        say("no executable at %s (run ./build.sh)" % harness.BIN)
        return 1
    say("pods cache benchmark: %s, fake kube-apiserver (Python), pods in one namespace" %
        harness.BIN)
    results = {}
    for n in SIZES:
        r = one(n)
        results[n] = r
        say("  %6d pods: generated in %.1f s; the fake pages its LIST (%d items, %.1f MB) to a "
            "Python client in %.2f s" % (n, r["gen"], r["listed"], r["list_mb"], r["fake_list"]))
        ls = ("%.3f s" % r["log_sync"]) if r["log_sync"] is not None else "n/a"
        say("          start -> /readyz 200: %.3f s (log: serving -> cache synced %s)" % (
            r["ready"], ls))
        say("          VmRSS after sync %.2f MiB (peak VmHWM %.2f MiB)" % (
            r["rss"] / 1024.0, r["hwm"] / 1024.0))
        if n:
            say("          GET %s: %d items (status %d); %d requests on one keep-alive TLS "
                "connection: median %.3f ms, p99 %.3f ms (GET /livez on it: median %.3f ms)" % (
                    pods_path("default", SELECTOR), r["items"], r["status"], REQUESTS, r["med"],
                    r["p99"], r["livez"]))
        if r["exit"] != 0:
            say("          (exit status %s after SIGTERM)" % r["exit"])
    if 0 in results:
        base = results[0]["rss"]
        for n in SIZES:
            if n:
                say("  bytes per cached pod at %d pods: (RSS_N - RSS_0) / N = %.0f B "
                    "(target <= 1024)" % (n, (results[n]["rss"] - base) * 1024.0 / n))
    if 10000 in results:
        r = results[10000]
        say("  targets at 10,000 pods: total RSS %.2f MiB (<= 12 MB), sync %.3f s (<= 2 s), "
            "median lookup %.3f ms (<= 1 ms, client overhead included)" % (
                r["rss"] / 1024.0, r["ready"], r["med"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
