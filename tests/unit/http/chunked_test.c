#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "http/chunked.h"
#include "t.h"

/* Inputs go through t_place (t.h): a read past their end faults. */

/* What feeding an input produced. */
struct outcome {
    int rc;            /* last return */
    char payload[16384];
    size_t plen;
    char rest[256];    /* bytes after the body */
    size_t rlen;
};

/* Feed in[0..n) in pieces ending at the offsets cuts[0..ncuts) (then the rest); stop at the end of
 * the body or the first error. */
static void feed(const char *in, size_t n, const size_t *cuts, size_t ncuts, struct outcome *o)
{
    struct ma_http_chunked d;
    size_t at = 0, i = 0;

    ma_http_chunked_init(&d);
    o->rc = MA_ERR_PARTIAL;
    o->plen = o->rlen = 0;
    while (at < n || i == 0) {
        size_t end = i < ncuts ? cuts[i] : n, len = end - at, orig = len;
        char *b = t_place(in + at, len);

        i++;
        o->rc = ma_http_chunked_decode(&d, b, &len);
        CHECK(len <= orig);
        memcpy(o->payload + o->plen, b, len);
        o->plen += len;
        at = end;
        if (o->rc >= 0) {
            CHECK((size_t)o->rc <= orig - len);
            memcpy(o->rest, b + orig - (size_t)o->rc, (size_t)o->rc);
            o->rlen = (size_t)o->rc;
            memcpy(o->rest + o->rlen, in + at, n - at);
            o->rlen += n - at;
            return;
        }
        if (o->rc != MA_ERR_PARTIAL)
            return;
        if (at == n)
            return;
    }
}

static void feed_whole(const char *in, size_t n, struct outcome *o)
{
    feed(in, n, NULL, 0, o);
}

static void feed_bytes(const char *in, size_t n, struct outcome *o)
{
    static size_t cuts[8192];
    size_t i;

    for (i = 0; i + 1 < n && i < 8192; i++)
        cuts[i] = i + 1;
    feed(in, n, cuts, i, o);
}

/* ---- valid bodies ---------------------------------------------------------------------------- */

struct ok_row {
    const char *in;
    const char *payload;
    const char *rest; /* bytes after the body */
    const char *comment;
};

#define WATCH_CHUNK_1                                                                              \
    "88\r\n{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\","                \
    "\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"resourceVersion\":\"918301\"}}}\n\r\n"
#define WATCH_EVENT_1                                                                              \
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\","                      \
    "\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"resourceVersion\":\"918301\"}}}\n"

static const struct ok_row ok_rows[] = {
    {"0\r\n\r\n", "", "", "empty body"},
    {"5\r\nhello\r\n0\r\n\r\n", "hello", "", "one chunk"},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "", "two chunks"},
    {"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", "",
     "hex digits of both cases"},
    {"0005\r\nhello\r\n000\r\n\r\n", "hello", "", "leading zeros"},
    {"5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello", "", "extensions"},
    {"5 ; a=\"q s\" ; b\r\nhello\r\n0\r\n\r\n", "hello", "", "BWS and a quoted extension"},
    {"5\t;x\r\nhello\r\n0\r\n\r\n", "hello", "", "tab before an extension"},
    {"5  \r\nhello\r\n0\r\n\r\n", "hello", "", "trailing whitespace on the size line"},
    {"5\r\nhello\r\n0\r\nExpires: never\r\nX-Trace: 1\r\n\r\n", "hello", "", "trailers"},
    {"5\nhello\n0\n\n", "hello", "", "bare LF line ends"},
    {"5\r\nhello\n0\nA: b\n\r\n", "hello", "", "mixed line ends"},
    {"4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", "", "CRLF inside the data is data"},
    {"3\r\n0\r\n\r\n0\r\n\r\n", "0\r\n", "", "data that looks like the last chunk"},
    {"5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", "hello", "HTTP/1.1 200 OK\r\n",
     "the next response follows"},
    {"0\r\n\r\n\r\n", "", "\r\n", "an extra CRLF is not ours"},
    {WATCH_CHUNK_1 "0\r\n\r\n", WATCH_EVENT_1, "", "a watch event"},
};

/* Same payload and same bytes after the body (rc itself depends on where the last piece ended). */
static void check_same(const struct outcome *a, const struct outcome *b)
{
    if (a->rc < 0 || b->rc < 0)
        CHECK_EQ(a->rc, b->rc);
    CHECK_EQ(a->plen, b->plen);
    if (a->plen == b->plen)
        CHECK_MEM(a->payload, b->payload, a->plen);
    CHECK_EQ(a->rlen, b->rlen);
    if (a->rlen == b->rlen)
        CHECK_MEM(a->rest, b->rest, a->rlen);
}

