#ifndef MA_BACKEND_FALCON_DEFS_H
#define MA_BACKEND_FALCON_DEFS_H

#include <stddef.h>

#include "backend/falcon_def.h"

/* The registry of one kind of metric definition (all CustomMetric objects, or all ExternalMetric
 * objects) kept in step with a watch of that resource: each object is decoded once, when it
 * arrives, into a struct ma_falcon_def, so answering a request never parses JSON. Objects that do
 * not decode are logged (once per change) and kept as refusals: not served, not listed, but their
 * name and the reason stay known (ma_falcon_defs_refusal).
 *
 * The objects are records of a watched store (kube/store.h): a lookup by namespace/name is a hash
 * probe; ma_falcon_defs_each walks them in (metric name, namespace) order, so the definitions of
 * one metric name in several namespaces are adjacent, which lets discovery list a name once.
 * Each definition is one allocation trimmed to the bytes it uses (an ExternalMetric's endpoint
 * pool is the only large part). Single-threaded (event loop). */

struct ma_falcon_defs;
struct ma_kube_informer_handler;

/* A new empty registry of kind (the parser used for incoming objects). Never NULL. */
struct ma_falcon_defs *ma_falcon_defs_new(enum ma_falcon_def_kind kind);
void ma_falcon_defs_free(struct ma_falcon_defs *r); /* NULL is a no-op */

/* The informer handler that keeps r in step with a watch of the kind's resource. r MUST outlive
 * the informer. */
void ma_falcon_defs_informer_handler(struct ma_falcon_defs *r,
                                     struct ma_kube_informer_handler *out);

/* The definition of metric `name` in `namespace`, or NULL. Valid until the registry next changes
 * (an informer event), i.e. within one loop callback. */
const struct ma_falcon_def *ma_falcon_defs_get(const struct ma_falcon_defs *r,
                                               const char *namespace, const char *name);

/* Why the object namespace/name was refused (the decode error), or NULL when it decoded or does
 * not exist. Valid as ma_falcon_defs_get's result. */
const char *ma_falcon_defs_refusal(const struct ma_falcon_defs *r, const char *namespace,
                                   const char *name);

/* Call fn for each definition in (name, namespace) order; stops when fn returns non-zero and
 * returns that value, else 0. fn MUST NOT modify the registry. */
int ma_falcon_defs_each(const struct ma_falcon_defs *r,
                        int (*fn)(const struct ma_falcon_def *def, void *arg), void *arg);

/* A counter bumped by every change of the registry (answers built from it stay valid while it
 * stays the same). */
uint64_t ma_falcon_defs_generation(const struct ma_falcon_defs *r);

#endif
