/*
 * batch_rewrite.h — the two changes a broker makes to a client's batch
 * beyond its base offset and leader epoch, both of which the CRC covers and
 * so re-compute it: stamping it with the append time (a topic with
 * message.timestamp.type=LogAppendTime) and re-compressing its records (a
 * topic whose compression.type is a codec, not "producer").  Neither is on
 * the default produce path.
 */
#ifndef FR_BATCH_REWRITE_H
#define FR_BATCH_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "record_batch.h"

/*
 * Marks a whole, validated batch (len bytes, in place) as LogAppendTime with
 * maxTimestamp = now_ms, as Kafka does: baseTimestamp and the records' deltas
 * stay, and readers take maxTimestamp for every record.  Re-computes the CRC.
 */
void fr_batch_stamp_append_time(uint8_t *batch, size_t len, int64_t now_ms);

/*
 * Marks a whole, validated batch (len bytes, in place) as CreateTime with
 * maxTimestamp = max_ts, as Kafka's LogValidator does with its records'
 * largest timestamp.  Re-computes the CRC.
 */
void fr_batch_set_create_time(uint8_t *batch, size_t len, int64_t max_ts);

/*
 * Appends to out a copy of the whole batch (len bytes, header *h, validated
 * with FR_BATCH_V_RECORDS or walked with the record iterator) whose records
 * are compressed with codec (0..4) at level (fr_compress_level) instead: the header is kept but for the
 * codec bits, batchLength and the CRC.  The records of a compressed batch
 * are decompressed into scratch (a caller-owned writer, reset first; at most
 * FR_DECOMPRESS_DEFAULT_MAX bytes) and must iterate cleanly
 * (fr_record_iter_next's checks), since validation did not look inside.
 * Returns 0, or with *why set: FR_ERR_CORRUPT_MESSAGE (records do not
 * decompress), FR_ERR_INVALID_RECORD (records malformed),
 * FR_ERR_UNSUPPORTED_COMPRESSION_TYPE, FR_ERR_NOMEM.  On error out holds what
 * it held before.
 */
int fr_batch_recompress(const uint8_t *batch, size_t len, const fr_batch_header_t *h, int codec, int level,
                        fr_writer_t *scratch, fr_writer_t *out, const char **why);

#endif
