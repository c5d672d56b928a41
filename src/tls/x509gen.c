#include "tls/x509gen.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "tls/der.h"
#include "tls/rand.h"

#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_P256 "1.2.840.10045.3.1.7"
#define OID_P384 "1.3.132.0.34"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_ECDSA_SHA384 "1.2.840.10045.4.3.3"
#define OID_AT_CN "2.5.4.3"
#define OID_AT_O "2.5.4.10"
#define OID_CE_SKI "2.5.29.14"
#define OID_CE_KU "2.5.29.15"
#define OID_CE_SAN "2.5.29.17"
#define OID_CE_BC "2.5.29.19"
#define OID_CE_AKI "2.5.29.35"
#define OID_CE_EKU "2.5.29.37"
#define OID_KP_SERVER "1.3.6.1.5.5.7.3.1"
#define OID_KP_CLIENT "1.3.6.1.5.5.7.3.2"

/* KeyUsage named bits (RFC 5280 4.2.1.3) */
#define KU_DIGITAL_SIGNATURE (1u << 0)
#define KU_KEY_ENCIPHERMENT (1u << 2)
#define KU_KEY_CERT_SIGN (1u << 5)
#define KU_CRL_SIGN (1u << 6)

#define KEY_ID_LEN 20   /* SHA-1 */
#define MAX_SIG_LEN 104 /* ECDSA P-384, ASN.1 form */

static const char *curve_oid(int curve)
{
    switch (curve) {
    case BR_EC_secp256r1:
        return OID_P256;
    case BR_EC_secp384r1:
        return OID_P384;
    }
    return NULL;
}

/* Curve order length in bytes: the fixed privateKey length of SEC1. */
static size_t curve_order_len(int curve)
{
    return curve == BR_EC_secp256r1 ? 32 : curve == BR_EC_secp384r1 ? 48 : 0;
}

static int pk_valid(const br_ec_public_key *pk)
{
    return pk != NULL && curve_order_len(pk->curve) != 0 &&
           pk->qlen == 2 * curve_order_len(pk->curve) + 1 && pk->q[0] == 0x04;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n-- > 0)
        *v++ = 0;
}

/* ---- keys ------------------------------------------------------------------------------------ */

/* see tls/x509gen.h */
int ma_tls_eckey_generate(struct ma_tls_eckey *k, int curve)
{
    const br_ec_impl *impl = br_ec_get_default();
    br_hmac_drbg_context drbg;
    int rc = MA_OK;

    if (curve_oid(curve) == NULL)
        return MA_ERR_SYNTAX;
    memset(k, 0, sizeof *k);
    if (ma_tls_random_drbg_init(&drbg) != MA_OK)
        return MA_ERR_IO;
    if (br_ec_keygen(&drbg.vtable, impl, &k->sk, k->_x, curve) == 0 ||
        br_ec_compute_pub(impl, &k->pk, k->_q, &k->sk) == 0)
        rc = MA_ERR_SYNTAX;
    wipe(&drbg, sizeof drbg);
    return rc;
}

struct sec1 {
    const br_ec_private_key *sk;
    const br_ec_public_key *pk;
    unsigned char x[48]; /* scalar left-padded to the order length */
    size_t xlen;
};

static size_t sec1_curve(unsigned char *dest, const void *arg)
{
    return ma_tls_der_oid(dest, curve_oid(((const struct sec1 *)arg)->sk->curve));
}

static size_t sec1_point(unsigned char *dest, const void *arg)
{
    const struct sec1 *s = arg;

    return ma_tls_der_bits(dest, s->pk->q, s->pk->qlen);
}

/*
 * RFC 5915 3:
 *   ECPrivateKey ::= SEQUENCE {
 *     version        INTEGER { ecPrivkeyVer1(1) },
 *     privateKey     OCTET STRING,                  -- ceiling(log2(n)/8) bytes
 *     parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *     publicKey  [1] BIT STRING OPTIONAL }
 */
static size_t sec1_body(unsigned char *dest, const void *arg)
{
    const struct sec1 *s = arg;
    size_t n;

    n = ma_tls_der_uint32(dest, 1);
    n += ma_tls_der_octets(ma_tls_der_at(dest, n), s->x, s->xlen);
    n += ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_CTX(0), sec1_curve, s);
    if (s->pk != NULL)
        n += ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_CTX(1), sec1_point, s);
    return n;
}

