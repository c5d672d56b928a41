/* metrics-adapter: the composition root. Parses the flags of the serving side (cmd/serve.h),
 * authentication and every backend module of the registry (backend/module.h), picks the
 * backends to run, gives them the cluster, and serves their provider. It names no backend. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "backend/module.h"
#include "base/err.h"
#include "base/flag.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/gencerts.h"
#include "cmd/serve.h"
#include "kube/cluster.h"
#include "kube/watch.h"
#include "provider/multi.h"

#ifndef MA_VERSION
#define MA_VERSION "0.0.0"
#endif
#ifndef MA_GIT_COMMIT
#define MA_GIT_COMMIT "unknown"
#endif

#define MAX_FLAGS 192

/* Subcommands: argv[1] names them; everything else is the server's flags. */
static const struct {
    const char *name, *usage;
    int (*main)(int argc, char **argv);
} subcommands[] = {
    {"gen-certs", "metrics-adapter gen-certs --service NAME --namespace NS --out DIR\n"
                  "                                           (see gen-certs --help)",
     ma_cmd_gencerts_main},
};

/* Everything mutable lives here, made once in main and passed down. */
struct ma_server {
    /* flags */
    struct ma_serve_flags serve;
    struct ma_auth_flags auth_flags;
    long long verbosity;
    int version;
    const char *kubeconfig;
    struct ma_flag_list watch_namespaces;
    const char *backend;
    int logtostderr; /* accepted and ignored: the original's manifests pass it (klog) */
    char backend_help[200];
    struct ma_errmsg pick_em; /* why --backend was refused */
    void *mod_self[MA_BACKEND_MAX_MODULES]; /* per registered module */
    /* the backends to run: indexes into ma_backend_registry, in registry order */
    size_t run[MA_BACKEND_MAX_MODULES], nrun;
    const struct ma_provider_class **prov[MA_BACKEND_MAX_MODULES];
    /* runtime */
    struct ma_serve srv;
    struct ma_kube_cluster *cluster;
};

static size_t make_flags(struct ma_server *s, struct ma_flag *f)
{
    size_t n = ma_serve_flags_table(&s->serve, f), i;

#define FLAG(...) f[n++] = (struct ma_flag){__VA_ARGS__}
    FLAG("kubeconfig", MA_FLAG_STRING, &s->kubeconfig,
         "kubeconfig file for kube-apiserver (default: in-cluster service account; with --demo, "
         "no cluster unless this is given or the process runs in a pod)");
    FLAG("watch-namespace", MA_FLAG_LIST, &s->watch_namespaces,
         "cache pods of this namespace only (repeatable; default: all namespaces)");
    FLAG("lister-kubeconfig", MA_FLAG_STRING, &s->kubeconfig,
         "same as --kubeconfig (the name custom-metrics-apiserver adapters use)");
    FLAG("v", MA_FLAG_INT, &s->verbosity, "log verbosity (4: one line per request)", 0, 10);
    FLAG("logtostderr", MA_FLAG_BOOL, &s->logtostderr,
         "accepted for compatibility and ignored: logs always go to stderr");
    FLAG("backend", MA_FLAG_STRING, &s->backend, s->backend_help);
    for (i = 0; ma_backend_registry[i] != NULL; i++)
        if (ma_backend_registry[i]->flags != NULL)
            n += ma_backend_registry[i]->flags(s->mod_self[i], f + n);
    FLAG("version", MA_FLAG_BOOL, &s->version, "print the version and exit");
#undef FLAG
    n += ma_auth_flags_table(&s->auth_flags, f + n);
    return n;
}

