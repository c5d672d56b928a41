#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "http/url.h"
#include "t.h"

/* Inputs go through t_place (t.h): a read past in.len faults. */
static struct ma_str place(const char *s, size_t n)
{
    return ma_str_make(t_place(s, n), n);
}

/* ---- decoding ------------------------------------------------------------------------------- */

struct dec_row {
    const char *in;
    size_t len;  /* 0: strlen(in) */
    int path_rc; /* decode_path: length or error */
    const char *path;
    int query_rc; /* decode_query */
    const char *query;
    const char *comment;
};

static const struct dec_row dec_rows[] = {
    {"", 0, 0, "", 0, "", "empty"},
    {"abc", 0, 3, "abc", 3, "abc", "plain"},
    {"%2A", 0, 1, "*", 1, "*", "Go escapes '*' in paths"},
    {"%2a", 0, 1, "*", 1, "*", "lower-case hex"},
    {"*", 0, 1, "*", 1, "*", "literal '*' (kubectl)"},
    {"a+b", 0, 3, "a+b", 3, "a b", "'+' is a space only in queries"},
    {"%2B", 0, 1, "+", 1, "+", "escaped '+'"},
    {"%20", 0, 1, " ", 1, " ", "escaped space"},
    {"app+in+%28a%2Cb%29%2Ctier%21%3Dx", 0, 20, "app+in+(a,b),tier!=x", 20, "app in (a,b),tier!=x",
     "Go url.Values.Encode of a selector"},
    {"app%3Dweb", 0, 7, "app=web", 7, "app=web", "'=' escaped"},
    {"%E2%9C%93", 0, 3, "\xe2\x9c\x93", 3, "\xe2\x9c\x93", "UTF-8 bytes"},
    {"%ff%Fe", 0, 2, "\xff\xfe", 2, "\xff\xfe", "high bytes, mixed case"},
    {"%252A", 0, 3, "%2A", 3, "%2A", "decoded once only"},
    {"a%2Fb", 0, 3, "a/b", 3, "a/b", "escaped slash decodes"},
    {"%G1", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "bad first hex digit"},
    {"%1G", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "bad second hex digit"},
    {"%2", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "truncated escape"},
    {"%", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "lone '%'"},
    {"abc%", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "'%' at the end"},
    {"%%41", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "'%%' is not an escape"},
    {"% 1", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "space in escape"},
    {"%-1", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "sign in escape"},
    {"%00", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "decoded NUL"},
    {"a%00b", 0, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "decoded NUL inside"},
    {"a\0b", 3, MA_ERR_SYNTAX, NULL, MA_ERR_SYNTAX, NULL, "raw NUL"},
};

