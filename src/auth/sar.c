#include "auth/sar.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "json/read.h"

/* A reply holds the echoed spec: its tokens grow with the user's groups and extras. */
#define REPLY_MAX_TOKENS 1024
/* kube's reasons are one line ("RBAC: allowed by ClusterRoleBinding ..."). */
#define REASON_MAX 512

/* {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":<the key>} */
static void write_body(struct ma_buf *b, const char *spec, size_t len)
{
    ma_buf_appends(b, "{\"apiVersion\":\"authorization.k8s.io/v1\","
                      "\"kind\":\"SubjectAccessReview\",\"spec\":");
    ma_buf_append(b, spec, len);
    ma_buf_appendc(b, '}');
}

static int read_reply(const char *body, size_t len, struct ma_buf *text, struct ma_errmsg *em)
{
    char reason[REASON_MAX];
    int rc = ma_auth_sar_parse_reply(body, len, reason, sizeof reason, em);

    if (rc == MA_AUTH_ALLOW || rc == MA_AUTH_DENY)
        ma_buf_appends(text, reason);
    return rc;
}

static const struct ma_auth_review_class sar_class = {
    "SubjectAccessReview", "/apis/authorization.k8s.io/v1/subjectaccessreviews", write_body,
    read_reply};

/* see auth/sar.h */
struct ma_auth_review *ma_auth_sar_new(struct ma_kube_client *kc, int64_t allow_ttl_ms,
                                       int64_t deny_ttl_ms)
{
    int64_t ttl[2];

    ttl[MA_AUTH_ALLOW] = allow_ttl_ms;
    ttl[MA_AUTH_DENY] = deny_ttl_ms;
    return ma_auth_review_new(kc, &sar_class, MA_AUTH_SAR_CACHE_SLOTS, ttl);
}

/* see auth/sar.h */
int ma_auth_sar_parse_reply(const char *body, size_t len, char *reason, size_t cap,
                            struct ma_errmsg *em)
{
    jsmntok_t *toks = ma_xmalloc(REPLY_MAX_TOKENS * sizeof *toks);
    struct ma_json_doc d;
    int st, allowed = 0, denied = 0, t, rc;

    reason[0] = '\0';
    rc = ma_json_parse(&d, body, len, toks, REPLY_MAX_TOKENS, em);
    if (rc != MA_OK)
        goto out;
    rc = MA_ERR_SYNTAX;
    st = ma_json_get(&d, 0, "status");
    t = ma_json_get(&d, st, "allowed");
    if (st < 0 || d.tok[st].type != JSMN_OBJECT || ma_json_bool(&d, t, &allowed) != MA_OK) {
        ma_errmsg_set(em, "SubjectAccessReview reply has no status.allowed");
        goto out;
    }
    t = ma_json_get(&d, st, "denied");
    if (t >= 0 && ma_json_bool(&d, t, &denied) != MA_OK) {
        ma_errmsg_set(em, "SubjectAccessReview reply: status.denied is not a boolean");
        goto out;
    }
    t = ma_json_get(&d, st, "reason");
    if (t >= 0 && !ma_json_is_null(&d, t) && ma_json_str(&d, t, reason, cap) < 0 &&
        reason[0] == 0) {
        ma_errmsg_set(em, "SubjectAccessReview reply: status.reason is not a string");
        goto out;
    }
    if (allowed && denied) {
        /* kube's webhook authorizer: an error, so the request gets 500 */
        ma_errmsg_set(em, "webhook subject access review returned both allow and deny response");
        rc = MA_ERR_DENIED;
        goto out;
    }
    rc = allowed ? MA_AUTH_ALLOW : MA_AUTH_DENY;
out:
    free(toks);
    return rc;
}
