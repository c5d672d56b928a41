#!/usr/bin/env python3
"""Fake Open-Falcon for metrics-adapter's tests (Python 3 standard library only; contract:
/work/shared/spec/falcon.md sections 2, 3 and 5).

    from falcon import FakeFalcon, counter_of
    with FakeFalcon() as f:                       # plain HTTP on 127.0.0.1:<ephemeral>, started
        f.push("web-0", "cpu.busy", 43)           # GAUGE, step 60, ts now (aligned)
        ...run the adapter with --falcon-url=f.url...
        assert f.count("/api/v1/graph/lastpoint") == 1
        f.fail_next(2, code=503)                  # next 2 read requests get 503 {"error":...}
        f.delay(12, count=1)                      # beyond the adapter's 10 s timeout

    # from tests/integration/NN-*.py:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

One port serves every module (falcon-plus api, old query module, agent, transfer): f.url is the
api URL, f.agent_url + "/v1/push" the agent, f.url + "/api/push" the transfer. A second plain
HTTP port (admin_port, see ADMIN) exposes the fault hooks to shell and C tests. Run as a script
it prints one JSON line (info()) and serves until SIGTERM/SIGINT.

Routes:
  POST /api/v1/graph/lastpoint   Apitoken check (2.2) -> [{"endpoint","counter","value":{...}}]
  POST /api/v1/graph/history     2.4 (capital "Values", null gaps)
  POST /api/v1/user/login, GET /api/v1/user/auth_session, GET /, OPTIONS (CORS)
  POST /graph/last, /graph/last/raw, /graph/history, GET /health   old query module (no auth)
  POST /v1/push                  agent: "success" / 400 "body is blank" / "connot decode body"
  POST /api/push                 transfer: {"msg":"success","data":{"Message","Total",...}}

Graph semantics: series key = (endpoint, counter) with counter = metric or metric/sorted tags;
ts aligned to step (step raised to min_step); the newest 3 points are kept for lastpoint (an item
whose aligned ts is <= the newest is dropped: the first push in a bucket wins); all points (up to
HISTORY_POINTS) for history. GAUGE lastpoint = newest point; COUNTER/DERIVE = (v0 - v1) / step
when ts0 - ts1 == step (negative -> 0), else timestamp 0 / value 0; unknown -> 0 / 0.
Deviation: the real api hashes each pair to a graph node and silently omits pairs whose RPC
failed; here every pair answers.
"""

import argparse
import collections
import http.server
import json
import math
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeutil import serve_in_thread, stop_serving  # noqa: E402

DEFAULT_TOKEN = "default-token-used-in-server-side"
HISTORY_SIZE = 3          # graph defaultHistorySize
HISTORY_POINTS = 4096     # points kept per series for /history (the fake's own bound)
HISTORY_SLOTS = 20000     # history answer bound (the real one is bounded by RRD archives)
MAX_BODY = 64 << 20
DEBUG = bool(os.environ.get("FAKE_FALCON_DEBUG"))
READ_PREFIXES = ("/api/v1/graph/", "/graph/")
COUNTER_TYPES = ("GAUGE", "COUNTER", "DERIVE")
HELLO = "Hello, I'm Falcon+ (\uff61A\uff61)"

ADMIN = """Admin endpoint (plain HTTP on 127.0.0.1:<admin_port>; JSON answers; parameters in the
query string; path=PREFIX limits a fault to request paths starting with PREFIX; without path a
fault hits the read routes (/api/v1/graph/*, /graph/*); count omitted = until /clear-faults):
  GET    /state                          info()
  GET    /requests                       {"counts": {path: n}, "total": n}
  GET    /requests?path=P|prefix=P       {"count": n}
  GET    /requests/log?path=P            [{"method","path","status","items","body"}] (newest last)
  POST   /requests/reset
  POST   /delay?seconds=S&count=N&path=P
  POST   /fail?code=500&count=N&path=P&message=M&body=RAW   (body: raw reply instead of {"error"})
  POST   /malformed?count=N&path=P        200 with truncated JSON
  POST   /empty?count=N&path=P            200 []
  POST   /null-values?count=N&path=P      every value printed null (timestamps kept)
  POST   /stale?seconds=X&count=N&path=P  every non-zero timestamp served as now - X
  POST   /hangup?count=N&path=P           close the connection without answering
  POST   /clear-faults
  POST   /push                           body: array of agent items (3.1) -> {"Total","Invalid"}
  POST   /push-one?endpoint=E&metric=M&value=V&tags=T&type=GAUGE&step=60&ts=T
  GET    /series                         [{"endpoint","counter","type","step","points"}]
  POST   /wipe                           forget every series
  POST   /time?now=T                     fix the clock (no now: real time)
  POST   /token?value=T                  default token ("" disables it)
  POST   /skip-auth?on=1
  POST   /session?name=N&sig=S           add a user session (user created if needed)
  POST   /stop | /start                  listener down / up (same port)
"""


