/* Idempotent producer state: Kafka's sequence and epoch rules, duplicates of
 * each of the last 5 batches, sequence wrap, multi-batch requests (all or
 * nothing), the hash table under growth and expiry, snapshot encoding, and
 * the partition log's snapshots and rebuild across reopen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_fs.h"
#include "fr_partlog.h"
#include "fr_test.h"
#include "producer_state.h"

/* ---- helpers ---- */

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-pstate-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

/* A header as the log sees it: n records from sequence seq. */
static fr_batch_header_t hdr(int64_t pid, int16_t epoch, int32_t seq, int n) {
    return (fr_batch_header_t){.magic = 2, .producer_id = pid, .producer_epoch = epoch, .base_sequence = seq,
                               .last_offset_delta = n - 1, .records_count = n, .max_timestamp = 1000 + (int64_t)seq};
}

/* One check-and-commit append of a single batch at first_offset; returns the rule's answer. */
static int append1(fr_producer_state_t *ps, fr_batch_header_t h, int64_t first_offset, int *dup,
                    int64_t *dup_offset) {
    fr_producer_append_t a;
    fr_producer_append_begin(&a, ps, 5000);
    int rc = fr_producer_append_batch(&a, &h, first_offset);
    *dup = a.duplicates;
    if (dup_offset)
        *dup_offset = a.duplicates ? a.first_dup.first_offset : -1;
    if (rc || a.duplicates)
        fr_producer_append_abort(&a);
    else
        fr_producer_append_commit(&a);
    return rc;
}

#define EXPECT_APPEND(ps, h, off, want_rc, want_dup)                   \
    do {                                                               \
        int d_;                                                        \
        FR_CHECK_EQ_INT(append1((ps), (h), (off), &d_, NULL), (want_rc)); \
        FR_CHECK_EQ_INT(d_, (want_dup));                               \
    } while (0)

/* Appends n records as one idempotent batch to w. */
/* Today, as the batches' timestamps: a reopened log forgets producers whose
 * newest batch is older than producer.id.expiration.ms (a day), as Kafka does. */
static int64_t today_ms(void) {
    static int64_t t;
    if (!t)
        t = (int64_t)time(NULL) * 1000;
    return t;
}

static void put_batch_at(fr_writer_t *w, int64_t pid, int16_t epoch, int32_t seq, int n, int64_t ts) {
    bb_batch_t b = bb_defaults();
    bb_record_t recs[16];
    char vals[16][16];
    b.producer_id = pid;
    b.producer_epoch = epoch;
    b.base_sequence = seq;
    for (int i = 0; i < n; i++) {
        int len = snprintf(vals[i], sizeof(vals[i]), "s%d", seq + i);
        recs[i] = (bb_record_t){.key = NULL, .key_len = -1, .value = vals[i], .value_len = len,
                                .timestamp = ts + seq + i};
    }
    bb_build(w, &b, recs, n);
}

static void put_batch(fr_writer_t *w, int64_t pid, int16_t epoch, int32_t seq, int n) {
    put_batch_at(w, pid, epoch, seq, n, today_ms());
}

/* Appends one request made of the batches in w; returns fr_partlog_append's answer. */
static int log_append(fr_partlog_t *log, fr_writer_t *w, fr_append_info_t *info) {
    return fr_partlog_append(log, w->buf, w->len, today_ms(), info);
}

static int append_batch(fr_partlog_t *log, int64_t pid, int16_t epoch, int32_t seq, int n, fr_append_info_t *info) {
    fr_writer_t w;
    fr_writer_init(&w);
    put_batch(&w, pid, epoch, seq, n);
    int rc = log_append(log, &w, info);
    fr_writer_free(&w);
    return rc;
}

