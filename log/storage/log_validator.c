#include "log_validator.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch_rewrite.h"
#include "compression.h"
#include "fr_array.h"
#include "fr_err.h"
#include "record_batch.h"

/*
 * The room a compressed batch's records are decompressed into to be checked.
 * Each thread keeps its own from one append to the next (the loop checks lz4
 * batches and small ones, a worker the rest, see fr_partlog_codec_bytes):
 * grown anew for every megabyte batch it would be copied over and over as it
 * doubled.  Room past SCRATCH_KEEP, which only a batch of unusually
 * compressible records takes, is given back after the check.  A thread's
 * buffer is freed when the thread ends.
 */
#define SCRATCH_KEEP ((size_t)8 << 20)

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_made;

static void scratch_free(void *p) {
    fr_writer_free(p);
    free(p);
}

static void scratch_key_make(void) {
    scratch_key_made = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's scratch writer, or NULL when it cannot be had (out of memory). */
static fr_writer_t *thread_scratch(void) {
    pthread_once(&scratch_once, scratch_key_make);
    if (!scratch_key_made)
        return NULL;
    fr_writer_t *w = pthread_getspecific(scratch_key);
    if (!w && (w = malloc(sizeof(*w))) != NULL) {
        fr_writer_init(w);
        if (pthread_setspecific(scratch_key, w) != 0) {
            free(w);
            w = NULL;
        }
    }
    return w;
}

/* This thread's scratch, or NULL with v->why saying so. */
static fr_writer_t *scratch_for(fr_log_validation_t *v) {
    fr_writer_t *w = thread_scratch();
    if (!w)
        v->why = "out of memory";
    return w;
}

/* Gives back the room only an unusually big batch took. */
static void scratch_done(fr_writer_t *w) {
    if (w->cap > SCRATCH_KEEP) {
        fr_writer_free(w);
        fr_writer_init(w);
    }
}

/*
 * A compressed batch's records, decompressed and walked with the checks an
 * uncompressed batch gets, as Kafka's LogValidator does before it stores a
 * batch: a batch whose CRC holds but whose records are not what its header
 * says would otherwise be stored, and fail every consumer that reads it.
 */
static int check_compressed(const uint8_t *batch, size_t len, const fr_batch_header_t *h, fr_record_times_t *t,
                            fr_log_validation_t *v) {
    fr_writer_t *w = scratch_for(v);
    if (!w)
        return FR_ERR_NOMEM;
    fr_writer_reset(w);
    /* len >= FR_BATCH_HEADER_SIZE: fr_batch_validate checked it */
    int rc = fr_undecodable_to_produce_error(fr_decompress(fr_batch_compression(h), batch + FR_BATCH_HEADER_SIZE,
                                       len - FR_BATCH_HEADER_SIZE, w, 0, &v->why));
    if (rc == 0)
        rc = fr_batch_validate_decoded_records(w->buf, w->len, h, t, &v->why);
    scratch_done(w);
    return rc;
}

/*
 * Opens *it over a batch's records, decompressed into this thread's scratch
 * *w when compressed; the caller gives *w back with scratch_done after its
 * walk.  Returns 0, or the error with v->why (and nothing to give back).
 */
static int open_records(const uint8_t *batch, size_t len, const fr_batch_header_t *h, fr_record_iter_t *it,
                        fr_writer_t **w, fr_log_validation_t *v) {
    if (!(*w = scratch_for(v)))
        return FR_ERR_NOMEM;
    int rc = fr_undecodable_to_produce_error(fr_record_iter_init_any(it, batch, len, h, *w, 0));
    if (rc) {
        v->why = it->why ? it->why : "records that do not decompress";
        scratch_done(*w);
    }
    return rc;
}

/* The walk's end: a record that did not parse, else rc. */
static int close_records(int rc, const fr_record_iter_t *it, fr_writer_t *w, fr_log_validation_t *v) {
    if (rc == 0 && it->err) {
        v->why = it->why;
        rc = it->err;
    }
    scratch_done(w);
    return rc;
}

/*
 * A compacted topic keeps the newest record of each key; a record without one
 * could be neither kept nor dropped by that rule, so Kafka refuses it.
 */
static int check_keys(const uint8_t *batch, size_t len, const fr_batch_header_t *h, fr_record_times_t *t,
                      fr_log_validation_t *v) {
    fr_record_iter_t it;
    fr_record_t rec;
    fr_writer_t *w;
    int rc = open_records(batch, len, h, &it, &w, v);
    if (rc)
        return rc;
    *t = (fr_record_times_t){.max = -1, .min = INT64_MAX};
    while (fr_record_iter_next(&it, &rec)) {
        if (rec.timestamp > t->max)
            t->max = rec.timestamp;
        if (rec.timestamp < t->min)
            t->min = rec.timestamp;
        if (rec.key.len < 0) {
            v->record_refused = 1; /* list_record_errors names them all */
            v->why = "Compacted topic cannot accept message without key";
            rc = FR_ERR_INVALID_RECORD;
            break;
        }
    }
    return close_records(rc, &it, w, v);
}

/* Whether an append under cfg holds its records' timestamps to bounds. */
static int bounds_times(const fr_log_config_t *cfg) {
    return cfg->ts_bounded && !cfg->log_append_time;
}

/* Whether an append under cfg reads the records of compressed batches. */
static int reads_compressed(const fr_log_config_t *cfg) {
    return cfg->compacted || !cfg->trust_compressed || bounds_times(cfg);
}

/* Whether an append under cfg reads the records of a batch with header h. */
static int reads_records(const fr_log_config_t *cfg, const fr_batch_header_t *h) {
    return fr_batch_compression(h) == FR_COMPRESSION_NONE || reads_compressed(cfg);
}

/*
 * The records' checks for a batch that reads_records, by the walk that
 * suits it.  t->max is the timestamp Kafka gives a CreateTime batch's
 * maxTimestamp: its records' largest.  (Kafka reads the records of a batch
 * that says LogAppendTime as its maxTimestamp, keeps that, and clears the
 * flag on a CreateTime topic, so the records then read older or newer than
 * the batch claims; here such a batch gets its records' largest too, and
 * its records' own times are held to the bounds.)
 */
static int check_records(const fr_log_config_t *cfg, const uint8_t *batch, size_t len, const fr_batch_header_t *h,
                         fr_record_times_t *t, fr_log_validation_t *v) {
    if (cfg->compacted) /* check_keys walks the records with the same checks */
        return check_keys(batch, len, h, t, v);
    if (fr_batch_compression(h) == FR_COMPRESSION_NONE)
        return fr_batch_validate_records(batch, len, h, t, &v->why);
    return check_compressed(batch, len, h, t, v);
}

static void add_record_error(fr_log_validation_t *v, const fr_record_t *rec, int32_t index, int kind) {
    if (FR_ARRAY_GROW(v->errors, v->cap_errors, (size_t)v->n_errors + 1, 8))
        return; /* the append is refused all the same; fewer records are named */
    v->errors[v->n_errors++] = (fr_record_error_t){.index = index, .kind = kind, .offset = rec->offset,
                                                   .timestamp = rec->timestamp, .key_len = rec->key.len,
                                                   .value_len = rec->value.len};
}

/*
 * Every record of a refused batch that Kafka's validator would name, each
 * for the first rule it breaks: no key on a compacted topic; then, on a
 * CreateTime topic, a timestamp (other than -1) outside [lo, hi] when the
 * topic bounds them; else a batch that says LogAppendTime itself (on a
 * CreateTime topic only records without a timestamp are named for it, as
 * Kafka's validateTimestamp does).  Only walked once a batch is refused, its
 * timestamps' range crosses a bound, or a LogAppendTime batch may hold a
 * -1.  Returns FR_ERR_INVALID_TIMESTAMP if a timestamp is among them, else
 * FR_ERR_INVALID_RECORD, or 0 when no record is named (a range crossed
 * only by -1).
 */
static int list_record_errors(const fr_log_config_t *cfg, const uint8_t *batch, size_t len,
                              const fr_batch_header_t *h, int64_t lo, int64_t hi, fr_log_validation_t *v) {
    fr_record_iter_t it;
    fr_record_t rec;
    fr_writer_t *w;
    int rc = open_records(batch, len, h, &it, &w, v);
    if (rc)
        return rc;
    int untimely = 0, named = 0, stamped = 0;
    int flagged = fr_batch_is_log_append_time(h);
    while (fr_record_iter_next(&it, &rec)) {
        int32_t index = v->n_records + (int32_t)it.index - 1;
        int kind = 0;
        if (cfg->compacted && rec.key.len < 0)
            kind = FR_RECORD_NO_KEY;
        else if (!cfg->log_append_time && rec.timestamp != -1) {
            if (bounds_times(cfg) && (rec.timestamp < lo || rec.timestamp > hi))
                kind = FR_RECORD_UNTIMELY;
        } else if (flagged)
            kind = FR_RECORD_LOG_APPEND_TIME;
        if (!kind)
            continue;
        named = 1;
        untimely |= kind != FR_RECORD_NO_KEY;
        stamped |= kind == FR_RECORD_LOG_APPEND_TIME;
        add_record_error(v, &rec, index, kind);
    }
    v->ts_lo = lo;
    v->ts_hi = hi;
    if (!named)
        return close_records(0, &it, w, v);
    if (untimely)
        v->why = stamped ? "Producer should not set timestamp type to LogAppendTime"
                         : "One or more records have been rejected due to invalid timestamp";
    return close_records(untimely ? FR_ERR_INVALID_TIMESTAMP : FR_ERR_INVALID_RECORD, &it, w, v);
}

void fr_log_validation_release(fr_log_validation_t *v) {
    free(v->errors);
    v->errors = NULL;
    v->n_errors = v->cap_errors = 0;
}

void fr_record_error_message(const fr_record_error_t *e, int64_t lo, int64_t hi, const char *topic_partition,
                             char *buf, size_t n) {
    switch (e->kind) {
    case FR_RECORD_NO_KEY:
        snprintf(buf, n, "Compacted topic cannot accept message without key in topic partition %s", topic_partition);
        break;
    case FR_RECORD_UNTIMELY:
        snprintf(buf, n,
                 "Timestamp %" PRId64 " of message with offset %" PRId64
                 " is out of range. The timestamp should be within [%" PRId64 ", %" PRId64 "]",
                 e->timestamp, e->offset, lo, hi);
        break;
    default:
        snprintf(buf, n,
                 "Invalid timestamp type in message DefaultRecord(offset=%" PRId64 ", timestamp=%" PRId64
                 ", key=%d bytes, value=%d bytes). Producer should not set timestamp type to LogAppendTime.",
                 e->offset, e->timestamp, e->key_len < 0 ? 0 : e->key_len, e->value_len < 0 ? 0 : e->value_len);
        break;
    }
}

/* Kafka's limit on a batch as produced, checked before its CRC, and again once
 * re-compressed (stored) (UnifiedLog.analyzeAndValidateRecords, append). */
static int check_max_size(const fr_log_config_t *cfg, size_t blen, int stored, const char **why,
                          fr_oversize_t *over) {
    if ((int64_t)blen <= cfg->max_message_bytes)
        return 0;
    *why = "batch larger than max.message.bytes";
    *over = (fr_oversize_t){stored ? FR_OVERSIZE_STORED_MESSAGE : FR_OVERSIZE_MESSAGE, (int64_t)blen,
                            cfg->max_message_bytes};
    return FR_ERR_MESSAGE_TOO_LARGE;
}

/* Kafka's limit on what is appended, checked last, on the batches as stored. */
static int check_segment_size(const fr_log_config_t *cfg, size_t blen, const char **why, fr_oversize_t *over) {
    if ((int64_t)blen <= cfg->segment_bytes)
        return 0;
    *why = "batch larger than segment.bytes";
    *over = (fr_oversize_t){FR_OVERSIZE_SEGMENT, (int64_t)blen, cfg->segment_bytes};
    return FR_ERR_RECORD_LIST_TOO_LARGE;
}

/* a - b and a + b for a bound b (below 0 read as 0), held within int64 */
static int64_t minus_at_most(int64_t a, int64_t b) {
    b = b < 0 ? 0 : b;
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

static int64_t plus_at_most(int64_t a, int64_t b) {
    b = b < 0 ? 0 : b;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int fr_log_validate(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, int64_t now_ms,
                    fr_log_validation_t *v) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    int rc = 0;
    int64_t lo = minus_at_most(now_ms, cfg->ts_before_max_ms), hi = plus_at_most(now_ms, cfg->ts_after_max_ms);

    *v = (fr_log_validation_t){.max_ts = -1};
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if ((rc = check_max_size(cfg, blen, 0, &v->why, &v->oversize)) != 0)
            break;
        if ((rc = fr_batch_validate(batch, blen, &h, FR_BATCH_V_CLIENT, &v->why)) != 0)
            break;
        if (fr_batch_compression(&h) == FR_COMPRESSION_LZ4 &&
            !fr_lz4_blocks_independent(batch + FR_BATCH_HEADER_SIZE, blen - FR_BATCH_HEADER_SIZE)) {
            /* Kafka's Lz4BlockInputStream: "Dependent block stream is unsupported", an unexpected error */
            v->why = "lz4 frame of dependent blocks, which Kafka's clients cannot read";
            rc = FR_ERR_UNKNOWN_SERVER_ERROR;
            break;
        }
        if (cfg->log_append_time && fr_batch_is_log_append_time(&h)) {
            v->why = "Producer should not set timestamp type to LogAppendTime";
            if ((rc = list_record_errors(cfg, batch, blen, &h, lo, hi, v)) == 0) /* no records to name */
                rc = FR_ERR_INVALID_TIMESTAMP;
            break;
        }
        int64_t max_ts = h.max_timestamp;
        if (reads_records(cfg, &h)) {
            fr_record_times_t t;
            rc = check_records(cfg, batch, blen, &h, &t, v);
            if ((rc != 0 && v->record_refused) || (rc == 0 && bounds_times(cfg) && (t.min < lo || t.max > hi)) ||
                (rc == 0 && fr_batch_is_log_append_time(&h) && t.min <= -1))
                rc = list_record_errors(cfg, batch, blen, &h, lo, hi, v);
            if (rc != 0)
                break;
            /* Kafka sets a CreateTime batch's maxTimestamp from its records (a LogAppendTime
             * topic's batches are all stamped anyway) */
            if (!cfg->log_append_time) {
                max_ts = t.max;
                v->fix_max_ts |= max_ts != h.max_timestamp || fr_batch_is_log_append_time(&h);
            }
        }
        int converted = cfg->recompress && fr_batch_compression(&h) != cfg->codec;
        if (!converted && (rc = check_segment_size(cfg, blen, &v->why, &v->oversize)) != 0)
            break; /* a batch re-compressed is measured once it is (fr_log_convert) */
        v->idempotent |= h.producer_id >= 0;
        v->convert |= converted;
        v->n_offsets += (int64_t)h.last_offset_delta + 1;
        v->n_records += h.records_count;
        if (max_ts > v->max_ts)
            v->max_ts = max_ts;
    }
    if (rc == 0 && it.err) {
        v->why = it.err == FR_ERR_NEED_MORE ? "partial batch at the end of the records" : it.why;
        rc = FR_ERR_CORRUPT_MESSAGE;
    }
    return rc;
}

/*
 * Mirrors fr_log_validate's and fr_log_convert's rules, by the headers alone.
 * The check of a compressed batch's records counts for every codec but lz4,
 * which decompresses fastest.  Measured here per megabyte of compressed text
 * (records of JSON-like words, 2.4-4.8x smaller compressed): lz4 0.9 ms,
 * snappy 2.0, zstd 2.8, gzip 10; writing the megabyte takes 0.2-0.3 ms.
 * lz4 counts too once its batches could decode to more than
 * FR_LZ4_CHECK_MAX_OUT, as its block headers tell: a megabyte that expands
 * a hundredfold would otherwise hold the loop for tens of milliseconds.
 */
size_t fr_partlog_codec_bytes(const fr_log_config_t *cfg, const uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen, bytes = 0, lz4_bytes = 0, lz4_out = 0;

    if (!cfg->recompress && !reads_compressed(cfg))
        return 0;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        int codec = fr_batch_compression(&h);
        if ((cfg->recompress && codec != cfg->codec) || (cfg->compacted && codec != FR_COMPRESSION_NONE) ||
            (reads_compressed(cfg) && codec != FR_COMPRESSION_NONE && codec != FR_COMPRESSION_LZ4)) {
            bytes += blen;
        } else if (reads_compressed(cfg) && codec == FR_COMPRESSION_LZ4) {
            if (lz4_out <= FR_LZ4_CHECK_MAX_OUT) { /* once past it, the rest need not be read */
                /* blen >= FR_BATCH_HEADER_SIZE: the iterator checked the frame */
                size_t out = fr_decompress_bound(codec, batch + FR_BATCH_HEADER_SIZE, blen - FR_BATCH_HEADER_SIZE);
                lz4_out = out > FR_LZ4_CHECK_MAX_OUT ? out : lz4_out + out;
            }
            lz4_bytes += blen;
        }
    }
    return lz4_out > FR_LZ4_CHECK_MAX_OUT ? bytes + lz4_bytes : bytes;
}

