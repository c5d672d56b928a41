#include "http/target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URL ----------------------------------------------------------------------------------- */

/* Fill addr from an IP literal host. 1 if it was one. */
static int set_literal(struct ma_http_target *t)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)&t->addr;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr;
    uint16_t port = htons(t->portnum);

    memset(&t->addr, 0, sizeof t->addr);
    if (inet_pton(AF_INET, t->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = port;
        t->addrlen = sizeof *s4;
    } else if (inet_pton(AF_INET6, t->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = port;
        t->addrlen = sizeof *s6;
    } else {
        return 0;
    }
    return 1;
}

static int is_host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_';
}

/* see http/target.h */
int ma_http_target_parse(struct ma_http_target *t, const char *url, struct ma_errmsg *em)
{
    const char *p = url, *h, *he, *path;
    unsigned long port = 0;
    size_t hl, i;
    int v6 = 0;

    memset(t, 0, sizeof *t);
    if (strncasecmp(p, "https://", 8) == 0) {
        t->tls = 1;
        p += 8;
    } else if (strncasecmp(p, "http://", 7) == 0) {
        p += 7;
    } else {
        ma_errmsg_set(em, "URL %.80s: scheme must be http:// or https://", url);
        return MA_ERR_SYNTAX;
    }
    path = p + strcspn(p, "/");
    if (strcspn(p, "?#@ \t\r\n") < (size_t)(path - p) || strpbrk(path, "?# \t\r\n") != NULL) {
        ma_errmsg_set(em, "URL %.80s: user info, query, fragment or spaces are not allowed", url);
        return MA_ERR_SYNTAX;
    }
    if (*p == '[') {
        h = p + 1;
        he = memchr(h, ']', (size_t)(path - h));
        if (he == NULL)
            goto bad_host;
        p = he + 1;
        v6 = 1;
    } else {
        h = p;
        he = p + strcspn(p, ":/");
        p = he;
    }
    hl = (size_t)(he - h);
    if (hl == 0 || hl >= sizeof t->host)
        goto bad_host;
    memcpy(t->host, h, hl);
    for (i = 0; i < hl && !v6; i++)
        if (!is_host_char(t->host[i]))
            goto bad_host;
    if (*p == ':') {
        char *end;

        p++;
        if (*p < '0' || *p > '9')
            goto bad_port;
        port = strtoul(p, &end, 10);
        if (end != path || port == 0 || port > 65535)
            goto bad_port;
    } else if (p != path) {
        goto bad_host;
    }
    if (port == 0)
        port = t->tls ? 443 : 80;
    snprintf(t->port, sizeof t->port, "%lu", port);
    t->portnum = (uint16_t)port;
    snprintf(t->where, sizeof t->where, v6 ? "[%s]:%lu" : "%s:%lu", t->host, port);
    if (port == (t->tls ? 443u : 80u))
        snprintf(t->authority, sizeof t->authority, v6 ? "[%s]" : "%s", t->host);
    else
        snprintf(t->authority, sizeof t->authority, "%s", t->where);
    hl = strlen(path);
    while (hl > 0 && path[hl - 1] == '/')
        hl--;
    if (hl >= sizeof t->prefix) {
        ma_errmsg_set(em, "URL %.80s: path prefix longer than %d bytes", url,
                      MA_HTTP_TARGET_MAX_PREFIX - 1);
        return MA_ERR_LIMIT;
    }
    memcpy(t->prefix, path, hl);
    t->literal = set_literal(t);
    if (v6 && !t->literal)
        goto bad_host;
    return MA_OK;
bad_host:
    ma_errmsg_set(em, "URL %.80s: bad host", url);
    return MA_ERR_SYNTAX;
bad_port:
    ma_errmsg_set(em, "URL %.80s: port must be 1..65535", url);
    return MA_ERR_SYNTAX;
}

/* ---- request ------------------------------------------------------------------------------- */

static int is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* 1 if the header block hdrs ("Name: value\r\n"...) has a line named name. */
static int has_header(const char *hdrs, const char *name)
{
    size_t n = strlen(name);
    const char *line = hdrs;

    while (line != NULL && *line != '\0') {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':')
            return 1;
        line = strstr(line, "\r\n");
        if (line != NULL)
            line += 2;
    }
    return 0;
}

/* The caller's pieces go to the wire verbatim: no CR or LF may smuggle in a header line or a
 * second request. */
static int check_params(const struct ma_http_call_params *p, struct ma_errmsg *em)
{
    const char *s;

    if (p->method == NULL || p->method[0] == '\0' || strlen(p->method) > 16)
        goto bad_method;
    for (s = p->method; *s; s++)
        if (!is_tchar(*s))
            goto bad_method;
    if (p->path == NULL || p->path[0] != '/') {
        ma_errmsg_set(em, "request path must start with '/'");
        return MA_ERR_SYNTAX;
    }
    for (s = p->path; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7F) {
            ma_errmsg_set(em, "request path has a space or control character");
            return MA_ERR_SYNTAX;
        }
    if (p->headers != NULL && p->headers[0] != '\0') {
        size_t n = strlen(p->headers);

        if (n < 2 || strcmp(p->headers + n - 2, "\r\n") != 0 || p->headers[0] == '\r' ||
            strstr(p->headers, "\r\n\r\n") != NULL)
            goto bad_headers;
        for (s = p->headers; *s; s++)
            if ((*s == '\n' && (s == p->headers || s[-1] != '\r')) || (*s == '\r' && s[1] != '\n'))
                goto bad_headers;
    }
    if (p->content_type != NULL && strpbrk(p->content_type, "\r\n") != NULL) {
        ma_errmsg_set(em, "content type has a CR or LF");
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
bad_method:
    ma_errmsg_set(em, "request method must be a token of at most 16 bytes");
    return MA_ERR_SYNTAX;
bad_headers:
    ma_errmsg_set(em, "extra headers must be lines each ending in CRLF");
    return MA_ERR_SYNTAX;
}

/* see http/target.h */
int ma_http_target_write_request(const struct ma_http_target *t,
                                 const struct ma_http_call_params *p, struct ma_buf *out,
                                 struct ma_errmsg *em)
{
    const char *hdrs;
    int wants_body, rc = check_params(p, em);

    if (rc != MA_OK)
        return rc;
    hdrs = p->headers ? p->headers : "";
    wants_body = p->body != NULL || strcmp(p->method, "POST") == 0 ||
                 strcmp(p->method, "PUT") == 0 || strcmp(p->method, "PATCH") == 0;
    ma_buf_appendf(out, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: metrics-adapter/%s\r\n",
                   p->method, t->prefix, p->path, t->authority, MA_VERSION);
    if (!has_header(hdrs, "Accept"))
        ma_buf_appends(out, "Accept: application/json\r\n");
    if (p->content_type != NULL && !has_header(hdrs, "Content-Type"))
        ma_buf_appendf(out, "Content-Type: %s\r\n", p->content_type);
    if (wants_body)
        ma_buf_appendf(out, "Content-Length: %zu\r\n", p->body ? p->body_len : 0);
    ma_buf_appends(out, hdrs);
    ma_buf_appends(out, "\r\n");
    if (p->body != NULL)
        ma_buf_append(out, p->body, p->body_len);
    return MA_OK;
}
