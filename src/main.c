/* metrics-adapter: flags, wiring and signals. The only file that knows every module. */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/auth.h"
#include "backend/demo.h"
#include "backend/falcon.h"
#include "backend/falcon_defs.h"
#include "base/err.h"
#include "base/file.h"
#include "base/flag.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "cmd/gencerts.h"
#include "http/server.h"
#include "provider/valcache.h"
#include "kube/cluster.h"
#include "kube/watch.h"
#include "net/loop.h"
#include "net/resolv.h"
#include "tls/keypair.h"
#include "tls/server.h"

#ifndef MA_VERSION
#define MA_VERSION "0.0.0"
#endif
#ifndef MA_GIT_COMMIT
#define MA_GIT_COMMIT "unknown"
#endif

/* Everything mutable lives here, made once in main and passed down. */
struct ma_server {
    /* flags */
    struct ma_net_resolver_config resolv;
    long long secure_port;
    const char *bind_address;
    const char *tls_cert_file, *tls_key_file, *cert_dir;
    struct ma_flag_list tls_sans;
    long long max_header_bytes, max_line_bytes, max_conns;
    int64_t header_timeout_ms, idle_timeout_ms, handshake_timeout_ms, shutdown_grace_ms;
    long long verbosity;
    int demo, version;
    const char *kubeconfig;
    struct ma_flag_list watch_namespaces;
    long long demo_time, demo_pods;
    int64_t demo_slow_delay_ms;
    const char *backend;
    int logtostderr; /* accepted and ignored: the original's manifests pass it (klog) */
    /* Open-Falcon backend */
    const char *falcon_url, *falcon_name, *falcon_sig_file, *falcon_read_api, *falcon_ca_file;
    int falcon_insecure, seed_names;
    int64_t falcon_timeout_ms, cache_ttl_ms, stale_after_ms;
    long long falcon_max_batch;
    const char *stale_policy;
    struct ma_auth_flags auth_flags;
    /* runtime */
    struct ma_net_loop *loop;
    struct ma_tls_server *tls;
    struct ma_http_server *http;
    struct ma_kube_cluster *cluster;
    struct ma_api_ctx api;
    struct ma_auth *auth;
    int start_failed;
    const struct ma_provider_class **provider;
    struct ma_falcon_defs *custom_defs, *external_defs;
    struct ma_kube_informer *def_inf[2];
    int sigfd;
    int stopping;
    int64_t stop_deadline;
    struct stat cert_st, key_st;
};

#define SEC 1000LL
#define DAY (86400 * SEC)

static const char usage_intro[] =
    "metrics-adapter " MA_VERSION ": Kubernetes custom and external metrics API server\n"
    "(custom.metrics.k8s.io v1beta1/v1beta2, external.metrics.k8s.io v1beta1).\n\n"
    "Usage: metrics-adapter [flags]             (Open-Falcon backend, the default)\n"
    "       metrics-adapter --demo [flags]      (embedded demo backend)\n"
    "       metrics-adapter gen-certs --service NAME --namespace NS --out DIR\n"
    "                                           (see gen-certs --help)\n"
    "\nFlags:\n";

