/* auth/sar.c: reply parsing (allowed, denied, both, malformed) and the review kind (body,
 * reason as text); caching and coalescing: review_test.c; the POST: 75-auth.py. */
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

/* What the SubjectAccessReview kind adds to auth/review.c: the body around the spec and the reason
 * as the answer's text. */
static void test_class(void)
{
    struct ma_buf b, text;
    struct ma_auth_review *r = ma_auth_sar_new(NULL, 10000, 0);
    const char *reason = NULL;
    size_t len = 0;

    ma_buf_init_heap(&b, 6 * 7 + 256);
    sar_class.write_body(&b, "{\"a\":1}", 7);
    CHECK_EQ(b.err, MA_OK);
    CHECK_STR(ma_buf_cstr(&b), "{\"apiVersion\":\"authorization.k8s.io/v1\","
                               "\"kind\":\"SubjectAccessReview\",\"spec\":{\"a\":1}}");
    CHECK_STR(sar_class.path, "/apis/authorization.k8s.io/v1/subjectaccessreviews");
    ma_buf_init_heap(&text, 1024);
    CHECK_EQ(sar_class.read_reply("{\"status\":{\"allowed\":true,\"reason\":\"RBAC\"}}", 43, &text,
                                  NULL),
             MA_AUTH_ALLOW);
    CHECK_STR(ma_buf_cstr(&text), "RBAC");
    ma_buf_reset(&text);
    CHECK_EQ(sar_class.read_reply("{\"status\":{}}", 13, &text, NULL), MA_ERR_SYNTAX);
    CHECK_EQ(text.len, 0);
    CHECK_EQ(ma_auth_review_cached(r, "{\"a\":1}", 7, 0, &reason, &len), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_auth_review_posted(r), 0);
    ma_buf_free(&b);
    ma_buf_free(&text);
    ma_auth_review_free(r);
}

int main(void)
{
    T_RUN(test_parse);
    T_RUN(test_class);
    T_END();
}
