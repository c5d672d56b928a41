/* Fuzz ma_http_parse_response: slices inside the head, a reset response on failure, framing
 * fields backed by their headers, and agreement between limits: the head alone parses the same,
 * one byte less is incomplete, max_head at the head's size accepts it and one less refuses it. */
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

static void check_ok(const char *buf, size_t len, int rc, const struct ma_http_resp *r)
{
    size_t i, j, head = (size_t)rc;
    const struct ma_http_header *te, *cl;

    REQUIRE(rc > 0 && head <= len && buf[head - 1] == '\n');
    REQUIRE(memcmp(buf, "HTTP/1.", 7) == 0);
    REQUIRE(r->minor_version == (buf[7] == '0' ? 0 : 1));
    REQUIRE(r->status >= 100 && r->status <= 999);
    REQUIRE(r->keep_alive == 0 || r->keep_alive == 1);
    REQUIRE(r->chunked == 0 || r->chunked == 1);
    REQUIRE(r->content_length >= -1);
    REQUIRE(!(r->chunked && r->content_length >= 0));
    REQUIRE(r->num_headers <= MA_HTTP_MAX_HEADERS);
    check_slice(r->reason, buf, head);
    for (i = 0; i < r->reason.len; i++)
        REQUIRE(r->reason.p[i] == '\t' || ((unsigned char)r->reason.p[i] >= 0x20 &&
                                           r->reason.p[i] != 0x7f));
    for (i = 0; i < r->num_headers; i++) {
        const struct ma_http_header *h = &r->headers[i];
        check_slice(h->name, buf, head);
        check_slice(h->value, buf, head);
        REQUIRE(h->name.len > 0 && h->name.p[h->name.len] == ':');
        for (j = 0; j < h->value.len; j++) {
            unsigned char c = (unsigned char)h->value.p[j];
            REQUIRE(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
        if (h->value.len)
            REQUIRE(h->value.p[0] != ' ' && h->value.p[0] != '\t' &&
                    h->value.p[h->value.len - 1] != ' ' && h->value.p[h->value.len - 1] != '\t');
    }
    te = ma_http_find_header(r->headers, r->num_headers, "transfer-encoding");
    cl = ma_http_find_header(r->headers, r->num_headers, "content-length");
    REQUIRE((te != NULL) == r->chunked);
    REQUIRE((cl != NULL) == (r->content_length >= 0));
    if (r->chunked)
        REQUIRE(r->minor_version == 1);
    if (r->keep_alive && r->status >= 200 && r->status != 204 && r->status != 304)
        REQUIRE(r->chunked || r->content_length >= 0);
}

static void check_reset(const struct ma_http_resp *r)
{
    REQUIRE(r->status == 0 && r->minor_version == 0 && r->reason.len == 0);
    REQUIRE(r->num_headers == 0 && r->keep_alive == 0 && r->chunked == 0);
    REQUIRE(r->content_length == -1);
}

static int run(const char *buf, size_t len, size_t max_head, struct ma_http_resp *r)
{
    int rc = ma_http_parse_response(buf, len, max_head, r);

    switch (rc) {
    case MA_ERR_PARTIAL:
        REQUIRE(len <= max_head);
        check_reset(r);
        break;
    case MA_ERR_SYNTAX:
    case MA_ERR_LIMIT:
        check_reset(r);
        break;
    default:
        check_ok(buf, len, rc, r);
        REQUIRE((size_t)rc <= max_head);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ma_http_resp a, b;
    const char *buf = (const char *)data;
    int rd, rs;

    rd = run(buf, size, 1 << 20, &a);
    rs = run(buf, size, 64, &b);
    if (rs >= 0) {
        REQUIRE(rs == rd && a.status == b.status && a.num_headers == b.num_headers);
        REQUIRE(a.keep_alive == b.keep_alive && a.chunked == b.chunked);
        REQUIRE(a.content_length == b.content_length);
    }
    if (rd >= 0) {
        REQUIRE(run(buf, (size_t)rd, 1 << 20, &b) == rd);
        REQUIRE(b.status == a.status && b.content_length == a.content_length);
        REQUIRE(run(buf, (size_t)rd - 1, 1 << 20, &b) == MA_ERR_PARTIAL);
        REQUIRE(run(buf, size, (size_t)rd, &b) == rd);
        REQUIRE(run(buf, size, (size_t)rd - 1, &b) == MA_ERR_LIMIT);
    }
    if (rd == MA_ERR_PARTIAL)
        REQUIRE(rs == MA_ERR_PARTIAL || rs == MA_ERR_LIMIT);
    return 0;
}
