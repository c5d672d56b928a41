#include "tls/client.h"

#include "tls/io.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/mem.h"
#include "net/loop.h"
#include "tls/anchors.h"
#include "tls/derread.h"
#include "tls/keypair.h"
#include "tls/rand.h"

/* The server's list (tls/server.c), in Go's order: what kube-apiserver prefers anyway. */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/* Offering only http/1.1 keeps a Go server from ever picking h2 for us. */
static const char *alpn_names[] = {"http/1.1"};

/* ==== settings ============================================================================== */

/* A client key pair plus the connections using it (rotation must not free a pair that a live
 * connection's engine points to). */
struct cred {
    struct ma_tls_keypair *kp;
    int refs;
};

struct ma_tls_client {
    struct ma_tls_anchors *anchors;
    struct cred *cred;
    int insecure;
    char name[256];
    size_t ip_len; /* 4 or 16 when name is an IP literal, else 0 */
    unsigned char ip[16];
};

static void cred_release(struct cred *c)
{
    if (c != NULL && --c->refs == 0) {
        ma_tls_keypair_free(c->kp);
        free(c->kp);
        free(c);
    }
}

/* see tls/client.h */
struct ma_tls_client *ma_tls_client_new(struct ma_tls_anchors *anchors, const char *server_name,
                                        int insecure)
{
    struct ma_tls_client *c = ma_xcalloc(1, sizeof *c);

    c->anchors = anchors ? ma_tls_anchors_ref(anchors) : NULL;
    c->insecure = insecure; /* no anchors and not insecure: every certificate is untrusted */
    snprintf(c->name, sizeof c->name, "%s", server_name);
    if (inet_pton(AF_INET, c->name, c->ip) == 1)
        c->ip_len = 4;
    else if (inet_pton(AF_INET6, c->name, c->ip) == 1)
        c->ip_len = 16;
    return c;
}

/* see tls/client.h */
void ma_tls_client_set_keypair(struct ma_tls_client *c, struct ma_tls_keypair *kp)
{
    struct cred *cr = NULL;

    if (kp != NULL) {
        cr = ma_xcalloc(1, sizeof *cr);
        cr->kp = kp;
        cr->refs = 1;
    }
    cred_release(c->cred);
    c->cred = cr;
}

/* see tls/client.h */
void ma_tls_client_free(struct ma_tls_client *c)
{
    if (c == NULL)
        return;
    cred_release(c->cred);
    ma_tls_anchors_free(c->anchors);
    free(c);
}

/* ==== server certificate verification ======================================================== */

/* An X.509 engine wrapping br_x509_minimal. For an IP literal it runs minimal without a name
 * (chain and validity only), keeps the leaf, and then requires an iPAddress SAN equal to the
 * address. In insecure mode it only decodes the leaf for its key, which the handshake needs. */
struct verifier {
    const br_x509_class *vtable;
    br_x509_minimal_context xm;
    int insecure;
    size_t ip_len;
    unsigned char ip[16];
    uint32_t ncerts;
    unsigned char *leaf; /* heap, only when ip_len != 0 */
    size_t leaf_len, leaf_cap;
    int leaf_over;
    br_x509_decoder_context *dec; /* insecure mode, while the leaf is received */
    br_x509_pkey pkey;
    unsigned char key_data[BR_X509_BUFSIZE_KEY];
    int have_key;
};

#define VERIFIER(ctx) ((struct verifier *)(void *)(ctx))

static void v_start_chain(const br_x509_class **ctx, const char *server_name)
{
    struct verifier *v = VERIFIER(ctx);

    v->ncerts = 0;
    v->leaf_len = 0;
    v->leaf_over = 0;
    v->have_key = 0;
    if (v->insecure) {
        if (v->dec == NULL)
            v->dec = ma_xmalloc(sizeof *v->dec);
        return;
    }
    v->xm.vtable->start_chain(&v->xm.vtable, v->ip_len ? NULL : server_name);
}

