#ifndef MA_BASE_FILE_H
#define MA_BASE_FILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "base/err.h"

/* Read the regular file at path (at most max bytes) into a NUL-terminated heap buffer *out (the
 * caller frees it) of *len bytes; *st (MAY be NULL) gets the metadata of what was read. `what`
 * names the file in messages ("certificate-authority"). MA_OK; MA_ERR_IO (cannot open or read,
 * not a regular file) or MA_ERR_LIMIT (larger than max) with *out = NULL and em set. */
int ma_file_read(const char *path, size_t max, const char *what, char **out, size_t *len,
                 struct stat *st, struct ma_errmsg *em);

#endif
