/* tests/unit/tls/x509gen_test.c: certificates we write are accepted by OpenSSL (`openssl x509`,
 * `openssl verify -x509_strict`), by Python's ssl (OpenSSL with hostname checking, as Go checks
 * SANs) and by BearSSL's own X.509 validator; bad parameters are refused. Needs openssl and
 * python3 on PATH (build.sh installs them). */
#include "tls/x509gen.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "tls/der.h"

static char dir[] = "/tmp/ma-x509gen-XXXXXX";

/* Run a shell command built from fmt; returns its exit status (-1 if it did not exit). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void put_file(const char *name, const void *data, size_t len)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put_pem(const char *name, const unsigned char *der, size_t len, const char *banner)
{
    size_t plen;
    char *pem = ma_tls_pem_encode(der, len, banner, &plen);

    CHECK_EQ(strlen(pem), plen);
    put_file(name, pem, plen);
    free(pem);
}

static void put_key(const char *name, const struct ma_tls_eckey *k)
{
    size_t n;
    char *pem = ma_tls_eckey_pem(&k->sk, &k->pk, &n);

    CHECK(pem != NULL && strlen(pem) == n);
    CHECK(strncmp(pem, "-----BEGIN EC PRIVATE KEY-----\n", 31) == 0);
    if (pem != NULL)
        put_file(name, pem, n);
    free(pem);
}

/* 1 if file dir/name contains needle; complains when it does not and `loud`. */
static int file_grep(const char *name, const char *needle, int loud)
{
    char path[256], *buf;
    FILE *f;
    long n;
    int found;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    buf = calloc(1, 1 << 20);
    n = (long)fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    found = n > 0 && strstr(buf, needle) != NULL;
    if (!found && loud)
        fprintf(stderr, "%s: no \"%s\"\n", path, needle);
    free(buf);
    return found;
}

static int file_has(const char *name, const char *needle)
{
    return file_grep(name, needle, 1);
}

struct made {
    struct ma_tls_eckey key;
    unsigned char *der;
    size_t len;
    unsigned char dn[256];
    size_t dn_len;
};

static const char *const serving_sans[] = {
    "metrics-adapter.custom-metrics.svc", "localhost", "127.0.0.1", "fd00:10:96::1", "::1",
    "*.custom-metrics.svc.cluster.local"};

/* A CA (self-signed when issuer is NULL) or a leaf signed by issuer. */
static int make(struct made *m, const char *cn, const char *org, int is_ca, unsigned eku,
                const char *const *sans, size_t nsans, const struct made *issuer, int curve)
{
    struct ma_tls_cert_params p;
    struct ma_errmsg em = {""};
    time_t now = time(NULL);
    int rc;

    memset(m, 0, sizeof *m);
    CHECK_EQ(ma_tls_eckey_generate(&m->key, curve), MA_OK);
    memset(&p, 0, sizeof p);
    p.cn = cn;
    p.org = org;
    p.not_before = now - 3600;
    p.not_after = now + 86400;
    p.sans = sans;
    p.sans_len = nsans;
    p.is_ca = is_ca;
    p.eku = eku;
    p.pk = &m->key.pk;
    if (issuer == NULL) {
        p.signer.sk = &m->key.sk;
    } else {
        p.signer.dn = issuer->dn;
        p.signer.dn_len = issuer->dn_len;
        p.signer.sk = &issuer->key.sk;
        p.signer.pk = &issuer->key.pk;
    }
    m->dn_len = ma_tls_cert_name(NULL, cn, org);
    CHECK(m->dn_len <= sizeof m->dn);
    ma_tls_cert_name(m->dn, cn, org);
    rc = ma_tls_cert_create(&p, &m->der, &m->len, &em);
    if (rc != MA_OK)
        fprintf(stderr, "cert_create %s: %s\n", cn, em.msg);
    return rc;
}

