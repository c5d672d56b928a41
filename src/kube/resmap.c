#include "kube/resmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "http/client.h"
#include "kube/client.h"
#include "net/loop.h"

/* ==== the learned table ====================================================================== */

/* Learning runs in rounds: a timer (0 ms after a want or a refresh, the retry delay after a
 * failure, else the refresh period) fetches every dirty group at once, each group with at most
 * one request in flight; the round ends when none is in flight, and only then is the caller told
 * and the next timer armed. So a burst of wants costs one round, a refresh asked for during a
 * round costs one more round and never a second request for the same group, and nothing ever
 * blocks a caller or an HPA request: lookups read the table as the last round left it. */

enum phase { PH_IDLE, PH_WAIT_GROUP, PH_WAIT_LIST };

struct group {
    struct ma_kube_resmap *m;
    char name[MA_KUBE_MAX_NAME + 1];
    char version[MA_KUBE_RESMAP_MAX_WORD + 1];
    enum phase phase;
    int dirty;   /* fetch at the next kick */
    int learned; /* res holds a complete list from some successful fetch */
    int status;  /* of the last fetch: MA_OK, MA_ERR_PARTIAL (none yet), NOTFOUND, UPSTREAM */
    struct ma_errmsg why;
    struct ma_kube_resource *res;
    size_t nres;
    struct ma_kube_req *req;
    uint64_t seq; /* bumped per request, so a synchronous on_done is not mistaken */
    char wanted[MA_KUBE_RESMAP_MAX_WANTED][MA_KUBE_RESMAP_MAX_WORD + 1];
    size_t nwanted;
};

struct ma_kube_resmap {
    struct ma_net_loop *loop;
    struct ma_kube_client *kc;
    struct ma_kube_resmap_config cfg;
    struct group *groups[MA_KUBE_RESMAP_MAX_GROUPS]; /* in the order wanted: lookup priority */
    size_t ngroups;
    size_t in_flight;
    uint64_t generation, reported_generation;
    int reported_ready;
    uint64_t timer;
    int64_t next_full_ms; /* monotonic time of the next refresh of every group */
};

static void group_label(const struct group *g, char *out, size_t cap)
{
    if (g->name[0] == '\0')
        snprintf(out, cap, "the core group (/api/v1)");
    else
        snprintf(out, cap, "group %s", g->name);
}

static struct group *group_find(const struct ma_kube_resmap *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->ngroups; i++)
        if (strcmp(m->groups[i]->name, name) == 0)
            return m->groups[i];
    return NULL;
}

static int64_t on_timer(struct ma_net_loop *loop, void *arg);

static void arm(struct ma_kube_resmap *m, int64_t delay_ms)
{
    if (m->timer != 0)
        ma_net_loop_del_timer(m->loop, m->timer);
    m->timer = ma_net_loop_add_timer(m->loop, delay_ms < 0 ? 0 : delay_ms, on_timer, m);
}

static void fetch(struct ma_kube_resmap *m, struct group *g);

/* Nothing is in flight: start what was wanted meanwhile, or end the round (report, arm the next
 * retry or refresh). */
static void settle(struct ma_kube_resmap *m)
{
    size_t i;
    int failed = 0, ready;
    int64_t delay = m->next_full_ms - ma_time_mono_ms();

    for (i = 0; i < m->ngroups; i++) {
        if (m->groups[i]->dirty) {
            arm(m, 0);
            return;
        }
        if (m->groups[i]->status == MA_ERR_UPSTREAM)
            failed = 1;
    }
    /* a failed group is retried soon; the others keep their own refresh period */
    if (failed && m->cfg.retry_ms < delay)
        delay = m->cfg.retry_ms;
    arm(m, delay);
    ready = ma_kube_resmap_ready(m, NULL);
    if (ready != m->reported_ready || m->generation != m->reported_generation) {
        m->reported_ready = ready;
        m->reported_generation = m->generation;
        if (m->cfg.on_update != NULL)
            m->cfg.on_update(m->cfg.arg, m->generation, ready);
    }
}

