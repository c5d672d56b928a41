#include "kube/selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/write.h"
#include "t.h"

#define VECTORS "tests/vectors/selectors.txt"

/* Text after "..." truncation in a struct ma_errmsg: compare at most this many bytes. */
#define MSG_CMP_MAX (MA_ERRMSG_SIZE - 4)

static int parse_str(const char *s, size_t n, struct ma_kube_selector *sel, struct ma_errmsg *em)
{
    em->msg[0] = '\0';
    return ma_kube_selector_parse(s, n, sel, em);
}

/* Canonical String() into out (NUL-terminated). */
static void to_string(const struct ma_kube_selector *sel, char *out, size_t cap)
{
    struct ma_buf b;

    ma_buf_init_fixed(&b, out, cap);
    ma_kube_selector_string(sel, &b);
    ma_buf_cstr(&b);
}

/* Every key and value slice lies inside s[0..n]. */
static int slices_inside(const struct ma_kube_selector *sel, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < sel->num_reqs; i++) {
        const struct ma_kube_sel_req *r = &sel->reqs[i];
        if (r->key.p < s || r->key.p + r->key.len > s + n || r->key.len == 0)
            return 0;
        if (r->first_value + r->num_values > sel->num_values)
            return 0;
    }
    for (i = 0; i < sel->num_values; i++)
        if (sel->values[i].p < s || sel->values[i].p + sel->values[i].len > s + n)
            return 0;
    return 1;
}

/* ===================================== vectors ===================================== */

/* Read one double-quoted, C-escaped field at *pp into out; returns its length or -1. */
static long read_field(const char **pp, char *out, size_t cap)
{
    const char *p = *pp;
    size_t n = 0;

    while (*p == ' ')
        p++;
    if (*p++ != '"')
        return -1;
    while (*p != '"') {
        char c = *p++;
        if (c == '\0' || c == '\n' || n + 1 >= cap)
            return -1;
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case 't': c = '\t'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case '\\':
            case '"': break;
            case 'x': {
                char hex[3] = {p[0], p[1], 0};
                c = (char)strtol(hex, NULL, 16);
                p += 2;
                break;
            }
            default: return -1;
            }
        }
        out[n++] = c;
    }
    *pp = p + 1;
    out[n] = '\0';
    return (long)n;
}

struct labelset {
    char mem[4096];
    struct ma_kube_label items[16];
    struct ma_kube_labels set;
};

