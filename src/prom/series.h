#ifndef MA_PROM_SERIES_H
#define MA_PROM_SERIES_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/str.h"
#include "json/read.h"

/* Streaming reader of a Prometheus /api/v1/series reply:
 *
 *   {"status":"success","data":[{"__name__":"up","job":"x"},...],"warnings":["..."]}
 *   {"status":"error","errorType":"bad_data","error":"parse error at char 5: ..."}
 *
 * fed bytes as they arrive (an HTTP body already de-chunked). The reply is never held whole: one
 * top-level member or one element of "data" at a time is copied into a buffer of
 * MA_PROM_MAX_SERIES_ELEMENT bytes, validated as strict JSON (json/read.h) and, for a series,
 * handed to the callback with its labels unescaped. Memory is the fixed size of the ctx. */

/* One label of a series or sample. Both slices point into a ctx-owned scratch buffer, valid only
 * during the callback; unescaped (\uXXXX, surrogate pairs -> UTF-8), NOT NUL-terminated. */
struct ma_prom_label {
    struct ma_str name, value;
};

/* Called once per series, in reply order, with labels[0..n) in the element's order (n MAY be 0:
 * "{}"). Return MA_OK to go on; any other value stops the reader, which then returns that value
 * from _feed and _finish (a sticky error with em "stopped by the caller"). */
typedef int (*ma_prom_series_fn)(void *arg, const struct ma_prom_label *labels, size_t n);

struct ma_prom_series_ctx {
    /* private */
    ma_prom_series_fn _fn;
    void *_arg;
    int _state, _err;
    int _member;          /* which top-level member is being read */
    int _have_status, _success, _have_data;
    size_t _nseries, _nwarnings;
    size_t _len;          /* bytes in _buf */
    int _depth, _in_str, _esc, _started, _scalar;
    struct ma_errmsg _em;
    char _error_type[64];
    char _error[MA_ERRMSG_SIZE];
    char _warning[MA_ERRMSG_SIZE];
    char _buf[MA_PROM_MAX_SERIES_ELEMENT];
    char _scratch[MA_PROM_MAX_SERIES_ELEMENT + 8];
    jsmntok_t _tok[2 * MA_PROM_MAX_LABELS + 1];
    struct ma_prom_label _labels[MA_PROM_MAX_LABELS];
};

/* Prepare ctx (any memory, ~70 KiB: allocate it, do not put it on a small stack) to read one
 * reply; fn(arg, ...) gets the series. Never fails, never allocates. Call again to reuse ctx. */
void ma_prom_series_init(struct ma_prom_series_ctx *ctx, ma_prom_series_fn fn, void *arg);

/* Feed the next n bytes of the body (any split, down to one byte). Returns MA_OK (go on) or a
 * sticky negative error, then also kept by _finish: MA_ERR_SYNTAX (not the reply shape: not JSON,
 * "data" not an array of objects of strings, a duplicate label, bytes after the reply),
 * MA_ERR_LIMIT (an element or member larger than MA_PROM_MAX_SERIES_ELEMENT bytes, or more than
 * MA_PROM_MAX_LABELS labels), or the callback's own value. Series are delivered during _feed. */
int ma_prom_series_feed(struct ma_prom_series_ctx *ctx, const char *p, size_t n);

/* The body ended. MA_OK: a complete reply with "status":"success" (the series were all
 * delivered). MA_ERR_PARTIAL: the body stopped before the reply's end. MA_ERR_UPSTREAM:
 * "status":"error" (em: "bad_data: parse error ..."), or a status other than success/error, or
 * no status. Else the sticky error of _feed. em (MAY be NULL) gets a message for every error. */
int ma_prom_series_finish(struct ma_prom_series_ctx *ctx, struct ma_errmsg *em);

/* After _finish: series delivered, warnings seen, and the first warning (or ""). */
size_t ma_prom_series_count(const struct ma_prom_series_ctx *ctx);
size_t ma_prom_series_warnings(const struct ma_prom_series_ctx *ctx, const char **first);

#endif
