#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Process-wide logging configuration, set once at start-up (see base/log.h). */
static int log_verbosity;
#define LOG_FD 2 /* klog: stderr */

/* see base/log.h */
void ma_log_set_verbosity(int v)
{
    log_verbosity = v;
}

/* see base/log.h */
int ma_log_verbosity(void)
{
    return log_verbosity;
}

/* klog prints the path relative to the module; ours is relative to src/ */
static const char *short_file(const char *f)
{
    const char *p = strstr(f, "src/");

    return p ? p + 4 : f;
}

/* see base/log.h */
void ma_log_write(char sev, const char *file, int line, const char *fmt, ...)
{
    char buf[MA_LOG_LINE];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n, m;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = snprintf(buf, sizeof buf, "%c%02d%02d %02d:%02d:%02d.%06ld %7d %s:%d] ", sev, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec, (int)getpid(),
                 short_file(file), line);
    if (n < 0 || n >= (int)sizeof buf - 2)
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    if ((size_t)m >= sizeof buf - (size_t)n - 1) {
        n = (int)sizeof buf - 1;
        memcpy(buf + n - 3, "...", 3);
    } else {
        n += m;
    }
    buf[n++] = '\n';
    (void)!write(LOG_FD, buf, (size_t)n);
}

/* see base/log.h */
char *ma_log_escape(const char *in, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    if (cap < 4) {
        if (cap > 0)
            out[0] = '\0';
        return out;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
        size_t need = plain ? 1 : 4;
        /* the last byte needs room for the NUL only; others also for a "..." marker */
        size_t reserve = i + 1 < n ? 4 : 1;

        if (o + need + reserve > cap) {
            memcpy(out + (o + 4 <= cap ? o : cap - 4), "...", 3);
            o = (o + 4 <= cap ? o : cap - 4) + 3;
            break;
        }
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}
