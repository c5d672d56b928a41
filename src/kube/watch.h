#ifndef MA_KUBE_WATCH_H
#define MA_KUBE_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ma_net_loop;
struct ma_kube_client;
struct ma_json_doc;

/* An informer: keeps a store in step with one Kubernetes collection. Paginated LIST (limit +
 * continue), then WATCH from the list's resourceVersion with bookmarks; a dropped watch resumes
 * from the last resourceVersion seen; 410 Gone (an HTTP 410 or an ERROR event carrying 410) means
 * the history is gone: list again. Failures back off exponentially with jitter (0.5 s to 30 s), so
 * a kube-apiserver that is down costs one attempt per backoff step, never a busy loop. Memory is
 * bounded: one LIST page and one watch event at a time, each under a size limit. */

/* The store side. upsert() gets each added or modified object (LIST items too) as token `obj`
 * of d, valid only during the call; an error return is logged and the object skipped. remove()
 * gets the namespace ("" for cluster-scoped objects) and name of a deleted object; an object the
 * store does not hold is no error. A relist is bracketed by relist_begin() and relist_end():
 * objects not upserted in between no longer exist. */
struct ma_kube_informer_handler {
    void (*relist_begin)(void *arg);
    int (*upsert)(void *arg, const struct ma_json_doc *d, int obj, struct ma_errmsg *em);
    void (*remove)(void *arg, const char *namespace, const char *name);
    void (*relist_end)(void *arg);
    void *arg;
};

struct ma_kube_informer_config {
    const char *name;         /* for logs and /readyz?verbose: "pods", "custommetrics" */
    const char *path;         /* collection path: "/api/v1/pods", "/api/v1/namespaces/ns/pods" */
    int page_size;            /* LIST limit; 0: 500 */
    int64_t watch_timeout_s;  /* timeoutSeconds asked of each watch; 0: 300 (plus jitter) */
    size_t max_event_bytes;   /* one watch event; 0: MA_KUBE_MAX_EVENT_BYTES (a LIST page is
                                 bounded by the HTTP client's max_response_bytes) */
    int optional;             /* a custom resource whose CRD may be absent: a 404 on LIST is an
                                 empty, synced collection, listed again every 30 s */
};

struct ma_kube_informer;

/* A stopped informer; ma_kube_informer_start begins listing. Strings of cfg are copied; loop,
 * kc and the handler's arg are not owned and MUST outlive it. */
struct ma_kube_informer *ma_kube_informer_new(struct ma_net_loop *loop, struct ma_kube_client *kc,
                                              const struct ma_kube_informer_config *cfg,
                                              const struct ma_kube_informer_handler *h);
void ma_kube_informer_start(struct ma_kube_informer *inf);
void ma_kube_informer_free(struct ma_kube_informer *inf);

/* 1 once a complete LIST has been applied (stays 1 afterwards: the store is then usable, if
 * perhaps behind, while a relist runs). */
int ma_kube_informer_synced(const struct ma_kube_informer *inf);
/* One line for /readyz?verbose and logs: "pods: synced, watching at resourceVersion 1234" or
 * "pods: not synced: list failed: connect to 10.96.0.1:443: refused (retry in 2.1 s)". */
const char *ma_kube_informer_status(const struct ma_kube_informer *inf, char *buf, size_t cap);
/* Readiness-check form (arg: the informer): 1 once synced, else 0 with its status in why. */
int ma_kube_informer_ready(void *arg, struct ma_errmsg *why);

/* Counters for tests and /metrics. */
struct ma_kube_informer_stats {
    uint64_t lists, list_pages, watches, events, bookmarks, relists_410, skipped;
};
void ma_kube_informer_stats(const struct ma_kube_informer *inf, struct ma_kube_informer_stats *out);

#endif
