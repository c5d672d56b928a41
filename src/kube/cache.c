#include "kube/cache.h"

#include "base/sorted.h"

#include "kube/watch.h"

#include <string.h>

#include "base/log.h"
#include "base/mem.h"

/* Objects live in one array sorted by namespace, then name: lookups bisect it, a namespace is a
 * contiguous run, and iteration order is stable for whoever lists them (discovery, /readyz).
 * Each object is one allocation: struct obj, then namespace, name, resourceVersion and the compact
 * JSON text, each NUL-terminated. */

struct obj {
    struct ma_kube_cache_obj pub; /* first: the API hands out &pub */
    char text[];
};

struct ma_kube_cache {
    struct ma_kube_cache_config cfg;
    struct obj **objs;
    size_t n, cap;
};

static int cmp_key(const struct obj *o, const char *ns, const char *name)
{
    int c = strcmp(o->pub.namespace, ns);

    return c != 0 ? c : strcmp(o->pub.name, name);
}

struct key {
    const char *ns, *name;
};

static int cmp_obj(const void *key, const void *elem)
{
    const struct key *k = key;

    return -cmp_key(*(struct obj *const *)elem, k->ns, k->name);
}

/* Index of ns/name, or of where it would go; *found says which. */
static size_t search(const struct ma_kube_cache *c, const char *ns, const char *name, int *found)
{
    struct key k = {ns, name};

    return ma_sorted_find(c->objs, c->n, sizeof c->objs[0], &k, cmp_obj, found);
}

/* ===================================== callbacks ===================================== */

/* Parse o into d with toks; the text was valid JSON when stored, so failure is a broken
 * invariant: logged, and the callback skipped rather than handed garbage. */
static int reparse(const struct ma_kube_cache *c, const struct obj *o, struct ma_json_doc *d,
                   jsmntok_t *toks)
{
    if (ma_kube_cache_obj_parse(&o->pub, d, toks, o->pub.ntok) == MA_OK)
        return 1;
    MA_LOG_E("%s cache: stored copy of %s/%s does not parse; callback skipped", c->cfg.what,
             o->pub.namespace, o->pub.name);
    return 0;
}

/* One callback with was and/or now parsed from the stored copies (either MAY be NULL). */
static void notify(const struct ma_kube_cache *c, const struct obj *was, const struct obj *now)
{
    const struct ma_kube_cache_handler *h = &c->cfg.handler;
    struct ma_json_doc dold, dnew;
    jsmntok_t *toks;
    size_t n = 0;

    if ((was && now && !h->on_update) || (!was && !h->on_add) || (!now && !h->on_delete))
        return;
    n = (was ? (size_t)was->pub.ntok : 0) + (now ? (size_t)now->pub.ntok : 0);
    toks = ma_xmalloc(n * sizeof *toks);
    if (was && now) {
        if (reparse(c, was, &dold, toks) && reparse(c, now, &dnew, toks + was->pub.ntok))
            h->on_update(h->arg, &dold, &dnew);
    } else if (now) {
        if (reparse(c, now, &dnew, toks))
            h->on_add(h->arg, &dnew);
    } else if (reparse(c, was, &dold, toks)) {
        h->on_delete(h->arg, &dold);
    }
    free(toks);
}

/* ===================================== building ===================================== */

/* Copy s[0..n) without whitespace outside strings into out (NULL: only count); returns the
 * length. s is a jsmn-validated value, so quotes and escapes pair up. */
static size_t compact(const char *s, size_t n, char *out)
{
    size_t i, o = 0;
    int in_str = 0;

    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\' && i + 1 < n) {
                if (out != NULL)
                    out[o] = ch;
                o++;
                ch = s[++i];
            } else if (ch == '"') {
                in_str = 0;
            }
        } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            continue;
        } else if (ch == '"') {
            in_str = 1;
        }
        if (out != NULL)
            out[o] = ch;
        o++;
    }
    return o;
}

