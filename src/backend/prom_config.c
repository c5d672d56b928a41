/* prometheus-adapter's configuration file -> rule structs with every regex and template
 * compiled. YAML goes through yaml/ to JSON with a position map, then each object is walked
 * against the schema; a refusal names the YAML line and column of the offending key or value. */
#include "backend/prom_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/mem.h"
#include "json/read.h"
#include "yaml/yaml.h"

struct ld {
    const char *name, *yaml;
    size_t len;
    struct ma_json_doc d;
    struct ma_yaml_posmap pm;
    struct ma_errmsg *em;
};

static int lfail(struct ld *l, int tok, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int lfail(struct ld *l, int tok, int code, const char *fmt, ...)
{
    char why[MA_ERRMSG_SIZE];
    int line = 1, col = 1;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (tok >= 0)
        ma_yaml_pos_find(&l->pm, l->yaml, l->len, (size_t)l->d.tok[tok].start, &line, &col);
    ma_errmsg_set(l->em, "%s:%d:%d: %s", l->name, line, col, why);
    return code;
}

/* ---- typed values ---------------------------------------------------------------------------- */

static int is_null(const struct ld *l, int tok)
{
    return tok < 0 || ma_json_is_null(&l->d, tok);
}

static const char *kind_of(const struct ld *l, int tok)
{
    switch (l->d.tok[tok].type) {
    case JSMN_OBJECT: return "a mapping";
    case JSMN_ARRAY: return "a sequence";
    default: return "a scalar";
    }
}

/* A string field: strings as they are, numbers and booleans as their text (yaml.v2 decodes any
 * scalar into a string), null as "". *out is a new NUL-terminated heap string. */
static int get_str(struct ld *l, int tok, const char *field, char **out)
{
    const jsmntok_t *t;
    int n;

    *out = NULL;
    if (is_null(l, tok)) {
        *out = ma_xstrdup("");
        return MA_OK;
    }
    t = &l->d.tok[tok];
    if (t->type == JSMN_PRIMITIVE) {
        *out = ma_xstrndup(l->d.js + t->start, (size_t)(t->end - t->start));
        return MA_OK;
    }
    if (t->type != JSMN_STRING)
        return lfail(l, tok, MA_ERR_SYNTAX, "%s: cannot unmarshal %s into a string", field,
                     kind_of(l, tok));
    n = ma_json_str_len(&l->d, tok);
    *out = ma_xmalloc((size_t)n + 1);
    if (ma_json_str(&l->d, tok, *out, (size_t)n + 1) != n || memchr(*out, '\0', (size_t)n)) {
        free(*out);
        *out = NULL;
        return lfail(l, tok, MA_ERR_SYNTAX, "%s: NUL byte in string", field);
    }
    return MA_OK;
}

/* An object (or null: then *it stays -1 and the caller sees no member). Keys MUST be known. */
static int check_keys(struct ld *l, int obj, const char *type, const char *const *known)
{
    int it = 0, key, v, i;
    char k[64];

    if (is_null(l, obj))
        return MA_OK;
    if (l->d.tok[obj].type != JSMN_OBJECT)
        return lfail(l, obj, MA_ERR_SYNTAX, "%s: expected a mapping, found %s", type,
                     kind_of(l, obj));
    while ((v = ma_json_next(&l->d, obj, &it, &key)) >= 0) {
        if (ma_json_str(&l->d, key, k, sizeof k) < 0)
            k[0] = '\0';
        for (i = 0; known[i]; i++)
            if (strcmp(known[i], k) == 0)
                break;
        if (!known[i])
            return lfail(l, key, MA_ERR_SYNTAX, "field %s not found in type %s", k, type);
    }
    return MA_OK;
}

static int get(struct ld *l, int obj, const char *key)
{
    return is_null(l, obj) ? -1 : ma_json_get(&l->d, obj, key);
}

static int get_list(struct ld *l, int tok, const char *field, int *n)
{
    *n = 0;
    if (is_null(l, tok))
        return MA_OK;
    if (l->d.tok[tok].type != JSMN_ARRAY)
        return lfail(l, tok, MA_ERR_SYNTAX, "%s: expected a sequence, found %s", field,
                     kind_of(l, tok));
    *n = l->d.tok[tok].size;
    return MA_OK;
}

static int compile_re(struct ld *l, int tok, const char *field, const char *src,
                      struct ma_regex **re)
{
    struct ma_errmsg rem;
    int r = ma_regex_compile(src, strlen(src), 0, re, &rem);

    if (r < 0)
        return lfail(l, tok, r, "%s: invalid regular expression %s: %s", field, src, rem.msg);
    return MA_OK;
}

static int compile_tmpl(struct ld *l, int tok, const char *field, const char *src, int kind,
                        struct ma_prom_tmpl **t)
{
    struct ma_errmsg tem;
    int r = ma_prom_tmpl_compile(src, strlen(src), kind, t, &tem);

    if (r < 0)
        return lfail(l, tok, r, "%s: invalid template: %s", field, tem.msg);
    return MA_OK;
}

/* ---- resources ------------------------------------------------------------------------------- */

static const char *const resources_keys[] = {"template", "overrides", "namespaced", NULL};
static const char *const gr_keys[] = {"group", "resource", NULL};

/* prometheus-adapter inverts the label template into a regex by rendering it with named groups
 * for .Group and .Resource (lbl_res.go newLabelGroupResExtractor). */
static int label_regex(struct ld *l, int tok, struct ma_prom_resources *m)
{
    static const struct ma_prom_tmpl_data d = {NULL, NULL, NULL, NULL, 0, NULL, 0,
                                               "(?P<group>.+?)", "(?P<resource>.+?)"};
    struct ma_errmsg tem;
    struct ma_buf b;
    int r;

    ma_buf_init_heap(&b, MA_REGEX_MAX_PATTERN);
    ma_buf_appendc(&b, '^');
    if ((r = ma_prom_tmpl_exec(m->label_tmpl, &d, &b, &tem)) < 0) {
        ma_buf_free(&b);
        return lfail(l, tok, r, "resources.template: unable to convert label template to "
                                "matcher: %s", tem.msg);
    }
    if (b.len == 1) {
        ma_buf_free(&b);
        return lfail(l, tok, MA_ERR_SYNTAX, "resources.template: unable to convert label "
                                            "template to matcher: empty template");
    }
    ma_buf_appendc(&b, '$');
    r = ma_regex_compile(b.p, b.len, 0, &m->label_re, &tem);
    ma_buf_free(&b);
    if (r < 0)
        return lfail(l, tok, r, "resources.template: unable to convert label template to "
                                "matcher: %s", tem.msg);
    m->group_index = ma_regex_group_index(m->label_re, "group", 5);
    m->resource_index = ma_regex_group_index(m->label_re, "resource", 8);
    if (m->resource_index < 0)
        return lfail(l, tok, MA_ERR_SYNTAX, "resources.template: must include at least "
                                            "<<.Resource>> in the label template");
    return MA_OK;
}

static int load_resources(struct ld *l, int tok, int external, struct ma_prom_resources *m)
{
    int r, t, ov, ns, it = 0, key, v;
    size_t i = 0;

    m->namespaced = 1;
    m->group_index = m->resource_index = -1;
    if ((r = check_keys(l, tok, "resources", resources_keys)) < 0)
        return r;
    if ((t = get(l, tok, "template")) >= 0 && !is_null(l, t)) {
        if ((r = get_str(l, t, "resources.template", &m->template_src)) < 0)
            return r;
        if (m->template_src[0] != '\0') {
            if ((r = compile_tmpl(l, t, "resources.template", m->template_src,
                                  MA_PROM_TMPL_RESOURCE, &m->label_tmpl)) < 0 ||
                (r = label_regex(l, t, m)) < 0)
                return r;
        }
    }
    if ((ns = get(l, tok, "namespaced")) >= 0 && !is_null(l, ns)) {
        if (ma_json_bool(&l->d, ns, &m->namespaced) < 0)
            return lfail(l, ns, MA_ERR_SYNTAX, "resources.namespaced: expected true or false");
        (void)external; /* read for every rule, as prometheus-adapter does; used by external */
    }
    if ((ov = get(l, tok, "overrides")) < 0 || is_null(l, ov))
        return MA_OK;
    if (l->d.tok[ov].type != JSMN_OBJECT)
        return lfail(l, ov, MA_ERR_SYNTAX, "resources.overrides: expected a mapping, found %s",
                     kind_of(l, ov));
    m->overrides = ma_xcalloc((size_t)l->d.tok[ov].size + 1, sizeof *m->overrides);
    while ((v = ma_json_next(&l->d, ov, &it, &key)) >= 0) {
        struct ma_prom_override *o = &m->overrides[i++];
        m->n_overrides = i;
        if ((r = get_str(l, key, "resources.overrides", &o->label)) < 0 ||
            (r = check_keys(l, v, "GroupResource", gr_keys)) < 0 ||
            (r = get_str(l, get(l, v, "group"), "group", &o->group)) < 0 ||
            (r = get_str(l, get(l, v, "resource"), "resource", &o->resource)) < 0)
            return r;
    }
    return MA_OK;
}

static void free_resources(struct ma_prom_resources *m)
{
    size_t i;

    free(m->template_src);
    ma_prom_tmpl_free(m->label_tmpl);
    ma_regex_free(m->label_re);
    for (i = 0; i < m->n_overrides; i++) {
        free(m->overrides[i].label);
        free(m->overrides[i].group);
        free(m->overrides[i].resource);
    }
    free(m->overrides);
}

/* ---- rules ----------------------------------------------------------------------------------- */

static const char *const rule_keys[] = {"seriesQuery", "seriesFilters", "resources", "name",
                                        "metricsQuery", "labelValueReplacements", NULL};
static const char *const filter_keys[] = {"is", "isNot", NULL};
static const char *const name_keys[] = {"matches", "as", NULL};
static const char *const repl_keys[] = {"find", "replace", NULL};

static int load_filters(struct ld *l, int tok, struct ma_prom_rule *ru, int extra)
{
    int n, r, k, el, it = 0;
    char *is = NULL, *isnot = NULL;

    if ((r = get_list(l, tok, "seriesFilters", &n)) < 0)
        return r;
    ru->filters = ma_xcalloc((size_t)n + (size_t)extra + 1, sizeof *ru->filters);
    for (k = 0; k < n; k++) {
        struct ma_prom_filter *f = &ru->filters[k];
        el = ma_json_next(&l->d, tok, &it, NULL);
        if ((r = check_keys(l, el, "RegexFilter", filter_keys)) < 0 ||
            (r = get_str(l, get(l, el, "is"), "is", &is)) < 0 ||
            (r = get_str(l, get(l, el, "isNot"), "isNot", &isnot)) < 0)
            goto out;
        if (is[0] && isnot[0]) {
            r = lfail(l, el, MA_ERR_SYNTAX, "cannot have both an `is` (%s) and `isNot` (%s) "
                                            "expression in a single filter", is, isnot);
            goto out;
        }
        if (!is[0] && !isnot[0]) {
            r = lfail(l, el, MA_ERR_SYNTAX, "must have either an `is` or `isNot` expression in a "
                                            "filter");
            goto out;
        }
        f->is = is[0] != '\0';
        f->src = f->is ? is : isnot;
        free(f->is ? isnot : is);
        is = isnot = NULL;
        ru->n_filters = (size_t)k + 1;
        if ((r = compile_re(l, get(l, el, f->is ? "is" : "isNot"), "seriesFilters", f->src,
                            &f->re)) < 0)
            return r;
    }
    return MA_OK;
out:
    free(is);
    free(isnot);
    return r;
}

static int count_groups(const struct ma_regex *re)
{
    return ma_regex_ngroups(re);
}

static int load_rule(struct ld *l, int tok, int external, struct ma_prom_rule *ru)
{
    int r, nm, mt, asn, mq, rp, n, k, it = 0, el, line, col;

    ru->external = external;
    ma_yaml_pos_find(&l->pm, l->yaml, l->len, (size_t)l->d.tok[tok].start, &line, &col);
    ru->line = line;
    if ((r = check_keys(l, tok, "DiscoveryRule", rule_keys)) < 0 ||
        (r = get_str(l, get(l, tok, "seriesQuery"), "seriesQuery", &ru->series_query)) < 0)
        return r;
    nm = get(l, tok, "name");
    if ((r = check_keys(l, nm, "NameMapping", name_keys)) < 0)
        return r;
    mt = get(l, nm, "matches");
    asn = get(l, nm, "as");
    if ((r = get_str(l, mt, "name.matches", &ru->name_matches)) < 0 ||
        (r = get_str(l, asn, "name.as", &ru->name_as)) < 0 ||
        (r = load_filters(l, get(l, tok, "seriesFilters"), ru, 1)) < 0)
        return r;
    /* name.matches is also an implicit `is` filter, after the explicit ones */
    if (ru->name_matches[0]) {
        struct ma_prom_filter *f = &ru->filters[ru->n_filters++];
        f->is = 1;
        f->src = ma_xstrdup(ru->name_matches);
        if ((r = compile_re(l, mt, "name.matches", f->src, &f->re)) < 0 ||
            (r = compile_re(l, mt, "name.matches", ru->name_matches, &ru->name_re)) < 0)
            return r;
    } else if ((r = compile_re(l, tok, "name.matches", ".*", &ru->name_re)) < 0) {
        return r;
    }
    if (ru->name_as[0] == '\0') {
        n = count_groups(ru->name_re);
        if (n > 1)
            return lfail(l, nm >= 0 ? nm : tok, MA_ERR_SYNTAX,
                         "must specify an 'as' value for name matcher %s associated with series "
                         "query %s", ru->name_matches, ru->series_query);
        free(ru->name_as);
        ru->name_as = ma_xstrdup(n == 0 ? "$0" : "$1");
    }
    if ((r = load_resources(l, get(l, tok, "resources"), external, &ru->resources)) < 0)
        return r;
    mq = get(l, tok, "metricsQuery");
    if ((r = get_str(l, mq, "metricsQuery", &ru->metrics_query)) < 0 ||
        (r = compile_tmpl(l, mq >= 0 ? mq : tok, "metricsQuery", ru->metrics_query,
                          MA_PROM_TMPL_QUERY, &ru->query)) < 0)
        return r;
    rp = get(l, tok, "labelValueReplacements");
    if ((r = get_list(l, rp, "labelValueReplacements", &n)) < 0)
        return r;
    ru->replacements = ma_xcalloc((size_t)n + 1, sizeof *ru->replacements);
    for (k = 0; k < n; k++) {
        el = ma_json_next(&l->d, rp, &it, NULL);
        ru->n_replacements = (size_t)k + 1;
        if ((r = check_keys(l, el, "LabelValueReplacement", repl_keys)) < 0 ||
            (r = get_str(l, get(l, el, "find"), "find", &ru->replacements[k].find)) < 0 ||
            (r = get_str(l, get(l, el, "replace"), "replace", &ru->replacements[k].replace)) < 0)
            return r;
    }
    return MA_OK;
}

static void free_rule(struct ma_prom_rule *ru)
{
    size_t i;

    free(ru->series_query);
    for (i = 0; i < ru->n_filters; i++) {
        free(ru->filters[i].src);
        ma_regex_free(ru->filters[i].re);
    }
    free(ru->filters);
    free_resources(&ru->resources);
    free(ru->name_matches);
    ma_regex_free(ru->name_re);
    free(ru->name_as);
    free(ru->metrics_query);
    ma_prom_tmpl_free(ru->query);
    for (i = 0; i < ru->n_replacements; i++) {
        free(ru->replacements[i].find);
        free(ru->replacements[i].replace);
    }
    free(ru->replacements);
}

static int load_rules(struct ld *l, int tok, const char *field, int external,
                      struct ma_prom_rule **out, size_t *nout)
{
    int n, r, k, it = 0, el;

    if ((r = get_list(l, tok, field, &n)) < 0)
        return r;
    if (n > MA_PROM_CONFIG_MAX_RULES)
        return lfail(l, tok, MA_ERR_LIMIT, "%s: more than %d rules", field,
                     MA_PROM_CONFIG_MAX_RULES);
    *out = ma_xcalloc((size_t)n + 1, sizeof **out);
    for (k = 0; k < n; k++) {
        el = ma_json_next(&l->d, tok, &it, NULL);
        *nout = (size_t)k + 1;
        if (is_null(l, el))
            return lfail(l, el, MA_ERR_SYNTAX, "%s: an empty rule", field);
        if ((r = load_rule(l, el, external, &(*out)[k])) < 0)
            return r;
    }
    return MA_OK;
}

/* ---- resource rules -------------------------------------------------------------------------- */

static const char *const rr_keys[] = {"cpu", "memory", "window", NULL};
static const char *const rrule_keys[] = {"containerQuery", "nodeQuery", "resources",
                                         "containerLabel", NULL};

static int load_rrule(struct ld *l, int tok, const char *what, struct ma_prom_resource_rule *rr)
{
    int r, cq, nq;

    if ((r = check_keys(l, tok, what, rrule_keys)) < 0)
        return r;
    cq = get(l, tok, "containerQuery");
    nq = get(l, tok, "nodeQuery");
    if ((r = get_str(l, cq, "containerQuery", &rr->container_query)) < 0 ||
        (r = get_str(l, nq, "nodeQuery", &rr->node_query)) < 0 ||
        (r = get_str(l, get(l, tok, "containerLabel"), "containerLabel",
                     &rr->container_label)) < 0 ||
        (r = compile_tmpl(l, cq >= 0 ? cq : tok, "containerQuery", rr->container_query,
                          MA_PROM_TMPL_QUERY, &rr->container_tmpl)) < 0 ||
        (r = compile_tmpl(l, nq >= 0 ? nq : tok, "nodeQuery", rr->node_query, MA_PROM_TMPL_QUERY,
                          &rr->node_tmpl)) < 0)
        return r;
    return load_resources(l, get(l, tok, "resources"), 0, &rr->resources);
}

static void free_rrule(struct ma_prom_resource_rule *rr)
{
    free(rr->container_query);
    free(rr->node_query);
    free(rr->container_label);
    ma_prom_tmpl_free(rr->container_tmpl);
    ma_prom_tmpl_free(rr->node_tmpl);
    free_resources(&rr->resources);
}

/* Prometheus' duration syntax (prometheus/common model.ParseDuration): "0", or units in the
 * order y w d h m s ms, each at most once: 1h30m, 5m, 90s. */
static int parse_duration(const char *s, long long *ms)
{
    static const struct {
        const char *unit;
        long long ms;
    } units[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000LL},
                 {"h", 3600000LL},        {"m", 60000LL},        {"s", 1000LL},
                 {"ms", 1LL}};
    int u = 0, any = 0;
    long long v;

    *ms = 0;
    if (strcmp(s, "0") == 0)
        return MA_OK;
    while (*s) {
        if (*s < '0' || *s > '9')
            return MA_ERR_SYNTAX;
        for (v = 0; *s >= '0' && *s <= '9'; s++) {
            v = v * 10 + (*s - '0');
            if (v > 1000000000000LL)
                return MA_ERR_SYNTAX;
        }
        while (u < 7) {
            size_t n = strlen(units[u].unit);
            /* "m" must not eat the m of "ms" */
            if (strncmp(s, units[u].unit, n) == 0 && !(u == 4 && s[1] == 's'))
                break;
            u++;
        }
        if (u == 7)
            return MA_ERR_SYNTAX;
        *ms += v * units[u].ms;
        s += strlen(units[u].unit);
        u++;
        any = 1;
    }
    return any ? MA_OK : MA_ERR_SYNTAX;
}

