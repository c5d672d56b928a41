#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/conn.h"
#include "net/loop.h"
#include "tls/server.h"

/* Connection states, named for what they wait for (style.md section 6). */
enum hc_state {
    HC_WAIT_HEAD, /* reading a request head (or idle between requests) */
    HC_HANDLING,  /* the handler owns the exchange; it answers now or later */
    HC_SENDING    /* writing the response */
};

struct ma_http_conn {
    struct ma_http_server *srv;
    const struct ma_net_conn_class **t;
    int fd;
    enum hc_state state;
    struct ma_buf in;        /* received bytes: current head, then pipelined requests */
    size_t req_len;          /* bytes of `in` used by the current request (head + body) */
    struct ma_buf head_out;  /* response status line and headers */
    size_t head_off, body_off;
    struct ma_buf body;
    struct ma_arena arena;
    struct ma_http_exchange *ex; /* allocated when a request arrives, released when idle */
    char remote[64];
    int status;
    int close_after;
    int in_dispatch;         /* inside run(): a synchronous respond must not re-enter */
    int queued;              /* on the server's ready list */
    unsigned watched;
    int64_t deadline;        /* monotonic ms; 0 = none */
    int64_t last_active;     /* when the last response finished */
    int released;            /* idle buffers given back */
    struct ma_http_conn *prev, *next, *ready_next;
};

struct ma_http_server {
    struct ma_net_loop *loop;
    struct ma_http_server_config cfg;
    struct ma_tls_server *tls;
    int listen_fd;
    int max_conns;
    size_t nconns;
    int shutting_down;
    uint64_t sweep_timer;
    struct ma_http_conn *conns;  /* doubly linked list of every open connection */
    struct ma_http_conn *ready;  /* async responses to start in the before-sleep hook */
    time_t date_sec;
    char date[40];
};

/* The sweep resolution of every connection deadline; timeouts are seconds long, so 250 ms of
 * slack is invisible while costing one list walk per quarter second. */
#define SWEEP_MS 250
/* A connection idle this long between requests gives its buffers back (release_idle). */
#define IDLE_RELEASE_MS 1000

static void run(struct ma_http_conn *c);

/* see http/server.h */
const char *ma_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    }
    return "Unknown";
}

/* ---- connection lifetime ----------------------------------------------------------------- */

static void conn_free(struct ma_http_conn *c)
{
    struct ma_http_server *s = c->srv;
    struct ma_http_conn **pp;

    if (c->state == HC_HANDLING && c->ex->on_abort != NULL)
        c->ex->on_abort(c->ex);
    if (c->queued)
        for (pp = &s->ready; *pp != NULL; pp = &(*pp)->ready_next)
            if (*pp == c) {
                *pp = c->ready_next;
                break;
            }
    ma_net_loop_unwatch(s->loop, c->fd);
    c->t[0]->close(c->t);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    ma_buf_free(&c->in);
    ma_buf_free(&c->head_out);
    ma_buf_free(&c->body);
    ma_arena_free(&c->arena);
    free(c->ex);
    free(c);
}

static void on_conn_event(struct ma_net_loop *loop, int fd, unsigned events, void *arg);

static void watch_for(struct ma_http_conn *c, unsigned events)
{
    if (c->watched == events)
        return;
    c->watched = events;
    ma_net_loop_watch(c->srv->loop, c->fd, events, on_conn_event, c);
}

static void on_conn_event(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct ma_http_conn *c = arg;

    (void)loop;
    (void)fd;
    if (c->state == HC_HANDLING) {
        /* the only event possible here is an error or hangup: the peer left mid-request */
        if (events) {
            MA_LOGV(2, "%s went away while its request was being handled", c->remote);
            conn_free(c);
        }
        return;
    }
    run(c);
}

/* ---- responses ----------------------------------------------------------------------------- */

