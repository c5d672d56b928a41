#include "backend/falcon_def.h"
#include "backend/falcon_api.h"

#include <stdio.h>
#include <string.h>

#include "kube/pods.h"
#include "json/read.h"

/* ======================================================================================== */
/* Counters                                                                                 */
/* ======================================================================================== */

/* falcon-plus modules/graph/g/utils.go IsValidString: the graph drops series whose endpoint or
 * counter holds \r \n ' " > or \032; we refuse every control byte, as none can be meant. */
static int is_bad_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '>';
}

/* ma_falcon_counter_normalize (backend/falcon_api.h, shared with the Falcon client so that both
 * spell a series alike) with a message. It refuses what Falcon's DictedTagstring would silently
 * repair (spaces, parts without '=', repeated keys): in a CustomMetric those are typos, and a
 * repaired counter would read another series than the user meant. */
static int normalize(const char *in, char *out, size_t cap, struct ma_errmsg *em)
{
    int rc;
    if (cap > 0)
        out[0] = '\0';
    if (strlen(in) > MA_FALCON_MAX_COUNTER) {
        ma_errmsg_set(em, "counter: longer than %d bytes", MA_FALCON_MAX_COUNTER);
        return MA_ERR_LIMIT;
    }
    rc = ma_falcon_counter_normalize(in, out, cap);
    if (rc >= 0)
        return rc;
    if (cap > 0)
        out[0] = '\0';
    if (rc == MA_ERR_LIMIT)
        ma_errmsg_set(em, "counter: more than %d tags", MA_FALCON_MAX_TAGS);
    else if (rc == MA_ERR_NOSPACE)
        ma_errmsg_set(em, "counter: does not fit %zu bytes", cap);
    else
        ma_errmsg_set(em, "counter: not of the form metric or metric/k=v,k2=v2 (no spaces, empty "
                          "or repeated tags, control bytes or ' \" >)");
    return rc;
}

/* Every ','-separated part of the tags after the first '/' holds an '=' (and there is one). */
static int seed_tags_ok(const char *c)
{
    const char *p = strchr(c, '/');
    int eq = 0;
    if (!p)
        return 1;
    for (p++;; p++) {
        if (*p == '=')
            eq = 1;
        if (*p == ',' || *p == '\0') {
            if (!eq)
                return 0;
            if (*p == '\0')
                return 1;
            eq = 0;
        }
    }
}

/* see backend/falcon_def.h */
int ma_falcon_def_seed_counter(const char *metric_name, char *out, size_t cap, struct ma_errmsg *em)
{
    /* strings.Replace(name, "-equal-", "=", -1) then strings.Replace(r, "-", "/", -1) */
    char tmp[MA_FALCON_MAX_COUNTER + 1];
    size_t n = 0;
    const char *p = metric_name;

    if (cap > 0)
        out[0] = '\0';
    while (*p) {
        char c = *p;
        if (strncmp(p, "-equal-", 7) == 0) {
            c = '=';
            p += 7;
        } else {
            if (c == '-')
                c = '/';
            p++;
        }
        if (n == MA_FALCON_MAX_COUNTER) {
            ma_errmsg_set(em, "counter: longer than %d bytes", MA_FALCON_MAX_COUNTER);
            return MA_ERR_LIMIT;
        }
        tmp[n++] = c;
    }
    tmp[n] = '\0';
    /* Normalising would drop a tag part without '=' ("disk.io.avgqu-sz" -> "disk.io.avgqu/sz"
     * -> "disk.io.avgqu") and so query another series than the original did; refuse instead */
    if (!seed_tags_ok(tmp)) {
        ma_errmsg_set(em,
                      "metric name \"%.64s\" does not follow the <metric>-<tag>-equal-<value> "
                      "convention: define a CustomMetric",
                      metric_name);
        return MA_ERR_SYNTAX;
    }
    return normalize(tmp, out, cap, em);
}

/* ======================================================================================== */
/* Endpoint templates                                                                       */
/* ======================================================================================== */

