#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "http/parse.h"
#include "t.h"
#include "testhead.h"

/* Inputs go through t_place (t.h): a read past their end faults. */

#define BIG (1 << 20)

static int parse_n(const char *s, size_t n, size_t max_head, struct ma_http_resp *r)
{
    return ma_http_parse_response(t_place(s, n), n, max_head, r);
}


static void check_reset(const struct ma_http_resp *r)
{
    CHECK_EQ(r->status, 0);
    CHECK_EQ(r->minor_version, 0);
    CHECK_EQ(r->reason.len, 0);
    CHECK_EQ(r->num_headers, 0);
    CHECK_EQ(r->keep_alive, 0);
    CHECK_EQ(r->chunked, 0);
    CHECK_EQ(r->content_length, -1);
}

/* ---- kube-apiserver heads -------------------------------------------------------------------- */

#define KUBE_COMMON                                                                                \
    "Audit-Id: 3c7c2b4e-5d6f-4a1b-9c8d-7e6f5a4b3c2d\r\n"                                           \
    "Cache-Control: no-cache, private\r\n"                                                         \
    "Content-Type: application/json\r\n"                                                           \
    "X-Kubernetes-Pf-Flowschema-Uid: 5c0d9a1e-2b3c-4d5e-8f9a-0b1c2d3e4f5a\r\n"                     \
    "X-Kubernetes-Pf-Prioritylevel-Uid: 8a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d\r\n"                  \
    "Date: Fri, 01 Nov 2024 10:00:00 GMT\r\n"

#define KUBE_WATCH "HTTP/1.1 200 OK\r\n" KUBE_COMMON "Transfer-Encoding: chunked\r\n\r\n"
#define KUBE_LIST "HTTP/1.1 200 OK\r\n" KUBE_COMMON "Content-Length: 2345\r\n\r\n"
#define KUBE_410 "HTTP/1.1 410 Gone\r\n" KUBE_COMMON "Content-Length: 183\r\n\r\n"
#define KUBE_401                                                                                   \
    "HTTP/1.1 401 Unauthorized\r\n"                                                                \
    "Audit-Id: 9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\r\n"                                           \
    "Cache-Control: no-cache, private\r\n"                                                         \
    "Content-Type: application/json\r\n"                                                           \
    "Date: Fri, 01 Nov 2024 10:00:00 GMT\r\n"                                                      \
    "Content-Length: 129\r\n"                                                                      \
    "\r\n"

static void test_kube_heads(void)
{
    static const struct {
        const char *in;
        int status;
        const char *reason;
        int chunked;
        long long cl;
        size_t nh;
    } rows[] = {
        {KUBE_WATCH, 200, "OK", 1, -1, 7},
        {KUBE_LIST, 200, "OK", 0, 2345, 7},
        {KUBE_410, 410, "Gone", 0, 183, 7},
        {KUBE_401, 401, "Unauthorized", 0, 129, 5},
    };
    struct ma_http_resp r;
    const struct ma_http_header *h;
    size_t i, n, cut;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        n = strlen(rows[i].in);
        CHECK_EQ(parse_n(rows[i].in, n, BIG, &r), (int)n);
        CHECK_EQ(r.minor_version, 1);
        CHECK_EQ(r.status, rows[i].status);
        CHECK_STR(cs(r.reason), rows[i].reason);
        CHECK_EQ(r.keep_alive, 1);
        CHECK_EQ(r.chunked, rows[i].chunked);
        CHECK_EQ(r.content_length, rows[i].cl);
        CHECK_EQ(r.num_headers, rows[i].nh);
        h = ma_http_find_header(r.headers, r.num_headers, "content-type");
        CHECK(h != NULL && ma_str_eq(h->value, "application/json"));
        h = ma_http_find_header(r.headers, r.num_headers, "AUDIT-ID");
        CHECK(h != NULL && h == &r.headers[0]);
        CHECK(ma_http_find_header(r.headers, r.num_headers, "Audit-I") == NULL);
        CHECK(ma_http_find_header(r.headers, 0, "Audit-Id") == NULL);
        /* every strict prefix is incomplete; the body after the head is not consumed */
        for (cut = 0; cut < n; cut++) {
            CHECK_EQ(parse_n(rows[i].in, cut, BIG, &r), MA_ERR_PARTIAL);
            check_reset(&r);
        }
    }
    {
        static char with_body[1024];
        n = (size_t)snprintf(with_body, sizeof(with_body), "%s%s", KUBE_410,
                             "{\"kind\":\"Status\",\"code\":410}");
        CHECK_EQ(parse_n(with_body, n, BIG, &r), (int)strlen(KUBE_410));
    }
}

/* ---- table ----------------------------------------------------------------------------------- */

struct ok_row {
    const char *in;
    int minor, status;
    const char *reason;
    int keep_alive, chunked;
    long long content_length;
    const char *headers;
    const char *comment;
};

