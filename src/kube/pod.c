#include "kube/pods.h"

#include <stdint.h>
#include <string.h>

#include "base/limits.h"
#include "base/mem.h"
#include "json/read.h"

/* Pod JSON -> one compact struct ma_kube_pod. Two passes: plan_pod walks the object once per
 * level (metadata, spec, status), checks every type and bound and notes the tokens and unescaped
 * lengths; build_pod then makes the one exact allocation (struct, label array, then every string
 * NUL-terminated) and copies. Nothing is allocated for a rejected object. */

/* The strings of one pod, in the order they are laid out. */
enum { F_NS, F_NAME, F_NODE, F_IP, F_HOSTNAME, F_SUBDOMAIN, F_COUNT };

struct plan {
    int tok[F_COUNT], len[F_COUNT];
    int ktok[MA_KUBE_MAX_LABELS], klen[MA_KUBE_MAX_LABELS];
    int vtok[MA_KUBE_MAX_LABELS], vlen[MA_KUBE_MAX_LABELS]; /* vtok -1: null value, "" */
    size_t nlabels;
    enum ma_kube_pod_phase phase;
    int ready, host_network;
    time_t created, deleted;
};

/* Prefix of messages: the pod's identity once known. */
static void fail(struct ma_errmsg *em, const struct ma_json_doc *d, const struct plan *pl,
                 const char *path, const char *why)
{
    char ns[MA_KUBE_MAX_DNS_LABEL + 1] = "", name[MA_KUBE_MAX_NAME + 1] = "";

    if (pl->tok[F_NS] >= 0 && ma_json_str(d, pl->tok[F_NS], ns, sizeof ns) < 0)
        ns[0] = '\0';
    if (pl->tok[F_NAME] >= 0 && ma_json_str(d, pl->tok[F_NAME], name, sizeof name) < 0)
        name[0] = '\0';
    if (name[0] != '\0')
        ma_errmsg_set(em, "pod %s/%s: %s %s", ns, name, path, why);
    else
        ma_errmsg_set(em, "pod: %s %s", path, why);
}

/* Raw length of string tok when it is printable ASCII without escapes, whose raw bytes are its
 * value: the copy is then one memcpy instead of read.c's decode per character (3x the whole
 * upsert with musl). -1 otherwise: the decoder handles escapes, UTF-8 and what it refuses. */
