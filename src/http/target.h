#ifndef MA_HTTP_TARGET_H
#define MA_HTTP_TARGET_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "http/client.h"

/* Where the HTTP client sends its requests (http/client.c): the base URL taken apart, the
 * server's address when the URL names an IP literal, and the request bytes it writes there. No
 * I/O: host names are resolved by the client through net/resolv.h. */

#define MA_HTTP_TARGET_MAX_PREFIX 512 /* "https://host/prefix": proxies' paths are short */

struct ma_http_target {
    int tls;             /* https */
    char host[256];      /* host without brackets: what is resolved and verified */
    char port[6];        /* decimal, default 443 / 80 */
    char authority[280]; /* Host header: host or [v6], ":port" unless the default */
    char where[280];     /* "host:port" / "[v6]:port" for messages */
    char prefix[MA_HTTP_TARGET_MAX_PREFIX]; /* path prefix without trailing '/', maybe "" */
    uint16_t portnum;  /* port as a number */
    int literal;       /* host is an IP literal: addr is final, never resolved */
    struct sockaddr_storage addr; /* the literal's address with portnum */
    socklen_t addrlen;
};

/* Parse url: "http://" or "https://" (any case), a host (a DNS name of letters, digits, '-', '.',
 * '_'; an IPv4 literal; or "[IPv6]"), an optional ":port" (1..65535), an optional path prefix
 * ("/a/b", trailing slashes dropped). User info, query, fragment and spaces are refused.
 * An IP literal fills addr at once (literal set); a name is left for the resolver.
 * MA_OK, or MA_ERR_SYNTAX / MA_ERR_LIMIT (prefix too long) with em naming the URL. */
int ma_http_target_parse(struct ma_http_target *t, const char *url, struct ma_errmsg *em);

/* Append the request for p (method, path, headers, body, content_type) to out:
 *   METHOD prefix+path HTTP/1.1, Host, User-Agent: metrics-adapter/<MA_VERSION>,
 *   Accept: application/json (unless p->headers has Accept), Content-Type (p->content_type),
 *   Content-Length (with a body, and for POST/PUT/PATCH), p->headers, CRLF, body.
 * No Accept-Encoding (we never want compressed bodies). MA_OK, or MA_ERR_SYNTAX with em when a
 * piece could break the framing: a method that is not a token (or over 16 bytes), a path not
 * starting with '/' or holding spaces or controls, headers not made of CRLF-ended lines (or with
 * a bare CR/LF or an empty line), CR/LF in content_type. Nothing is appended then. */
int ma_http_target_write_request(const struct ma_http_target *t,
                                 const struct ma_http_call_params *p, struct ma_buf *out,
                                 struct ma_errmsg *em);

#endif
