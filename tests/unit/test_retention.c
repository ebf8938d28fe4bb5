/* Retention on the partition log: time and size rules delete exactly the
 * expected segments, the active segment is kept (or rolled first), the log
 * start offset (DeleteRecords) and its checkpoint file, reads below it, and a
 * fetch that holds a segment across its deletion. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_partlog.h"
#include "fr_test.h"
#include "offset_checkpoint.h"

/* ---- helpers ---- */

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-retention-XXXXXX");
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

/* A 2-record batch is 207 bytes (1 record: 134, 3: 280): a segment per batch. */
static fr_log_config_t one_batch_segments(void) {
    fr_log_config_t c;
    fr_log_config_defaults(&c);
    c.segment_bytes = 300;
    return c;
}

/* Appends one batch of `records` records (60-byte values) stamped ts..ts+records-1. */
static int append_batch(fr_partlog_t *log, int records, int64_t ts, fr_append_info_t *info) {
    fr_writer_t w;
    fr_append_info_t local;
    fr_writer_init(&w);
    bb_build_simple(&w, records, 60, ts, (uint32_t)ts);
    int rc = fr_partlog_append(log, w.buf, w.len, ts, info ? info : &local);
    fr_writer_free(&w);
    return rc;
}

static int file_exists(const char *dir, const char *name) {
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static fr_retention_policy_t policy(int64_t ms, int64_t bytes) {
    return (fr_retention_policy_t){.retention_ms = ms, .retention_bytes = bytes, .delete_enabled = 1};
}

/* Four segments of 2 records each: [0,1] ts 1000, [2,3] ts 2000, [4,5] ts 3000, [6,7] ts 4000 (active). */
static fr_partlog_t *four_segments(const char *dir, int64_t *seg_size) {
    fr_log_config_t c = one_batch_segments();
    fr_partlog_t *log = NULL;
    fr_append_info_t info;
    if (fr_partlog_open(dir, &c, &log))
        return NULL;
    for (int i = 0; i < 4; i++)
        append_batch(log, 2, 1000 * (i + 1), &info);
    *seg_size = fr_partlog_size_bytes(log) / 4;
    return log;
}

/* ---- time ---- */

FR_TEST(time_retention_deletes_exactly_the_old_segments) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t seg_size;
    fr_partlog_t *log = four_segments(dir, &seg_size);
    FR_CHECK(log != NULL);
    if (!log)
        return;
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 4);
    fr_retention_result_t res;
    fr_retention_policy_t p = policy(2500, -1);

    /* now 4500: largest timestamps 1001 and 2001 are 3499 and 2499 ms old: only the first goes */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 4500, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 1);
    FR_CHECK_EQ_INT(res.log_start_offset, 2);
    FR_CHECK_EQ_INT(res.bytes_deleted, seg_size);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 2);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), 3 * seg_size);
    FR_CHECK(!file_exists(dir, "00000000000000000000.log"));
    FR_CHECK(!file_exists(dir, "00000000000000000000.index"));
    FR_CHECK(!file_exists(dir, "00000000000000000000.log.deleted"));
    FR_CHECK(file_exists(dir, "00000000000000000002.log"));

    /* a second pass at the same time deletes nothing more */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 4500, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 0);

    /* now 6000: [2,3] (2001) and [4,5] (3001) are too old; the active [6,7] (4001) is not */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 6000, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 2);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 6);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 8);

    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 5, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(rr.log_start_offset, 6);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 0, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 6, 1 << 20, &rr), 0);
    FR_CHECK(rr.len > 0);
    FR_CHECK_EQ_INT(rr.log_start_offset, 6);
    if (rr.unref)
        rr.unref(rr.ref);

    /* a negative retention.ms keeps everything */
    fr_retention_policy_t forever = policy(-1, -1);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &forever, INT64_MAX / 2, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 0);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(expired_active_segment_is_rolled_then_deleted) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t seg_size;
    fr_partlog_t *log = four_segments(dir, &seg_size);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    fr_retention_result_t res;
    fr_retention_policy_t p = policy(100, -1);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 10000, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 4);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1); /* the new, empty active segment */
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 8);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 8);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), 0);
    FR_CHECK(file_exists(dir, "00000000000000000008.log"));
    FR_CHECK(!file_exists(dir, "00000000000000000006.log"));

    /* the empty active segment is never deleted */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 20000, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);

    /* reads: below the start out of range, at the end nothing yet; appends go on at 8 */
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 7, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 8, 1 << 20, &rr), 0);
    FR_CHECK_EQ_INT(rr.len, 0);
    fr_append_info_t info;
    FR_CHECK_EQ_INT(append_batch(log, 3, 30000, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, 8);
    FR_CHECK_EQ_INT(info.log_start_offset, 8);
    fr_partlog_close(log);

    /* and after a reopen the log starts where the surviving segment does */
    fr_log_config_t c = one_batch_segments();
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 8);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 11);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* ---- size ---- */

