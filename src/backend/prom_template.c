/* prometheus-adapter templates: the parser. Go's text/template grammar with "<<" ">>"
 * delimiters, reduced to what prometheus-adapter's data can use; prom_template_exec.c runs the
 * tree. Where Go would only fail when the template runs (an unknown field of the arguments),
 * this parser fails at load, because the data's shape is fixed and known here. */
#include "backend/prom_template.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/prom_template_int.h"
#include "base/mem.h"

struct pp {
    struct ma_prom_tmpl *t;
    const char *s;
    size_t len, pos;
    struct ma_errmsg *em;
    int depth, inrange, dotmoved;
    int had_space;  /* white space before pos (for the " ->>" trim marker) */
    int trim_next;  /* the action just closed with " ->>" */
    const char *var[MA_PROM_TMPL_MAX_VARS];
    size_t vlen[MA_PROM_TMPL_MAX_VARS];
    int nvars;
};

enum { KW_EOF, KW_END, KW_ELSE };

static int fail(struct pp *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pp *p, size_t at, const char *fmt, ...)
{
    char why[MA_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ma_errmsg_set(p->em, "offset %zu: %s", at, why);
    return MA_ERR_SYNTAX;
}

static int node(struct pp *p, int k, size_t off, int *id)
{
    struct ma_prom_tmpl *t = p->t;

    if (t->nnode >= MA_PROM_TMPL_MAX_NODES) {
        ma_errmsg_set(p->em, "offset %zu: template has more than %d parts", off,
                      MA_PROM_TMPL_MAX_NODES);
        return MA_ERR_LIMIT;
    }
    if (t->nnode == t->capnode) {
        t->capnode = t->capnode ? 2 * t->capnode : 32;
        t->node = ma_xrealloc(t->node, (size_t)t->capnode * sizeof *t->node);
    }
    memset(&t->node[t->nnode], 0, sizeof t->node[0]);
    t->node[t->nnode].k = (uint8_t)k;
    t->node[t->nnode].next = t->node[t->nnode].a = t->node[t->nnode].b = -1;
    t->node[t->nnode].c = -1;
    t->node[t->nnode].off = (uint32_t)off;
    *id = t->nnode++;
    return MA_OK;
}
#define N(p, id) (&(p)->t->node[id])

/* ---- lexing inside an action ----------------------------------------------------------------- */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_alnum(int c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static int at(const struct pp *p, size_t i)
{
    return i < p->len ? (unsigned char)p->s[i] : -1;
}

static void skip_ws(struct pp *p)
{
    size_t b = p->pos;
    while (p->pos < p->len && is_space(p->s[p->pos]))
        p->pos++;
    p->had_space = p->pos > b;
}

/* At the closing delimiter (after white space): ">>", or " ->>" which trims what follows. */
static int at_close(struct pp *p)
{
    skip_ws(p);
    if (p->len - p->pos >= 2 && memcmp(p->s + p->pos, ">>", 2) == 0)
        return 1;
    return p->pos > 0 && is_space(p->s[p->pos - 1]) && p->len - p->pos >= 3 &&
           memcmp(p->s + p->pos, "->>", 3) == 0;
}

static int expect_close(struct pp *p)
{
    if (!at_close(p)) {
        if (p->pos >= p->len)
            return fail(p, p->pos, "unclosed action");
        return fail(p, p->pos, "unexpected `%.*s` in action", 10, p->s + p->pos);
    }
    p->trim_next = p->s[p->pos] == '-';
    p->pos += p->trim_next ? 3 : 2;
    return MA_OK;
}

static size_t ident_len(const struct pp *p, size_t i)
{
    size_t b = i;
    if (!is_alpha(at(p, i)))
        return 0;
    while (is_alnum(at(p, i)))
        i++;
    return i - b;
}

static int word_is(const struct pp *p, const char *w)
{
    size_t n = ident_len(p, p->pos);
    return n == strlen(w) && memcmp(p->s + p->pos, w, n) == 0;
}

/* ---- variables and fields -------------------------------------------------------------------- */

static int var_known(const struct pp *p, const char *v, size_t n)
{
    int i;

    if (n == 1)
        return 1; /* $ */
    for (i = p->nvars - 1; i >= 0; i--)
        if (p->vlen[i] == n && memcmp(p->var[i], v, n) == 0)
            return 1;
    return 0;
}

static int var_add(struct pp *p, const char *v, size_t n, size_t off)
{
    if (p->nvars >= MA_PROM_TMPL_MAX_VARS) {
        ma_errmsg_set(p->em, "offset %zu: more than %d variables", off, MA_PROM_TMPL_MAX_VARS);
        return MA_ERR_LIMIT;
    }
    p->var[p->nvars] = v;
    p->vlen[p->nvars++] = n;
    return MA_OK;
}

static const char *const query_fields[] = {"Series", "LabelMatchers", "LabelValuesByName",
                                           "GroupBy", "GroupBySlice", NULL};
static const char *const resource_fields[] = {"Group", "Resource", NULL};

/* A chain ".A.B" on the root data: A must be a field of the kind's arguments; only the map
 * .LabelValuesByName takes a further name (a key). */
static int check_root_chain(struct pp *p, const char *f, size_t n, size_t off)
{
    const char *const *names = p->t->kind == MA_PROM_TMPL_QUERY ? query_fields : resource_fields;
    size_t a = 1, b;
    int i;

    if (n == 0)
        return MA_OK;
    for (b = a; b < n && f[b] != '.'; b++)
        ;
    for (i = 0; names[i]; i++)
        if (strlen(names[i]) == b - a && memcmp(names[i], f + a, b - a) == 0)
            break;
    if (names[i] == NULL)
        return fail(p, off, "unknown field .%.*s (the template's data has %s)", (int)(b - a),
                    f + a,
                    p->t->kind == MA_PROM_TMPL_QUERY
                        ? ".Series .LabelMatchers .LabelValuesByName .GroupBy .GroupBySlice"
                        : ".Group .Resource");
    if (b < n) {
        size_t c;
        for (c = b + 1; c < n && f[c] != '.'; c++)
            ;
        if (strcmp(names[i], "LabelValuesByName") != 0 || c < n)
            return fail(p, off, "can't evaluate field %.*s in type %s", (int)(c - b - 1), f + b + 1,
                        strcmp(names[i], "GroupBySlice") == 0 ? "[]string" : "string");
    }
    return MA_OK;
}

/* A field chain at pos (".A.B"): its slice; pos moves past it. */
static void scan_chain(struct pp *p, const char **f, size_t *n)
{
    size_t b = p->pos, k;

    while (at(p, p->pos) == '.' && (k = ident_len(p, p->pos + 1)) > 0)
        p->pos += 1 + k;
    *f = p->s + b;
    *n = p->pos - b;
}

/* ---- operands -------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int fn, min, max; /* argument counts, the piped value included; max -1: any */
} funcs[] = {
    {"and", F_AND, 1, -1},   {"or", F_OR, 1, -1},      {"not", F_NOT, 1, 1},
    {"len", F_LEN, 1, 1},    {"index", F_INDEX, 1, -1}, {"eq", F_EQ, 2, -1},
    {"ne", F_NE, 2, 2},      {"lt", F_LT, 2, 2},       {"le", F_LE, 2, 2},
    {"gt", F_GT, 2, 2},      {"ge", F_GE, 2, 2},       {"print", F_PRINT, 0, -1},
    {"printf", F_PRINTF, 1, -1}, {"println", F_PRINTLN, 0, -1},
};
#define NFUNCS ((int)(sizeof funcs / sizeof funcs[0]))

static const char *const go_only[] = {"html", "js", "urlquery", "slice", "call", NULL};

static int parse_pipe(struct pp *p, int decl, int paren, int *id);

/* A quoted string at pos, decoded into the pool (decoding never lengthens). */
static int parse_string(struct pp *p, int *id)
{
    struct ma_prom_tmpl *t = p->t;
    size_t b = p->pos, i = p->pos + 1;
    char *o = t->pool + t->npool;
    size_t n = 0;
    int r, c, k, d;
    unsigned long v;

    if ((r = node(p, K_STR, b, id)) < 0)
        return r;
    if (p->s[b] == '`') {
        while (i < p->len && p->s[i] != '`')
            o[n++] = p->s[i++];
        if (i >= p->len)
            return fail(p, b, "unterminated raw quoted string");
        i++;
    } else {
        for (;;) {
            if (i >= p->len || p->s[i] == '\n')
                return fail(p, b, "unterminated quoted string");
            c = (unsigned char)p->s[i++];
            if (c == '"')
                break;
            if (c != '\\') {
                o[n++] = (char)c;
                continue;
            }
            c = at(p, i++);
            switch (c) {
            case 'a': o[n++] = 7; break;
            case 'b': o[n++] = 8; break;
            case 'f': o[n++] = 12; break;
            case 'n': o[n++] = 10; break;
            case 'r': o[n++] = 13; break;
            case 't': o[n++] = 9; break;
            case 'v': o[n++] = 11; break;
            case '\\': o[n++] = '\\'; break;
            case '"': o[n++] = '"'; break;
            case 'x':
                for (v = 0, k = 0; k < 2; k++) {
                    d = at(p, i++);
                    if (!((d >= '0' && d <= '9') || ((d | 32) >= 'a' && (d | 32) <= 'f')))
                        return fail(p, i - 1, "invalid syntax in quoted string");
                    v = v * 16 + (unsigned long)(d <= '9' ? d - '0' : (d | 32) - 'a' + 10);
                }
                o[n++] = (char)v;
                break;
            default:
                return fail(p, i - 2, "unsupported escape \\%c in quoted string", c > 0 ? c : '?');
            }
        }
    }
    N(p, *id)->s = o;
    N(p, *id)->sn = n;
    t->npool += n;
    p->pos = i;
    return MA_OK;
}

static int parse_operand(struct pp *p, int *id)
{
    size_t b = p->pos, n;
    int c = at(p, b), r, i;
    long long v;

    if (c == '.' && !is_alpha(at(p, b + 1))) {
        if ((r = node(p, K_DOT, b, id)) < 0)
            return r;
        p->pos++;
    } else if (c == '.') {
        if ((r = node(p, K_FIELD, b, id)) < 0)
            return r;
        scan_chain(p, &N(p, *id)->s, &N(p, *id)->sn);
        if (!p->dotmoved && (r = check_root_chain(p, N(p, *id)->s, N(p, *id)->sn, b)) < 0)
            return r;
        return MA_OK;
    } else if (c == '$') {
        n = 1 + ident_len(p, b + 1);
        if (!var_known(p, p->s + b, n))
            return fail(p, b, "undefined variable \"%.*s\"", (int)n, p->s + b);
        if ((r = node(p, K_VAR, b, id)) < 0)
            return r;
        N(p, *id)->s = p->s + b;
        N(p, *id)->sn = n;
        p->pos += n;
    } else if (c == '"' || c == '`') {
        return parse_string(p, id);
    } else if (c == '\'') {
        return fail(p, b, "character constants are not supported");
    } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && at(p, b + 1) >= '0' &&
                                          at(p, b + 1) <= '9')) {
        size_t i2 = b + (c == '-' || c == '+');
        for (v = 0; at(p, i2) >= '0' && at(p, i2) <= '9'; i2++) {
            v = v * 10 + (at(p, i2) - '0');
            if (v > 1000000000000LL)
                return fail(p, b, "integer constant out of range");
        }
        if (is_alnum(at(p, i2)) || at(p, i2) == '.')
            return fail(p, b, "only decimal integer constants are supported");
        if ((r = node(p, K_INT, b, id)) < 0)
            return r;
        N(p, *id)->i = c == '-' ? -v : v;
        p->pos = i2;
        return MA_OK;
    } else if (c == '(') {
        if ((r = node(p, K_PAREN, b, id)) < 0)
            return r;
        p->pos++;
        if ((r = parse_pipe(p, 0, 1, &i)) < 0)
            return r;
        N(p, *id)->a = i;
        skip_ws(p);
        if (at(p, p->pos) != ')')
            return fail(p, p->pos, "unclosed left paren");
        p->pos++;
    } else if ((n = ident_len(p, b)) > 0) {
        if (word_is(p, "true") || word_is(p, "false")) {
            if ((r = node(p, K_BOOL, b, id)) < 0)
                return r;
            N(p, *id)->i = word_is(p, "true");
        } else if (word_is(p, "nil")) {
            if ((r = node(p, K_NIL, b, id)) < 0)
                return r;
        } else {
            for (i = 0; i < NFUNCS; i++)
                if (word_is(p, funcs[i].name))
                    break;
            if (i == NFUNCS) {
                int g;
                for (g = 0; go_only[g]; g++)
                    if (word_is(p, go_only[g]))
                        return fail(p, b, "function \"%s\" is not supported", go_only[g]);
                return fail(p, b, "function \"%.*s\" not defined", (int)n, p->s + b);
            }
            if ((r = node(p, K_FUNC, b, id)) < 0)
                return r;
            N(p, *id)->fn = (uint8_t)funcs[i].fn;
            N(p, *id)->n = i;
        }
        p->pos += n;
        return MA_OK;
    } else {
        if (p->pos >= p->len)
            return fail(p, b, "unclosed action");
        return fail(p, b, "unexpected `%c` in operand", c);
    }
    /* a field chain may follow ., $x and (pipe) */
    if (at(p, p->pos) == '.' && is_alpha(at(p, p->pos + 1))) {
        scan_chain(p, &N(p, *id)->f, &N(p, *id)->fn_len);
        if (N(p, *id)->k == K_VAR && N(p, *id)->sn == 1 &&
            (r = check_root_chain(p, N(p, *id)->f, N(p, *id)->fn_len, b)) < 0)
            return r;
        if (N(p, *id)->k == K_DOT && !p->dotmoved &&
            (r = check_root_chain(p, N(p, *id)->f, N(p, *id)->fn_len, b)) < 0)
            return r;
    }
    return MA_OK;
}

