#include "backend/falcon_target.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "backend/falcon_defs.h"
#include "base/arena.h"
#include "kube/pods.h"
#include "kube/selector.h"

/* endpoint, tab, counter, NUL */
#define KEY_MAX (MA_FALCON_MAX_ENDPOINT + 1 + MA_FALCON_MAX_COUNTER + 1)

/* ---- kinds ----------------------------------------------------------------------------------- */

static const struct {
    const char *gr, *kind, *av;
} known_kinds[] = {
    {"pods", "Pod", "/v1"},
    {"namespaces", "Namespace", "/v1"},
    {"services", "Service", "/v1"},
    {"replicationcontrollers", "ReplicationController", "/v1"},
    {"deployments.apps", "Deployment", "apps/v1"},
    {"statefulsets.apps", "StatefulSet", "apps/v1"},
    {"replicasets.apps", "ReplicaSet", "apps/v1"},
    {"daemonsets.apps", "DaemonSet", "apps/v1"},
    {"jobs.batch", "Job", "batch/v1"},
    {"cronjobs.batch", "CronJob", "batch/v1"},
    {"ingresses.networking.k8s.io", "Ingress", "networking.k8s.io/v1"},
    {"ingresses.extensions", "Ingress", "networking.k8s.io/v1"},
};

/* see backend/falcon_target.h */
void ma_falcon_target_kind(const char *gr, char *kind, size_t kcap, char *av, size_t acap)
{
    const char *dot = strchr(gr, '.');
    size_t i, plural;

    for (i = 0; i < sizeof known_kinds / sizeof known_kinds[0]; i++) {
        if (strcmp(gr, known_kinds[i].gr) == 0) {
            snprintf(kind, kcap, "%s", known_kinds[i].kind);
            snprintf(av, acap, "%s", known_kinds[i].av);
            return;
        }
    }
    plural = dot ? (size_t)(dot - gr) : strlen(gr);
    if (plural > 1 && gr[plural - 1] == 's')
        plural--;
    snprintf(kind, kcap, "%.*s", (int)plural, gr);
    if (kcap > 1)
        kind[0] = (char)toupper((unsigned char)kind[0]);
    snprintf(av, acap, "%s/v1", dot ? dot + 1 : "");
}

/* ---- resolving ------------------------------------------------------------------------------- */

/* What the definition (or the flags) say about caching and staleness. */
static void settings(struct ma_falcon_target *t, const struct ma_falcon_target_src *src,
                     const struct ma_falcon_def *def)
{
    t->ttl_ms = def->cache_ttl_s >= 0 ? def->cache_ttl_s * 1000 : src->cache_ttl_ms;
    t->stale_after_s = def->stale_after_s > 0 ? def->stale_after_s : src->stale_after_s;
    t->policy = def->stale_policy != MA_FALCON_STALE_DEFAULT ? def->stale_policy : src->policy;
    t->mode = def->mode;
}

static int arena_full(struct ma_prov_query *q)
{
    ma_prov_query_fail(q, 500, "Open-Falcon backend: request arena exhausted");
    return MA_ERR_NOSPACE;
}

static int alloc_items(struct ma_prov_query *q, struct ma_falcon_target *t, size_t cap)
{
    size_t c = cap ? cap : 1;

    t->n = 0;
    t->namespaces = ma_arena_alloc(q->arena, c * sizeof *t->namespaces);
    t->names = ma_arena_alloc(q->arena, c * sizeof *t->names);
    t->keys = ma_arena_alloc(q->arena, c * sizeof *t->keys);
    return t->namespaces && t->names && t->keys ? MA_OK : arena_full(q);
}

/* Append item (ns, name) whose endpoint is key[0..elen); the counter is appended to the key. */
static int add_item(struct ma_prov_query *q, struct ma_falcon_target *t, const char *ns,
                    const char *name, char *key, size_t elen, const char *counter)
{
    size_t clen = strlen(counter);
    char *k;

    key[elen] = '\t';
    memcpy(key + elen + 1, counter, clen + 1);
    k = ma_arena_strndup(q->arena, key, elen + 1 + clen);
    /* copies: ns and name may live in a cached pod or definition, which the next watch event
     * frees while this request still waits for Falcon */
    if (ns != NULL && (ns = ma_arena_strndup(q->arena, ns, strlen(ns))) == NULL)
        return arena_full(q);
    if (name != NULL && (name = ma_arena_strndup(q->arena, name, strlen(name))) == NULL)
        return arena_full(q);
    if (k == NULL)
        return arena_full(q);
    t->namespaces[t->n] = ns;
    t->names[t->n] = name;
    t->keys[t->n] = ma_str_make(k, elen + 1 + clen);
    t->n++;
    return MA_OK;
}

