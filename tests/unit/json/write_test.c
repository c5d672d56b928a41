#include "json/write.h"

#include "base/buf.h"
#include "base/err.h"
#include "t.h"

#include <stdint.h>

/* Expected outputs were derived from Go's encoding/json (Go >= 1.22, HTML escaping on). */
static const struct {
    const char *in;
    size_t len;
    const char *want;
    const char *comment;
} string_rows[] = {
    {"", 0, "\"\"", "empty"},
    {"plain text/ok", 13, "\"plain text/ok\"", "'/' is not escaped"},
    {"a\"b\\c", 5, "\"a\\\"b\\\\c\"", "quote and backslash"},
    {"\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"", "short escapes (Go 1.22 added \\b \\f)"},
    {"\x01\x1f", 2, "\"\\u0001\\u001f\"", "other controls, lower-case hex"},
    {"a\0b", 3, "\"a\\u0000b\"", "NUL inside strn"},
    {"<a>&", 4, "\"\\u003ca\\u003e\\u0026\"", "HTML-safe escapes"},
    {"\x7f", 1, "\"\x7f\"", "DEL stays raw"},
    {"\xc3\xa9", 2, "\"\xc3\xa9\"", "valid 2-byte"},
    {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", "valid 4-byte"},
    {"\xef\xbf\xbd", 3, "\"\xef\xbf\xbd\"", "literal U+FFFD stays raw"},
    {"\xe2\x80\xa8x\xe2\x80\xa9", 7, "\"\\u2028x\\u2029\"", "line/paragraph separators"},
    {"\xe2\x80\xaa", 3, "\"\xe2\x80\xaa\"", "U+202A is not escaped"},
    {"\xff", 1, "\"\\ufffd\"", "invalid byte"},
    {"\xc0\x80", 2, "\"\\ufffd\\ufffd\"", "overlong NUL: two bad bytes"},
    {"\xe0\x9f\xbf", 3, "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte"},
    {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"", "surrogate"},
    {"\xe2\x82", 2, "\"\\ufffd\\ufffd\"", "truncated sequence"},
    {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "above U+10FFFF"},
    {"\xf5", 1, "\"\\ufffd\"", "F5 never valid"},
    {"x\xc3", 2, "\"x\\ufffd\"", "truncated at end"},
};

static void test_strings(void)
{
    size_t i;

    for (i = 0; i < sizeof string_rows / sizeof string_rows[0]; i++) {
        char mem[256];
        struct ma_buf b;
        struct ma_json_w w;

        ma_buf_init_fixed(&b, mem, sizeof mem);
        ma_json_w_init(&w, &b, 0);
        ma_json_w_strn(&w, string_rows[i].in, string_rows[i].len);
        CHECK_EQ(ma_json_w_end(&w), MA_OK);
        if (b.len != strlen(string_rows[i].want) || memcmp(b.p, string_rows[i].want, b.len) != 0) {
            fprintf(stderr, "row %zu (%s)\n", i, string_rows[i].comment);
            CHECK_STR(ma_buf_cstr(&b), string_rows[i].want);
        }
    }
}

/* {"a":1,"b":[],"c":{},"d":[-9223372036854775808,{"e":null}],"f":"x","g":true,"h":false} */
static void write_doc(struct ma_json_w *w)
{
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "a");
    ma_json_w_int(w, 1);
    ma_json_w_key(w, "b");
    ma_json_w_arr_begin(w);
    ma_json_w_arr_end(w);
    ma_json_w_key(w, "c");
    ma_json_w_obj_begin(w);
    ma_json_w_obj_end(w);
    ma_json_w_key(w, "d");
    ma_json_w_arr_begin(w);
    ma_json_w_int(w, INT64_MIN);
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "e");
    ma_json_w_str(w, NULL);
    ma_json_w_obj_end(w);
    ma_json_w_arr_end(w);
    ma_json_w_key(w, "f");
    ma_json_w_str(w, "x");
    ma_json_w_key(w, "g");
    ma_json_w_bool(w, 1);
    ma_json_w_key(w, "h");
    ma_json_w_raw(w, "false", 5);
    ma_json_w_obj_end(w);
}

