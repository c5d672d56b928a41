#include "provider/valcache.h"

#include "base/mem.h"
#include "net/loop.h"

#include <stdio.h>
#include <string.h>

/* One allocation per entry, key inline. Entries sit in a hash chain and in one recency list
 * ordered by last fetch (now_ms never decreases, so appending at the tail keeps it sorted):
 * eviction takes the first entry from the head that is not in flight. */
struct entry {
    struct entry *hnext;
    struct entry *prev, *next;       /* recency list */
    struct ma_valcache_fetch *fetch; /* non-NULL while in flight */
    uint64_t hash;
    int stored; /* a complete has filled the sample at least once */
    int has_value;
    int64_t timestamp;
    double value;
    int64_t fetched_at;
    size_t klen;
    char key[];
};

struct ma_valcache_fetch {
    struct ma_valcache_fetch *prev, *next; /* c->fetches, for ma_valcache_free */
    struct ma_valcache_waiter **waiters;   /* registration order */
    size_t nwaiters, capwaiters;
    uint64_t mark; /* serial of the last waiter registration that listed it */
    size_t n;
    struct entry *ents[];
};

struct ma_valcache_waiter {
    struct ma_valcache_waiter *prev, *next; /* c->waiters */
    struct ma_valcache *c;
    ma_valcache_wait_fn cb;
    void *arg;
    int64_t ttl_ms;
    size_t pending; /* fetches not yet completed or failed */
    int ready;      /* pending reached 0: queued on c->ready */
    struct ma_valcache_waiter *rprev, *rnext;
    int err;
    struct ma_errmsg em;
    size_t n;
    struct entry **ents; /* per key: the in-flight entry still awaited, else NULL */
    struct ma_valcache_sample samples[];
};

struct ma_valcache {
    struct ma_net_loop *loop;
    size_t max_entries;
    int64_t default_ttl_ms;
    struct entry **buckets;
    size_t nbuckets, count, inflight;
    struct entry *head, *tail;
    struct ma_valcache_fetch *fetches;
    struct ma_valcache_waiter *waiters, *wtail;
    /* Waiters due, FIFO, run by one 0 ms timer: the loop's heap does not order equal deadlines,
     * and waiters MUST run in the order they became due. */
    struct ma_valcache_waiter *ready, *rtail;
    size_t nready;
    uint64_t timer;
    uint64_t serial;
};

/* keys are short and chosen by the backend, not by clients, so flooding is not a concern */
static uint64_t hash_key(const char *p, size_t n)
{
    return ma_hash_fnv1a(p, n);
}

static struct entry *find(struct ma_valcache *c, struct ma_str key, uint64_t h)
{
    struct entry *e;

    for (e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->klen == key.len && memcmp(e->key, key.p, key.len) == 0)
            return e;
    return NULL;
}

