/*
 * fr_partlog.h — one partition's log: a directory of segments.
 *
 * Layout (Kafka's): <log.dir>/<topic>-<partition>/ holding, per segment,
 * <20-digit base offset>.log (record batches, magic v2, byte-for-byte as
 * produced but for the broker-assigned base offset), .index (sparse
 * relative offset -> file position, 8-byte entries) and .timeindex (sparse
 * timestamp -> relative offset, 12-byte entries).  The indexes live in
 * memory and are written when a segment rolls and at close; the active
 * segment's are rebuilt by a scan at open, except after a clean shutdown
 * (fr_partlog_open_clean), which loads them once a walk of the batch headers
 * after their last entries agrees with them.  Beside them,
 * <20-digit offset>.snapshot files hold the idempotent producers' state as of
 * that offset (written at each roll and at close; the two newest are kept);
 * open loads the newest good one and replays batch headers after it.
 * Internals: segment.h, offset_index.h, time_index.h, recovery.h,
 * producer_state.h.
 *
 * Threading: a partlog has its own mutex.  fr_partlog_append, _read, _cold_range,
 * _offset_for_time, _apply_retention, _delete_records and the offset getters
 * may be called from any thread;
 * fr_partlog_flush (fsync) is meant for a worker thread and does not hold the
 * lock while it syncs.  close/delete must be the last call.
 *
 * Ownership: fr_partlog_open returns a partlog the caller frees with
 * fr_partlog_close (or fr_partlog_delete, which also removes its directory).
 * An open partlog holds an exclusive flock on its directory: a second open of
 * the same directory (this process or another) fails with FR_ERR_LOCKED.
 * A read returns a reference to a segment file that stays valid (its fd open,
 * even if the segment is deleted or the log closed) until the caller calls
 * fr_read_result_t.unref(ref) exactly once.
 */
#ifndef FR_PARTLOG_H
#define FR_PARTLOG_H

#include <stddef.h>
#include <stdint.h>

typedef struct fr_partlog fr_partlog_t;

typedef struct fr_log_config {
    int64_t segment_bytes;           /* log.segment.bytes, default 1073741824 */
    int64_t segment_ms;              /* log.roll.ms / log.roll.hours, default 7 days */
    int64_t segment_jitter_ms;       /* segment.jitter.ms: each segment rolls up to this much sooner, at
                                        random (less than segment_ms), default 0 */
    int64_t max_compaction_lag_ms;   /* max.compaction.lag.ms: a compacted topic rolls at least this
                                        often (Kafka's maxSegmentMs), default INT64_MAX */
    int32_t index_interval_bytes;    /* log.index.interval.bytes, default 4096 */
    int32_t max_message_bytes;       /* message.max.bytes, default 1048588 */
    int64_t flush_interval_messages; /* log.flush.interval.messages, default INT64_MAX */
    int64_t flush_interval_ms;       /* log.flush.interval.ms, default INT64_MAX (unset) */
    int32_t index_max_bytes;         /* log.index.size.max.bytes, default 10485760 */
    int compacted;                   /* cleanup.policy includes compact: every record needs a key */
    int log_append_time;             /* message.timestamp.type=LogAppendTime: batches get the append time */
    int recompress;                  /* compression.type is a codec, not producer: batches in another */
    int codec;                       /*   codec are stored re-compressed with this one (0..4) */
    int codec_level;                 /*   at this level (compression.<codec>.level;
                                          FR_COMPRESSION_LEVEL_DEFAULT, or 0: the codec's default) */
    int trust_compressed;            /* freshet.produce.validate.compressed.records=false: a compressed
                                        batch is checked by its header and CRC only, its records are not
                                        decompressed and walked (0, the default: they are, as in Kafka) */
    int ts_bounded;                  /* 1: a CreateTime topic refuses (INVALID_TIMESTAMP) a record whose
                                        timestamp is more than ts_before_max_ms before the append's time
                                        or more than ts_after_max_ms after it (message.timestamp.before /
                                        .after.max.ms, or the older .difference.max.ms); 0, the default:
                                        no bound is set, no timestamp is refused */
    int64_t ts_before_max_ms, ts_after_max_ms;
    int64_t producer_id_expiration_ms;       /* producer.id.expiration.ms (broker only), default 1 day */
    int64_t producer_id_expiration_check_ms; /* producer.id.expiration.check.interval.ms, default 10 min */
} fr_log_config_t;

