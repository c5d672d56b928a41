#include "prom/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/file.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/client.h"
#include "kube/kubeconfig.h"

#define MIN_MS 60000LL
#define DAY_MS (24 * 3600 * 1000LL)
#define PEM_MAX (1024 * 1024)
/* Debian's bundle; a FROM scratch image has none, and then an https URL needs a CA flag. */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* ==== flags ==================================================================================== */

/* see prom/api.h */
void ma_prom_flags_init(struct ma_prom_flags *f)
{
    memset(f, 0, sizeof *f);
    f->url = "https://localhost"; /* prometheus-adapter's default */
    f->verb = "GET";
    f->relist_ms = 10 * MIN_MS;
    f->timeout_ms = MA_PROM_TIMEOUT_DEFAULT_MS;
    f->max_reply = MA_PROM_MAX_QUERY_REPLY_DEFAULT;
}

/* see prom/api.h */
size_t ma_prom_flags_table(struct ma_prom_flags *f, struct ma_flag *out)
{
    size_t n = 0;

#define FLAG(...) out[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("prometheus-url", MA_FLAG_STRING, &f->url,
         "URL of Prometheus (http or https, optional path prefix)");
    FLAG("prometheus-auth-incluster", MA_FLAG_BOOL, &f->auth_incluster,
         "authenticate to Prometheus with the pod's service-account token and CA");
    FLAG("prometheus-auth-config", MA_FLAG_STRING, &f->auth_config,
         "kubeconfig whose CA, client certificate and token are used for Prometheus (its "
         "server address is not: the URL is --prometheus-url)");
    FLAG("prometheus-ca-file", MA_FLAG_STRING, &f->ca_file,
         "PEM CA bundle to verify Prometheus with (replaces the kubeconfig auth)");
    FLAG("prometheus-client-tls-cert-file", MA_FLAG_STRING, &f->cert_file,
         "client certificate (PEM) presented to Prometheus");
    FLAG("prometheus-client-tls-key-file", MA_FLAG_STRING, &f->key_file,
         "key of --prometheus-client-tls-cert-file (PEM)");
    FLAG("prometheus-token-file", MA_FLAG_STRING, &f->token_file,
         "file holding a bearer token for Prometheus (re-read when it changes)");
    FLAG("prometheus-header", MA_FLAG_LIST, &f->headers,
         "header Name=value sent to Prometheus on every request (repeatable)");
    FLAG("prometheus-verb", MA_FLAG_STRING, &f->verb,
         "HTTP verb of Prometheus API calls: GET or POST (form-encoded)");
    FLAG("metrics-relist-interval", MA_FLAG_DURATION, &f->relist_ms,
         "interval at which to re-list the available series from Prometheus", 1000, 7 * DAY_MS);
    FLAG("metrics-max-age", MA_FLAG_DURATION, &f->max_age_ms,
         "how far back series are listed (start = now - max-age); 0: the relist interval", 0,
         30 * DAY_MS);
    FLAG("prometheus-timeout", MA_FLAG_DURATION, &f->timeout_ms,
         "deadline of one Prometheus call (series listing or query)", 100, DAY_MS);
    FLAG("prometheus-max-reply-bytes", MA_FLAG_INT, &f->max_reply,
         "largest query reply accepted from Prometheus (series replies are streamed)", 4096,
         1LL << 30);
#undef FLAG
    return n;
}

static int token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "Name=value": a name of RFC 9110 token characters, a value without CR, LF or NUL. Returns the
 * name length or -1. */
static int header_split(const char *h)
{
    const char *eq = strchr(h, '=');
    const char *p;

    if (!eq || eq == h)
        return -1;
    for (p = h; p < eq; p++)
        if (!token_char(*p))
            return -1;
    for (p = eq + 1; *p; p++)
        if (*p == '\r' || *p == '\n')
            return -1;
    return (int)(eq - h);
}

