/* Fuzz ma_json_parse and every reader over each token: skip stays in the subtree and within ntok,
 * iteration visits exactly `size` children in order, unescaped strings are well-formed UTF-8 of
 * exactly ma_json_str_len bytes and compare equal to themselves, get finds a member by its
 * decoded name, and i64 and f64 agree. A small and a large token array must agree too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "json/read.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define SMALL 48
#define LARGE 4096

static int utf8_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = p[i];
        size_t k, len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                                                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (len == 0 || n - i < len)
            return 0;
        for (k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F) ||
            (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
            return 0;
        i += len;
    }
    return 1;
}

static void check_string(const struct ma_json_doc *d, int t)
{
    static char out[3 * 65536 + 1];
    int n = ma_json_str_len(d, t), m;

    REQUIRE(n >= 0); /* strings that parsed decode */
    REQUIRE((size_t)n <= 3 * (size_t)(d->tok[t].end - d->tok[t].start));
    if ((size_t)n >= sizeof(out))
        return;
    m = ma_json_str(d, t, out, sizeof(out));
    REQUIRE(m == n && out[n] == '\0');
    REQUIRE(utf8_ok((const unsigned char *)out, (size_t)n));
    if (!memchr(out, '\0', (size_t)n))
        REQUIRE(ma_json_str_eq(d, t, out));
    if (n > 0) {
        REQUIRE(ma_json_str(d, t, out, (size_t)n) == MA_ERR_NOSPACE);
        REQUIRE(strlen(out) < (size_t)n);
    }
}

static void check_primitive(const struct ma_json_doc *d, int t)
{
    int64_t iv;
    double fv;
    int ri = ma_json_i64(d, t, &iv), rf = ma_json_f64(d, t, &fv), b, rb;
    char c = d->js[d->tok[t].start];

    rb = ma_json_bool(d, t, &b);
    if (c == 't' || c == 'f') {
        REQUIRE(rb == MA_OK && b == (c == 't') && ri == MA_ERR_SYNTAX && rf == MA_ERR_SYNTAX);
    } else if (c == 'n') {
        REQUIRE(ma_json_is_null(d, t) && rb == MA_ERR_SYNTAX && ri == MA_ERR_SYNTAX);
    } else {
        REQUIRE(rb == MA_ERR_SYNTAX && !ma_json_is_null(d, t));
        REQUIRE(ri == MA_OK || ri == MA_ERR_SYNTAX);
        REQUIRE(rf == MA_OK || rf == MA_ERR_SYNTAX || rf == MA_ERR_LIMIT);
        /* both round the exact value to nearest: the same double */
        if (ri == MA_OK && rf == MA_OK)
            REQUIRE((double)iv == fv);
    }
}

static void check_container(const struct ma_json_doc *d, int t)
{
    int it = 0, k, v, prev = t, n = 0, end = ma_json_skip(d, t);
    static char key[4096];
    int obj = d->tok[t].type == JSMN_OBJECT;

    while ((v = ma_json_next(d, t, &it, &k)) >= 0) {
        REQUIRE(v > prev && v < end && n < d->tok[t].size);
        if (obj) {
            REQUIRE(k == v - 1 && d->tok[k].type == JSMN_STRING && d->tok[k].parent == t);
            REQUIRE(d->tok[v].parent == k);
            /* the first member with this decoded name comes at or before this one */
            int kn = ma_json_str(d, k, key, sizeof(key));
            if (kn >= 0 && strlen(key) == (size_t)kn) { /* no escaped NUL inside */
                int g = ma_json_get(d, t, key);
                REQUIRE(g >= 0 && g <= v && ma_json_str_eq(d, g - 1, key));
            }
        } else {
            REQUIRE(k == -1 && d->tok[v].parent == t);
        }
        prev = v;
        n++;
    }
    REQUIRE(n == d->tok[t].size);
    REQUIRE(ma_json_next(d, t, &it, &k) == -1);
}

static void walk(const struct ma_json_doc *d)
{
    int t, s;

    REQUIRE(d->ntok >= 1 && d->tok[0].parent == -1);
    REQUIRE(ma_json_skip(d, 0) == d->ntok);
    for (t = 0; t < d->ntok; t++) {
        const jsmntok_t *x = &d->tok[t];
        REQUIRE(x->start >= 0 && x->end >= x->start && (size_t)x->end <= d->len);
        s = ma_json_skip(d, t);
        REQUIRE(s > t && s <= d->ntok);
        /* the subtree is contiguous: everything inside hangs below t, the next token does not */
        if (t + 1 < s)
            REQUIRE(d->tok[t + 1].parent == t && ma_json_skip(d, t + 1) <= s);
        if (s < d->ntok)
            REQUIRE(d->tok[s].parent < t);
        switch (x->type) {
        case JSMN_STRING:
            check_string(d, t);
            break;
        case JSMN_PRIMITIVE:
            REQUIRE(s == t + 1);
            check_primitive(d, t);
            break;
        case JSMN_OBJECT:
        case JSMN_ARRAY:
            check_container(d, t);
            break;
        default:
            REQUIRE(0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jsmntok_t small[SMALL], large[LARGE];
    struct ma_json_doc ds, dl;
    struct ma_errmsg em;
    int rs, rl;

    rs = ma_json_parse(&ds, (const char *)data, size, small, SMALL, &em);
    rl = ma_json_parse(&dl, (const char *)data, size, large, LARGE, &em);
    REQUIRE(rs == MA_OK || rs == MA_ERR_SYNTAX || rs == MA_ERR_LIMIT);
    REQUIRE(rl == MA_OK || rl == MA_ERR_SYNTAX || rl == MA_ERR_LIMIT);
    if (rs != MA_OK)
        REQUIRE(ds.ntok == 0);
    if (rs == MA_OK) {
        REQUIRE(rl == MA_OK && ds.ntok == dl.ntok);
        REQUIRE(memcmp(small, large, (size_t)ds.ntok * sizeof(jsmntok_t)) == 0);
    }
    if (rl == MA_OK) {
        REQUIRE(rs == MA_OK || (rs == MA_ERR_LIMIT && dl.ntok > SMALL));
        walk(&dl);
    }
    if (rl == MA_ERR_SYNTAX) /* a syntax error is found whatever the room */
        REQUIRE(rs == MA_ERR_SYNTAX || rs == MA_ERR_LIMIT);
    return 0;
}
