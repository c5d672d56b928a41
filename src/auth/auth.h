#ifndef MA_AUTH_AUTH_H
#define MA_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/flag.h"
#include "http/server.h"

struct ma_net_loop;
struct ma_kube_client;

/* Authentication and authorization in front of the API handler, like a Go aggregated API server
 * with delegated authn/authz (spec 5.4-5.7): an HTTP handler that identifies the caller
 * (front-proxy request headers, client certificate, bearer token via TokenReview, else
 * anonymous), authorizes it (SubjectAccessReview, cached; health paths and system:masters always
 * allowed), and hands allowed requests to the next handler. Fails closed: a bad credential is
 * 401, a denial 403, a failed review 500. */

/* The flags, named as the Go servers name them. Strings point into argv. */
struct ma_auth_flags {
    const char *mode; /* --authorization-mode: Delegated | AlwaysAllow (NULL: by backend) */
    const char *client_ca_file, *rh_ca_file;
    /* --authentication-kubeconfig (TokenReview, the ConfigMap) and --authorization-kubeconfig
     * (SubjectAccessReview): another cluster identity; NULL or "": the main kube client */
    const char *authn_kubeconfig, *authz_kubeconfig;
    struct ma_flag_list allowed_names, username_headers, uid_headers, group_headers,
        extra_prefixes, always_allow_paths;
    int64_t token_ttl_ms, allow_ttl_ms, deny_ttl_ms;
    int skip_lookup, tolerate_lookup_failure;
    /* private: resolved by ma_auth_flags_check */
    int _delegated, _mode_explicit;
};

/* Defaults: token cache 10 s, allow 10 s, deny 10 s, always-allowed /healthz /readyz /livez. */
void ma_auth_flags_init(struct ma_auth_flags *f);
/* Append the auth flag table entries to out (room for MA_AUTH_NFLAGS); returns how many. */
#define MA_AUTH_NFLAGS 16
size_t ma_auth_flags_table(struct ma_auth_flags *f, struct ma_flag *out);
/* Validate and resolve the mode: without --authorization-mode the demo backend (demo != 0) is
 * AlwaysAllow and every other backend Delegated. NULL when fine, else a one-line reason (exit
 * 2). have_cluster: a kube-apiserver is configured (Delegated needs one, or
 * --authorization-kubeconfig). */
const char *ma_auth_flags_check(struct ma_auth_flags *f, int demo, int have_cluster);

struct ma_auth;

/* The front handler for next(next_ctx, ex). kc (MAY be NULL: no cluster; not owned, MUST
 * outlive it) posts reviews and reads the ConfigMap, unless f names an authentication or
 * authorization kubeconfig: a client made from it (owned) does that part instead. tls (MAY be
 * NULL; not owned) is told the CA names to request client certificates for, at every
 * configuration change. f MUST outlive the result (it is read at every configuration reload).
 * NULL with em when the CA files or the kubeconfigs given do not load. Logs a warning when the
 * mode is AlwaysAllow. */
struct ma_tls_server;
struct ma_auth *ma_auth_new(struct ma_net_loop *loop, const struct ma_auth_flags *f, int demo,
                            struct ma_kube_client *kc, struct ma_tls_server *tls,
                            ma_http_handler_fn next, void *next_ctx, struct ma_errmsg *em);
void ma_auth_free(struct ma_auth *a);

/* Load the extension-apiserver-authentication ConfigMap when the flags leave something to it
 * (and lookups are not skipped), then call ready(arg, ok) once: ok 0 means the lookup failed and
 * --authentication-tolerate-lookup-failure is off, so the server must not start (the reason was
 * logged). Without a lookup, ready runs before this returns. Afterwards the ConfigMap and the CA
 * files are re-read every MA_AUTH_CONFIG_RESYNC_MS. */
void ma_auth_start(struct ma_auth *a, void (*ready)(void *arg, int ok), void *arg);

/* Re-read the ConfigMap (or the CA files) now, as the periodic re-read does (main.c: SIGHUP).
 * Requests keep the current configuration until the new one is in. */
void ma_auth_reload(struct ma_auth *a);

/* The ma_http_handler_fn; ctx is the struct ma_auth *. */
void ma_auth_handle(void *ctx, struct ma_http_exchange *ex);

/* Reviews posted so far (TokenReview, SubjectAccessReview), for tests and benchmarks. */
uint64_t ma_auth_reviews_posted(const struct ma_auth *a);

#endif