static const char *http_date(struct ma_http_server *s)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now != s->date_sec) {
        s->date_sec = now;
        gmtime_r(&now, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return s->date;
}

/* The connection's exchange (request head slices, header array: 3 KB), made when a request
 * arrives so that idle connections do not carry one. */
static struct ma_http_exchange *exchange(struct ma_http_conn *c)
{
    if (c->ex == NULL) {
        c->ex = ma_xcalloc(1, sizeof *c->ex);
        memcpy(c->ex->remote, c->remote, sizeof c->ex->remote);
    }
    return c->ex;
}

static void build_head(struct ma_http_conn *c, int status, const char *ctype, const char *extra)
{
    struct ma_buf *h = &c->head_out;

    ma_buf_reset(h);
    ma_buf_appendf(h, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, ma_http_reason(status),
                   http_date(c->srv));
    if (ctype != NULL)
        ma_buf_appendf(h, "Content-Type: %s\r\n", ctype);
    ma_buf_appends(h, "Content-Length: ");
    ma_buf_append_i64(h, (long long)c->body.len);
    ma_buf_appends(h, "\r\n");
    if (extra != NULL)
        ma_buf_appends(h, extra);
    if (c->close_after)
        ma_buf_appends(h, "Connection: close\r\n");
    else if (c->ex->req.minor_version == 0)
        ma_buf_appends(h, "Connection: keep-alive\r\n");
    ma_buf_appends(h, "\r\n");
}

static void start_sending(struct ma_http_conn *c, int status, const char *ctype, const char *extra)
{
    c->status = status;
    if (c->srv->shutting_down)
        c->close_after = 1;
    build_head(c, status, ctype, extra);
    c->head_off = c->body_off = 0;
    c->state = HC_SENDING;
    c->deadline = ma_time_mono_ms() + c->srv->cfg.idle_timeout_ms;
}

/* Run c from the before-sleep hook of the next loop turn. */
static void queue_ready(struct ma_http_conn *c)
{
    struct ma_http_server *s = c->srv;

    if (c->queued)
        return;
    c->queued = 1;
    c->ready_next = s->ready;
    s->ready = c;
}

/* see http/server.h */
void ma_http_respond(struct ma_http_exchange *ex, int status, const char *content_type,
                     const char *extra_headers)
{
    struct ma_http_conn *c = ex->_conn;

    if (c->body.err) {
        MA_LOG_E("response to %s for %.*s exceeds %d bytes; answering 500", ex->remote,
                 (int)ex->req.path.len, ex->req.path.p, MA_HTTP_MAX_RESPONSE);
        ma_buf_reset(&c->body);
        ma_buf_appends(&c->body, "response too large\n");
        status = 500;
        content_type = "text/plain; charset=utf-8";
        extra_headers = NULL;
    }
    ex->on_abort = NULL;
    start_sending(c, status, content_type, extra_headers);
    /* called from a timer or backend callback: send from the before-sleep hook, so the caller
     * never sees the connection freed under it */
    if (!c->in_dispatch)
        queue_ready(c);
}

/* A response the server itself makes for a protocol error; the connection closes after it. */
static void respond_error(struct ma_http_conn *c, int status, const char *why)
{
    struct ma_http_exchange *ex = exchange(c);
    char esc[200];

    MA_LOG_W("closing %s: %d %s: %s", c->remote, status, ma_http_reason(status),
             ma_log_escape(why, strlen(why), esc, sizeof esc));
    c->close_after = 1;
    ma_buf_reset(&c->body);
    ma_buf_appendf(&c->body, "%d %s: %s\n", status, ma_http_reason(status), why);
    ex->head_only = 0;
    ex->req.method = ma_str_make("-", 1);
    ex->req.path = ma_str_make("-", 1);
    ex->_start_us = ma_time_mono_us();
    start_sending(c, status, "text/plain; charset=utf-8", NULL);
}

/* ---- the state machine ------------------------------------------------------------------- */

static void dispatch(struct ma_http_conn *c)
{
    struct ma_http_exchange *ex = c->ex;
    struct ma_http_server *s = c->srv;

    ex->arena = &c->arena;
    ex->body = &c->body;
    ex->head_only = ma_str_eq(ex->req.method, "HEAD");
    ex->peer = c->t[0]->peer(c->t);
    ex->user = NULL;
    ex->on_abort = NULL;
    ex->handler_data = NULL;
    ex->_conn = c;
    ex->_start_us = ma_time_mono_us();
    c->close_after = !ex->req.keep_alive || s->shutting_down;
    c->state = HC_HANDLING;
    c->deadline = 0;
    watch_for(c, 0); /* errors and hangups are still reported */
    c->in_dispatch = 1;
    s->cfg.handler(s->cfg.handler_ctx, ex);
    c->in_dispatch = 0;
}

/* Try to take one request out of c->in. 1: dispatched or error response started; 0: need
 * more bytes. */
static int take_request(struct ma_http_conn *c)
{
    struct ma_http_req *req;
    int r;

    if (c->in.len == 0)
        return 0;
    req = &exchange(c)->req;
    r = ma_http_parse_request(c->in.p, c->in.len, &c->srv->cfg.limits, req);
    if (r == MA_ERR_PARTIAL)
        return 0;
    if (r < 0) {
        respond_error(c, req->status ? req->status : 400,
                      r == MA_ERR_LIMIT ? (req->status == 414 ? "request line too long"
                                                              : "request head too large")
                                        : "malformed request");
        return 1;
    }
    c->req_len = (size_t)r;
    if (req->content_length > 0) {
        /* GET and HEAD carry no body in practice; read and discard a small one to keep the
         * framing, refuse a large one */
        if (req->content_length > MA_HTTP_MAX_DISCARD_BODY) {
            respond_error(c, 413, "request body too large");
            return 1;
        }
        if (c->in.len - c->req_len < (size_t)req->content_length)
            return 0;
        c->req_len += (size_t)req->content_length;
    }
    dispatch(c);
    return 1;
}

/* Read what the transport has. 1: got bytes; 0: must wait (watch set); -1: connection freed. */
static int fill(struct ma_http_conn *c)
{
    int n;

    if (ma_buf_reserve(&c->in, 4096) != MA_OK && c->in.cap == c->in.len) {
        respond_error(c, 431, "request head too large");
        return 1;
    }
    n = c->t[0]->read(c->t, c->in.p + c->in.len, c->in.cap - c->in.len);
    if (n > 0) {
        c->released = 0;
        if (c->in.len == 0)
            c->deadline = ma_time_mono_ms() + c->srv->cfg.header_timeout_ms;
        c->in.len += (size_t)n;
        return 1;
    }
    if (n == MA_ERR_PARTIAL) {
        watch_for(c, c->t[0]->want(c->t));
        return 0;
    }
    if (n < 0 && c->in.len > 0)
        MA_LOGV(2, "%s: connection failed mid-request: %s", c->remote,
                c->t[0]->last_error(c->t));
    else if (n < 0 && !c->t[0]->established(c->t))
        MA_LOGV(1, "%s: TLS handshake failed: %s", c->remote, c->t[0]->last_error(c->t));
    conn_free(c);
    return -1;
}

static void log_request(struct ma_http_conn *c)
{
    struct ma_http_exchange *ex = c->ex;
    int64_t us = ma_time_mono_us() - ex->_start_us;

    MA_LOGV(4, "%.*s %.*s %d %lld.%03lldms user=%s remote=%s", (int)ex->req.method.len,
            ex->req.method.p, (int)ex->req.target.len, ex->req.target.p, c->status,
            (long long)(us / 1000), (long long)(us % 1000), ex->user ? ex->user : "-", ex->remote);
}

/* The response is out: recycle per-request memory (keeping it allocated: a busy connection
 * needs no malloc per request; the sweep releases it once the connection is idle) and go back to
 * reading. 0: continue, -1: connection freed. */
static int finish_response(struct ma_http_conn *c)
{
    log_request(c);
    if (c->close_after) {
        conn_free(c);
        return -1;
    }
    ma_buf_consume(&c->in, c->req_len);
    c->req_len = 0;
    ma_arena_reset(&c->arena);
    ma_buf_reset(&c->body);
    c->state = HC_WAIT_HEAD;
    c->last_active = ma_time_mono_ms();
    c->deadline = c->last_active +
                  (c->in.len ? c->srv->cfg.header_timeout_ms : c->srv->cfg.idle_timeout_ms);
    return 0;
}

/* Give back the memory of a connection idle between requests: 1,000 idle keep-alive
 * connections then hold only their TLS state. */
static void release_idle(struct ma_http_conn *c)
{
    ma_buf_free(&c->in);
    ma_buf_free(&c->head_out);
    ma_buf_free(&c->body);
    ma_arena_free(&c->arena);
    free(c->ex);
    c->ex = NULL;
    c->released = 1;
}

/* Write head then body. 1: all written and flushed; 0: must wait; -1: connection freed. */
static int send_some(struct ma_http_conn *c)
{
    const struct ma_net_conn_class **t = c->t;
    size_t body_len = c->ex->head_only ? 0 : c->body.len;
    int n;

    while (c->head_off < c->head_out.len || c->body_off < body_len) {
        if (c->head_off < c->head_out.len)
            n = t[0]->write(t, c->head_out.p + c->head_off, c->head_out.len - c->head_off);
        else
            n = t[0]->write(t, c->body.p + c->body_off, body_len - c->body_off);
        if (n == MA_ERR_PARTIAL) {
            watch_for(c, t[0]->want(t));
            return 0;
        }
        if (n < 0) {
            MA_LOGV(2, "%s: write failed, closing", c->remote);
            conn_free(c);
            return -1;
        }
        if (c->head_off < c->head_out.len)
            c->head_off += (size_t)n;
        else
            c->body_off += (size_t)n;
        c->deadline = ma_time_mono_ms() + c->srv->cfg.idle_timeout_ms;
    }
    n = t[0]->flush(t);
    if (n == MA_ERR_PARTIAL) {
        watch_for(c, t[0]->want(t));
        return 0;
    }
    if (n < 0) {
        conn_free(c);
        return -1;
    }
    return 1;
}

static void run(struct ma_http_conn *c)
{
    int r;

    for (;;) {
        switch (c->state) {
        case HC_WAIT_HEAD:
            if (c->srv->shutting_down && c->in.len == 0) {
                conn_free(c);
                return;
            }
            if (take_request(c))
                break;
            r = fill(c);
            if (r <= 0)
                return;
            break;
        case HC_HANDLING:
            return; /* the handler will call ma_http_respond */
        case HC_SENDING:
            r = send_some(c);
            if (r <= 0)
                return;
            if (finish_response(c) < 0)
                return;
            /* one request per connection per loop turn: a client that always has its next
             * request ready must not starve the others */
            queue_ready(c);
            return;
        }
    }
}

/* ---- accept, sweep, ready list ----------------------------------------------------------- */

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
    } else {
        snprintf(out, cap, "?");
    }
}

