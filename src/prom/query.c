#include "prom/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "json/read.h"

/* The reply is small compared to a series list (one sample per object asked for), so it is
 * tokenized whole by the strict reader and walked twice: a checking pass, then the delivering
 * pass, so that the caller never acts on half of a malformed reply. */

struct work {
    struct ma_json_doc d;
    ma_prom_sample_fn fn;
    void *arg;
    int deliver;
    size_t n;
    struct ma_prom_label labels[MA_PROM_MAX_LABELS];
    char scratch[MA_PROM_MAX_SERIES_ELEMENT];
    jsmntok_t tok[MA_PROM_QUERY_MAX_TOKENS];
};

/* see prom/query.h */
const char *ma_prom_result_type_name(enum ma_prom_result_type t)
{
    switch (t) {
    case MA_PROM_RESULT_VECTOR:
        return "vector";
    case MA_PROM_RESULT_SCALAR:
        return "scalar";
    case MA_PROM_RESULT_MATRIX:
        return "matrix";
    case MA_PROM_RESULT_STRING:
        return "string";
    default:
        return "none";
    }
}

static int eq_nocase(const char *s, size_t n, const char *lit)
{
    size_t i;

    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* see prom/query.h */
int ma_prom_parse_value(const char *s, size_t n, double *out)
{
    char tmp[64], *end;
    size_t i, sign = 0;

    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        sign = 1;
    if (eq_nocase(s + sign, n - sign, "nan") && !sign) {
        *out = NAN;
        return MA_OK;
    }
    if (eq_nocase(s + sign, n - sign, "inf") || eq_nocase(s + sign, n - sign, "infinity")) {
        *out = sign && s[0] == '-' ? -INFINITY : INFINITY;
        return MA_OK;
    }
    /* decimal forms only: strtod would also take hex floats, "nan(...)" and leading spaces */
    if (n == 0 || n >= sizeof tmp)
        return MA_ERR_SYNTAX;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return MA_ERR_SYNTAX;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, &end);
    if (end != tmp + n || end == tmp || (tmp[0] == '.' && n == 1))
        return MA_ERR_SYNTAX;
    return MA_OK;
}

