#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

#include "auth/attrs.h"
#include "auth/authcfg.h"
#include "auth/authn.h"
#include "auth/sar.h"
#include "auth/tokenreview.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "http/client.h"
#include "http/url.h"
#include "json/write.h"
#include "kube/client.h"
#include "kube/cluster.h"
#include "net/loop.h"
#include "tls/peercert.h"
#include "tls/server.h"

#define SEC 1000LL
#define DAY (86400 * SEC)

static const char cm_path[] =
    "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";

struct strs {
    size_t n;
    char **v; /* heap; each entry heap */
};

struct ma_auth {
    struct ma_net_loop *loop;
    struct ma_kube_client *kc; /* the ConfigMap and TokenReview (authn_cluster's or the main) */
    struct ma_kube_cluster *authn_cluster, *authz_cluster; /* owned; NULL: the main client */
    struct ma_tls_server *tls;
    const struct ma_auth_flags *f;
    ma_http_handler_fn next;
    void *next_ctx;
    int delegated;
    int passthrough; /* AlwaysAllow and nothing to authenticate with: hand requests straight on */
    int lookup;      /* read the ConfigMap */
    struct strs allowed, user_h, uid_h, group_h, extra_p, paths;
    struct ma_auth_cfg_flags cf;
    struct ma_auth_cfg *cfg;
    struct ma_auth_review *tr;  /* TokenReview */
    struct ma_auth_review *sar; /* SubjectAccessReview */
    /* ConfigMap reads */
    struct ma_kube_req *cm_req;
    char *cm_seen; /* body of the last ConfigMap applied (change detection) */
    size_t cm_seen_len;
    void (*ready)(void *arg, int ok);
    void *ready_arg;
    uint64_t timer;
};

/* ==== flags ===================================================================================== */

/* see auth/auth.h */
void ma_auth_flags_init(struct ma_auth_flags *f)
{
    memset(f, 0, sizeof *f);
    f->token_ttl_ms = 10 * SEC;
    f->allow_ttl_ms = 10 * SEC;
    f->deny_ttl_ms = 10 * SEC;
}

/* see auth/auth.h */
size_t ma_auth_flags_table(struct ma_auth_flags *f, struct ma_flag *out)
{
    size_t n = 0;

#define FLAG(...) out[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("authorization-mode", MA_FLAG_STRING, &f->mode,
         "Delegated (SubjectAccessReview) or AlwaysAllow (local use only); default: AlwaysAllow "
         "with --demo, else Delegated");
    FLAG("client-ca-file", MA_FLAG_STRING, &f->client_ca_file,
         "PEM CA bundle for client certificates (user = CN, groups = O); default: from the "
         "extension-apiserver-authentication ConfigMap");
    FLAG("requestheader-client-ca-file", MA_FLAG_STRING, &f->rh_ca_file,
         "PEM CA bundle of the front proxy whose certificate makes identity headers trusted; "
         "default: from the ConfigMap");
    FLAG("requestheader-allowed-names", MA_FLAG_LIST, &f->allowed_names,
         "front-proxy certificate CNs accepted (comma-separated or repeated; empty: any)");
    FLAG("requestheader-username-headers", MA_FLAG_LIST, &f->username_headers,
         "headers holding the user name (default X-Remote-User)");
    FLAG("requestheader-uid-headers", MA_FLAG_LIST, &f->uid_headers,
         "headers holding the user UID (default none)");
    FLAG("requestheader-group-headers", MA_FLAG_LIST, &f->group_headers,
         "headers holding groups, one per line (default X-Remote-Group)");
    FLAG("requestheader-extra-headers-prefix", MA_FLAG_LIST, &f->extra_prefixes,
         "header prefixes of user extras (default X-Remote-Extra-)");
    FLAG("authentication-kubeconfig", MA_FLAG_STRING, &f->authn_kubeconfig,
         "kubeconfig for TokenReview and the ConfigMap lookup (default: --kubeconfig or "
         "in-cluster)");
    FLAG("authorization-kubeconfig", MA_FLAG_STRING, &f->authz_kubeconfig,
         "kubeconfig for SubjectAccessReview (default: --kubeconfig or in-cluster)");
    FLAG("authentication-token-webhook-cache-ttl", MA_FLAG_DURATION, &f->token_ttl_ms,
         "cache TokenReview answers this long", 0, DAY);
    FLAG("authorization-webhook-cache-authorized-ttl", MA_FLAG_DURATION, &f->allow_ttl_ms,
         "cache allowed SubjectAccessReview answers this long", 0, DAY);
    FLAG("authorization-webhook-cache-unauthorized-ttl", MA_FLAG_DURATION, &f->deny_ttl_ms,
         "cache denied SubjectAccessReview answers this long", 0, DAY);
    FLAG("authorization-always-allow-paths", MA_FLAG_LIST, &f->always_allow_paths,
         "paths served without authorization (default /healthz,/readyz,/livez; \"/x/*\" "
         "matches a prefix)");
    FLAG("authentication-skip-lookup", MA_FLAG_BOOL, &f->skip_lookup,
         "do not read missing authentication settings from "
         "kube-system/extension-apiserver-authentication");
    FLAG("authentication-tolerate-lookup-failure", MA_FLAG_BOOL, &f->tolerate_lookup_failure,
         "start even if that ConfigMap cannot be read (without what it would have provided)");
