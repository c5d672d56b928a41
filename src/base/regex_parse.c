/* RE2 syntax -> syntax tree (base/regex_int.h). A recursive descent: alternation, then
 * concatenation, then quantified atoms. Decisions follow Go's regexp/syntax parser (Perl flags,
 * as regexp.Compile uses them) so that a pattern means here what it means to prometheus-adapter
 * and Prometheus; what that parser accepts and we do not implement is refused by name. */
#include "base/regex_int.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "base/mem.h"
#include "base/regex.h"

struct ps {
    const unsigned char *s;
    size_t len, pos;
    int flags, depth, inquote;
    struct rx_tree *t;
    struct ma_errmsg *em;
};


/* ---- errors, runes --------------------------------------------------------------------------- */

static int fail(struct ps *p, int code, size_t at, size_t end, const char *what)
{
    if (end > p->len)
        end = p->len;
    if (end > at + 40)
        end = at + 40;
    ma_errmsg_set(p->em, "%s at offset %zu: `%.*s`", what, at, (int)(end - at),
                  (const char *)p->s + at);
    return code;
}
#define SYNTAX(p, at, end, what) fail(p, MA_ERR_SYNTAX, at, end, what)

/* The pattern's rune at pos; invalid UTF-8 in a pattern is an error (as in Go). */
static int pattern_rune(struct ps *p, int32_t *r)
{
    int w;

    *r = rx_decode(p->s + p->pos, p->len - p->pos, &w);
    if (*r == 0xfffd && w == 1 && p->s[p->pos] >= 0x80 &&
        !(p->len - p->pos >= 3 && memcmp(p->s + p->pos, "\xef\xbf\xbd", 3) == 0))
        return SYNTAX(p, p->pos, p->pos + 1, "invalid UTF-8");
    p->pos += (size_t)w;
    return MA_OK;
}

/* ---- nodes ----------------------------------------------------------------------------------- */

static int new_node(struct ps *p, int op)
{
    struct rx_tree *t = p->t;
    struct rx_node *n;

    if (t->nnode == t->capnode) {
        t->capnode = t->capnode ? 2 * t->capnode : 64;
        t->node = ma_xrealloc(t->node, (size_t)t->capnode * sizeof *t->node);
    }
    n = &t->node[t->nnode];
    memset(n, 0, sizeof *n);
    n->op = (uint8_t)op;
    n->sub = n->next = -1;
    return t->nnode++;
}

/* The class as a node: its ranges are appended to the tree. */
static int cls_node(struct ps *p, struct cls *c)
{
    struct rx_tree *t = p->t;
    int id, i;

    rx_cls_norm(c);
    if (t->nrng + c->n / 2 > t->caprng) {
        while (t->nrng + c->n / 2 > t->caprng)
            t->caprng = t->caprng ? 2 * t->caprng : 64;
        t->rng = ma_xrealloc(t->rng, (size_t)t->caprng * 2 * sizeof *t->rng);
    }
    id = new_node(p, N_CLASS);
    t->node[id].a = t->nrng;
    t->node[id].n = c->n / 2;
    for (i = 0; i < c->n; i++)
        t->rng[2 * t->nrng + i] = c->r[i];
    t->nrng += c->n / 2;
    free(c->r);
    c->r = NULL;
    c->n = c->cap = 0;
    return id;
}

static int literal(struct ps *p, int32_t r)
{
    struct cls c = {0};

    if (p->flags & MA_REGEX_FOLD)
        rx_cls_add_folded(&c, r, r);
    else
        rx_cls_add(&c, r, r);
    return cls_node(p, &c);
}

