/* auth/review.c: the answer cache (per-verdict TTLs, full-key comparison, collisions), coalescing
 * of identical reviews (leader and followers), cancel and free rules, and failed calls (never
 * cached). kube/client.c is replaced by a stub that records each POST; the test answers it. */
#include "../../../src/auth/review.c"

#include "t.h"

#define MAX_REQS 16

struct ma_kube_req {
    int idx;
};

static struct {
    struct ma_kube_req_params p;
    char body[256];
    int live;
    struct ma_kube_req handle;
} reqs[MAX_REQS];
static int nreq;

struct ma_kube_req *ma_kube_request(struct ma_kube_client *kc, const struct ma_kube_req_params *p)
{
    (void)kc;
    if (nreq == MAX_REQS || p->body_len >= sizeof reqs[nreq].body)
        abort();
    reqs[nreq].p = *p;
    memcpy(reqs[nreq].body, p->body, p->body_len);
    reqs[nreq].body[p->body_len] = '\0';
    reqs[nreq].live = 1;
    reqs[nreq].handle.idx = nreq;
    return &reqs[nreq++].handle;
}

void ma_kube_req_cancel(struct ma_kube_req *r)
{
    if (r != NULL)
        reqs[r->idx].live = 0;
}

/* Finish request i: err != MA_OK is a transport failure, else an HTTP answer. */
static void answer(int i, int err, int status, const char *body)
{
    struct ma_buf b;
    struct ma_http_result res = {0};

    CHECK(reqs[i].live);
    reqs[i].live = 0;
    ma_buf_init_heap(&b, 1 << 16);
    ma_buf_appends(&b, body);
    res.err = err;
    if (err != MA_OK)
        ma_errmsg_set(&res.em, "connect: refused");
    res.status = status;
    res.body = &b;
    reqs[i].p.on_done(&res, reqs[i].p.arg);
    ma_buf_free(&b);
}

/* A review kind for the test: the body is {"k":"<key>"}; a reply "allow:<text>" or "deny:<text>"
 * is a verdict, anything else MA_ERR_SYNTAX. */
static void write_body(struct ma_buf *b, const char *key, size_t len)
{
    ma_buf_appendf(b, "{\"k\":\"%.*s\"}", (int)len, key);
}

static int read_reply(const char *body, size_t len, struct ma_buf *text, struct ma_errmsg *em)
{
    if (len >= 6 && memcmp(body, "allow:", 6) == 0) {
        ma_buf_append(text, body + 6, len - 6);
        return MA_AUTH_ALLOW;
    }
    if (len >= 5 && memcmp(body, "deny:", 5) == 0) {
        ma_buf_append(text, body + 5, len - 5);
        return MA_AUTH_DENY;
    }
    ma_errmsg_set(em, "bad reply");
    return MA_ERR_SYNTAX;
}

static const struct ma_auth_review_class test_class = {"TestReview", "/apis/test/v1/reviews",
                                                       write_body, read_reply};

/* What callbacks received, in order. */
struct got {
    int calls, verdict;
    char text[64];
    char em[MA_ERRMSG_SIZE];
};

static void on_answer(void *arg, int verdict, const char *text, size_t len,
                      const struct ma_errmsg *em)
{
    struct got *g = arg;

    g->calls++;
    g->verdict = verdict;
    CHECK_EQ(strlen(text), len); /* NUL-terminated, "" on failure */
    snprintf(g->text, sizeof g->text, "%s", text);
    CHECK((verdict < 0) == (em != NULL));
    snprintf(g->em, sizeof g->em, "%s", em ? em->msg : "");
}

static struct ma_auth_review *new_reviewer(size_t nslots, int64_t deny_ms, int64_t allow_ms)
{
    int64_t ttl[2];

    ttl[MA_AUTH_DENY] = deny_ms;
    ttl[MA_AUTH_ALLOW] = allow_ms;
    nreq = 0;
    return ma_auth_review_new(NULL, &test_class, nslots, ttl);
}

static int cached(struct ma_auth_review *r, const char *key, int64_t now, const char **text)
{
    size_t len = 0;
    int v = ma_auth_review_cached(r, key, strlen(key), now, text, &len);

    if (v >= 0)
        CHECK_EQ(strlen(*text), len);
    return v;
}