/*
 * Kafka's defaults.  fr_partlog_open replaces out-of-range values with these
 * (<= 0 sizes and intervals; segment_bytes is capped at INT32_MAX because
 * index positions are 4 bytes), so a zeroed field means "default".
 */
void fr_log_config_defaults(fr_log_config_t *cfg);

/* A record an append refused, as Kafka's RecordError names it. */
typedef enum fr_record_error_kind {
    FR_RECORD_NO_KEY = 1,      /* INVALID_RECORD: no key, on a compacted topic */
    FR_RECORD_UNTIMELY,        /* INVALID_TIMESTAMP: its timestamp lies outside the topic's bounds */
    FR_RECORD_LOG_APPEND_TIME, /* INVALID_TIMESTAMP: its batch says LogAppendTime, on a LogAppendTime topic */
} fr_record_error_kind_t;

typedef struct fr_record_error {
    int32_t index;             /* among the appended buffer's records (Kafka's batch_index) */
    int32_t kind;              /* fr_record_error_kind_t */
    int64_t offset;            /* as the producer numbered it: base offset + delta */
    int64_t timestamp;
    int32_t key_len, value_len; /* -1: null */
} fr_record_error_t;

/*
 * Kafka's message for e into buf (always terminated); topic-partition names
 * the partition as "topic-p".  lo and hi: the bounds an FR_RECORD_UNTIMELY
 * record missed.
 */
void fr_record_error_message(const fr_record_error_t *e, int64_t lo, int64_t hi, const char *topic_partition,
                             char *buf, size_t n);

/* A batch refused for its size: which limit it passed (Kafka words each
 * differently), its size and the limit. */
typedef enum {
    FR_OVERSIZE_NONE = 0,
    FR_OVERSIZE_MESSAGE,        /* max.message.bytes, as produced */
    FR_OVERSIZE_STORED_MESSAGE, /* max.message.bytes, once re-compressed */
    FR_OVERSIZE_SEGMENT,        /* segment.bytes */
} fr_oversize_kind_t;

typedef struct fr_oversize {
    fr_oversize_kind_t kind;
    int64_t size, limit;
} fr_oversize_t;

typedef struct fr_append_info {
    int64_t base_offset;      /* offset assigned to the first record */
    int64_t last_offset;      /* offset of the last record */
    int64_t max_timestamp;    /* largest record timestamp seen */
    int64_t log_append_time;  /* the time the batches were stamped with on a LogAppendTime
                                 topic, else -1 */
    int64_t log_start_offset;
    int32_t record_count;
    int needs_flush;          /* 1 when the flush policy asks for an fsync now */
    int rolled;               /* 1 when a new segment was started since the last append that
                                 succeeded (this one's roll, or that of one refused after it):
                                 the segment before it wants its fsync soon (Kafka flushes a
                                 segment once rolled) */
    int duplicate;            /* 1: the batches were already in the log (an idempotent
                                 producer's retry); nothing was appended, base_offset and
                                 last_offset are the original ones, record_count is 0 */
    const char *why;          /* on a refused append: a static string saying why, or NULL */
    fr_oversize_t oversize;   /* on MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE: the sizes */
    /* On INVALID_RECORD or INVALID_TIMESTAMP for records: every refused record of
     * the first batch that has one, in order (Kafka lists them all), with the
     * bounds the untimely ones missed.  Owned by info: fr_append_info_release. */
    fr_record_error_t *record_errors;
    int32_t n_record_errors;
    int64_t ts_lo, ts_hi;
} fr_append_info_t;

/* Frees what info owns (its record errors); info stays valid, with none. */
void fr_append_info_release(fr_append_info_t *info);

typedef struct fr_read_result {
    int fd;                   /* segment file to sendfile from; -1 when len == 0 */
    int64_t file_position;    /* where the first returned batch starts */
    size_t len;               /* bytes of whole batches (see fr_partlog_read) */
    int64_t bytes_behind;     /* bytes of the log from file_position to its end: how far behind the reader is */
    int64_t high_watermark;   /* == log end offset on a single node */
    int64_t log_start_offset;
    int64_t offset;           /* the offset the read was asked for */
    void (*unref)(void *ref); /* NULL when len == 0 */
    void *ref;
} fr_read_result_t;