static void test_ok_rows(void)
{
    static struct outcome whole, split, bytes;
    size_t i, cut;

    for (i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
        const struct ok_row *r = &ok_rows[i];
        size_t n = strlen(r->in), body = n - strlen(r->rest);

        feed_whole(r->in, n, &whole);
        if (whole.rc != (int)strlen(r->rest))
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, whole.rc);
        CHECK_EQ(whole.rc, (int)strlen(r->rest));
        CHECK_EQ(whole.plen, strlen(r->payload));
        CHECK_MEM(whole.payload, r->payload, strlen(r->payload));
        CHECK_EQ(whole.rlen, strlen(r->rest));
        CHECK_MEM(whole.rest, r->rest, strlen(r->rest));

        /* every split point into two calls */
        for (cut = 0; cut <= n; cut++) {
            feed(r->in, n, &cut, 1, &split);
            check_same(&whole, &split);
        }
        feed_bytes(r->in, n, &bytes);
        check_same(&whole, &bytes);

        /* every strict prefix of the body is incomplete, with a prefix of the payload */
        for (cut = 0; cut < body; cut++) {
            feed_whole(r->in, cut, &split);
            CHECK_EQ(split.rc, MA_ERR_PARTIAL);
            CHECK(split.plen <= whole.plen && memcmp(split.payload, r->payload, split.plen) == 0);
        }
    }
}

/* ---- malformed bodies ------------------------------------------------------------------------ */

struct err_row {
    const char *in;
    int rc;
    const char *payload; /* decoded before the fault */
    const char *comment;
};

static const struct err_row err_rows[] = {
    {"\r\n", MA_ERR_SYNTAX, "", "no size"},
    {"x\r\n", MA_ERR_SYNTAX, "", "not hex"},
    {"-1\r\n", MA_ERR_SYNTAX, "", "negative"},
    {"+5\r\n", MA_ERR_SYNTAX, "", "plus sign"},
    {"0x5\r\n", MA_ERR_SYNTAX, "", "0x prefix"},
    {" 5\r\n", MA_ERR_SYNTAX, "", "whitespace before the size"},
    {";x\r\n", MA_ERR_SYNTAX, "", "extension without size"},
    {"5 x\r\n", MA_ERR_SYNTAX, "", "garbage after BWS"},
    {"5g\r\n", MA_ERR_SYNTAX, "", "garbage after the size"},
    {"5\rhello", MA_ERR_SYNTAX, "", "bare CR in the size line"},
    {"5;a\x01\r\n", MA_ERR_SYNTAX, "", "control byte in an extension"},
    {"5\r\nhelloX\r\n", MA_ERR_SYNTAX, "hello", "data longer than the size"},
    {"5\r\nhello\rX", MA_ERR_SYNTAX, "hello", "bare CR after the data"},
    {"5\r\nhello\r\r\n", MA_ERR_SYNTAX, "hello", "CR CR after the data"},
    {"5\r\nhello\r\n0\r\nA\x7f: b\r\n\r\n", MA_ERR_SYNTAX, "hello", "DEL in a trailer"},
    {"0\r\nA: b\rX\r\n\r\n", MA_ERR_SYNTAX, "", "bare CR in a trailer"},
    {"0\r\n\rX", MA_ERR_SYNTAX, "", "bare CR as the final line"},
    {"10000000000000000\r\n", MA_ERR_SYNTAX, "", "2^64: overflows size_t"},
    {"fffffffffffffffff\r\n", MA_ERR_SYNTAX, "", "17 hex digits"},
};

static void test_err_rows(void)
{
    static struct outcome whole, bytes, split;
    size_t i, cut;

    for (i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
        const struct err_row *r = &err_rows[i];
        size_t n = strlen(r->in);

        feed_whole(r->in, n, &whole);
        if (whole.rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, whole.rc);
        CHECK_EQ(whole.rc, r->rc);
        CHECK_EQ(whole.plen, strlen(r->payload));
        CHECK_MEM(whole.payload, r->payload, strlen(r->payload));
        feed_bytes(r->in, n, &bytes);
        check_same(&whole, &bytes);
        for (cut = 0; cut <= n; cut++) {
            feed(r->in, n, &cut, 1, &split);
            CHECK_EQ(split.rc, r->rc);
        }
    }
}

/* An error is sticky until init. */
static void test_sticky_error(void)
{
    struct ma_http_chunked d;
    char b[16];
    size_t len;

    ma_http_chunked_init(&d);
    memcpy(b, "x\r\n", 3);
    len = 3;
    CHECK_EQ(ma_http_chunked_decode(&d, b, &len), MA_ERR_SYNTAX);
    memcpy(b, "0\r\n\r\n", 5);
    len = 5;
    CHECK_EQ(ma_http_chunked_decode(&d, b, &len), MA_ERR_SYNTAX);
    CHECK_EQ(len, 0);
    ma_http_chunked_init(&d);
    len = 5;
    CHECK_EQ(ma_http_chunked_decode(&d, b, &len), 0);
    CHECK_EQ(len, 0);
    /* after the end: nothing decoded, every byte follows */
    memcpy(b, "5\r\nhello", 8);
    len = 8;
    CHECK_EQ(ma_http_chunked_decode(&d, b, &len), 8);
    CHECK_EQ(len, 0);
    /* an empty call is incomplete */
    ma_http_chunked_init(&d);
    len = 0;
    CHECK_EQ(ma_http_chunked_decode(&d, b, &len), MA_ERR_PARTIAL);
}