static int load_resource_rules(struct ld *l, int tok, struct ma_prom_config *c)
{
    int r, w;
    char *ws = NULL;

    if (is_null(l, tok))
        return MA_OK;
    if ((r = check_keys(l, tok, "ResourceRules", rr_keys)) < 0)
        return r;
    c->has_resource_rules = 1;
    if ((r = load_rrule(l, get(l, tok, "cpu"), "ResourceRule", &c->cpu)) < 0 ||
        (r = load_rrule(l, get(l, tok, "memory"), "ResourceRule", &c->memory)) < 0)
        return r;
    if ((w = get(l, tok, "window")) < 0 || is_null(l, w))
        return MA_OK;
    if ((r = get_str(l, w, "window", &ws)) < 0)
        return r;
    if (parse_duration(ws, &c->window_ms) < 0) {
        r = lfail(l, w, MA_ERR_SYNTAX, "window: not a valid duration string: \"%s\"", ws);
        free(ws);
        return r;
    }
    free(ws);
    return MA_OK;
}

/* ---- loading --------------------------------------------------------------------------------- */

static const char *const top_keys[] = {"rules", "externalRules", "resourceRules", NULL};

/* see backend/prom_config.h */
int ma_prom_config_load_mem(const char *name, const char *text, size_t len,
                            struct ma_prom_config **out, struct ma_errmsg *em)
{
    struct ld l;
    struct ma_buf js;
    struct ma_errmsg yem;
    struct ma_prom_config *c;
    jsmntok_t *toks = NULL;
    int r, ntok;

