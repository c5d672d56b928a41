#ifndef MA_TLS_DERREAD_H
#define MA_TLS_DERREAD_H

/* A minimal DER reader (X.690), the counterpart of tls/der.h's writer: enough to walk a
 * certificate to its extensions. BearSSL's decoders cover keys, names and the chain checks; what
 * they skip (iPAddress subjectAltNames, which br_x509_minimal never matches) is read here.
 * Readers never allocate: every value is a slice into the caller's buffer, which MUST outlive it.
 * Only single-octet tags and definite lengths exist in DER certificates; anything else is
 * MA_ERR_SYNTAX. */

#include <stddef.h>

/* One tag-length-value. */
struct ma_tls_der_tlv {
    unsigned tag;           /* identifier octet (e.g. MA_TLS_DER_SEQUENCE from tls/der.h) */
    const unsigned char *p; /* contents, inside the buffer read */
    size_t len;             /* contents length */
};

/* Read the TLV at buf[*off..len). MA_OK: *tlv filled and *off advanced past the value.
 * MA_ERR_SYNTAX (*off unchanged): no bytes left, a multi-octet tag, an indefinite or non-minimal
 * length, or a value running past len. */
int ma_tls_der_read(const unsigned char *buf, size_t len, size_t *off, struct ma_tls_der_tlv *tlv);

/* As ma_tls_der_read, and the identifier MUST be `tag` (else MA_ERR_SYNTAX, *off unchanged). */
int ma_tls_der_read_tag(const unsigned char *buf, size_t len, size_t *off, unsigned tag,
                        struct ma_tls_der_tlv *tlv);

/* Find the extension whose extnID contents are oid[0..oid_len) (e.g. 55 1D 11 for 2.5.29.17) in
 * the certificate cert[0..len) (Certificate DER, RFC 5280 4.1). MA_OK: *value is the extnValue
 * OCTET STRING contents (the extension's own DER). MA_ERR_NOTFOUND: no such extension (or no
 * extensions). MA_ERR_SYNTAX: the certificate does not parse as far as the extensions. */
int ma_tls_der_cert_extension(const unsigned char *cert, size_t len, const unsigned char *oid,
                              size_t oid_len, struct ma_tls_der_tlv *value);

/* 1 if the certificate cert[0..len) has a subjectAltName iPAddress entry equal to ip[0..ip_len)
 * (4 bytes for IPv4, 16 for IPv6, network order), 0 if not (including: no subjectAltName),
 * MA_ERR_SYNTAX if the certificate or its subjectAltName does not parse. */
int ma_tls_der_cert_has_ip(const unsigned char *cert, size_t len, const unsigned char *ip,
                           size_t ip_len);

#endif
