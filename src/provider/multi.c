#include "provider/multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/mem.h"

/* The routing table: every (kind, group_resource, metric) some member lists, with the member
 * serving it, kept in listing order (for discovery) and sorted (for lookups). Strings live in
 * `arena`, reset at each rebuild; the table is rebuilt when the members' summed generation
 * changes (or at every use when a member has no generation). */

#define TABLE_ARENA (4 * 1024 * 1024) /* names of every listed metric: ~10^5 entries */

struct route {
    int external;         /* 1: external metric (gr NULL) */
    const char *gr;       /* custom: "pods", "deployments.apps" */
    const char *metric;
    int namespaced;
    unsigned member;      /* index in members */
    int conflict;         /* -1, or the other member listing it too */
    int dup;              /* listed again by the same member (or a conflict's later entry) */
};

struct multi {
    const struct ma_provider_class *cls; /* first: the handle is &cls */
    const struct ma_provider_class **members[MA_PROV_MULTI_MAX];
    size_t n;
    struct ma_arena arena;
    struct route *routes; /* listing order */
    struct route **sorted;
    size_t nroutes, cap;
    int built;
    uint64_t built_gen;
    unsigned res_member[2]; /* MA_PROV_RES_PODS, _NODES: member + 1, 0 = none */
    int res_conflict[2];    /* other member + 1, 0 = none */
    char last_conflict[MA_ERRMSG_SIZE];
};

static struct multi *multi_of(const struct ma_provider_class **self)
{
    return (struct multi *)(void *)self;
}

static int has_generation(const struct multi *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        if ((*m->members[i])->generation == NULL)
            return 0;
    return 1;
}

static uint64_t generation(const struct ma_provider_class **self)
{
    struct multi *m = multi_of(self);
    uint64_t g = 0;
    size_t i;

    for (i = 0; i < m->n; i++)
        g += (*m->members[i])->generation(m->members[i]);
    return g;
}

static int cmp_parts(int ext, const char *gr, const char *metric, const struct route *r)
{
    int c = ext - r->external;

    if (c != 0)
        return c;
    if (!ext && (c = strcmp(gr, r->gr)) != 0)
        return c;
    return strcmp(metric, r->metric);
}

static int cmp_sort(const void *a, const void *b)
{
    const struct route *x = *(struct route *const *)a, *y = *(struct route *const *)b;
    int c = cmp_parts(x->external, x->gr, x->metric, y);

    if (c != 0)
        return c;
    return x < y ? -1 : x > y; /* listing order among equals: the first lister leads */
}

static struct route *find(const struct multi *m, int ext, const char *gr, const char *metric)
{
    size_t lo = 0, hi = m->nroutes;

    if (!ext && gr == NULL)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_parts(ext, gr, metric, m->sorted[mid]);

        if (c == 0) {
            while (mid > 0 && cmp_parts(ext, gr, metric, m->sorted[mid - 1]) == 0)
                mid--;
            return m->sorted[mid];
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void add_routes(struct multi *m, const struct ma_prov_list *l, int ext, unsigned member)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        struct route *r;

        if (m->nroutes == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->routes = ma_xrealloc(m->routes, m->cap * sizeof *m->routes);
        }
        r = &m->routes[m->nroutes++];
        r->external = ext;
        r->gr = l->items[i].group_resource;
        r->metric = l->items[i].metric;
        r->namespaced = l->items[i].namespaced;
        r->member = member;
        r->conflict = -1;
        r->dup = 0;
    }
}

static void note_conflict(struct multi *m, const char *what, unsigned a, unsigned b, int *logged)
{
    char msg[MA_ERRMSG_SIZE];

    if (*logged)
        return;
    *logged = 1;
    snprintf(msg, sizeof msg, "%s is served by both the %s and the %s backend", what,
             (*m->members[a])->name, (*m->members[b])->name);
    if (strcmp(msg, m->last_conflict) != 0)
        MA_LOG_E("configuration error: %s: it is left out of discovery and its queries fail "
                 "until only one backend serves it", msg);
    memcpy(m->last_conflict, msg, sizeof msg);
}