    *out = NULL;
    if (len > MA_PROM_CONFIG_MAX_BYTES) {
        ma_errmsg_set(em, "%s: %zu bytes exceeds the %d-byte limit", name, len,
                      MA_PROM_CONFIG_MAX_BYTES);
        return MA_ERR_LIMIT;
    }
    memset(&l, 0, sizeof l);
    l.name = name;
    l.yaml = text;
    l.len = len;
    l.em = em;
    /* a node takes at least two bytes of YAML ("a\n", "1,") */
    l.pm.cap = len / 2 + 16;
    l.pm.v = ma_xmalloc(l.pm.cap * sizeof *l.pm.v);
    ma_buf_init_heap(&js, 8 * (size_t)MA_PROM_CONFIG_MAX_BYTES);
    r = ma_yaml_to_json_pos(text, len, &js, &yem, &l.pm);
    if (r < 0) {
        /* the YAML reader's "line L column C: why" in file:line:col form */
        {
            int line = 0, col = 0, used = 0;
            if (sscanf(yem.msg, "line %d column %d: %n", &line, &col, &used) == 2 && used > 0)
                ma_errmsg_set(em, "%s:%d:%d: %s", name, line, col, yem.msg + used);
            else
                ma_errmsg_set(em, "%s: %s", name, yem.msg);
        }
        goto done;
    }
    ntok = (int)js.len + 1;
    toks = ma_xmalloc((size_t)ntok * sizeof *toks);
    if ((r = ma_json_parse(&l.d, js.p, js.len, toks, ntok, &yem)) < 0) {
        ma_errmsg_set(em, "%s: %s", name, yem.msg);
        goto done;
    }
    c = ma_xcalloc(1, sizeof *c);
    if ((r = check_keys(&l, 0, "MetricsDiscoveryConfig", top_keys)) < 0 ||
        (r = load_rules(&l, get(&l, 0, "rules"), "rules", 0, &c->rules, &c->n_rules)) < 0 ||
        (r = load_rules(&l, get(&l, 0, "externalRules"), "externalRules", 1, &c->external,
                        &c->n_external)) < 0 ||
        (r = load_resource_rules(&l, get(&l, 0, "resourceRules"), c)) < 0) {
        ma_prom_config_free(c);
        goto done;
    }
    *out = c;
done:
    free(toks);
    ma_buf_free(&js);
    free(l.pm.v);
    return r;
}

