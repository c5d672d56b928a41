/* kube-apiserver client configuration: kubeconfig (one context) or the pod's service account.
 * kubeconfig is YAML; it goes through yaml/ into JSON and is read with json/read.h. */
#include "kube/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "json/read.h"
#include "yaml/yaml.h"
#include "base/file.h"

/* ---- files ---------------------------------------------------------------------------------- */


/* RFC 6750 2.1 token68 is narrower, but kubeconfig tokens are opaque: any visible ASCII is
 * accepted; what matters is that nothing can break the request head. */
static int valid_token(const char *t, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
            return 0;
    return n > 0;
}

/* The token in the file at path, surrounding white space trimmed as client-go does. */
static int read_token(const char *path, char **tok, struct stat *st, struct ma_errmsg *em)
{
    char *buf;
    size_t n, a = 0;
    int r;

    *tok = NULL;
    if ((r = ma_file_read(path, MA_KUBE_MAX_BEARER_TOKEN, "token file", &buf, &n, st, em)) < 0)
        return r;
    while (a < n && strchr(" \t\r\n", buf[a]))
        a++;
    while (n > a && strchr(" \t\r\n", buf[n - 1]))
        n--;
    if (!valid_token(buf + a, n - a)) {
        ma_errmsg_set(em, "token file %s: %s", path,
                      n == a ? "empty" : "bytes other than visible ASCII");
        free(buf);
        return MA_ERR_SYNTAX;
    }
    memmove(buf, buf + a, n - a);
    buf[n - a] = '\0';
    *tok = buf;
    return MA_OK;
}

static char *join_path(const char *dir, size_t dirlen, const char *name)
{
    size_t n = strlen(name);
    char *p = ma_xmalloc(dirlen + 1 + n + 1);

    memcpy(p, dir, dirlen);
    p[dirlen] = '/';
    memcpy(p + dirlen + 1, name, n + 1);
    return p;
}

/* ---- kubeconfig ----------------------------------------------------------------------------- */

/* A kubeconfig being read. */
struct kc {
    const char *path;
    size_t dirlen; /* path[0..dirlen) is its directory; 0 when path has no '/' */
    struct ma_json_doc d;
    struct ma_errmsg *em;
};

