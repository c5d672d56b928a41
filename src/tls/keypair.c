#include "tls/keypair.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "tls/x509gen.h"

#define MIN_RSA_BITS 2048 /* NIST SP 800-131A; Go and kube tooling generate 2048 by default */
#define MAX_RSA_BITS 4096 /* BearSSL's BR_MAX_RSA_SIZE (src/inner.h, not exported) */

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n-- > 0)
        *v++ = 0;
}

/* ---- PEM walking ----------------------------------------------------------------------------- */

/* Receives each complete PEM object; returns MA_OK to go on, or an error to stop the walk. */
typedef int (*pem_fn)(void *ctx, const char *name, const unsigned char *der, size_t len);

static void append_der(void *ctx, const void *src, size_t len)
{
    ma_buf_append(ctx, src, len);
}

/* Decode every PEM object of data[0..len) into der (reset per object) and pass it to fn. Text
 * outside objects is ignored, as by OpenSSL and Go. */
static int pem_walk(const unsigned char *data, size_t len, struct ma_buf *der, pem_fn fn, void *ctx,
                    const char *what, struct ma_errmsg *em)
{
    br_pem_decoder_context pc;
    char name[sizeof pc.name], *dash;
    int inobj = 0, tail = 0, rc;
    size_t k;

    br_pem_decoder_init(&pc);
    for (;;) {
        if (len == 0) {
            /* BearSSL only ends a line at its EOL: feed one so a file without a final newline
             * still closes its last END line */
            if (tail)
                break;
            data = (const unsigned char *)"\n";
            len = 1;
            tail = 1;
        }
        k = br_pem_decoder_push(&pc, data, len);
        data += k;
        len -= k;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
            /* BearSSL 0.6 drops the CR of a CR LF banner line but still advances in its name
             * buffer, so it only trims dashes when the line ends in LF: the name then reads
             * "CERTIFICATE-----" plus a stale byte. Labels have no "-----" (RFC 7468 3). */
            if ((dash = strstr(name, "-----")) != NULL)
                *dash = '\0';
            ma_buf_reset(der);
            br_pem_decoder_setdest(&pc, append_der, der);
            inobj = 1;
            break;
        case BR_PEM_END_OBJ:
            inobj = 0;
            if (der->err) {
                ma_errmsg_set(em, "%s: PEM block too large", what);
                return MA_ERR_LIMIT;
            }
            if ((rc = fn(ctx, name, (const unsigned char *)der->p, der->len)) != MA_OK)
                return rc;
            break;
        case BR_PEM_ERROR:
            ma_errmsg_set(em, "%s: malformed PEM (bad base64 or header in a %s block)", what,
                          inobj ? name : "PEM");
            return MA_ERR_SYNTAX;
        }
    }
    if (inobj) {
        ma_errmsg_set(em, "%s: truncated PEM: %s block has no END line", what, name);
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

/* ---- certificates ---------------------------------------------------------------------------- */

struct cert_ctx {
    struct ma_tls_keypair *kp;
    const char *what;
    struct ma_errmsg *em;
};

static const char *x509_reason(int err)
{
    switch (err) {
    case BR_ERR_X509_TRUNCATED:
        return "truncated DER";
    case BR_ERR_X509_UNSUPPORTED:
        return "unsupported public key algorithm";
    case BR_ERR_X509_LIMIT_EXCEEDED:
        return "public key too large";
    }
    return "not a valid X.509 certificate";
}

/* Decode der into *dc; returns 0 or a BearSSL X.509 error code. */
static int decode_cert(br_x509_decoder_context *dc, const unsigned char *der, size_t len)
{
    br_x509_decoder_init(dc, NULL, NULL);
    br_x509_decoder_push(dc, der, len);
    return br_x509_decoder_last_error(dc);
}

static int on_cert(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct cert_ctx *c = ctx;
    struct ma_tls_keypair *kp = c->kp;
    br_x509_decoder_context dc;
    int err;

    if (strcmp(name, "CERTIFICATE") != 0)
        return MA_OK;
    if (kp->chain_len == MA_TLS_MAX_CHAIN) {
        ma_errmsg_set(c->em, "%s: more than %d certificates in the chain", c->what,
                      MA_TLS_MAX_CHAIN);
        return MA_ERR_LIMIT;
    }
    if ((err = decode_cert(&dc, der, len)) != 0) {
        ma_errmsg_set(c->em, "%s: certificate %zu: %s (BearSSL error %d)", c->what,
                      kp->chain_len + 1, x509_reason(err), err);
        return MA_ERR_SYNTAX;
    }
    kp->chain[kp->chain_len].data = ma_xmalloc(len);
    memcpy(kp->chain[kp->chain_len].data, der, len);
    kp->chain[kp->chain_len].data_len = len;
    kp->chain_len++;
    return MA_OK;
}

/* ---- private keys ---------------------------------------------------------------------------- */

struct key_ctx {
    struct ma_tls_keypair *kp;
    const char *what;
    struct ma_errmsg *em;
    br_skey_decoder_context dc;
    int found;
};

/* Group orders of the curves we accept (SEC 2), for the private scalar range check: BearSSL's EC
 * code assumes 0 < x < n and gives unpredictable results otherwise. */
static const unsigned char P256_N[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
static const unsigned char P384_N[48] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF,
    0x58, 0x1A, 0x0D, 0xB2, 0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73};

static const char *curve_name(int curve)
{
    switch (curve) {
    case BR_EC_secp256r1:
        return "P-256";
    case BR_EC_secp384r1:
        return "P-384";
    case BR_EC_secp521r1:
        return "P-521";
    case BR_EC_secp256k1:
        return "secp256k1";
    case BR_EC_curve25519:
        return "X25519";
    }
    return "unknown";
}

/* 1 if 0 < x < n (x big-endian, leading zeros allowed). */
static int scalar_in_range(const unsigned char *x, size_t xlen, const unsigned char *n, size_t nlen)
{
    while (xlen > 0 && x[0] == 0) {
        x++;
        xlen--;
    }
    if (xlen == 0 || xlen > nlen)
        return 0;
    if (xlen < nlen)
        return 1;
    return memcmp(x, n, nlen) < 0;
}

static int take_rsa(struct key_ctx *c, const br_rsa_private_key *sk)
{
    struct ma_tls_keypair *kp = c->kp;
    unsigned char *p;

    if (sk->n_bitlen < MIN_RSA_BITS || sk->n_bitlen > MAX_RSA_BITS) {
        ma_errmsg_set(c->em, "%s: RSA key of %u bits is too %s (must be %d to %d bits)", c->what,
                      (unsigned)sk->n_bitlen, sk->n_bitlen < MIN_RSA_BITS ? "small" : "large",
                      MIN_RSA_BITS, MAX_RSA_BITS);
        return MA_ERR_SYNTAX;
    }
    kp->_key_len = sk->plen + sk->qlen + sk->dplen + sk->dqlen + sk->iqlen;
    kp->_key = p = ma_xmalloc(kp->_key_len);
    kp->rsa.n_bitlen = sk->n_bitlen;
#define TAKE(f)                                                                                    \
    do {                                                                                           \
        memcpy(p, sk->f, sk->f##len);                                                              \
        kp->rsa.f = p;                                                                             \
        kp->rsa.f##len = sk->f##len;                                                               \
        p += sk->f##len;                                                                           \
    } while (0)
    TAKE(p);
    TAKE(q);
    TAKE(dp);
    TAKE(dq);
    TAKE(iq);
#undef TAKE
    kp->key_type = BR_KEYTYPE_RSA;
    return MA_OK;
}

static int take_ec(struct key_ctx *c, const br_ec_private_key *sk)
{
    struct ma_tls_keypair *kp = c->kp;
    int ok;

    if (sk->curve == BR_EC_secp256r1)
        ok = scalar_in_range(sk->x, sk->xlen, P256_N, sizeof P256_N);
    else if (sk->curve == BR_EC_secp384r1)
        ok = scalar_in_range(sk->x, sk->xlen, P384_N, sizeof P384_N);
    else {
        ma_errmsg_set(c->em, "%s: unsupported EC curve %s (use P-256 or P-384)", c->what,
                      curve_name(sk->curve));
        return MA_ERR_SYNTAX;
    }
    if (!ok) {
        ma_errmsg_set(c->em, "%s: EC private key is out of range for %s", c->what,
                      curve_name(sk->curve));
        return MA_ERR_SYNTAX;
    }
    kp->_key_len = sk->xlen;
    kp->_key = ma_xmalloc(sk->xlen);
    memcpy(kp->_key, sk->x, sk->xlen);
    kp->ec.curve = sk->curve;
    kp->ec.x = kp->_key;
    kp->ec.xlen = sk->xlen;
    kp->key_type = BR_KEYTYPE_EC;
    return MA_OK;
}

static int on_key(void *ctx, const char *name, const unsigned char *der, size_t len)
{
    struct key_ctx *c = ctx;
    int err;

    /* the first key block wins, as in Go's tls.X509KeyPair; "EC PARAMETERS" (openssl ecparam
     * -genkey) and certificates are skipped */
    if (c->found)
        return MA_OK;
    if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
        ma_errmsg_set(c->em, "%s: encrypted private keys are not supported", c->what);
        return MA_ERR_SYNTAX;
    }
    if (strcmp(name, "RSA PRIVATE KEY") != 0 && strcmp(name, "EC PRIVATE KEY") != 0 &&
        strcmp(name, "PRIVATE KEY") != 0)
        return MA_OK;
    c->found = 1;
    br_skey_decoder_init(&c->dc);
    br_skey_decoder_push(&c->dc, der, len);
    err = br_skey_decoder_last_error(&c->dc);
    if (err == BR_ERR_X509_UNSUPPORTED) {
        ma_errmsg_set(c->em, "%s: unsupported key algorithm or curve (use RSA, P-256 or P-384)",
                      c->what);
        return MA_ERR_SYNTAX;
    }
    if (err != 0) {
        ma_errmsg_set(c->em, "%s: cannot decode %s block (BearSSL error %d)", c->what, name, err);
        return MA_ERR_SYNTAX;
    }
    if (br_skey_decoder_key_type(&c->dc) == BR_KEYTYPE_RSA)
        return take_rsa(c, br_skey_decoder_get_rsa(&c->dc));
    return take_ec(c, br_skey_decoder_get_ec(&c->dc));
}

/* ---- key vs certificate ---------------------------------------------------------------------- */

static int same_uint(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    while (alen > 0 && a[0] == 0) {
        a++;
        alen--;
    }
    while (blen > 0 && b[0] == 0) {
        b++;
        blen--;
    }
    return alen == blen && memcmp(a, b, alen) == 0;
}

static int rsa_matches(const br_rsa_private_key *sk, const br_rsa_public_key *pk)
{
    static const unsigned char probe[32] = "metrics-adapter key match probe";
    unsigned char n[MAX_RSA_BITS / 8], sig[MAX_RSA_BITS / 8], out[sizeof probe];
    size_t nlen = br_rsa_compute_modulus_get_default()(NULL, sk);

    if (nlen == 0 || nlen > sizeof n || br_rsa_compute_modulus_get_default()(n, sk) != nlen ||
        !same_uint(n, nlen, pk->n, pk->nlen))
        return 0;
    /* Same modulus; a signature that the certificate's key verifies also proves the public
     * exponent and the CRT values (br_rsa_compute_pubexp only handles p = 3 mod 4, which
     * OpenSSL's keys are not). A bad CRT value would otherwise fail every handshake obscurely. */
    return br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, probe, sizeof probe, sk, sig) &&
           br_rsa_pkcs1_vrfy_get_default()(sig, nlen, BR_HASH_OID_SHA256, sizeof out, pk, out) &&
           memcmp(out, probe, sizeof probe) == 0;
}

