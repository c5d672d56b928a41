#include "tls/io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "net/loop.h"

/* see tls/io.h */
void ma_tls_io_init(struct ma_tls_io *io, br_ssl_engine_context *eng, int fd, unsigned want)
{
    memset(io, 0, sizeof *io);
    io->eng = eng;
    io->fd = fd;
    io->want = want;
}

static void note_state(struct ma_tls_io *io, unsigned st)
{
    if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
        io->app = 1;
}

static int pull(struct ma_tls_io *io);

/* A peer that rejects our handshake flight sends an alert and closes while our records may still
 * be in transit, so our send fails with EPIPE or ECONNRESET. The alert is the useful part: let
 * the engine read whatever already arrived. */
static void read_alert(struct ma_tls_io *io)
{
    int i;

    for (i = 0; i < 4; i++) {
        unsigned st = br_ssl_engine_current_state(io->eng);

        if (st == BR_SSL_CLOSED || !(st & BR_SSL_RECVREC) || pull(io) <= 0)
            return;
    }
}

/* Write pending records to the socket. MA_OK: nothing left; MA_ERR_PARTIAL: socket full. */
static int push(struct ma_tls_io *io)
{
    while (br_ssl_engine_current_state(io->eng) & BR_SSL_SENDREC) {
        size_t len;
        unsigned char *p = br_ssl_engine_sendrec_buf(io->eng, &len);
        ssize_t n = send(io->fd, p, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                io->want = MA_NET_WRITABLE;
                return MA_ERR_PARTIAL;
            }
            io->sys_errno = errno;
            io->sys_op = "send";
            if (!io->app)
                read_alert(io);
            br_ssl_engine_close(io->eng);
            return MA_ERR_IO;
        }
        br_ssl_engine_sendrec_ack(io->eng, (size_t)n);
    }
    return MA_OK;
}

/* Read one chunk of records into the engine: 1 read, 0 EOF, MA_ERR_PARTIAL, MA_ERR_IO. */
static int pull(struct ma_tls_io *io)
{
    size_t len;
    unsigned char *p = br_ssl_engine_recvrec_buf(io->eng, &len);
    ssize_t n;

    do
        n = read(io->fd, p, len);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
        io->eof = 1;
        return 0;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            io->want = MA_NET_READABLE;
            return MA_ERR_PARTIAL;
        }
        io->sys_errno = errno;
        io->sys_op = "read";
        return MA_ERR_IO;
    }
    br_ssl_engine_recvrec_ack(io->eng, (size_t)n);
    return 1;
}

/* Feed the engine what it waits for before application data can move. Returns 1 to try again,
 * else what the caller returns: 0 for end of stream, MA_ERR_PARTIAL or MA_ERR_IO. */
static int progress(struct ma_tls_io *io, unsigned st)
{
    int r;

    if (st & BR_SSL_SENDREC) {
        r = push(io);
        return r == MA_OK ? 1 : r;
    }
    if (st & BR_SSL_RECVREC) {
        if (io->eof)
            return io->app ? 0 : MA_ERR_IO;
        r = pull(io);
        if (r == 0)
            return io->app ? 0 : MA_ERR_IO;
        return r < 0 ? r : 1;
    }
    io->want = MA_NET_READABLE;
    return MA_ERR_PARTIAL;
}

/* see tls/io.h */
int ma_tls_io_read(struct ma_tls_io *io, void *buf, size_t len)
{
    for (;;) {
        unsigned st = br_ssl_engine_current_state(io->eng);
        int r;

        if (st == BR_SSL_CLOSED)
            return br_ssl_engine_last_error(io->eng) == BR_ERR_OK ? 0 : MA_ERR_IO;
        note_state(io, st);
        if ((st & BR_SSL_RECVAPP) && !(st & BR_SSL_SENDREC)) {
            size_t avail;
            unsigned char *p = br_ssl_engine_recvapp_buf(io->eng, &avail);

            if (avail > len)
                avail = len;
            memcpy(buf, p, avail);
            br_ssl_engine_recvapp_ack(io->eng, avail);
            return (int)avail;
        }
        /* TCP EOF without close_notify once data flowed: the peer is gone all the same */
        if ((r = progress(io, st)) != 1)
            return r;
    }
}

/* see tls/io.h */
int ma_tls_io_write(struct ma_tls_io *io, const void *buf, size_t len)
{
    for (;;) {
        unsigned st = br_ssl_engine_current_state(io->eng);
        int r;

        if (st == BR_SSL_CLOSED)
            return MA_ERR_IO;
        note_state(io, st);
        if (st & BR_SSL_SENDAPP) {
            size_t avail;
            unsigned char *p = br_ssl_engine_sendapp_buf(io->eng, &avail);

            if (avail > len)
                avail = len;
            memcpy(p, buf, avail);
            br_ssl_engine_sendapp_ack(io->eng, avail);
            return (int)avail;
        }
        r = progress(io, st);
        if (r == 0)
            return MA_ERR_IO; /* EOF: nobody to write to */
        if (r != 1)
            return r;
    }
}

/* see tls/io.h */
int ma_tls_io_flush(struct ma_tls_io *io)
{
    br_ssl_engine_flush(io->eng, 0);
    if (br_ssl_engine_current_state(io->eng) == BR_SSL_CLOSED)
        return MA_ERR_IO;
    return push(io);
}

/* see tls/io.h */
int ma_tls_io_pending(const struct ma_tls_io *io)
{
    return (br_ssl_engine_current_state(io->eng) & BR_SSL_RECVAPP) != 0;
}

/* see tls/io.h */
void ma_tls_io_close_notify(struct ma_tls_io *io)
{
    if (br_ssl_engine_current_state(io->eng) != BR_SSL_CLOSED) {
        br_ssl_engine_close(io->eng);
        (void)push(io);
    }
}

/* see tls/io.h */
const char *ma_tls_io_syserr(const struct ma_tls_io *io, char *buf, size_t cap)
{
    if (io->sys_errno != 0)
        snprintf(buf, cap, "%s: %s", io->sys_op, strerror(io->sys_errno));
    else if (io->eof && !io->app)
        snprintf(buf, cap, "peer closed the connection during the TLS handshake");
    else if (cap > 0)
        buf[0] = '\0';
    return buf;
}

#define IO_OF(c) (&((struct ma_tls_io_conn *)(void *)(c))->io)

/* see tls/io.h */
int ma_tls_io_conn_flush(const struct ma_net_conn_class **c)
{
    return ma_tls_io_flush(IO_OF(c));
}

/* see tls/io.h */
unsigned ma_tls_io_conn_want(const struct ma_net_conn_class **c)
{
    return IO_OF(c)->want;
}

/* see tls/io.h */
int ma_tls_io_conn_pending(const struct ma_net_conn_class **c)
{
    return ma_tls_io_pending(IO_OF(c));
}