FR_TEST(size_retention_deletes_oldest_while_over_the_limit) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t s;
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    fr_retention_result_t res;
    /* 4s total, limit 2s + 1 */
    fr_retention_policy_t p = policy(-1, 2 * s + 1);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 0, &res), 0);
    /* Kafka: diff = 4s - (2s+1) = 2s-1; the first segment goes (diff - s >= 0), the second does not */
    FR_CHECK_EQ_INT(res.segments_deleted, 1);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 2);

    /* exactly at the limit: still nothing more (diff 3s - (2s+1) < s) */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 0);

    /* limit s: two more go, the active one stays */
    p.retention_bytes = s;
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 2);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 6);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), s);

    /* cleanup.policy=compact: neither time nor size applies */
    FR_CHECK_EQ_INT(append_batch(log, 2, 5000, NULL), 0);
    FR_CHECK_EQ_INT(append_batch(log, 2, 6000, NULL), 0);
    fr_retention_policy_t compact = {.retention_ms = 0, .retention_bytes = 0, .delete_enabled = 0};
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &compact, 1000000, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(size_and_time_rules_combine_in_kafka_order) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t s;
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    fr_retention_result_t res;
    /* size takes [0,1]; time (older than 1500 at 4000 -> largest < 2500) then takes [2,3] */
    fr_retention_policy_t p = policy(1500, 3 * s);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 4000, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 2);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 4);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* ---- DeleteRecords and the log start offset ---- */

FR_TEST(delete_records_moves_the_log_start) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t s;
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    int64_t low = 0;
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, 9, &low), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(low, -1);
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, -2, &low), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, 3, &low), 0);
    FR_CHECK_EQ_INT(low, 3);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 3);
    /* lower offsets change nothing */
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, 1, &low), 0);
    FR_CHECK_EQ_INT(low, 3);

    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 2, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(rr.log_start_offset, 3);
    /* offset 3 is inside the batch [2,3]: the whole batch comes back, as Kafka serves it */
    FR_CHECK_EQ_INT(fr_partlog_read(log, 3, 1 << 20, &rr), 0);
    FR_CHECK(rr.len > 0);
    if (rr.unref)
        rr.unref(rr.ref);

    /* the segment wholly below the start goes at the next pass, whatever the policy */
    fr_retention_result_t res;
    fr_retention_policy_t keep = {.retention_ms = -1, .retention_bytes = -1, .delete_enabled = 0};
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &keep, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 1);
    FR_CHECK_EQ_INT(res.first_segment_base, 2);
    FR_CHECK_EQ_INT(res.log_start_offset, 3);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 3);

    /* -1: up to the high watermark; the active segment stays (nothing after it starts at <= 8) */
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, FR_PARTLOG_HIGH_WATERMARK, &low), 0);
    FR_CHECK_EQ_INT(low, 8);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &keep, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 2);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 7, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    FR_CHECK_EQ_INT(fr_partlog_read(log, 8, 1 << 20, &rr), 0);
    FR_CHECK_EQ_INT(rr.len, 0);
    fr_append_info_t info;
    FR_CHECK_EQ_INT(append_batch(log, 1, 9000, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, 8);
    FR_CHECK_EQ_INT(info.log_start_offset, 8);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(offset_for_time_starts_at_the_log_start) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    fr_log_config_t c = one_batch_segments();
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    FR_CHECK_EQ_INT(append_batch(log, 2, 100, NULL), 0); /* offsets 0,1 ts 100,101 */
    FR_CHECK_EQ_INT(append_batch(log, 2, 200, NULL), 0); /* offsets 2,3 ts 200,201 */
    int64_t low, off, ts;
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, 3, &low), 0);
    FR_CHECK_EQ_INT(fr_partlog_offset_for_time(log, 0, &off, &ts), 0);
    FR_CHECK_EQ_INT(off, 3);
    FR_CHECK_EQ_INT(ts, 201);
    FR_CHECK_EQ_INT(fr_partlog_offset_for_time(log, 150, &off, &ts), 0);
    FR_CHECK_EQ_INT(off, 3);
    FR_CHECK_EQ_INT(fr_partlog_offset_for_time(log, 202, &off, &ts), 0);
    FR_CHECK_EQ_INT(off, -1);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* ---- persistence ---- */

