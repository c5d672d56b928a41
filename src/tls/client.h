#ifndef MA_TLS_CLIENT_H
#define MA_TLS_CLIENT_H

#include <stddef.h>

#include "net/conn.h"

struct ma_tls_anchors;
struct ma_tls_keypair;
struct ma_errmsg;

/* TLS 1.2 client transport on BearSSL, for kube-apiserver and HTTPS backends: the server's suites
 * (ECDHE-ECDSA / ECDHE-RSA with AES-GCM or ChaCha20-Poly1305), X25519/P-256/P-384, ALPN
 * "http/1.1", no renegotiation.
 *
 * Verification: br_x509_minimal against a set of trust anchors (CA certificates from a PEM
 * bundle), then the server name: a DNS name is matched by BearSSL against the dNSName SANs (and
 * the CN), and sent as SNI; an IP literal (kube-apiserver is reached at KUBERNETES_SERVICE_HOST,
 * an IP) MUST appear as an iPAddress SAN, which we check ourselves since BearSSL never does; no
 * SNI is sent for it (RFC 6066 3). Insecure mode accepts any certificate. Trust anchors come
 * from tls/anchors.h. */

/* The TLS settings for one server: anchors, name, client certificate. */
struct ma_tls_client;

/* Settings to verify server_name (a DNS name or an IPv4/IPv6 literal without brackets; copied)
 * against anchors (a reference is taken; the caller keeps its own). insecure != 0 accepts any
 * certificate; anchors MAY then be NULL. anchors MUST NOT be NULL otherwise. */
struct ma_tls_client *ma_tls_client_new(struct ma_tls_anchors *anchors, const char *server_name,
                                        int insecure);
/* Present kp (client certificate chain and key) to servers that ask, from the next connection
 * on; NULL presents none. Takes ownership of kp (heap-allocated, loaded by ma_tls_keypair_*);
 * connections already made keep using the pair they started with, which is freed after the last
 * of them closes. */
void ma_tls_client_set_keypair(struct ma_tls_client *c, struct ma_tls_keypair *kp);
/* Free the settings. Connections made from them stay valid (they hold their own references). */
void ma_tls_client_free(struct ma_tls_client *c);

/* Start a TLS session over the connected non-blocking socket fd (ownership of fd passes to the
 * transport; its close() closes fd). The handshake runs inside the transport's read/write/flush
 * calls: write returns MA_ERR_PARTIAL until it is over, and any failure (certificate rejected,
 * alert from the server) is a negative return whose cause last_error() names, e.g. "server
 * certificate is not signed by a trusted CA". NULL on failure (fd is then closed). */
const struct ma_net_conn_class **ma_tls_client_connect(struct ma_tls_client *c, int fd,
                                                       struct ma_errmsg *em);

#endif
