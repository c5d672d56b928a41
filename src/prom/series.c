#include "prom/series.h"

#include <string.h>

/* The reader is two layers. The outer one is an explicit state machine over the reply object
 * (picohttpparser style: one byte at a time, no recursion, resumable at any byte). The inner one
 * ("capture") copies one JSON value - a member key, a member value or one element of "data" -
 * into _buf while tracking strings, escapes and nesting only far enough to find where the value
 * ends; the complete value is then checked and decoded by the strict jsmn-based reader, so every
 * byte that reaches the caller went through the same RFC 8259 validation as any other reply. */

enum {
    S_OBJ,        /* before the reply's '{' */
    S_KEY_FIRST,  /* after '{': a key or '}' */
    S_KEY_NEXT,   /* after ',': a key */
    S_KEY,        /* capturing a key */
    S_COLON,      /* after a key */
    S_VALUE,      /* after ':': a value */
    S_MEMBER,     /* capturing a member value */
    S_AFTER,      /* after a member: ',' or '}' */
    S_DATA_FIRST, /* after "data":[ : an element or ']' */
    S_DATA_ELEM,  /* after ',' inside data: an element */
    S_ELEM,       /* capturing an element */
    S_DATA_NEXT,  /* after an element: ',' or ']' */
    S_DONE,       /* after the reply's '}': whitespace only */
    S_FAILED
};

enum { M_OTHER, M_STATUS, M_DATA, M_ERRTYPE, M_ERROR, M_WARNINGS };

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int fail(struct ma_prom_series_ctx *c, int err, const char *what)
{
    c->_state = S_FAILED;
    c->_err = err;
    ma_errmsg_set(&c->_em, "%s", what);
    return err;
}

/* see prom/series.h */
void ma_prom_series_init(struct ma_prom_series_ctx *ctx, ma_prom_series_fn fn, void *arg)
{
    ctx->_fn = fn;
    ctx->_arg = arg;
    ctx->_state = S_OBJ;
    ctx->_err = MA_OK;
    ctx->_member = M_OTHER;
    ctx->_have_status = ctx->_success = ctx->_have_data = 0;
    ctx->_nseries = ctx->_nwarnings = 0;
    ctx->_len = 0;
    ctx->_depth = ctx->_in_str = ctx->_esc = ctx->_started = ctx->_scalar = 0;
    ctx->_em.msg[0] = '\0';
    ctx->_error_type[0] = ctx->_error[0] = ctx->_warning[0] = '\0';
}

/* ---- capture: find the end of one JSON value ---------------------------------------------- */

static void capture_start(struct ma_prom_series_ctx *c)
{
    c->_len = 0;
    c->_depth = c->_in_str = c->_esc = c->_started = c->_scalar = 0;
}

/* Take byte ch into the value being captured. Returns 1 when the value is complete (ch taken),
 * 2 when it was complete before ch (a scalar ends at its delimiter: ch NOT taken), 0 to go on,
 * or a negative error. */
static int capture_byte(struct ma_prom_series_ctx *c, char ch)
{
    int done = 0;

    if (!c->_started) {
        c->_started = 1;
        if (ch == '"')
            c->_in_str = 1;
        else if (ch == '{' || ch == '[')
            c->_depth = 1;
        else
            c->_scalar = 1; /* number, true, false, null: validated once whole */
    } else if (c->_scalar) {
        if (is_ws(ch) || ch == ',' || ch == '}' || ch == ']' || ch == ':')
            return 2;
    } else if (c->_in_str) {
        if (c->_esc)
            c->_esc = 0;
        else if (ch == '\\')
            c->_esc = 1;
        else if (ch == '"') {
            c->_in_str = 0;
            done = c->_depth == 0;
        }
    } else if (ch == '"') {
        c->_in_str = 1;
    } else if (ch == '{' || ch == '[') {
        c->_depth++;
    } else if (ch == '}' || ch == ']') {
        done = --c->_depth == 0;
    }
    if (c->_len == sizeof c->_buf)
        return fail(c, MA_ERR_LIMIT, "a series reply element exceeds "
                                     "MA_PROM_MAX_SERIES_ELEMENT bytes");
    c->_buf[c->_len++] = ch;
    return done;
}

