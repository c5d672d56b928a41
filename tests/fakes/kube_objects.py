"""Kubernetes objects for the fake kube-apiserver: JSON encoded as Go does, metav1.Status,
label/field selectors, served resources with their stored records, realistic Pod and CustomMetric
objects. Standard library only."""

import collections
import copy
import json
import os
import re
import time
import uuid

DEBUG = bool(os.environ.get("FAKE_KUBE_DEBUG"))

# ---- JSON the way Go writes it -------------------------------------------------------------------

_GO_ESC = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                         "\u2028": "\\u2028", "\u2029": "\\u2029"})


def go_json(value, sort_keys=False):
    """Compact JSON as encoding/json writes it (UTF-8, HTML-safe escapes)."""
    s = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = s.translate(_GO_ESC)
    return s.encode("utf-8")


def rfc3339(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def status_obj(code, reason, message, details=None, list_continue=None):
    """A metav1.Status (failure) in the wire field order."""
    d = {"kind": "Status", "apiVersion": "v1",
         "metadata": {} if list_continue is None else {"continue": list_continue},
         "status": "Failure", "message": message}
    if reason:
        d["reason"] = reason
    if details is not None:
        d["details"] = details
    d["code"] = code
    return d


UNAUTHORIZED = status_obj(401, "Unauthorized", "Unauthorized")
NOT_FOUND_ROUTE = status_obj(404, "NotFound", "the server could not find the requested resource",
                             details={})
CONTINUE_EXPIRED_MSG = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first "
    "chunk was returned and now may show up in the list.")

META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
              "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
              "labels", "annotations", "ownerReferences", "finalizers", "managedFields")


class ApiError(Exception):
    """Raised inside request handling; becomes a Status response."""

    def __init__(self, code, reason, message, details=None, list_continue=None):
        super().__init__(message)
        self.status = status_obj(code, reason, message, details, list_continue)
        self.code = code


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


# ---- selectors -----------------------------------------------------------------------------------

_QNAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LVALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SEL_STOP = set(" \t\n\r!=(),<>")


def _sel_lex(s):
    toks, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t\n\r":
            i += 1
        elif s.startswith("!=", i) or s.startswith("==", i):
            toks.append(("op", s[i:i + 2]))
            i += 2
        elif c in "=<>":
            toks.append(("op", c))
            i += 1
        elif c in "!(),":
            toks.append((c, c))
            i += 1
        else:
            j = i
            while j < n and s[j] not in _SEL_STOP:
                j += 1
            toks.append(("id", s[i:j]))
            i = j
    return toks


