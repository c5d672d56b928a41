#include "http/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "http/client_impl.h"
#include "net/loop.h"
#include "net/plain.h"
#include "tls/anchors.h"
#include "tls/client.h"
#include "tls/keypair.h"

/* Name resolution never blocks the loop: IP literals (KUBERNETES_SERVICE_HOST, Service ClusterIPs)
 * are used as they are; a host name is asked of the shared resolver (net/resolv.h) whenever a call
 * needs a new connection. Its cache answers at once almost always; otherwise the call waits in
 * CS_RESOLVING while other work goes on. When every address failed to connect the resolver is
 * told, so the next call waits for a fresh answer instead of retrying a moved backend's old IP. */

#define NO_DEADLINE_RECHECK_MS 60000 /* a call with no deadline still gets its timer checked */

static int step(struct ma_http_call *call);

/* ==== connections and the idle pool ========================================================== */

static void on_conn_event(struct ma_net_loop *loop, int fd, unsigned events, void *arg);

static int hc_watch(struct hconn *hc, unsigned mask)
{
    return ma_net_loop_watch(hc->cl->loop, hc->fd, mask, on_conn_event, hc);
}

static void hc_close(struct hconn *hc)
{
    ma_net_loop_unwatch(hc->cl->loop, hc->fd);
    if (hc->t != NULL)
        (*hc->t)->close(hc->t);
    else
        close(hc->fd);
    free(hc);
}

static void pool_unlink(struct ma_http_client *c, struct hconn *hc)
{
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        c->idle = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    hc->next = hc->prev = NULL;
    c->nidle--;
}

static int64_t on_idle_timer(struct ma_net_loop *loop, void *arg)
{
    struct ma_http_client *c = arg;
    int64_t now = ma_time_mono_ms();
    struct hconn *hc, *oldest = NULL;

    (void)loop;
    for (hc = c->idle; hc != NULL; hc = hc->next)
        oldest = hc;
    while (oldest != NULL && now - oldest->idle_since >= c->idle_timeout_ms) {
        hc = oldest;
        oldest = hc->prev;
        pool_unlink(c, hc);
        hc_close(hc);
    }
    if (oldest == NULL) {
        c->idle_timer = 0;
        return MA_NET_TIMER_STOP;
    }
    return oldest->idle_since + c->idle_timeout_ms - now;
}

/* Keep a connection whose response ended cleanly for the next call. */
static void pool_put(struct ma_http_client *c, struct hconn *hc)
{
    hc->call = NULL;
    hc->idle_since = ma_time_mono_ms();
    /* readable while idle means the server closed it (or misbehaves): see on_conn_event */
    if (c->max_idle <= 0 || hc_watch(hc, MA_NET_READABLE) != MA_OK) {
        hc_close(hc);
        return;
    }
    hc->prev = NULL;
    hc->next = c->idle;
    if (c->idle)
        c->idle->prev = hc;
    c->idle = hc;
    if (++c->nidle > c->max_idle) {
        struct hconn *last = c->idle;

        while (last->next)
            last = last->next;
        pool_unlink(c, last);
        hc_close(last);
    }
    if (c->idle_timer == 0)
        c->idle_timer = ma_net_loop_add_timer(c->loop, c->idle_timeout_ms, on_idle_timer, c);
}

/* A pooled connection still open, most recent first, or NULL. The server may have closed one
 * since the loop last looked (its FIN not yet seen as an event): peek before trusting it. */
static struct hconn *pool_take(struct ma_http_client *c)
{
    int64_t now = ma_time_mono_ms();

    while (c->idle != NULL) {
        struct hconn *hc = c->idle;
        char b;
        ssize_t n = recv(hc->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

        pool_unlink(c, hc);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            now - hc->idle_since < c->idle_timeout_ms && !(*hc->t)->pending(hc->t))
            return hc;
        hc_close(hc);
    }
    return NULL;
}

/* ==== finishing ============================================================================== */

static void call_free(struct ma_http_call *call)
{
    ma_buf_free(&call->out);
    ma_buf_free(&call->body);
    free(call->head);
    free(call->rbuf);
    free(call);
}