static void test_post_and_cache(void)
{
    struct ma_auth_review *r = new_reviewer(64, 0, 10000);
    struct got g = {0};
    const char *text = NULL;
    int64_t now = ma_time_mono_ms();

    CHECK_EQ(cached(r, "alice", now, &text), MA_ERR_NOTFOUND);
    ma_auth_review_start(r, "alice", 5, on_answer, &g);
    CHECK_EQ(nreq, 1);
    CHECK_EQ(ma_auth_review_posted(r), 1);
    CHECK_STR(reqs[0].p.path, "/apis/test/v1/reviews");
    CHECK_STR(reqs[0].p.method, "POST");
    CHECK_STR(reqs[0].body, "{\"k\":\"alice\"}");
    CHECK_EQ(reqs[0].p.timeout_ms, MA_AUTH_REVIEW_TIMEOUT_MS);
    CHECK_EQ(g.calls, 0); /* only when the reply comes */
    answer(0, MA_OK, 201, "allow:RBAC: ok");
    CHECK_EQ(g.calls, 1);
    CHECK_EQ(g.verdict, MA_AUTH_ALLOW);
    CHECK_STR(g.text, "RBAC: ok");
    CHECK_EQ(cached(r, "alice", now, &text), MA_AUTH_ALLOW);
    CHECK_STR(text, "RBAC: ok");
    CHECK_EQ(cached(r, "alice", now + 20000, &text), MA_ERR_NOTFOUND); /* expired */
    CHECK_EQ(cached(r, "alic", now, &text), MA_ERR_NOTFOUND);          /* full key compared */
    CHECK_EQ(cached(r, "alicf", now, &text), MA_ERR_NOTFOUND);
    /* deny TTL 0: answered, not cached */
    ma_auth_review_start(r, "bob", 3, on_answer, &g);
    answer(1, MA_OK, 200, "deny:no");
    CHECK_EQ(g.calls, 2);
    CHECK_EQ(g.verdict, MA_AUTH_DENY);
    CHECK_STR(g.text, "no");
    CHECK_EQ(cached(r, "bob", now, &text), MA_ERR_NOTFOUND);
    ma_auth_review_free(r);
}

static void test_collision_and_empty_text(void)
{
    struct ma_auth_review *r = new_reviewer(1, 10000, 10000); /* every key in one slot */
    struct got g = {0};
    const char *text = NULL;
    int64_t now = ma_time_mono_ms();

    ma_auth_review_start(r, "a", 1, on_answer, &g);
    answer(0, MA_OK, 200, "deny:");
    CHECK_EQ(cached(r, "a", now, &text), MA_AUTH_DENY);
    CHECK_STR(text, "");
    ma_auth_review_start(r, "b", 1, on_answer, &g);
    answer(1, MA_OK, 200, "allow:x");
    CHECK_EQ(cached(r, "b", now, &text), MA_AUTH_ALLOW);
    CHECK_EQ(cached(r, "a", now, &text), MA_ERR_NOTFOUND); /* evicted, never b's answer */
    ma_auth_review_free(r);
}

static void test_coalescing(void)
{
    struct ma_auth_review *r = new_reviewer(64, 10000, 10000);
    struct got g1 = {0}, g2 = {0}, g3 = {0}, other = {0};

    ma_auth_review_start(r, "k", 1, on_answer, &g1);
    ma_auth_review_start(r, "k", 1, on_answer, &g2);
    ma_auth_review_start(r, "kk", 2, on_answer, &other); /* a different key posts */
    ma_auth_review_start(r, "k", 1, on_answer, &g3);
    CHECK_EQ(nreq, 2);
    CHECK_EQ(ma_auth_review_posted(r), 2);
    answer(0, MA_OK, 200, "allow:shared");
    CHECK_EQ(g1.calls + g2.calls + g3.calls, 3);
    CHECK_STR(g1.text, "shared");
    CHECK_STR(g2.text, "shared");
    CHECK_STR(g3.text, "shared");
    CHECK_EQ(g3.verdict, MA_AUTH_ALLOW);
    CHECK_EQ(other.calls, 0);
    /* the key is free again: a new call posts anew (the cache is the caller's first stop) */
    ma_auth_review_start(r, "k", 1, on_answer, &g1);
    CHECK_EQ(nreq, 3);
    answer(2, MA_OK, 200, "deny:later");
    CHECK_EQ(g1.calls, 2);
    answer(1, MA_OK, 200, "deny:other");
    CHECK_EQ(other.calls, 1);
    CHECK_STR(other.text, "other");
    ma_auth_review_free(r);
}

