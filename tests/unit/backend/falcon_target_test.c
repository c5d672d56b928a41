/* backend/falcon_target: request -> Falcon series, samples -> answer. */
#include "../t.h"

#include <math.h>

#include "backend/falcon_defs.h"
#include "backend/falcon_target.h"
#include "base/arena.h"
#include "json/read.h"
#include "kube/pods.h"
#include "kube/selector.h"
#include "kube/watch.h"

#define NOW 1700000000

static jsmntok_t toks[1024];
static struct ma_kube_store *pods;
static struct ma_falcon_defs *customs, *externals;
static struct ma_arena arena;

static void parse(struct ma_json_doc *d, const char *js)
{
    struct ma_errmsg em;

    if (ma_json_parse(d, js, strlen(js), toks, 1024, &em) != MA_OK) {
        fprintf(stderr, "bad test JSON: %s\n%s\n", em.msg, js);
        exit(2);
    }
}

static void add_pod(const char *ns, const char *name, const char *app, const char *phase,
                    const char *extra_spec)
{
    char js[1024];
    struct ma_json_doc d;
    struct ma_errmsg em;

    snprintf(js, sizeof js,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"labels\":{\"app\":\"%s\"},"
             "\"creationTimestamp\":\"2023-11-14T00:00:00Z\"},"
             "\"spec\":{\"nodeName\":\"node-1\"%s},"
             "\"status\":{\"phase\":\"%s\",\"podIP\":\"10.1.2.3\"}}",
             name, ns, app, extra_spec, phase);
    parse(&d, js);
    if (ma_kube_store_upsert(pods, &d, 0, &em) != MA_OK) {
        fprintf(stderr, "pod: %s\n", em.msg);
        exit(2);
    }
}

static void add_def(struct ma_falcon_defs *r, const char *js)
{
    struct ma_kube_informer_handler h;
    struct ma_json_doc d;
    struct ma_errmsg em;

    ma_falcon_defs_informer_handler(r, &h);
    parse(&d, js);
    if (h.upsert(h.arg, &d, 0, &em) != MA_OK) {
        fprintf(stderr, "def: %s\n", em.msg);
        exit(2);
    }
}

static void setup(void)
{
    pods = ma_kube_store_new(&ma_kube_pod_class);
    customs = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    externals = ma_falcon_defs_new(MA_FALCON_DEF_EXTERNAL);
    add_pod("ns", "web-1", "web", "Running", "");
    add_pod("ns", "web-2", "web", "Running", ",\"hostname\":\"custom-host\"");
    add_pod("ns", "web-3", "web", "Pending", "");
    add_pod("ns", "db-1", "db", "Running", "");
    add_pod("other", "web-9", "web", "Running", "");
    add_def(customs, "{\"metadata\":{\"name\":\"cpu.busy\",\"namespace\":\"ns\"},"
                     "\"spec\":{\"metric\":{\"counter\":\"cpu.busy\",\"endpoint\":\"\"}}}");
    add_def(customs, "{\"metadata\":{\"name\":\"ipmetric\",\"namespace\":\"ns\"},"
                     "\"spec\":{\"metric\":{\"counter\":\"x/b=2,a=1\",\"endpoint\":\"{podIP}-{node}\"},"
                     "\"stalePolicy\":\"zero\",\"staleAfterSeconds\":10,\"cacheTTLSeconds\":0}}");
    add_def(customs, "{\"metadata\":{\"name\":\"qps\",\"namespace\":\"ns\"},"
                     "\"spec\":{\"metric\":{\"counter\":\"qps\",\"endpoint\":\"{name}.{namespace}\"},"
                     "\"target\":{\"resource\":\"deployments.apps\"}}}");
    add_def(customs, "{\"metadata\":{\"name\":\"quota\",\"namespace\":\"ns\"},"
                     "\"spec\":{\"metric\":{\"counter\":\"quota.used\",\"endpoint\":\"ns-{name}\"},"
                     "\"target\":{\"resource\":\"namespaces\"}}}");
    add_def(externals, "{\"metadata\":{\"name\":\"queue\",\"namespace\":\"ns\"},"
                       "\"spec\":{\"metric\":{\"counter\":\"queue.len\"},"
                       "\"endpoints\":[\"lb-0\",\"lb-1\",\"lb-2\"]}}");
    add_def(externals, "{\"metadata\":{\"name\":\"queue-avg\",\"namespace\":\"ns\"},"
                       "\"spec\":{\"metric\":{\"counter\":\"queue.len\"},"
                       "\"endpoints\":[\"lb-0\",\"lb-1\",\"lb-2\"],\"mode\":\"avg\"}}");
    /* refused: no counter */
    {
        struct ma_kube_informer_handler h;
        struct ma_json_doc d;
        struct ma_errmsg em;

        ma_falcon_defs_informer_handler(customs, &h);
        parse(&d, "{\"metadata\":{\"name\":\"broken\",\"namespace\":\"ns\"},\"spec\":{}}");
        if (h.upsert(h.arg, &d, 0, &em) == MA_OK)
            exit(2);
    }
    ma_arena_init(&arena, 1 << 20);
}

