#ifndef MA_KUBE_PODS_H
#define MA_KUBE_PODS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "kube/label.h"

struct ma_json_doc;
struct ma_kube_selector;

/* The pods cache: a compact in-memory store of what the backends need from each Pod, indexed by
 * namespace so that a selector lookup never scans another namespace, and by namespace/name.
 * One allocation per pod with every string inline (style.md section 5c). Target: <= 1 KB of RSS
 * per cached pod including indexes. Single-threaded (event loop). */

enum ma_kube_pod_phase {
    MA_POD_PENDING, MA_POD_RUNNING, MA_POD_SUCCEEDED, MA_POD_FAILED, MA_POD_UNKNOWN
};

struct ma_kube_pod {
    const char *namespace, *name;
    const char *node_name, *pod_ip, *hostname, *subdomain; /* "" when unset */
    struct ma_kube_labels labels;
    enum ma_kube_pod_phase phase;
    int ready;               /* status.conditions[type=Ready].status == "True" */
    int host_network;        /* spec.hostNetwork */
    time_t created;          /* metadata.creationTimestamp */
    time_t deleted;          /* metadata.deletionTimestamp, 0 when absent */
    /* private: the store's bookkeeping follows */
    uint32_t _hash; /* of namespace/name, for the store's name index */
    int _marked;    /* set by ma_kube_pods_mark, cleared by re-insertion */
};

/* Decode the Pod object at token obj of d into *out: one heap allocation holding the pod, its
 * label array and every string (d MAY be freed afterwards); release it with ma_kube_pod_free.
 * Returns and messages as ma_kube_pods_upsert, which calls it; on error *out is NULL. */
int ma_kube_pod_new(const struct ma_json_doc *d, int obj, struct ma_kube_pod **out,
                    struct ma_errmsg *em);
void ma_kube_pod_free(struct ma_kube_pod *p);

struct ma_kube_pods;

struct ma_kube_pods *ma_kube_pods_new(void);
void ma_kube_pods_free(struct ma_kube_pods *s);

/* Insert or replace the pod described by the Pod object at token `obj` of d (a LIST item or a
 * watch event's "object"). Unknown fields are ignored; null counts as absent. An absent or empty
 * status.phase is MA_POD_PENDING (the apiserver's default), an unknown one MA_POD_UNKNOWN.
 * Copies what it keeps: d MAY be freed afterwards. MA_OK; MA_ERR_SYNTAX when the object lacks
 * metadata.namespace or metadata.name or a field has the wrong type (an unparsable timestamp
 * included); MA_ERR_LIMIT for more than MA_KUBE_MAX_LABELS labels or a string beyond Kubernetes'
 * limits (base/limits.h). On any error the store is unchanged and em says which pod and field.
 * Every modifying call (upsert, delete, sweep) invalidates pod pointers obtained before it. */
int ma_kube_pods_upsert(struct ma_kube_pods *s, const struct ma_json_doc *d, int obj,
                        struct ma_errmsg *em);
/* Remove namespace/name; MA_ERR_NOTFOUND when absent. */
int ma_kube_pods_delete(struct ma_kube_pods *s, const char *namespace, const char *name);
/* Mark every pod of namespace (NULL: of all namespaces), then drop those of that namespace not
 * re-inserted before ma_kube_pods_sweep with the same namespace (a relist); sweep returns how many
 * it dropped. Scoped so that one namespace's relist never touches the pods another informer is
 * responsible for. */
void ma_kube_pods_mark(struct ma_kube_pods *s, const char *namespace);
size_t ma_kube_pods_sweep(struct ma_kube_pods *s, const char *namespace);

const struct ma_kube_pod *ma_kube_pods_get(const struct ma_kube_pods *s, const char *namespace,
                                           const char *name);
/* Call fn for each pod of `namespace` matching sel (NULL: all), in name order (byte order);
 * stops when fn returns non-zero and returns that value, else 0. Cost: the pods of that namespace
 * only. fn MUST NOT modify the store. */
int ma_kube_pods_each(const struct ma_kube_pods *s, const char *namespace,
                      const struct ma_kube_selector *sel,
                      int (*fn)(const struct ma_kube_pod *p, void *arg), void *arg);
size_t ma_kube_pods_count(const struct ma_kube_pods *s);
/* A counter that changes with every upsert, delete or sweep that removed a pod: answers built from
 * the store stay valid while it stays the same. */
uint64_t ma_kube_pods_generation(const struct ma_kube_pods *s);

/* What one informer is responsible for: the pods of `namespace` (NULL: all namespaces) in
 * `store`. Caller-owned; MUST outlive the informer. */
struct ma_kube_pods_scope {
    struct ma_kube_pods *store;
    const char *namespace;
};

struct ma_kube_informer_handler;
/* The informer handler that keeps scope's pods in step with a pods watch: upsert (refusing pods
 * outside the scope's namespace), delete, and mark/sweep of that namespace only on a relist. */
void ma_kube_pods_informer_handler(struct ma_kube_pods_scope *scope,
                                   struct ma_kube_informer_handler *out);

#endif
