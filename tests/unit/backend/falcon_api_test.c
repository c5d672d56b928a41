/* tests src/backend/falcon_api.c: the pure functions by tables, then queries on the real loop
 * against a small fake Falcon lastpoint server on 127.0.0.1 (same loop). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/falcon_api.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/time.h"
#include "json/read.h"
#include "json/write.h"
#include "net/loop.h"
#include "t.h"

/* ==== counter form =========================================================================== */

static void test_counter_normalize(void)
{
    static const struct {
        const char *in;
        int rc;
        const char *out;
        const char *why;
    } rows[] = {
        {"cpu.busy", 8, "cpu.busy", "no tags"},
        {"cpu.busy/", 8, "cpu.busy", "empty tags: just the metric"},
        {"net.if.in.bytes/iface=eth0", 26, "net.if.in.bytes/iface=eth0", "one tag"},
        {"m/t1=tag1,t0=tag0", 17, "m/t0=tag0,t1=tag1", "sorted by key"},
        {"m/b=1,a=2,c=3,B=4", 17, "m/B=4,a=2,b=1,c=3", "byte order: upper case first"},
        {"m/ab=1,a=2", 10, "m/a=2,ab=1", "prefix key sorts first"},
        {"m/k=v=w", 7, "m/k=v=w", "split at the first '='"},
        {"m/k=", 4, "m/k=", "empty value allowed"},
        {"m/a=1/b=2", 9, "m/a=1/b=2", "metric ends at the first '/'"},
        {"", MA_ERR_SYNTAX, NULL, "empty"},
        {"/k=v", MA_ERR_SYNTAX, NULL, "empty metric"},
        {"m/k", MA_ERR_SYNTAX, NULL, "tag without '='"},
        {"m/=v", MA_ERR_SYNTAX, NULL, "empty key"},
        {"m/a=1,,b=2", MA_ERR_SYNTAX, NULL, "empty tag"},
        {"m/a=1,", MA_ERR_SYNTAX, NULL, "trailing comma"},
        {"m/,a=1", MA_ERR_SYNTAX, NULL, "leading comma"},
        {"m/a=1,a=2", MA_ERR_SYNTAX, NULL, "duplicate key"},
        {"m/a=1, b=2", MA_ERR_SYNTAX, NULL, "space"},
        {"cpu busy", MA_ERR_SYNTAX, NULL, "space in metric"},
        {"m/a=\"x\"", MA_ERR_SYNTAX, NULL, "quote refused by graph"},
        {"m/a=x>y", MA_ERR_SYNTAX, NULL, "'>' refused by graph"},
        {"m\n", MA_ERR_SYNTAX, NULL, "newline"},
    };
    char out[64];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = ma_falcon_counter_normalize(rows[i].in, out, sizeof out);

        if (rc != rows[i].rc)
            fprintf(stderr, "row %zu (%s)\n", i, rows[i].why);
        CHECK_EQ(rc, rows[i].rc);
        if (rows[i].out != NULL && rc >= 0)
            CHECK_STR(out, rows[i].out);
    }
    /* exactly fitting, one short */
    CHECK_EQ(ma_falcon_counter_normalize("m/b=1,a=2", out, 10), 9);
    CHECK_STR(out, "m/a=2,b=1");
    CHECK_EQ(ma_falcon_counter_normalize("m/b=1,a=2", out, 9), MA_ERR_NOSPACE);
    CHECK_EQ(ma_falcon_counter_normalize("m", out, 1), MA_ERR_NOSPACE);
    /* tag count limit */
    {
        char in[1024];
        int n = snprintf(in, sizeof in, "m/");
        int k;

        for (k = 0; k <= MA_FALCON_MAX_TAGS; k++)
            n += snprintf(in + n, sizeof in - (size_t)n, "%sk%02d=v", k ? "," : "", MA_FALCON_MAX_TAGS - k);
        CHECK_EQ(ma_falcon_counter_normalize(in, out, sizeof out), MA_ERR_LIMIT);
    }
}

/* ==== request ================================================================================ */

