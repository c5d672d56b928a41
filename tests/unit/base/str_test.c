/* base/str: slices and the FNV-1a hash. */
#include "../t.h"

#include "base/str.h"

static void test_slices(void)
{
    struct ma_str a = ma_str_c("Content-Type");

    CHECK_EQ(a.len, 12);
    CHECK(ma_str_eq(a, "Content-Type"));
    CHECK(!ma_str_eq(a, "content-type"));
    CHECK(ma_str_eq_nocase(a, "content-type"));
    CHECK(!ma_str_eq_nocase(a, "content-typ"));
    CHECK(ma_str_cmp(ma_str_c("a"), ma_str_c("b")) < 0);
    CHECK(ma_str_cmp(ma_str_c("ab"), ma_str_c("a")) > 0);
    CHECK_EQ(ma_str_cmp(ma_str_c("x"), ma_str_c("x")), 0);
}

static void test_fnv1a(void)
{
    /* reference values of 64-bit FNV-1a */
    CHECK(ma_hash_fnv1a("", 0) == 0xcbf29ce484222325ull);
    CHECK(ma_hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cull);
    CHECK(ma_hash_fnv1a("foobar", 6) == 0x85944171f73967e8ull);
}

int main(void)
{
    T_RUN(test_slices);
    T_RUN(test_fnv1a);
    T_END();
}
