/* Log compaction (fr_partlog_compact): Kafka's classic example, tombstones
 * and delete.retention.ms, gzip/lz4/zstd batches, reopen (recovery accepts
 * the offset gaps), a reader running during compaction, cleaned segments
 * merged up to segment.bytes and a merge a stop interrupted. */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compression.h"
#include "fr_err.h"
#include "fr_partlog.h"
#include "fr_test.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-compact-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static void cleanup(char *tmp) {
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tmp);
}

/* A partition log with Kafka's defaults in a new temp dir (*tmp, for cleanup); c gets its config. */
static fr_partlog_t *open_default(char **tmp, fr_log_config_t *c) {
    fr_partlog_t *log = NULL;
    *tmp = make_tmp();
    fr_log_config_defaults(c);
    FR_CHECK_EQ_INT(fr_partlog_open(*tmp, c, &log), 0);
    return log;
}

static int append_kv_as(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                        int64_t ts, int64_t pid, int32_t seq);

/* Appends one batch (codec 0..4) of n records key keys[i], value values[i] (NULL: tombstone), stamped ts. */
static int append_kv(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                     int64_t ts) {
    return append_kv_as(log, codec, n, keys, values, ts, -1, -1);
}

/* The same from idempotent producer pid (epoch 0, first sequence seq); pid -1 for none. */
static int append_kv_as(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                        int64_t ts, int64_t pid, int32_t seq) {
    bb_record_t recs[64];
    fr_writer_t w, z;
    fr_append_info_t info;
    for (int i = 0; i < n; i++)
        recs[i] = (bb_record_t){.key = keys[i], .key_len = keys[i] ? (int32_t)strlen(keys[i]) : -1, .value = values[i],
                                .value_len = values[i] ? (int32_t)strlen(values[i]) : -1, .timestamp = ts};
    fr_writer_init(&w);
    fr_writer_init(&z);
    bb_batch_t b = bb_defaults();
    if (pid >= 0) {
        b.producer_id = pid;
        b.producer_epoch = 0;
        b.base_sequence = seq;
    }
    bb_build(&w, &b, recs, n);
    if (codec) {
        fr_writer_t c;
        fr_writer_init(&c);
        if (fr_compress(codec, w.buf + FR_BATCH_HEADER_SIZE, w.len - FR_BATCH_HEADER_SIZE, &c))
            return -1;
        b.attributes = (int16_t)codec;
        bb_build_raw(&z, &b, n, ts, ts, c.buf, c.len);
        fr_writer_free(&c);
    }
    fr_writer_t *use = codec ? &z : &w;
    int rc = fr_partlog_append(log, use->buf, use->len, ts, &info);
    fr_writer_free(&w);
    fr_writer_free(&z);
    return rc;
}

typedef struct seen {
    int n;
    int64_t off[4096];
    char key[4096][16];
    char val[4096][24]; /* "" for a tombstone (null) */
    int tomb[4096];
    int64_t ts[4096];
    int horizon[4096];  /* its batch carries a delete horizon */
    int64_t empty_batches[16]; /* base offsets of batches with no record */
    int nempty;
    int codec_ok;       /* every batch validated (CRC) and decoded */
} seen_t;

