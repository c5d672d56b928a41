#!/usr/bin/env python3
"""Open-Falcon backend benchmark (issue 4): prints figures, asserts nothing.

A 100-pod Pods-metric request (pods/*/cpu.busy with a labelSelector), the HPA's request, against
the fake kube-apiserver (100 Running pods, one CustomMetric) and the fake Open-Falcon (a value for
every pod):

  1. from the value cache (--cache-ttl=1h, warmed): wrk -t1 -c16 over keep-alive TLS, interleaved
     with nginx serving the very same bytes as a static file (as core.py does);
  2. every request a cache miss (--cache-ttl=0): each request is one batched lastpoint call to the
     fake Falcon; compared with the fake's own round trip for the same 100 series, measured from
     this process (so "a miss adds one Falcon round trip and nothing else" can be read off).

The fakes are Python (threads of this process): their speed bounds the miss figures, not the
adapter's. Environment: MA_BIN, BENCH_ROUNDS (default 3), BENCH_SECONDS (default 10).
"""

import http.client
import json
import re
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(os.path.dirname(HERE), "integration"),
                os.path.join(os.path.dirname(HERE), "fakes")]

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("core", os.path.join(HERE, "core.py"))
core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core)  # wrk, nginx and CPU pinning helpers
import harness  # noqa: E402
import tlsutil  # noqa: E402
from falcon import FakeFalcon  # noqa: E402
from kube_apiserver import FakeKubeApiserver  # noqa: E402

PODS = 100
NS = "bench"
PATH = ("/apis/custom.metrics.k8s.io/v1beta2/namespaces/%s/pods/*/cpu.busy?labelSelector=app%%3Dbench"
        % NS)
say = core.say