__attribute__((format(printf, 3, 4))) static int bad(struct kc *k, int code, const char *fmt,
                                                     ...)
{
    char why[MA_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ma_errmsg_set(k->em, "kubeconfig %s: %s", k->path, why);
    return code;
}

/* String field `key` of obj as a heap copy; *out NULL when absent or null. A number is taken
 * as its text (a hand-written "namespace: 2024"); booleans and collections are errors. */
static int get_str(struct kc *k, int obj, const char *key, const char *where, char **out)
{
    int t = ma_json_get(&k->d, obj, key), n;
    const jsmntok_t *tok;

    *out = NULL;
    if (t < 0 || ma_json_is_null(&k->d, t))
        return MA_OK;
    tok = &k->d.tok[t];
    if (tok->type == JSMN_PRIMITIVE && strchr("tf", k->d.js[tok->start]) == NULL) {
        *out = ma_xstrndup(k->d.js + tok->start, (size_t)(tok->end - tok->start));
        return MA_OK;
    }
    if (tok->type != JSMN_STRING || (n = ma_json_str_len(&k->d, t)) < 0)
        return bad(k, MA_ERR_SYNTAX, "%s: %s must be a string", where, key);
    *out = ma_xmalloc((size_t)n + 1);
    ma_json_str(&k->d, t, *out, (size_t)n + 1);
    if (strlen(*out) != (size_t)n) {
        free(*out);
        *out = NULL;
        return bad(k, MA_ERR_SYNTAX, "%s: %s contains a NUL byte", where, key);
    }
    return MA_OK;
}

/* The `inner` mapping of the entry called name in the root's list `list` ("clusters",
 * "cluster"), or -1 when there is none. client-go refuses duplicate names; so do we. */
static int find_named(struct kc *k, const char *list, const char *inner, const char *name,
                      int *out)
{
    int arr = ma_json_get(&k->d, 0, list), it = 0, e, found = -1;

    *out = -1;
    if (arr < 0 || ma_json_is_null(&k->d, arr))
        return MA_OK;
    if (k->d.tok[arr].type != JSMN_ARRAY)
        return bad(k, MA_ERR_SYNTAX, "%s must be a list", list);
    while ((e = ma_json_next(&k->d, arr, &it, NULL)) >= 0) {
        if (k->d.tok[e].type != JSMN_OBJECT)
            return bad(k, MA_ERR_SYNTAX, "%s entries must be mappings", list);
        if (!ma_json_str_eq(&k->d, ma_json_get(&k->d, e, "name"), name))
            continue;
        if (found >= 0)
            return bad(k, MA_ERR_SYNTAX, "duplicate name \"%s\" in %s", name, list);
        found = e;
    }
    if (found < 0)
        return MA_OK;
    *out = ma_json_get(&k->d, found, inner);
    if (*out < 0 || k->d.tok[*out].type != JSMN_OBJECT)
        return bad(k, MA_ERR_SYNTAX, "%s entry \"%s\" has no %s mapping", list, name, inner);
    return MA_OK;
}

/* PEM material given as `file` (a path, relative to the kubeconfig) or `data` (base64). */
static int get_pem(struct kc *k, int obj, const char *file, const char *data, const char *where,
                   unsigned char **out, size_t *len)
{
    char *f = NULL, *d = NULL, *path, *buf;
    size_t n;
    int r;

    *out = NULL;
    *len = 0;
    if ((r = get_str(k, obj, file, where, &f)) < 0 || (r = get_str(k, obj, data, where, &d)) < 0)
        goto out;
    if (f && *f && d && *d) {
        r = bad(k, MA_ERR_SYNTAX, "%s: both %s and %s are given", where, file, data);
    } else if (d && *d) {
        n = strlen(d);
        *out = ma_xmalloc(MA_BASE64_DECODED_MAX(n));
        if ((r = ma_base64_decode(d, n, *out, MA_BASE64_DECODED_MAX(n))) <= 0) {
            free(*out);
            *out = NULL;
            r = bad(k, MA_ERR_SYNTAX, "%s: %s is not valid base64", where, data);
        } else {
            *len = (size_t)r;
            r = MA_OK;
        }
    } else if (f && *f) {
        path = f[0] == '/' || k->dirlen == 0 ? ma_xstrdup(f) : join_path(k->path, k->dirlen, f);
        r = ma_file_read(path, MA_TLS_MAX_PEM_FILE, file, &buf, &n, NULL, k->em);
        free(path);
        if (r == MA_OK && n == 0) {
            free(buf);
            r = bad(k, MA_ERR_SYNTAX, "%s: %s %s is empty", where, file, f);
        } else if (r == MA_OK) {
            *out = (unsigned char *)buf;
            *len = n;
        }
    }
out:
    free(f);
    free(d);
    return r;
}

/* Fields we cannot honour: ignoring them would connect or authenticate differently from what
 * the file says. */
static int refuse_present(struct kc *k, int obj, const char *const *keys, const char *where)
{
    int t;

    for (; *keys; keys++) {
        t = ma_json_get(&k->d, obj, *keys);
        if (t >= 0 && !ma_json_is_null(&k->d, t) &&
            !(k->d.tok[t].type == JSMN_STRING && k->d.tok[t].end == k->d.tok[t].start))
            return bad(k, MA_ERR_SYNTAX, "%s: %s is not supported", where, *keys);
    }
    return MA_OK;
}

static int load_cluster(struct kc *k, int cl, const char *name, struct ma_kube_config *cfg)
{
    static const char *const unsupported[] = {"proxy-url", NULL};
    char where[96];
    int t, r, https;

    snprintf(where, sizeof where, "cluster \"%s\"", name);
    if ((r = refuse_present(k, cl, unsupported, where)) < 0 ||
        (r = get_str(k, cl, "server", where, &cfg->server)) < 0 ||
        (r = get_str(k, cl, "tls-server-name", where, &cfg->server_name)) < 0)
        return r;
    if (cfg->server_name && !*cfg->server_name) {
        free(cfg->server_name);
        cfg->server_name = NULL;
    }
    if (!cfg->server || !*cfg->server)
        return bad(k, MA_ERR_SYNTAX, "%s has no server", where);
    https = strncmp(cfg->server, "https://", 8) == 0;
    if (!https && strncmp(cfg->server, "http://", 7) != 0)
        return bad(k, MA_ERR_SYNTAX, "%s: server must be an https:// or http:// URL", where);
    t = ma_json_get(&k->d, cl, "insecure-skip-tls-verify");
    if (!ma_json_is_null(&k->d, t) && ma_json_bool(&k->d, t, &cfg->insecure) < 0)
        return bad(k, MA_ERR_SYNTAX, "%s: insecure-skip-tls-verify must be true or false",
                   where);
    if ((r = get_pem(k, cl, "certificate-authority", "certificate-authority-data", where,
                     &cfg->ca_pem, &cfg->ca_pem_len)) < 0)
        return r;
    /* client-go: "specifying a root certificates file with the insecure flag is not allowed" */
    if (cfg->insecure && cfg->ca_pem)
        return bad(k, MA_ERR_SYNTAX, "%s: a certificate authority with insecure-skip-tls-verify",
                   where);
    /* a static binary has no system trust store to fall back on */
    if (https && !cfg->insecure && !cfg->ca_pem)
        return bad(k, MA_ERR_SYNTAX, "%s: no certificate-authority(-data) to verify the server",
                   where);
    return MA_OK;
}

static int load_user(struct kc *k, int u, const char *name, struct ma_kube_config *cfg)
{
    static const char *const unsupported[] = {"exec", "auth-provider", "username", "password",
                                              "as", "as-uid", "as-groups", "as-user-extra",
                                              NULL};
    char where[96], *file = NULL, *path, *tok;
    int r;

    snprintf(where, sizeof where, "user \"%s\"", name);
    if ((r = refuse_present(k, u, unsupported, where)) < 0 ||
        (r = get_pem(k, u, "client-certificate", "client-certificate-data", where,
                     &cfg->cert_pem, &cfg->cert_pem_len)) < 0 ||
        (r = get_pem(k, u, "client-key", "client-key-data", where, &cfg->key_pem,
                     &cfg->key_pem_len)) < 0)
        return r;
    if (!cfg->cert_pem != !cfg->key_pem)
        return bad(k, MA_ERR_SYNTAX, "%s: a client certificate needs its key and a key its "
                                     "certificate", where);
    if ((r = get_str(k, u, "token", where, &cfg->token)) < 0 ||
        (r = get_str(k, u, "tokenFile", where, &file)) < 0)
        return r;
    if (cfg->token && !*cfg->token) {
        free(cfg->token);
        cfg->token = NULL;
    }
    if (cfg->token && !valid_token(cfg->token, strlen(cfg->token)))
        return bad(k, MA_ERR_SYNTAX, "%s: token has bytes other than visible ASCII", where);
    if (file && *file) {
        path = file[0] == '/' || k->dirlen == 0 ? ma_xstrdup(file)
                                                : join_path(k->path, k->dirlen, file);
        cfg->token_file = path;
        if ((r = read_token(path, &tok, NULL, k->em)) < 0) {
            free(file);
            return r;
        }
        free(tok);
    }
    free(file);
    return MA_OK;
}

static int load_doc(struct kc *k, const char *context, struct ma_kube_config *cfg)
{
    char *ctxname = NULL, *cluster = NULL, *user = NULL, where[96];
    int ctx, cl, u, r;

    if (context && *context)
        ctxname = ma_xstrdup(context);
    else if ((r = get_str(k, 0, "current-context", "config", &ctxname)) < 0)
        return r;
    if (!ctxname || !*ctxname) {
        r = bad(k, MA_ERR_NOTFOUND, "no current-context (set one with kubectl config "
                                    "use-context)");
        goto out;
    }
    snprintf(where, sizeof where, "context \"%s\"", ctxname);
    if ((r = find_named(k, "contexts", "context", ctxname, &ctx)) < 0)
        goto out;
    if (ctx < 0) {
        r = bad(k, MA_ERR_NOTFOUND, "%s not found", where);
        goto out;
    }
    if ((r = get_str(k, ctx, "cluster", where, &cluster)) < 0 ||
        (r = get_str(k, ctx, "user", where, &user)) < 0 ||
        (r = get_str(k, ctx, "namespace", where, &cfg->namespace)) < 0)
        goto out;
    if (!cluster || !*cluster) {
        r = bad(k, MA_ERR_SYNTAX, "%s names no cluster", where);
        goto out;
    }
    if ((r = find_named(k, "clusters", "cluster", cluster, &cl)) < 0)
        goto out;
    if (cl < 0) {
        r = bad(k, MA_ERR_NOTFOUND, "cluster \"%s\" of %s not found", cluster, where);
        goto out;
    }
    if ((r = load_cluster(k, cl, cluster, cfg)) < 0)
        goto out;
    if (user && *user) {
        if ((r = find_named(k, "users", "user", user, &u)) < 0)
            goto out;
        if (u < 0) {
            r = bad(k, MA_ERR_NOTFOUND, "user \"%s\" of %s not found", user, where);
            goto out;
        }
        if ((r = load_user(k, u, user, cfg)) < 0)
            goto out;
    }
    if (!cfg->namespace || !*cfg->namespace) {
        free(cfg->namespace);
        cfg->namespace = ma_xstrdup("default");
    }
    cfg->origin = ma_xmalloc(strlen(k->path) + strlen(ctxname) + 32);
    sprintf(cfg->origin, "kubeconfig %s, context %s", k->path, ctxname);
out:
    free(ctxname);
    free(cluster);
    free(user);
    return r;
}

/* see kube/kubeconfig.h */
int ma_kube_config_load_file(struct ma_kube_config *cfg, const char *path, const char *context,
                             struct ma_errmsg *em)
{
    struct kc k = {path, 0, {0}, em};
    struct ma_errmsg yem = {{0}};
    struct ma_buf js;
    jsmn_parser jp;
    jsmntok_t *toks = NULL;
    const char *slash = strrchr(path, '/');
    char *text;
    size_t len;
    int r, n;

    memset(cfg, 0, sizeof *cfg);
    if (slash)
        k.dirlen = slash == path ? 1 : (size_t)(slash - path);
    if ((r = ma_file_read(path, MA_YAML_MAX_INPUT, "kubeconfig", &text, &len, NULL, em)) < 0)
        return r;
    /* the JSON form is at most 6x the YAML ("\x01" -> "\u0001", "~" -> "null") */
    ma_buf_init_heap(&js, 6 * len + 64);
    if ((r = ma_yaml_to_json(text, len, &js, &yem)) < 0) {
        r = bad(&k, r, "%s", yem.msg);
        goto out;
    }
    if (js.p[0] != '{') {
        r = bad(&k, MA_ERR_SYNTAX, "not a mapping (empty file?)");
        goto out;
    }
    jsmn_init(&jp);
    n = jsmn_parse(&jp, js.p, js.len, NULL, 0);
    if (n <= 0) { /* the YAML reader writes valid JSON */
        r = bad(&k, MA_ERR_SYNTAX, "internal error: JSON form does not parse");
        goto out;
    }
    toks = ma_xmalloc((size_t)n * sizeof *toks);
    if ((r = ma_json_parse(&k.d, js.p, js.len, toks, n, &yem)) < 0) {
        r = bad(&k, r, "%s", yem.msg);
        goto out;
    }
    r = load_doc(&k, context, cfg);
out:
    free(toks);
    ma_buf_free(&js);
    free(text);
    if (r < 0)
        ma_kube_config_free(cfg);
    return r;
}

/* ---- in-cluster ----------------------------------------------------------------------------- */

static int valid_host(const char *h)
{
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              *h == '.' || *h == '-' || *h == ':'))
            return 0;
    return 1;
}