/* Reads the whole log from its start, as a consumer would. */
static int read_all(fr_partlog_t *log, seen_t *s) {
    int64_t off = fr_partlog_start_offset(log), end = fr_partlog_end_offset(log);
    fr_writer_t scratch;
    fr_writer_init(&scratch);
    s->n = 0;
    s->nempty = 0;
    s->codec_ok = 1;
    while (off < end) {
        fr_read_result_t rr;
        int rc = fr_partlog_read(log, off, 1 << 20, &rr);
        if (rc || rr.len == 0) {
            fr_writer_free(&scratch);
            return rc ? rc : -1;
        }
        uint8_t *buf = malloc(rr.len);
        if (pread(rr.fd, buf, rr.len, rr.file_position) != (ssize_t)rr.len)
            s->codec_ok = 0;
        rr.unref(rr.ref);
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int64_t next = off;
        fr_batch_iter_init(&it, buf, rr.len);
        while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
            const char *why;
            if (fr_batch_validate(batch, blen, &h, 0, &why))
                s->codec_ok = 0;
            if (h.records_count == 0 && s->nempty < 16)
                s->empty_batches[s->nempty++] = h.base_offset;
            fr_record_iter_t ri;
            fr_record_t rec;
            if (fr_record_iter_init_any(&ri, batch, blen, &h, &scratch, 0)) {
                s->codec_ok = 0;
                continue;
            }
            while (fr_record_iter_next(&ri, &rec)) {
                if (rec.offset < off || s->n >= 4096)
                    continue;
                int i = s->n++;
                s->off[i] = rec.offset;
                snprintf(s->key[i], sizeof(s->key[i]), "%.*s", rec.key.len > 0 ? rec.key.len : 0,
                         rec.key.ptr ? (const char *)rec.key.ptr : "");
                s->tomb[i] = fr_slice_is_null(rec.value);
                s->ts[i] = rec.timestamp;
                s->horizon[i] = (h.attributes & FR_BATCH_ATTR_DELETE_HORIZON) != 0;
                snprintf(s->val[i], sizeof(s->val[i]), "%.*s", rec.value.len > 0 ? rec.value.len : 0,
                         rec.value.ptr ? (const char *)rec.value.ptr : "");
            }
            if (ri.err)
                s->codec_ok = 0;
            next = fr_batch_last_offset(&h) + 1;
        }
        free(buf);
        if (next <= off) {
            fr_writer_free(&scratch);
            return -1;
        }
        off = next;
    }
    fr_writer_free(&scratch);
    return 0;
}

/* One cleaner pass at now_ms with p (first_dirty in and out), then the whole log read back into s. */
static void clean_and_read(fr_partlog_t *log, const fr_compact_policy_t *p, int64_t now_ms, int64_t *first_dirty,
                           seen_t *s) {
    fr_compact_result_t res;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, p, now_ms, first_dirty, &res), 0);
    FR_CHECK_EQ_INT(read_all(log, s), 0);
}

static fr_compact_policy_t policy(int64_t delete_retention_ms) {
    return (fr_compact_policy_t){.min_cleanable_ratio = 0.01, .min_lag_ms = 0, .max_lag_ms = INT64_MAX,
                                 .delete_retention_ms = delete_retention_ms};
}

static const char *const classic_keys[11] = {"K1", "K2", "K1", "K1", "K3", "K2", "K4", "K5", "K5", "K2", "K6"};
static const char *const classic_vals[11] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"};

static void check_classic(fr_partlog_t *log) {
    static const int64_t want[] = {3, 4, 6, 8, 9, 10, 11};
    static const char *const want_keys[] = {"K1", "K3", "K4", "K5", "K2", "K6", "K7"};
    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK(s->codec_ok);
    FR_CHECK_EQ_INT(s->n, 7);
    for (int i = 0; i < 7 && i < s->n; i++) {
        FR_CHECK_EQ_INT(s->off[i], want[i]);
        FR_CHECK_EQ_STR(s->key[i], want_keys[i]);
        if (want[i] < 11) {
            char v[8];
            snprintf(v, sizeof(v), "v%d", (int)want[i]);
            FR_CHECK_EQ_STR(s->val[i], v);
        }
    }
    free(s);
}

/*
 * Kafka's example, offsets 0..10, keys K1 K2 K1 K1 K3 K2 K4 K5 K5 K2 K6.
 * per_batch records per batch (1: every record its own batch and segment; 11:
 * one batch in one segment), codec for the batches.  One more record (K7,
 * offset 11) rolls the log so that 0..10 all lie in non-active segments;
 * the active segment is not compacted.  Compacts to 3 4 6 8 9 10 (+ 11).
 */
