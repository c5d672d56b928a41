#!/usr/bin/env python3
"""Concurrency of the single-threaded epoll server: 1,000 idle keep-alive TLS connections do not slow
a new request down (and cost bounded memory); a pending slow metric (a timer) does not block others."""

import threading
import time

import harness
from harness import Adapter, assert_json, run, test, tls_context
import tlsutil
from tlsutil import note

N_IDLE = 1000
RSS_BOUND_KIB = 64 * 1024  # sanity bound only; the figures are printed
SLOW_PATH = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/demo_slow_queue"
PODS_PATH = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests_per_second"
LOAD_PATH = PODS_PATH + "?labelSelector=app%3Ddemo-load"  # 100 items with --demo-pods=105
DEMO_PODS = ["demo-web-0", "demo-web-1", "demo-web-2", "demo-worker-0", "demo-worker-1"]


def demo_ts():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(harness.DEMO_TIME))


def slow_body():
    return {"kind": "ExternalMetricValueList", "apiVersion": "external.metrics.k8s.io/v1beta1",
            "metadata": {}, "items": [{"metricName": "demo_slow_queue", "metricLabels": {"queue": "slow"},
                                       "timestamp": demo_ts(), "value": "1"}]}


def check_pods(r):
    assert r.status == 200, "pods metric: status %d body %r" % (r.status, r.body[:300])
    names = [it["describedObject"]["name"] for it in r.json()["items"]]
    assert names == DEMO_PODS, "pods metric: items %s, want %s" % (names, DEMO_PODS)


