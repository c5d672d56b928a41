/* prometheus-adapter templates: the executor. Values and printing follow Go's text/template
 * and fmt for the only types prometheus-adapter's arguments hold (string, []string,
 * map[string]string) plus the constants and results a template can make (bool, int). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/prom_template.h"
#include "backend/prom_template_int.h"
#include "base/arena.h"

enum { V_MISSING, V_NIL, V_STR, V_BOOL, V_INT, V_SLICE, V_MAP, V_ROOT };
enum { X_BREAK = 1, X_CONTINUE = 2 };

struct val {
    uint8_t t;
    const char *s;
    size_t n, count;
    long long i;
    const char *const *list;
    const struct ma_prom_kv *kv;
};

struct ex {
    const struct ma_prom_tmpl *t;
    const struct ma_prom_tmpl_data *d;
    struct ma_buf *out;
    struct ma_errmsg *em;
    struct ma_arena ar;
    struct {
        const char *name;
        size_t n;
        struct val v;
    } var[MA_PROM_TMPL_MAX_VARS + 1];
    int nvars;
};

#define NODE(x, id) (&(x)->t->node[id])

static int xfail(struct ex *x, uint32_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int xfail(struct ex *x, uint32_t off, const char *fmt, ...)
{
    char why[MA_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ma_errmsg_set(x->em, "offset %u: %s", off, why);
    return MA_ERR_SYNTAX;
}

static struct val str(const char *s)
{
    struct val v = {V_STR};
    v.s = s ? s : "";
    v.n = strlen(v.s);
    return v;
}

static const char *type_name(const struct val *v)
{
    switch (v->t) {
    case V_STR: return "string";
    case V_BOOL: return "bool";
    case V_INT: return "int";
    case V_SLICE: return "[]string";
    case V_MAP: return "map[string]string";
    case V_ROOT: return "struct";
    }
    return "<nil>";
}

/* ---- fields ---------------------------------------------------------------------------------- */

static int root_field(struct ex *x, const char *f, size_t n, struct val *out)
{
    const struct ma_prom_tmpl_data *d = x->d;
    struct val v = {V_MISSING};

#define IS(name) (n == sizeof name - 1 && memcmp(f, name, n) == 0)
    if (x->t->kind == MA_PROM_TMPL_QUERY) {
        if (IS("Series"))
            v = str(d->series);
        else if (IS("LabelMatchers"))
            v = str(d->label_matchers);
        else if (IS("GroupBy"))
            v = str(d->group_by);
        else if (IS("LabelValuesByName"))
            v.t = V_MAP, v.kv = d->values_by_name, v.count = d->n_values_by_name;
        else if (IS("GroupBySlice"))
            v.t = V_SLICE, v.list = d->group_by_slice, v.count = d->n_group_by_slice;
        else
            return -1;
    } else {
        if (IS("Group"))
            v = str(d->group);
        else if (IS("Resource"))
            v = str(d->resource);
        else
            return -1;
    }
#undef IS
    *out = v;
    return 0;
}

static int map_get(const struct val *m, const char *k, size_t n, struct val *out)
{
    size_t i;

    for (i = 0; i < m->count; i++) {
        if (strlen(m->kv[i].key) == n && memcmp(m->kv[i].key, k, n) == 0) {
            *out = str(m->kv[i].value);
            return 1;
        }
    }
    return 0;
}

static int chain(struct ex *x, uint32_t off, struct val *v, const char *f, size_t n)
{
    size_t a = 0, b;

    while (a < n) {
        a++; /* the '.' */
        for (b = a; b < n && f[b] != '.'; b++)
            ;
        if (v->t == V_ROOT) {
            if (root_field(x, f + a, b - a, v) < 0)
                return xfail(x, off, "can't evaluate field %.*s", (int)(b - a), f + a);
        } else if (v->t == V_MAP) {
            if (!map_get(v, f + a, b - a, v))
                v->t = V_MISSING; /* Go: an absent key through a field is "no value" */
        } else if (v->t != V_MISSING) {
            return xfail(x, off, "can't evaluate field %.*s in type %s", (int)(b - a), f + a,
                         type_name(v));
        }
        a = b;
    }
    return MA_OK;
}

