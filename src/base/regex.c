/* Regular expressions: syntax tree (regex_parse.c) -> program -> Pike VM. The program is the
 * Thompson construction Go's regexp/syntax compiler emits (same priorities, same expansion of
 * counted repeats), and the VM runs every thread in lock step over the input, so the cost of a
 * match is O(instructions x input) and the submatches are the leftmost-first ones Go reports. */
#include "base/regex.h"

#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "base/regex_int.h"

enum { I_RUNE, I_MATCH, I_JMP, I_SPLIT, I_SAVE, I_ASSERT, I_FAIL };

struct inst {
    uint8_t op, arg; /* I_ASSERT: A_* */
    int32_t x, y;    /* RUNE: ranges x.. x+y; JMP: x; SPLIT: x preferred, y; SAVE: slot x */
};

struct ma_regex {
    struct inst *in;
    int ninst, capinst;
    int32_t *rng; /* lo, hi pairs */
    int nrng;
    int ngroups;
    char **names; /* [1..ngroups] */
    int err;      /* compile: MA_ERR_LIMIT once the program is too large */
};

/* ---- compiler -------------------------------------------------------------------------------- */

static int emit(struct ma_regex *re, int op, int32_t x, int32_t y)
{
    if (re->err)
        return 0;
    if (re->ninst >= MA_REGEX_MAX_INST) {
        re->err = MA_ERR_LIMIT;
        return 0;
    }
    if (re->ninst == re->capinst) {
        re->capinst = re->capinst ? 2 * re->capinst : 32;
        re->in = ma_xrealloc(re->in, (size_t)re->capinst * sizeof *re->in);
    }
    re->in[re->ninst].op = (uint8_t)op;
    re->in[re->ninst].arg = 0;
    re->in[re->ninst].x = x;
    re->in[re->ninst].y = y;
    return re->ninst++;
}

static int nullable(const struct rx_tree *t, int id)
{
    const struct rx_node *n = &t->node[id];
    int k;

    switch (n->op) {
    case N_CLASS: return 0;
    case N_CAP: return nullable(t, n->sub);
    case N_REP: return n->min == 0 || nullable(t, n->sub);
    case N_CAT:
        for (k = n->sub; k >= 0; k = t->node[k].next)
            if (!nullable(t, k))
                return 0;
        return 1;
    case N_ALT:
        for (k = n->sub; k >= 0; k = t->node[k].next)
            if (nullable(t, k))
                return 1;
        return 0;
    }
    return 1; /* N_EMPTY, N_ASSERT */
}

static void comp(struct ma_regex *re, const struct rx_tree *t, int id);

/* A split whose preferred arm is the next instruction when greedy; patched by the caller. */
static int split_here(struct ma_regex *re, int greedy, int *hole_is_x)
{
    *hole_is_x = !greedy;
    return emit(re, I_SPLIT, 0, 0);
}

static void patch(struct ma_regex *re, int at, int hole_is_x, int body, int out)
{
    if (re->err)
        return;
    re->in[at].x = hole_is_x ? out : body;
    re->in[at].y = hole_is_x ? body : out;
}

/* x? */
static void comp_quest(struct ma_regex *re, const struct rx_tree *t, int sub, int greedy)
{
    int hx, s = split_here(re, greedy, &hx);
    comp(re, t, sub);
    patch(re, s, hx, s + 1, re->ninst);
}

/* x+ : L: x; split L, out */
static void comp_plus(struct ma_regex *re, const struct rx_tree *t, int sub, int greedy)
{
    int hx, start = re->ninst, s;
    comp(re, t, sub);
    s = split_here(re, greedy, &hx);
    patch(re, s, hx, start, s + 1);
}

/* x* : L: split body, out; body; jmp L. When x can match empty Go compiles (x+)? instead, so
 * that an empty iteration does not win over a longer one (golang.org/issue/46123). */
