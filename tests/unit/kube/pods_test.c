/* Includes both .c files to reach parse_rfc3339 (pod.c) and the index internals (pods.c). */
#include "../../../src/kube/pod.c"
#include "../../../src/kube/store.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/selector.h"
#include "t.h"
#include "json/read.h"

#define MAXTOK 512

/* Parse js and upsert its root; returns the upsert's code (or 99 when the JSON itself is bad). */
static int upsert(struct ma_kube_store *s, const char *js, struct ma_errmsg *em)
{
    jsmntok_t toks[MAXTOK];
    struct ma_json_doc d;

    if (ma_json_parse(&d, js, strlen(js), toks, MAXTOK, NULL) != MA_OK)
        return 99;
    return ma_kube_store_upsert(s, &d, 0, em);
}

/* A pod with the usual fields; labels is the inside of the labels object. */
static const char *pod_json(char *buf, size_t cap, const char *ns, const char *name,
                            const char *labels, const char *phase, const char *ready)
{
    snprintf(buf, cap,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\","
             "\"name\":\"%s\",\"uid\":\"u\",\"labels\":{%s},"
             "\"creationTimestamp\":\"2024-02-29T12:34:56Z\"},"
             "\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"c\"}]},"
             "\"status\":{\"phase\":\"%s\",\"podIP\":\"10.0.0.7\","
             "\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\"},"
             "{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
             ns, name, labels, phase, ready);
    return buf;
}

static const char *label(const struct ma_kube_pod *p, const char *key)
{
    size_t i;

    for (i = 0; i < p->meta.labels.n; i++)
        if (strcmp(p->meta.labels.items[i].key, key) == 0)
            return p->meta.labels.items[i].value;
    return NULL;
}

/* Collects "name," for each pod visited. */
struct names {
    char buf[4096];
    size_t len;
    int stop_at; /* stop (return 7) after this many pods; 0: never */
    int seen;
};

static int collect(const struct ma_kube_pod *p, void *arg)
{
    struct names *n = arg;

    n->len += (size_t)snprintf(n->buf + n->len, sizeof n->buf - n->len, "%s,", p->meta.name);
    n->seen++;
    return n->stop_at != 0 && n->seen == n->stop_at ? 7 : 0;
}

static const char *list(const struct ma_kube_store *s, const char *ns, const char *selector)
{
    static struct names n;
    struct ma_kube_selector sel;

    memset(&n, 0, sizeof n);
    if (selector != NULL) {
        if (ma_kube_selector_parse(selector, strlen(selector), &sel, NULL) != MA_OK)
            return "bad selector";
        ma_kube_pods_each(s, ns, &sel, collect, &n);
    } else {
        ma_kube_pods_each(s, ns, NULL, collect, &n);
    }
    return n.buf;
}

