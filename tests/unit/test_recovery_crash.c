/*
 * Recovery after a crash and after a clean shutdown, on the fixture of
 * recovery_fixture.h: older segments written after the last flush (past the
 * recovery point) are scanned in full and cut at the first bad batch, the
 * later ones deleted; those below it are trusted; the recovery point follows
 * flushes; a roll asks for a flush; a clean open trusts the active segment
 * too.
 */
#include "recovery_fixture.h"

/* After a crash: an older segment that reaches the recovery point was written after the last
 * flush, so it is scanned in full; a bad batch in its middle is found, the segment is cut there
 * and becomes the active one, and the later segments go (Kafka's LogLoader.recoverLog). */
FR_TEST(unflushed_older_segment_is_scanned_and_cut) {
    int bad = 0;
    for (size_t s = 0; s + 1 < nsegs; s += 3) {
        const tb_t *b = second_batch_of(s);
        FR_CHECK(b != NULL);
        if (!b)
            continue;
        /* the recovery point at the segment's base, or inside it: either way it is unflushed */
        for (int64_t rp = seg_bases[s]; rp <= seg_bases[s] + 1; rp++) {
            restore();
            flip_record_byte(b);
            expect_t e = {b->base, 0, 0};
            char what[96];
            snprintf(what, sizeof(what), "segment %lld flipped, recovery point %lld", (long long)seg_bases[s],
                     (long long)rp);
            open_recovery_point = rp;
            bad += !reopen_and_check(&e, -1, what);
            open_recovery_point = INT64_MAX;
            char path[256];
            seg_path(path, sizeof(path), seg_bases[s], ".log");
            if (file_size(path) != b->position) { /* cut at the bad batch; the probe went to a new segment */
                fprintf(stderr, "%s: segment is %lld bytes, want %lld\n", what, (long long)file_size(path),
                        (long long)b->position);
                bad++;
            }
            for (size_t later = s + 1; later < nsegs; later++) {
                seg_path(path, sizeof(path), seg_bases[later], ".log");
                if (file_size(path) >= 0) {
                    fprintf(stderr, "%s: segment %lld is still there\n", what, (long long)seg_bases[later]);
                    bad++;
                }
            }
        }
    }
    FR_CHECK_EQ_INT(bad, 0);
}

/* A cut segment with a gap (compaction removes whole batches) is sealed, and appends go to a new
 * segment after it: the active segment allows no gap, so otherwise the next open would cut it
 * again, at the gap, and lose what came after. */
FR_TEST(a_cut_segment_with_a_gap_survives_the_next_open) {
    size_t s = nsegs / 3;
    const tb_t *b1 = batch_of(s, 1), *b2 = batch_of(s, 2), *b3 = batch_of(s, 3);
    FR_CHECK(b1 && b2 && b3 && b3->segment == seg_bases[s]);
    if (!b1 || !b2 || !b3)
        return;
    restore();
    char path[256];
    seg_path(path, sizeof(path), seg_bases[s], ".log");
    size_t len;
    uint8_t *data = slurp(path, &len);
    memmove(data + b1->position, data + b1->position + b1->len, len - (size_t)b1->position - b1->len);
    len -= b1->len;
    data[b3->position - (int64_t)b1->len + 61 + 2] ^= 0x20; /* and damage batch 3, now past the gap */
    spit(path, data, len);
    free(data);
    for (int x = 0; x < 2; x++) { /* the indexes no longer match: gone, as after a crash that tore them */
        seg_path(path, sizeof(path), seg_bases[s], x ? ".index" : ".timeindex");
        unlink(path);
    }
    expect_t e = {b3->base, b1->base, b2->base};
    open_recovery_point = seg_bases[s];
    FR_CHECK_EQ_INT(reopen_and_check(&e, -1, "cut after a gap"), 1); /* appends a 2-record probe */
    open_recovery_point = INT64_MAX;
    seg_path(path, sizeof(path), b3->base, ".log");
    FR_CHECK(file_size(path) > 0); /* the probe went to a segment of its own */
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), b3->base + 2);
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, b1->base, 1, &rr), 0); /* the gap reads from the next batch */
    FR_CHECK_EQ_INT(rr.file_position, b2->position - (int64_t)b1->len);
    if (rr.unref)
        rr.unref(rr.ref);
    FR_CHECK_EQ_INT(fr_partlog_read(log, b3->base + 1, 1 << 20, &rr), 0);
    FR_CHECK(rr.len > 0);
    if (rr.unref)
        rr.unref(rr.ref);
    fr_partlog_close(log);
}

/* A roll made by an append that then writes nothing (an idempotent producer's retry) is reported
 * by the next append that writes, so that the broker still flushes the rolled segment. */
