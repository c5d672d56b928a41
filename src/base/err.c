#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* see base/err.h */
void ma_errmsg_set(struct ma_errmsg *em, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (em == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(em->msg, sizeof em->msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof em->msg)
        memcpy(em->msg + sizeof em->msg - 4, "...", 4);
}

/* see base/err.h */
const char *ma_err_name(int code)
{
    switch (code) {
    case MA_OK: return "ok";
    case MA_ERR_PARTIAL: return "incomplete input";
    case MA_ERR_SYNTAX: return "syntax error";
    case MA_ERR_LIMIT: return "limit exceeded";
    case MA_ERR_NOSPACE: return "out of space";
    case MA_ERR_IO: return "I/O error";
    case MA_ERR_TIMEOUT: return "timeout";
    case MA_ERR_NOTFOUND: return "not found";
    case MA_ERR_UPSTREAM: return "upstream error";
    case MA_ERR_DENIED: return "denied";
    }
    return "unknown error";
}
