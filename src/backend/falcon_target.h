#ifndef MA_BACKEND_FALCON_TARGET_H
#define MA_BACKEND_FALCON_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backend/falcon_def.h"
#include "base/str.h"
#include "provider/provider.h"
#include "provider/valcache.h"

struct ma_kube_store;
struct ma_falcon_defs;

/* The pure half of the Open-Falcon backend: which Falcon series a metrics request needs (one per
 * described object or external endpoint), and the answer once their samples are known. No I/O
 * and no clock: backend/falcon.c does the fetching and passes the time in. */

/* Where definitions and objects come from, and the defaults definitions may override. */
struct ma_falcon_target_src {
    const struct ma_kube_store *pods; /* records of ma_kube_pod_class */
    const struct ma_falcon_defs *custom, *external;
    int seed_names;        /* pods metrics without a CustomMetric: the original's convention */
    int64_t cache_ttl_ms;  /* --cache-ttl */
    int64_t stale_after_s; /* --stale-after */
    enum ma_falcon_stale_policy policy; /* --stale-policy (OMIT or ZERO) */
};

/* What one request needs. Arrays and strings (copies) live in the query's arena, so a target
 * outlives changes of the caches it was resolved from. keys[i] is
 * "endpoint\tcounter" (the value-cache key and the Falcon series); item i describes object
 * names[i] in namespaces[i] (custom) or endpoint names[i] (external). */
struct ma_falcon_target {
    enum ma_prov_kind kind;
    const char *obj_kind, *api_version; /* custom: "Pod" "/v1", "Deployment" "apps/v1"... */
    size_t n;
    const char **namespaces, **names;
    struct ma_str *keys;
    int64_t ttl_ms;        /* cache TTL for these series */
    int64_t stale_after_s;
    enum ma_falcon_stale_policy policy; /* OMIT or ZERO */
    enum ma_falcon_ext_mode mode;       /* external only */
};

/* Resolve q (custom or external) into *t. MA_OK: t is filled (t->n MAY be 0: no object matches,
 * an empty list). Otherwise q has been failed with the status the API should answer (404 unknown
 * metric or object, 400 for a pods metric name the seed convention cannot turn into a counter,
 * 500 arena exhausted) and a negative code is returned. Running pods only (not terminating):
 * others have no fresh series and the HPA ignores them either way. */
int ma_falcon_target_resolve(const struct ma_falcon_target_src *src, struct ma_prov_query *q,
                             struct ma_falcon_target *t);

/* Fill q's answer from samples[0..t->n) (as ma_valcache_lookup or a waiter reports them) at wall
 * time now. A sample with a value whose Falcon timestamp is > 0 and at most t->stale_after_s old
 * is served with that timestamp; a stale or absent one (unknown series, null) is left out
 * under OMIT and served as 0 stamped now under ZERO. A series whose fetch failed (FAILED, or
 * MISSING: never fetched) is served from an older cached value when that value is not stale;
 * if any such series has none, q fails with 503 and fail_msg (MAY be NULL when nothing failed).
 * External aggregates combine the served values into one item (none: no item). A named custom
 * object left without a value fails with 404 and the reason. */
void ma_falcon_target_answer(const struct ma_falcon_target *t,
                             const struct ma_valcache_sample *samples, time_t now,
                             struct ma_prov_query *q, const char *fail_msg);

/* Until when (monotonic ms) the answer ma_falcon_target_answer gives for samples stays the same,
 * if no pod or definition changes: the earliest moment a cached value expires (fetched_at +
 * t->ttl_ms) or a served value turns stale. 0 (do not reuse) when a series was not fetched
 * (failed, missing), when an item is a zero stamped now (its timestamp moves with the clock), or
 * when t->ttl_ms is 0. now is wall seconds, now_ms monotonic ms, both read together. */
int64_t ma_falcon_target_memo_until(const struct ma_falcon_target *t,
                                    const struct ma_valcache_sample *samples, time_t now,
                                    int64_t now_ms);

/* The Kubernetes kind and apiVersion of a custom-metrics group_resource ("deployments.apps" ->
 * "Deployment", "apps/v1"): a table of the usual workload resources, else a guess from the plural
 * (drop "s", capitalise; version v1 of the group). Writes into kind[0..kcap) and av[0..acap). */
void ma_falcon_target_kind(const char *group_resource, char *kind, size_t kcap, char *av,
                           size_t acap);

#endif
