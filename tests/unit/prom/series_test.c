/* Tests of src/prom/series.c: whole replies, every strict prefix partial, byte-by-byte feeding,
 * escapes, error replies, malformed input and the element bound. */
#include "prom/series.h"

#include <stdio.h>

#include "base/buf.h"
#include "base/file.h"
#include "t.h"

/* Each series is written as "name=value,name=value;" so results compare as one string. */
struct out {
    char text[8192];
    size_t len;
    int stop_after; /* >0: the callback returns MA_ERR_DENIED at that series */
    int seen;
    size_t last_value_len;
};

static int on_series(void *arg, const struct ma_prom_label *l, size_t n)
{
    struct out *o = arg;
    size_t i;

    o->seen++;
    o->last_value_len = n ? l[n - 1].value.len : 0;
    if (o->stop_after && o->seen == o->stop_after)
        return MA_ERR_DENIED;
    for (i = 0; i < n; i++) {
        int w = snprintf(o->text + o->len, sizeof o->text - o->len, "%s%.*s=%.*s", i ? "," : "",
                         (int)l[i].name.len, l[i].name.p, (int)l[i].value.len, l[i].value.p);
        if (w > 0 && (size_t)w < sizeof o->text - o->len)
            o->len += (size_t)w;
    }
    if (o->len + 1 < sizeof o->text)
        o->text[o->len++] = ';';
    o->text[o->len] = '\0';
    return MA_OK;
}

static struct ma_prom_series_ctx ctx; /* ~70 KiB: not on the stack */

/* Feed in pieces of `step` bytes (0: all at once); returns the finish code, em and output. */
static int run(const char *js, size_t len, size_t step, struct out *o, struct ma_errmsg *em)
{
    size_t i;
    int rc = MA_OK;

    memset(o, 0, sizeof *o);
    ma_prom_series_init(&ctx, on_series, o);
    if (!step)
        step = len ? len : 1;
    for (i = 0; i < len && rc == MA_OK; i += step)
        rc = ma_prom_series_feed(&ctx, js + i, len - i < step ? len - i : step);
    return ma_prom_series_finish(&ctx, em);
}

static const char *good =
    "{\"status\":\"success\",\"data\":[{\"__name__\":\"http_requests_total\",\"namespace\":"
    "\"default\",\"pod\":\"sample-app-0\"},\n {\"__name__\":\"up\",\"job\":\"a\\\"b\\\\c\"},"
    "{},{\"k\":\"caf\\u00e9 \\ud83d\\ude00 \\n\"}],\"warnings\":[\"w1\",\"w2\"]}\n";
static const char *good_want =
    "__name__=http_requests_total,namespace=default,pod=sample-app-0;"
    "__name__=up,job=a\"b\\c;;k=caf\xc3\xa9 \xf0\x9f\x98\x80 \n;";

static void test_whole_prefix_bytewise(void)
{
    struct out o, o2;
    struct ma_errmsg em;
    size_t len = strlen(good), cut;
    const char *w;

    CHECK_EQ(run(good, len, 0, &o, &em), MA_OK);
    CHECK_STR(o.text, good_want);
    CHECK_EQ(ma_prom_series_count(&ctx), 4);
    CHECK_EQ(ma_prom_series_warnings(&ctx, &w), 2);
    CHECK_STR(w, "w1");
    /* every strict prefix ends early (the final newline is optional) */
    for (cut = 0; cut < len - 1; cut++) {
        int rc = run(good, cut, 0, &o2, &em);
        if (rc != MA_ERR_PARTIAL)
            fprintf(stderr, "prefix %zu: %d %s\n", cut, rc, em.msg);
        CHECK_EQ(rc, MA_ERR_PARTIAL);
    }
    CHECK_EQ(run(good, len, 1, &o2, &em), MA_OK);
    CHECK_STR(o2.text, good_want);
    CHECK_EQ(run(good, len, 7, &o2, &em), MA_OK);
    CHECK_STR(o2.text, good_want);
}