static int count_snapshots(const char *dir, int64_t *newest) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    *newest = -1;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len == 29 && strcmp(e->d_name + 20, ".snapshot") == 0) {
            int64_t off = strtoll(e->d_name, NULL, 10);
            if (off > *newest)
                *newest = off;
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static void snapshot_path(char *buf, size_t n, const char *dir, int64_t off) {
    snprintf(buf, n, "%s/%020lld.snapshot", dir, (long long)off);
}

/* ---- the rules, on the state alone ---- */

FR_TEST(sequence_rules) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    EXPECT_APPEND(&ps, hdr(7, 0, 0, 5), 0, 0, 0);
    EXPECT_APPEND(&ps, hdr(7, 0, 5, 5), 5, 0, 0);
    EXPECT_APPEND(&ps, hdr(7, 0, 11, 1), 10, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0); /* gap */
    EXPECT_APPEND(&ps, hdr(7, 0, 9, 1), 10, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);  /* overlap */
    EXPECT_APPEND(&ps, hdr(7, 0, 5, 3), 10, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);  /* same start, other end */
    EXPECT_APPEND(&ps, hdr(7, 0, 10, 2), 10, 0, 0);
    fr_producer_entry_t *e = fr_producer_state_find(&ps, 7);
    FR_CHECK(e != NULL);
    if (e) {
        FR_CHECK_EQ_INT(e->nbatches, 3);
        FR_CHECK_EQ_INT(fr_producer_entry_batch(e, 0)->last_seq, 11);
        FR_CHECK_EQ_INT(fr_producer_entry_batch(e, 0)->last_offset, 11);
        FR_CHECK_EQ_INT(fr_producer_entry_batch(e, 2)->first_offset, 0);
    }
    /* another producer on the same partition is independent */
    EXPECT_APPEND(&ps, hdr(8, 3, 0, 1), 12, 0, 0);
    EXPECT_APPEND(&ps, hdr(7, 0, 12, 1), 13, 0, 0);
    /* an unknown producer (its state expired, say) goes on from any sequence,
     * and is held to it from then on */
    EXPECT_APPEND(&ps, hdr(9, 2, 40, 2), 14, 0, 0);
    e = fr_producer_state_find(&ps, 9);
    FR_CHECK(e && e->epoch == 2 && e->nbatches == 1);
    EXPECT_APPEND(&ps, hdr(9, 2, 40, 2), 99, 0, 1); /* its retry is a duplicate */
    EXPECT_APPEND(&ps, hdr(9, 2, 43, 1), 16, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);
    EXPECT_APPEND(&ps, hdr(9, 2, 42, 1), 16, 0, 0);
    fr_producer_state_free(&ps);
}

FR_TEST(duplicates_of_each_of_the_last_five) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    /* 7 batches of 2 records: seq 2i..2i+1 at offsets 100+2i.. */
    for (int i = 0; i < 7; i++)
        EXPECT_APPEND(&ps, hdr(1, 0, 2 * i, 2), 100 + 2 * i, 0, 0);
    for (int i = 2; i < 7; i++) {
        int dup;
        int64_t off;
        FR_CHECK_EQ_INT(append1(&ps, hdr(1, 0, 2 * i, 2), 999, &dup, &off), 0);
        FR_CHECK_EQ_INT(dup, 1);
        FR_CHECK_EQ_INT(off, 100 + 2 * i); /* the original offset, not the one offered */
    }
    /* the 6th newest fell out of the window: no longer recognised */
    EXPECT_APPEND(&ps, hdr(1, 0, 2, 2), 999, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);
    /* a duplicate changes nothing: the next in sequence still goes in */
    EXPECT_APPEND(&ps, hdr(1, 0, 14, 1), 114, 0, 0);
    /* the same sequences under a newer epoch are not duplicates (new epoch must start at 0) */
    EXPECT_APPEND(&ps, hdr(1, 1, 12, 2), 999, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);
    fr_producer_state_free(&ps);
}

