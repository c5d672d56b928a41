#include "tls/der.h"

#include <string.h>

/* see tls/der.h */
size_t ma_tls_der_header(unsigned char *dest, unsigned tag, size_t len)
{
    size_t nlen, t, i;

    /* X.690 8.1.3: short form below 128, else 0x80 | count followed by the minimal big-endian
     * length octets */
    if (len < 0x80) {
        if (dest) {
            dest[0] = (unsigned char)tag;
            dest[1] = (unsigned char)len;
        }
        return 2;
    }
    for (nlen = 0, t = len; t > 0; t >>= 8)
        nlen++;
    if (dest) {
        dest[0] = (unsigned char)tag;
        dest[1] = (unsigned char)(0x80 | nlen);
        for (i = 0; i < nlen; i++)
            dest[2 + i] = (unsigned char)(len >> (8 * (nlen - 1 - i)));
    }
    return 2 + nlen;
}

/* see tls/der.h */
size_t ma_tls_der_wrap(unsigned char *dest, unsigned tag, ma_tls_der_fn fn, const void *arg)
{
    size_t clen = fn(NULL, arg);
    size_t n = ma_tls_der_header(dest, tag, clen);

    if (dest)
        fn(dest + n, arg);
    return n + clen;
}

/* see tls/der.h */
size_t ma_tls_der_prim(unsigned char *dest, unsigned tag, const void *data, size_t len)
{
    size_t n = ma_tls_der_header(dest, tag, len);

    if (dest && len > 0)
        memcpy(dest + n, data, len);
    return n + len;
}

/* see tls/der.h */
size_t ma_tls_der_uint(unsigned char *dest, const void *be, size_t len)
{
    const unsigned char *p = be;
    size_t pad, n;

    while (len > 0 && p[0] == 0) {
        p++;
        len--;
    }
    /* X.690 8.3.2: minimal two's complement, so 0 is one 0x00 byte and a set top bit needs a
     * leading 0x00 to keep the value positive */
    pad = (len == 0 || (p[0] & 0x80)) ? 1 : 0;
    n = ma_tls_der_header(dest, MA_TLS_DER_INTEGER, pad + len);
    if (dest) {
        if (pad)
            dest[n] = 0;
        if (len > 0)
            memcpy(dest + n + pad, p, len);
    }
    return n + pad + len;
}

/* see tls/der.h */
size_t ma_tls_der_uint32(unsigned char *dest, uint32_t v)
{
    unsigned char be[4];

    be[0] = (unsigned char)(v >> 24);
    be[1] = (unsigned char)(v >> 16);
    be[2] = (unsigned char)(v >> 8);
    be[3] = (unsigned char)v;
    return ma_tls_der_uint(dest, be, sizeof be);
}

/* see tls/der.h */
size_t ma_tls_der_bool(unsigned char *dest, int v)
{
    unsigned char b = v ? 0xFF : 0x00;

    return ma_tls_der_prim(dest, MA_TLS_DER_BOOLEAN, &b, 1);
}

/* Base-128 big-endian, high bit set on all but the last byte (X.690 8.19.2). */
static size_t put_subid(unsigned char *dest, uint64_t v)
{
    size_t n = 1, i;
    uint64_t t;

    for (t = v >> 7; t > 0; t >>= 7)
        n++;
    if (dest) {
        for (i = 0; i < n; i++)
            dest[i] = (unsigned char)(((v >> (7 * (n - 1 - i))) & 0x7F) | (i + 1 < n ? 0x80 : 0));
    }
    return n;
}

/* Parse one decimal arc at *s; advances past it and one following '.'. Returns 0 on error. */
static int parse_arc(const char **s, uint64_t *arc)
{
    const char *p = *s;
    uint64_t v = 0;

    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > 0xFFFFFFFFu)
            return 0;
        p++;
    }
    if (*p == '.') {
        p++;
        if (*p == '\0')
            return 0; /* trailing dot */
    } else if (*p != '\0') {
        return 0;
    }
    *s = p;
    *arc = v;
    return 1;
}