static size_t make_flags(struct ma_server *s, struct ma_flag *f)
{
    size_t n = 0;

#define FLAG(...) f[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("secure-port", MA_FLAG_INT, &s->secure_port, "port to serve HTTPS on", 1, 65535);
    FLAG("bind-address", MA_FLAG_STRING, &s->bind_address,
         "IP address to listen on (\"::\" for all IPv6 and IPv4)");
    FLAG("tls-cert-file", MA_FLAG_STRING, &s->tls_cert_file,
         "PEM certificate chain for serving (leaf first); reloaded on SIGHUP and on change");
    FLAG("tls-private-key-file", MA_FLAG_STRING, &s->tls_key_file,
         "PEM private key matching --tls-cert-file (RSA >= 2048, EC P-256 or P-384)");
    FLAG("cert-dir", MA_FLAG_STRING, &s->cert_dir,
         "write the generated self-signed certificate and key here (apiserver.crt/.key)");
    FLAG("tls-san", MA_FLAG_LIST, &s->tls_sans,
         "extra DNS name or IP for the generated certificate (repeatable)");
    FLAG("max-header-bytes", MA_FLAG_INT, &s->max_header_bytes,
         "largest request head accepted; larger ones get 431", 1024, 16 << 20);
    FLAG("max-request-line-bytes", MA_FLAG_INT, &s->max_line_bytes,
         "longest request line accepted; longer ones get 414", 256, 16 << 20);
    FLAG("header-timeout", MA_FLAG_DURATION, &s->header_timeout_ms,
         "time allowed to send a whole request head", 100, DAY);
    FLAG("idle-timeout", MA_FLAG_DURATION, &s->idle_timeout_ms,
         "close keep-alive connections idle this long", 100, DAY);
    FLAG("handshake-timeout", MA_FLAG_DURATION, &s->handshake_timeout_ms,
         "time allowed for the TLS handshake", 100, DAY);
    FLAG("max-connections", MA_FLAG_INT, &s->max_conns, "connections served at once", 1,
         1000000);
    FLAG("shutdown-grace", MA_FLAG_DURATION, &s->shutdown_grace_ms,
         "on SIGTERM, time given to in-flight requests", 0, DAY);
    FLAG("kubeconfig", MA_FLAG_STRING, &s->kubeconfig,
         "kubeconfig file for kube-apiserver (default: in-cluster service account; with --demo, "
         "no cluster unless this is given or the process runs in a pod)");
    FLAG("watch-namespace", MA_FLAG_LIST, &s->watch_namespaces,
         "cache pods of this namespace only (repeatable; default: all namespaces)");
    FLAG("lister-kubeconfig", MA_FLAG_STRING, &s->kubeconfig,
         "same as --kubeconfig (the name custom-metrics-apiserver adapters use)");
    FLAG("v", MA_FLAG_INT, &s->verbosity, "log verbosity (4: one line per request)", 0, 10);
    FLAG("logtostderr", MA_FLAG_BOOL, &s->logtostderr,
         "accepted for compatibility and ignored: logs always go to stderr");
    FLAG("backend", MA_FLAG_STRING, &s->backend, "metrics backend: falcon or demo");
    FLAG("falcon-url", MA_FLAG_STRING, &s->falcon_url,
         "Open-Falcon api: host[:port] (plain http, as the original), http://... or https://... "
         "(default: $FALCON_API_URL, else " MA_FALCON_DEFAULT_URL ")");
    FLAG("falcon-api-name", MA_FLAG_STRING, &s->falcon_name,
         "Apitoken name (default: $FALCON_API_NAME, else " MA_FALCON_DEFAULT_NAME ")");
    FLAG("falcon-api-sig-file", MA_FLAG_STRING, &s->falcon_sig_file,
         "file holding the Apitoken sig, e.g. a mounted Secret (default: $FALCON_API_SIG)");
    FLAG("falcon-read-api", MA_FLAG_STRING, &s->falcon_read_api,
         "lastpoint (falcon-plus api: POST /api/v1/graph/lastpoint) or graph-last (old query "
         "module: POST /graph/last)");
    FLAG("falcon-timeout", MA_FLAG_DURATION, &s->falcon_timeout_ms,
         "time allowed for one Open-Falcon request", 100, DAY);
    FLAG("falcon-ca-file", MA_FLAG_STRING, &s->falcon_ca_file,
         "PEM CA bundle to verify an https Open-Falcon api");
    FLAG("falcon-insecure-skip-tls-verify", MA_FLAG_BOOL, &s->falcon_insecure,
         "accept any certificate from an https Open-Falcon api (testing only)");
    FLAG("falcon-max-batch", MA_FLAG_INT, &s->falcon_max_batch,
         "series per Open-Falcon request; larger batches are split", 1, 100000);
    FLAG("cache-ttl", MA_FLAG_DURATION, &s->cache_ttl_ms,
         "serve a value fetched from Open-Falcon this long before asking again (0: never cache)",
         0, DAY);
    FLAG("stale-after", MA_FLAG_DURATION, &s->stale_after_ms,
         "a Falcon value whose timestamp is older than this is stale", 1000, 30 * DAY);
    FLAG("stale-policy", MA_FLAG_STRING, &s->stale_policy,
         "omit (leave stale objects out of answers) or zero (report 0, as the original)");
    FLAG("seed-metric-names", MA_FLAG_BOOL, &s->seed_names,
         "serve pods metrics without a CustomMetric by the original's naming convention "
         "(net.if.in.bytes-iface-equal-eth0 = net.if.in.bytes/iface=eth0)");
    FLAG("demo", MA_FLAG_BOOL, &s->demo, "serve the embedded demo backend (no cluster needed)");
    FLAG("demo-time", MA_FLAG_INT, &s->demo_time,
         "freeze the demo clock at this Unix time (0: wall clock)", 0, 1LL << 40);
    FLAG("demo-slow-delay", MA_FLAG_DURATION, &s->demo_slow_delay_ms,
         "answer delay of the demo_slow_queue external metric", 0, DAY);
    FLAG("demo-pods", MA_FLAG_INT, &s->demo_pods,
         "number of demo pods (beyond 5: demo-load-N pods labelled app=demo-load)", 5, 100000);
    FLAG("version", MA_FLAG_BOOL, &s->version, "print the version and exit");
#undef FLAG
    n += ma_auth_flags_table(&s->auth_flags, f + n);
    n += ma_net_resolver_flags_table(&s->resolv, f + n);
    return n;
}

