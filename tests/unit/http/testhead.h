#ifndef MA_TESTS_HTTP_TESTHEAD_H
#define MA_TESTS_HTTP_TESTHEAD_H

/* Helpers shared by the request and response parser tests. */

#include <stdio.h>
#include <string.h>

#include "http/parse.h"

/* A slice as a C string for CHECK_STR (a few rotating buffers). */
static const char *cs(struct ma_str s)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ & 3];
    size_t n = s.len < 511 ? s.len : 511;

    memcpy(b, s.p, n);
    b[n] = '\0';
    return b;
}

/* Headers flattened as "name:value\n" lines, to compare with a table row. */
static const char *flat_headers(const struct ma_http_header *h, size_t num)
{
    static char out[4096];
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < num && n < sizeof(out) - 1; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s:%s\n", cs(h[i].name),
                              cs(h[i].value));
    return out;
}

#endif
