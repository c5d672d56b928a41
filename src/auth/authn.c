#include "auth/authn.h"

#include <string.h>

#include "auth/authcfg.h"
#include "base/limits.h"
#include "http/parse.h"
#include "tls/peercert.h"
#include "tls/server.h"

static const char *const anon_groups[] = {"system:unauthenticated"};

static char *dup_str(struct ma_arena *a, struct ma_str s)
{
    return ma_arena_strndup(a, s.p, s.len);
}

static int has_prefix_nocase(struct ma_str s, const char *prefix)
{
    size_t n = strlen(prefix);

    return s.len >= n && ma_str_eq_nocase(ma_str_make(s.p, n), prefix);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* see auth/authn.h */
int ma_auth_path_unescape(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= n)
                return -1;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return (int)o;
}

/* see auth/authn.h */
int ma_auth_user_in_group(const struct ma_auth_user *u, const char *g)
{
    size_t i;

    for (i = 0; i < u->ngroups; i++)
        if (strcmp(u->groups[i], g) == 0)
            return 1;
    return 0;
}

/* see auth/authn.h */
int ma_auth_user_add_authenticated(struct ma_auth_user *u, struct ma_arena *a)
{
    const char **g;

    if (ma_auth_user_in_group(u, "system:authenticated"))
        return MA_OK;
    g = ma_arena_alloc(a, (u->ngroups + 1) * sizeof *g);
    if (g == NULL)
        return MA_ERR_NOSPACE;
    if (u->ngroups)
        memcpy(g, u->groups, u->ngroups * sizeof *g);
    g[u->ngroups++] = "system:authenticated";
    u->groups = g;
    return MA_OK;
}

/* ---- request headers (spec 5.5, kube headerrequest) --------------------------------------------- */

/* First non-empty value among the headers named in l (each name's first line, as Header.Get). */
static const struct ma_http_header *first_value(const struct ma_http_req *req,
                                                const struct ma_auth_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        const struct ma_http_header *h = ma_http_req_header(req, l->v[i]);

        if (h != NULL && h->value.len > 0)
            return h;
    }
    return NULL;
}

static int add_extra(struct ma_auth_user *u, struct ma_arena *a, const char *key, struct ma_str v)
{
    struct ma_auth_extra *e = NULL;
    const char **vals;
    size_t i;

    for (i = 0; i < u->nextras; i++)
        if (strcmp(u->extras[i].key, key) == 0)
            e = &u->extras[i];
    if (e == NULL) {
        if (u->nextras == MA_AUTH_MAX_EXTRAS)
            return MA_ERR_LIMIT;
        e = &u->extras[u->nextras++];
        e->key = key;
        e->values = NULL;
        e->nvalues = 0;
    }
    vals = ma_arena_alloc(a, (e->nvalues + 1) * sizeof *vals);
    if (vals == NULL || (vals[e->nvalues] = dup_str(a, v)) == NULL)
        return MA_ERR_NOSPACE;
    if (e->nvalues)
        memcpy(vals, e->values, e->nvalues * sizeof *vals);
    e->values = vals;
    e->nvalues++;
    return MA_OK;
}

/* Identity from the headers; 1 done, 0 no username header, negative on a bound or arena. */
static int from_headers(const struct ma_auth_cfg *cfg, const struct ma_http_req *req,
                        struct ma_arena *a, struct ma_auth_user *u)
{
    const struct ma_http_header *h = first_value(req, &cfg->username_headers);
    size_t i, j;

