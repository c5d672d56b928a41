/* ma_api_handle over a scripted provider: how provider failures, odd values, labels, empty
 * listings and asynchronous answers are written. Bodies are compared byte for byte. */

#include "fake.h"

#include "kube/selector.h"

#include <math.h>

#define CM1 "/apis/custom.metrics.k8s.io/v1beta1"
#define CM2 "/apis/custom.metrics.k8s.io/v1beta2"
#define EM1 "/apis/external.metrics.k8s.io/v1beta1"
#define TS "\"timestamp\":\"1970-01-01T00:16:40Z\"" /* t = 1000 */

#define STATUS_HEAD                                                                                \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
#define INTERNAL(msg)                                                                              \
    STATUS_HEAD "\"message\":\"Internal error occurred: " msg "\",\"reason\":\"InternalError\","   \
                "\"details\":{\"causes\":[{\"message\":\"" msg "\"}]},\"code\":500}\n"
#define LIST1(items)                                                                               \
    "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","              \
    "\"metadata\":{},\"items\":[" items "]}\n"
#define ELIST(items)                                                                               \
    "{\"kind\":\"ExternalMetricValueList\",\"apiVersion\":\"external.metrics.k8s.io/v1beta1\","    \
    "\"metadata\":{},\"items\":[" items "]}\n"
#define POD1(name, v)                                                                              \
    "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"" name                 \
    "\",\"apiVersion\":\"/v1\"},\"metricName\":\"m\"," TS ",\"window\":30,\"value\":\"" v          \
    "\",\"selector\":null}"

/* ---- the scripted provider ------------------------------------------------------------------- */

static struct {
    int list_rc;    /* list_* return */
    int list_n;     /* entries listed */
    int get_rc;     /* get_* return when not MA_OK */
    int err_status; /* fail the query with this status */
    const char *err_msg;
    double values[8]; /* one object/series per value */
    size_t n_values;
    const struct ma_kube_label *labels;
    size_t n_labels;
    int async; /* answer later */
    struct ma_prov_query *pending;
    int cancelled;
    int ready;
} fp;

static void script(void)
{
    memset(&fp, 0, sizeof fp);
    fp.ready = 1;
}

static int fp_list(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    int i;

    (void)self;
    for (i = 0; i < fp.list_n; i++)
        ma_prov_list_add(out, "pods", "m", 1);
    return fp.list_rc;
}

/* Complete q from the script; objects are named p<i>, or after the request for a named one. */
static void fill(struct ma_prov_query *q)
{
    size_t i;
    char name[24];

    if (fp.err_status != 0) {
        ma_prov_query_fail(q, fp.err_status, "%s", fp.err_msg);
        return;
    }
    for (i = 0; i < fp.n_values; i++) {
        snprintf(name, sizeof name, "p%zu", i);
        if (q->kind == MA_PROV_EXTERNAL)
            ma_prov_query_add_external(q, fp.labels, fp.n_labels, 1000, 0, fp.values[i]);
        else
            ma_prov_query_add_object(q, "Pod", "/v1", q->namespace, q->name ? q->name : name, 1000,
                                     30, fp.values[i]);
    }
}

static int fp_get(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    (void)self;
    if (fp.get_rc != MA_OK)
        return fp.get_rc;
    if (fp.async) {
        fp.pending = q;
        return MA_ERR_PARTIAL;
    }
    fill(q);
    return MA_OK;
}

static void fp_cancel(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    (void)self;
    if (q == fp.pending) {
        fp.cancelled++;
        fp.pending = NULL;
    }
}

static int fp_ready(const struct ma_provider_class **self, struct ma_errmsg *why)
{
    (void)self;
    ma_errmsg_set(why, "not synced");
    return fp.ready;
}

static const struct ma_provider_class fp_class = {
    "scripted", fp_list, fp_list, fp_get, fp_get, fp_cancel, fp_ready,
};
static const struct ma_provider_class *fp_handle = &fp_class;
static struct ma_api_ctx api;

/* ---- failures -------------------------------------------------------------------------------- */

static void test_provider_statuses(void)
{
    script();
    fp.err_msg = "backend not ready";
    fp.err_status = 503;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/%2A/m"), 503);
    CHECK_BODY(STATUS_HEAD "\"message\":\"backend not ready\",\"reason\":\"ServiceUnavailable\","
                           "\"code\":503}\n");
    fp.err_status = 400;
    fp.err_msg = "bad \"query\" <x>";
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/ns/q"), 400);
    CHECK_BODY(STATUS_HEAD "\"message\":\"bad \\\"query\\\" \\u003cx\\u003e\","
                           "\"reason\":\"BadRequest\",\"code\":400}\n");
    fp.err_status = 500;
    fp.err_msg = "unable to fetch metrics";
    CHECK_EQ(fx_get(&api, CM2 "/nodes/n/m"), 500);
    CHECK_BODY(INTERNAL("unable to fetch metrics"));
    fp.err_status = 418; /* no Status reason for it: an internal error */
    fp.err_msg = "teapot";
    CHECK_EQ(fx_get(&api, CM2 "/nodes/n/m"), 500);
    CHECK_BODY(INTERNAL("teapot"));
    fp.err_status = 429;
    fp.err_msg = "slow down";
    CHECK_EQ(fx_get(&api, CM2 "/nodes/n/m"), 429);
    CHECK_BODY(STATUS_HEAD "\"message\":\"slow down\",\"reason\":\"TooManyRequests\","
                           "\"code\":429}\n");
}

