/*
 * partlog_compact.c — log compaction (Kafka's LogCleaner) for one partition
 * log.  See fr_partlog_compact() in fr_partlog.h for the contract.
 *
 * A pass works on the "cleanable" segments: every non-active segment, oldest
 * first, up to the first dirty one (past the cleaner checkpoint) whose largest
 * timestamp is younger than min.compaction.lag.ms.  Those segments are
 * immutable (appends only touch the active segment), so the pass reads them
 * without the lock:
 *
 *   1. offset map: key -> offset of its last record in the cleanable range
 *      (compressed batches are decompressed);
 *   2. per segment, oldest first: every batch is rewritten keeping the
 *      records whose key maps to their own offset (a record without a key
 *      goes, as Kafka's shouldRetainRecord drops it).  Tombstones follow
 *      Kafka's delete horizon (KIP-534): the first clean that keeps one
 *      stamps its batch with deleteHorizonMs = now + delete.retention.ms (the
 *      attribute bit, the horizon in baseTimestamp and every record's
 *      timestamp delta re-based on it, so record timestamps do not change);
 *      a later clean drops the batch's tombstones once now reaches the
 *      horizon.  A batch that keeps all its records and needs no horizon is
 *      copied byte for byte; otherwise it is rebuilt with the same header
 *      (baseOffset, lastOffsetDelta, producer fields and codec are kept, so
 *      every record keeps its offset delta and offset, as Kafka's
 *      MemoryRecords.filterTo does for magic v2), the kept records' bytes
 *      unchanged but for a re-based timestamp delta, recompressed with the
 *      batch's codec (fr_compress), count, max timestamp and CRC updated.  A batch left with no record
 *      is dropped (an offset gap, which Kafka allows), except a producer's
 *      last batch in the whole log (the producer state says which), kept as
 *      an empty batch so that producer state survives (Kafka's rule);
 *      control batches are kept as they are;
 *   3. consecutive segments whose sizes before cleaning add up to at most
 *      segment.bytes are cleaned into one (Kafka's groupSegmentsBySize), so a
 *      compacted log does not keep a small file for every segment it ever
 *      rolled; a group goes in with the steps and crash safety described in
 *      partlog_swap.c (write, fsync, rename to .swap, then the old segments
 *      out and the swap in under the lock).  The in-memory segments are
 *      rebuilt from the cleaned bytes; a fetch that holds an old file keeps
 *      reading it.
 *
 * Groups go in one at a time, oldest first, each under the lock, and the
 * offset map covers the whole range first, so a reader always sees a log in
 * which every key's latest record in the cleanable range is present.  A lone
 * segment whose batches were all copied as they were is left alone.
 * Segments left with no batch at all are removed instead (not the log's
 * first, whose base is where a reopen puts the log start).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compression.h"
#include "fr_err.h"
#include "fr_hash.h"
#include "fr_logging.h"
#include "partlog_internal.h"
#include "record_batch.h"
#include "segment.h"

#define COMPONENT "cleaner"

/* ---- offset map: key bytes -> last offset ---- */

typedef struct map_entry {
    uint64_t hash;
    int64_t offset;
    uint8_t *key; /* NULL: empty slot */
    int32_t len;
} map_entry_t;

typedef struct offset_map {
    map_entry_t *slots;
    size_t cap, n;
    int err;
} offset_map_t;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = fr_hash_bytes(p, n);
    return h ? h : 1;
}

