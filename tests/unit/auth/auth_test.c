/* auth/auth.c: flag resolution (mode by backend, Delegated needs a cluster or
 * --authorization-kubeconfig), Go StringSlice splitting, always-allowed paths, and the AlwaysAllow
 * pass-through handler. The delegated pipeline runs end to end in tests/integration/75-auth.py. */
#include "../../../src/auth/auth.c"

#include "t.h"

static void test_flags(void)
{
    struct ma_auth_flags f;
    struct ma_flag table[MA_AUTH_NFLAGS];

    ma_auth_flags_init(&f);
    CHECK(ma_auth_flags_table(&f, table) <= MA_AUTH_NFLAGS);
    CHECK_EQ(f.token_ttl_ms, 10000);
    CHECK(ma_auth_flags_check(&f, 1, 0) == NULL);
    CHECK_EQ(f._delegated, 0); /* demo: AlwaysAllow */
    CHECK(ma_auth_flags_check(&f, 0, 1) == NULL);
    CHECK_EQ(f._delegated, 1); /* other backends: Delegated */
    CHECK(ma_auth_flags_check(&f, 0, 0) != NULL); /* ... which needs a cluster */
    f.mode = "AlwaysAllow";
    CHECK(ma_auth_flags_check(&f, 0, 0) == NULL);
    CHECK_EQ(f._delegated, 0);
    CHECK_EQ(f._mode_explicit, 1);
    f.mode = "Delegated";
    CHECK(ma_auth_flags_check(&f, 1, 0) != NULL);
    CHECK(ma_auth_flags_check(&f, 1, 1) == NULL);
    f.mode = "RBAC";
    CHECK(ma_auth_flags_check(&f, 1, 1) != NULL);
    f.mode = "Delegated";
    f.authz_kubeconfig = "";
    CHECK(ma_auth_flags_check(&f, 1, 0) != NULL);
    f.authz_kubeconfig = "/k"; /* SubjectAccessReview has a cluster of its own */
    CHECK(ma_auth_flags_check(&f, 1, 0) == NULL);
}

static void test_expand_and_paths(void)
{
    const char *items[] = {"/a,/b/*", ",/c,"};
    struct ma_flag_list l = {items, 2, 2}, none = {NULL, 0, 0};
    struct ma_auth a;
    struct strs s;

    expand(&l, "/x", &s);
    CHECK_EQ(s.n, 3);
    if (s.n == 3) {
        CHECK_STR(s.v[0], "/a");
        CHECK_STR(s.v[1], "/b/*");
        CHECK_STR(s.v[2], "/c");
    }
    memset(&a, 0, sizeof a);
    a.paths = s;
    CHECK_EQ(always_allowed(&a, "/a"), 1);
    CHECK_EQ(always_allowed(&a, "/a/"), 0);
    CHECK_EQ(always_allowed(&a, "/b/anything"), 1);
    CHECK_EQ(always_allowed(&a, "/b"), 0);
    CHECK_EQ(always_allowed(&a, "/healthz"), 0);
    strs_free(&s);
    expand(&none, "/healthz,/readyz,/livez", &s);
    CHECK_EQ(s.n, 3);
    a.paths = s;
    CHECK_EQ(always_allowed(&a, "/readyz"), 1);
    CHECK_EQ(always_allowed(&a, "/readyz/x"), 0);
    strs_free(&s);
}

static int next_calls;

static void next_handler(void *ctx, struct ma_http_exchange *ex)
{
    (void)ctx;
    (void)ex;
    next_calls++;
}

static void test_passthrough(void)
{
    struct ma_auth_flags f;
    struct ma_auth *a;
    struct ma_http_exchange ex;
    struct ma_errmsg em;

    ma_auth_flags_init(&f);
    CHECK(ma_auth_flags_check(&f, 1, 0) == NULL);
    a = ma_auth_new(NULL, &f, 1, NULL, NULL, next_handler, NULL, &em);
    CHECK(a != NULL && a->passthrough);
    memset(&ex, 0, sizeof ex);
    ma_auth_handle(a, &ex);
    CHECK_EQ(next_calls, 1);
    CHECK_EQ(ma_auth_reviews_posted(a), 0);
    ma_auth_free(a);
    f.client_ca_file = "/nonexistent";
    CHECK(ma_auth_new(NULL, &f, 1, NULL, NULL, next_handler, NULL, &em) == NULL);
    f.client_ca_file = NULL;
    f.authz_kubeconfig = "/nonexistent/kubeconfig";
    CHECK(ma_auth_new(NULL, &f, 1, NULL, NULL, next_handler, NULL, &em) == NULL);
    CHECK(strncmp(em.msg, "--authorization-kubeconfig: ", 28) == 0);
}

int main(void)
{
    T_RUN(test_flags);
    T_RUN(test_expand_and_paths);
    T_RUN(test_passthrough);
    T_END();
}
