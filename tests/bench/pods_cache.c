/* Pods cache benchmark (issue 3): RSS per cached pod, insert time, selector lookup latency.
 * Prints figures, asserts nothing. Built and run by tests/bench/pods-cache.sh.
 *
 * Pods are generated as realistic Pod JSON (4 labels, owner reference, one container, node name,
 * pod IP, four conditions; ~1.9 KB each) and fed through ma_json_parse + ma_kube_store_upsert, as
 * the watch code will. RSS is VmRSS from /proc/self/status; the JSON buffer and token array are
 * reused, so growth is the store's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/pods.h"
#include "kube/selector.h"
#include "json/read.h"

#define MAXTOK 1024

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One Pod as kube-apiserver sends it (managedFields left out, as a LIST with
 * fieldManager-free output would; they do not reach the store anyway). */
static size_t pod_json(char *buf, size_t cap, const char *ns, unsigned id, unsigned app)
{
    unsigned h = id * 2654435761u;

    return (size_t)snprintf(
        buf, cap,
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-%u-5d7f8b9c4-%05x\","
        "\"generateName\":\"web-%u-5d7f8b9c4-\",\"namespace\":\"%s\","
        "\"uid\":\"%08x-1c2d-4e5f-8a9b-0c1d2e3f4a5b\",\"resourceVersion\":\"%u\","
        "\"creationTimestamp\":\"2024-05-06T07:08:09Z\",\"labels\":{\"app\":\"web-%u\","
        "\"pod-template-hash\":\"5d7f8b9c4\",\"tier\":\"frontend\",\"version\":\"v1.%u.0\"},"
        "\"annotations\":{\"kubernetes.io/psp\":\"restricted\"},\"ownerReferences\":[{"
        "\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-%u-5d7f8b9c4\","
        "\"uid\":\"0a1b2c3d-1c2d-4e5f-8a9b-0c1d2e3f4a5b\",\"controller\":true,"
        "\"blockOwnerDeletion\":true}]},\"spec\":{\"volumes\":[{\"name\":\"kube-api-access\","
        "\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,"
        "\"path\":\"token\"}}],\"defaultMode\":420}}],\"containers\":[{\"name\":\"web\","
        "\"image\":\"registry.example.com/web:1.%u.0\",\"ports\":[{\"name\":\"http\","
        "\"containerPort\":8080,\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":\"500m\","
        "\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}},"
        "\"terminationMessagePath\":\"/dev/"
        "termination-log\",\"imagePullPolicy\":\"IfNotPresent\"}],"
        "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"
        "\"ClusterFirst\",\"serviceAccountName\":\"default\",\"nodeName\":"
        "\"ip-10-0-%u-%u.ec2.internal\",\"schedulerName\":\"default-scheduler\"},\"status\":{"
        "\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\","
        "\"lastTransitionTime\":\"2024-05-06T07:08:09Z\"},{\"type\":\"Ready\",\"status\":\"True\","
        "\"lastTransitionTime\":\"2024-05-06T07:08:19Z\"},{\"type\":\"ContainersReady\","
        "\"status\":\"True\",\"lastTransitionTime\":\"2024-05-06T07:08:19Z\"},{\"type\":"
        "\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"2024-05-06T07:08:09Z\"}],"
        "\"hostIP\":\"10.0.%u.%u\",\"podIP\":\"10.%u.%u.%u\",\"podIPs\":[{\"ip\":\"10.%u.%u.%u\"}],"
        "\"startTime\":\"2024-05-06T07:08:09Z\",\"qosClass\":\"Burstable\"}}",
        app, h & 0xfffff, app, ns, h, 1000 + id, app, app % 7, app, app % 7, h % 200, h % 250,
        h % 200, h % 250, (id >> 16) & 255, (id >> 8) & 255, id & 255, (id >> 16) & 255,
        (id >> 8) & 255, id & 255);
}

struct feeder {
    char buf[4096];
    jsmntok_t toks[MAXTOK];
    double parse_us, upsert_us;
    size_t bytes;
};

static void insert(struct feeder *f, struct ma_kube_store *s, const char *ns, unsigned id,
                   unsigned app)
{
    struct ma_json_doc d;
    struct ma_errmsg em;
    size_t len = pod_json(f->buf, sizeof f->buf, ns, id, app);
    double t0 = now_us(), t1;

    if (len >= sizeof f->buf || ma_json_parse(&d, f->buf, len, f->toks, MAXTOK, &em) != MA_OK) {
        fprintf(stderr, "generated pod does not parse\n");
        exit(1);
    }
    t1 = now_us();
    if (ma_kube_store_upsert(s, &d, 0, &em) != MA_OK) {
        fprintf(stderr, "upsert: %s\n", em.msg);
        exit(1);
    }
    f->parse_us += t1 - t0;
    f->upsert_us += now_us() - t1;
    f->bytes += len;
}

/* A permutation of 0..n-1 so names arrive in no particular order (watch events), the slow case
 * of the sorted namespace arrays; a LIST arrives sorted. */
static unsigned shuffled(unsigned i, unsigned n)
{
    return (unsigned)(((unsigned long long)i * 2654435761ull + 12345) % n);
}

/* The generated name of pod id (as pod_json writes it), for sorting into LIST order. */
struct named {
    char name[48];
    unsigned id;
};

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

