/*
 * log_validator.h — what an append checks, and may change, before its
 * batches go to the log (Kafka's LogValidator): framing, CRC, sizes, the
 * client rules, the records of every batch (compressed ones decompressed
 * first, unless cfg->trust_compressed and no timestamp bound needs them),
 * keys on compacted topics, the records' timestamps against the topic's
 * bounds, a CreateTime batch's maxTimestamp (its records' largest),
 * re-compression to the topic's compression.type, and the LogAppendTime
 * stamp.  Runs without the partlog's lock, on a copy of its settings.
 * Internal to log/storage (partlog.c).
 */
#ifndef FR_LOG_VALIDATOR_H
#define FR_LOG_VALIDATOR_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_partlog.h"

typedef struct fr_log_validation {
    int64_t n_offsets;    /* offsets the batches take */
    int32_t n_records;
    int64_t max_ts;       /* largest batch maxTimestamp (as fixed), -1 for none */
    int idempotent;       /* some batch has a producer id */
    int convert;          /* some batch is to be re-compressed (cfg->recompress) */
    int fix_max_ts;       /* some batch's maxTimestamp is not its records' largest, or it
                             says LogAppendTime on a CreateTime topic: fr_log_fix_max_timestamps */
    const char *why;      /* static string when an error is returned */
    fr_oversize_t oversize; /* a batch refused for its size */
    /* On INVALID_RECORD or INVALID_TIMESTAMP for records: every refused record of
     * the first batch with one (malloc'd; fr_log_validation_release, unless
     * moved out), and the bounds the untimely ones missed; NULL when the
     * validation passes.  A batch is walked a second time for this, only
     * once it is refused. */
    fr_record_error_t *errors;
    int32_t n_errors;
    size_t cap_errors;
    int64_t ts_lo, ts_hi;
    int record_refused;   /* the walk stopped at a refused record, not a malformed one */
} fr_log_validation_t;

void fr_log_validation_release(fr_log_validation_t *v);

/*
 * Validates the batches in buf[0..len), appended at now_ms, against cfg and
 * sums what the append needs into *v.  Returns 0 or the error
 * (fr_partlog_append's list), *v->why saying why.  On a CreateTime topic
 * with cfg->ts_bounded a record whose timestamp (other than -1) lies outside
 * [now_ms - ts_before_max_ms, now_ms + ts_after_max_ms] is
 * FR_ERR_INVALID_TIMESTAMP, as is, on a LogAppendTime topic, a batch that
 * says LogAppendTime itself (Kafka: only the broker sets it).  The records
 * of a compressed batch are decompressed into a buffer the calling thread
 * keeps for the next call (freed when it exits): a record that does not
 * parse is FR_ERR_INVALID_RECORD, a records section that does not
 * decompress FR_ERR_CORRUPT_MESSAGE, as in Kafka.  With
 * cfg->trust_compressed only those of a compacted topic (for their keys) or
 * of a bounded CreateTime topic (for their timestamps) are.  Sizes, in
 * Kafka's order: max.message.bytes before the CRC, segment.bytes after every
 * other check, and for a batch to be re-compressed only once it is
 * (fr_log_convert); a refusal fills v->oversize.
 */
int fr_log_validate(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, int64_t now_ms,
                    fr_log_validation_t *v);

/*
 * Re-compresses every batch of buf[0..len) (validated, v->convert set) whose
 * codec is not cfg->codec, appending the result to out (others are copied
 * as they are).  What *v says of buf holds for out too, and out's batches
 * need no validation again but for size: a re-compressed batch past
 * max.message.bytes (or segment.bytes) is refused here, as in Kafka.
 * Returns 0, FR_ERR_MESSAGE_TOO_LARGE, FR_ERR_RECORD_LIST_TOO_LARGE (with
 * *oversize) or an error of fr_batch_recompress, with *why.
 */
int fr_log_convert(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, fr_writer_t *out,
                   const char **why, fr_oversize_t *oversize);

/*
 * Gives every batch of buf[0..len) (validated under cfg, v->fix_max_ts set;
 * before fr_log_convert) whose records fr_log_validate read the maxTimestamp
 * Kafka's LogValidator gives it on a CreateTime topic: its records' largest
 * timestamp, as CreateTime, the CRC re-computed.  Batches that already say
 * so are left as they are.  The records are walked again as fr_log_validate
 * walked them (decompressed if need be): only a client that sent a wrong
 * maxTimestamp pays for that.
 */
void fr_log_fix_max_timestamps(const fr_log_config_t *cfg, uint8_t *buf, size_t len);

/* Stamps every batch of buf[0..len) with the append time now_ms (LogAppendTime topics). */
void fr_log_stamp_append_time(uint8_t *buf, size_t len, int64_t now_ms);

#endif
