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
 *   3. the cleaned segment is written to <base>.log.cleaned and fsynced,
 *      renamed to <base>.log.swap, then, under the lock and only if the
 *      segment is still in the log (retention may have deleted it), the old
 *      index files are removed, <base>.log.swap is renamed over <base>.log
 *      (atomic), the in-memory segment is rebuilt from the cleaned bytes and
 *      its indexes are written.  The old fr_segment_t is freed: a fetch that
 *      holds its file keeps reading the (now unlinked) old file.
 *
 * Crash safety: <base>.log is at every instant either the old file or the
 * complete, fsynced cleaned one (rename(2) replaces it atomically), and both
 * are valid logs with the same offsets for the records they share.  The
 * index files are removed before the rename, so an open after a crash in
 * between rebuilds them from the .log.  Leftover .cleaned and .swap files
 * (a crash mid-pass) are never read by open (they do not parse as segment
 * names) and are removed by the next pass on that partition.
 *
 * Each segment is swapped separately, so a reader always sees a log in which
 * every key's latest record in the cleanable range is present.  A segment left
 * with no batch at all is removed instead (not the log's first, whose base is
 * where a reopen puts the log start).  Kafka also merges small cleaned
 * segments into one (groupSegmentsBySize); Freshet does not yet.
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
#include "fr_logging.h"
#include "partlog_internal.h"
#include "record_batch.h"
#include "segment.h"

#define COMPONENT "cleaner"
#define CLEANED_SUFFIX ".cleaned"
#define SWAP_SUFFIX ".swap"

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
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    h ^= h >> 29;
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

typedef struct clean_seg {
    int64_t base;
    int64_t size;
    int64_t next_offset;
    int64_t first_batch_timestamp; /* the segment's roll_base_ms: its first batch's max timestamp, -1 for
                                      none (Kafka's getFirstBatchTimestamp, what max.compaction.lag.ms
                                      counts from) */
    fr_segfile_t *file; /* a reference taken under the lock */
} clean_seg_t;

