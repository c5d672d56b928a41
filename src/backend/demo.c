#include "backend/demo.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/pods.h"
#include "kube/selector.h"
#include "net/loop.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Every value is a pure function of the demo clock t, so tests that freeze it with --demo-time
 * can compute the exact expected answers (the formulas are the demo contract). */

#define WINDOW_SECONDS 60

/* ---- the objects ----------------------------------------------------------------------------- */

struct object {
    const char *name;
    struct ma_kube_label labels[2];
    size_t num_labels;
};

/* pods 0-4; --demo-pods adds demo-load-0, demo-load-1, ... {app=demo-load} after them (load
 * tests), outside both deployments */
static const struct object fixed_pods[] = {
    {"demo-web-0", {{"app", "demo-web"}, {"tier", "frontend"}}, 2},
    {"demo-web-1", {{"app", "demo-web"}, {"tier", "frontend"}}, 2},
    {"demo-web-2", {{"app", "demo-web"}, {"tier", "frontend"}}, 2},
    {"demo-worker-0", {{"app", "demo-worker"}, {"tier", "backend"}}, 2},
    {"demo-worker-1", {{"app", "demo-worker"}, {"tier", "backend"}}, 2},
};

/* deployments[i] owns the pods its spec.selector, deployment_selectors[i], matches */
static const struct object deployments[] = {
    {"demo-web", {{"app", "demo-web"}}, 1},
    {"demo-worker", {{"app", "demo-worker"}}, 1},
};
static const char *const deployment_selectors[] = {"app=demo-web", "app=demo-worker"};

static const struct object namespaces[] = {{"default", {{NULL, NULL}}, 0}};

