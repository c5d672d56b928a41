/* Fuzz the shared record classes (kube/records.c: namespace/name/labels of any object, and nodes)
 * in the watched store, with objects as kube-apiserver (or a hostile proxy in front of it) could
 * send them. Invariants: a stored record is found again under the namespace and name it was
 * decoded with, its strings stay within Kubernetes' limits, the node's addresses and port are
 * sane, it is visited once by ma_kube_store_each, and deleting it empties the store. */
#include "base/limits.h"
#include "base/log.h"
#include "json/read.h"
#include "kube/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static jsmntok_t toks[1 << 14];

static int count_fn(const struct ma_kube_meta *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

static void check_class(const struct ma_kube_record_class *cls, const struct ma_json_doc *d)
{
    struct ma_kube_store *s = ma_kube_store_new(cls);
    const struct ma_kube_meta *m;
    struct ma_errmsg em;
    char ns[MA_KUBE_MAX_DNS_LABEL + 1], name[MA_KUBE_MAX_NAME + 1];
    int seen = 0, t;
    size_t i;

    if (ma_kube_store_upsert(s, d, 0, &em) != MA_OK) {
        if (ma_kube_store_count(s) != 0)
            abort(); /* a rejected object leaves the store unchanged */
        ma_kube_store_free(s);
        return;
    }
    ns[0] = '\0';
    t = ma_json_path(d, 0, "metadata.namespace");
    if ((!ma_json_is_null(d, t) && ma_json_str(d, t, ns, sizeof ns) < 0) ||
        ma_json_str(d, ma_json_path(d, 0, "metadata.name"), name, sizeof name) <= 0)
        abort();
    m = ma_kube_store_get(s, ns, name);
    if (m == NULL || strcmp(m->namespace, ns) != 0 || strcmp(m->name, name) != 0 ||
        m->labels.n > MA_KUBE_MAX_LABELS)
        abort();
    for (i = 0; i < m->labels.n; i++)
        if (strlen(m->labels.items[i].key) > MA_KUBE_MAX_LABEL_KEY ||
            strlen(m->labels.items[i].value) > MA_KUBE_MAX_DNS_LABEL)
            abort();
    if (cls == &ma_kube_node_class) {
        const struct ma_kube_node *n = (const struct ma_kube_node *)(const void *)m;

        if (n->naddrs > MA_KUBE_MAX_NODE_ADDRS || n->kubelet_port < 0 ||
            n->kubelet_port > 65535 || (n->ready != 0 && n->ready != 1))
            abort();
        for (i = 0; i < n->naddrs; i++)
            if (ma_kube_node_address(n, n->addrs[i].type) == NULL)
                abort();
    }
    ma_kube_store_each(s, NULL, NULL, count_fn, &seen);
    if (seen != 1)
        abort();
    if (ma_kube_store_upsert(s, d, 0, &em) != MA_OK || ma_kube_store_count(s) != 1)
        abort(); /* the same object again replaces, never duplicates */
    if (ma_kube_store_delete(s, ns, name) != MA_OK || ma_kube_store_count(s) != 0)
        abort();
    ma_kube_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_json_doc d;
    struct ma_errmsg em;

    if (ma_json_parse(&d, (const char *)data, size, toks, sizeof toks / sizeof toks[0], &em) !=
        MA_OK)
        return 0;
    ma_log_set_verbosity(-1);
    check_class(&ma_kube_meta_class, &d);
    check_class(&ma_kube_node_class, &d);
    return 0;
}
