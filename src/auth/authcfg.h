#ifndef MA_AUTH_AUTHCFG_H
#define MA_AUTH_AUTHCFG_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"

struct ma_tls_peercert;

/* The authentication configuration in force: the CA pools for client certificates and for the
 * front proxy, and the request-header names (spec 5.4, 5.5). Built from the flags, completed from
 * the kube-system/extension-apiserver-authentication ConfigMap where a flag was not given (as
 * Go's DelegatingAuthenticationOptions.ApplyTo does), and rebuilt whenever that ConfigMap or the
 * CA files change. Immutable once built: a rebuild makes a new one. */

struct ma_auth_list {
    size_t n;
    char *v[MA_AUTH_MAX_LIST]; /* heap strings */
};

/* What the flags say (strings borrowed from argv: they MUST outlive every config). */
struct ma_auth_cfg_flags {
    const char *client_ca_file;      /* --client-ca-file */
    const char *rh_ca_file;          /* --requestheader-client-ca-file */
    const char *const *allowed_names;  /* --requestheader-allowed-names, ... */
    size_t n_allowed_names;
    const char *const *username_headers;
    size_t n_username_headers;
    const char *const *uid_headers;
    size_t n_uid_headers;
    const char *const *group_headers;
    size_t n_group_headers;
    const char *const *extra_prefixes;
    size_t n_extra_prefixes;
};

struct ma_auth_cfg {
    struct ma_tls_peercert *client_ca; /* NULL: x509 client-certificate authentication off */
    struct ma_tls_peercert *rh_ca;     /* NULL: request-header authentication off */
    struct ma_auth_list allowed_names; /* empty: any CN the front-proxy CA signed */
    struct ma_auth_list username_headers, uid_headers, group_headers, extra_prefixes;
    const char *client_ca_origin, *rh_origin; /* "flag", "configmap" or "none", for logs */
};

/* Build a configuration from f and, for what f leaves out, the ConfigMap JSON object cm[0..len)
 * (cm MAY be NULL: no ConfigMap). Each CA comes from its flag's file when given, else from the
 * ConfigMap key (client-ca-file / requestheader-client-ca-file); the request-header names come
 * from the same source as the request-header CA (flags: X-Remote-User, X-Remote-Group,
 * X-Remote-Extra- by default; ConfigMap: its JSON-array keys). Returns the new configuration, or
 * NULL with em set (unreadable file, bad PEM, malformed ConfigMap). */
struct ma_auth_cfg *ma_auth_cfg_build(const struct ma_auth_cfg_flags *f, const char *cm, size_t len,
                                      struct ma_errmsg *em);
void ma_auth_cfg_free(struct ma_auth_cfg *c);

/* 1 when the flags alone make the configuration complete (no ConfigMap lookup needed): both CA
 * files given, as Go's lookup condition says. */
int ma_auth_cfg_flags_complete(const struct ma_auth_cfg_flags *f);

#endif