static void test_decode_rows(void)
{
    char out[64];
    size_t i, n;
    int rc;

    for (i = 0; i < sizeof(dec_rows) / sizeof(dec_rows[0]); i++) {
        const struct dec_row *r = &dec_rows[i];

        n = r->len ? r->len : strlen(r->in);
        memset(out, 'Z', sizeof(out));
        rc = ma_http_url_decode_path(place(r->in, n), out, sizeof(out));
        if (rc != r->path_rc)
            fprintf(stderr, "row %zu (%s): path rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->path_rc);
        if (rc >= 0 && r->path) {
            CHECK_EQ(rc, strlen(r->path));
            CHECK_MEM(out, r->path, (size_t)rc);
            CHECK(out[rc] == 'Z'); /* nothing written past the decoded length */
        }
        memset(out, 'Z', sizeof(out));
        rc = ma_http_url_decode_query(place(r->in, n), out, sizeof(out));
        if (rc != r->query_rc)
            fprintf(stderr, "row %zu (%s): query rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->query_rc);
        if (rc >= 0 && r->query) {
            CHECK_EQ(rc, strlen(r->query));
            CHECK_MEM(out, r->query, (size_t)rc);
            CHECK(out[rc] == 'Z');
        }
        /* decoding never grows: cap == in.len always suffices */
        if (r->path_rc >= 0)
            CHECK_EQ(ma_http_url_decode_path(place(r->in, n), out, n), r->path_rc);
        if (r->query_rc >= 0)
            CHECK_EQ(ma_http_url_decode_query(place(r->in, n), out, n), r->query_rc);
    }
}

static void test_decode_nospace(void)
{
    char out[16];
    struct ma_str in = MA_STR_LIT("app+in+%28a%29");

    /* decoded "app in (a)" is 10 bytes */
    CHECK_EQ(ma_http_url_decode_query(in, out, 9), MA_ERR_NOSPACE);
    CHECK_EQ(ma_http_url_decode_query(in, NULL, 0), MA_ERR_NOSPACE);
    CHECK_EQ(ma_http_url_decode_query(MA_STR_LIT(""), NULL, 0), 0);
    CHECK_EQ(ma_http_url_decode_path(MA_STR_LIT("%2A"), out, 1), 1);
    CHECK_EQ(ma_http_url_decode_path(MA_STR_LIT("%2A%2A"), out, 1), MA_ERR_NOSPACE);
    /* out is never written past cap */
    memset(out, 'Z', sizeof(out));
    CHECK_EQ(ma_http_url_decode_path(MA_STR_LIT("abcdef"), out, 3), MA_ERR_NOSPACE);
    CHECK_MEM(out, "abcZZZZZ", 8);
    /* a syntax error beyond the room still wins: retrying with more room cannot help */
    CHECK_EQ(ma_http_url_decode_path(MA_STR_LIT("abcdef%G1"), out, 3), MA_ERR_SYNTAX);
    CHECK_EQ(ma_http_url_decode_query(MA_STR_LIT("abc%00"), out, 1), MA_ERR_SYNTAX);
}

/* Reference hex digit value, written independently of url.c. */
static int ref_hex(int c)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    int i;

    for (i = 0; i < 16; i++)
        if (c == lo[i] || c == up[i])
            return i;
    return -1;
}

/* Every escape %XY for all 256 x 256 byte pairs: valid hex pairs decode to their value (NUL
 * refused), everything else is a syntax error; the escape ends the input, so no read past it. */
static void test_decode_all_escapes(void)
{
    char in[3] = {'%', 0, 0}, out[4];
    int a, b, rc, want, bad = 0;

    for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            in[1] = (char)a;
            in[2] = (char)b;
            want = ref_hex(a) < 0 || ref_hex(b) < 0 ? -1 : ref_hex(a) * 16 + ref_hex(b);
            if (want == 0)
                want = -1;
            rc = ma_http_url_decode_path(place(in, 3), out, sizeof(out));
            if (want < 0 ? rc != MA_ERR_SYNTAX : rc != 1 || (unsigned char)out[0] != want)
                bad++;
            /* and with the escape cut short */
            if (ma_http_url_decode_query(place(in, 2), out, sizeof(out)) != MA_ERR_SYNTAX)
                bad++;
        }
    }
    CHECK_EQ(bad, 0);
}

/* ---- iteration ------------------------------------------------------------------------------ */

struct iter_row {
    const char *query;
    const char *pairs; /* "key=value|" per pair, raw */
    const char *comment;
};

static const struct iter_row iter_rows[] = {
    {"", "", "empty query"},
    {"a=1", "a=1|", "one pair"},
    {"a=1&b=2", "a=1|b=2|", "two pairs"},
    {"a", "a=|", "no '=': empty value"},
    {"a=", "a=|", "empty value"},
    {"=v", "=v|", "empty key"},
    {"=", "=|", "empty key and value"},
    {"a=b=c", "a=b=c|", "value keeps later '='"},
    {"a&&b", "a=|b=|", "empty pair skipped"},
    {"&&&", "", "only separators"},
    {"&a=1&", "a=1|", "leading and trailing '&'"},
    {"a=1;b=2", "a=1;b=2|", "';' is not a separator"},
    {"labelSelector=app+in+%28a%2Cb%29%2Ctier%21%3Dx&timeout=32s",
     "labelSelector=app+in+%28a%2Cb%29%2Ctier%21%3Dx|timeout=32s|", "values stay raw"},
};

