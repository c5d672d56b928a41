#ifndef MA_TESTS_T_H
#define MA_TESTS_T_H

/* Minimal unit-test harness (BearSSL test_crypto.c, Redis testhelp.h). A test file defines
 * static test functions, lists them in main() with T_RUN, and ends with T_END, which prints
 * "N passed, N failed" and returns non-zero on any failure. A test passes when none of its
 * CHECKs failed. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int t_failed_checks, t_passed, t_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

/* Compare two integers and print both on failure. */
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                    \
        if (t_a_ != t_b_) {                                                                        \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", __FILE__,          \
                    __LINE__, #a, t_a_, #b, t_b_);                                                 \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

/* Compare two NUL-terminated strings and print both on failure. */
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) {                             \
            fprintf(stderr, "%s:%d: CHECK_STR failed:\n  got:  %s\n  want: %s\n", __FILE__,        \
                    __LINE__, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                     \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

/* Compare n bytes, printing both in hex on failure. */
#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        const unsigned char *t_a_ = (const unsigned char *)(a), *t_b_ = (const unsigned char *)(b); \
        size_t t_n_ = (n), t_i_;                                                                   \
        if (memcmp(t_a_, t_b_, t_n_) != 0) {                                                       \
            fprintf(stderr, "%s:%d: CHECK_MEM failed (%zu bytes)\n  got:  ", __FILE__, __LINE__,   \
                    t_n_);                                                                         \
            for (t_i_ = 0; t_i_ < t_n_; t_i_++)                                                    \
                fprintf(stderr, "%02x", t_a_[t_i_]);                                               \
            fprintf(stderr, "\n  want: ");                                                         \
            for (t_i_ = 0; t_i_ < t_n_; t_i_++)                                                    \
                fprintf(stderr, "%02x", t_b_[t_i_]);                                               \
            fprintf(stderr, "\n");                                                                 \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

/* Over-read guard (picohttpparser test.c): t_place copies s[0..n) to the end of a mapping that is
 * followed by a PROT_NONE page, so a parser reading past n faults at once. The area holds
 * T_GUARD_PAGES pages: over twice the 64 KiB default head limit with 4 KiB pages. */
#define T_GUARD_PAGES 40

static char *t_guard_base;
static size_t t_guard_size;

static inline char *t_place(const void *s, size_t n)
{
    char *p;

    if (t_guard_base == NULL) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        char *m;

        t_guard_size = T_GUARD_PAGES * page;
        m = mmap(NULL, t_guard_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
        if (m == MAP_FAILED || mprotect(m + t_guard_size, page, PROT_NONE) != 0) {
            perror("mmap");
            exit(2);
        }
        t_guard_base = m;
    }
    if (n > t_guard_size) {
        fprintf(stderr, "input of %zu bytes does not fit the guard area\n", n);
        exit(2);
    }
    p = t_guard_base + t_guard_size - n;
    if (n > 0)
        memcpy(p, s, n);
    return p;
}

/* 1 if p points into the guard area (a parser's slices must point into the copy it parsed). */
static inline int t_in_guard(const void *p)
{
    return t_guard_base != NULL && (const char *)p >= t_guard_base &&
           (const char *)p < t_guard_base + t_guard_size;
}

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        int t_before_ = t_failed_checks;                                                           \
        fn();                                                                                      \
        if (t_failed_checks == t_before_) {                                                        \
            t_passed++;                                                                            \
        } else {                                                                                   \
            t_failed++;                                                                            \
            fprintf(stderr, "FAIL %s\n", #fn);                                                     \
        }                                                                                          \
    } while (0)

#define T_END()                                                                                    \
    do {                                                                                           \
        printf("%d passed, %d failed\n", t_passed, t_failed);                                      \
        return t_failed != 0;                                                                      \
    } while (0)

#endif
