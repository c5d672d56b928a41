/* api/memo: reusable rendered answers, bounded, keyed by target, valid per generation and time. */
#include "../t.h"

#include "api/memo.h"

static struct ma_api_memo m;

static const char *body_of(const char *key, uint64_t gen, int64_t now)
{
    const struct ma_api_memo_entry *e = ma_api_memo_get(&m, key, strlen(key), 0, gen, now);
    static char out[64];

    if (e == NULL)
        return NULL;
    snprintf(out, sizeof out, "%.*s", (int)e->body_len, e->body);
    return out;
}

static void test_valid_until_and_generation(void)
{
    memset(&m, 0, sizeof m);
    ma_api_memo_put(&m, "/a", 2, 0, 7, 1000, "A1", 2, 100);
    CHECK_STR(body_of("/a", 7, 500), "A1");
    CHECK(body_of("/b", 7, 500) == NULL);
    CHECK(body_of("/a", 8, 500) == NULL); /* the backend changed: dropped */
    CHECK(body_of("/a", 7, 500) == NULL);
    ma_api_memo_put(&m, "/a", 2, 0, 7, 1000, "A2", 2, 100);
    CHECK_STR(body_of("/a", 7, 999), "A2");
    CHECK(body_of("/a", 7, 1000) == NULL); /* expired */
    /* nothing stored for a deadline already passed */
    ma_api_memo_put(&m, "/c", 2, 0, 1, 100, "C", 1, 100);
    CHECK(body_of("/c", 1, 100) == NULL);
    /* replace keeps one entry and the byte count right */
    ma_api_memo_put(&m, "/d", 2, 0, 1, 900, "D1", 2, 100);
    ma_api_memo_put(&m, "/d", 2, 0, 1, 900, "D22", 3, 100);
    CHECK_STR(body_of("/d", 1, 200), "D22");
    CHECK_EQ(m.bytes, 2 + 3);
    /* the variant (pretty) is part of the key */
    ma_api_memo_put(&m, "/v", 2, 1, 1, 900, "pretty", 6, 100);
    CHECK(body_of("/v", 1, 200) == NULL);
    CHECK(ma_api_memo_get(&m, "/v", 2, 1, 1, 200) != NULL);
    ma_api_memo_clear(&m);
    CHECK_EQ(m.bytes, 0);
    CHECK(body_of("/d", 1, 200) == NULL);
}

static void test_bounds_and_lru(void)
{
    static char big[MA_API_MEMO_MAX_BODY + 1];
    char key[16];
    int i;

    memset(&m, 0, sizeof m);
    /* more keys than slots: the least recently used go */
    for (i = 0; i < MA_API_MEMO_ENTRIES + 10; i++) {
        snprintf(key, sizeof key, "/k%d", i);
        ma_api_memo_put(&m, key, strlen(key), 0, 1, 100000, "x", 1, i);
        if (i == 40)
            CHECK(body_of("/k0", 1, 40) != NULL); /* /k0 used at 40: younger than /k1../k39 */
    }
    CHECK(body_of("/k0", 1, 1000) != NULL);
    CHECK(body_of("/k1", 1, 1000) == NULL);
    snprintf(key, sizeof key, "/k%d", MA_API_MEMO_ENTRIES + 9);
    CHECK(body_of(key, 1, 1000) != NULL);
    /* too large a body is not kept */
    ma_api_memo_put(&m, "/big", 4, 0, 1, 100000, big, sizeof big, 0);
    CHECK(body_of("/big", 1, 1) == NULL);
    /* the byte bound holds: 20 bodies of 256 KiB do not all fit in 4 MiB */
    for (i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "/m%d", i);
        ma_api_memo_put(&m, key, strlen(key), 0, 1, 100000, big, MA_API_MEMO_MAX_BODY, 2000 + i);
    }
    CHECK(m.bytes <= MA_API_MEMO_MAX_BYTES);
    CHECK(body_of("/m19", 1, 3000) != NULL);
    CHECK(body_of("/m0", 1, 3000) == NULL);
    ma_api_memo_clear(&m);
}

int main(void)
{
    T_RUN(test_valid_until_and_generation);
    T_RUN(test_bounds_and_lru);
    T_END();
}
