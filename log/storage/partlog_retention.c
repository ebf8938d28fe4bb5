/*
 * partlog_retention.c — retention by time and size, DeleteRecords and the log
 * start offset: whole segments are removed from the front of the log.  See
 * fr_partlog_apply_retention() and fr_partlog_delete_records().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "index_file.h"
#include "partlog_internal.h"
#include "record_batch.h"
#include "segment.h"

#define COMPONENT "storage"

/* ---- retention, DeleteRecords and the log start offset ---- */

enum { EXPIRED_START, EXPIRED_SIZE, EXPIRED_TIME, EXPIRED_RULES };

/*
 * Under the lock: how many segments, oldest first, retention deletes, by
 * Kafka's rules in Kafka's order (UnifiedLog.deleteOldSegments), each taking
 * a prefix of what the previous one left and stopping at the first segment it
 * keeps: the segments whose successor starts at or below the log start
 * offset; then, when the policy deletes, the oldest while the log stays at or
 * above retention_bytes without them; then the oldest whose largest timestamp
 * is more than retention_ms old.  An empty active segment is never taken.
 * upto[r] is the count after rule r.
 */
static size_t count_expired(const fr_partlog_t *log, const fr_retention_policy_t *p, int64_t now_ms,
                            size_t upto[EXPIRED_RULES]) {
    size_t n = log->nsegs, k = 0;
#define TAKEABLE(i) ((i) < n && ((i) + 1 < n || log->segs[i]->size > 0))
    while (k + 1 < n && log->segs[k + 1]->base_offset <= log->log_start)
        k++;
    upto[EXPIRED_START] = k;
    if (p->delete_enabled && p->retention_bytes >= 0) {
        int64_t diff = log->size_bytes - p->retention_bytes;
        for (size_t i = 0; i < k; i++)
            diff -= log->segs[i]->size;
        while (TAKEABLE(k) && diff - log->segs[k]->size >= 0)
            diff -= log->segs[k++]->size;
    }
    upto[EXPIRED_SIZE] = k;
    if (p->delete_enabled && p->retention_ms >= 0)
        while (TAKEABLE(k) && now_ms - fr_segment_largest_timestamp(log->segs[k]) > p->retention_ms)
            k++;
    upto[EXPIRED_TIME] = k;
#undef TAKEABLE
    return k;
}


/*
 * Renames the segment's files to <name>.deleted (Kafka's first step of a
 * deletion) so that nothing opens them again.  The .log must go (else the
 * segment stays); a missing index file is fine, and one that cannot be
 * renamed is removed outright.  0 or FR_ERR_IO.
 */
int fr_partlog_rename_for_deletion(const fr_partlog_t *log, const fr_segment_t *seg) {
    for (size_t i = 0; i < FR_SEGMENT_FILES; i++) {
        char from[FR_SEGMENT_FILENAME_MAX], to[FR_SEGMENT_FILENAME_MAX + 16];
        fr_segment_filename(from, seg->base_offset, fr_segment_file_suffixes[i]);
        snprintf(to, sizeof(to), "%s%s", from, FR_PARTLOG_DELETED_SUFFIX);
        if (renameat(log->dirfd, from, log->dirfd, to) == 0 || errno == ENOENT)
            continue;
        if (i == 0) {
            fr_error(COMPONENT, "%s/%s: cannot rename for deletion: %s", log->dir, from, strerror(errno));
            return FR_ERR_IO;
        }
        fr_warn(COMPONENT, "%s/%s: cannot rename for deletion (%s); removing it", log->dir, from, strerror(errno));
        unlinkat(log->dirfd, from, 0);
    }
    return 0;
}

/* Removes the renamed files of the segments based at bases[0..n) (without the lock). */
void fr_partlog_remove_deleted_files(const fr_partlog_t *log, const int64_t *bases, size_t n) {
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < FR_SEGMENT_FILES; i++) {
            char name[FR_SEGMENT_FILENAME_MAX + 16];
            fr_segment_filename(name, bases[j], fr_segment_file_suffixes[i]);
            strcat(name, FR_PARTLOG_DELETED_SUFFIX);
            if (unlinkat(log->dirfd, name, 0) < 0 && errno != ENOENT)
                fr_warn(COMPONENT, "%s/%s: cannot remove: %s (it goes at the next open)", log->dir, name,
                        strerror(errno));
        }
    }
}