static struct ma_falcon_target_src src(int seed)
{
    struct ma_falcon_target_src s = {pods, customs, externals, seed, 50000, 300,
                                     MA_FALCON_STALE_OMIT};
    return s;
}

static struct ma_prov_query query(enum ma_prov_kind kind, const char *ns, const char *gr,
                                  const char *name, const char *metric)
{
    struct ma_prov_query q;

    memset(&q, 0, sizeof q);
    ma_arena_reset(&arena);
    q.kind = kind;
    q.namespace = ns;
    q.group_resource = gr;
    q.name = name;
    q.metric = metric;
    q.arena = &arena;
    return q;
}

static int key_is(const struct ma_falcon_target *t, size_t i, const char *want)
{
    return i < t->n && t->keys[i].len == strlen(want) && memcmp(t->keys[i].p, want, t->keys[i].len) == 0;
}

static void test_pods(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "pods", NULL, "cpu.busy");
    struct ma_kube_selector sel;
    struct ma_falcon_target t;

    CHECK_EQ(ma_kube_selector_parse("app=web", 7, &sel, NULL), MA_OK);
    q.selector = &sel;
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    /* Running pods of ns with app=web: web-3 is Pending; the endpoint is the pod's hostname */
    CHECK_EQ(t.n, 2);
    CHECK(key_is(&t, 0, "web-1\tcpu.busy"));
    CHECK(key_is(&t, 1, "custom-host\tcpu.busy"));
    CHECK_STR(t.names[1], "web-2");
    CHECK_STR(t.obj_kind, "Pod");
    CHECK_EQ(t.ttl_ms, 50000);
    CHECK_EQ(t.policy, MA_FALCON_STALE_OMIT);

    /* a template and per-metric settings; the counter is stored with sorted tags */
    q = query(MA_PROV_CUSTOM, "ns", "pods", "db-1", "ipmetric");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 1);
    CHECK(key_is(&t, 0, "10.1.2.3-node-1\tx/a=1,b=2"));
    CHECK_EQ(t.ttl_ms, 0);
    CHECK_EQ(t.stale_after_s, 10);
    CHECK_EQ(t.policy, MA_FALCON_STALE_ZERO);

    /* an unknown pod: no series (the API answers 404 for a named object without value) */
    q = query(MA_PROV_CUSTOM, "ns", "pods", "ghost", "cpu.busy");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 0);
}

static void test_seed(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "other", "pods", NULL,
                                   "net.if.in.bytes-iface-equal-eth0");
    struct ma_falcon_target t;

    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 1);
    CHECK(key_is(&t, 0, "web-9\tnet.if.in.bytes/iface=eth0"));
    /* a name the convention cannot express */
    q = query(MA_PROV_CUSTOM, "other", "pods", NULL, "disk.io.avgqu-sz");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
    if (strstr(q.err.msg, "CustomMetric") == NULL)
        fprintf(stderr, "message: %s\n", q.err.msg);
    CHECK(strstr(q.err.msg, "CustomMetric") != NULL);
    /* an invalid CustomMetric does not fall back to the convention: 404 with the reason */
    q = query(MA_PROV_CUSTOM, "ns", "pods", NULL, "broken");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
    CHECK(strstr(q.err.msg, "CustomMetric ns/broken is invalid") != NULL);
    /* a named pod that is not running says so */
    q = query(MA_PROV_CUSTOM, "ns", "pods", "web-3", "cpu.busy");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK(strstr(q.err.msg, "not running") != NULL);
    /* convention off */
    s = src(0);
    q = query(MA_PROV_CUSTOM, "other", "pods", NULL, "cpu.busy");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
    /* the convention is for pods only */
    s = src(1);
    q = query(MA_PROV_CUSTOM, "ns", "services", "svc", "cpu.idle");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
}

