/* tests src/base/buf.c and src/base/arena.c */
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "t.h"

#include <limits.h>
#include <stdint.h>

static void test_fixed_overflow_is_sticky(void)
{
    char mem[8];
    struct ma_buf b;

    ma_buf_init_fixed(&b, mem, sizeof mem);
    ma_buf_appends(&b, "12345");
    CHECK_EQ(b.len, 5);
    ma_buf_appends(&b, "6789"); /* does not fit: nothing appended, error sticks */
    CHECK_EQ(b.err, MA_ERR_NOSPACE);
    CHECK_EQ(b.len, 5);
    ma_buf_appends(&b, "x");
    CHECK_EQ(b.len, 5);
    ma_buf_reset(&b);
    CHECK_EQ(b.err, 0);
    ma_buf_appends(&b, "x");
    CHECK_EQ(b.len, 1);
}

static void test_heap_growth_and_max(void)
{
    struct ma_buf b;
    int i;

    ma_buf_init_heap(&b, 1000);
    for (i = 0; i < 100; i++)
        ma_buf_appends(&b, "0123456789");
    CHECK_EQ(b.len, 1000);
    CHECK_EQ(b.err, 0);
    ma_buf_appendc(&b, 'x');
    CHECK_EQ(b.err, MA_ERR_NOSPACE);
    CHECK_EQ(b.len, 1000);
    ma_buf_free(&b);
}

static void test_appendf_and_i64(void)
{
    struct ma_buf b;

    ma_buf_init_heap(&b, 1 << 20);
    ma_buf_appendf(&b, "%s-%d", "abc", 42);
    ma_buf_append_i64(&b, LLONG_MIN);
    ma_buf_appendc(&b, ' ');
    ma_buf_append_i64(&b, 0);
    ma_buf_appendc(&b, ' ');
    ma_buf_append_i64(&b, LLONG_MAX);
    CHECK_STR(ma_buf_cstr(&b), "abc-42-9223372036854775808 0 9223372036854775807");
    /* a long formatted string forces the second vsnprintf pass */
    ma_buf_reset(&b);
    ma_buf_appendf(&b, "%0300d", 7);
    CHECK_EQ(b.len, 300);
    CHECK_EQ(b.p[299], '7');
    ma_buf_consume(&b, 299);
    CHECK_STR(ma_buf_cstr(&b), "7");
    ma_buf_free(&b);
}

static void test_arena_cap_and_reset(void)
{
    struct ma_arena a;
    char *p, *q;

    ma_arena_init(&a, 10000);
    p = ma_arena_strndup(&a, "hello", 5);
    CHECK_STR(p, "hello");
    CHECK(((uintptr_t)ma_arena_alloc(&a, 3) % sizeof(max_align_t)) == 0);
    q = ma_arena_alloc(&a, 9000);
    CHECK(q != NULL);
    CHECK(ma_arena_alloc(&a, 2000) == NULL); /* over the cap: refused, not aborted */
    CHECK(ma_arena_alloc(&a, (size_t)-1) == NULL);
    ma_arena_reset(&a);
    CHECK(ma_arena_alloc(&a, 9000) != NULL);
    ma_arena_free(&a);
}

int main(void)
{
    T_RUN(test_fixed_overflow_is_sticky);
    T_RUN(test_heap_growth_and_max);
    T_RUN(test_appendf_and_i64);
    T_RUN(test_arena_cap_and_reset);
    T_END();
}
