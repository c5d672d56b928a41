#!/usr/bin/env python3
"""Self-test of the fake Open-Falcon (tests/fakes/falcon.py) and the push tool
(tests/fakes/falcon_push.py), over HTTP with http.client. Last line: "N passed, N failed"; exit
status 1 on any failure. Run: python3 tests/fakes/test_falcon.py [name-substring...]"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from falcon import DEFAULT_TOKEN, FakeFalcon, counter_of, dicted_tags  # noqa: E402
from fakeutil import run_self_tests  # noqa: E402

TEST_TIMEOUT = 30
T0 = 1767323040          # step-aligned (60) base timestamp
_tests = []
_fakes = []


def test(fn):
    _tests.append(fn)
    return fn


def fake(**kw):
    kw.setdefault("start", True)
    f = FakeFalcon(**kw)
    f.set_time(T0 + 600)
    _fakes.append(f)
    return f


def tok(name="adapter", sig=DEFAULT_TOKEN):
    return json.dumps({"name": name, "sig": sig})


def req(port, method, path, body=None, headers=None, timeout=5.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(), r.getheader("Content-Type")
    finally:
        c.close()


def last(f, pairs, token=None, path="/api/v1/graph/lastpoint", ctype="application/json"):
    h = {"Content-Type": ctype} if ctype else {}
    if token is not False:
        h["Apitoken"] = token or tok()
    return req(f.port, "POST", path, [{"endpoint": e, "counter": c} for e, c in pairs], h)


def admin(f, method, path, body=None):
    code, text, _ = req(f.admin_port, method, path, body)
    assert code == 200, (path, code, text)
    return json.loads(text)


def eq(got, want, what=""):
    assert got == want, "%s\n   got: %r\n  want: %r" % (what, got, want)


def one(ts, v, e="p", c="cpu.busy"):
    return '[{"endpoint":"%s","counter":"%s","value":{"timestamp":%d,"value":%s}}]' % (e, c, ts, v)


# ---- api auth -----------------------------------------------------------------------------------

@test
def auth_default_token_and_errors():
    f = fake()
    f.push("p", "cpu.busy", 43, ts=T0)
    eq(last(f, [("p", "cpu.busy")])[:2], (200, one(T0, "43.000000")))
    for token, msg in ((False, "token key is not set"),
                       (tok(name=""), "token key:name is empty"),
                       (tok(sig=""), "token key:sig is empty"),
                       (tok(sig="nope"), "not found this user")):
        code, body, ct = last(f, [("p", "cpu.busy")], token=token)
        eq((code, json.loads(body)), (401, {"error": msg}), str(token))
        assert ct.startswith("application/json"), ct
    code, body, _ = last(f, [("p", "cpu.busy")], token="{bad")
    assert code == 401 and json.loads(body)["error"], body
    # Go's decoder matches keys case-insensitively
    eq(last(f, [("p", "cpu.busy")], token='{"Name":"x","SIG":"%s"}' % DEFAULT_TOKEN)[0], 200)


@test
def auth_users_sessions_login_skip():
    f = fake(users={"root": "pw"})
    eq(json.loads(last(f, [], token=tok("root", "s1"))[1]), {"error": "session not found"})
    f.add_session("root", "s1")
    eq(last(f, [], token=tok("root", "s1"))[:2], (200, "[]"))
    code, body, _ = req(f.port, "POST", "/api/v1/user/login", {"name": "root", "password": "pw"})
    sig = json.loads(body)["sig"]
    eq(code, 200)
    eq(req(f.port, "GET", "/api/v1/user/auth_session", headers={"Apitoken": tok("root", sig)})[:2],
       (200, '{"message":"session is vaild!"}'))
    eq(req(f.port, "POST", "/api/v1/user/login", {"name": "root", "password": "x"})[0], 400)
    f.default_token = ""
    eq(last(f, [], token=tok())[0], 401)
    f.skip_auth = True
    eq(last(f, [], token=False)[:2], (200, "[]"))


@test
def lastpoint_content_type_and_bad_body():
    f = fake()
    eq(last(f, [], ctype=None)[0], 400)
    eq(last(fake(require_json=False), [], ctype=None)[0], 200)
    code, body, _ = req(f.port, "POST", "/api/v1/graph/lastpoint", "{not json",
                        {"Apitoken": tok(), "Content-Type": "application/json"})
    assert code == 400 and "error" in json.loads(body), body
    code, body, _ = req(f.port, "POST", "/api/v1/graph/lastpoint", "{}",
                        {"Apitoken": tok(), "Content-Type": "application/json"})
    eq(code, 400, body)


# ---- graph semantics ----------------------------------------------------------------------------

@test
def gauge_first_push_in_bucket_wins_and_history_of_3():
    f = fake()
    f.push("p", "cpu.busy", 1, ts=T0 + 5)
    f.push("p", "cpu.busy", 2, ts=T0 + 59)          # same bucket: dropped
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "1.000000"))
    f.push("p", "cpu.busy", 3.25, ts=T0 - 60)       # older: dropped
    for i in range(1, 5):
        f.push("p", "cpu.busy", 10 + i, ts=T0 + 60 * i)
    eq(last(f, [("p", "cpu.busy")])[1], one(T0 + 240, "14.000000"))
    eq(f.series()[0]["points"], [[T0 + 240, 14.0], [T0 + 180, 13.0], [T0 + 120, 12.0]])
    f.push("p", "big", 123456789012.5, ts=T0)
    f.push("p", "neg", -0.0000004, ts=T0)
    eq(last(f, [("p", "big"), ("p", "neg")])[1],
       '[{"endpoint":"p","counter":"big","value":{"timestamp":%d,"value":123456789012.500000}},'
       '{"endpoint":"p","counter":"neg","value":{"timestamp":%d,"value":-0.000000}}]' % (T0, T0))


@test
def counter_rate_semantics():
    f = fake()
    c = "net.if.in.bytes/iface=eth0"
    for ctype in ("COUNTER", "DERIVE"):
        e = "p-" + ctype
        f.push(e, "net.if.in.bytes", 1000, "iface=eth0", ctype, ts=T0)
        eq(last(f, [(e, c)])[1], one(0, "0.000000", e, c), "one point")
        f.push(e, "net.if.in.bytes", 1600, "iface=eth0", ctype, ts=T0 + 60)
        eq(last(f, [(e, c)])[1], one(T0 + 60, "10.000000", e, c), "rate")
        f.push(e, "net.if.in.bytes", 1000, "iface=eth0", ctype, ts=T0 + 120)
        eq(last(f, [(e, c)])[1], one(T0 + 120, "0.000000", e, c), "negative clamped")
        f.push(e, "net.if.in.bytes", 5000, "iface=eth0", ctype, ts=T0 + 300)
        eq(last(f, [(e, c)])[1], one(0, "0.000000", e, c), "non-consecutive steps")
        f.push(e, "net.if.in.bytes", 5030, "iface=eth0", ctype, ts=T0 + 360)
        eq(last(f, [(e, c)])[1], one(T0 + 360, "0.500000", e, c))
    # /graph/last/raw: newest raw value, no rate
    eq(req(f.port, "POST", "/graph/last/raw", [{"endpoint": "p-COUNTER", "counter": c}])[1],
       one(T0 + 360, "5030.000000", "p-COUNTER", c))
    eq(req(f.port, "POST", "/graph/last", [{"endpoint": "p-COUNTER", "counter": c}])[1],
       one(T0 + 360, "0.500000", "p-COUNTER", c))


@test
def unknown_series_empty_request_nan():
    f = fake()
    eq(last(f, [])[:2], (200, "[]"))
    eq(last(f, [("nobody", "cpu.busy")])[1], one(0, "0.000000", "nobody"))
    f.push("p", "cpu.busy", "NaN", ts=T0)
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "null"))
    eq(req(f.port, "POST", "/graph/last", [])[:2], (400, '{"msg":"empty"}'))
    eq(req(f.port, "POST", "/graph/last", "[x")[0], 400)
    eq(req(f.port, "GET", "/health")[1], "ok")


@test
def tags_normalised_like_dicted_tagstring():
    eq(dicted_tags(" t1 = tag1, t0=tag0,bogus,t0=x=y"), {"t1": "tag1", "t0": "x=y"})
    eq(counter_of("test.metric", "t1=tag1,t0=tag0"), "test.metric/t0=tag0,t1=tag1")
    eq(counter_of("m", "B=1,a=2"), "m/B=1,a=2")   # byte order: upper case first
    eq(counter_of("m", "bogus"), "m")
    f = fake()
    f.push("p", "test.metric", 7, tags="t1=tag1, t0=tag0", ts=T0)
    body = last(f, [("p", "test.metric/t0=tag0,t1=tag1"), ("p", "test.metric/t1=tag1,t0=tag0")])[1]
    got = [x["value"]["timestamp"] for x in json.loads(body)]
    eq(got, [T0, 0], "exact sorted form only")


# ---- push ---------------------------------------------------------------------------------------

@test
def agent_push():
    f = fake()
    item = {"endpoint": "p", "metric": "cpu.busy", "timestamp": T0 + 7, "step": 60, "value": 43,
            "counterType": "GAUGE", "tags": ""}
    eq(req(f.port, "POST", "/v1/push", [item])[:2], (200, "success"))
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "43.000000"))
    eq(req(f.port, "POST", "/v1/push", "")[:2], (400, "body is blank\n"))
    eq(req(f.port, "POST", "/v1/push", "{x")[:2], (400, "connot decode body\n"))
    eq(req(f.port, "POST", "/v1/push", [dict(item, step="60")])[:2], (400, "connot decode body\n"))
    # agent does no validation: still "success"
    eq(req(f.port, "POST", "/v1/push", [dict(item, counterType="gauge")])[:2], (200, "success"))
    eq(f.last_request("/v1/push")["items"], 1)
    g = fake(agent_default_tags={"cluster": "c1"})
    req(g.port, "POST", "/v1/push", [dict(item, tags="b=2")])
    eq([s["counter"] for s in g.series()], ["cpu.busy/b=2,cluster=c1"])


@test
def transfer_push_validation():
    f = fake()
    good = {"endpoint": "p", "metric": "m", "timestamp": T0, "step": 60, "value": 1,
            "counterType": "GAUGE", "tags": ""}
    bad = [None, dict(good, metric="kernel.hostname"), dict(good, metric=""),
           dict(good, endpoint=""), dict(good, counterType="gauge"), dict(good, value=""),
           dict(good, step=0), dict(good, tags="t=" + "x" * 510), dict(good, value="abc"),
           dict(good, value=True), dict(good, value=None), {"endpoint": "p", "metric": "q"}]
    items = [good, dict(good, metric="s", value="12.5")] + bad
    code, body, ct = req(f.port, "POST", "/api/push", items)
    eq(code, 200)
    d = json.loads(body)
    eq((d["msg"], d["data"]["Message"], d["data"]["Total"], d["data"]["Invalid"]),
       ("success", "ok", len(items), len(bad)))
    assert body.startswith('{"msg":"success","data":{"Message":"ok","Total":'), body
    eq(last(f, [("p", "s")])[1], one(T0, "12.500000", c="s"))
    eq(req(f.port, "POST", "/api/push", "")[:2], (400, "blank body\n"))
    eq(req(f.port, "POST", "/api/push", "[1")[:2], (400, "decode error\n"))
    # step < 30 raised to 30, ts aligned to it; ts <= 0 and ts > 2*now replaced by now
    f.push("p", "fast", 5, step=10, ts=T0 + 45)
    eq(f.series()[0]["step"], 30)
    eq(json.loads(last(f, [("p", "fast")])[1])[0]["value"]["timestamp"], T0 + 30)
    for i, ts in enumerate((-5, 4 * (T0 + 600))):
        f.push("p", "now%d" % i, 1, ts=ts)
        eq(json.loads(last(f, [("p", "now%d" % i)])[1])[0]["value"]["timestamp"], T0 + 600)
    eq(f.push("p", "bad\nname", 1), "bad\nname")        # valid for transfer, graph drops it
    eq([s for s in f.series() if "bad" in s["counter"]], [])


@test
def history_gauge_and_counter():
    f = fake()
    for i, v in ((0, 1), (1, 2), (3, 4)):
        f.push("p", "g", v, ts=T0 + 60 * i)
        f.push("p", "c", v * 60, counter_type="COUNTER", ts=T0 + 60 * i)
    h = {"Apitoken": tok(), "Content-Type": "application/json"}
    q = {"hostnames": ["p", "zz"], "counters": ["g", "c"], "consol_fun": "AVERAGE",
         "start_time": T0 - 30, "end_time": T0 + 200, "step": 60}
    code, body, _ = req(f.port, "POST", "/api/v1/graph/history", q, h)
    eq(code, 200, body)
    pre = '{"endpoint":"p","counter":"g","dstype":"GAUGE","step":60,"Values":[' \
          '{"timestamp":%d,"value":1.000000},{"timestamp":%d,"value":2.000000},' \
          '{"timestamp":%d,"value":null},{"timestamp":%d,"value":4.000000}]}' % (
              T0, T0 + 60, T0 + 120, T0 + 180)
    assert body.startswith("[" + pre + ","), body
    d = json.loads(body)
    eq([x["value"] for x in d[1]["Values"]], [None, 1.0, None, None])   # (120 - 60) / 60
    eq(d[1]["dstype"], "DERIVE")
    eq(d[2], {"endpoint": "zz", "counter": "g", "dstype": "", "step": 0, "Values": []})
    eq(len(d), 4)
    code, body, _ = req(f.port, "POST", "/api/v1/graph/history", dict(q, step=0), h)
    eq(len(json.loads(body)), 2, "unknown pairs skipped without step")
    code, body, _ = req(f.port, "POST", "/api/v1/graph/history",
                        {k: v for k, v in q.items() if k != "consol_fun"}, h)
    eq(code, 400)
    assert "ConsolFun" in json.loads(body)["error"], body
    eq(req(f.port, "POST", "/api/v1/graph/history", q, {"Content-Type": "application/json"})[0],
       401)
    code, body, _ = req(f.port, "POST", "/graph/history",
                        {"start": T0, "end": T0 + 60, "cf": "AVERAGE",
                         "endpoint_counters": [{"endpoint": "p", "counter": "g"}]})
    eq(len(json.loads(body)[0]["Values"]), 2)
    eq(req(f.port, "POST", "/graph/history", {"endpoint_counters": []})[:2],
       (400, '{"msg":"empty_payload"}'))


# ---- faults and counting ------------------------------------------------------------------------

@test
def faults_python_api():
    f = fake()
    f.push("p", "cpu.busy", 43, ts=T0)
    f.fail_next(2, code=503)
    for _ in range(2):
        code, body, _ = last(f, [("p", "cpu.busy")])
        eq(code, 503)
        assert "error" in json.loads(body)
    eq(last(f, [("p", "cpu.busy")])[0], 200)
    f.fail_next(1, code=401, message="not found this user")
    eq(last(f, [("p", "cpu.busy")])[:2], (401, '{"error":"not found this user"}'))
    f.malformed()
    code, body, _ = last(f, [("p", "cpu.busy")])
    eq(code, 200)
    try:
        json.loads(body)
        raise AssertionError("malformed body parsed: " + body)
    except ValueError:
        pass
    f.empty()
    eq(last(f, [("p", "cpu.busy")])[:2], (200, "[]"))
    f.null_values(1)
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "null"))
    f.stale(900, n=1)
    eq(last(f, [("p", "cpu.busy"), ("u", "x")])[1], one(T0 + 600 - 900, "43.000000")[:-1] +
       ',{"endpoint":"u","counter":"x","value":{"timestamp":0,"value":0.000000}}]')
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "43.000000"))
    f.hangup()
    try:
        last(f, [("p", "cpu.busy")])
        raise AssertionError("hangup answered")
    except (http.client.HTTPException, ConnectionError):
        pass
    # faults without a path spare the push routes; with a path they hit only it
    f.fail_next(1, 500)
    eq(req(f.port, "POST", "/v1/push", "[]")[0], 200)
    eq(last(f, [])[0], 500)
    f.fail_next(1, 500, path="/v1/push")
    eq(last(f, [])[0], 200)
    eq(req(f.port, "POST", "/v1/push", "[]")[0], 500)
    f.delay(1.5, count=1)
    t = time.monotonic()
    try:
        last(f, [])  # 5 s timeout: answered after 1.5 s
    finally:
        assert time.monotonic() - t >= 1.4
    f.delay(3)
    try:
        req(f.port, "POST", "/api/v1/graph/lastpoint", "[]", {"Apitoken": tok()}, timeout=0.5)
        raise AssertionError("no timeout")
    except socket.timeout:
        pass
    f.clear_faults()
    eq(last(f, [])[0], 200)


@test
def request_counting():
    f = fake()
    f.reset_counts()
    for _ in range(3):
        last(f, [("a", "b"), ("c", "d")])
    req(f.port, "POST", "/v1/push", "[]")
    eq(f.count("/api/v1/graph/lastpoint"), 3)
    eq(f.count(prefix="/v1/"), 1)
    eq(f.counts(), {"/api/v1/graph/lastpoint": 3, "/v1/push": 1})
    r = f.last_request("/api/v1/graph/lastpoint")
    eq((r["items"], r["status"], r["headers"]["apitoken"]), (2, 200, tok()))
    f.reset_counts()
    eq(f.count(), 0)


@test
def admin_endpoint():
    f = fake()
    admin(f, "POST", "/push-one?endpoint=p&metric=cpu.busy&value=43&ts=%d" % T0)
    eq(admin(f, "POST", "/push", [{"endpoint": "q", "metric": "m", "value": 1, "step": 60,
                                   "counterType": "GAUGE", "tags": "", "timestamp": T0}, None]),
       {"Total": 2, "Invalid": 1})
    eq(len(admin(f, "GET", "/series")), 2)
    admin(f, "POST", "/fail?code=500&count=1")
    eq(last(f, [("p", "cpu.busy")])[0], 500)
    admin(f, "POST", "/stale?seconds=300&count=1")
    eq(json.loads(last(f, [("p", "cpu.busy")])[1])[0]["value"]["timestamp"], T0 + 300)
    admin(f, "POST", "/null-values?count=1")
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "null"))
    admin(f, "POST", "/empty?count=1")
    eq(last(f, [("p", "cpu.busy")])[1], "[]")
    admin(f, "POST", "/malformed")
    eq(last(f, [("p", "cpu.busy")])[1][:3], "[{\"")
    admin(f, "POST", "/delay?seconds=0.3")
    admin(f, "POST", "/clear-faults")
    eq(admin(f, "GET", "/requests?path=/api/v1/graph/lastpoint"), {"count": 5})
    eq(len(admin(f, "GET", "/requests/log?path=/api/v1/graph/lastpoint")), 5)
    admin(f, "POST", "/requests/reset")
    eq(admin(f, "GET", "/requests")["total"], 0)
    eq(admin(f, "POST", "/session?name=u&sig=s"), {"sig": "s"})
    eq(last(f, [], token=tok("u", "s"))[0], 200)
    admin(f, "POST", "/time?now=%d" % (T0 + 6000))
    eq(admin(f, "GET", "/state")["now"], T0 + 6000)
    admin(f, "POST", "/stop")
    try:
        last(f, [])
        raise AssertionError("answered while stopped")
    except ConnectionError:
        pass
    admin(f, "POST", "/start")
    eq(last(f, [("p", "cpu.busy")])[1], one(T0, "43.000000"))
    admin(f, "POST", "/wipe")
    eq(admin(f, "GET", "/series"), [])


@test
def script_mode():
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "falcon.py"), "--skip-auth"],
                         stdout=subprocess.PIPE, universal_newlines=True)
    try:
        info = json.loads(p.stdout.readline())
        code, body, _ = req(info["port"], "POST", "/api/v1/graph/lastpoint", "[]",
                            {"Content-Type": "application/json"})
        eq((code, body), (200, "[]"))
        eq(json.loads(req(info["admin_port"], "GET", "/state")[1])["skip_auth"], True)
    finally:
        p.send_signal(signal.SIGTERM)
        eq(p.wait(10), 0)


# ---- push tool ----------------------------------------------------------------------------------

def push_tool(*args):
    return subprocess.run([sys.executable, os.path.join(HERE, "falcon_push.py")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=20)


@test
def push_tool_agent_and_transfer():
    f = fake()
    r = push_tool("--url", "127.0.0.1:%d" % f.port, "--timestamp", str(T0), "web-0", "web-1")
    eq(r.returncode, 0, r.stdout)
    assert "200 success" in r.stdout, r.stdout
    vals = [x["value"]["value"] for x in json.loads(last(f, [("web-0", "cpu.busy"),
                                                             ("web-1", "cpu.busy")])[1])]
    assert all(20 <= v <= 50 for v in vals), vals
    r = push_tool("--url", f.url + "/api/push", "--metric", "net.if.in.bytes",
                  "--tags", "iface=eth0", "--counter-type", "COUNTER", "--value", "1000",
                  "--increment", "600", "--timestamp", str(T0), "--interval", "0.05",
                  "--count", "2", "--endpoint-template", "{namespace}-{pod}", "-n", "ns", "a")
    eq(r.returncode, 0, r.stdout)
    assert '"Invalid":0' in r.stdout, r.stdout
    eq(last(f, [("ns-a", "net.if.in.bytes/iface=eth0")])[1],
       one(T0 + 60, "10.000000", "ns-a", "net.if.in.bytes/iface=eth0"))
    eq(f.count("/api/push"), 2)
    f.fail_next(1, 503, path="/v1/push")
    eq(push_tool("--url", f.url, "-q", "x").returncode, 1)


@test
def push_tool_kubectl_pods():
    f = fake()
    d = tempfile.mkdtemp(prefix="fake-kubectl-")
    try:
        k = os.path.join(d, "kubectl")
        with open(k, "w") as fh:
            fh.write('#!/bin/sh\necho "$@" > %s/args\nprintf "pod/k-0\\npod/k-1\\n"\n' % d)
        os.chmod(k, 0o755)
        r = push_tool("--url", f.url, "--kubectl", k, "--kubeconfig", "/kc", "-n", "cm",
                      "--value", "7", "--timestamp", str(T0))
        eq(r.returncode, 0, r.stdout)
        with open(os.path.join(d, "args")) as fh:
            eq(fh.read().split(), ["--kubeconfig", "/kc", "get", "pods", "-n", "cm", "-o", "name"])
        eq(sorted(s["endpoint"] for s in f.series()), ["k-0", "k-1"])
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- runner -------------------------------------------------------------------------------------

def main(argv):
    return run_self_tests(_tests, _fakes, argv, TEST_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
