#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "json/read.h"
#include "t.h"

/* Inputs go through t_place (t.h): a read past their end faults. */

#define NTOK 512
static jsmntok_t toks[NTOK];

static int parse_n(struct ma_json_doc *d, const char *s, size_t n, int max)
{
    return ma_json_parse(d, t_place(s, n), n, toks, max, NULL);
}

static int parse(struct ma_json_doc *d, const char *s)
{
    return parse_n(d, s, strlen(s), NTOK);
}

/* String tok as a C string (rotating buffers), "(err N)" on failure. */
static const char *str(const struct ma_json_doc *d, int tok)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ & 3];
    int rc = ma_json_str(d, tok, b, 512);

    if (rc < 0)
        snprintf(b, 512, "(err %d)", rc);
    return b;
}

/* ---- Kubernetes documents -------------------------------------------------------------------- */

#define POD                                                                                        \
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-7d4b9c6f5-x2x8k\","     \
    "\"generateName\":\"web-7d4b9c6f5-\",\"namespace\":\"default\","                              \
    "\"uid\":\"0d8c5e6a-1111-2222-3333-444455556666\",\"resourceVersion\":\"918273\","            \
    "\"creationTimestamp\":\"2024-05-01T10:00:00Z\",\"labels\":{\"app\":\"web\","                 \
    "\"pod-template-hash\":\"7d4b9c6f5\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","      \
    "\"kind\":\"ReplicaSet\",\"name\":\"web-7d4b9c6f5\",\"controller\":true,"                     \
    "\"blockOwnerDeletion\":true}]},\"spec\":{\"containers\":[{\"name\":\"web\","                 \
    "\"image\":\"nginx:1.27\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"         \
    "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}],"                     \
    "\"nodeName\":\"node-1\",\"terminationGracePeriodSeconds\":30,\"priority\":0,"                \
    "\"deletionGracePeriodSeconds\":null},\"status\":{\"phase\":\"Running\","                     \
    "\"podIP\":\"10.244.1.7\",\"startTime\":\"2024-05-01T10:00:01Z\"}}"

static void test_pod(void)
{
    struct ma_json_doc d;
    int meta, labels, it = 0, k, v, n = 0, c;
    int64_t i;

    CHECK_EQ(parse(&d, POD), MA_OK);
    CHECK(ma_json_str_eq(&d, ma_json_get(&d, 0, "kind"), "Pod"));
    meta = ma_json_get(&d, 0, "metadata");
    CHECK(meta > 0);
    CHECK_STR(str(&d, ma_json_get(&d, meta, "name")), "web-7d4b9c6f5-x2x8k");
    CHECK_STR(str(&d, ma_json_path(&d, 0, "metadata.namespace")), "default");
    CHECK_STR(str(&d, ma_json_path(&d, 0, "metadata.resourceVersion")), "918273");
    CHECK_STR(str(&d, ma_json_path(&d, 0, "status.phase")), "Running");
    CHECK_STR(str(&d, ma_json_path(&d, 0, "metadata.labels.app")), "web");
    CHECK_EQ(ma_json_path(&d, 0, "metadata.labels.nope"), -1);
    CHECK_EQ(ma_json_path(&d, 0, "metadata.name.x"), -1); /* a string has no members */
    CHECK_EQ(ma_json_path(&d, 0, "metadata."), -1);
    CHECK_EQ(ma_json_get(&d, 0, "metadat"), -1);
    CHECK_EQ(ma_json_get(&d, 0, "Kind"), -1); /* keys are case-sensitive */

    labels = ma_json_path(&d, 0, "metadata.labels");
    while ((v = ma_json_next(&d, labels, &it, &k)) >= 0) {
        if (n == 0) {
            CHECK_STR(str(&d, k), "app");
            CHECK_STR(str(&d, v), "web");
        } else {
            CHECK_STR(str(&d, k), "pod-template-hash");
            CHECK_STR(str(&d, v), "7d4b9c6f5");
        }
        n++;
    }
    CHECK_EQ(n, 2);
    CHECK_EQ(ma_json_next(&d, labels, &it, &k), -1); /* stays at the end */

    c = ma_json_path(&d, 0, "spec.containers");
    it = 0;
    v = ma_json_next(&d, c, &it, &k);
    CHECK_EQ(k, -1);
    CHECK_STR(str(&d, ma_json_get(&d, v, "image")), "nginx:1.27");
    CHECK_EQ(ma_json_next(&d, c, &it, NULL), -1);
    v = ma_json_get(&d, v, "ports");
    it = 0;
    v = ma_json_next(&d, v, &it, NULL);
    CHECK_EQ(ma_json_i64(&d, ma_json_get(&d, v, "containerPort"), &i), MA_OK);
    CHECK_EQ(i, 8080);
    CHECK_EQ(ma_json_i64(&d, ma_json_path(&d, 0, "spec.terminationGracePeriodSeconds"), &i),
             MA_OK);
    CHECK_EQ(i, 30);
    CHECK(ma_json_is_null(&d, ma_json_path(&d, 0, "spec.deletionGracePeriodSeconds")));
    CHECK(ma_json_is_null(&d, ma_json_path(&d, 0, "spec.absent")));
    CHECK(!ma_json_is_null(&d, ma_json_path(&d, 0, "spec.priority")));
    CHECK_EQ(ma_json_bool(&d, ma_json_path(&d, meta, "ownerReferences"), &n), MA_ERR_SYNTAX);
    it = 0;
    v = ma_json_next(&d, ma_json_get(&d, meta, "ownerReferences"), &it, NULL);
    n = -1;
    CHECK_EQ(ma_json_bool(&d, ma_json_get(&d, v, "controller"), &n), MA_OK);
    CHECK_EQ(n, 1);
    /* the root's subtree is the whole array; metadata's ends where spec's key starts */
    CHECK_EQ(ma_json_skip(&d, 0), d.ntok);
    CHECK(ma_json_str_eq(&d, ma_json_skip(&d, meta), "spec"));
}

