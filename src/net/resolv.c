/* The stub resolver of net/resolv.h: construction, the cache of names and the lookups on it; per
 * name at most one query in flight (net/resolv_query.c). The configuration parsers are in
 * net/resolv_conf.c. */
#include "net/resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/dns.h"
#include "net/loop.h"
#include "net/plain.h"
#include "net/resolv_impl.h"

static const char *const DEFAULT_RESOLV_CONF = "/etc/resolv.conf";
static const char *const DEFAULT_HOSTS = "/etc/hosts";

/* ==== flags and construction ================================================================= */

/* see net/resolv.h */
size_t ma_net_resolver_flags_table(struct ma_net_resolver_config *cfg, struct ma_flag *out)
{
    out[0] = (struct ma_flag){"resolv-conf", MA_FLAG_STRING, &cfg->resolv_conf,
                              "resolver configuration: nameservers, search, options ndots, "
                              "timeout, attempts, rotate (default /etc/resolv.conf)"};
    out[1] = (struct ma_flag){"hosts-file", MA_FLAG_STRING, &cfg->hosts_file,
                              "static host names, asked before DNS (default /etc/hosts)"};
    return MA_NET_RESOLV_NFLAGS;
}

/* Read path (or the default when path is NULL: then a missing file is normal and gives ""). */
static int read_conf(const char *path, const char *def, const char *what, char **text,
                     size_t *len, struct ma_errmsg *em)
{
    int rc = ma_file_read(path ? path : def, MA_NET_RESOLV_MAX_FILE, what, text, len, NULL, em);

    if (rc != MA_OK && path == NULL && access(def, F_OK) != 0) {
        MA_LOGV(1, "%s: %s missing, using defaults", what, def);
        *text = NULL;
        *len = 0;
        return MA_OK;
    }
    return rc;
}

/* see net/resolv.h */
struct ma_net_resolver *ma_net_resolver_new(struct ma_net_loop *loop,
                                            const struct ma_net_resolver_config *cfg,
                                            struct ma_errmsg *em)
{
    static const struct ma_net_resolver_config none;
    struct ma_net_resolver *r = ma_xcalloc(1, sizeof *r);
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (cfg == NULL)
        cfg = &none;
    r->loop = loop;
    if (read_conf(cfg->resolv_conf, DEFAULT_RESOLV_CONF, "resolv-conf", &text, &len, em) != MA_OK)
        goto fail;
    rc = ma_net_resolv_conf_parse(&r->conf, text ? text : "", len, cfg->port ? cfg->port : 53, em);
    free(text);
    if (rc != MA_OK)
        goto fail;
    if (read_conf(cfg->hosts_file, DEFAULT_HOSTS, "hosts-file", &text, &len, em) != MA_OK)
        goto fail;
    rc = ma_net_hosts_parse(&r->hosts, text ? text : "", len, em);
    free(text);
    if (rc != MA_OK)
        goto fail;
    return r;
fail:
    ma_net_resolver_free(r);
    return NULL;
}

/* see net/resolv.h */
int ma_net_resolver_attach(struct ma_net_loop *loop, const struct ma_net_resolver_config *cfg,
                           struct ma_errmsg *em)
{
    struct ma_net_resolver *r = ma_net_resolver_new(loop, cfg, em);

    if (r == NULL)
        return MA_ERR_IO;
    ma_net_loop_set_resolver(loop, r, (void (*)(void *))ma_net_resolver_free);
    return MA_OK;
}

/* see net/resolv.h */
struct ma_net_resolver *ma_net_resolver_of_loop(struct ma_net_loop *loop, struct ma_errmsg *em)
{
    struct ma_net_resolver *r = ma_net_loop_resolver(loop);

    if (r == NULL && ma_net_resolver_attach(loop, NULL, em) == MA_OK)
        r = ma_net_loop_resolver(loop);
    return r;
}

/* see net/resolv_impl.h */
void ma_net_resolv_lookup_unlink(struct ma_net_lookup *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        *w->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
    (*w->count)--;
}

/* A refresh that failed recently is not asked again before retry_at, even after connect failures. */
static int now_past_retry(const struct entry *e)
{
    return ma_time_mono_ms() >= e->retry_at;
}

/* ==== lookups ================================================================================ */

/* Lower-case name without a final '.', checked to be a host name (letters, digits, '-', '_', '.';
 * no empty label). 1 or 0. */
static int norm_name(const char *host, char *out)
{
    size_t n = strlen(host), i;

    if (n > 0 && host[n - 1] == '.')
        n--; /* kept absolute below by the caller through the candidates rule */
    if (n == 0 || n > MA_NET_DNS_MAX_NAME)
        return 0;
    for (i = 0; i < n; i++) {
        char ch = host[i];

        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
              ch == '.'))
            return 0;
        if (ch == '.' && (i == 0 || out[i - 1] == '.'))
            return 0;
        out[i] = ch;
    }
    if (out[n - 1] == '.')
        return 0;
    out[n] = '\0';
    return 1;
}

static int literal(const char *host, struct ma_net_addrs *out)
{
    struct in_addr a4;
    struct in6_addr a6;

    out->n = 0;
    if (inet_pton(AF_INET, host, &a4) == 1)
        ma_net_resolv_addrs_add(out, AF_INET, (const unsigned char *)&a4);
    else if (inet_pton(AF_INET6, host, &a6) == 1)
        ma_net_resolv_addrs_add(out, AF_INET6, (const unsigned char *)&a6);
    return out->n > 0;
}

