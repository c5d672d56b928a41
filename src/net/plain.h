#ifndef MA_NET_PLAIN_H
#define MA_NET_PLAIN_H

#include <stddef.h>
#include <sys/socket.h>

#include "net/conn.h"

struct ma_errmsg;

/* Outgoing TCP connections and the plain (no TLS) transport over them, for http:// backends such
 * as Open-Falcon. Every socket is non-blocking and close-on-exec; writes never raise SIGPIPE. */

/* Start connecting to sa (IPv4 or IPv6) without blocking. Returns the socket (>= 0), whose
 * connection completes in the background: wait until it is writable, then ask
 * ma_net_plain_connected. MA_ERR_IO with em set ("connect to 10.0.0.1:80: Connection refused")
 * when the attempt fails at once (nothing to close then). TCP_NODELAY is set (requests are
 * written whole; Nagle would only delay them). */
int ma_net_plain_connect(const struct sockaddr *sa, socklen_t salen, struct ma_errmsg *em);

/* Outcome of the connect started on fd: MA_OK connected, MA_ERR_PARTIAL still in progress (a
 * spurious wake-up), MA_ERR_IO failed (em says why, e.g. "Connection refused"; the caller still
 * owns and closes fd). */
int ma_net_plain_connected(int fd, struct ma_errmsg *em);

/* The plain transport over the connected socket fd (ownership passes; close() closes it). Its
 * write sends at once (nothing is queued, flush is a no-op); pending is always 0; peer is NULL. */
const struct ma_net_conn_class **ma_net_plain_new(int fd);

/* "10.0.0.1:80" or "[::1]:443" into out[0..cap) (NUL-terminated, truncated if needed). */
void ma_net_plain_addr_str(const struct sockaddr *sa, char *out, size_t cap);

#endif
