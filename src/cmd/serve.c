#include "cmd/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "http/server.h"
#include "net/loop.h"
#include "tls/keypair.h"
#include "tls/server.h"

#ifndef MA_VERSION
#define MA_VERSION "0.0.0"
#endif

#define SEC 1000LL
#define DAY (86400 * SEC)

/* see cmd/serve.h */
void ma_serve_flags_init(struct ma_serve_flags *f)
{
    memset(f, 0, sizeof *f);
    f->secure_port = 6443;
    f->bind_address = "0.0.0.0";
    f->max_header_bytes = MA_HTTP_MAX_HEAD_DEFAULT;
    f->max_line_bytes = MA_HTTP_MAX_LINE_DEFAULT;
    f->max_conns = MA_NET_MAX_CONNS_DEFAULT;
    f->header_timeout_ms = MA_HTTP_HEADER_TIMEOUT_DEFAULT_MS;
    f->idle_timeout_ms = MA_HTTP_IDLE_TIMEOUT_DEFAULT_MS;
    f->handshake_timeout_ms = MA_TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS;
    f->shutdown_grace_ms = MA_SHUTDOWN_GRACE_DEFAULT_MS;
}

/* see cmd/serve.h */
size_t ma_serve_flags_table(struct ma_serve_flags *s, struct ma_flag *f)
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
#undef FLAG
    n += ma_net_resolver_flags_table(&s->resolv, f + n);
    return n;
}

