/* What the broker changes in a client's batch, and what it checks first:
 * the LogAppendTime stamp, re-compression between every pair of codecs, the
 * maxTimestamp a CreateTime batch is given, and fr_log_validate's key rule
 * for compacted topics (also inside compressed batches).  Every rewritten
 * batch must pass the client validation again and hold the same records. */
#include <stdlib.h>

#include "batch_builder.h"
#include "batch_rewrite.h"
#include "compression.h"
#include "fr_err.h"
#include "fr_test.h"
#include "log_validator.h"

/* the append's clock; no test here sets a timestamp bound (test_timestamp_bounds does) */
#define NOW_MS 1700000000000LL

static const bb_record_t records[4] = {
    {.key = "alpha", .key_len = 5, .value = "one one one one one", .value_len = 19, .timestamp = 1700000000000,
     .n_headers = 2, .headers = {{"h1", "x", 1}, {"h2", NULL, -1}}},
    {.key = "beta", .key_len = 4, .value = "two!", .value_len = 4, .timestamp = 1700000000500},
    {.key = "gamma", .key_len = 5, .value = NULL, .value_len = -1, .timestamp = 1699999999000},
    {.key = NULL, .key_len = -1, .value = "keyless", .value_len = 7, .timestamp = 1700000000900},
};

static bb_batch_t producer_batch(void) {
    bb_batch_t b = bb_defaults();
    b.attributes = FR_BATCH_ATTR_TRANSACTIONAL;
    b.producer_id = 4242;
    b.producer_epoch = 2;
    b.base_sequence = 17;
    return b;
}

/* n of the records above, their records section compressed with codec. */
static void build(fr_writer_t *w, int codec, int n) {
    bb_batch_t b = producer_batch();
    FR_CHECK(bb_build_codec(w, &b, records, n, codec) > 0);
}