/* ---- what a complete value means -------------------------------------------------------------- */

static int parse_buf(struct ma_prom_series_ctx *c, struct ma_json_doc *d)
{
    return ma_json_parse(d, c->_buf, c->_len, c->_tok, (int)(sizeof c->_tok / sizeof c->_tok[0]),
                         &c->_em);
}

static int end_key(struct ma_prom_series_ctx *c)
{
    struct ma_json_doc d;
    char key[16];
    int rc = parse_buf(c, &d);

    if (rc == MA_ERR_LIMIT || (rc == MA_OK && d.tok[0].type != JSMN_STRING))
        return fail(c, MA_ERR_SYNTAX, "series reply: an object key is not a string");
    if (rc < 0)
        return fail(c, MA_ERR_SYNTAX, "series reply is not JSON");
    c->_member = M_OTHER;
    if (ma_json_str(&d, 0, key, sizeof key) >= 0) {
        if (!strcmp(key, "status"))
            c->_member = M_STATUS;
        else if (!strcmp(key, "data"))
            c->_member = M_DATA;
        else if (!strcmp(key, "errorType"))
            c->_member = M_ERRTYPE;
        else if (!strcmp(key, "error"))
            c->_member = M_ERROR;
        else if (!strcmp(key, "warnings"))
            c->_member = M_WARNINGS;
    }
    return MA_OK;
}

static void copy_str(const struct ma_json_doc *d, int tok, char *out, size_t cap)
{
    /* NOSPACE leaves a truncated, terminated prefix: enough for a message */
    if (ma_json_str(d, tok, out, cap) == MA_ERR_SYNTAX)
        out[0] = '\0';
}

static int end_member(struct ma_prom_series_ctx *c)
{
    struct ma_json_doc d;
    int rc = parse_buf(c, &d), it = 0, t;

    if (rc == MA_ERR_LIMIT) {
        /* too many tokens to decode, yet only "data" (handled element-wise) matters */
        if (c->_member == M_WARNINGS) {
            c->_nwarnings++;
            if (!c->_warning[0])
                strcpy(c->_warning, "(too many to show)");
            return MA_OK;
        }
        if (c->_member == M_OTHER)
            return MA_OK;
        return fail(c, MA_ERR_LIMIT, "series reply: a member is too large");
    }
    if (rc < 0)
        return fail(c, MA_ERR_SYNTAX, "series reply is not JSON");
    switch (c->_member) {
    case M_STATUS:
        if (d.tok[0].type != JSMN_STRING)
            return fail(c, MA_ERR_SYNTAX, "series reply: \"status\" is not a string");
        c->_have_status = 1;
        c->_success = ma_json_str_eq(&d, 0, "success");
        if (!c->_success && !ma_json_str_eq(&d, 0, "error"))
            copy_str(&d, 0, c->_error_type, sizeof c->_error_type);
        break;
    case M_DATA: /* "data" that is not an array: null on error replies; anything else is wrong */
        if (!ma_json_is_null(&d, 0))
            return fail(c, MA_ERR_SYNTAX, "series reply: \"data\" is not an array");
        break;
    case M_ERRTYPE:
        copy_str(&d, 0, c->_error_type, sizeof c->_error_type);
        break;
    case M_ERROR:
        copy_str(&d, 0, c->_error, sizeof c->_error);
        break;
    case M_WARNINGS:
        while ((t = ma_json_next(&d, 0, &it, NULL)) >= 0) {
            if (!c->_nwarnings++)
                copy_str(&d, t, c->_warning, sizeof c->_warning);
        }
        break;
    }
    return MA_OK;
}

static int same(struct ma_str a, struct ma_str b)
{
    return a.len == b.len && !memcmp(a.p, b.p, a.len);
}

