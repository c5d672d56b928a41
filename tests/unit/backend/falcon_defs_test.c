/* backend/falcon_defs: the registry of CustomMetric / ExternalMetric definitions fed by an
 * informer handler. */
#include "../t.h"

#include "backend/falcon_defs.h"
#include "json/read.h"
#include "kube/watch.h"

static jsmntok_t toks[512];

/* Feed one object through the handler's upsert; returns its code. */
static int upsert(struct ma_kube_informer_handler *h, const char *js)
{
    struct ma_json_doc d;
    struct ma_errmsg em;

    if (ma_json_parse(&d, js, strlen(js), toks, 512, &em) != MA_OK)
        return -100;
    return h->upsert(h->arg, &d, 0, &em);
}

static char obj[1024];

static const char *custom(const char *ns, const char *name, const char *counter)
{
    snprintf(obj, sizeof obj,
             "{\"apiVersion\":\"metrics.falcon/v1alpha1\",\"kind\":\"CustomMetric\","
             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"spec\":{\"metric\":{\"counter\":\"%s\",\"endpoint\":\"\"}}}",
             name, ns, counter);
    return obj;
}

static int collect(const struct ma_falcon_def *def, void *arg)
{
    char *out = arg;

    strcat(out, def->name);
    strcat(out, "@");
    strcat(out, def->namespace);
    strcat(out, " ");
    return 0;
}

static int count_one(const struct ma_falcon_def *def, void *arg)
{
    (void)def;
    ++*(size_t *)arg;
    return 0;
}

/* Definitions served (refusals not counted). */
static size_t count(const struct ma_falcon_defs *r)
{
    size_t n = 0;

    ma_falcon_defs_each(r, count_one, &n);
    return n;
}

static void test_order_and_lookup(void)
{
    struct ma_falcon_defs *r = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    struct ma_kube_informer_handler h;
    char all[512] = "";
    const struct ma_falcon_def *d;

    ma_falcon_defs_informer_handler(r, &h);
    CHECK_EQ(upsert(&h, custom("b", "cpu.busy", "cpu.busy")), MA_OK);
    CHECK_EQ(upsert(&h, custom("a", "mem", "mem.used")), MA_OK);
    CHECK_EQ(upsert(&h, custom("a", "cpu.busy", "cpu.busy/core=0")), MA_OK);
    CHECK_EQ(count(r), 3);
    /* sorted by (name, namespace): one metric's namespaces are adjacent */
    ma_falcon_defs_each(r, collect, all);
    CHECK_STR(all, "cpu.busy@a cpu.busy@b mem@a ");
    d = ma_falcon_defs_get(r, "a", "cpu.busy");
    CHECK(d != NULL);
    if (d != NULL)
        CHECK_STR(d->counter, "cpu.busy/core=0");
    CHECK(ma_falcon_defs_get(r, "c", "cpu.busy") == NULL);
    CHECK(ma_falcon_defs_get(r, "a", "cpu") == NULL);
    /* replace keeps one entry */
    CHECK_EQ(upsert(&h, custom("a", "cpu.busy", "cpu.idle")), MA_OK);
    CHECK_EQ(count(r), 3);
    d = ma_falcon_defs_get(r, "a", "cpu.busy");
    CHECK(d != NULL && strcmp(d->counter, "cpu.idle") == 0);
    h.remove(h.arg, "a", "cpu.busy");
    CHECK(ma_falcon_defs_get(r, "a", "cpu.busy") == NULL);
    h.remove(h.arg, "a", "nothing"); /* absent: no error */
    CHECK_EQ(count(r), 2);
    ma_falcon_defs_free(r);
}

static void test_invalid_update_drops_old(void)
{
    struct ma_falcon_defs *r = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    struct ma_kube_informer_handler h;

    ma_falcon_defs_informer_handler(r, &h);
    CHECK_EQ(upsert(&h, custom("a", "m", "good")), MA_OK);
    /* the same object edited into something that no longer decodes: the old definition goes */
    CHECK(upsert(&h, custom("a", "m", "bad counter")) < 0);
    CHECK(ma_falcon_defs_get(r, "a", "m") == NULL);
    CHECK(ma_falcon_defs_refusal(r, "a", "m") != NULL &&
          strstr(ma_falcon_defs_refusal(r, "a", "m"), "counter") != NULL);
    CHECK_EQ(count(r), 0);
    /* fixed again: served, no refusal */
    CHECK_EQ(upsert(&h, custom("a", "m", "good")), MA_OK);
    CHECK(ma_falcon_defs_get(r, "a", "m") != NULL && ma_falcon_defs_refusal(r, "a", "m") == NULL);
    CHECK(upsert(&h, custom("a", "m", "bad counter")) < 0);
    CHECK(upsert(&h, "{\"metadata\":{\"name\":\"x\"}}") < 0); /* no namespace, no spec */
    CHECK_EQ(count(r), 0);
    ma_falcon_defs_free(r);
}

static void test_relist(void)
{
    struct ma_falcon_defs *r = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    struct ma_kube_informer_handler h;

    ma_falcon_defs_informer_handler(r, &h);
    upsert(&h, custom("a", "m1", "c1"));
    upsert(&h, custom("a", "m2", "c2"));
    upsert(&h, custom("b", "m1", "c1"));
    h.relist_begin(h.arg);
    upsert(&h, custom("a", "m2", "c2"));
    upsert(&h, custom("c", "m3", "c3"));
    h.relist_end(h.arg);
    CHECK_EQ(count(r), 2);
    CHECK(ma_falcon_defs_get(r, "a", "m2") != NULL);
    CHECK(ma_falcon_defs_get(r, "c", "m3") != NULL);
    CHECK(ma_falcon_defs_get(r, "a", "m1") == NULL);
    CHECK(ma_falcon_defs_get(r, "b", "m1") == NULL);
    ma_falcon_defs_free(r);
}

static void test_external_endpoints_survive_trim(void)
{
    struct ma_falcon_defs *r = ma_falcon_defs_new(MA_FALCON_DEF_EXTERNAL);
    struct ma_kube_informer_handler h;
    const struct ma_falcon_def *d;

    ma_falcon_defs_informer_handler(r, &h);
    CHECK_EQ(upsert(&h, "{\"metadata\":{\"name\":\"q\",\"namespace\":\"n\"},\"spec\":{\"metric\":"
                        "{\"counter\":\"queue.len\"},\"endpoints\":[\"lb-0\",\"lb-1\",\"lb-22\"],"
                        "\"mode\":\"max\"}}"),
             MA_OK);
    d = ma_falcon_defs_get(r, "n", "q");
    CHECK(d != NULL);
    if (d != NULL) {
        CHECK_EQ(d->nendpoints, 3);
        CHECK_STR(ma_falcon_def_ext_endpoint(d, 0), "lb-0");
        CHECK_STR(ma_falcon_def_ext_endpoint(d, 2), "lb-22");
        CHECK_EQ(d->mode, MA_FALCON_EXT_MAX);
    }
    /* a CustomMetric is refused by the external registry's parser */
    CHECK(upsert(&h, custom("n", "c", "cpu")) < 0);
    ma_falcon_defs_free(r);
}

int main(void)
{
    T_RUN(test_order_and_lookup);
    T_RUN(test_invalid_update_drops_old);
    T_RUN(test_relist);
    T_RUN(test_external_endpoints_survive_trim);
    T_END();
}
