#include "auth/tokenreview.h"

#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "http/client.h"
#include "json/read.h"
#include "json/write.h"
#include "kube/client.h"

#define REPLY_MAX_TOKENS 1024

struct slot {
    char *token; /* heap */
    size_t token_len;
    int64_t expires_ms;
    int authenticated;
    char *text; /* authenticated: status.user JSON; else status.error text */
    size_t text_len;
};

struct ma_auth_tr_call {
    struct ma_auth_tokenreview *t;
    struct ma_kube_req *req;
    struct ma_auth_tr_call *prev, *next;
    ma_auth_tr_cb cb;
    void *arg;
    size_t token_len;
    char token[];
};

struct ma_auth_tokenreview {
    struct ma_kube_client *kc;
    int64_t ttl_ms;
    uint64_t posted;
    struct ma_auth_tr_call *calls;
    struct slot slots[MA_AUTH_TOKEN_CACHE_SLOTS];
};

/* see auth/tokenreview.h */
struct ma_auth_tokenreview *ma_auth_tokenreview_new(struct ma_kube_client *kc, int64_t ttl_ms)
{
    struct ma_auth_tokenreview *t = ma_xcalloc(1, sizeof *t);

    t->kc = kc;
    t->ttl_ms = ttl_ms;
    return t;
}

static void unlink_call(struct ma_auth_tr_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->t->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* see auth/tokenreview.h */
void ma_auth_tokenreview_cancel(struct ma_auth_tr_call *c)
{
    if (c == NULL)
        return;
    ma_kube_req_cancel(c->req);
    unlink_call(c);
    free(c);
}

/* see auth/tokenreview.h */
void ma_auth_tokenreview_free(struct ma_auth_tokenreview *t)
{
    size_t i;

    if (t == NULL)
        return;
    while (t->calls != NULL)
        ma_auth_tokenreview_cancel(t->calls);
    for (i = 0; i < MA_AUTH_TOKEN_CACHE_SLOTS; i++) {
        free(t->slots[i].token);
        free(t->slots[i].text);
    }
    free(t);
}

/* see auth/tokenreview.h */
uint64_t ma_auth_tokenreview_posted(const struct ma_auth_tokenreview *t)
{
    return t->posted;
}

static struct slot *slot_for(struct ma_auth_tokenreview *t, const char *k, size_t n)
{
    uint64_t h = ma_hash_fnv1a(k, n);

    return &t->slots[h % MA_AUTH_TOKEN_CACHE_SLOTS];
}

static char *arena_str(struct ma_arena *a, const struct ma_json_doc *d, int tok)
{
    int n = ma_json_str_len(d, tok);
    char *s;

    if (n < 0)
        return NULL;
    s = ma_arena_alloc(a, (size_t)n + 1);
    if (s != NULL)
        ma_json_str(d, tok, s, (size_t)n + 1);
    return s;
}

/* see auth/tokenreview.h */
int ma_auth_tokenreview_parse_user(const char *json, size_t len, struct ma_arena *a,
                                   struct ma_auth_user *u)
{
    jsmntok_t toks[512];
    struct ma_json_doc d;
    int t, it = 0, e, key;

    memset(u, 0, sizeof *u);
    if (ma_json_parse(&d, json, len, toks, 512, NULL) != MA_OK || d.tok[0].type != JSMN_OBJECT)
        return MA_ERR_SYNTAX;
    t = ma_json_get(&d, 0, "username");
    if (t < 0 || (u->name = arena_str(a, &d, t)) == NULL)
        return t < 0 ? MA_ERR_SYNTAX : MA_ERR_NOSPACE;
    t = ma_json_get(&d, 0, "uid");
    u->uid = t >= 0 && !ma_json_is_null(&d, t) ? arena_str(a, &d, t) : "";
    u->groups = ma_arena_alloc(a, MA_AUTH_MAX_GROUPS * sizeof *u->groups + 1);
    u->extras = ma_arena_alloc(a, MA_AUTH_MAX_EXTRAS * sizeof *u->extras + 1);
    if (u->uid == NULL || u->groups == NULL || u->extras == NULL)
        return MA_ERR_NOSPACE;
    t = ma_json_get(&d, 0, "groups");
    while (t >= 0 && (e = ma_json_next(&d, t, &it, NULL)) >= 0) {
        if (u->ngroups == MA_AUTH_MAX_GROUPS)
            return MA_ERR_LIMIT;
        if ((u->groups[u->ngroups++] = arena_str(a, &d, e)) == NULL)
            return MA_ERR_SYNTAX;
    }
    t = ma_json_get(&d, 0, "extra");
    it = 0;
    while (t >= 0 && (e = ma_json_next(&d, t, &it, &key)) >= 0) {
        struct ma_auth_extra *x;
        int vit = 0, v;

        if (u->nextras == MA_AUTH_MAX_EXTRAS)
            return MA_ERR_LIMIT;
        x = &u->extras[u->nextras++];
        x->key = arena_str(a, &d, key);
        x->nvalues = 0;
        x->values = ma_arena_alloc(a, (size_t)d.tok[e].size * sizeof *x->values + 1);
        if (x->key == NULL || x->values == NULL)
            return MA_ERR_NOSPACE;
        while ((v = ma_json_next(&d, e, &vit, NULL)) >= 0)
            if ((x->values[x->nvalues++] = arena_str(a, &d, v)) == NULL)
                return MA_ERR_SYNTAX;
    }
    u->method = "token";
    return MA_OK;
}

/* see auth/tokenreview.h */
int ma_auth_tokenreview_cached(struct ma_auth_tokenreview *t, struct ma_str token, int64_t now_ms,
                               struct ma_arena *a, struct ma_auth_user *u, struct ma_errmsg *em)
{
    struct slot *s = slot_for(t, token.p, token.len);
    int rc;

    if (s->token == NULL || s->token_len != token.len || now_ms >= s->expires_ms ||
        memcmp(s->token, token.p, token.len) != 0)
        return MA_ERR_NOTFOUND;
    if (!s->authenticated) {
        ma_errmsg_set(em, "invalid bearer token%s%.*s", s->text_len ? ": " : "",
                      (int)s->text_len, s->text ? s->text : "");
        return MA_ERR_DENIED;
    }
    rc = ma_auth_tokenreview_parse_user(s->text, s->text_len, a, u);
    if (rc == MA_OK)
        rc = ma_auth_user_add_authenticated(u, a);
    else if (rc != MA_ERR_NOSPACE)
        ma_errmsg_set(em, "TokenReview user is malformed or over our bounds");
    return rc == MA_ERR_NOSPACE || rc == MA_OK ? rc : MA_ERR_DENIED;
}

static void remember(struct ma_auth_tokenreview *t, const char *tok, size_t n, int authenticated,
                     const char *text, size_t len)
{
    struct slot *s = slot_for(t, tok, n);

    free(s->token);
    free(s->text);
    s->token = ma_xmalloc(n);
    memcpy(s->token, tok, n);
    s->token_len = n;
    s->text = ma_xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->text_len = len;
    s->authenticated = authenticated;
    s->expires_ms = ma_time_mono_ms() + t->ttl_ms;
}

/* Cache the reply's verdict; MA_OK or MA_ERR_SYNTAX with em. */
static int take_reply(struct ma_auth_tokenreview *t, const char *tok, size_t n, const char *body,
                      size_t len, struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc(REPLY_MAX_TOKENS * sizeof *toks);
    struct ma_json_doc d;
    int st, auth = 0, user, err, rc = MA_ERR_SYNTAX;

    if (ma_json_parse(&d, body, len, toks, REPLY_MAX_TOKENS, em) != MA_OK)
        goto out;
    st = ma_json_get(&d, 0, "status");
    if (st < 0 || d.tok[st].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "TokenReview reply has no status");
        goto out;
    }
    /* "authenticated" is omitted when false */
    if (ma_json_get(&d, st, "authenticated") >= 0 &&
        ma_json_bool(&d, ma_json_get(&d, st, "authenticated"), &auth) != MA_OK) {
        ma_errmsg_set(em, "TokenReview reply: status.authenticated is not a boolean");
        goto out;
    }
    user = ma_json_get(&d, st, "user");
    if (auth && (user < 0 || d.tok[user].type != JSMN_OBJECT)) {
        ma_errmsg_set(em, "TokenReview reply: authenticated without status.user");
        goto out;
    }
    if (auth) {
        remember(t, tok, n, 1, body + d.tok[user].start,
                 (size_t)(d.tok[user].end - d.tok[user].start));
    } else {
        char msg[200];

        err = ma_json_get(&d, st, "error");
        msg[0] = '\0';
        if (err >= 0 && !ma_json_is_null(&d, err))
            ma_json_str(&d, err, msg, sizeof msg);
        remember(t, tok, n, 0, msg, strlen(msg));
    }
    rc = MA_OK;
out:
    free(toks);
    return rc;
}

