/*
 * partlog_open.c — opening a partition log: finding its segments and
 * recovering them (recovery.h does the per-segment work), up to the recovery
 * point the broker read from its checkpoint.  See fr_partlog.h.
 */
#include "fr_partlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fr_array.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "partlog_internal.h"
#include "producer_state.h"
#include "recovery.h"
#include "segment.h"

#define COMPONENT "storage"

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A file retention renamed for deletion ("<base>.log.deleted", ...). */
static int is_deleted_file(const char *name) {
    size_t n = strlen(name), s = strlen(FR_PARTLOG_DELETED_SUFFIX);
    return n > s && strcmp(name + n - s, FR_PARTLOG_DELETED_SUFFIX) == 0;
}

/* Base offsets of the *.log files in dirfd, sorted; orphan index files and
 * files left behind by an interrupted deletion are removed. */
static int list_segments(fr_partlog_t *log, int64_t **out, size_t *n_out) {
    DIR *d = fr_opendir_at(log->dirfd);
    int64_t *bases = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;

    if (!d)
        return FR_ERR_IO;
    while ((e = readdir(d)) != NULL) {
        int64_t base;
        if (fr_segment_parse_filename(e->d_name, ".log", &base) == 0) {
            if (FR_ARRAY_GROW(bases, cap, n + 1, 16)) {
                free(bases);
                closedir(d);
                return FR_ERR_NOMEM;
            }
            bases[n++] = base;
        } else if (is_deleted_file(e->d_name)) {
            unlinkat(log->dirfd, e->d_name, 0); /* renamed by retention, which stopped before removing it */
        } else if (fr_segment_parse_filename(e->d_name, ".index", &base) == 0 ||
                   fr_segment_parse_filename(e->d_name, ".timeindex", &base) == 0) {
            char name[FR_SEGMENT_FILENAME_MAX];
            fr_segment_filename(name, base, ".log");
            if (faccessat(log->dirfd, name, F_OK, 0) < 0 && errno == ENOENT) {
                fr_warn(COMPONENT, "%s/%s: index without a log file; deleting it", log->dir, e->d_name);
                unlinkat(log->dirfd, e->d_name, 0);
            }
        }
    }
    closedir(d);
    if (n)
        qsort(bases, n, sizeof(*bases), cmp_i64);
    *out = bases;
    *n_out = n;
    return 0;
}

/* Removes the files of the segments based at bases[from..n), which were never
 * opened: the unflushed segments after a corrupt one, as Kafka's recovery
 * deletes them, so that the log never has a hole where a crash tore it. */
static void drop_later_segments(fr_partlog_t *log, const int64_t *bases, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) {
        fr_warn(COMPONENT, "%s: deleting segment %020" PRId64 ".log: it comes after the corruption, past the "
                "recovery point", log->dir, bases[i]);
        for (int k = 0; k < FR_SEGMENT_FILES; k++) {
            char name[FR_SEGMENT_FILENAME_MAX];
            fr_segment_filename(name, bases[i], fr_segment_file_suffixes[k]);
            if (unlinkat(log->dirfd, name, 0) < 0 && errno != ENOENT)
                fr_warn(COMPONENT, "%s/%s: cannot delete: %s", log->dir, name, strerror(errno));
        }
    }
    /* at once: files that came back after another crash would hold offsets the log reuses */
    if (fsync(log->dirfd) < 0)
        fr_warn(COMPONENT, "%s: fsync of the directory failed: %s", log->dir, strerror(errno));
}

/*
 * Opens every segment.  The active one is always scanned batch by batch.  An
 * older one is loaded cheaply (its indexes checked, the tail of its headers
 * walked) when it lies wholly below recovery_point, the offset below which
 * every byte was fsynced; one that reaches it (written after the last flush
 * the broker saw complete, so possibly torn by a crash) is scanned in full,
 * CRCs included, as Kafka's LogLoader.recoverLog does.  When that scan cuts
 * a segment short, the later segments go, and appends continue in a new
 * segment after it.  After a clean shutdown (clean) the active segment is
 * loaded as cheaply as the older ones: Kafka does not recover then either.
 */
