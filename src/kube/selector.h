#ifndef MA_KUBE_SELECTOR_H
#define MA_KUBE_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/str.h"
#include "kube/label.h"

struct ma_buf;
struct ma_json_w;

/* Kubernetes label selectors (labels.Parse): the grammar, validation, canonical String() and
 * matching of k8s.io/apimachinery pkg/labels. The parser never allocates: requirements and values are
 * slices into the input, which MUST outlive the selector. */

enum ma_kube_sel_op {
    MA_KUBE_SEL_EQ,        /* k=v   */
    MA_KUBE_SEL_DEQ,       /* k==v  (prints as ==, matches as =) */
    MA_KUBE_SEL_NEQ,       /* k!=v  */
    MA_KUBE_SEL_IN,        /* k in (a,b) */
    MA_KUBE_SEL_NOTIN,     /* k notin (a,b) */
    MA_KUBE_SEL_EXISTS,    /* k  */
    MA_KUBE_SEL_NOTEXISTS, /* !k */
    MA_KUBE_SEL_GT,        /* k>5 */
    MA_KUBE_SEL_LT         /* k<5 */
};

struct ma_kube_sel_req {
    struct ma_str key;
    enum ma_kube_sel_op op;
    size_t first_value, num_values; /* into ma_kube_selector.values; sorted, deduplicated */
    int64_t num;                    /* the integer operand of GT/LT */
};

struct ma_kube_selector {
    struct ma_kube_sel_req reqs[MA_KUBE_SEL_MAX_REQS]; /* sorted by key, stable */
    size_t num_reqs;
    struct ma_str values[MA_KUBE_SEL_MAX_VALUES];
    size_t num_values;
};

/* Parse s[0..len) (already percent-decoded). The empty or all-whitespace string is the valid
 * "everything" selector (num_reqs == 0). Returns MA_OK; MA_ERR_SYNTAX for grammar or validation
 * errors, with a message close to Go's wording in em (e.g. `unable to parse requirement: values[0][app]:
 * Invalid value: "-x": a valid label must be ...`, `found ',', expected: identifier after ','`);
 * MA_ERR_LIMIT when more than MA_KUBE_SEL_MAX_REQS requirements or MA_KUBE_SEL_MAX_VALUES values.
 * On any error *sel is the empty selector. A NUL byte acts as it does in Go's lexer: at a token
 * start it ends the input, right after a token it only ends that token. em MAY be NULL. */
int ma_kube_selector_parse(const char *s, size_t len, struct ma_kube_selector *sel,
                           struct ma_errmsg *em);

/* 1 if every requirement matches the label set (the empty selector matches everything), else 0. */
int ma_kube_selector_matches(const struct ma_kube_selector *sel, const struct ma_kube_labels *labels);

/* Append the canonical String() form ("a=b,x in (1,2)") to out. */
void ma_kube_selector_string(const struct ma_kube_selector *sel, struct ma_buf *out);

/* Write the selector as a metav1.LabelSelector JSON value, as metav1.ParseToLabelSelector would:
 * '='/'==' requirements go to "matchLabels" (an object, keys in sorted order); in/notin/exists/!
 * go to "matchExpressions" [{"key","operator":"In|NotIn|Exists|DoesNotExist","values":[...]}]
 * ("values" omitted for Exists/DoesNotExist); '!=' is written as NotIn with its one value (the
 * same set of objects; Go refuses it). Fields absent when empty. GT/LT cannot be expressed: the
 * function then writes null and returns MA_ERR_SYNTAX. The empty selector writes {}. */
int ma_kube_selector_write_json(const struct ma_kube_selector *sel, struct ma_json_w *w);

#endif
