#ifndef MA_TLS_DER_H
#define MA_TLS_DER_H

/* A minimal DER writer (X.690) for the certificates and keys we generate, in the style of BearSSL's
 * src/x509/asn1enc.c: every writer takes `dest`, which MAY be NULL, and returns the number of bytes
 * it writes (or would write). A caller first sizes a structure with dest == NULL, allocates
 * exactly, then writes. Writers never allocate and never fail on valid arguments; the few that
 * validate text (OID, PrintableString, time) return 0 on invalid input, which no valid encoding has
 * as length.
 *
 * A constructed value is written as header + contents, the contents sized beforehand:
 *     clen = ma_tls_der_uint32(NULL, 1) + ma_tls_der_bool(NULL, 1);
 *     n = ma_tls_der_header(dest, MA_TLS_DER_SEQUENCE, clen);
 *     n += ma_tls_der_uint32(ma_tls_der_at(dest, n), 1);
 *     n += ma_tls_der_bool(ma_tls_der_at(dest, n), 1);
 * or with ma_tls_der_wrap and a contents callback. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Universal tags (one-byte identifiers; we never need tag numbers >= 31). */
#define MA_TLS_DER_BOOLEAN 0x01
#define MA_TLS_DER_INTEGER 0x02
#define MA_TLS_DER_BIT_STRING 0x03
#define MA_TLS_DER_OCTET_STRING 0x04
#define MA_TLS_DER_NULL 0x05
#define MA_TLS_DER_OID 0x06
#define MA_TLS_DER_UTF8_STRING 0x0C
#define MA_TLS_DER_PRINTABLE_STRING 0x13
#define MA_TLS_DER_IA5_STRING 0x16
#define MA_TLS_DER_UTC_TIME 0x17
#define MA_TLS_DER_GENERALIZED_TIME 0x18
#define MA_TLS_DER_SEQUENCE 0x30
#define MA_TLS_DER_SET 0x31
/* Context-specific [n], n < 31: constructed (EXPLICIT, or IMPLICIT over a constructed type) and
 * primitive (IMPLICIT over a primitive type, e.g. GeneralName dNSName [2] = 0x82). */
#define MA_TLS_DER_CTX(n) (0xA0 | (n))
#define MA_TLS_DER_CTX_PRIM(n) (0x80 | (n))

/* Callback producing the contents of a constructed value; same dest == NULL convention. */
typedef size_t (*ma_tls_der_fn)(unsigned char *dest, const void *arg);

/* dest + off, or NULL when sizing (dest == NULL). */
static inline unsigned char *ma_tls_der_at(unsigned char *dest, size_t off)
{
    return dest ? dest + off : NULL;
}

/* Identifier octet `tag` and the definite length octets for a `len`-byte contents. */
size_t ma_tls_der_header(unsigned char *dest, unsigned tag, size_t len);
/* Header + contents produced by fn(.., arg); fn is called twice when writing (size, then write),
 * and MUST return the same length both times. */
size_t ma_tls_der_wrap(unsigned char *dest, unsigned tag, ma_tls_der_fn fn, const void *arg);
/* Header + data[0..len) verbatim: OCTET STRING, IA5String, UTF8String (data MUST be valid UTF-8),
 * implicit [n] primitives. data MAY be NULL when dest is NULL. */
size_t ma_tls_der_prim(unsigned char *dest, unsigned tag, const void *data, size_t len);

/* INTEGER of the unsigned big-endian number be[0..len): leading zero bytes dropped, a 0x00 added
 * when the top bit is set (the value stays positive); len == 0 or all zeros encodes 0. */
size_t ma_tls_der_uint(unsigned char *dest, const void *be, size_t len);
size_t ma_tls_der_uint32(unsigned char *dest, uint32_t v);
/* BOOLEAN: DER requires 0xFF for TRUE. */
size_t ma_tls_der_bool(unsigned char *dest, int v);
/* OBJECT IDENTIFIER from dotted text ("2.5.29.17"). Returns 0 if the text is malformed: fewer than
 * two arcs, first arc > 2, second arc > 39 under arcs 0 and 1, an arc > 2^32-1, empty arc. */
size_t ma_tls_der_oid(unsigned char *dest, const char *dotted);
/* BIT STRING holding data[0..len) whole bytes (0 unused bits): public keys, signatures. */
size_t ma_tls_der_bits(unsigned char *dest, const void *data, size_t len);
/* BIT STRING of a NamedBitList (KeyUsage): named bit i is bit (1 << i) of `bits`, stored as the
 * i-th bit from the most significant bit of the first byte; trailing zero bits dropped (X.690
 * 11.2.2), so digitalSignature|keyEncipherment (bits 0, 2) is 03 02 05 A0. */
size_t ma_tls_der_named_bits(unsigned char *dest, uint32_t bits);
/* OCTET STRING. */
size_t ma_tls_der_octets(unsigned char *dest, const void *data, size_t len);
/* UTF8String; s[0..len) MUST be valid UTF-8. */
size_t ma_tls_der_utf8(unsigned char *dest, const char *s, size_t len);
/* PrintableString; returns 0 if s[0..len) has a character outside A-Z a-z 0-9 space '()+,-./:=? */
size_t ma_tls_der_printable(unsigned char *dest, const char *s, size_t len);
/* X.509 Time of t (UTC): UTCTime "YYMMDDHHMMSSZ" for years 1950..2049, GeneralizedTime
 * "YYYYMMDDHHMMSSZ" otherwise (RFC 5280 4.1.2.5). Returns 0 if the year is outside 0..9999. */
size_t ma_tls_der_time(unsigned char *dest, time_t t);

#endif
