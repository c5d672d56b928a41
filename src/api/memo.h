#ifndef MA_API_MEMO_H
#define MA_API_MEMO_H

#include <stddef.h>
#include <stdint.h>

/* Rendered metric answers kept for reuse. A backend that can tell when its answer stays valid
 * (ma_provider_class.generation and ma_prov_query.memo_until_ms) lets the API layer send the same
 * bytes again, without asking the backend and rendering the items, while (a) the backend's
 * generation is unchanged (no object or definition changed) and (b) the deadline the backend gave
 * has not passed (no cached value expired, none turned stale). HPAs poll the same URL every 15 s,
 * and values are cached for 50 s: most polls are answered from here.
 *
 * The key is the raw request target plus a variant byte for what else shapes the bytes (the
 * pretty flag). Bounded: at
 * most MA_API_MEMO_ENTRIES answers, each at most MA_API_MEMO_MAX_BODY bytes, MA_API_MEMO_MAX_BYTES
 * in all; the entry used least recently goes first. Single-threaded (event loop). */

#define MA_API_MEMO_ENTRIES 64
#define MA_API_MEMO_MAX_BODY (256 * 1024)
#define MA_API_MEMO_MAX_BYTES (4 * 1024 * 1024)

struct ma_api_memo_entry {
    char *key; /* heap, NULL when the slot is free */
    size_t key_len;
    int variant;
    uint64_t gen;
    int64_t until_ms; /* monotonic */
    int64_t used_ms;  /* last hit or store, for eviction */
    char *body;       /* heap */
    size_t body_len;
};

struct ma_api_memo {
    struct ma_api_memo_entry e[MA_API_MEMO_ENTRIES];
    size_t bytes; /* key and body bytes held */
    uint64_t hits, stores;
};

/* The answer stored for (key[0..key_len), variant) if it is still valid for generation gen at
 * monotonic time now_ms (an entry found invalid is dropped); NULL otherwise. Valid until the next
 * memo call. */
const struct ma_api_memo_entry *ma_api_memo_get(struct ma_api_memo *m, const char *key,
                                                size_t key_len, int variant, uint64_t gen,
                                                int64_t now_ms);

/* Store body[0..body_len) for (key, variant), valid for generation gen until until_ms (monotonic);
 * replaces an entry of the same key. Nothing is stored when until_ms <= now_ms or the body is
 * larger than MA_API_MEMO_MAX_BODY. Both buffers are copied. */
void ma_api_memo_put(struct ma_api_memo *m, const char *key, size_t key_len, int variant,
                     uint64_t gen, int64_t until_ms, const char *body, size_t body_len,
                     int64_t now_ms);

/* Free every entry (m stays usable, empty). */
void ma_api_memo_clear(struct ma_api_memo *m);

#endif
