/* backend/prom_config: the configurations under tests/vectors/promcfg/ (written from
 * prometheus-adapter's documentation) load, and what they hold equals the .want summary that
 * go-yaml v2's UnmarshalStrict gives with prometheus-adapter's config types; the documentation's
 * slips (bad/) are refused as prometheus-adapter refuses them; defaults and checks follow
 * pkg/naming; rendering follows metrics_query.go. */
#include "backend/prom_config.h"

#include <dirent.h>
#include <stdio.h>

#include "t.h"

static void q(struct ma_buf *b, const char *s)
{
    ma_buf_appendc(b, '"');
    for (; *s; s++) {
        switch (*s) {
        case '"': ma_buf_appends(b, "\\\""); break;
        case '\\': ma_buf_appends(b, "\\\\"); break;
        case '\n': ma_buf_appends(b, "\\n"); break;
        case '\t': ma_buf_appends(b, "\\t"); break;
        default: ma_buf_appendc(b, *s);
        }
    }
    ma_buf_appendc(b, '"');
}

static int cmp_ov(const void *a, const void *b)
{
    return strcmp(((const struct ma_prom_override *)a)->label,
                  ((const struct ma_prom_override *)b)->label);
}

static void res(struct ma_buf *b, const struct ma_prom_resources *m)
{
    struct ma_prom_override ov[64];
    size_t i;

    ma_buf_appends(b, "template ");
    q(b, m->template_src ? m->template_src : "");
    ma_buf_appendc(b, '\n');
    CHECK(m->n_overrides <= 64);
    if (m->n_overrides)
        memcpy(ov, m->overrides, m->n_overrides * sizeof ov[0]);
    qsort(ov, m->n_overrides, sizeof ov[0], cmp_ov);
    for (i = 0; i < m->n_overrides; i++) {
        ma_buf_appends(b, "override ");
        q(b, ov[i].label);
        ma_buf_appendc(b, ' ');
        q(b, ov[i].group);
        ma_buf_appendc(b, ' ');
        q(b, ov[i].resource);
        ma_buf_appendc(b, '\n');
    }
    ma_buf_appendf(b, "namespaced %s\n", m->namespaced ? "true" : "false");
}

static void rules(struct ma_buf *b, const char *kind, const struct ma_prom_rule *r, size_t n)
{
    size_t i, k, explicit;

    for (i = 0; i < n; i++) {
        ma_buf_appendf(b, "%s %zu\nseriesQuery ", kind, i);
        q(b, r[i].series_query);
        ma_buf_appendc(b, '\n');
        explicit = r[i].n_filters - (r[i].name_matches[0] ? 1 : 0);
        for (k = 0; k < explicit; k++) {
            ma_buf_appends(b, r[i].filters[k].is ? "is " : "isNot ");
            q(b, r[i].filters[k].src);
            ma_buf_appendc(b, '\n');
        }
        res(b, &r[i].resources);
        ma_buf_appends(b, "matches ");
        q(b, r[i].name_matches);
        ma_buf_appends(b, "\nmetricsQuery ");
        q(b, r[i].metrics_query);
        ma_buf_appendc(b, '\n');
        CHECK(r[i].name_re != NULL && r[i].query != NULL);
    }
}

static void summary(struct ma_buf *b, const struct ma_prom_config *c)
{
    const struct ma_prom_resource_rule *rr[2] = {&c->cpu, &c->memory};
    int k;

    rules(b, "rule", c->rules, c->n_rules);
    rules(b, "external", c->external, c->n_external);
    if (!c->has_resource_rules)
        return;
    for (k = 0; k < 2; k++) {
        ma_buf_appendf(b, "%s\ncontainerQuery ", k ? "memory" : "cpu");
        q(b, rr[k]->container_query);
        ma_buf_appends(b, "\nnodeQuery ");
        q(b, rr[k]->node_query);
        ma_buf_appends(b, "\ncontainerLabel ");
        q(b, rr[k]->container_label);
        ma_buf_appendc(b, '\n');
        res(b, &rr[k]->resources);
    }
    ma_buf_appendf(b, "window %lld\n", c->window_ms);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *s = malloc(1 << 20);

    CHECK(f != NULL);
    *n = f ? fread(s, 1, (1 << 20) - 1, f) : 0;
    s[*n] = '\0';
    if (f)
        fclose(f);
    return s;
}

