/* tests/unit/tls/der_test.c: known DER encodings (X.690 examples, RFC 5280 OIDs, values checked
 * against `openssl asn1parse`), sizing with dest == NULL equals the written length, and no writer
 * touches a byte beyond what it reports. */
#include "tls/der.h"

#include <stdint.h>
#include <stdlib.h>

#include "t.h"

/* One writer call, adapted to a common shape. */
struct call {
    const char *what;
    size_t (*fn)(unsigned char *dest, const struct call *c);
    const void *data;
    size_t len;
    uint64_t v;
    const char *want_hex; /* "" when the writer must return 0 (invalid input) */
};

static size_t c_header(unsigned char *d, const struct call *c)
{
    return ma_tls_der_header(d, (unsigned)c->v, c->len);
}
static size_t c_uint(unsigned char *d, const struct call *c)
{
    return ma_tls_der_uint(d, c->data, c->len);
}
static size_t c_uint32(unsigned char *d, const struct call *c)
{
    return ma_tls_der_uint32(d, (uint32_t)c->v);
}
static size_t c_bool(unsigned char *d, const struct call *c)
{
    return ma_tls_der_bool(d, (int)c->v);
}
static size_t c_oid(unsigned char *d, const struct call *c)
{
    return ma_tls_der_oid(d, c->data);
}
static size_t c_bits(unsigned char *d, const struct call *c)
{
    return ma_tls_der_bits(d, c->data, c->len);
}
static size_t c_named(unsigned char *d, const struct call *c)
{
    return ma_tls_der_named_bits(d, (uint32_t)c->v);
}
static size_t c_octets(unsigned char *d, const struct call *c)
{
    return ma_tls_der_octets(d, c->data, c->len);
}
static size_t c_utf8(unsigned char *d, const struct call *c)
{
    return ma_tls_der_utf8(d, c->data, c->len);
}
static size_t c_printable(unsigned char *d, const struct call *c)
{
    return ma_tls_der_printable(d, c->data, c->len);
}
static size_t c_ia5_ctx(unsigned char *d, const struct call *c)
{
    return ma_tls_der_prim(d, MA_TLS_DER_CTX_PRIM(2), c->data, c->len);
}
static size_t c_time(unsigned char *d, const struct call *c)
{
    return ma_tls_der_time(d, (time_t)(int64_t)c->v);
}

/* SEQUENCE { INTEGER 1, BOOLEAN TRUE } through the wrap helper, and [0] EXPLICIT around it */
static size_t seq_body(unsigned char *dest, const void *arg)
{
    size_t n = ma_tls_der_uint32(dest, 1);

    (void)arg;
    return n + ma_tls_der_bool(ma_tls_der_at(dest, n), 1);
}
static size_t c_wrap(unsigned char *d, const struct call *c)
{
    return ma_tls_der_wrap(d, (unsigned)c->v, seq_body, NULL);
}
static size_t seq_in_ctx(unsigned char *dest, const void *arg)
{
    (void)arg;
    return ma_tls_der_wrap(dest, MA_TLS_DER_SEQUENCE, seq_body, NULL);
}
static size_t c_explicit(unsigned char *d, const struct call *c)
{
    (void)c;
    return ma_tls_der_wrap(d, MA_TLS_DER_CTX(0), seq_in_ctx, NULL);
}

#define B(s) s, sizeof(s) - 1