static void test_body_and_token(void)
{
    static const struct ma_falcon_pair pairs[] = {
        {"test-sample-59f6b8979b-dcsdn", "cpu.busy"},
        {"web\"0<", "net.if.in.bytes/iface=eth0"},
    };
    struct ma_buf b;
    char mem[256];

    ma_buf_init_fixed(&b, mem, sizeof mem);
    CHECK_EQ(ma_falcon_body_write(&b, pairs, 2), MA_OK);
    CHECK_STR(ma_buf_cstr(&b),
              "[{\"endpoint\":\"test-sample-59f6b8979b-dcsdn\",\"counter\":\"cpu.busy\"},"
              "{\"endpoint\":\"web\\\"0\\u003c\",\"counter\":\"net.if.in.bytes/iface=eth0\"}]");
    ma_buf_reset(&b);
    CHECK_EQ(ma_falcon_body_write(&b, pairs, 0), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "[]");
    ma_buf_init_fixed(&b, mem, 20);
    CHECK_EQ(ma_falcon_body_write(&b, pairs, 2), MA_ERR_NOSPACE);

    ma_buf_init_fixed(&b, mem, sizeof mem);
    CHECK_EQ(ma_falcon_token_write(&b, MA_FALCON_DEFAULT_NAME, MA_FALCON_DEFAULT_SIG), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "{\"name\":\"k8s-falcon-metrics-adapter\","
                               "\"sig\":\"default-token-used-in-server-side\"}");
    ma_buf_reset(&b);
    CHECK_EQ(ma_falcon_token_write(&b, "a\"b", "x\r\ny&"), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "{\"name\":\"a\\\"b\",\"sig\":\"x\\r\\ny\\u0026\"}");
    ma_buf_init_fixed(&b, mem, 10);
    CHECK_EQ(ma_falcon_token_write(&b, "name", "sig"), MA_ERR_NOSPACE);

    CHECK_STR(ma_falcon_path(MA_FALCON_LASTPOINT), "/api/v1/graph/lastpoint");
    CHECK_STR(ma_falcon_path(MA_FALCON_GRAPH_LAST), "/graph/last");
}

/* ==== reply ================================================================================== */

static const struct ma_falcon_pair rq[] = {
    {"pod-a", "cpu.busy"},
    {"pod-b", "cpu.busy"},
    {"pod-a", "net.if.in.bytes/iface=eth0"},
};

#define EL(e, c, v) "{\"endpoint\":\"" e "\",\"counter\":\"" c "\",\"value\":" v "}"

struct pt_want {
    int found, has_value;
    long long ts;
    double v;
};

/* The matcher is linear: 5,000 series per reply, in request order and reversed, every one found.
 * Prints the time (never asserted: a loaded machine). */
static void test_reply_parse_5000(void)
{
    enum { N = 5000 };
    struct ma_falcon_pair *pairs = ma_xcalloc(N, sizeof *pairs);
    struct ma_falcon_point *pts = ma_xcalloc(N, sizeof *pts);
    char (*names)[32] = ma_xcalloc(N, sizeof *names);
    jsmntok_t *tk = ma_xcalloc(N * 12 + 8, sizeof *tk);
    struct ma_buf fwd = {0}, rev = {0};
    struct ma_errmsg em;
    int64_t t0, t1;
    int i, pass;

    for (i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "pod-%05d", i);
        pairs[i].endpoint = names[i];
        pairs[i].counter = "net.if.in.bytes/iface=eth0";
    }
    for (pass = 0; pass < 2; pass++) {
        struct ma_buf *b = pass ? &rev : &fwd;

        ma_buf_init_heap(b, 16 << 20);
        ma_buf_appends(b, "[");
        for (i = 0; i < N; i++) {
            int k = pass ? N - 1 - i : i;
            char el[200];

            snprintf(el, sizeof el, "%s{\"endpoint\":\"%s\",\"counter\":\"%s\",\"value\":"
                     "{\"timestamp\":%d,\"value\":%d.5}}", i ? "," : "", names[k],
                     pairs[k].counter, 1617866100 + k, k);
            ma_buf_appends(b, el);
        }
        ma_buf_appends(b, "]");
    }
    for (pass = 0; pass < 2; pass++) {
        struct ma_buf *b = pass ? &rev : &fwd;

        t0 = ma_time_mono_us();
        CHECK_EQ(ma_falcon_reply_parse(b->p, b->len, pairs, N, pts, tk, N * 12 + 8, &em), N);
        t1 = ma_time_mono_us();
        CHECK_EQ(pts[1234].timestamp, 1617866100 + 1234);
        CHECK(pts[N - 1].value == N - 1 + 0.5);
        printf("falcon reply matcher: %d series (%s order) in %.2f ms\n", N,
               pass ? "reversed" : "request", (double)(t1 - t0) / 1000.0);
    }
    ma_buf_free(&fwd);
    ma_buf_free(&rev);
    free(tk);
    free(names);
    free(pts);
    free(pairs);
}