/* ---- escapes --------------------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int isalnum_(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A rune escape at pos (the backslash): \a \f \t \n \r \v, octal, \x, escaped punctuation. */
static int parse_escape(struct ps *p, int32_t *out)
{
    size_t at = p->pos;
    int c, i, h;
    int32_t v;

    if (at + 1 >= p->len)
        return SYNTAX(p, at, at + 1, "trailing backslash at end of expression");
    c = p->s[at + 1];
    p->pos = at + 2;
    switch (c) {
    case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        /* Go reads \12 as octal but a lone \1 as a backreference, which RE2 lacks */
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '7')
            return SYNTAX(p, at, at + 2, "backreferences are not supported");
        /* fall through */
    case '0':
        v = c - '0';
        for (i = 1; i < 3 && p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '7'; i++)
            v = v * 8 + (p->s[p->pos++] - '0');
        *out = v;
        return MA_OK;
    case 'x':
        if (p->pos < p->len && p->s[p->pos] == '{') {
            v = 0;
            for (i = 0, p->pos++; p->pos < p->len && (h = hexval(p->s[p->pos])) >= 0; i++) {
                v = v * 16 + h;
                p->pos++;
                if (v > 0x10ffff)
                    return SYNTAX(p, at, p->pos, "invalid escape sequence");
            }
            if (i == 0 || p->pos >= p->len || p->s[p->pos] != '}')
                return SYNTAX(p, at, p->pos + 1, "invalid escape sequence");
            p->pos++;
            *out = v;
            return MA_OK;
        }
        if (p->pos + 1 >= p->len || hexval(p->s[p->pos]) < 0 || hexval(p->s[p->pos + 1]) < 0)
            return SYNTAX(p, at, p->pos + 2, "invalid escape sequence");
        *out = hexval(p->s[p->pos]) * 16 + hexval(p->s[p->pos + 1]);
        p->pos += 2;
        return MA_OK;
    case 'a': *out = 7; return MA_OK;
    case 'f': *out = '\f'; return MA_OK;
    case 'n': *out = '\n'; return MA_OK;
    case 'r': *out = '\r'; return MA_OK;
    case 't': *out = '\t'; return MA_OK;
    case 'v': *out = '\v'; return MA_OK;
    case 'p': case 'P':
        return SYNTAX(p, at, at + 2, "Unicode character classes (\\p, \\P) are not supported");
    case 'C': return SYNTAX(p, at, at + 2, "\\C (any byte) is not supported");
    case 'Z': return SYNTAX(p, at, at + 2, "\\Z is not supported (use \\z)");
    }
    if (c < 0x80 && !isalnum_(c)) {
        *out = c;
        return MA_OK;
    }
    return SYNTAX(p, at, at + 2, "invalid escape sequence");
}

/* ---- classes [...] --------------------------------------------------------------------------- */

static int class_char(struct ps *p, int32_t *r)
{
    if (p->s[p->pos] == '\\')
        return parse_escape(p, r);
    return pattern_rune(p, r);
}

static int parse_class(struct ps *p, int *id)
{
    size_t start = p->pos, i, e;
    struct cls c = {0};
    int neg = 0, first = 1, r, k, pneg;
    int32_t lo, hi;

    p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '^')
        neg = 1, p->pos++;
    while (p->pos < p->len && (p->s[p->pos] != ']' || first)) {
        first = 0;
        if (p->len - p->pos > 2 && p->s[p->pos] == '[' && p->s[p->pos + 1] == ':') {
            for (e = p->pos + 2; e + 1 < p->len && !(p->s[e] == ':' && p->s[e + 1] == ']'); e++)
                ;
            if (e + 1 < p->len) { /* else "[:" is two literals, as in Go */
                i = p->pos + 2;
                pneg = i < e && p->s[i] == '^';
                i += (size_t)pneg;
                for (k = 0; k < RX_NPOSIX; k++)
                    if (strlen(rx_posix[k].name) == e - i &&
                        memcmp(rx_posix[k].name, p->s + i, e - i) == 0)
                        break;
                if (k == RX_NPOSIX) {
                    free(c.r);
                    return SYNTAX(p, p->pos, e + 2, "invalid character class range");
                }
                rx_cls_add_set(p->flags & MA_REGEX_FOLD, &c, rx_posix[k].pairs, rx_posix[k].n, pneg);
                p->pos = e + 2;
                continue;
            }
        }
        if (p->s[p->pos] == '\\' && p->pos + 1 < p->len && p->s[p->pos + 1] < 0x80 &&
            (k = rx_perl_index(p->s[p->pos + 1])) >= 0) {
            rx_cls_add_set(p->flags & MA_REGEX_FOLD, &c, rx_perl[k].pairs, rx_perl[k].n, p->s[p->pos + 1] < 'a');
            p->pos += 2;
            continue;
        }
        i = p->pos;
        if ((r = class_char(p, &lo)) < 0) {
            free(c.r);
            return r;
        }
        hi = lo;
        if (p->len - p->pos >= 2 && p->s[p->pos] == '-' && p->s[p->pos + 1] != ']') {
            p->pos++;
            if ((r = class_char(p, &hi)) < 0) {
                free(c.r);
                return r;
            }
            if (hi < lo) {
                free(c.r);
                return SYNTAX(p, i, p->pos, "invalid character class range");
            }
        }
        if (p->flags & MA_REGEX_FOLD)
            rx_cls_add_folded(&c, lo, hi);
        else
            rx_cls_add(&c, lo, hi);
    }
    if (p->pos >= p->len) {
        free(c.r);
        return SYNTAX(p, start, p->len, "missing closing ]");
    }
    p->pos++;
    rx_cls_norm(&c);
    if (neg)
        rx_cls_negate(&c);
    *id = cls_node(p, &c);
    return MA_OK;
}