static const struct object nodes[] = {
    {"demo-node-0", {{"kubernetes.io/os", "linux"}}, 1},
    {"demo-node-1", {{"kubernetes.io/os", "linux"}}, 1},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* the metric labels of every custom series, for metricLabelSelector */
static const struct ma_kube_label custom_series_labels[] = {{"source", "demo"}};

/* ---- the provider
 * -------------------------------------------------------------------------------- */

struct pending;

struct demo {
    const struct ma_provider_class *vtable; /* first: the provider handle points here */
    struct ma_net_loop *loop;
    struct ma_backend_demo_config cfg;
    struct object *pods; /* fixed_pods, then the load pods */
    size_t num_pods;
    char (*load_names)[32];
    struct ma_kube_selector deployment_sel[COUNT(deployments)];
    struct pending *pending; /* slow queries waiting for their timer */
};

/* a demo_slow_queue query waiting for its timer */
struct pending {
    struct pending *prev, *next;
    struct demo *d;
    struct ma_prov_query *q;
    uint64_t timer;
};

static struct demo *demo_of(const struct ma_provider_class **self)
{
    return (struct demo *)(void *)self;
}

static time_t demo_now(const struct demo *d)
{
    return d->cfg.fixed_time != 0 ? (time_t)d->cfg.fixed_time : ma_time_wall();
}

/* ---- values
 * --------------------------------------------------------------------------------------- */

/* 2*pi*t/period, with t reduced modulo the period first: the same angle as far as sin() is
 * concerned, but a small argument spares libm's slow large-argument reduction (t ~ 1.7e9). */
static double phase(double t, double period)
{
    return 2 * M_PI * fmod(t, period) / period;
}

/* 3 decimals, half away from zero */
static double r3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

static double pod_rps(const struct demo *d, size_t i, double t)
{
    (void)d;
    return r3(10 + 2 * (double)i + 5 * sin(phase(t, 300) + (double)i));
}

/* the sum of the (rounded) values of the pods the deployment's selector matches */
static double deployment_rps(const struct demo *d, size_t i, double t)
{
    struct ma_kube_labels labels;
    double sum = 0;
    size_t j;

    for (j = 0; j < d->num_pods; j++) {
        labels.items = d->pods[j].labels;
        labels.n = d->pods[j].num_labels;
        if (ma_kube_selector_matches(&d->deployment_sel[i], &labels))
            sum += pod_rps(d, j, t);
    }
    return r3(sum);
}

static double namespace_queue(const struct demo *d, size_t i, double t)
{
    (void)d;
    (void)i;
    return round(100 + 50 * sin(phase(t, 600)));
}

static double node_load(const struct demo *d, size_t j, double t)
{
    (void)d;
    return r3(0.5 + 0.25 * (double)j + 0.2 * sin(phase(t, 120) + (double)j));
}

/* ---- custom metrics
 * ------------------------------------------------------------------------------ */

struct series {
    const char *group_resource, *metric, *kind, *api_version;
    int namespaced;
    const struct object *objects; /* NULL: the demo's pods */
    size_t count;
    double (*value)(const struct demo *d, size_t i, double t);
};

static const struct series custom_series[] = {
    {"pods", "http_requests_per_second", "Pod", "/v1", 1, NULL, 0, pod_rps},
    {"deployments.apps", "http_requests_per_second", "Deployment", "apps/v1", 1, deployments,
     COUNT(deployments), deployment_rps},
    {"namespaces", "queue_length", "Namespace", "/v1", 0, namespaces, COUNT(namespaces),
     namespace_queue},
    {"nodes", "node_load1", "Node", "/v1", 0, nodes, COUNT(nodes), node_load},
};

static const struct series *find_series(const char *group_resource, const char *metric)
{
    size_t i;

    for (i = 0; i < COUNT(custom_series); i++)
        if (strcmp(custom_series[i].group_resource, group_resource) == 0 &&
            strcmp(custom_series[i].metric, metric) == 0)
            return &custom_series[i];
    return NULL;
}

static int selects(const struct ma_kube_selector *sel, const struct ma_kube_label *l, size_t n)
{
    struct ma_kube_labels labels = {l, n};

    return sel == NULL || ma_kube_selector_matches(sel, &labels);
}

/* Is object o part of the answer to q? */
static int wanted(const struct ma_prov_query *q, const struct object *o)
{
    if (q->name != NULL)
        return strcmp(o->name, q->name) == 0;
    return selects(q->selector, o->labels, o->num_labels);
}

/* ---- pods from a watched cache (a cluster is configured) ------------------------------------ */

/* A cached pod gets the formula of demo pod (FNV-1a of its name) % 5, so values stay stable for
 * a pod across restarts and differ between pods. */
static size_t pod_slot(const char *name)
{
    uint32_t h = 2166136261u;

    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h % COUNT(fixed_pods);
}

static int pod_has_metrics(const struct ma_kube_pod *p)
{
    return p->phase == MA_POD_RUNNING && p->deleted == 0;
}

struct cached_walk {
    const struct demo *d;
    struct ma_prov_query *q;
    time_t now;
    size_t found;
    int full;
};

static int add_cached_pod(const struct ma_kube_pod *p, void *arg)
{
    struct cached_walk *w = arg;

    if (!pod_has_metrics(p))
        return 0;
    if (ma_prov_query_add_object(w->q, "Pod", "/v1", p->meta.namespace, p->meta.name, w->now,
                                 WINDOW_SECONDS,
                                 pod_rps(w->d, pod_slot(p->meta.name), (double)w->now)) !=
        MA_OK) {
        w->full = 1;
        return 1;
    }
    w->found++;
    return 0;
}

static int get_cached_pods(const struct demo *d, struct ma_prov_query *q)
{
    struct cached_walk w = {d, q, demo_now(d), 0, 0};
    struct ma_errmsg why;

    if (!d->cfg.pods_ready(d->cfg.pods_ready_arg, &why)) {
        ma_prov_query_fail(q, 503, "the pods cache has not synced with kube-apiserver yet: %s",
                           why.msg);
        return MA_OK;
    }
    if (selects(q->metric_selector, custom_series_labels, COUNT(custom_series_labels))) {
        if (q->name != NULL) {
            const struct ma_kube_pod *p = ma_kube_pods_get(d->cfg.pods, q->namespace, q->name);

            if (p != NULL)
                add_cached_pod(p, &w);
        } else {
            ma_kube_pods_each(d->cfg.pods, q->namespace, q->selector, add_cached_pod, &w);
        }
    }
    if (w.full)
        ma_prov_query_fail(q, 500, "demo: request arena exhausted");
    else if (q->name != NULL && w.found == 0)
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s %s", q->metric,
                           q->group_resource, q->name);
    return MA_OK;
}

