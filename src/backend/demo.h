#ifndef MA_BACKEND_DEMO_H
#define MA_BACKEND_DEMO_H

#include <stdint.h>

#include "provider/provider.h"

struct ma_net_loop;
struct ma_kube_store;

/* The demo backend of `metrics-adapter --demo`: a fixed set of pods, deployments, the default
 * namespace and two nodes, with metrics computed from the clock (README.md lists them).
 * Custom: pods and deployments.apps http_requests_per_second, namespaces
 * queue_length, nodes node_load1. External: demo_queue_depth, and demo_slow_queue, which answers
 * asynchronously after cfg->slow_delay_ms through a loop timer. */

struct ma_backend_demo_config {
    int64_t fixed_time;    /* epoch seconds the demo clock is frozen at; 0: the wall clock */
    int64_t slow_delay_ms; /* delay of demo_slow_queue (the --demo-slow-delay default is 10 s) */
    int num_pods;          /* pods in "default"; beyond the 5 of the contract, demo-load-0, 1, ...
                              labelled {app=demo-load} (load tests); <= 5: the 5 */
    /* A cluster is configured: pods come from this watched cache (any namespace) instead of the
     * demo's own list, and pods metrics answer 503 until pods_ready() says the cache has synced
     * (1; else 0 with the reason in why). Running, not terminating pods only: failed and
     * succeeded pods have no metrics, and pending ones have produced none yet (the HPA ignores
     * them either way: it skips pods not Running or being deleted). Not owned. */
    const struct ma_kube_store *pods; /* records of ma_kube_pod_class */
    int (*pods_ready)(void *arg, struct ma_errmsg *why);
    void *pods_ready_arg;
};

/* A new demo provider answering its slow metric on loop (not owned; MUST outlive the provider).
 * cfg is copied. Never NULL. */
const struct ma_provider_class **ma_backend_demo_new(struct ma_net_loop *loop,
                                                     const struct ma_backend_demo_config *cfg);
/* Free the provider. Pending slow queries are dropped without their done callback (the HTTP
 * server is gone by then). NULL is a no-op. */
void ma_backend_demo_free(const struct ma_provider_class **demo);

#endif
