/* Fuzz ma_yaml_to_json: input = YAML bytes. Invariants: a failure leaves the output empty and a
 * "line L column C: " message (or the NOSPACE one); a success yields one valid JSON value
 * (json/read.h over jsmn, strict), and that JSON, read again as YAML (JSON is flow YAML), gives
 * back exactly the same text: the reader and its JSON writer agree on every scalar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "json/read.h"
#include "yaml/yaml.h"

#define OUT_MAX (1 << 20)

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_failure(int r, const struct ma_buf *out, const struct ma_errmsg *em)
{
    check(r == MA_ERR_SYNTAX || r == MA_ERR_LIMIT || r == MA_ERR_NOSPACE);
    check(out->len == 0);
    check(memchr(em->msg, '\0', sizeof em->msg) != NULL);
    if (r != MA_ERR_NOSPACE)
        check(strncmp(em->msg, "line ", 5) == 0 && strstr(em->msg, " column ") != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_buf out, again;
    struct ma_errmsg em;
    struct ma_json_doc doc;
    jsmntok_t *toks;
    int r;

    ma_buf_init_heap(&out, OUT_MAX);
    memset(&em, 0, sizeof em);
    r = ma_yaml_to_json((const char *)data, size, &out, &em);
    if (r != MA_OK) {
        check_failure(r, &out, &em);
        ma_buf_free(&out);
        return 0;
    }
    check(out.len > 0);
    /* every JSON token takes at least one byte */
    toks = malloc((out.len + 1) * sizeof *toks);
    check(toks != NULL);
    r = ma_json_parse(&doc, out.p, out.len, toks, (int)out.len + 1, &em);
    check(r == MA_OK);
    free(toks);

    ma_buf_init_heap(&again, OUT_MAX);
    r = ma_yaml_to_json(out.p, out.len, &again, &em);
    check(r == MA_OK && again.len == out.len && memcmp(again.p, out.p, out.len) == 0);
    ma_buf_free(&again);
    ma_buf_free(&out);
    return 0;
}