static void test_iter_rows(void)
{
    char got[512];
    size_t i, pos, n, steps;
    struct ma_str q, k, v;

    for (i = 0; i < sizeof(iter_rows) / sizeof(iter_rows[0]); i++) {
        const struct iter_row *r = &iter_rows[i];

        q = place(r->query, strlen(r->query));
        pos = 0;
        n = 0;
        got[0] = '\0';
        for (steps = 0; steps < 100 && ma_http_query_next(q, &pos, &k, &v) == MA_OK; steps++) {
            CHECK(k.p >= q.p && k.p + k.len <= q.p + q.len);
            CHECK(v.p >= q.p && v.p + v.len <= q.p + q.len);
            n += (size_t)snprintf(got + n, sizeof(got) - n, "%.*s=%.*s|", (int)k.len, k.p,
                                  (int)v.len, v.p);
        }
        CHECK(steps < 100);
        CHECK_STR(got, r->pairs);
        /* exhausted stays exhausted */
        CHECK_EQ(ma_http_query_next(q, &pos, &k, &v), MA_ERR_NOTFOUND);
        CHECK(pos <= q.len);
    }
    pos = 99;
    CHECK_EQ(ma_http_query_next(MA_STR_LIT("a=1"), &pos, &k, &v), MA_ERR_NOTFOUND);
}

struct get_row {
    const char *query, *key;
    int rc;
    const char *value;
    const char *comment;
};

static const struct get_row get_rows[] = {
    {"labelSelector=app+in+%28a%2Cb%29%2Ctier%21%3Dx", "labelSelector", 20, "app in (a,b),tier!=x",
     "Go-encoded selector"},
    {"labelSelector=app%3Dweb", "labelSelector", 7, "app=web", "spec 5.3 request"},
    {"metricLabelSelector=a&labelSelector=b", "labelSelector", 1, "b", "no prefix match"},
    {"labelSelector=b&metricLabelSelector=a", "metricLabelSelector", 1, "a", "second pair"},
    {"timeout=32s", "labelSelector", MA_ERR_NOTFOUND, NULL, "absent"},
    {"", "labelSelector", MA_ERR_NOTFOUND, NULL, "empty query"},
    {"labelselector=x", "labelSelector", MA_ERR_NOTFOUND, NULL, "keys are case-sensitive"},
    {"labelSelecto=x", "labelSelector", MA_ERR_NOTFOUND, NULL, "key prefix"},
    {"labelSelectorX=x", "labelSelector", MA_ERR_NOTFOUND, NULL, "key extension"},
    {"a=1&a=2", "a", 1, "1", "first pair wins"},
    {"pretty", "pretty", 0, "", "no '=': present, empty"},
    {"label%53elector=x", "labelSelector", 1, "x", "encoded key"},
    {"a+b=c", "a b", 1, "c", "'+' in key is a space"},
    {"%G1=x&a=y", "a", 1, "y", "badly encoded key skipped"},
    {"a%00=x&a=y", "a", 1, "y", "NUL in key never matches"},
    {"labelSelector=%G1", "labelSelector", MA_ERR_SYNTAX, NULL, "bad value escape"},
    {"labelSelector=%2", "labelSelector", MA_ERR_SYNTAX, NULL, "truncated value escape"},
    {"labelSelector=a%00", "labelSelector", MA_ERR_SYNTAX, NULL, "NUL in value"},
    {"fieldSelector=metadata.name%3Dfoo", "fieldSelector", 17, "metadata.name=foo", "field"},
    {"=x", "", 1, "x", "empty key"},
};

static void test_get_rows(void)
{
    char out[64];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(get_rows) / sizeof(get_rows[0]); i++) {
        const struct get_row *r = &get_rows[i];

        memset(out, 'Z', sizeof(out));
        rc = ma_http_query_get(place(r->query, strlen(r->query)), r->key, out, sizeof(out));
        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->rc);
        if (rc >= 0 && r->value) {
            CHECK_EQ(rc, strlen(r->value));
            CHECK_MEM(out, r->value, (size_t)rc);
        }
    }
    CHECK_EQ(ma_http_query_get(MA_STR_LIT("a=12345"), "a", out, 4), MA_ERR_NOSPACE);
    CHECK_EQ(ma_http_query_get(MA_STR_LIT("a=1234"), "a", out, 4), 4);
}

int main(void)
{
    T_RUN(test_decode_rows);
    T_RUN(test_decode_nospace);
    T_RUN(test_decode_all_escapes);
    T_RUN(test_iter_rows);
    T_RUN(test_get_rows);
    T_END();
}
