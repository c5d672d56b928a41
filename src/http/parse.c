#include <limits.h>

#include "base/err.h"
#include "http/parse.h"
#include "http/token.h"

/* Where the scan stands. `end` is min(len, max_head): past it a byte is either not received yet
 * (MA_ERR_PARTIAL) or beyond the head limit (431), which `eof` says. */
/* What the headers say about framing, gathered during the scan and judged at the end. */
struct framing {
    int has_cl, has_te, conn_close, conn_keep_alive;
};

static int fail(struct ma_http_req *req, int code, int status)
{
    req->status = status;
    return code;
}

static int run_out(struct cursor *c, struct ma_http_req *req)
{
    return c->eof == MA_ERR_PARTIAL ? MA_ERR_PARTIAL : fail(req, MA_ERR_LIMIT, 431);
}

/* Consume CRLF or a bare LF (RFC 9112 2.2) at c->p. */
static int eat_eol(struct cursor *c, struct ma_http_req *req)
{
    if (*c->p == '\r') {
        if (++c->p == c->end)
            return run_out(c, req);
        if (*c->p != '\n')
            return fail(req, MA_ERR_SYNTAX, 400); /* bare CR: RFC 9112 2.2 */
    } else if (*c->p != '\n') {
        return fail(req, MA_ERR_SYNTAX, 400);
    }
    c->p++;
    return MA_OK;
}

/* RFC 9112 2.2: a server SHOULD ignore at least one empty line received before the request line
 * (some clients send a CRLF after a POST body). They still count against max_head. */
static int skip_empty_lines(struct cursor *c, struct ma_http_req *req)
{
    int rc;

    for (;;) {
        if (c->p == c->end)
            return run_out(c, req);
        if (*c->p != '\r' && *c->p != '\n')
            return MA_OK;
        if ((rc = eat_eol(c, req)) != MA_OK)
            return rc;
    }
}

/* The request line ran out of bytes at p: either we hold more than max_line bytes of it (certain
 * 414), or we simply have no more input. */
static int line_out(struct cursor *c, const char *p, const char *start, size_t max_line,
                    struct ma_http_req *req)
{
    if ((size_t)(p - start) > max_line)
        return fail(req, MA_ERR_LIMIT, 414);
    return run_out(c, req);
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3), single SPs only: the
 * lenient whitespace split RFC 9112 3 allows is how request smuggling starts. */
static int parse_request_line(struct cursor *c, size_t max_line, struct ma_http_req *req)
{
    static const char name[] = "HTTP/1.";
    const char *start = c->p, *p = c->p, *s, *q, *lim = c->end;
    size_t i;

    /* A content byte at offset max_line proves the line too long: scan at most one past it. */
    if ((size_t)(c->end - start) > max_line)
        lim = start + max_line + 1;

    for (s = p; p < lim && IS(*p, C_TOKEN); p++)
        ;
    if (p == lim)
        return line_out(c, p, start, max_line, req);
    if (p == s || *p != ' ')
        return fail(req, MA_ERR_SYNTAX, 400);
    req->method = ma_str_make(s, (size_t)(p - s));

    for (s = ++p; p < lim && IS(*p, C_PATH); p++)
        ;
    q = p;
    if (p < lim && *p == '?')
        for (p++; p < lim && IS(*p, C_TARGET); p++)
            ;
    if (p == lim)
        return line_out(c, p, start, max_line, req);
    if (p == s || *p != ' ')
        return fail(req, MA_ERR_SYNTAX, 400);
    req->target = ma_str_make(s, (size_t)(p - s));
    req->path = ma_str_make(s, (size_t)(q - s));
    req->query = q < p ? ma_str_make(q + 1, (size_t)(p - q - 1)) : ma_str_make(p, 0);
    p++;

    /* HTTP-version = "HTTP/" DIGIT "." DIGIT; another major version is 505 (RFC 9110 15.6.6).
     * "HTTP/" is case-sensitive (RFC 9112 2.3). */
    for (i = 0; i < sizeof(name) - 1; i++, p++) {
        if (p == lim)
            return line_out(c, p, start, max_line, req);
        if (*p != name[i]) {
            if (i == 5 && *p >= '0' && *p <= '9')
                return fail(req, MA_ERR_SYNTAX, 505);
            return fail(req, MA_ERR_SYNTAX, 400);
        }
    }
    if (p == lim)
        return line_out(c, p, start, max_line, req);
    if (*p < '0' || *p > '9')
        return fail(req, MA_ERR_SYNTAX, 400);
    /* RFC 9110 2.5: an unknown 1.x is handled as the highest 1.x we implement */
    req->minor_version = *p == '0' ? 0 : 1;
    c->p = ++p;
    if ((size_t)(p - start) > max_line) /* the digit itself was the byte past the limit */
        return fail(req, MA_ERR_LIMIT, 414);

    if (c->p == c->end)
        return run_out(c, req);
    return eat_eol(c, req);
}

