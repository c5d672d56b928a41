/* YAML subset -> JSON text. A recursive descent over lines: each block collection knows its
 * column, and every parse function leaves the reader at the first content byte of the next
 * content line with its indentation in p->ind, so a collection continues while that equals its
 * column and ends when it is smaller. Output goes straight into the caller's buffer; nothing is
 * allocated. */
#include "yaml/yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "yaml/reader.h"

static int parse_block_node(struct ma_yaml_rd *p, int pind, int coll);
static int parse_flow_node(struct ma_yaml_rd *p, int pind);

/* ---- errors --------------------------------------------------------------------------------- */

/* see yaml/reader.h */
int ma_yaml_fail(struct ma_yaml_rd *p, int code, size_t at, const char *fmt, ...)
{
    char reason[MA_ERRMSG_SIZE];
    size_t i, bol = 0;
    int line = 1;
    va_list ap;

    if (at > p->len)
        at = p->len;
    for (i = 0; i < at; i++) {
        if (p->s[i] == '\n') {
            line++;
            bol = i + 1;
        }
    }
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    ma_errmsg_set(p->em, "line %d column %zu: %s", line, at - bol + 1, reason);
    return code;
}

/* ---- characters and lines ------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), 0 if invalid. s[0] MUST be >= 0x80. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t k, need;

    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 1;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 2;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 3;
    else
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (n <= need || s[1] < lo || s[1] > hi)
        return 0;
    for (k = 2; k <= need; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    return need + 1;
}

/* YAML streams are printable Unicode (YAML 1.2 5.1); JSON strings must be valid UTF-8. */
static int check_chars(struct ma_yaml_rd *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->pos, n;

    while (i < p->len) {
        if (s[i] >= 0x80) {
            if ((n = utf8_len(s + i, p->len - i)) == 0)
                return syntax(p, i, "invalid UTF-8");
            i += n;
            continue;
        }
        if (s[i] == '\r' && peek(p, i + 1) != '\n')
            return syntax(p, i, "carriage return without line feed");
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
            return syntax(p, i, "control character 0x%02x", s[i]);
        i++;
    }
    return MA_OK;
}

/* From the start of a line, skip empty and comment-only lines; leave pos at the first content
 * byte of the next content line and its indentation (or an IND_ code) in p->ind. */
static int next_line(struct ma_yaml_rd *p)
{
    size_t i, j;

    for (;;) {
        if (p->pos >= p->len) {
            p->ind = IND_END;
            return MA_OK;
        }
        for (i = p->pos; i < p->len && p->s[i] == ' '; i++)
            ;
        for (j = i; j < p->len && is_blank(p->s[j]); j++)
            ;
        if (is_eol_at(p, j) || p->s[j] == '#') {
            p->pos = line_end(p, j);
            eat_break(p);
            continue;
        }
        if (p->s[i] == '\t')
            return syntax(p, i, "tab in indentation (YAML indents with spaces)");
        p->pos = i;
        if (is_marker(p, i, '-'))
            p->ind = IND_DOC_START;
        else if (is_marker(p, i, '.'))
            p->ind = IND_DOC_END;
        else
            p->ind = (int)(i - p->bol); /* input <= MA_YAML_MAX_INPUT fits an int */
        return MA_OK;
    }
}

/* After a value: only blanks and a comment may remain on the line; then go to the next
 * content line. */
static int finish_line(struct ma_yaml_rd *p)
{
    size_t i = p->pos;

    while (i < p->len && is_blank(p->s[i]))
        i++;
    if (!is_eol_at(p, i)) {
        if (p->s[i] == '#' && i == p->pos)
            return syntax(p, i, "a comment needs white space before '#'");
        if (p->s[i] == ':')
            return syntax(p, i, "unexpected ':' (a mapping cannot start on its key's line, and "
                                "keys must be on one line)");
        if (p->s[i] != '#')
            return syntax(p, i, "unexpected text after a value");
        i = line_end(p, i);
    }
    p->pos = i;
    eat_break(p);
    return next_line(p);
}

static int refuse_indicator(struct ma_yaml_rd *p, size_t i)
{
    switch (p->s[i]) {
    case '&': return syntax(p, i, "anchors (&) are not supported");
    case '*': return syntax(p, i, "aliases (*) are not supported");
    case '!': return syntax(p, i, "tags (!) are not supported");
    case '?': return syntax(p, i, "complex keys (?) are not supported");
    case '%': return syntax(p, i, "directives (%%) are not supported");
    case '@':
    case '`': return syntax(p, i, "'%c' is reserved and cannot start a plain scalar", p->s[i]);
    case '|':
    case '>': return syntax(p, i, "a block scalar cannot appear here");
    case '-': return syntax(p, i, "a block sequence cannot appear here");
    }
    return syntax(p, i, "unexpected '%c'", p->s[i]);
}

