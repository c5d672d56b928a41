#ifndef MA_TLS_IO_H
#define MA_TLS_IO_H

#include <stddef.h>

#include <bearssl.h>

/* The record pump shared by the TLS server and client transports: moves BearSSL records between
 * an engine and a non-blocking socket, and implements a transport's read, write and flush on top
 * (net/conn.h semantics). The only code that does socket I/O for TLS. */
struct ma_tls_io {
    br_ssl_engine_context *eng;
    int fd;
    unsigned want;      /* MA_NET_READABLE / MA_NET_WRITABLE needed after MA_ERR_PARTIAL */
    int eof;            /* the peer closed its side of the TCP connection */
    int app;            /* application data can flow: the handshake is over */
    int sys_errno;      /* errno behind the last MA_ERR_IO from a syscall, else 0 */
    const char *sys_op; /* the syscall that failed: "read" or "send" */
};

/* Set up io over engine eng (already reset) and socket fd; want is the first event to wait for
 * (a server reads the ClientHello, a client writes its own). */
void ma_tls_io_init(struct ma_tls_io *io, br_ssl_engine_context *eng, int fd, unsigned want);

/* Transport operations (net/conn.h): read returns > 0 bytes, 0 at the end of the stream (a
 * close_notify, or TCP EOF once application data flowed), MA_ERR_PARTIAL, or MA_ERR_IO (also for
 * EOF during the handshake). write returns bytes accepted, MA_ERR_PARTIAL or MA_ERR_IO. flush
 * returns MA_OK when every record is on the socket. */
int ma_tls_io_read(struct ma_tls_io *io, void *buf, size_t len);
int ma_tls_io_write(struct ma_tls_io *io, const void *buf, size_t len);
int ma_tls_io_flush(struct ma_tls_io *io);
/* 1 while decrypted bytes wait in the engine. */
int ma_tls_io_pending(const struct ma_tls_io *io);
/* Best-effort close_notify: one non-blocking attempt, no waiting for the peer's. */
void ma_tls_io_close_notify(struct ma_tls_io *io);
/* The socket-level cause of the last failure ("read: Connection reset by peer", "peer closed the
 * connection during the TLS handshake"), or "" when the failure was not a socket's. */
const char *ma_tls_io_syserr(const struct ma_tls_io *io, char *buf, size_t cap);

/* Transports whose struct begins with the vtable pointer followed by their struct ma_tls_io
 * (tls/server.c, tls/client.c) use these vtable entries as they are. */
struct ma_net_conn_class;
struct ma_tls_io_conn {
    const struct ma_net_conn_class *vtable;
    struct ma_tls_io io;
};

int ma_tls_io_conn_flush(const struct ma_net_conn_class **c);
unsigned ma_tls_io_conn_want(const struct ma_net_conn_class **c);
int ma_tls_io_conn_pending(const struct ma_net_conn_class **c);

#endif
