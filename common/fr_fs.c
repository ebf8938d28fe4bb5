/*
 * fr_fs.c — see fr_fs.h.
 */
#include "fr_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

DIR *fr_opendir_at(int dirfd) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) {
        int err = errno;
        close(fd);
        errno = err;
    }
    return d;
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

int fr_fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int fr_fdatasync_at(int dirfd, const char *name) {
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fdatasync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int fr_fsync_parent(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    return fr_fsync_dir(dir);
}

static int write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int fr_file_replace(const char *path, const void *data, size_t len, int flags) {
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int ok = write_all(fd, data, len) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) < 0 && ok)
        ok = 0, saved = errno;
    if (ok && rename(tmp, path) < 0)
        ok = 0, saved = errno;
    if (!ok) {
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return flags & FR_FS_SYNC_DIR ? fr_fsync_parent(path) : 0;
}

int fr_rmtree(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        if (errno != ENOTDIR)
            return -1;
        return unlink(path);
    }
    int rc = 0, first = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4200];
        if (snprintf(p, sizeof(p), "%s/%s", path, e->d_name) >= (int)sizeof(p)) {
            if (!rc)
                rc = -1, first = ENAMETOOLONG;
            continue;
        }
        struct stat st;
        int r = lstat(p, &st) == 0 && S_ISDIR(st.st_mode) ? fr_rmtree(p) : unlink(p);
        if (r && !rc)
            rc = -1, first = errno;
    }
    closedir(d);
    if (rmdir(path) && !rc)
        rc = -1, first = errno;
    errno = first;
    return rc;
}
