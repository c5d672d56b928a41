/* Fuzz ma_falcon_reply_parse with a fixed request: the result is an error or the count of found
 * pairs; only requested pairs get results (others stay zero), a null value leaves value 0, and
 * the answer does not depend on the order of the request (reversed request, mirrored answer)
 * nor on a larger token scratch once the small one sufficed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/falcon_api.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define N 5

static const struct ma_falcon_pair fwd[N] = {
    {"pod-a", "cpu.busy"},
    {"pod-b", "cpu.busy"},
    {"pod-a", "net.if.in.bytes/iface=eth0"},
    {"", ""},
    {"pod-a", "cpu.busy"}, /* a repeated pair gets the same answer */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jsmntok_t small[N * MA_FALCON_TOKENS_PER_PAIR + MA_FALCON_TOKENS_EXTRA], big[16384];
    struct ma_falcon_pair rev[N];
    struct ma_falcon_point a[N], b[N], c[N];
    struct ma_errmsg em;
    const char *js = (const char *)data;
    int rc, rc2, rc3, i, found = 0;

    for (i = 0; i < N; i++)
        rev[i] = fwd[N - 1 - i];
    em.msg[0] = '\0';
    rc = ma_falcon_reply_parse(js, size, fwd, N, a, small, (int)(sizeof small / sizeof small[0]),
                               &em);
    REQUIRE(rc == MA_ERR_UPSTREAM || (rc >= 0 && rc <= N));
    if (rc < 0)
        REQUIRE(em.msg[0] != '\0' && memchr(em.msg, '\0', sizeof em.msg) != NULL);
    for (i = 0; i < N; i++) {
        if (rc < 0 || !a[i].found)
            REQUIRE(!a[i].found && !a[i].has_value && a[i].timestamp == 0 && a[i].value == 0);
        if (!a[i].has_value)
            REQUIRE(a[i].value == 0);
        found += a[i].found;
    }
    if (rc >= 0) {
        REQUIRE(found == rc);
        REQUIRE(!memcmp(&a[0], &a[4], sizeof a[0]));
        rc2 = ma_falcon_reply_parse(js, size, rev, N, b, small, (int)(sizeof small / sizeof small[0]),
                                    &em);
        REQUIRE(rc2 == rc);
        for (i = 0; i < N; i++)
            REQUIRE(!memcmp(&a[i], &b[N - 1 - i], sizeof a[i]));
        rc3 = ma_falcon_reply_parse(js, size, fwd, N, c, big, (int)(sizeof big / sizeof big[0]), &em);
        REQUIRE(rc3 == rc && !memcmp(a, c, sizeof a));
    }
    return 0;
}
