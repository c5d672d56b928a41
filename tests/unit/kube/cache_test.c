#include "kube/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "t.h"
#include "json/read.h"

/* What the callbacks saw, one line per call: "add ns/name rv spec.v", "upd ns/name rv->rv",
 * "del ns/name rv"; plus what a lookup of the same key returned from inside the callback. */
struct log {
    char text[4096];
    size_t len;
    struct ma_kube_cache *c;
    int ntok_sum; /* tokens of every document handed to a callback */
};

static void str_at(const struct ma_json_doc *d, const char *path, char *out, size_t cap)
{
    int t = ma_json_path(d, 0, path);

    if (t < 0 || ma_json_str(d, t, out, cap) < 0)
        snprintf(out, cap, "-");
}

static void describe(struct log *l, const char *what, const struct ma_json_doc *d)
{
    char ns[64], name[64], rv[32], v[64];

    str_at(d, "metadata.namespace", ns, sizeof ns);
    str_at(d, "metadata.name", name, sizeof name);
    str_at(d, "metadata.resourceVersion", rv, sizeof rv);
    str_at(d, "spec.v", v, sizeof v);
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s %s/%s %s %s", what,
                               ns, name, rv, v);
    l->ntok_sum += d->ntok;
}

/* " in:<rv of the stored object>" or " in:none": proves the store's state during the call */
static void lookup(struct log *l, const struct ma_json_doc *d)
{
    char ns[64], name[64];
    const struct ma_kube_cache_obj *o;

    str_at(d, "metadata.namespace", ns, sizeof ns);
    str_at(d, "metadata.name", name, sizeof name);
    o = ma_kube_cache_get(l->c, strcmp(ns, "-") == 0 ? "" : ns, name);
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, " in:%s;",
                               o ? o->resource_version : "none");
}

static void on_add(void *arg, const struct ma_json_doc *obj)
{
    describe(arg, "add", obj);
    lookup(arg, obj);
}

static void on_update(void *arg, const struct ma_json_doc *was, const struct ma_json_doc *now)
{
    struct log *l = arg;
    char rv[32];

    describe(l, "upd", now);
    str_at(was, "metadata.resourceVersion", rv, sizeof rv);
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, " was:%s", rv);
    str_at(was, "spec.v", rv, sizeof rv);
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, ",%s", rv);
    l->ntok_sum += was->ntok;
    lookup(l, now);
}

static void on_delete(void *arg, const struct ma_json_doc *obj)
{
    describe(arg, "del", obj);
    lookup(arg, obj);
}

static struct ma_kube_cache *make(struct log *l, size_t max_object)
{
    struct ma_kube_cache_config cfg = {"widgets", max_object, {on_add, on_update, on_delete, l}};

    memset(l, 0, sizeof *l);
    l->c = ma_kube_cache_new(&cfg);
    return l->c;
}

static int upsert(struct ma_kube_cache *c, const char *js, struct ma_errmsg *em)
{
    jsmntok_t toks[256];
    struct ma_json_doc d;

    if (ma_json_parse(&d, js, strlen(js), toks, 256, NULL) != MA_OK)
        return 99;
    return ma_kube_cache_upsert(c, &d, 0, em);
}

static const char *obj(char *buf, size_t cap, const char *ns, const char *name, const char *rv,
                       const char *v)
{
    if (ns != NULL)
        snprintf(buf, cap,
                 "{\"kind\":\"Widget\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
                 "\"resourceVersion\":\"%s\"},\"spec\":{\"v\":\"%s\"}}",
                 ns, name, rv, v);
    else
        snprintf(buf, cap,
                 "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"%s\",\"resourceVersion\":\"%s\"},"
                 "\"spec\":{\"v\":\"%s\"}}",
                 name, rv, v);
    return buf;
}

