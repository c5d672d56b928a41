#include "base/base64.h"

#include <limits.h>

#include "base/err.h"

/* 0-63 for the alphabet, -1 otherwise */
static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* see base/base64.h */
int ma_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    unsigned long acc = 0;
    size_t i, len = 0;
    int k = 0, pad = 0, v;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_space(c))
            continue;
        if (c == '=') {
            /* "xx==" or "xxx=": padding completes the last quantum, nothing follows */
            if (k + pad < 2 || k + pad >= 4)
                return MA_ERR_SYNTAX;
            pad++;
            continue;
        }
        if (pad || (v = value(c)) < 0)
            return MA_ERR_SYNTAX;
        acc = acc << 6 | (unsigned long)v;
        if (++k == 4) {
            if (cap - len < 3)
                return MA_ERR_NOSPACE;
            out[len++] = (unsigned char)(acc >> 16);
            out[len++] = (unsigned char)(acc >> 8);
            out[len++] = (unsigned char)acc;
            acc = 0;
            k = 0;
        }
    }
    if (k == 1 || (pad && k + pad != 4))
        return MA_ERR_SYNTAX;
    if (k >= 2) {
        if (cap - len < (size_t)k - 1)
            return MA_ERR_NOSPACE;
        acc <<= 6 * (4 - k);
        out[len++] = (unsigned char)(acc >> 16);
        if (k == 3)
            out[len++] = (unsigned char)(acc >> 8);
    }
    if (len > INT_MAX)
        return MA_ERR_NOSPACE;
    return (int)len;
}

/* see base/base64.h */
int ma_base64_encode(const void *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = in;
    size_t i, len = 0;

    if (n > (size_t)INT_MAX / 4 * 3 || cap < MA_BASE64_ENCODED_LEN(n) + 1)
        return MA_ERR_NOSPACE;
    for (i = 0; i < n; i += 3) {
        /* the last quantum may hold 1 or 2 bytes: missing ones count as zero, then '=' */
        unsigned long v = (unsigned long)p[i] << 16;

        if (i + 1 < n)
            v |= (unsigned long)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[len++] = alphabet[v >> 18];
        out[len++] = alphabet[(v >> 12) & 63];
        out[len++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[len++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[len] = '\0';
    return (int)len;
}