static void log_deletion(const fr_partlog_t *log, const fr_segment_t *seg, int rule,
                         const fr_retention_policy_t *p) {
    char why[128];
    if (rule == EXPIRED_START)
        snprintf(why, sizeof(why), "log start offset %" PRId64 " breach", log->log_start);
    else if (rule == EXPIRED_SIZE)
        snprintf(why, sizeof(why), "retention size %" PRId64 " breach", p->retention_bytes);
    else
        snprintf(why, sizeof(why), "retention time %" PRId64 "ms breach based on the largest record timestamp "
                 "in the segment", p->retention_ms);
    fr_info(COMPONENT, "%s: deleting segment %s (base offset %" PRId64 ", next offset %" PRId64 ", size %" PRId64
            ", largest timestamp %" PRId64 ") due to %s", log->dir, seg->name, seg->base_offset, seg->next_offset,
            seg->size, seg->max_timestamp, why);
}

int fr_partlog_apply_retention(fr_partlog_t *log, const fr_retention_policy_t *p, int64_t now_ms,
                               fr_retention_result_t *res) {
    size_t upto[EXPIRED_RULES];
    int rc = 0;

    *res = (fr_retention_result_t){0};
    pthread_mutex_lock(&log->lock);
    size_t k = count_expired(log, p, now_ms, upto);
    /* Kafka keeps at least one segment: deleting them all rolls to an empty one first. */
    if (k > 0 && k == log->nsegs && fr_partlog_roll_locked(log) != 0)
        k = 0, rc = FR_ERR_KAFKA_STORAGE_ERROR;
    int64_t *bases = k ? malloc(k * sizeof(*bases)) : NULL;
    if (k && !bases)
        k = 0, rc = FR_ERR_NOMEM;
    size_t done = 0;
    for (; done < k; done++) {
        fr_segment_t *seg = log->segs[done];
        int rule = done < upto[EXPIRED_START] ? EXPIRED_START : done < upto[EXPIRED_SIZE] ? EXPIRED_SIZE
                                                                                          : EXPIRED_TIME;
        if (fr_partlog_rename_for_deletion(log, seg) != 0) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        log_deletion(log, seg, rule, p);
        bases[done] = seg->base_offset;
        res->bytes_deleted += seg->size;
        log->size_bytes -= seg->size;
        fr_segment_free(seg); /* a fetch holding its file keeps reading it */
    }
    if (done) {
        memmove(log->segs, log->segs + done, (log->nsegs - done) * sizeof(*log->segs));
        log->nsegs -= done;
        if (log->segs[0]->base_offset > log->log_start) {
            log->log_start = log->segs[0]->base_offset;
            fr_info(COMPONENT, "%s: incremented log start offset to %" PRId64 " due to segment deletion", log->dir,
                    log->log_start);
        }
    }
    res->segments_deleted = done;
    res->log_start_offset = log->log_start;
    res->first_segment_base = log->segs[0]->base_offset;
    pthread_mutex_unlock(&log->lock);

    fr_partlog_remove_deleted_files(log, bases, done);
    free(bases);
    return rc;
}

int fr_partlog_delete_records(fr_partlog_t *log, int64_t offset, int64_t *low_watermark) {
    int rc = 0;
    pthread_mutex_lock(&log->lock);
    if (offset == FR_PARTLOG_HIGH_WATERMARK)
        offset = log->leo;
    if (offset < 0 || offset > log->leo) {
        *low_watermark = -1;
        rc = FR_ERR_OFFSET_OUT_OF_RANGE;
    } else {
        if (offset > log->log_start) {
            log->log_start = offset;
            fr_info(COMPONENT, "%s: incremented log start offset to %" PRId64 " due to a client delete records request",
                    log->dir, offset);
        }
        *low_watermark = log->log_start;
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int64_t fr_partlog_restore_start_offset(fr_partlog_t *log, int64_t offset) {
    pthread_mutex_lock(&log->lock);
    if (offset > log->leo) {
        fr_warn(COMPONENT, "%s: checkpointed log start offset %" PRId64 " is past the log end %" PRId64
                "; starting at the log end", log->dir, offset, log->leo);
        offset = log->leo;
    }
    if (offset > log->log_start)
        log->log_start = offset;
    int64_t v = log->log_start;
    pthread_mutex_unlock(&log->lock);
    return v;
}
