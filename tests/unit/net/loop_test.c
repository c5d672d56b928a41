/* tests src/net/loop.c */
#include "base/err.h"
#include "net/loop.h"
#include "t.h"

#include <unistd.h>

static int order[8], norder;

static int64_t record(struct ma_net_loop *l, void *arg)
{
    (void)l;
    order[norder++] = (int)(long)arg;
    return MA_NET_TIMER_STOP;
}

static int64_t stop(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    ma_net_loop_stop(l);
    return MA_NET_TIMER_STOP;
}

static int rearmed;
static int64_t rearm_twice(struct ma_net_loop *l, void *arg)
{
    (void)l;
    (void)arg;
    return ++rearmed < 3 ? 1 : MA_NET_TIMER_STOP;
}

static void test_timers_fire_in_deadline_order(void)
{
    struct ma_net_loop *l = ma_net_loop_new(64);
    uint64_t gone;

    norder = 0;
    ma_net_loop_add_timer(l, 30, record, (void *)3L);
    ma_net_loop_add_timer(l, 10, record, (void *)1L);
    gone = ma_net_loop_add_timer(l, 15, record, (void *)9L);
    ma_net_loop_add_timer(l, 20, record, (void *)2L);
    ma_net_loop_add_timer(l, 0, rearm_twice, NULL);
    ma_net_loop_del_timer(l, gone);
    ma_net_loop_del_timer(l, 12345); /* unknown ids are ignored */
    ma_net_loop_add_timer(l, 60, stop, NULL);
    CHECK_EQ(ma_net_loop_run(l), MA_OK);
    CHECK_EQ(norder, 3);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 2);
    CHECK_EQ(order[2], 3);
    CHECK_EQ(rearmed, 3);
    ma_net_loop_free(l);
}

static int got_events;
static void on_readable(struct ma_net_loop *l, int fd, unsigned ev, void *arg)
{
    char c;

    (void)arg;
    if (ev & MA_NET_READABLE && read(fd, &c, 1) == 1 && c == 'x')
        got_events++;
    ma_net_loop_unwatch(l, fd);
    ma_net_loop_stop(l);
}

/* Review finding: a timer that deletes itself and still returns a delay must not come back. */
static uint64_t self_id;
static int self_runs;
static int64_t delete_self(struct ma_net_loop *l, void *arg)
{
    (void)arg;
    self_runs++;
    ma_net_loop_del_timer(l, self_id);
    return 1;
}

static void test_timer_deleting_itself_is_not_rearmed(void)
{
    struct ma_net_loop *l = ma_net_loop_new(64);

    self_runs = 0;
    self_id = ma_net_loop_add_timer(l, 0, delete_self, NULL);
    ma_net_loop_add_timer(l, 30, stop, NULL);
    ma_net_loop_run(l);
    CHECK_EQ(self_runs, 1);
    ma_net_loop_free(l);
}

static void test_fd_events_and_limits(void)
{
    struct ma_net_loop *l = ma_net_loop_new(64);
    int p[2];

    CHECK(pipe(p) == 0);
    CHECK_EQ(ma_net_loop_watch(l, p[0], MA_NET_READABLE, on_readable, NULL), MA_OK);
    CHECK_EQ(ma_net_loop_watch(l, 1000, MA_NET_READABLE, on_readable, NULL), MA_ERR_LIMIT);
    CHECK(write(p[1], "x", 1) == 1);
    ma_net_loop_add_timer(l, 2000, stop, NULL); /* guard: never hang */
    ma_net_loop_run(l);
    CHECK_EQ(got_events, 1);
    close(p[0]);
    close(p[1]);
    ma_net_loop_free(l);
}

int main(void)
{
    T_RUN(test_timers_fire_in_deadline_order);
    T_RUN(test_fd_events_and_limits);
    T_RUN(test_timer_deleting_itself_is_not_rearmed);
    T_END();
}
