#ifndef MA_API_REQ_H
#define MA_API_REQ_H

#include "api/route.h"
#include "api/status.h"
#include "provider/provider.h"

struct ma_api_ctx;
struct ma_http_exchange;
struct ma_json_w;
struct ma_kube_selector;

/* One API request in flight, and the answering helpers the handlers of src/api/ share. Private to
 * src/api/. A request is answered exactly once through one of the ma_api_req_* answering calls
 * (begin+end, status, fail, text) or ma_api_req_query; after that r and the exchange are gone. */
struct ma_api_req {
    struct ma_api_ctx *api;
    struct ma_http_exchange *ex;
    struct ma_api_route route;
    const char *path; /* decoded path (arena), route slices point into it */
    int pretty;       /* indented JSON without the trailing newline */
    int accept_ok;    /* the Accept header allows JSON */
    struct ma_prov_query q;
    /* what to write once q succeeded */
    void (*answer)(struct ma_api_req *r);
    /* the provider's generation when q started (memo_armed: the answer may be stored) */
    int memo_armed;
    uint64_t memo_gen;
};

/* ---- query parameters ------------------------------------------------------------------------ */

/* Decoded value of query parameter `key` as a NUL-terminated string in the request arena.
 * Returns 1 (found), 0 (absent), or -1 after answering 400 (bad %-encoding) or 500 (arena full). */
int ma_api_req_param(struct ma_api_req *r, const char *key, const char **value);

/* Parse label-selector parameter `key` (labelSelector, metricLabelSelector) into an arena
 * selector. *sel is NULL when the parameter is absent or selects everything. Returns 0, or -1
 * after answering 400 BadRequest with the parser's message. */
int ma_api_req_selector(struct ma_api_req *r, const char *key, struct ma_kube_selector **sel);

/* Check the fieldSelector parameter (ma_api_fieldsel_check) for a request naming object `name`,
 * or for a list request when name.p is NULL. Returns 0, or -1 after answering 400 (500 when the
 * arena is full). */
int ma_api_req_fields(struct ma_api_req *r, struct ma_str name);

/* Copy s into the arena as a C string; NULL when the arena is full. */
char *ma_api_req_strdup(struct ma_api_req *r, struct ma_str s);

/* ---- answering ------------------------------------------------------------------------------- */

/* Start a success document (2xx). Returns 1 with w ready on the exchange body; 0 when the client
 * accepts no JSON, in which case 406 NotAcceptable was answered instead and w is unusable. */
int ma_api_req_begin(struct ma_api_req *r, struct ma_json_w *w);
/* Finish the document started by ma_api_req_begin (or any JSON written to the body with the
 * request's pretty flag) and answer it with `status` as application/json. */
void ma_api_req_end(struct ma_api_req *r, struct ma_json_w *w, int status);
/* Answer a metav1.Status. */
void ma_api_req_status(struct ma_api_req *r, const struct ma_api_status *st);
/* Answer the Status of ma_api_status_for(code, printf(fmt, ...)). */
void ma_api_req_fail(struct ma_api_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer text/plain; charset=utf-8 with X-Content-Type-Options: nosniff (Go's http.Error and
 * healthz headers). */
void ma_api_req_text(struct ma_api_req *r, int status, const char *text);

/* Run r->q (kind, inputs and arena filled) on the provider and, once it completes, answer its
 * failure as a Status or call answer(r). May return before the answer (asynchronous provider). */
void ma_api_req_query(struct ma_api_req *r, void (*answer)(struct ma_api_req *r));

#endif