static void classic(int per_batch, int codec) {
    char *tmp = make_tmp();
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = per_batch == 1 ? 100 : 4096; /* 1: a segment per batch */
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    for (int i = 0; i < 11; i += per_batch)
        FR_CHECK_EQ_INT(append_kv(log, codec, per_batch, classic_keys + i, classic_vals + i, 1000), 0);
    c.segment_bytes = 100; /* roll at the next append */
    fr_partlog_set_config(log, &c);
    const char *k7 = "K7", *v11 = "v11";
    FR_CHECK_EQ_INT(append_kv(log, codec, 1, &k7, &v11, 1000), 0);
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    size_t nsegs = fr_partlog_segment_count(log);
    FR_CHECK(nsegs >= 2);

    int64_t first_dirty = 0;
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t before = fr_partlog_size_bytes(log);
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(!res.skipped);
    FR_CHECK_EQ_INT(res.records_removed, 5);
    FR_CHECK_EQ_INT(first_dirty, 11);
    FR_CHECK(fr_partlog_size_bytes(log) < before);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 12);
    check_classic(log);
    /* with a segment per record, the eleven (100 bytes each, segment.bytes now 1 MiB) are
     * cleaned into one, based at 0 (Kafka's groupSegmentsBySize); the others' files go */
    size_t kept_segs = fr_partlog_segment_count(log);
    FR_CHECK_EQ_INT(kept_segs, per_batch == 1 ? 2 : nsegs);
    if (per_batch == 1) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%020d.log", tmp, 5);
        FR_CHECK_EQ_INT(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/%020d.log", tmp, 3);
        FR_CHECK_EQ_INT(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/%020d.log", tmp, 0);
        FR_CHECK_EQ_INT(access(path, F_OK), 0);
    }

    /* a second pass finds nothing dirty */
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.skipped);

    /* reads at a removed offset start at the next record kept */
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 5, 1 << 20, &rr), 0);
    FR_CHECK(rr.len > 0);
    if (rr.len) {
        uint8_t hb[FR_BATCH_HEADER_SIZE];
        fr_batch_header_t h;
        FR_CHECK_EQ_INT(pread(rr.fd, hb, sizeof(hb), rr.file_position), (ssize_t)sizeof(hb));
        fr_batch_parse_header(hb, sizeof(hb), &h);
        FR_CHECK(fr_batch_last_offset(&h) >= 6);
        rr.unref(rr.ref);
    }

    /* reopen: recovery accepts the gaps and rebuilds nothing wrongly */
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 12);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), kept_segs);
    check_classic(log);
    /* and another pass after a restart (checkpoint 0) changes nothing */
    first_dirty = 0;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.records_removed, 0);
    check_classic(log);
    fr_partlog_close(log);
    cleanup(tmp);
}

FR_TEST(classic_example_one_record_per_segment) { classic(1, 0); }
FR_TEST(classic_example_one_batch) { classic(11, 0); }
FR_TEST(classic_example_gzip) { classic(11, FR_COMPRESSION_GZIP); }
FR_TEST(classic_example_lz4) { classic(11, FR_COMPRESSION_LZ4); }
FR_TEST(classic_example_zstd) { classic(11, FR_COMPRESSION_ZSTD); }
FR_TEST(classic_example_zstd_per_record) { classic(1, FR_COMPRESSION_ZSTD); }

/* A: v, B: v, A: tombstone (offsets 0..2, ts 1000), C rolls.  The tombstone
 * stays until delete.retention.ms (1000) has passed since the clean that first
 * kept it (Kafka's delete horizon, stamped on its batch), whatever its own
 * timestamp; the records keep their timestamps through the re-based batch. */