static const struct {
    const char *name;
    enum ma_falcon_tmpl_ph ph;
    int pod_only;
} placeholders[] = {
    {"pod", MA_FALCON_PH_POD, 1},
    {"hostname", MA_FALCON_PH_HOSTNAME, 1},
    {"namespace", MA_FALCON_PH_NAMESPACE, 0},
    {"node", MA_FALCON_PH_NODE, 1},
    {"podIP", MA_FALCON_PH_POD_IP, 1},
    {"name", MA_FALCON_PH_NAME, 0},
};

static int add_part(struct ma_falcon_tmpl *t, enum ma_falcon_tmpl_ph ph, size_t off, size_t len)
{
    if (t->nparts == MA_FALCON_TMPL_MAX_PARTS)
        return 0;
    t->_part[t->nparts].ph = (uint8_t)ph;
    t->_part[t->nparts]._off = (uint16_t)off;
    t->_part[t->nparts]._len = (uint16_t)len;
    t->nparts++;
    return 1;
}

static int tmpl_fail(struct ma_falcon_tmpl *t, int rc)
{
    memset(t, 0, sizeof(*t));
    return rc;
}

/* see backend/falcon_def.h */
int ma_falcon_tmpl_compile(struct ma_falcon_tmpl *t, const char *src, size_t len,
                           struct ma_errmsg *em)
{
    size_t i = 0, lit = 0;

    memset(t, 0, sizeof(*t));
    if (len > MA_FALCON_MAX_ENDPOINT) {
        ma_errmsg_set(em, "endpoint template: longer than %d bytes", MA_FALCON_MAX_ENDPOINT);
        return MA_ERR_LIMIT;
    }
    memcpy(t->src, src, len);
    t->src[len] = '\0';
    t->len = len;
    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        if (c == '{') {
            size_t j = i + 1, k;
            while (j < len && src[j] != '}' && src[j] != '{')
                j++;
            if (j == len || src[j] == '{') {
                ma_errmsg_set(em, "endpoint template: unbalanced '{' at offset %zu", i);
                return tmpl_fail(t, MA_ERR_SYNTAX);
            }
            for (k = 0; k < sizeof(placeholders) / sizeof(placeholders[0]); k++) {
                if (strlen(placeholders[k].name) == j - i - 1 &&
                    memcmp(placeholders[k].name, src + i + 1, j - i - 1) == 0)
                    break;
            }
            if (k == sizeof(placeholders) / sizeof(placeholders[0])) {
                ma_errmsg_set(em, "endpoint template: unknown placeholder {%.*s} at offset %zu",
                              (int)(j - i - 1 > 32 ? 32 : j - i - 1), src + i + 1, i);
                return tmpl_fail(t, MA_ERR_SYNTAX);
            }
            if ((i > lit && !add_part(t, MA_FALCON_PH_LITERAL, lit, i - lit)) ||
                !add_part(t, placeholders[k].ph, 0, 0)) {
                ma_errmsg_set(em, "endpoint template: more than %d parts",
                              MA_FALCON_TMPL_MAX_PARTS);
                return tmpl_fail(t, MA_ERR_LIMIT);
            }
            t->pod_only |= placeholders[k].pod_only;
            i = lit = j + 1;
            continue;
        }
        if (c == '}') {
            ma_errmsg_set(em, "endpoint template: unbalanced '}' at offset %zu", i);
            return tmpl_fail(t, MA_ERR_SYNTAX);
        }
        if (c == 0 || is_bad_byte(c)) {
            ma_errmsg_set(em, "endpoint template: byte 0x%02x at offset %zu is refused by Falcon",
                          c, i);
            return tmpl_fail(t, MA_ERR_SYNTAX);
        }
        i++;
    }
    if (len > lit && !add_part(t, MA_FALCON_PH_LITERAL, lit, len - lit)) {
        ma_errmsg_set(em, "endpoint template: more than %d parts", MA_FALCON_TMPL_MAX_PARTS);
        return tmpl_fail(t, MA_ERR_LIMIT);
    }
    return MA_OK;
}