static void set_defaults(struct ma_server *s)
{
    s->secure_port = 6443;
    s->bind_address = "0.0.0.0";
    s->max_header_bytes = MA_HTTP_MAX_HEAD_DEFAULT;
    s->max_line_bytes = MA_HTTP_MAX_LINE_DEFAULT;
    s->max_conns = MA_NET_MAX_CONNS_DEFAULT;
    s->header_timeout_ms = MA_HTTP_HEADER_TIMEOUT_DEFAULT_MS;
    s->idle_timeout_ms = MA_HTTP_IDLE_TIMEOUT_DEFAULT_MS;
    s->handshake_timeout_ms = MA_TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS;
    s->shutdown_grace_ms = MA_SHUTDOWN_GRACE_DEFAULT_MS;
    s->demo_slow_delay_ms = 10 * SEC;
    s->demo_pods = 5;
    s->backend = "falcon";
    s->falcon_read_api = "lastpoint";
    s->falcon_timeout_ms = MA_FALCON_DEFAULT_TIMEOUT_MS;
    s->falcon_max_batch = MA_FALCON_DEFAULT_BATCH;
    s->cache_ttl_ms = MA_VALCACHE_TTL_DEFAULT_MS;
    s->stale_after_ms = 300 * SEC;
    s->stale_policy = "omit";
    s->seed_names = 1;
    s->sigfd = -1;
    ma_auth_flags_init(&s->auth_flags);
}

static int bad_flag(const char *why)
{
    fprintf(stderr, "metrics-adapter: %s (see --help)\n", why);
    return 2;
}

