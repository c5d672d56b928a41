#ifndef MA_BASE_BASE64_H
#define MA_BASE_BASE64_H

#include <stddef.h>

/* Bytes that decoding n characters can yield at most (4 characters -> 3 bytes). */
#define MA_BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 2)

/* Decode standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /) from in[0..n) into
 * out[0..cap). Space, tab, CR and LF are skipped anywhere (wrapped PEM bodies, YAML folding).
 * Padding is optional, but when present it MUST be right: one '=' after 3 characters of the last
 * quantum, two after 2, nothing after it. Unused low bits of the last character are ignored, as
 * Go's base64.StdEncoding (what kubectl uses for *-data fields) does.
 * Returns the decoded length; MA_ERR_SYNTAX for a character outside the alphabet, misplaced
 * padding or a lone last character; MA_ERR_NOSPACE when cap is too small
 * (MA_BASE64_DECODED_MAX(n) always suffices). out MAY be written on error. */
int ma_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap);

/* Characters encoding n bytes takes, padding included, without a NUL. */
#define MA_BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Encode in[0..n) as standard padded base64 on one line (no wrapping: what Kubernetes expects in
 * a caBundle or a Secret's data) into out[0..cap), NUL-terminated. Returns the length without the
 * NUL; MA_ERR_NOSPACE (out untouched) when cap < MA_BASE64_ENCODED_LEN(n) + 1 or the length
 * exceeds INT_MAX. */
int ma_base64_encode(const void *in, size_t n, char *out, size_t cap);

#endif
