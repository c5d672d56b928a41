#include "base/mem.h"

#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
    static const char msg[] = "F metrics-adapter: out of memory, aborting\n";

    (void)n;
    /* no formatting: the heap is what just failed */
    (void)!write(2, msg, sizeof msg - 1);
    abort();
}

/* see base/mem.h */
void *ma_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom(n);
    return p;
}

/* see base/mem.h */
void *ma_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        oom(n * size);
    return p;
}

/* see base/mem.h */
void *ma_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        oom(n);
    return q;
}

/* see base/mem.h */
char *ma_xstrndup(const char *s, size_t n)
{
    char *p = ma_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* see base/mem.h */
char *ma_xstrdup(const char *s)
{
    return ma_xstrndup(s, strlen(s));
}