static void grow_buckets(struct ma_valcache *c)
{
    size_t nb = c->nbuckets * 2, i;
    struct entry **b = ma_xcalloc(nb, sizeof(*b));

    for (i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i], *next;

        for (; e != NULL; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
}

static void list_unlink(struct ma_valcache *c, struct entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_append(struct ma_valcache *c, struct entry *e)
{
    e->prev = c->tail;
    e->next = NULL;
    if (c->tail != NULL)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
}

static void remove_entry(struct ma_valcache *c, struct entry *e)
{
    struct entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    list_unlink(c, e);
    c->count--;
    free(e);
}

static struct entry *insert(struct ma_valcache *c, struct ma_str key, uint64_t h)
{
    struct entry *e = ma_xcalloc(1, sizeof(*e) + key.len);
    size_t b;

    if (c->count >= c->nbuckets)
        grow_buckets(c);
    memcpy(e->key, key.p, key.len);
    e->klen = key.len;
    e->hash = h;
    e->fetched_at = -1;
    b = h & (c->nbuckets - 1);
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    list_append(c, e);
    c->count++;
    return e;
}

static void evict_one(struct ma_valcache *c)
{
    struct entry *e = c->head;

    while (e != NULL && e->fetch != NULL)
        e = e->next;
    if (e == NULL)
        abort(); /* broken invariant: begin_fetch checked that room exists */
    remove_entry(c, e);
}

static int64_t ttl_of(const struct ma_valcache *c, int64_t ttl_ms)
{
    return ttl_ms < 0 ? c->default_ttl_ms : ttl_ms;
}

static int is_fresh(const struct entry *e, int64_t ttl, int64_t now_ms)
{
    return e->stored && now_ms - e->fetched_at < ttl;
}

static void copy_sample(struct ma_valcache_sample *s, const struct entry *e, int state)
{
    s->state = state;
    s->has_value = e != NULL && e->stored ? e->has_value : 0;
    s->timestamp = e != NULL && e->stored ? e->timestamp : 0;
    s->value = e != NULL && e->stored ? e->value : 0;
    s->fetched_at = e != NULL && e->stored ? e->fetched_at : -1;
}

/* see provider/valcache.h */
struct ma_valcache *ma_valcache_new(struct ma_net_loop *loop, const struct ma_valcache_config *cfg)
{
    struct ma_valcache *c = ma_xcalloc(1, sizeof(*c));

    c->loop = loop;
    c->max_entries =
        cfg != NULL && cfg->max_entries > 0 ? cfg->max_entries : MA_VALCACHE_MAX_ENTRIES_DEFAULT;
    c->default_ttl_ms =
        cfg != NULL && cfg->default_ttl_ms >= 0 ? cfg->default_ttl_ms : MA_VALCACHE_TTL_DEFAULT_MS;
    c->nbuckets = 16;
    c->buckets = ma_xcalloc(c->nbuckets, sizeof(*c->buckets));
    return c;
}

static void unqueue(struct ma_valcache *c, struct ma_valcache_waiter *w)
{
    if (!w->ready)
        return;
    if (w->rprev != NULL)
        w->rprev->rnext = w->rnext;
    else
        c->ready = w->rnext;
    if (w->rnext != NULL)
        w->rnext->rprev = w->rprev;
    else
        c->rtail = w->rprev;
    w->rprev = w->rnext = NULL;
    w->ready = 0;
    c->nready--;
}

static void free_waiter(struct ma_valcache *c, struct ma_valcache_waiter *w)
{
    unqueue(c, w);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        c->waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        c->wtail = w->prev;
    free(w->ents);
    free(w);
}

static void free_fetch(struct ma_valcache *c, struct ma_valcache_fetch *f)
{
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        c->fetches = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    free(f->waiters);
    free(f);
}

/* see provider/valcache.h */
void ma_valcache_free(struct ma_valcache *c)
{
    struct entry *e, *next;

    if (c == NULL)
        return;
    if (c->timer != 0)
        ma_net_loop_del_timer(c->loop, c->timer);
    while (c->waiters != NULL)
        free_waiter(c, c->waiters);
    while (c->fetches != NULL)
        free_fetch(c, c->fetches);
    for (e = c->head; e != NULL; e = next) {
        next = e->next;
        free(e);
    }
    free(c->buckets);
    free(c);
}

/* see provider/valcache.h */
int ma_valcache_lookup(struct ma_valcache *c, const struct ma_str *keys, size_t n, int64_t ttl_ms,
                       int64_t now_ms, struct ma_valcache_sample *samples_out, size_t *missing_out)
{
    int64_t ttl = ttl_of(c, ttl_ms);
    size_t i;
    int m = 0;

    for (i = 0; i < n; i++) {
        struct entry *e = find(c, keys[i], hash_key(keys[i].p, keys[i].len));
        int state;

        if (e != NULL && is_fresh(e, ttl, now_ms))
            state = MA_VALCACHE_FRESH;
        else if (e != NULL && e->fetch != NULL)
            state = MA_VALCACHE_INFLIGHT;
        else
            state = MA_VALCACHE_MISSING;
        copy_sample(&samples_out[i], e, state);
        if (state == MA_VALCACHE_MISSING)
            missing_out[m++] = i;
    }
    return m;
}

/* see provider/valcache.h */
int ma_valcache_begin_fetch(struct ma_valcache *c, const struct ma_str *keys, const size_t *idx,
                            size_t nidx, int64_t now_ms, struct ma_valcache_fetch **out,
                            struct ma_errmsg *em)
{
    struct ma_valcache_fetch *f;
    size_t i, pin = 0;

    (void)now_ms; /* a new entry's place in the recency list is its begin_fetch time */
    /* Count what this fetch will pin first, so a refusal changes nothing: every pinned entry
     * (new, or existing and not yet in flight) is one that eviction may no longer take.
     * Duplicates within idx are counted twice: a conservative bound, never an overflow. */
    for (i = 0; i < nidx; i++) {
        struct entry *e = find(c, keys[idx[i]], hash_key(keys[idx[i]].p, keys[idx[i]].len));

        if (e == NULL || e->fetch == NULL)
            pin++;
    }
    if (pin > c->max_entries - c->inflight) {
        *out = NULL;
        ma_errmsg_set(em, "value cache full: %zu of %zu entries in flight, %zu more needed",
                      c->inflight, c->max_entries, pin);
        return MA_ERR_LIMIT;
    }
    f = ma_xcalloc(1, sizeof(*f) + nidx * sizeof(f->ents[0]));
    for (i = 0; i < nidx; i++) {
        struct ma_str k = keys[idx[i]];
        uint64_t h = hash_key(k.p, k.len);
        struct entry *e = find(c, k, h);

        if (e == NULL) {
            if (c->count >= c->max_entries)
                evict_one(c);
            e = insert(c, k, h);
        }
        if (e->fetch != NULL) /* another fetch, or this one (duplicate key) */
            continue;
        e->fetch = f;
        c->inflight++;
        f->ents[f->n++] = e;
    }
    f->next = c->fetches;
    if (c->fetches != NULL)
        c->fetches->prev = f;
    c->fetches = f;
    *out = f;
    return MA_OK;
}

/* see provider/valcache.h */
size_t ma_valcache_fetch_count(const struct ma_valcache_fetch *f)
{
    return f->n;
}

/* see provider/valcache.h */
struct ma_str ma_valcache_fetch_key(const struct ma_valcache_fetch *f, size_t i)
{
    return ma_str_make(f->ents[i]->key, f->ents[i]->klen);
}

/* Run at most as many waiters as were due when the timer fired; the rest get a new turn, so a
 * callback that waits again is never run inside its own wait call nor starves the loop. */
static int64_t fire(struct ma_net_loop *loop, void *arg)
{
    struct ma_valcache *c = arg;
    size_t budget = c->nready;

    (void)loop;
    c->timer = 0;
    while (budget-- > 0 && c->ready != NULL) {
        struct ma_valcache_waiter *w = c->ready;

        unqueue(c, w);
        w->cb(w->arg, w->err, w->em.msg, w->samples, w->n);
        free_waiter(c, w);
    }
    if (c->ready != NULL && c->timer == 0)
        c->timer = ma_net_loop_add_timer(c->loop, 0, fire, c);
    return MA_NET_TIMER_STOP;
}

static void schedule(struct ma_valcache *c, struct ma_valcache_waiter *w)
{
    w->ready = 1;
    w->rprev = c->rtail;
    if (c->rtail != NULL)
        c->rtail->rnext = w;
    else
        c->ready = w;
    c->rtail = w;
    c->nready++;
    if (c->timer == 0)
        c->timer = ma_net_loop_add_timer(c->loop, 0, fire, c);
}

/* Hand the outcome of f to its waiters, in registration order, while f's entries still point at
 * f (so each waiter finds its slots) and before a failed fetch drops never-stored entries. */
static void notify(struct ma_valcache *c, struct ma_valcache_fetch *f, int err, const char *msg,
                   int64_t now_ms)
{
    size_t i, j;

    for (i = 0; i < f->nwaiters; i++) {
        struct ma_valcache_waiter *w = f->waiters[i];

        for (j = 0; j < w->n; j++) {
            struct entry *e = w->ents[j];
            int state = MA_VALCACHE_FRESH;

            if (e == NULL || e->fetch != f)
                continue;
            if (err != MA_OK && !is_fresh(e, w->ttl_ms, now_ms))
                state = MA_VALCACHE_FAILED;
            copy_sample(&w->samples[j], e, state);
            w->ents[j] = NULL;
        }
        if (err != MA_OK && w->err == MA_OK) {
            w->err = err;
            snprintf(w->em.msg, sizeof(w->em.msg), "%s", msg != NULL ? msg : "");
        }
        if (--w->pending == 0)
            schedule(c, w);
    }
}

/* see provider/valcache.h */
void ma_valcache_complete(struct ma_valcache *c, struct ma_valcache_fetch *f,
                          const struct ma_valcache_result *res, size_t nres, int64_t now_ms)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        struct entry *e = f->ents[i];

        e->stored = 1;
        e->has_value = 0;
        e->timestamp = 0;
        e->value = 0;
        e->fetched_at = now_ms;
        list_unlink(c, e);
        list_append(c, e);
    }
    for (i = 0; i < nres; i++) {
        struct entry *e = find(c, res[i].key, hash_key(res[i].key.p, res[i].key.len));

        if (e == NULL || e->fetch != f)
            continue;
        e->has_value = res[i].has_value != 0;
        e->timestamp = res[i].timestamp;
        e->value = res[i].value;
    }
    notify(c, f, MA_OK, NULL, now_ms);
    for (i = 0; i < f->n; i++)
        f->ents[i]->fetch = NULL;
    c->inflight -= f->n;
    free_fetch(c, f);
}

