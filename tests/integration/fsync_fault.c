/*
 * fsync_fault.so — LD_PRELOAD shim for flush-policy tests.  While the file
 * named by FR_FSYNC_FAIL_FLAG exists, fsync and fdatasync fail with EIO; every
 * call is counted (one byte appended to FR_FSYNC_COUNT_FILE) so tests can see
 * how many syncs the broker made.  While the file named by
 * FR_WRITEBACK_FAIL_FLAG exists, sync_file_range fails with EIO (the page-cache
 * release's writeback, partlog_cache.c); those calls are not counted.  While
 * the file named by FR_SYNC_DELAY_FLAG exists, every one of those calls first
 * sleeps 300 ms, so that a test can act while syncs are in flight; and
 * sync_file_range calls are counted in FR_WRITEBACK_COUNT_FILE as fsyncs are.
 * sendfile calls into anything but a socket (the cold-fetch warm-up,
 * fetch_warm.c) are counted in FR_WARM_COUNT_FILE, and while the file named
 * by FR_WARM_HOLD_FLAG exists they wait (up to 30 s) for it to go.
 * fallocate calls are counted in FR_FALLOCATE_COUNT_FILE, and while the file
 * named by FR_FALLOCATE_FAIL_FLAG exists they fail with EOPNOTSUPP, as on a
 * file system that cannot reserve blocks.  pread calls made off the main
 * thread (worker threads: ListOffsets by time, time_lookup.c) are counted in
 * FR_POOL_READ_COUNT_FILE, and while the file named by FR_POOL_READ_HOLD_FLAG
 * exists they wait (up to 30 s) for it to go; unlinkat calls off the main
 * thread (a deleted topic's files, deleted on a worker) likewise, with
 * FR_POOL_UNLINK_COUNT_FILE and FR_POOL_UNLINK_HOLD_FLAG; and mkdir calls off
 * the main thread (a new topic's directories, made on a worker), with
 * FR_POOL_MKDIR_COUNT_FILE and FR_POOL_MKDIR_HOLD_FLAG (only the mkdir of the
 * path FR_POOL_MKDIR_HOLD_PATH when that is set, so that a test can stop a
 * creation between two partitions); and fsync calls on directories off the
 * main thread, with FR_POOL_DIR_SYNC_COUNT_FILE and FR_POOL_DIR_SYNC_HOLD_FLAG
 * (logged, below, before they wait).  Every mkdir, every fsync of a
 * directory, and every successful rename and unlink appends a line ("mkdir
 * <path>", "fsync <path>", "rename <old path>", "unlink <path>", the
 * directory part resolved) to FR_DIR_LOG_FILE, so a test can check that a
 * directory entry made or removed was made durable afterwards.  zlib's
 * deflate and inflate calls are counted in FR_MAIN_ZLIB_COUNT_FILE on the
 * main thread and in FR_POOL_ZLIB_COUNT_FILE off it, where they are held
 * while the file named by FR_POOL_ZLIB_HOLD_FLAG exists (appends that
 * re-compress or decompress gzip batches, append_offload.c).  lz4's
 * LZ4F_decompress calls are counted likewise, in FR_MAIN_LZ4_COUNT_FILE and
 * FR_POOL_LZ4_COUNT_FILE (an lz4 batch's records checked on the loop or off
 * it).  Every fsync and fdatasync of a regular file appends its path to
 * FR_FILE_SYNC_LOG_FILE, so a test can check which files were made durable.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static void maybe_delay(void) {
    const char *flag = getenv("FR_SYNC_DELAY_FLAG");
    if (flag && access(flag, F_OK) == 0)
        usleep(300 * 1000);
}

static void count_call(const char *count) {
    if (count) {
        int fd = open(count, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, "s", 1);
            (void)w;
            close(fd);
        }
    }
}

/* Appends "<what> <path>" (or the path alone when what is NULL) as one line to
 * the file the environment variable env names, if set (a single write: lines
 * from several threads do not mix). */
static void log_line(const char *env, const char *what, const char *path) {
    const char *log = getenv(env);
    char line[4200];
    int n = what ? snprintf(line, sizeof(line), "%s %s\n", what, path) : snprintf(line, sizeof(line), "%s\n", path);
    if (!log || n <= 0 || n >= (int)sizeof(line))
        return;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
}

