#include "kube/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "json/read.h"
#include "kube/client.h"
#include "net/loop.h"
#include "tls/rand.h"

/* States, named for what they wait for. */
enum inf_state {
    INF_STOPPED,
    INF_BACKOFF,  /* a timer will retry: relist or resume the watch */
    INF_LISTING,  /* a LIST page request is out */
    INF_WATCHING  /* a watch stream is open */
};

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define FIRST_TOKENS 4096

struct ma_kube_informer {
    struct ma_net_loop *loop;
    struct ma_kube_client *kc;
    struct ma_kube_informer_handler h;
    char *name, *path;
    int page_size;
    int64_t watch_timeout_s;
    size_t max_event;
    int optional;

    enum inf_state state;
    int synced;
    int need_relist;       /* the next attempt lists (no usable resourceVersion) */
    int in_relist;         /* relist_begin called, relist_end not yet */
    char rv[64];           /* last resourceVersion seen */
    char *cont;            /* continue token of the next LIST page */
    struct ma_kube_req *req;
    uint64_t timer;
    int64_t backoff_ms;
    int64_t retry_at;
    struct ma_errmsg last_err;

    int watch_status;      /* watch: HTTP status of the open stream (0 until its head) */
    int watch_bytes;       /* watch: the stream delivered something */
    struct ma_buf line;    /* watch: bytes of the current event */
    int skipping;          /* watch: dropping an oversized event up to its newline */
    jsmntok_t *tok;        /* grows on demand up to MA_KUBE_MAX_TOKENS */
    int ntok_cap;
    struct ma_kube_informer_stats st;
};

static void start_list_page(struct ma_kube_informer *inf);
static void start_watch(struct ma_kube_informer *inf);

/* ---- helpers ------------------------------------------------------------------------------- */

/* Parse js with a token array that grows (doubling) up to MA_KUBE_MAX_TOKENS. */
static int parse_doc(struct ma_kube_informer *inf, struct ma_json_doc *d, const char *js,
                     size_t len, struct ma_errmsg *em)
{
    for (;;) {
        int r;

        if (inf->tok == NULL) {
            inf->ntok_cap = FIRST_TOKENS;
            inf->tok = ma_xmalloc((size_t)inf->ntok_cap * sizeof *inf->tok);
        }
        r = ma_json_parse(d, js, len, inf->tok, inf->ntok_cap, em);
        if (r == MA_OK && em != NULL)
            em->msg[0] = '\0'; /* callers test the message: an earlier too-small try set one */
        if (r != MA_ERR_LIMIT || inf->ntok_cap >= MA_KUBE_MAX_TOKENS)
            return r;
        inf->ntok_cap *= 2;
        free(inf->tok);
        inf->tok = ma_xmalloc((size_t)inf->ntok_cap * sizeof *inf->tok);
    }
}

/* Give back a token array grown for a big page once it is no longer needed. */
static void shrink_tokens(struct ma_kube_informer *inf)
{
    if (inf->ntok_cap > FIRST_TOKENS) {
        free(inf->tok);
        inf->tok = NULL;
        inf->ntok_cap = 0;
    }
}

static int jitter_pct(void)
{
    unsigned char b = 0;

    (void)ma_tls_random(&b, 1);
    return (int)(b % 51) - 25; /* -25 % .. +25 % */
}

static int64_t on_timer(struct ma_net_loop *loop, void *arg)
{
    struct ma_kube_informer *inf = arg;

    (void)loop;
    inf->timer = 0;
    if (inf->need_relist)
        start_list_page(inf);
    else
        start_watch(inf);
    return MA_NET_TIMER_STOP;
}

/* Something failed: try again after the next backoff step. */
static void back_off(struct ma_kube_informer *inf, int relist)
{
    int64_t d;

    if (relist)
        inf->need_relist = 1;
    inf->backoff_ms = inf->backoff_ms ? inf->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (inf->backoff_ms > BACKOFF_MAX_MS)
        inf->backoff_ms = BACKOFF_MAX_MS;
    d = inf->backoff_ms + inf->backoff_ms * jitter_pct() / 100;
    inf->state = INF_BACKOFF;
    inf->retry_at = ma_time_mono_ms() + d;
    inf->timer = ma_net_loop_add_timer(inf->loop, d, on_timer, inf);
}

