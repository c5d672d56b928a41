/* tests src/kube/resmap.c: learning on the loop, refresh, failures, and the RESTMapper-like
 * lookups and template inversion. This file defines ma_kube_request and ma_kube_req_cancel, so
 * the archive's kube/client.o is never linked: the test plays kube-apiserver by answering the
 * recorded requests with canned discovery documents. */
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "http/client.h"
#include "kube/client.h"
#include "kube/resmap.h"
#include "net/loop.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

/* ---- the fake kube client ----------------------------------------------------------------- */

#define MAX_REQS 128

struct ma_kube_req {
    int idx;
};

static struct {
    struct ma_kube_req_params p;
    char path[512];
    int live;
    struct ma_kube_req handle;
} reqs[MAX_REQS];
static int nreq;

static void answer(int i, int status, const char *body);

/* When set, requests are answered inside ma_kube_request (as a client could on an immediate
 * failure) from this table of {path, status, body}. */
static const char *const (*sync_table)[3];

struct ma_kube_req *ma_kube_request(struct ma_kube_client *kc, const struct ma_kube_req_params *p)
{
    int i = nreq, j;

    (void)kc;
    if (nreq == MAX_REQS)
        abort();
    reqs[nreq].p = *p;
    snprintf(reqs[nreq].path, sizeof reqs[nreq].path, "%s", p->path);
    reqs[nreq].live = 1;
    reqs[nreq].handle.idx = nreq;
    nreq++;
    for (j = 0; sync_table != NULL && sync_table[j][0] != NULL; j++)
        if (strcmp(sync_table[j][0], p->path) == 0)
            answer(i, atoi(sync_table[j][1]), sync_table[j][2]);
    return &reqs[i].handle;
}

void ma_kube_req_cancel(struct ma_kube_req *r)
{
    /* the real client has freed a request whose on_done ran: cancelling it is a use after free */
    if (r != NULL && !reqs[r->idx].live)
        abort();
    if (r != NULL)
        reqs[r->idx].live = 0;
}

static void answer(int i, int status, const char *body)
{
    struct ma_buf b;
    struct ma_http_result res = {0};

    if (!reqs[i].live)
        abort();
    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appends(&b, body);
    res.status = status;
    res.body = &b;
    reqs[i].live = 0;
    reqs[i].p.on_done(&res, reqs[i].p.arg);
    ma_buf_free(&b);
}

static void fail(int i)
{
    struct ma_buf b;
    struct ma_http_result res = {0};

    ma_buf_init_heap(&b, 16);
    res.err = MA_ERR_IO;
    res.body = &b;
    ma_errmsg_set(&res.em, "connect to 127.0.0.1:6443: connection refused");
    reqs[i].live = 0;
    reqs[i].p.on_done(&res, reqs[i].p.arg);
}

/* index of the live request for path, or -1 */
static int req_for(const char *path)
{
    int i;

    for (i = 0; i < nreq; i++)
        if (reqs[i].live && strcmp(reqs[i].path, path) == 0)
            return i;
    return -1;
}

static int live_count(void)
{
    int i, n = 0;

    for (i = 0; i < nreq; i++)
        n += reqs[i].live;
    return n;
}

/* ---- canned discovery (shapes of kube-apiserver v1.3x) --------------------------------------- */

