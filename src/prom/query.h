#ifndef MA_PROM_QUERY_H
#define MA_PROM_QUERY_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"
#include "prom/series.h"

/* Parser of a Prometheus /api/v1/query (instant query) reply, held whole (its size is bounded by
 * the client, MA_PROM_MAX_QUERY_REPLY_DEFAULT):
 *
 *   {"status":"success","data":{"resultType":"vector","result":[
 *       {"metric":{"__name__":"x","pod":"p"},"value":[1700000000.123,"0.5"]}, ...]},
 *    "warnings":["..."]}
 *   {"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"+Inf"]}}
 *   {"status":"error","errorType":"bad_data","error":"1:5: parse error: ..."}
 *
 * Values are strings as Prometheus prints Go floats: decimal or exponent forms, "NaN", "+Inf",
 * "-Inf" (also "Inf", and any case, as Go's strconv.ParseFloat takes them). Timestamps are JSON
 * numbers of seconds with a fraction. */

enum ma_prom_result_type {
    MA_PROM_RESULT_NONE = 0,
    MA_PROM_RESULT_VECTOR,
    MA_PROM_RESULT_SCALAR,
    MA_PROM_RESULT_MATRIX,
    MA_PROM_RESULT_STRING
};

/* One sample: labels[0..nlabels) (a scalar has none) point into the parser's scratch, valid
 * only during the callback; ts in seconds since the epoch; value may be NaN or +-Inf. */
struct ma_prom_sample {
    const struct ma_prom_label *labels;
    size_t nlabels;
    double ts;
    double value;
};

/* Called once per sample in reply order. Return MA_OK to go on; any other value stops the parse,
 * which returns it (em "stopped by the caller"). */
typedef int (*ma_prom_sample_fn)(void *arg, const struct ma_prom_sample *s);

/* What the reply said besides its samples. */
struct ma_prom_query_info {
    enum ma_prom_result_type type;
    size_t samples;      /* delivered */
    size_t warnings;     /* "warnings" entries */
    char first_warning[MA_ERRMSG_SIZE];
};

/* Name of a result type ("vector", ...; "none"). */
const char *ma_prom_result_type_name(enum ma_prom_result_type t);

/* Parse a whole reply body[0..len) (the HTTP status does not matter: Prometheus sends the same
 * JSON with 400, 422 and 503). Vector and scalar results are delivered to fn(arg, ...); a matrix
 * or string result is refused (MA_ERR_UPSTREAM "query returned a matrix, not a vector or
 * scalar"), as prometheus-adapter serves only instant vectors and scalars. Every sample is
 * checked before the first is delivered, so a malformed reply delivers nothing.
 * info (MAY be NULL) is filled on MA_OK. Returns MA_OK, MA_ERR_UPSTREAM ("status":"error": em
 * "bad_data: 1:5: parse error ..."; or an unsupported result type), MA_ERR_SYNTAX (not JSON, or
 * not the reply shape: em says what), MA_ERR_LIMIT (more than MA_PROM_QUERY_MAX_TOKENS JSON
 * tokens, or a sample with more than MA_PROM_MAX_LABELS labels), or the callback's value.
 * Allocates one token array for the call and frees it before returning. */
int ma_prom_query_parse(const char *body, size_t len, ma_prom_sample_fn fn, void *arg,
                        struct ma_prom_query_info *info, struct ma_errmsg *em);

/* Parse a Prometheus sample value string s[0..n) as above. MA_OK or MA_ERR_SYNTAX. */
int ma_prom_parse_value(const char *s, size_t n, double *out);

#endif
