#!/usr/bin/env python3
"""25: name resolution off the event loop (issue 10). The Open-Falcon adapter (fakes and helpers of
falconutil.py) with a kubeconfig and a Falcon URL that name host names, resolved through the fake
DNS server tests/fakes/dns.py on 127.0.9.53:53 (--resolv-conf, --hosts-file point at files of this
test). While DNS never answers, answers slowly or says NXDOMAIN, /livez and cached answers stay
fast (figures printed, p99 asserted under a generous 10 ms); with DNS down after a good answer,
traffic goes on to the last good address; NXDOMAIN is reported as such."""

import http.client
import os
import socket
import time

import harness
from falconutil import *  # noqa: F401,F403
from falconutil import K, FL, TMP, EM1, define, push, falcon_reqs, ready, get
from harness import Adapter, test, tls_context
from kubeutil import log_text, wait_for
from dns import FakeDNS

DNS_ADDR = "127.0.9.53"
D = FakeDNS(DNS_ADDR, 53)
D.ttl = 1                  # the adapter raises it to its 5 s floor: refreshes happen in each phase
D.set("kube.test", "127.0.0.1")
D.set("falcon.test", "127.0.0.1")
D.set("falcon.svc.test", "127.0.0.1")


def write(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w") as f:
        f.write(text)
    return p


RESOLV = write("resolv.conf", "nameserver %s\nsearch svc.test\noptions ndots:1 timeout:1 attempts:2\n"
               % DNS_ADDR)
HOSTS = write("hosts", "127.0.0.1 localhost\n127.0.0.1 static-falcon.test\n")
KPORT = int(K.url.rsplit(":", 1)[1])
KC_NAME = K.write_kubeconfig(os.path.join(TMP, "kc-dns"), server="https://kube.test:%d" % KPORT,
                             insecure=True, token=K.add_token("it-dns-token-0123456789abcdef"))


def adapter(name, falcon_host, *args):
    return Adapter("--kubeconfig=" + KC_NAME, "--falcon-url=http://%s:%d" % (falcon_host, FL.port),
                   "--resolv-conf=" + RESOLV, "--hosts-file=" + HOSTS, "--cache-ttl=1s",
                   "--falcon-timeout=3s", "--v=1", *args, name=name, demo=False)


A = adapter("dns", "falcon")        # falcon.svc.test through the search list
H = adapter("hosts", "static-falcon.test")
N = adapter("nxdomain", "gone.test")


def ext(ns, name, counter, endpoint="dns-lb"):
    define(ns, name, counter, kind="ExternalMetric", endpoints=[endpoint])
    push(FL, endpoint, counter, 7)
    return EM1 + "/namespaces/%s/%s" % (ns, name)


def served(adapter_, path, timeout=15.0):
    ok, _ = wait_for(lambda: get(adapter_, path)[0] == 200, timeout, 0.1)
    st, _, body = get(adapter_, path)
    assert ok and st == 200, "%s: GET %s: %d %s" % (adapter_.name, path, st, body[:400])
    return body


class Conn:
    """One keep-alive TLS connection: request latencies without handshakes."""

    def __init__(self, adapter_):
        self.c = http.client.HTTPSConnection("127.0.0.1", adapter_.port, timeout=10,
                                             context=tls_context(adapter_.cafile))

    def get(self, path):
        t0 = time.monotonic()
        self.c.request("GET", path)
        r = self.c.getresponse()
        body = r.read()
        return r.status, body, (time.monotonic() - t0) * 1000.0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]


def drop_falcon_conns():
    """Close the fake Falcon's connections, so the adapter's next call needs a new one (and asks
    the resolver): pooled keep-alive connections need no lookup."""
    with FL._lock:
        conns = list(FL._conns)
    for c in conns:
        try:
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def measure(adapter_, path, seconds, what, bound=10.0, again=True):
    """/livez and a cached external metric for `seconds`; print figures and return (statuses,
    worse p99). A lookup that blocked the loop would stall a request for a whole DNS try (1 s
    here): max < 900 ms always. p99 < bound (10 ms, or 3x the p99 measured with DNS healthy when
    other jobs load the CPUs), measured a second time if the first window missed it."""
    live, cached = Conn(adapter_), Conn(adapter_)
    lt, ct, statuses = [], [], {}
    end = time.monotonic() + seconds
    next_drop = 0.0
    i = 0
    while time.monotonic() < end:
        if time.monotonic() >= next_drop:
            drop_falcon_conns()
            next_drop = time.monotonic() + 0.5
        st, _, ms = live.get("/livez")
        assert st == 200, "/livez: %d" % st
        lt.append(ms)
        if i % 2 == 0:
            st, _, ms = cached.get(path)
            statuses[st] = statuses.get(st, 0) + 1
            ct.append(ms)
        i += 1
        time.sleep(0.005)
    print("  %-34s /livez n=%d p50=%.2f p99=%.2f max=%.2f ms; metric n=%d p50=%.2f p99=%.2f "
          "max=%.2f ms %s" % (what, len(lt), pct(lt, 50), pct(lt, 99), max(lt), len(ct),
                              pct(ct, 50), pct(ct, 99), max(ct), statuses))
    assert max(lt) < 900 and max(ct) < 900, "%s: a request stalled: %.0f / %.0f ms" % (
        what, max(lt), max(ct))
    worst = max(pct(lt, 99), pct(ct, 99))
    if worst >= bound:
        assert again, "%s: /livez p99 %.1f ms, metric p99 %.1f ms, bound %.1f ms" % (
            what, pct(lt, 99), pct(ct, 99), bound)
        print("  (p99 over %.1f ms: measuring again)" % bound)
        return measure(adapter_, path, seconds, what + " again", bound, again=False)
    return statuses, worst


