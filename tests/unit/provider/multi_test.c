/* provider/multi: several backends behind one provider: merged discovery, routing by metric,
 * conflicts stated, resource metrics routed by kind, cancel reaching the member that took it. */
#include "../t.h"

#include "provider/multi.h"

struct fake {
    const struct ma_provider_class *cls; /* first */
    const char *const *custom;           /* "gr/metric" entries, NULL-terminated */
    const char *const *external;
    unsigned resources;
    uint64_t gen;
    int calls, cancels, ready;
};

static struct fake *fake_of(const struct ma_provider_class **self)
{
    return (struct fake *)(void *)self;
}

static int list(const char *const *e, struct ma_prov_list *out, int ext)
{
    for (; e != NULL && *e != NULL; e++) {
        char gr[64];
        const char *slash = strchr(*e, '/');

        if (ext) {
            ma_prov_list_add(out, NULL, *e, 1);
            continue;
        }
        snprintf(gr, sizeof gr, "%.*s", (int)(slash - *e), *e);
        ma_prov_list_add(out, gr, slash + 1, 1);
    }
    return MA_OK;
}

static int f_list_custom(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    return list(fake_of(self)->custom, out, 0);
}

static int f_list_external(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    return list(fake_of(self)->external, out, 1);
}

/* answers with one value whose name is the provider's, so the test sees who answered */
static int f_get(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    fake_of(self)->calls++;
    if (strcmp(q->metric, "slow") == 0)
        return MA_ERR_PARTIAL;
    return ma_prov_query_add_object(q, "Pod", "/v1", "ns", (*self)->name, 0, 0, 1);
}

static void f_cancel(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    (void)q;
    fake_of(self)->cancels++;
}

static int f_ready(const struct ma_provider_class **self, struct ma_errmsg *why)
{
    ma_errmsg_set(why, "%s not ready", (*self)->name);
    return fake_of(self)->ready;
}

static uint64_t f_gen(const struct ma_provider_class **self)
{
    return fake_of(self)->gen;
}

static unsigned f_list_resource(const struct ma_provider_class **self)
{
    return fake_of(self)->resources;
}

static const struct ma_provider_class a_class = {"alpha", f_list_custom, f_list_external, f_get,
                                                 f_get, f_cancel, f_ready, f_gen, f_list_resource,
                                                 f_get};
static const struct ma_provider_class b_class = {"beta", f_list_custom, f_list_external, f_get,
                                                 f_get, f_cancel, f_ready, NULL, f_list_resource,
                                                 f_get};

static const char *run(const struct ma_provider_class **p, struct ma_arena *a, enum ma_prov_kind k,
                       const char *gr, const char *metric, int *status)
{
    static struct ma_prov_query q;

    memset(&q, 0, sizeof q);
    q.kind = k;
    q.group_resource = gr;
    q.metric = metric;
    q.namespace = "ns";
    q.arena = a;
    q.resource = MA_PROV_RES_PODS;
    *status = 0;
    if (ma_prov_get(p, &q) != MA_OK)
        return "partial";
    *status = q.err_status;
    if (q.err_status != 0)
        return q.err.msg;
    return q.num_values == 1 ? q.values[0].name : "none";
}

