#ifndef MA_API_API_H
#define MA_API_API_H

#include "api/memo.h"
#include "http/server.h"
#include "provider/provider.h"

/* The aggregated-API front: one HTTP handler serving discovery, custom.metrics.k8s.io v1beta1 and
 * v1beta2, external.metrics.k8s.io v1beta1, /healthz /livez /readyz and /version from a provider
 * (shared/spec/api-protocol.md 1-3, 5.6, 5.8). Authentication and authorization happen before
 * this handler. */

/* A named readiness check shown by /readyz ("[+]cache/pods ok"): fn returns 1 when ready, else
 * 0 with a one-line state in why, which /readyz?verbose prints (it names caches and their sync
 * state, nothing secret). */
struct ma_api_check {
    const char *name;
    int (*fn)(void *arg, struct ma_errmsg *why);
    void *arg;
};

#define MA_API_MAX_CHECKS 64

struct ma_api_ctx {
    const struct ma_provider_class **provider;
    /* private */
    int _shutting_down;
    struct ma_api_check _checks[MA_API_MAX_CHECKS];
    size_t _nchecks;
    struct ma_api_memo _memo;
};

/* Serve from provider (not owned; MUST outlive the context). Never fails, allocates nothing. */
void ma_api_init(struct ma_api_ctx *api, const struct ma_provider_class **provider);

/* Free what serving allocated (reusable answers, api/memo.h); the context stays usable. */
void ma_api_release(struct ma_api_ctx *api);

/* The ma_http_handler_fn; api_ctx is a struct ma_api_ctx *. Answers GET and HEAD (else 405),
 * JSON only (406 when the Accept header allows neither JSON nor a wildcard). Answers before
 * returning, or later from the event loop when the provider answers asynchronously; if the
 * connection dies first, the provider's cancel is called through ex->on_abort. Uses ex->arena for
 * all request state. */
void ma_api_handle(void *api_ctx, struct ma_http_exchange *ex);

/* Add a readiness check (name and arg not copied: they MUST outlive api). MA_OK or MA_ERR_LIMIT
 * beyond MA_API_MAX_CHECKS. */
int ma_api_add_ready_check(struct ma_api_ctx *api, const char *name,
                           int (*fn)(void *arg, struct ma_errmsg *why), void *arg);

/* While on, /readyz fails ("[-]shutdown failed"), so load balancers drain us during graceful
 * shutdown; every other route keeps serving. */
void ma_api_set_shutting_down(struct ma_api_ctx *api, int on);

#endif
