#!/usr/bin/env python3
"""deploy/: every kustomization renders offline with `kubectl kustomize` (the production overlay
after gen-certs wrote its certificates), every object is checked for what the cluster would
otherwise only reveal at install time (API versions still served, names, selectors, ports, RBAC
subjects, probes, the TLS wiring of each variant), and the CRD schemas, evaluated by
crdschema.py, accept the samples and the original adapter's objects and refuse broken ones.

YAML -> JSON without a YAML library or a cluster: `kubectl annotate --local -o json` reads the
rendered YAML and prints the objects as JSON; the marker annotation it adds is removed again."""

import base64
import copy
import json
import os
import re
import shutil
import subprocess

from harness import REPO, Adapter, read_version, run, skip, test
import crdschema
import tlsutil

DEPLOY = os.path.join(REPO, "deploy")
NS = "custom-metrics"
NAME = "metrics-adapter"
MARKER = "metrics-adapter-test/marker"
APISERVICES = {  # name: (group, version, versionPriority)
    "v1beta1.custom.metrics.k8s.io": ("custom.metrics.k8s.io", "v1beta1", 100),
    "v1beta2.custom.metrics.k8s.io": ("custom.metrics.k8s.io", "v1beta2", 200),
    "v1beta1.external.metrics.k8s.io": ("external.metrics.k8s.io", "v1beta1", 100),
}
# The API version each kind must use: all served by Kubernetes 1.25+ and none deprecated.
API_VERSION = {
    "Namespace": "v1", "ServiceAccount": "v1", "Service": "v1", "Secret": "v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1", "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1", "RoleBinding": "rbac.authorization.k8s.io/v1",
    "CustomResourceDefinition": "apiextensions.k8s.io/v1", "Deployment": "apps/v1",
    "PodDisruptionBudget": "policy/v1", "APIService": "apiregistration.k8s.io/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "CustomMetric": "metrics.falcon/v1alpha1", "ExternalMetric": "metrics.falcon/v1alpha1",
}
REMOVED = re.compile(r"apiextensions\.k8s\.io/v1beta1|apiregistration\.k8s\.io/v1beta1|autoscaling/v2beta|"
                     r"policy/v1beta1|extensions/v1beta1|apps/v1beta|rbac\.authorization\.k8s\.io/v1(alpha|beta)")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService"}
BASE_OBJECTS = {
    ("Namespace", NS), ("ServiceAccount", NAME), ("ClusterRole", NAME), ("ClusterRoleBinding", NAME),
    ("ClusterRoleBinding", NAME + ":system:auth-delegator"),
    ("RoleBinding", NAME + ":extension-apiserver-authentication-reader"),
    ("ClusterRole", NAME + ":metrics-reader"), ("ClusterRoleBinding", NAME + ":hpa-metrics-reader"),
    ("ClusterRole", NAME + ":definitions-edit"), ("ClusterRole", NAME + ":definitions-view"),
    ("CustomResourceDefinition", "custommetrics.metrics.falcon"),
    ("CustomResourceDefinition", "externalmetrics.metrics.falcon"),
    ("Service", NAME), ("Deployment", NAME), ("PodDisruptionBudget", NAME),
} | {("APIService", n) for n in APISERVICES}
# Roles that Kubernetes itself provides (bootstrap policy)
BUILTIN_ROLES = {("ClusterRole", "system:auth-delegator"), ("Role", "extension-apiserver-authentication-reader")}

_cache = {}


def kubectl():
    k = shutil.which("kubectl")
    assert k, "kubectl not installed (./build.sh test installs Debian's kubernetes-client)"
    return k


def sh(argv, timeout=60):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=dict(os.environ, KUBECONFIG=os.devnull))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def to_objects(yaml_path):
    """The objects of a YAML file, as JSON values, through kubectl (offline)."""
    rc, out, err = sh([kubectl(), "annotate", "--local", "-f", yaml_path, MARKER + "=1", "-o", "json"])
    assert rc == 0, "kubectl annotate --local %s: %s" % (yaml_path, err)
    dec, i, objs = json.JSONDecoder(), 0, []
    while True:
        while i < len(out) and out[i].isspace():
            i += 1
        if i >= len(out):
            break
        o, i = dec.raw_decode(out, i)
        objs += o["items"] if o.get("kind") == "List" else [o]
    for o in objs:
        ann = o["metadata"].get("annotations", {})
        assert ann.pop(MARKER, None) == "1", "marker annotation missing on %s" % o["metadata"]
        if not ann:
            o["metadata"].pop("annotations", None)
    return objs


def prod_tree():
    """A copy of deploy/ with gen-certs output in overlays/production/certs."""
    if "prod" not in _cache:
        d = os.path.join(tlsutil.tmpdir("deploy"), "deploy")
        shutil.copytree(DEPLOY, d)
        certs = os.path.join(d, "overlays", "production", "certs")
        rc, out = tlsutil.run_adapter_expect_exit(
            ["gen-certs", "--service", NAME, "--namespace", NS, "--out", certs])
        assert rc == 0, "gen-certs: %s" % out
        _cache["prod"] = d
    return _cache["prod"]


