/* backend/registry: the modules compiled in, and how --backend and the modules' own flags pick
 * the ones to run. */
#include "../t.h"

#include "backend/module.h"

static void *selves[MA_BACKEND_MAX_MODULES];
static size_t nmods;

static void setup(void)
{
    size_t i;

    for (i = 0; ma_backend_registry[i] != NULL; i++) {
        free(selves[i]);
        selves[i] = calloc(1, ma_backend_registry[i]->size);
        if (ma_backend_registry[i]->init != NULL)
            ma_backend_registry[i]->init(selves[i]);
    }
    nmods = i;
}

static size_t index_of(const char *name)
{
    size_t i;

    for (i = 0; ma_backend_registry[i] != NULL; i++)
        if (strcmp(ma_backend_registry[i]->name, name) == 0)
            return i;
    return (size_t)-1;
}

/* Set a module's flag as the command line would. */
static void set_flag(const char *module, const char *flag)
{
    struct ma_flag f[MA_BACKEND_MAX_FLAGS];
    size_t i = index_of(module), n, k;

    n = ma_backend_registry[i]->flags(selves[i], f);
    for (k = 0; k < n; k++)
        if (strcmp(f[k].name, flag) == 0 && f[k].type == MA_FLAG_BOOL)
            *(int *)f[k].target = 1;
}

static const char *pick(const char *list, int given)
{
    static char out[MA_ERRMSG_SIZE + 16];
    size_t run[MA_BACKEND_MAX_MODULES], n = 0, i;
    struct ma_errmsg em;

    if (ma_backend_pick(list, given, (const void *const *)selves, run, &n, &em) != MA_OK) {
        snprintf(out, sizeof out, "error: %s", em.msg);
        return out;
    }
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        strcat(out, i ? "," : "");
        strcat(out, ma_backend_registry[run[i]]->name);
    }
    return out;
}

static void test_registry(void)
{
    char names[120];
    size_t i;

    CHECK(nmods >= 2 && nmods <= MA_BACKEND_MAX_MODULES);
    CHECK_STR(ma_backend_names(names, sizeof names), "falcon, demo");
    CHECK(ma_backend_find("demo", 4) == ma_backend_registry[index_of("demo")]);
    CHECK(ma_backend_find("dem", 3) == NULL);
    for (i = 0; ma_backend_registry[i] != NULL; i++) {
        struct ma_flag f[MA_BACKEND_MAX_FLAGS];
        const struct ma_backend_module *m = ma_backend_registry[i];

        CHECK(m->start != NULL && m->usage != NULL && m->size > 0);
        CHECK(m->flags == NULL || m->flags(selves[i], f) <= MA_BACKEND_MAX_FLAGS);
        CHECK(m->check == NULL || m->check(selves[i]) == NULL); /* defaults make sense */
    }
    /* the properties today's code derived from the name */
    CHECK_EQ(ma_backend_registry[index_of("demo")]->open_by_default, 1);
    CHECK_EQ(ma_backend_registry[index_of("falcon")]->open_by_default, 0);
    CHECK_EQ(ma_backend_registry[index_of("demo")]->cluster, MA_BACKEND_CLUSTER_OPTIONAL);
    CHECK_EQ(ma_backend_registry[index_of("falcon")]->cluster, MA_BACKEND_CLUSTER_REQUIRED);
}

static void test_pick(void)
{
    setup();
    CHECK_STR(pick("falcon", 0), "falcon"); /* the default */
    CHECK_STR(pick("demo", 1), "demo");
    CHECK_STR(pick("demo,falcon", 1), "demo,falcon");
    CHECK_STR(pick("falcon,falcon", 1), "falcon");
    CHECK_STR(pick("prometheus", 1),
              "error: invalid value for --backend: \"prometheus\" (use falcon, demo)");
    CHECK_STR(pick("falcon,", 1), "error: invalid value for --backend: \"\" (use falcon, demo)");
    CHECK_STR(pick("", 1), "error: invalid value for --backend: \"\" (use falcon, demo)");
    /* --demo is --backend=demo whatever --backend says, as before */
    set_flag("demo", "demo");
    CHECK_STR(pick("falcon", 0), "demo");
    CHECK_STR(pick("falcon", 1), "demo");
    CHECK_STR(pick("bogus", 1), "demo");
    setup();
}

int main(void)
{
    setup();
    T_RUN(test_registry);
    T_RUN(test_pick);
    T_END();
}
