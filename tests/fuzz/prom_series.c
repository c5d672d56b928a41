/* Fuzz ma_prom_series_feed/_finish: whatever the split, the outcome, the error text and the
 * series delivered are the same as feeding the whole input at once; every label slice lies in
 * the ctx's scratch; a success has a status and data; no series carries a repeated name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "prom/series.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct acc {
    const struct ma_prom_series_ctx *ctx;
    uint64_t hash;
    size_t n;
};

static int on_series(void *arg, const struct ma_prom_label *l, size_t n)
{
    struct acc *a = arg;
    const char *lo = (const char *)a->ctx, *hi = lo + sizeof *a->ctx;
    size_t i, j;

    REQUIRE(n <= MA_PROM_MAX_LABELS);
    for (i = 0; i < n; i++) {
        REQUIRE(l[i].name.p >= lo && l[i].name.p + l[i].name.len <= hi);
        REQUIRE(l[i].value.p >= lo && l[i].value.p + l[i].value.len <= hi);
        for (j = 0; j < i; j++)
            REQUIRE(ma_str_cmp(l[i].name, l[j].name) != 0);
        a->hash = a->hash * 31 + ma_hash_fnv1a(l[i].name.p, l[i].name.len);
        a->hash = a->hash * 31 + ma_hash_fnv1a(l[i].value.p, l[i].value.len);
    }
    a->hash = a->hash * 131 + n;
    a->n++;
    return MA_OK;
}

static int run(struct ma_prom_series_ctx *c, const uint8_t *d, size_t size, size_t step,
               struct acc *a, struct ma_errmsg *em)
{
    size_t i;
    int rc = MA_OK;

    memset(a, 0, sizeof *a);
    em->msg[0] = '\0';
    a->ctx = c;
    ma_prom_series_init(c, on_series, a);
    for (i = 0; i < size && rc == MA_OK; i += step)
        rc = ma_prom_series_feed(c, (const char *)d + i, size - i < step ? size - i : step);
    return ma_prom_series_finish(c, em);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ma_prom_series_ctx c1, c2;
    struct acc a1, a2;
    struct ma_errmsg e1, e2;
    size_t step = size ? (size_t)data[0] % 13 + 1 : 1;
    int r1 = run(&c1, data, size, size ? size : 1, &a1, &e1);
    int r2 = run(&c2, data, size, step, &a2, &e2);

    REQUIRE(r1 == r2 && a1.n == a2.n && a1.hash == a2.hash && !strcmp(e1.msg, e2.msg));
    REQUIRE(r1 == MA_OK || r1 == MA_ERR_PARTIAL || r1 == MA_ERR_SYNTAX || r1 == MA_ERR_LIMIT ||
            r1 == MA_ERR_UPSTREAM);
    REQUIRE(ma_prom_series_count(&c1) == a1.n);
    if (r1 != MA_OK)
        REQUIRE(e1.msg[0] != '\0');
    return 0;
}