/* see prom/api.h */
const char *ma_prom_flags_check(struct ma_prom_flags *f)
{
    char *why = f->_why;
    size_t i;

    if (!f->url || (strncmp(f->url, "http://", 7) && strncmp(f->url, "https://", 8))) {
        snprintf(why, sizeof f->_why, "--prometheus-url %.100s: must start with http:// or https://",
                 f->url ? f->url : "");
        return why;
    }
    if (!f->verb || (strcmp(f->verb, "GET") && strcmp(f->verb, "POST"))) {
        snprintf(why, sizeof f->_why, "unsupported --prometheus-verb \"%.40s\": use \"GET\" or \"POST\"",
                 f->verb ? f->verb : "");
        return why;
    }
    if (f->auth_incluster && f->auth_config && *f->auth_config)
        return "--prometheus-auth-incluster and --prometheus-auth-config may not be used together";
    if ((f->cert_file && *f->cert_file) != (f->key_file && *f->key_file))
        return "--prometheus-client-tls-cert-file and --prometheus-client-tls-key-file go together";
    for (i = 0; i < f->headers.n; i++) {
        if (header_split(f->headers.items[i]) < 0) {
            snprintf(why, sizeof f->_why,
                     "--prometheus-header \"%.60s\": expected Name=value (a header name, '=', a "
                     "value without line breaks)", f->headers.items[i]);
            return why;
        }
    }
    if (f->max_age_ms == 0)
        f->max_age_ms = f->relist_ms; /* as prometheus-adapter */
    if (f->max_age_ms < f->relist_ms)
        return "--metrics-max-age must not be less than --metrics-relist-interval";
    return NULL;
}

/* see prom/api.h */
void ma_prom_form_append(struct ma_buf *b, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *s[2] = {key, value};
    int k;

    if (b->len)
        ma_buf_appendc(b, '&');
    for (k = 0; k < 2; k++) {
        const unsigned char *p;

        if (k)
            ma_buf_appendc(b, '=');
        for (p = (const unsigned char *)s[k]; *p; p++) {
            unsigned char c = *p;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~')
                ma_buf_appendc(b, (char)c);
            else if (c == ' ')
                ma_buf_appendc(b, '+');
            else {
                ma_buf_appendc(b, '%');
                ma_buf_appendc(b, hex[c >> 4]);
                ma_buf_appendc(b, hex[c & 15]);
            }
        }
    }
}

/* ==== client =================================================================================== */

struct ma_prom_api {
    struct ma_net_loop *loop;
    struct ma_http_client *http;
    char *url;
    int post;
    int64_t timeout_ms;
    char *headers;                   /* "Name: value\r\n"... from --prometheus-header */
    int header_auth;                 /* one of them is Authorization */
    struct ma_kube_token *token;     /* --prometheus-token-file */
    struct ma_kube_token *kc_token;  /* the kubeconfig's / service account's token */
    struct ma_prom_call *calls;      /* in flight */
};

enum { K_SERIES, K_QUERY };

struct ma_prom_call {
    struct ma_prom_api *api;
    struct ma_prom_call *prev, *next;
    struct ma_http_call *http;
    int kind, status;
    ma_prom_series_fn on_series;
    ma_prom_sample_fn on_sample;
    ma_prom_done_fn on_done;
    void *arg;
    struct ma_prom_series_ctx *sctx; /* series calls */
};

static int read_pem(const char *flag, const char *path, char **out, size_t *len,
                    struct ma_errmsg *em)
{
    struct ma_errmsg fem;

    if (ma_file_read(path, PEM_MAX, flag, out, len, NULL, &fem) != MA_OK) {
        ma_errmsg_set(em, "--%s %s: %s", flag, path, fem.msg);
        return MA_ERR_IO;
    }
    return MA_OK;
}

static struct ma_kube_token *token_of_file(const char *path)
{
    struct ma_kube_config kc;

    memset(&kc, 0, sizeof kc);
    kc.token_file = (char *)path;
    return ma_kube_token_new(&kc);
}

