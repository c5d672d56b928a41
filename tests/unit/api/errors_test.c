/* ma_api_handle over the demo backend: every error answer, content negotiation, pretty printing,
 * HEAD, health endpoints and /version. Bodies are compared byte for byte. */

#include "fake.h"

#include "backend/demo.h"

#define T0 1767323045
#define CM1 "/apis/custom.metrics.k8s.io/v1beta1"
#define CM2 "/apis/custom.metrics.k8s.io/v1beta2"
#define EM1 "/apis/external.metrics.k8s.io/v1beta1"
#define JSON "application/json"
#define TEXT "text/plain; charset=utf-8"
#define NOSNIFF "X-Content-Type-Options: nosniff\r\n"

#define STATUS_HEAD                                                                                \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
#define NOT_FOUND(msg) STATUS_HEAD "\"message\":\"" msg "\",\"reason\":\"NotFound\",\"code\":404}\n"
#define BAD_REQUEST(msg)                                                                           \
    STATUS_HEAD "\"message\":\"" msg "\",\"reason\":\"BadRequest\",\"code\":400}\n"
#define NO_ROUTE                                                                                   \
    STATUS_HEAD "\"message\":\"the server could not find the requested resource\","                \
                "\"reason\":\"NotFound\",\"details\":{},\"code\":404}\n"

static struct ma_api_ctx api;
static const struct ma_provider_class **demo;

/* ---- routing errors -------------------------------------------------------------------------- */

static void test_no_route(void)
{
    static const char *const paths[] = {
        CM1 "/nodes/foo",      CM1 "/namespaces/ns/pods/bar",      CM1 "/blah",
        EM1 "/namespaces/foo", EM1 "/namespaces/foo/group/metric", "/apis/custom.metrics.k8s.io/v1",
        CM2 "/pods//x",
    };
    size_t i;

    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        CHECK_EQ(fx_get(&api, paths[i]), 404);
        CHECK_STR(resp.type, JSON);
        CHECK_BODY(NO_ROUTE);
    }
}

static void test_outside(void)
{
    static const char *const paths[] = {"/",
                                        "/apis/metrics.k8s.io/v1beta1/nodes",
                                        "/openapi/v3",
                                        "/healthz/ping",
                                        "/metrics"};
    size_t i;

    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        CHECK_EQ(fx_get(&api, paths[i]), 404);
        CHECK_STR(resp.type, TEXT);
        CHECK_STR(resp.headers, NOSNIFF);
        CHECK_BODY("404 page not found\n");
    }
    /* http.NotFound answers any method */
    CHECK_EQ(fx_send(&api, "DELETE", "/nowhere", NULL), 404);
    CHECK_BODY("404 page not found\n");
}

static void test_bad_path(void)
{
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/metrics"), 400);
    CHECK_BODY(BAD_REQUEST("invalid request path"));
    /* a bad %-escape never reaches a handler in Go's net/http */
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/pods/%zz/m"), 400);
    CHECK_STR(resp.type, TEXT);
    CHECK_BODY("400 Bad Request");
    CHECK_EQ(fx_get(&api, CM1 "/nodes/a%00b/m"), 400);
    CHECK_BODY("400 Bad Request");
}

static void test_method(void)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"};
    size_t i;

    for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        CHECK_EQ(fx_send(&api, methods[i], CM1, NULL), 405);
        CHECK_STR(resp.type, JSON);
        CHECK_BODY(STATUS_HEAD "\"message\":\"the server does not allow this method on the "
                               "requested resource\",\"reason\":\"MethodNotAllowed\","
                               "\"details\":{},\"code\":405}\n");
    }
    CHECK_EQ(fx_send(&api, "POST", "/healthz", NULL), 405);
}

/* ---- metric errors --------------------------------------------------------------------------- */

static void test_metric_not_found(void)
{
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/pods/%2A/nope"), 404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric nope for pods"));
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/default/services/x/http_requests_per_second"), 404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric http_requests_per_second for "
                         "services"));
    /* a metric of a namespaced resource asked root-scoped, and the reverse */
    CHECK_EQ(fx_get(&api, CM1 "/pods/%2A/http_requests_per_second"), 404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric http_requests_per_second for pods"));
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/nodes/%2A/node_load1"), 404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric node_load1 for nodes"));
    /* unknown objects by name */
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/pods/nope/http_requests_per_second"), 404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric http_requests_per_second for "
                         "pods nope"));
    CHECK_EQ(fx_get(&api, CM2 "/namespaces/other/deployments.apps/demo-web/"
                              "http_requests_per_second"),
             404);
    CHECK_BODY(NOT_FOUND("the server could not find the metric http_requests_per_second for "
                         "deployments.apps demo-web"));
}

