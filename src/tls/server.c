#include "tls/server.h"

#include <bearssl.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/loop.h"
#include "tls/anchors.h"
#include "tls/io.h"
#include "tls/keypair.h"
#include "tls/rand.h"

/* Go's TLS 1.2 defaults, minus CBC and RSA key exchange (spec section 6): kube-apiserver offers
 * these first, Python and curl offer them too. The client's order decides among them. */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,       BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,       BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/* We only ever speak HTTP/1.1: offering just this name makes BearSSL select it when the client
 * lists it (Go lists "h2" first) and select nothing otherwise; it never picks h2. */
static const char *alpn_names[] = {"http/1.1"};

/* Session cache shared by all connections: 100 bytes per session in BearSSL. */
#define SESSION_CACHE_BYTES (16 * 1024)

/* A certificate/key pair plus the handshakes still using it (a reload must not free a pair that
 * an in-flight handshake points to). */
struct cred {
    struct ma_tls_keypair *kp;
    int refs;
};

/* The CA names sent in CertificateRequest, shared like credentials (BearSSL reads them during
 * the handshake). BearSSL sends no CertificateRequest at all for an empty list, so "no CA" is one
 * empty DN: clients then send whatever certificate they have. */
struct names {
    br_x500_name *v;
    size_t n;
    unsigned char *blob;
    int refs;
};

struct ma_tls_server {
    struct cred *cur;
    struct names *names;
    br_ssl_session_cache_lru cache;
    unsigned char cache_mem[SESSION_CACHE_BYTES];
};

/* X.509 "engine" for client certificates. BearSSL asks the engine for the client's public key to
 * check CertificateVerify; validation against client CAs belongs to the authentication layer
 * (auth/, through tls/peercert.h), which answers 401 rather than tearing the handshake down (the
 * Go servers request but do not require certificates: spec section 6). So this engine decodes the
 * leaf, returns its key, records the chain (bounded), and never fails the handshake on trust. */
struct recorder {
    const br_x509_class *vtable;
    br_x509_decoder_context *dec; /* only while a chain is being received */
    unsigned char *chain;         /* the recorded certificates back to back (heap) */
    size_t chain_len, chain_cap;
    size_t off[MA_TLS_MAX_PEER_CERTS], len[MA_TLS_MAX_PEER_CERTS];
    size_t ncerts, cur_len;
    int over; /* too many certificates or bytes: the chain is not kept */
    br_x509_pkey pkey;
    unsigned char key_data[BR_X509_BUFSIZE_KEY];
    int have_key;
};

struct tls_conn {
    const struct ma_net_conn_class *vtable;
    struct ma_tls_io io;
    struct ma_tls_server *srv;
    struct cred *cred; /* held until the handshake completes */
    struct names *names; /* likewise */
    struct recorder rec;
    struct ma_tls_peer peer;
    char errtext[120];
    br_ssl_server_context sc;
    /* BIDI buffer: requests can arrive (pipelining) while a response is being sent */
    unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

#define CONN(c) ((struct tls_conn *)(void *)(c))

/* the shared vtable entries of tls/io.c see this struct through its first two fields */
_Static_assert(offsetof(struct tls_conn, io) == offsetof(struct ma_tls_io_conn, io),
               "struct tls_conn must begin like struct ma_tls_io_conn");

/* ---- client certificate recorder --------------------------------------------------------- */

static void rec_start_chain(const br_x509_class **ctx, const char *server_name)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    (void)server_name;
    r->ncerts = 0;
    r->chain_len = 0;
    r->over = 0;
    r->have_key = 0;
    if (r->dec == NULL)
        r->dec = ma_xmalloc(sizeof *r->dec);
}

static void rec_start_cert(const br_x509_class **ctx, uint32_t length)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    if (r->ncerts == 0)
        br_x509_decoder_init(r->dec, NULL, NULL);
    r->cur_len = 0;
    if (r->over)
        return;
    if (r->ncerts >= MA_TLS_MAX_PEER_CERTS ||
        length > MA_TLS_MAX_PEER_CHAIN_BYTES - r->chain_len) {
        r->over = 1; /* a hostile or broken peer: keep the key, not the bytes */
        return;
    }
    if (r->chain_len + length > r->chain_cap) {
        r->chain_cap = r->chain_len + length;
        r->chain = ma_xrealloc(r->chain, r->chain_cap);
    }
    r->off[r->ncerts] = r->chain_len;
}

static void rec_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    if (r->ncerts == 0)
        br_x509_decoder_push(r->dec, buf, len);
    if (r->over)
        return;
    if (r->chain_len + len > r->chain_cap) {
        r->over = 1; /* more bytes than the announced length: cannot happen with BearSSL */
        return;
    }
    memcpy(r->chain + r->chain_len, buf, len);
    r->chain_len += len;
    r->cur_len += len;
}

static void rec_end_cert(const br_x509_class **ctx)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    if (!r->over && r->ncerts < MA_TLS_MAX_PEER_CERTS)
        r->len[r->ncerts] = r->cur_len;
    if (r->ncerts++ != 0)
        return;
    /* copy the key out of the decoder, which is freed after the chain */
    if (br_x509_decoder_last_error(r->dec) == 0)
        r->have_key = ma_tls_pkey_copy(&r->pkey, br_x509_decoder_get_pkey(r->dec), r->key_data,
                                       sizeof r->key_data);
}