/* [ts, "value"] */
static int read_point(struct work *w, int tok, double *ts, double *v, struct ma_errmsg *em)
{
    const struct ma_json_doc *d = &w->d;
    int it = 0, t0, t1;

    if (tok < 0 || d->tok[tok].type != JSMN_ARRAY || d->tok[tok].size != 2) {
        ma_errmsg_set(em, "query reply: a sample is not [time, \"value\"]");
        return MA_ERR_SYNTAX;
    }
    t0 = ma_json_next(d, tok, &it, NULL);
    t1 = ma_json_next(d, tok, &it, NULL);
    if (ma_json_f64(d, t0, ts) != MA_OK) {
        ma_errmsg_set(em, "query reply: a sample time is not a number");
        return MA_ERR_SYNTAX;
    }
    if (d->tok[t1].type != JSMN_STRING ||
        ma_prom_parse_value(d->js + d->tok[t1].start, (size_t)(d->tok[t1].end - d->tok[t1].start),
                            v) != MA_OK) {
        ma_errmsg_set(em, "query reply: a sample value is not a number in a string");
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

static int read_labels(struct work *w, int obj, size_t *n, struct ma_errmsg *em)
{
    const struct ma_json_doc *d = &w->d;
    size_t used = 0;
    int it = 0, key, val, len;

    *n = 0;
    if (obj < 0)
        return MA_OK; /* Prometheus omits "metric" only when empty: treat as {} */
    if (d->tok[obj].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "query reply: a sample's \"metric\" is not an object");
        return MA_ERR_SYNTAX;
    }
    while ((val = ma_json_next(d, obj, &it, &key)) >= 0) {
        struct ma_prom_label *l;

        if (*n == MA_PROM_MAX_LABELS) {
            ma_errmsg_set(em, "query reply: a sample has more than %d labels", MA_PROM_MAX_LABELS);
            return MA_ERR_LIMIT;
        }
        if (d->tok[val].type != JSMN_STRING) {
            ma_errmsg_set(em, "query reply: a label value is not a string");
            return MA_ERR_SYNTAX;
        }
        l = &w->labels[*n];
        len = ma_json_str(d, key, w->scratch + used, sizeof w->scratch - used);
        if (len >= 0) {
            l->name = ma_str_make(w->scratch + used, (size_t)len);
            used += (size_t)len + 1;
            len = ma_json_str(d, val, w->scratch + used, sizeof w->scratch - used);
        }
        if (len == MA_ERR_NOSPACE) {
            ma_errmsg_set(em, "query reply: a sample's labels exceed %d bytes",
                          MA_PROM_MAX_SERIES_ELEMENT);
            return MA_ERR_LIMIT;
        }
        if (len < 0) {
            ma_errmsg_set(em, "query reply: bad label string");
            return MA_ERR_SYNTAX;
        }
        l->value = ma_str_make(w->scratch + used, (size_t)len);
        used += (size_t)len + 1;
        (*n)++;
    }
    return MA_OK;
}

static int emit(struct work *w, struct ma_prom_sample *s, struct ma_errmsg *em)
{
    int rc;

    w->n++;
    if (!w->deliver || !w->fn)
        return MA_OK;
    rc = w->fn(w->arg, s);
    if (rc != MA_OK)
        ma_errmsg_set(em, "stopped by the caller");
    return rc;
}

static int walk(struct work *w, enum ma_prom_result_type type, int result, struct ma_errmsg *em)
{
    const struct ma_json_doc *d = &w->d;
    struct ma_prom_sample s;
    int it = 0, el, rc;

    w->n = 0;
    memset(&s, 0, sizeof s);
    s.labels = w->labels;
    if (type == MA_PROM_RESULT_SCALAR) {
        if ((rc = read_point(w, result, &s.ts, &s.value, em)) < 0)
            return rc;
        return emit(w, &s, em);
    }
    if (result < 0 || d->tok[result].type != JSMN_ARRAY) {
        ma_errmsg_set(em, "query reply: a vector \"result\" is not an array");
        return MA_ERR_SYNTAX;
    }
    while ((el = ma_json_next(d, result, &it, NULL)) >= 0) {
        if (d->tok[el].type != JSMN_OBJECT) {
            ma_errmsg_set(em, "query reply: a vector element is not an object");
            return MA_ERR_SYNTAX;
        }
        if ((rc = read_labels(w, ma_json_get(d, el, "metric"), &s.nlabels, em)) < 0)
            return rc;
        if ((rc = read_point(w, ma_json_get(d, el, "value"), &s.ts, &s.value, em)) < 0)
            return rc;
        if ((rc = emit(w, &s, em)) != MA_OK)
            return rc;
    }
    return MA_OK;
}

static void copy_str(const struct ma_json_doc *d, int tok, char *out, size_t cap)
{
    if (tok < 0 || d->tok[tok].type != JSMN_STRING || ma_json_str(d, tok, out, cap) == MA_ERR_SYNTAX)
        out[0] = '\0';
}

static int parse(struct work *w, const char *body, size_t len, struct ma_prom_query_info *info,
                 struct ma_errmsg *em)
{
    struct ma_json_doc *d = &w->d;
    int rc, status, data, rt, warn, it = 0, t;
    enum ma_prom_result_type type;

    struct ma_errmsg jem;

    jem.msg[0] = '\0';
    rc = ma_json_parse(d, body, len, w->tok, MA_PROM_QUERY_MAX_TOKENS, &jem);
    if (rc == MA_ERR_LIMIT) {
        ma_errmsg_set(em, "query reply has more than %d JSON tokens", MA_PROM_QUERY_MAX_TOKENS);
        return rc;
    }
    if (rc < 0) {
        ma_errmsg_set(em, "reply is not JSON (%s)", jem.msg);
        return MA_ERR_SYNTAX;
    }
    if (d->tok[0].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "reply is not a JSON object");
        return MA_ERR_SYNTAX;
    }
    status = ma_json_get(d, 0, "status");
    if (!ma_json_str_eq(d, status, "success")) {
        char type_s[64], msg[MA_ERRMSG_SIZE];

        if (status < 0 || d->tok[status].type != JSMN_STRING) {
            ma_errmsg_set(em, "reply has no \"status\"");
            return MA_ERR_UPSTREAM;
        }
        copy_str(d, ma_json_get(d, 0, "errorType"), type_s, sizeof type_s);
        copy_str(d, ma_json_get(d, 0, "error"), msg, sizeof msg);
        if (!type_s[0] && !ma_json_str_eq(d, status, "error"))
            copy_str(d, status, type_s, sizeof type_s);
        ma_errmsg_set(em, "%s: %s", type_s[0] ? type_s : "error", msg[0] ? msg : "(no message)");
        return MA_ERR_UPSTREAM;
    }
    data = ma_json_get(d, 0, "data");
    rt = ma_json_get(d, data, "resultType");
    if (data < 0 || d->tok[data].type != JSMN_OBJECT || rt < 0) {
        ma_errmsg_set(em, "query reply has no \"data\".\"resultType\"");
        return MA_ERR_SYNTAX;
    }
    if (ma_json_str_eq(d, rt, "vector"))
        type = MA_PROM_RESULT_VECTOR;
    else if (ma_json_str_eq(d, rt, "scalar"))
        type = MA_PROM_RESULT_SCALAR;
    else if (ma_json_str_eq(d, rt, "matrix"))
        type = MA_PROM_RESULT_MATRIX;
    else if (ma_json_str_eq(d, rt, "string"))
        type = MA_PROM_RESULT_STRING;
    else {
        ma_errmsg_set(em, "query reply has an unknown resultType");
        return MA_ERR_SYNTAX;
    }
    if (type == MA_PROM_RESULT_MATRIX || type == MA_PROM_RESULT_STRING) {
        ma_errmsg_set(em, "query returned a %s, not a vector or scalar (use an instant-vector "
                          "expression)", ma_prom_result_type_name(type));
        return MA_ERR_UPSTREAM;
    }
    w->deliver = 0;
    if ((rc = walk(w, type, ma_json_get(d, data, "result"), em)) < 0)
        return rc;
    w->deliver = 1;
    if ((rc = walk(w, type, ma_json_get(d, data, "result"), em)) != MA_OK)
        return rc;
    if (info) {
        info->type = type;
        info->samples = w->n;
        info->warnings = 0;
        info->first_warning[0] = '\0';
        warn = ma_json_get(d, 0, "warnings");
        while ((t = ma_json_next(d, warn, &it, NULL)) >= 0)
            if (!info->warnings++)
                copy_str(d, t, info->first_warning, sizeof info->first_warning);
    }
    return MA_OK;
}

/* see prom/query.h */
int ma_prom_query_parse(const char *body, size_t len, ma_prom_sample_fn fn, void *arg,
                        struct ma_prom_query_info *info, struct ma_errmsg *em)
{
    /* malloc, not calloc: only the pages of tokens actually written get touched */
    struct work *w = ma_xmalloc(sizeof *w);
    int rc;

    w->fn = fn;
    w->arg = arg;
    rc = parse(w, body, len, info, em);
    free(w);
    return rc;
}
