#ifndef MA_TLS_SERVER_H
#define MA_TLS_SERVER_H

#include <stddef.h>

#include "net/conn.h"

struct ma_tls_keypair;
struct ma_errmsg;

/* TLS 1.2 server transport on BearSSL: ECDHE-ECDSA / ECDHE-RSA with AES-GCM and ChaCha20-Poly1305
 * (what Go clients, i.e. kube-apiserver, offer first: spec section 6), X25519/P-256/P-384, ALPN
 * "http/1.1" only (never h2), no renegotiation, a small shared session cache. Client certificates
 * are requested but not required; each connection records what the peer presented. */

/* What the TLS peer proved, kept for the authentication layer (issue 5). */
struct ma_tls_peer {
    int cert_presented;          /* the client sent a certificate and proved its key */
    unsigned char *leaf_der;     /* the leaf certificate (heap), NULL if none */
    size_t leaf_len;
    size_t chain_len;            /* certificates the client sent */
    const char *verify_error;    /* NULL: not verified yet (no client CA configured) */
};

struct ma_tls_server;

/* A server presenting kp. Takes ownership of kp (heap-allocated, filled by ma_tls_keypair_*;
 * released with ma_tls_keypair_free + free when replaced and no handshake uses it any more). */
struct ma_tls_server *ma_tls_server_new(struct ma_tls_keypair *kp);
/* Present kp to new connections from now on (certificate reload). Handshakes in progress finish
 * with the old pair, which is freed after the last of them. Takes ownership of kp. */
void ma_tls_server_set_keypair(struct ma_tls_server *s, struct ma_tls_keypair *kp);
void ma_tls_server_free(struct ma_tls_server *s);

/* Wrap the connected non-blocking socket fd (ownership of fd passes to the transport). Returns
 * the transport vtable pointer, whose close() closes fd and frees everything. NULL on failure
 * (fd is then closed). */
const struct ma_net_conn_class **ma_tls_server_accept(struct ma_tls_server *s, int fd,
                                                      struct ma_errmsg *em);

/* Cipher suite negotiated on transport c (made by ma_tls_server_accept), for logs and tests. */
unsigned ma_tls_conn_suite(const struct ma_net_conn_class **c);

#endif
