#include "api/discovery.h"

#include "api/api.h"
#include "api/req.h"
#include "base/log.h"
#include "json/write.h"

#include <string.h>

/* Only v1beta1 is listed for custom.metrics.k8s.io, as custom-metrics-apiserver does (its group
 * handler adds the group for version index 0 only, and v1beta1 has the top priority); v1beta2 is
 * still served at its own path, and kube-apiserver builds the group it shows from the APIService
 * objects anyway (spec 1.2, 4.2). */
static const char *group_version(enum ma_api_group g)
{
    return ma_api_gv_string(g == MA_API_GROUP_CUSTOM ? MA_API_GV_CUSTOM_V1BETA1
                                                     : MA_API_GV_EXTERNAL_V1BETA1);
}

static void write_gv(struct ma_json_w *w, enum ma_api_group g)
{
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "groupVersion");
    ma_json_w_str(w, group_version(g));
    ma_json_w_key(w, "version");
    ma_json_w_str(w, "v1beta1");
    ma_json_w_obj_end(w);
}

/* {"kind":"APIGroup","apiVersion":"v1","name":"custom.metrics.k8s.io",
 *  "versions":[{"groupVersion":"custom.metrics.k8s.io/v1beta1","version":"v1beta1"}],
 *  "preferredVersion":{"groupVersion":"custom.metrics.k8s.io/v1beta1","version":"v1beta1"}}
 * Inside an APIGroupList the TypeMeta fields are empty and omitted. */
static void write_group(struct ma_json_w *w, enum ma_api_group g, int with_type)
{
    ma_json_w_obj_begin(w);
    if (with_type) {
        ma_json_w_key(w, "kind");
        ma_json_w_str(w, "APIGroup");
        ma_json_w_key(w, "apiVersion");
        ma_json_w_str(w, "v1");
    }
    ma_json_w_key(w, "name");
    ma_json_w_str(w, ma_api_group_string(g));
    ma_json_w_key(w, "versions");
    ma_json_w_arr_begin(w);
    write_gv(w, g);
    ma_json_w_arr_end(w);
    ma_json_w_key(w, "preferredVersion");
    write_gv(w, g);
    ma_json_w_obj_end(w);
}

/* {"kind":"APIGroupList","apiVersion":"v1","groups":[<cm group>,<em group>]}: the legacy form,
 * whatever the Accept header asks for, so the aggregator falls back to per-version discovery
 * (spec 5.6). */
static void answer_apis(struct ma_api_req *r)
{
    struct ma_json_w w;

    if (!ma_api_req_begin(r, &w))
        return;
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "APIGroupList");
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, "v1");
    ma_json_w_key(&w, "groups");
    ma_json_w_arr_begin(&w);
    write_group(&w, MA_API_GROUP_CUSTOM, 0);
    write_group(&w, MA_API_GROUP_EXTERNAL, 0);
    ma_json_w_arr_end(&w);
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}

static void answer_group(struct ma_api_req *r)
{
    struct ma_json_w w;

    if (!ma_api_req_begin(r, &w))
        return;
    write_group(&w, r->route.group, 1);
    ma_api_req_end(r, &w, 200);
}

/* {"name":"pods/http_requests","singularName":"","namespaced":true,"kind":"MetricValueList",
 *  "verbs":["get"]}; external entries are named by the bare metric and always namespaced (the
 *  metric is served in every namespace). name is the entry's name, already built. */
static void write_resource(struct ma_json_w *w, const char *name, int namespaced, const char *kind)
{
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "name");
    ma_json_w_str(w, name);
    ma_json_w_key(w, "singularName");
    ma_json_w_str(w, "");
    ma_json_w_key(w, "namespaced");
    ma_json_w_bool(w, namespaced);
    ma_json_w_key(w, "kind");
    ma_json_w_str(w, kind);
    ma_json_w_key(w, "verbs");
    ma_json_w_arr_begin(w);
    ma_json_w_str(w, "get");
    ma_json_w_arr_end(w);
    ma_json_w_obj_end(w);
}

/* "<group_resource>/<metric>" in the arena, NULL when full */
static const char *custom_name(struct ma_api_req *r, const struct ma_prov_metric_info *m)
{
    size_t a = strlen(m->group_resource), b = strlen(m->metric);
    char *p = ma_arena_alloc(r->ex->arena, a + b + 2);

    if (p != NULL) {
        memcpy(p, m->group_resource, a);
        p[a] = '/';
        memcpy(p + a + 1, m->metric, b + 1);
    }
    return p;
}

/* Write l's entries; 0 if the arena filled up. */
static int write_resources(struct ma_api_req *r, struct ma_json_w *w, const struct ma_prov_list *l,
                           int external)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        const struct ma_prov_metric_info *m = &l->items[i];
        const char *name;

        if (external) {
            write_resource(w, m->metric, 1, "ExternalMetricValueList");
            continue;
        }
        if (m->group_resource == NULL) /* a provider bug; the entry would be unusable */
            continue;
        name = custom_name(r, m);
        if (name == NULL)
            return 0;
        write_resource(w, name, m->namespaced, "MetricValueList");
    }
    return 1;
}

/* {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"custom.metrics.k8s.io/v1beta1",
 *  "resources":[...]}
 * When the provider lists nothing the answer is "resources":[]: still 200, which passes the
 * aggregator's availability probe. KEDA lists a dummy metric instead to quiet old client-go
 * warnings (spec 2.1); we never invent entries that would then answer 404. */
static void answer_resources(struct ma_api_req *r)
{
    const struct ma_provider_class **p = r->api->provider;
    int external = r->route.group == MA_API_GROUP_EXTERNAL;
    struct ma_prov_list l;
    struct ma_json_w w;
    int rc;

    ma_prov_list_init(&l, r->ex->arena);
    rc = external ? (*p)->list_external(p, &l) : (*p)->list_custom(p, &l);
    if (rc != MA_OK) {
        MA_LOG_W("%s: backend %s cannot list metrics: %s", r->path, (*p)->name, ma_err_name(rc));
        ma_api_req_fail(r, 500, "unable to list metrics: %s", ma_err_name(rc));
        return;
    }
    if (!ma_api_req_begin(r, &w))
        return;
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "APIResourceList");
    ma_json_w_key(&w, "apiVersion");
    ma_json_w_str(&w, "v1");
    ma_json_w_key(&w, "groupVersion");
    ma_json_w_str(&w, ma_api_gv_string(r->route.gv));
    ma_json_w_key(&w, "resources");
    ma_json_w_arr_begin(&w);
    if (!write_resources(r, &w, &l, external)) {
        ma_api_req_fail(r, 500, "request arena exhausted");
        return;
    }
    ma_json_w_arr_end(&w);
    ma_json_w_obj_end(&w);
    ma_api_req_end(r, &w, 200);
}

/* see api/discovery.h */
void ma_api_discovery_answer(struct ma_api_req *r)
{
    switch (r->route.kind) {
    case MA_API_ROUTE_APIS:
        answer_apis(r);
        break;
    case MA_API_ROUTE_GROUP:
        answer_group(r);
        break;
    default:
        answer_resources(r);
        break;
    }
}