/* see backend/falcon_def.h */
int ma_falcon_tmpl_pod_hostname(const struct ma_kube_pod *p, const char **s, size_t *len)
{
    const char *h;
    size_t n;

    if (p->host_network) {
        /* the container shares the node's UTS namespace; the node name is what the kubelet
         * registered, normally the machine's hostname */
        *s = p->node_name;
        *len = strlen(p->node_name);
        return *len ? MA_OK : MA_ERR_NOTFOUND;
    }
    h = p->hostname[0] ? p->hostname : p->meta.name;
    n = strlen(h);
    if (n > MA_FALCON_HOSTNAME_MAX) {
        /* kubelet truncatePodHostnameIfNeeded: cut to 63, then trim trailing '-' and '.' */
        n = MA_FALCON_HOSTNAME_MAX;
        while (n > 0 && (h[n - 1] == '-' || h[n - 1] == '.'))
            n--;
    }
    *s = h;
    *len = n;
    return n ? MA_OK : MA_ERR_NOTFOUND;
}

struct subject {
    const struct ma_kube_pod *pod; /* NULL for a non-pod object */
    const char *namespace, *name;
};

static int render(const struct ma_falcon_tmpl *t, const struct subject *sj, char *out, size_t cap)
{
    char tmp[MA_FALCON_MAX_ENDPOINT + 1];
    size_t n = 0, vlen;
    const char *v;
    int i;

    if (cap > 0)
        out[0] = '\0';
    for (i = 0; i < t->nparts; i++) {
        switch ((enum ma_falcon_tmpl_ph)t->_part[i].ph) {
        case MA_FALCON_PH_LITERAL:
            v = t->src + t->_part[i]._off;
            vlen = t->_part[i]._len;
            break;
        case MA_FALCON_PH_HOSTNAME:
            if (!sj->pod || ma_falcon_tmpl_pod_hostname(sj->pod, &v, &vlen) < 0)
                return MA_ERR_NOTFOUND;
            break;
        case MA_FALCON_PH_POD:
        case MA_FALCON_PH_NAME:
            v = sj->name;
            vlen = strlen(v);
            break;
        case MA_FALCON_PH_NAMESPACE:
            v = sj->namespace;
            vlen = strlen(v);
            break;
        case MA_FALCON_PH_NODE:
            v = sj->pod ? sj->pod->node_name : "";
            vlen = strlen(v);
            break;
        case MA_FALCON_PH_POD_IP:
            v = sj->pod ? sj->pod->pod_ip : "";
            vlen = strlen(v);
            break;
        default:
            return MA_ERR_SYNTAX;
        }
        if (vlen == 0)
            return MA_ERR_NOTFOUND;
        if (vlen > MA_FALCON_MAX_ENDPOINT - n)
            return MA_ERR_LIMIT;
        memcpy(tmp + n, v, vlen);
        n += vlen;
    }
    if (n + 1 > cap)
        return MA_ERR_NOSPACE;
    memcpy(out, tmp, n);
    out[n] = '\0';
    return (int)n;
}

/* see backend/falcon_def.h */
int ma_falcon_tmpl_render_pod(const struct ma_falcon_tmpl *t, const struct ma_kube_pod *p,
                              char *out, size_t cap)
{
    static const struct ma_falcon_tmpl dflt = {
        .nparts = 1, .pod_only = 1, ._part = {{MA_FALCON_PH_HOSTNAME, 0, 0}}};
    struct subject sj = {p, p->meta.namespace, p->meta.name};
    return render(t->nparts ? t : &dflt, &sj, out, cap);
}

/* see backend/falcon_def.h */
int ma_falcon_tmpl_render_object(const struct ma_falcon_tmpl *t, const char *namespace,
                                 const char *name, char *out, size_t cap)
{
    struct subject sj = {NULL, namespace, name};
    if (cap > 0)
        out[0] = '\0';
    if (t->pod_only)
        return MA_ERR_SYNTAX;
    if (t->nparts == 0)
        return MA_ERR_NOTFOUND;
    return render(t, &sj, out, cap);
}

/* ======================================================================================== */
/* Definitions                                                                              */
/* ======================================================================================== */

