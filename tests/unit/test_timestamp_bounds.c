/* The timestamp bounds of a CreateTime topic (message.timestamp.before /
 * after.max.ms) as fr_log_validate applies them: in every codec, on
 * compacted topics too, inclusive at both ends, -1 exempt, every record
 * out of bounds named by its index among the request's records with
 * Kafka's message; none on LogAppendTime topics, which instead refuse a
 * batch that says LogAppendTime itself (and CreateTime topics refuse such a
 * batch's records that have no timestamp). */
#include <stdlib.h>
#include <string.h>

#include "batch_builder.h"
#include "compression.h"
#include "fr_err.h"
#include "fr_test.h"
#include "log_validator.h"

#define NOW 1700000000000LL

/* offsets from NOW: the second record is 1 s old, the fourth 0.9 s ahead */
static const bb_record_t records[4] = {
    {.key = "a", .key_len = 1, .value = "one", .value_len = 3, .timestamp = NOW},
    {.key = "b", .key_len = 1, .value = "two", .value_len = 3, .timestamp = NOW - 1000},
    {.key = "c", .key_len = 1, .value = "three", .value_len = 5, .timestamp = NOW + 100},
    {.key = "d", .key_len = 1, .value = "four", .value_len = 4, .timestamp = NOW + 900},
};

/* n records, their section compressed with codec, appended to w as one batch. */
static void build(fr_writer_t *w, int codec, const bb_record_t *recs, int n, int16_t attrs) {
    bb_batch_t b = bb_defaults();
    b.attributes = attrs;
    FR_CHECK(bb_build_codec(w, &b, recs, n, codec) > 0);
}

static fr_log_config_t bounded(int64_t before, int64_t after) {
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.ts_bounded = 1;
    cfg.ts_before_max_ms = before;
    cfg.ts_after_max_ms = after;
    return cfg;
}

/* The message Kafka gives v's i-th named record, in topic partition t-0, is want. */
static void says(const fr_log_validation_t *v, int32_t i, const char *want) {
    char got[300];
    fr_record_error_message(&v->errors[i], v->ts_lo, v->ts_hi, "t-0", got, sizeof(got));
    FR_CHECK_EQ_STR(got, want);
}

/* Validation of w under cfg refuses n records, the first of them record bad, with
 * Kafka's message for its timestamp. */
static void refuses(const fr_log_config_t *cfg, const fr_writer_t *w, int n, int bad, int64_t ts, int64_t offset,
                    int64_t lo, int64_t hi) {
    fr_log_validation_t v;
    char want[200];
    FR_CHECK_EQ_INT(fr_log_validate(cfg, w->buf, w->len, NOW, &v), FR_ERR_INVALID_TIMESTAMP);
    FR_CHECK_EQ_INT(v.n_errors, n);
    FR_CHECK_EQ_STR(v.why, "One or more records have been rejected due to invalid timestamp");
    if (v.n_errors > 0) {
        FR_CHECK_EQ_INT(v.errors[0].index, bad);
        FR_CHECK_EQ_INT(v.errors[0].kind, FR_RECORD_UNTIMELY);
        snprintf(want, sizeof(want),
                 "Timestamp %lld of message with offset %lld is out of range. The timestamp should be within "
                 "[%lld, %lld]",
                 (long long)ts, (long long)offset, (long long)lo, (long long)hi);
        says(&v, 0, want);
    }
    for (int i = 1; i < v.n_errors; i++)
        FR_CHECK(v.errors[i].index > v.errors[i - 1].index);
    fr_log_validation_release(&v);
}

static void accepts(const fr_log_config_t *cfg, const fr_writer_t *w) {
    fr_log_validation_t v;
    FR_CHECK_EQ_INT(fr_log_validate(cfg, w->buf, w->len, NOW, &v), 0);
    FR_CHECK_EQ_INT(v.n_errors, 0);
}

