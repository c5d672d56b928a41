/* tests src/http/client.c (with net/plain.c and tls/client.c) on the real loop:
 * (a) against a small scripted HTTP/1.1 server running on the same loop (127.0.0.1);
 * (b) over TLS against Python ssl servers using certificates made by openssl at test time.
 * Part (b) is skipped, loudly, when python3 or openssl is missing. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/time.h"
#include "http/client.h"
#include "net/loop.h"
#include "t.h"

static struct ma_net_loop *loop;

/* ==== results ================================================================================ */

struct result {
    int done, err, status, heads, datas;
    char msg[MA_ERRMSG_SIZE];
    char body[256 * 1024];
    size_t body_len;
    char hdr[64];
    int stop; /* stop the loop in on_done */
};

static void on_done(struct ma_http_call *call, const struct ma_http_result *res, void *arg)
{
    struct result *r = arg;
    struct ma_str h = ma_http_call_header(call, "X-Test");

    r->done++;
    r->err = res->err;
    r->status = res->status;
    snprintf(r->msg, sizeof r->msg, "%s", res->em.msg);
    if (res->body->len > 0 && res->body->len <= sizeof r->body) {
        memcpy(r->body, res->body->p, res->body->len);
        r->body_len = res->body->len;
    }
    snprintf(r->hdr, sizeof r->hdr, "%.*s", (int)h.len, h.p);
    if (r->stop)
        ma_net_loop_stop(loop);
}

static void on_head(struct ma_http_call *call, int status, void *arg)
{
    struct result *r = arg;

    (void)call;
    r->heads++;
    r->status = status;
}

static int on_data(struct ma_http_call *call, const char *p, size_t n, void *arg)
{
    struct result *r = arg;

    (void)call;
    r->datas++;
    if (n <= sizeof r->body - r->body_len) {
        memcpy(r->body + r->body_len, p, n);
        r->body_len += n;
    }
    return MA_OK;
}

static int64_t guard_fired(struct ma_net_loop *l, void *arg)
{
    *(int *)arg = 1;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

/* Run the loop until something stops it; fail if that takes more than 5 s. */
static void run_loop(void)
{
    int fired = 0;
    uint64_t g = ma_net_loop_add_timer(loop, 5000, guard_fired, &fired);

    ma_net_loop_run(loop);
    ma_net_loop_del_timer(loop, g);
    CHECK(!fired);
}

/* One call, run to completion. */
static void do_call(struct ma_http_client *c, struct ma_http_call_params *p, struct result *r)
{
    memset(r, 0, sizeof *r);
    r->stop = 1;
    p->on_done = on_done;
    p->arg = r;
    ma_http_client_start(c, p);
    run_loop();
    CHECK_EQ(r->done, 1);
}

static void get(struct ma_http_client *c, const char *path, struct result *r)
{
    struct ma_http_call_params p = {0};

    p.method = "GET";
    p.path = path;
    p.timeout_ms = 3000;
    do_call(c, &p, r);
}

/* ==== scripted plain HTTP server ============================================================= */

enum srv_mode {
    M_CL,           /* 200, Content-Length, keep-alive */
    M_CHUNKED,      /* chunked body written in pieces 5 ms apart, split inside the framing */
    M_CLOSE_MID,    /* promises 100 bytes, sends 10, closes */
    M_SILENT,       /* reads the request, never answers */
    M_BIG,          /* Content-Length: 100000 */
    M_BIG_CHUNKED,  /* 100000 bytes in chunks */
    M_CLOSE_2ND,    /* answers the first request of a connection, closes on the second */
    M_CLOSE_AFTER,  /* answers, then closes the connection */
    M_HTTP10_CLOSE, /* HTTP/1.0 body delimited by close */
    M_INTERIM,      /* 100 Continue, then 200 */
    M_HUGE_HEAD,    /* a head over the client's limit */
    M_HEAD_REQ,     /* answers HEAD with a Content-Length and no body */
};

struct tconn {
    struct tsrv *s;
    struct tconn *next;
    int fd, nreq, close_after;
    char in[16384];
    size_t inlen;
    struct ma_buf out;
};

struct tsrv {
    int lfd, port, accepted, requests;
    enum srv_mode mode;
    struct tconn *conns;
    char last_req[4096];
};

static struct tsrv srv;

static void tc_close(struct tconn *tc)
{
    if (tc->fd >= 0) {
        ma_net_loop_unwatch(loop, tc->fd);
        close(tc->fd);
        tc->fd = -1;
    }
}

static void tc_event(struct ma_net_loop *l, int fd, unsigned ev, void *arg);

static void tc_flush(struct tconn *tc)
{
    while (tc->fd >= 0 && tc->out.len > 0) {
        ssize_t n = send(tc->fd, tc->out.p, tc->out.len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN) {
                ma_net_loop_watch(loop, tc->fd, MA_NET_READABLE | MA_NET_WRITABLE, tc_event, tc);
                return;
            }
            tc_close(tc);
            return;
        }
        ma_buf_consume(&tc->out, (size_t)n);
    }
    if (tc->fd >= 0) {
        if (tc->close_after)
            tc_close(tc);
        else
            ma_net_loop_watch(loop, tc->fd, MA_NET_READABLE, tc_event, tc);
    }
}

