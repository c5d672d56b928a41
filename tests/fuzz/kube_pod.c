/* Fuzz the Pod decoding of the pods cache with objects as kube-apiserver (or a hostile proxy in
 * front of it) could send them. Invariants: a pod that was stored can be found again under the
 * namespace and name it was decoded with, its strings are NUL-terminated within their limits,
 * every stored pod is visited by ma_kube_pods_each, and deleting it empties the store. */
#include "base/limits.h"
#include "base/log.h"
#include "json/read.h"
#include "kube/pods.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static jsmntok_t toks[1 << 14];

static int count_fn(const struct ma_kube_pod *p, void *arg)
{
    (void)p;
    (*(int *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_kube_store *s;
    struct ma_json_doc d;
    struct ma_errmsg em;
    const struct ma_kube_pod *p;
    char ns[MA_KUBE_MAX_DNS_LABEL + 1], name[MA_KUBE_MAX_NAME + 1];
    int seen = 0;

    if (ma_json_parse(&d, (const char *)data, size, toks, sizeof toks / sizeof toks[0], &em) !=
        MA_OK)
        return 0;
    ma_log_set_verbosity(-1);
    s = ma_kube_store_new(&ma_kube_pod_class);
    if (ma_kube_store_upsert(s, &d, 0, &em) == MA_OK) {
        if (ma_kube_store_count(s) != 1)
            abort();
        /* the stored identity is the decoded one */
        if (ma_json_str(&d, ma_json_path(&d, 0, "metadata.namespace"), ns, sizeof ns) < 0 ||
            ma_json_str(&d, ma_json_path(&d, 0, "metadata.name"), name, sizeof name) < 0)
            abort();
        p = ma_kube_pods_get(s, ns, name);
        if (p == NULL || strcmp(p->meta.namespace, ns) != 0 || strcmp(p->meta.name, name) != 0 ||
            p->meta.labels.n > MA_KUBE_MAX_LABELS || strlen(p->node_name) > MA_KUBE_MAX_NAME ||
            strlen(p->pod_ip) > MA_KUBE_MAX_IP)
            abort();
        ma_kube_pods_each(s, ns, NULL, count_fn, &seen);
        if (seen != 1)
            abort();
        /* upserting the same object again replaces, never duplicates */
        if (ma_kube_store_upsert(s, &d, 0, &em) != MA_OK || ma_kube_store_count(s) != 1)
            abort();
        if (ma_kube_store_delete(s, ns, name) != MA_OK || ma_kube_store_count(s) != 0)
            abort();
    } else if (ma_kube_store_count(s) != 0) {
        abort(); /* a rejected object leaves the store unchanged */
    }
    ma_kube_store_free(s);
    return 0;
}
