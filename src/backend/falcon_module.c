/* The Open-Falcon backend as a module (backend/module.h): its flags, their check, and the
 * start-up that watches the CustomMetric and ExternalMetric definitions and makes the provider. */

#include <stdlib.h>
#include <string.h>

#include "backend/falcon.h"
#include "backend/falcon_defs.h"
#include "backend/module.h"
#include "base/file.h"
#include "base/limits.h"
#include "base/log.h"
#include "kube/cluster.h"
#include "kube/watch.h"
#include "provider/valcache.h"

#define SEC 1000LL
#define DAY (86400 * SEC)

/* The custom resources of the original adapter: group metrics.falcon, version v1alpha1. */
#define FALCON_CRD_PATH "/apis/metrics.falcon/v1alpha1/"

struct falcon_module {
    /* flags */
    const char *url, *name, *sig_file, *read_api, *ca_file, *stale_policy;
    int insecure, seed_names;
    int64_t timeout_ms, cache_ttl_ms, stale_after_ms;
    long long max_batch;
    /* runtime */
    struct ma_kube_cluster *cluster;
    struct ma_falcon_defs *custom, *external;
    struct ma_kube_informer *def_inf[2];
};

static void init(void *self)
{
    struct falcon_module *m = self;

    m->read_api = "lastpoint";
    m->timeout_ms = MA_FALCON_DEFAULT_TIMEOUT_MS;
    m->max_batch = MA_FALCON_DEFAULT_BATCH;
    m->cache_ttl_ms = MA_VALCACHE_TTL_DEFAULT_MS;
    m->stale_after_ms = 300 * SEC;
    m->stale_policy = "omit";
    m->seed_names = 1;
}

static size_t flags(void *self, struct ma_flag *f)
{
    struct falcon_module *m = self;
    size_t n = 0;

#define FLAG(...) f[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("falcon-url", MA_FLAG_STRING, &m->url,
         "Open-Falcon api: host[:port] (plain http, as the original), http://... or https://... "
         "(default: $FALCON_API_URL, else " MA_FALCON_DEFAULT_URL ")");
    FLAG("falcon-api-name", MA_FLAG_STRING, &m->name,
         "Apitoken name (default: $FALCON_API_NAME, else " MA_FALCON_DEFAULT_NAME ")");
    FLAG("falcon-api-sig-file", MA_FLAG_STRING, &m->sig_file,
         "file holding the Apitoken sig, e.g. a mounted Secret (default: $FALCON_API_SIG)");
    FLAG("falcon-read-api", MA_FLAG_STRING, &m->read_api,
         "lastpoint (falcon-plus api: POST /api/v1/graph/lastpoint) or graph-last (old query "
         "module: POST /graph/last)");
    FLAG("falcon-timeout", MA_FLAG_DURATION, &m->timeout_ms,
         "time allowed for one Open-Falcon request", 100, DAY);
    FLAG("falcon-ca-file", MA_FLAG_STRING, &m->ca_file,
         "PEM CA bundle to verify an https Open-Falcon api");
    FLAG("falcon-insecure-skip-tls-verify", MA_FLAG_BOOL, &m->insecure,
         "accept any certificate from an https Open-Falcon api (testing only)");
    FLAG("falcon-max-batch", MA_FLAG_INT, &m->max_batch,
         "series per Open-Falcon request; larger batches are split", 1, 100000);
    FLAG("cache-ttl", MA_FLAG_DURATION, &m->cache_ttl_ms,
         "serve a value fetched from Open-Falcon this long before asking again (0: never cache)",
         0, DAY);
    FLAG("stale-after", MA_FLAG_DURATION, &m->stale_after_ms,
         "a Falcon value whose timestamp is older than this is stale", 1000, 30 * DAY);
    FLAG("stale-policy", MA_FLAG_STRING, &m->stale_policy,
         "omit (leave stale objects out of answers) or zero (report 0, as the original)");
    FLAG("seed-metric-names", MA_FLAG_BOOL, &m->seed_names,
         "serve pods metrics without a CustomMetric by the original's naming convention "
         "(net.if.in.bytes-iface-equal-eth0 = net.if.in.bytes/iface=eth0)");
#undef FLAG
    return n;
}

static const char *check(const void *self)
{
    const struct falcon_module *m = self;

    if (strcmp(m->stale_policy, "omit") != 0 && strcmp(m->stale_policy, "zero") != 0)
        return "invalid value for --stale-policy: use omit or zero";
    if (strcmp(m->read_api, "lastpoint") != 0 && strcmp(m->read_api, "graph-last") != 0)
        return "invalid value for --falcon-read-api: use lastpoint or graph-last";
    return NULL;
}

/* Pods and both definition caches have synced (arg: the module). */
static int caches_ready(void *arg, struct ma_errmsg *why)
{
    struct falcon_module *m = arg;
    size_t i;

    if (!ma_kube_cluster_pods_ready(m->cluster, why))
        return 0;
    for (i = 0; i < 2; i++)
        if (!ma_kube_informer_ready(m->def_inf[i], why))
            return 0;
    return 1;
}

