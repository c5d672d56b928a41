/* Tests of src/prom/query.c: vector and scalar replies, value forms, error replies and
 * malformed shapes. */
#include "prom/query.h"

#include <math.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/file.h"
#include "t.h"

struct out {
    char text[4096];
    size_t len;
    int stop_at, seen;
};

static int on_sample(void *arg, const struct ma_prom_sample *s)
{
    struct out *o = arg;
    size_t i;
    int w;

    if (++o->seen == o->stop_at)
        return MA_ERR_DENIED;
    for (i = 0; i < s->nlabels; i++) {
        w = snprintf(o->text + o->len, sizeof o->text - o->len, "%.*s=%.*s,",
                     (int)s->labels[i].name.len, s->labels[i].name.p,
                     (int)s->labels[i].value.len, s->labels[i].value.p);
        o->len += (size_t)w;
    }
    w = snprintf(o->text + o->len, sizeof o->text - o->len, "@%.3f:%.17g;", s->ts, s->value);
    o->len += (size_t)w;
    return MA_OK;
}

static int run(const char *js, struct out *o, struct ma_prom_query_info *info,
               struct ma_errmsg *em)
{
    memset(o, 0, sizeof *o);
    em->msg[0] = '\0';
    return ma_prom_query_parse(js, strlen(js), on_sample, o, info, em);
}

static void test_replies(void)
{
    static const struct {
        const char *in;
        int want;
        const char *out; /* output, or em on error */
    } rows[] = {
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{\"namespace\":\"default\",\"pod\":\"sample-app-0\"},\"value\":"
         "[1700000000.25,\"0.5\"]},{\"metric\":{},\"value\":[1700000001,\"1e3\"]},"
         "{\"metric\":{\"a\":\"\\u00e9\"},\"value\":[1,\"-2.5E-1\"]}]}}",
         MA_OK,
         "namespace=default,pod=sample-app-0,@1700000000.250:0.5;@1700000001.000:1000;"
         "a=\xc3\xa9,@1.000:-0.25;"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", MA_OK, ""},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{},\"value\":[1,\"NaN\"]},{\"value\":[2,\"+Inf\"]},"
         "{\"metric\":{},\"value\":[3,\"-Inf\"]}]}}",
         MA_OK, "@1.000:nan;@2.000:inf;@3.000:-inf;"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[12.5,\"42\"]}}",
         MA_OK, "@12.500:42;"},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"query\\\": 1:5: parse error: unexpected\"}",
         MA_ERR_UPSTREAM, "bad_data: invalid parameter \"query\": 1:5: parse error: unexpected"},
        {"{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out\"}",
         MA_ERR_UPSTREAM, "timeout: query timed out"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
         MA_ERR_UPSTREAM,
         "query returned a matrix, not a vector or scalar (use an instant-vector expression)"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"x\"]}}",
         MA_ERR_UPSTREAM,
         "query returned a string, not a vector or scalar (use an instant-vector expression)"},
        {"<html>503</html>", MA_ERR_SYNTAX, NULL},
        {"[]", MA_ERR_SYNTAX, "reply is not a JSON object"},
        {"{}", MA_ERR_UPSTREAM, "reply has no \"status\""},
        {"{\"status\":\"success\"}", MA_ERR_SYNTAX, "query reply has no \"data\".\"resultType\""},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"tensor\",\"result\":[]}}",
         MA_ERR_SYNTAX, "query reply has an unknown resultType"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
         MA_ERR_SYNTAX, "query reply: a vector \"result\" is not an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{},\"value\":[1,\"1\"]},{\"metric\":{},\"value\":[1,2]}]}}",
         MA_ERR_SYNTAX, "query reply: a sample value is not a number in a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{},\"value\":[\"1\",\"1\"]}]}}",
         MA_ERR_SYNTAX, "query reply: a sample time is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{},\"value\":[1]}]}}",
         MA_ERR_SYNTAX, "query reply: a sample is not [time, \"value\"]"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{\"a\":1},\"value\":[1,\"1\"]}]}}",
         MA_ERR_SYNTAX, "query reply: a label value is not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":[],\"value\":[1,\"1\"]}]}}",
         MA_ERR_SYNTAX, "query reply: a sample's \"metric\" is not an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[7]}}",
         MA_ERR_SYNTAX, "query reply: a vector element is not an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{},\"value\":[1,\"0x10\"]}]}}",
         MA_ERR_SYNTAX, "query reply: a sample value is not a number in a string"},
    };
    struct out o;
    struct ma_prom_query_info info;
    struct ma_errmsg em;
    size_t i;
    int rc;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rc = run(rows[i].in, &o, &info, &em);
        if (rc != rows[i].want)
            fprintf(stderr, "row %zu: got %d (%s)\n", i, rc, em.msg);
        CHECK_EQ(rc, rows[i].want);
        if (rc == MA_OK)
            CHECK_STR(o.text, rows[i].out);
        else {
            CHECK(o.seen == 0); /* a bad reply delivers nothing */
            if (rows[i].out)
                CHECK_STR(em.msg, rows[i].out);
            else
                CHECK(strncmp(em.msg, "reply is not JSON", 17) == 0);
        }
    }
}