/* A metadata string: -1 when absent or null, else its token after checking type and length. */
static int meta_str(const struct ma_kube_cache *c, const struct ma_json_doc *d, int meta,
                    const char *key, int *len, struct ma_errmsg *em)
{
    int t = meta < 0 ? -1 : ma_json_get(d, meta, key);

    *len = 0;
    if (ma_json_is_null(d, t))
        return -1;
    if (d->tok[t].type != JSMN_STRING || (*len = ma_json_str_len(d, t)) < 0) {
        ma_errmsg_set(em, "%s: metadata.%s is not a string", c->cfg.what, key);
        return MA_ERR_SYNTAX;
    }
    if (*len > MA_KUBE_MAX_NAME) {
        ma_errmsg_set(em, "%s: metadata.%s is too long (%d bytes)", c->cfg.what, key, *len);
        return MA_ERR_LIMIT;
    }
    return t;
}

static char *put(const struct ma_json_doc *d, int tok, int len, char **at)
{
    char *s = *at;

    if (tok < 0)
        *s = '\0';
    else
        ma_json_str(d, tok, s, (size_t)len + 1);
    *at += len + 1;
    return s;
}

static int build(const struct ma_kube_cache *c, const struct ma_json_doc *d, int obj,
                 struct obj **out, struct ma_errmsg *em)
{
    int meta, tns, tname, trv, lns, lname, lrv;
    const jsmntok_t *t;
    size_t jlen;
    struct obj *o;
    char *at;

    if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "%s: not a JSON object", c->cfg.what);
        return MA_ERR_SYNTAX;
    }
    meta = ma_json_get(d, obj, "metadata");
    if (ma_json_is_null(d, meta)) {
        meta = -1;
    } else if (d->tok[meta].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "%s: metadata is not an object", c->cfg.what);
        return MA_ERR_SYNTAX;
    }
    /* meta_str: -1 absent, a token, or an error code below -1 */
    if ((tns = meta_str(c, d, meta, "namespace", &lns, em)) < -1 ||
        (tname = meta_str(c, d, meta, "name", &lname, em)) < -1 ||
        (trv = meta_str(c, d, meta, "resourceVersion", &lrv, em)) < -1)
        return tns < -1 ? tns : tname < -1 ? tname : trv;
    if (lname == 0) {
        ma_errmsg_set(em, "%s: metadata.name is missing", c->cfg.what);
        return MA_ERR_SYNTAX;
    }
    t = &d->tok[obj];
    jlen = compact(d->js + t->start, (size_t)(t->end - t->start), NULL);
    if (jlen > c->cfg.max_object) {
        ma_errmsg_set(em, "%s: object exceeds %zu bytes (%zu)", c->cfg.what, c->cfg.max_object,
                      jlen);
        return MA_ERR_LIMIT;
    }
    o = ma_xmalloc(sizeof *o + (size_t)lns + (size_t)lname + (size_t)lrv + jlen + 4);
    at = o->text;
    o->pub.namespace = put(d, tns, lns, &at);
    o->pub.name = put(d, tname, lname, &at);
    o->pub.resource_version = put(d, trv, lrv, &at);
    o->pub.json = at;
    o->pub.json_len = compact(d->js + t->start, (size_t)(t->end - t->start), at);
    at[jlen] = '\0';
    o->pub.ntok = ma_json_skip(d, obj) - obj;
    o->pub._marked = 0;
    *out = o;
    return MA_OK;
}

/* ===================================== the store ===================================== */

/* see kube/cache.h */
struct ma_kube_cache *ma_kube_cache_new(const struct ma_kube_cache_config *cfg)
{
    struct ma_kube_cache *c = ma_xcalloc(1, sizeof *c);

    c->cfg = *cfg;
    if (c->cfg.what == NULL)
        c->cfg.what = "objects";
    if (c->cfg.max_object == 0)
        c->cfg.max_object = MA_KUBE_CACHE_MAX_OBJECT_DEFAULT;
    return c;
}

/* see kube/cache.h */
void ma_kube_cache_free(struct ma_kube_cache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++)
        free(c->objs[i]);
    free(c->objs);
    free(c);
}

/* see kube/cache.h */
int ma_kube_cache_upsert(struct ma_kube_cache *c, const struct ma_json_doc *d, int obj,
                         struct ma_errmsg *em)
{
    struct obj *o, *was;
    size_t i;
    int rc, found;

