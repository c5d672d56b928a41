#include "auth/sar.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "http/client.h"
#include "json/read.h"
#include "kube/client.h"

/* A reply holds the echoed spec: its tokens grow with the user's groups and extras. */
#define REPLY_MAX_TOKENS 1024

struct slot {
    char *key; /* heap: the spec JSON */
    size_t key_len;
    int64_t expires_ms;
    int decision;
    char *reason; /* heap */
};

/* Identical reviews in flight share one POST (a cache entry expiring under load would otherwise
 * send one review per waiting request): the first call leads, the others follow it. */
struct ma_auth_sar_call {
    struct ma_auth_sar *s;
    struct ma_kube_req *req;              /* leaders only */
    struct ma_auth_sar_call *prev, *next; /* leaders, in s->calls */
    struct ma_auth_sar_call *leader;      /* followers: whom they wait for */
    struct ma_auth_sar_call *followers;   /* leaders: who waits for them */
    struct ma_auth_sar_call *fprev, *fnext;
    ma_auth_sar_cb cb;                    /* NULL: a leader cancelled while followers wait */
    void *arg;
    size_t key_len;
    char key[]; /* the spec */
};

struct ma_auth_sar {
    struct ma_kube_client *kc;
    int64_t allow_ttl_ms, deny_ttl_ms;
    uint64_t posted;
    struct ma_auth_sar_call *calls;
    struct slot slots[MA_AUTH_SAR_CACHE_SLOTS];
};

/* see auth/sar.h */
struct ma_auth_sar *ma_auth_sar_new(struct ma_kube_client *kc, int64_t allow_ttl_ms,
                                    int64_t deny_ttl_ms)
{
    struct ma_auth_sar *s = ma_xcalloc(1, sizeof *s);

    s->kc = kc;
    s->allow_ttl_ms = allow_ttl_ms;
    s->deny_ttl_ms = deny_ttl_ms;
    return s;
}

