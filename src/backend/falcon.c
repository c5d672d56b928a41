#include "backend/falcon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/falcon_defs.h"
#include "backend/falcon_target.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/pods.h"
#include "kube/selector.h"
#include "provider/valcache.h"

/* Error lines about Falcon: at most one per LOG_EVERY_MS, with a count of those left out, so an
 * outage during which every HPA poll fails writes a line every few seconds, not thousands. */
#define LOG_EVERY_MS 10000

struct fetch;
struct pending;

struct falcon {
    const struct ma_provider_class *vtable; /* first: the provider handle points here */
    struct ma_net_loop *loop;
    struct ma_backend_falcon_config cfg;
    struct ma_falcon_api *api;
    struct ma_valcache *cache;
    struct pending *pending; /* requests waiting for values */
    struct fetch *fetches;   /* Falcon queries in flight */
    struct ma_backend_falcon_stats st;
    int64_t log_next_ms;
    uint64_t log_suppressed;
    char log_last[MA_ERRMSG_SIZE];
};

/* One Falcon query filling one value-cache fetch. It lives on its own: a request that goes away
 * does not cancel it, since other requests may wait on the same series. */
struct fetch {
    struct fetch *prev, *next;
    struct falcon *f;
    struct ma_valcache_fetch *vf;
    int64_t started_us; /* for the --v=4 line: the Falcon share of a request's latency */
};

/* A request waiting for the value cache; lives in the request's arena. */
struct pending {
    struct pending *prev, *next;
    struct falcon *f;
    struct ma_prov_query *q;
    struct ma_valcache_waiter *w;
    struct ma_falcon_target t;
    /* what the lookup found: a fresh key may be evicted by the request's own fetch before the
     * waiter reports, so its fresh sample is kept here */
    struct ma_valcache_sample *seen;
};

static struct falcon *falcon_of(const struct ma_provider_class **self)
{
    return (struct falcon *)(void *)self;
}

static time_t wall_now(const struct falcon *f)
{
    return f->cfg.wall_now != NULL ? f->cfg.wall_now() : ma_time_wall();
}

/* Rate-limited per kind of failure: a message that differs from the last one logged is logged
 * at once. Runs of digits compare equal (ports, durations, counts), the rest must match. */
static int same_failure(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a >= '0' && *a <= '9')
                a++;
            while (*b >= '0' && *b <= '9')
                b++;
            continue;
        }
        if (*a++ != *b++)
            return 0;
    }
    return *a == *b;
}

static void log_failure(struct falcon *f, const char *msg)
{
    int64_t now = ma_time_mono_ms();

    if (now < f->log_next_ms && same_failure(msg, f->log_last)) {
        f->log_suppressed++;
        return;
    }
    if (f->log_suppressed > 0)
        MA_LOG_E("%s (and %llu failure(s) not logged since the last line)", msg,
                 (unsigned long long)f->log_suppressed);
    else
        MA_LOG_E("%s", msg);
    f->log_suppressed = 0;
    f->log_next_ms = now + LOG_EVERY_MS;
    snprintf(f->log_last, sizeof f->log_last, "%s", msg);
}

/* ---- fetching ------------------------------------------------------------------------------ */

static void unlink_fetch(struct falcon *f, struct fetch *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        f->fetches = x->next;
    if (x->next)
        x->next->prev = x->prev;
}