static int ec_matches(const br_ec_private_key *sk, const br_ec_public_key *pk)
{
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
    size_t qlen;

    if (sk->curve != pk->curve)
        return 0;
    qlen = br_ec_compute_pub(br_ec_get_default(), NULL, q, sk);
    return qlen != 0 && qlen == pk->qlen && memcmp(q, pk->q, qlen) == 0;
}

static int check_match(const struct ma_tls_keypair *kp, const char *cert_what, const char *key_what,
                       struct ma_errmsg *em)
{
    br_x509_decoder_context dc;
    const br_x509_pkey *pk;
    int ok;

    if (decode_cert(&dc, kp->chain[0].data, kp->chain[0].data_len) != 0 ||
        (pk = br_x509_decoder_get_pkey(&dc)) == NULL)
        return MA_ERR_SYNTAX; /* on_cert decoded it already */
    if (pk->key_type != kp->key_type) {
        ma_errmsg_set(em, "%s: key does not match the certificate (%s): %s key, %s certificate",
                      key_what, cert_what, kp->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC",
                      pk->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC");
        return MA_ERR_SYNTAX;
    }
    ok = kp->key_type == BR_KEYTYPE_RSA ? rsa_matches(&kp->rsa, &pk->key.rsa)
                                        : ec_matches(&kp->ec, &pk->key.ec);
    if (!ok) {
        ma_errmsg_set(em, "%s: key does not match the certificate (%s)", key_what, cert_what);
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

/* ---- loading --------------------------------------------------------------------------------- */

static int load_mem(struct ma_tls_keypair *kp, const unsigned char *cert, size_t cert_len,
                    const char *cert_what, const unsigned char *key, size_t key_len,
                    const char *key_what, struct ma_errmsg *em)
{
    struct ma_buf der;
    struct cert_ctx cc;
    struct key_ctx *kc;
    int rc;

    memset(kp, 0, sizeof *kp);
    /* decoded DER is always shorter than its PEM */
    ma_buf_init_heap(&der, cert_len > key_len ? cert_len : key_len);
    cc.kp = kp;
    cc.what = cert_what;
    cc.em = em;
    rc = pem_walk(cert, cert_len, &der, on_cert, &cc, cert_what, em);
    if (rc == MA_OK && kp->chain_len == 0) {
        ma_errmsg_set(em, "%s: no CERTIFICATE block", cert_what);
        rc = MA_ERR_SYNTAX;
    }
    if (rc == MA_OK) {
        kc = ma_xcalloc(1, sizeof *kc); /* the skey decoder is ~2 KiB and holds key material */
        kc->kp = kp;
        kc->what = key_what;
        kc->em = em;
        rc = pem_walk(key, key_len, &der, on_key, kc, key_what, em);
        if (rc == MA_OK && !kc->found) {
            ma_errmsg_set(em, "%s: no RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY block",
                          key_what);
            rc = MA_ERR_SYNTAX;
        }
        wipe(kc, sizeof *kc);
        free(kc);
    }
    if (rc == MA_OK)
        rc = check_match(kp, cert_what, key_what, em);
    if (der.p != NULL)
        wipe(der.p, der.cap);
    ma_buf_free(&der);
    if (rc != MA_OK)
        ma_tls_keypair_free(kp);
    return rc;
}

/* see tls/keypair.h */
int ma_tls_keypair_load_pem_mem(struct ma_tls_keypair *kp, const void *cert, size_t cert_len,
                                const void *key, size_t key_len, struct ma_errmsg *em)
{
    return load_mem(kp, cert, cert_len, "certificate PEM", key, key_len, "key PEM", em);
}

/* Read a whole file of at most MA_TLS_MAX_PEM_FILE bytes into *b (heap mode). */
static int read_file(const char *path, struct ma_buf *b, struct ma_errmsg *em)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    ma_buf_init_heap(b, MA_TLS_MAX_PEM_FILE + 1);
    if (fd < 0) {
        ma_errmsg_set(em, "%s: %s", path, errno == ENOENT ? "no such file" : strerror(errno));
        return errno == ENOENT ? MA_ERR_NOTFOUND : MA_ERR_IO;
    }
    /* size the buffer once so key bytes are not left behind in blocks realloc abandoned */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MA_TLS_MAX_PEM_FILE)
        ma_buf_reserve(b, (size_t)st.st_size + 1);
    for (;;) {
        size_t room = MA_TLS_MAX_PEM_FILE + 1 - b->len;
        ssize_t r;

        if (room == 0)
            break; /* one byte over the limit: too large */
        if (b->len == b->cap && ma_buf_reserve(b, room < 4096 ? room : 4096) != MA_OK)
            break;
        r = read(fd, b->p + b->len, b->cap - b->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ma_errmsg_set(em, "%s: %s", path, strerror(errno));
            close(fd);
            return MA_ERR_IO;
        }
        if (r == 0)
            break;
        b->len += (size_t)r;
    }
    close(fd);
    if (b->err || b->len > MA_TLS_MAX_PEM_FILE) {
        ma_errmsg_set(em, "%s: file larger than %d bytes", path, MA_TLS_MAX_PEM_FILE);
        return MA_ERR_LIMIT;
    }
    if (b->len == 0) {
        ma_errmsg_set(em, "%s: empty file", path);
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

static void free_file(struct ma_buf *b)
{
    if (b->p != NULL)
        wipe(b->p, b->cap);
    ma_buf_free(b);
}

/* see tls/keypair.h */
int ma_tls_keypair_load_pem_files(struct ma_tls_keypair *kp, const char *cert_path,
                                  const char *key_path, struct ma_errmsg *em)
{
    struct ma_buf cert, key;
    int rc;

    memset(kp, 0, sizeof *kp);
    rc = read_file(cert_path, &cert, em);
    ma_buf_init_heap(&key, 0);
    if (rc == MA_OK)
        rc = read_file(key_path, &key, em);
    if (rc == MA_OK)
        rc = load_mem(kp, (const unsigned char *)cert.p, cert.len, cert_path,
                      (const unsigned char *)key.p, key.len, key_path, em);
    free_file(&cert);
    free_file(&key);
    return rc;
}

/* ---- self-signed ----------------------------------------------------------------------------- */

#define SELFSIGNED_CN "metrics-adapter"
#define SELFSIGNED_BACKDATE (60 * 60)            /* tolerate peers whose clock is behind */
#define SELFSIGNED_LIFETIME (365 * 24 * 60 * 60) /* restarts renew it long before */

/* see tls/keypair.h */
int ma_tls_keypair_selfsigned(struct ma_tls_keypair *kp, const char *const *sans, size_t n,
                              time_t now, struct ma_errmsg *em)
{
    static const char *const defaults[] = {"localhost", "127.0.0.1", "::1"};
    const char *all[3 + MA_TLS_MAX_SANS];
    struct ma_tls_cert_params p;
    struct ma_tls_eckey k;
    size_t nall = 0, i, j;
    int rc;

    memset(kp, 0, sizeof *kp);
    if (n > MA_TLS_MAX_SANS) {
        ma_errmsg_set(em, "%zu extra SANs requested, at most %d", n, MA_TLS_MAX_SANS);
        return MA_ERR_LIMIT;
    }
    for (i = 0; i < 3 + n; i++) {
        const char *s = i < 3 ? defaults[i] : sans[i - 3];

        for (j = 0; j < nall && strcmp(all[j], s) != 0; j++)
            ;
        if (j == nall)
            all[nall++] = s;
    }
    rc = ma_tls_eckey_generate(&k, BR_EC_secp256r1);
    if (rc != MA_OK) {
        ma_errmsg_set(em, "cannot generate an ECDSA P-256 key: %s", ma_err_name(rc));
        return rc;
    }
    memset(&p, 0, sizeof p);
    p.cn = SELFSIGNED_CN;
    p.not_before = now - SELFSIGNED_BACKDATE;
    p.not_after = now + SELFSIGNED_LIFETIME;
    p.sans = all;
    p.sans_len = nall;
    p.is_ca = 1;
    p.eku = MA_TLS_EKU_SERVER;
    p.pk = &k.pk;
    p.signer.sk = &k.sk;
    rc = ma_tls_cert_create(&p, &kp->chain[0].data, &kp->chain[0].data_len, em);
    if (rc == MA_OK) {
        kp->chain_len = 1;
        kp->_key_len = k.sk.xlen;
        kp->_key = ma_xmalloc(k.sk.xlen);
        memcpy(kp->_key, k.sk.x, k.sk.xlen);
        kp->ec.curve = k.sk.curve;
        kp->ec.x = kp->_key;
        kp->ec.xlen = k.sk.xlen;
        kp->key_type = BR_KEYTYPE_EC;
    }
    wipe(&k, sizeof k);
    return rc;
}

/* ---- writing --------------------------------------------------------------------------------- */

/* see tls/keypair.h */
int ma_tls_file_write(const char *dir, const char *name, const void *data, size_t len,
                      unsigned mode, struct ma_errmsg *em)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    size_t off = 0;
    int fd;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp) {
        ma_errmsg_set(em, "%s: path too long", dir);
        return MA_ERR_IO;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        ma_errmsg_set(em, "%s: %s", tmp, strerror(errno));
        return MA_ERR_IO;
    }
    /* O_CREAT's mode is reduced by the umask and ignored for an existing file: set it exactly */
    if (fchmod(fd, mode) != 0)
        goto fail;
    while (off < len) {
        ssize_t w = write(fd, (const char *)data + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        ma_errmsg_set(em, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return MA_ERR_IO;
    }
    return MA_OK;
fail:
    ma_errmsg_set(em, "%s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return MA_ERR_IO;
}

/* see tls/keypair.h */
int ma_tls_keypair_write_pem_files(const struct ma_tls_keypair *kp, const char *dir,
                                   struct ma_errmsg *em)
{
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
    br_ec_public_key pk;
    struct ma_buf chain;
    char *pem;
    size_t i, len;
    int rc;

    if (kp->key_type != BR_KEYTYPE_EC || kp->chain_len == 0) {
        ma_errmsg_set(em, "only EC key pairs can be written as PEM");
        return MA_ERR_SYNTAX;
    }
    ma_buf_init_heap(&chain, (size_t)MA_TLS_MAX_CHAIN * MA_TLS_MAX_PEM_FILE);
    for (i = 0; i < kp->chain_len; i++) {
        pem = ma_tls_pem_encode(kp->chain[i].data, kp->chain[i].data_len, "CERTIFICATE", &len);
        ma_buf_append(&chain, pem, len);
        free(pem);
    }
    if (chain.err) {
        ma_buf_free(&chain);
        ma_errmsg_set(em, "certificate chain too large to write");
        return MA_ERR_LIMIT;
    }
    rc = ma_tls_file_write(dir, "apiserver.crt", chain.p, chain.len, 0644, em);
    ma_buf_free(&chain);
    if (rc != MA_OK)
        return rc;

    if (br_ec_compute_pub(br_ec_get_default(), &pk, q, &kp->ec) == 0 ||
        (pem = ma_tls_eckey_pem(&kp->ec, &pk, &len)) == NULL) {
        ma_errmsg_set(em, "cannot encode the EC private key");
        return MA_ERR_SYNTAX;
    }
    rc = ma_tls_file_write(dir, "apiserver.key", pem, len, 0600, em);
    wipe(pem, len);
    free(pem);
    return rc;
}

/* see tls/keypair.h */
void ma_tls_keypair_free(struct ma_tls_keypair *kp)
{
    size_t i;

    for (i = 0; i < kp->chain_len; i++)
        free(kp->chain[i].data);
    if (kp->_key != NULL) {
        wipe(kp->_key, kp->_key_len);
        free(kp->_key);
    }
    memset(kp, 0, sizeof *kp);
}
