/* Log compaction (fr_partlog_compact): Kafka's classic example, tombstones
 * and delete.retention.ms, gzip/lz4/zstd batches, reopen (recovery accepts
 * the offset gaps), and a reader running during compaction.  Merging the
 * cleaned segments: test_compact_merge.c. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "compact_helpers.h"

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
    if (per_batch == 1) /* the segments' files modified a second apart, long ago */
        for (int i = 0; i < 11; i++) {
            char path[600];
            snprintf(path, sizeof(path), "%s/%020d.log", tmp, i);
            const struct timespec t[2] = {{.tv_sec = 1600000000 + i}, {.tv_sec = 1600000000 + i}};
            FR_CHECK_EQ_INT(utimensat(AT_FDCWD, path, t, 0), 0);
        }
    int64_t before = fr_partlog_size_bytes(log);
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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
        /* modified when the last segment cleaned into it was, as Kafka's cleaner sets lastModified
         * (ListOffsets v0 and time retention of segments without timestamps go by it) */
        struct stat st;
        FR_CHECK_EQ_INT(stat(path, &st), 0);
        FR_CHECK_EQ_INT(st.st_mtim.tv_sec, 1600000000 + 10);
    }

    /* a second pass finds nothing dirty */
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.skipped); /* every segment too young */
    p.min_lag_ms = 0;
    p.min_cleanable_ratio = 1.5; /* never reached */
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK(res.skipped);
    FR_CHECK_EQ_INT(first_dirty, 0);
    p.max_lag_ms = 500; /* ... unless a dirty segment is older than max.compaction.lag.ms */
    /* also after a restart, where the older segments are loaded from their indexes, not scanned:
     * their first batch's timestamp is still what the lag counts from */
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 9500, &first_dirty, &res), 0);
    FR_CHECK(res.skipped);
    /* segment [0,1]: its first batch (1000) is older than 9500 - 5000, its newest (9000) is not */
    p.min_cleanable_ratio = 1.5; /* never: only max.compaction.lag.ms can start this pass */
    p.max_lag_ms = 5000;
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 9500, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 9600, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(first_dirty, 6); /* [4,5] is clean now, and keeps K=future@5 */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + 1, 9000), 0); /* 7: [6,7] */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, v + 2, 9000), 0); /* 8, rolls: [6,7] [8] */
    p.min_lag_ms = 100; /* the dirty [6,7] is old enough; the clean [4,5] is "younger" but clean */
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 9600, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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

/* Only fsynced segments are cleaned: a key's newer record still in the page
 * cache must not clean away its older one on disk, or a power cut could leave
 * the key with neither (found with a power-loss emulation).  Kafka cleans any
 * non-active segment. */
FR_TEST(only_what_was_fsynced_is_cleaned) {
    char *tmp;
    fr_log_config_t c;
    fr_partlog_t *log = open_default(&tmp, &c);
    c.segment_bytes = 100; /* a segment per batch */
    fr_partlog_set_config(log, &c);
    const char *k = "victim", *v1 = "old", *v2 = "new", *kx = "x";
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, &v1, 1000), 0);
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0); /* the old record is on disk */
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &k, &v2, 1000), 0);
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &kx, &kx, 1000), 0); /* rolls: the new record is in an older segment */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), 1);

    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(fr_partlog_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.records_removed, 0); /* the new record is not fsynced: nothing goes */
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, 3);
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.records_removed, 1); /* now it is: the old one goes */
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    FR_CHECK_EQ_INT(s->n, 2);
    FR_CHECK_EQ_INT(s->off[0], 1);
    FR_CHECK_EQ_STR(s->val[0], "new");
    free(s);
    fr_partlog_close(log);
    cleanup(tmp);
}

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
    FR_RUN(only_what_was_fsynced_is_cleaned);
    return fr_test_done();
}
