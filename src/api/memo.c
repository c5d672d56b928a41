#include "api/memo.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static void drop(struct ma_api_memo *m, struct ma_api_memo_entry *e)
{
    m->bytes -= e->key_len + e->body_len;
    free(e->key);
    free(e->body);
    memset(e, 0, sizeof *e);
}

static struct ma_api_memo_entry *find(struct ma_api_memo *m, const char *key, size_t key_len,
                                      int variant)
{
    size_t i;

    for (i = 0; i < MA_API_MEMO_ENTRIES; i++) {
        struct ma_api_memo_entry *e = &m->e[i];

        if (e->key != NULL && e->variant == variant && e->key_len == key_len &&
            memcmp(e->key, key, key_len) == 0)
            return e;
    }
    return NULL;
}

/* see api/memo.h */
const struct ma_api_memo_entry *ma_api_memo_get(struct ma_api_memo *m, const char *key,
                                                size_t key_len, int variant, uint64_t gen,
                                                int64_t now_ms)
{
    struct ma_api_memo_entry *e = find(m, key, key_len, variant);

    if (e == NULL)
        return NULL;
    if (e->gen != gen || now_ms >= e->until_ms) {
        drop(m, e);
        return NULL;
    }
    e->used_ms = now_ms;
    m->hits++;
    return e;
}

/* A free slot, after evicting the least recently used entries until `need` more bytes fit. */
static struct ma_api_memo_entry *make_room(struct ma_api_memo *m, size_t need)
{
    for (;;) {
        struct ma_api_memo_entry *free_slot = NULL, *lru = NULL;
        size_t i;

        for (i = 0; i < MA_API_MEMO_ENTRIES; i++) {
            struct ma_api_memo_entry *e = &m->e[i];

            if (e->key == NULL)
                free_slot = free_slot ? free_slot : e;
            else if (lru == NULL || e->used_ms < lru->used_ms)
                lru = e;
        }
        if (free_slot != NULL && m->bytes + need <= MA_API_MEMO_MAX_BYTES)
            return free_slot;
        if (lru == NULL)
            return free_slot; /* empty memo: need fits, since it is at most one body and key */
        drop(m, lru);
    }
}

/* see api/memo.h */
void ma_api_memo_put(struct ma_api_memo *m, const char *key, size_t key_len, int variant,
                     uint64_t gen, int64_t until_ms, const char *body, size_t body_len,
                     int64_t now_ms)
{
    struct ma_api_memo_entry *e;

    if (until_ms <= now_ms || body_len > MA_API_MEMO_MAX_BODY || key_len > MA_API_MEMO_MAX_BODY)
        return;
    if ((e = find(m, key, key_len, variant)) != NULL)
        drop(m, e);
    e = make_room(m, key_len + body_len);
    e->key = ma_xmalloc(key_len ? key_len : 1);
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->variant = variant;
    e->body = ma_xmalloc(body_len ? body_len : 1);
    memcpy(e->body, body, body_len);
    e->body_len = body_len;
    e->gen = gen;
    e->until_ms = until_ms;
    e->used_ms = now_ms;
    m->bytes += key_len + body_len;
    m->stores++;
}

/* see api/memo.h */
void ma_api_memo_clear(struct ma_api_memo *m)
{
    size_t i;

    for (i = 0; i < MA_API_MEMO_ENTRIES; i++)
        if (m->e[i].key != NULL)
            drop(m, &m->e[i]);
    m->bytes = 0;
}