struct pod_walk {
    struct ma_prov_query *q;
    struct ma_falcon_target *t;
    const struct ma_falcon_def *def;
    size_t count; /* counting pass when t->keys == NULL */
    int rc;
};

static int has_series(const struct ma_kube_pod *p)
{
    return p->phase == MA_POD_RUNNING && p->deleted == 0;
}

static int add_pod(const struct ma_kube_pod *p, void *arg)
{
    struct pod_walk *w = arg;
    char key[KEY_MAX];
    int len;

    if (!has_series(p))
        return 0;
    if (w->t->keys == NULL) {
        w->count++;
        return 0;
    }
    /* a pod whose endpoint is not known yet (no node, no IP) has no series yet: leave it out */
    len = ma_falcon_tmpl_render_pod(&w->def->endpoint, p, key, MA_FALCON_MAX_ENDPOINT + 1);
    if (len < 0)
        return 0;
    w->rc = add_item(w->q, w->t, p->meta.namespace, p->meta.name, key, (size_t)len, w->def->counter);
    return w->rc != MA_OK;
}

static int resolve_pods(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                        const struct ma_falcon_def *def, struct ma_falcon_target *t)
{
    struct pod_walk w = {q, t, def, 0, MA_OK};
    const struct ma_kube_pod *one = NULL;

    if (q->name != NULL) {
        one = ma_kube_pods_get(src->pods, q->namespace, q->name);
        if (one != NULL && !has_series(one)) {
            ma_prov_query_fail(q, 404,
                               "the server could not find the metric %s for pods %s: the "
                               "pod is %s",
                               q->metric, q->name, one->deleted ? "terminating" : "not running");
            return MA_ERR_NOTFOUND;
        }
        w.count = one != NULL;
    } else {
        t->keys = NULL;
        ma_kube_pods_each(src->pods, q->namespace, q->selector, add_pod, &w);
    }
    if (alloc_items(q, t, w.count) != MA_OK)
        return MA_ERR_NOSPACE;
    if (one != NULL)
        add_pod(one, &w);
    else if (q->name == NULL)
        ma_kube_pods_each(src->pods, q->namespace, q->selector, add_pod, &w);
    return w.rc;
}

/* One object (not a pod) named ns/name, or the namespace ns itself (ns == name: the item is
 * cluster-scoped, its describedObject has no namespace). */
static int resolve_object(struct ma_prov_query *q, const struct ma_falcon_def *def,
                          struct ma_falcon_target *t, const char *ns, const char *name)
{
    const char *item_ns = def->target == MA_FALCON_TARGET_NAMESPACE ? NULL : ns;
    char key[KEY_MAX];
    int len =
        ma_falcon_tmpl_render_object(&def->endpoint, ns, name, key, MA_FALCON_MAX_ENDPOINT + 1);

    if (len < 0) {
        ma_prov_query_fail(q, 404,
                           "the server could not find the metric %s for %s %s: "
                           "CustomMetric %s/%s: endpoint template does not render for it",
                           q->metric, q->group_resource, name, def->namespace, def->name);
        return len;
    }
    return add_item(q, t, item_ns, name, key, (size_t)len, def->counter);
}

/* 1 (and q failed with the reason) when metric's object in namespace was refused. */
static int refused(const struct ma_falcon_defs *r, struct ma_prov_query *q, const char *namespace,
                   const char *kind)
{
    const char *why = ma_falcon_defs_refusal(r, namespace, q->metric);

    if (why == NULL)
        return 0;
    ma_prov_query_fail(q, 404, "the server could not find the metric %s: %s %s/%s is invalid: %s",
                       q->metric, kind, namespace, q->metric, why);
    return 1;
}

struct ns_walk {
    struct ma_prov_query *q;
    struct ma_falcon_target *t;
    size_t count; /* counting pass when t->keys == NULL */
    int rc;
};

