/* backend/prom_template: tests/vectors/prom_template.txt holds Go's own output for each template
 * (text/template with prometheus-adapter's delimiters and argument types); the tables here check
 * error messages, bounds and the data model's edges. */
#include "backend/prom_template.h"

#include <stdio.h>

#include "t.h"

static const struct ma_prom_kv kv[] = {{"namespace", "default"}, {"pod", "a|b"}};
static const char *const gbs[] = {"pod", "container"};
static const struct ma_prom_tmpl_data qdata = {
    "http_requests_total", "namespace=\"default\",pod=~\"a|b\"", "pod,container", kv, 2, gbs, 2,
    NULL, NULL};
static const struct ma_prom_tmpl_data rdata = {NULL, NULL, NULL, NULL, 0, NULL, 0, "apps",
                                               "deployment"};

/* Decode a Go-quoted string at s into out (the escapes strconv.Quote writes for ASCII text). */
static size_t unquote(const char *s, char *out, const char **end)
{
    size_t n = 0;

    CHECK(*s == '"');
    for (s++; *s && *s != '"'; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        switch (*++s) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        default: out[n++] = *s; break;
        }
    }
    out[n] = '\0';
    *end = s + 1;
    return n;
}

static int render(const char *src, size_t n, int kind, char *out, size_t cap, struct ma_errmsg *em)
{
    struct ma_prom_tmpl *t;
    struct ma_buf b;
    int r;

    r = ma_prom_tmpl_compile(src, n, kind, &t, em);
    if (r < 0)
        return r;
    ma_buf_init_fixed(&b, out, cap - 1);
    r = ma_prom_tmpl_exec(t, kind == MA_PROM_TMPL_QUERY ? &qdata : &rdata, &b, em);
    out[b.len] = '\0';
    ma_prom_tmpl_free(t);
    return r;
}

static void test_go_vectors(void)
{
    FILE *f = fopen("tests/vectors/prom_template.txt", "r");
    char line[4096], src[2048], want[2048], got[4096];
    int rows = 0, fails = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f)) {
        const char *e, *res;
        struct ma_errmsg em;
        size_t n;
        int kind, r;

        if (line[0] == '#' || line[0] == '\n')
            continue;
        kind = line[0] == 'R' ? MA_PROM_TMPL_RESOURCE : MA_PROM_TMPL_QUERY;
        n = unquote(line + 2, src, &e);
        res = e + 1;
        rows++;
        em.msg[0] = '\0';
        r = render(src, n, kind, got, sizeof got, &em);
        if (strncmp(res, "error", 5) == 0 || strncmp(res, "refused", 7) == 0) {
            fails++;
            if (r >= 0) {
                fprintf(stderr, "template %.*s: rendered \"%s\", Go %s\n", (int)(e - line - 2),
                        line + 2, got, res);
                CHECK(r < 0);
            }
            continue;
        }
        unquote(res, want, &e);
        if (r < 0 || strcmp(got, want) != 0) {
            fprintf(stderr, "template %.*s: got (%d %s) \"%s\" want \"%s\"\n", (int)(e - line),
                    line + 2, r, em.msg, got, want);
            CHECK(0);
        }
    }
    fclose(f);
    CHECK(rows > 120 && fails > 30);
}