static void test_callbacks(void)
{
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    char b[512];

    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "x", "1", "one"), NULL), MA_OK);
    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "y", "2", "two"), NULL), MA_OK);
    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "x", "3", "three"), NULL), MA_OK);
    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "x", "3", "three"), NULL), MA_OK); /* unchanged */
    CHECK_EQ(ma_kube_cache_delete(c, "a", "y"), MA_OK);
    CHECK_EQ(ma_kube_cache_delete(c, "a", "y"), MA_ERR_NOTFOUND);
    CHECK_EQ(ma_kube_cache_delete(c, "b", "x"), MA_ERR_NOTFOUND);
    CHECK_STR(l.text, "add a/x 1 one in:1;"
                      "add a/y 2 two in:2;"
                      "upd a/x 3 three was:1,one in:3;"
                      "del a/y 2 two in:none;");
    CHECK_EQ(ma_kube_cache_count(c), 1);
    /* each document was parsed with exactly the object's token count */
    CHECK_EQ(l.ntok_sum, 5 * 15);
    ma_kube_cache_free(c);
}

static void test_stored_copy(void)
{
    static const char in[] = " {\n  \"metadata\" : { \"name\" : \"w\" ,\"resourceVersion\":\"42\","
                             "\"namespace\":\"n\\u0073\"},\n\t\"spec\": {\"s\": \"a b\\\" \\\\ c\","
                             " \"n\": [1, 2.5e3 ,true, null]\r}\n} ";
    static const char want[] = "{\"metadata\":{\"name\":\"w\",\"resourceVersion\":\"42\","
                               "\"namespace\":\"n\\u0073\"},\"spec\":{\"s\":\"a b\\\" \\\\ c\","
                               "\"n\":[1,2.5e3,true,null]}}";
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    const struct ma_kube_cache_obj *o;
    jsmntok_t toks[64];
    struct ma_json_doc d;
    char s[32];

    CHECK_EQ(upsert(c, in, NULL), MA_OK);
    o = ma_kube_cache_get(c, "ns", "w");
    CHECK(o != NULL);
    if (o == NULL)
        goto out;
    CHECK_STR(o->namespace, "ns"); /* unescaped key */
    CHECK_STR(o->name, "w");
    CHECK_STR(o->resource_version, "42");
    CHECK_STR(o->json, want);
    CHECK_EQ(o->json_len, strlen(want));
    CHECK_EQ(o->ntok, 19);
    CHECK_EQ(ma_kube_cache_obj_parse(o, &d, toks, o->ntok - 1), MA_ERR_LIMIT);
    CHECK_EQ(ma_kube_cache_obj_parse(o, &d, toks, o->ntok), MA_OK);
    CHECK_EQ(ma_json_str(&d, ma_json_path(&d, 0, "spec.s"), s, sizeof s), 8);
    CHECK_STR(s, "a b\" \\ c");
out:
    ma_kube_cache_free(c);
}

static int collect(const struct ma_kube_cache_obj *o, void *arg)
{
    char *out = arg;

    strcat(out, o->namespace);
    strcat(out, "/");
    strcat(out, o->name);
    strcat(out, ",");
    return strcmp(o->name, "stop") == 0 ? 5 : 0;
}

static void test_iteration_and_scope(void)
{
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    char b[512], out[512];

    upsert(c, obj(b, sizeof b, "b", "y", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, "a", "z", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, NULL, "cluster-wide", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, "a-b", "x", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, "a", "m", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, "c", "stop", "1", ""), NULL);
    upsert(c, obj(b, sizeof b, "c", "unseen", "1", ""), NULL);
    CHECK(ma_kube_cache_get(c, "", "cluster-wide") != NULL);
    CHECK(ma_kube_cache_get(c, "a", "cluster-wide") == NULL);
    out[0] = '\0';
    CHECK_EQ(ma_kube_cache_each(c, NULL, collect, out), 5);
    CHECK_STR(out, "/cluster-wide,a/m,a/z,a-b/x,b/y,c/stop,");
    out[0] = '\0';
    CHECK_EQ(ma_kube_cache_each(c, "a", collect, out), 0);
    CHECK_STR(out, "a/m,a/z,");
    out[0] = '\0';
    CHECK_EQ(ma_kube_cache_each(c, "", collect, out), 0);
    CHECK_STR(out, "/cluster-wide,");
    out[0] = '\0';
    CHECK_EQ(ma_kube_cache_each(c, "zz", collect, out), 0);
    CHECK_STR(out, "");
    ma_kube_cache_free(c);
}

