/* tests/fuzz/pem.c: the PEM + certificate + private-key loading path on untrusted bytes.
 *
 * Input: the same bytes serve as certificate file and key file (loaders skip blocks of the other
 * kind, so a combined cert+key PEM reaches every step up to the key/certificate match). When the
 * input contains a line "=====\n", the bytes before it are the certificate file and the bytes
 * after it the key file, so mismatched pairs are reachable too.
 *
 * Invariants (abort on violation): a failure leaves the key pair empty with a message; a success
 * yields 1..MA_TLS_MAX_CHAIN certificates that BearSSL decodes, a key of a supported kind and
 * size, and an EC key that survives our SEC1 writer: written, PEM-encoded and loaded back with
 * the same certificates, it gives the same scalar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/keypair.h"
#include "tls/x509gen.h"

static const uint8_t *find_sep(const uint8_t *p, size_t n)
{
    static const char sep[] = "=====\n";
    size_t i;

    for (i = 0; i + sizeof sep - 1 <= n; i++) {
        if (memcmp(p + i, sep, sizeof sep - 1) == 0)
            return p + i;
    }
    return NULL;
}

static void check_loaded(const struct ma_tls_keypair *kp)
{
    size_t i;

    if (kp->chain_len < 1 || kp->chain_len > MA_TLS_MAX_CHAIN)
        abort();
    for (i = 0; i < kp->chain_len; i++) {
        br_x509_decoder_context dc;

        br_x509_decoder_init(&dc, NULL, NULL);
        br_x509_decoder_push(&dc, kp->chain[i].data, kp->chain[i].data_len);
        if (br_x509_decoder_last_error(&dc) != 0)
            abort();
    }
    if (kp->key_type == BR_KEYTYPE_RSA) {
        if (kp->rsa.n_bitlen < 2048 || kp->rsa.n_bitlen > 4096)
            abort();
    } else if (kp->key_type == BR_KEYTYPE_EC) {
        if (kp->ec.curve != BR_EC_secp256r1 && kp->ec.curve != BR_EC_secp384r1)
            abort();
    } else {
        abort();
    }
}

/* EC keys: SEC1 writer round trip through the loader. */
static void roundtrip_ec(const struct ma_tls_keypair *kp, const uint8_t *cert, size_t cert_len)
{
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE], *der;
    br_ec_public_key pk;
    struct ma_tls_keypair back;
    struct ma_errmsg em;
    size_t der_len, pem_len;
    char *pem;

    if (br_ec_compute_pub(br_ec_get_default(), &pk, q, &kp->ec) == 0)
        abort();
    der_len = ma_tls_eckey_der(NULL, &kp->ec, &pk);
    if (der_len == 0)
        abort();
    der = malloc(der_len);
    if (ma_tls_eckey_der(der, &kp->ec, &pk) != der_len)
        abort();
    pem = ma_tls_pem_encode(der, der_len, "EC PRIVATE KEY", &pem_len);
    if (ma_tls_keypair_load_pem_mem(&back, cert, cert_len, pem, pem_len, &em) != MA_OK)
        abort();
    if (back.chain_len != kp->chain_len || back.key_type != BR_KEYTYPE_EC ||
        back.ec.curve != kp->ec.curve)
        abort();
    /* same scalar, up to leading zeros */
    {
        const unsigned char *a = back.ec.x, *b = kp->ec.x;
        size_t al = back.ec.xlen, bl = kp->ec.xlen;

        while (al > 0 && *a == 0)
            a++, al--;
        while (bl > 0 && *b == 0)
            b++, bl--;
        if (al != bl || memcmp(a, b, al) != 0)
            abort();
    }
    ma_tls_keypair_free(&back);
    free(pem);
    free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cert = data, *key = data, *sep = find_sep(data, size);
    size_t cert_len = size, key_len = size;
    struct ma_tls_keypair kp;
    struct ma_errmsg em;
    int rc;

    if (size > MA_TLS_MAX_PEM_FILE)
        return 0;
    if (sep != NULL) {
        cert_len = (size_t)(sep - data);
        key = sep + 6;
        key_len = size - cert_len - 6;
    }
    memset(&em, 0, sizeof em);
    memset(&kp, 0xA5, sizeof kp); /* the loader must not depend on prior contents */
    rc = ma_tls_keypair_load_pem_mem(&kp, cert, cert_len, key, key_len, &em);
    if (rc != MA_OK) {
        if (rc > 0 || em.msg[0] == '\0' || kp.chain_len != 0 || kp._key != NULL)
            abort();
        ma_tls_keypair_free(&kp);
        return 0;
    }
    check_loaded(&kp);
    if (kp.key_type == BR_KEYTYPE_EC)
        roundtrip_ec(&kp, cert, cert_len);
    ma_tls_keypair_free(&kp);
    return 0;
}
