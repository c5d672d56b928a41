#include "auth/review.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "http/client.h"
#include "kube/client.h"

struct slot {
    char *key; /* heap */
    size_t key_len;
    int64_t expires_ms;
    int verdict;
    char *text; /* heap, NUL-terminated */
    size_t text_len;
};

struct ma_auth_review_call {
    struct ma_auth_review *r;
    struct ma_kube_req *req;                 /* leaders only */
    struct ma_auth_review_call *prev, *next; /* leaders, in r->calls */
    struct ma_auth_review_call *leader;      /* followers: whom they wait for */
    struct ma_auth_review_call *followers;   /* leaders: who waits for them */
    struct ma_auth_review_call *fprev, *fnext;
    ma_auth_review_cb cb; /* NULL: a leader cancelled while followers wait */
    void *arg;
    size_t key_len;
    char key[];
};

struct ma_auth_review {
    struct ma_kube_client *kc;
    const struct ma_auth_review_class *cls;
    int64_t ttl_ms[2];
    uint64_t posted;
    struct ma_auth_review_call *calls;
    size_t nslots;
    struct slot *slots;
};

/* see auth/review.h */
struct ma_auth_review *ma_auth_review_new(struct ma_kube_client *kc,
                                          const struct ma_auth_review_class *cls, size_t nslots,
                                          const int64_t ttl_ms[2])
{
    struct ma_auth_review *r = ma_xcalloc(1, sizeof *r);

    r->kc = kc;
    r->cls = cls;
    r->ttl_ms[MA_AUTH_DENY] = ttl_ms[MA_AUTH_DENY];
    r->ttl_ms[MA_AUTH_ALLOW] = ttl_ms[MA_AUTH_ALLOW];
    r->nslots = nslots;
    r->slots = ma_xcalloc(nslots, sizeof *r->slots);
    return r;
}

