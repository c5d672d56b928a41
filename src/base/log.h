#ifndef MA_BASE_LOG_H
#define MA_BASE_LOG_H

/* klog-format lines on stderr, one write(2) each:
 *   I1122 03:04:05.123456      12 http/server.c:42] message
 * Severity I/W/E; MA_LOGV(n, ...) is an info line shown only when --v >= n. The verbosity is
 * checked before any formatting (Redis redisLog). Lines longer than MA_LOG_LINE are truncated and
 * end in "...". Never log tokens or keys; escape wire bytes with ma_log_escape. */

#include <stddef.h>

#define MA_LOG_LINE 1024

/* Set once in main before the loop starts; read-only afterwards. */
void ma_log_set_verbosity(int v);
int ma_log_verbosity(void);

void ma_log_write(char sev, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define MA_LOG_I(...) ma_log_write('I', __FILE__, __LINE__, __VA_ARGS__)
#define MA_LOG_W(...) ma_log_write('W', __FILE__, __LINE__, __VA_ARGS__)
#define MA_LOG_E(...) ma_log_write('E', __FILE__, __LINE__, __VA_ARGS__)
#define MA_LOGV(n, ...)                                                                            \
    do {                                                                                           \
        if (ma_log_verbosity() >= (n))                                                             \
            ma_log_write('I', __FILE__, __LINE__, __VA_ARGS__);                                    \
    } while (0)

/* Copy in[0..n) into out (cap bytes, NUL-terminated) with bytes outside printable ASCII, '"' and
 * '\\' escaped as \xNN (Redis sdscatrepr), truncating with "..." when out is too small.
 * Returns out. */
char *ma_log_escape(const char *in, size_t n, char *out, size_t cap);

#endif
