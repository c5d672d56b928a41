#include "base/arena.h"

#include "base/mem.h"

#include <stdint.h>
#include <string.h>

/* Blocks are chained newest first; the newest, largest block is kept across resets. */
struct ma_arena_block {
    struct ma_arena_block *next;
    size_t size, used;
    max_align_t data[];
};

#define FIRST_BLOCK 4096
#define ALIGN (sizeof(max_align_t))

/* see base/arena.h */
void ma_arena_init(struct ma_arena *a, size_t cap)
{
    a->_head = NULL;
    a->_used_total = 0;
    a->_cap = cap;
}

static struct ma_arena_block *new_block(size_t size)
{
    struct ma_arena_block *b = ma_xmalloc(sizeof *b + size);

    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

/* see base/arena.h */
void *ma_arena_alloc(struct ma_arena *a, size_t n)
{
    struct ma_arena_block *b = a->_head;
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    void *p;

    if (need < n || need > a->_cap - a->_used_total)
        return NULL;
    if (b == NULL || b->size - b->used < need) {
        size_t size = b ? b->size * 2 : FIRST_BLOCK;

        while (size < need)
            size *= 2;
        b = new_block(size);
        b->next = a->_head;
        a->_head = b;
    }
    p = (char *)b->data + b->used;
    b->used += need;
    a->_used_total += need;
    return p;
}

/* see base/arena.h */
char *ma_arena_strndup(struct ma_arena *a, const char *s, size_t n)
{
    char *p = ma_arena_alloc(a, n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* see base/arena.h */
void ma_arena_reset(struct ma_arena *a)
{
    struct ma_arena_block *keep = a->_head, *b;

    if (keep == NULL)
        return;
    /* blocks double in size, so the newest (the head) is the largest */
    for (b = keep->next; b != NULL;) {
        struct ma_arena_block *next = b->next;

        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->_used_total = 0;
}

/* see base/arena.h */
void ma_arena_free(struct ma_arena *a)
{
    ma_arena_reset(a);
    free(a->_head);
    a->_head = NULL;
}