static void test_selfsigned_openssl(void)
{
    struct made m;

    CHECK_EQ(make(&m, "metrics-adapter", NULL, 1, MA_TLS_EKU_SERVER, serving_sans, 6, NULL,
                  BR_EC_secp256r1),
             MA_OK);
    put_pem("self.pem", m.der, m.len, "CERTIFICATE");
    put_key("self.key", &m.key);
    CHECK_EQ(sh("openssl x509 -in %s/self.pem -noout -text > %s/self.txt", dir, dir), 0);
    CHECK(file_has("self.txt", "DNS:metrics-adapter.custom-metrics.svc"));
    CHECK(file_has("self.txt", "DNS:localhost"));
    CHECK(file_has("self.txt", "DNS:*.custom-metrics.svc.cluster.local"));
    CHECK(file_has("self.txt", "IP Address:127.0.0.1"));
    CHECK(file_has("self.txt", "IP Address:FD00:10:96:0:0:0:0:1"));
    CHECK(file_has("self.txt", "IP Address:0:0:0:0:0:0:0:1"));
    CHECK(file_has("self.txt", "Version: 3 (0x2)"));
    CHECK(file_has("self.txt", "Signature Algorithm: ecdsa-with-SHA256"));
    CHECK(file_has("self.txt", "NIST CURVE: P-256"));
    CHECK(file_has("self.txt", "Subject: CN = metrics-adapter"));
    CHECK(file_has("self.txt", "CA:TRUE"));
    CHECK(file_has("self.txt", "Digital Signature, Certificate Sign, CRL Sign"));
    CHECK(file_has("self.txt", "TLS Web Server Authentication"));
    CHECK(file_has("self.txt", "X509v3 Subject Key Identifier"));
    CHECK(file_has("self.txt", "X509v3 Authority Key Identifier"));
    /* its own trust anchor, strict RFC 5280 checks, as a TLS server certificate */
    CHECK_EQ(sh("openssl verify -x509_strict -purpose sslserver -CAfile %s/self.pem %s/self.pem "
                ">/dev/null",
                dir, dir),
             0);
    /* the SEC1 key is readable and is the certificate's key */
    CHECK_EQ(sh("openssl ec -in %s/self.key -check -noout 2>/dev/null", dir), 0);
    CHECK_EQ(sh("openssl pkey -in %s/self.key -pubout > %s/a.pub && "
                "openssl x509 -in %s/self.pem -noout -pubkey > %s/b.pub && "
                "cmp -s %s/a.pub %s/b.pub",
                dir, dir, dir, dir, dir, dir),
             0);
    free(m.der);
}

/* Python's ssl is OpenSSL with hostname verification: a TLS handshake over memory BIOs with our
 * certificate as server and ca as the client's only trust anchor, checking the DNS or IP SAN
 * `host` as Go's client does. Returns the script's exit status (0: handshake done). */
static const char hs_py[] =
    "import ssl, sys\n"
    "ca, chain, key, host = sys.argv[1:5]\n"
    "cli = ssl.create_default_context(cafile=ca)\n"
    "srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "srv.load_cert_chain(chain, key)\n"
    "cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))\n"
    "c = cli.wrap_bio(cin, cout, server_hostname=host)\n"
    "s = srv.wrap_bio(sin, sout, server_side=True)\n"
    "done = [False, False]\n"
    "for _ in range(10):\n"
    "    for i, (o, out, peer_in) in enumerate(((c, cout, sin), (s, sout, cin))):\n"
    "        if not done[i]:\n"
    "            try:\n"
    "                o.do_handshake()\n"
    "                done[i] = True\n"
    "            except ssl.SSLWantReadError:\n"
    "                pass\n"
    "        d = out.read()\n"
    "        if d:\n"
    "            peer_in.write(d)\n"
    "    if all(done):\n"
    "        sys.exit(0)\n"
    "sys.exit(1)\n";

static int py_handshake(const char *ca, const char *chain, const char *key, const char *host)
{
    put_file("hs.py", hs_py, sizeof hs_py - 1);
    return sh("python3 %s/hs.py %s/%s %s/%s %s/%s '%s' 2>/dev/null", dir, dir, ca, dir, chain, dir,
              key, host);
}