static void test_bad_selectors(void)
{
    static const char *const targets[] = {
        CM1 "/namespaces/default/pods/%2A/http_requests_per_second?labelSelector=a%3D%3D%3Db",
        CM1 "/namespaces/default/pods/x/http_requests_per_second?labelSelector=%21%21",
        CM2 "/nodes/%2A/node_load1?metricLabelSelector=a+in+b",
        EM1 "/namespaces/default/demo_queue_depth?labelSelector=queue%3D%3D%3D",
    };
    size_t i;

    for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        size_t n = strlen(STATUS_HEAD "\"message\":\""), m;
        const char *tail = "\",\"reason\":\"BadRequest\",\"code\":400}\n";

        CHECK_EQ(fx_get(&api, targets[i]), 400);
        m = strlen(tail);
        CHECK(resp.len > n + m && memcmp(resp.body, STATUS_HEAD "\"message\":\"", n) == 0 &&
              strcmp(resp.body + resp.len - m, tail) == 0);
        CHECK(resp.len > n + m + 1); /* a message, not empty */
    }
    CHECK_EQ(fx_get(&api, CM1 "/nodes/%2A/node_load1?labelSelector=a%ZZ"), 400);
    CHECK_BODY(BAD_REQUEST("invalid URL escape in query parameter labelSelector"));
}

static void test_field_selector(void)
{
    const char *mismatch = BAD_REQUEST("fieldSelector metadata.name doesn't match requested name");

    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=metadata.name%3Dx"),
             400);
    CHECK_BODY(mismatch);
    CHECK_EQ(fx_get(&api, CM1 "/nodes/%2A/node_load1?fieldSelector=metadata.name%3Ddemo-node-0"),
             400);
    CHECK_BODY(mismatch);
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=metadata.namespace%3Dx"),
             400);
    CHECK_BODY(mismatch);
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=spec.x%3Dy"), 400);
    CHECK_BODY(BAD_REQUEST("\\\"spec.x\\\" is not a known field selector: only "
                           "\\\"metadata.name\\\", \\\"metadata.namespace\\\""));
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=metadata.name"), 400);
    CHECK_BODY(BAD_REQUEST("invalid selector: 'metadata.name'; can't understand 'metadata.name'"));
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=metadata.name%3Da%5Cx"),
             400);
    CHECK_BODY(BAD_REQUEST("invalid field selector: invalid escape sequence: \\\\x"));
    /* accepted forms */
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector=metadata.name%3D%3D"
                              "demo-node-0%2Cmetadata.namespace%21%3Dx"),
             200);
    CHECK_EQ(fx_get(&api, CM1 "/nodes/demo-node-0/node_load1?fieldSelector="), 200);
    CHECK_EQ(fx_get(&api, CM1 "/namespaces/default/metrics/queue_length"
                              "?fieldSelector=metadata.name%3Dqueue_length"),
             200);
    /* external: a list, so only the syntax matters */
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/d/demo_queue_depth?fieldSelector=metadata.name%3Dq"),
             200);
    CHECK_EQ(fx_get(&api, EM1 "/namespaces/d/demo_queue_depth?fieldSelector=x"), 400);
    CHECK_BODY(BAD_REQUEST("invalid selector: 'x'; can't understand 'x'"));
}

/* ---- negotiation and formatting -------------------------------------------------------------- */

