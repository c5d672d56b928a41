#ifndef MA_TLS_X509GEN_H
#define MA_TLS_X509GEN_H

/* Writing X.509 v3 certificates, EC keys and PEM: the self-signed serving certificate made at
 * startup, and the CA, serving and client certificates of `gen-certs` and the tests. Keys are
 * ECDSA (P-256 by default; P-384 also accepted); signatures are ecdsa-with-SHA256 (P-256 signer) or
 * ecdsa-with-SHA384 (P-384 signer), which Go, OpenSSL and BearSSL all verify. */

#include <stddef.h>
#include <time.h>

#include <bearssl.h>

#include "base/err.h"

/* Serial numbers are 16 random bytes (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B forum
 * asks for >= 64 bits of entropy). */
#define MA_TLS_SERIAL_LEN 16
/* Extended key usages (leaf or CA). */
#define MA_TLS_EKU_SERVER 0x1 /* id-kp-serverAuth */
#define MA_TLS_EKU_CLIENT 0x2 /* id-kp-clientAuth */
/* Longest DNS SAN: RFC 1035 name limit. */
#define MA_TLS_MAX_DNS_NAME 253

/* An EC key pair; sk and pk point into the private buffers, so the struct MUST NOT be copied
 * bytewise while in use (pass pointers). */
struct ma_tls_eckey {
    br_ec_private_key sk;
    br_ec_public_key pk;
    /* private */
    unsigned char _x[BR_EC_KBUF_PRIV_MAX_SIZE];
    unsigned char _q[BR_EC_KBUF_PUB_MAX_SIZE];
};

/* Who signs a certificate. */
struct ma_tls_cert_signer {
    /* Issuer Name, DER (the issuer certificate's subject, e.g. from ma_tls_cert_name or the
     * append_dn callback of br_x509_decoder). NULL: self-signed, the issuer is the subject. */
    const unsigned char *dn;
    size_t dn_len;
    /* Signing key (P-256 or P-384). Self-signed: the subject's private key. MUST be set. */
    const br_ec_private_key *sk;
    /* Issuer public key, for the AuthorityKeyIdentifier (SHA-1 of its point, RFC 5280 4.2.1.2
     * method 1, which is also how we make SubjectKeyIdentifiers). NULL when self-signed. */
    const br_ec_public_key *pk;
    /* Overrides the computed AuthorityKeyIdentifier (an issuer made elsewhere with another key-id
     * method); NULL: computed from pk. */
    const unsigned char *key_id;
    size_t key_id_len;
};

/* What to put in a certificate. Zero-initialise, then set the fields. */
struct ma_tls_cert_params {
    /* Big-endian serial. All zeros (the default): a random positive one is drawn. */
    unsigned char serial[MA_TLS_SERIAL_LEN];
    const char *cn;               /* subject CommonName, MUST be non-empty UTF-8 */
    const char *org;              /* subject Organization, NULL or "" to omit */
    time_t not_before, not_after; /* MUST satisfy not_before <= not_after, years 0..9999 */
    /* subjectAltName entries: each an IPv4 or IPv6 literal (iPAddress) or else a DNS name
     * (dNSName: letters, digits, '-', '.', '_', a leading "*." wildcard; <= 253 bytes). */
    const char *const *sans;
    size_t sans_len;
    /* CA: BasicConstraints critical CA:TRUE, KeyUsage keyCertSign|cRLSign|digitalSignature.
     * Leaf: BasicConstraints critical CA:FALSE, KeyUsage digitalSignature|keyEncipherment. */
    int is_ca;
    unsigned eku;               /* MA_TLS_EKU_* bits; 0 omits the extension (any usage) */
    const br_ec_public_key *pk; /* subject public key (P-256 or P-384), MUST be set */
    struct ma_tls_cert_signer signer;
};

/* Generate a key on `curve` (BR_EC_secp256r1 or BR_EC_secp384r1) from an HMAC-DRBG seeded by
 * getrandom. Returns MA_OK, MA_ERR_IO (no entropy), MA_ERR_SYNTAX (unsupported curve). */
int ma_tls_eckey_generate(struct ma_tls_eckey *k, int curve);

/* SEC1 ECPrivateKey DER (RFC 5915: version 1, privateKey, [0] named curve, [1] public key) of sk,
 * with pk's point when pk is not NULL; dest MAY be NULL (size only). Returns 0 if the curve is not
 * P-256/P-384 or the scalar is longer than the curve order. */
size_t ma_tls_eckey_der(unsigned char *dest, const br_ec_private_key *sk,
                        const br_ec_public_key *pk);

/* "EC PRIVATE KEY" PEM of ma_tls_eckey_der(sk, pk): a NUL-terminated heap string owned by the
 * caller, who SHOULD wipe it before free(); *pem_len (MAY be NULL) gets its length. NULL when
 * ma_tls_eckey_der refuses the key. */
char *ma_tls_eckey_pem(const br_ec_private_key *sk, const br_ec_public_key *pk, size_t *pem_len);

/* The DER Name "O=<org>, CN=<cn>" (UTF8String values; org NULL or "" omitted) exactly as
 * ma_tls_cert_create writes the subject, so a CA made here can name itself as issuer.
 * dest MAY be NULL (size only). */
size_t ma_tls_cert_name(unsigned char *dest, const char *cn, const char *org);

/* Classify a SAN: fills ip[] and returns 4 (IPv4 literal) or 16 (IPv6 literal); returns 0 for a
 * valid DNS name and MA_ERR_SYNTAX for anything else. ip MAY be NULL. */
int ma_tls_san_parse(const char *san, unsigned char ip[16]);

/* Build and sign a certificate. On MA_OK *der is a heap block of *der_len bytes (exactly), owned by
 * the caller (free()). Errors, with *der untouched and the cause in em: MA_ERR_SYNTAX (missing
 * CN/key/signer, bad SAN, bad validity, unsupported curve, self-signed key pair mismatch),
 * MA_ERR_IO (no entropy for the serial). The SAN count is the caller's to bound. */
int ma_tls_cert_create(const struct ma_tls_cert_params *p, unsigned char **der, size_t *der_len,
                       struct ma_errmsg *em);

/* PEM-encode der[0..len) under "-----BEGIN <banner>-----" (64-column lines, LF). Returns a
 * NUL-terminated heap string owned by the caller (free()); *pem_len (MAY be NULL) receives its
 * length without the NUL. */
char *ma_tls_pem_encode(const void *der, size_t len, const char *banner, size_t *pem_len);

#endif
