/* base/regex: the vectors in tests/vectors/regex.txt and regex_expand.txt are Go's own answers
 * (regexp.FindStringSubmatchIndex, ExpandString); the tables here check what the vectors cannot:
 * error messages, names, QuoteMeta, linear time on pathological patterns, limits. */
#include "base/regex.h"

#include <stdint.h>
#include <stdio.h>

#include "t.h"

#define MAXSUB 64

/* Decode a Go strconv.Quote string at s (starting at the quote) into out; returns its length. */
static size_t unquote(const char *s, char *out)
{
    size_t n = 0;
    unsigned long v;
    int k, digits;

    CHECK(*s == '"');
    for (s++; *s && *s != '"'; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'a': out[n++] = 7; break;
        case 'b': out[n++] = 8; break;
        case 'f': out[n++] = 12; break;
        case 'n': out[n++] = 10; break;
        case 'r': out[n++] = 13; break;
        case 't': out[n++] = 9; break;
        case 'v': out[n++] = 11; break;
        case 'x': case 'u': case 'U':
            digits = *s == 'x' ? 2 : *s == 'u' ? 4 : 8;
            v = 0;
            for (k = 0; k < digits; k++) {
                char c = *++s;
                v = v * 16 + (unsigned long)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
            }
            if (digits == 2) {
                out[n++] = (char)v;
            } else if (v < 0x80) {
                out[n++] = (char)v;
            } else if (v < 0x800) {
                out[n++] = (char)(0xc0 | (v >> 6));
                out[n++] = (char)(0x80 | (v & 0x3f));
            } else if (v < 0x10000) {
                out[n++] = (char)(0xe0 | (v >> 12));
                out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
                out[n++] = (char)(0x80 | (v & 0x3f));
            } else {
                out[n++] = (char)(0xf0 | (v >> 18));
                out[n++] = (char)(0x80 | ((v >> 12) & 0x3f));
                out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
                out[n++] = (char)(0x80 | (v & 0x3f));
            }
            break;
        default: out[n++] = *s; break;
        }
    }
    return n;
}

static void fmt_sub(const long *sub, int n, int ok, char *out, size_t cap)
{
    size_t len = 0;
    int i;

    if (!ok) {
        snprintf(out, cap, "nomatch");
        return;
    }
    out[0] = '\0';
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%ld", i ? " " : "", sub[i]);
}

static void test_go_vectors(void)
{
    FILE *f = fopen("tests/vectors/regex.txt", "r");
    char line[4096], in[4096], got[1024];
    long sub[MAXSUB];
    int rows = 0, nerr = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f)) {
        char *pat = line, *q, *want, *full, *nl;
        struct ma_regex *re;
        struct ma_errmsg em;
        size_t inlen;
        int r, ok, nsub, bad = 0;

        if ((nl = strchr(line, '\n')))
            *nl = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        q = strchr(pat, '\t');
        *q++ = '\0';
        inlen = unquote(q, in);
        want = strchr(q + 1 + (q[1] == '"' ? 1 : 0), '\t');
        /* the quoted input may hold an escaped tab only, never a raw one */
        want = strrchr(q, '"');
        want = strchr(want, '\t') + 1;
        full = strchr(want, '\t');
        if (full)
            *full++ = '\0';
        rows++;
        r = ma_regex_compile(pat, strlen(pat), 0, &re, &em);
        if (strcmp(want, "error") == 0) {
            nerr++;
            if (r == MA_OK) {
                fprintf(stderr, "pattern %s: compiled, Go refuses it\n", pat);
                bad = 1;
                ma_regex_free(re);
            }
            CHECK(!bad);
            continue;
        }
        if (r != MA_OK) {
            fprintf(stderr, "pattern %s: %s\n", pat, em.msg);
            CHECK(r == MA_OK);
            continue;
        }
        nsub = 2 * (ma_regex_ngroups(re) + 1);
        CHECK(nsub <= MAXSUB);
        ok = ma_regex_search(re, in, inlen, sub, nsub);
        fmt_sub(sub, nsub, ok, got, sizeof got);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "pattern %s input %s: search got [%s] want [%s]\n", pat, q, got, want);
            bad = 1;
        }
        CHECK(ok == ma_regex_search(re, in, inlen, NULL, 0));
        if (full && strcmp(full, "-") != 0) {
            ok = ma_regex_fullmatch(re, in, inlen, sub, nsub);
            fmt_sub(sub, nsub, ok, got, sizeof got);
            if (strcmp(got, full) != 0) {
                fprintf(stderr, "pattern %s input %s: full got [%s] want [%s]\n", pat, q, got,
                        full);
                bad = 1;
            }
            CHECK(ok == ma_regex_fullmatch(re, in, inlen, NULL, 0));
        }
        CHECK(!bad);
        ma_regex_free(re);
    }
    fclose(f);
    CHECK(rows > 200 && nerr > 30);
}

