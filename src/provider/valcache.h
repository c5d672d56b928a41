#ifndef MA_PROVIDER_VALCACHE_H
#define MA_PROVIDER_VALCACHE_H

#include "base/err.h"
#include "base/str.h"

#include <stddef.h>
#include <stdint.h>

/* Backend value cache: TTL + single-flight, shared by every request of one backend (issue 4,
 * "Value cache"). Keys are opaque byte strings chosen by the backend (Falcon: endpoint "\t"
 * counter). Each entry is one allocation with its key inline, found through a chained hash.
 *
 * Everything runs on the loop thread (net/loop.h); nothing here is thread-safe. The cache never
 * reads a clock: every call that needs the time takes now_ms (monotonic ms, ma_time_mono_ms()),
 * which MUST NOT decrease from call to call.
 *
 * Typical use by a backend answering one request for keys[0..n):
 *   m = ma_valcache_lookup(c, keys, n, ttl, now, samples, missing);
 *   if every sample is FRESH: answer now;
 *   else: if (m > 0) ma_valcache_begin_fetch(c, keys, missing, m, now, &f, em) and send ONE
 *         backend request for those keys; then
 *         w = ma_valcache_wait(c, keys, n, ttl, now, on_values, req); on_values later receives
 *         all n samples (own fetch and other requests' fetches alike).
 *   when the backend answers: ma_valcache_complete(c, f, results, nres, now), or on error
 *         ma_valcache_fail(c, f, code, msg, now).
 *   when the client goes away first: ma_valcache_cancel(c, w).
 *
 * Staleness is not decided here: a sample carries the backend's own timestamp for the caller to
 * judge. A FRESH sample only means "fetched from the backend less than ttl ms ago". */

struct ma_net_loop;

/* Bounds and default TTL (issue 4: 50 s default). */
#define MA_VALCACHE_TTL_DEFAULT_MS 50000
#define MA_VALCACHE_MAX_ENTRIES_DEFAULT 100000 /* ~100 B per entry: ~10 MB worst case */

struct ma_valcache_config {
    size_t max_entries;     /* >= 1; 0 means MA_VALCACHE_MAX_ENTRIES_DEFAULT */
    int64_t default_ttl_ms; /* used when a call passes ttl_ms < 0; < 0 here means the default */
};

/* State of one key as seen by one caller. */
enum {
    MA_VALCACHE_FRESH = 0,    /* stored less than ttl ms ago: sample fields valid */
    MA_VALCACHE_MISSING = 1,  /* not stored, or expired, and nobody is fetching it: fetch it */
    MA_VALCACHE_INFLIGHT = 2, /* a fetch is running: wait for it (ma_valcache_wait) */
    MA_VALCACHE_FAILED = 3    /* (waiters only) its fetch failed and no value is fresh enough */
};

/* One sample as copied out to callers. When state is MISSING or FAILED and an older stored value
 * exists, the fields still carry it (fetched_at >= 0) so a caller may judge it; fetched_at is -1
 * when nothing was ever stored. has_value = 0 means the backend answered but had no value (null,
 * unknown series): that answer is cached like a value. */
struct ma_valcache_sample {
    int state;
    int has_value;
    int64_t timestamp; /* backend sample time, Unix seconds (0 when the backend gave none) */
    double value;
    int64_t fetched_at; /* now_ms of the completing ma_valcache_complete, or -1 */
};

/* One backend answer for ma_valcache_complete. key is borrowed for the call only. */
struct ma_valcache_result {
    struct ma_str key;
    int has_value;
    int64_t timestamp;
    double value;
};

struct ma_valcache;
struct ma_valcache_fetch;  /* a batch of keys marked in flight */
struct ma_valcache_waiter; /* a pending notification */

/* Waiter callback, always run from a loop timer (never inside a valcache call). samples[i] is the
 * state of keys[i] of the ma_valcache_wait call: FRESH, MISSING (it was neither fresh nor in
 * flight when the waiter was registered) or FAILED. err is MA_OK, or the code of the first failed
 * fetch among those waited for, with msg its message ("" when none); keys whose value was still
 * fresh are FRESH even then. samples and msg are owned by the cache and valid only during the
 * call. The waiter handle is freed when the callback returns: MUST NOT cancel it from inside or
 * after. The callback MAY call any valcache function except ma_valcache_free. */
typedef void (*ma_valcache_wait_fn)(void *arg, int err, const char *msg,
                                    const struct ma_valcache_sample *samples, size_t n);

/* A new empty cache. loop is borrowed (MUST outlive the cache) and used only for the 0 ms timers
 * that run waiter callbacks. cfg MAY be NULL (defaults); it is copied. Never NULL (OOM aborts). */
