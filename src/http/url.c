#include <limits.h>
#include <stdint.h>

#include "base/err.h"
#include "http/url.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* ASCII lower case; maps no non-letter into 'a'..'f' */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode in[*i] (advancing *i past an escape) into one byte, or -1 for a bad escape. */
static int next_byte(struct ma_str in, size_t *i, int plus_is_space)
{
    int c = (unsigned char)in.p[*i], hi, lo;

    if (c == '+' && plus_is_space)
        return ' ';
    if (c != '%')
        return c;
    if (in.len - *i < 3 || (hi = hexval((unsigned char)in.p[*i + 1])) < 0 ||
        (lo = hexval((unsigned char)in.p[*i + 2])) < 0)
        return -1;
    *i += 2;
    return hi << 4 | lo;
}

/* A decoding error is reported before running out of room, so a caller never retries a request
 * that can only fail. A NUL, raw or decoded, would truncate the value wherever it is later used
 * as a C string (label values, log lines), so it is refused like a bad escape. */
static int decode(struct ma_str in, char *out, size_t cap, int plus_is_space)
{
    size_t i, n = 0;
    int c, full = 0;

    if (cap > INT_MAX) /* the length is returned as an int */
        cap = INT_MAX;
    for (i = 0; i < in.len; i++) {
        if ((c = next_byte(in, &i, plus_is_space)) <= 0)
            return MA_ERR_SYNTAX;
        if (n == cap)
            full = 1;
        else
            out[n++] = (char)c;
    }
    return full ? MA_ERR_NOSPACE : (int)n;
}

/* see http/url.h */
int ma_http_url_decode_path(struct ma_str in, char *out, size_t cap)
{
    return decode(in, out, cap, 0);
}

/* see http/url.h */
int ma_http_url_decode_query(struct ma_str in, char *out, size_t cap)
{
    return decode(in, out, cap, 1);
}

/* see http/url.h */
int ma_http_query_next(struct ma_str query, size_t *pos, struct ma_str *key, struct ma_str *value)
{
    size_t i = *pos, s, eq;

    while (i < query.len) {
        for (s = i, eq = SIZE_MAX; i < query.len && query.p[i] != '&'; i++)
            if (query.p[i] == '=' && eq == SIZE_MAX)
                eq = i;
        if (i == s) { /* "a&&b", "&a", "a&" */
            i++;
            continue;
        }
        *pos = i < query.len ? i + 1 : i;
        if (eq == SIZE_MAX) {
            *key = ma_str_make(query.p + s, i - s);
            *value = ma_str_make(query.p + i, 0);
        } else {
            *key = ma_str_make(query.p + s, eq - s);
            *value = ma_str_make(query.p + eq + 1, i - eq - 1);
        }
        return MA_OK;
    }
    if (*pos < query.len)
        *pos = query.len;
    return MA_ERR_NOTFOUND;
}

/* Does raw, decoded as a query component, equal key? Decodes on the fly: no buffer, no limit on
 * key length. A badly encoded key matches nothing (Go's url.ParseQuery drops such pairs). */
static int key_matches(struct ma_str raw, const char *key)
{
    size_t i, k = 0;
    int c;

    for (i = 0; i < raw.len; i++, k++) {
        c = next_byte(raw, &i, 1);
        if (c <= 0 || (unsigned char)key[k] != c) /* key[k] == NUL never equals c > 0 */
            return 0;
    }
    return key[k] == '\0';
}

/* see http/url.h */
int ma_http_query_get(struct ma_str query, const char *key, char *out, size_t cap)
{
    struct ma_str k, v;
    size_t pos = 0;

    while (ma_http_query_next(query, &pos, &k, &v) == MA_OK)
        if (key_matches(k, key))
            return ma_http_url_decode_query(v, out, cap);
    return MA_ERR_NOTFOUND;
}
