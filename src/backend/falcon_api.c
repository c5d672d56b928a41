#include "backend/falcon_api.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "http/client.h"
#include "json/write.h"
#include "net/loop.h"

/* ==== counter form =========================================================================== */

struct tag {
    const char *k, *v;
    size_t klen, vlen;
};

/* Bytes Falcon's graph refuses in a series name (its IsValidString: '\r', '\n', '\0' and the like), plus the space
 * DictedTagstring would silently drop: refusing is clearer than guessing. */
static int bad_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '>';
}

static int key_cmp(const struct tag *a, const struct tag *b)
{
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->k, b->k, n);

    return c != 0 ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* see backend/falcon_api.h */
int ma_falcon_counter_normalize(const char *in, char *out, size_t cap)
{
    struct tag tags[MA_FALCON_MAX_TAGS];
    const char *slash = strchr(in, '/'), *p, *end;
    size_t mlen, len, i, j, ntags = 0;

    for (p = in; *p; p++)
        if (bad_byte((unsigned char)*p))
            return MA_ERR_SYNTAX;
    mlen = slash ? (size_t)(slash - in) : strlen(in);
    if (mlen == 0)
        return MA_ERR_SYNTAX;
    /* Falcon's SortedTags: "k=v" split at the first '=', sorted by key */
    for (p = slash ? slash + 1 : in + mlen; *p; p = *end ? end + 1 : end) {
        const char *eq;

        end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL || eq == p)
            return MA_ERR_SYNTAX;
        if (ntags == MA_FALCON_MAX_TAGS)
            return MA_ERR_LIMIT;
        tags[ntags] = (struct tag){p, eq + 1, (size_t)(eq - p), (size_t)(end - eq - 1)};
        for (j = ntags; j > 0 && key_cmp(&tags[j - 1], &tags[j]) > 0; j--) {
            struct tag t = tags[j];
            tags[j] = tags[j - 1];
            tags[j - 1] = t;
        }
        if (j > 0 && key_cmp(&tags[j - 1], &tags[j]) == 0)
            return MA_ERR_SYNTAX; /* "later duplicates win" in Falcon: a typo either way */
        ntags++;
        if (*end == ',' && end[1] == '\0')
            return MA_ERR_SYNTAX; /* trailing comma: an empty tag */
    }
    len = mlen;
    for (i = 0; i < ntags; i++)
        len += 2 + tags[i].klen + tags[i].vlen;
    if (len >= cap)
        return MA_ERR_NOSPACE;
    memcpy(out, in, mlen);
    len = mlen;
    for (i = 0; i < ntags; i++) {
        out[len++] = i == 0 ? '/' : ',';
        memcpy(out + len, tags[i].k, tags[i].klen);
        len += tags[i].klen;
        out[len++] = '=';
        memcpy(out + len, tags[i].v, tags[i].vlen);
        len += tags[i].vlen;
    }
    out[len] = '\0';
    return (int)len;
}

/* ==== request ================================================================================ */

/* see backend/falcon_api.h */
const char *ma_falcon_path(enum ma_falcon_flavour flavour)
{
    return flavour == MA_FALCON_GRAPH_LAST ? "/graph/last" : "/api/v1/graph/lastpoint";
}

/* see backend/falcon_api.h */
int ma_falcon_body_write(struct ma_buf *out, const struct ma_falcon_pair *pairs, size_t n)
{
    struct ma_json_w w;
    size_t i;

    ma_json_w_init(&w, out, 0);
    ma_json_w_arr_begin(&w);
    for (i = 0; i < n; i++) {
        ma_json_w_obj_begin(&w);
        ma_json_w_key(&w, "endpoint");
        ma_json_w_str(&w, pairs[i].endpoint);
        ma_json_w_key(&w, "counter");
        ma_json_w_str(&w, pairs[i].counter);
        ma_json_w_obj_end(&w);
    }
    ma_json_w_arr_end(&w);
    return ma_json_w_end(&w) == MA_OK ? MA_OK : MA_ERR_NOSPACE;
}

/* see backend/falcon_api.h */
int ma_falcon_token_write(struct ma_buf *out, const char *name, const char *sig)
{
    struct ma_json_w w;

    /* json.Marshal of map{"name","sig"}: keys sorted, no spaces: the header falcon-plus's
     * api decodes with encoding/json */
    ma_json_w_init(&w, out, 0);
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "name");
    ma_json_w_str(&w, name);
    ma_json_w_key(&w, "sig");
    ma_json_w_str(&w, sig);
    ma_json_w_obj_end(&w);
    return ma_json_w_end(&w) == MA_OK ? MA_OK : MA_ERR_NOSPACE;
}