static void call_unref(struct ma_http_call *call)
{
    if (--call->refs == 0 && call->state == CS_DONE)
        call_free(call);
}

/* Take the call out of the client: timer, list, connection (pooled or closed). */
static void detach(struct ma_http_call *call, int keep_conn)
{
    struct ma_http_client *c = call->cl;

    if (c == NULL)
        return;
    ma_net_loop_del_timer(c->loop, call->timer); /* a no-op inside the timer itself */
    ma_net_lookup_cancel(call->lookup);
    call->lookup = NULL;
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    if (call->conn != NULL) {
        if (keep_conn)
            pool_put(c, call->conn);
        else
            hc_close(call->conn);
        call->conn = NULL;
    }
    call->cl = NULL;
    call->state = CS_DONE;
}

/* Client state is settled before on_done runs, so the callback may start calls, cancel others or
 * free the client. */
/* see http/client_impl.h */
int ma_http_call_finish(struct ma_http_call *call, int err, int keep_conn, const char *fmt, ...)
{
    struct ma_http_result *res = &call->res;

    res->err = err;
    res->em.msg[0] = '\0';
    if (fmt != NULL) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(res->em.msg, sizeof res->em.msg, fmt, ap);
        va_end(ap);
    }
    res->status = call->head_used ? call->resp.status : 0;
    res->body = &call->body;
    detach(call, keep_conn && err == MA_OK);
    if (call->p.on_done != NULL) {
        call->refs++;
        call->p.on_done(call, res, call->p.arg);
        call_unref(call);
    }
    return STEP_DONE;
}

/* A GET on a reused connection that fails before any response byte most likely met a server that
 * had just closed its idle end: retried once on a fresh connection. */
/* see http/client_impl.h */
int ma_http_call_io_failed(struct ma_http_call *call, int rc, const char *what)
{
    struct ma_http_client *c = call->cl;
    struct hconn *hc = call->conn;
    const char *why = hc->t ? (*hc->t)->last_error(hc->t) : "";

    if (call->reused && !call->retried && call->idempotent && call->head_len == 0 &&
        (call->state == CS_SENDING || call->state == CS_WAIT_HEAD)) {
        MA_LOGV(2, "%s on a reused connection to %s failed (%s); retrying on a new one", call->what,
                c->tg.where, why[0] ? why : "closed");
        hc_close(hc);
        call->conn = NULL;
        call->retried = call->fresh = 1;
        call->reused = 0;
        call->out_off = 0;
        call->state = CS_QUEUED;
        return STEP_AGAIN;
    }
    if (hc->t != NULL && !(*hc->t)->established(hc->t))
        return ma_http_call_finish(call, MA_ERR_IO, 0, "TLS handshake with %s failed: %s",
                                   c->tg.where, why[0] ? why : "connection closed");
    return ma_http_call_finish(call, rc == MA_ERR_LIMIT ? MA_ERR_LIMIT : MA_ERR_IO, 0, "%s %s: %s",
                               what, c->tg.where, why[0] ? why : "connection closed");
}

/* ==== timer: start and deadlines ============================================================= */

/* Earliest deadline of the call (INT64_MAX: none) and what it guards. */
static int64_t deadline(const struct ma_http_call *call, int *which)
{
    int64_t d = INT64_MAX, t;
    const struct hconn *hc = call->conn;

    *which = 0;
    if (call->p.timeout_ms > 0) {
        d = call->t_start + call->p.timeout_ms;
        *which = 1;
    }
    if (call->state == CS_CONNECTING ||
        (call->state == CS_SENDING && hc && hc->t && !(*hc->t)->established(hc->t))) {
        t = call->t_conn + call->cl->connect_timeout_ms;
        if (t < d) {
            d = t;
            *which = 2;
        }
    } else if (call->state >= CS_SENDING && call->state <= CS_BODY && call->p.read_timeout_ms > 0) {
        t = call->t_progress + call->p.read_timeout_ms;
        if (t < d) {
            d = t;
            *which = 3;
        }
    }
    return d;
}