/*
 * Opens (creating if needed) the partition directory and recovers it: every
 * segment is checked against its index; the active segment is scanned batch by
 * batch, and a torn or corrupt tail (bad length, bad magic, bad CRC) is
 * truncated away with a warning naming file and position; indexes are rebuilt
 * where they do not match.  An empty directory becomes a log starting at
 * offset 0.  An older segment damaged in the middle is truncated too and the
 * later segments are kept, leaving a gap in the offsets that reads step over.
 * Returns 0 or an fr_err_t (FR_ERR_IO, FR_ERR_NOMEM, FR_ERR_LOCKED).
 */
int fr_partlog_open(const char *dir, const fr_log_config_t *cfg, fr_partlog_t **out);
/*
 * The same after an unclean shutdown (Kafka's recovery from its recovery
 * point): every older segment that holds offsets at or above recovery_point
 * (0: all of them) was written after the last completed flush, so a crash
 * may have torn it anywhere, and it is scanned in full like the active one,
 * CRCs included.  At the first bad batch in such a segment the file is cut
 * there, the later segments are deleted (the log stays without holes, as
 * Kafka's does) and appends go to a new segment after the cut one (which
 * may hold compaction's offset gaps, which an active segment may not).  Older segments
 * below recovery_point are trusted as fr_partlog_open trusts them.
 * fr_partlog_open is this with recovery_point INT64_MAX.
 */
int fr_partlog_open_from(const char *dir, const fr_log_config_t *cfg, int64_t recovery_point, fr_partlog_t **out);
/*
 * The same after a clean shutdown (the broker found its clean shutdown
 * file, so every .log byte was fsynced, and the close wrote the indexes,
 * unsynced): the active segment is loaded like the older ones, from its
 * indexes once a walk of the batch headers after their last entries agrees
 * with them, not scanned, as Kafka skips recovery then.  A segment whose
 * indexes do not match its .log (lost, torn, stale) is scanned and repaired.
 */
int fr_partlog_open_clean(const char *dir, const fr_log_config_t *cfg, fr_partlog_t **out);
/* Writes the active segment's indexes and a producer snapshot, fsyncs them
 * (what the next start trusts after a clean stop; the segments themselves
 * are the caller's flush), closes files, frees. */
void fr_partlog_close(fr_partlog_t *log);
/* Closes and removes the directory with everything in it. */
int fr_partlog_delete(fr_partlog_t *log);
/* The same for a log whose directory was renamed since it was opened (a
 * deleted topic's "-delete" directory): its files go through the open
 * directory handle, then dir is removed (NULL: leave the directory alone).
 * May run on any thread once nothing else uses the log. */
int fr_partlog_delete_from(fr_partlog_t *log, const char *dir);

/*
 * Validates and appends the record batches in buf (the `records` of one
 * partition in a Produce request): each batch must be magic 2, with a
 * batchLength that fits, a CRC32C that matches, a known compression codec, and
 * be no larger than max_message_bytes; on a compacted topic every record
 * needs a key (log_validator.h).  The base offsets in buf are patched in
 * place (buf is the request buffer, owned by the caller) and all batches go to
 * the active segment in one write.  Rolls the segment first when it is full or
 * old.  The topic's settings may change what is stored, as in Kafka: a
 * compression.type codec re-compresses batches in other codecs (into a
 * buffer of the call's own, which is what gets patched and written), and
 * LogAppendTime stamps every batch with now_ms.
 *
 * Batches with a producer id (idempotent producers) are checked against the
 * partition's producer state by Kafka's rules (producer_state.h): all of them
 * before anything is written.  When every batch of buf is one of its
 * producer's last 5 batches (a retry), nothing is appended and the call
 * succeeds with info->duplicate set and the original offsets, which is what
 * Kafka answers.  Transactions are not supported yet: transactional batches
 * are checked and stored like idempotent ones, and no markers are written.
 *
 * Errors (nothing is appended): FR_ERR_CORRUPT_MESSAGE,
 * FR_ERR_MESSAGE_TOO_LARGE, FR_ERR_UNSUPPORTED_COMPRESSION_TYPE,
 * FR_ERR_INVALID_RECORD (also: a producer id the partition does not know
 * with a negative epoch, or a mix of duplicate and new batches),
 * FR_ERR_INVALID_PRODUCER_EPOCH (an epoch older than the producer's, -1 too:
 * fenced), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
 * FR_ERR_KAFKA_STORAGE_ERROR, FR_ERR_NOMEM.
 * KAFKA_STORAGE_ERROR is a failed roll or a failed or short write (ENOSPC,
 * EIO): the segment file is cut back to its previous size and nothing in
 * memory changes (log end, size, indexes, producer state), so the same
 * request may be retried once space returns.
 */
