#include "yaml/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "json/read.h"
#include "t.h"

/* want: the exact JSON for MA_OK; otherwise the "line L column C" the message starts with.
 * Accepted rows were checked against PyYAML where YAML 1.1 and 1.2 agree. */
struct row {
    const char *yaml;
    int code;
    const char *want;
    const char *comment;
};

static const struct row rows[] = {
    /* documents */
    {"", MA_OK, "null", "empty stream"},
    {"# only a comment\n", MA_OK, "null", "comments only"},
    {"---\n", MA_OK, "null", "empty document"},
    {"...\n", MA_OK, "null", "document end only"},
    {"# c\n---\n# c2\na: 1\n...\n# trailing\n", MA_OK, "{\"a\":1}", "markers and comments"},
    {"--- # c\n- 1\n", MA_OK, "[1]", "comment after ---"},
    {"\xef\xbb\xbf" "a: 1\n", MA_OK, "{\"a\":1}", "UTF-8 BOM skipped"},
    {"plain top\n", MA_OK, "\"plain top\"", "root plain scalar"},
    {"\"quoted top\"", MA_OK, "\"quoted top\"", "root quoted scalar, no newline"},
    {"|\n literal root\n", MA_OK, "\"literal root\\n\"", "root block scalar"},
    {"  a: 1\n  b: 2\n", MA_OK, "{\"a\":1,\"b\":2}", "indented root"},
    {"a: 1\r\nb: 2\r\n", MA_OK, "{\"a\":1,\"b\":2}", "CRLF"},
    /* block mappings and sequences */
    {"a: 1\nb: two\nc:\n  d: x\n  e:\n    f: g\nh: i\n", MA_OK,
     "{\"a\":1,\"b\":\"two\",\"c\":{\"d\":\"x\",\"e\":{\"f\":\"g\"}},\"h\":\"i\"}", "nesting"},
    {"a:\nb:   \nc: ~\n", MA_OK, "{\"a\":null,\"b\":null,\"c\":null}", "empty values"},
    {"- a\n- b\n-\n  - c\n  - d\n- - e\n  - f\n", MA_OK,
     "[\"a\",\"b\",[\"c\",\"d\"],[\"e\",\"f\"]]", "nested sequences, compact form"},
    {"- \n- a\n-\n", MA_OK, "[null,\"a\",null]", "empty entries"},
    {"key:\n- a\n- b: c\n  d: e\nother: x\n", MA_OK,
     "{\"key\":[\"a\",{\"b\":\"c\",\"d\":\"e\"}],\"other\":\"x\"}",
     "sequence at its key's indentation (kubectl)"},
    {"a:\n  - 1\n  - 2\nb:\n  -   x: 1\n      y: 2\n", MA_OK,
     "{\"a\":[1,2],\"b\":[{\"x\":1,\"y\":2}]}", "indented sequence, wide entry"},
    {"- a: 1\n  b:\n  - x\n  c: 2\n", MA_OK, "[{\"a\":1,\"b\":[\"x\"],\"c\":2}]",
     "compact sequence inside an entry mapping"},
    {"- name: u\n  user:\n    token: x\n- name: v\n", MA_OK,
     "[{\"name\":\"u\",\"user\":{\"token\":\"x\"}},{\"name\":\"v\"}]", "kubectl users"},
    {"top: 1\n  # indented comment\nnext: 2\n\n\n", MA_OK, "{\"top\":1,\"next\":2}",
     "comment lines ignore indentation"},
    {"'key with: colon': v\n\"k2\": v2\nk 3 : v3\n", MA_OK,
     "{\"key with: colon\":\"v\",\"k2\":\"v2\",\"k 3\":\"v3\"}", "quoted keys, space before ':'"},
    {"1: a\ntrue: b\nnull: c\n", MA_OK, "{\"1\":\"a\",\"true\":\"b\",\"null\":\"c\"}",
     "keys are strings"},
    {"a:\tb\n", MA_OK, "{\"a\":\"b\"}", "tab as separator"},
    /* plain scalars */
    {"url: https://h:6443/p\nk: a:b\nh: a #c\ni: a#b\nj: a  b  \n", MA_OK,
     "{\"url\":\"https://h:6443/p\",\"k\":\"a:b\",\"h\":\"a\",\"i\":\"a#b\",\"j\":\"a  b\"}",
     "colon and hash inside plain scalars"},
    {"a: -1\nb: -x\nc: :x\nd: ?x\ne: x]{,\n", MA_OK,
     "{\"a\":-1,\"b\":\"-x\",\"c\":\":x\",\"d\":\"?x\",\"e\":\"x]{,\"}", "indicator characters"},
    {"- [1, -2, +3, 0, -0, 1.5, .5, -1.5e3, 1e5, 1E+2, 1., 001.5, 0.0]\n", MA_OK,
     "[[1,-2,3,0,-0,1.5,0.5,-1.5e3,1e5,1E+2,1.0,1.5,0.0]]", "numbers in JSON form"},
    {"[0x1F, 0xffffffffffffffff, 0o17, 0o, 0x, -0x1, 0b1, 1_000, 1:30, 9223372036854775808]",
     MA_OK, "[31,18446744073709551615,15,\"0o\",\"0x\",\"-0x1\",\"0b1\",\"1_000\",\"1:30\","
            "9223372036854775808]",
     "core schema ints; YAML 1.1 forms stay strings"},
    {"[true, True, TRUE, false, False, FALSE, tRue, yes, no, on, off, y, n]", MA_OK,
     "[true,true,true,false,false,false,\"tRue\",\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\"]",
     "core schema booleans only"},
    {"[null, Null, NULL, ~, nULL, .inff, .Nan, 1e, .e1, +, -x]", MA_OK,
     "[null,null,null,null,\"nULL\",\".inff\",\".Nan\",\"1e\",\".e1\",\"+\",\"-x\"]",
     "nulls and near misses"},
    {"a: h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\n", MA_OK,
     "{\"a\":\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80\"}", "UTF-8 passes through"},
    {"a: x\"y\\z\n", MA_OK, "{\"a\":\"x\\\"y\\\\z\"}", "JSON escaping"},
    /* quoted scalars */
    {"q: \"a\\tb\\n\\u00e9\\x41\\\\ \\\" \\/ \\0\\e\\N\\_\\L\\P\\U0001F600\\a\\b\\f\\v\\r\\ \"\n",
     MA_OK,
     "{\"q\":\"a\\tb\\n\xc3\xa9" "A\\\\ \\\" / \\u0000\\u001b\xc2\x85\xc2\xa0\xe2\x80\xa8\xe2\x80"
     "\xa9\xf0\x9f\x98\x80\\u0007\\b\\f\\u000b\\r \"}",
     "double-quoted escapes"},
    {"q: \"\\x7f\\x01\"\n", MA_OK, "{\"q\":\"\\u007f\\u0001\"}", "DEL and controls escaped"},
    {"q: 'it''s \\n'\n", MA_OK, "{\"q\":\"it's \\\\n\"}", "single-quoted: only ''"},
    {"q: \"\"\nr: ''\n", MA_OK, "{\"q\":\"\",\"r\":\"\"}", "empty quoted"},
    {"q: \"multi\n  line\n\n  para\"\n", MA_OK, "{\"q\":\"multi line\\npara\"}", "folding"},
    {"q: 'multi\n  line\n\n\n  two'\n", MA_OK, "{\"q\":\"multi line\\n\\ntwo\"}",
     "single-quoted folding"},
    {"q: \"esc\\\n  aped  \\\n\n  x\"\n", MA_OK, "{\"q\":\"escaped  \\nx\"}",
     "escaped line breaks"},
    {"q: \"trail   \n  next\"\n", MA_OK, "{\"q\":\"trail next\"}", "trailing blanks folded"},
    {"q: '\n  x'\n", MA_OK, "{\"q\":\" x\"}", "break right after the quote"},
    {"a: 'x' # c\nb: \"y\"\t\n", MA_OK, "{\"a\":\"x\",\"b\":\"y\"}", "after a quoted value"},
    {"\"a\": 1\n'b': \"2\"\n", MA_OK, "{\"a\":1,\"b\":\"2\"}", "quoted scalars are strings"},
    /* block scalars */
    {"s: |\n  line1\n   line2\n\n  line3\n\n\nt: x\n", MA_OK,
     "{\"s\":\"line1\\n line2\\n\\nline3\\n\",\"t\":\"x\"}", "literal, clip"},
    {"s: |-\n  a\n  b\n\n", MA_OK, "{\"s\":\"a\\nb\"}", "literal, strip"},
    {"s: |+\n  a\n  b\n\n\nt: 1\n", MA_OK, "{\"s\":\"a\\nb\\n\\n\\n\",\"t\":1}", "literal, keep"},
    {"s: >\n  a\n  b\n\n  c\n    more\n  d\n", MA_OK, "{\"s\":\"a b\\nc\\n  more\\nd\\n\"}",
     "folded"},
    {"s: >-\n  folded\n  text\n", MA_OK, "{\"s\":\"folded text\"}", "folded, strip"},
    {"s: >+\n  folded\n\n", MA_OK, "{\"s\":\"folded\\n\\n\"}", "folded, keep"},
    {"a: >\n  x\n\n   y\n  z\n", MA_OK, "{\"a\":\"x\\n\\n y\\nz\\n\"}",
     "folded around a more-indented line"},
    {"s: >\n\n  lead\n", MA_OK, "{\"s\":\"\\nlead\\n\"}", "leading empty line"},
    {"s: |2\n    two more\n  base\n", MA_OK, "{\"s\":\"  two more\\nbase\\n\"}",
     "indentation indicator"},
    {"s: |-2\n   x\n", MA_OK, "{\"s\":\" x\"}", "both indicators"},
    {"s: |2-\n   x\n", MA_OK, "{\"s\":\" x\"}", "both indicators, other order"},
    {"s: |\n  a", MA_OK, "{\"s\":\"a\"}", "no final line break at end of input"},
    {"s: |", MA_OK, "{\"s\":\"\"}", "empty at end of input"},
    {"s: |\n\nt: 1", MA_OK, "{\"s\":\"\",\"t\":1}", "empty before a key"},
    {"s: |+\n\n\n", MA_OK, "{\"s\":\"\\n\\n\"}", "keep, empty lines only"},
    {"s: | # comment\n  # not a comment\n  x\n", MA_OK, "{\"s\":\"# not a comment\\nx\\n\"}",
     "comment after the header; # inside is content"},
    {"s: |\n  a\n\tb\n", MA_ERR_SYNTAX, "line 3 column 1", "tab-indented line ends it"},
    {"- |\n  block in seq\n- >-\n  folded\n  seq\n", MA_OK,
     "[\"block in seq\\n\",\"folded seq\"]", "block scalars as entries"},
    {"s: |\n  a\n  \tb\n", MA_OK, "{\"s\":\"a\\n\\tb\\n\"}", "tab after the indentation"},
    {"s: |\n  a\n     \n  b\n", MA_OK, "{\"s\":\"a\\n   \\nb\\n\"}",
     "spaces beyond the indentation are content"},
    {"s: |\n  x\n---\n", MA_ERR_SYNTAX, "line 3 column 1", "--- ends the scalar, then refused"},
    /* flow collections */
    {"[a, [b, c], {d: [e]}, '', \"\"]\n", MA_OK, "[\"a\",[\"b\",\"c\"],{\"d\":[\"e\"]},\"\",\"\"]",
     "nested flow"},
    {"{a: , b: 1, 'c': \"d\", \"e\":f, g:}\n", MA_OK,
     "{\"a\":null,\"b\":1,\"c\":\"d\",\"e\":\"f\",\"g\":null}", "flow mapping forms"},
    {"{\n  a: 1,\n  b: [\n    2, 3,\n  ],\n}\n", MA_OK, "{\"a\":1,\"b\":[2,3]}",
     "multi-line flow, trailing commas"},
    {"k: [a,\n  b, # comment\n  c]\n", MA_OK, "{\"k\":[\"a\",\"b\",\"c\"]}", "flow continuation"},
    {"a: [\"x,y\", 'z]', http://h:1/]\n", MA_OK, "{\"a\":[\"x,y\",\"z]\",\"http://h:1/\"]}",
     "indicators inside flow scalars"},
    {"preferences: {}\nl: []\n", MA_OK, "{\"preferences\":{},\"l\":[]}", "empty collections"},
    {"a: {b: \"multi\n  line\"}\n", MA_OK, "{\"a\":{\"b\":\"multi line\"}}",
     "multi-line quoted in flow"},
    /* refused: outside the subset */
    {"a: &x 1\n", MA_ERR_SYNTAX, "line 1 column 4", "anchor"},
    {"a: *x\n", MA_ERR_SYNTAX, "line 1 column 4", "alias"},
    {"a: !!str 1\n", MA_ERR_SYNTAX, "line 1 column 4", "tag"},
    {"? a\n: b\n", MA_ERR_SYNTAX, "line 1 column 1", "complex key"},
    {"%YAML 1.2\n---\na: 1\n", MA_ERR_SYNTAX, "line 1 column 1", "directive"},
    {"a: @x\n", MA_ERR_SYNTAX, "line 1 column 4", "reserved @"},
    {"a: `x\n", MA_ERR_SYNTAX, "line 1 column 4", "reserved `"},
    {"a:\n\tb: 1\n", MA_ERR_SYNTAX, "line 2 column 1", "tab indentation"},
    {"a:\n  \tb: 1\n", MA_ERR_SYNTAX, "line 2 column 3", "tab after spaces"},
    {"-\tx\n", MA_ERR_SYNTAX, "line 1 column 2", "tab after -"},
    {"a: 1\na: 2\n", MA_ERR_SYNTAX, "line 2 column 1", "duplicate key"},
    {"'a': 1\n\"a\": 2\n", MA_ERR_SYNTAX, "line 2 column 1", "duplicate key, quoted differently"},
    {"{a: 1, a: 2}\n", MA_ERR_SYNTAX, "line 1 column 8", "duplicate flow key"},
    {"- a: 1\n  b: {a: 1}\n  a: 3\n", MA_ERR_SYNTAX, "line 3 column 3",
     "duplicate after a nested mapping"},
    {"a: 1\n  b: 2\n", MA_ERR_SYNTAX, "line 2 column 4", "deeper line after a scalar"},
    {"key: this is\n  continued\n", MA_OK, "{\"key\":\"this is continued\"}", "multi-line plain"},
    {"- a\n -b\n", MA_OK, "[\"a -b\"]", "multi-line plain in a sequence"},
    {"q: sum(rate(x[5m]))\n  by (pod)\nn: 1\n", MA_OK, "{\"q\":\"sum(rate(x[5m])) by (pod)\",\"n\":1}",
     "Helm's toYaml wraps long plain scalars"},
    {"k: a\n\n  b\n\n\n  c # end\n", MA_OK, "{\"k\":\"a\\nb\\n\\nc\"}", "empty lines fold to newlines"},
    {"k: 1\n  2\n", MA_OK, "{\"k\":\"1 2\"}", "a multi-line plain scalar is a string"},
    {"k: a # c\n  b\n", MA_ERR_SYNTAX, "line 2 column 3", "a comment ends a plain scalar"},
    {"k: a\n  b: c\n", MA_ERR_SYNTAX, "line 2 column 4", "no mapping inside a continuation"},
    {"a:\n    b: 1\n  c: 2\n", MA_ERR_SYNTAX, "line 3 column 3", "inconsistent indentation"},
    {"k:\n  - a\n   - b\n", MA_OK, "{\"k\":[\"a - b\"]}", "deeper '- ' continues the scalar"},
    {"- a\nb: 1\n", MA_ERR_SYNTAX, "line 2 column 1", "key after a root sequence"},
    {"a: 1\n- b\n", MA_ERR_SYNTAX, "line 2 column 1", "entry in a mapping"},
    {"a:\n- x\nb: 1\n- y\n", MA_ERR_SYNTAX, "line 4 column 1", "entry after a compact sequence"},
    {"a: b: c\n", MA_ERR_SYNTAX, "line 1 column 5", "mapping on its key's line"},
    {"a: - b\n", MA_ERR_SYNTAX, "line 1 column 4", "sequence on its key's line"},
    {"a: \"x\" : y\n", MA_ERR_SYNTAX, "line 1 column 8", "quoted value then ':'"},
    {"\"a\\\n b\": 1\n", MA_ERR_SYNTAX, "line 2 column 4", "multi-line key"},
    {"{a: 1}: b\n", MA_ERR_SYNTAX, "line 1 column 7", "flow collection as key"},
    {"[a]: b\n", MA_ERR_SYNTAX, "line 1 column 4", "flow sequence as key"},
    {"{[a]: b}\n", MA_ERR_SYNTAX, "line 1 column 2", "collection as flow key"},
    {"a: 'x'y\n", MA_ERR_SYNTAX, "line 1 column 7", "text after a quoted value"},
    {"a: 'x'#c\n", MA_ERR_SYNTAX, "line 1 column 7", "comment without a space"},
    {"a: [x]#c\n", MA_ERR_SYNTAX, "line 1 column 7", "comment without a space after flow"},
    {"a: 1\n---\nb: 2\n", MA_ERR_SYNTAX, "line 2 column 1", "second document"},
    {"a: 1\n...\nb: 2\n", MA_ERR_SYNTAX, "line 3 column 1", "content after ..."},
    {"--- a\n", MA_ERR_SYNTAX, "line 1 column 5", "content on the --- line"},
    {"a: \"unterminated\n", MA_ERR_SYNTAX, "line 1 column 4", "unterminated double quote"},
    {"a: 'x\n\n", MA_ERR_SYNTAX, "line 1 column 4", "unterminated single quote"},
    {"a: \"x\\", MA_ERR_SYNTAX, "line 1 column 4", "backslash at the end"},
    {"[-]\n", MA_ERR_SYNTAX, "line 1 column 2", "'-' before a flow indicator"},
    {"a: \"x\n---\ny\"\n", MA_ERR_SYNTAX, "line 2 column 1", "marker inside a quoted scalar"},
    {"a: \"x\ny\"\n", MA_ERR_SYNTAX, "line 2 column 1", "quoted continuation not indented"},
    {"a: [1, 2\n", MA_ERR_SYNTAX, "line 1 column 4", "unterminated flow"},
    {"a: [1,\nb]\n", MA_ERR_SYNTAX, "line 2 column 1", "flow continuation not indented"},
    {"[a, , b]\n", MA_ERR_SYNTAX, "line 1 column 5", "empty flow entry"},
    {"[a b]\n", MA_OK, "[\"a b\"]", "spaces inside a flow plain scalar"},
    {"[a\n b]\n", MA_ERR_SYNTAX, "line 2 column 2", "multi-line flow plain scalar"},
    {"[a: b]\n", MA_ERR_SYNTAX, "line 1 column 3", "single-pair mapping in a sequence"},
    {"{a}\n", MA_ERR_SYNTAX, "line 1 column 3", "flow key without value"},
    {"{a:1}\n", MA_ERR_SYNTAX, "line 1 column 5", "no space after ':' makes one scalar"},
    {"[|]\n", MA_ERR_SYNTAX, "line 1 column 2", "block scalar in flow"},
    {"[- a]\n", MA_ERR_SYNTAX, "line 1 column 2", "block sequence in flow"},
    {"a: ]\n", MA_ERR_SYNTAX, "line 1 column 4", "stray ]"},
    {"a: \"\\q\"\n", MA_ERR_SYNTAX, "line 1 column 5", "unknown escape"},
    {"a: \"\\ud800\"\n", MA_ERR_SYNTAX, "line 1 column 5", "surrogate escape"},
    {"a: \"\\U00110000\"\n", MA_ERR_SYNTAX, "line 1 column 5", "escape beyond U+10FFFF"},
    {"a: \"\\x4\"\n", MA_ERR_SYNTAX, "line 1 column 5", "short hex escape"},
    {"x: |0\n  a\n", MA_ERR_SYNTAX, "line 1 column 5", "indentation indicator 0"},
    {"x: |x\n", MA_ERR_SYNTAX, "line 1 column 5", "junk after the block header"},
    {"x: |++\n", MA_ERR_SYNTAX, "line 1 column 6", "two chomping indicators"},
    {"s: |\n      \n  text\n", MA_ERR_SYNTAX, "line 2 column 7", "leading empty line too wide"},
    {"a: |\n  x\n  # c\n b: 1\n", MA_ERR_SYNTAX, "line 4 column 2", "indentation after a block"},
    {"a: -.inf\n", MA_ERR_SYNTAX, "line 1 column 4", "infinity"},
    {"a: .NaN\n", MA_ERR_SYNTAX, "line 1 column 4", "NaN"},
    {"a: 0644\n", MA_ERR_SYNTAX, "line 1 column 4", "leading zero: 1.1 octal"},
    {"a: 0x10000000000000000\n", MA_ERR_SYNTAX, "line 1 column 4", "hex beyond 64 bits"},
    {"a: 1\nb\n", MA_ERR_SYNTAX, "line 2 column 1", "line without ':'"},
    {": x\n", MA_ERR_SYNTAX, "line 1 column 1", "empty key"},
    {"a: b\x01\n", MA_ERR_SYNTAX, "line 1 column 5", "control character"},
    {"a: b\x7f\n", MA_ERR_SYNTAX, "line 1 column 5", "DEL"},
    {"a: \xc3\x28\n", MA_ERR_SYNTAX, "line 1 column 4", "invalid UTF-8"},
    {"a: \xed\xa0\x80\n", MA_ERR_SYNTAX, "line 1 column 4", "UTF-8 surrogate"},
    {"a: \xc0\xaf\n", MA_ERR_SYNTAX, "line 1 column 4", "overlong UTF-8"},
    {"a: \xe2\x82\n", MA_ERR_SYNTAX, "line 1 column 4", "truncated UTF-8"},
    {"a: 1\rb: 2\n", MA_ERR_SYNTAX, "line 1 column 5", "bare CR"},
};

