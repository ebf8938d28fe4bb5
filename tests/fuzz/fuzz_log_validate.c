/*
 * fuzz_log_validate.c — libFuzzer target for what an append checks and
 * changes (log_validator.h): the first byte picks the topic's settings
 * (compacted or not, a compression.type codec or the producer's, LogAppendTime,
 * timestamp bounds of 1 ms either way of the append's clock, which the
 * seeds' records just meet), the rest is a Produce's records.  Each whole batch's CRC is made right
 * first, so mutations reach the records inside compressed batches instead of
 * stopping at the checksum.
 *
 * The settings are the broker's defaults otherwise, so the records of
 * compressed batches are decompressed and walked.
 *
 * Invariants: a refused request says why; fr_partlog_codec_bytes counts
 * bytes of the request, and on a topic that is not compacted counts some
 * exactly when validation asks for a conversion or a batch in a codec
 * slower than lz4 is to be checked; what conversion makes validates
 * again, under the same limits, with the same record and offset counts and
 * needs no conversion; a request whose maxTimestamps were fixed validates
 * again with nothing left to fix, as does what a conversion makes of it; a
 * stamped request is refused as a producer's but otherwise still
 * validates; a request refused for a timestamp names its record, and one
 * accepted under bounds has every record's timestamp within them (read by
 * the record iterator, not the walk).  Seeds:
 * tests/fuzz/corpus/log_validate/ (batches of each codec, keyed and keyless,
 * behind each settings byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"
#include "log_validator.h"
#include "record_batch.h"

/* the append's clock: the seeds' records are stamped 1700000000000-2 */
#define NOW_MS 1700000000001LL

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond))                                                         \
            abort();                                                         \
    } while (0)

static void fix_crcs(uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen))
        fr_put_be32(buf + (batch - buf) + FR_BATCH_OFF_CRC, fr_batch_compute_crc(batch, blen));
}

/* Whether every record of buf[0..len) has a timestamp within [lo, hi], or -1 (when
 * minus_one_ok). */
static int all_timely(const uint8_t *buf, size_t len, int64_t lo, int64_t hi, int minus_one_ok) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_writer_t scratch;
    int ok = 1;
    fr_writer_init(&scratch);
    fr_batch_iter_init(&it, buf, len);
    while (ok && fr_batch_iter_next(&it, &h, &batch, &blen)) {
        fr_record_iter_t ri;
        fr_record_t rec;
        fr_writer_reset(&scratch);
        ok = fr_record_iter_init_any(&ri, batch, blen, &h, &scratch, 0) == 0;
        while (ok && fr_record_iter_next(&ri, &rec))
            ok = rec.timestamp == -1 ? minus_one_ok : rec.timestamp >= lo && rec.timestamp <= hi;
    }
    fr_writer_free(&scratch);
    return ok;
}