static int is_ip_literal(const char *s)
{
    unsigned char tmp[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* Flag combinations that parse but make no sense. NULL when fine. */
static const char *check_flags(const struct ma_server *s)
{
    if (strcmp(s->backend, "demo") != 0 && strcmp(s->backend, "falcon") != 0)
        return "invalid value for --backend: use falcon or demo";
    if (strcmp(s->stale_policy, "omit") != 0 && strcmp(s->stale_policy, "zero") != 0)
        return "invalid value for --stale-policy: use omit or zero";
    if (strcmp(s->falcon_read_api, "lastpoint") != 0 &&
        strcmp(s->falcon_read_api, "graph-last") != 0)
        return "invalid value for --falcon-read-api: use lastpoint or graph-last";
    if ((s->tls_cert_file == NULL) != (s->tls_key_file == NULL))
        return "--tls-cert-file and --tls-private-key-file must be given together";
    if (s->max_line_bytes > s->max_header_bytes)
        return "--max-request-line-bytes must not exceed --max-header-bytes";
    if (s->tls_sans.n > MA_TLS_MAX_SANS)
        return "too many --tls-san values";
    if (!is_ip_literal(s->bind_address))
        return "invalid value for --bind-address: not an IPv4 or IPv6 address";
    return NULL;
}

/* ---- certificates ------------------------------------------------------------------------ */

static struct ma_tls_keypair *load_keypair(struct ma_server *s, struct ma_errmsg *em)
{
    struct ma_tls_keypair *kp = ma_xcalloc(1, sizeof *kp);

    if (s->tls_cert_file != NULL) {
        if (ma_tls_keypair_load_pem_files(kp, s->tls_cert_file, s->tls_key_file, em) != MA_OK)
            goto fail;
        stat(s->tls_cert_file, &s->cert_st);
        stat(s->tls_key_file, &s->key_st);
        return kp;
    }
    if (ma_tls_keypair_selfsigned(kp, s->tls_sans.items, s->tls_sans.n, ma_time_wall(), em) !=
        MA_OK)
        goto fail;
    if (s->cert_dir != NULL && ma_tls_keypair_write_pem_files(kp, s->cert_dir, em) != MA_OK) {
        ma_tls_keypair_free(kp);
        goto fail;
    }
    return kp;
fail:
    free(kp);
    return NULL;
}

static void reload_certs(struct ma_server *s, const char *why)
{
    struct ma_errmsg em;
    struct ma_tls_keypair *kp;

    if (s->tls_cert_file == NULL)
        return;
    kp = load_keypair(s, &em);
    if (kp == NULL) {
        MA_LOG_E("certificate reload (%s) failed, keeping the current one: %s", why, em.msg);
        return;
    }
    ma_tls_server_set_keypair(s->tls, kp);
    MA_LOG_I("reloaded serving certificate from %s (%s)", s->tls_cert_file, why);
}

static int file_changed(const char *path, const struct stat *old)
{
    struct stat st;

    /* Secret volumes swap a symlink (..data): stat follows it, so inode or mtime changes */
    if (stat(path, &st) != 0)
        return 0;
    return st.st_ino != old->st_ino || st.st_mtime != old->st_mtime || st.st_size != old->st_size;
}

static int64_t watch_certs(struct ma_net_loop *loop, void *arg)
{
    struct ma_server *s = arg;

    (void)loop;
    if (file_changed(s->tls_cert_file, &s->cert_st) || file_changed(s->tls_key_file, &s->key_st))
        reload_certs(s, "files changed");
    return 2 * SEC;
}

/* ---- signals and shutdown ---------------------------------------------------------------- */

static int64_t shutdown_tick(struct ma_net_loop *loop, void *arg)
{
    struct ma_server *s = arg;

    if (ma_http_server_conns(s->http) == 0) {
        ma_net_loop_stop(loop);
        return MA_NET_TIMER_STOP;
    }
    if (ma_time_mono_ms() >= s->stop_deadline) {
        MA_LOG_W("shutdown grace period over: closing %zu connection(s)",
                 ma_http_server_conns(s->http));
        ma_net_loop_stop(loop);
        return MA_NET_TIMER_STOP;
    }
    return 50;
}

static void begin_shutdown(struct ma_server *s, const char *sig)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    if (s->http == NULL) { /* still waiting for the authentication ConfigMap */
        ma_net_loop_stop(s->loop);
        return;
    }
    MA_LOG_I("received %s: shutting down, waiting up to %lld ms for %zu connection(s)", sig,
             (long long)s->shutdown_grace_ms, ma_http_server_conns(s->http));
    ma_api_set_shutting_down(&s->api, 1);
    ma_http_server_shutdown(s->http);
    s->stop_deadline = ma_time_mono_ms() + s->shutdown_grace_ms;
    ma_net_loop_add_timer(s->loop, 0, shutdown_tick, s);
}

static void on_signal(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct ma_server *s = arg;
    struct signalfd_siginfo si;

    (void)loop;
    (void)events;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            reload_certs(s, "SIGHUP");
            ma_auth_reload(s->auth);
        }
        else
            begin_shutdown(s, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
}

/* Signals arrive through a signalfd on the loop: no handler runs asynchronously at all. */
static int setup_signals(struct ma_server *s)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return MA_ERR_IO;
    s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->sigfd < 0)
        return MA_ERR_IO;
    return ma_net_loop_watch(s->loop, s->sigfd, MA_NET_READABLE, on_signal, s);
}