FR_TEST(records_out_of_bounds_are_refused_in_every_codec) {
    fr_writer_t w;
    fr_writer_init(&w);
    for (int codec = FR_COMPRESSION_NONE; codec <= FR_COMPRESSION_ZSTD; codec++) {
        for (int compacted = 0; compacted <= 1; compacted++) {
            for (int trusted = 0; trusted <= 1; trusted++) {
                fr_writer_reset(&w);
                build(&w, codec, records, 4, 0);
                fr_log_config_t cfg;
                fr_log_config_defaults(&cfg);
                cfg.compacted = compacted;
                cfg.trust_compressed = trusted; /* a bound reads the records all the same */
                accepts(&cfg, &w);              /* no bound: the default */

                cfg = bounded(999, INT64_MAX);
                cfg.compacted = compacted;
                cfg.trust_compressed = trusted;
                refuses(&cfg, &w, 1, 1, NOW - 1000, 1, NOW - 999, INT64_MAX);
                cfg.ts_before_max_ms = 1000; /* the ends are inside */
                accepts(&cfg, &w);
                cfg.ts_after_max_ms = 899;
                refuses(&cfg, &w, 1, 3, NOW + 900, 3, NOW - 1000, NOW + 899);
                cfg.ts_after_max_ms = 900;
                accepts(&cfg, &w);
                cfg.ts_before_max_ms = cfg.ts_after_max_ms = 0; /* only now itself: the first record */
                refuses(&cfg, &w, 3, 1, NOW - 1000, 1, NOW, NOW); /* all three others named */
                cfg.log_append_time = 1; /* a LogAppendTime topic stamps them instead */
                accepts(&cfg, &w);
            }
        }
    }
    fr_writer_free(&w);
}

/* The index counts the request's records: Kafka names a record by its place in the
 * records it was sent with. */
FR_TEST(the_refused_record_is_counted_across_batches) {
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_NONE, records, 1, 0);
    build(&w, FR_COMPRESSION_LZ4, records + 2, 2, 0);
    fr_log_config_t cfg = bounded(INT64_MAX, 500);
    refuses(&cfg, &w, 1, 2, NOW + 900, 1, NOW - INT64_MAX, NOW + 500);
    fr_writer_free(&w);
}

/* -1 says "no timestamp" and is never out of bounds, though it lowers the range the walk
 * finds; a record near the ends of the long range does not overflow the bounds. */
FR_TEST(no_timestamp_is_exempt_and_the_bounds_saturate) {
    static const bb_record_t untimed[2] = {
        {.key = "a", .key_len = 1, .value = "x", .value_len = 1, .timestamp = NOW},
        {.key = "b", .key_len = 1, .value = "y", .value_len = 1, .timestamp = -1},
    };
    static const bb_record_t far[2] = {
        {.key = "a", .key_len = 1, .value = "x", .value_len = 1, .timestamp = INT64_MAX - 5},
        {.key = "b", .key_len = 1, .value = "y", .value_len = 1, .timestamp = NOW},
    };
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_NONE, untimed, 2, 0);
    fr_log_config_t cfg = bounded(10, 10);
    accepts(&cfg, &w);
    fr_writer_reset(&w);
    build(&w, FR_COMPRESSION_NONE, far, 2, 0);
    cfg = bounded(0, INT64_MAX - 1);
    accepts(&cfg, &w); /* NOW + (INT64_MAX - 1) holds at INT64_MAX */
    cfg = bounded(0, INT64_MAX / 2);
    refuses(&cfg, &w, 1, 0, INT64_MAX - 5, 0, NOW, NOW + INT64_MAX / 2);
    fr_writer_free(&w);
}

/* Kafka: only the broker stamps LogAppendTime, so a LogAppendTime topic refuses a batch
 * that says it already, naming each of its records.  A CreateTime topic takes it when its
 * records have timestamps (the maxTimestamp fix makes it CreateTime, test_batch_rewrite). */
FR_TEST(a_log_append_time_topic_refuses_a_batch_that_says_so_itself) {
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_NONE, records, 2, 0);
    build(&w, FR_COMPRESSION_GZIP, records + 2, 2, FR_BATCH_ATTR_LOG_APPEND_TIME);
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.log_append_time = 1;
    fr_log_validation_t v;
    FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW, &v), FR_ERR_INVALID_TIMESTAMP);
    FR_CHECK_EQ_INT(v.n_errors, 2); /* each record of that batch, as Kafka names them */
    FR_CHECK_EQ_INT(v.errors[0].index, 2);
    FR_CHECK_EQ_INT(v.errors[1].index, 3);
    FR_CHECK_EQ_INT(v.errors[0].kind, FR_RECORD_LOG_APPEND_TIME);
    says(&v, 1, "Invalid timestamp type in message DefaultRecord(offset=1, timestamp=1700000000900, "
                "key=1 bytes, value=4 bytes). Producer should not set timestamp type to LogAppendTime.");
    fr_log_validation_release(&v);
    FR_CHECK_EQ_STR(v.why, "Producer should not set timestamp type to LogAppendTime");
    cfg.log_append_time = 0;
    FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW, &v), 0);
    FR_CHECK_EQ_INT(v.fix_max_ts, 1);
    fr_writer_free(&w);
}