FR_TEST(sequence_wraps_past_int32_max) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    fr_batch_header_t h = hdr(2, 0, INT32_MAX - 3, 3); /* ..INT32_MAX - 1, seeded as recovery would */
    h.base_offset = 0;
    FR_CHECK_EQ_INT(fr_producer_last_seq(&h), INT32_MAX - 1);
    FR_CHECK_EQ_INT(fr_producer_state_replay(&ps, &h), 0);
    h = hdr(2, 0, INT32_MAX, 3); /* INT32_MAX, 0, 1 */
    FR_CHECK_EQ_INT(fr_producer_last_seq(&h), 1);
    EXPECT_APPEND(&ps, h, 3, 0, 0);
    EXPECT_APPEND(&ps, hdr(2, 0, INT32_MAX, 3), 50, 0, 1); /* its retry */
    EXPECT_APPEND(&ps, hdr(2, 0, 3, 1), 6, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0);
    EXPECT_APPEND(&ps, hdr(2, 0, 2, 1), 6, 0, 0);
    /* a batch ending exactly at INT32_MAX is followed by 0 */
    h = hdr(3, 0, INT32_MAX - 1, 2);
    h.base_offset = 10;
    fr_producer_state_replay(&ps, &h);
    EXPECT_APPEND(&ps, hdr(3, 0, 0, 1), 12, 0, 0);
    fr_producer_state_free(&ps);
}

FR_TEST(epoch_bump_and_fence) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    EXPECT_APPEND(&ps, hdr(4, 2, 0, 3), 0, 0, 0);
    EXPECT_APPEND(&ps, hdr(4, 1, 3, 1), 3, FR_ERR_INVALID_PRODUCER_EPOCH, 0); /* fenced */
    EXPECT_APPEND(&ps, hdr(4, 1, 0, 3), 3, FR_ERR_INVALID_PRODUCER_EPOCH, 0); /* even a "duplicate" */
    EXPECT_APPEND(&ps, hdr(4, 3, 5, 1), 3, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 0); /* new epoch not at 0 */
    EXPECT_APPEND(&ps, hdr(4, 3, 0, 2), 3, 0, 0);
    fr_producer_entry_t *e = fr_producer_state_find(&ps, 4);
    FR_CHECK(e && e->epoch == 3 && e->nbatches == 1);
    EXPECT_APPEND(&ps, hdr(4, 2, 3, 1), 5, FR_ERR_INVALID_PRODUCER_EPOCH, 0); /* the old epoch is fenced now */
    EXPECT_APPEND(&ps, hdr(4, 3, 2, 1), 5, 0, 0);
    fr_producer_state_free(&ps);
}

FR_TEST(abort_restores_every_touched_entry) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    EXPECT_APPEND(&ps, hdr(10, 0, 0, 1), 0, 0, 0);
    fr_producer_entry_t before = *fr_producer_state_find(&ps, 10);

    fr_producer_append_t a;
    fr_producer_append_begin(&a, &ps, 9000);
    FR_CHECK_EQ_INT(fr_producer_append_batch(&a, &(fr_batch_header_t){.producer_id = 10, .base_sequence = 1}, 1), 0);
    fr_batch_header_t h = hdr(10, 0, 2, 4);
    FR_CHECK_EQ_INT(fr_producer_append_batch(&a, &h, 2), 0); /* chained on the pending one */
    for (int64_t pid = 100; pid < 140; pid++) {             /* new producers: the table grows */
        h = hdr(pid, 0, 0, 1);
        FR_CHECK_EQ_INT(fr_producer_append_batch(&a, &h, 6 + pid), 0);
    }
    h = hdr(10, 1, 4, 1);
    FR_CHECK_EQ_INT(fr_producer_append_batch(&a, &h, 200), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER); /* new epoch, not 0 */
    fr_producer_append_abort(&a);

    FR_CHECK_EQ_INT(ps.count, 1);
    fr_producer_entry_t *e = fr_producer_state_find(&ps, 10);
    FR_CHECK(e && memcmp(e, &before, sizeof(before)) == 0);
    for (int64_t pid = 100; pid < 140; pid++)
        FR_CHECK(fr_producer_state_find(&ps, pid) == NULL);
    EXPECT_APPEND(&ps, hdr(10, 0, 1, 1), 1, 0, 0);
    fr_producer_state_free(&ps);
}

