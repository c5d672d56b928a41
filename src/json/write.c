#include "json/write.h"

#include "base/buf.h"
#include "base/err.h"

#include <string.h>

/* _count[] bits of an open container */
#define C_SOME 1u /* at least one member or element written */
#define C_OBJ 2u  /* object (else array) */

static void fail(struct ma_json_w *w, int err)
{
    if (w->_err == 0)
        w->_err = err;
}

/* json.Indent: a newline, then two spaces per open container */
static void newline(struct ma_json_w *w, int depth)
{
    static const char spaces[] = "                                ";
    int n = depth * 2;

    ma_buf_appendc(w->out, '\n');
    while (n > 0) {
        int k = n < (int)sizeof spaces - 1 ? n : (int)sizeof spaces - 1;

        ma_buf_append(w->out, spaces, (size_t)k);
        n -= k;
    }
}

/* Separator and bookkeeping before any value; 0 when the value must not be written. */
static int begin_value(struct ma_json_w *w)
{
    unsigned char *c;

    if (w->_err)
        return 0;
    if (w->_depth == 0) {
        if (w->_top) {
            fail(w, MA_ERR_SYNTAX);
            return 0;
        }
        w->_top = 1;
        return 1;
    }
    c = &w->_count[w->_depth - 1];
    if (*c & C_OBJ) {
        if (!w->_after_key) {
            fail(w, MA_ERR_SYNTAX);
            return 0;
        }
        w->_after_key = 0;
        return 1;
    }
    if (*c & C_SOME)
        ma_buf_appendc(w->out, ',');
    if (w->pretty)
        newline(w, w->_depth);
    *c |= C_SOME;
    return 1;
}

