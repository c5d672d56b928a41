#ifndef MA_KUBE_PODS_H
#define MA_KUBE_PODS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "kube/label.h"
#include "kube/store.h"

struct ma_json_doc;

/* Pods as records of the watched store (kube/store.h): what the backends need from each Pod,
 * one allocation per pod with every string inline. The store indexes them by namespace (a
 * selector lookup never scans another namespace) and by namespace/name. Target: <= 1 KB of RSS
 * per cached pod including indexes (tests/bench/pods-cache.sh prints it). */

enum ma_kube_pod_phase {
    MA_POD_PENDING, MA_POD_RUNNING, MA_POD_SUCCEEDED, MA_POD_FAILED, MA_POD_UNKNOWN
};

struct ma_kube_pod {
    struct ma_kube_meta meta; /* namespace, name, labels */
    const char *node_name, *pod_ip, *hostname, *subdomain; /* "" when unset */
    enum ma_kube_pod_phase phase;
    int ready;               /* status.conditions[type=Ready].status == "True" */
    int host_network;        /* spec.hostNetwork */
    time_t created;          /* metadata.creationTimestamp */
    time_t deleted;          /* metadata.deletionTimestamp, 0 when absent */
};

/* Decode the Pod object at token obj of d into *out: one heap allocation holding the pod, its
 * label array and every string (d MAY be freed afterwards); release it with ma_kube_pod_free.
 * Unknown fields are ignored; null counts as absent. An absent or empty status.phase is
 * MA_POD_PENDING (the apiserver's default), an unknown one MA_POD_UNKNOWN. MA_OK;
 * MA_ERR_SYNTAX when the object lacks metadata.namespace or metadata.name or a field has the
 * wrong type (an unparsable timestamp included); MA_ERR_LIMIT for more than MA_KUBE_MAX_LABELS
 * labels or a string beyond Kubernetes' limits (base/limits.h). On error *out is NULL and em says
 * which pod and field. */
int ma_kube_pod_new(const struct ma_json_doc *d, int obj, struct ma_kube_pod **out,
                    struct ma_errmsg *em);
void ma_kube_pod_free(struct ma_kube_pod *p);

/* The record class of pods stores: ma_kube_pod_new / ma_kube_pod_free. */
extern const struct ma_kube_record_class ma_kube_pod_class;

/* The pod a record of a ma_kube_pod_class store is. */
static inline const struct ma_kube_pod *ma_kube_pod_of(const struct ma_kube_meta *rec)
{
    return (const struct ma_kube_pod *)(const void *)rec;
}

/* The pod namespace/name of a pods store, or NULL. */
static inline const struct ma_kube_pod *ma_kube_pods_get(const struct ma_kube_store *s,
                                                         const char *namespace, const char *name)
{
    const struct ma_kube_meta *rec = ma_kube_store_get(s, namespace, name);

    return rec != NULL ? ma_kube_pod_of(rec) : NULL;
}

/* ma_kube_store_each over a pods store with a pod-typed callback (same contract). */
struct ma_kube_pods_walk {
    int (*fn)(const struct ma_kube_pod *p, void *arg);
    void *arg;
};
static inline int ma_kube_pods_walk_one(const struct ma_kube_meta *rec, void *walk)
{
    const struct ma_kube_pods_walk *w = (const struct ma_kube_pods_walk *)walk;

    return w->fn(ma_kube_pod_of(rec), w->arg);
}
static inline int ma_kube_pods_each(const struct ma_kube_store *s, const char *namespace,
                                    const struct ma_kube_selector *sel,
                                    int (*fn)(const struct ma_kube_pod *p, void *arg), void *arg)
{
    struct ma_kube_pods_walk w = {fn, arg};

    return ma_kube_store_each(s, namespace, sel, ma_kube_pods_walk_one, &w);
}

#endif