/* Kafka's validateTimestamp: on a CreateTime topic a record with a timestamp is only held
 * to the bounds, whatever its batch says; one without (-1) in a batch that says
 * LogAppendTime is refused for that flag.  Both are named, in the records' order. */
FR_TEST(a_create_time_topic_refuses_a_log_append_time_batch_with_no_timestamps) {
    const bb_record_t mixed[3] = {
        {.key = "a", .key_len = 1, .value = "one", .value_len = 3, .timestamp = NOW},
        {.key = "b", .key_len = 1, .value = "two", .value_len = 3, .timestamp = -1},
        {.key = "c", .key_len = 1, .value = "three", .value_len = 5, .timestamp = NOW - 5000},
    };
    const int codecs[] = {FR_COMPRESSION_NONE, FR_COMPRESSION_LZ4, FR_COMPRESSION_ZSTD};
    for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
        fr_writer_t w;
        fr_writer_init(&w);
        build(&w, codecs[c], mixed, 3, FR_BATCH_ATTR_LOG_APPEND_TIME);
        fr_log_config_t cfg;
        fr_log_config_defaults(&cfg); /* no bounds: only the -1 is refused */
        fr_log_validation_t v;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW, &v), FR_ERR_INVALID_TIMESTAMP);
        FR_CHECK_EQ_INT(v.n_errors, 1);
        if (v.n_errors == 1) {
            FR_CHECK_EQ_INT(v.errors[0].index, 1);
            FR_CHECK_EQ_INT(v.errors[0].kind, FR_RECORD_LOG_APPEND_TIME);
            says(&v, 0, "Invalid timestamp type in message DefaultRecord(offset=1, timestamp=-1, key=1 "
                        "bytes, value=3 bytes). Producer should not set timestamp type to LogAppendTime.");
        }
        fr_log_validation_release(&v);

        cfg = bounded(1000, 1000); /* the third record is also too old */
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW, &v), FR_ERR_INVALID_TIMESTAMP);
        FR_CHECK_EQ_INT(v.n_errors, 2);
        if (v.n_errors == 2) {
            FR_CHECK_EQ_INT(v.errors[0].kind, FR_RECORD_LOG_APPEND_TIME);
            FR_CHECK_EQ_INT(v.errors[1].index, 2);
            FR_CHECK_EQ_INT(v.errors[1].kind, FR_RECORD_UNTIMELY);
        }
        fr_log_validation_release(&v);

        /* the same records in a CreateTime batch: -1 is exempt */
        fr_writer_reset(&w);
        build(&w, codecs[c], mixed, 3, 0);
        fr_log_config_defaults(&cfg);
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW, &v), 0);
        FR_CHECK_EQ_INT(v.n_errors, 0);
        fr_writer_free(&w);
    }
}

/* With a bound, compressed batches are read even when trusted, and those in codecs slower
 * than lz4 are read off the network loop (fr_partlog_codec_bytes counts them). */
FR_TEST(a_bound_reads_trusted_compressed_batches_off_the_loop) {
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_ZSTD, records, 4, 0);
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.trust_compressed = 1;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), 0);
    cfg = bounded(0, 0);
    cfg.trust_compressed = 1;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), w.len);
    cfg.log_append_time = 1; /* no bound is checked there */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), 0);
    fr_writer_free(&w);
}

int main(void) {
    FR_RUN(records_out_of_bounds_are_refused_in_every_codec);
    FR_RUN(the_refused_record_is_counted_across_batches);
    FR_RUN(no_timestamp_is_exempt_and_the_bounds_saturate);
    FR_RUN(a_log_append_time_topic_refuses_a_batch_that_says_so_itself);
    FR_RUN(a_create_time_topic_refuses_a_log_append_time_batch_with_no_timestamps);
    FR_RUN(a_bound_reads_trusted_compressed_batches_off_the_loop);
    return fr_test_done();
}
