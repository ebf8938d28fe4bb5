/*
 * partlog_time.c — ListOffsets by timestamp: the time index finds the batch,
 * then its records (decompressed if need be) give the first one whose
 * timestamp reaches the target.  See fr_partlog_offset_for_time() and
 * fr_partlog_offset_of_max_timestamp().  Version 0's segment-time answer is
 * here too (fr_partlog_legacy_offsets_before()).
 */
#include "compression.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "index_file.h"
#include "partlog_internal.h"
#include "record_batch.h"
#include "segment.h"

#define COMPONENT "storage"

/* ---- offset for time ---- */

/* Cap on a batch's decompressed records when looking inside it. */
#define TIME_SEARCH_MAX_RECORDS_BYTES ((size_t)256 << 20)

/*
 * The first batch whose last offset is >= from and whose max timestamp is
 * >= ts (the time index finds it in its segment), with a reference to its
 * segment file that the caller drops.  The lock is held only to pick the
 * segment and read its indexes: the headers are read on a snapshot of it,
 * so appends and the loop's other calls on this log do not wait for the
 * disk.  FR_ERR_NOT_FOUND when there is none, FR_ERR_KAFKA_STORAGE_ERROR.
 */
static int find_time_batch(fr_partlog_t *log, int64_t ts, int64_t from, fr_segfile_t **file,
                           int64_t *pos, fr_batch_header_t *h) {
    for (;;) {
        fr_segment_t snap;
        fr_segment_time_start_t start;
        int found = 0;
        pthread_mutex_lock(&log->lock);
        for (size_t i = fr_partlog_floor_segment(log, from); i < log->nsegs && !found; i++) {
            fr_segment_t *seg = log->segs[i];
            if (seg->size == 0 || seg->max_timestamp < ts || seg->next_offset <= from)
                continue;
            fr_segment_time_start(seg, ts, from, &start);
            fr_segment_snapshot(seg, &snap);
            found = 1;
        }
        pthread_mutex_unlock(&log->lock);
        if (!found)
            return FR_ERR_NOT_FOUND;
        int rc = fr_segment_scan_time(&snap, log->dir, &start, ts, from, pos, h);
        if (rc == 0) {
            *file = snap.log;
            return 0;
        }
        fr_segfile_unref(snap.log);
        if (rc != FR_ERR_NOT_FOUND)
            return FR_ERR_KAFKA_STORAGE_ERROR;
        from = snap.next_offset; /* the segment's max timestamp was too optimistic: on to the next */
    }
}

/*
 * Without the lock: reads the batch at pos and finds its first record with a
 * timestamp >= ts.  A batch whose records cannot be decoded (damaged on disk,
 * or too big once decompressed) is answered at batch granularity, its base
 * offset and max timestamp, with a warning: that offset is never past the
 * right one.  FR_ERR_NOT_FOUND when no record of the batch qualifies.
 */
