#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "http/parse.h"
#include "t.h"
#include "testhead.h"

/* Inputs go through t_place (t.h): a read past their end faults. */

static int parse(const char *s, size_t n, const struct ma_http_limits *lim, struct ma_http_req *req)
{
    return ma_http_parse_request(t_place(s, n), n, lim, req);
}


static const struct ma_http_limits big = {1 << 20, 1 << 20};

/* ---- valid heads ---------------------------------------------------------------------------- */

struct ok_row {
    const char *in;
    const char *method, *target, *path, *query;
    int minor, keep_alive;
    long long content_length;
    const char *headers;
    const char *comment;
};

#define KUBE_PROXIED                                                                               \
    "GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests"            \
    "?labelSelector=app%3Dweb HTTP/1.1\r\n"                                                        \
    "Host: 10.96.12.34:443\r\n"                                                                    \
    "User-Agent: kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/abc123/"                 \
    "system:serviceaccount:kube-system:horizontal-pod-autoscaler\r\n"                              \
    "Accept: application/vnd.kubernetes.protobuf, */*\r\n"                                         \
    "Accept-Encoding: gzip\r\n"                                                                    \
    "Audit-Id: 6f1c0d2e-1111-2222-3333-444455556666\r\n"                                           \
    "X-Forwarded-For: 10.0.0.7\r\n"                                                                \
    "X-Forwarded-Uri: /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/"            \
    "http_requests\r\n"                                                                            \
    "X-Forwarded-Host: 10.96.12.34:443\r\n"                                                        \
    "X-Forwarded-Proto: https\r\n"                                                                 \
    "X-Remote-User: system:serviceaccount:kube-system:horizontal-pod-autoscaler\r\n"               \
    "X-Remote-Uid: 4c1e0000-aaaa-bbbb-cccc-dddddddddddd\r\n"                                       \
    "X-Remote-Group: system:serviceaccounts\r\n"                                                   \
    "X-Remote-Group: system:serviceaccounts:kube-system\r\n"                                       \
    "X-Remote-Group: system:authenticated\r\n"                                                     \
    "X-Remote-Extra-Authentication.kubernetes.io%2fcredential-Id: JTI=abc\r\n"                     \
    "\r\n"

