#ifndef MA_HTTP_CLIENT_H
#define MA_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"

struct ma_net_loop;
struct ma_net_resolver;

/* Asynchronous HTTP/1.1 client on the event loop, for kube-apiserver (HTTPS) and backends such
 * as Open-Falcon (plain HTTP or HTTPS). One client per target server; it keeps a few idle
 * keep-alive connections to it. Calls never block: results come back through callbacks run on
 * the loop. No Accept-Encoding is sent (no compression). */

struct ma_http_client_config {
    const char *url;          /* base URL "https://host[:port]" or "http://host[:port]"; a path
                                 prefix is allowed ("https://h/prefix") and prepended to calls.
                                 An IP literal host is used as is; a host name is looked up
                                 through `resolver` (asynchronously: the loop never waits) */
    struct ma_net_resolver *resolver; /* borrowed, MUST outlive the client; NULL: the loop's
                                 (ma_net_resolver_of_loop: the one main attached, or one with
                                 the system files made on first use) */
    /* TLS (https only) */
    const void *ca_pem;       /* trust anchors: PEM bundle, one or more CERTIFICATE blocks */
    size_t ca_pem_len;
    int insecure_skip_verify; /* accept any server certificate (kubeconfig insecure-skip-tls-verify) */
    const char *server_name;  /* name to verify and send as SNI; NULL: the URL's host. An IP
                                 literal is checked against the certificate's IP SANs. */
    const void *cert_pem;     /* client certificate chain (PEM) and key, both or neither */
    size_t cert_pem_len;
    const void *key_pem;
    size_t key_pem_len;
    /* limits */
    int64_t connect_timeout_ms;  /* TCP connect + TLS handshake (0: 10 s) */
    int64_t idle_timeout_ms;     /* how long an idle pooled connection is kept (0: 50 s) */
    size_t max_response_bytes;   /* buffered calls: larger bodies fail with MA_ERR_LIMIT
                                    (0: MA_HTTP_MAX_RESPONSE) */
    int max_idle_conns;          /* pooled idle connections (default 2 when 0; < 0: none) */
};

struct ma_http_client;
struct ma_http_call;

/* What a call reports. status is 0 when no response head arrived. For buffered calls body holds
 * the whole (de-chunked) body; for streaming calls it is empty. */
struct ma_http_result {
    int err;                 /* MA_OK when a complete response arrived (any status); else
                                MA_ERR_IO, MA_ERR_TIMEOUT, MA_ERR_LIMIT, MA_ERR_SYNTAX, ... */
    struct ma_errmsg em;     /* detail when err != MA_OK ("connect to 10.0.0.1:443: refused",
                                "lookup kube.example: no such host (NXDOMAIN)"); a failed
                                lookup is MA_ERR_IO, or MA_ERR_TIMEOUT when DNS did not answer */
    int status;
    const struct ma_buf *body;
};

struct ma_http_call_params {
    const char *method;       /* "GET", "POST" */
    const char *path;         /* path and query, already percent-encoded ("/api/v1/pods?limit=500") */
    const char *headers;      /* extra header lines, each ending "\r\n" (Authorization, ...); MAY be NULL */
    const void *body;         /* request body (copied at start), MAY be NULL */
    size_t body_len;
    const char *content_type; /* for a body */
    int64_t timeout_ms;       /* whole call (0: none, e.g. a watch that lives long) */
    int64_t read_timeout_ms;  /* longest silence while waiting for bytes (0: none) */
    /* Streaming: when on_data is set, body bytes are delivered as they arrive (after chunked
     * decoding) instead of being buffered. Return MA_OK to continue; any other value aborts the
     * call: the connection is closed and on_done reports err = that value. */
    int (*on_data)(struct ma_http_call *call, const char *p, size_t n, void *arg);
    /* Called for streaming calls once the response head is in (before any on_data). */
    void (*on_head)(struct ma_http_call *call, int status, void *arg);
    /* Called exactly once when the call ends for any reason except ma_http_call_cancel. The
     * result and its body are valid only during the callback. */
    void (*on_done)(struct ma_http_call *call, const struct ma_http_result *res, void *arg);
    void *arg;
};

/* A client for cfg->url (the config and the PEM bytes are copied). NULL with em on a bad URL,
 * unusable TLS material, or (host names only) no resolver to be had. */
struct ma_http_client *ma_http_client_new(struct ma_net_loop *loop,
                                          const struct ma_http_client_config *cfg,
                                          struct ma_errmsg *em);
/* Cancel every call (no callbacks) and free. */
void ma_http_client_free(struct ma_http_client *c);
/* Replace the client certificate/key (rotation); new connections use it. MA_OK or SYNTAX. */
int ma_http_client_set_client_cert(struct ma_http_client *c, const void *cert_pem, size_t cert_len,
                                   const void *key_pem, size_t key_len, struct ma_errmsg *em);

/* Start a call. Never NULL: failures are reported through on_done from the loop. */
struct ma_http_call *ma_http_client_start(struct ma_http_client *c,
                                          const struct ma_http_call_params *p);
/* Abandon a call: no callback runs afterwards; its connection is closed (not pooled). Allowed
 * inside the call's own on_head/on_data; MUST NOT be used once on_done has started. */
void ma_http_call_cancel(struct ma_http_call *call);

/* First response header named `name` (case-insensitive) during on_head/on_done, or empty. */
struct ma_str ma_http_call_header(const struct ma_http_call *call, const char *name);

#endif
