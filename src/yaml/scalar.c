/* Scalars of the YAML subset (yaml/yaml.h): plain ones typed by the YAML 1.2 core schema,
 * quoted ones with their escapes and line folding, | and > block scalars. Each is written
 * straight into the output as a JSON value. */
#include "yaml/reader.h"

#include <stdio.h>
#include <string.h>

/* ---- JSON strings --------------------------------------------------------------------------- */


/* One byte inside a JSON string (RFC 8259 7: escape '"', '\\' and controls). */
static void emit_str_byte(struct ma_yaml_rd *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = {'\\', 'u', '0', '0', 0, 0};

    switch (c) {
    case '"': emit(p, "\\\"", 2); return;
    case '\\': emit(p, "\\\\", 2); return;
    case '\n': emit(p, "\\n", 2); return;
    case '\t': emit(p, "\\t", 2); return;
    case '\r': emit(p, "\\r", 2); return;
    case '\b': emit(p, "\\b", 2); return;
    case '\f': emit(p, "\\f", 2); return;
    }
    if (c < 0x20 || c == 0x7f) { /* DEL too: the JSON then reads back as YAML */
        u[4] = hex[c >> 4];
        u[5] = hex[c & 15];
        emit(p, u, 6);
        return;
    }
    emit_c(p, (char)c);
}

static void emit_str_bytes(struct ma_yaml_rd *p, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        emit_str_byte(p, (unsigned char)s[i]);
}

/* see yaml/reader.h */
void ma_yaml_emit_string(struct ma_yaml_rd *p, const char *s, size_t n)
{
    emit_c(p, '"');
    emit_str_bytes(p, s, n);
    emit_c(p, '"');
}

