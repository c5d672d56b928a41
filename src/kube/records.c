/* The record classes the backends share (kube/store.h): any object as namespace/name/labels,
 * and nodes. Each decodes in two passes: plan (find, check and measure every string), then one
 * allocation sized exactly, strings copied in. */

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/mem.h"
#include "json/read.h"
#include "kube/store.h"

struct plan {
    const char *what;
    int ns, name, nslen, namelen;
    int ktok[MA_KUBE_MAX_LABELS], vtok[MA_KUBE_MAX_LABELS];
    int klen[MA_KUBE_MAX_LABELS], vlen[MA_KUBE_MAX_LABELS];
    size_t nlabels;
    int ttok[MA_KUBE_MAX_NODE_ADDRS], atok[MA_KUBE_MAX_NODE_ADDRS];
    int tlen[MA_KUBE_MAX_NODE_ADDRS], alen[MA_KUBE_MAX_NODE_ADDRS];
    size_t naddrs;
    int port, ready;
    size_t strings; /* bytes of every string with its NUL */
};

/* One string field: sets *tok (-1 when absent or null) and *len, adds its bytes to the plan.
 * MA_OK; MA_ERR_SYNTAX when not a string (or holding \u0000); MA_ERR_LIMIT beyond max bytes. */
static int plan_str(struct plan *pl, const struct ma_json_doc *d, int t, size_t max,
                    const char *field, int *tok, int *len, struct ma_errmsg *em)
{
    int n;

    *tok = -1;
    *len = 0;
    if (ma_json_is_null(d, t)) {
        pl->strings += 1;
        return MA_OK;
    }
    if (d->tok[t].type != JSMN_STRING || (n = ma_json_str_len(d, t)) < 0) {
        ma_errmsg_set(em, "%s: %s is not a string", pl->what, field);
        return MA_ERR_SYNTAX;
    }
    if ((size_t)n > max) {
        ma_errmsg_set(em, "%s: %s is too long (%d bytes, at most %zu)", pl->what, field, n, max);
        return MA_ERR_LIMIT;
    }
    /* an escaped NUL would cut the C string short: a different name than the object's (no
     * Kubernetes name or label holds a backslash, so the plain search refuses nothing valid) */
    if (memmem(d->js + d->tok[t].start, (size_t)(d->tok[t].end - d->tok[t].start), "\\u0000",
               6) != NULL) {
        ma_errmsg_set(em, "%s: %s holds a NUL character", pl->what, field);
        return MA_ERR_SYNTAX;
    }
    *tok = t;
    *len = n;
    pl->strings += (size_t)n + 1;
    return MA_OK;
}

static int plan_meta(struct plan *pl, const struct ma_json_doc *d, int obj, struct ma_errmsg *em)
{
    int meta, labels, it = 0, k, v, rc;

    if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "%s: not a JSON object", pl->what);
        return MA_ERR_SYNTAX;
    }
    meta = ma_json_get(d, obj, "metadata");
    if (meta < 0 || d->tok[meta].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "%s: metadata is %s", pl->what, meta < 0 ? "missing" : "not an object");
        return MA_ERR_SYNTAX;
    }
    if ((rc = plan_str(pl, d, ma_json_get(d, meta, "namespace"), MA_KUBE_MAX_DNS_LABEL,
                       "metadata.namespace", &pl->ns, &pl->nslen, em)) < 0 ||
        (rc = plan_str(pl, d, ma_json_get(d, meta, "name"), MA_KUBE_MAX_NAME, "metadata.name",
                       &pl->name, &pl->namelen, em)) < 0)
        return rc;
    if (pl->namelen == 0) {
        ma_errmsg_set(em, "%s: metadata.name is missing", pl->what);
        return MA_ERR_SYNTAX;
    }
    labels = ma_json_get(d, meta, "labels");
    if (ma_json_is_null(d, labels))
        return MA_OK;
    if (d->tok[labels].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "%s %.*s: metadata.labels is not an object", pl->what, pl->namelen,
                      d->js + d->tok[pl->name].start);
        return MA_ERR_SYNTAX;
    }
    while ((v = ma_json_next(d, labels, &it, &k)) >= 0) {
        size_t i = pl->nlabels;

        if (i == MA_KUBE_MAX_LABELS) {
            ma_errmsg_set(em, "%s: more than %d labels", pl->what, MA_KUBE_MAX_LABELS);
            return MA_ERR_LIMIT;
        }
        if ((rc = plan_str(pl, d, k, MA_KUBE_MAX_LABEL_KEY, "a label key", &pl->ktok[i],
                           &pl->klen[i], em)) < 0 ||
            (rc = plan_str(pl, d, v, MA_KUBE_MAX_DNS_LABEL, "a label value", &pl->vtok[i],
                           &pl->vlen[i], em)) < 0)
            return rc;
        if (pl->vtok[i] < 0) {
            ma_errmsg_set(em, "%s: a label value is not a string", pl->what);
            return MA_ERR_SYNTAX;
        }
        pl->nlabels++;
    }
    return MA_OK;
}

/* Copy string tok (length len, checked) to *at and advance; absent (-1) becomes "". */
static const char *place(const struct ma_json_doc *d, int tok, int len, char **at)
{
    char *s = *at;

    if (tok < 0)
        *s = '\0';
    else
        ma_json_str(d, tok, s, (size_t)len + 1);
    *at += len + 1;
    return s;
}

/* Fill m's key and labels from the plan: items is room for pl->nlabels labels. */
static void build_meta(const struct plan *pl, const struct ma_json_doc *d, struct ma_kube_meta *m,
                       struct ma_kube_label *items, char **at)
{
    size_t i;

