#ifndef MA_BASE_REGEX_INT_H
#define MA_BASE_REGEX_INT_H

/* Private to base/regex*.c: the syntax tree regex_parse.c builds and regex.c compiles into a
 * program. Not a contract for other modules. */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum rx_op {
    N_EMPTY,   /* matches the empty string */
    N_CLASS,   /* one rune in ranges[a .. a+n) (literals too) */
    N_ASSERT,  /* zero-width: a = one of A_* */
    N_CAP,     /* capture group a around sub */
    N_CAT,     /* concatenation of the sub list */
    N_ALT,     /* alternation of the sub list, first preferred */
    N_REP      /* sub repeated min..max (max -1: unbounded), greedy or not */
};

enum { A_BOT, A_EOT, A_BOL, A_EOL, A_WORDB, A_NWORDB };

struct rx_node {
    uint8_t op, greedy;
    int32_t a, n;      /* N_CLASS: ranges; N_ASSERT: kind; N_CAP: group index */
    int32_t min, max;  /* N_REP */
    int32_t sub, next; /* first child, next sibling (-1: none) */
};

struct rx_tree {
    struct rx_node *node;
    int nnode, capnode;
    int32_t *rng; /* lo, hi pairs: rng[2*i], rng[2*i+1] */
    int nrng, caprng;
    int ngroups;
    char **names; /* names[1..ngroups], "" when unnamed; names[0] unused */
    int root;
};

/* Parse pat[0..len) with the given MA_REGEX_* flags into t (zeroed by the caller). Returns MA_OK
 * or MA_ERR_SYNTAX / MA_ERR_LIMIT with em set; t MUST be released by rx_tree_free either way. */
int rx_parse(const char *pat, size_t len, int flags, struct rx_tree *t, struct ma_errmsg *em);
void rx_tree_free(struct rx_tree *t);

/* A class under construction: lo, hi pairs (heap; the owner frees r). */
struct cls {
    int32_t *r;
    int n, cap;
};

/* regex_class.c: append lo..hi; with its case variants; sort and merge; complement over
 * 0..U+10FFFF (c MUST be normalised); append a set of n bytes of lo,hi pairs (folded when fold,
 * complemented when negate). */
void rx_cls_add(struct cls *c, int32_t lo, int32_t hi);
void rx_cls_add_folded(struct cls *c, int32_t lo, int32_t hi);
void rx_cls_norm(struct cls *c);
void rx_cls_negate(struct cls *c);
void rx_cls_add_set(int fold, struct cls *c, const char *pairs, size_t n, int negate);

struct rx_set {
    const char *name, *pairs;
    size_t n;
};
/* \d \s \w (index by rx_perl_index: d s w, either case, else -1) and the POSIX classes */
extern const struct rx_set rx_perl[3];
extern const struct rx_set rx_posix[14];
#define RX_NPOSIX 14
int rx_perl_index(int c);

/* Decode one UTF-8 rune at s[0..n) (n >= 1); an invalid sequence is U+FFFD of width 1. */
int32_t rx_decode(const unsigned char *s, size_t n, int *width);

#endif