static void tc_send(struct tconn *tc, const char *p, size_t n)
{
    ma_buf_append(&tc->out, p, n);
    tc_flush(tc);
}

static void tc_sends(struct tconn *tc, const char *s)
{
    tc_send(tc, s, strlen(s));
}

/* Pieces of a chunked response, sent 5 ms apart: cuts fall inside the head, a size line, chunk
 * data, the CRLF after data, and the last chunk. */
static const char *const chunk_pieces[] = {
    "HTTP/1.1 200 OK\r\nX-Test: chunk",
    "ed\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    "lo\r\n",
    "6\r",
    "\n worl",
    "d\r",
    "\n0\r\n",
    "\r\n",
    NULL,
};

struct piece {
    struct tconn *tc;
    int i;
};

static int64_t send_piece(struct ma_net_loop *l, void *arg)
{
    struct piece *pc = arg;

    (void)l;
    tc_sends(pc->tc, chunk_pieces[pc->i]);
    if (chunk_pieces[++pc->i] == NULL) {
        free(pc);
        return MA_NET_TIMER_STOP;
    }
    return 5;
}

static void respond(struct tconn *tc)
{
    static char big[100000];
    char head[256];
    int n;
    struct piece *pc;

    switch (srv.mode) {
    case M_CL:
    case M_CLOSE_2ND:
    case M_CLOSE_AFTER:
        if (srv.mode == M_CLOSE_2ND && tc->nreq >= 2) {
            tc_close(tc);
            return;
        }
        tc->close_after = srv.mode == M_CLOSE_AFTER;
        n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nX-Test: yes\r\nContent-Length: %d\r\n\r\nhello %d",
                     (int)strlen("hello ") + (srv.requests > 9 ? 2 : 1), srv.requests);
        tc_send(tc, head, (size_t)n);
        break;
    case M_CHUNKED:
        pc = ma_xmalloc(sizeof *pc);
        pc->tc = tc;
        pc->i = 0;
        ma_net_loop_add_timer(loop, 0, send_piece, pc);
        break;
    case M_CLOSE_MID:
        tc->close_after = 1;
        tc_sends(tc, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        break;
    case M_SILENT:
        break;
    case M_BIG:
        memset(big, 'x', sizeof big);
        tc_sends(tc, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        tc_send(tc, big, sizeof big);
        break;
    case M_BIG_CHUNKED:
        memset(big, 'y', sizeof big);
        tc_sends(tc, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (n = 0; n < 10; n++) {
            tc_sends(tc, "2710\r\n"); /* 10000 */
            tc_send(tc, big, 10000);
            tc_sends(tc, "\r\n");
        }
        tc_sends(tc, "0\r\n\r\n");
        break;
    case M_HTTP10_CLOSE:
        tc->close_after = 1;
        tc_sends(tc, "HTTP/1.0 200 OK\r\nX-Test: ten\r\n\r\nuntil close");
        break;
    case M_INTERIM:
        tc_sends(tc, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Test: final\r\n"
                     "Content-Length: 2\r\n\r\nok");
        break;
    case M_HUGE_HEAD:
        memset(big, 'h', sizeof big);
        tc_sends(tc, "HTTP/1.1 200 OK\r\nX-Big: ");
        tc_send(tc, big, 70000);
        tc_sends(tc, "\r\n\r\n");
        break;
    case M_HEAD_REQ:
        tc_sends(tc, "HTTP/1.1 200 OK\r\nX-Test: head\r\nContent-Length: 12345\r\n\r\n");
        break;
    }
}

/* Serve every complete request in tc->in (heads plus Content-Length bodies). */
static void serve(struct tconn *tc)
{
    for (;;) {
        char *end = memmem(tc->in, tc->inlen, "\r\n\r\n", 4);
        const char *cl;
        size_t hlen, blen = 0;

        if (end == NULL)
            return;
        hlen = (size_t)(end - tc->in) + 4;
        end[2] = '\0';
        if ((cl = strcasestr(tc->in, "\r\nContent-Length: ")) != NULL)
            blen = strtoul(cl + 18, NULL, 10);
        end[2] = '\r';
        if (tc->inlen < hlen + blen)
            return;
        snprintf(srv.last_req, sizeof srv.last_req, "%.*s", (int)(hlen + blen), tc->in);
        memmove(tc->in, tc->in + hlen + blen, tc->inlen - hlen - blen);
        tc->inlen -= hlen + blen;
        srv.requests++;
        tc->nreq++;
        respond(tc);
        if (tc->fd < 0)
            return;
    }
}

static void tc_event(struct ma_net_loop *l, int fd, unsigned ev, void *arg)
{
    struct tconn *tc = arg;
    ssize_t n;

    (void)l;
    (void)fd;
    if (ev & MA_NET_WRITABLE)
        tc_flush(tc);
    if (!(ev & MA_NET_READABLE) || tc->fd < 0)
        return;
    n = read(tc->fd, tc->in + tc->inlen, sizeof tc->in - tc->inlen);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            tc_close(tc);
        return;
    }
    tc->inlen += (size_t)n;
    serve(tc);
}

static void srv_accept(struct ma_net_loop *l, int fd, unsigned ev, void *arg)
{
    int cfd;

    (void)l;
    (void)ev;
    (void)arg;
    while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct tconn *tc = ma_xcalloc(1, sizeof *tc);
        int one = 1;

        /* each piece must leave at once: Nagle would merge them while ACKs are delayed */
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        tc->s = &srv;
        tc->fd = cfd;
        ma_buf_init_heap(&tc->out, 1 << 24);
        tc->next = srv.conns;
        srv.conns = tc;
        srv.accepted++;
        ma_net_loop_watch(loop, cfd, MA_NET_READABLE, tc_event, tc);
    }
}

