/* auth/tokenreview.c: TokenReview reply handling (authenticated, refused, malformed) and the
 * answer cache; the call itself is exercised by tests/integration/75-auth.py. */
#include "../../../src/auth/tokenreview.c"

#include "t.h"

static int take(struct ma_auth_tokenreview *t, const char *tok, const char *body)
{
    return take_reply(t, tok, strlen(tok), body, strlen(body), NULL);
}

static void test_replies(void)
{
    struct ma_auth_tokenreview *t = ma_auth_tokenreview_new(NULL, 10000);
    struct ma_arena a;
    struct ma_auth_user u;
    struct ma_errmsg em;
    int64_t now = ma_time_mono_ms();

    ma_arena_init(&a, 1 << 20);
    CHECK_EQ(take(t, "good",
                  "{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,\"user\":{"
                  "\"username\":\"system:serviceaccount:ns:sa\",\"uid\":\"u-1\",\"groups\":["
                  "\"system:serviceaccounts\",\"system:authenticated\"],\"extra\":{\"k/x\":[\"a\","
                  "\"b\"]}},\"audiences\":[\"x\"]}}"),
             MA_OK);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("good"), now, &a, &u, &em), MA_OK);
    CHECK_STR(u.name, "system:serviceaccount:ns:sa");
    CHECK_STR(u.uid, "u-1");
    CHECK_EQ(u.ngroups, 2); /* system:authenticated not added twice */
    CHECK_EQ(u.nextras, 1);
    CHECK_STR(u.extras[0].key, "k/x");
    CHECK_EQ(u.extras[0].nvalues, 2);
    CHECK_STR(u.method, "token");
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("good"), now + 20000, &a, &u, &em),
             MA_ERR_NOTFOUND);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("goo"), now, &a, &u, &em), MA_ERR_NOTFOUND);
    /* refused: cached too ("authenticated" omitted when false) */
    CHECK_EQ(take(t, "bad", "{\"status\":{\"user\":{},\"error\":\"token expired\"}}"), MA_OK);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("bad"), now, &a, &u, &em), MA_ERR_DENIED);
    CHECK(strstr(em.msg, "token expired") != NULL);
    /* no group added by the reply: system:authenticated appended */
    CHECK_EQ(take(t, "g0", "{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"x\"}}}"),
             MA_OK);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("g0"), now, &a, &u, &em), MA_OK);
    CHECK_EQ(u.ngroups, 1);
    CHECK_STR(u.groups[0], "system:authenticated");
    /* malformed replies are not cached */
    CHECK_EQ(take(t, "m1", "{\"status\":{\"authenticated\":true}}"), MA_ERR_SYNTAX);
    CHECK_EQ(take(t, "m2", "{\"status\":{\"authenticated\":\"yes\"}}"), MA_ERR_SYNTAX);
    CHECK_EQ(take(t, "m3", "{\"spec\":{}}"), MA_ERR_SYNTAX);
    CHECK_EQ(take(t, "m4", "{"), MA_ERR_SYNTAX);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("m1"), now, &a, &u, &em), MA_ERR_NOTFOUND);
    /* a cached user without username is refused at use */
    CHECK_EQ(take(t, "nouser", "{\"status\":{\"authenticated\":true,\"user\":{\"uid\":\"1\"}}}"),
             MA_OK);
    CHECK_EQ(ma_auth_tokenreview_cached(t, ma_str_c("nouser"), now, &a, &u, &em), MA_ERR_DENIED);
    ma_arena_free(&a);
    ma_auth_tokenreview_free(t);
}

int main(void)
{
    T_RUN(test_replies);
    T_END();
}
