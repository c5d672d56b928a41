#include "http/client_impl.h"

#include <string.h>

#include "base/mem.h"
#include "base/time.h"
#include "net/loop.h"

/* Reading a response: the head (1xx interim responses skipped), then the body as its framing
 * says (RFC 9112 6.3): none (HEAD, 204, 304), Content-Length, chunked, or until the server
 * closes. A response that leaves bytes after its end makes the connection unfit for reuse. */

static int complete(struct ma_http_call *call)
{
    const struct ma_net_conn_class **t = call->conn->t;
    int reuse =
        call->resp.keep_alive && call->mode != BM_CLOSE && !call->extra && !(*t)->pending(t);

    return ma_http_call_finish(call, MA_OK, reuse, NULL);
}

/* Hand body bytes to the caller: on_data (streaming) or the body buffer. STEP_AGAIN to go on. */
static int sink(struct ma_http_call *call, const char *p, size_t n)
{
    if (n == 0)
        return STEP_AGAIN;
    if (call->p.on_data != NULL) {
        int rc;

        call->refs++;
        rc = call->p.on_data(call, p, n, call->p.arg);
        call->refs--;
        if (call->state == CS_DONE)
            return STEP_DONE; /* cancelled (or the client freed) inside on_data */
        if (rc != MA_OK)
            return ma_http_call_finish(call, rc, 0, "%s on %s: aborted by the receiver (%s)",
                                       call->what, call->cl->tg.where, ma_err_name(rc));
        return STEP_AGAIN;
    }
    if (n > call->cl->max_response - call->body.len)
        return ma_http_call_finish(call, MA_ERR_LIMIT, 0,
                                   "%s on %s: response body exceeds the limit of %zu bytes",
                                   call->what, call->cl->tg.where, call->cl->max_response);
    ma_buf_append(&call->body, p, n);
    return STEP_AGAIN;
}

/* Body bytes p[0..n) just received (chunked framing is removed in place). */
static int feed_body(struct ma_http_call *call, char *p, size_t n)
{
    size_t len = n;
    int rc;

    switch (call->mode) {
    case BM_NONE:
        call->extra |= n > 0;
        return complete(call);
    case BM_LENGTH:
        if ((long long)n > call->left) {
            call->extra = 1;
            len = (size_t)call->left;
        }
        call->left -= (long long)len;
        if (sink(call, p, len) != STEP_AGAIN)
            return STEP_DONE;
        return call->left == 0 ? complete(call) : STEP_AGAIN;
    case BM_CHUNKED:
        rc = ma_http_chunked_decode(&call->dec, p, &len);
        if (rc < 0 && rc != MA_ERR_PARTIAL)
            return ma_http_call_finish(call, MA_ERR_SYNTAX, 0, "%s on %s: malformed chunked body",
                                       call->what, call->cl->tg.where);
        if (sink(call, p, len) != STEP_AGAIN)
            return STEP_DONE;
        if (rc == MA_ERR_PARTIAL)
            return STEP_AGAIN;
        call->extra |= rc > 0;
        return complete(call);
    case BM_CLOSE:
        return sink(call, p, n);
    }
    return STEP_AGAIN;
}

/* The head is in call->head[0..hlen): choose the body framing and feed what came after it. */
static int start_body(struct ma_http_call *call, size_t hlen)
{
    struct ma_http_resp *r = &call->resp;

    call->head_used = hlen;
    if (call->is_head || r->status == 204 || r->status == 304) {
        call->mode = BM_NONE;
    } else if (r->chunked) {
        call->mode = BM_CHUNKED;
        ma_http_chunked_init(&call->dec);
    } else if (r->content_length >= 0) {
        call->mode = BM_LENGTH;
        call->left = r->content_length;
        if (call->p.on_data == NULL &&
            (unsigned long long)r->content_length > call->cl->max_response)
            return ma_http_call_finish(
                call, MA_ERR_LIMIT, 0,
                "%s on %s: response body of %lld bytes exceeds the limit of %zu bytes", call->what,
                call->cl->tg.where, r->content_length, call->cl->max_response);
    } else {
        call->mode = BM_CLOSE;
    }
    call->state = CS_BODY;
    if (call->p.on_data != NULL && call->p.on_head != NULL) {
        call->refs++;
        call->p.on_head(call, r->status, call->p.arg);
        call->refs--;
        if (call->state == CS_DONE)
            return STEP_DONE;
    }
    if (call->mode == BM_NONE || (call->mode == BM_LENGTH && call->left == 0) ||
        call->head_len > hlen)
        return feed_body(call, call->head + hlen, call->head_len - hlen);
    return STEP_AGAIN;
}