/* printf's format, when it is a literal: only the verbs the executor implements. */
static int check_format(struct pp *p, const struct tn *f)
{
    size_t i;

    for (i = 0; i < f->sn; i++) {
        if (f->s[i] != '%')
            continue;
        if (++i >= f->sn || !strchr("svdq%", f->s[i]))
            return fail(p, f->off, "printf verb %%%.1s is not supported (only %%s %%v %%d %%q %%%%)",
                        i < f->sn ? f->s + i : "");
    }
    return MA_OK;
}

static int parse_cmd(struct pp *p, int piped, int *id)
{
    int r, op, last = -1, nargs = 0, first;
    size_t b = p->pos;

    if ((r = node(p, K_CMD, b, id)) < 0)
        return r;
    for (;;) {
        int spaced;
        skip_ws(p);
        spaced = p->had_space;
        if (at_close(p) || at(p, p->pos) == '|' || at(p, p->pos) == ')' || p->pos >= p->len)
            break;
        if (nargs > 0 && !spaced)
            return fail(p, p->pos, "missing space before `%c`", at(p, p->pos));
        if ((r = parse_operand(p, &op)) < 0)
            return r;
        if (last < 0)
            N(p, *id)->a = op;
        else
            N(p, last)->next = op;
        last = op;
        nargs++;
    }
    if (nargs == 0)
        return fail(p, b, "missing value for command");
    first = N(p, *id)->a;
    N(p, *id)->n = nargs;
    if (N(p, first)->k == K_FUNC) {
        int k = N(p, first)->n, have = nargs - 1 + piped;
        if (have < funcs[k].min || (funcs[k].max >= 0 && have > funcs[k].max))
            return fail(p, N(p, first)->off, "wrong number of args for %s: want %s%d got %d",
                        funcs[k].name, funcs[k].max < 0 ? "at least " : "", funcs[k].min, have);
        if (N(p, first)->fn == F_PRINTF && nargs >= 2 && N(p, N(p, first)->next)->k == K_STR)
            return check_format(p, N(p, N(p, first)->next));
        return MA_OK;
    }
    if (N(p, first)->k == K_NIL)
        return fail(p, b, "nil is not a command");
    if (nargs > 1 || piped)
        return fail(p, N(p, first)->off, "can't give argument to non-function");
    return MA_OK;
}

