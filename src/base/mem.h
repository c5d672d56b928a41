#ifndef MA_BASE_MEM_H
#define MA_BASE_MEM_H

#include <stddef.h>
#include <stdlib.h>

/* Heap allocation that never returns NULL: exhaustion is logged and aborts here, in one place
 * (Redis zmalloc.c). Bounded structures (arenas, buffers, caches) are how we avoid reaching it. */
void *ma_xmalloc(size_t n);
void *ma_xcalloc(size_t n, size_t size);
void *ma_xrealloc(void *p, size_t n);
char *ma_xstrdup(const char *s);
char *ma_xstrndup(const char *s, size_t n);

#endif