/* see http/server.h */
void ma_http_server_adopt(struct ma_http_server *s, const struct ma_net_conn_class **t, int fd,
                          const char *remote)
{
    struct ma_http_conn *c = ma_xcalloc(1, sizeof *c);

    c->srv = s;
    c->t = t;
    c->fd = fd;
    c->state = HC_WAIT_HEAD;
    ma_buf_init_heap(&c->in, s->cfg.limits.max_head + MA_HTTP_MAX_DISCARD_BODY + 17 * 1024);
    ma_buf_init_heap(&c->head_out, 64 * 1024);
    ma_buf_init_heap(&c->body, MA_HTTP_MAX_RESPONSE);
    ma_arena_init(&c->arena, MA_REQ_ARENA_MAX);
    snprintf(c->remote, sizeof c->remote, "%s", remote);
    c->last_active = ma_time_mono_ms();
    c->deadline = c->last_active + s->cfg.handshake_timeout_ms;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->watched = MA_NET_READABLE;
    if (ma_net_loop_watch(s->loop, fd, MA_NET_READABLE, on_conn_event, c) != MA_OK) {
        /* fd beyond the loop's table: our other sockets used up the --max-connections margin */
        MA_LOG_E("cannot watch connection %s (fd %d): closing it", c->remote, fd);
        c->watched = 0;
        conn_free(c);
    }
}