#define POD_LIST_PAGE                                                                              \
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"918300\","   \
    "\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTE4MzAwLCJzdGFydCI6IndlYi0yXHUwMDAwIn0\"," \
    "\"remainingItemCount\":1234},\"items\":["                                                     \
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"  \
    "\"status\":{\"phase\":\"Running\"}},"                                                         \
    "{\"metadata\":{\"name\":\"web-2\",\"namespace\":\"default\",\"labels\":{}},"                 \
    "\"status\":{\"phase\":\"Pending\"}},"                                                         \
    "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"prod\"},\"status\":{}}]}"

static void test_pod_list_page(void)
{
    static const char *names[] = {"web-1", "web-2", "db-0"};
    struct ma_json_doc d;
    int items, it = 0, v, n = 0, prev = 0;
    int64_t rem;

    CHECK_EQ(parse(&d, POD_LIST_PAGE), MA_OK);
    CHECK_STR(str(&d, ma_json_path(&d, 0, "metadata.continue")),
              "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTE4MzAwLCJzdGFydCI6IndlYi0yXHUwMDAwIn0");
    CHECK_EQ(ma_json_i64(&d, ma_json_path(&d, 0, "metadata.remainingItemCount"), &rem), MA_OK);
    CHECK_EQ(rem, 1234);
    items = ma_json_get(&d, 0, "items");
    while ((v = ma_json_next(&d, items, &it, NULL)) >= 0) {
        CHECK(v > prev);
        prev = v;
        if (n < 3)
            CHECK_STR(str(&d, ma_json_path(&d, v, "metadata.name")), names[n]);
        n++;
    }
    CHECK_EQ(n, 3);
    CHECK_EQ(ma_json_skip(&d, items), d.ntok);
    /* the empty labels object iterates to nothing */
    it = 0;
    v = ma_json_next(&d, items, &it, NULL);
    v = ma_json_next(&d, items, &it, NULL);
    n = 0;
    CHECK_EQ(ma_json_next(&d, ma_json_path(&d, v, "metadata.labels"), &n, NULL), -1);
    CHECK_EQ(ma_json_path(&d, v, "metadata.labels.app"), -1);
}

