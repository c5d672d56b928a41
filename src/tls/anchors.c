#include "tls/anchors.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"

struct ma_tls_anchors {
    int refs;
    size_t n;
    br_x509_trust_anchor ta[MA_TLS_MAX_ANCHORS];
};

struct anchors_ctx {
    struct ma_tls_anchors *a;
    struct ma_buf dn;
    struct ma_errmsg *em;
};

static void append_buf(void *ctx, const void *src, size_t len)
{
    ma_buf_append(ctx, src, len);
}

/* Copy a decoded certificate's subject DN and public key into one allocation owned by ta. */
static void take_anchor(br_x509_trust_anchor *ta, const struct ma_buf *dn, const br_x509_pkey *pk,
                        int is_ca)
{
    size_t klen =
        pk->key_type == BR_KEYTYPE_RSA ? pk->key.rsa.nlen + pk->key.rsa.elen : pk->key.ec.qlen;
    unsigned char *p = ma_xmalloc(dn->len + klen + 1);

    memcpy(p, dn->p, dn->len);
    ta->dn.data = p;
    ta->dn.len = dn->len;
    ta->flags = is_ca ? BR_X509_TA_CA : 0;
    ta->pkey = *pk;
    p += dn->len;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        memcpy(p, pk->key.rsa.n, pk->key.rsa.nlen);
        memcpy(p + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
        ta->pkey.key.rsa.n = p;
        ta->pkey.key.rsa.e = p + pk->key.rsa.nlen;
    } else {
        memcpy(p, pk->key.ec.q, pk->key.ec.qlen);
        ta->pkey.key.ec.q = p;
    }
}

static int add_anchor(struct anchors_ctx *ac, const unsigned char *der, size_t len)
{
    struct ma_tls_anchors *a = ac->a;
    br_x509_decoder_context dc;
    const br_x509_pkey *pk;
    int err;

    if (a->n == MA_TLS_MAX_ANCHORS) {
        ma_errmsg_set(ac->em, "CA bundle: more than %d certificates", MA_TLS_MAX_ANCHORS);
        return MA_ERR_LIMIT;
    }
    ma_buf_reset(&ac->dn);
    br_x509_decoder_init(&dc, append_buf, &ac->dn);
    br_x509_decoder_push(&dc, der, len);
    err = br_x509_decoder_last_error(&dc);
    pk = br_x509_decoder_get_pkey(&dc);
    if (err != 0 || pk == NULL || ac->dn.err) {
        ma_errmsg_set(ac->em, "CA bundle: certificate %zu: %s (BearSSL error %d)", a->n + 1,
                      err == BR_ERR_X509_UNSUPPORTED ? "unsupported public key algorithm"
                                                     : "not a valid X.509 certificate",
                      err);
        return MA_ERR_SYNTAX;
    }
    take_anchor(&a->ta[a->n++], &ac->dn, pk, br_x509_decoder_isCA(&dc));
    return MA_OK;
}

/* Walk the PEM objects of pem[0..len), adding each CERTIFICATE. Text between objects is ignored,
 * as by OpenSSL and Go. */
static int walk_pem(struct anchors_ctx *ac, const unsigned char *pem, size_t len)
{
    br_pem_decoder_context pc;
    struct ma_buf der;
    char *dash;
    int inobj = 0, is_cert = 0, tail = 0, rc = MA_OK;

    ma_buf_init_heap(&der, len); /* DER is always shorter than its PEM */
    br_pem_decoder_init(&pc);
    while (rc == MA_OK) {
        size_t k;

        if (len == 0) {
            /* BearSSL ends a line only at its EOL: one more so a last END line without a
             * newline still closes its object */
            if (tail)
                break;
            pem = (const unsigned char *)"\n";
            len = 1;
            tail = 1;
        }
        k = br_pem_decoder_push(&pc, pem, len);
        pem += k;
        len -= k;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ: {
            char name[sizeof pc.name];

            /* BearSSL 0.6 keeps "-----" and a stray byte in the name of a CR LF banner line */
            snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
            if ((dash = strstr(name, "-----")) != NULL)
                *dash = '\0';
            is_cert = strcmp(name, "CERTIFICATE") == 0;
            ma_buf_reset(&der);
            br_pem_decoder_setdest(&pc, is_cert ? append_buf : NULL, &der);
            inobj = 1;
            break;
        }
        case BR_PEM_END_OBJ:
            inobj = 0;
            if (is_cert)
                rc = add_anchor(ac, (const unsigned char *)der.p, der.len);
            break;
        case BR_PEM_ERROR:
            ma_errmsg_set(ac->em, "CA bundle: malformed PEM (bad base64 or banner line)");
            rc = MA_ERR_SYNTAX;
            break;
        }
    }
    if (rc == MA_OK && inobj) {
        ma_errmsg_set(ac->em, "CA bundle: truncated PEM: a block has no END line");
        rc = MA_ERR_SYNTAX;
    }
    ma_buf_free(&der);
    return rc;
}

/* see tls/anchors.h */
struct ma_tls_anchors *ma_tls_anchors_new_pem(const void *pem, size_t len, struct ma_errmsg *em)
{
    struct ma_tls_anchors *a = ma_xcalloc(1, sizeof *a);
    struct anchors_ctx ac;
    int rc;

    a->refs = 1;
    ac.a = a;
    ac.em = em;
    ma_buf_init_heap(&ac.dn, 64 * 1024); /* a DN over 64 KiB is no real CA's */
    rc = walk_pem(&ac, pem, len);
    ma_buf_free(&ac.dn);
    if (rc == MA_OK && a->n == 0) {
        ma_errmsg_set(em, "CA bundle: no CERTIFICATE block");
        rc = MA_ERR_SYNTAX;
    }
    if (rc != MA_OK) {
        ma_tls_anchors_free(a);
        return NULL;
    }
    return a;
}

/* see tls/anchors.h */
struct ma_tls_anchors *ma_tls_anchors_ref(struct ma_tls_anchors *a)
{
    a->refs++;
    return a;
}

/* see tls/anchors.h */
void ma_tls_anchors_free(struct ma_tls_anchors *a)
{
    size_t i;

    if (a == NULL || --a->refs > 0)
        return;
    for (i = 0; i < a->n; i++)
        free(a->ta[i].dn.data);
    free(a);
}

/* see tls/anchors.h */
const br_x509_trust_anchor *ma_tls_anchors_get(const struct ma_tls_anchors *a, size_t *n)
{
    *n = a->n;
    return a->ta;
}

/* see tls/anchors.h */
int ma_tls_pkey_copy(br_x509_pkey *dst, const br_x509_pkey *src, unsigned char *buf, size_t cap)
{
    if (src == NULL)
        return 0;
    *dst = *src;
    if (src->key_type == BR_KEYTYPE_RSA && src->key.rsa.nlen + src->key.rsa.elen <= cap) {
        memcpy(buf, src->key.rsa.n, src->key.rsa.nlen);
        memcpy(buf + src->key.rsa.nlen, src->key.rsa.e, src->key.rsa.elen);
        dst->key.rsa.n = buf;
        dst->key.rsa.e = buf + src->key.rsa.nlen;
        return 1;
    }
    if (src->key_type == BR_KEYTYPE_EC && src->key.ec.qlen <= cap) {
        memcpy(buf, src->key.ec.q, src->key.ec.qlen);
        dst->key.ec.q = buf;
        return 1;
    }
    return 0;
}
