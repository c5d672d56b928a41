#include "kube/cluster.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/client.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/pods.h"
#include "kube/watch.h"

/* Longest namespace list we watch one by one; beyond that, watch all namespaces. */
#define MAX_WATCHED_NAMESPACES 32
/* pods informers plus the backends' own (definitions, nodes, a Prometheus rule's resources) */
#define MAX_INFORMERS (MAX_WATCHED_NAMESPACES + 32)

struct ma_kube_cluster {
    struct ma_net_loop *loop;
    struct ma_kube_config cfg;
    char origin[200];
    struct ma_http_client *http;
    struct ma_kube_token *token;
    struct ma_kube_client *kc;
    struct ma_kube_store *pods;
    struct ma_kube_informer *inf[MAX_INFORMERS];
    char *names[MAX_INFORMERS];
    struct ma_kube_store_scope scope[MAX_INFORMERS];
    struct ma_kube_store *owned[MAX_INFORMERS]; /* stores of ma_kube_cluster_watch_store */
    char *scope_ns[MAX_INFORMERS];
    int is_pods[MAX_INFORMERS];
    size_t ninf;
};

/* see kube/cluster.h */
struct ma_kube_cluster *ma_kube_cluster_new(struct ma_net_loop *loop, const char *kubeconfig,
                                            struct ma_errmsg *em)
{
    struct ma_kube_cluster *c = ma_xcalloc(1, sizeof *c);
    struct ma_http_client_config hc = {0};
    struct ma_kube_token_source ts;

    c->loop = loop;
    if (ma_kube_config_load(&c->cfg, kubeconfig, em) != MA_OK) {
        free(c);
        return NULL;
    }
    ma_kube_config_http(&c->cfg, &hc);
    /* one LIST page (and any other buffered answer); watch events are bounded by the informer */
    hc.max_response_bytes = MA_KUBE_MAX_PAGE_BYTES;
    c->http = ma_http_client_new(loop, &hc, em);
    if (c->http == NULL) {
        ma_kube_config_free(&c->cfg);
        free(c);
        return NULL;
    }
    snprintf(c->origin, sizeof c->origin, "%s: %s", c->cfg.origin ? c->cfg.origin : "config",
             c->cfg.server);
    c->token = ma_kube_token_new(&c->cfg);
    ts = ma_kube_token_source_of(c->token);
    c->kc = ma_kube_client_new(c->http, &ts);
    return c;
}

/* see kube/cluster.h */
void ma_kube_cluster_free(struct ma_kube_cluster *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->ninf; i++) {
        ma_kube_informer_free(c->inf[i]);
        free(c->names[i]);
        free(c->scope_ns[i]);
        ma_kube_store_free(c->owned[i]);
    }
    ma_kube_store_free(c->pods);
    ma_kube_client_free(c->kc);
    ma_http_client_free(c->http);
    ma_kube_token_free(c->token);
    ma_kube_config_free(&c->cfg);
    free(c);
}

static struct ma_kube_informer *start_informer(struct ma_kube_cluster *c,
                                               const struct ma_kube_informer_config *ic,
                                               const struct ma_kube_informer_handler *h)
{
    struct ma_kube_informer *inf = ma_kube_informer_new(c->loop, c->kc, ic, h);

    c->names[c->ninf] = ma_xstrdup(ic->name);
    c->inf[c->ninf++] = inf;
    ma_kube_informer_start(inf);
    return inf;
}

static void add_informer(struct ma_kube_cluster *c, const char *ns)
{
    struct ma_kube_informer_config ic = {0};
    struct ma_kube_informer_handler h;
    char path[300], name[100];

    if (ns == NULL) {
        snprintf(path, sizeof path, "/api/v1/pods");
        snprintf(name, sizeof name, "cache/pods");
    } else {
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
        snprintf(name, sizeof name, "cache/pods/%s", ns);
    }
    c->scope_ns[c->ninf] = ns ? ma_xstrdup(ns) : NULL;
    c->scope[c->ninf].store = c->pods;
    c->scope[c->ninf].namespace = c->scope_ns[c->ninf];
    ma_kube_store_informer_handler(&c->scope[c->ninf], &h);
    ic.name = name;
    ic.path = path;
    c->is_pods[c->ninf] = 1;
    start_informer(c, &ic, &h);
}

/* see kube/cluster.h */
void ma_kube_cluster_watch_pods(struct ma_kube_cluster *c, const char *const *namespaces,
                                size_t n)
{
    size_t i;

    c->pods = ma_kube_store_new(&ma_kube_pod_class);
    if (n == 0 || n > MAX_WATCHED_NAMESPACES) {
        if (n > MAX_WATCHED_NAMESPACES)
            MA_LOG_W("%zu namespaces to watch: watching all namespaces instead", n);
        add_informer(c, NULL);
        return;
    }
    for (i = 0; i < n; i++)
        add_informer(c, namespaces[i]);
}

/* see kube/cluster.h */
struct ma_kube_informer *ma_kube_cluster_watch(struct ma_kube_cluster *c, const char *name,
                                               const char *path, int optional,
                                               const struct ma_kube_informer_handler *h)
{
    struct ma_kube_informer_config ic = {0};

    if (c->ninf == MAX_INFORMERS)
        return NULL;
    ic.name = name;
    ic.path = path;
    ic.optional = optional;
    return start_informer(c, &ic, h);
}

/* see kube/cluster.h */
struct ma_kube_store *ma_kube_cluster_watch_store(struct ma_kube_cluster *c, const char *name,
                                                  const char *path,
                                                  const struct ma_kube_record_class *cls,
                                                  int optional, struct ma_kube_informer **inf)
{
    struct ma_kube_informer_config ic = {0};
    struct ma_kube_informer_handler h;
    size_t i = c->ninf;

    if (inf != NULL)
        *inf = NULL;
    if (c->ninf == MAX_INFORMERS)
        return NULL;
    c->owned[i] = ma_kube_store_new(cls);
    c->scope[i].store = c->owned[i];
    c->scope[i].namespace = NULL;
    ma_kube_store_informer_handler(&c->scope[i], &h);
    ic.name = name;
    ic.path = path;
    ic.optional = optional;
    start_informer(c, &ic, &h);
    if (inf != NULL)
        *inf = c->inf[i];
    return c->owned[i];
}

/* see kube/cluster.h */
const struct ma_kube_store *ma_kube_cluster_pods(const struct ma_kube_cluster *c)
{
    return c->pods;
}

/* see kube/cluster.h */
int ma_kube_cluster_pods_ready(void *arg, struct ma_errmsg *why)
{
    struct ma_kube_cluster *c = arg;
    size_t i;

    for (i = 0; i < c->ninf; i++) {
        if (c->is_pods[i] && !ma_kube_informer_synced(c->inf[i])) {
            char st[MA_ERRMSG_SIZE];

            ma_errmsg_set(why, "%s", ma_kube_informer_status(c->inf[i], st, sizeof st));
            return 0;
        }
    }
    return 1;
}

/* see kube/cluster.h */
size_t ma_kube_cluster_informers(const struct ma_kube_cluster *c,
                                 struct ma_kube_informer *const **out, const char *const **names)
{
    *out = c->inf;
    *names = (const char *const *)c->names;
    return c->ninf;
}

/* see kube/cluster.h */
const char *ma_kube_cluster_origin(const struct ma_kube_cluster *c)
{
    return c->origin;
}

/* see kube/cluster.h */
struct ma_kube_client *ma_kube_cluster_client(const struct ma_kube_cluster *c)
{
    return c->kc;
}
