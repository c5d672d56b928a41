#ifndef MA_HTTP_CLIENT_IMPL_H
#define MA_HTTP_CLIENT_IMPL_H

/* PRIVATE to the HTTP client: http/client.c (calls, connections, the idle pool, timers, connect
 * and send) and http/clientread.c (reading a response). Nothing else includes this header. */

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/chunked.h"
#include "http/client.h"
#include "http/parse.h"
#include "http/target.h"
#include "net/conn.h"
#include "net/resolv.h"

/* Per-call read buffer for chunked and streamed bodies. */
#define MA_HTTP_CLIENT_RBUF (16 * 1024)
/* Largest read straight into a buffered fixed-length body. */
#define MA_HTTP_CLIENT_DIRECT_READ (64 * 1024)
/* Reads per socket event before other descriptors get their turn (watch streams can be busy). */
#define MA_HTTP_CLIENT_READS_PER_EVENT 16

enum call_state {
    CS_QUEUED,     /* waiting for the 0 ms timer: callbacks never run inside _start */
    CS_RESOLVING,  /* waiting for the resolver to answer for the host name */
    CS_CONNECTING, /* TCP connect in progress */
    CS_SENDING,    /* writing the request (a TLS handshake runs inside the writes) */
    CS_WAIT_HEAD,
    CS_BODY,
    CS_DONE
};

enum body_mode { BM_NONE, BM_LENGTH, BM_CHUNKED, BM_CLOSE };

/* Results of a step: the state changed and the next step can run, or we wait for an event, or
 * the call has finished (and MUST NOT be touched beyond its reference count). */
enum { STEP_AGAIN, STEP_WAIT, STEP_DONE };

struct hconn {
    struct ma_http_client *cl;
    struct hconn *next, *prev;          /* idle pool, most recently used first */
    const struct ma_net_conn_class **t; /* NULL while the TCP connect is in progress */
    int fd;
    int64_t idle_since;
    struct ma_http_call *call; /* NULL while idle */
};

struct ma_http_call {
    struct ma_http_client *cl; /* NULL once finished */
    struct ma_http_call *next, *prev;
    struct ma_http_call_params p; /* callbacks, arg and timeouts; its pointers are not kept */
    char what[96];                /* "GET /api/v1/pods" for messages */
    int idempotent, is_head;
    enum call_state state;
    int refs; /* our frames on the stack that still use the call */
    uint64_t timer;
    int in_timer;
    int start_err;
    struct ma_errmsg start_em;
    int64_t t_start, t_conn, t_progress;
    struct hconn *conn;
    struct ma_net_lookup *lookup; /* CS_RESOLVING */
    struct ma_net_addrs addrs;    /* this call's copy: tried in order */
    size_t addr_idx;
    int reused, retried, fresh;
    struct ma_buf out; /* the whole request */
    size_t out_off;
    char *head; /* response head and the body bytes that came with it */
    size_t head_len, head_cap, head_used;
    struct ma_http_resp resp;
    enum body_mode mode;
    long long left; /* BM_LENGTH: body bytes still expected */
    int extra;      /* bytes beyond the response: the connection cannot be reused */
    struct ma_http_chunked dec;
    struct ma_buf body;
    char *rbuf;
    struct ma_http_result res;
};

struct ma_http_client {
    struct ma_net_loop *loop;
    struct ma_http_target tg;
    struct ma_net_resolver *resolver; /* borrowed; NULL for an IP literal */
    struct ma_tls_client *tlsc;
    int64_t connect_timeout_ms, idle_timeout_ms;
    size_t max_response;
    int max_idle, nidle;
    struct hconn *idle; /* most recently used first */
    uint64_t idle_timer;
    struct ma_http_call *calls;
};

/* End the call with err (and a message from fmt, or none), keep the connection in the idle pool
 * when keep_conn and err == MA_OK (else close it), then run on_done. Always STEP_DONE; the call
 * MUST NOT be used afterwards except through a reference held by the caller's frame. */
int ma_http_call_finish(struct ma_http_call *call, int err, int keep_conn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A transport error rc while doing `what` ("read response from"): retries a GET once on a fresh
 * connection when a reused one failed before any response byte (STEP_AGAIN), else finishes with
 * MA_ERR_IO and the transport's reason (STEP_DONE). */
int ma_http_call_io_failed(struct ma_http_call *call, int rc, const char *what);
/* Watch the call's connection for mask (READABLE when 0): STEP_WAIT, or STEP_DONE when the loop
 * refuses the descriptor. */
int ma_http_call_wait(struct ma_http_call *call, unsigned mask);
/* In CS_WAIT_HEAD / CS_BODY: read and process what the connection has. STEP_WAIT (watching),
 * STEP_AGAIN (retrying on a new connection) or STEP_DONE. */
int ma_http_call_read(struct ma_http_call *call);

#endif
