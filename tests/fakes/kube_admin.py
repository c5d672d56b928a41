"""Admin endpoint of the fake kube-apiserver: plain HTTP on 127.0.0.1, so shell and C tests
can drive the fault hooks (see ADMIN)."""

import http.server
import json
import sys
import threading
import urllib.parse

from kube_objects import DEBUG, ApiError

# ---- admin endpoint (plain HTTP) -----------------------------------------------------------------

ADMIN = """Admin endpoint (plain HTTP on 127.0.0.1:<admin_port>; JSON answers; parameters in the
query string; bodies are JSON):
  GET    /state                         info(): url, port, paths, token, resourceVersion, watches
  GET    /requests                      {"counts": {path: n}, "total": n}
  GET    /requests?path=P|prefix=P&verb=V  {"count": n}
  POST   /requests/reset
  GET    /watches                       {"active": n}
  POST   /drop-watches?mid_chunk=1&reset=1&resource=pods
  POST   /end-watches?resource=
  POST   /inject?kind=K&resource=       K: invalid-json unknown-type wrong-kind missing-object
                                        not-object bad-fields empty-line error-410 error-500
                                        raw (body = the raw line)
  POST   /compact
  POST   /stop  |  /start  |  /restart?reset=1&wipe=1&down=SECONDS (down>0: answers at once)
  POST   /delay?seconds=S&count=N&path=PREFIX
  POST   /fail?code=500&count=N&path=PREFIX&message=M
  POST   /clear-faults
  POST   /rotate-token?grace=S          {"token": new} (token files / SA dirs rewritten)
  POST   /serviceaccount-dir?namespace=N  {"dir": D, "env": {KUBERNETES_SERVICE_HOST/PORT}}
  POST   /pods/generate?count=N&namespaces=a,b&mix=1
  PUT    /objects                       body: object (apiVersion+kind pick the resource): apply
  POST   /objects/delete                body: {"resource":"pods"|"plural.group","namespace","name"}
  POST   /objects/labels                body: {"namespace","name","labels",["resource"]}
  POST   /objects/deleting              body: {"namespace","name"}  (deletionTimestamp set)
  POST   /resources                     body: {"group","version","plural","kind","namespaced"}
  POST   /sar-default?allowed=0|1       default SubjectAccessReview answer
  POST   /tokenreview-users             body: {token: {"username",...}}
  POST   /extension-auth-configmap      body: keyword arguments of set_extension_auth_configmap
"""


class _AdminHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if DEBUG:
            sys.stderr.write("fake-kube-admin: %s\n" % (fmt % args))

    def _answer(self, code, obj):
        b = json.dumps(obj).encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def _go(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            code, obj = _admin_route(self.server.fake, method, u.path, q, raw)
        except ApiError as e:
            code, obj = e.code, e.status
        except (KeyError, ValueError, TypeError) as e:
            code, obj = 400, {"error": "%s: %s" % (type(e).__name__, e)}
        self._answer(code, obj)

    def do_GET(self):
        self._go("GET")

    def do_POST(self):
        self._go("POST")

    def do_PUT(self):
        self._go("PUT")


class _AdminServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, fake):
        self.fake = fake
        super().__init__(addr, _AdminHandler)


def _flag(q, k):
    return q.get(k, "0") not in ("", "0", "false", "False")


def _admin_route(f, method, path, q, raw):
    body = json.loads(raw) if raw and path != "/inject" else None
    key = (method, path)
    if key == ("GET", "/state"):
        return 200, f.info()
    if key == ("GET", "/requests"):
        if any(k in q for k in ("path", "prefix", "verb", "method")):
            return 200, {"count": f.count(q.get("path"), q.get("prefix"), q.get("verb"),
                                          q.get("method"))}
        c = f.counts()
        return 200, {"counts": c, "total": sum(c.values())}
    if key == ("POST", "/requests/reset"):
        f.reset_counts()
        return 200, {}
    if key == ("GET", "/watches"):
        return 200, {"active": f.active_watches(q.get("resource"))}
    if key == ("POST", "/drop-watches"):
        return 200, {"dropped": f.drop_watches(_flag(q, "mid_chunk"), q.get("resource"),
                                               _flag(q, "reset"))}
    if key == ("POST", "/end-watches"):
        return 200, {"ended": f.end_watches(q.get("resource"))}
    if key == ("POST", "/inject"):
        return 200, {"reached": f.inject(q.get("kind", ""), q.get("resource"), raw)}
    if key == ("POST", "/compact"):
        f.compact()
        return 200, {"resourceVersion": f.resource_version}
    if key == ("POST", "/stop"):
        f.stop()
        return 200, {}
    if key == ("POST", "/start"):
        f.start()
        return 200, {}
    if key == ("POST", "/restart"):
        down = float(q.get("down", 0))
        args = dict(reset=_flag(q, "reset"), wipe=_flag(q, "wipe"), down=down)
        if down > 0:
            f.stop()
            threading.Thread(target=f.restart, kwargs=args, daemon=True).start()
        else:
            f.restart(**args)
        return 200, {}
    if key == ("POST", "/delay"):
        f.delay(float(q["seconds"]), int(q["count"]) if "count" in q else None, q.get("path"))
        return 200, {}
    if key == ("POST", "/fail"):
        f.fail_next(int(q.get("count", 1)), int(q.get("code", 500)), q.get("path"),
                    q.get("message"))
        return 200, {}
    if key == ("POST", "/clear-faults"):
        f.clear_faults()
        return 200, {}
    if key == ("POST", "/rotate-token"):
        return 200, {"token": f.rotate_token(float(q.get("grace", 0)))}
    if key == ("POST", "/serviceaccount-dir"):
        return 200, {"dir": f.write_serviceaccount_dir(q.get("dir"),
                                                       q.get("namespace", "kube-system")),
                     "env": f.incluster_env()}
    if key == ("POST", "/pods/generate"):
        ns = tuple((q.get("namespaces") or "default").split(","))
        out = f.generate_pods(int(q.get("count", 1)), ns, mix=q.get("mix", "1") != "0",
                              start=int(q["start"]) if "start" in q else None)
        return 200, {"created": len(out), "resourceVersion": f.resource_version}
    if key == ("PUT", "/objects"):
        return 200, f.apply(body)
    if key == ("POST", "/objects/delete"):
        return 200, f.delete(body.get("resource", "pods"), body.get("namespace"), body["name"])
    if key == ("POST", "/objects/labels"):
        return 200, f.set_labels(body.get("namespace"), body["name"], body["labels"],
                                 body.get("resource", "pods"))
    if key == ("POST", "/objects/deleting"):
        return 200, f.mark_deleting(body.get("namespace"), body["name"])
    if key == ("POST", "/resources"):
        r = f.add_resource(body["group"], body["version"], body["plural"], body["kind"],
                           body.get("namespaced", True))
        return 200, r.discovery()
    if key == ("POST", "/sar-default"):
        f.sar_default = _flag(q, "allowed")
        return 200, {}
    if key == ("POST", "/tokenreview-users"):
        f.tokenreview_users.update(body)
        return 200, {}
    if key == ("POST", "/extension-auth-configmap"):
        return 200, f.set_extension_auth_configmap(**(body or {}))
    if key == ("GET", "/"):
        return 200, {"help": ADMIN}
    return 404, {"error": "no admin route %s %s" % (method, path), "help": ADMIN}