static void set_defaults(struct ma_server *s)
{
    char names[120];
    size_t i;

    ma_serve_flags_init(&s->serve);
    ma_auth_flags_init(&s->auth_flags);
    s->backend = ma_backend_registry[0]->name; /* the default: given when it is another string */
    snprintf(s->backend_help, sizeof s->backend_help,
             "metrics backends to run, comma-separated: %s", ma_backend_names(names, sizeof names));
    for (i = 0; ma_backend_registry[i] != NULL; i++) {
        const struct ma_backend_module *m = ma_backend_registry[i];

        s->mod_self[i] = ma_xcalloc(1, m->size ? m->size : 1);
        if (m->init != NULL)
            m->init(s->mod_self[i]);
    }
}

static int bad_flag(const char *why)
{
    fprintf(stderr, "metrics-adapter: %s (see --help)\n", why);
    return 2;
}

/* Flag combinations that parse but make no sense. NULL when fine. */
static const char *check_flags(struct ma_server *s)
{
    const char *why = NULL;
    size_t i;

    if (ma_backend_pick(s->backend, s->backend != ma_backend_registry[0]->name,
                        (const void *const *)s->mod_self, s->run, &s->nrun, &s->pick_em) != MA_OK)
        return s->pick_em.msg;
    why = ma_serve_flags_check(&s->serve);
    for (i = 0; why == NULL && ma_backend_registry[i] != NULL; i++)
        if (ma_backend_registry[i]->check != NULL)
            why = ma_backend_registry[i]->check(s->mod_self[i]);
    return why;
}

/* ---- the cluster ----------------------------------------------------------------------------- */

/* An optional cluster is used only when one is named (--kubeconfig) or we run in a pod; a stray
 * $KUBECONFIG on a laptop must not turn `./build.sh run` into a cluster client. */
static int wants_cluster(const struct ma_server *s)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");

    return (s->kubeconfig != NULL && s->kubeconfig[0] != '\0') || (host != NULL && host[0]);
}

static int needs_cluster(const struct ma_server *s)
{
    size_t k;

    for (k = 0; k < s->nrun; k++)
        if (ma_backend_registry[s->run[k]]->cluster == MA_BACKEND_CLUSTER_REQUIRED)
            return 1;
    return wants_cluster(s);
}

static int add_ready_check(void *arg, const char *name,
                           int (*fn)(void *fn_arg, struct ma_errmsg *why), void *fn_arg)
{
    return ma_api_add_ready_check(arg, name, fn, fn_arg);
}

