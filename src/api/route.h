#ifndef MA_API_ROUTE_H
#define MA_API_ROUTE_H

#include "base/str.h"

/* The URL space of shared/spec/api-protocol.md 1.2, as a pure function from a percent-decoded
 * path to a route. P below is /apis/<group>/<version>. */

enum ma_api_route_kind {
    MA_API_ROUTE_OUTSIDE,   /* outside every registered prefix: plain-text "404 page not found" */
    MA_API_ROUTE_NO_MATCH,  /* inside an API group's prefix but no route: Status 404 */
    MA_API_ROUTE_BAD_PATH,  /* P/namespaces/{ns}/metrics: Status 400 "invalid request path" */
    MA_API_ROUTE_APIS,      /* /apis: APIGroupList */
    MA_API_ROUTE_GROUP,     /* /apis/<group>: APIGroup */
    MA_API_ROUTE_RESOURCES, /* P: APIResourceList */
    MA_API_ROUTE_CUSTOM,    /* a custom metric of one object or of all selected objects */
    MA_API_ROUTE_EXTERNAL,  /* P/namespaces/{ns}/{metric} of external.metrics.k8s.io */
    MA_API_ROUTE_HEALTHZ,   /* /healthz */
    MA_API_ROUTE_LIVEZ,     /* /livez */
    MA_API_ROUTE_READYZ,    /* /readyz */
    MA_API_ROUTE_VERSION,   /* /version */
    MA_API_ROUTE_OPENAPI_V2, /* /openapi/v2: a minimal Swagger 2.0 document */
    MA_API_ROUTE_OPENAPI    /* /openapi/v3[/...]: not served (answered 404) */
};

enum ma_api_group { MA_API_GROUP_CUSTOM, MA_API_GROUP_EXTERNAL };

enum ma_api_gv { MA_API_GV_CUSTOM_V1BETA1, MA_API_GV_CUSTOM_V1BETA2, MA_API_GV_EXTERNAL_V1BETA1 };

struct ma_api_route {
    enum ma_api_route_kind kind;
    enum ma_api_group group; /* GROUP, RESOURCES, CUSTOM, EXTERNAL, NO_MATCH inside a group */
    enum ma_api_gv gv;       /* RESOURCES, CUSTOM, EXTERNAL */
    /* CUSTOM and EXTERNAL: slices of the path given to ma_api_route_match, or of static strings.
     * namespace.p is NULL for root-scoped custom requests. The namespace-metric form
     * P/namespaces/{ns}/metrics/{m} becomes resource "namespaces", name {ns}, no namespace,
     * with ns_metric set (the provider sees a root-scoped query, as in custom-metrics-apiserver).
     */
    struct ma_str namespace;
    struct ma_str resource; /* GroupResource string: "pods", "deployments.apps" */
    struct ma_str name;     /* object name, "*" for all */
    struct ma_str metric;
    int wildcard;  /* name is "*" */
    int ns_metric; /* matched P/namespaces/{ns}/metrics/{m} */
};

/* Match path[0..len), already percent-decoded (so "%2A" arrived as "*" and "%2F" as a separator,
 * as Go routes on the decoded URL.Path). Trailing slashes under /apis are ignored (go-restful trims
 * them). Every segment inside P must be non-empty. Always fills r->kind; the slices point into
 * path, which MUST outlive r. */
void ma_api_route_match(const char *path, size_t len, struct ma_api_route *r);

/* "custom.metrics.k8s.io/v1beta1", ... */
const char *ma_api_gv_string(enum ma_api_gv gv);
/* "custom.metrics.k8s.io" or "external.metrics.k8s.io" */
const char *ma_api_group_string(enum ma_api_group g);

#endif
