#ifndef MA_KUBE_RESMAP_H
#define MA_KUBE_RESMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "kube/discovery.h"

/* A small RESTMapper: the kind, version, plural, singular and scope of the resources of the API
 * groups a caller names, learned from kube-apiserver discovery on the event loop.
 *
 * prometheus-adapter builds its RESTMapper once, at start, from a discovery of every group version
 * of the cluster (one request each: ~100 on a big cluster, throttled at 5 QPS client-side), and
 * never refreshes it. Here only the wanted groups are fetched: "" (core) is GET /api/v1; a named
 * group is GET /apis/<group> (APIGroup: its preferredVersion) then /apis/<group>/<version>
 * (APIResourceList). Only the preferred version is learned, which is the one prometheus-adapter's
 * mapper resolves a versionless name to (a resource served only by a non-preferred version of its
 * group is found there and not here). Everything learned is refreshed every refresh period and
 * on demand; lookups are synchronous reads of the learned table and never send a request.
 *
 * Name resolution mirrors client-go's discovery RESTMapper (restmapper.NewDiscoveryRESTMapper
 * under meta.PriorityRESTMapper), which is what prometheus-adapter's CustomMetricInfo.Normalized
 * calls (mapper.ResourceFor(group/resource with no version)):
 * - the name is lowercased and compared with each resource's plural and singular name (a Kind
 *   matches because the singular is the lowercase Kind unless a CRD chose otherwise; shortNames
 *   are a kubectl feature the RESTMapper ignores, so "po" or "deploy" resolve to nothing here);
 * - an empty singularName in discovery (core resources report "") becomes the lowercase Kind, as
 *   the RESTMapper guesses it; subresources ("pods/log") are skipped;
 * - group "" means ANY group, not only core: core v1 wins, then the first learned group in the
 *   order groups were wanted (prometheus-adapter: server discovery order);
 * - a non-empty group matches exactly; when no resource of that exact group matches, every group
 *   the text is a byte prefix of is tried ("storage" finds storage.k8s.io's storageclasses);
 * - several matches that this priority cannot separate are ambiguous: an error, as ResourceFor. */

/* ---- the learned table ---------------------------------------------------------------------- */

struct ma_net_loop;
struct ma_kube_client;
struct ma_kube_resmap;

struct ma_kube_resmap_config {
    int64_t refresh_ms; /* full refresh period; 0: MA_KUBE_RESMAP_REFRESH_DEFAULT_MS */
    int64_t retry_ms;   /* after a failed (non-404) round; 0: MA_KUBE_RESMAP_RETRY_MS */
    /* Called on the loop after each learning round that changed the generation or the
     * readiness (so a backend re-resolves its rules). MAY be NULL. MUST NOT free the map. */
    void (*on_update)(void *arg, uint64_t generation, int ready);
    void *arg;
};

/* A map learning through kc on loop (neither owned; both MUST outlive it). cfg is copied and MAY
 * be NULL (defaults). Nothing is sent until a group is wanted. Never NULL. */
struct ma_kube_resmap *ma_kube_resmap_new(struct ma_net_loop *loop, struct ma_kube_client *kc,
                                          const struct ma_kube_resmap_config *cfg);
/* Cancel requests and timers, free everything. NULL is a no-op. */
void ma_kube_resmap_free(struct ma_kube_resmap *m);

/* Declare that group ("" for core; copied) is needed, and optionally that resource (plural,
 * singular or Kind; MAY be NULL) must exist in it for readiness. A new group is fetched on a
 * later loop turn (never inside this call, so a caller may want several groups and they are
 * fetched together). Wanting again what is wanted is a no-op. Returns MA_OK, MA_ERR_SYNTAX (a
 * group that is not a DNS subdomain, a resource name longer than MA_KUBE_RESMAP_MAX_WORD),
 * MA_ERR_LIMIT (more than MA_KUBE_RESMAP_MAX_GROUPS groups or MA_KUBE_RESMAP_MAX_WANTED names),
 * with em. Groups are never un-wanted: a reload that drops a rule leaves a few KiB learned. */
int ma_kube_resmap_want(struct ma_kube_resmap *m, const char *group, const char *resource,
                        struct ma_errmsg *em);
static inline int ma_kube_resmap_want_group(struct ma_kube_resmap *m, const char *group,
                                            struct ma_errmsg *em)
{
    return ma_kube_resmap_want(m, group, NULL, em);
}

/* Re-learn every wanted group on a later loop turn (a config reload, an operator's request); a
 * round already running is followed by one more. The periodic timer restarts after it. */
void ma_kube_resmap_refresh(struct ma_kube_resmap *m);

/* 1 when every wanted group has been learned at least once and every wanted resource exists in
 * it; else 0 with why (MAY be NULL) naming the first group that is not ("discovery of group
 * apps: HTTP 503", "no API group 'foo.example'", "no resource 'widget' in API group 'apps'",
 * "discovery of group apps: not yet learned"). A group learned once stays usable through later
 * failed refreshes (they are logged and retried) and still counts as learned. Signature of a
 * readiness check: arg is the map. No wanted group: ready. */
int ma_kube_resmap_ready(void *arg, struct ma_errmsg *why);