/* An optional resource answered 404: its CRD is not installed. That is an empty collection, not
 * an outage (readiness must not wait for it); look again every BACKOFF_MAX_MS so installing the
 * CRD later is noticed. */
static void absent(struct ma_kube_informer *inf)
{
    if (!inf->synced || inf->backoff_ms == 0)
        MA_LOG_W("%s: %s is not served by kube-apiserver (404: is its CRD installed?); serving "
                 "it as empty and checking again every %d s", inf->name, inf->path,
                 BACKOFF_MAX_MS / 1000);
    free(inf->cont);
    inf->cont = NULL;
    if (!inf->in_relist)
        inf->h.relist_begin(inf->h.arg);
    inf->h.relist_end(inf->h.arg);
    inf->in_relist = 0;
    inf->synced = 1;
    ma_errmsg_set(&inf->last_err, "not installed (404)");
    inf->backoff_ms = BACKOFF_MAX_MS;
    back_off(inf, 1);
}

/* Take "metadata.resourceVersion" of token obj into inf->rv (absent or too long: unchanged). */
static void take_rv(struct ma_kube_informer *inf, const struct ma_json_doc *d, int obj)
{
    int t = ma_json_path(d, obj, "metadata.resourceVersion");

    if (t >= 0)
        (void)ma_json_str(d, t, inf->rv, sizeof inf->rv);
}

static void upsert_one(struct ma_kube_informer *inf, const struct ma_json_doc *d, int obj)
{
    struct ma_errmsg em;

    if (inf->h.upsert(inf->h.arg, d, obj, &em) != MA_OK) {
        inf->st.skipped++;
        MA_LOG_W("%s: skipping an object the cache cannot take: %s", inf->name, em.msg);
    }
}

/* A DELETED event: only the object's identity matters. */
static void remove_one(struct ma_kube_informer *inf, const struct ma_json_doc *d, int obj)
{
    char ns[MA_KUBE_MAX_DNS_LABEL + 1] = "", name[MA_KUBE_MAX_NAME + 1];
    int tn = ma_json_path(d, obj, "metadata.namespace");
    int tm = ma_json_path(d, obj, "metadata.name");

    if ((tn >= 0 && ma_json_str(d, tn, ns, sizeof ns) < 0) || tm < 0 ||
        ma_json_str(d, tm, name, sizeof name) < 0) {
        inf->st.skipped++;
        MA_LOG_W("%s: skipping a DELETED event without a usable metadata.name", inf->name);
        return;
    }
    inf->h.remove(inf->h.arg, ns, name);
}

/* ---- LIST ---------------------------------------------------------------------------------- */

