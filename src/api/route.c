#include "api/route.h"

#include <string.h>

#define CUSTOM_GROUP "custom.metrics.k8s.io"
#define EXTERNAL_GROUP "external.metrics.k8s.io"

/* Segments after P that any route can use (custom namespaced objects need 5); a longer path
 * cannot match, so counting stops one past it. */
#define MAX_SEGS 6

/* Split s on '/' into at most max segments; returns the count, or max + 1 if there are more.
 * s has no leading '/'. */
static size_t split(struct ma_str s, struct ma_str *seg, size_t max)
{
    size_t n = 0, start = 0, i;

    if (s.len == 0)
        return 0;
    for (i = 0; i <= s.len; i++) {
        if (i < s.len && s.p[i] != '/')
            continue;
        if (n == max)
            return max + 1;
        seg[n++] = ma_str_make(s.p + start, i - start);
        start = i + 1;
    }
    return n;
}

static int any_empty(const struct ma_str *seg, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (seg[i].len == 0)
            return 1;
    return 0;
}

static void set_object(struct ma_api_route *r, struct ma_str resource, struct ma_str name,
                       struct ma_str metric)
{
    r->kind = MA_API_ROUTE_CUSTOM;
    r->resource = resource;
    r->name = name;
    r->metric = metric;
    r->wildcard = ma_str_eq(name, "*");
}

/* custom-metrics-apiserver cmhandlers.go: {resource}/{name}/{metric} (root-scoped),
 * namespaces/{ns}/metrics/{metric} and namespaces/{ns}/{resource}/{name}/{metric}. */
static void match_custom(const struct ma_str *s, size_t n, struct ma_api_route *r)
{
    if (n == 3 && ma_str_eq(s[0], "namespaces") && ma_str_eq(s[2], "metrics")) {
        /* get.go: the namespace-metric rewrite leaves too few parts */
        r->kind = MA_API_ROUTE_BAD_PATH;
    } else if (n == 3) {
        set_object(r, s[0], s[1], s[2]);
    } else if (n == 4 && ma_str_eq(s[0], "namespaces") && ma_str_eq(s[2], "metrics")) {
        set_object(r, MA_STR_LIT("namespaces"), s[1], s[3]);
        r->ns_metric = 1;
    } else if (n == 5 && ma_str_eq(s[0], "namespaces")) {
        set_object(r, s[2], s[3], s[4]);
        r->namespace = s[1];
    }
}

/* emhandlers.go: namespaces/{ns}/{metric} only */
static void match_external(const struct ma_str *s, size_t n, struct ma_api_route *r)
{
    if (n == 3 && ma_str_eq(s[0], "namespaces")) {
        r->kind = MA_API_ROUTE_EXTERNAL;
        r->namespace = s[1];
        r->metric = s[2];
    }
}

static int version_of(enum ma_api_group g, struct ma_str v, enum ma_api_gv *gv)
{
    if (g == MA_API_GROUP_CUSTOM && ma_str_eq(v, "v1beta1"))
        *gv = MA_API_GV_CUSTOM_V1BETA1;
    else if (g == MA_API_GROUP_CUSTOM && ma_str_eq(v, "v1beta2"))
        *gv = MA_API_GV_CUSTOM_V1BETA2;
    else if (g == MA_API_GROUP_EXTERNAL && ma_str_eq(v, "v1beta1"))
        *gv = MA_API_GV_EXTERNAL_V1BETA1;
    else
        return 0;
    return 1;
}

/* rest = the path after "/apis/", trailing slashes removed */
static void match_apis(struct ma_str rest, struct ma_api_route *r)
{
    struct ma_str s[2 + MAX_SEGS];
    size_t n = split(rest, s, 2 + MAX_SEGS);

    if (n == 0) {
        r->kind = MA_API_ROUTE_APIS;
        return;
    }
    if (ma_str_eq(s[0], CUSTOM_GROUP))
        r->group = MA_API_GROUP_CUSTOM;
    else if (ma_str_eq(s[0], EXTERNAL_GROUP))
        r->group = MA_API_GROUP_EXTERNAL;
    else
        return; /* OUTSIDE: no web service claims other groups */
    r->kind = MA_API_ROUTE_NO_MATCH;
    if (n == 1) {
        r->kind = MA_API_ROUTE_GROUP;
        return;
    }
    if (n > 2 + MAX_SEGS || !version_of(r->group, s[1], &r->gv) || any_empty(s + 2, n - 2))
        return;
    if (n == 2)
        r->kind = MA_API_ROUTE_RESOURCES;
    else if (r->group == MA_API_GROUP_CUSTOM)
        match_custom(s + 2, n - 2, r);
    else
        match_external(s + 2, n - 2, r);
}

/* see api/route.h */
void ma_api_route_match(const char *path, size_t len, struct ma_api_route *r)
{
    struct ma_str p = ma_str_make(path, len);

    memset(r, 0, sizeof *r);
    r->kind = MA_API_ROUTE_OUTSIDE;
    if (ma_str_eq(p, "/healthz"))
        r->kind = MA_API_ROUTE_HEALTHZ;
    else if (ma_str_eq(p, "/livez"))
        r->kind = MA_API_ROUTE_LIVEZ;
    else if (ma_str_eq(p, "/readyz"))
        r->kind = MA_API_ROUTE_READYZ;
    else if (ma_str_eq(p, "/version"))
        r->kind = MA_API_ROUTE_VERSION;
    else if (ma_str_eq(p, "/openapi/v2"))
        r->kind = MA_API_ROUTE_OPENAPI_V2;
    else if (ma_str_eq(p, "/openapi/v3") ||
             (len > 12 && memcmp(path, "/openapi/v3/", 12) == 0))
        r->kind = MA_API_ROUTE_OPENAPI;
    else if (len >= 5 && memcmp(path, "/apis", 5) == 0 && (len == 5 || path[5] == '/')) {
        while (p.len > 5 && p.p[p.len - 1] == '/')
            p.len--;
        match_apis(p.len > 5 ? ma_str_make(p.p + 6, p.len - 6) : ma_str_make(p.p, 0), r);
    }
}

/* see api/route.h */
const char *ma_api_gv_string(enum ma_api_gv gv)
{
    switch (gv) {
    case MA_API_GV_CUSTOM_V1BETA1:
        return CUSTOM_GROUP "/v1beta1";
    case MA_API_GV_CUSTOM_V1BETA2:
        return CUSTOM_GROUP "/v1beta2";
    case MA_API_GV_EXTERNAL_V1BETA1:
        return EXTERNAL_GROUP "/v1beta1";
    }
    return "";
}

/* see api/route.h */
const char *ma_api_group_string(enum ma_api_group g)
{
    return g == MA_API_GROUP_CUSTOM ? CUSTOM_GROUP : EXTERNAL_GROUP;
}