static map_entry_t *map_slot(map_entry_t *slots, size_t cap, uint64_t h, const uint8_t *k, int32_t len) {
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        map_entry_t *e = &slots[i];
        if (!e->key || (e->hash == h && e->len == len && memcmp(e->key, k, (size_t)len) == 0))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

static void map_put(offset_map_t *m, const uint8_t *k, int32_t len, int64_t offset) {
    if (m->err)
        return;
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        map_entry_t *s = calloc(cap, sizeof(*s));
        if (!s) {
            m->err = FR_ERR_NOMEM;
            return;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                *map_slot(s, cap, m->slots[i].hash, m->slots[i].key, m->slots[i].len) = m->slots[i];
        free(m->slots);
        m->slots = s;
        m->cap = cap;
    }
    uint64_t h = hash_bytes(k, (size_t)len);
    map_entry_t *e = map_slot(m->slots, m->cap, h, k, len);
    if (!e->key) {
        e->key = malloc(len > 0 ? (size_t)len : 1);
        if (!e->key) {
            m->err = FR_ERR_NOMEM;
            return;
        }
        memcpy(e->key, k, (size_t)len);
        e->len = len;
        e->hash = h;
        m->n++;
    }
    e->offset = offset; /* records are mapped in offset order */
}

/* The mapped offset, or -1. */
static int64_t map_get(const offset_map_t *m, const uint8_t *k, int32_t len) {
    if (!m->cap)
        return -1;
    map_entry_t *e = map_slot(m->slots, m->cap, hash_bytes(k, (size_t)len), k, len);
    return e->key ? e->offset : -1;
}

static void map_free(offset_map_t *m) {
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- the segments of a pass ---- */


static int read_all(int fd, uint8_t *buf, int64_t len) {
    int64_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, buf + done, (size_t)(len - done), done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return FR_ERR_IO;
        done += r;
    }
    return 0;
}

/* Reads a whole segment file (its valid size as of the snapshot). */
static uint8_t *load_segment(const fr_partlog_t *log, const fr_clean_seg_t *cs) {
    uint8_t *buf = malloc(cs->size ? (size_t)cs->size : 1);
    if (buf && read_all(cs->file->fd, buf, cs->size)) {
        fr_error(COMPONENT, "%s/%020" PRId64 ".log: cannot read: %s", log->dir, cs->base, strerror(errno));
        free(buf);
        return NULL;
    }
    return buf;
}

/* Pass 1 over one segment: keys and producers into the maps. */
static void map_segment(const uint8_t *buf, int64_t size, offset_map_t *keys, fr_writer_t *scratch) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_batch_iter_init(&it, buf, (size_t)size);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if (fr_batch_is_control(&h))
            continue;
        fr_record_iter_t ri;
        fr_record_t rec;
        if (fr_record_iter_init_any(&ri, batch, blen, &h, scratch, 0))
            continue;
        while (fr_record_iter_next(&ri, &rec))
            if (!fr_slice_is_null(rec.key))
                map_put(keys, rec.key.ptr, rec.key.len, rec.offset);
    }
}

typedef struct clean_ctx {
    fr_partlog_t *log;
    const offset_map_t *keys;
    int64_t now_ms;
    int64_t delete_retention_ms;
    fr_writer_t scratch, kept, rebased;
    int64_t records_removed;
    int rewritten;               /* batches rewritten or dropped (not copied as they were) */
} clean_ctx_t;

/* Kafka keeps a batch the clean empties only when it is its producer's last in the whole log
 * (lastRecordsOfActiveProducers), so that reloading the producer state from the log finds it. */
static int is_producers_last_batch(fr_partlog_t *log, const fr_batch_header_t *h) {
    pthread_mutex_lock(&log->lock);
    const fr_producer_entry_t *e = fr_producer_state_find(&log->producers, h->producer_id);
    int last = e && e->nbatches > 0 && fr_producer_entry_batch(e, 0)->last_offset == fr_batch_last_offset(h);
    pthread_mutex_unlock(&log->lock);
    return last;
}

/*
 * Re-writes the records in c->kept (raw, as in the batch) with timestamp
 * deltas from new_base instead of old_base, into c->rebased.  Returns 0 or
 * FR_ERR_NOMEM / FR_ERR_INVALID_RECORD (cannot happen: the iterator read them).
 */