static int add_namespace(const struct ma_falcon_def *def, void *arg)
{
    struct ns_walk *w = arg;

    if (strcmp(def->name, w->q->metric) != 0 || def->target != MA_FALCON_TARGET_NAMESPACE)
        return 0;
    if (w->t->keys == NULL) {
        w->count++;
        return 0;
    }
    w->rc = resolve_object(w->q, def, w->t, def->namespace, def->namespace);
    return w->rc != MA_OK;
}

/* namespaces/{ns}/metrics/{m} (a name) or the wildcard (every namespace defining m). */
static int resolve_namespaces(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                              struct ma_falcon_target *t)
{
    struct ns_walk w = {q, t, 0, MA_OK};
    const struct ma_falcon_def *def;

    t->obj_kind = "Namespace";
    t->api_version = "/v1";
    if (q->name != NULL) {
        def = ma_falcon_defs_get(src->custom, q->name, q->metric);
        if (def == NULL && refused(src->custom, q, q->name, "CustomMetric"))
            return MA_ERR_NOTFOUND;
        if (def == NULL || def->target != MA_FALCON_TARGET_NAMESPACE) {
            ma_prov_query_fail(q, 404, "the server could not find the metric %s for namespaces",
                               q->metric);
            return MA_ERR_NOTFOUND;
        }
        settings(t, src, def);
        if (alloc_items(q, t, 1) != MA_OK)
            return MA_ERR_NOSPACE;
        return resolve_object(q, def, t, q->name, q->name);
    }
    t->keys = NULL;
    ma_falcon_defs_each(src->custom, add_namespace, &w);
    if (alloc_items(q, t, w.count) != MA_OK)
        return MA_ERR_NOSPACE;
    /* the flags' settings: each namespace's definition could differ */
    ma_falcon_defs_each(src->custom, add_namespace, &w);
    t->ttl_ms = src->cache_ttl_ms;
    t->stale_after_s = src->stale_after_s;
    t->policy = src->policy;
    return w.rc;
}

/* The original's fallback: a pods metric without a CustomMetric names its counter. */
static int seed_def(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                    struct ma_falcon_def *def)
{
    struct ma_errmsg em;

    memset(def, 0, sizeof *def);
    def->kind = MA_FALCON_DEF_CUSTOM;
    def->cache_ttl_s = -1;
    def->stale_after_s = -1;
    def->target = MA_FALCON_TARGET_POD;
    if (!src->seed_names) {
        ma_prov_query_fail(q, 404,
                           "the server could not find the metric %s for pods: no "
                           "CustomMetric %s in namespace %s",
                           q->metric, q->metric, q->namespace);
        return MA_ERR_NOTFOUND;
    }
    if (ma_falcon_def_seed_counter(q->metric, def->counter, sizeof def->counter, &em) < 0) {
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for pods: %s",
                           q->metric, em.msg);
        return MA_ERR_NOTFOUND;
    }
    return MA_OK;
}

static int resolve_custom(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                          struct ma_falcon_target *t)
{
    struct ma_falcon_def *seed;
    const struct ma_falcon_def *def;
    char kind[64], av[64];
    int is_pods = strcmp(q->group_resource, "pods") == 0;

    if (q->namespace == NULL) {
        if (strcmp(q->group_resource, "namespaces") == 0)
            return resolve_namespaces(src, q, t);
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s", q->metric,
                           q->group_resource);
        return MA_ERR_NOTFOUND;
    }
    def = ma_falcon_defs_get(src->custom, q->namespace, q->metric);
    if (def == NULL && refused(src->custom, q, q->namespace, "CustomMetric"))
        return MA_ERR_NOTFOUND;
    if (def == NULL && is_pods) {
        /* in the arena: ~6 KiB, too big for the stack of a loop callback */
        if ((seed = ma_arena_alloc(q->arena, sizeof *seed)) == NULL)
            return arena_full(q);
        if (seed_def(src, q, seed) != MA_OK)
            return MA_ERR_NOTFOUND;
        def = seed;
    }
    if (def == NULL || (is_pods ? def->target != MA_FALCON_TARGET_POD
                                : def->target != MA_FALCON_TARGET_OBJECT ||
                                      strcmp(def->resource, q->group_resource) != 0)) {
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s", q->metric,
                           q->group_resource);
        return MA_ERR_NOTFOUND;
    }
    settings(t, src, def);
    if (is_pods) {
        t->obj_kind = "Pod";
        t->api_version = "/v1";
        return resolve_pods(src, q, def, t);
    }
    if (q->name == NULL) {
        /* Object metrics always name their object; listing arbitrary resources would need a
         * watch of each of them */
        ma_prov_query_fail(q, 404,
                           "the server could not find the metric %s for %s: metrics of "
                           "%s are served for named objects only",
                           q->metric, q->group_resource, q->group_resource);
        return MA_ERR_NOTFOUND;
    }
    ma_falcon_target_kind(q->group_resource, kind, sizeof kind, av, sizeof av);
    t->obj_kind = ma_arena_strndup(q->arena, kind, strlen(kind));
    t->api_version = ma_arena_strndup(q->arena, av, strlen(av));
    if (t->obj_kind == NULL || t->api_version == NULL || alloc_items(q, t, 1) != MA_OK)
        return arena_full(q);
    return resolve_object(q, def, t, q->namespace, q->name);
}