static void srv_start(void)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof sa;

    memset(&srv, 0, sizeof srv);
    srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(srv.lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(srv.lfd, 16) == 0);
    getsockname(srv.lfd, (struct sockaddr *)&sa, &sl);
    srv.port = ntohs(sa.sin_port);
    ma_net_loop_watch(loop, srv.lfd, MA_NET_READABLE, srv_accept, NULL);
}

/* Close every server connection and reset the counters (the listener stays). */
static void srv_reset(enum srv_mode mode)
{
    while (srv.conns != NULL) {
        struct tconn *tc = srv.conns;

        srv.conns = tc->next;
        tc_close(tc);
        ma_buf_free(&tc->out);
        free(tc);
    }
    srv.accepted = srv.requests = 0;
    srv.mode = mode;
    srv.last_req[0] = '\0';
}

static struct ma_http_client *plain_client(const char *path_prefix, size_t max_response)
{
    struct ma_http_client_config cfg = {0};
    struct ma_errmsg em;
    struct ma_http_client *c;
    char url[128];

    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path_prefix);
    cfg.url = url;
    cfg.max_response_bytes = max_response;
    c = ma_http_client_new(loop, &cfg, &em);
    CHECK(c != NULL);
    return c;
}

/* ==== (a) plain HTTP ========================================================================= */