@test
def idle_keepalive_connections_do_not_slow_new_requests():
    limit = tlsutil.raise_nofile(N_IDLE + 512)
    assert limit >= N_IDLE + 64, "RLIMIT_NOFILE %d is too low for %d connections" % (limit, N_IDLE)
    a = Adapter(name="idle-1000")
    a.start()
    ctx = tls_context(a.cafile)
    time.sleep(0.3)
    rss0 = tlsutil.proc_status_kib(a.proc.pid)
    t0 = time.monotonic()
    conns = tlsutil.open_idle_conns(a.port, ctx, N_IDLE, "/healthz")
    t_open = time.monotonic() - t0
    try:
        time.sleep(0.3)
        rss1 = tlsutil.proc_status_kib(a.proc.pid)
        note("opened %d keep-alive TLS connections (handshake + GET /healthz each) in %.2f s (%.0f/s)"
             % (N_IDLE, t_open, N_IDLE / t_open))
        note("adapter VmRSS before: %s; with %d idle connections: %s (%.1f KiB per connection)"
             % (tlsutil.fmt_kib(rss0), N_IDLE, tlsutil.fmt_kib(rss1), (rss1 - rss0) / float(N_IDLE)))

        lat = []
        for _ in range(5):
            dt, r = tlsutil.timed_get(a.port, "/healthz", ctx)
            assert r.status == 200 and r.body == b"ok", "new connection /healthz: %r" % r
            lat.append(dt)
        note("/healthz on a new connection (connect + handshake + response) with %d idle: "
             "min %.1f ms, max %.1f ms" % (N_IDLE, min(lat) * 1e3, max(lat) * 1e3))
        assert max(lat) < 1.0, "new-connection /healthz took %.3f s with %d idle connections" % (
            max(lat), N_IDLE)

        # Every idle connection is still usable (nothing was dropped to make room).
        bad = []
        t0 = time.monotonic()
        for i, c in enumerate(conns):
            try:
                r = c.request("/healthz", timeout=5.0)
                if r.status != 200 or r.body != b"ok":
                    bad.append((i, repr(r)))
            except Exception as e:
                bad.append((i, "%s: %s" % (type(e).__name__, e)))
        note("second request on each of the %d idle connections: %d failed, %.2f s"
             % (N_IDLE, len(bad), time.monotonic() - t0))
        assert not bad, "%d of %d idle connections failed a second request; first: %s" % (
            len(bad), N_IDLE, bad[:3])
        rss2 = tlsutil.proc_status_kib(a.proc.pid)
        note("adapter VmRSS after the second round: %s" % tlsutil.fmt_kib(rss2))
        assert rss1 < RSS_BOUND_KIB, "VmRSS with %d idle connections is %s (sanity bound %d MiB)" % (
            N_IDLE, tlsutil.fmt_kib(rss1), RSS_BOUND_KIB // 1024)
    finally:
        tlsutil.close_all(conns)
    time.sleep(0.5)
    r = harness.get(a, "/healthz")
    assert r[0] == 200, "after closing the idle connections: %r" % (r,)
    note("adapter VmRSS after closing them: %s" % tlsutil.fmt_kib(tlsutil.proc_status_kib(a.proc.pid)))
    assert a.stop() == 0, "SIGTERM exit status %s" % a.exit_code


@test
def pending_slow_metric_does_not_block_other_requests():
    a = Adapter("--demo-slow-delay=10s", name="slow-10s")
    a.start()
    ctx = tls_context(a.cafile)
    slow = tlsutil.Background(lambda: tlsutil.get(a.port, SLOW_PATH, ctx, timeout=20.0))
    time.sleep(0.5)
    for when in (0.5, 5.0):
        while time.monotonic() - slow.t_start < when:
            time.sleep(0.05)
        assert slow.t_done is None, "the slow request finished after %.2f s (%r %r)" % (
            slow.elapsed, slow.result, slow.error)
        dt, r = tlsutil.timed_get(a.port, "/healthz", ctx)
        assert r.status == 200 and r.body == b"ok", "/healthz during the slow request: %r" % r
        note("t=%.1fs: /healthz on a new connection answered in %.1f ms" % (when, dt * 1e3))
        assert dt < 1.0, "/healthz took %.3f s while the slow request was pending" % dt
        dt, r = tlsutil.timed_get(a.port, PODS_PATH, ctx)
        check_pods(r)
        note("t=%.1fs: pods metric on a new connection answered in %.1f ms" % (when, dt * 1e3))
        assert dt < 1.0, "pods metric took %.3f s while the slow request was pending" % dt
    assert slow.join(15.0), "the slow request is still pending after %.1f s" % (
        time.monotonic() - slow.t_start)
    assert slow.error is None, "slow request failed: %s: %s" % (type(slow.error).__name__, slow.error)
    r = slow.result
    note("slow request: %d after %.2f s" % (r.status, slow.elapsed))
    assert r.status == 200, "slow request: %r" % r
    assert 9.5 <= slow.elapsed <= 11.5, "slow request took %.2f s, want ~10 s" % slow.elapsed
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    assert_json(r.body, slow_body(), "slow body")
    assert a.stop() == 0, "SIGTERM exit status %s" % a.exit_code


@test
def concurrent_slow_requests_wait_in_parallel():
    a = Adapter("--demo-slow-delay=3s", name="slow-3s")
    a.start()
    ctx = tls_context(a.cafile)
    bgs = [tlsutil.Background(lambda: tlsutil.get(a.port, SLOW_PATH, ctx, timeout=20.0)) for _ in range(3)]
    for i, bg in enumerate(bgs):
        assert bg.join(15.0), "slow request #%d still pending" % i
        assert bg.error is None, "slow request #%d: %s: %s" % (i, type(bg.error).__name__, bg.error)
        assert bg.result.status == 200, "slow request #%d: %r" % (i, bg.result)
        assert_json(bg.result.body, slow_body(), "slow body #%d" % i)
    el = [bg.elapsed for bg in bgs]
    note("3 concurrent slow requests (delay 3 s) finished after %s s" % ", ".join("%.2f" % e for e in el))
    assert all(2.8 <= e <= 4.5 for e in el), "elapsed %s, want each ~3 s (timers, not serial)" % el
    assert a.stop() == 0, "SIGTERM exit status %s" % a.exit_code


@test
def busy_pipelining_clients_do_not_starve_others():
    # A single-threaded loop must go back to epoll between requests: 4 keep-alive clients that
    # always have 4 requests queued (HTTP/1.1 pipelining) for the 100-item list must neither hold
    # off new connections nor each other.
    n, depth, duration = 4, 4, 3.0
    a = Adapter("--demo-pods=105", name="busy")
    a.start()
    ctx = tls_context(a.cafile)
    conns = [tlsutil.Conn.open(a.port, ctx) for _ in range(n)]
    counts, errors = [0] * n, []
    stop = threading.Event()

    def hammer(i):
        c = conns[i]
        try:
            for _ in range(depth):
                c.send_request(LOAD_PATH)
            while not stop.is_set():
                r = c.read_response(timeout=30.0)
                if r.status != 200:
                    raise AssertionError("status %d" % r.status)
                counts[i] += 1
                c.send_request(LOAD_PATH)
        except Exception as e:
            errors.append("client %d: %s: %s" % (i, type(e).__name__, e))

    threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    probes = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < duration:
            try:
                dt, r = tlsutil.timed_get(a.port, "/healthz", ctx, timeout=5.0)
                probes.append(dt if r.status == 200 else float("inf"))
            except Exception:
                probes.append(float("inf"))
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(30.0)
        tlsutil.close_all(conns)
    note("%d pipelining clients (depth %d) completed %s requests in %.1f s" % (
        n, depth, counts, time.monotonic() - t0))
    note("/healthz on new connections meanwhile: %s s" % ", ".join(
        "%.3f" % p if p != float("inf") else ">5 (timeout)" for p in probes))
    assert not errors, "busy clients failed: %s" % errors[:2]
    assert max(probes) < 1.0, "a new connection's /healthz took %s s while %d clients were busy" % (
        "> 5" if max(probes) == float("inf") else "%.3f" % max(probes), n)
    assert min(counts) >= 0.1 * max(counts), "unfair service between busy clients: %s" % counts
    assert a.stop() == 0, "SIGTERM exit status %s" % a.exit_code


if __name__ == "__main__":
    run()
