/* tests/unit/tls/keypair_test.c: loading serving key pairs made by `openssl` (generated at test
 * time into a temporary directory), the refusals with their messages, the self-signed pair and its
 * PEM files. The loaded keys are exercised: they sign, and the leaf's public key verifies. */
#include "tls/keypair.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

static char dir[] = "/tmp/ma-keypair-XXXXXX";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
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

static const char *path(const char *name)
{
    static char buf[8][256];
    static int i;

    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

/* Fixtures, all with `openssl` (OpenSSL 3 syntax). */
static const char fixtures_sh[] =
    "set -e\n"
    "cd \"$1\"\n"
    "q() { \"$@\" >/dev/null 2>&1; }\n"
    "cert() { q openssl req -x509 -new -key \"$1\" -subj \"/CN=$2\" -days 2 -out \"$3\" "
    "-addext subjectAltName=DNS:$2; }\n"
    /* RSA 2048: PKCS#1 and PKCS#8 of the same key */
    "q openssl genrsa -traditional -out rsa.key 2048\n"
    "q openssl pkcs8 -topk8 -nocrypt -in rsa.key -out rsa.p8\n"
    "cert rsa.key rsa rsa.crt\n"
    /* RSA 1024: too small */
    "q openssl genrsa -traditional -out rsa1024.key 1024\n"
    "cert rsa1024.key small rsa1024.crt\n"
    /* EC P-256, SEC1 with an EC PARAMETERS block first (openssl ecparam -genkey) */
    "q openssl ecparam -name prime256v1 -genkey -out ec.key\n"
    "cert ec.key ec ec.crt\n"
    "q openssl ecparam -name prime256v1 -genkey -noout -out ec2.key\n"
    "q openssl pkcs8 -topk8 -nocrypt -in ec.key -out ec.p8\n"
    /* EC P-521: unsupported */
    "q openssl ecparam -name secp521r1 -genkey -noout -out p521.key\n"
    "cert p521.key p521 p521.crt\n"
    /* Ed25519: unsupported algorithm */
    "q openssl genpkey -algorithm ed25519 -out ed.key\n"
    /* encrypted PKCS#8 */
    "q openssl pkcs8 -topk8 -in ec.key -passout pass:x -out enc.key\n"
    /* P-384 root -> P-384 intermediate -> P-384 leaf; chain file = leaf + intermediate */
    "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n"
    "subjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid\\n' > ca.ext\n"
    "printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
    "extendedKeyUsage=serverAuth\\nsubjectAltName=DNS:metrics-adapter.custom-metrics.svc\\n'"
    " > leaf.ext\n"
    "for n in root mid leaf; do q openssl ecparam -name secp384r1 -genkey -noout -out $n.key; "
    "done\n"
    "q openssl req -x509 -new -key root.key -subj /CN=root -days 2 -out root.crt\n"
    "q openssl req -new -key mid.key -subj /CN=mid -out mid.csr\n"
    "q openssl x509 -req -in mid.csr -CA root.crt -CAkey root.key -CAcreateserial -days 2 "
    "-extfile ca.ext -out mid.crt\n"
    "q openssl req -new -key leaf.key -subj /CN=leaf -out leaf.csr\n"
    "q openssl x509 -req -in leaf.csr -CA mid.crt -CAkey mid.key -CAcreateserial -days 2 "
    "-extfile leaf.ext -out leaf.crt\n"
    "cat leaf.crt mid.crt > chain.crt\n"
    "q openssl verify -CAfile root.crt -untrusted mid.crt leaf.crt\n"
    /* odd shapes */
    "cat ec.crt ec.key > combined.pem\n"
    "head -c -1 ec.crt > nonl.crt\n"       /* no final newline */
    "sed 's/$/\\r/' ec.crt > crlf.crt\n"   /* CR LF line ends */
    "sed 's/$/\\r/' ec.key > crlf.key\n"
    "head -n 5 ec.crt > trunc.crt\n"       /* no END line */
    "sed 's/^M/M!/' ec.crt > badb64.crt\n" /* invalid base64 */
    "head -c 2000 /dev/urandom > garbage.bin\n"
    ": > empty.pem\n"
    "for i in 1 2 3 4 5 6 7 8 9; do cat ec.crt; done > nine.crt\n"
    "head -c 1048577 /dev/zero > big.pem\n"
    "mkdir -p sub\n"
    "printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n' > notder.crt\n";

static int load(struct ma_tls_keypair *kp, const char *crt, const char *key, struct ma_errmsg *em)
{
    memset(em->msg, 0, sizeof em->msg);
    return ma_tls_keypair_load_pem_files(kp, path(crt), path(key), em);
}

/* The private key signs and the leaf certificate's public key verifies it. */
static int key_works(const struct ma_tls_keypair *kp)
{
    br_x509_decoder_context dc;
    const br_x509_pkey *pk;
    unsigned char hash[32], sig[512];
    size_t sl;

    memset(hash, 0x42, sizeof hash);
    br_x509_decoder_init(&dc, NULL, NULL);
    br_x509_decoder_push(&dc, kp->chain[0].data, kp->chain[0].data_len);
    pk = br_x509_decoder_get_pkey(&dc);
    if (pk == NULL)
        return 0;
    if (kp->key_type == BR_KEYTYPE_RSA) {
        unsigned char out[32];

        if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, 32, &kp->rsa, sig))
            return 0;
        return br_rsa_pkcs1_vrfy_get_default()(sig, (kp->rsa.n_bitlen + 7) / 8, BR_HASH_OID_SHA256,
                                               32, &pk->key.rsa, out) &&
               memcmp(out, hash, 32) == 0;
    }
    sl = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), &br_sha256_vtable, hash, &kp->ec,
                                          sig);
    return sl > 0 &&
           br_ecdsa_vrfy_asn1_get_default()(br_ec_get_default(), hash, 32, &pk->key.ec, sig, sl);
}

