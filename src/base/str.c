#include "base/str.h"

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* see base/str.h */
int ma_str_eq_nocase(struct ma_str s, const char *cstr)
{
    size_t i;

    for (i = 0; i < s.len; i++)
        if (cstr[i] == '\0' || lower((unsigned char)s.p[i]) != lower((unsigned char)cstr[i]))
            return 0;
    return cstr[i] == '\0';
}

/* see base/str.h */
int ma_str_cmp(struct ma_str a, struct ma_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;

    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* see base/str.h */
uint64_t ma_hash_fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull; /* the FNV-1a 64-bit offset basis */
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