int fr_log_convert(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, fr_writer_t *out,
                   const char **why, fr_oversize_t *oversize) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_writer_t scratch;
    int rc = 0;

    fr_writer_init(&scratch);
    fr_batch_iter_init(&it, buf, len);
    while (rc == 0 && fr_batch_iter_next(&it, &h, &batch, &blen)) {
        size_t start = out->len;
        if (fr_batch_compression(&h) == cfg->codec)
            fr_write_raw(out, batch, blen);
        else if ((rc = fr_batch_recompress(batch, blen, &h, cfg->codec, cfg->codec_level, &scratch, out, why)) == 0)
            if ((rc = check_max_size(cfg, out->len - start, 1, why, oversize)) == 0) /* the limits apply */
                rc = check_segment_size(cfg, out->len - start, why, oversize);        /* to what is stored */
    }
    fr_writer_free(&scratch);
    if (rc == 0 && out->err) {
        *why = "out of memory";
        rc = FR_ERR_NOMEM;
    }
    return rc;
}

void fr_log_fix_max_timestamps(const fr_log_config_t *cfg, uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;

    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        /* the walk fr_log_validate made, so the two agree on every batch; it passed then */
        fr_log_validation_t again = {.max_ts = -1};
        fr_record_times_t t;
        if (!reads_records(cfg, &h) || check_records(cfg, batch, blen, &h, &t, &again) != 0)
            continue;
        if (t.max != h.max_timestamp || fr_batch_is_log_append_time(&h))
            fr_batch_set_create_time(buf + (batch - buf), blen, t.max);
    }
}

void fr_log_stamp_append_time(uint8_t *buf, size_t len, int64_t now_ms) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;

    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen))
        fr_batch_stamp_append_time(buf + (batch - buf), blen, now_ms);
}