/* see tls/x509gen.h */
size_t ma_tls_eckey_der(unsigned char *dest, const br_ec_private_key *sk,
                        const br_ec_public_key *pk)
{
    struct sec1 s;
    const unsigned char *x = sk->x;
    size_t xlen = sk->xlen, n;

    s.sk = sk;
    s.pk = pk;
    s.xlen = curve_order_len(sk->curve);
    if (s.xlen == 0 || (pk != NULL && (!pk_valid(pk) || pk->curve != sk->curve)))
        return 0;
    while (xlen > 0 && x[0] == 0) {
        x++;
        xlen--;
    }
    if (xlen > s.xlen)
        return 0;
    memset(s.x, 0, s.xlen - xlen);
    memcpy(s.x + s.xlen - xlen, x, xlen);
    n = ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, sec1_body, &s);
    wipe(s.x, sizeof s.x);
    return n;
}

/* see tls/x509gen.h */
char *ma_tls_eckey_pem(const br_ec_private_key *sk, const br_ec_public_key *pk, size_t *pem_len)
{
    size_t n = ma_tls_eckey_der(NULL, sk, pk);
    unsigned char *der;
    char *pem;

    if (n == 0)
        return NULL;
    der = ma_xmalloc(n);
    ma_tls_eckey_der(der, sk, pk);
    pem = ma_tls_pem_encode(der, n, "EC PRIVATE KEY", pem_len);
    wipe(der, n);
    free(der);
    return pem;
}

/* ---- names and SANs -------------------------------------------------------------------------- */

struct atv {
    const char *oid, *value;
};

static size_t atv_body(unsigned char *dest, const void *arg)
{
    const struct atv *a = arg;
    size_t n = ma_tls_der_oid(dest, a->oid);

    return n + ma_tls_der_utf8(ma_tls_der_at(dest, n), a->value, strlen(a->value));
}

static size_t rdn_body(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, atv_body, arg);
}

static size_t name_body(unsigned char *dest, const void *arg)
{
    const struct atv *rdns = arg; /* {O, CN}; O.value NULL when absent */
    size_t n = 0;

    /* Name ::= SEQUENCE OF SET OF AttributeTypeAndValue, most significant RDN first */
    if (rdns[0].value != NULL)
        n += ma_tls_der_wrap(dest, MA_TLS_DER_SET, rdn_body, &rdns[0]);
    return n + ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_SET, rdn_body, &rdns[1]);
}

/* see tls/x509gen.h */
size_t ma_tls_cert_name(unsigned char *dest, const char *cn, const char *org)
{
    struct atv rdns[2];

    rdns[0].oid = OID_AT_O;
    rdns[0].value = (org != NULL && org[0] != '\0') ? org : NULL;
    rdns[1].oid = OID_AT_CN;
    rdns[1].value = cn;
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, name_body, rdns);
}

static int dns_name_valid(const char *s)
{
    size_t len = strlen(s), label = 0, i;

    if (len == 0 || len > MA_TLS_MAX_DNS_NAME)
        return 0;
    /* a wildcard only as the whole leftmost label (RFC 6125 6.4.3 as Go and OpenSSL apply it) */
    if (s[0] == '*') {
        if (s[1] != '.')
            return 0;
        s += 2;
        len -= 2;
    }
    for (i = 0; i <= len; i++) {
        char c = s[i];

        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63)
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_') {
            /* '_' is not a hostname character, but service names use it and Go accepts it */
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

/* see tls/x509gen.h */
int ma_tls_san_parse(const char *san, unsigned char ip[16])
{
    unsigned char tmp[16];

    if (ip == NULL)
        ip = tmp;
    if (inet_pton(AF_INET, san, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, san, ip) == 1)
        return 16;
    return dns_name_valid(san) ? 0 : MA_ERR_SYNTAX;
}

/* ---- TBSCertificate -------------------------------------------------------------------------- */

/* Everything the writers need, resolved and validated once before sizing. */
struct tbs {
    const struct ma_tls_cert_params *p;
    unsigned char serial[MA_TLS_SERIAL_LEN];
    const char *sig_oid;
    unsigned char ski[KEY_ID_LEN], aki_buf[KEY_ID_LEN];
    const unsigned char *aki;
    size_t aki_len;
};

static void key_id(const br_ec_public_key *pk, unsigned char out[KEY_ID_LEN])
{
    br_sha1_context sc;

    /* RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING value */
    br_sha1_init(&sc);
    br_sha1_update(&sc, pk->q, pk->qlen);
    br_sha1_out(&sc, out);
}

static size_t version_body(unsigned char *dest, const void *arg)
{
    (void)arg;
    return ma_tls_der_uint32(dest, 2); /* v3 */
}

static size_t algid_body(unsigned char *dest, const void *arg)
{
    /* RFC 5758 3.2: ecdsa-with-SHA* have the parameters field absent */
    return ma_tls_der_oid(dest, arg);
}

static size_t validity_body(unsigned char *dest, const void *arg)
{
    const struct ma_tls_cert_params *p = arg;
    size_t n = ma_tls_der_time(dest, p->not_before);

    return n + ma_tls_der_time(ma_tls_der_at(dest, n), p->not_after);
}

static size_t spki_alg_body(unsigned char *dest, const void *arg)
{
    const br_ec_public_key *pk = arg;
    size_t n = ma_tls_der_oid(dest, OID_EC_PUBLIC_KEY);

    return n + ma_tls_der_oid(ma_tls_der_at(dest, n), curve_oid(pk->curve));
}

/* RFC 5480 2: SubjectPublicKeyInfo { { id-ecPublicKey, namedCurve }, BIT STRING ECPoint } */
static size_t spki_body(unsigned char *dest, const void *arg)
{
    const br_ec_public_key *pk = arg;
    size_t n = ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, spki_alg_body, pk);

    return n + ma_tls_der_bits(ma_tls_der_at(dest, n), pk->q, pk->qlen);
}

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }: DER omits a FALSE default */
static size_t bc_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;

    return t->p->is_ca ? ma_tls_der_bool(dest, 1) : 0;
}

