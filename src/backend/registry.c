#include "backend/module.h"

#include <stdio.h>
#include <string.h>

extern const struct ma_backend_module ma_backend_falcon_module; /* backend/falcon_module.c */
extern const struct ma_backend_module ma_backend_demo_module;   /* backend/demo_module.c */

/* see backend/module.h. The first line is the default --backend. */
const struct ma_backend_module *const ma_backend_registry[] = {
    &ma_backend_falcon_module,
    &ma_backend_demo_module,
    NULL,
};

/* see backend/module.h */
const struct ma_backend_module *ma_backend_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; ma_backend_registry[i] != NULL; i++)
        if (strlen(ma_backend_registry[i]->name) == len &&
            memcmp(ma_backend_registry[i]->name, name, len) == 0)
            return ma_backend_registry[i];
    return NULL;
}

/* see backend/module.h */
const char *ma_backend_names(char *buf, size_t cap)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; ma_backend_registry[i] != NULL && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
                                ma_backend_registry[i]->name);
    return buf;
}

static void add_run(size_t *run, size_t *n, size_t i)
{
    size_t k;

    for (k = 0; k < *n; k++)
        if (run[k] == i)
            return;
    run[(*n)++] = i;
}

static enum ma_backend_select selection(size_t i, const void *const *selves)
{
    const struct ma_backend_module *m = ma_backend_registry[i];

    return m->selects != NULL ? m->selects(selves[i]) : MA_BACKEND_SELECT_NONE;
}

/* see backend/module.h */
int ma_backend_pick(const char *list, int given, const void *const *selves, size_t *run,
                    size_t *n, struct ma_errmsg *em)
{
    const char *p = list, *e;
    int added = 0;
    size_t i;

    *n = 0;
    for (i = 0; ma_backend_registry[i] != NULL; i++) {
        if (selection(i, selves) == MA_BACKEND_SELECT_ONLY) {
            add_run(run, n, i);
            return MA_OK;
        }
        added |= selection(i, selves) == MA_BACKEND_SELECT_ADD;
    }
    while (given || !added) {
        const struct ma_backend_module *m;
        char names[120];

        e = strchr(p, ',');
        e = e != NULL ? e : p + strlen(p);
        if ((m = ma_backend_find(p, (size_t)(e - p))) == NULL) {
            ma_errmsg_set(em, "invalid value for --backend: \"%.*s\" (use %s)",
                          (int)(e - p) > 40 ? 40 : (int)(e - p), p,
                          ma_backend_names(names, sizeof names));
            return MA_ERR_SYNTAX;
        }
        for (i = 0; ma_backend_registry[i] != m; i++)
            ;
        add_run(run, n, i);
        if (*e == '\0')
            break;
        p = e + 1;
    }
    for (i = 0; ma_backend_registry[i] != NULL; i++)
        if (selection(i, selves) == MA_BACKEND_SELECT_ADD)
            add_run(run, n, i);
    return MA_OK;
}
