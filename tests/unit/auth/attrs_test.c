/* auth/attrs.c: RequestInfo attributes (spec 5.7 table), the SubjectAccessReview spec JSON and
 * the Forbidden Status wording. */
#include "auth/attrs.h"

#include "t.h"

#include <string.h>

#include "auth/authn.h"
#include "base/buf.h"
#include "json/write.h"

#define CM1 "/apis/custom.metrics.k8s.io/v1beta1"
#define CM2 "/apis/custom.metrics.k8s.io/v1beta2"

static const struct row {
    const char *method, *path;
    int res;
    const char *verb, *ns, *group, *version, *resource, *sub, *name;
} rows[] = {
    {"GET", CM2 "/namespaces/default/pods/*/http_requests", 1, "get", "default",
     "custom.metrics.k8s.io", "v1beta2", "pods", "http_requests", "*"},
    {"GET", CM2 "/namespaces/default/deployments.apps/web/rps", 1, "get", "default",
     "custom.metrics.k8s.io", "v1beta2", "deployments.apps", "rps", "web"},
    {"GET", CM1 "/nodes/n1/load", 1, "get", "", "custom.metrics.k8s.io", "v1beta1", "nodes",
     "load", "n1"},
    {"GET", CM1 "/namespaces/default/metrics/queue_len", 1, "get", "default",
     "custom.metrics.k8s.io", "v1beta1", "metrics", "", "queue_len"},
    {"GET", "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", 1, "list",
     "default", "external.metrics.k8s.io", "v1beta1", "queue_depth", "", ""},
    {"GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", 1, "list", "default",
     "metrics.k8s.io", "v1beta1", "pods", "", ""},
    {"HEAD", CM1 "/namespaces/default", 1, "get", "default", "custom.metrics.k8s.io", "v1beta1",
     "namespaces", "", "default"},
    {"GET", CM1 "/namespaces/default/status", 1, "get", "default", "custom.metrics.k8s.io",
     "v1beta1", "namespaces", "status", "default"},
    {"GET", "/api/v1/namespaces/kube-system/configmaps/x", 1, "get", "kube-system", "", "v1",
     "configmaps", "", "x"},
    {"GET", CM1 "/watch/namespaces/a/pods", 1, "watch", "a", "custom.metrics.k8s.io", "v1beta1",
     "pods", "", ""},
    {"GET", "/apis", 0, "get", "", "", "", "", "", ""},
    {"GET", "/apis/custom.metrics.k8s.io", 0, "get", "", "", "", "", "", ""},
    {"GET", CM1, 0, "get", "", "", "", "", "", ""},
    {"GET", CM1 "/", 0, "get", "", "", "", "", "", ""},
    {"HEAD", "/healthz", 0, "head", "", "", "", "", "", ""},
    {"POST", "/openapi/v2", 0, "post", "", "", "", "", "", ""},
    {"POST", CM1 "/namespaces/a/pods", 1, "create", "a", "custom.metrics.k8s.io", "v1beta1",
     "pods", "", ""},
};

static void test_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        char path[256], scratch[256];
        struct ma_auth_attrs at;

        strcpy(path, r->path);
        ma_auth_attrs_parse(path, scratch, r->method, &at);
        CHECK_EQ(at.resource_request, r->res);
        CHECK_STR(at.verb, r->verb);
        CHECK_STR(at.path, r->path);
        if (r->res) {
            CHECK_STR(at.ns, r->ns);
            CHECK_STR(at.group, r->group);
            CHECK_STR(at.version, r->version);
            CHECK_STR(at.resource, r->resource);
            CHECK_STR(at.subresource, r->sub);
            CHECK_STR(at.name, r->name);
        }
    }
}

static const char *groups[] = {"system:serviceaccounts", "system:authenticated"};
static const char *jti[] = {"JTI=1"};
static struct ma_auth_extra extra[] = {{"authentication.kubernetes.io/credential-id", jti, 1}};

