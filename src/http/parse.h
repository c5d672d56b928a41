#ifndef MA_HTTP_PARSE_H
#define MA_HTTP_PARSE_H

#include <stddef.h>

#include "base/limits.h"
#include "base/str.h"

/* Zero-copy HTTP/1.x request-head parser (picohttpparser's model): it never allocates and every
 * string it returns is a slice into the caller's buffer. */

struct ma_http_header {
    struct ma_str name, value; /* value has surrounding OWS trimmed */
};

struct ma_http_limits {
    size_t max_line; /* request line, bytes without CRLF; exceeded -> MA_ERR_LIMIT, status 414 */
    size_t max_head; /* whole head incl. final CRLFCRLF; exceeded -> MA_ERR_LIMIT, status 431 */
};

struct ma_http_req {
    struct ma_str method;      /* token, case-sensitive ("GET") */
    struct ma_str target;      /* raw request-target as sent: "/apis/x?labelSelector=a%3Db" */
    struct ma_str path;        /* target up to '?' or end (still percent-encoded) */
    struct ma_str query;       /* after '?' (without it), possibly empty */
    int minor_version;         /* 0 or 1 (HTTP/1.0 or HTTP/1.1) */
    struct ma_http_header headers[MA_HTTP_MAX_HEADERS];
    size_t num_headers;
    /* derived from the headers */
    int keep_alive;            /* 1.1 default on unless "Connection: close"; 1.0 only with keep-alive */
    long long content_length;  /* -1 when absent */
    int status;                /* on error: the status to answer (400, 414, 431, 501, 505) */
};

/* Parse one request head from buf[0..len). On success fill *req with slices into buf (buf MUST
 * outlive *req) and return the number of bytes consumed (the head including its final CRLFCRLF).
 * lim MAY be NULL: the MA_HTTP_MAX_*_DEFAULT limits apply. The parser keeps no state between calls:
 * when more bytes arrive, call again from the start of the head.
 * MA_ERR_PARTIAL: the head is incomplete and no limit is exceeded yet; call again with more bytes.
 * MA_ERR_SYNTAX: malformed head (req->status = 400; 505 for an HTTP major version other than 1;
 *   501 for any Transfer-Encoding, since we never accept request bodies of unknown length).
 * MA_ERR_LIMIT: the request line is longer than lim->max_line (status 414), or the head is longer
 *   than lim->max_head or has more than MA_HTTP_MAX_HEADERS lines (status 431). A limit is
 *   reported as soon as it is certain, even before the head is complete.
 * On any negative return every field of *req is reset (empty slices, num_headers 0, keep_alive 0,
 * content_length -1) except status: 0 for MA_ERR_PARTIAL, else the status to answer. Errors are
 * reported in scan order (the first fault found decides), except Transfer-Encoding, which is
 * judged once the head is complete.
 * Rules: request-line = method SP request-target SP "HTTP/1." DIGIT CRLF, single SPs; the target
 * is 1*(VCHAR / obs-text), and "HTTP/1.2".."HTTP/1.9" are handled as 1.1 (RFC 9110 2.5); bare LF
 * line endings are accepted (RFC 9112 2.2), a bare CR is not; obsolete line folding (and
 * whitespace before the first header) is a syntax error; header names are tokens followed directly
 * by ':'; a field value holds only HTAB, SP, VCHAR and obs-text (so no CR, LF, NUL or other CTL);
 * Content-Length is 1*DIGIT (no list form) and repeats only with the same value, else a syntax
 * error; Content-Length together with Transfer-Encoding is a syntax error (request smuggling,
 * RFC 9112 6.3). Leading empty lines before the request line are skipped (RFC 9112 2.2) and
 * counted in the consumed bytes and against max_head. The Host header is not checked here. */
int ma_http_parse_request(const char *buf, size_t len, const struct ma_http_limits *lim,
                          struct ma_http_req *req);

/* A response head, for the HTTP client. */
struct ma_http_resp {
    int minor_version;
    int status;                /* 100..999 */
    struct ma_str reason;
    struct ma_http_header headers[MA_HTTP_MAX_HEADERS];
    size_t num_headers;
    int keep_alive;            /* the server will keep the connection open */
    int chunked;               /* Transfer-Encoding: chunked (the last coding) */
    long long content_length;  /* -1 when absent (then: chunked, or read until close) */
};

/* Parse one response head from buf[0..len) (same conventions as ma_http_parse_request: slices
 * into buf; >= 0 head length, MA_ERR_PARTIAL, MA_ERR_SYNTAX, MA_ERR_LIMIT for a head longer than
 * max_head or with too many headers). A Transfer-Encoding other than chunked, or both chunked
 * and Content-Length, is MA_ERR_SYNTAX (we cannot frame it safely).
 * Details: status-line = "HTTP/1." DIGIT SP 3DIGIT [SP reason] CRLF; the reason and the SP before
 * it may be missing, as Go's client allows ("HTTP/1.1 200"); status 100..999; "HTTP/1.2".."1.9"
 * count as 1.1; other major versions are MA_ERR_SYNTAX. Header lines follow the request rules
 * (tokens directly followed by ':', values of HTAB/SP/VCHAR/obs-text, OWS trimmed, no obs-fold,
 * bare LF accepted, bare CR not); no empty lines before the status line. Content-Length is
 * 1*DIGIT, repeated only with the same value. Transfer-Encoding must be exactly one "chunked"
 * (any case) over all its lines, and is MA_ERR_SYNTAX in an HTTP/1.0 response (RFC 9112 6.1:
 * faulty framing). keep_alive is 1.1's default or 1.0's "keep-alive", off with "close", and
 * also off when the body is delimited by close (no Content-Length, not chunked, a status other
 * than 1xx, 204, 304). The parser does not know the request: after HEAD the caller reads no body
 * whatever the headers say. On any negative return *resp is reset (status 0, empty slices, num_headers 0,
 * keep_alive 0, chunked 0, content_length -1). */
int ma_http_parse_response(const char *buf, size_t len, size_t max_head, struct ma_http_resp *resp);

/* First of h[0..n) named `name` (ASCII case-insensitive), or NULL. Works on request and response
 * headers alike. */
const struct ma_http_header *ma_http_find_header(const struct ma_http_header *h, size_t n,
                                                 const char *name);
/* First header named `name` (ASCII case-insensitive), or NULL. */
const struct ma_http_header *ma_http_req_header(const struct ma_http_req *req, const char *name);

#endif
