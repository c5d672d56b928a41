#ifndef MA_BACKEND_FALCON_DEF_H
#define MA_BACKEND_FALCON_DEF_H

#include <stddef.h>
#include <stdint.h>

#include "backend/falcon_api.h" /* MA_FALCON_MAX_COUNTER, ma_falcon_counter_normalize */
#include "base/err.h"
#include "base/limits.h"

struct ma_json_doc;
struct ma_kube_pod;

/* Metric definitions of the Open-Falcon backend: the CustomMetric and ExternalMetric objects
 * (group metrics.falcon, version v1alpha1, both namespaced) decoded into fixed-size structs,
 * plus the endpoint templates and the original's naming convention for metrics without an
 * object, as the original adapter reads them. Nothing here allocates or keeps state.
 *
 * CustomMetric (short name fcm), as the original reads it, plus optional fields:
 *   metadata.name             the HPA metric name (required)
 *   metadata.namespace        (required) where HPAs may ask for it
 *   spec.metric.counter       Falcon counter, "metric" or "metric/k=v,k2=v2" (required); stored
 *                             normalised as Falcon keys series: tags sorted by key (Falcon's SortedTags,
 *                             ma_falcon_counter_normalize; spaces, empty or repeated tags are
 *                             refused rather than repaired)
 *   spec.metric.endpoint      endpoint template (may be empty or absent); see ma_falcon_tmpl
 *   spec.target.resource      NEW. The kind of object the metric describes, as the custom metrics
 *                             API names it: "pods" (default), "namespaces" (the metric of the
 *                             namespace itself, Object metric on the Namespace), or any other
 *                             "<plural>[.<group>]", e.g. "deployments.apps", "services",
 *                             "ingresses.networking.k8s.io" (Object metrics). For any target but
 *                             pods, spec.metric.endpoint is required and may only use {name} and
 *                             {namespace} (the object's): "lb-01" is one fixed series for every
 *                             object, "{name}.{namespace}" one series per object.
 *   spec.cacheTTLSeconds      NEW. Integer 0..86400: how long a value fetched from Falcon is
 *                             served from the cache for this metric (0: never cached); default the
 *                             backend's --cache-ttl.
 *   spec.staleAfterSeconds    NEW. Integer 1..2592000: a Falcon timestamp older than this is stale;
 *                             default --stale-after.
 *   spec.stalePolicy          NEW. "omit" (leave stale objects out) or "zero" (report 0, as the
 *                             original); default --stale-policy.
 *
 * ExternalMetric (short name fem), served on external.metrics.k8s.io:
 *   metadata.name, metadata.namespace, spec.metric.counter   as above
 *   spec.endpoints            list of 1..MA_FALCON_DEF_MAX_ENDPOINTS fixed endpoint names, no
 *                             duplicates (required)
 *   spec.mode                 "items" (default): one item per endpoint, with metricLabels
 *                             {"endpoint": <name>} so an HPA's metric.selector can pick some;
 *                             "sum" | "avg" | "min" | "max": one item aggregating the endpoints.
 *                             An HPA sums every item it gets (Value target) or divides that sum by
 *                             the replicas (AverageValue), so "items" without a selector behaves
 *                             as "sum"; use "avg"/"max" when the sum is not what should scale.
 *   spec.cacheTTLSeconds, spec.staleAfterSeconds, spec.stalePolicy   as above
 *
 * Unknown fields are ignored and null counts as absent (the original CRD has no schema, so
 * anything can arrive); a known field of the wrong type or out of range is an error naming it. */


/* ---- counters ------------------------------------------------------------------------------ */