static void finish(struct ma_kube_resmap *m, struct group *g, int status)
{
    g->phase = PH_IDLE;
    g->req = NULL;
    g->status = status;
    if (status == MA_ERR_NOTFOUND && g->learned) {
        /* the group went away (its CRDs deleted): what it served is no longer there */
        free(g->res);
        g->res = NULL;
        g->nres = 0;
        g->learned = 0;
        m->generation++;
    }
    if (status != MA_OK)
        MA_LOG_W("resource discovery: %s%s; asking again %s", g->why.msg,
                 g->learned ? " (keeping what was learned before)" : "",
                 status == MA_ERR_NOTFOUND ? "at the next refresh" : "soon");
    if (--m->in_flight == 0)
        settle(m);
}

/* Keep a fresh list (owned from now on); bump the generation only when something differs. */
static void store(struct ma_kube_resmap *m, struct group *g, struct ma_kube_resource *res,
                  size_t n)
{
    if (g->learned && n == g->nres && memcmp(res, g->res, n * sizeof *res) == 0) {
        free(res);
        return;
    }
    free(g->res);
    g->res = res;
    g->nres = n;
    g->learned = 1;
    m->generation++;
    MA_LOGV(1, "resource discovery: learned %zu resources of %s%s%s", n,
            g->name[0] ? g->name : "core", g->name[0] ? "/" : " ", g->version);
}

/* Tokenize and parse body; the token array lives only for this call (discovery runs every few
 * minutes: holding up to a MiB of tokens between runs would be waste). */
static int parse_body(struct group *g, const struct ma_buf *body, int is_list,
                      struct ma_kube_resource **res_out, size_t *n_out)
{
    struct ma_json_doc d;
    struct ma_errmsg em = {{0}};
    char who[MA_KUBE_MAX_NAME + 32];
    size_t ntok;
    jsmntok_t *toks;
    struct ma_kube_resource *res = NULL;
    int rc;

    group_label(g, who, sizeof who);
    if (body->len > MA_KUBE_RESMAP_MAX_DOC) {
        ma_errmsg_set(&g->why, "discovery of %s: reply exceeds %d bytes", who,
                      MA_KUBE_RESMAP_MAX_DOC);
        return MA_ERR_LIMIT;
    }
    /* a token spans at least one byte and is followed by a separator, so len/2 + 2 suffice */
    ntok = body->len / 2 + 2;
    if (ntok > MA_KUBE_RESMAP_MAX_TOKENS)
        ntok = MA_KUBE_RESMAP_MAX_TOKENS;
    toks = ma_xmalloc(ntok * sizeof *toks);
    rc = ma_json_parse(&d, body->p, body->len, toks, (int)ntok, &em);
    if (rc == MA_OK && !is_list) {
        rc = ma_kube_discovery_parse_group(&d, g->name, g->version, sizeof g->version, &em);
    } else if (rc == MA_OK) {
        res = ma_xcalloc(MA_KUBE_RESMAP_MAX_RESOURCES, sizeof *res);
        rc = ma_kube_discovery_parse_resources(&d, g->name, g->version, res,
                                               MA_KUBE_RESMAP_MAX_RESOURCES, &em);
        if (rc >= 0) {
            *n_out = (size_t)rc;
            *res_out = ma_xrealloc(res, (rc ? (size_t)rc : 1) * sizeof *res);
            res = NULL;
            rc = MA_OK;
        }
    }
    free(res);
    free(toks);
    if (rc != MA_OK)
        ma_errmsg_set(&g->why, "discovery of %s: %s", who, em.msg);
    return rc;
}

static void on_done(const struct ma_http_result *r, void *arg)
{
    struct group *g = arg;
    struct ma_kube_resmap *m = g->m;
    char who[MA_KUBE_MAX_NAME + 32];
    struct ma_kube_resource *res = NULL;
    size_t n = 0;

    g->req = NULL;
    group_label(g, who, sizeof who);
    if (r->err != MA_OK) {
        ma_errmsg_set(&g->why, "discovery of %s: %s", who, r->em.msg);
        finish(m, g, MA_ERR_UPSTREAM);
        return;
    }
    if (r->status == 404 && g->phase == PH_WAIT_GROUP) {
        /* kube-apiserver answers 404 for an unknown group: a misspelt group or CRDs not
         * installed. Remembered, so lookups say why, and asked again at the next refresh. */
        ma_errmsg_set(&g->why, "no API group '%s'", g->name);
        finish(m, g, MA_ERR_NOTFOUND);
        return;
    }
    if (r->status != 200) {
        ma_errmsg_set(&g->why, "discovery of %s: HTTP %d", who, r->status);
        finish(m, g, MA_ERR_UPSTREAM);
        return;
    }
    if (parse_body(g, r->body, g->phase == PH_WAIT_LIST, &res, &n) != MA_OK) {
        finish(m, g, MA_ERR_UPSTREAM);
        return;
    }
    if (g->phase == PH_WAIT_GROUP) {
        g->phase = PH_WAIT_LIST;
        fetch(m, g);
        return;
    }
    store(m, g, res, n);
    finish(m, g, MA_OK);
}