FR_TEST(tombstones_go_after_delete_retention_ms) {
    char *tmp;
    fr_log_config_t c;
    fr_partlog_t *log = open_default(&tmp, &c);
    const char *keys[] = {"A", "B", "A"}, *vals[] = {"a0", "b1", NULL};
    FR_CHECK_EQ_INT(append_kv(log, 0, 3, keys, vals, 1000), 0);
    c.segment_bytes = 100;
    fr_partlog_set_config(log, &c);
    const char *kc = "C", *vc = "c3";
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &kc, &vc, 1000), 0);

    fr_compact_policy_t p = policy(1000);
    int64_t first_dirty = 0;
    seen_t *s = calloc(1, sizeof(*s));
    clean_and_read(log, &p, 1500, &first_dirty, s);
    FR_CHECK_EQ_INT(s->n, 3); /* B@1, A tombstone@2, C@3 */
    FR_CHECK_EQ_INT(s->off[0], 1);
    FR_CHECK_EQ_INT(s->off[1], 2);
    FR_CHECK(s->tomb[1]);
    FR_CHECK(s->horizon[1]); /* 1500 + 1000 */
    FR_CHECK_EQ_INT(s->ts[0], 1000);
    FR_CHECK_EQ_INT(s->ts[1], 1000);
    FR_CHECK_EQ_INT(s->off[2], 3);
    FR_CHECK(!s->horizon[2]);
    FR_CHECK(s->codec_ok);

    /* past its own timestamp + delete.retention.ms, but before the horizon: kept */
    first_dirty = 0;
    clean_and_read(log, &p, 2499, &first_dirty, s);
    FR_CHECK_EQ_INT(s->n, 3);
    FR_CHECK(s->tomb[1] && s->ts[1] == 1000);

    /* setting a horizon alone rewrites a segment, though no record goes and its size does not change
     * (the re-based delta, 3390 - 3400, takes one byte as 0 did) */
    const char *kd = "D", *vd = NULL;
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &kd, &vd, 3390), 0); /* 4: a lone tombstone, active */
    const char *ke = "E", *ve = "e";
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &ke, &ve, 3390), 0);  /* 5, rolls */
    clean_and_read(log, &p, 2400, &first_dirty, s);
    FR_CHECK(s->n == 5 && s->off[3] == 4 && s->tomb[3] && s->horizon[3]);
    FR_CHECK_EQ_INT(s->ts[3], 3390);

    first_dirty = 0; /* at the horizon it goes */
    clean_and_read(log, &p, 2500, &first_dirty, s);
    FR_CHECK_EQ_INT(s->n, 4); /* B@1, C@3, the D tombstone@4 (its horizon is 3400), E@5 */
    FR_CHECK_EQ_INT(s->off[0], 1);
    FR_CHECK_EQ_STR(s->key[0], "B");
    FR_CHECK_EQ_INT(s->off[1], 3);
    FR_CHECK(s->off[2] == 4 && s->tomb[2]);
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* min.compaction.lag.ms keeps young segments out; the dirty ratio gates a pass. */
FR_TEST(lag_and_dirty_ratio) {
    char *tmp = make_tmp();
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = 100;
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    for (int i = 0; i < 11; i++)
        FR_CHECK_EQ_INT(append_kv(log, 0, 1, classic_keys + i, classic_vals + i, 1000 + i), 0);
    const char *k7 = "K7", *v11 = "v11";
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k7, &v11, 2000), 0);
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    p.min_lag_ms = 100000;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.skipped); /* every segment too young */
    p.min_lag_ms = 0;
    p.min_cleanable_ratio = 1.5; /* never reached */
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.skipped);
    FR_CHECK_EQ_INT(first_dirty, 0);
    p.max_lag_ms = 500; /* ... unless a dirty segment is older than max.compaction.lag.ms */
    /* also after a restart, where the older segments are loaded from their indexes, not scanned:
     * their first batch's timestamp is still what the lag counts from */
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(!res.skipped);
    check_classic(log);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* Kafka's thresholds: a ratio must be *above* min.cleanable.dirty.ratio; max.compaction.lag.ms
 * counts from a dirty segment's first batch; min.compaction.lag.ms looks at dirty segments only. */
