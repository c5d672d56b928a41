#include "kube/selector.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "json/write.h"

/* Mirrors k8s.io/apimachinery pkg/labels/selector.go (Lexer, Parser, NewRequirement) and
 * pkg/util/validation (IsQualifiedName, IsValidLabelValue). */

/* ===================================== messages ===================================== */

/* Go's validation texts, so that users see the same words kubectl would show them. */
#define QN_DETAIL                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "   \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "        \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define DNS_DETAIL                                                                                 \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "  \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define VALUE_DETAIL                                                                               \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "            \
    "'my_value',  or '12345', regex used for validation is "                                      \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define INT_DETAIL "for 'Gt', 'Lt' operators, the value must be an integer"

#define PREFIX_MAX 253 /* DNS-1123 subdomain */
#define NAME_MAX_ 63   /* qualified name part and label value */
#define KEY_MAX (PREFIX_MAX + 1 + NAME_MAX_)

/* A truncating text accumulator: only the first MA_ERRMSG_SIZE bytes can reach the user. */
struct msg {
    char b[MA_ERRMSG_SIZE + 1];
    size_t n;
};

static void msg_add(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void msg_add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (m->n >= sizeof m->b - 1)
        return;
    va_start(ap, fmt);
    r = vsnprintf(m->b + m->n, sizeof m->b - m->n, fmt, ap);
    va_end(ap);
    if (r > 0)
        m->n += (size_t)r < sizeof m->b - m->n ? (size_t)r : sizeof m->b - 1 - m->n;
}

/* Input bytes as they go into a message: printable ASCII verbatim, anything else as \xNN, so a
 * hostile query cannot put control bytes into a log line (Go would copy them raw). */
static void msg_bytes(struct msg *m, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f)
            msg_add(m, "%c", c);
        else
            msg_add(m, "\\x%02x", c);
    }
}

/* Go's %q (strconv.Quote), except that non-ASCII bytes are always \xNN. */
static void msg_quote(struct msg *m, const char *p, size_t n)
{
    size_t i;

    msg_add(m, "\"");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '"': msg_add(m, "\\\""); break;
        case '\\': msg_add(m, "\\\\"); break;
        case '\a': msg_add(m, "\\a"); break;
        case '\b': msg_add(m, "\\b"); break;
        case '\f': msg_add(m, "\\f"); break;
        case '\n': msg_add(m, "\\n"); break;
        case '\r': msg_add(m, "\\r"); break;
        case '\t': msg_add(m, "\\t"); break;
        case '\v': msg_add(m, "\\v"); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                msg_add(m, "%c", c);
            else
                msg_add(m, "\\x%02x", c);
        }
    }
    msg_add(m, "\"");
}

/* ===================================== validation ===================================== */

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], n > 0 */
static int is_name(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || !is_alnum((unsigned char)p[0]) || !is_alnum((unsigned char)p[n - 1]))
        return 0;
    for (i = 1; i + 1 < n; i++)
        if (!is_alnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
            return 0;
    return 1;
}

static int is_dns_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static int is_subdomain(const char *p, size_t n)
{
    size_t i, start = 0;

    for (i = 0; i <= n; i++) {
        if (i < n && p[i] != '.') {
            if (!is_dns_char((unsigned char)p[i]) && p[i] != '-')
                return 0;
            continue;
        }
        if (i == start || !is_dns_char((unsigned char)p[start]) ||
            !is_dns_char((unsigned char)p[i - 1]))
            return 0;
        start = i + 1;
    }
    return 1;
}

/* validation.IsQualifiedName: fills errs (at most 4) and returns their count. */
static size_t check_qualified_name(const char *p, size_t n, const char *errs[4])
{
    const char *slash = memchr(p, '/', n), *name = p;
    size_t k = 0, name_len = n;

    if (slash != NULL) {
        size_t plen = (size_t)(slash - p);
        if (memchr(slash + 1, '/', n - plen - 1) != NULL) {
            errs[0] = "a qualified name " QN_DETAIL
                      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
            return 1;
        }
        if (plen == 0) {
            errs[k++] = "prefix part must be non-empty";
        } else {
            if (plen > PREFIX_MAX)
                errs[k++] = "prefix part must be no more than 253 characters";
            if (!is_subdomain(p, plen))
                errs[k++] = "prefix part " DNS_DETAIL;
        }
        name = slash + 1;
        name_len = n - plen - 1;
    }
    if (name_len == 0)
        errs[k++] = "name part must be non-empty";
    else if (name_len > NAME_MAX_)
        errs[k++] = "name part must be no more than 63 characters";
    if (!is_name(name, name_len))
        errs[k++] = "name part " QN_DETAIL;
    return k;
}

