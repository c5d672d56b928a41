#ifndef MA_TLS_RAND_H
#define MA_TLS_RAND_H

#include <stddef.h>

#include <bearssl.h>

/* Entropy from the kernel's getrandom(2), never from a file: BearSSL 0.6 seeds itself only from
 * /dev/urandom, which a FROM-scratch image or an empty chroot lacks. The TLS server injects this
 * entropy into every engine (br_ssl_engine_inject_entropy); key generation seeds a DRBG from it. */

/* Fill buf[0..n) with n random bytes. Blocks only until the kernel pool is initialised (early
 * boot). Returns MA_OK, or MA_ERR_IO if getrandom fails (ENOSYS on kernels < 3.17, EFAULT...); buf
 * is then unspecified and MUST NOT be used. */
int ma_tls_random(void *buf, size_t n);

/* Initialise *ctx as an HMAC-DRBG (SHA-256) seeded with 32 bytes from ma_tls_random.
 * Returns MA_OK or MA_ERR_IO (ctx then MUST NOT be used). */
int ma_tls_random_drbg_init(br_hmac_drbg_context *ctx);

#endif