static int repeat_spec(struct ps *p, int *min, int *max, size_t *end);

/* ---- groups and flags ------------------------------------------------------------------------ */

static int parse_alt(struct ps *p, int *id);

static int enter(struct ps *p, size_t at)
{
    if (++p->depth > MA_REGEX_MAX_DEPTH)
        return fail(p, MA_ERR_LIMIT, at, at + 1, "expression nests too deeply");
    return MA_OK;
}

/* "(?" at pos: a flag group, a named group or a refused Perl construct. *id is -1 for a bare
 * flag setting "(?i)", which changes p->flags until the enclosing group ends. */
static int parse_perl_group(struct ps *p, int *id, int *named, size_t *name_at, size_t *name_len)
{
    size_t at = p->pos, i = at + 2, e;
    int flags = p->flags, neg = 0, any = 0, bit;

    *named = 0;
    if (i < p->len && (p->s[i] == '=' || p->s[i] == '!'))
        return SYNTAX(p, at, i + 1, "lookahead is not supported");
    if (i + 1 < p->len && p->s[i] == '<' && (p->s[i + 1] == '=' || p->s[i + 1] == '!'))
        return SYNTAX(p, at, i + 2, "lookbehind is not supported");
    if (i + 1 < p->len && p->s[i] == 'P' && (p->s[i + 1] == '=' || p->s[i + 1] == '>'))
        return SYNTAX(p, at, i + 2, "backreferences are not supported");
    if (i < p->len && (p->s[i] == '<' || (p->s[i] == 'P' && i + 1 < p->len && p->s[i + 1] == '<'))) {
        i += p->s[i] == 'P' ? 2 : 1;
        for (e = i; e < p->len && (isalnum_(p->s[e]) || p->s[e] == '_'); e++)
            ;
        if (e >= p->len || p->s[e] != '>' || e == i)
            return SYNTAX(p, at, e + 1, "invalid named capture");
        *named = 1;
        *id = 0;
        *name_at = i;
        *name_len = e - i;
        p->pos = e + 1;
        return MA_OK;
    }
    for (; i < p->len; i++) {
        switch (p->s[i]) {
        case 'i': bit = MA_REGEX_FOLD; break;
        case 'm': bit = MA_REGEX_MULTI; break;
        case 's': bit = MA_REGEX_DOTNL; break;
        case 'U': bit = MA_REGEX_UNGREEDY; break;
        case '-':
            if (neg)
                return SYNTAX(p, at, i + 1, "invalid or unsupported Perl syntax");
            neg = 1, any = 0;
            continue;
        case ':':
        case ')':
            if (neg && !any)
                return SYNTAX(p, at, i + 1, "missing flags in flag group");
            p->pos = i + 1;
            if (p->s[i] == ')') {
                p->flags = flags;
                *id = -1;
            } else {
                *id = -2; /* a non-capturing group with these flags follows */
                *name_len = (size_t)flags;
            }
            return MA_OK;
        default:
            return SYNTAX(p, at, i + 1, "invalid or unsupported Perl syntax");
        }
        any = 1;
        flags = neg ? flags & ~bit : flags | bit;
    }
    return SYNTAX(p, at, p->len, "missing closing )");
}