static const struct ok_row ok_rows[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 200, "OK", 1, 0, 0, "Content-Length:0\n",
     "minimal"},
    {"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 1, 200, "", 1, 0, 0, "Content-Length:0\n",
     "no SP, no reason (Go accepts)"},
    {"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 1, 200, "", 1, 0, 0, "Content-Length:0\n",
     "SP, empty reason"},
    {"HTTP/1.1 404 Not  Found \xc3\xa9\t\r\nContent-Length: 0\r\n\r\n", 1, 404,
     "Not  Found \xc3\xa9\t", 1, 0, 0, "Content-Length:0\n", "reason kept as sent"},
    {"HTTP/1.1 200 OK\nContent-Length: 1\n\n", 1, 200, "OK", 1, 0, 1, "Content-Length:1\n",
     "bare LF"},
    {"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, "OK", 0, 0, 5, "Content-Length:5\n",
     "1.0 closes by default"},
    {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n\r\n", 0, 200, "OK", 1, 0,
     5, "Connection:Keep-Alive\nContent-Length:5\n", "1.0 keep-alive"},
    {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\n", 1, 200, "OK", 0, 0, 5,
     "Connection:close\nContent-Length:5\n", "1.1 close"},
    {"HTTP/1.1 200 OK\r\nConnection: keep-alive, CLOSE\r\nContent-Length: 5\r\n\r\n", 1, 200,
     "OK", 0, 0, 5, "Connection:keep-alive, CLOSE\nContent-Length:5\n", "close wins"},
    {"HTTP/1.1 200 OK\r\n\r\n", 1, 200, "OK", 0, 0, -1, "", "body until close: no reuse"},
    {"HTTP/1.1 204 No Content\r\n\r\n", 1, 204, "No Content", 1, 0, -1, "", "204 has no body"},
    {"HTTP/1.1 304 Not Modified\r\n\r\n", 1, 304, "Not Modified", 1, 0, -1, "", "304"},
    {"HTTP/1.1 100 Continue\r\n\r\n", 1, 100, "Continue", 1, 0, -1, "", "interim 1xx"},
    {"HTTP/1.1 999 X\r\nContent-Length: 0\r\n\r\n", 1, 999, "X", 1, 0, 0, "Content-Length:0\n",
     "highest status"},
    {"HTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 200, "OK", 1, 0, 0, "Content-Length:0\n",
     "1.9 is 1.1"},
    {"HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n", 1, 200, "OK", 1, 1, -1,
     "transfer-encoding:CHUNKED\n", "case-insensitive chunked"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked ,\r\n\r\n", 1, 200, "OK", 1, 1, -1,
     "Transfer-Encoding:, chunked ,\n", "empty list elements"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", 1, 200, "OK", 1, 0, 7,
     "Content-Length:7\nContent-Length:7\n", "repeated equal Content-Length"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", 1, 200, "OK", 1, 0,
     9223372036854775807LL, "Content-Length:9223372036854775807\n", "largest length"},
    {"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Ws:  \t \r\nX-Mid: a  b\r\nContent-Length: 0\r\n\r\n", 1,
     200, "OK", 1, 0, 0, "X-Empty:\nX-Ws:\nX-Mid:a  b\nContent-Length:0\n", "values trimmed"},
};

static void test_ok_rows(void)
{
    size_t i, cut;

    for (i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
        const struct ok_row *row = &ok_rows[i];
        size_t n = strlen(row->in);
        struct ma_http_resp r;
        int rc = parse_n(row->in, n, BIG, &r);

        if (rc != (int)n)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, row->comment, rc);
        CHECK_EQ(rc, (int)n);
        CHECK_EQ(r.minor_version, row->minor);
        CHECK_EQ(r.status, row->status);
        CHECK_STR(cs(r.reason), row->reason);
        CHECK_EQ(r.keep_alive, row->keep_alive);
        CHECK_EQ(r.chunked, row->chunked);
        CHECK_EQ(r.content_length, row->content_length);
        CHECK_STR(flat_headers(r.headers, r.num_headers), row->headers);
        for (cut = 0; cut < n; cut++)
            CHECK_EQ(parse_n(row->in, cut, BIG, &r), MA_ERR_PARTIAL);
        /* max_head exactly the head accepts it; one less refuses it */
        CHECK_EQ(parse_n(row->in, n, n, &r), (int)n);
        CHECK_EQ(parse_n(row->in, n, n - 1, &r), MA_ERR_LIMIT);
        check_reset(&r);
    }
}

struct err_row {
    const char *in;
    int rc;
    const char *comment;
};