/* State of one group: MA_OK learned (maybe stale: a later refresh failed), MA_ERR_PARTIAL not
 * learned yet (first fetch pending), MA_ERR_NOTFOUND the server has no such group (remembered;
 * re-checked at each refresh) or it is not wanted, MA_ERR_UPSTREAM the last fetch failed before
 * anything was learned. em gets the reason of anything but MA_OK. */
int ma_kube_resmap_group_state(const struct ma_kube_resmap *m, const char *group,
                               struct ma_errmsg *em);

/* Changes (increments) whenever anything learned changes: a resource appears, disappears or
 * changes kind, version, singular or scope. Starts at 0 (nothing learned). */
uint64_t ma_kube_resmap_generation(const struct ma_kube_resmap *m);

/* Resolve (group, name) over the learned table as the RESTMapper does (see the top of this file):
 * group "" searches every learned group, core first. name is case-insensitive plural or
 * singular. On MA_OK copies the resource into *out (MAY be NULL). MA_ERR_NOTFOUND: nothing
 * matches (also: the group is not learned) or several match (ambiguous), with em. */
int ma_kube_resmap_find(const struct ma_kube_resmap *m, const char *group, const char *name,
                        struct ma_kube_resource *out, struct ma_errmsg *em);

/* Copy group into out[0..cap) with '.' and '-' replaced by '_', as prometheus-adapter fills
 * .Group of a resource template ("metrics.k8s.io" -> "metrics_k8s_io"). Returns the length or
 * MA_ERR_NOSPACE (out then holds a truncated, NUL-terminated prefix when cap > 0). */
int ma_kube_resmap_sanitize_group(const char *group, char *out, size_t cap);

/* ---- labels named by a resource template ---------------------------------------------------- */

/* A resource template (resources.template) compiled by the caller into its literal pieces:
 *   "<<.Resource>>"               -> {prefix "", suffix "", has_group 0}
 *   "kube_<<.Group>>_<<.Resource>>" -> {prefix "kube_", middle "_", suffix "", has_group 1,
 *                                      group_first 1}
 * A template without .Resource cannot name a resource (prometheus-adapter refuses it at load). */
struct ma_kube_resmap_template {
    const char *prefix; /* literal text before the first placeholder; NULL means "" */
    const char *middle; /* literal text between .Group and .Resource (has_group only) */
    const char *suffix; /* literal text after the last placeholder */
    int has_group;      /* the template has .Group as well as .Resource */
    int group_first;    /* .Group comes before .Resource */
};

/* Extension beyond prometheus-adapter, off unless asked: also try every split of the label and
 * compare the group part with each learned group's sanitized name, so "kube_metrics_k8s_io_pod"
 * finds metrics.k8s.io's pods (prometheus-adapter cuts the label's group at the first '_', so a
 * group with '.' or '-' is found only when its first segment prefixes it, see below). */
#define MA_KUBE_RESMAP_MATCH_SANITIZED 1

/* Does label denote a learned resource under template t, and which (copied into *out, MAY be
 * NULL)? Mirrors prometheus-adapter's label inversion (pkg/naming/lbl_res.go
 * newLabelGroupResExtractor + resource_converter.go ResourcesForSeries):
 * - it renders the template with .Group = "(?P<group>.+?)" and .Resource = "(?P<resource>.+?)",
 *   anchors it "^...$" and matches the label with Go's regexp (leftmost-first, lazy). So each
 *   placeholder takes at least one byte, and the FIRST placeholder takes the SHORTEST text after
 *   which the rest of the template still fits; the second takes what remains. "kube_apps_
 *   deployment" -> group "apps", resource "deployment"; "kube_metrics_k8s_io_pod" -> group
 *   "metrics", resource "k8s_io_pod". (Its literal text is not regexp-escaped there; here it is
 *   literal, which differs only for templates whose literal text holds regexp metacharacters.)
 * - the extracted (group, resource) is normalised by mapper.ResourceFor exactly as
 *   ma_kube_resmap_find does: no group in the template means any group, core first ("pod" ->
 *   core pods, "deployment" -> apps deployments when apps is learned); the label's group text is
 *   NOT unsanitized: it must equal a group or be a prefix of one ("kube_storage_storageclass" ->
 *   storage.k8s.io storageclasses; "kube_metrics_k8s_io_pod" -> nothing).
 * - core resources never match a template with .Group: it renders "" for core ("kube__pod") and
 *   the inversion needs at least one byte of group.
 * - a label that does not fit, an unknown resource or an ambiguous one is skipped (logged at
 *   V(9) there): here MA_ERR_NOTFOUND with em.
 * Only learned groups are searched: a template with no .Group recognises resources of the groups
 * the caller wanted, not of every group of the cluster as prometheus-adapter's full mapper does.
 * Each call scans the learned table: a caller MAY keep answers per label name until the
 * generation changes (prometheus-adapter caches them per label for the life of the process).
 * flags: 0 or MA_KUBE_RESMAP_MATCH_SANITIZED (tried only when the mirror finds nothing).
 * Returns MA_OK or MA_ERR_NOTFOUND. */
int ma_kube_resmap_match_label(const struct ma_kube_resmap *m,
                               const struct ma_kube_resmap_template *t, const char *label,
                               unsigned flags, struct ma_kube_resource *out,
                               struct ma_errmsg *em);

#endif
