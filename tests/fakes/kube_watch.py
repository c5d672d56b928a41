"""WATCH streams of the fake kube-apiserver (WatchMixin, mixed into FakeKubeApiserver)."""

import bisect
import queue
import select
import socket
import ssl
import struct
import time
import uuid

from kube_http import _Handler, _Stop, _bool_param, _chunk, _event_bytes
from kube_objects import ApiError, _Event, bad_request, go_json, status_obj


class _Watcher:
    """One open watch: its filter, the RV it starts after, and its event queue."""

    def __init__(self, res, pred, min_rv, qsize):
        self.res = res
        self.pred = pred
        self.min_rv = min_rv      # events at or below this RV were already covered
        self.q = queue.Queue(qsize)
        self.overflow = False
        self.started = time.monotonic()

    def offer(self, item):
        try:
            self.q.put_nowait(item)
        except queue.Full:
            self.overflow = True

    def translate(self, ev):
        """The event as this watcher sees it: (type, rec) or None (selector transitions)."""
        if ev.rv <= self.min_rv:
            return None
        if ev.type == "DELETED":
            return ("DELETED", ev.rec) if self.pred(ev.prev.obj) else None
        new = self.pred(ev.rec.obj)
        old = ev.prev is not None and self.pred(ev.prev.obj)
        if new and old:
            return ("MODIFIED", ev.rec)
        if new:
            return ("ADDED", ev.rec)
        if old:
            return ("DELETED", ev.rec)
        return None