/* ---- the cluster ----------------------------------------------------------------------------- */

/* The demo runs without a cluster unless one is named (--kubeconfig) or we run in a pod; a stray
 * $KUBECONFIG on a laptop must not turn `./build.sh run` into a cluster client. */
static int wants_cluster(const struct ma_server *s)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");

    return (s->kubeconfig != NULL && s->kubeconfig[0] != '\0') || (host != NULL && host[0]);
}

static int start_cluster(struct ma_server *s)
{
    struct ma_errmsg em;

    s->cluster = ma_kube_cluster_new(s->loop, s->kubeconfig, &em);
    if (s->cluster == NULL) {
        MA_LOG_E("kube-apiserver configuration: %s", em.msg);
        return MA_ERR_SYNTAX;
    }
    MA_LOG_I("kube-apiserver: %s", ma_kube_cluster_origin(s->cluster));
    ma_kube_cluster_watch_pods(s->cluster, s->watch_namespaces.items, s->watch_namespaces.n);
    return MA_OK;
}

/* Every informer of the cluster shows in /readyz. */
static void add_ready_checks(struct ma_server *s)
{
    struct ma_kube_informer *const *inf;
    const char *const *names;
    size_t i, n = ma_kube_cluster_informers(s->cluster, &inf, &names);

    for (i = 0; i < n; i++)
        ma_api_add_ready_check(&s->api, names[i], ma_kube_informer_ready, inf[i]);
}

static int start_demo(struct ma_server *s)
{
    struct ma_backend_demo_config dc = {0};

    if (wants_cluster(s)) {
        if (start_cluster(s) != MA_OK)
            return MA_ERR_SYNTAX;
        add_ready_checks(s);
        dc.pods = ma_kube_cluster_pods(s->cluster);
        dc.pods_ready = ma_kube_cluster_pods_ready;
        dc.pods_ready_arg = s->cluster;
    }
    dc.fixed_time = s->demo_time;
    dc.slow_delay_ms = s->demo_slow_delay_ms;
    dc.num_pods = (int)s->demo_pods;
    s->provider = ma_backend_demo_new(s->loop, &dc);
    MA_LOG_W("demo backend: serving synthetic metrics");
    return MA_OK;
}

/* ---- the Open-Falcon backend ---------------------------------------------------------------- */

#define FALCON_CRD_PATH "/apis/metrics.falcon/v1alpha1/"

/* Pods and both definition caches have synced (arg: the server). */
static int falcon_caches_ready(void *arg, struct ma_errmsg *why)
{
    struct ma_server *s = arg;
    size_t i;

    if (!ma_kube_cluster_pods_ready(s->cluster, why))
        return 0;
    for (i = 0; i < 2; i++)
        if (!ma_kube_informer_ready(s->def_inf[i], why))
            return 0;
    return 1;
}

static int watch_defs(struct ma_server *s)
{
    struct ma_kube_informer_handler h;

    s->custom_defs = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    s->external_defs = ma_falcon_defs_new(MA_FALCON_DEF_EXTERNAL);
    /* the original installs only the CustomMetric CRD: ExternalMetric may be absent (optional) */
    ma_falcon_defs_informer_handler(s->custom_defs, &h);
    s->def_inf[0] = ma_kube_cluster_watch(s->cluster, "cache/custommetrics",
                                          FALCON_CRD_PATH "custommetrics", 0, &h);
    ma_falcon_defs_informer_handler(s->external_defs, &h);
    s->def_inf[1] = ma_kube_cluster_watch(s->cluster, "cache/externalmetrics",
                                          FALCON_CRD_PATH "externalmetrics", 1, &h);
    return s->def_inf[0] != NULL && s->def_inf[1] != NULL ? MA_OK : MA_ERR_LIMIT;
}

