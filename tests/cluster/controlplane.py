"""A real Kubernetes control plane on loopback for tests/cluster (Python 3 standard library only).

    cp = ControlPlane()          # PKI, etcd, kube-apiserver, kube-controller-manager: started
    cp.kubectl("get", "ns")      # admin kubeconfig
    ad = cp.start_adapter(...)   # metrics-adapter registered as deploy/base registers it
    cp.stop()

Everything listens on 127.0.0.1 on free ports and lives in one temporary directory (kept with its
logs when KEEP=1 or on request). The programs are those `./build.sh cluster_bins` builds into
build/cluster/bin/ (override the directory with $CLUSTER_BIN). Extension points for later suites:
ControlPlane.start_process() runs and tracks any further program (Prometheus, a peer adapter) with
its log in the control plane's directory, and register_backend() points APIServices at any loopback
HTTPS port through an ExternalName Service (what install_adapter_manifests() does for deploy/base).
"""

import base64
import datetime
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from harness import free_port, tail  # noqa: E402
from kube_pki import PKI, _openssl  # noqa: E402

BIN_DIR = os.environ.get("CLUSTER_BIN") or os.path.join(REPO, "build", "cluster", "bin")
ADAPTER_BIN = os.environ.get("MA_BIN") or os.path.join(REPO, "build", "metrics-adapter")
DEPLOY = os.path.join(REPO, "deploy")
NAMESPACE = "custom-metrics"          # deploy/base's namespace and Service name
SERVICE = "metrics-adapter"
APISERVICES = ("v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io",
               "v1beta1.external.metrics.k8s.io")
