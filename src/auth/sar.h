#ifndef MA_AUTH_SAR_H
#define MA_AUTH_SAR_H

#include <stddef.h>
#include <stdint.h>

#include "auth/review.h"
#include "base/err.h"

struct ma_kube_client;

/* Delegated authorization: SubjectAccessReview against kube-apiserver (spec 5.7). What is
 * particular to it: the request body and the reading of the answer; caching and coalescing are
 * auth/review.h's. The review key is the SubjectAccessReviewSpec JSON object; the verdict is
 * MA_AUTH_ALLOW or MA_AUTH_DENY and its text the authorizer's reason ("" if none). */

/* A reviewer posting through kc (not owned; MUST outlive it) with a decision cache of
 * MA_AUTH_SAR_CACHE_SLOTS entries, as kube's webhook authorizer: allowed answers live allow_ttl_ms,
 * denied ones deny_ttl_ms (<= 0: not cached). Use and free it with ma_auth_review_*. */
struct ma_auth_review *ma_auth_sar_new(struct ma_kube_client *kc, int64_t allow_ttl_ms,
                                       int64_t deny_ttl_ms);

/* Parse a SubjectAccessReview reply body: MA_AUTH_ALLOW / MA_AUTH_DENY with the reason copied to
 * reason[0..cap), or MA_ERR_SYNTAX / MA_ERR_DENIED (allowed and denied both true) with em. */
int ma_auth_sar_parse_reply(const char *body, size_t len, char *reason, size_t cap,
                            struct ma_errmsg *em);

#endif