typedef struct ckpt_seen {
    char topic[64];
    int32_t partition;
    int64_t offset;
    int n;
} ckpt_seen_t;

static int collect(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    ckpt_seen_t *s = ctx;
    if (s->n++ == 1) { /* keep the second entry */
        snprintf(s->topic, sizeof(s->topic), "%s", topic);
        s->partition = partition;
        s->offset = offset;
    }
    return 0;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

FR_TEST(checkpoint_file_format) {
    char *tmp = make_tmp();
    char path[512], err[512], *text;
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", tmp, FR_LOG_START_OFFSET_CHECKPOINT);
    fr_offset_checkpoint_entry_t e[] = {{"orders", 0, 1500}, {"pay.ments-x_1", 12, 42}};
    FR_CHECK_EQ_INT(fr_offset_checkpoint_format(e, 2, &text, &len), 0);
    FR_CHECK_EQ_STR(text, "0\n2\norders 0 1500\npay.ments-x_1 12 42\n");
    FR_CHECK_EQ_INT(fr_offset_checkpoint_write_text(path, text, len), 0);
    free(text);
    ckpt_seen_t s = {0};
    FR_CHECK_EQ_INT(fr_offset_checkpoint_read(path, collect, &s, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(s.n, 2);
    FR_CHECK_EQ_STR(s.topic, "pay.ments-x_1");
    FR_CHECK_EQ_INT(s.partition, 12);
    FR_CHECK_EQ_INT(s.offset, 42);
    char tmpfile[600];
    snprintf(tmpfile, sizeof(tmpfile), "%s.tmp", path);
    FR_CHECK(access(tmpfile, F_OK) != 0);

    static const char *const bad[] = {
        "", "1\n0\n", "0\n", "0\n2\nt 0 5\n", "0\n1\nt 0 5\nu 1 6\n", "0\n1\nt x 5\n", "0\n1\nt 0\n",
        "0\n1\nt 0 99999999999999999999\n", "0\n1\n 0 5\n", "zero\n0\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(path, bad[i]);
        s = (ckpt_seen_t){0};
        int rc = fr_offset_checkpoint_read(path, collect, &s, err, sizeof(err));
        if (rc != FR_ERR_CORRUPT)
            fprintf(stderr, "case %zu: %d\n", i, rc);
        FR_CHECK_EQ_INT(rc, FR_ERR_CORRUPT);
        FR_CHECK(strstr(err, "line") != NULL);
    }
    write_text(path, "0\n0\n");
    FR_CHECK_EQ_INT(fr_offset_checkpoint_read(path, collect, &s, err, sizeof(err)), 0);
    write_text(path, "0\n1\nt 3 -1"); /* no final newline, negative offset: fine */
    FR_CHECK_EQ_INT(fr_offset_checkpoint_read(path, collect, &s, err, sizeof(err)), 0);
    unlink(path);
    FR_CHECK_EQ_INT(fr_offset_checkpoint_read(path, collect, &s, err, sizeof(err)), FR_ERR_NOT_FOUND);
    fr_rmtree(tmp);
    free(tmp);
}

static int restore_one(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    if (strcmp(topic, "topic") == 0 && partition == 0)
        fr_partlog_restore_start_offset(ctx, offset);
    return 0;
}

FR_TEST(log_start_offset_persists_across_reopen_with_the_checkpoint) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    char path[512], err[512], *text;
    size_t len;
    int64_t s, low;
    snprintf(path, sizeof(path), "%s/%s", tmp, FR_LOG_START_OFFSET_CHECKPOINT);
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    FR_CHECK_EQ_INT(fr_partlog_delete_records(log, 5, &low), 0);
    fr_retention_result_t res;
    fr_retention_policy_t keep = policy(-1, -1);
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &keep, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 2);
    fr_offset_checkpoint_entry_t e = {"topic", 0, res.log_start_offset};
    FR_CHECK_EQ_INT(fr_offset_checkpoint_format(&e, 1, &text, &len), 0);
    FR_CHECK_EQ_INT(fr_offset_checkpoint_write_text(path, text, len), 0);
    free(text);
    fr_partlog_close(log);

    /* without the checkpoint the log would start at its first segment (4) */
    fr_log_config_t c = one_batch_segments();
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 4);
    FR_CHECK_EQ_INT(fr_offset_checkpoint_read(path, restore_one, log, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 5);
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 4, 1 << 20, &rr), FR_ERR_OFFSET_OUT_OF_RANGE);
    /* a checkpoint past the log end (a lost tail) is capped */
    FR_CHECK_EQ_INT(fr_partlog_restore_start_offset(log, 100), 8);
    /* and it never goes back */
    FR_CHECK_EQ_INT(fr_partlog_restore_start_offset(log, 2), 8);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(leftover_deleted_files_are_removed_at_open) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t s;
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    fr_partlog_close(log);
    /* as if a crash came between the rename and the unlink */
    char from[512], to[512];
    snprintf(from, sizeof(from), "%s/00000000000000000000.log", dir);
    snprintf(to, sizeof(to), "%s/00000000000000000000.log.deleted", dir);
    FR_CHECK_EQ_INT(rename(from, to), 0);
    snprintf(from, sizeof(from), "%s/00000000000000000000.index", dir);
    snprintf(to, sizeof(to), "%s/00000000000000000000.index.deleted", dir);
    FR_CHECK_EQ_INT(rename(from, to), 0);
    fr_log_config_t c = one_batch_segments();
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    FR_CHECK(!file_exists(dir, "00000000000000000000.log.deleted"));
    FR_CHECK(!file_exists(dir, "00000000000000000000.index.deleted"));
    FR_CHECK_EQ_INT(fr_partlog_start_offset(log), 2);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 3);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* ---- in-flight fetches ---- */