def healthy_bound(adapter_, path):
    """The p99 bound for a phase: 10 ms, or 3x what the same requests take with DNS healthy."""
    D.set_mode("answer")
    _, base = measure(adapter_, path, 3.0, "DNS healthy (baseline):", bound=1e9)
    return max(10.0, 3 * base)


@test
def host_names_resolve_through_dns():
    D.set_mode("answer")
    path = ext("dns-a", "dns.a", "dns.q.a")
    ready(A, 20)
    served(A, path)
    assert D.count("kube.test") > 0, D.counts
    # ndots:1 and one dot in "falcon"? none: the search domain first, and it answers
    assert D.count("falcon.svc.test") > 0, D.counts
    assert D.count("falcon") == 0, D.counts


@test
def hosts_file_needs_no_dns():
    D.set_mode("answer")
    path = ext("dns-h", "dns.h", "dns.q.h")
    ready(H, 20)
    served(H, path)
    assert D.count("static-falcon.test") == 0, D.counts


def outage(mode, delay=0.0):
    D.set_mode("answer")
    path = ext("dns-a", "dns.a", "dns.q.a")
    ready(A, 20)
    served(A, path)
    bound = healthy_bound(A, path)
    before_q = D.count()
    before_f = len(falcon_reqs(FL, "dns.q.a"))
    D.set_mode(mode, delay)
    try:
        statuses, _ = measure(A, path, 7.0, "DNS %s%s:" % (mode, " %.1fs" % delay if delay else ""),
                              bound)
    finally:
        D.set_mode("answer")
    asked = D.count() - before_q
    sent = len(falcon_reqs(FL, "dns.q.a")) - before_f
    print("  DNS queries during the phase: %d; Falcon requests: %d" % (asked, sent))
    assert asked > 0, "no lookup happened during the %s phase: the test proves nothing" % mode
    return statuses, sent


@test
def livez_fast_while_dns_never_answers_and_traffic_goes_on():
    statuses, sent = outage("silent")
    # the value cache expires every second: new Falcon requests went to the last good address
    assert sent >= 3, "only %d Falcon requests while DNS was down" % sent
    assert statuses.get(200, 0) == sum(statuses.values()), statuses
    ok, _ = wait_for(lambda: "using the last good addresses of falcon (1)" in log_text(A),
                     5, 0.1)
    assert ok, harness.tail(A.stderr_path)


@test
def livez_fast_while_dns_answers_slowly():
    statuses, sent = outage("slow", 1.5)
    assert sent >= 3, sent
    assert statuses.get(200, 0) == sum(statuses.values()), statuses


@test
def livez_fast_and_truncated_answers_use_tcp():
    before = D.count(transport="tcp")
    outage("truncate")
    assert D.count(transport="tcp") > before, D.counts


@test
def nxdomain_is_a_clear_error():
    path = ext("dns-n", "dns.n", "dns.q.n")
    ready(N, 20)
    want = "lookup gone.test: no such host (NXDOMAIN)"
    ok, _ = wait_for(lambda: want.encode() in get(N, path)[2], 10, 0.2)
    st, _, body = get(N, path)
    assert ok, "GET %s: %d %s" % (path, st, body[:400])
    assert want in log_text(N), harness.tail(N.stderr_path)
    measure(N, path, 3.0, "NXDOMAIN (never resolved):", healthy_bound(N, "/livez"))


@test
def nxdomain_after_good_answers_drops_them():
    path = ext("dns-a", "dns.a", "dns.q.a")
    served(A, path)
    bound = healthy_bound(A, path)
    D.set_mode("nxdomain")
    try:
        measure(A, path, 6.0, "DNS nxdomain after good answers:", bound)
        # the backend keeps serving its last values (stale-policy), but says why it failed
        want = "lookup falcon: no such host (NXDOMAIN)"
        ok, _ = wait_for(lambda: want in log_text(A), 10, 0.2)
        assert ok, harness.tail(A.stderr_path)
        assert "forgetting its last addresses" in log_text(A), harness.tail(A.stderr_path)
    finally:
        D.set_mode("answer")
    served(A, path)   # and back once DNS answers again


if __name__ == "__main__":
    try:
        harness.run()
    finally:
        D.close()
