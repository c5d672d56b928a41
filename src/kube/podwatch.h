#ifndef MA_KUBE_PODWATCH_H
#define MA_KUBE_PODWATCH_H

#include "kube/watch.h"

struct ma_kube_pods;

/* The informer handler that keeps a pods store (kube/pods.h) in step with watch events: ADDED and
 * MODIFIED upsert, DELETED removes, a relist marks everything and sweeps what was not seen again.
 * s is not owned and MUST outlive the informers using the handler. */
void ma_kube_podwatch_handler(struct ma_kube_pods *s, struct ma_kube_informer_handler *out);

#endif