static int same_slice(fr_slice_t a, fr_slice_t b) {
    return a.len == b.len && (a.len <= 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

/* The batch passes a Produce's checks and holds the first n records above. */
static void check_batch(const uint8_t *batch, size_t len, int n) {
    fr_batch_header_t h;
    fr_writer_t scratch;
    fr_writer_init(&scratch);
    FR_CHECK_EQ_INT(fr_batch_parse_header(batch, len, &h), 0);
    FR_CHECK_EQ_INT(fr_batch_validate(batch, len, &h, FR_BATCH_V_CLIENT | FR_BATCH_V_RECORDS, NULL), 0);
    fr_record_iter_t it;
    fr_record_t rec;
    FR_CHECK_EQ_INT(fr_record_iter_init_any(&it, batch, len, &h, &scratch, 0), 0);
    int i = 0;
    while (fr_record_iter_next(&it, &rec)) {
        FR_CHECK(i < n);
        FR_CHECK_EQ_INT(rec.timestamp, records[i].timestamp);
        FR_CHECK(same_slice(rec.key, (fr_slice_t){records[i].key, records[i].key_len}));
        FR_CHECK(same_slice(rec.value, (fr_slice_t){records[i].value, records[i].value_len}));
        FR_CHECK_EQ_INT(rec.header_count, records[i].n_headers);
        i++;
    }
    FR_CHECK_EQ_INT(it.err, 0);
    FR_CHECK_EQ_INT(i, n);
    fr_writer_free(&scratch);
}

FR_TEST(stamping_the_append_time_keeps_the_batch_valid) {
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_NONE, 3);
    fr_batch_header_t before, after;
    fr_batch_parse_header(w.buf, w.len, &before);
    fr_batch_stamp_append_time(w.buf, w.len, 1800000000123LL);
    fr_batch_parse_header(w.buf, w.len, &after);
    FR_CHECK(fr_batch_is_log_append_time(&after));
    FR_CHECK_EQ_INT(after.max_timestamp, 1800000000123LL);
    FR_CHECK_EQ_INT(after.base_timestamp, before.base_timestamp);
    FR_CHECK_EQ_INT(after.attributes & ~FR_BATCH_ATTR_LOG_APPEND_TIME, before.attributes);
    FR_CHECK_EQ_INT(after.producer_id, before.producer_id);
    FR_CHECK_EQ_INT(after.base_sequence, before.base_sequence);
    FR_CHECK(after.crc != before.crc);
    check_batch(w.buf, w.len, 3);
    fr_writer_free(&w);
}

FR_TEST(recompression_between_every_pair_of_codecs) {
    fr_writer_t src, out, scratch;
    fr_writer_init(&src);
    fr_writer_init(&out);
    fr_writer_init(&scratch);
    for (int from = FR_COMPRESSION_NONE; from <= FR_COMPRESSION_ZSTD; from++) {
        for (int to = FR_COMPRESSION_NONE; to <= FR_COMPRESSION_ZSTD; to++) {
            fr_writer_reset(&src);
            fr_writer_reset(&out);
            build(&src, from, 4);
            fr_batch_header_t h, nh;
            fr_batch_parse_header(src.buf, src.len, &h);
            fr_write_raw(&out, "prefix", 6); /* appended after what out holds */
            const char *why = NULL;
            FR_CHECK_EQ_INT(fr_batch_recompress(src.buf, src.len, &h, to, FR_COMPRESSION_LEVEL_DEFAULT, &scratch, &out, &why), 0);
            FR_CHECK(memcmp(out.buf, "prefix", 6) == 0);
            const uint8_t *nb = out.buf + 6;
            size_t nlen = out.len - 6;
            FR_CHECK_EQ_INT(fr_batch_parse_header(nb, nlen, &nh), 0);
            FR_CHECK_EQ_INT(fr_batch_size(&nh), nlen);
            FR_CHECK_EQ_INT(fr_batch_compression(&nh), to);
            FR_CHECK_EQ_INT(nh.attributes & ~FR_BATCH_ATTR_COMPRESSION_MASK, FR_BATCH_ATTR_TRANSACTIONAL);
            FR_CHECK_EQ_INT(nh.producer_id, 4242);
            FR_CHECK_EQ_INT(nh.producer_epoch, 2);
            FR_CHECK_EQ_INT(nh.base_sequence, 17);
            FR_CHECK_EQ_INT(nh.last_offset_delta, 3);
            FR_CHECK_EQ_INT(nh.max_timestamp, h.max_timestamp);
            check_batch(nb, nlen, 4);
        }
    }
    fr_writer_free(&src);
    fr_writer_free(&out);
    fr_writer_free(&scratch);
}

/* Records nobody looked at before (inside a compressed batch) are checked on the way. */
FR_TEST(recompression_refuses_what_does_not_decode) {
    fr_writer_t src, out, scratch;
    fr_writer_init(&src);
    fr_writer_init(&out);
    fr_writer_init(&scratch);
    const char *why;

    /* the header counts 4 records, the lz4 payload holds 3 */
    fr_writer_t plain;
    fr_writer_init(&plain);
    bb_batch_t b = producer_batch();
    bb_build(&plain, &b, records, 3);
    b.attributes = (int16_t)(b.attributes | FR_COMPRESSION_LZ4);
    size_t start = bb_put_header(&src, &b, 3, records[0].timestamp, records[0].timestamp, 4);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_LZ4, plain.buf + FR_BATCH_HEADER_SIZE, plain.len - FR_BATCH_HEADER_SIZE, &src), 0);
    bb_finish(&src, start);
    fr_batch_header_t h;
    fr_batch_parse_header(src.buf, src.len, &h);
    FR_CHECK_EQ_INT(fr_batch_recompress(src.buf, src.len, &h, FR_COMPRESSION_GZIP, FR_COMPRESSION_LEVEL_DEFAULT, &scratch, &out, &why),
                    FR_ERR_INVALID_RECORD);
    FR_CHECK(why != NULL);
    FR_CHECK_EQ_INT(out.len, 0);

    /* a payload that is not lz4 at all */
    fr_writer_reset(&src);
    bb_build_raw(&src, &b, 1, 1, 1, "not lz4 data", 12);
    fr_batch_parse_header(src.buf, src.len, &h);
    FR_CHECK_EQ_INT(fr_batch_recompress(src.buf, src.len, &h, FR_COMPRESSION_NONE, FR_COMPRESSION_LEVEL_DEFAULT, &scratch, &out, &why),
                    FR_ERR_UNKNOWN_SERVER_ERROR); /* Kafka's answer to bytes its codec cannot read */
    FR_CHECK_EQ_INT(out.len, 0);
    FR_CHECK_EQ_INT(fr_batch_recompress(src.buf, src.len, &h, 5, FR_COMPRESSION_LEVEL_DEFAULT, &scratch, &out, &why),
                    FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);

    fr_writer_free(&plain);
    fr_writer_free(&src);
    fr_writer_free(&out);
    fr_writer_free(&scratch);
}

