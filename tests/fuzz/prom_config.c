/* Fuzz prometheus-adapter config loading (backend/prom_config.h, YAML through yaml/): input = the
 * file's bytes. Invariants: a refusal says "fuzz.yaml:" and, unless the file is too large, a line
 * and column; a loaded config has every regex and template compiled, and using each rule (filters,
 * naming, rendering, resource labels) returns a defined code without touching memory it does not
 * own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/prom_config.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void use_rule(const struct ma_prom_rule *r)
{
    static const char *const names[] = {"http_requests_total", "container_cpu_seconds_total", ""};
    const struct ma_prom_kv kv[] = {{"pod", "a|b"}, {"namespace", "default"}};
    const char *const gb[] = {"pod"};
    struct ma_errmsg em;
    struct ma_buf b;
    size_t i;
    int rc;

    check(r->name_re != NULL && r->query != NULL && r->name_as != NULL && r->name_as[0]);
    for (i = 0; i < r->n_filters; i++)
        check(r->filters[i].re != NULL);
    ma_buf_init_heap(&b, 1 << 16);
    for (i = 0; i < 3; i++) {
        (void)ma_prom_rule_accepts(r, names[i], strlen(names[i]));
        rc = ma_prom_rule_metric_name(r, names[i], strlen(names[i]), &b);
        check(rc == MA_OK || rc == MA_ERR_NOTFOUND || rc == MA_ERR_NOSPACE);
        ma_buf_reset(&b);
    }
    rc = ma_prom_render_query(r->query, "s", "pod=\"a\"", kv, 2, gb, 1, r, &b, &em);
    check(rc == MA_OK || rc == MA_ERR_SYNTAX || rc == MA_ERR_NOSPACE || rc == MA_ERR_LIMIT);
    ma_buf_reset(&b);
    rc = ma_prom_resources_label(&r->resources, "apps", "deployment", &b, &em);
    check(rc == MA_OK || rc == MA_ERR_NOTFOUND || rc == MA_ERR_SYNTAX || rc == MA_ERR_NOSPACE);
    check((r->resources.label_tmpl == NULL) == (r->resources.label_re == NULL));
    ma_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_prom_config *c;
    struct ma_errmsg em;
    size_t i;
    int r;

    memset(&em, 0, sizeof em);
    r = ma_prom_config_load_mem("fuzz.yaml", (const char *)data, size, &c, &em);
    if (r != MA_OK) {
        check(c == NULL && (r == MA_ERR_SYNTAX || r == MA_ERR_LIMIT || r == MA_ERR_NOSPACE));
        check(strncmp(em.msg, "fuzz.yaml:", 10) == 0);
        return 0;
    }
    for (i = 0; i < c->n_rules; i++)
        use_rule(&c->rules[i]);
    for (i = 0; i < c->n_external; i++)
        check(c->external[i].external), use_rule(&c->external[i]);
    if (c->has_resource_rules)
        check(c->cpu.container_tmpl && c->cpu.node_tmpl && c->memory.container_tmpl &&
              c->memory.node_tmpl && c->window_ms >= 0);
    ma_prom_config_free(c);
    return 0;
}