/* Run one conversion with the input ending at a page followed by a PROT_NONE page, so any
 * read past the end faults (picohttpparser test.c). */
static int convert_guarded(const char *yaml, size_t len, struct ma_buf *out, struct ma_errmsg *em)
{
    static char *pages;
    static size_t psz;
    int r;

    if (pages == NULL) {
        psz = (size_t)sysconf(_SC_PAGESIZE);
        pages = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED || mprotect(pages + 7 * psz, psz, PROT_NONE) != 0)
            abort();
    }
    if (len > 7 * psz)
        return ma_yaml_to_json(yaml, len, out, em);
    memcpy(pages + 7 * psz - len, yaml, len);
    r = ma_yaml_to_json(pages + 7 * psz - len, len, out, em);
    return r;
}

static void check_valid_json(const char *js, size_t len)
{
    static jsmntok_t toks[4096];
    struct ma_json_doc d;
    struct ma_errmsg em = {{0}};
    int r = ma_json_parse(&d, js, len, toks, 4096, &em);

    if (r != MA_OK)
        fprintf(stderr, "  invalid JSON (%s): %.*s\n", em.msg, (int)len, js);
    CHECK_EQ(r, MA_OK);
}

static void test_rows(void)
{
    size_t i, n;
    struct ma_buf out;
    struct ma_errmsg em;
    int r;

    ma_buf_init_heap(&out, 1 << 20);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        int before = t_failed_checks;
        ma_buf_reset(&out);
        memset(&em, 0, sizeof em);
        r = convert_guarded(w->yaml, strlen(w->yaml), &out, &em);
        CHECK_EQ(r, w->code);
        if (w->code == MA_OK && r == MA_OK) {
            CHECK_STR(ma_buf_cstr(&out), w->want);
            check_valid_json(out.p, out.len);
        } else if (r != MA_OK) {
            n = strlen(w->want);
            CHECK(strncmp(em.msg, w->want, n) == 0 && em.msg[n] == ':');
            CHECK_EQ(out.len, 0);
        }
        if (t_failed_checks != before)
            fprintf(stderr, "  row %zu (%s): got %d \"%s\"\n", i, w->comment, r,
                    r == MA_OK ? ma_buf_cstr(&out) : em.msg);
    }
    ma_buf_free(&out);
}

