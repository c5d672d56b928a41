#include "tls/peercert.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "tls/anchors.h"
#include "tls/der.h"
#include "tls/derread.h"
#include "tls/server.h"

/* One cached verdict: the connection, when it stops counting, and the outcome. */
struct slot {
    uint64_t serial;
    time_t expires;
    int used, rc;
    char why[160];
    struct ma_tls_peer_id id;
};

struct ma_tls_peercert {
    struct ma_tls_anchors *anchors;
    struct slot slots[MA_TLS_PEERCERT_SLOTS];
};

/* see tls/peercert.h */
struct ma_tls_peercert *ma_tls_peercert_new(struct ma_tls_anchors *anchors)
{
    struct ma_tls_peercert *v = ma_xcalloc(1, sizeof *v);

    v->anchors = ma_tls_anchors_ref(anchors);
    return v;
}

/* see tls/peercert.h */
void ma_tls_peercert_free(struct ma_tls_peercert *v)
{
    if (v == NULL)
        return;
    ma_tls_anchors_free(v->anchors);
    free(v);
}

/* see tls/peercert.h */
struct ma_tls_anchors *ma_tls_peercert_anchors(const struct ma_tls_peercert *v)
{
    return v->anchors;
}

/* ---- certificate fields ---------------------------------------------------------------------- */

/* The TBSCertificate's fields up to and including subject (RFC 5280 4.1):
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber INTEGER,
 *       signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name, ... } */