static void on_falcon(int err, const struct ma_errmsg *em, const struct ma_falcon_point *points,
                      size_t n, void *arg)
{
    struct fetch *x = arg;
    struct falcon *f = x->f;
    int64_t now = ma_time_mono_ms();

    unlink_fetch(f, x);
    MA_LOGV(4, "Open-Falcon: %zu series, %s in %.3f ms", n, err == MA_OK ? "answered" : "failed",
            (double)(ma_time_mono_us() - x->started_us) / 1000.0);
    if (err != MA_OK) {
        f->st.failures++;
        log_failure(f, em->msg);
        ma_valcache_fail(f->cache, x->vf, err, em->msg, now);
    } else {
        struct ma_valcache_result *res = ma_xcalloc(n ? n : 1, sizeof *res);
        size_t i, k = 0;

        /* series Falcon does not know, or knows as null, are stored as "no value" */
        for (i = 0; i < n; i++) {
            if (!points[i].found || !points[i].has_value)
                continue;
            res[k].key = ma_valcache_fetch_key(x->vf, i);
            res[k].has_value = 1;
            res[k].timestamp = points[i].timestamp;
            res[k].value = points[i].value;
            k++;
        }
        ma_valcache_complete(f->cache, x->vf, res, k, now);
        free(res);
    }
    free(x);
}

/* Ask Falcon for the series of vf in one query. The pairs are cut out of the cache keys
 * ("endpoint\tcounter"); the client copies them, so the scratch copy goes at once. */
static void start_fetch(struct falcon *f, struct ma_valcache_fetch *vf)
{
    size_t i, n = ma_valcache_fetch_count(vf), bytes = 0;
    struct ma_falcon_pair *pairs;
    struct fetch *x;
    char *buf, *p;

    for (i = 0; i < n; i++)
        bytes += ma_valcache_fetch_key(vf, i).len + 1;
    pairs = ma_xcalloc(n ? n : 1, sizeof *pairs);
    buf = p = ma_xmalloc(bytes ? bytes : 1);
    for (i = 0; i < n; i++) {
        struct ma_str k = ma_valcache_fetch_key(vf, i);
        char *tab;

        memcpy(p, k.p, k.len);
        p[k.len] = '\0';
        tab = memchr(p, '\t', k.len);
        *tab = '\0'; /* every key has one: ma_falcon_target_key writes it */
        pairs[i].endpoint = p;
        pairs[i].counter = tab + 1;
        p += k.len + 1;
    }
    x = ma_xcalloc(1, sizeof *x);
    x->f = f;
    x->vf = vf;
    x->started_us = ma_time_mono_us();
    x->next = f->fetches;
    if (f->fetches)
        f->fetches->prev = x;
    f->fetches = x;
    f->st.falcon_queries++;
    f->st.series_fetched += n;
    /* never cancelled on its own: ma_falcon_api_free cancels every query at once */
    ma_falcon_api_query(f->api, pairs, n, on_falcon, x);
    free(pairs);
    free(buf);
}

/* ---- answering ------------------------------------------------------------------------------ */

static void unlink_pending(struct falcon *f, struct pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        f->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->q->_backend = NULL;
}

/* The values of t's series are in samples[0..t->n): answer q (values or a failure). */
static void answer(struct falcon *f, struct ma_prov_query *q, const struct ma_falcon_target *t,
                   const struct ma_valcache_sample *samples, int err, const char *msg)
{
    time_t now = wall_now(f);

    ma_falcon_target_answer(t, samples, now, q, err == MA_OK ? NULL : msg);
    if (q->err_status == 0 && err == MA_OK)
        q->memo_until_ms = ma_falcon_target_memo_until(t, samples, now, ma_time_mono_ms());
}

static void on_values(void *arg, int err, const char *msg, const struct ma_valcache_sample *samples,
                      size_t n)
{
    struct pending *p = arg;
    struct ma_prov_query *q = p->q;
    size_t i;

    unlink_pending(p->f, p);
    for (i = 0; i < n; i++)
        if (p->seen[i].state != MA_VALCACHE_FRESH)
            p->seen[i] = samples[i];
    answer(p->f, q, &p->t, p->seen, err, msg);
    q->done(q);
}

/* Look t's series up; answer now when the cache has them all, else fetch what is missing and
 * wait. Returns what get_custom / get_external return. */
