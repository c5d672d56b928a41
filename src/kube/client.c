#include "kube/client.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"

struct ma_kube_client {
    struct ma_http_client *http;
    struct ma_kube_token_source tokens;
    int have_tokens;
    uint64_t requests;
};

struct ma_kube_req {
    struct ma_kube_client *kc;
    struct ma_kube_req_params p;
    char *path;
    void *body;
    struct ma_http_call *call;
    int retried;
    int status;   /* of the current attempt, once its head arrived (streaming) */
    int got_data; /* a streamed byte was delivered: a retry would replay the stream */
};

/* see kube/client.h */
struct ma_kube_client *ma_kube_client_new(struct ma_http_client *http,
                                          const struct ma_kube_token_source *tokens)
{
    struct ma_kube_client *kc = ma_xcalloc(1, sizeof *kc);

    kc->http = http;
    if (tokens != NULL) {
        kc->tokens = *tokens;
        kc->have_tokens = 1;
    }
    return kc;
}

/* see kube/client.h */
void ma_kube_client_free(struct ma_kube_client *kc)
{
    free(kc);
}

static void req_free(struct ma_kube_req *r)
{
    free(r->path);
    free(r->body);
    free(r);
}

static void start(struct ma_kube_req *r);

/* A 401 that on_done will retry after re-reading the token. */
static int will_retry(const struct ma_kube_req *r)
{
    return r->status == 401 && !r->retried && r->kc->have_tokens && !r->got_data;
}

static void on_head(struct ma_http_call *call, int status, void *arg)
{
    struct ma_kube_req *r = arg;

    (void)call;
    r->status = status;
    /* a 401 on a stream is retried from on_done like any other; do not pass its head on */
    if (will_retry(r))
        return;
    if (r->p.on_head != NULL)
        r->p.on_head(status, r->p.arg);
}

static int on_data(struct ma_http_call *call, const char *p, size_t n, void *arg)
{
    struct ma_kube_req *r = arg;

    (void)call;
    if (r->p.on_data == NULL || will_retry(r))
        return MA_OK; /* the Status body of a 401 about to be retried is nobody's business */
    r->got_data = 1;
    return r->p.on_data(p, n, r->p.arg);
}

static void on_done(struct ma_http_call *call, const struct ma_http_result *res, void *arg)
{
    struct ma_kube_req *r = arg;

    (void)call;
    r->call = NULL;
    if (res->err == MA_OK && res->status == 401 && !r->retried && r->kc->have_tokens &&
        !r->got_data) {
        /* the token may have rotated under us: re-read it and try once more */
        MA_LOGV(2, "kube-apiserver answered 401 for %s: re-reading the token and retrying",
                r->path);
        r->retried = 1;
        r->kc->tokens.invalidate(r->kc->tokens.arg);
        start(r);
        return;
    }
    r->p.on_done(res, r->p.arg);
    req_free(r);
}

static void start(struct ma_kube_req *r)
{
    struct ma_http_call_params cp = {0};
    char headers[4096];
    const char *token = r->kc->have_tokens ? r->kc->tokens.get(r->kc->tokens.arg) : NULL;

    headers[0] = '\0';
    if (token != NULL && token[0] != '\0') {
        /* a token that does not fit is refused rather than cut: it would fail anyway */
        if ((size_t)snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", token) >=
            sizeof headers)
            headers[0] = '\0';
    }
    cp.method = r->p.method ? r->p.method : "GET";
    cp.path = r->path;
    cp.headers = headers;
    cp.body = r->body;
    cp.body_len = r->p.body_len;
    cp.content_type = r->body ? "application/json" : NULL;
    cp.timeout_ms = r->p.timeout_ms;
    cp.read_timeout_ms = r->p.read_timeout_ms;
    r->status = 0;
    cp.on_head = r->p.on_data ? on_head : NULL;
    cp.on_data = r->p.on_data ? on_data : NULL;
    cp.on_done = on_done;
    cp.arg = r;
    r->kc->requests++;
    r->call = ma_http_client_start(r->kc->http, &cp);
}

/* see kube/client.h */
struct ma_kube_req *ma_kube_request(struct ma_kube_client *kc, const struct ma_kube_req_params *p)
{
    struct ma_kube_req *r = ma_xcalloc(1, sizeof *r);

    r->kc = kc;
    r->p = *p;
    r->path = ma_xstrdup(p->path);
    if (p->body != NULL && p->body_len > 0) {
        r->body = ma_xmalloc(p->body_len);
        memcpy(r->body, p->body, p->body_len);
    }
    start(r);
    return r;
}

/* see kube/client.h */
void ma_kube_req_cancel(struct ma_kube_req *r)
{
    if (r == NULL)
        return;
    if (r->call != NULL)
        ma_http_call_cancel(r->call);
    req_free(r);
}