static const char CORE[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"bindings\",\"singularName\":\"binding\",\"namespaced\":true,\"kind\":\"Binding\","
    "\"verbs\":[\"create\"]},"
    "{\"name\":\"events\",\"singularName\":\"event\",\"namespaced\":true,\"kind\":\"Event\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"ev\"]},"
    "{\"name\":\"namespaces\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"Namespace\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"ns\"]},"
    "{\"name\":\"namespaces/status\",\"singularName\":\"\",\"namespaced\":false,"
    "\"kind\":\"Namespace\",\"verbs\":[\"get\"]},"
    "{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"Node\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"no\"]},"
    "{\"name\":\"persistentvolumes\",\"singularName\":\"\",\"namespaced\":false,"
    "\"kind\":\"PersistentVolume\",\"verbs\":[\"get\"],\"shortNames\":[\"pv\"]},"
    "{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"po\"],\"categories\":[\"all\"]},"
    "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\","
    "\"verbs\":[\"get\"]},"
    "{\"name\":\"services\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Service\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"svc\"]}]}";

#define GROUP_DOC(g, v)                                                                            \
    "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"" g "\",\"versions\":[{"             \
    "\"groupVersion\":\"" g "/" v "\",\"version\":\"" v "\"}],\"preferredVersion\":{"             \
    "\"groupVersion\":\"" g "/" v "\",\"version\":\"" v "\"}}"

static const char APPS[] = GROUP_DOC("apps", "v1");
static const char APPS_V1[] =
    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"apps/v1\","
    "\"resources\":["
    "{\"name\":\"deployments\",\"singularName\":\"deployment\",\"namespaced\":true,"
    "\"kind\":\"Deployment\",\"verbs\":[\"get\"],\"shortNames\":[\"deploy\"]},"
    "{\"name\":\"deployments/scale\",\"singularName\":\"\",\"namespaced\":true,"
    "\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\",\"verbs\":[\"get\"]},"
    "{\"name\":\"statefulsets\",\"singularName\":\"statefulset\",\"namespaced\":true,"
    "\"kind\":\"StatefulSet\",\"verbs\":[\"get\"]}]}";
static const char APPS_V1_MORE[] =
    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"apps/v1\","
    "\"resources\":["
    "{\"name\":\"deployments\",\"singularName\":\"deployment\",\"namespaced\":true,"
    "\"kind\":\"Deployment\",\"verbs\":[\"get\"]},"
    "{\"name\":\"statefulsets\",\"singularName\":\"statefulset\",\"namespaced\":true,"
    "\"kind\":\"StatefulSet\",\"verbs\":[\"get\"]},"
    "{\"name\":\"daemonsets\",\"singularName\":\"daemonset\",\"namespaced\":true,"
    "\"kind\":\"DaemonSet\",\"verbs\":[\"get\"]}]}";
static const char STORAGE[] = GROUP_DOC("storage.k8s.io", "v1");
static const char STORAGE_V1[] =
    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"storage.k8s.io/v1\","
    "\"resources\":[{\"name\":\"storageclasses\",\"singularName\":\"storageclass\","
    "\"namespaced\":false,\"kind\":\"StorageClass\",\"verbs\":[\"get\"],\"shortNames\":[\"sc\"]}]}";
/* metrics-server's aggregated API: plural "pods" and "nodes" again, in another group */
static const char METRICS[] = GROUP_DOC("metrics.k8s.io", "v1beta1");
static const char METRICS_V1B1[] =
    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\","
    "\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"resources\":["
    "{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"NodeMetrics\","
    "\"verbs\":[\"get\",\"list\"]},"
    "{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodMetrics\","
    "\"verbs\":[\"get\",\"list\"]}]}";
static const char NOT_FOUND[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","
    "\"details\":{},\"code\":404}";

/* ---- fixtures -------------------------------------------------------------------------------- */

static struct ma_net_loop *loop;
static struct ma_kube_resmap *map;
static int updates, last_ready;
static uint64_t last_gen;

static void on_update(void *arg, uint64_t gen, int ready)
{
    (void)arg;
    updates++;
    last_gen = gen;
    last_ready = ready;
}

static void setup(int64_t refresh_ms, int64_t retry_ms)
{
    struct ma_kube_resmap_config cfg = {refresh_ms, retry_ms, on_update, NULL};

    memset(reqs, 0, sizeof reqs);
    nreq = 0;
    updates = 0;
    last_gen = 0;
    last_ready = -1;
    loop = ma_net_loop_new(64);
    map = ma_kube_resmap_new(loop, NULL, &cfg);
}

static void teardown(void)
{
    ma_kube_resmap_free(map);
    ma_net_loop_free(loop);
}

static int64_t stop(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void spin(int ms)
{
    ma_net_loop_add_timer(loop, ms, stop, NULL);
    ma_net_loop_run(loop);
}

static void want(const char *g, const char *r)
{
    struct ma_errmsg em = {{0}};

    CHECK_EQ(ma_kube_resmap_want(map, g, r, &em), MA_OK);
}

/* learn core, apps, storage.k8s.io and metrics.k8s.io, in that order of wanting */
static void learn_four(void)
{
    want("", NULL);
    want("apps", NULL);
    want("storage.k8s.io", NULL);
    want("metrics.k8s.io", NULL);
    spin(5);
    answer(req_for("/api/v1"), 200, CORE);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1);
    answer(req_for("/apis/storage.k8s.io"), 200, STORAGE);
    answer(req_for("/apis/storage.k8s.io/v1"), 200, STORAGE_V1);
    answer(req_for("/apis/metrics.k8s.io"), 200, METRICS);
    answer(req_for("/apis/metrics.k8s.io/v1beta1"), 200, METRICS_V1B1);
}

/* "group/plural Kind version scope" of a lookup, or the error message */
static char got[1024];

static const char *find(const char *group, const char *name)
{
    struct ma_kube_resource r;
    struct ma_errmsg em = {{0}};

    if (ma_kube_resmap_find(map, group, name, &r, &em) != MA_OK)
        snprintf(got, sizeof got, "error: %s", em.msg);
    else
        snprintf(got, sizeof got, "%s/%s %s %s %s %s", r.group, r.plural, r.singular, r.kind,
                 r.version, r.namespaced ? "namespaced" : "cluster");
    return got;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_learns_only_wanted_groups(void)
{
    struct ma_errmsg why = {{0}};

    setup(0, 0);
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 1); /* nothing wanted */
    want("", NULL);
    want("apps", "deployment");
    want("apps", "Deployment"); /* again, any case: no-op */
    CHECK_EQ(nreq, 0);          /* never inside the caller's call */
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 0);
    CHECK_STR(why.msg, "discovery of the core group: not yet learned");
    spin(5);
    CHECK_EQ(nreq, 2); /* both at once; nothing else of the cluster */
    CHECK(req_for("/api/v1") >= 0);
    CHECK(req_for("/apis/apps") >= 0);
    CHECK_EQ(reqs[0].p.timeout_ms, MA_KUBE_RESMAP_TIMEOUT_MS);
    answer(req_for("/api/v1"), 200, CORE);
    CHECK_EQ(updates, 0); /* the round has not ended */
    answer(req_for("/apis/apps"), 200, APPS);
    CHECK_EQ(nreq, 3);
    CHECK_STR(reqs[2].path, "/apis/apps/v1"); /* the preferred version's list */
    CHECK_EQ(ma_kube_resmap_group_state(map, "apps", &why), MA_ERR_PARTIAL);
    answer(2, 200, APPS_V1);
    CHECK_EQ(updates, 1);
    CHECK_EQ(last_ready, 1);
    CHECK_EQ(last_gen, ma_kube_resmap_generation(map));
    CHECK(last_gen > 0);
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 1);
    CHECK_EQ(ma_kube_resmap_group_state(map, "apps", &why), MA_OK);
    CHECK_EQ(ma_kube_resmap_group_state(map, "batch", &why), MA_ERR_NOTFOUND);
    CHECK_STR(find("", "pod"), "/pods pod Pod v1 namespaced");
    CHECK_STR(find("", "pods"), "/pods pod Pod v1 namespaced");
    CHECK_STR(find("", "POD"), "/pods pod Pod v1 namespaced");
    CHECK_STR(find("", "namespace"), "/namespaces namespace Namespace v1 cluster");
    CHECK_STR(find("", "node"), "/nodes node Node v1 cluster");
    CHECK_STR(find("apps", "deployment"), "apps/deployments deployment Deployment v1 namespaced");
    CHECK_STR(find("apps", "Deployment"), "apps/deployments deployment Deployment v1 namespaced");
    CHECK_STR(find("", "deployments"), "apps/deployments deployment Deployment v1 namespaced");
    CHECK_STR(find("apps", "pods"), "error: no resource 'pods' in API group 'apps'");
    CHECK_STR(find("", "po"), "error: no resource 'po' in any discovered API group");
    CHECK_STR(find("", "pods/log"), "error: no resource 'pods/log' in any discovered API group");
    CHECK_STR(find("", "scale"), "error: no resource 'scale' in any discovered API group");
    CHECK_STR(find("batch", "job"),
              "error: no resource 'job' in API group 'batch' (a group not discovered)");
    CHECK_EQ(nreq, 3); /* lookups never send */
    teardown();
}

