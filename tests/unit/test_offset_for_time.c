/* ListOffsets by time (fr_partlog_offset_for_time): the first record, in offset
 * order, whose timestamp reaches the target, found inside batches of several
 * records, uncompressed and with each codec: targets before the first record,
 * between records of a batch, equal to one, after the last; timestamps out of
 * order inside batches; a batch whose max timestamp promises more than its
 * records hold (compressed: an uncompressed one is corrected at append);
 * LogAppendTime batches; several segments and a reopen; and a batch that
 * cannot be decoded. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compression.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "fr_partlog.h"
#include "fr_test.h"

/* ---- helpers ---- */

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-oft-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static const char *part_dir(const char *tmp) {
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/topic-0", tmp);
    return buf;
}

/* Every record appended, in offset order, with the timestamp ListOffsets sees. */
typedef struct model {
    int64_t offset[1024], ts[1024];
    int n;
    fr_log_config_t cfg; /* the log's */
} model_t;

static int64_t model_find(const model_t *m, int64_t target, int64_t *ts_out) {
    for (int i = 0; i < m->n; i++)
        if (m->ts[i] >= target) {
            *ts_out = m->ts[i];
            return m->offset[i];
        }
    *ts_out = -1;
    return -1;
}

/*
 * Appends one batch of n records stamped ts[], compressed with codec (the
 * records section of the uncompressed batch, run through fr_compress), and
 * a max timestamp of max_ts when max_ts >= 0 (else the records' largest).
 * With FR_BATCH_ATTR_LOG_APPEND_TIME in attrs, it is appended to a
 * LogAppendTime topic at time max_ts: sent without the flag, as producers
 * send (Kafka refuses a batch that sets it), and stamped by the log.  Adds
 * the records to the model.
 */
static int append_batch(fr_partlog_t *log, model_t *m, int codec, int16_t attrs, const int64_t *ts,
                        int n, int64_t max_ts) {
    bb_record_t recs[400];
    char keys[400][12];
    fr_writer_t plain, w;
    fr_batch_header_t h;

    for (int i = 0; i < n; i++) {
        int klen = snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        recs[i] = (bb_record_t){.key = keys[i], .key_len = klen, .value = "a value that compresses",
                                .value_len = 23, .timestamp = ts[i], .n_headers = 1,
                                .headers = {{"h", "v", 1}}};
    }
    int lat = (attrs & FR_BATCH_ATTR_LOG_APPEND_TIME) != 0;
    attrs = (int16_t)(attrs & ~FR_BATCH_ATTR_LOG_APPEND_TIME);
    bb_batch_t b = bb_defaults();
    b.attributes = attrs;
    fr_writer_init(&plain);
    fr_writer_init(&w);
    bb_build(&plain, &b, recs, n);
    fr_batch_parse_header(plain.buf, plain.len, &h);
    size_t start;
    if (codec == FR_COMPRESSION_NONE) {
        start = w.len;
        fr_write_raw(&w, plain.buf, plain.len);
    } else {
        b.attributes = (int16_t)(attrs | codec);
        start = bb_put_header(&w, &b, h.last_offset_delta, h.base_timestamp, h.max_timestamp, n);
        if (fr_compress(codec, plain.buf + FR_BATCH_HEADER_SIZE, plain.len - FR_BATCH_HEADER_SIZE, &w))
            return -1;
    }
    if (max_ts >= 0)
        fr_put_be64(w.buf + start + 35, (uint64_t)max_ts);
    bb_finish(&w, start);

    fr_append_info_t info;
    fr_log_config_t cfg = m->cfg;
    cfg.log_append_time = lat;
    fr_partlog_set_config(log, &cfg);
    int rc = fr_partlog_append(log, w.buf, w.len, lat ? max_ts : 1000, &info);
    fr_partlog_set_config(log, &m->cfg);
    for (int i = 0; rc == 0 && i < n; i++) {
        m->offset[m->n] = info.base_offset + i;
        m->ts[m->n] = lat ? (max_ts >= 0 ? max_ts : h.max_timestamp) : ts[i];
        m->n++;
    }
    fr_writer_free(&plain);
    fr_writer_free(&w);
    return rc;
}

