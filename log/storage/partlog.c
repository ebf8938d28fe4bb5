/*
 * partlog.c — one partition's log: open (with recovery), append, read,
 * flush, close, delete.  Offset-for-time lives in partlog_time.c, retention
 * and DeleteRecords in partlog_retention.c.  See fr_partlog.h for the contract.
 *
 * The log is an array of segments ordered by base offset; the last one is
 * active and takes appends.  One mutex guards the array and every segment's
 * in-memory state; segment files are shared with fetches by refcount, and
 * fsync runs without the lock.
 */
#include "fr_partlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compression.h"
#include "fr_array.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "index_file.h"
#include "log_validator.h"
#include "producer_state.h"
#include "record_batch.h"
#include "segment.h"
#include "partlog_internal.h"

#define COMPONENT "storage"


void fr_log_config_defaults(fr_log_config_t *cfg) {
    *cfg = (fr_log_config_t){
        .segment_bytes = 1073741824,
        .segment_ms = 7LL * 24 * 60 * 60 * 1000,
        .max_compaction_lag_ms = INT64_MAX,
        .index_interval_bytes = 4096,
        .max_message_bytes = 1048588,
        .flush_interval_messages = INT64_MAX,
        .flush_interval_ms = INT64_MAX,
        .index_max_bytes = 10485760,
        .ts_before_max_ms = INT64_MAX,
        .ts_after_max_ms = INT64_MAX,
        .codec_level = FR_COMPRESSION_LEVEL_DEFAULT,
        .producer_id_expiration_ms = FR_PRODUCER_EXPIRATION_MS,
        .producer_id_expiration_check_ms = FR_PRODUCER_EXPIRATION_CHECK_MS,
    }; /* delete policy, CreateTime, the producer's codec, no timestamp bounds */
}

static void sanitize_config(fr_log_config_t *c, const fr_log_config_t *in) {
    fr_log_config_t d;
    fr_log_config_defaults(&d);
    *c = *in;
    if (c->segment_bytes <= 0)
        c->segment_bytes = d.segment_bytes;
    if (c->segment_bytes > INT32_MAX)
        c->segment_bytes = INT32_MAX;
    if (c->segment_ms <= 0)
        c->segment_ms = d.segment_ms;
    if (c->segment_jitter_ms < 0)
        c->segment_jitter_ms = 0;
    if (c->max_compaction_lag_ms <= 0)
        c->max_compaction_lag_ms = INT64_MAX;
    if (c->index_interval_bytes < 0)
        c->index_interval_bytes = d.index_interval_bytes;
    if (c->max_message_bytes <= 0)
        c->max_message_bytes = d.max_message_bytes;
    if (c->flush_interval_messages <= 0)
        c->flush_interval_messages = 1;
    if (c->flush_interval_ms < 0)
        c->flush_interval_ms = d.flush_interval_ms;
    if (c->index_max_bytes < FR_TIME_INDEX_ENTRY_SIZE)
        c->index_max_bytes = d.index_max_bytes;
    if (c->codec < FR_COMPRESSION_NONE || c->codec > FR_COMPRESSION_ZSTD)
        c->recompress = 0;
    if (c->codec_level == 0) /* no codec's level in Kafka's ranges but zstd's, where 0 is its default */
        c->codec_level = FR_COMPRESSION_LEVEL_DEFAULT;
    if (c->producer_id_expiration_ms <= 0)
        c->producer_id_expiration_ms = d.producer_id_expiration_ms;
    if (c->producer_id_expiration_check_ms <= 0)
        c->producer_id_expiration_check_ms = d.producer_id_expiration_check_ms;
}

/* Takes the config (sanitized) and what of it the producer state keeps. */
void fr_partlog_set_config_locked(fr_partlog_t *log, const fr_log_config_t *cfg) {
    sanitize_config(&log->cfg, cfg);
    log->producers.expiration_ms = log->cfg.producer_id_expiration_ms;
    log->producers.expiration_check_ms = log->cfg.producer_id_expiration_check_ms;
}

int64_t fr_partlog_wall_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static fr_segment_t *active(fr_partlog_t *log) { return log->segs[log->nsegs - 1]; }