def render(which):
    """Objects of one kustomization: "deploy", "base", "quick-start", "production", "samples"."""
    if which not in _cache:
        d = {"deploy": DEPLOY, "base": os.path.join(DEPLOY, "base"),
             "quick-start": os.path.join(DEPLOY, "overlays", "quick-start"),
             "production": os.path.join(prod_tree(), "overlays", "production") if which == "production" else None,
             "samples": os.path.join(DEPLOY, "samples")}[which]
        rc, out, err = sh([kubectl(), "kustomize", d])
        assert rc == 0, "kubectl kustomize %s failed: %s" % (d, err)
        path = os.path.join(tlsutil.tmpdir("render"), which + ".yaml")
        with open(path, "w") as f:
            f.write(out)
        _cache[which] = (out, to_objects(path))
    return _cache[which][1]


def find(objs, kind, name=None):
    got = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert got, "no %s %s among %s" % (kind, name or "", sorted((o["kind"], o["metadata"]["name"]) for o in objs))
    return got[0] if name is not None else got


def kinds_names(objs):
    return {(o["kind"], o["metadata"]["name"]) for o in objs}


def container(objs):
    d = find(objs, "Deployment", NAME)
    cs = d["spec"]["template"]["spec"]["containers"]
    assert len(cs) == 1, "want one container, got %d" % len(cs)
    return d, cs[0]


def crd_schema(kind):
    crd = find(render("base"), "CustomResourceDefinition", "%ss.metrics.falcon" % kind.lower())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- rendering --------------------------------------------------------------------------------


@test
def every_kustomization_renders_offline():
    for which in ["deploy", "base", "quick-start", "production", "samples"]:
        objs = render(which)
        assert objs, "%s rendered nothing" % which
    assert kinds_names(render("base")) == BASE_OBJECTS, \
        "base objects differ:\n missing %s\n extra %s" % (BASE_OBJECTS - kinds_names(render("base")),
                                                           kinds_names(render("base")) - BASE_OBJECTS)
    assert kinds_names(render("quick-start")) == BASE_OBJECTS
    assert kinds_names(render("deploy")) == BASE_OBJECTS, "deploy/ is not the quick start"
    assert render("deploy") == render("quick-start"), "deploy/ renders other objects than the quick start"
    prod = kinds_names(render("production"))
    secrets = {n for k, n in prod if k == "Secret"}
    assert prod - {("Secret", n) for n in secrets} == BASE_OBJECTS, prod
    assert len(secrets) == 1 and next(iter(secrets)).startswith(NAME + "-tls-"), secrets


@test
def production_without_certificates_says_what_is_missing():
    d = os.path.join(tlsutil.tmpdir("deploy-nocerts"), "deploy")
    shutil.copytree(DEPLOY, d)
    rc, out, err = sh([kubectl(), "kustomize", os.path.join(d, "overlays", "production")])
    assert rc != 0, "production rendered without certificates"
    assert "certs/" in err, "the error does not point at certs/: %s" % err


@test
def certs_directory_is_git_ignored():
    ign = read(os.path.join(DEPLOY, "overlays", "production", "certs", ".gitignore")).decode()
    lines = [l for l in ign.splitlines() if l and not l.startswith("#")]
    assert lines == ["*", "!.gitignore"], lines


@test
def only_current_api_versions():
    for which in ["deploy", "production", "samples"]:
        for o in render(which):
            want = API_VERSION.get(o["kind"])
            assert want, "%s: unexpected kind %s" % (which, o["kind"])
            assert o["apiVersion"] == want, "%s %s: apiVersion %s, want %s" % (
                o["kind"], o["metadata"]["name"], o["apiVersion"], want)
    for root, _, files in os.walk(DEPLOY):
        for f in files:
            text = read(os.path.join(root, f)).decode("utf-8", "replace")
            m = REMOVED.search(text)
            assert not m, "%s mentions the removed API version %s" % (os.path.join(root, f), m.group(0))


@test
def names_namespaces_and_labels():
    for which in ["deploy", "production"]:
        for o in render(which):
            md, k = o["metadata"], o["kind"]
            if k in CLUSTER_SCOPED:
                assert "namespace" not in md, "%s %s is cluster-scoped but has a namespace" % (k, md["name"])
            elif k == "RoleBinding":
                assert md["namespace"] == "kube-system", md
            else:
                assert md.get("namespace") == NS, "%s %s: namespace %s" % (k, md["name"], md.get("namespace"))
            if k != "Secret":
                assert md.get("labels", {}).get("app.kubernetes.io/name") == NAME, "%s %s unlabelled" % (k, md["name"])