/* One element of "data": an object of string label values, e.g. {"__name__":"up","job":"x"}. */
static int end_element(struct ma_prom_series_ctx *c)
{
    struct ma_json_doc d;
    size_t used = 0, n = 0, i;
    int rc = parse_buf(c, &d), it = 0, key, val, len;

    if (rc == MA_ERR_LIMIT)
        return fail(c, MA_ERR_LIMIT, "series reply: a series has more than "
                                     "MA_PROM_MAX_LABELS labels");
    if (rc < 0)
        return fail(c, MA_ERR_SYNTAX, "series reply is not JSON");
    if (d.tok[0].type != JSMN_OBJECT)
        return fail(c, MA_ERR_SYNTAX, "series reply: a \"data\" element is not an object");
    while ((val = ma_json_next(&d, 0, &it, &key)) >= 0) {
        struct ma_prom_label *l = &c->_labels[n];

        if (d.tok[val].type != JSMN_STRING)
            return fail(c, MA_ERR_SYNTAX, "series reply: a label value is not a string");
        /* unescaped text is never longer than its JSON form, quotes included, so the scratch
         * (as large as _buf) always has room: a failure here is a syntax error */
        len = ma_json_str(&d, key, c->_scratch + used, sizeof c->_scratch - used);
        if (len < 0)
            return fail(c, MA_ERR_SYNTAX, "series reply: bad label name");
        l->name = ma_str_make(c->_scratch + used, (size_t)len);
        used += (size_t)len + 1;
        len = ma_json_str(&d, val, c->_scratch + used, sizeof c->_scratch - used);
        if (len < 0)
            return fail(c, MA_ERR_SYNTAX, "series reply: bad label value");
        l->value = ma_str_make(c->_scratch + used, (size_t)len);
        used += (size_t)len + 1;
        /* Prometheus never repeats a label; Go's decoder would keep the last one silently */
        for (i = 0; i < n; i++)
            if (same(c->_labels[i].name, l->name))
                return fail(c, MA_ERR_SYNTAX, "series reply: a series repeats a label name");
        n++;
    }
    c->_nseries++;
    rc = c->_fn ? c->_fn(c->_arg, c->_labels, n) : MA_OK;
    if (rc != MA_OK)
        return fail(c, rc, "stopped by the caller");
    return MA_OK;
}

/* ---- the outer state machine ------------------------------------------------------------------ */

/* Handle one byte; returns MA_OK, 1 to process the same byte again (a scalar's delimiter), or a
 * negative error. */
static int step(struct ma_prom_series_ctx *c, char ch)
{
    int rc;

    switch (c->_state) {
    case S_OBJ:
        if (is_ws(ch))
            return MA_OK;
        if (ch != '{')
            return fail(c, MA_ERR_SYNTAX, "series reply is not a JSON object");
        c->_state = S_KEY_FIRST;
        return MA_OK;
    case S_KEY_FIRST:
    case S_KEY_NEXT:
        if (is_ws(ch))
            return MA_OK;
        if (ch == '}' && c->_state == S_KEY_FIRST) {
            c->_state = S_DONE;
            return MA_OK;
        }
        if (ch != '"')
            return fail(c, MA_ERR_SYNTAX, "series reply is not JSON (expected a key)");
        capture_start(c);
        capture_byte(c, ch);
        c->_state = S_KEY;
        return MA_OK;
    case S_KEY:
        rc = capture_byte(c, ch);
        if (rc == 1) {
            c->_state = S_COLON;
            return end_key(c);
        }
        return rc < 0 ? rc : MA_OK;
    case S_COLON:
        if (is_ws(ch))
            return MA_OK;
        if (ch != ':')
            return fail(c, MA_ERR_SYNTAX, "series reply is not JSON (expected ':')");
        c->_state = S_VALUE;
        return MA_OK;
    case S_VALUE:
        if (is_ws(ch))
            return MA_OK;
        if (c->_member == M_DATA && ch == '[') {
            if (c->_have_data)
                return fail(c, MA_ERR_SYNTAX, "series reply has \"data\" twice");
            c->_have_data = 1;
            c->_state = S_DATA_FIRST;
            return MA_OK;
        }
        capture_start(c);
        c->_state = S_MEMBER;
        return step(c, ch);
    case S_MEMBER: {
        int took = capture_byte(c, ch);

        if (took <= 0)
            return took;
        c->_state = S_AFTER;
        if ((rc = end_member(c)) < 0)
            return rc;
        return took == 2 ? 1 : MA_OK; /* a scalar's delimiter is the next token */
    }
    case S_AFTER:
        if (is_ws(ch))
            return MA_OK;
        if (ch == ',')
            c->_state = S_KEY_NEXT;
        else if (ch == '}')
            c->_state = S_DONE;
        else
            return fail(c, MA_ERR_SYNTAX, "series reply is not JSON (expected ',' or '}')");
        return MA_OK;
    case S_DATA_FIRST:
    case S_DATA_ELEM:
        if (is_ws(ch))
            return MA_OK;
        if (ch == ']' && c->_state == S_DATA_FIRST) {
            c->_state = S_AFTER;
            return MA_OK;
        }
        if (ch != '{')
            return fail(c, MA_ERR_SYNTAX, "series reply: a \"data\" element is not an object");
        capture_start(c);
        capture_byte(c, ch);
        c->_state = S_ELEM;
        return MA_OK;
    case S_ELEM:
        rc = capture_byte(c, ch);
        if (rc == 1) {
            c->_state = S_DATA_NEXT;
            return end_element(c);
        }
        return rc < 0 ? rc : MA_OK;
    case S_DATA_NEXT:
        if (is_ws(ch))
            return MA_OK;
        if (ch == ',')
            c->_state = S_DATA_ELEM;
        else if (ch == ']')
            c->_state = S_AFTER;
        else
            return fail(c, MA_ERR_SYNTAX, "series reply is not JSON (expected ',' or ']')");
        return MA_OK;
    case S_DONE:
        if (is_ws(ch))
            return MA_OK;
        return fail(c, MA_ERR_SYNTAX, "series reply has bytes after its end");
    default:
        return c->_err;
    }
}

