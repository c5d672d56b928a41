#include "tls/derread.h"

#include <string.h>

#include "base/err.h"
#include "tls/der.h"

/* see tls/derread.h */
int ma_tls_der_read(const unsigned char *buf, size_t len, size_t *off, struct ma_tls_der_tlv *tlv)
{
    size_t i = *off, n, vlen;
    unsigned tag;

    if (i >= len || len - i < 2)
        return MA_ERR_SYNTAX;
    tag = buf[i++];
    if ((tag & 0x1F) == 0x1F)
        return MA_ERR_SYNTAX; /* high tag numbers: none in X.509 */
    n = buf[i++];
    if (n < 0x80) {
        vlen = n;
    } else {
        /* X.690 10.1: definite form, minimal octets; 0x80 (indefinite) is BER only */
        n &= 0x7F;
        if (n == 0 || n > sizeof(size_t) || len - i < n || buf[i] == 0)
            return MA_ERR_SYNTAX;
        for (vlen = 0; n > 0; n--)
            vlen = (vlen << 8) | buf[i++];
        if (vlen < 0x80)
            return MA_ERR_SYNTAX;
    }
    if (vlen > len - i)
        return MA_ERR_SYNTAX;
    tlv->tag = tag;
    tlv->p = buf + i;
    tlv->len = vlen;
    *off = i + vlen;
    return MA_OK;
}

/* see tls/derread.h */
int ma_tls_der_read_tag(const unsigned char *buf, size_t len, size_t *off, unsigned tag,
                        struct ma_tls_der_tlv *tlv)
{
    size_t o = *off;

    if (ma_tls_der_read(buf, len, &o, tlv) != MA_OK || tlv->tag != tag)
        return MA_ERR_SYNTAX;
    *off = o;
    return MA_OK;
}

/* Certificate  ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
 * TBSCertificate ::= SEQUENCE {
 *     version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature, issuer, validity, subject,
 *     subjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 *     subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT Extensions OPTIONAL }
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *                          extnValue OCTET STRING }
 * Only [3] is ever constructed context tag 3 at this level, so the walk skips every other field
 * without interpreting it. */

/* see tls/derread.h */
int ma_tls_der_cert_extension(const unsigned char *cert, size_t len, const unsigned char *oid,
                              size_t oid_len, struct ma_tls_der_tlv *value)
{
    struct ma_tls_der_tlv c, tbs, f, exts, ext, id, v;
    size_t off = 0, o;

    if (ma_tls_der_read_tag(cert, len, &off, MA_TLS_DER_SEQUENCE, &c) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    if (ma_tls_der_read_tag(c.p, c.len, &off, MA_TLS_DER_SEQUENCE, &tbs) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    for (;;) {
        if (off == tbs.len)
            return MA_ERR_NOTFOUND;
        if (ma_tls_der_read(tbs.p, tbs.len, &off, &f) != MA_OK)
            return MA_ERR_SYNTAX;
        if (f.tag == MA_TLS_DER_CTX(3))
            break;
    }
    o = 0;
    if (ma_tls_der_read_tag(f.p, f.len, &o, MA_TLS_DER_SEQUENCE, &exts) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    while (off < exts.len) {
        if (ma_tls_der_read_tag(exts.p, exts.len, &off, MA_TLS_DER_SEQUENCE, &ext) != MA_OK)
            return MA_ERR_SYNTAX;
        o = 0;
        if (ma_tls_der_read_tag(ext.p, ext.len, &o, MA_TLS_DER_OID, &id) != MA_OK ||
            ma_tls_der_read(ext.p, ext.len, &o, &v) != MA_OK)
            return MA_ERR_SYNTAX;
        if (v.tag == MA_TLS_DER_BOOLEAN && ma_tls_der_read(ext.p, ext.len, &o, &v) != MA_OK)
            return MA_ERR_SYNTAX;
        if (v.tag != MA_TLS_DER_OCTET_STRING)
            return MA_ERR_SYNTAX;
        if (id.len == oid_len && memcmp(id.p, oid, oid_len) == 0) {
            *value = v;
            return MA_OK;
        }
    }
    return MA_ERR_NOTFOUND;
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 * GeneralName ::= CHOICE { ..., dNSName [2] IA5String, ..., iPAddress [7] OCTET STRING, ... }
 * (RFC 5280 4.2.1.6: iPAddress holds 4 octets for IPv4, 16 for IPv6, network byte order.) */

/* see tls/derread.h */
int ma_tls_der_cert_has_ip(const unsigned char *cert, size_t len, const unsigned char *ip,
                           size_t ip_len)
{
    static const unsigned char san_oid[] = {0x55, 0x1D, 0x11}; /* 2.5.29.17 */
    struct ma_tls_der_tlv ext, names, gn;
    size_t off = 0;
    int rc = ma_tls_der_cert_extension(cert, len, san_oid, sizeof san_oid, &ext);

    if (rc == MA_ERR_NOTFOUND)
        return 0;
    if (rc != MA_OK)
        return rc;
    if (ma_tls_der_read_tag(ext.p, ext.len, &off, MA_TLS_DER_SEQUENCE, &names) != MA_OK ||
        off != ext.len)
        return MA_ERR_SYNTAX;
    off = 0;
    while (off < names.len) {
        if (ma_tls_der_read(names.p, names.len, &off, &gn) != MA_OK)
            return MA_ERR_SYNTAX;
        if (gn.tag == MA_TLS_DER_CTX_PRIM(7) && gn.len == ip_len && memcmp(gn.p, ip, ip_len) == 0)
            return 1;
    }
    return 0;
}