static unsigned rec_end_chain(const br_x509_class **ctx)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    free(r->dec);
    r->dec = NULL;
    return r->have_key ? 0 : BR_ERR_X509_UNSUPPORTED;
}

static const br_x509_pkey *rec_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    struct recorder *r = (struct recorder *)(void *)ctx;

    if (usages != NULL)
        *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
    return r->have_key ? &r->pkey : NULL;
}

static const br_x509_class recorder_vtable = {
    sizeof(struct recorder), rec_start_chain, rec_start_cert, rec_append,
    rec_end_cert,            rec_end_chain,   rec_get_pkey,
};

/* ---- credentials ------------------------------------------------------------------------- */

static void cred_release(struct cred *c)
{
    if (c != NULL && --c->refs == 0) {
        ma_tls_keypair_free(c->kp);
        free(c->kp);
        free(c);
    }
}

static void names_release(struct names *n)
{
    if (n != NULL && --n->refs == 0) {
        free(n->v);
        free(n->blob);
        free(n);
    }
}

/* see tls/server.h */
void ma_tls_server_set_client_cas(struct ma_tls_server *s, struct ma_tls_anchors *const *sets,
                                  size_t nsets)
{
    static const unsigned char empty_dn[] = {0x30, 0x00};
    struct names *n = ma_xcalloc(1, sizeof *n);
    size_t i, j, total = 0, count = 0, off = 0;

    for (i = 0; i < nsets; i++) {
        size_t k = 0;
        const br_x509_trust_anchor *ta = sets[i] ? ma_tls_anchors_get(sets[i], &k) : NULL;

        for (j = 0; j < k; j++) {
            total += ta[j].dn.len;
            count++;
        }
    }
    if (count == 0) {
        total = sizeof empty_dn;
        count = 1;
    }
    n->v = ma_xcalloc(count, sizeof *n->v);
    n->blob = ma_xmalloc(total);
    for (i = 0; i < nsets; i++) {
        size_t k = 0;
        const br_x509_trust_anchor *ta = sets[i] ? ma_tls_anchors_get(sets[i], &k) : NULL;

        for (j = 0; j < k; j++) {
            memcpy(n->blob + off, ta[j].dn.data, ta[j].dn.len);
            n->v[n->n].data = n->blob + off;
            n->v[n->n++].len = ta[j].dn.len;
            off += ta[j].dn.len;
        }
    }
    if (n->n == 0) {
        memcpy(n->blob, empty_dn, sizeof empty_dn);
        n->v[0].data = n->blob;
        n->v[0].len = sizeof empty_dn;
        n->n = 1;
    }
    n->refs = 1;
    names_release(s->names);
    s->names = n;
}

/* see tls/server.h */
struct ma_tls_server *ma_tls_server_new(struct ma_tls_keypair *kp)
{
    struct ma_tls_server *s = ma_xcalloc(1, sizeof *s);

    br_ssl_session_cache_lru_init(&s->cache, s->cache_mem, sizeof s->cache_mem);
    ma_tls_server_set_keypair(s, kp);
    ma_tls_server_set_client_cas(s, NULL, 0);
    return s;
}

/* see tls/server.h */
void ma_tls_server_set_keypair(struct ma_tls_server *s, struct ma_tls_keypair *kp)
{
    struct cred *c = ma_xcalloc(1, sizeof *c);

    c->kp = kp;
    c->refs = 1;
    cred_release(s->cur);
    s->cur = c;
}

/* see tls/server.h */
void ma_tls_server_free(struct ma_tls_server *s)
{
    if (s == NULL)
        return;
    cred_release(s->cur);
    names_release(s->names);
    free(s);
}

/* ---- engine setup ------------------------------------------------------------------------ */

static void setup_engine(struct tls_conn *c)
{
    br_ssl_server_context *sc = &c->sc;
    br_ssl_engine_context *eng = &sc->eng;
    struct ma_tls_keypair *kp = c->cred->kp;

    br_ssl_server_zero(sc);
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
    /* one EC implementation for ECDHE and signatures alike: the fastest this CPU allows */
    br_ssl_engine_set_ec(eng, br_ec_get_default());
    br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
    br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
    br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
    br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
    br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
    br_ssl_engine_set_default_aes_gcm(eng);
    br_ssl_engine_set_default_chapol(eng);
    br_ssl_engine_set_default_ecdsa(eng);
    br_ssl_engine_set_default_rsavrfy(eng);
    if (kp->key_type == BR_KEYTYPE_RSA)
        br_ssl_server_set_single_rsa(sc, kp->chain, kp->chain_len, &kp->rsa, BR_KEYTYPE_SIGN,
                                     br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
    else
        br_ssl_server_set_single_ec(sc, kp->chain, kp->chain_len, &kp->ec, BR_KEYTYPE_SIGN,
                                    BR_KEYTYPE_EC, br_ec_get_default(),
                                    br_ecdsa_sign_asn1_get_default());
    br_ssl_engine_set_protocol_names(eng, alpn_names, 1);
    br_ssl_server_set_cache(sc, &c->srv->cache.vtable);
    c->rec.vtable = &recorder_vtable;
    br_ssl_engine_set_x509(eng, &c->rec.vtable);
    br_ssl_server_set_trust_anchor_names(sc, c->names->v, c->names->n);
    br_ssl_engine_set_all_flags(eng, BR_OPT_TOLERATE_NO_CLIENT_AUTH | BR_OPT_NO_RENEGOTIATION);
    br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);
}

