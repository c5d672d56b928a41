#include "cmd/gencerts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/flag.h"
#include "base/mem.h"
#include "tls/keypair.h"
#include "tls/x509gen.h"

#define NSANS 4
/* "<service>.<namespace>.svc.cluster.local" at the longest */
#define MAX_DNS (2 * MA_CMD_GENCERTS_MAX_LABEL + sizeof ".svc.cluster.local")

/* The APIServices the manifests register (deploy/base/apiservices.yaml); kube-apiserver proxies
 * all three to the same Service, so they share one caBundle. */
static const char *const apiservices[] = {
    "v1beta1.custom.metrics.k8s.io",
    "v1beta2.custom.metrics.k8s.io",
    "v1beta1.external.metrics.k8s.io",
};

/* DNS label as Kubernetes validates names: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes;
 * Service names (DNS-1035) must also start with a letter. */
static int is_label(const char *s, int letter_first)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > MA_CMD_GENCERTS_MAX_LABEL || s[0] == '-' || s[n - 1] == '-')
        return 0;
    if (letter_first && !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* see cmd/gencerts.h */
int ma_cmd_gencerts_check(const struct ma_cmd_gencerts_opts *o, struct ma_errmsg *em)
{
    if (o->service == NULL || o->namespace == NULL || o->out == NULL) {
        ma_errmsg_set(em, "--service, --namespace and --out are required");
        return MA_ERR_SYNTAX;
    }
    if (!is_label(o->service, 1)) {
        ma_errmsg_set(em, "--service \"%.64s\": must be a DNS-1035 label (a-z, 0-9, '-', "
                          "starting with a letter, at most 63)", o->service);
        return MA_ERR_SYNTAX;
    }
    if (!is_label(o->namespace, 0)) {
        ma_errmsg_set(em, "--namespace \"%.64s\": must be a DNS-1123 label (a-z, 0-9, '-', "
                          "at most 63)", o->namespace);
        return MA_ERR_SYNTAX;
    }
    if (o->out[0] == '\0') {
        ma_errmsg_set(em, "--out: empty directory name");
        return MA_ERR_SYNTAX;
    }
    if (o->days < 1 || o->days > MA_CMD_GENCERTS_MAX_DAYS) {
        ma_errmsg_set(em, "--days %lld: must be 1..%d", o->days, MA_CMD_GENCERTS_MAX_DAYS);
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

/* mkdir -p: each missing component is made 0755 (the directory holds public certificates too;
 * the key itself is 0600). */
static int make_dirs(const char *dir, struct ma_errmsg *em)
{
    char path[PATH_MAX];
    size_t i, n = strlen(dir);

    if (n >= sizeof path) {
        ma_errmsg_set(em, "--out: path too long");
        return MA_ERR_IO;
    }
    memcpy(path, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            ma_errmsg_set(em, "%s: %s", path, strerror(errno));
            return MA_ERR_IO;
        }
        path[i] = dir[i];
    }
    return MA_OK;
}

/* Certificate der[0..len) as PEM written to out/name. Frees der. */
static int write_cert(const char *out, const char *name, unsigned char *der, size_t len,
                      struct ma_errmsg *em)
{
    size_t pem_len;
    char *pem = ma_tls_pem_encode(der, len, "CERTIFICATE", &pem_len);
    int rc = ma_tls_file_write(out, name, pem, pem_len, 0644, em);

    free(pem);
    free(der);
    return rc;
}

/* ca-bundle.b64 and apiservice-cabundle.yaml from the CA's DER. */
static int write_bundle(const struct ma_cmd_gencerts_opts *o, const unsigned char *ca_der,
                        size_t ca_len, struct ma_errmsg *em)
{
    size_t pem_len, b64_cap, i;
    char *pem = ma_tls_pem_encode(ca_der, ca_len, "CERTIFICATE", &pem_len);
    char *b64;
    struct ma_buf y;
    int rc, n;

    b64_cap = MA_BASE64_ENCODED_LEN(pem_len) + 2;
    b64 = ma_xmalloc(b64_cap);
    n = ma_base64_encode(pem, pem_len, b64, b64_cap);
    free(pem);
    if (n < 0) {
        free(b64);
        ma_errmsg_set(em, "CA certificate too large to encode");
        return MA_ERR_SYNTAX;
    }
    b64[n] = '\n';
    rc = ma_tls_file_write(o->out, "ca-bundle.b64", b64, (size_t)n + 1, 0644, em);
    b64[n] = '\0';

    ma_buf_init_heap(&y, (size_t)n * 4 + 4096);
    ma_buf_appendf(&y,
                   "# Written by metrics-adapter gen-certs for Service %s in namespace %s: the\n"
                   "# APIServices trust the CA in ca.crt (a strategic merge patch, applied by\n"
                   "# deploy/overlays/production; also valid for kubectl apply on a live cluster).\n",
                   o->service, o->namespace);
    for (i = 0; i < sizeof apiservices / sizeof apiservices[0]; i++)
        ma_buf_appendf(&y,
                       "%s"
                       "apiVersion: apiregistration.k8s.io/v1\n"
                       "kind: APIService\n"
                       "metadata:\n"
                       "  name: %s\n"
                       "spec:\n"
                       "  insecureSkipTLSVerify: false\n"
                       "  caBundle: %s\n",
                       i > 0 ? "---\n" : "", apiservices[i], b64);
    free(b64);
    if (rc == MA_OK && y.err) {
        ma_errmsg_set(em, "APIService patch too large");
        rc = MA_ERR_LIMIT;
    }
    if (rc == MA_OK)
        rc = ma_tls_file_write(o->out, "apiservice-cabundle.yaml", y.p, y.len, 0644, em);
    ma_buf_free(&y);
    return rc;
}

/* see cmd/gencerts.h */
int ma_cmd_gencerts_run(const struct ma_cmd_gencerts_opts *o, time_t now, struct ma_errmsg *em)
{
    char sans[NSANS][MAX_DNS], ca_cn[64];
    const char *san_ptrs[NSANS];
    unsigned char ca_dn[256];
    struct ma_tls_eckey *ca_key, *key;
    struct ma_tls_cert_params p;
    unsigned char *ca_der = NULL, *der = NULL;
    size_t ca_len = 0, len = 0, ca_dn_len, key_len;
    char *key_pem;
    int rc, i;

    if ((rc = make_dirs(o->out, em)) != MA_OK)
        return rc;
    snprintf(sans[0], MAX_DNS, "%s.%s.svc", o->service, o->namespace);
    snprintf(sans[1], MAX_DNS, "%s.%s.svc.cluster.local", o->service, o->namespace);
    snprintf(sans[2], MAX_DNS, "%s.%s", o->service, o->namespace);
    snprintf(sans[3], MAX_DNS, "%s", o->service);
    for (i = 0; i < NSANS; i++)
        san_ptrs[i] = sans[i];
    /* The time in the CA's name tells CAs from successive runs apart (as kube's self-signed CAs
     * do), so a client never mistakes an old CA for the issuer of a new certificate. */
    snprintf(ca_cn, sizeof ca_cn, "metrics-adapter-ca@%lld", (long long)now);

    /* heap: each key struct holds private scalars we wipe, and they are large-ish */
    ca_key = ma_xmalloc(sizeof *ca_key);
    key = ma_xmalloc(sizeof *key);
    if (ma_tls_eckey_generate(ca_key, BR_EC_secp256r1) != MA_OK ||
        ma_tls_eckey_generate(key, BR_EC_secp256r1) != MA_OK) {
        ma_errmsg_set(em, "cannot generate keys: no entropy (getrandom)");
        rc = MA_ERR_IO;
        goto out;
    }

    memset(&p, 0, sizeof p);
    p.cn = ca_cn;
    p.not_before = now - 3600;
    p.not_after = now + (time_t)o->days * 86400;
    p.is_ca = 1;
    p.pk = &ca_key->pk;
    p.signer.sk = &ca_key->sk;
    if ((rc = ma_tls_cert_create(&p, &ca_der, &ca_len, em)) != MA_OK)
        goto out;

    ca_dn_len = ma_tls_cert_name(NULL, ca_cn, NULL);
    if (ca_dn_len > sizeof ca_dn) {
        ma_errmsg_set(em, "CA name too long");
        rc = MA_ERR_SYNTAX;
        goto out;
    }
    ma_tls_cert_name(ca_dn, ca_cn, NULL);
    memset(&p, 0, sizeof p);
    p.cn = sans[0]; /* Go ignores the CN; other tools still show it */
    p.not_before = now - 3600;
    p.not_after = now + (time_t)o->days * 86400;
    p.sans = san_ptrs;
    p.sans_len = NSANS;
    p.eku = MA_TLS_EKU_SERVER;
    p.pk = &key->pk;
    p.signer.dn = ca_dn;
    p.signer.dn_len = ca_dn_len;
    p.signer.sk = &ca_key->sk;
    p.signer.pk = &ca_key->pk;
    if ((rc = ma_tls_cert_create(&p, &der, &len, em)) != MA_OK)
        goto out;

    /* key first: a failure leaves no certificate without its key */
    key_pem = ma_tls_eckey_pem(&key->sk, &key->pk, &key_len);
    if (key_pem == NULL) {
        ma_errmsg_set(em, "cannot encode the private key");
        rc = MA_ERR_SYNTAX;
        goto out;
    }
    rc = ma_tls_file_write(o->out, "tls.key", key_pem, key_len, 0600, em);
    memset(key_pem, 0, key_len);
    free(key_pem);
    if (rc == MA_OK)
        rc = write_bundle(o, ca_der, ca_len, em);
    if (rc == MA_OK) {
        rc = write_cert(o->out, "tls.crt", der, len, em);
        der = NULL;
    }
    if (rc == MA_OK) {
        rc = write_cert(o->out, "ca.crt", ca_der, ca_len, em);
        ca_der = NULL;
    }
out:
    free(ca_der);
    free(der);
    memset(ca_key, 0, sizeof *ca_key); /* the CA key dies here */
    memset(key, 0, sizeof *key);
    free(ca_key);
    free(key);
    return rc;
}

static const char usage_intro[] =
    "Usage: metrics-adapter gen-certs --service NAME --namespace NS --out DIR [--days N]\n\n"
    "Make a CA and a serving certificate for NAME.NS.svc (also NAME.NS.svc.cluster.local,\n"
    "NAME.NS, NAME), signed by it. Writes DIR/ca.crt, DIR/tls.crt, DIR/tls.key (0600),\n"
    "DIR/ca-bundle.b64 (the APIService caBundle value) and DIR/apiservice-cabundle.yaml.\n"
    "The CA key is not kept. See README \"Install, upgrade, uninstall\".\n\nFlags:\n";

/* see cmd/gencerts.h */
int ma_cmd_gencerts_main(int argc, char **argv)
{
    struct ma_cmd_gencerts_opts o = {NULL, NULL, NULL, MA_CMD_GENCERTS_DEFAULT_DAYS};
    struct ma_flag flags[] = {
        {"service", MA_FLAG_STRING, &o.service, "Service name kube-apiserver connects to", 0, 0},
        {"namespace", MA_FLAG_STRING, &o.namespace, "namespace of that Service", 0, 0},
        {"out", MA_FLAG_STRING, &o.out, "directory to write into (created if missing)", 0, 0},
        {"days", MA_FLAG_INT, &o.days, "validity of the CA and the certificate", 1,
         MA_CMD_GENCERTS_MAX_DAYS},
    };
    const size_t nflags = sizeof flags / sizeof flags[0];
    struct ma_errmsg em;
    int r;

    r = ma_flag_parse(flags, nflags, argc, argv, &em);
    if (r == MA_ERR_NOTFOUND) {
        ma_flag_usage(1, usage_intro, flags, nflags);
        return 0;
    }
    if (r != MA_OK || ma_cmd_gencerts_check(&o, &em) != MA_OK) {
        fprintf(stderr, "metrics-adapter gen-certs: %s (see gen-certs --help)\n", em.msg);
        return 2;
    }
    if (ma_cmd_gencerts_run(&o, time(NULL), &em) != MA_OK) {
        fprintf(stderr, "metrics-adapter gen-certs: %s\n", em.msg);
        return 1;
    }
    printf("wrote %s/ca.crt, tls.crt, tls.key, ca-bundle.b64, apiservice-cabundle.yaml\n"
           "serving names: %s.%s.svc %s.%s.svc.cluster.local %s.%s %s; valid %lld days\n",
           o.out, o.service, o.namespace, o.service, o.namespace, o.service, o.namespace,
           o.service, o.days);
    return 0;
}
