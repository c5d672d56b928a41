/* ma_api_handle end to end over the demo backend, frozen at 2026-01-02T03:04:05Z (1767323045).
 * Expected values follow the demo formulas at that time (computed independently in Python with
 * C's round-half-away-from-zero): pods 5.432 11.243 17.75 20.809 19.447; deployments demo-web
 * 34.425, demo-worker 40.256; namespace default 127; nodes 0.552 0.941; external orders 30.865,
 * emails 3.173. Bodies are compared byte for byte. */

#include "fake.h"

#include "backend/demo.h"

#define T0 1767323045
#define TS "\"timestamp\":\"2026-01-02T03:04:05Z\""
#define CM1 "/apis/custom.metrics.k8s.io/v1beta1"
#define CM2 "/apis/custom.metrics.k8s.io/v1beta2"
#define EM1 "/apis/external.metrics.k8s.io/v1beta1"
#define JSON "application/json"
#define TEXT "text/plain; charset=utf-8"
#define NOSNIFF "X-Content-Type-Options: nosniff\r\n"

#define LIST1(items)                                                                               \
    "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","              \
    "\"metadata\":{},\"items\":[" items "]}\n"
#define LIST2(items)                                                                               \
    "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta2\","              \
    "\"metadata\":{},\"items\":[" items "]}\n"
#define ELIST(items)                                                                               \
    "{\"kind\":\"ExternalMetricValueList\",\"apiVersion\":\"external.metrics.k8s.io/v1beta1\","    \
    "\"metadata\":{},\"items\":[" items "]}\n"

/* v1beta1 / v1beta2 pod items */
#define POD_OBJ(name)                                                                              \
    "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"" name            \
    "\",\"apiVersion\":\"/v1\"},"
#define POD1(name, v)                                                                              \
    POD_OBJ(name)                                                                                  \
    "\"metricName\":\"http_requests_per_second\"," TS ",\"window\":60,\"value\":\"" v              \
    "\",\"selector\":null}"
#define POD2(name, v)                                                                              \
    POD_OBJ(name)                                                                                  \
    "\"metric\":{\"name\":\"http_requests_per_second\",\"selector\":null}," TS                     \
    ",\"windowSeconds\":60,\"value\":\"" v "\"}"

#define STATUS(msg, reason_and_details, code)                                                      \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","           \
    "\"message\":\"" msg "\"," reason_and_details "\"code\":" #code "}\n"

static struct ma_api_ctx api;
static const struct ma_provider_class **demo;

static void setup(void)
{
    struct ma_backend_demo_config cfg = {T0, 2500, 0};

    demo = ma_backend_demo_new(NULL, &cfg);
    ma_api_init(&api, demo);
}

/* ---- discovery ------------------------------------------------------------------------------- */

