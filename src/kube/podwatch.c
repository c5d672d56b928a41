#include "kube/podwatch.h"

#include "base/limits.h"
#include "json/read.h"
#include "kube/pods.h"

static void relist_begin(void *arg)
{
    ma_kube_pods_mark_all(arg);
}

static void relist_end(void *arg)
{
    ma_kube_pods_sweep(arg);
}

static int apply(void *arg, enum ma_kube_event_type type, const struct ma_json_doc *d, int obj,
                 struct ma_errmsg *em)
{
    char ns[MA_KUBE_MAX_DNS_LABEL + 1], name[MA_KUBE_MAX_NAME + 1];
    int tn, tm;

    if (type != MA_KUBE_DELETED)
        return ma_kube_pods_upsert(arg, d, obj, em);
    tn = ma_json_path(d, obj, "metadata.namespace");
    tm = ma_json_path(d, obj, "metadata.name");
    if (tn < 0 || tm < 0 || ma_json_str(d, tn, ns, sizeof ns) < 0 ||
        ma_json_str(d, tm, name, sizeof name) < 0) {
        ma_errmsg_set(em, "DELETED event without a usable metadata.namespace and name");
        return MA_ERR_SYNTAX;
    }
    /* a delete for a pod we never saw (filtered, or already swept) is not an error */
    (void)ma_kube_pods_delete(arg, ns, name);
    return MA_OK;
}

/* see kube/podwatch.h */
void ma_kube_podwatch_handler(struct ma_kube_pods *s, struct ma_kube_informer_handler *out)
{
    out->relist_begin = relist_begin;
    out->apply = apply;
    out->relist_end = relist_end;
    out->arg = s;
}
