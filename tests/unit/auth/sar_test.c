/* auth/sar.c: reply parsing (allowed, denied, both, malformed) and the decision cache (TTLs,
 * full-key comparison). The review call itself is exercised by tests/integration/75-auth.py. */
#include "../../../src/auth/sar.c"

#include "t.h"

static int parse(const char *body, char *reason)
{
    return ma_auth_sar_parse_reply(body, strlen(body), reason, 64, NULL);
}

static void test_parse(void)
{
    char r[64];

    CHECK_EQ(parse("{\"status\":{\"allowed\":true,\"reason\":\"RBAC: ok\"}}", r), MA_AUTH_ALLOW);
    CHECK_STR(r, "RBAC: ok");
    CHECK_EQ(parse("{\"kind\":\"SubjectAccessReview\",\"status\":{\"allowed\":false}}", r),
             MA_AUTH_DENY);
    CHECK_STR(r, "");
    CHECK_EQ(parse("{\"status\":{\"allowed\":false,\"denied\":true,\"reason\":\"no\"}}", r),
             MA_AUTH_DENY);
    CHECK_EQ(parse("{\"status\":{\"allowed\":true,\"denied\":true}}", r), MA_ERR_DENIED);
    CHECK_EQ(parse("{\"status\":{\"allowed\":\"yes\"}}", r), MA_ERR_SYNTAX);
    CHECK_EQ(parse("{\"status\":{}}", r), MA_ERR_SYNTAX);
    CHECK_EQ(parse("{\"status\":[]}", r), MA_ERR_SYNTAX);
    CHECK_EQ(parse("[]", r), MA_ERR_SYNTAX);
    CHECK_EQ(parse("{\"status\":{\"allowed\":true", r), MA_ERR_SYNTAX);
    CHECK_EQ(parse("{\"status\":{\"allowed\":false,\"denied\":1}}", r), MA_ERR_SYNTAX);
}

static void test_cache(void)
{
    struct ma_auth_sar *s = ma_auth_sar_new(NULL, 10000, 0);
    const char *reason = NULL;
    int64_t now = ma_time_mono_ms();

    CHECK_EQ(ma_auth_sar_cached(s, "{\"a\":1}", 7, now, &reason), MA_ERR_NOTFOUND);
    remember(s, "{\"a\":1}", 7, MA_AUTH_ALLOW, "ok");
    CHECK_EQ(ma_auth_sar_cached(s, "{\"a\":1}", 7, now, &reason), MA_AUTH_ALLOW);
    CHECK_STR(reason, "ok");
    CHECK_EQ(ma_auth_sar_cached(s, "{\"a\":1}", 7, now + 20000, &reason), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_auth_sar_cached(s, "{\"a\":2}", 7, now, &reason), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_auth_sar_cached(s, "{\"a\":1", 6, now, &reason), MA_ERR_NOTFOUND);
    /* deny TTL 0: not cached at all */
    remember(s, "{\"b\":1}", 7, MA_AUTH_DENY, "no");
    CHECK_EQ(ma_auth_sar_cached(s, "{\"b\":1}", 7, now, &reason), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_auth_sar_posted(s), 0);
    ma_auth_sar_free(s);
}

int main(void)
{
    T_RUN(test_parse);
    T_RUN(test_cache);
    T_END();
}
