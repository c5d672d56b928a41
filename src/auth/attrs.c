#include "auth/attrs.h"

#include <string.h>
#include <strings.h>

#include "auth/authn.h"
#include "base/err.h"
#include "http/url.h"
#include "json/write.h"

/* Parts of a split path: RequestInfo needs at most the first eight. */
#define MAX_PARTS 16

/* Go's splitPath: trim the slashes at both ends, then split on '/'. */
static size_t split(char *p, char **parts)
{
    size_t n = 0;
    char *end;

    while (*p == '/')
        p++;
    end = p + strlen(p);
    while (end > p && end[-1] == '/')
        *--end = '\0';
    if (*p == '\0')
        return 0;
    for (;;) {
        char *s = strchr(p, '/');

        if (n == MAX_PARTS)
            return n;
        parts[n++] = p;
        if (s == NULL)
            return n;
        *s = '\0';
        p = s + 1;
    }
}

static const char *method_verb(const char *m)
{
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return "get";
    if (strcmp(m, "POST") == 0)
        return "create";
    if (strcmp(m, "PUT") == 0)
        return "update";
    if (strcmp(m, "PATCH") == 0)
        return "patch";
    if (strcmp(m, "DELETE") == 0)
        return "delete";
    if (strcmp(m, "OPTIONS") == 0)
        return "options";
    return "";
}

static const char *lower_method(const char *m)
{
    static const char *const known[][2] = {{"GET", "get"},       {"HEAD", "head"},
                                           {"POST", "post"},     {"PUT", "put"},
                                           {"PATCH", "patch"},   {"DELETE", "delete"},
                                           {"OPTIONS", "options"}};
    size_t i;

    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i][0]) == 0)
            return known[i][1];
    return "unknown"; /* any other method is answered 405 after authorization */
}

/* see auth/attrs.h */
void ma_auth_attrs_parse(char *path, char *scratch, const char *method, struct ma_auth_attrs *at)
{
    char *parts[MAX_PARTS];
    size_t n, i = 0;
    int groupless;

    strcpy(scratch, path);
    memset(at, 0, sizeof *at);
    at->path = scratch;
    at->ns = at->group = at->version = at->resource = at->subresource = at->name = "";
    /* non-resource verbs are the lower-case method (kube: strings.ToLower(req.Method)) */
    at->verb = lower_method(method);
    n = split(path, parts);
    if (n < 3 || (strcmp(parts[0], "apis") != 0 && strcmp(parts[0], "api") != 0))
        return;
    groupless = strcmp(parts[0], "api") == 0;
    i = 1;
    if (!groupless) {
        if (n - i < 3)
            return;
        at->group = parts[i++];
    }
    at->resource_request = 1;
    at->verb = method_verb(method);
    at->version = parts[i++];
    if (strcmp(parts[i], "watch") == 0 || strcmp(parts[i], "proxy") == 0) {
        at->verb = parts[i++];
        if (i == n) {
            at->resource_request = 0; /* kube: an error; treated as a path */
            return;
        }
    }
    if (strcmp(parts[i], "namespaces") == 0) {
        if (n - i > 1) {
            at->ns = parts[i + 1];
            /* "namespaces/<ns>/status|finalize" is the namespace object itself */
            if (n - i > 2 && strcmp(parts[i + 2], "status") != 0 &&
                strcmp(parts[i + 2], "finalize") != 0)
                i += 2;
        }
    }
    if (n - i >= 3)
        at->subresource = parts[i + 2];
    if (n - i >= 2)
        at->name = parts[i + 1];
    at->resource = parts[i];
    if (at->name[0] == '\0' && strcmp(at->verb, "get") == 0)
        at->verb = "list";
}

/* The first "watch" value Go's url.ParseQuery keeps, decoded into out[0..cap): its length,
 * MA_ERR_NOSPACE (a longer value: not "0" nor "false"), or MA_ERR_NOTFOUND. */
static int watch_value(struct ma_str query, char *out, size_t cap)
{
    struct ma_str k, v;
    size_t pos = 0;
    int n;

    while (ma_http_query_next(query, &pos, &k, &v) == MA_OK) {
        if (memchr(k.p, ';', k.len) != NULL || memchr(v.p, ';', v.len) != NULL)
            continue; /* Go 1.17+: "invalid semicolon separator", the pair is dropped */
        if (k.len < 5 || k.len > 15 || ma_http_url_decode_query(k, out, cap) != 5 ||
            memcmp(out, "watch", 5) != 0)
            continue;
        n = ma_http_url_decode_query(v, out, cap);
        if (n != MA_ERR_SYNTAX)
            return n;
    }
    return MA_ERR_NOTFOUND;
}

/* see auth/attrs.h */
void ma_auth_attrs_apply_query(struct ma_auth_attrs *at, struct ma_str query)
{
    char v[16];
    int n;

    if (!at->resource_request || at->name[0] != '\0' || strcmp(at->verb, "list") != 0)
        return;
    n = watch_value(query, v, sizeof v);
    if (n == MA_ERR_NOTFOUND || (n == 1 && v[0] == '0') ||
        (n == 5 && strncasecmp(v, "false", 5) == 0))
        return;
    at->verb = "watch";
}

static void opt(struct ma_json_w *w, const char *key, const char *v)
{
    if (v != NULL && v[0] != '\0') {
        ma_json_w_key(w, key);
        ma_json_w_str(w, v);
    }
}

