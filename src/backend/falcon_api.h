#ifndef MA_BACKEND_FALCON_API_H
#define MA_BACKEND_FALCON_API_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "json/read.h"

struct ma_buf;
struct ma_net_loop;

/* The Open-Falcon read client (falcon-plus api POST /api/v1/graph/lastpoint with an Apitoken
 * header, or the old query module's POST /graph/last): last points of {endpoint, counter}
 * series, batched. The pure part (counter form, request body, Apitoken, reply parsing) does no
 * I/O; the asynchronous part runs on the event loop through http/client.h. */


/* The original adapter's defaults (its config.go): api host, Apitoken name and sig. */
#define MA_FALCON_DEFAULT_URL "api.monitor.ik.srv"
#define MA_FALCON_DEFAULT_NAME "k8s-falcon-metrics-adapter"
#define MA_FALCON_DEFAULT_SIG "default-token-used-in-server-side"
#define MA_FALCON_DEFAULT_TIMEOUT_MS 10000

enum ma_falcon_flavour {
    MA_FALCON_LASTPOINT = 0, /* falcon-plus api: POST /api/v1/graph/lastpoint, Apitoken header */
    MA_FALCON_GRAPH_LAST = 1 /* old query module: POST /graph/last, no auth (header still sent) */
};

/* One series asked for. Strings are NUL-terminated and caller-owned. */
struct ma_falcon_pair {
    const char *endpoint;
    const char *counter;
};

/* The answer for pairs[i] is points[i]. found = 0: the reply had no usable element for the pair
 * (Falcon omits series whose graph RPC failed) or its "value" was null/absent. has_value = 0:
 * "value":{"timestamp":..,"value":null} (Falcon prints NaN as null); value is then 0. Staleness
 * (timestamp 0 or old) is the caller's judgement. */
struct ma_falcon_point {
    int found;
    int has_value;
    int64_t timestamp;
    double value;
};

/* ==== pure functions ========================================================================= */

/* Canonical counter form, as Falcon keys its series (SortedTags): "metric" or "metric/k=v,k2=v2"
 * with tags sorted by key (byte order), written to out[0..cap) NUL-terminated. The metric ends at
 * the first '/'; each tag is split at its first '='; "metric/" is just "metric". Returns the
 * length, MA_ERR_SYNTAX (empty metric, empty tag, tag without '=' or with empty key, a duplicate
 * key, a space, control byte or one of ' " > that Falcon's graph refuses), MA_ERR_LIMIT (more than
 * MA_FALCON_MAX_TAGS tags), MA_ERR_NOSPACE (cap too small). in and out MUST NOT overlap. */
int ma_falcon_counter_normalize(const char *in, char *out, size_t cap);

/* Path of the lastpoint call for the flavour: "/api/v1/graph/lastpoint" or "/graph/last". */
const char *ma_falcon_path(enum ma_falcon_flavour flavour);

/* Append the request body (both flavours take the same):
 *   [{"endpoint":"<endpoint>","counter":"<counter>"},...]
 * MA_OK or MA_ERR_NOSPACE (out full; out->err is then set). */
int ma_falcon_body_write(struct ma_buf *out, const struct ma_falcon_pair *pairs, size_t n);

/* Append the Apitoken header value {"name":"<name>","sig":"<sig>"} (JSON-escaped as Go's
 * json.Marshal does, so it carries no CR or LF). MA_OK or MA_ERR_NOSPACE. */
int ma_falcon_token_write(struct ma_buf *out, const char *name, const char *sig);

/* Parse a 200 lastpoint reply body[0..len) for the request pairs[0..n) into points[0..n) (all
 * reset first). Reply elements are matched to pairs by exact endpoint and counter; unknown,
 * malformed or repeated elements are ignored (the last of a repeat wins), order is free, and an
 * element matches every equal request pair. Numbers of any JSON form are accepted (a fractional
 * timestamp is truncated). toks[0..max) is the jsmn scratch (MA_FALCON_TOKENS_PER_PAIR * n +
 * MA_FALCON_TOKENS_EXTRA suffices for a well-formed reply). Returns the number of pairs found, or
 * MA_ERR_UPSTREAM with em set: not JSON, too many tokens, not an array, or an error object
 * {"error":"..."} / {"msg":"..."} (em then holds that message). */