/* A group at pos ('('). */
static int parse_group(struct ps *p, int *id)
{
    size_t at = p->pos, name_at = 0, name_len = 0;
    int saved = p->flags, cap = 0, named = 0, r, sub, gi = 0;

    if ((r = enter(p, at)) < 0)
        return r;
    if (p->len - at >= 2 && p->s[at + 1] == '?') {
        if ((r = parse_perl_group(p, id, &named, &name_at, &name_len)) < 0)
            return r;
        if (*id == -1) { /* (?flags): the new flags stay */
            p->depth--;
            return MA_OK;
        }
        if (*id == -2)
            p->flags = (int)name_len;
        cap = named;
    } else {
        p->pos++;
        cap = 1;
    }
    if (cap) {
        struct rx_tree *t = p->t;

        if (t->ngroups >= MA_REGEX_MAX_GROUPS)
            return fail(p, MA_ERR_LIMIT, at, at + 1, "too many capture groups");
        gi = ++t->ngroups;
        t->names = ma_xrealloc(t->names, (size_t)(gi + 1) * sizeof *t->names);
        t->names[0] = NULL;
        t->names[gi] = ma_xstrndup(named ? (const char *)p->s + name_at : "", name_len);
    }
    if ((r = parse_alt(p, &sub)) < 0)
        return r;
    if (p->pos >= p->len || p->s[p->pos] != ')')
        return SYNTAX(p, at, p->len, "missing closing )");
    p->pos++;
    p->flags = saved;
    p->depth--;
    if (!cap) {
        *id = sub;
        return MA_OK;
    }
    *id = new_node(p, N_CAP);
    p->t->node[*id].a = gi;
    p->t->node[*id].sub = sub;
    return MA_OK;
}

/* ---- atoms and quantifiers ------------------------------------------------------------------- */

static int assertion(struct ps *p, int kind)
{
    int id = new_node(p, N_ASSERT);
    p->t->node[id].a = kind;
    return id;
}

/* One atom at pos. *id is -1 when nothing was produced (a flag group, \E). */
static int parse_atom(struct ps *p, int *id)
{
    size_t at = p->pos;
    int32_t r;
    int c = p->s[at], rc, k;
    struct cls cl = {0};

    *id = -1;
    if (p->inquote) {
        if (p->len - at >= 2 && c == '\\' && p->s[at + 1] == 'E') {
            p->inquote = 0;
            p->pos += 2;
            return MA_OK;
        }
        if ((rc = pattern_rune(p, &r)) < 0)
            return rc;
        *id = literal(p, r);
        /* a quantifier after \E applies to the quote's last rune, as in Go */
        if (p->len - p->pos >= 2 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'E') {
            p->inquote = 0;
            p->pos += 2;
        }
        return MA_OK;
    }
    switch (c) {
    case '*':
    case '+':
    case '?':
        return SYNTAX(p, at, at + 1, "missing argument to repetition operator");
    case '{': {
        int mn, mx;
        size_t end;
        if (repeat_spec(p, &mn, &mx, &end))
            return SYNTAX(p, at, end, "missing argument to repetition operator");
        break;
    }
    case '(':
        return parse_group(p, id);
    case '[':
        return parse_class(p, id);
    case '.':
        p->pos++;
        rx_cls_add(&cl, 0, 0x10ffff);
        if (!(p->flags & MA_REGEX_DOTNL)) {
            cl.r[1] = '\n' - 1;
            rx_cls_add(&cl, '\n' + 1, 0x10ffff);
        }
        *id = cls_node(p, &cl);
        return MA_OK;
    case '^':
        p->pos++;
        *id = assertion(p, p->flags & MA_REGEX_MULTI ? A_BOL : A_BOT);
        return MA_OK;
    case '$':
        p->pos++;
        *id = assertion(p, p->flags & MA_REGEX_MULTI ? A_EOL : A_EOT);
        return MA_OK;
    case '\\':
        if (at + 1 < p->len) {
            c = p->s[at + 1];
            switch (c) {
            case 'A': p->pos += 2; *id = assertion(p, A_BOT); return MA_OK;
            case 'z': p->pos += 2; *id = assertion(p, A_EOT); return MA_OK;
            case 'b': p->pos += 2; *id = assertion(p, A_WORDB); return MA_OK;
            case 'B': p->pos += 2; *id = assertion(p, A_NWORDB); return MA_OK;
            case 'Q': p->pos += 2; p->inquote = 1; return MA_OK;
            case 'E': p->pos += 2; return MA_OK; /* a stray \E is ignored, as in Go */
            }
            if (c < 0x80 && (k = rx_perl_index(c)) >= 0) {
                p->pos += 2;
                rx_cls_add_set(p->flags & MA_REGEX_FOLD, &cl, rx_perl[k].pairs, rx_perl[k].n, c < 'a');
                *id = cls_node(p, &cl);
                return MA_OK;
            }
        }
        if ((rc = parse_escape(p, &r)) < 0)
            return rc;
        *id = literal(p, r);
        return MA_OK;
    }
    if ((rc = pattern_rune(p, &r)) < 0)
        return rc;
    *id = literal(p, r);
    return MA_OK;
}

