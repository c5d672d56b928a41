#ifndef MA_NET_CONN_H
#define MA_NET_CONN_H

#include <stddef.h>

struct ma_tls_peer;

/* A byte-stream transport (Redis connection.h): the HTTP server reads and writes through this
 * vtable and never knows whether TLS is underneath. Implementations: tls/server.c (BearSSL over a
 * non-blocking socket) and, in unit tests, an in-memory pipe. All calls are non-blocking. */
struct ma_net_conn_class {
    /* Up to len plaintext bytes into buf: > 0 bytes read, 0 end of stream, MA_ERR_PARTIAL when it
     * would block (see want), other negative codes on failure. */
    int (*read)(const struct ma_net_conn_class **c, void *buf, size_t len);
    /* Queue up to len bytes: >= 1 bytes accepted, MA_ERR_PARTIAL when nothing can be accepted
     * now, negative on failure. Accepted bytes may sit in the transport until flush. */
    int (*write)(const struct ma_net_conn_class **c, const void *buf, size_t len);
    /* Push queued bytes to the peer: MA_OK when all are sent, MA_ERR_PARTIAL, or negative. */
    int (*flush)(const struct ma_net_conn_class **c);
    /* After MA_ERR_PARTIAL: the MA_NET_READABLE / MA_NET_WRITABLE socket events needed to
     * progress. */
    unsigned (*want)(const struct ma_net_conn_class **c);
    /* 1 while bytes already received are buffered inside the transport (a caller that stops on
     * MA_ERR_PARTIAL from its own limits must not wait for the socket when this is 1). */
    int (*pending)(const struct ma_net_conn_class **c);
    /* 1 once the transport is established (TLS handshake done; always 1 for plain sockets). */
    int (*established)(const struct ma_net_conn_class **c);
    /* Facts about the peer's identity at the transport level (TLS client certificate), or NULL
     * for transports that have none. Valid until close. */
    const struct ma_tls_peer *(*peer)(const struct ma_net_conn_class **c);
    /* A short description of the last transport error, for logs ("" when none). */
    const char *(*last_error)(const struct ma_net_conn_class **c);
    /* Best-effort orderly close (TLS close_notify), close the socket, free the transport. */
    void (*close)(const struct ma_net_conn_class **c);
};

#endif