FR_TEST(table_growth_removal_and_expiry) {
    fr_producer_state_t ps;
    fr_producer_state_init(&ps);
    for (int64_t pid = 0; pid < 3000; pid++) {
        fr_producer_append_t a;
        fr_producer_append_begin(&a, &ps, 70000); /* the broker's clock does not count: */
        fr_batch_header_t h = hdr(pid * 7919, 0, 0, 1);
        h.max_timestamp = pid % 2 ? 1000 : 50000; /* the batches' timestamps do (Kafka's lastTimestamp) */
        FR_CHECK_EQ_INT(fr_producer_append_batch(&a, &h, pid), 0);
        fr_producer_append_commit(&a);
    }
    FR_CHECK_EQ_INT(ps.count, 3000);
    FR_CHECK_EQ_INT(fr_producer_state_max_id(&ps), 2999 * 7919);
    ps.expiration_ms = 30000;
    FR_CHECK_EQ_INT(fr_producer_state_expire(&ps, 50000 + 29999), 1500); /* 1000 + 30000 <= now < 50000 + 30000 */
    FR_CHECK_EQ_INT(ps.count, 1500);
    int bad = 0;
    for (int64_t pid = 0; pid < 3000; pid++) {
        fr_producer_entry_t *e = fr_producer_state_find(&ps, pid * 7919);
        if ((pid % 2 == 0) != (e != NULL) || (e && fr_producer_entry_batch(e, 0)->first_offset != pid))
            bad++;
    }
    FR_CHECK_EQ_INT(bad, 0);
    fr_producer_state_free(&ps);
}

/* ---- snapshot encoding ---- */

FR_TEST(snapshot_roundtrip_and_corruption) {
    fr_producer_state_t ps, back;
    fr_producer_state_init(&ps);
    fr_producer_state_init(&back);
    for (int64_t pid = 1; pid <= 20; pid++)
        for (int i = 0; i < (int)(pid % 7) + 1; i++) /* 1..7: some rings wrap */
            EXPECT_APPEND(&ps, hdr(pid, (int16_t)(pid % 3), 3 * i, 3), pid * 1000 + 3 * i, 0, 0);
    fr_writer_t w;
    fr_writer_init(&w);
    fr_producer_state_encode(&ps, 50000, &w);
    const char *why = NULL;
    FR_CHECK_EQ_INT(fr_producer_state_decode(&back, w.buf, w.len, 50000, &why), 0);
    FR_CHECK_EQ_INT(back.count, ps.count);
    int bad = 0;
    for (int64_t pid = 1; pid <= 20; pid++) {
        fr_producer_entry_t *a = fr_producer_state_find(&ps, pid), *b = fr_producer_state_find(&back, pid);
        if (!a || !b || a->epoch != b->epoch || a->nbatches != b->nbatches) {
            bad++;
            continue;
        }
        for (int i = 0; i < a->nbatches; i++)
            bad += memcmp(fr_producer_entry_batch(a, i), fr_producer_entry_batch(b, i), sizeof(fr_producer_batch_t)) != 0;
    }
    FR_CHECK_EQ_INT(bad, 0);

    /* wrong offset, every flipped byte, every truncation: refused, state left empty */
    FR_CHECK_EQ_INT(fr_producer_state_decode(&back, w.buf, w.len, 50001, &why), FR_ERR_CORRUPT);
    FR_CHECK_EQ_INT(back.count, 0);
    int accepted = 0;
    for (size_t i = 0; i < w.len; i++) {
        w.buf[i] ^= 0x40;
        accepted += fr_producer_state_decode(&back, w.buf, w.len, 50000, &why) != FR_ERR_CORRUPT;
        w.buf[i] ^= 0x40;
    }
    for (size_t len = 0; len < w.len; len++)
        accepted += fr_producer_state_decode(&back, w.buf, len, 50000, &why) != FR_ERR_CORRUPT;
    FR_CHECK_EQ_INT(accepted, 0);
    FR_CHECK_EQ_INT(back.count, 0);

    /* an empty state is a valid snapshot too */
    fr_producer_state_t empty;
    fr_producer_state_init(&empty);
    fr_writer_reset(&w);
    fr_producer_state_encode(&empty, 0, &w);
    FR_CHECK_EQ_INT(fr_producer_state_decode(&back, w.buf, w.len, 0, &why), 0);
    FR_CHECK_EQ_INT(back.count, 0);
    fr_writer_free(&w);
    fr_producer_state_free(&ps);
    fr_producer_state_free(&back);
    fr_producer_state_free(&empty);
}