static void test_missing_group_and_resource(void)
{
    struct ma_errmsg why = {{0}};

    setup(0, 0);
    want("apps", "widget");
    want("foo.example", NULL);
    spin(5);
    answer(req_for("/apis/foo.example"), 404, NOT_FOUND);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1);
    CHECK_EQ(updates, 1);
    CHECK_EQ(last_ready, 0);
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 0);
    CHECK_STR(why.msg, "no resource 'widget' in API group 'apps'");
    CHECK_EQ(ma_kube_resmap_group_state(map, "foo.example", &why), MA_ERR_NOTFOUND);
    CHECK_STR(why.msg, "no API group 'foo.example'");
    CHECK_STR(find("foo.example", "foo"),
              "error: no resource 'foo' in API group 'foo.example' (no API group 'foo.example')");
    /* a 404 waits for the refresh: no retry storm */
    spin(30);
    CHECK_EQ(live_count(), 0);
    teardown();
}

static void test_failure_retried_then_ready(void)
{
    struct ma_errmsg why = {{0}};

    setup(0, 20);
    want("apps", NULL);
    want("", NULL);
    spin(5);
    answer(req_for("/apis/apps"), 503, "{\"kind\":\"Status\",\"code\":503}");
    fail(req_for("/api/v1"));
    CHECK_EQ(updates, 1); /* nothing learned; ready (nothing wanted) became not ready */
    CHECK_EQ(last_ready, 0);
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 0);
    CHECK_STR(why.msg, "discovery of group apps: HTTP 503");
    CHECK_EQ(ma_kube_resmap_group_state(map, "", &why), MA_ERR_UPSTREAM);
    CHECK_STR(why.msg,
              "discovery of the core group (/api/v1): "
              "connect to 127.0.0.1:6443: connection refused");
    CHECK_EQ(live_count(), 0);
    spin(200); /* retry_ms 20 */
    CHECK_EQ(live_count(), 2);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, "{\"kind\":\"APIResourceList\",\"groupVersion\":");
    CHECK_EQ(ma_kube_resmap_group_state(map, "apps", &why), MA_ERR_UPSTREAM);
    CHECK(strstr(why.msg, "discovery of group apps: ") == why.msg);
    answer(req_for("/api/v1"), 200, CORE);
    CHECK_EQ(updates, 2); /* core learned: the generation moved */
    CHECK_EQ(last_ready, 0);
    spin(200);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1);
    CHECK_EQ(updates, 3);
    CHECK_EQ(last_ready, 1);
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 1);
    teardown();
}