FR_TEST(a_roll_is_reported_by_the_next_append_that_succeeds) {
    restore();
    fr_partlog_t *log;
    fr_log_config_t c = cfg;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    bb_record_t rec = {.key = "k", .key_len = 1, .value = "v", .value_len = 1, .timestamp = 200000};
    bb_batch_t b = bb_defaults();
    b.producer_id = 77;
    b.producer_epoch = 0;
    fr_append_info_t info;
    fr_writer_t w;
    fr_writer_init(&w);
    b.base_sequence = 0;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    c.segment_bytes = (int64_t)w.len + 10; /* the next append rolls (the active segment holds more) */
    fr_partlog_set_config(log, &c);
    size_t before = fr_partlog_segment_count(log);
    fr_writer_reset(&w);
    b.base_sequence = 0; /* a retry of the first: a duplicate, found after the roll */
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 1);
    FR_CHECK_EQ_INT(info.rolled, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), before + 1);
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    fr_writer_reset(&w);
    b.base_sequence = 1;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.rolled, 1);
    fr_writer_reset(&w);
    b.base_sequence = 2;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.rolled, 0);
    fr_writer_free(&w);
    fr_partlog_close(log);
}

/* Below the recovery point a segment was fsynced before the crash and is trusted: the same
 * damage is not looked for (that is what the recovery point saves at start), nothing is cut. */
FR_TEST(flushed_older_segment_is_trusted) {
    size_t s = nsegs / 2;
    const tb_t *b = second_batch_of(s);
    FR_CHECK(b != NULL);
    restore();
    flip_record_byte(b);
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_from(dir, &cfg, seg_bases[s + 1], &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), full().leo);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), seg_bases[s + 1]);
    fr_partlog_close(log);
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    FR_CHECK(file_size(path) > 0);
}

/* The recovery point moves only with flushes, to the log end each one covered; a roll says so. */
FR_TEST(recovery_point_follows_flushes) {
    restore();
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_from(dir, &cfg, 5, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), 5);
    int64_t leo = fr_partlog_end_offset(log);
    int rolled = 0;
    for (int i = 0; i < 40; i++) {
        fr_writer_t w;
        fr_writer_init(&w);
        bb_build_simple(&w, 2, 100, 200000 + i, 9);
        fr_append_info_t info;
        FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
        rolled += info.rolled;
        if (info.rolled) { /* the new segment starts with this append */
            char path[256];
            seg_path(path, sizeof(path), info.base_offset, ".log");
            FR_CHECK(file_size(path) > 0);
        }
        fr_writer_free(&w);
    }
    FR_CHECK(rolled >= 1);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), 5);
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), leo + 80);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), leo + 80); /* a clean open: all of it */
    fr_partlog_close(log);
}

/* After a clean shutdown nothing is scanned, the active segment included (Kafka skips recovery
 * then): a flipped byte in the active segment's first batch, where a scan would cut, is not looked
 * for.  The cheaply loaded active segment takes appends and reads like a scanned one, and a
 * scanning open afterwards finds the files it left consistent. */
FR_TEST(a_clean_open_trusts_the_active_segment) {
    const tb_t *first = batch_of(nsegs - 1, 0);
    FR_CHECK(first != NULL);
    if (!first)
        return;
    restore();
    flip_record_byte(first);
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_clean(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), full().leo);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0); /* a scan finds the damage */
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), active_base());
    fr_partlog_close(log);

    restore();
    expect_t e = full();
    FR_CHECK_EQ_INT(fr_partlog_open_clean(dir, &cfg, &log), 0);
    for (int64_t o = 0; o < e.leo; o += 5)
        FR_CHECK(read_ok(log, o, o % 2 ? 1 : 1 << 20, &e));
    FR_CHECK(times_ok(log, &e));
    fr_writer_t w;
    fr_writer_init(&w);
    bb_build_simple(&w, 2, 10, 200000, 5);
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, e.leo);
    fr_writer_free(&w);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), e.leo + 2);
    int64_t off, ts;
    FR_CHECK_EQ_INT(fr_partlog_offset_for_time(log, 200000, &off, &ts), 0);
    FR_CHECK_EQ_INT(off, e.leo);
    fr_partlog_close(log);
}

/* A clean open still scans an active segment whose files disagree: here a tail cut mid-batch. */
FR_TEST(a_clean_open_still_repairs_what_does_not_match) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    restore();
    int64_t size = file_size(path), end;
    truncate_file(path, size - 10);
    int64_t leo = leo_if_active_keeps(size - 10, &end);
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_clean(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(file_size(path), end);
}

int main(void) {
    fixture_setup();
    FR_RUN(unflushed_older_segment_is_scanned_and_cut);
    FR_RUN(flushed_older_segment_is_trusted);
    FR_RUN(a_cut_segment_with_a_gap_survives_the_next_open);
    FR_RUN(a_roll_is_reported_by_the_next_append_that_succeeds);
    FR_RUN(recovery_point_follows_flushes);
    FR_RUN(a_clean_open_trusts_the_active_segment);
    FR_RUN(a_clean_open_still_repairs_what_does_not_match);
    fixture_free();
    return fr_test_done();
}