static void test_discovery_apis(void)
{
    CHECK_EQ(fx_get(&api, "/apis"), 200);
    CHECK_STR(resp.type, JSON);
    CHECK_BODY(
        "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":["
        "{\"name\":\"custom.metrics.k8s.io\",\"versions\":[{\"groupVersion\":"
        "\"custom.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}],\"preferredVersion\":"
        "{\"groupVersion\":\"custom.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}},"
        "{\"name\":\"external.metrics.k8s.io\",\"versions\":[{\"groupVersion\":"
        "\"external.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}],\"preferredVersion\":"
        "{\"groupVersion\":\"external.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}}]}\n");
    /* the aggregator's v2 Accept still gets the legacy list (spec 5.6) */
    CHECK_EQ(fx_send(&api, "GET", "/apis/",
                     "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json\r\n"),
             200);
    CHECK_STR(resp.type, JSON);
}

static void test_discovery_groups(void)
{
    CHECK_EQ(fx_get(&api, "/apis/custom.metrics.k8s.io"), 200);
    CHECK_BODY("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"custom.metrics.k8s.io\","
               "\"versions\":[{\"groupVersion\":\"custom.metrics.k8s.io/v1beta1\",\"version\":"
               "\"v1beta1\"}],\"preferredVersion\":{\"groupVersion\":"
               "\"custom.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}}\n");
    CHECK_EQ(fx_get(&api, "/apis/external.metrics.k8s.io/"), 200);
    CHECK_BODY("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"external.metrics.k8s.io\","
               "\"versions\":[{\"groupVersion\":\"external.metrics.k8s.io/v1beta1\",\"version\":"
               "\"v1beta1\"}],\"preferredVersion\":{\"groupVersion\":"
               "\"external.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}}\n");
}

#define CM_RESOURCES                                                                               \
    "\"resources\":["                                                                              \
    "{\"name\":\"pods/http_requests_per_second\",\"singularName\":\"\",\"namespaced\":true,"       \
    "\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]},"                                           \
    "{\"name\":\"deployments.apps/http_requests_per_second\",\"singularName\":\"\","               \
    "\"namespaced\":true,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]},"                       \
    "{\"name\":\"namespaces/queue_length\",\"singularName\":\"\",\"namespaced\":false,"            \
    "\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]},"                                           \
    "{\"name\":\"nodes/node_load1\",\"singularName\":\"\",\"namespaced\":false,"                   \
    "\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}]}\n"

static void test_discovery_resources(void)
{
    CHECK_EQ(fx_get(&api, CM1), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"custom.metrics.k8s.io/v1beta1\"," CM_RESOURCES);
    CHECK_EQ(fx_get(&api, CM2 "/"), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"custom.metrics.k8s.io/v1beta2\"," CM_RESOURCES);
    CHECK_EQ(fx_get(&api, EM1 "?timeout=32s"), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"external.metrics.k8s.io/v1beta1\",\"resources\":["
               "{\"name\":\"demo_queue_depth\",\"singularName\":\"\",\"namespaced\":true,"
               "\"kind\":\"ExternalMetricValueList\",\"verbs\":[\"get\"]},"
               "{\"name\":\"demo_slow_queue\",\"singularName\":\"\",\"namespaced\":true,"
               "\"kind\":\"ExternalMetricValueList\",\"verbs\":[\"get\"]}]}\n");
}

/* ---- custom metrics -------------------------------------------------------------------------- */

static void test_pods_v1beta1(void)
{
    /* the HPA's form: %2A and an object selector */
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/pods/%2A/http_requests_per_second"), 200);
    CHECK_STR(resp.type, JSON);
    CHECK_BODY(
        "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","
        "\"metadata\":{},\"items\":["
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"demo-web-0\","
        "\"apiVersion\":\"/v1\"},\"metricName\":\"http_requests_per_second\","
        "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"5432m\","
        "\"selector\":null},"
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"demo-web-1\","
        "\"apiVersion\":\"/v1\"},\"metricName\":\"http_requests_per_second\","
        "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"11243m\","
        "\"selector\":null},"
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"demo-web-2\","
        "\"apiVersion\":\"/v1\"},\"metricName\":\"http_requests_per_second\","
        "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"17750m\","
        "\"selector\":null},"
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":"
        "\"demo-worker-0\",\"apiVersion\":\"/v1\"},\"metricName\":\"http_requests_per_second\","
        "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"20809m\","
        "\"selector\":null},"
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":"
        "\"demo-worker-1\",\"apiVersion\":\"/v1\"},\"metricName\":\"http_requests_per_second\","
        "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"19447m\","
        "\"selector\":null}]}\n");
    /* literal '*' as kubectl sends it, and an object selector as the aggregator encodes it */
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/pods/*/http_requests_per_second"
                              "?labelSelector=app%3Ddemo-web"),
             200);
    CHECK_BODY(LIST1(POD1("demo-web-0", "5432m") "," POD1("demo-web-1", "11243m") "," POD1(
        "demo-web-2", "17750m")));
}

static void test_pods_v1beta2(void)
{
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/default/pods/%2A/http_requests_per_second"
                              "?labelSelector=tier+in+%28backend%29"),
             200);
    CHECK_BODY(
        "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta2\","
        "\"metadata\":{},\"items\":["
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":"
        "\"demo-worker-0\",\"apiVersion\":\"/v1\"},\"metric\":{\"name\":"
        "\"http_requests_per_second\",\"selector\":null},\"timestamp\":\"2026-01-02T03:04:05Z\","
        "\"windowSeconds\":60,\"value\":\"20809m\"},"
        "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":"
        "\"demo-worker-1\",\"apiVersion\":\"/v1\"},\"metric\":{\"name\":"
        "\"http_requests_per_second\",\"selector\":null},\"timestamp\":\"2026-01-02T03:04:05Z\","
        "\"windowSeconds\":60,\"value\":\"19447m\"}]}\n");
    /* one named pod; labelSelector is ignored for a named object */
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/default/pods/demo-web-2/http_requests_per_second"
                              "?labelSelector=app%3Dnone"),
             200);
    CHECK_BODY(LIST2(POD2("demo-web-2", "17750m")));
    /* a selector that matches nothing, and a namespace without objects: empty lists */
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/default/pods/%2A/http_requests_per_second"
                              "?labelSelector=app%3Dnone"),
             200);
    CHECK_BODY(LIST2(""));
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/other/pods/%2A/http_requests_per_second"), 200);
    CHECK_BODY(LIST1(""));
}