/* see backend/prom_config.h */
int ma_prom_config_load(const char *path, struct ma_prom_config **out, struct ma_errmsg *em)
{
    char *text;
    size_t len;
    int r;

    *out = NULL;
    if ((r = ma_file_read(path, MA_PROM_CONFIG_MAX_BYTES, "config", &text, &len, NULL, em)) < 0)
        return r;
    r = ma_prom_config_load_mem(path, text, len, out, em);
    free(text);
    return r;
}

/* see backend/prom_config.h */
void ma_prom_config_free(struct ma_prom_config *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n_rules; i++)
        free_rule(&c->rules[i]);
    for (i = 0; i < c->n_external; i++)
        free_rule(&c->external[i]);
    free(c->rules);
    free(c->external);
    free_rrule(&c->cpu);
    free_rrule(&c->memory);
    free(c);
}

/* ---- using rules ----------------------------------------------------------------------------- */

/* see backend/prom_config.h */
int ma_prom_rule_accepts(const struct ma_prom_rule *r, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < r->n_filters; i++)
        if (ma_regex_search(r->filters[i].re, name, n, NULL, 0) != r->filters[i].is)
            return 0;
    return 1;
}

/* see backend/prom_config.h */
int ma_prom_rule_metric_name(const struct ma_prom_rule *r, const char *name, size_t n,
                             struct ma_buf *out)
{
    long sub[2 * (MA_REGEX_MAX_GROUPS + 1)];
    int nsub = 2 * (ma_regex_ngroups(r->name_re) + 1);