static int rebase_records(clean_ctx_t *c, int64_t old_base, int64_t new_base) {
    fr_reader_t r;
    fr_writer_reset(&c->rebased);
    fr_reader_init(&r, c->kept.buf, c->kept.len);
    while (r.p < r.end) {
        int32_t len;
        int64_t delta;
        uint8_t attributes;
        if (fr_read_varint(&r, &len) || len < 1 || r.end - r.p < len)
            return FR_ERR_INVALID_RECORD;
        const uint8_t *rec_end = r.p + len;
        attributes = *r.p++;
        if (fr_read_varlong(&r, &delta) || r.p > rec_end)
            return FR_ERR_INVALID_RECORD;
        /* Java's long arithmetic: the timestamp and the new delta wrap, never trap */
        int64_t ts = (int64_t)((uint64_t)old_base + (uint64_t)delta);
        int64_t new_delta = (int64_t)((uint64_t)ts - (uint64_t)new_base);
        uint8_t head[10]; /* the new delta as a zigzag varlong */
        size_t hn = 0;
        uint64_t z = ((uint64_t)new_delta << 1) ^ (uint64_t)(new_delta >> 63);
        for (; z >= 0x80; z >>= 7)
            head[hn++] = (uint8_t)(z | 0x80);
        head[hn++] = (uint8_t)z;
        fr_write_varint(&c->rebased, (int32_t)(1 + hn + (size_t)(rec_end - r.p)));
        fr_write_raw(&c->rebased, &attributes, 1);
        fr_write_raw(&c->rebased, head, hn);
        fr_write_raw(&c->rebased, r.p, (size_t)(rec_end - r.p));
        r.p = rec_end;
    }
    return c->rebased.err ? FR_ERR_NOMEM : 0;
}

/*
 * Appends the cleaned form of one batch to out (or nothing when it goes).
 * A batch whose records cannot be decoded is kept as it is.
 */