#undef FLAG
    return n;
}

/* see auth/auth.h */
const char *ma_auth_flags_check(struct ma_auth_flags *f, int demo, int have_cluster)
{
    if (f->mode == NULL || f->mode[0] == '\0') {
        f->_delegated = !demo;
        f->_mode_explicit = 0;
    } else if (strcmp(f->mode, "Delegated") == 0 || strcmp(f->mode, "Webhook") == 0) {
        f->_delegated = 1;
        f->_mode_explicit = 1;
    } else if (strcmp(f->mode, "AlwaysAllow") == 0) {
        f->_delegated = 0;
        f->_mode_explicit = 1;
    } else {
        return "invalid value for --authorization-mode: want Delegated or AlwaysAllow";
    }
    if (f->authz_kubeconfig != NULL && f->authz_kubeconfig[0] != '\0')
        have_cluster = 1; /* for SubjectAccessReview, all Delegated needs */
    if (f->_delegated && !have_cluster)
        return "--authorization-mode=Delegated needs a kube-apiserver (--kubeconfig, "
               "--authorization-kubeconfig or in-cluster); use --authorization-mode=AlwaysAllow "
               "for local use";
    return NULL;
}

/* Go's StringSlice: each value may hold several, comma-separated. */
static void expand(const struct ma_flag_list *l, const char *def, struct strs *out)
{
    size_t i;

    out->n = 0;
    out->v = NULL;
    for (i = 0; i < l->n || (i == 0 && l->n == 0 && def != NULL); i++) {
        const char *s = l->n ? l->items[i] : def;

        for (;;) {
            const char *c = strchr(s, ',');
            size_t len = c ? (size_t)(c - s) : strlen(s);

            if (len > 0) {
                out->v = ma_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
                out->v[out->n] = ma_xmalloc(len + 1);
                memcpy(out->v[out->n], s, len);
                out->v[out->n++][len] = '\0';
            }
            if (c == NULL)
                break;
            s = c + 1;
        }
    }
}

