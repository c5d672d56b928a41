#ifndef MA_PROM_API_H
#define MA_PROM_API_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/flag.h"
#include "prom/query.h"
#include "prom/series.h"

struct ma_net_loop;

/* The Prometheus HTTP API client (/api/v1/series, /api/v1/query) on the event loop, configured
 * by prometheus-adapter's own flags with its defaults, so a prometheus-adapter Deployment's args
 * work unchanged. How prometheus-adapter (cmd/adapter/adapter.go, v0.12) builds its client, and
 * what this one does alike:
 *  - the URL always comes from --prometheus-url, whatever the auth source; its path is a prefix
 *    of /api/v1/... (a trailing '/' is dropped);
 *  - --prometheus-ca-file set: trust only that CA, and present --prometheus-client-tls-cert-file /
 *    -key-file when both are set; the kubeconfig flags are then NOT used (as there);
 *  - else --prometheus-auth-config FILE (a kubeconfig: its current context's cluster CA,
 *    tls-server-name, insecure-skip-tls-verify, and its user's client certificate, token or
 *    tokenFile; its server address is ignored) or --prometheus-auth-incluster (the pod's service
 *    account token and CA); both at once is an error;
 *  - else no TLS material: an https URL is checked against the system CA bundle if one exists;
 *  - --prometheus-token-file: "Authorization: Bearer <file content>" on every request, taking
 *    precedence over a kubeconfig token; unlike prometheus-adapter (read once) it is re-read
 *    when the file changes;
 *  - --prometheus-header "Name=value" (repeatable, split at the first '=', never at commas):
 *    sent on every request; a header named Authorization there wins over both tokens, as in Go
 *    where the request's own header stops the bearer round-tripper;
 *  - --prometheus-verb GET (parameters in the query string) or POST (form-encoded body).
 * Parameters are encoded as Go's url.Values.Encode does (keys sorted, spaces as '+'). */

/* Flag values. Strings point into argv (or are the defaults). */
struct ma_prom_flags {
    const char *url;          /* --prometheus-url, default "https://localhost" */
    int auth_incluster;       /* --prometheus-auth-incluster */
    const char *auth_config;  /* --prometheus-auth-config */
    const char *ca_file;      /* --prometheus-ca-file */
    const char *cert_file;    /* --prometheus-client-tls-cert-file */
    const char *key_file;     /* --prometheus-client-tls-key-file */
    const char *token_file;   /* --prometheus-token-file */
    struct ma_flag_list headers; /* --prometheus-header, "Name=value" */
    const char *verb;         /* --prometheus-verb, "GET" */
    int64_t relist_ms;        /* --metrics-relist-interval, 10m */
    int64_t max_age_ms;       /* --metrics-max-age, 0 = the relist interval (after _check) */
    int64_t timeout_ms;       /* --prometheus-timeout (ours), 10s */
    long long max_reply;      /* --prometheus-max-reply-bytes (ours), 8 MiB: query replies */
    const char *sa_dir;       /* in-cluster files (no flag: tests); NULL: the kubelet mount */
    /* private */
    char _why[MA_ERRMSG_SIZE];
};

/* The defaults above. */
void ma_prom_flags_init(struct ma_prom_flags *f);
/* Append the flag table entries to out (room for MA_PROM_NFLAGS); returns how many. */
#define MA_PROM_NFLAGS 13
size_t ma_prom_flags_table(struct ma_prom_flags *f, struct ma_flag *out);
/* Validate after parsing (exit 2 on error): URL shape, verb, cert without key, both auth sources,
 * header syntax, max-age < relist. Sets max_age_ms to relist_ms when 0. NULL when fine, else a
 * one-line reason (a literal or held in f). */
const char *ma_prom_flags_check(struct ma_prom_flags *f);

/* Append key=value form-encoded (Go url.QueryEscape: unreserved kept, ' ' -> '+', else %XX),
 * preceded by '&' when b is not empty. */
void ma_prom_form_append(struct ma_buf *b, const char *key, const char *value);

struct ma_prom_api;
struct ma_prom_call;

/* A client for f (copied: f and argv may go). Reads the CA, certificate, key and kubeconfig now;
 * the token file now (to check it) and again when it changes. loop MUST outlive it. NULL with em
 * ("--prometheus-ca-file /x: cannot open: ...") when something cannot be used. */
struct ma_prom_api *ma_prom_api_new(struct ma_net_loop *loop, const struct ma_prom_flags *f,
                                    struct ma_errmsg *em);
/* Cancel every call (no callbacks) and free. NULL is a no-op. */
void ma_prom_api_free(struct ma_prom_api *api);
/* The URL as given, for messages ("http://127.0.0.1:9090"). */
const char *ma_prom_api_url(const struct ma_prom_api *api);

/* Ends a call, exactly once unless cancelled. err MA_OK or MA_ERR_UPSTREAM / MA_ERR_TIMEOUT /
 * MA_ERR_LIMIT / the callback's stop value, with em naming Prometheus and the problem:
 * "Prometheus http://127.0.0.1:9090: query failed: bad_data: 1:5: parse error: ...",
 * "... series failed: timed out after 10s", "... HTTP 503", "... reply is not JSON (...)".
 * info: query calls only (NULL for series, and on error). The callback MAY start or cancel other
 * calls; it MUST NOT free the api. */
typedef void (*ma_prom_done_fn)(int err, const struct ma_errmsg *em,
                                const struct ma_prom_query_info *info, void *arg);

/* GET|POST /api/v1/series with match[] = each of match[0..nmatch) (copied), start and end in
 * seconds since the epoch (<= 0: omitted). The reply is read as it streams in: on_series(arg, ..)
 * runs once per series (see prom/series.h) before on_done. Never NULL. */
struct ma_prom_call *ma_prom_api_series(struct ma_prom_api *api, const char *const *match,
                                        size_t nmatch, double start, double end,
                                        ma_prom_series_fn on_series, ma_prom_done_fn on_done,
                                        void *arg);
/* GET|POST /api/v1/query with query = promql and time (<= 0: omitted, Prometheus uses now);
 * on_sample(arg, ..) runs once per sample (see prom/query.h), then on_done. Never NULL. */
struct ma_prom_call *ma_prom_api_query(struct ma_prom_api *api, const char *promql, double time,
                                       ma_prom_sample_fn on_sample, ma_prom_done_fn on_done,
                                       void *arg);
/* Abandon a call: no callback runs afterwards. MUST NOT be used from the call's own callbacks
 * (on_series / on_sample stop it by returning non-MA_OK) nor once on_done has started. */
void ma_prom_call_cancel(struct ma_prom_call *call);

#endif