/* Send the request of g's current phase (PH_IDLE starts a fetch). */
static void fetch(struct ma_kube_resmap *m, struct group *g)
{
    struct ma_kube_req_params p;
    struct ma_kube_req *r;
    char path[MA_KUBE_MAX_NAME + MA_KUBE_RESMAP_MAX_WORD + 16];
    uint64_t seq;

    if (g->phase == PH_IDLE) {
        g->dirty = 0;
        m->in_flight++;
        g->phase = g->name[0] == '\0' ? PH_WAIT_LIST : PH_WAIT_GROUP;
        if (g->name[0] == '\0')
            memcpy(g->version, "v1", 3); /* the core group has one version, at /api/v1 */
    }
    if (g->name[0] == '\0')
        snprintf(path, sizeof path, "/api/v1");
    else if (g->phase == PH_WAIT_GROUP)
        snprintf(path, sizeof path, "/apis/%s", g->name);
    else
        snprintf(path, sizeof path, "/apis/%s/%s", g->name, g->version);
    memset(&p, 0, sizeof p);
    p.path = path;
    p.timeout_ms = MA_KUBE_RESMAP_TIMEOUT_MS;
    p.on_done = on_done;
    p.arg = g;
    seq = ++g->seq;
    r = ma_kube_request(m->kc, &p);
    if (g->seq == seq && g->phase != PH_IDLE)
        g->req = r; /* else on_done already ran inside ma_kube_request */
}

static int64_t on_timer(struct ma_net_loop *loop, void *arg)
{
    struct ma_kube_resmap *m = arg;
    int64_t now = ma_time_mono_ms();
    size_t i;

    (void)loop;
    m->timer = 0;
    if (now >= m->next_full_ms) {
        m->next_full_ms = now + m->cfg.refresh_ms;
        for (i = 0; i < m->ngroups; i++)
            m->groups[i]->dirty = 1;
    }
    for (i = 0; i < m->ngroups; i++)
        if (m->groups[i]->status == MA_ERR_UPSTREAM)
            m->groups[i]->dirty = 1;
    /* hold the round open while starting: a synchronous completion must not settle it early */
    m->in_flight++;
    for (i = 0; i < m->ngroups; i++)
        if (m->groups[i]->dirty && m->groups[i]->phase == PH_IDLE)
            fetch(m, m->groups[i]);
    if (--m->in_flight == 0)
        settle(m);
    return MA_NET_TIMER_STOP;
}

/* see kube/resmap.h */
struct ma_kube_resmap *ma_kube_resmap_new(struct ma_net_loop *loop, struct ma_kube_client *kc,
                                          const struct ma_kube_resmap_config *cfg)
{
    struct ma_kube_resmap *m = ma_xcalloc(1, sizeof *m);

    m->loop = loop;
    m->kc = kc;
    if (cfg != NULL)
        m->cfg = *cfg;
    if (m->cfg.refresh_ms <= 0)
        m->cfg.refresh_ms = MA_KUBE_RESMAP_REFRESH_DEFAULT_MS;
    if (m->cfg.retry_ms <= 0)
        m->cfg.retry_ms = MA_KUBE_RESMAP_RETRY_MS;
    m->reported_ready = 1; /* nothing wanted is ready */
    m->next_full_ms = ma_time_mono_ms() + m->cfg.refresh_ms;
    return m;
}

/* see kube/resmap.h */
void ma_kube_resmap_free(struct ma_kube_resmap *m)
{
    size_t i;

    if (m == NULL)
        return;
    if (m->timer != 0)
        ma_net_loop_del_timer(m->loop, m->timer);
    for (i = 0; i < m->ngroups; i++) {
        if (m->groups[i]->req != NULL)
            ma_kube_req_cancel(m->groups[i]->req);
        free(m->groups[i]->res);
        free(m->groups[i]);
    }
    free(m);
}

