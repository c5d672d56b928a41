#!/usr/bin/env python3
"""SIGTERM/SIGINT: graceful shutdown (stop accepting, finish in-flight requests within
--shutdown-grace, exit 0)."""

import signal
import socket
import time

import harness
from harness import Adapter, assert_json, run, test, tls_context
import tlsutil
from tlsutil import note

SLOW_PATH = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/demo_slow_queue"


def slow_body():
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(harness.DEMO_TIME))
    return {"kind": "ExternalMetricValueList", "apiVersion": "external.metrics.k8s.io/v1beta1",
            "metadata": {}, "items": [{"metricName": "demo_slow_queue", "metricLabels": {"queue": "slow"},
                                       "timestamp": ts, "value": "1"}]}


def exit_within(a, t_from, limit, what):
    try:
        rc = a.proc.wait(max(0.0, t_from + limit - time.monotonic()))
    except Exception:
        a.kill()
        raise AssertionError("%s: still running %.1f s after the signal\n%s"
                             % (what, limit, harness.tail(a.stderr_path, 10)))
    dt = time.monotonic() - t_from
    a.exit_code = rc
    return rc, dt


def check_refused(a, what):
    """A new connection after the signal must be refused (the listener is closed)."""
    try:
        s = socket.create_connection(("127.0.0.1", a._port), timeout=2.0)
    except ConnectionRefusedError:
        return
    # Connected: say what the server did with it, then fail.
    how = "TCP connect succeeded"
    try:
        c = tlsutil.Conn(tls_context(a.cafile).wrap_socket(s, server_hostname="localhost"))
        r = c.request("/healthz", timeout=2.0)
        how += ", TLS handshake succeeded and /healthz answered %d" % r.status
        c.close()
    except Exception as e:
        how += ", then %s: %s" % (type(e).__name__, e)
        s.close()
    raise AssertionError("%s: new connection after the signal was not refused (%s)" % (what, how))


@test
def sigterm_without_traffic_exits_0_quickly():
    a = Adapter(name="term-idle")
    a.start()
    t0 = time.monotonic()
    a.proc.send_signal(signal.SIGTERM)
    rc, dt = exit_within(a, t0, 5.0, "SIGTERM without traffic")
    note("exit %d after %.0f ms" % (rc, dt * 1e3))
    assert rc == 0, "exit status %d" % rc
    assert dt < 1.0, "took %.2f s to exit with no traffic" % dt


@test
def sigterm_with_idle_keepalive_connections_exits_quickly():
    a = Adapter(name="term-keepalive")
    a.start()
    conns = [tlsutil.Conn.open(a.port, tls_context(a.cafile)) for _ in range(5)]
    try:
        for c in conns:
            r = c.request("/healthz")
            assert r.status == 200, r
        t0 = time.monotonic()
        a.proc.send_signal(signal.SIGTERM)
        rc, dt = exit_within(a, t0, 12.0, "SIGTERM with idle keep-alive connections")
        note("exit %d after %.0f ms with 5 idle keep-alive connections (grace 10 s)" % (rc, dt * 1e3))
        assert rc == 0, "exit status %d" % rc
        assert dt < 1.0, "idle keep-alive connections held the shutdown for %.2f s" % dt
    finally:
        tlsutil.close_all(conns)


def inflight_completes(sig, name):
    a = Adapter("--demo-slow-delay=2s", "--shutdown-grace=10s", name=name)
    a.start()
    ctx = tls_context(a.cafile)
    slow = tlsutil.Background(lambda: tlsutil.get(a.port, SLOW_PATH, ctx, timeout=15.0))
    time.sleep(0.5)
    assert slow.t_done is None, "slow request ended early: %r %r" % (slow.result, slow.error)
    t_sig = time.monotonic()
    a.proc.send_signal(sig)
    time.sleep(0.2)
    assert a.proc.poll() is None, "exited (status %s) with a request in flight" % a.proc.returncode
    check_refused(a, name)
    assert slow.join(10.0), "the in-flight request is still pending"
    assert slow.error is None, "in-flight request failed: %s: %s" % (type(slow.error).__name__, slow.error)
    r = slow.result
    note("in-flight request: %d after %.2f s (delay 2 s, signal at 0.5 s)" % (r.status, slow.elapsed))
    assert r.status == 200, "in-flight request: %r" % r
    assert 1.8 <= slow.elapsed <= 3.0, "in-flight request took %.2f s, want ~2 s" % slow.elapsed
    assert_json(r.body, slow_body(), "in-flight body")
    t_resp = slow.t_done
    rc, _ = exit_within(a, t_sig, 6.0, name)
    dt = time.monotonic() - t_resp
    note("exit %d, %.0f ms after the response" % (rc, dt * 1e3))
    assert rc == 0, "exit status %d" % rc
    assert dt < 1.0, "exited %.2f s after the last in-flight response" % dt


@test
def sigterm_lets_inflight_request_finish():
    inflight_completes(signal.SIGTERM, "term-inflight")


@test
def sigint_lets_inflight_request_finish():
    inflight_completes(signal.SIGINT, "int-inflight")


@test
def shutdown_grace_bounds_the_wait():
    a = Adapter("--demo-slow-delay=5s", "--shutdown-grace=1s", name="grace-1s")
    a.start()
    ctx = tls_context(a.cafile)
    slow = tlsutil.Background(lambda: tlsutil.get(a.port, SLOW_PATH, ctx, timeout=15.0))
    time.sleep(0.5)
    t_sig = time.monotonic()
    a.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    check_refused(a, "grace-1s")
    rc, dt = exit_within(a, t_sig, 6.0, "grace 1 s")
    note("exit %d after %.2f s (grace 1 s, slow request 5 s)" % (rc, dt))
    assert rc == 0, "exit status %d" % rc
    assert 0.8 <= dt <= 2.0, "exited %.2f s after SIGTERM, want ~1 s" % dt
    slow.join(5.0)
    got = repr(slow.result) if slow.error is None else "%s: %s" % (type(slow.error).__name__, slow.error)
    note("the cut-off request got: %s" % got)
    assert slow.result is None or slow.result.status != 200, \
        "the 5 s request answered 200 although the process exited after ~1 s: %r" % slow.result


if __name__ == "__main__":
    run()
