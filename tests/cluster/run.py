#!/usr/bin/env python3
"""tests/cluster: metrics-adapter behind a real kube-apiserver, read by the real HPA controller.

One control plane (controlplane.py) for the whole run; the adapter (Open-Falcon backend, the fake
Open-Falcon of tests/fakes/falcon.py) registered as deploy/base registers it; deploy/samples applied
as they are. A stand-in kubelet thread marks the Deployments' pods Running and Ready through the
status subresource and, as Falcon's agent would, pushes each pod's values. Last line:
"N passed, N failed". The control plane's directory (logs) is kept when a test failed or KEEP=1.
"""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import controlplane as C  # noqa: E402
from controlplane import wait_until  # noqa: E402
from falcon import FakeFalcon  # noqa: E402
from harness import tail  # noqa: E402

NS = "custom-metrics-test"        # deploy/samples' namespace
CM2 = "/apis/custom.metrics.k8s.io/v1beta2"
CM1 = "/apis/custom.metrics.k8s.io/v1beta1"
EM1 = "/apis/external.metrics.k8s.io/v1beta1"
SCALE_TIMEOUT = 150.0             # an HPA reaching a replica count, on a loaded machine
STEADY = 8.0                      # ... and holding it this long (4 HPA sync periods)

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


# ---- the stand-in kubelet and Falcon agent -------------------------------------------------------

class Fleet(threading.Thread):
    """Every 0.5 s: Pending pods of NS become Running and Ready (each with its own pod IP); for
    each app with a load, every Running pod of it pushes load/n (n = its Running pods) for the
    app's counters, as a load balancer spreads a total load. Fixed series (object and external
    metrics) are pushed as set."""

    def __init__(self, cp, fl):
        super().__init__(daemon=True)
        self.cp, self.fl = cp, fl
        self.lock = threading.Lock()
        self.loads = {}      # app -> {(metric, tags): total}
        self.fixed = {}      # (endpoint, metric, tags) -> value
        self.ips = {}
        self.stopping = threading.Event()
        self.error = None

    def set_load(self, app, metric, total, tags=""):
        with self.lock:
            self.loads.setdefault(app, {})[(metric, tags)] = total

    def set_fixed(self, endpoint, metric, value, tags=""):
        with self.lock:
            self.fixed[(endpoint, metric, tags)] = value

    def run(self):
        fails = 0
        while not self.stopping.wait(0.5):
            try:
                self.tick()
                fails = 0
            except Exception as e:  # noqa: BLE001 (a pod deleted under us: next tick; kept
                fails += 1          # for the tests to report when it keeps failing)
                if fails >= 10:
                    self.error = "%s: %s" % (type(e).__name__, e)

    def tick(self):
        running = {}
        for p in self.cp.pods(NS):
            md, st = p["metadata"], p.get("status", {})
            if md.get("deletionTimestamp"):
                continue
            name = md["name"]
            if st.get("phase") != "Running":
                ip = self.ips.setdefault(name, "10.244.%d.%d" % divmod(len(self.ips) + 10, 250))
                self.cp.mark_running(NS, name, ip)
            running.setdefault(md.get("labels", {}).get("app"), []).append(name)
        with self.lock:
            loads = {a: dict(m) for a, m in self.loads.items()}
            fixed = dict(self.fixed)
        for app, metrics in loads.items():
            pods = running.get(app, [])
            for (metric, tags), total in metrics.items():
                for pod in pods:
                    self.fl.push(pod, metric, total / len(pods), tags=tags, step=1)
        for (endpoint, metric, tags), v in fixed.items():
            self.fl.push(endpoint, metric, v, tags=tags, step=1)


# ---- setup ---------------------------------------------------------------------------------------

CP = None
FL = None
FLEET = None
AD = None


def setup():
    global CP, FL, FLEET, AD
    t0 = time.monotonic()
    CP = C.ControlPlane()
    print("control plane up in %.1f s (%s)" % (time.monotonic() - t0, CP.dir), flush=True)
    FL = FakeFalcon(min_step=1)
    AD = CP.start_adapter("--falcon-url=" + FL.url, "--cache-ttl=1s", "--v=2")
    FLEET = Fleet(CP, FL)
    FLEET.start()


def hpa(name):
    return CP.kube.get("/apis/autoscaling/v2/namespaces/%s/horizontalpodautoscalers/%s"
                       % (NS, name))


def replicas(deploy):
    return CP.kube.get("/apis/apps/v1/namespaces/%s/deployments/%s" % (NS, deploy))["spec"].get(
        "replicas")