class WatchMixin:
    """WATCH handling of FakeKubeApiserver."""

    # ---- WATCH ----

    def _do_watch(self, h, res, ns, q, info):
        pred = self._pred(res, ns, q)
        bookmarks = _bool_param(q.get("allowWatchBookmarks"))
        send_initial = q.get("sendInitialEvents")
        send_initial = None if send_initial is None else _bool_param(send_initial)
        rvp = q.get("resourceVersion") or ""
        timeout = self.default_watch_timeout
        if q.get("timeoutSeconds"):
            try:
                timeout = float(int(q["timeoutSeconds"])) or self.default_watch_timeout
            except ValueError:
                raise bad_request("timeoutSeconds: invalid value %r" % q["timeoutSeconds"])
        if rvp:
            try:
                want = int(rvp)
                if want < 0:
                    raise ValueError
            except ValueError:
                raise ApiError(400, "BadRequest", 'invalid resource version "%s"' % rvp)
        else:
            want = None
        if send_initial is not None and (q.get("resourceVersionMatch") != "NotOlderThan"
                                         or not bookmarks):
            raise ApiError(422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: "
                           "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for "
                           "watch unless the WatchList feature gate is enabled and "
                           "resourceVersionMatch is NotOlderThan and allowWatchBookmarks is true",
                           {})
        initial, expired = [], None
        with self._lock:
            cur = self._rv
            if want is None or want == 0 or send_initial:
                keys, objs = self._snapshot(res, cur)
                if pred.ns is not None:
                    keys = keys[bisect.bisect_left(keys, pred.ns + "/"):
                                bisect.bisect_left(keys, pred.ns + "0")]
                initial = [_event_bytes("ADDED", objs[k].full) for k in keys
                           if not pred.selects or pred(objs[k].obj)]
                min_rv = max(cur, want or 0)
            elif want < self._floor:
                expired = status_obj(410, "Expired", "too old resource version: %d (%d)"
                                     % (want, self._floor))
            else:
                min_rv = want
                probe = _Watcher(res, pred, want, 1)
                evs = []
                for ev in reversed(self._log):
                    if ev.rv <= want:
                        break
                    if ev.res is res:
                        evs.append(ev)
                for ev in reversed(evs):
                    t = probe.translate(ev)
                    if t:
                        initial.append(_event_bytes(t[0], t[1].full))
                min_rv = max(cur, want)
            if expired is None:
                w = _Watcher(res, pred, min_rv, self.watch_queue)
                self._watchers.add(w)
        h.send_response_only(200)
        h.send_header("Audit-Id", str(uuid.uuid4()))
        h.send_header("Cache-Control", "no-cache, private")
        h.send_header("Content-Type", "application/json")
        h.send_header("Date", h.date_time_string())
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        info["code"] = 200
        if expired is not None:
            h.wfile.write(_chunk(_event_bytes("ERROR", go_json(expired))) + b"0\r\n\r\n")
            return
        try:
            self._watch_loop(h, w, res, initial, bookmarks, bool(send_initial), timeout)
        finally:
            with self._lock:
                self._watchers.discard(w)

    def _send_events(self, h, evs):
        if not evs:
            return
        if self.watch_coalesce:
            evs = [b"".join(evs)]
        n = self.watch_chunk_max
        out = []
        for e in evs:
            if n > 0:
                out.extend(_chunk(e[i:i + n]) for i in range(0, len(e), n))
            else:
                out.append(_chunk(e))
        # one write per event keeps the real server's flush-per-event pacing for small streams;
        # the initial burst goes out in large writes.
        buf = []
        size = 0
        for c in out:
            buf.append(c)
            size += len(c)
            if size >= 65536:
                h.wfile.write(b"".join(buf))
                buf, size = [], 0
        if buf:
            h.wfile.write(b"".join(buf))

    def _watch_loop(self, h, w, res, initial, bookmarks, send_initial, timeout):
        self._send_events(h, initial)
        if send_initial:
            with self._lock:
                bm = res.bookmark(max(self._rv, w.min_rv))
            bm["metadata"]["annotations"] = {"k8s.io/initial-events-end": "true"}
            self._send_events(h, [_event_bytes("BOOKMARK", go_json(bm, sort_keys=not res.core))])
        now = time.monotonic()
        deadline = now + timeout
        next_bm = now + self.bookmark_interval if bookmarks else float("inf")
        while True:
            if w.overflow:
                break
            now = time.monotonic()
            if now >= deadline:
                break
            if now >= next_bm:
                with self._lock:
                    rv = max(self._rv, w.min_rv) if w.q.empty() else None
                if rv is not None:
                    self._send_events(h, [_event_bytes("BOOKMARK",
                                                       go_json(res.bookmark(rv),
                                                               sort_keys=not res.core))])
                next_bm = now + self.bookmark_interval
                continue
            try:
                item = w.q.get(timeout=min(deadline, next_bm, now + 0.25) - now)
            except queue.Empty:
                if self._client_gone(h):
                    raise _Stop()
                continue
            batch = [item]
            while len(batch) < 1000:
                try:
                    batch.append(w.q.get_nowait())
                except queue.Empty:
                    break
            evs = []
            for it in batch:
                if isinstance(it, _Event):
                    t = w.translate(it)
                    if t:
                        evs.append(_event_bytes(t[0], t[1].full))
                    continue
                self._send_events(h, evs)
                evs = []
                if it[0] == "drop":
                    self._drop(h, it[1], it[2])
                elif it[0] == "end":
                    h.wfile.write(b"0\r\n\r\n")
                    return
                elif it[0] == "inject":
                    line, final = self._malformed(res, it[1], it[2])
                    h.wfile.write(_chunk(line))
                    if final:
                        h.wfile.write(b"0\r\n\r\n")
                        return
            self._send_events(h, evs)
        h.wfile.write(b"0\r\n\r\n")

    def _client_gone(self, h):
        """The watch client closed its side (the real server notices through the request
        context); other readable bytes are discarded."""
        c = h.connection
        try:
            r, _, _ = select.select([c], [], [], 0)
        except (OSError, ValueError):
            return True
        if not r:
            return False
        try:
            c.settimeout(0.0)
            data = c.recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ssl.SSLError):
            return True
        finally:
            try:
                c.settimeout(_Handler.timeout)
            except OSError:
                pass
        return data == b""

    def _drop(self, h, mid_chunk, rst):
        c = h.connection
        if mid_chunk:
            part = b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"na'
            h.wfile.write(b"%x\r\n" % (len(part) + 200) + part)
        if rst:
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        try:
            socket.socket.shutdown(c, socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Stop()

    def _malformed(self, res, kind, raw):
        with self._lock:
            rv = str(self._rv)
        md = {"name": "injected-%s" % kind, "namespace": "default", "resourceVersion": rv}
        if kind == "invalid-json":
            return b'{"type":"ADDED","object":{"kind":"%s","apiVersion":"v1","metadata":' \
                b'{"name":\n' \
                % res.kind.encode(), False
        if kind == "unknown-type":
            obj = res.canonical({"metadata": md}) if res.core else dict(
                {"apiVersion": res.api_version, "kind": res.kind}, metadata=md)
            return _event_bytes("RESYNC", go_json(obj)), False
        if kind == "wrong-kind":
            return _event_bytes("ADDED", go_json({"kind": "Service", "apiVersion": "v1",
                                                  "metadata": md, "spec": {"clusterIP": "10.96.0.1"}
                                                  })), False
        if kind == "missing-object":
            return b'{"type":"ADDED"}\n', False
        if kind == "not-object":
            return b'{"type":"MODIFIED","object":"x"}\n', False
        if kind == "bad-fields":
            return _event_bytes("ADDED", go_json({
                "kind": res.kind, "apiVersion": res.api_version,
                "metadata": {"name": 42, "namespace": "default", "labels": ["a", "b"],
                             "resourceVersion": rv},
                "spec": "nope", "status": {"phase": 7}})), False
        if kind == "empty-line":
            return b"\n", False
        if kind == "error-410":
            return _event_bytes("ERROR", go_json(status_obj(
                410, "Expired", "too old resource version: %s (%s)" % (rv, rv)))), True
        if kind == "error-500":
            return _event_bytes("ERROR", go_json(status_obj(
                500, "InternalError", "Internal error occurred: etcdserver: request timed out",
                {"causes": [{"message": "etcdserver: request timed out"}]}))), True
        return raw if isinstance(raw, bytes) else (raw or "").encode(), False
