/*
 * partlog_swap.c — putting cleaned segments in place of the ones they were
 * made from (the cleaner's last step), and finishing at open a replacement
 * that a crash interrupted.
 *
 * A group of consecutive segments based at b1 < b2 < ... < bk, cleaned into
 * one file, goes in as Kafka's LocalLog.replaceSegments does:
 *
 *   1. the cleaned bytes go to <b1>.log.cleaned, which is fsynced, renamed
 *      <b1>.log.swap, and the directory fsynced: from here the swap file is
 *      whole and durable, and it is the log for offsets [b1, its end);
 *   2. under the lock, the index files of b1 are removed and b2..bk renamed
 *      <b>.log.deleted (retention's way of removing a segment);
 *   3. <b1>.log.swap is renamed over <b1>.log (atomic), the in-memory
 *      segments are replaced, and the .deleted files removed.
 *
 * A crash before 1 ends leaves <b1>.log.cleaned, which the next pass
 * removes, and the old segments whole.  After it, an open finds
 * <b1>.log.swap and finishes the job (fr_partlog_finish_swaps): every
 * segment based in [b1, the swap's next offset) goes and the swap takes
 * b1's name.  So at every instant the log on disk holds, for each offset,
 * either the old segment's records or the cleaned ones, never neither.  An
 * I/O error that leaves a replacement half done while the broker runs (an
 * old segment renamed away and not back) keeps the swap for the next open,
 * and no pass runs until then: one could put other segments where that
 * swap will go.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "index_file.h"
#include "partlog_internal.h"
#include "record_batch.h"
#include "segment.h"

#define COMPONENT "cleaner"
#define CLEANED_SUFFIX ".log.cleaned"
#define SWAP_SUFFIX ".log.swap"

static void swap_name(char *buf, size_t len, int64_t base) {
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, base, "");
    snprintf(buf, len, "%s%s", name, SWAP_SUFFIX);
}

/* ---- the cleaner's side ---- */