static int64_t next_delay(const struct ma_http_call *call)
{
    int which;
    int64_t d = deadline(call, &which), now = ma_time_mono_ms();

    if (d == INT64_MAX)
        return NO_DEADLINE_RECHECK_MS;
    return d > now ? d - now : 0;
}

static int64_t on_call_timer(struct ma_net_loop *loop, void *arg);

/* A deadline may have moved closer (connect started, request sent): re-arm the timer. */
static void rearm(struct ma_http_call *call)
{
    if (call->in_timer)
        return; /* the timer callback re-arms itself from its return value */
    ma_net_loop_del_timer(call->cl->loop, call->timer);
    call->timer = ma_net_loop_add_timer(call->cl->loop, next_delay(call), on_call_timer, call);
}

static void check_deadline(struct ma_http_call *call)
{
    struct ma_http_client *c = call->cl;
    int which;
    int64_t d = deadline(call, &which), now = ma_time_mono_ms();

    if (d > now)
        return;
    switch (which) {
    case 1:
        ma_http_call_finish(call, MA_ERR_TIMEOUT, 0, "%s on %s timed out after %lld ms", call->what,
                            c->tg.where, (long long)call->p.timeout_ms);
        break;
    case 2:
        ma_http_call_finish(call, MA_ERR_TIMEOUT, 0, "%s %s timed out after %lld ms",
                            call->state == CS_CONNECTING ? "connect to" : "TLS handshake with",
                            c->tg.where, (long long)c->connect_timeout_ms);
        break;
    default:
        ma_http_call_finish(call, MA_ERR_TIMEOUT, 0, "%s on %s: no data for %lld ms", call->what,
                            c->tg.where, (long long)call->p.read_timeout_ms);
    }
}

static int64_t on_call_timer(struct ma_net_loop *loop, void *arg)
{
    struct ma_http_call *call = arg;
    int64_t next;

    (void)loop;
    call->refs++;
    call->in_timer = 1;
    if (call->state == CS_QUEUED) {
        if (call->start_err != MA_OK)
            ma_http_call_finish(call, call->start_err, 0, "%s", call->start_em.msg);
        else
            while (step(call) == STEP_AGAIN)
                ;
    } else {
        check_deadline(call);
    }
    call->in_timer = 0;
    if (call->state == CS_DONE) {
        call->timer = 0;
        call_unref(call);
        return MA_NET_TIMER_STOP;
    }
    next = next_delay(call);
    call_unref(call);
    return next;
}

/* ==== state steps ============================================================================ */

static int connect_next(struct ma_http_call *call, struct ma_errmsg *em)
{
    struct ma_http_client *c = call->cl;
    struct hconn *hc;
    int fd;

    for (; call->addr_idx < call->addrs.n; call->addr_idx++) {
        fd = ma_net_plain_connect((struct sockaddr *)&call->addrs.sa[call->addr_idx],
                                  call->addrs.salen[call->addr_idx], em);
        if (fd < 0)
            continue;
        hc = ma_xcalloc(1, sizeof *hc);
        hc->cl = c;
        hc->fd = fd;
        hc->call = call;
        call->conn = hc;
        if (hc_watch(hc, MA_NET_WRITABLE) != MA_OK) {
            ma_errmsg_set(em, "connect to %s: too many open connections", c->tg.where);
            call->conn = NULL;
            hc_close(hc);
            return MA_ERR_LIMIT;
        }
        MA_LOGV(3, "%s: new connection to %s", call->what, c->tg.where);
        return MA_OK;
    }
    if (!c->tg.literal)
        ma_net_resolver_failed(c->resolver, c->tg.host);
    return MA_ERR_IO;
}