/* "k=v,k2=v2" into ls; "" is the empty set. */
static int make_labels(const char *spec, struct labelset *ls)
{
    char *p;
    size_t n = 0;

    snprintf(ls->mem, sizeof ls->mem, "%s", spec);
    p = ls->mem;
    while (*p != '\0') {
        char *comma = strchr(p, ','), *eq;
        if (comma != NULL)
            *comma = '\0';
        eq = strchr(p, '=');
        if (eq == NULL || n == 16)
            return -1;
        *eq = '\0';
        ls->items[n].key = p;
        ls->items[n].value = eq + 1;
        n++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    ls->set.items = ls->items;
    ls->set.n = n;
    return 0;
}

static void run_vector(const char *line, int lineno, int *counts)
{
    static struct ma_kube_selector sel, sel2;
    struct ma_errmsg em;
    char in[4096], want[4096], got[8192], got2[8192];
    const char *p = line;
    long n, m;
    int rc;

    if (strncmp(line, "ok ", 3) == 0) {
        p += 3;
        n = read_field(&p, in, sizeof in);
        m = read_field(&p, want, sizeof want);
        CHECK(n >= 0 && m >= 0);
        if (n < 0 || m < 0)
            return;
        rc = parse_str(in, (size_t)n, &sel, &em);
        to_string(&sel, got, sizeof got);
        if (rc != MA_OK || strcmp(got, want) != 0)
            fprintf(stderr, VECTORS ":%d: rc %d msg \"%s\"\n", lineno, rc, em.msg);
        CHECK_EQ(rc, MA_OK);
        CHECK_STR(got, want);
        CHECK(slices_inside(&sel, in, (size_t)n));
        /* String() is a fixed point */
        CHECK_EQ(parse_str(got, strlen(got), &sel2, &em), MA_OK);
        to_string(&sel2, got2, sizeof got2);
        CHECK_STR(got2, want);
        counts[0]++;
    } else if (strncmp(line, "err ", 4) == 0) {
        size_t cmp;
        p += 4;
        n = read_field(&p, in, sizeof in);
        m = read_field(&p, want, sizeof want);
        CHECK(n >= 0 && m >= 0);
        if (n < 0 || m < 0)
            return;
        rc = parse_str(in, (size_t)n, &sel, &em);
        cmp = strlen(want) < MSG_CMP_MAX ? strlen(want) : MSG_CMP_MAX;
        if (rc != MA_ERR_SYNTAX || strncmp(em.msg, want, cmp) != 0) {
            fprintf(stderr, VECTORS ":%d: rc %d\n  got:  %s\n  want: %s\n", lineno, rc, em.msg,
                    want);
            t_failed_checks++;
        }
        CHECK_EQ(sel.num_reqs, 0);
        counts[1]++;
    } else if (strncmp(line, "limit ", 6) == 0) {
        p += 6;
        n = read_field(&p, in, sizeof in);
        CHECK(n >= 0);
        if (n < 0)
            return;
        CHECK_EQ(parse_str(in, (size_t)n, &sel, &em), MA_ERR_LIMIT);
        counts[2]++;
    } else if (strncmp(line, "match ", 6) == 0) {
        struct labelset ls;
        int expect;
        p += 6;
        n = read_field(&p, in, sizeof in);
        m = read_field(&p, want, sizeof want);
        CHECK(n >= 0 && m >= 0);
        if (n < 0 || m < 0)
            return;
        CHECK_EQ(make_labels(want, &ls), 0);
        expect = atoi(p);
        CHECK_EQ(parse_str(in, (size_t)n, &sel, &em), MA_OK);
        rc = ma_kube_selector_matches(&sel, &ls.set);
        if (rc != expect)
            fprintf(stderr, VECTORS ":%d: match gave %d\n", lineno, rc);
        CHECK_EQ(rc, expect);
        counts[3]++;
    } else {
        fprintf(stderr, VECTORS ":%d: bad line\n", lineno);
        t_failed_checks++;
    }
}

static void test_vectors(void)
{
    FILE *f = fopen(VECTORS, "r");
    char line[8192];
    int lineno = 0, counts[4] = {0, 0, 0, 0};

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        run_vector(line, lineno, counts);
    }
    fclose(f);
    /* the file really was read */
    CHECK(counts[0] > 80);
    CHECK(counts[1] > 80);
    CHECK(counts[3] > 50);
}

/* ===================================== C tables ===================================== */

static void test_structure(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    const char *s = "z in (b,a,b), !y ,x=1";

    CHECK_EQ(parse_str(s, strlen(s), &sel, &em), MA_OK);
    CHECK_EQ(sel.num_reqs, 3);
    CHECK_EQ(sel.num_values, 3);
    CHECK(ma_str_eq(sel.reqs[0].key, "x"));
    CHECK_EQ(sel.reqs[0].op, MA_KUBE_SEL_EQ);
    CHECK_EQ(sel.reqs[0].num_values, 1);
    CHECK(ma_str_eq(sel.values[sel.reqs[0].first_value], "1"));
    CHECK(sel.values[sel.reqs[0].first_value].p == s + strlen(s) - 1);
    CHECK(ma_str_eq(sel.reqs[1].key, "y"));
    CHECK_EQ(sel.reqs[1].op, MA_KUBE_SEL_NOTEXISTS);
    CHECK_EQ(sel.reqs[1].num_values, 0);
    CHECK(ma_str_eq(sel.reqs[2].key, "z"));
    CHECK(sel.reqs[2].key.p == s);
    CHECK_EQ(sel.reqs[2].op, MA_KUBE_SEL_IN);
    CHECK_EQ(sel.reqs[2].num_values, 2);
    CHECK(ma_str_eq(sel.values[sel.reqs[2].first_value], "a"));
    CHECK(ma_str_eq(sel.values[sel.reqs[2].first_value + 1], "b"));
}

static void test_gt_lt_operand(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;

    CHECK_EQ(parse_str("x>9223372036854775807", 21, &sel, &em), MA_OK);
    CHECK(sel.reqs[0].num == INT64_MAX);
    CHECK_EQ(sel.reqs[0].op, MA_KUBE_SEL_GT);
    CHECK_EQ(parse_str("x<007", 5, &sel, &em), MA_OK);
    CHECK_EQ(sel.reqs[0].num, 7);
    CHECK_EQ(sel.reqs[0].op, MA_KUBE_SEL_LT);
}