int fr_partlog_write_swap(const fr_partlog_t *log, int64_t base, const fr_writer_t *out,
                          const struct timespec *mtime) {
    char name[FR_SEGMENT_FILENAME_MAX], cleaned[FR_SEGMENT_FILENAME_MAX + 16], swap[FR_SEGMENT_FILENAME_MAX + 16];
    fr_segment_filename(name, base, "");
    snprintf(cleaned, sizeof(cleaned), "%s%s", name, CLEANED_SUFFIX);
    swap_name(swap, sizeof(swap), base);
    int fd = openat(log->dirfd, cleaned, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};
    if (mtime)
        times[1] = *mtime;
    if (fd < 0 || fr_pwrite_full(fd, out->buf, out->len, 0) || futimens(fd, times) < 0 || fdatasync(fd) < 0 ||
        renameat(log->dirfd, cleaned, log->dirfd, swap) < 0) {
        fr_error(COMPONENT, "%s/%s: cannot write the cleaned segment: %s", log->dir, cleaned, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlinkat(log->dirfd, cleaned, 0);
        return -1;
    }
    /* before any old segment is renamed away: an open must find the swap if it finds that */
    if (fsync(log->dirfd) < 0) {
        fr_error(COMPONENT, "%s: fsync of the directory failed: %s", log->dir, strerror(errno));
        close(fd);
        fr_partlog_drop_swap(log, base);
        return -1;
    }
    return fd;
}

void fr_partlog_drop_swap(const fr_partlog_t *log, int64_t base) {
    char swap[FR_SEGMENT_FILENAME_MAX + 16];
    swap_name(swap, sizeof(swap), base);
    if (unlinkat(log->dirfd, swap, 0) < 0 && errno != ENOENT) /* the next pass finds it and stops */
        fr_error(COMPONENT, "%s/%s: cannot remove: %s", log->dir, swap, strerror(errno));
}

/* Puts back the .log of members [1, upto) renamed for deletion; 0, or -1 when one stays renamed. */
static int unrename(const fr_partlog_t *log, const fr_clean_seg_t *g, size_t upto) {
    int rc = 0;
    for (size_t m = 1; m < upto; m++) {
        char name[FR_SEGMENT_FILENAME_MAX], deleted[FR_SEGMENT_FILENAME_MAX + 16];
        fr_segment_filename(name, g[m].base, ".log");
        snprintf(deleted, sizeof(deleted), "%s%s", name, FR_PARTLOG_DELETED_SUFFIX);
        if (renameat(log->dirfd, deleted, log->dirfd, name) < 0) {
            fr_error(COMPONENT, "%s/%s: cannot rename back: %s", log->dir, deleted, strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

int fr_partlog_swap_in_locked(fr_partlog_t *log, const fr_clean_seg_t *g, size_t k, int fd, const uint8_t *data,
                              size_t len) {
    size_t i = fr_partlog_floor_segment(log, g[0].base);
    if (i + k >= log->nsegs) /* (the active segment is never cleaned) */
        return 0;
    for (size_t m = 0; m < k; m++)
        if (log->segs[i + m]->base_offset != g[m].base || log->segs[i + m]->log != g[m].file)
            return 0; /* deleted by retention meanwhile */
    fr_segment_t *seg;
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0 || fr_segment_adopt(dfd, g[0].base, log->cfg.index_max_bytes, &seg))
        return -1;
    for (int x = 1; x < FR_SEGMENT_FILES; x++) { /* stale indexes go first: an open rebuilds missing ones */
        char iname[FR_SEGMENT_FILENAME_MAX];
        fr_segment_filename(iname, g[0].base, fr_segment_file_suffixes[x]);
        unlinkat(log->dirfd, iname, 0);
    }
    size_t renamed = 1;
    while (renamed < k && fr_partlog_rename_for_deletion(log, log->segs[i + renamed]) == 0)
        renamed++;
    char swap[FR_SEGMENT_FILENAME_MAX + 16];
    swap_name(swap, sizeof(swap), g[0].base);
    if (renamed < k || renameat(log->dirfd, swap, log->dirfd, seg->name) < 0) {
        int err = errno;
        fr_error(COMPONENT, "%s/%s: cannot put the cleaned segment in place: %s", log->dir, seg->name, strerror(err));
        fr_segment_free(seg);
        if (unrename(log, g, renamed) < 0)
            return -2; /* the swap must stay: the next open finishes it */
        for (size_t m = 0; m < k; m++)
            if (fr_segment_write_indexes(log->segs[i + m], log->dirfd))
                fr_warn(COMPONENT, "%s/%s: cannot rewrite the index files", log->dir, log->segs[i + m]->name);
        return -1;
    }
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_batch_iter_init(&it, data, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if (batch == data)
            seg->roll_base_ms = h.max_timestamp; /* the cleaned file's first batch, as recovery would read it */
        fr_segment_track_batch(seg, (int64_t)(batch - data), &h, log->cfg.index_interval_bytes);
    }
    seg->size = seg->synced_size = (int64_t)len;
    if (seg->size == 0)
        seg->next_offset = seg->base_offset;
    fr_segment_seal(seg);
    if (fr_segment_write_indexes(seg, log->dirfd))
        fr_warn(COMPONENT, "%s/%s: cannot write the index files: %s (open rebuilds them)", log->dir, seg->name,
                strerror(errno));
    for (size_t m = 0; m < k; m++) {
        log->size_bytes -= log->segs[i + m]->size;
        fr_segment_free(log->segs[i + m]); /* fetches holding an old file keep reading it */
    }
    log->size_bytes += seg->size;
    log->segs[i] = seg;
    memmove(log->segs + i + 1, log->segs + i + k, (log->nsegs - i - k) * sizeof(*log->segs));
    log->nsegs -= k - 1;
    log->dir_changes++;
    return 1;
}

int fr_partlog_drop_emptied_locked(fr_partlog_t *log, const fr_clean_seg_t *cs) {
    size_t i = fr_partlog_floor_segment(log, cs->base);
    if (i == 0 || i + 1 >= log->nsegs || log->segs[i]->base_offset != cs->base || log->segs[i]->log != cs->file)
        return 0;
    fr_segment_t *seg = log->segs[i];
    if (fr_partlog_rename_for_deletion(log, seg) != 0)
        return -1;
    log->size_bytes -= seg->size;
    memmove(log->segs + i, log->segs + i + 1, (log->nsegs - i - 1) * sizeof(*log->segs));
    log->nsegs--;
    log->dir_changes++;
    fr_segment_free(seg); /* fetches holding its file keep reading it */
    return 1;
}

int fr_partlog_sweep_cleaner_files(const fr_partlog_t *log) {
    DIR *d = fr_opendir_at(log->dirfd);
    struct dirent *e;
    int swaps = 0;
    if (!d)
        return 1; /* (cannot tell: as if one were there) */
    size_t s = strlen(CLEANED_SUFFIX), w = strlen(SWAP_SUFFIX);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > s && strcmp(e->d_name + n - s, CLEANED_SUFFIX) == 0) {
            fr_warn(COMPONENT, "%s/%s: leftover of an interrupted cleaning; removing it", log->dir, e->d_name);
            unlinkat(log->dirfd, e->d_name, 0);
        } else if (n > w && strcmp(e->d_name + n - w, SWAP_SUFFIX) == 0) {
            swaps = 1;
        }
    }
    closedir(d);
    return swaps;
}

/* ---- at open ---- */

/* The offset after the swap file's last batch (a header walk: it was whole when it got its name). */
static int64_t swap_next_offset(int dirfd, const char *name, int64_t base) {
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int64_t next = base + 1; /* an empty swap stands for its own base's segment only */
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_size > 0) {
        uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return -1;
        }
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        fr_batch_iter_init(&it, map, (size_t)st.st_size);
        while (fr_batch_iter_next(&it, &h, &batch, &blen))
            if (fr_batch_last_offset(&h) + 1 > next)
                next = fr_batch_last_offset(&h) + 1;
        munmap(map, (size_t)st.st_size);
    }
    close(fd);
    return next;
}