/* ---- keys ----------------------------------------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    while (n--)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* Record the key just written at out[off..len) for the mapping whose keys start at mark;
 * comparing the JSON forms finds duplicates however they were quoted. */
static int add_key(struct ma_yaml_rd *p, int mark, size_t off, size_t at)
{
    const char *k = p->out->p + off;
    size_t n = p->out->len - off;
    uint32_t h;
    int i;

    if (p->out->err)
        return MA_ERR_NOSPACE;
    h = hash_bytes(k, n);
    for (i = mark; i < p->nkeys; i++) {
        if (p->keys[i].hash == h && p->keys[i].len == n &&
            memcmp(p->out->p + p->keys[i].off, k, n) == 0)
            return syntax(p, at, "duplicate key %.*s", n > 60 ? 60 : (int)n, k);
    }
    if (p->nkeys >= MA_YAML_MAX_OPEN_KEYS)
        return ma_yaml_fail(p, MA_ERR_LIMIT, at, "more than %d keys in open mappings",
                            MA_YAML_MAX_OPEN_KEYS);
    p->keys[p->nkeys].hash = h;
    p->keys[p->nkeys].off = off;
    p->keys[p->nkeys].len = n;
    p->nkeys++;
    return MA_OK;
}

/* Whether the content at pos is an implicit key: a one-line quoted or plain scalar followed by
 * ':' and white space. */
static int looks_like_key(const struct ma_yaml_rd *p)
{
    size_t i = p->pos;
    int q = peek(p, i);

    if (q == '"' || q == '\'') {
        for (i++; !is_eol_at(p, i); i++) {
            if (q == '"' && p->s[i] == '\\' && !is_eol_at(p, i + 1)) {
                i++;
                continue;
            }
            if (p->s[i] == q) {
                if (q == '"' || peek(p, i + 1) != '\'')
                    break;
                i++;
            }
        }
        if (is_eol_at(p, i))
            return 0;
        for (i++; i < p->len && is_blank(p->s[i]); i++)
            ;
    } else {
        if (!ma_yaml_plain_can_start(p, i, 0))
            return 0;
        i = ma_yaml_scan_plain(p, 0);
        while (i < p->len && is_blank(p->s[i]))
            i++;
    }
    return peek(p, i) == ':' && is_ws_at(p, i + 1);
}

/* A key at pos (quoted or plain, flow or block context), written as a JSON string and checked
 * against the mapping's other keys; pos ends after the key. */
static int parse_key(struct ma_yaml_rd *p, int flow, int mark)
{
    size_t at = p->pos, off = p->out->len, end;
    int c = peek(p, at), r;

    mark_pos(p);
    if (c == '"' || c == '\'') {
        if ((r = ma_yaml_parse_quoted(p, -1, 1)) < 0)
            return r;
    } else if (c == '[' || c == '{') {
        return syntax(p, at, "collections as mapping keys are not supported");
    } else if (!ma_yaml_plain_can_start(p, at, flow)) {
        return refuse_indicator(p, at);
    } else {
        end = ma_yaml_scan_plain(p, flow);
        ma_yaml_emit_string(p, p->s + at, end - at);
        p->pos = end;
    }
    return add_key(p, mark, off, at);
}

/* ---- flow collections ----------------------------------------------------------------------- */

/* Skip white space, comments and line breaks inside a flow collection opened at `open`. */
static int flow_skip(struct ma_yaml_rd *p, int pind, size_t open)
{
    size_t i, k, e;

    for (;;) {
        for (i = p->pos; i < p->len && is_blank(p->s[i]); i++)
            ;
        if (peek(p, i) == '#') {
            if (i == p->pos && i > p->bol && !is_blank(p->s[i - 1]))
                return syntax(p, i, "a comment needs white space before '#'");
            i = line_end(p, i);
        }
        if (i >= p->len)
            return syntax(p, open, "unterminated flow collection");
        if (p->s[i] != '\r' && p->s[i] != '\n') {
            p->pos = i;
            return MA_OK;
        }
        p->pos = i;
        eat_break(p);
        if (is_marker(p, p->pos, '-') || is_marker(p, p->pos, '.'))
            return syntax(p, p->pos, "document marker inside a flow collection");
        for (k = p->pos; k < p->len && p->s[k] == ' '; k++)
            ;
        for (e = k; e < p->len && is_blank(p->s[e]); e++)
            ;
        if (!is_eol_at(p, e) && p->s[e] != '#' && (int)(k - p->pos) <= pind)
            return syntax(p, e, "a flow collection's continuation lines must be indented more "
                                "than its parent");
        p->pos = k;
    }
}