static void test_upsert_fields(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    const struct ma_kube_pod *p;
    char buf[2048];

    CHECK_EQ(upsert(s,
                    pod_json(buf, sizeof buf, "default", "web-1",
                             "\"app\":\"web\",\"pod-template-hash\":\"5d7f\","
                             "\"app.kubernetes.io/name\":\"w\\u00e9b\",\"empty\":\"\"",
                             "Running", "True"),
                    NULL),
             MA_OK);
    CHECK_EQ(ma_kube_store_count(s), 1);
    p = ma_kube_pods_get(s, "default", "web-1");
    CHECK(p != NULL);
    if (p == NULL)
        goto out;
    CHECK_STR(p->meta.namespace, "default");
    CHECK_STR(p->meta.name, "web-1");
    CHECK_STR(p->node_name, "node-1");
    CHECK_STR(p->pod_ip, "10.0.0.7");
    CHECK_STR(p->hostname, "");
    CHECK_STR(p->subdomain, "");
    CHECK_EQ(p->phase, MA_POD_RUNNING);
    CHECK_EQ(p->ready, 1);
    CHECK_EQ(p->host_network, 0);
    CHECK_EQ(p->created, 1709210096);
    CHECK_EQ(p->deleted, 0);
    CHECK_EQ(p->meta.labels.n, 4);
    CHECK_STR(label(p, "app"), "web");
    CHECK_STR(label(p, "pod-template-hash"), "5d7f");
    CHECK_STR(label(p, "app.kubernetes.io/name"), "w\xc3\xa9"
                                                  "b");
    CHECK_STR(label(p, "empty"), "");
    CHECK(ma_kube_pods_get(s, "default", "web-2") == NULL);
    CHECK(ma_kube_pods_get(s, "other", "web-1") == NULL);

    CHECK_EQ(upsert(s,
                    "{\"metadata\":{\"namespace\":\"kube-system\",\"name\":\"dns\","
                    "\"deletionTimestamp\":\"2024-03-01T00:00:00+01:00\",\"labels\":null},"
                    "\"spec\":{\"hostname\":\"dns-0\",\"subdomain\":\"dns\",\"hostNetwork\":true,"
                    "\"nodeName\":null},\"status\":{}}",
                    NULL),
             MA_OK);
    p = ma_kube_pods_get(s, "kube-system", "dns");
    CHECK(p != NULL);
    if (p == NULL)
        goto out;
    CHECK_STR(p->hostname, "dns-0");
    CHECK_STR(p->subdomain, "dns");
    CHECK_STR(p->node_name, "");
    CHECK_STR(p->pod_ip, "");
    CHECK_EQ(p->host_network, 1);
    CHECK_EQ(p->deleted, 1709247600);
    CHECK_EQ(p->created, 0);
    CHECK_EQ(p->meta.labels.n, 0);
    CHECK_EQ(p->phase, MA_POD_PENDING);
    CHECK_EQ(p->ready, 0);

    /* strings that take the decoder (escapes, raw UTF-8) and those copied raw agree */
    CHECK_EQ(upsert(s,
                    "{\"metadata\":{\"namespace\":\"u\",\"name\":\"p\\u0031\",\"labels\":{"
                    "\"raw\":\"caf\xc3\xa9\",\"esc\":\"a\\\"b\\\\c\\/d\",\"k\\u0065y\":\"v\"}},"
                    "\"spec\":{\"nodeName\":\"n\\u006fde\"}}",
                    NULL),
             MA_OK);
    p = ma_kube_pods_get(s, "u", "p1");
    CHECK(p != NULL);
    if (p == NULL)
        goto out;
    CHECK_STR(p->node_name, "node");
    CHECK_STR(label(p, "raw"), "caf\xc3\xa9");
    CHECK_STR(label(p, "esc"), "a\"b\\c/d");
    CHECK_STR(label(p, "key"), "v");
out:
    ma_kube_store_free(s);
}

static void test_replace_and_delete(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    const struct ma_kube_pod *p;
    char buf[2048];

    upsert(s, pod_json(buf, sizeof buf, "a", "x", "\"app\":\"v1\"", "Pending", "False"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "a", "y", "\"app\":\"v1\"", "Running", "True"), NULL);
    CHECK_EQ(upsert(s,
                    pod_json(buf, sizeof buf, "a", "x", "\"app\":\"v2\",\"tier\":\"fe\"", "Running",
                             "True"),
                    NULL),
             MA_OK);
    CHECK_EQ(ma_kube_store_count(s), 2);
    p = ma_kube_pods_get(s, "a", "x");
    CHECK(p != NULL && p->phase == MA_POD_RUNNING && p->ready == 1 && p->meta.labels.n == 2);
    CHECK_STR(p ? label(p, "app") : NULL, "v2");
    CHECK_STR(list(s, "a", "app=v1"), "y,");
    CHECK_STR(list(s, "a", "app=v2"), "x,");
    CHECK_STR(list(s, "a", NULL), "x,y,");

    CHECK_EQ(ma_kube_store_delete(s, "a", "x"), MA_OK);
    CHECK_EQ(ma_kube_store_delete(s, "a", "x"), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_kube_store_delete(s, "nope", "x"), MA_ERR_NOTFOUND);
    CHECK(ma_kube_pods_get(s, "a", "x") == NULL);
    CHECK_EQ(ma_kube_store_count(s), 1);
    CHECK_STR(list(s, "a", NULL), "y,");
    CHECK_EQ(ma_kube_store_delete(s, "a", "y"), MA_OK);
    CHECK_EQ(ma_kube_store_count(s), 0);
    CHECK_EQ(s->nns, 0); /* the emptied namespace is gone */
    CHECK_EQ(s->by_ns.n, 0);
    CHECK_STR(list(s, "a", NULL), "");
    /* and comes back */
    CHECK_EQ(upsert(s, pod_json(buf, sizeof buf, "a", "z", "", "Running", "True"), NULL), MA_OK);
    CHECK_STR(list(s, "a", NULL), "z,");
    ma_kube_store_free(s);
}