/* ==== reply ================================================================================== */

static int read_ts(const struct ma_json_doc *d, int tok, int64_t *ts)
{
    double f;

    if (tok < 0 || ma_json_is_null(d, tok)) {
        *ts = 0;
        return MA_OK;
    }
    if (ma_json_i64(d, tok, ts) == MA_OK)
        return MA_OK;
    if (ma_json_f64(d, tok, &f) != MA_OK || !(f > -9.2e18 && f < 9.2e18))
        return MA_ERR_SYNTAX;
    *ts = (int64_t)f;
    return MA_OK;
}

/* The request pairs indexed by endpoint and counter, so each reply element costs one hash probe:
 * matching by scanning every pair made a 5,000-series reply cost 25 million comparisons. Equal
 * request pairs are chained (next), since each of them gets the answer. */
struct pair_index {
    uint32_t *slot; /* first pair index + 1 with that key; 0: empty. mask + 1 slots */
    uint32_t *next; /* next equal pair + 1, 0: end */
    size_t mask;
};

static uint32_t pair_hash(const char *ep, const char *ct)
{
    uint32_t h = 2166136261u;

    for (; *ep != '\0'; ep++)
        h = (h ^ (unsigned char)*ep) * 16777619u;
    h = (h ^ 0xff) * 16777619u; /* a byte no string holds: "a"+"bc" differs from "ab"+"c" */
    for (; *ct != '\0'; ct++)
        h = (h ^ (unsigned char)*ct) * 16777619u;
    return h ^ (h >> 15);
}

static void index_build(struct pair_index *ix, const struct ma_falcon_pair *pairs, size_t n)
{
    size_t cap = 16, i;

    while (cap < 2 * n)
        cap *= 2;
    ix->mask = cap - 1;
    ix->slot = ma_xcalloc(cap, sizeof *ix->slot);
    ix->next = ma_xcalloc(n ? n : 1, sizeof *ix->next);
    /* backwards, so each chain runs in request order */
    for (i = n; i-- > 0;) {
        size_t j = pair_hash(pairs[i].endpoint, pairs[i].counter) & ix->mask;

        while (ix->slot[j] != 0) {
            const struct ma_falcon_pair *q = &pairs[ix->slot[j] - 1];

            if (strcmp(q->endpoint, pairs[i].endpoint) == 0 &&
                strcmp(q->counter, pairs[i].counter) == 0)
                break;
            j = (j + 1) & ix->mask;
        }
        ix->next[i] = ix->slot[j];
        ix->slot[j] = (uint32_t)i + 1;
    }
}

static void index_free(struct pair_index *ix)
{
    free(ix->slot);
    free(ix->next);
}

/* Mark every request pair equal to {ep, ct}. The element's strings are decoded once: comparing
 * the JSON text against pairs (escapes decoded on each comparison) cost millions of
 * instructions per reply. */
static void match(const struct ma_json_doc *d, int ep, int ct, const struct ma_falcon_pair *pairs,
                  const struct pair_index *ix, struct ma_falcon_point *points,
                  const struct ma_falcon_point *pt)
{
    char epb[MA_FALCON_MAX_ENDPOINT + 1], ctb[MA_FALCON_MAX_COUNTER + 1];
    int elen = ma_json_str(d, ep, epb, sizeof epb), clen = ma_json_str(d, ct, ctb, sizeof ctb);
    size_t j;
    uint32_t i;

    /* longer than any pair, or holding a NUL (\u0000): equal to no request pair */
    if (elen < 0 || clen < 0 || strlen(epb) != (size_t)elen || strlen(ctb) != (size_t)clen)
        return;
    for (j = pair_hash(epb, ctb) & ix->mask; (i = ix->slot[j]) != 0; j = (j + 1) & ix->mask) {
        if (strcmp(pairs[i - 1].endpoint, epb) != 0 || strcmp(pairs[i - 1].counter, ctb) != 0)
            continue;
        for (; i != 0; i = ix->next[i - 1])
            points[i - 1] = *pt;
        return;
    }
}