static int start_falcon(struct ma_server *s)
{
    struct ma_backend_falcon_config fc = {0};
    struct ma_falcon_env_store store;
    struct ma_errmsg em;
    char *ca = NULL;
    size_t ca_len = 0;
    int rc = MA_ERR_SYNTAX;

    fc.api.url = s->falcon_url != NULL && s->falcon_url[0] ? s->falcon_url : NULL;
    fc.api.token_name = s->falcon_name != NULL && s->falcon_name[0] ? s->falcon_name : NULL;
    fc.api.flavour = strcmp(s->falcon_read_api, "graph-last") == 0 ? MA_FALCON_GRAPH_LAST :
                                                                      MA_FALCON_LASTPOINT;
    fc.api.timeout_ms = s->falcon_timeout_ms;
    fc.api.max_batch = (size_t)s->falcon_max_batch;
    fc.api.insecure_skip_verify = s->falcon_insecure;
    if (ma_falcon_api_config_env(&fc.api, s->falcon_sig_file, &store, &em) != MA_OK) {
        MA_LOG_E("Open-Falcon settings: %s", em.msg);
        goto out;
    }
    if (s->falcon_ca_file != NULL) {
        if (ma_file_read(s->falcon_ca_file, MA_TLS_MAX_PEM_FILE, "--falcon-ca-file", &ca, &ca_len,
                         NULL, &em) != MA_OK) {
            MA_LOG_E("%s", em.msg);
            goto out;
        }
        fc.api.ca_pem = ca;
        fc.api.ca_pem_len = ca_len;
    }
    if (start_cluster(s) != MA_OK)
        goto out;
    if (watch_defs(s) != MA_OK) {
        MA_LOG_E("too many informers: cannot watch the metric definitions");
        goto out;
    }
    add_ready_checks(s);
    fc.cache_ttl_ms = s->cache_ttl_ms;
    fc.stale_after_s = s->stale_after_ms / SEC;
    fc.stale_policy = strcmp(s->stale_policy, "zero") == 0 ? MA_FALCON_STALE_ZERO :
                                                             MA_FALCON_STALE_OMIT;
    fc.seed_names = s->seed_names;
    fc.pods = ma_kube_cluster_pods(s->cluster);
    fc.custom = s->custom_defs;
    fc.external = s->external_defs;
    fc.caches_ready = falcon_caches_ready;
    fc.caches_ready_arg = s;
    s->provider = ma_backend_falcon_new(s->loop, &fc, &em);
    if (s->provider == NULL) {
        MA_LOG_E("Open-Falcon client: %s", em.msg);
        goto out;
    }
    MA_LOG_I("Open-Falcon backend: %s (%s), cache TTL %lld ms, stale after %lld s (%s), "
             "seed metric names %s", fc.api.url, s->falcon_read_api, (long long)s->cache_ttl_ms,
             (long long)fc.stale_after_s, s->stale_policy, s->seed_names ? "on" : "off");
    rc = MA_OK;
out:
    free(ca); /* the client copied what it keeps, the sig in store too */
    return rc;
}

/* ---- main ---------------------------------------------------------------------------------- */

/* The HTTPS server with the API handler, listening. */
static int start_http(struct ma_server *s, struct ma_errmsg *em)
{
    struct ma_http_server_config hc = {0};

    hc.limits.max_head = (size_t)s->max_header_bytes;
    hc.limits.max_line = (size_t)s->max_line_bytes;
    hc.handshake_timeout_ms = s->handshake_timeout_ms;
    hc.header_timeout_ms = s->header_timeout_ms;
    hc.idle_timeout_ms = s->idle_timeout_ms;
    hc.handler = ma_auth_handle;
    hc.handler_ctx = s->auth;
    s->http = ma_http_server_new(s->loop, &hc, s->tls);
    return ma_http_server_listen(s->http, s->bind_address, (int)s->secure_port,
                                 (int)s->max_conns, em);
}

static void stop_backend(struct ma_server *s)
{
    if (strcmp(s->backend, "demo") == 0) /* as serve() chose */
        ma_backend_demo_free(s->provider);
    else
        ma_backend_falcon_free(s->provider);
    ma_kube_cluster_free(s->cluster); /* its informers feed the definition caches: first */
    ma_falcon_defs_free(s->custom_defs);
    ma_falcon_defs_free(s->external_defs);
}

