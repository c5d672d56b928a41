#include "api/route.h"

#include "t.h"

#include <stdio.h>
#include <string.h>

#define CM1 "/apis/custom.metrics.k8s.io/v1beta1"
#define CM2 "/apis/custom.metrics.k8s.io/v1beta2"
#define EM1 "/apis/external.metrics.k8s.io/v1beta1"

/* Paths are given decoded (the API layer decodes before routing). Expected fields: NULL means the
 * slice is absent (p == NULL); "" would be an empty slice. */
static const struct row {
    const char *path;
    enum ma_api_route_kind kind;
    int gv; /* -1: not checked */
    const char *ns, *resource, *name, *metric;
    int wildcard, ns_metric;
    const char *comment;
} rows[] = {
    /* discovery */
    {"/apis", MA_API_ROUTE_APIS, -1, NULL, NULL, NULL, NULL, 0, 0, "group list"},
    {"/apis/", MA_API_ROUTE_APIS, -1, NULL, NULL, NULL, NULL, 0, 0, "group list, slash"},
    {"/apis/custom.metrics.k8s.io", MA_API_ROUTE_GROUP, -1, NULL, NULL, NULL, NULL, 0, 0, "cm"},
    {"/apis/external.metrics.k8s.io/", MA_API_ROUTE_GROUP, -1, NULL, NULL, NULL, NULL, 0, 0, "em/"},
    {CM1, MA_API_ROUTE_RESOURCES, MA_API_GV_CUSTOM_V1BETA1, NULL, NULL, NULL, NULL, 0, 0,
     "cm v1b1"},
    {CM1 "/", MA_API_ROUTE_RESOURCES, MA_API_GV_CUSTOM_V1BETA1, NULL, NULL, NULL, NULL, 0, 0,
     "trailing slash accepted"},
    {CM2, MA_API_ROUTE_RESOURCES, MA_API_GV_CUSTOM_V1BETA2, NULL, NULL, NULL, NULL, 0, 0, "v1b2"},
    {EM1, MA_API_ROUTE_RESOURCES, MA_API_GV_EXTERNAL_V1BETA1, NULL, NULL, NULL, NULL, 0, 0, "em"},
    {"/apis/custom.metrics.k8s.io/v1", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "unknown version inside the group"},
    {"/apis/external.metrics.k8s.io/v1beta2", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0,
     0, "em has no v1beta2"},
    /* custom, both versions */
    {CM1 "/namespaces/default/pods/*/http_requests", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1,
     "default", "pods", "*", "http_requests", 1, 0, "namespaced wildcard"},
    {CM2 "/namespaces/default/pods/*/http_requests", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA2,
     "default", "pods", "*", "http_requests", 1, 0, "namespaced wildcard v1beta2"},
    {CM1 "/namespaces/default/deployments.apps/web/rps", MA_API_ROUTE_CUSTOM,
     MA_API_GV_CUSTOM_V1BETA1, "default", "deployments.apps", "web", "rps", 0, 0, "named"},
    {CM2 "/namespaces/default/deployments.apps/web/rps/", MA_API_ROUTE_CUSTOM,
     MA_API_GV_CUSTOM_V1BETA2, "default", "deployments.apps", "web", "rps", 0, 0, "named, slash"},
    {CM1 "/nodes/*/node_load1", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1, NULL, "nodes", "*",
     "node_load1", 1, 0, "root-scoped wildcard"},
    {CM2 "/nodes/n1/node_load1", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA2, NULL, "nodes", "n1",
     "node_load1", 0, 0, "root-scoped named"},
    {CM1 "/namespaces/default/metrics/queue_length", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1,
     NULL, "namespaces", "default", "queue_length", 0, 1,
     "namespace metric: root-scoped query on namespaces"},
    {CM2 "/namespaces/kube-system/metrics/q", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA2, NULL,
     "namespaces", "kube-system", "q", 0, 1, "namespace metric v1beta2"},
    {CM1 "/namespaces/default/queue_length", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1, NULL,
     "namespaces", "default", "queue_length", 0, 0, "root-scoped form of the same"},
    {CM1 "/namespaces/*/queue_length", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1, NULL,
     "namespaces", "*", "queue_length", 1, 0, "all namespaces"},
    {CM1 "/namespaces/default/pods/we b\xc3\xa9/m", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1,
     "default", "pods", "we b\xc3\xa9", "m", 0, 0, "decoded bytes kept"},
    {CM1 "/namespaces/default/pods/a+b/m", MA_API_ROUTE_CUSTOM, MA_API_GV_CUSTOM_V1BETA1, "default",
     "pods", "a+b", "m", 0, 0, "'+' is literal in paths"},
    /* CMA apiserver_test.go 404 cases and other non-routes */
    {CM1 "/nodes/foo", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "too short"},
    {CM1 "/namespaces/ns/pods/bar", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "4 segments, not metrics"},
    {CM1 "/blah", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "one segment"},
    {CM2 "/namespaces/ns", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "namespace"},
    {CM1 "/namespaces/ns/pods/x/m/extra", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "too long"},
    {CM1 "/a/b/c/d/e/f/g/h/i/j", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "far too long"},
    {CM1 "/namespaces//pods/x/m", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "empty namespace"},
    {CM1 "/pods//m", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "empty name"},
    {CM1 "/namespaces/ns/metrics", MA_API_ROUTE_BAD_PATH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "get.go: invalid request path"},
    {CM2 "/namespaces/ns/metrics/", MA_API_ROUTE_BAD_PATH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "same with slash"},
    /* external */
    {EM1 "/namespaces/default/queue_depth", MA_API_ROUTE_EXTERNAL, MA_API_GV_EXTERNAL_V1BETA1,
     "default", NULL, NULL, "queue_depth", 0, 0, "external"},
    {EM1 "/namespaces/default/Queue_Depth/", MA_API_ROUTE_EXTERNAL, MA_API_GV_EXTERNAL_V1BETA1,
     "default", NULL, NULL, "Queue_Depth", 0, 0, "case preserved, slash"},
    {EM1 "/namespaces/foo", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "em short"},
    {EM1 "/namespaces/foo/group/metric", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0,
     "em long"},
    {EM1 "/queue_depth", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "no namespace"},
    {EM1 "/nodes/x/y", MA_API_ROUTE_NO_MATCH, -1, NULL, NULL, NULL, NULL, 0, 0, "not namespaces"},
    /* outside the API */
    {"/", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "root"},
    {"", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "empty"},
    {"/apisx", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "prefix is not a segment"},
    {"/apis/metrics.k8s.io/v1beta1/nodes", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0,
     "resource metrics are not served"},
    {"/apis/custom.metrics.k8s.iox/v1beta1", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0,
     "group must match exactly"},
    {"/api/v1", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "core API"},
    {"/healthz/", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "healthz is exact"},
    {"/metrics", MA_API_ROUTE_OUTSIDE, -1, NULL, NULL, NULL, NULL, 0, 0, "no self metrics yet"},
    /* auxiliary */
    {"/healthz", MA_API_ROUTE_HEALTHZ, -1, NULL, NULL, NULL, NULL, 0, 0, "healthz"},
    {"/livez", MA_API_ROUTE_LIVEZ, -1, NULL, NULL, NULL, NULL, 0, 0, "livez"},
    {"/readyz", MA_API_ROUTE_READYZ, -1, NULL, NULL, NULL, NULL, 0, 0, "readyz"},
    {"/version", MA_API_ROUTE_VERSION, -1, NULL, NULL, NULL, NULL, 0, 0, "version"},
    {"/openapi/v2", MA_API_ROUTE_OPENAPI_V2, -1, NULL, NULL, NULL, NULL, 0, 0, "openapi v2"},
    {"/openapi/v3", MA_API_ROUTE_OPENAPI, -1, NULL, NULL, NULL, NULL, 0, 0, "openapi v3"},
    {"/openapi/v3/apis/custom.metrics.k8s.io/v1beta1", MA_API_ROUTE_OPENAPI, -1, NULL, NULL, NULL,
     NULL, 0, 0, "openapi v3 per group"},
};