/* ---- sizes and limits ------------------------------------------------------------------------ */

static void test_huge_sizes(void)
{
    static char in[2 * MA_HTTP_MAX_CHUNK_LINE + 64];
    static struct outcome o;
    struct ma_http_chunked d;
    char b[64];
    size_t len;

    if (SIZE_MAX == UINT64_MAX) {
        /* the largest size is accepted: its data just never ends here */
        ma_http_chunked_init(&d);
        memcpy(b, "ffffffffffffffff\r\nabc", 21);
        len = 21;
        CHECK_EQ(ma_http_chunked_decode(&d, b, &len), MA_ERR_PARTIAL);
        CHECK_EQ(len, 3);
        CHECK_MEM(b, "abc", 3);
    }
    /* leading zeros up to the line bound, then one more */
    memset(in, '0', MA_HTTP_MAX_CHUNK_LINE);
    memcpy(in + MA_HTTP_MAX_CHUNK_LINE, "\r\n\r\n", 4);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 4, &o);
    CHECK_EQ(o.rc, 0);
    memset(in, '0', MA_HTTP_MAX_CHUNK_LINE + 1);
    memcpy(in + MA_HTTP_MAX_CHUNK_LINE + 1, "\r\n\r\n", 4);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 5, &o);
    CHECK_EQ(o.rc, MA_ERR_LIMIT);
    feed_bytes(in, MA_HTTP_MAX_CHUNK_LINE + 5, &o);
    CHECK_EQ(o.rc, MA_ERR_LIMIT);

    /* a size line with extensions: exactly the bound, then one byte more */
    memcpy(in, "1;", 2);
    memset(in + 2, 'e', MA_HTTP_MAX_CHUNK_LINE - 2);
    memcpy(in + MA_HTTP_MAX_CHUNK_LINE, "\r\nx\r\n0\r\n\r\n", 10);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 10, &o);
    CHECK_EQ(o.rc, 0);
    CHECK_EQ(o.plen, 1);
    memcpy(in, "1;", 2);
    memset(in + 2, 'e', MA_HTTP_MAX_CHUNK_LINE - 1);
    memcpy(in + MA_HTTP_MAX_CHUNK_LINE + 1, "\r\nx\r\n0\r\n\r\n", 10);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 11, &o);
    CHECK_EQ(o.rc, MA_ERR_LIMIT);

    /* a trailer section: the bound counts its bytes, line ends excluded, over all lines */
    memcpy(in, "0\r\n", 3);
    memset(in + 3, 'a', MA_HTTP_MAX_CHUNK_LINE);
    memcpy(in + 3 + MA_HTTP_MAX_CHUNK_LINE, "\r\n\r\n", 4);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 7, &o);
    CHECK_EQ(o.rc, 0);
    memset(in + 3, 'a', MA_HTTP_MAX_CHUNK_LINE + 1);
    memcpy(in + 3 + MA_HTTP_MAX_CHUNK_LINE + 1, "\r\n\r\n", 4);
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 8, &o);
    CHECK_EQ(o.rc, MA_ERR_LIMIT);
    memcpy(in, "0\r\n", 3);
    memset(in + 3, 'a', MA_HTTP_MAX_CHUNK_LINE);
    memcpy(in + MA_HTTP_MAX_CHUNK_LINE / 2, "\r\n", 2); /* two lines, same total */
    memcpy(in + 3 + MA_HTTP_MAX_CHUNK_LINE, "aaa\r\n\r\n", 7); /* MAX + 1 in all */
    feed_whole(in, MA_HTTP_MAX_CHUNK_LINE + 10, &o);
    CHECK_EQ(o.rc, MA_ERR_LIMIT);
}

/* A long stream of chunks (a watch that runs for minutes) never hits a limit: the bounds are per
 * line. */
static void test_long_stream(void)
{
    static char in[16000];
    static struct outcome o;
    size_t n = 0, i;
    size_t cuts[3] = {1000, 7777, 12001};

    for (i = 0; n + 200 < sizeof(in); i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s", WATCH_CHUNK_1);
    memcpy(in + n, "0\r\n\r\n", 5);
    n += 5;
    feed(in, n, cuts, 3, &o);
    CHECK_EQ(o.rc, 0);
    CHECK_EQ(o.plen, i * strlen(WATCH_EVENT_1));
    CHECK_MEM(o.payload + o.plen - strlen(WATCH_EVENT_1), WATCH_EVENT_1, strlen(WATCH_EVENT_1));
}

int main(void)
{
    T_RUN(test_ok_rows);
    T_RUN(test_err_rows);
    T_RUN(test_sticky_error);
    T_RUN(test_huge_sizes);
    T_RUN(test_long_stream);
    T_END();
}
