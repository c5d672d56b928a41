/* One query of the resolver (net/resolv.h) on the wire: the candidate names in search order, for
 * each A and AAAA together, tries over the nameservers and rounds, UDP from a fresh connected
 * socket, TCP when a reply is truncated; then the cache entry is settled and its waiters told. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/dns.h"
#include "net/loop.h"
#include "net/plain.h"
#include "net/resolv_impl.h"

static uint16_t random16(struct ma_net_resolver *r)
{
    uint16_t v;

    if (r->rnd_left < 2) {
        /* getrandom never blocks once the pool is initialised (long before we run); a failure
         * (no syscall) falls back to the clock, still unpredictable enough to an off-path host
         * combined with the kernel's random source port */
        if (getrandom(r->rnd, sizeof r->rnd, GRND_NONBLOCK) != (ssize_t)sizeof r->rnd) {
            int64_t us = ma_time_mono_us();

            for (size_t i = 0; i < sizeof r->rnd; i++)
                r->rnd[i] = (unsigned char)(us >> ((i % 8) * 8)) ^ (unsigned char)(i * 131);
        }
        r->rnd_left = sizeof r->rnd;
    }
    r->rnd_left -= 2;
    memcpy(&v, r->rnd + r->rnd_left, 2);
    return v;
}

static void q_close_fd(struct query *q)
{
    if (q->fd >= 0) {
        ma_net_loop_unwatch(q->r->loop, q->fd);
        close(q->fd);
        q->fd = -1;
    }
}

/* see net/resolv_impl.h */
void ma_net_resolv_query_free(struct query *q)
{
    q_close_fd(q);
    ma_net_loop_del_timer(q->r->loop, q->timer);
    free(q->tbuf);
    free(q);
}

static const struct sockaddr *q_server(const struct query *q, socklen_t *len)
{
    const struct ma_net_resolv_conf *c = &q->r->conf;
    size_t i = (size_t)(q->ns_first + q->try_no) % c->nns;

    *len = c->nslen[i];
    return (const struct sockaddr *)&c->ns[i];
}

static void ttl_clamp(int64_t *until, int64_t now, uint32_t ttl, uint32_t lo, uint32_t hi)
{
    if (ttl < lo)
        ttl = lo;
    if (ttl > hi)
        ttl = hi;
    *until = now + (int64_t)ttl * 1000;
}

/* The query for e ended: settle the cache, then tell every waiter. The waiters move to a list of
 * our own first, so a callback that looks the name up again starts afresh instead of being
 * answered with this result, and one that cancels another waiter finds it on that list. */
static void q_finish(struct query *q, int err, const char *msg, const struct ma_net_addrs *addrs,
                     uint32_t ttl)
{
    struct entry *e = q->e;
    struct ma_net_lookup *list = e->waiters, *w;
    struct ma_net_addrs give;
    char why[MA_ERRMSG_SIZE];
    size_t count = e->nwaiters;
    int64_t now = ma_time_mono_ms();

    e->q = NULL;
    ma_net_resolv_query_free(q);
    e->waiters = NULL;
    e->nwaiters = 0;
    for (w = list; w; w = w->next) {
        w->head = &list;
        w->count = &count;
    }
    snprintf(why, sizeof why, "%s", msg ? msg : "");
    if (err == MA_OK) {
        e->good = *addrs;
        e->have_good = 1;
        e->must_refresh = 0;
        e->neg_until = 0;
        ttl_clamp(&e->fresh_until, now, ttl, MA_NET_RESOLV_TTL_MIN_S, MA_NET_RESOLV_TTL_MAX_S);
        MA_LOGV(2, "lookup %s: %zu addresses for %lld s", e->name, addrs->n,
                (long long)(e->fresh_until - now) / 1000);
    } else if (err == MA_ERR_NOTFOUND) {
        /* an authoritative "no such name": the Service or record is gone, so old addresses are
         * no longer the backend's */
        if (e->have_good)
            MA_LOG_W("%s; forgetting its last addresses", why);
        e->have_good = 0;
        ttl_clamp(&e->neg_until, now, ttl ? ttl : MA_NET_RESOLV_NEG_TTL_DEFAULT_S, 1,
                  MA_NET_RESOLV_NEG_TTL_MAX_S);
        snprintf(e->neg_msg, sizeof e->neg_msg, "%s", why);
    } else if (e->have_good) {
        /* DNS is down or failing, the backend may well be up: keep using what worked */
        e->retry_at = now + MA_NET_RESOLV_RETRY_MS;
        e->must_refresh = 0;
        MA_LOG_W("%s; using the last good addresses of %s (%zu) for now", why, e->name,
                 e->good.n);
        err = MA_OK;
    }
    if (err == MA_OK)
        give = e->good; /* a callback may evict e: nothing below reads it */
    while ((w = list) != NULL) {
        ma_net_resolv_lookup_unlink(w);
        w->fn(w->arg, err, err == MA_OK ? &give : NULL, why);
        free(w);
    }
}

