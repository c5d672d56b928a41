/* Fuzz what the authentication layer parses from others: the first byte picks the parser, the
 * rest is its input.
 *   0: a request path -> RequestInfo attributes (any client), then the SAR spec and the 403
 *      Status for it; invariants: the output is complete JSON, attributes point into the copy.
 *   1: certificate DER -> subject CN/O and the clientAuth check (a client's certificate).
 *   2: a SubjectAccessReview reply; 3: a TokenReview status.user (kube-apiserver's answers).
 *   4: the extension-apiserver-authentication ConfigMap JSON.
 *   5: an extra-header key -> PathUnescape. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/attrs.h"
#include "auth/authcfg.h"
#include "auth/authn.h"
#include "auth/sar.h"
#include "auth/tokenreview.h"
#include "base/arena.h"
#include "base/buf.h"
#include "json/read.h"
#include "json/write.h"
#include "tls/peercert.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *groups[] = {"g"};

static void inside(const char *s, const char *buf, size_t n)
{
    REQUIRE(s[0] == '\0' || (s >= buf && s + strlen(s) <= buf + n));
}

static void path_case(const uint8_t *d, size_t n)
{
    char *path = malloc(n + 1), *scratch = malloc(n + 1);
    struct ma_auth_user u = {"u\"<>", "", groups, 1, NULL, 0, "x"};
    struct ma_auth_attrs at;
    struct ma_buf b;
    struct ma_json_w w;
    struct ma_json_doc doc;
    jsmntok_t toks[256];
    char *orig;
    struct ma_str query = ma_str_make((const char *)d, n); /* the same bytes read as a query */
    const char *verb;

    memcpy(path, d, n);
    path[n] = '\0';
    n = strlen(path);
    orig = strdup(path);
    ma_auth_attrs_parse(path, scratch, "GET", &at);
    verb = at.verb;
    ma_auth_attrs_apply_query(&at, query);
    REQUIRE(at.verb == verb || (strcmp(verb, "list") == 0 && strcmp(at.verb, "watch") == 0));
    REQUIRE(strcmp(at.path, orig) == 0); /* the non-resource path is the whole, unsplit path */
    free(orig);
    inside(at.ns, path, n);
    inside(at.resource, path, n);
    inside(at.name, path, n);
    inside(at.subresource, path, n);
    ma_buf_init_heap(&b, 1 << 20);
    ma_json_w_init(&w, &b, 0);
    ma_auth_attrs_write_spec(&at, &u, &w);
    REQUIRE(ma_json_w_end(&w) == MA_OK);
    REQUIRE(ma_json_parse(&doc, b.p, b.len, toks, 256, NULL) == MA_OK);
    ma_buf_reset(&b);
    ma_auth_attrs_forbidden(&at, &u, "reason", &b);
    REQUIRE(b.err || ma_json_parse(&doc, b.p, b.len, toks, 256, NULL) == MA_OK);
    ma_buf_free(&b);
    free(path);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ma_tls_peer_id id;
    struct ma_arena a;
    struct ma_auth_user u;
    char reason[128], *out;
    const char *js;

    if (size < 1)
        return 0;
    js = (const char *)data + 1;
    switch (data[0] % 6) {
    case 0:
        path_case(data + 1, size - 1);
        break;
    case 1:
        if (ma_tls_cert_subject(data + 1, size - 1, &id) == MA_OK) {
            size_t i;

            REQUIRE(strlen(id.cn) <= MA_TLS_PEER_MAX_NAME && id.norgs <= MA_TLS_PEER_MAX_ORGS);
            for (i = 0; i < id.norgs; i++)
                REQUIRE(strlen(id.orgs[i]) <= MA_TLS_PEER_MAX_NAME);
        }
        REQUIRE(ma_tls_cert_allows_client_auth(data + 1, size - 1) <= 1);
        break;
    case 2: {
        int rc = ma_auth_sar_parse_reply(js, size - 1, reason, sizeof reason, NULL);

        REQUIRE(rc == MA_AUTH_ALLOW || rc == MA_AUTH_DENY || rc < 0);
        REQUIRE(strlen(reason) < sizeof reason);
        break;
    }
    case 3:
        ma_arena_init(&a, 1 << 20);
        if (ma_auth_tokenreview_parse_user(js, size - 1, &a, &u) == MA_OK)
            REQUIRE(u.name != NULL && u.ngroups <= MA_AUTH_MAX_GROUPS);
        ma_arena_free(&a);
        break;
    case 4: {
        struct ma_auth_cfg_flags f = {0};

        ma_auth_cfg_free(ma_auth_cfg_build(&f, js, size - 1, NULL));
        break;
    }
    case 5:
        out = malloc(size);
        if (ma_auth_path_unescape(js, size - 1, out) >= 0)
            REQUIRE(strlen(out) <= size - 1 || memchr(out, 0, size - 1) != NULL);
        free(out);
        break;
    }
    return 0;
}
