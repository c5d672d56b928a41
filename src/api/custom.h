#ifndef MA_API_CUSTOM_H
#define MA_API_CUSTOM_H

struct ma_api_req;

/* Answer a custom.metrics.k8s.io object-metric request (r->route.kind MUST be
 * MA_API_ROUTE_CUSTOM): query parameters labelSelector (objects, "*" requests only),
 * metricLabelSelector (series) and fieldSelector (spec 1.3), then a MetricValueList of the route's
 * version. A request naming one object answers exactly one item or 404. Items whose value has no
 * Quantity form (NaN, Inf) are left out. */
void ma_api_custom_answer(struct ma_api_req *r);

#endif
