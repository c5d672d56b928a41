#ifndef MA_BASE_REGEX_H
#define MA_BASE_REGEX_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"

/* Regular expressions in RE2 syntax with Go's regexp semantics: the patterns of
 * prometheus-adapter rules files (name.matches, seriesFilters) and of Prometheus label matchers.
 * Matching runs a Pike VM (a Thompson NFA simulation with submatch slots): time is linear in
 * pattern size x input length, never exponential, and memory is bounded by the program size
 * limit. Submatches are leftmost-first (the first alternative and the greedy choice win), as Go
 * reports them. Input is read as UTF-8 runes; an invalid byte is one rune U+FFFD, as in Go.
 *
 * Supported syntax:
 *  - literals; escapes \a \f \t \n \r \v, octal \0 \012 \123, \x41, \x{263a}, \Q...\E, and any
 *    escaped ASCII punctuation (\. \\ \* \- ...);
 *  - . (no \n unless (?s)), classes [a-z] [^...] with ranges, escapes and Perl classes inside,
 *    Perl classes \d \w \s \D \W \S (ASCII, as RE2), POSIX [[:alpha:]] [[:^digit:]] inside classes;
 *  - anchors ^ $ (text edges; line edges with (?m)), \A \z, ASCII word boundaries \b \B;
 *  - groups (re), (?:re), (?P<name>re), (?<name>re); alternation a|b;
 *  - quantifiers * + ? {n} {n,} {n,m} and their lazy forms *? +? ?? {n,m}?, counts <= 1000;
 *  - flags (?i) (?m) (?s) (?U), with negation (?i-s), scoped (?i:re).
 * Case folding covers ASCII, Latin-1, basic Greek and Cyrillic letters, plus the two non-ASCII
 * folds of ASCII letters Go applies (K/k/U+212A KELVIN SIGN, S/s/U+017F LONG S); other letters
 * (Latin Extended, the rarer Greek forms, other scripts) fold only to themselves.
 * Refused at compile time, with the construct and its byte offset: backreferences (\1),
 * lookaround ((?=, (?!, (?<=, (?<!), possessive and stacked quantifiers (a*+, a**), Unicode
 * classes (\p{..}, \pL), \C, \Z and unknown escapes, repeat counts over 1000, invalid UTF-8,
 * and programs beyond MA_REGEX_MAX_INST instructions. */

/* Compile flags (the same as a leading (?i) (?s) (?m) (?U) would set). */
enum {
    MA_REGEX_FOLD = 1,    /* (?i) */
    MA_REGEX_DOTNL = 2,   /* (?s): . matches \n (Prometheus 3 label matchers use this) */
    MA_REGEX_MULTI = 4,   /* (?m) */
    MA_REGEX_UNGREEDY = 8 /* (?U) */
};

struct ma_regex;

/* Compile pat[0..len) (need not be NUL-terminated). On success *out is a new program owned by
 * the caller (ma_regex_free) and MA_OK is returned. MA_ERR_SYNTAX: not a valid or supported
 * pattern; MA_ERR_LIMIT: beyond MA_REGEX_MAX_PATTERN, MA_REGEX_MAX_INST, MA_REGEX_MAX_GROUPS or
 * MA_REGEX_MAX_DEPTH. On error *out is NULL and em (MAY be NULL) holds
 * "<what> at offset N: `<text>`" naming the construct. */
int ma_regex_compile(const char *pat, size_t len, int flags, struct ma_regex **out,
                     struct ma_errmsg *em);
/* Release re (NULL is a no-op). */
void ma_regex_free(struct ma_regex *re);

/* Number of capture groups, group 0 (the whole match) not counted (Go's NumSubexp). */
int ma_regex_ngroups(const struct ma_regex *re);
/* Name of group i (1..ngroups), "" for an unnamed group, NULL when i is out of range. The string
 * lives as long as re. */
const char *ma_regex_group_name(const struct ma_regex *re, int i);
/* Index of the first group named name[0..n), or -1 (names may repeat, as Go allows). */
int ma_regex_group_index(const struct ma_regex *re, const char *name, size_t n);

/* Unanchored search of s[0..len), as Go's FindStringSubmatchIndex: returns 1 on a match, 0 on
 * none. sub MAY be NULL; otherwise sub[0..nsub) receives pairs of byte offsets (start, end),
 * group 0 first, -1 for a group that did not take part; pairs beyond the program's groups are
 * set to -1. Only the slots asked for are tracked, so nsub = 0 costs least. re is not modified:
 * one program MAY be used by several callers at once. Memory: one allocation of
 * O(instructions x nsub) for the call. */
int ma_regex_search(const struct ma_regex *re, const char *s, size_t len, long *sub, int nsub);
/* Whether the whole of s[0..len) matches (anchored at both ends, as Prometheus anchors =~ and
 * !~ matchers); sub as above. */
int ma_regex_fullmatch(const struct ma_regex *re, const char *s, size_t len, long *sub, int nsub);

/* Append the template tmpl[0..tlen) to out with Go's Regexp.ExpandString rules: $name or ${name}
 * is replaced by the text of that group of src (number or name; a group that did not match and an
 * unknown name give ""), $$ is a literal $, a $ not followed by a valid name is copied as is.
 * A name is the longest run of letters, digits and '_' (so $1x is ${1x}, an unknown name); a
 * number with a leading zero ($01) is a name. Letters are ASCII here (Go also takes non-ASCII
 * letters). sub[0..nsub) are offsets into src from ma_regex_search. */
void ma_regex_expand(const struct ma_regex *re, const char *tmpl, size_t tlen, const char *src,
                     const long *sub, int nsub, struct ma_buf *out);

/* Append s[0..n) with every metacharacter \.+*?()|[]{}^$ escaped by a backslash (Go's
 * QuoteMeta): the result matches s literally. */
void ma_regex_quote_meta(const char *s, size_t n, struct ma_buf *out);

#endif