static int enter(struct ma_yaml_rd *p)
{
    if (p->depth >= MA_YAML_MAX_DEPTH)
        return ma_yaml_fail(p, MA_ERR_LIMIT, p->pos, "nesting deeper than %d",
                            MA_YAML_MAX_DEPTH);
    p->depth++;
    return MA_OK;
}

static int parse_flow_seq(struct ma_yaml_rd *p, int pind)
{
    size_t open = p->pos;
    int n = 0, r, c;

    if ((r = enter(p)) < 0)
        return r;
    emit_c(p, '[');
    p->pos++;
    for (;;) {
        if ((r = flow_skip(p, pind, open)) < 0)
            return r;
        if ((c = p->s[p->pos]) == ']')
            break;
        if (c == ',')
            return syntax(p, p->pos, "unexpected ','");
        if (n++)
            emit_c(p, ',');
        if ((r = parse_flow_node(p, pind)) < 0 || (r = flow_skip(p, pind, open)) < 0)
            return r;
        if ((c = p->s[p->pos]) == ']')
            break;
        if (c == ':')
            return syntax(p, p->pos, "a mapping inside a flow sequence needs braces: [{a: b}]");
        if (c != ',')
            return syntax(p, p->pos, "expected ',' or ']'");
        p->pos++;
    }
    p->pos++;
    emit_c(p, ']');
    p->depth--;
    return MA_OK;
}

static int parse_flow_map(struct ma_yaml_rd *p, int pind)
{
    size_t open = p->pos;
    int n = 0, r, c, mark = p->nkeys;

    if ((r = enter(p)) < 0)
        return r;
    emit_c(p, '{');
    p->pos++;
    for (;;) {
        if ((r = flow_skip(p, pind, open)) < 0)
            return r;
        if ((c = p->s[p->pos]) == '}')
            break;
        if (c == ',')
            return syntax(p, p->pos, "unexpected ','");
        if (n++)
            emit_c(p, ',');
        if (c == '?' && is_ws_at(p, p->pos + 1))
            return refuse_indicator(p, p->pos);
        if ((r = parse_key(p, 1, mark)) < 0)
            return r;
        while (p->pos < p->len && is_blank(p->s[p->pos]))
            p->pos++;
        if (peek(p, p->pos) != ':')
            return syntax(p, p->pos, "expected ':' after a flow mapping key");
        p->pos++;
        emit_c(p, ':');
        if ((r = flow_skip(p, pind, open)) < 0)
            return r;
        c = p->s[p->pos];
        if (c == ',' || c == '}')
            emit(p, "null", 4);
        else if ((r = parse_flow_node(p, pind)) < 0 || (r = flow_skip(p, pind, open)) < 0)
            return r;
        if ((c = p->s[p->pos]) == '}')
            break;
        if (c != ',')
            return syntax(p, p->pos, "expected ',' or '}'");
        p->pos++;
    }
    p->pos++;
    emit_c(p, '}');
    p->nkeys = mark;
    p->depth--;
    return MA_OK;
}

static int parse_flow_node(struct ma_yaml_rd *p, int pind)
{
    size_t i = p->pos, end;
    int c = p->s[i];

    mark_pos(p);
    if (c == '[')
        return parse_flow_seq(p, pind);
    if (c == '{')
        return parse_flow_map(p, pind);
    if (c == '"' || c == '\'')
        return ma_yaml_parse_quoted(p, pind, 0);
    if (!ma_yaml_plain_can_start(p, i, 1))
        return refuse_indicator(p, i);
    end = ma_yaml_scan_plain(p, 1);
    p->pos = end;
    return ma_yaml_emit_plain(p, i, end);
}

/* ---- block collections ---------------------------------------------------------------------- */