static void test_reply_parse(void)
{
    static const struct {
        const char *reply;
        int rc;
        struct pt_want p[3];
        const char *em;
        const char *why;
    } rows[] = {
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":1617866100,\"value\":43.000000}") "," EL(
             "pod-b", "cpu.busy", "{\"timestamp\":1617866160,\"value\":0.500000}") "," EL("pod-a",
             "net.if.in.bytes/iface=eth0", "{\"timestamp\":1617866100,\"value\":1051660.5}") "]",
         3, {{1, 1, 1617866100, 43}, {1, 1, 1617866160, 0.5}, {1, 1, 1617866100, 1051660.5}}, NULL,
         "in order"},
        {"[" EL("pod-a", "net.if.in.bytes/iface=eth0", "{\"timestamp\":1,\"value\":2}") "," EL(
             "pod-a", "cpu.busy", "{\"timestamp\":3,\"value\":4}") "]",
         2, {{1, 1, 3, 4}, {0, 0, 0, 0}, {1, 1, 1, 2}}, NULL, "reordered, one omitted"},
        {"[" EL("pod-c", "cpu.busy", "{\"timestamp\":1,\"value\":2}") "," EL(
             "pod-a", "cpu.idle", "{\"timestamp\":1,\"value\":2}") "," EL("pod-b", "cpu.busy",
                                                                          "{\"timestamp\":5,\"value\":6}") "]",
         1, {{0, 0, 0, 0}, {1, 1, 5, 6}, {0, 0, 0, 0}}, NULL, "unknown elements ignored"},
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":1617866100,\"value\":null}") "]", 1,
         {{1, 0, 1617866100, 0}}, NULL, "null value (NaN)"},
        {"[" EL("pod-a", "cpu.busy", "null") "," EL("pod-b", "cpu.busy", "{\"timestamp\":0,\"value\":0.000000}") "]",
         1, {{0, 0, 0, 0}, {1, 1, 0, 0}}, NULL, "null value object: absent; unknown series ts 0"},
        {"[{\"endpoint\":\"pod-a\",\"counter\":\"cpu.busy\"}]", 0, {{0}}, NULL, "no value member"},
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":1.6e9,\"value\":1E2}") "," EL(
             "pod-b", "cpu.busy", "{\"timestamp\":1617866100.9,\"value\":-2.5e-1}") "]",
         2, {{1, 1, 1600000000, 100}, {1, 1, 1617866100, -0.25}}, NULL, "any number form"},
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":\"1\",\"value\":2}") "," EL(
             "pod-b", "cpu.busy", "{\"timestamp\":1,\"value\":\"2\"}") ",1,null,\"x\",[]]",
         0, {{0}}, NULL, "malformed elements ignored"},
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":1,\"value\":1}") "," EL(
             "pod-a", "cpu.busy", "{\"timestamp\":2,\"value\":2}") "]",
         1, {{1, 1, 2, 2}}, NULL, "repeat: last wins"},
        {"[{\"endpoint\":\"pod\\u002da\",\"counter\":\"cpu.busy\",\"value\":{\"timestamp\":7,\"value\":8}}]",
         1, {{1, 1, 7, 8}}, NULL, "escaped strings matched after unescaping"},
        {"[]", 0, {{0}}, NULL, "empty"},
        {"null", MA_ERR_UPSTREAM, {{0}}, "malformed reply: not a JSON array", "null"},
        {"{\"error\":\"token key is not set\"}", MA_ERR_UPSTREAM, {{0}}, "token key is not set",
         "falcon-plus error"},
        {"{\"msg\":\"empty\"}", MA_ERR_UPSTREAM, {{0}}, "empty", "query module error"},
        {"{\"a\":1}", MA_ERR_UPSTREAM, {{0}}, "malformed reply: an object, not an array", "object"},
        {"<html>", MA_ERR_UPSTREAM, {{0}}, "malformed reply: ", "not JSON"},
        {"[" EL("pod-a", "cpu.busy", "{\"timestamp\":1,\"value\":1}"), MA_ERR_UPSTREAM, {{0}},
         "malformed reply: ", "truncated"},
        {"", MA_ERR_UPSTREAM, {{0}}, "malformed reply: ", "empty body"},
    };
    struct ma_falcon_point pts[3];
    jsmntok_t toks[3 * MA_FALCON_TOKENS_PER_PAIR + MA_FALCON_TOKENS_EXTRA];
    struct ma_errmsg em;
    size_t i, k;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc;

        em.msg[0] = '\0';
        rc = ma_falcon_reply_parse(rows[i].reply, strlen(rows[i].reply), rq, 3, pts, toks,
                                   (int)(sizeof toks / sizeof toks[0]), &em);
        if (rc != rows[i].rc)
            fprintf(stderr, "row %zu (%s): %s\n", i, rows[i].why, em.msg);
        CHECK_EQ(rc, rows[i].rc);
        if (rows[i].em != NULL)
            CHECK(strncmp(em.msg, rows[i].em, strlen(rows[i].em)) == 0);
        for (k = 0; k < 3; k++) {
            CHECK_EQ(pts[k].found, rows[i].p[k].found);
            CHECK_EQ(pts[k].has_value, rows[i].p[k].has_value);
            CHECK_EQ(pts[k].timestamp, rows[i].p[k].ts);
            CHECK(pts[k].value == rows[i].p[k].v);
        }
    }
    /* a duplicate request pair gets the answer too */
    {
        static const struct ma_falcon_pair dup[] = {{"e", "c"}, {"e", "d"}, {"e", "c"}};
        const char *r = "[" EL("e", "c", "{\"timestamp\":9,\"value\":1}") "]";

        CHECK_EQ(ma_falcon_reply_parse(r, strlen(r), dup, 3, pts, toks, 64, &em), 2);
        CHECK(pts[0].found && !pts[1].found && pts[2].found && pts[2].timestamp == 9);
        /* the second element is found from a moved start: every equal pair still gets it */
        r = "[" EL("e", "d", "{\"timestamp\":1,\"value\":1}") "," EL(
            "e", "c", "{\"timestamp\":9,\"value\":1}") "]";
        CHECK_EQ(ma_falcon_reply_parse(r, strlen(r), dup, 3, pts, toks, 64, &em), 3);
        CHECK_EQ(pts[0].timestamp, 9);
        CHECK_EQ(pts[2].timestamp, 9);
        CHECK_EQ(pts[1].timestamp, 1);
    }
    /* too many tokens for the scratch */
    {
        const char *r = "[1,2,3,4,5,6,7,8,9,10]";

        CHECK_EQ(ma_falcon_reply_parse(r, strlen(r), rq, 3, pts, toks, 4, &em), MA_ERR_UPSTREAM);
        CHECK(strncmp(em.msg, "malformed reply: ", 17) == 0);
    }
}

