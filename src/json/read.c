#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "json/read.h"

/* jsmn (even with JSMN_STRICT) is lax: it accepts "[1 2]", "[1,]", "{"a":1,}", "tru", "01", raw
 * control characters in strings, trailing ",", and several top-level values. Its tokens are
 * right for valid JSON, so ma_json_parse walks the text once more against the tokens with a
 * small grammar automaton (RFC 8259) and refuses anything jsmn let through. The open containers
 * need no stack: the parent links are one. */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int valid_tok(const struct ma_json_doc *d, int tok)
{
    return tok >= 0 && tok < d->ntok;
}

/* number = [ "-" ] int [ frac ] [ exp ] (RFC 8259 6) */
static int check_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p == end || !is_digit(*p))
        return 0;
    if (*p++ == '0') {
        if (p < end && is_digit(*p))
            return 0; /* leading zero */
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return 0;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            return 0;
        while (p < end && is_digit(*p))
            p++;
    }
    return p == end;
}

static int check_primitive(const char *p, size_t n)
{
    if (n == 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0))
        return 1;
    if (n == 5 && memcmp(p, "false", 5) == 0)
        return 1;
    return check_number(p, p + n);
}

/* The grammar position of the validating walk. */
enum {
    G_VALUE,       /* a value must follow (root, after ':' or after ',' in an array) */
    G_FIRST_VALUE, /* after '[': a value or ']' */
    G_FIRST_KEY,   /* after '{': a key or '}' */
    G_KEY,         /* after ',' in an object: a key */
    G_COLON,       /* after a key */
    G_AFTER        /* after a value: ',' or the closing bracket of the container */
};

static int bad(struct ma_errmsg *em, size_t at, const char *why)
{
    ma_errmsg_set(em, "invalid JSON at offset %zu: %s", at, why);
    return MA_ERR_SYNTAX;
}

/* Token k must be the string starting at js[p] == '"', child of `parent`, with `size` children
 * (1 for a key, 0 for a value). Returns the offset after its closing quote, or 0. */
static size_t match_string(const struct ma_json_doc *d, int k, size_t p, int parent, int size)
{
    const jsmntok_t *t = &d->tok[k];
    int i;

    if (t->type != JSMN_STRING || t->parent != parent || t->size != size || t->start < 0 ||
        (size_t)t->start != p + 1 || t->end < t->start || (size_t)t->end >= d->len ||
        d->js[t->end] != '"')
        return 0;
    /* RFC 8259 7: control characters MUST be escaped; jsmn does not check */
    for (i = t->start; i < t->end; i++)
        if ((unsigned char)d->js[i] < 0x20)
            return 0;
    return (size_t)t->end + 1;
}

/* Closing bracket at js[p] for container cur: returns the enclosing container (skipping the key
 * a container value hangs from), or -2 on a mismatch. */
static int close_container(const struct ma_json_doc *d, int cur, size_t p)
{
    const jsmntok_t *t = &d->tok[cur];
    int up;

    if ((d->js[p] == '}') != (t->type == JSMN_OBJECT) || t->end < 0 || (size_t)t->end != p + 1)
        return -2;
    up = t->parent;
    if (up >= 0 && d->tok[up].type == JSMN_STRING)
        up = d->tok[up].parent;
    return up;
}

/* Walk js[0..len) with the grammar automaton, matching each key and value to the next token in
 * document order and checking its type, offsets and parent link. */