static void test_python_loads(void)
{
    struct made m;

    CHECK_EQ(make(&m, "metrics-adapter", NULL, 1, MA_TLS_EKU_SERVER, serving_sans, 6, NULL,
                  BR_EC_secp256r1),
             MA_OK);
    put_pem("py.pem", m.der, m.len, "CERTIFICATE");
    put_key("py.key", &m.key);
    CHECK_EQ(sh("python3 -c 'import ssl,sys; c=ssl.create_default_context(cafile=sys.argv[1]); "
                "s=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); s.load_cert_chain(sys.argv[1], "
                "sys.argv[2])' %s/py.pem %s/py.key",
                dir, dir),
             0);
    free(m.der);
}

static void test_ca_and_leaf(void)
{
    static const char *const client_sans[] = {"client.example"};
    struct made ca, leaf, other, client;

    CHECK_EQ(
        make(&ca, "metrics-adapter-ca", "metrics-adapter", 1, 0, NULL, 0, NULL, BR_EC_secp256r1),
        MA_OK);
    CHECK_EQ(make(&leaf, "metrics-adapter", NULL, 0, MA_TLS_EKU_SERVER, serving_sans, 6, &ca,
                  BR_EC_secp256r1),
             MA_OK);
    CHECK_EQ(make(&client, "system:metrics-client", "system:masters", 0, MA_TLS_EKU_CLIENT,
                  client_sans, 1, &ca, BR_EC_secp256r1),
             MA_OK);
    CHECK_EQ(make(&other, "other-ca", NULL, 1, 0, NULL, 0, NULL, BR_EC_secp256r1), MA_OK);
    put_pem("ca.pem", ca.der, ca.len, "CERTIFICATE");
    put_pem("leaf.pem", leaf.der, leaf.len, "CERTIFICATE");
    put_key("leaf.key", &leaf.key);
    put_pem("client.pem", client.der, client.len, "CERTIFICATE");
    put_pem("other.pem", other.der, other.len, "CERTIFICATE");

    CHECK_EQ(sh("openssl verify -CAfile %s/ca.pem %s/leaf.pem >/dev/null", dir, dir), 0);
    CHECK_EQ(sh("openssl verify -x509_strict -purpose sslserver -CAfile %s/ca.pem %s/leaf.pem "
                ">/dev/null",
                dir, dir),
             0);
    CHECK_EQ(sh("openssl verify -x509_strict -purpose sslclient -CAfile %s/ca.pem "
                "%s/client.pem >/dev/null",
                dir, dir),
             0);
    /* the checks can fail: wrong anchor, wrong purpose, a leaf as CA */
    CHECK(sh("openssl verify -CAfile %s/other.pem %s/leaf.pem >/dev/null 2>&1", dir, dir) != 0);
    CHECK(sh("openssl verify -purpose sslclient -CAfile %s/ca.pem %s/leaf.pem >/dev/null 2>&1", dir,
             dir) != 0);
    CHECK(sh("openssl verify -CAfile %s/leaf.pem %s/client.pem >/dev/null 2>&1", dir, dir) != 0);

    CHECK_EQ(sh("openssl x509 -in %s/leaf.pem -noout -text > %s/leaf.txt", dir, dir), 0);
    CHECK(file_has("leaf.txt", "Issuer: O = metrics-adapter, CN = metrics-adapter-ca"));
    CHECK(file_has("leaf.txt", "CA:FALSE"));
    CHECK(file_has("leaf.txt", "Digital Signature, Key Encipherment"));
    CHECK_EQ(sh("openssl x509 -in %s/client.pem -noout -text > %s/client.txt", dir, dir), 0);
    CHECK(file_has("client.txt", "Subject: O = system:masters, CN = system:metrics-client"));
    CHECK(file_has("client.txt", "TLS Web Client Authentication"));

    /* full handshakes with hostname checks: DNS SAN, IPv4 and IPv6 SANs; a name not in the
     * SANs and a foreign CA fail */
    CHECK_EQ(py_handshake("ca.pem", "leaf.pem", "leaf.key", "metrics-adapter.custom-metrics.svc"),
             0);
    CHECK_EQ(py_handshake("ca.pem", "leaf.pem", "leaf.key", "127.0.0.1"), 0);
    CHECK_EQ(py_handshake("ca.pem", "leaf.pem", "leaf.key", "fd00:10:96::1"), 0);
    CHECK_EQ(py_handshake("ca.pem", "leaf.pem", "leaf.key", "x.custom-metrics.svc.cluster.local"),
             0);
    CHECK(py_handshake("ca.pem", "leaf.pem", "leaf.key", "metrics-adapter.other.svc") != 0);
    CHECK(py_handshake("other.pem", "leaf.pem", "leaf.key", "localhost") != 0);
    free(ca.der);
    free(leaf.der);
    free(client.der);
    free(other.der);
}

