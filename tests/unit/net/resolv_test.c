/* The resolver: configuration parsers, the search rule, then the engine on a real loop against a
 * small DNS server on 127.0.0.1 run by the same loop (UDP and TCP on one port, modes below). The
 * engine's statics are reached by including the .c, to age cache entries without waiting. */
#include "net/resolv.c"

#include <netinet/in.h>
#include <sys/socket.h>

#include "net/dns.h"
#include "net/loop.h"
#include "t.h"

/* ==== parsers ================================================================================ */

static void test_conf(void)
{
    static const char text[] = "# kubelet\n"
                               "nameserver 10.96.0.10\n"
                               "nameserver fd00::10 ; comment\n"
                               "nameserver 10.0.0.3\n"
                               "nameserver 10.0.0.4\n"
                               "domain ignored.example\n"
                               "search ns1.svc.cluster.local svc.cluster.local. cluster.local\n"
                               "options ndots:5 timeout:1 attempts:9 rotate bogus edns0\n";
    struct ma_net_resolv_conf c;
    struct ma_errmsg em;
    char a[64];

    CHECK_EQ(ma_net_resolv_conf_parse(&c, text, strlen(text), 53, &em), MA_OK);
    CHECK_EQ(c.nns, 3);
    ma_net_plain_addr_str((struct sockaddr *)&c.ns[0], a, sizeof a);
    CHECK_STR(a, "10.96.0.10:53");
    ma_net_plain_addr_str((struct sockaddr *)&c.ns[1], a, sizeof a);
    CHECK_STR(a, "[fd00::10]:53");
    CHECK_EQ(c.nsearch, 3);
    CHECK_STR(c.search[0], "ns1.svc.cluster.local");
    CHECK_STR(c.search[1], "svc.cluster.local");
    CHECK_EQ(c.ndots, 5);
    CHECK_EQ(c.timeout_s, 1);
    CHECK_EQ(c.attempts, MA_NET_RESOLV_MAX_ATTEMPTS);
    CHECK_EQ(c.rotate, 1);

    CHECK_EQ(ma_net_resolv_conf_parse(&c, "", 0, 5353, &em), MA_OK);
    ma_net_plain_addr_str((struct sockaddr *)&c.ns[0], a, sizeof a);
    CHECK_STR(a, "127.0.0.1:5353");
    CHECK_EQ(c.ndots, 1);
    CHECK_EQ(c.timeout_s, 5);
    CHECK_EQ(c.attempts, 2);
    CHECK_EQ(c.nsearch, 0);
    CHECK_EQ(ma_net_resolv_conf_parse(&c, "search a\ndomain b\n", 18, 53, &em), MA_OK);
    CHECK_EQ(c.nsearch, 1);
    CHECK_STR(c.search[0], "b"); /* the last of search and domain wins */
    CHECK_EQ(ma_net_resolv_conf_parse(&c, "options ndots:99 timeout:0\n", 27, 53, &em), MA_OK);
    CHECK_EQ(c.ndots, MA_NET_RESOLV_MAX_NDOTS);
    CHECK_EQ(c.timeout_s, 1);
    CHECK_EQ(ma_net_resolv_conf_parse(&c, "\nnameserver dns.example\n", 24, 53, &em),
             MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "line 2") != NULL);
}