/* A kubeconfig exactly as `kubectl config` (v1.32) writes it. */
static const char kubectl_config[] =
    "apiVersion: v1\n"
    "clusters:\n"
    "- cluster:\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
    "    server: https://127.0.0.1:6443\n"
    "  name: c\n"
    "- cluster:\n"
    "    certificate-authority: ca.crt\n"
    "    server: https://[::1]:6443\n"
    "  name: c2\n"
    "- cluster:\n"
    "    insecure-skip-tls-verify: true\n"
    "    server: https://h\n"
    "  name: c3\n"
    "contexts:\n"
    "- context:\n"
    "    cluster: c\n"
    "    namespace: ns1\n"
    "    user: u\n"
    "  name: ctx\n"
    "current-context: ctx\n"
    "kind: Config\n"
    "preferences: {}\n"
    "users:\n"
    "- name: u\n"
    "  user:\n"
    "    token: abc.def\n"
    "- name: u4\n"
    "  user:\n"
    "    auth-provider:\n"
    "      config:\n"
    "        k: v\n"
    "      name: oidc\n";

static void test_kubectl_kubeconfig(void)
{
    struct ma_buf out;
    struct ma_errmsg em = {{0}};

    ma_buf_init_heap(&out, 1 << 20);
    CHECK_EQ(ma_yaml_to_json(kubectl_config, sizeof kubectl_config - 1, &out, &em), MA_OK);
    CHECK_STR(ma_buf_cstr(&out),
              "{\"apiVersion\":\"v1\",\"clusters\":["
              "{\"cluster\":{\"certificate-authority-data\":"
              "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\",\"server\":\"https://127.0.0.1:6443\"},"
              "\"name\":\"c\"},"
              "{\"cluster\":{\"certificate-authority\":\"ca.crt\","
              "\"server\":\"https://[::1]:6443\"},"
              "\"name\":\"c2\"},"
              "{\"cluster\":{\"insecure-skip-tls-verify\":true,\"server\":\"https://h\"},"
              "\"name\":\"c3\"}],"
              "\"contexts\":[{\"context\":{\"cluster\":\"c\",\"namespace\":\"ns1\",\"user\":\"u\"},"
              "\"name\":\"ctx\"}],"
              "\"current-context\":\"ctx\",\"kind\":\"Config\",\"preferences\":{},"
              "\"users\":[{\"name\":\"u\",\"user\":{\"token\":\"abc.def\"}},"
              "{\"name\":\"u4\",\"user\":{\"auth-provider\":{\"config\":{\"k\":\"v\"},"
              "\"name\":\"oidc\"}}}]}");
    ma_buf_free(&out);
}