/* Digits at *i as a repeat count: no leading zero; too big gives 1001+ (an invalid count). */
static int repeat_int(struct ps *p, size_t *i, int *v)
{
    size_t b = *i;

    if (b >= p->len || p->s[b] < '0' || p->s[b] > '9')
        return 0;
    if (p->len - b >= 2 && p->s[b] == '0' && p->s[b + 1] >= '0' && p->s[b + 1] <= '9')
        return 0;
    for (*v = 0; *i < p->len && p->s[*i] >= '0' && p->s[*i] <= '9'; (*i)++)
        if (*v <= MA_REGEX_MAX_REPEAT)
            *v = *v * 10 + (p->s[*i] - '0');
    return 1;
}

/* {n} {n,} {n,m} at pos: 1 and the end offset if it is one, else 0 ('{' is then a literal). */
static int repeat_spec(struct ps *p, int *min, int *max, size_t *end)
{
    size_t i = p->pos + 1;

    if (!repeat_int(p, &i, min))
        return 0;
    *max = *min;
    if (i < p->len && p->s[i] == ',') {
        i++;
        *max = -1;
        if (i < p->len && p->s[i] != '}' && !repeat_int(p, &i, max))
            return 0;
    }
    if (i >= p->len || p->s[i] != '}')
        return 0;
    *end = i + 1;
    return 1;
}

/* Go refuses nested counted repeats whose product exceeds 1000 ((a{500}){3}): their expansion
 * would be huge. n is the remaining budget. */
static int repeat_ok(const struct rx_tree *t, int id, int n)
{
    const struct rx_node *x = &t->node[id];
    int k;

    if (x->op == N_REP && (x->min >= 2 || x->max >= 2)) {
        int m = x->max;
        if (m == 0)
            return 1;
        if (m < 0)
            m = x->min;
        if (m > n)
            return 0;
        if (m > 0)
            n /= m;
    }
    for (k = x->sub; k >= 0; k = t->node[k].next)
        if (!repeat_ok(t, k, n))
            return 0;
    return 1;
}

static int is_quant_at(struct ps *p, int *min, int *max, size_t *end)
{
    int c;

    if (p->pos >= p->len || p->inquote)
        return 0;
    c = p->s[p->pos];
    if (c == '*' || c == '+' || c == '?') {
        *min = c == '+';
        *max = c == '?' ? 1 : -1;
        *end = p->pos + 1;
        return 1;
    }
    return c == '{' && repeat_spec(p, min, max, end);
}

