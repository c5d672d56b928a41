/* base/sorted: binary search over a sorted array. */
#include "../t.h"

#include "base/sorted.h"

static int cmp_int(const void *key, const void *elem)
{
    int k = *(const int *)key, e = *(const int *)elem;

    return (k > e) - (k < e);
}

static void test_find_and_insertion_points(void)
{
    static const int a[] = {2, 4, 6, 8, 10};
    int found, k;

    for (k = 0; k <= 11; k++) {
        size_t i = ma_sorted_find(a, 5, sizeof a[0], &k, cmp_int, &found);
        size_t want;

        CHECK_EQ(found, k % 2 == 0 && k >= 2 && k <= 10);
        /* index of the first element >= k */
        want = 0;
        while (want < 5 && a[want] < k)
            want++;
        CHECK_EQ(i, want);
    }
    k = 3;
    CHECK_EQ(ma_sorted_find(a, 0, sizeof a[0], &k, cmp_int, &found), 0);
    CHECK_EQ(found, 0);
}

static int cmp_str_slot(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static void test_strings(void)
{
    static const char *const names[] = {"a", "b", "d"};
    int found;

    CHECK_EQ(ma_sorted_find(names, 3, sizeof names[0], "c", cmp_str_slot, &found), 2);
    CHECK_EQ(found, 0);
    CHECK_EQ(ma_sorted_find(names, 3, sizeof names[0], "d", cmp_str_slot, &found), 2);
    CHECK_EQ(found, 1);
    CHECK_EQ(ma_sorted_find(names, 3, sizeof names[0], "z", cmp_str_slot, &found), 3);
    CHECK_EQ(found, 0);
}

int main(void)
{
    T_RUN(test_find_and_insertion_points);
    T_RUN(test_strings);
    T_END();
}