static void comp_star(struct ma_regex *re, const struct rx_tree *t, int sub, int greedy)
{
    int hx, s;

    if (nullable(t, sub)) {
        s = split_here(re, greedy, &hx);
        comp_plus(re, t, sub, greedy);
        patch(re, s, hx, s + 1, re->ninst);
        return;
    }
    s = split_here(re, greedy, &hx);
    comp(re, t, sub);
    emit(re, I_JMP, s, 0);
    patch(re, s, hx, s + 1, re->ninst);
}

/* Nested optional copies for x{n,m}'s m-n tail: (x(x(x)?)?)? */
static void comp_tail(struct ma_regex *re, const struct rx_tree *t, int sub, int greedy, int k)
{
    int hx, s;

    if (k <= 0 || re->err)
        return;
    s = split_here(re, greedy, &hx);
    comp(re, t, sub);
    comp_tail(re, t, sub, greedy, k - 1);
    patch(re, s, hx, s + 1, re->ninst);
}

/* Counted repeats expand as Go's simplifier expands them: x{n,} = x^(n-1) x+, x{n,m} = x^n then
 * nested optionals, x{0} = empty. */
static void comp_rep(struct ma_regex *re, const struct rx_tree *t, const struct rx_node *n)
{
    int i, g = n->greedy;

    if (n->max == -1) {
        if (n->min == 0) {
            comp_star(re, t, n->sub, g);
            return;
        }
        for (i = 0; i < n->min - 1 && !re->err; i++)
            comp(re, t, n->sub);
        comp_plus(re, t, n->sub, g);
        return;
    }
    if (n->min == 0 && n->max == 1) {
        comp_quest(re, t, n->sub, g);
        return;
    }
    for (i = 0; i < n->min && !re->err; i++)
        comp(re, t, n->sub);
    comp_tail(re, t, n->sub, g, n->max - n->min);
}

static void comp_alt(struct ma_regex *re, const struct rx_tree *t, int first)
{
    int k, s, j, chain = -1;

    /* split L1, next; L1: a; jmp end; next: split L2, next2; ... last */
    for (k = first; k >= 0 && !re->err; k = t->node[k].next) {
        if (t->node[k].next >= 0) {
            s = emit(re, I_SPLIT, 0, 0);
            comp(re, t, k);
            j = emit(re, I_JMP, -1, 0);
            if (!re->err) {
                re->in[s].x = s + 1;
                re->in[s].y = re->ninst;
                /* jump holes are chained through y to avoid a bounded list */
                re->in[j].y = chain;
                chain = j;
            }
        } else {
            comp(re, t, k);
        }
    }
    while (chain >= 0 && !re->err) {
        j = re->in[chain].y;
        re->in[chain].x = re->ninst;
        re->in[chain].y = 0;
        chain = j;
    }
}

static void comp(struct ma_regex *re, const struct rx_tree *t, int id)
{
    const struct rx_node *n = &t->node[id];
    int k, i;

    if (re->err)
        return;
    switch (n->op) {
    case N_EMPTY:
        return;
    case N_CLASS:
        emit(re, I_RUNE, n->a, n->n);
        return;
    case N_ASSERT:
        i = emit(re, I_ASSERT, 0, 0);
        if (!re->err)
            re->in[i].arg = (uint8_t)n->a;
        return;
    case N_CAP:
        emit(re, I_SAVE, 2 * n->a, 0);
        comp(re, t, n->sub);
        emit(re, I_SAVE, 2 * n->a + 1, 0);
        return;
    case N_CAT:
        for (k = n->sub; k >= 0; k = t->node[k].next)
            comp(re, t, k);
        return;
    case N_ALT:
        comp_alt(re, t, n->sub);
        return;
    case N_REP:
        comp_rep(re, t, n);
        return;
    }
}

/* see base/regex.h */
int ma_regex_compile(const char *pat, size_t len, int flags, struct ma_regex **out,
                     struct ma_errmsg *em)
{
    struct rx_tree t;
    struct ma_regex *re;
    int r;