static int serve(struct falcon *f, struct ma_prov_query *q, const struct ma_falcon_target *t)
{
    struct ma_valcache_sample *samples;
    size_t *missing;
    struct pending *p;
    int64_t now = ma_time_mono_ms();
    int m;
    size_t i, fresh = 0;

    f->st.requests++;
    samples = ma_arena_alloc(q->arena, (t->n ? t->n : 1) * sizeof *samples);
    missing = ma_arena_alloc(q->arena, (t->n ? t->n : 1) * sizeof *missing);
    p = ma_arena_alloc(q->arena, sizeof *p);
    if (samples == NULL || missing == NULL || p == NULL) {
        ma_prov_query_fail(q, 500, "Open-Falcon backend: request arena exhausted");
        return MA_OK;
    }
    m = ma_valcache_lookup(f->cache, t->keys, t->n, t->ttl_ms, now, samples, missing);
    for (i = 0; i < t->n; i++)
        fresh += samples[i].state == MA_VALCACHE_FRESH;
    f->st.series_cached += fresh;
    if (fresh == t->n) {
        answer(f, q, t, samples, MA_OK, NULL);
        return MA_OK;
    }
    if (m > 0) {
        struct ma_valcache_fetch *vf;
        struct ma_errmsg em;

        if (ma_valcache_begin_fetch(f->cache, t->keys, missing, (size_t)m, now, &vf, &em) !=
            MA_OK) {
            ma_prov_query_fail(q, 503, "Open-Falcon backend: %s", em.msg);
            return MA_OK;
        }
        start_fetch(f, vf);
    }
    memset(p, 0, sizeof *p);
    p->f = f;
    p->q = q;
    p->t = *t;
    p->seen = samples;
    p->next = f->pending;
    if (f->pending)
        f->pending->prev = p;
    f->pending = p;
    q->_backend = p;
    p->w = ma_valcache_wait(f->cache, t->keys, t->n, t->ttl_ms, now, on_values, p);
    return MA_ERR_PARTIAL;
}

/* ---- the provider interface ------------------------------------------------------------------ */

static int caches_ready(const struct falcon *f, struct ma_prov_query *q)
{
    struct ma_errmsg why;

    if (f->cfg.caches_ready == NULL || f->cfg.caches_ready(f->cfg.caches_ready_arg, &why))
        return 1;
    ma_prov_query_fail(q, 503, "the caches have not synced with kube-apiserver yet: %s", why.msg);
    return 0;
}

static struct ma_falcon_target_src sources(const struct falcon *f)
{
    struct ma_falcon_target_src s;

    s.pods = f->cfg.pods;
    s.custom = f->cfg.custom;
    s.external = f->cfg.external;
    s.seed_names = f->cfg.seed_names;
    s.cache_ttl_ms = f->cfg.cache_ttl_ms;
    s.stale_after_s = f->cfg.stale_after_s;
    s.policy = f->cfg.stale_policy;
    return s;
}

static int get_metric(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct falcon *f = falcon_of(self);
    struct ma_falcon_target_src src = sources(f);
    struct ma_falcon_target t;

    if (!caches_ready(f, q))
        return MA_OK;
    if (ma_falcon_target_resolve(&src, q, &t) != MA_OK)
        return MA_OK; /* q carries the failure */
    return serve(f, q, &t);
}

struct list_walk {
    struct ma_prov_list *out;
    const struct ma_falcon_def *prev; /* the previous definition listed, same name run */
    int rc;
};

/* Definitions come sorted by name, so a name defined in several namespaces is a run: list each
 * (resource, name) of a run once (the original listed one entry per object). */
