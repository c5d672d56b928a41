#ifndef MA_BACKEND_PROM_TEMPLATE_INT_H
#define MA_BACKEND_PROM_TEMPLATE_INT_H

/* Private to backend/prom_template*.c: the parse tree prom_template.c builds and
 * prom_template_exec.c runs. Not a contract for other modules. */

#include <stdint.h>

#include "backend/prom_template.h"

enum tk {
    /* list items */
    K_TEXT, K_ACTION, K_IF, K_RANGE, K_WITH, K_BREAK, K_CONTINUE,
    /* a pipeline: a = first command, n = number of declared variables (v0, v1), i = 1 for = */
    K_PIPE,
    /* a command: a = first operand */
    K_CMD,
    /* operands; f/fn: a trailing field chain ".A.B" */
    K_DOT, K_VAR, K_PAREN, K_STR, K_INT, K_BOOL, K_NIL, K_FUNC, K_FIELD
};

enum fn { F_AND, F_OR, F_NOT, F_LEN, F_INDEX, F_EQ, F_NE, F_LT, F_LE, F_GT, F_GE, F_PRINT,
          F_PRINTF, F_PRINTLN };

struct tn {
    uint8_t k, fn;
    int32_t next; /* sibling: next list item, command or operand */
    int32_t a, b, c; /* K_IF/K_RANGE/K_WITH: pipe, list, else list; K_ACTION: pipe; K_PAREN: pipe */
    int32_t n;
    uint32_t off;     /* source offset, for errors */
    const char *s;    /* K_TEXT text, K_STR value, K_VAR name ("$x"), K_FIELD chain */
    size_t sn;
    const char *f;    /* field chain after the operand, ".A.B" */
    size_t fn_len;
    const char *v[2]; /* K_PIPE declared variable names */
    size_t vn[2];
    long long i;      /* K_INT, K_BOOL; K_PIPE: 1 for an assignment */
};

struct ma_prom_tmpl {
    struct tn *node;
    int nnode, capnode;
    int root; /* first list item, -1 for empty */
    int kind;
    int text_only;
    char *src;  /* the copied source; K_TEXT and names point into it */
    char *pool; /* decoded string literals */
    size_t npool, cappool;
};

#endif