static void test_load_good(void)
{
    static const struct {
        const char *crt, *key;
        int type, curve_or_bits;
        size_t chain;
    } rows[] = {
        {"rsa.crt", "rsa.key", BR_KEYTYPE_RSA, 2048, 1},         /* PKCS#1 */
        {"rsa.crt", "rsa.p8", BR_KEYTYPE_RSA, 2048, 1},          /* PKCS#8 */
        {"ec.crt", "ec.key", BR_KEYTYPE_EC, BR_EC_secp256r1, 1}, /* SEC1 after EC PARAMETERS */
        {"ec.crt", "ec.p8", BR_KEYTYPE_EC, BR_EC_secp256r1, 1},  /* PKCS#8 EC */
        {"chain.crt", "leaf.key", BR_KEYTYPE_EC, BR_EC_secp384r1, 2},
        {"combined.pem", "combined.pem", BR_KEYTYPE_EC, BR_EC_secp256r1, 1},
        {"nonl.crt", "ec.key", BR_KEYTYPE_EC, BR_EC_secp256r1, 1},
        {"crlf.crt", "crlf.key", BR_KEYTYPE_EC, BR_EC_secp256r1, 1},
    };
    struct ma_tls_keypair kp;
    struct ma_errmsg em;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = load(&kp, rows[i].crt, rows[i].key, &em);

        if (rc != MA_OK)
            fprintf(stderr, "%s + %s: %s\n", rows[i].crt, rows[i].key, em.msg);
        CHECK_EQ(rc, MA_OK);
        CHECK_EQ(kp.key_type, rows[i].type);
        CHECK_EQ(kp.chain_len, rows[i].chain);
        if (rows[i].type == BR_KEYTYPE_RSA)
            CHECK_EQ(kp.rsa.n_bitlen, rows[i].curve_or_bits);
        else
            CHECK_EQ(kp.ec.curve, rows[i].curve_or_bits);
        if (rc == MA_OK)
            CHECK(key_works(&kp));
        ma_tls_keypair_free(&kp);
        CHECK_EQ(kp.chain_len, 0);
    }
}