static void test_keepalive_reuse_and_request_format(void)
{
    struct ma_http_client *c = plain_client("/prefix/", 0);
    struct result r;
    char want[128];

    srv_reset(M_CL);
    get(c, "/api/v1/pods?limit=5", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 7);
    CHECK_MEM(r.body, "hello 1", 7);
    CHECK_STR(r.hdr, "yes");
    CHECK(strncmp(srv.last_req, "GET /prefix/api/v1/pods?limit=5 HTTP/1.1\r\n", 42) == 0);
    snprintf(want, sizeof want, "\r\nHost: 127.0.0.1:%d\r\n", srv.port);
    CHECK(strstr(srv.last_req, want) != NULL);
    CHECK(strstr(srv.last_req, "\r\nUser-Agent: metrics-adapter/" MA_VERSION "\r\n") != NULL);
    CHECK(strstr(srv.last_req, "\r\nAccept: application/json\r\n") != NULL);
    CHECK(strstr(srv.last_req, "Accept-Encoding") == NULL);
    get(c, "/b", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_MEM(r.body, "hello 2", 7);
    get(c, "/c", &r);
    CHECK_MEM(r.body, "hello 3", 7);
    CHECK_EQ(srv.requests, 3);
    CHECK_EQ(srv.accepted, 1); /* one connection served all three */
    ma_http_client_free(c);
}

static void test_post_body_and_headers(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;

    srv_reset(M_CL);
    p.method = "POST";
    p.path = "/apis/authentication.k8s.io/v1/tokenreviews";
    p.headers = "Authorization: Bearer abc\r\nAccept: application/yaml\r\n";
    p.body = "{\"a\":1}";
    p.body_len = 7;
    p.content_type = "application/json";
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK(strstr(srv.last_req, "\r\nContent-Length: 7\r\n") != NULL);
    CHECK(strstr(srv.last_req, "\r\nContent-Type: application/json\r\n") != NULL);
    CHECK(strstr(srv.last_req, "\r\nAuthorization: Bearer abc\r\n") != NULL);
    CHECK(strstr(srv.last_req, "\r\nAccept: application/yaml\r\n") != NULL);
    CHECK(strstr(srv.last_req, "application/json\r\nAccept") == NULL); /* no second Accept */
    CHECK(strstr(srv.last_req, "\r\n\r\n{\"a\":1}") != NULL);
    ma_http_client_free(c);
}

static void test_chunked_split_buffered_and_streaming(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;

    srv_reset(M_CHUNKED);
    get(c, "/x", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 11);
    CHECK_MEM(r.body, "hello world", 11);
    CHECK_STR(r.hdr, "chunked");

    p.method = "GET";
    p.path = "/watch";
    p.on_head = on_head;
    p.on_data = on_data;
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.heads, 1);
    CHECK_EQ(r.status, 200);
    CHECK(r.datas >= 3); /* delivered as the pieces arrived */
    CHECK_EQ(r.body_len, 11);
    CHECK_MEM(r.body, "hello world", 11);
    CHECK_EQ(srv.accepted, 1); /* chunked responses end cleanly: the connection was reused */
    ma_http_client_free(c);
}

static void test_close_mid_body(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct result r;

    srv_reset(M_CLOSE_MID);
    get(c, "/x", &r);
    CHECK_EQ(r.err, MA_ERR_IO);
    CHECK_EQ(r.status, 200);
    CHECK(strstr(r.msg, "closed after 10 of 100 body bytes") != NULL);
    ma_http_client_free(c);
}

static void test_read_until_close(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct result r;

    srv_reset(M_HTTP10_CLOSE);
    get(c, "/x", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.body_len, 11);
    CHECK_MEM(r.body, "until close", 11);
    CHECK_STR(r.hdr, "ten");
    ma_http_client_free(c);
}

static void test_timeouts(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;
    int64_t t0;

    srv_reset(M_SILENT);
    p.method = "GET";
    p.path = "/silent";
    p.read_timeout_ms = 100;
    t0 = ma_time_mono_ms();
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_ERR_TIMEOUT);
    CHECK(strstr(r.msg, "no data for 100 ms") != NULL);
    CHECK(ma_time_mono_ms() - t0 >= 100);
    CHECK(ma_time_mono_ms() - t0 < 1000);

    p.read_timeout_ms = 0;
    p.timeout_ms = 150;
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_ERR_TIMEOUT);
    CHECK(strstr(r.msg, "GET /silent on 127.0.0.1:") != NULL);
    CHECK(strstr(r.msg, "timed out after 150 ms") != NULL);
    ma_http_client_free(c);

    /* TCP connects but TLS never answers: the connect timeout covers the handshake */
    {
        struct ma_http_client_config cfg = {0};
        struct ma_errmsg em;
        char url[64];

        snprintf(url, sizeof url, "https://127.0.0.1:%d", srv.port);
        cfg.url = url;
        cfg.insecure_skip_verify = 1;
        cfg.connect_timeout_ms = 100;
        c = ma_http_client_new(loop, &cfg, &em);
        p.timeout_ms = 0;
        do_call(c, &p, &r);
        CHECK_EQ(r.err, MA_ERR_TIMEOUT);
        CHECK(strstr(r.msg, "TLS handshake with 127.0.0.1:") != NULL);
        CHECK(strstr(r.msg, "timed out after 100 ms") != NULL);
        ma_http_client_free(c);
    }
}

static void test_framing_cases(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;

    srv_reset(M_INTERIM);
    get(c, "/i", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.status, 201);
    CHECK_STR(r.hdr, "final");
    CHECK_EQ(r.body_len, 2);
    CHECK_MEM(r.body, "ok", 2);

    srv_reset(M_HEAD_REQ);
    p.method = "HEAD";
    p.path = "/h";
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 0);
    CHECK_STR(r.hdr, "head");
    do_call(c, &p, &r); /* no body was expected, so the connection stayed usable */
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(srv.accepted, 1);

    srv_reset(M_HUGE_HEAD);
    get(c, "/huge", &r);
    CHECK_EQ(r.err, MA_ERR_LIMIT);
    CHECK(strstr(r.msg, "response head exceeds 65536 bytes") != NULL);
    ma_http_client_free(c);
}

