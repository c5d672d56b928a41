#ifndef MA_TLS_PEERCERT_H
#define MA_TLS_PEERCERT_H

#include <stddef.h>
#include <time.h>

#include "base/err.h"

struct ma_tls_anchors;
struct ma_tls_peer;

/* Verification of a TLS client's certificate chain (recorded by tls/server.c) against one CA pool,
 * as Go's x509.Verify does for kube's client-certificate and request-header authenticators
 * (spec 5.5): the chain as sent (leaf first) must lead to an anchor, every certificate must be
 * within its validity period, the signatures must use SHA-256 or better (Go refuses SHA-1), and
 * each certificate carrying an extendedKeyUsage extension must allow clientAuth (or any usage).
 * Verdicts are cached for MA_TLS_PEERCERT_TTL seconds per connection (its chain never changes),
 * so requests on a keep-alive connection pay for the signatures once per TTL. */

/* Cache lifetime: short enough that a certificate expiring meanwhile is honoured within seconds. */
#define MA_TLS_PEERCERT_TTL 10
/* Verdicts cached (direct-mapped by connection: a collision only costs one more verification). */
#define MA_TLS_PEERCERT_SLOTS 32
/* Subject CN and the O values kept (kube user and groups); longer values are refused. */
#define MA_TLS_PEER_MAX_NAME 256
#define MA_TLS_PEER_MAX_ORGS 8

/* What a verified chain says about its holder. */
struct ma_tls_peer_id {
    char cn[MA_TLS_PEER_MAX_NAME + 1]; /* subject commonName ("" if none) */
    size_t norgs;
    char orgs[MA_TLS_PEER_MAX_ORGS][MA_TLS_PEER_MAX_NAME + 1]; /* subject organization values */
};

struct ma_tls_peercert;

/* A verifier trusting anchors (one reference is taken; the caller keeps its own). Never NULL. */
struct ma_tls_peercert *ma_tls_peercert_new(struct ma_tls_anchors *anchors);
void ma_tls_peercert_free(struct ma_tls_peercert *v);
/* The anchors v trusts (valid while v lives). */
struct ma_tls_anchors *ma_tls_peercert_anchors(const struct ma_tls_peercert *v);

/* Verify the chain peer presented, at wall time now. MA_OK: *id points to the holder's names
 * (valid until the next call on v; id MAY be NULL).
 * MA_ERR_DENIED: not trusted, with Go-like wording in em ("x509: certificate signed by unknown
 * authority", "x509: certificate has expired or is not yet valid", "x509: certificate specifies an
 * incompatible key usage", ...). MA_ERR_NOTFOUND: peer presented no certificate (peer MAY be
 * NULL). */
int ma_tls_peercert_verify(struct ma_tls_peercert *v, const struct ma_tls_peer *peer, time_t now,
                           const struct ma_tls_peer_id **id, struct ma_errmsg *em);

/* Parse the subject of the DER certificate cert[0..len) into *id (CN and every O, in order).
 * MA_OK, MA_ERR_SYNTAX (not a certificate), MA_ERR_LIMIT (a value or the O count over the
 * bounds above). */
int ma_tls_cert_subject(const unsigned char *cert, size_t len, struct ma_tls_peer_id *id);

/* 1 when every certificate of the chain that has an extendedKeyUsage extension lists clientAuth
 * (1.3.6.1.5.5.7.3.2) or anyExtendedKeyUsage, 0 otherwise, MA_ERR_SYNTAX if one does not parse. */
int ma_tls_cert_allows_client_auth(const unsigned char *cert, size_t len);

#endif
