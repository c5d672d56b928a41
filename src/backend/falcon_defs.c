#include "backend/falcon_defs.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/sorted.h"
#include "kube/watch.h"
#include "json/read.h"

struct entry {
    int marked;               /* relist: not seen again yet */
    char *refused;            /* the object did not decode: why (heap); def holds only its name */
    struct ma_falcon_def def; /* trimmed: only the used part of def._pool is allocated */
};

struct ma_falcon_defs {
    enum ma_falcon_def_kind kind;
    struct entry **items; /* sorted by (def.name, def.namespace) */
    size_t n, cap;
    size_t refused;
    uint64_t gen; /* bumped by every change */
};

/* see backend/falcon_defs.h */
struct ma_falcon_defs *ma_falcon_defs_new(enum ma_falcon_def_kind kind)
{
    struct ma_falcon_defs *r = ma_xcalloc(1, sizeof *r);

    r->kind = kind;
    return r;
}

static void entry_free(struct entry *e)
{
    free(e->refused);
    free(e);
}

/* see backend/falcon_defs.h */
void ma_falcon_defs_free(struct ma_falcon_defs *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++)
        entry_free(r->items[i]);
    free(r->items);
    free(r);
}

struct key {
    const char *namespace, *name;
};

/* (name, namespace) order: one metric's namespaces are adjacent */
static int cmp_entry(const void *key, const void *elem)
{
    const struct key *k = key;
    const struct ma_falcon_def *d = &(*(struct entry *const *)elem)->def;
    int c = strcmp(k->name, d->name);

    return c != 0 ? c : strcmp(k->namespace, d->namespace);
}

/* Index of namespace/name, or of where it would go (*found = 0). */
static size_t find(const struct ma_falcon_defs *r, const char *namespace, const char *name,
                   int *found)
{
    struct key k = {namespace, name};

    return ma_sorted_find(r->items, r->n, sizeof r->items[0], &k, cmp_entry, found);
}

/* A heap copy of def holding only the used part of its endpoint pool. */
static struct entry *entry_new(const struct ma_falcon_def *def)
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
    e->marked = 0;
    e->refused = NULL;
    memcpy(&e->def, def, offsetof(struct ma_falcon_def, _pool) + pool);
    return e;
}

static void remove_at(struct ma_falcon_defs *r, size_t i)
{
    r->gen++;
    entry_free(r->items[i]);
    memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof r->items[0]);
    r->n--;
}

/* Store def; refused: the object named by def did not decode, for that reason. */
static void put(struct ma_falcon_defs *r, const struct ma_falcon_def *def, const char *refused)
{
    int found;
    size_t i = find(r, def->namespace, def->name, &found);
    struct entry *e = entry_new(def);

    e->refused = refused ? ma_xstrdup(refused) : NULL;
    r->gen++;
    if (found) {
        entry_free(r->items[i]);
        r->items[i] = e;
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->items = ma_xrealloc(r->items, r->cap * sizeof r->items[0]);
    }
    memmove(&r->items[i + 1], &r->items[i], (r->n - i) * sizeof r->items[0]);
    r->items[i] = e;
    r->n++;
}

static void drop(struct ma_falcon_defs *r, const char *namespace, const char *name)
{
    int found;
    size_t i = find(r, namespace, name, &found);

    if (found)
        remove_at(r, i);
}

/* ---- informer handler ------------------------------------------------------------------------ */

static void on_relist_begin(void *arg)
{
    struct ma_falcon_defs *r = arg;
    size_t i;

    for (i = 0; i < r->n; i++)
        r->items[i]->marked = 1;
}

static void on_relist_end(void *arg)
{
    struct ma_falcon_defs *r = arg;
    size_t i = 0;

    while (i < r->n) {
        if (r->items[i]->marked)
            remove_at(r, i);
        else
            i++;
    }
}

/* An object that does not decode is kept as a refusal (its name and the reason), not dropped: a
 * request for it then answers 404 with the reason, instead of falling back to the naming
 * convention or, after an edit, to the previous and now wrong definition. */
static int on_upsert(void *arg, const struct ma_json_doc *d, int obj, struct ma_errmsg *em)
{
    struct ma_falcon_defs *r = arg;
    struct ma_falcon_def *def = ma_xmalloc(sizeof *def);
    int rc;

    if (r->kind == MA_FALCON_DEF_CUSTOM)
        rc = ma_falcon_def_parse_custom(d, obj, def, em);
    else
        rc = ma_falcon_def_parse_external(d, obj, def, em);
    if (rc == MA_OK) {
        put(r, def, NULL);
    } else {
        r->refused++;
        memset(def, 0, offsetof(struct ma_falcon_def, _pool));
        if (ma_json_str(d, ma_json_path(d, obj, "metadata.namespace"), def->namespace,
                        sizeof def->namespace) > 0 &&
            ma_json_str(d, ma_json_path(d, obj, "metadata.name"), def->name, sizeof def->name) > 0)
            put(r, def, em->msg);
    }
    free(def);
    return rc;
}

static void on_remove(void *arg, const char *namespace, const char *name)
{
    drop(arg, namespace, name);
}

/* see backend/falcon_defs.h */
void ma_falcon_defs_informer_handler(struct ma_falcon_defs *r, struct ma_kube_informer_handler *out)
{
    out->relist_begin = on_relist_begin;
    out->upsert = on_upsert;
    out->remove = on_remove;
    out->relist_end = on_relist_end;
    out->arg = r;
}

/* ---- queries --------------------------------------------------------------------------------- */

/* see backend/falcon_defs.h */
const struct ma_falcon_def *ma_falcon_defs_get(const struct ma_falcon_defs *r,
                                               const char *namespace, const char *name)
{
    int found;
    size_t i = find(r, namespace, name, &found);

    return found && r->items[i]->refused == NULL ? &r->items[i]->def : NULL;
}

/* see backend/falcon_defs.h */
const char *ma_falcon_defs_refusal(const struct ma_falcon_defs *r, const char *namespace,
                                   const char *name)
{
    int found;
    size_t i = find(r, namespace, name, &found);

    return found ? r->items[i]->refused : NULL;
}

/* see backend/falcon_defs.h */
int ma_falcon_defs_each(const struct ma_falcon_defs *r,
                        int (*fn)(const struct ma_falcon_def *def, void *arg), void *arg)
{
    size_t i;
    int rc;

    for (i = 0; i < r->n; i++)
        if (r->items[i]->refused == NULL && (rc = fn(&r->items[i]->def, arg)) != 0)
            return rc;
    return 0;
}

/* see backend/falcon_defs.h */
size_t ma_falcon_defs_count(const struct ma_falcon_defs *r)
{
    size_t i, n = 0;

    for (i = 0; i < r->n; i++)
        n += r->items[i]->refused == NULL;
    return n;
}

/* see backend/falcon_defs.h */
size_t ma_falcon_defs_refused(const struct ma_falcon_defs *r)
{
    return r->refused;
}

/* see backend/falcon_defs.h */
uint64_t ma_falcon_defs_generation(const struct ma_falcon_defs *r)
{
    return r->gen;
}
