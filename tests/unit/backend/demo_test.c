/* The demo backend through the provider interface at fixed demo times. Expected values were
 * computed independently (Python, the contract's formulas, C-style half-away-from-zero rounding);
 * r3 results are compared exactly: round(x*1000)/1000 and the decimal literal are the same
 * double. */

#include "backend/demo.h"

#include "base/time.h"
#include "kube/selector.h"
#include "net/loop.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

#define T0 1767323045 /* 2026-01-02T03:04:05Z */
#define T1 1700000000

static struct ma_arena arena;

static const struct ma_provider_class **make(int64_t t, int num_pods, struct ma_net_loop *loop,
                                             int64_t slow_ms)
{
    struct ma_backend_demo_config cfg = {t, slow_ms, num_pods};

    return ma_backend_demo_new(loop, &cfg);
}

static void query(struct ma_prov_query *q, enum ma_prov_kind kind, const char *ns, const char *gr,
                  const char *name, const char *metric)
{
    ma_arena_reset(&arena);
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->namespace = ns;
    q->group_resource = gr;
    q->name = name;
    q->metric = metric;
    q->arena = &arena;
}

static int get(const struct ma_provider_class **p, struct ma_prov_query *q)
{
    return q->kind == MA_PROV_CUSTOM ? (*p)->get_custom(p, q) : (*p)->get_external(p, q);
}

static struct ma_kube_selector *sel(const char *s)
{
    static struct ma_kube_selector bufs[4];
    static int next;
    struct ma_kube_selector *out = &bufs[next++ % 4];

    if (ma_kube_selector_parse(s, strlen(s), out, NULL) != MA_OK)
        abort();
    return out;
}

static void test_listing(void)
{
    const struct ma_provider_class **p = make(T0, 0, NULL, 0);
    struct ma_prov_list l;
    struct ma_errmsg why;

    ma_arena_reset(&arena);
    ma_prov_list_init(&l, &arena);
    CHECK_EQ((*p)->list_custom(p, &l), MA_OK);
    CHECK_EQ(l.n, 4);
    CHECK_STR(l.items[0].group_resource, "pods");
    CHECK_STR(l.items[1].group_resource, "deployments.apps");
    CHECK_STR(l.items[1].metric, "http_requests_per_second");
    CHECK_STR(l.items[2].group_resource, "namespaces");
    CHECK_STR(l.items[2].metric, "queue_length");
    CHECK_EQ(l.items[2].namespaced, 0);
    CHECK_STR(l.items[3].metric, "node_load1");
    CHECK_EQ(l.items[3].namespaced, 0);
    CHECK_EQ(l.items[0].namespaced, 1);
    ma_prov_list_init(&l, &arena);
    CHECK_EQ((*p)->list_external(p, &l), MA_OK);
    CHECK_EQ(l.n, 2);
    CHECK(l.items[0].group_resource == NULL);
    CHECK_STR(l.items[0].metric, "demo_queue_depth");
    CHECK_STR(l.items[1].metric, "demo_slow_queue");
    CHECK_EQ((*p)->ready(p, &why), 1);
    ma_backend_demo_free(p);
}

static void test_pods(void)
{
    static const double want0[] = {5.432, 11.243, 17.75, 20.809, 19.447};
    static const double want1[] = {5.67, 7.557, 13.529, 19.934, 22.722};
    static const char *const names[] = {"demo-web-0", "demo-web-1", "demo-web-2", "demo-worker-0",
                                        "demo-worker-1"};
    const struct ma_provider_class **p0 = make(T0, 0, NULL, 0), **p1 = make(T1, 5, NULL, 0);
    struct ma_prov_query q;
    size_t i;

    query(&q, MA_PROV_CUSTOM, "default", "pods", NULL, "http_requests_per_second");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.err_status, 0);
    CHECK_EQ(q.num_values, 5);
    for (i = 0; i < 5 && i < q.num_values; i++) {
        CHECK_STR(q.values[i].name, names[i]);
        CHECK_STR(q.values[i].kind, "Pod");
        CHECK_STR(q.values[i].api_version, "/v1");
        CHECK_STR(q.values[i].namespace, "default");
        CHECK_EQ(q.values[i].timestamp, T0);
        CHECK_EQ(q.values[i].window_seconds, 60);
        CHECK(q.values[i].value == want0[i]);
    }
    query(&q, MA_PROV_CUSTOM, "default", "pods", NULL, "http_requests_per_second");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 5);
    for (i = 0; i < 5 && i < q.num_values; i++)
        CHECK(q.values[i].value == want1[i]);
    /* object selector */
    query(&q, MA_PROV_CUSTOM, "default", "pods", NULL, "http_requests_per_second");
    q.selector = sel("tier=backend");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 2);
    CHECK_STR(q.values[0].name, "demo-worker-0");
    CHECK_STR(q.values[1].name, "demo-worker-1");
    /* by name */
    query(&q, MA_PROV_CUSTOM, "default", "pods", "demo-web-1", "http_requests_per_second");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 11.243);
    ma_backend_demo_free(p0);
    ma_backend_demo_free(p1);
}

