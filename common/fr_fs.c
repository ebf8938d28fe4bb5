/*
 * fr_fs.c — see fr_fs.h.
 */
#include "fr_fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* 0 when path is a directory; -1 with errno EEXIST when something else has its name. */
static int exists_as_dir(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return 0;
    errno = EEXIST;
    return -1;
}

int fr_mkdir_p(const char *path) {
    /* the parents almost always exist (a partition under its log dir): one call, not one per component */
    if (mkdir(path, 0755) == 0)
        return 0;
    if (errno == EEXIST)
        return exists_as_dir(path);
    if (errno != ENOENT)
        return -1;
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && (errno != EEXIST || exists_as_dir(buf) != 0))
            return -1;
        buf[i] = c;
    }
    return 0;
}