/* see prom/series.h */
int ma_prom_series_feed(struct ma_prom_series_ctx *ctx, const char *p, size_t n)
{
    size_t i = 0;
    int rc;

    if (ctx->_state == S_FAILED)
        return ctx->_err;
    while (i < n) {
        /* fast path: inside a captured string, copy up to the next quote or backslash at once */
        if ((ctx->_state == S_ELEM || ctx->_state == S_MEMBER || ctx->_state == S_KEY) &&
            ctx->_in_str && !ctx->_esc) {
            size_t j = i;

            while (j < n && p[j] != '"' && p[j] != '\\')
                j++;
            if (j > i) {
                if (j - i > sizeof ctx->_buf - ctx->_len)
                    return fail(ctx, MA_ERR_LIMIT, "a series reply element exceeds "
                                                   "MA_PROM_MAX_SERIES_ELEMENT bytes");
                memcpy(ctx->_buf + ctx->_len, p + i, j - i);
                ctx->_len += j - i;
                i = j;
                continue;
            }
        }
        rc = step(ctx, p[i]);
        if (rc < 0)
            return rc;
        if (rc == 0)
            i++;
        /* rc == 1: the byte ended a scalar; feed it again in the new state */
    }
    return MA_OK;
}

/* see prom/series.h */
int ma_prom_series_finish(struct ma_prom_series_ctx *ctx, struct ma_errmsg *em)
{
    if (ctx->_state == S_FAILED) {
        ma_errmsg_set(em, "%s", ctx->_em.msg);
        return ctx->_err;
    }
    if (ctx->_state != S_DONE) {
        ma_errmsg_set(em, "series reply ends early (truncated body)");
        return MA_ERR_PARTIAL;
    }
    if (!ctx->_have_status) {
        ma_errmsg_set(em, "series reply has no \"status\"");
        return MA_ERR_UPSTREAM;
    }
    if (!ctx->_success) {
        ma_errmsg_set(em, "%s: %s", ctx->_error_type[0] ? ctx->_error_type : "error",
                      ctx->_error[0] ? ctx->_error : "(no message)");
        return MA_ERR_UPSTREAM;
    }
    if (!ctx->_have_data) {
        ma_errmsg_set(em, "series reply has no \"data\"");
        return MA_ERR_UPSTREAM;
    }
    return MA_OK;
}

/* see prom/series.h */
size_t ma_prom_series_count(const struct ma_prom_series_ctx *ctx)
{
    return ctx->_nseries;
}

/* see prom/series.h */
size_t ma_prom_series_warnings(const struct ma_prom_series_ctx *ctx, const char **first)
{
    if (first)
        *first = ctx->_warning;
    return ctx->_nwarnings;
}
