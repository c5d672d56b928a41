#include "provider/provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Arena arrays grow by doubling: the old block stays in the arena until the request ends, which
 * costs at most as much again as the final array. */
static void *grow(struct ma_arena *a, void *old, size_t n, size_t *cap, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p;

    if (ncap < *cap || ncap > (size_t)-1 / size)
        return NULL;
    p = ma_arena_alloc(a, ncap * size);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, old, n * size);
    *cap = ncap;
    return p;
}

/* NULL stays NULL; otherwise a copy in the arena (NULL when full, reported by *full). */
static const char *dup(struct ma_arena *a, const char *s, int *full)
{
    char *p;

    if (s == NULL)
        return NULL;
    p = ma_arena_strndup(a, s, strlen(s));
    if (p == NULL)
        *full = 1;
    return p;
}

/* see provider/provider.h */
void ma_prov_list_init(struct ma_prov_list *l, struct ma_arena *arena)
{
    l->arena = arena;
    l->items = NULL;
    l->n = 0;
    l->_cap = 0;
}

/* see provider/provider.h */
int ma_prov_list_add(struct ma_prov_list *l, const char *group_resource, const char *metric,
                     int namespaced)
{
    struct ma_prov_metric_info *it;
    int full = 0;

    if (l->n == l->_cap) {
        void *p = grow(l->arena, l->items, l->n, &l->_cap, sizeof *l->items);

        if (p == NULL)
            return MA_ERR_NOSPACE;
        l->items = p;
    }
    it = &l->items[l->n];
    it->group_resource = dup(l->arena, group_resource, &full);
    it->metric = dup(l->arena, metric, &full);
    it->namespaced = namespaced;
    if (full)
        return MA_ERR_NOSPACE;
    l->n++;
    return MA_OK;
}

/* A fresh zeroed item at the end of q->values, or NULL when the arena is full. */
static struct ma_prov_value *add_value(struct ma_prov_query *q)
{
    struct ma_prov_value *v;

    if (q->num_values == q->_cap_values) {
        void *p = grow(q->arena, q->values, q->num_values, &q->_cap_values, sizeof *q->values);

        if (p == NULL)
            return NULL;
        q->values = p;
    }
    v = &q->values[q->num_values];
    memset(v, 0, sizeof *v);
    return v;
}

/* see provider/provider.h */
int ma_prov_query_add_object(struct ma_prov_query *q, const char *kind, const char *api_version,
                             const char *namespace, const char *name, time_t timestamp,
                             int64_t window_seconds, double value)
{
    struct ma_prov_value *v = add_value(q);
    int full = 0;

    if (v == NULL)
        return MA_ERR_NOSPACE;
    v->kind = dup(q->arena, kind, &full);
    v->api_version = dup(q->arena, api_version, &full);
    v->namespace = dup(q->arena, namespace, &full);
    v->name = dup(q->arena, name, &full);
    v->timestamp = timestamp;
    v->window_seconds = window_seconds;
    v->value = value;
    if (full)
        return MA_ERR_NOSPACE;
    q->num_values++;
    return MA_OK;
}

/* see provider/provider.h */
int ma_prov_query_add_external(struct ma_prov_query *q, const struct ma_kube_label *labels,
                               size_t n, time_t timestamp, int64_t window_seconds, double value)
{
    struct ma_prov_value *v = add_value(q);
    struct ma_kube_label *copy = NULL;
    int full = 0;
    size_t i;

    if (v == NULL)
        return MA_ERR_NOSPACE;
    if (n > 0) {
        if (n > (size_t)-1 / sizeof *copy)
            return MA_ERR_NOSPACE;
        copy = ma_arena_alloc(q->arena, n * sizeof *copy);
        if (copy == NULL)
            return MA_ERR_NOSPACE;
        for (i = 0; i < n; i++) {
            copy[i].key = dup(q->arena, labels[i].key, &full);
            copy[i].value = dup(q->arena, labels[i].value, &full);
        }
    }
    v->labels = copy;
    v->num_labels = n;
    v->timestamp = timestamp;
    v->window_seconds = window_seconds;
    v->value = value;
    if (full)
        return MA_ERR_NOSPACE;
    q->num_values++;
    return MA_OK;
}

/* see provider/provider.h */
void ma_prov_query_fail(struct ma_prov_query *q, int status, const char *fmt, ...)
{
    char tmp[2 * MA_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    q->err_status = status;
    ma_errmsg_set(&q->err, "%s", tmp); /* truncates with a "..." mark */
}

/* see provider/provider.h */
int ma_prov_query_add_usage(struct ma_prov_query *q, const char *namespace, const char *name,
                            time_t timestamp, int64_t window_seconds,
                            const struct ma_prov_container_usage *containers, size_t n,
                            double cpu_cores, double memory_bytes)
{
    struct ma_prov_container_usage *copy = NULL;
    struct ma_prov_usage *u;
    int full = 0;
    size_t i;

    if (q->num_usage == q->_cap_usage) {
        void *p = grow(q->arena, q->usage, q->num_usage, &q->_cap_usage, sizeof *q->usage);

        if (p == NULL)
            return MA_ERR_NOSPACE;
        q->usage = p;
    }
    if (n > 0) {
        if (n > (size_t)-1 / sizeof *copy)
            return MA_ERR_NOSPACE;
        copy = ma_arena_alloc(q->arena, n * sizeof *copy);
        if (copy == NULL)
            return MA_ERR_NOSPACE;
        for (i = 0; i < n; i++) {
            copy[i] = containers[i];
            copy[i].name = dup(q->arena, containers[i].name, &full);
        }
    }
    u = &q->usage[q->num_usage];
    memset(u, 0, sizeof *u);
    u->namespace = dup(q->arena, namespace, &full);
    u->name = dup(q->arena, name, &full);
    u->timestamp = timestamp;
    u->window_seconds = window_seconds;
    u->containers = copy;
    u->num_containers = n;
    u->cpu_cores = cpu_cores;
    u->memory_bytes = memory_bytes;
    if (full)
        return MA_ERR_NOSPACE;
    q->num_usage++;
    return MA_OK;
}

/* see provider/provider.h */
int ma_prov_get(const struct ma_provider_class **p, struct ma_prov_query *q)
{
    switch (q->kind) {
    case MA_PROV_CUSTOM:
        return (*p)->get_custom(p, q);
    case MA_PROV_EXTERNAL:
        return (*p)->get_external(p, q);
    case MA_PROV_RESOURCE:
        break;
    }
    if ((*p)->list_resource == NULL || (*p)->get_resource == NULL ||
        ((*p)->list_resource(p) & (unsigned)q->resource) == 0) {
        ma_prov_query_fail(q, 404, "the server could not find the requested resource (%s metrics "
                           "are not served)", q->resource == MA_PROV_RES_NODES ? "node" : "pod");
        return MA_OK;
    }
    return (*p)->get_resource(p, q);
}