FR_TEST(thresholds_as_kafka_draws_them) {
    char *tmp = make_tmp();
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = 150; /* two one-record batches per segment */
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    const char *k = "K", *v[] = {"a", "b", "c", "d", "e"};
    int64_t ts[] = {1000, 9000, 9000, 9000, 9000};
    for (int i = 0; i < 5; i++)
        FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + i, ts[i]), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3); /* [0,1] [2,3] [4] */
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    p.min_cleanable_ratio = 1.0; /* every byte is dirty: the ratio is 1, not above it */
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 9500, &first_dirty, &res), 0);
    FR_CHECK(res.skipped);
    /* segment [0,1]: its first batch (1000) is older than 9500 - 5000, its newest (9000) is not */
    p.min_cleanable_ratio = 1.5; /* never: only max.compaction.lag.ms can start this pass */
    p.max_lag_ms = 5000;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 9500, &first_dirty, &res), 0);
    FR_CHECK(!res.skipped);
    FR_CHECK_EQ_INT(first_dirty, 4);
    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, 2); /* K=d@3 and the active segment's K=e@4 */
    FR_CHECK_EQ_INT(s->off[0], 3);

    /* a cleaned segment holding a timestamp far ahead does not stall the cleaner */
    const char *fut = "future";
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, &fut, 100000000), 0); /* 5: [4,5] */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + 0, 9000), 0);     /* 6, rolls: [4,5] [6] */
    p.min_cleanable_ratio = 0.01;
    p.max_lag_ms = INT64_MAX;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 9600, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(first_dirty, 6); /* [4,5] is clean now, and keeps K=future@5 */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + 1, 9000), 0); /* 7: [6,7] */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + 2, 9000), 0); /* 8, rolls: [6,7] [8] */
    p.min_lag_ms = 100; /* the dirty [6,7] is old enough; the clean [4,5] is "younger" but clean */
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 9600, &first_dirty, &res), 0);
    FR_CHECK(!res.skipped);
    FR_CHECK_EQ_INT(first_dirty, 8);
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, 2); /* K=b@7 and the active K=c@8 */
    FR_CHECK_EQ_INT(s->off[0], 7);
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* A batch the clean empties stays (empty) only when it is its producer's last in the whole log. */
FR_TEST(an_emptied_batch_stays_only_as_its_producers_last) {
    char *tmp;
    fr_log_config_t c;
    fr_partlog_t *log = open_default(&tmp, &c);
    const char *k = "K", *v = "v";
    FR_CHECK_EQ_INT(append_kv_as(log, 0, 1, &k, &v, 1000, 7, 0), 0); /* 0: P7's, will go */
    FR_CHECK_EQ_INT(append_kv_as(log, 0, 1, &k, &v, 1000, 8, 0), 0); /* 1: P8's last, will be emptied */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, &v, 1000), 0);          /* 2: plain, K's latest in range */
    c.segment_bytes = 100;
    fr_partlog_set_config(log, &c);
    const char *k2 = "L";
    FR_CHECK_EQ_INT(append_kv_as(log, 0, 1, &k2, &v, 1000, 7, 1), 0); /* 3: P7 again, active segment */
    fr_compact_policy_t p = policy(86400000);
    int64_t first_dirty = 0;
    seen_t *s = calloc(1, sizeof(*s));
    clean_and_read(log, &p, 1500, &first_dirty, s);
    FR_CHECK_EQ_INT(s->nempty, 1);
    FR_CHECK_EQ_INT(s->empty_batches[0], 1);
    FR_CHECK_EQ_INT(s->n, 2); /* K@2, L@3 */
    /* P8 writes again: at the next clean its kept empty batch goes */
    const char *k3 = "M";
    FR_CHECK_EQ_INT(append_kv_as(log, 0, 1, &k3, &v, 1000, 8, 1), 0); /* 4, rolls: [3] [4] */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k3, &v, 1000), 0);           /* 5, rolls: [4] [5] */
    clean_and_read(log, &p, 1500, &first_dirty, s);
    FR_CHECK_EQ_INT(s->nempty, 0); /* P8's last batch is M@4 now */
    FR_CHECK_EQ_INT(s->n, 4);      /* K@2, L@3, M@4, M@5 (the active segment) */
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* A record without a key goes at the first clean, as Kafka's cleaner counts it invalid and drops it
 * (a topic written under cleanup.policy=delete may have them, then switched to compact). */