static void test_documented_configs(void)
{
    static const char *const names[] = {"config-md", "sample-config", "config-walkthrough",
                                        "walkthrough", "deploy-manifests", "helm-chart"};
    size_t i, n;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256], want[256];
        struct ma_prom_config *c;
        struct ma_errmsg em;
        struct ma_buf b;
        char *w;

        snprintf(path, sizeof path, "tests/vectors/promcfg/%s.yaml", names[i]);
        snprintf(want, sizeof want, "tests/vectors/promcfg/%s.want", names[i]);
        if (ma_prom_config_load(path, &c, &em) != MA_OK) {
            fprintf(stderr, "%s\n", em.msg);
            CHECK(0);
            continue;
        }
        ma_buf_init_heap(&b, 1 << 20);
        summary(&b, c);
        w = slurp(want, &n);
        if (b.len != n || memcmp(b.p, w, n) != 0) {
            fprintf(stderr, "%s: summary differs from go-yaml's:\n%.*s\n---- want\n%s\n", path,
                    (int)b.len, b.p, w);
            CHECK(0);
        }
        free(w);
        ma_buf_free(&b);
        ma_prom_config_free(c);
    }
}

static int load(const char *text, struct ma_prom_config **c, struct ma_errmsg *em)
{
    return ma_prom_config_load_mem("t.yaml", text, strlen(text), c, em);
}

