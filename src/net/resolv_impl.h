#ifndef MA_NET_RESOLV_IMPL_H
#define MA_NET_RESOLV_IMPL_H

/* PRIVATE to the resolver: net/resolv.c (construction, the cache, lookups) and net/resolv_query.c
 * (one query on the wire: candidates, tries, UDP, TCP). Nothing else includes this header. */

#include <stddef.h>
#include <stdint.h>

#include "net/dns.h"
#include "net/resolv.h"

#define NPART 2 /* A and AAAA, asked together (as glibc and musl do) */
#define MAX_CAND (MA_NET_RESOLV_MAX_SEARCH + 1)

struct entry;

struct ma_net_lookup {
    struct ma_net_lookup *next, *prev;
    struct ma_net_lookup **head; /* the list it is on: its entry's, or a list being notified */
    size_t *count;               /* ... and that list's length */
    ma_net_lookup_fn fn;
    void *arg;
};

struct part {
    uint16_t type, id;
    int done, tc;
    size_t qlen;
    unsigned char q[MA_NET_DNS_MAX_QUERY];
    struct ma_net_dns_answer ans;
};

struct query {
    struct ma_net_resolver *r;
    struct entry *e;
    char cand[MAX_CAND][MA_NET_DNS_MAX_NAME + 1];
    size_t ncand, ci;
    int started, try_no, ns_first, timeouts;
    int fd, tcp, tcp_up;
    uint64_t timer;
    struct part part[NPART];
    unsigned char *tbuf; /* TCP: 2-byte length + message, MA_NET_DNS_TCP_MAX + 2 */
    size_t tlen;
    unsigned char out[NPART * (2 + MA_NET_DNS_MAX_QUERY)];
    size_t outlen, outoff;
    int all_nx;       /* every candidate so far said NXDOMAIN (else some had no records) */
    uint32_t neg_ttl; /* smallest negative TTL seen */
    char last_why[96];
};

struct entry {
    struct entry *next, *prev;
    char name[MA_NET_DNS_MAX_NAME + 2]; /* may end in '.' (asked as is only) */
    struct ma_net_addrs good;
    int have_good, must_refresh;
    int64_t fresh_until, retry_at, neg_until, last_used;
    char neg_msg[MA_ERRMSG_SIZE];
    struct query *q;
    struct ma_net_lookup *waiters;
    size_t nwaiters;
};

struct ma_net_resolver {
    struct ma_net_loop *loop;
    struct ma_net_resolv_conf conf;
    struct ma_net_hosts hosts;
    struct entry *entries; /* most recently used first */
    size_t nentries;
    unsigned rotate_next;
    unsigned char rnd[64];
    size_t rnd_left;
};


/* Start the query for e (e->q set); its first packet leaves from the loop. When it ends the cache
 * entry is settled and every waiter called (see q_finish in net/resolv_query.c). */
void ma_net_resolv_query_start(struct ma_net_resolver *r, struct entry *e);
/* Stop and free a query without settling anything (the resolver is being freed). */
void ma_net_resolv_query_free(struct query *q);
/* Append an address (4 or 16 bytes) to a, port 0, unless a is full. */
void ma_net_resolv_addrs_add(struct ma_net_addrs *a, int family, const unsigned char *ip);
/* Take a waiter off the list it is on. */
void ma_net_resolv_lookup_unlink(struct ma_net_lookup *w);

#endif