struct ma_valcache *ma_valcache_new(struct ma_net_loop *loop, const struct ma_valcache_config *cfg);

/* Free the cache, its entries, open fetch handles and pending waiters; no callback runs. Every
 * fetch and waiter handle becomes invalid. MUST NOT be called from a waiter callback. */
void ma_valcache_free(struct ma_valcache *c);

/* Classify keys[0..n) for a caller accepting values up to ttl_ms old (< 0: the default TTL).
 * samples_out[i] (n slots) gets the state and, when stored, the sample of keys[i]. The indices i
 * of the MISSING keys go, in order, to missing_out (n slots); returns their count (>= 0). A key
 * that is fresh for this ttl is FRESH even if another caller is refetching it. A key listed twice
 * is reported twice. Lookups do not count as use for eviction. Never schedules a callback. */
int ma_valcache_lookup(struct ma_valcache *c, const struct ma_str *keys, size_t n, int64_t ttl_ms,
                       int64_t now_ms, struct ma_valcache_sample *samples_out, size_t *missing_out);

/* Mark keys[idx[0..nidx)] in flight and set *out to the fetch handle the caller MUST later pass to
 * exactly one of ma_valcache_complete or ma_valcache_fail (until then the keys cannot be evicted).
 * The keys SHOULD be the ones lookup just reported MISSING; keys already in flight are skipped
 * (another fetch owns them) and duplicates count once, so the handle may hold fewer keys
 * (ma_valcache_fetch_count; it MAY be 0, and still MUST be completed or failed). New entries may
 * evict others (policy below). Returns MA_OK, or MA_ERR_LIMIT (*out = NULL, em
 * filled, nothing changed) when the new entries do not fit because the other entries are all in
 * flight: max_entries SHOULD exceed the largest batch. em MAY be NULL. */
int ma_valcache_begin_fetch(struct ma_valcache *c, const struct ma_str *keys, const size_t *idx,
                            size_t nidx, int64_t now_ms, struct ma_valcache_fetch **out,
                            struct ma_errmsg *em);

/* Keys owned by a fetch, for building the one backend request. The slice points into the cache
 * entry and stays valid until the fetch is completed or failed. i MUST be < fetch_count. */
size_t ma_valcache_fetch_count(const struct ma_valcache_fetch *f);
struct ma_str ma_valcache_fetch_key(const struct ma_valcache_fetch *f, size_t i);

/* The backend answered: store res[0..nres) for the fetch's keys at fetched_at = now_ms (results for
 * keys not in this fetch are ignored; a key given twice keeps the last); a fetch key absent from
 * res is stored as has_value = 0 (the backend knows no such series). Then the waiters of these
 * keys are scheduled, in registration order. f is freed: MUST NOT be used again. */
void ma_valcache_complete(struct ma_valcache *c, struct ma_valcache_fetch *f,
                          const struct ma_valcache_result *res, size_t nres, int64_t now_ms);

/* The backend failed with err (< 0, e.g. MA_ERR_UPSTREAM) and msg (MAY be NULL; copied). Stored
 * values are kept unchanged (so still-fresh ones keep being served); keys that never had a value
 * are dropped. Waiters are scheduled with err and msg, in registration order. f is freed. */
void ma_valcache_fail(struct ma_valcache *c, struct ma_valcache_fetch *f, int err, const char *msg,
                      int64_t now_ms);

/* Register cb(arg, ...) to run once every key of keys[0..n) that is in flight (and not fresh for
 * ttl_ms) has been completed or failed; keys that are fresh or missing now are reported as they
 * are now. When nothing is in flight the callback is still deferred to a 0 ms loop timer: it never
 * runs inside this call. keys are borrowed for the call only. Returns the
 * handle, valid until the callback starts or ma_valcache_cancel. Never NULL. */
struct ma_valcache_waiter *ma_valcache_wait(struct ma_valcache *c, const struct ma_str *keys,
                                            size_t n, int64_t ttl_ms, int64_t now_ms,
                                            ma_valcache_wait_fn cb, void *arg);

/* Drop a waiter whose callback has not started (the client went away): cb will not run, the
 * handle is freed. The fetches it waited on continue and still fill the cache. */
void ma_valcache_cancel(struct ma_valcache *c, struct ma_valcache_waiter *w);

/* Eviction policy: when a new entry is needed and max_entries are in use, the entry least
 * recently fetched (oldest store by complete, or oldest begin_fetch for one never stored) that is
 * not in flight is removed. Expired entries are not swept: they stay until evicted or refetched,
 * so memory is bounded by max_entries alone. */

#endif
