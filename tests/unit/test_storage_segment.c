/* Storage: the partition log: append/read/roll, sendfile ranges,
 * offset_for_time, reopen, validation on append, refcounted segment files. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_fs.h"
#include "fr_partlog.h"
#include "segment.h"
#include "fr_test.h"

/* ---- helpers ---- */

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-storage-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static char *part_dir(const char *tmp) {
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/topic-0", tmp);
    return buf;
}

static fr_log_config_t small_config(void) {
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = 4000;
    c.index_interval_bytes = 300;
    return c;
}

/* What the test appended: each batch as stored (base offset patched). */
typedef struct tb {
    int64_t base, last, max_ts;
    uint8_t *bytes;
    size_t len;
} tb_t;

typedef struct model {
    tb_t *b;
    size_t n, cap;
} model_t;

static void model_free(model_t *m) {
    for (size_t i = 0; i < m->n; i++)
        free(m->b[i].bytes);
    free(m->b);
    *m = (model_t){0};
}

/* Records the batches of an appended (hence patched) request buffer. */
static void model_add(model_t *m, const uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->b = realloc(m->b, m->cap * sizeof(*m->b));
        }
        tb_t *t = &m->b[m->n++];
        t->base = h.base_offset;
        t->last = fr_batch_last_offset(&h);
        t->max_ts = h.max_timestamp;
        t->len = blen;
        t->bytes = malloc(blen);
        memcpy(t->bytes, batch, blen);
    }
}

static const tb_t *model_find(const model_t *m, int64_t offset) {
    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].base <= offset && offset <= m->b[i].last)
            return &m->b[i];
    return NULL;
}

/* Appends one request of `batches` simple batches; returns the fr_err. */
static int append_simple(fr_partlog_t *log, model_t *m, int batches, int records, size_t value_size,
                         int64_t ts, int64_t now_ms, uint32_t seed, fr_append_info_t *info) {
    fr_writer_t w;
    fr_append_info_t local;
    fr_writer_init(&w);
    for (int i = 0; i < batches; i++)
        bb_build_simple(&w, records, value_size, ts + i, seed + (uint32_t)i);
    int rc = fr_partlog_append(log, w.buf, w.len, now_ms, info ? info : &local);
    if (rc == 0 && m)
        model_add(m, w.buf, w.len);
    fr_writer_free(&w);
    return rc;
}

/*
 * Reads at offset and checks the result against the model: whole batches,
 * exactly the bytes appended, the first one holding `offset` (or the next one),
 * consecutive offsets.  Returns the number of batches, -1 on mismatch.
 */
static int check_read(fr_partlog_t *log, const model_t *m, int64_t offset, int32_t max_bytes) {
    fr_read_result_t rr;
    int rc = fr_partlog_read(log, offset, max_bytes, &rr);
    if (rc != 0) {
        fprintf(stderr, "read at %lld: %s\n", (long long)offset, fr_err_name(rc));
        return -1;
    }
    if (rr.len == 0)
        return 0;
    uint8_t *buf = malloc(rr.len);
    int n = -1;
    if (pread(rr.fd, buf, rr.len, rr.file_position) == (ssize_t)rr.len) {
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int64_t expect = -1;
        n = 0;
        fr_batch_iter_init(&it, buf, rr.len);
        while (n >= 0 && fr_batch_iter_next(&it, &h, &batch, &blen)) {
            const tb_t *t = model_find(m, h.base_offset);
            if (!t || t->base != h.base_offset || t->len != blen || memcmp(t->bytes, batch, blen) != 0)
                n = -1;
            else if (n == 0 && fr_batch_last_offset(&h) < offset)
                n = -1;
            else if (expect >= 0 && h.base_offset != expect)
                n = -1;
            else {
                expect = t->last + 1;
                n++;
            }
        }
        if (n >= 0 && it.err)
            n = -1; /* a partial batch */
        if (n > 1 && rr.len > (size_t)(max_bytes > 0 ? max_bytes : 0))
            n = -1; /* more than one batch but over the limit */
    }
    if (n < 0)
        fprintf(stderr, "read at %lld (max %d): mismatch\n", (long long)offset, max_bytes);
    free(buf);
    rr.unref(rr.ref);
    return n;
}

