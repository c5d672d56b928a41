#ifndef MA_BACKEND_PROM_TEMPLATE_H
#define MA_BACKEND_PROM_TEMPLATE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"

/* prometheus-adapter's templates: Go text/template with "<<" ">>" delimiters, over the fields it
 * passes (pkg/naming/metrics_query.go queryTemplateArgs for metricsQuery, containerQuery and
 * nodeQuery; schema.GroupResource for resources.template). prometheus-adapter adds no functions
 * (no Funcs call), so only Go's built-ins exist; `join`, for one, is undefined there too.
 *
 * Supported, with Go's semantics:
 *  - text; actions << pipeline >>; trim markers "<<- " and " ->>"; comments (a C comment
 *    filling the whole action, as Go allows);
 *  - operands: . and field chains (.Series, .LabelValuesByName.namespace, $x.Field, (pipe).F),
 *    $ and $variables, "strings" and `raw strings`, integers, true, false, nil (as an argument);
 *  - pipelines a | b | c (the result is passed as the last argument), declarations $x := p and
 *    assignments $x = p;
 *  - if / else if / else / end; range (slices in order, maps in sorted key order; $v := or
 *    $i, $v :=; else; break; continue); with / else with / else / end;
 *  - functions and, or (short-circuit), not, len, index, eq, ne, lt, le, gt, ge, print, println,
 *    printf with verbs %s %v %d %q %% (no flags, widths or precisions).
 * Printing follows fmt's %v: strings as is, slices [a b], maps map[k:v] in key order, a missing
 * map entry <no value>.
 * Anything else (define, template, block, other functions, float or character constants, method
 * calls with arguments, an unknown field of the data, an undefined variable) is a compile error
 * naming the construct and its offset: never a silently different query. Errors that depend on
 * the data (index out of range, eq of different kinds) are execution errors, as in Go. */

/* Which data a template sees: the fields of prometheus-adapter's two template argument types. */
enum ma_prom_tmpl_kind {
    MA_PROM_TMPL_QUERY,   /* .Series .LabelMatchers .LabelValuesByName .GroupBy .GroupBySlice */
    MA_PROM_TMPL_RESOURCE /* .Group .Resource */
};

struct ma_prom_kv {
    const char *key, *value; /* NUL-terminated */
};

/* The data of one execution; every string NUL-terminated and owned by the caller. */
struct ma_prom_tmpl_data {
    const char *series, *label_matchers, *group_by; /* NULL reads as "" */
    const struct ma_prom_kv *values_by_name;        /* MUST be sorted by key (strcmp), unique */
    size_t n_values_by_name;
    const char *const *group_by_slice;
    size_t n_group_by_slice;
    const char *group, *resource; /* MA_PROM_TMPL_RESOURCE */
};

struct ma_prom_tmpl;

/* Compile src[0..len) (copied: src need not outlive the program). On success *out is owned by
 * the caller (ma_prom_tmpl_free). MA_ERR_SYNTAX with em = "offset N: <reason>" (the construct
 * named: `function "join" not defined`, `unknown field .Foo`, `{{define}} is not supported`...);
 * MA_ERR_LIMIT beyond MA_PROM_TMPL_MAX_SRC, MA_PROM_TMPL_MAX_NODES or MA_PROM_TMPL_MAX_DEPTH.
 * *out is NULL on error. em MAY be NULL. */
int ma_prom_tmpl_compile(const char *src, size_t len, enum ma_prom_tmpl_kind kind,
                         struct ma_prom_tmpl **out, struct ma_errmsg *em);
void ma_prom_tmpl_free(struct ma_prom_tmpl *t);

/* Append the template's output for data d to out. Returns MA_OK; MA_ERR_SYNTAX for an execution
 * error (em says which, as Go's would: "index out of range: 3", "incompatible types for
 * comparison"), MA_ERR_NOSPACE when out is full (out->err set) or the execution's scratch space
 * (MA_PROM_TMPL_MAX_SCRATCH, for strings that printf and print make) runs out. On error out->len
 * is restored to its value at entry. t is not modified: one program MAY serve several callers. */
int ma_prom_tmpl_exec(const struct ma_prom_tmpl *t, const struct ma_prom_tmpl_data *d,
                      struct ma_buf *out, struct ma_errmsg *em);

/* Whether the template is only text (no action): lets a caller skip execution. */
int ma_prom_tmpl_is_text(const struct ma_prom_tmpl *t);

#endif
