#ifndef MA_JSON_WRITE_H
#define MA_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

struct ma_buf;

/* Streaming JSON writer onto a struct ma_buf. Commas and (in pretty mode) indentation are managed
 * by the writer; errors are sticky: individual calls return nothing and ma_json_w_end reports
 * once (BearSSL engine discipline). Output matches Go's encoding/json (Go >= 1.22): strings escape
 * '"', '\\', control bytes (\b \f \n \r \t as such, others \u00XX with lower-case hex), and also
 * '<', '>', '&' as \u003c \u003e \u0026 and U+2028/U+2029 as \u2028/\u2029, like Go's HTML-safe
 * default; each byte that does not start a valid UTF-8 sequence (utf8.DecodeRune rules: no
 * overlongs, surrogates or code points above U+10FFFF) becomes \ufffd. Compact mode has no
 * whitespace; pretty mode is Go's json.MarshalIndent with prefix "" and two spaces (what
 * kube-apiserver sends for ?pretty=true): empty containers stay "{}" / "[]". No trailing newline in
 * either mode. */
struct ma_json_w {
    struct ma_buf *out;
    int pretty;
    /* private */
    int _err;
    int _depth;                              /* open containers */
    unsigned char _count[MA_JSON_MAX_DEPTH]; /* per open container: kind and "has values" bits */
    unsigned char _after_key;                /* a key was written, its value is due */
    unsigned char _top;                      /* the top-level value was written */
};

void ma_json_w_init(struct ma_json_w *w, struct ma_buf *out, int pretty);
void ma_json_w_obj_begin(struct ma_json_w *w);
void ma_json_w_obj_end(struct ma_json_w *w);
void ma_json_w_arr_begin(struct ma_json_w *w);
void ma_json_w_arr_end(struct ma_json_w *w);
/* Object member name; MUST be followed by exactly one value (scalar, object or array). */
void ma_json_w_key(struct ma_json_w *w, const char *key);
/* s MAY be NULL: writes null. */
void ma_json_w_str(struct ma_json_w *w, const char *s);
void ma_json_w_strn(struct ma_json_w *w, const char *s, size_t n);
void ma_json_w_int(struct ma_json_w *w, int64_t v);
void ma_json_w_bool(struct ma_json_w *w, int v);
void ma_json_w_null(struct ma_json_w *w);
/* Append pre-encoded JSON (a complete value) verbatim, with the usual separator handling. It is
 * not validated, nor re-indented in pretty mode. */
void ma_json_w_raw(struct ma_json_w *w, const char *json, size_t n);
/* MA_OK when the document is complete (depth back to 0) and no error occurred; otherwise the
 * first error: MA_ERR_NOSPACE (buffer full), MA_ERR_LIMIT (nesting deeper than
 * MA_JSON_MAX_DEPTH), MA_ERR_SYNTAX (misuse: unbalanced, value without key in object, ...). */
int ma_json_w_end(struct ma_json_w *w);

#endif