/* What one parse is decoding, for messages: "CustomMetric ns/name: spec.mode: not a string". */
struct pctx {
    const struct ma_json_doc *d;
    struct ma_falcon_def *def;
    const char *kind;
    struct ma_errmsg *em;
};

static int fail(const struct pctx *c, int rc, const char *field, const char *why)
{
    if (c->def->name[0])
        ma_errmsg_set(c->em, "%s %s/%s: %s: %s", c->kind, c->def->namespace, c->def->name, field,
                      why);
    else
        ma_errmsg_set(c->em, "%s: %s: %s", c->kind, field, why);
    memset(c->def, 0, sizeof(*c->def));
    return rc;
}

/* Token of object member `key` of obj (obj MAY be -1); -1 when absent or null. */
static int member(const struct pctx *c, int obj, const char *key)
{
    int t = obj < 0 ? -1 : ma_json_get(c->d, obj, key);
    return ma_json_is_null(c->d, t) ? -1 : t;
}

/* An optional object member; -2 (after fail) when present but not an object. */
static int object(const struct pctx *c, int obj, const char *key, const char *field)
{
    int t = member(c, obj, key);
    if (t >= 0 && c->d->tok[t].type != JSMN_OBJECT)
        return fail(c, MA_ERR_SYNTAX, field, "not an object"), -2;
    return t;
}

/* String token t into out[0..cap); absent (t < 0) gives "" unless required. */
static int string(const struct pctx *c, int t, const char *field, int required, char *out,
                  size_t cap)
{
    int n;
    out[0] = '\0';
    if (t < 0)
        return required ? fail(c, MA_ERR_SYNTAX, field, "missing") : 0;
    if (c->d->tok[t].type != JSMN_STRING)
        return fail(c, MA_ERR_SYNTAX, field, "not a string");
    n = ma_json_str(c->d, t, out, cap);
    if (n == MA_ERR_NOSPACE) {
        char why[48];
        snprintf(why, sizeof(why), "longer than %zu bytes", cap - 1);
        return fail(c, MA_ERR_LIMIT, field, why);
    }
    if (n < 0)
        return fail(c, MA_ERR_SYNTAX, field, "bad string");
    if ((size_t)n != strlen(out))
        return fail(c, MA_ERR_SYNTAX, field, "contains a NUL");
    if (required && n == 0)
        return fail(c, MA_ERR_SYNTAX, field, "empty");
    return n;
}

/* Optional integer in [lo, hi]; *out stays -1 when absent. */
static int integer(const struct pctx *c, int obj, const char *key, const char *field, int64_t lo,
                   int64_t hi, int64_t *out)
{
    int t = member(c, obj, key);
    int64_t v;
    char why[64];
    *out = -1;
    if (t < 0)
        return MA_OK;
    if (c->d->tok[t].type != JSMN_PRIMITIVE || ma_json_i64(c->d, t, &v) < 0)
        return fail(c, MA_ERR_SYNTAX, field, "not an integer");
    if (v < lo || v > hi) {
        snprintf(why, sizeof(why), "%lld is outside %lld..%lld", (long long)v, (long long)lo,
                 (long long)hi);
        return fail(c, MA_ERR_SYNTAX, field, why);
    }
    *out = v;
    return MA_OK;
}

/* metadata, spec.metric.counter and the per-metric overrides: common to both kinds. Returns
 * the spec token (or -1) through *spec_out. */