static const char prom_config[] =
    "rules:\n"
    "- seriesQuery: '{__name__=~\"^container_.*\",container!=\"POD\",namespace!=\"\"}'\n"
    "  seriesFilters:\n"
    "  - isNot: ^container_.*_seconds_total$\n"
    "  resources:\n"
    "    overrides:\n"
    "      namespace: {resource: \"namespace\"}\n"
    "      pod: {resource: pod}\n"
    "  name:\n"
    "    matches: ^container_(.*)_seconds_total$\n"
    "    as: \"\"\n"
    "  metricsQuery: |\n"
    "    sum by (<<.GroupBy>>) (\n"
    "      rate(<<.Series>>{<<.LabelMatchers>>}[5m])\n"
    "    )\n"
    "externalRules:\n"
    "- seriesQuery: '{__name__=\"queue_depth\",topic!=\"\"}'\n"
    "  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)\n"
    "  resources:\n"
    "    template: <<.Resource>>\n"
    "resourceRules:\n"
    "  cpu:\n"
    "    containerQuery: >-\n"
    "      sum by (<<.GroupBy>>)\n"
    "      (rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[3m]))\n"
    "  window: 3m\n";

static void test_prometheus_adapter_config(void)
{
    struct ma_buf out;
    struct ma_errmsg em = {{0}};

    ma_buf_init_heap(&out, 1 << 20);
    CHECK_EQ(ma_yaml_to_json(prom_config, sizeof prom_config - 1, &out, &em), MA_OK);
    CHECK_STR(ma_buf_cstr(&out),
              "{\"rules\":[{\"seriesQuery\":"
              "\"{__name__=~\\\"^container_.*\\\",container!=\\\"POD\\\",namespace!=\\\"\\\"}\","
              "\"seriesFilters\":[{\"isNot\":\"^container_.*_seconds_total$\"}],"
              "\"resources\":{\"overrides\":{\"namespace\":{\"resource\":\"namespace\"},"
              "\"pod\":{\"resource\":\"pod\"}}},"
              "\"name\":{\"matches\":\"^container_(.*)_seconds_total$\",\"as\":\"\"},"
              "\"metricsQuery\":\"sum by (<<.GroupBy>>) (\\n  rate(<<.Series>>{<<.LabelMatchers>>}"
              "[5m])\\n)\\n\"}],"
              "\"externalRules\":[{\"seriesQuery\":"
              "\"{__name__=\\\"queue_depth\\\",topic!=\\\"\\\"}\","
              "\"metricsQuery\":\"sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)\","
              "\"resources\":{\"template\":\"<<.Resource>>\"}}],"
              "\"resourceRules\":{\"cpu\":{\"containerQuery\":\"sum by (<<.GroupBy>>) "
              "(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[3m]))\"},"
              "\"window\":\"3m\"}}");
    ma_buf_free(&out);
}