/* The original's fallback for an HPA metric name with no CustomMetric (its GetMetricBySelector when no object matches):
 * every "-equal-" becomes "=", then every remaining '-' becomes '/', then the result is
 * normalised with ma_falcon_counter_normalize ("net.if.in.bytes-iface-equal-eth0" ->
 * "net.if.in.bytes/iface=eth0"). Writes out[0..cap), NUL-terminated ("" on error); returns the
 * length, MA_ERR_SYNTAX when the result is no valid counter, e.g. a tag part without '='
 * ("disk.io.avgqu-sz", which the original queried verbatim and matched nothing; em then says to
 * define a CustomMetric), MA_ERR_LIMIT (too long, too many tags), MA_ERR_NOSPACE. */
int ma_falcon_def_seed_counter(const char *metric_name, char *out, size_t cap,
                               struct ma_errmsg *em);

/* ---- endpoint templates --------------------------------------------------------------------- */

/* Placeholders of a template. For a pod: {pod} and {name} its name, {namespace}, {node}
 * spec.nodeName, {podIP} status.podIP, {hostname} the hostname Falcon's agent sees inside the pod
 * (ma_falcon_tmpl_pod_hostname). For other objects only {name} and {namespace} (the object's). */
enum ma_falcon_tmpl_ph {
    MA_FALCON_PH_LITERAL,
    MA_FALCON_PH_POD,
    MA_FALCON_PH_HOSTNAME,
    MA_FALCON_PH_NAMESPACE,
    MA_FALCON_PH_NODE,
    MA_FALCON_PH_POD_IP,
    MA_FALCON_PH_NAME
};

/* A compiled template: literal runs and placeholders. Plain data, MAY be copied with memcpy.
 * No escape for braces: Falcon endpoints are host names and never hold them. */
struct ma_falcon_tmpl {
    int nparts;   /* 0: the empty template (the default endpoint) */
    int pod_only; /* uses a placeholder only a pod has ({pod} {hostname} {node} {podIP}) */
    size_t len;   /* of src */
    char src[MA_FALCON_MAX_ENDPOINT + 1];
    /* private */
    struct {
        uint8_t ph;          /* enum ma_falcon_tmpl_ph */
        uint16_t _off, _len; /* literal run in src */
    } _part[MA_FALCON_TMPL_MAX_PARTS];
};

/* Compile src[0..len) into *t. MA_OK; MA_ERR_SYNTAX for an unknown placeholder, an unbalanced
 * '{' or '}', an empty "{}", a character Falcon's graph refuses (control bytes, ' " > DEL) or a
 * NUL, with the byte offset in em ("endpoint template: unknown placeholder {x} at offset 4");
 * MA_ERR_LIMIT for len > MA_FALCON_MAX_ENDPOINT or more than MA_FALCON_TMPL_MAX_PARTS parts. On
 * error *t is the empty template. */
int ma_falcon_tmpl_compile(struct ma_falcon_tmpl *t, const char *src, size_t len,
                           struct ma_errmsg *em);

/* The hostname a process inside pod p reports (what falcon-agent uses as endpoint by default):
 * for hostNetwork pods the node's name, else spec.hostname when set, else the pod name, cut to
 * MA_FALCON_HOSTNAME_MAX bytes as the kubelet does. Returns a slice of p's strings through
 * *s and *len (p MUST outlive it); MA_ERR_NOTFOUND when hostNetwork and the pod is not scheduled.
 */
int ma_falcon_tmpl_pod_hostname(const struct ma_kube_pod *p, const char **s, size_t *len);

/* Render t for pod p into out[0..cap), NUL-terminated; the empty template renders the pod's
 * hostname. Returns the length; MA_ERR_NOTFOUND when a placeholder's value is not known yet (no
 * node, no pod IP: the pod has no series yet, leave it out); MA_ERR_LIMIT when the result
 * exceeds MA_FALCON_MAX_ENDPOINT; MA_ERR_NOSPACE when cap is too small. On error out holds ""
 * when cap > 0. */
int ma_falcon_tmpl_render_pod(const struct ma_falcon_tmpl *t, const struct ma_kube_pod *p,
                              char *out, size_t cap);

