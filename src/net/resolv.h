#ifndef MA_NET_RESOLV_H
#define MA_NET_RESOLV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "base/flag.h"
#include "base/limits.h"

/* Host name resolution on the event loop, without threads and without ever blocking: a stub
 * resolver that reads what a pod's libc reads (/etc/hosts, then the nameservers of
 * /etc/resolv.conf with its search list and options) and asks over UDP (TCP when the reply is
 * truncated) from non-blocking sockets watched by the loop. One resolver serves every HTTP client
 * of a process: it caches each name's addresses for the answer's TTL and keeps the last good ones
 * when a refresh fails, so a DNS outage does not cut traffic to a backend that is still up. */

struct ma_net_loop;

/* ==== configuration (pure parsers, unit-tested) ============================================== */

struct ma_net_resolv_conf {
    struct sockaddr_storage ns[MA_NET_RESOLV_MAX_NS]; /* port 53 (or the test port) */
    socklen_t nslen[MA_NET_RESOLV_MAX_NS];
    size_t nns;
    char search[MA_NET_RESOLV_MAX_SEARCH][MA_NET_DNS_MAX_NAME + 1]; /* without final '.' */
    size_t nsearch;
    int ndots;      /* default 1 */
    int timeout_s;  /* per try, default 5 */
    int attempts;   /* rounds over the nameservers, default 2 */
    int rotate;     /* start each lookup at the next nameserver */
};

/* Parse resolv.conf text[0..len) (resolv.conf(5)): "nameserver IP" (IPv4 or IPv6, up to 3; more are
 * ignored as libc does), "search a b ..." and "domain d" (the last one wins), "options ndots:N
 * timeout:N attempts:N rotate" (values capped at MA_NET_RESOLV_MAX_*; unknown options ignored);
 * '#' and ';' start comments. port is the nameservers' port (53; tests use another). No nameserver
 * line means 127.0.0.1, as in glibc and musl. MA_OK, or MA_ERR_SYNTAX with em naming the line for
 * a nameserver that is not an IP address. */
int ma_net_resolv_conf_parse(struct ma_net_resolv_conf *c, const char *text, size_t len,
                             uint16_t port, struct ma_errmsg *em);

/* The names to ask for `name`, in order, into out[0..max) (each without final '.'); returns how
 * many. A name ending in '.' is asked as is, only. Otherwise, a name with at least ndots dots is
 * asked as is first and then with each search domain appended; one with fewer dots with the search
 * domains first and as is last. Candidates over 253 bytes are skipped. */
size_t ma_net_resolv_candidates(const struct ma_net_resolv_conf *c, const char *name,
                                char (*out)[MA_NET_DNS_MAX_NAME + 1], size_t max);

struct ma_net_hosts_entry {
    char name[MA_NET_DNS_MAX_NAME + 1]; /* lower case */
    struct sockaddr_storage sa;         /* port 0 */
    socklen_t salen;
};

struct ma_net_hosts {
    struct ma_net_hosts_entry *e; /* heap */
    size_t n;
};

/* Parse hosts text[0..len) (hosts(5): "IP canonical aliases...", '#' comments) into *h, one entry
 * per (name, address). Lines whose address is not an IP literal are skipped, as libc does. MA_OK or
 * MA_ERR_LIMIT (more than MA_NET_HOSTS_MAX_ENTRIES names). *h is owned by the caller: free with
 * ma_net_hosts_free. */
int ma_net_hosts_parse(struct ma_net_hosts *h, const char *text, size_t len, struct ma_errmsg *em);
void ma_net_hosts_free(struct ma_net_hosts *h);

/* ==== the resolver =========================================================================== */

/* Addresses of one name, port 0 (the caller sets its own). */
struct ma_net_addrs {
    size_t n;
    struct sockaddr_storage sa[MA_NET_MAX_ADDRS];
    socklen_t salen[MA_NET_MAX_ADDRS];
};