static void auth_ready(void *arg, int ok)
{
    struct ma_server *s = arg;
    struct ma_errmsg em;

    if (!ok || start_http(s, &em) != MA_OK) {
        if (ok)
            MA_LOG_E("%s", em.msg);
        s->start_failed = 1;
        ma_net_loop_stop(s->loop);
        return;
    }
    if (s->tls_cert_file != NULL)
        ma_net_loop_add_timer(s->loop, 2 * SEC, watch_certs, s);
    MA_LOG_I("metrics-adapter %s serving on https://%s%s%s:%lld", MA_VERSION,
             strchr(s->bind_address, ':') ? "[" : "", s->bind_address,
             strchr(s->bind_address, ':') ? "]" : "", s->secure_port);
}

static int serve(struct ma_server *s)
{
    struct ma_tls_keypair *kp;
    struct ma_errmsg em;

    s->loop = ma_net_loop_new((int)s->max_conns + 64);
    if (s->loop == NULL || setup_signals(s) != MA_OK) {
        MA_LOG_E("cannot set up the event loop: %s", strerror(errno));
        return 1;
    }
    if (ma_net_resolver_attach(s->loop, &s->resolv, &em) != MA_OK) {
        MA_LOG_E("name resolution: %s", em.msg);
        return 2;
    }
    kp = load_keypair(s, &em);
    if (kp == NULL) {
        MA_LOG_E("serving certificate: %s", em.msg);
        return 1;
    }
    s->tls = ma_tls_server_new(kp);
    ma_api_init(&s->api, NULL);
    if ((strcmp(s->backend, "demo") == 0 ? start_demo(s) : start_falcon(s)) != MA_OK)
        return 1;
    s->api.provider = s->provider;
    s->auth = ma_auth_new(s->loop, &s->auth_flags, strcmp(s->backend, "demo") == 0,
                          s->cluster ? ma_kube_cluster_client(s->cluster) : NULL, s->tls,
                          ma_api_handle, &s->api, &em);
    if (s->auth == NULL) {
        MA_LOG_E("authentication: %s", em.msg);
        return 1;
    }
    /* listen only once authentication is configured (the ConfigMap lookup may come first) */
    ma_auth_start(s->auth, auth_ready, s);
    if (!s->start_failed && ma_net_loop_run(s->loop) != MA_OK) {
        MA_LOG_E("event loop failed: %s", strerror(errno));
        return 1;
    }
    if (s->start_failed)
        return 1;
    MA_LOG_I("stopped");
    if (s->http != NULL)
        ma_http_server_free(s->http);
    ma_auth_free(s->auth);
    stop_backend(s);
    free(s->watch_namespaces.items);
    ma_tls_server_free(s->tls);
    ma_net_loop_free(s->loop);
    free(s->tls_sans.items);
    return 0;
}

int main(int argc, char **argv)
{
    static struct ma_server srv;
    struct ma_flag flags[128];
    struct ma_errmsg em;
    size_t nflags;
    const char *why;
    int r;

    /* subcommands: argv[1] names them; everything else is the server's flags */
    if (argc > 1 && strcmp(argv[1], "gen-certs") == 0)
        return ma_cmd_gencerts_main(argc - 1, argv + 1);
    set_defaults(&srv);
    nflags = make_flags(&srv, flags);
    r = ma_flag_parse(flags, nflags, argc, argv, &em);
    if (r == MA_ERR_NOTFOUND) {
        ma_flag_usage(1, usage_intro, flags, nflags);
        return 0;
    }
    if (r != MA_OK)
        return bad_flag(em.msg);
    if (srv.version) {
        printf("metrics-adapter v%s (commit %s)\n", MA_VERSION, MA_GIT_COMMIT);
        return 0;
    }
    if (srv.demo)
        srv.backend = "demo";
    why = check_flags(&srv);
    if (why == NULL)
        why = ma_auth_flags_check(&srv.auth_flags, strcmp(srv.backend, "demo") == 0,
                                  wants_cluster(&srv));
    if (why != NULL)
        return bad_flag(why);
    ma_log_set_verbosity((int)srv.verbosity);
    return serve(&srv);
}