static void headers_build(struct ma_prom_api *api, const struct ma_prom_flags *f)
{
    struct ma_buf b;
    size_t i;

    ma_buf_init_heap(&b, MA_PROM_MAX_HEADER_BYTES);
    for (i = 0; i < f->headers.n; i++) {
        const char *h = f->headers.items[i];
        int nl = header_split(h);

        if (nl < 0)
            continue; /* ma_prom_flags_check refused it */
        ma_buf_appendf(&b, "%.*s: %s\r\n", nl, h, h + nl + 1);
        if (nl == 13 && !strncasecmp(h, "Authorization", 13))
            api->header_auth = 1;
    }
    api->headers = ma_xstrdup(ma_buf_cstr(&b));
    ma_buf_free(&b);
}

/* see prom/api.h */
struct ma_prom_api *ma_prom_api_new(struct ma_net_loop *loop, const struct ma_prom_flags *f,
                                    struct ma_errmsg *em)
{
    struct ma_prom_api *api = ma_xcalloc(1, sizeof *api);
    struct ma_http_client_config hc;
    struct ma_kube_config kc;
    char *ca = NULL, *cert = NULL, *key = NULL;
    size_t ca_len = 0, cert_len = 0, key_len = 0, ul;
    int https = !strncmp(f->url, "https://", 8), rc = MA_OK;

    memset(&hc, 0, sizeof hc);
    memset(&kc, 0, sizeof kc);
    api->loop = loop;
    api->url = ma_xstrdup(f->url);
    /* "https://prometheus.monitoring.svc:9090/" (the shipped manifests): the prefix is "" */
    ul = strlen(api->url);
    while (ul > 8 && api->url[ul - 1] == '/')
        api->url[--ul] = '\0';
    api->post = f->verb && !strcmp(f->verb, "POST");
    api->timeout_ms = f->timeout_ms > 0 ? f->timeout_ms : MA_PROM_TIMEOUT_DEFAULT_MS;
    headers_build(api, f);
    hc.url = api->url;
    if (f->ca_file && *f->ca_file) {
        rc = read_pem("prometheus-ca-file", f->ca_file, &ca, &ca_len, em);
    } else if (f->auth_incluster || (f->auth_config && *f->auth_config)) {
        struct ma_errmsg kem;

        rc = f->auth_incluster ? ma_kube_config_load_incluster(&kc, f->sa_dir, &kem)
                               : ma_kube_config_load_file(&kc, f->auth_config, NULL, &kem);
        if (rc != MA_OK)
            ma_errmsg_set(em, "%s: %s",
                          f->auth_incluster ? "--prometheus-auth-incluster"
                                            : "--prometheus-auth-config",
                          kem.msg);
        else {
            const char *url = hc.url;

            ma_kube_config_http(&kc, &hc);
            hc.url = url; /* the address is --prometheus-url's, as prometheus-adapter */
            if (kc.token || kc.token_file)
                api->kc_token = ma_kube_token_new(&kc);
        }
    } else if (https && ma_file_read(SYSTEM_CA_BUNDLE, 4 * PEM_MAX, "CA bundle", &ca, &ca_len,
                                     NULL, NULL) != MA_OK) {
        ma_errmsg_set(em, "--prometheus-url %s is https but no CA is given (use "
                          "--prometheus-ca-file, --prometheus-auth-config or "
                          "--prometheus-auth-incluster)", api->url);
        rc = MA_ERR_NOTFOUND;
    }
    if (rc == MA_OK && f->cert_file && *f->cert_file && f->key_file && *f->key_file) {
        rc = read_pem("prometheus-client-tls-cert-file", f->cert_file, &cert, &cert_len, em);
        if (rc == MA_OK)
            rc = read_pem("prometheus-client-tls-key-file", f->key_file, &key, &key_len, em);
        hc.cert_pem = cert;
        hc.cert_pem_len = cert_len;
        hc.key_pem = key;
        hc.key_pem_len = key_len;
    }
    if (ca) {
        hc.ca_pem = ca;
        hc.ca_pem_len = ca_len;
    }
    if (rc == MA_OK && f->token_file && *f->token_file) {
        api->token = token_of_file(f->token_file);
        if (!ma_kube_token_get(api->token)) {
            ma_errmsg_set(em, "--prometheus-token-file %s: cannot read a token", f->token_file);
            rc = MA_ERR_IO;
        }
    }
    if (rc == MA_OK) {
        struct ma_errmsg hem;

        hc.connect_timeout_ms = api->timeout_ms;
        hc.max_response_bytes = (size_t)f->max_reply;
        api->http = ma_http_client_new(loop, &hc, &hem);
        if (!api->http) {
            ma_errmsg_set(em, "Prometheus %s: %s", api->url, hem.msg);
            rc = MA_ERR_SYNTAX;
        }
    }
    free(ca);
    free(cert);
    free(key);
    ma_kube_config_free(&kc);
    if (rc != MA_OK) {
        ma_prom_api_free(api);
        return NULL;
    }
    return api;
}

