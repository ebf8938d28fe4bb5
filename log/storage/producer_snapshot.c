/*
 * producer_snapshot.c — producer-state snapshot files (<offset>.snapshot) and
 * the rebuild of a partition's producer state when its log is opened.  See
 * producer_state.h for the format and the contract.
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

#include "fr_array.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "index_file.h"
#include "producer_state.h"

#define COMPONENT "storage"
#define SNAPSHOT_SUFFIX ".snapshot"
#define SNAPSHOT_TMP_SUFFIX ".snapshot.tmp"

static void unlink_snapshot(int dirfd, int64_t offset) {
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, offset, SNAPSHOT_SUFFIX);
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
        fr_warn(COMPONENT, "cannot delete the producer snapshot %s: %s", name, strerror(errno));
}

int fr_producer_snapshot_write(fr_producer_state_t *ps, int dirfd, const char *dir, int64_t offset, int sync) {
    char name[FR_SEGMENT_FILENAME_MAX], tmp[FR_SEGMENT_FILENAME_MAX];
    fr_writer_t w;
    int rc = 0;

    fr_writer_init(&w);
    fr_producer_state_encode(ps, offset, &w);
    if (w.err) {
        fr_writer_free(&w);
        return FR_ERR_NOMEM;
    }
    fr_segment_filename(name, offset, SNAPSHOT_SUFFIX);
    fr_segment_filename(tmp, offset, SNAPSHOT_TMP_SUFFIX);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        int wrc = fr_pwrite_full(fd, w.buf, w.len, 0);
        if (!wrc && sync && fdatasync(fd) < 0)
            wrc = -1;
        if (close(fd) < 0 || wrc)
            fd = -1;
    }
    if (fd < 0 || renameat(dirfd, tmp, dirfd, name) || (sync && fsync(dirfd) < 0)) {
        fr_warn(COMPONENT, "%s/%s: cannot write the producer snapshot: %s", dir, name, strerror(errno));
        unlinkat(dirfd, tmp, 0);
        rc = FR_ERR_IO;
    }
    fr_writer_free(&w);
    if (rc)
        return rc;

    /* Keep the two newest: this one and the one before it. */
    if (ps->snapshots[0] != offset) {
        if (ps->snapshots[1] >= 0 && ps->snapshots[1] != offset)
            unlink_snapshot(dirfd, ps->snapshots[1]);
        ps->snapshots[1] = ps->snapshots[0];
        ps->snapshots[0] = offset;
    }
    return 0;
}

int fr_producer_snapshot_sync(int dirfd, int64_t offset) {
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, offset, SNAPSHOT_SUFFIX);
    /* a newer roll or retention may have deleted it */
    return fr_fdatasync_at(dirfd, name) < 0 && errno != ENOENT ? FR_ERR_IO : 0;
}

/* ---- open ---- */

static int cmp_desc(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x > y ? -1 : x < y;
}

/* Offsets of the snapshot files in dirfd, newest first; leftover .tmp files are deleted. */
static int list_snapshots(int dirfd, const char *dir, int64_t **out, size_t *n_out) {
    DIR *d = fr_opendir_at(dirfd);
    int64_t *offs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;

    if (!d)
        return FR_ERR_IO;
    while ((e = readdir(d)) != NULL) {
        int64_t off;
        if (fr_segment_parse_filename(e->d_name, SNAPSHOT_TMP_SUFFIX, &off) == 0) {
            fr_info(COMPONENT, "%s/%s: deleting an unfinished producer snapshot", dir, e->d_name);
            unlinkat(dirfd, e->d_name, 0);
            continue;
        }
        if (fr_segment_parse_filename(e->d_name, SNAPSHOT_SUFFIX, &off) != 0)
            continue;
        if (FR_ARRAY_GROW(offs, cap, n + 1, 8)) {
            free(offs);
            closedir(d);
            return FR_ERR_NOMEM;
        }
        offs[n++] = off;
    }
    closedir(d);
    if (n)
        qsort(offs, n, sizeof(*offs), cmp_desc);
    *out = offs;
    *n_out = n;
    return 0;
}

/* Reads and decodes <offset>.snapshot into ps.  0, FR_ERR_CORRUPT (*why), FR_ERR_IO, FR_ERR_NOMEM. */
static int load_snapshot(fr_producer_state_t *ps, int dirfd, int64_t offset, const char **why) {
    char name[FR_SEGMENT_FILENAME_MAX];
    struct stat st;
    fr_segment_filename(name, offset, SNAPSHOT_SUFFIX);
    *why = NULL;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        *why = strerror(errno);
        if (fd >= 0)
            close(fd);
        return FR_ERR_CORRUPT;
    }
    if (st.st_size > (1 << 30)) {
        close(fd);
        *why = "implausibly large";
        return FR_ERR_CORRUPT;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return FR_ERR_NOMEM;
    }
    int rc = fr_pread_full(fd, buf, len, 0);
    close(fd);
    if (rc) {
        *why = "cannot read the file";
        rc = FR_ERR_CORRUPT;
    } else {
        rc = fr_producer_state_decode(ps, buf, len, offset, why);
    }
    free(buf);
    return rc;
}

