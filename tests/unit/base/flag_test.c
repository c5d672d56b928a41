/* tests src/base/flag.c and src/base/log.c (escaping) */
#include "base/flag.h"
#include "base/log.h"
#include "t.h"

#include <stdlib.h>

static void test_durations(void)
{
    static const struct {
        const char *in;
        int rc;
        int64_t ms;
    } rows[] = {
        {"10s", MA_OK, 10000},   {"500ms", MA_OK, 500},     {"2m", MA_OK, 120000},
        {"1m30s", MA_OK, 90000}, {"1h", MA_OK, 3600000},    {"1.5s", MA_OK, 1500},
        {"30", MA_OK, 30000},    {"0", MA_OK, 0},           {"", MA_ERR_SYNTAX, 0},
        {"10", MA_OK, 10000},    {"s", MA_ERR_SYNTAX, 0},   {"10x", MA_ERR_SYNTAX, 0},
        {"-1s", MA_ERR_SYNTAX, 0}, {"1s2", MA_ERR_SYNTAX, 0}, {"2ms500us", MA_OK, 2},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t ms = -7;
        int rc = ma_flag_parse_duration(rows[i].in, &ms);

        CHECK_EQ(rc, rows[i].rc);
        if (rc == MA_OK && ms != rows[i].ms)
            fprintf(stderr, "duration %s: got %lld\n", rows[i].in, (long long)ms);
        if (rc == MA_OK)
            CHECK_EQ(ms, rows[i].ms);
    }
}

static void test_parse(void)
{
    long long port = 6443;
    int64_t to = 0;
    const char *addr = "0.0.0.0";
    int demo = 0;
    struct ma_flag_list sans = {0};
    struct ma_flag flags[] = {
        {"secure-port", MA_FLAG_INT, &port, "", 1, 65535},
        {"timeout", MA_FLAG_DURATION, &to, "", 0, 0},
        {"bind-address", MA_FLAG_STRING, &addr, "", 0, 0},
        {"demo", MA_FLAG_BOOL, &demo, "", 0, 0},
        {"tls-san", MA_FLAG_LIST, &sans, "", 0, 0},
    };
    char *ok[] = {"x", "--secure-port=7443", "--timeout", "2s", "-bind-address=::1", "--demo",
                  "--tls-san=a", "--tls-san", "b"};
    char *unknown[] = {"x", "--nope=1"};
    char *range[] = {"x", "--secure-port=70000"};
    char *missing[] = {"x", "--timeout"};
    char *notint[] = {"x", "--secure-port=12ab"};
    char *badbool[] = {"x", "--demo=maybe"};
    char *positional[] = {"x", "stray"};
    char *help[] = {"x", "--help"};
    struct ma_errmsg em;

    CHECK_EQ(ma_flag_parse(flags, 5, 9, ok, &em), MA_OK);
    CHECK_EQ(port, 7443);
    CHECK_EQ(to, 2000);
    CHECK_STR(addr, "::1");
    CHECK_EQ(demo, 1);
    CHECK_EQ(sans.n, 2);
    CHECK_STR(sans.items[1], "b");
    CHECK_EQ(ma_flag_parse(flags, 5, 2, unknown, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "unknown flag: --nope");
    CHECK_EQ(ma_flag_parse(flags, 5, 2, range, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_flag_parse(flags, 5, 2, missing, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "flag needs an argument: --timeout");
    CHECK_EQ(ma_flag_parse(flags, 5, 2, notint, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_flag_parse(flags, 5, 2, badbool, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_flag_parse(flags, 5, 2, positional, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_flag_parse(flags, 5, 2, help, &em), MA_ERR_NOTFOUND);
    free(sans.items);
}

static void test_log_escape(void)
{
    char out[16];

    CHECK_STR(ma_log_escape("ab\r\n\"", 5, out, sizeof out), "ab\\x0d\\x0a\\x22");
    /* truncation is marked and stays inside the buffer */
    CHECK_STR(ma_log_escape("0123456789abcdefghij", 20, out, sizeof out), "0123456789ab...");
}

int main(void)
{
    T_RUN(test_durations);
    T_RUN(test_parse);
    T_RUN(test_log_escape);
    T_END();
}