/* Kafka's LogConfig.randomSegmentJitter: uniform in [0, min(segment.jitter.ms, segment.ms)). */
static int64_t random_jitter(const fr_log_config_t *cfg) {
    static _Atomic uint64_t state;
    int64_t bound = cfg->segment_jitter_ms < cfg->segment_ms ? cfg->segment_jitter_ms : cfg->segment_ms;
    if (bound <= 0)
        return 0;
    uint64_t x = atomic_fetch_add(&state, 0x9e3779b97f4a7c15ULL) + (uint64_t)fr_partlog_wall_clock_ms();
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL; /* splitmix64 */
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return (int64_t)((x ^ (x >> 31)) % (uint64_t)bound);
}

int fr_partlog_push_segment(fr_partlog_t *log, fr_segment_t *seg) {
    if (FR_ARRAY_GROW(log->segs, log->cap, log->nsegs + 1, 8))
        return FR_ERR_NOMEM;
    seg->created_ms = fr_partlog_wall_clock_ms();
    seg->roll_jitter_ms = random_jitter(&log->cfg);
    log->segs[log->nsegs++] = seg;
    return 0;
}

void fr_partlog_free(fr_partlog_t *log) {
    for (size_t i = 0; i < log->nsegs; i++)
        fr_segment_free(log->segs[i]);
    free(log->segs);
    fr_producer_state_free(&log->producers);
    if (log->dirfd >= 0)
        close(log->dirfd);
    pthread_mutex_destroy(&log->lock);
    free(log->dir);
    free(log);
}


/* fdatasyncs a segment's index files; a segment deleted by retention meanwhile is no error. */
static int fsync_index_files(int dirfd, int64_t base) {
    for (int i = 1; i < FR_SEGMENT_FILES; i++) { /* the indexes */
        char name[FR_SEGMENT_FILENAME_MAX];
        fr_segment_filename(name, base, fr_segment_file_suffixes[i]);
        if (fr_fdatasync_at(dirfd, name) < 0 && errno != ENOENT)
            return FR_ERR_IO;
    }
    return 0;
}

void fr_partlog_close(fr_partlog_t *log) {
    if (!log)
        return;
    /* What a clean stop's next start trusts without a scan is made durable here, before the clean
     * shutdown file is written: the active segment's indexes (Kafka's shutdown flushes every log,
     * indexes included, before it closes them) and the producer snapshot. */
    fr_segment_seal(active(log)); /* the time index gets the max timestamp, as Kafka's LogSegment.close */
    if (fr_segment_write_indexes(active(log), log->dirfd) || fsync_index_files(log->dirfd, active(log)->base_offset))
        fr_warn(COMPONENT, "%s/%s: cannot write the index files: %s", log->dir, active(log)->name,
                strerror(errno));
    /* its directory fsync also covers index files made above */
    fr_producer_snapshot_write(&log->producers, log->dirfd, log->dir, log->leo, 1); /* warns on failure */
    fr_partlog_free(log);
}

int fr_partlog_delete(fr_partlog_t *log) { return fr_partlog_delete_from(log, log->dir); }

int fr_partlog_delete_from(fr_partlog_t *log, const char *dir) {
    DIR *d = fr_opendir_at(log->dirfd);
    struct dirent *e;
    int rc = 0;

    if (!d) {
        rc = FR_ERR_IO;
    } else {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (unlinkat(log->dirfd, e->d_name, 0) < 0 && errno != ENOENT)
                rc = FR_ERR_IO;
        }
        closedir(d);
    }
    if (rc == 0 && dir && rmdir(dir) < 0 && errno != ENOENT) /* gone already: its topic's deletion removed it */
        rc = FR_ERR_IO;
    if (rc)
        fr_error(COMPONENT, "%s: cannot delete: %s", dir ? dir : log->dir, strerror(errno));
    fr_partlog_free(log); /* fetches holding a segment keep reading the unlinked file */
    return rc;
}

/* ---- append ---- */