static void q_fail_all(struct query *q, int err, const char *fmt, const char *detail)
    __attribute__((format(printf, 3, 0)));
static void q_fail_all(struct query *q, int err, const char *fmt, const char *detail)
{
    struct ma_errmsg msg;

    ma_errmsg_set(&msg, fmt, q->e->name, detail);
    q_finish(q, err, msg.msg, NULL, 0);
}

static void q_start_candidate(struct query *q);
static void q_judge(struct query *q);
static void q_send_try(struct query *q);
static void on_fd(struct ma_net_loop *loop, int fd, unsigned events, void *arg);

static int64_t on_timer(struct ma_net_loop *loop, void *arg);

/* Every nameserver was asked `attempts` times for this candidate. A timeout ends the whole lookup
 * rather than moving to the next search domain, unlike glibc: the next name would meet the same
 * silent server, and a pod's 4-5 candidates would multiply the wait on a path already failing. */
static void q_tries_exhausted(struct query *q)
{
    const struct ma_net_resolv_conf *c = &q->r->conf;
    char servers[3 * 50] = "", a[48], detail[400];

    /* some servers and middleboxes drop AAAA queries: addresses of the other type are an answer */
    for (int i = 0; i < NPART; i++)
        if (q->part[i].done && q->part[i].ans.naddrs > 0) {
            for (int k = 0; k < NPART; k++)
                if (!q->part[k].done) {
                    memset(&q->part[k].ans, 0, sizeof q->part[k].ans);
                    q->part[k].done = 1;
                }
            q_judge(q);
            return;
        }
    for (size_t i = 0; i < c->nns; i++) {
        ma_net_plain_addr_str((const struct sockaddr *)&c->ns[i], a, sizeof a);
        snprintf(servers + strlen(servers), sizeof servers - strlen(servers), "%s%s",
                 i ? ", " : "", a);
    }
    if (q->timeouts > 0) {
        snprintf(detail, sizeof detail, "%d attempt%s to %s", c->attempts,
                 c->attempts > 1 ? "s" : "", servers);
        q_fail_all(q, MA_ERR_TIMEOUT, "lookup %s: timed out after %s", detail);
    } else {
        snprintf(detail, sizeof detail, "%s (%d attempt%s to %s)", q->last_why, c->attempts,
                 c->attempts > 1 ? "s" : "", servers);
        q_fail_all(q, MA_ERR_UPSTREAM, "lookup %s: %s", detail);
    }
}

/* This try failed (why): the next server, or the next round, or give up. */
static void q_try_failed(struct query *q, const char *why, int timeout)
{
    const struct ma_net_resolv_conf *c = &q->r->conf;

    snprintf(q->last_why, sizeof q->last_why, "%s", why);
    q->timeouts += timeout;
    q_close_fd(q);
    if (++q->try_no >= c->attempts * (int)c->nns) {
        q_tries_exhausted(q);
        return;
    }
    q_send_try(q);
}

static void arm(struct query *q, int64_t ms)
{
    ma_net_loop_del_timer(q->r->loop, q->timer);
    q->timer = ma_net_loop_add_timer(q->r->loop, ms, on_timer, q);
}

static void q_send_try(struct query *q)
{
    socklen_t salen;
    const struct sockaddr *sa = q_server(q, &salen);
    int i;

    q->tcp_up = 0;
    q->tlen = q->outlen = q->outoff = 0;
    q->fd = socket(sa->sa_family, (q->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    arm(q, (int64_t)q->r->conf.timeout_s * 1000);
    if (q->fd < 0) {
        q_try_failed(q, strerror(errno), 0);
        return;
    }
    /* connect() fixes the peer: the kernel then drops datagrams from any other address or port,
     * and picks a random source port for this socket alone */
    if (connect(q->fd, sa, salen) != 0 && errno != EINPROGRESS) {
        q_try_failed(q, strerror(errno), 0);
        return;
    }
    for (i = 0; i < NPART; i++) {
        struct part *p = &q->part[i];

        if (p->done)
            continue;
        if (q->tcp) {
            q->out[q->outlen++] = (unsigned char)(p->qlen >> 8);
            q->out[q->outlen++] = (unsigned char)p->qlen;
            memcpy(q->out + q->outlen, p->q, p->qlen);
            q->outlen += p->qlen;
        } else if (send(q->fd, p->q, p->qlen, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
            q_try_failed(q, strerror(errno), 0);
            return;
        }
    }
    if (ma_net_loop_watch(q->r->loop, q->fd, q->tcp ? MA_NET_WRITABLE : MA_NET_READABLE, on_fd, q) !=
        MA_OK) {
        q_try_failed(q, "too many open descriptors", 0);
        return;
    }
}

/* see net/resolv_impl.h */
void ma_net_resolv_addrs_add(struct ma_net_addrs *a, int family, const unsigned char *ip)
{
    struct sockaddr_storage *ss;

    if (a->n == MA_NET_MAX_ADDRS)
        return;
    ss = &a->sa[a->n];
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)ss;

        v4->sin_family = AF_INET;
        memcpy(&v4->sin_addr, ip, 4);
        a->salen[a->n++] = sizeof *v4;
    } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

        v6->sin6_family = AF_INET6;
        memcpy(&v6->sin6_addr, ip, 16);
        a->salen[a->n++] = sizeof *v6;
    }
}

