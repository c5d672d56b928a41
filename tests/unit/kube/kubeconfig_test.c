#include "kube/kubeconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "t.h"

/* Fixtures live in a fresh temporary directory: PEM files made by openssl, kubeconfigs written
 * by the real kubectl (when installed) or by hand. */
static char dir[64];
static int have_kubectl;

static void sh(const char *fmt, const char *arg)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd, fmt, dir, arg ? arg : "");
    if (system(cmd) != 0) {
        fprintf(stderr, "command failed: %s\n", cmd);
        exit(2);
    }
}

static void kubectl(const char *args)
{
    sh("cd %s && kubectl config --kubeconfig=kc %s >/dev/null", args);
}

static char *path_of(const char *name)
{
    static char p[4][256];
    static int i;

    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static void write_file(const char *name, const char *content)
{
    FILE *f = fopen(path_of(name), "w");

    if (f == NULL || fputs(content, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", name);
        exit(2);
    }
}

static char *slurp(const char *name, size_t *len)
{
    static char buf[8192];
    FILE *f = fopen(path_of(name), "rb");

    *len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

static void check_file_bytes(const unsigned char *got, size_t got_len, const char *name)
{
    size_t n;
    char *want = slurp(name, &n);

    CHECK(n > 0);
    CHECK_EQ(got_len, n);
    if (got != NULL && got_len == n)
        CHECK_MEM(got, want, n);
}

static int load(const char *file, const char *context, struct ma_kube_config *cfg,
                struct ma_errmsg *em)
{
    memset(em, 0, sizeof *em);
    return ma_kube_config_load_file(cfg, path_of(file), context, em);
}

static void setup(void)
{
    strcpy(dir, "/tmp/ma-kubeconfig-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout ca.key -out ca.crt -subj /CN=test-ca -days 1 2>/dev/null%s", NULL);
    sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout client.key -out client.crt -subj /CN=test-user -days 1 2>/dev/null%s", NULL);
    have_kubectl = system("kubectl version --client >/dev/null 2>&1") == 0;
    if (!have_kubectl) {
        fprintf(stderr, "kubectl not installed: kubectl-written cases replaced by the copy "
                        "below\n");
        return;
    }
    kubectl("set-cluster c --server=https://127.0.0.1:6443 --certificate-authority=ca.crt "
            "--embed-certs=true");
    kubectl("set-cluster c-file --server=https://[::1]:6443 --certificate-authority=ca.crt");
    kubectl("set-cluster c-insecure --server=https://h.example:6443 "
            "--insecure-skip-tls-verify=true");
    kubectl("set-credentials u --token=abc.DEF-123_x");
    kubectl("set-credentials u-cert --client-certificate=client.crt --client-key=client.key "
            "--embed-certs=true");
    kubectl("set-credentials u-cert-file --client-certificate=client.crt "
            "--client-key=client.key");
    kubectl("set-context ctx --cluster=c --user=u --namespace=ns1");
    kubectl("set-context ctx-cert --cluster=c --user=u-cert");
    kubectl("set-context ctx-file --cluster=c-file --user=u-cert-file --namespace=ns2");
    kubectl("set-context ctx-insecure --cluster=c-insecure --user=u");
    kubectl("set-context ctx-nouser --cluster=c");
    kubectl("use-context ctx");
}

static void teardown(void)
{
    sh("rm -rf %s%s", NULL);
}

/* ---- kubeconfig written by kubectl -------------------------------------------------------- */

static void test_kubectl_token(void)
{
    struct ma_kube_config cfg;
    struct ma_http_client_config hc;
    struct ma_errmsg em;

    if (!have_kubectl)
        return;
    CHECK_EQ(load("kc", NULL, &cfg, &em), MA_OK);
    CHECK_STR(cfg.server, "https://127.0.0.1:6443");
    check_file_bytes(cfg.ca_pem, cfg.ca_pem_len, "ca.crt");
    CHECK_EQ(cfg.insecure, 0);
    CHECK(cfg.cert_pem == NULL && cfg.key_pem == NULL);
    CHECK_STR(cfg.token, "abc.DEF-123_x");
    CHECK(cfg.token_file == NULL);
    CHECK_STR(cfg.namespace, "ns1");
    CHECK(cfg.server_name == NULL);
    CHECK(strstr(cfg.origin, "context ctx") != NULL);
    memset(&hc, 0, sizeof hc);
    hc.max_idle_conns = 7;
    ma_kube_config_http(&cfg, &hc);
    CHECK(hc.url == cfg.server && hc.ca_pem == cfg.ca_pem && hc.ca_pem_len == cfg.ca_pem_len);
    CHECK(hc.cert_pem == NULL && hc.key_pem == NULL && hc.insecure_skip_verify == 0);
    CHECK_EQ(hc.max_idle_conns, 7);
    ma_kube_config_free(&cfg);
    CHECK(cfg.server == NULL && cfg.ca_pem == NULL && cfg.namespace == NULL);
    ma_kube_config_free(&cfg);
}

static void test_kubectl_client_cert(void)
{
    struct ma_kube_config cfg;
    struct ma_http_client_config hc = {0};
    struct ma_errmsg em;

    if (!have_kubectl)
        return;
    CHECK_EQ(load("kc", "ctx-cert", &cfg, &em), MA_OK);
    check_file_bytes(cfg.cert_pem, cfg.cert_pem_len, "client.crt");
    check_file_bytes(cfg.key_pem, cfg.key_pem_len, "client.key");
    CHECK(cfg.token == NULL && cfg.token_file == NULL);
    CHECK_STR(cfg.namespace, "default");
    ma_kube_config_http(&cfg, &hc);
    CHECK(hc.cert_pem == cfg.cert_pem && hc.key_pem_len == cfg.key_pem_len);
    ma_kube_config_free(&cfg);
}

/* Paths kubectl stored as given are relative to the kubeconfig's directory, not to the cwd. */
static void test_kubectl_relative_paths(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;

    if (!have_kubectl)
        return;
    CHECK(access("ca.crt", F_OK) != 0); /* the cwd does not have them */
    CHECK_EQ(load("kc", "ctx-file", &cfg, &em), MA_OK);
    CHECK_STR(cfg.server, "https://[::1]:6443");
    check_file_bytes(cfg.ca_pem, cfg.ca_pem_len, "ca.crt");
    check_file_bytes(cfg.cert_pem, cfg.cert_pem_len, "client.crt");
    check_file_bytes(cfg.key_pem, cfg.key_pem_len, "client.key");
    CHECK_STR(cfg.namespace, "ns2");
    ma_kube_config_free(&cfg);
}

static void test_kubectl_insecure_and_nouser(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;

    if (!have_kubectl)
        return;
    CHECK_EQ(load("kc", "ctx-insecure", &cfg, &em), MA_OK);
    CHECK_EQ(cfg.insecure, 1);
    CHECK(cfg.ca_pem == NULL);
    CHECK_STR(cfg.server, "https://h.example:6443");
    ma_kube_config_free(&cfg);
    CHECK_EQ(load("kc", "ctx-nouser", &cfg, &em), MA_OK);
    CHECK(cfg.token == NULL && cfg.cert_pem == NULL);
    ma_kube_config_free(&cfg);
}

static void test_kubectl_contexts(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;

    if (!have_kubectl)
        return;
    CHECK_EQ(load("kc", "nope", &cfg, &em), MA_ERR_NOTFOUND);
    CHECK(strstr(em.msg, "context \"nope\" not found") != NULL);
    CHECK(cfg.server == NULL);
    kubectl("unset current-context");
    CHECK_EQ(load("kc", NULL, &cfg, &em), MA_ERR_NOTFOUND);
    CHECK(strstr(em.msg, "no current-context") != NULL);
    CHECK_EQ(load("kc", "ctx", &cfg, &em), MA_OK); /* an explicit context still works */
    ma_kube_config_free(&cfg);
    kubectl("use-context ctx-cert");
    CHECK_EQ(load("kc", NULL, &cfg, &em), MA_OK);
    CHECK(cfg.cert_pem != NULL);
    ma_kube_config_free(&cfg);
}

/* ---- hand-written kubeconfigs ------------------------------------------------------------- */

#define CA_DATA "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" /* "-----BEGIN CERTIFICATE-----\n" */

static const char head[] = "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
                           "contexts:\n- name: x\n  context: {cluster: c, user: u}\n";

struct bad_row {
    const char *body; /* appended to head */
    int code;
    const char *msg; /* part of the message */
};

static const struct bad_row bad_rows[] = {
    {"clusters:\n- name: c\n  cluster:\n    server: https://a\n    certificate-authority-data: "
     "'!!!'\nusers:\n- name: u\n  user: {}\n",
     MA_ERR_SYNTAX, "certificate-authority-data is not valid base64"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, certificate-authority-data: " CA_DATA
     "}\nusers:\n- name: u\n  user: {client-certificate-data: Zm9v, client-key-data: 'Zm9v=x'}\n",
     MA_ERR_SYNTAX, "client-key-data is not valid base64"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, certificate-authority: ca.crt, "
     "certificate-authority-data: " CA_DATA "}\nusers: []\n",
     MA_ERR_SYNTAX, "both certificate-authority and certificate-authority-data"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, insecure-skip-tls-verify: true, "
     "certificate-authority-data: " CA_DATA "}\n",
     MA_ERR_SYNTAX, "with insecure-skip-tls-verify"},
    {"clusters:\n- name: c\n  cluster: {server: https://a}\n", MA_ERR_SYNTAX,
     "no certificate-authority"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, insecure-skip-tls-verify: 'true'}\n",
     MA_ERR_SYNTAX, "must be true or false"},
    {"clusters:\n- name: c\n  cluster: {certificate-authority-data: " CA_DATA "}\n",
     MA_ERR_SYNTAX, "has no server"},
    {"clusters:\n- name: c\n  cluster: {server: 'ftp://a', insecure-skip-tls-verify: true}\n",
     MA_ERR_SYNTAX, "https:// or http://"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, insecure-skip-tls-verify: true, "
     "proxy-url: 'http://p'}\n",
     MA_ERR_SYNTAX, "proxy-url is not supported"},
    {"clusters:\n- name: c\n  cluster: {server: https://a, certificate-authority: missing.crt}\n",
     MA_ERR_IO, "missing.crt"},
    {"clusters:\n- name: c2\n  cluster: {server: http://a}\n", MA_ERR_NOTFOUND,
     "cluster \"c\" of context \"x\" not found"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\n", MA_ERR_NOTFOUND,
     "user \"u\" of context \"x\" not found"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\n- name: c\n  cluster: {server: "
     "http://b}\n",
     MA_ERR_SYNTAX, "duplicate name \"c\" in clusters"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n    exec:\n"
     "      command: aws\n",
     MA_ERR_SYNTAX, "exec is not supported"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n"
     "    auth-provider: {name: oidc}\n",
     MA_ERR_SYNTAX, "auth-provider is not supported"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n"
     "    username: admin\n    password: secret\n",
     MA_ERR_SYNTAX, "username is not supported"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n"
     "    client-certificate-data: Zm9v\n",
     MA_ERR_SYNTAX, "needs its key"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n"
     "    token: 'two words'\n",
     MA_ERR_SYNTAX, "token has bytes other than visible ASCII"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\nusers:\n- name: u\n  user:\n"
     "    tokenFile: nofile\n",
     MA_ERR_IO, "nofile"},
    {"clusters:\n- name: c\n  cluster: {server: [http://a]}\n", MA_ERR_SYNTAX,
     "server must be a string"},
    {"clusters: {c: 1}\n", MA_ERR_SYNTAX, "clusters must be a list"},
    {"clusters:\n- name: c\n  cluster: http://a\n", MA_ERR_SYNTAX,
     "clusters entry \"c\" has no cluster mapping"},
    {"clusters:\n- name: c\n  cluster: {server: http://a}\n  cluster: {}\n", MA_ERR_SYNTAX,
     "line 10 column 3: duplicate key \"cluster\""},
    {"clusters:\n- name: c\n  cluster: &a {server: http://a}\n", MA_ERR_SYNTAX,
     "line 9 column 12: anchors"},
};

static void test_bad_kubeconfigs(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;
    char text[1024];
    size_t i;
    int r;

    for (i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        snprintf(text, sizeof text, "%s%s", head, bad_rows[i].body);
        write_file("bad", text);
        r = load("bad", NULL, &cfg, &em);
        CHECK_EQ(r, bad_rows[i].code);
        CHECK(strstr(em.msg, bad_rows[i].msg) != NULL);
        CHECK(strncmp(em.msg, "kubeconfig ", 11) == 0 || r == MA_ERR_IO);
        CHECK(cfg.server == NULL && cfg.ca_pem == NULL && cfg.token == NULL);
        if (r != bad_rows[i].code || strstr(em.msg, bad_rows[i].msg) == NULL)
            fprintf(stderr, "  bad row %zu: got %d \"%s\"\n", i, r, em.msg);
    }
    write_file("bad", "");
    CHECK_EQ(load("bad", NULL, &cfg, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "not a mapping") != NULL);
    if (strstr(em.msg, "not a mapping") == NULL)
        fprintf(stderr, "  empty file: %s\n", em.msg);
    CHECK_EQ(load("does-not-exist", NULL, &cfg, &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "No such file") != NULL);
    CHECK_EQ(ma_kube_config_load_file(&cfg, dir, NULL, &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "not a regular file") != NULL);
}

/* Hand-written: tokenFile and files relative to the kubeconfig, tls-server-name, tokens that
 * YAML would type (quoted by kubectl, not by people). */
static void test_hand_written(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;
    char text[1024];

    write_file("tok", "  file-token\n");
    snprintf(text, sizeof text,
             "%sclusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1\n"
             "    certificate-authority: ./ca.crt\n    tls-server-name: kubernetes\n"
             "users:\n- name: u\n  user:\n    token: 12345\n    tokenFile: tok\n"
             "    client-certificate: %s/client.crt\n    client-key: client.key\n"
             "    exec: null\n",
             head, dir);
    write_file("hand", text);
    CHECK_EQ(load("hand", NULL, &cfg, &em), MA_OK);
    CHECK_STR(cfg.server_name, "kubernetes");
    CHECK_STR(cfg.token, "12345");
    CHECK_STR(cfg.token_file, path_of("tok"));
    check_file_bytes(cfg.ca_pem, cfg.ca_pem_len, "ca.crt");
    check_file_bytes(cfg.cert_pem, cfg.cert_pem_len, "client.crt");
    ma_kube_config_free(&cfg);
    /* a token file that is empty is refused at load */
    write_file("tok", " \n");
    CHECK_EQ(load("hand", NULL, &cfg, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "empty") != NULL);
}

/* The copy used when kubectl is not installed keeps the YAML shape covered. */
static void test_kubectl_shaped_copy(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;

    write_file("copy", "apiVersion: v1\nclusters:\n- cluster:\n"
                       "    certificate-authority-data: " CA_DATA "\n"
                       "    server: https://127.0.0.1:6443\n  name: c\ncontexts:\n- context:\n"
                       "    cluster: c\n    namespace: ns1\n    user: u\n  name: ctx\n"
                       "current-context: ctx\nkind: Config\npreferences: {}\nusers:\n"
                       "- name: u\n  user:\n    token: abc.def\n");
    CHECK_EQ(load("copy", NULL, &cfg, &em), MA_OK);
    CHECK_EQ(cfg.ca_pem_len, 28);
    CHECK_MEM(cfg.ca_pem, "-----BEGIN CERTIFICATE-----\n", 28);
    CHECK_STR(cfg.token, "abc.def");
    ma_kube_config_free(&cfg);
}

/* ---- in-cluster ----------------------------------------------------------------------------- */

static void test_incluster(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;
    char sa[256];

    sh("mkdir -p %s/sa%s", NULL);
    snprintf(sa, sizeof sa, "%s", path_of("sa"));
    write_file("sa/token", "sa-token-1\n");
    sh("cp %s/ca.crt %s/sa/ca.crt", dir);
    write_file("sa/namespace", "kube-system\n");
    unsetenv("POD_NAMESPACE");

    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_ERR_NOTFOUND);
    CHECK(strstr(em.msg, "KUBERNETES_SERVICE_HOST") != NULL);

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_OK);
    CHECK_STR(cfg.server, "https://10.96.0.1:443");
    CHECK_STR(cfg.token_file, path_of("sa/token"));
    CHECK(cfg.token == NULL);
    check_file_bytes(cfg.ca_pem, cfg.ca_pem_len, "ca.crt");
    CHECK_STR(cfg.namespace, "kube-system");
    CHECK(strstr(cfg.origin, "in-cluster") != NULL);
    ma_kube_config_free(&cfg);

    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    setenv("POD_NAMESPACE", "from-env", 1);
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_OK);
    CHECK_STR(cfg.server, "https://[fd00:10:96::1]:6443");
    CHECK_STR(cfg.namespace, "from-env");
    ma_kube_config_free(&cfg);
    unsetenv("POD_NAMESPACE");

    unlink(path_of("sa/namespace"));
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_OK);
    CHECK_STR(cfg.namespace, "default");
    ma_kube_config_free(&cfg);

    setenv("KUBERNETES_SERVICE_PORT", "65536", 1);
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_ERR_SYNTAX);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("KUBERNETES_SERVICE_HOST", "h/x", 1);
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_ERR_SYNTAX);
    setenv("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc", 1);

    unlink(path_of("sa/ca.crt"));
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "ca.crt") != NULL);
    unlink(path_of("sa/token"));
    CHECK_EQ(ma_kube_config_load_incluster(&cfg, sa, &em), MA_ERR_IO);
    CHECK(strstr(em.msg, "token") != NULL);
    CHECK(cfg.server == NULL);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_load_choice(void)
{
    struct ma_kube_config cfg;
    struct ma_errmsg em;
    char env[600];

    write_file("k2", "apiVersion: v1\nclusters:\n- cluster: {server: 'http://k2'}\n  name: c\n"
                     "contexts:\n- context: {cluster: c}\n  name: x\ncurrent-context: x\n");
    write_file("k3", "apiVersion: v1\nclusters:\n- cluster: {server: 'http://k3'}\n  name: c\n"
                     "contexts:\n- context: {cluster: c}\n  name: x\ncurrent-context: x\n");
    snprintf(env, sizeof env, ":%s:%s", path_of("k3"), path_of("k2"));
    setenv("KUBECONFIG", env, 1);
    CHECK_EQ(ma_kube_config_load(&cfg, path_of("k2"), &em), MA_OK); /* the flag wins */
    CHECK_STR(cfg.server, "http://k2");
    ma_kube_config_free(&cfg);
    CHECK_EQ(ma_kube_config_load(&cfg, "", &em), MA_OK); /* then $KUBECONFIG's first entry */
    CHECK_STR(cfg.server, "http://k3");
    ma_kube_config_free(&cfg);
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    CHECK_EQ(ma_kube_config_load(&cfg, NULL, &em), MA_ERR_NOTFOUND); /* then in-cluster */
}