#define WATCH_ADDED                                                                                \
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"        \
    "{\"name\":\"web-1\",\"namespace\":\"default\",\"resourceVersion\":\"918301\","               \
    "\"labels\":{\"app\":\"web\"}},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.8\"}}}\n"

#define STATUS_410                                                                                 \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","          \
    "\"message\":\"too old resource version: 918000 (918301)\",\"reason\":\"Expired\","           \
    "\"code\":410}"

static void test_watch_and_status(void)
{
    struct ma_json_doc d;
    int64_t code;

    CHECK_EQ(parse(&d, WATCH_ADDED), MA_OK);
    CHECK(ma_json_str_eq(&d, ma_json_get(&d, 0, "type"), "ADDED"));
    CHECK(!ma_json_str_eq(&d, ma_json_get(&d, 0, "type"), "ADDE"));
    CHECK(!ma_json_str_eq(&d, ma_json_get(&d, 0, "type"), "ADDEDX"));
    CHECK_STR(str(&d, ma_json_path(&d, 0, "object.metadata.resourceVersion")), "918301");
    CHECK_EQ(ma_json_skip(&d, ma_json_get(&d, 0, "object")), d.ntok);

    CHECK_EQ(parse(&d, STATUS_410), MA_OK);
    CHECK(ma_json_str_eq(&d, ma_json_get(&d, 0, "kind"), "Status"));
    CHECK_EQ(ma_json_i64(&d, ma_json_get(&d, 0, "code"), &code), MA_OK);
    CHECK_EQ(code, 410);
    CHECK_STR(str(&d, ma_json_get(&d, 0, "reason")), "Expired");
    CHECK_EQ(ma_json_i64(&d, ma_json_get(&d, 0, "reason"), &code), MA_ERR_SYNTAX);
}

/* ---- parse verdicts -------------------------------------------------------------------------- */

struct parse_row {
    const char *in;
    int rc;
    int ntok; /* on success */
    const char *comment;
};

static const struct parse_row parse_rows[] = {
    {"{}", MA_OK, 1, "empty object"},
    {"[]", MA_OK, 1, "empty array"},
    {" \t\r\n{ } \n", MA_OK, 1, "surrounding whitespace"},
    {"\"x\"", MA_OK, 1, "top-level string"},
    {"1", MA_OK, 1, "top-level number running to the end (jsmn says partial)"},
    {"-0.5e+3 ", MA_OK, 1, "top-level number, whitespace after"},
    {"true", MA_OK, 1, "top-level literal"},
    {"null\n", MA_OK, 1, "top-level null"},
    {"[1,\"a\",true,false,null,{},[]]", MA_OK, 8, "every kind in an array"},
    {"{\"a\":{\"b\":[1,{\"c\":2}]},\"d\":3}", MA_OK, 11, "nesting"},
    {"{\"a\":1,\"a\":2}", MA_OK, 5, "duplicate keys are kept"},
    {"", MA_ERR_SYNTAX, 0, "empty input"},
    {"   ", MA_ERR_SYNTAX, 0, "only whitespace"},
    {"{", MA_ERR_SYNTAX, 0, "incomplete object"},
    {"{\"a\":", MA_ERR_SYNTAX, 0, "incomplete member"},
    {"[1,2", MA_ERR_SYNTAX, 0, "incomplete array"},
    {"\"abc", MA_ERR_SYNTAX, 0, "incomplete string"},
    {"{}x", MA_ERR_SYNTAX, 0, "trailing garbage"},
    {"{} {}", MA_ERR_SYNTAX, 0, "two documents"},
    {"{},", MA_ERR_SYNTAX, 0, "trailing comma after the root (jsmn ignores it)"},
    {"1 2", MA_ERR_SYNTAX, 0, "two numbers"},
    {"{}}", MA_ERR_SYNTAX, 0, "extra closing brace"},
    {"[]]", MA_ERR_SYNTAX, 0, "extra closing bracket"},
    {"[1 2]", MA_ERR_SYNTAX, 0, "missing comma (jsmn accepts)"},
    {"[1,]", MA_ERR_SYNTAX, 0, "trailing comma in array (jsmn accepts)"},
    {"[,1]", MA_ERR_SYNTAX, 0, "leading comma"},
    {"[1,,2]", MA_ERR_SYNTAX, 0, "double comma"},
    {"{\"a\":1,}", MA_ERR_SYNTAX, 0, "trailing comma in object (jsmn accepts)"},
    {"{\"a\" \"b\"}", MA_ERR_SYNTAX, 0, "missing colon"},
    {"{\"a\"}", MA_ERR_SYNTAX, 0, "key without value"},
    {"{\"a\":1:2}", MA_ERR_SYNTAX, 0, "double colon"},
    {"{1:2}", MA_ERR_SYNTAX, 0, "number key"},
    {"{\"a\":1 \"b\":2}", MA_ERR_SYNTAX, 0, "missing comma between members"},
    {"[}", MA_ERR_SYNTAX, 0, "mismatched brackets"},
    {"{]", MA_ERR_SYNTAX, 0, "mismatched brackets"},
    {"[tru]", MA_ERR_SYNTAX, 0, "bad literal"},
    {"[nul]", MA_ERR_SYNTAX, 0, "bad literal"},
    {"[truex]", MA_ERR_SYNTAX, 0, "literal with garbage"},
    {"[True]", MA_ERR_SYNTAX, 0, "capital literal"},
    {"[01]", MA_ERR_SYNTAX, 0, "leading zero"},
    {"[-]", MA_ERR_SYNTAX, 0, "lone minus"},
    {"[1.]", MA_ERR_SYNTAX, 0, "no fraction digits"},
    {"[.5]", MA_ERR_SYNTAX, 0, "no int digits"},
    {"[1e]", MA_ERR_SYNTAX, 0, "no exponent digits"},
    {"[1e+]", MA_ERR_SYNTAX, 0, "no exponent digits after sign"},
    {"[+1]", MA_ERR_SYNTAX, 0, "plus sign"},
    {"[0x10]", MA_ERR_SYNTAX, 0, "hex"},
    {"[NaN]", MA_ERR_SYNTAX, 0, "NaN"},
    {"[1-2]", MA_ERR_SYNTAX, 0, "minus inside"},
    {"[\"a\tb\"]", MA_ERR_SYNTAX, 0, "raw tab in string"},
    {"[\"a\nb\"]", MA_ERR_SYNTAX, 0, "raw newline in string"},
    {"[\"\\x\"]", MA_ERR_SYNTAX, 0, "bad escape"},
    {"[\"\\u12\"]", MA_ERR_SYNTAX, 0, "short \\u escape"},
    {"[\"\\u12G4\"]", MA_ERR_SYNTAX, 0, "bad hex in \\u escape"},
    {"['a']", MA_ERR_SYNTAX, 0, "single quotes"},
    {"{a:1}", MA_ERR_SYNTAX, 0, "unquoted key"},
    {"\xef\xbb\xbf{}", MA_ERR_SYNTAX, 0, "byte order mark"},
    {"//\n{}", MA_ERR_SYNTAX, 0, "comment"},
    {"\f{}", MA_ERR_SYNTAX, 0, "form feed is not JSON whitespace"},
};

static void test_parse_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const struct parse_row *r = &parse_rows[i];
        struct ma_json_doc d;
        struct ma_errmsg em;
        int rc;

        em.msg[0] = '\0';
        rc = ma_json_parse(&d, t_place(r->in, strlen(r->in)), strlen(r->in), toks, NTOK, &em);
        if (rc != r->rc || (rc == MA_OK && d.ntok != r->ntok))
            fprintf(stderr, "row %zu (%s): rc %d ntok %d\n", i, r->comment, rc, d.ntok);
        CHECK_EQ(rc, r->rc);
        CHECK_EQ(d.ntok, r->rc == MA_OK ? r->ntok : 0);
        if (rc != MA_OK)
            CHECK(em.msg[0] != '\0');
    }
}

