/* tests src/http/target.c: base URL parsing and the request bytes the HTTP client writes */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/target.h"
#include "t.h"

struct url_row {
    const char *url;
    int rc;
    int tls;
    const char *host, *port, *authority, *where, *prefix;
    int literal;
    const char *comment;
};

static const struct url_row url_rows[] = {
    {"https://10.96.0.1", MA_OK, 1, "10.96.0.1", "443", "10.96.0.1", "10.96.0.1:443", "", 1,
     "in-cluster: IP, default port"},
    {"https://10.96.0.1:443/", MA_OK, 1, "10.96.0.1", "443", "10.96.0.1", "10.96.0.1:443", "", 1,
     "explicit default port is left out of Host"},
    {"HTTP://falcon.example:8080/api/v1/", MA_OK, 0, "falcon.example", "8080",
     "falcon.example:8080", "falcon.example:8080", "/api/v1", 0, "scheme any case, prefix"},
    {"http://[::1]:6443", MA_OK, 0, "::1", "6443", "[::1]:6443", "[::1]:6443", "", 1, "IPv6"},
    {"https://[fd00::10]/p//", MA_OK, 1, "fd00::10", "443", "[fd00::10]", "[fd00::10]:443", "/p", 1,
     "IPv6 default port, trailing slashes"},
    {"http://kubernetes.default.svc", MA_OK, 0, "kubernetes.default.svc", "80",
     "kubernetes.default.svc", "kubernetes.default.svc:80", "", 0, "name, default port 80"},
    {"ftp://x", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "scheme"},
    {"https://", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "no host"},
    {"https://:443", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "empty host"},
    {"https://h:0", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "port 0"},
    {"https://h:65536", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "port too big"},
    {"https://h:44x", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "port not a number"},
    {"https://h:", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "empty port"},
    {"https://user@h", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "user info"},
    {"https://h/p?q=1", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "query"},
    {"https://h/p#f", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "fragment"},
    {"https://h h", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "space"},
    {"https://[::1", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "unclosed bracket"},
    {"https://[nothex]:1", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "bracketed non-IPv6"},
    {"https://[::1]x", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "junk after bracket"},
    {"https://h$x", MA_ERR_SYNTAX, 0, 0, 0, 0, 0, 0, 0, "bad host character"},
};

static void test_parse_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof url_rows / sizeof url_rows[0]; i++) {
        const struct url_row *r = &url_rows[i];
        struct ma_http_target t;
        struct ma_errmsg em;
        int rc = ma_http_target_parse(&t, r->url, &em);

        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->rc);
        if (rc != MA_OK || r->rc != MA_OK) {
            if (rc != MA_OK)
                CHECK(strstr(em.msg, "URL ") == em.msg);
            continue;
        }
        CHECK_EQ(t.tls, r->tls);
        CHECK_STR(t.host, r->host);
        CHECK_STR(t.port, r->port);
        CHECK_STR(t.authority, r->authority);
        CHECK_STR(t.where, r->where);
        CHECK_STR(t.prefix, r->prefix);
        CHECK_EQ(t.literal, r->literal);
        CHECK_EQ(t.portnum, atoi(r->port));
        CHECK_EQ(t.addrlen != 0, r->literal);
    }
}

static void test_literal_address(void)
{
    struct ma_http_target t;
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&t.addr;
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&t.addr;

    CHECK_EQ(ma_http_target_parse(&t, "https://10.96.0.1:6443", NULL), MA_OK);
    CHECK_EQ(s4->sin_family, AF_INET);
    CHECK_EQ(ntohs(s4->sin_port), 6443);
    CHECK_EQ(ntohl(s4->sin_addr.s_addr), 0x0A600001);
    CHECK_EQ(ma_http_target_parse(&t, "http://[::1]", NULL), MA_OK);
    CHECK_EQ(s6->sin6_family, AF_INET6);
    CHECK_EQ(ntohs(s6->sin6_port), 80);
    CHECK(s6->sin6_addr.s6_addr[15] == 1);
}

static void test_prefix_limit(void)
{
    struct ma_http_target t;
    char url[700];

    memset(url, 'a', sizeof url);
    memcpy(url, "http://h/", 9);
    url[9 + MA_HTTP_TARGET_MAX_PREFIX - 2] = '\0'; /* prefix of MAX - 1 bytes: fits */
    CHECK_EQ(ma_http_target_parse(&t, url, NULL), MA_OK);
    CHECK_EQ(strlen(t.prefix), MA_HTTP_TARGET_MAX_PREFIX - 1);
    url[9 + MA_HTTP_TARGET_MAX_PREFIX - 2] = 'a';
    url[9 + MA_HTTP_TARGET_MAX_PREFIX - 1] = '\0';
    CHECK_EQ(ma_http_target_parse(&t, url, NULL), MA_ERR_LIMIT);
}

