/*
 * record_batch.h — Kafka magic-v2 record batches: header parsing, validation,
 * iteration over a buffer of batches, in-place offset patching, and iteration
 * over the records of an uncompressed batch.
 *
 * Records of compressed batches are decoded only by fr_record_iter_init_any
 * and fr_batch_find_time (off the hot path; see compression.h).
 *
 * Layout (all big-endian; offsets from the start of the batch):
 *
 *    0 baseOffset int64          27 baseTimestamp int64
 *    8 batchLength int32         35 maxTimestamp int64
 *   12 partitionLeaderEpoch i32  43 producerId int64
 *   16 magic int8 (= 2)          51 producerEpoch int16
 *   17 crc uint32                53 baseSequence int32
 *   21 attributes int16          57 recordsCount int32
 *   23 lastOffsetDelta int32     61 records...
 *
 * batchLength counts the bytes after itself, so a batch occupies
 * batchLength + 12 bytes.  The CRC-32C covers attributes .. end of batch; it
 * does not cover baseOffset, batchLength or partitionLeaderEpoch, which is why
 * the broker can patch baseOffset and the leader epoch without re-computing it.
 *
 * Nothing here allocates.  Every pointer handed out (a batch, a record's key,
 * value, headers) points into the caller's buffer and is valid as long as that
 * buffer is.  All reads are bounds-checked through fr_reader_t; any byte
 * sequence is safe to feed in.
 */
#ifndef FR_RECORD_BATCH_H
#define FR_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"

#define FR_BATCH_MAGIC_V2 2
#define FR_BATCH_LOG_OVERHEAD 12   /* baseOffset + batchLength */
#define FR_BATCH_HEADER_SIZE 61    /* everything before the records */
#define FR_BATCH_MIN_LENGTH (FR_BATCH_HEADER_SIZE - FR_BATCH_LOG_OVERHEAD) /* smallest batchLength */

/* Field offsets, for code that patches or peeks in place. */
#define FR_BATCH_OFF_BASE_OFFSET 0
#define FR_BATCH_OFF_LENGTH 8
#define FR_BATCH_OFF_LEADER_EPOCH 12
#define FR_BATCH_OFF_MAGIC 16
#define FR_BATCH_OFF_CRC 17
#define FR_BATCH_OFF_ATTRIBUTES 21 /* first byte covered by the CRC */
#define FR_BATCH_OFF_BASE_TIMESTAMP 27 /* the delete horizon, when that attribute is set */
#define FR_BATCH_OFF_MAX_TIMESTAMP 35

/* attributes */
#define FR_BATCH_ATTR_COMPRESSION_MASK 0x07
#define FR_BATCH_ATTR_LOG_APPEND_TIME 0x08 /* timestampType: 0 CreateTime, 1 LogAppendTime */
#define FR_BATCH_ATTR_TRANSACTIONAL 0x10
#define FR_BATCH_ATTR_CONTROL 0x20
#define FR_BATCH_ATTR_DELETE_HORIZON 0x40

typedef enum fr_compression {
    FR_COMPRESSION_NONE = 0,
    FR_COMPRESSION_GZIP = 1,
    FR_COMPRESSION_SNAPPY = 2,
    FR_COMPRESSION_LZ4 = 3,
    FR_COMPRESSION_ZSTD = 4,
} fr_compression_t;

typedef struct fr_batch_header {
    int64_t base_offset;
    int32_t batch_length;         /* bytes after this field */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
} fr_batch_header_t;