/* One "<what> <path>" line in FR_DIR_LOG_FILE. */
static void log_dir_event(const char *what, const char *path) { log_line("FR_DIR_LOG_FILE", what, path); }

/* A directory's fsync goes to FR_DIR_LOG_FILE as "fsync <path>", a regular
 * file's fsync or fdatasync to FR_FILE_SYNC_LOG_FILE as its path alone. */
static void log_sync(int fd) {
    struct stat st;
    char link[64], path[4096];
    const char *files = getenv("FR_FILE_SYNC_LOG_FILE");
    if (fstat(fd, &st) != 0 || !(S_ISDIR(st.st_mode) ? getenv("FR_DIR_LOG_FILE") != NULL
                                                     : S_ISREG(st.st_mode) && files != NULL))
        return;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return;
    path[n] = 0;
    if (S_ISDIR(st.st_mode))
        log_dir_event("fsync", path);
    else
        log_line("FR_FILE_SYNC_LOG_FILE", NULL, path);
}

/* A rename's or unlink's event: the path with its directory resolved (a
 * renamed or removed entry itself no longer resolves). */
static void log_entry_event(const char *what, const char *path) {
    if (!getenv("FR_DIR_LOG_FILE"))
        return;
    char dir[4096], abs[4096], full[8200];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (!realpath(dir[0] ? dir : "/", abs))
        return;
    snprintf(full, sizeof(full), "%s/%s", strcmp(abs, "/") ? abs : "", base);
    log_dir_event(what, full);
}

int rename(const char *from, const char *to) {
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    int rc = real(from, to);
    if (rc == 0) {
        int saved = errno;
        log_entry_event("rename", from);
        errno = saved;
    }
    return rc;
}

int unlink(const char *path) {
    int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    int rc = real(path);
    if (rc == 0) {
        int saved = errno;
        log_entry_event("unlink", path);
        errno = saved;
    }
    return rc;
}

static void hold_off_main(const char *count_env, const char *flag_env);