static int valid_port(const char *p)
{
    long v = 0;

    if (*p == '\0' || *p == '0')
        return 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535)
            return 0;
    }
    return 1;
}

/* see kube/kubeconfig.h */
int ma_kube_config_load_incluster(struct ma_kube_config *cfg, const char *sa_dir,
                                  struct ma_errmsg *em)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    const char *ns = getenv("POD_NAMESPACE");
    char *path, *tok, *buf;
    size_t n, dirlen;
    int r, v6;

    memset(cfg, 0, sizeof *cfg);
    if (sa_dir == NULL)
        sa_dir = MA_KUBE_SA_DIR;
    dirlen = strlen(sa_dir);
    if (!host || !*host || !port || !*port) {
        ma_errmsg_set(em, "not running in a pod: KUBERNETES_SERVICE_HOST and "
                          "KUBERNETES_SERVICE_PORT are unset (use --kubeconfig)");
        return MA_ERR_NOTFOUND;
    }
    if (!valid_host(host) || !valid_port(port)) {
        ma_errmsg_set(em, "in-cluster: bad KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT");
        return MA_ERR_SYNTAX;
    }
    /* net.JoinHostPort: an IPv6 literal is bracketed */
    v6 = strchr(host, ':') != NULL;
    cfg->server = ma_xmalloc(strlen(host) + strlen(port) + 16);
    sprintf(cfg->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);

    cfg->token_file = join_path(sa_dir, dirlen, "token");
    if ((r = read_token(cfg->token_file, &tok, NULL, em)) < 0)
        goto fail;
    free(tok);
    path = join_path(sa_dir, dirlen, "ca.crt");
    r = ma_file_read(path, MA_TLS_MAX_PEM_FILE, "service-account CA", &buf, &n, NULL, em);
    free(path);
    if (r < 0)
        goto fail;
    cfg->ca_pem = (unsigned char *)buf;
    cfg->ca_pem_len = n;

    /* client-go inClusterClientConfig.Namespace: POD_NAMESPACE, the file, "default" */
    if (ns && *ns) {
        cfg->namespace = ma_xstrdup(ns);
    } else {
        path = join_path(sa_dir, dirlen, "namespace");
        if (ma_file_read(path, 256, "namespace", &buf, &n, NULL, NULL) == MA_OK) {
            while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
                buf[--n] = '\0';
            if (n > 0)
                cfg->namespace = buf;
            else
                free(buf);
        }
        free(path);
    }
    if (!cfg->namespace)
        cfg->namespace = ma_xstrdup("default");
    cfg->origin = ma_xmalloc(dirlen + 64);
    sprintf(cfg->origin, "in-cluster, service account in %s", sa_dir);
    return MA_OK;
