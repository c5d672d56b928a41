#ifndef MA_CMD_SERVE_H
#define MA_CMD_SERVE_H

#include <stdint.h>
#include <sys/stat.h>

#include "api/api.h"
#include "base/flag.h"
#include "net/resolv.h"

struct ma_net_loop;
struct ma_tls_server;
struct ma_http_server;
struct ma_auth;
struct ma_auth_flags;
struct ma_kube_client;

/* The serving side of the server command, whatever the backends: the event loop with its
 * signals, the HTTPS listener with its certificate (generated, or loaded from files and reloaded
 * on SIGHUP and on change), authentication in front of the API handler, and graceful shutdown
 * (SIGTERM/SIGINT: /readyz fails, in-flight requests get --shutdown-grace). main.c composes it
 * with the backends. */

struct ma_serve_flags {
    long long secure_port;
    const char *bind_address;
    const char *tls_cert_file, *tls_key_file, *cert_dir;
    struct ma_flag_list tls_sans;
    long long max_header_bytes, max_line_bytes, max_conns;
    int64_t header_timeout_ms, idle_timeout_ms, handshake_timeout_ms, shutdown_grace_ms;
    struct ma_net_resolver_config resolv; /* --resolv-conf, --hosts-file */
};

/* The defaults (port 6443 on 0.0.0.0, limits of base/limits.h). */
void ma_serve_flags_init(struct ma_serve_flags *f);
/* Append the serving flags bound to f (at most MA_SERVE_NFLAGS); returns how many. */
#define MA_SERVE_NFLAGS (16 + MA_NET_RESOLV_NFLAGS)
size_t ma_serve_flags_table(struct ma_serve_flags *f, struct ma_flag *out);
/* NULL when the combination makes sense, else a one-line reason (exit 2). */
const char *ma_serve_flags_check(const struct ma_serve_flags *f);

struct ma_serve {
    struct ma_net_loop *loop;
    struct ma_tls_server *tls;
    struct ma_api_ctx api; /* its provider is set by ma_serve_run */
    /* private */
    const struct ma_serve_flags *_f;
    struct ma_http_server *_http;
    struct ma_auth *_auth;
    int _sigfd, _stopping, _start_failed;
    int64_t _stop_deadline;
    struct stat _cert_st, _key_st;
};

/* Make the loop (signals arrive on it), the serving certificate and the TLS server, and an API
 * context without a provider yet (backends add readiness checks to s->api). f MUST outlive s.
 * MA_OK, or a negative code after logging why. */
int ma_serve_open(struct ma_serve *s, const struct ma_serve_flags *f);
/* Serve provider behind authentication (af, open_by_default and kc as ma_auth_new takes them:
 * kc MAY be NULL) until a signal and the grace period end it. Returns the exit status: 0 after a
 * graceful stop, 1 when authentication or listening failed (logged). */
int ma_serve_run(struct ma_serve *s, const struct ma_provider_class **provider,
                 const struct ma_auth_flags *af, int open_by_default, struct ma_kube_client *kc);
/* Free the HTTP server and authentication: what calls into the backends. Call after
 * ma_serve_run, before the backends are stopped. */
void ma_serve_close(struct ma_serve *s);
/* Free the rest (TLS server, loop, signal descriptor). */
void ma_serve_free(struct ma_serve *s);

#endif
