/* Fuzz the percent-decoders and the query iterator: output never longer than input, path and
 * query decoding agree but for '+', decode(encode(x)) == x, iteration terminates with slices
 * inside the query, and ma_http_query_get finds the first pair's decoded key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "http/url.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_IN 4096

static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static size_t encode(const char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (unreserved(c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

static void check_decoders(struct ma_str in)
{
    static char p[MAX_IN], q[MAX_IN], enc[3 * MAX_IN], again[MAX_IN];
    int rp, rq, rh, r;
    size_t i;

    rp = ma_http_url_decode_path(in, p, in.len);
    rq = ma_http_url_decode_query(in, q, in.len);
    REQUIRE(rp == rq);
    REQUIRE(rp == MA_ERR_SYNTAX || (rp >= 0 && (size_t)rp <= in.len));
    if (rp < 0)
        return;
    for (i = 0; i < (size_t)rp; i++) {
        REQUIRE(p[i] != '\0');
        REQUIRE(p[i] == q[i] || (p[i] == '+' && q[i] == ' '));
    }
    /* decoding never needs more room than the output; less room is NOSPACE, never a lie */
    REQUIRE(ma_http_url_decode_path(in, again, (size_t)rp) == rp);
    if (rp > 0) {
        rh = ma_http_url_decode_path(in, again, (size_t)rp - 1);
        REQUIRE(rh == MA_ERR_NOSPACE);
    }
    /* round trip through a full percent-encoding */
    r = ma_http_url_decode_query(ma_str_make(enc, encode(q, (size_t)rq, enc)), again, MAX_IN);
    REQUIRE(r == rq && memcmp(again, q, (size_t)rq) == 0);
}

static void check_iteration(struct ma_str query)
{
    static char key[MAX_IN + 1], want[MAX_IN], got[MAX_IN];
    struct ma_str k, v, k0 = {NULL, 0}, v0 = {NULL, 0};
    size_t pos = 0, last = 0, steps = 0;
    int rk, rw, rg;

    while (ma_http_query_next(query, &pos, &k, &v) == MA_OK) {
        REQUIRE(++steps <= query.len);
        REQUIRE(pos > last && pos <= query.len);
        last = pos;
        REQUIRE(k.p >= query.p && k.p + k.len <= query.p + query.len);
        REQUIRE(v.p >= query.p && v.p + v.len <= query.p + query.len);
        REQUIRE(k.len + v.len > 0 || v.p == k.p + 1); /* "=" alone is a pair */
        REQUIRE(memchr(k.p, '&', k.len) == NULL && memchr(k.p, '=', k.len) == NULL);
        REQUIRE(memchr(v.p, '&', v.len) == NULL);
        if (steps == 1) {
            k0 = k;
            v0 = v;
        }
    }
    REQUIRE(ma_http_query_next(query, &pos, &k, &v) == MA_ERR_NOTFOUND);
    if (steps == 0)
        return;
    /* the first pair's key, when decodable, finds the first pair's value */
    rk = ma_http_url_decode_query(k0, key, MAX_IN);
    if (rk < 0)
        return;
    key[rk] = '\0';
    rw = ma_http_url_decode_query(v0, want, MAX_IN);
    rg = ma_http_query_get(query, key, got, MAX_IN);
    REQUIRE(rg == rw);
    if (rg >= 0)
        REQUIRE(memcmp(got, want, (size_t)rg) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_str in = ma_str_make((const char *)data, size);

    if (size > MAX_IN)
        return 0;
    check_decoders(in);
    check_iteration(in);
    return 0;
}
