/* tests src/kube/watch.c: the informer state machine. This file defines ma_kube_request and
 * ma_kube_req_cancel, so the archive's kube/client.o is never linked: every request the informer
 * makes is recorded here, and the test plays kube-apiserver by calling its callbacks. */
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "http/client.h"
#include "json/read.h"
#include "kube/client.h"
#include "kube/watch.h"
#include "net/loop.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

/* ---- the fake kube client ----------------------------------------------------------------- */

#define MAX_REQS 64

struct ma_kube_req {
    int idx;
};

static struct {
    struct ma_kube_req_params p;
    char path[4096];
    int live;
    int headed; /* on_head delivered (the real client always does so before any body byte) */
    struct ma_kube_req handle;
} reqs[MAX_REQS];
static int nreq;

struct ma_kube_req *ma_kube_request(struct ma_kube_client *kc, const struct ma_kube_req_params *p)
{
    (void)kc;
    if (nreq == MAX_REQS)
        abort();
    reqs[nreq].p = *p;
    snprintf(reqs[nreq].path, sizeof reqs[nreq].path, "%s", p->path);
    reqs[nreq].live = 1;
    reqs[nreq].handle.idx = nreq;
    return &reqs[nreq++].handle;
}

void ma_kube_req_cancel(struct ma_kube_req *r)
{
    if (r != NULL)
        reqs[r->idx].live = 0;
}

/* finish request i with an HTTP answer */
static void answer(int i, int status, const char *body)
{
    struct ma_buf b;
    struct ma_http_result res = {0};

    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appends(&b, body);
    res.err = MA_OK;
    res.status = status;
    res.body = &b;
    reqs[i].live = 0;
    reqs[i].p.on_done(&res, reqs[i].p.arg);
    ma_buf_free(&b);
}

/* finish request i with a transport failure (or the code its on_data returned) */
static void fail(int i, int err)
{
    struct ma_buf b;
    struct ma_http_result res = {0};

    ma_buf_init_heap(&b, 16);
    res.err = err;
    res.body = &b;
    ma_errmsg_set(&res.em, "connection reset");
    reqs[i].live = 0;
    reqs[i].p.on_done(&res, reqs[i].p.arg);
}

/* deliver the response head of streaming request i */
static void head(int i, int status)
{
    reqs[i].headed = 1;
    if (reqs[i].p.on_head != NULL)
        reqs[i].p.on_head(status, reqs[i].p.arg);
}

/* deliver watch bytes (after a 200 head, unless one was sent); returns what on_data returned */
static int stream(int i, const char *data)
{
    if (!reqs[i].headed)
        head(i, 200);
    return reqs[i].p.on_data(data, strlen(data), reqs[i].p.arg);
}

/* ---- a store that logs what it is told ----------------------------------------------------- */

static char oplog[65536];

static void st_begin(void *arg)
{
    (void)arg;
    strcat(oplog, "begin;");
}

static int st_upsert(void *arg, const struct ma_json_doc *d, int obj, struct ma_errmsg *em)
{
    char ns[64] = "", name[64] = "";
    int t;

    (void)arg;
    t = ma_json_path(d, obj, "metadata.namespace");
    if (t >= 0)
        ma_json_str(d, t, ns, sizeof ns);
    t = ma_json_path(d, obj, "metadata.name");
    if (t < 0 || ma_json_str(d, t, name, sizeof name) < 0) {
        ma_errmsg_set(em, "no name");
        return MA_ERR_SYNTAX;
    }
    strcat(oplog, "up:");
    strcat(oplog, ns);
    strcat(oplog, "/");
    strcat(oplog, name);
    strcat(oplog, ";");
    return MA_OK;
}

static void st_remove(void *arg, const char *ns, const char *name)
{
    (void)arg;
    strcat(oplog, "rm:");
    strcat(oplog, ns);
    strcat(oplog, "/");
    strcat(oplog, name);
    strcat(oplog, ";");
}

static void st_end(void *arg)
{
    (void)arg;
    strcat(oplog, "end;");
}

/* ---- fixtures -------------------------------------------------------------------------------- */

static struct ma_net_loop *loop;
static struct ma_kube_informer *inf;

static void setup(size_t max_event)
{
    struct ma_kube_informer_config cfg = {"pods", "/api/v1/pods", 2, 60, max_event};
    struct ma_kube_informer_handler h = {st_begin, st_upsert, st_remove, st_end, NULL};

    memset(reqs, 0, sizeof reqs);
    nreq = 0;
    oplog[0] = '\0';
    loop = ma_net_loop_new(64);
    inf = ma_kube_informer_new(loop, NULL, &cfg, &h);
    ma_kube_informer_start(inf);
}

static void teardown(void)
{
    ma_kube_informer_free(inf);
    ma_net_loop_free(loop);
}

