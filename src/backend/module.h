#ifndef MA_BACKEND_MODULE_H
#define MA_BACKEND_MODULE_H

#include <stddef.h>

#include "base/err.h"
#include "base/flag.h"
#include "provider/provider.h"

struct ma_net_loop;
struct ma_kube_cluster;

/* A backend as a module (nginx's ngx_module_t): one static descriptor carrying the backend's
 * name, its flags, their check, its start-up and its shutdown, listed once in the registry
 * (backend/registry.c). src/main.c walks the registry and never names a backend: adding one adds
 * its files and one registry line.
 *
 * Life of a module in one process, every call on the loop thread:
 *   init(self)              every registered module, before flags are parsed (defaults)
 *   flags(self, out)        every registered module: each backend's flags are always accepted
 *   check(self)             every registered module, after parsing
 *   selects(self)           every registered module: may select itself (--demo)
 *   start(self, env, &p)    selected modules only, in registry order
 *   stop(self, p)           after the HTTP server is gone, before the cluster is freed
 *   release(self)           after the cluster is freed (stores its informers fed), selected only
 * `self` is the module's own zeroed block of `size` bytes, made by the core: flag values and
 * whatever start makes. */

/* Room each module's flags may use in the table (MA_BACKEND_MAX_FLAGS entries). */
#define MA_BACKEND_MAX_FLAGS 24
/* Modules the registry may hold and a process may run at once. */
#define MA_BACKEND_MAX_MODULES 8

/* What a module's start gets from the core. */
struct ma_backend_env {
    struct ma_net_loop *loop;          /* not owned; outlives the module */
    struct ma_kube_cluster *cluster;   /* NULL when no cluster is configured (only for modules
                                          whose cluster is MA_BACKEND_CLUSTER_OPTIONAL); its pods
                                          cache is already being watched */
    /* The readiness registrar: add a named check to /readyz (name and fn_arg not copied: they
     * MUST outlive the module). MAY be called at any time on the loop (caches started later, as
     * a Prometheus rule's resources). MA_OK or MA_ERR_LIMIT when too many checks exist. */
    int (*add_ready_check)(void *arg, const char *name,
                           int (*fn)(void *fn_arg, struct ma_errmsg *why), void *fn_arg);
    void *ready_arg;
};

enum ma_backend_cluster {
    MA_BACKEND_CLUSTER_REQUIRED, /* always talks to kube-apiserver (definitions, pods) */
    MA_BACKEND_CLUSTER_OPTIONAL  /* uses one when configured (--kubeconfig, or running in a pod) */
};

/* What a module's flags say about selecting it, beside --backend. */
enum ma_backend_select {
    MA_BACKEND_SELECT_NONE, /* only when --backend names it */
    MA_BACKEND_SELECT_ADD,  /* also run it (a Prometheus URL given) */
    MA_BACKEND_SELECT_ONLY  /* run it alone, whatever --backend says (--demo) */
};

struct ma_backend_module {
    const char *name;  /* the --backend value: "falcon", "demo" */
    const char *usage; /* one line of the --help synopsis */
    enum ma_backend_cluster cluster;
    /* Without --authorization-mode, the authorization it implies: 1 AlwaysAllow (the demo, a
     * sandbox), 0 Delegated. Several modules: AlwaysAllow only when all say 1. */
    int open_by_default;
    size_t size; /* bytes of self */
    /* Defaults into self. MAY be NULL. */
    void (*init)(void *self);
    /* Append the module's flag entries (at most MA_BACKEND_MAX_FLAGS) bound to self; returns how
     * many. MAY be NULL. */
    size_t (*flags)(void *self, struct ma_flag *out);
    /* NULL when the values make sense, else a one-line reason (exit 2). MAY be NULL. */
    const char *(*check)(const void *self);
    /* MAY be NULL (SELECT_NONE). */
    enum ma_backend_select (*selects)(const void *self);
    /* Start serving: make the provider (*out), start the module's watches through env->cluster
     * and register their readiness checks. MA_OK, or a negative code after logging why (the
     * process exits 1). env is valid during the call only; its members outlive the module. */
    int (*start)(void *self, const struct ma_backend_env *env,
                 const struct ma_provider_class ***out);
    /* Free the provider start made (p MAY be NULL when start failed). MAY be NULL. */
    void (*stop)(void *self, const struct ma_provider_class **p);
    /* Free what the cluster's informers fed (stores), once the cluster is freed. MAY be NULL. */
    void (*release)(void *self);
};

/* The registry: every backend compiled in, NULL-terminated, in start (and routing) order. */
extern const struct ma_backend_module *const ma_backend_registry[];

/* The module named name[0..len), or NULL. */
const struct ma_backend_module *ma_backend_find(const char *name, size_t len);

/* The registered names, ", "-separated, into buf[0..cap) (truncated when short); returns buf. */
const char *ma_backend_names(char *buf, size_t cap);

/* Pick the modules to run into run[0..*n) (indexes into ma_backend_registry, in registry order of
 * selection, each once). selves[i] is registered module i's block (its flags parsed). A module
 * whose selects says ONLY runs alone (--demo, whatever --backend says). Otherwise: the modules
 * the comma-separated list names, plus those whose selects says ADD; the list counts only when
 * `given` (the user set --backend) or no module said ADD (the default list then yields to a
 * module its own flags selected). MA_OK, or MA_ERR_SYNTAX with em naming the bad entry. */
int ma_backend_pick(const char *list, int given, const void *const *selves, size_t *run,
                    size_t *n, struct ma_errmsg *em);

#endif