static const struct call calls[] = {
    /* lengths: short form up to 127, then 0x80|n and minimal big-endian octets (X.690 8.1.3) */
    {"header len 0", c_header, NULL, 0, 0x30, "3000"},
    {"header len 127", c_header, NULL, 127, 0x30, "307f"},
    {"header len 128", c_header, NULL, 128, 0x30, "308180"},
    {"header len 255", c_header, NULL, 255, 0x04, "0481ff"},
    {"header len 256", c_header, NULL, 256, 0x30, "30820100"},
    {"header len 65535", c_header, NULL, 65535, 0x30, "3082ffff"},
    {"header len 65536", c_header, NULL, 65536, 0x30, "3083010000"},
    {"header [3] constructed", c_header, NULL, 3, MA_TLS_DER_CTX(3), "a303"},

    /* INTEGER: minimal, positive */
    {"uint empty is 0", c_uint, B(""), 0, "020100"},
    {"uint 00 is 0", c_uint, B("\x00"), 0, "020100"},
    {"uint 00 00 00 is 0", c_uint, B("\x00\x00\x00"), 0, "020100"},
    {"uint 7f", c_uint, B("\x7f"), 0, "02017f"},
    {"uint 80 needs a pad", c_uint, B("\x80"), 0, "02020080"},
    {"uint leading zeros dropped", c_uint, B("\x00\x00\x01\x00"), 0, "02020100"},
    {"uint 00 ff ff keeps one pad", c_uint, B("\x00\xff\xff"), 0, "020300ffff"},
    {"uint32 0", c_uint32, NULL, 0, 0, "020100"},
    {"uint32 2 (v3)", c_uint32, NULL, 0, 2, "020102"},
    {"uint32 127", c_uint32, NULL, 0, 127, "02017f"},
    {"uint32 128", c_uint32, NULL, 0, 128, "02020080"},
    {"uint32 65537", c_uint32, NULL, 0, 65537, "0203010001"},
    {"uint32 2^31", c_uint32, NULL, 0, 0x80000000u, "02050080000000"},
    {"uint32 max", c_uint32, NULL, 0, 0xffffffffu, "020500ffffffff"},

    /* BOOLEAN: DER TRUE is 0xFF (X.690 11.1) */
    {"bool true", c_bool, NULL, 0, 1, "0101ff"},
    {"bool true (any nonzero)", c_bool, NULL, 0, 42, "0101ff"},
    {"bool false", c_bool, NULL, 0, 0, "010100"},

    /* OBJECT IDENTIFIER */
    {"oid ecdsa-with-SHA256", c_oid, "1.2.840.10045.4.3.2", 0, 0, "06082a8648ce3d040302"},
    {"oid prime256v1", c_oid, "1.2.840.10045.3.1.7", 0, 0, "06082a8648ce3d030107"},
    {"oid secp384r1", c_oid, "1.3.132.0.34", 0, 0, "06052b81040022"},
    {"oid subjectAltName", c_oid, "2.5.29.17", 0, 0, "0603551d11"},
    {"oid serverAuth", c_oid, "1.3.6.1.5.5.7.3.1", 0, 0, "06082b06010505070301"},
    {"oid commonName", c_oid, "2.5.4.3", 0, 0, "0603550403"},
    {"oid X.690 example 2.999.3", c_oid, "2.999.3", 0, 0, "0603883703"},
    {"oid 0.39", c_oid, "0.39", 0, 0, "060127"},
    {"oid max arc", c_oid, "1.2.4294967295", 0, 0, "06062a8fffffff7f"},
    {"oid empty", c_oid, "", 0, 0, ""},
    {"oid one arc", c_oid, "1", 0, 0, ""},
    {"oid first arc 3", c_oid, "3.1", 0, 0, ""},
    {"oid second arc 40 under 1", c_oid, "1.40", 0, 0, ""},
    {"oid empty arc", c_oid, "1..2", 0, 0, ""},
    {"oid trailing dot", c_oid, "1.2.", 0, 0, ""},
    {"oid letters", c_oid, "1.a", 0, 0, ""},
    {"oid arc over 32 bits", c_oid, "1.2.4294967296", 0, 0, ""},
    {"oid leading dot", c_oid, ".1.2", 0, 0, ""},
    {"oid trailing space", c_oid, "1.2 ", 0, 0, ""},

    /* BIT STRING */
    {"bits 2 bytes", c_bits, B("\x04\x01"), 0, "03030004 01"},
    {"bits empty", c_bits, B(""), 0, "030100"},
    {"KeyUsage digitalSignature", c_named, NULL, 0, 0x1, "03020780"},
    {"KeyUsage digitalSignature|keyEncipherment", c_named, NULL, 0, 0x5, "030205a0"},
    {"KeyUsage keyCertSign|cRLSign|digitalSignature", c_named, NULL, 0, 0x61, "03020186"},
    {"KeyUsage bit 7 (encipherOnly)", c_named, NULL, 0, 0x80, "03020001"},
    {"KeyUsage bit 8 (decipherOnly)", c_named, NULL, 0, 0x100, "0303070080"},
    {"KeyUsage none", c_named, NULL, 0, 0, "030100"},

    /* strings */
    {"octets", c_octets, B("ab"), 0, "04026162"},
    {"octets empty", c_octets, B(""), 0, "0400"},
    {"utf8 e-acute", c_utf8, B("\xc3\xa9"), 0, "0c02c3a9"},
    {"printable", c_printable, B("Ab 1'()+,-./:=?"), 0,
     "130f41622031 27 28 29 2b 2c 2d 2e 2f 3a 3d 3f"},
    {"printable rejects @", c_printable, B("a@b"), 0, ""},
    {"printable rejects *", c_printable, B("*"), 0, ""},
    {"printable rejects NUL", c_printable, B("a\0"), 0, ""},
    {"dNSName [2] IA5String", c_ia5_ctx, B("a.b"), 0, "8203612e62"},

    /* Time: UTCTime 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5) */
    {"time epoch", c_time, NULL, 0, 0, "170d 373030313031303030303030 5a"},
    {"time 2023-11-14T22:13:20Z", c_time, NULL, 0, 1700000000, "170d3233313131343232313332305a"},
    {"time 2049-12-31T23:59:59Z", c_time, NULL, 0, 2524607999, "170d3439313233313233353935395a"},
    {"time 2050-01-01T00:00:00Z", c_time, NULL, 0, 2524608000,
     "180f32303530303130313030303030305a"},
    {"time 1950-01-01T00:00:00Z", c_time, NULL, 0, (uint64_t)(int64_t)-631152000,
     "170d3530303130313030303030305a"},
    {"time 1949-12-31T23:59:59Z", c_time, NULL, 0, (uint64_t)(int64_t)-631152001,
     "180f31393439313233313233353935395a"},
    {"time 9999-12-31T23:59:59Z", c_time, NULL, 0, 253402300799,
     "180f39393939313233313233353935395a"},
    {"time year 10000", c_time, NULL, 0, 253402300800, ""},

    /* constructed */
    {"SEQUENCE { 1, TRUE }", c_wrap, NULL, 0, MA_TLS_DER_SEQUENCE, "3006020101 0101ff"},
    {"SET { 1, TRUE }", c_wrap, NULL, 0, MA_TLS_DER_SET, "3106020101 0101ff"},
    {"[0] EXPLICIT SEQUENCE", c_explicit, NULL, 0, 0, "a008 3006020101 0101ff"},
};

