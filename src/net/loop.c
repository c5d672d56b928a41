#include "net/loop.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/time.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Timers live in a binary min-heap ordered by deadline. They are few (backend timeouts, periodic
 * checks): connection deadlines are swept by one periodic timer in http/server.c instead, so
 * deleting a timer may scan the heap linearly without hurting the request path. */
struct timer {
    int64_t when;
    uint64_t id;
    ma_net_timer_fn fn;
    void *arg;
};

struct fd_slot {
    ma_net_fd_fn fn;
    void *arg;
    unsigned events;
    int registered;
};

struct ma_net_loop {
    int epfd;
    int max_fds;
    int stop;
    struct fd_slot *fds;
    struct timer *heap;
    size_t nheap, capheap;
    uint64_t next_id;
    uint64_t running_id;  /* the timer whose callback runs now */
    int running_deleted;  /* ... and it deleted itself: do not re-arm it */
    ma_net_hook_fn before_sleep;
    void *before_sleep_arg;
    struct ma_net_resolver *resolver;
    void (*resolver_free)(void *);
};

#define MAX_EVENTS 256

/* see net/loop.h */
struct ma_net_loop *ma_net_loop_new(int max_fds)
{
    struct ma_net_loop *l = ma_xcalloc(1, sizeof *l);

    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    l->max_fds = max_fds;
    l->fds = ma_xcalloc((size_t)max_fds, sizeof *l->fds);
    l->next_id = 1;
    return l;
}

/* see net/loop.h */
void ma_net_loop_free(struct ma_net_loop *l)
{
    if (l == NULL)
        return;
    if (l->resolver != NULL)
        l->resolver_free(l->resolver); /* it unwatches its sockets: the loop must still work */
    close(l->epfd);
    free(l->fds);
    free(l->heap);
    free(l);
}