    memset(m, 0, sizeof *m);
    m->namespace = place(d, pl->ns, pl->nslen, at);
    m->name = place(d, pl->name, pl->namelen, at);
    for (i = 0; i < pl->nlabels; i++) {
        items[i].key = place(d, pl->ktok[i], pl->klen[i], at);
        items[i].value = place(d, pl->vtok[i], pl->vlen[i], at);
    }
    m->labels.items = items;
    m->labels.n = pl->nlabels;
}

/* ---- namespace/name/labels -------------------------------------------------------------------- */

static int meta_decode(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                       struct ma_errmsg *em)
{
    struct plan *pl = ma_xcalloc(1, sizeof *pl);
    struct ma_kube_meta *m;
    char *at;
    int rc;

    *out = NULL;
    pl->what = "object";
    if ((rc = plan_meta(pl, d, obj, em)) < 0) {
        free(pl);
        return rc;
    }
    /* the struct holds pointers, so its size keeps the label array aligned */
    m = ma_xmalloc(sizeof *m + pl->nlabels * sizeof(struct ma_kube_label) + pl->strings);
    at = (char *)((struct ma_kube_label *)(m + 1) + pl->nlabels);
    build_meta(pl, d, m, (struct ma_kube_label *)(m + 1), &at);
    free(pl);
    *out = m;
    return MA_OK;
}

static void rec_free(struct ma_kube_meta *rec)
{
    free(rec);
}

/* see kube/store.h */
const struct ma_kube_record_class ma_kube_meta_class = {"objects", meta_decode, rec_free};

/* ---- nodes ------------------------------------------------------------------------------------ */

/* status.addresses, the kubelet port and the Ready condition. */
static int plan_status(struct plan *pl, const struct ma_json_doc *d, int obj,
                       struct ma_errmsg *em)
{
    int status = ma_json_get(d, obj, "status"), addrs, conds, port, el, it = 0, rc;
    int64_t p;

    if (ma_json_is_null(d, status))
        return MA_OK;
    if (d->tok[status].type != JSMN_OBJECT) {
        ma_errmsg_set(em, "node: status is not an object");
        return MA_ERR_SYNTAX;
    }
    addrs = ma_json_get(d, status, "addresses");
    while ((el = ma_json_next(d, addrs, &it, NULL)) >= 0) {
        size_t i = pl->naddrs;

        if (d->tok[el].type != JSMN_OBJECT)
            continue;
        if (i == MA_KUBE_MAX_NODE_ADDRS) {
            ma_errmsg_set(em, "node: more than %d status.addresses", MA_KUBE_MAX_NODE_ADDRS);
            return MA_ERR_LIMIT;
        }
        if ((rc = plan_str(pl, d, ma_json_get(d, el, "type"), MA_KUBE_MAX_NAME,
                           "status.addresses[].type", &pl->ttok[i], &pl->tlen[i], em)) < 0 ||
            (rc = plan_str(pl, d, ma_json_get(d, el, "address"), MA_KUBE_MAX_NAME,
                           "status.addresses[].address", &pl->atok[i], &pl->alen[i], em)) < 0)
            return rc;
        pl->naddrs++;
    }
    port = ma_json_path(d, status, "daemonEndpoints.kubeletEndpoint.Port");
    if (!ma_json_is_null(d, port)) {
        if (ma_json_i64(d, port, &p) != MA_OK || p < 0 || p > 65535) {
            ma_errmsg_set(em, "node: status.daemonEndpoints.kubeletEndpoint.Port is not a port");
            return MA_ERR_SYNTAX;
        }
        pl->port = (int)p;
    }
    conds = ma_json_get(d, status, "conditions");
    it = 0;
    while ((el = ma_json_next(d, conds, &it, NULL)) >= 0)
        if (ma_json_str_eq(d, ma_json_get(d, el, "type"), "Ready"))
            pl->ready = ma_json_str_eq(d, ma_json_get(d, el, "status"), "True");
    return MA_OK;
}

static int node_decode(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                       struct ma_errmsg *em)
{
    struct plan *pl = ma_xcalloc(1, sizeof *pl);
    struct ma_kube_node *n;
    struct ma_kube_node_addr *addrs;
    struct ma_kube_label *labels;
    char *at;
    size_t i;
    int rc;

    *out = NULL;
    pl->what = "node";
    if ((rc = plan_meta(pl, d, obj, em)) < 0 || (rc = plan_status(pl, d, obj, em)) < 0) {
        free(pl);
        return rc;
    }
    n = ma_xmalloc(sizeof *n + pl->naddrs * sizeof *addrs + pl->nlabels * sizeof *labels +
                   pl->strings);
    addrs = (struct ma_kube_node_addr *)(n + 1);
    labels = (struct ma_kube_label *)(addrs + pl->naddrs);
    at = (char *)(labels + pl->nlabels);
    build_meta(pl, d, &n->meta, labels, &at);
    for (i = 0; i < pl->naddrs; i++) {
        addrs[i].type = place(d, pl->ttok[i], pl->tlen[i], &at);
        addrs[i].address = place(d, pl->atok[i], pl->alen[i], &at);
    }
    n->addrs = addrs;
    n->naddrs = pl->naddrs;
    n->kubelet_port = pl->port;
    n->ready = pl->ready;
    free(pl);
    *out = &n->meta;
    return MA_OK;
}

/* see kube/store.h */
const struct ma_kube_record_class ma_kube_node_class = {"nodes", node_decode, rec_free};

/* see kube/store.h */
const char *ma_kube_node_address(const struct ma_kube_node *n, const char *type)
{
    size_t i;

    for (i = 0; i < n->naddrs; i++)
        if (strcmp(n->addrs[i].type, type) == 0)
            return n->addrs[i].address;
    return NULL;
}