/* Connect to call->addrs (ports set here) in order. */
static int begin_connect(struct ma_http_call *call)
{
    struct ma_http_client *c = call->cl;
    struct ma_errmsg em;
    int rc;

    for (size_t i = 0; i < call->addrs.n; i++) {
        struct sockaddr_storage *ss = &call->addrs.sa[i];

        if (ss->ss_family == AF_INET)
            ((struct sockaddr_in *)ss)->sin_port = htons(c->tg.portnum);
        else
            ((struct sockaddr_in6 *)ss)->sin6_port = htons(c->tg.portnum);
    }
    call->addr_idx = 0;
    ma_errmsg_set(&em, "connect to %s: no address", c->tg.where);
    rc = connect_next(call, &em);
    if (rc != MA_OK)
        return ma_http_call_finish(call, rc, 0, "%s", em.msg);
    call->t_conn = ma_time_mono_ms();
    call->state = CS_CONNECTING;
    rearm(call);
    return STEP_WAIT;
}

/* A lookup started by step_begin ended. */
static void on_resolved(void *arg, int err, const struct ma_net_addrs *addrs, const char *msg)
{
    struct ma_http_call *call = arg;

    call->lookup = NULL;
    call->refs++;
    if (err != MA_OK) {
        ma_http_call_finish(call, err == MA_ERR_TIMEOUT ? MA_ERR_TIMEOUT : MA_ERR_IO, 0, "%s", msg);
    } else {
        call->addrs = *addrs;
        if (begin_connect(call) == STEP_AGAIN)
            while (step(call) == STEP_AGAIN)
                ;
    }
    call_unref(call);
}

static int step_begin(struct ma_http_call *call)
{
    struct ma_http_client *c = call->cl;
    struct ma_errmsg em;
    int rc;

    if (!call->fresh && (call->conn = pool_take(c)) != NULL) {
        call->conn->call = call;
        call->reused = 1;
        call->t_progress = ma_time_mono_ms();
        call->state = CS_SENDING;
        return STEP_AGAIN;
    }
    if (c->tg.literal) {
        call->addrs.n = 1;
        call->addrs.sa[0] = c->tg.addr;
        call->addrs.salen[0] = c->tg.addrlen;
        return begin_connect(call);
    }
    rc = ma_net_resolver_lookup(c->resolver, c->tg.host, &call->addrs, on_resolved, call,
                                &call->lookup, &em);
    if (rc == MA_ERR_PARTIAL) {
        call->state = CS_RESOLVING;
        rearm(call);
        return STEP_WAIT;
    }
    if (rc != MA_OK)
        return ma_http_call_finish(call, MA_ERR_IO, 0, "%s", em.msg);
    return begin_connect(call);
}

static int step_connect(struct ma_http_call *call)
{
    struct ma_http_client *c = call->cl;
    struct hconn *hc = call->conn;
    struct ma_errmsg em;
    int rc = ma_net_plain_connected(hc->fd, &em);

    if (rc == MA_ERR_PARTIAL)
        return STEP_WAIT;
    if (rc != MA_OK) {
        char why[MA_ERRMSG_SIZE];

        snprintf(why, sizeof why, "%s", em.msg);
        call->conn = NULL;
        hc_close(hc);
        call->addr_idx++;
        ma_errmsg_set(&em, "connect to %s: %s", c->tg.where, why);
        if (connect_next(call, &em) != MA_OK)
            return ma_http_call_finish(call, MA_ERR_IO, 0, "%s", em.msg);
        return STEP_WAIT;
    }
    if (c->tg.tls) {
        /* the transport closes fd if it fails, so stop watching it first */
        ma_net_loop_unwatch(c->loop, hc->fd);
        hc->t = ma_tls_client_connect(c->tlsc, hc->fd, &em);
        if (hc->t == NULL) {
            call->conn = NULL;
            free(hc);
            return ma_http_call_finish(call, MA_ERR_IO, 0, "TLS with %s: %s", c->tg.where, em.msg);
        }
    } else {
        hc->t = ma_net_plain_new(hc->fd);
    }
    call->t_progress = ma_time_mono_ms();
    call->state = CS_SENDING;
    return STEP_AGAIN;
}

/* see http/client_impl.h */
int ma_http_call_wait(struct ma_http_call *call, unsigned mask)
{
    if (hc_watch(call->conn, mask ? mask : MA_NET_READABLE) != MA_OK)
        return ma_http_call_finish(call, MA_ERR_LIMIT, 0, "%s: cannot watch the connection to %s",
                                   call->what, call->cl->tg.where);
    return STEP_WAIT;
}

