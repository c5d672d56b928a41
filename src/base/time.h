#ifndef MA_BASE_TIME_H
#define MA_BASE_TIME_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds, for deadlines and durations (never jumps with the wall clock). */
int64_t ma_time_mono_ms(void);
/* Monotonic microseconds, for request durations in logs and benchmarks. */
int64_t ma_time_mono_us(void);
/* Wall-clock seconds since the epoch. */
time_t ma_time_wall(void);

#define MA_TIME_RFC3339_LEN 21 /* "2026-01-02T03:04:05Z" + NUL */
/* metav1.Time wire form: RFC 3339, UTC, second precision. out MUST hold MA_TIME_RFC3339_LEN bytes.
 * Returns out. */
char *ma_time_rfc3339(time_t t, char *out);

#endif
