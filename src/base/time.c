#include "base/time.h"


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

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* see base/time.h */
char *ma_time_rfc3339(time_t t, char *out)
{
    struct tm tm;
    int year;
    char *p = out;

    /* formatted by hand: this runs once per item of every list answer, where snprintf cost
     * more than all the JSON around it */
    gmtime_r(&t, &tm);
    year = tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        year = year < 0 ? 0 : 9999; /* metav1.Time cannot express these either */
    p = put2(p, year / 100);
    p = put2(p, year % 100);
    *p++ = '-';
    p = put2(p, tm.tm_mon + 1);
    *p++ = '-';
    p = put2(p, tm.tm_mday);
    *p++ = 'T';
    p = put2(p, tm.tm_hour);
    *p++ = ':';
    p = put2(p, tm.tm_min);
    *p++ = ':';
    p = put2(p, tm.tm_sec);
    *p++ = 'Z';
    *p = '\0';
    return out;
}