static void test_candidates(void)
{
    struct ma_net_resolv_conf c;
    char out[8][MA_NET_DNS_MAX_NAME + 1], big[300];
    static const char pod[] = "search ns1.svc.cluster.local svc.cluster.local cluster.local\n"
                              "options ndots:5\n";
    size_t n;

    ma_net_resolv_conf_parse(&c, pod, strlen(pod), 53, NULL);
    /* fewer dots than ndots: the search list first */
    n = ma_net_resolv_candidates(&c, "falcon.monitoring", out, 8);
    CHECK_EQ(n, 4);
    CHECK_STR(out[0], "falcon.monitoring.ns1.svc.cluster.local");
    CHECK_STR(out[1], "falcon.monitoring.svc.cluster.local");
    CHECK_STR(out[2], "falcon.monitoring.cluster.local");
    CHECK_STR(out[3], "falcon.monitoring");
    /* ndots or more: as is first */
    n = ma_net_resolv_candidates(&c, "a.b.c.d.e.f", out, 8);
    CHECK_EQ(n, 4);
    CHECK_STR(out[0], "a.b.c.d.e.f");
    CHECK_STR(out[1], "a.b.c.d.e.f.ns1.svc.cluster.local");
    /* absolute: only itself */
    n = ma_net_resolv_candidates(&c, "falcon.example.", out, 8);
    CHECK_EQ(n, 1);
    CHECK_STR(out[0], "falcon.example");
    /* max bounds the list; too long candidates are skipped */
    CHECK_EQ(ma_net_resolv_candidates(&c, "x", out, 2), 2);
    memset(big, 'a', 238);
    big[238] = '\0';
    n = ma_net_resolv_candidates(&c, big, out, 8);
    CHECK_EQ(n, 2); /* "cluster.local" fits, the longer two do not, then as is */
    CHECK(strcmp(out[1], big) == 0);
    CHECK(strlen(out[0]) == 238 + strlen(".cluster.local"));
    ma_net_resolv_conf_parse(&c, "options ndots:1\n", 16, 53, NULL);
    CHECK_EQ(ma_net_resolv_candidates(&c, "x", out, 8), 1);
}

static void test_hosts(void)
{
    static const char text[] = "127.0.0.1 localhost\n"
                               "# comment 10.0.0.9 commented\n"
                               "10.1.2.3\tFalcon.Example falcon  # alias\n"
                               "fd00::1 falcon.example\n"
                               "not-an-ip bogus.example\n";
    struct ma_net_hosts h;

    CHECK_EQ(ma_net_hosts_parse(&h, text, strlen(text), NULL), MA_OK);
    CHECK_EQ(h.n, 4);
    CHECK_STR(h.e[1].name, "falcon.example");
    CHECK_STR(h.e[2].name, "falcon");
    CHECK_EQ(h.e[3].sa.ss_family, AF_INET6);
    ma_net_hosts_free(&h);
}

/* ==== the fake server ======================================================================== */

enum { M_ANSWER, M_SILENT, M_NXDOMAIN, M_TRUNCATE, M_BADID_FIRST, M_SERVFAIL, M_DROP_AAAA };

static struct fake {
    int udp, tcp;
    uint16_t port;
    int mode;
    const char *answer_name; /* the one name with an A record (others NXDOMAIN) */
    uint32_t ip, ttl;
    char asked[16][256]; /* A questions, in order */
    int nasked, nqueries, ntcp;
} fk;

/* The question name of a query (no compression in queries). MA_OK or MA_ERR_SYNTAX. */
static int qname(const unsigned char *q, size_t n, size_t *off, char *out)
{
    size_t o = 0;

    while (*off < n && q[*off] != 0) {
        size_t l = q[*off];

        if (l > 63 || *off + 1 + l > n || o + l + 1 > 255)
            return MA_ERR_SYNTAX;
        if (o)
            out[o++] = '.';
        memcpy(out + o, q + *off + 1, l);
        o += l;
        *off += 1 + l;
    }
    out[o] = '\0';
    (*off)++;
    return MA_OK;
}

