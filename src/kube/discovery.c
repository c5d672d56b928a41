#include "kube/discovery.h"

#include <stdio.h>
#include <string.h>

/* ==== parsing discovery documents ============================================================ */

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* kube-apiserver validates resource names, versions and groups as lowercase DNS names; a Kind as
 * a DNS-1035 label once lowercased. Anything else did not come from a real server. */
static int valid_word(const char *s, int allow_upper, int allow_dot)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (is_lower_alnum(c) || c == '-' || (allow_dot && c == '.') ||
            (allow_upper && c >= 'A' && c <= 'Z'))
            continue;
        return 0;
    }
    return 1;
}

/* see kube/discovery.h */
int ma_kube_discovery_valid_group(const char *g)
{
    return strlen(g) <= MA_KUBE_MAX_NAME && (*g == '\0' || valid_word(g, 0, 1));
}

/* Copy string member key of obj into out[0..cap). 1 copied, 0 absent or null (out ""), -1 not a
 * string or too long. */
static int get_str(const struct ma_json_doc *d, int obj, const char *key, char *out, size_t cap)
{
    int t = ma_json_get(d, obj, key), n;

    out[0] = '\0';
    if (ma_json_is_null(d, t))
        return 0;
    n = ma_json_str(d, t, out, cap);
    if (n < 0 || (size_t)n != strlen(out)) { /* an embedded NUL is no name */
        out[0] = '\0';
        return -1;
    }
    return 1;
}

/* see kube/discovery.h */
int ma_kube_discovery_parse_group(const struct ma_json_doc *d, const char *group, char *version,
                                  size_t cap, struct ma_errmsg *em)
{
    char name[MA_KUBE_MAX_NAME + 1], v[MA_KUBE_RESMAP_MAX_WORD + 1];
    int pv, vs, t, it = 0;

    version[0] = '\0';
    if (d->ntok < 1 || d->tok[0].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "APIGroup is not a JSON object");
        return MA_ERR_SYNTAX;
    }
    if (get_str(d, 0, "name", name, sizeof name) != 1 || strcmp(name, group) != 0) {
        ma_errmsg_set(em, "APIGroup does not name group %s", group);
        return MA_ERR_SYNTAX;
    }
    pv = ma_json_get(d, 0, "preferredVersion");
    if (!ma_json_is_null(d, pv)) {
        if (d->tok[pv].type != JSMN_OBJECT || get_str(d, pv, "version", v, sizeof v) != 1) {
            ma_errmsg_set(em, "APIGroup %s: preferredVersion.version is not a string", group);
            return MA_ERR_SYNTAX;
        }
    } else {
        /* kube-apiserver lists the preferred version first; only a non-conforming aggregated
         * server omits preferredVersion */
        vs = ma_json_get(d, 0, "versions");
        t = vs < 0 || d->tok[vs].type != JSMN_ARRAY ? -1 : ma_json_next(d, vs, &it, NULL);
        if (t < 0 || d->tok[t].type != JSMN_OBJECT || get_str(d, t, "version", v, sizeof v) != 1) {
            ma_errmsg_set(em, "APIGroup %s lists no version", group);
            return MA_ERR_SYNTAX;
        }
    }
    if (!valid_word(v, 0, 0) || strlen(v) >= cap) {
        ma_errmsg_set(em, "APIGroup %s: bad version name", group);
        return MA_ERR_SYNTAX;
    }
    memcpy(version, v, strlen(v) + 1);
    return MA_OK;
}

static void lower_copy(char *out, const char *in)
{
    for (; *in; in++)
        *out++ = (*in >= 'A' && *in <= 'Z') ? (char)(*in - 'A' + 'a') : *in;
    *out = '\0';
}

/* Decode one element of "resources". 1 stored in *r, 0 a subresource (skipped), <0 error. */
static int parse_resource(const struct ma_json_doc *d, int t, struct ma_kube_resource *r,
                          struct ma_errmsg *em)
{
    char name[MA_KUBE_MAX_NAME + 1];
    int ns, rc;