/* Quantifiers after atom *id (which MAY be -1: then a quantifier is an error). */
static int parse_quant(struct ps *p, int *id)
{
    size_t at = p->pos, end, e2;
    int min, max, m2, x2, greedy, rep, counted;

    if (!is_quant_at(p, &min, &max, &end))
        return MA_OK;
    if (*id < 0)
        return SYNTAX(p, at, end, "missing argument to repetition operator");
    counted = p->s[at] == '{';
    if (counted && (min > MA_REGEX_MAX_REPEAT || max > MA_REGEX_MAX_REPEAT ||
                    (max >= 0 && min > max)))
        return SYNTAX(p, at, end, "invalid repeat count");
    p->pos = end;
    greedy = !(p->flags & MA_REGEX_UNGREEDY);
    if (p->pos < p->len && p->s[p->pos] == '?') {
        greedy = !greedy;
        p->pos++;
    }
    /* Perl and RE2 refuse a** (and a*+ would be possessive, which RE2 lacks) */
    if (is_quant_at(p, &m2, &x2, &e2))
        return SYNTAX(p, at, e2, "invalid nested repetition operator (possessive and stacked "
                                 "quantifiers are not supported)");
    rep = new_node(p, N_REP);
    p->t->node[rep].min = min;
    p->t->node[rep].max = max;
    p->t->node[rep].greedy = (uint8_t)greedy;
    p->t->node[rep].sub = *id;
    if (counted && (min >= 2 || max >= 2) && !repeat_ok(p->t, rep, MA_REGEX_MAX_REPEAT))
        return SYNTAX(p, at, end, "invalid repeat count");
    *id = rep;
    return MA_OK;
}

/* ---- concatenation and alternation ----------------------------------------------------------- */

static int parse_cat(struct ps *p, int *id)
{
    int cat = new_node(p, N_CAT), last = -1, atom, r;

    while (p->pos < p->len) {
        if (!p->inquote && (p->s[p->pos] == '|' || p->s[p->pos] == ')'))
            break;
        if ((r = parse_atom(p, &atom)) < 0 || (r = parse_quant(p, &atom)) < 0)
            return r;
        if (atom < 0)
            continue;
        if (last < 0)
            p->t->node[cat].sub = atom;
        else
            p->t->node[last].next = atom;
        last = atom;
    }
    *id = cat;
    return MA_OK;
}

static int parse_alt(struct ps *p, int *id)
{
    int alt, first, last, next, r;

    if ((r = parse_cat(p, &first)) < 0)
        return r;
    if (p->pos >= p->len || p->s[p->pos] != '|') {
        *id = first;
        return MA_OK;
    }
    alt = new_node(p, N_ALT);
    p->t->node[alt].sub = last = first;
    while (p->pos < p->len && p->s[p->pos] == '|') {
        p->pos++;
        if ((r = parse_cat(p, &next)) < 0)
            return r;
        p->t->node[last].next = next;
        last = next;
    }
    *id = alt;
    return MA_OK;
}

/* see base/regex_int.h */
int rx_parse(const char *pat, size_t len, int flags, struct rx_tree *t, struct ma_errmsg *em)
{
    struct ps p;
    int r;

    memset(&p, 0, sizeof p);
    p.s = (const unsigned char *)pat;
    p.len = len;
    p.flags = flags;
    p.t = t;
    p.em = em;
    if (len > MA_REGEX_MAX_PATTERN) {
        ma_errmsg_set(em, "pattern of %zu bytes exceeds the %d-byte limit", len,
                      MA_REGEX_MAX_PATTERN);
        return MA_ERR_LIMIT;
    }
    t->names = ma_xcalloc(1, sizeof *t->names);
    if ((r = parse_alt(&p, &t->root)) < 0)
        return r;
    if (p.pos < p.len) /* only a ')' stops the top level early */
        return SYNTAX(&p, p.pos, p.pos + 1, "unexpected )");
    return MA_OK;
}

/* see base/regex_int.h */
void rx_tree_free(struct rx_tree *t)
{
    int i;

    for (i = 1; t->names && i <= t->ngroups; i++)
        free(t->names[i]);
    free(t->names);
    free(t->node);
    free(t->rng);
    memset(t, 0, sizeof *t);
}
