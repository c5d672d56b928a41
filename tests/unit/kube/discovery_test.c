/* tests src/kube/discovery.c: the APIGroup and APIResourceList readers, with documents shaped as
 * kube-apiserver v1.3x serves them (GET /api/v1, /apis/apps, /apis/apps/v1). */
#include "base/err.h"
#include "json/read.h"
#include "kube/discovery.h"
#include "t.h"

#include <string.h>

static jsmntok_t toks[4096];
static struct ma_kube_resource res[8];

/* Parse js (placed before a guard page) as a resource list of group/version into res. */
static int parse_list(const char *js, const char *group, const char *version, size_t max,
                      struct ma_errmsg *em)
{
    struct ma_json_doc d;
    const char *p = t_place(js, strlen(js));

    memset(res, 0xAA, sizeof res); /* stale bytes must not leak into results */
    if (ma_json_parse(&d, p, strlen(js), toks, 4096, em) != MA_OK)
        return 99;
    return ma_kube_discovery_parse_resources(&d, group, version, res, max, em);
}

static int parse_group(const char *js, const char *group, char *v, size_t cap,
                       struct ma_errmsg *em)
{
    struct ma_json_doc d;
    const char *p = t_place(js, strlen(js));

    if (ma_json_parse(&d, p, strlen(js), toks, 4096, em) != MA_OK)
        return 99;
    return ma_kube_discovery_parse_group(&d, group, v, cap, em);
}