def fakes():
    kube = FakeKubeApiserver()
    kube.add_resource("metrics.falcon", "v1alpha1", "custommetrics", "CustomMetric")
    kube.add_resource("metrics.falcon", "v1alpha1", "externalmetrics", "ExternalMetric")
    for i in range(PODS):
        kube.add_pod(NS, "bench-7d4b9c-%03d" % i, labels={"app": "bench"}, node="node-%d" % (i % 4),
                     ip="10.9.%d.%d" % (i // 250, i % 250 + 1))
    kube.create({"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
                 "metadata": {"name": "cpu.busy", "namespace": NS},
                 "spec": {"metric": {"counter": "cpu.busy", "endpoint": ""}}})
    fal = FakeFalcon()
    ts = int(time.time())
    fal.push_items([{"endpoint": "bench-7d4b9c-%03d" % i, "metric": "cpu.busy", "timestamp": ts,
                     "step": 60, "value": 20 + i % 30 + 0.25, "counterType": "GAUGE", "tags": ""}
                    for i in range(PODS)])
    return kube, fal


def adapter(kube, fal, name, *extra):
    kc = kube.write_kubeconfig(os.path.join(kube.dir, "kc-" + name), auth="token",
                               token=kube.add_token("bench-token-%s-0123456789abcdef" % name))
    a = harness.Adapter("--kubeconfig=" + kc, "--falcon-url=" + fal.url, *extra, name=name,
                        demo=False)
    a.start()
    core.pin(a.proc.pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st, _, _ = harness.get(a, "/readyz")
        if st == 200:
            break
        time.sleep(0.1)
    return a


def falcon_round_trip(fal, n=200):
    """Median and p99 (ms) of the fake's lastpoint for the 100 series, keep-alive, from here."""
    body = json.dumps([{"endpoint": "bench-7d4b9c-%03d" % i, "counter": "cpu.busy"}
                       for i in range(PODS)])
    hdr = {"Content-Type": "application/json",
           "Apitoken": json.dumps({"name": "k8s-falcon-metrics-adapter",
                                   "sig": "default-token-used-in-server-side"})}
    c = http.client.HTTPConnection("127.0.0.1", fal.port, timeout=10)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("POST", "/api/v1/graph/lastpoint", body=body, headers=hdr)
        r = c.getresponse()
        r.read()
        lat.append((time.perf_counter() - t0) * 1000)
    c.close()
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.99) - 1]


def main():
    for tool in ("wrk", "nginx", "openssl"):
        if not shutil.which(tool):
            say("falcon.py: %s is not installed (./build.sh bench installs it)" % tool)
            return 2
    say("== Open-Falcon backend benchmark (%s)" % harness.BIN)
    kube, fal = fakes()
    tmp = tlsutil.tmpdir("bench-falcon")
    hit = miss = ngx = None
    try:
        hit = adapter(kube, fal, "hit", "--cache-ttl=1h")
        c = tlsutil.Conn.open(hit.port, harness.tls_context(hit.cafile))
        fal.reset_counts()
        r = c.request(PATH)
        r2 = c.request(PATH)
        cipher = c.cipher()
        c.close()
        items = len(r.json().get("items", [])) if r.status == 200 else -1
        say("response: %d, %d bytes, %d items; Falcon requests for 2 requests: %d; TLS %s"
            % (r.status, len(r.body), items, fal.count(path="/api/v1/graph/lastpoint"), cipher[0]))
        if r2.body != r.body:
            say("NOTE: two answers differ (values changed?): nginx serves the first")
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        body_path = os.path.join(www, "body.json")
        with open(body_path, "wb") as f:
            f.write(r.body)
        nport = harness.free_port()
        ngx = core.start_nginx(tmp, nport, os.path.join(hit.cert_dir, "apiserver.crt"),
                               os.path.join(hit.cert_dir, "apiserver.key"), body_path, cipher[0])
        for pid in core.nginx_pids(ngx):
            core.pin(pid)

        urls = {"adapter": "https://127.0.0.1:%d%s" % (hit.port, PATH),
                "nginx": "https://127.0.0.1:%d%s" % (nport, PATH)}
        say("")
        say("1. from the value cache: wrk -t1 -c16 -d%ds --latency, interleaved:" % core.SECONDS)
        say("%-6s %-8s %12s %10s %10s %10s  %s" % ("round", "server", "req/s", "p50 ms", "p99 ms",
                                                   "B/req", "notes"))
        res = {"adapter": [], "nginx": []}
        fal.reset_counts()
        for rnd in range(1, core.ROUNDS + 1):
            for who in ("adapter", "nginx"):
                w = core.wrk(urls[who], 16, core.SECONDS)
                res[who].append(w)
                say("%-6d %-8s %12.0f %10.3f %10.3f %10.0f  %s" % (
                    rnd, who, w["rps"], w["p50"], w["p99"], w["bytes_per_req"], w["errors"]))
        med = {who: {k: statistics.median([w[k] for w in res[who]]) for k in ("rps", "p50", "p99")}
               for who in res}
        for who in ("adapter", "nginx"):
            say("%-6s %-8s %12.0f %10.3f %10.3f" % ("median", who, med[who]["rps"],
                                                     med[who]["p50"], med[who]["p99"]))
        say("ratio adapter/nginx: req/s %.2f, p99 %.2f; Falcon requests during the cached runs: %d"
            % (med["adapter"]["rps"] / med["nginx"]["rps"],
               med["adapter"]["p99"] / med["nginx"]["p99"],
               fal.count(path="/api/v1/graph/lastpoint")))

        say("")
        miss = adapter(kube, fal, "miss", "--cache-ttl=0", "--v=4")
        rt50, rt99 = falcon_round_trip(fal)
        say("2. every request a cache miss (--cache-ttl=0), 100 series per Falcon request:")
        say("   fake Falcon lastpoint round trip from this process: p50 %.3f ms, p99 %.3f ms"
            % (rt50, rt99))
        url = "https://127.0.0.1:%d%s" % (miss.port, PATH)
        for conns in (1, 16):
            fal.reset_counts()
            w = core.wrk(url, conns, core.SECONDS)
            n = fal.count(path="/api/v1/graph/lastpoint")
            done = w["rps"] * core.SECONDS
            say("   wrk -c%-2d %8.0f req/s  p50 %8.3f ms  p99 %8.3f ms  Falcon requests %d "
                "(%.2f per answered request) %s" % (conns, w["rps"], w["p50"], w["p99"], n,
                                                    n / done if done else float("nan"), w["errors"]))
        with open(miss.stderr_path) as f:
            log = f.read()
        seen = sorted(float(x) for x in re.findall(r"Open-Falcon: 100 series, answered in ([\d.]+) ms", log))
        took = sorted(float(x) for x in re.findall(r"cpu\.busy\S* 200 ([\d.]+)ms", log))
        if seen and took:
            say("   adapter's --v=4 lines: request p50 %.3f ms, of which the Falcon query (send, wait, "
                "read and match the reply) p50 %.3f ms" % (statistics.median(took),
                                                         statistics.median(seen)))
        say("   (-c1: the miss latency minus the Falcon round trip is the adapter's own share; "
            "-c16: concurrent misses of the same series share one Falcon request)")
    finally:
        core.stop_nginx(ngx)
        for a in (hit, miss):
            if a is not None:
                a.stop()
                shutil.rmtree(a.tmp, ignore_errors=True)
        fal.close()
        kube.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