static int watch_defs(struct falcon_module *m, const struct ma_backend_env *env)
{
    static const char *const names[2] = {"cache/custommetrics", "cache/externalmetrics"};
    struct ma_kube_informer_handler h;
    size_t i;

    m->custom = ma_falcon_defs_new(MA_FALCON_DEF_CUSTOM);
    m->external = ma_falcon_defs_new(MA_FALCON_DEF_EXTERNAL);
    /* the original installs only the CustomMetric CRD: ExternalMetric may be absent (optional) */
    ma_falcon_defs_informer_handler(m->custom, &h);
    m->def_inf[0] = ma_kube_cluster_watch(m->cluster, names[0], FALCON_CRD_PATH "custommetrics",
                                          0, &h);
    ma_falcon_defs_informer_handler(m->external, &h);
    m->def_inf[1] = ma_kube_cluster_watch(m->cluster, names[1],
                                          FALCON_CRD_PATH "externalmetrics", 1, &h);
    if (m->def_inf[0] == NULL || m->def_inf[1] == NULL) {
        MA_LOG_E("too many informers: cannot watch the metric definitions");
        return MA_ERR_LIMIT;
    }
    for (i = 0; i < 2; i++)
        if (env->add_ready_check(env->ready_arg, names[i], ma_kube_informer_ready,
                                 m->def_inf[i]) != MA_OK)
            return MA_ERR_LIMIT;
    return MA_OK;
}

static int start(void *self, const struct ma_backend_env *env,
                 const struct ma_provider_class ***out)
{
    struct falcon_module *m = self;
    struct ma_backend_falcon_config fc = {0};
    struct ma_falcon_env_store store;
    struct ma_errmsg em;
    char *ca = NULL;
    size_t ca_len = 0;
    int rc = MA_ERR_SYNTAX;

    m->cluster = env->cluster;
    fc.api.url = m->url != NULL && m->url[0] ? m->url : NULL;
    fc.api.token_name = m->name != NULL && m->name[0] ? m->name : NULL;
    fc.api.flavour = strcmp(m->read_api, "graph-last") == 0 ? MA_FALCON_GRAPH_LAST :
                                                              MA_FALCON_LASTPOINT;
    fc.api.timeout_ms = m->timeout_ms;
    fc.api.max_batch = (size_t)m->max_batch;
    fc.api.insecure_skip_verify = m->insecure;
    if (ma_falcon_api_config_env(&fc.api, m->sig_file, &store, &em) != MA_OK) {
        MA_LOG_E("Open-Falcon settings: %s", em.msg);
        goto out;
    }
    if (m->ca_file != NULL) {
        if (ma_file_read(m->ca_file, MA_TLS_MAX_PEM_FILE, "--falcon-ca-file", &ca, &ca_len, NULL,
                         &em) != MA_OK) {
            MA_LOG_E("%s", em.msg);
            goto out;
        }
        fc.api.ca_pem = ca;
        fc.api.ca_pem_len = ca_len;
    }
    if ((rc = watch_defs(m, env)) != MA_OK)
        goto out;
    rc = MA_ERR_SYNTAX;
    fc.cache_ttl_ms = m->cache_ttl_ms;
    fc.stale_after_s = m->stale_after_ms / SEC;
    fc.stale_policy = strcmp(m->stale_policy, "zero") == 0 ? MA_FALCON_STALE_ZERO :
                                                             MA_FALCON_STALE_OMIT;
    fc.seed_names = m->seed_names;
    fc.pods = ma_kube_cluster_pods(m->cluster);
    fc.custom = m->custom;
    fc.external = m->external;
    fc.caches_ready = caches_ready;
    fc.caches_ready_arg = m;
    *out = ma_backend_falcon_new(env->loop, &fc, &em);
    if (*out == NULL) {
        MA_LOG_E("Open-Falcon client: %s", em.msg);
        goto out;
    }
    MA_LOG_I("Open-Falcon backend: %s (%s), cache TTL %lld ms, stale after %lld s (%s), "
             "seed metric names %s", fc.api.url, m->read_api, (long long)m->cache_ttl_ms,
             (long long)fc.stale_after_s, m->stale_policy, m->seed_names ? "on" : "off");
    rc = MA_OK;
out:
    free(ca); /* the client copied what it keeps, the sig in store too */
    return rc;
}

static void stop(void *self, const struct ma_provider_class **p)
{
    (void)self;
    ma_backend_falcon_free(p);
}

static void release(void *self)
{
    struct falcon_module *m = self;

    ma_falcon_defs_free(m->custom);
    ma_falcon_defs_free(m->external);
}

/* see backend/module.h (registry.c lists it) */
const struct ma_backend_module ma_backend_falcon_module = {
    .name = "falcon",
    .usage = "metrics-adapter [flags]             (Open-Falcon backend, the default)",
    .cluster = MA_BACKEND_CLUSTER_REQUIRED,
    .open_by_default = 0,
    .size = sizeof(struct falcon_module),
    .init = init,
    .flags = flags,
    .check = check,
    .start = start,
    .stop = stop,
    .release = release,
};