/* see provider/valcache.h */
void ma_valcache_fail(struct ma_valcache *c, struct ma_valcache_fetch *f, int err, const char *msg,
                      int64_t now_ms)
{
    size_t i;

    if (err >= 0)
        err = MA_ERR_UPSTREAM; /* a waiter MUST be able to tell failure from success */
    notify(c, f, err, msg, now_ms);
    for (i = 0; i < f->n; i++) {
        struct entry *e = f->ents[i];

        e->fetch = NULL;
        if (!e->stored)
            remove_entry(c, e);
    }
    c->inflight -= f->n;
    free_fetch(c, f);
}

static void add_waiter(struct ma_valcache_fetch *f, struct ma_valcache_waiter *w)
{
    if (f->nwaiters == f->capwaiters) {
        f->capwaiters = f->capwaiters ? f->capwaiters * 2 : 4;
        f->waiters = ma_xrealloc(f->waiters, f->capwaiters * sizeof(*f->waiters));
    }
    f->waiters[f->nwaiters++] = w;
}

static void drop_waiter(struct ma_valcache_fetch *f, struct ma_valcache_waiter *w)
{
    size_t i;

    for (i = 0; i < f->nwaiters; i++)
        if (f->waiters[i] == w) {
            memmove(&f->waiters[i], &f->waiters[i + 1], (f->nwaiters - i - 1) * sizeof(w));
            f->nwaiters--;
            return;
        }
}

