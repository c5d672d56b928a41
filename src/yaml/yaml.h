#ifndef MA_YAML_YAML_H
#define MA_YAML_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"

/* A reader for the subset of YAML that configuration files use (kubeconfig as `kubectl config`
 * writes it, prometheus-adapter's config). It converts YAML text into JSON text, so every
 * configuration is then read by one path: json/read.h.
 *
 * The subset:
 *  - one document: an optional "---" line first, an optional "..." line last; a second
 *    document is refused;
 *  - block mappings, block sequences ("- a", "- key: v", and the sequence at the same
 *    indentation as its parent key, "key:\n- a", as kubectl writes it), indentation by spaces;
 *  - plain scalars, over several lines when continuation lines are indented more than the
 *    parent collection (folded: a line break is a space, an empty line a newline; a multi-line
 *    plain scalar is always a string), as Helm's toYaml writes long values; single-quoted ('' escape) and double-quoted scalars (all YAML
 *    escapes: \0 \a \b \t \n \v \f \r \e \  \" \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX), which
 *    may span lines (line folding as YAML specifies);
 *  - `|` literal and `>` folded block scalars with chomping (- +) and indentation (1-9) indicators;
 *  - flow sequences [a, "b", 1] and flow mappings {a: 1, b: x}, nested, across lines;
 *  - comments.
 * Plain scalars are typed by the YAML 1.2 core schema: null, Null, NULL, ~ and empty -> null;
 * true, True, TRUE, false, False, FALSE -> booleans; decimal, 0o octal and 0x hex integers and
 * floats -> JSON numbers (written in JSON's form: "+1" -> 1, "0x1f" -> 31, ".5" -> 0.5); anything
 * else, YAML 1.1 words such as yes/no/on/off included, is a string. Quoted scalars are always
 * strings; mapping keys are always JSON strings (the key's text). Refused, because JSON cannot
 * carry them or because YAML 1.1 (Go's yaml.v2) and 1.2 read them differently: .inf/.nan,
 * integers with a leading zero (0644), hex/octal beyond 64 bits.
 *
 * Everything outside the subset is an error, never a silent misread: anchors (&), aliases (*),
 * tags (!), complex keys (?), directives (%), reserved indicators (@ `), tabs in indentation,
 * duplicate keys, inconsistent indentation, control
 * characters and invalid UTF-8. */

/* Convert the YAML document yaml[0..len) into one JSON value appended to out: compact (no
 * white space), keys in document order, strings escaped as RFC 8259 requires (controls and DEL
 * as \u00XX), non-ASCII UTF-8 passed through. An empty document (only comments) gives "null".
 * JSON is flow YAML: our own output converts back to itself. yaml need not be NUL-terminated;
 * a leading UTF-8 BOM is skipped. Nothing is allocated but through out; the reader keeps its
 * open-key table on the stack (about 25 KiB).
 * Returns MA_OK; MA_ERR_SYNTAX for input outside the subset and MA_ERR_LIMIT for input beyond
 * MA_YAML_MAX_INPUT, MA_YAML_MAX_DEPTH or MA_YAML_MAX_OPEN_KEYS, both with em set to
 * "line L column C: reason" (1-based, columns count bytes); MA_ERR_NOSPACE when out is full.
 * On any error out->len is restored to its value at entry (out->err stays set for NOSPACE).
 * em MAY be NULL. */
int ma_yaml_to_json(const char *yaml, size_t len, struct ma_buf *out, struct ma_errmsg *em);

/* Where each JSON value and key came from, so that a reader of the JSON can name the YAML line
 * and column of a value it refuses. Entries are in increasing json order. */
struct ma_yaml_pos {
    uint32_t json, yaml; /* offset in out of the value's (or key's) first byte; in the YAML */
};
struct ma_yaml_posmap {
    struct ma_yaml_pos *v; /* caller-owned array of cap entries */
    size_t n, cap;         /* n: entries filled; when full, later nodes are not recorded */
};

/* ma_yaml_to_json that also fills pm (pm->n is reset first; pm MAY be NULL). */
int ma_yaml_to_json_pos(const char *yaml, size_t len, struct ma_buf *out, struct ma_errmsg *em,
                        struct ma_yaml_posmap *pm);
/* 1-based line and byte column in yaml[0..len) of the node whose JSON text begins at or just
 * before json offset off (the last entry at or before off; line 1 column 1 when none). */
void ma_yaml_pos_find(const struct ma_yaml_posmap *pm, const char *yaml, size_t len, size_t off,
                      int *line, int *col);

#endif
