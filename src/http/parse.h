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

/* First header named `name` (ASCII case-insensitive), or NULL. */
const struct ma_http_header *ma_http_req_header(const struct ma_http_req *req, const char *name);

#endif