static void test_refresh_generation(void)
{
    uint64_t g0;
    struct ma_errmsg why = {{0}};

    setup(0, 0);
    want("apps", NULL);
    spin(5);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1);
    g0 = ma_kube_resmap_generation(map);
    CHECK_EQ(updates, 1);
    /* the same answer: same generation, no update */
    ma_kube_resmap_refresh(map);
    CHECK_EQ(live_count(), 0);
    spin(5);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1);
    CHECK_EQ(ma_kube_resmap_generation(map), g0);
    CHECK_EQ(updates, 1);
    /* a new resource: a new generation */
    ma_kube_resmap_refresh(map);
    spin(5);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1_MORE);
    CHECK_EQ(ma_kube_resmap_generation(map), g0 + 1);
    CHECK_EQ(updates, 2);
    CHECK_STR(find("apps", "daemonset"), "apps/daemonsets daemonset DaemonSet v1 namespaced");
    /* a failed refresh keeps what was learned */
    ma_kube_resmap_refresh(map);
    spin(5);
    answer(req_for("/apis/apps"), 500, "{}");
    CHECK_EQ(ma_kube_resmap_ready(map, &why), 1);
    CHECK_EQ(ma_kube_resmap_group_state(map, "apps", &why), MA_OK);
    CHECK_STR(find("apps", "daemonset"), "apps/daemonsets daemonset DaemonSet v1 namespaced");
    /* refresh while a fetch runs: one more round after it */
    ma_kube_resmap_refresh(map);
    spin(5);
    CHECK(req_for("/apis/apps") >= 0);
    ma_kube_resmap_refresh(map);
    spin(5);
    CHECK_EQ(live_count(), 1); /* not two fetches of one group at once */
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1_MORE);
    spin(5);
    CHECK(req_for("/apis/apps") >= 0);
    answer(req_for("/apis/apps"), 200, APPS);
    answer(req_for("/apis/apps/v1"), 200, APPS_V1_MORE);
    /* the group goes away (its CRDs deleted): forgotten */
    ma_kube_resmap_refresh(map);
    spin(5);
    answer(req_for("/apis/apps"), 404, NOT_FOUND);
    CHECK_EQ(ma_kube_resmap_generation(map), g0 + 2);
    CHECK_EQ(last_ready, 0);
    CHECK_STR(find("apps", "deployment"),
              "error: no resource 'deployment' in API group 'apps' (no API group 'apps')");
    teardown();
}