# ---- Go-compatible rendering and parsing ---------------------------------------------------------

def go_str(s):
    """A JSON string as Go's encoding/json writes it (HTML-safe escapes)."""
    out = json.dumps(s, ensure_ascii=False)
    return (out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def go_float(v):
    """JsonFloat.MarshalJSON: %f (six decimals), NaN/Inf -> null."""
    if v is None or math.isnan(v) or math.isinf(v):
        return "null"
    return "%f" % v


def dicted_tags(s):
    """DictedTagstring: spaces removed, split on ',', split at the first '=', later wins."""
    d = {}
    if not s:
        return d
    for part in s.replace(" ", "").split(","):
        kv = part.split("=", 1)
        if len(kv) == 2:
            d[kv[0]] = kv[1]
    return d


def sorted_tags(d):
    return ",".join("%s=%s" % (k, d[k]) for k in sorted(d, key=lambda k: k.encode()))


def counter_of(metric, tags=""):
    """falcon-plus Counter(metric, DictedTagstring(tags))."""
    st = sorted_tags(tags if isinstance(tags, dict) else dicted_tags(tags))
    return metric + "/" + st if st else metric


def valid_string(s):
    """graph IsValidString: no \\r \\n ' " > \\032 and printable runes only."""
    return all(c not in "\r\n'\">\032" and c.isprintable() for c in s)


def parse_float(s):
    """strconv.ParseFloat(s, 64) closely enough: no blanks, no '_'."""
    if not s or s != s.strip() or "_" in s:
        raise ValueError(s)
    return float(s)


class _DecodeError(Exception):
    pass


_FIELDS = {"endpoint": str, "metric": str, "step": int, "counterType": str, "tags": str,
           "timestamp": int}


def decode_items(raw):
    """json.NewDecoder(body).Decode(&[]*MetricValue): the first JSON value must be an array of
    objects or nulls with Go-typed fields (keys case-insensitive); else _DecodeError."""
    text = raw.decode("utf-8", "replace").lstrip(" \t\r\n")
    try:
        doc, _ = json.JSONDecoder().raw_decode(text)
    except ValueError as e:
        raise _DecodeError(str(e))
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise _DecodeError("cannot unmarshal into []*model.MetricValue")
    items = []
    for el in doc:
        if el is None:
            items.append(None)
            continue
        if not isinstance(el, dict):
            raise _DecodeError("cannot unmarshal into model.MetricValue")
        it = {"endpoint": "", "metric": "", "value": None, "step": 0, "counterType": "",
              "tags": "", "timestamp": 0}
        for k, v in el.items():
            key = next((f for f in list(_FIELDS) + ["value"] if f.lower() == k.lower()), None)
            if key is None or v is None:
                continue
            t = _FIELDS.get(key)
            if t is int and (isinstance(v, bool) or not isinstance(v, int)):
                raise _DecodeError("cannot unmarshal %r into int64 field %s" % (v, key))
            if t is str and not isinstance(v, str):
                raise _DecodeError("cannot unmarshal %r into string field %s" % (v, key))
            it[key] = v
        items.append(it)
    return items


# ---- HTTP plumbing -------------------------------------------------------------------------------

class _Hangup(Exception):
    pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # a real Go server sets TCP_NODELAY: no 40 ms delayed-ACK stalls
    timeout = 120

    def log_message(self, fmt, *args):
        if DEBUG:
            sys.stderr.write("fake-falcon: %s\n" % (fmt % args))

    def _go(self, method):
        try:
            self.server.fake._dispatch(self, method)
        except _Hangup:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def do_GET(self):
        self._go("GET")

    def do_POST(self):
        self._go("POST")

    def do_OPTIONS(self):
        self._go("OPTIONS")

    def do_PUT(self):
        self._go("PUT")

    def do_DELETE(self):
        self._go("DELETE")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, fake, handler=_Handler):
        self.fake = fake
        super().__init__(addr, handler)

    def process_request_thread(self, request, client_address):
        if self.RequestHandlerClass is not _Handler:   # stop() spares the admin connections
            return super().process_request_thread(request, client_address)
        self.fake._conn_add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.fake._conn_del(request)


