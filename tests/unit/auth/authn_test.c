/* auth/authn.c: the authenticator union (request headers, x509, token, anonymous), header
 * parsing (groups per line, extras unescaped), failures. Certificates: tests/vectors/auth. */
#include "auth/authn.h"

#include "t.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authcfg.h"
#include "base/arena.h"
#include "http/parse.h"
#include "tls/server.h"

#define VEC "tests/vectors/auth/"
#define NOW 1924992000 /* 2031-01-01 */

static void der_cb(void *ctx, const void *data, size_t len)
{
    br_x509_certificate *c = ctx;

    c->data = realloc(c->data, c->data_len + len);
    memcpy(c->data + c->data_len, data, len);
    c->data_len += len;
}

static br_x509_certificate der_of(const char *name)
{
    br_pem_decoder_context pc;
    br_x509_certificate c = {0};
    char path[256], buf[8192];
    size_t len, off = 0;
    FILE *f;

    snprintf(path, sizeof path, VEC "%s", name);
    f = fopen(path, "rb");
    if (f == NULL)
        exit(1);
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    br_pem_decoder_init(&pc);
    while (off < len) {
        off += br_pem_decoder_push(&pc, buf + off, len - off);
        if (br_pem_decoder_event(&pc) == BR_PEM_BEGIN_OBJ)
            br_pem_decoder_setdest(&pc, der_cb, &c);
        else if (br_pem_decoder_event(&pc) == BR_PEM_END_OBJ)
            break;
    }
    return c;
}

static uint64_t serial = 1;

static void peer_of(struct ma_tls_peer *p, const char *name)
{
    br_x509_certificate c = der_of(name);

    memset(p, 0, sizeof *p);
    p->cert_presented = 1;
    p->serial = serial++;
    p->certs[0] = p->leaf_der = c.data;
    p->cert_lens[0] = p->leaf_len = c.data_len;
    p->ncerts = p->chain_len = 1;
}

static struct ma_http_req req;
static char head[4096];

static void parse(const char *h)
{
    struct ma_http_limits lim = {8192, 8192};

    snprintf(head, sizeof head, "GET /apis HTTP/1.1\r\nHost: x\r\n%s\r\n", h);
    CHECK(ma_http_parse_request(head, strlen(head), &lim, &req) > 0);
}

static const char *const allowed[] = {"front-proxy-client"};

static struct ma_auth_cfg *cfg_with(const char *client_ca)
{
    struct ma_auth_cfg_flags f = {0};
    struct ma_errmsg em;
    struct ma_auth_cfg *c;

    f.client_ca_file = client_ca;
    f.rh_ca_file = VEC "ca.pem";
    f.allowed_names = allowed;
    f.n_allowed_names = 1;
    c = ma_auth_cfg_build(&f, NULL, 0, &em);
    if (c == NULL)
        fprintf(stderr, "cfg: %s\n", em.msg);
    CHECK(c != NULL);
    return c;
}