FR_TEST(records_without_a_key_go) {
    char *tmp;
    fr_log_config_t c;
    fr_partlog_t *log = open_default(&tmp, &c);
    const char *keys[] = {NULL, "A", NULL}, *vals[] = {"x", "a", "y"};
    FR_CHECK_EQ_INT(append_kv(log, 0, 3, keys, vals, 1000), 0);
    c.segment_bytes = 100;
    fr_partlog_set_config(log, &c);
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, keys + 1, vals + 1, 1000), 0);
    fr_compact_policy_t p = policy(86400000);
    int64_t first_dirty = 0;
    seen_t *s = calloc(1, sizeof(*s));
    clean_and_read(log, &p, 1500, &first_dirty, s);
    FR_CHECK_EQ_INT(s->n, 2); /* A@1, and the active segment's A@3 */
    FR_CHECK_EQ_INT(s->off[0], 1);
    FR_CHECK_EQ_INT(s->off[1], 3);
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* ---- a reader during compaction ---- */

#define NKEYS 50
#define ROUNDS 40

typedef struct reader_arg {
    fr_partlog_t *log;
    atomic_int stop;
    int reads, bad;
} reader_arg_t;

/* Every read: offsets ascending, batches valid, and every key's final value present. */
static void *reader(void *p) {
    reader_arg_t *a = p;
    seen_t *s = calloc(1, sizeof(*s));
    while (!atomic_load(&a->stop) || a->reads < 3) {
        if (read_all(a->log, s) || !s->codec_ok) {
            a->bad++;
            continue;
        }
        int found[NKEYS] = {0};
        for (int i = 0; i < s->n; i++) {
            if (i && s->off[i] <= s->off[i - 1])
                a->bad++;
            int k = atoi(s->key[i] + 1);
            char want[24];
            snprintf(want, sizeof(want), "r%d", ROUNDS - 1);
            if (k >= 0 && k < NKEYS && strcmp(s->val[i], want) == 0)
                found[k] = 1;
        }
        for (int k = 0; k < NKEYS; k++)
            if (!found[k])
                a->bad++;
        a->reads++;
    }
    free(s);
    return NULL;
}

FR_TEST(reader_during_compaction_sees_a_consistent_log) {
    char *tmp = make_tmp();
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = 2048;
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    for (int r = 0; r < ROUNDS; r++) {
        for (int k0 = 0; k0 < NKEYS; k0 += 10) {
            char kb[10][8], vb[10][8];
            const char *keys[10], *vals[10];
            for (int j = 0; j < 10; j++) {
                snprintf(kb[j], 8, "k%d", k0 + j);
                snprintf(vb[j], 8, "r%d", r);
                keys[j] = kb[j];
                vals[j] = vb[j];
            }
            FR_CHECK_EQ_INT(append_kv(log, (r % 3) ? FR_COMPRESSION_LZ4 : 0, 10, keys, vals, 1000), 0);
        }
    }
    const char *kx = "x", *vx = "x";
    c.segment_bytes = 100;
    fr_partlog_set_config(log, &c);
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &kx, &vx, 1000), 0);
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);

    /* a fetch taken before compaction keeps reading the old file */
    fr_read_result_t held;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 0, 1 << 20, &held), 0);
    uint8_t *before = malloc(held.len), *after = malloc(held.len);
    FR_CHECK_EQ_INT(pread(held.fd, before, held.len, held.file_position), (ssize_t)held.len);

    reader_arg_t a = {.log = log};
    atomic_init(&a.stop, 0);
    pthread_t t;
    pthread_create(&t, NULL, reader, &a);
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.segments_cleaned > 1);
    atomic_store(&a.stop, 1);
    pthread_join(t, NULL);
    FR_CHECK_EQ_INT(a.bad, 0);
    FR_CHECK(a.reads >= 3);

    FR_CHECK_EQ_INT(pread(held.fd, after, held.len, held.file_position), (ssize_t)held.len);
    FR_CHECK(memcmp(before, after, held.len) == 0);
    held.unref(held.ref);
    free(before);
    free(after);

    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, NKEYS + 1); /* exactly the latest value per key, and x */
    for (int i = 1; i < s->n; i++)
        FR_CHECK(s->off[i] > s->off[i - 1]);
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* ---- merging cleaned segments (Kafka's groupSegmentsBySize) ---- */

static int64_t file_size_of(const char *dir, int64_t base, const char *suffix) {
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%020lld%s", dir, (long long)base, suffix);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* n one-record segments of distinct keys k0.. (segment.bytes 100 while appending), then one more
 * record that rolls, so that all n lie below the active segment. */
static fr_partlog_t *one_record_segments(char **tmp, fr_log_config_t *c, int n) {
    fr_partlog_t *log = open_default(tmp, c);
    c->segment_bytes = 100;
    fr_partlog_set_config(log, c);
    for (int i = 0; i <= n; i++) {
        char key[16], val[16];
        snprintf(key, sizeof(key), "k%03d", i); /* all the same size */
        snprintf(val, sizeof(val), "v%03d", i);
        const char *k = key, *v = val;
        FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, &v, 1000 + i), 0);
    }
    FR_CHECK_EQ_INT((int64_t)fr_partlog_segment_count(log), n + 1);
    return log;
}

