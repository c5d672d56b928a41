#include "tls/rand.h"

#include <errno.h>
#include <sys/random.h>

#include "base/err.h"

/* see tls/rand.h */
int ma_tls_random(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        /* getrandom may return fewer bytes than asked (more than 256 bytes, or a signal arrived
         * after some bytes were copied): loop until the request is complete. */
        ssize_t r = getrandom(p, n, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return MA_ERR_IO;
        }
        if (r == 0)
            return MA_ERR_IO; /* never documented, but would otherwise loop forever */
        p += r;
        n -= (size_t)r;
    }
    return MA_OK;
}

/* see tls/rand.h */
int ma_tls_random_drbg_init(br_hmac_drbg_context *ctx)
{
    unsigned char seed[32];
    volatile unsigned char *v = seed;
    size_t i;

    if (ma_tls_random(seed, sizeof seed) != MA_OK)
        return MA_ERR_IO;
    br_hmac_drbg_init(ctx, &br_sha256_vtable, seed, sizeof seed);
    for (i = 0; i < sizeof seed; i++)
        v[i] = 0;
    return MA_OK;
}