static size_t ext_bc(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, bc_body, arg);
}

static size_t ext_ku(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;

    return ma_tls_der_named_bits(dest, t->p->is_ca
                                           ? KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE
                                           : KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
}

static size_t eku_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;
    size_t n = 0;

    if (t->p->eku & MA_TLS_EKU_SERVER)
        n += ma_tls_der_oid(dest, OID_KP_SERVER);
    if (t->p->eku & MA_TLS_EKU_CLIENT)
        n += ma_tls_der_oid(ma_tls_der_at(dest, n), OID_KP_CLIENT);
    return n;
}

static size_t ext_eku(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, eku_body, arg);
}

/* GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 bytes) */
static size_t san_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;
    unsigned char ip[16];
    size_t n = 0, i;

    for (i = 0; i < t->p->sans_len; i++) {
        const char *s = t->p->sans[i];
        int iplen = ma_tls_san_parse(s, ip);

        if (iplen > 0)
            n += ma_tls_der_prim(ma_tls_der_at(dest, n), MA_TLS_DER_CTX_PRIM(7), ip, (size_t)iplen);
        else
            n += ma_tls_der_prim(ma_tls_der_at(dest, n), MA_TLS_DER_CTX_PRIM(2), s, strlen(s));
    }
    return n;
}

static size_t ext_san(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, san_body, arg);
}

static size_t ext_ski(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;

    return ma_tls_der_octets(dest, t->ski, sizeof t->ski);
}

/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... } */
static size_t aki_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;

    return ma_tls_der_prim(dest, MA_TLS_DER_CTX_PRIM(0), t->aki, t->aki_len);
}

static size_t ext_aki(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, aki_body, arg);
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static size_t ext(unsigned char *dest, const char *oid, int critical, ma_tls_der_fn value,
                  const struct tbs *t)
{
    size_t vlen = value(NULL, t);
    size_t clen = ma_tls_der_oid(NULL, oid) + (critical ? ma_tls_der_bool(NULL, 1) : 0) +
                  ma_tls_der_header(NULL, MA_TLS_DER_OCTET_STRING, vlen) + vlen;
    size_t n = ma_tls_der_header(dest, MA_TLS_DER_SEQUENCE, clen);

    n += ma_tls_der_oid(ma_tls_der_at(dest, n), oid);
    if (critical)
        n += ma_tls_der_bool(ma_tls_der_at(dest, n), 1);
    return n + ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_OCTET_STRING, value, t);
}

static size_t exts_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;
    size_t n = 0;

    /* RFC 5280 4.2.1.9 / 4.2.1.3: BasicConstraints and KeyUsage critical */
    n += ext(dest, OID_CE_BC, 1, ext_bc, t);
    n += ext(ma_tls_der_at(dest, n), OID_CE_KU, 1, ext_ku, t);
    if (t->p->eku != 0)
        n += ext(ma_tls_der_at(dest, n), OID_CE_EKU, 0, ext_eku, t);
    /* non-critical: the subject CN is never empty (RFC 5280 4.2.1.6) */
    if (t->p->sans_len > 0)
        n += ext(ma_tls_der_at(dest, n), OID_CE_SAN, 0, ext_san, t);
    n += ext(ma_tls_der_at(dest, n), OID_CE_SKI, 0, ext_ski, t);
    if (t->aki != NULL)
        n += ext(ma_tls_der_at(dest, n), OID_CE_AKI, 0, ext_aki, t);
    return n;
}