static int read_subject(const unsigned char *cert, size_t len, struct ma_tls_der_tlv *subject)
{
    struct ma_tls_der_tlv c, tbs, f;
    size_t off = 0;
    int i;

    if (ma_tls_der_read_tag(cert, len, &off, MA_TLS_DER_SEQUENCE, &c) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    if (ma_tls_der_read_tag(c.p, c.len, &off, MA_TLS_DER_SEQUENCE, &tbs) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    if (ma_tls_der_read(tbs.p, tbs.len, &off, &f) != MA_OK)
        return MA_ERR_SYNTAX;
    if (f.tag == MA_TLS_DER_CTX(0) && ma_tls_der_read(tbs.p, tbs.len, &off, &f) != MA_OK)
        return MA_ERR_SYNTAX;
    /* f is serialNumber; then signature, issuer, validity, subject */
    for (i = 0; i < 4; i++)
        if (ma_tls_der_read(tbs.p, tbs.len, &off, &f) != MA_OK)
            return MA_ERR_SYNTAX;
    if (f.tag != MA_TLS_DER_SEQUENCE)
        return MA_ERR_SYNTAX;
    *subject = f;
    return MA_OK;
}

static int copy_value(const struct ma_tls_der_tlv *v, char *out)
{
    if (v->len > MA_TLS_PEER_MAX_NAME)
        return MA_ERR_LIMIT;
    if (memchr(v->p, 0, v->len) != NULL)
        return MA_ERR_SYNTAX;
    memcpy(out, v->p, v->len);
    out[v->len] = '\0';
    return MA_OK;
}

/* see tls/peercert.h */
int ma_tls_cert_subject(const unsigned char *cert, size_t len, struct ma_tls_peer_id *id)
{
    /* 2.5.4.3 commonName, 2.5.4.10 organizationName */
    static const unsigned char cn_oid[] = {0x55, 0x04, 0x03}, o_oid[] = {0x55, 0x04, 0x0A};
    struct ma_tls_der_tlv name, set, atv, oid, val;
    size_t off = 0, so, ao;
    int rc;

    id->cn[0] = '\0';
    id->norgs = 0;
    if (read_subject(cert, len, &name) != MA_OK)
        return MA_ERR_SYNTAX;
    /* Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue) */
    while (off < name.len) {
        if (ma_tls_der_read_tag(name.p, name.len, &off, MA_TLS_DER_SET, &set) != MA_OK)
            return MA_ERR_SYNTAX;
        so = 0;
        while (so < set.len) {
            if (ma_tls_der_read_tag(set.p, set.len, &so, MA_TLS_DER_SEQUENCE, &atv) != MA_OK)
                return MA_ERR_SYNTAX;
            ao = 0;
            if (ma_tls_der_read_tag(atv.p, atv.len, &ao, MA_TLS_DER_OID, &oid) != MA_OK ||
                ma_tls_der_read(atv.p, atv.len, &ao, &val) != MA_OK)
                return MA_ERR_SYNTAX;
            if (oid.len != 3)
                continue;
            /* Go keeps the last CN (pkix.Name.FillFromRDNSequence) and every O in order */
            if (memcmp(oid.p, cn_oid, 3) == 0) {
                if ((rc = copy_value(&val, id->cn)) != MA_OK)
                    return rc;
            } else if (memcmp(oid.p, o_oid, 3) == 0) {
                if (id->norgs == MA_TLS_PEER_MAX_ORGS)
                    return MA_ERR_LIMIT;
                if ((rc = copy_value(&val, id->orgs[id->norgs])) != MA_OK)
                    return rc;
                id->norgs++;
            }
        }
    }
    return MA_OK;
}

/* see tls/peercert.h */
int ma_tls_cert_allows_client_auth(const unsigned char *cert, size_t len)
{
    static const unsigned char eku_oid[] = {0x55, 0x1D, 0x25};
    /* 1.3.6.1.5.5.7.3.2 id-kp-clientAuth; 2.5.29.37.0 anyExtendedKeyUsage */
    static const unsigned char client_auth[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
    static const unsigned char any_eku[] = {0x55, 0x1D, 0x25, 0x00};
    struct ma_tls_der_tlv ext, seq, oid;
    size_t off = 0;
    int rc = ma_tls_der_cert_extension(cert, len, eku_oid, sizeof eku_oid, &ext);

    if (rc == MA_ERR_NOTFOUND)
        return 1; /* no EKU: any usage (RFC 5280 4.2.1.12, Go's x509) */
    if (rc != MA_OK)
        return MA_ERR_SYNTAX;
    if (ma_tls_der_read_tag(ext.p, ext.len, &off, MA_TLS_DER_SEQUENCE, &seq) != MA_OK)
        return MA_ERR_SYNTAX;
    off = 0;
    while (off < seq.len) {
        if (ma_tls_der_read_tag(seq.p, seq.len, &off, MA_TLS_DER_OID, &oid) != MA_OK)
            return MA_ERR_SYNTAX;
        if ((oid.len == sizeof client_auth && memcmp(oid.p, client_auth, oid.len) == 0) ||
            (oid.len == sizeof any_eku && memcmp(oid.p, any_eku, oid.len) == 0))
            return 1;
    }
    return 0;
}

/* ---- chain verification ---------------------------------------------------------------------- */

static const char *x509_why(int err)
{
    switch (err) {
    case BR_ERR_X509_NOT_TRUSTED:
    case BR_ERR_X509_DN_MISMATCH:
        return "x509: certificate signed by unknown authority";
    case BR_ERR_X509_EXPIRED:
        return "x509: certificate has expired or is not yet valid";
    case BR_ERR_X509_BAD_SIGNATURE:
        return "x509: certificate signature is invalid (or uses an algorithm refused, e.g. SHA-1)";
    case BR_ERR_X509_NOT_CA:
        return "x509: a certificate in the chain is not a CA";
    case BR_ERR_X509_CRITICAL_EXTENSION:
        return "x509: unhandled critical extension";
    case BR_ERR_X509_WEAK_PUBLIC_KEY:
        return "x509: public key too weak";
    case BR_ERR_X509_UNSUPPORTED:
        return "x509: unsupported key or signature algorithm";
    default:
        return "x509: malformed certificate chain";
    }
}

static int verify_chain(struct ma_tls_peercert *v, const struct ma_tls_peer *p, time_t now,
                        struct slot *out)
{
    br_x509_minimal_context xm;
    const br_x509_trust_anchor *ta;
    size_t n = 0, i;
    unsigned err;
    int rc;

    if (p->chain_over) {
        snprintf(out->why, sizeof out->why, "client certificate chain over %d certificates or "
                 "%d bytes", MA_TLS_MAX_PEER_CERTS, MA_TLS_MAX_PEER_CHAIN_BYTES);
        return MA_ERR_DENIED;
    }
    ta = ma_tls_anchors_get(v->anchors, &n);
    br_x509_minimal_init(&xm, &br_sha256_vtable, ta, n);
    /* SHA-1 (and MD5) are left out: Go refuses certificates signed with them */
    br_x509_minimal_set_hash(&xm, br_sha224_ID, &br_sha224_vtable);
    br_x509_minimal_set_hash(&xm, br_sha256_ID, &br_sha256_vtable);
    br_x509_minimal_set_hash(&xm, br_sha384_ID, &br_sha384_vtable);
    br_x509_minimal_set_hash(&xm, br_sha512_ID, &br_sha512_vtable);
    br_x509_minimal_set_rsa(&xm, br_rsa_pkcs1_vrfy_get_default());
    br_x509_minimal_set_ecdsa(&xm, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
    /* days since 0000-01-01 (proleptic Gregorian): 719528 at the Unix epoch */
    br_x509_minimal_set_time(&xm, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
    xm.vtable->start_chain(&xm.vtable, NULL);
    for (i = 0; i < p->ncerts; i++) {
        xm.vtable->start_cert(&xm.vtable, (uint32_t)p->cert_lens[i]);
        xm.vtable->append(&xm.vtable, p->certs[i], p->cert_lens[i]);
        xm.vtable->end_cert(&xm.vtable);
    }
    err = xm.vtable->end_chain(&xm.vtable);
    if (err != BR_ERR_OK) {
        snprintf(out->why, sizeof out->why, "%s (BearSSL error %u)", x509_why((int)err), err);
        return MA_ERR_DENIED;
    }
    for (i = 0; i < p->ncerts; i++) {
        rc = ma_tls_cert_allows_client_auth(p->certs[i], p->cert_lens[i]);
        if (rc != 1) {
            snprintf(out->why, sizeof out->why, "%s",
                     rc == 0 ? "x509: certificate specifies an incompatible key usage"
                             : "x509: malformed extendedKeyUsage extension");
            return MA_ERR_DENIED;
        }
    }
    rc = ma_tls_cert_subject(p->certs[0], p->cert_lens[0], &out->id);
    if (rc != MA_OK) {
        snprintf(out->why, sizeof out->why, "x509: client certificate subject %s",
                 rc == MA_ERR_LIMIT ? "exceeds our bounds" : "does not parse");
        return MA_ERR_DENIED;
    }
    return MA_OK;
}

/* see tls/peercert.h */
int ma_tls_peercert_verify(struct ma_tls_peercert *v, const struct ma_tls_peer *p, time_t now,
                           const struct ma_tls_peer_id **id, struct ma_errmsg *em)
{
    struct slot *s;

    if (p == NULL || !p->cert_presented)
        return MA_ERR_NOTFOUND;
    s = &v->slots[p->serial % MA_TLS_PEERCERT_SLOTS];
    if (!s->used || s->serial != p->serial || now >= s->expires ||
        now + MA_TLS_PEERCERT_TTL < s->expires) {
        s->serial = p->serial;
        s->why[0] = '\0';
        s->rc = verify_chain(v, p, now, s);
        s->used = 1;
        s->expires = now + MA_TLS_PEERCERT_TTL;
    }
    if (s->rc != MA_OK) {
        ma_errmsg_set(em, "%s", s->why);
        return s->rc;
    }
    if (id != NULL)
        *id = &s->id;
    return MA_OK;
}