static void test_periodic_refresh_and_free_in_flight(void)
{
    int before;

    setup(30, 0);
    want("", NULL);
    spin(5);
    answer(req_for("/api/v1"), 200, CORE);
    before = nreq;
    spin(300);
    CHECK(nreq > before); /* refreshed by the timer alone */
    CHECK_EQ(live_count(), 1);
    ma_kube_resmap_free(map); /* cancels the request in flight */
    map = NULL;
    CHECK_EQ(live_count(), 0);
    ma_net_loop_free(loop);
}

static void test_synchronous_answers(void)
{
    static const char *const table[][3] = {{"/api/v1", "200", CORE},
                                           {"/apis/apps", "200", APPS},
                                           {"/apis/apps/v1", "200", APPS_V1},
                                           {"/apis/x.io", "503", "{}"},
                                           {NULL, NULL, NULL}};

    setup(0, 1000000);
    sync_table = table;
    want("", NULL);
    want("apps", NULL);
    want("x.io", NULL);
    spin(5);
    sync_table = NULL;
    CHECK_EQ(nreq, 4);
    CHECK_EQ(live_count(), 0);
    CHECK_EQ(updates, 1); /* one round, reported once, after every group finished */
    CHECK_EQ(last_ready, 0);
    CHECK_STR(find("apps", "deployments"), "apps/deployments deployment Deployment v1 namespaced");
    ma_kube_resmap_free(map); /* no stale request handle is cancelled */
    map = NULL;
    ma_net_loop_free(loop);
}

