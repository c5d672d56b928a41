/* kube/records: the shared record classes (namespace/name/labels, nodes), and the generic store
 * (kube/store.c) holding them: cluster-scoped keys, selectors, relists, a watch scope. */
#include "../t.h"

#include "json/read.h"
#include "kube/selector.h"
#include "kube/store.h"
#include "kube/watch.h"

static jsmntok_t toks[1024];

static int decode(const struct ma_kube_record_class *cls, const char *js,
                  struct ma_kube_meta **out, struct ma_errmsg *em)
{
    struct ma_json_doc d;

    *out = NULL;
    if (ma_json_parse(&d, js, strlen(js), toks, 1024, NULL) != MA_OK)
        return 99;
    return cls->decode(&d, 0, out, em);
}

static int upsert(struct ma_kube_store *s, const char *js, struct ma_errmsg *em)
{
    struct ma_json_doc d;

    if (ma_json_parse(&d, js, strlen(js), toks, 1024, NULL) != MA_OK)
        return 99;
    return ma_kube_store_upsert(s, &d, 0, em);
}

static const char *label(const struct ma_kube_meta *m, const char *key)
{
    size_t i;

    for (i = 0; i < m->labels.n; i++)
        if (strcmp(m->labels.items[i].key, key) == 0)
            return m->labels.items[i].value;
    return NULL;
}

static void test_meta_class(void)
{
    static const struct {
        const char *js;
        int rc;
        const char *msg; /* substring of em, for errors */
    } rows[] = {
        {"{\"metadata\":{\"namespace\":\"ns\",\"name\":\"web\",\"labels\":{\"app\":\"web\","
         "\"tier\":\"fe\"}},\"spec\":{\"replicas\":3}}", MA_OK, NULL},
        {"{\"metadata\":{\"name\":\"kube-system\"}}", MA_OK, NULL}, /* cluster-scoped */
        {"{\"metadata\":{\"namespace\":\"ns\"}}", MA_ERR_SYNTAX, "metadata.name is missing"},
        {"{\"metadata\":{\"name\":7}}", MA_ERR_SYNTAX, "metadata.name is not a string"},
        {"{\"metadata\":{\"name\":\"a\",\"labels\":[]}}", MA_ERR_SYNTAX, "not an object"},
        {"{\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":1}}}", MA_ERR_SYNTAX, "label value"},
        {"{\"metadata\":{\"name\":\"a\\u0000b\"}}", MA_ERR_SYNTAX, "NUL"},
        {"[]", MA_ERR_SYNTAX, "not a JSON object"},
        {"{\"kind\":\"Service\"}", MA_ERR_SYNTAX, "metadata is missing"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_kube_meta *m;
        struct ma_errmsg em = {{0}};
        int rc = decode(&ma_kube_meta_class, rows[i].js, &m, &em);

        CHECK_EQ(rc, rows[i].rc);
        if (rows[i].msg != NULL) {
            CHECK(m == NULL);
            if (strstr(em.msg, rows[i].msg) == NULL)
                fprintf(stderr, "row %zu: %s\n", i, em.msg);
            CHECK(strstr(em.msg, rows[i].msg) != NULL);
        }
        if (m != NULL)
            ma_kube_meta_class.free(m);
    }
    {
        struct ma_kube_meta *m;
        struct ma_errmsg em;

        CHECK_EQ(decode(&ma_kube_meta_class, rows[0].js, &m, &em), MA_OK);
        if (m != NULL) {
            CHECK_STR(m->namespace, "ns");
            CHECK_STR(m->name, "web");
            CHECK_EQ(m->labels.n, 2);
            CHECK_STR(label(m, "tier"), "fe");
            ma_kube_meta_class.free(m);
        }
        CHECK_EQ(decode(&ma_kube_meta_class, rows[1].js, &m, &em), MA_OK);
        if (m != NULL) {
            CHECK_STR(m->namespace, "");
            CHECK_EQ(m->labels.n, 0);
            ma_kube_meta_class.free(m);
        }
    }
}

static const char node_js[] =
    "{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\",\"labels\":{\"kubernetes.io/os\":"
    "\"linux\"}},\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"},"
    "{\"type\":\"Hostname\",\"address\":\"node-1\"},{\"type\":\"InternalIP\",\"address\":"
    "\"fd00::5\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}},"
    "\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
    "{\"type\":\"Ready\",\"status\":\"True\"}]}}";

