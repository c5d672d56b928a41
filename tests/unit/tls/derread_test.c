/* tests src/tls/derread.c: TLV reading and the iPAddress SAN lookup the TLS client relies on */
#include <stdlib.h>
#include <time.h>

#include "base/err.h"
#include "t.h"
#include "tls/der.h"
#include "tls/derread.h"
#include "tls/x509gen.h"

struct tlv_row {
    const char *in;
    size_t len;
    int rc;
    unsigned tag;
    size_t vlen, off; /* value length, offset after the TLV */
    const char *comment;
};

static const struct tlv_row tlv_rows[] = {
    {"\x30\x00", 2, MA_OK, 0x30, 0, 2, "empty SEQUENCE"},
    {"\x04\x03"
     "abc"
     "zz",
     7, MA_OK, 0x04, 3, 5, "short form, bytes after it stay"},
    {"\x87\x04\x7f\x00\x00\x01", 6, MA_OK, 0x87, 4, 6, "iPAddress [7]"},
    {"\x04\x81\x80", 3, MA_ERR_SYNTAX, 0, 0, 0, "long form, value truncated"},
    {"\x04\x81\x05"
     "abcde",
     8, MA_ERR_SYNTAX, 0, 0, 0, "long form where short fits"},
    {"\x04\x82\x00\x80", 4, MA_ERR_SYNTAX, 0, 0, 0, "length with a leading zero octet"},
    {"\x30\x80\x00\x00", 4, MA_ERR_SYNTAX, 0, 0, 0, "indefinite length (BER)"},
    {"\x1f\x01\x00", 3, MA_ERR_SYNTAX, 0, 0, 0, "high tag number"},
    {"\x04\x05"
     "abc",
     5, MA_ERR_SYNTAX, 0, 0, 0, "value runs past the end"},
    {"\x04", 1, MA_ERR_SYNTAX, 0, 0, 0, "no length"},
    {"", 0, MA_ERR_SYNTAX, 0, 0, 0, "nothing"},
    {"\x04\x89\x01\x00\x00\x00\x00\x00\x00\x00\x00", 11, MA_ERR_SYNTAX, 0, 0, 0,
     "more length octets than size_t"},
};

static void test_tlv_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof tlv_rows / sizeof tlv_rows[0]; i++) {
        const struct tlv_row *r = &tlv_rows[i];
        const unsigned char *in = (const unsigned char *)r->in;
        struct ma_tls_der_tlv tlv;
        size_t off = 0;
        int rc = ma_tls_der_read(in, r->len, &off, &tlv);

        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->rc);
        if (rc != MA_OK) {
            CHECK_EQ(off, 0);
            continue;
        }
        CHECK_EQ(tlv.tag, r->tag);
        CHECK_EQ(tlv.len, r->vlen);
        CHECK_EQ(off, r->off);
        CHECK(tlv.p == in + r->off - r->vlen);
    }
}

static void test_read_tag(void)
{
    static const unsigned char in[] = {0x02, 0x01, 0x05, 0x04, 0x00};
    struct ma_tls_der_tlv tlv;
    size_t off = 0;

    CHECK_EQ(ma_tls_der_read_tag(in, sizeof in, &off, MA_TLS_DER_OCTET_STRING, &tlv),
             MA_ERR_SYNTAX);
    CHECK_EQ(off, 0);
    CHECK_EQ(ma_tls_der_read_tag(in, sizeof in, &off, MA_TLS_DER_INTEGER, &tlv), MA_OK);
    CHECK_EQ(off, 3);
    CHECK_EQ(ma_tls_der_read_tag(in, sizeof in, &off, MA_TLS_DER_OCTET_STRING, &tlv), MA_OK);
    CHECK_EQ(off, 5);
    CHECK_EQ(tlv.len, 0);
}

/* A self-signed certificate with the given SANs (heap DER). */
static unsigned char *make_cert(const char *const *sans, size_t n, size_t *len)
{
    static struct ma_tls_eckey k;
    struct ma_tls_cert_params p;
    struct ma_errmsg em;
    unsigned char *der = NULL;

    if (k.sk.xlen == 0 && ma_tls_eckey_generate(&k, BR_EC_secp256r1) != MA_OK)
        return NULL;
    memset(&p, 0, sizeof p);
    p.cn = "derread";
    p.not_before = time(NULL) - 60;
    p.not_after = p.not_before + 3600;
    p.sans = sans;
    p.sans_len = n;
    p.pk = &k.pk;
    p.signer.sk = &k.sk;
    if (ma_tls_cert_create(&p, &der, len, &em) != MA_OK) {
        fprintf(stderr, "cert: %s\n", em.msg);
        return NULL;
    }
    return der;
}

static void test_cert_ip_sans(void)
{
    static const char *const sans[] = {"localhost", "127.0.0.1", "fd00::7", "10.0.0.7"};
    static const unsigned char lo[4] = {127, 0, 0, 1}, ten7[4] = {10, 0, 0, 7},
                               ten8[4] = {10, 0, 0, 8};
    static const unsigned char v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    static const unsigned char basic_oid[] = {0x55, 0x1D, 0x13}, none_oid[] = {0x55, 0x1D, 0x7F};
    struct ma_tls_der_tlv v;
    size_t len, i;
    unsigned char *der = make_cert(sans, 4, &len);

    CHECK(der != NULL);
    if (der == NULL)
        return;
    CHECK_EQ(ma_tls_der_cert_has_ip(der, len, lo, 4), 1);
    CHECK_EQ(ma_tls_der_cert_has_ip(der, len, ten7, 4), 1);
    CHECK_EQ(ma_tls_der_cert_has_ip(der, len, v6, 16), 1);
    CHECK_EQ(ma_tls_der_cert_has_ip(der, len, ten8, 4), 0);
    CHECK_EQ(ma_tls_der_cert_has_ip(der, len, v6, 4), 0); /* a prefix of an entry is no match */
    CHECK_EQ(ma_tls_der_cert_extension(der, len, basic_oid, sizeof basic_oid, &v), MA_OK);
    CHECK(v.len > 0 && v.p > der && v.p + v.len <= der + len);
    CHECK_EQ(ma_tls_der_cert_extension(der, len, none_oid, sizeof none_oid, &v), MA_ERR_NOTFOUND);
    /* every strict prefix is malformed, never a match and never an over-read (ASan) */
    for (i = 0; i < len; i++) {
        unsigned char *cut = malloc(i ? i : 1);

        memcpy(cut, der, i);
        CHECK_EQ(ma_tls_der_cert_has_ip(cut, i, lo, 4), MA_ERR_SYNTAX);
        free(cut);
    }
    free(der);

    der = make_cert(NULL, 0, &len);
    CHECK(der != NULL);
    if (der != NULL)
        CHECK_EQ(ma_tls_der_cert_has_ip(der, len, lo, 4), 0); /* no SAN extension */
    free(der);
}

int main(void)
{
    T_RUN(test_tlv_rows);
    T_RUN(test_read_tag);
    T_RUN(test_cert_ip_sans);
    T_END();
}