def hpa_summary(name):
    h = hpa(name)
    st = h.get("status", {})
    conds = ["%s=%s(%s)" % (c["type"], c["status"], c.get("reason")) for c in
             st.get("conditions", [])]
    return "current %s desired %s metrics %s conditions %s" % (
        st.get("currentReplicas"), st.get("desiredReplicas"),
        json.dumps(st.get("currentMetrics")), " ".join(conds))


def wait_scaled(name, deploy, want):
    """Wait until HPA `name` wants `want` replicas and the Deployment has them, then require that
    it holds for STEADY seconds; returns every replica count seen on the way."""
    seen = []

    def at_want():
        if FLEET.error:
            raise AssertionError("stand-in kubelet: " + FLEET.error)
        r = replicas(deploy)
        if not seen or seen[-1] != r:
            seen.append(r)
        st = hpa(name).get("status", {})
        pods = [p for p in CP.pods(NS, "app=" + deploy)
                if not p["metadata"].get("deletionTimestamp")]
        return r == want and st.get("desiredReplicas") == want and len(pods) == want
    deadline = time.monotonic() + SCALE_TIMEOUT
    held_since = None
    try:
        # an HPA may pass the count on the way (values of a new pod not in yet) and come back
        # after the downscale stabilization: what counts is holding it for STEADY seconds
        while True:
            ok = at_want()
            t = time.monotonic()
            if ok:
                held_since = held_since or t
                if t - held_since >= STEADY:
                    break
            else:
                held_since = None
            if t > deadline:
                raise AssertionError("HPA %s not at %d replicas for %.0f s within %.0f s" % (
                    name, want, STEADY, SCALE_TIMEOUT))
            time.sleep(0.5)
    except AssertionError as e:
        raise AssertionError("%s; replicas seen %s; HPA %s" % (e, seen, hpa_summary(name)))
    print("  %s: replicas seen %s" % (name, seen), flush=True)
    return seen


def scaling_active(name):
    conds = {c["type"]: c for c in hpa(name).get("status", {}).get("conditions", [])}
    c = conds.get("ScalingActive", {})
    assert c.get("status") == "True", "HPA %s ScalingActive: %s" % (name, c)


def direct_ctx(cert=None):
    ctx = ssl.create_default_context(cafile=os.path.join(AD.certs, "ca.crt"))
    if cert:
        ctx.load_cert_chain(*cert)
    return ctx


SVC_NAME = "%s.%s.svc" % (C.SERVICE, C.NAMESPACE)


class SvcConnection(http.client.HTTPSConnection):
    """HTTPS to the adapter's loopback port, checking its certificate for the Service's name as
    the aggregator does."""

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=SVC_NAME)


def direct(path, cert=None, headers=None, ctx=None):
    """GET straight to the adapter."""
    c = SvcConnection("127.0.0.1", AD.port, timeout=15, context=ctx or direct_ctx(cert))
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def raw(path, kubeconfig=None):
    return CP.kubectl("get", "--raw", path, kubeconfig=kubeconfig)


def strip_ts(doc):
    for it in doc.get("items", []):
        it.pop("timestamp", None)
    return doc


# ---- tests ---------------------------------------------------------------------------------------

@test
def apiservices_available():
    CP.wait_available()
    out = CP.kubectl("get", "apiservices", "-o", "json")
    got = {a["metadata"]["name"]: {c["type"]: c["status"] for c in a["status"]["conditions"]}
           for a in json.loads(out)["items"] if a["metadata"]["name"] in C.APISERVICES}
    assert got == {n: {"Available": "True"} for n in C.APISERVICES}, got


@test
def samples_apply_as_they_are():
    CP.kubectl("apply", "-k", os.path.join(C.DEPLOY, "samples"))
    # pushed before the HPAs look: both of the sample HPA's metrics, and the queue
    FLEET.set_load("test-sample", "cpu.busy", 40)         # 2 pods x 20 < target 30: stays at 2
    FLEET.set_load("test-sample", "net.if.in.bytes", 2000, tags="iface=eth0")
    FLEET.set_fixed("mq-broker-01", "mq.queue.depth", 0, tags="queue=orders")
    FLEET.set_fixed("mq-broker-02", "mq.queue.depth", 0, tags="queue=orders")
    wait_until(lambda: len([p for p in CP.pods(NS, "app=test-sample")
                            if p.get("status", {}).get("phase") == "Running"]) == 2,
               SCALE_TIMEOUT, 0.5, what="2 Running test-sample pods (HPA minReplicas)")