static void test_p384_chain(void)
{
    static const char *const sans[] = {"p384.example"};
    struct made root, mid, leaf;

    CHECK_EQ(make(&root, "root-384", NULL, 1, 0, NULL, 0, NULL, BR_EC_secp384r1), MA_OK);
    CHECK_EQ(make(&mid, "mid-256", NULL, 1, 0, NULL, 0, &root, BR_EC_secp256r1), MA_OK);
    CHECK_EQ(make(&leaf, "leaf-384", NULL, 0, MA_TLS_EKU_SERVER, sans, 1, &mid, BR_EC_secp384r1),
             MA_OK);
    put_pem("root384.pem", root.der, root.len, "CERTIFICATE");
    put_pem("mid.pem", mid.der, mid.len, "CERTIFICATE");
    put_pem("leaf384.pem", leaf.der, leaf.len, "CERTIFICATE");
    CHECK_EQ(sh("openssl verify -x509_strict -CAfile %s/root384.pem -untrusted %s/mid.pem "
                "%s/leaf384.pem >/dev/null",
                dir, dir, dir),
             0);
    CHECK_EQ(sh("openssl x509 -in %s/mid.pem -noout -text > %s/mid.txt", dir, dir), 0);
    CHECK(file_has("mid.txt", "Signature Algorithm: ecdsa-with-SHA384"));
    CHECK(file_has("mid.txt", "NIST CURVE: P-256"));
    free(root.der);
    free(mid.der);
    free(leaf.der);
}

/* BearSSL's own validator (what our TLS client side and any BearSSL peer use). */
static int bearssl_validate(const struct made *ca, const struct made *leaf, const char *host)
{
    br_x509_minimal_context xc;
    br_x509_trust_anchor ta;
    br_x509_decoder_context dc;
    unsigned usages = 0;
    int err;

    br_x509_decoder_init(&dc, NULL, NULL);
    br_x509_decoder_push(&dc, ca->der, ca->len);
    CHECK_EQ(br_x509_decoder_last_error(&dc), 0);
    CHECK(br_x509_decoder_isCA(&dc));
    CHECK_EQ(br_x509_decoder_get_signer_key_type(&dc), BR_KEYTYPE_EC);
    CHECK_EQ(br_x509_decoder_get_signer_hash_id(&dc), br_sha256_ID);
    ta.dn.data = (unsigned char *)ca->dn;
    ta.dn.len = ca->dn_len;
    ta.flags = BR_X509_TA_CA;
    ta.pkey = *br_x509_decoder_get_pkey(&dc);
    br_x509_minimal_init_full(&xc, &ta, 1);
    xc.vtable->start_chain(&xc.vtable, host);
    xc.vtable->start_cert(&xc.vtable, (uint32_t)leaf->len);
    xc.vtable->append(&xc.vtable, leaf->der, leaf->len);
    xc.vtable->end_cert(&xc.vtable);
    err = (int)xc.vtable->end_chain(&xc.vtable);
    if (err == 0) {
        CHECK(xc.vtable->get_pkey(&xc.vtable, &usages) != NULL);
        CHECK(usages & BR_KEYTYPE_SIGN);
    }
    return err;
}

