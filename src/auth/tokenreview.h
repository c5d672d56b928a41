#ifndef MA_AUTH_TOKENREVIEW_H
#define MA_AUTH_TOKENREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/str.h"

struct ma_kube_client;
struct ma_auth_user;

/* Bearer-token authentication through TokenReview against kube-apiserver (spec 5.5), with the
 * answers (authenticated or not) cached for ttl, as kube's cached token authenticator does;
 * failed calls are not cached. Direct-mapped cache of MA_AUTH_TOKEN_CACHE_SLOTS entries. */

struct ma_auth_tokenreview;
struct ma_auth_tr_call;

struct ma_auth_tokenreview *ma_auth_tokenreview_new(struct ma_kube_client *kc, int64_t ttl_ms);
/* Free; calls in flight are cancelled without callbacks. */
void ma_auth_tokenreview_free(struct ma_auth_tokenreview *t);

/* Cached answer for token at monotonic now_ms. MA_OK: *u is the user (strings in a; the
 * "system:authenticated" group included as kube-apiserver sends it). MA_ERR_DENIED: the token was
 * refused (em: kube's status.error). MA_ERR_NOTFOUND: not cached. MA_ERR_NOSPACE: arena full. */
int ma_auth_tokenreview_cached(struct ma_auth_tokenreview *t, struct ma_str token, int64_t now_ms,
                               struct ma_arena *a, struct ma_auth_user *u, struct ma_errmsg *em);

/* Called once: MA_OK (the answer is cached now: ask ma_auth_tokenreview_cached) or a negative
 * code with em (the review call failed). */
typedef void (*ma_auth_tr_cb)(void *arg, int rc, const struct ma_errmsg *em);

/* Post a TokenReview for token (copied). Never NULL; the callback runs later from the loop unless
 * cancelled. */
struct ma_auth_tr_call *ma_auth_tokenreview_start(struct ma_auth_tokenreview *t, struct ma_str token,
                                                  ma_auth_tr_cb cb, void *arg);
/* Abandon c: its callback never runs. MUST NOT be called from c's callback. */
void ma_auth_tokenreview_cancel(struct ma_auth_tr_call *c);

/* Reviews posted so far. */
uint64_t ma_auth_tokenreview_posted(const struct ma_auth_tokenreview *t);

/* Parse status.user of a TokenReview reply (the cached form) into *u in a. MA_OK, MA_ERR_SYNTAX,
 * MA_ERR_LIMIT (too many groups or extras), MA_ERR_NOSPACE. */
int ma_auth_tokenreview_parse_user(const char *json, size_t len, struct ma_arena *a,
                                   struct ma_auth_user *u);

#endif