/* see net/loop.h */
int ma_net_loop_watch(struct ma_net_loop *l, int fd, unsigned events, ma_net_fd_fn fn, void *arg)
{
    struct epoll_event ev = {0};
    int op;

    if (fd < 0 || fd >= l->max_fds)
        return MA_ERR_LIMIT;
    op = l->fds[fd].registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (op == EPOLL_CTL_MOD && l->fds[fd].events == events) {
        l->fds[fd].fn = fn;
        l->fds[fd].arg = arg;
        return MA_OK;
    }
    ev.events = (events & MA_NET_READABLE ? EPOLLIN : 0) | (events & MA_NET_WRITABLE ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
        return MA_ERR_IO;
    l->fds[fd].fn = fn;
    l->fds[fd].arg = arg;
    l->fds[fd].events = events;
    l->fds[fd].registered = 1;
    return MA_OK;
}

/* see net/loop.h */
void ma_net_loop_unwatch(struct ma_net_loop *l, int fd)
{
    if (fd < 0 || fd >= l->max_fds || !l->fds[fd].registered)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->fds[fd].fn = NULL;
    l->fds[fd].arg = NULL;
    l->fds[fd].events = 0;
    l->fds[fd].registered = 0;
}

/* ---- timer heap ---------------------------------------------------------------------------- */

static void heap_swap(struct ma_net_loop *l, size_t a, size_t b)
{
    struct timer t = l->heap[a];

    l->heap[a] = l->heap[b];
    l->heap[b] = t;
}

static void heap_up(struct ma_net_loop *l, size_t i)
{
    while (i > 0 && l->heap[(i - 1) / 2].when > l->heap[i].when) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct ma_net_loop *l, size_t i)
{
    for (;;) {
        size_t s = i, a = 2 * i + 1, b = 2 * i + 2;

        if (a < l->nheap && l->heap[a].when < l->heap[s].when)
            s = a;
        if (b < l->nheap && l->heap[b].when < l->heap[s].when)
            s = b;
        if (s == i)
            return;
        heap_swap(l, i, s);
        i = s;
    }
}

static void heap_remove(struct ma_net_loop *l, size_t i)
{
    l->nheap--;
    if (i == l->nheap)
        return;
    l->heap[i] = l->heap[l->nheap];
    heap_down(l, i);
    heap_up(l, i);
}

/* see net/loop.h */
uint64_t ma_net_loop_add_timer(struct ma_net_loop *l, int64_t delay_ms, ma_net_timer_fn fn,
                               void *arg)
{
    struct timer *t;

    if (l->nheap == l->capheap) {
        l->capheap = l->capheap ? l->capheap * 2 : 16;
        l->heap = ma_xrealloc(l->heap, l->capheap * sizeof *l->heap);
    }
    t = &l->heap[l->nheap];
    t->when = ma_time_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->id = l->next_id++;
    t->fn = fn;
    t->arg = arg;
    heap_up(l, l->nheap++);
    return l->next_id - 1;
}

/* see net/loop.h */
void ma_net_loop_del_timer(struct ma_net_loop *l, uint64_t id)
{
    size_t i;

    if (id != 0 && id == l->running_id)
        l->running_deleted = 1;
    for (i = 0; i < l->nheap; i++) {
        if (l->heap[i].id == id) {
            heap_remove(l, i);
            return;
        }
    }
}

/* see net/loop.h */
void ma_net_loop_set_before_sleep(struct ma_net_loop *l, ma_net_hook_fn fn, void *arg)
{
    l->before_sleep = fn;
    l->before_sleep_arg = arg;
}

/* Run every due timer. A timer is removed from the heap before its callback runs, so the callback
 * may add or delete timers (including re-adding itself) freely. */
static void run_timers(struct ma_net_loop *l)
{
    int64_t now = ma_time_mono_ms();

    while (l->nheap > 0 && l->heap[0].when <= now) {
        struct timer t = l->heap[0];
        int64_t next;

        heap_remove(l, 0);
        l->running_id = t.id;
        l->running_deleted = 0;
        next = t.fn(l, t.arg);
        l->running_id = 0;
        if (next != MA_NET_TIMER_STOP && !l->running_deleted) {
            /* re-arm under the same id so holders of the id can still delete it */
            uint64_t saved = l->next_id;

            l->next_id = t.id;
            ma_net_loop_add_timer(l, next, t.fn, t.arg);
            l->next_id = saved;
        }
    }
}

static int next_timeout(struct ma_net_loop *l)
{
    int64_t d;

    if (l->nheap == 0)
        return 1000;
    d = l->heap[0].when - ma_time_mono_ms();
    if (d < 0)
        return 0;
    return d > 1000 ? 1000 : (int)d;
}

/* see net/loop.h */
int ma_net_loop_run(struct ma_net_loop *l)
{
    struct epoll_event evs[MAX_EVENTS];

    l->stop = 0;
    while (!l->stop) {
        int n, i, busy = 0;

        if (l->before_sleep)
            busy = l->before_sleep(l, l->before_sleep_arg);
        if (l->stop)
            break;
        n = epoll_wait(l->epfd, evs, MAX_EVENTS, busy ? 0 : next_timeout(l));
        if (n < 0) {
            if (errno == EINTR)
                n = 0;
            else
                return MA_ERR_IO;
        }
        for (i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            unsigned e = 0;
            struct fd_slot *s = &l->fds[fd];

            if (evs[i].events & EPOLLIN)
                e |= MA_NET_READABLE;
            if (evs[i].events & EPOLLOUT)
                e |= MA_NET_WRITABLE;
            if (evs[i].events & (EPOLLERR | EPOLLHUP))
                e |= MA_NET_READABLE | MA_NET_WRITABLE;
            /* an earlier callback of this turn may have unwatched fd */
            if (s->fn != NULL)
                s->fn(l, fd, e & (s->events | MA_NET_READABLE), s->arg);
        }
        run_timers(l);
    }
    return MA_OK;
}

/* see net/loop.h */
void ma_net_loop_stop(struct ma_net_loop *l)
{
    l->stop = 1;
}

/* see net/loop.h */
void ma_net_loop_set_resolver(struct ma_net_loop *l, struct ma_net_resolver *r,
                              void (*free_fn)(void *))
{
    if (l->resolver != NULL)
        l->resolver_free(l->resolver);
    l->resolver = r;
    l->resolver_free = free_fn;
}

/* see net/loop.h */
struct ma_net_resolver *ma_net_loop_resolver(struct ma_net_loop *l)
{
    return l->resolver;
}