static void call_free(struct ma_prom_call *c)
{
    struct ma_prom_api *api = c->api;

    if (c->prev)
        c->prev->next = c->next;
    else
        api->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->sctx);
    free(c);
}

/* see prom/api.h */
void ma_prom_api_free(struct ma_prom_api *api)
{
    if (!api)
        return;
    while (api->calls)
        ma_prom_call_cancel(api->calls);
    if (api->http)
        ma_http_client_free(api->http);
    if (api->token)
        ma_kube_token_free(api->token);
    if (api->kc_token)
        ma_kube_token_free(api->kc_token);
    free(api->headers);
    free(api->url);
    free(api);
}

/* see prom/api.h */
const char *ma_prom_api_url(const struct ma_prom_api *api)
{
    return api->url;
}

/* see prom/api.h */
void ma_prom_call_cancel(struct ma_prom_call *call)
{
    if (call->http)
        ma_http_call_cancel(call->http);
    call_free(call);
}

/* Prometheus answers errors with the same JSON body under 400 (bad_data), 422 (execution), 503
 * (unavailable, timeout); prometheus-adapter reads the body for those and 2xx only. */
static int json_status(int status)
{
    return (status >= 200 && status < 300) || status == 400 || status == 422 || status == 503;
}

static const char *what(const struct ma_prom_call *c)
{
    return c->kind == K_SERIES ? "series" : "query";
}

static void finish(struct ma_prom_call *c, int err, const char *detail,
                   const struct ma_prom_query_info *info)
{
    struct ma_errmsg em;

    em.msg[0] = '\0';
    if (err != MA_OK)
        ma_errmsg_set(&em, "Prometheus %s: %s failed: %s", c->api->url, what(c), detail);
    c->http = NULL; /* ended: nothing to cancel */
    c->on_done(err, &em, err == MA_OK ? info : NULL, c->arg);
    call_free(c);
}

static void on_head(struct ma_http_call *hcall, int status, void *arg)
{
    struct ma_prom_call *c = arg;

    (void)hcall;
    c->status = status;
}

static int on_data(struct ma_http_call *hcall, const char *p, size_t n, void *arg)
{
    struct ma_prom_call *c = arg;
    int rc;

    (void)hcall;
    if (!json_status(c->status))
        return MA_ERR_UPSTREAM; /* a proxy's HTML page: no need to read it */
    rc = ma_prom_series_feed(c->sctx, p, n);
    return rc == MA_OK ? MA_OK : MA_ERR_UPSTREAM;
}