/* see kube/resmap.h */
int ma_kube_resmap_want(struct ma_kube_resmap *m, const char *group, const char *resource,
                        struct ma_errmsg *em)
{
    struct group *g;
    size_t i;

    if (group == NULL)
        group = "";
    if (!ma_kube_discovery_valid_group(group)) {
        ma_errmsg_set(em, "'%.253s' is not an API group name", group);
        return MA_ERR_SYNTAX;
    }
    if (resource != NULL && (*resource == '\0' || strlen(resource) > MA_KUBE_RESMAP_MAX_WORD)) {
        ma_errmsg_set(em, "'%.100s' is not a resource name", resource);
        return MA_ERR_SYNTAX;
    }
    g = group_find(m, group);
    if (g == NULL) {
        if (m->ngroups == MA_KUBE_RESMAP_MAX_GROUPS) {
            ma_errmsg_set(em, "more than %d API groups named", MA_KUBE_RESMAP_MAX_GROUPS);
            return MA_ERR_LIMIT;
        }
        g = ma_xcalloc(1, sizeof *g);
        g->m = m;
        memcpy(g->name, group, strlen(group) + 1);
        g->status = MA_ERR_PARTIAL;
        snprintf(g->why.msg, sizeof g->why.msg, "discovery of %s%s: not yet learned",
                 *group ? "group " : "the core group", group);
        g->dirty = 1;
        m->groups[m->ngroups++] = g;
        arm(m, 0);
    }
    if (resource == NULL)
        return MA_OK;
    for (i = 0; i < g->nwanted; i++)
        if (strcasecmp(g->wanted[i], resource) == 0)
            return MA_OK;
    if (g->nwanted == MA_KUBE_RESMAP_MAX_WANTED) {
        ma_errmsg_set(em, "more than %d resources named in API group '%s'",
                      MA_KUBE_RESMAP_MAX_WANTED, group);
        return MA_ERR_LIMIT;
    }
    memcpy(g->wanted[g->nwanted++], resource, strlen(resource) + 1);
    return MA_OK;
}

/* see kube/resmap.h */
void ma_kube_resmap_refresh(struct ma_kube_resmap *m)
{
    size_t i;

    for (i = 0; i < m->ngroups; i++)
        m->groups[i]->dirty = 1;
    m->next_full_ms = ma_time_mono_ms() + m->cfg.refresh_ms;
    if (m->in_flight == 0)
        arm(m, 0); /* else settle() re-arms for what is dirty when the running round ends */
}

/* see kube/resmap.h */
int ma_kube_resmap_ready(void *arg, struct ma_errmsg *why)
{
    const struct ma_kube_resmap *m = arg;
    size_t i, j;

    for (i = 0; i < m->ngroups; i++) {
        const struct group *g = m->groups[i];
        if (!g->learned) {
            ma_errmsg_set(why, "%s", g->why.msg);
            return 0;
        }
        for (j = 0; j < g->nwanted; j++)
            if (ma_kube_resmap_find(m, g->name, g->wanted[j], NULL, NULL) != MA_OK) {
                ma_errmsg_set(why, "no resource '%s' in API group '%s'", g->wanted[j], g->name);
                return 0;
            }
    }
    return 1;
}

/* see kube/resmap.h */
int ma_kube_resmap_group_state(const struct ma_kube_resmap *m, const char *group,
                               struct ma_errmsg *em)
{
    const struct group *g = group_find(m, group == NULL ? "" : group);

    if (g == NULL) {
        ma_errmsg_set(em, "API group '%.200s' is not wanted", group);
        return MA_ERR_NOTFOUND;
    }
    if (g->learned)
        return MA_OK;
    ma_errmsg_set(em, "%s", g->why.msg);
    return g->status == MA_OK ? MA_ERR_PARTIAL : g->status;
}

/* see kube/resmap.h */
uint64_t ma_kube_resmap_generation(const struct ma_kube_resmap *m)
{
    return m->generation;
}

/* ==== lookups ================================================================================ */

/* Distinct resources of g whose plural or singular is name (case-insensitive: the RESTMapper
 * lowercases what it is asked, and discovery names are lowercase); the first in *hit. */