int ma_falcon_reply_parse(const char *body, size_t len, const struct ma_falcon_pair *pairs,
                          size_t n, struct ma_falcon_point *points, jsmntok_t *toks, int max,
                          struct ma_errmsg *em);

/* ==== asynchronous queries =================================================================== */

struct ma_falcon_api;
struct ma_falcon_query;

struct ma_falcon_api_config {
    const char *url;                 /* "host[:port]" (plain http, as the original), or
                                        "http://..." / "https://..." with an optional path prefix */
    enum ma_falcon_flavour flavour;
    const char *token_name;          /* Apitoken; NULL: MA_FALCON_DEFAULT_NAME */
    const char *token_sig;           /* NULL: MA_FALCON_DEFAULT_SIG */
    int64_t timeout_ms;              /* per request; 0: MA_FALCON_DEFAULT_TIMEOUT_MS */
    size_t max_batch;                /* pairs per request; 0: MA_FALCON_DEFAULT_BATCH */
    const void *ca_pem;              /* https only: trust anchors (PEM), see http/client.h */
    size_t ca_pem_len;
    int insecure_skip_verify;        /* https only: accept any certificate */
};

/* Storage for strings ma_falcon_api_config_env reads from a sig file. */
struct ma_falcon_env_store {
    char sig[1024];
};

/* Fill the fields of cfg that are still NULL from the environment, as the original does
 * (its config.go): url from FALCON_API_URL (unset or empty: MA_FALCON_DEFAULT_URL); the sig from
 * the file sig_file when not NULL (its contents with surrounding whitespace trimmed, kept in
 * *store, which MUST outlive cfg), else from FALCON_API_SIG; name from FALCON_API_NAME (default
 * when unset or empty). Quirk kept for compatibility: an empty sig replaces BOTH the name (unless
 * cfg->token_name was already set) and the sig by their defaults. Other pointers refer to the
 * environment or to string literals. Returns MA_OK, or MA_ERR_IO / MA_ERR_LIMIT / MA_ERR_SYNTAX
 * (sig file unreadable, larger than the store, or holding a CR/LF inside) with em set. */
int ma_falcon_api_config_env(struct ma_falcon_api_config *cfg, const char *sig_file,
                             struct ma_falcon_env_store *store, struct ma_errmsg *em);

/* A client for cfg (copied, strings included). loop MUST outlive it. NULL with em when the URL
 * or the TLS material is unusable. */
struct ma_falcon_api *ma_falcon_api_new(struct ma_net_loop *loop,
                                        const struct ma_falcon_api_config *cfg,
                                        struct ma_errmsg *em);
/* Cancel every query (no callbacks) and free. NULL is a no-op. */
void ma_falcon_api_free(struct ma_falcon_api *api);

/* Called exactly once per query unless it was cancelled. err = MA_OK: points[i] answers pairs[i]
 * (points valid only during the call). Else err is MA_ERR_UPSTREAM or MA_ERR_TIMEOUT and em says
 * what an HPA condition should show: "Open-Falcon at X answered 401: token key is not set",
 * "Open-Falcon at X timed out after 10 s", "Open-Falcon at X: malformed reply: ...",
 * "Open-Falcon at X: connect ...". The callback MAY free the api or start queries. */
typedef void (*ma_falcon_done_fn)(int err, const struct ma_errmsg *em,
                                  const struct ma_falcon_point *points, size_t n, void *arg);

/* Ask for the last points of pairs[0..n) (copied; the caller's array may go at once). Requests
 * carry at most max_batch pairs each, at most MA_FALCON_MAX_INFLIGHT at a time; the first failed
 * request fails the whole query and stops the others. Never NULL; the callback always runs from
 * the loop, never inside this call (n = 0 included). */
struct ma_falcon_query *ma_falcon_api_query(struct ma_falcon_api *api,
                                            const struct ma_falcon_pair *pairs, size_t n,
                                            ma_falcon_done_fn on_done, void *arg);
/* Abandon a query: its callback will not run. MUST NOT be used once the callback has started. */
void ma_falcon_query_cancel(struct ma_falcon_query *q);

#endif