@test
def discovery_through_kube_apiserver():
    wait_until(lambda: "pods/cpu.busy" in raw(CM2), 30, 0.5, what="pods/cpu.busy in discovery")
    for gv in (CM1, CM2, EM1):
        via = json.loads(raw(gv))
        st, body = direct(gv, cert=CP.admin)
        assert st == 200, "direct %s: %d %s" % (gv, st, body[:300])
        assert via == json.loads(body), "%s through kube-apiserver differs:\n%s\n%s" % (
            gv, via, body[:600])
    names = {r["name"] for r in json.loads(raw(CM2))["resources"]}
    for n in ("pods/cpu.busy", "pods/net.if.in.bytes-iface-equal-eth0"):
        assert n in names, "%s not in %s" % (n, sorted(names))
    ext = {r["name"] for r in json.loads(raw(EM1))["resources"]}
    assert "queue-depth" in ext, ext


@test
def values_through_kube_apiserver():
    path = CM2 + "/namespaces/%s/pods/*/cpu.busy?labelSelector=app%%3Dtest-sample" % NS

    def both():
        doc = json.loads(raw(path))
        vals = sorted(it["value"] for it in doc["items"])
        return vals == ["20", "20"] and doc
    doc = wait_until(both, 30, 0.5, what="two pods at cpu.busy 20 through kube-apiserver")
    assert doc["kind"] == "MetricValueList" and doc["apiVersion"] == "custom.metrics.k8s.io/v1beta2"
    st, body = direct(path, cert=CP.admin)
    assert st == 200, body[:300]
    assert strip_ts(json.loads(body)) == strip_ts(doc), "direct %s\nvia %s" % (body[:600], doc)
    v1 = json.loads(raw(CM1 + "/namespaces/%s/pods/*/cpu.busy?labelSelector=app%%3Dtest-sample"
                        % NS))
    assert sorted(it["metricName"] for it in v1["items"]) == ["cpu.busy", "cpu.busy"], v1


@test
def hpa_pods_metric_scales_up():
    # total 110 over the pods, target average 30: ceil(110 / 30) = 4 (and 110/120 is within the
    # 10 % tolerance at 4, so it stays there)
    FLEET.set_load("test-sample", "cpu.busy", 110)
    wait_scaled("test-sample", "test-sample", 4)
    scaling_active("test-sample")


@test
def kubectl_describe_hpa_shows_values():
    out = CP.kubectl("describe", "hpa", "test-sample", "-n", NS)
    lines = [l for l in out.splitlines() if '" on pods:' in l]
    assert len(lines) == 2, out
    for l in lines:
        assert "<unknown>" not in l, l
    # average of 110 over 4 pods: 27500m / 30
    assert any('"cpu.busy" on pods:' in l and re.search(r"\b27500m / 30\b", l) for l in lines), out
    assert re.search(r"ScalingActive\s+True", out), out


@test
def hpa_pods_metric_scales_down():
    # total 65: ceil(65 / 30) = 3
    FLEET.set_load("test-sample", "cpu.busy", 65)
    wait_scaled("test-sample", "test-sample", 3)
    scaling_active("test-sample")


OBJ_HPA = {
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": NS},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "minReplicas": 1, "maxReplicas": 6,
             "metrics": [{"type": "Object", "object": {
                 "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "web"},
                 "metric": {"name": "requests-per-second"},
                 "target": {"type": "AverageValue", "averageValue": "100"}}}]}}


@test
def hpa_object_metric_scales_up():
    CP.apply({"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
              "metadata": {"name": "requests-per-second", "namespace": NS},
              "spec": {"metric": {"counter": "lb.requests/vip=web", "endpoint": "lb-{name}"},
                       "target": {"resource": "services"}}})
    CP.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
              "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    CP.apply({"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": NS},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web",
                                                             "image": "busybox:1.36"}]}}}})
    FLEET.set_fixed("lb-web", "lb.requests", 350, tags="vip=web")
    path = CM2 + "/namespaces/%s/services/web/requests-per-second" % NS
    # the value first, so the HPA's first look finds it
    wait_until(lambda: json.loads(raw(path))["items"][0]["value"] == "350", 30, 0.5,
               what="the Service's requests-per-second 350 through kube-apiserver")
    CP.apply(OBJ_HPA)
    # 350 / 100 per pod: 4
    wait_scaled("web", "web", 4)
    scaling_active("web")


@test
def hpa_object_metric_scales_down():
    FLEET.set_fixed("lb-web", "lb.requests", 150, tags="vip=web")
    wait_scaled("web", "web", 2)
    scaling_active("web")


