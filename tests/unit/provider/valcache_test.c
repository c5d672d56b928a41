/* tests src/provider/valcache.c */
#include "base/err.h"
#include "net/loop.h"
/* includes the .c to count entries (the store's bound is what several tests check) */
#include "../../../src/provider/valcache.c"
#include "t.h"

static size_t entries(const struct ma_valcache *c)
{
    return c->count;
}

#define K(s) MA_STR_LIT(s)

/* What a waiter callback saw. */
struct seen {
    int calls;
    int err;
    char msg[64];
    size_t n;
    struct ma_valcache_sample s[8];
    int *order; /* shared sequence counter, to check callback order */
    int pos;
};

static void on_values(void *arg, int err, const char *msg, const struct ma_valcache_sample *s,
                      size_t n)
{
    struct seen *w = arg;
    size_t i;

    w->calls++;
    w->err = err;
    snprintf(w->msg, sizeof(w->msg), "%s", msg);
    w->n = n;
    for (i = 0; i < n && i < 8; i++)
        w->s[i] = s[i];
    if (w->order != NULL)
        w->pos = ++*w->order;
}

static int64_t stop(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

/* A short real spin: 0 ms timers run, then the loop stops. */
static void spin(struct ma_net_loop *l)
{
    ma_net_loop_add_timer(l, 5, stop, NULL);
    CHECK_EQ(ma_net_loop_run(l), MA_OK);
}

static void store(struct ma_valcache *c, const struct ma_str *keys, size_t n,
                  const struct ma_valcache_result *res, size_t nres, int64_t now)
{
    struct ma_valcache_sample s[8];
    size_t miss[8];
    struct ma_valcache_fetch *f;
    int m = ma_valcache_lookup(c, keys, n, -1, now, s, miss);

    CHECK_EQ(ma_valcache_begin_fetch(c, keys, miss, (size_t)m, now, &f, NULL), MA_OK);
    ma_valcache_complete(c, f, res, nres, now);
}

static void test_hits_misses_ttl(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache_config cfg = {10, 1000};
    struct ma_valcache *c = ma_valcache_new(l, &cfg);
    struct ma_str keys[3] = {K("h1\tcpu.busy"), K("h2\tcpu.busy"), K("h3\tcpu.busy")};
    struct ma_valcache_result res[2] = {{K("h1\tcpu.busy"), 1, 1700000000, 12.5},
                                        {K("h2\tcpu.busy"), 0, 0, 0}};
    struct ma_valcache_sample s[3];
    size_t miss[3];
    struct ma_valcache_fetch *f;

    CHECK_EQ(ma_valcache_lookup(c, keys, 3, -1, 100, s, miss), 3);
    CHECK_EQ(miss[0], 0);
    CHECK_EQ(miss[2], 2);
    CHECK_EQ(s[0].state, MA_VALCACHE_MISSING);
    CHECK_EQ(s[0].fetched_at, -1);
    CHECK_EQ(ma_valcache_begin_fetch(c, keys, miss, 3, 100, &f, NULL), MA_OK);
    CHECK_EQ(ma_valcache_fetch_count(f), 3);
    CHECK(ma_str_eq(ma_valcache_fetch_key(f, 1), "h2\tcpu.busy"));
    /* in flight now, for everybody */
    CHECK_EQ(ma_valcache_lookup(c, keys, 3, -1, 150, s, miss), 0);
    CHECK_EQ(s[1].state, MA_VALCACHE_INFLIGHT);
    ma_valcache_complete(c, f, res, 2, 200);
    CHECK_EQ(entries(c), 3);

    CHECK_EQ(ma_valcache_lookup(c, keys, 3, -1, 1199, s, miss), 0);
    CHECK_EQ(s[0].state, MA_VALCACHE_FRESH);
    CHECK_EQ(s[0].has_value, 1);
    CHECK_EQ(s[0].timestamp, 1700000000);
    CHECK(s[0].value == 12.5);
    CHECK_EQ(s[0].fetched_at, 200);
    CHECK_EQ(s[1].state, MA_VALCACHE_FRESH); /* the backend's "no value" is cached too */
    CHECK_EQ(s[1].has_value, 0);
    CHECK_EQ(s[2].state, MA_VALCACHE_FRESH); /* absent from the answer: no value */
    CHECK_EQ(s[2].has_value, 0);

    /* default TTL 1000 ms: expired at 1200; the old sample is still visible */
    CHECK_EQ(ma_valcache_lookup(c, keys, 3, -1, 1200, s, miss), 3);
    CHECK_EQ(s[0].state, MA_VALCACHE_MISSING);
    CHECK(s[0].value == 12.5);
    CHECK_EQ(s[0].timestamp, 1700000000);
    /* per-lookup TTL overrides the default both ways */
    CHECK_EQ(ma_valcache_lookup(c, keys, 1, 5000, 1200, s, miss), 0);
    CHECK_EQ(s[0].state, MA_VALCACHE_FRESH);
    CHECK_EQ(ma_valcache_lookup(c, keys, 1, 50, 300, s, miss), 1);
    CHECK_EQ(ma_valcache_lookup(c, keys, 1, 0, 200, s, miss), 1);
    /* an unknown key */
    CHECK_EQ(ma_valcache_lookup(c, &(struct ma_str)K("h1\tcpu"), 1, -1, 300, s, miss), 1);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

static void test_eviction_least_recently_fetched(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache_config cfg = {3, 100000};
    struct ma_valcache *c = ma_valcache_new(l, &cfg);
    struct ma_str a = K("a"), b = K("b"), d = K("d"), e = K("e"), keys[4] = {a, b, d, e};
    struct ma_valcache_result r = {K("a"), 1, 1, 1};
    struct ma_valcache_sample s[4];
    size_t miss[4];
    struct ma_valcache_fetch *f, *g;
    struct ma_errmsg em;

    store(c, &a, 1, &r, 1, 10);
    store(c, &b, 1, NULL, 0, 20);
    store(c, &d, 1, NULL, 0, 30);
    store(c, &a, 1, &r, 1, 10); /* fresh: lookup finds nothing missing, refetches nothing */
    CHECK_EQ(ma_valcache_lookup(c, keys, 3, -1, 40, s, miss), 0);
    /* lookups are not use: a is still the least recently fetched */
    store(c, &e, 1, NULL, 0, 50);
    CHECK_EQ(entries(c), 3);
    CHECK_EQ(ma_valcache_lookup(c, keys, 4, -1, 60, s, miss), 1);
    CHECK_EQ(miss[0], 0);

    /* a refetch moves b to the young end: d goes next */
    CHECK_EQ(ma_valcache_begin_fetch(c, &b, (size_t[]){0}, 1, 70, &f, NULL), MA_OK);
    ma_valcache_complete(c, f, NULL, 0, 70);
    store(c, &a, 1, &r, 1, 80);
    CHECK_EQ(ma_valcache_lookup(c, keys, 4, -1, 90, s, miss), 1);
    CHECK_EQ(miss[0], 2);

    /* in-flight entries are never evicted; with all pinned, begin_fetch refuses cleanly */
    CHECK_EQ(ma_valcache_begin_fetch(c, keys, (size_t[]){0, 1, 3}, 3, 100, &f, NULL), MA_OK);
    CHECK_EQ(ma_valcache_fetch_count(f), 3);
    em.msg[0] = 0;
    CHECK_EQ(ma_valcache_begin_fetch(c, &d, (size_t[]){0}, 1, 100, &g, &em), MA_ERR_LIMIT);
    CHECK(g == NULL);
    CHECK(em.msg[0] != 0);
    CHECK_EQ(entries(c), 3);
    ma_valcache_complete(c, f, NULL, 0, 110);
    CHECK_EQ(ma_valcache_begin_fetch(c, &d, (size_t[]){0}, 1, 120, &g, NULL), MA_OK);
    CHECK_EQ(entries(c), 3);
    ma_valcache_complete(c, g, NULL, 0, 120);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

static void test_single_flight(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache *c = ma_valcache_new(l, NULL);
    struct ma_str k1[2] = {K("p1\tcpu"), K("p2\tcpu")};
    struct ma_str k2[3] = {K("p2\tcpu"), K("p3\tcpu"), K("p1\tcpu")};
    struct ma_valcache_result res[3] = {
        {K("p1\tcpu"), 1, 100, 1.5}, {K("p2\tcpu"), 1, 101, 2.5}, {K("p3\tcpu"), 1, 102, 3.5}};
    struct ma_valcache_sample s[3];
    size_t miss[3];
    struct ma_valcache_fetch *f1, *f2;
    struct seen w1 = {0}, w2 = {0};
    int order = 0, m;

    w1.order = w2.order = &order;
    /* request 1 misses both and fetches them */
    m = ma_valcache_lookup(c, k1, 2, -1, 0, s, miss);
    CHECK_EQ(m, 2);
    CHECK_EQ(ma_valcache_begin_fetch(c, k1, miss, (size_t)m, 0, &f1, NULL), MA_OK);
    ma_valcache_wait(c, k1, 2, -1, 0, on_values, &w1);
    /* request 2 overlaps: only p3 is fetched, p1/p2 are waited for */
    m = ma_valcache_lookup(c, k2, 3, -1, 5, s, miss);
    CHECK_EQ(m, 1);
    CHECK_EQ(miss[0], 1);
    CHECK_EQ(s[0].state, MA_VALCACHE_INFLIGHT);
    CHECK_EQ(s[2].state, MA_VALCACHE_INFLIGHT);
    CHECK_EQ(ma_valcache_begin_fetch(c, k2, miss, (size_t)m, 5, &f2, NULL), MA_OK);
    CHECK_EQ(ma_valcache_fetch_count(f2), 1);
    ma_valcache_wait(c, k2, 3, -1, 5, on_values, &w2);
    /* a begin_fetch on keys already in flight fetches nothing more */
    {
        struct ma_valcache_fetch *f3;

        CHECK_EQ(ma_valcache_begin_fetch(c, k2, (size_t[]){0, 2}, 2, 6, &f3, NULL), MA_OK);
        CHECK_EQ(ma_valcache_fetch_count(f3), 0);
        ma_valcache_complete(c, f3, NULL, 0, 6);
    }
    spin(l);
    CHECK_EQ(w1.calls, 0); /* nothing completed yet */
    CHECK_EQ(w2.calls, 0);

    /* the answer to fetch 1 may carry more than asked: the extra p3 is ignored */
    ma_valcache_complete(c, f1, res, 3, 10);
    CHECK_EQ(w1.calls, 0); /* never synchronous */
    spin(l);
    CHECK_EQ(w1.calls, 1);
    CHECK_EQ(w1.err, MA_OK);
    CHECK_EQ(w1.n, 2);
    CHECK_EQ(w1.s[0].state, MA_VALCACHE_FRESH);
    CHECK(w1.s[0].value == 1.5);
    CHECK(w1.s[1].value == 2.5);
    CHECK_EQ(w1.s[1].timestamp, 101);
    CHECK_EQ(w2.calls, 0); /* still waits for p3 */
    CHECK_EQ(ma_valcache_lookup(c, &k2[1], 1, -1, 11, s, miss), 0);
    CHECK_EQ(s[0].state, MA_VALCACHE_INFLIGHT); /* not stored by fetch 1 */

    ma_valcache_complete(c, f2, &res[2], 1, 20);
    spin(l);
    CHECK_EQ(w2.calls, 1);
    CHECK_EQ(w2.err, MA_OK);
    CHECK_EQ(w2.n, 3);
    CHECK(w2.s[0].value == 2.5);
    CHECK(w2.s[1].value == 3.5);
    CHECK_EQ(w2.s[1].timestamp, 102);
    CHECK(w2.s[2].value == 1.5);
    CHECK_EQ(w2.s[2].state, MA_VALCACHE_FRESH);
    CHECK_EQ(w1.pos, 1);
    CHECK_EQ(w2.pos, 2);
    CHECK_EQ(w1.calls, 1);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

static void test_failure_keeps_fresh_values(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache_config cfg = {10, 1000};
    struct ma_valcache *c = ma_valcache_new(l, &cfg);
    struct ma_str keys[2] = {K("old"), K("new")};
    struct ma_valcache_result r = {K("old"), 1, 500, 7};
    struct ma_valcache_sample s[2];
    size_t miss[2];
    struct ma_valcache_fetch *f;
    struct seen w1 = {0}, w2 = {0}, w3 = {0};

    store(c, keys, 1, &r, 1, 0);
    /* a caller wanting "old" younger than 100 ms refetches it along with "new" */
    CHECK_EQ(ma_valcache_lookup(c, keys, 2, 100, 500, s, miss), 2);
    CHECK_EQ(ma_valcache_begin_fetch(c, keys, miss, 2, 500, &f, NULL), MA_OK);
    ma_valcache_wait(c, keys, 2, 100, 500, on_values, &w1);
    /* a default-TTL caller still sees "old" fresh: only "new" is awaited */
    CHECK_EQ(ma_valcache_lookup(c, keys, 2, -1, 600, s, miss), 0);
    CHECK_EQ(s[0].state, MA_VALCACHE_FRESH);
    CHECK_EQ(s[1].state, MA_VALCACHE_INFLIGHT);
    ma_valcache_wait(c, keys, 2, -1, 600, on_values, &w2);
    ma_valcache_wait(c, keys + 1, 1, -1, 600, on_values, &w3);

    ma_valcache_fail(c, f, MA_ERR_UPSTREAM, "falcon: HTTP 502", 700);
    CHECK_EQ(w1.calls + w2.calls + w3.calls, 0);
    spin(l);
    CHECK_EQ(w1.calls, 1);
    CHECK_EQ(w1.err, MA_ERR_UPSTREAM);
    CHECK_STR(w1.msg, "falcon: HTTP 502");
    CHECK_EQ(w1.s[0].state, MA_VALCACHE_FAILED); /* too old for this caller's 100 ms... */
    CHECK(w1.s[0].value == 7);                   /* ...but the old sample is shown */
    CHECK_EQ(w1.s[1].state, MA_VALCACHE_FAILED);
    CHECK_EQ(w1.s[1].fetched_at, -1);
    CHECK_EQ(w2.calls, 1);
    CHECK_EQ(w2.err, MA_ERR_UPSTREAM);
    CHECK_EQ(w2.s[0].state, MA_VALCACHE_FRESH);
    CHECK(w2.s[0].value == 7);
    CHECK_EQ(w2.s[1].state, MA_VALCACHE_FAILED);
    CHECK_EQ(w3.calls, 1);
    CHECK_EQ(w3.n, 1);

    /* the old value survived; the never-stored key is gone and may be fetched again */
    CHECK_EQ(entries(c), 1);
    CHECK_EQ(ma_valcache_lookup(c, keys, 2, -1, 800, s, miss), 1);
    CHECK_EQ(s[0].state, MA_VALCACHE_FRESH);
    CHECK_EQ(s[0].timestamp, 500);
    CHECK_EQ(s[0].fetched_at, 0);
    CHECK_EQ(miss[0], 1);
    /* once its TTL passes even the kept value must be refetched */
    CHECK_EQ(ma_valcache_lookup(c, keys, 2, -1, 1000, s, miss), 2);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

static void test_cancel_and_deferral(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache *c = ma_valcache_new(l, NULL);
    struct ma_str keys[2] = {K("x"), K("y")};
    struct ma_valcache_result r[2] = {{K("x"), 1, 1, 10}, {K("y"), 1, 2, 20}};
    struct ma_valcache_sample s[2];
    size_t miss[2];
    struct ma_valcache_fetch *f, *g;
    struct ma_valcache_waiter *h;
    struct seen gone = {0}, kept = {0}, now = {0}, early = {0}, left = {0};

    CHECK_EQ(ma_valcache_lookup(c, keys, 2, -1, 0, s, miss), 2);
    CHECK_EQ(ma_valcache_begin_fetch(c, keys, miss, 1, 0, &f, NULL), MA_OK);
    CHECK_EQ(ma_valcache_begin_fetch(c, keys, miss + 1, 1, 0, &g, NULL), MA_OK);
    /* a waiter on two fetches, cancelled after one completed */
    h = ma_valcache_wait(c, keys, 2, -1, 0, on_values, &gone);
    ma_valcache_wait(c, keys, 2, -1, 0, on_values, &kept);
    ma_valcache_complete(c, f, r, 2, 1);
    ma_valcache_cancel(c, h);
    ma_valcache_complete(c, g, r, 2, 2);
    spin(l);
    CHECK_EQ(gone.calls, 0);
    CHECK_EQ(kept.calls, 1);
    CHECK(kept.s[0].value == 10);
    CHECK(kept.s[1].value == 20);
    /* nothing in flight: still deferred, and a scheduled waiter can be cancelled */
    ma_valcache_wait(c, keys, 2, -1, 3, on_values, &now);
    h = ma_valcache_wait(c, keys, 2, -1, 3, on_values, &early);
    CHECK_EQ(now.calls, 0);
    ma_valcache_cancel(c, h);
    spin(l);
    CHECK_EQ(now.calls, 1);
    CHECK_EQ(now.s[1].state, MA_VALCACHE_FRESH);
    CHECK_EQ(early.calls, 0);
    /* a key neither stored nor in flight is reported MISSING */
    ma_valcache_wait(c, &(struct ma_str)K("z"), 1, -1, 4, on_values, &now);
    spin(l);
    CHECK_EQ(now.calls, 2);
    CHECK_EQ(now.s[0].state, MA_VALCACHE_MISSING);
    /* freeing the cache with a pending waiter and an open fetch: no callback, no leak */
    CHECK_EQ(ma_valcache_lookup(c, &(struct ma_str)K("z"), 1, -1, 5, s, miss), 1);
    CHECK_EQ(ma_valcache_begin_fetch(c, &(struct ma_str)K("z"), miss, 1, 5, &f, NULL), MA_OK);
    ma_valcache_wait(c, &(struct ma_str)K("z"), 1, -1, 5, on_values, &left);
    ma_valcache_wait(c, NULL, 0, -1, 5, on_values, &left);
    ma_valcache_free(c);
    spin(l);
    CHECK_EQ(left.calls, 0);
    ma_net_loop_free(l);
}

/* A callback that waits again: the inner wait MUST NOT run inside the outer callback. */
static struct ma_valcache *nested_c;
static struct seen inner;
static int inner_before_outer_returned;
static void on_outer(void *arg, int err, const char *msg, const struct ma_valcache_sample *s,
                     size_t n)
{
    on_values(arg, err, msg, s, n);
    ma_valcache_wait(nested_c, NULL, 0, -1, 9, on_values, &inner);
    inner_before_outer_returned = inner.calls;
}

static void test_waiters_run_in_order(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache *c = ma_valcache_new(l, NULL);
    struct ma_str k = K("k");
    struct ma_valcache_sample s;
    size_t miss;
    struct ma_valcache_fetch *f;
    struct seen w[5] = {{0}};
    int order = 0, i;

    CHECK_EQ(ma_valcache_lookup(c, &k, 1, -1, 0, &s, &miss), 1);
    CHECK_EQ(ma_valcache_begin_fetch(c, &k, &miss, 1, 0, &f, NULL), MA_OK);
    for (i = 0; i < 5; i++) {
        w[i].order = &order;
        ma_valcache_wait(c, &k, 1, -1, 0, i == 1 ? on_outer : on_values, &w[i]);
    }
    nested_c = c;
    ma_valcache_complete(c, f, &(struct ma_valcache_result){K("k"), 1, 3, 4}, 1, 1);
    spin(l);
    for (i = 0; i < 5; i++) {
        CHECK_EQ(w[i].calls, 1);
        CHECK_EQ(w[i].pos, i + 1);
        CHECK(w[i].s[0].value == 4);
    }
    CHECK_EQ(inner_before_outer_returned, 0);
    CHECK_EQ(inner.calls, 1);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

/* Many keys: the hash grows and every entry stays findable. */
static void test_many_keys(void)
{
    struct ma_net_loop *l = ma_net_loop_new(16);
    struct ma_valcache_config cfg = {500, 1000};
    struct ma_valcache *c = ma_valcache_new(l, &cfg);
    static char names[1000][16];
    struct ma_str k;
    struct ma_valcache_result r;
    struct ma_valcache_sample s;
    size_t miss, i, fresh = 0;

    for (i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof(names[i]), "host%zu\tc", i);
        k = ma_str_c(names[i]);
        r.key = k;
        r.has_value = 1;
        r.timestamp = (int64_t)i;
        r.value = (double)i;
        store(c, &k, 1, &r, 1, (int64_t)i);
    }
    CHECK_EQ(entries(c), 500);
    for (i = 0; i < 1000; i++) {
        k = ma_str_c(names[i]);
        if (ma_valcache_lookup(c, &k, 1, -1, 1000, &s, &miss) == 0) {
            fresh++;
            CHECK(i >= 500);
            CHECK_EQ(s.timestamp, (int64_t)i);
        }
    }
    CHECK_EQ(fresh, 500);
    ma_valcache_free(c);
    ma_net_loop_free(l);
}

int main(void)
{
    T_RUN(test_hits_misses_ttl);
    T_RUN(test_eviction_least_recently_fetched);
    T_RUN(test_single_flight);
    T_RUN(test_failure_keeps_fresh_values);
    T_RUN(test_cancel_and_deferral);
    T_RUN(test_waiters_run_in_order);
    T_RUN(test_many_keys);
    T_END();
}