/* core v1 as kube-apiserver before 1.27 served it: singularName "" everywhere */
static const char CORE_OLD[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"bindings\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Binding\","
    "\"verbs\":[\"create\"]},"
    "{\"name\":\"namespaces\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"Namespace\","
    "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],"
    "\"shortNames\":[\"ns\"],\"storageVersionHash\":\"Q3oi5N2YM8M=\"},"
    "{\"name\":\"namespaces/finalize\",\"singularName\":\"\",\"namespaced\":false,"
    "\"kind\":\"Namespace\",\"verbs\":[\"update\"]},"
    "{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\","
    "\"verbs\":[\"get\",\"list\",\"watch\"],\"shortNames\":[\"po\"],\"categories\":[\"all\"]},"
    "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\","
    "\"verbs\":[\"get\"]},"
    "{\"name\":\"persistentvolumes\",\"namespaced\":false,\"kind\":\"PersistentVolume\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"pv\"]}]}";

static void test_core_singular_from_kind(void)
{
    struct ma_errmsg em = {{0}};

    CHECK_EQ(parse_list(CORE_OLD, "", "v1", 8, &em), 4);
    CHECK_STR(res[0].plural, "bindings");
    CHECK_STR(res[0].singular, "binding");
    CHECK_STR(res[1].plural, "namespaces");
    CHECK_STR(res[1].singular, "namespace");
    CHECK_STR(res[1].kind, "Namespace");
    CHECK_EQ(res[1].namespaced, 0);
    CHECK_STR(res[1].group, "");
    CHECK_STR(res[1].version, "v1");
    CHECK_STR(res[2].plural, "pods"); /* namespaces/finalize and pods/log skipped */
    CHECK_STR(res[2].singular, "pod");
    CHECK_EQ(res[2].namespaced, 1);
    CHECK_STR(res[3].singular, "persistentvolume"); /* absent singularName: same rule */
}

static const char APPS_V1[] =
    "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"apps/v1\","
    "\"resources\":["
    "{\"name\":\"deployments\",\"singularName\":\"deployment\",\"namespaced\":true,"
    "\"kind\":\"Deployment\",\"verbs\":[\"get\"],\"shortNames\":[\"deploy\"],"
    "\"categories\":[\"all\"],\"storageVersionHash\":\"8aSe+NMegvE=\"},"
    "{\"name\":\"deployments/scale\",\"singularName\":\"\",\"namespaced\":true,"
    "\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\",\"verbs\":[\"get\"]},"
    "{\"name\":\"statefulsets\",\"singularName\":\"statefulset\",\"namespaced\":true,"
    "\"kind\":\"StatefulSet\",\"verbs\":[\"get\"],\"shortNames\":[\"sts\"]}]}";

static void test_named_group(void)
{
    struct ma_errmsg em = {{0}};

    CHECK_EQ(parse_list(APPS_V1, "apps", "v1", 8, &em), 2);
    CHECK_STR(res[0].group, "apps");
    CHECK_STR(res[0].version, "v1");
    CHECK_STR(res[0].plural, "deployments");
    CHECK_STR(res[0].singular, "deployment");
    CHECK_STR(res[0].kind, "Deployment");
    CHECK_STR(res[1].kind, "StatefulSet");
    /* the same list is not core's, nor another version's */
    CHECK_EQ(parse_list(APPS_V1, "", "v1", 8, &em), MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "APIResourceList is not for v1");
    CHECK_EQ(parse_list(APPS_V1, "apps", "v1beta2", 8, &em), MA_ERR_SYNTAX);
    /* more top-level resources than room: refused, never truncated silently */
    CHECK_EQ(parse_list(APPS_V1, "apps", "v1", 1, &em), MA_ERR_LIMIT);
}

#define R(x) "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[" x "]}"

static const struct {
    const char *js;
    int rc;
    const char *what;
} bad_lists[] = {
    {"[]", MA_ERR_SYNTAX, "not an object"},
    {"{\"groupVersion\":\"v1\"}", MA_ERR_SYNTAX, "no resources"},
    {"{\"groupVersion\":\"v1\",\"resources\":{}}", MA_ERR_SYNTAX, "resources not an array"},
    {R("1"), MA_ERR_SYNTAX, "element not an object"},
    {R("{\"name\":\"pods\",\"namespaced\":true}"), MA_ERR_SYNTAX, "no kind"},
    {R("{\"name\":\"pods\",\"kind\":\"Pod\"}"), MA_ERR_SYNTAX, "no namespaced"},
    {R("{\"name\":\"pods\",\"kind\":\"Pod\",\"namespaced\":\"true\"}"), MA_ERR_SYNTAX,
     "namespaced a string"},
    {R("{\"name\":\"Pods\",\"kind\":\"Pod\",\"namespaced\":true}"), MA_ERR_SYNTAX,
     "uppercase name"},
    {R("{\"name\":\"\",\"kind\":\"Pod\",\"namespaced\":true}"), MA_ERR_SYNTAX, "empty name"},
    {R("{\"name\":\"po\\u0000ds\",\"kind\":\"Pod\",\"namespaced\":true}"), MA_ERR_SYNTAX,
     "NUL in a name"},
    {R("{\"name\":\"pods\",\"kind\":\"P od\",\"namespaced\":true}"), MA_ERR_SYNTAX, "bad kind"},
    {R("{\"name\":\"pods\",\"singularName\":\"p_d\",\"kind\":\"Pod\",\"namespaced\":true}"),
     MA_ERR_SYNTAX, "bad singular"},
    {R("{\"name\":\"pods\",\"singularName\":7,\"kind\":\"Pod\",\"namespaced\":true}"),
     MA_ERR_SYNTAX, "singular not a string"},
    {R("{\"name\":\"pods\",\"kind\":\"Pod\",\"namespaced\":true},"
       "{\"name\":\"pods\",\"kind\":\"Pod\",\"namespaced\":false}"),
     MA_ERR_SYNTAX, "repeated plural"},
    {R("{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"kind\":"
       "\"Pod\",\"namespaced\":true}"),
     MA_ERR_SYNTAX, "64-byte name"},
};

static void test_bad_lists(void)
{
    size_t i;

    for (i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        struct ma_errmsg em = {{0}};
        int rc = parse_list(bad_lists[i].js, "", "v1", 8, &em);
        if (rc != bad_lists[i].rc)
            fprintf(stderr, "case %zu (%s): rc %d\n", i, bad_lists[i].what, rc);
        CHECK_EQ(rc, bad_lists[i].rc);
        CHECK(em.msg[0] != '\0');
    }
}

static void test_edge_lists(void)
{
    struct ma_errmsg em = {{0}};

    /* an escaped name is compared unescaped; a 63-byte name is the longest */
    CHECK_EQ(parse_list(R("{\"name\":\"\\u0070ods\",\"kind\":\"Pod\",\"namespaced\":true}"), "",
                        "v1", 8, &em),
             1);
    CHECK_STR(res[0].plural, "pods");
    CHECK_EQ(parse_list(R("{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaa\",\"kind\":\"A\",\"namespaced\":true}"),
                        "", "v1", 8, &em),
             1);
    CHECK_EQ(strlen(res[0].plural), 63);
    /* only subresources, or none at all: an empty group version */
    CHECK_EQ(parse_list(R("{\"name\":\"x/y\",\"kind\":\"Q\",\"namespaced\":true}"), "", "v1", 8,
                        &em),
             0);
    CHECK_EQ(parse_list(R(""), "", "v1", 8, &em), 0);
    /* a long subresource name is skipped, not refused */
    CHECK_EQ(parse_list(R("{\"name\":\"pods/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"kind\":\"Q\"}"),
                        "", "v1", 8, &em),
             0);
    /* a dotted resource name (some aggregated APIs) is a valid DNS subdomain */
    CHECK_EQ(parse_list(R("{\"name\":\"a.b\",\"kind\":\"AB\",\"namespaced\":false}"), "", "v1", 8,
                        &em),
             1);
}

static void test_group_doc(void)
{
    struct ma_errmsg em = {{0}};
    char v[64];

    CHECK_EQ(parse_group("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"autoscaling\","
                         "\"versions\":[{\"groupVersion\":\"autoscaling/v2\",\"version\":\"v2\"},"
                         "{\"groupVersion\":\"autoscaling/v1\",\"version\":\"v1\"}],"
                         "\"preferredVersion\":{\"groupVersion\":\"autoscaling/v2\","
                         "\"version\":\"v2\"}}",
                         "autoscaling", v, sizeof v, &em),
             MA_OK);
    CHECK_STR(v, "v2");
    /* no preferredVersion: the first listed */
    CHECK_EQ(parse_group("{\"name\":\"x.io\",\"versions\":[{\"version\":\"v1beta1\"},"
                         "{\"version\":\"v1\"}]}",
                         "x.io", v, sizeof v, &em),
             MA_OK);
    CHECK_STR(v, "v1beta1");
    CHECK_EQ(parse_group("{\"name\":\"apps\",\"preferredVersion\":{\"version\":\"v1\"}}", "batch",
                         v, sizeof v, &em),
             MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "APIGroup does not name group batch");
    CHECK_EQ(parse_group("{\"name\":\"apps\",\"versions\":[]}", "apps", v, sizeof v, &em),
             MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "APIGroup apps lists no version");
    CHECK_EQ(parse_group("{\"name\":\"apps\",\"preferredVersion\":{\"version\":\"v1/x\"}}", "apps",
                         v, sizeof v, &em),
             MA_ERR_SYNTAX);
    CHECK_EQ(parse_group("{\"name\":\"apps\",\"preferredVersion\":\"v1\"}", "apps", v, sizeof v,
                         &em),
             MA_ERR_SYNTAX);
    CHECK_EQ(parse_group("{\"name\":\"apps\",\"preferredVersion\":{\"version\":\"v1\"}}", "apps",
                         v, 2, &em),
             MA_ERR_SYNTAX); /* no room: refused, not truncated */
    CHECK_EQ(parse_group("[]", "apps", v, sizeof v, &em), MA_ERR_SYNTAX);
}

static void test_valid_group(void)
{
    CHECK_EQ(ma_kube_discovery_valid_group(""), 1);
    CHECK_EQ(ma_kube_discovery_valid_group("metrics.k8s.io"), 1);
    CHECK_EQ(ma_kube_discovery_valid_group("my-group.example.com"), 1);
    CHECK_EQ(ma_kube_discovery_valid_group("Apps"), 0);
    CHECK_EQ(ma_kube_discovery_valid_group("a/b"), 0);
    CHECK_EQ(ma_kube_discovery_valid_group("a_b"), 0);
}

int main(void)
{
    T_RUN(test_core_singular_from_kind);
    T_RUN(test_named_group);
    T_RUN(test_bad_lists);
    T_RUN(test_edge_lists);
    T_RUN(test_group_doc);
    T_RUN(test_valid_group);
    T_END();
}