static void test_expand_vectors(void)
{
    FILE *f = fopen("tests/vectors/regex_expand.txt", "r");
    char line[4096], in[1024], tm[1024], want[1024];
    int rows = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f)) {
        char *pat = line, *a, *b, *c;
        struct ma_regex *re;
        struct ma_buf out;
        long sub[MAXSUB];
        size_t nin, ntm, nwant;

        if (line[0] == '#' || line[0] == '\n')
            continue;
        a = strchr(pat, '\t');
        *a++ = '\0';
        b = strchr(a, '\t') + 1;
        c = strrchr(b, '\t') + 1;
        nin = unquote(a, in);
        ntm = unquote(b, tm);
        nwant = unquote(c, want);
        rows++;
        CHECK(ma_regex_compile(pat, strlen(pat), 0, &re, NULL) == MA_OK);
        CHECK(ma_regex_search(re, in, nin, sub, MAXSUB) == 1);
        ma_buf_init_heap(&out, 4096);
        ma_regex_expand(re, tm, ntm, in, sub, 2 * (ma_regex_ngroups(re) + 1), &out);
        if (out.len != nwant || (nwant && memcmp(out.p, want, nwant) != 0)) {
            fprintf(stderr, "expand %s %s: got \"%.*s\" want %s", pat, b, (int)out.len, out.p, c);
            CHECK(0);
        }
        ma_buf_free(&out);
        ma_regex_free(re);
    }
    fclose(f);
    CHECK(rows >= 20);
}