static void test_provider_error_without_status(void)
{
    script();
    fp.get_rc = MA_ERR_IO;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/%2A/m"), 500);
    CHECK_BODY(INTERNAL("unable to fetch metrics: I/O error"));
    fp.list_rc = MA_ERR_NOSPACE;
    CHECK_EQ(fx_get(&api, EM1), 500);
    CHECK_BODY(INTERNAL("unable to list metrics: out of space"));
}

/* ---- values ---------------------------------------------------------------------------------- */

static void test_unrepresentable_values(void)
{
    script();
    fp.n_values = 5;
    fp.values[0] = 1;
    fp.values[1] = NAN;
    fp.values[2] = INFINITY;
    fp.values[3] = -INFINITY;
    fp.values[4] = 0.0015;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/%2A/m"), 200);
    CHECK_BODY(LIST1(POD1("p0", "1") "," POD1("p4", "2m")));
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/ns/q"), 200);
    CHECK_BODY(ELIST("{\"metricName\":\"q\",\"metricLabels\":{},\"timestamp\":"
                     "\"1970-01-01T00:16:40Z\",\"value\":\"1\"},"
                     "{\"metricName\":\"q\",\"metricLabels\":{},\"timestamp\":"
                     "\"1970-01-01T00:16:40Z\",\"value\":\"2m\"}"));
}

/* a named object gets exactly one item, or 404 when no value is usable */
static void test_named_exactly_one(void)
{
    script();
    fp.n_values = 3;
    fp.values[0] = NAN;
    fp.values[1] = 1500;
    fp.values[2] = 7;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/web%22x%3C/m"), 200);
    CHECK_BODY(LIST1(POD1("web\\\"x\\u003c", "1500")));
    fp.n_values = 1;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/web/m"), 404);
    CHECK_BODY(STATUS_HEAD "\"message\":\"the server could not find the metric m for pods web\","
                           "\"reason\":\"NotFound\",\"code\":404}\n");
    fp.n_values = 0;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/web/m"), 404);
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/%2A/m"), 200);
    CHECK_BODY(LIST1(""));
}

/* metricLabels is a Go map: sorted keys, the last of repeated keys */
static void test_external_labels(void)
{
    static const struct ma_kube_label labels[] = {
        {"zone", "b"},
        {"app", "x&y"},
        {"zone", "a"},
        {"Zeta", ""},
    };

    script();
    fp.n_values = 1;
    fp.values[0] = 12000;
    fp.labels = labels;
    fp.n_labels = 4;
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/ns/q"), 200);
    CHECK_BODY(ELIST("{\"metricName\":\"q\",\"metricLabels\":{\"Zeta\":\"\",\"app\":"
                     "\"x\\u0026y\",\"zone\":\"a\"},\"timestamp\":\"1970-01-01T00:16:40Z\","
                     "\"value\":\"12k\"}"));
}

/* ---- discovery and readiness ----------------------------------------------------------------- */

static void test_empty_discovery(void)
{
    script();
    CHECK_EQ(fx_get(&api, CM2), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"custom.metrics.k8s.io/v1beta2\",\"resources\":[]}\n");
    CHECK_EQ(fx_get(&api, EM1), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"external.metrics.k8s.io/v1beta1\",\"resources\":[]}\n");
    fp.list_n = 1;
    CHECK_EQ(fx_get(&api, EM1), 200);
    CHECK_BODY("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
               "\"external.metrics.k8s.io/v1beta1\",\"resources\":[{\"name\":\"m\","
               "\"singularName\":\"\",\"namespaced\":true,\"kind\":\"ExternalMetricValueList\","
               "\"verbs\":[\"get\"]}]}\n");
}

static void test_not_ready(void)
{
    script();
    fp.ready = 0;
    CHECK_EQ(fx_get(&api, "/readyz?verbose"), 500);
    CHECK_BODY("[+]ping ok\n[-]backend failed: reason withheld\n[+]shutdown ok\n"
               "readyz check failed\n");
    CHECK_EQ(fx_get(&api, "/livez"), 200);
}

/* ---- asynchronous answers -------------------------------------------------------------------- */

static void test_async(void)
{
    struct ma_prov_query *q;

    script();
    fp.async = 1;
    fp.n_values = 1;
    fp.values[0] = 2;
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/ns/pods/%2A/m?labelSelector=app%3Dweb"), 0);
    CHECK(fp.pending != NULL);
    CHECK(fx.ex.on_abort != NULL);
    q = fp.pending;
    /* the inputs survive until the answer: they live in the request arena */
    CHECK_STR(q->namespace, "ns");
    CHECK_STR(q->group_resource, "pods");
    CHECK(q->name == NULL && q->selector != NULL && q->selector->num_reqs == 1);
    fp.pending = NULL;
    fill(q);
    q->done(q);
    CHECK_EQ(resp.calls, 1);
    CHECK_EQ(resp.status, 200);
    CHECK_BODY(LIST1(POD1("p0", "2")));
    CHECK_EQ(fp.cancelled, 0);
}

static void test_async_abort(void)
{
    script();
    fp.async = 1;
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/ns/q"), 0);
    CHECK(fp.pending != NULL && fx.ex.on_abort != NULL);
    fx.ex.on_abort(&fx.ex);
    CHECK_EQ(fp.cancelled, 1);
    CHECK_EQ(resp.calls, 0);
}

int main(void)
{
    ma_api_init(&api, &fp_handle);
    T_RUN(test_provider_statuses);
    T_RUN(test_provider_error_without_status);
    T_RUN(test_unrepresentable_values);
    T_RUN(test_named_exactly_one);
    T_RUN(test_external_labels);
    T_RUN(test_empty_discovery);
    T_RUN(test_not_ready);
    T_RUN(test_async);
    T_RUN(test_async_abort);
    fx_cleanup();
    T_END();
}
