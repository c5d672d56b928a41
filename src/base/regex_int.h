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

/* Decode one UTF-8 rune at s[0..n) (n >= 1); an invalid sequence is U+FFFD of width 1. */
int32_t rx_decode(const unsigned char *s, size_t n, int *width);

#endif