START_TIMEOUT = 120.0                 # each program until healthy, on a loaded 2-core machine


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_until(fn, timeout, interval=0.2, what="condition"):
    """Poll fn() until it returns a true value; returns it, or raises with the last error."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = "returned %r" % (v,)
        except Exception as e:  # noqa: BLE001 (the last error is the message)
            last = "%s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            raise AssertionError("%s not true within %.0f s (last: %s)" % (what, timeout, last))
        time.sleep(interval)


class Proc:
    """One tracked child process with its combined output in a log file."""

    def __init__(self, name, argv, log, env=None):
        self.name, self.argv, self.log = name, argv, log
        with open(log, "wb") as f:
            self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                                      stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def check(self):
        if not self.alive():
            raise AssertionError("%s exited with status %s; log tail:\n%s"
                                 % (self.name, self.p.returncode, tail(self.log, 25)))

    def stop(self, timeout=20.0):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


class Kube:
    """A minimal JSON client for kube-apiserver over TLS with a client certificate or a token."""

    def __init__(self, port, cafile, certfile=None, keyfile=None, token=None, timeout=30.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.ctx = ssl.create_default_context(cafile=cafile)
        if certfile:
            self.ctx.load_cert_chain(certfile, keyfile)

    def request(self, method, path, body=None, content_type="application/json", headers=None):
        """Returns (status, parsed JSON or raw text)."""
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=self.timeout,
                                           context=self.ctx)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, raw.decode("utf-8", "replace")

    def get(self, path, want=200):
        st, doc = self.request("GET", path)
        if want is not None and st != want:
            raise AssertionError("GET %s: %d, want %d: %s" % (path, st, want, str(doc)[:500]))
        return doc

    def create(self, path, obj):
        st, doc = self.request("POST", path, obj)
        if st not in (200, 201):
            raise AssertionError("POST %s: %d: %s" % (path, st, str(doc)[:500]))
        return doc

    def merge_patch(self, path, patch):
        st, doc = self.request("PATCH", path, patch, "application/merge-patch+json")
        if st != 200:
            raise AssertionError("PATCH %s: %d: %s" % (path, st, str(doc)[:500]))
        return doc


def write_kubeconfig(path, server, cafile, certfile=None, keyfile=None, token=None, user="user"):
    u = {"token": token} if token else {"client-certificate": certfile, "client-key": keyfile}
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "cluster",
           "clusters": [{"name": "cluster",
                         "cluster": {"server": server, "certificate-authority": cafile}}],
           "users": [{"name": user, "user": u}],
           "contexts": [{"name": "cluster", "context": {"cluster": "cluster", "user": user}}]}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)   # JSON is YAML: every client reads it
    return path


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager on loopback. Started in the constructor."""

    def __init__(self, sync_period="2s", downscale_stabilization="5s", keep=None):
        self.keep = os.environ.get("KEEP") == "1" if keep is None else keep
        self.dir = tempfile.mkdtemp(prefix="ma-cluster-")
        self.procs = []
        self.adapters = []
        for b in ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl"):
            if not os.access(os.path.join(BIN_DIR, b), os.X_OK):
                raise AssertionError("no %s in %s: run ./build.sh cluster-bins" % (b, BIN_DIR))
        try:
            self._pki()
            self._etcd()
            self._apiserver()
            self._controller_manager(sync_period, downscale_stabilization)
        except BaseException:
            self.stop()
            raise

    # ---- PKI ---------------------------------------------------------------------------------
    def _pki(self):
        d = os.path.join(self.dir, "pki")
        os.makedirs(d)
        self.pki = PKI(d, key_type="ec")
        pki = self.pki
        self.ca, _ = pki.ca("ca", "metrics-adapter-test-cluster-ca")
        self.front_proxy_ca, _ = pki.ca("front-proxy-ca", "metrics-adapter-test-front-proxy-ca")
        self.serving = pki.leaf("apiserver", "ca", "kube-apiserver", server=True,
                                ips=("127.0.0.1", "10.0.0.1"),
                                dns=("localhost", "kubernetes", "kubernetes.default",
                                     "kubernetes.default.svc",
                                     "kubernetes.default.svc.cluster.local"))
        self.admin = pki.leaf("admin", "ca", "admin", orgs=("system:masters",), client=True)
        self.kcm_cert = pki.leaf("kcm", "ca", "system:kube-controller-manager", client=True)
        self.proxy_client = pki.leaf("front-proxy-client", "front-proxy-ca", "front-proxy-client",
                                     client=True)
        self.sa_key = os.path.join(d, "sa.key")
        self.sa_pub = os.path.join(d, "sa.pub")
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.sa_key)
        _openssl("ec", "-in", self.sa_key, "-pubout", "-out", self.sa_pub)

    # ---- programs ----------------------------------------------------------------------------
    def start_process(self, name, argv, env=None):
        """Run argv, log to DIR/<name>.log, stop it with the control plane."""
        p = Proc(name, argv, os.path.join(self.dir, name + ".log"), env=env)
        self.procs.append(p)
        return p

    def _etcd(self):
        self.etcd_port, peer = free_port(), free_port()
        self.etcd = self.start_process("etcd", [
            os.path.join(BIN_DIR, "etcd"), "--name=default",
            "--data-dir=" + os.path.join(self.dir, "etcd"),
            "--listen-client-urls=http://127.0.0.1:%d" % self.etcd_port,
            "--advertise-client-urls=http://127.0.0.1:%d" % self.etcd_port,
            "--listen-peer-urls=http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls=http://127.0.0.1:%d" % peer,
            "--initial-cluster=default=http://127.0.0.1:%d" % peer,
            "--listen-metrics-urls=", "--log-level=warn", "--unsafe-no-fsync"])

        def healthy():
            self.etcd.check()
            c = http.client.HTTPConnection("127.0.0.1", self.etcd_port, timeout=5)
            try:
                c.request("GET", "/health")
                return b'"true"' in c.getresponse().read()
            finally:
                c.close()
        wait_until(healthy, START_TIMEOUT, what="etcd /health")

    def _apiserver(self):
        self.port = free_port()
        self.server = "https://127.0.0.1:%d" % self.port
        p = self.pki.path
        self.apiserver = self.start_process("kube-apiserver", [
            os.path.join(BIN_DIR, "kube-apiserver"),
            "--etcd-servers=http://127.0.0.1:%d" % self.etcd_port,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            "--secure-port=%d" % self.port,
            "--tls-cert-file=" + p("apiserver", "crt"),
            "--tls-private-key-file=" + p("apiserver", "key"),
            "--client-ca-file=" + self.ca,
            "--authorization-mode=RBAC",
            "--anonymous-auth=false",
            "--service-account-key-file=" + self.sa_pub,
            "--service-account-signing-key-file=" + self.sa_key,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.0.0.0/24",
            # the aggregator: its client certificate and the headers that carry the identity
            "--requestheader-client-ca-file=" + self.front_proxy_ca,
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-uid-headers=X-Remote-Uid",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--proxy-client-cert-file=" + p("front-proxy-client", "crt"),
            "--proxy-client-key-file=" + p("front-proxy-client", "key"),
            "--enable-aggregator-routing=false",
            # no Endpoints for the "kubernetes" Service: they may not name a loopback address
            "--endpoint-reconciler-type=none",
            "--cert-dir=" + os.path.join(self.dir, "apiserver-certs"),
            "--v=2"])
        self.kubeconfig = write_kubeconfig(os.path.join(self.dir, "admin.kubeconfig"), self.server,
                                           self.ca, *self.admin, user="admin")
        self.kube = Kube(self.port, self.ca, *self.admin)

        def ready():
            self.apiserver.check()
            st, _ = self.kube.request("GET", "/readyz")
            return st == 200
        wait_until(ready, START_TIMEOUT, what="kube-apiserver /readyz")

    def _controller_manager(self, sync_period, downscale_stabilization):
        kc = write_kubeconfig(os.path.join(self.dir, "kcm.kubeconfig"), self.server, self.ca,
                              *self.kcm_cert, user="kcm")
        self.kcm_port = free_port()
        self.kcm = self.start_process("kube-controller-manager", [
            os.path.join(BIN_DIR, "kube-controller-manager"),
            "--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc,
            "--authorization-kubeconfig=" + kc,
            "--bind-address=127.0.0.1", "--secure-port=%d" % self.kcm_port,
            "--cert-dir=" + os.path.join(self.dir, "kcm-certs"),
            "--controllers=deployment-controller,replicaset-controller,"
            "horizontal-pod-autoscaler-controller,serviceaccount-controller,"
            "garbage-collector-controller",
            # each controller acts as its own ServiceAccount (kube-system/horizontal-pod-autoscaler
            # for the HPA), whose stock RBAC role is what allows it to read the metrics APIs
            "--use-service-account-credentials",
            "--leader-elect=false",
            "--horizontal-pod-autoscaler-sync-period=" + sync_period,
            "--horizontal-pod-autoscaler-downscale-stabilization=" + downscale_stabilization,
            "--v=2"])

        def healthy():
            self.kcm.check()
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", self.kcm_port, timeout=5, context=ctx)
            try:
                c.request("GET", "/healthz")
                return c.getresponse().status == 200
            finally:
                c.close()
        wait_until(healthy, START_TIMEOUT, what="kube-controller-manager /healthz")

    # ---- kubectl -----------------------------------------------------------------------------
    def kubectl(self, *args, kubeconfig=None, stdin=None, check=True, timeout=120):
        """Run kubectl; returns stdout (str). check=False returns (rc, stdout, stderr)."""
        p = subprocess.run([os.path.join(BIN_DIR, "kubectl"),
                            "--kubeconfig=" + (kubeconfig or self.kubeconfig),
                            "--cache-dir=" + os.path.join(self.dir, "kubectl-cache")] + list(args),
                           input=stdin.encode() if stdin else None, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        if not check:
            return p.returncode, out, err
        if p.returncode != 0:
            raise AssertionError("kubectl %s: exit %d: %s" % (" ".join(args), p.returncode, err))
        return out

    def apply(self, obj):
        return self.kubectl("apply", "-f", "-", stdin=json.dumps(obj))

    # ---- ServiceAccounts ---------------------------------------------------------------------
    def sa_token(self, ns, name, create=False, seconds=86400):
        """A TokenRequest token of ServiceAccount ns/name (created first when create=True)."""
        if create:
            self.kube.request("POST", "/api/v1/namespaces/%s/serviceaccounts" % ns,
                              {"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": name, "namespace": ns}})
        doc = self.kube.create("/api/v1/namespaces/%s/serviceaccounts/%s/token" % (ns, name),
                               {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                "spec": {"expirationSeconds": seconds}})
        return doc["status"]["token"]

    def sa_kubeconfig(self, ns, name, create=False):
        tok = self.sa_token(ns, name, create=create)
        return write_kubeconfig(os.path.join(self.dir, "%s.%s.kubeconfig" % (ns, name)),
                                self.server, self.ca, token=tok, user=name)

    # ---- registering an APIService backend --------------------------------------------------
    def register_backend(self, service, namespace, port, ca_file, apiservices):
        """Any HTTPS server on 127.0.0.1:port behind APIServices: an ExternalName Service
        `service`.`namespace` naming 127.0.0.1 (the aggregator dials externalName:<APIService
        port> and checks the certificate for <service>.<namespace>.svc against caBundle).
        apiservices: [(group, version, groupPriorityMinimum, versionPriority)]. For a peer
        adapter next to ours, give it its own Service and (once ours is removed) the groups."""
        with open(ca_file) as f:
            bundle = b64(f.read())
        self.kubectl("create", "namespace", namespace, check=False)
        self.apply({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": service, "namespace": namespace},
                    "spec": {"type": "ExternalName", "externalName": "127.0.0.1"}})
        for group, version, gpm, vp in apiservices:
            self.apply({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                        "metadata": {"name": "%s.%s" % (version, group)},
                        "spec": {"group": group, "version": version, "groupPriorityMinimum": gpm,
                                 "versionPriority": vp, "caBundle": bundle,
                                 "service": {"name": service, "namespace": namespace,
                                             "port": port}}})

    def install_adapter_manifests(self, port, cabundle_yaml):
        """deploy/base rendered by kubectl's kustomize, with only what a loopback process needs
        substituted: the Service becomes ExternalName 127.0.0.1, the APIServices name `port` and
        carry the caBundle of gen-certs (its own patch file, as the production overlay applies it),
        and the Deployment and PodDisruptionBudget are left out (the adapter is a local process)."""
        k = os.path.join(self.dir, "kustomize")
        os.makedirs(k, exist_ok=True)
        shutil.copy(cabundle_yaml, os.path.join(k, "apiservice-cabundle.yaml"))
        with open(os.path.join(k, "service-loopback.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n"
                    "spec:\n  type: ExternalName\n  externalName: 127.0.0.1\n  selector: null\n"
                    % (SERVICE, NAMESPACE))
        with open(os.path.join(k, "drop.yaml"), "w") as f:
            f.write("$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                    "  name: %s\n  namespace: %s\n---\n$patch: delete\napiVersion: policy/v1\n"
                    "kind: PodDisruptionBudget\nmetadata:\n  name: %s\n  namespace: %s\n"
                    % (SERVICE, NAMESPACE, SERVICE, NAMESPACE))
        with open(os.path.join(k, "port.yaml"), "w") as f:
            f.write("- op: replace\n  path: /spec/service/port\n  value: %d\n" % port)
        with open(os.path.join(k, "kustomization.yaml"), "w") as f:
            f.write("resources:\n- base\npatches:\n- path: apiservice-cabundle.yaml\n"
                    "- path: service-loopback.yaml\n- path: drop.yaml\n")
            for a in APISERVICES:
                f.write("- path: port.yaml\n  target:\n    group: apiregistration.k8s.io\n"
                        "    kind: APIService\n    name: %s\n" % a)
        # kustomize loads bases from inside the kustomization root only: a copy of deploy/base
        shutil.rmtree(os.path.join(k, "base"), ignore_errors=True)
        shutil.copytree(os.path.join(DEPLOY, "base"), os.path.join(k, "base"))
        rendered = self.kubectl("kustomize", k)
        docs = [d for d in rendered.split("\n---\n") if d.strip()]
        first = [d for d in docs if "\nkind: APIService\n" not in "\n" + d + "\n"]
        last = [d for d in docs if d not in first]
        assert len(last) == len(APISERVICES), "rendered %d APIServices" % len(last)
        files = []
        for tag, part in (("objects", first), ("apiservices", last)):
            path = os.path.join(self.dir, "adapter-%s.yaml" % tag)
            with open(path, "w") as f:
                f.write("\n---\n".join(part) + "\n")
            files.append(path)
        self.kubectl("apply", "-f", files[0])
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                     "crd/custommetrics.metrics.falcon", "crd/externalmetrics.metrics.falcon")
        return files[1]

    def start_adapter(self, *args, name="metrics-adapter"):
        """gen-certs; deploy/base applied but for its APIServices; build/metrics-adapter on a free
        loopback port with the metrics-adapter ServiceAccount's token until /readyz; then the
        APIServices (so the aggregator never sees a backend that is not up yet). Returns the Proc
        (with .port, .certs, .kubeconfig); self.apiserver_log_mark is the kube-apiserver log size
        at registration, for checks of what it logged about the adapter afterwards."""
        certs = os.path.join(self.dir, name + "-certs")
        subprocess.run([ADAPTER_BIN, "gen-certs", "--service", SERVICE, "--namespace", NAMESPACE,
                        "--out", certs], check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        apiservices = self.install_adapter_manifests(
            port, os.path.join(certs, "apiservice-cabundle.yaml"))
        kc = self.sa_kubeconfig(NAMESPACE, SERVICE)
        p = self.start_process(name, [
            ADAPTER_BIN, "--bind-address=127.0.0.1", "--secure-port=%d" % port,
            "--tls-cert-file=" + os.path.join(certs, "tls.crt"),
            "--tls-private-key-file=" + os.path.join(certs, "tls.key"),
            "--kubeconfig=" + kc] + list(args))
        p.port, p.certs, p.kubeconfig = port, certs, kc
        self.adapters.append(p)
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))

        def ready():
            p.check()
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=ctx)
            try:
                c.request("GET", "/readyz")
                return c.getresponse().status == 200
            finally:
                c.close()
        # the certificate names metrics-adapter.custom-metrics.svc, as the aggregator checks
        ctx.check_hostname = False
        wait_until(ready, START_TIMEOUT, what=name + " /readyz")
        self.apiserver_log_mark = os.path.getsize(self.apiserver.log)
        self.kubectl("apply", "-f", apiservices)
        return p

    def wait_available(self, names=APISERVICES, timeout=120.0):
        def avail():
            for a in self.adapters:
                a.check()
            for n in names:
                doc = self.kube.get("/apis/apiregistration.k8s.io/v1/apiservices/" + n)
                conds = {c["type"]: c for c in doc.get("status", {}).get("conditions", [])}
                if conds.get("Available", {}).get("status") != "True":
                    return False
            return True
        wait_until(avail, timeout, 0.5, what="APIServices %s Available" % ", ".join(names))

    # ---- a stand-in kubelet ------------------------------------------------------------------
    def mark_running(self, ns, pod, ip):
        """Set a pod Running and Ready through the status subresource, as a kubelet would."""
        t = now_rfc3339()
        conds = [{"type": c, "status": "True", "lastTransitionTime": t}
                 for c in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]
        return self.kube.merge_patch("/api/v1/namespaces/%s/pods/%s/status" % (ns, pod), {
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
                       "startTime": t, "conditions": conds}})

    def pods(self, ns, selector=None):
        q = "" if selector is None else "?labelSelector=" + urllib.parse.quote(selector)
        return self.kube.get("/api/v1/namespaces/%s/pods%s" % (ns, q))["items"]

    # ---- teardown ----------------------------------------------------------------------------
    def stop(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:  # noqa: BLE001 (stop the others anyway)
                pass
        if self.keep:
            print("control plane directory kept: %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def b64(s):
    return base64.b64encode(s.encode()).decode()
