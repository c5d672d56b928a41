#ifndef MA_API_EXTERNAL_H
#define MA_API_EXTERNAL_H

struct ma_api_req;

/* Answer an external.metrics.k8s.io request (r->route.kind MUST be MA_API_ROUTE_EXTERNAL):
 * labelSelector selects series by their metric labels; the answer is an ExternalMetricValueList,
 * possibly with no items. Items whose value has no Quantity form (NaN, Inf) are left out. */
void ma_api_external_answer(struct ma_api_req *r);

#endif
