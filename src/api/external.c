#include "api/external.h"

#include "api/req.h"
#include "base/log.h"
#include "base/time.h"
#include "http/server.h"
#include "kube/quantity.h"
#include "kube/selector.h"
#include "json/write.h"

#include <string.h>

/* metricLabels is a Go map: keys come out sorted, and a repeated key keeps its last value. */
static void write_labels(struct ma_json_w *w, const struct ma_kube_label *l, size_t n,
                         size_t *order)
{
    size_t i, j;

    for (i = 0; i < n; i++) { /* stable insertion sort of indexes by key */
        size_t k = i;

        for (j = i; j > 0 && strcmp(l[order[j - 1]].key, l[k].key) > 0; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    ma_json_w_obj_begin(w);
    for (i = 0; i < n; i++) {
        const struct ma_kube_label *lb = &l[order[i]];

        if (i + 1 < n && strcmp(lb->key, l[order[i + 1]].key) == 0)
            continue;
        ma_json_w_key(w, lb->key);
        ma_json_w_str(w, lb->value);
    }
    ma_json_w_obj_end(w);
}

/* {"metricName":"queue_depth","metricLabels":{"queue":"worker"},
 *  "timestamp":"2026-01-02T03:04:05Z","window":60,"value":"42"}
 * metricLabels has no omitempty; a series without labels is written {} (Go: {} or null, by how
 * the provider built its map). */
static int write_item(struct ma_json_w *w, struct ma_api_req *r, const struct ma_prov_value *v,
                      const char *quantity)
{
    char ts[MA_TIME_RFC3339_LEN];
    size_t *order = NULL;

    if (v->num_labels > 0) {
        order = ma_arena_alloc(r->ex->arena, v->num_labels * sizeof *order);
        if (order == NULL)
            return 0;
    }
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "metricName");
    ma_json_w_str(w, r->q.metric);
    ma_json_w_key(w, "metricLabels");
    write_labels(w, v->labels, v->num_labels, order);
    ma_json_w_key(w, "timestamp");
    ma_json_w_str(w, ma_time_rfc3339(v->timestamp, ts));
    if (v->window_seconds != 0) {
        ma_json_w_key(w, "window");
        ma_json_w_int(w, v->window_seconds);
    }
    ma_json_w_key(w, "value");
    ma_json_w_str(w, quantity);
    ma_json_w_obj_end(w);
    return 1;
}

/* {"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1",
 *  "metadata":{},"items":[...]} */
static void answer_list(struct ma_api_req *r)
{
    char quantity[MA_KUBE_QUANTITY_MAX];
    struct ma_json_w w;
    size_t i;

    if (!ma_api_req_begin(r, &w))
        return;
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "ExternalMetricValueList");
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, ma_api_gv_string(r->route.gv));
    ma_json_w_key(&w, "metadata");
    ma_json_w_obj_begin(&w);
    ma_json_w_obj_end(&w);
    ma_json_w_key(&w, "items");
    ma_json_w_arr_begin(&w);
    for (i = 0; i < r->q.num_values; i++) {
        const struct ma_prov_value *v = &r->q.values[i];

        if (ma_kube_quantity_format(v->value, quantity, sizeof quantity) < 0) {
            MA_LOGV(2, "%s: leaving out series %zu: value %g has no quantity form", r->path, i,
                    v->value);
            continue;
        }
        if (!write_item(&w, r, v, quantity)) {
            ma_api_req_fail(r, 500, "request arena exhausted");
            return;
        }
    }
    ma_json_w_arr_end(&w);
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}

/* see api/external.h */
void ma_api_external_answer(struct ma_api_req *r)
{
    struct ma_kube_selector *sel;
    struct ma_prov_query *q = &r->q;

    /* a list request: a fieldSelector only has to parse and name known fields */
    if (ma_api_req_selector(r, "labelSelector", &sel) < 0 ||
        ma_api_req_fields(r, ma_str_make(NULL, 0)) < 0)
        return;
    memset(q, 0, sizeof *q);
    q->kind = MA_PROV_EXTERNAL;
    q->arena = r->ex->arena;
    q->namespace = ma_api_req_strdup(r, r->route.namespace);
    q->metric = ma_api_req_strdup(r, r->route.metric);
    q->metric_selector = sel;
    if (q->namespace == NULL || q->metric == NULL) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return;
    }
    ma_api_req_query(r, answer_list);
}
