#include "base/time.h"

#include <stdio.h>
#include <string.h>

/* see base/time.h */
int64_t ma_time_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see base/time.h */
int64_t ma_time_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* see base/time.h */
time_t ma_time_wall(void)
{
    return time(NULL);
}

/* see base/time.h */
char *ma_time_rfc3339(time_t t, char *out)
{
    struct tm tm;
    char tmp[80]; /* room for any int the compiler imagines; real years have 4 digits */

    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, MA_TIME_RFC3339_LEN - 1);
    out[MA_TIME_RFC3339_LEN - 1] = '\0';
    return out;
}