/* Files to read; NULL means the default. Filled by the flags table below. */
struct ma_net_resolver_config {
    const char *resolv_conf; /* --resolv-conf, default /etc/resolv.conf */
    const char *hosts_file;  /* --hosts-file, default /etc/hosts */
    uint16_t port;           /* nameserver port; 0: 53. Not a flag: for unit tests */
};

/* Flags for cfg into out[0..MA_NET_RESOLV_NFLAGS): --resolv-conf, --hosts-file. Returns the count.
 * cfg MUST outlive flag parsing; zeroed cfg means the defaults. */
#define MA_NET_RESOLV_NFLAGS 2
size_t ma_net_resolver_flags_table(struct ma_net_resolver_config *cfg, struct ma_flag *out);

struct ma_net_resolver;
struct ma_net_lookup;

/* A resolver on loop reading cfg's files now (cfg MAY be NULL: defaults). A missing default file
 * is not an error (no resolv.conf: 127.0.0.1; no hosts: none); a file named explicitly that cannot
 * be read, or that does not parse, is: NULL with em. */
struct ma_net_resolver *ma_net_resolver_new(struct ma_net_loop *loop,
                                            const struct ma_net_resolver_config *cfg,
                                            struct ma_errmsg *em);
/* Cancel every lookup (no callbacks run) and free. MUST NOT be called from a lookup callback. */
void ma_net_resolver_free(struct ma_net_resolver *r);

/* Make a resolver from cfg and give it to the loop, which frees it in ma_net_loop_free; HTTP
 * clients made without a resolver of their own then use it. MA_OK, or MA_ERR_IO / MA_ERR_SYNTAX
 * with em as ma_net_resolver_new. */
int ma_net_resolver_attach(struct ma_net_loop *loop, const struct ma_net_resolver_config *cfg,
                           struct ma_errmsg *em);
/* The loop's resolver; when none was attached, one with the default files is made and attached
 * now. NULL (em set) only when that fails. */
struct ma_net_resolver *ma_net_resolver_of_loop(struct ma_net_loop *loop, struct ma_errmsg *em);

/* Called once when a lookup ends: err MA_OK with addrs (valid during the call only), or
 * MA_ERR_NOTFOUND ("no such host") / MA_ERR_TIMEOUT / MA_ERR_UPSTREAM (SERVFAIL, REFUSED, bad
 * replies) / MA_ERR_IO with msg ("lookup kube.example: no such host (NXDOMAIN)"). */
typedef void (*ma_net_lookup_fn)(void *arg, int err, const struct ma_net_addrs *addrs,
                                 const char *msg);

/* Find the addresses of host (an IP literal, a hosts entry, or a DNS name). Never blocks and never
 * runs fn from inside this call:
 *   MA_OK: *out holds the answer now (a literal, a hosts entry, a cached answer; or the last good
 *     addresses of a name whose TTL ran out, while a refresh runs in the background);
 *   MA_ERR_PARTIAL: a query is under way; fn(arg, ...) runs exactly once from the loop unless
 *     ma_net_lookup_cancel(*lk) is called first. When the query fails and the name had good
 *     addresses before, fn gets those with MA_OK (and the failure is logged);
 *   MA_ERR_NOTFOUND: a recent answer said the name does not exist (cached for its negative TTL);
 *   MA_ERR_SYNTAX: host is not a valid name; MA_ERR_LIMIT: too many lookups waiting.
 * em gets the reason on any error. lk MUST be non-NULL; it is set only for MA_ERR_PARTIAL. */
int ma_net_resolver_lookup(struct ma_net_resolver *r, const char *host, struct ma_net_addrs *out,
                           ma_net_lookup_fn fn, void *arg, struct ma_net_lookup **lk,
                           struct ma_errmsg *em);
/* Drop a pending lookup: its fn never runs. The query itself goes on for other waiters. */
void ma_net_lookup_cancel(struct ma_net_lookup *lk);

/* Every address of host failed to connect: the next lookup of host waits for a fresh answer (but
 * still falls back to the last good addresses if DNS does not answer). No-op for literals. */
void ma_net_resolver_failed(struct ma_net_resolver *r, const char *host);

#endif
