/* Parsers of /etc/resolv.conf and /etc/hosts and the search-list rule: the configuration half of
 * net/resolv.h (the engine is net/resolv.c). Pure functions over text. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "net/resolv.h"

/* Next whitespace-separated word of line[*i..n) into w (truncated to cap-1), "" at the end. */
static size_t word(const char *line, size_t n, size_t *i, char *w, size_t cap)
{
    size_t k = 0;

    while (*i < n && (line[*i] == ' ' || line[*i] == '\t' || line[*i] == '\r'))
        (*i)++;
    while (*i < n && line[*i] != ' ' && line[*i] != '\t' && line[*i] != '\r') {
        if (k + 1 < cap)
            w[k++] = line[*i];
        (*i)++;
    }
    w[k] = '\0';
    return k;
}

/* An IP literal (IPv4 dotted quad or IPv6, no zone) into sa with port. 1 or 0. */
static int parse_ip(const char *s, uint16_t port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

    memset(sa, 0, sizeof *sa);
    if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
        return 1;
    }
    if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
        return 1;
    }
    return 0;
}

static int option_value(const char *w, const char *name, int max, int *out)
{
    size_t n = strlen(name);
    long v;
    char *end;

    if (strncmp(w, name, n) != 0 || w[n] != ':')
        return 0;
    v = strtol(w + n + 1, &end, 10);
    if (end == w + n + 1 || *end != '\0' || v < 0)
        return 1; /* libc ignores a bad value; so do we */
    *out = v > max ? max : (int)v;
    return 1;
}

static void set_search(struct ma_net_resolv_conf *c, const char *line, size_t n, size_t i)
{
    char w[MA_NET_DNS_MAX_NAME + 2];
    size_t k;

    c->nsearch = 0;
    while ((k = word(line, n, &i, w, sizeof w)) > 0) {
        if (k > 0 && w[k - 1] == '.')
            w[--k] = '\0';
        if (k == 0 || k > MA_NET_DNS_MAX_NAME || c->nsearch == MA_NET_RESOLV_MAX_SEARCH)
            continue;
        memcpy(c->search[c->nsearch++], w, k + 1);
    }
}

/* see net/resolv.h */
int ma_net_resolv_conf_parse(struct ma_net_resolv_conf *c, const char *text, size_t len,
                             uint16_t port, struct ma_errmsg *em)
{
    size_t pos = 0, lineno = 0;

    memset(c, 0, sizeof *c);
    c->ndots = 1;
    c->timeout_s = 5;
    c->attempts = 2;
    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos), *hash;
        size_t n = nl ? (size_t)(nl - line) : len - pos, i = 0;
        char key[32], w[64];

        pos += n + (nl != NULL);
        lineno++;
        if ((hash = memchr(line, '#', n)) != NULL)
            n = (size_t)(hash - line);
        if ((hash = memchr(line, ';', n)) != NULL)
            n = (size_t)(hash - line);
        word(line, n, &i, key, sizeof key);
        if (strcmp(key, "nameserver") == 0) {
            word(line, n, &i, w, sizeof w);
            if (c->nns == MA_NET_RESOLV_MAX_NS)
                continue;
            if (!parse_ip(w, port, &c->ns[c->nns], &c->nslen[c->nns])) {
                ma_errmsg_set(em, "resolv.conf line %zu: nameserver \"%.64s\" is not an IP address",
                              lineno, w);
                return MA_ERR_SYNTAX;
            }
            c->nns++;
        } else if (strcmp(key, "search") == 0 || strcmp(key, "domain") == 0) {
            set_search(c, line, n, i);
        } else if (strcmp(key, "options") == 0) {
            while (word(line, n, &i, w, sizeof w) > 0) {
                if (strcmp(w, "rotate") == 0)
                    c->rotate = 1;
                else if (!option_value(w, "ndots", MA_NET_RESOLV_MAX_NDOTS, &c->ndots) &&
                         !option_value(w, "timeout", MA_NET_RESOLV_MAX_TIMEOUT_S, &c->timeout_s))
                    option_value(w, "attempts", MA_NET_RESOLV_MAX_ATTEMPTS, &c->attempts);
            }
        }
    }
    if (c->timeout_s < 1)
        c->timeout_s = 1;
    if (c->attempts < 1)
        c->attempts = 1;
    if (c->nns == 0)
        parse_ip("127.0.0.1", port, &c->ns[0], &c->nslen[0]), c->nns = 1;
    return MA_OK;
}