#define APPEND(log, m, codec, attrs, max_ts, ...)                                              \
    do {                                                                                       \
        static const int64_t ts_[] = {__VA_ARGS__};                                            \
        FR_CHECK_EQ_INT(append_batch(log, m, codec, attrs, ts_, (int)(sizeof(ts_) / sizeof(ts_[0])), \
                                     max_ts), 0);                                              \
    } while (0)

static int check(fr_partlog_t *log, int64_t target, int64_t want_off, int64_t want_ts, int codec) {
    int64_t off = -2, ts = -2;
    int rc = fr_partlog_offset_for_time(log, target, &off, &ts);
    if (rc == 0 && off == want_off && ts == want_ts)
        return 1;
    fprintf(stderr, "%s: target %lld: rc %d, got %lld/%lld want %lld/%lld\n", fr_compression_name(codec),
            (long long)target, rc, (long long)off, (long long)ts, (long long)want_off, (long long)want_ts);
    return 0;
}

static int brute_force(fr_partlog_t *log, const model_t *m, int codec) {
    int bad = 0;
    for (int64_t target = -3; target < 13000 && bad < 5; target += target < 5000 ? 1 : 3) {
        int64_t want_ts, want = model_find(m, target, &want_ts);
        bad += !check(log, target, want, want_ts, codec);
    }
    return bad;
}

/* ---- the scenario, for each codec ---- */

static void scenario(int codec) {
    char *tmp = make_tmp();
    fr_log_config_t cfg;
    fr_partlog_t *log;
    model_t *m = calloc(1, sizeof(*m));

    fr_log_config_defaults(&cfg);
    cfg.segment_bytes = codec == FR_COMPRESSION_NONE ? 13000 : 4096; /* >= the largest batch */
    cfg.index_interval_bytes = 150;
    /* compressed batches stored as built, claims and all, as a log written without the
     * records check holds them (uncompressed ones are always walked, their claims corrected) */
    cfg.trust_compressed = 1;
    m->cfg = cfg;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);

    APPEND(log, m, codec, 0, -1, 1000, 1010, 1020, 1030, 1040); /* offsets 0-4 */
    APPEND(log, m, codec, 0, -1, 2000, 1990, 2050, 2020);       /* 5-8, out of order */
    APPEND(log, m, codec, 0, -1, 3000, 2900, 3100);             /* 9-11: max reached last */
    int64_t big[300];                                           /* 12-311 */
    for (int i = 0; i < 300; i++)
        big[i] = 4000 + i - (i % 10 == 7 ? 5 : 0);
    FR_CHECK_EQ_INT(append_batch(log, m, codec, 0, big, 300, -1), 0);
    for (int i = 0; i < 30; i++) { /* 312-461 */
        int64_t t = 5000 + 100 * i, ts[5] = {t, t + 30, t + 10, t + 60, t + 20};
        FR_CHECK_EQ_INT(append_batch(log, m, codec, 0, ts, 5, -1), 0);
    }
    APPEND(log, m, codec, 0, 9900, 9000, 9001);                 /* 462-463: max claims 9900 */
    APPEND(log, m, codec, 0, -1, 9500, 9600);                   /* 464-465 */
    APPEND(log, m, codec, FR_BATCH_ATTR_LOG_APPEND_TIME, 12000, 100, 200); /* 466-467: both 12000 */
    APPEND(log, m, codec, 0, -1, 12000, 12500);                 /* 468-469 */
    FR_CHECK_EQ_INT(m->n, 470);
    FR_CHECK(fr_partlog_segment_count(log) >= 2);

    for (int pass = 0; pass < 2; pass++) {
        int ok = 1;
        ok &= check(log, -1, 0, 1000, codec);     /* any negative target: the first record */
        ok &= check(log, 0, 0, 1000, codec);      /* before the first */
        ok &= check(log, 1000, 0, 1000, codec);
        ok &= check(log, 1020, 2, 1020, codec);   /* equal to a record's timestamp */
        ok &= check(log, 1015, 2, 1020, codec);   /* between two records of a batch */
        ok &= check(log, 1040, 4, 1040, codec);
        ok &= check(log, 1041, 5, 2000, codec);   /* between batches */
        ok &= check(log, 1995, 5, 2000, codec);
        ok &= check(log, 2001, 7, 2050, codec);   /* skips the earlier, smaller record */
        ok &= check(log, 2030, 7, 2050, codec);
        ok &= check(log, 2051, 9, 3000, codec);
        ok &= check(log, 3050, 11, 3100, codec);  /* only the batch's last record reaches it */
        ok &= check(log, 4007, 20, 4008, codec);
        ok &= check(log, 4293, 305, 4293, codec);
        ok &= check(log, 4297, 310, 4298, codec); /* 4297 (offset 309) is stamped 4292 */
        ok &= check(log, 5035, 315, 5060, codec);
        ok &= check(log, 9400, 464, 9500, codec); /* the 9900 batch has nothing: the next one */
        ok &= check(log, 9601, 466, 12000, codec);/* LogAppendTime: the first record */
        ok &= check(log, 12000, 466, 12000, codec);
        ok &= check(log, 12001, 469, 12500, codec);
        ok &= check(log, 12500, 469, 12500, codec);
        ok &= check(log, 12501, -1, -1, codec);   /* after the last */
        FR_CHECK(ok);
        FR_CHECK_EQ_INT(brute_force(log, m, codec), 0);
        /* and again with the older segments' indexes read back from their files */
        fr_partlog_close(log);
        FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    }
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
    free(m);
}