static int get_custom(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    const struct demo *d = demo_of(self);
    const struct series *s = find_series(q->group_resource, q->metric);
    time_t now = demo_now(d);
    const struct object *objects;
    size_t i, count, found = 0;

    if (s == NULL || s->namespaced != (q->namespace != NULL)) {
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s", q->metric,
                           q->group_resource);
        return MA_OK;
    }
    if (s->objects == NULL && d->cfg.pods != NULL)
        return get_cached_pods(d, q);
    objects = s->objects != NULL ? s->objects : d->pods;
    count = s->objects != NULL ? s->count : d->num_pods;
    /* only "default" holds namespaced objects; every series carries {source=demo} */
    if ((q->namespace == NULL || strcmp(q->namespace, "default") == 0) &&
        selects(q->metric_selector, custom_series_labels, COUNT(custom_series_labels))) {
        for (i = 0; i < count; i++) {
            if (!wanted(q, &objects[i]))
                continue;
            if (ma_prov_query_add_object(q, s->kind, s->api_version, q->namespace, objects[i].name,
                                         now, WINDOW_SECONDS,
                                         s->value(d, i, (double)now)) != MA_OK) {
                ma_prov_query_fail(q, 500, "demo: request arena exhausted");
                return MA_OK;
            }
            found++;
        }
    }
    if (q->name != NULL && found == 0)
        ma_prov_query_fail(q, 404, "the server could not find the metric %s for %s %s", q->metric,
                           q->group_resource, q->name);
    return MA_OK;
}

static int list_custom(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    size_t i;
    int rc = MA_OK;

    (void)self;
    for (i = 0; i < COUNT(custom_series) && rc == MA_OK; i++)
        rc = ma_prov_list_add(out, custom_series[i].group_resource, custom_series[i].metric,
                              custom_series[i].namespaced);
    return rc;
}

/* ---- external metrics
 * ---------------------------------------------------------------------------- */

static const struct ma_kube_label orders[] = {{"queue", "orders"}};
static const struct ma_kube_label emails[] = {{"queue", "emails"}};
static const struct ma_kube_label slow[] = {{"queue", "slow"}};

/* Add one series if labelSelector selects it; 0 when the arena is full (q then failed). */
static int add_series(struct ma_prov_query *q, const struct ma_kube_label *l, time_t now,
                      int64_t window, double v)
{
    if (!selects(q->metric_selector, l, 1))
        return 1;
    if (ma_prov_query_add_external(q, l, 1, now, window, v) == MA_OK)
        return 1;
    ma_prov_query_fail(q, 500, "demo: request arena exhausted");
    return 0;
}

static void unlink_pending(struct demo *d, struct pending *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        d->pending = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->q->_backend = NULL;
    free(p);
}

static int64_t slow_fire(struct ma_net_loop *loop, void *arg)
{
    struct pending *p = arg;
    struct demo *d = p->d;
    struct ma_prov_query *q = p->q;

    (void)loop;
    unlink_pending(d, p);
    add_series(q, slow, demo_now(d), 0, 1);
    q->done(q);
    return MA_NET_TIMER_STOP;
}

/* demo_slow_queue: answered from the loop after slow_delay_ms, so the server keeps serving */
static int start_slow(struct demo *d, struct ma_prov_query *q)
{
    struct pending *p = ma_xcalloc(1, sizeof *p);

    p->d = d;
    p->q = q;
    p->next = d->pending;
    if (d->pending != NULL)
        d->pending->prev = p;
    d->pending = p;
    q->_backend = p;
    p->timer = ma_net_loop_add_timer(d->loop, d->cfg.slow_delay_ms, slow_fire, p);
    MA_LOGV(4, "demo: %s/%s answers in %lld ms", q->namespace, q->metric,
            (long long)d->cfg.slow_delay_ms);
    return MA_ERR_PARTIAL;
}