/* validation.IsValidLabelValue */
static size_t check_label_value(const char *p, size_t n, const char *errs[2])
{
    size_t k = 0;

    if (n > NAME_MAX_)
        errs[k++] = "must be no more than 63 characters";
    if (n != 0 && !is_name(p, n))
        errs[k++] = VALUE_DETAIL;
    return k;
}

static void msg_errs(struct msg *m, const char **errs, size_t k)
{
    size_t i;

    for (i = 0; i < k; i++)
        msg_add(m, "%s%s", i ? "; " : "", errs[i]);
}

/* strconv.ParseInt(s, 10, 64): optional sign, at least one digit, no overflow. */
static int parse_i64(const char *p, size_t n, int64_t *out)
{
    uint64_t v = 0, lim = (uint64_t)INT64_MAX;
    size_t i = 0;
    int neg = 0;

    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    if (neg)
        lim += 1;
    for (; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9 || v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == lim ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

/* ===================================== lexer ===================================== */

/* clang-format off */
enum tok { T_END, T_IDENT, T_IN, T_NOTIN, T_NOT, T_EQ, T_DEQ, T_NEQ, T_GT, T_LT, T_OPEN, T_CLOSE,
           T_COMMA };
/* clang-format on */

struct token {
    enum tok t;
    const char *p;
    size_t n;
};

struct lexer {
    const char *s;
    size_t len, pos;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* The known special tokens; T_END for an unknown run. */
static enum tok special_tok(const char *p, size_t n)
{
    if (n == 2 && p[1] == '=')
        return p[0] == '!' ? T_NEQ : p[0] == '=' ? T_DEQ : T_END;
    if (n != 1)
        return T_END;
    switch (p[0]) {
    case '=': return T_EQ;
    case '!': return T_NOT;
    case '(': return T_OPEN;
    case ')': return T_CLOSE;
    case ',': return T_COMMA;
    case '>': return T_GT;
    case '<': return T_LT;
    }
    return T_END;
}

/* Go's Lexer reads a 0 byte both at the end of the input and for a NUL in it. So a NUL where a
 * token would start ends the input, and a NUL right after a token ends that token and is
 * dropped ("a\0b" lexes as "a" "b"). We reproduce that rather than invent a third behaviour. */
static void lex(struct lexer *l, struct token *t)
{
    const char *s = l->s;
    size_t start;

    while (l->pos < l->len && is_space(s[l->pos]))
        l->pos++;
    if (l->pos >= l->len || s[l->pos] == '\0') {
        l->pos = l->len;
        t->t = T_END;
        t->p = s + l->len;
        t->n = 0;
        return;
    }
    start = l->pos;
    if (is_special(s[start])) {
        /* greedy: grow while the run is still a known token, so ">=" is ">" then "=" */
        l->pos++;
        while (l->pos < l->len && is_special(s[l->pos]) &&
               special_tok(s + start, l->pos - start + 1) != T_END)
            l->pos++;
        t->t = special_tok(s + start, l->pos - start);
    } else {
        while (l->pos < l->len && s[l->pos] != '\0' && !is_space(s[l->pos]) &&
               !is_special(s[l->pos]))
            l->pos++;
        t->t = T_IDENT;
        if (l->pos - start == 2 && memcmp(s + start, "in", 2) == 0)
            t->t = T_IN;
        else if (l->pos - start == 5 && memcmp(s + start, "notin", 5) == 0)
            t->t = T_NOTIN;
    }
    t->p = s + start;
    t->n = l->pos - start;
    if (l->pos < l->len && s[l->pos] == '\0')
        l->pos++;
}

/* ===================================== parser ===================================== */

struct parser {
    struct lexer lx;
    struct token la; /* the one token of lookahead */
    struct ma_kube_selector *sel;
    struct msg m;
};

/* "in" and "notin" are keywords only where an operator is expected (Go's Values context). */
static enum tok as_value(enum tok t)
{
    return t == T_IN || t == T_NOTIN ? T_IDENT : t;
}

static struct token next(struct parser *p)
{
    struct token t = p->la;

    lex(&p->lx, &p->la);
    return t;
}

static int fail_found(struct parser *p, const struct token *t, const char *expected)
{
    msg_add(&p->m, "found '");
    msg_bytes(&p->m, t->p, t->n);
    msg_add(&p->m, "'%s", expected);
    return MA_ERR_SYNTAX;
}

/* Insert v into the current requirement's value set (sorted, unique). */
static int add_value(struct parser *p, struct ma_kube_sel_req *r, const char *v, size_t n)
{
    struct ma_kube_selector *sel = p->sel;
    struct ma_str s = ma_str_make(v, n);
    size_t i;

    for (i = r->first_value; i < r->first_value + r->num_values; i++) {
        int c = ma_str_cmp(s, sel->values[i]);
        if (c == 0)
            return MA_OK;
        if (c < 0)
            break;
    }
    if (sel->num_values == MA_KUBE_SEL_MAX_VALUES) {
        msg_add(&p->m, "selector has more than %d values", MA_KUBE_SEL_MAX_VALUES);
        return MA_ERR_LIMIT;
    }
    memmove(&sel->values[i + 1], &sel->values[i], (sel->num_values - i) * sizeof sel->values[0]);
    sel->values[i] = s;
    sel->num_values++;
    r->num_values++;
    return MA_OK;
}

/* "(" list ")" after in/notin. Go: "()" is {""}; empty slots between commas add "". */
static int parse_values(struct parser *p, struct ma_kube_sel_req *r)
{
    struct token t = next(p);
    int rc;

    if (t.t != T_OPEN)
        return fail_found(p, &t, " expected: '('");
    switch (as_value(p->la.t)) {
    case T_CLOSE:
        t = next(p);
        return add_value(p, r, t.p, 0);
    case T_IDENT:
    case T_COMMA:
        break;
    default:
        return fail_found(p, &p->la, ", expected: ',', ')' or identifier");
    }
    for (;;) {
        t = next(p);
        switch (as_value(t.t)) {
        case T_IDENT:
            if ((rc = add_value(p, r, t.p, t.n)) < 0)
                return rc;
            if (p->la.t == T_COMMA)
                continue;
            if (p->la.t == T_CLOSE) {
                next(p);
                return MA_OK;
            }
            return fail_found(p, &p->la, ", expected: ',' or ')'");
        case T_COMMA:
            if (r->num_values == 0 && (rc = add_value(p, r, t.p, 0)) < 0)
                return rc;
            if (p->la.t == T_CLOSE) {
                t = next(p);
                return add_value(p, r, t.p, 0);
            }
            if (p->la.t == T_COMMA) {
                t = next(p);
                if ((rc = add_value(p, r, t.p, 0)) < 0)
                    return rc;
            }
            break;
        default:
            return fail_found(p, &t, ", expected: ',', or identifier");
        }
    }
}

/* The one value after = == != > <; nothing before ',' or the end means "". */
static int parse_exact_value(struct parser *p, struct ma_kube_sel_req *r)
{
    struct token t;

    if (p->la.t == T_END || p->la.t == T_COMMA)
        return add_value(p, r, p->la.p, 0);
    t = next(p);
    if (as_value(t.t) != T_IDENT)
        return fail_found(p, &t, ", expected: identifier");
    return add_value(p, r, t.p, t.n);
}

/* NewRequirement's checks that the grammar leaves open: an int64 operand for > <, and each
 * value a valid label value. Several failures print as Go's aggregate "[e1, e2]". */
static int validate_values(struct parser *p, struct ma_kube_sel_req *r)
{
    const struct ma_str *v = &p->sel->values[r->first_value];
    const char *errs[2];
    size_t i, nerr = 0, shown = 0;
    int bad_int = 0;

    if (r->op == MA_KUBE_SEL_GT || r->op == MA_KUBE_SEL_LT) {
        bad_int = parse_i64(v[0].p, v[0].len, &r->num) < 0;
        if (bad_int)
            nerr++;
    }
    for (i = 0; i < r->num_values; i++)
        nerr += check_label_value(v[i].p, v[i].len, errs) != 0;
    if (nerr == 0)
        return MA_OK;
    if (nerr > 1)
        msg_add(&p->m, "[");
    if (bad_int) {
        msg_add(&p->m, "values[0]: Invalid value: ");
        msg_quote(&p->m, v[0].p, v[0].len);
        msg_add(&p->m, ": " INT_DETAIL);
        shown++;
    }
    for (i = 0; i < r->num_values; i++) {
        size_t k = check_label_value(v[i].p, v[i].len, errs);
        if (k == 0)
            continue;
        msg_add(&p->m, "%svalues[%zu][", shown++ ? ", " : "", i);
        msg_bytes(&p->m, r->key.p, r->key.len);
        msg_add(&p->m, "]: Invalid value: ");
        msg_quote(&p->m, v[i].p, v[i].len);
        msg_add(&p->m, ": ");
        msg_errs(&p->m, errs, k);
    }
    if (nerr > 1)
        msg_add(&p->m, "]");
    return MA_ERR_SYNTAX;
}

static int parse_requirement(struct parser *p)
{
    struct ma_kube_selector *sel = p->sel;
    struct ma_kube_sel_req *r;
    struct token t;
    const char *errs[4];
    size_t k;
    int rc, notexists = 0;

    if (sel->num_reqs == MA_KUBE_SEL_MAX_REQS) {
        msg_add(&p->m, "selector has more than %d requirements", MA_KUBE_SEL_MAX_REQS);
        return MA_ERR_LIMIT;
    }
    r = &sel->reqs[sel->num_reqs];
    memset(r, 0, sizeof *r);
    r->first_value = sel->num_values;
    t = next(p);
    if (t.t == T_NOT) {
        notexists = 1;
        t = next(p);
    }
    if (as_value(t.t) != T_IDENT)
        return fail_found(p, &t, ", expected: identifier");
    if ((k = check_qualified_name(t.p, t.n, errs)) != 0) {
        /* the parser's field path is nil, which Go prints as "<nil>" */
        msg_add(&p->m, "<nil>: Invalid value: ");
        msg_quote(&p->m, t.p, t.n);
        msg_add(&p->m, ": ");
        msg_errs(&p->m, errs, k);
        return MA_ERR_SYNTAX;
    }
    r->key = ma_str_make(t.p, t.n);
    /* "!k" takes no operator: whatever follows is the caller's "expected ','" error */
    if (notexists || p->la.t == T_END || p->la.t == T_COMMA) {
        r->op = notexists ? MA_KUBE_SEL_NOTEXISTS : MA_KUBE_SEL_EXISTS;
        sel->num_reqs++;
        return MA_OK;
    }
    t = next(p);
    switch (t.t) {
    case T_IN: r->op = MA_KUBE_SEL_IN; break;
    case T_NOTIN: r->op = MA_KUBE_SEL_NOTIN; break;
    case T_EQ: r->op = MA_KUBE_SEL_EQ; break;
    case T_DEQ: r->op = MA_KUBE_SEL_DEQ; break;
    case T_NEQ: r->op = MA_KUBE_SEL_NEQ; break;
    case T_GT: r->op = MA_KUBE_SEL_GT; break;
    case T_LT: r->op = MA_KUBE_SEL_LT; break;
    default: return fail_found(p, &t, ", expected: in, notin, =, ==, !=, gt, lt");
    }
    if (r->op == MA_KUBE_SEL_IN || r->op == MA_KUBE_SEL_NOTIN)
        rc = parse_values(p, r);
    else
        rc = parse_exact_value(p, r);
    if (rc < 0 || (rc = validate_values(p, r)) < 0)
        return rc;
    sel->num_reqs++;
    return MA_OK;
}

/* Go sorts with sort.Sort, which is an insertion sort (stable) for the few requirements real
 * selectors have; we promise stability at any size. */
static void sort_reqs(struct ma_kube_selector *sel)
{
    size_t i, j;

    for (i = 1; i < sel->num_reqs; i++) {
        struct ma_kube_sel_req r = sel->reqs[i];
        for (j = i; j > 0 && ma_str_cmp(r.key, sel->reqs[j - 1].key) < 0; j--)
            sel->reqs[j] = sel->reqs[j - 1];
        sel->reqs[j] = r;
    }
}

static int parse_all(struct parser *p)
{
    struct token t;
    int rc;

    for (;;) {
        switch (as_value(p->la.t)) {
        case T_END:
            return MA_OK;
        case T_IDENT:
        case T_NOT:
            break;
        default:
            return fail_found(p, &p->la, ", expected: !, identifier, or 'end of string'");
        }
        if ((rc = parse_requirement(p)) < 0) {
            struct msg inner = p->m;
            p->m.n = 0;
            msg_add(&p->m, "%s%s", rc == MA_ERR_SYNTAX ? "unable to parse requirement: " : "",
                    inner.b);
            return rc;
        }
        t = next(p);
        if (t.t == T_END)
            return MA_OK;
        if (t.t != T_COMMA)
            return fail_found(p, &t, ", expected: ',' or 'end of string'");
        if (as_value(p->la.t) != T_IDENT && p->la.t != T_NOT)
            return fail_found(p, &p->la, ", expected: identifier after ','");
    }
}

/* see kube/selector.h */
int ma_kube_selector_parse(const char *s, size_t len, struct ma_kube_selector *sel,
                           struct ma_errmsg *em)
{
    struct parser p;
    int rc;

    sel->num_reqs = 0;
    sel->num_values = 0;
    p.lx.s = s;
    p.lx.len = len;
    p.lx.pos = 0;
    p.sel = sel;
    p.m.n = 0;
    p.m.b[0] = '\0';
    lex(&p.lx, &p.la);
    rc = parse_all(&p);
    if (rc < 0) {
        sel->num_reqs = 0;
        sel->num_values = 0;
        ma_errmsg_set(em, "%s", p.m.b);
        return rc;
    }
    sort_reqs(sel);
    return MA_OK;
}

/* ===================================== matching ===================================== */

static int str_is(struct ma_str s, const char *c)
{
    return strncmp(s.p, c, s.len) == 0 && c[s.len] == '\0';
}

static const char *label_get(const struct ma_kube_labels *ls, struct ma_str key)
{
    size_t i;

    if (ls == NULL)
        return NULL;
    for (i = 0; i < ls->n; i++)
        if (ls->items[i].key != NULL && ls->items[i].value != NULL && str_is(key, ls->items[i].key))
            return ls->items[i].value;
    return NULL;
}

static int has_value(const struct ma_kube_selector *sel, const struct ma_kube_sel_req *r,
                     const char *v)
{
    size_t i;

    for (i = 0; i < r->num_values; i++)
        if (str_is(sel->values[r->first_value + i], v))
            return 1;
    return 0;
}

static int req_matches(const struct ma_kube_selector *sel, const struct ma_kube_sel_req *r,
                       const struct ma_kube_labels *labels)
{
    const char *v = label_get(labels, r->key);
    int64_t n;

    switch (r->op) {
    case MA_KUBE_SEL_EQ:
    case MA_KUBE_SEL_DEQ:
    case MA_KUBE_SEL_IN:
        return v != NULL && has_value(sel, r, v);
    case MA_KUBE_SEL_NEQ:
    case MA_KUBE_SEL_NOTIN:
        return v == NULL || !has_value(sel, r, v);
    case MA_KUBE_SEL_EXISTS:
        return v != NULL;
    case MA_KUBE_SEL_NOTEXISTS:
        return v == NULL;
    case MA_KUBE_SEL_GT:
    case MA_KUBE_SEL_LT:
        /* label values are not validated: "01" is 1, overflow or junk never matches */
        if (v == NULL || parse_i64(v, strlen(v), &n) < 0)
            return 0;
        return r->op == MA_KUBE_SEL_GT ? n > r->num : n < r->num;
    }
    return 0;
}

/* see kube/selector.h */
int ma_kube_selector_matches(const struct ma_kube_selector *sel,
                             const struct ma_kube_labels *labels)
{
    size_t i;

    for (i = 0; i < sel->num_reqs; i++)
        if (!req_matches(sel, &sel->reqs[i], labels))
            return 0;
    return 1;
}

/* ===================================== output ===================================== */

/* see kube/selector.h */
void ma_kube_selector_string(const struct ma_kube_selector *sel, struct ma_buf *out)
{
    static const char *const ops[] = {
        [MA_KUBE_SEL_EQ] = "=",       [MA_KUBE_SEL_DEQ] = "==",     [MA_KUBE_SEL_NEQ] = "!=",
        [MA_KUBE_SEL_IN] = " in (",   [MA_KUBE_SEL_NOTIN] = " notin (",
        [MA_KUBE_SEL_EXISTS] = "",    [MA_KUBE_SEL_NOTEXISTS] = "", [MA_KUBE_SEL_GT] = ">",
        [MA_KUBE_SEL_LT] = "<",
    };
    size_t i, j;

    for (i = 0; i < sel->num_reqs; i++) {
        const struct ma_kube_sel_req *r = &sel->reqs[i];
        if (i > 0)
            ma_buf_appendc(out, ',');
        if (r->op == MA_KUBE_SEL_NOTEXISTS)
            ma_buf_appendc(out, '!');
        ma_buf_append(out, r->key.p, r->key.len);
        if (r->op == MA_KUBE_SEL_EXISTS || r->op == MA_KUBE_SEL_NOTEXISTS)
            continue;
        ma_buf_appends(out, ops[r->op]);
        for (j = 0; j < r->num_values; j++) {
            const struct ma_str *v = &sel->values[r->first_value + j];
            if (j > 0)
                ma_buf_appendc(out, ',');
            ma_buf_append(out, v->p, v->len);
        }
        if (r->op == MA_KUBE_SEL_IN || r->op == MA_KUBE_SEL_NOTIN)
            ma_buf_appendc(out, ')');
    }
}

static int is_label_eq(const struct ma_kube_sel_req *r)
{
    return r->op == MA_KUBE_SEL_EQ || r->op == MA_KUBE_SEL_DEQ;
}

/* ma_json_w_key wants a C string; validated keys are at most KEY_MAX bytes. */
static void write_key(struct ma_json_w *w, struct ma_str key)
{
    char kb[KEY_MAX + 1];

    memcpy(kb, key.p, key.len);
    kb[key.len] = '\0';
    ma_json_w_key(w, kb);
}

/* metav1.LabelSelector, as ParseToLabelSelector(sel.String()) builds it:
 *   {"matchLabels":{"k":"v",...},
 *    "matchExpressions":[{"key":"k","operator":"In|NotIn|Exists|DoesNotExist","values":["a"]}]}
 * matchLabels is a Go map: a repeated key keeps its last value, and keys print sorted. */
/* see kube/selector.h */
int ma_kube_selector_write_json(const struct ma_kube_selector *sel, struct ma_json_w *w)
{
    size_t i, j, nlabels = 0, nexprs = 0;

    for (i = 0; i < sel->num_reqs; i++) {
        const struct ma_kube_sel_req *r = &sel->reqs[i];
        if (r->op == MA_KUBE_SEL_GT || r->op == MA_KUBE_SEL_LT || r->key.len > KEY_MAX) {
            ma_json_w_null(w);
            return MA_ERR_SYNTAX;
        }
        if (is_label_eq(r))
            nlabels++;
        else
            nexprs++;
    }
    ma_json_w_obj_begin(w);
    if (nlabels > 0) {
        ma_json_w_key(w, "matchLabels");
        ma_json_w_obj_begin(w);
        for (i = 0; i < sel->num_reqs; i++) {
            const struct ma_kube_sel_req *r = &sel->reqs[i];
            const struct ma_str *v = &sel->values[r->first_value];
            int later = 0;
            if (!is_label_eq(r))
                continue;
            /* equal keys are adjacent after the sort */
            for (j = i + 1; j < sel->num_reqs && ma_str_cmp(sel->reqs[j].key, r->key) == 0; j++)
                later |= is_label_eq(&sel->reqs[j]);
            if (later)
                continue;
            write_key(w, r->key);
            ma_json_w_strn(w, v->p, v->len);
        }
        ma_json_w_obj_end(w);
    }
    if (nexprs > 0) {
        ma_json_w_key(w, "matchExpressions");
        ma_json_w_arr_begin(w);
        for (i = 0; i < sel->num_reqs; i++) {
            const struct ma_kube_sel_req *r = &sel->reqs[i];
            const char *op;
            switch (r->op) {
            case MA_KUBE_SEL_IN: op = "In"; break;
            case MA_KUBE_SEL_NOTIN:
            case MA_KUBE_SEL_NEQ: op = "NotIn"; break; /* k!=v selects what k notin (v) does */
            case MA_KUBE_SEL_EXISTS: op = "Exists"; break;
            case MA_KUBE_SEL_NOTEXISTS: op = "DoesNotExist"; break;
            default: continue;
            }
            ma_json_w_obj_begin(w);
            ma_json_w_key(w, "key");
            ma_json_w_strn(w, r->key.p, r->key.len);
            ma_json_w_key(w, "operator");
            ma_json_w_str(w, op);
            if (r->num_values > 0) {
                ma_json_w_key(w, "values");
                ma_json_w_arr_begin(w);
                for (j = 0; j < r->num_values; j++) {
                    const struct ma_str *v = &sel->values[r->first_value + j];
                    ma_json_w_strn(w, v->p, v->len);
                }
                ma_json_w_arr_end(w);
            }
            ma_json_w_obj_end(w);
        }
        ma_json_w_arr_end(w);
    }
    ma_json_w_obj_end(w);
    return MA_OK;
}