/* [$x [, $y] (:= | =)] cmd [| cmd]... ; decl: how many variables may be declared (0, 1, 2). */
static int parse_pipe(struct pp *p, int decl, int paren, int *id)
{
    size_t b, save, vb[2], vn[2];
    int r, nv = 0, assign = 0, cmd, last = -1, ncmd = 0, k;

    skip_ws(p);
    b = p->pos;
    if ((r = node(p, K_PIPE, b, id)) < 0)
        return r;
    save = p->pos;
    while (decl > 0 && at(p, p->pos) == '$' && nv < 2) {
        vb[nv] = p->pos;
        vn[nv] = 1 + ident_len(p, p->pos + 1);
        p->pos += vn[nv];
        nv++;
        skip_ws(p);
        if (at(p, p->pos) == ',' && nv == 1) {
            p->pos++;
            skip_ws(p);
            continue;
        }
        break;
    }
    if (nv > 0 && p->len - p->pos >= 2 && memcmp(p->s + p->pos, ":=", 2) == 0) {
        p->pos += 2;
    } else if (nv == 1 && at(p, p->pos) == '=' && at(p, p->pos + 1) != '=') {
        p->pos++;
        assign = 1;
        if (!var_known(p, p->s + vb[0], vn[0]))
            return fail(p, vb[0], "undefined variable \"%.*s\"", (int)vn[0], p->s + vb[0]);
    } else {
        nv = 0;
        p->pos = save;
    }
    if (nv > decl)
        return fail(p, b, "too many declarations");
    for (;;) {
        if ((r = parse_cmd(p, ncmd > 0, &cmd)) < 0)
            return r;
        if (last < 0)
            N(p, *id)->a = cmd;
        else
            N(p, last)->next = cmd;
        last = cmd;
        ncmd++;
        skip_ws(p);
        if (at(p, p->pos) != '|')
            break;
        p->pos++;
    }
    if (paren ? at(p, p->pos) != ')' : !at_close(p))
        return fail(p, p->pos, p->pos >= p->len ? "unclosed action" : "unexpected `%.10s`",
                    p->s + p->pos);
    N(p, *id)->n = nv;
    N(p, *id)->i = assign;
    for (k = 0; k < nv; k++) {
        N(p, *id)->v[k] = p->s + vb[k];
        N(p, *id)->vn[k] = vn[k];
        if (!assign && (r = var_add(p, p->s + vb[k], vn[k], vb[k])) < 0)
            return r;
    }
    return MA_OK;
}

