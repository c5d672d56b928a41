#ifndef MA_TESTS_API_FAKE_H
#define MA_TESTS_API_FAKE_H

/* Fakes that let a unit test drive ma_api_handle without a server or an event loop. This header
 * DEFINES ma_http_respond, ma_net_loop_add_timer and ma_net_loop_del_timer, so the archive's
 * server.o and loop.o are never linked into the test: include it in exactly one file. */

#include "api/api.h"
#include "base/buf.h"
#include "base/mem.h"
#include "http/parse.h"
#include "http/server.h"
#include "net/loop.h"
#include "t.h"

#include <stdio.h>
#include <string.h>

/* ---- the recorded response ------------------------------------------------------------------- */

static struct {
    int calls;
    int status;
    char type[128];
    char headers[256];
    char *body; /* NUL-terminated copy */
    size_t len;
} resp;

void ma_http_respond(struct ma_http_exchange *ex, int status, const char *content_type,
                     const char *extra_headers)
{
    resp.calls++;
    /* what server.c promises: an overflowing body becomes a 500 */
    resp.status = ex->body->err ? 500 : status;
    snprintf(resp.type, sizeof resp.type, "%s", content_type ? content_type : "");
    snprintf(resp.headers, sizeof resp.headers, "%s", extra_headers ? extra_headers : "");
    resp.body = ma_xrealloc(resp.body, ex->body->len + 1);
    memcpy(resp.body, ex->body->p ? ex->body->p : "", ex->body->len);
    resp.body[ex->body->len] = '\0';
    resp.len = ex->body->len;
    ex->on_abort = NULL;
}

/* ---- timers fired by hand -------------------------------------------------------------------- */

#define FAKE_TIMERS 16

static struct {
    int live;
    uint64_t id;
    int64_t delay_ms;
    ma_net_timer_fn fn;
    void *arg;
} timers[FAKE_TIMERS];
static uint64_t next_timer_id = 1;
static int timers_deleted;

uint64_t ma_net_loop_add_timer(struct ma_net_loop *loop, int64_t delay_ms, ma_net_timer_fn fn,
                               void *arg)
{
    int i;

    (void)loop;
    for (i = 0; i < FAKE_TIMERS; i++) {
        if (!timers[i].live) {
            timers[i].live = 1;
            timers[i].id = next_timer_id++;
            timers[i].delay_ms = delay_ms;
            timers[i].fn = fn;
            timers[i].arg = arg;
            return timers[i].id;
        }
    }
    fprintf(stderr, "fake: out of timers\n");
    abort();
}

void ma_net_loop_del_timer(struct ma_net_loop *loop, uint64_t id)
{
    int i;

    (void)loop;
    for (i = 0; i < FAKE_TIMERS; i++) {
        if (timers[i].live && timers[i].id == id) {
            timers[i].live = 0;
            timers_deleted++;
        }
    }
}

static inline int live_timers(void)
{
    int i, n = 0;

    for (i = 0; i < FAKE_TIMERS; i++)
        n += timers[i].live;
    return n;
}

/* Fire every live timer once (they all return STOP in our code); returns how many fired. */
static inline int fire_timers(void)
{
    int i, n = 0;

    for (i = 0; i < FAKE_TIMERS; i++) {
        if (timers[i].live) {
            timers[i].live = 0;
            timers[i].fn(NULL, timers[i].arg);
            n++;
        }
    }
    return n;
}

/* ---- one exchange at a time ------------------------------------------------------------------ */

static struct {
    int active;
    char raw[8192];
    struct ma_http_exchange ex;
    struct ma_arena arena;
    struct ma_buf body;
} fx;

static void fx_end(void)
{
    if (!fx.active)
        return;
    ma_arena_free(&fx.arena);
    ma_buf_free(&fx.body);
    fx.active = 0;
}

/* Send "<method> <target> HTTP/1.1" with extra header lines (each ending in \r\n, or NULL) to
 * ma_api_handle. Returns the recorded status, or 0 if no answer came (yet). */
static int fx_send(struct ma_api_ctx *api, const char *method, const char *target,
                   const char *headers)
{
    int n;

    fx_end();
    memset(&fx.ex, 0, sizeof fx.ex);
    n = snprintf(fx.raw, sizeof fx.raw, "%s %s HTTP/1.1\r\nHost: test\r\n%s\r\n", method, target,
                 headers ? headers : "");
    if (ma_http_parse_request(fx.raw, (size_t)n, NULL, &fx.ex.req) != n) {
        fprintf(stderr, "fake: cannot parse request for %s\n", target);
        abort();
    }
    ma_arena_init(&fx.arena, MA_REQ_ARENA_MAX);
    ma_buf_init_heap(&fx.body, MA_HTTP_MAX_RESPONSE);
    fx.ex.arena = &fx.arena;
    fx.ex.body = &fx.body;
    fx.ex.head_only = strcmp(method, "HEAD") == 0;
    fx.active = 1;
    resp.calls = 0;
    resp.status = 0;
    resp.len = 0;
    ma_api_handle(api, &fx.ex);
    return resp.calls ? resp.status : 0;
}

static inline int fx_get(struct ma_api_ctx *api, const char *target)
{
    return fx_send(api, "GET", target, NULL);
}

static void fx_cleanup(void)
{
    fx_end();
    free(resp.body);
    resp.body = NULL;
}

/* Compare the recorded body with want; print both on mismatch. */
#define CHECK_BODY(want)                                                                           \
    do {                                                                                           \
        const char *w_ = (want);                                                                   \
        if (resp.body == NULL || resp.len != strlen(w_) || memcmp(resp.body, w_, resp.len) != 0) { \
            fprintf(stderr, "%s:%d: body mismatch\n  got:  [%s]\n  want: [%s]\n", __FILE__,        \
                    __LINE__, resp.body ? resp.body : "(none)", w_);                               \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

#endif