static void test_load_bad(void)
{
    static const struct {
        const char *crt, *key;
        int rc;
        const char *msg; /* substring of the message */
    } rows[] = {
        {"rsa1024.crt", "rsa1024.key", MA_ERR_SYNTAX, "RSA key of 1024 bits is too small"},
        {"ec.crt", "ec2.key", MA_ERR_SYNTAX, "key does not match the certificate"},
        {"rsa.crt", "ec.key", MA_ERR_SYNTAX, "key does not match the certificate"},
        {"ec.crt", "rsa.key", MA_ERR_SYNTAX, "RSA key, EC certificate"},
        {"chain.crt", "mid.key", MA_ERR_SYNTAX, "key does not match"},
        {"p521.crt", "p521.key", MA_ERR_SYNTAX, "unsupported EC curve P-521"},
        {"ec.crt", "ed.key", MA_ERR_SYNTAX, "unsupported key algorithm"},
        {"ec.crt", "enc.key", MA_ERR_SYNTAX, "encrypted private keys are not supported"},
        {"garbage.bin", "ec.key", MA_ERR_SYNTAX, "garbage.bin: no CERTIFICATE block"},
        {"ec.crt", "garbage.bin", MA_ERR_SYNTAX, "garbage.bin: no RSA PRIVATE KEY"},
        {"ec.key", "ec.key", MA_ERR_SYNTAX, "no CERTIFICATE block"},
        {"ec.crt", "ec.crt", MA_ERR_SYNTAX, "no RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY"},
        {"missing.crt", "ec.key", MA_ERR_NOTFOUND, "missing.crt: no such file"},
        {"ec.crt", "missing.key", MA_ERR_NOTFOUND, "missing.key: no such file"},
        {"empty.pem", "ec.key", MA_ERR_SYNTAX, "empty.pem: empty file"},
        {"ec.crt", "empty.pem", MA_ERR_SYNTAX, "empty.pem: empty file"},
        {"trunc.crt", "ec.key", MA_ERR_SYNTAX, "no END line"},
        {"badb64.crt", "ec.key", MA_ERR_SYNTAX, "malformed PEM"},
        {"notder.crt", "ec.key", MA_ERR_SYNTAX, "certificate 1"},
        {"nine.crt", "ec.key", MA_ERR_LIMIT, "more than 8 certificates"},
        {"big.pem", "ec.key", MA_ERR_LIMIT, "larger than"},
        {"sub", "ec.key", MA_ERR_IO, "sub: Is a directory"},
    };
    struct ma_tls_keypair kp;
    struct ma_errmsg em;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = load(&kp, rows[i].crt, rows[i].key, &em);

        if (rc != rows[i].rc || strstr(em.msg, rows[i].msg) == NULL)
            fprintf(stderr, "%s + %s: rc %d, \"%s\"; want %d, \"%s\"\n", rows[i].crt, rows[i].key,
                    rc, em.msg, rows[i].rc, rows[i].msg);
        CHECK_EQ(rc, rows[i].rc);
        CHECK(strstr(em.msg, rows[i].msg) != NULL);
        /* a failed load leaves nothing to free */
        CHECK_EQ(kp.chain_len, 0);
        CHECK(kp._key == NULL);
    }
}

static void test_load_mem(void)
{
    static const char not_pem[] = "hello\n";
    struct ma_tls_keypair kp;
    struct ma_errmsg em = {""};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fopen(path("combined.pem"), "rb");

    CHECK(f != NULL);
    if (f == NULL)
        return;
    buf = malloc(1 << 16);
    len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    CHECK_EQ(ma_tls_keypair_load_pem_mem(&kp, buf, len, buf, len, &em), MA_OK);
    CHECK(key_works(&kp));
    ma_tls_keypair_free(&kp);
    CHECK_EQ(ma_tls_keypair_load_pem_mem(&kp, not_pem, strlen(not_pem), buf, len, &em),
             MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "certificate PEM: no CERTIFICATE block");
    CHECK_EQ(ma_tls_keypair_load_pem_mem(&kp, buf, len, NULL, 0, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "key PEM: no") == em.msg);
    free(buf);
}

