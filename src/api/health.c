#include "api/health.h"

#include "api/api.h"
#include "api/req.h"
#include "base/buf.h"
#include "base/log.h"
#include "http/url.h"
#include "json/write.h"

#include <string.h>

#ifndef MA_VERSION
#define MA_VERSION "0.0.0"
#endif
#ifndef MA_GIT_COMMIT
#define MA_GIT_COMMIT "unknown"
#endif

#if defined(__x86_64__)
#define PLATFORM "linux/amd64"
#elif defined(__aarch64__)
#define PLATFORM "linux/arm64"
#elif defined(__i386__)
#define PLATFORM "linux/386"
#elif defined(__arm__)
#define PLATFORM "linux/arm"
#else
#define PLATFORM "linux/unknown"
#endif

#if defined(__clang__)
#define COMPILER "clang"
#else
#define COMPILER "gcc"
#endif

enum check { CHECK_PING, CHECK_BACKEND, CHECK_SHUTDOWN };

static const char *const check_names[] = {"ping", "backend", "shutdown"};

/* 1 if the check passes; else 0 with the reason (logged, never sent: the endpoint is public) */
static int run_check(struct ma_api_req *r, enum check c, struct ma_errmsg *why)
{
    const struct ma_provider_class **p = r->api->provider;

    switch (c) {
    case CHECK_PING:
        return 1;
    case CHECK_BACKEND:
        return (*p)->ready(p, why);
    case CHECK_SHUTDOWN:
        ma_errmsg_set(why, "process is shutting down");
        return !r->api->_shutting_down;
    }
    return 0;
}

/* see api/health.h */
void ma_api_health_answer(struct ma_api_req *r)
{
    const char *name = r->route.kind == MA_API_ROUTE_HEALTHZ ? "healthz"
                       : r->route.kind == MA_API_ROUTE_LIVEZ ? "livez"
                                                             : "readyz";
    size_t nchecks = r->route.kind == MA_API_ROUTE_READYZ ? 3 : 1, i;
    struct ma_buf *b = r->ex->body;
    char tmp[8];
    int rc = ma_http_query_get(r->ex->req.query, "verbose", tmp, sizeof tmp), failed = 0;
    /* Go tests presence in URL.Query(), which drops badly encoded pairs */
    int verbose = rc >= 0 || rc == MA_ERR_NOSPACE;

    ma_buf_reset(b);
    for (i = 0; i < nchecks; i++) {
        struct ma_errmsg why = {""};

        if (run_check(r, (enum check)i, &why)) {
            ma_buf_appendf(b, "[+]%s ok\n", check_names[i]);
            continue;
        }
        failed = 1;
        ma_buf_appendf(b, "[-]%s failed: reason withheld\n", check_names[i]);
        MA_LOGV(2, "%s check failed: %s: %s", name, check_names[i], why.msg);
    }
    /* caches: their state is what an operator needs to see, and holds nothing secret */
    for (i = 0; r->route.kind == MA_API_ROUTE_READYZ && i < r->api->_nchecks; i++) {
        const struct ma_api_check *c = &r->api->_checks[i];
        struct ma_errmsg why = {""};

        if (c->fn(c->arg, &why)) {
            ma_buf_appendf(b, "[+]%s ok\n", c->name);
            continue;
        }
        failed = 1;
        ma_buf_appendf(b, "[-]%s failed: %s\n", c->name, why.msg);
        MA_LOGV(2, "%s check failed: %s: %s", name, c->name, why.msg);
    }
    if (failed) {
        /* healthz.go: always verbose on failure, through http.Error (which adds a newline) */
        ma_buf_appendf(b, "%s check failed\n", name);
        ma_http_respond(r->ex, 500, "text/plain; charset=utf-8",
                        "X-Content-Type-Options: nosniff\r\n");
        return;
    }
    if (!verbose) {
        ma_api_req_text(r, 200, "ok");
        return;
    }
    ma_buf_appendf(b, "%s check passed\n", name);
    ma_http_respond(r->ex, 200, "text/plain; charset=utf-8", "X-Content-Type-Options: nosniff\r\n");
}

/* "0.1.0" -> part 0 "0", part 1 "1" */
static void version_part(const char *v, int part, char *out, size_t cap)
{
    size_t n = 0;

    while (part > 0 && *v != '\0')
        if (*v++ == '.')
            part--;
    while (v[n] != '\0' && v[n] != '.' && n + 1 < cap) {
        out[n] = v[n];
        n++;
    }
    out[n] = '\0';
}

/* see api/health.h */
void ma_api_health_openapi_v2(struct ma_api_req *r)
{
    struct ma_json_w w;

    if (!ma_api_req_begin(r, &w))
        return;
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "swagger");
    ma_json_w_str(&w, "2.0");
    ma_json_w_key(&w, "info");
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "title");
    ma_json_w_str(&w, "metrics-adapter");
    ma_json_w_key(&w, "version");
    ma_json_w_str(&w, "v" MA_VERSION);
    ma_json_w_obj_end(&w);
    ma_json_w_key(&w, "paths");
    ma_json_w_obj_begin(&w);
    ma_json_w_obj_end(&w);
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}

/* see api/health.h */
void ma_api_health_version(struct ma_api_req *r)
{
    static const char *const keys[] = {"major",     "minor",        "gitVersion",
                                       "gitCommit", "gitTreeState", "buildDate",
                                       "goVersion", "compiler",     "platform"};
    char major[16], minor[16];
    const char *vals[9];
    struct ma_json_w w;
    size_t i;

    version_part(MA_VERSION, 0, major, sizeof major);
    version_part(MA_VERSION, 1, minor, sizeof minor);
    vals[0] = major;
    vals[1] = minor;
    vals[2] = "v" MA_VERSION;
    vals[3] = MA_GIT_COMMIT;
    vals[4] = "";                     /* unknown at build time */
    vals[5] = "1970-01-01T00:00:00Z"; /* k8s.io/component-base's unstamped default */
    vals[6] = "";                     /* not a Go program */
    vals[7] = COMPILER;
    vals[8] = PLATFORM;
    r->pretty = 1; /* WriteRawJSON: always indented, whatever was asked */
    ma_buf_reset(r->ex->body);
    ma_json_w_init(&w, r->ex->body, 1);
    ma_json_w_obj_begin(&w);
    for (i = 0; i < 9; i++) {
        ma_json_w_key(&w, keys[i]);
        ma_json_w_str(&w, vals[i]);
    }
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}
