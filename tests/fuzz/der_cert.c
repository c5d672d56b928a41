/* Fuzz the DER reader on certificate bytes (what a TLS server sends us; the TLS client reads its
 * subjectAltName for the iPAddress check). Invariants: ma_tls_der_read either fails leaving the
 * offset alone or returns a value inside the input and advances exactly past it; the extension
 * lookup returns a slice inside the input; the iPAddress check answers 0, 1 or MA_ERR_SYNTAX and
 * agrees with a plain scan of the subjectAltName it found. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "tls/der.h"
#include "tls/derread.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void walk(const unsigned char *p, size_t n, int depth)
{
    size_t off = 0;

    while (off < n) {
        struct ma_tls_der_tlv t;
        size_t before = off;

        if (ma_tls_der_read(p, n, &off, &t) != MA_OK) {
            REQUIRE(off == before);
            return;
        }
        REQUIRE(t.p >= p + before && t.p + t.len == p + off && off <= n);
        if ((t.tag & 0x20) && depth < 16)
            walk(t.p, t.len, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char san_oid[] = {0x55, 0x1D, 0x11};
    static const unsigned char ip4[4] = {127, 0, 0, 1};
    struct ma_tls_der_tlv v, names, gn;
    int rc, has;
    size_t off = 0;

    walk(data, size, 0);
    has = ma_tls_der_cert_has_ip(data, size, ip4, sizeof ip4);
    REQUIRE(has == 0 || has == 1 || has == MA_ERR_SYNTAX);
    rc = ma_tls_der_cert_extension(data, size, san_oid, sizeof san_oid, &v);
    REQUIRE(rc == MA_OK || rc == MA_ERR_NOTFOUND || rc == MA_ERR_SYNTAX);
    if (rc != MA_OK) {
        REQUIRE(has == (rc == MA_ERR_NOTFOUND ? 0 : MA_ERR_SYNTAX));
        return 0;
    }
    REQUIRE(v.p >= data && v.p + v.len <= data + size);
    if (ma_tls_der_read_tag(v.p, v.len, &off, MA_TLS_DER_SEQUENCE, &names) != MA_OK ||
        off != v.len) {
        REQUIRE(has == MA_ERR_SYNTAX);
        return 0;
    }
    off = 0;
    rc = 0;
    while (off < names.len && rc == 0) {
        if (ma_tls_der_read(names.p, names.len, &off, &gn) != MA_OK) {
            REQUIRE(has == MA_ERR_SYNTAX);
            return 0;
        }
        rc = gn.tag == MA_TLS_DER_CTX_PRIM(7) && gn.len == 4 && memcmp(gn.p, ip4, 4) == 0;
    }
    REQUIRE(has == rc);
    return 0;
}
