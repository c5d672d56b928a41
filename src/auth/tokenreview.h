#ifndef MA_AUTH_TOKENREVIEW_H
#define MA_AUTH_TOKENREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "auth/review.h"
#include "base/arena.h"
#include "base/err.h"

struct ma_kube_client;
struct ma_auth_user;

/* Bearer-token authentication through TokenReview against kube-apiserver (spec 5.5). What is
 * particular to it: the request body, the reading of the answer and the user it names; caching
 * (answers, authenticated or not, live ttl; failed calls are not cached, as kube's cached token
 * authenticator) and coalescing are auth/review.h's. The review key is the token; the verdict is
 * MA_AUTH_ALLOW with status.user JSON as its text, or MA_AUTH_DENY with kube's status.error. */

/* A reviewer posting through kc (not owned; MUST outlive it) with a cache of
 * MA_AUTH_TOKEN_CACHE_SLOTS entries living ttl_ms (<= 0: not cached). Use and free it with
 * ma_auth_review_*. */
struct ma_auth_review *ma_auth_tokenreview_new(struct ma_kube_client *kc, int64_t ttl_ms);

/* The user of a review answer (verdict and text[0..len) from ma_auth_review_cached or the review
 * callback). MA_OK: *u is the user (strings in a; the "system:authenticated" group included as
 * kube-apiserver sends it). MA_ERR_DENIED with em: the token was refused (em: kube's status.error),
 * or the user is malformed or over our bounds. MA_ERR_NOSPACE: arena full. */
int ma_auth_tokenreview_user(int verdict, const char *text, size_t len, struct ma_arena *a,
                             struct ma_auth_user *u, struct ma_errmsg *em);

/* Parse status.user of a TokenReview reply (the cached form) into *u in a. MA_OK, MA_ERR_SYNTAX,
 * MA_ERR_LIMIT (too many groups or extras), MA_ERR_NOSPACE. */
int ma_auth_tokenreview_parse_user(const char *json, size_t len, struct ma_arena *a,
                                   struct ma_auth_user *u);

#endif
