#!/usr/bin/env python3
"""The Prometheus wire client (src/prom/) end to end, through the unit-test driver
build/tests/prom/api_test ("drive series|query ..."):
  - against a REAL Prometheus (Debian's package, tests/integration/promutil.py) scraping the test
    exporter: the series and the query answers equal Prometheus' own, for pods, nodes
    (root-scoped), namespace and external-style metrics, escaped and non-ASCII label values,
    GET and POST; its error and matrix replies give clear messages;
  - against tests/fakes/prometheus.py: GET vs POST encoding, the bearer token file, headers,
    the path prefix, https with a CA file, a client certificate, --prometheus-auth-config,
    HTTP errors, garbage, a chunked series reply, timeouts and a refused connection."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
sys.path.insert(0, HERE)
import promutil  # noqa: E402
from harness import REPO, run, skip, test  # noqa: E402
from prometheus import FakePrometheus  # noqa: E402
from tlsutil import PKI, tmpdir  # noqa: E402

DRIVER = os.path.join(REPO, "build", "tests", "prom", "api_test")
PROM = None
T_AT = None


def drive(kind, arg, *flags, at=None, timeout=30, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    if at is not None:
        env["PROM_DRIVE_TIME"] = "%.3f" % at
    p = subprocess.run([DRIVER, "drive", kind, arg] + list(flags), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env)
    out = p.stdout.decode("utf-8", "replace").splitlines()
    done = [l for l in out if l.startswith("DONE ") or l.startswith("NEW ")]
    if not done and p.returncode == 2:  # the flags were refused (the adapter exits 2 too)
        return None, p.stderr.decode().strip(), out
    assert done, "driver printed no DONE (exit %d): %s %s" % (p.returncode, out[-5:], p.stderr[-400:])
    d = done[-1].split(" ", 2)
    if d[0] == "NEW":
        return None, " ".join(d[1:]), out
    return int(d[1]), d[2] if len(d) > 2 else "", out


def labels_of(s):
    """'a=1,b=2' -> dict (values never hold ',' or '=' in these tests except where noted)."""
    return dict(kv.split("=", 1) for kv in s.split(",")) if s else {}


def series_lines(out):
    return [labels_of(l[2:]) for l in out if l.startswith("S ")]


def sample_lines(out):
    res = []
    for l in out:
        if l.startswith("Q "):
            body, ts, v = l[2:].rsplit(" ", 2)
            res.append((labels_of(body), float(ts[1:]), float(v)))
    return res


def key(d):
    return tuple(sorted(d.items()))


# ---- real Prometheus --------------------------------------------------------------------------

def need_prom():
    global PROM, T_AT
    if not promutil.available():
        skip("no prometheus binary (build.sh test_deps installs it)")
    if PROM is None:
        PROM = promutil.Prometheus().start()
        import time
        time.sleep(5)  # a few more scrapes: every window below holds several samples
        T_AT = time.time() - 1.0  # a fixed evaluation time both sides use
    return PROM


@test
def real_series_equal_prometheus():
    p = need_prom()
    sel = '{__name__=~"http_requests_total|node_network_receive_bytes_total|queue_messages_ready|namespace_jobs_pending"}'
    err, msg, out = drive("series", sel, "--prometheus-url=" + p.url)
    assert err == 0, msg
    got = sorted(key(d) for d in series_lines(out))
    want = sorted(key(d) for d in p.series(sel, start=__import__("time").time() - 600))
    assert got == want and len(got) == 10, "got %s\nwant %s" % (got, want)


@test
def real_series_escaped_labels():
    p = need_prom()
    err, msg, out = drive("series", '{__name__="weird_labels"}', "--prometheus-url=" + p.url)
    assert err == 0, msg
    s = [l[2:] for l in out if l.startswith("S ")]
    assert len(s) == 1, out
    # the driver prints labels as name=value joined by ','; these values hold no ','
    d = labels_of(s[0])
    assert d["path"] == '/a"b\\c' and d["text"] == "café ☃" and "empty" not in d, d


@test
def real_query_vector_equals_prometheus():
    p = need_prom()
    for q in ["rate(http_requests_total[30s])", 'sum by (node) (irate(node_network_receive_bytes_total[10s]))',
              'namespace_jobs_pending{namespace="default"}', 'queue_messages_ready{queue=~"orders|payments"}']:
        for verb in ("GET", "POST"):
            err, msg, out = drive("query", q, "--prometheus-url=" + p.url, "--prometheus-verb=" + verb, at=T_AT)
            assert err == 0, "%s: %s" % (q, msg)
            got = sorted((key(l), ts, v) for l, ts, v in sample_lines(out))
            want = sorted((key(r["metric"]), float(r["value"][0]), float(r["value"][1]))
                          for r in p.query(q, at=T_AT)["result"])
            assert got == want and got, "%s %s:\ngot  %s\nwant %s" % (q, verb, got, want)
            assert "INFO vector %d 0" % len(want) in out, out


@test
def real_known_rates():
    p = need_prom()
    err, msg, out = drive("query", "sum by (pod) (irate(http_requests_total[10s]))", "--prometheus-url=" + p.url)
    assert err == 0, msg
    rates = {l["pod"]: v for l, _, v in sample_lines(out)}
    want = {"sample-app-0": 1, "sample-app-1": 2, "sample-app-2": 3, "other-app-0": 5}
    assert set(rates) == set(want), rates
    for pod, r in want.items():
        assert abs(rates[pod] - r) <= 0.25 * r, "%s: irate %s, exporter grows %s/s" % (pod, rates[pod], r)


@test
def real_scalar_and_special_values():
    p = need_prom()
    err, msg, out = drive("query", "scalar(sum(queue_messages_ready))", "--prometheus-url=" + p.url, at=T_AT)
    assert err == 0, msg
    assert "INFO scalar 1 0" in out and sample_lines(out)[0][2] == 45.0, out
    err, msg, out = drive("query", "vector(1) / 0", "--prometheus-url=" + p.url)
    assert err == 0 and sample_lines(out)[0][2] == float("inf"), out
    err, msg, out = drive("query", "vector(-1) / 0", "--prometheus-url=" + p.url)
    assert err == 0 and sample_lines(out)[0][2] == float("-inf"), out
    err, msg, out = drive("query", "vector(0) / 0", "--prometheus-url=" + p.url)
    v = sample_lines(out)[0][2]
    assert err == 0 and v != v, out


@test
def real_errors_are_clear():
    p = need_prom()
    status, body = p.raw("query", {"query": "sum("})
    assert status == 400, status
    import json
    doc = json.loads(body)
    err, msg, out = drive("query", "sum(", "--prometheus-url=" + p.url)
    assert err == -8, (err, msg)
    assert msg == "Prometheus %s: query failed: %s: %s" % (p.url, doc["errorType"], doc["error"]) or \
        msg.startswith("Prometheus %s: query failed: bad_data: " % p.url) and msg.endswith("..."), msg
    err, msg, out = drive("query", "http_requests_total[1m]", "--prometheus-url=" + p.url)
    assert err == -8 and "query returned a matrix, not a vector or scalar" in msg, msg
    err, msg, out = drive("series", "not a selector", "--prometheus-url=" + p.url)
    assert err == -8 and msg.startswith("Prometheus %s: series failed: bad_data: " % p.url), msg


# ---- fakes: what goes on the wire -------------------------------------------------------------

SERIES_REPLY = ('{"status":"success","data":[' +
                ",".join('{"__name__":"m%d","pod":"p\\u00e9%d"}' % (i, i) for i in range(50)) + "]}")


@test
def fake_get_encoding_token_headers():
    f = FakePrometheus().start()
    try:
        tok = os.path.join(tmpdir("promtok"), "token")
        with open(tok, "w") as fh:
            fh.write("s3cret-token\n")
        f.reply(200, SERIES_REPLY, chunk=7)
        sel = '{__name__=~"http_.*", namespace!=""}'
        err, msg, out = drive("series", sel, "--prometheus-url=" + f.url + "/prom/", "--prometheus-token-file=" + tok,
                              "--prometheus-header=X-Scope-OrgID=tenant-a,tenant-b",
                              "--prometheus-header", "X-Empty=", at=1700000000.5)
        assert err == 0, msg
        assert len(series_lines(out)) == 50 and series_lines(out)[7] == {"__name__": "m7", "pod": "pé7"}, out[:3]
        r = f.requests[-1]
        assert r["method"] == "GET" and r["path"] == "/prom/api/v1/series", r
        assert r["params"] == {"match[]": [sel], "start": ["1699999400.5"], "end": ["1700000000.5"]}, r["params"]
        assert r["raw_query"].startswith("end=") and "%7B__name__%3D~%22http_.%2A%22%2C+namespace" in r["raw_query"], r
        h = {k.lower(): v for k, v in r["headers"].items()}
        assert h["authorization"] == "Bearer s3cret-token", h
        assert h["x-scope-orgid"] == "tenant-a,tenant-b" and h["x-empty"] == "", h
        assert "accept-encoding" not in h, h
        # a header named Authorization wins over the token file, as in prometheus-adapter
        err, msg, out = drive("series", sel, "--prometheus-url=" + f.url, "--prometheus-token-file=" + tok,
                              "--prometheus-header=Authorization=Basic Zm9vOmJhcg==")
        h = {k.lower(): v for k, v in f.requests[-1]["headers"].items()}
        assert err == 0 and h["authorization"] == "Basic Zm9vOmJhcg==", h
    finally:
        f.stop()


@test
def fake_keepalive_and_token_rotation():
    f = FakePrometheus().start()
    try:
        tok = os.path.join(tmpdir("promtok"), "token")
        with open(tok, "w") as fh:
            fh.write("first\n")
        n0 = len(f.requests)
        err, msg, out = drive("query", "up", "--prometheus-url=" + f.url, "--prometheus-token-file=" + tok,
                              env_extra={"PROM_DRIVE_REPEAT": "3", "PROM_DRIVE_TOKEN_SWAP": tok})
        assert err == 0 and out.count("DONE 0 ") == 3, out
        reqs = f.requests[n0:]
        assert [r["headers"]["Authorization"] for r in reqs] == \
            ["Bearer first", "Bearer rotated-xx", "Bearer rotated-x"], [r["headers"] for r in reqs]
        assert len({r["client"] for r in reqs}) == 1, "not one kept-alive connection: %s" % \
            [r["client"] for r in reqs]
    finally:
        f.stop()


@test
def fake_post_form():
    f = FakePrometheus().start()
    try:
        q = 'sum(rate(http_requests_total{pod=~"a|b"}[2m])) by (pod) + 1'
        f.reply(200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},'
                     '"value":[1700000000.25,"1.5e2"]}]},"warnings":["w"]}')
        err, msg, out = drive("query", q, "--prometheus-url=" + f.url, "--prometheus-verb=POST", at=1700000000.25)
        assert err == 0, msg
        assert sample_lines(out) == [({"pod": "a"}, 1700000000.25, 150.0)] and "INFO vector 1 1" in out, out
        r = f.requests[-1]
        assert r["method"] == "POST" and r["path"] == "/api/v1/query" and r["raw_query"] == "", r
        assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded", r["headers"]
        assert r["params"] == {"query": [q], "time": ["1700000000.25"]}, r["params"]
        assert r["body"].startswith(b"query=sum%28rate%28http_requests_total%7Bpod%3D~%22a%7Cb%22%7D%5B2m%5D"), r["body"]
    finally:
        f.stop()


@test
def fake_failures_are_named():
    f = FakePrometheus().start()
    try:
        url = "--prometheus-url=" + f.url
        cases = [
            ((503, '{"status":"error","errorType":"unavailable","error":"TSDB not ready"}'), "query",
             "Prometheus %s: query failed: unavailable: TSDB not ready"),
            ((422, '{"status":"error","errorType":"execution","error":"many-to-many matching"}'), "series",
             "Prometheus %s: series failed: execution: many-to-many matching"),
            ((404, "<html>not found</html>"), "query", "Prometheus %s: query failed: HTTP 404"),
            ((502, "bad gateway"), "series", "Prometheus %s: series failed: HTTP 502"),
            ((200, "<html>login</html>"), "query", "Prometheus %s: query failed: reply is not JSON"),
            ((200, "<html>login</html>"), "series", "Prometheus %s: series failed: reply is not JSON"),
            ((200, '{"status":"success","data":[{"a":"1"},'), "series",
             "Prometheus %s: series failed: reply is not JSON (series reply ends early"),
        ]
        for (status, body), kind, want in cases:
            f.reply(status, body)
            err, msg, out = drive(kind, "up", url)
            assert err in (-8,) and msg.startswith(want % f.url), "%s %s: %r" % (status, kind, msg)
        f.reply(200, SERIES_REPLY, delay=3)
        err, msg, out = drive("series", "up", url, "--prometheus-timeout=1s")
        assert err == -6 and msg == "Prometheus %s: series failed: timed out after 1s" % f.url, msg
        err, msg, out = drive("query", "up", url, "--prometheus-timeout=1500ms")
        assert err == -6 and msg == "Prometheus %s: query failed: timed out after 1500ms" % f.url, msg
    finally:
        f.stop()
    err, msg, out = drive("query", "up", "--prometheus-url=" + f.url)
    assert err == -8 and msg.startswith("Prometheus %s: query failed: " % f.url) and "refused" in msg, msg


@test
def fake_https_ca_client_cert_kubeconfig():
    pki = PKI()
    pki.ca("ca", "ec256-sec1")
    crt, key, _ = pki.leaf("prom", "ec256-sec1", "ca")
    pki.ca("other", "ec256-sec1")
    ccrt, ckey, _ = pki.leaf("adapter", "ec256-sec1", "ca", sans=None, client=True)
    f = FakePrometheus(certfile=crt, keyfile=key).start()
    m = FakePrometheus(certfile=crt, keyfile=key, client_ca=pki.crt("ca")).start()
    try:
        err, msg, out = drive("query", "up", "--prometheus-url=" + f.url, "--prometheus-ca-file=" + pki.crt("ca"))
        assert err == 0, msg
        err, msg, out = drive("query", "up", "--prometheus-url=" + f.url, "--prometheus-ca-file=" + pki.crt("other"))
        assert err == -8 and msg.startswith("Prometheus %s: query failed: " % f.url), msg
        # mutual TLS: the fake requires a certificate signed by ca
        err, msg, out = drive("query", "up", "--prometheus-url=" + m.url, "--prometheus-ca-file=" + pki.crt("ca"))
        assert err == -8, msg
        err, msg, out = drive("query", "up", "--prometheus-url=" + m.url, "--prometheus-ca-file=" + pki.crt("ca"),
                              "--prometheus-client-tls-cert-file=" + ccrt, "--prometheus-client-tls-key-file=" + ckey)
        assert err == 0, msg
        subj = dict(x[0] for x in m.requests[-1]["peercert"]["subject"])
        assert subj["commonName"] == "adapter", subj
        # --prometheus-auth-config: CA, client certificate and token from the kubeconfig; its
        # server is NOT used (it points nowhere): the URL is --prometheus-url's
        kc = os.path.join(pki.dir, "kubeconfig")
        with open(kc, "w") as fh:
            fh.write("apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                     "clusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n"
                     "    certificate-authority: %s\n"
                     "users:\n- name: u\n  user:\n    token: kube-tok\n"
                     "    client-certificate: %s\n    client-key: %s\n"
                     "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n" % (pki.crt("ca"), ccrt, ckey))
        err, msg, out = drive("query", "up", "--prometheus-url=" + m.url, "--prometheus-auth-config=" + kc)
        assert err == 0, msg
        r = m.requests[-1]
        assert r["headers"].get("Authorization") == "Bearer kube-tok", r["headers"]
        assert dict(x[0] for x in r["peercert"]["subject"])["commonName"] == "adapter"
        err, msg, out = drive("query", "up", "--prometheus-url=" + m.url, "--prometheus-auth-config=" + kc,
                              "--prometheus-auth-incluster")
        assert err is None and msg == "--prometheus-auth-incluster and --prometheus-auth-config may not be used " \
            "together", msg
    finally:
        f.stop()
        m.stop()
        pki.cleanup()


@test
def zz_stop_prometheus():
    global PROM
    if PROM is not None:
        PROM.stop()
        PROM = None


if __name__ == "__main__":
    run()
