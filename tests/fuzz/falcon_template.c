/* Fuzz the endpoint template compiler and renderer (backend/falcon_def.h). Input: a template,
 * then '\n'-separated pod name, hostname, node name, pod IP; the first byte picks hostNetwork and
 * the output capacity. Invariants: a failed compile leaves the empty template; a render writes
 * nothing beyond cap, returns a length < cap and <= MA_FALCON_MAX_ENDPOINT with a NUL there, or
 * an error with out == ""; a template without braces renders to itself for pods and objects;
 * rendering is deterministic; the seed convention's output is a normalised counter. */
#include "backend/falcon_def.h"
#include "kube/pods.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CANARY 0xA5

static void check_out(int rc, const char *out, size_t cap, const unsigned char *canary)
{
    size_t i;
    for (i = 0; i < 16; i++)
        if (canary[i] != CANARY)
            abort();
    if (rc >= 0) {
        if ((size_t)rc >= cap || rc > MA_FALCON_MAX_ENDPOINT || out[rc] != '\0' ||
            strlen(out) != (size_t)rc)
            abort();
    } else if (cap > 0 && out[0] != '\0') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char fields[5][MA_FALCON_MAX_ENDPOINT + 2];
    static unsigned char outbuf[MA_FALCON_MAX_ENDPOINT + 1 + 16];
    struct ma_falcon_tmpl t;
    struct ma_kube_pod p;
    struct ma_errmsg em;
    size_t flen[5] = {0}, cap, i;
    int f = 0, rc, rc2, braces = 0;
    char again[MA_FALCON_MAX_ENDPOINT + 1];

    if (size < 1)
        return 0;
    for (i = 1; i < size && f < 5; i++) {
        if (data[i] == '\n' && f < 4) {
            f++;
            continue;
        }
        if (flen[f] < MA_FALCON_MAX_ENDPOINT + 1)
            fields[f][flen[f]++] = (char)data[i];
    }
    for (f = 0; f < 5; f++)
        fields[f][flen[f]] = '\0';

    rc = ma_falcon_tmpl_compile(&t, fields[0], flen[0], &em);
    if (rc < 0) {
        if (t.nparts != 0 || t.len != 0 || em.msg[0] == '\0')
            return abort(), 0;
        return 0;
    }
    if (t.len != flen[0] || memcmp(t.src, fields[0], flen[0]) != 0)
        abort();
    for (i = 0; i < flen[0]; i++)
        braces |= fields[0][i] == '{' || fields[0][i] == '}';

    memset(&p, 0, sizeof(p));
    p.meta.namespace = "ns";
    /* fields may hold NULs: the pod strings then end early, which is what a C string does */
    p.meta.name = fields[1][0] ? fields[1] : "pod";
    p.hostname = fields[2];
    p.node_name = fields[3];
    p.pod_ip = fields[4];
    p.subdomain = "";
    p.host_network = data[0] & 1;
    cap = (size_t)(data[0] >> 1) * 2 + 1; /* 1..255 */
    if (data[0] & 0x80)
        cap = MA_FALCON_MAX_ENDPOINT + 1;

    memset(outbuf, CANARY, sizeof(outbuf));
    rc = ma_falcon_tmpl_render_pod(&t, &p, (char *)outbuf, cap);
    check_out(rc, (char *)outbuf, cap, outbuf + cap);
    rc2 = ma_falcon_tmpl_render_pod(&t, &p, again, sizeof(again));
    if (rc >= 0 && (rc2 != rc || memcmp(again, outbuf, (size_t)rc + 1) != 0))
        abort();
    if (!braces && t.nparts > 0) {
        if (rc2 != (int)flen[0] || memcmp(again, fields[0], flen[0]) != 0)
            abort();
    }

    memset(outbuf, CANARY, sizeof(outbuf));
    rc = ma_falcon_tmpl_render_object(&t, "ns", p.meta.name, (char *)outbuf, cap);
    check_out(rc, (char *)outbuf, cap, outbuf + cap);
    if (t.pod_only && rc != MA_ERR_SYNTAX)
        abort();
    if (!braces && t.nparts > 0 && cap > flen[0] &&
        (rc != (int)flen[0] || memcmp(outbuf, fields[0], flen[0]) != 0))
        abort();

    /* the seed convention on the pod-name field: a result is a fixed point of normalisation */
    {
        char c1[MA_FALCON_MAX_COUNTER + 1], c2[MA_FALCON_MAX_COUNTER + 1];
        rc = ma_falcon_def_seed_counter(fields[1], c1, sizeof(c1), NULL);
        if (rc >= 0) {
            rc2 = ma_falcon_counter_normalize(c1, c2, sizeof(c2));
            if (rc2 != rc || strcmp(c1, c2) != 0)
                abort();
        }
    }
    return 0;
}