    if (d->tok[t].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "a resource is not a JSON object");
        return MA_ERR_SYNTAX;
    }
    /* subresource names ("pods/log", "deployments/scale") may be long: read the name into a
     * group-sized buffer before looking at it */
    rc = get_str(d, t, "name", name, sizeof name);
    if (rc == 1 && strchr(name, '/') != NULL)
        return 0;
    if (rc != 1 || strlen(name) > MA_KUBE_RESMAP_MAX_WORD || !valid_word(name, 0, 1)) {
        ma_errmsg_set(em, "a resource has a missing or bad name");
        return MA_ERR_SYNTAX;
    }
    memcpy(r->plural, name, strlen(name) + 1);
    if (get_str(d, t, "kind", r->kind, sizeof r->kind) != 1 || !valid_word(r->kind, 1, 0)) {
        ma_errmsg_set(em, "resource %s has a missing or bad kind", r->plural);
        return MA_ERR_SYNTAX;
    }
    rc = get_str(d, t, "singularName", r->singular, sizeof r->singular);
    if (rc < 0 || (rc == 1 && r->singular[0] != '\0' && !valid_word(r->singular, 0, 1))) {
        ma_errmsg_set(em, "resource %s has a bad singularName", r->plural);
        return MA_ERR_SYNTAX;
    }
    /* core resources report "": client-go's discovery RESTMapper then guesses the lowercase
     * Kind (meta.UnsafeGuessKindToResource), which is also what kube-apiserver's own registry
     * derives */
    if (r->singular[0] == '\0')
        lower_copy(r->singular, r->kind);
    if (ma_json_bool(d, ma_json_get(d, t, "namespaced"), &ns) != MA_OK) {
        ma_errmsg_set(em, "resource %s: namespaced is not a boolean", r->plural);
        return MA_ERR_SYNTAX;
    }
    r->namespaced = ns;
    return 1;
}

/* see kube/discovery.h */
int ma_kube_discovery_parse_resources(const struct ma_json_doc *d, const char *group,
                                      const char *version, struct ma_kube_resource *out,
                                      size_t max, struct ma_errmsg *em)
{
    char gv[MA_KUBE_MAX_NAME + MA_KUBE_RESMAP_MAX_WORD + 2], want[sizeof gv];
    int list, t, it = 0, rc;
    size_t n = 0, i;

    if (d->ntok < 1 || d->tok[0].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "APIResourceList is not a JSON object");
        return MA_ERR_SYNTAX;
    }
    if (strlen(group) > MA_KUBE_MAX_NAME || strlen(version) > MA_KUBE_RESMAP_MAX_WORD) {
        ma_errmsg_set(em, "group or version name too long");
        return MA_ERR_SYNTAX;
    }
    snprintf(want, sizeof want, "%s%s%s", group, *group ? "/" : "", version);
    if (get_str(d, 0, "groupVersion", gv, sizeof gv) != 1 || strcmp(gv, want) != 0) {
        ma_errmsg_set(em, "APIResourceList is not for %s", want);
        return MA_ERR_SYNTAX;
    }
    list = ma_json_get(d, 0, "resources");
    if (list < 0 || d->tok[list].type != JSMN_ARRAY) {
        ma_errmsg_set(em, "APIResourceList %s has no resources array", want);
        return MA_ERR_SYNTAX;
    }
    while ((t = ma_json_next(d, list, &it, NULL)) >= 0) {
        struct ma_kube_resource r;

        memset(&r, 0, sizeof r); /* whole structs are compared to detect changes */
        rc = parse_resource(d, t, &r, em);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        for (i = 0; i < n; i++)
            if (strcmp(out[i].plural, r.plural) == 0) {
                ma_errmsg_set(em, "APIResourceList %s lists %s twice", want, r.plural);
                return MA_ERR_SYNTAX;
            }
        if (n == max) {
            ma_errmsg_set(em, "APIResourceList %s has more than %zu resources", want, max);
            return MA_ERR_LIMIT;
        }
        memcpy(r.group, group, strlen(group) + 1);
        memcpy(r.version, version, strlen(version) + 1);
        out[n++] = r;
    }
    return (int)n;
}