int fr_partlog_append(fr_partlog_t *log, uint8_t *buf, size_t len, int64_t now_ms,
                      fr_append_info_t *info);

/*
 * Bytes of the batches in buf[0..len) that an append under cfg would
 * decompress or re-compress (a compression.type codec other than theirs; a
 * compacted topic's compressed batches, whose keys are checked; batches in
 * codecs slower than lz4, whose records are checked; lz4 batches that could
 * decode to more than FR_LZ4_CHECK_MAX_OUT in all), by their headers and
 * framing alone: 0 for the usual append, which checks CRCs and walks records
 * in place.  Lets the caller run the costly ones where a long append stalls
 * nobody.
 */
size_t fr_partlog_codec_bytes(const fr_log_config_t *cfg, const uint8_t *buf, size_t len);
#define FR_LZ4_CHECK_MAX_OUT ((size_t)8 << 20)

/*
 * Finds whole batches starting with the batch that contains `offset`, adding
 * batches while the total stays <= max_bytes; the first batch is returned even
 * when it alone is larger (as Kafka does, so consumers always make progress).
 * Reads never cross a segment boundary.  offset == log end offset returns
 * len 0.  offset < log start or > log end: FR_ERR_OFFSET_OUT_OF_RANGE.
 * An offset inside a gap (records lost to recovery) reads from the next batch
 * after it.  max_bytes <= 0 still returns the first batch.  Only batch headers
 * are read (pread) to find the range; file_position is where that batch
 * starts, which may be before `offset` (Kafka's consumers skip the records
 * below the offset they asked for).  Errors: FR_ERR_OFFSET_OUT_OF_RANGE,
 * FR_ERR_KAFKA_STORAGE_ERROR.  On error out->fd is -1 and there is nothing
 * to unref.
 */
int fr_partlog_read(fr_partlog_t *log, int64_t offset, int32_t max_bytes, fr_read_result_t *out);

/*
 * ListOffsets by timestamp, as Kafka answers it: the first record, in offset
 * order, whose timestamp is >= ts; *offset_out is that record's offset and
 * *ts_out its timestamp (a LogAppendTime batch's records all carry its max
 * timestamp).  The time index finds the first batch whose max timestamp is
 * >= ts; its records are then read (decompressed when the batch is
 * compressed), and when none of them reaches ts (timestamps out of order
 * inside the batch) the search goes on with the next such batch.  Sets
 * *offset_out = -1 and *ts_out = -1 when no record qualifies.  A batch whose
 * records cannot be decoded (damaged, or more than 256 MiB decompressed) is
 * answered at batch granularity, its base offset and max timestamp, with a
 * warning.  The special timestamps (-1 latest, -2 earliest) are the caller's
 * business; any negative ts simply matches the first record.  The lock is
 * held only to pick segments and read their in-memory indexes, never while
 * headers or batches are read from the files or decoded.  Returns 0,
 * FR_ERR_KAFKA_STORAGE_ERROR or FR_ERR_NOMEM.
 */
int fr_partlog_offset_for_time(fr_partlog_t *log, int64_t ts, int64_t *offset_out, int64_t *ts_out);

/*
 * ListOffsets' MAX_TIMESTAMP (-3, KIP-734): the first record, in offset
 * order, carrying the largest timestamp in the log, and that timestamp (the
 * segments' max timestamps give it; fr_partlog_offset_for_time finds the
 * record).  Like Kafka's, the answer for an empty log is -1 / -1.  Records
 * below the log start are not answered (Kafka's segment scan may name one a
 * DeleteRecords left in its segment).  Returns as fr_partlog_offset_for_time.
 */
