#ifndef MA_KUBE_QUANTITY_H
#define MA_KUBE_QUANTITY_H

#include <stddef.h>

/* Kubernetes resource.Quantity output (k8s.io/apimachinery
 * pkg/api/resource), DecimalSI canonical form. */

/* Longest output of ma_kube_quantity_format, NUL included: "-" + 309 digits + suffix + slack. */
#define MA_KUBE_QUANTITY_MAX 340

/* Format the backend value v, rounded to the nearest milli-unit (half away from zero), as the
 * canonical DecimalSI string Go's NewMilliQuantity(milli).String() would print: 1.005 -> "1005m"
 * (the Go peers' int64(v*1000) truncation prints "1004m"), 0.066 -> "66m", 1500 -> "1500",
 * 2000 -> "2k", 1e6 -> "1M", 0.0004 -> "0", -0.0 -> "0", -1.5 -> "-1500m".
 * Values whose milli-units do not fit in an int64 (|v| >= 9223372036854775.807) are integers in
 * binary floating point; they are printed exactly, in canonical DecimalSI form ("1e20" -> "100E";
 * exponents above 18 keep their extra zeros in the digits before "E", never the upstream
 * missing-suffix quirk). Writes a NUL-terminated string to out (cap MUST be >=
 * MA_KUBE_QUANTITY_MAX) and returns its length. Returns MA_ERR_SYNTAX for NaN and +-Inf (no
 * quantity can express them; the caller decides what to do) and writes "". Returns MA_ERR_NOSPACE
 * (writing "" when cap > 0) if out is NULL or cap < MA_KUBE_QUANTITY_MAX.
 * No undefined behaviour for any input. */
int ma_kube_quantity_format(double v, char *out, size_t cap);

#endif