static void test_shapes(void)
{
    struct out o;
    struct ma_errmsg em;
    static const struct {
        const char *in;
        int want;
        const char *msg; /* expected em, or output for MA_OK */
    } rows[] = {
        {"{\"status\":\"success\",\"data\":[]}", MA_OK, ""},
        {"  {\"data\":[{\"a\":\"1\"}] , \"status\" : \"success\"}", MA_OK, "a=1;"},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 5: "
         "unexpected\"}",
         MA_ERR_UPSTREAM, "bad_data: parse error at char 5: unexpected"},
        {"{\"status\":\"error\",\"data\":null}", MA_ERR_UPSTREAM, "error: (no message)"},
        {"{\"status\":\"weird\",\"data\":[]}", MA_ERR_UPSTREAM, "weird: (no message)"},
        {"{\"data\":[]}", MA_ERR_UPSTREAM, "series reply has no \"status\""},
        {"{\"status\":\"success\"}", MA_ERR_UPSTREAM, "series reply has no \"data\""},
        {"{\"status\":\"success\",\"x\":12.5e3,\"y\":true,\"z\":{\"a\":[1,2]},\"data\":[]}", MA_OK,
         ""},
        {"{}", MA_ERR_UPSTREAM, "series reply has no \"status\""},
        {"[]", MA_ERR_SYNTAX, "series reply is not a JSON object"},
        {"<html>", MA_ERR_SYNTAX, "series reply is not a JSON object"},
        {"{\"status\":\"success\",\"data\":[1]}", MA_ERR_SYNTAX,
         "series reply: a \"data\" element is not an object"},
        {"{\"status\":\"success\",\"data\":[{\"a\":1}]}", MA_ERR_SYNTAX,
         "series reply: a label value is not a string"},
        {"{\"status\":\"success\",\"data\":[{\"a\":\"1\",\"a\":\"2\"}]}", MA_ERR_SYNTAX,
         "series reply: a series repeats a label name"},
        {"{\"status\":\"success\",\"data\":{}}", MA_ERR_SYNTAX,
         "series reply: \"data\" is not an array"},
        {"{\"status\":\"success\",\"data\":[{\"a\":\"1\"},]}", MA_ERR_SYNTAX,
         "series reply: a \"data\" element is not an object"},
        {"{\"status\":\"success\",\"data\":[{\"a\":\"1\"}]}x", MA_ERR_SYNTAX,
         "series reply has bytes after its end"},
        {"{\"status\":\"success\",\"data\":[{\"a\":\"\\x\"}]}", MA_ERR_SYNTAX,
         "series reply is not JSON"},
        {"{\"status\":\"success\",\"data\":[{\"a\":\"1\"} {\"b\":\"2\"}]}", MA_ERR_SYNTAX,
         "series reply is not JSON (expected ',' or ']')"},
        {"{\"status\":\"success\" \"data\":[]}", MA_ERR_SYNTAX,
         "series reply is not JSON (expected ',' or '}')"},
        {"{\"status\":nul}", MA_ERR_SYNTAX, "series reply is not JSON"},
        {"{\"status\":1}", MA_ERR_SYNTAX, "series reply: \"status\" is not a string"},
        {"{status:1}", MA_ERR_SYNTAX, "series reply is not JSON (expected a key)"},
        {"{\"status\":\"success\",\"data\":[],\"data\":[]}", MA_ERR_SYNTAX,
         "series reply has \"data\" twice"},
    };
    size_t i;
    int rc;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t step;

        for (step = 0; step <= 1; step++) {
            em.msg[0] = '\0';
            rc = run(rows[i].in, strlen(rows[i].in), step, &o, &em);
            if (rc != rows[i].want)
                fprintf(stderr, "row %zu step %zu: got %d (%s)\n", i, step, rc, em.msg);
            CHECK_EQ(rc, rows[i].want);
            CHECK_STR(rc == MA_OK ? o.text : em.msg, rows[i].msg);
        }
    }
}

