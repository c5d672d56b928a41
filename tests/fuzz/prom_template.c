/* Fuzz the prometheus-adapter template compiler and executor (backend/prom_template.h). Input:
 * a kind byte, then the template. Invariants: compile yields a program or an "offset N: " error;
 * execution is deterministic, writes nothing on failure, never past the buffer; a template with
 * no "<<" renders to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/prom_template.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static const struct ma_prom_kv kv[] = {{"namespace", "default"}, {"pod", "a|b"}};
static const char *const gbs[] = {"pod", "container"};
static const struct ma_prom_tmpl_data data = {
    "http_requests_total", "namespace=\"default\",pod=~\"a|b\"", "pod,container", kv, 2, gbs, 2,
    "apps", "deployment"};

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t size)
{
    struct ma_prom_tmpl *t;
    struct ma_errmsg em;
    struct ma_buf a, b;
    const char *src = (const char *)d + 1;
    size_t n = size ? size - 1 : 0;
    int kind, r1, r2;

    if (size < 1)
        return 0;
    kind = d[0] & 1 ? MA_PROM_TMPL_RESOURCE : MA_PROM_TMPL_QUERY;
    memset(&em, 0, sizeof em);
    if (ma_prom_tmpl_compile(src, n, kind, &t, &em) != MA_OK) {
        check(t == NULL && strncmp(em.msg, "offset ", 7) == 0);
        return 0;
    }
    ma_buf_init_heap(&a, 1 << 16);
    ma_buf_init_heap(&b, 1 << 16);
    ma_buf_appends(&b, "xy");
    r1 = ma_prom_tmpl_exec(t, &data, &a, &em);
    r2 = ma_prom_tmpl_exec(t, &data, &b, &em);
    check(r1 == r2 && r1 <= 0);
    if (r1 == MA_OK) {
        check(b.len == a.len + 2 && (a.len == 0 || memcmp(a.p, b.p + 2, a.len) == 0));
        if (memmem(src, n, "<<", 2) == NULL)
            check(a.len == n && (n == 0 || memcmp(a.p, src, n) == 0));
    } else {
        check(a.len == 0 && b.len == 2);
    }
    check(a.len <= 1 << 16);
    ma_buf_free(&a);
    ma_buf_free(&b);
    ma_prom_tmpl_free(t);
    return 0;
}
