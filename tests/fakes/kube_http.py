"""HTTP side of the fake kube-apiserver: TLS server, request dispatch, routing, errors and
paginated LIST (HttpMixin, mixed into FakeKubeApiserver)."""

import base64
import bisect
import collections
import http.server
import json
import ssl
import sys
import time
import traceback
import urllib.parse
import uuid

from kube_objects import (CONTINUE_EXPIRED_MSG, DEBUG, NOT_FOUND_ROUTE, UNAUTHORIZED,
                          ApiError, _Pred, bad_request, go_json, parse_field_selector,
                          parse_label_selector, status_obj)

# ---- HTTP plumbing -------------------------------------------------------------------------------


class _Stop(Exception):
    """The connection must end (dropped by a fault hook or the peer went away)."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as a Go server (TCP_NODELAY)
    timeout = 300

    def log_message(self, fmt, *args):
        if DEBUG:
            sys.stderr.write("fake-kube: %s\n" % (fmt % args))

    def _go(self, method):
        try:
            self.server.fake._dispatch(self, method)
        except _Stop:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError) as e:
            if DEBUG:
                sys.stderr.write("fake-kube: connection error %r\n" % e)
            self.close_connection = True

    def do_GET(self):
        self._go("GET")

    def do_POST(self):
        self._go("POST")

    def do_PUT(self):
        self._go("PUT")

    def do_DELETE(self):
        self._go("DELETE")

    def do_PATCH(self):
        self._go("PATCH")


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, fake):
        self.fake = fake
        super().__init__(addr, _Handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the worker thread, so a silent client cannot block accept().
        fake = self.fake
        try:
            request.settimeout(10.0)
            conn = fake._ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            fake.tls_errors.append(str(e))
            return
        conn.settimeout(_Handler.timeout)
        fake._conn_add(conn)
        try:
            _Handler(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            fake._conn_del(conn)
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if DEBUG:
            super().handle_error(request, client_address)


def _bool_param(v):
    # strconv.ParseBool
    if v in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if v in (None, "", "0", "f", "F", "FALSE", "false", "False"):
        return False
    raise bad_request("invalid boolean %r" % v)


def _event_bytes(etype, full):
    return b'{"type":"' + etype.encode() + b'","object":' + full + b"}\n"


def _chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class HttpMixin:
    """Request handling of FakeKubeApiserver (uses its store, lock and hooks)."""

    # ---- HTTP: dispatch ----

    def _reply(self, h, code, body, info, ctype="application/json", headers=()):
        self._reply_parts(h, code, [body], info, ctype, headers)

    def _reply_parts(self, h, code, parts, info, ctype="application/json", headers=(), sep=b""):
        """Send sep.join(parts) as the body: Content-Length up to 2048 bytes, else chunked (what
        Go's net/http does for a handler that does not set Content-Length), with chunks of about
        body_chunk_size assembled without joining the whole body first."""
        h.send_response_only(code)
        h.send_header("Audit-Id", str(uuid.uuid4()))
        h.send_header("Cache-Control", "no-cache, private")
        h.send_header("Content-Type", ctype)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("X-Kubernetes-Pf-Flowschema-Uid", "5c8a6c3e-0000-4000-8000-fa4e00000001")
        h.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", "5c8a6c3e-0000-4000-8000-fa4e00000002")
        h.send_header("Date", h.date_time_string())
        total = sum(map(len, parts)) + len(sep) * max(0, len(parts) - 1)
        info["code"] = code
        if total <= 2048:
            body = sep.join(parts)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        n = self.body_chunk_size
        group, size = [None], 0
        for i, p in enumerate(parts):
            if i and sep:
                group.append(sep)
                size += len(sep)
            while len(p) > n:               # one big part: split it
                take = n - size if size < n else 0
                if take:
                    group.append(p[:take])
                    size += take
                    p = p[take:]
                group[0] = b"%x\r\n" % size
                group.append(b"\r\n")
                h.wfile.write(b"".join(group))
                group, size = [None], 0
            group.append(p)
            size += len(p)
            if size >= n:
                group[0] = b"%x\r\n" % size
                group.append(b"\r\n")
                h.wfile.write(b"".join(group))
                group, size = [None], 0
        tail = b"0\r\n\r\n"
        if size:
            group[0] = b"%x\r\n" % size
            group.append(b"\r\n" + tail)
            h.wfile.write(b"".join(group))
        else:
            h.wfile.write(tail)

    def _reply_json(self, h, code, obj, info, headers=()):
        self._reply(h, code, go_json(obj), info, headers=headers)

    def _read_body(self, h):
        te = h.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            parts = []
            while True:
                line = h.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(h.rfile.read(size))
                h.rfile.readline(16)
        n = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(n) if n > 0 else b""

    def _dispatch(self, h, method):
        u = urllib.parse.urlsplit(h.path)
        path = u.path
        q = {}
        for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
            q.setdefault(k, v)   # url.Values.Get: the first value
        body = self._read_body(h) if method in ("POST", "PUT", "PATCH") else b""
        info = {"method": method, "path": path, "query": u.query, "verb": None, "user": None,
                "code": None, "headers": dict(h.headers.items()), "time": time.time()}
        with self._lock:
            self._counts[path] += 1
            self.requests.append(info)
        delay, fail = self._take_faults(path)
        if delay:
            time.sleep(delay)
        if fail:
            code, msg = fail
            self._reply_fault(h, code, msg, info)
            return
        user = self._authenticate(h)
        info["user"] = user
        if user is None:
            self._reply_json(h, 401, UNAUTHORIZED, info)
            return
        try:
            self._route(h, method, path, q, body, user, info)
        except ApiError as e:
            self._reply_json(h, e.code, e.status, info)
        except (_Stop, BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            raise
        except Exception as e:  # a bug in the fake: say so loudly, answer like the real server
            import traceback
            traceback.print_exc()
            if info["code"] is None:
                self._reply_json(h, 500, status_obj(500, "InternalError", "Internal error "
                                                    "occurred: fake bug: %r" % e), info)

    def _reply_fault(self, h, code, msg, info):
        hdrs = ()
        if code == 500:
            m = msg or "fake failure"
            st = status_obj(500, "InternalError", "Internal error occurred: " + m,
                            {"causes": [{"message": m}]})
        elif code == 503:
            st = status_obj(503, "ServiceUnavailable",
                            msg or "the server is currently unable to handle the request",
                            {"retryAfterSeconds": 1} if not msg else None)
            hdrs = (("Retry-After", "1"),)
        elif code == 429:
            st = status_obj(429, "TooManyRequests", msg or "Too many requests, please try again "
                            "later.", {"retryAfterSeconds": 1})
            hdrs = (("Retry-After", "1"),)
        elif code == 504:
            st = status_obj(504, "Timeout", msg or "Timeout: request did not complete within the "
                            "allotted timeout", {"causes": [{"reason": "Timeout",
                                                             "message": "fake timeout"}]})
        elif code == 401:
            st = UNAUTHORIZED
        elif code == 403:
            st = status_obj(403, "Forbidden", msg or "forbidden", {})
        else:
            st = status_obj(code, "", msg or "fake failure")
        self._reply_json(h, code, st, info, headers=hdrs)

    def _route(self, h, method, path, q, body, user, info):
        segs = [urllib.parse.unquote(s) for s in path.split("/")[1:]]
        while segs and segs[-1] == "":
            segs.pop()
        info["verb"] = "discovery"
        if not segs:
            return self._reply_json(h, 200, {"paths": ["/api", "/api/v1", "/apis", "/healthz",
                                                       "/livez", "/readyz", "/version"]}, info)
        if segs[0] in ("healthz", "livez", "readyz") and len(segs) == 1:
            return self._reply(h, 200, b"ok", info, ctype="text/plain; charset=utf-8",
                               headers=(("X-Content-Type-Options", "nosniff"),))
        if segs == ["version"]:
            return self._reply_json(h, 200, {
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-fake", "gitCommit": "0" * 40,
                "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
                "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64"}, info)
        if segs[0] == "api":
            if len(segs) == 1:
                return self._reply_json(h, 200, {
                    "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.port}]},
                    info)
            if segs[1] != "v1":
                raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
            group, version, rest = "", "v1", segs[2:]
        elif segs[0] == "apis":
            if len(segs) == 1:
                return self._reply_json(h, 200, self._group_list(), info)
            if len(segs) == 2:
                g = [x for x in self._group_list()["groups"] if x["name"] == segs[1]]
                if not g:
                    raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
                return self._reply_json(h, 200, dict({"kind": "APIGroup", "apiVersion": "v1"},
                                                     **g[0]), info)
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
        with self._lock:
            gv = [r for r in self._resources.values() if r.group == group and r.version == version]
        if not gv:
            raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
        if not rest:
            d = {"kind": "APIResourceList", "groupVersion": gv[0].api_version,
                 "resources": [r.discovery() for r in gv]}
            if group:
                d = {"kind": "APIResourceList", "apiVersion": "v1",
                     "groupVersion": gv[0].api_version, "resources": d["resources"]}
            return self._reply_json(h, 200, d, info)
        watch_path = False
        if rest[0] == "watch":
            watch_path, rest = True, rest[1:]
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest:
            raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
        res = next((r for r in gv if r.plural == rest[0]), None)
        if res is None or (ns is not None and not res.namespaced) or len(rest) > 2:
            raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
        name = rest[1] if len(rest) == 2 else None
        if res.hook is not None:
            info["verb"] = "create"
            if method != "POST" or name is not None:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                               "the requested resource", {})
            try:
                doc = json.loads(body or b"null")
            except ValueError as e:
                raise bad_request("couldn't get version/kind; json parse error: %s" % e)
            code, obj = res.hook(user, doc)
            return self._reply_json(h, code, obj, info)
        watch = watch_path or _bool_param(q.get("watch"))
        verb = {"GET": "watch" if watch else ("get" if name else "list"), "POST": "create",
                "PUT": "update", "DELETE": "delete", "PATCH": "patch"}[method]
        info["verb"] = verb
        if res.gr in self.forbidden or user == "system:anonymous":
            scope = ('in the namespace "%s"' % ns) if ns else "at the cluster scope"
            raise ApiError(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" '
                           'in API group "%s" %s' % (res.gr + ('' if not name else ' "%s"' % name),
                                                     user, verb, res.plural, res.group, scope),
                           {"name": name, "kind": res.plural} if name else {"kind": res.plural})
        if verb == "watch":
            if name is not None:   # legacy /watch/namespaces/ns/pods/name
                q = dict(q)
                q["fieldSelector"] = "metadata.name=" + name + (
                    "," + q["fieldSelector"] if q.get("fieldSelector") else "")
            return self._do_watch(h, res, ns, q, info)
        if verb == "list":
            return self._do_list(h, res, ns, q, info)
        if verb == "get":
            with self._lock:
                rec = res.objects.get(res.key(ns, name))
            if rec is None:
                raise self._not_found(res, name)
            return self._reply(h, 200, rec.full, info)
        if verb == "create" and name is None:
            obj = self._body_obj(body)
            if res.namespaced and ns is None:
                raise ApiError(404, "NotFound", NOT_FOUND_ROUTE["message"], {})
            if ns is not None and res is not self.namespaces:
                with self._lock:
                    if ns not in self.namespaces.objects:
                        raise self._not_found(self.namespaces, ns)
            out = self.create(obj, res, namespace=ns)
            return self._reply(h, 201, res.encode(res.canonical(out))[0], info)
        if verb == "update" and name is not None:
            obj = self._body_obj(body)
            if obj.get("metadata", {}).get("name") not in (None, name):
                raise bad_request("the name of the object (%s) does not match the name on the URL "
                                  "(%s)" % (obj["metadata"]["name"], name))
            obj.setdefault("metadata", {})["name"] = name
            out = self.update(obj, res, namespace=ns, check_rv=True)
            return self._reply(h, 200, res.encode(res.canonical(out))[0], info)
        if verb == "delete" and name is not None:
            out = self.delete(res, ns, name)
            return self._reply(h, 200, res.encode(res.canonical(out))[0], info)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                       "requested resource", {})

    def _body_obj(self, body):
        try:
            obj = json.loads(body or b"null")
        except ValueError as e:
            raise bad_request("json parse error: %s" % e)
        if not isinstance(obj, dict):
            raise bad_request("the body of the request was in an unknown format - accepted "
                              "media types include: application/json")
        return obj

    def _group_list(self):
        with self._lock:
            groups = collections.OrderedDict()
            for r in self._resources.values():
                if r.group:
                    groups.setdefault(r.group, [])
                    if r.version not in groups[r.group]:
                        groups[r.group].append(r.version)
        out = []
        for g, vs in groups.items():
            vv = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in vs]
            out.append({"name": g, "versions": vv, "preferredVersion": vv[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}

    def _pred(self, res, ns, q):
        try:
            labels = parse_label_selector(q.get("labelSelector") or "")
        except ValueError as e:
            raise bad_request("unable to parse requirement: %s" % e)
        try:
            fields = parse_field_selector(q.get("fieldSelector") or "", res.fields)
        except ValueError as e:
            raise bad_request(str(e))
        return _Pred(ns if res.namespaced else None, labels, fields)

    # ---- LIST ----

    def _snapshot(self, res, rv):
        """(sorted keys, key -> _Rec) of res as of rv. Lock held; caller checked rv >= _floor."""
        if rv >= self._rv:
            return res.sorted_keys(), res.objects
        ck = (id(res), rv)
        if ck in self._snaps:
            self._snaps.move_to_end(ck)
            return self._snaps[ck]
        objs = dict(res.objects)
        for ev in reversed(self._log):
            if ev.rv <= rv:
                break
            if ev.res is not res:
                continue
            if ev.prev is None:
                objs.pop(ev.key, None)
            else:
                objs[ev.key] = ev.prev
        snap = (sorted(objs), objs)
        self._snaps[ck] = snap
        while len(self._snaps) > 4:
            self._snaps.popitem(last=False)
        return snap

    def _encode_continue(self, rv, start):
        tok = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
        return base64.urlsafe_b64encode(tok.encode()).rstrip(b"=").decode()

    def _decode_continue(self, s):
        try:
            raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
            d = json.loads(raw)
            if d.get("v") != "meta.k8s.io/v1":
                raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            rv, start = d["rv"], d["start"]
            if not isinstance(rv, int) or rv == 0 or not isinstance(start, str):
                raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            if start.startswith("/") or ".." in start:
                raise ValueError("continue key is not valid")
            return rv, start
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise bad_request("continue key is not valid: %s" % e)

    def _do_list(self, h, res, ns, q, info):
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise bad_request("limit: invalid value %r" % q.get("limit"))
        limit = max(limit, 0)
        cont = q.get("continue") or ""
        rvp = q.get("resourceVersion")
        rvm = q.get("resourceVersionMatch") or ""
        if cont and rvp:
            raise bad_request("specifying resource version is not allowed when using continue")
        if rvm and not rvp:
            raise ApiError(422, "Invalid", "resourceVersionMatch is forbidden unless "
                           "resourceVersion is provided", {})
        if rvp:
            try:
                want = int(rvp)
                if want < 0:
                    raise ValueError
            except ValueError:
                raise ApiError(400, "BadRequest", 'invalid resource version "%s"' % rvp)
        pred = self._pred(res, ns, q)
        prefix = ns + "/" if (res.namespaced and ns) else ""
        start = ""
        with self._lock:
            if cont:
                rv, start = self._decode_continue(cont)
                if rv < 0:
                    rv = self._rv
                elif rv < self._floor:
                    raise ApiError(410, "Expired", CONTINUE_EXPIRED_MSG, list_continue=
                                   self._encode_continue(-1, start))
            elif not rvp:
                rv = self._rv
            elif want == 0:
                rv, limit = self._rv, 0      # served from the watch cache: limit ignored
            elif rvm == "Exact":
                if want > self._rv:
                    raise self._too_large(want)
                if want < self._floor:
                    raise ApiError(410, "Expired", "The resourceVersion for the provided list is "
                                   "too old.")
                rv = want
            else:
                deadline = time.monotonic() + self.too_large_rv_wait
                while want > self._rv and time.monotonic() < deadline:
                    self._cond.wait(max(0.0, deadline - time.monotonic()))
                if want > self._rv:
                    raise self._too_large(want)
                rv = self._rv
            keys, objs = self._snapshot(res, rv)
            i = bisect.bisect_left(keys, prefix + start)
            end = bisect.bisect_left(keys, prefix[:-1] + "0") if prefix else len(keys)
            items, last = [], None
            sel = pred.selects
            while i < end:
                rec = objs[keys[i]]
                i += 1
                if not sel or pred(rec.obj):
                    items.append(rec.item)
                    last = keys[i - 1]
                    if limit and len(items) >= limit:
                        break
        meta = []
        more = bool(limit) and len(items) >= limit and i < end
        if more:
            meta.append(("continue", self._encode_continue(rv, last[len(prefix):] + "\x00")))
            if not pred.selects:
                meta.append(("remainingItemCount", end - i))
        meta.append(("resourceVersion", str(rv)))
        if res.core:
            md = {"resourceVersion": str(rv)}
            for k, v in meta:
                if k != "resourceVersion":
                    md[k] = v
            head = (b'{"kind":' + go_json(res.list_kind) + b',"apiVersion":' +
                    go_json(res.api_version) + b',"metadata":' + go_json(md) + b',"items":[')
            tail = b"]}"
        else:
            head = b'{"apiVersion":' + go_json(res.api_version) + b',"items":['
            tail = (b'],"kind":' + go_json(res.list_kind) + b',"metadata":' +
                    go_json(dict(meta), sort_keys=True) + b"}")
        if items:
            items[0] = head + items[0]
            items[-1] = items[-1] + tail
        else:
            items = [head + tail]
        self._reply_parts(h, 200, items, info, sep=b",")

    def _too_large(self, want):
        return ApiError(504, "Timeout", "Timeout: Too large resource version: %d, current: %d"
                        % (want, self._rv), {"causes": [{"reason": "ResourceVersionTooLarge",
                                                         "message": "Too large resource version"}],
                                             "retryAfterSeconds": 1})