    if (h == NULL)
        return 0;
    u->name = dup_str(a, h->value);
    h = first_value(req, &cfg->uid_headers);
    u->uid = h ? dup_str(a, h->value) : "";
    u->groups = ma_arena_alloc(a, MA_AUTH_MAX_GROUPS * sizeof *u->groups + 1);
    u->extras = ma_arena_alloc(a, MA_AUTH_MAX_EXTRAS * sizeof *u->extras);
    if (u->name == NULL || u->uid == NULL || u->groups == NULL || u->extras == NULL)
        return MA_ERR_NOSPACE;
    u->method = "requestheader";
    /* groups: every non-empty line of every group header, in order (one group per line) */
    for (i = 0; i < cfg->group_headers.n; i++)
        for (j = 0; j < req->num_headers; j++) {
            const struct ma_http_header *g = &req->headers[j];

            if (g->value.len == 0 || !ma_str_eq_nocase(g->name, cfg->group_headers.v[i]))
                continue;
            if (u->ngroups == MA_AUTH_MAX_GROUPS)
                return MA_ERR_LIMIT;
            if ((u->groups[u->ngroups++] = dup_str(a, g->value)) == NULL)
                return MA_ERR_NOSPACE;
        }
    /* extras: key = PathUnescape(lower(name minus prefix)) */
    for (j = 0; j < req->num_headers; j++) {
        const struct ma_http_header *x = &req->headers[j];

        for (i = 0; i < cfg->extra_prefixes.n; i++) {
            size_t pl = strlen(cfg->extra_prefixes.v[i]), kl, k;
            char *lower, *key;
            int r;

            if (!has_prefix_nocase(x->name, cfg->extra_prefixes.v[i]))
                continue;
            kl = x->name.len - pl;
            lower = ma_arena_alloc(a, kl + 1);
            key = ma_arena_alloc(a, kl + 1);
            if (lower == NULL || key == NULL)
                return MA_ERR_NOSPACE;
            for (k = 0; k < kl; k++) {
                char c = x->name.p[pl + k];

                lower[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            lower[kl] = '\0';
            if (ma_auth_path_unescape(lower, kl, key) < 0)
                key = lower;
            if ((r = add_extra(u, a, key, x->value)) != MA_OK)
                return r;
            break;
        }
    }
    return 1;
}

static int name_allowed(const struct ma_auth_cfg *cfg, const char *cn)
{
    size_t i;

    if (cfg->allowed_names.n == 0)
        return 1;
    for (i = 0; i < cfg->allowed_names.n; i++)
        if (strcmp(cfg->allowed_names.v[i], cn) == 0)
            return 1;
    return 0;
}

/* ---- the union ------------------------------------------------------------------------------- */

static struct ma_str bearer_token(const struct ma_http_req *req)
{
    const struct ma_http_header *h = ma_http_req_header(req, "Authorization");
    struct ma_str v;
    size_t n;

    if (h == NULL)
        return ma_str_make(NULL, 0);
    v = h->value;
    /* kube's bearertoken: SplitN(value, " ", 3); "bearer" in any case, then parts[1] must be
     * non-empty (so two spaces mean no token) */
    if (v.len < 7 || !ma_str_eq_nocase(ma_str_make(v.p, 7), "bearer "))
        return ma_str_make(NULL, 0);
    v.p += 7;
    v.len -= 7;
    for (n = 0; n < v.len && v.p[n] != ' '; n++)
        ;
    return n > 0 ? ma_str_make(v.p, n) : ma_str_make(NULL, 0);
}

static enum ma_auth_authn_result set_anonymous(struct ma_auth_user *u)
{
    memset(u, 0, sizeof *u);
    u->name = "system:anonymous";
    u->uid = "";
    u->groups = (const char **)anon_groups;
    u->ngroups = 1;
    u->method = "anonymous";
    return MA_AUTHN_ANONYMOUS;
}

static enum ma_auth_authn_result no_space(struct ma_errmsg *em)
{
    ma_errmsg_set(em, "request arena exhausted while authenticating");
    return MA_AUTHN_FAILED;
}

/* see auth/authn.h */
enum ma_auth_authn_result ma_auth_authn(const struct ma_auth_cfg *cfg, const struct ma_http_req *req,
                                        const struct ma_tls_peer *peer, time_t now, int want_token,
                                        struct ma_arena *a, struct ma_auth_user *u,
                                        struct ma_str *token, int *had_error, struct ma_errmsg *em)
{
    const struct ma_tls_peer_id *id;
    struct ma_errmsg e2;
    int failed = 0, r;
    size_t i;

    memset(u, 0, sizeof *u);
    *token = ma_str_make(NULL, 0);
    *had_error = 0;
    if (em != NULL)
        em->msg[0] = '\0';
    if (cfg != NULL && peer != NULL && peer->cert_presented && cfg->rh_ca != NULL) {
        r = ma_tls_peercert_verify(cfg->rh_ca, peer, now, &id, &e2);
        if (r != MA_OK) {
            failed = 1;
            ma_errmsg_set(em, "request-header client certificate: %s", e2.msg);
        } else if (!name_allowed(cfg, id->cn)) {
            failed = 1;
            ma_errmsg_set(em, "request-header client certificate CN \"%s\" is not in the allowed "
                          "names", id->cn);
        } else {
            r = from_headers(cfg, req, a, u);
            if (r == MA_ERR_NOSPACE)
                return no_space(em);
            if (r < 0) {
                ma_errmsg_set(em, "request headers name more than %d groups or %d extras",
                              MA_AUTH_MAX_GROUPS, MA_AUTH_MAX_EXTRAS);
                return MA_AUTHN_FAILED;
            }
            if (r == 1)
                goto user;
            memset(u, 0, sizeof *u);
        }
    }
    if (cfg != NULL && peer != NULL && peer->cert_presented && cfg->client_ca != NULL) {
        r = ma_tls_peercert_verify(cfg->client_ca, peer, now, &id, &e2);
        if (r != MA_OK) {
            if (!failed)
                ma_errmsg_set(em, "client certificate: %s", e2.msg);
            failed = 1;
        } else if (id->cn[0] != '\0') {
            u->name = ma_arena_strndup(a, id->cn, strlen(id->cn));
            u->uid = "";
            u->groups = ma_arena_alloc(a, (id->norgs + 1) * sizeof *u->groups);
            if (u->name == NULL || u->groups == NULL)
                return no_space(em);
            for (i = 0; i < id->norgs; i++)
                if ((u->groups[u->ngroups++] =
                         ma_arena_strndup(a, id->orgs[i], strlen(id->orgs[i]))) == NULL)
                    return no_space(em);
            u->method = "x509";
            goto user;
        }
    }
    if (want_token) {
        *token = bearer_token(req);
        if (token->len > 0) {
            *had_error = failed;
            return MA_AUTHN_TOKEN;
        }
    }
    if (failed)
        return MA_AUTHN_FAILED;
    return set_anonymous(u);
user:
    if (ma_auth_user_add_authenticated(u, a) != MA_OK)
        return no_space(em);
    return MA_AUTHN_USER;
}