# ---- the Deployment and what points at it -------------------------------------------------------


@test
def deployment_replicas_selectors_and_affinity():
    objs = render("deploy")
    d, c = container(objs)
    spec, pod = d["spec"], d["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert spec["replicas"] == 2, spec["replicas"]
    sel = spec["selector"]["matchLabels"]
    assert sel and all(labels.get(k) == v for k, v in sel.items()), (sel, labels)
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    svc = find(objs, "Service", NAME)
    assert svc["spec"]["selector"] == sel, "Service selector %s vs pods %s" % (svc["spec"]["selector"], labels)
    pdb = find(objs, "PodDisruptionBudget", NAME)
    assert pdb["spec"]["selector"]["matchLabels"] == sel
    assert pdb["spec"]["minAvailable"] == 1
    aff = pod["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert aff["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert aff["podAffinityTerm"]["labelSelector"]["matchLabels"] == sel
    sa = pod["spec"]["serviceAccountName"]
    assert ("ServiceAccount", sa) in kinds_names(objs), "no ServiceAccount %s" % sa
    image = c["image"]
    want = "localhost/metrics-adapter:" + read_version()
    assert image == want, "image %s, want %s (the name ./build.sh image gives the archive)" % (image, want)
    assert c["imagePullPolicy"] == "IfNotPresent", c["imagePullPolicy"]
    mkoci = os.path.join(REPO, "scratch-image", "mkoci.py")
    if os.path.exists(mkoci):  # the image builder names the image; both must agree
        src = read(mkoci).decode()
        assert 'REF_BASE = "localhost/" + NAME' in src and 'NAME = "metrics-adapter"' in src, \
            "scratch-image/mkoci.py no longer names the image localhost/metrics-adapter"


@test
def deployment_is_locked_down():
    _, c = container(render("deploy"))
    pod = find(render("deploy"), "Deployment", NAME)["spec"]["template"]["spec"]
    psc, sc = pod["securityContext"], c["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 65534 and psc["runAsGroup"] == 65534, psc
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}, psc
    assert sc["readOnlyRootFilesystem"] is True, sc
    assert sc["allowPrivilegeEscalation"] is False, sc
    assert sc["capabilities"] == {"drop": ["ALL"]}, sc
    assert "privileged" not in sc and not pod.get("hostNetwork") and not pod.get("hostPID")
    r = c["resources"]
    assert r["requests"] == {"cpu": "10m", "memory": "16Mi"}, r
    assert r["limits"] == {"memory": "64Mi"}, r


@test
def probes_use_the_https_container_port():
    objs = render("deploy")
    _, c = container(objs)
    ports = {p["name"]: p for p in c["ports"]}
    assert set(ports) == {"https"}, ports
    for probe, path in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz")]:
        g = c[probe]["httpGet"]
        assert g["path"] == path and g["scheme"] == "HTTPS", (probe, g)
        assert g["port"] in ports, "%s port %s is no container port" % (probe, g["port"])
    want_port = "--secure-port=%d" % ports["https"]["containerPort"]
    assert want_port in c["args"], "args %s lack %s" % (c["args"], want_port)


@test
def service_and_apiservices_agree():
    objs = render("deploy")
    _, c = container(objs)
    svc = find(objs, "Service", NAME)
    cports = {p["name"] for p in c["ports"]}
    by_number = {p["port"]: p for p in svc["spec"]["ports"]}
    for p in svc["spec"]["ports"]:
        assert p["targetPort"] in cports, "Service port %s targets %s, not a container port name" % (
            p["name"], p["targetPort"])
        assert p["name"] in cports, "Service port name %s is no container port name (EndpointSlice " \
                                    "ports carry the Service port name)" % p["name"]
    for name, (group, version, prio) in APISERVICES.items():
        a = find(objs, "APIService", name)
        s = a["spec"]
        assert (s["group"], s["version"], s["versionPriority"]) == (group, version, prio), s
        assert name == "%s.%s" % (version, group)
        assert s["groupPriorityMinimum"] == 100, s
        ref = s["service"]
        assert (ref["name"], ref["namespace"]) == (svc["metadata"]["name"], svc["metadata"]["namespace"]), ref
        assert ref.get("port", 443) in by_number, "APIService %s uses port %s, Service has %s" % (
            name, ref.get("port", 443), sorted(by_number))


@test
def falcon_settings_come_from_the_secret():
    _, c = container(render("deploy"))
    pod = find(render("deploy"), "Deployment", NAME)["spec"]["template"]["spec"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c["env"]}
    assert env["FALCON_API_URL"]["name"] == "metrics-adapter-falcon" and env["FALCON_API_URL"]["key"] == "url"
    assert env["FALCON_API_NAME"]["name"] == "metrics-adapter-falcon" and env["FALCON_API_NAME"]["key"] == "name"
    assert "FALCON_API_SIG" not in env, "the sig must come from a file, not the environment"
    sig = [a.split("=", 1)[1] for a in c["args"] if a.startswith("--falcon-api-sig-file=")]
    assert len(sig) == 1, c["args"]
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = [m for m in c["volumeMounts"] if sig[0].startswith(m["mountPath"].rstrip("/") + "/")]
    assert len(mounts) == 1, "no mount holds %s: %s" % (sig[0], c["volumeMounts"])
    v = vols[mounts[0]["name"]]["secret"]
    assert v["secretName"] == "metrics-adapter-falcon", v
    rel = sig[0][len(mounts[0]["mountPath"].rstrip("/")) + 1:]
    assert [i["path"] for i in v["items"] if i["key"] == "sig"] == [rel], (v, rel)


@test
def deployment_args_are_flags_of_the_binary():
    """Every argument of both variants parses: `BIN <args> --help` exits 0 only when no flag before
    --help is unknown or malformed (the parser stops at the first bad one with exit 2)."""
    rc, usage = tlsutil.run_adapter_expect_exit(["--help"])
    assert rc == 0, usage
    if "--falcon-api-sig-file" not in usage:
        skip("this binary predates the Open-Falcon flags (issue 4)")
    for which in ["quick-start", "production"]:
        _, c = container(render(which))
        rc, out = tlsutil.run_adapter_expect_exit(c["args"] + ["--help"])
        assert rc == 0, "%s args %s refused: %s" % (which, c["args"], out.strip().splitlines()[-1:])


# ---- RBAC -------------------------------------------------------------------------------------


def rules_allow(rules, group, resource, verb):
    return any((group in r.get("apiGroups", []) or "*" in r.get("apiGroups", []))
               and (resource in r.get("resources", []) or "*" in r.get("resources", []))
               and (verb in r["verbs"] or "*" in r["verbs"]) for r in rules)


@test
def rbac_bindings_point_at_existing_roles_and_accounts():
    objs = render("deploy")
    names = kinds_names(objs)
    for b in [o for o in objs if o["kind"] in ("ClusterRoleBinding", "RoleBinding")]:
        ref = b["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io", ref
        assert (ref["kind"], ref["name"]) in names | BUILTIN_ROLES, "%s refers to missing %s" % (
            b["metadata"]["name"], ref)
        for s in b["subjects"]:
            assert s["kind"] == "ServiceAccount", s
            if (s["namespace"], s["name"]) == ("kube-system", "horizontal-pod-autoscaler"):
                continue
            assert s["namespace"] == NS and ("ServiceAccount", s["name"]) in names, \
                "%s binds missing ServiceAccount %s/%s" % (b["metadata"]["name"], s["namespace"], s["name"])


def bound_rules(objs, ns, sa):
    """Rules granted to ServiceAccount ns/sa by the rendered ClusterRoleBindings (own ClusterRoles)."""
    rules = []
    for b in [o for o in objs if o["kind"] == "ClusterRoleBinding"]:
        if any(s["namespace"] == ns and s["name"] == sa for s in b["subjects"]):
            roles = [o for o in objs if o["kind"] == "ClusterRole" and o["metadata"]["name"] == b["roleRef"]["name"]]
            for r in roles:
                rules += r["rules"]
    return rules


@test
def rbac_grants_what_the_adapter_and_the_hpa_need_and_no_more():
    objs = render("deploy")
    rules = bound_rules(objs, NS, NAME)
    for res in ["pods", "namespaces"]:
        for verb in ["get", "list", "watch"]:
            assert rules_allow(rules, "", res, verb), "adapter cannot %s %s" % (verb, res)
    for res in ["custommetrics", "externalmetrics"]:
        for verb in ["get", "list", "watch"]:
            assert rules_allow(rules, "metrics.falcon", res, verb), "adapter cannot %s %s" % (verb, res)
    for verb in ["create", "update", "patch", "delete"]:
        assert not rules_allow(rules, "", "pods", verb), "adapter may %s pods" % verb
    assert not rules_allow(rules, "", "pods/exec", "create"), "pods/exec granted"
    assert not rules_allow(rules, "", "secrets", "get"), "the adapter may read Secrets"
    for o in objs:
        for r in o.get("rules", []):
            assert "pods/exec" not in r.get("resources", []), "pods/exec in %s" % o["metadata"]["name"]
    b = find(objs, "ClusterRoleBinding", NAME + ":system:auth-delegator")
    assert b["roleRef"]["name"] == "system:auth-delegator" and b["subjects"][0]["name"] == NAME
    rb = find(objs, "RoleBinding", NAME + ":extension-apiserver-authentication-reader")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                             "name": "extension-apiserver-authentication-reader"}, rb["roleRef"]
    hpa = bound_rules(objs, "kube-system", "horizontal-pod-autoscaler")
    for group in ["custom.metrics.k8s.io", "external.metrics.k8s.io"]:
        for verb in ["get", "list"]:
            assert rules_allow(hpa, group, "pods/cpu.busy", verb), "HPA cannot %s %s" % (verb, group)
        assert not rules_allow(hpa, group, "x", "create"), "HPA role grants writes"


# ---- TLS per variant --------------------------------------------------------------------------


def tls_args(objs):
    _, c = container(objs)
    return [a for a in c["args"] if a.startswith("--tls-")]


@test
def base_apiservices_carry_no_trust_setting():
    for a in find(render("base"), "APIService"):
        assert "caBundle" not in a["spec"] and "insecureSkipTLSVerify" not in a["spec"], a["spec"]


@test
def quick_start_skips_verification_and_says_so():
    objs = render("quick-start")
    for a in find(objs, "APIService"):
        assert a["spec"].get("insecureSkipTLSVerify") is True and "caBundle" not in a["spec"], a["spec"]
        assert "not for production" in a["metadata"].get("annotations", {}).get("metrics-adapter/tls", ""), \
            a["metadata"]
    assert tls_args(objs) == [], "quick start must use the in-memory certificate: %s" % tls_args(objs)
    text = read(os.path.join(DEPLOY, "overlays", "quick-start", "kustomization.yaml")).decode()
    assert "NOT FOR PRODUCTION" in text, "quick-start kustomization is not clearly labelled"


@test
def production_trusts_the_generated_ca_and_serves_the_generated_certificate():
    objs = render("production")
    certs = os.path.join(prod_tree(), "overlays", "production", "certs")
    bundle = base64.b64encode(read(os.path.join(certs, "ca.crt"))).decode()
    for a in find(objs, "APIService"):
        assert a["spec"].get("caBundle") == bundle, "APIService %s caBundle is not ca.crt" % a["metadata"]["name"]
        assert a["spec"].get("insecureSkipTLSVerify") is False, a["spec"]
    d, c = container(objs)
    pod = d["spec"]["template"]["spec"]
    args = dict(a.split("=", 1) for a in tls_args(objs))
    assert set(args) == {"--tls-cert-file", "--tls-private-key-file"}, args
    secret = find(objs, "Secret")[0]
    assert secret["type"] == "kubernetes.io/tls", secret["type"]
    assert base64.b64decode(secret["data"]["tls.crt"]) == read(os.path.join(certs, "tls.crt"))
    assert base64.b64decode(secret["data"]["tls.key"]) == read(os.path.join(certs, "tls.key"))
    vols = {v["name"]: v for v in pod["volumes"]}
    for flag, key in [("--tls-cert-file", "tls.crt"), ("--tls-private-key-file", "tls.key")]:
        path = args[flag]
        m = [m for m in c["volumeMounts"] if os.path.join(m["mountPath"], key) == path]
        assert len(m) == 1, "%s=%s is not %s of a mounted volume: %s" % (flag, path, key, c["volumeMounts"])
        assert vols[m[0]["name"]]["secret"]["secretName"] == secret["metadata"]["name"], \
            "the Deployment mounts %s, the Secret is %s" % (vols[m[0]["name"]], secret["metadata"]["name"])
    # everything else is as in the quick start
    q = copy.deepcopy(find(render("quick-start"), "Deployment", NAME))
    p = copy.deepcopy(d)
    for x in (q, p):
        cc = x["spec"]["template"]["spec"]["containers"][0]
        cc["args"] = [a for a in cc["args"] if not a.startswith("--tls-")]
        cc["volumeMounts"] = [m for m in cc["volumeMounts"] if m["name"] != "tls"]
        x["spec"]["template"]["spec"]["volumes"] = [v for v in x["spec"]["template"]["spec"]["volumes"]
                                                    if v["name"] != "tls"]
    assert p == q, "the production Deployment differs from the quick start beyond TLS"


class NamedAdapter(Adapter):
    """An adapter whose certificate names a Service: the start-up probe asks for that name."""

    def __init__(self, server_name, *args, **kw):
        self.server_name = server_name
        super().__init__(*args, **kw)

    def _tls_connect(self, timeout=5.0, hostname=None, alpn=None, ctx=None):
        return super()._tls_connect(timeout, self.server_name, alpn, ctx)


@test
def production_objects_verify_as_kube_apiserver_verifies():
    """What kube-apiserver does with the rendered objects: dial the APIService's Service name with
    its caBundle as the only root, reaching a pod that serves the Secret's certificate. Done with
    Go's TLS stack (kubectl) on the discovery path the aggregator probes."""
    objs = render("production")
    tmp = tlsutil.tmpdir("deploy-tls")
    secret = find(objs, "Secret")[0]
    files = {}
    for key in ["tls.crt", "tls.key"]:
        files[key] = os.path.join(tmp, key)
        with open(files[key], "wb") as f:
            f.write(base64.b64decode(secret["data"][key]))
    os.chmod(files["tls.key"], 0o600)
    a = NamedAdapter(None, "--tls-cert-file=" + files["tls.crt"], "--tls-private-key-file=" + files["tls.key"],
                     name="production-certificate adapter", cert_dir=False)
    kube = kubectl()
    for api in find(objs, "APIService"):
        ref = api["spec"]["service"]
        server_name = "%s.%s.svc" % (ref["name"], ref["namespace"])  # what the aggregator dials
        ca = os.path.join(tmp, api["metadata"]["name"] + ".ca")
        with open(ca, "wb") as f:
            f.write(base64.b64decode(api["spec"]["caBundle"]))
        a.server_name, a._cafile = server_name, ca
        path = "/apis/%s/%s" % (api["spec"]["group"], api["spec"]["version"])
        rc, out, err = sh([kube, "get", "--raw", path, "--server", "https://127.0.0.1:%d" % a.port,
                           "--certificate-authority", ca, "--tls-server-name", server_name,
                           "--token", "unused", "--request-timeout", "10s"])
        assert rc == 0, "%s via %s with the caBundle: %s" % (path, server_name, err)
        assert json.loads(out)["groupVersion"] == "%s/%s" % (api["spec"]["group"], api["spec"]["version"]), out
    rc, out, err = sh([kube, "get", "--raw", "/healthz", "--server", "https://127.0.0.1:%d" % a.port,
                       "--certificate-authority", ca, "--tls-server-name", "metrics-adapter.kube-system.svc",
                       "--token", "unused", "--request-timeout", "10s"])
    assert rc != 0 and "x509" in err, "a Service name the certificate lacks was accepted: %s %s" % (out, err)


# ---- CRDs -------------------------------------------------------------------------------------


@test
def crds_are_structural_with_names_columns_and_rules():
    base = render("base")
    for kind, short, col in [("CustomMetric", "fcm", "Endpoint"), ("ExternalMetric", "fem", "Endpoints")]:
        crd = find(base, "CustomResourceDefinition", "%ss.metrics.falcon" % kind.lower())
        s = crd["spec"]
        assert s["group"] == "metrics.falcon" and s["scope"] == "Namespaced", s
        assert s["preserveUnknownFields"] is False, "needed to take over the original's v1beta1-made CRD"
        assert s["names"]["kind"] == kind and s["names"]["plural"] == kind.lower() + "s", s["names"]
        assert s["names"]["shortNames"] == [short], s["names"]
        assert [v["name"] for v in s["versions"]] == ["v1alpha1"], s["versions"]
        v = s["versions"][0]
        assert v["served"] and v["storage"], v
        cols = {c["name"]: c for c in v["additionalPrinterColumns"]}
        assert cols["Counter"]["jsonPath"] == ".spec.metric.counter", cols
        assert col in cols, cols
        assert cols["Age"] == {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}, cols
        probs = crdschema.structural_problems(v["schema"]["openAPIV3Schema"])
        assert not probs, "\n".join(probs)
    cm = crd_schema("CustomMetric")["properties"]["spec"]
    assert len(cm["x-kubernetes-validations"]) == 2, cm.get("x-kubernetes-validations")


# The original adapter's objects (spec/falcon.md 1.4), as kubectl and its Go client write them:
# the Go type has no omitempty on endpoint, so objects it created carry "endpoint": "".
ORIGINAL = [
    {"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
     "metadata": {"name": "cpu.busy", "namespace": "custom-metrics-test"},
     "spec": {"metric": {"counter": "cpu.busy"}}},
    {"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
     "metadata": {"name": "net.if.in.bytes-iface-equal-eth0", "namespace": "custom-metrics-test"},
     "spec": {"metric": {"counter": "net.if.in.bytes/iface=eth0"}}},
    {"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
     "metadata": {"name": "disk.io.util", "namespace": "default"},
     "spec": {"metric": {"counter": "disk.io.util/device=sda", "endpoint": ""}}},
    {"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
     "metadata": {"name": "qps", "namespace": "default"},
     "spec": {"metric": {"counter": "qps/module=api,idc=bj", "endpoint": "web-01"}}},
]


def custom(spec):
    return {"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric",
            "metadata": {"name": "m", "namespace": "ns"}, "spec": spec}


def external(spec):
    return {"apiVersion": "metrics.falcon/v1alpha1", "kind": "ExternalMetric",
            "metadata": {"name": "m", "namespace": "ns"}, "spec": spec}


GOOD = [
    custom({"metric": {"counter": "cpu.busy", "endpoint": "{pod}"}}),
    custom({"metric": {"counter": "cpu.busy/", "endpoint": "{hostname}.{namespace}"}}),
    custom({"metric": {"counter": "x/k=", "endpoint": "node-{node}"}}),  # empty tag value is a value
    custom({"metric": {"counter": "cpu.busy", "endpoint": None}}),  # null is dropped
    custom({"metric": {"counter": "http.qps", "endpoint": "{name}.{namespace}"},
            "target": {"resource": "deployments.apps"}, "cacheTTLSeconds": 0, "staleAfterSeconds": 300,
            "stalePolicy": "omit"}),
    custom({"metric": {"counter": "lb.qps", "endpoint": "lb-01"}, "target": {"resource": "services"},
            "cacheTTLSeconds": 86400, "staleAfterSeconds": 2592000, "stalePolicy": "zero"}),
    custom({"metric": {"counter": "ns.qps", "endpoint": "{namespace}"}, "target": {"resource": "namespaces"}}),
    custom({"metric": {"counter": "cpu.busy"}, "target": {"resource": "pods"}, "unknownField": 1}),
    custom({"metric": {"counter": "c" * 512, "endpoint": "e" * 255}}),
    custom({"metric": {"counter": "a/k=v=w,j=x/y", "endpoint": "x{podIP}y"}, "cacheTTLSeconds": 5.0}),
    external({"metric": {"counter": "mq.depth/queue=a"}, "endpoints": ["b1"]}),
    external({"metric": {"counter": "mq.depth"}, "endpoints": ["b%d" % i for i in range(64)], "mode": "max"}),
]

BAD = [  # (object, a substring of one of the problems)
    (custom({}), "spec: metric is required"),
    ({"apiVersion": "metrics.falcon/v1alpha1", "kind": "CustomMetric", "metadata": {"name": "m"}}, "spec is required"),
    (custom({"metric": {"endpoint": "x"}}), "spec.metric: counter is required"),
    (custom({"metric": {"counter": None}}), "counter is required"),
    (custom({"metric": {"counter": ""}}), "spec.metric.counter: shorter than 1"),
    (custom({"metric": {"counter": 5}}), "spec.metric.counter: must be string"),
    (custom({"metric": {"counter": "c" * 513}}), "longer than 512"),
    (custom({"metric": {"counter": "cpu busy"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a/b"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a/=v"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a/k=v,,j=w"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a/k=v,"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "/k=v"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a\"b"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a", "endpoint": "{foo}"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "{pod"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "pod}"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "a>b"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "e" * 256}}), "longer than 255"),
    (custom({"metric": {"counter": "a", "endpoint": 7}}), "must be string"),
    (custom({"metric": {"counter": "a"}, "stalePolicy": "never"}), "spec.stalePolicy"),
    (custom({"metric": {"counter": "a"}, "stalePolicy": "Zero"}), "spec.stalePolicy"),
    (custom({"metric": {"counter": "a"}, "cacheTTLSeconds": -1}), "spec.cacheTTLSeconds: below 0"),
    (custom({"metric": {"counter": "a"}, "cacheTTLSeconds": 86401}), "spec.cacheTTLSeconds: above"),
    (custom({"metric": {"counter": "a"}, "cacheTTLSeconds": "50"}), "spec.cacheTTLSeconds: must be integer"),
    (custom({"metric": {"counter": "a"}, "cacheTTLSeconds": 1.5}), "spec.cacheTTLSeconds: must be integer"),
    (custom({"metric": {"counter": "a"}, "staleAfterSeconds": 0}), "spec.staleAfterSeconds: below 1"),
    (custom({"metric": {"counter": "a"}, "target": "pods"}), "spec.target: must be object"),
    (custom({"metric": {"counter": "a"}, "target": {"resource": "Deployments"}}), "spec.target.resource"),
    (custom({"metric": {"counter": "a"}, "target": {"resource": ""}}), "spec.target.resource: shorter than 1"),
    (custom({"metric": {"counter": "a"}, "target": {"resource": "a" * 64}}), "spec.target.resource"),
    (custom({"metric": {"counter": "a"}, "cacheTTLSeconds": True}), "spec.cacheTTLSeconds: must be integer"),
    (custom({"metric": {"counter": "a/k=v,j=w,"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a\tb"}}), "spec.metric.counter"),
    (custom({"metric": {"counter": "a", "endpoint": "{}"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "{{pod}}"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a", "endpoint": "{Pod}"}}), "spec.metric.endpoint"),
    (custom({"metric": {"counter": "a"}, "target": {"resource": "deployments..apps"}}), "spec.target.resource"),
    (custom({"metric": {"counter": "a"}, "target": {"resource": "deployments.apps"}}),
     "spec.metric.endpoint is required when spec.target.resource is not pods"),
    (custom({"metric": {"counter": "a", "endpoint": ""}, "target": {"resource": "namespaces"}}),
     "spec.metric.endpoint is required"),
    (custom({"metric": {"counter": "a", "endpoint": "{pod}.x"}, "target": {"resource": "services"}}),
     "only {name} and {namespace} apply"),
    (custom({"metric": {"counter": "a", "endpoint": "{node}"}, "target": {"resource": "deployments.apps"}}),
     "only {name} and {namespace} apply"),
    (external({"metric": {"counter": "a"}}), "spec: endpoints is required"),
    (external({"endpoints": ["b"]}), "spec: metric is required"),
    (external({"metric": {"counter": "a"}, "endpoints": []}), "spec.endpoints: fewer than 1"),
    (external({"metric": {"counter": "a"}, "endpoints": "b1"}), "spec.endpoints: must be array"),
    (external({"metric": {"counter": "a"}, "endpoints": ["b1", "b1"]}), "duplicate value 'b1'"),
    (external({"metric": {"counter": "a"}, "endpoints": ["b%d" % i for i in range(65)]}), "more than 64"),
    (external({"metric": {"counter": "a"}, "endpoints": ["{name}"]}), "spec.endpoints[0]"),
    (external({"metric": {"counter": "a"}, "endpoints": [""]}), "spec.endpoints[0]: shorter than 1"),
    (external({"metric": {"counter": "a"}, "endpoints": [3]}), "spec.endpoints[0]: must be string"),
    (external({"metric": {"counter": "a b"}, "endpoints": ["b"]}), "spec.metric.counter"),
    (external({"metric": {"counter": "a"}, "endpoints": ["b"], "mode": "median"}), "spec.mode"),
    (external({"metric": {"counter": "a"}, "endpoints": ["b"], "staleAfterSeconds": 2592001}), "above"),
]


def check_obj(o):
    return crdschema.validate(crd_schema(o["kind"]), o)


@test
def schemas_accept_the_samples():
    crs = [o for o in render("samples") if o["kind"] in ("CustomMetric", "ExternalMetric")]
    assert sorted((o["kind"], o["metadata"]["name"]) for o in crs) == [
        ("CustomMetric", "cpu.busy"), ("CustomMetric", "net.if.in.bytes-iface-equal-eth0"),
        ("ExternalMetric", "queue-depth")], crs
    for o in crs:
        errs = check_obj(o)
        assert not errs, "%s %s refused: %s" % (o["kind"], o["metadata"]["name"], errs)


@test
def schemas_accept_the_original_adapters_objects():
    for o in ORIGINAL:
        errs = check_obj(o)
        assert not errs, "original %s refused: %s" % (o["metadata"]["name"], errs)


@test
def schemas_accept_every_documented_field():
    for o in GOOD:
        errs = check_obj(o)
        assert not errs, "%s refused: %s" % (json.dumps(o["spec"])[:120], errs)


@test
def schemas_refuse_broken_objects():
    for o, want in BAD:
        errs = check_obj(o)
        assert errs, "accepted: %s" % json.dumps(o.get("spec"))[:160]
        assert any(want in e for e in errs), "%s: problems %s lack %r" % (json.dumps(o.get("spec"))[:120], errs, want)


@test
def samples_are_the_original_walk_through_on_current_apis():
    objs = render("samples")
    assert all(o["metadata"].get("namespace") == "custom-metrics-test" for o in objs if o["kind"] != "Namespace")
    d = find(objs, "Deployment", "test-sample")
    labels = d["spec"]["template"]["metadata"]["labels"]
    assert d["spec"]["selector"]["matchLabels"] == {"app": "test-sample"} == labels
    assert d["spec"]["template"]["spec"]["containers"][0]["name"] == "test-sample"
    hpas = {h["metadata"]["name"]: h for h in find(objs, "HorizontalPodAutoscaler")}
    h = hpas["test-sample"]["spec"]
    assert h["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "test-sample"}
    assert (h["minReplicas"], h["maxReplicas"]) == (2, 5)
    got = [(m["type"], m["pods"]["metric"]["name"], m["pods"]["target"]) for m in h["metrics"]]
    assert got == [("Pods", "cpu.busy", {"type": "AverageValue", "averageValue": "30"}),
                   ("Pods", "net.if.in.bytes-iface-equal-eth0", {"type": "AverageValue", "averageValue": "52428800"})], got
    cms = {o["metadata"]["name"] for o in find(objs, "CustomMetric")}
    assert {m["pods"]["metric"]["name"] for m in h["metrics"]} <= cms, "an HPA metric has no CustomMetric"
    # the external HPA: its own target (one HPA per scale target), an ExternalMetric by that name
    targets = [x["spec"]["scaleTargetRef"]["name"] for x in hpas.values()]
    assert len(targets) == len(set(targets)), "two HPAs scale the same Deployment: %s" % targets
    ext = [m for x in hpas.values() for m in x["spec"]["metrics"] if m["type"] == "External"]
    assert ext, "no HPA uses an external metric"
    fems = {o["metadata"]["name"] for o in find(objs, "ExternalMetric")}
    for m in ext:
        assert m["external"]["metric"]["name"] in fems, m
    for x in hpas.values():
        find(objs, "Deployment", x["spec"]["scaleTargetRef"]["name"])


if __name__ == "__main__":
    run()