static void test_deployments(void)
{
    const struct ma_provider_class **p0 = make(T0, 0, NULL, 0), **p1 = make(T1, 0, NULL, 0);
    struct ma_prov_query q;

    query(&q, MA_PROV_CUSTOM, "default", "deployments.apps", NULL, "http_requests_per_second");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 2);
    CHECK_STR(q.values[0].name, "demo-web");
    CHECK_STR(q.values[0].kind, "Deployment");
    CHECK_STR(q.values[0].api_version, "apps/v1");
    CHECK(q.values[0].value == 34.425);
    CHECK_STR(q.values[1].name, "demo-worker");
    CHECK(q.values[1].value == 40.256);
    query(&q, MA_PROV_CUSTOM, "default", "deployments.apps", "demo-worker",
          "http_requests_per_second");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 42.656);
    /* the deployment's own labels are {app=<name>} */
    query(&q, MA_PROV_CUSTOM, "default", "deployments.apps", NULL, "http_requests_per_second");
    q.selector = sel("app=demo-web");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 26.756);
    ma_backend_demo_free(p0);
    ma_backend_demo_free(p1);
}

static void test_namespace_and_nodes(void)
{
    const struct ma_provider_class **p0 = make(T0, 0, NULL, 0), **p1 = make(T1, 0, NULL, 0);
    struct ma_prov_query q;

    query(&q, MA_PROV_CUSTOM, NULL, "namespaces", "default", "queue_length");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK_STR(q.values[0].kind, "Namespace");
    CHECK(q.values[0].namespace == NULL);
    CHECK(q.values[0].value == 127);
    query(&q, MA_PROV_CUSTOM, NULL, "namespaces", NULL, "queue_length");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 143);
    query(&q, MA_PROV_CUSTOM, NULL, "nodes", NULL, "node_load1");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 2);
    CHECK_STR(q.values[1].name, "demo-node-1");
    CHECK_STR(q.values[1].kind, "Node");
    CHECK(q.values[0].value == 0.552 && q.values[1].value == 0.941);
    query(&q, MA_PROV_CUSTOM, NULL, "nodes", "demo-node-0", "node_load1");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 0.327);
    ma_backend_demo_free(p0);
    ma_backend_demo_free(p1);
}

static const struct {
    const char *ns, *gr, *name, *metric, *sel, *msg;
    size_t want_values; /* when msg is NULL */
} custom_rows[] = {
    {"default", "pods", NULL, "nope", NULL, "the server could not find the metric nope for pods"},
    {"default", "services", NULL, "http_requests_per_second", NULL,
     "the server could not find the metric http_requests_per_second for services"},
    {NULL, "pods", NULL, "http_requests_per_second", NULL,
     "the server could not find the metric http_requests_per_second for pods"},
    {"default", "nodes", "demo-node-0", "node_load1", NULL,
     "the server could not find the metric node_load1 for nodes"},
    {"default", "pods", "nope", "http_requests_per_second", NULL,
     "the server could not find the metric http_requests_per_second for pods nope"},
    {"kube-system", "pods", NULL, "http_requests_per_second", NULL, NULL, 0},
    {"kube-system", "pods", "demo-web-0", "http_requests_per_second", NULL,
     "the server could not find the metric http_requests_per_second for pods demo-web-0"},
    {NULL, "namespaces", "kube-system", "queue_length", NULL,
     "the server could not find the metric queue_length for namespaces kube-system"},
    {NULL, "nodes", NULL, "node_load1", "source=demo", NULL, 2},
    {NULL, "nodes", NULL, "node_load1", "source!=demo", NULL, 0},
    {NULL, "nodes", "demo-node-1", "node_load1", "source in (x)",
     "the server could not find the metric node_load1 for nodes demo-node-1"},
};

static void test_custom_errors(void)
{
    const struct ma_provider_class **p = make(T0, 0, NULL, 0);
    size_t i;

    for (i = 0; i < sizeof custom_rows / sizeof custom_rows[0]; i++) {
        struct ma_prov_query q;

        query(&q, MA_PROV_CUSTOM, custom_rows[i].ns, custom_rows[i].gr, custom_rows[i].name,
              custom_rows[i].metric);
        if (custom_rows[i].sel)
            q.metric_selector = sel(custom_rows[i].sel);
        CHECK_EQ(get(p, &q), MA_OK);
        if (custom_rows[i].msg != NULL) {
            CHECK_EQ(q.err_status, 404);
            CHECK_STR(q.err.msg, custom_rows[i].msg);
        } else {
            CHECK_EQ(q.err_status, 0);
            CHECK_EQ(q.num_values, custom_rows[i].want_values);
        }
    }
    ma_backend_demo_free(p);
}