/* ==== environment ============================================================================ */

static void test_config_env(void)
{
    struct ma_falcon_api_config cfg;
    struct ma_falcon_env_store st;
    struct ma_errmsg em;
    char path[] = "/tmp/falcon_sig_XXXXXX";
    int fd;

    unsetenv("FALCON_API_URL");
    unsetenv("FALCON_API_NAME");
    unsetenv("FALCON_API_SIG");
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, NULL, &st, &em), MA_OK);
    CHECK_STR(cfg.url, "api.monitor.ik.srv");
    CHECK_STR(cfg.token_name, "k8s-falcon-metrics-adapter");
    CHECK_STR(cfg.token_sig, "default-token-used-in-server-side");

    /* empty sig: both defaults, the set name ignored (the original's quirk) */
    setenv("FALCON_API_URL", "falcon-api:8080", 1);
    setenv("FALCON_API_NAME", "alice", 1);
    setenv("FALCON_API_SIG", "", 1);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, NULL, &st, &em), MA_OK);
    CHECK_STR(cfg.url, "falcon-api:8080");
    CHECK_STR(cfg.token_name, "k8s-falcon-metrics-adapter");
    CHECK_STR(cfg.token_sig, "default-token-used-in-server-side");

    setenv("FALCON_API_SIG", "s3cret", 1);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, NULL, &st, &em), MA_OK);
    CHECK_STR(cfg.token_name, "alice");
    CHECK_STR(cfg.token_sig, "s3cret");

    /* flags (fields already set) win */
    memset(&cfg, 0, sizeof cfg);
    cfg.url = "http://x:1";
    cfg.token_name = "bob";
    setenv("FALCON_API_SIG", "", 1);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, NULL, &st, &em), MA_OK);
    CHECK_STR(cfg.url, "http://x:1");
    CHECK_STR(cfg.token_name, "bob");
    CHECK_STR(cfg.token_sig, "default-token-used-in-server-side");

    /* sig file: trimmed, preferred over the environment */
    setenv("FALCON_API_SIG", "from-env", 1);
    fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "  file-sig\n", 11) == 11);
    close(fd);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_OK);
    CHECK_STR(cfg.token_sig, "file-sig");
    CHECK_STR(cfg.token_name, "alice");

    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(fd, "a\nb\n", 4) == 4);
    close(fd);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_ERR_SYNTAX);
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "empty") != NULL);
    {
        static char big[2000];

        memset(big, 'x', sizeof big);
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big);
        close(fd);
        memset(&cfg, 0, sizeof cfg);
        CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_ERR_LIMIT);
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(write(fd, big, sizeof st.sig - 1) == (ssize_t)sizeof st.sig - 1);
        close(fd);
        memset(&cfg, 0, sizeof cfg);
        CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_OK);
        CHECK_EQ(strlen(cfg.token_sig), sizeof st.sig - 1);
    }
    unlink(path);
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ(ma_falcon_api_config_env(&cfg, path, &st, &em), MA_ERR_IO);
    unsetenv("FALCON_API_URL");
    unsetenv("FALCON_API_NAME");
    unsetenv("FALCON_API_SIG");
}

