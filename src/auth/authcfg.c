#include "auth/authcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "json/read.h"
#include "tls/anchors.h"
#include "tls/peercert.h"

/* The Go servers' defaults for the request-header names when they come from flags. */
static const char *const def_user[] = {"X-Remote-User"};
static const char *const def_group[] = {"X-Remote-Group"};
static const char *const def_extra[] = {"X-Remote-Extra-"};

/* ConfigMap: a Secret-sized object of a few PEM bundles and short JSON arrays. */
#define CM_MAX_TOKENS 4096

/* see auth/authcfg.h */
void ma_auth_cfg_free(struct ma_auth_cfg *c)
{
    struct ma_auth_list *lists[5];
    size_t i, j;

    if (c == NULL)
        return;
    lists[0] = &c->allowed_names;
    lists[1] = &c->username_headers;
    lists[2] = &c->uid_headers;
    lists[3] = &c->group_headers;
    lists[4] = &c->extra_prefixes;
    for (i = 0; i < 5; i++)
        for (j = 0; j < lists[i]->n; j++)
            free(lists[i]->v[j]);
    ma_tls_peercert_free(c->client_ca);
    ma_tls_peercert_free(c->rh_ca);
    free(c);
}

/* see auth/authcfg.h */
int ma_auth_cfg_flags_complete(const struct ma_auth_cfg_flags *f)
{
    return f->client_ca_file != NULL && f->client_ca_file[0] != '\0' && f->rh_ca_file != NULL &&
           f->rh_ca_file[0] != '\0';
}

static int list_add(struct ma_auth_list *l, const char *s, size_t n, const char *what,
                    struct ma_errmsg *em)
{
    if (l->n == MA_AUTH_MAX_LIST) {
        ma_errmsg_set(em, "%s: more than %d entries", what, MA_AUTH_MAX_LIST);
        return MA_ERR_LIMIT;
    }
    l->v[l->n] = ma_xmalloc(n + 1);
    memcpy(l->v[l->n], s, n);
    l->v[l->n][n] = '\0';
    l->n++;
    return MA_OK;
}

/* A list flag: empty strings are dropped (Go trims and skips them when matching). */
static int list_from_flags(struct ma_auth_list *l, const char *const *v, size_t n,
                           const char *const *def, size_t ndef, const char *what,
                           struct ma_errmsg *em)
{
    size_t i;

    if (n == 0 && def != NULL) {
        v = def;
        n = ndef;
    }
    for (i = 0; i < n; i++)
        if (v[i][0] != '\0' && list_add(l, v[i], strlen(v[i]), what, em) != MA_OK)
            return MA_ERR_LIMIT;
    return MA_OK;
}

static struct ma_tls_peercert *verifier_from_pem(const char *pem, size_t len, const char *what,
                                                 struct ma_errmsg *em)
{
    struct ma_errmsg e2;
    struct ma_tls_anchors *a = ma_tls_anchors_new_pem(pem, len, &e2);
    struct ma_tls_peercert *v;

    if (a == NULL) {
        ma_errmsg_set(em, "%s: %s", what, e2.msg);
        return NULL;
    }
    v = ma_tls_peercert_new(a);
    ma_tls_anchors_free(a);
    return v;
}