fail:
    ma_kube_config_free(cfg);
    return r;
}

/* see kube/kubeconfig.h */
int ma_kube_config_load(struct ma_kube_config *cfg, const char *path, struct ma_errmsg *em)
{
    const char *env = getenv("KUBECONFIG");
    char *first;
    size_t n;
    int r;

    if (path && *path)
        return ma_kube_config_load_file(cfg, path, NULL, em);
    if (env && *env) {
        /* kubectl merges every entry; we take the first non-empty one */
        while (*env == ':')
            env++;
        n = strcspn(env, ":");
        if (n > 0) {
            first = ma_xstrndup(env, n);
            r = ma_kube_config_load_file(cfg, first, NULL, em);
            free(first);
            return r;
        }
    }
    return ma_kube_config_load_incluster(cfg, NULL, em);
}

/* see kube/kubeconfig.h */
void ma_kube_config_free(struct ma_kube_config *cfg)
{
    free(cfg->server);
    free(cfg->server_name);
    free(cfg->ca_pem);
    free(cfg->cert_pem);
    if (cfg->key_pem)
        memset(cfg->key_pem, 0, cfg->key_pem_len);
    free(cfg->key_pem);
    if (cfg->token)
        memset(cfg->token, 0, strlen(cfg->token));
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->namespace);
    free(cfg->origin);
    memset(cfg, 0, sizeof *cfg);
}