FR_TEST(fetch_ref_reads_a_deleted_segment_until_released) {
    char *tmp = make_tmp();
    const char *dir = part_dir(tmp);
    int64_t s;
    fr_partlog_t *log = four_segments(dir, &s);
    if (!log) {
        FR_CHECK(0);
        return;
    }
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, 0, 1 << 20, &rr), 0);
    FR_CHECK_EQ_INT((int64_t)rr.len, s);
    uint8_t *before = malloc(rr.len), *after = malloc(rr.len);
    FR_CHECK_EQ_INT(pread(rr.fd, before, rr.len, rr.file_position), (ssize_t)rr.len);

    fr_retention_result_t res;
    fr_retention_policy_t p = policy(-1, 0); /* size 0: everything but an empty active segment */
    FR_CHECK_EQ_INT(fr_partlog_apply_retention(log, &p, 0, &res), 0);
    FR_CHECK_EQ_INT(res.segments_deleted, 4);
    FR_CHECK(!file_exists(dir, "00000000000000000000.log"));
    FR_CHECK(!file_exists(dir, "00000000000000000000.log.deleted"));

    /* the fetch still holds the file: same bytes, as sendfile would send them */
    FR_CHECK_EQ_INT(pread(rr.fd, after, rr.len, rr.file_position), (ssize_t)rr.len);
    FR_CHECK(memcmp(before, after, rr.len) == 0);
    fr_batch_header_t h;
    FR_CHECK_EQ_INT(fr_batch_parse_header(after, rr.len, &h), 0);
    FR_CHECK_EQ_INT(h.base_offset, 0);
    rr.unref(rr.ref); /* the last reference closes it */
    free(before);
    free(after);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

int main(void) {
    FR_RUN(time_retention_deletes_exactly_the_old_segments);
    FR_RUN(expired_active_segment_is_rolled_then_deleted);
    FR_RUN(size_retention_deletes_oldest_while_over_the_limit);
    FR_RUN(size_and_time_rules_combine_in_kafka_order);
    FR_RUN(delete_records_moves_the_log_start);
    FR_RUN(offset_for_time_starts_at_the_log_start);
    FR_RUN(checkpoint_file_format);
    FR_RUN(log_start_offset_persists_across_reopen_with_the_checkpoint);
    FR_RUN(leftover_deleted_files_are_removed_at_open);
    FR_RUN(fetch_ref_reads_a_deleted_segment_until_released);
    return fr_test_done();
}
