#include "base/sorted.h"

/* see base/sorted.h */
size_t ma_sorted_find(const void *base, size_t n, size_t size, const void *key,
                      int (*cmp)(const void *key, const void *elem), int *found)
{
    const char *b = base;
    size_t lo = 0, hi = n;

    *found = 0;
    if (n > 0 && cmp(key, b + (n - 1) * size) > 0)
        return n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp(key, b + mid * size);

        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