static void strs_free(struct strs *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* ==== configuration =============================================================================== */

static int apply_config(struct ma_auth *a, const char *cm, size_t len, struct ma_errmsg *em)
{
    struct ma_auth_cfg *c = ma_auth_cfg_build(&a->cf, cm, len, em);

    if (c == NULL)
        return MA_ERR_SYNTAX;
    if (a->cfg == NULL || strcmp(a->cfg->rh_origin, c->rh_origin) != 0 ||
        strcmp(a->cfg->client_ca_origin, c->client_ca_origin) != 0)
        MA_LOG_I("authentication: client CA from %s, request-header CA from %s%s",
                 c->client_ca_origin, c->rh_origin,
                 a->tr != NULL ? ", bearer tokens via TokenReview" : "");
    ma_auth_cfg_free(a->cfg);
    a->cfg = c;
    if (a->tls != NULL) {
        struct ma_tls_anchors *sets[2];

        sets[0] = c->client_ca ? ma_tls_peercert_anchors(c->client_ca) : NULL;
        sets[1] = c->rh_ca ? ma_tls_peercert_anchors(c->rh_ca) : NULL;
        ma_tls_server_set_client_cas(a->tls, sets, 2);
    }
    return MA_OK;
}

static void call_ready(struct ma_auth *a, int ok)
{
    void (*ready)(void *, int) = a->ready;

    a->ready = NULL;
    if (ready != NULL)
        ready(a->ready_arg, ok);
}

static void on_configmap(const struct ma_http_result *res, void *arg)
{
    struct ma_auth *a = arg;
    struct ma_errmsg em;
    int first = a->ready != NULL;

    a->cm_req = NULL;
    if (res->err == MA_OK && res->status == 404) {
        /* Go: no ConfigMap is not an error; what it would provide stays off */
        if (first)
            MA_LOG_W("ConfigMap kube-system/extension-apiserver-authentication not found: client "
                     "certificate and front-proxy authentication stay off unless given by flags");
        if (a->cm_seen != NULL || first) {
            free(a->cm_seen);
            a->cm_seen = NULL;
            if (apply_config(a, NULL, 0, &em) != MA_OK)
                MA_LOG_E("authentication configuration: %s", em.msg);
        }
        call_ready(a, 1);
        return;
    }
    if (res->err != MA_OK || res->status != 200) {
        if (res->err != MA_OK)
            ma_errmsg_set(&em, "%s", res->em.msg);
        else
            ma_errmsg_set(&em, "kube-apiserver answered %d%s", res->status,
                          res->status == 403 ? " (missing RoleBinding to "
                                               "extension-apiserver-authentication-reader in "
                                               "kube-system?)"
                                             : "");
        if (!first) {
            MA_LOG_W("re-reading kube-system/extension-apiserver-authentication failed, keeping "
                     "the current configuration: %s", em.msg);
        } else if (a->f->tolerate_lookup_failure) {
            MA_LOG_W("unable to read kube-system/extension-apiserver-authentication, continuing "
                     "without it (--authentication-tolerate-lookup-failure): %s", em.msg);
            call_ready(a, 1);
        } else {
            MA_LOG_E("unable to load configmap based request-header-client-ca-file: %s (use "
                     "--authentication-tolerate-lookup-failure to start anyway)", em.msg);
            call_ready(a, 0);
        }
        return;
    }
    if (a->cm_seen != NULL && a->cm_seen_len == res->body->len &&
        memcmp(a->cm_seen, res->body->p, res->body->len) == 0) {
        /* unchanged; CA files given by flags may still have rotated */
        if ((a->cf.client_ca_file || a->cf.rh_ca_file) &&
            apply_config(a, a->cm_seen, a->cm_seen_len, &em) != MA_OK)
            MA_LOG_W("re-reading the CA files failed, keeping the current ones: %s", em.msg);
        call_ready(a, 1);
        return;
    }
    if (apply_config(a, res->body->p, res->body->len, &em) != MA_OK) {
        if (first && !a->f->tolerate_lookup_failure) {
            MA_LOG_E("kube-system/extension-apiserver-authentication: %s", em.msg);
            call_ready(a, 0);
            return;
        }
        MA_LOG_W("kube-system/extension-apiserver-authentication unusable, keeping the current "
                 "configuration: %s", em.msg);
        call_ready(a, 1);
        return;
    }
    if (!first)
        MA_LOG_I("authentication configuration reloaded from "
                 "kube-system/extension-apiserver-authentication");
    free(a->cm_seen);
    a->cm_seen = ma_xmalloc(res->body->len + 1);
    memcpy(a->cm_seen, res->body->p, res->body->len);
    a->cm_seen_len = res->body->len;
    call_ready(a, 1);
}

static void read_configmap(struct ma_auth *a)
{
    struct ma_kube_req_params p = {0};

    if (a->cm_req != NULL)
        return;
    p.path = cm_path;
    p.timeout_ms = 10 * SEC;
    p.on_done = on_configmap;
    p.arg = a;
    a->cm_req = ma_kube_request(a->kc, &p);
}

/* see auth/auth.h */
void ma_auth_reload(struct ma_auth *a)
{
    struct ma_errmsg em;

    if (a->lookup) {
        read_configmap(a);
    } else if (apply_config(a, NULL, 0, &em) != MA_OK) {
        /* the CA files rotate too (mounted Secrets) */
        MA_LOG_W("re-reading the CA files failed, keeping the current ones: %s", em.msg);
    }
}

static int64_t resync(struct ma_net_loop *loop, void *arg)
{
    (void)loop;
    ma_auth_reload(arg);
    return MA_AUTH_CONFIG_RESYNC_MS;
}

/* --authentication-kubeconfig / --authorization-kubeconfig: when path is set, a cluster
 * connection of its own (*out) whose client replaces *kc. Nothing is sent yet. */
static int other_cluster(struct ma_auth *a, const char *what, const char *path,
                         struct ma_kube_cluster **out, struct ma_kube_client **kc,
                         struct ma_errmsg *em)
{
    struct ma_errmsg e2;

    if (path == NULL || path[0] == '\0')
        return MA_OK;
    *out = ma_kube_cluster_new(a->loop, path, &e2);
    if (*out == NULL) {
        ma_errmsg_set(em, "--%s-kubeconfig: %s", what, e2.msg);
        return MA_ERR_SYNTAX;
    }
    *kc = ma_kube_cluster_client(*out);
    MA_LOG_I("--%s-kubeconfig: %s", what, ma_kube_cluster_origin(*out));
    return MA_OK;
}

/* see auth/auth.h */
struct ma_auth *ma_auth_new(struct ma_net_loop *loop, const struct ma_auth_flags *f, int demo,
                            struct ma_kube_client *kc, struct ma_tls_server *tls,
                            ma_http_handler_fn next, void *next_ctx, struct ma_errmsg *em)
{
    struct ma_auth *a = ma_xcalloc(1, sizeof *a);
    /* the demo's default (AlwaysAllow, no cluster lookups) keeps `--demo` a local toy */
    int quiet_demo = demo && !f->_mode_explicit;
    struct ma_kube_client *authz_kc = kc;

    a->loop = loop;
    if (other_cluster(a, "authentication", f->authn_kubeconfig, &a->authn_cluster, &kc, em) ||
        other_cluster(a, "authorization", f->authz_kubeconfig, &a->authz_cluster, &authz_kc, em)) {
        ma_auth_free(a);
        return NULL;
    }
    a->kc = kc;
    a->tls = tls;
    a->f = f;
    a->next = next;
    a->next_ctx = next_ctx;
    a->delegated = f->_delegated;
    expand(&f->allowed_names, NULL, &a->allowed);
    expand(&f->username_headers, NULL, &a->user_h);
    expand(&f->uid_headers, NULL, &a->uid_h);
    expand(&f->group_headers, NULL, &a->group_h);
    expand(&f->extra_prefixes, NULL, &a->extra_p);
    expand(&f->always_allow_paths, "/healthz,/readyz,/livez", &a->paths);
    a->cf.client_ca_file = f->client_ca_file;
    a->cf.rh_ca_file = f->rh_ca_file;
    a->cf.allowed_names = (const char *const *)a->allowed.v;
    a->cf.n_allowed_names = a->allowed.n;
    a->cf.username_headers = (const char *const *)a->user_h.v;
    a->cf.n_username_headers = a->user_h.n;
    a->cf.uid_headers = (const char *const *)a->uid_h.v;
    a->cf.n_uid_headers = a->uid_h.n;
    a->cf.group_headers = (const char *const *)a->group_h.v;
    a->cf.n_group_headers = a->group_h.n;
    a->cf.extra_prefixes = (const char *const *)a->extra_p.v;
    a->cf.n_extra_prefixes = a->extra_p.n;
    a->lookup = kc != NULL && !quiet_demo && !f->skip_lookup && !ma_auth_cfg_flags_complete(&a->cf);
    if (kc != NULL && !quiet_demo)
        a->tr = ma_auth_tokenreview_new(kc, f->token_ttl_ms);
    if (a->delegated)
        a->sar = ma_auth_sar_new(authz_kc, f->allow_ttl_ms, f->deny_ttl_ms);
    if (apply_config(a, NULL, 0, em) != MA_OK) {
        ma_auth_free(a);
        return NULL;
    }
    a->passthrough = !a->delegated && !a->lookup && a->tr == NULL && a->cfg->client_ca == NULL &&
                     a->cfg->rh_ca == NULL;
    if (!a->delegated)
        MA_LOG_W("authorization mode AlwaysAllow: every authenticated or anonymous request is "
                 "allowed (local use only; use --authorization-mode=Delegated in a cluster)");
    return a;
}

/* see auth/auth.h */
void ma_auth_start(struct ma_auth *a, void (*ready)(void *arg, int ok), void *arg)
{
    a->ready = ready;
    a->ready_arg = arg;
    a->timer = ma_net_loop_add_timer(a->loop, MA_AUTH_CONFIG_RESYNC_MS, resync, a);
    if (a->lookup)
        read_configmap(a);
    else
        call_ready(a, 1);
}

/* see auth/auth.h */
void ma_auth_free(struct ma_auth *a)
{
    if (a == NULL)
        return;
    if (a->timer)
        ma_net_loop_del_timer(a->loop, a->timer);
    ma_kube_req_cancel(a->cm_req);
    ma_auth_review_free(a->tr);
    ma_auth_review_free(a->sar);
    ma_kube_cluster_free(a->authn_cluster); /* after the requests above were cancelled */
    ma_kube_cluster_free(a->authz_cluster);
    ma_auth_cfg_free(a->cfg);
    strs_free(&a->allowed);
    strs_free(&a->user_h);
    strs_free(&a->uid_h);
    strs_free(&a->group_h);
    strs_free(&a->extra_p);
    strs_free(&a->paths);
    free(a->cm_seen);
    free(a);
}

/* see auth/auth.h */
uint64_t ma_auth_reviews_posted(const struct ma_auth *a)
{
    return (a->tr ? ma_auth_review_posted(a->tr) : 0) +
           (a->sar ? ma_auth_review_posted(a->sar) : 0);
}

/* ==== the request path ============================================================================ */

/* One request between authentication and the next handler (in the request arena). */
struct pending {
    struct ma_auth *a;
    struct ma_http_exchange *ex;
    struct ma_auth_user u;
    struct ma_str token;
    int had_error;
    struct ma_auth_review_call *tr;
    struct ma_auth_review_call *sar;
    struct ma_auth_attrs at;
    char *spec;
    size_t spec_len;
};

static void pass(struct pending *p)
{
    struct ma_http_exchange *ex = p->ex;

    ex->on_abort = NULL;
    ex->handler_data = NULL;
    p->a->next(p->a->next_ctx, ex);
}

static void unauthorized(struct pending *p, const char *why)
{
    static const char body[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
    struct ma_http_exchange *ex = p->ex;

    /* Go logs the cause ("Unable to authenticate the request"); the client only learns 401 */
    MA_LOG_W("unable to authenticate the request for %.*s from %s: %s", (int)ex->req.path.len,
             ex->req.path.p, ex->remote, why);
    ex->on_abort = NULL;
    ex->handler_data = NULL;
    ma_buf_reset(ex->body);
    ma_buf_append(ex->body, body, sizeof body - 1);
    ma_http_respond(ex, 401, "application/json", NULL);
}

/* responsewriters.InternalError: plain text, the request URI quoted */
static void internal_error(struct pending *p, const char *err)
{
    struct ma_http_exchange *ex = p->ex;

    MA_LOG_E("authorization of %.*s for user \"%s\" failed: %s", (int)ex->req.target.len,
             ex->req.target.p, p->u.name ? p->u.name : "-", err);
    ex->on_abort = NULL;
    ex->handler_data = NULL;
    ma_buf_reset(ex->body);
    ma_buf_appendf(ex->body, "Internal Server Error: \"%.*s\": %s\n", (int)ex->req.target.len,
                   ex->req.target.p, err);
    ma_http_respond(ex, 500, "text/plain; charset=utf-8", "X-Content-Type-Options: nosniff\r\n");
}

static void forbidden(struct pending *p, const char *reason)
{
    struct ma_http_exchange *ex = p->ex;

    MA_LOGV(2, "forbidden: user \"%s\" %s %s", p->u.name, p->at.verb, p->at.path);
    ex->on_abort = NULL;
    ex->handler_data = NULL;
    ma_buf_reset(ex->body);
    ma_auth_attrs_forbidden(&p->at, &p->u, reason, ex->body);
    ma_http_respond(ex, 403, "application/json", "X-Content-Type-Options: nosniff\r\n");
}

static void on_abort(struct ma_http_exchange *ex)
{
    struct pending *p = ex->handler_data;

    ma_auth_review_cancel(p->tr);
    ma_auth_review_cancel(p->sar);
    p->tr = NULL;
    p->sar = NULL;
}

static int always_allowed(const struct ma_auth *a, const char *path)
{
    size_t i;

    for (i = 0; i < a->paths.n; i++) {
        const char *s = a->paths.v[i];
        size_t n = strlen(s);

        if (n > 0 && s[n - 1] == '*' ? strncmp(path, s, n - 1) == 0 : strcmp(path, s) == 0)
            return 1;
    }
    return 0;
}

static void decided(struct pending *p, int decision, const char *reason)
{
    if (decision == MA_AUTH_ALLOW)
        pass(p);
    else
        forbidden(p, reason);
}

static void on_sar(void *arg, int decision, const char *reason, size_t len,
                   const struct ma_errmsg *em)
{
    struct pending *p = arg;

    (void)len; /* the reason is NUL-terminated */
    p->sar = NULL;
    if (decision < 0)
        internal_error(p, em->msg);
    else
        decided(p, decision, reason);
}

static void authorize(struct pending *p)
{
    struct ma_http_exchange *ex = p->ex;
    struct ma_auth *a = p->a;
    struct ma_buf b;
    struct ma_json_w w;
    const char *reason;
    char *path, *scratch, *mem, *method;
    size_t cap, reason_len;
    int n, d;

    ex->user = p->u.name;
    if (!a->delegated) {
        pass(p);
        return;
    }
    path = ma_arena_alloc(ex->arena, ex->req.path.len + 1);
    scratch = ma_arena_alloc(ex->arena, ex->req.path.len + 1);
    if (path == NULL || scratch == NULL) {
        internal_error(p, "request arena exhausted");
        return;
    }
    n = ma_http_url_decode_path(ex->req.path, path, ex->req.path.len);
    if (n < 0) {
        pass(p); /* the API layer answers 400 before routing, as Go's net/http would */
        return;
    }
    path[n] = '\0';
    if (always_allowed(a, path) || ma_auth_user_in_group(&p->u, "system:masters")) {
        pass(p);
        return;
    }
    method = ma_arena_strndup(ex->arena, ex->req.method.p, ex->req.method.len);
    ma_auth_attrs_parse(path, scratch, method ? method : "", &p->at);
    ma_auth_attrs_apply_query(&p->at, ex->req.query);
    /* the spec JSON: at most ~6x the escaped inputs, which the request head bounds */
    cap = 1024 + 6 * (ex->req.path.len + 64 * MA_AUTH_MAX_GROUPS);
    mem = ma_arena_alloc(ex->arena, cap);
    if (mem == NULL) {
        internal_error(p, "request arena exhausted");
        return;
    }
    ma_buf_init_fixed(&b, mem, cap);
    ma_json_w_init(&w, &b, 0);
    ma_auth_attrs_write_spec(&p->at, &p->u, &w);
    if (ma_json_w_end(&w) != MA_OK) {
        internal_error(p, "SubjectAccessReview spec too large");
        return;
    }
    p->spec = b.p;
    p->spec_len = b.len;
    d = ma_auth_review_cached(a->sar, p->spec, p->spec_len, ma_time_mono_ms(), &reason,
                              &reason_len);
    if (d != MA_ERR_NOTFOUND) {
        decided(p, d, reason);
        return;
    }
    ex->on_abort = on_abort;
    ex->handler_data = p;
    p->sar = ma_auth_review_start(a->sar, p->spec, p->spec_len, on_sar, p);
}

/* After TokenReview (or its cache): the token decides, unless it failed and something else
 * failed before (then 401 either way). */
static void token_outcome(struct pending *p, int rc, const struct ma_errmsg *em)
{
    if (rc == MA_OK)
        authorize(p);
    else if (rc == MA_ERR_NOSPACE)
        internal_error(p, "request arena exhausted");
    else
        unauthorized(p, em->msg);
}

static void on_tokenreview(void *arg, int verdict, const char *text, size_t len,
                           const struct ma_errmsg *em)
{
    struct pending *p = arg;
    struct ma_errmsg e2;

    p->tr = NULL;
    if (verdict < 0)
        unauthorized(p, em->msg);
    else
        token_outcome(p, ma_auth_tokenreview_user(verdict, text, len, p->ex->arena, &p->u, &e2),
                      &e2);
}

/* see auth/auth.h */
void ma_auth_handle(void *ctx, struct ma_http_exchange *ex)
{
    struct ma_auth *a = ctx;
    struct pending *p;
    struct ma_errmsg em;
    const char *text;
    size_t len;
    int rc;

    if (a->passthrough) {
        a->next(a->next_ctx, ex);
        return;
    }
    p = ma_arena_alloc(ex->arena, sizeof *p);
    if (p == NULL) {
        a->next(a->next_ctx, ex); /* the API layer answers its own 500 for a full arena */
        return;
    }
    memset(p, 0, sizeof *p);
    p->a = a;
    p->ex = ex;
    switch (ma_auth_authn(a->cfg, &ex->req, ex->peer, ma_time_wall(), a->tr != NULL, ex->arena,
                          &p->u, &p->token, &p->had_error, &em)) {
    case MA_AUTHN_FAILED:
        unauthorized(p, em.msg);
        return;
    case MA_AUTHN_USER:
    case MA_AUTHN_ANONYMOUS:
        authorize(p);
        return;
    case MA_AUTHN_TOKEN:
        break;
    }
    rc = ma_auth_review_cached(a->tr, p->token.p, p->token.len, ma_time_mono_ms(), &text, &len);
    if (rc != MA_ERR_NOTFOUND) {
        token_outcome(p, ma_auth_tokenreview_user(rc, text, len, ex->arena, &p->u, &em), &em);
        return;
    }
    ex->on_abort = on_abort;
    ex->handler_data = p;
    p->tr = ma_auth_review_start(a->tr, p->token.p, p->token.len, on_tokenreview, p);
}
