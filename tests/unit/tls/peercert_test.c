/* tls/peercert.c: client chain verification against a CA pool, EKU, subject names, the
 * per-connection verdict cache. Certificates: tests/vectors/auth (see its README). */
#include "tls/peercert.h"

#include "t.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/anchors.h"
#include "tls/server.h"

#define VEC "tests/vectors/auth/"
#define T_VALID 1924992000  /* 2031-01-01 */
#define T_LATE 2208988800   /* 2040-01-01: after every notAfter */
#define T_EARLY 1577836800  /* 2020-01-01: before every notBefore */

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    FILE *f;
    char *buf = malloc(65536);

    snprintf(path, sizeof path, VEC "%s", name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        exit(1);
    }
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

static void der_cb(void *ctx, const void *data, size_t len)
{
    br_x509_certificate *c = ctx;

    c->data = realloc(c->data, c->data_len + len);
    memcpy(c->data + c->data_len, data, len);
    c->data_len += len;
}

/* The first CERTIFICATE block of a vector file, as DER (heap). */
static br_x509_certificate der_of(const char *name)
{
    br_pem_decoder_context pc;
    br_x509_certificate c = {0};
    size_t len, off = 0;
    char *pem = slurp(name, &len);
    int in = 0;

    br_pem_decoder_init(&pc);
    while (off < len) {
        off += br_pem_decoder_push(&pc, pem + off, len - off);
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            in = c.data_len == 0;
            br_pem_decoder_setdest(&pc, in ? der_cb : NULL, &c);
            break;
        case BR_PEM_END_OBJ:
            off = len;
            break;
        default:
            break;
        }
    }
    free(pem);
    return c;
}

static struct ma_tls_peercert *verifier(const char *ca)
{
    size_t len;
    char *pem = slurp(ca, &len);
    struct ma_tls_anchors *a = ma_tls_anchors_new_pem(pem, len, NULL);
    struct ma_tls_peercert *v;

    free(pem);
    CHECK(a != NULL);
    v = ma_tls_peercert_new(a);
    ma_tls_anchors_free(a);
    return v;
}

static uint64_t next_serial = 1000;

/* A peer that presented the named vector files (leaf first). */
static void peer_of(struct ma_tls_peer *p, const char *const *names, size_t n)
{
    size_t i;

    memset(p, 0, sizeof *p);
    p->cert_presented = 1;
    p->serial = next_serial++;
    for (i = 0; i < n; i++) {
        br_x509_certificate c = der_of(names[i]);

        p->certs[i] = c.data;
        p->cert_lens[i] = c.data_len;
    }
    p->ncerts = p->chain_len = n;
    p->leaf_der = (unsigned char *)p->certs[0];
    p->leaf_len = p->cert_lens[0];
}

static void peer_free(struct ma_tls_peer *p)
{
    size_t i;

    for (i = 0; i < p->ncerts; i++)
        free((void *)p->certs[i]);
}

static const struct row {
    const char *chain[2];
    time_t now;
    int rc;
    const char *why; /* substring of the message */
    const char *cn;
} rows[] = {
    {{"proxy.pem"}, T_VALID, MA_OK, NULL, "front-proxy-client"},
    {{"no-eku.pem"}, T_VALID, MA_OK, NULL, "no-eku-user"}, /* no EKU: any usage */
    {{"via-int.pem", "int.pem"}, T_VALID, MA_OK, NULL, "via-intermediate"},
    {{"via-int.pem"}, T_VALID, MA_ERR_DENIED, "unknown authority", NULL}, /* intermediate missing */
    {{"proxy.pem"}, T_LATE, MA_ERR_DENIED, "expired", NULL},
    {{"proxy.pem"}, T_EARLY, MA_ERR_DENIED, "not yet valid", NULL},
    {{"server-only.pem"}, T_VALID, MA_ERR_DENIED, "incompatible key usage", NULL},
    {{"other.pem"}, T_VALID, MA_ERR_DENIED, "unknown authority", NULL},
    {{"sha1.pem"}, T_VALID, MA_ERR_DENIED, "signature", NULL},
};

static void test_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct ma_tls_peercert *v = verifier("ca.pem");
        struct ma_tls_peer p;
        const struct ma_tls_peer_id *id = NULL;
        struct ma_errmsg em;
        int rc;

        peer_of(&p, r->chain, r->chain[1] ? 2 : 1);
        rc = ma_tls_peercert_verify(v, &p, r->now, &id, &em);
        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d want %d (%s)\n", i, r->chain[0], rc, r->rc,
                    rc ? em.msg : "ok");
        CHECK_EQ(rc, r->rc);
        if (rc == MA_OK && r->cn != NULL)
            CHECK_STR(id->cn, r->cn);
        if (rc != MA_OK && r->why != NULL && strstr(em.msg, r->why) == NULL) {
            fprintf(stderr, "row %zu: message %s lacks %s\n", i, em.msg, r->why);
            CHECK(0);
        }
        peer_free(&p);
        ma_tls_peercert_free(v);
    }
}

static void test_subject(void)
{
    br_x509_certificate c = der_of("proxy.pem");
    struct ma_tls_peer_id id;

    CHECK_EQ(ma_tls_cert_subject(c.data, c.data_len, &id), MA_OK);
    CHECK_STR(id.cn, "front-proxy-client");
    CHECK_EQ(id.norgs, 2);
    CHECK_STR(id.orgs[0], "system:masters");
    CHECK_STR(id.orgs[1], "team a");
    CHECK_EQ(ma_tls_cert_allows_client_auth(c.data, c.data_len), 1);
    CHECK_EQ(ma_tls_cert_subject(c.data, c.data_len / 2, &id), MA_ERR_SYNTAX);
    free(c.data);
    c = der_of("server-only.pem");
    CHECK_EQ(ma_tls_cert_allows_client_auth(c.data, c.data_len), 0);
    free(c.data);
}

/* The verdict is cached per connection for the TTL; another connection is verified afresh. */
static void test_cache(void)
{
    static const char *const good[] = {"proxy.pem"}, *const bad[] = {"other.pem"};
    struct ma_tls_peercert *v = verifier("ca.pem");
    struct ma_tls_peer p, q;
    const struct ma_tls_peer_id *id;
    uint64_t serial;

    peer_of(&p, good, 1);
    peer_of(&q, bad, 1);
    CHECK_EQ(ma_tls_peercert_verify(v, &p, T_VALID, &id, NULL), MA_OK);
    /* same connection, bytes swapped behind the cache's back: the cached verdict stands */
    serial = p.serial;
    q.serial = serial;
    CHECK_EQ(ma_tls_peercert_verify(v, &q, T_VALID + 1, &id, NULL), MA_OK);
    /* ... until the TTL is over */
    CHECK_EQ(ma_tls_peercert_verify(v, &q, T_VALID + MA_TLS_PEERCERT_TTL, &id, NULL),
             MA_ERR_DENIED);
    q.serial = next_serial++;
    CHECK_EQ(ma_tls_peercert_verify(v, &q, T_VALID, &id, NULL), MA_ERR_DENIED);
    CHECK_EQ(ma_tls_peercert_verify(v, NULL, T_VALID, &id, NULL), MA_ERR_NOTFOUND);
    q.chain_over = 1;
    q.serial = next_serial++;
    CHECK_EQ(ma_tls_peercert_verify(v, &q, T_VALID, &id, NULL), MA_ERR_DENIED);
    peer_free(&p);
    peer_free(&q);
    ma_tls_peercert_free(v);
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_subject);
    T_RUN(test_cache);
    T_END();
}