/* Both parts answered (and none needs TCP): judge the candidate. */
static void q_judge(struct query *q)
{
    struct ma_net_addrs a = {0};
    uint32_t ttl = UINT32_MAX;
    int i, nx = 0, odd = -1;
    char rb[16];

    for (i = 0; i < NPART; i++) {
        const struct ma_net_dns_answer *an = &q->part[i].ans;

        if (an->rcode == MA_NET_DNS_NOERROR && an->naddrs > 0) {
            for (size_t k = 0; k < an->naddrs; k++)
                ma_net_resolv_addrs_add(&a, q->part[i].type == MA_NET_DNS_A ? AF_INET : AF_INET6, an->addrs[k]);
            if (an->ttl < ttl)
                ttl = an->ttl;
        } else if (an->rcode == MA_NET_DNS_NXDOMAIN) {
            nx++;
        } else if (an->rcode != MA_NET_DNS_NOERROR) {
            odd = an->rcode;
        }
    }
    if (a.n > 0) {
        q_finish(q, MA_OK, NULL, &a, ttl);
        return;
    }
    if (odd >= 0) {
        char why[96], srv[48];
        socklen_t sl;

        ma_net_plain_addr_str(q_server(q, &sl), srv, sizeof srv);
        snprintf(why, sizeof why, "server failure (%s) from %s", ma_net_dns_rcode_name(odd, rb),
                 srv);
        for (i = 0; i < NPART; i++) /* ask both again, of the next server */
            q->part[i].done = q->part[i].tc = 0;
        q_try_failed(q, why, 0);
        return;
    }
    /* no such name, or no address of either type: the next candidate */
    if (nx < NPART)
        q->all_nx = 0;
    for (i = 0; i < NPART; i++)
        if (q->part[i].ans.ttl < q->neg_ttl)
            q->neg_ttl = q->part[i].ans.ttl;
    if (++q->ci < q->ncand) {
        q_start_candidate(q);
        return;
    }
    {
        struct ma_errmsg msg;

        ma_errmsg_set(&msg, "lookup %s: no such host (%s)", q->e->name,
                      q->all_nx ? "NXDOMAIN" : "no A or AAAA record");
        q_finish(q, MA_ERR_NOTFOUND, msg.msg, NULL, q->neg_ttl == UINT32_MAX ? 0 : q->neg_ttl);
    }
}

/* One reply message: match it to a part. 1 when every part is now settled. */
static int q_take(struct query *q, const unsigned char *m, size_t n)
{
    int i, settled = 1;

    for (i = 0; i < NPART; i++) {
        struct part *p = &q->part[i];
        struct ma_errmsg em;
        int rc;

        if (p->done || (p->tc && !q->tcp))
            continue;
        rc = ma_net_dns_parse_reply(m, n, p->id, q->cand[q->ci], p->type, &p->ans, &em);
        if (rc == MA_OK) {
            if (p->ans.truncated && !q->tcp)
                p->tc = 1;
            else
                p->done = 1;
            break;
        }
        if (rc == MA_ERR_SYNTAX)
            MA_LOGV(2, "lookup %s: ignoring a bad reply: %s", q->cand[q->ci], em.msg);
    }
    for (i = 0; i < NPART; i++)
        if (!q->part[i].done && !(q->part[i].tc && !q->tcp))
            settled = 0;
    return settled;
}

/* Every part settled: judge, or ask the truncated ones again over TCP (same server, same try). */
static void q_settled(struct query *q)
{
    int i, need_tcp = 0;

    for (i = 0; i < NPART; i++)
        if (!q->part[i].done)
            need_tcp = 1;
    if (need_tcp && !q->tcp) {
        q_close_fd(q);
        q->tcp = 1;
        q_send_try(q);
        return;
    }
    q_judge(q);
}