static const struct err_row err_rows[] = {
    {"HTTP/2 200 OK\r\n\r\n", MA_ERR_SYNTAX, "HTTP/2"},
    {"HTTP/2.0 200 OK\r\n\r\n", MA_ERR_SYNTAX, "HTTP/2.0"},
    {"HTTP/1.x 200 OK\r\n\r\n", MA_ERR_SYNTAX, "bad minor"},
    {"http/1.1 200 OK\r\n\r\n", MA_ERR_SYNTAX, "lowercase name"},
    {"HTTP/1.1  200 OK\r\n\r\n", MA_ERR_SYNTAX, "two SPs"},
    {"HTTP/1.1 20 OK\r\n\r\n", MA_ERR_SYNTAX, "two digits"},
    {"HTTP/1.1 2000 OK\r\n\r\n", MA_ERR_SYNTAX, "four digits"},
    {"HTTP/1.1 099 OK\r\n\r\n", MA_ERR_SYNTAX, "below 100"},
    {"HTTP/1.1 -20 OK\r\n\r\n", MA_ERR_SYNTAX, "sign"},
    {"HTTP/1.1 200OK\r\n\r\n", MA_ERR_SYNTAX, "no SP before reason"},
    {"HTTP/1.1 200 O\x01K\r\n\r\n", MA_ERR_SYNTAX, "CTL in reason"},
    {"HTTP/1.1 200 OK\rX\r\n\r\n", MA_ERR_SYNTAX, "bare CR"},
    {"\r\nHTTP/1.1 200 OK\r\n\r\n", MA_ERR_SYNTAX, "empty line before the status line"},
    {" HTTP/1.1 200 OK\r\n\r\n", MA_ERR_SYNTAX, "leading space"},
    {"HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n", MA_ERR_SYNTAX, "space before the first header"},
    {"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", MA_ERR_SYNTAX, "obs-fold"},
    {"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", MA_ERR_SYNTAX, "space before colon"},
    {"HTTP/1.1 200 OK\r\n: b\r\n\r\n", MA_ERR_SYNTAX, "empty name"},
    {"HTTP/1.1 200 OK\r\nA\r\n\r\n", MA_ERR_SYNTAX, "no colon"},
    {"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", MA_ERR_SYNTAX, "DEL in value"},
    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", MA_ERR_SYNTAX, "negative length"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n", MA_ERR_SYNTAX, "list length"},
    {"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", MA_ERR_SYNTAX, "empty length"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n", MA_ERR_SYNTAX,
     "length overflow"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", MA_ERR_SYNTAX,
     "conflicting lengths"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", MA_ERR_SYNTAX, "unknown coding"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", MA_ERR_SYNTAX,
     "two codings"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", MA_ERR_SYNTAX,
     "chunked not last"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     MA_ERR_SYNTAX, "chunked twice"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", MA_ERR_SYNTAX, "identity"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", MA_ERR_SYNTAX, "empty TE"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: , \r\n\r\n", MA_ERR_SYNTAX, "TE of empty elements"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", MA_ERR_SYNTAX,
     "chunked with a parameter"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", MA_ERR_SYNTAX,
     "TE and CL"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", MA_ERR_SYNTAX,
     "CL and TE"},
    {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", MA_ERR_SYNTAX, "TE in HTTP/1.0"},
};

static void test_err_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
        const struct err_row *row = &err_rows[i];
        size_t n = strlen(row->in);
        struct ma_http_resp r;
        int rc;

        rc = parse_n(row->in, n, BIG, &r);
        if (rc != row->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, row->comment, rc);
        CHECK_EQ(rc, row->rc);
        check_reset(&r);
    }
    {
        static const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
        struct ma_http_resp r;
        CHECK_EQ(parse_n(nul, sizeof(nul) - 1, BIG, &r), MA_ERR_SYNTAX);
    }
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_limits(void)
{
    static char in[8192];
    struct ma_http_resp r;
    size_t n, i;

    /* MA_HTTP_MAX_HEADERS lines are fine, one more is MA_ERR_LIMIT, even before the head ends */
    n = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n");
    for (i = 0; i < MA_HTTP_MAX_HEADERS - 1; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "X-%zu: v\r\n", i);
    n += (size_t)snprintf(in + n, sizeof(in) - n, "Content-Length: 0\r\n\r\n");
    CHECK_EQ(parse_n(in, n, BIG, &r), (int)n);
    CHECK_EQ(r.num_headers, MA_HTTP_MAX_HEADERS);
    n -= 2;
    n += (size_t)snprintf(in + n, sizeof(in) - n, "X-last: v\r\n");
    CHECK_EQ(parse_n(in, n, BIG, &r), MA_ERR_LIMIT);
    check_reset(&r);

    /* a head cut off by max_head: PARTIAL while len <= max_head, LIMIT past it */
    n = strlen(KUBE_LIST);
    CHECK_EQ(parse_n(KUBE_LIST, 50, 50, &r), MA_ERR_PARTIAL);
    CHECK_EQ(parse_n(KUBE_LIST, 51, 50, &r), MA_ERR_LIMIT);
    CHECK_EQ(parse_n(KUBE_LIST, n, 0, &r), MA_ERR_LIMIT);
    CHECK_EQ(parse_n(KUBE_LIST, 0, 0, &r), MA_ERR_PARTIAL);
    CHECK_EQ(parse_n(KUBE_LIST, n, (size_t)-1, &r), (int)n);
    /* a syntax error inside the limit is reported even when the input runs past it */
    CHECK_EQ(parse_n("HTTP/3 200", 10, 8, &r), MA_ERR_SYNTAX);
}

int main(void)
{
    T_RUN(test_kube_heads);
    T_RUN(test_ok_rows);
    T_RUN(test_err_rows);
    T_RUN(test_limits);
    T_END();
}