static void test_phases_and_ready(void)
{
    static const struct {
        const char *status;
        enum ma_kube_pod_phase phase;
        int ready;
        const char *comment;
    } rows[] = {
        {"{\"phase\":\"Pending\"}", MA_POD_PENDING, 0, "no conditions"},
        {"{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}",
         MA_POD_RUNNING, 1, "ready"},
        {"{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}",
         MA_POD_RUNNING, 0, "not ready"},
        {"{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}",
         MA_POD_RUNNING, 0, "ready unknown"},
        {"{\"phase\":\"Running\",\"conditions\":[{\"type\":\"ContainersReady\","
         "\"status\":\"True\"}]}",
         MA_POD_RUNNING, 0, "only ContainersReady"},
        {"{\"phase\":\"Running\",\"conditions\":[{\"status\":\"True\"},{\"type\":\"Ready\"}]}",
         MA_POD_RUNNING, 0, "fields missing"},
        {"{\"phase\":\"Succeeded\",\"conditions\":[]}", MA_POD_SUCCEEDED, 0, "succeeded"},
        {"{\"phase\":\"Failed\"}", MA_POD_FAILED, 0, "failed"},
        {"{\"phase\":\"Unknown\"}", MA_POD_UNKNOWN, 0, "unknown"},
        {"{\"phase\":\"Hibernating\"}", MA_POD_UNKNOWN, 0, "future phase"},
        {"{\"phase\":\"running\"}", MA_POD_UNKNOWN, 0, "case matters"},
        {"{\"phase\":\"\"}", MA_POD_PENDING, 0, "empty phase"},
        {"{}", MA_POD_PENDING, 0, "no phase"},
        {"null", MA_POD_PENDING, 0, "null status"},
        {"{\"phase\":null,\"conditions\":null}", MA_POD_PENDING, 0, "nulls"},
        {"{\"phase\":\"R\\u0075nning\"}", MA_POD_RUNNING, 0, "escaped"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
        const struct ma_kube_pod *p;
        char buf[1024];

        snprintf(buf, sizeof buf,
                 "{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":%s}",
                 rows[i].status);
        CHECK_EQ(upsert(s, buf, NULL), MA_OK);
        p = ma_kube_pods_get(s, "n", "p");
        if (p == NULL || p->phase != rows[i].phase || p->ready != rows[i].ready)
            fprintf(stderr, "row %zu (%s)\n", i, rows[i].comment);
        CHECK(p != NULL && p->phase == rows[i].phase);
        CHECK(p != NULL && p->ready == rows[i].ready);
        ma_kube_store_free(s);
    }
}

