/* auth/authcfg.c: configuration from flags and from the extension-apiserver-authentication
 * ConfigMap (spec 5.4), flags winning per source. */
#include "auth/authcfg.h"

#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/write.h"

#define VEC "tests/vectors/auth/"

static char *pem(const char *name)
{
    char path[256];
    char *buf = calloc(1, 65536);
    FILE *f;

    snprintf(path, sizeof path, VEC "%s", name);
    f = fopen(path, "rb");
    if (f == NULL)
        exit(1);
    if (fread(buf, 1, 65535, f) == 0)
        exit(1);
    fclose(f);
    return buf;
}

/* A ConfigMap as kube-apiserver writes it; keys NULL are left out. */
static char *configmap(const char *client_ca, const char *rh_ca, const char *allowed,
                       const char *users)
{
    struct ma_buf b;
    struct ma_json_w w;

    ma_buf_init_heap(&b, 1 << 20);
    ma_json_w_init(&w, &b, 0);
    ma_json_w_obj_begin(&w);
    ma_json_w_key(&w, "kind");
    ma_json_w_str(&w, "ConfigMap");
    ma_json_w_key(&w, "data");
    ma_json_w_obj_begin(&w);
    if (client_ca) {
        ma_json_w_key(&w, "client-ca-file");
        ma_json_w_str(&w, client_ca);
    }
    if (rh_ca) {
        ma_json_w_key(&w, "requestheader-client-ca-file");
        ma_json_w_str(&w, rh_ca);
        ma_json_w_key(&w, "requestheader-allowed-names");
        ma_json_w_str(&w, allowed);
        ma_json_w_key(&w, "requestheader-username-headers");
        ma_json_w_str(&w, users);
        ma_json_w_key(&w, "requestheader-group-headers");
        ma_json_w_str(&w, "[\"X-Remote-Group\"]");
        ma_json_w_key(&w, "requestheader-extra-headers-prefix");
        ma_json_w_str(&w, "[\"X-Remote-Extra-\"]");
        ma_json_w_key(&w, "requestheader-uid-headers");
        ma_json_w_str(&w, "null");
    }
    ma_json_w_obj_end(&w);
    ma_json_w_obj_end(&w);
    CHECK_EQ(ma_json_w_end(&w), MA_OK);
    return (char *)ma_buf_cstr(&b);
}

static void test_configmap(void)
{
    struct ma_auth_cfg_flags f = {0};
    char *ca = pem("ca.pem"), *other = pem("other-ca.pem");
    char *cm = configmap(ca, other, "[\"front-proxy-client\",\"x\"]", "[\"X-Remote-User\",\"\"]");
    struct ma_errmsg em;
    struct ma_auth_cfg *c = ma_auth_cfg_build(&f, cm, strlen(cm), &em);

    CHECK(c != NULL);
    if (c != NULL) {
        CHECK(c->client_ca != NULL && c->rh_ca != NULL);
        CHECK_STR(c->rh_origin, "configmap");
        CHECK_EQ(c->allowed_names.n, 2);
        CHECK_STR(c->allowed_names.v[1], "x");
        CHECK_EQ(c->username_headers.n, 1); /* empty entries dropped */
        CHECK_EQ(c->uid_headers.n, 0);      /* "null" */
        CHECK_STR(c->extra_prefixes.v[0], "X-Remote-Extra-");
    }
    ma_auth_cfg_free(c);
    /* flags win over the ConfigMap for their source, with the Go defaults for header names */
    f.rh_ca_file = VEC "ca.pem";
    c = ma_auth_cfg_build(&f, cm, strlen(cm), &em);
    CHECK(c != NULL);
    if (c != NULL) {
        CHECK_STR(c->rh_origin, "flag");
        CHECK_STR(c->client_ca_origin, "configmap");
        CHECK_EQ(c->allowed_names.n, 0);
        CHECK_STR(c->username_headers.v[0], "X-Remote-User");
        CHECK_STR(c->group_headers.v[0], "X-Remote-Group");
    }
    ma_auth_cfg_free(c);
    CHECK_EQ(ma_auth_cfg_flags_complete(&f), 0);
    f.client_ca_file = VEC "other-ca.pem";
    CHECK_EQ(ma_auth_cfg_flags_complete(&f), 1);
    free(cm);
    /* no requestheader keys: request-header authentication stays off */
    memset(&f, 0, sizeof f);
    cm = configmap(ca, NULL, NULL, NULL);
    c = ma_auth_cfg_build(&f, cm, strlen(cm), &em);
    CHECK(c != NULL && c->rh_ca == NULL && c->client_ca != NULL);
    ma_auth_cfg_free(c);
    free(cm);
    /* malformed */
    cm = configmap(ca, other, "front-proxy-client", "[]"); /* not a JSON array */
    CHECK(ma_auth_cfg_build(&f, cm, strlen(cm), &em) == NULL);
    CHECK(strstr(em.msg, "requestheader-allowed-names") != NULL);
    free(cm);
    cm = configmap("not a pem", NULL, NULL, NULL);
    CHECK(ma_auth_cfg_build(&f, cm, strlen(cm), &em) == NULL);
    free(cm);
    CHECK(ma_auth_cfg_build(&f, "{\"data\":", 8, &em) == NULL);
    f.client_ca_file = "/nonexistent/ca.pem";
    CHECK(ma_auth_cfg_build(&f, NULL, 0, &em) == NULL);
    CHECK(strstr(em.msg, "/nonexistent/ca.pem") != NULL);
    free(ca);
    free(other);
}

int main(void)
{
    T_RUN(test_configmap);
    T_END();
}
