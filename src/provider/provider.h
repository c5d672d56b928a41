#ifndef MA_PROVIDER_PROVIDER_H
#define MA_PROVIDER_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/err.h"
#include "kube/label.h"

struct ma_kube_selector;

/* The backend interface: the C counterpart of custom-metrics-apiserver's CustomMetricsProvider
 * (ListAllMetrics, GetMetricByName, GetMetricBySelector) and ExternalMetricsProvider
 * (ListAllExternalMetrics, GetExternalMetric). Backends implement struct ma_provider_class; the
 * API layer (src/api/) only ever talks to this interface, so backends plug in without touching
 * HTTP or API code. Everything runs on the one event-loop thread. */

/* One entry of discovery: "pods/http_requests" (namespaced) or an external metric name. */
struct ma_prov_metric_info {
    const char *group_resource; /* "pods", "deployments.apps", "namespaces", "nodes"; NULL for external */
    const char *metric;
    int namespaced;             /* the described object's scope (namespaces/nodes: 0) */
};

/* A growable list in an arena, filled by list_custom / list_external. */
struct ma_prov_list {
    struct ma_arena *arena;
    struct ma_prov_metric_info *items;
    size_t n;
    /* private */
    size_t _cap;
};

/* One answer item. Custom metrics fill the described object; external ones fill labels. All
 * strings live in the query's arena (the ma_prov_query_add_* helpers copy them there). */
struct ma_prov_value {
    const char *kind;        /* "Pod", "Deployment", "Namespace", "Node" */
    const char *api_version; /* group/version of the kind: "/v1" for core kinds, "apps/v1" */
    const char *namespace;   /* NULL for cluster-scoped objects */
    const char *name;
    struct ma_kube_label *labels; /* external metricLabels */
    size_t num_labels;
    time_t timestamp;        /* sample time, wall-clock seconds */
    int64_t window_seconds;  /* 0: omitted from the answer */
    double value;            /* NaN/Inf: the API layer leaves the item out (see README) */
};

enum ma_prov_kind { MA_PROV_CUSTOM, MA_PROV_EXTERNAL };

/* One request to a backend. The API layer fills the inputs, the backend the outputs. */
struct ma_prov_query {
    enum ma_prov_kind kind;
    const char *namespace;      /* NULL: root-scoped custom request */
    const char *group_resource; /* custom: "pods", "deployments.apps", "namespaces" (the
                                   namespaces/{ns}/metrics/{m} form arrives as group_resource
                                   "namespaces", name = {ns}, namespace = NULL) */
    const char *name;           /* custom: object name, or NULL for "*" */
    const struct ma_kube_selector *selector;        /* custom "*": objects; NULL = all */
    const char *metric;
    const struct ma_kube_selector *metric_selector; /* custom: metricLabelSelector; external:
                                                       labelSelector; NULL = none */
    struct ma_arena *arena;     /* lives until the response is written */

    /* outputs */
    struct ma_prov_value *values;
    size_t num_values;
    int err_status;             /* 0 = success, else the HTTP status of the failure (404, 503...) */
    int64_t memo_until_ms;      /* a backend with generation(): this answer stays the same, for an
                                   unchanged generation, until this monotonic time (api/memo.h);
                                   0 (the default): do not reuse it */
    struct ma_errmsg err;       /* the Status message when err_status != 0 */

    /* completion for asynchronous answers; set by the API layer before calling the backend */
    void (*done)(struct ma_prov_query *q);
    void *done_arg;
    /* private */
    size_t _cap_values;
    void *_backend; /* backend's own pending state */
};

struct ma_provider_class {
    const char *name;
    /* Append every custom metric served (ListAllMetrics). MA_OK or a negative code. */
    int (*list_custom)(const struct ma_provider_class **self, struct ma_prov_list *out);
    /* Append every external metric served (ListAllExternalMetrics). */
    int (*list_external)(const struct ma_provider_class **self, struct ma_prov_list *out);
    /* Start a query (GetMetricByName when q->name != NULL, GetMetricBySelector otherwise;
     * GetExternalMetric for external). Returns MA_OK when q is complete now (values added, or
     * err_status set); MA_ERR_PARTIAL when the backend will complete it later by calling
     * q->done(q) exactly once from the event loop. */
    int (*get_custom)(const struct ma_provider_class **self, struct ma_prov_query *q);
    int (*get_external)(const struct ma_provider_class **self, struct ma_prov_query *q);
    /* Abandon a pending query (client went away): after it returns, q->done is never called
     * and the backend no longer touches q. */
    void (*cancel)(const struct ma_provider_class **self, struct ma_prov_query *q);
    /* 1 when the backend can serve (caches synced, ...); else 0 with the reason in why. */
    int (*ready)(const struct ma_provider_class **self, struct ma_errmsg *why);
    /* MAY be NULL. A number that changes whenever anything an answer depends on changes, other
     * than time (objects, definitions): with memo_until_ms it lets the API layer reuse answers. */
    uint64_t (*generation)(const struct ma_provider_class **self);
};

/* Initialise an empty list whose memory comes from arena. */
void ma_prov_list_init(struct ma_prov_list *l, struct ma_arena *arena);
/* Append a copy of (group_resource, metric, namespaced). MA_OK or MA_ERR_NOSPACE (arena full). */
int ma_prov_list_add(struct ma_prov_list *l, const char *group_resource, const char *metric,
                     int namespaced);

/* Append a custom-metric item describing an object; strings are copied into q->arena.
 * namespace MAY be NULL. Returns MA_OK or MA_ERR_NOSPACE. */
int ma_prov_query_add_object(struct ma_prov_query *q, const char *kind, const char *api_version,
                             const char *namespace, const char *name, time_t timestamp,
                             int64_t window_seconds, double value);
/* Append an external-metric item with labels[0..n) copied into q->arena. */
int ma_prov_query_add_external(struct ma_prov_query *q, const struct ma_kube_label *labels,
                               size_t n, time_t timestamp, int64_t window_seconds, double value);
/* Mark q failed with an HTTP status (404, 500, 503, ...) and a message for the Status object. */
void ma_prov_query_fail(struct ma_prov_query *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