static void test_rfc3339(void)
{
    static const struct {
        const char *in;
        int rc;
        long long want;
        const char *comment;
    } rows[] = {
        {"2024-02-29T12:34:56Z", MA_OK, 1709210096, "leap day"},
        {"1999-12-31T23:59:59Z", MA_OK, 946684799, ""},
        {"2000-03-01T00:00:00Z", MA_OK, 951868800, "after a 400-year leap day"},
        {"2100-02-28T00:00:00Z", MA_OK, 4107456000LL, "2100 is no leap year"},
        {"1969-07-20T20:17:40Z", MA_OK, -14182940, "before the epoch"},
        {"1970-01-01T00:00:00Z", MA_OK, 0, "epoch"},
        {"2024-02-29T12:34:56.123456Z", MA_OK, 1709210096, "fraction dropped"},
        {"2024-02-29T12:34:56z", MA_OK, 1709210096, "lowercase z"},
        {"2024-02-29t12:34:56Z", MA_OK, 1709210096, "lowercase t"},
        {"2024-02-29T14:34:56+02:00", MA_OK, 1709210096, "east offset"},
        {"2024-02-29T07:04:56-05:30", MA_OK, 1709210096, "west offset"},
        {"2024-02-29T12:34:56.5+00:00", MA_OK, 1709210096, "fraction and offset"},
        {"2023-02-29T00:00:00Z", MA_ERR_SYNTAX, 0, "not a leap year"},
        {"1900-02-29T00:00:00Z", MA_ERR_SYNTAX, 0, "1900 not a leap year"},
        {"2024-13-01T00:00:00Z", MA_ERR_SYNTAX, 0, "month 13"},
        {"2024-00-01T00:00:00Z", MA_ERR_SYNTAX, 0, "month 0"},
        {"2024-04-31T00:00:00Z", MA_ERR_SYNTAX, 0, "April 31"},
        {"2024-01-01T24:00:00Z", MA_ERR_SYNTAX, 0, "hour 24"},
        {"2024-01-01T00:60:00Z", MA_ERR_SYNTAX, 0, "minute 60"},
        {"2024-01-01T00:00:60Z", MA_ERR_SYNTAX, 0, "leap second refused like Go"},
        {"2024-01-01 00:00:00Z", MA_ERR_SYNTAX, 0, "space separator"},
        {"2024-01-01T00:00:00", MA_ERR_SYNTAX, 0, "no zone"},
        {"2024-01-01T00:00:00.Z", MA_ERR_SYNTAX, 0, "empty fraction"},
        {"2024-01-01T00:00:00+0100", MA_ERR_SYNTAX, 0, "offset without colon"},
        {"2024-01-01T00:00:00+24:00", MA_ERR_SYNTAX, 0, "offset hour 24"},
        {"2024-01-01T00:00:00ZZ", MA_ERR_SYNTAX, 0, "trailing"},
        {"2024-1-01T00:00:00Z", MA_ERR_SYNTAX, 0, "short month"},
        {"+024-01-01T00:00:00Z", MA_ERR_SYNTAX, 0, "sign in year"},
        {"", MA_ERR_SYNTAX, 0, "empty"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        time_t t = 12345;
        int rc = parse_rfc3339(rows[i].in, strlen(rows[i].in), &t);
        if (rc != rows[i].rc || (rc == MA_OK && (long long)t != rows[i].want))
            fprintf(stderr, "row %zu %s (%s): rc %d t %lld\n", i, rows[i].in, rows[i].comment, rc,
                    (long long)t);
        CHECK_EQ(rc, rows[i].rc);
        if (rc == MA_OK)
            CHECK_EQ(t, rows[i].want);
    }
    /* round trip with the writer, over leap days and century boundaries */
    for (long long v = -2208988800LL; v < 4102444800LL * 2; v += 86400LL * 97 + 3601) {
        char out[MA_TIME_RFC3339_LEN];
        time_t t = 0;
        ma_time_rfc3339((time_t)v, out);
        CHECK_EQ(parse_rfc3339(out, strlen(out), &t), MA_OK);
        if ((long long)t != v) {
            fprintf(stderr, "round trip %lld -> %s -> %lld\n", v, out, (long long)t);
            CHECK_EQ(t, v);
            break;
        }
    }
}

static void test_selector_per_namespace(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    char buf[2048];
    struct names n;
    struct ma_kube_selector sel;

    upsert(
        s,
        pod_json(buf, sizeof buf, "a", "web-2", "\"app\":\"web\",\"v\":\"2\"", "Running", "True"),
        NULL);
    upsert(s, pod_json(buf, sizeof buf, "a", "db-0", "\"app\":\"db\"", "Running", "True"), NULL);
    upsert(
        s,
        pod_json(buf, sizeof buf, "a", "web-1", "\"app\":\"web\",\"v\":\"1\"", "Running", "True"),
        NULL);
    upsert(s, pod_json(buf, sizeof buf, "b", "web-0", "\"app\":\"web\"", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "ab", "web-9", "\"app\":\"web\"", "Running", "True"), NULL);

    CHECK_STR(list(s, "a", "app=web"), "web-1,web-2,");
    CHECK_STR(list(s, "b", "app=web"), "web-0,");
    CHECK_STR(list(s, "ab", "app=web"), "web-9,");
    CHECK_STR(list(s, "a", "app in (web,db),v!=2"), "db-0,web-1,");
    CHECK_STR(list(s, "a", "v"), "web-1,web-2,");
    CHECK_STR(list(s, "a", "!v"), "db-0,");
    CHECK_STR(list(s, "a", ""), "db-0,web-1,web-2,");
    CHECK_STR(list(s, "a", "app=none"), "");
    CHECK_STR(list(s, "c", ""), "");
    CHECK_STR(list(s, "", ""), "");

    /* fn's non-zero return stops the walk and is returned */
    memset(&n, 0, sizeof n);
    n.stop_at = 2;
    ma_kube_selector_parse("", 0, &sel, NULL);
    CHECK_EQ(ma_kube_pods_each(s, "a", &sel, collect, &n), 7);
    CHECK_STR(n.buf, "db-0,web-1,");
    ma_kube_store_free(s);
}

static void test_name_order(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    static const char *const names[] = {"m", "b", "z", "a", "mm", "m-1", "A", "0", "ma", "y"};
    char buf[2048];
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_EQ(upsert(s, pod_json(buf, sizeof buf, "ns", names[i], "", "Running", "True"), NULL),
                 MA_OK);
    CHECK_STR(list(s, "ns", NULL), "0,A,a,b,m,m-1,ma,mm,y,z,");
    ma_kube_store_delete(s, "ns", "m");
    ma_kube_store_delete(s, "ns", "0");
    ma_kube_store_delete(s, "ns", "z");
    CHECK_STR(list(s, "ns", NULL), "A,a,b,m-1,ma,mm,y,");
    ma_kube_store_free(s);
}

/* Issue 3 regression (found by tests/integration/55-kube-cache.py): a Service on the pods watch
 * was stored as a pod. LIST items carry no kind and stay accepted. */
static void test_issue3_other_kinds_are_not_pods(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    struct ma_errmsg em;

    CHECK_EQ(upsert(s, "{\"kind\":\"Service\",\"metadata\":{\"namespace\":\"a\",\"name\":\"svc\"},"
                       "\"status\":{\"phase\":\"Running\"}}",
                    &em),
             MA_ERR_SYNTAX);
    CHECK_STR(em.msg, "pod: object of kind \"Service\" is not a Pod");
    CHECK_EQ(upsert(s, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"p\"}}", &em), MA_OK);
    CHECK_EQ(upsert(s, "{\"kind\":null,\"metadata\":{\"namespace\":\"a\",\"name\":\"q\"}}", &em),
             MA_OK);
    CHECK_EQ(ma_kube_store_count(s), 2);
    ma_kube_store_free(s);
}

/* Issue 3 regression (found by tests/integration/55-kube-cache.py): with one informer per
 * --watch-namespace sharing the store, namespace b's relist marked and swept namespace a's pods.
 * Mark and sweep are now scoped to the informer's namespace. */
static void test_issue3_relist_of_one_namespace_keeps_the_others(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    char buf[2048];

    upsert(s, pod_json(buf, sizeof buf, "a", "a1", "", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "b", "b1", "", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "b", "b2", "", "Running", "True"), NULL);
    ma_kube_store_mark(s, "b");
    upsert(s, pod_json(buf, sizeof buf, "b", "b2", "", "Running", "True"), NULL);
    /* a's relist runs at the same time: its sweep must not take b's marked pods */
    ma_kube_store_mark(s, "a");
    upsert(s, pod_json(buf, sizeof buf, "a", "a1", "", "Running", "True"), NULL);
    CHECK_EQ(ma_kube_store_sweep(s, "a"), 0);
    CHECK_STR(list(s, "b", NULL), "b1,b2,");
    CHECK_EQ(ma_kube_store_sweep(s, "b"), 1);
    CHECK_STR(list(s, "a", NULL), "a1,");
    CHECK_STR(list(s, "b", NULL), "b2,");
    CHECK_EQ(ma_kube_store_sweep(s, "zz"), 0); /* unknown namespace: nothing */
    ma_kube_store_free(s);
}

static void test_mark_sweep(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    char buf[2048];

    upsert(s, pod_json(buf, sizeof buf, "a", "keep", "\"v\":\"1\"", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "a", "gone", "", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "b", "gone", "", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "c", "gone", "", "Running", "True"), NULL);
    ma_kube_store_mark(s, NULL);
    upsert(s, pod_json(buf, sizeof buf, "a", "keep", "\"v\":\"2\"", "Running", "True"), NULL);
    upsert(s, pod_json(buf, sizeof buf, "d", "new", "", "Running", "True"), NULL);
    CHECK_EQ(ma_kube_store_sweep(s, NULL), 3);
    CHECK_EQ(ma_kube_store_count(s), 2);
    CHECK_STR(list(s, "a", NULL), "keep,");
    CHECK_STR(list(s, "a", "v=2"), "keep,");
    CHECK_STR(list(s, "b", NULL), "");
    CHECK_STR(list(s, "d", NULL), "new,");
    CHECK_EQ(s->nns, 2);
    CHECK(ma_kube_pods_get(s, "b", "gone") == NULL);
    CHECK(ma_kube_pods_get(s, "d", "new") != NULL);
    /* a sweep without a mark drops nothing; marking everything and sweeping empties the store */
    CHECK_EQ(ma_kube_store_sweep(s, NULL), 0);
    ma_kube_store_mark(s, NULL);
    CHECK_EQ(ma_kube_store_sweep(s, NULL), 2);
    CHECK_EQ(ma_kube_store_count(s), 0);
    CHECK_EQ(s->nns, 0);
    CHECK_EQ(s->by_name.n, 0);
    ma_kube_store_free(s);
}

static void test_malformed(void)
{
    static const struct {
        const char *json;
        int rc;
        const char *msg; /* substring of the message */
    } rows[] = {
        {"[]", MA_ERR_SYNTAX, "not a JSON object"},
        {"\"pod\"", MA_ERR_SYNTAX, "not a JSON object"},
        {"{}", MA_ERR_SYNTAX, "metadata.namespace is missing"},
        {"{\"metadata\":{\"namespace\":\"n\"}}", MA_ERR_SYNTAX, "metadata.name is missing"},
        {"{\"metadata\":{\"name\":\"p\"}}", MA_ERR_SYNTAX, "metadata.namespace is missing"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"\"}}", MA_ERR_SYNTAX, "name is missing"},
        {"{\"metadata\":[]}", MA_ERR_SYNTAX, "metadata is not an object"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":7}}", MA_ERR_SYNTAX,
         "metadata.name is not a string"},
        {"{\"metadata\":{\"namespace\":true,\"name\":\"p\"}}", MA_ERR_SYNTAX,
         "metadata.namespace is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"labels\":[]}}", MA_ERR_SYNTAX,
         "pod n/p: metadata.labels is not an object"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"labels\":{\"a\":1}}}", MA_ERR_SYNTAX,
         "metadata.labels value is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"labels\":{\"a\":{}}}}", MA_ERR_SYNTAX,
         "labels value is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"creationTimestamp\":\"yesterday\"}}",
         MA_ERR_SYNTAX, "creationTimestamp is not an RFC 3339 time"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"deletionTimestamp\":1}}",
         MA_ERR_SYNTAX, "deletionTimestamp is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"spec\":\"x\"}", MA_ERR_SYNTAX,
         "spec is not an object"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":[]}", MA_ERR_SYNTAX,
         "status is not an object"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"spec\":{\"nodeName\":[]}}",
         MA_ERR_SYNTAX, "spec.nodeName is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"spec\":{\"hostNetwork\":\"true\"}}",
         MA_ERR_SYNTAX, "spec.hostNetwork is not a boolean"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"phase\":1}}",
         MA_ERR_SYNTAX, "status.phase is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"podIP\":false}}",
         MA_ERR_SYNTAX, "status.podIP is not a string"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"conditions\":{}}}",
         MA_ERR_SYNTAX, "status.conditions is not an array"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"conditions\":[1]}}",
         MA_ERR_SYNTAX, "status.conditions has a malformed entry"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"conditions\":"
         "[{\"type\":\"Ready\",\"status\":true}]}}",
         MA_ERR_SYNTAX, "status.conditions has a malformed entry"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\"},\"status\":{\"podIP\":"
         "\"0123456789012345678901234567890123456789012345\"}}",
         MA_ERR_LIMIT, "status.podIP is too long"},
        {"{\"metadata\":{\"namespace\":\"n\",\"name\":\"p\",\"labels\":{\"a\":"
         "\"0123456789012345678901234567890123456789012345678901234567890123\"}}}",
         MA_ERR_LIMIT, "metadata.labels value is too long"},
        {"{\"metadata\":{\"namespace\":"
         "\"0123456789012345678901234567890123456789012345678901234567890123\",\"name\":\"p\"}}",
         MA_ERR_LIMIT, "metadata.namespace is too long"},
    };
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    char buf[2048];
    size_t i;

    upsert(s, pod_json(buf, sizeof buf, "n", "p", "\"app\":\"orig\"", "Running", "True"), NULL);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_errmsg em = {""};
        const struct ma_kube_pod *p;
        int rc = upsert(s, rows[i].json, &em);

        if (rc != rows[i].rc || strstr(em.msg, rows[i].msg) == NULL)
            fprintf(stderr, "row %zu: rc %d msg \"%s\", want %d \"%s\"\n", i, rc, em.msg,
                    rows[i].rc, rows[i].msg);
        CHECK_EQ(rc, rows[i].rc);
        CHECK(strstr(em.msg, rows[i].msg) != NULL);
        /* the store is unchanged */
        CHECK_EQ(ma_kube_store_count(s), 1);
        p = ma_kube_pods_get(s, "n", "p");
        CHECK(p != NULL && strcmp(label(p, "app"), "orig") == 0 && p->ready == 1);
    }
    ma_kube_store_free(s);
}

