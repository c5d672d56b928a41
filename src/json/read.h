#ifndef MA_JSON_READ_H
#define MA_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

#define JSMN_HEADER
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include "jsmn.h"

#include "base/err.h"

/* Typed, allocation-free reading of a JSON document tokenized by jsmn (the one jsmn unit is
 * json/jsmn.c). A token is named by its index in the caller's token array; -1 means "absent".
 * The JSON text and the token array are caller-owned and MUST outlive the document. */
struct ma_json_doc {
    const char *js;
    size_t len;
    jsmntok_t *tok;
    int ntok;
};

/* Tokenize js[0..len) (one complete value, surrounding whitespace allowed) into toks[0..max).
 * Returns MA_OK (root is token 0), MA_ERR_LIMIT (more than max tokens: the caller chose the
 * bound; also len > INT_MAX), MA_ERR_SYNTAX (invalid or incomplete JSON, trailing garbage), with
 * detail in em. The text is checked against RFC 8259, stricter than jsmn alone: no trailing or
 * missing commas, no raw control characters or NUL bytes, only true/false/null and well-formed
 * numbers. On failure d->ntok is 0. The functions below assume d came from a successful call. */
int ma_json_parse(struct ma_json_doc *d, const char *js, size_t len, jsmntok_t *toks, int max,
                  struct ma_errmsg *em);

/* Index of the token after the whole subtree of tok (its next sibling, or d->ntok). */
int ma_json_skip(const struct ma_json_doc *d, int tok);
/* Value token of member `key` of object tok, or -1 when tok is not an object or has no such
 * member. Keys are compared after unescaping; a repeated key yields its LAST value, as Go's
 * encoding/json decodes it (so every reader of an object agrees with kube-apiserver's clients). */
int ma_json_get(const struct ma_json_doc *d, int obj, const char *key);
/* Follow a dotted path of member names from obj ("metadata.labels"); -1 if any step is absent. */
int ma_json_path(const struct ma_json_doc *d, int obj, const char *dotted);
/* Iterate an object's members or an array's elements: *it starts at 0; returns the next element
 * (array) or member value (object, with *key set to the key token) token, or -1 at the end (also
 * when container is not an object or array). key MAY be NULL; for arrays *key is -1. */
int ma_json_next(const struct ma_json_doc *d, int container, int *it, int *key);

int ma_json_is_null(const struct ma_json_doc *d, int tok); /* 1 for absent (-1) or null */
/* 1 if tok is a string equal to s after unescaping, else 0. */
int ma_json_str_eq(const struct ma_json_doc *d, int tok, const char *s);
/* Unescape string tok (\uXXXX and surrogate pairs become UTF-8) into out[0..cap), NUL-terminated.
 * As Go's encoding/json does, an unpaired surrogate escape and each byte of ill-formed UTF-8
 * become U+FFFD (EF BF BD); \u0000 yields a NUL inside the result (the length tells).
 * Returns the length, MA_ERR_SYNTAX (not a string, bad escape), MA_ERR_NOSPACE (cap too small:
 * out then holds a truncated, NUL-terminated prefix when cap > 0). */
int ma_json_str(const struct ma_json_doc *d, int tok, char *out, size_t cap);
/* Unescaped length of string tok (what ma_json_str needs minus the NUL), or negative. */
int ma_json_str_len(const struct ma_json_doc *d, int tok);
/* Numbers: any JSON number form; MA_ERR_SYNTAX when tok is not a number or out of range
 * (i64 also refuses fractions, but takes integral values in any form, exactly: 1e3, 2.50e1,
 * -0). f64: overflow (1e400) is MA_ERR_SYNTAX, underflow gives 0 or a subnormal as in Go;
 * MA_ERR_LIMIT for a number longer than MA_JSON_MAX_NUMBER bytes. Booleans: true/false only. */
int ma_json_i64(const struct ma_json_doc *d, int tok, int64_t *out);
int ma_json_f64(const struct ma_json_doc *d, int tok, double *out);
int ma_json_bool(const struct ma_json_doc *d, int tok, int *out);

#endif
