#ifndef MA_API_DISCOVERY_H
#define MA_API_DISCOVERY_H

struct ma_api_req;

/* Answer the discovery routes: /apis (APIGroupList), /apis/<group> (APIGroup) and
 * /apis/<group>/<version> (APIResourceList from the provider's list_custom / list_external).
 * r->route.kind MUST be MA_API_ROUTE_APIS, _GROUP or _RESOURCES. */
void ma_api_discovery_answer(struct ma_api_req *r);

#endif