/* 410 on a continue token: the snapshot expired mid-list; start over. */
static void list_done(const struct ma_http_result *res, void *arg)
{
    struct ma_kube_informer *inf = arg;
    struct ma_json_doc d;
    struct ma_errmsg em;
    int items = -1, it = 0, item, t;
    char cont[4096];

    inf->req = NULL;
    if (res->err != MA_OK) {
        ma_errmsg_set(&inf->last_err, "list failed: %s", res->em.msg);
        MA_LOG_W("%s: %s", inf->name, inf->last_err.msg);
        back_off(inf, 1);
        return;
    }
    if (res->status == 410 && inf->cont != NULL) {
        /* the continue token outlived its snapshot: list again from the first page */
        MA_LOGV(1, "%s: list continuation expired; listing from the start", inf->name);
        free(inf->cont);
        inf->cont = NULL;
        start_list_page(inf);
        return;
    }
    if (res->status == 404 && inf->optional) {
        absent(inf);
        return;
    }
    if (res->status != 200) {
        ma_errmsg_set(&inf->last_err, "list failed: kube-apiserver answered %d", res->status);
        MA_LOG_W("%s: %s", inf->name, inf->last_err.msg);
        free(inf->cont);
        inf->cont = NULL;
        back_off(inf, 1);
        return;
    }
    em.msg[0] = '\0';
    if (parse_doc(inf, &d, res->body->p, res->body->len, &em) == MA_OK &&
        (items = ma_json_get(&d, 0, "items")) < 0)
        ma_errmsg_set(&em, "no items array");
    if (em.msg[0] != '\0') {
        ma_errmsg_set(&inf->last_err, "list failed: unreadable answer: %s", em.msg);
        MA_LOG_E("%s: %s", inf->name, inf->last_err.msg);
        free(inf->cont);
        inf->cont = NULL;
        back_off(inf, 1);
        return;
    }
    inf->st.list_pages++;
    if (!inf->in_relist) {
        inf->h.relist_begin(inf->h.arg);
        inf->in_relist = 1;
    }
    while ((item = ma_json_next(&d, items, &it, NULL)) >= 0)
        upsert_one(inf, &d, item);
    take_rv(inf, &d, 0);
    free(inf->cont);
    inf->cont = NULL;
    t = ma_json_path(&d, 0, "metadata.continue");
    if (t >= 0 && ma_json_str(&d, t, cont, sizeof cont) < 0) {
        /* taking this page as the last would sweep every object of the pages not read */
        ma_errmsg_set(&inf->last_err, "list failed: unusable continue token");
        MA_LOG_E("%s: %s", inf->name, inf->last_err.msg);
        back_off(inf, 1);
        return;
    }
    if (t >= 0 && cont[0] != '\0') {
        inf->cont = ma_xstrdup(cont);
        start_list_page(inf);
        return;
    }
    /* the last page: everything not re-applied is gone */
    inf->h.relist_end(inf->h.arg);
    inf->in_relist = 0;
    inf->need_relist = 0;
    inf->backoff_ms = 0;
    shrink_tokens(inf);
    if (!inf->synced)
        MA_LOG_I("%s: cache synced at resourceVersion %s", inf->name, inf->rv);
    inf->synced = 1;
    start_watch(inf);
}

/* Percent-encode a continue token (base64 may hold '+', '/', '='). */
static void append_escaped(struct ma_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            ma_buf_appendc(b, (char)c);
        } else {
            ma_buf_appendc(b, '%');
            ma_buf_appendc(b, hex[c >> 4]);
            ma_buf_appendc(b, hex[c & 15]);
        }
    }
}

static void start_list_page(struct ma_kube_informer *inf)
{
    struct ma_kube_req_params p = {0};
    struct ma_buf path;

    ma_buf_init_heap(&path, 16384);
    ma_buf_appendf(&path, "%s%slimit=%d", inf->path, strchr(inf->path, '?') ? "&" : "?",
                   inf->page_size);
    if (inf->cont != NULL) {
        ma_buf_appends(&path, "&continue=");
        append_escaped(&path, inf->cont);
    } else {
        inf->st.lists++;
    }
    inf->state = INF_LISTING;
    p.path = ma_buf_cstr(&path);
    p.timeout_ms = 60000;
    p.on_done = list_done;
    p.arg = inf;
    inf->req = ma_kube_request(inf->kc, &p);
    ma_buf_free(&path);
}

/* ---- WATCH --------------------------------------------------------------------------------- */

/* Kubernetes' watch ERROR event carries a Status; 410 (Expired/Gone) means our resourceVersion
 * is older than the history kube-apiserver keeps. Returns MA_ERR_NOTFOUND to end the stream and
 * relist, MA_ERR_UPSTREAM for other errors. */
static int error_event(struct ma_kube_informer *inf, const struct ma_json_doc *d, int obj)
{
    int64_t code = 0;
    char msg[120] = "";
    int t = ma_json_get(d, obj, "code");

    if (t >= 0)
        (void)ma_json_i64(d, t, &code);
    t = ma_json_get(d, obj, "message");
    if (t >= 0)
        (void)ma_json_str(d, t, msg, sizeof msg);
    if (code == 410) {
        MA_LOGV(1, "%s: watch history expired (%s): listing again", inf->name, msg);
        inf->st.relists_410++;
        return MA_ERR_NOTFOUND;
    }
    ma_errmsg_set(&inf->last_err, "watch error %lld: %s", (long long)code, msg);
    MA_LOG_W("%s: %s", inf->name, inf->last_err.msg);
    return MA_ERR_UPSTREAM;
}