static void test_node_class(void)
{
    struct ma_kube_meta *m;
    struct ma_errmsg em;
    const struct ma_kube_node *n;

    CHECK_EQ(decode(&ma_kube_node_class, node_js, &m, &em), MA_OK);
    CHECK(m != NULL);
    if (m == NULL)
        return;
    n = (const struct ma_kube_node *)(const void *)m;
    CHECK_STR(n->meta.name, "node-1");
    CHECK_STR(n->meta.namespace, "");
    CHECK_STR(label(m, "kubernetes.io/os"), "linux");
    CHECK_EQ(n->naddrs, 3);
    CHECK_STR(ma_kube_node_address(n, "InternalIP"), "10.0.0.5"); /* the first of its type */
    CHECK_STR(ma_kube_node_address(n, "Hostname"), "node-1");
    CHECK(ma_kube_node_address(n, "ExternalIP") == NULL);
    CHECK_EQ(n->kubelet_port, 10250);
    CHECK_EQ(n->ready, 1);
    ma_kube_node_class.free(m);

    /* a node just registered: no status yet */
    CHECK_EQ(decode(&ma_kube_node_class, "{\"metadata\":{\"name\":\"n2\"}}", &m, &em), MA_OK);
    if (m != NULL) {
        n = (const struct ma_kube_node *)(const void *)m;
        CHECK_EQ(n->naddrs, 0);
        CHECK_EQ(n->kubelet_port, 0);
        CHECK_EQ(n->ready, 0);
        ma_kube_node_class.free(m);
    }
    CHECK_EQ(decode(&ma_kube_node_class, "{\"metadata\":{\"name\":\"n\"},\"status\":{"
                    "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":70000}}}}", &m, &em),
             MA_ERR_SYNTAX);
    CHECK(m == NULL && strstr(em.msg, "Port") != NULL);
    CHECK_EQ(decode(&ma_kube_node_class, "{\"metadata\":{\"name\":\"n\"},\"status\":{"
                    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}", &m, &em),
             MA_OK);
    if (m != NULL) {
        CHECK_EQ(((const struct ma_kube_node *)(const void *)m)->ready, 0);
        ma_kube_node_class.free(m);
    }
}

static int collect(const struct ma_kube_meta *m, void *arg)
{
    strcat(arg, m->namespace);
    strcat(arg, "/");
    strcat(arg, m->name);
    strcat(arg, " ");
    return 0;
}

static void test_store_of_meta(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_meta_class);
    struct ma_kube_store_scope scope = {s, NULL};
    struct ma_kube_informer_handler h;
    struct ma_kube_selector sel;
    struct ma_errmsg em;
    char all[256] = "";
    uint64_t g;

    ma_kube_store_informer_handler(&scope, &h);
    CHECK_EQ(upsert(s, "{\"metadata\":{\"namespace\":\"b\",\"name\":\"y\",\"labels\":"
                       "{\"app\":\"web\"}}}", &em), MA_OK);
    CHECK_EQ(upsert(s, "{\"metadata\":{\"namespace\":\"b\",\"name\":\"x\"}}", &em), MA_OK);
    CHECK_EQ(upsert(s, "{\"metadata\":{\"name\":\"b\"}}", &em), MA_OK); /* cluster-scoped */
    CHECK_EQ(upsert(s, "{\"metadata\":{}}", &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_kube_store_count(s), 3);
    CHECK(ma_kube_store_get(s, "", "b") != NULL);
    CHECK(ma_kube_store_get(s, "b", "b") == NULL);
    ma_kube_store_each(s, "b", NULL, collect, all);
    CHECK_STR(all, "b/x b/y ");
    CHECK_EQ(ma_kube_selector_parse("app=web", 7, &sel, NULL), MA_OK);
    all[0] = '\0';
    ma_kube_store_each(s, NULL, &sel, collect, all);
    CHECK_STR(all, "b/y ");
    /* relist through the handler: what is not seen again goes */
    g = ma_kube_store_generation(s);
    h.relist_begin(h.arg);
    {
        struct ma_json_doc d;
        const char *js = "{\"metadata\":{\"namespace\":\"b\",\"name\":\"x\"}}";

        CHECK_EQ(ma_json_parse(&d, js, strlen(js), toks, 1024, NULL), MA_OK);
        CHECK_EQ(h.upsert(h.arg, &d, 0, &em), MA_OK);
    }
    h.relist_end(h.arg);
    CHECK(ma_kube_store_generation(s) != g);
    all[0] = '\0';
    ma_kube_store_each(s, NULL, NULL, collect, all);
    CHECK_STR(all, "b/x ");
    h.remove(h.arg, "b", "x");
    h.remove(h.arg, "b", "x"); /* absent: no error */
    CHECK_EQ(ma_kube_store_count(s), 0);
    ma_kube_store_free(s);
}

/* A scope refuses objects of another namespace (a namespaced watch carries only its own). */
static void test_scope(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_meta_class);
    struct ma_kube_store_scope scope = {s, "a"};
    struct ma_kube_informer_handler h;
    struct ma_json_doc d;
    struct ma_errmsg em;
    const char *js = "{\"metadata\":{\"namespace\":\"b\",\"name\":\"x\"}}";

    ma_kube_store_informer_handler(&scope, &h);
    CHECK_EQ(ma_json_parse(&d, js, strlen(js), toks, 1024, NULL), MA_OK);
    CHECK_EQ(h.upsert(h.arg, &d, 0, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "outside namespace a") != NULL);
    CHECK_EQ(ma_kube_store_count(s), 0);
    ma_kube_store_free(s);
}

int main(void)
{
    T_RUN(test_meta_class);
    T_RUN(test_node_class);
    T_RUN(test_store_of_meta);
    T_RUN(test_scope);
    T_END();
}