/* Finishes one swap: the segments it replaces go, it takes its base's name. */
static int finish_swap(const fr_partlog_t *log, int64_t base, const char *swap) {
    int64_t next = swap_next_offset(log->dirfd, swap, base);
    if (next < 0) {
        fr_error(COMPONENT, "%s/%s: cannot read: %s", log->dir, swap, strerror(errno));
        return FR_ERR_IO;
    }
    DIR *d = fr_opendir_at(log->dirfd);
    if (!d)
        return FR_ERR_IO;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        int64_t b = -1;
        for (int k = 0; k < FR_SEGMENT_FILES && b < 0; k++)
            if (fr_segment_parse_filename(e->d_name, fr_segment_file_suffixes[k], &b))
                b = -1;
        if (b < base || b >= next) /* (-1: not a segment's file) */
            continue;
        if (unlinkat(log->dirfd, e->d_name, 0) < 0 && errno != ENOENT) {
            fr_error(COMPONENT, "%s/%s: cannot remove: %s", log->dir, e->d_name, strerror(errno));
            rc = FR_ERR_IO;
        }
    }
    closedir(d);
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, base, ".log");
    if (rc == 0 && renameat(log->dirfd, swap, log->dirfd, name) < 0) {
        fr_error(COMPONENT, "%s/%s: cannot rename into place: %s", log->dir, swap, strerror(errno));
        rc = FR_ERR_IO;
    }
    if (rc == 0)
        fr_warn(COMPONENT, "%s/%s: finished replacing the segments of offsets %" PRId64 "..%" PRId64
                " with their cleaned form, which a stop interrupted", log->dir, name, base, next - 1);
    return rc;
}

int fr_partlog_finish_swaps(const fr_partlog_t *log) {
    DIR *d = fr_opendir_at(log->dirfd);
    int64_t *bases = NULL;
    size_t n = 0, cap = 0;
    if (!d)
        return FR_ERR_IO;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        int64_t b;
        if (fr_segment_parse_filename(e->d_name, SWAP_SUFFIX, &b) == 0) {
            if (n == cap) {
                size_t c2 = cap ? cap * 2 : 4;
                int64_t *nb = realloc(bases, c2 * sizeof(*nb));
                if (!nb) {
                    rc = FR_ERR_NOMEM;
                    break;
                }
                bases = nb;
                cap = c2;
            }
            bases[n++] = b;
        }
    }
    closedir(d);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char swap[FR_SEGMENT_FILENAME_MAX + 16];
        swap_name(swap, sizeof(swap), bases[i]);
        rc = finish_swap(log, bases[i], swap);
    }
    if (n && rc == 0 && fsync(log->dirfd) < 0)
        rc = FR_ERR_IO;
    free(bases);
    return rc;
}