static void test_spec(void)
{
    char path[] = CM2 "/namespaces/default/pods/*/rps", scratch[sizeof path];
    char mem[2048];
    struct ma_auth_user u = {"system:serviceaccount:kube-system:hpa", "u1", groups, 2, extra, 1};
    struct ma_auth_attrs at;
    struct ma_buf b;
    struct ma_json_w w;

    ma_auth_attrs_parse(path, scratch, "GET", &at);
    ma_buf_init_fixed(&b, mem, sizeof mem - 1);
    ma_json_w_init(&w, &b, 0);
    ma_auth_attrs_write_spec(&at, &u, &w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    CHECK_STR(ma_buf_cstr(&b),
              "{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\",\"group\":"
              "\"custom.metrics.k8s.io\",\"version\":\"v1beta2\",\"resource\":\"pods\","
              "\"subresource\":\"rps\",\"name\":\"*\"},\"user\":\"system:serviceaccount:kube-"
              "system:hpa\",\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],"
              "\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=1\"]},\"uid\":"
              "\"u1\"}");
    /* the spec's 403 example */
    ma_buf_reset(&b);
    u.name = "system:serviceaccount:kube-system:horizontal-pod-autoscaler";
    {
        char p2[] = CM2 "/namespaces/default/pods/*/http_requests", s2[sizeof p2];

        ma_auth_attrs_parse(p2, s2, "GET", &at);
        ma_auth_attrs_forbidden(&at, &u, NULL, &b);
        CHECK_STR(ma_buf_cstr(&b),
                  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure"
                  "\",\"message\":\"pods.custom.metrics.k8s.io \\\"*\\\" is forbidden: User \\\""
                  "system:serviceaccount:kube-system:horizontal-pod-autoscaler\\\" cannot get "
                  "resource \\\"pods/http_requests\\\" in API group \\\"custom.metrics.k8s.io\\\" "
                  "in the namespace \\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name"
                  "\":\"*\",\"group\":\"custom.metrics.k8s.io\",\"kind\":\"pods\"},\"code\":403}");
    }
    {
        char p3[] = CM1, s3[sizeof p3];

        ma_buf_reset(&b);
        ma_auth_attrs_parse(p3, s3, "GET", &at);
        ma_auth_attrs_forbidden(&at, &u, "no", &b);
        CHECK(strstr(ma_buf_cstr(&b), "\"message\":\"forbidden: User \\\"system:serviceaccount:"
                                      "kube-system:horizontal-pod-autoscaler\\\" cannot get path "
                                      "\\\"" CM1 "\\\": no\",\"reason\":\"Forbidden\",\"details\":"
                                      "{},\"code\":403}") != NULL);
        ma_buf_reset(&b);
        ma_json_w_init(&w, &b, 0);
        ma_auth_attrs_write_spec(&at, &u, &w);
        CHECK(strncmp(ma_buf_cstr(&b), "{\"nonResourceAttributes\":{\"path\":\"" CM1
                                       "\",\"verb\":\"get\"},\"user\":",
                      60) == 0);
    }
    {
        char p4[] = CM1 "/nodes/n1/load", s4[sizeof p4];

        ma_buf_reset(&b);
        ma_auth_attrs_parse(p4, s4, "GET", &at);
        ma_auth_attrs_forbidden(&at, &u, "", &b);
        CHECK(strstr(ma_buf_cstr(&b), "in API group \\\"custom.metrics.k8s.io\\\" at the cluster "
                                      "scope\"") != NULL);
    }
}

/* The verb a query makes of method + path, as RequestInfo decodes the list options. */
static const char *verb_with(const char *method, const char *path, const char *query)
{
    static char p[256], scratch[256];
    static struct ma_auth_attrs at;

    strcpy(p, path);
    ma_auth_attrs_parse(p, scratch, method, &at);
    ma_auth_attrs_apply_query(&at, ma_str_c(query));
    return at.verb;
}

static void test_watch_query(void)
{
    const char *list = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth";

    CHECK_STR(verb_with("GET", list, "watch=true"), "watch");
    CHECK_STR(verb_with("GET", list, "labelSelector=a%3Db&watch=1"), "watch");
    CHECK_STR(verb_with("GET", list, "watch"), "watch");  /* empty: true for Go's bool codec */
    CHECK_STR(verb_with("GET", list, "watch="), "watch");
    CHECK_STR(verb_with("GET", list, "watch=yes"), "watch");
    CHECK_STR(verb_with("GET", list, "watch=a-long-value-beyond-sixteen"), "watch");
    CHECK_STR(verb_with("GET", list, "w%61tch=true"), "watch"); /* keys are decoded */
    CHECK_STR(verb_with("GET", list, "watch=false"), "list");
    CHECK_STR(verb_with("GET", list, "watch=FALSE"), "list");
    CHECK_STR(verb_with("GET", list, "watch=0"), "list");
    CHECK_STR(verb_with("GET", list, "watch=f%61lse"), "list");
    CHECK_STR(verb_with("GET", list, "watch=0&watch=1"), "list"); /* the first value counts */
    CHECK_STR(verb_with("GET", list, "watch=%zz&watch=0"), "list"); /* bad escape: pair dropped */
    CHECK_STR(verb_with("GET", list, "watch=true;x=1"), "list");   /* ';': pair dropped */
    CHECK_STR(verb_with("GET", list, ""), "list");
    CHECK_STR(verb_with("GET", list, "watcher=true&xwatch=1"), "list");
    /* only a nameless get becomes a watch */
    CHECK_STR(verb_with("GET", CM2 "/namespaces/default/pods/*/rps", "watch=true"), "get");
    CHECK_STR(verb_with("POST", list, "watch=true"), "create");
    CHECK_STR(verb_with("GET", CM1, "watch=true"), "get"); /* non-resource */
    CHECK_STR(verb_with("GET", CM1 "/watch/namespaces/a/pods", "watch=false"), "watch");
}

int main(void)
{
    T_RUN(test_rows);
    T_RUN(test_spec);
    T_RUN(test_watch_query);
    T_END();
}
