/* Fuzz ma_http_chunked_decode: the payload is never longer than the input, and feeding the input
 * in pieces (split points drawn from the first input bytes) gives the same verdict, the same
 * payload and the same bytes after the body as one call. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "http/chunked.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_IN 65536

struct outcome {
    int rc;
    size_t plen, rlen;
    char payload[MAX_IN], rest[MAX_IN];
};

/* Feed in[0..n) in pieces of the given sizes (0 pieces: one call); every piece is copied into a
 * heap block of its exact size, so ASan sees any access past it. */
static void feed(const char *in, size_t n, const uint8_t *sizes, size_t nsizes, struct outcome *o)
{
    struct ma_http_chunked d;
    size_t at = 0, i = 0;

    ma_http_chunked_init(&d);
    o->rc = MA_ERR_PARTIAL;
    o->plen = o->rlen = 0;
    do {
        size_t len = i < nsizes ? sizes[i] : n - at, orig;
        char *b;

        if (len > n - at)
            len = n - at;
        orig = len;
        b = malloc(len ? len : 1);
        REQUIRE(b);
        memcpy(b, in + at, len);
        o->rc = ma_http_chunked_decode(&d, b, &len);
        REQUIRE(len <= orig);
        memcpy(o->payload + o->plen, b, len);
        o->plen += len;
        at += orig;
        i++;
        if (o->rc >= 0) {
            REQUIRE((size_t)o->rc <= orig - len);
            memcpy(o->rest, b + orig - (size_t)o->rc, (size_t)o->rc);
            o->rlen = (size_t)o->rc;
            memcpy(o->rest + o->rlen, in + at, n - at);
            o->rlen += n - at;
        }
        free(b);
        REQUIRE(o->rc >= 0 || o->rc == MA_ERR_PARTIAL || o->rc == MA_ERR_SYNTAX ||
                o->rc == MA_ERR_LIMIT);
    } while (o->rc == MA_ERR_PARTIAL && at < n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct outcome one, split;
    const uint8_t *sizes = data;
    size_t nsizes;
    const char *in;
    size_t n;

    /* first byte: how many split sizes follow; then the body */
    if (size == 0)
        return 0;
    nsizes = data[0] % 16;
    if (nsizes + 1 > size)
        nsizes = size - 1;
    sizes = data + 1;
    in = (const char *)data + 1 + nsizes;
    n = size - 1 - nsizes;
    if (n > MAX_IN)
        return 0;

    feed(in, n, NULL, 0, &one);
    REQUIRE(one.plen + one.rlen <= n);
    if (one.rc >= 0)
        REQUIRE(one.rlen == (size_t)one.rc);

    feed(in, n, sizes, nsizes, &split);
    REQUIRE(split.rc < 0 ? split.rc == one.rc : one.rc >= 0);
    REQUIRE(split.plen == one.plen && memcmp(split.payload, one.payload, one.plen) == 0);
    REQUIRE(split.rlen == one.rlen && memcmp(split.rest, one.rest, one.rlen) == 0);
    return 0;
}