static void v_start_cert(const br_x509_class **ctx, uint32_t length)
{
    struct verifier *v = VERIFIER(ctx);

    if (v->ncerts == 0) {
        if (v->insecure)
            br_x509_decoder_init(v->dec, NULL, NULL);
        if (v->ip_len) {
            if (length > MA_TLS_MAX_CERT_DER)
                v->leaf_over = 1;
            else if (length > v->leaf_cap) {
                v->leaf = ma_xrealloc(v->leaf, length);
                v->leaf_cap = length;
            }
        }
    }
    if (!v->insecure)
        v->xm.vtable->start_cert(&v->xm.vtable, length);
}

static void v_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    struct verifier *v = VERIFIER(ctx);

    if (v->ncerts == 0) {
        if (v->insecure)
            br_x509_decoder_push(v->dec, buf, len);
        if (v->ip_len && !v->leaf_over) {
            if (len > v->leaf_cap - v->leaf_len) {
                v->leaf_over = 1;
            } else {
                memcpy(v->leaf + v->leaf_len, buf, len);
                v->leaf_len += len;
            }
        }
    }
    if (!v->insecure)
        v->xm.vtable->append(&v->xm.vtable, buf, len);
}

/* Keep the leaf's key (insecure mode): the decoder is freed at the end of the chain. */
static void keep_leaf_key(struct verifier *v)
{
    if (br_x509_decoder_last_error(v->dec) == 0)
        v->have_key = ma_tls_pkey_copy(&v->pkey, br_x509_decoder_get_pkey(v->dec), v->key_data,
                                       sizeof v->key_data);
}

static void v_end_cert(const br_x509_class **ctx)
{
    struct verifier *v = VERIFIER(ctx);

    if (v->insecure && v->ncerts == 0)
        keep_leaf_key(v);
    if (!v->insecure)
        v->xm.vtable->end_cert(&v->xm.vtable);
    v->ncerts++;
}

static unsigned v_end_chain(const br_x509_class **ctx)
{
    struct verifier *v = VERIFIER(ctx);
    unsigned err;

    if (v->insecure) {
        free(v->dec);
        v->dec = NULL;
        if (v->ncerts == 0)
            return BR_ERR_X509_EMPTY_CHAIN;
        return v->have_key ? 0 : BR_ERR_X509_UNSUPPORTED;
    }
    err = v->xm.vtable->end_chain(&v->xm.vtable);
    if (err != 0 || v->ip_len == 0)
        return err;
    if (v->leaf_over)
        return BR_ERR_X509_LIMIT_EXCEEDED;
    return ma_tls_der_cert_has_ip(v->leaf, v->leaf_len, v->ip, v->ip_len) == 1
               ? 0
               : BR_ERR_X509_BAD_SERVER_NAME;
}

static const br_x509_pkey *v_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    struct verifier *v = VERIFIER(ctx);

    if (!v->insecure)
        return v->xm.vtable->get_pkey(&v->xm.vtable, usages);
    if (usages != NULL)
        *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
    return v->have_key ? &v->pkey : NULL;
}

static const br_x509_class verifier_vtable = {
    sizeof(struct verifier),
    v_start_chain,
    v_start_cert,
    v_append,
    v_end_cert,
    v_end_chain,
    v_get_pkey,
};

/* ==== connection ============================================================================ */