static void test_info_stop_limits(void)
{
    const char *js = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                     "{\"metric\":{},\"value\":[1,\"1\"]},{\"metric\":{},\"value\":[2,\"2\"]}]},"
                     "\"warnings\":[\"PromQL info: metric might not be a counter\",\"x\"]}";
    struct out o;
    struct ma_prom_query_info info;
    struct ma_errmsg em;
    struct ma_buf b;
    int i;

    CHECK_EQ(run(js, &o, &info, &em), MA_OK);
    CHECK_EQ(info.type, MA_PROM_RESULT_VECTOR);
    CHECK_EQ(info.samples, 2);
    CHECK_EQ(info.warnings, 2);
    CHECK_STR(info.first_warning, "PromQL info: metric might not be a counter");
    memset(&o, 0, sizeof o);
    o.stop_at = 2;
    CHECK_EQ(ma_prom_query_parse(js, strlen(js), on_sample, &o, NULL, &em), MA_ERR_DENIED);
    CHECK_EQ(o.seen, 2);
    /* a sample with too many labels */
    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                       "{\"metric\":{");
    for (i = 0; i <= MA_PROM_MAX_LABELS; i++)
        ma_buf_appendf(&b, "%s\"l%d\":\"v\"", i ? "," : "", i);
    ma_buf_appends(&b, "},\"value\":[1,\"1\"]}]}}");
    CHECK_EQ(run(ma_buf_cstr(&b), &o, &info, &em), MA_ERR_LIMIT);
    /* too many tokens */
    ma_buf_reset(&b);
    ma_buf_appends(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (i = 0; i < MA_PROM_QUERY_MAX_TOKENS / 4; i++)
        ma_buf_appendf(&b, "%s{\"value\":[1,\"1\"]}", i ? "," : "");
    ma_buf_appends(&b, "]}}");
    CHECK_EQ(run(ma_buf_cstr(&b), &o, &info, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "JSON tokens") != NULL);
    ma_buf_free(&b);
}

static void test_values(void)
{
    static const struct {
        const char *s;
        int ok;
        double v;
    } rows[] = {
        {"0", 1, 0},        {"-0.5", 1, -0.5}, {"1e-3", 1, 0.001}, {"1.5E+2", 1, 150},
        {"12345678901234567890", 1, 12345678901234567890.0},
        {"", 0, 0},         {" 1", 0, 0},      {"1 ", 0, 0},       {"0x1p3", 0, 0},
        {"abc", 0, 0},      {".", 0, 0},       {"1e", 0, 0},       {"--1", 0, 0},
    };
    double v;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = ma_prom_parse_value(rows[i].s, strlen(rows[i].s), &v);
        CHECK_EQ(rc, rows[i].ok ? MA_OK : MA_ERR_SYNTAX);
        if (rows[i].ok && rc == MA_OK)
            CHECK(v == rows[i].v);
    }
    CHECK(ma_prom_parse_value("NaN", 3, &v) == MA_OK && isnan(v));
    CHECK(ma_prom_parse_value("+Inf", 4, &v) == MA_OK && isinf(v) && v > 0);
    CHECK(ma_prom_parse_value("-Inf", 4, &v) == MA_OK && isinf(v) && v < 0);
    CHECK(ma_prom_parse_value("inf", 3, &v) == MA_OK && isinf(v) && v > 0);
    CHECK(ma_prom_parse_value("-NaN", 4, &v) == MA_ERR_SYNTAX);
}

/* Replies captured from a real Prometheus (tests/vectors/prom/capture.py) against what
 * Python's JSON decoder read from them. */
static void test_vectors(void)
{
    static const char *names[] = {"query_vector", "query_nodes", "query_external", "query_labels",
                                  "query_scalar", "query_special", "query_error", "query_matrix"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256], *js = NULL, *want = NULL, got[8192];
        size_t len, wlen;
        struct out o;
        struct ma_prom_query_info info;
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
        memset(&o, 0, sizeof o);
        rc = ma_prom_query_parse(js, len, on_sample, &o, &info, &em);
        if (rc == MA_OK)
            snprintf(got, sizeof got, "%s", o.text);
        else if (strstr(em.msg, "query returned a matrix"))
            snprintf(got, sizeof got, "ERR matrix");
        else
            snprintf(got, sizeof got, "ERR %s", em.msg);
        if (strcmp(got, want))
            fprintf(stderr, "vector %s\n", names[i]);
        CHECK_STR(got, want);
        free(js);
        free(want);
    }
}

int main(void)
{
    T_RUN(test_replies);
    T_RUN(test_info_stop_limits);
    T_RUN(test_values);
    T_RUN(test_vectors);
    T_END();
}