    *out = NULL;
    memset(&t, 0, sizeof t);
    if ((r = rx_parse(pat, len, flags, &t, em)) < 0) {
        rx_tree_free(&t);
        return r;
    }
    re = ma_xcalloc(1, sizeof *re);
    /* group 0 around the whole pattern, then MATCH */
    emit(re, I_SAVE, 0, 0);
    comp(re, &t, t.root);
    emit(re, I_SAVE, 1, 0);
    emit(re, I_MATCH, 0, 0);
    if (re->err) {
        ma_errmsg_set(em, "expression too large: more than %d instructions",
                      MA_REGEX_MAX_INST);
        rx_tree_free(&t);
        ma_regex_free(re);
        return MA_ERR_LIMIT;
    }
    re->rng = t.rng;
    re->nrng = t.nrng;
    re->ngroups = t.ngroups;
    re->names = t.names;
    t.rng = NULL;
    t.names = NULL;
    t.ngroups = 0;
    rx_tree_free(&t);
    *out = re;
    return MA_OK;
}

/* see base/regex.h */
void ma_regex_free(struct ma_regex *re)
{
    int i;

    if (re == NULL)
        return;
    for (i = 1; re->names && i <= re->ngroups; i++)
        free(re->names[i]);
    free(re->names);
    free(re->in);
    free(re->rng);
    free(re);
}

/* see base/regex.h */
int ma_regex_ngroups(const struct ma_regex *re)
{
    return re->ngroups;
}

/* see base/regex.h */
const char *ma_regex_group_name(const struct ma_regex *re, int i)
{
    return i >= 1 && i <= re->ngroups ? re->names[i] : NULL;
}

/* see base/regex.h */
int ma_regex_group_index(const struct ma_regex *re, const char *name, size_t n)
{
    int i;

    for (i = 1; i <= re->ngroups; i++)
        if (strlen(re->names[i]) == n && n > 0 && memcmp(re->names[i], name, n) == 0)
            return i;
    return -1;
}

/* ---- Pike VM --------------------------------------------------------------------------------- */

/* A thread list: a sparse set of pcs in priority order, with the slots of each pc that waits on
 * a rune or a match. */
struct tlist {
    int *dense, *sparse, n;
    long *caps; /* ncap per dense entry */
};

struct vm {
    const struct ma_regex *re;
    const unsigned char *s;
    size_t len;
    int ncap, full;
    struct tlist a, b;
    long *tmp;
    struct { int pc, slot; long old; } *stack;
};