static void on_udp(struct query *q)
{
    unsigned char m[4096]; /* servers should stop at 512 without EDNS; some send a bit more */

    for (;;) {
        ssize_t n = recv(q->fd, m, sizeof m, MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            /* ECONNREFUSED: an ICMP port unreachable, nothing listens there */
            q_try_failed(q, strerror(errno), 0);
            return;
        }
        if (q_take(q, m, (size_t)n)) {
            q_settled(q);
            return;
        }
    }
}

static void on_tcp(struct query *q)
{
    struct ma_errmsg em;

    if (!q->tcp_up) {
        int rc = ma_net_plain_connected(q->fd, &em);

        if (rc == MA_ERR_PARTIAL)
            return;
        if (rc != MA_OK) {
            q_try_failed(q, em.msg, 0);
            return;
        }
        q->tcp_up = 1;
        if (q->tbuf == NULL)
            q->tbuf = ma_xmalloc(MA_NET_DNS_TCP_MAX + 2);
    }
    while (q->outoff < q->outlen) {
        ssize_t n = send(q->fd, q->out + q->outoff, q->outlen - q->outoff, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN)
                return;
            q_try_failed(q, strerror(errno), 0);
            return;
        }
        q->outoff += (size_t)n;
        if (q->outoff == q->outlen &&
            ma_net_loop_watch(q->r->loop, q->fd, MA_NET_READABLE, on_fd, q) != MA_OK) {
            q_try_failed(q, "too many open descriptors", 0);
            return;
        }
    }
    for (;;) {
        ssize_t n = recv(q->fd, q->tbuf + q->tlen, MA_NET_DNS_TCP_MAX + 2 - q->tlen, MSG_DONTWAIT);
        size_t ml;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            q_try_failed(q, n == 0 ? "connection closed" : strerror(errno), 0);
            return;
        }
        q->tlen += (size_t)n;
        while (q->tlen >= 2 && q->tlen >= 2 + (ml = (size_t)q->tbuf[0] << 8 | q->tbuf[1])) {
            if (q_take(q, q->tbuf + 2, ml)) {
                q_settled(q);
                return;
            }
            memmove(q->tbuf, q->tbuf + 2 + ml, q->tlen - 2 - ml);
            q->tlen -= 2 + ml;
        }
    }
}

static void on_fd(struct ma_net_loop *loop, int fd, unsigned events, void *arg)
{
    struct query *q = arg;

    (void)loop;
    (void)fd;
    (void)events;
    if (q->tcp)
        on_tcp(q);
    else
        on_udp(q);
}

static int64_t on_timer(struct ma_net_loop *loop, void *arg)
{
    struct query *q = arg;

    (void)loop;
    q->timer = 0;
    if (!q->started) { /* the first turn of a new query */
        q->started = 1;
        if (q->ncand == 0)
            q_fail_all(q, MA_ERR_NOTFOUND, "lookup %s: %s", "name too long with any search domain");
        else
            q_start_candidate(q);
    } else {
        q_try_failed(q, "timed out", 1);
    }
    return MA_NET_TIMER_STOP;
}

static void q_start_candidate(struct query *q)
{
    static const uint16_t types[NPART] = {MA_NET_DNS_A, MA_NET_DNS_AAAA};
    int i;

    q_close_fd(q);
    q->tcp = 0;
    q->try_no = 0;
    q->timeouts = 0;
    for (i = 0; i < NPART; i++) {
        struct part *p = &q->part[i];
        int n;

        memset(p, 0, sizeof *p);
        p->type = types[i];
        p->id = random16(q->r);
        n = ma_net_dns_build_query(p->q, sizeof p->q, p->id, q->cand[q->ci], p->type, NULL);
        if (n < 0) { /* a search domain made it invalid: answer it as "no such name" */
            p->done = 1;
            p->ans.rcode = MA_NET_DNS_NXDOMAIN;
            continue;
        }
        p->qlen = (size_t)n;
    }
    if (q->part[0].done && q->part[1].done) {
        q_judge(q);
        return;
    }
    q_send_try(q);
}

/* see net/resolv_impl.h */
void ma_net_resolv_query_start(struct ma_net_resolver *r, struct entry *e)
{
    struct query *q = ma_xcalloc(1, sizeof *q);

    q->r = r;
    q->e = e;
    q->fd = -1;
    q->all_nx = 1;
    q->neg_ttl = UINT32_MAX;
    q->ncand = ma_net_resolv_candidates(&r->conf, e->name, q->cand, MAX_CAND);
    q->ns_first = r->conf.rotate ? (int)(r->rotate_next++ % r->conf.nns) : 0;
    e->q = q;
    /* the first packet goes out from the loop, so no callback can run inside a lookup call */
    q->timer = ma_net_loop_add_timer(r->loop, 0, on_timer, q);
}