static size_t exts_seq(unsigned char *dest, const void *arg)
{
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, exts_body, arg);
}

/*
 * RFC 5280 4.1:
 *   TBSCertificate ::= SEQUENCE {
 *     version         [0] EXPLICIT Version DEFAULT v1,   -- v3 (2)
 *     serialNumber        CertificateSerialNumber,
 *     signature           AlgorithmIdentifier,
 *     issuer              Name,
 *     validity            Validity,                      -- { notBefore, notAfter }
 *     subject             Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     extensions      [3] EXPLICIT Extensions OPTIONAL } -- SEQUENCE OF Extension
 */
static size_t tbs_body(unsigned char *dest, const void *arg)
{
    const struct tbs *t = arg;
    const struct ma_tls_cert_params *p = t->p;
    size_t n;

    n = ma_tls_der_wrap(dest, MA_TLS_DER_CTX(0), version_body, NULL);
    n += ma_tls_der_uint(ma_tls_der_at(dest, n), t->serial, sizeof t->serial);
    n += ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_SEQUENCE, algid_body, t->sig_oid);
    if (p->signer.dn != NULL) {
        if (dest)
            memcpy(dest + n, p->signer.dn, p->signer.dn_len);
        n += p->signer.dn_len;
    } else {
        n += ma_tls_cert_name(ma_tls_der_at(dest, n), p->cn, p->org);
    }
    n += ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_SEQUENCE, validity_body, p);
    n += ma_tls_cert_name(ma_tls_der_at(dest, n), p->cn, p->org);
    n += ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_SEQUENCE, spki_body, p->pk);
    return n + ma_tls_der_wrap(ma_tls_der_at(dest, n), MA_TLS_DER_CTX(3), exts_seq, t);
}

/* ---- certificate ----------------------------------------------------------------------------- */

static int check_params(const struct ma_tls_cert_params *p, struct ma_errmsg *em)
{
    size_t i;

    if (p->cn == NULL || p->cn[0] == '\0') {
        ma_errmsg_set(em, "certificate needs a subject CN");
        return MA_ERR_SYNTAX;
    }
    if (!pk_valid(p->pk)) {
        ma_errmsg_set(em, "certificate subject key must be an EC P-256 or P-384 public key");
        return MA_ERR_SYNTAX;
    }
    if (p->signer.sk == NULL || curve_order_len(p->signer.sk->curve) == 0) {
        ma_errmsg_set(em, "certificate signer must be an EC P-256 or P-384 private key");
        return MA_ERR_SYNTAX;
    }
    if (p->signer.dn != NULL && p->signer.dn_len == 0) {
        ma_errmsg_set(em, "certificate issuer name is empty");
        return MA_ERR_SYNTAX;
    }
    if (p->signer.dn != NULL && p->signer.key_id == NULL && !pk_valid(p->signer.pk)) {
        ma_errmsg_set(em, "certificate issuer needs a public key or key id (AuthorityKeyId)");
        return MA_ERR_SYNTAX;
    }
    if (p->not_before > p->not_after || ma_tls_der_time(NULL, p->not_before) == 0 ||
        ma_tls_der_time(NULL, p->not_after) == 0) {
        ma_errmsg_set(em, "certificate validity is empty or outside years 0-9999");
        return MA_ERR_SYNTAX;
    }
    for (i = 0; i < p->sans_len; i++) {
        if (p->sans[i] == NULL || ma_tls_san_parse(p->sans[i], NULL) < 0) {
            ma_errmsg_set(em, "subjectAltName \"%.64s\" is neither an IP address nor a DNS name",
                          p->sans[i] ? p->sans[i] : "(null)");
            return MA_ERR_SYNTAX;
        }
    }
    return MA_OK;
}