static void test_limits_and_stop(void)
{
    struct ma_buf b;
    struct out o;
    struct ma_errmsg em;
    size_t i;

    /* an element one byte over the bound is refused; one at the bound passes */
    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":[{\"k\":\"");
    for (i = 0; i < MA_PROM_MAX_SERIES_ELEMENT - 8; i++)
        ma_buf_appendc(&b, 'x');
    ma_buf_appends(&b, "\"}]}");
    CHECK_EQ(run(b.p, b.len, 0, &o, &em), MA_OK);
    CHECK_EQ(o.last_value_len, MA_PROM_MAX_SERIES_ELEMENT - 8);
    ma_buf_reset(&b);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":[{\"k\":\"");
    for (i = 0; i < MA_PROM_MAX_SERIES_ELEMENT - 7; i++)
        ma_buf_appendc(&b, 'x');
    ma_buf_appends(&b, "\"}]}");
    CHECK_EQ(run(b.p, b.len, 0, &o, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "exceeds") != NULL);
    CHECK_EQ(run(b.p, b.len, 1, &o, &em), MA_ERR_LIMIT);
    /* too many labels */
    ma_buf_reset(&b);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":[{");
    for (i = 0; i <= MA_PROM_MAX_LABELS; i++)
        ma_buf_appendf(&b, "%s\"l%zu\":\"v\"", i ? "," : "", i);
    ma_buf_appends(&b, "}]}");
    CHECK_EQ(run(b.p, b.len, 0, &o, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "labels") != NULL);
    /* many series stream through the fixed ctx */
    ma_buf_reset(&b);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":[");
    for (i = 0; i < 20000; i++)
        ma_buf_appendf(&b, "%s{\"__name__\":\"m%zu\",\"pod\":\"p\"}", i ? "," : "", i % 7);
    ma_buf_appends(&b, "]}");
    CHECK_EQ(run(b.p, b.len, 4096, &o, &em), MA_OK);
    CHECK_EQ(ma_prom_series_count(&ctx), 20000);
    /* the callback stops the reader */
    memset(&o, 0, sizeof o);
    o.stop_after = 2;
    ma_prom_series_init(&ctx, on_series, &o);
    CHECK_EQ(ma_prom_series_feed(&ctx, good, strlen(good)), MA_ERR_DENIED);
    CHECK_EQ(ma_prom_series_feed(&ctx, "{", 1), MA_ERR_DENIED);
    CHECK_EQ(ma_prom_series_finish(&ctx, &em), MA_ERR_DENIED);
    CHECK_STR(em.msg, "stopped by the caller");
    CHECK_EQ(o.seen, 2);
    ma_buf_free(&b);
}

/* The reply ends exactly at a page followed by an inaccessible one: no over-read. */
static void test_guard_page(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t len = strlen(good);
    struct out o;
    struct ma_errmsg em;

    CHECK(m != MAP_FAILED);
    mprotect(m + pg, (size_t)pg, PROT_NONE);
    memcpy(m + pg - len, good, len);
    CHECK_EQ(run(m + pg - len, len, 0, &o, &em), MA_OK);
    CHECK_STR(o.text, good_want);
    munmap(m, (size_t)pg * 2);
}

/* Replies captured from a real Prometheus (tests/vectors/prom/capture.py) against what
 * Python's JSON decoder read from them, whole and byte by byte. */
static void test_vectors(void)
{
    static const char *names[] = {"series_pods", "series_mixed", "series_none", "series_error"};
    size_t i, step;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256], *js = NULL, *want = NULL, got[8192];
        size_t len, wlen;
        struct out o;
        struct ma_errmsg em;
        int rc;

        snprintf(path, sizeof path, "tests/vectors/prom/%s.json", names[i]);
        CHECK_EQ(ma_file_read(path, 1 << 20, "vector", &js, &len, NULL, &em), MA_OK);
        snprintf(path, sizeof path, "tests/vectors/prom/%s.expect", names[i]);
        CHECK_EQ(ma_file_read(path, 1 << 20, "vector", &want, &wlen, NULL, &em), MA_OK);
        if (!js || !want)
            continue;
        while (wlen && want[wlen - 1] == '\n')
            want[--wlen] = '\0';
        for (step = 0; step <= 1; step++) {
            rc = run(js, len, step, &o, &em);
            if (rc == MA_OK)
                snprintf(got, sizeof got, "%s", o.text);
            else
                snprintf(got, sizeof got, "ERR %s", em.msg);
            if (strcmp(got, want))
                fprintf(stderr, "vector %s step %zu\n", names[i], step);
            CHECK_STR(got, want);
        }
        free(js);
        free(want);
    }
}

int main(void)
{
    T_RUN(test_whole_prefix_bytewise);
    T_RUN(test_shapes);
    T_RUN(test_limits_and_stop);
    T_RUN(test_guard_page);
    T_RUN(test_vectors);
    T_END();
}
