#include "net/plain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"
#include "net/loop.h"

/* see net/plain.h */
void ma_net_plain_addr_str(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;

        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
    } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;

        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
    } else {
        snprintf(out, cap, "(address family %d)", sa->sa_family);
    }
}

/* see net/plain.h */
int ma_net_plain_connect(const struct sockaddr *sa, socklen_t salen, struct ma_errmsg *em)
{
    char who[64];
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        ma_net_plain_addr_str(sa, who, sizeof who);
        ma_errmsg_set(em, "connect to %s: socket: %s", who, strerror(errno));
        return MA_ERR_IO;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, sa, salen) == 0 || errno == EINPROGRESS || errno == EINTR)
        return fd; /* EINTR: the connect goes on asynchronously, as with EINPROGRESS */
    ma_net_plain_addr_str(sa, who, sizeof who);
    ma_errmsg_set(em, "connect to %s: %s", who, strerror(errno));
    close(fd);
    return MA_ERR_IO;
}

/* see net/plain.h */
int ma_net_plain_connected(int fd, struct ma_errmsg *em)
{
    int err = 0;
    socklen_t len = sizeof err;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        ma_errmsg_set(em, "%s", strerror(err));
        return MA_ERR_IO;
    }
    /* no error yet and no peer: still in progress (the loop may hand us a stale event for a
     * descriptor number that was reused within the same turn) */
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
        return errno == ENOTCONN ? MA_ERR_PARTIAL : MA_ERR_IO;
    return MA_OK;
}

/* ---- transport ----------------------------------------------------------------------------- */

struct plain_conn {
    const struct ma_net_conn_class *vtable;
    int fd;
    unsigned want;
    char errtext[96];
};

#define CONN(c) ((struct plain_conn *)(void *)(c))

static int fail(struct plain_conn *c, const char *what)
{
    snprintf(c->errtext, sizeof c->errtext, "%s: %s", what, strerror(errno));
    return MA_ERR_IO;
}

static int conn_read(const struct ma_net_conn_class **cc, void *buf, size_t len)
{
    struct plain_conn *c = CONN(cc);
    ssize_t n;

    do
        n = read(c->fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->want = MA_NET_READABLE;
        return MA_ERR_PARTIAL;
    }
    return fail(c, "read");
}

static int conn_write(const struct ma_net_conn_class **cc, const void *buf, size_t len)
{
    struct plain_conn *c = CONN(cc);
    ssize_t n;

    if (len > (size_t)1 << 30)
        len = (size_t)1 << 30; /* the result must fit an int */
    do
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return (int)n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->want = MA_NET_WRITABLE;
        return MA_ERR_PARTIAL;
    }
    return n == 0 ? MA_ERR_PARTIAL : fail(c, "send");
}

static int conn_flush(const struct ma_net_conn_class **cc)
{
    (void)cc;
    return MA_OK;
}

static unsigned conn_want(const struct ma_net_conn_class **cc)
{
    return CONN(cc)->want;
}

static int conn_pending(const struct ma_net_conn_class **cc)
{
    (void)cc;
    return 0;
}

static int conn_established(const struct ma_net_conn_class **cc)
{
    (void)cc;
    return 1;
}

static const struct ma_tls_peer *conn_peer(const struct ma_net_conn_class **cc)
{
    (void)cc;
    return NULL;
}

static const char *conn_last_error(const struct ma_net_conn_class **cc)
{
    return CONN(cc)->errtext;
}

static void conn_close(const struct ma_net_conn_class **cc)
{
    struct plain_conn *c = CONN(cc);

    close(c->fd);
    free(c);
}

static const struct ma_net_conn_class plain_vtable = {
    conn_read,        conn_write, conn_flush,      conn_want,  conn_pending,
    conn_established, conn_peer,  conn_last_error, conn_close,
};

/* see net/plain.h */
const struct ma_net_conn_class **ma_net_plain_new(int fd)
{
    struct plain_conn *c = ma_xcalloc(1, sizeof *c);

    c->vtable = &plain_vtable;
    c->fd = fd;
    c->want = MA_NET_READABLE;
    return &c->vtable;
}