static size_t match_in(const struct group *g, const char *name, const struct ma_kube_resource **hit)
{
    size_t i, n = 0;

    for (i = 0; i < g->nres; i++)
        if (strcasecmp(g->res[i].plural, name) == 0 || strcasecmp(g->res[i].singular, name) == 0) {
            if (n++ == 0)
                *hit = &g->res[i];
        }
    return n;
}

/* The learned groups in the RESTMapper's priority: core v1 first, then the others in the order
 * they were wanted. i-th of them, or NULL. */
static const struct group *by_priority(const struct ma_kube_resmap *m, size_t i)
{
    const struct group *core = group_find(m, "");
    size_t j;

    if (core != NULL) {
        if (i == 0)
            return core;
        i--;
    }
    for (j = 0; j < m->ngroups; j++)
        if (m->groups[j] != core && i-- == 0)
            return m->groups[j];
    return NULL;
}

/* Search the groups accepted by `want` (0: any, 1: exact group, 2: group has prefix) in priority
 * order; the first group with a match decides. 1 found, 0 none, -1 ambiguous (em set). */
static int search(const struct ma_kube_resmap *m, const char *group, const char *name, int how,
                  const struct ma_kube_resource **hit, struct ma_errmsg *em)
{
    const struct group *g;
    size_t i, n;

    for (i = 0; (g = by_priority(m, i)) != NULL; i++) {
        if (how == 1 && strcmp(g->name, group) != 0)
            continue;
        if (how == 2 && (g->name[0] == '\0' || strncmp(g->name, group, strlen(group)) != 0))
            continue;
        n = match_in(g, name, hit);
        if (n == 1)
            return 1;
        if (n > 1) {
            ma_errmsg_set(em, "resource name '%s' is ambiguous in API group '%s'", name,
                          g->name);
            return -1;
        }
    }
    return 0;
}

/* see kube/resmap.h */
int ma_kube_resmap_find(const struct ma_kube_resmap *m, const char *group, const char *name,
                        struct ma_kube_resource *out, struct ma_errmsg *em)
{
    const struct ma_kube_resource *hit = NULL;
    const struct group *g;
    int rc;

    if (group == NULL)
        group = "";
    if (name == NULL || *name == '\0' || strlen(name) > MA_KUBE_RESMAP_MAX_WORD) {
        ma_errmsg_set(em, "no resource '%.100s'", name ? name : "");
        return MA_ERR_NOTFOUND;
    }
    if (*group == '\0') {
        rc = search(m, group, name, 0, &hit, em);
    } else {
        /* exact group first; when it has no such resource, every group it prefixes
         * (DefaultRESTMapper: "storageclass.storage" matches storage.k8s.io) */
        rc = search(m, group, name, 1, &hit, em);
        if (rc == 0)
            rc = search(m, group, name, 2, &hit, em);
    }
    if (rc < 0)
        return MA_ERR_NOTFOUND;
    if (rc == 0) {
        g = group_find(m, group);
        if (*group == '\0')
            ma_errmsg_set(em, "no resource '%s' in any discovered API group", name);
        else if (g == NULL) /* not wanted, or only a prefix of a group */
            ma_errmsg_set(em, "no resource '%s' in API group '%s' (a group not discovered)",
                          name, group);
        else if (!g->learned)
            ma_errmsg_set(em, "no resource '%s' in API group '%s' (%s)", name, group, g->why.msg);
        else
            ma_errmsg_set(em, "no resource '%s' in API group '%s'", name, group);
        return MA_ERR_NOTFOUND;
    }
    if (out != NULL)
        *out = *hit;
    return MA_OK;
}

/* see kube/resmap.h */
int ma_kube_resmap_sanitize_group(const char *group, char *out, size_t cap)
{
    size_t i;

    for (i = 0; group[i]; i++) {
        if (i + 1 >= cap) {
            if (cap > 0)
                out[i < cap ? i : cap - 1] = '\0';
            return MA_ERR_NOSPACE;
        }
        out[i] = (group[i] == '.' || group[i] == '-') ? '_' : group[i];
    }
    if (cap == 0)
        return MA_ERR_NOSPACE;
    out[i] = '\0';
    return (int)i;
}