static void test_objects(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "deployments.apps", "web", "qps");
    struct ma_falcon_target t;

    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 1);
    CHECK(key_is(&t, 0, "web.ns\tqps"));
    CHECK_STR(t.obj_kind, "Deployment");
    CHECK_STR(t.api_version, "apps/v1");
    /* the metric is defined for deployments, not for pods or services */
    q = query(MA_PROV_CUSTOM, "ns", "pods", "web-1", "qps");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    q = query(MA_PROV_CUSTOM, "ns", "services", "web", "qps");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    /* Object metrics name their object */
    q = query(MA_PROV_CUSTOM, "ns", "deployments.apps", NULL, "qps");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
    /* the namespace itself: namespaces/ns/metrics/quota */
    q = query(MA_PROV_CUSTOM, NULL, "namespaces", "ns", "quota");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 1);
    CHECK(key_is(&t, 0, "ns-ns\tquota.used"));
    CHECK_STR(t.obj_kind, "Namespace");
    CHECK(t.namespaces[0] == NULL); /* a Namespace is cluster-scoped */
    q = query(MA_PROV_CUSTOM, NULL, "namespaces", NULL, "quota");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 1);
    q = query(MA_PROV_CUSTOM, NULL, "namespaces", "other", "quota");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    q = query(MA_PROV_CUSTOM, NULL, "nodes", "n1", "quota");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
}

static void test_kind_guess(void)
{
    char k[64], av[64];

    ma_falcon_target_kind("statefulsets.apps", k, sizeof k, av, sizeof av);
    CHECK_STR(k, "StatefulSet");
    CHECK_STR(av, "apps/v1");
    ma_falcon_target_kind("widgets.example.com", k, sizeof k, av, sizeof av);
    CHECK_STR(k, "Widget");
    CHECK_STR(av, "example.com/v1");
    ma_falcon_target_kind("services", k, sizeof k, av, sizeof av);
    CHECK_STR(k, "Service");
    CHECK_STR(av, "/v1");
}

static struct ma_valcache_sample fresh(double v, int64_t ts)
{
    struct ma_valcache_sample s = {MA_VALCACHE_FRESH, 1, ts, v, 1000};
    return s;
}

static void test_external(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_EXTERNAL, "ns", NULL, NULL, "queue");
    struct ma_valcache_sample smp[3];
    struct ma_kube_selector sel;
    struct ma_falcon_target t;

    CHECK_EQ(ma_kube_selector_parse("endpoint in (lb-0,lb-2)", 23, &sel, NULL), MA_OK);
    q.metric_selector = &sel;
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 2);
    CHECK(key_is(&t, 0, "lb-0\tqueue.len"));
    CHECK(key_is(&t, 1, "lb-2\tqueue.len"));
    smp[0] = fresh(3, NOW - 5);
    smp[1] = fresh(4.5, NOW - 7);
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.err_status, 0);
    CHECK_EQ(q.num_values, 2);
    if (q.num_values == 2) {
        CHECK_STR(q.values[1].labels[0].key, "endpoint");
        CHECK_STR(q.values[1].labels[0].value, "lb-2");
        CHECK(q.values[1].value == 4.5);
        CHECK_EQ(q.values[1].timestamp, NOW - 7);
    }
    /* avg over the non-stale endpoints: lb-1 is stale and left out */
    q = query(MA_PROV_EXTERNAL, "ns", NULL, NULL, "queue-avg");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 3);
    smp[0] = fresh(2, NOW - 5);
    smp[1] = fresh(100, NOW - 301);
    smp[2] = fresh(4, NOW - 1);
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.num_values, 1);
    if (q.num_values == 1) {
        CHECK(q.values[0].value == 3);
        CHECK_EQ(q.values[0].num_labels, 0);
        CHECK_EQ(q.values[0].timestamp, NOW - 1);
    }
    q = query(MA_PROV_EXTERNAL, "ns", NULL, NULL, "nope");
    CHECK(ma_falcon_target_resolve(&s, &q, &t) < 0);
    CHECK_EQ(q.err_status, 404);
}

static void test_staleness(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "pods", NULL, "cpu.busy");
    struct ma_valcache_sample smp[2];
    struct ma_kube_selector sel;
    struct ma_falcon_target t;

    CHECK_EQ(ma_kube_selector_parse("app=web", 7, &sel, NULL), MA_OK);
    q.selector = &sel;
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 2);
    /* omit: stale (older than 300 s; exactly 300 s is still fresh), unknown and null series are
     * left out */
    smp[0] = fresh(7, NOW - 300);
    smp[1] = fresh(9, NOW - 301);
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.num_values, 1);
    CHECK(q.num_values == 1 && q.values[0].value == 7);
    /* zero: the original's 0, stamped now */
    t.policy = MA_FALCON_STALE_ZERO;
    q.num_values = 0;
    smp[1].has_value = 0;
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.num_values, 2);
    if (q.num_values == 2) {
        CHECK(q.values[1].value == 0);
        CHECK_EQ(q.values[1].timestamp, NOW);
    }
    /* a failed fetch: an older cached value that is not stale is served; none at all -> 503 */
    q.num_values = 0;
    smp[0].state = MA_VALCACHE_FAILED;
    smp[1] = fresh(1, NOW - 1);
    ma_falcon_target_answer(&t, smp, NOW, &q, "Open-Falcon at x timed out");
    CHECK_EQ(q.err_status, 0);
    CHECK_EQ(q.num_values, 2);
    smp[0].fetched_at = -1;
    smp[0].has_value = 0;
    q.num_values = 0;
    ma_falcon_target_answer(&t, smp, NOW, &q, "Open-Falcon at x timed out");
    CHECK_EQ(q.err_status, 503);
    CHECK_STR(q.err.msg, "Open-Falcon at x timed out");
}