FR_TEST(uncompressed_batches) { scenario(FR_COMPRESSION_NONE); }
FR_TEST(gzip_batches) { scenario(FR_COMPRESSION_GZIP); }
FR_TEST(snappy_batches) { scenario(FR_COMPRESSION_SNAPPY); }
FR_TEST(lz4_batches) { scenario(FR_COMPRESSION_LZ4); }
FR_TEST(zstd_batches) { scenario(FR_COMPRESSION_ZSTD); }

/* An empty log, and a log whose only batch has no timestamps (-1). */
FR_TEST(nothing_to_find) {
    char *tmp = make_tmp();
    fr_log_config_t cfg;
    fr_partlog_t *log;
    model_t *m = calloc(1, sizeof(*m));
    fr_log_config_defaults(&cfg);
    m->cfg = cfg;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK(check(log, 0, -1, -1, 0));
    FR_CHECK(check(log, -1, -1, -1, 0));
    APPEND(log, m, FR_COMPRESSION_ZSTD, 0, -1, -1, -1);
    FR_CHECK(check(log, 0, -1, -1, 0));
    FR_CHECK(check(log, -1, 0, -1, 0)); /* a negative target matches the first record */
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
    free(m);
}

/*
 * A compressed batch whose records section does not decompress (its CRC is
 * right, so the append took it) is answered at batch granularity; the batches
 * around it are still searched record by record.
 */
FR_TEST(undecodable_batch_answers_with_the_batch) {
    char *tmp = make_tmp();
    fr_log_config_t cfg;
    fr_partlog_t *log;
    model_t *m = calloc(1, sizeof(*m));
    fr_log_config_defaults(&cfg);
    cfg.trust_compressed = 1; /* such a batch is stored only when compressed records are not checked */
    m->cfg = cfg;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    APPEND(log, m, FR_COMPRESSION_LZ4, 0, -1, 100, 110, 120); /* 0-2 */

    fr_writer_t w;
    fr_writer_init(&w);
    bb_batch_t b = bb_defaults();
    b.attributes = FR_COMPRESSION_GZIP;
    bb_build_raw(&w, &b, 3, 200, 220, "definitely not gzip", 19); /* 3-5 */
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    fr_writer_free(&w);
    APPEND(log, m, FR_COMPRESSION_SNAPPY, 0, -1, 300, 310, 320); /* 6-8 */

    fr_log_level_t level = fr_logging_level();
    fr_logging_set_level(FR_LOG_ERROR); /* the warning is expected */
    FR_CHECK(check(log, 105, 1, 110, 0));
    FR_CHECK(check(log, 210, 3, 220, 0));
    FR_CHECK(check(log, 305, 7, 310, 0));
    fr_logging_set_level(level);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
    free(m);
}

int main(void) {
    FR_RUN(uncompressed_batches);
    FR_RUN(gzip_batches);
    FR_RUN(snappy_batches);
    FR_RUN(lz4_batches);
    FR_RUN(zstd_batches);
    FR_RUN(nothing_to_find);
    FR_RUN(undecodable_batch_answers_with_the_batch);
    return fr_test_done();
}