static int step_send(struct ma_http_call *call)
{
    const struct ma_net_conn_class **t = call->conn->t;
    int rc;

    while (call->out_off < call->out.len) {
        rc = (*t)->write(t, call->out.p + call->out_off, call->out.len - call->out_off);
        if (rc == MA_ERR_PARTIAL)
            return ma_http_call_wait(call, (*t)->want(t));
        if (rc < 0)
            return ma_http_call_io_failed(call, rc, "send request to");
        call->out_off += (size_t)rc;
        call->t_progress = ma_time_mono_ms();
    }
    rc = (*t)->flush(t);
    if (rc == MA_ERR_PARTIAL)
        return ma_http_call_wait(call, (*t)->want(t));
    if (rc < 0)
        return ma_http_call_io_failed(call, rc, "send request to");
    call->t_progress = ma_time_mono_ms();
    call->state = CS_WAIT_HEAD;
    rearm(call);
    return STEP_AGAIN;
}

/* Run the call's state machine as far as it goes without waiting. */
static int step(struct ma_http_call *call)
{
    switch (call->state) {
    case CS_QUEUED:
        return step_begin(call);
    case CS_RESOLVING:
        return STEP_WAIT; /* on_resolved moves on */
    case CS_CONNECTING:
        return step_connect(call);
    case CS_SENDING:
        return step_send(call);
    case CS_WAIT_HEAD:
    case CS_BODY:
        return ma_http_call_read(call);
    case CS_DONE:
        break;
    }
    return STEP_DONE;
}

static void on_conn_event(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct hconn *hc = arg;
    struct ma_http_call *call = hc->call;

    (void)loop;
    (void)fd;
    (void)events;
    if (call == NULL) {
        /* idle: a well-behaved server only sends here to close (FIN, TLS close_notify) */
        pool_unlink(hc->cl, hc);
        hc_close(hc);
        return;
    }
    call->refs++;
    while (step(call) == STEP_AGAIN)
        ;
    call_unref(call);
}

/* ==== public API ============================================================================= */

/* see http/client.h */
struct ma_http_client *ma_http_client_new(struct ma_net_loop *loop,
                                          const struct ma_http_client_config *cfg,
                                          struct ma_errmsg *em)
{
    struct ma_http_client *c = ma_xcalloc(1, sizeof *c);
    struct ma_tls_anchors *ta = NULL;

    c->loop = loop;
    if (cfg->url == NULL || ma_http_target_parse(&c->tg, cfg->url, em) != MA_OK)
        goto fail;
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : MA_HTTP_CLIENT_CONNECT_TIMEOUT_DEFAULT_MS;
    c->idle_timeout_ms =
        cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : MA_HTTP_CLIENT_IDLE_TIMEOUT_DEFAULT_MS;
    c->max_response = cfg->max_response_bytes > 0 ? cfg->max_response_bytes : MA_HTTP_MAX_RESPONSE;
    c->max_idle = cfg->max_idle_conns != 0 ? cfg->max_idle_conns : MA_HTTP_CLIENT_MAX_IDLE_DEFAULT;
    if (c->tg.tls) {
        if (cfg->ca_pem != NULL && cfg->ca_pem_len > 0) {
            if ((ta = ma_tls_anchors_new_pem(cfg->ca_pem, cfg->ca_pem_len, em)) == NULL)
                goto fail;
        } else if (!cfg->insecure_skip_verify) {
            ma_errmsg_set(em, "%s: https needs a CA bundle (or insecure-skip-tls-verify)",
                          c->tg.where);
            goto fail;
        }
        c->tlsc = ma_tls_client_new(ta, cfg->server_name ? cfg->server_name : c->tg.host,
                                    cfg->insecure_skip_verify);
        ma_tls_anchors_free(ta);
        if ((cfg->cert_pem != NULL || cfg->key_pem != NULL) &&
            ma_http_client_set_client_cert(c, cfg->cert_pem, cfg->cert_pem_len, cfg->key_pem,
                                           cfg->key_pem_len, em) != MA_OK)
            goto fail;
    }
    if (!c->tg.literal) {
        c->resolver = cfg->resolver ? cfg->resolver : ma_net_resolver_of_loop(loop, em);
        if (c->resolver == NULL)
            goto fail;
    }
    return c;
fail:
    ma_http_client_free(c);
    return NULL;
}