static void on_done(const struct ma_http_result *res, void *arg)
{
    struct ma_auth_tr_call *c = arg;
    struct ma_errmsg em;
    int rc;

    unlink_call(c);
    if (res->err != MA_OK) {
        ma_errmsg_set(&em, "TokenReview: %s", res->em.msg);
        rc = MA_ERR_UPSTREAM;
    } else if (res->status < 200 || res->status > 299) {
        ma_errmsg_set(&em, "TokenReview: kube-apiserver answered %d", res->status);
        rc = MA_ERR_UPSTREAM;
    } else {
        rc = take_reply(c->t, c->token, c->token_len, res->body->p, res->body->len, &em);
    }
    c->cb(c->arg, rc, rc < 0 ? &em : NULL);
    free(c);
}

/* see auth/tokenreview.h */
struct ma_auth_tr_call *ma_auth_tokenreview_start(struct ma_auth_tokenreview *t, struct ma_str token,
                                                  ma_auth_tr_cb cb, void *arg)
{
    struct ma_auth_tr_call *c = ma_xmalloc(sizeof *c + token.len);
    struct ma_kube_req_params p = {0};
    struct ma_buf body;
    struct ma_json_w w;

    c->t = t;
    c->cb = cb;
    c->arg = arg;
    c->token_len = token.len;
    memcpy(c->token, token.p, token.len);
    c->prev = NULL;
    c->next = t->calls;
    if (t->calls)
        t->calls->prev = c;
    t->calls = c;
    /* {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"..."}} */
    ma_buf_init_heap(&body, token.len * 6 + 256);
    ma_json_w_init(&w, &body, 0);
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, "authentication.k8s.io/v1");
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "TokenReview");
    ma_json_w_key(&w, "spec");
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "token");
    ma_json_w_strn(&w, token.p, token.len);
    ma_json_w_obj_end(&w);
    ma_json_w_obj_end(&w);
    ma_json_w_end(&w);
    p.path = "/apis/authentication.k8s.io/v1/tokenreviews";
    p.method = "POST";
    p.body = body.p;
    p.body_len = body.len;
    p.timeout_ms = MA_AUTH_REVIEW_TIMEOUT_MS;
    p.on_done = on_done;
    p.arg = c;
    t->posted++;
    c->req = ma_kube_request(t->kc, &p);
    ma_buf_free(&body);
    return c;
}