static size_t count_files(const char *dir, const char *suffix) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls %s | grep -c '%s$'", dir, suffix);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        if (fscanf(p, "%zu", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

/* ---- the partition log ---- */

FR_TEST(empty_dir_starts_at_zero) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/00000000000000000000.log", part_dir(tmp));
    FR_CHECK_EQ_INT(access(path, F_OK), 0);
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 0, 1000, &rr), 0);
    FR_CHECK_EQ_INT(rr.len, 0);
    FR_CHECK_EQ_INT(rr.fd, -1);
    FR_CHECK(rr.unref == NULL);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 1, 1000, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(fr_partlog_read(log, -1, 1000, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    /* a second open of the same directory is refused */
    fr_partlog_t *again;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &again), FR_ERR_LOCKED);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(append_assigns_offsets_and_reads_back) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    fr_partlog_set_leader_epoch(log, 3);
    int64_t expect_leo = 0;
    for (int i = 0; i < 60; i++) {
        fr_append_info_t info;
        int batches = 1 + i % 3, records = 1 + i % 4;
        FR_CHECK_EQ_INT(append_simple(log, &m, batches, records, (size_t)(20 + 17 * (i % 7)), 1000 + i,
                                      5000, (uint32_t)i, &info), 0);
        FR_CHECK_EQ_INT(info.base_offset, expect_leo);
        FR_CHECK_EQ_INT(info.last_offset, expect_leo + batches * records - 1);
        FR_CHECK_EQ_INT(info.record_count, batches * records);
        FR_CHECK_EQ_INT(info.max_timestamp, 1000 + i + batches - 1 + records - 1);
        FR_CHECK_EQ_INT(info.log_append_time, -1);
        FR_CHECK_EQ_INT(info.log_start_offset, 0);
        expect_leo += batches * records;
    }
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), expect_leo);
    FR_CHECK(fr_partlog_segment_count(log) > 3); /* 4000-byte segments */
    /* the stored batches carry their offsets and the leader epoch */
    FR_CHECK_EQ_INT(m.b[0].base, 0);
    FR_CHECK_EQ_INT((int32_t)fr_be32(m.b[0].bytes + FR_BATCH_OFF_LEADER_EPOCH), 3);
    for (size_t i = 1; i < m.n; i++)
        FR_CHECK_EQ_INT(m.b[i].base, m.b[i - 1].last + 1);
    int64_t total = 0;
    for (size_t i = 0; i < m.n; i++)
        total += (int64_t)m.b[i].len;
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), total);
    /* every offset reads back exactly, with large and small limits */
    int bad = 0;
    for (int64_t o = 0; o < expect_leo; o++) {
        if (check_read(log, &m, o, 1 << 20) < 1)
            bad++;
        if (check_read(log, &m, o, 1) != 1)
            bad++;
        if (check_read(log, &m, o, 0) != 1)
            bad++;
        if (check_read(log, &m, o, 700) < 1)
            bad++;
    }
    FR_CHECK_EQ_INT(bad, 0);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

/* The fd/position/len of a read are exactly the right bytes, batch-aligned,
 * and max_bytes is honoured after the first batch. */