static void test_deployment_object(void)
{
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/default/deployments.apps/demo-web/"
                              "http_requests_per_second"),
             200);
    CHECK_BODY("{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta2\","
               "\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Deployment\","
               "\"namespace\":\"default\",\"name\":\"demo-web\",\"apiVersion\":\"apps/v1\"},"
               "\"metric\":{\"name\":\"http_requests_per_second\",\"selector\":null},"
               "\"timestamp\":\"2026-01-02T03:04:05Z\",\"windowSeconds\":60,"
               "\"value\":\"34425m\"}]}\n");
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/deployments.apps/demo-worker/"
                              "http_requests_per_second?fieldSelector=metadata.name%3Ddemo-worker"),
             200);
    CHECK_BODY(LIST1("{\"describedObject\":{\"kind\":\"Deployment\",\"namespace\":\"default\","
                     "\"name\":\"demo-worker\",\"apiVersion\":\"apps/v1\"},\"metricName\":"
                     "\"http_requests_per_second\"," TS ",\"window\":60,\"value\":\"40256m\","
                     "\"selector\":null}"));
}

#define NS_ITEM1                                                                                   \
    "{\"describedObject\":{\"kind\":\"Namespace\",\"name\":\"default\",\"apiVersion\":\"/v1\"},"   \
    "\"metricName\":\"queue_length\"," TS ",\"window\":60,\"value\":\"127\",\"selector\":null}"

static void test_namespace_metric(void)
{
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/metrics/queue_length"), 200);
    CHECK_BODY("{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","
               "\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Namespace\",\"name\":"
               "\"default\",\"apiVersion\":\"/v1\"},\"metricName\":\"queue_length\","
               "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"127\","
               "\"selector\":null}]}\n");
    /* the same object through the root-scoped form */
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/queue_length"), 200);
    CHECK_BODY(LIST1(NS_ITEM1));
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/kube-system/metrics/queue_length"), 404);
    CHECK_BODY(STATUS("the server could not find the metric queue_length for namespaces "
                      "kube-system",
                      "\"reason\":\"NotFound\",", 404));
}

#define NODE2(name, v)                                                                             \
    "{\"describedObject\":{\"kind\":\"Node\",\"name\":\"" name "\",\"apiVersion\":\"/v1\"},"       \
    "\"metric\":{\"name\":\"node_load1\",\"selector\":null}," TS ",\"windowSeconds\":60,"          \
    "\"value\":\"" v "\"}"

static void test_node_metric(void)
{
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-1/node_load1"), 200);
    CHECK_BODY("{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","
               "\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Node\",\"name\":"
               "\"demo-node-1\",\"apiVersion\":\"/v1\"},\"metricName\":\"node_load1\","
               "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"941m\","
               "\"selector\":null}]}\n");
    CHECK_EQ(fx_get(&api, CM2 "/nodes/%2A/node_load1?labelSelector=kubernetes.io%2Fos%3Dlinux"),
             200);
    CHECK_BODY(LIST2(NODE2("demo-node-0", "552m") "," NODE2("demo-node-1", "941m")));
}

/* metricLabelSelector selects series (every demo series carries {source=demo}) and is echoed */
static void test_metric_label_selector(void)
{
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?metricLabelSelector=source%3Ddemo"),
             200);
    CHECK_BODY(LIST1("{\"describedObject\":{\"kind\":\"Node\",\"name\":\"demo-node-0\","
                     "\"apiVersion\":\"/v1\"},\"metricName\":\"node_load1\"," TS
                     ",\"window\":60,\"value\":\"552m\","
                     "\"selector\":{\"matchLabels\":{\"source\":\"demo\"}}}"));
    CHECK_EQ(fx_get(&api, CM2 "/nodes/demo-node-0/node_load1?metricLabelSelector=source%3Ddemo"),
             200);
    CHECK_BODY(LIST2("{\"describedObject\":{\"kind\":\"Node\",\"name\":\"demo-node-0\","
                     "\"apiVersion\":\"/v1\"},\"metric\":{\"name\":\"node_load1\",\"selector\":"
                     "{\"matchLabels\":{\"source\":\"demo\"}}}," TS
                     ",\"windowSeconds\":60,\"value\":\"552m\"}"));
    CHECK_EQ(fx_get(&api, CM2 "/nodes/%2A/node_load1?metricLabelSelector=source%3Dother"), 200);
    CHECK_BODY(LIST2(""));
    CHECK_EQ(fx_get(&api, CM2 "/nodes/demo-node-0/node_load1?metricLabelSelector=source%3Dother"),
             404);
    CHECK_BODY(STATUS("the server could not find the metric node_load1 for nodes demo-node-0",
                      "\"reason\":\"NotFound\",", 404));
}

