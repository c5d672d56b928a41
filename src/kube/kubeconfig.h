#ifndef MA_KUBE_KUBECONFIG_H
#define MA_KUBE_KUBECONFIG_H

#include <stddef.h>

#include "base/err.h"
#include "http/client.h"
#include "kube/client.h"

/* How to reach kube-apiserver: from a kubeconfig file (as client-go's clientcmd reads one for a
 * single context) or from the pod's service account (client-go rest.InClusterConfig). The
 * result feeds ma_http_client_new (ma_kube_config_http) and the bearer-token source
 * (ma_kube_token_new). */

/* Where kubelet mounts the service-account token, ca.crt and namespace. */
#define MA_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Every pointer is heap memory owned by the struct (ma_kube_config_free); NULL when unset. */
struct ma_kube_config {
    char *server;          /* base URL, "https://10.96.0.1:443" */
    char *server_name;     /* kubeconfig tls-server-name: name to verify and send as SNI */
    unsigned char *ca_pem; /* trust anchors (PEM); NULL only with insecure */
    size_t ca_pem_len;
    int insecure;          /* insecure-skip-tls-verify */
    unsigned char *cert_pem; /* client certificate (PEM), with key_pem, or both NULL */
    size_t cert_pem_len;
    unsigned char *key_pem;
    size_t key_pem_len;
    char *token;           /* static bearer token */
    char *token_file;      /* bearer token file, re-read when it changes; wins over token, as
                              client-go's BearerTokenFile does */
    char *namespace;       /* context or service-account namespace; never NULL: "default" */
    char *origin;          /* for log lines: "kubeconfig /path, context ctx" or "in-cluster" */
};

/* Load the kubeconfig file at path for context (NULL: its current-context). Relative file paths
 * in it (certificate-authority, client-certificate, client-key, tokenFile) are resolved against
 * the file's directory, as kubectl does; *-data fields are base64. Errors, as in client-go's
 * validation: a field given both as file and as data, a CA with insecure-skip-tls-verify, a
 * certificate without its key, duplicate names in a list; and what we cannot honour: exec,
 * auth-provider, username/password, impersonation, proxy-url, an https server without any CA.
 * Unknown fields are ignored. Files are read now, the token file too (to check it); the token
 * source reads it again when it changes.
 * Returns MA_OK with *cfg filled; on error *cfg is empty and em says what and where:
 * MA_ERR_IO (a file cannot be read), MA_ERR_SYNTAX (bad YAML, types, base64, conflicting
 * fields), MA_ERR_NOTFOUND (no current-context, unknown context, cluster or user),
 * MA_ERR_LIMIT (file too large). */
int ma_kube_config_load_file(struct ma_kube_config *cfg, const char *path, const char *context,
                             struct ma_errmsg *em);

/* In-cluster configuration: server https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 * (an IPv6 host bracketed), CA from sa_dir/ca.crt, token file sa_dir/token (read once now to
 * check it), namespace from $POD_NAMESPACE, else sa_dir/namespace, else "default". sa_dir NULL
 * means MA_KUBE_SA_DIR. Returns MA_OK; MA_ERR_NOTFOUND when the variables are unset (not in a
 * pod); MA_ERR_IO when a file cannot be read; MA_ERR_SYNTAX for a bad host, port or token. */
int ma_kube_config_load_incluster(struct ma_kube_config *cfg, const char *sa_dir,
                                  struct ma_errmsg *em);

/* The adapter's choice: path (--kubeconfig) when not NULL/empty, else the first entry of
 * $KUBECONFIG when set, else in-cluster from MA_KUBE_SA_DIR. Returns as the loaders do. */
int ma_kube_config_load(struct ma_kube_config *cfg, const char *path, struct ma_errmsg *em);

/* Free every field; cfg is then empty (all NULL/0). Safe on an empty cfg. */
void ma_kube_config_free(struct ma_kube_config *cfg);

/* Point hc's url, server_name, TLS material and insecure flag at cfg's fields (other fields
 * untouched). The pointers borrow cfg: it MUST outlive hc until ma_http_client_new copied them. */
void ma_kube_config_http(const struct ma_kube_config *cfg, struct ma_http_client_config *hc);

/* ---- bearer token source -------------------------------------------------------------------- */

/* The bearer token of a config: its static token, or its token file's content, re-read when the
 * file's inode, size or modification time changed (kubelet rotates bound service-account tokens
 * by swapping a symlink) and after ma_kube_token_invalidate (a 401). Never logs the token. */
struct ma_kube_token;

/* A source for cfg's token or token file (copied: cfg may be freed afterwards). */
struct ma_kube_token *ma_kube_token_new(const struct ma_kube_config *cfg);
void ma_kube_token_free(struct ma_kube_token *t);

/* The current token, or NULL when the config has none (certificate authentication) or the file
 * never could be read. When a re-read fails (missing, empty, over MA_KUBE_MAX_BEARER_TOKEN, bytes that
 * cannot go into a header), the last good token is kept and a warning logged. The string stays
 * valid until the next call on t. */
const char *ma_kube_token_get(struct ma_kube_token *t);
/* Make the next ma_kube_token_get re-read the file whatever its metadata says. */
void ma_kube_token_invalidate(struct ma_kube_token *t);
/* The kube/client.h token source calling the two functions above on t (t MUST outlive it). */
struct ma_kube_token_source ma_kube_token_source_of(struct ma_kube_token *t);

#endif