static void test_load_pods(void)
{
    const struct ma_provider_class **p = make(T0, 8, NULL, 0);
    struct ma_prov_query q;

    query(&q, MA_PROV_CUSTOM, "default", "pods", NULL, "http_requests_per_second");
    q.selector = sel("app=demo-load");
    CHECK_EQ(get(p, &q), MA_OK);
    CHECK_EQ(q.num_values, 3);
    CHECK_STR(q.values[0].name, "demo-load-0");
    CHECK_STR(q.values[2].name, "demo-load-2");
    CHECK(q.values[0].value == 16.754 && q.values[1].value == 17.046 &&
          q.values[2].value == 21.892);
    /* load pods belong to no deployment */
    query(&q, MA_PROV_CUSTOM, "default", "deployments.apps", "demo-web",
          "http_requests_per_second");
    CHECK_EQ(get(p, &q), MA_OK);
    CHECK(q.values[0].value == 34.425);
    ma_backend_demo_free(p);
}

static void test_external(void)
{
    const struct ma_provider_class **p0 = make(T0, 0, NULL, 0), **p1 = make(T1, 0, NULL, 0);
    struct ma_prov_query q;

    query(&q, MA_PROV_EXTERNAL, "anywhere", NULL, NULL, "demo_queue_depth");
    CHECK_EQ(get(p0, &q), MA_OK);
    CHECK_EQ(q.num_values, 2);
    CHECK_EQ(q.values[0].num_labels, 1);
    CHECK_STR(q.values[0].labels[0].key, "queue");
    CHECK_STR(q.values[0].labels[0].value, "orders");
    CHECK_STR(q.values[1].labels[0].value, "emails");
    CHECK(q.values[0].value == 30.865 && q.values[1].value == 3.173);
    CHECK_EQ(q.values[0].window_seconds, 60);
    CHECK_EQ(q.values[0].timestamp, T0);
    query(&q, MA_PROV_EXTERNAL, "default", NULL, NULL, "demo_queue_depth");
    q.metric_selector = sel("queue=emails");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.values[0].value == 3.268);
    query(&q, MA_PROV_EXTERNAL, "default", NULL, NULL, "nope");
    CHECK_EQ(get(p1, &q), MA_OK);
    CHECK_EQ(q.err_status, 404);
    CHECK_STR(q.err.msg, "the server could not find the metric nope for namespaces");
    ma_backend_demo_free(p0);
    ma_backend_demo_free(p1);
}

/* ---- the slow metric on the real event loop -------------------------------------------------- */

static int done_calls;

static void on_done(struct ma_prov_query *q)
{
    done_calls++;
    ma_net_loop_stop(q->done_arg);
}

static int64_t stop_loop(struct ma_net_loop *loop, void *arg)
{
    (void)arg;
    ma_net_loop_stop(loop);
    return MA_NET_TIMER_STOP;
}

static void test_slow(void)
{
    struct ma_net_loop *loop = ma_net_loop_new(16);
    const struct ma_provider_class **p = make(T0, 0, loop, 30);
    struct ma_prov_query q, q2;
    int64_t start = ma_time_mono_ms();

    query(&q, MA_PROV_EXTERNAL, "default", NULL, NULL, "demo_slow_queue");
    q.done = on_done;
    q.done_arg = loop;
    CHECK_EQ(get(p, &q), MA_ERR_PARTIAL);
    CHECK_EQ(done_calls, 0);
    CHECK_EQ(ma_net_loop_run(loop), MA_OK);
    CHECK_EQ(done_calls, 1);
    CHECK(ma_time_mono_ms() - start >= 30);
    CHECK_EQ(q.err_status, 0);
    CHECK_EQ(q.num_values, 1);
    CHECK_STR(q.values[0].labels[0].value, "slow");
    CHECK(q.values[0].value == 1);
    CHECK_EQ(q.values[0].window_seconds, 0);
    CHECK_EQ(q.values[0].timestamp, T0);

    /* cancelled: done never comes */
    query(&q2, MA_PROV_EXTERNAL, "default", NULL, NULL, "demo_slow_queue");
    q2.done = on_done;
    q2.done_arg = loop;
    CHECK_EQ(get(p, &q2), MA_ERR_PARTIAL);
    (*p)->cancel(p, &q2);
    ma_net_loop_add_timer(loop, 60, stop_loop, NULL);
    CHECK_EQ(ma_net_loop_run(loop), MA_OK);
    CHECK_EQ(done_calls, 1);

    /* freeing with a query pending drops it */
    CHECK_EQ(get(p, &q2), MA_ERR_PARTIAL);
    ma_backend_demo_free(p);
    ma_net_loop_add_timer(loop, 60, stop_loop, NULL);
    CHECK_EQ(ma_net_loop_run(loop), MA_OK);
    CHECK_EQ(done_calls, 1);
    ma_net_loop_free(loop);
}

int main(void)
{
    ma_arena_init(&arena, 1 << 20);
    T_RUN(test_listing);
    T_RUN(test_pods);
    T_RUN(test_deployments);
    T_RUN(test_namespace_and_nodes);
    T_RUN(test_custom_errors);
    T_RUN(test_load_pods);
    T_RUN(test_external);
    T_RUN(test_slow);
    ma_arena_free(&arena);
    T_END();
}