/* Seals the active segment, writes its indexes, starts a new one at the log end. */
int fr_partlog_roll_locked(fr_partlog_t *log) {
    fr_segment_t *old = active(log), *seg;
    fr_segment_seal(old);
    if (fr_segment_write_indexes(old, log->dirfd))
        fr_warn(COMPONENT, "%s/%s: cannot write the index files: %s (recovery will rebuild them)",
                log->dir, old->name, strerror(errno));
    int rc = fr_segment_create(log->dirfd, log->leo, log->cfg.index_max_bytes, &seg);
    if (rc == 0 && (rc = fr_partlog_push_segment(log, seg)) != 0)
        fr_segment_free(seg);
    if (rc == 0)
        log->rolled_unsynced = 1; /* told with the next append that succeeds (fr_append_info_t.rolled) */
    if (rc) {
        if (rc != FR_ERR_EXISTS) { /* a file created before the failure must not block the next roll */
            char name[FR_SEGMENT_FILENAME_MAX];
            fr_segment_filename(name, log->leo, ".log");
            unlinkat(log->dirfd, name, 0);
        }
        fr_error(COMPONENT, "%s: cannot roll to a new segment at offset %" PRId64 ": %s", log->dir,
                 log->leo, fr_err_str(rc));
        return rc;
    }
    log->dir_changes++;
    fr_debug(COMPONENT, "%s: rolled to %s", log->dir, seg->name);
    /* synced by the flush this roll asks for (rolled_unsynced), before the directory */
    if (fr_producer_snapshot_write(&log->producers, log->dirfd, log->dir, log->leo, 0) == 0)
        log->snapshot_unsynced = log->leo;
    return 0;
}

/*
 * Kafka's LogSegment.shouldRoll, for an append of len bytes and n_offsets
 * offsets whose largest timestamp is max_ts.  Time is the records': from the
 * segment's first batch to this one (timeWaitedForRoll), the wall clock only
 * when the segment has no timestamp; a compacted topic rolls at least every
 * max.compaction.lag.ms (maxSegmentMs); the segment's jitter comes off.
 */
static int should_roll(const fr_partlog_t *log, const fr_segment_t *seg, size_t len, int64_t n_offsets,
                       int64_t now_ms, int64_t max_ts) {
    if (seg->size == 0)
        return 0; /* never roll an empty segment */
    const fr_log_config_t *c = &log->cfg;
    int64_t max_segment_ms = c->compacted && c->max_compaction_lag_ms < c->segment_ms ? c->max_compaction_lag_ms
                                                                                     : c->segment_ms;
    /* Java's long arithmetic: client timestamps far apart wrap rather than trap */
    int64_t waited = seg->roll_base_ms >= 0 ? (int64_t)((uint64_t)max_ts - (uint64_t)seg->roll_base_ms)
                                            : now_ms - seg->created_ms;
    return seg->size + (int64_t)len > c->segment_bytes || waited > max_segment_ms - seg->roll_jitter_ms ||
           fr_offset_index_is_full(&seg->oindex) || fr_time_index_is_full(&seg->tindex) ||
           log->leo + n_offsets - 1 - seg->base_offset > INT32_MAX;
}

/* Logs why an idempotent append did not happen; fills info for a duplicate.  Returns rc. */
static int producer_outcome(const fr_partlog_t *log, const fr_producer_append_t *pa, int rc,
                            fr_append_info_t *info) {
    if (rc) {
        fr_debug(COMPONENT, "%s: rejected append from producer %" PRId64 " epoch %d sequence %d: %s", log->dir,
                 pa->refused.producer_id, pa->refused.producer_epoch, pa->refused.base_sequence,
                 pa->why ? pa->why : fr_err_str(rc));
        return rc;
    }
    info->base_offset = pa->first_dup.first_offset;
    info->last_offset = pa->last_dup.last_offset;
    info->max_timestamp = pa->last_dup.max_timestamp;
    info->duplicate = 1;
    fr_debug(COMPONENT, "%s: duplicate of the batch(es) at offsets %" PRId64 "..%" PRId64 "; not appended again",
             log->dir, info->base_offset, info->last_offset);
    return 0;
}

/*
 * Writes batches that fr_log_validate passed (and fr_log_convert and the
 * LogAppendTime stamp changed, if the topic asks) to the active segment.
 */