def _read_body(h):
    te = (h.headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        out = b""
        while True:
            n = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if n == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return out, -1
            out += h.rfile.read(n)
            h.rfile.readline()
            if len(out) > MAX_BODY:
                raise _Hangup()
    n = int(h.headers.get("Content-Length") or 0)
    if n > MAX_BODY:
        raise _Hangup()
    return (h.rfile.read(n) if n > 0 else b""), n


class _Series:
    __slots__ = ("type", "step", "last", "points")

    def __init__(self):
        self.type = "GAUGE"
        self.step = 60
        self.last = collections.deque(maxlen=HISTORY_SIZE)   # (ts, value, step), newest first
        self.points = collections.OrderedDict()              # ts -> value, ascending


# ---- the fake ------------------------------------------------------------------------------------

class FakeFalcon:
    """See the module docstring. Constructor arguments:
      start         bind and serve now (False: port reserved, serve after start()).
      port          fixed port (default: ephemeral); admin: also serve the admin port.
      default_token api config default_token ("" disables it); skip_auth: no Apitoken check.
      users         {name: password} known to uic; sessions: {name: [sig, ...]}.
      min_step      transfer minStep; agent_default_tags: {k: v} appended by the agent.
      require_json  lastpoint/history without Content-Type application/json -> 400 (gin's
                    Bind picks the form binder then; believed, see falcon.md 6.8).
    """

    def __init__(self, start=True, port=None, admin=True, default_token=DEFAULT_TOKEN,
                 skip_auth=False, users=None, sessions=None, min_step=30,
                 agent_default_tags=None, require_json=True):
        self.default_token = default_token
        self.skip_auth = skip_auth
        self.users = dict(users or {})
        self.sessions = {}
        for name, sigs in (sessions or {}).items():
            for sig in sigs:
                self.add_session(name, sig)
        self.min_step = min_step
        self.agent_default_tags = dict(agent_default_tags or {})
        self.require_json = require_json
        self._lock = threading.RLock()
        self._series = {}
        self._rules = []            # fault rules: dicts kind/count/path/...
        self._now = None
        self._counts = collections.Counter()
        self.requests = collections.deque(maxlen=1000)
        self.stats = {"total": 0, "invalid": 0, "dropped": 0}
        self._conns = set()
        self._server = None
        self._thread = None
        if port is None:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        self.port = port
        self._admin = None
        self.admin_port = None
        if admin:
            self._admin = _Server(("127.0.0.1", 0), self, _AdminHandler)
            self.admin_port = self._admin.server_address[1]
            threading.Thread(target=self._admin.serve_forever, kwargs={"poll_interval": 0.05},
                             name="fake-falcon-admin", daemon=True).start()
        if start:
            self.start()

    # ---- lifecycle ----

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    agent_url = url
    transfer_url = url

    @property
    def running(self):
        return self._server is not None

    def start(self):
        if self._server is not None:
            return
        self._server, self._thread = serve_in_thread(
            lambda: _Server(("127.0.0.1", self.port), self), "fake-falcon")

    def stop(self):
        """Close the listener and every open connection (Falcon down: connection refused)."""
        srv, self._server = self._server, None
        stop_serving(srv, self._thread)
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stop()
        if self._admin is not None:
            self._admin.shutdown()
            self._admin.server_close()
            self._admin = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def info(self):
        return {"url": self.url, "port": self.port, "admin_port": self.admin_port,
                "agent_push": self.url + "/v1/push", "transfer_push": self.url + "/api/push",
                "running": self.running, "token": self.default_token,
                "skip_auth": self.skip_auth, "min_step": self.min_step, "now": self.now(),
                "series": len(self._series), "stats": dict(self.stats)}

    def _conn_add(self, c):
        with self._lock:
            self._conns.add(c)

    def _conn_del(self, c):
        with self._lock:
            self._conns.discard(c)

    # ---- clock, users ----

    def now(self):
        return int(self._now if self._now is not None else time.time())

    def set_time(self, ts=None):
        """Fix the clock used for 'now' (push without timestamp, stale, ts > 2*now); None: real."""
        self._now = ts

    def add_user(self, name, password=""):
        with self._lock:
            self.users[name] = password

    def add_session(self, name, sig=None):
        """A uic session for user `name` (created if needed); returns the sig."""
        sig = sig or str(uuid.uuid4())
        with self._lock:
            self.users.setdefault(name, "")
            self.sessions.setdefault(name, set()).add(sig)
        return sig

    # ---- data ----

    def push_items(self, items, agent=False):
        """Validate/normalise like transfer (3.3) and store; returns (total, invalid)."""
        if agent and self.agent_default_tags:
            dt = ",".join("%s=%s" % kv for kv in self.agent_default_tags.items())
            for it in items:
                if it is not None:
                    it["tags"] = dt if not it.get("tags") else it["tags"] + "," + dt
        invalid = 0
        for it in items:
            if not self._store(it):
                invalid += 1
        with self._lock:
            self.stats["total"] += len(items)
            self.stats["invalid"] += invalid
        return len(items), invalid

    def _store(self, it):
        if it is None:
            return False
        metric, endpoint = it.get("metric") or "", it.get("endpoint") or ""
        ctype, tags, step = it.get("counterType"), it.get("tags") or "", it.get("step") or 0
        v = it.get("value")
        if metric == "kernel.hostname" or not metric or not endpoint:
            return False
        if ctype not in COUNTER_TYPES or v == "" or step <= 0:
            return False
        if len(metric) + len(tags) > 510:
            return False
        if isinstance(v, bool) or v is None:
            return False
        if isinstance(v, str):
            try:
                v = parse_float(v)
            except ValueError:
                return False
        elif isinstance(v, (int, float)):
            v = float(v)
        else:
            return False
        now = self.now()
        ts = it.get("timestamp") or 0
        if ts <= 0 or ts > 2 * now:
            ts = now
        step = max(step, self.min_step)
        ts -= ts % step
        counter = counter_of(metric, tags)
        if not valid_string(endpoint) or not valid_string(counter):
            with self._lock:
                self.stats["dropped"] += 1
            return True   # valid for transfer; the graph drops it
        with self._lock:
            s = self._series.get((endpoint, counter))
            if s is None:
                s = self._series[(endpoint, counter)] = _Series()
            s.type = "GAUGE" if ctype == "GAUGE" else "DERIVE"
            s.step = step
            if s.last and ts <= s.last[0][0]:
                self.stats["dropped"] += 1
                return True
            s.last.appendleft((ts, v, step))
            s.points[ts] = v
            while len(s.points) > HISTORY_POINTS:
                s.points.popitem(last=False)
        return True

    def push(self, endpoint, metric, value, tags="", counter_type="GAUGE", step=60, ts=None):
        """Push one item as the transfer would get it; returns the series' counter string, or
        None when the item is invalid."""
        it = {"endpoint": endpoint, "metric": metric, "value": value, "tags": tags,
              "counterType": counter_type, "step": step, "timestamp": ts or 0}
        _, bad = self.push_items([it])
        return None if bad else counter_of(metric, tags)

    def wipe(self):
        with self._lock:
            self._series.clear()

    def series(self):
        with self._lock:
            return [{"endpoint": e, "counter": c, "type": s.type, "step": s.step,
                     "points": [[t, v] for t, v, _ in s.last]}
                    for (e, c), s in sorted(self._series.items())]

    def lastpoint(self, endpoint, counter, raw=False):
        """Graph.Last (raw: Graph.LastRaw) -> (timestamp, value); no faults applied."""
        with self._lock:
            s = self._series.get((endpoint, counter))
            if s is None or not s.last:
                return 0, 0.0
            if raw or s.type == "GAUGE":
                return s.last[0][0], s.last[0][1]
            if len(s.last) < 2:
                return 0, 0.0
            (t0, v0, st0), (t1, v1, _) = s.last[0], s.last[1]
            if t0 - t1 != st0 or t0 <= t1:
                return 0, 0.0
            return t0, max(v0 - v1, 0.0) / (t0 - t1)

    def history(self, endpoint, counter, start, end):
        """(dstype, step, [(ts, value|None)]) or None for an unknown series."""
        with self._lock:
            s = self._series.get((endpoint, counter))
            if s is None:
                return None
            step, pts = s.step, dict(s.points)
            dstype = s.type
        first = start - start % step
        if first < start:
            first += step
        last = end - end % step
        first = max(first, last - step * (HISTORY_SLOTS - 1))
        out = []
        for t in range(first, last + 1, step):
            v = pts.get(t)
            if dstype != "GAUGE" and v is not None:
                p = pts.get(t - step)
                v = None if p is None or v < p else (v - p) / step
            out.append((t, v))
        return dstype, step, out

    # ---- faults ----

    def _rule(self, kind, count, path, **kw):
        with self._lock:
            self._rules.append(dict(kind=kind, count=count, path=path, **kw))

    def delay(self, seconds, count=None, path=None):
        """Sleep `seconds` before answering the next `count` requests (None: until cleared)."""
        self._rule("delay", count, path, seconds=seconds)

    def fail_next(self, n=1, code=500, path=None, message=None, body=None):
        """Answer the next n requests with `code` and {"error": message} (or the raw `body`)."""
        self._rule("fail", n, path, code=code, message=message, body=body)

    def malformed(self, n=1, path=None):
        self._rule("malformed", n, path)

    def empty(self, n=1, path=None):
        self._rule("empty", n, path)

    def hangup(self, n=1, path=None):
        self._rule("hangup", n, path)

    def null_values(self, n=None, path=None):
        self._rule("null", n, path)

    def stale(self, seconds=600, n=None, path=None):
        """Serve every non-zero timestamp as now - seconds."""
        self._rule("stale", n, path, seconds=seconds)

    def clear_faults(self):
        with self._lock:
            self._rules.clear()

    def _take_faults(self, path):
        """{kind: rule} for the rules that apply to this request (one per kind), consumed."""
        got = {}
        with self._lock:
            for r in self._rules:
                p = r["path"]
                hit = path.startswith(READ_PREFIXES) if p is None else path.startswith(p)
                if not hit or r["kind"] in got or (r["count"] is not None and r["count"] <= 0):
                    continue
                kind = r["kind"]
                if kind in ("fail", "malformed", "empty", "hangup") and \
                        any(k in got for k in ("fail", "malformed", "empty", "hangup")):
                    continue
                got[kind] = r
                if r["count"] is not None:
                    r["count"] -= 1
            self._rules = [r for r in self._rules if r["count"] is None or r["count"] > 0]
        return got

    # ---- request accounting ----

    def counts(self):
        with self._lock:
            return dict(self._counts)

    def count(self, path=None, prefix=None, method=None):
        """Requests since the last reset_counts(). By path alone: exact at any number; with
        prefix or method: from the log of the last 1000 requests."""
        with self._lock:
            if prefix is None and method is None:
                return sum(self._counts.values()) if path is None else self._counts[path]
            reqs = list(self.requests)
        return sum(1 for r in reqs if (path is None or r["path"] == path)
                   and (prefix is None or r["path"].startswith(prefix))
                   and (method is None or r["method"] == method))

    def reset_counts(self):
        with self._lock:
            self._counts.clear()
            self.requests.clear()

    def last_request(self, path=None):
        with self._lock:
            for r in reversed(self.requests):
                if path is None or r["path"] == path:
                    return r
        return None

    # ---- dispatch ----

    def _dispatch(self, h, method):
        path = urllib.parse.urlsplit(h.path).path
        body, clen = _read_body(h)
        rec = {"method": method, "path": path, "status": None, "items": None,
               "body": body.decode("utf-8", "replace"), "time": time.time(),
               "headers": {k.lower(): v for k, v in h.headers.items()}}
        with self._lock:
            self._counts[path] += 1
            self.requests.append(rec)
        faults = self._take_faults(path)
        if "delay" in faults:
            time.sleep(faults["delay"]["seconds"])
        if "hangup" in faults:
            raise _Hangup()
        if "fail" in faults:
            r = faults["fail"]
            b = r["body"] if r["body"] is not None else \
                '{"error":%s}' % go_str(r["message"] or "fake falcon: injected %d" % r["code"])
            return self._send(h, rec, r["code"], b)
        if "malformed" in faults:
            return self._send(h, rec, 200, '[{"endpoint":"x","counter":"y","value":{"timesta')
        if "empty" in faults:
            return self._send(h, rec, 200, "[]")
        code, ctype, out = self._route(method, path, body, clen, h.headers, rec, faults)
        self._send(h, rec, code, out, ctype)

    def _send(self, h, rec, code, text, ctype="application/json; charset=utf-8"):
        rec["status"] = code
        b = text.encode("utf-8")
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(b)))
        if rec["path"].startswith("/api/"):
            h.send_header("Access-Control-Allow-Origin", "*")
        h.end_headers()
        if rec["method"] != "HEAD":
            h.wfile.write(b)

    def _route(self, method, path, body, clen, headers, rec, faults):
        J, T = "application/json; charset=utf-8", "text/plain; charset=utf-8"
        if method == "OPTIONS":
            return 200, T, ""
        if path == "/v1/push" and method == "POST":
            if clen == 0 or not body:
                return 400, T, "body is blank\n"
            try:
                items = decode_items(body)
            except _DecodeError:
                return 400, T, "connot decode body\n"
            rec["items"] = len(items)
            self.push_items(items, agent=True)
            return 200, T, "success"
        if path == "/api/push" and method == "POST":
            if clen == 0 or not body:
                return 400, T, "blank body\n"
            try:
                items = decode_items(body)
            except _DecodeError:
                return 400, T, "decode error\n"
            rec["items"] = len(items)
            t0 = time.monotonic()
            total, bad = self.push_items(items)
            ms = int((time.monotonic() - t0) * 1000)
            return 200, J, ('{"msg":"success","data":{"Message":"ok","Total":%d,"Invalid":%d,'
                            '"Latency":%d}}' % (total, bad, ms))
        if path in ("/graph/last", "/graph/last/raw") and method == "POST":
            doc, err = self._json(body)
            if err is None and not isinstance(doc, list):
                err = "json: cannot unmarshal into []*model.GraphLastParam"
            if err is not None:
                return 400, J, '{"msg":%s}' % go_str(err)
            if not doc:
                return 400, J, '{"msg":"empty"}'
            return self._last(doc, rec, faults, raw=path.endswith("/raw"), key="msg")
        if path == "/graph/history" and method == "POST":
            doc, err = self._json(body)
            if err is not None or not isinstance(doc, dict):
                return 400, J, '{"msg":%s}' % go_str(err or "json: cannot unmarshal")
            ecs = doc.get("endpoint_counters") or []
            if not ecs:
                return 400, J, '{"msg":"empty_payload"}'
            pairs = [(x.get("endpoint", ""), x.get("counter", "")) for x in ecs
                     if isinstance(x, dict)]
            return 200, J, self._history(pairs, doc.get("start") or 0, doc.get("end") or 0,
                                         True, faults)
        if path == "/health":
            return 200, T, "ok"
        if path == "/" and method == "GET":
            return 200, J, '{"message":%s}' % go_str(HELLO)
        if path == "/api/v1/user/login" and method == "POST":
            doc, err = self._json(body)
            if err is not None or not isinstance(doc, dict) or not doc.get("name") \
                    or not doc.get("password"):
                return 400, J, '{"error":"name or password is blank"}'
            with self._lock:
                ok = self.users.get(doc["name"]) == doc["password"]
            if not ok:
                return 400, J, '{"error":"password error"}'
            sig = self.add_session(doc["name"])
            return 200, J, '{"sig":%s,"name":%s,"admin":false}' % (go_str(sig),
                                                                 go_str(doc["name"]))
        if path.startswith("/api/v1/"):
            err = self._auth(headers)
            if err is not None:
                return 401, J, '{"error":%s}' % go_str(err)
            if path == "/api/v1/user/auth_session" and method == "GET":
                return 200, J, '{"message":"session is vaild!"}'
            if path in ("/api/v1/graph/lastpoint", "/api/v1/graph/history") and method == "POST":
                ct = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if self.require_json and ct != "application/json":
                    return 400, J, '{"error":"fake falcon: Content-Type %s is not ' \
                        'application/json (gin binds a form)"}' % go_str(ct)[1:-1]
                doc, err = self._json(body)
                if path.endswith("/lastpoint"):
                    if err is None and not isinstance(doc, list):
                        err = "json: cannot unmarshal %s into Go value of type " \
                              "[]*model.GraphLastParam" % type(doc).__name__
                    if err is not None:
                        return 400, J, '{"error":%s}' % go_str(err)
                    return self._last(doc, rec, faults, raw=False, key="error")
                if err is None and not isinstance(doc, dict):
                    err = "json: cannot unmarshal into controller.APIQueryGraphDrawData"
                if err is None:
                    for f, k in (("hostnames", "Hostnames"), ("counters", "Counters"),
                                 ("consol_fun", "ConsolFun"), ("start_time", "StartTime"),
                                 ("end_time", "EndTime")):
                        if not doc.get(f):
                            err = ("Key: 'APIQueryGraphDrawData.%s' Error:Field validation for "
                                   "'%s' failed on the 'required' tag" % (k, k))
                            break
                if err is not None:
                    return 400, J, '{"error":%s}' % go_str(err)
                pairs = [(e, c) for e in doc["hostnames"] for c in doc["counters"]]
                return 200, J, self._history(pairs, doc["start_time"], doc["end_time"],
                                             (doc.get("step") or 0) > 0, faults)
        return 404, T, "404 page not found\n"

    @staticmethod
    def _json(body):
        try:
            return json.loads(body.decode("utf-8")), None
        except (ValueError, UnicodeDecodeError) as e:
            return None, str(e) or "unexpected end of JSON input"

    def _auth(self, headers):
        if self.skip_auth:
            return None
        tok = headers.get("Apitoken")
        if not tok:
            return "token key is not set"
        try:
            doc = json.loads(tok)
        except ValueError as e:
            return str(e)
        if not isinstance(doc, dict):
            return "json: cannot unmarshal into Go value of type utils.WebSession"
        low = {k.lower(): v for k, v in doc.items()}
        name, sig = low.get("name") or "", low.get("sig") or ""
        if not isinstance(name, str) or not isinstance(sig, str):
            return "json: cannot unmarshal into Go struct field WebSession of type string"
        if not name:
            return "token key:name is empty"
        if not sig:
            return "token key:sig is empty"
        if self.default_token and sig == self.default_token:
            return None
        with self._lock:
            if name not in self.users:
                return "not found this user"
            if sig not in self.sessions.get(name, ()):
                return "session not found"
        return None

    def _last(self, doc, rec, faults, raw, key):
        parts = []
        rec["items"] = len(doc)
        now = self.now()
        for el in doc:
            if el is None:
                continue
            if not isinstance(el, dict) or not isinstance(el.get("endpoint", ""), str) \
                    or not isinstance(el.get("counter", ""), str):
                return 400, "application/json; charset=utf-8", \
                    '{"%s":"json: cannot unmarshal into model.GraphLastParam"}' % key
            e, c = el.get("endpoint", ""), el.get("counter", "")
            ts, v = self.lastpoint(e, c, raw=raw)
            if "stale" in faults and ts:
                ts = now - faults["stale"]["seconds"]
            vs = "null" if "null" in faults else go_float(v)
            parts.append('{"endpoint":%s,"counter":%s,"value":{"timestamp":%d,"value":%s}}'
                         % (go_str(e), go_str(c), ts, vs))
        return 200, "application/json; charset=utf-8", "[" + ",".join(parts) + "]"

    def _history(self, pairs, start, end, step_given, faults):
        out = []
        for e, c in pairs:
            h = self.history(e, c, start, end)
            if h is None:
                if step_given:
                    out.append('{"endpoint":%s,"counter":%s,"dstype":"","step":0,"Values":[]}'
                               % (go_str(e), go_str(c)))
                continue
            dstype, step, pts = h
            vals = []
            for t, v in pts:
                vals.append('{"timestamp":%d,"value":%s}'
                            % (t, "null" if "null" in faults else go_float(v)))
            out.append('{"endpoint":%s,"counter":%s,"dstype":"%s","step":%d,"Values":[%s]}'
                       % (go_str(e), go_str(c), dstype, step, ",".join(vals)))
        return "[" + ",".join(out) + "]"