static int word(int c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int assert_ok(const struct vm *m, int kind, size_t pos)
{
    int before = pos > 0 ? m->s[pos - 1] : -1, after = pos < m->len ? m->s[pos] : -1;

    switch (kind) {
    case A_BOT: return pos == 0;
    case A_EOT: return pos == m->len;
    case A_BOL: return pos == 0 || before == '\n';
    case A_EOL: return pos == m->len || after == '\n';
    case A_WORDB: return word(before) != word(after);
    case A_NWORDB: return word(before) == word(after);
    }
    return 0;
}

static int contains(const struct tlist *l, int pc)
{
    int i = l->sparse[pc];
    return i < l->n && l->dense[i] == pc;
}

/* Follow pc's empty transitions at pos from the slots in m->tmp, adding each reached pc to l in
 * priority order (RE2's AddToThreadq: an explicit stack, saves undone on the way back). */
static void add(struct vm *m, struct tlist *l, int pc0, size_t pos)
{
    const struct inst *in = m->re->in;
    int sp = 0, pc, slot;

    m->stack[sp].pc = pc0;
    m->stack[sp++].slot = -1;
    while (sp > 0) {
        sp--;
        if (m->stack[sp].slot >= 0) {
            m->tmp[m->stack[sp].slot] = m->stack[sp].old;
            continue;
        }
        pc = m->stack[sp].pc;
        for (;;) {
            if (contains(l, pc))
                break;
            slot = l->n++;
            l->sparse[pc] = slot;
            l->dense[slot] = pc;
            switch (in[pc].op) {
            case I_JMP:
                pc = in[pc].x;
                continue;
            case I_SPLIT:
                m->stack[sp].pc = in[pc].y;
                m->stack[sp++].slot = -1;
                pc = in[pc].x;
                continue;
            case I_SAVE:
                if (in[pc].x < m->ncap) {
                    m->stack[sp].slot = in[pc].x;
                    m->stack[sp++].old = m->tmp[in[pc].x];
                    m->tmp[in[pc].x] = (long)pos;
                }
                pc++;
                continue;
            case I_ASSERT:
                if (!assert_ok(m, in[pc].arg, pos))
                    break;
                pc++;
                continue;
            case I_RUNE:
            case I_MATCH:
                if (m->ncap)
                    memcpy(l->caps + (size_t)slot * m->ncap, m->tmp, m->ncap * sizeof(long));
                break;
            }
            break;
        }
    }
}

static int rune_in(const struct ma_regex *re, const struct inst *in, int32_t r)
{
    const int32_t *g = re->rng + 2 * in->x;
    int lo = 0, hi = in->y - 1, mid;

    while (lo <= hi) {
        mid = (lo + hi) / 2;
        if (r < g[2 * mid])
            hi = mid - 1;
        else if (r > g[2 * mid + 1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int run(struct vm *m, long *sub)
{
    const struct ma_regex *re = m->re;
    struct tlist *cl = &m->a, *nl = &m->b, *sw;
    size_t pos = 0;
    int matched = 0, i, pc, w = 0;
    int32_t r;

    for (;;) {
        if (!matched && (!m->full || pos == 0)) {
            for (i = 0; i < m->ncap; i++)
                m->tmp[i] = -1;
            add(m, cl, 0, pos);
        }
        if (cl->n == 0)
            break;
        r = -1;
        if (pos < m->len)
            r = rx_decode(m->s + pos, m->len - pos, &w);
        nl->n = 0;
        for (i = 0; i < cl->n; i++) {
            pc = cl->dense[i];
            if (re->in[pc].op == I_MATCH) {
                if (m->full && pos != m->len)
                    continue;
                if (m->ncap)
                    memcpy(sub, cl->caps + (size_t)i * m->ncap, m->ncap * sizeof(long));
                matched = 1;
                break; /* lower-priority threads lose */
            }
            if (re->in[pc].op == I_RUNE && r >= 0 && rune_in(re, &re->in[pc], r)) {
                if (m->ncap)
                    memcpy(m->tmp, cl->caps + (size_t)i * m->ncap, m->ncap * sizeof(long));
                add(m, nl, pc + 1, pos + (size_t)w);
            }
        }
        sw = cl, cl = nl, nl = sw;
        if (pos >= m->len)
            break;
        pos += (size_t)w;
    }
    return matched;
}

static int exec(const struct ma_regex *re, const char *s, size_t len, long *sub, int nsub,
                int full)
{
    struct vm m;
    size_t n = (size_t)re->ninst, words;
    long *mem;
    int ncap, i, ok;

    ncap = sub ? nsub : 0;
    if (ncap > 2 * (re->ngroups + 1))
        ncap = 2 * (re->ngroups + 1);
    if (ncap > 0 && (size_t)ncap * n > MA_REGEX_MAX_SLOTS)
        ncap = (int)(MA_REGEX_MAX_SLOTS / n) & ~1;
    for (i = 0; sub && i < nsub; i++)
        sub[i] = -1;
    memset(&m, 0, sizeof m);
    m.re = re;
    m.s = (const unsigned char *)s;
    m.len = len;
    m.ncap = ncap;
    m.full = full;
    /* one allocation: 2 lists of (dense, sparse, caps), tmp, stack */
    words = 2 * (2 * n + n * (size_t)ncap) + (size_t)ncap + 3 * 2 * n;
    mem = ma_xcalloc(words, sizeof(long));
    m.a.caps = mem;
    m.b.caps = mem + n * (size_t)ncap;
    m.tmp = mem + 2 * n * (size_t)ncap;
    m.stack = (void *)(m.tmp + ncap);
    m.a.dense = (int *)(void *)((long *)m.stack + 3 * 2 * n);
    m.a.sparse = m.a.dense + n;
    m.b.dense = m.a.sparse + n;
    m.b.sparse = m.b.dense + n;
    ok = run(&m, sub);
    free(mem);
    return ok;
}

/* see base/regex.h */
int ma_regex_search(const struct ma_regex *re, const char *s, size_t len, long *sub, int nsub)
{
    return exec(re, s, len, sub, nsub, 0);
}

/* see base/regex.h */
int ma_regex_fullmatch(const struct ma_regex *re, const char *s, size_t len, long *sub, int nsub)
{
    return exec(re, s, len, sub, nsub, 1);
}

/* ---- Expand and QuoteMeta -------------------------------------------------------------------- */

static int name_char(int c)
{
    return word(c);
}

/* see base/regex.h */
void ma_regex_expand(const struct ma_regex *re, const char *tmpl, size_t tlen, const char *src,
                     const long *sub, int nsub, struct ma_buf *out)
{
    size_t i = 0, a, b, e;
    int brace, num, k, g;

    while (i < tlen) {
        const char *d = memchr(tmpl + i, '$', tlen - i);
        if (d == NULL)
            break;
        ma_buf_append(out, tmpl + i, (size_t)(d - tmpl) - i);
        i = (size_t)(d - tmpl) + 1;
        if (i < tlen && tmpl[i] == '$') {
            ma_buf_appendc(out, '$');
            i++;
            continue;
        }
        brace = i < tlen && tmpl[i] == '{';
        a = i + (size_t)brace;
        for (b = a; b < tlen && name_char((unsigned char)tmpl[b]); b++)
            ;
        e = b;
        if (b == a || (brace && (b >= tlen || tmpl[b] != '}'))) {
            ma_buf_appendc(out, '$'); /* malformed: the $ is text */
            continue;
        }
        if (brace)
            e++;
        /* a number: digits only, no leading zero, below 1e8 */
        num = 0;
        for (k = (int)a; k < (int)b; k++) {
            if (tmpl[k] < '0' || tmpl[k] > '9' || num >= 100000000) {
                num = -1;
                break;
            }
            num = num * 10 + (tmpl[k] - '0');
        }
        if (tmpl[a] == '0' && b - a > 1)
            num = -1;
        if (num >= 0) {
            if (2 * num + 1 < nsub && sub[2 * num] >= 0)
                ma_buf_append(out, src + sub[2 * num],
                              (size_t)(sub[2 * num + 1] - sub[2 * num]));
        } else {
            /* names may repeat: the first group of that name that took part wins, as in Go */
            for (g = 1; g <= re->ngroups; g++) {
                if (strlen(re->names[g]) == b - a && memcmp(re->names[g], tmpl + a, b - a) == 0 &&
                    2 * g + 1 < nsub && sub[2 * g] >= 0) {
                    ma_buf_append(out, src + sub[2 * g], (size_t)(sub[2 * g + 1] - sub[2 * g]));
                    break;
                }
            }
        }
        i = e;
    }
    if (i < tlen)
        ma_buf_append(out, tmpl + i, tlen - i);
}

/* see base/regex.h */
void ma_regex_quote_meta(const char *s, size_t n, struct ma_buf *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strchr("\\.+*?()|[]{}^$", s[i]) != NULL && s[i] != '\0')
            ma_buf_appendc(out, '\\');
        ma_buf_appendc(out, s[i]);
    }
}