static struct ma_http_client *free_me;

static void on_done_free_client(struct ma_http_call *call, const struct ma_http_result *res,
                                void *arg)
{
    on_done(call, res, arg);
    ma_http_client_free(free_me); /* from inside the callback: must be safe */
    free_me = NULL;
}

static int on_data_cancel(struct ma_http_call *call, const char *p, size_t n, void *arg)
{
    on_data(call, p, n, arg);
    ma_http_call_cancel(call); /* the consumer stops its own stream */
    ma_net_loop_stop(loop);
    return MA_OK;
}

static int on_data_refuse(struct ma_http_call *call, const char *p, size_t n, void *arg)
{
    on_data(call, p, n, arg);
    return MA_ERR_SYNTAX; /* e.g. a malformed watch event */
}

static void test_callbacks_reentry(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;

    srv_reset(M_BIG_CHUNKED);
    p.method = "GET";
    p.path = "/w";
    p.on_data = on_data_refuse;
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_ERR_SYNTAX);
    CHECK_EQ(r.datas, 1);
    CHECK(strstr(r.msg, "aborted by the receiver") != NULL);

    memset(&r, 0, sizeof r);
    p.on_data = on_data_cancel;
    p.on_done = on_done;
    p.arg = &r;
    ma_http_client_start(c, &p);
    run_loop();
    CHECK_EQ(r.datas, 1);
    CHECK_EQ(r.done, 0);

    srv_reset(M_CL);
    free_me = c;
    memset(&r, 0, sizeof r);
    r.stop = 1;
    p.on_data = NULL;
    p.on_done = on_done_free_client;
    ma_http_client_start(c, &p);
    run_loop();
    CHECK_EQ(r.done, 1);
    CHECK_EQ(r.err, MA_OK);
    CHECK(free_me == NULL);
}

static void test_max_response_size(void)
{
    struct ma_http_client *c = plain_client("", 50000);
    struct ma_http_call_params p = {0};
    struct result r;

    srv_reset(M_BIG);
    get(c, "/big", &r);
    CHECK_EQ(r.err, MA_ERR_LIMIT);
    CHECK(strstr(r.msg, "response body of 100000 bytes exceeds the limit of 50000 bytes") != NULL);
    srv_reset(M_BIG_CHUNKED);
    get(c, "/big", &r);
    CHECK_EQ(r.err, MA_ERR_LIMIT);
    CHECK(strstr(r.msg, "exceeds the limit of 50000 bytes") != NULL);
    /* streaming calls are not bound by it (watch streams are endless) */
    p.method = "GET";
    p.path = "/big";
    p.on_data = on_data;
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.body_len, 100000);
    ma_http_client_free(c);

    c = plain_client("", 0);
    srv_reset(M_BIG);
    get(c, "/big", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.body_len, 100000);
    CHECK(r.body[0] == 'x' && r.body[99999] == 'x');
    ma_http_client_free(c);
}