FR_TEST(a_compacted_log_wants_a_key_on_every_record) {
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    fr_writer_t w;
    fr_writer_init(&w);
    for (int codec = FR_COMPRESSION_NONE; codec <= FR_COMPRESSION_ZSTD; codec++) {
        fr_log_validation_t v;
        fr_writer_reset(&w);
        build(&w, codec, 3); /* keyed */
        build(&w, codec, 4); /* the fourth record has no key */
        cfg.compacted = 0;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
        FR_CHECK_EQ_INT(v.n_records, 7);
        FR_CHECK_EQ_INT(v.n_offsets, 7);
        cfg.compacted = 1;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), FR_ERR_INVALID_RECORD);
        FR_CHECK_EQ_INT(v.n_errors, 1);
        if (v.n_errors == 1) {
            FR_CHECK_EQ_INT(v.errors[0].index, 6); /* its index among the request's records */
            FR_CHECK_EQ_INT(v.errors[0].kind, FR_RECORD_NO_KEY);
        }
        fr_log_validation_release(&v);
        FR_CHECK(v.why && strstr(v.why, "without key"));
    }
    fr_writer_free(&w);
}

FR_TEST(conversion_touches_only_batches_in_another_codec) {
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.recompress = 1;
    cfg.codec = FR_COMPRESSION_ZSTD;
    fr_writer_t w, out;
    fr_writer_init(&w);
    fr_writer_init(&out);
    build(&w, FR_COMPRESSION_ZSTD, 2);
    size_t first = w.len;
    build(&w, FR_COMPRESSION_SNAPPY, 4);
    fr_log_validation_t v;
    FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, first, NOW_MS, &v), 0);
    FR_CHECK_EQ_INT(v.convert, 0);
    FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
    FR_CHECK_EQ_INT(v.convert, 1);
    const char *why;
    fr_oversize_t over = {0};
    FR_CHECK_EQ_INT(fr_log_convert(&cfg, w.buf, w.len, &out, &why, &over), 0);
    FR_CHECK_EQ_INT(over.kind, FR_OVERSIZE_NONE);
    FR_CHECK(out.len > first && memcmp(out.buf, w.buf, first) == 0); /* the zstd batch as it was */
    check_batch(out.buf + first, out.len - first, 4);
    FR_CHECK_EQ_INT(fr_log_validate(&cfg, out.buf, out.len, NOW_MS, &v), 0);
    FR_CHECK_EQ_INT(v.convert, 0);
    FR_CHECK_EQ_INT(v.n_records, 6);
    fr_writer_free(&w);
    fr_writer_free(&out);
}

/* A batch of count records whose records section is raw (not a record list when
 * malformed) compressed with codec: its CRC is right whatever raw holds. */
