#ifndef MA_AUTH_AUTHN_H
#define MA_AUTH_AUTHN_H

#include <stddef.h>
#include <time.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/str.h"

struct ma_auth_cfg;
struct ma_http_req;
struct ma_tls_peer;

/* Who made a request (kube's user.Info). Strings and arrays live in the request arena. */
struct ma_auth_extra {
    const char *key;
    const char **values;
    size_t nvalues;
};

struct ma_auth_user {
    const char *name;
    const char *uid;          /* "" when none */
    const char **groups;
    size_t ngroups;
    struct ma_auth_extra *extras;
    size_t nextras;
    const char *method;       /* "requestheader", "x509", "token", "anonymous": for logs */
};

/* Outcome of the synchronous authenticators. */
enum ma_auth_authn_result {
    MA_AUTHN_USER,      /* *u is the authenticated user (system:authenticated included) */
    MA_AUTHN_TOKEN,     /* nobody yet, but a bearer token awaits TokenReview (*token) */
    MA_AUTHN_ANONYMOUS, /* no credentials at all: *u is system:anonymous */
    MA_AUTHN_FAILED     /* a credential failed (em says why): answer 401 */
};

/* Authenticate req over the TLS peer (NULL for plain connections) at wall time now, as kube's
 * delegating authenticator does (spec 5.5): (1) request headers, only when the peer's chain
 * verifies against cfg->rh_ca with clientAuth and, if cfg->allowed_names is not empty, its CN
 * is listed; (2) the client certificate against cfg->client_ca (user = CN, groups = O);
 * (3) a bearer token, left to the caller (MA_AUTHN_TOKEN, *token a slice of the request);
 * otherwise anonymous. The first success wins; if none succeeds and one failed, MA_AUTHN_FAILED
 * (but with a token pending the caller decides after TokenReview: *had_error tells).
 * want_token: 0 when no TokenReview is possible (a token then counts as no credential). cfg MAY be
 * NULL (nothing configured). Arena full: MA_AUTHN_FAILED with em saying so. */
enum ma_auth_authn_result ma_auth_authn(const struct ma_auth_cfg *cfg, const struct ma_http_req *req,
                                        const struct ma_tls_peer *peer, time_t now, int want_token,
                                        struct ma_arena *a, struct ma_auth_user *u,
                                        struct ma_str *token, int *had_error, struct ma_errmsg *em);

/* Append "system:authenticated" to u's groups unless present (kube's AuthenticatedGroupAdder).
 * MA_OK or MA_ERR_NOSPACE. */
int ma_auth_user_add_authenticated(struct ma_auth_user *u, struct ma_arena *a);
/* 1 if u is in group g. */
int ma_auth_user_in_group(const struct ma_auth_user *u, const char *g);

/* url.PathUnescape of s[0..n) into out (cap >= n+1), NUL-terminated; -1 when s has a bad escape
 * (the caller then uses s as is, as kube's unescapeExtraKey does). */
int ma_auth_path_unescape(const char *s, size_t n, char *out);

#endif
