#include "backend/falcon_defs.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "kube/store.h"
#include "kube/watch.h"
#include "json/read.h"

/* Definitions are records of a watched store (kube/store.h), which does the relist
 * mark-and-sweep and the namespace/name lookups; this file adds what the store does not: the
 * decoding of each object into a struct ma_falcon_def (the record class), the refusals, and a view
 * sorted by (metric name, namespace) for discovery, rebuilt on first use after a change. */

struct entry {
    struct ma_kube_meta meta; /* first (store records): namespace and name point into def */
    char *refused;            /* the object did not decode: why (heap); def holds only its name */
    struct ma_falcon_def def; /* trimmed: only the used part of def._pool is allocated */
};

/* Mutable through a const registry: reading rebuilds it when the store changed. */
struct view {
    const struct entry **items; /* served definitions, by (def.name, def.namespace) */
    size_t n, cap;
    uint64_t gen;
    int built;
};

struct ma_falcon_defs {
    struct ma_kube_store *store;
    struct ma_kube_store_scope scope;
    struct view *view;
};

static const struct entry *entry_of(const struct ma_kube_meta *m)
{
    return (const struct entry *)(const void *)m;
}

/* A heap copy of def holding only the used part of its endpoint pool. */
static struct entry *entry_new(const struct ma_falcon_def *def, const char *refused)
{
    size_t pool = 0, size;
    struct entry *e;
    int i;

    for (i = 0; i < def->nendpoints; i++) {
        const char *ep = ma_falcon_def_ext_endpoint(def, i);
        size_t end = (size_t)(ep - def->_pool) + strlen(ep) + 1;

        if (end > pool)
            pool = end;
    }
    size = offsetof(struct entry, def) + offsetof(struct ma_falcon_def, _pool) + pool;
    e = ma_xmalloc(size);
    memset(&e->meta, 0, sizeof e->meta);
    e->refused = refused ? ma_xstrdup(refused) : NULL;
    memcpy(&e->def, def, offsetof(struct ma_falcon_def, _pool) + pool);
    e->meta.namespace = e->def.namespace;
    e->meta.name = e->def.name;
    return e;
}

static void free_rec(struct ma_kube_meta *m)
{
    struct entry *e = (struct entry *)(void *)m;

    free(e->refused);
    free(e);
}

/* An object that does not decode is kept as a refusal (its name and the reason), not dropped: a
 * request for it then answers 404 with the reason, instead of falling back to the naming
 * convention or, after an edit, to the previous and now wrong definition. */
static int decode(enum ma_falcon_def_kind kind, const struct ma_json_doc *d, int obj,
                  struct ma_kube_meta **out, struct ma_errmsg *em)
{
    struct ma_falcon_def *def = ma_xmalloc(sizeof *def);
    struct entry *e = NULL;
    int rc;

    if (kind == MA_FALCON_DEF_CUSTOM)
        rc = ma_falcon_def_parse_custom(d, obj, def, em);
    else
        rc = ma_falcon_def_parse_external(d, obj, def, em);
    if (rc == MA_OK) {
        e = entry_new(def, NULL);
    } else {
        memset(def, 0, offsetof(struct ma_falcon_def, _pool));
        if (ma_json_str(d, ma_json_path(d, obj, "metadata.namespace"), def->namespace,
                        sizeof def->namespace) > 0 &&
            ma_json_str(d, ma_json_path(d, obj, "metadata.name"), def->name, sizeof def->name) > 0)
            e = entry_new(def, em->msg);
    }
    free(def);
    *out = e != NULL ? &e->meta : NULL;
    return rc;
}

static int decode_custom(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                         struct ma_errmsg *em)
{
    return decode(MA_FALCON_DEF_CUSTOM, d, obj, out, em);
}

static int decode_external(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                           struct ma_errmsg *em)
{
    return decode(MA_FALCON_DEF_EXTERNAL, d, obj, out, em);
}

static const struct ma_kube_record_class custom_class = {"custommetrics", decode_custom, free_rec};
static const struct ma_kube_record_class external_class = {"externalmetrics", decode_external,
                                                           free_rec};

/* see backend/falcon_defs.h */
struct ma_falcon_defs *ma_falcon_defs_new(enum ma_falcon_def_kind kind)
{
    struct ma_falcon_defs *r = ma_xcalloc(1, sizeof *r);

    r->store = ma_kube_store_new(kind == MA_FALCON_DEF_CUSTOM ? &custom_class : &external_class);
    r->scope.store = r->store;
    r->view = ma_xcalloc(1, sizeof *r->view);
    return r;
}

/* see backend/falcon_defs.h */
void ma_falcon_defs_free(struct ma_falcon_defs *r)
{
    if (r == NULL)
        return;
    ma_kube_store_free(r->store);
    free(r->view->items);
    free(r->view);
    free(r);
}

/* see backend/falcon_defs.h */
void ma_falcon_defs_informer_handler(struct ma_falcon_defs *r, struct ma_kube_informer_handler *out)
{
    ma_kube_store_informer_handler(&r->scope, out);
}

/* ---- queries --------------------------------------------------------------------------------- */

static int collect(const struct ma_kube_meta *m, void *arg)
{
    struct view *v = arg;

    if (entry_of(m)->refused != NULL)
        return 0;
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->items = ma_xrealloc(v->items, v->cap * sizeof v->items[0]);
    }
    v->items[v->n++] = entry_of(m);
    return 0;
}

/* (name, namespace) order: one metric's namespaces are adjacent, so discovery lists it once */
static int cmp_view(const void *a, const void *b)
{
    const struct ma_falcon_def *x = &(*(const struct entry *const *)a)->def;
    const struct ma_falcon_def *y = &(*(const struct entry *const *)b)->def;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->namespace, y->namespace);
}

static const struct view *view_of(const struct ma_falcon_defs *r)
{
    struct view *v = r->view;
    uint64_t gen = ma_kube_store_generation(r->store);

    if (v->built && v->gen == gen)
        return v;
    v->n = 0;
    ma_kube_store_each(r->store, NULL, NULL, collect, v);
    if (v->n > 1)
        qsort(v->items, v->n, sizeof v->items[0], cmp_view);
    v->gen = gen;
    v->built = 1;
    return v;
}

/* see backend/falcon_defs.h */
const struct ma_falcon_def *ma_falcon_defs_get(const struct ma_falcon_defs *r,
                                               const char *namespace, const char *name)
{
    const struct ma_kube_meta *m = ma_kube_store_get(r->store, namespace, name);

    return m != NULL && entry_of(m)->refused == NULL ? &entry_of(m)->def : NULL;
}

/* see backend/falcon_defs.h */
const char *ma_falcon_defs_refusal(const struct ma_falcon_defs *r, const char *namespace,
                                   const char *name)
{
    const struct ma_kube_meta *m = ma_kube_store_get(r->store, namespace, name);

    return m != NULL ? entry_of(m)->refused : NULL;
}

/* see backend/falcon_defs.h */
int ma_falcon_defs_each(const struct ma_falcon_defs *r,
                        int (*fn)(const struct ma_falcon_def *def, void *arg), void *arg)
{
    const struct view *v = view_of(r);
    size_t i;
    int rc;

    for (i = 0; i < v->n; i++)
        if ((rc = fn(&v->items[i]->def, arg)) != 0)
            return rc;
    return 0;
}

/* see backend/falcon_defs.h */
uint64_t ma_falcon_defs_generation(const struct ma_falcon_defs *r)
{
    return ma_kube_store_generation(r->store);
}
