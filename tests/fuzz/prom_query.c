/* Fuzz ma_prom_query_parse: a result is OK with info matching the callbacks, or an error with a
 * message and no sample delivered; label slices are bounded; vector samples carry at most
 * MA_PROM_MAX_LABELS labels and a scalar none. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom/query.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int on_sample(void *arg, const struct ma_prom_sample *s)
{
    size_t *n = arg, i;

    REQUIRE(s->nlabels <= MA_PROM_MAX_LABELS);
    for (i = 0; i < s->nlabels; i++)
        REQUIRE(s->labels[i].name.len + s->labels[i].value.len <= MA_PROM_MAX_SERIES_ELEMENT);
    (*n)++;
    return MA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_prom_query_info info;
    struct ma_errmsg em;
    size_t n = 0;
    int rc;

    em.msg[0] = '\0';
    rc = ma_prom_query_parse((const char *)data, size, on_sample, &n, &info, &em);
    if (rc == MA_OK) {
        REQUIRE(info.samples == n);
        REQUIRE(info.type == MA_PROM_RESULT_VECTOR ||
                (info.type == MA_PROM_RESULT_SCALAR && n == 1));
    } else {
        REQUIRE(rc == MA_ERR_SYNTAX || rc == MA_ERR_UPSTREAM || rc == MA_ERR_LIMIT);
        REQUIRE(n == 0 && em.msg[0] != '\0');
    }
    return 0;
}