/* ---- lists and control structures ------------------------------------------------------------ */

static int parse_list(struct pp *p, int *first, int *kw, size_t *kw_off);

static int append(struct pp *p, int *first, int *last, int id)
{
    if (*last < 0)
        *first = id;
    else
        N(p, *last)->next = id;
    *last = id;
    return MA_OK;
}

/* if / range / with at pos (the keyword), up to and including its end. */
static int parse_control(struct pp *p, int k, int *id)
{
    size_t b = p->pos, kw_off;
    int r, mark = p->nvars, pipe, kw, list = -1, elist = -1, moves = k != K_IF;

    if (++p->depth > MA_PROM_TMPL_MAX_DEPTH) {
        ma_errmsg_set(p->em, "offset %zu: blocks nest deeper than %d", b, MA_PROM_TMPL_MAX_DEPTH);
        return MA_ERR_LIMIT;
    }
    p->pos += k == K_IF ? 2 : k == K_WITH ? 4 : 5;
    if ((r = node(p, k, b, id)) < 0 || (r = parse_pipe(p, k == K_RANGE ? 2 : 1, 0, &pipe)) < 0 ||
        (r = expect_close(p)) < 0)
        return r;
    N(p, *id)->a = pipe;
    p->inrange += k == K_RANGE;
    p->dotmoved += moves;
    r = parse_list(p, &list, &kw, &kw_off);
    p->inrange -= k == K_RANGE;
    p->dotmoved -= moves;
    if (r < 0)
        return r;
    N(p, *id)->b = list;
    if (kw == KW_ELSE) {
        skip_ws(p);
        if ((k == K_IF && word_is(p, "if")) || (k == K_WITH && word_is(p, "with"))) {
            /* else if: a nested block whose end is ours too */
            if ((r = parse_control(p, k, &elist)) < 0)
                return r;
        } else {
            if ((r = expect_close(p)) < 0 || (r = parse_list(p, &elist, &kw, &kw_off)) < 0)
                return r;
            if (kw != KW_END)
                return fail(p, kw_off, kw == KW_ELSE ? "expected end; found else"
                                                     : "unexpected EOF: missing <<end>>");
        }
    } else if (kw != KW_END) {
        return fail(p, b, "unexpected EOF: missing <<end>>");
    }
    N(p, *id)->c = elist;
    p->nvars = mark;
    p->depth--;
    return MA_OK;
}