static int is_ip_literal(const char *s)
{
    unsigned char tmp[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* see cmd/serve.h */
const char *ma_serve_flags_check(const struct ma_serve_flags *s)
{
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

static struct ma_tls_keypair *load_keypair(struct ma_serve *s, struct ma_errmsg *em)
{
    const struct ma_serve_flags *f = s->_f;
    struct ma_tls_keypair *kp = ma_xcalloc(1, sizeof *kp);

    if (f->tls_cert_file != NULL) {
        if (ma_tls_keypair_load_pem_files(kp, f->tls_cert_file, f->tls_key_file, em) != MA_OK)
            goto fail;
        stat(f->tls_cert_file, &s->_cert_st);
        stat(f->tls_key_file, &s->_key_st);
        return kp;
    }
    if (ma_tls_keypair_selfsigned(kp, f->tls_sans.items, f->tls_sans.n, ma_time_wall(), em) !=
        MA_OK)
        goto fail;
    if (f->cert_dir != NULL && ma_tls_keypair_write_pem_files(kp, f->cert_dir, em) != MA_OK) {
        ma_tls_keypair_free(kp);
        goto fail;
    }
    return kp;
fail:
    free(kp);
    return NULL;
}

static void reload_certs(struct ma_serve *s, const char *why)
{
    struct ma_errmsg em;
    struct ma_tls_keypair *kp;

    if (s->_f->tls_cert_file == NULL)
        return;
    kp = load_keypair(s, &em);
    if (kp == NULL) {
        MA_LOG_E("certificate reload (%s) failed, keeping the current one: %s", why, em.msg);
        return;
    }
    ma_tls_server_set_keypair(s->tls, kp);
    MA_LOG_I("reloaded serving certificate from %s (%s)", s->_f->tls_cert_file, why);
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
    struct ma_serve *s = arg;

    (void)loop;
    if (file_changed(s->_f->tls_cert_file, &s->_cert_st) ||
        file_changed(s->_f->tls_key_file, &s->_key_st))
        reload_certs(s, "files changed");
    return 2 * SEC;
}

/* ---- signals and shutdown ---------------------------------------------------------------- */

static int64_t shutdown_tick(struct ma_net_loop *loop, void *arg)
{
    struct ma_serve *s = arg;

    if (ma_http_server_conns(s->_http) == 0) {
        ma_net_loop_stop(loop);
        return MA_NET_TIMER_STOP;
    }
    if (ma_time_mono_ms() >= s->_stop_deadline) {
        MA_LOG_W("shutdown grace period over: closing %zu connection(s)",
                 ma_http_server_conns(s->_http));
        ma_net_loop_stop(loop);
        return MA_NET_TIMER_STOP;
    }
    return 50;
}

static void begin_shutdown(struct ma_serve *s, const char *sig)
{
    if (s->_stopping)
        return;
    s->_stopping = 1;
    if (s->_http == NULL) { /* still waiting for the authentication ConfigMap */
        ma_net_loop_stop(s->loop);
        return;
    }
    MA_LOG_I("received %s: shutting down, waiting up to %lld ms for %zu connection(s)", sig,
             (long long)s->_f->shutdown_grace_ms, ma_http_server_conns(s->_http));
    ma_api_set_shutting_down(&s->api, 1);
    ma_http_server_shutdown(s->_http);
    s->_stop_deadline = ma_time_mono_ms() + s->_f->shutdown_grace_ms;
    ma_net_loop_add_timer(s->loop, 0, shutdown_tick, s);
}

static void on_signal(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct ma_serve *s = arg;
    struct signalfd_siginfo si;

    (void)loop;
    (void)events;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            reload_certs(s, "SIGHUP");
            if (s->_auth != NULL)
                ma_auth_reload(s->_auth);
        }
        else
            begin_shutdown(s, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
}

/* Signals arrive through a signalfd on the loop: no handler runs asynchronously at all. */
static int setup_signals(struct ma_serve *s)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return MA_ERR_IO;
    s->_sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->_sigfd < 0)
        return MA_ERR_IO;
    return ma_net_loop_watch(s->loop, s->_sigfd, MA_NET_READABLE, on_signal, s);
}

/* ---- serving ------------------------------------------------------------------------------- */

/* see cmd/serve.h */
int ma_serve_open(struct ma_serve *s, const struct ma_serve_flags *f)
{
    struct ma_tls_keypair *kp;
    struct ma_errmsg em;

    memset(s, 0, sizeof *s);
    s->_f = f;
    s->_sigfd = -1;
    s->loop = ma_net_loop_new((int)f->max_conns + 64);
    if (s->loop == NULL || setup_signals(s) != MA_OK) {
        MA_LOG_E("cannot set up the event loop: %s", strerror(errno));
        return MA_ERR_IO;
    }
    /* host names are resolved on the loop (net/resolv.h): every HTTP client of the process uses
     * this one resolver */
    if (ma_net_resolver_attach(s->loop, &f->resolv, &em) != MA_OK) {
        MA_LOG_E("name resolution: %s", em.msg);
        return MA_ERR_SYNTAX;
    }
    kp = load_keypair(s, &em);
    if (kp == NULL) {
        MA_LOG_E("serving certificate: %s", em.msg);
        return MA_ERR_SYNTAX;
    }
    s->tls = ma_tls_server_new(kp);
    ma_api_init(&s->api, NULL);
    return MA_OK;
}

/* The HTTPS server with the API handler, listening. */
static int start_http(struct ma_serve *s, struct ma_errmsg *em)
{
    const struct ma_serve_flags *f = s->_f;
    struct ma_http_server_config hc = {0};

    hc.limits.max_head = (size_t)f->max_header_bytes;
    hc.limits.max_line = (size_t)f->max_line_bytes;
    hc.handshake_timeout_ms = f->handshake_timeout_ms;
    hc.header_timeout_ms = f->header_timeout_ms;
    hc.idle_timeout_ms = f->idle_timeout_ms;
    hc.handler = ma_auth_handle;
    hc.handler_ctx = s->_auth;
    s->_http = ma_http_server_new(s->loop, &hc, s->tls);
    return ma_http_server_listen(s->_http, f->bind_address, (int)f->secure_port,
                                 (int)f->max_conns, em);
}

static void auth_ready(void *arg, int ok)
{
    struct ma_serve *s = arg;
    const char *addr = s->_f->bind_address;
    struct ma_errmsg em;

    if (!ok || start_http(s, &em) != MA_OK) {
        if (ok)
            MA_LOG_E("%s", em.msg);
        s->_start_failed = 1;
        ma_net_loop_stop(s->loop);
        return;
    }
    if (s->_f->tls_cert_file != NULL)
        ma_net_loop_add_timer(s->loop, 2 * SEC, watch_certs, s);
    MA_LOG_I("metrics-adapter %s serving on https://%s%s%s:%lld", MA_VERSION,
             strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "",
             s->_f->secure_port);
}

/* see cmd/serve.h */
int ma_serve_run(struct ma_serve *s, const struct ma_provider_class **provider,
                 const struct ma_auth_flags *af, int open_by_default, struct ma_kube_client *kc)
{
    struct ma_errmsg em;

    s->api.provider = provider;
    s->_auth = ma_auth_new(s->loop, af, open_by_default, kc, s->tls, ma_api_handle, &s->api, &em);
    if (s->_auth == NULL) {
        MA_LOG_E("authentication: %s", em.msg);
        return 1;
    }
    /* listen only once authentication is configured (the ConfigMap lookup may come first) */
    ma_auth_start(s->_auth, auth_ready, s);
    if (!s->_start_failed && ma_net_loop_run(s->loop) != MA_OK) {
        MA_LOG_E("event loop failed: %s", strerror(errno));
        return 1;
    }
    if (s->_start_failed)
        return 1;
    MA_LOG_I("stopped");
    return 0;
}

/* see cmd/serve.h */
void ma_serve_close(struct ma_serve *s)
{
    if (s->_http != NULL)
        ma_http_server_free(s->_http);
    s->_http = NULL;
    ma_auth_free(s->_auth);
    s->_auth = NULL;
    ma_api_release(&s->api);
}

/* see cmd/serve.h */
void ma_serve_free(struct ma_serve *s)
{
    ma_tls_server_free(s->tls);
    if (s->_sigfd >= 0)
        close(s->_sigfd);
    ma_net_loop_free(s->loop);
}