/* One complete event line. Returns MA_OK to go on, or a code that ends the stream. */
static int handle_event(struct ma_kube_informer *inf, const char *js, size_t len)
{
    struct ma_json_doc d;
    struct ma_errmsg em;
    char type[16];
    int t, obj;

    if (parse_doc(inf, &d, js, len, &em) != MA_OK) {
        inf->st.skipped++;
        MA_LOG_W("%s: skipping a malformed watch event: %s", inf->name, em.msg);
        return MA_OK;
    }
    t = ma_json_get(&d, 0, "type");
    obj = ma_json_get(&d, 0, "object");
    if (t < 0 || obj < 0 || ma_json_str(&d, t, type, sizeof type) < 0) {
        inf->st.skipped++;
        MA_LOG_W("%s: skipping a watch event without type or object", inf->name);
        return MA_OK;
    }
    inf->st.events++;
    if (!strcmp(type, "ERROR"))
        return error_event(inf, &d, obj);
    if (!strcmp(type, "BOOKMARK")) {
        inf->st.bookmarks++;
        take_rv(inf, &d, obj);
        return MA_OK;
    }
    if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
        upsert_one(inf, &d, obj);
    else if (!strcmp(type, "DELETED"))
        remove_one(inf, &d, obj);
    else {
        inf->st.skipped++;
        MA_LOG_W("%s: skipping a watch event of unknown type %s", inf->name, type);
        return MA_OK;
    }
    take_rv(inf, &d, obj);
    return MA_OK;
}

/* Watch bytes: events are JSON documents, one per line. */
static int watch_data(const char *p, size_t n, void *arg)
{
    struct ma_kube_informer *inf = arg;

    /* the body of an error reply is a Status, not events: watch_done judges the status */
    if (inf->watch_status != 200)
        return MA_OK;
    inf->backoff_ms = 0; /* the stream works */
    inf->watch_bytes = 1;
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        int r;

        if (inf->skipping) {
            if (nl)
                inf->skipping = 0;
        } else if (inf->line.len + take > inf->max_event) {
            inf->st.skipped++;
            MA_LOG_E("%s: dropping a watch event larger than %zu bytes", inf->name,
                     inf->max_event);
            ma_buf_reset(&inf->line);
            inf->skipping = nl == NULL;
        } else {
            ma_buf_append(&inf->line, p, take);
            if (nl != NULL) {
                r = inf->line.len ? handle_event(inf, inf->line.p, inf->line.len) : MA_OK;
                ma_buf_reset(&inf->line);
                if (r != MA_OK)
                    return r;
            }
        }
        if (nl == NULL)
            break;
        p = nl + 1;
        n -= take + 1;
    }
    return MA_OK;
}

static void watch_head(int status, void *arg)
{
    struct ma_kube_informer *inf = arg;

    inf->watch_status = status;
}

static void watch_done(const struct ma_http_result *res, void *arg)
{
    struct ma_kube_informer *inf = arg;

    inf->req = NULL;
    ma_buf_free(&inf->line);
    inf->skipping = 0;
    shrink_tokens(inf);
    if (res->err == MA_ERR_NOTFOUND || (res->err == MA_OK && res->status == 410)) {
        inf->need_relist = 1;
        start_list_page(inf);
        return;
    }
    if (res->err == MA_OK && res->status == 200 && inf->watch_bytes) {
        /* the server ended the watch (timeoutSeconds): resume at once */
        inf->st.watches++;
        start_watch(inf);
        return;
    }
    if (res->err == MA_OK && res->status == 200) {
        /* ended at once with nothing: a proxy closing watches; resuming at once would spin */
        ma_errmsg_set(&inf->last_err, "watch ended without any event");
        back_off(inf, 0);
        return;
    }
    if (res->err != MA_OK)
        ma_errmsg_set(&inf->last_err, "watch failed: %s", res->em.msg);
    else
        ma_errmsg_set(&inf->last_err, "watch failed: kube-apiserver answered %d", res->status);
    MA_LOGV(1, "%s: %s; resuming from resourceVersion %s", inf->name, inf->last_err.msg, inf->rv);
    back_off(inf, 0);
}