static void unlink_call(struct ma_auth_sar_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->s->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void unlink_follower(struct ma_auth_sar_call *f)
{
    if (f->fprev)
        f->fprev->fnext = f->fnext;
    else
        f->leader->followers = f->fnext;
    if (f->fnext)
        f->fnext->fprev = f->fprev;
}

/* see auth/sar.h */
void ma_auth_sar_cancel(struct ma_auth_sar_call *c)
{
    if (c == NULL)
        return;
    if (c->leader != NULL) {
        unlink_follower(c);
    } else if (c->followers != NULL) {
        c->cb = NULL; /* the review goes on for the followers */
        return;
    } else {
        ma_kube_req_cancel(c->req);
        unlink_call(c);
    }
    free(c);
}

/* see auth/sar.h */
void ma_auth_sar_free(struct ma_auth_sar *s)
{
    size_t i;

    if (s == NULL)
        return;
    while (s->calls != NULL) {
        struct ma_auth_sar_call *c = s->calls, *f;

        while ((f = c->followers) != NULL) {
            c->followers = f->fnext;
            free(f);
        }
        ma_kube_req_cancel(c->req);
        unlink_call(c);
        free(c);
    }
    for (i = 0; i < MA_AUTH_SAR_CACHE_SLOTS; i++) {
        free(s->slots[i].key);
        free(s->slots[i].reason);
    }
    free(s);
}

/* see auth/sar.h */
uint64_t ma_auth_sar_posted(const struct ma_auth_sar *s)
{
    return s->posted;
}

/* FNV-1a: the slot index only; the full key is compared. */
static struct slot *slot_for(struct ma_auth_sar *s, const char *k, size_t n)
{
    uint64_t h = ma_hash_fnv1a(k, n);

    return &s->slots[h % MA_AUTH_SAR_CACHE_SLOTS];
}

/* see auth/sar.h */
int ma_auth_sar_cached(struct ma_auth_sar *s, const char *spec, size_t len, int64_t now_ms,
                       const char **reason)
{
    struct slot *sl = slot_for(s, spec, len);

    if (sl->key == NULL || sl->key_len != len || now_ms >= sl->expires_ms ||
        memcmp(sl->key, spec, len) != 0)
        return MA_ERR_NOTFOUND;
    *reason = sl->reason;
    return sl->decision;
}

static void remember(struct ma_auth_sar *s, const char *k, size_t n, int decision,
                     const char *reason)
{
    struct slot *sl = slot_for(s, k, n);
    int64_t ttl = decision == MA_AUTH_ALLOW ? s->allow_ttl_ms : s->deny_ttl_ms;

    if (ttl <= 0)
        return;
    free(sl->key);
    free(sl->reason);
    sl->key = ma_xmalloc(n);
    memcpy(sl->key, k, n);
    sl->key_len = n;
    sl->reason = ma_xmalloc(strlen(reason) + 1);
    strcpy(sl->reason, reason);
    sl->decision = decision;
    sl->expires_ms = ma_time_mono_ms() + ttl;
}

/* see auth/sar.h */
int ma_auth_sar_parse_reply(const char *body, size_t len, char *reason, size_t cap,
                            struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc(REPLY_MAX_TOKENS * sizeof *toks);
    struct ma_json_doc d;
    int st, allowed = 0, denied = 0, t, rc;

    reason[0] = '\0';
    rc = ma_json_parse(&d, body, len, toks, REPLY_MAX_TOKENS, em);
    if (rc != MA_OK)
        goto out;
    rc = MA_ERR_SYNTAX;
    st = ma_json_get(&d, 0, "status");
    t = ma_json_get(&d, st, "allowed");
    if (st < 0 || d.tok[st].type != JSMN_OBJECT || ma_json_bool(&d, t, &allowed) != MA_OK) {
        ma_errmsg_set(em, "SubjectAccessReview reply has no status.allowed");
        goto out;
    }
    t = ma_json_get(&d, st, "denied");
    if (t >= 0 && ma_json_bool(&d, t, &denied) != MA_OK) {
        ma_errmsg_set(em, "SubjectAccessReview reply: status.denied is not a boolean");
        goto out;
    }
    t = ma_json_get(&d, st, "reason");
    if (t >= 0 && !ma_json_is_null(&d, t) && ma_json_str(&d, t, reason, cap) < 0 && reason[0] == 0) {
        ma_errmsg_set(em, "SubjectAccessReview reply: status.reason is not a string");
        goto out;
    }
    if (allowed && denied) {
        /* kube's webhook authorizer: an error, so the request gets 500 */
        ma_errmsg_set(em, "webhook subject access review returned both allow and deny response");
        rc = MA_ERR_DENIED;
        goto out;
    }
    rc = allowed ? MA_AUTH_ALLOW : MA_AUTH_DENY;
out:
    free(toks);
    return rc;
}

static void on_done(const struct ma_http_result *res, void *arg)
{
    struct ma_auth_sar_call *c = arg, *f;
    struct ma_errmsg em;
    char reason[512];
    int rc;

    unlink_call(c);
    reason[0] = '\0';
    if (res->err != MA_OK) {
        ma_errmsg_set(&em, "SubjectAccessReview: %s", res->em.msg);
        rc = MA_ERR_UPSTREAM;
    } else if (res->status < 200 || res->status > 299) {
        ma_errmsg_set(&em, "SubjectAccessReview: kube-apiserver answered %d", res->status);
        rc = MA_ERR_UPSTREAM;
    } else {
        rc = ma_auth_sar_parse_reply(res->body->p, res->body->len, reason, sizeof reason, &em);
        if (rc == MA_AUTH_ALLOW || rc == MA_AUTH_DENY)
            remember(c->s, c->key, c->key_len, rc, reason);
    }
    while ((f = c->followers) != NULL) {
        c->followers = f->fnext;
        if (f->fnext)
            f->fnext->fprev = NULL;
        f->cb(f->arg, rc, reason, rc < 0 ? &em : NULL);
        free(f);
    }
    if (c->cb != NULL)
        c->cb(c->arg, rc, reason, rc < 0 ? &em : NULL);
    free(c);
}

/* see auth/sar.h */
struct ma_auth_sar_call *ma_auth_sar_start(struct ma_auth_sar *s, const char *spec, size_t len,
                                           ma_auth_sar_cb cb, void *arg)
{
    static const char head[] =
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":";
    struct ma_auth_sar_call *c = ma_xcalloc(1, sizeof *c + len), *l;
    struct ma_kube_req_params p = {0};
    struct ma_buf body;

    c->s = s;
    c->cb = cb;
    c->arg = arg;
    c->key_len = len;
    memcpy(c->key, spec, len);
    for (l = s->calls; l != NULL; l = l->next)
        if (l->key_len == len && memcmp(l->key, spec, len) == 0) {
            c->leader = l;
            c->fnext = l->followers;
            if (l->followers)
                l->followers->fprev = c;
            l->followers = c;
            return c;
        }
    c->prev = NULL;
    c->next = s->calls;
    if (s->calls)
        s->calls->prev = c;
    s->calls = c;
    ma_buf_init_heap(&body, len + sizeof head + 8);
    ma_buf_appends(&body, head);
    ma_buf_append(&body, spec, len);
    ma_buf_appendc(&body, '}');
    p.path = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    p.method = "POST";
    p.body = body.p;
    p.body_len = body.len;
    p.timeout_ms = MA_AUTH_REVIEW_TIMEOUT_MS;
    p.on_done = on_done;
    p.arg = c;
    s->posted++;
    c->req = ma_kube_request(s->kc, &p);
    ma_buf_free(&body);
    return c;
}