/* ---- transport (the record pump is tls/io.c) ---------------------------------------------- */

/* Once the handshake is over: drop the credential reference and publish peer facts. */
static void check_handshake(struct tls_conn *c)
{
    if (c->cred == NULL || !c->io.app)
        return;
    cred_release(c->cred);
    c->cred = NULL;
    names_release(c->names);
    c->names = NULL;
    if (c->rec.have_key && c->rec.ncerts > 0) {
        struct recorder *r = &c->rec;
        size_t i;

        static uint64_t serials;

        c->peer.cert_presented = 1;
        c->peer.serial = ++serials;
        c->peer.chain_len = r->ncerts;
        c->peer.chain_over = r->over;
        if (!r->over) {
            c->peer.ncerts = r->ncerts;
            for (i = 0; i < r->ncerts; i++) {
                c->peer.certs[i] = r->chain + r->off[i];
                c->peer.cert_lens[i] = r->len[i];
            }
            c->peer.leaf_der = r->chain;
            c->peer.leaf_len = r->len[0];
        }
    }
}

static int conn_read(const struct ma_net_conn_class **cc, void *buf, size_t len)
{
    struct tls_conn *c = CONN(cc);
    int r = ma_tls_io_read(&c->io, buf, len);

    check_handshake(c);
    return r;
}

static int conn_write(const struct ma_net_conn_class **cc, const void *buf, size_t len)
{
    struct tls_conn *c = CONN(cc);
    int r = ma_tls_io_write(&c->io, buf, len);

    check_handshake(c);
    return r;
}

static void conn_close(const struct ma_net_conn_class **cc)
{
    struct tls_conn *c = CONN(cc);

    ma_tls_io_close_notify(&c->io);
    close(c->io.fd);
    cred_release(c->cred);
    names_release(c->names);
    free(c->rec.dec);
    free(c->rec.chain);
    free(c);
}

static int conn_established(const struct ma_net_conn_class **cc)
{
    return CONN(cc)->cred == NULL;
}

static const struct ma_tls_peer *conn_peer(const struct ma_net_conn_class **cc)
{
    return &CONN(cc)->peer;
}

static const char *conn_last_error(const struct ma_net_conn_class **cc)
{
    struct tls_conn *c = CONN(cc);
    int err = br_ssl_engine_last_error(&c->sc.eng);

    if (err == BR_ERR_OK || err == BR_ERR_IO)
        return ma_tls_io_syserr(&c->io, c->errtext, sizeof c->errtext);
    snprintf(c->errtext, sizeof c->errtext, "BearSSL error %d", err);
    return c->errtext;
}

static const struct ma_net_conn_class tls_conn_vtable = {
    conn_read, conn_write, ma_tls_io_conn_flush, ma_tls_io_conn_want, ma_tls_io_conn_pending,
    conn_established, conn_peer,  conn_last_error, conn_close,
};

/* see tls/server.h */
const struct ma_net_conn_class **ma_tls_server_accept(struct ma_tls_server *s, int fd,
                                                      struct ma_errmsg *em)
{
    struct tls_conn *c = ma_xmalloc(sizeof *c);
    unsigned char seed[32];

    /* only the header fields need zeroing: BearSSL initialises its context, and the I/O buffer
     * must stay untouched so idle connections do not pull its pages into RSS */
    memset(c, 0, offsetof(struct tls_conn, sc));
    c->vtable = &tls_conn_vtable;
    c->srv = s;
    c->cred = s->cur;
    c->cred->refs++;
    c->names = s->names;
    c->names->refs++;
    setup_engine(c);
    ma_tls_io_init(&c->io, &c->sc.eng, fd, MA_NET_READABLE);
    if (ma_tls_random(seed, sizeof seed) != MA_OK) {
        ma_errmsg_set(em, "no entropy for TLS: getrandom failed");
        goto fail;
    }
    br_ssl_engine_inject_entropy(&c->sc.eng, seed, sizeof seed);
    if (!br_ssl_server_reset(&c->sc)) {
        ma_errmsg_set(em, "TLS engine reset failed: BearSSL error %d",
                      br_ssl_engine_last_error(&c->sc.eng));
        goto fail;
    }
    return &c->vtable;
fail:
    conn_close(&c->vtable);
    return NULL;
}

/* see tls/server.h */
unsigned ma_tls_conn_suite(const struct ma_net_conn_class **cc)
{
    br_ssl_session_parameters sp;

    br_ssl_engine_get_session_parameters(&CONN(cc)->sc.eng, &sp);
    return sp.cipher_suite;
}