def parse_label_selector(s):
    """Kubernetes label selector -> list of (key, op, values); op in exists, !, =, !=, in, notin,
    gt, lt. Raises ValueError with a message on bad syntax."""
    toks = _sel_lex(s)
    reqs, p = [], 0

    def peek():
        return toks[p] if p < len(toks) else (None, None)

    def key_at(tok):
        if tok[0] != "id":
            raise ValueError("found '%s', expected: identifier" % (tok[1] or "EOS"))
        if len(tok[1].rsplit("/", 1)[-1]) > 63 or not _QNAME.match(tok[1]):
            raise ValueError("invalid label key %r" % tok[1])
        return tok[1]

    def value_check(v):
        if len(v) > 63 or not _LVALUE.match(v):
            raise ValueError("invalid label value: %r" % v)
        return v

    while p < len(toks):
        t = peek()
        if t[0] == "!":
            p += 1
            reqs.append((key_at(peek()), "!", ()))
            p += 1
        else:
            key = key_at(t)
            p += 1
            t = peek()
            if t[0] is None or t[0] == ",":
                reqs.append((key, "exists", ()))
            elif t[0] == "op":
                p += 1
                v = peek()
                if v[0] == "id":
                    p += 1
                    val = v[1]
                elif v[0] in (None, ","):
                    val = ""
                else:
                    raise ValueError("found '%s', expected: identifier for value" % v[1])
                op = {"=": "=", "==": "=", "!=": "!=", ">": "gt", "<": "lt"}[t[1]]
                if op in ("gt", "lt"):
                    try:
                        int(val)
                    except ValueError:
                        raise ValueError("for 'Gt', 'Lt' operators, the value must be an integer")
                else:
                    value_check(val)
                reqs.append((key, op, (val,)))
            elif t[0] == "id" and t[1] in ("in", "notin"):
                p += 1
                if peek()[0] != "(":
                    raise ValueError("found '%s', expected: '('" % (peek()[1] or "EOS"))
                p += 1
                vals = []
                while True:
                    v = peek()
                    if v[0] == "id":
                        vals.append(value_check(v[1]))
                        p += 1
                        v = peek()
                    elif v[0] in (",", ")"):
                        vals.append("")
                    if v[0] == ",":
                        p += 1
                        continue
                    if v[0] == ")":
                        p += 1
                        break
                    raise ValueError("found '%s', expected: ',' or ')'" % (v[1] or "EOS"))
                if vals == [""]:
                    raise ValueError("for 'in', 'notin' operators, values set can't be empty")
                reqs.append((key, t[1], tuple(vals)))
            else:
                raise ValueError("found '%s', expected: in, notin, =, ==, !=, gt, lt" % t[1])
        t = peek()
        if t[0] is None:
            break
        if t[0] != ",":
            raise ValueError("found '%s', expected: ',' or 'end of string'" % t[1])
        p += 1
        if p >= len(toks):
            raise ValueError("found 'EOS', expected: identifier after ','")
    return reqs


def label_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "exists":
            ok = has
        elif op == "!":
            ok = not has
        elif op in ("=", "in"):
            ok = has and v in vals
        elif op in ("!=", "notin"):
            ok = not has or v not in vals
        else:
            try:
                ok = has and (int(v) > int(vals[0]) if op == "gt" else int(v) < int(vals[0]))
            except ValueError:
                ok = False
        if not ok:
            return False
    return True