/* see kube/kubeconfig.h */
void ma_kube_config_http(const struct ma_kube_config *cfg, struct ma_http_client_config *hc)
{
    hc->url = cfg->server;
    hc->server_name = cfg->server_name;
    hc->ca_pem = cfg->ca_pem;
    hc->ca_pem_len = cfg->ca_pem_len;
    hc->insecure_skip_verify = cfg->insecure;
    hc->cert_pem = cfg->cert_pem;
    hc->cert_pem_len = cfg->cert_pem_len;
    hc->key_pem = cfg->key_pem;
    hc->key_pem_len = cfg->key_pem_len;
}

/* ---- bearer token source -------------------------------------------------------------------- */

struct ma_kube_token {
    char *file;  /* NULL: the static token only */
    char *tok;   /* current token, NULL when none */
    int stale;   /* re-read on the next get */
    int failing; /* the last re-read failed (logged once per failure streak) */
    struct stat seen; /* metadata of the file content in tok */
};

/* see kube/kubeconfig.h */
struct ma_kube_token *ma_kube_token_new(const struct ma_kube_config *cfg)
{
    struct ma_kube_token *t = ma_xcalloc(1, sizeof *t);

    if (cfg->token)
        t->tok = ma_xstrdup(cfg->token);
    if (cfg->token_file)
        t->file = ma_xstrdup(cfg->token_file);
    t->stale = 1;
    return t;
}

