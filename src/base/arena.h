#ifndef MA_BASE_ARENA_H
#define MA_BASE_ARENA_H

#include <stddef.h>

/* Per-request bump allocator with a hard cap (h2o's pool). Everything a request decodes or a
 * provider returns lives here and dies together at ma_arena_reset. Allocation past the cap fails
 * (NULL), which callers turn into MA_ERR_NOSPACE and a 500/503 Status, never an abort. */
struct ma_arena {
    /* private */
    struct ma_arena_block *_head;
    size_t _used_total, _cap;
};

/* Empty arena that will hold at most cap bytes in total. Allocates nothing. */
void ma_arena_init(struct ma_arena *a, size_t cap);
/* n bytes aligned for any scalar, or NULL when the cap would be exceeded. */
void *ma_arena_alloc(struct ma_arena *a, size_t n);
/* NUL-terminated copy of s[0..n), or NULL when full. */
char *ma_arena_strndup(struct ma_arena *a, const char *s, size_t n);
/* Free every allocation but keep the largest block for reuse, so a connection answering the
 * same kind of request again needs no malloc at all (ma_arena_free releases it when idle). */
void ma_arena_reset(struct ma_arena *a);
/* Release all memory. */
void ma_arena_free(struct ma_arena *a);

#endif