static void test_request_headers(void)
{
    struct ma_auth_cfg *cfg = cfg_with(NULL);
    struct ma_tls_peer p;
    struct ma_arena a;
    struct ma_auth_user u;
    struct ma_str tok;
    struct ma_errmsg em;
    int had;

    ma_arena_init(&a, 1 << 20);
    peer_of(&p, "proxy.pem");
    parse("X-Remote-User: alice\r\nx-remote-group: g1\r\nX-Remote-Group: g2, not split\r\n"
          "X-Remote-Group:\r\nX-Remote-Extra-Foo%2fBar: v1\r\nX-REMOTE-EXTRA-foo%2fbar: v2\r\n"
          "X-Remote-Extra-Bad%zz: v3\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_USER);
    CHECK_STR(u.name, "alice");
    CHECK_STR(u.method, "requestheader");
    CHECK_EQ(u.ngroups, 3);
    if (u.ngroups == 3) {
        CHECK_STR(u.groups[0], "g1");
        CHECK_STR(u.groups[1], "g2, not split");
        CHECK_STR(u.groups[2], "system:authenticated");
    }
    CHECK_EQ(u.nextras, 2);
    if (u.nextras == 2) {
        CHECK_STR(u.extras[0].key, "foo/bar");
        CHECK_EQ(u.extras[0].nvalues, 2);
        CHECK_STR(u.extras[0].values[1], "v2");
        CHECK_STR(u.extras[1].key, "bad%zz"); /* unescape failed: raw (lower-cased) key */
    }
    /* the same headers without a certificate: ignored */
    CHECK_EQ(ma_auth_authn(cfg, &req, NULL, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    CHECK_STR(u.name, "system:anonymous");
    CHECK_STR(u.groups[0], "system:unauthenticated");
    /* a valid front-proxy certificate without a user header: no identity from it; no client CA,
     * so anonymous */
    parse("X-Remote-Group: g1\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    free((void *)p.certs[0]);
    /* failures: 401 */
    parse("X-Remote-User: alice\r\n");
    peer_of(&p, "other.pem");
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_FAILED);
    CHECK(strstr(em.msg, "unknown authority") != NULL);
    free((void *)p.certs[0]);
    peer_of(&p, "no-eku.pem"); /* valid chain, CN not allowed */
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_FAILED);
    CHECK(strstr(em.msg, "allowed names") != NULL);
    /* ... unless a bearer token may still succeed */
    parse("X-Remote-User: alice\r\nAuthorization: Bearer tok-1 trailing\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_TOKEN);
    CHECK(tok.len == 5 && memcmp(tok.p, "tok-1", 5) == 0);
    CHECK_EQ(had, 1);
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 0, &a, &u, &tok, &had, &em), MA_AUTHN_FAILED);
    free((void *)p.certs[0]);
    ma_arena_free(&a);
    ma_auth_cfg_free(cfg);
}

static void test_client_cert(void)
{
    struct ma_auth_cfg *cfg = cfg_with(VEC "other-ca.pem");
    struct ma_tls_peer p;
    struct ma_arena a;
    struct ma_auth_user u;
    struct ma_str tok;
    struct ma_errmsg em;
    int had;

    ma_arena_init(&a, 1 << 20);
    /* other.pem fails request-header (other CA) but is a client certificate of other-ca */
    peer_of(&p, "other.pem");
    parse("X-Remote-User: mallory\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, &p, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_USER);
    CHECK_STR(u.name, "front-proxy-client");
    CHECK_STR(u.method, "x509");
    CHECK_EQ(u.ngroups, 1);
    free((void *)p.certs[0]);
    /* bearer: "Bearer" any case; "Basic" or an empty token is no token */
    parse("authorization: bEaReR abc\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, NULL, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_TOKEN);
    CHECK_EQ(had, 0);
    parse("Authorization: Basic abc\r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, NULL, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    parse("Authorization: Bearer \r\n");
    CHECK_EQ(ma_auth_authn(cfg, &req, NULL, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    parse("Authorization: Bearer  two-spaces\r\n"); /* Go: parts[1] is empty */
    CHECK_EQ(ma_auth_authn(cfg, &req, NULL, NOW, 1, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    CHECK_EQ(ma_auth_authn(NULL, &req, NULL, NOW, 0, &a, &u, &tok, &had, &em), MA_AUTHN_ANONYMOUS);
    ma_arena_free(&a);
    ma_auth_cfg_free(cfg);
}

static void test_unescape(void)
{
    char out[32];

    CHECK_EQ(ma_auth_path_unescape("a%2fb", 5, out), 3);
    CHECK_STR(out, "a/b");
    CHECK_EQ(ma_auth_path_unescape("a%2", 3, out), -1);
    CHECK_EQ(ma_auth_path_unescape("%", 1, out), -1);
    CHECK_EQ(ma_auth_path_unescape("%g0", 3, out), -1);
    CHECK_EQ(ma_auth_path_unescape("", 0, out), 0);
}

int main(void)
{
    T_RUN(test_request_headers);
    T_RUN(test_client_cert);
    T_RUN(test_unescape);
    T_END();
}
