#ifndef MA_BASE_ERR_H
#define MA_BASE_ERR_H

/* One error vocabulary for the whole program. Functions return int: >= 0 is a count or MA_OK,
 * < 0 is one of these codes (picohttpparser and jsmn do the same). Human detail travels separately
 * in an optional struct ma_errmsg. */
enum {
    MA_OK = 0,
    MA_ERR_PARTIAL = -1,  /* input incomplete: call again with more bytes */
    MA_ERR_SYNTAX = -2,   /* input malformed */
    MA_ERR_LIMIT = -3,    /* input exceeds a configured or compiled limit */
    MA_ERR_NOSPACE = -4,  /* output buffer or arena full: retry with more room */
    MA_ERR_IO = -5,       /* system call failed */
    MA_ERR_TIMEOUT = -6,  /* deadline passed */
    MA_ERR_NOTFOUND = -7, /* no such object, key or route */
    MA_ERR_UPSTREAM = -8, /* a backend or kube-apiserver failed */
    MA_ERR_DENIED = -9    /* authentication or authorization refused */
};

#define MA_ERRMSG_SIZE 256 /* room for a Status message naming a metric, an object and a series */

/* Human-readable detail of a failure: becomes the Status message and the log line. */
struct ma_errmsg {
    char msg[MA_ERRMSG_SIZE];
};

/* printf into em->msg, truncating (marked with "...") when too long. em MAY be NULL (no-op). */
void ma_errmsg_set(struct ma_errmsg *em, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Static name of an error code ("syntax error", ...); never NULL. */
const char *ma_err_name(int code);

#endif
