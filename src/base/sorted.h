#ifndef MA_BASE_SORTED_H
#define MA_BASE_SORTED_H

#include <stddef.h>

/* Binary search in base[0..n), n elements of `size` bytes sorted by cmp, where cmp(key, elem)
 * compares key with the element at elem (like bsearch(3)'s comparator: < 0 when key sorts first).
 * Returns the index of an equal element (*found = 1) or the index where key would be inserted to
 * keep the order (*found = 0). The last element is compared first: the stores using this are
 * filled by LISTs that arrive in key order, which makes appending the common case. */
size_t ma_sorted_find(const void *base, size_t n, size_t size, const void *key,
                      int (*cmp)(const void *key, const void *elem), int *found);

#endif