static int count(const struct ma_kube_pod *p, void *arg)
{
    (void)p;
    ++*(size_t *)arg;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Parse "app=web-7" and walk namespace ns 1,000 times; print median and p99. */
static void lookup_latency(const struct ma_kube_store *s, const char *ns, const char *label)
{
    enum { RUNS = 1000 };
    static double lat[RUNS];
    struct ma_kube_selector sel;
    size_t matched = 0;
    int i;

    for (i = 0; i < RUNS; i++) {
        double t0 = now_us();
        matched = 0;
        ma_kube_selector_parse("app=web-7", 9, &sel, NULL);
        ma_kube_pods_each(s, ns, &sel, count, &matched);
        lat[i] = now_us() - t0;
    }
    qsort(lat, RUNS, sizeof lat[0], cmp_double);
    printf("  lookup app=web-7 %-42s median %7.1f us  p99 %7.1f us  (%zu matched)\n", label,
           lat[RUNS / 2], lat[RUNS * 99 / 100], matched);
}

int main(void)
{
    static struct feeder f;
    static struct named sorted[10000];
    struct ma_kube_store *s;
    long rss0, rss10 = 0, rss50;
    double t0;
    unsigned i;
    char ns[32];

    /* touch the feeder and the allocator before the baseline */
    s = ma_kube_store_new(&ma_kube_pod_class);
    memset(&f, 0, sizeof f);
    insert(&f, s, "warm-up", 0, 0);
    ma_kube_store_delete(s, "warm-up", "web-0-5d7f8b9c4-00000");
    ma_kube_store_free(s);

    printf("pods cache (%s)\n", MA_BENCH_LIBC);
    /* RSS: 50 namespaces of 1,000 pods, 50 apps each, shuffled */
    s = ma_kube_store_new(&ma_kube_pod_class);
    rss0 = rss_kb();
    f.parse_us = f.upsert_us = 0;
    f.bytes = 0;
    for (i = 0; i < 50000; i++) {
        unsigned k = shuffled(i, 50000);
        snprintf(ns, sizeof ns, "team-%02u", k % 50);
        insert(&f, s, ns, k, k / 50 % 50);
        if (i + 1 == 10000)
            rss10 = rss_kb();
    }
    rss50 = rss_kb();
    printf("  RSS with      0 pods: %8ld KiB\n", rss0);
    printf("  RSS with 10,000 pods: %8ld KiB  (+%ld KiB, %.0f bytes per pod)\n", rss10,
           rss10 - rss0, (double)(rss10 - rss0) * 1024 / 10000);
    printf("  RSS with 50,000 pods: %8ld KiB  (+%ld KiB, %.0f bytes per pod)\n", rss50,
           rss50 - rss0, (double)(rss50 - rss0) * 1024 / 50000);
    printf("  average Pod JSON: %zu bytes; tokenize %.1f us, upsert %.1f us per pod\n",
           f.bytes / 50000, f.parse_us / 50000, f.upsert_us / 50000);
    ma_kube_store_free(s);

    /* insert time: 10,000 pods into one namespace, shuffled and in LIST (name) order */
    s = ma_kube_store_new(&ma_kube_pod_class);
    f.parse_us = f.upsert_us = 0;
    t0 = now_us();
    for (i = 0; i < 10000; i++) {
        unsigned k = shuffled(i, 10000);
        insert(&f, s, "bench", k, k % 100);
    }
    printf("  insert 10,000 pods, one namespace, random order: %6.1f ms total "
           "(tokenize %.1f ms, upsert %.1f ms)\n",
           (now_us() - t0) / 1e3, f.parse_us / 1e3, f.upsert_us / 1e3);
    ma_kube_store_free(s);
    for (i = 0; i < 10000; i++) {
        unsigned h = i * 2654435761u;
        snprintf(sorted[i].name, sizeof sorted[i].name, "web-%u-5d7f8b9c4-%05x", i % 100,
                 h & 0xfffff);
        sorted[i].id = i;
    }
    qsort(sorted, 10000, sizeof sorted[0], cmp_named);
    s = ma_kube_store_new(&ma_kube_pod_class);
    f.parse_us = f.upsert_us = 0;
    t0 = now_us();
    for (i = 0; i < 10000; i++)
        insert(&f, s, "bench", sorted[i].id, sorted[i].id % 100);
    printf("  insert 10,000 pods, one namespace, LIST order:   %6.1f ms total "
           "(tokenize %.1f ms, upsert %.1f ms)\n",
           (now_us() - t0) / 1e3, f.parse_us / 1e3, f.upsert_us / 1e3);

    /* lookups: 10,000 pods in "bench" (100 apps: 100 match), then 10,000 more elsewhere that
     * carry the same labels; the lookup must not slow down */
    lookup_latency(s, "bench", "among 10,000 pods of one namespace");
    for (i = 0; i < 10000; i++) {
        snprintf(ns, sizeof ns, "other-%02u", i % 10);
        insert(&f, s, ns, 10000 + i, i % 100);
    }
    lookup_latency(s, "bench", "same, +10,000 pods in 10 other namespaces");
    printf("  pods cached: %zu\n", ma_kube_store_count(s));
    ma_kube_store_free(s);
    return 0;
}
