/* The demo backend as a module (backend/module.h): --demo and its flags. */

#include "backend/demo.h"
#include "backend/module.h"
#include "base/log.h"
#include "kube/cluster.h"

#define SEC 1000LL
#define DAY (86400 * SEC)

struct demo_module {
    int demo;
    long long time, pods;
    int64_t slow_delay_ms;
};

static void init(void *self)
{
    struct demo_module *m = self;

    m->slow_delay_ms = 10 * SEC;
    m->pods = 5;
}

static size_t flags(void *self, struct ma_flag *f)
{
    struct demo_module *m = self;
    size_t n = 0;

#define FLAG(...) f[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("demo", MA_FLAG_BOOL, &m->demo, "serve the embedded demo backend (no cluster needed)");
    FLAG("demo-time", MA_FLAG_INT, &m->time,
         "freeze the demo clock at this Unix time (0: wall clock)", 0, 1LL << 40);
    FLAG("demo-slow-delay", MA_FLAG_DURATION, &m->slow_delay_ms,
         "answer delay of the demo_slow_queue external metric", 0, DAY);
    FLAG("demo-pods", MA_FLAG_INT, &m->pods,
         "number of demo pods (beyond 5: demo-load-N pods labelled app=demo-load)", 5, 100000);
#undef FLAG
    return n;
}

/* --demo is --backend=demo, as it always was: it wins over --backend */
static enum ma_backend_select selects(const void *self)
{
    return ((const struct demo_module *)self)->demo ? MA_BACKEND_SELECT_ONLY :
                                                      MA_BACKEND_SELECT_NONE;
}

static int start(void *self, const struct ma_backend_env *env,
                 const struct ma_provider_class ***out)
{
    struct demo_module *m = self;
    struct ma_backend_demo_config dc = {0};

    if (env->cluster != NULL) {
        dc.pods = ma_kube_cluster_pods(env->cluster);
        dc.pods_ready = ma_kube_cluster_pods_ready;
        dc.pods_ready_arg = env->cluster;
    }
    dc.fixed_time = m->time;
    dc.slow_delay_ms = m->slow_delay_ms;
    dc.num_pods = (int)m->pods;
    *out = ma_backend_demo_new(env->loop, &dc);
    MA_LOG_W("demo backend: serving synthetic metrics");
    return MA_OK;
}

static void stop(void *self, const struct ma_provider_class **p)
{
    (void)self;
    ma_backend_demo_free(p);
}

/* see backend/module.h (registry.c lists it) */
const struct ma_backend_module ma_backend_demo_module = {
    .name = "demo",
    .usage = "metrics-adapter --demo [flags]      (embedded demo backend)",
    .cluster = MA_BACKEND_CLUSTER_OPTIONAL,
    .open_by_default = 1, /* a sandbox: AlwaysAllow unless --authorization-mode says otherwise */
    .size = sizeof(struct demo_module),
    .init = init,
    .flags = flags,
    .selects = selects,
    .start = start,
    .stop = stop,
};