static int clean_batch(clean_ctx_t *c, const uint8_t *batch, size_t blen, const fr_batch_header_t *h,
                       fr_writer_t *out) {
    fr_record_iter_t ri;
    fr_record_t rec;
    if (fr_batch_is_control(h) || fr_record_iter_init_any(&ri, batch, blen, h, &c->scratch, 0)) {
        fr_write_raw(out, batch, blen);
        return out->err;
    }
    int has_horizon = (h->attributes & FR_BATCH_ATTR_DELETE_HORIZON) != 0;
    /* Kafka's shouldRetainDeletes: until a clean has set the horizon, and then until it passes */
    int retain_deletes = !has_horizon || c->now_ms < h->base_timestamp;
    fr_writer_reset(&c->kept);
    int32_t kept = 0, total = 0, tombstones = 0;
    int64_t max_ts = -1;
    for (;;) {
        const uint8_t *start = ri.r.p;
        if (!fr_record_iter_next(&ri, &rec))
            break;
        total++;
        if (fr_slice_is_null(rec.key))
            continue; /* Kafka's cleaner drops a record without a key */
        if (map_get(c->keys, rec.key.ptr, rec.key.len) > rec.offset)
            continue; /* a later record has the same key */
        if (fr_slice_is_null(rec.value) && !retain_deletes)
            continue; /* a tombstone past its batch's delete horizon */
        tombstones += fr_slice_is_null(rec.value);
        fr_write_raw(&c->kept, start, (size_t)(ri.r.p - start));
        kept++;
        if (rec.timestamp > max_ts)
            max_ts = rec.timestamp;
    }
    if (ri.err) { /* undecodable: leave the batch alone */
        fr_write_raw(out, batch, blen);
        return out->err;
    }
    c->records_removed += total - kept;
    int set_horizon = tombstones > 0 && !has_horizon;
    /* a batch left empty stays only while it is its producer's last; so does one an earlier clean kept */
    int keep_empty = kept == 0 && h->producer_id >= 0 && is_producers_last_batch(c->log, h);
    if (kept == total && !set_horizon && (total > 0 || keep_empty)) {
        fr_write_raw(out, batch, blen);
        return out->err;
    }
    c->rewritten++;
    int64_t base_ts = h->base_timestamp;
    const fr_writer_t *records = &c->kept;
    if (set_horizon) {
        base_ts = c->delete_retention_ms > INT64_MAX - c->now_ms ? INT64_MAX : c->now_ms + c->delete_retention_ms;
        int rc = rebase_records(c, h->base_timestamp, base_ts);
        if (rc)
            return rc;
        records = &c->rebased;
    }
    if (kept == 0 && !keep_empty)
        return 0;
    size_t start = out->len;
    fr_write_raw(out, batch, FR_BATCH_HEADER_SIZE);
    int codec = fr_batch_compression(h);
    if (kept > 0 && codec != FR_COMPRESSION_NONE) {
        int rc = fr_compress(codec, records->buf, records->len, out);
        if (rc)
            return rc;
    } else if (kept > 0) {
        fr_write_raw(out, records->buf, records->len);
    }
    if (out->err)
        return out->err;
    uint8_t *b = out->buf + start;
    size_t size = out->len - start;
    if (kept == 0) /* an empty batch carries no compressed payload */
        fr_put_be16(b + FR_BATCH_OFF_ATTRIBUTES, (uint16_t)(h->attributes & ~FR_BATCH_ATTR_COMPRESSION_MASK));
    if (set_horizon) {
        fr_put_be16(b + FR_BATCH_OFF_ATTRIBUTES, (uint16_t)(h->attributes | FR_BATCH_ATTR_DELETE_HORIZON));
        fr_put_be64(b + FR_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
    }
    if (kept > 0 && !fr_batch_is_log_append_time(h))
        fr_put_be64(b + FR_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    fr_put_be32(b + 57, (uint32_t)kept);
    fr_put_be32(b + FR_BATCH_OFF_LENGTH, (uint32_t)(size - FR_BATCH_LOG_OVERHEAD));
    fr_put_be32(b + FR_BATCH_OFF_CRC, fr_batch_compute_crc(b, size));
    return 0;
}

#define SEGMENT_NOT_UNDERSTOOD 1 /* clean_segment: bytes past its last batch (never from an append) */

/* Appends the cleaned form of one segment to out.  Bytes after the last batch it can read are
 * copied as they are when the segment ends the output (last), refused otherwise. */
static int clean_segment(clean_ctx_t *c, const fr_clean_seg_t *cs, int last, fr_writer_t *out) {
    uint8_t *buf = load_segment(c->log, cs);
    if (!buf)
        return FR_ERR_KAFKA_STORAGE_ERROR;
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    int rc = 0;
    fr_batch_iter_init(&it, buf, (size_t)cs->size);
    while (!rc && fr_batch_iter_next(&it, &h, &batch, &blen))
        rc = clean_batch(c, batch, blen, &h, out);
    if (!rc && it.pos < (size_t)cs->size) { /* never drop bytes we do not understand */
        if (last)
            fr_write_raw(out, buf + it.pos, (size_t)cs->size - it.pos);
        else
            rc = SEGMENT_NOT_UNDERSTOOD;
    }
    free(buf);
    return !rc && out->err ? FR_ERR_NOMEM : rc;
}

/*
 * Kafka's groupSegmentsBySize: how many of segs[0..n) are cleaned into one segment.  Consecutive
 * segments join while their sizes before cleaning add up to at most max_bytes (segment.bytes),
 * and their offsets stay within 2^31 of the first's base (relative offsets in the indexes).
 * Kafka also bounds the sum of index sizes; here the offset index of a merged segment simply
 * stops taking entries when full, which reads tolerate.
 */
static size_t group_length(const fr_clean_seg_t *segs, size_t n, int64_t max_bytes) {
    size_t k = 1;
    int64_t bytes = segs[0].size;
    while (k < n && bytes + segs[k].size <= max_bytes &&
           (segs[k].size == 0 || segs[k].next_offset - 1 - segs[0].base <= INT32_MAX)) {
        bytes += segs[k].size;
        k++;
    }
    return k;
}

/* Puts the cleaned bytes in place of the k segments g[0..k) (partlog_swap.c). */
static int swap_group(fr_partlog_t *log, const fr_clean_seg_t *g, size_t k, const fr_writer_t *out, int64_t before,
                      fr_compact_result_t *res) {
    struct stat last; /* Kafka's cleaner gives the cleaned segment the last one's lastModified */
    int has_last = fstat(g[k - 1].file->fd, &last) == 0;
    int fd = fr_partlog_write_swap(log, g[0].base, out, has_last ? &last.st_mtim : NULL);
    if (fd < 0)
        return FR_ERR_KAFKA_STORAGE_ERROR;
    pthread_mutex_lock(&log->lock);
    int sw = fr_partlog_swap_in_locked(log, g, k, fd, out->buf, out->len);
    pthread_mutex_unlock(&log->lock);
    close(fd);
    if (sw != 1) {
        if (sw != -2)
            fr_partlog_drop_swap(log, g[0].base);
        return sw < 0 ? FR_ERR_KAFKA_STORAGE_ERROR : 0;
    }
    for (size_t m = 1; m < k; m++)
        fr_partlog_remove_deleted_files(log, &g[m].base, 1);
    res->segments_cleaned += k;
    res->bytes_before += before;
    res->bytes_after += (int64_t)out->len;
    if (k == 1)
        fr_info(COMPONENT, "%s: cleaned segment %020" PRId64 ".log: %" PRId64 " -> %zu bytes", log->dir, g[0].base,
                before, out->len);
    else
        fr_info(COMPONENT, "%s: cleaned %zu segments %020" PRId64 ".log..%020" PRId64 ".log into one: %" PRId64
                " -> %zu bytes", log->dir, k, g[0].base, g[k - 1].base, before, out->len);
    return 0;
}

int fr_partlog_compact(fr_partlog_t *log, const fr_compact_policy_t *p, int64_t now_ms, int64_t *first_dirty,
                       fr_compact_result_t *res) {
    *res = (fr_compact_result_t){.first_dirty_offset = *first_dirty};
    fr_clean_seg_t *segs = NULL;
    size_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&log->lock);
    int64_t max_group_bytes = log->cfg.segment_bytes;
    if (log->nsegs > 1)
        segs = calloc(log->nsegs - 1, sizeof(*segs));
    if (log->nsegs > 1 && !segs) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_NOMEM;
    }
    for (size_t i = 0; i + 1 < log->nsegs; i++) {
        fr_segment_t *seg = log->segs[i];
        /* Only what was fsynced is cleaned: a newer record still in the page cache must not
         * remove an older one of its key that is on disk, for a power cut could take the newer
         * and leave the key with neither.  The flush each roll asks for moves the bound. */
        if (seg->next_offset > log->recovery_point)
            break;
        /* Kafka's cleanableOffsets: the first *dirty* segment too young for min.compaction.lag.ms
         * ends the range (a cleaned one with a future timestamp must not stall the cleaner) */
        if (p->min_lag_ms > 0 && seg->next_offset > *first_dirty &&
            now_ms - fr_segment_largest_timestamp(seg) < p->min_lag_ms)
            break;
        fr_segfile_ref(seg->log);
        segs[n++] = (fr_clean_seg_t){seg->base_offset, seg->size, seg->next_offset, seg->roll_base_ms, seg->log};
    }
    pthread_mutex_unlock(&log->lock);

    int64_t total = 0, dirty = 0;
    int force = 0;
    /* Kafka's maxCompactionDelay: a dirty segment whose first batch is older than now -
     * max.compaction.lag.ms is cleaned whatever the dirty ratio (timestamps <= 0 do not count) */
    int64_t clean_until = now_ms - (p->max_lag_ms > 0 ? p->max_lag_ms : 0);
    for (size_t i = 0; i < n; i++) {
        total += segs[i].size;
        if (segs[i].next_offset > *first_dirty && segs[i].size > 0) {
            dirty += segs[i].size;
            if (p->max_lag_ms < INT64_MAX && segs[i].first_batch_timestamp > 0 &&
                segs[i].first_batch_timestamp < clean_until)
                force = 1;
        }
    }
    res->dirty_ratio = total ? (double)dirty / (double)total : 0.0;
    /* Kafka cleans when the ratio is *above* min.cleanable.dirty.ratio (so 1 never, on the ratio alone) */
    if (dirty == 0 || (!force && res->dirty_ratio <= p->min_cleanable_ratio)) {
        res->skipped = 1;
        goto out;
    }

    if (fr_partlog_sweep_cleaner_files(log)) {
        /* a replacement an I/O error left half done: only an open may finish it (partlog_swap.c), and
         * a pass meanwhile could put other segments where that swap would go */
        fr_error(COMPONENT, "%s: a replacement of segments by their cleaned form is pending; no compaction "
                 "until the log is opened again", log->dir);
        rc = FR_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    offset_map_t keys = {0};
    clean_ctx_t c = {.log = log, .keys = &keys, .now_ms = now_ms, .delete_retention_ms = p->delete_retention_ms};
    fr_writer_init(&c.scratch);
    fr_writer_init(&c.kept);
    fr_writer_init(&c.rebased);
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t *buf = load_segment(log, &segs[i]);
        if (!buf) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        map_segment(buf, segs[i].size, &keys, &c.scratch);
        free(buf);
        if (keys.err)
            rc = FR_ERR_NOMEM;
    }
    fr_writer_t out;
    fr_writer_init(&out);
    for (size_t i = 0, k; i < n && !rc; i += k) {
        fr_clean_seg_t *g = segs + i;
        k = group_length(g, n - i, max_group_bytes);
        int rewritten_before = c.rewritten;
        int64_t removed_before = c.records_removed, before;
        for (;;) {
            fr_writer_reset(&out);
            before = 0;
            size_t m;
            for (m = 0; m < k && !rc; m++) {
                before += g[m].size;
                rc = clean_segment(&c, &g[m], m + 1 == k, &out);
            }
            if (rc != SEGMENT_NOT_UNDERSTOOD)
                break;
            /* bytes past a member's last batch may only end a file: that member ends the group (as its
             * last, clean_segment copies them), and the group is cleaned again from its counts before */
            fr_warn(COMPONENT, "%s/%020" PRId64 ".log: bytes after its last batch; the merge stops there", log->dir,
                    g[m - 1].base);
            k = m;
            rc = 0;
            c.rewritten = rewritten_before;
            c.records_removed = removed_before;
        }
        if (rc)
            break;
        if (k == 1 && c.rewritten == rewritten_before)
            continue; /* every batch copied as it was */
        if (out.len == 0) { /* nothing left: the segments go, all but the log's first */
            int first_stays = 0;
            for (size_t m = 0; m < k && !rc; m++) {
                pthread_mutex_lock(&log->lock);
                int dropped = fr_partlog_drop_emptied_locked(log, &g[m]);
                pthread_mutex_unlock(&log->lock);
                if (dropped < 0) {
                    rc = FR_ERR_KAFKA_STORAGE_ERROR;
                } else if (dropped) {
                    fr_partlog_remove_deleted_files(log, &g[m].base, 1);
                    res->segments_cleaned++;
                    res->bytes_before += g[m].size;
                    fr_info(COMPONENT, "%s: cleaned segment %020" PRId64 ".log: %" PRId64 " -> 0 bytes; removed",
                            log->dir, g[m].base, g[m].size);
                } else if (m == 0) {
                    first_stays = 1;
                }
            }
            if (!rc && first_stays) /* the log's first (or a segment retention took): emptied in place */
                rc = swap_group(log, g, 1, &out, g[0].size, res);
            continue;
        }
        rc = swap_group(log, g, k, &out, before, res);
    }
    if (res->segments_cleaned && fsync(log->dirfd) < 0)
        fr_warn(COMPONENT, "%s: fsync of the directory failed: %s", log->dir, strerror(errno));
    res->records_removed = c.records_removed;
    fr_writer_free(&out);
    fr_writer_free(&c.scratch);
    fr_writer_free(&c.kept);
    fr_writer_free(&c.rebased);
    map_free(&keys);
    for (size_t i = 0; !rc && i < n; i++)
        if (segs[i].next_offset > *first_dirty)
            *first_dirty = res->first_dirty_offset = segs[i].next_offset;
out:
    for (size_t i = 0; i < n; i++)
        fr_segfile_unref(segs[i].file);
    free(segs);
    return rc;
}
