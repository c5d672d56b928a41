#ifndef MA_BASE_STR_H
#define MA_BASE_STR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed byte slice: never owns its bytes, never NUL-terminated by contract. */
struct ma_str {
    const char *p;
    size_t len;
};

#define MA_STR_LIT(s) ((struct ma_str){(s), sizeof(s) - 1})

static inline struct ma_str ma_str_make(const char *p, size_t len)
{
    struct ma_str s = {p, len};
    return s;
}

static inline struct ma_str ma_str_c(const char *cstr)
{
    return ma_str_make(cstr, strlen(cstr));
}

/* Exact byte equality with a C string. */
static inline int ma_str_eq(struct ma_str s, const char *cstr)
{
    size_t n = strlen(cstr);
    return s.len == n && memcmp(s.p, cstr, n) == 0;
}

/* ASCII case-insensitive equality with a C string (HTTP header names, tokens). */
int ma_str_eq_nocase(struct ma_str s, const char *cstr);
/* Byte-wise comparison like strcmp: <0, 0, >0. */
int ma_str_cmp(struct ma_str a, struct ma_str b);

/* FNV-1a (64-bit) of p[0..n): for hash tables whose keys come from us or kube-apiserver, not
 * from clients choosing collisions. */
uint64_t ma_hash_fnv1a(const void *p, size_t n);

#endif