/* Render t for a non-pod object (namespace MAY be "" for a cluster-scoped one; for a Namespace
 * both are its name). Returns as ma_falcon_tmpl_render_pod; MA_ERR_SYNTAX when t is pod_only
 * and MA_ERR_NOTFOUND for the empty template (non-pod targets need an explicit endpoint). */
int ma_falcon_tmpl_render_object(const struct ma_falcon_tmpl *t, const char *namespace,
                                 const char *name, char *out, size_t cap);

/* ---- definitions ---------------------------------------------------------------------------- */

enum ma_falcon_def_kind { MA_FALCON_DEF_CUSTOM, MA_FALCON_DEF_EXTERNAL };

enum ma_falcon_def_target {
    MA_FALCON_TARGET_POD,      /* Pods metrics and single-pod Object metrics */
    MA_FALCON_TARGET_OBJECT,   /* any other namespaced resource: resource names it */
    MA_FALCON_TARGET_NAMESPACE /* the namespace itself */
};

enum ma_falcon_stale_policy {
    MA_FALCON_STALE_DEFAULT, /* field absent: the backend's flag decides */
    MA_FALCON_STALE_OMIT,
    MA_FALCON_STALE_ZERO
};

enum ma_falcon_ext_mode {
    MA_FALCON_EXT_ITEMS,
    MA_FALCON_EXT_SUM,
    MA_FALCON_EXT_AVG,
    MA_FALCON_EXT_MIN,
    MA_FALCON_EXT_MAX
};

/* One decoded CustomMetric or ExternalMetric. Plain data (about 6 KiB), MAY be copied with
 * memcpy; strings NUL-terminated. */
struct ma_falcon_def {
    enum ma_falcon_def_kind kind;
    char name[253 + 1];                      /* metadata.name: the metric name */
    char namespace[63 + 1];                  /* metadata.namespace */
    char counter[MA_FALCON_MAX_COUNTER + 1]; /* normalised */
    int64_t cache_ttl_s;                     /* -1: absent (use the flag) */
    int64_t stale_after_s;                   /* -1: absent (use the flag) */
    enum ma_falcon_stale_policy stale_policy;
    /* CustomMetric */
    enum ma_falcon_def_target target;
    char resource[MA_FALCON_DEF_MAX_RESOURCE + 1]; /* "pods", "namespaces", "deployments.apps" */
    struct ma_falcon_tmpl endpoint;
    /* ExternalMetric */
    enum ma_falcon_ext_mode mode;
    int nendpoints;
    /* private: endpoint i is _pool + _ep_off[i] (use ma_falcon_def_ext_endpoint) */
    uint16_t _ep_off[MA_FALCON_DEF_MAX_ENDPOINTS];
    char _pool[MA_FALCON_DEF_ENDPOINT_POOL];
};

/* Decode the CustomMetric / ExternalMetric at token obj of d (a LIST item, a watch event's
 * object, a cache object) into *def. Copies what it keeps: d MAY be freed afterwards. MA_OK;
 * MA_ERR_SYNTAX for a missing required field, a wrong type, a bad value (em names the object and
 * the field: "CustomMetric ns/name: spec.cacheTTLSeconds: not an integer"); MA_ERR_LIMIT for a
 * string or list beyond the limits above. On error *def is zeroed (its name stays "" ). */
int ma_falcon_def_parse_custom(const struct ma_json_doc *d, int obj, struct ma_falcon_def *def,
                               struct ma_errmsg *em);
int ma_falcon_def_parse_external(const struct ma_json_doc *d, int obj, struct ma_falcon_def *def,
                                 struct ma_errmsg *em);

/* Endpoint i (0 <= i < def->nendpoints) of an ExternalMetric; valid while def is. */
static inline const char *ma_falcon_def_ext_endpoint(const struct ma_falcon_def *def, int i)
{
    return def->_pool + def->_ep_off[i];
}


#endif
