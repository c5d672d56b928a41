#ifndef MA_KUBE_CLUSTER_H
#define MA_KUBE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ma_net_loop;
struct ma_kube_client;
struct ma_kube_store;
struct ma_kube_record_class;
struct ma_kube_informer;

/* The connection to one cluster: configuration (kubeconfig or in-cluster), the HTTPS client, the
 * rotating token, the kube API client, and the watched pods cache with one informer per watched
 * namespace (or one for all namespaces). Backends read the caches; an HPA request never reaches
 * kube-apiserver. */
struct ma_kube_cluster;

/* Load the configuration (kubeconfig path when not NULL/empty, else $KUBECONFIG, else in-cluster:
 * see ma_kube_config_load) and make the clients. Nothing is sent yet. NULL with em on failure. */
struct ma_kube_cluster *ma_kube_cluster_new(struct ma_net_loop *loop, const char *kubeconfig,
                                            struct ma_errmsg *em);
void ma_kube_cluster_free(struct ma_kube_cluster *c);

/* Start caching pods of namespaces[0..n) (n == 0: all namespaces). Call once. */
void ma_kube_cluster_watch_pods(struct ma_kube_cluster *c, const char *const *namespaces,
                                size_t n);
/* Start one more informer of collection path (a backend's custom resources, e.g.
 * "/apis/metrics.falcon/v1alpha1/custommetrics") feeding h (copied; h->arg MUST outlive c). name
 * shows in logs and /readyz ("cache/custommetrics"). It is listed by ma_kube_cluster_informers but
 * not counted by ma_kube_cluster_pods_ready. optional: see ma_kube_informer_config (a CRD that
 * may not be installed). NULL when too many informers exist already. */
struct ma_kube_informer_handler;
struct ma_kube_informer *ma_kube_cluster_watch(struct ma_kube_cluster *c, const char *name,
                                               const char *path, int optional,
                                               const struct ma_kube_informer_handler *h);
/* Start a store of cls's records kept in step with the collection at path (every namespace:
 * "/apis/apps/v1/deployments", "/api/v1/nodes"), at any time while the cluster lives (a
 * Prometheus rule's resources start at run time). name shows in logs and /readyz
 * ("cache/nodes"); register ma_kube_informer_ready with *inf (when inf is not NULL) as its
 * readiness check. optional: see ma_kube_informer_config. The store is owned by the cluster and
 * freed with it (after its informer); NULL (and *inf NULL) when too many informers exist. */
struct ma_kube_store *ma_kube_cluster_watch_store(struct ma_kube_cluster *c, const char *name,
                                                  const char *path,
                                                  const struct ma_kube_record_class *cls,
                                                  int optional, struct ma_kube_informer **inf);
/* The pods store (records of ma_kube_pod_class, kube/pods.h), after ma_kube_cluster_watch_pods. */
const struct ma_kube_store *ma_kube_cluster_pods(const struct ma_kube_cluster *c);
/* 1 when every pods informer has synced; else 0 with their states in why. arg: the cluster. */
int ma_kube_cluster_pods_ready(void *arg, struct ma_errmsg *why);

/* The informers, for readiness checks ("cache/pods", "cache/pods/<ns>"). */
size_t ma_kube_cluster_informers(const struct ma_kube_cluster *c,
                                 struct ma_kube_informer *const **out, const char *const **names);
/* One-line description for the start-up log ("kubeconfig /x, context y: https://...") */
const char *ma_kube_cluster_origin(const struct ma_kube_cluster *c);
struct ma_kube_client *ma_kube_cluster_client(const struct ma_kube_cluster *c);

#endif