static int parse_common(const struct pctx *c, int obj, int *spec_out)
{
    struct ma_falcon_def *def = c->def;
    char raw[MA_FALCON_MAX_COUNTER + 1];
    struct ma_errmsg cem;
    int meta, spec, metric, t, rc;

    if (obj < 0 || obj >= c->d->ntok || c->d->tok[obj].type != JSMN_OBJECT)
        return fail(c, MA_ERR_SYNTAX, "object", "not a JSON object");
    if ((meta = object(c, obj, "metadata", "metadata")) == -2)
        return MA_ERR_SYNTAX;
    /* namespace first, so that a bad name is reported without a half-filled prefix */
    if ((rc = string(c, member(c, meta, "namespace"), "metadata.namespace", 1, def->namespace,
                     sizeof(def->namespace))) < 0)
        return rc;
    if ((rc = string(c, member(c, meta, "name"), "metadata.name", 1, def->name,
                     sizeof(def->name))) < 0)
        return rc;
    if ((spec = object(c, obj, "spec", "spec")) == -2)
        return MA_ERR_SYNTAX;
    if (spec < 0)
        return fail(c, MA_ERR_SYNTAX, "spec", "missing");
    if ((metric = object(c, spec, "metric", "spec.metric")) == -2)
        return MA_ERR_SYNTAX;
    if ((rc = string(c, member(c, metric, "counter"), "spec.metric.counter", 1, raw, sizeof(raw))) <
        0)
        return rc;
    rc = normalize(raw, def->counter, sizeof(def->counter), &cem);
    if (rc < 0)
        return fail(c, rc == MA_ERR_NOSPACE ? MA_ERR_LIMIT : rc, "spec.metric.counter",
                    cem.msg + (strncmp(cem.msg, "counter: ", 9) == 0 ? 9 : 0));
    if ((rc = integer(c, spec, "cacheTTLSeconds", "spec.cacheTTLSeconds", 0, 86400,
                      &def->cache_ttl_s)) < 0)
        return rc;
    if ((rc = integer(c, spec, "staleAfterSeconds", "spec.staleAfterSeconds", 1, 2592000,
                      &def->stale_after_s)) < 0)
        return rc;
    t = member(c, spec, "stalePolicy");
    if (t >= 0) {
        if (c->d->tok[t].type != JSMN_STRING)
            return fail(c, MA_ERR_SYNTAX, "spec.stalePolicy", "not a string");
        if (ma_json_str_eq(c->d, t, "omit"))
            def->stale_policy = MA_FALCON_STALE_OMIT;
        else if (ma_json_str_eq(c->d, t, "zero"))
            def->stale_policy = MA_FALCON_STALE_ZERO;
        else
            return fail(c, MA_ERR_SYNTAX, "spec.stalePolicy", "not \"omit\" or \"zero\"");
    }
    *spec_out = spec;
    return MA_OK;
}