static int list_one(const struct ma_falcon_def *def, void *arg)
{
    struct list_walk *w = arg;
    const char *gr = def->kind == MA_FALCON_DEF_EXTERNAL ? NULL : def->resource;
    int namespaced = def->target != MA_FALCON_TARGET_NAMESPACE;
    size_t i;

    if (w->prev != NULL && strcmp(w->prev->name, def->name) == 0) {
        for (i = w->out->n; i-- > 0;) {
            const struct ma_prov_metric_info *m = &w->out->items[i];

            if (strcmp(m->metric, def->name) != 0)
                break;
            if ((gr == NULL && m->group_resource == NULL) ||
                (gr != NULL && m->group_resource != NULL && strcmp(gr, m->group_resource) == 0))
                return 0;
        }
    }
    w->prev = def;
    w->rc = ma_prov_list_add(w->out, gr, def->name,
                             def->kind == MA_FALCON_DEF_EXTERNAL ? 1 : namespaced);
    return w->rc != MA_OK;
}

static int list_custom(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    struct list_walk w = {out, NULL, MA_OK};

    ma_falcon_defs_each(falcon_of(self)->cfg.custom, list_one, &w);
    return w.rc;
}

static int list_external(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    struct list_walk w = {out, NULL, MA_OK};

    ma_falcon_defs_each(falcon_of(self)->cfg.external, list_one, &w);
    return w.rc;
}

static void cancel(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct falcon *f = falcon_of(self);
    struct pending *p = q->_backend;

    if (p == NULL)
        return;
    unlink_pending(f, p);
    ma_valcache_cancel(f->cache, p->w);
}

static int ready(const struct ma_provider_class **self, struct ma_errmsg *why)
{
    const struct falcon *f = falcon_of(self);

    return f->cfg.caches_ready == NULL || f->cfg.caches_ready(f->cfg.caches_ready_arg, why);
}

/* Answers depend on the pods and both definition registries, and on time (memo_until_ms). */
static uint64_t generation(const struct ma_provider_class **self)
{
    const struct falcon *f = falcon_of(self);

    return ma_kube_store_generation(f->cfg.pods) + ma_falcon_defs_generation(f->cfg.custom) +
           ma_falcon_defs_generation(f->cfg.external);
}

static const struct ma_provider_class falcon_class = {
    "falcon", list_custom, list_external, get_metric, get_metric, cancel, ready, generation,
};

/* see backend/falcon.h */
const struct ma_provider_class **ma_backend_falcon_new(struct ma_net_loop *loop,
                                                       const struct ma_backend_falcon_config *cfg,
                                                       struct ma_errmsg *em)
{
    struct falcon *f = ma_xcalloc(1, sizeof *f);
    struct ma_valcache_config vc = {0};

    f->vtable = &falcon_class;
    f->loop = loop;
    f->cfg = *cfg;
    if (f->cfg.cache_ttl_ms < 0)
        f->cfg.cache_ttl_ms = MA_VALCACHE_TTL_DEFAULT_MS;
    f->api = ma_falcon_api_new(loop, &cfg->api, em);
    if (f->api == NULL) {
        free(f);
        return NULL;
    }
    /* the api copied its strings: ours would dangle once the caller's go */
    memset(&f->cfg.api, 0, sizeof f->cfg.api);
    vc.max_entries = cfg->cache_max_entries;
    vc.default_ttl_ms = f->cfg.cache_ttl_ms;
    f->cache = ma_valcache_new(loop, &vc);
    return &f->vtable;
}

/* see backend/falcon.h */
void ma_backend_falcon_free(const struct ma_provider_class **p)
{
    struct falcon *f;

    if (p == NULL)
        return;
    f = falcon_of(p);
    ma_falcon_api_free(f->api); /* cancels the queries: no on_falcon runs */
    while (f->fetches) {
        struct fetch *x = f->fetches;

        f->fetches = x->next;
        free(x);
    }
    ma_valcache_free(f->cache); /* drops waiters and open fetches without callbacks */
    free(f);
}

/* see backend/falcon.h */
void ma_backend_falcon_stats(const struct ma_provider_class **p,
                             struct ma_backend_falcon_stats *out)
{
    *out = falcon_of(p)->st;
}