static void test_routing(void)
{
    static const char *const a_custom[] = {"pods/rps", "pods/shared", NULL};
    static const char *const b_custom[] = {"deployments.apps/rps", "pods/shared", "pods/lat",
                                           NULL};
    static const char *const b_ext[] = {"queue", NULL};
    struct fake a = {&a_class, a_custom, NULL, MA_PROV_RES_PODS, 1, 0, 0, 1};
    struct fake b = {&b_class, b_custom, b_ext, MA_PROV_RES_NODES, 0, 0, 0, 1};
    const struct ma_provider_class **members[2] = {&a.cls, &b.cls};
    const struct ma_provider_class **p = ma_prov_multi_new(members, 2);
    struct ma_arena arena;
    struct ma_prov_list l;
    struct ma_errmsg why;
    int st;
    size_t i;
    char all[256] = "";

    CHECK(ma_prov_multi_new(members, 0) == NULL);
    ma_arena_init(&arena, 1 << 20);
    ma_prov_list_init(&l, &arena);
    CHECK_EQ((*p)->list_custom(p, &l), MA_OK);
    for (i = 0; i < l.n; i++) {
        strcat(all, l.items[i].group_resource);
        strcat(all, "/");
        strcat(all, l.items[i].metric);
        strcat(all, " ");
    }
    /* member order; the conflicting pods/shared is left out */
    CHECK_STR(all, "pods/rps deployments.apps/rps pods/lat ");
    ma_prov_list_init(&l, &arena);
    CHECK_EQ((*p)->list_external(p, &l), MA_OK);
    CHECK(l.n == 1 && strcmp(l.items[0].metric, "queue") == 0);

    CHECK_STR(run(p, &arena, MA_PROV_CUSTOM, "pods", "rps", &st), "alpha");
    CHECK_STR(run(p, &arena, MA_PROV_CUSTOM, "deployments.apps", "rps", &st), "beta");
    CHECK_STR(run(p, &arena, MA_PROV_CUSTOM, "pods", "lat", &st), "beta");
    CHECK_STR(run(p, &arena, MA_PROV_EXTERNAL, NULL, "queue", &st), "beta");
    /* unlisted: the first member (which may serve names it does not list) */
    CHECK_STR(run(p, &arena, MA_PROV_CUSTOM, "pods", "unlisted", &st), "alpha");
    CHECK(strstr(run(p, &arena, MA_PROV_CUSTOM, "pods", "shared", &st),
                 "served by both the alpha and the beta backend") != NULL);
    CHECK_EQ(st, 500);
    /* resource metrics by kind */
    CHECK_STR(run(p, &arena, MA_PROV_RESOURCE, NULL, "", &st), "alpha");
    CHECK_EQ((*p)->list_resource(p), MA_PROV_RES_PODS | MA_PROV_RES_NODES);
    /* one member without generation: the composite has none either */
    CHECK((*p)->generation == NULL);
    /* cancel reaches the member that took the query */
    {
        struct ma_prov_query q = {0};

        q.kind = MA_PROV_CUSTOM;
        q.group_resource = "pods";
        q.metric = "slow";
        q.arena = &arena;
        CHECK_EQ(ma_prov_get(p, &q), MA_ERR_PARTIAL);
        (*p)->cancel(p, &q);
        CHECK_EQ(a.cancels, 1);
        CHECK_EQ(b.cancels, 0);
    }
    CHECK_EQ((*p)->ready(p, &why), 1);
    b.ready = 0;
    CHECK_EQ((*p)->ready(p, &why), 0);
    CHECK_STR(why.msg, "beta not ready");
    ma_prov_multi_free(p);
    ma_arena_free(&arena);
}

/* With generations everywhere, the table follows changes of a member's list. */
static void test_generation(void)
{
    static const char *const one[] = {"pods/m", NULL};
    struct fake a = {&a_class, NULL, NULL, 0, 1, 0, 0, 1};
    struct fake c = {&a_class, one, NULL, 0, 1, 0, 0, 1};
    const struct ma_provider_class **members[2] = {&a.cls, &c.cls};
    const struct ma_provider_class **p = ma_prov_multi_new(members, 2);
    struct ma_arena arena;
    int st;

    ma_arena_init(&arena, 1 << 20);
    CHECK((*p)->generation != NULL);
    CHECK_EQ((*p)->generation(p), 2);
    c.calls = 0;
    run(p, &arena, MA_PROV_CUSTOM, "pods", "m", &st);
    CHECK_EQ(c.calls, 1);
    /* a now lists it too: a conflict, seen once its generation moved */
    a.custom = one;
    a.gen++;
    run(p, &arena, MA_PROV_CUSTOM, "pods", "m", &st);
    CHECK_EQ(st, 500);
    ma_prov_multi_free(p);
    ma_arena_free(&arena);
}

int main(void)
{
    T_RUN(test_routing);
    T_RUN(test_generation);
    T_END();
}
