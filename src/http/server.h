#ifndef MA_HTTP_SERVER_H
#define MA_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "http/parse.h"

struct ma_net_loop;
struct ma_net_conn_class;
struct ma_tls_peer;
struct ma_http_conn;

/* HTTP/1.1 server connections over any transport (plain or TLS, see net/conn.h). The server parses
 * request heads, hands each request to one handler as a struct ma_http_exchange, and writes the
 * handler's response. Requests on one connection are answered strictly in order: a pipelined
 * request is parsed only after the previous response is queued. */

/* One request and its response. Owned by the connection; valid from the handler call until the
 * handler calls ma_http_respond (or until on_abort is called). */
struct ma_http_exchange {
    struct ma_http_req req;   /* slices into the connection's input buffer */
    struct ma_arena *arena;   /* per-request memory, reset after the response */
    struct ma_buf *body;      /* the handler writes the response body here (heap, bounded) */
    int head_only;            /* HEAD: the server sends headers only (Content-Length of body) */
    const struct ma_tls_peer *peer; /* TLS peer facts (client certificate outcome); NULL if plain */
    const char *user;         /* authenticated user for the request log line, or NULL */
    char remote[64];          /* "ip:port" of the peer, for logs */
    /* Set by a handler that answers asynchronously: called if the connection dies first. After
     * on_abort the handler MUST NOT touch the exchange. */
    void (*on_abort)(struct ma_http_exchange *ex);
    void *handler_data;
    /* private */
    struct ma_http_conn *_conn;
    int64_t _start_us;
};

/* The request handler. It MUST eventually call ma_http_respond exactly once, either before
 * returning or later from the event loop. */
typedef void (*ma_http_handler_fn)(void *ctx, struct ma_http_exchange *ex);

struct ma_http_server_config {
    struct ma_http_limits limits;
    int64_t handshake_timeout_ms; /* accept to end of TLS handshake */
    int64_t header_timeout_ms; /* first byte of a head to its end (slowloris) */
    int64_t idle_timeout_ms;   /* keep-alive idle */
    ma_http_handler_fn handler;
    void *handler_ctx;
};

struct ma_http_server;
struct ma_tls_server;
struct ma_errmsg;

/* A server on loop, handing requests to cfg->handler, over TLS from tls (not owned; MUST outlive
 * the server). cfg is copied. */
struct ma_http_server *ma_http_server_new(struct ma_net_loop *loop,
                                          const struct ma_http_server_config *cfg,
                                          struct ma_tls_server *tls);
/* Listen on addr (IPv4 or IPv6 literal) and port; accept at most max_conns connections at once
 * (more are closed right after accept). MA_OK or MA_ERR_IO with the cause in em. */
int ma_http_server_listen(struct ma_http_server *s, const char *addr, int port, int max_conns,
                          struct ma_errmsg *em);
/* Serve an already-established transport t on socket fd (watched on the loop; t owns fd).
 * The listener does this for every accepted TLS connection; tests use it with a plain
 * transport. `remote` names the peer in logs. */
void ma_http_server_adopt(struct ma_http_server *s, const struct ma_net_conn_class **t, int fd,
                          const char *remote);
/* Graceful shutdown, step one: close the listening socket, close idle connections, and mark busy
 * ones to close after their current response. */
void ma_http_server_shutdown(struct ma_http_server *s);
/* Connections still open. */
size_t ma_http_server_conns(const struct ma_http_server *s);
/* Close everything and free (in-flight handlers are aborted through on_abort). */
void ma_http_server_free(struct ma_http_server *s);

/* Queue the response: status line, Date, Content-Type (content_type MUST be a constant or
 * outlive the call), Content-Length from ex->body->len, `extra_headers` (each line ending in
 * "\r\n", MAY be NULL), Connection: close when the connection will close, then the body (skipped
 * for HEAD). If ex->body->err is set (response too large), a 500 Status is sent instead. After
 * this call the exchange is gone. */
void ma_http_respond(struct ma_http_exchange *ex, int status, const char *content_type,
                     const char *extra_headers);

/* Standard reason phrase ("OK", "Not Found", ...). */
const char *ma_http_reason(int status);

#endif
