#include "api/fieldsel.h"

#include "base/err.h"
#include "base/str.h"

#include <string.h>

/* Next term of s (fields splitTerms: a ',' after a backslash does not split). */
static int next_term(const char *s, size_t len, size_t *pos, struct ma_str *term)
{
    size_t i = *pos;
    int slash = 0;

    if (i > len)
        return 0;
    for (; i < len; i++) {
        if (slash)
            slash = 0;
        else if (s[i] == '\\')
            slash = 1;
        else if (s[i] == ',')
            break;
    }
    *term = ma_str_make(s + *pos, i - *pos);
    *pos = i + 1;
    return 1;
}

/* fields splitTerm: the first position where "!=", "==" or "=" starts (escapes are not considered
 * here, as in Go). Returns 0 if there is no operator. */
static int split_term(struct ma_str t, struct ma_str *lhs, struct ma_str *rhs, int *neg)
{
    size_t i;

    for (i = 0; i < t.len; i++) {
        size_t oplen = 0;

        if (i + 1 < t.len && (t.p[i] == '!' || t.p[i] == '=') && t.p[i + 1] == '=')
            oplen = 2;
        else if (t.p[i] == '=')
            oplen = 1;
        if (oplen == 0)
            continue;
        *neg = t.p[i] == '!';
        *lhs = ma_str_make(t.p, i);
        *rhs = ma_str_make(t.p + i + oplen, t.len - i - oplen);
        return 1;
    }
    return 0;
}

/* fields UnescapeValue into out; the length, or -1 with Go's message in em. */
static int unescape(struct ma_str v, char *out, struct ma_errmsg *em)
{
    size_t i, n = 0;
    int slash = 0;

    for (i = 0; i < v.len; i++) {
        char c = v.p[i];

        if (slash) {
            if (c != '\\' && c != ',' && c != '=') {
                ma_errmsg_set(em, "invalid field selector: invalid escape sequence: \\%c", c);
                return -1;
            }
            out[n++] = c;
            slash = 0;
        } else if (c == '\\') {
            slash = 1;
        } else if (c == ',' || c == '=') {
            /* Go prints the rune with %v, i.e. as a number */
            ma_errmsg_set(em, "invalid field selector: unescaped character in value: %d", c);
            return -1;
        } else {
            out[n++] = c;
        }
    }
    if (slash) {
        ma_errmsg_set(em, "invalid field selector: invalid escape sequence: \\");
        return -1;
    }
    out[n] = '\0';
    return (int)n;
}

/* see api/fieldsel.h */
int ma_api_fieldsel_check(const char *sel, const char *name, char *scratch, struct ma_errmsg *em)
{
    size_t len = strlen(sel), pos = 0;
    struct ma_str t, lhs, rhs, best = {NULL, 0}, best_rhs = {NULL, 0};
    int neg, terms = 0;

    while (len > 0 && next_term(sel, len, &pos, &t)) {
        if (t.len == 0)
            continue;
        if (!split_term(t, &lhs, &rhs, &neg)) {
            ma_errmsg_set(em, "invalid selector: '%s'; can't understand '%.*s'", sel, (int)t.len,
                          t.p);
            return -1;
        }
        if (unescape(rhs, scratch, em) < 0)
            return -1;
        if (!ma_str_eq(lhs, "metadata.name") && !ma_str_eq(lhs, "metadata.namespace")) {
            ma_errmsg_set(em,
                          "\"%.*s\" is not a known field selector: only \"metadata.name\", "
                          "\"metadata.namespace\"",
                          (int)lhs.len, lhs.p);
            return -1;
        }
        terms++;
        /* RequiresExactMatch takes the first equality on metadata.name in sorted term order */
        if (!neg && ma_str_eq(lhs, "metadata.name") &&
            (best.p == NULL || ma_str_cmp(t, best) < 0)) {
            best = t;
            best_rhs = rhs;
        }
    }
    if (name == NULL || terms == 0)
        return 0;
    if (best.p == NULL || unescape(best_rhs, scratch, em) < 0 || strcmp(scratch, name) != 0) {
        ma_errmsg_set(em, "fieldSelector metadata.name doesn't match requested name");
        return -1;
    }
    return 0;
}
