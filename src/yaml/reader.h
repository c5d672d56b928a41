#ifndef MA_YAML_READER_H
#define MA_YAML_READER_H

/* Private to src/yaml/: the reader state shared by yaml.c (lines, collections, the document)
 * and scalar.c (plain, quoted and block scalars). Not a contract for other folders. */

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "yaml/yaml.h"

/* rd->ind when no content line follows at some indentation */
enum { IND_END = -1, IND_DOC_START = -2, IND_DOC_END = -3 };

struct ma_yaml_key {
    uint32_t hash;
    size_t off, len; /* the key's JSON string in out */
};

struct ma_yaml_rd {
    const char *s;
    size_t len;
    size_t pos; /* next byte */
    size_t bol; /* first byte of the line holding pos */
    int ind;    /* indentation of the content line at pos, or IND_* */
    int depth;
    int after_plain; /* the last node was a block plain scalar (for a better error) */
    struct ma_buf *out;
    struct ma_errmsg *em;
    int nkeys;
    struct ma_yaml_posmap *pm; /* MAY be NULL */
    struct ma_yaml_key keys[MA_YAML_MAX_OPEN_KEYS];
};

/* Record that the node or key starting at input offset pos begins at the current output. */
static inline void mark_pos(struct ma_yaml_rd *p)
{
    if (p->pm && p->pm->n < p->pm->cap) {
        p->pm->v[p->pm->n].json = (uint32_t)p->out->len;
        p->pm->v[p->pm->n++].yaml = (uint32_t)p->pos;
    }
}

/* Set em to "line L column C: <printf>" for input offset `at`; returns code. */
int ma_yaml_fail(struct ma_yaml_rd *p, int code, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define syntax(p, at, ...) ma_yaml_fail(p, MA_ERR_SYNTAX, at, __VA_ARGS__)

/* scalar.c. Each parser starts at pos and leaves pos just after what it read. */
/* Whether a plain scalar may start at s[i] (YAML 1.2 7.3.3); flow: inside [] or {}. */
int ma_yaml_plain_can_start(const struct ma_yaml_rd *p, size_t i, int flow);
/* End of the one-line plain scalar at pos, trailing blanks excluded (pos does not move). */
size_t ma_yaml_scan_plain(const struct ma_yaml_rd *p, int flow);
/* Write s[a..b), a plain scalar, typed by the core schema. */
int ma_yaml_emit_plain(struct ma_yaml_rd *p, size_t a, size_t b);
/* Write s[0..n) as a JSON string. */
void ma_yaml_emit_string(struct ma_yaml_rd *p, const char *s, size_t n);
/* A block-context plain scalar at pos, folded over continuation lines indented more than pind;
 * pos ends after its last text (the caller finishes that line). */
int ma_yaml_parse_plain_block(struct ma_yaml_rd *p, int pind);
/* A quoted scalar; continuation lines must be indented more than pind; key: one line only. */
int ma_yaml_parse_quoted(struct ma_yaml_rd *p, int pind, int key);
/* A | or > block scalar whose parent collection is at column pind; ends at a line start. */
int ma_yaml_parse_block_scalar(struct ma_yaml_rd *p, int pind);

/* ---- characters, lines and output ---------------------------------------------------------- */

static inline int peek(const struct ma_yaml_rd *p, size_t i)
{
    return i < p->len ? (unsigned char)p->s[i] : -1;
}

static inline int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* CR appears only before LF (check_chars), so either one ends a line's content. */
static inline int is_eol_at(const struct ma_yaml_rd *p, size_t i)
{
    return i >= p->len || p->s[i] == '\n' || p->s[i] == '\r';
}

static inline int is_ws_at(const struct ma_yaml_rd *p, size_t i)
{
    return is_eol_at(p, i) || is_blank(p->s[i]);
}

static inline int is_flow_ind(int c)
{
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static inline size_t line_end(const struct ma_yaml_rd *p, size_t i)
{
    while (!is_eol_at(p, i))
        i++;
    return i;
}

/* "---" or "..." at column 0 followed by white space: a document marker */
static inline int is_marker(const struct ma_yaml_rd *p, size_t i, char c)
{
    return i == p->bol && p->len - i >= 3 && p->s[i] == c && p->s[i + 1] == c &&
           p->s[i + 2] == c && is_ws_at(p, i + 3);
}

static inline int is_dash_entry(const struct ma_yaml_rd *p)
{
    return peek(p, p->pos) == '-' && is_ws_at(p, p->pos + 1);
}

/* pos MUST be at the end of a line's content: step over its line break. */
static inline void eat_break(struct ma_yaml_rd *p)
{
    if (p->pos < p->len && p->s[p->pos] == '\r')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '\n')
        p->pos++;
    p->bol = p->pos;
}

static inline void emit(struct ma_yaml_rd *p, const char *s, size_t n)
{
    ma_buf_append(p->out, s, n);
}

static inline void emit_c(struct ma_yaml_rd *p, char c)
{
    ma_buf_appendc(p->out, c);
}

static inline void emit_n(struct ma_yaml_rd *p, const char *s, size_t n, int times)
{
    while (times-- > 0)
        emit(p, s, n);
}

#endif