static void new_conn(struct ma_http_server *s, int fd, const struct sockaddr_storage *ss)
{
    struct ma_errmsg em;
    const struct ma_net_conn_class **t;
    char who[64];
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    t = ma_tls_server_accept(s->tls, fd, &em);
    if (t == NULL) {
        MA_LOG_E("cannot start TLS: %s", em.msg);
        return;
    }
    peer_name(ss, who, sizeof who);
    ma_http_server_adopt(s, t, fd, who);
}

static void on_accept(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct ma_http_server *s = arg;

    (void)loop;
    (void)events;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                MA_LOG_E("accept: %s", strerror(errno));
            return;
        }
        if (s->nconns >= (size_t)s->max_conns) {
            char who[64];

            peer_name(&ss, who, sizeof who);
            MA_LOG_W("refusing %s: %zu connections open (--max-connections)", who, s->nconns);
            close(cfd);
            continue;
        }
        new_conn(s, cfd, &ss);
    }
}

static int64_t sweep(struct ma_net_loop *loop, void *arg)
{
    struct ma_http_server *s = arg;
    struct ma_http_conn *c, *next;
    int64_t now = ma_time_mono_ms();

    (void)loop;
    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        if (c->state == HC_WAIT_HEAD && c->in.len == 0 && !c->released &&
            now - c->last_active >= IDLE_RELEASE_MS)
            release_idle(c);
        if (c->deadline == 0 || c->deadline > now)
            continue;
        if (c->state == HC_WAIT_HEAD && c->in.len > 0) {
            /* part of a head arrived: say why before closing (Go's server just closes) */
            respond_error(c, 408, "request head not received in time");
            c->deadline = now + SWEEP_MS * 4; /* a peer that does not read this is dropped */
            run(c);
            continue;
        }
        if (!c->t[0]->established(c->t))
            MA_LOGV(1, "%s: TLS handshake timed out", c->remote);
        else if (c->state == HC_SENDING)
            MA_LOG_W("closing %s: peer stopped reading the response", c->remote);
        else
            MA_LOGV(3, "closing idle connection %s", c->remote);
        conn_free(c);
    }
    return SWEEP_MS;
}