FR_TEST(read_limits_and_sendfile_ranges) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.segment_bytes = 1 << 20;
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    for (int i = 0; i < 40; i++)
        FR_CHECK_EQ_INT(append_simple(log, &m, 1, 2, (size_t)(50 + i * 3), 100, 100, (uint32_t)i, NULL), 0);
    /* batch k spans offsets 2k, 2k+1 */
    size_t first = m.b[5].len, second = m.b[6].len;
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 11, (int32_t)(first + second - 1), &rr), 0);
    FR_CHECK_EQ_INT(rr.len, first);
    int64_t pos5 = 0;
    for (int k = 0; k < 5; k++)
        pos5 += (int64_t)m.b[k].len;
    FR_CHECK_EQ_INT(rr.file_position, pos5);
    rr.unref(rr.ref);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 10, (int32_t)(first + second), &rr), 0);
    FR_CHECK_EQ_INT(rr.len, first + second);
    {
        uint8_t *buf = malloc(rr.len);
        FR_CHECK_EQ_INT(pread(rr.fd, buf, rr.len, rr.file_position), (ssize_t)rr.len);
        FR_CHECK(memcmp(buf, m.b[5].bytes, first) == 0);
        FR_CHECK(memcmp(buf + first, m.b[6].bytes, second) == 0);
        free(buf);
    }
    rr.unref(rr.ref);
    /* up to the end of the log */
    FR_CHECK_EQ_INT(fr_partlog_read(log, 70, 1 << 30, &rr), 0);
    size_t tail = 0;
    for (size_t k = 35; k < m.n; k++)
        tail += m.b[k].len;
    FR_CHECK_EQ_INT(rr.len, tail);
    rr.unref(rr.ref);
    /* every (offset, limit) pair obeys the rules */
    int bad = 0;
    for (int64_t o = 0; o < 80; o += 3)
        for (int32_t lim = 0; lim < 2000; lim += 97)
            if (check_read(log, &m, o, lim) < 1)
                bad++;
    FR_CHECK_EQ_INT(bad, 0);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(roll_by_size_never_crosses_segments) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.segment_bytes = 1000;
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    for (int i = 0; i < 30; i++)
        FR_CHECK_EQ_INT(append_simple(log, &m, 1, 3, 60, 100, 100, (uint32_t)i, NULL), 0);
    size_t nseg = fr_partlog_segment_count(log);
    FR_CHECK(nseg >= 7);
    FR_CHECK_EQ_INT(count_files(part_dir(tmp), ".log"), nseg);
    /* rolled segments have their index files */
    FR_CHECK_EQ_INT(count_files(part_dir(tmp), ".timeindex"), nseg - 1);
    /* a huge read from a segment's first offset returns exactly that segment's file */
    int64_t pos = 0;
    int bad = 0;
    for (size_t k = 0; k < m.n; k++) {
        fr_read_result_t rr;
        FR_CHECK_EQ_INT(fr_partlog_read(log, m.b[k].base, INT32_MAX, &rr), 0);
        struct stat st;
        fstat(rr.fd, &st);
        if (rr.file_position + (int64_t)rr.len != st.st_size)
            bad++;
        if (rr.file_position == 0) {
            char name[600];
            snprintf(name, sizeof(name), "%s/%020lld.log", part_dir(tmp), (long long)m.b[k].base);
            if (access(name, F_OK) != 0)
                bad++; /* a segment starts with batch k, and is named after it */
            pos = 0;
        }
        if (rr.file_position != pos)
            bad++;
        pos += (int64_t)m.b[k].len;
        FR_CHECK(st.st_size <= 1000);
        rr.unref(rr.ref);
    }
    FR_CHECK_EQ_INT(bad, 0);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

/* segment.ms counts in the records' time, from the segment's first batch to the appended one
 * (Kafka's timeWaitedForRoll); the wall clock at the append does not matter. */
FR_TEST(roll_by_time) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.segment_ms = 1000;
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 10000, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 10500, 99999999, 1, NULL), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 11000, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 9000, 5, 1, NULL), 0); /* back in time: no roll */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 11001, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    /* the new segment counts from its first batch */
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 12001, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 12002, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    char path[600];
    snprintf(path, sizeof(path), "%s/00000000000000000004.log", part_dir(tmp));
    FR_CHECK_EQ_INT(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/00000000000000000006.log", part_dir(tmp));
    FR_CHECK_EQ_INT(access(path, F_OK), 0);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* A compacted topic rolls at least every max.compaction.lag.ms (Kafka's maxSegmentMs), so its records
 * leave the active segment, which is never cleaned, in time; segment.jitter.ms rolls each segment up
 * to that much sooner, at random. */
FR_TEST(roll_by_compaction_lag_and_jitter) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.segment_ms = 100000;
    cfg.max_compaction_lag_ms = 1000;
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 10000, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 11001, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1); /* not compacted: segment.ms */
    cfg.compacted = 1;
    fr_partlog_set_config(log, &cfg);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 11002, 5, 1, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    fr_partlog_close(log);
    fr_rmtree(tmp);

    /* jitter: over 40 partitions with segment.ms 1000 and jitter 1000, a batch 500 ms after the first
     * rolls about half of them (none without jitter) */
    cfg = small_config();
    cfg.segment_ms = 1000;
    cfg.segment_jitter_ms = 1000;
    int rolled = 0;
    for (int i = 0; i < 40; i++) {
        FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
        FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 10000, 5, 1, NULL), 0);
        FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 10501, 5, 1, NULL), 0);
        rolled += fr_partlog_segment_count(log) == 2;
        fr_partlog_close(log);
        fr_rmtree(tmp);
    }
    FR_CHECK(rolled >= 8 && rolled <= 32);
    free(tmp);
}