/* see backend/falcon_api.h */
int ma_falcon_reply_parse(const char *body, size_t len, const struct ma_falcon_pair *pairs,
                          size_t n, struct ma_falcon_point *points, jsmntok_t *toks, int max,
                          struct ma_errmsg *em)
{
    struct ma_json_doc d;
    struct ma_errmsg jem;
    struct pair_index ix;
    int it = 0, el, rc;
    size_t i, found = 0;

    memset(points, 0, n * sizeof *points);
    rc = ma_json_parse(&d, body, len, toks, max, &jem);
    if (rc != MA_OK) {
        ma_errmsg_set(em, "malformed reply: %s", jem.msg);
        return MA_ERR_UPSTREAM;
    }
    if (toks[0].type == JSMN_OBJECT) {
        /* JSONR {"error":..} (falcon-plus 2.2) or StdRender {"msg":..} (query module 2.6) */
        int e = ma_json_get(&d, 0, "error");
        char msg[MA_ERRMSG_SIZE];
        int mlen, k;

        if (e < 0)
            e = ma_json_get(&d, 0, "msg");
        mlen = e >= 0 ? ma_json_str(&d, e, msg, sizeof msg) : -1;

        if (mlen == MA_ERR_NOSPACE)
            mlen = (int)strlen(msg);
        for (k = 0; k < mlen; k++) /* it ends up in a log line and an HPA condition */
            if ((unsigned char)msg[k] < 0x20 || msg[k] == 0x7f)
                msg[k] = ' ';
        if (mlen > 0)
            ma_errmsg_set(em, "%.*s", mlen, msg);
        else if (mlen == 0)
            ma_errmsg_set(em, "error reply without a message");
        else
            ma_errmsg_set(em, "malformed reply: an object, not an array");
        return MA_ERR_UPSTREAM;
    }
    if (toks[0].type != JSMN_ARRAY) {
        ma_errmsg_set(em, "malformed reply: not a JSON array");
        return MA_ERR_UPSTREAM;
    }
    /* [{"endpoint":"e","counter":"c","value":{"timestamp":1617866100,"value":43.000000}},...] */
    index_build(&ix, pairs, n);
    while ((el = ma_json_next(&d, 0, &it, NULL)) >= 0) {
        struct ma_falcon_point pt = {1, 1, 0, 0};
        int ep = ma_json_get(&d, el, "endpoint"), ct = ma_json_get(&d, el, "counter");
        int val = ma_json_get(&d, el, "value"), v;

        if (ep < 0 || ct < 0 || toks[ep].type != JSMN_STRING || toks[ct].type != JSMN_STRING ||
            val < 0 || toks[val].type != JSMN_OBJECT || n == 0)
            continue;
        if (read_ts(&d, ma_json_get(&d, val, "timestamp"), &pt.timestamp) != MA_OK)
            continue;
        v = ma_json_get(&d, val, "value");
        if (ma_json_is_null(&d, v))
            pt.has_value = 0; /* Falcon's JsonFloat prints NaN as null */
        else if (ma_json_f64(&d, v, &pt.value) != MA_OK)
            continue;
        match(&d, ep, ct, pairs, &ix, points, &pt);
    }
    index_free(&ix);
    for (i = 0; i < n; i++)
        found += points[i].found != 0;
    return (int)found;
}

/* ==== environment ============================================================================ */