static void test_compact(void)
{
    struct ma_buf b;
    struct ma_json_w w;

    ma_buf_init_heap(&b, 4096);
    ma_json_w_init(&w, &b, 0);
    write_doc(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_STR(ma_buf_cstr(&b),
              "{\"a\":1,\"b\":[],\"c\":{},\"d\":[-9223372036854775808,{\"e\":null}],"
              "\"f\":\"x\",\"g\":true,\"h\":false}");
    ma_buf_free(&b);
}

static void test_pretty(void)
{
    struct ma_buf b;
    struct ma_json_w w;

    ma_buf_init_heap(&b, 4096);
    ma_json_w_init(&w, &b, 1);
    write_doc(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "{\n"
                               "  \"a\": 1,\n"
                               "  \"b\": [],\n"
                               "  \"c\": {},\n"
                               "  \"d\": [\n"
                               "    -9223372036854775808,\n"
                               "    {\n"
                               "      \"e\": null\n"
                               "    }\n"
                               "  ],\n"
                               "  \"f\": \"x\",\n"
                               "  \"g\": true,\n"
                               "  \"h\": false\n"
                               "}");
    ma_buf_reset(&b);
    ma_json_w_init(&w, &b, 1);
    ma_json_w_arr_begin(&w);
    ma_json_w_arr_end(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "[]");
    ma_buf_free(&b);
}

/* Each row misuses the writer; the first error is reported once. */
static void misuse_value_in_object(struct ma_json_w *w)
{
    ma_json_w_obj_begin(w);
    ma_json_w_int(w, 1);
    ma_json_w_obj_end(w);
}

static void misuse_key_in_array(struct ma_json_w *w)
{
    ma_json_w_arr_begin(w);
    ma_json_w_key(w, "a");
}

static void misuse_two_keys(struct ma_json_w *w)
{
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "a");
    ma_json_w_key(w, "b");
}

static void misuse_close_mismatch(struct ma_json_w *w)
{
    ma_json_w_obj_begin(w);
    ma_json_w_arr_end(w);
}

static void misuse_unclosed(struct ma_json_w *w)
{
    ma_json_w_arr_begin(w);
}

static void misuse_two_top(struct ma_json_w *w)
{
    ma_json_w_int(w, 1);
    ma_json_w_int(w, 2);
}

static void misuse_empty(struct ma_json_w *w)
{
    (void)w;
}

static void misuse_dangling_key(struct ma_json_w *w)
{
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "a");
    ma_json_w_obj_end(w);
}

static void misuse_too_deep(struct ma_json_w *w)
{
    int i;

    for (i = 0; i <= MA_JSON_MAX_DEPTH; i++)
        ma_json_w_arr_begin(w);
}

static void misuse_key_at_top(struct ma_json_w *w)
{
    ma_json_w_key(w, "a");
}

static const struct {
    void (*fn)(struct ma_json_w *w);
    int want;
    const char *comment;
} misuse_rows[] = {
    {misuse_value_in_object, MA_ERR_SYNTAX, "value without key"},
    {misuse_key_in_array, MA_ERR_SYNTAX, "key inside array"},
    {misuse_two_keys, MA_ERR_SYNTAX, "key after key"},
    {misuse_close_mismatch, MA_ERR_SYNTAX, "] closes {"},
    {misuse_unclosed, MA_ERR_SYNTAX, "unbalanced"},
    {misuse_two_top, MA_ERR_SYNTAX, "two top-level values"},
    {misuse_empty, MA_ERR_SYNTAX, "nothing written"},
    {misuse_dangling_key, MA_ERR_SYNTAX, "key without value"},
    {misuse_too_deep, MA_ERR_LIMIT, "nesting limit"},
    {misuse_key_at_top, MA_ERR_SYNTAX, "key at top level"},
};

static void test_misuse(void)
{
    size_t i;

    for (i = 0; i < sizeof misuse_rows / sizeof misuse_rows[0]; i++) {
        char mem[256];
        struct ma_buf b;
        struct ma_json_w w;
        int rc;

        ma_buf_init_fixed(&b, mem, sizeof mem);
        ma_json_w_init(&w, &b, i % 2);
        misuse_rows[i].fn(&w);
        rc = ma_json_w_end(&w);
        if (rc != misuse_rows[i].want)
            fprintf(stderr, "row %zu (%s)\n", i, misuse_rows[i].comment);
        CHECK_EQ(rc, misuse_rows[i].want);
    }
}

static void test_max_depth_ok(void)
{
    char mem[256];
    struct ma_buf b;
    struct ma_json_w w;
    int i;

    ma_buf_init_fixed(&b, mem, sizeof mem);
    ma_json_w_init(&w, &b, 0);
    for (i = 0; i < MA_JSON_MAX_DEPTH; i++)
        ma_json_w_arr_begin(&w);
    for (i = 0; i < MA_JSON_MAX_DEPTH; i++)
        ma_json_w_arr_end(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_EQ(b.len, 2 * MA_JSON_MAX_DEPTH);
}

static void test_nospace(void)
{
    size_t cap;

    /* every buffer shorter than the document fails with NOSPACE, the exact size succeeds */
    for (cap = 0; cap <= 86; cap++) {
        char mem[128];
        struct ma_buf b;
        struct ma_json_w w;
        int rc;

        ma_buf_init_fixed(&b, mem, cap);
        ma_json_w_init(&w, &b, 0);
        write_doc(&w);
        rc = ma_json_w_end(&w);
        if (cap < 86)
            CHECK_EQ(rc, MA_ERR_NOSPACE);
        else
            CHECK_EQ(rc, MA_OK);
    }
}

int main(void)
{
    T_RUN(test_strings);
    T_RUN(test_compact);
    T_RUN(test_pretty);
    T_RUN(test_misuse);
    T_RUN(test_max_depth_ok);
    T_RUN(test_nospace);
    T_END();
}