/* The action after "<<" (and its trim marker) at pos. */
static int parse_action(struct pp *p, int *id, int *kw, size_t *kw_off)
{
    size_t b;
    int r, pipe;

    *id = -1;
    *kw = -1;
    skip_ws(p);
    b = p->pos;
    if (word_is(p, "end") || word_is(p, "else")) {
        *kw = word_is(p, "end") ? KW_END : KW_ELSE;
        *kw_off = b;
        p->pos += *kw == KW_END ? 3 : 4;
        return *kw == KW_END ? expect_close(p) : MA_OK;
    }
    if (word_is(p, "if"))
        return parse_control(p, K_IF, id);
    if (word_is(p, "range"))
        return parse_control(p, K_RANGE, id);
    if (word_is(p, "with"))
        return parse_control(p, K_WITH, id);
    if (word_is(p, "break") || word_is(p, "continue")) {
        int brk = word_is(p, "break");
        if (!p->inrange)
            return fail(p, b, "{{%s}} outside {{range}}", brk ? "break" : "continue");
        p->pos += brk ? 5 : 8;
        if ((r = node(p, brk ? K_BREAK : K_CONTINUE, b, id)) < 0)
            return r;
        return expect_close(p);
    }
    if (word_is(p, "define") || word_is(p, "template") || word_is(p, "block"))
        return fail(p, b, "<<%.*s>> is not supported", (int)ident_len(p, b), p->s + b);
    if ((r = node(p, K_ACTION, b, id)) < 0 || (r = parse_pipe(p, 1, 0, &pipe)) < 0)
        return r;
    N(p, *id)->a = pipe; /* not through a pointer: parse_pipe may move the node array */
    return expect_close(p);
}