static void test_bearssl_accepts(void)
{
    struct made ca, leaf, other;

    CHECK_EQ(make(&ca, "ca", "org", 1, 0, NULL, 0, NULL, BR_EC_secp256r1), MA_OK);
    CHECK_EQ(make(&leaf, "leaf", NULL, 0, MA_TLS_EKU_SERVER, serving_sans, 6, &ca, BR_EC_secp256r1),
             MA_OK);
    CHECK_EQ(make(&other, "ca", "org", 1, 0, NULL, 0, NULL, BR_EC_secp256r1), MA_OK);
    CHECK_EQ(bearssl_validate(&ca, &leaf, "metrics-adapter.custom-metrics.svc"), 0);
    CHECK_EQ(bearssl_validate(&ca, &leaf, "a.custom-metrics.svc.cluster.local"), 0);
    CHECK_EQ(bearssl_validate(&ca, &leaf, "metrics-adapter.default.svc"),
             BR_ERR_X509_BAD_SERVER_NAME);
    /* same DN, different key: the signature does not verify, so no anchor vouches for it */
    CHECK_EQ(bearssl_validate(&other, &leaf, "localhost"), BR_ERR_X509_NOT_TRUSTED);
    free(ca.der);
    free(leaf.der);
    free(other.der);
}

/* Caller-chosen serial and validity appear as given, both Time encodings included. */
static void test_fixed_fields(void)
{
    struct ma_tls_cert_params p;
    struct ma_tls_eckey k;
    struct ma_errmsg em = {""};
    unsigned char *der;
    size_t len;

    CHECK_EQ(ma_tls_eckey_generate(&k, BR_EC_secp256r1), MA_OK);
    memset(&p, 0, sizeof p);
    memcpy(p.serial, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff", 16);
    p.cn = "fixed";
    p.org = "";
    p.not_before = 1700000000;
    p.not_after = 2524608000; /* 2050: GeneralizedTime */
    p.pk = &k.pk;
    p.signer.sk = &k.sk;
    CHECK_EQ(ma_tls_cert_create(&p, &der, &len, &em), MA_OK);
    put_pem("fixed.pem", der, len, "CERTIFICATE");
    CHECK_EQ(sh("openssl x509 -in %s/fixed.pem -noout -text > %s/fixed.txt", dir, dir), 0);
    CHECK(file_has("fixed.txt", "Serial Number: 511 (0x1ff)"));
    CHECK(file_has("fixed.txt", "Not Before: Nov 14 22:13:20 2023 GMT"));
    CHECK(file_has("fixed.txt", "Not After : Jan  1 00:00:00 2050 GMT"));
    CHECK(file_has("fixed.txt", "Subject: CN = fixed"));
    CHECK(!file_grep("fixed.txt", "Alternative Name", 0));
    free(der);

    /* random serials are positive and 16 bytes: INTEGER 02 10 4x..7x after the version */
    memset(p.serial, 0, sizeof p.serial);
    CHECK_EQ(ma_tls_cert_create(&p, &der, &len, &em), MA_OK);
    CHECK_MEM(der + 8, "\xa0\x03\x02\x01\x02\x02\x10", 7);
    CHECK((der[15] & 0xC0) == 0x40);
    free(der);
}

static void test_bad_params(void)
{
    static const char *const bad_san[] = {"ok.example", "not a name"};
    static const char *const bad_san2[] = {"fe80::1%eth0"};
    struct ma_tls_cert_params p, q;
    struct ma_tls_eckey k, k2;
    struct ma_errmsg em = {""};
    unsigned char *der = NULL;
    size_t len = 0;

    CHECK_EQ(ma_tls_eckey_generate(&k, BR_EC_secp256r1), MA_OK);
    CHECK_EQ(ma_tls_eckey_generate(&k2, BR_EC_secp256r1), MA_OK);
    CHECK_EQ(ma_tls_eckey_generate(&k2, BR_EC_secp521r1), MA_ERR_SYNTAX);
    CHECK_EQ(ma_tls_eckey_generate(&k2, BR_EC_secp256r1), MA_OK);
    memset(&p, 0, sizeof p);
    p.cn = "x";
    p.not_before = 0;
    p.not_after = 1;
    p.pk = &k.pk;
    p.signer.sk = &k.sk;

    q = p;
    q.cn = "";
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "CN") != NULL);
    q = p;
    q.sans = bad_san;
    q.sans_len = 2;
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "not a name") != NULL);
    q.sans = bad_san2;
    q.sans_len = 1;
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    q = p;
    q.not_before = 2;
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    q = p;
    q.not_after = (time_t)253402300800; /* year 10000 */
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    q = p;
    q.signer.sk = &k2.sk; /* self-signed with someone else's key */
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "does not match") != NULL);
    q = p;
    q.pk = NULL;
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    q = p;
    q.signer.sk = NULL;
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    q = p;
    q.signer.dn = (const unsigned char *)"\x30\x00";
    q.signer.dn_len = 2; /* an issuer without a public key or key id */
    CHECK_EQ(ma_tls_cert_create(&q, &der, &len, &em), MA_ERR_SYNTAX);
    CHECK(der == NULL && len == 0);
    CHECK_EQ(ma_tls_cert_create(&p, &der, &len, &em), MA_OK);
    free(der);
}

