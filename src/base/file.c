#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"

/* see base/file.h */
int ma_file_read(const char *path, size_t max, const char *what, char **out, size_t *len,
                     struct stat *st, struct ma_errmsg *em)
{
    struct stat st0;
    size_t n = 0, cap;
    ssize_t r;
    char *buf;
    int fd;

    *out = NULL;
    *len = 0;
    if (st == NULL)
        st = &st0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        ma_errmsg_set(em, "read %s %s: %s", what, path, strerror(errno));
        return MA_ERR_IO;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        ma_errmsg_set(em, "read %s %s: not a regular file", what, path);
        close(fd);
        return MA_ERR_IO;
    }
    if ((size_t)st->st_size > max) {
        ma_errmsg_set(em, "%s %s: larger than %zu bytes", what, path, max);
        close(fd);
        return MA_ERR_LIMIT;
    }
    /* the size may change while we read: read to the end, growing up to max + 1 bytes */
    cap = (size_t)st->st_size + 1;
    buf = ma_xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap > max)
                break;
            cap = cap > (max + 1) / 2 ? max + 1 : 2 * cap;
            buf = ma_xrealloc(buf, cap + 1);
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ma_errmsg_set(em, "read %s %s: %s", what, path, strerror(errno));
            free(buf);
            close(fd);
            return MA_ERR_IO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        ma_errmsg_set(em, "%s %s: larger than %zu bytes", what, path, max);
        free(buf);
        return MA_ERR_LIMIT;
    }
    st->st_size = (off_t)n;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return MA_OK;
}