/*
 * Replays the idempotent batches of seg whose last offset is >= from, reading
 * headers only.  A bad header ends the segment's replay with a warning (the
 * segment's own recovery has vouched for its batches; this is belt and braces).
 */
static int replay_segment(fr_producer_state_t *ps, const fr_segment_t *seg, const char *dir, int64_t from) {
    fr_batch_header_t h;
    int64_t pos = 0;
    if (seg->size == 0 || seg->next_offset <= from)
        return 0;
    if (seg->base_offset < from) {
        int rc = fr_segment_find(seg, dir, from, &pos, &h);
        if (rc == FR_ERR_NOT_FOUND)
            return 0;
        if (rc)
            pos = 0; /* replay skips what the state already has */
    }
    uint8_t *map = mmap(NULL, (size_t)seg->size, PROT_READ, MAP_PRIVATE, seg->log->fd, 0);
    if (map == MAP_FAILED) {
        fr_error(COMPONENT, "%s/%s: cannot map the segment to rebuild producer state: %s", dir, seg->name,
                 strerror(errno));
        return FR_ERR_IO;
    }
    int rc = 0;
    for (int64_t p = pos; p < seg->size; p += fr_batch_size(&h)) {
        if (seg->size - p < FR_BATCH_HEADER_SIZE ||
            fr_batch_parse_header(map + p, FR_BATCH_HEADER_SIZE, &h) || h.magic != FR_BATCH_MAGIC_V2 ||
            h.batch_length < FR_BATCH_MIN_LENGTH || fr_batch_size(&h) > seg->size - p) {
            fr_warn(COMPONENT, "%s/%s: bad batch header at position %" PRId64
                    " while rebuilding producer state; skipping the rest of the segment", dir, seg->name, p);
            break;
        }
        if (h.producer_id < 0 || fr_batch_is_control(&h) || fr_batch_last_offset(&h) < from)
            continue;
        if ((rc = fr_producer_state_replay(ps, &h)) != 0)
            break;
    }
    munmap(map, (size_t)seg->size);
    return rc;
}

int fr_producer_state_recover(fr_producer_state_t *ps, int dirfd, const char *dir, fr_segment_t *const *segs,
                              size_t nsegs, int64_t max_offset, int64_t now_ms) {
    int64_t *offs;
    size_t n, kept = 0;
    int64_t from = -1;
    int rc = list_snapshots(dirfd, dir, &offs, &n);
    if (rc)
        return rc;

    fr_producer_state_clear(ps);
    ps->snapshots[0] = ps->snapshots[1] = -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *why;
        if (offs[i] > max_offset) {
            fr_info(COMPONENT, "%s: producer snapshot at offset %" PRId64 " is past the recovered log (%" PRId64
                    "); deleting it", dir, offs[i], max_offset);
            unlink_snapshot(dirfd, offs[i]);
        } else if (from >= 0) {
            if (kept < 2)
                ps->snapshots[kept++] = offs[i];
            else
                unlink_snapshot(dirfd, offs[i]);
        } else if ((rc = load_snapshot(ps, dirfd, offs[i], &why)) == 0) {
            from = offs[i];
            ps->snapshots[kept++] = offs[i];
        } else if (rc == FR_ERR_CORRUPT) {
            fr_warn(COMPONENT, "%s: ignoring producer snapshot %020" PRId64 SNAPSHOT_SUFFIX
                    " (%s); rebuilding producer state from the log", dir, offs[i], why ? why : "corrupt");
            unlink_snapshot(dirfd, offs[i]);
            rc = 0;
        }
    }
    free(offs);
    if (rc)
        return rc;

    if (from < 0)
        from = nsegs ? segs[0]->base_offset : 0;
    for (size_t i = 0; i < nsegs && rc == 0; i++)
        rc = replay_segment(ps, segs[i], dir, from);
    if (rc == 0)
        fr_producer_state_expire(ps, now_ms); /* Kafka drops them as it loads a snapshot */
    if (rc == 0)
        fr_debug(COMPONENT, "%s: producer state for %zu producer(s), from offset %" PRId64, dir, ps->count, from);
    return rc;
}