static void test_refusals(void)
{
    static const struct {
        const char *text, *msg;
    } rows[] = {
        {"rules:\n- seriesQuery: x\n  metricQuery: y\n",
         "t.yaml:3:3: field metricQuery not found in type DiscoveryRule"},
        {"rule: []\n", "t.yaml:1:1: field rule not found in type MetricsDiscoveryConfig"},
        {"rules:\n- seriesQuery: [a]\n", "t.yaml:2:16: seriesQuery: cannot unmarshal a sequence "
                                         "into a string"},
        {"rules:\n- name: {matches: \"(a\"}\n",
         "t.yaml:2:19: name.matches: invalid regular expression (a: missing closing ) at offset "
         "0: `(a`"},
        {"rules:\n- seriesFilters: [{is: a, isNot: b}]\n",
         "t.yaml:2:19: cannot have both an `is` (a) and `isNot` (b) expression in a single "
         "filter"},
        {"rules:\n- seriesFilters: [{}]\n",
         "t.yaml:2:19: must have either an `is` or `isNot` expression in a filter"},
        {"rules:\n- seriesQuery: q\n  name: {matches: \"(a)(b)\"}\n",
         "t.yaml:3:9: must specify an 'as' value for name matcher (a)(b) associated with series "
         "query q"},
        {"rules:\n- metricsQuery: <<join .GroupBySlice \",\">>\n",
         "t.yaml:2:17: metricsQuery: invalid template: offset 2: function \"join\" not defined"},
        {"rules:\n- resources: {namespaced: \"true\"}\n",
         "t.yaml:2:27: resources.namespaced: expected true or false"},
        {"rules:\n- resources: {template: \"kube_<<.Group>>\"}\n",
         "t.yaml:2:25: resources.template: must include at least <<.Resource>> in the label "
         "template"},
        {"rules:\n- resources: {template: \"<<.Resource>>(\"}\n",
         "t.yaml:2:25: resources.template: unable to convert label template to matcher: missing "
         "closing ) at offset 18: `($`"},
        {"resourceRules: {window: 5 minutes}\n",
         "t.yaml:1:25: window: not a valid duration string: \"5 minutes\""},
        {"rules:\n- seriesQuery: x\n  resources:\n    overrides:\n      namespace: "
         "{resource: \"namespace\"},\n",
         "t.yaml:5:"},
        {"rules:\n- seriesQuery: a\n  seriesQuery: b\n", "t.yaml:3:3: duplicate key"},
        {"rules:\n- resources:\n    overrides:\n      pod: {resource: pod, kind: Pod}\n",
         "t.yaml:4:28: field kind not found in type GroupResource"},
        {"rules:\n- null\n", "t.yaml:2:3: rules: an empty rule"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_prom_config *c = (struct ma_prom_config *)1;
        struct ma_errmsg em;
        int r = load(rows[i].text, &c, &em);

        CHECK(r == MA_ERR_SYNTAX && c == NULL);
        if (strncmp(em.msg, rows[i].msg, strlen(rows[i].msg)) != 0) {
            fprintf(stderr, "row %zu:\n  got:  %s\n  want: %s\n", i, em.msg, rows[i].msg);
            CHECK(0);
        }
    }
}

static void test_doc_slips(void)
{
    struct ma_prom_config *c;
    struct ma_errmsg em;

    CHECK(ma_prom_config_load("tests/vectors/promcfg/bad/trailing-comma.yaml", &c, &em) ==
          MA_ERR_SYNTAX);
    CHECK(strncmp(em.msg, "tests/vectors/promcfg/bad/trailing-comma.yaml:5:", 48) == 0);
    CHECK(ma_prom_config_load("tests/vectors/promcfg/bad/metricQuery.yaml", &c, &em) ==
          MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "tests/vectors/promcfg/bad/metricQuery.yaml:4:3: field metricQuery not "
                      "found in type DiscoveryRule");
    CHECK(ma_prom_config_load("tests/vectors/promcfg/nope.yaml", &c, &em) == MA_ERR_IO);
}

static void test_defaults_and_naming(void)
{
    struct ma_prom_config *c;
    struct ma_errmsg em;
    struct ma_buf b;
    const char *text = "rules:\n"
                       "- seriesQuery: a\n"                              /* no name: .* $0 */
                       "- name: {matches: \"^(.*)_total$\"}\n"            /* $1 */
                       "  seriesFilters: [{isNot: \"^container_\"}]\n"
                       "- name: {matches: \"^(a)(b)$\", as: \"$2$1\"}\n"
                       "- name: {matches: \"(?P<m>.*)_seconds_total\", as: \"${m}_per_s\"}\n"
                       "externalRules:\n"
                       "- resources: {namespaced: false}\n"
                       "  labelValueReplacements: [{find: \"#\", replace: \"_\"}]\n"
                       "resourceRules: {window: 1h30m}\n";

    CHECK(load(text, &c, &em) == MA_OK);
    if (c == NULL) {
        fprintf(stderr, "%s\n", em.msg);
        return;
    }
    CHECK(c->n_rules == 4 && c->n_external == 1 && c->has_resource_rules);
    CHECK_STR(c->rules[0].name_as, "$0");
    CHECK(c->rules[0].n_filters == 0);
    CHECK_STR(c->rules[1].name_as, "$1");
    CHECK(c->rules[1].n_filters == 2 && c->rules[1].filters[1].is);
    CHECK(c->rules[0].line == 2 && c->rules[1].line == 3);
    CHECK(c->rules[0].resources.namespaced == 1 && c->external[0].resources.namespaced == 0);
    CHECK(c->external[0].external && !c->rules[0].external);
    CHECK(c->window_ms == 5400000);

    CHECK(ma_prom_rule_accepts(&c->rules[1], "http_requests_total", 19));
    CHECK(!ma_prom_rule_accepts(&c->rules[1], "container_x_total", 17));
    CHECK(!ma_prom_rule_accepts(&c->rules[1], "http_requests", 13));
    ma_buf_init_heap(&b, 1024);
    CHECK(ma_prom_rule_metric_name(&c->rules[1], "http_requests_total", 19, &b) == MA_OK);
    CHECK(b.len == 13 && memcmp(b.p, "http_requests", 13) == 0);
    ma_buf_reset(&b);
    CHECK(ma_prom_rule_metric_name(&c->rules[0], "up", 2, &b) == MA_OK && b.len == 2);
    ma_buf_reset(&b);
    CHECK(ma_prom_rule_metric_name(&c->rules[2], "ab", 2, &b) == MA_OK);
    CHECK(b.len == 2 && memcmp(b.p, "ba", 2) == 0);
    ma_buf_reset(&b);
    CHECK(ma_prom_rule_metric_name(&c->rules[2], "xy", 2, &b) == MA_ERR_NOTFOUND);
    CHECK(ma_prom_rule_metric_name(&c->rules[3], "cpu_seconds_total", 17, &b) == MA_OK);
    CHECK(b.len == 9 && memcmp(b.p, "cpu_per_s", 9) == 0);
    ma_buf_free(&b);
    ma_prom_config_free(c);
}

static void test_render(void)
{
    struct ma_prom_config *c;
    struct ma_errmsg em;
    struct ma_buf b;
    const char *const gb[] = {"pod"};
    const struct ma_prom_kv vals[] = {{"pod", "a|b"}, {"namespace", "prod#1"}};
    int r;

    CHECK(ma_prom_config_load("tests/vectors/promcfg/config-walkthrough.yaml", &c, &em) == 0);
    ma_buf_init_heap(&b, 4096);
    r = ma_prom_render_query(c->rules[0].query, "http_requests_total",
                             "kubernetes_namespace=\"production\",kubernetes_pod_name=~\"a|b\"",
                             vals, 2, gb, 1, NULL, &b, &em);
    CHECK(r == MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "sum(rate(http_requests_total{kubernetes_namespace=\"production\","
                               "kubernetes_pod_name=~\"a|b\"}[2m])) by (pod)");
    ma_prom_config_free(c);

    /* LabelValuesByName sorted, replacements applied, GroupBy joined */
    {
        const char *text = "externalRules:\n- metricsQuery: '<<range $k, $v := "
                           ".LabelValuesByName>><<$k>>=<<$v>>;<<end>><<.GroupBy>>'\n"
                           "  labelValueReplacements: [{find: \"#\", replace: \"_\"}]\n"
                           "- metricsQuery: '<<if .Series>>x<<end>>'\n";
        const char *const gb2[] = {"a", "b"};
        CHECK(load(text, &c, &em) == MA_OK);
        ma_buf_reset(&b);
        r = ma_prom_render_query(c->external[0].query, "s", "", vals, 2, gb2, 2, &c->external[0],
                                 &b, &em);
        CHECK(r == MA_OK);
        CHECK_STR(ma_buf_cstr(&b), "namespace=prod_1;pod=a|b;a,b");
        ma_buf_reset(&b);
        r = ma_prom_render_query(c->external[1].query, "", "", NULL, 0, NULL, 0, NULL, &b, &em);
        CHECK(r == MA_ERR_SYNTAX);
        CHECK_STR(em.msg, "empty query produced by metrics query template");
        ma_prom_config_free(c);
    }
    ma_buf_free(&b);
}

static void test_resource_template(void)
{
    struct ma_prom_config *c;
    struct ma_errmsg em;
    struct ma_buf b;
    long sub[8];
    const struct ma_prom_resources *m;

    CHECK(ma_prom_config_load("tests/vectors/promcfg/config-md.yaml", &c, &em) == 0);
    m = &c->rules[1].resources;
    ma_buf_init_heap(&b, 1024);
    CHECK(ma_prom_resources_label(m, "apps.k8s-x.io", "deployment", &b, &em) == MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "kube_apps_k8s_x_io_deployment");
    /* the inverse: the label regex finds group and resource */
    CHECK(m->label_re != NULL && m->group_index == 1 && m->resource_index == 2);
    CHECK(ma_regex_search(m->label_re, "kube_apps_deployment", 20, sub, 6) == 1);
    CHECK(sub[2] == 5 && sub[3] == 9 && sub[4] == 10 && sub[5] == 20);
    CHECK(ma_regex_search(m->label_re, "pod", 3, NULL, 0) == 0);
    ma_buf_reset(&b);
    CHECK(ma_prom_resources_label(&c->rules[0].resources, "", "pod", &b, &em) == MA_ERR_NOTFOUND);
    ma_buf_free(&b);
    ma_prom_config_free(c);
}

int main(void)
{
    T_RUN(test_documented_configs);
    T_RUN(test_refusals);
    T_RUN(test_doc_slips);
    T_RUN(test_defaults_and_naming);
    T_RUN(test_render);
    T_RUN(test_resource_template);
    T_END();
}