/* After a collection's entry: a line indented more than the collection matches nothing. */
static int bad_indent(struct ma_yaml_rd *p)
{
    if (p->after_plain)
        return syntax(p, p->pos, "a plain scalar cannot continue on the next line: quote it or "
                                 "use a | or > block scalar");
    return syntax(p, p->pos, "inconsistent indentation");
}

static int parse_block_map(struct ma_yaml_rd *p, int n)
{
    int r, mark = p->nkeys, first = 1, c;

    if ((r = enter(p)) < 0)
        return r;
    emit_c(p, '{');
    for (;;) {
        if (!first)
            emit_c(p, ',');
        first = 0;
        if (is_dash_entry(p))
            return syntax(p, p->pos, "a sequence entry where a mapping key was expected");
        if (!looks_like_key(p)) {
            c = p->s[p->pos];
            if (!ma_yaml_plain_can_start(p, p->pos, 0) && c != '"' && c != '\'')
                return refuse_indicator(p, p->pos);
            return syntax(p, p->pos, "expected a mapping key (\"key: value\")");
        }
        if ((r = parse_key(p, 0, mark)) < 0)
            return r;
        while (p->s[p->pos] != ':') /* looks_like_key saw it */
            p->pos++;
        p->pos++;
        emit_c(p, ':');
        while (p->pos < p->len && is_blank(p->s[p->pos]))
            p->pos++;
        if (is_eol_at(p, p->pos) || p->s[p->pos] == '#') {
            p->pos = line_end(p, p->pos);
            eat_break(p);
            if ((r = next_line(p)) < 0)
                return r;
            if (p->ind > n)
                r = parse_block_node(p, n, 1);
            else if (p->ind == n && is_dash_entry(p))
                r = parse_block_node(p, n, 1); /* kubectl's "key:\n- a" */
            else
                emit(p, "null", 4);
        } else {
            r = parse_block_node(p, n, 0);
        }
        if (r < 0)
            return r;
        if (p->ind == n && is_dash_entry(p))
            return syntax(p, p->pos, "a sequence entry where a mapping key was expected");
        if (p->ind == n)
            continue;
        if (p->ind > n)
            return bad_indent(p);
        break;
    }
    emit_c(p, '}');
    p->nkeys = mark;
    p->depth--;
    p->after_plain = 0;
    return MA_OK;
}

static int parse_block_seq(struct ma_yaml_rd *p, int n)
{
    int r, first = 1;
    size_t i;

    if ((r = enter(p)) < 0)
        return r;
    emit_c(p, '[');
    for (;;) {
        if (!first)
            emit_c(p, ',');
        first = 0;
        for (i = p->pos + 1; i < p->len && p->s[i] == ' '; i++)
            ;
        if (peek(p, i) == '\t')
            return syntax(p, i, "tab in indentation (YAML indents with spaces)");
        if (is_eol_at(p, i) || p->s[i] == '#') {
            p->pos = line_end(p, i);
            eat_break(p);
            if ((r = next_line(p)) < 0)
                return r;
            if (p->ind > n)
                r = parse_block_node(p, n, 1);
            else
                emit(p, "null", 4);
        } else {
            p->pos = i;
            r = parse_block_node(p, n, 1);
        }
        if (r < 0)
            return r;
        if (p->ind == n && is_dash_entry(p))
            continue;
        if (p->ind > n)
            return bad_indent(p);
        break; /* a key at n belongs to the parent mapping of a "key:\n- a" sequence */
    }
    emit_c(p, ']');
    p->depth--;
    p->after_plain = 0;
    return MA_OK;
}

/* The block node at pos, child of a collection at column pind. coll: a block collection may
 * start here (not on a key's line). */
static int parse_block_node(struct ma_yaml_rd *p, int pind, int coll)
{
    size_t i = p->pos, end;
    int c = p->s[i], col = (int)(i - p->bol), r;

    mark_pos(p);
    p->after_plain = 0;
    if (c == '-' && is_ws_at(p, i + 1)) {
        if (!coll)
            return syntax(p, i, "a block sequence cannot start on its key's line");
        return parse_block_seq(p, col);
    }
    if (c == '|' || c == '>') {
        if ((r = ma_yaml_parse_block_scalar(p, pind)) < 0)
            return r;
        return next_line(p);
    }
    if (c == '[' || c == '{') {
        r = c == '[' ? parse_flow_seq(p, pind) : parse_flow_map(p, pind);
        if (r < 0)
            return r;
        for (i = p->pos; i < p->len && is_blank(p->s[i]); i++)
            ;
        if (peek(p, i) == ':')
            return syntax(p, i, "collections as mapping keys are not supported");
        return finish_line(p);
    }
    if (coll && looks_like_key(p))
        return parse_block_map(p, col);
    if (c == '"' || c == '\'') {
        if ((r = ma_yaml_parse_quoted(p, pind, 0)) < 0)
            return r;
        return finish_line(p);
    }
    if (c == '?' && is_ws_at(p, i + 1))
        return refuse_indicator(p, i);
    if (!ma_yaml_plain_can_start(p, i, 0))
        return refuse_indicator(p, i);
    (void)end;
    if ((r = ma_yaml_parse_plain_block(p, pind)) < 0 || (r = finish_line(p)) < 0)
        return r;
    p->after_plain = 1;
    return MA_OK;
}