int fr_partlog_offset_of_max_timestamp(fr_partlog_t *log, int64_t *offset_out, int64_t *ts_out);

/*
 * ListOffsets v0's answer (Kafka's legacyFetchOffsetsBefore): each segment
 * stands for its base offset (at least the log start) at its file's
 * modification time, and a log whose last segment holds data adds its end
 * offset at now_ms.  ts -1 starts from the newest of these, -2 from the
 * oldest, any other ts from the newest modified at or before it; from there
 * up to max of them, newest first, go into out[0..cap).  Returns how many
 * the answer has (0 when none was modified by ts); when that is more than
 * cap (a roll since the caller counted the segments), only cap were written
 * and the caller asks again with room for them all.
 */
size_t fr_partlog_legacy_offsets_before(fr_partlog_t *log, int64_t ts, int64_t now_ms, int32_t max, int64_t *out,
                                        size_t cap);

/* One idempotent producer as DescribeProducers shows it. */
typedef struct fr_producer_summary {
    int64_t producer_id;
    int16_t epoch;
    int32_t last_sequence;  /* of its newest batch, -1 when none is kept */
    int64_t last_timestamp; /* its newest batch's max timestamp, -1 when none is kept */
} fr_producer_summary_t;

/*
 * The partition's idempotent producers, sorted by id, into *out: an array of
 * *count the caller owns and frees with free() (it may be NULL).  Producers
 * past producer.id.expiration.ms are left out, as Kafka's periodic check
 * would have dropped them.  Returns 0 or FR_ERR_NOMEM.
 */
int fr_partlog_active_producers(fr_partlog_t *log, fr_producer_summary_t **out, int32_t *count);

int64_t fr_partlog_start_offset(fr_partlog_t *log);
int64_t fr_partlog_end_offset(fr_partlog_t *log);   /* next offset to be assigned */
/* Every offset below it is on disk: the log end when the last completed
 * fr_partlog_flush began (at open, the recovery point given, at most the log
 * end).  After a failed fsync it no longer moves until the log is opened
 * again: the kernel may have dropped the pages it failed to write.  What the
 * broker's recovery-point-offset-checkpoint holds. */
int64_t fr_partlog_recovery_point(fr_partlog_t *log);
int64_t fr_partlog_size_bytes(fr_partlog_t *log);

/*
 * fsyncs (fdatasync) everything appended so far: the active segment, any
 * segment rolled since the last flush and the index files written at the roll,
 * and the directory when segment files were created.  The partlog's lock is
 * not held while syncing, so appends and reads go on meanwhile; concurrent
 * flushes are safe.  The active segment's own index files are not synced:
 * an open after a crash rebuilds them, and a clean open (whose close wrote
 * them) checks them against the .log first.  Returns 0 or
 * FR_ERR_KAFKA_STORAGE_ERROR.
 */
int fr_partlog_flush(fr_partlog_t *log);

/*
 * Writes back and drops from the page cache every byte of the log except the
 * newest keep_bytes (across segments); keep_bytes < 0 does nothing.  It also
 * starts (without waiting) the writeback of the active segment's bytes not
 * yet started, so that by the time they leave the newest keep_bytes they are
 * already on disk and dropping them does not wait.  Runs
 * off the network loop (it waits for the disk); the lock is not held while
 * it does.  Not a flush: nothing becomes acknowledged by it.  A writeback
 * error makes this and every later fr_partlog_flush return
 * FR_ERR_KAFKA_STORAGE_ERROR.  *released (may be NULL): bytes dropped.
 * Why a broker trims its own cache: partlog_cache.c.
 */
int fr_partlog_release_cache(fr_partlog_t *log, int64_t keep_bytes, int64_t *released);