/* Items up to an <<end>>, an <<else ...>> (pos then after "else") or the end of the source. */
static int parse_list(struct pp *p, int *first, int *kw, size_t *kw_off)
{
    int last = -1, id, r;
    size_t a, b, e;

    *first = -1;
    *kw = KW_EOF;
    for (;;) {
        const char *d;
        int trim_left = 0;

        a = p->pos;
        if (p->trim_next) {
            while (a < p->len && is_space(p->s[a]))
                a++;
            p->trim_next = 0;
        }
        d = a < p->len ? memmem(p->s + a, p->len - a, "<<", 2) : NULL;
        e = d ? (size_t)(d - p->s) : p->len;
        b = e;
        if (d && e + 3 < p->len + 1 && p->len - e >= 4 && p->s[e + 2] == '-' && is_space(p->s[e + 3]))
            trim_left = 1;
        if (trim_left)
            while (b > a && is_space(p->s[b - 1]))
                b--;
        if (b > a) {
            if ((r = node(p, K_TEXT, a, &id)) < 0)
                return r;
            N(p, id)->s = p->s + a;
            N(p, id)->sn = b - a;
            append(p, first, &last, id);
        }
        if (!d) {
            p->pos = p->len;
            *kw = KW_EOF;
            return MA_OK;
        }
        p->t->text_only = 0;
        p->pos = e + 2 + (trim_left ? 2 : 0);
        /* a comment fills the whole action, "<<" then slash-star ... star-slash then ">>" */
        if (p->len - p->pos >= 2 && memcmp(p->s + p->pos, "/*", 2) == 0) {
            const char *c = memmem(p->s + p->pos + 2, p->len - p->pos - 2, "*/", 2);
            if (c == NULL)
                return fail(p, e, "unclosed comment");
            p->pos = (size_t)(c - p->s) + 2;
            p->had_space = 0;
            if (p->len - p->pos >= 2 && memcmp(p->s + p->pos, ">>", 2) == 0) {
                p->pos += 2;
            } else if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, " ->>", 4) == 0) {
                p->pos += 4;
                p->trim_next = 1;
            } else {
                return fail(p, p->pos, "comment ends before closing delimiter");
            }
            continue;
        }
        if ((r = parse_action(p, &id, kw, kw_off)) < 0)
            return r;
        if (*kw >= 0)
            return MA_OK;
        append(p, first, &last, id);
    }
}

