#ifndef MA_KUBE_CLIENT_H
#define MA_KUBE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "http/client.h"

/* Requests to kube-apiserver: JSON GETs and watch streams over one ma_http_client, with bearer
 * token authentication. A 401 makes the token source re-read its file and the request is tried
 * once more (bound service-account tokens rotate about hourly; spec issue 3). */

struct ma_kube_client;
struct ma_kube_req;

struct ma_kube_token_source {
    /* Current token, or NULL when the client authenticates with a certificate. The string MUST
     * stay valid until the next call. */
    const char *(*get)(void *arg);
    /* Forget any cached token: the next get() re-reads the file. */
    void (*invalidate)(void *arg);
    void *arg;
};

/* A client over http (not owned; MUST outlive it). tokens MAY be NULL (certificate auth). */
struct ma_kube_client *ma_kube_client_new(struct ma_http_client *http,
                                          const struct ma_kube_token_source *tokens);
void ma_kube_client_free(struct ma_kube_client *kc);

struct ma_kube_req_params {
    const char *path;        /* "/api/v1/pods?limit=500", percent-encoded */
    const char *method;      /* NULL: GET */
    const void *body;        /* JSON body for POST (TokenReview, SubjectAccessReview) */
    size_t body_len;
    int64_t timeout_ms;      /* whole request (0: none) */
    int64_t read_timeout_ms; /* silence allowed while streaming (0: none) */
    /* streaming (watch): as in ma_http_call_params */
    void (*on_head)(int status, void *arg);
    int (*on_data)(const char *p, size_t n, void *arg);
    /* exactly once, unless cancelled; res->body holds the body of buffered requests */
    void (*on_done)(const struct ma_http_result *res, void *arg);
    void *arg;
};

/* Start a request. The path is copied. Never NULL (failures arrive through on_done). A 401 before
 * any streamed byte is retried once after tokens->invalidate(). */
struct ma_kube_req *ma_kube_request(struct ma_kube_client *kc, const struct ma_kube_req_params *p);
/* Abandon r: no callback runs afterwards. MUST NOT be called from r's own on_done (r is freed
 * when on_done returns). */
void ma_kube_req_cancel(struct ma_kube_req *r);


#endif