static void done_detail(const struct ma_prom_call *c, const struct ma_http_result *res,
                        char *out, size_t cap)
{
    if (res->err == MA_ERR_TIMEOUT) {
        if (c->api->timeout_ms % 1000 == 0)
            snprintf(out, cap, "timed out after %llds", (long long)(c->api->timeout_ms / 1000));
        else
            snprintf(out, cap, "timed out after %lldms", (long long)c->api->timeout_ms);
    } else if (res->err == MA_ERR_LIMIT) {
        snprintf(out, cap, "reply too large (%s)", res->em.msg);
    } else {
        snprintf(out, cap, "%s", res->em.msg[0] ? res->em.msg : ma_err_name(res->err));
    }
}

static void series_done(struct ma_http_call *hcall, const struct ma_http_result *res, void *arg)
{
    struct ma_prom_call *c = arg;
    struct ma_errmsg pem;
    char detail[2 * MA_ERRMSG_SIZE];
    int rc;

    (void)hcall;
    pem.msg[0] = '\0';
    if (res->status && !json_status(res->status)) {
        snprintf(detail, sizeof detail, "HTTP %d", res->status);
        finish(c, MA_ERR_UPSTREAM, detail, NULL);
        return;
    }
    rc = ma_prom_series_finish(c->sctx, &pem);
    if (res->err != MA_OK && !(rc < 0 && rc != MA_ERR_PARTIAL)) {
        done_detail(c, res, detail, sizeof detail);
        finish(c, res->err == MA_ERR_TIMEOUT ? MA_ERR_TIMEOUT : MA_ERR_UPSTREAM, detail, NULL);
        return;
    }
    if (rc != MA_OK) {
        if (rc == MA_ERR_SYNTAX || rc == MA_ERR_PARTIAL)
            snprintf(detail, sizeof detail, "%sreply is not JSON (%s)",
                     res->status != 200 ? "HTTP error, " : "", pem.msg);
        else
            snprintf(detail, sizeof detail, "%s", pem.msg);
        /* the callback's own stop value goes back as is */
        finish(c, rc == MA_ERR_SYNTAX || rc == MA_ERR_PARTIAL ? MA_ERR_UPSTREAM : rc, detail, NULL);
        return;
    }
    finish(c, MA_OK, NULL, NULL);
}

static void query_done(struct ma_http_call *hcall, const struct ma_http_result *res, void *arg)
{
    struct ma_prom_call *c = arg;
    struct ma_prom_query_info info;
    struct ma_errmsg pem;
    char detail[2 * MA_ERRMSG_SIZE];
    int rc;

    (void)hcall;
    if (res->err != MA_OK) {
        done_detail(c, res, detail, sizeof detail);
        finish(c, res->err == MA_ERR_TIMEOUT ? MA_ERR_TIMEOUT
                  : res->err == MA_ERR_LIMIT ? MA_ERR_LIMIT : MA_ERR_UPSTREAM,
               detail, NULL);
        return;
    }
    if (!json_status(res->status)) {
        snprintf(detail, sizeof detail, "HTTP %d", res->status);
        finish(c, MA_ERR_UPSTREAM, detail, NULL);
        return;
    }
    pem.msg[0] = '\0';
    rc = ma_prom_query_parse(res->body->p, res->body->len, c->on_sample, c->arg, &info, &pem);
    if (rc != MA_OK) {
        if (res->status != 200 && rc == MA_ERR_SYNTAX)
            snprintf(detail, sizeof detail, "HTTP %d, %s", res->status, pem.msg);
        else
            snprintf(detail, sizeof detail, "%s", pem.msg);
        finish(c, rc == MA_ERR_SYNTAX ? MA_ERR_UPSTREAM : rc, detail, NULL);
        return;
    }
    finish(c, MA_OK, NULL, &info);
}

