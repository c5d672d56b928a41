#include "api/req.h"

#include "api/api.h"
#include "api/fieldsel.h"
#include "api/memo.h"
#include "base/log.h"
#include "base/time.h"
#include "http/server.h"
#include "http/url.h"
#include "kube/selector.h"
#include "json/write.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- query parameters ------------------------------------------------------------------------ */

/* see api/req.h */
int ma_api_req_param(struct ma_api_req *r, const char *key, const char **value)
{
    struct ma_str query = r->ex->req.query;
    char *out = ma_arena_alloc(r->ex->arena, query.len + 1);
    int n;

    if (out == NULL) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return -1;
    }
    n = ma_http_query_get(query, key, out, query.len); /* decoding never grows */
    if (n == MA_ERR_NOTFOUND)
        return 0;
    if (n < 0) {
        /* Go's url.ParseQuery would drop the pair; kube-apiserver re-encodes queries, so only a
         * direct client can send this, and an explicit error helps it more than silence */
        ma_api_req_fail(r, 400, "invalid URL escape in query parameter %s", key);
        return -1;
    }
    out[n] = '\0';
    *value = out;
    return 1;
}

/* see api/req.h */
int ma_api_req_selector(struct ma_api_req *r, const char *key, struct ma_kube_selector **sel)
{
    struct ma_errmsg em;
    const char *s;
    int rc = ma_api_req_param(r, key, &s);

    *sel = NULL;
    if (rc <= 0)
        return rc;
    *sel = ma_arena_alloc(r->ex->arena, sizeof **sel);
    if (*sel == NULL) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return -1;
    }
    em.msg[0] = '\0';
    rc = ma_kube_selector_parse(s, strlen(s), *sel, &em);
    if (rc != MA_OK) {
        ma_api_req_fail(r, 400, "%s", em.msg[0] ? em.msg : "invalid label selector");
        return -1;
    }
    if ((*sel)->num_reqs == 0)
        *sel = NULL;
    return 0;
}

/* see api/req.h */
int ma_api_req_fields(struct ma_api_req *r, struct ma_str name)
{
    struct ma_errmsg em;
    const char *sel, *cname = NULL;
    char *scratch;
    int rc = ma_api_req_param(r, "fieldSelector", &sel);

    if (rc <= 0)
        return rc;
    scratch = ma_arena_alloc(r->ex->arena, strlen(sel) + 1);
    if (name.p != NULL)
        cname = ma_api_req_strdup(r, name);
    if (scratch == NULL || (name.p != NULL && cname == NULL)) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return -1;
    }
    if (ma_api_fieldsel_check(sel, cname, scratch, &em) < 0) {
        ma_api_req_fail(r, 400, "%s", em.msg);
        return -1;
    }
    return 0;
}

/* see api/req.h */
char *ma_api_req_strdup(struct ma_api_req *r, struct ma_str s)
{
    return ma_arena_strndup(r->ex->arena, s.p, s.len);
}

/* ---- answering ------------------------------------------------------------------------------- */

static void respond(struct ma_api_req *r, int status, const char *type, const char *headers)
{
    ma_http_respond(r->ex, status, type, headers);
}

/* ---- reusable answers (api/memo.h) ------------------------------------------------------------ */

/* The memo key is the raw request target; the pretty flag is its variant: together they fix the
 * bytes. */
static void memo_store(struct ma_api_req *r)
{
    const struct ma_str *t = &r->ex->req.target;

    if (!r->ex->body->err)
        ma_api_memo_put(&r->api->_memo, t->p, t->len, r->pretty, r->memo_gen, r->q.memo_until_ms,
                        r->ex->body->p, r->ex->body->len, ma_time_mono_ms());
}

/* Answer from the memo when the backend's state is what it was when the answer was stored. */
static int memo_serve(struct ma_api_req *r, uint64_t gen)
{
    const struct ma_str *t = &r->ex->req.target;
    const struct ma_api_memo_entry *e;

    if (!r->accept_ok)
        return 0;
    e = ma_api_memo_get(&r->api->_memo, t->p, t->len, r->pretty, gen, ma_time_mono_ms());
    if (e == NULL)
        return 0;
    ma_buf_reset(r->ex->body);
    ma_buf_append(r->ex->body, e->body, e->body_len);
    respond(r, 200, "application/json", NULL);
    return 1;
}

