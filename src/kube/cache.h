#ifndef MA_KUBE_CACHE_H
#define MA_KUBE_CACHE_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"
#include "json/read.h"

/* A generic store of Kubernetes objects of one group/version/resource (CustomMetric custom
 * resources first), fed by the watch code with LIST items and watch events, telling its owner what
 * changed through callbacks (an informer's event handlers). Objects are keyed by namespace/name
 * (namespace "" for cluster-scoped ones). Each is one allocation holding its key, its
 * resourceVersion and a compact copy of its JSON text (whitespace outside strings dropped, all else
 * verbatim), of at most max_object bytes. Lookup is a binary search; insert and delete move the
 * pointers after the object (LIST order makes a sync append): meant for up to ~10^5 objects.
 * Single-threaded (event loop). */

/* One stored object. All strings are NUL-terminated and live as long as the object. */
struct ma_kube_cache_obj {
    const char *namespace, *name, *resource_version; /* "" when absent */
    const char *json;                                /* compact JSON text of the whole object */
    size_t json_len;
    int ntok; /* jsmn tokens json needs: size of the token array for ma_kube_cache_obj_parse */
    /* private */
    int _marked;
};

/* Called after the store changed. Each document is parsed from the stored copy (root token 0) into
 * a token array of exactly the object's size that the cache allocates for the call; documents and
 * objects are valid during the call only. Callbacks MUST NOT modify the cache; they MAY read it
 * (the store already holds the new state, and no longer holds a deleted object). Any callback MAY
 * be NULL. */
struct ma_kube_cache_handler {
    void (*on_add)(void *arg, const struct ma_json_doc *obj);
    void (*on_update)(void *arg, const struct ma_json_doc *old_obj,
                      const struct ma_json_doc *new_obj);
    void (*on_delete)(void *arg, const struct ma_json_doc *obj);
    void *arg;
};

struct ma_kube_cache_config {
    const char *what;  /* resource name for messages ("custommetrics"); MUST outlive the cache */
    size_t max_object; /* bytes of one object's compact JSON; 0: MA_KUBE_CACHE_MAX_OBJECT_DEFAULT */
    struct ma_kube_cache_handler handler;
};

struct ma_kube_cache;

/* A new empty cache; cfg is copied. */
struct ma_kube_cache *ma_kube_cache_new(const struct ma_kube_cache_config *cfg);
/* Free every object without calling any callback. c MAY be NULL. */
void ma_kube_cache_free(struct ma_kube_cache *c);

/* Store the object at token `obj` of d (a LIST item or a watch event's "object"), copying it:
 * d MAY be freed afterwards. New key: on_add. Known key: the object is replaced and on_update
 * fires, unless the compact text is byte-identical (a relist of an unchanged object: nothing but
 * its mark changes). Returns MA_OK; MA_ERR_SYNTAX when obj is not an object, metadata.name is
 * missing or not a string, or metadata.namespace or metadata.resourceVersion is not a string;
 * MA_ERR_LIMIT when the compact text exceeds max_object bytes or a key string exceeds
 * MA_KUBE_MAX_NAME. On error the store is unchanged, no callback runs, and em says why. */
int ma_kube_cache_upsert(struct ma_kube_cache *c, const struct ma_json_doc *d, int obj,
                         struct ma_errmsg *em);
/* Remove namespace/name (a DELETED event), calling on_delete with the stored copy (the last state
 * the cache saw). MA_OK; MA_ERR_NOTFOUND when absent. */
int ma_kube_cache_delete(struct ma_kube_cache *c, const char *namespace, const char *name);
/* Relist: mark every object; upserts clear the mark; sweep removes what is still marked, calling
 * on_delete for each, and returns how many it removed. */
void ma_kube_cache_mark_all(struct ma_kube_cache *c);
size_t ma_kube_cache_sweep(struct ma_kube_cache *c);

/* The object namespace/name, or NULL. Valid until the next modifying call. */
const struct ma_kube_cache_obj *ma_kube_cache_get(const struct ma_kube_cache *c,
                                                  const char *namespace, const char *name);
/* Call fn for each object of `namespace` (NULL: every namespace) in namespace/name byte order;
 * stops when fn returns non-zero and returns that value, else 0. fn MUST NOT modify the cache. */
int ma_kube_cache_each(const struct ma_kube_cache *c, const char *namespace,
                       int (*fn)(const struct ma_kube_cache_obj *o, void *arg), void *arg);
size_t ma_kube_cache_count(const struct ma_kube_cache *c);

struct ma_kube_informer_handler;
/* The informer handler that keeps c in step with a watch of any resource (the generic watched
 * cache: CustomMetric objects and the like). c MUST outlive the informers using it. */
void ma_kube_cache_informer_handler(struct ma_kube_cache *c, struct ma_kube_informer_handler *out);

/* Parse a stored object into d with the caller's toks[0..max) (max >= o->ntok suffices).
 * Returns MA_OK; MA_ERR_LIMIT when max is too small. d borrows o->json: valid as long as o. */
int ma_kube_cache_obj_parse(const struct ma_kube_cache_obj *o, struct ma_json_doc *d,
                            jsmntok_t *toks, int max);

#endif
