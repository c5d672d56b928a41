#ifndef MA_KUBE_DISCOVERY_H
#define MA_KUBE_DISCOVERY_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"
#include "json/read.h"

/* Readers of kube-apiserver's discovery documents (APIGroup, APIResourceList): pure functions
 * over a tokenized document, no I/O, no allocation. kube/resmap.h fetches and keeps them. */

/* A resource as learned. Strings are NUL-terminated. */
struct ma_kube_resource {
    char group[MA_KUBE_MAX_NAME + 1];          /* "" for core */
    char version[MA_KUBE_RESMAP_MAX_WORD + 1]; /* the group's preferred version: "v1" */
    char plural[MA_KUBE_RESMAP_MAX_WORD + 1];  /* "deployments": the URL path segment */
    char singular[MA_KUBE_RESMAP_MAX_WORD + 1];
    char kind[MA_KUBE_RESMAP_MAX_WORD + 1];
    int namespaced;
};

/* Read an APIGroup document (GET /apis/<group>) tokenized in d:
 *   {"kind":"APIGroup","apiVersion":"v1","name":"apps",
 *    "versions":[{"groupVersion":"apps/v1","version":"v1"}],
 *    "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}
 * Its name MUST equal group. Copies the preferred version into version[0..cap) (the first listed
 * version when preferredVersion is absent, as kube-apiserver always lists the preferred first).
 * Returns MA_OK, MA_ERR_SYNTAX (wrong shape, another group, no version, a version that is not a
 * DNS label) with em. */
int ma_kube_discovery_parse_group(const struct ma_json_doc *d, const char *group, char *version,
                                  size_t cap, struct ma_errmsg *em);

/* Read an APIResourceList document (GET /api/v1, /apis/<group>/<version>) tokenized in d:
 *   {"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
 *     {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment",
 *      "verbs":["get","list"],"shortNames":["deploy"]},
 *     {"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling",...}]}
 * Its groupVersion MUST be "<version>" for group "" and "<group>/<version>" otherwise. Fills
 * out[0..max) with the top-level resources (group and version from the arguments; entries whose
 * name has a '/' are subresources and skipped) and returns how many. Every resource MUST have a
 * non-empty name and kind of at most MA_KUBE_RESMAP_MAX_WORD bytes (lowercase letters, digits,
 * '-' and '.' for names, as kube-apiserver validates them) and a boolean namespaced; singularName
 * MAY be empty or absent (then the lowercase kind). A repeated plural is refused. Returns
 * MA_ERR_SYNTAX on any violation, MA_ERR_LIMIT when more than max top-level resources, with em. */
int ma_kube_discovery_parse_resources(const struct ma_json_doc *d, const char *group,
                                      const char *version, struct ma_kube_resource *out,
                                      size_t max, struct ma_errmsg *em);

/* 1 when g is "" (core) or a lowercase DNS subdomain of at most MA_KUBE_MAX_NAME bytes, else 0. */
int ma_kube_discovery_valid_group(const char *g);

#endif