static void fmt_time(char *out, size_t cap, double t)
{
    size_t n;

    snprintf(out, cap, "%.3f", t);
    n = strlen(out);
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

static struct ma_prom_call *start(struct ma_prom_api *api, int kind, struct ma_buf *form,
                                  const char *endpoint, ma_prom_done_fn on_done, void *arg,
                                  struct ma_prom_call *c)
{
    struct ma_http_call_params p;
    struct ma_buf path, hdr;
    const char *tok = NULL;

    c->api = api;
    c->kind = kind;
    c->on_done = on_done;
    c->arg = arg;
    c->next = api->calls;
    if (api->calls)
        api->calls->prev = c;
    api->calls = c;
    memset(&p, 0, sizeof p);
    ma_buf_init_heap(&path, 1 << 24);
    ma_buf_appends(&path, endpoint);
    if (!api->post && form->len) {
        ma_buf_appendc(&path, '?');
        ma_buf_append(&path, form->p, form->len);
    }
    ma_buf_init_heap(&hdr, MA_PROM_MAX_HEADER_BYTES * 2);
    ma_buf_appends(&hdr, api->headers);
    if (!api->header_auth) {
        if (api->token)
            tok = ma_kube_token_get(api->token);
        if (!tok && api->kc_token)
            tok = ma_kube_token_get(api->kc_token);
        if (tok)
            ma_buf_appendf(&hdr, "Authorization: Bearer %s\r\n", tok);
    }
    p.method = api->post ? "POST" : "GET";
    p.path = ma_buf_cstr(&path);
    p.headers = ma_buf_cstr(&hdr);
    if (api->post) {
        p.body = form->p;
        p.body_len = form->len;
        p.content_type = "application/x-www-form-urlencoded";
    }
    p.timeout_ms = api->timeout_ms;
    p.on_done = kind == K_SERIES ? series_done : query_done;
    if (kind == K_SERIES) {
        p.on_head = on_head;
        p.on_data = on_data;
    }
    p.arg = c;
    MA_LOGV(6, "Prometheus %s %s%s", p.method, api->url, p.path);
    c->http = ma_http_client_start(api->http, &p); /* copies path, headers and body */
    ma_buf_free(&path);
    ma_buf_free(&hdr);
    ma_buf_free(form);
    return c;
}

/* see prom/api.h */
struct ma_prom_call *ma_prom_api_series(struct ma_prom_api *api, const char *const *match,
                                        size_t nmatch, double start_s, double end_s,
                                        ma_prom_series_fn on_series, ma_prom_done_fn on_done,
                                        void *arg)
{
    struct ma_prom_call *c = ma_xcalloc(1, sizeof *c);
    struct ma_buf form;
    char t[64];
    size_t i;

    /* url.Values.Encode sorts keys: end, match[], start */
    ma_buf_init_heap(&form, 1 << 24);
    if (end_s > 0) {
        fmt_time(t, sizeof t, end_s);
        ma_prom_form_append(&form, "end", t);
    }
    for (i = 0; i < nmatch; i++)
        ma_prom_form_append(&form, "match[]", match[i]);
    if (start_s > 0) {
        fmt_time(t, sizeof t, start_s);
        ma_prom_form_append(&form, "start", t);
    }
    c->on_series = on_series;
    c->sctx = ma_xmalloc(sizeof *c->sctx);
    ma_prom_series_init(c->sctx, on_series, arg);
    return start(api, K_SERIES, &form, "/api/v1/series", on_done, arg, c);
}

/* see prom/api.h */
struct ma_prom_call *ma_prom_api_query(struct ma_prom_api *api, const char *promql, double time_s,
                                       ma_prom_sample_fn on_sample, ma_prom_done_fn on_done,
                                       void *arg)
{
    struct ma_prom_call *c = ma_xcalloc(1, sizeof *c);
    struct ma_buf form;
    char t[64];

    ma_buf_init_heap(&form, 1 << 24);
    ma_prom_form_append(&form, "query", promql);
    if (time_s > 0) {
        fmt_time(t, sizeof t, time_s);
        ma_prom_form_append(&form, "time", t);
    }
    c->on_sample = on_sample;
    return start(api, K_QUERY, &form, "/api/v1/query", on_done, arg, c);
}