static int is_dir(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

static int faulty(void) {
    maybe_delay();
    count_call(getenv("FR_FSYNC_COUNT_FILE"));
    const char *flag = getenv("FR_FSYNC_FAIL_FLAG");
    return flag && access(flag, F_OK) == 0;
}

int fsync(int fd) {
    log_sync(fd);
    if (is_dir(fd))
        hold_off_main("FR_POOL_DIR_SYNC_COUNT_FILE", "FR_POOL_DIR_SYNC_HOLD_FLAG");
    if (faulty()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    log_sync(fd);
    if (faulty()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
    count_call(getenv("FR_WRITEBACK_COUNT_FILE"));
    maybe_delay();
    const char *flag = getenv("FR_WRITEBACK_FAIL_FLAG");
    if (flag && access(flag, F_OK) == 0) {
        errno = EIO;
        return -1;
    }
    int (*real)(int, off64_t, off64_t, unsigned int) =
        (int (*)(int, off64_t, off64_t, unsigned int))dlsym(RTLD_NEXT, "sync_file_range");
    return real(fd, offset, nbytes, flags);
}

static void hold_warm_up(int out_fd) {
    struct stat st;
    if (fstat(out_fd, &st) < 0 || S_ISSOCK(st.st_mode))
        return;
    count_call(getenv("FR_WARM_COUNT_FILE"));
    const char *flag = getenv("FR_WARM_HOLD_FLAG");
    for (int i = 0; flag && access(flag, F_OK) == 0 && i < 3000; i++)
        usleep(10 * 1000);
}

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count) {
    hold_warm_up(out_fd);
    ssize_t (*real)(int, int, off_t *, size_t) = (ssize_t(*)(int, int, off_t *, size_t))dlsym(RTLD_NEXT, "sendfile");
    return real(out_fd, in_fd, offset, count);
}

static int fallocate_refused(void) {
    count_call(getenv("FR_FALLOCATE_COUNT_FILE"));
    const char *flag = getenv("FR_FALLOCATE_FAIL_FLAG");
    if (flag && access(flag, F_OK) == 0) {
        errno = EOPNOTSUPP;
        return 1;
    }
    return 0;
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
    if (fallocate_refused())
        return -1;
    int (*real)(int, int, off_t, off_t) = (int (*)(int, int, off_t, off_t))dlsym(RTLD_NEXT, "fallocate");
    return real(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off_t offset, off_t len) {
    if (fallocate_refused())
        return -1;
    int (*real)(int, int, off_t, off_t) = (int (*)(int, int, off_t, off_t))dlsym(RTLD_NEXT, "fallocate64");
    return real(fd, mode, offset, len);
}

/* Counts, and holds while the flag exists, a call made off the main thread. */
static void hold_off_main(const char *count_env, const char *flag_env) {
    if (gettid() == getpid())
        return; /* the network loop's calls are not held: only workers' */
    count_call(getenv(count_env));
    const char *flag = getenv(flag_env);
    for (int i = 0; flag && access(flag, F_OK) == 0 && i < 3000; i++)
        usleep(10 * 1000);
}

static void hold_pool_read(void) { hold_off_main("FR_POOL_READ_COUNT_FILE", "FR_POOL_READ_HOLD_FLAG"); }

int unlinkat(int dirfd, const char *path, int flags) {
    hold_off_main("FR_POOL_UNLINK_COUNT_FILE", "FR_POOL_UNLINK_HOLD_FLAG");
    int (*real)(int, const char *, int) = (int (*)(int, const char *, int))dlsym(RTLD_NEXT, "unlinkat");
    return real(dirfd, path, flags);
}

int mkdir(const char *path, mode_t mode) {
    const char *only = getenv("FR_POOL_MKDIR_HOLD_PATH");
    if (!only || strcmp(only, path) == 0)
        hold_off_main("FR_POOL_MKDIR_COUNT_FILE", "FR_POOL_MKDIR_HOLD_FLAG");
    else if (gettid() != getpid())
        count_call(getenv("FR_POOL_MKDIR_COUNT_FILE"));
    int (*real)(const char *, mode_t) = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
    int rc = real(path, mode);
    if (rc == 0) {
        char abs[4096];
        log_dir_event("mkdir", realpath(path, abs) ? abs : path);
    }
    return rc;
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
    hold_pool_read();
    ssize_t (*real)(int, void *, size_t, off_t) = (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    return real(fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset) {
    hold_pool_read();
    ssize_t (*real)(int, void *, size_t, off_t) =
        (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
    return real(fd, buf, count, offset);
}

/* zlib's deflate and inflate (a gzip batch re-compressed or decompressed by an
 * append): counted apart on the main thread and off it, and held off it. */
static void count_zlib_call(void) {
    if (gettid() == getpid())
        count_call(getenv("FR_MAIN_ZLIB_COUNT_FILE"));
    else
        hold_off_main("FR_POOL_ZLIB_COUNT_FILE", "FR_POOL_ZLIB_HOLD_FLAG");
}

int deflate(void *strm, int flush) {
    count_zlib_call();
    int (*real)(void *, int) = (int (*)(void *, int))dlsym(RTLD_NEXT, "deflate");
    return real(strm, flush);
}

int inflate(void *strm, int flush) {
    count_zlib_call();
    int (*real)(void *, int) = (int (*)(void *, int))dlsym(RTLD_NEXT, "inflate");
    return real(strm, flush);
}

/* lz4's frame decoder (an lz4 batch's records checked by an append): counted
 * apart on the main thread and off it. */
size_t LZ4F_decompress(void *dctx, void *dst, size_t *dst_size, const void *src, size_t *src_size,
                       const void *options) {
    count_call(getenv(gettid() == getpid() ? "FR_MAIN_LZ4_COUNT_FILE" : "FR_POOL_LZ4_COUNT_FILE"));
    size_t (*real)(void *, void *, size_t *, const void *, size_t *, const void *) =
        (size_t(*)(void *, void *, size_t *, const void *, size_t *, const void *))dlsym(RTLD_NEXT,
                                                                                        "LZ4F_decompress");
    return real(dctx, dst, dst_size, src, src_size, options);
}
