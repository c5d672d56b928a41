/* Fuzz labels.Parse: input = selector bytes, optionally followed by 0xFF and label lines
 * ("k=v\n"...). Invariants: error paths leave an empty selector and a bounded message; on success
 * every slice lies inside the input, requirements are sorted by key and each value set is sorted
 * and unique, String() re-parses to the same String(), matches() and write_json() do not crash,
 * and write_json fails exactly when a > or < requirement is present. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/write.h"
#include "kube/selector.h"

#define MAX_LABELS 24

static void check(int ok)
{
    if (!ok)
        abort();
}

static int inside(struct ma_str s, const char *p, size_t n)
{
    return s.p >= p && s.len <= n && s.p + s.len <= p + n;
}

static void check_structure(const struct ma_kube_selector *sel, const char *in, size_t n)
{
    size_t i, j, total = 0;

    check(sel->num_reqs <= MA_KUBE_SEL_MAX_REQS && sel->num_values <= MA_KUBE_SEL_MAX_VALUES);
    for (i = 0; i < sel->num_values; i++)
        check(inside(sel->values[i], in, n));
    for (i = 0; i < sel->num_reqs; i++) {
        const struct ma_kube_sel_req *r = &sel->reqs[i];
        check(inside(r->key, in, n) && r->key.len > 0);
        check(r->first_value + r->num_values <= sel->num_values);
        if (i > 0)
            check(ma_str_cmp(sel->reqs[i - 1].key, r->key) <= 0);
        for (j = 1; j < r->num_values; j++)
            check(ma_str_cmp(sel->values[r->first_value + j - 1],
                             sel->values[r->first_value + j]) < 0);
        switch (r->op) {
        case MA_KUBE_SEL_EXISTS:
        case MA_KUBE_SEL_NOTEXISTS: check(r->num_values == 0); break;
        case MA_KUBE_SEL_IN:
        case MA_KUBE_SEL_NOTIN: check(r->num_values >= 1); break;
        default: check(r->num_values == 1);
        }
        total += r->num_values;
    }
    check(total == sel->num_values);
}

/* Labels: the lines after the 0xFF byte, plus one per requirement key (so that value
 * comparisons run), all copied into NUL-terminated storage. */
static size_t make_labels(const struct ma_kube_selector *sel, const char *extra, size_t n,
                          char *mem, size_t cap, struct ma_kube_label *items)
{
    size_t k = 0, used = 0, i;

    while (n > 0 && k < MAX_LABELS / 2) {
        const char *nl = memchr(extra, '\n', n), *eq;
        size_t len = nl ? (size_t)(nl - extra) : n;
        eq = memchr(extra, '=', len);
        if (eq != NULL && used + len + 1 <= cap) {
            size_t kl = (size_t)(eq - extra);
            memcpy(mem + used, extra, len);
            mem[used + kl] = '\0';
            mem[used + len] = '\0';
            items[k].key = mem + used;
            items[k].value = mem + used + kl + 1;
            if (strlen(items[k].key) == kl && strlen(items[k].value) == len - kl - 1)
                k++;
            used += len + 1;
        }
        if (nl == NULL)
            break;
        n -= len + 1;
        extra = nl + 1;
    }
    for (i = 0; i < sel->num_reqs && k < MAX_LABELS; i++) {
        const struct ma_kube_sel_req *r = &sel->reqs[i];
        struct ma_str v = r->num_values ? sel->values[r->first_value] : MA_STR_LIT("7");
        if (used + r->key.len + v.len + 2 > cap)
            break;
        memcpy(mem + used, r->key.p, r->key.len);
        mem[used + r->key.len] = '\0';
        items[k].key = mem + used;
        used += r->key.len + 1;
        memcpy(mem + used, v.p, v.len);
        mem[used + v.len] = '\0';
        items[k].value = mem + used;
        used += v.len + 1;
        k++;
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ma_kube_selector sel, sel2;
    static char str1[65536], str2[65536], json[131072], mem[8192];
    struct ma_kube_label items[MAX_LABELS];
    struct ma_kube_labels labels;
    const char *in = (const char *)data;
    const char *sep = memchr(in, 0xff, size);
    size_t n = sep ? (size_t)(sep - in) : size, i;
    struct ma_errmsg em;
    struct ma_json_w w;
    struct ma_buf b, b2, jb;
    int rc, has_cmp = 0;

    memset(em.msg, 'x', sizeof em.msg);
    rc = ma_kube_selector_parse(in, n, &sel, &em);
    if (rc != MA_OK) {
        check(rc == MA_ERR_SYNTAX || rc == MA_ERR_LIMIT);
        check(memchr(em.msg, '\0', sizeof em.msg) != NULL && em.msg[0] != '\0');
        check(sel.num_reqs == 0 && sel.num_values == 0);
        return 0;
    }
    check_structure(&sel, in, n);

    /* String() is a fixed point of parse . String */
    ma_buf_init_fixed(&b, str1, sizeof str1);
    ma_kube_selector_string(&sel, &b);
    check(b.err == 0);
    rc = ma_kube_selector_parse(b.p, b.len, &sel2, NULL);
    check(rc == MA_OK);
    check(sel2.num_reqs == sel.num_reqs && sel2.num_values == sel.num_values);
    ma_buf_init_fixed(&b2, str2, sizeof str2);
    ma_kube_selector_string(&sel2, &b2);
    check(b2.len == b.len && memcmp(b.p, b2.p, b.len) == 0);

    labels.items = items;
    labels.n = make_labels(&sel, sep ? sep + 1 : NULL, sep ? size - n - 1 : 0, mem, sizeof mem,
                           items);
    rc = ma_kube_selector_matches(&sel, &labels);
    check(rc == 0 || rc == 1);
    check(ma_kube_selector_matches(&sel2, &labels) == rc);
    labels.n = 0;
    rc = ma_kube_selector_matches(&sel, &labels);
    check(rc == 0 || rc == 1);

    for (i = 0; i < sel.num_reqs; i++)
        has_cmp |= sel.reqs[i].op == MA_KUBE_SEL_GT || sel.reqs[i].op == MA_KUBE_SEL_LT;
    ma_buf_init_fixed(&jb, json, sizeof json);
    ma_json_w_init(&w, &jb, (int)(size & 1));
    rc = ma_kube_selector_write_json(&sel, &w);
    check(rc == (has_cmp ? MA_ERR_SYNTAX : MA_OK));
    check(ma_json_w_end(&w) == MA_OK);
    return 0;
}