static int64_t largest_timestamp(const fr_segment_t *seg) {
    struct stat st;
    if (seg->max_timestamp >= 0)
        return seg->max_timestamp;
    if (fstat(seg->log->fd, &st) < 0)
        return INT64_MAX;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

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

static int write_all(int fd, const uint8_t *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t r = write(fd, buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return FR_ERR_IO;
        done += (size_t)r;
    }
    return 0;
}

/* Reads a whole segment file (its valid size as of the snapshot). */
static uint8_t *load_segment(const fr_partlog_t *log, const clean_seg_t *cs) {
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

/* A segment around a dup of fd (segment.c's constructor is private). */
static fr_segment_t *segment_from_fd(int fd, int64_t base, int64_t index_max_bytes) {
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    fr_segment_t *seg = dfd >= 0 ? calloc(1, sizeof(*seg)) : NULL;
    if (!seg) {
        if (dfd >= 0)
            close(dfd);
        return NULL;
    }
    seg->log = fr_segfile_new(dfd);
    if (!seg->log) {
        free(seg);
        return NULL;
    }
    seg->base_offset = base;
    seg->next_offset = base;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = -1;
    seg->roll_base_ms = -1;
    fr_offset_index_init(&seg->oindex, base, index_max_bytes);
    fr_time_index_init(&seg->tindex, base, index_max_bytes);
    fr_segment_filename(seg->name, base, ".log");
    return seg;
}

/*
 * Under the lock: puts the cleaned file (fd, renamed to <base>.log.swap, its
 * bytes in data) in place of the segment cs, if it is still in the log.
 * Returns 1 swapped, 0 the segment is gone, -1 an error (the old segment
 * stays); on 0 and -1 the caller removes the .swap.  The caller closes fd.
 */
static int swap_in_locked(fr_partlog_t *log, const clean_seg_t *cs, int fd, const uint8_t *data, size_t len) {
    size_t i = fr_partlog_floor_segment(log, cs->base);
    if (i + 1 >= log->nsegs || log->segs[i]->base_offset != cs->base || log->segs[i]->log != cs->file)
        return 0; /* deleted by retention meanwhile (or now active: never) */
    fr_segment_t *old = log->segs[i];
    fr_segment_t *seg = segment_from_fd(fd, cs->base, log->cfg.index_max_bytes);
    if (!seg)
        return -1;
    char swap[FR_SEGMENT_FILENAME_MAX + 16], name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, cs->base, ".log");
    snprintf(swap, sizeof(swap), "%s%s", name, SWAP_SUFFIX);
    /* stale indexes go first: an open after a crash rebuilds missing ones */
    static const char *const idx[] = {".index", ".timeindex"};
    for (int k = 0; k < 2; k++) {
        char iname[FR_SEGMENT_FILENAME_MAX];
        fr_segment_filename(iname, cs->base, idx[k]);
        unlinkat(log->dirfd, iname, 0);
    }
    if (renameat(log->dirfd, swap, log->dirfd, name) < 0) {
        int err = errno;
        fr_error(COMPONENT, "%s/%s: cannot rename into place: %s", log->dir, swap, strerror(err));
        fr_segment_free(seg);
        if (fr_segment_write_indexes(old, log->dirfd))
            fr_warn(COMPONENT, "%s/%s: cannot rewrite the index files", log->dir, old->name);
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
        fr_warn(COMPONENT, "%s/%s: cannot write the index files: %s (open rebuilds them)", log->dir, name,
                strerror(errno));
    log->size_bytes += seg->size - old->size;
    log->segs[i] = seg;
    log->dir_changes++;
    fr_segment_free(old); /* fetches holding the old file keep reading it */
    return 1;
}

/* Removes leftovers of an interrupted pass (<base>.log.cleaned / .swap). */
static void remove_leftovers(const fr_partlog_t *log) {
    int fd = openat(log->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        const char *sfx[] = {".log" CLEANED_SUFFIX, ".log" SWAP_SUFFIX};
        for (int k = 0; k < 2; k++) {
            size_t s = strlen(sfx[k]);
            if (n > s && strcmp(e->d_name + n - s, sfx[k]) == 0) {
                fr_warn(COMPONENT, "%s/%s: leftover of an interrupted cleaning; removing it", log->dir, e->d_name);
                unlinkat(log->dirfd, e->d_name, 0);
            }
        }
    }
    closedir(d);
}

/*
 * A segment the clean left with no batch at all goes, unless it is the log's
 * first (whose base is the log start a reopen finds): its offsets are a gap
 * like the ones cleaning leaves inside segments, which reads step over.  Its
 * files are renamed and removed as retention removes a segment, so a crash
 * leaves either the old file (cleaned again later) or none.  1 when it went,
 * 0 when the log no longer has it (retention, or it is first), -1 on error.
 */
static int drop_emptied_locked(fr_partlog_t *log, const clean_seg_t *cs) {
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

/* Writes, fsyncs and renames <base>.log.cleaned -> .swap; returns the open fd or -1. */
static int write_cleaned(const fr_partlog_t *log, int64_t base, const fr_writer_t *out) {
    char name[FR_SEGMENT_FILENAME_MAX], cleaned[FR_SEGMENT_FILENAME_MAX + 16], swap[FR_SEGMENT_FILENAME_MAX + 16];
    fr_segment_filename(name, base, ".log");
    snprintf(cleaned, sizeof(cleaned), "%s%s", name, CLEANED_SUFFIX);
    snprintf(swap, sizeof(swap), "%s%s", name, SWAP_SUFFIX);
    int fd = openat(log->dirfd, cleaned, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, out->buf, out->len) || fdatasync(fd) < 0 ||
        renameat(log->dirfd, cleaned, log->dirfd, swap) < 0) {
        fr_error(COMPONENT, "%s/%s: cannot write the cleaned segment: %s", log->dir, cleaned, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlinkat(log->dirfd, cleaned, 0);
        return -1;
    }
    return fd;
}

int fr_partlog_compact(fr_partlog_t *log, const fr_compact_policy_t *p, int64_t now_ms, int64_t *first_dirty,
                       fr_compact_result_t *res) {
    *res = (fr_compact_result_t){.first_dirty_offset = *first_dirty};
    clean_seg_t *segs = NULL;
    size_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&log->lock);
    if (log->nsegs > 1)
        segs = calloc(log->nsegs - 1, sizeof(*segs));
    if (log->nsegs > 1 && !segs) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_NOMEM;
    }
    for (size_t i = 0; i + 1 < log->nsegs; i++) {
        fr_segment_t *seg = log->segs[i];
        /* Kafka's cleanableOffsets: the first *dirty* segment too young for min.compaction.lag.ms
         * ends the range (a cleaned one with a future timestamp must not stall the cleaner) */
        if (p->min_lag_ms > 0 && seg->next_offset > *first_dirty && now_ms - largest_timestamp(seg) < p->min_lag_ms)
            break;
        fr_segfile_ref(seg->log);
        segs[n++] = (clean_seg_t){seg->base_offset, seg->size, seg->next_offset, seg->roll_base_ms, seg->log};
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

    remove_leftovers(log);
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
    for (size_t i = 0; i < n && !rc; i++) {
        clean_seg_t *cs = &segs[i];
        uint8_t *buf = load_segment(log, cs);
        if (!buf) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        fr_writer_reset(&out);
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int rewritten_before = c.rewritten;
        fr_batch_iter_init(&it, buf, (size_t)cs->size);
        while (!rc && fr_batch_iter_next(&it, &h, &batch, &blen))
            rc = clean_batch(&c, batch, blen, &h, &out);
        if (!rc && it.pos < (size_t)cs->size) /* never drop bytes we do not understand */
            fr_write_raw(&out, buf + it.pos, (size_t)cs->size - it.pos);
        free(buf);
        if (!rc && out.err)
            rc = FR_ERR_NOMEM;
        if (rc)
            break;
        if (c.rewritten == rewritten_before)
            continue; /* every batch copied as it was */
        if (out.len == 0) {
            pthread_mutex_lock(&log->lock);
            int dropped = drop_emptied_locked(log, cs);
            pthread_mutex_unlock(&log->lock);
            if (dropped < 0) {
                rc = FR_ERR_KAFKA_STORAGE_ERROR;
                break;
            }
            if (dropped) {
                fr_partlog_remove_deleted_files(log, &cs->base, 1);
                res->segments_cleaned++;
                res->bytes_before += cs->size;
                fr_info(COMPONENT, "%s: cleaned segment %020" PRId64 ".log: %" PRId64 " -> 0 bytes; removed",
                        log->dir, cs->base, cs->size);
                continue;
            }
        }
        int fd = write_cleaned(log, cs->base, &out);
        if (fd < 0) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        pthread_mutex_lock(&log->lock);
        int sw = swap_in_locked(log, cs, fd, out.buf, out.len);
        pthread_mutex_unlock(&log->lock);
        if (sw == 1) {
            res->segments_cleaned++;
            res->bytes_before += cs->size;
            res->bytes_after += (int64_t)out.len;
            fr_info(COMPONENT, "%s: cleaned segment %020" PRId64 ".log: %" PRId64 " -> %zu bytes", log->dir,
                    cs->base, cs->size, out.len);
            close(fd);
            continue;
        }
        char swap[FR_SEGMENT_FILENAME_MAX + 16];
        fr_segment_filename(swap, cs->base, ".log");
        strcat(swap, SWAP_SUFFIX);
        unlinkat(log->dirfd, swap, 0);
        close(fd);
        if (sw < 0) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
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