/* ---- document ------------------------------------------------------------------------------- */

/* The rest of a "---" or "..." line: only a comment may follow. */
static int finish_marker(struct ma_yaml_rd *p)
{
    size_t i = p->pos + 3;

    while (i < p->len && is_blank(p->s[i]))
        i++;
    if (!is_eol_at(p, i) && p->s[i] != '#')
        return syntax(p, i, "content on a '%.3s' line is not supported", p->s + p->pos);
    p->pos = line_end(p, i);
    eat_break(p);
    return next_line(p);
}

static int parse_document(struct ma_yaml_rd *p)
{
    int r;

    if ((r = check_chars(p)) < 0 || (r = next_line(p)) < 0)
        return r;
    if (p->ind == IND_DOC_START && (r = finish_marker(p)) < 0)
        return r;
    if (p->ind >= 0) {
        if ((r = parse_block_node(p, -1, 1)) < 0)
            return r;
    } else {
        emit(p, "null", 4);
    }
    if (p->ind >= 0)
        return bad_indent(p);
    if (p->ind == IND_DOC_END) {
        if ((r = finish_marker(p)) < 0)
            return r;
        if (p->ind != IND_END)
            return syntax(p, p->pos, "content after the document end '...' (multiple documents "
                                     "are not supported)");
    }
    if (p->ind == IND_DOC_START)
        return syntax(p, p->pos, "multiple documents are not supported");
    return MA_OK;
}

/* see yaml/yaml.h */
int ma_yaml_to_json(const char *yaml, size_t len, struct ma_buf *out, struct ma_errmsg *em)
{
    return ma_yaml_to_json_pos(yaml, len, out, em, NULL);
}

/* see yaml/yaml.h */
void ma_yaml_pos_find(const struct ma_yaml_posmap *pm, const char *yaml, size_t len, size_t off,
                      int *line, int *col)
{
    size_t lo = 0, hi = pm ? pm->n : 0, at = 0, i, bol = 0;

    while (lo < hi) { /* first entry with json > off */
        size_t mid = (lo + hi) / 2;
        if (pm->v[mid].json <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0)
        at = pm->v[lo - 1].yaml;
    if (at > len)
        at = len;
    *line = 1;
    for (i = 0; i < at; i++) {
        if (yaml[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    }
    *col = (int)(at - bol) + 1;
}

/* see yaml/yaml.h */
int ma_yaml_to_json_pos(const char *yaml, size_t len, struct ma_buf *out, struct ma_errmsg *em,
                        struct ma_yaml_posmap *pm)
{
    struct ma_yaml_rd p;
    size_t start = out->len;
    int r;

    if (len > MA_YAML_MAX_INPUT) {
        ma_errmsg_set(em, "line 1 column 1: YAML input of %zu bytes exceeds the %d-byte limit",
                      len, MA_YAML_MAX_INPUT);
        return MA_ERR_LIMIT;
    }
    p.s = yaml;
    p.len = len;
    p.pos = p.bol = 0;
    if (len >= 3 && memcmp(yaml, "\xef\xbb\xbf", 3) == 0)
        p.pos = p.bol = 3;
    p.ind = IND_END;
    p.depth = 0;
    p.after_plain = 0;
    p.out = out;
    p.em = em;
    p.nkeys = 0;
    p.pm = pm;
    if (pm)
        pm->n = 0;
    r = parse_document(&p);
    if ((r == MA_OK || r == MA_ERR_NOSPACE) && out->err) {
        ma_errmsg_set(em, "JSON output exceeds its buffer");
        r = MA_ERR_NOSPACE;
    }
    if (r != MA_OK && out->len > start)
        out->len = start;
    return r;
}