/* see http/client.h */
int ma_http_client_set_client_cert(struct ma_http_client *c, const void *cert_pem, size_t cert_len,
                                   const void *key_pem, size_t key_len, struct ma_errmsg *em)
{
    struct ma_tls_keypair *kp;
    int rc;

    if (c->tlsc == NULL) {
        ma_errmsg_set(em, "%s: client certificates need https", c->tg.where);
        return MA_ERR_SYNTAX;
    }
    if (cert_pem == NULL || key_pem == NULL) {
        ma_errmsg_set(em, "client certificate and key must be given together");
        return MA_ERR_SYNTAX;
    }
    kp = ma_xcalloc(1, sizeof *kp);
    rc = ma_tls_keypair_load_pem_mem(kp, cert_pem, cert_len, key_pem, key_len, em);
    if (rc != MA_OK) {
        free(kp);
        return MA_ERR_SYNTAX;
    }
    ma_tls_client_set_keypair(c->tlsc, kp);
    return MA_OK;
}

/* see http/client.h */
void ma_http_client_free(struct ma_http_client *c)
{
    if (c == NULL)
        return;
    while (c->calls != NULL)
        ma_http_call_cancel(c->calls);
    while (c->idle != NULL) {
        struct hconn *hc = c->idle;

        pool_unlink(c, hc);
        hc_close(hc);
    }
    ma_net_loop_del_timer(c->loop, c->idle_timer);
    ma_tls_client_free(c->tlsc);
    free(c);
}

/* see http/client.h */
struct ma_http_call *ma_http_client_start(struct ma_http_client *c,
                                          const struct ma_http_call_params *p)
{
    struct ma_http_call *call = ma_xcalloc(1, sizeof *call);

    call->cl = c;
    call->p = *p;
    call->p.method = call->p.path = call->p.headers = call->p.content_type = NULL;
    call->p.body = NULL;
    call->state = CS_QUEUED;
    call->t_start = ma_time_mono_ms();
    ma_buf_init_heap(&call->body, c->max_response);
    ma_buf_init_heap(&call->out, (size_t)-1); /* bounded by what the caller passes */
    call->start_err = ma_http_target_write_request(&c->tg, p, &call->out, &call->start_em);
    if (call->start_err == MA_OK) {
        /* "GET /prefix/path?query" for messages: the request line up to " HTTP/1.1" */
        const char *cr = memchr(call->out.p, '\r', call->out.len);
        size_t n = (size_t)(cr - call->out.p) - (sizeof " HTTP/1.1" - 1);

        if (n >= sizeof call->what)
            n = sizeof call->what - 1;
        memcpy(call->what, call->out.p, n);
        call->idempotent = strcmp(p->method, "GET") == 0 || strcmp(p->method, "HEAD") == 0;
        call->is_head = strcmp(p->method, "HEAD") == 0;
    } else {
        snprintf(call->what, sizeof call->what, "request");
    }
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    call->timer = ma_net_loop_add_timer(c->loop, 0, on_call_timer, call);
    return call;
}

/* see http/client.h */
void ma_http_call_cancel(struct ma_http_call *call)
{
    if (call == NULL || call->state == CS_DONE)
        return;
    detach(call, 0);
    if (call->refs == 0)
        call_free(call);
}

/* see http/client.h */
struct ma_str ma_http_call_header(const struct ma_http_call *call, const char *name)
{
    size_t i;

    if (call->head_used == 0)
        return ma_str_make("", 0);
    for (i = 0; i < call->resp.num_headers; i++)
        if (ma_str_eq_nocase(call->resp.headers[i].name, name))
            return call->resp.headers[i].value;
    return ma_str_make("", 0);
}