/* see api/req.h */
int ma_api_req_begin(struct ma_api_req *r, struct ma_json_w *w)
{
    if (!r->accept_ok) {
        /* AS negotiation: a success the client cannot accept becomes 406 (written by WriteRawJSON,
         * so indented; errors keep their own code in that form, see api.c) */
        struct ma_api_status st = {406, "NotAcceptable",
                                   "only the following media types are accepted: application/json",
                                   MA_API_DETAILS_NONE};

        ma_api_req_status(r, &st);
        return 0;
    }
    ma_buf_reset(r->ex->body);
    ma_json_w_init(w, r->ex->body, r->pretty);
    return 1;
}

/* see api/req.h */
void ma_api_req_end(struct ma_api_req *r, struct ma_json_w *w, int status)
{
    int rc = ma_json_w_end(w);

    if (rc != MA_OK && rc != MA_ERR_NOSPACE) {
        /* a writer misuse is our bug: answer something valid */
        MA_LOG_E("JSON writer failed (%s) answering %s; sending 500", ma_err_name(rc), r->path);
        ma_buf_reset(r->ex->body);
        ma_json_w_init(w, r->ex->body, r->pretty);
        ma_api_status_write(w, &(struct ma_api_status){500, "InternalError", "JSON writer failed",
                                                       MA_API_DETAILS_CAUSE});
        status = 500;
    }
    /* json.NewEncoder(w).Encode ends compact output with a newline; MarshalIndent does not */
    if (!r->pretty)
        ma_buf_appendc(r->ex->body, '\n');
    if (status == 200 && r->memo_armed && r->q.memo_until_ms > 0)
        memo_store(r);
    /* a NOSPACE body (response over the limit) is replaced by the server with a 500 */
    respond(r, status, "application/json", NULL);
}

/* see api/req.h */
void ma_api_req_status(struct ma_api_req *r, const struct ma_api_status *st)
{
    struct ma_json_w w;

    ma_buf_reset(r->ex->body);
    ma_json_w_init(&w, r->ex->body, r->pretty);
    ma_api_status_write(&w, st);
    ma_api_req_end(r, &w, st->code);
}

/* see api/req.h */
void ma_api_req_fail(struct ma_api_req *r, int code, const char *fmt, ...)
{
    struct ma_api_status st;
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ma_api_status_for(code, msg, &st);
    ma_api_req_status(r, &st);
}

/* see api/req.h */
void ma_api_req_text(struct ma_api_req *r, int status, const char *text)
{
    ma_buf_reset(r->ex->body);
    ma_buf_appends(r->ex->body, text);
    respond(r, status, "text/plain; charset=utf-8", "X-Content-Type-Options: nosniff\r\n");
}

/* ---- provider queries ------------------------------------------------------------------------ */

static void answer_query(struct ma_api_req *r)
{
    struct ma_prov_query *q = &r->q;

    if (q->err_status == 0) {
        r->answer(r);
        return;
    }
    if (q->err_status >= 500)
        MA_LOGV(1, "%s: backend failed with %d: %s", r->path, q->err_status, q->err.msg);
    ma_api_req_fail(r, q->err_status, "%s", q->err.msg);
}

static void query_done(struct ma_prov_query *q)
{
    struct ma_api_req *r = q->done_arg;

    r->ex->on_abort = NULL;
    r->ex->handler_data = NULL;
    answer_query(r);
}

/* the connection died while the provider was working */
static void query_abort(struct ma_http_exchange *ex)
{
    struct ma_api_req *r = ex->handler_data;
    const struct ma_provider_class **p = r->api->provider;

    MA_LOGV(2, "%s: client went away, cancelling the backend query", r->path);
    (*p)->cancel(p, &r->q);
}

/* see api/req.h */
void ma_api_req_query(struct ma_api_req *r, void (*answer)(struct ma_api_req *r))
{
    const struct ma_provider_class **p = r->api->provider;
    int rc;

    r->answer = answer;
    r->q.done = query_done;
    r->q.done_arg = r;
    if ((*p)->generation != NULL) {
        r->memo_gen = (*p)->generation(p);
        if (memo_serve(r, r->memo_gen))
            return;
        r->memo_armed = 1;
    }
    rc = ma_prov_get(p, &r->q);
    if (rc == MA_ERR_PARTIAL) {
        /* q->done comes from a later loop turn, so nothing can abort before this is set */
        r->ex->on_abort = query_abort;
        r->ex->handler_data = r;
        return;
    }
    if (rc != MA_OK) {
        MA_LOG_W("%s: backend %s failed without a status: %s", r->path, (*p)->name,
                 ma_err_name(rc));
        ma_api_req_fail(r, 500, "unable to fetch metrics: %s", ma_err_name(rc));
        return;
    }
    answer_query(r);
}