/* A code point inside a JSON string, as UTF-8. cp MUST be a Unicode scalar value. */
static void emit_cp(struct ma_yaml_rd *p, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        emit_str_byte(p, (unsigned char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        emit(p, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        emit(p, u, 3);
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        emit(p, u, 4);
    }
}

/* ---- plain scalars -------------------------------------------------------------------------- */

/* see yaml/reader.h. Indicators start a plain scalar only as "-", "?" or ":" followed by a safe
 * (non-space, in flow also non-flow-indicator) character. */
int ma_yaml_plain_can_start(const struct ma_yaml_rd *p, size_t i, int flow)
{
    int c = peek(p, i);

    if (c == '-' || c == '?' || c == ':')
        return !is_ws_at(p, i + 1) && !(flow && is_flow_ind(peek(p, i + 1)));
    return c >= 0 && !is_blank(c) && strchr(",[]{}#&*!|>'\"%@`", c) == NULL;
}

/* see yaml/reader.h. Stops at ": ", " #", the line end and, in flow context, flow indicators. */
size_t ma_yaml_scan_plain(const struct ma_yaml_rd *p, int flow)
{
    size_t i = p->pos, end = p->pos;
    int c;

    while (!is_eol_at(p, i)) {
        c = (unsigned char)p->s[i];
        if (c == ':' && (is_ws_at(p, i + 1) || (flow && is_flow_ind(peek(p, i + 1)))))
            break;
        if (c == '#' && i > p->pos && is_blank(p->s[i - 1]))
            break;
        if (flow && is_flow_ind(c))
            break;
        i++;
        if (!is_blank(c))
            end = i;
    }
    return end;
}

static int is_word(const char *t, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(t, w, n) == 0;
}

static size_t count_digits(const char *t, size_t n, size_t i, int base)
{
    size_t k = i;

    for (; k < n; k++) {
        int c = t[k];
        int ok = base == 16 ? (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                            : c >= '0' && c < '0' + base;
        if (!ok)
            break;
    }
    return k - i;
}

/* The core schema's 0o / 0x integers, converted to decimal (JSON has no other base). */
static int emit_based(struct ma_yaml_rd *p, const char *t, size_t n, size_t at)
{
    int base = t[1] == 'x' ? 16 : 8;
    unsigned long long v = 0;
    size_t i;

    if (n < 3 || count_digits(t, n, 2, base) != n - 2)
        return 0;
    for (i = 2; i < n; i++) {
        int d = t[i] <= '9' ? t[i] - '0' : (t[i] | 0x20) - 'a' + 10;
        if (v > (~0ULL - (unsigned)d) / (unsigned)base)
            return syntax(p, at, "integer out of 64-bit range");
        v = v * (unsigned)base + (unsigned)d;
    }
    ma_buf_appendf(p->out, "%llu", v);
    return 1;
}

/* If t[0..n) is a core-schema number, write its JSON form and return 1; 0 if it is not a
 * number; < 0 for numbers JSON cannot carry or YAML 1.1 reads differently. */
static int emit_number(struct ma_yaml_rd *p, const char *t, size_t n, size_t at)
{
    size_t i = 0, d1, d2 = 0, de = 0, e, k;
    int neg = 0, dot = 0;

    if (n >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o'))
        return emit_based(p, t, n, at);
    if (t[0] == '-' || t[0] == '+') {
        neg = t[0] == '-';
        i++;
    }
    if (n - i == 4 && t[i] == '.' &&
        (is_word(t + i + 1, 3, "inf") || is_word(t + i + 1, 3, "Inf") ||
         is_word(t + i + 1, 3, "INF")))
        return syntax(p, at, "JSON has no infinity: quote the value");
    if (is_word(t, n, ".nan") || is_word(t, n, ".NaN") || is_word(t, n, ".NAN"))
        return syntax(p, at, "JSON has no NaN: quote the value");
    d1 = count_digits(t, n, i, 10);
    e = i + d1;
    if (e < n && t[e] == '.') {
        dot = 1;
        d2 = count_digits(t, n, e + 1, 10);
        e += 1 + d2;
    }
    if (d1 + d2 == 0)
        return 0;
    if (e < n && (t[e] == 'e' || t[e] == 'E')) {
        k = e + 1 + (e + 1 < n && (t[e + 1] == '-' || t[e + 1] == '+'));
        de = count_digits(t, n, k, 10);
        if (de == 0)
            return 0;
        e = k + de;
    }
    if (e != n)
        return 0;
    if (!dot && !de && d1 > 1 && t[i] == '0')
        return syntax(p, at, "a leading zero makes an integer octal in YAML 1.1 and decimal in "
                             "1.2: quote it, or write 0o...");
    if (neg)
        emit_c(p, '-');
    /* JSON: no leading zeros, digits on both sides of the point */
    while (d1 > 1 && t[i] == '0') {
        i++;
        d1--;
    }
    if (d1)
        emit(p, t + i, d1);
    else
        emit_c(p, '0');
    if (dot) {
        emit_c(p, '.');
        if (d2)
            emit(p, t + i + d1 + 1, d2);
        else
            emit_c(p, '0');
    }
    if (de) {
        k = i + d1 + dot + d2;
        emit(p, t + k, n - k);
    }
    return 1;
}

/* see yaml/reader.h */
int ma_yaml_emit_plain(struct ma_yaml_rd *p, size_t a, size_t b)
{
    const char *t = p->s + a;
    size_t n = b - a;
    int r;

    if (is_word(t, n, "~") || is_word(t, n, "null") || is_word(t, n, "Null") ||
        is_word(t, n, "NULL")) {
        emit(p, "null", 4);
    } else if (is_word(t, n, "true") || is_word(t, n, "True") || is_word(t, n, "TRUE")) {
        emit(p, "true", 4);
    } else if (is_word(t, n, "false") || is_word(t, n, "False") || is_word(t, n, "FALSE")) {
        emit(p, "false", 5);
    } else if ((r = emit_number(p, t, n, a)) != 0) {
        return r < 0 ? r : MA_OK;
    } else {
        ma_yaml_emit_string(p, t, n);
    }
    return MA_OK;
}

/* ---- multi-line plain scalars ----------------------------------------------------------- */

/* From the end of a content line at i: whether a plain scalar continues on a later line (YAML
 * 1.2 7.3.3: indented more than the parent pind, not a comment, not a document marker). Sets the
 * continuation's first content byte *k, its line start *kbol and the empty lines crossed. */
static int plain_continues(const struct ma_yaml_rd *p, size_t i, int pind, size_t *k,
                           size_t *kbol, int *empty)
{
    size_t j, c, c2;

    *empty = 0;
    for (;;) {
        if (i >= p->len)
            return 0;
        j = i;
        if (p->s[j] == '\r')
            j++;
        if (j < p->len && p->s[j] == '\n')
            j++;
        for (c = j; c < p->len && p->s[c] == ' '; c++)
            ;
        for (c2 = c; c2 < p->len && is_blank(p->s[c2]); c2++)
            ;
        if (is_eol_at(p, c2)) {
            if (c2 >= p->len)
                return 0;
            (*empty)++;
            i = c2;
            continue;
        }
        if ((int)(c - j) <= pind || p->s[c2] == '#' || (c == j && p->len - j >= 3 &&
            (memcmp(p->s + j, "---", 3) == 0 || memcmp(p->s + j, "...", 3) == 0) &&
            is_ws_at(p, j + 3)))
            return 0;
        *k = c2;
        *kbol = j;
        return 1;
    }
}

/* see yaml/reader.h */
int ma_yaml_parse_plain_block(struct ma_yaml_rd *p, int pind)
{
    size_t a = p->pos, end = ma_yaml_scan_plain(p, 0), i, k, kbol;
    int empty;

    for (i = end; i < p->len && is_blank(p->s[i]); i++)
        ;
    if (!is_eol_at(p, i) || !plain_continues(p, i, pind, &k, &kbol, &empty)) {
        p->pos = end;
        return ma_yaml_emit_plain(p, a, end);
    }
    /* folded: a line break is a space, each empty line a newline; always a string */
    emit_c(p, '"');
    emit_str_bytes(p, p->s + a, end - a);
    do {
        if (empty == 0)
            emit_c(p, ' ');
        while (empty-- > 0)
            emit(p, "\\n", 2); /* JSON's escape */
        p->pos = k;
        p->bol = kbol;
        end = ma_yaml_scan_plain(p, 0);
        emit_str_bytes(p, p->s + k, end - k);
        for (i = end; i < p->len && is_blank(p->s[i]); i++)
            ;
    } while (is_eol_at(p, i) && plain_continues(p, i, pind, &k, &kbol, &empty));
    emit_c(p, '"');
    p->pos = end;
    return MA_OK;
}

/* ---- quoted scalars ------------------------------------------------------------------------- */

/* At a line break inside a quoted scalar (YAML 1.2 7.3: flow folding): one break becomes a
 * space (none if escaped), each following empty line a newline; the next line's leading white
 * space is dropped. Continuation lines must be indented more than the parent (pind). */
static int fold_break(struct ma_yaml_rd *p, size_t *pi, int pind, int space)
{
    int empty = 0;
    size_t j, k;

    p->pos = *pi;
    for (;;) {
        eat_break(p);
        for (k = p->pos; k < p->len && p->s[k] == ' '; k++)
            ;
        for (j = k; j < p->len && is_blank(p->s[j]); j++)
            ;
        if (j >= p->len)
            break; /* the caller reports the missing quote */
        if (is_eol_at(p, j)) {
            empty++;
            p->pos = j;
            continue;
        }
        if (is_marker(p, p->pos, '-') || is_marker(p, p->pos, '.'))
            return syntax(p, p->pos, "document marker inside a quoted scalar");
        if ((int)(k - p->pos) <= pind)
            return syntax(p, j, "a quoted scalar's continuation lines must be indented more "
                                "than its parent");
        break;
    }
    if (empty == 0 && space)
        emit_c(p, ' ');
    emit_n(p, "\\n", 2, empty);
    *pi = j;
    return MA_OK;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The escape at s[*pi] == '\\' (YAML 1.2 5.7); *pi moves past it. */
static int parse_escape(struct ma_yaml_rd *p, size_t *pi)
{
    static const char from[] = "0abt\tnvfre \"/\\";
    static const char to[] = "\0\a\b\t\t\n\v\f\r\x1b \"/\\";
    size_t i = *pi + 1, k, n = 0;
    uint32_t cp = 0;
    const char *f;
    int c = peek(p, i), h;

    if (c < 0)
        return syntax(p, *pi, "unterminated escape sequence");
    if (c != 0 && (f = strchr(from, c)) != NULL) {
        cp = (unsigned char)to[f - from];
    } else if (c == 'N') {
        cp = 0x85;
    } else if (c == '_') {
        cp = 0xa0;
    } else if (c == 'L') {
        cp = 0x2028;
    } else if (c == 'P') {
        cp = 0x2029;
    } else if (c == 'x' || c == 'u' || c == 'U') {
        n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        for (k = 1; k <= n; k++) {
            if ((h = hex_value(peek(p, i + k))) < 0)
                return syntax(p, *pi, "\\%c needs %zu hex digits", c, n);
            cp = cp << 4 | (uint32_t)h;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return syntax(p, *pi, "escape is not a Unicode scalar value");
    } else {
        return syntax(p, *pi, "unknown escape sequence");
    }
    emit_cp(p, cp);
    *pi = i + 1 + n;
    return MA_OK;
}

/* see yaml/reader.h */
int ma_yaml_parse_quoted(struct ma_yaml_rd *p, int pind, int key)
{
    size_t open = p->pos, i = p->pos + 1, j;
    char q = p->s[open];
    int r;

    emit_c(p, '"');
    for (;;) {
        if (i >= p->len)
            return syntax(p, open, "unterminated quoted scalar");
        char c = p->s[i];
        if (c == q) {
            if (q == '\'' && peek(p, i + 1) == '\'') {
                emit_c(p, '\'');
                i += 2;
                continue;
            }
            break;
        }
        if (is_blank(c)) {
            for (j = i; j < p->len && is_blank(p->s[j]); j++)
                ;
            if (!is_eol_at(p, j)) /* white space before a line break is folded away */
                emit_str_bytes(p, p->s + i, j - i);
            i = j;
            continue;
        }
        if (c == '\r' || c == '\n' || (q == '"' && c == '\\' && is_eol_at(p, i + 1))) {
            if (key)
                return syntax(p, open, "a mapping key must fit on one line");
            if (c == '\\') { /* escaped line break: folds to nothing */
                if (++i >= p->len)
                    return syntax(p, open, "unterminated quoted scalar");
            }
            if ((r = fold_break(p, &i, pind, c != '\\')) < 0)
                return r;
            continue;
        }
        if (q == '"' && c == '\\') {
            if ((r = parse_escape(p, &i)) < 0)
                return r;
            continue;
        }
        emit_str_byte(p, (unsigned char)c);
        i++;
    }
    emit_c(p, '"');
    p->pos = i + 1;
    return MA_OK;
}

/* ---- block scalars -------------------------------------------------------------------------- */

/* Header "|" or ">" then chomping (- +) and indentation (1-9) indicators in either order. */
static int parse_block_header(struct ma_yaml_rd *p, int *chomp, int *m)
{
    size_t i = p->pos + 1;
    int k, c, chomp_set = 0;

    *chomp = 0;
    *m = 0;
    for (k = 0; k < 2; k++) {
        c = peek(p, i);
        if ((c == '-' || c == '+') && !chomp_set) {
            *chomp = c == '-' ? -1 : 1;
            chomp_set = 1;
        } else if (c >= '1' && c <= '9' && *m == 0) {
            *m = c - '0';
        } else if (c == '0') {
            return syntax(p, i, "a block scalar's indentation indicator is 1-9");
        } else {
            break;
        }
        i++;
    }
    if (!is_ws_at(p, i))
        return syntax(p, i, "unexpected text after a block scalar header");
    while (i < p->len && is_blank(p->s[i]))
        i++;
    if (peek(p, i) == '#')
        i = line_end(p, i);
    if (!is_eol_at(p, i))
        return syntax(p, i, "unexpected text after a block scalar header");
    p->pos = i;
    eat_break(p);
    return MA_OK;
}

/* YAML 1.2 8.1.1.1: without an indicator the content is indented like its first non-empty
 * line; leading empty lines must not be indented more. */
static int detect_indent(struct ma_yaml_rd *p, int pind, int *ci)
{
    size_t j = p->pos, k, widest_at = 0;
    int widest = 0;

    while (j < p->len) {
        for (k = j; k < p->len && p->s[k] == ' '; k++)
            ;
        if (!is_eol_at(p, k)) {
            if ((int)(k - j) > pind && widest > (int)(k - j))
                return syntax(p, widest_at, "a leading empty line of a block scalar is "
                                            "indented more than its first text line");
            *ci = (int)(k - j) > pind ? (int)(k - j) : pind + 1;
            return MA_OK;
        }
        if ((int)(k - j) > widest) {
            widest = (int)(k - j);
            widest_at = k;
        }
        if (k >= p->len)
            break;
        j = k + (p->s[k] == '\r') + 1;
    }
    *ci = widest > pind ? widest : pind + 1; /* no text line: the widest empty line */
    return MA_OK;
}

/* see yaml/reader.h. YAML 1.2 8.1: lines indented at least ci; folding joins two adjacent
 * non-indented text lines with a space; chomping: strip (-1) drops the final line breaks, clip
 * (0) keeps one, keep (1) keeps all. */
int ma_yaml_parse_block_scalar(struct ma_yaml_rd *p, int pind)
{
    int folded = p->s[p->pos] == '>', chomp, m, ci = 0, r;
    int ntext = 0, empty = 0, prev_more = 0, more, last_broke = 0;
    size_t j, k, e;

    if ((r = parse_block_header(p, &chomp, &m)) < 0)
        return r;
    if (m)
        ci = pind + m;
    else if ((r = detect_indent(p, pind, &ci)) < 0)
        return r;
    emit_c(p, '"');
    while ((j = p->pos) < p->len) {
        for (k = j; k < p->len && p->s[k] == ' ' && (int)(k - j) < ci; k++)
            ;
        if ((int)(k - j) < ci) {
            for (e = k; e < p->len && is_blank(p->s[e]); e++)
                ;
            if (!is_eol_at(p, e) || e >= p->len)
                break; /* less indented text (or the end): the scalar is over */
            empty++;
            p->pos = e;
            eat_break(p);
            continue;
        }
        if (is_marker(p, j, '-') || is_marker(p, j, '.'))
            break;
        e = line_end(p, k);
        if (e == k) {
            if (e >= p->len)
                break;
            empty++;
            p->pos = e;
            eat_break(p);
            continue;
        }
        more = is_blank(p->s[k]);
        if (ntext == 0)
            emit_n(p, "\\n", 2, empty);
        else if (folded && !prev_more && !more && empty == 0)
            emit_c(p, ' ');
        else if (folded && !prev_more && !more)
            emit_n(p, "\\n", 2, empty);
        else
            emit_n(p, "\\n", 2, empty + 1);
        emit_str_bytes(p, p->s + k, e - k);
        ntext++;
        empty = 0;
        prev_more = more;
        last_broke = e < p->len;
        p->pos = e;
        eat_break(p);
    }
    if (chomp >= 0 && ntext > 0 && last_broke)
        emit(p, "\\n", 2);
    if (chomp > 0)
        emit_n(p, "\\n", 2, empty);
    emit_c(p, '"');
    return MA_OK;
}

