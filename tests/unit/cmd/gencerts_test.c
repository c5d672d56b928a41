#include "cmd/gencerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/err.h"
#include "tls/keypair.h"
#include "t.h"

static int check(const char *svc, const char *ns, const char *out, long long days)
{
    struct ma_cmd_gencerts_opts o = {svc, ns, out, days};
    struct ma_errmsg em;

    return ma_cmd_gencerts_check(&o, &em);
}

static void test_check(void)
{
    char long_label[70];

    memset(long_label, 'a', 63);
    long_label[63] = '\0';
    CHECK_EQ(check("metrics-adapter", "custom-metrics", "d", 3650), MA_OK);
    CHECK_EQ(check("a", "0", "d", 1), MA_OK);
    CHECK_EQ(check(long_label, long_label, "d", 36500), MA_OK);
    long_label[63] = 'a';
    long_label[64] = '\0';
    CHECK_EQ(check(long_label, "ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", long_label, "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check(NULL, "ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", NULL, "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", "ns", NULL, 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", "ns", "", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("", "ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("1svc", "ns", "d", 1), MA_ERR_SYNTAX); /* DNS-1035: letter first */
    CHECK_EQ(check("svc", "1ns", "d", 1), MA_OK);         /* DNS-1123: digit first is fine */
    CHECK_EQ(check("Svc", "ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc-", "ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", "-ns", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("s.vc", "ns", "d", 1), MA_ERR_SYNTAX); /* a dot would add a DNS level */
    CHECK_EQ(check("svc", "n_s", "d", 1), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", "ns", "d", 0), MA_ERR_SYNTAX);
    CHECK_EQ(check("svc", "ns", "d", 36501), MA_ERR_SYNTAX);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    char *p = malloc(65536);

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    *len = f ? fread(p, 1, 65535, f) : 0;
    if (f)
        fclose(f);
    p[*len] = '\0';
    return p;
}

static void test_run(void)
{
    char dir[] = "/tmp/ma-gencerts-XXXXXX", out[600], path[700];
    struct ma_cmd_gencerts_opts o = {"metrics-adapter", "custom-metrics", out, 10};
    struct ma_tls_keypair kp;
    struct ma_errmsg em;
    struct stat st;
    unsigned char dec[4096];
    size_t ca_len, b64_len, y_len;
    char *ca, *b64, *y;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(out, sizeof out, "%s/a/b", dir);
    CHECK_EQ(ma_cmd_gencerts_run(&o, 1767323061, &em), MA_OK);

    /* the serving pair loads as the server loads it, key matching the certificate */
    snprintf(path, sizeof path, "%s/tls.crt", out);
    {
        char kpath[700];
        snprintf(kpath, sizeof kpath, "%s/tls.key", out);
        CHECK_EQ(ma_tls_keypair_load_pem_files(&kp, path, kpath, &em), MA_OK);
        CHECK_EQ(kp.chain_len, 1);
        CHECK_EQ(kp.key_type, BR_KEYTYPE_EC);
        ma_tls_keypair_free(&kp);
        CHECK_EQ(stat(kpath, &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
    }

    ca = slurp(out, "ca.crt", &ca_len);
    b64 = slurp(out, "ca-bundle.b64", &b64_len);
    y = slurp(out, "apiservice-cabundle.yaml", &y_len);
    CHECK(strncmp(ca, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    CHECK(b64_len > 0 && b64[b64_len - 1] == '\n');
    CHECK_EQ(ma_base64_decode(b64, b64_len, dec, sizeof dec), (int)ca_len);
    CHECK(memcmp(dec, ca, ca_len) == 0);
    b64[b64_len - 1] = '\0';
    CHECK(strstr(y, b64) != NULL);
    CHECK(strstr(y, "  name: v1beta2.custom.metrics.k8s.io\n") != NULL);
    free(ca);
    free(b64);
    free(y);

    /* out under a regular file: an I/O error naming the path, nothing written */
    snprintf(out, sizeof out, "%s/a/b/ca.crt/x", dir);
    CHECK_EQ(ma_cmd_gencerts_run(&o, 1767323061, &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "ca.crt") != NULL);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK_EQ(system(path), 0);
}

int main(void)
{
    T_RUN(test_check);
    T_RUN(test_run);
    T_END();
}