/* Every record of one_record_segments is read back, in order, with its value. */
static void check_one_record_segments(fr_partlog_t *log, int n, int skip) {
    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, skip >= 0 ? n : n + 1);
    for (int i = 0, j = 0; i <= n && j < s->n; i++) {
        if (i == skip)
            continue;
        char want[16];
        snprintf(want, sizeof(want), "v%03d", i);
        FR_CHECK_EQ_INT(s->off[j], i);
        FR_CHECK_EQ_STR(s->val[j], want);
        j++;
    }
    free(s);
}

FR_TEST(cleaned_segments_merge_up_to_segment_bytes) {
    char *tmp;
    fr_log_config_t c;
    enum { N = 30 };
    fr_partlog_t *log = one_record_segments(&tmp, &c, N);
    int64_t one = file_size_of(tmp, 0, ".log");
    FR_CHECK(one > 0 && one <= 100);
    c.segment_bytes = 5 * one; /* the cleaner groups by segment.bytes as it is at the clean */
    fr_partlog_set_config(log, &c);
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.records_removed, 0);
    FR_CHECK_EQ_INT(res.segments_cleaned, N);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N / 5 + 1); /* six of five, and the active one */
    for (int g = 0; g < N / 5; g++) { /* each based at its first member's base, its members' files gone */
        FR_CHECK_EQ_INT(file_size_of(tmp, 5 * g, ".log"), 5 * one);
        for (int m = 1; m < 5; m++)
            FR_CHECK_EQ_INT(file_size_of(tmp, 5 * g + m, ".log"), -1);
    }
    check_one_record_segments(log, N, -1);
    /* a merged segment is full: the next pass (after a restart, everything dirty) leaves it alone */
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N / 5 + 1);
    first_dirty = 0;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.segments_cleaned, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N / 5 + 1);
    check_one_record_segments(log, N, -1);
    /* a larger segment.bytes merges the merged ones */
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    first_dirty = 0;
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    FR_CHECK_EQ_INT(file_size_of(tmp, 0, ".log"), N * one);
    check_one_record_segments(log, N, -1);
    fr_partlog_close(log);
    cleanup(tmp);
}