static void test_retry_on_closed_keepalive(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct result r;

    /* the server drops the reused connection when the second request arrives: GET retries */
    srv_reset(M_CLOSE_2ND);
    get(c, "/1", &r);
    CHECK_EQ(r.err, MA_OK);
    get(c, "/2", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_MEM(r.body, "hello 3", 7);
    CHECK_EQ(srv.accepted, 2);
    /* ... but a POST is not retried */
    p.method = "POST";
    p.path = "/3";
    do_call(c, &p, &r);
    CHECK_EQ(r.err, MA_ERR_IO);
    CHECK(strstr(r.msg, "connection closed") != NULL);

    /* the server closes right after each answer: the idle connection is dropped, not reused */
    srv_reset(M_CLOSE_AFTER);
    get(c, "/4", &r);
    CHECK_EQ(r.err, MA_OK);
    get(c, "/5", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(srv.accepted, 2);
    CHECK_EQ(srv.requests, 2);
    ma_http_client_free(c);
}

static int64_t cancel_it(struct ma_net_loop *l, void *arg)
{
    ma_http_call_cancel(arg);
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void test_cancel_and_async_errors(void)
{
    struct ma_http_client *c = plain_client("", 0);
    struct ma_http_call_params p = {0};
    struct ma_http_call *call;
    struct result r;

    srv_reset(M_SILENT);
    memset(&r, 0, sizeof r);
    p.method = "GET";
    p.path = "/silent";
    p.on_done = on_done;
    p.arg = &r;
    call = ma_http_client_start(c, &p);
    ma_net_loop_add_timer(loop, 50, cancel_it, call);
    run_loop();
    CHECK_EQ(r.done, 0); /* no callback after cancel */
    CHECK_EQ(srv.requests, 1);

    /* a bad request fails through on_done, never inside _start */
    memset(&r, 0, sizeof r);
    r.stop = 1;
    p.path = "no-slash";
    ma_http_client_start(c, &p);
    CHECK_EQ(r.done, 0);
    run_loop();
    CHECK_EQ(r.done, 1);
    CHECK_EQ(r.err, MA_ERR_SYNTAX);
    CHECK(strstr(r.msg, "must start with '/'") != NULL);

    p.path = "/x";
    p.headers = "Evil: a\r\n\r\nGET /smuggled HTTP/1.1\r\n";
    memset(&r, 0, sizeof r);
    r.stop = 1;
    ma_http_client_start(c, &p);
    run_loop();
    CHECK_EQ(r.err, MA_ERR_SYNTAX);

    /* freeing the client with calls in flight runs no callback */
    memset(&r, 0, sizeof r);
    p.headers = NULL;
    ma_http_client_start(c, &p);
    ma_http_client_free(c);
    CHECK_EQ(r.done, 0);
}

static void test_connect_errors_and_names(void)
{
    struct ma_http_client_config cfg = {0};
    struct ma_errmsg em;
    struct ma_http_client *c;
    struct result r;
    char url[128];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof sa;

    /* a port nobody listens on: bind one, then close it */
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    cfg.url = url;
    c = ma_http_client_new(loop, &cfg, &em);
    get(c, "/", &r);
    CHECK_EQ(r.err, MA_ERR_IO);
    CHECK(strstr(r.msg, "connect to 127.0.0.1:") != NULL);
    CHECK(strstr(r.msg, "refused") != NULL);
    ma_http_client_free(c);

    /* a host name: resolved at creation ("localhost" may give ::1 first, which is refused,
     * then 127.0.0.1) */
    srv_reset(M_CL);
    snprintf(url, sizeof url, "http://localhost:%d/", srv.port);
    c = ma_http_client_new(loop, &cfg, &em);
    CHECK(c != NULL);
    get(c, "/n", &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_MEM(r.body, "hello 1", 7);
    snprintf(url, sizeof url, "\r\nHost: localhost:%d\r\n", srv.port);
    CHECK(strstr(srv.last_req, url) != NULL);
    ma_http_client_free(c);

    cfg.url = "ftp://x";
    CHECK(ma_http_client_new(loop, &cfg, &em) == NULL);
    CHECK(strstr(em.msg, "scheme") != NULL);
    cfg.url = "https://10.96.0.1";
    CHECK(ma_http_client_new(loop, &cfg, &em) == NULL);
    CHECK(strstr(em.msg, "CA bundle") != NULL);
}

/* ==== (b) TLS ================================================================================ */

static char tmpdir[64];
static int tls_ports[4]; /* A: DNS SAN via CA2; B: IP SAN via CA1 (RSA); C: CA3; D: B + mTLS */
static pid_t py_pid;

static const char gen_script[] =
    "set -e\n"
    "mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
    " -keyout $1.key -out $1.crt -days 2 -subj /CN=$1"
    " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign; }\n"
    "leaf() {\n"
    "  if [ $4 = rsa ]; then openssl genrsa -out $1.key 2048; else\n"
    "  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1.key; fi\n"
    "  openssl req -new -key $1.key -subj /CN=$1 -out $1.csr\n"
    "  printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\n"
    "keyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=%s\\n' $3 $5 > $1.ext\n"
    "  openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial -days 2"
    " -out $1.crt -extfile $1.ext\n"
    "}\n"
    "mkca ca1; mkca ca2; mkca ca3\n"
    "leaf srvdns ca2 DNS:localhost ec serverAuth\n"
    "leaf srvip ca1 IP:127.0.0.1 rsa serverAuth\n"
    "leaf srvother ca3 DNS:localhost,IP:127.0.0.1 ec serverAuth\n"
    "leaf client ca1 DNS:client rsa clientAuth\n"
    "cat ca1.crt ca2.crt > bundle.pem\n";

static const char py_script[] =
    "import http.server, socketserver, ssl, sys, threading\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def setup(self):\n"
    "        super().setup()\n"
    "        self.server.nconn += 1\n"
    "    def do_GET(self):\n"
    "        cn = ''\n"
    "        for rdn in (self.connection.getpeercert() or {}).get('subject', ()):\n"
    "            for k, v in rdn:\n"
    "                if k == 'commonName': cn = v\n"
    "        b = ('{\"path\":\"%s\",\"client\":\"%s\",\"conn\":%d}' % (self.path, cn,"
    " self.server.nconn)).encode()\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Length', str(len(b)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b)\n"
    "    def log_message(self, *a): pass\n"
    "class S(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
    "    daemon_threads = True\n"
    "    nconn = 0\n"
    "    def handle_error(self, *a): pass\n"
    "def serve(cert, client_ca=None):\n"
    "    s = S(('127.0.0.1', 0), H)\n"
    "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "    ctx.load_cert_chain(cert + '.crt', cert + '.key')\n"
    "    if client_ca:\n"
    "        ctx.verify_mode = ssl.CERT_REQUIRED\n"
    "        ctx.load_verify_locations(client_ca)\n"
    "    s.socket = ctx.wrap_socket(s.socket, server_side=True)\n"
    "    threading.Thread(target=s.serve_forever, daemon=True).start()\n"
    "    return s.server_address[1]\n"
    "ports = [serve('srvdns'), serve('srvip'), serve('srvother'), serve('srvip', 'ca1.crt')]\n"
    "print(*ports, flush=True)\n"
    "sys.stdin.read()\n";

static char *slurp(const char *name, size_t *len)
{
    char path[128];
    FILE *f;
    char *p = ma_xmalloc(1 << 16);

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    f = fopen(path, "rb");
    *len = f ? fread(p, 1, 1 << 16, f) : 0;
    if (f)
        fclose(f);
    return p;
}

/* Make the certificates and start the servers. 0 if the tools are missing. */
static int tls_setup(void)
{
    char cmd[512], path[128];
    int out[2], in[2];
    FILE *f;

    if (system("command -v openssl >/dev/null && command -v python3 >/dev/null") != 0)
        return 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ma-client-test-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/gen.sh", tmpdir);
    f = fopen(path, "w");
    fputs(gen_script, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/srv.py", tmpdir);
    f = fopen(path, "w");
    fputs(py_script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && sh gen.sh >gen.log 2>&1", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "certificate generation failed, see %s/gen.log\n", tmpdir);
        return 0;
    }
    if (pipe(out) != 0 || pipe(in) != 0)
        return 0;
    py_pid = fork();
    if (py_pid == 0) {
        dup2(out[1], 1);
        dup2(in[0], 0);
        close(out[0]);
        close(in[1]);
        if (chdir(tmpdir) == 0)
            execlp("python3", "python3", "srv.py", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(in[0]);
    /* the servers exit when their stdin closes, even if we die first */
    f = fdopen(out[0], "r");
    if (f == NULL ||
        fscanf(f, "%d %d %d %d", &tls_ports[0], &tls_ports[1], &tls_ports[2], &tls_ports[3]) != 4) {
        fprintf(stderr, "python TLS servers did not start\n");
        return 0;
    }
    fclose(f);
    return 1;
}

static void tls_teardown(void)
{
    char cmd[128];

    if (py_pid > 0) {
        kill(py_pid, SIGTERM);
        waitpid(py_pid, NULL, 0);
    }
    if (tmpdir[0] != '\0') {
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

struct tls_case {
    const char *host;        /* URL host */
    int server;              /* index into tls_ports */
    const char *server_name; /* config override, or NULL */
    int insecure, client_cert;
    int err;         /* expected */
    const char *msg; /* expected in the message (error) or in the body (success) */
    const char *comment;
};

static const struct tls_case tls_cases[] = {
    {"localhost", 0, NULL, 0, 0, MA_OK, "\"path\":\"/tls\"", "DNS SAN, second CA of the bundle"},
    {"127.0.0.1", 1, NULL, 0, 0, MA_OK, "\"client\":\"\"", "IP SAN, RSA server key, first CA"},
    {"localhost", 2, NULL, 0, 0, MA_ERR_IO, "not signed by a trusted CA", "unknown CA"},
    {"127.0.0.1", 0, "wrong.example", 0, 0, MA_ERR_IO,
     "server certificate is not valid for wrong.example", "host name mismatch"},
    {"127.0.0.1", 0, NULL, 0, 0, MA_ERR_IO, "no matching IP address SAN",
     "IP literal, certificate has DNS SANs only"},
    {"127.0.0.1", 2, NULL, 1, 0, MA_OK, "\"path\":\"/tls\"", "insecure accepts an unknown CA"},
    {"127.0.0.1", 3, NULL, 0, 1, MA_OK, "\"client\":\"client\"", "client certificate (RSA)"},
    {"127.0.0.1", 3, NULL, 0, 0, MA_ERR_IO, "server refused the handshake: alert",
     "server requires a client certificate"},
};

static void run_tls_case(const struct tls_case *tc, const char *ca, size_t ca_len, const char *crt,
                         size_t crt_len, const char *key, size_t key_len)
{
    struct ma_http_client_config cfg = {0};
    struct ma_errmsg em;
    struct ma_http_client *c;
    struct result r;
    char url[128];

    snprintf(url, sizeof url, "https://%s:%d", tc->host, tls_ports[tc->server]);
    cfg.url = url;
    cfg.ca_pem = ca;
    cfg.ca_pem_len = ca_len;
    cfg.server_name = tc->server_name;
    cfg.insecure_skip_verify = tc->insecure;
    if (tc->client_cert) {
        cfg.cert_pem = crt;
        cfg.cert_pem_len = crt_len;
        cfg.key_pem = key;
        cfg.key_pem_len = key_len;
    }
    c = ma_http_client_new(loop, &cfg, &em);
    CHECK(c != NULL);
    if (c == NULL)
        return;
    get(c, "/tls", &r);
    r.body[r.body_len < sizeof r.body ? r.body_len : sizeof r.body - 1] = '\0';
    if (r.err != tc->err || strstr(tc->err == MA_OK ? r.body : r.msg, tc->msg) == NULL) {
        fprintf(stderr, "TLS case '%s': err %d (want %d), msg '%s', body '%s'\n", tc->comment,
                r.err, tc->err, r.msg, r.body);
        CHECK(0);
    }
    ma_http_client_free(c);
}

static void test_tls(void)
{
    size_t ca_len, crt_len, key_len, i;
    char *ca, *crt, *key;
    struct ma_http_client_config cfg = {0};
    struct ma_errmsg em;
    struct ma_http_client *c;
    struct result r;
    char url[128], conn1[32];

    if (!tls_setup()) {
        fprintf(stderr, "SKIPPED TLS tests: openssl or python3 unavailable\n");
        tls_teardown();
        return;
    }
    ca = slurp("bundle.pem", &ca_len);
    crt = slurp("client.crt", &crt_len);
    key = slurp("client.key", &key_len);
    for (i = 0; i < sizeof tls_cases / sizeof tls_cases[0]; i++)
        run_tls_case(&tls_cases[i], ca, ca_len, crt, crt_len, key, key_len);

    /* keep-alive over TLS: the second call reuses the first connection */
    snprintf(url, sizeof url, "https://localhost:%d/", tls_ports[0]);
    cfg.url = url;
    cfg.ca_pem = ca;
    cfg.ca_pem_len = ca_len;
    c = ma_http_client_new(loop, &cfg, &em);
    get(c, "/1", &r);
    CHECK_EQ(r.err, MA_OK);
    r.body[r.body_len] = '\0';
    snprintf(conn1, sizeof conn1, "%s", strstr(r.body, "\"conn\":"));
    get(c, "/2", &r);
    CHECK_EQ(r.err, MA_OK);
    r.body[r.body_len] = '\0';
    CHECK_STR(strstr(r.body, "\"conn\":"), conn1);
    ma_http_client_free(c);

    /* a bundle without any CERTIFICATE block is refused up front */
    cfg.ca_pem = "garbage";
    cfg.ca_pem_len = 7;
    CHECK(ma_http_client_new(loop, &cfg, &em) == NULL);
    CHECK(strstr(em.msg, "no CERTIFICATE block") != NULL);
    free(ca);
    free(crt);
    free(key);
    tls_teardown();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = ma_net_loop_new(1024);
    srv_start();
    T_RUN(test_keepalive_reuse_and_request_format);
    T_RUN(test_post_body_and_headers);
    T_RUN(test_chunked_split_buffered_and_streaming);
    T_RUN(test_close_mid_body);
    T_RUN(test_read_until_close);
    T_RUN(test_timeouts);
    T_RUN(test_framing_cases);
    T_RUN(test_callbacks_reentry);
    T_RUN(test_max_response_size);
    T_RUN(test_retry_on_closed_keepalive);
    T_RUN(test_cancel_and_async_errors);
    T_RUN(test_connect_errors_and_names);
    T_RUN(test_tls);
    srv_reset(M_CL);
    ma_net_loop_unwatch(loop, srv.lfd);
    close(srv.lfd);
    ma_net_loop_free(loop);
    T_END();
}
