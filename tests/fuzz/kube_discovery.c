/* Fuzz the discovery readers (kube/discovery.h) with documents as kube-apiserver, an aggregated
 * API server or a hostile proxy could send them for GET /api/v1, /apis/<g>, /apis/<g>/<v>.
 * The first byte picks the reader and the group asked for; the rest is the document.
 * Invariants: results are NUL-terminated within their bounds, names are non-empty, lowercase and
 * free of '/', group and version are the ones asked for, plurals are distinct, the count never
 * exceeds the room given, and reading the same document twice gives the same answer. */
#include "base/limits.h"
#include "json/read.h"
#include "kube/discovery.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ROOM 16

static jsmntok_t toks[1 << 14];
static struct ma_kube_resource a[ROOM], b[ROOM];

static void check_word(const char *s, size_t cap, int upper_ok)
{
    size_t n = strnlen(s, cap);

    if (n == 0 || n == cap)
        abort();
    for (; *s; s++)
        if (*s == '/' || (!upper_ok && *s >= 'A' && *s <= 'Z'))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const groups[] = {"", "apps", "metrics.k8s.io", "x"};
    struct ma_json_doc d;
    struct ma_errmsg em;
    const char *group;
    char v1[MA_KUBE_RESMAP_MAX_WORD + 1], v2[sizeof v1];
    int n, m, i, j;

    if (size < 1)
        return 0;
    group = groups[(data[0] >> 1) & 3];
    if (ma_json_parse(&d, (const char *)data + 1, size - 1, toks, sizeof toks / sizeof toks[0],
                      &em) != MA_OK)
        return 0;
    if (data[0] & 1) {
        n = ma_kube_discovery_parse_group(&d, group, v1, sizeof v1, &em);
        m = ma_kube_discovery_parse_group(&d, group, v2, sizeof v2, &em);
        if (n != m || (n == MA_OK && strcmp(v1, v2) != 0))
            abort();
        if (n == MA_OK)
            check_word(v1, sizeof v1, 0);
        return 0;
    }
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    n = ma_kube_discovery_parse_resources(&d, group, "v1", a, ROOM, &em);
    m = ma_kube_discovery_parse_resources(&d, group, "v1", b, ROOM, &em);
    if (n != m || n > ROOM)
        abort();
    if (n < 0)
        return 0;
    if (memcmp(a, b, sizeof a) != 0)
        abort();
    for (i = 0; i < n; i++) {
        check_word(a[i].plural, sizeof a[i].plural, 0);
        check_word(a[i].singular, sizeof a[i].singular, 0);
        check_word(a[i].kind, sizeof a[i].kind, 1);
        if (strcmp(a[i].group, group) != 0 || strcmp(a[i].version, "v1") != 0)
            abort();
        if (a[i].namespaced != 0 && a[i].namespaced != 1)
            abort();
        for (j = 0; j < i; j++)
            if (strcmp(a[i].plural, a[j].plural) == 0)
                abort();
    }
    return 0;
}