/* ---- token source --------------------------------------------------------------------------- */

static void set_mtime(const char *name, time_t sec)
{
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};

    utimensat(AT_FDCWD, path_of(name), ts, 0);
}

static void test_token_rotation(void)
{
    struct ma_kube_config cfg = {0};
    struct ma_kube_token *t;
    struct ma_kube_token_source src;
    char logpath[300], logbuf[4096];
    int logfd, saved_stderr;
    size_t n;
    FILE *f;

    snprintf(logpath, sizeof logpath, "%s/log", dir);
    logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    saved_stderr = dup(2); /* log lines go to fd 2: capture them */
    dup2(logfd, 2);

    write_file("rot", "token-one\n");
    set_mtime("rot", 1000000000);
    cfg.token = "static-token";
    cfg.token_file = path_of("rot");
    t = ma_kube_token_new(&cfg);
    src = ma_kube_token_source_of(t);
    CHECK_STR(src.get(src.arg), "token-one"); /* the file wins over the static token */
    CHECK_STR(ma_kube_token_get(t), "token-one");

    /* rewritten in place: size differs */
    write_file("rot", "token-two-longer");
    set_mtime("rot", 1000000000);
    CHECK_STR(ma_kube_token_get(t), "token-two-longer");

    /* same size, same mtime, same inode: unnoticed until invalidated (a 401) */
    write_file("rot", "token-TWO-longer");
    set_mtime("rot", 1000000000);
    CHECK_STR(ma_kube_token_get(t), "token-two-longer");
    src.invalidate(src.arg);
    CHECK_STR(ma_kube_token_get(t), "token-TWO-longer");

    /* same size, new mtime */
    write_file("rot", "token-333-longer");
    set_mtime("rot", 1000000001);
    CHECK_STR(ma_kube_token_get(t), "token-333-longer");

    /* kubelet's atomic swap: a new file renamed over the old one (new inode) */
    write_file("rot.new", "token-444-longer");
    set_mtime("rot.new", 1000000001);
    CHECK_EQ(rename(path_of("rot.new"), path_of("rot")), 0);
    CHECK_STR(ma_kube_token_get(t), "token-444-longer");

    /* failures keep the last good token */
    unlink(path_of("rot"));
    CHECK_STR(ma_kube_token_get(t), "token-444-longer");
    write_file("rot", "bad token\n");
    CHECK_STR(ma_kube_token_get(t), "token-444-longer");
    write_file("rot", "\n");
    CHECK_STR(ma_kube_token_get(t), "token-444-longer");
    write_file("rot", "token-five\n");
    CHECK_STR(ma_kube_token_get(t), "token-five");
    ma_kube_token_free(t);

    /* never readable: the static token, or none */
    cfg.token_file = path_of("missing");
    t = ma_kube_token_new(&cfg);
    CHECK_STR(ma_kube_token_get(t), "static-token");
    ma_kube_token_free(t);
    cfg.token = NULL;
    t = ma_kube_token_new(&cfg);
    CHECK(ma_kube_token_get(t) == NULL);
    ma_kube_token_free(t);
    /* static only; none at all */
    cfg.token = "only-static";
    cfg.token_file = NULL;
    t = ma_kube_token_new(&cfg);
    CHECK_STR(ma_kube_token_get(t), "only-static");
    ma_kube_token_invalidate(t);
    CHECK_STR(ma_kube_token_get(t), "only-static");
    ma_kube_token_free(t);
    cfg.token = NULL;
    t = ma_kube_token_new(&cfg);
    src = ma_kube_token_source_of(t);
    CHECK(src.get(src.arg) == NULL);
    ma_kube_token_free(t);

    /* warnings were logged, without any token */
    dup2(saved_stderr, 2);
    close(saved_stderr);
    close(logfd);
    f = fopen(logpath, "r");
    n = f ? fread(logbuf, 1, sizeof logbuf - 1, f) : 0;
    if (f)
        fclose(f);
    logbuf[n] = '\0';
    CHECK(strstr(logbuf, "keeping the previous token") != NULL);
    CHECK(strstr(logbuf, "sending no token") != NULL);
    CHECK(strstr(logbuf, "token-") == NULL && strstr(logbuf, "static") == NULL);
    CHECK(strstr(logbuf, "bad token") == NULL);
}