static void test_limits(void)
{
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    struct ma_errmsg em = {""};
    char buf[8192], name[300];
    size_t len, i;

    /* MA_KUBE_MAX_LABELS labels are fine, one more is not */
    for (int extra = 0; extra <= 1; extra++) {
        len = (size_t)snprintf(buf, sizeof buf,
                               "{\"metadata\":{\"namespace\":\"n\",\"name\":\"l%d\",\"labels\":{",
                               extra);
        for (i = 0; i < MA_KUBE_MAX_LABELS + (size_t)extra; i++)
            len +=
                (size_t)snprintf(buf + len, sizeof buf - len, "%s\"k%zu\":\"v\"", i ? "," : "", i);
        snprintf(buf + len, sizeof buf - len, "}}}");
        CHECK_EQ(upsert(s, buf, &em), extra ? MA_ERR_LIMIT : MA_OK);
    }
    CHECK(strstr(em.msg, "pod n/l1: metadata.labels has too many entries") != NULL);
    CHECK_EQ(ma_kube_store_count(s), 1);
    CHECK_EQ(ma_kube_pods_get(s, "n", "l0")->meta.labels.n, MA_KUBE_MAX_LABELS);

    /* a 253-byte name is fine, 254 is not */
    memset(name, 'x', sizeof name);
    name[MA_KUBE_MAX_NAME] = '\0';
    snprintf(buf, sizeof buf, "{\"metadata\":{\"namespace\":\"n\",\"name\":\"%s\"}}", name);
    CHECK_EQ(upsert(s, buf, NULL), MA_OK);
    name[MA_KUBE_MAX_NAME] = 'x';
    name[MA_KUBE_MAX_NAME + 1] = '\0';
    snprintf(buf, sizeof buf, "{\"metadata\":{\"namespace\":\"n\",\"name\":\"%s\"}}", name);
    CHECK_EQ(upsert(s, buf, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "metadata.name is too long") != NULL);
    CHECK_EQ(ma_kube_store_count(s), 2);
    ma_kube_store_free(s);
}