/*
 * Whether a read at offset of up to max_bytes may have to wait for the disk:
 * it starts below what this process released from the page cache, or in
 * bytes it found on disk at open, and the kernel does not report the range
 * cached (cachestat, Linux 6.5; where it cannot tell, such ranges count as
 * cold).  Returns 1 and, in *out, the file range such a read would cover
 * (from the recent batch or index entry at or before offset, up to max_bytes
 * plus one index interval, within the segment), holding a file reference the
 * caller drops with out->unref(out->ref); returns 0 (nothing held) when the
 * read should find the page cache.  Reads no data: the position comes from
 * memory.  The range is a hint for warming the cache off the network loop
 * before fr_partlog_read's sendfile: a wrong guess costs a warming or one
 * read on the loop, never a wrong answer.
 */
int fr_partlog_cold_range(fr_partlog_t *log, int64_t offset, int64_t max_bytes, fr_read_result_t *out);

/*
 * Where a warm-up of the cold range r (from fr_partlog_cold_range) must read
 * to: its end, or further when the batch holding r->offset runs past it.  A
 * fetch returns its first batch whole however small its limit (Kafka's rule
 * for batches bigger than a fetch), and the range, sized by the limit, cannot
 * know that batch's size without reading it.  Reads batch headers from r's
 * file, so it may wait for the disk: call it off the network loop, after
 * reading r's range.  Takes no lock: it reads only r's file, which r's
 * reference keeps open.  Unreadable or implausible headers end the walk (the
 * fetch meets them itself and reports them).
 */
int64_t fr_partlog_cold_range_end(const fr_read_result_t *r);

/*
 * The leader epoch stamped into the partitionLeaderEpoch of appended batches
 * (default 0, Kafka's first epoch).  Report the same value as leader_epoch in
 * Metadata / ListOffsets.
 */
void fr_partlog_set_leader_epoch(fr_partlog_t *log, int32_t epoch);

/*
 * Replaces the log's settings at runtime (a topic or broker config change),
 * sanitized as fr_partlog_open does.  Takes effect with the next append:
 * max_message_bytes and segment_bytes for its checks and the roll decision,
 * segment_ms for the roll, the flush intervals for needs_flush.
 * index_max_bytes applies to segments created from then on.
 */
void fr_partlog_set_config(fr_partlog_t *log, const fr_log_config_t *cfg);

/* Number of segments (for tests, tools and metrics). */
size_t fr_partlog_segment_count(fr_partlog_t *log);

/* ---- retention, DeleteRecords and the log start offset ----
 *
 * The log start offset (Kafka's logStartOffset) is the first offset served:
 * reads below it are OFFSET_OUT_OF_RANGE and ListOffsets earliest answers it.
 * It starts at the first segment's base offset, and DeleteRecords may move
 * it into the middle of a segment; it only ever grows.  The partlog does not
 * persist it: the broker keeps it in Kafka's log-start-offset-checkpoint file
 * (offset_checkpoint.h) and hands it back with
 * fr_partlog_restore_start_offset after open.
 *
 * Retention deletes whole segments, oldest first, and may run on any thread
 * while appends and reads go on.  A deleted segment's files are renamed to
 * <name>.deleted under the lock (so nothing finds them again), then removed
 * after it; a fetch that holds the segment's file (fr_read_result_t.ref)
 * keeps reading the unlinked file until it drops its reference.  Kafka's
 * file.delete.delay.ms is not applied: the files go at once, since readers
 * hold descriptors, not paths.  Leftover .deleted files (a crash between the
 * two steps) are removed at the next open.
 */
#define FR_PARTLOG_DELETED_SUFFIX ".deleted"
#define FR_PARTLOG_HIGH_WATERMARK (-1) /* DeleteRecords: "up to the high watermark" */

typedef struct fr_retention_policy {
    int64_t retention_ms;    /* retention.ms; < 0: no time limit */
    int64_t retention_bytes; /* retention.bytes; < 0: no size limit */
    int delete_enabled;      /* cleanup.policy includes delete (else only the log start rule applies) */
} fr_retention_policy_t;

typedef struct fr_retention_result {
    size_t segments_deleted;
    int64_t bytes_deleted;
    int64_t log_start_offset;   /* after the pass */
    int64_t first_segment_base; /* base offset of the oldest segment kept */
} fr_retention_result_t;