struct tls_cconn {
    const struct ma_net_conn_class *vtable;
    struct ma_tls_io io;
    struct ma_tls_anchors *anchors;
    struct cred *cred;
    char name[256];
    char errtext[160];
    struct verifier v;
    br_ssl_client_context cc;
    /* BIDI: a request can be written while the previous response's records are still read */
    unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

#define CONN(c) ((struct tls_cconn *)(void *)(c))

/* the shared vtable entries of tls/io.c see this struct through its first two fields */
_Static_assert(offsetof(struct tls_cconn, io) == offsetof(struct ma_tls_io_conn, io),
               "struct tls_cconn must begin like struct ma_tls_io_conn");

static void setup_engine(struct tls_cconn *c, const struct ma_tls_client *s)
{
    br_ssl_client_context *cc = &c->cc;
    br_ssl_engine_context *eng = &cc->eng;
    static const br_hash_class *const hashes[] = {&br_sha1_vtable, &br_sha224_vtable,
                                                  &br_sha256_vtable, &br_sha384_vtable,
                                                  &br_sha512_vtable};
    int id;

    br_ssl_client_zero(cc);
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
    br_ssl_engine_set_default_ecdsa(eng);
    br_ssl_engine_set_default_rsavrfy(eng);
    br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
    br_ssl_engine_set_default_aes_gcm(eng);
    br_ssl_engine_set_default_chapol(eng);

    c->v.vtable = &verifier_vtable;
    c->v.insecure = s->insecure;
    c->v.ip_len = s->ip_len;
    memcpy(c->v.ip, s->ip, sizeof c->v.ip);
    if (!s->insecure) {
        size_t n = 0;
        const br_x509_trust_anchor *ta = s->anchors ? ma_tls_anchors_get(s->anchors, &n) : NULL;

        br_x509_minimal_init(&c->v.xm, &br_sha256_vtable, ta, n);
        br_x509_minimal_set_rsa(&c->v.xm, br_ssl_engine_get_rsavrfy(eng));
        br_x509_minimal_set_ecdsa(&c->v.xm, br_ssl_engine_get_ec(eng),
                                  br_ssl_engine_get_ecdsa(eng));
    }
    /* MD5 (id 1) is left out: certificates signed with it are refused */
    for (id = br_sha1_ID; id <= br_sha512_ID; id++) {
        br_ssl_engine_set_hash(eng, id, hashes[id - br_sha1_ID]);
        if (!s->insecure)
            br_x509_minimal_set_hash(&c->v.xm, id, hashes[id - br_sha1_ID]);
    }
    br_ssl_engine_set_x509(eng, &c->v.vtable);

    if (c->cred != NULL) {
        struct ma_tls_keypair *kp = c->cred->kp;

        if (kp->key_type == BR_KEYTYPE_RSA)
            br_ssl_client_set_single_rsa(cc, kp->chain, kp->chain_len, &kp->rsa,
                                         br_rsa_pkcs1_sign_get_default());
        else
            br_ssl_client_set_single_ec(cc, kp->chain, kp->chain_len, &kp->ec, BR_KEYTYPE_SIGN,
                                        BR_KEYTYPE_EC, br_ec_get_default(),
                                        br_ecdsa_sign_asn1_get_default());
    }
    br_ssl_engine_set_protocol_names(eng, alpn_names, 1);
    br_ssl_engine_set_all_flags(eng, BR_OPT_NO_RENEGOTIATION);
    br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);
}

/* ---- transport (the record pump is tls/io.c) ---------------------------------------------- */

static int conn_read(const struct ma_net_conn_class **cc, void *buf, size_t len)
{
    return ma_tls_io_read(&CONN(cc)->io, buf, len);
}

static int conn_write(const struct ma_net_conn_class **cc, const void *buf, size_t len)
{
    return ma_tls_io_write(&CONN(cc)->io, buf, len);
}