/* A self-signed certificate whose key pair does not match would verify nowhere: catch it here. */
static int check_self_pair(const struct ma_tls_cert_params *p, struct ma_errmsg *em)
{
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
    size_t qlen = br_ec_compute_pub(br_ec_get_default(), NULL, q, p->signer.sk);

    if (qlen != p->pk->qlen || memcmp(q, p->pk->q, qlen) != 0) {
        ma_errmsg_set(em, "self-signed certificate: signer private key does not match subject key");
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

static int prepare(const struct ma_tls_cert_params *p, struct tbs *t, struct ma_errmsg *em)
{
    static const unsigned char zero[MA_TLS_SERIAL_LEN];
    int rc;

    if ((rc = check_params(p, em)) != MA_OK)
        return rc;
    if (p->signer.dn == NULL && (rc = check_self_pair(p, em)) != MA_OK)
        return rc;
    memset(t, 0, sizeof *t);
    t->p = p;
    memcpy(t->serial, p->serial, sizeof t->serial);
    if (memcmp(t->serial, zero, sizeof zero) == 0) {
        if (ma_tls_random(t->serial, sizeof t->serial) != MA_OK) {
            ma_errmsg_set(em, "getrandom failed: no entropy for the certificate serial");
            return MA_ERR_IO;
        }
        /* positive (top bit clear) and exactly 16 bytes, never zero */
        t->serial[0] = (unsigned char)((t->serial[0] & 0x7F) | 0x40);
    }
    t->sig_oid = p->signer.sk->curve == BR_EC_secp384r1 ? OID_ECDSA_SHA384 : OID_ECDSA_SHA256;
    key_id(p->pk, t->ski);
    if (p->signer.key_id != NULL) {
        t->aki = p->signer.key_id;
        t->aki_len = p->signer.key_id_len;
    } else if (p->signer.dn == NULL) {
        t->aki = t->ski;
        t->aki_len = sizeof t->ski;
    } else {
        key_id(p->signer.pk, t->aki_buf);
        t->aki = t->aki_buf;
        t->aki_len = sizeof t->aki_buf;
    }
    return MA_OK;
}

static size_t sign(const struct tbs *t, const unsigned char *tbs, size_t len,
                   unsigned char sig[MAX_SIG_LEN])
{
    const br_hash_class *hc =
        t->p->signer.sk->curve == BR_EC_secp384r1 ? &br_sha384_vtable : &br_sha256_vtable;
    br_hash_compat_context hctx;
    unsigned char hash[64];

    hc->init(&hctx.vtable);
    hc->update(&hctx.vtable, tbs, len);
    hc->out(&hctx.vtable, hash);
    /* ECDSA in BearSSL is deterministic (RFC 6979): no random source needed, none to fail */
    return br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), hc, hash, t->p->signer.sk, sig);
}

/* see tls/x509gen.h */
int ma_tls_cert_create(const struct ma_tls_cert_params *p, unsigned char **der, size_t *der_len,
                       struct ma_errmsg *em)
{
    struct tbs t;
    unsigned char sig[MAX_SIG_LEN], *tbs, *cert;
    size_t tbs_len, sig_len, alg_len, clen, n;
    int rc;

    if ((rc = prepare(p, &t, em)) != MA_OK)
        return rc;
    tbs_len = ma_tls_der_wrap(NULL, MA_TLS_DER_SEQUENCE, tbs_body, &t);
    tbs = ma_xmalloc(tbs_len);
    ma_tls_der_wrap(tbs, MA_TLS_DER_SEQUENCE, tbs_body, &t);
    sig_len = sign(&t, tbs, tbs_len, sig);
    if (sig_len == 0) {
        free(tbs);
        ma_errmsg_set(em, "ECDSA signature of the certificate failed");
        return MA_ERR_SYNTAX;
    }

    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } */
    alg_len = ma_tls_der_wrap(NULL, MA_TLS_DER_SEQUENCE, algid_body, t.sig_oid);
    clen = tbs_len + alg_len + ma_tls_der_bits(NULL, sig, sig_len);
    n = ma_tls_der_header(NULL, MA_TLS_DER_SEQUENCE, clen);
    cert = ma_xmalloc(n + clen);
    n = ma_tls_der_header(cert, MA_TLS_DER_SEQUENCE, clen);
    memcpy(cert + n, tbs, tbs_len);
    n += tbs_len;
    n += ma_tls_der_wrap(cert + n, MA_TLS_DER_SEQUENCE, algid_body, t.sig_oid);
    n += ma_tls_der_bits(cert + n, sig, sig_len);
    free(tbs);
    *der = cert;
    *der_len = n;
    return MA_OK;
}

/* see tls/x509gen.h */
char *ma_tls_pem_encode(const void *der, size_t len, const char *banner, size_t *pem_len)
{
    size_t n = br_pem_encode(NULL, der, len, banner, BR_PEM_LINE64);
    char *pem = ma_xmalloc(n + 1);

    br_pem_encode(pem, der, len, banner, BR_PEM_LINE64);
    if (pem_len != NULL)
        *pem_len = n;
    return pem;
}