/* Whether some batch has its records decompressed off the loop to be checked. */
static int slow_checks(const uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        int codec = fr_batch_compression(&h);
        if (codec != FR_COMPRESSION_NONE && codec != FR_COMPRESSION_LZ4)
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.compacted = data[0] & 1;
    cfg.log_append_time = (data[0] >> 1) & 1;
    cfg.codec = ((data[0] >> 2) & 7) % 6; /* 5: the producer's */
    if ((data[0] >> 5) & 1) {
        cfg.ts_bounded = 1;
        cfg.ts_before_max_ms = cfg.ts_after_max_ms = 1;
    }
    cfg.recompress = cfg.codec < 5;
    if (!cfg.recompress)
        cfg.codec = 0;
    cfg.max_message_bytes = 1 << 20;

    size_t len = size - 1;
    uint8_t *buf = malloc(len ? len : 1); /* exact size: the sanitizer sees overreads */
    if (!buf)
        return 0;
    if (len)
        memcpy(buf, data + 1, len);
    fix_crcs(buf, len);

    fr_log_validation_t v;
    int rc = fr_log_validate(&cfg, buf, len, NOW_MS, &v);
    CHECK(rc == 0 || v.why != NULL || rc == FR_ERR_NOMEM);
    /* records are named only for a compacted topic's keys or for timestamps, and only on a refusal */
    CHECK(v.n_errors == 0 || (rc == FR_ERR_INVALID_RECORD && cfg.compacted) || rc == FR_ERR_INVALID_TIMESTAMP);
    /* a timestamp is refused by a bound or for a LogAppendTime flag, naming records */
    CHECK(rc != FR_ERR_INVALID_TIMESTAMP || v.n_errors > 0 ||
          (cfg.log_append_time && v.n_errors == 0)); /* a LogAppendTime batch of no records */
    for (int32_t i = 0; i < v.n_errors; i++) {
        CHECK(v.errors[i].index >= 0 && v.errors[i].kind >= FR_RECORD_NO_KEY &&
              v.errors[i].kind <= FR_RECORD_LOG_APPEND_TIME);
        CHECK(i == 0 || v.errors[i].index > v.errors[i - 1].index);
        CHECK(v.errors[i].kind != FR_RECORD_NO_KEY || cfg.compacted);
        CHECK(v.errors[i].kind != FR_RECORD_UNTIMELY || (cfg.ts_bounded && !cfg.log_append_time));
        /* a CreateTime topic names a record for its batch's LogAppendTime flag only when it has no timestamp */
        CHECK(v.errors[i].kind != FR_RECORD_LOG_APPEND_TIME || cfg.log_append_time || v.errors[i].timestamp == -1);
    }
    fr_log_validation_release(&v);
    CHECK(rc != 0 || !cfg.ts_bounded || cfg.log_append_time || all_timely(buf, len, NOW_MS - 1, NOW_MS + 1, 1));
    /* the header walk that picks where an append runs agrees with validation: on a
     * topic that is not compacted it counts the batches converted, and those whose
     * records are decompressed to be checked in a codec other than lz4 */
    size_t codec_bytes = fr_partlog_codec_bytes(&cfg, buf, len);
    CHECK(codec_bytes <= len);
    CHECK(rc != 0 || cfg.compacted || (codec_bytes > 0) == (v.convert != 0 || slow_checks(buf, len)));
    if (rc == 0 && v.fix_max_ts) {
        /* as an append does, before a conversion: after the fix the batches say what their
         * records do, and validate the same way */
        CHECK(!cfg.log_append_time);
        fr_log_fix_max_timestamps(&cfg, buf, len);
        fr_log_validation_t again;
        CHECK(fr_log_validate(&cfg, buf, len, NOW_MS, &again) == 0);
        CHECK(again.fix_max_ts == 0 && again.max_ts == v.max_ts);
        CHECK(again.n_records == v.n_records && again.n_offsets == v.n_offsets && again.convert == v.convert);
    }
    if (rc == 0 && v.convert) {
        fr_writer_t out;
        fr_writer_init(&out);
        const char *why = NULL;
        fr_oversize_t over = {0};
        int crc = fr_log_convert(&cfg, buf, len, &out, &why, &over);
        /* a size refusal says its size and limit, and the size is past the limit */
        CHECK(over.kind == FR_OVERSIZE_NONE || crc == FR_ERR_MESSAGE_TOO_LARGE || crc == FR_ERR_RECORD_LIST_TOO_LARGE);
        CHECK(over.kind == FR_OVERSIZE_NONE || over.size > over.limit);
        if (crc == 0) {
            fr_log_validation_t again; /* conversion kept to the limits itself */
            CHECK(fr_log_validate(&cfg, out.buf, out.len, NOW_MS, &again) == 0);
            CHECK(again.convert == 0 && again.fix_max_ts == 0);
            CHECK(again.n_records == v.n_records && again.n_offsets == v.n_offsets);
        } else {
            CHECK(why != NULL);
        }
        fr_writer_free(&out);
    }
    if (rc == 0 && !v.convert && cfg.log_append_time) {
        /* stamped as the log stores it: whole still, though a producer that sent it so is
         * refused (only the broker sets LogAppendTime); a CreateTime topic would take it
         * unless a record has no timestamp */
        fr_log_stamp_append_time(buf, len, 1800000000000LL);
        fr_log_validation_t again;
        rc = fr_log_validate(&cfg, buf, len, NOW_MS, &again);
        CHECK(rc == (v.n_offsets > 0 ? FR_ERR_INVALID_TIMESTAMP : 0));
        CHECK(rc == 0 || (again.n_errors > 0 && again.errors[0].index == 0));
        fr_log_validation_release(&again);
        cfg.log_append_time = cfg.ts_bounded = 0;
        rc = fr_log_validate(&cfg, buf, len, NOW_MS, &again);
        int stamped_ok = all_timely(buf, len, INT64_MIN, INT64_MAX, 0);
        CHECK(rc == (stamped_ok ? 0 : FR_ERR_INVALID_TIMESTAMP));
        CHECK(rc != 0 || again.fix_max_ts == (v.n_offsets > 0));
        CHECK(rc == 0 || (again.n_errors > 0 && again.errors[0].timestamp == -1 &&
                          again.errors[0].kind == FR_RECORD_LOG_APPEND_TIME));
        fr_log_validation_release(&again);
    }
    free(buf);
    return 0;
}