/* Each refused construct is named, with its offset. */
static void test_errors(void)
{
    static const struct {
        const char *pat, *msg;
    } rows[] = {
        {"(a)\\1", "backreferences are not supported at offset 3: `\\1`"},
        {"x(?=a)", "lookahead is not supported at offset 1: `(?=`"},
        {"(?<!a)b", "lookbehind is not supported at offset 0: `(?<!`"},
        {"a*+", "invalid nested repetition operator (possessive and stacked quantifiers are not "
                "supported) at offset 1: `*+`"},
        {"\\p{Greek}", "Unicode character classes (\\p, \\P) are not supported at offset 0: `\\p`"},
        {"a{1001}", "invalid repeat count at offset 1: `{1001}`"},
        {"(a{500}){3}", "invalid repeat count at offset 8: `{3}`"},
        {"ab[cd", "missing closing ] at offset 2: `[cd`"},
        {"(ab", "missing closing ) at offset 0: `(ab`"},
        {"ab)", "unexpected ) at offset 2: `)`"},
        {"*a", "missing argument to repetition operator at offset 0: `*`"},
        {"[z-a]", "invalid character class range at offset 1: `z-a`"},
        {"\\Z", "\\Z is not supported (use \\z) at offset 0: `\\Z`"},
        {"a\\", "trailing backslash at end of expression at offset 1: `\\`"},
        {"\xff", "invalid UTF-8 at offset 0: `\xff`"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_regex *re = (struct ma_regex *)1;
        struct ma_errmsg em;
        int r = ma_regex_compile(rows[i].pat, strlen(rows[i].pat), 0, &re, &em);

        CHECK(r == MA_ERR_SYNTAX);
        CHECK(re == NULL);
        CHECK_STR(em.msg, rows[i].msg);
    }
}

static void test_names_and_flags(void)
{
    struct ma_regex *re;
    long sub[8];

    CHECK(ma_regex_compile("(?P<group>.+?)_(x)(?<resource>.+?)", 34, 0, &re, NULL) == MA_OK);
    CHECK_EQ(ma_regex_ngroups(re), 3);
    CHECK_STR(ma_regex_group_name(re, 1), "group");
    CHECK_STR(ma_regex_group_name(re, 2), "");
    CHECK_STR(ma_regex_group_name(re, 3), "resource");
    CHECK(ma_regex_group_name(re, 0) == NULL && ma_regex_group_name(re, 4) == NULL);
    CHECK_EQ(ma_regex_group_index(re, "resource", 8), 3);
    CHECK_EQ(ma_regex_group_index(re, "", 0), -1);
    CHECK_EQ(ma_regex_group_index(re, "nope", 4), -1);
    ma_regex_free(re);

    /* compile flags act as a leading (?flags) */
    CHECK(ma_regex_compile("a.b", 3, MA_REGEX_DOTNL | MA_REGEX_FOLD, &re, NULL) == MA_OK);
    CHECK(ma_regex_fullmatch(re, "A\nB", 3, NULL, 0) == 1);
    ma_regex_free(re);
    CHECK(ma_regex_compile("^b$", 3, MA_REGEX_MULTI, &re, NULL) == MA_OK);
    CHECK(ma_regex_search(re, "a\nb\nc", 5, sub, 2) == 1 && sub[0] == 2 && sub[1] == 3);
    ma_regex_free(re);
    CHECK(ma_regex_compile("a+", 2, MA_REGEX_UNGREEDY, &re, NULL) == MA_OK);
    CHECK(ma_regex_search(re, "aaa", 3, sub, 2) == 1 && sub[1] == 1);
    /* slots beyond the program's groups are -1 */
    CHECK(ma_regex_search(re, "aaa", 3, sub, 6) == 1 && sub[2] == -1 && sub[5] == -1);
    ma_regex_free(re);
    /* NUL bytes are ordinary input and pattern bytes */
    CHECK(ma_regex_compile("a\0b", 3, 0, &re, NULL) == MA_OK);
    CHECK(ma_regex_fullmatch(re, "a\0b", 3, NULL, 0) == 1);
    CHECK(ma_regex_fullmatch(re, "a", 1, NULL, 0) == 0);
    ma_regex_free(re);
}

static void test_quote_meta(void)
{
    static const char all[] = "\\.+*?()|[]{}^$";
    struct ma_buf b;
    struct ma_regex *re;

    ma_buf_init_heap(&b, 1024);
    ma_regex_quote_meta("a.b-c", 5, &b);
    CHECK(b.len == 6 && memcmp(b.p, "a\\.b-c", 6) == 0);
    ma_buf_reset(&b);
    ma_regex_quote_meta(all, sizeof all - 1, &b);
    CHECK(b.len == 2 * (sizeof all - 1));
    /* the quoted text matches exactly the original */
    CHECK(ma_regex_compile(b.p, b.len, 0, &re, NULL) == MA_OK);
    CHECK(ma_regex_fullmatch(re, all, sizeof all - 1, NULL, 0) == 1);
    ma_regex_free(re);
    ma_buf_free(&b);
}

/* (a*)*b and (a|a)*b over 30,000 a's: a backtracker takes forever; the VM is linear. */
static void test_linear_time(void)
{
    static char in[30000];
    const char *pats[] = {"(a*)*b", "(a|a)*b", "(x+x+)+y", "(?:a?){30}a{30}", "(.*)(.*)(.*)z"};
    struct ma_regex *re;
    long sub[8];
    size_t i;

    memset(in, 'a', sizeof in);
    for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        CHECK(ma_regex_compile(pats[i], strlen(pats[i]), 0, &re, NULL) == MA_OK);
        if (i == 3)
            CHECK(ma_regex_fullmatch(re, in, 30, sub, 2) == 1);
        else
            CHECK(ma_regex_search(re, in, sizeof in, sub, 8) == 0);
        ma_regex_free(re);
    }
}

static void test_limits(void)
{
    struct ma_regex *re;
    struct ma_errmsg em;
    static char big[MA_REGEX_MAX_PATTERN + 2];
    int i;
    char deep[3 * MA_REGEX_MAX_DEPTH + 8];

    /* 70,000 literal runes: past the instruction limit */
    memset(big, 'a', 70000);
    CHECK(ma_regex_compile(big, 70000, 0, &re, &em) == MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "expression too large") != NULL);
    memset(big, 'a', sizeof big);
    CHECK(ma_regex_compile(big, sizeof big, 0, &re, &em) == MA_ERR_LIMIT);
    for (i = 0; i <= MA_REGEX_MAX_DEPTH; i++)
        memcpy(deep + 3 * i, "(?:", 3);
    deep[3 * i] = '\0';
    CHECK(ma_regex_compile(deep, strlen(deep), 0, &re, &em) == MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "nests too deeply") != NULL);
    /* 257 groups */
    for (i = 0; i <= MA_REGEX_MAX_GROUPS; i++)
        memcpy(big + 2 * i, "()", 2);
    CHECK(ma_regex_compile(big, 2 * (MA_REGEX_MAX_GROUPS + 1), 0, &re, &em) == MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "too many capture groups") != NULL);
}

int main(void)
{
    T_RUN(test_go_vectors);
    T_RUN(test_expand_vectors);
    T_RUN(test_errors);
    T_RUN(test_names_and_flags);
    T_RUN(test_quote_meta);
    T_RUN(test_linear_time);
    T_RUN(test_limits);
    T_END();
}
