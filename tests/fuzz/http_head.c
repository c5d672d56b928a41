/* Fuzz ma_http_parse_request with default and small limits; assert the contract's invariants:
 * slices inside the input, consumed <= len, a status for every error and none otherwise, reset
 * fields on failure, and agreement between the limit settings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "http/parse.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_slice(struct ma_str s, const char *buf, size_t len)
{
    REQUIRE(s.p >= buf && s.len <= len && s.p - buf <= (ptrdiff_t)(len - s.len));
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static void check_ok(const char *buf, size_t len, int rc, const struct ma_http_req *req)
{
    size_t i, j, head = (size_t)rc;

    REQUIRE(rc > 0 && head <= len);
    REQUIRE(req->status == 0);
    REQUIRE(req->minor_version == 0 || req->minor_version == 1);
    REQUIRE(req->keep_alive == 0 || req->keep_alive == 1);
    REQUIRE(req->content_length >= -1);
    REQUIRE(req->num_headers <= MA_HTTP_MAX_HEADERS);
    REQUIRE(buf[head - 1] == '\n');
    check_slice(req->method, buf, head);
    check_slice(req->target, buf, head);
    check_slice(req->path, buf, head);
    check_slice(req->query, buf, head);
    REQUIRE(req->method.len > 0 && req->target.len > 0);
    /* target = path [ "?" query ] */
    REQUIRE(req->path.p == req->target.p);
    if (req->path.len == req->target.len) {
        REQUIRE(req->query.len == 0);
    } else {
        REQUIRE(req->target.p[req->path.len] == '?');
        REQUIRE(req->query.p == req->target.p + req->path.len + 1);
        REQUIRE(req->path.len + 1 + req->query.len == req->target.len);
    }
    REQUIRE(memchr(req->path.p, '?', req->path.len) == NULL);
    for (i = 0; i < req->target.len; i++)
        REQUIRE((unsigned char)req->target.p[i] > 0x20 && req->target.p[i] != 0x7f);
    for (i = 0; i < req->num_headers; i++) {
        const struct ma_http_header *h = &req->headers[i];
        check_slice(h->name, buf, head);
        check_slice(h->value, buf, head);
        REQUIRE(h->name.len > 0);
        REQUIRE(h->name.p[h->name.len] == ':');
        for (j = 0; j < h->value.len; j++) {
            unsigned char c = (unsigned char)h->value.p[j];
            REQUIRE(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
        if (h->value.len)
            REQUIRE(!is_ows(h->value.p[0]) && !is_ows(h->value.p[h->value.len - 1]));
    }
    if (req->content_length >= 0)
        REQUIRE(ma_http_req_header(req, "content-length") != NULL);
    REQUIRE(ma_http_req_header(req, "transfer-encoding") == NULL);
}

static void check_reset(const struct ma_http_req *req)
{
    REQUIRE(req->num_headers == 0 && req->method.len == 0 && req->target.len == 0);
    REQUIRE(req->path.len == 0 && req->query.len == 0);
    REQUIRE(req->keep_alive == 0 && req->content_length == -1);
}

static int run(const char *buf, size_t len, const struct ma_http_limits *lim,
               struct ma_http_req *req)
{
    size_t max_head = lim ? lim->max_head : MA_HTTP_MAX_HEAD_DEFAULT;
    int rc = ma_http_parse_request(buf, len, lim, req);

    switch (rc) {
    case MA_ERR_PARTIAL:
        REQUIRE(req->status == 0 && len <= max_head);
        check_reset(req);
        break;
    case MA_ERR_SYNTAX:
        REQUIRE(req->status == 400 || req->status == 501 || req->status == 505);
        check_reset(req);
        break;
    case MA_ERR_LIMIT:
        REQUIRE(req->status == 414 || req->status == 431);
        check_reset(req);
        break;
    default:
        check_ok(buf, len, rc, req);
        REQUIRE((size_t)rc <= max_head);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ma_http_req a, b;
    static const struct ma_http_limits small = {16, 64};
    const char *buf = (const char *)data;
    struct ma_http_limits tight;
    int rd, rs, rt, r;

    rd = run(buf, size, NULL, &a);
    rs = run(buf, size, &small, &b);
    /* every head within the small limits is within the default ones, parsed the same */
    if (rs >= 0) {
        REQUIRE(rd == rs);
        REQUIRE(a.num_headers == b.num_headers && a.keep_alive == b.keep_alive);
        REQUIRE(a.content_length == b.content_length && a.method.p == b.method.p);
    }
    if (rd >= 0) {
        /* the head alone parses the same; one byte less is incomplete */
        REQUIRE(run(buf, (size_t)rd, NULL, &b) == rd);
        REQUIRE(run(buf, (size_t)rd - 1, NULL, &b) == MA_ERR_PARTIAL);
        /* limits exactly at the head's size accept it; one less refuses it */
        tight.max_head = (size_t)rd;
        tight.max_line = MA_HTTP_MAX_LINE_DEFAULT;
        REQUIRE(run(buf, size, &tight, &b) == rd);
        tight.max_head = (size_t)rd - 1;
        r = run(buf, size, &tight, &b);
        REQUIRE(r == MA_ERR_LIMIT && b.status == 431);
    }
    /* limits derived from the input length exercise the boundaries */
    tight.max_line = size / 3;
    tight.max_head = size > 0 ? size - 1 : 0;
    rt = run(buf, size, &tight, &b);
    if (rt >= 0)
        REQUIRE(rt == rd);
    return 0;
}