static int conn_established(const struct ma_net_conn_class **cc)
{
    struct tls_cconn *c = CONN(cc);

    if (!c->io.app && (br_ssl_engine_current_state(&c->cc.eng) & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
        c->io.app = 1;
    return c->io.app;
}

static const struct ma_tls_peer *conn_peer(const struct ma_net_conn_class **cc)
{
    (void)cc;
    return NULL;
}

static const char *alert_name(int a)
{
    switch (a) {
    case 40:
        return "handshake_failure";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 48:
        return "unknown_ca";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 112:
        return "unrecognized_name";
    case 116:
        return "certificate_required";
    }
    return "alert";
}

static const char *conn_last_error(const struct ma_net_conn_class **cc)
{
    struct tls_cconn *c = CONN(cc);
    int err = br_ssl_engine_last_error(&c->cc.eng);
    char *t = c->errtext;
    size_t n = sizeof c->errtext;

    switch (err) {
    case BR_ERR_OK:
    case BR_ERR_IO:
        return ma_tls_io_syserr(&c->io, t, n); /* the socket error or EOF, or "" */
    case BR_ERR_X509_NOT_TRUSTED:
        snprintf(t, n, "server certificate is not signed by a trusted CA");
        break;
    case BR_ERR_X509_BAD_SERVER_NAME:
        snprintf(t, n, "server certificate is not valid for %.80s%s", c->name,
                 c->v.ip_len ? " (no matching IP address SAN)" : "");
        break;
    case BR_ERR_X509_EXPIRED:
        snprintf(t, n, "server certificate has expired or is not yet valid");
        break;
    default:
        if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
            snprintf(t, n, "server refused the handshake: alert %d (%s)%s",
                     err - BR_ERR_RECV_FATAL_ALERT, alert_name(err - BR_ERR_RECV_FATAL_ALERT),
                     c->cred == NULL ? "; no client certificate was configured" : "");
        else if (err >= BR_ERR_SEND_FATAL_ALERT)
            snprintf(t, n, "TLS alert %d (%s) sent to the server", err - BR_ERR_SEND_FATAL_ALERT,
                     alert_name(err - BR_ERR_SEND_FATAL_ALERT));
        else if (err >= BR_ERR_X509_OK)
            snprintf(t, n, "server certificate rejected (BearSSL X.509 error %d)", err);
        else
            snprintf(t, n, "TLS protocol error (BearSSL error %d)", err);
    }
    return t;
}

static void conn_close(const struct ma_net_conn_class **cc)
{
    struct tls_cconn *c = CONN(cc);

    ma_tls_io_close_notify(&c->io);
    close(c->io.fd);
    cred_release(c->cred);
    ma_tls_anchors_free(c->anchors);
    free(c->v.dec);
    free(c->v.leaf);
    free(c);
}

static const struct ma_net_conn_class tls_cconn_vtable = {
    conn_read, conn_write, ma_tls_io_conn_flush, ma_tls_io_conn_want, ma_tls_io_conn_pending,
    conn_established, conn_peer,  conn_last_error, conn_close,
};

/* see tls/client.h */
const struct ma_net_conn_class **ma_tls_client_connect(struct ma_tls_client *s, int fd,
                                                       struct ma_errmsg *em)
{
    struct tls_cconn *c = ma_xmalloc(sizeof *c);
    unsigned char seed[32];

    /* BearSSL initialises its own contexts; the I/O buffer stays untouched */
    memset(c, 0, offsetof(struct tls_cconn, cc));
    c->vtable = &tls_cconn_vtable;
    c->anchors = s->anchors ? ma_tls_anchors_ref(s->anchors) : NULL;
    if ((c->cred = s->cred) != NULL)
        c->cred->refs++;
    snprintf(c->name, sizeof c->name, "%s", s->name);
    setup_engine(c, s);
    ma_tls_io_init(&c->io, &c->cc.eng, fd, MA_NET_WRITABLE);
    if (ma_tls_random(seed, sizeof seed) != MA_OK) {
        ma_errmsg_set(em, "no entropy for TLS: getrandom failed");
        goto fail;
    }
    br_ssl_engine_inject_entropy(&c->cc.eng, seed, sizeof seed);
    /* SNI carries DNS names only (RFC 6066 3); NULL also tells minimal to skip its name check */
    if (!br_ssl_client_reset(&c->cc, s->ip_len ? NULL : s->name, 0)) {
        ma_errmsg_set(em, "TLS engine reset failed: BearSSL error %d",
                      br_ssl_engine_last_error(&c->cc.eng));
        goto fail;
    }
    return &c->vtable;
fail:
    conn_close(&c->vtable);
    return NULL;
}