static void test_limits(void)
{
    struct ma_buf out;
    struct ma_errmsg em;
    static char in[16 * (MA_YAML_MAX_OPEN_KEYS + 1)];
    size_t n = 0;
    int i;
    char *big;

    ma_buf_init_heap(&out, 1 << 20);
    /* flow nesting: exactly the limit is fine, one more is refused */
    for (i = 0; i < MA_YAML_MAX_DEPTH; i++)
        in[n++] = '[';
    for (i = 0; i < MA_YAML_MAX_DEPTH; i++)
        in[n++] = ']';
    CHECK_EQ(ma_yaml_to_json(in, n, &out, &em), MA_OK);
    n = 0;
    for (i = 0; i <= MA_YAML_MAX_DEPTH; i++)
        in[n++] = '[';
    ma_buf_reset(&out);
    CHECK_EQ(ma_yaml_to_json(in, n, &out, &em), MA_ERR_LIMIT);
    CHECK(strncmp(em.msg, "line 1 column 33:", 17) == 0);
    /* block nesting: "- - - ... x" */
    n = 0;
    for (i = 0; i <= MA_YAML_MAX_DEPTH; i++) {
        in[n++] = '-';
        in[n++] = ' ';
    }
    in[n++] = 'x';
    ma_buf_reset(&out);
    CHECK_EQ(ma_yaml_to_json(in, n, &out, &em), MA_ERR_LIMIT);
    CHECK_EQ(ma_yaml_to_json(in + 2, n - 2, &out, &em), MA_OK);
    /* keys of one mapping */
    n = 0;
    for (i = 0; i <= MA_YAML_MAX_OPEN_KEYS; i++)
        n += (size_t)sprintf(in + n, "k%d: 1\n", i);
    ma_buf_reset(&out);
    CHECK_EQ(ma_yaml_to_json(in, n, &out, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "keys") != NULL);
    /* closed mappings give their keys back */
    n = 0;
    for (i = 0; i <= MA_YAML_MAX_OPEN_KEYS; i++)
        n += (size_t)sprintf(in + n, "- k: 1\n");
    ma_buf_reset(&out);
    CHECK_EQ(ma_yaml_to_json(in, n, &out, &em), MA_OK);
    /* input size */
    big = calloc(1, MA_YAML_MAX_INPUT + 1);
    CHECK(big != NULL);
    memset(big, '#', MA_YAML_MAX_INPUT + 1);
    ma_buf_reset(&out);
    CHECK_EQ(ma_yaml_to_json(big, MA_YAML_MAX_INPUT + 1, &out, &em), MA_ERR_LIMIT);
    CHECK_EQ(ma_yaml_to_json(big, MA_YAML_MAX_INPUT, &out, &em), MA_OK);
    CHECK_STR(ma_buf_cstr(&out), "null");
    free(big);
    ma_buf_free(&out);
}

