#!/usr/bin/env python3
"""Fake kube-apiserver for metrics-adapter's integration tests (Python 3 standard library plus the
openssl and kubectl commands).

    from kube_apiserver import FakeKubeApiserver, make_pod
    with FakeKubeApiserver() as k:               # HTTPS on 127.0.0.1:<ephemeral>, started
        k.generate_pods(10000)
        kc = k.write_kubeconfig()               # written with `kubectl config`
        ...run the adapter with --kubeconfig=kc...
        k.set_labels("default", "web-0", {"app": "db"})
        k.drop_watches(mid_chunk=True)
        assert k.count(prefix="/api/v1/pods") == 0

    # from tests/integration/NN-*.py:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

Run as a script it prints one JSON line (ports, file paths, token) and serves until SIGTERM; the
admin port (plain HTTP, see kube_admin.ADMIN or --help) exposes the fault hooks to shell and C
tests.

Files: kube_apiserver.py (FakeKubeApiserver: store, auth, fault hooks, script), kube_http.py (TLS
server, routing, errors, LIST), kube_watch.py (WATCH), kube_objects.py (Go-style JSON, Status,
selectors, Resource, make_pod), kube_pki.py (openssl PKI), kube_admin.py (admin endpoint);
self-test: test_kube_apiserver.py (run by tests/integration/30-fake-kube-apiserver.py).

What it mimics of the real kube-apiserver (v1.3x, watch cache enabled):
* One global resourceVersion counter (decimal strings); every create/update/delete bumps it.
* LIST: `limit` + `continue` pagination over a consistent snapshot at the first page's RV (the
  continue token is base64url(JSON {"v","rv","start"}) as in k8s.io/apiserver); a token older than
  the retained history -> 410 Expired carrying an inconsistent continue token (rv -1) in metadata;
  a page may come back short or empty with no continue when selectors filtered the rest;
  `remainingItemCount` only without selectors; `resourceVersion=0` ignores `limit` (watch cache);
  `resourceVersion=N` newer than the server waits up to 3 s then 504 "Too large resource version";
  `resourceVersionMatch=Exact` lists the past state. Core list items carry no kind/apiVersion;
  custom-resource objects are serialised with sorted keys and items carry both (unstructured).
  Bodies over 2048 bytes are sent with Transfer-Encoding: chunked, as Go's net/http does.
* WATCH (`watch=1|true`, or the legacy /watch/ path): chunked stream, one JSON event per chunk;
  no resourceVersion or "0" -> synthetic ADDED for the current state first; RV older than the
  history window -> 200 + one ERROR event (Status 410 Expired "too old resource version: N (F)")
  and end of stream; label/field selector transitions become ADDED/DELETED like the cacher does;
  BOOKMARKs (typed empty object + RV) when `allowWatchBookmarks`; `timeoutSeconds` ends the stream
  cleanly; `sendInitialEvents=true` ends the initial burst with the "k8s.io/initial-events-end"
  bookmark.
* Authentication: bearer tokens (rotatable with a grace period) or client certificates from the
  client CA; else 401 Status. Deviation: Python's ssl cannot request a certificate without
  verifying it, so a certificate from an unknown CA fails the TLS handshake here instead of
  getting the real server's 401.
* Errors are metav1.Status objects with the real reasons and messages.
* For issue 5: the kube-system/extension-apiserver-authentication ConfigMap
  (set_extension_auth_configmap), TokenReview and SubjectAccessReview with scriptable answers.
"""

import argparse
import collections
import copy
import json
import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeutil import serve_in_thread, stop_serving  # noqa: E402
from kube_admin import ADMIN, _AdminServer  # noqa: E402
from kube_http import HttpMixin, _TLSServer  # noqa: E402
from kube_objects import (CONTINUE_EXPIRED_MSG, POD_FIELDS, ApiError,  # noqa: E402,F401
                          Resource, _Event, _PLACEHOLDER, _Rec, bad_request, go_json,
                          make_custom_metric, make_pod,
                          parse_field_selector, parse_label_selector, rfc3339, status_obj)
from kube_pki import PKI  # noqa: E402
from kube_watch import WatchMixin  # noqa: E402

__all__ = ["FakeKubeApiserver", "Resource", "ApiError", "PKI", "make_pod", "make_custom_metric",
           "status_obj", "parse_label_selector", "parse_field_selector", "go_json", "ADMIN"]

_PKI_LOCK = threading.Lock()
_PKI_CACHE = {}
_PKI_FILES = ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "client-ca.crt",
              "client-ca.key", "client.crt", "client.key")


# ---- the fake ------------------------------------------------------------------------------------

