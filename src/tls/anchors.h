#ifndef MA_TLS_ANCHORS_H
#define MA_TLS_ANCHORS_H

#include <stddef.h>

#include <bearssl.h>

#include "base/err.h"

/* Trust anchors for the TLS client (tls/client.h): the CA certificates of a PEM bundle
 * (kube's ca.crt, certificate-authority-data, a backend's CA file) turned into BearSSL's
 * br_x509_trust_anchor form (subject DN, CA flag, public key). One set is shared, by reference
 * count, by every client and connection that trusts it. */

struct ma_tls_anchors;

/* Anchors from every CERTIFICATE block of pem[0..len) (other blocks are skipped; pem is only read
 * during the call). A CA certificate (basicConstraints CA:TRUE) anchors chains; any other
 * certificate is trusted only as exactly itself (a self-signed server certificate used as its own
 * "CA"). Returns the set with one reference, or NULL with em set: MA_ERR_SYNTAX-class faults (no
 * CERTIFICATE block, malformed PEM or DER, an unsupported key) or more than MA_TLS_MAX_ANCHORS
 * certificates. */
struct ma_tls_anchors *ma_tls_anchors_new_pem(const void *pem, size_t len, struct ma_errmsg *em);
/* One more reference to a; returns a. */
struct ma_tls_anchors *ma_tls_anchors_ref(struct ma_tls_anchors *a);
/* Drop one reference; the last one frees the set. NULL is a no-op. */
void ma_tls_anchors_free(struct ma_tls_anchors *a);
/* The anchors and their number (*n, >= 1), valid while a reference is held. */
const br_x509_trust_anchor *ma_tls_anchors_get(const struct ma_tls_anchors *a, size_t *n);

/* Copy the public key *src (whose data points into a BearSSL decoder about to be freed) into dst,
 * with the key bytes in buf[0..cap). 1 when copied, 0 when src is NULL, of an unknown type, or
 * does not fit. */
int ma_tls_pkey_copy(br_x509_pkey *dst, const br_x509_pkey *src, unsigned char *buf, size_t cap);

#endif