/* Connection = #connection-option (RFC 9110 7.6.1); only "close" and "keep-alive" matter. */
static void scan_connection(struct ma_str v, struct framing *f)
{
    struct ma_str item;
    size_t i = 0;

    while (next_list_item(v, &i, &item)) {
        if (ma_str_eq_nocase(item, "close"))
            f->conn_close = 1;
        else if (ma_str_eq_nocase(item, "keep-alive"))
            f->conn_keep_alive = 1;
    }
}

/* Note the headers that decide framing; the lengths filter before any string compare. */
static int inspect_header(const struct ma_http_header *h, struct framing *f,
                          struct ma_http_req *req)
{
    long long n;

    switch (h->name.len) {
    case 10:
        if (ma_str_eq_nocase(h->name, "connection"))
            scan_connection(h->value, f);
        break;
    case 14:
        if (!ma_str_eq_nocase(h->name, "content-length"))
            break;
        /* RFC 9112 6.3: differing or invalid Content-Length is unrecoverable framing */
        if (parse_content_length(h->value, &n) < 0 || (f->has_cl && n != req->content_length))
            return fail(req, MA_ERR_SYNTAX, 400);
        f->has_cl = 1;
        req->content_length = n;
        break;
    case 17:
        if (ma_str_eq_nocase(h->name, "transfer-encoding"))
            f->has_te = 1;
        break;
    }
    return MA_OK;
}

/* Field lines up to the empty line (token.h parse_field_line). */
static int parse_headers(struct cursor *c, struct framing *f, struct ma_http_req *req)
{
    struct ma_http_header *h;
    int rc;

    for (;;) {
        if (c->p == c->end)
            return run_out(c, req);
        if (*c->p == '\r' || *c->p == '\n')
            return eat_eol(c, req);
        if (req->num_headers == MA_HTTP_MAX_HEADERS)
            return fail(req, MA_ERR_LIMIT, 431);
        h = &req->headers[req->num_headers];
        switch (parse_field_line(c->p, c->end, h, &c->p)) {
        case FL_MORE:
            return run_out(c, req);
        case FL_BAD:
            return fail(req, MA_ERR_SYNTAX, 400);
        }
        req->num_headers++;
        if ((rc = inspect_header(h, f, req)) != MA_OK)
            return rc;
    }
}

static void reset(struct ma_http_req *req, const char *buf)
{
    req->method = req->target = req->path = req->query = ma_str_make(buf, 0);
    req->minor_version = 0;
    req->num_headers = 0;
    req->keep_alive = 0;
    req->content_length = -1;
    req->status = 0;
}

/* see http/parse.h */
int ma_http_parse_request(const char *buf, size_t len, const struct ma_http_limits *lim,
                          struct ma_http_req *req)
{
    size_t max_line = lim ? lim->max_line : MA_HTTP_MAX_LINE_DEFAULT;
    size_t max_head = lim ? lim->max_head : MA_HTTP_MAX_HEAD_DEFAULT;
    struct framing f = {0, 0, 0, 0};
    struct cursor c;
    int rc;

    reset(req, buf);
    if (max_head > INT_MAX) /* the consumed count is returned as an int */
        max_head = INT_MAX;
    if (len == 0)
        return MA_ERR_PARTIAL; /* also spares buf + 0 on a NULL buf */
    cursor_init(&c, buf, len, max_head);

    rc = skip_empty_lines(&c, req);
    if (rc == MA_OK)
        rc = parse_request_line(&c, max_line, req);
    if (rc == MA_OK)
        rc = parse_headers(&c, &f, req);
    if (rc == MA_OK && f.has_te)
        /* RFC 9112 6.1, 6.3: TE with CL may be request smuggling (400, and the caller closes);
         * TE alone means a body of unknown length, which we never accept: 501, the answer RFC
         * 9112 6.1 gives for a coding the server does not implement */
        rc = fail(req, MA_ERR_SYNTAX, f.has_cl ? 400 : 501);
    if (rc != MA_OK) {
        int status = req->status;
        reset(req, buf);
        req->status = status;
        return rc;
    }
    req->keep_alive = req->minor_version == 1 ? !f.conn_close : f.conn_keep_alive && !f.conn_close;
    return (int)(c.p - buf);
}

/* see http/parse.h */
const struct ma_http_header *ma_http_find_header(const struct ma_http_header *h, size_t n,
                                                 const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ma_str_eq_nocase(h[i].name, name))
            return &h[i];
    return NULL;
}

/* see http/parse.h */
const struct ma_http_header *ma_http_req_header(const struct ma_http_req *req, const char *name)
{
    return ma_http_find_header(req->headers, req->num_headers, name);
}