/* ---- printing (fmt's %v, %s, %d, %q) --------------------------------------------------------- */

static void quote(struct ma_buf *o, const char *s, size_t n)
{
    size_t i;
    unsigned char c;

    ma_buf_appendc(o, '"');
    for (i = 0; i < n; i++) {
        c = (unsigned char)s[i];
        switch (c) {
        case '"': ma_buf_appends(o, "\\\""); continue;
        case '\\': ma_buf_appends(o, "\\\\"); continue;
        case 7: ma_buf_appends(o, "\\a"); continue;
        case 8: ma_buf_appends(o, "\\b"); continue;
        case 12: ma_buf_appends(o, "\\f"); continue;
        case 10: ma_buf_appends(o, "\\n"); continue;
        case 13: ma_buf_appends(o, "\\r"); continue;
        case 9: ma_buf_appends(o, "\\t"); continue;
        case 11: ma_buf_appends(o, "\\v"); continue;
        }
        if (c < 0x20 || c == 0x7f)
            ma_buf_appendf(o, "\\x%02x", c);
        else
            ma_buf_appendc(o, (char)c);
    }
    ma_buf_appendc(o, '"');
}

static void print_v(struct ex *x, struct ma_buf *o, const struct val *v, int verb);

static void print_elems(struct ex *x, struct ma_buf *o, const struct val *v, int verb)
{
    size_t i;
    struct val e;

    if (v->t == V_SLICE) {
        ma_buf_appendc(o, '[');
        for (i = 0; i < v->count; i++) {
            if (i)
                ma_buf_appendc(o, ' ');
            e = str(v->list[i]);
            print_v(x, o, &e, verb);
        }
        ma_buf_appendc(o, ']');
        return;
    }
    ma_buf_appends(o, "map[");
    for (i = 0; i < v->count; i++) {
        if (i)
            ma_buf_appendc(o, ' ');
        e = str(v->kv[i].key);
        print_v(x, o, &e, verb);
        ma_buf_appendc(o, ':');
        e = str(v->kv[i].value);
        print_v(x, o, &e, verb);
    }
    ma_buf_appendc(o, ']');
}

/* verb: 'v', 's', 'd' or 'q'; a value the verb does not fit prints as fmt's %!d(string=x). */
static void print_v(struct ex *x, struct ma_buf *o, const struct val *v, int verb)
{
    struct val f;

    switch (v->t) {
    case V_MISSING: ma_buf_appends(o, "<no value>"); return;
    case V_SLICE:
    case V_MAP: print_elems(x, o, v, verb); return;
    case V_ROOT:
        if (x->t->kind == MA_PROM_TMPL_QUERY) {
            static const char *const names[] = {"Series", "LabelMatchers", "LabelValuesByName",
                                                "GroupBy", "GroupBySlice"};
            int k;
            ma_buf_appendc(o, '{');
            for (k = 0; k < 5; k++) {
                root_field(x, names[k], strlen(names[k]), &f);
                if (k)
                    ma_buf_appendc(o, ' ');
                print_v(x, o, &f, verb);
            }
            ma_buf_appendc(o, '}');
        } else {
            ma_buf_appendc(o, '{');
            f = str(x->d->group), print_v(x, o, &f, verb);
            ma_buf_appendc(o, ' ');
            f = str(x->d->resource), print_v(x, o, &f, verb);
            ma_buf_appendc(o, '}');
        }
        return;
    }
    if (v->t == V_NIL) {
        ma_buf_appends(o, verb == 'v' ? "<nil>" : "%!");
        if (verb != 'v')
            ma_buf_appendf(o, "%c(<nil>)", verb);
        return;
    }
    if (verb == 'v' || (verb == 's' && v->t == V_STR) || (verb == 'd' && v->t == V_INT) ||
        (verb == 'q' && v->t == V_STR)) {
        if (verb == 'q')
            quote(o, v->s, v->n);
        else if (v->t == V_STR)
            ma_buf_append(o, v->s, v->n);
        else if (v->t == V_INT)
            ma_buf_append_i64(o, v->i);
        else
            ma_buf_appends(o, v->i ? "true" : "false");
        return;
    }
    ma_buf_appendf(o, "%%!%c(%s=", verb, type_name(v));
    print_v(x, o, v, 'v');
    ma_buf_appendc(o, ')');
}

