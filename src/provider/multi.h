#ifndef MA_PROVIDER_MULTI_H
#define MA_PROVIDER_MULTI_H

#include <stddef.h>

#include "provider/provider.h"

/* Several backends behind one set of APIServices: a provider composed of member providers.
 *
 *   - Discovery lists what each member lists, in member order.
 *   - A custom query goes to the member listing its (group_resource, metric), an external query
 *     to the member listing its metric, a resource query to the member whose list_resource has
 *     the bit. A metric no member lists goes to members[0], which may serve metrics it does not
 *     list (Open-Falcon's seed metric names) or answers its own 404.
 *   - The same metric served by two members is a configuration error: it is left out of
 *     discovery, its queries answer 500 naming both backends, and an error is logged each time
 *     the set of conflicts changes.
 *   - ready: every member is ready. generation: present when every member has one (their sum),
 *     so reused answers keep working; the routing table is rebuilt only when it changes (without
 *     it, at every query).
 * Everything runs on the loop thread, as the members do. */

#define MA_PROV_MULTI_MAX 8

/* A provider over members[0..n) (1 <= n <= MA_PROV_MULTI_MAX; the array is copied, the members
 * are not owned and MUST outlive it). NULL when n is out of range. */
const struct ma_provider_class **ma_prov_multi_new(const struct ma_provider_class **const *members,
                                                   size_t n);
/* Free the composite (not the members). NULL is a no-op. */
void ma_prov_multi_free(const struct ma_provider_class **p);

#endif