/* see auth/attrs.h */
void ma_auth_attrs_write_spec(const struct ma_auth_attrs *at, const struct ma_auth_user *u,
                              struct ma_json_w *w)
{
    size_t i, j;

    ma_json_w_obj_begin(w);
    if (at->resource_request) {
        ma_json_w_key(w, "resourceAttributes");
        ma_json_w_obj_begin(w);
        opt(w, "namespace", at->ns);
        opt(w, "verb", at->verb);
        opt(w, "group", at->group);
        opt(w, "version", at->version);
        opt(w, "resource", at->resource);
        opt(w, "subresource", at->subresource);
        opt(w, "name", at->name);
        ma_json_w_obj_end(w);
    } else {
        ma_json_w_key(w, "nonResourceAttributes");
        ma_json_w_obj_begin(w);
        opt(w, "path", at->path);
        opt(w, "verb", at->verb);
        ma_json_w_obj_end(w);
    }
    opt(w, "user", u->name);
    if (u->ngroups > 0) {
        ma_json_w_key(w, "groups");
        ma_json_w_arr_begin(w);
        for (i = 0; i < u->ngroups; i++)
            ma_json_w_str(w, u->groups[i]);
        ma_json_w_arr_end(w);
    }
    if (u->nextras > 0) {
        ma_json_w_key(w, "extra");
        ma_json_w_obj_begin(w);
        for (i = 0; i < u->nextras; i++) {
            ma_json_w_key(w, u->extras[i].key);
            ma_json_w_arr_begin(w);
            for (j = 0; j < u->extras[i].nvalues; j++)
                ma_json_w_str(w, u->extras[i].values[j]);
            ma_json_w_arr_end(w);
        }
        ma_json_w_obj_end(w);
    }
    opt(w, "uid", u->uid);
    ma_json_w_obj_end(w);
}

/* Go's %q for the ASCII/UTF-8 strings we quote: the JSON writer escapes the message anyway, so
 * only the quote and backslash matter here. */
static void quoted(struct ma_buf *b, const char *s)
{
    ma_buf_appendc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ma_buf_appendc(b, '\\');
        ma_buf_appendc(b, *s);
    }
    ma_buf_appendc(b, '"');
}

/* see auth/attrs.h */
void ma_auth_attrs_forbidden(const struct ma_auth_attrs *at, const struct ma_auth_user *u,
                             const char *reason, struct ma_buf *body)
{
    char mem[2048];
    struct ma_buf m;
    struct ma_json_w w;
    int has_gr = at->resource_request && (at->group[0] || at->resource[0]);

    ma_buf_init_fixed(&m, mem, sizeof mem - 1);
    /* apierrors.NewForbidden: "<resource>[.<group>] [\"<name>\" ]is forbidden: <msg>" */
    if (!has_gr) {
        ma_buf_appends(&m, "forbidden: ");
    } else {
        ma_buf_appends(&m, at->resource);
        if (at->group[0]) {
            ma_buf_appendc(&m, '.');
            ma_buf_appends(&m, at->group);
        }
        ma_buf_appendc(&m, ' ');
        if (at->name[0]) {
            quoted(&m, at->name);
            ma_buf_appendc(&m, ' ');
        }
        ma_buf_appends(&m, "is forbidden: ");
    }
    /* responsewriters forbiddenMessage */
    ma_buf_appends(&m, "User ");
    quoted(&m, u->name);
    ma_buf_appendf(&m, " cannot %s ", at->verb);
    if (!at->resource_request) {
        ma_buf_appends(&m, "path ");
        quoted(&m, at->path);
    } else {
        ma_buf_appends(&m, "resource \"");
        ma_buf_appends(&m, at->resource);
        if (at->subresource[0]) {
            ma_buf_appendc(&m, '/');
            ma_buf_appends(&m, at->subresource);
        }
        ma_buf_appends(&m, "\" in API group ");
        quoted(&m, at->group);
        if (at->ns[0]) {
            ma_buf_appends(&m, " in the namespace ");
            quoted(&m, at->ns);
        } else {
            ma_buf_appends(&m, " at the cluster scope");
        }
    }
    if (reason != NULL && reason[0] != '\0') {
        ma_buf_appends(&m, ": ");
        ma_buf_appends(&m, reason);
    }
    ma_json_w_init(&w, body, 0);
    ma_json_w_obj_begin(&w);
    opt(&w, "kind", "Status");
    opt(&w, "apiVersion", "v1");
    ma_json_w_key(&w, "metadata");
    ma_json_w_obj_begin(&w);
    ma_json_w_obj_end(&w);
    opt(&w, "status", "Failure");
    ma_json_w_key(&w, "message");
    ma_json_w_strn(&w, m.p, m.len);
    opt(&w, "reason", "Forbidden");
    ma_json_w_key(&w, "details");
    ma_json_w_obj_begin(&w);
    if (at->resource_request) {
        opt(&w, "name", at->name);
        opt(&w, "group", at->group);
        opt(&w, "kind", at->resource);
    }
    ma_json_w_obj_end(&w);
    ma_json_w_key(&w, "code");
    ma_json_w_int(&w, 403);
    ma_json_w_obj_end(&w);
    ma_json_w_end(&w);
}
