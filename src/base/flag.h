#ifndef MA_BASE_FLAG_H
#define MA_BASE_FLAG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Table-driven command-line flags in the style of Go's pflag, which the Kubernetes servers use:
 * "--name=value" or "--name value"; booleans also as bare "--name"; "-name" is accepted like Go's
 * flag package. Durations are Go durations ("10s", "1m30s", "250ms"; a bare number is seconds). */

enum ma_flag_type {
    MA_FLAG_BOOL,     /* int *: 0/1; value true|false|1|0 */
    MA_FLAG_INT,      /* long long *, within [min, max] */
    MA_FLAG_DURATION, /* int64_t * in milliseconds, within [min, max] ms */
    MA_FLAG_STRING,   /* const char **: points into argv */
    MA_FLAG_LIST      /* struct ma_flag_list *: repeatable, each value appended */
};

struct ma_flag_list {
    const char **items; /* points into argv */
    size_t n, cap;
};

struct ma_flag {
    const char *name;      /* without dashes */
    enum ma_flag_type type;
    void *target;
    const char *help;      /* one line; the default is printed from the target's initial value */
    long long min, max;    /* for INT and DURATION; min == max == 0 means no bound */
};

/* Parse argv[1..argc) against flags[0..n). Positional arguments are not accepted. On error
 * return MA_ERR_SYNTAX with a one-line reason in em ("unknown flag: --foo", "invalid value
 * \"x\" for --secure-port: not an integer"...). "--help"/"-h" returns MA_ERR_NOTFOUND so the
 * caller prints usage. */
int ma_flag_parse(const struct ma_flag *flags, size_t n, int argc, char **argv,
                  struct ma_errmsg *em);

/* Parse a Go duration into milliseconds (negative values refused). MA_OK or MA_ERR_SYNTAX. */
int ma_flag_parse_duration(const char *s, int64_t *ms);

/* Write usage text for flags to fd. */
void ma_flag_usage(int fd, const char *intro, const struct ma_flag *flags, size_t n);

#endif
