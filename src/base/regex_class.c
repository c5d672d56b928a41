/* Character sets of base/regex: ranges, case folding, the Perl and POSIX classes, and UTF-8
 * decoding, shared by the parser (regex_parse.c) and the matcher (regex.c). */
#include "base/regex_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* see base/regex_int.h */
int32_t rx_decode(const unsigned char *s, size_t n, int *width)
{
    int32_t c = s[0], min;
    int need, i;

    *width = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1, c &= 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2, c &= 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3, c &= 0x07, min = 0x10000;
    else
        return 0xfffd;
    if (n <= (size_t)need)
        return 0xfffd;
    for (i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0xfffd;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0xfffd;
    *width = need + 1;
    return c;
}

/* ---- class sets ---------------------------------------------------------------------------- */

/* see base/regex_int.h */
void rx_cls_add(struct cls *c, int32_t lo, int32_t hi)
{
    if (c->n + 2 > c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->r = ma_xrealloc(c->r, (size_t)c->cap * sizeof *c->r);
    }
    c->r[c->n++] = lo;
    c->r[c->n++] = hi;
}

static int in(int32_t lo, int32_t hi, int32_t r)
{
    return lo <= r && r <= hi;
}

/* Upper-case blocks whose lower case is a fixed distance away: ASCII, Latin-1, Greek and
 * Cyrillic (the scripts of label values in practice). Gaps (U+00D7, U+03A2) are split out. */
static const int32_t fold_blocks[][3] = {
    {'A', 'Z', 32},       {0xc0, 0xd6, 32},     {0xd8, 0xde, 32},     {0x391, 0x3a1, 32},
    {0x3a3, 0x3ab, 32},   {0x400, 0x40f, 80},   {0x410, 0x42f, 32},
};

/* Add lo..hi and its case variants: the blocks above, plus the non-ASCII members of the fold
 * orbits of k and s (Go folds through unicode.SimpleFold: k K U+212A, s S U+017F). */
/* see base/regex_int.h */
void rx_cls_add_folded(struct cls *c, int32_t lo, int32_t hi)
{
    int32_t a, b, d;
    size_t k;

    rx_cls_add(c, lo, hi);
    for (k = 0; k < sizeof fold_blocks / sizeof fold_blocks[0]; k++) {
        d = fold_blocks[k][2];
        a = lo > fold_blocks[k][0] ? lo : fold_blocks[k][0];
        b = hi < fold_blocks[k][1] ? hi : fold_blocks[k][1];
        if (a <= b)
            rx_cls_add(c, a + d, b + d);
        a = lo > fold_blocks[k][0] + d ? lo : fold_blocks[k][0] + d;
        b = hi < fold_blocks[k][1] + d ? hi : fold_blocks[k][1] + d;
        if (a <= b)
            rx_cls_add(c, a - d, b - d);
    }
    if (in(lo, hi, 'k') || in(lo, hi, 'K'))
        rx_cls_add(c, 0x212a, 0x212a);
    if (in(lo, hi, 0x212a))
        rx_cls_add(c, 'K', 'K'), rx_cls_add(c, 'k', 'k');
    if (in(lo, hi, 's') || in(lo, hi, 'S'))
        rx_cls_add(c, 0x17f, 0x17f);
    if (in(lo, hi, 0x17f))
        rx_cls_add(c, 'S', 'S'), rx_cls_add(c, 's', 's');
    if (in(lo, hi, 0x3a3) || in(lo, hi, 0x3c3)) /* sigma's orbit holds final sigma */
        rx_cls_add(c, 0x3c2, 0x3c2);
    if (in(lo, hi, 0x3c2))
        rx_cls_add(c, 0x3a3, 0x3a3), rx_cls_add(c, 0x3c3, 0x3c3);
}

static int cmp_range(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort and merge overlapping or adjacent ranges. */
/* see base/regex_int.h */
void rx_cls_norm(struct cls *c)
{
    int i, w = 0;

    if (c->n == 0)
        return;
    qsort(c->r, (size_t)(c->n / 2), 2 * sizeof *c->r, cmp_range);
    for (i = 0; i < c->n; i += 2) {
        if (w > 0 && c->r[i] <= c->r[w - 1] + 1) {
            if (c->r[i + 1] > c->r[w - 1])
                c->r[w - 1] = c->r[i + 1];
        } else {
            c->r[w++] = c->r[i];
            c->r[w++] = c->r[i + 1];
        }
    }
    c->n = w;
}

/* Complement over 0..U+10FFFF; c MUST be normalised. */
/* see base/regex_int.h */
void rx_cls_negate(struct cls *c)
{
    struct cls o = {0};
    int32_t next = 0;
    int i;

    for (i = 0; i < c->n; i += 2) {
        if (c->r[i] > next)
            rx_cls_add(&o, next, c->r[i] - 1);
        next = c->r[i + 1] + 1;
    }
    if (next <= 0x10ffff)
        rx_cls_add(&o, next, 0x10ffff);
    free(c->r);
    *c = o;
}

/* Add a set given as n bytes of lo,hi pairs, folded under (?i) as Go folds them. */
/* see base/regex_int.h */
void rx_cls_add_set(int fold, struct cls *c, const char *pairs, size_t n, int negate)
{
    struct cls g = {0};
    size_t i;

    for (i = 0; i + 1 < n; i += 2) {
        if (fold)
            rx_cls_add_folded(&g, (unsigned char)pairs[i], (unsigned char)pairs[i + 1]);
        else
            rx_cls_add(&g, (unsigned char)pairs[i], (unsigned char)pairs[i + 1]);
    }
    rx_cls_norm(&g);
    if (negate)
        rx_cls_negate(&g);
    for (i = 0; i < (size_t)g.n; i += 2)
        rx_cls_add(c, g.r[i], g.r[i + 1]);
    free(g.r);
}

#define SET(name, str) {name, str, sizeof str - 1}
const struct rx_set rx_perl[] = {SET("d", "09"), SET("s", "\t\n\f\r  "), SET("w", "09AZaz__")};
const struct rx_set rx_posix[] = {
    SET("alnum", "09AZaz"), SET("alpha", "AZaz"), SET("ascii", "\0\x7f"), SET("blank", "\t\t  "),
    SET("cntrl", "\0\x1f\x7f\x7f"), SET("digit", "09"), SET("graph", "!~"), SET("lower", "az"),
    SET("print", " ~"), SET("punct", "!/:@[`{~"), SET("space", "\t\r  "), SET("upper", "AZ"),
    SET("word", "09AZaz__"), SET("xdigit", "09AFaf"),
};

/* see base/regex_int.h */
int rx_perl_index(int c)
{
    switch (c | 0x20) {
    case 'd': return 0;
    case 's': return 1;
    case 'w': return 2;
    }
    return -1;
}