/* The arena copy of what o holds, as a string value. */
static int made(struct ex *x, uint32_t off, struct ma_buf *o, struct val *out)
{
    char *s;

    if (o->err) {
        ma_buf_free(o);
        ma_errmsg_set(x->em, "offset %u: printed value exceeds %d bytes", off,
                      MA_PROM_TMPL_MAX_SCRATCH);
        return MA_ERR_NOSPACE;
    }
    s = ma_arena_strndup(&x->ar, o->p ? o->p : "", o->len);
    ma_buf_free(o);
    if (s == NULL) {
        ma_errmsg_set(x->em, "offset %u: template scratch space (%d bytes) exhausted", off,
                      MA_PROM_TMPL_MAX_SCRATCH);
        return MA_ERR_NOSPACE;
    }
    *out = str(s);
    return MA_OK;
}

static int do_printf(struct ex *x, uint32_t off, const struct val *a, int n, struct val *out)
{
    struct ma_buf o;
    int k = 1, r;
    size_t i;

    if (a[0].t != V_STR)
        return xfail(x, off, "wrong type for value; expected string; got %s", type_name(&a[0]));
    ma_buf_init_heap(&o, MA_PROM_TMPL_MAX_SCRATCH);
    for (i = 0; i < a[0].n; i++) {
        char c = a[0].s[i];
        if (c != '%' || i + 1 >= a[0].n) {
            ma_buf_appendc(&o, c);
            if (c == '%')
                ma_buf_appends(&o, "!(NOVERB)");
            continue;
        }
        c = a[0].s[++i];
        if (c == '%') {
            ma_buf_appendc(&o, '%');
        } else if (!strchr("svdq", c)) {
            ma_buf_free(&o);
            return xfail(x, off, "printf verb %%%c is not supported", c);
        } else if (k >= n) {
            ma_buf_appendf(&o, "%%!%c(MISSING)", c);
        } else {
            print_v(x, &o, &a[k++], c);
        }
    }
    if (k < n) {
        ma_buf_appends(&o, "%!(EXTRA ");
        for (; k < n; k++) {
            ma_buf_appendf(&o, "%s=", type_name(&a[k]));
            print_v(x, &o, &a[k], 'v');
            if (k + 1 < n)
                ma_buf_appends(&o, ", ");
        }
        ma_buf_appendc(&o, ')');
    }
    r = made(x, off, &o, out);
    return r;
}

/* print: fmt.Sprint (a space between operands when neither is a string); println: Sprintln. */
static int do_print(struct ex *x, uint32_t off, const struct val *a, int n, int ln,
                    struct val *out)
{
    struct ma_buf o;
    int k;

    ma_buf_init_heap(&o, MA_PROM_TMPL_MAX_SCRATCH);
    for (k = 0; k < n; k++) {
        if (k > 0 && (ln || (a[k - 1].t != V_STR && a[k].t != V_STR)))
            ma_buf_appendc(&o, ' ');
        print_v(x, &o, &a[k], 'v');
    }
    if (ln)
        ma_buf_appendc(&o, '\n');
    return made(x, off, &o, out);
}

/* ---- functions ------------------------------------------------------------------------------- */

static int truth(const struct val *v)
{
    switch (v->t) {
    case V_STR: return v->n > 0;
    case V_BOOL:
    case V_INT: return v->i != 0;
    case V_SLICE:
    case V_MAP: return v->count > 0;
    case V_ROOT: return 1;
    }
    return 0;
}