def _unescape_field(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append(v[i + 1])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_field_selector(s, allowed):
    """fieldSelector -> list of (field, op, value); op in =, !=."""
    reqs = []
    if not s:
        return reqs
    terms = re.split(r"(?<!\\),", s)
    for term in terms:
        m = re.match(r"^(.*?)(!=|==|=)(.*)$", term)
        if not m:
            raise ValueError("invalid selector: '%s'; can't understand '%s'" % (s, term))
        f = m.group(1).strip()
        if f not in allowed:
            raise ValueError("field label not supported: %s" % f)
        reqs.append((f, "!=" if m.group(2) == "!=" else "=", _unescape_field(m.group(3))))
    return reqs


def _dig(obj, dotted):
    v = obj
    for part in dotted.split("."):
        if not isinstance(v, dict):
            return None
        v = v.get(part)
    return v


def field_value(obj, field):
    v = _dig(obj, field)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


POD_FIELDS = ("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
              "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
              "status.podIP", "status.nominatedNodeName")


class _Pred:
    """namespace + label selector + field selector filter of a LIST or WATCH."""

    def __init__(self, ns=None, labels=(), fields=()):
        self.ns = ns
        self.labels = labels
        self.fields = fields
        self.selects = bool(labels or fields)

    def __call__(self, obj):
        md = obj.get("metadata") or {}
        if self.ns is not None and md.get("namespace") != self.ns:
            return False
        if self.labels and not label_match(self.labels, md.get("labels")):
            return False
        for f, op, v in self.fields:
            if (field_value(obj, f) == v) != (op == "="):
                return False
        return True


# ---- resources and records -----------------------------------------------------------------------

class Resource:
    """One group/version/resource served by the fake. `objects` maps key ("ns/name" or "name") to
    _Rec; read it only under the fake's lock."""

    def __init__(self, group, version, plural, kind, namespaced=True, singular=None,
                 short_names=(), verbs=None, fields=None, hook=None):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.singular = singular or kind.lower()
        self.short_names = list(short_names)
        self.core = group == ""
        self.api_version = version if self.core else "%s/%s" % (group, version)
        self.list_kind = kind + "List"
        self.verbs = verbs or ["create", "delete", "deletecollection", "get", "list", "patch",
                               "update", "watch"]
        self.fields = tuple(fields or ("metadata.name", "metadata.namespace"))
        self.hook = hook   # POST-only virtual resources (TokenReview, SubjectAccessReview)
        self.objects = {}
        self._sorted = None
        if self.core:
            self._prefix = b'{"kind":' + go_json(kind) + b',"apiVersion":' + go_json(version) + b","
        self.gr = plural if self.core else "%s.%s" % (plural, group)

    def key(self, namespace, name):
        return "%s/%s" % (namespace, name) if self.namespaced else name

    def sorted_keys(self):
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted

    def canonical(self, obj):
        """The stored form: kind/apiVersion set; core objects in Go struct order."""
        if not self.core:
            out = dict(obj)
            out["apiVersion"] = self.api_version
            out["kind"] = self.kind
            return out
        md = obj.get("metadata") or {}
        omd = {k: md[k] for k in META_ORDER if k in md}
        for k, v in md.items():
            if k not in omd:
                omd[k] = v
        out = {"kind": self.kind, "apiVersion": self.api_version, "metadata": omd}
        for k, v in obj.items():
            if k not in ("kind", "apiVersion", "metadata"):
                out[k] = v
        return out

    def encode(self, obj):
        """(full, item) serialisations; `item` is the LIST item form."""
        if not self.core:
            full = go_json(obj, sort_keys=True)
            return full, full
        full = go_json(obj)
        assert full.startswith(self._prefix), full[:80]
        return full, b"{" + full[len(self._prefix):]

    def bookmark(self, rv):
        if self.core and self.kind == "Pod":
            obj = {"kind": "Pod", "apiVersion": "v1",
                   "metadata": {"resourceVersion": str(rv), "creationTimestamp": None},
                   "spec": {"containers": None}, "status": {}}
        elif self.core:
            obj = {"kind": self.kind, "apiVersion": self.api_version,
                   "metadata": {"resourceVersion": str(rv), "creationTimestamp": None}}
            if self.kind == "Namespace":
                obj.update(spec={}, status={})
        else:
            obj = {"apiVersion": self.api_version, "kind": self.kind,
                   "metadata": {"resourceVersion": str(rv)}}
        return obj

    def discovery(self):
        d = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
             "kind": self.kind, "verbs": self.verbs}
        if self.short_names:
            d["shortNames"] = self.short_names
        return d


class _Rec:
    """One stored object version: the object (parsed lazily when made from bytes) and its two
    serialisations. Immutable once stored."""
    __slots__ = ("_obj", "rv", "full", "item")

    def __init__(self, res, obj, rv, full=None):
        self._obj = obj
        self.rv = rv
        if full is None:
            self.full, self.item = res.encode(obj)
        else:
            self.full = full
            self.item = b"{" + full[len(res._prefix):] if res.core else full

    @property
    def obj(self):
        if self._obj is None:
            self._obj = json.loads(self.full)
        return self._obj


_PLACEHOLDER = re.compile(r"@@([A-Z]+)@@")
_Event = collections.namedtuple("_Event", "rv res key type rec prev")


# ---- pods ----------------------------------------------------------------------------------------