/* ==== fake Falcon on the loop ================================================================ */

enum fmode { FM_OK, FM_401, FM_500, FM_SILENT, FM_GARBAGE };

struct fconn {
    struct fconn *next;
    int fd;
    char in[1 << 16];
    size_t inlen;
};

static struct {
    int lfd, port, requests, max_pairs, total_pairs;
    enum fmode mode;
    struct fconn *conns;
    char token[256], path[64];
} fs;

static struct ma_net_loop *loop;

static void fc_close(struct fconn *c)
{
    if (c->fd >= 0) {
        ma_net_loop_unwatch(loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
}

/* Small replies on a fresh socket: one blocking-free send is enough for the test. */
static void fc_reply(struct fconn *c, int status, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                                        "Content-Length: %zu\r\n\r\n", status, len);

    CHECK(send(c->fd, head, (size_t)n, MSG_NOSIGNAL) == n);
    CHECK(send(c->fd, body, len, MSG_NOSIGNAL) == (ssize_t)len);
}

/* The lastpoint answer: elements in reverse order; "pod-N" has value N.5 at 1617866100; counter
 * "nan" answers null, "gone" is omitted, as Falcon does for a failed graph RPC. */
static void answer(struct fconn *c, const char *body, size_t len)
{
    jsmntok_t toks[4096];
    struct ma_json_doc d;
    struct ma_buf out;
    struct ma_json_w w;
    int els[1024], nel = 0, it = 0, el;

    CHECK_EQ(ma_json_parse(&d, body, len, toks, 4096, NULL), MA_OK);
    while ((el = ma_json_next(&d, 0, &it, NULL)) >= 0 && nel < 1024)
        els[nel++] = el;
    fs.max_pairs = nel > fs.max_pairs ? nel : fs.max_pairs;
    fs.total_pairs += nel;
    ma_buf_init_heap(&out, 1 << 20);
    ma_json_w_init(&w, &out, 0);
    ma_json_w_arr_begin(&w);
    while (nel-- > 0) {
        char ep[64], ct[64], num[64];
        int ne;

        ma_json_str(&d, ma_json_get(&d, els[nel], "endpoint"), ep, sizeof ep);
        ma_json_str(&d, ma_json_get(&d, els[nel], "counter"), ct, sizeof ct);
        if (strcmp(ct, "gone") == 0)
            continue;
        ne = atoi(ep + 4);
        ma_json_w_obj_begin(&w);
        ma_json_w_key(&w, "endpoint");
        ma_json_w_str(&w, ep);
        ma_json_w_key(&w, "counter");
        ma_json_w_str(&w, ct);
        ma_json_w_key(&w, "value");
        ma_json_w_obj_begin(&w);
        ma_json_w_key(&w, "timestamp");
        ma_json_w_int(&w, 1617866100);
        ma_json_w_key(&w, "value");
        snprintf(num, sizeof num, "%d.500000", ne);
        if (strcmp(ct, "nan") == 0)
            ma_json_w_null(&w);
        else
            ma_json_w_raw(&w, num, strlen(num));
        ma_json_w_obj_end(&w);
        ma_json_w_obj_end(&w);
    }
    ma_json_w_arr_end(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    fc_reply(c, 200, out.p, out.len);
    ma_buf_free(&out);
}

static void serve(struct fconn *c)
{
    for (;;) {
        char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4), *h;
        size_t hlen, blen = 0;

        if (end == NULL)
            return;
        hlen = (size_t)(end - c->in) + 4;
        end[2] = '\0';
        if ((h = strcasestr(c->in, "\r\nContent-Length: ")) != NULL)
            blen = strtoul(h + 18, NULL, 10);
        if ((h = strcasestr(c->in, "\r\nApitoken: ")) != NULL)
            snprintf(fs.token, sizeof fs.token, "%.*s", (int)strcspn(h + 12, "\r"), h + 12);
        snprintf(fs.path, sizeof fs.path, "%.*s", (int)strcspn(c->in, "\r"), c->in);
        end[2] = '\r';
        if (c->inlen < hlen + blen)
            return;
        fs.requests++;
        switch (fs.mode) {
        case FM_OK:
            answer(c, c->in + hlen, blen);
            break;
        case FM_401:
            fc_reply(c, 401, "{\"error\":\"token key is not set\"}", 32);
            break;
        case FM_500:
            fc_reply(c, 500, "internal\nerror", 14);
            break;
        case FM_SILENT:
            break;
        case FM_GARBAGE:
            fc_reply(c, 200, "<html>oops</html>", 17);
            break;
        }
        memmove(c->in, c->in + hlen + blen, c->inlen - hlen - blen);
        c->inlen -= hlen + blen;
    }
}

static void fc_event(struct ma_net_loop *l, int fd, unsigned ev, void *arg)
{
    struct fconn *c = arg;
    ssize_t n;

    (void)l;
    (void)fd;
    (void)ev;
    n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            fc_close(c);
        return;
    }
    c->inlen += (size_t)n;
    serve(c);
}