static void build_compressed_raw(fr_writer_t *w, int codec, int32_t count, const void *raw, size_t len) {
    bb_batch_t b = bb_defaults();
    b.attributes = (int16_t)codec;
    size_t start = bb_put_header(w, &b, count - 1, 1700000000000, 1700000000000, count);
    FR_CHECK_EQ_INT(fr_compress(codec, raw, len, w), 0);
    bb_finish(w, start);
}

FR_TEST(the_records_of_compressed_batches_are_checked_unless_trusted) {
    /* two well-formed records that both claim offset delta 0 */
    static const uint8_t same_delta[] = {0x0c, 0, 0, 0, 1, 1, 0, 0x0c, 0, 0, 0, 1, 1, 0};
    /* one record whose declared length runs past the section */
    static const uint8_t too_long[] = {0x7f, 0x01, 0x02};
    static const uint8_t not_compressed[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    fr_log_config_t cfg;
    fr_writer_t w;
    fr_writer_init(&w);
    for (int codec = FR_COMPRESSION_GZIP; codec <= FR_COMPRESSION_ZSTD; codec++) {
        fr_log_validation_t v;
        fr_log_config_defaults(&cfg); /* Kafka's behaviour: every record is checked */
        fr_writer_reset(&w);
        build(&w, codec, 4); /* well-formed, with headers and a keyless record */
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
        FR_CHECK_EQ_INT(v.n_records, 4);

        fr_writer_reset(&w);
        build_compressed_raw(&w, codec, 2, same_delta, sizeof(same_delta));
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), FR_ERR_INVALID_RECORD);
        FR_CHECK(v.why && strstr(v.why, "offset delta"));
        cfg.trust_compressed = 1; /* header and CRC only */
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);

        cfg.trust_compressed = 0;
        fr_writer_reset(&w);
        build(&w, codec, 2); /* a good batch first: the bad one behind it is refused all the same */
        build_compressed_raw(&w, codec, 1, too_long, sizeof(too_long));
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), FR_ERR_INVALID_RECORD);
        FR_CHECK(v.why && strstr(v.why, "record length"));

        /* the count in the header must match the records inside */
        fr_writer_reset(&w);
        build_compressed_raw(&w, codec, 3, same_delta, 7); /* one good record, three claimed */
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), FR_ERR_INVALID_RECORD);

        /* a records section that does not decompress: Kafka's codec throws, which its
         * ReplicaManager answers UNKNOWN_SERVER_ERROR (not retried, unlike CORRUPT_MESSAGE) */
        fr_writer_reset(&w);
        bb_batch_t b = bb_defaults();
        b.attributes = (int16_t)codec;
        bb_build_raw(&w, &b, 1, 1700000000000, 1700000000000, not_compressed, sizeof(not_compressed));
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), FR_ERR_UNKNOWN_SERVER_ERROR);
        FR_CHECK(v.why != NULL);
        cfg.trust_compressed = 1;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
    }
    fr_writer_free(&w);
}