static int plain_len(const struct ma_json_doc *d, int tok)
{
    const unsigned char *p = (const unsigned char *)d->js + d->tok[tok].start;
    int i, n = d->tok[tok].end - d->tok[tok].start;

    for (i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\')
            return -1;
    return n;
}

/* ma_json_str_eq for the common case: a string without escapes is its raw bytes, compared with
 * one memcmp instead of a decode per character. */
static int str_is(const struct ma_json_doc *d, int tok, const char *s)
{
    const char *p;
    size_t n;

    if (tok < 0 || d->tok[tok].type != JSMN_STRING)
        return 0;
    p = d->js + d->tok[tok].start;
    n = (size_t)(d->tok[tok].end - d->tok[tok].start);
    if (memchr(p, '\\', n) != NULL)
        return ma_json_str_eq(d, tok, s);
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Value tokens of obj's members named keys[0..n) into out[] (-1 when absent or null), in one
 * pass over obj: ma_json_get per key would walk the object once per field. A repeated key keeps
 * its last value, as Go's encoding/json does. obj MAY be -1 (everything absent). */
static void pick(const struct ma_json_doc *d, int obj, const char *const *keys, size_t n, int *out)
{
    int it = 0, k, v;
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = -1;
    if (obj < 0)
        return;
    while ((v = ma_json_next(d, obj, &it, &k)) >= 0)
        for (i = 0; i < n; i++)
            if (str_is(d, k, keys[i])) {
                out[i] = ma_json_is_null(d, v) ? -1 : v;
                break;
            }
}

static int is_type(const struct ma_json_doc *d, int tok, jsmntype_t type)
{
    return tok >= 0 && d->tok[tok].type == type;
}

/* A string field of at most max bytes (after unescaping): its length, or an error. */
static int string_len(const struct ma_json_doc *d, int tok, size_t max, const struct plan *pl,
                      const char *path, struct ma_errmsg *em)
{
    int n = -1;

    if (is_type(d, tok, JSMN_STRING) && (n = plain_len(d, tok)) < 0)
        n = ma_json_str_len(d, tok);
    if (n < 0) {
        fail(em, d, pl, path, "is not a string");
        return MA_ERR_SYNTAX;
    }
    if ((size_t)n > max) {
        fail(em, d, pl, path, "is too long");
        return MA_ERR_LIMIT;
    }
    return n;
}

static int days_in_month(int y, int m)
{
    static const unsigned char dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (era arithmetic over
 * 400-year cycles, so no table and no loop). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339 date-time: "2024-05-06T07:08:09Z", optional ".fraction" (dropped), "Z" or "+hh:mm".
 * metav1.Time always sends UTC at second precision; the rest is accepted as the RFC allows.
 * Seconds 60 (leap) is refused, as Go's time.Parse does. */
static int parse_rfc3339(const char *s, size_t len, time_t *out)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    size_t i = 19;
    int64_t t;

    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return MA_ERR_SYNTAX;
    y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return MA_ERR_SYNTAX;
    if (s[i] == '.') {
        if (++i >= len || s[i] < '0' || s[i] > '9')
            return MA_ERR_SYNTAX;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        /* UTC */
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        sign = s[i] == '+' ? 1 : -1;
        oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return MA_ERR_SYNTAX;
    } else {
        return MA_ERR_SYNTAX;
    }
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    *out = (time_t)t;
    return MA_OK;
}

static int parse_time(const struct ma_json_doc *d, int tok, const struct plan *pl, const char *path,
                      time_t *out, struct ma_errmsg *em)
{
    char buf[64];
    int n;

    *out = 0;
    if (tok < 0)
        return MA_OK;
    if (!is_type(d, tok, JSMN_STRING)) {
        fail(em, d, pl, path, "is not a string");
        return MA_ERR_SYNTAX;
    }
    n = ma_json_str(d, tok, buf, sizeof buf);
    if (n < 0 || parse_rfc3339(buf, (size_t)n, out) < 0) {
        fail(em, d, pl, path, "is not an RFC 3339 time");
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

/* A member that MAY be absent or null; anything else but an object is an error. */
static int check_object(const struct ma_json_doc *d, int tok, const struct plan *pl,
                        const char *path, struct ma_errmsg *em)
{
    if (tok >= 0 && !is_type(d, tok, JSMN_OBJECT)) {
        fail(em, d, pl, path, "is not an object");
        return MA_ERR_SYNTAX;
    }
    return MA_OK;
}

static int plan_labels(const struct ma_json_doc *d, int labels, struct plan *pl,
                       struct ma_errmsg *em)
{
    int it = 0, k, v;

    if (labels < 0)
        return MA_OK;
    if (!is_type(d, labels, JSMN_OBJECT)) {
        fail(em, d, pl, "metadata.labels", "is not an object");
        return MA_ERR_SYNTAX;
    }
    while ((v = ma_json_next(d, labels, &it, &k)) >= 0) {
        size_t i = pl->nlabels;
        int n;

        if (i == MA_KUBE_MAX_LABELS) {
            fail(em, d, pl, "metadata.labels", "has too many entries");
            return MA_ERR_LIMIT;
        }
        if ((n = string_len(d, k, MA_KUBE_MAX_LABEL_KEY, pl, "metadata.labels key", em)) < 0)
            return n;
        pl->ktok[i] = k, pl->klen[i] = n;
        pl->vtok[i] = -1, pl->vlen[i] = 0;
        if (!ma_json_is_null(d, v)) {
            n = string_len(d, v, MA_KUBE_MAX_DNS_LABEL, pl, "metadata.labels value", em);
            if (n < 0)
                return n;
            pl->vtok[i] = v, pl->vlen[i] = n;
        }
        pl->nlabels++;
    }
    return MA_OK;
}

static int plan_status(const struct ma_json_doc *d, int status, struct plan *pl,
                       struct ma_errmsg *em)
{
    static const char *const phases[] = {
        [MA_POD_PENDING] = "Pending",     [MA_POD_RUNNING] = "Running",
        [MA_POD_SUCCEEDED] = "Succeeded", [MA_POD_FAILED] = "Failed",
        [MA_POD_UNKNOWN] = "Unknown",
    };
    static const char *const keys[] = {"phase", "podIP", "conditions"};
    static const char *const cond_keys[] = {"type", "status"};
    int m[3], c, it = 0, unused, rc;
    size_t i;

    pick(d, status, keys, 3, m);
    if (m[1] >= 0) {
        if ((rc = string_len(d, m[1], MA_KUBE_MAX_IP, pl, "status.podIP", em)) < 0)
            return rc;
        pl->tok[F_IP] = m[1], pl->len[F_IP] = rc;
    }
    /* the apiserver sets Pending on create, so absent or empty means Pending; an unknown word
     * (a phase added after this code) is Unknown */
    pl->phase = MA_POD_PENDING;
    if (m[0] >= 0) {
        if (!is_type(d, m[0], JSMN_STRING)) {
            fail(em, d, pl, "status.phase", "is not a string");
            return MA_ERR_SYNTAX;
        }
        if (ma_json_str_len(d, m[0]) > 0) {
            pl->phase = MA_POD_UNKNOWN;
            for (i = 0; i < sizeof phases / sizeof phases[0]; i++)
                if (str_is(d, m[0], phases[i]))
                    pl->phase = (enum ma_kube_pod_phase)i;
        }
    }
    if (m[2] < 0)
        return MA_OK;
    if (!is_type(d, m[2], JSMN_ARRAY)) {
        fail(em, d, pl, "status.conditions", "is not an array");
        return MA_ERR_SYNTAX;
    }
    while ((c = ma_json_next(d, m[2], &it, &unused)) >= 0) {
        int f[2];

        pick(d, is_type(d, c, JSMN_OBJECT) ? c : -1, cond_keys, 2, f);
        if (!is_type(d, c, JSMN_OBJECT) || (f[0] >= 0 && !is_type(d, f[0], JSMN_STRING)) ||
            (f[1] >= 0 && !is_type(d, f[1], JSMN_STRING))) {
            fail(em, d, pl, "status.conditions", "has a malformed entry");
            return MA_ERR_SYNTAX;
        }
        if (str_is(d, f[0], "Ready"))
            pl->ready = str_is(d, f[1], "True");
    }
    return MA_OK;
}

/* Where a string member goes, how long it may be, and its name in messages. */
struct str_field {
    int field;
    size_t max;
    const char *path;
};

static int plan_strings(const struct ma_json_doc *d, const int *tok, const struct str_field *f,
                        size_t n, struct plan *pl, struct ma_errmsg *em)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (tok[i] < 0)
            continue;
        if ((rc = string_len(d, tok[i], f[i].max, pl, f[i].path, em)) < 0)
            return rc;
        pl->tok[f[i].field] = tok[i], pl->len[f[i].field] = rc;
    }
    return MA_OK;
}

static int plan_pod(const struct ma_json_doc *d, int obj, struct plan *pl, struct ma_errmsg *em)
{
    static const char *const keys[] = {"metadata", "spec", "status"};
    /* the string members first, in the order of their str_field rows */
    static const char *const meta_keys[] = {"namespace", "name", "labels", "creationTimestamp",
                                            "deletionTimestamp"};
    static const char *const spec_keys[] = {"nodeName", "hostname", "subdomain", "hostNetwork"};
    static const struct str_field meta_str[] = {
        {F_NS, MA_KUBE_MAX_DNS_LABEL, "metadata.namespace"},
        {F_NAME, MA_KUBE_MAX_NAME, "metadata.name"},
    };
    static const struct str_field spec_str[] = {
        {F_NODE, MA_KUBE_MAX_NAME, "spec.nodeName"},
        {F_HOSTNAME, MA_KUBE_MAX_DNS_LABEL, "spec.hostname"},
        {F_SUBDOMAIN, MA_KUBE_MAX_DNS_LABEL, "spec.subdomain"},
    };
    int top[3], meta[5], spec[4], rc;
    size_t i;

    memset(pl, 0, sizeof *pl);
    for (i = 0; i < F_COUNT; i++)
        pl->tok[i] = -1;
    if (!is_type(d, obj, JSMN_OBJECT)) {
        ma_errmsg_set(em, "pod: not a JSON object");
        return MA_ERR_SYNTAX;
    }
    /* LIST items carry no kind (kube-apiserver omits it in lists); anything that names another
     * kind is not a pod, whatever its fields look like */
    {
        int kind = ma_json_get(d, obj, "kind");

        if (kind >= 0 && !ma_json_is_null(d, kind) && !ma_json_str_eq(d, kind, "Pod")) {
            char k[32] = "";

            (void)ma_json_str(d, kind, k, sizeof k);
            ma_errmsg_set(em, "pod: object of kind \"%s\" is not a Pod", k);
            return MA_ERR_SYNTAX;
        }
    }
    pick(d, obj, keys, 3, top);
    if ((rc = check_object(d, top[0], pl, "metadata", em)) < 0)
        return rc;
    pick(d, top[0], meta_keys, 5, meta);
    if ((rc = plan_strings(d, meta, meta_str, 2, pl, em)) < 0)
        return rc;
    if (pl->len[F_NAME] == 0 || pl->len[F_NS] == 0) {
        pl->tok[F_NAME] = -1; /* do not print a half identity */
        fail(em, d, pl, pl->len[F_NS] == 0 ? "metadata.namespace" : "metadata.name", "is missing");
        return MA_ERR_SYNTAX;
    }
    if ((rc = check_object(d, top[1], pl, "spec", em)) < 0 ||
        (rc = check_object(d, top[2], pl, "status", em)) < 0 ||
        (rc = plan_labels(d, meta[2], pl, em)) < 0 ||
        (rc = parse_time(d, meta[3], pl, "metadata.creationTimestamp", &pl->created, em)) < 0 ||
        (rc = parse_time(d, meta[4], pl, "metadata.deletionTimestamp", &pl->deleted, em)) < 0)
        return rc;
    pick(d, top[1], spec_keys, 4, spec);
    if ((rc = plan_strings(d, spec, spec_str, 3, pl, em)) < 0)
        return rc;
    if (spec[3] >= 0 && ma_json_bool(d, spec[3], &pl->host_network) < 0) {
        fail(em, d, pl, "spec.hostNetwork", "is not a boolean");
        return MA_ERR_SYNTAX;
    }
    return plan_status(d, top[2], pl, em);
}

/* Copy string tok (length len, validated) to *at and advance; absent (-1) becomes "". */
static const char *place(const struct ma_json_doc *d, int tok, int len, char **at)
{
    char *s = *at;

    if (tok < 0) {
        *s = '\0';
    } else if (plain_len(d, tok) == len) {
        memcpy(s, d->js + d->tok[tok].start, (size_t)len);
        s[len] = '\0';
    } else {
        ma_json_str(d, tok, s, (size_t)len + 1);
    }
    *at += len + 1;
    return s;
}

static struct ma_kube_pod *build_pod(const struct ma_json_doc *d, const struct plan *pl)
{
    size_t size = sizeof(struct ma_kube_pod) + pl->nlabels * sizeof(struct ma_kube_label), i;
    struct ma_kube_pod *p;
    struct ma_kube_label *items;
    char *at;

    for (i = 0; i < F_COUNT; i++)
        size += (size_t)pl->len[i] + 1;
    for (i = 0; i < pl->nlabels; i++)
        size += (size_t)pl->klen[i] + (size_t)pl->vlen[i] + 2;
    p = ma_xmalloc(size);
    memset(p, 0, sizeof *p);
    /* the struct holds pointers, so its size keeps the label array aligned */
    items = (struct ma_kube_label *)(p + 1);
    at = (char *)&items[pl->nlabels];
    p->meta.namespace = place(d, pl->tok[F_NS], pl->len[F_NS], &at);
    p->meta.name = place(d, pl->tok[F_NAME], pl->len[F_NAME], &at);
    p->node_name = place(d, pl->tok[F_NODE], pl->len[F_NODE], &at);
    p->pod_ip = place(d, pl->tok[F_IP], pl->len[F_IP], &at);
    p->hostname = place(d, pl->tok[F_HOSTNAME], pl->len[F_HOSTNAME], &at);
    p->subdomain = place(d, pl->tok[F_SUBDOMAIN], pl->len[F_SUBDOMAIN], &at);
    for (i = 0; i < pl->nlabels; i++) {
        items[i].key = place(d, pl->ktok[i], pl->klen[i], &at);
        items[i].value = place(d, pl->vtok[i], pl->vlen[i], &at);
    }
    p->meta.labels.items = items;
    p->meta.labels.n = pl->nlabels;
    p->phase = pl->phase;
    p->ready = pl->ready;
    p->host_network = pl->host_network;
    p->created = pl->created;
    p->deleted = pl->deleted;
    return p;
}

/* see kube/pods.h */
int ma_kube_pod_new(const struct ma_json_doc *d, int obj, struct ma_kube_pod **out,
                    struct ma_errmsg *em)
{
    struct plan pl;
    int rc;

    *out = NULL;
    if ((rc = plan_pod(d, obj, &pl, em)) < 0)
        return rc;
    *out = build_pod(d, &pl);
    return MA_OK;
}

/* see kube/pods.h */
void ma_kube_pod_free(struct ma_kube_pod *p)
{
    free(p);
}

static int decode(const struct ma_json_doc *d, int obj, struct ma_kube_meta **out,
                  struct ma_errmsg *em)
{
    struct ma_kube_pod *p;
    int rc = ma_kube_pod_new(d, obj, &p, em);

    *out = p != NULL ? &p->meta : NULL;
    return rc;
}

static void free_rec(struct ma_kube_meta *rec)
{
    free(rec);
}

/* see kube/pods.h */
const struct ma_kube_record_class ma_kube_pod_class = {"pods", decode, free_rec};