/* see backend/prom_template.h */
int ma_prom_tmpl_compile(const char *src, size_t len, enum ma_prom_tmpl_kind kind,
                         struct ma_prom_tmpl **out, struct ma_errmsg *em)
{
    struct ma_prom_tmpl *t;
    struct pp p;
    int r, kw;
    size_t kw_off = 0;

    *out = NULL;
    if (len > MA_PROM_TMPL_MAX_SRC) {
        ma_errmsg_set(em, "offset 0: template of %zu bytes exceeds the %d-byte limit", len,
                      MA_PROM_TMPL_MAX_SRC);
        return MA_ERR_LIMIT;
    }
    t = ma_xcalloc(1, sizeof *t);
    t->kind = kind;
    t->text_only = 1;
    t->src = ma_xmalloc(len + 1);
    memcpy(t->src, src, len);
    t->src[len] = '\0';
    t->pool = ma_xmalloc(len + 1);
    memset(&p, 0, sizeof p);
    p.t = t;
    p.s = t->src;
    p.len = len;
    p.em = em;
    r = parse_list(&p, &t->root, &kw, &kw_off);
    if (r == MA_OK && kw != KW_EOF)
        r = fail(&p, kw_off, "unexpected <<%s>>", kw == KW_END ? "end" : "else");
    if (r < 0) {
        ma_prom_tmpl_free(t);
        return r;
    }
    *out = t;
    return MA_OK;
}

/* see backend/prom_template.h */
void ma_prom_tmpl_free(struct ma_prom_tmpl *t)
{
    if (t == NULL)
        return;
    free(t->node);
    free(t->src);
    free(t->pool);
    free(t);
}

/* see backend/prom_template.h */
int ma_prom_tmpl_is_text(const struct ma_prom_tmpl *t)
{
    return t->text_only;
}