static int append_validated(fr_partlog_t *log, const fr_log_config_t *cfg, uint8_t *buf, size_t len,
                            int64_t now_ms, const fr_log_validation_t *v, fr_append_info_t *info) {
    int64_t n_offsets = v->n_offsets, max_ts = v->max_ts;
    int32_t n_records = v->n_records;
    int rc;

    pthread_mutex_lock(&log->lock);
    info->log_start_offset = log->log_start;
    if (len == 0) {
        pthread_mutex_unlock(&log->lock);
        return 0;
    }
    if (log->tail_dirty) {
        /* an earlier failed write could not be cut back: nothing goes in until it is */
        if (ftruncate(active(log)->log->fd, active(log)->size) < 0) {
            fr_error(COMPONENT, "%s/%s: cannot cut the tail of a failed write back to %" PRId64 ": %s",
                     log->dir, active(log)->name, active(log)->size, strerror(errno));
            pthread_mutex_unlock(&log->lock);
            return FR_ERR_KAFKA_STORAGE_ERROR;
        }
        log->tail_dirty = 0;
    }
    if (should_roll(log, active(log), len, n_offsets, now_ms, max_ts) && fr_partlog_roll_locked(log) != 0) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    fr_segment_t *seg = active(log);

    /* Idempotent producers: every batch checked before anything is written (producer_state.h). */
    fr_producer_append_t pa;
    fr_producer_append_begin(&pa, &log->producers, now_ms);
    if (v->idempotent) {
        rc = fr_producer_append_request(&pa, buf, len, log->leo);
        if (rc || pa.all_duplicates) {
            pthread_mutex_unlock(&log->lock);
            return producer_outcome(log, &pa, rc, info);
        }
    }

    /* Assign offsets in place; the CRC does not cover these two fields. */
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    int64_t next = log->leo;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        uint8_t *b = buf + (batch - buf);
        fr_batch_set_base_offset(b, next);
        fr_batch_set_leader_epoch(b, log->leader_epoch);
        next += (int64_t)h.last_offset_delta + 1;
    }

    int64_t pos = seg->size;
    fr_segment_reserve(seg, pos + (int64_t)len, cfg->segment_bytes);
    if (fr_pwrite_full(seg->log->fd, buf, len, pos)) {
        /*
         * ENOSPC, EIO or a short write: undo it.  Nothing in memory has
         * changed yet (offsets, indexes, size, producer state), so cutting the
         * file back to pos leaves the log exactly as before the call.  When
         * the cut fails too, the next append retries it before writing, and
         * reads never go past seg->size meanwhile.
         */
        int err = errno;
        fr_producer_append_abort(&pa);
        if (ftruncate(seg->log->fd, pos) < 0) {
            log->tail_dirty = 1;
            fr_warn(COMPONENT, "%s/%s: cannot cut a failed write back to %" PRId64 ": %s", log->dir,
                    seg->name, pos, strerror(errno));
        }
        pthread_mutex_unlock(&log->lock);
        fr_error(COMPONENT, "%s/%s: write of %zu bytes at position %" PRId64 " failed: %s", log->dir,
                 seg->name, len, pos, strerror(err));
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    fr_producer_append_commit(&pa);

    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        int64_t at = pos + (int64_t)it.pos - (int64_t)blen;
        if (at == 0)
            seg->roll_base_ms = h.max_timestamp; /* the segment's first batch */
        fr_segment_track_batch(seg, at, &h, log->cfg.index_interval_bytes);
    }

    info->base_offset = log->leo;
    info->last_offset = next - 1;
    info->max_timestamp = max_ts;
    info->record_count = n_records;
    log->leo = next;
    log->size_bytes += (int64_t)len;
    log->appended_messages += n_records;
    log->last_append_ms = now_ms;
    if (log->last_flush_ms < 0)
        log->last_flush_ms = now_ms;
    info->needs_flush = log->appended_messages - log->flushed_messages >= log->cfg.flush_interval_messages ||
                        now_ms - log->last_flush_ms >= log->cfg.flush_interval_ms;
    info->rolled = log->rolled_unsynced;
    log->rolled_unsynced = 0;
    pthread_mutex_unlock(&log->lock);
    return 0;
}

void fr_append_info_release(fr_append_info_t *info) {
    free(info->record_errors);
    info->record_errors = NULL;
    info->n_record_errors = 0;
}