/* ---- requests ---------------------------------------------------------------------------- */

struct req_row {
    const char *method, *path, *headers, *body, *content_type;
    int rc;
    const char *want; /* whole request, MA_VERSION spliced in for "@V" */
    const char *comment;
};

#define UA "User-Agent: metrics-adapter/" MA_VERSION "\r\n"

static const struct req_row req_rows[] = {
    {"GET", "/api/v1/pods?limit=500", NULL, NULL, NULL, MA_OK,
     "GET /pfx/api/v1/pods?limit=500 HTTP/1.1\r\nHost: h:8080\r\n" UA
     "Accept: application/json\r\n\r\n",
     "plain GET"},
    {"GET", "/x", "Authorization: Bearer t\r\naccept: */*\r\n", NULL, NULL, MA_OK,
     "GET /pfx/x HTTP/1.1\r\nHost: h:8080\r\n" UA "Authorization: Bearer t\r\naccept: */*\r\n\r\n",
     "caller's Accept (any case) replaces ours"},
    {"POST", "/r", NULL, "{}", "application/json", MA_OK,
     "POST /pfx/r HTTP/1.1\r\nHost: h:8080\r\n" UA
     "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
     "POST with a body"},
    {"POST", "/r", NULL, NULL, NULL, MA_OK,
     "POST /pfx/r HTTP/1.1\r\nHost: h:8080\r\n" UA
     "Accept: application/json\r\nContent-Length: 0\r\n\r\n",
     "POST without a body still says its length"},
    {"GET", "x", NULL, NULL, NULL, MA_ERR_SYNTAX, NULL, "path without '/'"},
    {"GET", "/a b", NULL, NULL, NULL, MA_ERR_SYNTAX, NULL, "space in path"},
    {"GET", "/a\r\nX: y", NULL, NULL, NULL, MA_ERR_SYNTAX, NULL, "CRLF in path"},
    {"G T", "/", NULL, NULL, NULL, MA_ERR_SYNTAX, NULL, "method not a token"},
    {"", "/", NULL, NULL, NULL, MA_ERR_SYNTAX, NULL, "empty method"},
    {"GET", "/", "X: y", NULL, NULL, MA_ERR_SYNTAX, NULL, "header without CRLF"},
    {"GET", "/", "X: y\r\n\r\nGET / HTTP/1.1\r\n", NULL, NULL, MA_ERR_SYNTAX, NULL,
     "smuggled request"},
    {"GET", "/", "X: y\nZ: w\r\n", NULL, NULL, MA_ERR_SYNTAX, NULL, "bare LF"},
    {"GET", "/", "X: a\rb\r\n", NULL, NULL, MA_ERR_SYNTAX, NULL, "bare CR"},
    {"GET", "/", "\r\n", NULL, NULL, MA_ERR_SYNTAX, NULL, "empty header line"},
    {"POST", "/", NULL, "x", "a\r\nb", MA_ERR_SYNTAX, NULL, "CRLF in content type"},
};

static void test_request_rows(void)
{
    struct ma_http_target t;
    size_t i;

    CHECK_EQ(ma_http_target_parse(&t, "http://h:8080/pfx", NULL), MA_OK);
    for (i = 0; i < sizeof req_rows / sizeof req_rows[0]; i++) {
        const struct req_row *r = &req_rows[i];
        struct ma_http_call_params p = {0};
        struct ma_buf out;
        struct ma_errmsg em;
        int rc;

        p.method = r->method;
        p.path = r->path;
        p.headers = r->headers;
        p.body = r->body;
        p.body_len = r->body ? strlen(r->body) : 0;
        p.content_type = r->content_type;
        ma_buf_init_heap(&out, 1 << 20);
        rc = ma_http_target_write_request(&t, &p, &out, &em);
        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->rc);
        if (rc == MA_OK && r->want != NULL) {
            CHECK_STR(ma_buf_cstr(&out), r->want);
        } else {
            CHECK_EQ(out.len, 0); /* nothing appended on error */
        }
        ma_buf_free(&out);
    }
}

int main(void)
{
    T_RUN(test_parse_rows);
    T_RUN(test_literal_address);
    T_RUN(test_prefix_limit);
    T_RUN(test_request_rows);
    T_END();
}
