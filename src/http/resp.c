#include <limits.h>

#include "base/err.h"
#include "http/parse.h"
#include "http/token.h"

/* Response heads come from kube-apiserver and metric backends, which we chose to call, but a
 * proxy or a broken backend can send anything: the rules are the request parser's, and framing
 * we cannot follow safely (unknown codings, TE with CL) ends the exchange. */

/* Where the scan stands. `end` is min(len, max_head); `eof` says what running into it means:
 * MA_ERR_PARTIAL (more bytes may come) or MA_ERR_LIMIT (the head is too long). */
/* What the headers say about framing, judged once the head is complete. */
struct framing {
    int has_cl, has_te, te_items, te_chunked, conn_close, conn_keep_alive;
};

/* Consume CRLF or a bare LF (RFC 9112 2.2) at c->p < c->end. */
static int eat_eol(struct cursor *c)
{
    if (*c->p == '\r') {
        if (++c->p == c->end)
            return c->eof;
        if (*c->p != '\n')
            return MA_ERR_SYNTAX; /* bare CR */
    } else if (*c->p != '\n') {
        return MA_ERR_SYNTAX;
    }
    c->p++;
    return MA_OK;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4) */
static int parse_status_line(struct cursor *c, struct ma_http_resp *resp)
{
    static const char name[] = "HTTP/1.";
    const char *p = c->p, *s;
    int i;

    for (i = 0; i < (int)sizeof(name) - 1; i++, p++) {
        if (p == c->end)
            return c->eof;
        if (*p != name[i])
            return MA_ERR_SYNTAX;
    }
    if (p == c->end)
        return c->eof;
    if (*p < '0' || *p > '9')
        return MA_ERR_SYNTAX;
    resp->minor_version = *p++ == '0' ? 0 : 1; /* RFC 9110 2.5: 1.x counts as 1.1 */
    if (p == c->end)
        return c->eof;
    if (*p++ != ' ')
        return MA_ERR_SYNTAX;
    for (i = 0; i < 3; i++, p++) {
        if (p == c->end)
            return c->eof;
        if (*p < '0' || *p > '9' || (i == 0 && *p == '0'))
            return MA_ERR_SYNTAX;
        resp->status = resp->status * 10 + (*p - '0');
    }
    if (p == c->end)
        return c->eof;
    /* Go's client takes "HTTP/1.1 200" without the SP and reason; so do we */
    if (*p == ' ') {
        for (s = ++p; p < c->end && IS(*p, C_VALUE); p++)
            ;
        if (p == c->end)
            return c->eof;
        resp->reason = ma_str_make(s, (size_t)(p - s));
    } else {
        resp->reason = ma_str_make(p, 0);
    }
    c->p = p;
    return eat_eol(c);
}

/* Note the headers that decide framing; the lengths filter before any string compare. */
static int inspect_header(const struct ma_http_header *h, struct framing *f,
                          struct ma_http_resp *resp)
{
    struct ma_str item;
    size_t i = 0;
    long long n;

    switch (h->name.len) {
    case 10:
        if (!ma_str_eq_nocase(h->name, "connection"))
            break;
        while (next_list_item(h->value, &i, &item)) {
            if (ma_str_eq_nocase(item, "close"))
                f->conn_close = 1;
            else if (ma_str_eq_nocase(item, "keep-alive"))
                f->conn_keep_alive = 1;
        }
        break;
    case 14:
        if (!ma_str_eq_nocase(h->name, "content-length"))
            break;
        /* RFC 9112 6.3: an invalid or conflicting Content-Length is unrecoverable framing */
        if (parse_content_length(h->value, &n) < 0 || (f->has_cl && n != resp->content_length))
            return MA_ERR_SYNTAX;
        f->has_cl = 1;
        resp->content_length = n;
        break;
    case 17:
        if (!ma_str_eq_nocase(h->name, "transfer-encoding"))
            break;
        /* the codings of every TE line, in order (RFC 9110 5.3); we decode chunked alone */
        f->has_te = 1;
        while (next_list_item(h->value, &i, &item)) {
            f->te_items++;
            f->te_chunked = ma_str_eq_nocase(item, "chunked");
        }
        break;
    }
    return MA_OK;
}

/* Field lines up to the empty line (token.h parse_field_line). */
static int parse_headers(struct cursor *c, struct framing *f, struct ma_http_resp *resp)
{
    struct ma_http_header *h;
    int rc;

    for (;;) {
        if (c->p == c->end)
            return c->eof;
        if (*c->p == '\r' || *c->p == '\n')
            return eat_eol(c);
        if (resp->num_headers == MA_HTTP_MAX_HEADERS)
            return MA_ERR_LIMIT;
        h = &resp->headers[resp->num_headers];
        switch (parse_field_line(c->p, c->end, h, &c->p)) {
        case FL_MORE:
            return c->eof;
        case FL_BAD:
            return MA_ERR_SYNTAX;
        }
        resp->num_headers++;
        if ((rc = inspect_header(h, f, resp)) != MA_OK)
            return rc;
    }
}

/* Framing from the complete head (RFC 9112 6.1, 6.3). */
static int judge_framing(const struct framing *f, struct ma_http_resp *resp)
{
    int bodyless = resp->status < 200 || resp->status == 204 || resp->status == 304;

    if (f->has_te) {
        /* anything but a single chunked cannot be decoded (an empty list neither: 1#coding);
         * TE with CL may be smuggling; TE in HTTP/1.0 is faulty framing (RFC 9112 6.1) */
        if (f->te_items != 1 || !f->te_chunked || f->has_cl || resp->minor_version == 0)
            return MA_ERR_SYNTAX;
        resp->chunked = 1;
    }
    resp->keep_alive =
        resp->minor_version == 1 ? !f->conn_close : f->conn_keep_alive && !f->conn_close;
    if (!f->has_cl && !resp->chunked && !bodyless)
        resp->keep_alive = 0; /* the body ends when the server closes */
    return MA_OK;
}

static void reset(struct ma_http_resp *resp, const char *buf)
{
    resp->minor_version = 0;
    resp->status = 0;
    resp->reason = ma_str_make(buf, 0);
    resp->num_headers = 0;
    resp->keep_alive = 0;
    resp->chunked = 0;
    resp->content_length = -1;
}

/* see http/parse.h */
int ma_http_parse_response(const char *buf, size_t len, size_t max_head, struct ma_http_resp *resp)
{
    struct framing f = {0, 0, 0, 0, 0, 0};
    struct cursor c;
    int rc;

    reset(resp, buf);
    if (max_head > INT_MAX) /* the head length is returned as an int */
        max_head = INT_MAX;
    if (len == 0)
        return MA_ERR_PARTIAL; /* also spares buf + 0 on a NULL buf */
    cursor_init(&c, buf, len, max_head);

    rc = parse_status_line(&c, resp);
    if (rc == MA_OK)
        rc = parse_headers(&c, &f, resp);
    if (rc == MA_OK)
        rc = judge_framing(&f, resp);
    if (rc != MA_OK) {
        reset(resp, buf);
        return rc;
    }
    return (int)(c.p - buf);
}