static void fs_accept(struct ma_net_loop *l, int fd, unsigned ev, void *arg)
{
    int cfd;

    (void)l;
    (void)ev;
    (void)arg;
    while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct fconn *c = ma_xcalloc(1, sizeof *c);

        c->fd = cfd;
        c->next = fs.conns;
        fs.conns = c;
        ma_net_loop_watch(loop, cfd, MA_NET_READABLE, fc_event, c);
    }
}

static void fs_start(void)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof sa;

    fs.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fs.lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(fs.lfd, 16) == 0);
    getsockname(fs.lfd, (struct sockaddr *)&sa, &sl);
    fs.port = ntohs(sa.sin_port);
    ma_net_loop_watch(loop, fs.lfd, MA_NET_READABLE, fs_accept, NULL);
}

static void fs_reset(enum fmode mode)
{
    while (fs.conns != NULL) {
        struct fconn *c = fs.conns;

        fs.conns = c->next;
        fc_close(c);
        free(c);
    }
    fs.requests = fs.max_pairs = fs.total_pairs = 0;
    fs.token[0] = fs.path[0] = '\0';
    fs.mode = mode;
}

/* ==== queries ================================================================================ */

struct qres {
    int done, err;
    char msg[MA_ERRMSG_SIZE];
    struct ma_falcon_point pts[2000];
    size_t n;
};

static void on_q(int err, const struct ma_errmsg *em, const struct ma_falcon_point *pts, size_t n,
                 void *arg)
{
    struct qres *r = arg;

    r->done++;
    r->err = err;
    snprintf(r->msg, sizeof r->msg, "%s", em != NULL ? em->msg : "");
    r->n = n;
    if (n > 0 && n <= 2000)
        memcpy(r->pts, pts, n * sizeof *pts);
    ma_net_loop_stop(loop);
}

static int64_t guard_fired(struct ma_net_loop *l, void *arg)
{
    *(int *)arg = 1;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void run_loop(void)
{
    int fired = 0;
    uint64_t g = ma_net_loop_add_timer(loop, 5000, guard_fired, &fired);

    ma_net_loop_run(loop);
    ma_net_loop_del_timer(loop, g);
    CHECK(!fired);
}

static struct ma_falcon_api *new_api(enum ma_falcon_flavour fl, size_t batch, int64_t timeout_ms,
                                     int bare)
{
    struct ma_falcon_api_config cfg = {0};
    struct ma_errmsg em;
    struct ma_falcon_api *api;
    char url[64];

    snprintf(url, sizeof url, "%s127.0.0.1:%d%s", bare ? "" : "http://", fs.port, bare ? "" : "/");
    cfg.url = url;
    cfg.flavour = fl;
    cfg.token_name = "adapter";
    cfg.token_sig = "s\"ig";
    cfg.timeout_ms = timeout_ms;
    cfg.max_batch = batch;
    api = ma_falcon_api_new(loop, &cfg, &em);
    CHECK(api != NULL);
    return api;
}

static struct ma_falcon_pair *make_pairs(size_t n, char (*names)[32])
{
    struct ma_falcon_pair *p = ma_xcalloc(n, sizeof *p);
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(names[i], 32, "pod-%zu", i);
        p[i].endpoint = names[i];
        p[i].counter = i % 7 == 3 ? "nan" : i % 7 == 5 ? "gone" : "cpu.busy";
    }
    return p;
}