    if (!ma_regex_search(r->name_re, name, n, sub, nsub))
        return MA_ERR_NOTFOUND;
    ma_regex_expand(r->name_re, r->name_as, strlen(r->name_as), name, sub, nsub, out);
    return out->err ? MA_ERR_NOSPACE : MA_OK;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct ma_prom_kv *)a)->key, ((const struct ma_prom_kv *)b)->key);
}

/* see backend/prom_config.h */
int ma_prom_render_query(const struct ma_prom_tmpl *t, const char *series,
                         const char *label_matchers, const struct ma_prom_kv *values,
                         size_t nvalues, const char *const *group_by, size_t n_group_by,
                         const struct ma_prom_rule *repl_rule, struct ma_buf *out,
                         struct ma_errmsg *em)
{
    struct ma_prom_kv kv[MA_PROM_MAX_MATCHERS];
    char *owned[MA_PROM_MAX_MATCHERS];
    struct ma_prom_tmpl_data d;
    struct ma_buf gb;
    size_t i, k, start = out->len;
    int r;

    if (nvalues > MA_PROM_MAX_MATCHERS) {
        ma_errmsg_set(em, "more than %d label matchers", MA_PROM_MAX_MATCHERS);
        return MA_ERR_LIMIT;
    }
    memset(owned, 0, sizeof owned);
    for (i = 0; i < nvalues; i++) {
        kv[i] = values[i];
        if (repl_rule == NULL || repl_rule->n_replacements == 0)
            continue;
        /* strings.ReplaceAll for each pair in order (metrics_query.go BuildExternal) */
        for (k = 0; k < repl_rule->n_replacements; k++) {
            const char *find = repl_rule->replacements[k].find;
            const char *rep = repl_rule->replacements[k].replace, *s = kv[i].value, *hit;
            struct ma_buf nb;
            size_t fl = strlen(find);

            ma_buf_init_heap(&nb, 1 << 20);
            if (fl == 0) { /* Go: an empty find inserts rep around every rune */
                ma_buf_appends(&nb, rep);
                for (; *s; s++) {
                    ma_buf_appendc(&nb, *s);
                    if ((s[1] & 0xc0) != 0x80)
                        ma_buf_appends(&nb, rep);
                }
            } else {
                while ((hit = strstr(s, find)) != NULL) {
                    ma_buf_append(&nb, s, (size_t)(hit - s));
                    ma_buf_appends(&nb, rep);
                    s = hit + fl;
                }
                ma_buf_appends(&nb, s);
            }
            free(owned[i]);
            owned[i] = ma_xstrdup(ma_buf_cstr(&nb));
            ma_buf_free(&nb);
            kv[i].value = owned[i];
        }
    }
    qsort(kv, nvalues, sizeof kv[0], cmp_kv);
    ma_buf_init_heap(&gb, 1 << 16);
    for (i = 0; i < n_group_by; i++) {
        if (i)
            ma_buf_appendc(&gb, ',');
        ma_buf_appends(&gb, group_by[i]);
    }
    memset(&d, 0, sizeof d);
    d.series = series;
    d.label_matchers = label_matchers;
    d.values_by_name = kv;
    d.n_values_by_name = nvalues;
    d.group_by = ma_buf_cstr(&gb);
    d.group_by_slice = group_by;
    d.n_group_by_slice = n_group_by;
    r = ma_prom_tmpl_exec(t, &d, out, em);
    if (r == MA_OK && out->len == start) {
        ma_errmsg_set(em, "empty query produced by metrics query template");
        r = MA_ERR_SYNTAX;
    }
    ma_buf_free(&gb);
    for (i = 0; i < nvalues; i++)
        free(owned[i]);
    return r;
}

/* see backend/prom_config.h */
int ma_prom_resources_label(const struct ma_prom_resources *m, const char *group,
                            const char *resource, struct ma_buf *out, struct ma_errmsg *em)
{
    struct ma_prom_tmpl_data d;
    size_t start = out->len;
    char *g;
    int r, i;

    if (m->label_tmpl == NULL) {
        ma_errmsg_set(em, "no generic resource label form specified for this metric");
        return MA_ERR_NOTFOUND;
    }
    g = ma_xstrdup(group ? group : "");
    for (i = 0; g[i]; i++)
        if (g[i] == '.' || g[i] == '-')
            g[i] = '_';
    memset(&d, 0, sizeof d);
    d.group = g;
    d.resource = resource;
    r = ma_prom_tmpl_exec(m->label_tmpl, &d, out, em);
    free(g);
    if (r == MA_OK && out->len == start) {
        ma_errmsg_set(em, "empty label produced by label template");
        r = MA_ERR_SYNTAX;
    }
    return r;
}