static void test_san_parse(void)
{
    static const struct {
        const char *in;
        int want;
    } rows[] = {
        {"127.0.0.1", 4},
        {"10.96.0.1", 4},
        {"::1", 16},
        {"fd00:10:96::1", 16},
        {"::ffff:10.0.0.1", 16},
        {"localhost", 0},
        {"metrics-adapter.custom-metrics.svc", 0},
        {"*.svc.cluster.local", 0},
        {"_acme.example", 0},
        {"1.2.3", 0}, /* not an IPv4 literal: a (numeric) host name */
        {"", MA_ERR_SYNTAX},
        {"a..b", MA_ERR_SYNTAX},
        {"a.", MA_ERR_SYNTAX},
        {".a", MA_ERR_SYNTAX},
        {"a b", MA_ERR_SYNTAX},
        {"a*.b", MA_ERR_SYNTAX},
        {"*", MA_ERR_SYNTAX},
        {"x.*.b", MA_ERR_SYNTAX},
        {"[::1]", MA_ERR_SYNTAX},
        {"fe80::1%eth0", MA_ERR_SYNTAX},
        {"1.2.3.4:443", MA_ERR_SYNTAX},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", MA_ERR_SYNTAX},
    };
    unsigned char ip[16];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = ma_tls_san_parse(rows[i].in, ip);

        if (got != rows[i].want)
            fprintf(stderr, "san \"%s\": got %d want %d\n", rows[i].in, got, rows[i].want);
        CHECK_EQ(got, rows[i].want);
    }
    CHECK_EQ(ma_tls_san_parse("fd00::1", ip), 16);
    CHECK_MEM(ip, "\xfd\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    CHECK_EQ(ma_tls_san_parse("10.96.0.1", ip), 4);
    CHECK_MEM(ip, "\x0a\x60\x00\x01", 4);
}

/* SEC1 layout, checked byte by byte for a known small scalar: padding to 32 bytes. */
static void test_eckey_der(void)
{
    unsigned char x[1] = {7}, out[200];
    br_ec_private_key sk = {BR_EC_secp256r1, x, 1};
    br_ec_private_key big = {BR_EC_secp256r1, out, 33};
    br_ec_private_key p521 = {BR_EC_secp521r1, x, 1};
    size_t n = ma_tls_eckey_der(out, &sk, NULL);

    /* SEQUENCE { INTEGER 1, OCTET STRING (32) 00..07, [0] { OID prime256v1 } } */
    CHECK_EQ(n, 2 + 3 + 34 + 12);
    CHECK_MEM(out, "\x30\x31\x02\x01\x01\x04\x20", 7);
    CHECK_EQ(out[7 + 30], 0);
    CHECK_EQ(out[7 + 31], 7);
    CHECK_MEM(out + 39, "\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 12);
    memset(out, 1, 33);
    CHECK_EQ(ma_tls_eckey_der(NULL, &big, NULL), 0);
    CHECK_EQ(ma_tls_eckey_der(NULL, &p521, NULL), 0);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_selfsigned_openssl);
    T_RUN(test_python_loads);
    T_RUN(test_ca_and_leaf);
    T_RUN(test_p384_chain);
    T_RUN(test_bearssl_accepts);
    T_RUN(test_fixed_fields);
    T_RUN(test_bad_params);
    T_RUN(test_san_parse);
    T_RUN(test_eckey_der);
    sh("rm -rf %s", dir);
    T_END();
}