/* kubelet's layout: token -> ..data/token, ..data -> a timestamped directory swapped by rename. */
static void test_token_symlink_swap(void)
{
    struct ma_kube_config cfg = {0};
    struct ma_kube_token *t;

    sh("cd %s && mkdir -p proj/..2024_01 proj/..2024_02 && echo jwt-1 > proj/..2024_01/token && "
       "echo jwt-2 > proj/..2024_02/token && ln -s ..2024_01 proj/..data && "
       "ln -s ..data/token proj/token%s", NULL);
    cfg.token_file = path_of("proj/token");
    t = ma_kube_token_new(&cfg);
    CHECK_STR(ma_kube_token_get(t), "jwt-1");
    sh("cd %s/proj && ln -s ..2024_02 ..data_tmp && mv -T ..data_tmp ..data%s", NULL);
    CHECK_STR(ma_kube_token_get(t), "jwt-2");
    ma_kube_token_free(t);
}

int main(void)
{
    setup();
    T_RUN(test_kubectl_token);
    T_RUN(test_kubectl_client_cert);
    T_RUN(test_kubectl_relative_paths);
    T_RUN(test_kubectl_insecure_and_nouser);
    T_RUN(test_kubectl_contexts);
    T_RUN(test_bad_kubeconfigs);
    T_RUN(test_hand_written);
    T_RUN(test_kubectl_shaped_copy);
    T_RUN(test_incluster);
    T_RUN(test_load_choice);
    T_RUN(test_token_rotation);
    T_RUN(test_token_symlink_swap);
    teardown();
    T_END();
}