static void test_relist(void)
{
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    char b[512];

    upsert(c, obj(b, sizeof b, "n", "a", "1", "a1"), NULL);
    upsert(c, obj(b, sizeof b, "n", "b", "2", "b1"), NULL);
    upsert(c, obj(b, sizeof b, "n", "c", "3", "c1"), NULL);
    upsert(c, obj(b, sizeof b, "n", "e", "4", "e1"), NULL);
    l.len = 0;
    l.text[0] = '\0';
    ma_kube_cache_mark_all(c);
    upsert(c, obj(b, sizeof b, "n", "b", "7", "b2"), NULL); /* changed */
    upsert(c, obj(b, sizeof b, "n", "c", "3", "c1"), NULL); /* unchanged: no callback */
    upsert(c, obj(b, sizeof b, "n", "d", "8", "d1"), NULL); /* new */
    CHECK_EQ(ma_kube_cache_sweep(c), 2);
    /* both swept objects are gone before the first delete callback runs */
    CHECK_STR(l.text, "upd n/b 7 b2 was:2,b1 in:7;"
                      "add n/d 8 d1 in:8;"
                      "del n/a 1 a1 in:none;"
                      "del n/e 4 e1 in:none;");
    CHECK_EQ(ma_kube_cache_count(c), 3);
    CHECK(ma_kube_cache_get(c, "n", "c") != NULL);
    CHECK_EQ(ma_kube_cache_sweep(c), 0); /* nothing marked any more */
    ma_kube_cache_mark_all(c);
    CHECK_EQ(ma_kube_cache_sweep(c), 3);
    CHECK_EQ(ma_kube_cache_count(c), 0);
    ma_kube_cache_free(c);
}

static void test_malformed(void)
{
    static const struct {
        const char *json;
        int rc;
        const char *msg;
    } rows[] = {
        {"[1]", MA_ERR_SYNTAX, "widgets: not a JSON object"},
        {"{}", MA_ERR_SYNTAX, "widgets: metadata.name is missing"},
        {"{\"metadata\":null}", MA_ERR_SYNTAX, "metadata.name is missing"},
        {"{\"metadata\":{\"name\":\"\"}}", MA_ERR_SYNTAX, "metadata.name is missing"},
        {"{\"metadata\":\"x\"}", MA_ERR_SYNTAX, "metadata is not an object"},
        {"{\"metadata\":{\"name\":1}}", MA_ERR_SYNTAX, "metadata.name is not a string"},
        {"{\"metadata\":{\"name\":\"k\",\"namespace\":[]}}", MA_ERR_SYNTAX,
         "metadata.namespace is not a string"},
        {"{\"metadata\":{\"name\":\"k\",\"resourceVersion\":5}}", MA_ERR_SYNTAX,
         "metadata.resourceVersion is not a string"},
    };
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    char b[512];
    size_t i;

    upsert(c, obj(b, sizeof b, NULL, "k", "1", "orig"), NULL);
    l.len = 0;
    l.text[0] = '\0';
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct ma_errmsg em = {""};
        int rc = upsert(c, rows[i].json, &em);
        if (rc != rows[i].rc || strstr(em.msg, rows[i].msg) == NULL)
            fprintf(stderr, "row %zu: rc %d \"%s\"\n", i, rc, em.msg);
        CHECK_EQ(rc, rows[i].rc);
        CHECK(strstr(em.msg, rows[i].msg) != NULL);
    }
    CHECK_STR(l.text, "");
    CHECK_EQ(ma_kube_cache_count(c), 1);
    CHECK(strstr(ma_kube_cache_get(c, "", "k")->json, "orig") != NULL);
    ma_kube_cache_free(c);
}

/* {"metadata":{"name":"big","resourceVersion":"1"},"data":"xxx...","list":[0,1,2,...]} with
 * about `bytes` bytes and `nums` array elements. */
static char *big_object(size_t bytes, size_t nums, size_t *len)
{
    char *js = ma_xmalloc(bytes + nums * 8 + 256);
    size_t n = 0, i, pad;

    n += (size_t)sprintf(js,
                         "{\"metadata\":{\"name\":\"big\",\"resourceVersion\":\"1\"},\"list\":[");
    for (i = 0; i < nums; i++)
        n += (size_t)sprintf(js + n, "%s%zu", i ? "," : "", i % 1000);
    n += (size_t)sprintf(js + n, "],\"data\":\"");
    pad = bytes > n + 2 ? bytes - n - 2 : 0;
    memset(js + n, 'x', pad);
    n += pad;
    memcpy(js + n, "\"}", 3);
    *len = n + 2;
    return js;
}