static void start_watch(struct ma_kube_informer *inf)
{
    struct ma_kube_req_params p = {0};
    char path[2048];
    int64_t timeout = inf->watch_timeout_s + inf->watch_timeout_s * jitter_pct() / 100;

    if (inf->rv[0] == '\0') {
        start_list_page(inf);
        return;
    }
    snprintf(path, sizeof path,
             "%s%swatch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%lld",
             inf->path, strchr(inf->path, '?') ? "&" : "?", inf->rv, (long long)timeout);
    ma_buf_init_heap(&inf->line, inf->max_event);
    inf->state = INF_WATCHING;
    inf->watch_status = 0;
    inf->watch_bytes = 0;
    inf->last_err.msg[0] = '\0';
    p.path = path;
    /* bookmarks come about every minute; silence far beyond that means a dead connection */
    p.read_timeout_ms = (timeout + 30) * 1000;
    p.on_head = watch_head;
    p.on_data = watch_data;
    p.on_done = watch_done;
    p.arg = inf;
    inf->req = ma_kube_request(inf->kc, &p);
}

/* ---- lifetime and status ------------------------------------------------------------------- */

/* see kube/watch.h */
struct ma_kube_informer *ma_kube_informer_new(struct ma_net_loop *loop, struct ma_kube_client *kc,
                                              const struct ma_kube_informer_config *cfg,
                                              const struct ma_kube_informer_handler *h)
{
    struct ma_kube_informer *inf = ma_xcalloc(1, sizeof *inf);

    inf->loop = loop;
    inf->kc = kc;
    inf->h = *h;
    inf->name = ma_xstrdup(cfg->name);
    inf->path = ma_xstrdup(cfg->path);
    inf->page_size = cfg->page_size > 0 ? cfg->page_size : 500;
    inf->watch_timeout_s = cfg->watch_timeout_s > 0 ? cfg->watch_timeout_s : 300;
    inf->max_event = cfg->max_event_bytes ? cfg->max_event_bytes : MA_KUBE_MAX_EVENT_BYTES;
    inf->optional = cfg->optional;
    inf->need_relist = 1;
    ma_buf_init_heap(&inf->line, inf->max_event);
    ma_errmsg_set(&inf->last_err, "not started");
    return inf;
}

/* see kube/watch.h */
void ma_kube_informer_start(struct ma_kube_informer *inf)
{
    ma_errmsg_set(&inf->last_err, "listing");
    start_list_page(inf);
}

/* see kube/watch.h */
void ma_kube_informer_free(struct ma_kube_informer *inf)
{
    if (inf == NULL)
        return;
    ma_kube_req_cancel(inf->req);
    if (inf->timer)
        ma_net_loop_del_timer(inf->loop, inf->timer);
    ma_buf_free(&inf->line);
    free(inf->tok);
    free(inf->cont);
    free(inf->name);
    free(inf->path);
    free(inf);
}

/* see kube/watch.h */
int ma_kube_informer_synced(const struct ma_kube_informer *inf)
{
    return inf->synced;
}

/* see kube/watch.h */
int ma_kube_informer_ready(void *arg, struct ma_errmsg *why)
{
    const struct ma_kube_informer *inf = arg;
    char st[MA_ERRMSG_SIZE];

    if (inf->synced)
        return 1;
    ma_errmsg_set(why, "%s", ma_kube_informer_status(inf, st, sizeof st));
    return 0;
}

/* see kube/watch.h */
const char *ma_kube_informer_status(const struct ma_kube_informer *inf, char *buf, size_t cap)
{
    const char *sync = inf->synced ? "synced" : "not synced";

    switch (inf->state) {
    case INF_WATCHING:
        snprintf(buf, cap, "%s: %s, watching at resourceVersion %s", inf->name, sync, inf->rv);
        break;
    case INF_LISTING:
        snprintf(buf, cap, "%s: %s, listing", inf->name, sync);
        break;
    case INF_BACKOFF:
        snprintf(buf, cap, "%s: %s: %s (retry in %.1f s)", inf->name, sync, inf->last_err.msg,
                 (double)(inf->retry_at - ma_time_mono_ms()) / 1000.0);
        break;
    default:
        snprintf(buf, cap, "%s: %s, stopped", inf->name, sync);
    }
    return buf;
}

/* see kube/watch.h */
void ma_kube_informer_stats(const struct ma_kube_informer *inf, struct ma_kube_informer_stats *out)
{
    *out = inf->st;
}