/* -1, 0, 1, or 2 for "incompatible" (MA error set by the caller). */
static int compare(const struct val *a, const struct val *b)
{
    int c;

    if (a->t != b->t || (a->t != V_STR && a->t != V_INT && a->t != V_BOOL))
        return 2;
    if (a->t == V_STR) {
        c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
        if (c == 0)
            c = a->n < b->n ? -1 : a->n > b->n;
        return c < 0 ? -1 : c > 0;
    }
    return a->i < b->i ? -1 : a->i > b->i;
}

static int do_index(struct ex *x, uint32_t off, const struct val *a, int n, struct val *out)
{
    struct val v = a[0];
    int k;

    for (k = 1; k < n; k++) {
        if (v.t == V_MAP && a[k].t == V_STR) {
            if (!map_get(&v, a[k].s, a[k].n, &v))
                v = str(""); /* index gives the zero value for an absent key */
        } else if ((v.t == V_SLICE || v.t == V_STR) && a[k].t == V_INT) {
            size_t len = v.t == V_SLICE ? v.count : v.n;
            if (a[k].i < 0 || (unsigned long long)a[k].i >= len)
                return xfail(x, off, "error calling index: index out of range: %lld", a[k].i);
            if (v.t == V_SLICE) {
                v = str(v.list[a[k].i]);
            } else {
                v.t = V_INT;
                v.i = (unsigned char)v.s[a[k].i];
            }
        } else if (v.t == V_MISSING || v.t == V_NIL) {
            return xfail(x, off, "error calling index: index of untyped nil");
        } else {
            return xfail(x, off, "error calling index: cannot index %s with %s", type_name(&v),
                         type_name(&a[k]));
        }
    }
    *out = v;
    return MA_OK;
}

static int call(struct ex *x, const struct tn *f, const struct val *a, int n, struct val *out)
{
    struct val v = {V_BOOL};
    int k, c;

    switch (f->fn) {
    case F_NOT:
        v.i = !truth(&a[0]);
        break;
    case F_LEN:
        if (a[0].t == V_STR)
            v.t = V_INT, v.i = (long long)a[0].n;
        else if (a[0].t == V_SLICE || a[0].t == V_MAP)
            v.t = V_INT, v.i = (long long)a[0].count;
        else
            return xfail(x, f->off, "error calling len: len of type %s", type_name(&a[0]));
        break;
    case F_INDEX:
        return do_index(x, f->off, a, n, out);
    case F_EQ:
    case F_NE:
        for (k = 1; k < n; k++) {
            /* Go's eq: nil against anything is a plain false (true against nil), no error */
            if (a[0].t == V_NIL || a[k].t == V_NIL) {
                if (a[0].t == a[k].t)
                    v.i = 1;
                continue;
            }
            if ((c = compare(&a[0], &a[k])) == 2)
                return xfail(x, f->off, "error calling %s: incompatible types for comparison",
                             f->fn == F_EQ ? "eq" : "ne");
            if (c == 0)
                v.i = 1;
        }
        if (f->fn == F_NE)
            v.i = !v.i;
        break;
    case F_LT: case F_LE: case F_GT: case F_GE:
        if ((c = compare(&a[0], &a[1])) == 2 || a[0].t == V_BOOL)
            return xfail(x, f->off, "error calling comparison: incompatible types for comparison");
        v.i = f->fn == F_LT ? c < 0 : f->fn == F_LE ? c <= 0 : f->fn == F_GT ? c > 0 : c >= 0;
        break;
    case F_PRINT:
    case F_PRINTLN:
        return do_print(x, f->off, a, n, f->fn == F_PRINTLN, out);
    case F_PRINTF:
        return do_printf(x, f->off, a, n, out);
    }
    *out = v;
    return MA_OK;
}

/* ---- pipelines ------------------------------------------------------------------------------- */

static int pipe_eval(struct ex *x, int pipe, const struct val *dot, int bind, struct val *out);

static struct val *var_find(struct ex *x, const char *name, size_t n)
{
    int i;

