/* tests src/http/server.c over a plain transport on a socketpair, driving the real loop */
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/server.h"
#include "net/conn.h"
#include "net/loop.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a plain transport ---- */
struct plain {
    const struct ma_net_conn_class *vtable;
    int fd;
    unsigned want;
};

static int p_read(const struct ma_net_conn_class **c, void *buf, size_t len)
{
    struct plain *p = (struct plain *)(void *)c;
    ssize_t n = read(p->fd, buf, len);

    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN) {
        p->want = MA_NET_READABLE;
        return MA_ERR_PARTIAL;
    }
    return MA_ERR_IO;
}

static int p_write(const struct ma_net_conn_class **c, const void *buf, size_t len)
{
    struct plain *p = (struct plain *)(void *)c;
    ssize_t n = write(p->fd, buf, len);

    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN) {
        p->want = MA_NET_WRITABLE;
        return MA_ERR_PARTIAL;
    }
    return MA_ERR_IO;
}

static int p_flush(const struct ma_net_conn_class **c)
{
    (void)c;
    return MA_OK;
}
static unsigned p_want(const struct ma_net_conn_class **c)
{
    return ((struct plain *)(void *)c)->want;
}
static int p_zero(const struct ma_net_conn_class **c)
{
    (void)c;
    return 0;
}
static int p_one(const struct ma_net_conn_class **c)
{
    (void)c;
    return 1;
}
static const struct ma_tls_peer *p_peer(const struct ma_net_conn_class **c)
{
    (void)c;
    return NULL;
}
static const char *p_err(const struct ma_net_conn_class **c)
{
    (void)c;
    return "";
}
static int closed_count;
static void p_close(const struct ma_net_conn_class **c)
{
    struct plain *p = (struct plain *)(void *)c;

    close(p->fd);
    free(p);
    closed_count++;
}
static const struct ma_net_conn_class plain_vtable = {p_read, p_write, p_flush, p_want,  p_zero,
                                                      p_one,  p_peer,  p_err,   p_close};

/* ---- a handler: echoes the target; /async answers 50 ms later; /big sends 200 KB ---- */
static struct ma_net_loop *loop;
static struct ma_http_exchange *pending;

static int64_t answer_later(struct ma_net_loop *l, void *arg)
{
    (void)l;
    (void)arg;
    if (pending != NULL) {
        ma_buf_appends(pending->body, "late");
        ma_http_respond(pending, 200, "text/plain", NULL);
        pending = NULL;
    }
    return MA_NET_TIMER_STOP;
}

static void handler(void *ctx, struct ma_http_exchange *ex)
{
    (void)ctx;
    if (ma_str_eq(ex->req.path, "/async")) {
        pending = ex;
        ma_net_loop_add_timer(loop, 50, answer_later, NULL);
        return;
    }
    if (ma_str_eq(ex->req.path, "/big")) {
        size_t i;
        for (i = 0; i < 200000; i++)
            ma_buf_appendc(ex->body, (char)('a' + i % 26));
    } else {
        ma_buf_append(ex->body, ex->req.target.p, ex->req.target.len);
    }
    ma_http_respond(ex, 200, "text/plain", "X-Test: 1\r\n");
}