static void test_selfsigned(void)
{
    static const char *const sans[] = {"metrics-adapter.custom-metrics.svc", "10.96.0.10",
                                       "fd00::10", "localhost"};
    static const char *const bad[] = {"ok", "bad name"};
    const char *many[MA_TLS_MAX_SANS + 1];
    struct ma_tls_keypair kp, back;
    struct ma_errmsg em = {""};
    struct stat st;
    time_t now = time(NULL);
    size_t i;

    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, sans, 4, now, &em), MA_OK);
    CHECK_EQ(kp.chain_len, 1);
    CHECK_EQ(kp.key_type, BR_KEYTYPE_EC);
    CHECK_EQ(kp.ec.curve, BR_EC_secp256r1);
    CHECK(key_works(&kp));
    CHECK_EQ(ma_tls_keypair_write_pem_files(&kp, dir, &em), MA_OK);
    CHECK_EQ(stat(path("apiserver.key"), &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    CHECK_EQ(stat(path("apiserver.crt"), &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0644);

    /* what we wrote loads back and is the same pair */
    CHECK_EQ(
        ma_tls_keypair_load_pem_files(&back, path("apiserver.crt"), path("apiserver.key"), &em),
        MA_OK);
    CHECK_EQ(back.chain_len, 1);
    CHECK(back.chain[0].data_len == kp.chain[0].data_len &&
          memcmp(back.chain[0].data, kp.chain[0].data, kp.chain[0].data_len) == 0);
    CHECK(back.ec.xlen == kp.ec.xlen && memcmp(back.ec.x, kp.ec.x, kp.ec.xlen) == 0);
    ma_tls_keypair_free(&back);

    CHECK_EQ(sh("openssl verify -x509_strict -purpose sslserver -CAfile %s %s >/dev/null",
                path("apiserver.crt"), path("apiserver.crt")),
             0);
    CHECK_EQ(sh("openssl x509 -in %s -noout -text > %s", path("apiserver.crt"), path("ss.txt")), 0);
    CHECK_EQ(sh("grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, "
                "DNS:metrics-adapter.custom-metrics.svc, IP Address:10.96.0.10, "
                "IP Address:FD00:0:0:0:0:0:0:10$' %s",
                path("ss.txt")),
             0); /* defaults first, the duplicate "localhost" dropped */
    CHECK_EQ(sh("grep -q 'Subject: CN = metrics-adapter' %s", path("ss.txt")), 0);
    CHECK_EQ(
        sh("grep -q 'CA:TRUE' %s && grep -q 'Certificate Sign' %s", path("ss.txt"), path("ss.txt")),
        0);
    CHECK_EQ(sh("openssl x509 -in %s -noout -checkend 31449600 >/dev/null && "
                "! openssl x509 -in %s -noout -checkend 31622400 >/dev/null",
                path("apiserver.crt"), path("apiserver.crt")),
             0); /* expires between 364 and 366 days from now */
    ma_tls_keypair_free(&kp);

    for (i = 0; i <= MA_TLS_MAX_SANS; i++)
        many[i] = "x.example";
    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, many, MA_TLS_MAX_SANS + 1, now, &em), MA_ERR_LIMIT);
    CHECK_EQ(kp.chain_len, 0);
    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, many, MA_TLS_MAX_SANS, now, &em), MA_OK);
    ma_tls_keypair_free(&kp);
    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, bad, 2, now, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "bad name") != NULL);
    CHECK_EQ(kp.chain_len, 0);
    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, NULL, 0, now, &em), MA_OK);
    ma_tls_keypair_free(&kp);
    ma_tls_keypair_free(&kp); /* twice is harmless */
}

static void test_write_rsa_refused(void)
{
    struct ma_tls_keypair kp;
    struct ma_errmsg em;

    CHECK_EQ(load(&kp, "rsa.crt", "rsa.key", &em), MA_OK);
    CHECK_EQ(ma_tls_keypair_write_pem_files(&kp, dir, &em), MA_ERR_SYNTAX);
    ma_tls_keypair_free(&kp);
    CHECK_EQ(ma_tls_keypair_selfsigned(&kp, NULL, 0, time(NULL), &em), MA_OK);
    CHECK_EQ(ma_tls_keypair_write_pem_files(&kp, path("no/such/dir"), &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "no/such/dir") != NULL);
    ma_tls_keypair_free(&kp);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    {
        FILE *f = fopen(path("fixtures.sh"), "w");

        if (f == NULL || fputs(fixtures_sh, f) < 0 || fclose(f) != 0 ||
            sh("sh %s %s", path("fixtures.sh"), dir) != 0) {
            fprintf(stderr, "fixture generation with openssl failed (in %s)\n", dir);
            return 1;
        }
    }
    T_RUN(test_load_good);
    T_RUN(test_load_bad);
    T_RUN(test_load_mem);
    T_RUN(test_selfsigned);
    T_RUN(test_write_rsa_refused);
    sh("rm -rf %s", dir);
    T_END();
}
