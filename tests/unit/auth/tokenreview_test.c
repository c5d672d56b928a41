/* auth/tokenreview.c: the request body, reply reading (authenticated, refused, malformed) and the
 * user of an answer; caching and coalescing: review_test.c; the POST: 75-auth.py. */
#include "../../../src/auth/tokenreview.c"

#include "t.h"

/* The user of reply body, as a review answer reaches auth.c: MA_ERR_SYNTAX for a malformed reply,
 * else ma_auth_tokenreview_user's code. */
static int take(const char *body, struct ma_arena *a, struct ma_auth_user *u, struct ma_errmsg *em)
{
    struct ma_buf text;
    int v, rc;

    ma_buf_init_heap(&text, MA_AUTH_MAX_REVIEW_BYTES + 1);
    v = tokenreview_class.read_reply(body, strlen(body), &text, em);
    rc = v < 0 ? v : ma_auth_tokenreview_user(v, ma_buf_cstr(&text), text.len, a, u, em);
    ma_buf_free(&text);
    return rc;
}

/* The token escaped into the body; a token of control bytes (6 bytes each escaped) stays within the
 * bound auth/review.h promises the body writer. */
static void test_body(void)
{
    char mem[6 * 40 + 256], worst[40];
    struct ma_buf b;

    CHECK_STR(tokenreview_class.path, "/apis/authentication.k8s.io/v1/tokenreviews");
    ma_buf_init_fixed(&b, mem, sizeof mem);
    tokenreview_class.write_body(&b, "a\"b\\c\n", 6);
    CHECK_STR(ma_buf_cstr(&b),
              "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\","
              "\"spec\":{\"token\":\"a\\\"b\\\\c\\n\"}}");
    memset(worst, 1, sizeof worst);
    ma_buf_init_fixed(&b, mem, sizeof mem);
    tokenreview_class.write_body(&b, worst, sizeof worst);
    CHECK_EQ(b.err, MA_OK);
    CHECK(strstr(ma_buf_cstr(&b), "\\u0001\"}}") != NULL);
}

static void test_replies(void)
{
    struct ma_arena a;
    struct ma_auth_user u;
    struct ma_errmsg em;

    ma_arena_init(&a, 1 << 20);
    CHECK_EQ(take("{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,\"user\":{"
                  "\"username\":\"system:serviceaccount:ns:sa\",\"uid\":\"u-1\",\"groups\":["
                  "\"system:serviceaccounts\",\"system:authenticated\"],\"extra\":{\"k/x\":[\"a\","
                  "\"b\"]}},\"audiences\":[\"x\"]}}",
                  &a, &u, &em),
             MA_OK);
    CHECK_STR(u.name, "system:serviceaccount:ns:sa");
    CHECK_STR(u.uid, "u-1");
    CHECK_EQ(u.ngroups, 2); /* system:authenticated not added twice */
    CHECK_EQ(u.nextras, 1);
    CHECK_STR(u.extras[0].key, "k/x");
    CHECK_EQ(u.extras[0].nvalues, 2);
    CHECK_STR(u.method, "token");
    /* refused ("authenticated" omitted when false): kube's error in the message */
    CHECK_EQ(take("{\"status\":{\"user\":{},\"error\":\"token expired\"}}", &a, &u, &em),
             MA_ERR_DENIED);
    CHECK(strstr(em.msg, "token expired") != NULL);
    CHECK_EQ(take("{\"status\":{\"authenticated\":false}}", &a, &u, &em), MA_ERR_DENIED);
    CHECK_STR(em.msg, "invalid bearer token");
    /* no group added by the reply: system:authenticated appended */
    CHECK_EQ(
        take("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"x\"}}}", &a, &u, &em),
        MA_OK);
    CHECK_EQ(u.ngroups, 1);
    CHECK_STR(u.groups[0], "system:authenticated");
    /* malformed replies: no verdict (so nothing to cache) */
    CHECK_EQ(take("{\"status\":{\"authenticated\":true}}", &a, &u, &em), MA_ERR_SYNTAX);
    CHECK_EQ(take("{\"status\":{\"authenticated\":\"yes\"}}", &a, &u, &em), MA_ERR_SYNTAX);
    CHECK_EQ(take("{\"spec\":{}}", &a, &u, &em), MA_ERR_SYNTAX);
    CHECK_EQ(take("{", &a, &u, &em), MA_ERR_SYNTAX);
    /* a user without username is refused at use */
    CHECK_EQ(take("{\"status\":{\"authenticated\":true,\"user\":{\"uid\":\"1\"}}}", &a, &u, &em),
             MA_ERR_DENIED);
    ma_arena_free(&a);
}

int main(void)
{
    T_RUN(test_body);
    T_RUN(test_replies);
    T_END();
}