/* Parse what the head buffer holds. STEP_AGAIN: read more (or the body started); else done. */
static int try_head(struct ma_http_call *call)
{
    for (;;) {
        int rc = ma_http_parse_response(call->head, call->head_len, MA_HTTP_CLIENT_MAX_HEAD,
                                        &call->resp);

        if (rc == MA_ERR_PARTIAL)
            return STEP_AGAIN;
        if (rc == MA_ERR_LIMIT)
            return ma_http_call_finish(call, MA_ERR_LIMIT, 0,
                                       "%s on %s: response head exceeds %d bytes", call->what,
                                       call->cl->tg.where, MA_HTTP_CLIENT_MAX_HEAD);
        if (rc < 0)
            return ma_http_call_finish(call, MA_ERR_SYNTAX, 0, "%s on %s: malformed response head",
                                       call->what, call->cl->tg.where);
        if (call->resp.status >= 200 || call->resp.status == 101) {
            if (call->resp.status == 101)
                return ma_http_call_finish(call, MA_ERR_SYNTAX, 0,
                                           "%s on %s: unexpected 101 Switching Protocols",
                                           call->what, call->cl->tg.where);
            return start_body(call, (size_t)rc);
        }
        /* 1xx interim responses (100, 103) carry no body: drop them */
        memmove(call->head, call->head + rc, call->head_len - (size_t)rc);
        call->head_len -= (size_t)rc;
    }
}

static int on_eof(struct ma_http_call *call)
{
    struct ma_http_client *c = call->cl;

    if (call->state == CS_WAIT_HEAD) {
        if (call->head_len == 0)
            return ma_http_call_io_failed(call, MA_ERR_IO, "read response from");
        return ma_http_call_finish(call, MA_ERR_IO, 0,
                                   "%s on %s: connection closed inside the response head",
                                   call->what, c->tg.where);
    }
    switch (call->mode) {
    case BM_CLOSE:
        return complete(call);
    case BM_LENGTH:
        return ma_http_call_finish(call, MA_ERR_IO, 0,
                                   "%s on %s: connection closed after %lld of %lld body bytes",
                                   call->what, c->tg.where, call->resp.content_length - call->left,
                                   call->resp.content_length);
    default:
        return ma_http_call_finish(call, MA_ERR_IO, 0,
                                   "%s on %s: connection closed inside the chunked body",
                                   call->what, c->tg.where);
    }
}

/* Where the next read goes: the head buffer, straight into a buffered fixed-length body, or the
 * read buffer. 0 when the head buffer is full. */
static size_t read_target(struct ma_http_call *call, char **p, int *direct)
{
    *direct = 0;
    if (call->state == CS_WAIT_HEAD) {
        if (call->head_len == call->head_cap) {
            if (call->head_cap >= MA_HTTP_CLIENT_MAX_HEAD)
                return 0;
            call->head_cap = call->head_cap ? call->head_cap * 2 : 4096;
            call->head = ma_xrealloc(call->head, call->head_cap);
        }
        *p = call->head + call->head_len;
        return call->head_cap - call->head_len;
    }
    if (call->mode == BM_LENGTH && call->p.on_data == NULL) {
        size_t n = call->left < MA_HTTP_CLIENT_DIRECT_READ ? (size_t)call->left
                                                           : MA_HTTP_CLIENT_DIRECT_READ;

        if (ma_buf_reserve(&call->body, n) == MA_OK) {
            *p = call->body.p + call->body.len;
            *direct = 1;
            return n;
        }
    }
    if (call->rbuf == NULL)
        call->rbuf = ma_xmalloc(MA_HTTP_CLIENT_RBUF);
    *p = call->rbuf;
    return MA_HTTP_CLIENT_RBUF;
}

/* see http/client_impl.h */
int ma_http_call_read(struct ma_http_call *call)
{
    const struct ma_net_conn_class **t = call->conn->t;
    int i, n, direct, r;

    for (i = 0;; i++) {
        char *p;
        size_t cap = read_target(call, &p, &direct);

        if (cap == 0)
            return ma_http_call_finish(call, MA_ERR_LIMIT, 0,
                                       "%s on %s: response head exceeds %d bytes", call->what,
                                       call->cl->tg.where, MA_HTTP_CLIENT_MAX_HEAD);
        n = (*t)->read(t, p, cap);
        if (n == MA_ERR_PARTIAL) {
            if ((*t)->pending(t))
                continue;
            return ma_http_call_wait(call, (*t)->want(t));
        }
        if (n < 0)
            return ma_http_call_io_failed(call, n, "read response from");
        if (n == 0)
            return on_eof(call);
        call->t_progress = ma_time_mono_ms();
        if (call->state == CS_WAIT_HEAD) {
            call->head_len += (size_t)n;
            r = try_head(call);
        } else if (direct) {
            call->body.len += (size_t)n;
            call->left -= n;
            r = call->left == 0 ? complete(call) : STEP_AGAIN;
        } else {
            r = feed_body(call, p, (size_t)n);
        }
        if (r != STEP_AGAIN || call->state == CS_DONE)
            return STEP_DONE;
        if (i >= MA_HTTP_CLIENT_READS_PER_EVENT && !(*t)->pending(t))
            return ma_http_call_wait(call, MA_NET_READABLE);
    }
}