/* The label's text between prefix and suffix split into (first, second) at the first (shortest)
 * position after `from` where middle follows and a non-empty rest remains: what Go's lazy
 * "(.+?)middle(.+?)" anchored at both ends yields. Returns the length of first, or 0 if none. */
static size_t split_at(const char *body, size_t blen, const char *middle, size_t from)
{
    size_t k, ml = strlen(middle);

    for (k = from; k + ml < blen; k++)
        if (memcmp(body + k, middle, ml) == 0)
            return k;
    return 0;
}

/* Copy the halves of a split into group/resource buffers; 0 when one does not fit. */
static int take_split(const char *body, size_t blen, size_t k, size_t ml, int group_first,
                      char *grp, char *res)
{
    const char *a = body, *b = body + k + ml;
    size_t alen = k, bl = blen - k - ml;
    size_t gl = group_first ? alen : bl, rl = group_first ? bl : alen;

    if (gl > MA_KUBE_MAX_NAME || rl > MA_KUBE_RESMAP_MAX_WORD)
        return 0;
    memcpy(grp, group_first ? a : b, gl);
    grp[gl] = '\0';
    memcpy(res, group_first ? b : a, rl);
    res[rl] = '\0';
    return 1;
}

/* The MA_KUBE_RESMAP_MATCH_SANITIZED extension: any split whose group part is a learned group's
 * sanitized name. */
static int match_sanitized(const struct ma_kube_resmap *m, const struct ma_kube_resmap_template *t,
                           const char *body, size_t blen, const struct ma_kube_resource **hit)
{
    char grp[MA_KUBE_MAX_NAME + 1], res[MA_KUBE_RESMAP_MAX_WORD + 1], san[MA_KUBE_MAX_NAME + 1];
    const char *middle = t->middle ? t->middle : "";
    size_t k, i, ml = strlen(middle);
    const struct group *g;

    for (k = split_at(body, blen, middle, 1); k != 0; k = split_at(body, blen, middle, k + 1)) {
        if (!take_split(body, blen, k, ml, t->group_first, grp, res))
            continue;
        for (i = 0; (g = by_priority(m, i)) != NULL; i++) {
            if (g->name[0] == '\0' || ma_kube_resmap_sanitize_group(g->name, san, sizeof san) < 0 ||
                strcmp(san, grp) != 0)
                continue;
            if (match_in(g, res, hit) == 1)
                return 1;
        }
    }
    return 0;
}

/* see kube/resmap.h */
int ma_kube_resmap_match_label(const struct ma_kube_resmap *m,
                               const struct ma_kube_resmap_template *t, const char *label,
                               unsigned flags, struct ma_kube_resource *out,
                               struct ma_errmsg *em)
{
    const char *prefix = t->prefix ? t->prefix : "", *suffix = t->suffix ? t->suffix : "";
    const char *middle = t->middle ? t->middle : "";
    char grp[MA_KUBE_MAX_NAME + 1], res[MA_KUBE_RESMAP_MAX_WORD + 1];
    size_t len = strlen(label), pl = strlen(prefix), sl = strlen(suffix), blen, k;
    const char *body = label + pl;
    const struct ma_kube_resource *hit = NULL;
    struct ma_kube_resource tmp;
    int rc;

    if (len < pl + sl + 1 || memcmp(label, prefix, pl) != 0 ||
        memcmp(label + len - sl, suffix, sl) != 0)
        goto no_fit;
    blen = len - pl - sl;
    if (!t->has_group) {
        if (blen > MA_KUBE_RESMAP_MAX_WORD)
            goto no_fit;
        memcpy(res, body, blen);
        res[blen] = '\0';
        grp[0] = '\0';
    } else {
        k = split_at(body, blen, middle, 1);
        if (k == 0 || !take_split(body, blen, k, strlen(middle), t->group_first, grp, res))
            goto no_fit;
    }
    rc = ma_kube_resmap_find(m, grp, res, out ? out : &tmp, em);
    if (rc == MA_OK || !t->has_group || !(flags & MA_KUBE_RESMAP_MATCH_SANITIZED))
        return rc;
    if (!match_sanitized(m, t, body, blen, &hit))
        return rc; /* em from the mirror's attempt */
    if (out != NULL)
        *out = *hit;
    return MA_OK;

no_fit:
    ma_errmsg_set(em, "label '%.100s' does not fit the resource template", label);
    return MA_ERR_NOTFOUND;
}