class FakeKubeApiserver(HttpMixin, WatchMixin):
    """See the module docstring. Constructor arguments:
      start            bind and serve now (False: port reserved, serve after start()).
      port             fixed port (default: ephemeral).
      admin            also serve the plain-HTTP admin endpoint (admin_port).
      history          events retained for watch resumption / continue tokens (the window).
      bookmark_interval  seconds between BOOKMARKs on idle watches that asked for them.
      key_type         "rsa" (2048) or "ec" (P-256) for every generated key.
      default_namespaces  created at start (RVs 1..n).
      watch_queue      events buffered per watch before the server ends it (slow consumer).
      default_watch_timeout  watch length without timeoutSeconds (the real one: 30-60 min).
      too_large_rv_wait  how long a LIST with resourceVersion > current waits before 504.
      fresh_pki        generate new CAs/keys instead of reusing this process's cached set.
    Files (in self.dir): ca_path/ca_key_path (serving CA), cert_path/key_path (server, SAN
    IP:127.0.0.1 DNS:localhost DNS:kubernetes...), client_ca_path/client_ca_key_path,
    client_cert_path/client_key_path (CN system:serviceaccount:kube-system:metrics-adapter).
    """

    def __init__(self, start=True, port=None, admin=True, history=10000, bookmark_interval=5.0,
                 key_type="rsa", directory=None,
                 default_namespaces=("default", "kube-system", "kube-public", "kube-node-lease"),
                 watch_queue=100000, default_watch_timeout=1800.0, too_large_rv_wait=3.0,
                 fresh_pki=False):
        self._own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="fake-kube-")
        os.makedirs(self.dir, exist_ok=True)
        self.history = history
        self.bookmark_interval = bookmark_interval
        self.default_watch_timeout = default_watch_timeout
        self.too_large_rv_wait = too_large_rv_wait
        self.watch_queue = watch_queue
        self.body_chunk_size = 32768   # about the chunk size of large non-watch bodies
        self.watch_chunk_max = 0       # >0: split watch events into chunks of at most this size
        self.watch_coalesce = False    # True: send every queued event in one chunk

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._rv = 0
        self._log = collections.deque()
        self._floor = 0                # every event with rv > _floor is in _log
        self._snaps = collections.OrderedDict()
        self._watchers = set()
        self._resources = {}
        self._conns = set()
        self._faults_lock = threading.Lock()
        self._fail_rules = []
        self._delay_rules = []
        self._counts = collections.Counter()
        self.requests = collections.deque(maxlen=20000)
        self.tls_errors = collections.deque(maxlen=1000)
        self.forbidden = set()         # resource gr names ("pods", "custommetrics.metrics.falcon")

        # authentication
        self._tokens = {}              # token -> expiry (monotonic) or None
        self._token_users = {}
        self.token = None
        self.anonymous = False         # True: requests without credentials are system:anonymous
        self._token_files = set()
        self._sa_dirs = {}
        self._gen_next = 0
        # issue 5 hooks: TokenReview / SubjectAccessReview answers
        self.tokenreview_users = {}    # token -> user info {"username","uid","groups","extra"}
        self.tokenreview_hook = None   # callable(spec) -> status dict (overrides the table)
        self.tokenreview_audiences = ["https://kubernetes.default.svc.cluster.local"]
        self.tokenreviews = []         # specs received
        self.sar_hook = None           # callable(spec) -> bool | (allowed, reason) | status dict
        self.sar_default = True
        self.subjectaccessreviews = []  # specs received

        self._server = None
        self._thread = None
        self._admin = None
        self._port_sock = None

        # PKI: generated once per process and key type (RSA keygen is slow), copied per instance
        self.pki = PKI(self.dir, key_type)
        with _PKI_LOCK:
            cached = None if fresh_pki else _PKI_CACHE.get(key_type)
            if cached is None:
                self.pki.ca("ca", "fake-kubernetes-ca")
                self.pki.leaf("apiserver", "ca", "kube-apiserver", server=True,
                              ips=("127.0.0.1",),
                              dns=("localhost", "kubernetes", "kubernetes.default",
                                   "kubernetes.default.svc",
                                   "kubernetes.default.svc.cluster.local"))
                self.pki.ca("client-ca", "fake-client-ca")
                self.pki.leaf("client", "client-ca",
                              "system:serviceaccount:kube-system:metrics-adapter",
                              orgs=("system:serviceaccounts", "system:serviceaccounts:kube-system"),
                              client=True)
                cached = {}
                for n in _PKI_FILES:
                    with open(os.path.join(self.dir, n), "rb") as f:
                        cached[n] = f.read()
                if not fresh_pki:
                    _PKI_CACHE[key_type] = cached
            else:
                for n, data in cached.items():
                    fd = os.open(os.path.join(self.dir, n), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                 0o600)
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
        self.ca_path, self.ca_key_path = self.pki.path("ca", "crt"), self.pki.path("ca", "key")
        self.cert_path, self.key_path = (self.pki.path("apiserver", "crt"),
                                         self.pki.path("apiserver", "key"))
        self.client_ca_path, self.client_ca_key_path = (self.pki.path("client-ca", "crt"),
                                                        self.pki.path("client-ca", "key"))
        self.client_cert_path, self.client_key_path = (self.pki.path("client", "crt"),
                                                       self.pki.path("client", "key"))
        self._ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self._ssl_ctx.load_cert_chain(self.cert_path, self.key_path)
        self._ssl_ctx.load_verify_locations(self.client_ca_path)
        self._ssl_ctx.verify_mode = ssl.CERT_OPTIONAL
        self._ssl_ctx.set_alpn_protocols(["http/1.1"])
        self.add_token(secrets.token_urlsafe(32))

        # resources
        self.pods = self.add_resource("", "v1", "pods", "Pod", short_names=["po"],
                                      fields=POD_FIELDS)
        self.namespaces = self.add_resource("", "v1", "namespaces", "Namespace", namespaced=False,
                                            short_names=["ns"],
                                            fields=("metadata.name", "status.phase"))
        self.configmaps = self.add_resource("", "v1", "configmaps", "ConfigMap",
                                            short_names=["cm"])
        self.add_resource("authentication.k8s.io", "v1", "tokenreviews", "TokenReview",
                          namespaced=False, verbs=["create"], hook=self._tokenreview)
        self.add_resource("authorization.k8s.io", "v1", "subjectaccessreviews",
                          "SubjectAccessReview", namespaced=False, verbs=["create"],
                          hook=self._subjectaccessreview)
        for ns in default_namespaces:
            self.ensure_namespace(ns)

        if port is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        self.port = port
        self.admin_port = None
        if admin:
            self._admin = _AdminServer(("127.0.0.1", 0), self)
            self.admin_port = self._admin.server_address[1]
            threading.Thread(target=self._admin.serve_forever, kwargs={"poll_interval": 0.1},
                             name="fake-kube-admin", daemon=True).start()
        if start:
            self.start()

    # ---- lifecycle ----

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    @property
    def running(self):
        return self._server is not None

    def start(self):
        """Bind self.port and serve (retries briefly if the port is still held)."""
        if self._server is not None:
            return
        self._server, self._thread = serve_in_thread(
            lambda: _TLSServer(("127.0.0.1", self.port), self), "fake-kube-https")

    def stop(self):
        """Close the listener and every connection (watches end without the final chunk)."""
        srv, self._server = self._server, None
        stop_serving(srv, self._thread)
        self.drop_watches()
        self._kill_connections()

    def restart(self, reset=False, wipe=False, down=0.0):
        """stop(), wait `down` seconds, start() on the same port. reset: forget the event history
        (like a new watch cache: resuming a watch or a continue token from before gets 410).
        wipe: also forget every object (no events), keeping the default namespaces."""
        self.stop()
        if reset or wipe:
            with self._lock:
                if wipe:
                    for res in self._resources.values():
                        res.objects.clear()
                        res._sorted = None
                self._floor = self._rv
                self._log.clear()
                self._snaps.clear()
            if wipe:
                for ns in ("default", "kube-system"):
                    self.ensure_namespace(ns)
                with self._lock:
                    self._floor = self._rv
                    self._log.clear()
        if down > 0:
            time.sleep(down)
        self.start()

    def close(self):
        self.stop()
        if self._admin is not None:
            self._admin.shutdown()
            self._admin.server_close()
            self._admin = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def info(self):
        """What a test needs to talk to the fake (also GET /state on the admin port)."""
        return {"url": self.url, "port": self.port, "admin_port": self.admin_port,
                "running": self.running, "dir": self.dir, "ca": self.ca_path,
                "cert": self.cert_path, "key": self.key_path, "client_ca": self.client_ca_path,
                "client_ca_key": self.client_ca_key_path, "client_cert": self.client_cert_path,
                "client_key": self.client_key_path, "token": self.token,
                "resourceVersion": self.resource_version, "watches": self.active_watches()}

    def _conn_add(self, c):
        with self._lock:
            self._conns.add(c)

    def _conn_del(self, c):
        with self._lock:
            self._conns.discard(c)

    def _kill_connections(self):
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)   # bypass SSLSocket: no close_notify
            except OSError:
                pass

    # ---- authentication ----

    def add_token(self, token, user="system:serviceaccount:kube-system:metrics-adapter",
                  groups=("system:serviceaccounts", "system:serviceaccounts:kube-system")):
        """Accept `token`; the first one added becomes self.token."""
        with self._lock:
            self._tokens[token] = None
            self._token_users[token] = (user, list(groups))
            if self.token is None:
                self.token = token
        return token

    def revoke_token(self, token):
        with self._lock:
            self._tokens.pop(token, None)

    def rotate_token(self, grace=0.0, new=None):
        """New current token (returned); the old one stops working after `grace` seconds. Token
        files written by write_token_file / write_serviceaccount_dir get the new token."""
        new = new or secrets.token_urlsafe(32)
        with self._lock:
            old = self.token
            user = self._token_users.get(old, ("system:serviceaccount:kube-system:metrics-adapter",
                                               []))
            self._tokens[new] = None
            self._token_users[new] = user
            if old is not None and old != new:
                if grace > 0:
                    self._tokens[old] = time.monotonic() + grace
                else:
                    self._tokens.pop(old, None)
            self.token = new
            files = list(self._token_files)
            sa_dirs = list(self._sa_dirs.items())
        for path in files:
            self.write_token_file(path)
        for d, ns in sa_dirs:
            self.write_serviceaccount_dir(d, ns)
        return new

    def token_valid(self, token):
        with self._lock:
            if token not in self._tokens:
                return False
            exp = self._tokens[token]
            if exp is not None and time.monotonic() >= exp:
                del self._tokens[token]
                return False
            return True

    def issue_client_cert(self, cn, groups=(), rogue=False, name=None):
        """(cert, key) for user CN with groups O, signed by the client CA (rogue: by a CA the
        server does not trust)."""
        name = name or "client-" + secrets.token_hex(4)
        ca = "client-ca"
        if rogue:
            if not os.path.exists(self.pki.path("rogue-ca", "crt")):
                self.pki.ca("rogue-ca", "rogue-ca")
            ca = "rogue-ca"
        return self.pki.leaf(name, ca, cn, orgs=groups, client=True)

    def _authenticate(self, h):
        """User name, or None (401). Order of kube-apiserver's union authenticator: x509 client
        certificate first (a verified one always wins), then the bearer token; no credentials
        at all -> "system:anonymous" when self.anonymous (RBAC then answers 403)."""
        try:
            cert = h.connection.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        auth = h.headers.get("Authorization")
        if auth is not None:
            if auth[:7].lower() == "bearer ":
                tok = auth[7:].strip()
                if tok and self.token_valid(tok):
                    return self._token_users.get(tok, ("?", []))[0]
            return None
        return "system:anonymous" if self.anonymous else None

    def write_kubeconfig(self, path=None, auth="token", server=None, embed=False, token=None,
                         namespace="default", name="fake", insecure=False, ca=None):
        """Write a kubeconfig with `kubectl config` (set-cluster, set-credentials, set-context,
        use-context). auth: "token" (--token), "tokenfile" (users.<n>.tokenFile -> a file holding
        the current token, rewritten by rotate_token callers via write_token_file), "cert"
        (client certificate + key). embed: --embed-certs=true. Returns the path."""
        path = path or os.path.join(self.dir, "kubeconfig-%s" % auth)
        kc = ["kubectl", "config", "--kubeconfig=" + path]
        cluster = ["set-cluster", name, "--server=" + (server or self.url)]
        if insecure:
            cluster.append("--insecure-skip-tls-verify=true")
        else:
            cluster.append("--certificate-authority=" + (ca or self.ca_path))
            if embed:
                cluster.append("--embed-certs=true")
        cmds = [cluster]
        if auth == "token":
            cmds.append(["set-credentials", name, "--token=" + (token or self.token)])
        elif auth == "cert":
            c = ["set-credentials", name, "--client-certificate=" + self.client_cert_path,
                 "--client-key=" + self.client_key_path]
            if embed:
                c.append("--embed-certs=true")
            cmds.append(c)
        elif auth == "tokenfile":
            tf = self.write_token_file(token=token)
            cmds.append(["set", "users.%s.tokenFile" % name, tf])
        else:
            raise ValueError("auth must be token, tokenfile or cert")
        cmds.append(["set-context", name, "--cluster=" + name, "--user=" + name,
                     "--namespace=" + namespace])
        cmds.append(["use-context", name])
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        for c in cmds:
            p = subprocess.run(kc + c, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
            if p.returncode != 0:
                raise RuntimeError("%s: %s" % (" ".join(kc + c), p.stderr.decode(errors="replace")))
        return path

    def write_token_file(self, path=None, token=None):
        """Write the current token to `path` (default <dir>/token) by rename; rotate_token
        rewrites it (unless `token` was given). Returns the path."""
        path = path or os.path.join(self.dir, "token")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(token or self.token)
        os.replace(tmp, path)
        if token is None:
            with self._lock:
                self._token_files.add(path)
        return path

    def write_serviceaccount_dir(self, path=None, namespace="kube-system"):
        """A service-account directory as the kubelet projects it (token, ca.crt, namespace),
        with its atomic-writer layout: each file is a symlink to ..data/<file>, ..data a symlink
        to a timestamped directory swapped by rename on update. rotate_token rewrites it.
        Returns the directory (default <dir>/serviceaccount)."""
        path = path or os.path.join(self.dir, "serviceaccount")
        os.makedirs(path, exist_ok=True)
        ts = "..%s.%s" % (time.strftime("%Y_%m_%d_%H_%M_%S"), secrets.token_hex(4))
        os.mkdir(os.path.join(path, ts))
        with open(self.ca_path) as f:
            ca = f.read()
        for name, data in (("token", self.token), ("ca.crt", ca), ("namespace", namespace)):
            with open(os.path.join(path, ts, name), "w") as f:
                f.write(data)
        data_link = os.path.join(path, "..data")
        old = os.readlink(data_link) if os.path.islink(data_link) else None
        os.symlink(ts, data_link + "_tmp")
        os.replace(data_link + "_tmp", data_link)
        for name in ("token", "ca.crt", "namespace"):
            if not os.path.islink(os.path.join(path, name)):
                os.symlink(os.path.join("..data", name), os.path.join(path, name))
        if old:
            shutil.rmtree(os.path.join(path, old), ignore_errors=True)
        with self._lock:
            self._sa_dirs[path] = namespace
        return path

    def incluster_env(self):
        """KUBERNETES_SERVICE_HOST/PORT for an in-cluster configuration pointing at the fake."""
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port)}

    # ---- resources and objects ----

    def add_resource(self, group, version, plural, kind, namespaced=True, **kw):
        """Serve group/version/plural (e.g. "metrics.falcon", "v1alpha1", "custommetrics",
        "CustomMetric"); returns the Resource (idempotent)."""
        with self._lock:
            k = (group, version, plural)
            if k not in self._resources:
                self._resources[k] = Resource(group, version, plural, kind, namespaced, **kw)
            return self._resources[k]

    def resource(self, spec):
        """Resource from a Resource, "pods", "plural.group", "plural.group/version" or a tuple
        (group, version, plural)."""
        if isinstance(spec, Resource):
            return spec
        with self._lock:
            if isinstance(spec, tuple):
                return self._resources[spec]
            plural, _, rest = spec.partition(".")
            group, _, version = rest.partition("/")
            found = [r for r in self._resources.values() if r.plural == plural and r.group == group
                     and (not version or r.version == version)]
        if len(found) != 1:
            raise KeyError("resource %r: %d matches" % (spec, len(found)))
        return found[0]

    def _resource_for(self, obj):
        av, kind = obj.get("apiVersion", "v1"), obj.get("kind")
        with self._lock:
            for r in self._resources.values():
                if r.api_version == av and r.kind == kind and r.hook is None:
                    return r
        raise KeyError("no resource serves apiVersion %r kind %r (add_resource first)" % (av, kind))

    @property
    def resource_version(self):
        return str(self._rv)

    def _commit(self, res, key, etype, obj, full=None):
        """Store obj (None for DELETED) at a new RV, log and fan out the event. Lock held.
        full: obj's serialisation, already carrying the new RV (generate_pods' fast path)."""
        self._rv += 1
        rv = self._rv
        prev = res.objects.get(key)
        if etype == "DELETED":
            obj = dict(prev.obj)
            obj["metadata"] = dict(obj["metadata"], resourceVersion=str(rv))
            rec = _Rec(res, obj, rv)
            del res.objects[key]
            res._sorted = None
        else:
            if obj is None:
                rec = _Rec(res, None, rv, full)   # full already carries rv
            else:
                obj["metadata"]["resourceVersion"] = str(rv)
                rec = _Rec(res, obj, rv, full)
            if prev is None:
                res._sorted = None
            res.objects[key] = rec
        ev = _Event(rv, res, key, etype, rec, prev)
        self._log.append(ev)
        while len(self._log) > self.history:
            self._floor = self._log.popleft().rv
        for w in self._watchers:
            if w.res is res:
                w.offer(ev)
        self._cond.notify_all()
        return rec

    def _prepare(self, res, obj, namespace=None):
        obj = json.loads(json.dumps(obj))
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict) or not md.get("name"):
            if isinstance(md, dict) and md.get("generateName"):
                md["name"] = md["generateName"] + "".join(
                    random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
            else:
                raise ApiError(422, "Invalid", "%s \"\" is invalid: metadata.name: Required value: "
                               "name or generateName is required" % res.kind)
        if res.namespaced:
            ns = md.get("namespace") or namespace or "default"
            if namespace and md.get("namespace") and md["namespace"] != namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        return res.canonical(obj)

    def _not_found(self, res, name):
        d = {"name": name, "kind": res.plural}
        if not res.core:
            d = {"name": name, "group": res.group, "kind": res.plural}
        return ApiError(404, "NotFound", '%s "%s" not found' % (res.gr, name), d)

    def create(self, obj, resource=None, namespace=None):
        """Create (ADDED); returns the stored object. Raises ApiError 409 AlreadyExists. Creating
        in a missing namespace creates the namespace (Python API only)."""
        res = self.resource(resource) if resource else self._resource_for(obj)
        obj = self._prepare(res, obj, namespace)
        md = obj["metadata"]
        with self._lock:
            if res.namespaced and res is not self.namespaces:
                self.ensure_namespace(md["namespace"])
            key = res.key(md.get("namespace"), md["name"])
            if key in res.objects:
                raise ApiError(409, "AlreadyExists",
                               '%s "%s" already exists' % (res.gr, md["name"]),
                               {"name": md["name"], "kind": res.plural} if res.core else
                               {"name": md["name"], "group": res.group, "kind": res.plural})
            md.setdefault("uid", str(uuid.uuid4()))
            md.setdefault("creationTimestamp", rfc3339())
            if not res.core:
                md["generation"] = 1
            rec = self._commit(res, key, "ADDED", res.canonical(obj))
            return copy.deepcopy(rec.obj)

    def update(self, obj, resource=None, namespace=None, check_rv=False):
        """Replace (MODIFIED); uid/creationTimestamp kept. check_rv: a metadata.resourceVersion
        that is not the stored one -> 409 Conflict (as HTTP PUT does)."""
        res = self.resource(resource) if resource else self._resource_for(obj)
        obj = self._prepare(res, obj, namespace)
        md = obj["metadata"]
        with self._lock:
            key = res.key(md.get("namespace"), md["name"])
            cur = res.objects.get(key)
            if cur is None:
                raise self._not_found(res, md["name"])
            if check_rv and md.get("resourceVersion") and md["resourceVersion"] != str(cur.rv):
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the '
                               'object has been modified; please apply your changes to the latest '
                               'version and try again' % (res.gr, md["name"]),
                               {"name": md["name"], "kind": res.plural})
            cmd = cur.obj["metadata"]
            md["uid"] = cmd.get("uid")
            md["creationTimestamp"] = cmd.get("creationTimestamp")
            if not res.core:
                gen = cmd.get("generation", 1)
                md["generation"] = gen + 1 if obj.get("spec") != cur.obj.get("spec") else gen
            rec = self._commit(res, key, "MODIFIED", res.canonical(obj))
            return copy.deepcopy(rec.obj)

    def apply(self, obj, resource=None):
        """create or update."""
        res = self.resource(resource) if resource else self._resource_for(obj)
        md = obj.get("metadata", {})
        with self._lock:
            if res.key(md.get("namespace") or "default", md.get("name")) in res.objects:
                return self.update(obj, res)
            return self.create(obj, res)

    def get(self, resource, namespace, name):
        """A copy of the stored object, or None."""
        res = self.resource(resource)
        with self._lock:
            rec = res.objects.get(res.key(namespace, name))
            return copy.deepcopy(rec.obj) if rec else None

    def list(self, resource, namespace=None):
        res = self.resource(resource)
        with self._lock:
            return [copy.deepcopy(res.objects[k].obj) for k in res.sorted_keys()
                    if namespace is None
                    or res.objects[k].obj["metadata"].get("namespace") == namespace]

    def patch(self, resource, namespace, name, fn):
        """fn(obj) mutates a copy of the stored object (or returns a new one): MODIFIED."""
        with self._lock:
            obj = self.get(resource, namespace, name)
            if obj is None:
                raise self._not_found(self.resource(resource), name)
            out = fn(obj)
            return self.update(out if out is not None else obj, resource)

    def set_labels(self, namespace, name, labels, resource="pods"):
        def f(o):
            o["metadata"]["labels"] = dict(labels)
        return self.patch(resource, namespace, name, f)

    def delete(self, resource, namespace, name):
        """Delete (DELETED event carrying the last state at a new RV); returns it."""
        res = self.resource(resource)
        with self._lock:
            key = res.key(namespace, name)
            if key not in res.objects:
                raise self._not_found(res, name)
            return copy.deepcopy(self._commit(res, key, "DELETED", None).obj)

    def mark_deleting(self, namespace, name, grace=30, resource="pods"):
        """Graceful deletion's first step: deletionTimestamp + deletionGracePeriodSeconds set
        (MODIFIED); the object stays until delete()."""
        def f(o):
            o["metadata"]["deletionTimestamp"] = rfc3339(time.time() + grace)
            o["metadata"]["deletionGracePeriodSeconds"] = grace
        return self.patch(resource, namespace, name, f)

    def ensure_namespace(self, name):
        with self._lock:
            if name in self.namespaces.objects:
                return
            self._commit(self.namespaces, name, "ADDED", self.namespaces.canonical({
                "metadata": {"name": name, "uid": str(uuid.uuid4()),
                             "creationTimestamp": rfc3339(),
                             "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}))

    def add_pod(self, namespace, name, **kw):
        """create(make_pod(namespace, name, **kw))."""
        return self.create(make_pod(namespace, name, **kw), self.pods)

    def generate_pods(self, n, namespaces=("default",), apps=10, nodes=20, mix=True, start=None,
                      managed_fields=True):
        """Create n realistic pods (make_pod shapes) spread over namespaces (round robin), `apps`
        deployments per namespace (labels app=app-<k>, pod-template-hash, tier=backend|frontend)
        and `nodes` nodes (node-<k>). mix: every 10th pod has spec.hostname/subdomain, every 50th
        is Pending unscheduled, every 97th Succeeded, every 89th Failed, every 37th not Ready,
        every 61st uses hostNetwork. Names app-<k>-<hash>-<index, 5 digits>; pod i has IP
        10.<244+(i>>16)%10>.<(i>>8)&255>.<i&255>. Indexes continue across calls unless `start`
        is given; an existing name raises ApiError 409 (pods before it stay created). One ADDED
        event per pod. Returns [(namespace, name)]. Fast path: one serialised template per pod
        shape, filled in."""
        out = []
        base = time.time() - 86400
        templates = {}
        per_app = {}
        with self._lock:
            for ns in namespaces:
                self.ensure_namespace(ns)
            if start is None:
                start = self._gen_next
            self._gen_next = max(self._gen_next, start + n)
            for i in range(start, start + n):
                ns = namespaces[i % len(namespaces)]
                app = "app-%d" % ((i // len(namespaces)) % apps)
                if (ns, app) not in per_app:
                    h = "%09x" % (uuid.uuid5(uuid.NAMESPACE_DNS, ns + "/" + app).int & 0xfffffffff)
                    per_app[(ns, app)] = (h, str(uuid.uuid5(uuid.NAMESPACE_DNS, ns + app + h)))
                h, owner_uid = per_app[(ns, app)]
                name = "%s-%s-%05d" % (app, h, i)
                node = "node-%d" % (i % nodes)
                shape = {"phase": "Running", "ready": None, "hostname": None, "subdomain": None,
                         "host_network": False, "node": "@@NODE@@"}
                if mix:
                    if i % 10 == 3:
                        shape["hostname"], shape["subdomain"] = "@@HOSTNAME@@", "@@SUBDOMAIN@@"
                    if i % 50 == 7:
                        shape["phase"], shape["node"] = "Pending", None
                    elif i % 97 == 11:
                        shape["phase"] = "Succeeded"
                    elif i % 89 == 13:
                        shape["phase"] = "Failed"
                    elif i % 37 == 5:
                        shape["ready"] = False
                    if i % 61 == 17 and shape["node"]:
                        shape["host_network"] = True
                sk = tuple(sorted(shape.items(), key=lambda kv: kv[0]))
                t = templates.get(sk)
                if t is None:
                    obj = make_pod("@@NS@@", "@@NAME@@", labels={
                        "app": "@@APP@@", "pod-template-hash": "@@HASH@@", "tier": "@@TIER@@"},
                        ip=None if shape["host_network"] else "@@IP@@", created="@@CREATED@@",
                        owner="@@OWNER@@", owner_uid="@@OWNERUID@@", host_ip="@@HOSTIP@@",
                        container_id="@@CID@@", managed_fields=managed_fields, **shape)
                    obj["spec"]["volumes"][0]["name"] = "@@SAVOL@@"
                    obj["spec"]["containers"][0]["volumeMounts"][0]["name"] = "@@SAVOL@@"
                    obj["metadata"]["generateName"] = "@@OWNER@@-"
                    obj["metadata"]["uid"] = "@@UID@@"
                    obj["metadata"]["resourceVersion"] = "@@RV@@"
                    t = templates[sk] = self.pods.encode(self.pods.canonical(obj))[0].decode()
                vals = {"NS": ns, "NAME": name, "UID": str(uuid.uuid4()), "RV": str(self._rv + 1),
                        "CREATED": rfc3339(base + i), "APP": app, "HASH": h,
                        "TIER": "backend" if i % 3 else "frontend", "NODE": node,
                        "IP": "10.%d.%d.%d" % (244 + (i >> 16) % 10, (i >> 8) & 255, i & 255),
                        "HOSTIP": "192.168.%d.%d" % ((i % nodes) // 250, (i % nodes) % 250 + 1),
                        "HOSTNAME": "%s-%d" % (app, i), "SUBDOMAIN": app, "OWNER": app + "-" + h,
                        "OWNERUID": owner_uid, "SAVOL": "kube-api-access-%05d" % (i % 100000),
                        "CID": "%064x" % (i * 2654435761 + 1)}
                if self.pods.key(ns, name) in self.pods.objects:
                    raise ApiError(409, "AlreadyExists", 'pods "%s" already exists' % name,
                                   {"name": name, "kind": "pods"})
                full = _PLACEHOLDER.sub(lambda m: vals[m.group(1)], t).encode()
                self._commit(self.pods, self.pods.key(ns, name), "ADDED", None, full)
                out.append((ns, name))
        return out

    def delete_all(self, resource, namespace=None):
        res = self.resource(resource)
        with self._lock:
            keys = [k for k in res.sorted_keys()
                    if namespace is None
                    or res.objects[k].obj["metadata"].get("namespace") == namespace]
            for k in keys:
                self._commit(res, k, "DELETED", None)
        return len(keys)

    # ---- fault hooks ----

    def _each_watcher(self, resource=None):
        res = self.resource(resource) if resource else None
        with self._lock:
            return [w for w in self._watchers if res is None or w.res is res]

    def active_watches(self, resource=None):
        return len(self._each_watcher(resource))

    def wait_watches(self, n, timeout=5.0, resource=None):
        """Wait until at least n watches are open; returns the count."""
        deadline = time.monotonic() + timeout
        while True:
            c = self.active_watches(resource)
            if c >= n or time.monotonic() >= deadline:
                return c
            time.sleep(0.01)

    def drop_watches(self, mid_chunk=False, resource=None, reset=False):
        """Close every open watch abruptly: no terminating chunk, no TLS close_notify. mid_chunk:
        first send the head and a few bytes of a chunk. reset: TCP RST (SO_LINGER 0). Returns
        the number of watches dropped."""
        ws = self._each_watcher(resource)
        for w in ws:
            w.offer(("drop", mid_chunk, reset))
        return len(ws)

    def end_watches(self, resource=None):
        """End every open watch cleanly (terminating chunk), as the server does on timeout."""
        ws = self._each_watcher(resource)
        for w in ws:
            w.offer(("end",))
        return len(ws)

    INJECT_KINDS = ("invalid-json", "unknown-type", "wrong-kind", "missing-object", "not-object",
                    "bad-fields", "empty-line", "error-410", "error-500", "raw")

    def inject(self, kind, resource=None, raw=None):
        """Send a malformed or unexpected event to every open watch (store unchanged):
        invalid-json (truncated JSON line), unknown-type ({"type":"RESYNC"} + valid object),
        wrong-kind (a Service object), missing-object, not-object ("object":"x"), bad-fields
        (metadata.name a number, labels a list), empty-line, error-410 / error-500 (ERROR event
        with a Status, then the stream ends, as the server does), raw (the bytes `raw` as one
        chunk). Returns the number of watches reached."""
        if kind not in self.INJECT_KINDS:
            raise ValueError("inject kind %r not in %s" % (kind, self.INJECT_KINDS))
        ws = self._each_watcher(resource)
        for w in ws:
            w.offer(("inject", kind, raw))
        return len(ws)

    def compact(self):
        """Forget the event history up to now (etcd compaction + watch cache reset): watches
        resuming from an older RV and continue tokens from before get 410 Expired."""
        with self._lock:
            self._floor = self._rv
            self._log.clear()
            self._snaps.clear()

    def delay(self, seconds, count=None, path=None):
        """Delay the next `count` requests (None: all, until clear_faults) whose path starts with
        `path` by `seconds` before answering."""
        with self._faults_lock:
            self._delay_rules.append([seconds, count, path])

    def fail_next(self, n=1, code=500, path=None, message=None):
        """Answer the next n requests (path prefix `path`) with a Status error: 500 InternalError,
        503 ServiceUnavailable, 429 TooManyRequests (Retry-After 1), 504 Timeout, 403, ..."""
        with self._faults_lock:
            self._fail_rules.append([n, code, path, message])

    def clear_faults(self):
        with self._faults_lock:
            self._fail_rules.clear()
            self._delay_rules.clear()

    def _take_faults(self, path):
        delay, fail = 0.0, None
        with self._faults_lock:
            for r in self._delay_rules:
                if (r[2] is None or path.startswith(r[2])) and (r[1] is None or r[1] > 0):
                    delay = r[0]
                    if r[1] is not None:
                        r[1] -= 1
                    break
            self._delay_rules = [r for r in self._delay_rules if r[1] is None or r[1] > 0]
            for r in self._fail_rules:
                if (r[2] is None or path.startswith(r[2])) and r[0] > 0:
                    r[0] -= 1
                    fail = (r[1], r[3])
                    break
            self._fail_rules = [r for r in self._fail_rules if r[0] > 0]
        return delay, fail

    # ---- request accounting ----

    def counts(self):
        """{path: requests} since the last reset_counts (query strings left out)."""
        with self._lock:
            return dict(self._counts)

    def count(self, path=None, prefix=None, verb=None, method=None):
        """Requests since reset_counts matching every given criterion; verb is the Kubernetes one
        (get, list, watch, create, update, delete, discovery)."""
        with self._lock:
            reqs = list(self.requests)
        return sum(1 for r in reqs if (path is None or r["path"] == path)
                   and (prefix is None or r["path"].startswith(prefix))
                   and (verb is None or r["verb"] == verb)
                   and (method is None or r["method"] == method))

    def reset_counts(self):
        with self._lock:
            self._counts.clear()
            self.requests.clear()

    # ---- issue 5: authentication ConfigMap, TokenReview, SubjectAccessReview ----

    def set_extension_auth_configmap(self, client_ca=True, requestheader=True,
                                     allowed_names=("front-proxy-client",),
                                     username_headers=("X-Remote-User",),
                                     uid_headers=None, group_headers=("X-Remote-Group",),
                                     extra_prefixes=("X-Remote-Extra-",)):
        """Create/update kube-system/extension-apiserver-authentication as the
        cluster-authentication-trust controller writes it (spec §5.4). client_ca: True (this
        fake's client CA), a PEM string, or None (key left out). requestheader: True (generate a
        front-proxy CA and the front-proxy-client certificate: front_proxy_ca_path,
        front_proxy_client_cert_path/_key_path), a PEM string, or None (no requestheader-* keys).
        uid_headers None: key absent. Returns the stored ConfigMap."""
        data = {}
        if client_ca is True:
            with open(self.client_ca_path) as f:
                data["client-ca-file"] = f.read()
        elif client_ca:
            data["client-ca-file"] = client_ca
        if requestheader is True:
            if not os.path.exists(self.pki.path("front-proxy-ca", "crt")):
                self.pki.ca("front-proxy-ca", "front-proxy-ca")
                self.pki.leaf("front-proxy-client", "front-proxy-ca", "front-proxy-client",
                              client=True)
            self.front_proxy_ca_path = self.pki.path("front-proxy-ca", "crt")
            self.front_proxy_ca_key_path = self.pki.path("front-proxy-ca", "key")
            self.front_proxy_client_cert_path = self.pki.path("front-proxy-client", "crt")
            self.front_proxy_client_key_path = self.pki.path("front-proxy-client", "key")
            with open(self.front_proxy_ca_path) as f:
                requestheader = f.read()
        if requestheader:
            data["requestheader-allowed-names"] = json.dumps(list(allowed_names),
                                                             separators=(",", ":"))
            data["requestheader-client-ca-file"] = requestheader
            data["requestheader-extra-headers-prefix"] = json.dumps(list(extra_prefixes),
                                                                    separators=(",", ":"))
            data["requestheader-group-headers"] = json.dumps(list(group_headers),
                                                             separators=(",", ":"))
            if uid_headers is not None:
                data["requestheader-uid-headers"] = json.dumps(list(uid_headers),
                                                               separators=(",", ":"))
            data["requestheader-username-headers"] = json.dumps(list(username_headers),
                                                                separators=(",", ":"))
        return self.apply({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "extension-apiserver-authentication",
                                        "namespace": "kube-system"}, "data": data})

    def _tokenreview(self, user, body):
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            raise ApiError(422, "Invalid", "TokenReview.authentication.k8s.io \"\" is invalid: "
                           "spec.token: Required value")
        self.tokenreviews.append(spec)
        if self.tokenreview_hook is not None:
            st = self.tokenreview_hook(spec)
        else:
            u = self.tokenreview_users.get(spec.get("token", ""))
            if u:
                u = dict(u)
                g = list(u.get("groups", []))
                if "system:authenticated" not in g:
                    g.append("system:authenticated")
                u["groups"] = g
                st = {"authenticated": True, "user": u,
                      "audiences": spec.get("audiences") or self.tokenreview_audiences}
            else:
                st = {"user": {}, "error": "[invalid bearer token, service account token has "
                                           "been invalidated]"}
        return 201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                     "metadata": {"creationTimestamp": None}, "spec": spec, "status": st}

    def _subjectaccessreview(self, user, body):
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            raise ApiError(422, "Invalid", "SubjectAccessReview.authorization.k8s.io \"\" is "
                           "invalid: spec: Required value")
        self.subjectaccessreviews.append(spec)
        ans = self.sar_hook(spec) if self.sar_hook is not None else self.sar_default
        if isinstance(ans, dict):
            st = ans
        else:
            allowed, reason = (ans if isinstance(ans, tuple) else (bool(ans), None))
            st = {"allowed": bool(allowed)}
            if reason:
                st["reason"] = reason
            elif allowed:
                st["reason"] = "RBAC: allowed by ClusterRoleBinding \"fake\" of ClusterRole " \
                               "\"fake\" to User \"%s\"" % spec.get("user", "")
        return 201, {"kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                     "metadata": {"creationTimestamp": None}, "spec": spec, "status": st}


# ---- script --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake kube-apiserver for metrics-adapter tests. "
                                 "Prints one JSON line (see FakeKubeApiserver.info) then serves "
                                 "until SIGTERM/SIGINT.\n\n" + ADMIN,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int)
    ap.add_argument("--pods", type=int, default=0, help="generate this many pods")
    ap.add_argument("--namespaces", default="default", help="comma list for --pods")
    ap.add_argument("--history", type=int, default=10000)
    ap.add_argument("--bookmark-interval", type=float, default=5.0)
    ap.add_argument("--key-type", choices=("rsa", "ec"), default="rsa")
    ap.add_argument("--custom-resource", action="append", default=[],
                    metavar="GROUP/VERSION/PLURAL/KIND[/cluster]")
    ap.add_argument("--kubeconfig", help="also write a kubeconfig here (kubectl config)")
    ap.add_argument("--auth", choices=("token", "tokenfile", "cert"), default="token")
    ap.add_argument("--dir", help="keep certificates here (default: a temp dir removed at exit)")
    ap.add_argument("--down", action="store_true", help="do not serve until POST /start")
    a = ap.parse_args(argv)
    f = FakeKubeApiserver(start=not a.down, port=a.port, history=a.history,
                          bookmark_interval=a.bookmark_interval, key_type=a.key_type,
                          directory=a.dir)
    try:
        for spec in a.custom_resource:
            p = spec.split("/")
            f.add_resource(p[0], p[1], p[2], p[3],
                           namespaced=not (len(p) > 4 and p[4] == "cluster"))
        if a.pods:
            f.generate_pods(a.pods, tuple(a.namespaces.split(",")))
        info = f.info()
        if a.kubeconfig:
            info["kubeconfig"] = f.write_kubeconfig(a.kubeconfig, auth=a.auth)
        # handlers first: a caller may send SIGTERM as soon as it has read the info line
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        while not done.wait(1.0):
            pass
    finally:
        f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

