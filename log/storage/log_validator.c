#include "log_validator.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch_rewrite.h"
#include "compression.h"
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
    int rc = fr_decompress(fr_batch_compression(h), batch + FR_BATCH_HEADER_SIZE, len - FR_BATCH_HEADER_SIZE, w, 0,
                           &v->why);
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
    int rc = fr_record_iter_init_any(it, batch, len, h, *w, 0);
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
            v->bad_record = v->n_records + it.index - 1;
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

/*
 * Names the first record of a batch whose timestamp lies outside [lo, hi],
 * -1 ("no timestamp") excepted, as Kafka's record error does.  The walk
 * only gives the range's ends, so this second read happens only when one
 * of them is past a bound.  Returns 0 when no record is out (the end past
 * the bound was a -1), else FR_ERR_INVALID_TIMESTAMP.
 */
static int find_untimely(const uint8_t *batch, size_t len, const fr_batch_header_t *h, int64_t lo, int64_t hi,
                         fr_log_validation_t *v) {
    fr_record_iter_t it;
    fr_record_t rec;
    fr_writer_t *w;
    int rc = open_records(batch, len, h, &it, &w, v);
    if (rc)
        return rc;
    while (rc == 0 && fr_record_iter_next(&it, &rec)) {
        if (rec.timestamp == -1 || (rec.timestamp >= lo && rec.timestamp <= hi))
            continue;
        v->bad_record = v->n_records + it.index - 1;
        v->why = "One or more records have been rejected due to invalid timestamp";
        snprintf(v->record_why, sizeof(v->record_why),
                 "Timestamp %" PRId64 " of message with offset %" PRId64
                 " is out of range. The timestamp should be within [%" PRId64 ", %" PRId64 "]",
                 rec.timestamp, rec.offset, lo, hi);
        rc = FR_ERR_INVALID_TIMESTAMP;
    }
    return close_records(rc, &it, w, v);
}

/* Kafka's limits on a batch as it is to be stored. */
static int check_size(const fr_log_config_t *cfg, size_t blen, const char **why) {
    if ((int64_t)blen > cfg->max_message_bytes) {
        *why = "batch larger than max.message.bytes";
        return FR_ERR_MESSAGE_TOO_LARGE;
    }
    if ((int64_t)blen > cfg->segment_bytes) {
        *why = "batch larger than segment.bytes";
        return FR_ERR_RECORD_LIST_TOO_LARGE;
    }
    return 0;
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

    *v = (fr_log_validation_t){.max_ts = -1, .bad_record = -1};
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if ((rc = check_size(cfg, blen, &v->why)) != 0)
            break;
        if ((rc = fr_batch_validate(batch, blen, &h, FR_BATCH_V_CLIENT, &v->why)) != 0)
            break;
        if (h.producer_id >= 0 && h.producer_epoch < 0) {
            v->why = "batch with a producer id but a negative producer epoch";
            rc = FR_ERR_INVALID_RECORD;
            break;
        }
        if (cfg->log_append_time && fr_batch_is_log_append_time(&h)) {
            v->bad_record = v->n_records;
            v->why = "Producer should not set timestamp type to LogAppendTime";
            rc = FR_ERR_INVALID_TIMESTAMP;
            break;
        }
        int64_t max_ts = h.max_timestamp;
        if (reads_records(cfg, &h)) {
            fr_record_times_t t;
            if ((rc = check_records(cfg, batch, blen, &h, &t, v)) != 0)
                break;
            if (bounds_times(cfg) && (t.min < lo || t.max > hi) &&
                (rc = find_untimely(batch, blen, &h, lo, hi, v)) != 0)
                break;
            /* Kafka sets a CreateTime batch's maxTimestamp from its records (a LogAppendTime
             * topic's batches are all stamped anyway) */
            if (!cfg->log_append_time) {
                max_ts = t.max;
                v->fix_max_ts |= max_ts != h.max_timestamp || fr_batch_is_log_append_time(&h);
            }
        }
        v->idempotent |= h.producer_id >= 0;
        v->convert |= cfg->recompress && fr_batch_compression(&h) != cfg->codec;
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
                   const char **why) {
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
        else if ((rc = fr_batch_recompress(batch, blen, &h, cfg->codec, &scratch, out, why)) == 0)
            rc = check_size(cfg, out->len - start, why); /* the limits apply to what is stored */
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
        fr_log_validation_t again = {.bad_record = -1};
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