static int recover(fr_partlog_t *log, int64_t recovery_point, int clean) {
    int64_t *bases;
    size_t n;
    int64_t cut_at = INT64_MAX; /* the lowest offset at which recovery cut a segment short */
    int rc = fr_partlog_finish_swaps(log); /* before the .deleted files it may stand in for go */
    if (rc == 0)
        rc = list_segments(log, &bases, &n);
    if (rc)
        return rc;
    size_t unflushed = 0;
    for (size_t i = 0; i + 1 < n; i++)
        unflushed += bases[i + 1] > recovery_point;
    if (unflushed)
        fr_info(COMPONENT, "%s: recovering %zu unflushed older segment(s) from the recovery point %" PRId64,
                log->dir, unflushed, recovery_point);
    for (size_t i = 0; i < n && rc == 0; i++) {
        fr_segment_t *seg;
        int last = i + 1 == n;
        int64_t limit = last ? INT64_MAX : bases[i + 1];
        rc = fr_segment_open(log->dirfd, bases[i], log->cfg.index_max_bytes, &seg);
        if (rc) {
            fr_error(COMPONENT, "%s: cannot open segment %020" PRId64 ".log: %s", log->dir, bases[i],
                     strerror(errno));
            break;
        }
        if ((rc = fr_partlog_push_segment(log, seg)) != 0) {
            fr_segment_free(seg);
            break;
        }
        int64_t file_size = seg->size;
        if (last && !clean)
            rc = fr_recover_segment(seg, log->dir, limit, log->cfg.index_interval_bytes, 1, NULL);
        else if (limit <= recovery_point)
            rc = fr_load_segment(seg, log->dirfd, log->dir, limit, log->cfg.index_interval_bytes);
        else
            rc = fr_recover_segment(seg, log->dir, limit, log->cfg.index_interval_bytes, 0, NULL);
        if (rc)
            break;
        if (limit > recovery_point)
            seg->synced_size = 0; /* written after the last flush: maybe still only in the page cache */
        int cut = seg->size < file_size;
        if (cut && seg->next_offset < cut_at)
            cut_at = seg->next_offset;
        if (!last && limit > recovery_point) {
            if (cut) { /* seg is now the log's end */
                drop_later_segments(log, bases, i + 1, n);
                /* It may have gaps (compaction), which an active segment may not have, so the
                 * next open would take them for damage: appends go to a new segment after it. */
                log->leo = seg->next_offset;
                if (seg->size > 0)
                    rc = fr_partlog_roll_locked(log); /* (nobody else has log yet) */
                break;
            }
            fr_segment_seal(seg);
            if (fr_segment_write_indexes(seg, log->dirfd))
                fr_warn(COMPONENT, "%s/%s: cannot rewrite the index files: %s (kept in memory)", log->dir,
                        seg->name, strerror(errno));
        }
    }
    free(bases);
    if (rc)
        return rc;

    if (log->nsegs == 0) {
        fr_segment_t *seg;
        if ((rc = fr_segment_create(log->dirfd, 0, log->cfg.index_max_bytes, &seg)) != 0)
            return rc;
        if ((rc = fr_partlog_push_segment(log, seg)) != 0) {
            fr_segment_free(seg);
            return rc;
        }
        log->dir_changes++;
    }
    int64_t now = fr_partlog_wall_clock_ms();
    log->leo = log->segs[log->nsegs - 1]->next_offset;
    /* Kafka's LogLoader: only a flush moves it forward, never what a scan found */
    log->recovery_point = recovery_point < log->leo ? recovery_point : log->leo;
    log->log_start = log->segs[0]->base_offset; /* the broker may raise it from its checkpoint */
    for (size_t i = 0; i < log->nsegs; i++)
        log->size_bytes += log->segs[i]->size;
    /* A producer snapshot past a cut describes batches the log no longer has, and the one at the
     * cut itself may be the roll's after it, written before any producer was loaded: both go, and
     * the state is replayed from an older snapshot. */
    int64_t snapshots_upto = cut_at < INT64_MAX ? cut_at - 1 : log->leo;
    return fr_producer_state_recover(&log->producers, log->dirfd, log->dir, log->segs, log->nsegs,
                                     snapshots_upto < log->leo ? snapshots_upto : log->leo, now);
}

static int open_log(const char *dir, const fr_log_config_t *cfg, int64_t recovery_point, int clean,
                    fr_partlog_t **out) {
    *out = NULL;
    fr_partlog_t *log = calloc(1, sizeof(*log));
    if (!log)
        return FR_ERR_NOMEM;
    pthread_mutex_init(&log->lock, NULL);
    fr_producer_state_init(&log->producers);
    log->dirfd = -1;
    log->last_flush_ms = -1;
    log->snapshot_unsynced = -1;
    fr_partlog_set_config_locked(log, cfg); /* (nobody else has log yet) */
    log->dir = strdup(dir);
    if (!log->dir) {
        fr_partlog_free(log);
        return FR_ERR_NOMEM;
    }
    int rc = fr_mkdir_p(dir) ? FR_ERR_IO : 0;
    if (rc == 0) {
        log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (log->dirfd < 0)
            rc = FR_ERR_IO;
    }
    if (rc) {
        fr_error(COMPONENT, "%s: cannot open the partition directory: %s", dir, strerror(errno));
        fr_partlog_free(log);
        return rc;
    }
    if (flock(log->dirfd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? FR_ERR_LOCKED : FR_ERR_IO;
        fr_error(COMPONENT, "%s: cannot lock the partition directory: %s", dir, strerror(errno));
        fr_partlog_free(log);
        return rc;
    }
    if ((rc = recover(log, recovery_point, clean)) != 0) {
        fr_partlog_free(log);
        return rc;
    }
    fr_debug(COMPONENT, "%s: opened, %zu segment(s), offsets %" PRId64 "..%" PRId64, dir, log->nsegs,
             log->segs[0]->base_offset, log->leo);
    *out = log;
    return 0;
}

int fr_partlog_open_from(const char *dir, const fr_log_config_t *cfg, int64_t recovery_point, fr_partlog_t **out) {
    return open_log(dir, cfg, recovery_point, 0, out);
}

int fr_partlog_open(const char *dir, const fr_log_config_t *cfg, fr_partlog_t **out) {
    return open_log(dir, cfg, INT64_MAX, 0, out);
}

int fr_partlog_open_clean(const char *dir, const fr_log_config_t *cfg, fr_partlog_t **out) {
    return open_log(dir, cfg, INT64_MAX, 1, out);
}
