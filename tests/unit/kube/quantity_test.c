#include "kube/quantity.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "t.h"

/* Expected strings were checked against an exact (rational) reference: round |v| * 1000 half
 * away from zero, then canonical DecimalSI. */
struct row {
    double v;
    const char *want;
    const char *comment;
};

static const char DBL_MAX_DIGITS[] =
    "17976931348623157081452742373170435679807056752584499659891747680315726078002853876058955863"
    "27668781715404589535143824642343213268894641827684675467035375169860499105765512820762454900"
    "90389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177"
    "180919299881250404026184124858368";

static const char E300_DIGITS[] =
    "10000000000000000525047602552044202487044685811081591549158541155118024579889081957863713750"
    "80447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233"
    "79478809005936895323497079994508111903896764088007465274278014249457925878882005684283811566"
    "9472196386865459400540160";

static const struct row rows[] = {
    /* zero and sign */
    {0.0, "0", "zero"},
    {-0.0, "0", "negative zero has no sign"},
    {0.0004, "0", "below half a milli"},
    {-0.0004, "0", "negative below half a milli: no sign"},
    {1e-7, "0", "100n cannot be expressed in milli"},
    {DBL_MIN, "0", "smallest normal"},
    {DBL_TRUE_MIN, "0", "smallest subnormal"},
    {-DBL_TRUE_MIN, "0", "negative subnormal"},
    {2.2250738585072009e-308, "0", "largest subnormal"},
    /* rounding to milli (brief and quantity.md) */
    {0.001, "1m", "one milli"},
    {-0.001, "-1m", "NewMilliQuantity(-1)"},
    {0.066, "66m", "api-protocol example"},
    {1.005, "1005m", "binary 1004.9999999999999 milli rounds to 1005 (Go's truncation: 1004m)"},
    {2.675, "2675m", "binary 2.67499999999999982236431605997495353221893310546875"},
    {1051660.5, "1051660500m", "quantity.md"},
    {123.456, "123456m", ""},
    {1.001, "1001m", "Go's truncation prints 1"},
    {0.0009, "1m", "Go's truncation prints 0"},
    {-0.0005, "-1m", "binary 0.000500000000000000010408: above the half, away from zero"},
    {0.0005, "1m", "same, positive"},
    {1.0005, "1", "binary 1.000499999999999989: below the half"},
    {0.0015, "2m", "binary above the half"},
    {0.0625, "63m", "exact tie 62.5: away from zero"},
    {-0.0625, "-63m", "exact tie, negative"},
    {0.1875, "188m", "exact tie 187.5"},
    {0.9995, "1", "binary above the half: rounds up to a whole unit"},
    {0.9994999, "999m", ""},
    {999999.9995, "1M", "rounds to 1000000000 milli"},
    {0.1 + 0.2, "300m", "0.30000000000000004"},
    {0.123456789, "123m", "123456789n is not expressible: rounded"},
    /* NewMilliQuantity examples (quantity.md), value = milli / 1000 */
    {0.5, "500m", "NewMilliQuantity(500)"},
    {1.5, "1500m", "NewMilliQuantity(1500)"},
    {-1.5, "-1500m", "header example"},
    {0.25, "250m", ""},
    {0.1, "100m", ""},
    {0.999, "999m", "NewMilliQuantity(999)"},
    {1.0, "1", "NewMilliQuantity(1000)"},
    {2.0, "2", "NewMilliQuantity(2000)"},
    {1000.0, "1k", "NewMilliQuantity(1000000)"},
    {1500.0, "1500", "NewMilliQuantity(1500000), not 1.5k"},
    {1.5e9, "1500M", "NewMilliQuantity(1.5e12)"},
    /* NewQuantity examples (quantity.md / api-protocol.md) */
    {10.0, "10", ""},
    {100.0, "100", ""},
    {999.0, "999", ""},
    {1001.0, "1001", ""},
    {2000.0, "2k", ""},
    {12000.0, "12k", ""},
    {120000.0, "120k", ""},
    {1e6, "1M", ""},
    {2e6, "2M", ""},
    {-2e6, "-2M", ""},
    {1048576.0, "1048576", ""},
    {52428800.0, "52428800", ""},
    {1073741824.0, "1073741824", ""},
    {1500000000.0, "1500M", ""},
    {1.5e12, "1500G", ""},
    {1e15, "1P", ""},
    {1e16, "10P", ""},
    {1e17, "100P", ""},
    {-9.2e15, "-9200T", "beyond the milli range, integer path"},
    {1e18, "1E", ""},
    {9e18, "9E", ""},
    {1.234e19, "12340P", "exact double 1234 x 10^16"},
    {9223372036854775808.0, "9223372036854775808", "2^63: beyond int64, printed exactly"},
    {-9223372036854775808.0, "-9223372036854775808", "NewQuantity(int64 min)"},
    {9223372036854775807.0, "9223372036854775808", "int64 max is not a double: 2^63"},
    /* above the E exponent: zeros stay in the digits */
    {1e20, "100E", ""},
    {1e21, "1000E", "upstream's missing-suffix quirk would print 1"},
    {1e22, "10000E", "10^22 is exact"},
    {1e23, "99999999999999991611392", "1e23 is not exact: no trailing zero"},
    {1e300, E300_DIGITS, "exact binary value, one trailing zero"},
    {DBL_MAX, DBL_MAX_DIGITS, "309 digits"},
    /* the milli / integer boundary (|v| = 2^52 .. 9223372036854775.807) */
    {4503599627370495.5, "4503599627370495500m", "largest milli-path value with a fraction"},
    {4503599627370496.0, "4503599627370496", "2^52: first integer-path value"},
    {9007199254740991.0, "9007199254740991", "2^53 - 1"},
    {9007199254740992.0, "9007199254740992", "2^53"},
    {9223372036854774.0, "9223372036854774", "milli 9223372036854774000 fits int64"},
    {9223372036854775.807, "9223372036854776", "nearest double: milli no longer fits int64"},
    {-9223372036854775.807, "-9223372036854776", ""},
};