/* Decode hex, skipping spaces. Returns the byte count. */
static size_t unhex(const char *s, unsigned char *out)
{
    size_t n = 0;

    while (*s) {
        unsigned hi, lo;

        if (*s == ' ') {
            s++;
            continue;
        }
        sscanf(s, "%1x%1x", &hi, &lo);
        out[n++] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    return n;
}

static void test_known_encodings(void)
{
    unsigned char want[256], got[256 + 16];
    size_t i;

    for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const struct call *c = &calls[i];
        size_t wlen = unhex(c->want_hex, want), sized, written, k;

        memset(got, 0xA5, sizeof got);
        sized = c->fn(NULL, c);
        written = c->fn(got, c);
        if (sized != wlen || written != wlen || memcmp(got, want, wlen) != 0) {
            fprintf(stderr, "row \"%s\": sized %zu written %zu want %zu\n", c->what, sized, written,
                    wlen);
            CHECK_EQ(written, wlen);
            CHECK_MEM(got, want, wlen);
        }
        /* nothing beyond the reported length (a failed writer writes nothing at all) */
        for (k = wlen; k < sizeof got; k++) {
            if (got[k] != 0xA5) {
                fprintf(stderr, "row \"%s\": byte %zu written past the end\n", c->what, k);
                CHECK(0);
                break;
            }
        }
    }
}

static void test_long_octets(void)
{
    unsigned char data[300], *out;
    size_t n;

    memset(data, 0x5A, sizeof data);
    n = ma_tls_der_octets(NULL, data, sizeof data);
    CHECK_EQ(n, 4 + 300);
    out = malloc(n);
    CHECK_EQ(ma_tls_der_octets(out, data, sizeof data), n);
    CHECK_MEM(out, "\x04\x82\x01\x2c", 4);
    CHECK_MEM(out + 4, data, sizeof data);
    free(out);
}

static void test_at(void)
{
    unsigned char buf[4];

    CHECK(ma_tls_der_at(NULL, 7) == NULL);
    CHECK(ma_tls_der_at(buf, 3) == buf + 3);
}

int main(void)
{
    T_RUN(test_known_encodings);
    T_RUN(test_long_octets);
    T_RUN(test_at);
    T_END();
}