static const struct ok_row ok_rows[] = {
    {"GET / HTTP/1.1\r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "", "minimal 1.1"},
    {"GET / HTTP/1.0\r\n\r\n", "GET", "/", "/", "", 0, 0, -1, "", "1.0 closes by default"},
    {"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/healthz", "/healthz", "", 1, 1, -1,
     "Host:a\n", "one header"},
    {"GET /a?b=c&d HTTP/1.1\r\n\r\n", "GET", "/a?b=c&d", "/a", "b=c&d", 1, 1, -1, "",
     "query split at the first '?'"},
    {"GET /a?b?c HTTP/1.1\r\n\r\n", "GET", "/a?b?c", "/a", "b?c", 1, 1, -1, "",
     "later '?' belong to the query"},
    {"GET /a? HTTP/1.1\r\n\r\n", "GET", "/a?", "/a", "", 1, 1, -1, "", "empty query"},
    {"GET ? HTTP/1.1\r\n\r\n", "GET", "?", "", "", 1, 1, -1, "", "target is only '?'"},
    {"GET * HTTP/1.1\r\n\r\n", "GET", "*", "*", "", 1, 1, -1, "", "asterisk-form passes"},
    {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", "GET", "/\xc3\xa9", "/\xc3\xa9", "", 1, 1, -1, "",
     "obs-text in target, as Go allows"},
    {"M-SEARCH.x_~! / HTTP/1.1\r\n\r\n", "M-SEARCH.x_~!", "/", "/", "", 1, 1, -1, "",
     "method is any token"},
    {"get / HTTP/1.1\r\n\r\n", "get", "/", "/", "", 1, 1, -1, "", "method case kept"},
    {"GET / HTTP/1.1\n\n", "GET", "/", "/", "", 1, 1, -1, "", "bare LF everywhere"},
    {"GET / HTTP/1.1\nA: b\r\nC: d\n\r\n", "GET", "/", "/", "", 1, 1, -1, "A:b\nC:d\n",
     "mixed line endings"},
    {"\r\n\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "", "leading CRLFs skipped"},
    {"\n\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "", "leading LF and CRLF"},
    {"GET / HTTP/1.9\r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "", "1.9 handled as 1.1"},
    {"GET / HTTP/1.1\r\nA:b\r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "A:b\n", "no OWS"},
    {"GET / HTTP/1.1\r\nA: \t b c \t \r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "A:b c\n",
     "OWS trimmed both sides, inner kept"},
    {"GET / HTTP/1.1\r\nA:\r\nB:   \r\n\r\n", "GET", "/", "/", "", 1, 1, -1, "A:\nB:\n",
     "empty values"},
    {"GET / HTTP/1.1\r\nX-\x7e|`^_.-!#$%&'*+: v\x80\xff\"\\()\r\n\r\n", "GET", "/", "/", "", 1, 1,
     -1, "X-~|`^_.-!#$%&'*+:v\x80\xff\"\\()\n", "all tchar in a name, obs-text in a value"},
    {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET", "/", "/", "", 1, 0, -1,
     "Connection:close\n", "1.1 close"},
    {"GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n", "GET", "/", "/", "", 1, 0, -1,
     "connection:Upgrade, CLOSE\n", "close in a list, any case"},
    {"GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", "GET", "/", "/", "", 1, 1, -1,
     "Connection:closed\n", "'closed' is not 'close'"},
    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET", "/", "/", "", 0, 1, -1,
     "Connection:Keep-Alive\n", "1.0 keep-alive"},
    {"GET / HTTP/1.0\r\nConnection: ,, keep-alive ,\r\n\r\n", "GET", "/", "/", "", 0, 1, -1,
     "Connection:,, keep-alive ,\n", "empty list members"},
    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", "GET", "/", "/", "",
     0, 0, -1, "Connection:keep-alive\nConnection:close\n", "close wins over keep-alive"},
    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "GET", "/", "/", "", 0, 0, -1,
     "Connection:keep-alive, close\n", "close wins in one list"},
    {"POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n", "POST", "/x", "/x", "", 1, 1, 12,
     "Content-Length:12\n", "content length"},
    {"POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n", "POST", "/x", "/x", "", 1, 1, 0,
     "content-length:0\n", "zero, lower-case name"},
    {"POST /x HTTP/1.1\r\nContent-Length: 007\r\nCONTENT-LENGTH: 7\r\n\r\n", "POST", "/x", "/x", "",
     1, 1, 7, "Content-Length:007\nCONTENT-LENGTH:7\n", "same value repeated"},
    {"POST /x HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", "POST", "/x", "/x", "", 1,
     1, 9223372036854775807LL, "Content-Length:9223372036854775807\n", "LLONG_MAX"},
    {"GET / HTTP/1.1\r\nContent-Lengthy: x\r\nTransfer-Encodings: y\r\n\r\n", "GET", "/", "/", "",
     1, 1, -1, "Content-Lengthy:x\nTransfer-Encodings:y\n", "near-miss names are plain headers"},
    {KUBE_PROXIED, "GET",
     "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests"
     "?labelSelector=app%3Dweb",
     "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/http_requests",
     "labelSelector=app%3Dweb", 1, 1, -1,
     "Host:10.96.12.34:443\n"
     "User-Agent:kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/abc123/"
     "system:serviceaccount:kube-system:horizontal-pod-autoscaler\n"
     "Accept:application/vnd.kubernetes.protobuf, */*\n"
     "Accept-Encoding:gzip\n"
     "Audit-Id:6f1c0d2e-1111-2222-3333-444455556666\n"
     "X-Forwarded-For:10.0.0.7\n"
     "X-Forwarded-Uri:/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/"
     "http_requests\n"
     "X-Forwarded-Host:10.96.12.34:443\n"
     "X-Forwarded-Proto:https\n"
     "X-Remote-User:system:serviceaccount:kube-system:horizontal-pod-autoscaler\n"
     "X-Remote-Uid:4c1e0000-aaaa-bbbb-cccc-dddddddddddd\n"
     "X-Remote-Group:system:serviceaccounts\n"
     "X-Remote-Group:system:serviceaccounts:kube-system\n"
     "X-Remote-Group:system:authenticated\n"
     "X-Remote-Extra-Authentication.kubernetes.io%2fcredential-Id:JTI=abc\n",
     "kube-apiserver proxied request (spec 5.3)"},
};

static void check_ok_row(const struct ok_row *r, const struct ma_http_req *req)
{
    CHECK_STR(cs(req->method), r->method);
    CHECK_STR(cs(req->target), r->target);
    CHECK_STR(cs(req->path), r->path);
    CHECK_STR(cs(req->query), r->query);
    CHECK_EQ(req->minor_version, r->minor);
    CHECK_EQ(req->keep_alive, r->keep_alive);
    CHECK_EQ(req->content_length, r->content_length);
    CHECK_STR(flat_headers(req->headers, req->num_headers), r->headers);
    CHECK_EQ(req->status, 0);
}

static void test_ok_rows(void)
{
    static char tmp[8192];
    struct ma_http_req req;
    size_t i, n;
    int rc;

    for (i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
        const struct ok_row *r = &ok_rows[i];

        n = strlen(r->in);
        rc = parse(r->in, n, &big, &req);
        if (rc != (int)n)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, (int)n);
        check_ok_row(r, &req);
        /* slices point into the guarded copy, not into the table */
        CHECK(t_in_guard(req.method.p));

        rc = parse(r->in, n, NULL, &req);
        CHECK_EQ(rc, (int)n);

        /* a body or a pipelined request after the head is not consumed */
        memcpy(tmp, r->in, n);
        memcpy(tmp + n, "GET / HTTP/1.1\r\n\r\n", 18);
        rc = parse(tmp, n + 18, &big, &req);
        CHECK_EQ(rc, (int)n);
        check_ok_row(r, &req);
    }
}

/* The parser is stateless: feeding a head byte by byte means re-parsing each longer prefix, and
 * every strict prefix must say PARTIAL with a reset request. */
static void test_ok_prefixes(void)
{
    struct ma_http_req req;
    size_t i, k, n;
    int rc;

    for (i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
        n = strlen(ok_rows[i].in);
        for (k = 0; k < n; k++) {
            rc = parse(ok_rows[i].in, k, &big, &req);
            if (rc != MA_ERR_PARTIAL)
                fprintf(stderr, "row %zu (%s), prefix %zu: rc %d\n", i, ok_rows[i].comment, k, rc);
            CHECK_EQ(rc, MA_ERR_PARTIAL);
            CHECK_EQ(req.status, 0);
            CHECK_EQ(req.num_headers, 0);
            CHECK_EQ(req.method.len, 0);
            CHECK_EQ(req.content_length, -1);
        }
        CHECK_EQ(parse(ok_rows[i].in, n, &big, &req), (int)n);
    }
}

/* For every valid head, each max_head below its size gives 431 (the head, complete or not, is
 * certainly too big), each max_head from its size up gives success; likewise max_line / 414. */
static void test_limit_sweep(void)
{
    struct ma_http_req req;
    struct ma_http_limits lim;
    size_t i, m, n, line, start;
    int rc, bad = 0;

    for (i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
        const char *in = ok_rows[i].in;
        n = strlen(in);
        for (m = 0; m <= n + 1; m++) {
            lim.max_line = 1 << 20;
            lim.max_head = m;
            rc = parse(in, n, &lim, &req);
            if (m < n ? (rc != MA_ERR_LIMIT || req.status != 431) : rc != (int)n)
                bad++;
        }
        start = strspn(in, "\r\n");
        line = strcspn(in + start, "\r\n");
        for (m = 0; m <= line + 1; m++) {
            lim.max_line = m;
            lim.max_head = 1 << 20;
            rc = parse(in, n, &lim, &req);
            if (m < line ? (rc != MA_ERR_LIMIT || req.status != 414) : rc != (int)n)
                bad++;
            /* the whole line bar its end, or the line start alone: 414 as soon as certain */
            rc = parse(in, start + line, &lim, &req);
            if (m < line ? (rc != MA_ERR_LIMIT || req.status != 414) : rc != MA_ERR_PARTIAL)
                bad++;
            if (m < line) {
                rc = parse(in, start + m + 1, &lim, &req);
                if (rc != MA_ERR_LIMIT || req.status != 414)
                    bad++;
                rc = parse(in, start + m, &lim, &req);
                if (rc != MA_ERR_PARTIAL)
                    bad++;
            }
        }
    }
    CHECK_EQ(bad, 0);
}

/* ---- malformed heads ------------------------------------------------------------------------ */

struct bad_row {
    const char *in;
    size_t len; /* 0: strlen(in) */
    int rc, status;
    const char *comment;
};

static const struct bad_row bad_rows[] = {
    {" GET / HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "empty method"},
    {"GET  / HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "two spaces after method"},
    {"GET / HTTP/1.1 \r\n\r\n", 0, MA_ERR_SYNTAX, 400, "space after version"},
    {"GET /  HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "two spaces after target"},
    {"GET\t/ HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "tab separator"},
    {"G(T / HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "non-token in method"},
    {"GET /\x01 HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "CTL in target"},
    {"GET /\x7f HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "DEL in target"},
    {"GET /a\0b HTTP/1.1\r\n\r\n", 21, MA_ERR_SYNTAX, 400, "NUL in target"},
    {"GET /\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "HTTP/0.9 request line"},
    {"GET / \r\n\r\n", 0, MA_ERR_SYNTAX, 400, "empty version"},
    {"GET\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "method only"},
    {"GET / http/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "lower-case HTTP name"},
    {"GET / HTTP/1.x\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "non-digit minor"},
    {"GET / HTTP/1.10\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "two-digit minor"},
    {"GET / HTTP/1,1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "comma in version"},
    {"GET / HTTP/11.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "two-digit major"},
    {"GET / HTTP/x.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "non-digit major"},
    {"GET / HTTP/2.0\r\n\r\n", 0, MA_ERR_SYNTAX, 505, "HTTP/2"},
    {"GET / HTTP/0.9\r\n\r\n", 0, MA_ERR_SYNTAX, 505, "HTTP/0.9 with version"},
    {"GET / HTTP/3", 0, MA_ERR_SYNTAX, 505, "505 as soon as the major digit is seen"},
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, MA_ERR_SYNTAX, 505, "h2 prior-knowledge preface"},
    {"GET / HTTP/1.1\rX", 0, MA_ERR_SYNTAX, 400, "bare CR after request line"},
    {"\rGET / HTTP/1.1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "bare CR before request line"},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, MA_ERR_SYNTAX, 400,
     "TLS ClientHello on the plain port"},
    {"GET / HTTP/1.1\r\n folded\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "whitespace before first header"},
    {"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "obs-fold with SP"},
    {"GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "obs-fold with HTAB"},
    {"GET / HTTP/1.1\nA: b\n c\n\n", 0, MA_ERR_SYNTAX, 400, "obs-fold after bare LF"},
    {"GET / HTTP/1.1\r\nA : b\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "space before colon"},
    {"GET / HTTP/1.1\r\nA\t: b\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "tab before colon"},
    {"GET / HTTP/1.1\r\n: b\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "empty header name"},
    {"GET / HTTP/1.1\r\nA\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "header without colon"},
    {"GET / HTTP/1.1\r\nA(b: c\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "non-token in name"},
    {"GET / HTTP/1.1\r\n\xc3\xa9: c\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "obs-text in name"},
    {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "bare CR in value"},
    {"GET / HTTP/1.1\r\nA: b\r\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "CR CR LF"},
    {"GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26, MA_ERR_SYNTAX, 400, "NUL in value"},
    {"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "CTL in value"},
    {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "DEL in value"},
    {"GET / HTTP/1.1\r\nA: b\r\n\rX", 0, MA_ERR_SYNTAX, 400, "bare CR as end of head"},
    {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, MA_ERR_SYNTAX, 400,
     "differing Content-Length"},
    {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 0, MA_ERR_SYNTAX, 400,
     "differing Content-Length reported before the head ends"},
    {"GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "list form"},
    {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "negative"},
    {"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "plus sign"},
    {"GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "hex"},
    {"GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "inner space"},
    {"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", 0, MA_ERR_SYNTAX, 400, "empty"},
    {"GET / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", 0, MA_ERR_SYNTAX, 400,
     "LLONG_MAX + 1"},
    {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0, MA_ERR_SYNTAX, 400,
     "overflow"},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, MA_ERR_SYNTAX, 501,
     "chunked request body"},
    {"POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n", 0, MA_ERR_SYNTAX, 501,
     "any Transfer-Encoding"},
    {"POST / HTTP/1.0\r\nTransfer-Encoding:\r\n\r\n", 0, MA_ERR_SYNTAX, 501, "empty TE, 1.0"},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0, MA_ERR_SYNTAX,
     400, "TE then CL: smuggling"},
    {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0, MA_ERR_SYNTAX,
     400, "CL then TE: smuggling"},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n", 0, MA_ERR_SYNTAX,
     400, "TE and bad CL"},
};

static void test_bad_rows(void)
{
    struct ma_http_req req;
    size_t i, n;
    int rc;

    for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
        const struct bad_row *r = &bad_rows[i];

        n = r->len ? r->len : strlen(r->in);
        rc = parse(r->in, n, &big, &req);
        if (rc != r->rc || req.status != r->status)
            fprintf(stderr, "row %zu (%s): rc %d status %d\n", i, r->comment, rc, req.status);
        CHECK_EQ(rc, r->rc);
        CHECK_EQ(req.status, r->status);
        /* a failed parse leaves nothing behind but the status */
        CHECK_EQ(req.num_headers, 0);
        CHECK_EQ(req.method.len, 0);
        CHECK_EQ(req.target.len, 0);
        CHECK_EQ(req.keep_alive, 0);
        CHECK_EQ(req.content_length, -1);
    }
}

/* ---- limits --------------------------------------------------------------------------------- */

static size_t build_line(char *out, size_t line_len)
{
    /* "GET /aaa...a HTTP/1.1" of exactly line_len bytes (line_len >= 16) */
    size_t n = 0;

    memcpy(out, "GET /", 5);
    n = 5;
    memset(out + n, 'a', line_len - 14);
    n += line_len - 14;
    memcpy(out + n, " HTTP/1.1", 9);
    return n + 9;
}

static void test_line_limit_default(void)
{
    static char in[MA_HTTP_MAX_LINE_DEFAULT + 64];
    struct ma_http_req req;
    size_t n;

    n = build_line(in, MA_HTTP_MAX_LINE_DEFAULT);
    memcpy(in + n, "\r\n\r\n", 4);
    CHECK_EQ(parse(in, n + 4, NULL, &req), (int)n + 4);
    CHECK_EQ(parse(in, n + 1, NULL, &req), MA_ERR_PARTIAL); /* CR at max_line is fine */

    n = build_line(in, MA_HTTP_MAX_LINE_DEFAULT + 1);
    memcpy(in + n, "\r\n\r\n", 4);
    CHECK_EQ(parse(in, n + 4, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 414);
    CHECK_EQ(parse(in, MA_HTTP_MAX_LINE_DEFAULT + 1, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 414);
    CHECK_EQ(parse(in, MA_HTTP_MAX_LINE_DEFAULT, NULL, &req), MA_ERR_PARTIAL);
    /* the limit is on the line, not on the leading empty lines */
    memmove(in + 4, in, n + 4);
    memcpy(in, "\r\n\r\n", 4);
    CHECK_EQ(parse(in, MA_HTTP_MAX_LINE_DEFAULT + 4, NULL, &req), MA_ERR_PARTIAL);
    CHECK_EQ(parse(in, MA_HTTP_MAX_LINE_DEFAULT + 5, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 414);
}

static void test_head_limit_default(void)
{
    static char in[MA_HTTP_MAX_HEAD_DEFAULT + 256];
    struct ma_http_req req;
    size_t n, pad;
    const size_t max = MA_HTTP_MAX_HEAD_DEFAULT;

    /* one big header sized so the head is exactly max_head bytes */
    n = 0;
    memcpy(in, "GET / HTTP/1.1\r\nBig: ", 21);
    n = 21;
    pad = max - n - 4;
    memset(in + n, 'x', pad);
    n += pad;
    memcpy(in + n, "\r\n\r\n", 4);
    n += 4;
    CHECK_EQ(n, max);
    CHECK_EQ(parse(in, n, NULL, &req), (int)max);
    CHECK_EQ(req.headers[0].value.len, pad);
    CHECK_EQ(parse(in, n - 1, NULL, &req), MA_ERR_PARTIAL);

    /* one more byte of value: 431, complete or not */
    memcpy(in + n - 4, "x\r\n\r\n", 5);
    n++;
    CHECK_EQ(parse(in, n, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 431);
    CHECK_EQ(parse(in, max + 1, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(parse(in, max, NULL, &req), MA_ERR_PARTIAL);

    /* endless empty lines are bounded by max_head too */
    memset(in, '\n', max + 1);
    CHECK_EQ(parse(in, max, NULL, &req), MA_ERR_PARTIAL);
    CHECK_EQ(parse(in, max + 1, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 431);

    /* a syntax error inside the window wins over the window being exceeded */
    memcpy(in, "GET / HTTP/1.1\r\nA : b\r\n", 23);
    memset(in + 23, 'x', max);
    CHECK_EQ(parse(in, max + 23, NULL, &req), MA_ERR_SYNTAX);
    CHECK_EQ(req.status, 400);
}

static void test_small_limits(void)
{
    const struct ma_http_limits lim = {16, 40};
    struct ma_http_req req;

    /* 16-byte line exactly */
    CHECK_EQ(parse("GET /ab HTTP/1.1\r\n\r\n", 20, &lim, &req), 20);
    CHECK_EQ(parse("GET /abc HTTP/1.1\r\n\r\n", 21, &lim, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 414);
    /* the byte past the limit is the version digit itself */
    CHECK_EQ(parse("GET /abc HTTP/1.1", 17, &lim, &req), MA_ERR_LIMIT);
    CHECK_EQ(parse("GET /abc HTTP/1.", 16, &lim, &req), MA_ERR_PARTIAL);
    /* 40-byte head exactly, then 41 */
    {
        const char *h40 = "GET /ab HTTP/1.1\r\nAa: 0123456789abcd\r\n\r\n";
        const char *h41 = "GET /ab HTTP/1.1\r\nAa: 0123456789abcde\r\n\r\n";
        CHECK_EQ(strlen(h40), 40);
        CHECK_EQ(parse(h40, 40, &lim, &req), 40);
        CHECK_EQ(parse(h41, 41, &lim, &req), MA_ERR_LIMIT);
        CHECK_EQ(req.status, 431);
        CHECK_EQ(parse(h41, 40, &lim, &req), MA_ERR_PARTIAL);
    }
    /* a zero limit refuses everything but an empty buffer */
    {
        const struct ma_http_limits zero = {0, 0};
        CHECK_EQ(parse("G", 1, &zero, &req), MA_ERR_LIMIT);
        CHECK_EQ(req.status, 431);
        CHECK_EQ(ma_http_parse_request(NULL, 0, &zero, &req), MA_ERR_PARTIAL);
    }
}

static size_t build_headers(char *out, size_t count)
{
    size_t i, n = 0;

    memcpy(out, "GET / HTTP/1.1\r\n", 16);
    n = 16;
    for (i = 0; i < count; i++)
        n += (size_t)sprintf(out + n, "H%zu: %zu\r\n", i, i);
    memcpy(out + n, "\r\n", 2);
    return n + 2;
}

static void test_header_count(void)
{
    static char in[MA_HTTP_MAX_HEADERS * 16 + 64];
    struct ma_http_req req;
    size_t n;

    n = build_headers(in, MA_HTTP_MAX_HEADERS);
    CHECK_EQ(parse(in, n, NULL, &req), (int)n);
    CHECK_EQ(req.num_headers, MA_HTTP_MAX_HEADERS);
    CHECK_STR(cs(req.headers[MA_HTTP_MAX_HEADERS - 1].value), "99");

    n = build_headers(in, MA_HTTP_MAX_HEADERS + 1);
    CHECK_EQ(parse(in, n, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 431);
    /* certain at the first byte of the 101st line ("H100: 100\r\n\r\n" is the tail) */
    CHECK_EQ(parse(in, n - 13 + 1, NULL, &req), MA_ERR_LIMIT);
    CHECK_EQ(req.status, 431);
    CHECK_EQ(parse(in, n - 13, NULL, &req), MA_ERR_PARTIAL);
}

/* ---- lookup --------------------------------------------------------------------------------- */

static void test_req_header(void)
{
    struct ma_http_req req;
    const struct ma_http_header *h;
    const char *in = KUBE_PROXIED;

    CHECK_EQ(parse(in, strlen(in), NULL, &req), (int)strlen(in));
    h = ma_http_req_header(&req, "x-remote-group");
    CHECK(h != NULL);
    if (h)
        CHECK_STR(cs(h->value), "system:serviceaccounts");
    h = ma_http_req_header(&req, "X-REMOTE-USER");
    CHECK(h != NULL);
    if (h)
        CHECK_STR(cs(h->value), "system:serviceaccount:kube-system:horizontal-pod-autoscaler");
    CHECK(ma_http_req_header(&req, "Authorization") == NULL);
    CHECK(ma_http_req_header(&req, "X-Remote") == NULL);
    CHECK(ma_http_req_header(&req, "X-Remote-Userx") == NULL);
    CHECK(ma_http_req_header(&req, "") == NULL);
}

/* Every byte value at every position of a small head: nothing crashes or reads past the guard,
 * and a success always consumed the whole head. */
static void test_byte_mutations(void)
{
    static const char base[] = "GET /a?b HTTP/1.1\r\nA: b\r\nContent-Length: 1\r\n\r\n";
    char in[sizeof(base)];
    struct ma_http_req req;
    size_t i, n = sizeof(base) - 1;
    int c, rc, bad = 0;

    for (i = 0; i < n; i++) {
        for (c = 0; c < 256; c++) {
            memcpy(in, base, n);
            in[i] = (char)c;
            rc = parse(in, n, NULL, &req);
            if (rc >= 0 && (size_t)rc > n)
                bad++;
            if (rc < 0 && rc != MA_ERR_PARTIAL && req.status == 0)
                bad++;
            if (rc == MA_ERR_PARTIAL && req.status != 0)
                bad++;
        }
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    T_RUN(test_ok_rows);
    T_RUN(test_ok_prefixes);
    T_RUN(test_limit_sweep);
    T_RUN(test_bad_rows);
    T_RUN(test_line_limit_default);
    T_RUN(test_head_limit_default);
    T_RUN(test_small_limits);
    T_RUN(test_header_count);
    T_RUN(test_req_header);
    T_RUN(test_byte_mutations);
    T_END();
}
