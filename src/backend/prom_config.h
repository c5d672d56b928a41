#ifndef MA_BACKEND_PROM_CONFIG_H
#define MA_BACKEND_PROM_CONFIG_H

#include <stddef.h>

#include "backend/prom_template.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/regex.h"

/* prometheus-adapter's configuration file (its pkg/config/config.go schema), read as strictly as
 * its yaml.UnmarshalStrict does: an unknown key, a repeated key, a value of the wrong type, a bad
 * regular expression or template is an error naming the file, line and column. Scalars given
 * where a string is expected take their text, as yaml.v2 does (seriesQuery: 123 is "123"; a hex
 * or octal integer takes its decimal form here). Booleans are true/false only (yaml.v2 would also
 * take YAML 1.1's yes/no/on/off).
 *
 *   rules:          [rule]      custom.metrics.k8s.io
 *   externalRules:  [rule]      external.metrics.k8s.io
 *   resourceRules:  {cpu: resourceRule, memory: resourceRule, window: duration}
 *   rule: seriesQuery, seriesFilters: [{is | isNot: regex}], resources, name: {matches, as},
 *         metricsQuery (template), labelValueReplacements: [{find, replace}]
 *   resources: template (template over .Group .Resource), overrides: {label: {group, resource}},
 *              namespaced (bool)
 *   resourceRule: containerQuery, nodeQuery (templates), resources, containerLabel
 *
 * Everything is compiled at load, with prometheus-adapter's defaults and checks
 * (pkg/naming/metric_namer.go, resource_converter.go, lbl_res.go):
 *  - name.matches defaults to ".*"; name.as to "$0" when matches has no group, "$1" with one,
 *    and more groups without `as` is an error; a non-empty matches is also an implicit `is`
 *    filter after the explicit ones;
 *  - a filter has exactly one of is / isNot;
 *  - resources.template must render, with .Group = "(?P<group>.+?)" and .Resource =
 *    "(?P<resource>.+?)", to a regular expression (anchored ^...$) holding a resource group: the
 *    expression that recognises resource labels;
 *  - namespaced defaults to true; window has no default (absent is 0). */

/* One label -> group/resource override, as written (normalisation through discovery is the
 * backend's job). */
struct ma_prom_override {
    char *label, *group, *resource; /* group "" for the core group */
};

struct ma_prom_resources {
    char *template_src;               /* NULL when absent */
    struct ma_prom_tmpl *label_tmpl;  /* renders a label from .Group/.Resource, NULL if absent */
    struct ma_regex *label_re;        /* recognises labels made by the template, NULL if absent */
    int group_index, resource_index;  /* groups of label_re; group_index -1 when absent */
    struct ma_prom_override *overrides;
    size_t n_overrides;
    int namespaced; /* 1 unless "namespaced: false" */
};

struct ma_prom_filter {
    int is; /* 1: is, 0: isNot */
    char *src;
    struct ma_regex *re;
};

struct ma_prom_replacement {
    char *find, *replace;
};

struct ma_prom_rule {
    int external;         /* from externalRules */
    int line;             /* the rule's first line in the file */
    char *series_query;
    struct ma_prom_filter *filters; /* the explicit ones, then name.matches when given */
    size_t n_filters;
    struct ma_prom_resources resources;
    char *name_matches;   /* as written ("" when absent) */
    struct ma_regex *name_re; /* name_matches or ".*" */
    char *name_as;        /* after defaulting */
    char *metrics_query;
    struct ma_prom_tmpl *query;
    struct ma_prom_replacement *replacements;
    size_t n_replacements;
};

struct ma_prom_resource_rule {
    char *container_query, *node_query, *container_label;
    struct ma_prom_tmpl *container_tmpl, *node_tmpl;
    struct ma_prom_resources resources;
};

struct ma_prom_config {
    struct ma_prom_rule *rules;
    size_t n_rules;
    struct ma_prom_rule *external;
    size_t n_external;
    int has_resource_rules;
    struct ma_prom_resource_rule cpu, memory;
    long long window_ms;
};

/* Load the file at path (at most MA_PROM_CONFIG_MAX_BYTES). On success *out is a new config
 * owned by the caller (ma_prom_config_free). Errors: MA_ERR_IO (cannot read), MA_ERR_SYNTAX
 * (YAML or schema), MA_ERR_LIMIT (too large or too many rules), with em =
 * "<path>:<line>:<col>: <reason>"; *out is NULL then. */
int ma_prom_config_load(const char *path, struct ma_prom_config **out, struct ma_errmsg *em);
/* The same from text[0..len); name is used in messages in place of the path. */
int ma_prom_config_load_mem(const char *name, const char *text, size_t len,
                            struct ma_prom_config **out, struct ma_errmsg *em);
void ma_prom_config_free(struct ma_prom_config *c);

/* Whether a series named name[0..n) passes the rule's filters (all of them: ANDed). */
int ma_prom_rule_accepts(const struct ma_prom_rule *r, const char *name, size_t n);
/* Append the API metric name for series name[0..n): name.as expanded over name.matches (Go's
 * ExpandString). MA_ERR_NOTFOUND when matches does not match the name. */
int ma_prom_rule_metric_name(const struct ma_prom_rule *r, const char *name, size_t n,
                             struct ma_buf *out);

/* Render query template t (a rule's ->query, or a resource rule's container/node template) as
 * prometheus-adapter's metricsQuery: .Series = series, .LabelMatchers = label_matchers (already
 * joined), .LabelValuesByName = values[0..nvalues) (any order: sorted here; at most
 * MA_PROM_MAX_MATCHERS), .GroupBy = group_by joined by ",", .GroupBySlice = group_by. When
 * repl_rule is non-NULL its labelValueReplacements (find/replace) apply to every value first (prometheus-
 * adapter does so for external rules only). Appends to out; an empty result is an error ("empty
 * query produced by metrics query template"), as in prometheus-adapter. Returns MA_OK,
 * MA_ERR_SYNTAX (template execution error), MA_ERR_LIMIT or MA_ERR_NOSPACE, with em set. */
int ma_prom_render_query(const struct ma_prom_tmpl *t, const char *series,
                         const char *label_matchers, const struct ma_prom_kv *values,
                         size_t nvalues, const char *const *group_by, size_t n_group_by,
                         const struct ma_prom_rule *repl_rule, struct ma_buf *out,
                         struct ma_errmsg *em);

/* The label that resources.template gives a group/resource: .Group has '.' and '-' replaced by
 * '_' (prometheus-adapter's GroupNameSanitizer); resource MUST already be singular. Appends to
 * out; MA_ERR_NOTFOUND when the mapping has no template, MA_ERR_SYNTAX for an empty label. */
int ma_prom_resources_label(const struct ma_prom_resources *m, const char *group,
                            const char *resource, struct ma_buf *out, struct ma_errmsg *em);

#endif