static int before_sleep(struct ma_net_loop *loop, void *arg)
{
    struct ma_http_server *s = arg;
    struct ma_http_conn *list = s->ready;

    (void)loop;
    /* take the list: connections re-queued while it runs wait for the next turn, after the
     * loop has polled every socket once (round-robin fairness) */
    s->ready = NULL;
    while (list != NULL) {
        struct ma_http_conn *c = list;

        list = c->ready_next;
        c->queued = 0;
        run(c);
    }
    return s->ready != NULL;
}

/* see http/server.h */
struct ma_http_server *ma_http_server_new(struct ma_net_loop *loop,
                                          const struct ma_http_server_config *cfg,
                                          struct ma_tls_server *tls)
{
    struct ma_http_server *s = ma_xcalloc(1, sizeof *s);

    s->loop = loop;
    s->cfg = *cfg;
    s->tls = tls;
    s->listen_fd = -1;
    s->sweep_timer = ma_net_loop_add_timer(loop, SWEEP_MS, sweep, s);
    ma_net_loop_set_before_sleep(loop, before_sleep, s);
    return s;
}

/* see http/server.h */
int ma_http_server_listen(struct ma_http_server *s, const char *addr, int port, int max_conns,
                          struct ma_errmsg *em)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1;

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
    } else {
        ma_errmsg_set(em, "invalid bind address %s", addr);
        return MA_ERR_SYNTAX;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ma_errmsg_set(em, "socket: %s", strerror(errno));
        return MA_ERR_IO;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0) {
        ma_errmsg_set(em, "cannot listen on %s port %d: %s", addr, port, strerror(errno));
        close(fd);
        return MA_ERR_IO;
    }
    if (ma_net_loop_watch(s->loop, fd, MA_NET_READABLE, on_accept, s) != MA_OK) {
        ma_errmsg_set(em, "cannot watch the listening socket");
        close(fd);
        return MA_ERR_IO;
    }
    s->listen_fd = fd;
    s->max_conns = max_conns;
    return MA_OK;
}

/* see http/server.h */
void ma_http_server_shutdown(struct ma_http_server *s)
{
    struct ma_http_conn *c, *next;

    s->shutting_down = 1;
    if (s->listen_fd >= 0) {
        ma_net_loop_unwatch(s->loop, s->listen_fd);
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        if (c->state == HC_WAIT_HEAD && c->in.len == 0)
            conn_free(c);
        else
            c->close_after = 1;
    }
}

/* see http/server.h */
size_t ma_http_server_conns(const struct ma_http_server *s)
{
    return s->nconns;
}

/* see http/server.h */
void ma_http_server_free(struct ma_http_server *s)
{
    if (s == NULL)
        return;
    while (s->conns != NULL)
        conn_free(s->conns);
    if (s->listen_fd >= 0) {
        ma_net_loop_unwatch(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    ma_net_loop_del_timer(s->loop, s->sweep_timer);
    ma_net_loop_set_before_sleep(s->loop, NULL, NULL);
    free(s);
}