static int upsert_big(struct ma_kube_cache *c, const char *js, size_t len, int ntok,
                      struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc((size_t)ntok * sizeof *toks);
    struct ma_json_doc d;
    int rc = ma_json_parse(&d, js, len, toks, ntok, NULL);

    if (rc == MA_OK)
        rc = ma_kube_cache_upsert(c, &d, 0, em);
    free(toks);
    return rc;
}

static void test_size_limit(void)
{
    struct log l;
    struct ma_kube_cache *c = make(&l, 0);
    struct ma_errmsg em = {""};
    size_t len;
    char *js;

    /* a 2 MB event with 100,000 tokens: accepted under the 4 MiB default, callbacks get it */
    js = big_object(2 * 1000 * 1000, 100000, &len);
    CHECK_EQ(upsert_big(c, js, len, 100020, &em), MA_OK);
    CHECK_EQ(ma_kube_cache_count(c), 1);
    CHECK_EQ(ma_kube_cache_get(c, "", "big")->json_len, len);
    CHECK_EQ(ma_kube_cache_get(c, "", "big")->ntok, 100011);
    CHECK_EQ(l.ntok_sum, 100011);
    CHECK(strncmp(l.text, "add -/big 1 -", 13) == 0);
    free(js);
    /* 5 MB: refused */
    js = big_object(5 * 1000 * 1000, 10, &len);
    CHECK_EQ(upsert_big(c, js, len, 64, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "widgets: object exceeds 4194304 bytes") != NULL);
    CHECK_EQ(ma_kube_cache_get(c, "", "big")->json_len, 2000000); /* the old one stays */
    free(js);
    ma_kube_cache_free(c);

    /* a configured limit: exactly max accepted, one more byte refused; whitespace is not
     * counted (1001 bytes on the wire, 1000 compact: accepted) */
    c = make(&l, 1000);
    js = big_object(1000, 3, &len);
    CHECK_EQ(len, 1000);
    memmove(js + 1, js, len + 1);
    js[1] = ' ';
    CHECK_EQ(upsert_big(c, js, len + 1, 64, &em), MA_OK);
    CHECK_EQ(ma_kube_cache_get(c, "", "big")->json_len, 1000);
    CHECK(strncmp(ma_kube_cache_get(c, "", "big")->json, "{\"metadata\":", 12) == 0);
    free(js);
    js = big_object(1001, 3, &len);
    CHECK_EQ(upsert_big(c, js, len, 64, &em), MA_ERR_LIMIT);
    CHECK(strstr(em.msg, "object exceeds 1000 bytes (1001)") != NULL);
    CHECK_EQ(ma_kube_cache_get(c, "", "big")->json_len, 1000);
    free(js);
    ma_kube_cache_free(c);
}

static void test_no_handlers(void)
{
    struct ma_kube_cache_config cfg = {NULL, 0, {NULL, NULL, NULL, NULL}};
    struct ma_kube_cache *c = ma_kube_cache_new(&cfg);
    struct ma_errmsg em = {""};
    char b[512];

    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "x", "1", "one"), NULL), MA_OK);
    CHECK_EQ(upsert(c, obj(b, sizeof b, "a", "x", "2", "two"), NULL), MA_OK);
    CHECK_EQ(upsert(c, "{}", &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "objects: metadata.name is missing") != NULL);
    ma_kube_cache_mark_all(c);
    CHECK_EQ(ma_kube_cache_sweep(c), 1);
    ma_kube_cache_free(c);
    ma_kube_cache_free(NULL);
}

int main(void)
{
    T_RUN(test_callbacks);
    T_RUN(test_stored_copy);
    T_RUN(test_iteration_and_scope);
    T_RUN(test_relist);
    T_RUN(test_malformed);
    T_RUN(test_size_limit);
    T_RUN(test_no_handlers);
    T_END();
}