int fr_partlog_append(fr_partlog_t *log, uint8_t *buf, size_t len, int64_t now_ms,
                      fr_append_info_t *info) {
    fr_log_validation_t v;
    fr_writer_t converted;

    *info = (fr_append_info_t){.base_offset = -1, .last_offset = -1, .max_timestamp = -1,
                               .log_append_time = -1, .log_start_offset = -1};
    pthread_mutex_lock(&log->lock);
    fr_log_config_t cfg = log->cfg; /* fr_partlog_set_config may change it meanwhile */
    pthread_mutex_unlock(&log->lock);
    fr_writer_init(&converted);
    int rc = fr_log_validate(&cfg, buf, len, now_ms, &v);
    if (rc == 0 && v.fix_max_ts) /* before a conversion, which copies the header */
        fr_log_fix_max_timestamps(&cfg, buf, len);
    if (rc == 0 && v.convert && (rc = fr_log_convert(&cfg, buf, len, &converted, &v.why, &v.oversize)) == 0) {
        buf = converted.buf;
        len = converted.len;
    }
    if (rc) {
        info->why = v.why;
        info->oversize = v.oversize;
        info->record_errors = v.errors; /* info owns them now */
        info->n_record_errors = v.n_errors;
        info->ts_lo = v.ts_lo;
        info->ts_hi = v.ts_hi;
        fr_debug(COMPONENT, "%s: rejected append: %s", log->dir, v.why ? v.why : fr_err_str(rc));
    } else {
        if (cfg.log_append_time) {
            fr_log_stamp_append_time(buf, len, now_ms);
            v.max_ts = now_ms;
        }
        rc = append_validated(log, &cfg, buf, len, now_ms, &v, info);
        /* A retry is answered with its stored batch's max timestamp, whatever the topic's
         * timestamp type (Kafka's UnifiedLog.append sets it from the duplicate's entry): on a
         * LogAppendTime topic that is the first append's time, however often the client retries. */
        if (rc == 0 && (cfg.log_append_time || info->duplicate))
            info->log_append_time = info->duplicate ? info->max_timestamp : now_ms;
    }
    fr_writer_free(&converted);
    return rc;
}

/* ---- read ---- */

