#include "base/flag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"

/* see base/flag.h */
int ma_flag_parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1000},
                 {"m", 60000}, {"h", 3600000}};
    double total = 0;
    const char *p = s;
    char *end;
    size_t i;

    if (*p == '\0')
        return MA_ERR_SYNTAX;
    errno = 0;
    total = strtod(p, &end);
    if (*end == '\0' && end != p) { /* bare number: seconds */
        if (errno || total < 0 || total > 1e12)
            return MA_ERR_SYNTAX;
        *ms = (int64_t)(total * 1000);
        return MA_OK;
    }
    total = 0;
    if (strcmp(p, "0") == 0) {
        *ms = 0;
        return MA_OK;
    }
    while (*p) {
        double v;

        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return MA_ERR_SYNTAX;
        v = strtod(p, &end);
        if (end == p || v < 0)
            return MA_ERR_SYNTAX;
        p = end;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ul = strlen(units[i].unit);

            /* "ms" must win over "m": check the longer units first in table order */
            if (strncmp(p, units[i].unit, ul) == 0 &&
                !(ul == 1 && units[i].unit[0] == 'm' && p[1] == 's')) {
                total += v * units[i].ms;
                p += ul;
                break;
            }
        }
        if (i == sizeof units / sizeof units[0] || total > 1e12)
            return MA_ERR_SYNTAX;
    }
    *ms = (int64_t)total;
    return MA_OK;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "TRUE") ||
        !strcmp(v, "True"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "FALSE") ||
             !strcmp(v, "False"))
        *out = 0;
    else
        return MA_ERR_SYNTAX;
    return MA_OK;
}

static int set_value(const struct ma_flag *f, const char *v, struct ma_errmsg *em)
{
    long long n;
    int64_t d;
    char *end;

    switch (f->type) {
    case MA_FLAG_BOOL:
        if (parse_bool(v, f->target) != MA_OK)
            goto bad;
        return MA_OK;
    case MA_FLAG_INT:
        errno = 0;
        n = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno)
            goto bad;
        if ((f->min || f->max) && (n < f->min || n > f->max)) {
            ma_errmsg_set(em, "invalid value \"%s\" for --%s: must be between %lld and %lld", v,
                          f->name, f->min, f->max);
            return MA_ERR_SYNTAX;
        }
        *(long long *)f->target = n;
        return MA_OK;
    case MA_FLAG_DURATION:
        if (ma_flag_parse_duration(v, &d) != MA_OK)
            goto bad;
        if ((f->min || f->max) && (d < f->min || d > f->max)) {
            ma_errmsg_set(em, "invalid value \"%s\" for --%s: must be between %lldms and %lldms",
                          v, f->name, f->min, f->max);
            return MA_ERR_SYNTAX;
        }
        *(int64_t *)f->target = d;
        return MA_OK;
    case MA_FLAG_STRING:
        *(const char **)f->target = v;
        return MA_OK;
    case MA_FLAG_LIST: {
        struct ma_flag_list *l = f->target;

        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 4;
            l->items = ma_xrealloc(l->items, l->cap * sizeof *l->items);
        }
        l->items[l->n++] = v;
        return MA_OK;
    }
    }
bad:
    ma_errmsg_set(em, "invalid value \"%s\" for --%s", v, f->name);
    return MA_ERR_SYNTAX;
}

static const struct ma_flag *find(const struct ma_flag *flags, size_t n, const char *name,
                                  size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strlen(flags[i].name) == len && memcmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* see base/flag.h */
int ma_flag_parse(const struct ma_flag *flags, size_t n, int argc, char **argv,
                  struct ma_errmsg *em)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *name, *eq;
        const struct ma_flag *f;
        size_t len;

        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "-help"))
            return MA_ERR_NOTFOUND;
        if (a[0] != '-' || a[1] == '\0' || !strcmp(a, "--")) {
            ma_errmsg_set(em, "unexpected argument \"%s\"", a);
            return MA_ERR_SYNTAX;
        }
        name = a + (a[1] == '-' ? 2 : 1);
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        f = find(flags, n, name, len);
        if (f == NULL) {
            ma_errmsg_set(em, "unknown flag: --%.*s", (int)len, name);
            return MA_ERR_SYNTAX;
        }
        if (eq != NULL) {
            if (set_value(f, eq + 1, em) != MA_OK)
                return MA_ERR_SYNTAX;
        } else if (f->type == MA_FLAG_BOOL) {
            *(int *)f->target = 1;
        } else if (i + 1 < argc) {
            if (set_value(f, argv[++i], em) != MA_OK)
                return MA_ERR_SYNTAX;
        } else {
            ma_errmsg_set(em, "flag needs an argument: --%s", f->name);
            return MA_ERR_SYNTAX;
        }
    }
    return MA_OK;
}

static void print_default(struct ma_buf *b, const struct ma_flag *f)
{
    switch (f->type) {
    case MA_FLAG_BOOL:
        if (*(int *)f->target)
            ma_buf_appends(b, " (default true)");
        break;
    case MA_FLAG_INT:
        ma_buf_appendf(b, " (default %lld)", *(long long *)f->target);
        break;
    case MA_FLAG_DURATION: {
        int64_t ms = *(int64_t *)f->target;

        if (ms % 1000 == 0)
            ma_buf_appendf(b, " (default %llds)", (long long)(ms / 1000));
        else
            ma_buf_appendf(b, " (default %lldms)", (long long)ms);
        break;
    }
    case MA_FLAG_STRING:
        if (*(const char **)f->target && **(const char **)f->target)
            ma_buf_appendf(b, " (default \"%s\")", *(const char **)f->target);
        break;
    case MA_FLAG_LIST:
        break;
    }
}

/* see base/flag.h */
void ma_flag_usage(int fd, const char *intro, const struct ma_flag *flags, size_t n)
{
    struct ma_buf b;
    size_t i;

    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appends(&b, intro);
    for (i = 0; i < n; i++) {
        const char *arg = flags[i].type == MA_FLAG_BOOL       ? ""
                          : flags[i].type == MA_FLAG_DURATION ? " duration"
                          : flags[i].type == MA_FLAG_INT      ? " int"
                                                              : " string";

        ma_buf_appendf(&b, "  --%s%s\n        %s", flags[i].name, arg, flags[i].help);
        print_default(&b, &flags[i]);
        ma_buf_appendc(&b, '\n');
    }
    (void)!write(fd, b.p, b.len);
    ma_buf_free(&b);
}