/* The reply to query q[0..n) into out; its length. */
static size_t reply(const unsigned char *q, size_t n, unsigned char *out, int tc_ok)
{
    char qn[256];
    size_t off = 12, o;
    unsigned type;
    int has = 0, rcode = 0;

    if (n < 17 || qname(q, n, &off, qn) != MA_OK || off + 4 > n)
        return 0;
    type = (unsigned)q[off] << 8 | q[off + 1];
    off += 4;
    fk.nqueries++;
    if (type == MA_NET_DNS_A && fk.nasked < 16)
        snprintf(fk.asked[fk.nasked++], 256, "%s", qn);
    if (fk.mode == M_DROP_AAAA && type == MA_NET_DNS_AAAA)
        return 0; /* a middlebox that drops AAAA queries */
    if (strcmp(qn, fk.answer_name) != 0 || fk.mode == M_NXDOMAIN)
        rcode = MA_NET_DNS_NXDOMAIN;
    else if (type == MA_NET_DNS_A)
        has = 1;
    if (fk.mode == M_SERVFAIL)
        rcode = MA_NET_DNS_SERVFAIL, has = 0;
    memcpy(out, q, off);
    out[2] = 0x81;
    out[3] = (unsigned char)(0x80 | rcode);
    out[6] = 0;
    out[7] = (unsigned char)has;
    o = off;
    if (fk.mode == M_TRUNCATE && !tc_ok) {
        out[2] |= 0x02;
        out[7] = 0;
        return o;
    }
    if (has) {
        static const unsigned char rr[] = {0xC0, 0x0C, 0, 1, 0, 1};

        memcpy(out + o, rr, sizeof rr);
        o += sizeof rr;
        for (int i = 3; i >= 0; i--)
            out[o++] = (unsigned char)(fk.ttl >> (i * 8));
        out[o++] = 0;
        out[o++] = 4;
        for (int i = 3; i >= 0; i--)
            out[o++] = (unsigned char)(fk.ip >> (i * 8));
    }
    return o;
}

static void on_fake_udp(struct ma_net_loop *loop, int fd, unsigned ev, void *arg)
{
    unsigned char q[512], out[600];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n;
    size_t rn;

    (void)loop, (void)ev, (void)arg;
    while ((n = recvfrom(fd, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
        if (fk.mode == M_SILENT) {
            fk.nqueries++;
            continue;
        }
        rn = reply(q, (size_t)n, out, 0);
        if (rn == 0)
            continue;
        if (fk.mode == M_BADID_FIRST) {
            out[0] ^= 0x55; /* a stray reply first: must be ignored */
            sendto(fd, out, rn, 0, (struct sockaddr *)&from, fl);
            out[0] ^= 0x55;
        }
        sendto(fd, out, rn, 0, (struct sockaddr *)&from, fl);
        fl = sizeof from;
    }
}

/* TCP: one connection at a time, watched by the loop like the client's, answering each
 * length-prefixed query as it completes. */
static unsigned char tcp_buf[1200];
static size_t tcp_have;

static void on_fake_conn(struct ma_net_loop *loop, int c, unsigned ev, void *arg)
{
    unsigned char out[600];
    ssize_t n = recv(c, tcp_buf + tcp_have, sizeof tcp_buf - tcp_have, MSG_DONTWAIT);

    (void)ev, (void)arg;
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        ma_net_loop_unwatch(loop, c);
        close(c);
        return;
    }
    tcp_have += (size_t)n;
    while (tcp_have >= 2 && tcp_have >= 2 + (size_t)(tcp_buf[0] << 8 | tcp_buf[1])) {
        size_t ml = (size_t)(tcp_buf[0] << 8 | tcp_buf[1]), rn = reply(tcp_buf + 2, ml, out + 2, 1);

        out[0] = (unsigned char)(rn >> 8);
        out[1] = (unsigned char)rn;
        CHECK(send(c, out, rn + 2, MSG_NOSIGNAL) == (ssize_t)(rn + 2));
        memmove(tcp_buf, tcp_buf + 2 + ml, tcp_have - 2 - ml);
        tcp_have -= 2 + ml;
    }
}

static void on_fake_tcp(struct ma_net_loop *loop, int fd, unsigned ev, void *arg)
{
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);

    (void)ev, (void)arg;
    if (c < 0)
        return;
    fk.ntcp++;
    tcp_have = 0;
    ma_net_loop_watch(loop, c, MA_NET_READABLE, on_fake_conn, NULL);
}

static void fake_start(struct ma_net_loop *loop)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    int one = 1;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (;;) {
        fk.udp = socket(AF_INET, SOCK_DGRAM, 0);
        sa.sin_port = 0;
        bind(fk.udp, (struct sockaddr *)&sa, sizeof sa);
        getsockname(fk.udp, (struct sockaddr *)&sa, &sl);
        fk.tcp = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fk.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fk.tcp, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fk.tcp, 8) == 0)
            break;
        close(fk.udp);
        close(fk.tcp);
    }
    fk.port = ntohs(sa.sin_port);
    ma_net_loop_watch(loop, fk.udp, MA_NET_READABLE, on_fake_udp, NULL);
    ma_net_loop_watch(loop, fk.tcp, MA_NET_READABLE, on_fake_tcp, NULL);
}

