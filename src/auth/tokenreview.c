#include "auth/tokenreview.h"

#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "json/read.h"
#include "json/write.h"

#define REPLY_MAX_TOKENS 1024
/* kube's status.error is one line ("token expired"); longer ones are cut. */
#define ERROR_MAX 200

/* {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"..."}} */
static void write_body(struct ma_buf *b, const char *token, size_t len)
{
    struct ma_json_w w;

    ma_json_w_init(&w, b, 0);
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, "authentication.k8s.io/v1");
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "TokenReview");
    ma_json_w_key(&w, "spec");
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "token");
    ma_json_w_strn(&w, token, len);
    ma_json_w_obj_end(&w);
    ma_json_w_obj_end(&w);
    ma_json_w_end(&w);
}

/* The verdict of a reply: status.user JSON or status.error to text; MA_ERR_SYNTAX with em. */
static int read_reply(const char *body, size_t len, struct ma_buf *text, struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc(REPLY_MAX_TOKENS * sizeof *toks);
    struct ma_json_doc d;
    int st, auth = 0, user, err, rc = MA_ERR_SYNTAX;
    char msg[ERROR_MAX];

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
        ma_buf_append(text, body + d.tok[user].start,
                      (size_t)(d.tok[user].end - d.tok[user].start));
        rc = MA_AUTH_ALLOW;
        goto out;
    }
    err = ma_json_get(&d, st, "error");
    msg[0] = '\0';
    if (err >= 0 && !ma_json_is_null(&d, err))
        ma_json_str(&d, err, msg, sizeof msg);
    ma_buf_appends(text, msg);
    rc = MA_AUTH_DENY;
out:
    free(toks);
    return rc;
}

static const struct ma_auth_review_class tokenreview_class = {
    "TokenReview", "/apis/authentication.k8s.io/v1/tokenreviews", write_body, read_reply};

/* see auth/tokenreview.h */
struct ma_auth_review *ma_auth_tokenreview_new(struct ma_kube_client *kc, int64_t ttl_ms)
{
    int64_t ttl[2] = {ttl_ms, ttl_ms};

    return ma_auth_review_new(kc, &tokenreview_class, MA_AUTH_TOKEN_CACHE_SLOTS, ttl);
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
int ma_auth_tokenreview_user(int verdict, const char *text, size_t len, struct ma_arena *a,
                             struct ma_auth_user *u, struct ma_errmsg *em)
{
    int rc;

    if (verdict != MA_AUTH_ALLOW) {
        ma_errmsg_set(em, "invalid bearer token%s%.*s", len ? ": " : "", (int)len, text);
        return MA_ERR_DENIED;
    }
    rc = ma_auth_tokenreview_parse_user(text, len, a, u);
    if (rc == MA_OK)
        rc = ma_auth_user_add_authenticated(u, a);
    else if (rc != MA_ERR_NOSPACE)
        ma_errmsg_set(em, "TokenReview user is malformed or over our bounds");
    return rc == MA_ERR_NOSPACE || rc == MA_OK ? rc : MA_ERR_DENIED;
}
