/* Fuzz ma_kube_quantity_format: the first 8 bytes are a double (host byte order). Invariants:
 * NaN/Inf give MA_ERR_SYNTAX and ""; otherwise a NUL-terminated canonical DecimalSI string
 * shorter than MA_KUBE_QUANTITY_MAX, nothing written past it, and reading it back gives the
 * value: for |v| < 1e15 exactly llroundl(v * 1000) milli-units (exact in x87 long double, whose
 * 64-bit mantissa holds 53 + 10 bits), for integers beyond 2^52 exactly v. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "kube/quantity.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Test-only reader of our output: [-]digits[m|k|M|G|T|P|E]. Returns the number of digits and
 * fills *exp (power of ten of the suffix) and *neg; the digits stay in s. -1 on bad grammar. */
static int read_quantity(const char *s, int *neg, const char **digits, int *exp)
{
    static const char suffixes[] = "mkMGTPE";
    static const int exps[] = {-3, 3, 6, 9, 12, 15, 18};
    const char *p = s, *sp;
    int n = 0;

    *neg = *p == '-';
    p += *neg;
    *digits = p;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    if (n == 0 || (p[0] == '0' && n > 1))
        return -1;
    *exp = 0;
    if (p[n] != '\0') {
        if (p[n + 1] != '\0' || (sp = strchr(suffixes, p[n])) == NULL)
            return -1;
        *exp = exps[sp - suffixes];
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[MA_KUBE_QUANTITY_MAX + 8], back[MA_KUBE_QUANTITY_MAX + 16];
    const char *digits;
    int n, nd, neg, exp, i;
    double v;

    if (size < 8)
        return 0;
    memcpy(&v, data, sizeof v);
    memset(out, 0x5a, sizeof out);
    n = ma_kube_quantity_format(v, out, MA_KUBE_QUANTITY_MAX);
    for (i = MA_KUBE_QUANTITY_MAX; i < (int)sizeof out; i++)
        check(out[i] == 0x5a);
    if (isnan(v) || isinf(v)) {
        check(n == MA_ERR_SYNTAX && out[0] == '\0');
        return 0;
    }
    check(n > 0 && n < MA_KUBE_QUANTITY_MAX && out[n] == '\0' && (int)strlen(out) == n);
    nd = read_quantity(out, &neg, &digits, &exp);
    check(nd > 0);
    if (digits[0] == '0') {
        check(n == 1); /* zero is exactly "0": no sign, no suffix */
    } else {
        check(neg == (signbit(v) != 0));
        /* canonical: no 000 left below E, and "m" only for non-whole values */
        if (exp < 18 && nd >= 3)
            check(memcmp(digits + nd - 3, "000", 3) != 0);
    }
#if LDBL_MANT_DIG >= 64
    if (fabs(v) < 1e15) {
        long long want = llroundl((long double)v * 1000.0L);
        __int128 got = 0;
        for (i = 0; i < nd; i++)
            got = got * 10 + (digits[i] - '0');
        for (i = -3; i < exp; i++)
            got *= 10;
        if (neg)
            got = -got;
        check(got == (__int128)want);
    }
#endif
    if (fabs(v) >= 4503599627370496.0) {
        /* an integer: the decimal we printed converts back to v exactly */
        snprintf(back, sizeof back, "%s%.*se%d", neg ? "-" : "", nd, digits, exp);
        check(strtod(back, NULL) == v);
    }
    return 0;
}