static void test_nul_bytes(void)
{
    struct ma_json_doc d;

    /* jsmn stops at a NUL as if the text ended there */
    CHECK_EQ(parse_n(&d, "{}\0", 3, NTOK), MA_ERR_SYNTAX);
    CHECK_EQ(parse_n(&d, "[1]\0 ", 5, NTOK), MA_ERR_SYNTAX);
    CHECK_EQ(parse_n(&d, "[\"a\0\"]", 6, NTOK), MA_ERR_SYNTAX);
    CHECK_EQ(parse_n(&d, "1\0", 2, NTOK), MA_ERR_SYNTAX);
    CHECK_EQ(parse_n(&d, "\0", 1, NTOK), MA_ERR_SYNTAX);
    CHECK_EQ(parse_n(&d, "[\"\\u0000\"]", 10, NTOK), MA_OK); /* escaped NUL is fine */
    CHECK_EQ(ma_json_str_len(&d, 1), 1);
}

/* Every strict prefix of a Kubernetes document is incomplete: a syntax error, never MA_OK. */
static void test_prefixes(void)
{
    static const char *docs[] = {POD, POD_LIST_PAGE, STATUS_410};
    struct ma_json_doc d;
    size_t i, n;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        size_t len = strlen(docs[i]);
        for (n = 0; n < len; n++) {
            int rc = parse_n(&d, docs[i], n, NTOK);
            if (rc != MA_ERR_SYNTAX)
                fprintf(stderr, "doc %zu prefix %zu: %d\n", i, n, rc);
            CHECK_EQ(rc, MA_ERR_SYNTAX);
        }
        CHECK_EQ(parse_n(&d, docs[i], len, NTOK), MA_OK);
    }
}

/* Exactly as many tokens as the document needs suffice; one fewer is MA_ERR_LIMIT. */
static void test_token_limit(void)
{
    struct ma_json_doc d;
    struct ma_errmsg em;
    int need;

    CHECK_EQ(parse(&d, POD), MA_OK);
    need = d.ntok;
    CHECK_EQ(parse_n(&d, POD, strlen(POD), need), MA_OK);
    CHECK_EQ(d.ntok, need);
    CHECK_EQ(ma_json_parse(&d, t_place(POD, strlen(POD)), strlen(POD), toks, need - 1, &em),
             MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "tokens") != NULL);
    CHECK_EQ(d.ntok, 0);
    CHECK_EQ(parse_n(&d, "[1,2,3]", 7, 4), MA_OK);
    CHECK_EQ(parse_n(&d, "[1,2,3]", 7, 3), MA_ERR_LIMIT);
    CHECK_EQ(parse_n(&d, "1", 1, 1), MA_OK);
    CHECK_EQ(parse_n(&d, "{}", 2, 0), MA_ERR_LIMIT);
    CHECK_EQ(parse_n(&d, "{}", 2, -1), MA_ERR_LIMIT);
}

