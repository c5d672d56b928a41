#ifndef MA_BACKEND_FALCON_H
#define MA_BACKEND_FALCON_H

#include <stdint.h>
#include <time.h>

#include "backend/falcon_api.h"
#include "backend/falcon_def.h"
#include "provider/provider.h"

struct ma_net_loop;
struct ma_kube_store;
struct ma_falcon_defs;

/* The Open-Falcon backend: serves the metrics that CustomMetric objects define (and, with
 * seed_names, any pods metric named by the original's convention) on custom.metrics.k8s.io, and
 * those of ExternalMetric objects on external.metrics.k8s.io, with values read from Falcon.
 *
 * A request maps each described object to one Falcon series (endpoint template x counter),
 * looks the series up in the value cache (provider/valcache.h), and sends ONE batched lastpoint
 * request for those it lacks; concurrent requests for series already being fetched wait for that
 * fetch instead of asking again. Series whose Falcon timestamp is 0 or older than stale_after are
 * stale: left out (MA_FALCON_STALE_OMIT) or reported as 0 (MA_FALCON_STALE_ZERO, the original's
 * behaviour). Unknown series and null values count as stale. Falcon failures answer 503 with
 * what went wrong, unless every object still has a usable cached value; the process never exits
 * over them. Everything runs on the loop thread. */

struct ma_backend_falcon_config {
    struct ma_falcon_api_config api;          /* copied, strings included */
    int64_t cache_ttl_ms;                     /* how long a fetched value is served; < 0: 50 s */
    int64_t stale_after_s;                    /* >= 1 */
    enum ma_falcon_stale_policy stale_policy; /* OMIT or ZERO */
    int seed_names;           /* pods metrics without a CustomMetric: the original's naming */
    size_t cache_max_entries; /* 0: MA_VALCACHE_MAX_ENTRIES_DEFAULT */
    /* The watched caches; not owned, MUST outlive the provider. Requests answer 503 until
     * caches_ready says they have synced (1; else 0 with the reason in why). */
    const struct ma_kube_store *pods; /* records of ma_kube_pod_class */
    const struct ma_falcon_defs *custom;   /* CustomMetric definitions */
    const struct ma_falcon_defs *external; /* ExternalMetric definitions */
    int (*caches_ready)(void *arg, struct ma_errmsg *why);
    void *caches_ready_arg;
    time_t (*wall_now)(void); /* NULL: ma_time_wall (staleness and zero-policy timestamps) */
};

/* A new provider, or NULL with em when the Falcon client cannot be made (bad URL, CA file). loop
 * is not owned and MUST outlive the provider. */
const struct ma_provider_class **ma_backend_falcon_new(struct ma_net_loop *loop,
                                                       const struct ma_backend_falcon_config *cfg,
                                                       struct ma_errmsg *em);
/* Free the provider: pending queries are dropped without their done callback (the HTTP server is
 * gone by then), Falcon requests in flight are cancelled. NULL is a no-op. */
void ma_backend_falcon_free(const struct ma_provider_class **p);

/* Counters for tests and logs. */
struct ma_backend_falcon_stats {
    uint64_t requests;       /* queries answered or pending */
    uint64_t falcon_queries; /* batched queries sent to Falcon (each MAY be split in requests) */
    uint64_t series_cached;  /* series answered from the cache */
    uint64_t series_fetched; /* series asked of Falcon */
    uint64_t failures;       /* Falcon queries that failed */
};
void ma_backend_falcon_stats(const struct ma_provider_class **p,
                             struct ma_backend_falcon_stats *out);

#endif