static void test_errors(void)
{
    static const struct {
        const char *src, *msg;
    } rows[] = {
        {"<<join .GroupBySlice \",\">>", "offset 2: function \"join\" not defined"},
        {"a <<.Nope>>", "offset 4: unknown field .Nope (the template's data has .Series "
                        ".LabelMatchers .LabelValuesByName .GroupBy .GroupBySlice)"},
        {"<<.Series.X>>", "offset 2: can't evaluate field X in type string"},
        {"<<$y>>", "offset 2: undefined variable \"$y\""},
        {"<<define \"x\">>a<<end>>", "offset 2: <<define>> is not supported"},
        {"<<if 1>>a", "offset 2: unexpected EOF: missing <<end>>"},
        {"x<<end>>", "offset 3: unexpected <<end>>"},
        {"<<printf \"%x\" 1>>", "offset 9: printf verb %x is not supported (only %s %v %d %q %%)"},
        {"<<1.5>>", "offset 2: only decimal integer constants are supported"},
        {"<<.Series .GroupBy>>", "offset 2: can't give argument to non-function"},
        {"<<not 1 2>>", "offset 2: wrong number of args for not: want 1 got 2"},
        {"<<break>>", "offset 2: {{break}} outside {{range}}"},
        {"<<.Series", "offset 9: unclosed action"},
        {"<<html .Series>>", "offset 2: function \"html\" is not supported"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_prom_tmpl *t = (struct ma_prom_tmpl *)1;
        struct ma_errmsg em;
        int r = ma_prom_tmpl_compile(rows[i].src, strlen(rows[i].src), MA_PROM_TMPL_QUERY, &t, &em);
        CHECK(r == MA_ERR_SYNTAX && t == NULL);
        CHECK_STR(em.msg, rows[i].msg);
    }
    /* the resource kind knows only .Group and .Resource */
    {
        struct ma_prom_tmpl *t;
        CHECK(ma_prom_tmpl_compile("<<.Series>>", 11, MA_PROM_TMPL_RESOURCE, &t, NULL) ==
              MA_ERR_SYNTAX);
        CHECK(ma_prom_tmpl_compile("<<.Group>>", 10, MA_PROM_TMPL_QUERY, &t, NULL) == MA_ERR_SYNTAX);
    }
}

static void test_exec_errors_and_bounds(void)
{
    struct ma_prom_tmpl *t;
    struct ma_buf b;
    struct ma_errmsg em;
    char mem[16];
    int r;

    CHECK(ma_prom_tmpl_compile("x<<index .GroupBySlice 5>>", 26, MA_PROM_TMPL_QUERY, &t, &em) == 0);
    ma_buf_init_fixed(&b, mem, sizeof mem);
    ma_buf_appends(&b, "ab");
    r = ma_prom_tmpl_exec(t, &qdata, &b, &em);
    CHECK(r == MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "offset 3: error calling index: index out of range: 5");
    CHECK(b.len == 2); /* restored */
    ma_prom_tmpl_free(t);

    /* output bounded by the caller's buffer */
    CHECK(ma_prom_tmpl_compile("<<.Series>><<.Series>>", 22, MA_PROM_TMPL_QUERY, &t, &em) == 0);
    ma_buf_init_fixed(&b, mem, sizeof mem);
    CHECK(ma_prom_tmpl_exec(t, &qdata, &b, &em) == MA_ERR_NOSPACE);
    CHECK(b.len == 0);
    CHECK(!ma_prom_tmpl_is_text(t));
    ma_prom_tmpl_free(t);
    CHECK(ma_prom_tmpl_compile("up", 2, MA_PROM_TMPL_QUERY, &t, &em) == 0);
    CHECK(ma_prom_tmpl_is_text(t));
    ma_prom_tmpl_free(t);

    /* NULL strings read as "", empty collections range to else */
    {
        static const struct ma_prom_tmpl_data empty = {0};
        char out[64];
        const char *src = "[<<.Series>>]<<range .GroupBySlice>>x<<else>>none<<end>><<len "
                          ".LabelValuesByName>>";
        CHECK(ma_prom_tmpl_compile(src, strlen(src), MA_PROM_TMPL_QUERY, &t, &em) == 0);
        ma_buf_init_fixed(&b, out, sizeof out - 1);
        CHECK(ma_prom_tmpl_exec(t, &empty, &b, &em) == 0);
        out[b.len] = '\0';
        CHECK_STR(out, "[]none0");
        ma_prom_tmpl_free(t);
    }
}

static void test_limits(void)
{
    static char big[MA_PROM_TMPL_MAX_SRC + 1];
    char deep[MA_PROM_TMPL_MAX_DEPTH * 8 + 16];
    struct ma_prom_tmpl *t;
    struct ma_errmsg em;
    size_t n = 0;
    int i;

    memset(big, 'a', sizeof big);
    CHECK(ma_prom_tmpl_compile(big, sizeof big, MA_PROM_TMPL_QUERY, &t, &em) == MA_ERR_LIMIT);
    for (i = 0; i <= MA_PROM_TMPL_MAX_DEPTH; i++) {
        memcpy(deep + n, "<<if 1>>", 8);
        n += 8;
    }
    CHECK(ma_prom_tmpl_compile(deep, n, MA_PROM_TMPL_QUERY, &t, &em) == MA_ERR_LIMIT);
    /* 5,000 actions: past the node limit */
    for (n = 0; n + 5 <= sizeof big; n += 5)
        memcpy(big + n, "<<.>>", 5);
    CHECK(ma_prom_tmpl_compile(big, n, MA_PROM_TMPL_QUERY, &t, &em) == MA_ERR_LIMIT);
}

int main(void)
{
    T_RUN(test_go_vectors);
    T_RUN(test_errors);
    T_RUN(test_exec_errors_and_bounds);
    T_RUN(test_limits);
    T_END();
}
