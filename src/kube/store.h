#ifndef MA_KUBE_STORE_H
#define MA_KUBE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kube/label.h"

struct ma_json_doc;
struct ma_kube_selector;
struct ma_kube_informer_handler;

/* The watched store: one mechanism for every kind of Kubernetes object a backend needs (pods,
 * nodes, metric definitions, the resources a Prometheus rule maps to), client-go's informer
 * indexer in C. An informer (kube/watch.h) feeds it LIST items and watch events through
 * ma_kube_store_informer_handler; a relist marks, re-inserts and sweeps what was not seen again.
 *
 * What is stored is decided per kind by a record class: it decodes one JSON object into one
 * compact heap record (every string inline: one allocation per object, freed on DELETE or relist)
 * whose first member is struct ma_kube_meta, and frees it. The store indexes records by
 * namespace/name (a hash table) and by namespace (per namespace, an array sorted by name), so a
 * selector lookup never scans another namespace and hands records out in name order. Cost per
 * record: ~25 bytes of index. Single-threaded (event loop). */

/* The head of every record: key, labels, and the store's bookkeeping. The record class's decode
 * sets namespace ("" for cluster-scoped objects), name and labels, pointing into the record. */
struct ma_kube_meta {
    const char *namespace, *name;
    struct ma_kube_labels labels; /* n == 0 when the kind keeps none */
    /* private: the store's */
    uint32_t _hash;
    int _marked;
};

/* How one kind of object becomes a record. Static and constant; the store only keeps a pointer. */
struct ma_kube_record_class {
    const char *what; /* kind for messages: "pods", "nodes", "custommetrics" */
    /* Decode the object at token obj of d into *out: one heap record beginning with struct
     * ma_kube_meta, copying what it keeps (d MAY be freed afterwards). MA_OK, or a negative code
     * with em saying which object and field. On an error *out MAY still be set: a record the
     * store keeps in place of the object (a refusal remembered by name, as the Open-Falcon
     * definitions keep one); the store then returns the error all the same, so it is logged. */
    int (*decode)(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                  struct ma_errmsg *em);
    void (*free)(struct ma_kube_meta *rec);
};

struct ma_kube_store;

/* A new empty store of cls's records (cls not owned, MUST outlive it). Never NULL. */
struct ma_kube_store *ma_kube_store_new(const struct ma_kube_record_class *cls);
/* Free the store and every record. NULL is a no-op. */
void ma_kube_store_free(struct ma_kube_store *s);

/* Insert or replace the record of the object at token obj of d (decoded by the class). Returns
 * the decode's code; on an error without a record the store is unchanged. Every modifying call
 * (upsert, delete, sweep) invalidates record pointers obtained before it. */
int ma_kube_store_upsert(struct ma_kube_store *s, const struct ma_json_doc *d, int obj,
                         struct ma_errmsg *em);
/* Remove namespace/name; MA_OK or MA_ERR_NOTFOUND. */
int ma_kube_store_delete(struct ma_kube_store *s, const char *namespace, const char *name);
/* Relist: mark every record of namespace (NULL: of all namespaces); upserts clear the mark;
 * sweep with the same namespace removes the records still marked and returns how many. Scoped so
 * one namespace's relist never touches what another informer is responsible for. */
void ma_kube_store_mark(struct ma_kube_store *s, const char *namespace);
size_t ma_kube_store_sweep(struct ma_kube_store *s, const char *namespace);

/* The record namespace/name ("" for cluster-scoped), or NULL. */
const struct ma_kube_meta *ma_kube_store_get(const struct ma_kube_store *s, const char *namespace,
                                             const char *name);
/* Call fn for each record of namespace (NULL: every namespace, one after the other in no fixed
 * order of namespaces) whose labels match sel (NULL: all), in name order within a namespace;
 * stops when fn returns non-zero and returns that value, else 0. Cost: the records of that
 * namespace only. fn MUST NOT modify the store. */
int ma_kube_store_each(const struct ma_kube_store *s, const char *namespace,
                       const struct ma_kube_selector *sel,
                       int (*fn)(const struct ma_kube_meta *rec, void *arg), void *arg);
size_t ma_kube_store_count(const struct ma_kube_store *s);
/* A counter that changes with every upsert, delete or sweep that removed a record: answers
 * built from the store stay valid while it stays the same. */
uint64_t ma_kube_store_generation(const struct ma_kube_store *s);

/* What one informer is responsible for: the records of namespace (NULL: all) in store. The
 * caller owns it; it MUST outlive the informer. */
struct ma_kube_store_scope {
    struct ma_kube_store *store;
    const char *namespace;
};
/* The informer handler keeping scope in step with a watch: upsert (refusing objects outside the
 * scope's namespace), delete, and mark/sweep of that namespace only on a relist. */
void ma_kube_store_informer_handler(struct ma_kube_store_scope *scope,
                                    struct ma_kube_informer_handler *out);

/* ---- record classes the backends share (kube/records.c) --------------------------------------- */

/* Any object as namespace, name and labels (deployments.apps, services, namespaces, ...: what a
 * Prometheus rule maps a series to). Records are struct ma_kube_meta. Refuses objects without
 * metadata.name, strings beyond Kubernetes' limits, more than MA_KUBE_MAX_LABELS labels. */
extern const struct ma_kube_record_class ma_kube_meta_class;

/* One address of a node (status.addresses[]). */
struct ma_kube_node_addr {
    const char *type; /* "InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS" */
    const char *address;
};

/* A Node as the kubelet backend needs it. Records of ma_kube_node_class. */
struct ma_kube_node {
    struct ma_kube_meta meta; /* namespace "" */
    const struct ma_kube_node_addr *addrs;
    size_t naddrs;
    int kubelet_port; /* status.daemonEndpoints.kubeletEndpoint.Port; 0 when absent */
    int ready;        /* status.conditions[type=Ready].status == "True" */
};
extern const struct ma_kube_record_class ma_kube_node_class;

/* The first address of type (e.g. "InternalIP") of n, or NULL. */
const char *ma_kube_node_address(const struct ma_kube_node *n, const char *type);

#endif