/* The cluster with its pods cache; every pods informer shows in /readyz. */
static int start_cluster(struct ma_server *s)
{
    struct ma_kube_informer *const *inf;
    const char *const *names;
    struct ma_errmsg em;
    size_t i, n;

    s->cluster = ma_kube_cluster_new(s->srv.loop, s->kubeconfig, &em);
    if (s->cluster == NULL) {
        MA_LOG_E("kube-apiserver configuration: %s", em.msg);
        return MA_ERR_SYNTAX;
    }
    MA_LOG_I("kube-apiserver: %s", ma_kube_cluster_origin(s->cluster));
    ma_kube_cluster_watch_pods(s->cluster, s->watch_namespaces.items, s->watch_namespaces.n);
    n = ma_kube_cluster_informers(s->cluster, &inf, &names);
    for (i = 0; i < n; i++)
        ma_api_add_ready_check(&s->srv.api, names[i], ma_kube_informer_ready, inf[i]);
    return MA_OK;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int start_backends(struct ma_server *s, const struct ma_provider_class ***out)
{
    struct ma_backend_env env = {s->srv.loop, NULL, add_ready_check, &s->srv.api};
    size_t k;

    if (needs_cluster(s) && start_cluster(s) != MA_OK)
        return MA_ERR_SYNTAX;
    env.cluster = s->cluster;
    for (k = 0; k < s->nrun; k++) {
        const struct ma_backend_module *m = ma_backend_registry[s->run[k]];

        if (m->start(s->mod_self[s->run[k]], &env, &s->prov[k]) != MA_OK)
            return MA_ERR_SYNTAX;
    }
    *out = s->nrun == 1 ? s->prov[0] : ma_prov_multi_new(s->prov, s->nrun);
    return MA_OK;
}

static int open_by_default(const struct ma_server *s)
{
    size_t k;

    for (k = 0; k < s->nrun; k++)
        if (!ma_backend_registry[s->run[k]]->open_by_default)
            return 0;
    return 1;
}

static int serve(struct ma_server *s)
{
    const struct ma_provider_class **p = NULL;
    size_t k, i;
    int rc = 1;

    if (ma_serve_open(&s->srv, &s->serve) == MA_OK && start_backends(s, &p) == MA_OK)
        rc = ma_serve_run(&s->srv, p, &s->auth_flags, open_by_default(s),
                          s->cluster ? ma_kube_cluster_client(s->cluster) : NULL);
    if (rc != 0) /* the process exits: nothing to free */
        return rc;
    ma_serve_close(&s->srv);
    if (s->nrun > 1)
        ma_prov_multi_free(p);
    for (k = 0; k < s->nrun; k++)
        if (ma_backend_registry[s->run[k]]->stop != NULL)
            ma_backend_registry[s->run[k]]->stop(s->mod_self[s->run[k]], s->prov[k]);
    ma_kube_cluster_free(s->cluster); /* its informers feed the modules' stores: first */
    for (k = 0; k < s->nrun; k++)
        if (ma_backend_registry[s->run[k]]->release != NULL)
            ma_backend_registry[s->run[k]]->release(s->mod_self[s->run[k]]);
    for (i = 0; ma_backend_registry[i] != NULL; i++)
        free(s->mod_self[i]);
    free(s->watch_namespaces.items);
    ma_serve_free(&s->srv);
    free(s->serve.tls_sans.items);
    return 0;
}

static void usage(const struct ma_flag *flags, size_t nflags)
{
    char intro[2048];
    size_t i, len;

    len = (size_t)snprintf(intro, sizeof intro, "metrics-adapter " MA_VERSION ": Kubernetes "
                           "custom and external metrics API server\n(custom.metrics.k8s.io "
                           "v1beta1/v1beta2, external.metrics.k8s.io v1beta1).\n\n");
    for (i = 0; ma_backend_registry[i] != NULL && len < sizeof intro; i++)
        len += (size_t)snprintf(intro + len, sizeof intro - len, "%s %s\n", i ? "      " : "Usage:",
                                ma_backend_registry[i]->usage);
    for (i = 0; i < sizeof subcommands / sizeof subcommands[0] && len < sizeof intro; i++)
        len += (size_t)snprintf(intro + len, sizeof intro - len, "       %s\n",
                                subcommands[i].usage);
    if (len < sizeof intro)
        snprintf(intro + len, sizeof intro - len, "\nFlags:\n");
    ma_flag_usage(1, intro, flags, nflags);
}

int main(int argc, char **argv)
{
    static struct ma_server srv;
    static struct ma_flag flags[MAX_FLAGS];
    struct ma_errmsg em;
    size_t nflags, i;
    const char *why;
    int r;

    for (i = 0; argc > 1 && i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].main(argc - 1, argv + 1);
    set_defaults(&srv);
    nflags = make_flags(&srv, flags);
    r = ma_flag_parse(flags, nflags, argc, argv, &em);
    if (r == MA_ERR_NOTFOUND) {
        usage(flags, nflags);
        return 0;
    }
    if (r != MA_OK)
        return bad_flag(em.msg);
    if (srv.version) {
        printf("metrics-adapter v%s (commit %s)\n", MA_VERSION, MA_GIT_COMMIT);
        return 0;
    }
    why = check_flags(&srv);
    if (why == NULL)
        why = ma_auth_flags_check(&srv.auth_flags, open_by_default(&srv), wants_cluster(&srv));
    if (why != NULL)
        return bad_flag(why);
    ma_log_set_verbosity((int)srv.verbosity);
    return serve(&srv);
}