static void test_named_404_says_why(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "pods", "web-1", "cpu.busy");
    struct ma_valcache_sample smp[1];
    struct ma_falcon_target t;

    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    smp[0] = fresh(5, NOW - 1000);
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.err_status, 404);
    CHECK(strstr(q.err.msg, "1000 s old") != NULL);
    CHECK(strstr(q.err.msg, "web-1") != NULL);
    q = query(MA_PROV_CUSTOM, "ns", "pods", "web-1", "cpu.busy");
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    smp[0].has_value = 0;
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.err_status, 404);
    CHECK(strstr(q.err.msg, "no value") != NULL);
}

/* A target outlives the cache objects it came from: the pod may change (and be freed) while the
 * request waits for Falcon. Under ASan a borrowed name would be a use-after-free here. */
static void test_target_survives_cache_changes(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "pods", NULL, "cpu.busy");
    struct ma_valcache_sample smp[3];
    struct ma_falcon_target t;

    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 3);
    /* every pod of ns replaced (MODIFIED events): the old allocations are freed */
    add_pod("ns", "web-1", "web", "Running", ",\"hostname\":\"changed\"");
    add_pod("ns", "web-2", "web", "Running", "");
    add_pod("ns", "db-1", "db", "Running", "");
    smp[0] = fresh(1, NOW - 1);
    smp[1] = fresh(2, NOW - 1);
    smp[2] = fresh(3, NOW - 1);
    ma_falcon_target_answer(&t, smp, NOW, &q, NULL);
    CHECK_EQ(q.num_values, 3);
    if (q.num_values == 3) {
        CHECK_STR(q.values[0].name, "db-1");
        CHECK_STR(q.values[0].namespace, "ns");
        CHECK_STR(q.values[2].name, "web-2");
    }
}

/* How long an answer may be reused: until a cached value expires or a served value turns stale. */
static void test_memo_until(void)
{
    struct ma_falcon_target_src s = src(1);
    struct ma_prov_query q = query(MA_PROV_CUSTOM, "ns", "pods", NULL, "cpu.busy");
    struct ma_valcache_sample smp[3];
    struct ma_kube_selector sel;
    struct ma_falcon_target t;
    const int64_t now_ms = 1000000;

    CHECK_EQ(ma_kube_selector_parse("app=web", 7, &sel, NULL), MA_OK);
    q.selector = &sel;
    CHECK_EQ(ma_falcon_target_resolve(&s, &q, &t), MA_OK);
    CHECK_EQ(t.n, 2);
    /* fetched 10 s ago with a 50 s TTL: reusable for 40 s; the values turn stale much later */
    smp[0] = fresh(1, NOW - 10);
    smp[1] = fresh(2, NOW - 20);
    smp[0].fetched_at = smp[1].fetched_at = now_ms - 10000;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), now_ms + 40000);
    /* a value 290 s old turns stale (older than 300 s) at 301 s: in 11 s */
    smp[1] = fresh(2, NOW - 290);
    smp[1].fetched_at = now_ms - 10000;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), now_ms + 11000);
    /* an omitted stale value changes nothing until it is fetched again */
    smp[1] = fresh(2, NOW - 1000);
    smp[1].fetched_at = now_ms - 5000;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), now_ms + 40000);
    /* a zero stamped now moves with the clock: not reusable */
    t.policy = MA_FALCON_STALE_ZERO;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), 0);
    t.policy = MA_FALCON_STALE_OMIT;
    /* a failed fetch, or no caching at all: not reusable */
    smp[0].state = MA_VALCACHE_FAILED;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), 0);
    smp[0].state = MA_VALCACHE_FRESH;
    t.ttl_ms = 0;
    CHECK_EQ(ma_falcon_target_memo_until(&t, smp, NOW, now_ms), 0);
    (void)smp[2];
}

int main(void)
{
    setup();
    T_RUN(test_pods);
    T_RUN(test_seed);
    T_RUN(test_objects);
    T_RUN(test_kind_guess);
    T_RUN(test_external);
    T_RUN(test_staleness);
    T_RUN(test_named_404_says_why);
    T_RUN(test_target_survives_cache_changes);
    T_RUN(test_memo_until);
    ma_falcon_defs_free(customs);
    ma_falcon_defs_free(externals);
    ma_kube_store_free(pods);
    ma_arena_free(&arena);
    T_END();
}
