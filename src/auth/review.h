#ifndef MA_AUTH_REVIEW_H
#define MA_AUTH_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ma_buf;
struct ma_kube_client;

/* A cached, coalesced POST of a review object (TokenReview, SubjectAccessReview) to kube-apiserver,
 * as kube's cached webhook authenticator and authorizer do. A review is named by a key (the bearer
 * token; the SubjectAccessReview spec JSON) and answered by a verdict with a text:
 *   TokenReview:         MA_AUTH_ALLOW + status.user JSON, or MA_AUTH_DENY + status.error text;
 *   SubjectAccessReview: MA_AUTH_ALLOW / MA_AUTH_DENY + status.reason.
 * Answers live ttl_ms[verdict] in a direct-mapped table of nslots entries (bounded memory; a
 * collision costs one more review, never a wrong answer: the full key is compared). Failed calls
 * are not cached. Identical keys in flight share one POST (an entry expiring under load would
 * otherwise send one review per waiting request): the first call leads, the others follow it. */

/* The two verdicts of a review (TokenReview: refused / authenticated). */
enum { MA_AUTH_DENY = 0, MA_AUTH_ALLOW = 1 };

/* What differs between review kinds: a constant the caller keeps for the reviewer's life. */
struct ma_auth_review_class {
    const char *kind; /* "TokenReview": the prefix of error messages */
    const char *path; /* the collection POSTed to: "/apis/authentication.k8s.io/v1/tokenreviews" */
    /* Append the review object for key[0..len) to b, at most 6 * len + 256 bytes (room for JSON
     * escaping of every byte). */
    void (*write_body)(struct ma_buf *b, const char *key, size_t len);
    /* Read a 2xx reply body[0..len): MA_AUTH_ALLOW / MA_AUTH_DENY with the answer's text appended
     * to text (a heap buffer of MA_AUTH_MAX_REVIEW_BYTES), or a negative code with em set. */
    int (*read_reply)(const char *body, size_t len, struct ma_buf *text, struct ma_errmsg *em);
};

struct ma_auth_review;
struct ma_auth_review_call;

/* A reviewer posting through kc (not owned; MUST outlive it; MAY be NULL when nothing is ever
 * started, as in unit tests) with class cls (not copied; MUST outlive it). ttl_ms[MA_AUTH_DENY] and
 * ttl_ms[MA_AUTH_ALLOW]: how long each verdict is cached; <= 0: not cached. nslots MUST be > 0. */
struct ma_auth_review *ma_auth_review_new(struct ma_kube_client *kc,
                                          const struct ma_auth_review_class *cls, size_t nslots,
                                          const int64_t ttl_ms[2]);
/* Free r (NULL: no-op); calls in flight are cancelled without callbacks. */
void ma_auth_review_free(struct ma_auth_review *r);

/* The cached answer for key[0..len) at monotonic time now_ms: the verdict, with *text
 * (NUL-terminated, *text_len bytes before the NUL) valid until the next call into this module.
 * MA_ERR_NOTFOUND when not cached or expired. No allocation. */
int ma_auth_review_cached(struct ma_auth_review *r, const char *key, size_t len, int64_t now_ms,
                          const char **text, size_t *text_len);

/* Called once with the verdict and its text (NUL-terminated, valid during the call), or with a
 * negative code (MA_ERR_UPSTREAM: transport error or non-2xx; else read_reply's code), text "" and
 * em set. */
typedef void (*ma_auth_review_cb)(void *arg, int verdict, const char *text, size_t text_len,
                                  const struct ma_errmsg *em);

/* Review key[0..len) (copied) and cache the answer; a call for a key already under review waits for
 * that review instead of posting. Never NULL; cb always runs later from the event loop, unless the
 * call is cancelled. */
struct ma_auth_review_call *ma_auth_review_start(struct ma_auth_review *r, const char *key,
                                                 size_t len, ma_auth_review_cb cb, void *arg);
/* Abandon c (NULL: no-op): its callback never runs; the POST goes on while others follow it. MUST
 * NOT be called from c's callback. */
void ma_auth_review_cancel(struct ma_auth_review_call *c);

/* Reviews posted so far (tests and the benchmark check the cache and the coalescing with it). */
uint64_t ma_auth_review_posted(const struct ma_auth_review *r);

#endif