    for (i = x->nvars - 1; i >= 0; i--)
        if (x->var[i].n == n && memcmp(x->var[i].name, name, n) == 0)
            return &x->var[i].v;
    return NULL;
}

static int operand(struct ex *x, int id, const struct val *dot, struct val *out)
{
    const struct tn *o = NODE(x, id);
    struct val *vp;
    int r;

    switch (o->k) {
    case K_DOT: *out = *dot; break;
    case K_FIELD:
        *out = *dot;
        return chain(x, o->off, out, o->s, o->sn);
    case K_VAR:
        if ((vp = var_find(x, o->s, o->sn)) == NULL)
            return xfail(x, o->off, "undefined variable %.*s", (int)o->sn, o->s);
        *out = *vp;
        break;
    case K_PAREN:
        if ((r = pipe_eval(x, o->a, dot, 1, out)) < 0)
            return r;
        break;
    case K_STR: out->t = V_STR, out->s = o->s, out->n = o->sn; break;
    case K_INT: out->t = V_INT, out->i = o->i; break;
    case K_BOOL: out->t = V_BOOL, out->i = o->i; break;
    case K_NIL: out->t = V_NIL; break;
    default: return xfail(x, o->off, "not an operand");
    }
    return o->fn_len ? chain(x, o->off, out, o->f, o->fn_len) : MA_OK;
}

/* Arguments of a function call, the piped value last; a missing value becomes nil, as Go passes
 * an invalid reflect.Value to an interface{} parameter. and/or evaluate lazily. */
static int command(struct ex *x, int cmd, const struct val *dot, const struct val *final,
                   struct val *out)
{
    const struct tn *c = NODE(x, cmd), *f = NODE(x, c->a);
    struct val args[64];
    int n = 0, id, r;

    if (f->k != K_FUNC)
        return operand(x, c->a, dot, out);
    for (id = f->next; id >= 0; id = NODE(x, id)->next) {
        if (n >= 63)
            return xfail(x, f->off, "too many arguments");
        if ((r = operand(x, id, dot, &args[n])) < 0)
            return r;
        if (args[n].t == V_MISSING)
            args[n].t = V_NIL;
        if ((f->fn == F_AND && !truth(&args[n])) || (f->fn == F_OR && truth(&args[n]))) {
            *out = args[n];
            return MA_OK;
        }
        n++;
    }
    if (final) {
        args[n] = *final;
        if (args[n].t == V_MISSING)
            args[n].t = V_NIL;
        n++;
    }
    if (f->fn == F_AND || f->fn == F_OR) {
        *out = args[n - 1];
        return MA_OK;
    }
    return call(x, f, args, n, out);
}

static int pipe_eval(struct ex *x, int pipe, const struct val *dot, int bind, struct val *out)
{
    const struct tn *p = NODE(x, pipe);
    struct val v = {V_MISSING}, prev;
    struct val *vp;
    int cmd, r, first = 1;

    for (cmd = p->a; cmd >= 0; cmd = NODE(x, cmd)->next) {
        prev = v;
        if ((r = command(x, cmd, dot, first ? NULL : &prev, &v)) < 0)
            return r;
        first = 0;
    }
    if (bind && p->n > 0) {
        if (p->i) { /* $x = v */
            if ((vp = var_find(x, p->v[0], p->vn[0])) == NULL)
                return xfail(x, p->off, "undefined variable %.*s", (int)p->vn[0], p->v[0]);
            *vp = v;
        } else {
            x->var[x->nvars].name = p->v[0];
            x->var[x->nvars].n = p->vn[0];
            x->var[x->nvars++].v = v;
        }
    }
    *out = v;
    return MA_OK;
}

/* ---- lists ----------------------------------------------------------------------------------- */

static int list(struct ex *x, int id, const struct val *dot);

static void push(struct ex *x, const char *name, size_t n, struct val v)
{
    x->var[x->nvars].name = name;
    x->var[x->nvars].n = n;
    x->var[x->nvars++].v = v;
}