static int check_tokens(const struct ma_json_doc *d, struct ma_errmsg *em)
{
    const char *js = d->js;
    size_t p = 0, q;
    int k = 0, cur = -1, key = -1, state = G_VALUE, parent;
    const jsmntok_t *t;
    char c;

    for (;;) {
        while (p < d->len && is_ws(js[p]))
            p++;
        if (state == G_AFTER && cur == -1)
            break; /* the root value is complete */
        if (p == d->len)
            return bad(em, p, "unexpected end");
        c = js[p];
        if (state == G_COLON) {
            if (c != ':')
                return bad(em, p, "expected ':'");
            p++;
            state = G_VALUE;
            continue;
        }
        if (state == G_AFTER && c == ',') {
            p++;
            state = d->tok[cur].type == JSMN_OBJECT ? G_KEY : G_VALUE;
            continue;
        }
        if (state == G_AFTER || (state == G_FIRST_KEY && c == '}') ||
            (state == G_FIRST_VALUE && c == ']')) {
            if (c != '}' && c != ']')
                return bad(em, p, "expected ',' or a closing bracket");
            if ((cur = close_container(d, cur, p)) == -2)
                return bad(em, p, "mismatched bracket");
            p++;
            state = G_AFTER;
            continue;
        }
        if (k == d->ntok)
            return bad(em, p, "unexpected token");
        if (state == G_KEY || state == G_FIRST_KEY) {
            if (c != '"' || !(q = match_string(d, k, p, cur, 1)))
                return bad(em, p, "expected a member name");
            key = k++;
            p = q;
            state = G_COLON;
            continue;
        }

        /* a value: child of the pending key, else of the current container */
        t = &d->tok[k];
        parent = key >= 0 ? key : cur;
        if (c == '"') {
            if (!(q = match_string(d, k, p, parent, 0)))
                return bad(em, p, "bad string");
            p = q;
            state = G_AFTER;
        } else if (t->start < 0 || (size_t)t->start != p || t->parent != parent) {
            return bad(em, p, "unexpected character");
        } else if (c == '{' || c == '[') {
            if (t->type != (c == '{' ? JSMN_OBJECT : JSMN_ARRAY))
                return bad(em, p, "unexpected character");
            cur = k;
            p++;
            state = c == '{' ? G_FIRST_KEY : G_FIRST_VALUE;
        } else {
            if (t->type != JSMN_PRIMITIVE || t->size != 0 || t->end < t->start ||
                (size_t)t->end > d->len ||
                !check_primitive(js + t->start, (size_t)(t->end - t->start)))
                return bad(em, p, "bad number or literal");
            p = (size_t)t->end;
            state = G_AFTER;
        }
        key = -1;
        k++;
    }
    if (p != d->len)
        return bad(em, p, "trailing data after the value");
    if (k != d->ntok)
        return bad(em, p, "token count mismatch");
    return MA_OK;
}

/* see json/read.h */
int ma_json_parse(struct ma_json_doc *d, const char *js, size_t len, jsmntok_t *toks, int max,
                  struct ma_errmsg *em)
{
    jsmn_parser p;
    size_t s, e;
    int r;

    d->js = js;
    d->len = len;
    d->tok = toks;
    d->ntok = 0;
    if (len > INT_MAX) { /* jsmn offsets are int */
        ma_errmsg_set(em, "JSON document of %zu bytes is too large", len);
        return MA_ERR_LIMIT;
    }
    if (max <= 0) {
        ma_errmsg_set(em, "no room for JSON tokens");
        return MA_ERR_LIMIT;
    }
    jsmn_init(&p);
    r = jsmn_parse(&p, js, len, toks, (unsigned int)max);
    if (r == JSMN_ERROR_NOMEM) {
        ma_errmsg_set(em, "JSON document has more than %d tokens", max);
        return MA_ERR_LIMIT;
    }
    for (s = 0; s < len && is_ws(js[s]); s++)
        ;
    if (r == JSMN_ERROR_PART && s < len && js[s] != '{' && js[s] != '[' && js[s] != '"') {
        /* JSMN_STRICT wants a delimiter after a primitive, so a bare top-level number or literal
         * running to the end looks incomplete; make its token and let the walk judge it */
        for (e = len; is_ws(js[e - 1]); e--)
            ;
        toks[0].type = JSMN_PRIMITIVE;
        toks[0].start = (int)s;
        toks[0].end = (int)e;
        toks[0].size = 0;
        toks[0].parent = -1;
        r = 1;
    }
    if (r == JSMN_ERROR_PART)
        return bad(em, len, "incomplete document");
    if (r < 0)
        return bad(em, p.pos, "unexpected character");
    if (r == 0)
        return bad(em, len, "empty document");
    d->ntok = r;
    if ((r = check_tokens(d, em)) != MA_OK)
        d->ntok = 0;
    return r;
}

