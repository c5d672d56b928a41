#include "base/buf.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

/* see base/buf.h */
void ma_buf_init_fixed(struct ma_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->err = 0;
    b->_max = cap;
    b->_heap = 0;
}

/* see base/buf.h */
void ma_buf_init_heap(struct ma_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->err = 0;
    b->_max = max;
    b->_heap = 1;
}

/* see base/buf.h */
void ma_buf_free(struct ma_buf *b)
{
    if (b->_heap) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
    b->len = 0;
    b->err = 0;
}

/* see base/buf.h */
void ma_buf_reset(struct ma_buf *b)
{
    b->len = 0;
    b->err = 0;
}

/* see base/buf.h */
int ma_buf_reserve(struct ma_buf *b, size_t n)
{
    size_t need, ncap;

    if (b->err)
        return b->err;
    if (n <= b->cap - b->len)
        return MA_OK;
    need = b->len + n;
    if (!b->_heap || need < b->len || need > b->_max) {
        b->err = MA_ERR_NOSPACE;
        return b->err;
    }
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->_max)
        ncap = b->_max;
    b->p = ma_xrealloc(b->p, ncap);
    b->cap = ncap;
    return MA_OK;
}

/* see base/buf.h */
void ma_buf_append(struct ma_buf *b, const void *data, size_t n)
{
    if (n == 0 || (n > b->cap - b->len && ma_buf_reserve(b, n) != MA_OK) || b->err)
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* see base/buf.h */
void ma_buf_appends(struct ma_buf *b, const char *s)
{
    ma_buf_append(b, s, strlen(s));
}

/* see base/buf.h (the out-of-line half of ma_buf_appendc) */
void ma_buf__appendc_slow(struct ma_buf *b, char c)
{
    if (ma_buf_reserve(b, 1) != MA_OK)
        return;
    b->p[b->len++] = c;
}

/* see base/buf.h */
void ma_buf_vappendf(struct ma_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (b->err)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->err = MA_ERR_SYNTAX;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (ma_buf_reserve(b, (size_t)n + 1) != MA_OK)
            return;
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
}

/* see base/buf.h */
void ma_buf_appendf(struct ma_buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ma_buf_vappendf(b, fmt, ap);
    va_end(ap);
}

/* see base/buf.h */
void ma_buf_append_i64(struct ma_buf *b, long long v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *s = e;
    /* negate in unsigned space: -LLONG_MIN is undefined in signed arithmetic */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        *--s = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--s = '-';
    ma_buf_append(b, s, (size_t)(e - s));
}

/* see base/buf.h */
void ma_buf_consume(struct ma_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* see base/buf.h */
const char *ma_buf_cstr(struct ma_buf *b)
{
    if (ma_buf_reserve(b, 1) != MA_OK)
        return "";
    b->p[b->len] = '\0';
    return b->p;
}
