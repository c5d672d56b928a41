#ifndef MA_API_FIELDSEL_H
#define MA_API_FIELDSEL_H

#include <stddef.h>

struct ma_errmsg;

/* The fieldSelector rules of a custom-metrics-apiserver list handler (spec 1.3): the selector is
 * parsed as fields.ParseSelector does (terms split on unescaped ',', operators != == =, values
 * unescaped: \\ \, \=), every field MUST be metadata.name or metadata.namespace (the default
 * field-label conversion), and when the request names an object (name != NULL) a non-empty
 * selector MUST require metadata.name == name. sel is NUL-terminated; scratch holds at least
 * strlen(sel) + 1 bytes. Returns 0, or -1 with the 400 message in em. */
int ma_api_fieldsel_check(const char *sel, const char *name, char *scratch, struct ma_errmsg *em);

#endif
