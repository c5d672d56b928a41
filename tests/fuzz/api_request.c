/* Fuzz the whole API request path behind the HTTP parser: method, Accept and User-Agent
 * negotiation, path decoding, routing, fieldSelector, labelSelector / metricLabelSelector
 * parsing, the demo provider and the JSON writers. Input: raw request head bytes.
 * Invariants: every parsed request gets exactly one answer (after firing the demo's timers), its
 * status is a valid HTTP status, and a JSON answer is well-formed JSON. */
#include "../unit/api/fake.h"

#include "backend/demo.h"
#include "base/log.h"
#include "json/read.h"

#include <stdint.h>
#include <stdlib.h>

static struct ma_api_ctx api;
static const struct ma_provider_class **demo;
static jsmntok_t toks[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_http_req req;
    jsmn_parser p;
    int n;

    if (demo == NULL) {
        struct ma_backend_demo_config cfg = {1767323061, 10, 8};

        ma_log_set_verbosity(-1);
        demo = ma_backend_demo_new(NULL, &cfg);
        ma_api_init(&api, demo);
    }
    if (size > sizeof fx.raw)
        return 0;
    memcpy(fx.raw, data, size);
    n = ma_http_parse_request(fx.raw, size, NULL, &req);
    if (n < 0)
        return 0;
    fx_end();
    memset(&fx.ex, 0, sizeof fx.ex);
    fx.ex.req = req;
    ma_arena_init(&fx.arena, MA_REQ_ARENA_MAX);
    ma_buf_init_heap(&fx.body, MA_HTTP_MAX_RESPONSE);
    fx.ex.arena = &fx.arena;
    fx.ex.body = &fx.body;
    fx.ex.head_only = ma_str_eq(req.method, "HEAD");
    fx.active = 1;
    resp.calls = 0;
    ma_api_handle(&api, &fx.ex);
    while (resp.calls == 0 && fire_timers() > 0)
        ;
    if (resp.calls != 1 || resp.status < 200 || resp.status > 599)
        abort();
    if (strncmp(resp.type, "application/json", 16) == 0) {
        jsmn_init(&p);
        if (jsmn_parse(&p, resp.body, resp.len, toks, sizeof toks / sizeof toks[0]) < 1)
            abort();
    }
    fx_end();
    return 0;
}
