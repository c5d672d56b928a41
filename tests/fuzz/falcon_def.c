/* Fuzz the CustomMetric / ExternalMetric decoders (backend/falcon_def.h) on arbitrary JSON, as a
 * watch event could deliver it. Invariants: no crash or over-read; on error the definition is
 * zeroed (empty name); on success every string is NUL-terminated within its array, the counter is
 * already normalised (normalising again changes nothing), endpoints lie inside the pool. */
#include "backend/falcon_def.h"
#include "json/read.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct ma_falcon_def *def, int rc)
{
    char again[MA_FALCON_MAX_COUNTER + 1];
    int i;

    if (rc != MA_OK) {
        if (def->name[0] != '\0')
            abort();
        return;
    }
    if (memchr(def->name, 0, sizeof def->name) == NULL ||
        memchr(def->namespace, 0, sizeof def->namespace) == NULL ||
        memchr(def->counter, 0, sizeof def->counter) == NULL || def->name[0] == '\0')
        abort();
    if (ma_falcon_counter_normalize(def->counter, again, sizeof again) < 0 ||
        strcmp(again, def->counter) != 0)
        abort();
    if (def->nendpoints < 0 || def->nendpoints > MA_FALCON_DEF_MAX_ENDPOINTS)
        abort();
    for (i = 0; i < def->nendpoints; i++) {
        const char *ep = ma_falcon_def_ext_endpoint(def, i);

        if (ep < def->_pool || ep >= def->_pool + sizeof def->_pool ||
            memchr(ep, 0, (size_t)(def->_pool + sizeof def->_pool - ep)) == NULL)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jsmntok_t toks[2048];
    static struct ma_falcon_def def;
    struct ma_json_doc d;
    struct ma_errmsg em;
    char *js = malloc(size ? size : 1);

    memcpy(js, data, size);
    if (ma_json_parse(&d, js, size, toks, 2048, &em) == MA_OK) {
        check(&def, ma_falcon_def_parse_custom(&d, 0, &def, &em));
        check(&def, ma_falcon_def_parse_external(&d, 0, &def, &em));
    }
    free(js);
    return 0;
}