/* Many pods in many namespaces, with deletions: the open-addressing deletion (backward shift)
 * must keep every remaining pod reachable, and each namespace array sorted. */
static void test_index_stress(void)
{
    enum { N = 6000, NS = 37 };
    struct ma_kube_store *s = ma_kube_store_new(&ma_kube_pod_class);
    static unsigned char alive[N];
    char buf[1024], ns[16], name[32];
    unsigned x = 12345;
    size_t i, j, total = 0;

    for (i = 0; i < N; i++) {
        size_t k = (i * 2654435761u) % N; /* a permutation: N is coprime with the multiplier */
        snprintf(ns, sizeof ns, "ns-%zu", k % NS);
        snprintf(name, sizeof name, "pod-%zu", k);
        CHECK_EQ(upsert(s, pod_json(buf, sizeof buf, ns, name, "\"app\":\"a\"", "Running", "True"),
                        NULL),
                 MA_OK);
        alive[k] = 1;
    }
    for (i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        size_t k = (x >> 8) % N;
        snprintf(ns, sizeof ns, "ns-%zu", k % NS);
        snprintf(name, sizeof name, "pod-%zu", k);
        CHECK_EQ(ma_kube_store_delete(s, ns, name), alive[k] ? MA_OK : MA_ERR_NOTFOUND);
        alive[k] = 0;
    }
    for (i = 0; i < N; i++) {
        snprintf(ns, sizeof ns, "ns-%zu", i % NS);
        snprintf(name, sizeof name, "pod-%zu", i);
        CHECK_EQ(ma_kube_pods_get(s, ns, name) != NULL, alive[i]);
        total += alive[i];
    }
    CHECK_EQ(ma_kube_store_count(s), total);
    CHECK_EQ(s->by_name.n, total);
    for (i = 0; i < s->nns; i++)
        for (j = 1; j < s->nss[i]->n; j++)
            CHECK(strcmp(s->nss[i]->recs[j - 1]->name, s->nss[i]->recs[j]->name) < 0);
    ma_kube_store_free(s);
}

int main(void)
{
    T_RUN(test_upsert_fields);
    T_RUN(test_replace_and_delete);
    T_RUN(test_phases_and_ready);
    T_RUN(test_rfc3339);
    T_RUN(test_selector_per_namespace);
    T_RUN(test_name_order);
    T_RUN(test_mark_sweep);
    T_RUN(test_issue3_relist_of_one_namespace_keeps_the_others);
    T_RUN(test_issue3_other_kinds_are_not_pods);
    T_RUN(test_malformed);
    T_RUN(test_limits);
    T_RUN(test_index_stress);
    T_END();
}