static int search_batch(fr_partlog_t *log, fr_segfile_t *file, int64_t pos, const fr_batch_header_t *h,
                        int64_t ts, fr_writer_t *buf, fr_writer_t *scratch, int64_t *offset,
                        int64_t *timestamp) {
    size_t size = (size_t)fr_batch_size(h);
    const char *why = NULL;

    fr_writer_reset(buf);
    uint8_t *batch = fr_writer_room(buf, size);
    if (!batch)
        return FR_ERR_NOMEM;
    if (fr_pread_full(file->fd, batch, size, pos)) {
        fr_error(COMPONENT, "%s: cannot read the batch at offset %" PRId64 ": %s", log->dir,
                 h->base_offset, strerror(errno));
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    int rc = fr_batch_validate(batch, size, h, 0, &why);
    if (rc == 0)
        rc = fr_batch_find_time(batch, size, h, ts, scratch, TIME_SEARCH_MAX_RECORDS_BYTES, offset,
                                timestamp, &why);
    if (rc == 0 || rc == FR_ERR_NOT_FOUND || rc == FR_ERR_NOMEM)
        return rc;
    fr_warn(COMPONENT, "%s: cannot look inside the batch at offset %" PRId64 " for timestamp %" PRId64
            ": %s; answering with the batch", log->dir, h->base_offset, ts, why ? why : fr_err_str(rc));
    *offset = h->base_offset;
    *timestamp = h->max_timestamp;
    return 0;
}

/*
 * After search_batch answered an offset below `from` (the log start, inside
 * this batch, whose bytes are still in buf): the first record at or after
 * from whose timestamp is >= ts.  A batch that cannot be decoded is answered
 * with from itself and the batch's max timestamp.  FR_ERR_NOT_FOUND when no
 * record of the batch qualifies.
 */
static int search_batch_from(fr_writer_t *buf, const fr_batch_header_t *h, int64_t ts, int64_t from,
                             fr_writer_t *scratch, int64_t *offset, int64_t *timestamp) {
    fr_record_iter_t it;
    fr_record_t rec;
    if (fr_record_iter_init_any(&it, buf->buf, (size_t)fr_batch_size(h), h, scratch,
                                TIME_SEARCH_MAX_RECORDS_BYTES) != 0) {
        *offset = from;
        *timestamp = h->max_timestamp;
        return 0;
    }
    while (fr_record_iter_next(&it, &rec)) {
        int64_t rts = fr_batch_is_log_append_time(h) ? h->max_timestamp : rec.timestamp;
        if (rec.offset >= from && rts >= ts) {
            *offset = rec.offset;
            *timestamp = rts;
            return 0;
        }
    }
    return FR_ERR_NOT_FOUND;
}

int fr_partlog_offset_for_time(fr_partlog_t *log, int64_t ts, int64_t *offset_out, int64_t *ts_out) {
    fr_writer_t buf, scratch;
    int64_t from = fr_partlog_start_offset(log); /* nothing below the log start is answered */
    int rc;

    *offset_out = -1;
    *ts_out = -1;
    fr_writer_init(&buf);
    fr_writer_init(&scratch);
    for (;;) {
        fr_segfile_t *file;
        fr_batch_header_t h;
        int64_t pos;
        rc = find_time_batch(log, ts, from, &file, &pos, &h);
        if (rc)
            break;
        rc = search_batch(log, file, pos, &h, ts, &buf, &scratch, offset_out, ts_out);
        if (rc == 0 && *offset_out < from) /* the batch straddles the log start */
            rc = search_batch_from(&buf, &h, ts, from, &scratch, offset_out, ts_out);
        fr_segfile_unref(file);
        if (rc != FR_ERR_NOT_FOUND)
            break;
        from = fr_batch_last_offset(&h) + 1; /* timestamps out of order: try the next batch */
    }
    fr_writer_free(&buf);
    fr_writer_free(&scratch);
    return rc == FR_ERR_NOT_FOUND ? 0 : rc;
}

int fr_partlog_offset_of_max_timestamp(fr_partlog_t *log, int64_t *offset_out, int64_t *ts_out) {
    int64_t max = -1;
    pthread_mutex_lock(&log->lock);
    for (size_t i = 0; i < log->nsegs; i++)
        if (log->segs[i]->size > 0 && log->segs[i]->max_timestamp > max)
            max = log->segs[i]->max_timestamp;
    pthread_mutex_unlock(&log->lock);
    if (max < 0) {
        *offset_out = -1;
        *ts_out = -1;
        return 0;
    }
    return fr_partlog_offset_for_time(log, max, offset_out, ts_out);
}

/* ---- ListOffsets v0: offsets before a time, by segment ---- */

/* Kafka's offset-time array, entry i: segment i's base offset (at least the log start), or past
 * the segments the log end; and its time, the segment's mtime or now_ms for the log end. */
static int64_t legacy_offset(const fr_partlog_t *log, size_t i) {
    if (i == log->nsegs)
        return log->leo;
    return log->segs[i]->base_offset > log->log_start ? log->segs[i]->base_offset : log->log_start;
}

static int64_t legacy_time(const fr_partlog_t *log, size_t i, int64_t now_ms) {
    if (i == log->nsegs)
        return now_ms;
    int64_t mtime = fr_segment_mtime_ms(log->segs[i]);
    return mtime >= 0 ? mtime : 0; /* Java's File.lastModified gives 0 when it cannot tell */
}

size_t fr_partlog_legacy_offsets_before(fr_partlog_t *log, int64_t ts, int64_t now_ms, int32_t max, int64_t *out,
                                        size_t cap) {
    size_t n = 0;
    pthread_mutex_lock(&log->lock);
    size_t entries = log->nsegs + (log->segs[log->nsegs - 1]->size > 0 ? 1 : 0);
    size_t next = entries; /* one past the newest entry to answer; 0 when none */
    if (ts == -2)
        next = 1;
    else if (ts != -1)
        while (next > 0 && legacy_time(log, next - 1, now_ms) > ts)
            next--;
    for (; next > 0 && (int64_t)n < max; next--, n++)
        if (n < cap)
            out[n] = legacy_offset(log, next - 1);
    pthread_mutex_unlock(&log->lock);
    return n;
}