/* Whole size of the batch on disk / on the wire. */
static inline int64_t fr_batch_size(const fr_batch_header_t *h) {
    return (int64_t)h->batch_length + FR_BATCH_LOG_OVERHEAD;
}
/* Wraps instead of overflowing on hostile input; validated batches never wrap. */
static inline int64_t fr_batch_last_offset(const fr_batch_header_t *h) {
    return (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)h->last_offset_delta);
}
static inline int fr_batch_compression(const fr_batch_header_t *h) {
    return h->attributes & FR_BATCH_ATTR_COMPRESSION_MASK;
}
static inline int fr_batch_is_transactional(const fr_batch_header_t *h) {
    return (h->attributes & FR_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline int fr_batch_is_control(const fr_batch_header_t *h) {
    return (h->attributes & FR_BATCH_ATTR_CONTROL) != 0;
}
static inline int fr_batch_is_log_append_time(const fr_batch_header_t *h) {
    return (h->attributes & FR_BATCH_ATTR_LOG_APPEND_TIME) != 0;
}

/*
 * Decodes the 61-byte header at p into *h.  Checks bounds only, not the
 * values.  Returns 0, or FR_ERR_NEED_MORE when len < FR_BATCH_HEADER_SIZE.
 */
int fr_batch_parse_header(const uint8_t *p, size_t len, fr_batch_header_t *h);

/*
 * Checks the framing of the batch starting at p with len bytes available:
 * batchLength >= FR_BATCH_MIN_LENGTH and magic == 2 (each checked as soon as
 * its bytes are there, so garbage is reported as garbage even when short).
 * Returns 0 when the whole batch is in the buffer (and fills *h), FR_ERR_NEED_MORE
 * when the bytes so far are plausible but the batch is incomplete, or
 * FR_ERR_CORRUPT_MESSAGE with *why set (static string).
 */
int fr_batch_check_frame(const uint8_t *p, size_t len, fr_batch_header_t *h, const char **why);

/* Flags for fr_batch_validate. */
#define FR_BATCH_V_CLIENT 0x1  /* a Produce request: Kafka's client-origin rules (below) */
#define FR_BATCH_V_RECORDS 0x2 /* also walk the records of an uncompressed batch */

/*
 * Validates one whole batch of exactly len bytes (as returned by the
 * iterator), whose header is *h:
 *   - len == batchLength + 12, magic 2                 -> FR_ERR_CORRUPT_MESSAGE
 *   - CRC-32C of attributes..end matches the crc field -> FR_ERR_CORRUPT_MESSAGE
 *   - compression codec 0..4                           -> FR_ERR_UNSUPPORTED_COMPRESSION_TYPE
 *   - lastOffsetDelta >= 0 and 0 <= recordsCount <= lastOffsetDelta + 1
 *     (compaction can leave fewer records, even none)  -> FR_ERR_INVALID_RECORD
 * With FR_BATCH_V_CLIENT, as Kafka's LogValidator for client appends:
 *   - recordsCount == lastOffsetDelta + 1 > 0, not a control batch, and a
 *     batch with a producerId has baseSequence >= 0   -> FR_ERR_INVALID_RECORD
 * With FR_BATCH_V_RECORDS and no compression, every record must parse, the
 * offset deltas must increase and stay <= lastOffsetDelta, there must be
 * exactly recordsCount of them and no bytes after   -> FR_ERR_INVALID_RECORD
 * Returns 0 or the error, with *why (static string, may be NULL) saying why.
 */
int fr_batch_validate(const uint8_t *batch, size_t len, const fr_batch_header_t *h, int flags,
                      const char **why);
/* What a walk over a batch's records finds of their timestamps (baseTimestamp
 * + delta, wrapping as Java's long does). */
typedef struct fr_record_times {
    int64_t max; /* the largest, -1 when none is larger: what Kafka makes a
                    CreateTime batch's maxTimestamp */
    int64_t min; /* the smallest, INT64_MAX when there are no records */
} fr_record_times_t;

/*
 * The FR_BATCH_V_RECORDS walk alone (no CRC or header checks): the same
 * verdict as running fr_record_iter_next over the batch to its end, without
 * decoding anything it does not need.  For uncompressed batches; 0 or
 * FR_ERR_INVALID_RECORD with *why.  On 0, *times (when not NULL) holds the
 * records' timestamps.
 */
int fr_batch_validate_records(const uint8_t *batch, size_t len, const fr_batch_header_t *h,
                              fr_record_times_t *times, const char **why);
/*
 * The same walk over a compressed batch's records once decompressed
 * (records[0..len), the whole section): Kafka's LogValidator walks them too.
 * h is the batch's header.  0 or FR_ERR_INVALID_RECORD with *why; *times as
 * above.
 */
int fr_batch_validate_decoded_records(const uint8_t *records, size_t len, const fr_batch_header_t *h,
                                      fr_record_times_t *times, const char **why);

/* The CRC-32C the batch's crc field should hold (over attributes..end). */
uint32_t fr_batch_compute_crc(const uint8_t *batch, size_t len);

/*
 * In-place patches of the fields the CRC does not cover.  batch must hold at
 * least FR_BATCH_HEADER_SIZE bytes (the caller got it from the iterator).
 */
void fr_batch_set_base_offset(uint8_t *batch, int64_t base_offset);
void fr_batch_set_leader_epoch(uint8_t *batch, int32_t epoch);

/*
 * Iterator over the batches in a buffer (a Produce request's records, a
 * segment file, a fetch response).  Only framing is checked (see
 * fr_batch_check_frame); validate each batch for the rest.
 *
 *   fr_batch_iter_t it;
 *   fr_batch_iter_init(&it, buf, len);
 *   while (fr_batch_iter_next(&it, &h, &batch, &blen)) { ... }
 *   if (it.err == FR_ERR_NEED_MORE) -> a partial batch starts at it.pos
 *   else if (it.err)                -> it.why, at it.pos
 *
 * After the loop, it.pos is the end of the last whole batch returned (which is
 * where a truncation should cut).  A partial tail is not an error: the caller
 * decides whether it means "wait for more" (a stream) or "corrupt" (a request).
 */
typedef struct fr_batch_iter {
    const uint8_t *buf;
    size_t len;
    size_t pos;      /* start of the next batch */
    int err;         /* 0 (clean end), FR_ERR_NEED_MORE or FR_ERR_CORRUPT_MESSAGE */
    const char *why; /* static string when err is set */
} fr_batch_iter_t;

void fr_batch_iter_init(fr_batch_iter_t *it, const uint8_t *buf, size_t len);
/* 1 and the next whole batch (pointer into buf, its size), or 0 at the end. */
int fr_batch_iter_next(fr_batch_iter_t *it, fr_batch_header_t *h, const uint8_t **batch,
                       size_t *batch_len);

/*
 * One record of an uncompressed batch.  key/value are null slices (len -1)
 * for null; headers is the raw header section, walked with
 * fr_record_header_next().
 */
typedef struct fr_record {
    int32_t length;          /* body size, as encoded */
    int8_t attributes;
    int64_t timestamp_delta;
    int32_t offset_delta;
    int64_t offset;          /* batch base offset + offset_delta */
    int64_t timestamp;       /* batch base timestamp + timestamp_delta */
    fr_slice_t key;
    fr_slice_t value;
    int32_t header_count;
    const uint8_t *headers;  /* header_count encoded headers */
    size_t headers_len;
} fr_record_t;

/*
 * Record iterator over one whole, uncompressed batch (validate it first if it
 * came from outside).  init returns 0 or FR_ERR_UNSUPPORTED_COMPRESSION_TYPE for a
 * compressed batch (compressed records are never decoded here).
 *
 *   while (fr_record_iter_next(&it, &rec)) { ... }
 *   if (it.err) -> malformed record number it.index: it.why
 *
 * Each record must parse within its declared length and consume all of it,
 * and offset deltas must increase and stay <= lastOffsetDelta.  At a clean end
 * the iterator has also checked that exactly recordsCount records were present
 * and that no bytes follow them.
 */
typedef struct fr_record_iter {
    fr_reader_t r;       /* over the records section */
    int64_t base_offset;
    int64_t base_timestamp;
    int32_t count;       /* recordsCount */
    int32_t index;       /* records returned so far */
    int32_t last_delta;  /* lastOffsetDelta, bound for offset deltas */
    int64_t prev_delta;  /* previous record's offset delta (-1 before the first) */
    int err;             /* 0 or FR_ERR_INVALID_RECORD */
    const char *why;
} fr_record_iter_t;

int fr_record_iter_init(fr_record_iter_t *it, const uint8_t *batch, size_t len,
                        const fr_batch_header_t *h);
int fr_record_iter_next(fr_record_iter_t *it, fr_record_t *rec);

/*
 * Record iterator over one whole batch, compressed or not, for callers off
 * the hot path (ListOffsets by time, compaction, down-conversion).  The
 * records section of a compressed batch is decompressed (compression.h) into
 * scratch, a writer the caller owns and may reuse from batch to batch: it is
 * reset first, and the output is capped at max_bytes (0:
 * FR_DECOMPRESS_DEFAULT_MAX).  Records then point into scratch and stay valid
 * until scratch is reset or freed; an uncompressed batch is iterated in place
 * exactly as by fr_record_iter_init, and scratch is not touched.  Iterate
 * with fr_record_iter_next, which applies the same checks.
 * Returns 0, or (with it->err, it->why set and nothing to iterate):
 * FR_ERR_CORRUPT_MESSAGE (records do not decompress, or exceed max_bytes),
 * FR_ERR_UNSUPPORTED_COMPRESSION_TYPE (codec 5..7), FR_ERR_NOMEM,
 * FR_ERR_INVALID_RECORD (batch shorter than its header, negative count).
 */
int fr_record_iter_init_any(fr_record_iter_t *it, const uint8_t *batch, size_t len,
                            const fr_batch_header_t *h, fr_writer_t *scratch, size_t max_bytes);

/*
 * ListOffsets by time inside one batch, as Kafka's searchForTimestamp does
 * for a batch whose max timestamp reaches ts: the first record in offset
 * order whose timestamp is >= ts.  A LogAppendTime batch stamps every record
 * with its max timestamp (as Kafka's record iterator does).  Records are
 * read as by fr_record_iter_init_any (scratch, max_bytes likewise).
 * Returns 0 with *offset and *timestamp set, FR_ERR_NOT_FOUND when no record
 * qualifies, or an error of fr_record_iter_init_any / FR_ERR_INVALID_RECORD
 * when the records fail to decode before one qualifies (*why, may be NULL,
 * says why).
 */
int fr_batch_find_time(const uint8_t *batch, size_t len, const fr_batch_header_t *h, int64_t ts,
                       fr_writer_t *scratch, size_t max_bytes, int64_t *offset, int64_t *timestamp,
                       const char **why);

/*
 * Walks a record's headers: init a reader on (rec->headers, rec->headers_len),
 * then call fr_record_header_next rec->header_count times.  Header keys are
 * never null; values may be (len -1).  The record iterator has already checked
 * that the headers parse, so this fails only on a hand-made fr_record_t.
 */
int fr_record_header_next(fr_reader_t *hr, fr_slice_t *key, fr_slice_t *value);

#endif