/* Rebuild the table from the members' lists. MA_OK or the first member's error. */
static int rebuild(struct multi *m)
{
    struct ma_prov_list l;
    char what[MA_ERRMSG_SIZE / 2];
    size_t i, j;
    int rc, logged = 0;

    ma_arena_reset(&m->arena);
    m->nroutes = 0;
    for (i = 0; i < m->n; i++) {
        const struct ma_provider_class **p = m->members[i];

        ma_prov_list_init(&l, &m->arena);
        if ((rc = (*p)->list_custom(p, &l)) != MA_OK)
            return rc;
        add_routes(m, &l, 0, (unsigned)i);
        ma_prov_list_init(&l, &m->arena);
        if ((rc = (*p)->list_external(p, &l)) != MA_OK)
            return rc;
        add_routes(m, &l, 1, (unsigned)i);
    }
    m->sorted = ma_xrealloc(m->sorted, (m->nroutes ? m->nroutes : 1) * sizeof *m->sorted);
    for (i = 0; i < m->nroutes; i++)
        m->sorted[i] = &m->routes[i];
    if (m->nroutes > 1)
        qsort(m->sorted, m->nroutes, sizeof *m->sorted, cmp_sort);
    for (i = 0; i < m->nroutes; i = j) {
        struct route *lead = m->sorted[i];
        int other = -1;
        size_t k;

        for (j = i + 1; j < m->nroutes && cmp_parts(lead->external, lead->gr, lead->metric,
                                                    m->sorted[j]) == 0; j++) {
            m->sorted[j]->dup = 1;
            if (other < 0 && m->sorted[j]->member != lead->member)
                other = (int)m->sorted[j]->member;
        }
        if (other < 0)
            continue;
        for (k = i; k < j; k++)
            m->sorted[k]->conflict = other;
        snprintf(what, sizeof what, "%s metric %s%s%s", lead->external ? "external" : "custom",
                 lead->external ? "" : lead->gr, lead->external ? "" : "/", lead->metric);
        note_conflict(m, what, lead->member, (unsigned)other, &logged);
    }
    memset(m->res_member, 0, sizeof m->res_member);
    memset(m->res_conflict, 0, sizeof m->res_conflict);
    for (i = 0; i < m->n; i++) {
        const struct ma_provider_class **p = m->members[i];
        unsigned bits = (*p)->list_resource != NULL ? (*p)->list_resource(p) : 0;

        for (j = 0; j < 2; j++) {
            if (!(bits & (1u << j)))
                continue;
            if (m->res_member[j] == 0)
                m->res_member[j] = (unsigned)i + 1;
            else if (m->res_conflict[j] == 0) {
                m->res_conflict[j] = (int)i + 1;
                note_conflict(m, j == 0 ? "pod resource metrics" : "node resource metrics",
                              m->res_member[j] - 1, (unsigned)i, &logged);
            }
        }
    }
    if (!logged)
        m->last_conflict[0] = '\0';
    m->built = 1;
    return MA_OK;
}

/* The table, current. MA_OK or a member's listing error. */
static int table(struct multi *m)
{
    if (m->built && (*m->cls).generation != NULL) {
        uint64_t g = generation((const struct ma_provider_class **)&m->cls);

        if (g == m->built_gen)
            return MA_OK;
        m->built_gen = g;
    }
    return rebuild(m);
}

/* ==== the provider ============================================================================ */

static int list_kind(const struct ma_provider_class **self, struct ma_prov_list *out, int ext)
{
    struct multi *m = multi_of(self);
    size_t i;
    int rc;

    if ((rc = table(m)) != MA_OK)
        return rc;
    for (i = 0; i < m->nroutes; i++) {
        const struct route *r = &m->routes[i];

        if (r->external != ext || r->dup || r->conflict >= 0)
            continue;
        if ((rc = ma_prov_list_add(out, r->gr, r->metric, r->namespaced)) != MA_OK)
            return rc;
    }
    return MA_OK;
}