static int read_sig_file(const char *path, struct ma_falcon_env_store *store, struct ma_errmsg *em)
{
    char *s = store->sig, *e;
    size_t len = 0;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        ma_errmsg_set(em, "Open-Falcon sig file %s: %s", path, strerror(errno));
        return MA_ERR_IO;
    }
    while ((r = read(fd, s + len, sizeof store->sig - len)) > 0 &&
           len + (size_t)r < sizeof store->sig)
        len += (size_t)r;
    close(fd);
    if (r < 0) {
        ma_errmsg_set(em, "Open-Falcon sig file %s: %s", path, strerror(errno));
        return MA_ERR_IO;
    }
    if (r > 0) {
        ma_errmsg_set(em, "Open-Falcon sig file %s is larger than %zu bytes", path,
                      sizeof store->sig - 1);
        return MA_ERR_LIMIT;
    }
    s[len] = '\0';
    while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
        s[--len] = '\0';
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    memmove(store->sig, s, strlen(s) + 1);
    for (e = store->sig; *e; e++)
        if ((unsigned char)*e < 0x20 || *e == 0x7f) {
            ma_errmsg_set(em, "Open-Falcon sig file %s holds a control character", path);
            return MA_ERR_SYNTAX;
        }
    if (store->sig[0] == '\0') {
        ma_errmsg_set(em, "Open-Falcon sig file %s is empty", path);
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

/* see backend/falcon_api.h */
int ma_falcon_api_config_env(struct ma_falcon_api_config *cfg, const char *sig_file,
                             struct ma_falcon_env_store *store, struct ma_errmsg *em)
{
    const char *v;
    int name_given = cfg->token_name != NULL, rc;

    if (cfg->url == NULL) {
        v = getenv("FALCON_API_URL");
        cfg->url = v != NULL && *v ? v : MA_FALCON_DEFAULT_URL;
    }
    if (cfg->token_name == NULL) {
        v = getenv("FALCON_API_NAME");
        cfg->token_name = v != NULL && *v ? v : MA_FALCON_DEFAULT_NAME;
    }
    if (cfg->token_sig == NULL) {
        if (sig_file != NULL) {
            if ((rc = read_sig_file(sig_file, store, em)) != MA_OK)
                return rc;
            cfg->token_sig = store->sig;
        } else {
            v = getenv("FALCON_API_SIG");
            cfg->token_sig = v != NULL ? v : "";
        }
    }
    /* the original's config.go replaces both name and sig when the sig is empty */
    if (cfg->token_sig[0] == '\0') {
        cfg->token_sig = MA_FALCON_DEFAULT_SIG;
        if (!name_given)
            cfg->token_name = MA_FALCON_DEFAULT_NAME;
    }
    return MA_OK;
}

/* ==== asynchronous queries =================================================================== */

struct ma_falcon_api {
    struct ma_net_loop *loop;
    struct ma_http_client *http;
    char *where;   /* the configured URL, as people wrote it, for messages */
    char *headers; /* "Apitoken: {...}\r\n" */
    const char *path;
    int64_t timeout_ms;
    size_t max_batch;
    struct ma_falcon_query *queries;
};

struct chunk {
    struct ma_falcon_query *q;
    struct ma_http_call *call;
    size_t off, n;
};

struct ma_falcon_query {
    struct ma_falcon_api *api;
    struct ma_falcon_query *prev, *next;
    ma_falcon_done_fn on_done;
    void *arg;
    struct ma_falcon_pair *pairs; /* copies; strings in the same allocation */
    struct ma_falcon_point *points;
    size_t n;
    struct chunk *chunks;
    size_t nchunks, started, finished, inflight;
    uint64_t timer; /* n == 0: the callback still runs from the loop */
};

/* see backend/falcon_api.h */
struct ma_falcon_api *ma_falcon_api_new(struct ma_net_loop *loop,
                                        const struct ma_falcon_api_config *cfg,
                                        struct ma_errmsg *em)
{
    struct ma_http_client_config hc = {0};
    struct ma_falcon_api *api;
    struct ma_buf b;
    const char *url = cfg->url != NULL && *cfg->url ? cfg->url : MA_FALCON_DEFAULT_URL;
    char *full;
    size_t len;

    /* the original builds "http://%s/api/v1/graph/lastpoint" from a bare host[:port] */
    len = strlen(url) + 8;
    full = ma_xmalloc(len);
    snprintf(full, len, "%s%s", strstr(url, "://") != NULL ? "" : "http://", url);
    while ((len = strlen(full)) > 0 && full[len - 1] == '/')
        full[len - 1] = '\0';
    hc.url = full;
    hc.ca_pem = cfg->ca_pem;
    hc.ca_pem_len = cfg->ca_pem_len;
    hc.insecure_skip_verify = cfg->insecure_skip_verify;
    hc.connect_timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : MA_FALCON_DEFAULT_TIMEOUT_MS;
    api = ma_xcalloc(1, sizeof *api);
    api->http = ma_http_client_new(loop, &hc, em);
    free(full);
    if (api->http == NULL) {
        free(api);
        return NULL;
    }
    api->loop = loop;
    api->where = ma_xstrdup(url);
    api->path = ma_falcon_path(cfg->flavour);
    api->timeout_ms = hc.connect_timeout_ms;
    api->max_batch = cfg->max_batch > 0 ? cfg->max_batch : MA_FALCON_DEFAULT_BATCH;
    ma_buf_init_heap(&b, 64 * 1024);
    ma_buf_appends(&b, "Apitoken: ");
    ma_falcon_token_write(&b, cfg->token_name ? cfg->token_name : MA_FALCON_DEFAULT_NAME,
                          cfg->token_sig ? cfg->token_sig : MA_FALCON_DEFAULT_SIG);
    ma_buf_appends(&b, "\r\n");
    if (b.err) {
        ma_errmsg_set(em, "Open-Falcon token name and sig are too long");
        ma_buf_free(&b);
        ma_falcon_api_free(api);
        return NULL;
    }
    api->headers = ma_xstrdup(ma_buf_cstr(&b));
    ma_buf_free(&b);
    return api;
}

static void query_unlink(struct ma_falcon_query *q)
{
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        q->api->queries = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

/* Stop every request of q still running and free q (no callback). */
static void query_free(struct ma_falcon_query *q)
{
    size_t i;

    for (i = 0; i < q->nchunks; i++)
        if (q->chunks[i].call != NULL)
            ma_http_call_cancel(q->chunks[i].call);
    if (q->timer != 0)
        ma_net_loop_del_timer(q->api->loop, q->timer);
    free(q->chunks);
    free(q->points);
    free(q->pairs);
    free(q);
}

/* Report once and free. The api is not touched after the callback: it may free the api. */
static void query_finish(struct ma_falcon_query *q, int err, const struct ma_errmsg *em)
{
    size_t i;

    for (i = 0; i < q->nchunks; i++)
        if (q->chunks[i].call != NULL) {
            ma_http_call_cancel(q->chunks[i].call);
            q->chunks[i].call = NULL;
        }
    query_unlink(q);
    q->on_done(err, em, err == MA_OK ? q->points : NULL, err == MA_OK ? q->n : 0, q->arg);
    q->timer = 0;
    query_free(q);
}

/* A short printable picture of an error body: its "error"/"msg" text, else its first bytes. */
static void describe_body(const struct ma_buf *body, char *out, size_t cap)
{
    jsmntok_t toks[64];
    struct ma_falcon_point pt;
    struct ma_errmsg em;
    size_t i, j = 0;

    if (body->len == 0) {
        snprintf(out, cap, "(empty body)");
        return;
    }
    if (body->p[0] == '{' &&
        ma_falcon_reply_parse(body->p, body->len, NULL, 0, &pt, toks, 64, &em) < 0 &&
        strncmp(em.msg, "malformed", 9) != 0) {
        snprintf(out, cap, "%s", em.msg);
        return;
    }
    for (i = 0; i < body->len && j + 4 < cap && i < 100; i++) {
        unsigned char c = (unsigned char)body->p[i];
        out[j++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    if (i < body->len && j + 4 < cap)
        out[j++] = '.', out[j++] = '.', out[j++] = '.';
    out[j] = '\0';
}

static void start_chunks(struct ma_falcon_query *q);

static void on_call_done(struct ma_http_call *call, const struct ma_http_result *res, void *arg)
{
    struct chunk *c = arg;
    struct ma_falcon_query *q = c->q;
    struct ma_falcon_api *api = q->api;
    struct ma_errmsg em, pem;
    char detail[MA_ERRMSG_SIZE];
    jsmntok_t *toks;
    int max, rc;

    (void)call;
    c->call = NULL;
    q->inflight--;
    if (res->err == MA_ERR_TIMEOUT) {
        if (api->timeout_ms % 1000 == 0)
            ma_errmsg_set(&em, "Open-Falcon at %s timed out after %lld s", api->where,
                          (long long)(api->timeout_ms / 1000));
        else
            ma_errmsg_set(&em, "Open-Falcon at %s timed out after %lld ms", api->where,
                          (long long)api->timeout_ms);
        query_finish(q, MA_ERR_TIMEOUT, &em);
        return;
    }
    if (res->err != MA_OK) {
        ma_errmsg_set(&em, "Open-Falcon at %s: %s", api->where, res->em.msg);
        query_finish(q, MA_ERR_UPSTREAM, &em);
        return;
    }
    if (res->status != 200) {
        describe_body(res->body, detail, sizeof detail);
        ma_errmsg_set(&em, "Open-Falcon at %s answered %d: %s", api->where, res->status, detail);
        query_finish(q, MA_ERR_UPSTREAM, &em);
        return;
    }
    max = (int)(c->n * MA_FALCON_TOKENS_PER_PAIR + MA_FALCON_TOKENS_EXTRA);
    toks = ma_xmalloc((size_t)max * sizeof *toks);
    rc = ma_falcon_reply_parse(res->body->p, res->body->len, q->pairs + c->off, c->n,
                               q->points + c->off, toks, max, &pem);
    free(toks);
    if (rc < 0) {
        ma_errmsg_set(&em, "Open-Falcon at %s: %s", api->where, pem.msg);
        query_finish(q, MA_ERR_UPSTREAM, &em);
        return;
    }
    if (++q->finished == q->nchunks) {
        query_finish(q, MA_OK, NULL);
        return;
    }
    start_chunks(q);
}

static void start_chunks(struct ma_falcon_query *q)
{
    struct ma_falcon_api *api = q->api;

    while (q->inflight < MA_FALCON_MAX_INFLIGHT && q->started < q->nchunks) {
        struct chunk *c = &q->chunks[q->started++];
        struct ma_http_call_params p = {0};
        struct ma_buf body;

        ma_buf_init_heap(&body, MA_HTTP_MAX_RESPONSE);
        ma_falcon_body_write(&body, q->pairs + c->off, c->n); /* bounded by the copied strings */
        p.method = "POST";
        p.path = api->path;
        p.headers = api->headers;
        p.body = body.p;
        p.body_len = body.len;
        p.content_type = "application/json"; /* falcon-plus's gin binds the body by Content-Type */
        p.timeout_ms = api->timeout_ms;
        p.on_done = on_call_done;
        p.arg = c;
        q->inflight++;
        c->call = ma_http_client_start(api->http, &p);
        ma_buf_free(&body);
    }
}

static int64_t on_empty(struct ma_net_loop *loop, void *arg)
{
    struct ma_falcon_query *q = arg;

    (void)loop;
    q->timer = 0;
    query_finish(q, MA_OK, NULL);
    return MA_NET_TIMER_STOP;
}

/* see backend/falcon_api.h */
struct ma_falcon_query *ma_falcon_api_query(struct ma_falcon_api *api,
                                            const struct ma_falcon_pair *pairs, size_t n,
                                            ma_falcon_done_fn on_done, void *arg)
{
    struct ma_falcon_query *q = ma_xcalloc(1, sizeof *q);
    size_t i, strs = 0;
    char *s;

    for (i = 0; i < n; i++)
        strs += strlen(pairs[i].endpoint) + strlen(pairs[i].counter) + 2;
    q->api = api;
    q->on_done = on_done;
    q->arg = arg;
    q->n = n;
    q->pairs = ma_xmalloc(n * sizeof *q->pairs + strs + 1);
    q->points = ma_xcalloc(n + 1, sizeof *q->points);
    s = (char *)(q->pairs + n);
    for (i = 0; i < n; i++) {
        size_t le = strlen(pairs[i].endpoint) + 1, lc = strlen(pairs[i].counter) + 1;

        q->pairs[i].endpoint = memcpy(s, pairs[i].endpoint, le);
        q->pairs[i].counter = memcpy(s + le, pairs[i].counter, lc);
        s += le + lc;
    }
    q->nchunks = (n + api->max_batch - 1) / api->max_batch;
    q->chunks = ma_xcalloc(q->nchunks + 1, sizeof *q->chunks);
    for (i = 0; i < q->nchunks; i++) {
        q->chunks[i].q = q;
        q->chunks[i].off = i * api->max_batch;
        q->chunks[i].n = n - q->chunks[i].off < api->max_batch ? n - q->chunks[i].off
                                                                 : api->max_batch;
    }
    q->next = api->queries;
    if (q->next != NULL)
        q->next->prev = q;
    api->queries = q;
    if (n == 0)
        q->timer = ma_net_loop_add_timer(api->loop, 0, on_empty, q);
    else
        start_chunks(q);
    return q;
}

/* see backend/falcon_api.h */
void ma_falcon_query_cancel(struct ma_falcon_query *q)
{
    query_unlink(q);
    query_free(q);
}

/* see backend/falcon_api.h */
void ma_falcon_api_free(struct ma_falcon_api *api)
{
    if (api == NULL)
        return;
    while (api->queries != NULL)
        ma_falcon_query_cancel(api->queries);
    ma_http_client_free(api->http);
    free(api->where);
    free(api->headers);
    free(api);
}
