#ifndef MA_BASE_BUF_H
#define MA_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* An append-only byte buffer. Two modes:
 *  - fixed: caller-owned memory (ma_buf_init_fixed); never grows;
 *  - heap: grows by doubling up to `max` bytes (ma_buf_init_heap); ma_buf_free releases it.
 * A failed append sets a sticky err (MA_ERR_NOSPACE) and appends nothing more until ma_buf_reset, so
 * writers append freely and check once at the end (BearSSL's engine error discipline). The content
 * is NOT NUL-terminated unless ma_buf_cstr is called. */
struct ma_buf {
    char *p;
    size_t len, cap;
    int err;
    /* private */
    size_t _max;
    int _heap;
};

/* Fixed mode over mem[0..cap). mem MUST outlive b. */
void ma_buf_init_fixed(struct ma_buf *b, char *mem, size_t cap);
/* Heap mode, empty, growing to at most max bytes. Allocates nothing yet. */
void ma_buf_init_heap(struct ma_buf *b, size_t max);
/* Release heap memory (no-op in fixed mode); b is then empty and reusable. */
void ma_buf_free(struct ma_buf *b);
/* len = 0 and err = 0; keeps the memory. */
void ma_buf_reset(struct ma_buf *b);

/* Ensure room for n more bytes; returns MA_OK or MA_ERR_NOSPACE (and sets err). */
int ma_buf_reserve(struct ma_buf *b, size_t n);
void ma_buf_append(struct ma_buf *b, const void *data, size_t n);
void ma_buf_appends(struct ma_buf *b, const char *s);
static inline void ma_buf_appendc(struct ma_buf *b, char c);
void ma_buf_appendf(struct ma_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ma_buf_vappendf(struct ma_buf *b, const char *fmt, va_list ap);
/* Append the decimal form of v. */
void ma_buf_append_i64(struct ma_buf *b, long long v);
/* Drop the first n bytes (memmove the rest to the front). n MUST be <= len. */
void ma_buf_consume(struct ma_buf *b, size_t n);
/* NUL-terminate (not counted in len) and return p; returns "" if the terminator does not fit. */
const char *ma_buf_cstr(struct ma_buf *b);

/* ---- inline fast paths (JSON writing appends a byte at a time) ---- */

void ma_buf__appendc_slow(struct ma_buf *b, char c);

static inline void ma_buf_appendc(struct ma_buf *b, char c)
{
    if (b->len < b->cap && !b->err)
        b->p[b->len++] = c;
    else
        ma_buf__appendc_slow(b, c);
}

#endif