static struct ma_tls_peercert *verifier_from_file(const char *path, struct ma_errmsg *em)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    struct ma_tls_peercert *v;

    if (f == NULL) {
        ma_errmsg_set(em, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = ma_xmalloc(MA_TLS_MAX_PEM_FILE + 1);
    n = fread(buf, 1, MA_TLS_MAX_PEM_FILE + 1, f);
    fclose(f);
    if (n > MA_TLS_MAX_PEM_FILE) {
        ma_errmsg_set(em, "%s: larger than %d bytes", path, MA_TLS_MAX_PEM_FILE);
        free(buf);
        return NULL;
    }
    v = verifier_from_pem(buf, n, path, em);
    free(buf);
    return v;
}

/* ---- the ConfigMap ----------------------------------------------------------------------------- */

/* data[key] as a heap string (unescaped), NULL when absent; MA_ERR_* on a malformed value. */
static int cm_string(const struct ma_json_doc *d, int data, const char *key, char **out, size_t *len)
{
    int t = ma_json_get(d, data, key), n;

    *out = NULL;
    if (t < 0 || ma_json_is_null(d, t))
        return MA_OK;
    n = ma_json_str_len(d, t);
    if (n < 0)
        return MA_ERR_SYNTAX;
    *out = ma_xmalloc((size_t)n + 1);
    ma_json_str(d, t, *out, (size_t)n + 1);
    *len = (size_t)n;
    return MA_OK;
}

/* data[key] holds a JSON array of strings as text (requestheader_controller deserializeStrings):
 * absent, "" or "null" is an empty list. */
static int cm_list(const struct ma_json_doc *d, int data, const char *key, struct ma_auth_list *l,
                   struct ma_errmsg *em)
{
    jsmntok_t toks[2 * MA_AUTH_MAX_LIST + 2];
    struct ma_json_doc inner;
    char *text;
    size_t len = 0;
    int it = 0, e, rc = MA_OK;

    if (cm_string(d, data, key, &text, &len) != MA_OK) {
        ma_errmsg_set(em, "ConfigMap key %s is not a string", key);
        return MA_ERR_SYNTAX;
    }
    if (text == NULL)
        return MA_OK;
    if (len == 0 || strcmp(text, "null") == 0) {
        free(text);
        return MA_OK;
    }
    if (ma_json_parse(&inner, text, len, toks, (int)(sizeof toks / sizeof toks[0]), NULL) !=
            MA_OK ||
        inner.tok[0].type != JSMN_ARRAY) {
        ma_errmsg_set(em, "ConfigMap key %s: not a JSON array of at most %d strings", key,
                      MA_AUTH_MAX_LIST);
        free(text);
        return MA_ERR_SYNTAX;
    }
    while (rc == MA_OK && (e = ma_json_next(&inner, 0, &it, NULL)) >= 0) {
        char v[256];
        int n = ma_json_str(&inner, e, v, sizeof v);

        if (n < 0) {
            ma_errmsg_set(em, "ConfigMap key %s: an entry is not a short string", key);
            rc = MA_ERR_SYNTAX;
        } else if (n > 0) {
            rc = list_add(l, v, (size_t)n, key, em);
        }
    }
    free(text);
    return rc;
}

static int from_configmap(struct ma_auth_cfg *c, const struct ma_auth_cfg_flags *f, const char *cm,
                          size_t len, struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc(CM_MAX_TOKENS * sizeof *toks);
    struct ma_json_doc d;
    char *pem = NULL;
    size_t plen = 0;
    int data, rc = MA_ERR_SYNTAX;

    if (ma_json_parse(&d, cm, len, toks, CM_MAX_TOKENS, em) != MA_OK)
        goto out;
    data = ma_json_get(&d, 0, "data");
    if (c->client_ca == NULL && !(f->client_ca_file && f->client_ca_file[0])) {
        if (cm_string(&d, data, "client-ca-file", &pem, &plen) != MA_OK)
            goto bad;
        if (pem != NULL && plen > 0) {
            c->client_ca = verifier_from_pem(pem, plen, "ConfigMap client-ca-file", em);
            if (c->client_ca == NULL)
                goto out;
            c->client_ca_origin = "configmap";
        }
        free(pem);
        pem = NULL;
    }
    if (c->rh_ca == NULL && !(f->rh_ca_file && f->rh_ca_file[0])) {
        if (cm_string(&d, data, "requestheader-client-ca-file", &pem, &plen) != MA_OK)
            goto bad;
        if (pem != NULL && plen > 0) {
            c->rh_ca = verifier_from_pem(pem, plen, "ConfigMap requestheader-client-ca-file", em);
            if (c->rh_ca == NULL)
                goto out;
            c->rh_origin = "configmap";
            if (cm_list(&d, data, "requestheader-allowed-names", &c->allowed_names, em) ||
                cm_list(&d, data, "requestheader-username-headers", &c->username_headers, em) ||
                cm_list(&d, data, "requestheader-uid-headers", &c->uid_headers, em) ||
                cm_list(&d, data, "requestheader-group-headers", &c->group_headers, em) ||
                cm_list(&d, data, "requestheader-extra-headers-prefix", &c->extra_prefixes, em))
                goto out;
        }
    }
    rc = MA_OK;
    goto out;
bad:
    ma_errmsg_set(em, "ConfigMap extension-apiserver-authentication: a CA key is not a string");
out:
    free(pem);
    free(toks);
    return rc;
}

/* see auth/authcfg.h */
struct ma_auth_cfg *ma_auth_cfg_build(const struct ma_auth_cfg_flags *f, const char *cm, size_t len,
                                      struct ma_errmsg *em)
{
    struct ma_auth_cfg *c = ma_xcalloc(1, sizeof *c);

    c->client_ca_origin = c->rh_origin = "none";
    if (f->client_ca_file != NULL && f->client_ca_file[0] != '\0') {
        c->client_ca = verifier_from_file(f->client_ca_file, em);
        if (c->client_ca == NULL)
            goto fail;
        c->client_ca_origin = "flag";
    }
    if (f->rh_ca_file != NULL && f->rh_ca_file[0] != '\0') {
        c->rh_ca = verifier_from_file(f->rh_ca_file, em);
        if (c->rh_ca == NULL)
            goto fail;
        c->rh_origin = "flag";
        if (list_from_flags(&c->allowed_names, f->allowed_names, f->n_allowed_names, NULL, 0,
                            "--requestheader-allowed-names", em) ||
            list_from_flags(&c->username_headers, f->username_headers, f->n_username_headers,
                            def_user, 1, "--requestheader-username-headers", em) ||
            list_from_flags(&c->uid_headers, f->uid_headers, f->n_uid_headers, NULL, 0,
                            "--requestheader-uid-headers", em) ||
            list_from_flags(&c->group_headers, f->group_headers, f->n_group_headers, def_group, 1,
                            "--requestheader-group-headers", em) ||
            list_from_flags(&c->extra_prefixes, f->extra_prefixes, f->n_extra_prefixes,
                            def_extra, 1, "--requestheader-extra-headers-prefix", em))
            goto fail;
    }
    if (cm != NULL && from_configmap(c, f, cm, len, em) != MA_OK)
        goto fail;
    return c;
fail:
    ma_auth_cfg_free(c);
    return NULL;
}