@test
def hpa_external_metric_scales_up():
    # ExternalMetric queue-depth = sum of two brokers; target 100 per replica: 450 -> 5
    FLEET.set_fixed("mq-broker-01", "mq.queue.depth", 250, tags="queue=orders")
    FLEET.set_fixed("mq-broker-02", "mq.queue.depth", 200, tags="queue=orders")
    path = EM1 + "/namespaces/%s/queue-depth" % NS
    wait_until(lambda: [it["value"] for it in json.loads(raw(path))["items"]] == ["450"], 30, 0.5,
               what="queue-depth 450 through kube-apiserver")
    wait_scaled("queue-worker", "queue-worker", 5)
    scaling_active("queue-worker")
    out = CP.kubectl("describe", "hpa", "queue-worker", "-n", NS)
    assert re.search(r'"queue-depth" \(target average value\):\s+90 / 100', out), out


@test
def hpa_external_metric_scales_down():
    FLEET.set_fixed("mq-broker-01", "mq.queue.depth", 100, tags="queue=orders")
    FLEET.set_fixed("mq-broker-02", "mq.queue.depth", 50, tags="queue=orders")
    wait_scaled("queue-worker", "queue-worker", 2)
    scaling_active("queue-worker")


@test
def kubectl_api_resources():
    # kube-apiserver refreshes an APIService's aggregated discovery once a minute, so metrics
    # defined after registration (deploy/samples) show there up to a minute later; kubectl's
    # api-resources reads that aggregated document
    def listed():
        out = CP.kubectl("api-resources", "--api-group=external.metrics.k8s.io", "--no-headers")
        rows = {l.split()[0]: l.split()[1:] for l in out.splitlines() if l.strip()}
        return rows.get("queue-depth") == ["external.metrics.k8s.io/v1beta1", "true",
                                           "ExternalMetricValueList"] and rows
    wait_until(listed, 100, 1.0, what="kubectl api-resources listing queue-depth")
    # custom metrics are named <resource>/<metric>: aggregated discovery files them as
    # subresources of "pods", which kubectl api-resources does not print (as for any adapter)
    st, doc = CP.kube.request("GET", "/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    assert st == 200, doc
    groups = {g["metadata"]["name"]: g for g in doc["items"]}
    cm = groups["custom.metrics.k8s.io"]
    assert [v["version"] for v in cm["versions"]] == ["v1beta2", "v1beta1"], cm
    for v in cm["versions"]:
        subs = {s["subresource"]: s for r in v.get("resources", []) if r["resource"] == "pods"
                for s in r.get("subresources", [])}
        for m in ("cpu.busy", "net.if.in.bytes-iface-equal-eth0"):
            assert m in subs and subs[m]["verbs"] == ["get"] and \
                subs[m]["responseKind"]["kind"] == "MetricValueList", (m, v)
    out = CP.kubectl("api-resources", "--api-group=custom.metrics.k8s.io", "--no-headers")
    assert out.strip() == "", out


# ---- security ------------------------------------------------------------------------------------

POD_PATH = CM2 + "/namespaces/%s/pods/*/cpu.busy" % NS


@test
def front_proxy_identity_accepted():
    # the aggregator's own certificate with the identity headers it sends: honoured
    st, body = direct(POD_PATH, cert=CP.proxy_client,
                      headers={"X-Remote-User": "admin", "X-Remote-Group": "system:masters"})
    assert st == 200, "front-proxy as admin: %d %s" % (st, body[:300])
    st, body = direct(POD_PATH, cert=CP.proxy_client, headers={"X-Remote-User": "nobody-here"})
    assert st == 403, "front-proxy as a user without RBAC: %d %s" % (st, body[:300])


@test
def forged_identity_headers_refused():
    hdr = {"X-Remote-User": "admin", "X-Remote-Group": "system:masters"}
    st, body = direct(POD_PATH, headers=hdr)
    assert st in (401, 403), "no client certificate, forged headers: %d %s" % (st, body[:300])
    # a client certificate of the cluster CA (not the front proxy's): the headers are ignored,
    # the identity is the certificate's
    bob = CP.pki.leaf("bob", "ca", "bob", client=True)
    st, body = direct(POD_PATH, cert=bob, headers=hdr)
    assert st == 403, "bob's certificate with forged headers: %d %s" % (st, body[:300])
    assert b"bob" in body, body[:300]


@test
def service_account_without_rbac_gets_403():
    kc = CP.sa_kubeconfig(NS, "no-metrics", create=True)
    rc, out, err = CP.kubectl("get", "--raw", POD_PATH, kubeconfig=kc, check=False)
    assert rc != 0 and "forbidden" in err.lower(), "rc %d out %s err %s" % (rc, out[:200], err)
    # and straight to the adapter with the same token: its delegated authorization says no
    tok = CP.sa_token(NS, "no-metrics")
    st, body = direct(POD_PATH, headers={"Authorization": "Bearer " + tok})
    assert st == 403, "%d %s" % (st, body[:300])
    assert b"system:serviceaccount:%s:no-metrics" % NS.encode() in body, body[:300]


@test
def hpa_controller_allowed_by_stock_role():
    role = CP.kube.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/"
                       "system:controller:horizontal-pod-autoscaler")
    groups = {g for r in role["rules"] for g in r.get("apiGroups", [])}
    assert {"custom.metrics.k8s.io", "external.metrics.k8s.io"} <= groups, role["rules"]
    # without deploy/base's extra binding, the HPA controller's own ServiceAccount still reads
    CP.kubectl("delete", "clusterrolebinding", "metrics-adapter:hpa-metrics-reader")
    try:
        kc = CP.sa_kubeconfig("kube-system", "horizontal-pod-autoscaler")
        for p in (POD_PATH, EM1 + "/namespaces/%s/queue-depth" % NS):
            json.loads(CP.kubectl("get", "--raw", p, kubeconfig=kc))
        time.sleep(6)     # several HPA syncs on the stock role alone
        for h in ("test-sample", "web", "queue-worker"):
            scaling_active(h)
    finally:
        CP.kubectl("apply", "-f", os.path.join(CP.dir, "adapter-objects.yaml"))