/* see json/read.h */
int ma_json_skip(const struct ma_json_doc *d, int tok)
{
    long pending = 1; /* tokens of the subtree still to pass; each token brings `size` children */

    if (!valid_tok(d, tok))
        return d->ntok;
    while (pending > 0 && tok < d->ntok) {
        pending += d->tok[tok].size - 1;
        tok++;
    }
    return tok;
}

/* see json/read.h */
int ma_json_next(const struct ma_json_doc *d, int container, int *it, int *key)
{
    int c, type;

    if (key)
        *key = -1;
    if (!valid_tok(d, container))
        return -1;
    c = *it == 0 ? container + 1 : *it;
    type = d->tok[container].type;
    if ((type != JSMN_OBJECT && type != JSMN_ARRAY) || c <= container || c >= d->ntok ||
        d->tok[c].parent != container) {
        *it = d->ntok;
        return -1;
    }
    *it = ma_json_skip(d, c);
    if (type == JSMN_ARRAY)
        return c;
    if (c + 1 >= d->ntok || d->tok[c + 1].parent != c) {
        *it = d->ntok; /* a key without value: not from ma_json_parse */
        return -1;
    }
    if (key)
        *key = c;
    return c + 1;
}

/* ---- strings -------------------------------------------------------------------------------- */