    if ((rc = build(c, d, obj, &o, em)) < 0)
        return rc;
    i = search(c, o->pub.namespace, o->pub.name, &found);
    if (found) {
        was = c->objs[i];
        if (was->pub.json_len == o->pub.json_len &&
            memcmp(was->pub.json, o->pub.json, o->pub.json_len) == 0) {
            was->pub._marked = 0;
            free(o);
            return MA_OK;
        }
        c->objs[i] = o;
        notify(c, was, o);
        free(was);
        return MA_OK;
    }
    if (c->n == c->cap) {
        c->cap = c->cap < 16 ? 16 : c->cap * 2;
        c->objs = ma_xrealloc(c->objs, c->cap * sizeof *c->objs);
    }
    memmove(&c->objs[i + 1], &c->objs[i], (c->n - i) * sizeof *c->objs);
    c->objs[i] = o;
    c->n++;
    notify(c, NULL, o);
    return MA_OK;
}

/* see kube/cache.h */
int ma_kube_cache_delete(struct ma_kube_cache *c, const char *namespace, const char *name)
{
    struct obj *o;
    size_t i;
    int found;

    i = search(c, namespace, name, &found);
    if (!found)
        return MA_ERR_NOTFOUND;
    o = c->objs[i];
    memmove(&c->objs[i], &c->objs[i + 1], (c->n - i - 1) * sizeof *c->objs);
    c->n--;
    notify(c, o, NULL);
    free(o);
    return MA_OK;
}

/* see kube/cache.h */
void ma_kube_cache_mark_all(struct ma_kube_cache *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        c->objs[i]->pub._marked = 1;
}

/* see kube/cache.h */
size_t ma_kube_cache_sweep(struct ma_kube_cache *c)
{
    struct obj **gone;
    size_t i, kept = 0, ngone = 0;

    /* compact first, then notify: every callback sees a store without any swept object */
    gone = ma_xmalloc((c->n ? c->n : 1) * sizeof *gone);
    for (i = 0; i < c->n; i++) {
        if (c->objs[i]->pub._marked)
            gone[ngone++] = c->objs[i];
        else
            c->objs[kept++] = c->objs[i];
    }
    c->n = kept;
    for (i = 0; i < ngone; i++) {
        notify(c, gone[i], NULL);
        free(gone[i]);
    }
    free(gone);
    return ngone;
}

/* see kube/cache.h */
const struct ma_kube_cache_obj *ma_kube_cache_get(const struct ma_kube_cache *c,
                                                  const char *namespace, const char *name)
{
    int found;
    size_t i = search(c, namespace, name, &found);

    return found ? &c->objs[i]->pub : NULL;
}

/* see kube/cache.h */
int ma_kube_cache_each(const struct ma_kube_cache *c, const char *namespace,
                       int (*fn)(const struct ma_kube_cache_obj *o, void *arg), void *arg)
{
    size_t i = 0;
    int found, rc;

    if (namespace != NULL)
        i = search(c, namespace, "", &found); /* "" sorts before every name */
    for (; i < c->n; i++) {
        if (namespace != NULL && strcmp(c->objs[i]->pub.namespace, namespace) != 0)
            break;
        if ((rc = fn(&c->objs[i]->pub, arg)) != 0)
            return rc;
    }
    return 0;
}

/* see kube/cache.h */
size_t ma_kube_cache_count(const struct ma_kube_cache *c)
{
    return c->n;
}

/* see kube/cache.h */
int ma_kube_cache_obj_parse(const struct ma_kube_cache_obj *o, struct ma_json_doc *d,
                            jsmntok_t *toks, int max)
{
    if (max < o->ntok)
        return MA_ERR_LIMIT;
    return ma_json_parse(d, o->json, o->json_len, toks, max, NULL);
}

/* ---- informer handler -------------------------------------------------------------------- */

static void h_mark(void *arg)
{
    ma_kube_cache_mark_all(arg);
}

static int h_upsert(void *arg, const struct ma_json_doc *d, int obj, struct ma_errmsg *em)
{
    return ma_kube_cache_upsert(arg, d, obj, em);
}

static void h_remove(void *arg, const char *namespace, const char *name)
{
    (void)ma_kube_cache_delete(arg, namespace, name);
}

static void h_sweep(void *arg)
{
    (void)ma_kube_cache_sweep(arg);
}

/* see kube/cache.h */
void ma_kube_cache_informer_handler(struct ma_kube_cache *c, struct ma_kube_informer_handler *out)
{
    out->relist_begin = h_mark;
    out->upsert = h_upsert;
    out->remove = h_remove;
    out->relist_end = h_sweep;
    out->arg = c;
}