FR_TEST(offsets_survive_reopen) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    for (int i = 0; i < 50; i++)
        FR_CHECK_EQ_INT(append_simple(log, &m, 2, 2, 40, 100 * i, 100, (uint32_t)i, NULL), 0);
    int64_t leo = fr_partlog_end_offset(log), size = fr_partlog_size_bytes(log);
    size_t nseg = fr_partlog_segment_count(log);
    fr_partlog_close(log);

    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), size);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), nseg);
    int bad = 0;
    for (int64_t o = 0; o < leo; o++)
        if (check_read(log, &m, o, 1000) < 1)
            bad++;
    FR_CHECK_EQ_INT(bad, 0);
    fr_append_info_t info;
    FR_CHECK_EQ_INT(append_simple(log, &m, 1, 1, 10, 0, 100, 7, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, leo);
    FR_CHECK_EQ_INT(check_read(log, &m, leo, 1000), 1);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

/*
 * The active segment answers tail lookups from its ring of recent batches and
 * older ones through the index; a rolled segment and a reopened log have no
 * ring or a rebuilt one.  Every path must find exactly the batch the model has.
 */
FR_TEST(tail_lookups_match_the_file) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.segment_bytes = 1 << 20; /* one segment: ring and index share it */
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    for (int i = 0; i < 3 * FR_SEGMENT_RECENT; i++)
        FR_CHECK_EQ_INT(append_simple(log, &m, 1 + i % 3, 1 + i % 4, 30, 10 * i, 100, (uint32_t)i, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    int64_t leo = fr_partlog_end_offset(log);
    for (int pass = 0; pass < 2; pass++) {
        int bad = 0;
        for (int64_t o = 0; o < leo; o++)
            if (check_read(log, &m, o, o % 2 ? 1 : 600) < 1)
                bad++;
        FR_CHECK_EQ_INT(bad, 0);
        FR_CHECK_EQ_INT(check_read(log, &m, leo, 600), 0);
        /* then again from a reopened log: recovery rebuilds the ring */
        fr_partlog_close(log);
        FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
        FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    }
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

/* The first record of a stored batch with timestamp >= ts: its offset, or -1. */
static int64_t batch_record_at_time(const uint8_t *bytes, size_t len, int64_t ts, int64_t *ts_out) {
    fr_batch_header_t h;
    fr_record_iter_t it;
    fr_record_t rec;
    fr_batch_parse_header(bytes, len, &h);
    fr_record_iter_init(&it, bytes, len, &h);
    while (fr_record_iter_next(&it, &rec))
        if (rec.timestamp >= ts) {
            *ts_out = rec.timestamp;
            return rec.offset;
        }
    return -1;
}

/* Brute force over the model: the first record (in offset order) with timestamp >= ts. */
static int64_t model_offset_for_time(const model_t *m, int64_t ts, int64_t *ts_out) {
    for (size_t i = 0; i < m->n; i++) {
        int64_t off = batch_record_at_time(m->b[i].bytes, m->b[i].len, ts, ts_out);
        if (off >= 0)
            return off;
    }
    *ts_out = -1;
    return -1;
}

static int check_times(fr_partlog_t *log, const model_t *m, int64_t lo, int64_t hi) {
    int bad = 0;
    for (int64_t ts = lo; ts <= hi; ts += 7) {
        int64_t off, got_ts, want_ts;
        int64_t want = model_offset_for_time(m, ts, &want_ts);
        if (fr_partlog_offset_for_time(log, ts, &off, &got_ts) != 0 || off != want || got_ts != want_ts) {
            if (bad++ < 5)
                fprintf(stderr, "ts %lld: got %lld/%lld want %lld/%lld\n", (long long)ts, (long long)off,
                        (long long)got_ts, (long long)want, (long long)want_ts);
        }
    }
    return bad;
}

FR_TEST(offset_for_time_matches_brute_force) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    /* mostly rising timestamps with some going back */
    for (int i = 0; i < 120; i++) {
        int64_t ts = 10000 + 50 * i - (i % 5 == 3 ? 400 : 0);
        FR_CHECK_EQ_INT(append_simple(log, &m, 1, 1 + i % 3, 30, ts, 100, (uint32_t)i, NULL), 0);
    }
    FR_CHECK(fr_partlog_segment_count(log) > 2);
    FR_CHECK_EQ_INT(check_times(log, &m, 9000, 16500), 0);
    int64_t off, ts;
    FR_CHECK_EQ_INT(fr_partlog_offset_for_time(log, 1000000, &off, &ts), 0);
    FR_CHECK_EQ_INT(off, -1);
    FR_CHECK_EQ_INT(ts, -1);
    fr_partlog_close(log);
    /* and again from the index files of the older segments */
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(check_times(log, &m, 9000, 16500), 0);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(bad_appends_change_nothing) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.max_message_bytes = 500;
    fr_partlog_t *log;
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 1, 1, 1, NULL), 0);
    int64_t leo = fr_partlog_end_offset(log), size = fr_partlog_size_bytes(log);

    fr_writer_t w;
    fr_writer_init(&w);
    bb_build_simple(&w, 2, 10, 1, 1);
    size_t first = w.len;
    bb_build_simple(&w, 2, 10, 1, 2);
    w.buf[w.len - 1] ^= 1; /* the second batch's CRC breaks */
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1, &info), FR_ERR_CORRUPT_MESSAGE);
    w.buf[w.len - 1] ^= 1;
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len - 1, 1, &info), FR_ERR_CORRUPT_MESSAGE); /* partial */
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, first + 5, 1, &info), FR_ERR_CORRUPT_MESSAGE);
    fr_writer_reset(&w);
    bb_build_simple(&w, 1, 600, 1, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1, &info), FR_ERR_MESSAGE_TOO_LARGE);
    fr_writer_reset(&w);
    bb_batch_t b = bb_defaults();
    b.attributes = 6; /* no such codec */
    bb_build_raw(&w, &b, 1, 1, 1, "xyz", 3);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1, &info), FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    fr_writer_reset(&w);
    b.attributes = 0;
    bb_build_raw(&w, &b, 1, 1, 1, "xyz", 3); /* records that do not parse */
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1, &info), FR_ERR_INVALID_RECORD);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), size);
    /* an empty append is a no-op */
    FR_CHECK_EQ_INT(fr_partlog_append(log, NULL, 0, 1, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, -1);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    fr_writer_free(&w);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(compressed_batches_pass_through) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.trust_compressed = 1; /* the payloads stand in for compressed records: not checked */
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    fr_writer_t w;
    fr_writer_init(&w);
    uint8_t payload[200];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    for (int codec = 1; codec <= 4; codec++) {
        bb_batch_t b = bb_defaults();
        b.attributes = (int16_t)codec;
        bb_build_raw(&w, &b, 10, 1000, 1009, payload, sizeof(payload));
    }
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1, &info), 0);
    model_add(&m, w.buf, w.len);
    FR_CHECK_EQ_INT(info.last_offset, 39);
    FR_CHECK_EQ_INT(check_read(log, &m, 25, 1 << 20), 2);
    FR_CHECK_EQ_INT(check_read(log, &m, 0, 1 << 20), 4);
    fr_writer_free(&w);
    fr_partlog_close(log);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(read_ref_outlives_delete) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    fr_partlog_t *log;
    model_t m = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_simple(log, &m, 3, 2, 30, 1, 1, 9, NULL), 0);
    fr_read_result_t a, b;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 0, 1 << 20, &a), 0);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 2, 1, &b), 0);
    FR_CHECK_EQ_INT(fr_partlog_delete(log), 0);
    FR_CHECK(access(part_dir(tmp), F_OK) != 0);
    uint8_t *buf = malloc(a.len);
    FR_CHECK_EQ_INT(pread(a.fd, buf, a.len, a.file_position), (ssize_t)a.len);
    FR_CHECK(memcmp(buf, m.b[0].bytes, m.b[0].len) == 0);
    a.unref(a.ref);
    FR_CHECK_EQ_INT(pread(b.fd, buf, b.len, b.file_position), (ssize_t)b.len);
    FR_CHECK(memcmp(buf, m.b[1].bytes, m.b[1].len) == 0);
    int fd = b.fd;
    b.unref(b.ref);
    FR_CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF); /* the last unref closed it */
    free(buf);
    model_free(&m);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(flush_policy) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    cfg.flush_interval_messages = 5;
    cfg.flush_interval_ms = 1000;
    fr_partlog_t *log;
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 2, 10, 1, 100, 1, &info), 0);
    FR_CHECK_EQ_INT(info.needs_flush, 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 2, 10, 1, 200, 1, &info), 0);
    FR_CHECK_EQ_INT(info.needs_flush, 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 2, 10, 1, 300, 1, &info), 0);
    FR_CHECK_EQ_INT(info.needs_flush, 1); /* 6 >= 5 messages */
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 1, 400, 1, &info), 0);
    FR_CHECK_EQ_INT(info.needs_flush, 0);
    FR_CHECK_EQ_INT(append_simple(log, NULL, 1, 1, 10, 1, 1300, 1, &info), 0);
    FR_CHECK_EQ_INT(info.needs_flush, 1); /* 1000 ms since the flush (at the 300 ms append) */
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0); /* nothing to do */
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* One thread appends (with rolls) while others read and flush. */
typedef struct race {
    fr_partlog_t *log;
    atomic_int done;
    int bad;
} race_t;