static void test_cancel(void)
{
    struct ma_auth_review *r = new_reviewer(64, 10000, 10000);
    struct got lead = {0}, f1 = {0}, f2 = {0}, solo = {0};
    struct ma_auth_review_call *cl, *c1, *cs;

    cl = ma_auth_review_start(r, "k", 1, on_answer, &lead);
    c1 = ma_auth_review_start(r, "k", 1, on_answer, &f1);
    ma_auth_review_start(r, "k", 1, on_answer, &f2);
    ma_auth_review_cancel(c1);   /* a follower leaves */
    ma_auth_review_cancel(cl);   /* the leader leaves: the POST goes on for f2 */
    ma_auth_review_cancel(NULL); /* no-op */
    CHECK(reqs[0].live);
    answer(0, MA_OK, 200, "allow:x");
    CHECK_EQ(lead.calls, 0);
    CHECK_EQ(f1.calls, 0);
    CHECK_EQ(f2.calls, 1);
    /* a leader alone cancels its POST */
    cs = ma_auth_review_start(r, "s", 1, on_answer, &solo);
    CHECK(reqs[1].live);
    ma_auth_review_cancel(cs);
    CHECK(!reqs[1].live);
    CHECK_EQ(solo.calls, 0);
    /* after a leader was cancelled with followers, its key still leads new callers */
    cl = ma_auth_review_start(r, "m", 1, on_answer, &lead);
    ma_auth_review_start(r, "m", 1, on_answer, &f1);
    ma_auth_review_cancel(cl);
    ma_auth_review_start(r, "m", 1, on_answer, &solo);
    CHECK_EQ(nreq, 3);
    answer(2, MA_OK, 200, "deny:y");
    CHECK_EQ(lead.calls, 0);
    CHECK_EQ(f1.calls, 1);
    CHECK_EQ(solo.calls, 1);
    ma_auth_review_free(r);
}

static void test_failures_not_cached(void)
{
    struct ma_auth_review *r = new_reviewer(64, 10000, 10000);
    struct got g = {0}, f = {0};
    const char *text = NULL;
    int64_t now = ma_time_mono_ms();

    ma_auth_review_start(r, "k", 1, on_answer, &g);
    ma_auth_review_start(r, "k", 1, on_answer, &f);
    answer(0, MA_ERR_IO, 0, "");
    CHECK_EQ(g.verdict, MA_ERR_UPSTREAM);
    CHECK_EQ(f.verdict, MA_ERR_UPSTREAM); /* followers share the failure */
    CHECK_STR(g.em, "TestReview: connect: refused");
    CHECK_STR(g.text, "");
    ma_auth_review_start(r, "k", 1, on_answer, &g);
    answer(1, MA_OK, 403, "allow:forbidden body is not read");
    CHECK_EQ(g.verdict, MA_ERR_UPSTREAM);
    CHECK_STR(g.em, "TestReview: kube-apiserver answered 403");
    ma_auth_review_start(r, "k", 1, on_answer, &g);
    answer(2, MA_OK, 200, "maybe");
    CHECK_EQ(g.verdict, MA_ERR_SYNTAX);
    CHECK_STR(g.em, "bad reply");
    CHECK_EQ(cached(r, "k", now, &text), MA_ERR_NOTFOUND);
    CHECK_EQ(g.calls, 3);
    CHECK_EQ(ma_auth_review_posted(r), 3);
    ma_auth_review_free(r);
}

static void test_free_in_flight(void)
{
    struct ma_auth_review *r = new_reviewer(64, 10000, 10000);
    struct got g = {0};

    ma_auth_review_start(r, "a", 1, on_answer, &g);
    ma_auth_review_start(r, "a", 1, on_answer, &g);
    ma_auth_review_start(r, "b", 1, on_answer, &g);
    ma_auth_review_free(r); /* ASan: followers and leaders freed; no callback */
    CHECK(!reqs[0].live);
    CHECK(!reqs[1].live);
    CHECK_EQ(g.calls, 0);
    ma_auth_review_free(NULL);
}

int main(void)
{
    T_RUN(test_post_and_cache);
    T_RUN(test_collision_and_empty_text);
    T_RUN(test_coalescing);
    T_RUN(test_cancel);
    T_RUN(test_failures_not_cached);
    T_RUN(test_free_in_flight);
    T_END();
}
