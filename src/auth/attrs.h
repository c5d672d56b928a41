#ifndef MA_AUTH_ATTRS_H
#define MA_AUTH_ATTRS_H

#include <stddef.h>

#include "base/buf.h"
#include "base/str.h"

struct ma_auth_user;
struct ma_json_w;

/* Authorization attributes of a request, derived with Kubernetes' RequestInfo rules (spec 5.7):
 * /apis/<group>/<version>/... and /api/<version>/... with at least one part after the version are
 * resource requests; everything else (/apis, /apis/<g>, /apis/<g>/<v>, /healthz, /version, ...)
 * is a non-resource request on the path. Strings point into the decoded path the caller passed
 * in (which MUST outlive the attributes) or are constants. */
struct ma_auth_attrs {
    int resource_request;
    const char *verb;          /* "get", "list" (no name), "watch"/"proxy" (special first part) */
    const char *path;          /* the decoded path (non-resource requests) */
    /* resource requests; "" when absent */
    const char *ns, *group, *version, *resource, *subresource, *name;
};

/* Fill *at from the percent-decoded, NUL-terminated path (split on '/' in place: path MUST be a
 * writable copy the caller keeps; at->path is a second, untouched copy made from scratch, so pass
 * scratch of at least strlen(path)+1 bytes) and the HTTP method. Never fails. */
void ma_auth_attrs_parse(char *path, char *scratch, const char *method, struct ma_auth_attrs *at);

/* After ma_auth_attrs_parse: the part of the raw query (after '?') RequestInfo reads. A nameless
 * resource get ("list") is a "watch" when the first decodable "watch" parameter is set: any value
 * but "0" or "false" (any case), an empty one included, as Go's parameter codec reads a bool. Pairs
 * Go's url.ParseQuery drops (a ';' in them, bad %-escapes) are skipped. Not replicated: a query
 * whose other list options Go cannot decode ("limit=x") leaves Go's verb at "list". */
void ma_auth_attrs_apply_query(struct ma_auth_attrs *at, struct ma_str query);

/* The SubjectAccessReview spec object for at and u, in Go's field order (this JSON is also the
 * decision cache key, as in kube's webhook authorizer):
 * {"resourceAttributes":{"namespace","verb","group","version","resource","subresource","name"}
 *  | "nonResourceAttributes":{"path","verb"}, "user","groups":[...],"extra":{k:[...]},"uid"} */
void ma_auth_attrs_write_spec(const struct ma_auth_attrs *at, const struct ma_auth_user *u,
                              struct ma_json_w *w);

/* Write the 403 Status body kube's responsewriters.Forbidden makes for at, u and the authorizer's
 * reason (MAY be NULL or "") into body, e.g.
 * {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods.custom.
 *  metrics.k8s.io \"*\" is forbidden: User \"u\" cannot get resource \"pods/m\" in API group
 *  \"custom.metrics.k8s.io\" in the namespace \"default\"","reason":"Forbidden","details":
 *  {"name":"*","group":"custom.metrics.k8s.io","kind":"pods"},"code":403} */
void ma_auth_attrs_forbidden(const struct ma_auth_attrs *at, const struct ma_auth_user *u,
                             const char *reason, struct ma_buf *body);

#endif
