#include "api/api.h"

#include "api/custom.h"
#include "api/discovery.h"
#include "api/external.h"
#include "api/health.h"
#include "api/req.h"
#include "base/buf.h"
#include "http/url.h"

#include <string.h>

/* see api/api.h */
void ma_api_init(struct ma_api_ctx *api, const struct ma_provider_class **provider)
{
    api->provider = provider;
    api->_shutting_down = 0;
    api->_nchecks = 0;
    memset(&api->_memo, 0, sizeof api->_memo);
}

/* see api/api.h */
void ma_api_release(struct ma_api_ctx *api)
{
    ma_api_memo_clear(&api->_memo);
}

/* see api/api.h */
int ma_api_add_ready_check(struct ma_api_ctx *api, const char *name,
                           int (*fn)(void *arg, struct ma_errmsg *why), void *arg)
{
    struct ma_api_check *c;

    if (api->_nchecks == MA_API_MAX_CHECKS)
        return MA_ERR_LIMIT;
    c = &api->_checks[api->_nchecks++];
    c->name = name;
    c->fn = fn;
    c->arg = arg;
    return MA_OK;
}

/* see api/api.h */
void ma_api_set_shutting_down(struct ma_api_ctx *api, int on)
{
    api->_shutting_down = on != 0;
}

/* ---- negotiation ----------------------------------------------------------------------------- */

static struct ma_str trim(struct ma_str s)
{
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Spec 4.4: JSON is served when Accept is absent or empty, or lists a range of any type,
 * "application/" plus any subtype, or application/json, with or without parameters (the HPA adds
 * the any-type range after protobuf; the aggregator sends application/json;g=...;v=v2). */
static int accepts_json(const struct ma_http_req *req)
{
    const struct ma_http_header *h = ma_http_req_header(req, "Accept");
    struct ma_str v;
    size_t i, start = 0;

    if (h == NULL || trim(h->value).len == 0)
        return 1;
    v = h->value;
    for (i = 0; i <= v.len; i++) {
        struct ma_str range;
        size_t j;

        if (i < v.len && v.p[i] != ',')
            continue;
        range = ma_str_make(v.p + start, i - start);
        start = i + 1;
        for (j = 0; j < range.len && range.p[j] != ';'; j++)
            ;
        range = trim(ma_str_make(range.p, j));
        if (ma_str_eq_nocase(range, "*/*") || ma_str_eq_nocase(range, "application/*") ||
            ma_str_eq_nocase(range, "application/json"))
            return 1;
    }
    return 0;
}

/* strconv.ParseBool; anything else is false (isPrettyPrint ignores the error) */
static int parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    size_t i;

    for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(s, yes[i]) == 0)
            return 1;
    return 0;
}

static int has_prefix(struct ma_str s, const char *prefix)
{
    size_t n = strlen(prefix);

    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/* AS negotiation isPrettyPrint: a non-empty ?pretty decides; else browsers and CLI tools. */
static int wants_pretty(const struct ma_http_req *req)
{
    const struct ma_http_header *ua;
    char v[8];
    int n = ma_http_query_get(req->query, "pretty", v, sizeof v - 1);

    if (n > 0) {
        v[n] = '\0';
        return parse_bool(v);
    }
    if (n == MA_ERR_NOSPACE) /* too long to be a bool */
        return 0;
    ua = ma_http_req_header(req, "User-Agent");
    return ua != NULL && (has_prefix(ua->value, "curl") || has_prefix(ua->value, "Wget") ||
                          has_prefix(ua->value, "Mozilla/5.0"));
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* Percent-decode the path into the arena; 0 after answering. */
static int decode_path(struct ma_api_req *r)
{
    struct ma_http_exchange *ex = r->ex;
    char *out = ma_arena_alloc(ex->arena, ex->req.path.len + 1);
    int n;

    if (out == NULL) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return 0;
    }
    n = ma_http_url_decode_path(ex->req.path, out, ex->req.path.len);
    if (n < 0) {
        /* Go's net/http refuses such a request line before any handler runs */
        ma_buf_reset(ex->body);
        ma_buf_appends(ex->body, "400 Bad Request");
        ma_http_respond(ex, 400, "text/plain; charset=utf-8", NULL);
        return 0;
    }
    out[n] = '\0';
    r->path = out;
    ma_api_route_match(out, (size_t)n, &r->route);
    return 1;
}

static void answer_route(struct ma_api_req *r)
{
    static const struct ma_api_status no_route = {
        404, "NotFound", "the server could not find the requested resource", MA_API_DETAILS_EMPTY};
    static const struct ma_api_status bad_path = {400, "BadRequest", "invalid request path",
                                                  MA_API_DETAILS_NONE};

    switch (r->route.kind) {
    case MA_API_ROUTE_OUTSIDE:
    case MA_API_ROUTE_OPENAPI:
        /* http.NotFound; for /openapi/v3 kube-apiserver then falls back to /openapi/v2 */
        ma_api_req_text(r, 404, "404 page not found\n");
        break;
    case MA_API_ROUTE_OPENAPI_V2:
        ma_api_health_openapi_v2(r);
        break;
    case MA_API_ROUTE_NO_MATCH:
        ma_api_req_status(r, &no_route);
        break;
    case MA_API_ROUTE_BAD_PATH:
        ma_api_req_status(r, &bad_path);
        break;
    case MA_API_ROUTE_APIS:
    case MA_API_ROUTE_GROUP:
    case MA_API_ROUTE_RESOURCES:
        ma_api_discovery_answer(r);
        break;
    case MA_API_ROUTE_CUSTOM:
        ma_api_custom_answer(r);
        break;
    case MA_API_ROUTE_EXTERNAL:
        ma_api_external_answer(r);
        break;
    case MA_API_ROUTE_HEALTHZ:
    case MA_API_ROUTE_LIVEZ:
    case MA_API_ROUTE_READYZ:
        ma_api_health_answer(r);
        break;
    case MA_API_ROUTE_VERSION:
        ma_api_health_version(r);
        break;
    }
}

/* see api/api.h */
void ma_api_handle(void *api_ctx, struct ma_http_exchange *ex)
{
    static const struct ma_api_status bad_method = {
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
        MA_API_DETAILS_EMPTY};
    struct ma_api_req *r = ma_arena_alloc(ex->arena, sizeof *r), fallback;
    struct ma_str m = ex->req.method;

    if (r == NULL)
        r = &fallback; /* only answers the 500 below */
    memset(r, 0, sizeof *r);
    r->api = api_ctx;
    r->ex = ex;
    r->path = "";
    r->accept_ok = accepts_json(&ex->req);
    /* a client that accepts no JSON still gets JSON errors, indented, as WriteRawJSON does */
    r->pretty = !r->accept_ok || wants_pretty(&ex->req);
    if (r == &fallback) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return;
    }
    if (!decode_path(r))
        return;
    if (r->route.kind == MA_API_ROUTE_OUTSIDE)
        answer_route(r); /* http.NotFound answers every method */
    else if (!ma_str_eq(m, "GET") && !ma_str_eq(m, "HEAD"))
        ma_api_req_status(r, &bad_method);
    else
        answer_route(r);
}