static void unlink_call(struct ma_auth_review_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->r->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void unlink_follower(struct ma_auth_review_call *f)
{
    if (f->fprev)
        f->fprev->fnext = f->fnext;
    else
        f->leader->followers = f->fnext;
    if (f->fnext)
        f->fnext->fprev = f->fprev;
}

/* see auth/review.h */
void ma_auth_review_cancel(struct ma_auth_review_call *c)
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

/* see auth/review.h */
void ma_auth_review_free(struct ma_auth_review *r)
{
    size_t i;

    if (r == NULL)
        return;
    while (r->calls != NULL) {
        struct ma_auth_review_call *c = r->calls, *f;

        while ((f = c->followers) != NULL) {
            c->followers = f->fnext;
            free(f);
        }
        ma_kube_req_cancel(c->req);
        unlink_call(c);
        free(c);
    }
    for (i = 0; i < r->nslots; i++) {
        free(r->slots[i].key);
        free(r->slots[i].text);
    }
    free(r->slots);
    free(r);
}

/* see auth/review.h */
uint64_t ma_auth_review_posted(const struct ma_auth_review *r)
{
    return r->posted;
}

/* FNV-1a: the slot index only; the full key is compared. */
static struct slot *slot_for(struct ma_auth_review *r, const char *k, size_t n)
{
    return &r->slots[ma_hash_fnv1a(k, n) % r->nslots];
}

/* see auth/review.h */
int ma_auth_review_cached(struct ma_auth_review *r, const char *key, size_t len, int64_t now_ms,
                          const char **text, size_t *text_len)
{
    struct slot *sl = slot_for(r, key, len);

    if (sl->key == NULL || sl->key_len != len || now_ms >= sl->expires_ms ||
        memcmp(sl->key, key, len) != 0)
        return MA_ERR_NOTFOUND;
    *text = sl->text;
    *text_len = sl->text_len;
    return sl->verdict;
}

static void remember(struct ma_auth_review *r, const char *k, size_t n, int verdict,
                     const char *text, size_t text_len)
{
    struct slot *sl = slot_for(r, k, n);
    int64_t ttl = r->ttl_ms[verdict];

    if (ttl <= 0)
        return;
    free(sl->key);
    free(sl->text);
    sl->key = ma_xmalloc(n + 1); /* + 1: a zero-length key is still a stored key */
    memcpy(sl->key, k, n);
    sl->key_len = n;
    sl->text = ma_xmalloc(text_len + 1);
    memcpy(sl->text, text, text_len);
    sl->text[text_len] = '\0';
    sl->text_len = text_len;
    sl->verdict = verdict;
    sl->expires_ms = ma_time_mono_ms() + ttl;
}

/* The verdict of a finished POST, its text in *text (cached when a verdict), or a negative code
 * with em. */
static int read_result(struct ma_auth_review_call *c, const struct ma_http_result *res,
                       struct ma_buf *text, struct ma_errmsg *em)
{
    const struct ma_auth_review_class *cls = c->r->cls;
    int rc;

    if (res->err != MA_OK) {
        ma_errmsg_set(em, "%s: %s", cls->kind, res->em.msg);
        return MA_ERR_UPSTREAM;
    }
    if (res->status < 200 || res->status > 299) {
        ma_errmsg_set(em, "%s: kube-apiserver answered %d", cls->kind, res->status);
        return MA_ERR_UPSTREAM;
    }
    rc = cls->read_reply(res->body->p, res->body->len, text, em);
    if (rc != MA_AUTH_ALLOW && rc != MA_AUTH_DENY)
        return rc < 0 ? rc : MA_ERR_SYNTAX;
    if (text->err != MA_OK) {
        ma_errmsg_set(em, "%s reply: answer over %d bytes", cls->kind, MA_AUTH_MAX_REVIEW_BYTES);
        return MA_ERR_LIMIT;
    }
    ma_buf_cstr(text);
    remember(c->r, c->key, c->key_len, rc, text->p, text->len);
    return rc;
}

static void on_done(const struct ma_http_result *res, void *arg)
{
    struct ma_auth_review_call *c = arg, *f;
    struct ma_errmsg em;
    struct ma_buf text;
    const char *t;
    size_t n;
    int rc;

    unlink_call(c);
    ma_buf_init_heap(&text, MA_AUTH_MAX_REVIEW_BYTES + 1);
    rc = read_result(c, res, &text, &em);
    t = rc >= 0 && text.p != NULL ? text.p : "";
    n = rc >= 0 ? text.len : 0;
    while ((f = c->followers) != NULL) {
        c->followers = f->fnext;
        if (f->fnext)
            f->fnext->fprev = NULL;
        f->cb(f->arg, rc, t, n, rc < 0 ? &em : NULL);
        free(f);
    }
    if (c->cb != NULL)
        c->cb(c->arg, rc, t, n, rc < 0 ? &em : NULL);
    ma_buf_free(&text);
    free(c);
}

/* The leader under review for key, or NULL. */
static struct ma_auth_review_call *find_leader(struct ma_auth_review *r, const char *key,
                                               size_t len)
{
    struct ma_auth_review_call *l;

    for (l = r->calls; l != NULL; l = l->next)
        if (l->key_len == len && memcmp(l->key, key, len) == 0)
            return l;
    return NULL;
}

static void post(struct ma_auth_review_call *c)
{
    struct ma_auth_review *r = c->r;
    struct ma_kube_req_params p = {0};
    struct ma_buf body;

    ma_buf_init_heap(&body, 6 * c->key_len + 256);
    r->cls->write_body(&body, c->key, c->key_len);
    p.path = r->cls->path;
    p.method = "POST";
    p.body = body.p;
    p.body_len = body.len;
    p.timeout_ms = MA_AUTH_REVIEW_TIMEOUT_MS;
    p.on_done = on_done;
    p.arg = c;
    r->posted++;
    c->req = ma_kube_request(r->kc, &p);
    ma_buf_free(&body);
}

/* see auth/review.h */
struct ma_auth_review_call *ma_auth_review_start(struct ma_auth_review *r, const char *key,
                                                 size_t len, ma_auth_review_cb cb, void *arg)
{
    struct ma_auth_review_call *c = ma_xcalloc(1, sizeof *c + len), *l;

    c->r = r;
    c->cb = cb;
    c->arg = arg;
    c->key_len = len;
    memcpy(c->key, key, len);
    l = find_leader(r, key, len);
    if (l != NULL) {
        c->leader = l;
        c->fnext = l->followers;
        if (l->followers)
            l->followers->fprev = c;
        l->followers = c;
        return c;
    }
    c->next = r->calls;
    if (r->calls)
        r->calls->prev = c;
    r->calls = c;
    post(c);
    return c;
}