/* ---- strings --------------------------------------------------------------------------------- */

struct str_row {
    const char *in; /* a JSON array holding one string */
    int rc;
    const char *out;
    int len;
    const char *comment;
};

static const struct str_row str_rows[] = {
    {"[\"\"]", 0, "", 0, "empty"},
    {"[\"plain\"]", 5, "plain", 5, "no escapes"},
    {"[\"a\\\"b\\\\c\\/d\"]", 7, "a\"b\\c/d", 7, "quote, backslash, solidus"},
    {"[\"\\b\\f\\n\\r\\t\"]", 5, "\b\f\n\r\t", 5, "control escapes"},
    {"[\"\\u0041\\u00e9\\u20AC\"]", 6, "A\xc3\xa9\xe2\x82\xac", 6, "1, 2, 3 byte UTF-8"},
    {"[\"\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"]", 11,
     "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11, "UTF-8 length boundaries"},
    {"[\"\\ud83d\\ude00\"]", 4, "\xf0\x9f\x98\x80", 4, "surrogate pair"},
    {"[\"\\uD800\\uDC00\\uDBFF\\uDFFF\"]", 8, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8,
     "lowest and highest pairs"},
    {"[\"\\ud83d\"]", 3, "\xef\xbf\xbd", 3, "lone high surrogate"},
    {"[\"\\ude00\"]", 3, "\xef\xbf\xbd", 3, "lone low surrogate"},
    {"[\"\\ud83dx\"]", 4, "\xef\xbf\xbdx", 4, "high surrogate then a letter"},
    {"[\"\\ud83d\\u0041\"]", 4, "\xef\xbf\xbd" "A", 4, "high surrogate then a non-surrogate"},
    {"[\"\\ud83d\\ud83d\\ude00\"]", 7, "\xef\xbf\xbd\xf0\x9f\x98\x80", 7,
     "two highs then a low: the second pairs"},
    {"[\"\\ude00\\ud83d\"]", 6, "\xef\xbf\xbd\xef\xbf\xbd", 6, "low then high"},
    {"[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     14, "raw UTF-8 passes"},
    {"[\"a\xff" "b\"]", 5, "a\xef\xbf\xbd" "b", 5, "invalid byte"},
    {"[\"\xc3\"]", 3, "\xef\xbf\xbd", 3, "truncated sequence"},
    {"[\"\xc0\xaf\"]", 6, "\xef\xbf\xbd\xef\xbf\xbd", 6, "overlong: each byte replaced"},
    {"[\"\xed\xa0\x80\"]", 9, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9, "UTF-8 surrogate"},
    {"[\"\xf4\x90\x80\x80\"]", 12, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12,
     "above U+10FFFF"},
};

static void test_strings(void)
{
    size_t i;

    for (i = 0; i < sizeof(str_rows) / sizeof(str_rows[0]); i++) {
        const struct str_row *r = &str_rows[i];
        struct ma_json_doc d;
        char out[64];
        int rc;

        CHECK_EQ(parse(&d, r->in), MA_OK);
        rc = ma_json_str(&d, 1, out, sizeof(out));
        if (rc != r->rc)
            fprintf(stderr, "row %zu (%s): rc %d\n", i, r->comment, rc);
        CHECK_EQ(rc, r->rc);
        CHECK_EQ(ma_json_str_len(&d, 1), r->len);
        if (rc >= 0) {
            CHECK_MEM(out, r->out, (size_t)rc + 1);
            CHECK(ma_json_str_eq(&d, 1, r->out));
        }
    }
}

static void test_string_edges(void)
{
    struct ma_json_doc d;
    char out[8];

    CHECK_EQ(parse(&d, "[\"abcd\", 1]"), MA_OK);
    CHECK_EQ(ma_json_str(&d, 1, out, 5), 4);
    CHECK_STR(out, "abcd");
    CHECK_EQ(ma_json_str(&d, 1, out, 4), MA_ERR_NOSPACE);
    CHECK_STR(out, "abc");
    CHECK_EQ(ma_json_str(&d, 1, out, 0), MA_ERR_NOSPACE);
    CHECK_EQ(ma_json_str(&d, 2, out, sizeof(out)), MA_ERR_SYNTAX); /* a number */
    CHECK_EQ(ma_json_str(&d, 0, out, sizeof(out)), MA_ERR_SYNTAX); /* an array */
    CHECK_EQ(ma_json_str(&d, -1, out, sizeof(out)), MA_ERR_SYNTAX);
    CHECK_EQ(ma_json_str(&d, 3, out, sizeof(out)), MA_ERR_SYNTAX);
    CHECK_EQ(ma_json_str_len(&d, 2), MA_ERR_SYNTAX);
    CHECK(!ma_json_str_eq(&d, 2, "1"));
    CHECK(!ma_json_str_eq(&d, -1, ""));

    CHECK_EQ(parse(&d, "[\"\\u00e9\"]"), MA_OK);
    CHECK_EQ(ma_json_str(&d, 1, out, 3), 2); /* 2 bytes + NUL */
    CHECK_MEM(out, "\xc3\xa9", 3);
    CHECK_EQ(ma_json_str(&d, 1, out, 2), MA_ERR_NOSPACE); /* never half a character */
    CHECK_STR(out, "");

    /* escaped NUL inside: the length tells, str_eq with a C string never matches past it */
    CHECK_EQ(parse(&d, "[\"a\\u0000b\"]"), MA_OK);
    CHECK_EQ(ma_json_str(&d, 1, out, sizeof(out)), 3);
    CHECK_MEM(out, "a\0b", 4);
    CHECK(!ma_json_str_eq(&d, 1, "a"));
    CHECK(!ma_json_str_eq(&d, 1, "ab"));
}

/* Keys are compared after unescaping. */
static void test_escaped_keys(void)
{
    struct ma_json_doc d;

    CHECK_EQ(parse(&d, "{\"na\\u006de\":\"x\",\"m\\u00e9ta\":{\"\\\"q\\\"\":1},\"a.b\":2}"), MA_OK);
    CHECK_STR(str(&d, ma_json_get(&d, 0, "name")), "x");
    CHECK(ma_json_get(&d, 0, "na\\u006de") == -1);
    CHECK(ma_json_path(&d, 0, "m\xc3\xa9ta.\"q\"") > 0);
    CHECK(ma_json_get(&d, 0, "a.b") > 0);                /* get takes the key whole */
    CHECK_EQ(ma_json_path(&d, 0, "a.b"), -1);            /* path splits it */
    CHECK_EQ(ma_json_get(&d, ma_json_get(&d, 0, "name"), "x"), -1); /* not an object */
    CHECK_EQ(ma_json_get(&d, -1, "name"), -1);
}

/* ---- numbers --------------------------------------------------------------------------------- */

struct num_row {
    const char *in; /* the number text; parsed inside [ ] */
    int i64_rc;
    int64_t i64;
    int f64_rc;
    double f64;
};

static const struct num_row num_rows[] = {
    {"0", MA_OK, 0, MA_OK, 0.0},
    {"-0", MA_OK, 0, MA_OK, -0.0},
    {"7", MA_OK, 7, MA_OK, 7.0},
    {"-42", MA_OK, -42, MA_OK, -42.0},
    {"9223372036854775807", MA_OK, INT64_MAX, MA_OK, 9223372036854775807.0},
    {"-9223372036854775808", MA_OK, INT64_MIN, MA_OK, -9223372036854775808.0},
    {"9223372036854775808", MA_ERR_SYNTAX, 0, MA_OK, 9223372036854775808.0},
    {"-9223372036854775809", MA_ERR_SYNTAX, 0, MA_OK, -9223372036854775809.0},
    {"18446744073709551616", MA_ERR_SYNTAX, 0, MA_OK, 18446744073709551616.0},
    {"100000000000000000000000000000", MA_ERR_SYNTAX, 0, MA_OK, 1e29},
    {"1e3", MA_OK, 1000, MA_OK, 1000.0},
    {"1E+3", MA_OK, 1000, MA_OK, 1000.0},
    {"2.50e1", MA_OK, 25, MA_OK, 25.0},
    {"1.0", MA_OK, 1, MA_OK, 1.0},
    {"1500e-3", MA_ERR_SYNTAX, 0, MA_OK, 1.5},
    {"2500e-3", MA_ERR_SYNTAX, 0, MA_OK, 2.5},
    {"2000e-3", MA_OK, 2, MA_OK, 2.0},
    {"1.5", MA_ERR_SYNTAX, 0, MA_OK, 1.5},
    {"0.1", MA_ERR_SYNTAX, 0, MA_OK, 0.1},
    {"-0.000", MA_OK, 0, MA_OK, -0.0},
    {"0e999999999999999999999", MA_OK, 0, MA_OK, 0.0},
    {"12345678901234567e0", MA_OK, 12345678901234567LL, MA_OK, 12345678901234567.0},
    {"9.223372036854775807e18", MA_OK, INT64_MAX, MA_OK, 9.223372036854775807e18},
    {"9.223372036854775808e18", MA_ERR_SYNTAX, 0, MA_OK, 9.223372036854775808e18},
    {"922337203685477580.70e1", MA_OK, INT64_MAX, MA_OK, 9223372036854775807.0},
    {"1e18", MA_OK, 1000000000000000000LL, MA_OK, 1e18},
    {"1e19", MA_ERR_SYNTAX, 0, MA_OK, 1e19},
    {"1e400", MA_ERR_SYNTAX, 0, MA_ERR_SYNTAX, 0},
    {"-1e400", MA_ERR_SYNTAX, 0, MA_ERR_SYNTAX, 0},
    {"1e-400", MA_ERR_SYNTAX, 0, MA_OK, 0.0},
    {"4.9e-324", MA_ERR_SYNTAX, 0, MA_OK, 4.9e-324},
    {"1.7976931348623157e308", MA_ERR_SYNTAX, 0, MA_OK, 1.7976931348623157e308},
    {"1.8e308", MA_ERR_SYNTAX, 0, MA_ERR_SYNTAX, 0},
    {"10000000000000000000000e-4", MA_OK, 1000000000000000000LL, MA_OK, 1e18},
    {"0.00000000000000000000000000000000000000001e41", MA_OK, 1, MA_OK, 1.0},
    {"1e-99999999999999999999999999", MA_ERR_SYNTAX, 0, MA_OK, 0.0},
};

static void test_numbers(void)
{
    char buf[128];
    size_t i;

    for (i = 0; i < sizeof(num_rows) / sizeof(num_rows[0]); i++) {
        const struct num_row r = num_rows[i];
        struct ma_json_doc d;
        int64_t iv = -1;
        double fv = -1;
        int rc;

        snprintf(buf, sizeof(buf), "[%s]", r.in);
        CHECK_EQ(parse(&d, buf), MA_OK);
        rc = ma_json_i64(&d, 1, &iv);
        if (rc != r.i64_rc || (rc == MA_OK && iv != r.i64))
            fprintf(stderr, "i64 %s: rc %d value %lld\n", r.in, rc, (long long)iv);
        CHECK_EQ(rc, r.i64_rc);
        if (rc == MA_OK)
            CHECK(iv == r.i64);
        rc = ma_json_f64(&d, 1, &fv);
        if (rc != r.f64_rc || (rc == MA_OK && fv != r.f64))
            fprintf(stderr, "f64 %s: rc %d value %.17g\n", r.in, rc, fv);
        CHECK_EQ(rc, r.f64_rc);
        if (rc == MA_OK)
            CHECK(fv == r.f64 && signbit(fv) == signbit(r.f64));
        /* the same number as the whole document */
        CHECK_EQ(parse(&d, r.in), MA_OK);
        CHECK_EQ(ma_json_i64(&d, 0, &iv), r.i64_rc);
    }
}

static void test_number_edges(void)
{
    static char big[MA_JSON_MAX_NUMBER + 16];
    struct ma_json_doc d;
    int64_t iv;
    double fv;
    int b;

    CHECK_EQ(parse(&d, "[\"1\",true,null]"), MA_OK);
    CHECK_EQ(ma_json_i64(&d, 1, &iv), MA_ERR_SYNTAX); /* a string */
    CHECK_EQ(ma_json_f64(&d, 2, &fv), MA_ERR_SYNTAX); /* a literal */
    CHECK_EQ(ma_json_i64(&d, 3, &iv), MA_ERR_SYNTAX);
    CHECK_EQ(ma_json_i64(&d, 0, &iv), MA_ERR_SYNTAX); /* the array */
    CHECK_EQ(ma_json_i64(&d, -1, &iv), MA_ERR_SYNTAX);
    CHECK_EQ(ma_json_bool(&d, 2, &b), MA_OK);
    CHECK_EQ(b, 1);
    CHECK_EQ(ma_json_bool(&d, 3, &b), MA_ERR_SYNTAX);
    CHECK_EQ(ma_json_bool(&d, 1, &b), MA_ERR_SYNTAX);
    CHECK(ma_json_is_null(&d, 3));
    CHECK(!ma_json_is_null(&d, 2));
    CHECK(ma_json_is_null(&d, -1));
    CHECK_EQ(parse(&d, "false"), MA_OK);
    CHECK_EQ(ma_json_bool(&d, 0, &b), MA_OK);
    CHECK_EQ(b, 0);

    /* a long but valid number: f64 refuses it past the bound, i64 reads it exactly */
    big[0] = '[';
    big[1] = '1';
    memset(big + 2, '0', MA_JSON_MAX_NUMBER - 1);
    memcpy(big + 1 + MA_JSON_MAX_NUMBER, "e-1023]", 8);
    CHECK_EQ(parse(&d, big), MA_OK);
    CHECK_EQ(ma_json_f64(&d, 1, &fv), MA_ERR_LIMIT);
    CHECK_EQ(ma_json_i64(&d, 1, &iv), MA_OK);
    CHECK_EQ(iv, 1);
    big[1 + MA_JSON_MAX_NUMBER] = ']';
    big[2 + MA_JSON_MAX_NUMBER] = '\0'; /* 1 followed by 1023 zeros: exactly the bound */
    CHECK_EQ(parse(&d, big), MA_OK);
    CHECK_EQ(ma_json_f64(&d, 1, &fv), MA_ERR_SYNTAX); /* 1e1023 overflows */
    CHECK_EQ(ma_json_i64(&d, 1, &iv), MA_ERR_SYNTAX);
}

/* ---- skip and next --------------------------------------------------------------------------- */

static void test_skip_next(void)
{
    struct ma_json_doc d;
    int it, k;

    /* tokens: 0 {  1 "a"  2 [  3 1  4 {  5 "b"  6 2  7 "c"  8 "x" */
    CHECK_EQ(parse(&d, "{\"a\":[1,{\"b\":2}],\"c\":\"x\"}"), MA_OK);
    CHECK_EQ(d.ntok, 9);
    CHECK_EQ(ma_json_skip(&d, 0), 9);
    CHECK_EQ(ma_json_skip(&d, 1), 7); /* a key's subtree includes its value */
    CHECK_EQ(ma_json_skip(&d, 2), 7);
    CHECK_EQ(ma_json_skip(&d, 3), 4);
    CHECK_EQ(ma_json_skip(&d, 4), 7);
    CHECK_EQ(ma_json_skip(&d, 5), 7);
    CHECK_EQ(ma_json_skip(&d, 8), 9);
    CHECK_EQ(ma_json_skip(&d, -1), 9);
    CHECK_EQ(ma_json_skip(&d, 9), 9);

    it = 0;
    CHECK_EQ(ma_json_next(&d, 0, &it, &k), 2);
    CHECK_EQ(k, 1);
    CHECK_EQ(ma_json_next(&d, 0, &it, &k), 8);
    CHECK_EQ(k, 7);
    CHECK_EQ(ma_json_next(&d, 0, &it, &k), -1);
    CHECK_EQ(k, -1);
    it = 0;
    CHECK_EQ(ma_json_next(&d, 2, &it, &k), 3);
    CHECK_EQ(ma_json_next(&d, 2, &it, &k), 4);
    CHECK_EQ(ma_json_next(&d, 2, &it, &k), -1);
    it = 0;
    CHECK_EQ(ma_json_next(&d, 8, &it, &k), -1); /* a string is no container */
    it = 0;
    CHECK_EQ(ma_json_next(&d, -1, &it, &k), -1);
    it = 0;
    CHECK_EQ(ma_json_next(&d, 9, &it, &k), -1);
}

/* Go's encoding/json keeps the last of repeated keys; so must we (kube-pod fuzzer finding: the
 * pod decoder and the DELETED-event path disagreed on such an object). */
static void test_repeated_key_last_wins(void)
{
    static const char js[] = "{\"metadata\":{\"namespace\":\"a\",\"name\":\"p\",\"namespace\":\"b\"}}";
    jsmntok_t tk[16];
    struct ma_json_doc d;
    char out[8];

    CHECK_EQ(ma_json_parse(&d, js, sizeof js - 1, tk, 16, NULL), MA_OK);
    CHECK_EQ(ma_json_str(&d, ma_json_path(&d, 0, "metadata.namespace"), out, sizeof out), 1);
    CHECK_STR(out, "b");
}

int main(void)
{
    T_RUN(test_pod);
    T_RUN(test_pod_list_page);
    T_RUN(test_watch_and_status);
    T_RUN(test_parse_rows);
    T_RUN(test_nul_bytes);
    T_RUN(test_prefixes);
    T_RUN(test_token_limit);
    T_RUN(test_strings);
    T_RUN(test_string_edges);
    T_RUN(test_escaped_keys);
    T_RUN(test_numbers);
    T_RUN(test_number_edges);
    T_RUN(test_skip_next);
    T_RUN(test_repeated_key_last_wins);
    T_END();
}
