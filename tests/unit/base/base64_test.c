#include "base/base64.h"

#include <string.h>

#include "base/err.h"
#include "t.h"

struct row {
    const char *in;
    int code;        /* length or error */
    const char *out; /* decoded bytes when code >= 0 */
    const char *comment;
};

static const struct row rows[] = {
    /* RFC 4648 section 10 */
    {"", 0, "", "empty"},
    {"Zg==", 1, "f", ""},
    {"Zm8=", 2, "fo", ""},
    {"Zm9v", 3, "foo", ""},
    {"Zm9vYg==", 4, "foob", ""},
    {"Zm9vYmE=", 5, "fooba", ""},
    {"Zm9vYmFy", 6, "foobar", ""},
    /* tolerated */
    {"Zg", 1, "f", "unpadded"},
    {"Zm9vYmE", 5, "fooba", "unpadded"},
    {"Zm9v\nYmFy\n", 6, "foobar", "wrapped lines"},
    {" Z m 9 v\r\n\tYg = = ", 4, "foob", "white space anywhere, padding included"},
    {"Zh==", 1, "f", "non-zero unused bits ignored (Go StdEncoding)"},
    {"+/+/", 3, "\xfb\xff\xbf", "+ and /"},
    {"AAAA", 3, "\0\0\0", "zeros"},
    /* refused */
    {"Z", MA_ERR_SYNTAX, NULL, "lone last character"},
    {"Zm9vY", MA_ERR_SYNTAX, NULL, "lone last character after a quantum"},
    {"Zg=", MA_ERR_SYNTAX, NULL, "short padding"},
    {"Zg===", MA_ERR_SYNTAX, NULL, "long padding"},
    {"Z===", MA_ERR_SYNTAX, NULL, "padding after one character"},
    {"Zm9v=", MA_ERR_SYNTAX, NULL, "padding after a full quantum"},
    {"=Zg", MA_ERR_SYNTAX, NULL, "padding first"},
    {"Zg==Zg==", MA_ERR_SYNTAX, NULL, "data after padding"},
    {"Zm8=x", MA_ERR_SYNTAX, NULL, "data after padding"},
    {"Zm-_", MA_ERR_SYNTAX, NULL, "URL alphabet"},
    {"Zm9v*", MA_ERR_SYNTAX, NULL, "outside the alphabet"},
    {"Zm9v\v", MA_ERR_SYNTAX, NULL, "vertical tab is not skipped"},
    {"Zm\x80v", MA_ERR_SYNTAX, NULL, "high byte"},
};

static void test_rows(void)
{
    unsigned char out[64];
    size_t i;
    int r;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        r = ma_base64_decode(w->in, strlen(w->in), out, sizeof out);
        CHECK_EQ(r, w->code);
        if (r >= 0 && r == w->code)
            CHECK_MEM(out, w->out, (size_t)r);
        if (r != w->code)
            fprintf(stderr, "  row %zu (%s)\n", i, w->comment);
    }
}

static void test_space(void)
{
    unsigned char out[8];

    CHECK_EQ(ma_base64_decode("Zm9vYmFy", 8, out, 6), 6);
    CHECK_EQ(ma_base64_decode("Zm9vYmFy", 8, out, 5), MA_ERR_NOSPACE);
    CHECK_EQ(ma_base64_decode("Zm9vYg==", 8, out, 4), 4);
    CHECK_EQ(ma_base64_decode("Zm9vYg==", 8, out, 3), MA_ERR_NOSPACE);
    CHECK_EQ(ma_base64_decode("Zm9vYmE", 7, out, 4), MA_ERR_NOSPACE);
    CHECK_EQ(ma_base64_decode("Zm8", 3, out, 0), MA_ERR_NOSPACE);
    CHECK_EQ(ma_base64_decode("", 0, NULL, 0), 0);
    CHECK(MA_BASE64_DECODED_MAX(2) >= 1 && MA_BASE64_DECODED_MAX(3) >= 2);
}

/* Every byte value at every position of the last quantum, against a reference encoder. */
static void encode(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3, out += 4) {
        unsigned long v = (unsigned long)in[i] << 16 | in[i + 1] << 8 | in[i + 2];
        out[0] = a[v >> 18];
        out[1] = a[(v >> 12) & 63];
        out[2] = a[(v >> 6) & 63];
        out[3] = a[v & 63];
    }
    if (n - i == 1) {
        out[0] = a[in[i] >> 2];
        out[1] = a[(in[i] & 3) << 4];
        out[2] = out[3] = '=';
        out += 4;
    } else if (n - i == 2) {
        out[0] = a[in[i] >> 2];
        out[1] = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
        out[2] = a[(in[i + 1] & 15) << 2];
        out[3] = '=';
        out += 4;
    }
    *out = '\0';
}

static void test_round_trip(void)
{
    unsigned char in[256], out[300];
    char enc[400];
    size_t n;
    int b;

    for (b = 0; b < 256; b++)
        in[b] = (unsigned char)(255 - b);
    for (n = 0; n <= 256; n++) {
        encode(in, n, enc);
        CHECK_EQ(ma_base64_decode(enc, strlen(enc), out, sizeof out), (int)n);
        CHECK(memcmp(in, out, n) == 0);
    }
}

static void test_encode(void)
{
    unsigned char in[256];
    char want[400], got[400];
    size_t n;
    int b;

    /* RFC 4648 section 10 */
    CHECK_EQ(ma_base64_encode("", 0, got, sizeof got), 0);
    CHECK_STR(got, "");
    CHECK_EQ(ma_base64_encode("f", 1, got, sizeof got), 4);
    CHECK_STR(got, "Zg==");
    CHECK_EQ(ma_base64_encode("fo", 2, got, sizeof got), 4);
    CHECK_STR(got, "Zm8=");
    CHECK_EQ(ma_base64_encode("foobar", 6, got, sizeof got), 8);
    CHECK_STR(got, "Zm9vYmFy");
    /* every length against the reference encoder above, high bytes included */
    for (b = 0; b < 256; b++)
        in[b] = (unsigned char)(255 - b);
    for (n = 0; n <= 256; n++) {
        encode(in, n, want);
        CHECK_EQ(ma_base64_encode(in, n, got, sizeof got), (int)strlen(want));
        CHECK_STR(got, want);
    }
    /* room for the text but not the NUL: refused, out untouched */
    memset(got, 'x', sizeof got);
    CHECK_EQ(ma_base64_encode("foo", 3, got, 4), MA_ERR_NOSPACE);
    CHECK_EQ(got[0], 'x');
    CHECK_EQ(ma_base64_encode("foo", 3, got, 5), 4);
    CHECK_STR(got, "Zm9v");
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_space);
    T_RUN(test_round_trip);
    T_RUN(test_encode);
    T_END();
}