static void test_want_errors(void)
{
    struct ma_errmsg em = {{0}};
    char g[32];
    int i, rc = MA_OK;

    setup(0, 0);
    CHECK_EQ(ma_kube_resmap_want(map, "Apps", NULL, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_kube_resmap_want(map, "a/b", NULL, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_kube_resmap_want(map, "apps", "", &em), MA_ERR_SYNTAX);
    for (i = 0; i <= MA_KUBE_RESMAP_MAX_GROUPS && rc == MA_OK; i++) {
        snprintf(g, sizeof g, "g%d.example", i);
        rc = ma_kube_resmap_want(map, g, NULL, &em);
    }
    CHECK_EQ(rc, MA_ERR_LIMIT);
    CHECK_EQ(i, MA_KUBE_RESMAP_MAX_GROUPS + 1);
    for (i = 0, rc = MA_OK; i <= MA_KUBE_RESMAP_MAX_WANTED && rc == MA_OK; i++) {
        snprintf(g, sizeof g, "r%d", i);
        rc = ma_kube_resmap_want(map, "g0.example", g, &em);
    }
    CHECK_EQ(rc, MA_ERR_LIMIT);
    teardown();
}

static void test_priority_prefix_ambiguity(void)
{
    setup(0, 0);
    learn_four();
    /* no group: core v1 first (metrics.k8s.io also has "pods" and "nodes") */
    CHECK_STR(find("", "pods"), "/pods pod Pod v1 namespaced");
    CHECK_STR(find("", "node"), "/nodes node Node v1 cluster");
    CHECK_STR(find("metrics.k8s.io", "pods"),
              "metrics.k8s.io/pods podmetrics PodMetrics v1beta1 namespaced");
    /* its singular is the guessed lowercase Kind, so "pod" is not one of its names */
    CHECK_STR(find("metrics.k8s.io", "pod"),
              "error: no resource 'pod' in API group 'metrics.k8s.io'");
    CHECK_STR(find("", "podmetrics"),
              "metrics.k8s.io/pods podmetrics PodMetrics v1beta1 namespaced");
    /* a group prefix when the exact group has nothing: "storage" is storage.k8s.io */
    CHECK_STR(find("storage", "storageclass"),
              "storage.k8s.io/storageclasses storageclass StorageClass v1 cluster");
    CHECK_STR(find("app", "deployments"), "apps/deployments deployment Deployment v1 namespaced");
    CHECK_STR(find("metrics", "nodes"),
              "metrics.k8s.io/nodes nodemetrics NodeMetrics v1beta1 cluster");
    CHECK_STR(find("k8s.io", "storageclass"),
              "error: no resource 'storageclass' in API group 'k8s.io' (a group not discovered)");
    teardown();

    /* one name that is one resource's plural and another's singular: ambiguous, as ResourceFor */
    setup(0, 0);
    want("x.io", NULL);
    spin(5);
    answer(req_for("/apis/x.io"), 200, GROUP_DOC("x.io", "v1"));
    answer(req_for("/apis/x.io/v1"), 200,
           "{\"groupVersion\":\"x.io/v1\",\"resources\":["
           "{\"name\":\"foos\",\"singularName\":\"foo\",\"namespaced\":true,\"kind\":\"Foo\"},"
           "{\"name\":\"foo\",\"singularName\":\"fooo\",\"namespaced\":true,\"kind\":\"Fooo\"},"
           "{\"name\":\"sheep\",\"singularName\":\"sheep\",\"namespaced\":true,"
           "\"kind\":\"Sheep\"}]}");
    CHECK_STR(find("x.io", "foo"), "error: resource name 'foo' is ambiguous in API group 'x.io'");
    CHECK_STR(find("x.io", "foos"), "x.io/foos foo Foo v1 namespaced");
    CHECK_STR(find("x.io", "sheep"), "x.io/sheep sheep Sheep v1 namespaced"); /* one resource */
    teardown();
}

static const char *match(const struct ma_kube_resmap_template *t, const char *label,
                         unsigned flags)
{
    struct ma_kube_resource r;
    struct ma_errmsg em = {{0}};

    if (ma_kube_resmap_match_label(map, t, label, flags, &r, &em) != MA_OK)
        snprintf(got, sizeof got, "error: %s", em.msg);
    else
        snprintf(got, sizeof got, "%s/%s", r.group, r.plural);
    return got;
}

static void test_template_inversion(void)
{
    const struct ma_kube_resmap_template plain = {NULL, NULL, NULL, 0, 0};
    const struct ma_kube_resmap_template kube = {"kube_", "_", "", 1, 1};
    const struct ma_kube_resmap_template rev = {"", "_", "", 1, 0};
    const struct ma_kube_resmap_template sfx = {"", NULL, "_name", 0, 0};

    setup(0, 0);
    learn_four();
    /* <<.Resource>>: any learned group, core first */
    CHECK_STR(match(&plain, "pod", 0), "/pods");
    CHECK_STR(match(&plain, "namespace", 0), "/namespaces");
    CHECK_STR(match(&plain, "node", 0), "/nodes");
    CHECK_STR(match(&plain, "service", 0), "/services");
    CHECK_STR(match(&plain, "deployment", 0), "apps/deployments");
    CHECK_STR(match(&plain, "Pod", 0), "/pods");
    CHECK_STR(match(&plain, "po", 0), "error: no resource 'po' in any discovered API group");
    CHECK_STR(match(&plain, "instance", 0),
              "error: no resource 'instance' in any discovered API group");
    CHECK_STR(match(&plain, "", 0), "error: label '' does not fit the resource template");
    /* kube_<<.Group>>_<<.Resource>>: the shortest group */
    CHECK_STR(match(&kube, "kube_apps_deployment", 0), "apps/deployments");
    CHECK_STR(match(&kube, "kube_apps_statefulsets", 0), "apps/statefulsets");
    CHECK_STR(match(&kube, "kube_storage_storageclass", 0), "storage.k8s.io/storageclasses");
    CHECK_STR(match(&kube, "kube_app_deployment", 0), "apps/deployments"); /* prefix, as there */
    CHECK_STR(match(&kube, "kube__pod", 0),
              "error: label 'kube__pod' does not fit the resource template");
    CHECK_STR(match(&kube, "kube_pod", 0),
              "error: label 'kube_pod' does not fit the resource template");
    CHECK_STR(match(&kube, "pod", 0), "error: label 'pod' does not fit the resource template");
    CHECK_STR(match(&kube, "kube_apps_", 0),
              "error: label 'kube_apps_' does not fit the resource template");
    /* the group is cut at the first '_': "metrics" + "k8s_io_pod", which names nothing ... */
    CHECK_STR(match(&kube, "kube_metrics_k8s_io_pod", 0),
              "error: no resource 'k8s_io_pod' in API group 'metrics' (a group not discovered)");
    /* ... unless the sanitized-group extension is asked for */
    CHECK_STR(match(&kube, "kube_metrics_k8s_io_pods", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "metrics.k8s.io/pods");
    CHECK_STR(match(&kube, "kube_metrics_k8s_io_podmetrics", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "metrics.k8s.io/pods");
    CHECK_STR(match(&kube, "kube_storage_k8s_io_storageclass", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "storage.k8s.io/storageclasses");
    CHECK_STR(match(&kube, "kube_apps_deployment", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "apps/deployments");
    CHECK_STR(match(&kube, "kube_metrics_k8s_io_widget", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "error: no resource 'k8s_io_widget' in API group 'metrics' (a group not discovered)");
    /* <<.Resource>>_<<.Group>>: the resource is the first, shortest part */
    CHECK_STR(match(&rev, "deployment_apps", 0), "apps/deployments");
    CHECK_STR(match(&rev, "pod_metrics_k8s_io", 0),
              "error: no resource 'pod' in API group 'metrics_k8s_io' (a group not discovered)");
    CHECK_STR(match(&rev, "pods_metrics_k8s_io", MA_KUBE_RESMAP_MATCH_SANITIZED),
              "metrics.k8s.io/pods");
    /* a suffix */
    CHECK_STR(match(&sfx, "pod_name", 0), "/pods");
    CHECK_STR(match(&sfx, "_name", 0), "error: label '_name' does not fit the resource template");
    CHECK_STR(match(&sfx, "pod", 0), "error: label 'pod' does not fit the resource template");
    teardown();
}

static void test_sanitize(void)
{
    char out[16];

    CHECK_EQ(ma_kube_resmap_sanitize_group("metrics.k8s.io", out, sizeof out), 14);
    CHECK_STR(out, "metrics_k8s_io");
    CHECK_EQ(ma_kube_resmap_sanitize_group("my-group.io", out, sizeof out), 11);
    CHECK_STR(out, "my_group_io");
    CHECK_EQ(ma_kube_resmap_sanitize_group("", out, sizeof out), 0);
    CHECK_STR(out, "");
    CHECK_EQ(ma_kube_resmap_sanitize_group("abcdefghijklmnopq", out, sizeof out), MA_ERR_NOSPACE);
    CHECK_EQ(strlen(out), 15);
}

int main(void)
{
    ma_log_set_verbosity(-1);
    T_RUN(test_learns_only_wanted_groups);
    T_RUN(test_missing_group_and_resource);
    T_RUN(test_failure_retried_then_ready);
    T_RUN(test_refresh_generation);
    T_RUN(test_periodic_refresh_and_free_in_flight);
    T_RUN(test_synchronous_answers);
    T_RUN(test_want_errors);
    T_RUN(test_priority_prefix_ambiguity);
    T_RUN(test_template_inversion);
    T_RUN(test_sanitize);
    T_END();
}