static void test_rows(void)
{
    char out[MA_KUBE_QUANTITY_MAX];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int n = ma_kube_quantity_format(rows[i].v, out, sizeof out);
        if (n < 0 || strcmp(out, rows[i].want) != 0)
            fprintf(stderr, "row %zu (%.17g, %s):\n", i, rows[i].v, rows[i].comment);
        CHECK_STR(out, rows[i].want);
        CHECK_EQ(n, (long long)strlen(rows[i].want));
    }
}

static void test_dbl_max_neg(void)
{
    char out[MA_KUBE_QUANTITY_MAX], want[MA_KUBE_QUANTITY_MAX];
    int n;

    snprintf(want, sizeof want, "-%s", DBL_MAX_DIGITS);
    n = ma_kube_quantity_format(-DBL_MAX, out, sizeof out);
    CHECK_STR(out, want);
    CHECK_EQ(n, 310);
    CHECK(n < MA_KUBE_QUANTITY_MAX);
}

static void test_non_finite(void)
{
    char out[MA_KUBE_QUANTITY_MAX];

    memset(out, 'x', sizeof out);
    CHECK_EQ(ma_kube_quantity_format(NAN, out, sizeof out), MA_ERR_SYNTAX);
    CHECK_STR(out, "");
    memset(out, 'x', sizeof out);
    CHECK_EQ(ma_kube_quantity_format(-NAN, out, sizeof out), MA_ERR_SYNTAX);
    CHECK_STR(out, "");
    memset(out, 'x', sizeof out);
    CHECK_EQ(ma_kube_quantity_format(INFINITY, out, sizeof out), MA_ERR_SYNTAX);
    CHECK_STR(out, "");
    memset(out, 'x', sizeof out);
    CHECK_EQ(ma_kube_quantity_format(-INFINITY, out, sizeof out), MA_ERR_SYNTAX);
    CHECK_STR(out, "");
}

static void test_small_cap(void)
{
    char out[MA_KUBE_QUANTITY_MAX];

    memset(out, 'x', sizeof out);
    CHECK_EQ(ma_kube_quantity_format(1.0, out, MA_KUBE_QUANTITY_MAX - 1), MA_ERR_NOSPACE);
    CHECK_STR(out, "");
    CHECK_EQ(ma_kube_quantity_format(1.0, out, 0), MA_ERR_NOSPACE);
    CHECK_EQ(ma_kube_quantity_format(1.0, NULL, 0), MA_ERR_NOSPACE);
}

/* Independent canonical form of k milli-units, |k| < 2^63. */
static void want_milli(long long k, char *w, size_t cap)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", "E"};
    unsigned long long a = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
    int i = 0;

    if (k == 0) {
        snprintf(w, cap, "0");
        return;
    }
    if (a % 1000 != 0) {
        snprintf(w, cap, "%s%llum", k < 0 ? "-" : "", a);
        return;
    }
    a /= 1000;
    while (i < 6 && a % 1000 == 0) {
        a /= 1000;
        i++;
    }
    snprintf(w, cap, "%s%llu%s", k < 0 ? "-" : "", a, suf[i]);
}

/* Every value written with at most 3 decimals comes out as written. */
static void test_three_decimals_sweep(void)
{
    char out[MA_KUBE_QUANTITY_MAX], want[64];
    long long k;
    int bad = 0;

    for (k = -2000000; k <= 2000000 && bad < 5; k++) {
        ma_kube_quantity_format((double)k / 1000.0, out, sizeof out);
        want_milli(k, want, sizeof want);
        if (strcmp(out, want) != 0) {
            CHECK_STR(out, want);
            bad++;
        }
    }
}

/* The same for large k (|k| < 2^52 so that k / 1000 lies within a quarter milli of k). */
static void test_three_decimals_random(void)
{
    char out[MA_KUBE_QUANTITY_MAX], want[64];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int i, bad = 0;

    for (i = 0; i < 1000000 && bad < 5; i++) {
        long long k;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        k = (long long)(x >> (12 + x % 40)); /* magnitudes from 2^12 to 2^52 */
        if (x & 1)
            k = -k;
        ma_kube_quantity_format((double)k / 1000.0, out, sizeof out);
        want_milli(k, want, sizeof want);
        if (strcmp(out, want) != 0) {
            CHECK_STR(out, want);
            bad++;
        }
    }
}

/* Powers of ten from 1e-3 to 1e22 are exact or round to the right milli. */
static void test_powers_of_ten(void)
{
    static const char *const want[] = {
        "1m",   "10m",   "100m",   "1",      "10",   "100",   "1k",    "10k",    "100k",
        "1M",   "10M",   "100M",   "1G",     "10G",  "100G",  "1T",    "10T",    "100T",
        "1P",   "10P",   "100P",   "1E",     "10E",  "100E",  "1000E", "10000E",
    };
    char out[MA_KUBE_QUANTITY_MAX];
    int i;

    for (i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        ma_kube_quantity_format(pow(10.0, i - 3), out, sizeof out);
        CHECK_STR(out, want[i]);
    }
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_dbl_max_neg);
    T_RUN(test_non_finite);
    T_RUN(test_small_cap);
    T_RUN(test_three_decimals_sweep);
    T_RUN(test_three_decimals_random);
    T_RUN(test_powers_of_ten);
    T_END();
}