#define REPLACEMENT 0xFFFD /* U+FFFD, what Go's encoding/json puts for bad surrogates and bytes */

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    int i;

    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(unsigned cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 4: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    int n, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (end - p < n)
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Decode one unit of string text at *pp (< end) into o[0..4): returns its byte count and
 * advances *pp, or -1 on a bad escape. Go's rules: a surrogate escape not forming a pair, and
 * each byte of ill-formed UTF-8, become U+FFFD. */
static int decode_unit(const char **pp, const char *end, unsigned char *o)
{
    const char *p = *pp;
    unsigned cp, lo;
    int n;

    if (*p != '\\') {
        n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
        if (n == 0) {
            *pp = p + 1;
            return put_utf8(REPLACEMENT, o);
        }
        memcpy(o, p, (size_t)n);
        *pp = p + n;
        return n;
    }
    if (++p == end)
        return -1;
    switch (*p) {
    case '"': case '\\': case '/': o[0] = (unsigned char)*p; break;
    case 'b': o[0] = '\b'; break;
    case 'f': o[0] = '\f'; break;
    case 'n': o[0] = '\n'; break;
    case 'r': o[0] = '\r'; break;
    case 't': o[0] = '\t'; break;
    case 'u':
        if (hex4(p + 1, end, &cp) < 0)
            return -1;
        p += 5;
        if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hex4(p + 2, end, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = REPLACEMENT; /* the next escape, if any, is decoded on its own */
        }
        *pp = p;
        return put_utf8(cp, o);
    default:
        return -1;
    }
    *pp = p + 1;
    return 1;
}

static int string_span(const struct ma_json_doc *d, int tok, const char **p, const char **end)
{
    if (!valid_tok(d, tok) || d->tok[tok].type != JSMN_STRING)
        return -1;
    *p = d->js + d->tok[tok].start;
    *end = d->js + d->tok[tok].end;
    return 0;
}

/* 1 if string tok decodes to exactly s[0..n). */
static int string_eq(const struct ma_json_doc *d, int tok, const char *s, size_t n)
{
    const char *p, *end;
    unsigned char o[4];
    int m;

    if (string_span(d, tok, &p, &end) < 0)
        return 0;
    while (p < end) {
        if ((m = decode_unit(&p, end, o)) < 0 || (size_t)m > n || memcmp(o, s, (size_t)m) != 0)
            return 0;
        s += m;
        n -= (size_t)m;
    }
    return n == 0;
}

/* see json/read.h */
int ma_json_str_eq(const struct ma_json_doc *d, int tok, const char *s)
{
    return string_eq(d, tok, s, strlen(s));
}

/* see json/read.h */
int ma_json_str_len(const struct ma_json_doc *d, int tok)
{
    const char *p, *end;
    unsigned char o[4];
    size_t n = 0;
    int m;

    if (string_span(d, tok, &p, &end) < 0)
        return MA_ERR_SYNTAX;
    while (p < end) {
        if ((m = decode_unit(&p, end, o)) < 0)
            return MA_ERR_SYNTAX;
        n += (size_t)m;
    }
    return n > INT_MAX ? MA_ERR_LIMIT : (int)n; /* ill-formed bytes triple in size */
}

/* see json/read.h */
int ma_json_str(const struct ma_json_doc *d, int tok, char *out, size_t cap)
{
    const char *p, *end;
    unsigned char o[4];
    size_t n = 0;
    int m;

    if (string_span(d, tok, &p, &end) < 0)
        return MA_ERR_SYNTAX;
    if (cap == 0)
        return MA_ERR_NOSPACE;
    out[0] = '\0';
    while (p < end) {
        if ((m = decode_unit(&p, end, o)) < 0)
            return MA_ERR_SYNTAX;
        if ((size_t)m >= cap - n) { /* n < cap always: keep a byte for the NUL */
            out[n] = '\0';
            return MA_ERR_NOSPACE;
        }
        memcpy(out + n, o, (size_t)m);
        n += (size_t)m;
    }
    if (n > INT_MAX)
        return MA_ERR_LIMIT;
    out[n] = '\0';
    return (int)n;
}

/* ---- lookups -------------------------------------------------------------------------------- */

/* The LAST member named key: Go's encoding/json lets a repeated key overwrite the earlier one,
 * and every decoder of ours (pods, caches) must see the object kube-apiserver's clients see. */
static int get_n(const struct ma_json_doc *d, int obj, const char *key, size_t n)
{
    int it = 0, k, v, found = -1;

    if (!valid_tok(d, obj) || d->tok[obj].type != JSMN_OBJECT)
        return -1;
    while ((v = ma_json_next(d, obj, &it, &k)) >= 0)
        if (string_eq(d, k, key, n))
            found = v;
    return found;
}

/* see json/read.h */
int ma_json_get(const struct ma_json_doc *d, int obj, const char *key)
{
    return get_n(d, obj, key, strlen(key));
}

/* see json/read.h */
int ma_json_path(const struct ma_json_doc *d, int obj, const char *dotted)
{
    const char *dot;

    for (;;) {
        dot = strchr(dotted, '.');
        if (!dot)
            return get_n(d, obj, dotted, strlen(dotted));
        if ((obj = get_n(d, obj, dotted, (size_t)(dot - dotted))) < 0)
            return -1;
        dotted = dot + 1;
    }
}

/* ---- scalars -------------------------------------------------------------------------------- */

static int primitive(const struct ma_json_doc *d, int tok, const char **p, size_t *n)
{
    if (!valid_tok(d, tok) || d->tok[tok].type != JSMN_PRIMITIVE)
        return -1;
    *p = d->js + d->tok[tok].start;
    *n = (size_t)(d->tok[tok].end - d->tok[tok].start);
    return *n > 0 ? 0 : -1;
}

/* see json/read.h */
int ma_json_is_null(const struct ma_json_doc *d, int tok)
{
    const char *p;
    size_t n;

    if (!valid_tok(d, tok))
        return 1;
    return primitive(d, tok, &p, &n) == 0 && *p == 'n';
}

/* see json/read.h */
int ma_json_bool(const struct ma_json_doc *d, int tok, int *out)
{
    const char *p;
    size_t n;

    if (primitive(d, tok, &p, &n) < 0 || (*p != 't' && *p != 'f'))
        return MA_ERR_SYNTAX;
    *out = *p == 't';
    return MA_OK;
}

/* A decimal D * 10^e being collected for ma_json_i64: D's significant digits (leading zeros
 * dropped), at most 19, since int64 has 19 digits. */
struct decimal {
    char dig[19];
    size_t n;
    long long e;
    int too_long; /* a 20th significant non-zero digit: a fraction or out of range either way */
};

static void add_digit(struct decimal *x, char c, int frac)
{
    if (frac)
        x->e--; /* every fraction digit scales D by 1/10 */
    if (x->n == 0 && c == '0')
        return;
    if (x->n < sizeof(x->dig))
        x->dig[x->n++] = c;
    else if (c == '0')
        x->e++; /* D * 10 without storing the zero */
    else
        x->too_long = 1;
}

/* Exact integer reading of every number form: int and frac digits make a decimal integer D scaled
 * by 10^e; trailing zeros of D move into e; the value is an integer iff then e >= 0. No floating
 * point, so 12345678901234567e0 stays exact, and no strtoll, which knows no exponents. */
int ma_json_i64(const struct ma_json_doc *d, int tok, int64_t *out)
{
    struct decimal x = {{0}, 0, 0, 0};
    const char *p, *end;
    long long exp = 0;
    uint64_t v = 0, lim;
    int neg = 0, exp_neg = 0;
    size_t n, i;

    if (primitive(d, tok, &p, &n) < 0 || !check_number(p, p + n))
        return MA_ERR_SYNTAX;
    end = p + n;
    if (*p == '-')
        neg = 1, p++;
    for (; p < end && is_digit(*p); p++)
        add_digit(&x, *p, 0);
    if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p); p++)
            add_digit(&x, *p, 1);
    if (p < end) { /* 'e' or 'E' */
        if (*++p == '+' || *p == '-')
            exp_neg = *p++ == '-';
        for (; p < end; p++) /* saturated: past 10^6 the verdict no longer changes */
            if (exp < 1000000)
                exp = exp * 10 + (*p - '0');
        x.e += exp_neg ? -exp : exp;
    }
    if (x.too_long)
        return MA_ERR_SYNTAX;
    while (x.n > 0 && x.dig[x.n - 1] == '0')
        x.n--, x.e++;
    if (x.n == 0) {
        *out = 0; /* also -0, 0e999, 0.000 */
        return MA_OK;
    }
    if (x.e < 0 || (long long)x.n + x.e > 19)
        return MA_ERR_SYNTAX; /* a fraction, or at least 10^19 */
    for (i = 0; i < x.n; i++)
        v = v * 10 + (uint64_t)(x.dig[i] - '0');
    for (; x.e > 0; x.e--)
        v *= 10;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (v > lim)
        return MA_ERR_SYNTAX;
    *out = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v; /* -2^63 without overflow */
    return MA_OK;
}

/* see json/read.h */
int ma_json_f64(const struct ma_json_doc *d, int tok, double *out)
{
    char copy[MA_JSON_MAX_NUMBER + 1];
    const char *p;
    char *end;
    size_t n;
    double v;

    if (primitive(d, tok, &p, &n) < 0 || !check_number(p, p + n))
        return MA_ERR_SYNTAX;
    if (n > MA_JSON_MAX_NUMBER)
        return MA_ERR_LIMIT;
    /* strtod needs a NUL; the document is not NUL-terminated. The process never calls
     * setlocale, so the decimal point is '.'. */
    memcpy(copy, p, n);
    copy[n] = '\0';
    errno = 0;
    v = strtod(copy, &end);
    if ((size_t)(end - copy) != n)
        return MA_ERR_SYNTAX;
    /* overflow is an error; underflow to 0 or a subnormal is not (Go's ParseFloat agrees) */
    if (errno == ERANGE && isinf(v))
        return MA_ERR_SYNTAX;
    *out = v;
    return MA_OK;
}