# ---- admin endpoint ------------------------------------------------------------------------------

class _AdminHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if DEBUG:
            sys.stderr.write("fake-falcon-admin: %s\n" % (fmt % args))

    def _go(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            code, obj = _admin_route(self.server.fake, method, u.path, q, raw)
        except (KeyError, ValueError, TypeError) as e:
            code, obj = 400, {"error": "%s: %s" % (type(e).__name__, e)}
        b = json.dumps(obj).encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        self._go("GET")

    def do_POST(self):
        self._go("POST")


def _count(q):
    return int(q["count"]) if q.get("count") not in (None, "") else None


def _admin_route(f, method, path, q, raw):
    key = (method, path)
    p = q.get("path") or None
    if key == ("GET", "/state"):
        return 200, f.info()
    if key == ("GET", "/requests"):
        if "path" in q or "prefix" in q:
            return 200, {"count": f.count(q.get("path"), q.get("prefix"), q.get("method"))}
        c = f.counts()
        return 200, {"counts": c, "total": sum(c.values())}
    if key == ("GET", "/requests/log"):
        with f._lock:
            reqs = [dict(r) for r in f.requests if p is None or r["path"] == p]
        return 200, reqs
    if key == ("POST", "/requests/reset"):
        f.reset_counts()
        return 200, {}
    if key == ("POST", "/delay"):
        f.delay(float(q["seconds"]), _count(q), p)
    elif key == ("POST", "/fail"):
        f.fail_next(_count(q) if "count" in q else 1, int(q.get("code", 500)), p,
                    q.get("message"), q.get("body"))
    elif key == ("POST", "/malformed"):
        f.malformed(_count(q) if "count" in q else 1, p)
    elif key == ("POST", "/empty"):
        f.empty(_count(q) if "count" in q else 1, p)
    elif key == ("POST", "/hangup"):
        f.hangup(_count(q) if "count" in q else 1, p)
    elif key == ("POST", "/null-values"):
        f.null_values(_count(q), p)
    elif key == ("POST", "/stale"):
        f.stale(float(q.get("seconds", 600)), _count(q), p)
    elif key == ("POST", "/clear-faults"):
        f.clear_faults()
    elif key == ("POST", "/push"):
        total, bad = f.push_items(decode_items(raw))
        return 200, {"Total": total, "Invalid": bad}
    elif key == ("POST", "/push-one"):
        v = q["value"]
        c = f.push(q["endpoint"], q["metric"], v, q.get("tags", ""), q.get("type", "GAUGE"),
                   int(q.get("step", 60)), int(q["ts"]) if q.get("ts") else None)
        return (200, {"counter": c}) if c is not None else (400, {"error": "invalid item"})
    elif key == ("GET", "/series"):
        return 200, f.series()
    elif key == ("POST", "/wipe"):
        f.wipe()
    elif key == ("POST", "/time"):
        f.set_time(int(q["now"]) if q.get("now") else None)
    elif key == ("POST", "/token"):
        f.default_token = q.get("value", "")
    elif key == ("POST", "/skip-auth"):
        f.skip_auth = q.get("on", "1") not in ("", "0", "false")
    elif key == ("POST", "/session"):
        return 200, {"sig": f.add_session(q["name"], q.get("sig") or None)}
    elif key == ("POST", "/stop"):
        f.stop()
    elif key == ("POST", "/start"):
        f.start()
    else:
        return 404, {"error": "no admin route %s %s" % (method, path)}
    return 200, {}


# ---- script --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Open-Falcon (api, query, agent, transfer) "
                                 "for metrics-adapter tests. Prints one JSON line (info()) then "
                                 "serves until SIGTERM/SIGINT.\n\n" + ADMIN,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int)
    ap.add_argument("--token", default=DEFAULT_TOKEN, help="api default_token ('' disables)")
    ap.add_argument("--skip-auth", action="store_true")
    ap.add_argument("--session", action="append", default=[], metavar="NAME:SIG")
    ap.add_argument("--min-step", type=int, default=30)
    ap.add_argument("--no-require-json", action="store_true",
                    help="accept lastpoint bodies without Content-Type: application/json")
    a = ap.parse_args(argv)
    sessions = {}
    for s in a.session:
        n, _, sig = s.partition(":")
        sessions.setdefault(n, []).append(sig)
    f = FakeFalcon(port=a.port, default_token=a.token, skip_auth=a.skip_auth,
                   sessions=sessions, min_step=a.min_step, require_json=not a.no_require_json)
    try:
        # handlers first: a caller may send SIGTERM as soon as it has read the info line
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        sys.stdout.write(json.dumps(f.info()) + "\n")
        sys.stdout.flush()
        while not done.wait(1.0):
            pass
    finally:
        f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