static int slice_is(struct ma_str s, const char *want)
{
    if (want == NULL)
        return s.p == NULL;
    return s.p != NULL && ma_str_eq(s, want);
}

static void test_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        struct ma_api_route r;
        int ok;

        ma_api_route_match(w->path, strlen(w->path), &r);
        ok = r.kind == w->kind && (w->gv < 0 || (int)r.gv == w->gv);
        if (w->kind == MA_API_ROUTE_CUSTOM || w->kind == MA_API_ROUTE_EXTERNAL)
            ok = ok && slice_is(r.namespace, w->ns) && slice_is(r.metric, w->metric) &&
                 (w->kind == MA_API_ROUTE_EXTERNAL ||
                  (slice_is(r.resource, w->resource) && slice_is(r.name, w->name) &&
                   r.wildcard == w->wildcard && r.ns_metric == w->ns_metric));
        if (!ok)
            fprintf(stderr, "row %zu (%s): %s -> kind %d gv %d\n", i, w->comment, w->path,
                    (int)r.kind, (int)r.gv);
        CHECK(ok);
    }
}

static void test_groups(void)
{
    struct ma_api_route r;

    ma_api_route_match("/apis/external.metrics.k8s.io", 29, &r);
    CHECK_EQ(r.kind, MA_API_ROUTE_GROUP);
    CHECK_EQ(r.group, MA_API_GROUP_EXTERNAL);
    ma_api_route_match(CM2 "/x", strlen(CM2 "/x"), &r);
    CHECK_EQ(r.kind, MA_API_ROUTE_NO_MATCH);
    CHECK_EQ(r.group, MA_API_GROUP_CUSTOM);
    CHECK_STR(ma_api_gv_string(MA_API_GV_CUSTOM_V1BETA1), "custom.metrics.k8s.io/v1beta1");
    CHECK_STR(ma_api_gv_string(MA_API_GV_CUSTOM_V1BETA2), "custom.metrics.k8s.io/v1beta2");
    CHECK_STR(ma_api_gv_string(MA_API_GV_EXTERNAL_V1BETA1), "external.metrics.k8s.io/v1beta1");
    CHECK_STR(ma_api_group_string(MA_API_GROUP_EXTERNAL), "external.metrics.k8s.io");
}

/* The route only reads path[0..len): a path cut short of a longer buffer routes as the prefix. */
static void test_length_respected(void)
{
    const char *p = CM1 "/nodes/n1/node_load1/extra";
    struct ma_api_route r;

    ma_api_route_match(p, strlen(CM1 "/nodes/n1/node_load1"), &r);
    CHECK_EQ(r.kind, MA_API_ROUTE_CUSTOM);
    CHECK(ma_str_eq(r.metric, "node_load1"));
    ma_api_route_match("/healthzz", 8, &r);
    CHECK_EQ(r.kind, MA_API_ROUTE_HEALTHZ);
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_groups);
    T_RUN(test_length_respected);
    T_END();
}
