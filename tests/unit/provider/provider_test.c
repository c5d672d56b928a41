#include "provider/provider.h"

#include "t.h"

#include <stdio.h>
#include <string.h>

static void test_list_grows_and_copies(void)
{
    struct ma_arena a;
    struct ma_prov_list l;
    char gr[32], m[32];
    int i;

    ma_arena_init(&a, 1 << 20);
    ma_prov_list_init(&l, &a);
    CHECK_EQ(l.n, 0);
    for (i = 0; i < 100; i++) {
        snprintf(gr, sizeof gr, "res%d", i);
        snprintf(m, sizeof m, "metric%d", i);
        CHECK_EQ(ma_prov_list_add(&l, i % 10 == 0 ? NULL : gr, m, i & 1), MA_OK);
    }
    strcpy(gr, "clobbered");
    CHECK_EQ(l.n, 100);
    CHECK(l.items[0].group_resource == NULL);
    CHECK_STR(l.items[1].group_resource, "res1");
    CHECK_STR(l.items[99].group_resource, "res99");
    CHECK_STR(l.items[99].metric, "metric99");
    CHECK_EQ(l.items[99].namespaced, 1);
    CHECK_EQ(l.items[98].namespaced, 0);
    ma_arena_free(&a);
}

static void test_list_arena_full(void)
{
    struct ma_arena a;
    struct ma_prov_list l;
    int i, rc = MA_OK;

    ma_arena_init(&a, 512);
    ma_prov_list_init(&l, &a);
    for (i = 0; i < 1000 && rc == MA_OK; i++)
        rc = ma_prov_list_add(&l, "pods", "http_requests", 1);
    CHECK_EQ(rc, MA_ERR_NOSPACE);
    CHECK(l.n < 1000);
    /* every counted item is complete */
    CHECK_STR(l.items[l.n - 1].metric, "http_requests");
    ma_arena_free(&a);
}

static void init_query(struct ma_prov_query *q, struct ma_arena *a)
{
    memset(q, 0, sizeof *q);
    q->arena = a;
}

static void test_add_object(void)
{
    struct ma_arena a;
    struct ma_prov_query q;
    char name[16];
    int i;

    ma_arena_init(&a, 1 << 20);
    init_query(&q, &a);
    for (i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "pod-%d", i);
        CHECK_EQ(ma_prov_query_add_object(&q, "Pod", "/v1", i ? "default" : NULL, name,
                                          1700000000 + i, 60, 0.5 * i),
                 MA_OK);
    }
    strcpy(name, "x");
    CHECK_EQ(q.num_values, 20);
    CHECK_STR(q.values[0].kind, "Pod");
    CHECK(q.values[0].namespace == NULL);
    CHECK_STR(q.values[19].namespace, "default");
    CHECK_STR(q.values[19].name, "pod-19");
    CHECK_STR(q.values[19].api_version, "/v1");
    CHECK_EQ(q.values[19].timestamp, 1700000019);
    CHECK_EQ(q.values[19].window_seconds, 60);
    CHECK(q.values[19].value == 9.5);
    CHECK(q.values[19].labels == NULL && q.values[19].num_labels == 0);
    CHECK_EQ(q.err_status, 0);
    ma_arena_free(&a);
}

static void test_add_external(void)
{
    struct ma_arena a;
    struct ma_prov_query q;
    char k[8] = "queue", v[8] = "orders";
    struct ma_kube_label labels[2] = {{k, v}, {"zone", "a"}};

    ma_arena_init(&a, 1 << 20);
    init_query(&q, &a);
    CHECK_EQ(ma_prov_query_add_external(&q, labels, 2, 1700000000, 0, 42), MA_OK);
    CHECK_EQ(ma_prov_query_add_external(&q, NULL, 0, 1700000001, 60, 1.5), MA_OK);
    strcpy(k, "xx");
    strcpy(v, "yy");
    CHECK_EQ(q.num_values, 2);
    CHECK_EQ(q.values[0].num_labels, 2);
    CHECK_STR(q.values[0].labels[0].key, "queue");
    CHECK_STR(q.values[0].labels[0].value, "orders");
    CHECK_STR(q.values[0].labels[1].key, "zone");
    CHECK(q.values[0].kind == NULL && q.values[0].name == NULL);
    CHECK(q.values[0].value == 42);
    CHECK_EQ(q.values[1].num_labels, 0);
    CHECK_EQ(q.values[1].window_seconds, 60);
    ma_arena_free(&a);
}

static void test_add_arena_full(void)
{
    struct ma_arena a;
    struct ma_prov_query q;
    int i, rc = MA_OK;

    ma_arena_init(&a, 600);
    init_query(&q, &a);
    for (i = 0; i < 1000 && rc == MA_OK; i++)
        rc = ma_prov_query_add_object(&q, "Pod", "/v1", "default", "web", 1, 60, 1);
    CHECK_EQ(rc, MA_ERR_NOSPACE);
    CHECK(q.num_values < 1000);
    ma_arena_free(&a);
}

static void test_fail(void)
{
    struct ma_prov_query q;
    char longname[400];

    memset(&q, 0, sizeof q);
    ma_prov_query_fail(&q, 404, "the server could not find the metric %s for %s", "m", "pods");
    CHECK_EQ(q.err_status, 404);
    CHECK_STR(q.err.msg, "the server could not find the metric m for pods");

    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ma_prov_query_fail(&q, 503, "backend %s down", longname);
    CHECK_EQ(q.err_status, 503);
    CHECK_EQ(strlen(q.err.msg), MA_ERRMSG_SIZE - 1);
    CHECK_STR(q.err.msg + MA_ERRMSG_SIZE - 4, "...");
}

int main(void)
{
    T_RUN(test_list_grows_and_copies);
    T_RUN(test_list_arena_full);
    T_RUN(test_add_object);
    T_RUN(test_add_external);
    T_RUN(test_add_arena_full);
    T_RUN(test_fail);
    T_END();
}