@test
def tls_ecdhe_aead_with_tls12_client():
    # what a current Go client accepts in TLS 1.2: ECDHE key exchange, AEAD, SHA-256+ signatures
    ctx = direct_ctx(CP.admin)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    c = SvcConnection("127.0.0.1", AD.port, timeout=15, context=ctx)
    try:
        c.request("GET", "/readyz")
        assert c.getresponse().status == 200
        name, ver, _ = c.sock.cipher()
        assert ver == "TLSv1.2" and name.startswith("ECDHE-") and ("GCM" in name or
                                                                  "CHACHA" in name), name
    finally:
        c.close()


@test
def kube_apiserver_logs_no_errors_about_the_adapter():
    with open(CP.apiserver.log, "rb") as f:
        f.seek(CP.apiserver_log_mark)
        text = f.read().decode("utf-8", "replace")
    pat = re.compile(r"metrics\.k8s\.io|%d" % AD.port)
    bad = [l for l in text.splitlines() if pat.search(l) and (
        l.startswith("E") or l.startswith("W") or re.search(
            r"(?i)openapi.*(fail|error)|discovery.*(fail|error)|FailedDiscoveryCheck", l))]
    assert not bad, "kube-apiserver logged about the adapter:\n" + "\n".join(bad[:15])


@test
def adapter_logs_no_tls_or_auth_failures():
    # every TLS client here (the aggregator, the HPA through it, the checks above) verifies and is
    # verified: a failed handshake or a failed review call in the adapter's log is a bug
    with open(AD.log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    bad = [l for l in text.splitlines()
           if re.search(r"(?i)handshake failed|tokenreview.*fail|subjectaccessreview.*fail", l)]
    assert not bad, "metrics-adapter logged:\n" + "\n".join(bad[:15])


@test
def adapter_sigterm_exits_0():
    rc = AD.stop()
    assert rc == 0, "metrics-adapter exit status %s after SIGTERM; log:\n%s" % (
        rc, tail(AD.log, 20))


def main():
    failed = passed = 0
    try:
        setup()
    except Exception as e:  # noqa: BLE001
        print("FAIL setup: %s\n%s" % (e, traceback.format_exc(limit=3)))
        if CP:
            CP.keep = True
            CP.stop()
        print("0 passed, 1 failed")
        return 1
    try:
        for fn in _tests:
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print("ok   %s (%.1f s)" % (fn.__name__, time.monotonic() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 (a crash is a failure with its traceback)
                failed += 1
                msg = str(e) if isinstance(e, AssertionError) else traceback.format_exc(limit=4)
                print("FAIL %s: %s" % (fn.__name__, msg), flush=True)
    finally:
        if FLEET:
            FLEET.stopping.set()
        if failed:
            CP.keep = True
            for p in CP.procs:
                print("---- %s (%s), last lines:\n%s" % (p.name, p.log, tail(p.log, 15)))
        CP.stop()
        FL.close()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if not os.path.exists(os.path.join(C.BIN_DIR, "kube-apiserver")) and \
            not shutil.which("go") and not os.access("/usr/local/go/bin/go", os.X_OK):
        print("SKIP tests/cluster: no Go toolchain to build the control plane, and no %s"
              % C.BIN_DIR)
        print("0 passed, 0 failed")
        sys.exit(0)
    sys.exit(main())