/* Index of the last segment whose base offset is <= offset (0 if none). */
size_t fr_partlog_floor_segment(const fr_partlog_t *log, int64_t offset) {
    size_t lo = 0, hi = log->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

int fr_partlog_read(fr_partlog_t *log, int64_t offset, int32_t max_bytes, fr_read_result_t *out) {
    int rc = 0;

    pthread_mutex_lock(&log->lock);
    *out = (fr_read_result_t){.fd = -1, .offset = offset, .high_watermark = log->leo,
                              .log_start_offset = log->log_start};
    if (offset < out->log_start_offset || offset > log->leo) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_OFFSET_OUT_OF_RANGE;
    }
    for (size_t i = fr_partlog_floor_segment(log, offset); offset < log->leo && i < log->nsegs; i++) {
        fr_segment_t *seg = log->segs[i];
        fr_batch_header_t h;
        int64_t pos, end;
        if (seg->size == 0 || offset >= seg->next_offset)
            continue;
        rc = fr_segment_find(seg, log->dir, offset, &pos, &h);
        if (rc == FR_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0)
            rc = fr_segment_fetch_end(seg, log->dir, pos, fr_batch_size(&h), max_bytes, &end);
        if (rc) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        fr_segfile_ref(seg->log);
        out->fd = seg->log->fd;
        out->file_position = pos;
        out->len = (size_t)(end - pos);
        out->unref = fr_segfile_unref;
        out->ref = seg->log;
        out->bytes_behind = seg->size - pos;
        for (size_t j = i + 1; j < log->nsegs; j++)
            out->bytes_behind += log->segs[j]->size;
        break;
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

/* ---- getters ---- */

int64_t fr_partlog_start_offset(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = log->log_start;
    pthread_mutex_unlock(&log->lock);
    return v;
}

int64_t fr_partlog_end_offset(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = log->leo;
    pthread_mutex_unlock(&log->lock);
    return v;
}

int64_t fr_partlog_recovery_point(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = log->recovery_point;
    pthread_mutex_unlock(&log->lock);
    return v;
}

int64_t fr_partlog_size_bytes(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = log->size_bytes;
    pthread_mutex_unlock(&log->lock);
    return v;
}

size_t fr_partlog_segment_count(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    size_t v = log->nsegs;
    pthread_mutex_unlock(&log->lock);
    return v;
}

void fr_partlog_set_leader_epoch(fr_partlog_t *log, int32_t epoch) {
    pthread_mutex_lock(&log->lock);
    log->leader_epoch = epoch;
    pthread_mutex_unlock(&log->lock);
}

void fr_partlog_set_config(fr_partlog_t *log, const fr_log_config_t *cfg) {
    pthread_mutex_lock(&log->lock);
    fr_partlog_set_config_locked(log, cfg);
    pthread_mutex_unlock(&log->lock);
}

/* ---- flush ---- */

typedef struct flush_item {
    fr_segfile_t *file;
    int64_t base_offset;
    int64_t size;
    int indexes;
} flush_item_t;

int fr_partlog_flush(fr_partlog_t *log) {
    flush_item_t *items;
    size_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&log->lock);
    if (log->writeback_error) {
        fr_error(COMPONENT, "%s: an earlier writeback failed (%s): the log's data may not be on disk", log->dir,
                 strerror(log->writeback_error));
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    items = calloc(log->nsegs, sizeof(*items));
    if (!items) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    for (size_t i = 0; i < log->nsegs; i++) {
        fr_segment_t *seg = log->segs[i];
        int is_active = i + 1 == log->nsegs;
        int indexes = seg->index_unsynced && !is_active;
        if (seg->synced_size == seg->size && !indexes)
            continue;
        fr_segfile_ref(seg->log);
        items[n++] = (flush_item_t){seg->log, seg->base_offset, seg->size, indexes};
    }
    uint64_t dir_changes = log->dir_changes;
    int dir_dirty = log->dir_synced != dir_changes;
    int64_t leo = log->leo; /* every byte below it is in the files synced here */
    int64_t messages = log->appended_messages;
    int64_t append_ms = log->last_append_ms;
    int64_t snapshot = log->snapshot_unsynced;
    pthread_mutex_unlock(&log->lock);

    for (size_t i = 0; i < n; i++) {
        if (fdatasync(items[i].file->fd) < 0 ||
            (items[i].indexes && fsync_index_files(log->dirfd, items[i].base_offset))) {
            char name[FR_SEGMENT_FILENAME_MAX];
            fr_segment_filename(name, items[i].base_offset, ".log");
            fr_error(COMPONENT, "%s/%s: fsync failed: %s", log->dir, name, strerror(errno));
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            /* the kernel may have dropped those pages: a later fsync that succeeds proves nothing
             * about them, so the recovery point stays where it is until the next open */
            pthread_mutex_lock(&log->lock);
            log->fsync_failed = 1;
            pthread_mutex_unlock(&log->lock);
            items[i].size = -1;
        }
    }
    if (snapshot >= 0 && fr_producer_snapshot_sync(log->dirfd, snapshot) != 0) {
        /* not the log's data: a snapshot that is lost is found out at open and replayed past */
        fr_warn(COMPONENT, "%s: fsync of the producer snapshot at %" PRId64 " failed: %s", log->dir, snapshot,
                strerror(errno));
        snapshot = -1;
    }
    if (rc == 0 && dir_dirty && fsync(log->dirfd) < 0) {
        fr_error(COMPONENT, "%s: fsync of the directory failed: %s", log->dir, strerror(errno));
        rc = FR_ERR_KAFKA_STORAGE_ERROR;
    }

    pthread_mutex_lock(&log->lock);
    for (size_t i = 0; i < n; i++) {
        if (items[i].size >= 0) {
            for (size_t j = 0; j < log->nsegs; j++) {
                fr_segment_t *seg = log->segs[j];
                if (seg->base_offset != items[i].base_offset)
                    continue;
                if (items[i].size > seg->synced_size)
                    seg->synced_size = items[i].size;
                if (items[i].indexes)
                    seg->index_unsynced = 0;
                break;
            }
        }
        fr_segfile_unref(items[i].file);
    }
    if (snapshot >= 0 && log->snapshot_unsynced == snapshot)
        log->snapshot_unsynced = -1; /* a roll meanwhile wrote a newer one: that one still waits */
    if (rc == 0) {
        if (dir_dirty && dir_changes > log->dir_synced)
            log->dir_synced = dir_changes;
        if (messages > log->flushed_messages)
            log->flushed_messages = messages;
        if (append_ms > log->last_flush_ms)
            log->last_flush_ms = append_ms;
        if (leo > log->recovery_point && !log->fsync_failed)
            log->recovery_point = leo;
    }
    pthread_mutex_unlock(&log->lock);
    free(items);
    return rc;
}