static int get_external(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct demo *d = demo_of(self);
    time_t now = demo_now(d);
    double t = (double)now;

    if (strcmp(q->metric, "demo_queue_depth") == 0) {
        if (add_series(q, orders, now, WINDOW_SECONDS, r3(40 + 10 * sin(phase(t, 300)))))
            add_series(q, emails, now, WINDOW_SECONDS, r3(5 + 2 * sin(phase(t, 300))));
        return MA_OK;
    }
    if (strcmp(q->metric, "demo_slow_queue") == 0)
        return start_slow(d, q);
    /* prometheus-adapter names the namespaces resource here */
    ma_prov_query_fail(q, 404, "the server could not find the metric %s for namespaces", q->metric);
    return MA_OK;
}

static int list_external(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    int rc = ma_prov_list_add(out, NULL, "demo_queue_depth", 1);

    (void)self;
    return rc != MA_OK ? rc : ma_prov_list_add(out, NULL, "demo_slow_queue", 1);
}

static void cancel(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct demo *d = demo_of(self);
    struct pending *p = q->_backend;

    if (p == NULL)
        return;
    ma_net_loop_del_timer(d->loop, p->timer);
    unlink_pending(d, p);
}

static int ready(const struct ma_provider_class **self, struct ma_errmsg *why)
{
    const struct demo *d = demo_of(self);

    return d->cfg.pods_ready == NULL || d->cfg.pods_ready(d->cfg.pods_ready_arg, why);
}

static const struct ma_provider_class demo_class = {
    "demo", list_custom, list_external, get_custom, get_external, cancel, ready,
};

static void make_pods(struct demo *d)
{
    size_t i, extra;

    d->num_pods =
        d->cfg.num_pods > (int)COUNT(fixed_pods) ? (size_t)d->cfg.num_pods : COUNT(fixed_pods);
    extra = d->num_pods - COUNT(fixed_pods);
    d->pods = ma_xcalloc(d->num_pods, sizeof *d->pods);
    memcpy(d->pods, fixed_pods, sizeof fixed_pods);
    d->load_names = extra > 0 ? ma_xcalloc(extra, sizeof *d->load_names) : NULL;
    for (i = 0; i < extra; i++) {
        struct object *o = &d->pods[COUNT(fixed_pods) + i];

        snprintf(d->load_names[i], sizeof d->load_names[i], "demo-load-%zu", i);
        o->name = d->load_names[i];
        o->labels[0].key = "app";
        o->labels[0].value = "demo-load";
        o->num_labels = 1;
    }
}

/* see backend/demo.h */
const struct ma_provider_class **ma_backend_demo_new(struct ma_net_loop *loop,
                                                     const struct ma_backend_demo_config *cfg)
{
    struct demo *d = ma_xcalloc(1, sizeof *d);
    size_t i;

    d->vtable = &demo_class;
    d->loop = loop;
    d->cfg = *cfg;
    make_pods(d);
    for (i = 0; i < COUNT(deployments); i++) {
        const char *s = deployment_selectors[i];

        /* constant selectors: failing to parse them is a bug, and a half-parsed selector could
         * match every pod, so stop loudly */
        if (ma_kube_selector_parse(s, strlen(s), &d->deployment_sel[i], NULL) != MA_OK) {
            MA_LOG_E("demo: cannot parse deployment selector %s", s);
            abort();
        }
    }
    return &d->vtable;
}

/* see backend/demo.h */
void ma_backend_demo_free(const struct ma_provider_class **demo)
{
    struct demo *d;

    if (demo == NULL)
        return;
    d = demo_of(demo);
    while (d->pending != NULL) {
        ma_net_loop_del_timer(d->loop, d->pending->timer);
        unlink_pending(d, d->pending);
    }
    free(d->pods);
    free(d->load_names);
    free(d);
}