/*
 * One retention pass, Kafka's UnifiedLog.deleteOldSegments: deletes the
 * oldest segments that lie wholly below the log start offset (their
 * successor starts at or below it); then, when policy->delete_enabled, the
 * oldest while the partition's size stays >= retention_bytes without them
 * (a segment goes only if the log is over the limit by at least its size);
 * then the oldest whose largest timestamp (or, with no timestamps, the file's
 * mtime) is more than retention_ms before now_ms.  Each rule stops at the
 * first segment it keeps.  The active segment is deleted only when every
 * segment goes and it is not empty: the log then first rolls to a new, empty
 * segment at the log end (as Kafka does), so the log start becomes the log
 * end.  The log start offset rises to the first remaining segment.  res gets
 * what happened.  Returns 0, FR_ERR_KAFKA_STORAGE_ERROR (a rename or the roll
 * failed; what was done before stays done) or FR_ERR_NOMEM.
 */
int fr_partlog_apply_retention(fr_partlog_t *log, const fr_retention_policy_t *policy, int64_t now_ms,
                               fr_retention_result_t *res);

/*
 * DeleteRecords: raises the log start offset to offset (FR_PARTLOG_HIGH_WATERMARK
 * means the high watermark, which is the log end here); a lower offset
 * changes nothing.  *low_watermark gets the resulting log start offset.
 * Segments wholly below it are deleted by the next fr_partlog_apply_retention.
 * Returns 0, or FR_ERR_OFFSET_OUT_OF_RANGE (offset < 0 other than -1, or past
 * the high watermark; *low_watermark = -1).
 */
int fr_partlog_delete_records(fr_partlog_t *log, int64_t offset, int64_t *low_watermark);

/*
 * Raises the log start offset to a checkpointed value (capped at the log
 * end, with a warning, when the log lost its tail).  Returns the log start
 * offset.
 */
int64_t fr_partlog_restore_start_offset(fr_partlog_t *log, int64_t offset);

/* ---- compaction (cleanup.policy=compact; partlog_compact.c) ----
 *
 * One cleaner pass, Kafka's LogCleaner: the cleanable range is every
 * non-active segment wholly below the recovery point (fsynced: unlike Kafka,
 * so that a power cut cannot take a key's newer record after its older one
 * was cleaned away), oldest first, up to the first dirty one (holding offsets
 * >= *first_dirty) whose largest timestamp is less than min_lag_ms old.  When
 * the dirty bytes over the range's bytes are above min_cleanable_ratio (or a
 * dirty segment's first batch is older than max_lag_ms), every segment of the
 * range is rewritten keeping the last record of each key in the range
 * (records without a key go); a tombstone survives the clean that first keeps
 * it, which stamps its batch with the delete horizon now_ms +
 * delete_retention_ms, and goes at the first clean at or past that horizon
 * (partlog_compact.c has the details); offsets and order never change
 * (rewritten batches keep their baseOffset and lastOffsetDelta; emptied
 * batches leave offset gaps).  Compressed batches are recompressed with their
 * codec.  Each segment is swapped in atomically (.log.cleaned -> .log.swap ->
 * .log) under the lock, with fresh indexes, or removed when nothing is left
 * of it (but the first); fetches holding the old file keep reading it.  *first_dirty (the cleaner checkpoint, kept by the caller;
 * 0 after a restart, which only makes the next pass clean again) rises to
 * the end of the range.  Returns 0, FR_ERR_KAFKA_STORAGE_ERROR or
 * FR_ERR_NOMEM (segments swapped before the error stay swapped).
 */
typedef struct fr_compact_policy {
    double min_cleanable_ratio;  /* min.cleanable.dirty.ratio */
    int64_t min_lag_ms;          /* min.compaction.lag.ms */
    int64_t max_lag_ms;          /* max.compaction.lag.ms (INT64_MAX: none) */
    int64_t delete_retention_ms; /* delete.retention.ms */
} fr_compact_policy_t;

typedef struct fr_compact_result {
    int skipped;                 /* nothing cleanable, or below the dirty ratio */
    double dirty_ratio;
    size_t segments_cleaned;
    int64_t records_removed;
    int64_t bytes_before, bytes_after; /* of the rewritten segments */
    int64_t first_dirty_offset;  /* after the pass */
} fr_compact_result_t;

int fr_partlog_compact(fr_partlog_t *log, const fr_compact_policy_t *policy, int64_t now_ms,
                       int64_t *first_dirty, fr_compact_result_t *res);

#endif