/* Go's utf8.DecodeRune acceptance: length of the valid sequence at s[0..n), or 0 if s[0] does not
 * start one (then Go consumes that single byte as RuneError). s[0] >= 0x80. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char b0 = s[0], lo = 0x80, hi = 0xBF;
    size_t len, i;

    if (b0 >= 0xC2 && b0 <= 0xDF)
        len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF)
        len = 3;
    else if (b0 >= 0xF0 && b0 <= 0xF4)
        len = 4;
    else
        return 0;
    if (b0 == 0xE0)
        lo = 0xA0; /* overlong */
    else if (b0 == 0xED)
        hi = 0x9F; /* surrogates */
    else if (b0 == 0xF0)
        lo = 0x90; /* overlong */
    else if (b0 == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* The escape for ASCII byte b, or NULL if it is written as is (Go's htmlSafeSet). */
static const char *ascii_escape(unsigned char b, char tmp[7])
{
    static const char hex[] = "0123456789abcdef";

    switch (b) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    }
    if (b >= 0x20 && b != '<' && b != '>' && b != '&')
        return NULL;
    memcpy(tmp, "\\u00", 4);
    tmp[4] = hex[b >> 4];
    tmp[5] = hex[b & 0xF];
    tmp[6] = '\0';
    return tmp;
}

/* Go encodeState.string with escapeHTML: runs of safe bytes are copied in one append. */
/* 1 for the ASCII bytes written as themselves (Go's HTML-safe set excludes < > &). */
static const unsigned char plain_ascii[256] = {
    [' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
    ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [':'] = 1, [';'] = 1, ['='] = 1, ['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1,
    [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1,
    ['}'] = 1, ['~'] = 1, [0x7f] = 1,
};

/* The output for the input at s[0..n): its escape (or NULL to copy it as is) and how many input
 * bytes it covers. */
static const char *escape_at(const unsigned char *s, size_t n, size_t *len, char tmp[7])
{
    *len = 1;
    if (s[0] < 0x80)
        return ascii_escape(s[0], tmp);
    *len = utf8_len(s, n);
    if (*len == 0) {
        *len = 1;
        return "\\ufffd";
    }
    if (*len == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] & 0xFE) == 0xA8)
        return s[2] == 0xA8 ? "\\u2028" : "\\u2029";
    return NULL;
}

/* Escape s[0..n) straight into reserved buffer space: one pass, no memcpy call per string (this
 * is the hottest loop of a list answer). Input goes in chunks so the worst-case reservation (6
 * output bytes per input byte) stays small; when even that does not fit (a fixed buffer near its
 * end), the exact slow path appends piece by piece so a document that fits is never refused. */
#define STR_CHUNK 1024

static void append_string(struct ma_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, len;
    char tmp[7];

    ma_buf_appendc(b, '"');
    while (i < n && !b->err) {
        size_t end = n - i > STR_CHUNK ? i + STR_CHUNK : n;
        int fast = (end - i + 4) * 6 <= b->cap - b->len || ma_buf_reserve(b, (end - i + 4) * 6) == 0;
        char *o;

        if (!fast) {
            b->err = 0; /* the reservation was only a guess; try exactly */
            for (; i < end && !b->err; i += len) {
                const char *esc = escape_at(s + i, n - i, &len, tmp);

                if (esc != NULL)
                    ma_buf_appends(b, esc);
                else
                    ma_buf_append(b, s + i, len);
            }
            continue;
        }
        o = b->p + b->len;
        while (i < end) {
            const char *esc;

            if (plain_ascii[s[i]]) {
                *o++ = (char)s[i++];
                continue;
            }
            esc = escape_at(s + i, n - i, &len, tmp);
            if (esc == NULL) {
                memcpy(o, s + i, len);
                o += len;
            } else {
                while (*esc)
                    *o++ = *esc++;
            }
            i += len; /* a sequence may end past `end`: the +4 slots of the reservation cover it */
        }
        b->len = (size_t)(o - b->p);
    }
    ma_buf_appendc(b, '"');
}

/* A NUL-terminated string, quoted, then `suffix` (':' after a key, or 0). Names, keys and
 * quantities are short and never need escaping: copy them while scanning, straight into space
 * reserved up front (the per-string cost of a 100-item answer is what this saves). A string
 * that is long or needs escaping leaves the buffer untouched and takes the general path. */
#define CSTR_FAST 64

static void append_cstr(struct ma_buf *b, const char *str, char suffix)
{
    const unsigned char *s = (const unsigned char *)str;
    char *o, *lim;
    size_t n;

    if (b->err)
        return;
    if (b->cap - b->len >= CSTR_FAST + 3 || ma_buf_reserve(b, CSTR_FAST + 3) == MA_OK) {
        o = b->p + b->len;
        lim = o + 1 + CSTR_FAST;
        *o++ = '"';
        while (plain_ascii[*s] && o < lim)
            *o++ = (char)*s++;
        if (*s == '\0') {
            *o++ = '"';
            if (suffix)
                *o++ = suffix;
            b->len = (size_t)(o - b->p);
            return;
        }
    }
    b->err = 0; /* a failed optimistic reservation is not the writer's error yet */
    n = strlen(str);
    append_string(b, str, n);
    if (suffix)
        ma_buf_appendc(b, suffix);
}

/* see json/write.h */
void ma_json_w_init(struct ma_json_w *w, struct ma_buf *out, int pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->pretty = pretty;
}

static void open_container(struct ma_json_w *w, unsigned char kind, char c)
{
    if (!begin_value(w))
        return;
    if (w->_depth >= MA_JSON_MAX_DEPTH) {
        fail(w, MA_ERR_LIMIT);
        return;
    }
    w->_count[w->_depth++] = kind;
    ma_buf_appendc(w->out, c);
}

static void close_container(struct ma_json_w *w, unsigned char kind, char c)
{
    unsigned char cur;

    if (w->_err)
        return;
    if (w->_depth == 0 || w->_after_key || (w->_count[w->_depth - 1] & C_OBJ) != kind) {
        fail(w, MA_ERR_SYNTAX);
        return;
    }
    cur = w->_count[--w->_depth];
    if (w->pretty && (cur & C_SOME))
        newline(w, w->_depth);
    ma_buf_appendc(w->out, c);
}

/* see json/write.h */
void ma_json_w_obj_begin(struct ma_json_w *w)
{
    open_container(w, C_OBJ, '{');
}

/* see json/write.h */
void ma_json_w_obj_end(struct ma_json_w *w)
{
    close_container(w, C_OBJ, '}');
}

/* see json/write.h */
void ma_json_w_arr_begin(struct ma_json_w *w)
{
    open_container(w, 0, '[');
}

/* see json/write.h */
void ma_json_w_arr_end(struct ma_json_w *w)
{
    close_container(w, 0, ']');
}

/* see json/write.h */
void ma_json_w_key(struct ma_json_w *w, const char *key)
{
    unsigned char *c;

    if (w->_err)
        return;
    if (w->_depth == 0 || w->_after_key || !(w->_count[w->_depth - 1] & C_OBJ)) {
        fail(w, MA_ERR_SYNTAX);
        return;
    }
    c = &w->_count[w->_depth - 1];
    if (*c & C_SOME)
        ma_buf_appendc(w->out, ',');
    if (w->pretty)
        newline(w, w->_depth);
    *c |= C_SOME;
    append_cstr(w->out, key, ':');
    if (w->pretty)
        ma_buf_appendc(w->out, ' ');
    w->_after_key = 1;
}

/* see json/write.h */
void ma_json_w_str(struct ma_json_w *w, const char *s)
{
    if (s == NULL)
        ma_json_w_null(w);
    else if (begin_value(w))
        append_cstr(w->out, s, 0);
}

/* see json/write.h */
void ma_json_w_strn(struct ma_json_w *w, const char *s, size_t n)
{
    if (begin_value(w))
        append_string(w->out, s, n);
}

/* see json/write.h */
void ma_json_w_int(struct ma_json_w *w, int64_t v)
{
    if (begin_value(w))
        ma_buf_append_i64(w->out, (long long)v);
}

/* see json/write.h */
void ma_json_w_bool(struct ma_json_w *w, int v)
{
    if (begin_value(w))
        ma_buf_appends(w->out, v ? "true" : "false");
}

/* see json/write.h */
void ma_json_w_null(struct ma_json_w *w)
{
    if (begin_value(w))
        ma_buf_append(w->out, "null", 4);
}

/* see json/write.h */
void ma_json_w_raw(struct ma_json_w *w, const char *json, size_t n)
{
    if (begin_value(w))
        ma_buf_append(w->out, json, n);
}

/* see json/write.h */
int ma_json_w_end(struct ma_json_w *w)
{
    if (w->_err)
        return w->_err;
    if (w->out->err)
        return MA_ERR_NOSPACE;
    if (w->_depth != 0 || w->_after_key || !w->_top)
        return MA_ERR_SYNTAX;
    return MA_OK;
}