/* An ExternalMetric's endpoints that labelSelector (on {endpoint: <name>}) picks. */
static int resolve_external(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                            struct ma_falcon_target *t)
{
    const struct ma_falcon_def *def = ma_falcon_defs_get(src->external, q->namespace, q->metric);
    char key[KEY_MAX];
    int i, rc;

    if (def == NULL && refused(src->external, q, q->namespace, "ExternalMetric"))
        return MA_ERR_NOTFOUND;
    if (def == NULL) {
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for namespaces",
                           q->metric);
        return MA_ERR_NOTFOUND;
    }
    settings(t, src, def);
    if (alloc_items(q, t, (size_t)def->nendpoints) != MA_OK)
        return MA_ERR_NOSPACE;
    for (i = 0; i < def->nendpoints; i++) {
        const char *ep = ma_falcon_def_ext_endpoint(def, i);
        struct ma_kube_label l = {"endpoint", ep};
        struct ma_kube_labels ls = {&l, 1};
        size_t len = strlen(ep);

        if (q->metric_selector != NULL && !ma_kube_selector_matches(q->metric_selector, &ls))
            continue;
        memcpy(key, ep, len);
        /* the item's name is the endpoint */
        rc = add_item(q, t, q->namespace, ep, key, len, def->counter);
        if (rc != MA_OK)
            return rc;
    }
    return MA_OK;
}

/* see backend/falcon_target.h */
int ma_falcon_target_resolve(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                             struct ma_falcon_target *t)
{
    memset(t, 0, sizeof *t);
    t->kind = q->kind;
    if (q->kind == MA_PROV_EXTERNAL)
        return resolve_external(src, q, t);
    return resolve_custom(src, q, t);
}

/* ---- answering ------------------------------------------------------------------------------- */

/* How sample s may be served: SERVED (its value, *v and *ts set), ZEROED (stale under the zero
 * policy: 0 stamped now, *v and *ts set), OMITTED (stale, left out), or UNAVAILABLE (its fetch
 * failed and no usable older value exists). */
enum judgement { UNAVAILABLE = -1, OMITTED = 0, SERVED = 1, ZEROED = 2 };

static enum judgement judge(const struct ma_falcon_target *t, const struct ma_valcache_sample *s,
                            time_t now, double *v, int64_t *ts)
{
    int have = s->fetched_at >= 0 && s->has_value;
    int stale = !have || s->timestamp <= 0 || (int64_t)now - s->timestamp > t->stale_after_s;

    if (s->state != MA_VALCACHE_FRESH && stale)
        return UNAVAILABLE; /* Falcon did not answer for it: no value or zero can be trusted */
    if (stale) {
        if (t->policy != MA_FALCON_STALE_ZERO)
            return OMITTED;
        *v = 0;
        *ts = now;
        return ZEROED;
    }
    *v = s->value;
    *ts = s->timestamp;
    return SERVED;
}

/* Why the named object got no value, for the 404 an HPA condition shows. */
static void fail_named(const struct ma_falcon_target *t, const struct ma_valcache_sample *s,
                       struct ma_prov_query *q, time_t now)
{
    const char *key = t->n > 0 ? t->keys[0].p : "";
    int elen = t->n > 0 ? (int)(strchr(key, '\t') - key) : 0;

    if (t->n == 0)
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s %s", q->metric,
                           q->group_resource, q->name);
    else if (s->fetched_at < 0 || !s->has_value || s->timestamp <= 0)
        ma_prov_query_fail(q, 404,
                           "the server could not find the metric %s for %s %s: "
                           "Open-Falcon has no value for endpoint %.*s counter %s",
                           q->metric, q->group_resource, q->name, elen, key, key + elen + 1);
    else
        ma_prov_query_fail(q, 404,
                           "the server could not find the metric %s for %s %s: the last "
                           "value of endpoint %.*s counter %s is %lld s old (stale after %lld s)",
                           q->metric, q->group_resource, q->name, elen, key, key + elen + 1,
                           (long long)((int64_t)now - s->timestamp), (long long)t->stale_after_s);
}