static void test_accept(void)
{
    static const char *const ok[] = {
        "Accept: application/vnd.kubernetes.protobuf, */*\r\n",
        "Accept: application/json, */*\r\n",
        "Accept: application/json;as=Table;v=v1;g=meta.k8s.io\r\n",
        "Accept: text/html, Application/*;q=0.8\r\n",
        "Accept: \r\n",
        "Accept: text/html,  APPLICATION/JSON ; charset=utf-8\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_EQ(fx_send(&api, "GET", CM1, ok[i]), 200);
    CHECK_EQ(fx_send(&api, "GET", CM1, "Accept: application/vnd.kubernetes.protobuf\r\n"), 406);
    CHECK_STR(resp.type, JSON);
    CHECK_BODY("{\n"
               "  \"kind\": \"Status\",\n"
               "  \"apiVersion\": \"v1\",\n"
               "  \"metadata\": {},\n"
               "  \"status\": \"Failure\",\n"
               "  \"message\": \"only the following media types are accepted: application/json\",\n"
               "  \"reason\": \"NotAcceptable\",\n"
               "  \"code\": 406\n"
               "}");
    /* an error keeps its own code, written as WriteRawJSON does (indented) */
    CHECK_EQ(fx_send(&api, "GET", CM1 "/blah", "Accept: text/html\r\n"), 404);
    CHECK_BODY("{\n"
               "  \"kind\": \"Status\",\n"
               "  \"apiVersion\": \"v1\",\n"
               "  \"metadata\": {},\n"
               "  \"status\": \"Failure\",\n"
               "  \"message\": \"the server could not find the requested resource\",\n"
               "  \"reason\": \"NotFound\",\n"
               "  \"details\": {},\n"
               "  \"code\": 404\n"
               "}");
    /* health and version do not negotiate */
    CHECK_EQ(fx_send(&api, "GET", "/healthz", "Accept: text/html\r\n"), 200);
}

#define PRETTY_DEPLOYMENT                                                                          \
    "{\n"                                                                                          \
    "  \"kind\": \"MetricValueList\",\n"                                                           \
    "  \"apiVersion\": \"custom.metrics.k8s.io/v1beta2\",\n"                                       \
    "  \"metadata\": {},\n"                                                                        \
    "  \"items\": [\n"                                                                             \
    "    {\n"                                                                                      \
    "      \"describedObject\": {\n"                                                               \
    "        \"kind\": \"Deployment\",\n"                                                          \
    "        \"namespace\": \"default\",\n"                                                        \
    "        \"name\": \"demo-web\",\n"                                                            \
    "        \"apiVersion\": \"apps/v1\"\n"                                                        \
    "      },\n"                                                                                   \
    "      \"metric\": {\n"                                                                        \
    "        \"name\": \"http_requests_per_second\",\n"                                            \
    "        \"selector\": null\n"                                                                 \
    "      },\n"                                                                                   \
    "      \"timestamp\": \"2026-01-02T03:04:05Z\",\n"                                             \
    "      \"windowSeconds\": 60,\n"                                                               \
    "      \"value\": \"34425m\"\n"                                                                \
    "    }\n"                                                                                      \
    "  ]\n"                                                                                        \
    "}"

static void test_pretty(void)
{
    const char *dep = CM2 "/namespaces/default/deployments.apps/demo-web/http_requests_per_second";
    char target[256];

    snprintf(target, sizeof target, "%s?pretty=true", dep);
    CHECK_EQ(fx_get(&api, target), 200);
    CHECK_BODY(PRETTY_DEPLOYMENT);
    snprintf(target, sizeof target, "%s?pretty=1", dep);
    CHECK_EQ(fx_get(&api, target), 200);
    CHECK_BODY(PRETTY_DEPLOYMENT);
    CHECK_EQ(fx_send(&api, "GET", dep, "User-Agent: curl/8.5.0\r\n"), 200);
    CHECK_BODY(PRETTY_DEPLOYMENT);
    CHECK_EQ(fx_send(&api, "GET", dep, "User-Agent: Mozilla/5.0 (X11)\r\n"), 200);
    CHECK_BODY(PRETTY_DEPLOYMENT);
    /* an explicit pretty=false wins over the user agent; junk counts as false */
    snprintf(target, sizeof target, "%s?pretty=false", dep);
    CHECK_EQ(fx_send(&api, "GET", target, "User-Agent: Wget/1.21\r\n"), 200);
    CHECK(resp.len > 0 && resp.body[1] == '"' && resp.body[resp.len - 1] == '\n');
    snprintf(target, sizeof target, "%s?pretty=yes", dep);
    CHECK_EQ(fx_get(&api, target), 200);
    CHECK(resp.body[1] == '"');
    /* an empty value falls back to the user agent */
    snprintf(target, sizeof target, "%s?pretty=", dep);
    CHECK_EQ(fx_send(&api, "GET", target, "User-Agent: Wget/1.21\r\n"), 200);
    CHECK_BODY(PRETTY_DEPLOYMENT);
    /* kubectl is not a browser */
    CHECK_EQ(fx_send(&api, "GET", dep, "User-Agent: kubectl/v1.31.0 (linux/amd64)\r\n"), 200);
    CHECK(resp.body[1] == '"');
}

static void test_head(void)
{
    CHECK_EQ(fx_send(&api, "HEAD", CM1 "/nodes/demo-node-0/node_load1", NULL), 200);
    CHECK_STR(resp.type, JSON);
    CHECK(resp.len > 0); /* the server sends only its Content-Length */
}

/* ---- health and version ---------------------------------------------------------------------- */

static void test_health(void)
{
    static const char *const paths[] = {"/healthz", "/livez", "/readyz"};
    size_t i;

    for (i = 0; i < 3; i++) {
        CHECK_EQ(fx_get(&api, paths[i]), 200);
        CHECK_STR(resp.type, TEXT);
        CHECK_STR(resp.headers, NOSNIFF);
        CHECK_BODY("ok");
    }
    CHECK_EQ(fx_get(&api, "/healthz?verbose"), 200);
    CHECK_BODY("[+]ping ok\nhealthz check passed\n");
    CHECK_EQ(fx_get(&api, "/livez?verbose=false"), 200);
    CHECK_BODY("[+]ping ok\nlivez check passed\n");
    CHECK_EQ(fx_get(&api, "/readyz?verbose=1"), 200);
    CHECK_BODY("[+]ping ok\n[+]backend ok\n[+]shutdown ok\nreadyz check passed\n");
}

static void test_health_shutting_down(void)
{
    ma_api_set_shutting_down(&api, 1);
    CHECK_EQ(fx_get(&api, "/readyz"), 500);
    CHECK_STR(resp.type, TEXT);
    CHECK_STR(resp.headers, NOSNIFF);
    CHECK_BODY("[+]ping ok\n[+]backend ok\n[-]shutdown failed: reason withheld\n"
               "readyz check failed\n");
    CHECK_EQ(fx_get(&api, "/livez"), 200);
    CHECK_BODY("ok");
    CHECK_EQ(fx_get(&api, "/healthz"), 200);
    /* API requests are still served while draining */
    CHECK_EQ(fx_get(&api, CM1), 200);
    ma_api_set_shutting_down(&api, 0);
    CHECK_EQ(fx_get(&api, "/readyz"), 200);
}

/* kube-apiserver's OpenAPI aggregation logs an error and retries for ever on a 404 at /openapi/v2
 * (seen with v1.37 in tests/cluster): a valid, empty Swagger 2.0 document instead; v3 stays 404 */
static void test_openapi(void)
{
    char want[256];

    snprintf(want, sizeof want,
             "{\"swagger\":\"2.0\",\"info\":{\"title\":\"metrics-adapter\",\"version\":\"v%s\"},"
             "\"paths\":{}}\n",
             MA_VERSION);
    CHECK_EQ(fx_get(&api, "/openapi/v2"), 200);
    CHECK_STR(resp.type, JSON);
    CHECK_BODY(want);
    CHECK_EQ(fx_get(&api, "/openapi/v3"), 404);
    CHECK_BODY("404 page not found\n");
}

static void test_version(void)
{
    unsigned major = 99, minor = 99;
    char want[1024], commit[64] = "";
    const char *c;

    /* the build passes -DMA_VERSION="x.y.z" (VERSION file) and -DMA_GIT_COMMIT; the commit is
     * taken from the answer, since make does not rebuild objects when only HEAD moved */
    CHECK_EQ(sscanf(MA_VERSION, "%u.%u", &major, &minor), 2);
    CHECK_EQ(fx_get(&api, "/version"), 200);
    c = strstr(resp.body, "\"gitCommit\": \"");
    CHECK(c != NULL && sscanf(c + 14, "%63[^\"]", commit) == 1);
    snprintf(want, sizeof want,
             "{\n"
             "  \"major\": \"%u\",\n"
             "  \"minor\": \"%u\",\n"
             "  \"gitVersion\": \"v%s\",\n"
             "  \"gitCommit\": \"%s\",\n"
             "  \"gitTreeState\": \"\",\n"
             "  \"buildDate\": \"1970-01-01T00:00:00Z\",\n"
             "  \"goVersion\": \"\",\n"
             "  \"compiler\": \"%s\",\n"
             "  \"platform\": \"linux/%s\"\n"
             "}",
             major, minor, MA_VERSION, commit,
#if defined(__clang__)
             "clang",
#else
             "gcc",
#endif
#if defined(__x86_64__)
             "amd64"
#elif defined(__aarch64__)
             "arm64"
#else
             "unknown"
#endif
    );
    CHECK_STR(resp.type, JSON);
    CHECK_BODY(want);
}

int main(void)
{
    struct ma_backend_demo_config cfg = {T0, 2500, 0};

    demo = ma_backend_demo_new(NULL, &cfg);
    ma_api_init(&api, demo);
    T_RUN(test_no_route);
    T_RUN(test_outside);
    T_RUN(test_bad_path);
    T_RUN(test_method);
    T_RUN(test_metric_not_found);
    T_RUN(test_bad_selectors);
    T_RUN(test_field_selector);
    T_RUN(test_accept);
    T_RUN(test_pretty);
    T_RUN(test_head);
    T_RUN(test_health);
    T_RUN(test_health_shutting_down);
    T_RUN(test_version);
    T_RUN(test_openapi);
    fx_cleanup();
    ma_backend_demo_free(demo);
    T_END();
}
