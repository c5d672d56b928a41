#ifndef MA_KUBE_LABEL_H
#define MA_KUBE_LABEL_H

#include <stddef.h>

/* One label of an object: both strings NUL-terminated and owned by whoever owns the object. */
struct ma_kube_label {
    const char *key, *value;
};

/* A set of labels; lookups are linear (objects carry few labels). */
struct ma_kube_labels {
    const struct ma_kube_label *items;
    size_t n;
};

#endif