static int64_t stop(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void spin(int ms)
{
    ma_net_loop_add_timer(loop, ms, stop, NULL);
    ma_net_loop_run(loop);
}

#define POD(ns, name, rv)                                                                          \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"resourceVersion\":\"" rv      \
    "\"}}"

/* list two pages and start watching at resourceVersion 10 */
static void list_and_watch(void)
{
    answer(0, 200,
           "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"c1+/=\"},"
           "\"items\":[" POD("a", "p1", "5") "," POD("a", "p2", "6") "]}");
    answer(1, 200, "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" POD(
                       "b", "p3", "7") "]}");
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_paginated_list_then_watch(void)
{
    setup(0);
    CHECK_EQ(nreq, 1);
    CHECK_STR(reqs[0].path, "/api/v1/pods?limit=2");
    CHECK_EQ(ma_kube_informer_synced(inf), 0);
    list_and_watch();
    CHECK_STR(reqs[1].path, "/api/v1/pods?limit=2&continue=c1%2B%2F%3D");
    CHECK_STR(oplog, "begin;up:a/p1;up:a/p2;up:b/p3;end;");
    CHECK_EQ(ma_kube_informer_synced(inf), 1);
    CHECK_EQ(nreq, 3);
    CHECK(strncmp(reqs[2].path,
                  "/api/v1/pods?watch=1&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=",
                  80) == 0);
    CHECK(reqs[2].p.on_data != NULL);
    teardown();
}

static void test_watch_events_split_bookmarks_and_resume(void)
{
    setup(0);
    list_and_watch();
    oplog[0] = '\0';
    /* an event split across reads, then two in one read */
    CHECK_EQ(stream(2, "{\"type\":\"ADDED\",\"object\":" POD("a", "p4", "11")), MA_OK);
    CHECK_STR(oplog, "");
    CHECK_EQ(stream(2, "}\n{\"type\":\"MODIFIED\",\"object\":" POD("a", "p1", "12") "}\n"
                       "{\"type\":\"DELETED\",\"object\":" POD("a", "p2", "13") "}\n"),
             MA_OK);
    CHECK_EQ(stream(2, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
                       "{\"resourceVersion\":\"15\"}}}\n"),
             MA_OK);
    CHECK_STR(oplog, "up:a/p4;up:a/p1;rm:a/p2;");
    /* the server ends the watch (timeoutSeconds): resume from the bookmark at once */
    answer(2, 200, "");
    CHECK_EQ(nreq, 4);
    CHECK(strstr(reqs[3].path, "resourceVersion=15&") != NULL);
    teardown();
}

/* A page needing more tokens than the first token array holds: the array grows and the page is
 * taken, with no error and no backoff (a message left over from the too-small try once failed it). */
static void test_big_page_grows_tokens(void)
{
    static char page[200000];
    size_t n;
    int i;

    setup(0);
    n = (size_t)snprintf(page, sizeof page,
                         "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[");
    for (i = 0; i < 1500; i++)
        n += (size_t)snprintf(page + n, sizeof page - n, "%s{\"metadata\":{\"namespace\":\"a\","
                              "\"name\":\"p%d\",\"labels\":{\"x\":\"y\"}}}", i ? "," : "", i);
    snprintf(page + n, sizeof page - n, "]}");
    answer(0, 200, page);
    CHECK_EQ(ma_kube_informer_synced(inf), 1);
    CHECK_EQ(nreq, 2); /* the watch started at once: no backoff timer */
    CHECK(strstr(oplog, "up:a/p1499;end;") != NULL);
    teardown();
}

static void test_bad_events_are_skipped(void)
{
    struct ma_kube_informer_stats st;

    setup(200);
    list_and_watch();
    oplog[0] = '\0';
    CHECK_EQ(stream(2, "not json\n"), MA_OK);
    CHECK_EQ(stream(2, "{\"type\":\"WHAT\",\"object\":{}}\n"), MA_OK);
    CHECK_EQ(stream(2, "{\"type\":\"ADDED\"}\n"), MA_OK);
    CHECK_EQ(stream(2, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}\n"), MA_OK);
    /* larger than max_event_bytes (200): dropped, even split across reads */
    CHECK_EQ(stream(2, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"big\"},\"x\":\""),
             MA_OK);
    {
        char pad[400];

        memset(pad, 'x', sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        CHECK_EQ(stream(2, pad), MA_OK);
    }
    CHECK_EQ(stream(2, "\"}}\n{\"type\":\"ADDED\",\"object\":" POD("a", "ok", "20") "}\n"), MA_OK);
    CHECK_STR(oplog, "up:a/ok;");
    ma_kube_informer_stats(inf, &st);
    CHECK_EQ(st.skipped, 5);
    teardown();
}

static void test_410_error_event_relists(void)
{
    int rc;

    setup(0);
    list_and_watch();
    oplog[0] = '\0';
    rc = stream(2, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\","
                   "\"message\":\"too old resource version: 10 (50)\",\"reason\":\"Expired\","
                   "\"code\":410}}\n");
    CHECK(rc != MA_OK);
    fail(2, rc); /* the client reports the abort with on_data's code */
    CHECK_EQ(nreq, 4);
    CHECK_STR(reqs[3].path, "/api/v1/pods?limit=2");
    answer(3, 200, "{\"metadata\":{\"resourceVersion\":\"60\"},\"items\":[" POD("a", "p1", "55") "]}");
    CHECK_STR(oplog, "begin;up:a/p1;end;");
    CHECK(strstr(reqs[4].path, "resourceVersion=60&") != NULL);
    /* an HTTP 410 on the watch request itself relists too */
    answer(4, 410, "{\"kind\":\"Status\",\"code\":410}");
    CHECK_STR(reqs[5].path, "/api/v1/pods?limit=2");
    teardown();
}

static void test_failures_back_off_then_resume_or_relist(void)
{
    char st[200];

    setup(0);
    list_and_watch();
    /* a dropped watch: no immediate retry (no busy loop), then the same resourceVersion */
    fail(2, MA_ERR_IO);
    CHECK_EQ(nreq, 3);
    CHECK(strstr(ma_kube_informer_status(inf, st, sizeof st), "retry in") != NULL);
    spin(900); /* first backoff step: 0.5 s +- 25 % */
    CHECK_EQ(nreq, 4);
    CHECK(strstr(reqs[3].path, "watch=1&resourceVersion=10&") != NULL);
    CHECK_EQ(ma_kube_informer_synced(inf), 1);
    teardown();

    /* a failing LIST: the store is not touched, the next attempt lists from the first page */
    setup(0);
    answer(0, 503, "{\"kind\":\"Status\",\"code\":503}");
    CHECK_EQ(nreq, 1);
    CHECK_EQ(ma_kube_informer_synced(inf), 0);
    CHECK(strstr(ma_kube_informer_status(inf, st, sizeof st), "answered 503") != NULL);
    spin(900);
    CHECK_EQ(nreq, 2);
    CHECK_STR(reqs[1].path, "/api/v1/pods?limit=2");
    CHECK_STR(oplog, "");
    teardown();
}

/* Review finding: the Status body of a failed watch was parsed as events, which reset the
 * backoff, so a 403 made the informer retry twice a second forever. */
static void test_error_replies_to_a_watch_back_off(void)
{
    struct ma_kube_informer_stats st;
    char status[200];

    setup(0);
    list_and_watch();
    oplog[0] = '\0';
    head(2, 403);
    CHECK_EQ(stream(2, "{\"kind\":\"Status\",\"code\":403}\n"), MA_OK);
    answer(2, 403, "");
    CHECK_STR(oplog, "");
    ma_kube_informer_stats(inf, &st);
    CHECK_EQ(st.skipped, 0);
    CHECK(strstr(ma_kube_informer_status(inf, status, sizeof status), "answered 403") != NULL);
    CHECK_EQ(nreq, 3); /* no immediate retry */
    spin(900);
    CHECK_EQ(nreq, 4);
    head(3, 403);
    answer(3, 403, "");
    spin(700); /* the second step is 1 s +- 25 %: not yet */
    CHECK_EQ(nreq, 4);
    spin(700);
    CHECK_EQ(nreq, 5);
    CHECK(strstr(reqs[4].path, "resourceVersion=10&") != NULL); /* resume, no relist */
    teardown();

    /* a watch that a proxy ends at once with 200 and no event backs off instead of spinning */
    setup(0);
    list_and_watch();
    head(2, 200);
    answer(2, 200, "");
    CHECK_EQ(nreq, 3);
    spin(900);
    CHECK_EQ(nreq, 4);
    teardown();
}

static void test_expired_continue_restarts_the_list(void)
{
    setup(0);
    answer(0, 200, "{\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"tok\"},\"items\":[" POD(
                       "a", "p1", "5") "]}");
    answer(1, 410, "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}");
    CHECK_EQ(nreq, 3);
    CHECK_STR(reqs[2].path, "/api/v1/pods?limit=2");
    answer(2, 200, "{\"metadata\":{\"resourceVersion\":\"30\"},\"items\":[" POD("a", "p9", "29") "]}");
    /* one relist bracket: p1 was not seen again, so the store sweeps it */
    CHECK_STR(oplog, "begin;up:a/p1;up:a/p9;end;");
    CHECK_EQ(ma_kube_informer_synced(inf), 1);
    teardown();
}

int main(void)
{
    ma_log_set_verbosity(-1);
    T_RUN(test_paginated_list_then_watch);
    T_RUN(test_watch_events_split_bookmarks_and_resume);
    T_RUN(test_bad_events_are_skipped);
    T_RUN(test_big_page_grows_tokens);
    T_RUN(test_410_error_event_relists);
    T_RUN(test_failures_back_off_then_resume_or_relist);
    T_RUN(test_expired_continue_restarts_the_list);
    T_RUN(test_error_replies_to_a_watch_back_off);
    T_END();
}