/* ==== driving the loop ======================================================================= */

struct got {
    int done, err;
    struct ma_net_addrs a;
    char msg[MA_ERRMSG_SIZE];
};

static struct ma_net_loop *g_loop;

static void on_got(void *arg, int err, const struct ma_net_addrs *a, const char *msg)
{
    struct got *g = arg;

    g->done++;
    g->err = err;
    if (a)
        g->a = *a;
    snprintf(g->msg, sizeof g->msg, "%s", msg);
    ma_net_loop_stop(g_loop);
}

static int64_t on_guard(struct ma_net_loop *loop, void *arg)
{
    (void)arg;
    ma_net_loop_stop(loop);
    return MA_NET_TIMER_STOP;
}

/* Run the loop until a callback stops it (or ms pass). */
static void run(int64_t ms)
{
    uint64_t t = ma_net_loop_add_timer(g_loop, ms, on_guard, NULL);

    ma_net_loop_run(g_loop);
    ma_net_loop_del_timer(g_loop, t);
}

static uint32_t ip4(const struct ma_net_addrs *a, size_t i)
{
    return ntohl(((const struct sockaddr_in *)&a->sa[i])->sin_addr.s_addr);
}

static struct ma_net_resolver *make(const char *conf, const char *hosts)
{
    char cpath[] = "/tmp/resolv_test_confXXXXXX", hpath[] = "/tmp/resolv_test_hostsXXXXXX";
    int cf = mkstemp(cpath), hf = mkstemp(hpath);
    struct ma_net_resolver_config cfg = {cpath, hpath, fk.port};
    struct ma_net_resolver *r;
    struct ma_errmsg em;

    CHECK(write(cf, conf, strlen(conf)) == (ssize_t)strlen(conf));
    CHECK(write(hf, hosts, strlen(hosts)) == (ssize_t)strlen(hosts));
    close(cf);
    close(hf);
    r = ma_net_resolver_new(g_loop, &cfg, &em);
    if (r == NULL)
        fprintf(stderr, "resolver: %s\n", em.msg);
    unlink(cpath);
    unlink(hpath);
    return r;
}

static void reset_fake(int mode)
{
    fk.mode = mode;
    fk.nasked = fk.nqueries = fk.ntcp = 0;
    fk.answer_name = "falcon.example";
    fk.ip = 0x0A000001;
    fk.ttl = 30;
}

static const char CONF[] = "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n";