static int join(char *out, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + (lb ? 1 + lb : 0) > MA_NET_DNS_MAX_NAME)
        return 0;
    memcpy(out, a, la);
    if (lb) {
        out[la] = '.';
        memcpy(out + la + 1, b, lb);
    }
    out[la + (lb ? 1 + lb : 0)] = '\0';
    return 1;
}

/* see net/resolv.h */
size_t ma_net_resolv_candidates(const struct ma_net_resolv_conf *c, const char *name,
                                char (*out)[MA_NET_DNS_MAX_NAME + 1], size_t max)
{
    size_t len = strlen(name), dots = 0, n = 0, i;
    char base[MA_NET_DNS_MAX_NAME + 2];
    int as_is_first;

    if (len == 0 || len > MA_NET_DNS_MAX_NAME + 1)
        return 0;
    memcpy(base, name, len + 1);
    if (base[len - 1] == '.') {
        base[len - 1] = '\0';
        if (max > 0 && len > 1 && join(out[0], base, ""))
            return 1;
        return 0;
    }
    for (i = 0; i < len; i++)
        dots += base[i] == '.';
    as_is_first = (int)dots >= c->ndots;
    if (as_is_first && n < max && join(out[n], base, ""))
        n++;
    for (i = 0; i < c->nsearch && n < max; i++)
        if (join(out[n], base, c->search[i]))
            n++;
    if (!as_is_first && n < max && join(out[n], base, ""))
        n++;
    return n;
}

/* see net/resolv.h */
int ma_net_hosts_parse(struct ma_net_hosts *h, const char *text, size_t len, struct ma_errmsg *em)
{
    size_t pos = 0, cap = 0;

    memset(h, 0, sizeof *h);
    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos), *hash;
        size_t n = nl ? (size_t)(nl - line) : len - pos, i = 0, k;
        char ip[64], w[MA_NET_DNS_MAX_NAME + 2];
        struct sockaddr_storage sa;
        socklen_t salen;

        pos += n + (nl != NULL);
        if ((hash = memchr(line, '#', n)) != NULL)
            n = (size_t)(hash - line);
        word(line, n, &i, ip, sizeof ip);
        if (!parse_ip(ip, 0, &sa, &salen))
            continue;
        while ((k = word(line, n, &i, w, sizeof w)) > 0) {
            if (w[k - 1] == '.')
                w[--k] = '\0';
            if (k == 0 || k > MA_NET_DNS_MAX_NAME)
                continue;
            if (h->n == MA_NET_HOSTS_MAX_ENTRIES) {
                ma_errmsg_set(em, "hosts file: more than %d names", MA_NET_HOSTS_MAX_ENTRIES);
                ma_net_hosts_free(h);
                return MA_ERR_LIMIT;
            }
            if (h->n == cap) {
                cap = cap ? cap * 2 : 16;
                h->e = ma_xrealloc(h->e, cap * sizeof *h->e);
            }
            for (size_t j = 0; j <= k; j++)
                h->e[h->n].name[j] = (char)(w[j] >= 'A' && w[j] <= 'Z' ? w[j] + 32 : w[j]);
            h->e[h->n].sa = sa;
            h->e[h->n].salen = salen;
            h->n++;
        }
    }
    return MA_OK;
}

/* see net/resolv.h */
void ma_net_hosts_free(struct ma_net_hosts *h)
{
    free(h->e);
    h->e = NULL;
    h->n = 0;
}
