/* The one jsmn compilation unit (jsmn README: JSMN_HEADER elsewhere). */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include "jsmn.h"