static void forget(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

/* see kube/kubeconfig.h */
void ma_kube_token_free(struct ma_kube_token *t)
{
    if (t == NULL)
        return;
    forget(t->tok);
    free(t->file);
    free(t);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* see kube/kubeconfig.h */
const char *ma_kube_token_get(struct ma_kube_token *t)
{
    struct ma_errmsg em;
    struct stat st;
    char *tok;

    if (t->file == NULL)
        return t->tok;
    if (!t->stale && stat(t->file, &st) == 0 && same_file(&st, &t->seen))
        return t->tok;
    if (read_token(t->file, &tok, &st, &em) < 0) {
        if (!t->failing)
            MA_LOG_W("bearer token: %s; %s", em.msg,
                     t->tok ? "keeping the previous token" : "sending no token");
        t->failing = 1;
        return t->tok;
    }
    if (t->failing)
        MA_LOG_I("bearer token file %s readable again", t->file);
    t->failing = 0;
    t->stale = 0;
    t->seen = st;
    forget(t->tok);
    t->tok = tok;
    return t->tok;
}

/* see kube/kubeconfig.h */
void ma_kube_token_invalidate(struct ma_kube_token *t)
{
    t->stale = 1;
}

static const char *source_get(void *arg)
{
    return ma_kube_token_get(arg);
}

static void source_invalidate(void *arg)
{
    ma_kube_token_invalidate(arg);
}

/* see kube/kubeconfig.h */
struct ma_kube_token_source ma_kube_token_source_of(struct ma_kube_token *t)
{
    struct ma_kube_token_source s = {source_get, source_invalidate, t};

    return s;
}