/* A client's claim for a built batch: its maxTimestamp and timestamp type, CRC resealed. */
static void claim_max_ts(fr_writer_t *w, int64_t max_ts, int log_append_time) {
    uint16_t attributes = fr_be16(w->buf + FR_BATCH_OFF_ATTRIBUTES) & ~FR_BATCH_ATTR_LOG_APPEND_TIME;
    fr_put_be16(w->buf + FR_BATCH_OFF_ATTRIBUTES,
                (uint16_t)(attributes | (log_append_time ? FR_BATCH_ATTR_LOG_APPEND_TIME : 0)));
    fr_put_be64(w->buf + FR_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    fr_put_be32(w->buf + FR_BATCH_OFF_CRC, fr_batch_compute_crc(w->buf, w->len));
}

static int64_t header_max_ts(const fr_writer_t *w, int *log_append_time) {
    fr_batch_header_t h;
    FR_CHECK_EQ_INT(fr_batch_parse_header(w->buf, w->len, &h), 0);
    *log_append_time = fr_batch_is_log_append_time(&h);
    return h.max_timestamp;
}

/* A client claims max_ts (as LogAppendTime or not) for w's batch of three records:
 * validation flags it, and the fix gives it their largest (right) as CreateTime, the CRC
 * resealed, the records untouched, nothing left to fix. */
static void claim_then_fix(const fr_log_config_t *cfg, fr_writer_t *w, int64_t claim, int log_append_time,
                           int64_t right) {
    fr_log_validation_t v;
    int lat;
    claim_max_ts(w, claim, log_append_time);
    FR_CHECK_EQ_INT(fr_log_validate(cfg, w->buf, w->len, NOW_MS, &v), 0);
    FR_CHECK_EQ_INT(v.fix_max_ts, 1);
    FR_CHECK_EQ_INT(v.max_ts, right);
    fr_log_fix_max_timestamps(cfg, w->buf, w->len);
    FR_CHECK_EQ_INT(header_max_ts(w, &lat), right);
    FR_CHECK_EQ_INT(lat, 0);
    check_batch(w->buf, w->len, 3);
    FR_CHECK_EQ_INT(fr_log_validate(cfg, w->buf, w->len, NOW_MS, &v), 0);
    FR_CHECK_EQ_INT(v.fix_max_ts, 0);
}

/* Kafka's LogValidator sets a CreateTime batch's maxTimestamp from its records, whatever
 * the client wrote there, compressed or not, on compacted topics too. */
FR_TEST(a_create_time_batch_takes_its_records_largest_timestamp) {
    static const int64_t claims[] = {1800000000000LL, 1600000000000LL, -1};
    const int64_t right = records[1].timestamp; /* the largest of the first three */
    fr_log_config_t cfg;
    fr_log_validation_t v;
    fr_writer_t w;
    fr_writer_init(&w);
    for (int codec = FR_COMPRESSION_NONE; codec <= FR_COMPRESSION_ZSTD; codec++) {
        for (int compacted = 0; compacted <= 1; compacted++) {
            fr_log_config_defaults(&cfg);
            cfg.compacted = compacted;
            for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
                fr_writer_reset(&w);
                build(&w, codec, 3);
                FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
                FR_CHECK_EQ_INT(v.fix_max_ts, 0);
                FR_CHECK_EQ_INT(v.max_ts, right);
                claim_then_fix(&cfg, &w, claims[i], 0, right);
            }
            /* a batch that says LogAppendTime, even with the right time, becomes CreateTime,
             * the topic's type */
            claim_then_fix(&cfg, &w, right, 1, right);
        }
        /* left as they are: on a LogAppendTime topic (stamped anyway), and a compressed
         * batch whose records are trusted unread */
        fr_log_config_defaults(&cfg);
        claim_max_ts(&w, claims[0], 0);
        cfg.log_append_time = 1;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
        FR_CHECK_EQ_INT(v.fix_max_ts, 0);
        cfg.log_append_time = 0;
        cfg.trust_compressed = 1;
        FR_CHECK_EQ_INT(fr_log_validate(&cfg, w.buf, w.len, NOW_MS, &v), 0);
        FR_CHECK_EQ_INT(v.fix_max_ts, codec == FR_COMPRESSION_NONE);
        FR_CHECK_EQ_INT(v.max_ts, codec == FR_COMPRESSION_NONE ? right : claims[0]);
    }
    fr_writer_free(&w);
}

/* fr_partlog_codec_bytes counts exactly the batches validate decodes or convert re-encodes,
 * but for the lz4 ones it checks (they decompress fast enough for the network loop). */