/* Contents of an OID, or 0 if malformed. */
static size_t put_oid_body(unsigned char *dest, const char *s)
{
    uint64_t a, b;
    size_t n;

    if (!parse_arc(&s, &a) || *s == '\0' || !parse_arc(&s, &b))
        return 0;
    /* X.690 8.19.4: the first two arcs share one subidentifier 40 * a + b */
    if (a > 2 || (a < 2 && b > 39))
        return 0;
    n = put_subid(dest, 40 * a + b);
    while (*s != '\0') {
        if (!parse_arc(&s, &a))
            return 0;
        n += put_subid(ma_tls_der_at(dest, n), a);
    }
    return n;
}

/* see tls/der.h */
size_t ma_tls_der_oid(unsigned char *dest, const char *dotted)
{
    size_t clen = put_oid_body(NULL, dotted), n;

    if (clen == 0)
        return 0;
    n = ma_tls_der_header(dest, MA_TLS_DER_OID, clen);
    put_oid_body(ma_tls_der_at(dest, n), dotted);
    return n + clen;
}

/* see tls/der.h */
size_t ma_tls_der_bits(unsigned char *dest, const void *data, size_t len)
{
    size_t n = ma_tls_der_header(dest, MA_TLS_DER_BIT_STRING, len + 1);

    if (dest) {
        dest[n] = 0; /* unused bits in the last byte */
        if (len > 0)
            memcpy(dest + n + 1, data, len);
    }
    return n + 1 + len;
}

/* see tls/der.h */
size_t ma_tls_der_named_bits(unsigned char *dest, uint32_t bits)
{
    unsigned char body[5];
    size_t nbytes = 0, i;
    int top = -1, unused;

    for (i = 0; i < 32; i++) {
        if (bits & ((uint32_t)1 << i))
            top = (int)i;
    }
    if (top >= 0) {
        nbytes = (size_t)top / 8 + 1;
        memset(body + 1, 0, 4);
        for (i = 0; i <= (size_t)top; i++) {
            if (bits & ((uint32_t)1 << i))
                body[1 + i / 8] |= (unsigned char)(0x80 >> (i % 8));
        }
    }
    /* an empty list is a BIT STRING of length 0: just the unused-bits byte 0 */
    unused = top >= 0 ? 7 - top % 8 : 0;
    body[0] = (unsigned char)unused;
    return ma_tls_der_prim(dest, MA_TLS_DER_BIT_STRING, body, 1 + nbytes);
}

/* see tls/der.h */
size_t ma_tls_der_octets(unsigned char *dest, const void *data, size_t len)
{
    return ma_tls_der_prim(dest, MA_TLS_DER_OCTET_STRING, data, len);
}

/* see tls/der.h */
size_t ma_tls_der_utf8(unsigned char *dest, const char *s, size_t len)
{
    return ma_tls_der_prim(dest, MA_TLS_DER_UTF8_STRING, s, len);
}

/* see tls/der.h */
size_t ma_tls_der_printable(unsigned char *dest, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr(" '()+,-./:=?", c) != NULL) ||
            c == '\0')
            return 0;
    }
    return ma_tls_der_prim(dest, MA_TLS_DER_PRINTABLE_STRING, s, len);
}

static void put_digits(char *out, unsigned v, int ndigits)
{
    while (ndigits-- > 0) {
        out[ndigits] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* see tls/der.h */
size_t ma_tls_der_time(unsigned char *dest, time_t t)
{
    char text[16];
    struct tm tm;
    long year;
    size_t n = 0;

    if (gmtime_r(&t, &tm) == NULL)
        return 0;
    year = (long)tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        return 0;
    /* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; both in Zulu with
     * seconds and no fraction */
    if (year >= 1950 && year < 2050) {
        put_digits(text, (unsigned)(year % 100), 2);
        n = 2;
    } else {
        put_digits(text, (unsigned)year, 4);
        n = 4;
    }
    put_digits(text + n, (unsigned)tm.tm_mon + 1, 2);
    put_digits(text + n + 2, (unsigned)tm.tm_mday, 2);
    put_digits(text + n + 4, (unsigned)tm.tm_hour, 2);
    put_digits(text + n + 6, (unsigned)tm.tm_min, 2);
    /* gmtime never reports leap seconds, but a 60 would still be valid DER */
    put_digits(text + n + 8, (unsigned)tm.tm_sec, 2);
    text[n + 10] = 'Z';
    return ma_tls_der_prim(dest, n == 2 ? MA_TLS_DER_UTC_TIME : MA_TLS_DER_GENERALIZED_TIME, text,
                           n + 11);
}