/* "<plural>[.<group>]": a lowercase DNS label, then optionally a DNS subdomain. */
static int valid_resource(const char *r)
{
    size_t label = 0, total = 0;
    const char *p;
    for (p = r; *p; p++, total++) {
        if (*p == '.') {
            if (label == 0 || p[1] == '\0')
                return 0;
            label = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return total > 0 && total <= MA_FALCON_DEF_MAX_RESOURCE;
}

/* see backend/falcon_def.h */
int ma_falcon_def_parse_custom(const struct ma_json_doc *d, int obj, struct ma_falcon_def *def,
                               struct ma_errmsg *em)
{
    struct pctx c = {d, def, "CustomMetric", em};
    char src[MA_FALCON_MAX_ENDPOINT + 1];
    struct ma_errmsg tem;
    int spec, target, metric, rc, n;

    memset(def, 0, sizeof(*def));
    def->kind = MA_FALCON_DEF_CUSTOM;
    if ((rc = parse_common(&c, obj, &spec)) < 0)
        return rc;
    if ((target = object(&c, spec, "target", "spec.target")) == -2)
        return MA_ERR_SYNTAX;
    if ((rc = string(&c, member(&c, target, "resource"), "spec.target.resource", target >= 0,
                     def->resource, sizeof(def->resource))) < 0)
        return rc;
    if (def->resource[0] == '\0')
        strcpy(def->resource, "pods");
    if (!valid_resource(def->resource))
        return fail(&c, MA_ERR_SYNTAX, "spec.target.resource",
                    "not a resource name like \"deployments.apps\"");
    def->target = strcmp(def->resource, "pods") == 0         ? MA_FALCON_TARGET_POD
                  : strcmp(def->resource, "namespaces") == 0 ? MA_FALCON_TARGET_NAMESPACE
                                                             : MA_FALCON_TARGET_OBJECT;
    metric = member(&c, spec, "metric");
    if ((n = string(&c, member(&c, metric, "endpoint"), "spec.metric.endpoint", 0, src,
                    sizeof(src))) < 0)
        return n;
    if ((rc = ma_falcon_tmpl_compile(&def->endpoint, src, (size_t)n, &tem)) < 0)
        return fail(&c, rc, "spec.metric.endpoint",
                    tem.msg + (strncmp(tem.msg, "endpoint template: ", 19) == 0 ? 19 : 0));
    if (def->target != MA_FALCON_TARGET_POD) {
        if (def->endpoint.nparts == 0)
            return fail(&c, MA_ERR_SYNTAX, "spec.metric.endpoint",
                        "required when spec.target.resource is not pods");
        if (def->endpoint.pod_only)
            return fail(&c, MA_ERR_SYNTAX, "spec.metric.endpoint",
                        "only {name} and {namespace} apply when the target is not pods");
    }
    return MA_OK;
}

/* see backend/falcon_def.h */
int ma_falcon_def_parse_external(const struct ma_json_doc *d, int obj, struct ma_falcon_def *def,
                                 struct ma_errmsg *em)
{
    static const char *const modes[] = {"items", "sum", "avg", "min", "max"};
    struct pctx c = {d, def, "ExternalMetric", em};
    struct ma_falcon_tmpl t;
    struct ma_errmsg tem;
    size_t used = 0;
    int spec, list, el, it = 0, rc, n, i;
    char field[40], one[MA_FALCON_MAX_ENDPOINT + 1];

    memset(def, 0, sizeof(*def));
    def->kind = MA_FALCON_DEF_EXTERNAL;
    if ((rc = parse_common(&c, obj, &spec)) < 0)
        return rc;
    el = member(&c, spec, "mode");
    if (el >= 0) {
        if (d->tok[el].type != JSMN_STRING)
            return fail(&c, MA_ERR_SYNTAX, "spec.mode", "not a string");
        for (i = 0; i < 5 && !ma_json_str_eq(d, el, modes[i]); i++)
            ;
        if (i == 5)
            return fail(&c, MA_ERR_SYNTAX, "spec.mode", "not items, sum, avg, min or max");
        def->mode = (enum ma_falcon_ext_mode)i;
    }
    list = member(&c, spec, "endpoints");
    if (list < 0)
        return fail(&c, MA_ERR_SYNTAX, "spec.endpoints", "missing");
    if (d->tok[list].type != JSMN_ARRAY)
        return fail(&c, MA_ERR_SYNTAX, "spec.endpoints", "not a list");
    while ((el = ma_json_next(d, list, &it, NULL)) >= 0) {
        char *dst = def->_pool + used;
        snprintf(field, sizeof(field), "spec.endpoints[%d]", def->nendpoints);
        if (def->nendpoints == MA_FALCON_DEF_MAX_ENDPOINTS)
            return fail(&c, MA_ERR_LIMIT, "spec.endpoints", "more than 64 endpoints");
        if ((n = string(&c, el, field, 1, one, sizeof(one))) < 0)
            return n;
        if ((size_t)n + 1 > sizeof(def->_pool) - used)
            return fail(&c, MA_ERR_LIMIT, "spec.endpoints", "too many bytes in total");
        memcpy(dst, one, (size_t)n + 1);
        if ((rc = ma_falcon_tmpl_compile(&t, dst, (size_t)n, &tem)) < 0)
            return fail(&c, rc, field,
                        tem.msg + (strncmp(tem.msg, "endpoint template: ", 19) == 0 ? 19 : 0));
        if (t.nparts != 1 || t._part[0].ph != MA_FALCON_PH_LITERAL)
            return fail(&c, MA_ERR_SYNTAX, field, "placeholders are not allowed here");
        for (i = 0; i < def->nendpoints; i++)
            if (strcmp(ma_falcon_def_ext_endpoint(def, i), dst) == 0)
                return fail(&c, MA_ERR_SYNTAX, field, "duplicate endpoint");
        def->_ep_off[def->nendpoints++] = (uint16_t)used;
        used += (size_t)n + 1;
    }
    if (def->nendpoints == 0)
        return fail(&c, MA_ERR_SYNTAX, "spec.endpoints", "empty");
    return MA_OK;
}