static int range(struct ex *x, const struct tn *c, const struct val *dot)
{
    const struct tn *p = NODE(x, c->a);
    struct val v, key, el;
    size_t i;
    int r, mark;

    if ((r = pipe_eval(x, c->a, dot, 0, &v)) < 0)
        return r;
    if (v.t == V_MISSING || v.t == V_NIL || ((v.t == V_SLICE || v.t == V_MAP) && v.count == 0))
        return c->c >= 0 ? list(x, c->c, dot) : MA_OK;
    if (v.t != V_SLICE && v.t != V_MAP)
        return xfail(x, c->off, "range can't iterate over %s", type_name(&v));
    mark = x->nvars;
    for (i = 0; i < v.count; i++) {
        x->nvars = mark;
        if (v.t == V_SLICE) {
            key.t = V_INT, key.i = (long long)i;
            el = str(v.list[i]);
        } else {
            key = str(v.kv[i].key);
            el = str(v.kv[i].value);
        }
        if (p->n == 2) {
            push(x, p->v[0], p->vn[0], key);
            push(x, p->v[1], p->vn[1], el);
        } else if (p->n == 1) {
            push(x, p->v[0], p->vn[0], el);
        }
        r = list(x, c->b, &el);
        if (r < 0)
            return r;
        if (r == X_BREAK)
            break;
    }
    x->nvars = mark;
    return MA_OK;
}

static int item(struct ex *x, int id, const struct val *dot)
{
    const struct tn *c = NODE(x, id);
    struct val v;
    int r, mark = x->nvars;

    switch (c->k) {
    case K_TEXT:
        ma_buf_append(x->out, c->s, c->sn);
        return MA_OK;
    case K_ACTION:
        if ((r = pipe_eval(x, c->a, dot, 1, &v)) < 0)
            return r;
        if (NODE(x, c->a)->n == 0) /* a declaration prints nothing */
            print_v(x, x->out, &v, 'v');
        return MA_OK;
    case K_BREAK: return X_BREAK;
    case K_CONTINUE: return X_CONTINUE;
    case K_RANGE:
        r = range(x, c, dot);
        break;
    case K_IF:
    case K_WITH:
        if ((r = pipe_eval(x, c->a, dot, 1, &v)) < 0)
            break;
        if (truth(&v))
            r = c->b >= 0 ? list(x, c->b, c->k == K_WITH ? &v : dot) : MA_OK;
        else
            r = c->c >= 0 ? list(x, c->c, dot) : MA_OK;
        break;
    default:
        r = xfail(x, c->off, "bad node");
    }
    x->nvars = mark;
    return r;
}

/* a list item chain; an else-if's list is a single control node, so item() handles it too */
static int list(struct ex *x, int id, const struct val *dot)
{
    int r;

    for (; id >= 0; id = NODE(x, id)->next) {
        if ((r = item(x, id, dot)) != MA_OK)
            return r;
        if (x->out->err)
            return MA_ERR_NOSPACE;
    }
    return MA_OK;
}

/* see backend/prom_template.h */
int ma_prom_tmpl_exec(const struct ma_prom_tmpl *t, const struct ma_prom_tmpl_data *d,
                      struct ma_buf *out, struct ma_errmsg *em)
{
    struct ex *x = calloc(1, sizeof *x);
    struct val root = {V_ROOT};
    size_t start = out->len;
    int r;

    if (x == NULL)
        return MA_ERR_NOSPACE;
    x->t = t;
    x->d = d;
    x->out = out;
    x->em = em;
    ma_arena_init(&x->ar, MA_PROM_TMPL_MAX_SCRATCH);
    push(x, "$", 1, root);
    r = list(x, t->root, &root);
    if (r > 0)
        r = MA_OK; /* break/continue only parse inside range */
    if (r == MA_OK && out->err) {
        ma_errmsg_set(em, "template output exceeds its buffer");
        r = MA_ERR_NOSPACE;
    }
    if (r < 0 && out->len > start)
        out->len = start;
    ma_arena_free(&x->ar);
    free(x);
    return r;
}
