/*
 * index_file.c — whole-file I/O and array growth for the segment indexes.
 */
#include "index_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"

int fr_pread_full(int fd, void *buf, size_t n, off_t pos) {
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return FR_ERR_IO;
        }
        p += r;
        n -= (size_t)r;
        pos += r;
    }
    return 0;
}

int fr_pwrite_full(int fd, const void *buf, size_t n, off_t pos) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, pos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return FR_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
        pos += w;
    }
    return 0;
}

int fr_index_read_file(int fd, size_t max_len, uint8_t **out, size_t *len) {
    struct stat st;
    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) < 0)
        return FR_ERR_IO;
    if (st.st_size == 0)
        return 0;
    if ((uint64_t)st.st_size > max_len)
        return FR_ERR_CORRUPT;
    uint8_t *buf = malloc((size_t)st.st_size);
    if (!buf)
        return FR_ERR_NOMEM;
    if (fr_pread_full(fd, buf, (size_t)st.st_size, 0)) {
        free(buf);
        return FR_ERR_IO;
    }
    *out = buf;
    *len = (size_t)st.st_size;
    return 0;
}

int fr_index_write_file(int fd, const uint8_t *buf, size_t len) {
    if (len && fr_pwrite_full(fd, buf, len, 0))
        return FR_ERR_IO;
    if (ftruncate(fd, (off_t)len) < 0)
        return FR_ERR_IO;
    return 0;
}