static void *reader_thread(void *arg) {
    race_t *r = arg;
    unsigned seed = 1;
    while (!atomic_load(&r->done)) {
        int64_t leo = fr_partlog_end_offset(r->log);
        if (leo == 0)
            continue;
        int64_t o = rand_r(&seed) % leo;
        fr_read_result_t rr;
        if (fr_partlog_read(r->log, o, 2000, &rr) != 0 || rr.len == 0) {
            r->bad++;
            continue;
        }
        uint8_t *buf = malloc(rr.len);
        if (pread(rr.fd, buf, rr.len, rr.file_position) != (ssize_t)rr.len)
            r->bad++;
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int first = 1;
        fr_batch_iter_init(&it, buf, rr.len);
        while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
            if (fr_batch_validate(batch, blen, &h, FR_BATCH_V_RECORDS, NULL) != 0)
                r->bad++;
            if (first && (h.base_offset > o || fr_batch_last_offset(&h) < o))
                r->bad++;
            first = 0;
        }
        if (it.err)
            r->bad++;
        free(buf);
        rr.unref(rr.ref);
        if (o % 16 == 0)
            fr_partlog_flush(r->log);
    }
    return NULL;
}

FR_TEST(concurrent_append_read_flush) {
    char *tmp = make_tmp();
    fr_log_config_t cfg = small_config();
    race_t r = {0};
    FR_CHECK_EQ_INT(fr_partlog_open(part_dir(tmp), &cfg, &r.log), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader_thread, &r);
    for (int i = 0; i < 1500; i++)
        if (append_simple(r.log, NULL, 1 + i % 2, 2, 40, i, i, (uint32_t)i, NULL) != 0)
            r.bad++;
    atomic_store(&r.done, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    FR_CHECK_EQ_INT(r.bad, 0);
    FR_CHECK(fr_partlog_segment_count(r.log) > 20);
    fr_partlog_close(r.log);
    fr_rmtree(tmp);
    free(tmp);
}

int main(void) {
    FR_RUN(empty_dir_starts_at_zero);
    FR_RUN(append_assigns_offsets_and_reads_back);
    FR_RUN(read_limits_and_sendfile_ranges);
    FR_RUN(roll_by_size_never_crosses_segments);
    FR_RUN(roll_by_time);
    FR_RUN(roll_by_compaction_lag_and_jitter);
    FR_RUN(offsets_survive_reopen);
    FR_RUN(tail_lookups_match_the_file);
    FR_RUN(offset_for_time_matches_brute_force);
    FR_RUN(bad_appends_change_nothing);
    FR_RUN(compressed_batches_pass_through);
    FR_RUN(read_ref_outlives_delete);
    FR_RUN(flush_policy);
    FR_RUN(concurrent_append_read_flush);
    return fr_test_done();
}
