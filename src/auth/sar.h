#ifndef MA_AUTH_SAR_H
#define MA_AUTH_SAR_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ma_kube_client;

/* Delegated authorization: SubjectAccessReview against kube-apiserver (spec 5.7) with a decision
 * cache keyed by the review's spec JSON, as kube's webhook authorizer does: allowed answers live
 * allow_ttl, denied ones deny_ttl; failed calls are not cached. The cache is a direct-mapped table
 * of MA_AUTH_SAR_CACHE_SLOTS entries (bounded memory; a collision costs one more review). */

struct ma_auth_sar;
struct ma_auth_sar_call;

enum { MA_AUTH_DENY = 0, MA_AUTH_ALLOW = 1 };

/* A reviewer posting through kc (not owned; MUST outlive it). */
struct ma_auth_sar *ma_auth_sar_new(struct ma_kube_client *kc, int64_t allow_ttl_ms,
                                    int64_t deny_ttl_ms);
/* Free; calls in flight are cancelled without callbacks. */
void ma_auth_sar_free(struct ma_auth_sar *s);

/* The cached decision for spec[0..len) at monotonic time now_ms: MA_AUTH_ALLOW or MA_AUTH_DENY,
 * with *reason (the authorizer's reason, "" if none) valid until the next call into this module;
 * MA_ERR_NOTFOUND when not cached or expired. No allocation. */
int ma_auth_sar_cached(struct ma_auth_sar *s, const char *spec, size_t len, int64_t now_ms,
                       const char **reason);

/* Called once with MA_AUTH_ALLOW / MA_AUTH_DENY and the reason (valid during the call), or a
 * negative code with em set when the review failed (transport error, non-2xx, bad reply, or
 * allowed and denied both set). */
typedef void (*ma_auth_sar_cb)(void *arg, int decision, const char *reason,
                               const struct ma_errmsg *em);

/* Post a review of spec[0..len) (a SubjectAccessReviewSpec JSON object; copied) and cache the
 * answer; a call for a spec already under review waits for that review instead of posting. Never NULL; the callback always runs later from the event loop, unless cancelled. */
struct ma_auth_sar_call *ma_auth_sar_start(struct ma_auth_sar *s, const char *spec, size_t len,
                                           ma_auth_sar_cb cb, void *arg);
/* Abandon c: its callback never runs. MUST NOT be called from c's callback. */
void ma_auth_sar_cancel(struct ma_auth_sar_call *c);

/* Reviews posted so far (tests and the benchmark check the cache with it). */
uint64_t ma_auth_sar_posted(const struct ma_auth_sar *s);

/* Parse a SubjectAccessReview reply body: MA_AUTH_ALLOW / MA_AUTH_DENY with the reason copied to
 * reason[0..cap), or MA_ERR_SYNTAX / MA_ERR_DENIED (allowed and denied both true) with em. */
int ma_auth_sar_parse_reply(const char *body, size_t len, char *reason, size_t cap,
                            struct ma_errmsg *em);

#endif