/* The exact texts users see for the most common mistakes (cut to the 160-byte Status). */
static void test_messages(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;

    CHECK_EQ(parse_str("app=-x", 6, &sel, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid "
                      "label must be an empty string or consist of alphanumeric characters, '-', "
                      "'_' or '.', and must start and end with an alphanumeric character (e.g. "
                      "'MyValue',  or 'my_value',  or '...");
    CHECK_EQ(strlen(em.msg), MA_ERRMSG_SIZE - 1);
    CHECK_EQ(parse_str("x=a,", 4, &sel, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "found '', expected: identifier after ','");
    CHECK_EQ(parse_str("x\x01y", 3, &sel, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "unable to parse requirement: <nil>: Invalid value: \"x\\x01y\": name part "
                      "must consist of alphanumeric characters, '-', '_' or '.', and must start "
                      "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                      "'123-abc', regex used for validati...");
    /* em may be NULL */
    CHECK_EQ(ma_kube_selector_parse("x=-", 3, &sel, NULL), MA_ERR_SYNTAX);
    CHECK_EQ(ma_kube_selector_parse("x>", 2, &sel, NULL), MA_ERR_SYNTAX);
}

/* The length passed is honoured: bytes beyond it are never read. */
static void test_length_bound(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    char *heap = malloc(3);
    char out[64];

    memcpy(heap, "x=a", 3); /* no NUL: ASan catches any over-read */
    CHECK_EQ(parse_str(heap, 3, &sel, &em), MA_OK);
    to_string(&sel, out, sizeof out);
    CHECK_STR(out, "x=a");
    CHECK_EQ(parse_str(heap, 2, &sel, &em), MA_OK);
    to_string(&sel, out, sizeof out);
    CHECK_STR(out, "x=");
    CHECK_EQ(parse_str(heap, 1, &sel, &em), MA_OK);
    to_string(&sel, out, sizeof out);
    CHECK_STR(out, "x");
    CHECK_EQ(parse_str(heap, 0, &sel, &em), MA_OK);
    CHECK_EQ(sel.num_reqs, 0);
    free(heap);
}

static void test_limits(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    char s[8192];
    size_t n = 0;
    int i;

    /* exactly MA_KUBE_SEL_MAX_REQS requirements */
    for (i = 0; i < MA_KUBE_SEL_MAX_REQS; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%sk%d", i ? "," : "", i);
    CHECK_EQ(parse_str(s, n, &sel, &em), MA_OK);
    CHECK_EQ(sel.num_reqs, MA_KUBE_SEL_MAX_REQS);
    n += (size_t)snprintf(s + n, sizeof s - n, ",k");
    CHECK_EQ(parse_str(s, n, &sel, &em), MA_ERR_LIMIT);
    CHECK_EQ(sel.num_reqs, 0);
    CHECK(strstr(em.msg, "requirements") != NULL);

    /* exactly MA_KUBE_SEL_MAX_VALUES distinct values; duplicates do not count */
    n = (size_t)snprintf(s, sizeof s, "x in (");
    for (i = 0; i < MA_KUBE_SEL_MAX_VALUES; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "v%d,v%d,", i, i);
    s[n - 1] = ')';
    CHECK_EQ(parse_str(s, n, &sel, &em), MA_OK);
    CHECK_EQ(sel.num_values, MA_KUBE_SEL_MAX_VALUES);
    CHECK_EQ(sel.reqs[0].num_values, MA_KUBE_SEL_MAX_VALUES);
    n = (size_t)snprintf(s, sizeof s, "y=a,x in (");
    for (i = 0; i < MA_KUBE_SEL_MAX_VALUES; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "v%d,", i);
    s[n - 1] = ')';
    CHECK_EQ(parse_str(s, n, &sel, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "values") != NULL);
}

/* More than 12 requirements with equal keys keep their input order (Go's pdqsort would not
 * promise this; we do). */
static void test_stable_sort_large(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    char s[4096], want[4096], got[4096];
    size_t n = 0, w = 0;
    int i;

    for (i = 0; i < 40; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s%c=%d", i ? "," : "", "bca"[i % 3], i);
    for (i = 0; i < 3; i++) {
        int j;
        for (j = 0; j < 40; j++)
            if ("bca"[j % 3] == "abc"[i])
                w += (size_t)snprintf(want + w, sizeof want - w, "%s%c=%d", w ? "," : "",
                                      "abc"[i], j);
    }
    CHECK_EQ(parse_str(s, n, &sel, &em), MA_OK);
    to_string(&sel, got, sizeof got);
    CHECK_STR(got, want);
}

static void test_matches_nulls(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    struct ma_kube_labels none = {NULL, 0};
    struct ma_kube_label dup[2] = {{"x", "a"}, {"x", "b"}};
    struct ma_kube_labels two = {dup, 2};

    CHECK_EQ(parse_str("!x", 2, &sel, &em), MA_OK);
    CHECK_EQ(ma_kube_selector_matches(&sel, &none), 1);
    CHECK_EQ(ma_kube_selector_matches(&sel, NULL), 1);
    CHECK_EQ(parse_str("x=b", 3, &sel, &em), MA_OK);
    CHECK_EQ(ma_kube_selector_matches(&sel, &none), 0);
    /* a repeated key: the first one counts, as in a map built from the list */
    CHECK_EQ(ma_kube_selector_matches(&sel, &two), 0);
}

struct json_row {
    const char *in;
    int rc;
    const char *json;
};

static const struct json_row json_rows[] = {
    {"", MA_OK, "{}"},
    {"x=a", MA_OK, "{\"matchLabels\":{\"x\":\"a\"}}"},
    {"x==a", MA_OK, "{\"matchLabels\":{\"x\":\"a\"}}"},
    {"x=", MA_OK, "{\"matchLabels\":{\"x\":\"\"}}"},
    {"b==2,a=1", MA_OK, "{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}}"},
    {"x=a,x=b", MA_OK, "{\"matchLabels\":{\"x\":\"b\"}}"},
    {"x=b,x==a", MA_OK, "{\"matchLabels\":{\"x\":\"a\"}}"},
    {"x in (b,a)", MA_OK,
     "{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}"},
    {"x notin ()", MA_OK,
     "{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"NotIn\",\"values\":[\"\"]}]}"},
    {"x", MA_OK, "{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"Exists\"}]}"},
    {"!x", MA_OK, "{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"DoesNotExist\"}]}"},
    {"x!=a", MA_OK,
     "{\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}"},
    {"x=a,x in (b)", MA_OK,
     "{\"matchLabels\":{\"x\":\"a\"},\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"In\","
     "\"values\":[\"b\"]}]}"},
    {"z,app.kubernetes.io/name=web,!a,env in (prod,dev),tier=be", MA_OK,
     "{\"matchLabels\":{\"app.kubernetes.io/name\":\"web\",\"tier\":\"be\"},"
     "\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\"},"
     "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"dev\",\"prod\"]},"
     "{\"key\":\"z\",\"operator\":\"Exists\"}]}"},
    {"x>1", MA_ERR_SYNTAX, "null"},
    {"a=1,x<1", MA_ERR_SYNTAX, "null"},
};

static void test_write_json(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    struct ma_json_w w;
    struct ma_buf b;
    char mem[1024];
    size_t i;

    for (i = 0; i < sizeof json_rows / sizeof json_rows[0]; i++) {
        const struct json_row *r = &json_rows[i];
        CHECK_EQ(parse_str(r->in, strlen(r->in), &sel, &em), MA_OK);
        ma_buf_init_fixed(&b, mem, sizeof mem);
        ma_json_w_init(&w, &b, 0);
        CHECK_EQ(ma_kube_selector_write_json(&sel, &w), r->rc);
        CHECK_EQ(ma_json_w_end(&w), MA_OK);
        CHECK_STR(ma_buf_cstr(&b), r->json);
    }
}

/* As a member value inside a larger document (the MetricValue "selector" field). */
static void test_write_json_member(void)
{
    static struct ma_kube_selector sel;
    struct ma_errmsg em;
    struct ma_json_w w;
    struct ma_buf b;
    char mem[256];

    CHECK_EQ(parse_str("x>1", 3, &sel, &em), MA_OK);
    ma_buf_init_fixed(&b, mem, sizeof mem);
    ma_json_w_init(&w, &b, 0);
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "selector");
    CHECK_EQ(ma_kube_selector_write_json(&sel, &w), MA_ERR_SYNTAX);
    ma_json_w_key(&w, "value");
    ma_json_w_str(&w, "1");
    ma_json_w_obj_end(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "{\"selector\":null,\"value\":\"1\"}");
}

int main(void)
{
    T_RUN(test_vectors);
    T_RUN(test_structure);
    T_RUN(test_gt_lt_operand);
    T_RUN(test_messages);
    T_RUN(test_length_bound);
    T_RUN(test_limits);
    T_RUN(test_stable_sort_large);
    T_RUN(test_matches_nulls);
    T_RUN(test_write_json);
    T_RUN(test_write_json_member);
    T_END();
}