static void query(struct ma_falcon_api *api, struct ma_falcon_pair *p, size_t n, struct qres *r)
{
    memset(r, 0, sizeof *r);
    ma_falcon_api_query(api, p, n, on_q, r);
    CHECK_EQ(r->done, 0); /* never inside the call */
    run_loop();
    CHECK_EQ(r->done, 1);
}

static void test_query_batches(void)
{
    static char names[1200][32];
    static struct qres r;
    struct ma_falcon_pair *p = make_pairs(1200, names);
    struct ma_falcon_api *api = new_api(MA_FALCON_LASTPOINT, 100, 0, 1);
    size_t i;

    /* one request for a 50-pod batch, bare host:port means http */
    fs_reset(FM_OK);
    query(api, p, 50, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.n, 50);
    CHECK_EQ(fs.requests, 1);
    CHECK_EQ(fs.max_pairs, 50);
    CHECK_STR(fs.path, "POST /api/v1/graph/lastpoint HTTP/1.1");
    CHECK_STR(fs.token, "{\"name\":\"adapter\",\"sig\":\"s\\\"ig\"}");
    for (i = 0; i < 50; i++) {
        CHECK_EQ(r.pts[i].found, i % 7 != 5);
        CHECK_EQ(r.pts[i].has_value, i % 7 != 5 && i % 7 != 3);
        if (r.pts[i].has_value) {
            CHECK_EQ(r.pts[i].timestamp, 1617866100);
            CHECK(r.pts[i].value == (double)i + 0.5);
        }
    }
    /* 1200 pairs at 100 per request: 12 requests, none larger than the batch, all answered */
    fs_reset(FM_OK);
    query(api, p, 1200, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.n, 1200);
    CHECK_EQ(fs.requests, 12);
    CHECK_EQ(fs.max_pairs, 100);
    CHECK_EQ(fs.total_pairs, 1200);
    for (i = 0; i < 1200; i++)
        if (i % 7 == 0)
            CHECK(r.pts[i].found && r.pts[i].value == (double)i + 0.5);
    /* an uneven tail */
    fs_reset(FM_OK);
    query(api, p, 201, &r);
    CHECK_EQ(fs.requests, 3);
    CHECK(r.pts[200].found && r.pts[200].value == 200.5);
    /* nothing asked: no request, callback still from the loop */
    fs_reset(FM_OK);
    query(api, p, 0, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_EQ(r.n, 0);
    CHECK_EQ(fs.requests, 0);
    ma_falcon_api_free(api);

    /* the old query module's path */
    api = new_api(MA_FALCON_GRAPH_LAST, 0, 0, 0);
    fs_reset(FM_OK);
    query(api, p, 3, &r);
    CHECK_EQ(r.err, MA_OK);
    CHECK_STR(fs.path, "POST /graph/last HTTP/1.1");
    CHECK(r.pts[2].found && r.pts[2].value == 2.5);
    ma_falcon_api_free(api);
    free(p);
}

static void test_query_errors(void)
{
    static char names[300][32];
    static struct qres r;
    struct ma_falcon_pair *p = make_pairs(300, names);
    struct ma_falcon_api *api = new_api(MA_FALCON_LASTPOINT, 100, 300, 1);
    char want[160];

    fs_reset(FM_401);
    query(api, p, 5, &r);
    CHECK_EQ(r.err, MA_ERR_UPSTREAM);
    snprintf(want, sizeof want, "Open-Falcon at 127.0.0.1:%d answered 401: token key is not set",
             fs.port);
    CHECK_STR(r.msg, want);

    /* the first failed chunk fails the query; the others stop */
    fs_reset(FM_500);
    query(api, p, 300, &r);
    CHECK_EQ(r.err, MA_ERR_UPSTREAM);
    snprintf(want, sizeof want, "Open-Falcon at 127.0.0.1:%d answered 500: internal error",
             fs.port);
    CHECK_STR(r.msg, want);
    CHECK(fs.requests >= 1 && fs.requests <= 3);

    fs_reset(FM_GARBAGE);
    query(api, p, 5, &r);
    CHECK_EQ(r.err, MA_ERR_UPSTREAM);
    snprintf(want, sizeof want, "Open-Falcon at 127.0.0.1:%d: malformed reply: ", fs.port);
    CHECK(strncmp(r.msg, want, strlen(want)) == 0);

    fs_reset(FM_SILENT);
    query(api, p, 5, &r);
    CHECK_EQ(r.err, MA_ERR_TIMEOUT);
    snprintf(want, sizeof want, "Open-Falcon at 127.0.0.1:%d timed out after 300 ms", fs.port);
    CHECK_STR(r.msg, want);
    ma_falcon_api_free(api);

    /* whole seconds are said in seconds */
    api = new_api(MA_FALCON_LASTPOINT, 100, 1000, 1);
    fs_reset(FM_SILENT);
    query(api, p, 1, &r);
    CHECK_EQ(r.err, MA_ERR_TIMEOUT);
    snprintf(want, sizeof want, "Open-Falcon at 127.0.0.1:%d timed out after 1 s", fs.port);
    CHECK_STR(r.msg, want);
    ma_falcon_api_free(api);

    /* connection refused: the port of a closed listener */
    {
        struct ma_falcon_api_config cfg = {0};
        struct ma_errmsg em;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {0};
        socklen_t sl = sizeof sa;
        char url[64];

        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(s, (struct sockaddr *)&sa, sizeof sa);
        getsockname(s, (struct sockaddr *)&sa, &sl);
        close(s);
        snprintf(url, sizeof url, "127.0.0.1:%d", ntohs(sa.sin_port));
        cfg.url = url;
        api = ma_falcon_api_new(loop, &cfg, &em);
        CHECK(api != NULL);
        query(api, p, 2, &r);
        CHECK_EQ(r.err, MA_ERR_UPSTREAM);
        snprintf(want, sizeof want, "Open-Falcon at %s: ", url);
        CHECK(strncmp(r.msg, want, strlen(want)) == 0);
        ma_falcon_api_free(api);
    }
    free(p);
}

static struct ma_falcon_api *free_me;

static void on_q_free(int err, const struct ma_errmsg *em, const struct ma_falcon_point *pts,
                      size_t n, void *arg)
{
    on_q(err, em, pts, n, arg);
    ma_falcon_api_free(free_me);
}

static int64_t cancel_soon(struct ma_net_loop *l, void *arg)
{
    ma_falcon_query_cancel(arg);
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static void test_query_cancel_and_free(void)
{
    static char names[10][32];
    static struct qres r;
    struct ma_falcon_pair *p = make_pairs(10, names);
    struct ma_falcon_api *api = new_api(MA_FALCON_LASTPOINT, 2, 0, 1);
    struct ma_falcon_query *q;
    struct ma_errmsg em;
    struct ma_falcon_api_config bad = {0};

    /* cancel while requests are out: no callback */
    fs_reset(FM_SILENT);
    memset(&r, 0, sizeof r);
    q = ma_falcon_api_query(api, p, 10, on_q, &r);
    ma_net_loop_add_timer(loop, 50, cancel_soon, q);
    run_loop();
    CHECK_EQ(r.done, 0);
    CHECK_EQ(fs.requests, MA_FALCON_MAX_INFLIGHT);

    /* free with queries pending: no callback */
    memset(&r, 0, sizeof r);
    ma_falcon_api_query(api, p, 10, on_q, &r);
    ma_falcon_api_query(api, p, 0, on_q, &r);
    ma_falcon_api_free(api);
    CHECK_EQ(r.done, 0);

    /* the callback may free the api */
    fs_reset(FM_OK);
    free_me = new_api(MA_FALCON_LASTPOINT, 2, 0, 1);
    memset(&r, 0, sizeof r);
    ma_falcon_api_query(free_me, p, 10, on_q_free, &r);
    run_loop();
    CHECK_EQ(r.done, 1);
    CHECK_EQ(r.err, MA_OK);

    bad.url = "ftp://x";
    CHECK(ma_falcon_api_new(loop, &bad, &em) == NULL);
    free(p);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_counter_normalize);
    T_RUN(test_body_and_token);
    T_RUN(test_reply_parse);
    T_RUN(test_reply_parse_5000);
    T_RUN(test_config_env);
    loop = ma_net_loop_new(1024);
    fs_start();
    T_RUN(test_query_batches);
    T_RUN(test_query_errors);
    T_RUN(test_query_cancel_and_free);
    fs_reset(FM_OK);
    ma_net_loop_unwatch(loop, fs.lfd);
    close(fs.lfd);
    ma_net_loop_free(loop);
    T_END();
}
