#ifndef MA_NET_LOOP_H
#define MA_NET_LOOP_H

#include <stdint.h>

/* One epoll loop on one thread (Redis ae.c): file events, timers, and a before-sleep hook. All
 * callbacks run on the loop thread; nothing here is thread-safe, nothing needs to be. */

struct ma_net_loop;

#define MA_NET_READABLE 1u
#define MA_NET_WRITABLE 2u

/* File event callback: `events` is a mask of MA_NET_READABLE / MA_NET_WRITABLE (errors and hangups
 * are reported as both, so the handler's read or write sees the failure). */
typedef void (*ma_net_fd_fn)(struct ma_net_loop *loop, int fd, unsigned events, void *arg);

/* Timer callback: return the delay in ms until it runs again, or MA_NET_TIMER_STOP to delete it. */
typedef int64_t (*ma_net_timer_fn)(struct ma_net_loop *loop, void *arg);
#define MA_NET_TIMER_STOP (-1)

/* Before-sleep hook: runs once per loop turn, before waiting for events. Returns non-zero when it
 * left work for the next turn; the loop then polls without sleeping. */
typedef int (*ma_net_hook_fn)(struct ma_net_loop *loop, void *arg);

/* A new loop able to watch up to max_fds descriptors. NULL on failure (errno set). */
struct ma_net_loop *ma_net_loop_new(int max_fds);
void ma_net_loop_free(struct ma_net_loop *loop);

/* Watch fd for `events` (replacing any previous mask and callback for fd). MA_OK or MA_ERR_IO /
 * MA_ERR_LIMIT (fd >= max_fds). */
int ma_net_loop_watch(struct ma_net_loop *loop, int fd, unsigned events, ma_net_fd_fn fn, void *arg);
/* Stop watching fd (MUST be called before closing it). */
void ma_net_loop_unwatch(struct ma_net_loop *loop, int fd);

/* Run fn after delay_ms. Returns a timer id > 0 (never reused within the process). */
uint64_t ma_net_loop_add_timer(struct ma_net_loop *loop, int64_t delay_ms, ma_net_timer_fn fn,
                               void *arg);
/* Delete a pending timer; unknown or already-fired ids are ignored. Safe inside callbacks. */
void ma_net_loop_del_timer(struct ma_net_loop *loop, uint64_t id);

/* The name resolver shared by everything on this loop (net/resolv.h), so one cache and one set of
 * sockets serve every client; the loop owns it once set and calls free_fn on it in
 * ma_net_loop_free, before closing anything else. Setting another frees the previous one. */
struct ma_net_resolver;
void ma_net_loop_set_resolver(struct ma_net_loop *loop, struct ma_net_resolver *r,
                              void (*free_fn)(void *));
/* The resolver set above, or NULL. */
struct ma_net_resolver *ma_net_loop_resolver(struct ma_net_loop *loop);

void ma_net_loop_set_before_sleep(struct ma_net_loop *loop, ma_net_hook_fn fn, void *arg);

/* Run until ma_net_loop_stop. Returns MA_OK, or MA_ERR_IO if epoll_wait fails (not EINTR). */
int ma_net_loop_run(struct ma_net_loop *loop);
/* Make ma_net_loop_run return after the current turn. */
void ma_net_loop_stop(struct ma_net_loop *loop);

#endif