static int list_custom(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    return list_kind(self, out, 0);
}

static int list_external(const struct ma_provider_class **self, struct ma_prov_list *out)
{
    return list_kind(self, out, 1);
}

static int forward(struct multi *m, unsigned member, struct ma_prov_query *q)
{
    const struct ma_provider_class **p = m->members[member];

    q->_owner = p;
    return ma_prov_get(p, q);
}

static int get_metric(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct multi *m = multi_of(self);
    const struct route *r;
    int rc;

    if ((rc = table(m)) != MA_OK) {
        ma_prov_query_fail(q, 503, "unable to list the metrics served: %s", ma_err_name(rc));
        return MA_OK;
    }
    r = find(m, q->kind == MA_PROV_EXTERNAL, q->group_resource, q->metric);
    if (r == NULL)
        return forward(m, 0, q);
    if (r->conflict >= 0) {
        ma_prov_query_fail(q, 500, "configuration error: metric %s is served by both the %s and "
                           "the %s backend", q->metric, (*m->members[r->member])->name,
                           (*m->members[r->conflict])->name);
        return MA_OK;
    }
    return forward(m, r->member, q);
}

static unsigned list_resource(const struct ma_provider_class **self)
{
    struct multi *m = multi_of(self);
    unsigned bits = 0;
    size_t i;

    for (i = 0; i < m->n; i++)
        if ((*m->members[i])->list_resource != NULL)
            bits |= (*m->members[i])->list_resource(m->members[i]);
    return bits;
}

static int get_resource(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    struct multi *m = multi_of(self);
    int j = q->resource == MA_PROV_RES_NODES ? 1 : 0, rc;

    if ((rc = table(m)) != MA_OK || m->res_member[j] == 0) {
        ma_prov_query_fail(q, 503, "no backend serves these resource metrics now");
        return MA_OK;
    }
    if (m->res_conflict[j] != 0) {
        ma_prov_query_fail(q, 500, "configuration error: %s resource metrics are served by both "
                           "the %s and the %s backend", j ? "node" : "pod",
                           (*m->members[m->res_member[j] - 1])->name,
                           (*m->members[m->res_conflict[j] - 1])->name);
        return MA_OK;
    }
    return forward(m, m->res_member[j] - 1, q);
}

static void cancel(const struct ma_provider_class **self, struct ma_prov_query *q)
{
    (void)self;
    if (q->_owner != NULL)
        (*q->_owner)->cancel(q->_owner, q);
}

static int ready(const struct ma_provider_class **self, struct ma_errmsg *why)
{
    struct multi *m = multi_of(self);
    size_t i;

    for (i = 0; i < m->n; i++)
        if (!(*m->members[i])->ready(m->members[i], why))
            return 0;
    return 1;
}

static const struct ma_provider_class multi_class = {
    "multi", list_custom, list_external, get_metric, get_metric, cancel, ready, generation,
    list_resource, get_resource,
};
/* the same without generation: some member cannot say when its answers change */
static const struct ma_provider_class multi_class_nogen = {
    "multi", list_custom, list_external, get_metric, get_metric, cancel, ready, NULL,
    list_resource, get_resource,
};

/* see provider/multi.h */
const struct ma_provider_class **ma_prov_multi_new(const struct ma_provider_class **const *members,
                                                   size_t n)
{
    struct multi *m;
    size_t i;

    if (n == 0 || n > MA_PROV_MULTI_MAX)
        return NULL;
    m = ma_xcalloc(1, sizeof *m);
    for (i = 0; i < n; i++)
        m->members[i] = members[i];
    m->n = n;
    m->cls = has_generation(m) ? &multi_class : &multi_class_nogen;
    ma_arena_init(&m->arena, TABLE_ARENA);
    return &m->cls;
}

/* see provider/multi.h */
void ma_prov_multi_free(const struct ma_provider_class **p)
{
    struct multi *m;

    if (p == NULL)
        return;
    m = multi_of(p);
    ma_arena_free(&m->arena);
    free(m->routes);
    free(m->sorted);
    free(m);
}