static int64_t stop(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void spin(int ms)
{
    ma_net_loop_add_timer(loop, ms, stop, NULL);
    ma_net_loop_run(loop);
}

static struct ma_http_server *srv;

/* a new connection; returns the client end */
static int connect_pair(void)
{
    int sv[2];
    struct plain *p = ma_xcalloc(1, sizeof *p);

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    p->vtable = &plain_vtable;
    p->fd = sv[0];
    ma_http_server_adopt(srv, &p->vtable, sv[0], "test");
    return sv[1];
}

/* everything the server sent so far; *eof = 1 if it closed */
static size_t slurp(int fd, char *out, size_t cap, int *eof)
{
    size_t n = 0;
    ssize_t r = -1;

    *eof = 0;
    while (n < cap - 1 && (r = read(fd, out + n, cap - 1 - n)) != 0) {
        if (r < 0)
            break;
        n += (size_t)r;
    }
    if (r == 0)
        *eof = 1;
    out[n] = '\0';
    return n;
}

static void setup(int64_t header_timeout_ms)
{
    struct ma_http_server_config cfg = {{1024, 4096}, 1000, header_timeout_ms, 60000, handler, NULL};

    loop = ma_net_loop_new(256);
    srv = ma_http_server_new(loop, &cfg, NULL);
}

static void teardown(void)
{
    ma_http_server_free(srv);
    ma_net_loop_free(loop);
}

static char out[300000];

static void test_pipelined_in_order_with_async(void)
{
    const char req[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /async HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /c?q=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    int eof, fd;
    char *a, *b, *c;

    setup(5000);
    fd = connect_pair();
    CHECK(write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1));
    spin(150);
    slurp(fd, out, sizeof out, &eof);
    CHECK_EQ(eof, 0);
    a = strstr(out, "\r\n\r\n/a");
    b = strstr(out, "\r\n\r\nlate");
    c = strstr(out, "\r\n\r\n/c?q=1");
    CHECK(a != NULL && b != NULL && c != NULL && a < b && b < c);
    CHECK(strncmp(out, "HTTP/1.1 200 OK\r\nDate: ", 23) == 0);
    CHECK(strstr(out, "Content-Length: 2\r\nX-Test: 1\r\n\r\n") != NULL);
    close(fd);
    teardown();
}

static void test_head_has_no_body_and_http10_closes(void)
{
    int eof, fd;

    setup(5000);
    fd = connect_pair();
    CHECK(write(fd, "HEAD /xyz HTTP/1.0\r\n\r\n", 22) == 22);
    spin(50);
    slurp(fd, out, sizeof out, &eof);
    CHECK_EQ(eof, 1);
    CHECK(strstr(out, "Content-Length: 4\r\n") != NULL);
    CHECK(strstr(out, "Connection: close\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\n")[4] == '\0');
    close(fd);
    teardown();
}

static void test_limits_and_errors_close(void)
{
    static const struct {
        const char *req;
        const char *status;
    } rows[] = {
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         " HTTP/1.1\r\n\r\n",
         "HTTP/1.1 414 "},
        {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", "HTTP/1.1 413 "},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int eof, fd;

        setup(5000);
        fd = connect_pair();
        CHECK(write(fd, rows[i].req, strlen(rows[i].req)) == (ssize_t)strlen(rows[i].req));
        spin(50);
        slurp(fd, out, sizeof out, &eof);
        CHECK(strncmp(out, rows[i].status, strlen(rows[i].status)) == 0);
        CHECK(strstr(out, "Connection: close\r\n") != NULL);
        CHECK_EQ(eof, 1);
        close(fd);
        teardown();
    }
}

static void test_big_head_gets_431(void)
{
    int eof, fd, i;
    char line[200];

    setup(5000);
    fd = connect_pair();
    CHECK(write(fd, "GET / HTTP/1.1\r\n", 16) == 16);
    for (i = 0; i < 30; i++) {
        int n = snprintf(line, sizeof line, "X-Filler-%02d: %0150d\r\n", i, 0);
        CHECK(write(fd, line, (size_t)n) == n);
    }
    spin(50);
    slurp(fd, out, sizeof out, &eof);
    CHECK(strncmp(out, "HTTP/1.1 431 ", 13) == 0);
    CHECK_EQ(eof, 1);
    close(fd);
    teardown();
}

static void test_body_is_discarded_and_big_response(void)
{
    const char req[] = "GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /big HTTP/1.1\r\n\r\n";
    int eof, fd;
    size_t n, total = 0;

    setup(5000);
    fd = connect_pair();
    CHECK(write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1));
    /* the 200 KB response exceeds the socket buffer: read while spinning */
    for (n = 0; n < 20; n++) {
        spin(10);
        total += slurp(fd, out + total, sizeof out - total, &eof);
    }
    CHECK(strstr(out, "\r\n\r\n/x") != NULL);
    CHECK(strstr(out, "Content-Length: 200000\r\n") != NULL);
    CHECK(total > 200000);
    CHECK_EQ(eof, 0);
    close(fd);
    teardown();
}

static void test_header_timeout_and_shutdown(void)
{
    int eof, fd, idle;

    setup(200);
    fd = connect_pair();
    idle = connect_pair();
    CHECK(write(fd, "GET / HTTP/1.1\r\nHo", 18) == 18);
    spin(600);
    slurp(fd, out, sizeof out, &eof);
    CHECK_EQ(eof, 1); /* slow head: 408, then closed */
    CHECK(strncmp(out, "HTTP/1.1 408 ", 13) == 0);
    slurp(idle, out, sizeof out, &eof);
    CHECK_EQ(eof, 0); /* idle keep-alive: idle timeout is 60 s, still open */
    ma_http_server_shutdown(srv);
    spin(10);
    slurp(idle, out, sizeof out, &eof);
    CHECK_EQ(eof, 1); /* shutdown closes idle connections */
    CHECK_EQ(ma_http_server_conns(srv), 0);
    close(fd);
    close(idle);
    teardown();
}

static void test_abort_when_peer_leaves(void)
{
    int fd;

    setup(5000);
    fd = connect_pair();
    CHECK(write(fd, "GET /async HTTP/1.1\r\n\r\n", 23) == 23);
    spin(10);
    CHECK(pending != NULL);
    close(fd);
    closed_count = 0;
    spin(20);
    CHECK_EQ(closed_count, 1);
    CHECK_EQ(ma_http_server_conns(srv), 0);
    pending = NULL; /* the exchange is gone: the handler must not answer (no on_abort here) */
    spin(60);
    teardown();
}

int main(void)
{
    ma_log_set_verbosity(0);
    T_RUN(test_pipelined_in_order_with_async);
    T_RUN(test_head_has_no_body_and_http10_closes);
    T_RUN(test_limits_and_errors_close);
    T_RUN(test_big_head_gets_431);
    T_RUN(test_body_is_discarded_and_big_response);
    T_RUN(test_header_timeout_and_shutdown);
    T_RUN(test_abort_when_peer_leaves);
    T_END();
}
