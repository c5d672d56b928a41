#include "api/custom.h"

#include "api/req.h"
#include "base/log.h"
#include "base/time.h"
#include "http/server.h"
#include "kube/quantity.h"
#include "kube/selector.h"
#include "json/write.h"

#include <string.h>

/* ---- the answer ------------------------------------------------------------------------------ */

/* core ObjectReference, every field omitempty; we fill kind, namespace, name, apiVersion:
 * {"kind":"Pod","namespace":"default","name":"web-0","apiVersion":"/v1"} */
static void write_object(struct ma_json_w *w, const struct ma_prov_value *v)
{
    static const char *const keys[] = {"kind", "namespace", "name", "apiVersion"};
    const char *vals[] = {v->kind, v->namespace, v->name, v->api_version};
    size_t i;

    ma_json_w_obj_begin(w);
    for (i = 0; i < 4; i++) {
        if (vals[i] != NULL && vals[i][0] != '\0') {
            ma_json_w_key(w, keys[i]);
            ma_json_w_str(w, vals[i]);
        }
    }
    ma_json_w_obj_end(w);
}

/* The metricLabelSelector echoed as metav1.ParseToLabelSelector would (prometheus-adapter), or
 * null when there was none. Selectors LabelSelector cannot express (gt, lt) come out null too. */
static void write_selector(struct ma_json_w *w, const struct ma_prov_query *q)
{
    if (q->metric_selector != NULL)
        (void)ma_kube_selector_write_json(q->metric_selector, w);
    else
        ma_json_w_null(w);
}

/* v1beta1 item:
 * {"describedObject":{...},"metricName":"m","timestamp":"2026-01-02T03:04:05Z","window":60,
 *  "value":"66m","selector":null}
 * v1beta2 item:
 * {"describedObject":{...},"metric":{"name":"m","selector":null},
 *  "timestamp":"2026-01-02T03:04:05Z","windowSeconds":60,"value":"66m"} */
static void write_item(struct ma_json_w *w, const struct ma_api_req *r,
                       const struct ma_prov_value *v, const char *quantity)
{
    int v1beta1 = r->route.gv == MA_API_GV_CUSTOM_V1BETA1;
    char ts[MA_TIME_RFC3339_LEN];

    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "describedObject");
    write_object(w, v);
    if (v1beta1) {
        ma_json_w_key(w, "metricName");
        ma_json_w_str(w, r->q.metric);
    } else {
        ma_json_w_key(w, "metric");
        ma_json_w_obj_begin(w);
        ma_json_w_key(w, "name");
        ma_json_w_str(w, r->q.metric);
        ma_json_w_key(w, "selector");
        write_selector(w, &r->q);
        ma_json_w_obj_end(w);
    }
    ma_json_w_key(w, "timestamp");
    ma_json_w_str(w, ma_time_rfc3339(v->timestamp, ts));
    if (v->window_seconds != 0) {
        ma_json_w_key(w, v1beta1 ? "window" : "windowSeconds");
        ma_json_w_int(w, v->window_seconds);
    }
    ma_json_w_key(w, "value");
    ma_json_w_str(w, quantity);
    if (v1beta1) {
        ma_json_w_key(w, "selector");
        write_selector(w, &r->q);
    }
    ma_json_w_obj_end(w);
}

/* Write the items (at most one for a named object); returns how many were written. */
static size_t write_items(struct ma_json_w *w, const struct ma_api_req *r)
{
    char quantity[MA_KUBE_QUANTITY_MAX];
    size_t i, n = 0;

    for (i = 0; i < r->q.num_values; i++) {
        const struct ma_prov_value *v = &r->q.values[i];

        if (ma_kube_quantity_format(v->value, quantity, sizeof quantity) < 0) {
            MA_LOGV(2, "%s: leaving out %s %s: value %g has no quantity form", r->path,
                    v->kind ? v->kind : "object", v->name ? v->name : "", v->value);
            continue;
        }
        write_item(w, r, v, quantity);
        if (++n == 1 && r->q.name != NULL)
            break;
    }
    return n;
}

static int has_valid_value(const struct ma_prov_query *q)
{
    char quantity[MA_KUBE_QUANTITY_MAX];
    size_t i;

    for (i = 0; i < q->num_values; i++)
        if (ma_kube_quantity_format(q->values[i].value, quantity, sizeof quantity) >= 0)
            return 1;
    return 0;
}

/* {"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta1","metadata":{},
 *  "items":[...]} */
static void answer_list(struct ma_api_req *r)
{
    struct ma_prov_query *q = &r->q;
    struct ma_json_w w;

    if (q->name != NULL && !has_valid_value(q)) {
        /* the HPA insists on exactly one item for a named object (spec 2.3) */
        ma_api_req_fail(r, 404, "the server could not find the metric %s for %s %s", q->metric,
                        q->group_resource, q->name);
        return;
    }
    if (!ma_api_req_begin(r, &w))
        return;
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "MetricValueList");
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, ma_api_gv_string(r->route.gv));
    ma_json_w_key(&w, "metadata");
    ma_json_w_obj_begin(&w);
    ma_json_w_obj_end(&w);
    ma_json_w_key(&w, "items");
    ma_json_w_arr_begin(&w);
    write_items(&w, r);
    ma_json_w_arr_end(&w);
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}

/* ---- the request ----------------------------------------------------------------------------- */

/* Fill q's strings from the route; 0 when the arena is full. */
static int fill_query(struct ma_api_req *r)
{
    const struct ma_api_route *rt = &r->route;
    struct ma_prov_query *q = &r->q;

    q->kind = MA_PROV_CUSTOM;
    q->arena = r->ex->arena;
    q->group_resource = ma_api_req_strdup(r, rt->resource);
    q->metric = ma_api_req_strdup(r, rt->metric);
    if (q->group_resource == NULL || q->metric == NULL)
        return 0;
    if (rt->namespace.p != NULL && (q->namespace = ma_api_req_strdup(r, rt->namespace)) == NULL)
        return 0;
    if (!rt->wildcard && (q->name = ma_api_req_strdup(r, rt->name)) == NULL)
        return 0;
    return 1;
}

/* see api/custom.h */
void ma_api_custom_answer(struct ma_api_req *r)
{
    struct ma_kube_selector *sel, *msel;

    /* labelSelector is parsed (so errors are 400) even where it is then ignored: named objects.
     * The name a fieldSelector must match is the route's name parameter, which for
     * P/namespaces/{ns}/metrics/{name} is the metric (custom-metrics-apiserver's template). */
    if (ma_api_req_selector(r, "labelSelector", &sel) < 0 ||
        ma_api_req_selector(r, "metricLabelSelector", &msel) < 0 ||
        ma_api_req_fields(r, r->route.ns_metric ? r->route.metric : r->route.name) < 0)
        return;
    memset(&r->q, 0, sizeof r->q);
    if (!fill_query(r)) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return;
    }
    r->q.selector = r->route.wildcard ? sel : NULL;
    r->q.metric_selector = msel;
    ma_api_req_query(r, answer_list);
}
