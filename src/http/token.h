#ifndef MA_HTTP_TOKEN_H
#define MA_HTTP_TOKEN_H

/* Private to http/: the byte classes and small field-value helpers that the request parser
 * (parse.c) and the response parser (resp.c) share. Everything here is static; nothing is
 * exported. */

#include <limits.h>
#include <stddef.h>

#include "base/err.h"
#include "base/str.h"
#include "http/parse.h"

/* Byte classes for the one-pass scan, one table lookup per byte (picohttpparser's token table).
 *   C_TOKEN   tchar (RFC 9110 5.6.2): methods and header names
 *   C_PATH    request-target byte other than '?': VCHAR and obs-text; Go's server also lets
 *             non-ASCII through and only refuses CTLs, so we do the same
 *   C_TARGET  any request-target byte, '?' included
 *   C_VALUE   field-value byte (RFC 9110 5.5): HTAB, SP, VCHAR, obs-text; no other CTL, which is
 *             what Go's httpguts.ValidHeaderFieldValue enforces; also the reason-phrase bytes
 *             (RFC 9112 4) */
enum { C_TOKEN = 1, C_PATH = 2, C_TARGET = 4, C_VALUE = 8 };

/* clang-format off */
#define X 0                                    /* CTL, DEL: nowhere */
#define W C_VALUE                              /* SP, HTAB: only inside field values */
#define Q (C_TARGET | C_VALUE)                 /* '?': splits the target */
#define U (C_PATH | C_TARGET | C_VALUE)        /* visible non-token, obs-text */
#define T (C_TOKEN | C_PATH | C_TARGET | C_VALUE)

static const unsigned char cls[256] = {
    X, X, X, X, X, X, X, X, X, W, X, X, X, X, X, X, /* 0x00 */
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, /* 0x10 */
    W, T, U, T, T, T, T, T, U, U, T, T, U, T, T, U, /* 0x20  !"#$%&'()*+,-./ */
    T, T, T, T, T, T, T, T, T, T, U, U, U, U, U, Q, /* 0x30 0-9:;<=>? */
    U, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, /* 0x40 @A-O */
    T, T, T, T, T, T, T, T, T, T, T, U, U, U, T, T, /* 0x50 P-Z[\]^_ */
    T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, /* 0x60 `a-o */
    T, T, T, T, T, T, T, T, T, T, T, U, T, U, T, X, /* 0x70 p-z{|}~ DEL */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0x80-0xff: obs-text */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
};

#undef X
#undef W
#undef Q
#undef U
#undef T
/* clang-format on */

#define IS(c, what) (cls[(unsigned char)(c)] & (what))

/* The scan position over one head. end stops at the head limit; eof says what running into end
 * means: MA_ERR_PARTIAL (the input simply ends there) or MA_ERR_LIMIT (the head is too long). */
struct cursor {
    const char *p, *end;
    int eof;
};

/* Start scanning buf[0..len) for a head of at most max_head bytes (callers cap it at INT_MAX,
 * since they return head lengths as int; len MUST be > 0). */
static inline void cursor_init(struct cursor *c, const char *buf, size_t len, size_t max_head)
{
    c->p = buf;
    c->end = buf + (len < max_head ? len : max_head);
    c->eof = len > max_head ? MA_ERR_LIMIT : MA_ERR_PARTIAL;
}

/* One field line (RFC 9112 5), starting at p: field-name ":" OWS field-value OWS, then CRLF or a
 * bare LF (RFC 9112 2.2). FL_DONE: *h is filled (slices of the input, value trimmed) and *next
 * points past the line end. FL_MORE: the input ends first (nothing written). FL_BAD: obs-fold or
 * other leading whitespace (RFC 9112 5.2: reject rather than unfold, where parsers disagree),
 * an empty name, whitespace before ':' (RFC 9112 5.1), a control byte in the value, a bare CR. */
enum { FL_BAD = -1, FL_MORE = 0, FL_DONE = 1 };

static inline int parse_field_line(const char *p, const char *end, struct ma_http_header *h,
                                   const char **next)
{
    const char *s, *e;

    if (*p == ' ' || *p == '\t')
        return FL_BAD;
    for (s = p; p < end && IS(*p, C_TOKEN); p++)
        ;
    if (p == end)
        return FL_MORE;
    if (*p != ':' || p == s)
        return FL_BAD;
    h->name = ma_str_make(s, (size_t)(p - s));
    for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
        ;
    for (s = p; p < end && IS(*p, C_VALUE); p++)
        ;
    if (p == end)
        return FL_MORE;
    for (e = p; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
        ;
    h->value = ma_str_make(s, (size_t)(e - s));
    if (*p == '\r') {
        if (++p == end)
            return FL_MORE;
        if (*p != '\n')
            return FL_BAD;
    } else if (*p != '\n') {
        return FL_BAD;
    }
    *next = p + 1;
    return FL_DONE;
}

/* Content-Length = 1*DIGIT (RFC 9110 8.6): no sign, no list form ("5, 5"), no overflow. 0 with
 * the value in *out, or -1. */
static inline int parse_content_length(struct ma_str v, long long *out)
{
    long long n = 0;
    size_t i;

    if (v.len == 0)
        return -1;
    for (i = 0; i < v.len; i++) {
        int d = v.p[i] - '0';
        if (d < 0 || d > 9 || n > (LLONG_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

/* Next element of a #list field value (RFC 9110 5.6.1) from offset *i: OWS trimmed, empty
 * elements skipped. 1 with the element in *item, 0 at the end. */
static inline int next_list_item(struct ma_str v, size_t *i, struct ma_str *item)
{
    size_t s, e;

    while (*i < v.len) {
        while (*i < v.len && (v.p[*i] == ',' || v.p[*i] == ' ' || v.p[*i] == '\t'))
            (*i)++;
        for (s = *i; *i < v.len && v.p[*i] != ','; (*i)++)
            ;
        for (e = *i; e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'); e--)
            ;
        if (e > s) {
            *item = ma_str_make(v.p + s, e - s);
            return 1;
        }
    }
    return 0;
}

#endif
