#ifndef MA_TLS_KEYPAIR_H
#define MA_TLS_KEYPAIR_H

/* The serving certificate chain and private key handed to the TLS server: loaded from PEM files
 * (--tls-cert-file / --tls-private-key-file) or made in memory (self-signed ECDSA P-256).
 *
 * Accepted keys: RSA of 2048..4096 bits (BearSSL's limit), EC on P-256 or P-384; PKCS#1
 * "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY" or unencrypted PKCS#8 "PRIVATE KEY". The key MUST match
 * the leaf certificate's public key. Certificate files hold the chain leaf first, then
 * intermediates (as kube-apiserver and Go's tls.LoadX509KeyPair expect); PEM blocks of other types
 * in either file are skipped (a combined cert+key file works). */

#include <stddef.h>
#include <time.h>

#include <bearssl.h>

#include "base/err.h"
#include "base/limits.h"

struct ma_tls_keypair {
    br_x509_certificate chain[MA_TLS_MAX_CHAIN]; /* DER, leaf first; data on the heap */
    size_t chain_len;                            /* >= 1 once loaded */
    int key_type;                                /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
    br_rsa_private_key rsa;                      /* valid when key_type == BR_KEYTYPE_RSA */
    br_ec_private_key ec;                        /* valid when key_type == BR_KEYTYPE_EC */
    /* private */
    unsigned char *_key; /* heap copy of the key elements rsa/ec point into; wiped on free */
    size_t _key_len;
};

/* Load cert_path (chain) and key_path (private key) into *kp, which is overwritten (not freed:
 * call ma_tls_keypair_free first if it held a key pair). Each file MUST be at most
 * MA_TLS_MAX_PEM_FILE bytes. Returns MA_OK, or with *kp left empty (chain_len 0, nothing to free)
 * and a message naming the file and the cause in em:
 *   MA_ERR_NOTFOUND  a file does not exist;
 *   MA_ERR_IO        a file cannot be opened or read (permissions, a directory...);
 *   MA_ERR_LIMIT     a file is too large, or the chain has more than MA_TLS_MAX_CHAIN certificates;
 *   MA_ERR_SYNTAX    anything about the contents: empty file, no CERTIFICATE / private key block,
 *                    malformed PEM or DER, encrypted key, RSA key under 2048 bits, unsupported
 *                    curve, key does not match the certificate. */
int ma_tls_keypair_load_pem_files(struct ma_tls_keypair *kp, const char *cert_path,
                                  const char *key_path, struct ma_errmsg *em);

/* The same from PEM text in memory: cert[0..cert_len) and key[0..key_len) (not NUL-terminated,
 * only read during the call; kp keeps copies). Returns as ma_tls_keypair_load_pem_files, naming
 * "certificate PEM" and "key PEM" instead of file paths (MA_ERR_LIMIT: more than
 * MA_TLS_MAX_CHAIN certificates). */
int ma_tls_keypair_load_pem_mem(struct ma_tls_keypair *kp, const void *cert, size_t cert_len,
                                const void *key, size_t key_len, struct ma_errmsg *em);

/* Make a fresh ECDSA P-256 key and a self-signed certificate into *kp (overwritten, as above):
 * CN "metrics-adapter", SANs localhost, 127.0.0.1, ::1 then sans[0..n) (each an IP literal or a DNS
 * name; duplicates of earlier entries dropped), valid from now - 1 h (clock skew) to now + 365 d,
 * CA:TRUE with keyCertSign (a client can trust it as its own anchor), EKU serverAuth.
 * Returns MA_OK, MA_ERR_LIMIT (n > MA_TLS_MAX_SANS), MA_ERR_SYNTAX (a bad SAN, named in em),
 * MA_ERR_IO (no entropy). */
int ma_tls_keypair_selfsigned(struct ma_tls_keypair *kp, const char *const *sans, size_t n,
                              time_t now, struct ma_errmsg *em);

/* Write dir/apiserver.crt (the chain, mode 0644) and dir/apiserver.key (SEC1 "EC PRIVATE KEY",
 * mode 0600), each through a temporary file renamed into place so readers never see half a file.
 * Only EC keys can be written: returns MA_ERR_SYNTAX for RSA. Returns MA_OK, or MA_ERR_IO with the
 * failing path in em. kp MUST hold a loaded key pair. */
int ma_tls_keypair_write_pem_files(const struct ma_tls_keypair *kp, const char *dir,
                                   struct ma_errmsg *em);

/* Write data[0..len) to dir/name with exactly `mode` (umask ignored; 0600 for keys) through
 * dir/.name.tmp, fsync'd and renamed into place, so a reader never sees half a file and an existing
 * file is replaced whole. name MUST be a plain file name. Returns MA_OK, or MA_ERR_IO with the
 * failing path and errno text in em (the temporary file is removed). */
int ma_tls_file_write(const char *dir, const char *name, const void *data, size_t len,
                      unsigned mode, struct ma_errmsg *em);

/* Release the chain and wipe the private key; *kp is left empty. Safe on an empty (zeroed or
 * failed-load) key pair. */
void ma_tls_keypair_free(struct ma_tls_keypair *kp);

#endif