static void test_output_buffer(void)
{
    char mem[16];
    struct ma_buf out;
    struct ma_errmsg em;

    /* full: NOSPACE and the previous content kept */
    ma_buf_init_fixed(&out, mem, sizeof mem);
    ma_buf_append(&out, "xy", 2);
    CHECK_EQ(ma_yaml_to_json("a: hello world\n", 15, &out, &em), MA_ERR_NOSPACE);
    CHECK_EQ(out.len, 2);
    CHECK(strstr(em.msg, "buffer") != NULL);
    /* duplicate detection must not read keys that never made it into the buffer */
    ma_buf_init_fixed(&out, mem, 6);
    CHECK_EQ(ma_yaml_to_json("abcdefgh: 1\nabcdefgh: 2\n", 24, &out, NULL), MA_ERR_NOSPACE);
    /* appended after existing content; a syntax error restores the length */
    ma_buf_init_fixed(&out, mem, sizeof mem);
    ma_buf_append(&out, "xy", 2);
    CHECK_EQ(ma_yaml_to_json("a: [1]\n", 7, &out, &em), MA_OK);
    CHECK_EQ(out.len, 11);
    CHECK_MEM(out.p, "xy{\"a\":[1]}", 11);
    CHECK_EQ(ma_yaml_to_json("a: [1\n", 6, &out, NULL), MA_ERR_SYNTAX);
    CHECK_EQ(out.len, 11);
}

/* Not NUL-terminated: the reader stops at len. */
static void test_length_bound(void)
{
    struct ma_buf out;
    struct ma_errmsg em;

    ma_buf_init_heap(&out, 1024);
    CHECK_EQ(ma_yaml_to_json("a: 1\nb: 2\n", 5, &out, &em), MA_OK);
    CHECK_STR(ma_buf_cstr(&out), "{\"a\":1}");
    ma_buf_free(&out);
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_kubectl_kubeconfig);
    T_RUN(test_prometheus_adapter_config);
    T_RUN(test_limits);
    T_RUN(test_output_buffer);
    T_RUN(test_length_bound);
    T_END();
}