static uint8_t *slurp_segment(const char *dir, int64_t base, size_t *len) {
    char path[600];
    snprintf(path, sizeof(path), "%s/%020lld.log", dir, (long long)base);
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(4096);
    *len = f ? fread(buf, 1, 4096, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

/*
 * The disk as a stop left it in the middle of putting a merge of segments 2, 3 and 4 in place
 * (partlog_swap.c): the swap file is whole (here 2's and 4's records: 3's were cleaned away).
 * how 0: every old segment still there; 1: 3 already renamed for deletion; 2: only the
 * .cleaned file was written (the merge never happened).
 */
static void interrupted_merge(int how) {
    char *tmp;
    fr_log_config_t c;
    enum { N = 8 };
    fr_partlog_t *log = one_record_segments(&tmp, &c, N);
    fr_partlog_close(log);
    size_t l2, l4;
    uint8_t *s2 = slurp_segment(tmp, 2, &l2), *s4 = slurp_segment(tmp, 4, &l4);
    char path[600], from[600];
    snprintf(path, sizeof(path), "%s/%020d.log.%s", tmp, 2, how == 2 ? "cleaned" : "swap");
    FILE *f = fopen(path, "wb");
    FR_CHECK(f && fwrite(s2, 1, l2, f) == l2 && fwrite(s4, 1, l4, f) == l4);
    if (f)
        fclose(f);
    free(s2);
    free(s4);
    if (how == 1) {
        snprintf(from, sizeof(from), "%s/%020d.log", tmp, 3);
        snprintf(path, sizeof(path), "%s/%020d.log.deleted", tmp, 3);
        FR_CHECK_EQ_INT(rename(from, path), 0);
    }
    for (int rp = 0; rp < 2; rp++) { /* after a crash (recovery from 0) or a clean stop: the same */
        FR_CHECK_EQ_INT(rp == 0 ? fr_partlog_open_from(tmp, &c, 0, &log) : fr_partlog_open(tmp, &c, &log), 0);
        FR_CHECK_EQ_INT(fr_partlog_end_offset(log), N + 1);
        if (how == 2) { /* nothing replaced: all of 3 is still read; the next pass removes the leftover */
            FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N + 1);
            check_one_record_segments(log, N, -1);
            fr_compact_policy_t p = policy(86400000);
            fr_compact_result_t res;
            int64_t first_dirty = 0;
            FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
            FR_CHECK_EQ_INT(file_size_of(tmp, 2, ".log.cleaned"), -1);
            fr_partlog_close(log);
            break;
        }
        FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N + 1 - 2);
        check_one_record_segments(log, N, 3); /* the swap's content won: 3 was cleaned away */
        FR_CHECK_EQ_INT(file_size_of(tmp, 2, ".log.swap"), -1);
        FR_CHECK_EQ_INT(file_size_of(tmp, 3, ".log"), -1);
        FR_CHECK_EQ_INT(file_size_of(tmp, 3, ".log.deleted"), -1);
        FR_CHECK_EQ_INT(file_size_of(tmp, 4, ".log"), -1);
        FR_CHECK(file_size_of(tmp, 5, ".log") > 0);
        fr_partlog_close(log);
    }
    cleanup(tmp);
}

FR_TEST(an_interrupted_merge_is_finished_at_open) {
    interrupted_merge(0);
    interrupted_merge(1);
}

FR_TEST(a_merge_cut_short_before_its_swap_is_dropped) { interrupted_merge(2); }

int main(void) {
    FR_RUN(classic_example_one_record_per_segment);
    FR_RUN(classic_example_one_batch);
    FR_RUN(classic_example_gzip);
    FR_RUN(classic_example_lz4);
    FR_RUN(classic_example_zstd);
    FR_RUN(classic_example_zstd_per_record);
    FR_RUN(tombstones_go_after_delete_retention_ms);
    FR_RUN(lag_and_dirty_ratio);
    FR_RUN(thresholds_as_kafka_draws_them);
    FR_RUN(records_without_a_key_go);
    FR_RUN(an_emptied_batch_stays_only_as_its_producers_last);
    FR_RUN(reader_during_compaction_sees_a_consistent_log);
    FR_RUN(cleaned_segments_merge_up_to_segment_bytes);
    FR_RUN(an_interrupted_merge_is_finished_at_open);
    FR_RUN(a_merge_cut_short_before_its_swap_is_dropped);
    return fr_test_done();
}
