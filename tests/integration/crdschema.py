"""A checker for the subset of OpenAPI v3 (as Kubernetes' apiextensions.k8s.io/v1 structural
schemas use it) that deploy/base/crd-*.yaml needs, so the tests can evaluate the CRDs offline the way
kube-apiserver would on create/update:

* type (object, array, string, integer, number, boolean), properties, required, items, enum,
  pattern (Go RE2 syntax; the patterns used are also valid Python re), minLength/maxLength (in
  characters), minimum/maximum, minItems/maxItems, x-kubernetes-list-type: set (no duplicates).
* null values of non-nullable fields are dropped first, as the apiserver prunes them; unknown fields
  are dropped (pruning), never an error.
* x-kubernetes-validations: CEL is not evaluated here. Each rule, by its exact text (white space
  normalised), maps to a Python function in CEL_RULES; a rule without one is an error, so editing a
  rule in a CRD forces updating its meaning here.

structural_problems(schema) lists what would make kube-apiserver refuse the schema as non-structural
(a node without type, properties on a non-object, ...). validate(schema, obj) returns a list of
"path: reason" strings, empty when the object is accepted.
"""

import re

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    # a whole float (5.0) is an integer to kube-apiserver's validator (go-openapi), and to the adapter
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}

_KNOWN = {"type", "description", "properties", "required", "items", "enum", "pattern", "minLength",
          "maxLength", "minimum", "maximum", "minItems", "maxItems", "nullable",
          "x-kubernetes-list-type", "x-kubernetes-validations"}


def _norm(rule):
    return " ".join(rule.split())


def _has(d, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return False
        d = d[k]
    return True


def _non_pod_target(spec):
    return _has(spec, "target", "resource") and spec["target"]["resource"] != "pods"


CEL_RULES = {
    _norm("!has(self.target) || !has(self.target.resource) || self.target.resource == 'pods' || "
          "(has(self.metric.endpoint) && self.metric.endpoint != '')"):
        lambda s: not _non_pod_target(s) or (_has(s, "metric", "endpoint") and s["metric"]["endpoint"] != ""),
    _norm("!has(self.target) || !has(self.target.resource) || self.target.resource == 'pods' || "
          "!has(self.metric.endpoint) || !self.metric.endpoint.matches('[{](pod|node|podIP|hostname)[}]')"):
        lambda s: not _non_pod_target(s) or not _has(s, "metric", "endpoint")
        or not re.search(r"[{](pod|node|podIP|hostname)[}]", s["metric"]["endpoint"]),
}


def structural_problems(schema, path="openAPIV3Schema", root=True):
    out = []
    for k in schema:
        if k not in _KNOWN:
            out.append("%s: keyword %s not understood by this checker" % (path, k))
    t = schema.get("type")
    if t not in _TYPES:
        out.append("%s: no type (structural schemas need one on every node)" % path)
    if "properties" in schema and t != "object":
        out.append("%s: properties on a %s" % (path, t))
    if t == "array" and "items" not in schema:
        out.append("%s: array without items" % path)
    if "x-kubernetes-list-type" in schema and t != "array":
        out.append("%s: list type on a %s" % (path, t))
    for req in schema.get("required", []):
        if req not in schema.get("properties", {}):
            out.append("%s: required %s is not a property" % (path, req))
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as e:
            out.append("%s: pattern does not compile: %s" % (path, e))
    for rule in schema.get("x-kubernetes-validations", []):
        if _norm(rule.get("rule", "")) not in CEL_RULES:
            out.append("%s: CEL rule without a Python equivalent in crdschema.CEL_RULES: %s" % (path, rule.get("rule")))
        if not rule.get("message"):
            out.append("%s: CEL rule without a message" % path)
    for name, sub in schema.get("properties", {}).items():
        if root and name == "metadata" and set(sub) - {"type"}:
            out.append("%s.metadata: only type: object is allowed at the root" % path)
        out += structural_problems(sub, "%s.%s" % (path, name), False)
    if "items" in schema:
        out += structural_problems(schema["items"], path + "[]", False)
    return out


def validate(schema, value, path=""):
    """Problems of value against schema, as "path: reason"."""
    errs = []
    t = schema.get("type")
    if value is None:
        return [] if schema.get("nullable") else ["%s: null" % (path or "<root>")]
    if t and not _TYPES[t](value):
        return ["%s: must be %s, got %s" % (path or "<root>", t, type(value).__name__)]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not one of %s" % (path, value, schema["enum"]))
    if t == "string":
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append("%s: shorter than %d" % (path, schema["minLength"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append("%s: longer than %d" % (path, schema["maxLength"]))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if t in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: below %s" % (path, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: above %s" % (path, schema["maximum"]))
    if t == "array":
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append("%s: fewer than %d items" % (path, schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append("%s: more than %d items" % (path, schema["maxItems"]))
        if schema.get("x-kubernetes-list-type") == "set":
            seen = []
            for v in value:
                if v in seen:
                    errs.append("%s: duplicate value %r" % (path, v))
                seen.append(v)
        for i, v in enumerate(value):
            errs += validate(schema.get("items", {}), v, "%s[%d]" % (path, i))
    if t == "object":
        props = schema.get("properties", {})
        # pruning: nulls of non-nullable fields and unknown fields are dropped before validation
        present = {k: v for k, v in value.items()
                   if k in props and (v is not None or props[k].get("nullable"))}
        for req in schema.get("required", []):
            if req not in present:
                errs.append("%s: %s is required" % (path or "<root>", req))
        for k, v in present.items():
            errs += validate(props[k], v, (path + "." + k) if path else k)
        if not errs:  # CEL runs on a value that passed the schema, as in kube-apiserver
            for rule in schema.get("x-kubernetes-validations", []):
                fn = CEL_RULES.get(_norm(rule["rule"]))
                if fn is None:
                    errs.append("%s: CEL rule not known to the checker" % path)
                elif not fn(present):
                    errs.append("%s: %s" % (path or "<root>", rule["message"]))
    return errs
