#ifndef MA_HTTP_URL_H
#define MA_HTTP_URL_H

#include <stddef.h>

#include "base/str.h"

/* Percent-decoding of request paths and query strings. These functions never allocate: output goes
 * to a caller buffer. */

/* Decode a path: "%XX" becomes the byte XX (case-insensitive hex), '+' stays '+'. Writes at most
 * cap bytes to out (not NUL-terminated) and returns the decoded length. MA_ERR_SYNTAX: a '%' not
 * followed by two hex digits, or a NUL byte, decoded or raw. MA_ERR_NOSPACE: out too small
 * (cap >= in.len always suffices); MA_ERR_SYNTAX wins when both apply. On error out[0..cap) holds
 * garbage. */
int ma_http_url_decode_path(struct ma_str in, char *out, size_t cap);

/* Decode a query component (key or value): as the path, plus '+' becomes a space
 * (application/x-www-form-urlencoded, what Go's url.Values.Encode produces). Same returns. */
int ma_http_url_decode_query(struct ma_str in, char *out, size_t cap);

/* Iterate over "k=v&k2=v2" pairs. *pos starts at 0 and is advanced past each pair. On return
 * MA_OK, *key and *value are raw (still encoded) slices of query; a pair without '=' has an empty
 * value, "=v" an empty key; empty pairs ("a&&b") are skipped. Returns MA_ERR_NOTFOUND when no pair
 * is left. ';' is NOT a separator (Go 1.17+). */
int ma_http_query_next(struct ma_str query, size_t *pos, struct ma_str *key, struct ma_str *value);

/* Find the first pair whose decoded key equals `key` (a C string) and decode its value into
 * out[0..cap) as ma_http_url_decode_query does. Returns the decoded length (>= 0),
 * MA_ERR_NOTFOUND when absent, MA_ERR_SYNTAX on bad %-encoding of that value, MA_ERR_NOSPACE when
 * out is too small. A pair whose key is badly encoded matches nothing (Go's url.ParseQuery drops
 * such pairs too). */
int ma_http_query_get(struct ma_str query, const char *key, char *out, size_t cap);

#endif