struct agg {
    size_t n;
    double v;
    int64_t ts;
};

static void agg_add(struct agg *a, enum ma_falcon_ext_mode mode, double v, int64_t ts)
{
    if (a->n == 0)
        a->v = v;
    else if (mode == MA_FALCON_EXT_MIN)
        a->v = v < a->v ? v : a->v;
    else if (mode == MA_FALCON_EXT_MAX)
        a->v = v > a->v ? v : a->v;
    else
        a->v += v;
    a->ts = ts > a->ts ? ts : a->ts;
    a->n++;
}

static int emit(const struct ma_falcon_target *t, struct ma_prov_query *q, size_t i, double v,
                int64_t ts)
{
    struct ma_kube_label l;

    if (t->kind == MA_PROV_CUSTOM)
        return ma_prov_query_add_object(q, t->obj_kind, t->api_version, t->namespaces[i],
                                        t->names[i], (time_t)ts, 0, v);
    l.key = "endpoint";
    l.value = t->names[i];
    return ma_prov_query_add_external(q, &l, 1, (time_t)ts, 0, v);
}

/* see backend/falcon_target.h */
void ma_falcon_target_answer(const struct ma_falcon_target *t,
                             const struct ma_valcache_sample *samples, time_t now,
                             struct ma_prov_query *q, const char *fail_msg)
{
    int aggregate = t->kind == MA_PROV_EXTERNAL && t->mode != MA_FALCON_EXT_ITEMS;
    struct agg a = {0, 0, 0};
    size_t i, served = 0;

    for (i = 0; i < t->n; i++) {
        double v;
        int64_t ts;
        enum judgement r = judge(t, &samples[i], now, &v, &ts);

        if (r == UNAVAILABLE) {
            ma_prov_query_fail(q, 503, "%s",
                               fail_msg != NULL
                                   ? fail_msg
                                   : "Open-Falcon backend: the value cache had no room for this "
                                     "request's series; try again");
            return;
        }
        if (r == OMITTED)
            continue;
        served++;
        if (aggregate)
            agg_add(&a, t->mode, v, ts);
        else if (emit(t, q, i, v, ts) != MA_OK)
            goto full;
    }
    if (aggregate && a.n > 0) {
        if (t->mode == MA_FALCON_EXT_AVG)
            a.v /= (double)a.n;
        if (ma_prov_query_add_external(q, NULL, 0, (time_t)a.ts, 0, a.v) != MA_OK)
            goto full;
    }
    if (t->kind == MA_PROV_CUSTOM && q->name != NULL && served == 0)
        fail_named(t, t->n > 0 ? &samples[0] : NULL, q, now);
    return;
full:
    ma_prov_query_fail(q, 500, "Open-Falcon backend: request arena exhausted");
}

/* see backend/falcon_target.h */
int64_t ma_falcon_target_memo_until(const struct ma_falcon_target *t,
                                    const struct ma_valcache_sample *samples, time_t now,
                                    int64_t now_ms)
{
    int64_t until = now_ms + t->ttl_ms;
    size_t i;

    if (t->ttl_ms <= 0)
        return 0;
    for (i = 0; i < t->n; i++) {
        const struct ma_valcache_sample *s = &samples[i];
        double v;
        int64_t ts, at;

        if (s->state != MA_VALCACHE_FRESH || s->fetched_at < 0)
            return 0;
        if (s->fetched_at + t->ttl_ms < until)
            until = s->fetched_at + t->ttl_ms;
        switch (judge(t, s, now, &v, &ts)) {
        case ZEROED:
            return 0; /* stamped now: its timestamp moves with the clock */
        case SERVED:
            break;
        default:
            continue; /* left out: stays out until its value is fetched again */
        }
        /* served until it turns stale: now - ts > stale_after, i.e. at ts + stale_after + 1 */
        at = now_ms + ((s->timestamp + t->stale_after_s + 1) - (int64_t)now) * 1000;
        if (at < until)
            until = at;
    }
    return until > now_ms ? until : 0;
}