FR_TEST(codec_bytes_count_the_batches_an_append_would_decode) {
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    fr_writer_t w;
    fr_writer_init(&w);
    build(&w, FR_COMPRESSION_NONE, 3);
    size_t plain = w.len;
    build(&w, FR_COMPRESSION_ZSTD, 2);
    size_t zstd = w.len - plain;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), zstd); /* its records are checked */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, plain), 0);    /* walked in place */
    fr_writer_t l;
    fr_writer_init(&l);
    build(&l, FR_COMPRESSION_LZ4, 2);
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), 0); /* checked on the loop */
    cfg.compacted = 1;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), l.len); /* keys read off the loop, as before */
    cfg.compacted = 0;
    fr_writer_free(&l);
    cfg.trust_compressed = 1;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), 0); /* stored as sent, CRCs only */
    cfg.recompress = 1;
    cfg.codec = FR_COMPRESSION_ZSTD;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), plain);
    cfg.codec = FR_COMPRESSION_NONE;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), zstd);
    cfg.recompress = 0;
    cfg.compacted = 1; /* the keys of compressed batches are read */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), zstd);
    cfg.recompress = 1;
    cfg.codec = FR_COMPRESSION_LZ4;
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), w.len);
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, plain - 1), 0); /* a torn batch: left to validate */
    fr_writer_free(&w);
}

/* An lz4 batch is checked on the loop while its block headers bound its records below
 * FR_LZ4_CHECK_MAX_OUT, and counted once the partition's lz4 batches could decode to more. */
FR_TEST(codec_bytes_count_lz4_batches_that_expand_past_the_loops_share) {
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    size_t big = FR_LZ4_CHECK_MAX_OUT / 2;
    uint8_t *zeros = calloc(big, 1);
    bb_record_t rec = {.key_len = -1, .value = zeros, .value_len = (int32_t)big};
    bb_batch_t b = producer_batch();
    fr_writer_t w;
    fr_writer_init(&w);
    size_t one = bb_build_codec(&w, &b, &rec, 1, FR_COMPRESSION_LZ4);
    FR_CHECK(one > 0 && one < 100000); /* half the share, in a few kilobytes */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), 0);
    size_t two = bb_build_codec(&w, &b, &rec, 1, FR_COMPRESSION_LZ4);
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, w.buf, w.len), one + two); /* together, past it */
    fr_writer_t l;
    fr_writer_init(&l);
    build(&l, FR_COMPRESSION_LZ4, 2);
    fr_write_raw(&l, w.buf, one); /* small batches count with the big one that tips the sum */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), 0);
    fr_write_raw(&l, w.buf + one, two);
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), l.len);
    cfg.trust_compressed = 1; /* stored as sent: nothing is decoded */
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), 0);
    /* framing the bound cannot read is counted, whatever it would decode to */
    cfg.trust_compressed = 0;
    fr_writer_reset(&l);
    bb_batch_t raw = b;
    raw.attributes = FR_COMPRESSION_LZ4;
    size_t junk = bb_build_raw(&l, &raw, 1, 0, 0, "not an lz4 frame", 16);
    FR_CHECK_EQ_INT(fr_partlog_codec_bytes(&cfg, l.buf, l.len), junk);
    fr_writer_free(&l);
    fr_writer_free(&w);
    free(zeros);
}

int main(void) {
    FR_RUN(stamping_the_append_time_keeps_the_batch_valid);
    FR_RUN(recompression_between_every_pair_of_codecs);
    FR_RUN(recompression_refuses_what_does_not_decode);
    FR_RUN(the_records_of_compressed_batches_are_checked_unless_trusted);
    FR_RUN(a_compacted_log_wants_a_key_on_every_record);
    FR_RUN(conversion_touches_only_batches_in_another_codec);
    FR_RUN(a_create_time_batch_takes_its_records_largest_timestamp);
    FR_RUN(codec_bytes_count_the_batches_an_append_would_decode);
    FR_RUN(codec_bytes_count_lz4_batches_that_expand_past_the_loops_share);
    return fr_test_done();
}
