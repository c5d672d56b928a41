#include "kube/quantity.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"

/* Rounding: we round the exact binary value of v, never v * 1000.0 (a second rounding that can
 * turn 1.0004999...*1000 into a tie). Any value written with at most 3 decimals and |v| < 4.5e12
 * is within 2^-53 relative of its decimal, far from a half, so it comes out as written (1.005 ->
 * "1005m", 2.675 -> "2675m"). Only a 4th decimal of 5 depends on the binary value: 0.0005 is
 * stored as 0.000500000000000000010 -> "1m", 1.0005 as 1.000499999999999989 -> "1". Exact ties
 * (odd multiples of 1/16, e.g. 0.0625 -> 62.5 milli) go away from zero: "63m". */

#define LIMB 1000000000u /* base of the big-integer limbs */
#define LIMBS_MAX 36     /* DBL_MAX < 2^1024 < 10^309: 35 limbs of 9 digits */

/* Decimal digits of m * 2^k (k >= 0) into d, most significant first; returns their count. */
static size_t big_digits(uint64_t m, int k, char *d)
{
    uint32_t limb[LIMBS_MAX];
    size_t n = 0, i, len = 0;
    uint32_t top;
    char tmp[10];
    size_t t;

    do {
        limb[n++] = (uint32_t)(m % LIMB);
        m /= LIMB;
    } while (m != 0);
    while (k > 0) {
        /* limb < 1e9 < 2^30, so limb << 29 < 2^59 and the carry fits */
        int s = k > 29 ? 29 : k;
        uint64_t carry = 0;
        for (i = 0; i < n; i++) {
            uint64_t x = ((uint64_t)limb[i] << s) + carry;
            limb[i] = (uint32_t)(x % LIMB);
            carry = x / LIMB;
        }
        while (carry != 0 && n < LIMBS_MAX) {
            limb[n++] = (uint32_t)(carry % LIMB);
            carry /= LIMB;
        }
        k -= s;
    }
    top = limb[n - 1];
    t = 0;
    do {
        tmp[t++] = (char)('0' + top % 10);
        top /= 10;
    } while (top != 0);
    while (t > 0)
        d[len++] = tmp[--t];
    for (i = n - 1; i-- > 0;) {
        uint32_t x = limb[i];
        for (t = 9; t-- > 0;) {
            d[len + t] = (char)('0' + x % 10);
            x /= 10;
        }
        len += 9;
    }
    return len;
}

static size_t u64_digits(uint64_t v, char *d)
{
    char tmp[20];
    size_t t = 0, len = 0;

    do {
        tmp[t++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (t > 0)
        d[len++] = tmp[--t];
    return len;
}

/* round(m * 1000 / 2^s), half away from zero, for m < 2^53 and s >= 1 (m * 1000 < 2^63). */
static uint64_t round_milli(uint64_t m, int s)
{
    uint64_t p = m * 1000, q, r;

    if (s >= 64)
        return 0; /* p < 2^63 <= 2^(s-1): below one half */
    q = p >> s;
    r = p - (q << s);
    return r >= (1ULL << (s - 1)) ? q + 1 : q;
}

/* The value digits[0..n) x 10^e0 (e0 = -3 or 0, digits without leading zero) in canonical
 * DecimalSI: trailing zeros move into the exponent, which drops to a multiple of 3 and stops at
 * 18 ("E"); zeros beyond that stay in the digits ("1000E"), avoiding upstream's missing-suffix
 * quirk. */
static int emit(char *out, int neg, const char *d, size_t n, int e0)
{
    static const char *const suffix[] = {"m", "", "k", "M", "G", "T", "P", "E"};
    size_t t = 0, strip, len = 0;
    int e;

    while (t + 1 < n && d[n - 1 - t] == '0')
        t++;
    e = e0 + (int)t;
    e = (e + 3) / 3 * 3 - 3; /* floor to a multiple of 3; e + 3 >= 0 */
    if (e > 18)
        e = 18;
    strip = (size_t)(e - e0);
    if (neg)
        out[len++] = '-';
    memcpy(out + len, d, n - strip);
    len += n - strip;
    strcpy(out + len, suffix[(e + 3) / 3]);
    return (int)(len + strlen(out + len));
}

/* see kube/quantity.h */
int ma_kube_quantity_format(double v, char *out, size_t cap)
{
    char d[MA_KUBE_QUANTITY_MAX];
    uint64_t m, milli;
    double f;
    size_t n;
    int e;

    if (out == NULL || cap < MA_KUBE_QUANTITY_MAX) {
        if (out != NULL && cap > 0)
            out[0] = '\0';
        return MA_ERR_NOSPACE;
    }
    if (isnan(v) || isinf(v)) {
        out[0] = '\0';
        return MA_ERR_SYNTAX;
    }
    /* |v| = f * 2^e with 0.5 <= f < 1, so m = f * 2^53 is an exact integer < 2^53 and
     * |v| = m * 2^(e - 53); frexp and ldexp are exact, no float-to-int cast can overflow. */
    f = frexp(fabs(v), &e);
    m = (uint64_t)ldexp(f, 53);
    e -= 53;
    if (m == 0) {
        strcpy(out, "0");
        return 1;
    }
    if (e >= 0) {
        /* an integer of up to 309 digits; its milli value may not fit an int64 */
        n = big_digits(m, e, d);
        return emit(out, signbit(v) != 0, d, n, 0);
    }
    milli = round_milli(m, -e);
    if (milli == 0) {
        strcpy(out, "0");
        return 1;
    }
    n = u64_digits(milli, d);
    return emit(out, signbit(v) != 0, d, n, -3);
}
