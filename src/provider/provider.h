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
 * (ListAllExternalMetrics, GetExternalMetric), plus a slot for resource metrics (metrics.k8s.io
 * PodMetrics and NodeMetrics). Backends implement struct ma_provider_class; the API layer
 * (src/api/) only ever talks to this interface (through ma_prov_get for queries), so backends plug
 * in without touching HTTP or API code. Several backends in one process are one composite provider
 * (provider/multi.h).
 *
 * What a backend may assume:
 *   - Threading: every call, and every q->done, happens on the one event-loop thread. A backend
 *     never needs a lock; it MUST NOT block (no blocking I/O, no sleeping): slow work is started
 *     on the loop and finished from a loop callback.
 *   - Lifetimes: a query's inputs (strings, selectors) and q->arena live until the answer has
 *     been written, i.e. until done() returned or, for a synchronous answer, until get_* returned
 *     and the API layer wrote it; they are NOT valid after cancel() returns. Values are copied
 *     into q->arena by the ma_prov_query_add_* helpers, so a backend keeps no pointer into them.
 *     A list's strings are copied into the list's arena the same way.
 *   - done: only after get_* returned MA_ERR_PARTIAL, exactly once, from a later loop callback
 *     (never from inside get_* itself), and never after cancel(q) or after the provider is freed.
 *   - The provider outlives every query: the HTTP server is freed before the provider, and
 *     pending queries are then dropped without done.
 *   - A backend sets only the outputs (values, num_values / usage, num_usage, err_status, err,
 *     memo_until_ms) and its own _backend field. */

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

enum ma_prov_kind { MA_PROV_CUSTOM, MA_PROV_EXTERNAL, MA_PROV_RESOURCE };

/* Resource metrics (metrics.k8s.io): what a MA_PROV_RESOURCE query asks for. Bits, so that
 * list_resource can say which a backend serves. */
enum ma_prov_resource {
    MA_PROV_RES_PODS = 1,  /* PodMetrics: containers' cpu and memory usage of pods */
    MA_PROV_RES_NODES = 2, /* NodeMetrics: cpu and memory usage of nodes */
};

/* One container's usage in a PodMetrics item. */
struct ma_prov_container_usage {
    const char *name;
    double cpu_cores;    /* CPU in cores (0.25 = 250m) */
    double memory_bytes; /* working set bytes */
};

/* One resource-metrics answer item: a pod with its containers, or a node (containers NULL, the
 * node's totals in cpu_cores / memory_bytes). Strings live in the query's arena. */
struct ma_prov_usage {
    const char *namespace; /* NULL for nodes */
    const char *name;
    time_t timestamp;       /* sample time, wall-clock seconds */
    int64_t window_seconds; /* the window the usage was measured over */
    struct ma_prov_container_usage *containers; /* pods */
    size_t num_containers;
    double cpu_cores, memory_bytes; /* nodes */
};

/* One request to a backend. The API layer fills the inputs, the backend the outputs. */
struct ma_prov_query {
    enum ma_prov_kind kind;
    const char *namespace;      /* NULL: root-scoped custom request (resource: all namespaces) */
    const char *group_resource; /* custom: "pods", "deployments.apps", "namespaces" (the
                                   namespaces/{ns}/metrics/{m} form arrives as group_resource
                                   "namespaces", name = {ns}, namespace = NULL) */
    const char *name;           /* custom: object name, or NULL for "*"; resource: the pod or
                                   node name, NULL for a list */
    const struct ma_kube_selector *selector;        /* custom "*" and resource lists: objects'
                                                       labelSelector; NULL = all */
    enum ma_prov_resource resource; /* MA_PROV_RESOURCE: pods or nodes */
    const char *metric;
    const struct ma_kube_selector *metric_selector; /* custom: metricLabelSelector; external:
                                                       labelSelector; NULL = none */
    struct ma_arena *arena;     /* lives until the response is written */

    /* outputs */
    struct ma_prov_value *values;
    size_t num_values;
    struct ma_prov_usage *usage; /* MA_PROV_RESOURCE answers */
    size_t num_usage;
    int err_status;             /* 0 = success, else the HTTP status of the failure (404, 503...) */
    int64_t memo_until_ms;      /* a backend with generation(): this answer stays the same, for an
                                   unchanged generation, until this monotonic time (api/memo.h);
                                   0 (the default): do not reuse it */
    struct ma_errmsg err;       /* the Status message when err_status != 0 */

    /* completion for asynchronous answers; set by the API layer before calling the backend */
    void (*done)(struct ma_prov_query *q);
    void *done_arg;
    /* private */
    size_t _cap_values, _cap_usage;
    void *_backend; /* backend's own pending state */
    const struct ma_provider_class **_owner; /* provider/multi.c: the member that took q */
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
    /* MAY be NULL (serves no resource metrics). The MA_PROV_RES_* bits this backend serves. */
    unsigned (*list_resource)(const struct ma_provider_class **self);
    /* MAY be NULL when list_resource is. A MA_PROV_RESOURCE query for q->resource (one the
     * backend lists): fills q->usage with ma_prov_query_add_usage; returns as get_custom. */
    int (*get_resource)(const struct ma_provider_class **self, struct ma_prov_query *q);
};

/* Start q on p: the get_* member for q->kind (the API layer's one entry point). A resource query
 * to a backend that does not serve q->resource is answered 404 here. Returns as get_custom. */
int ma_prov_get(const struct ma_provider_class **p, struct ma_prov_query *q);

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
/* Append a resource-metrics item (a pod with containers[0..n), or a node with n == 0 and its
 * totals); every string is copied into q->arena. namespace MAY be NULL. MA_OK or MA_ERR_NOSPACE. */
int ma_prov_query_add_usage(struct ma_prov_query *q, const char *namespace, const char *name,
                            time_t timestamp, int64_t window_seconds,
                            const struct ma_prov_container_usage *containers, size_t n,
                            double cpu_cores, double memory_bytes);
/* Mark q failed with an HTTP status (404, 500, 503, ...) and a message for the Status object. */
void ma_prov_query_fail(struct ma_prov_query *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