/* see provider/valcache.h */
struct ma_valcache_waiter *ma_valcache_wait(struct ma_valcache *c, const struct ma_str *keys,
                                            size_t n, int64_t ttl_ms, int64_t now_ms,
                                            ma_valcache_wait_fn cb, void *arg)
{
    struct ma_valcache_waiter *w = ma_xcalloc(1, sizeof(*w) + n * sizeof(w->samples[0]));
    uint64_t serial = ++c->serial;
    size_t i;

    w->c = c;
    w->cb = cb;
    w->arg = arg;
    w->ttl_ms = ttl_of(c, ttl_ms);
    w->n = n;
    w->ents = ma_xcalloc(n > 0 ? n : 1, sizeof(*w->ents));
    for (i = 0; i < n; i++) {
        struct entry *e = find(c, keys[i], hash_key(keys[i].p, keys[i].len));

        if (e != NULL && is_fresh(e, w->ttl_ms, now_ms)) {
            copy_sample(&w->samples[i], e, MA_VALCACHE_FRESH);
        } else if (e != NULL && e->fetch != NULL) {
            copy_sample(&w->samples[i], e, MA_VALCACHE_INFLIGHT);
            w->ents[i] = e;
            if (e->fetch->mark != serial) {
                e->fetch->mark = serial;
                add_waiter(e->fetch, w);
                w->pending++;
            }
        } else {
            copy_sample(&w->samples[i], e, MA_VALCACHE_MISSING);
        }
    }
    w->prev = c->wtail;
    if (c->wtail != NULL)
        c->wtail->next = w;
    else
        c->waiters = w;
    c->wtail = w;
    if (w->pending == 0)
        schedule(c, w);
    return w;
}

/* see provider/valcache.h */
void ma_valcache_cancel(struct ma_valcache *c, struct ma_valcache_waiter *w)
{
    size_t i;

    if (w == NULL)
        return;
    /* A waiter is listed once per fetch; after drop_waiter the other slots of the same fetch find
     * nothing to drop, which is harmless. */
    for (i = 0; i < w->n; i++)
        if (w->ents[i] != NULL)
            drop_waiter(w->ents[i]->fetch, w);
    free_waiter(c, w);
}