/* ---- through the partition log ---- */

FR_TEST(partlog_duplicates_and_errors) {
    char *tmp = make_tmp();
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    fr_partlog_t *log;
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);

    /* a plain batch, then producer 5's first three */
    fr_writer_t w;
    fr_writer_init(&w);
    bb_build_simple(&w, 2, 10, 1700000000000LL, 1);
    FR_CHECK_EQ_INT(log_append(log, &w, &info), 0);
    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 0, 3, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, 2);
    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 3, 3, &info), 0);
    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 6, 3, &info), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 11);

    /* the retry of the middle one: NONE, its original offsets, nothing appended */
    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 3, 3, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 1);
    FR_CHECK_EQ_INT(info.base_offset, 5);
    FR_CHECK_EQ_INT(info.last_offset, 7);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 11);

    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 10, 1, &info), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    FR_CHECK_EQ_INT(append_batch(log, 5, 1, 9, 1, &info), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER); /* new epoch, not 0 */
    /* an epoch below the producer's, -1 too, is fenced: Kafka checks no epoch in LogValidator; a
     * producer this partition does not know cannot start at a negative epoch (snapshots keep none) */
    FR_CHECK_EQ_INT(append_batch(log, 5, -1, 9, 1, &info), FR_ERR_INVALID_PRODUCER_EPOCH);
    FR_CHECK_EQ_INT(append_batch(log, 77, -1, 0, 1, &info), FR_ERR_INVALID_RECORD);
    FR_CHECK_EQ_INT(append_batch(log, 5, 1, 0, 1, &info), 0);                      /* epoch bump */
    FR_CHECK_EQ_INT(info.duplicate, 0);
    FR_CHECK_EQ_INT(append_batch(log, 5, 0, 9, 1, &info), FR_ERR_INVALID_PRODUCER_EPOCH);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 12);

    /* several batches in one request: all checked before any is written */
    fr_writer_reset(&w);
    put_batch(&w, 5, 1, 1, 2);
    put_batch(&w, 5, 1, 3, 2);
    put_batch(&w, 9, 0, 0, 1); /* a new producer in the same request */
    FR_CHECK_EQ_INT(log_append(log, &w, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, 12);
    FR_CHECK_EQ_INT(info.last_offset, 16);
    fr_writer_t w2;
    fr_writer_init(&w2);
    put_batch(&w2, 5, 1, 5, 2);
    put_batch(&w2, 7, 0, 0, 1);
    put_batch(&w2, 9, 0, 2, 1); /* gap: the whole request fails */
    FR_CHECK_EQ_INT(log_append(log, &w2, &info), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 17);
    FR_CHECK_EQ_INT(append_batch(log, 5, 1, 5, 2, &info), 0); /* 5 was rolled back */
    FR_CHECK_EQ_INT(info.base_offset, 17);
    FR_CHECK_EQ_INT(append_batch(log, 7, 0, 0, 1, &info), 0); /* so was 7: its seq 0 is new, not a retry */
    FR_CHECK_EQ_INT(info.duplicate, 0);
    FR_CHECK_EQ_INT(info.base_offset, 19);

    /* the retry of the three-batch request: a duplicate, answered with its first offset */
    FR_CHECK_EQ_INT(log_append(log, &w, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 1);
    FR_CHECK_EQ_INT(info.base_offset, 12);
    FR_CHECK_EQ_INT(info.last_offset, 16);
    /* a duplicate mixed with a new batch is refused whole */
    fr_writer_reset(&w2);
    put_batch(&w2, 5, 1, 5, 2);
    put_batch(&w2, 5, 1, 7, 1);
    FR_CHECK_EQ_INT(log_append(log, &w2, &info), FR_ERR_INVALID_RECORD);
    FR_CHECK_EQ_INT(append_batch(log, 5, 1, 7, 1, &info), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 21);

    fr_writer_free(&w);
    fr_writer_free(&w2);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

/* Producers 1..3 appending rounds of batches; returns the next sequence of each. */
static void produce_rounds(fr_partlog_t *log, int rounds, int32_t seq[4]) {
    fr_append_info_t info;
    for (int r = 0; r < rounds; r++) {
        for (int pid = 1; pid <= 3; pid++) {
            FR_CHECK_EQ_INT(append_batch(log, pid, 0, seq[pid], 4, &info), 0);
            seq[pid] += 4;
        }
    }
}

/* After a reopen, every producer's last 5 batches are still recognised and the next goes in. */
static void check_state_survived(fr_partlog_t *log, int32_t seq[4]) {
    fr_append_info_t info;
    for (int pid = 1; pid <= 3; pid++) {
        for (int k = 1; k <= 5; k++) {
            FR_CHECK_EQ_INT(append_batch(log, pid, 0, seq[pid] - 4 * k, 4, &info), 0);
            FR_CHECK_EQ_INT(info.duplicate, 1);
        }
        FR_CHECK_EQ_INT(append_batch(log, pid, 0, seq[pid] - 24, 4, &info), FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    }
    int64_t end = fr_partlog_end_offset(log);
    for (int pid = 1; pid <= 3; pid++) {
        FR_CHECK_EQ_INT(append_batch(log, pid, 0, seq[pid], 4, &info), 0);
        FR_CHECK_EQ_INT(info.duplicate, 0);
        seq[pid] += 4;
    }
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), end + 12);
}

FR_TEST(snapshots_at_roll_and_close_and_rebuild) {
    char *tmp = make_tmp();
    char path[512];
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.segment_bytes = 2000; /* a roll every ~20 batches */
    fr_partlog_t *log;
    int32_t seq[4] = {0, 0, 0, 0};
    int64_t newest;

    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    produce_rounds(log, 30, seq);
    FR_CHECK(fr_partlog_segment_count(log) > 3);
    FR_CHECK_EQ_INT(count_snapshots(tmp, &newest), 2); /* the two newest rolls */
    int64_t end = fr_partlog_end_offset(log);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(count_snapshots(tmp, &newest), 2);
    FR_CHECK_EQ_INT(newest, end);

    /* 1: clean reopen from the close snapshot */
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    check_state_survived(log, seq);
    produce_rounds(log, 1, seq); /* the last batches sit after the newest roll */
    end = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* 2: as after kill -9: the close snapshot never written; replay from the last roll */
    snapshot_path(path, sizeof(path), tmp, end);
    FR_CHECK_EQ_INT(unlink(path), 0);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    check_state_survived(log, seq);
    end = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* 3: a corrupt newest snapshot: ignored, the older one plus a longer replay */
    snapshot_path(path, sizeof(path), tmp, end);
    int fd = open(path, O_WRONLY);
    FR_CHECK(fd >= 0 && pwrite(fd, "\xff\xff", 2, 24) == 2);
    close(fd);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    FR_CHECK_EQ_INT(access(path, F_OK), -1); /* the corrupt one was removed */
    check_state_survived(log, seq);
    end = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* 4: no snapshot at all: rebuilt from every segment's headers */
    DIR *d = opendir(tmp);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".snapshot")) {
            snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    check_state_survived(log, seq);
    end = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* 5: a snapshot past the log end (the log lost its tail) is not believed */
    snapshot_path(path, sizeof(path), tmp, end + 100);
    char newest_path[512];
    snapshot_path(newest_path, sizeof(newest_path), tmp, end);
    FR_CHECK_EQ_INT(rename(newest_path, path), 0);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    FR_CHECK_EQ_INT(access(path, F_OK), -1);
    check_state_survived(log, seq);
    fr_partlog_close(log);

    /* 6: a leftover .tmp from a crash mid-write is cleaned up */
    snprintf(path, sizeof(path), "%s/%020d.snapshot.tmp", tmp, 3);
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    close(fd);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    FR_CHECK_EQ_INT(access(path, F_OK), -1);
    check_state_survived(log, seq);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(a_reopened_log_forgets_producers_whose_records_are_a_day_old) {
    char *tmp = make_tmp();
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    fr_partlog_t *log;
    fr_append_info_t info;
    fr_writer_t w;
    fr_writer_init(&w);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    put_batch_at(&w, 1, 0, 0, 2, today_ms() - 2 * 86400000LL); /* records from two days ago */
    FR_CHECK_EQ_INT(log_append(log, &w, &info), 0);
    FR_CHECK_EQ_INT(append_batch(log, 2, 0, 0, 2, &info), 0); /* and today's */
    FR_CHECK_EQ_INT(log_append(log, &w, &info), 0);           /* no check ran since: still a retry */
    FR_CHECK_EQ_INT(info.duplicate, 1);
    int64_t end = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* from the close snapshot; then, that one gone, from the one before and the log after it */
    for (int from_log = 0; from_log < 2; from_log++) {
        if (from_log) {
            char path[512];
            snapshot_path(path, sizeof(path), tmp, end);
            FR_CHECK_EQ_INT(unlink(path), 0);
        }
        FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
        FR_CHECK_EQ_INT(append_batch(log, 2, 0, 0, 2, &info), 0); /* today's producer is remembered */
        FR_CHECK_EQ_INT(info.duplicate, 1);
        end = fr_partlog_end_offset(log);
        FR_CHECK_EQ_INT(log_append(log, &w, &info), 0); /* the old one is not: its retry goes in again */
        FR_CHECK_EQ_INT(info.duplicate, 0);
        FR_CHECK_EQ_INT(info.base_offset, end);
        end = fr_partlog_end_offset(log);
        fr_partlog_close(log);
    }
    fr_writer_free(&w);
    fr_rmtree(tmp);
    free(tmp);
}

FR_TEST(torn_tail_drops_the_lost_batches_from_the_state) {
    char *tmp = make_tmp();
    char path[512];
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    fr_partlog_t *log;
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    FR_CHECK_EQ_INT(append_batch(log, 1, 0, 0, 2, &info), 0);
    FR_CHECK_EQ_INT(append_batch(log, 1, 0, 2, 2, &info), 0);
    fr_partlog_close(log); /* snapshot at 4 */

    /* cut the last batch in half: recovery truncates it, and the snapshot (at 4) is past the cut */
    snprintf(path, sizeof(path), "%s/%020d.log", tmp, 0);
    struct stat st;
    stat(path, &st);
    FR_CHECK_EQ_INT(truncate(path, st.st_size - 10), 0);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), 2);
    /* the lost batch is not a duplicate: its resend goes in again, at offset 2 */
    FR_CHECK_EQ_INT(append_batch(log, 1, 0, 2, 2, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 0);
    FR_CHECK_EQ_INT(info.base_offset, 2);
    fr_partlog_close(log);
    fr_rmtree(tmp);
    free(tmp);
}

int main(void) {
    FR_RUN(sequence_rules);
    FR_RUN(duplicates_of_each_of_the_last_five);
    FR_RUN(sequence_wraps_past_int32_max);
    FR_RUN(epoch_bump_and_fence);
    FR_RUN(abort_restores_every_touched_entry);
    FR_RUN(table_growth_removal_and_expiry);
    FR_RUN(snapshot_roundtrip_and_corruption);
    FR_RUN(partlog_duplicates_and_errors);
    FR_RUN(snapshots_at_roll_and_close_and_rebuild);
    FR_RUN(a_reopened_log_forgets_producers_whose_records_are_a_day_old);
    FR_RUN(torn_tail_drops_the_lost_batches_from_the_state);
    return fr_test_done();
}