/* ---- external metrics ------------------------------------------------------------------------ */

#define ORDERS                                                                                     \
    "{\"metricName\":\"demo_queue_depth\",\"metricLabels\":{\"queue\":\"orders\"}," TS             \
    ",\"window\":60,\"value\":\"30865m\"}"
#define EMAILS                                                                                     \
    "{\"metricName\":\"demo_queue_depth\",\"metricLabels\":{\"queue\":\"emails\"}," TS             \
    ",\"window\":60,\"value\":\"3173m\"}"

static void test_external(void)
{
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/demo_queue_depth?labelSelector=queue%3Dorders"),
             200);
    CHECK_BODY("{\"kind\":\"ExternalMetricValueList\",\"apiVersion\":"
               "\"external.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":["
               "{\"metricName\":\"demo_queue_depth\",\"metricLabels\":{\"queue\":\"orders\"},"
               "\"timestamp\":\"2026-01-02T03:04:05Z\",\"window\":60,\"value\":\"30865m\"}]}\n");
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/anywhere/demo_queue_depth"), 200);
    CHECK_BODY(ELIST(ORDERS "," EMAILS));
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/demo_queue_depth?labelSelector=queue+notin+"
                              "%28orders%29"),
             200);
    CHECK_BODY(ELIST(EMAILS));
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/demo_queue_depth?labelSelector=queue%3Dx"), 200);
    CHECK_BODY(ELIST(""));
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/nope"), 404);
    CHECK_BODY(STATUS("the server could not find the metric nope for namespaces",
                      "\"reason\":\"NotFound\",", 404));
}

/* the slow metric answers from a timer; other requests are served meanwhile */
static void test_external_slow(void)
{
    struct ma_http_exchange *ex;

    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/demo_slow_queue"), 0);
    CHECK_EQ(resp.calls, 0);
    CHECK_EQ(live_timers(), 1);
    CHECK_EQ(timers[0].delay_ms, 2500);
    ex = &fx.ex;
    CHECK(ex->on_abort != NULL);
    CHECK_EQ(fire_timers(), 1);
    CHECK_EQ(resp.calls, 1);
    CHECK_EQ(resp.status, 200);
    CHECK(ex->on_abort == NULL);
    CHECK_BODY(ELIST("{\"metricName\":\"demo_slow_queue\",\"metricLabels\":{\"queue\":\"slow\"},"
                     "\"timestamp\":\"2026-01-02T03:04:05Z\",\"value\":\"1\"}"));
}

/* the client goes away: the backend's timer is cancelled and nothing is answered */
static void test_external_slow_abort(void)
{
    int deleted = timers_deleted;

    CHECK_EQ(fx_get(&api, EM1 "/namespaces/default/demo_slow_queue"), 0);
    CHECK_EQ(live_timers(), 1);
    CHECK(fx.ex.on_abort != NULL);
    fx.ex.on_abort(&fx.ex);
    CHECK_EQ(live_timers(), 0);
    CHECK_EQ(timers_deleted, deleted + 1);
    CHECK_EQ(fire_timers(), 0);
    CHECK_EQ(resp.calls, 0);
}

int main(void)
{
    setup();
    T_RUN(test_discovery_apis);
    T_RUN(test_discovery_groups);
    T_RUN(test_discovery_resources);
    T_RUN(test_pods_v1beta1);
    T_RUN(test_pods_v1beta2);
    T_RUN(test_deployment_object);
    T_RUN(test_namespace_metric);
    T_RUN(test_node_metric);
    T_RUN(test_metric_label_selector);
    T_RUN(test_external);
    T_RUN(test_external_slow);
    T_RUN(test_external_slow_abort);
    fx_cleanup();
    ma_backend_demo_free(demo);
    T_END();
}