static void test_answer_and_cache(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk;
    struct got g = {0};
    struct ma_errmsg em;
    struct entry *e;
    int64_t now;

    reset_fake(M_ANSWER);
    r = make(CONF, "10.9.9.9 static.example\n");
    /* literals and hosts entries answer at once, without DNS */
    CHECK_EQ(ma_net_resolver_lookup(r, "10.1.1.1", &a, on_got, &g, &lk, &em), MA_OK);
    CHECK_EQ(ip4(&a, 0), 0x0A010101);
    CHECK_EQ(ma_net_resolver_lookup(r, "Static.Example", &a, on_got, &g, &lk, &em), MA_OK);
    CHECK_EQ(ip4(&a, 0), 0x0A090909);
    CHECK_EQ(ma_net_resolver_lookup(r, "bad name", &a, on_got, &g, &lk, &em), MA_ERR_SYNTAX);
    CHECK_EQ(fk.nqueries, 0);
    /* a name: a query, answered from the loop */
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em),
             MA_ERR_PARTIAL);
    CHECK(lk != NULL);
    CHECK_EQ(g.done, 0); /* never inside the call */
    run(5000);
    CHECK_EQ(g.done, 1);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(g.a.n, 1);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000001);
    CHECK_EQ(fk.nqueries, 2); /* A and AAAA */
    /* cached now */
    CHECK_EQ(ma_net_resolver_lookup(r, "FALCON.example", &a, on_got, &g, &lk, &em), MA_OK);
    CHECK_EQ(ip4(&a, 0), 0x0A000001);
    CHECK_EQ(fk.nqueries, 2);
    /* TTL 30 kept as is; below the floor raised, above the ceiling lowered */
    e = r->entries;
    now = ma_time_mono_ms();
    CHECK(e->fresh_until - now > 28000 && e->fresh_until - now <= 30000);
    ma_net_resolver_free(r);

    reset_fake(M_ANSWER);
    fk.ttl = 1;
    r = make(CONF, "");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em), MA_ERR_PARTIAL);
    run(5000);
    now = ma_time_mono_ms();
    CHECK(r->entries->fresh_until - now > (MA_NET_RESOLV_TTL_MIN_S - 1) * 1000);
    CHECK(r->entries->fresh_until - now <= MA_NET_RESOLV_TTL_MIN_S * 1000);
    ma_net_resolver_free(r);
    reset_fake(M_ANSWER);
    fk.ttl = 0x7FFFFFFF;
    r = make(CONF, "");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em), MA_ERR_PARTIAL);
    run(5000);
    now = ma_time_mono_ms();
    CHECK(r->entries->fresh_until - now <= MA_NET_RESOLV_TTL_MAX_S * 1000);
    CHECK(r->entries->fresh_until - now > (MA_NET_RESOLV_TTL_MAX_S - 2) * 1000);
    ma_net_resolver_free(r);
}

static void test_search_order(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk;
    struct got g = {0};

    reset_fake(M_ANSWER);
    fk.answer_name = "falcon.mon.svc.cluster.local";
    r = make("nameserver 127.0.0.1\nsearch ns1.svc.cluster.local svc.cluster.local cluster.local\n"
             "options ndots:5 timeout:1\n",
             "");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.mon", &a, on_got, &g, &lk, NULL), MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(fk.nasked, 2);
    CHECK_STR(fk.asked[0], "falcon.mon.ns1.svc.cluster.local");
    CHECK_STR(fk.asked[1], "falcon.mon.svc.cluster.local");
    ma_net_resolver_free(r);
}

static void test_nxdomain(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk;
    struct got g = {0};
    struct ma_errmsg em;

    reset_fake(M_NXDOMAIN);
    r = make("nameserver 127.0.0.1\nsearch a.example\noptions timeout:1\n", "");
    CHECK_EQ(ma_net_resolver_lookup(r, "kube.example", &a, on_got, &g, &lk, &em), MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_ERR_NOTFOUND);
    CHECK_STR(g.msg, "lookup kube.example: no such host (NXDOMAIN)");
    CHECK_EQ(fk.nasked, 2); /* as is (1 dot >= ndots 1), then the search domain */
    CHECK_STR(fk.asked[0], "kube.example");
    CHECK_STR(fk.asked[1], "kube.example.a.example");
    /* believed for a while: no new query */
    CHECK_EQ(ma_net_resolver_lookup(r, "kube.example", &a, on_got, &g, &lk, &em), MA_ERR_NOTFOUND);
    CHECK_STR(em.msg, "lookup kube.example: no such host (NXDOMAIN)");
    CHECK_EQ(fk.nasked, 2);
    ma_net_resolver_free(r);
}

