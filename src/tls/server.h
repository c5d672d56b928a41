#ifndef MA_TLS_SERVER_H
#define MA_TLS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "net/conn.h"

struct ma_tls_keypair;
struct ma_errmsg;

/* TLS 1.2 server transport on BearSSL: ECDHE-ECDSA / ECDHE-RSA with AES-GCM and ChaCha20-Poly1305
 * (what Go clients, i.e. kube-apiserver, offer first: spec section 6), X25519/P-256/P-384, ALPN
 * "http/1.1" only (never h2), no renegotiation, a small shared session cache. Client certificates
 * are requested but not required; each connection records what the peer presented. */

/* What the TLS peer proved, kept for the authentication layer (auth/, issue 5). The handshake
 * never fails on trust: the client's chain is recorded as sent and verified per request against
 * the CA pools then in force (tls/peercert.h), so a bad certificate gets a 401 Status. */
struct ma_tls_peer {
    int cert_presented;          /* the client sent a certificate and proved its key */
    unsigned char *leaf_der;     /* the leaf certificate (== certs[0]), NULL if none */
    size_t leaf_len;
    size_t chain_len;            /* certificates the client sent */
    const char *verify_error;    /* unused by the server itself; kept for compatibility */
    /* The first MA_TLS_MAX_PEER_CERTS certificates as sent (leaf first), DER, valid for the
     * connection's life. chain_over: the chain exceeded MA_TLS_MAX_PEER_CERTS certificates or
     * MA_TLS_MAX_PEER_CHAIN_BYTES bytes, so it cannot be verified (treated as untrusted). */
    const unsigned char *certs[MA_TLS_MAX_PEER_CERTS];
    size_t cert_lens[MA_TLS_MAX_PEER_CERTS];
    size_t ncerts;
    int chain_over;
    /* Unique per connection in this process (never 0 once a certificate was presented): the
     * chain of a connection never changes, so verdicts can be cached per serial. */
    uint64_t serial;
};

struct ma_tls_server;

/* A server presenting kp. Takes ownership of kp (heap-allocated, filled by ma_tls_keypair_*;
 * released with ma_tls_keypair_free + free when replaced and no handshake uses it any more). */
struct ma_tls_server *ma_tls_server_new(struct ma_tls_keypair *kp);
/* Present kp to new connections from now on (certificate reload). Handshakes in progress finish
 * with the old pair, which is freed after the last of them. Takes ownership of kp. */
void ma_tls_server_set_keypair(struct ma_tls_server *s, struct ma_tls_keypair *kp);
void ma_tls_server_free(struct ma_tls_server *s);
/* Name the CAs of sets[0..nsets) (entries MAY be NULL) in the CertificateRequest of new
 * handshakes, as Go lists its ClientCAs; with none, one empty name is sent, so clients still offer
 * their certificate. The names are copied. */
struct ma_tls_anchors;
void ma_tls_server_set_client_cas(struct ma_tls_server *s, struct ma_tls_anchors *const *sets,
                                  size_t nsets);

/* Wrap the connected non-blocking socket fd (ownership of fd passes to the transport). Returns
 * the transport vtable pointer, whose close() closes fd and frees everything. NULL on failure
 * (fd is then closed). */
const struct ma_net_conn_class **ma_tls_server_accept(struct ma_tls_server *s, int fd,
                                                      struct ma_errmsg *em);

/* Cipher suite negotiated on transport c (made by ma_tls_server_accept), for logs and tests. */
unsigned ma_tls_conn_suite(const struct ma_net_conn_class **c);

#endif