static int from_hosts(const struct ma_net_resolver *r, const char *name, struct ma_net_addrs *out)
{
    out->n = 0;
    for (size_t i = 0; i < r->hosts.n && out->n < MA_NET_MAX_ADDRS; i++)
        if (strcmp(r->hosts.e[i].name, name) == 0) {
            out->sa[out->n] = r->hosts.e[i].sa;
            out->salen[out->n++] = r->hosts.e[i].salen;
        }
    return out->n > 0;
}

static void entry_unlink(struct ma_net_resolver *r, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        r->entries = e->next;
    if (e->next)
        e->next->prev = e->prev;
    e->next = e->prev = NULL;
    r->nentries--;
}

static void entry_push(struct ma_net_resolver *r, struct entry *e)
{
    e->prev = NULL;
    e->next = r->entries;
    if (r->entries)
        r->entries->prev = e;
    r->entries = e;
    r->nentries++;
}

/* The entry for name (moved to the front), made if needed; NULL when the cache is full of names
 * with lookups under way. */
static struct entry *entry_get(struct ma_net_resolver *r, const char *name)
{
    struct entry *e, *victim = NULL;

    for (e = r->entries; e; e = e->next)
        if (strcmp(e->name, name) == 0) {
            entry_unlink(r, e);
            entry_push(r, e);
            return e;
        }
    if (r->nentries >= MA_NET_RESOLV_MAX_NAMES) {
        for (e = r->entries; e; e = e->next)
            if (e->q == NULL && e->waiters == NULL)
                victim = e; /* the last such one is the least recently used */
        if (victim == NULL)
            return NULL;
        entry_unlink(r, victim);
        free(victim);
    }
    e = ma_xcalloc(1, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    entry_push(r, e);
    return e;
}

/* see net/resolv.h */
int ma_net_resolver_lookup(struct ma_net_resolver *r, const char *host, struct ma_net_addrs *out,
                           ma_net_lookup_fn fn, void *arg, struct ma_net_lookup **lk,
                           struct ma_errmsg *em)
{
    char name[MA_NET_DNS_MAX_NAME + 2];
    struct entry *e;
    struct ma_net_lookup *w;
    int64_t now;
    size_t hl = strlen(host);

    *lk = NULL;
    if (literal(host, out))
        return MA_OK;
    if (!norm_name(host, name)) {
        ma_errmsg_set(em, "lookup %.80s: not a valid host name", host);
        return MA_ERR_SYNTAX;
    }
    if (from_hosts(r, name, out))
        return MA_OK;
    if (hl > 0 && host[hl - 1] == '.')
        strcat(name, "."); /* absolute: the candidates rule asks it as is only */
    if ((e = entry_get(r, name)) == NULL) {
        ma_errmsg_set(em, "lookup %s: %d names are being looked up already", name,
                      MA_NET_RESOLV_MAX_NAMES);
        return MA_ERR_LIMIT;
    }
    now = ma_time_mono_ms();
    e->last_used = now;
    if (e->neg_until > now) {
        ma_errmsg_set(em, "%s", e->neg_msg);
        return MA_ERR_NOTFOUND;
    }
    if (e->have_good && (!e->must_refresh || now < e->retry_at)) {
        if (now >= e->fresh_until && now >= e->retry_at && e->q == NULL)
            ma_net_resolv_query_start(r, e); /* refresh in the background; the old answer serves meanwhile */
        *out = e->good;
        return MA_OK;
    }
    if (e->nwaiters >= MA_NET_RESOLV_MAX_WAITERS) {
        ma_errmsg_set(em, "lookup %s: %d lookups waiting already", name, MA_NET_RESOLV_MAX_WAITERS);
        return MA_ERR_LIMIT;
    }
    w = ma_xcalloc(1, sizeof *w);
    w->fn = fn;
    w->arg = arg;
    w->head = &e->waiters;
    w->count = &e->nwaiters;
    w->next = e->waiters;
    if (e->waiters)
        e->waiters->prev = w;
    e->waiters = w;
    e->nwaiters++;
    if (e->q == NULL)
        ma_net_resolv_query_start(r, e);
    *lk = w;
    return MA_ERR_PARTIAL;
}

/* see net/resolv.h */
void ma_net_lookup_cancel(struct ma_net_lookup *lk)
{
    if (lk == NULL)
        return;
    ma_net_resolv_lookup_unlink(lk);
    free(lk);
}

/* see net/resolv.h */
void ma_net_resolver_failed(struct ma_net_resolver *r, const char *host)
{
    char name[MA_NET_DNS_MAX_NAME + 2];
    struct ma_net_addrs a;
    size_t hl = strlen(host);

    if (literal(host, &a) || !norm_name(host, name))
        return;
    if (hl > 0 && host[hl - 1] == '.')
        strcat(name, ".");
    for (struct entry *e = r->entries; e; e = e->next)
        if (strcmp(e->name, name) == 0 && e->have_good && now_past_retry(e)) {
            e->must_refresh = 1;
            e->fresh_until = 0;
        }
}

/* see net/resolv.h */
void ma_net_resolver_free(struct ma_net_resolver *r)
{
    if (r == NULL)
        return;
    while (r->entries) {
        struct entry *e = r->entries;

        entry_unlink(r, e);
        if (e->q)
            ma_net_resolv_query_free(e->q);
        while (e->waiters)
            ma_net_lookup_cancel(e->waiters);
        free(e);
    }
    ma_net_hosts_free(&r->hosts);
    free(r);
}