static void test_timeout_and_last_good(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk;
    struct got g = {0};
    struct ma_errmsg em;
    char want[128];
    int64_t t0;

    /* no answer at all: a timeout after attempts x timeout */
    reset_fake(M_SILENT);
    r = make(CONF, "");
    t0 = ma_time_mono_ms();
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em),
             MA_ERR_PARTIAL);
    run(10000);
    CHECK_EQ(g.err, MA_ERR_TIMEOUT);
    snprintf(want, sizeof want, "lookup falcon.example: timed out after 2 attempts to 127.0.0.1:%u",
             fk.port);
    CHECK_STR(g.msg, want);
    CHECK(ma_time_mono_ms() - t0 >= 1900);
    CHECK_EQ(fk.nqueries, 4);

    /* a good answer, then DNS goes quiet and the TTL runs out: the old address keeps serving */
    fk.mode = M_ANSWER;
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_OK);
    fk.mode = M_SILENT;
    r->entries->fresh_until = 0; /* the TTL ran out */
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em), MA_OK);
    CHECK_EQ(ip4(&a, 0), 0x0A000001);
    CHECK(r->entries->q != NULL); /* refreshing in the background */
    run(3500);
    CHECK(r->entries->q == NULL);
    CHECK(r->entries->have_good);
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em), MA_OK);
    CHECK_EQ(ip4(&a, 0), 0x0A000001);
    CHECK(r->entries->q == NULL); /* not retried before MA_NET_RESOLV_RETRY_MS */

    /* every address failed to connect: the next lookup waits for a fresh answer... */
    r->entries->retry_at = 0;
    fk.mode = M_ANSWER;
    fk.ip = 0x0A000002;
    ma_net_resolver_failed(r, "falcon.example");
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000002);
    /* ... and if DNS is down then, gets the last good addresses when the query fails */
    fk.mode = M_SILENT;
    ma_net_resolver_failed(r, "falcon.example");
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, &em),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.done, 1);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000002);
    ma_net_resolver_free(r);
}

static void test_truncated_tcp_and_stray(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk;
    struct got g = {0};

    reset_fake(M_TRUNCATE);
    r = make(CONF, "");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, NULL),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000001);
    CHECK_EQ(fk.ntcp, 1);
    ma_net_resolver_free(r);

    reset_fake(M_BADID_FIRST);
    r = make(CONF, "");
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, NULL),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000001);
    ma_net_resolver_free(r);

    /* AAAA never answered: the A records are the answer once the tries run out */
    reset_fake(M_DROP_AAAA);
    r = make(CONF, "");
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, NULL),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.done, 1);
    CHECK_EQ(g.err, MA_OK);
    CHECK_EQ(g.a.n, 1);
    CHECK_EQ(ip4(&g.a, 0), 0x0A000001);
    ma_net_resolver_free(r);

    reset_fake(M_SERVFAIL);
    r = make(CONF, "");
    g.done = 0;
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g, &lk, NULL),
             MA_ERR_PARTIAL);
    run(5000);
    CHECK_EQ(g.err, MA_ERR_UPSTREAM);
    CHECK(strstr(g.msg, "server failure (SERVFAIL)") != NULL);
    ma_net_resolver_free(r);
}

static void test_cancel_and_join(void)
{
    struct ma_net_resolver *r;
    struct ma_net_addrs a;
    struct ma_net_lookup *lk1, *lk2;
    struct got g1 = {0}, g2 = {0};

    reset_fake(M_ANSWER);
    r = make(CONF, "");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g1, &lk1, NULL),
             MA_ERR_PARTIAL);
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g2, &lk2, NULL),
             MA_ERR_PARTIAL);
    ma_net_lookup_cancel(lk1);
    run(5000);
    CHECK_EQ(g1.done, 0);
    CHECK_EQ(g2.done, 1);
    CHECK_EQ(fk.nqueries, 2); /* one query served both */
    /* freeing with a lookup pending runs no callback */
    reset_fake(M_SILENT);
    g1.done = 0;
    r->entries->fresh_until = 0;
    ma_net_resolver_failed(r, "falcon.example");
    CHECK_EQ(ma_net_resolver_lookup(r, "falcon.example", &a, on_got, &g1, &lk1, NULL),
             MA_ERR_PARTIAL);
    ma_net_resolver_free(r);
    CHECK_EQ(g1.done, 0);
}

int main(void)
{
    T_RUN(test_conf);
    T_RUN(test_candidates);
    T_RUN(test_hosts);
    g_loop = ma_net_loop_new(1024);
    fake_start(g_loop);
    T_RUN(test_answer_and_cache);
    T_RUN(test_search_order);
    T_RUN(test_nxdomain);
    T_RUN(test_timeout_and_last_good);
    T_RUN(test_truncated_tcp_and_stray);
    T_RUN(test_cancel_and_join);
    ma_net_loop_free(g_loop);
    T_END();
}