def make_pod(namespace, name, labels=None, node=None, ip=None, phase="Running", ready=None,
             hostname=None, subdomain=None, host_network=False, created=None, annotations=None,
             owner=None, image="registry.k8s.io/e2e-test-images/agnhost:2.52", managed_fields=True,
             container="app", host_ip=None, owner_uid=None, container_id=None):
    """A Pod object with the fields a real one has (Go field order). ready defaults to
    phase == "Running"; a Pending pod without node is unscheduled (no node, IPs, container
    state)."""
    if ready is None:
        ready = phase == "Running"
    t = created if created is not None else rfc3339()
    labels = dict(labels) if labels is not None else {"app": name.split("-")[0]}
    md = {"name": name, "namespace": namespace, "creationTimestamp": t, "labels": labels}
    if annotations:
        md["annotations"] = dict(annotations)
    if owner:
        md["generateName"] = owner + "-"
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                                  "uid": owner_uid or str(uuid.uuid5(uuid.NAMESPACE_DNS,
                                                                     namespace + "/" + owner)),
                                  "controller": True, "blockOwnerDeletion": True}]
    if managed_fields:
        md["managedFields"] = [
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
             "time": t, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {
                 ".": {}, **{"f:" + k: {} for k in labels}}},
                 "f:spec": {"f:containers": {"k:{\"name\":\"%s\"}" % container: {
                     ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}}}}}},
            {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": t,
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}, "f:phase": {},
                                                                 "f:podIP": {}}},
             "subresource": "status"}]
    sa_vol = "kube-api-access-" + "".join(c for c in name if c.isalnum())[-5:].lower().rjust(5, "x")
    spec = {"volumes": [{"name": sa_vol, "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}], "defaultMode": 420}}],
        "containers": [{"name": container, "image": image,
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                                      "requests": {"cpu": "100m", "memory": "64Mi"}},
                        "volumeMounts": [{"name": sa_vol, "readOnly": True,
                                          "mountPath":
                                              "/var/run/secrets/kubernetes.io/serviceaccount"}],
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                                       "scheme": "HTTP"},
                                           "timeoutSeconds": 1, "periodSeconds": 10,
                                           "successThreshold": 1, "failureThreshold": 3},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default", "serviceAccount": "default"}
    if node:
        spec["nodeName"] = node
    if host_network:
        spec["hostNetwork"] = True
    spec["securityContext"] = {}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    spec.update({"schedulerName": "default-scheduler", "tolerations": [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}],
        "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority"})

    def cond(typ, ok, reason=None, message=None):
        c = {"type": typ, "status": "True" if ok else "False", "lastProbeTime": None,
             "lastTransitionTime": t}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c

    status = {"phase": phase}
    if not node:
        status["conditions"] = [cond("PodScheduled", False, "Unschedulable",
                                     "0/3 nodes are available: 3 Insufficient cpu.")]
    else:
        running = phase == "Running"
        done = phase in ("Succeeded", "Failed")
        nr = None if ready else ("PodCompleted" if done else "ContainersNotReady")
        nm = None if ready or done else "containers with unready status: [%s]" % container
        status["conditions"] = [
            cond("PodReadyToStartContainers", not done), cond("Initialized", True,
                                                              "PodCompleted" if done else None),
            cond("Ready", ready, nr, nm), cond("ContainersReady", ready, nr, nm),
            cond("PodScheduled", True)]
        host_ip = host_ip or "192.168.%d.%d" % (sum(node.encode()) % 250, len(node) % 250 + 1)
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
        if ip is None and host_network:
            ip = host_ip
        if ip and phase != "Pending":
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        status["startTime"] = t
        if running or done:
            if running:
                state = {"running": {"startedAt": t}}
            else:
                state = {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1,
                                        "reason": "Completed" if phase == "Succeeded" else "Error",
                                        "startedAt": t, "finishedAt": t,
                                        "containerID": "containerd://" + "0" * 64}}
            status["containerStatuses"] = [{
                "name": container, "state": state, "lastState": {}, "ready": bool(ready),
                "restartCount": 0, "image": image, "imageID": image + "@sha256:" + "ab" * 32,
                "containerID": "containerd://" + (container_id or uuid.uuid4().hex * 2),
                "started": running}]
    status["qosClass"] = "Burstable"
    return {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": spec, "status": status}


def make_custom_metric(namespace, name, spec, group="metrics.falcon", version="v1alpha1",
                       kind="CustomMetric", labels=None):
    md = {"name": name}
    if namespace is not None:
        md["namespace"] = namespace
    if labels:
        md["labels"] = dict(labels)
    return {"apiVersion": "%s/%s" % (group, version), "kind": kind, "metadata": md,
            "spec": copy.deepcopy(spec)}
