/* Log compaction merges the cleaned segments up to segment.bytes (Kafka's
 * groupSegmentsBySize) and puts each group in place so that a stop at any
 * step loses nothing (partlog_swap.c): groups by size, groups after an
 * emptied one, the disk as a stop leaves it mid-merge, and a replacement an
 * I/O error left pending. */
#include <stdio.h>

#include "compact_helpers.h"

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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.segments_cleaned, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N / 5 + 1);
    check_one_record_segments(log, N, -1);
    /* a larger segment.bytes merges the merged ones */
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    first_dirty = 0;
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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

/* What a merge of one-record segments 2, 3 and 4 writes when 3's record was cleaned away: 2's
 * and 4's batches, here into <2>.log.<suffix> ("cleaned" or "swap"). */
static void write_merge_of_2_and_4(const char *tmp, const char *suffix) {
    size_t l2, l4;
    uint8_t *s2 = slurp_segment(tmp, 2, &l2), *s4 = slurp_segment(tmp, 4, &l4);
    char path[600];
    snprintf(path, sizeof(path), "%s/%020d.log.%s", tmp, 2, suffix);
    FILE *f = fopen(path, "wb");
    FR_CHECK(f && fwrite(s2, 1, l2, f) == l2 && fwrite(s4, 1, l4, f) == l4);
    if (f)
        fclose(f);
    free(s2);
    free(s4);
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
    write_merge_of_2_and_4(tmp, how == 2 ? "cleaned" : "swap");
    char path[600], from[600];
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
            FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
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

/* Two-record segments {a,b} {c,d} {e,f} {e,g} {a,b} {c,d} {z} and a roll, cleaned in groups of two:
 * the first group empties (its first segment stays, emptied: the log's first), and the groups
 * after it are cleaned all the same: e@4 goes, superseded by e@6. */
FR_TEST(groups_after_an_emptied_one_are_cleaned_too) {
    static const char *const keys[] = {"a", "b", "c", "d", "e", "f", "e", "g", "a", "b", "c", "d", "z", "y"};
    static const char *const vals[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"};
    char *tmp;
    fr_log_config_t c;
    fr_partlog_t *log = open_default(&tmp, &c);
    c.segment_bytes = 100; /* a batch of two short records per segment */
    fr_partlog_set_config(log, &c);
    for (int i = 0; i < 14; i += 2)
        FR_CHECK_EQ_INT(append_kv(log, 0, i < 12 ? 2 : 1, keys + i, vals + i, 1000 + i), 0);
    const char *y = keys[13], *v13 = vals[13];
    FR_CHECK_EQ_INT(append_kv(log, 0, 1, &y, &v13, 2000), 0); /* rolls: z's segment is cleanable */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 8);
    c.segment_bytes = 2 * file_size_of(tmp, 0, ".log"); /* groups of two */
    fr_partlog_set_config(log, &c);
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0);
    FR_CHECK_EQ_INT(res.records_removed, 5); /* a b c d of the first group, and e@4 */
    seen_t *s = calloc(1, sizeof(*s));
    FR_CHECK_EQ_INT(read_all(log, s), 0);
    static const int64_t want[] = {5, 6, 7, 8, 9, 10, 11, 12, 13};
    FR_CHECK_EQ_INT(s->n, 9);
    for (int i = 0; i < s->n && i < 9; i++)
        FR_CHECK_EQ_INT(s->off[i], want[i]);
    free(s);
    /* 0 (emptied, the log's first), 4 (e f g), 8 (a b c d), 12 (z) and the active one */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 5);
    FR_CHECK_EQ_INT(file_size_of(tmp, 0, ".log"), 0);
    FR_CHECK_EQ_INT(file_size_of(tmp, 2, ".log"), -1);
    FR_CHECK(file_size_of(tmp, 4, ".log") > 0);
    FR_CHECK_EQ_INT(file_size_of(tmp, 6, ".log"), -1);
    fr_partlog_close(log);
    cleanup(tmp);
}

/* A replacement an I/O error left half done while the log was open (its swap still on disk) stops
 * every pass until the log is opened again, which finishes it: a pass meanwhile, grouping anew,
 * could put a merged segment over the swap's offsets, and the open would then put the swap back
 * on top of it. */
FR_TEST(a_pending_swap_stops_the_cleaner_until_the_next_open) {
    char *tmp;
    fr_log_config_t c;
    enum { N = 8 };
    fr_partlog_t *log = one_record_segments(&tmp, &c, N);
    write_merge_of_2_and_4(tmp, "swap");
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    fr_compact_policy_t p = policy(86400000);
    fr_compact_result_t res;
    int64_t first_dirty = 0;
    FR_CHECK(flush_and_compact(log, &p, 2000, &first_dirty, &res) != 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N + 1); /* nothing merged */
    FR_CHECK_EQ_INT(first_dirty, 0);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(tmp, &c, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), N + 1 - 2); /* the open finished it */
    check_one_record_segments(log, N, 3);
    first_dirty = 0;
    FR_CHECK_EQ_INT(flush_and_compact(log, &p, 2000, &first_dirty, &res), 0); /* and the cleaner runs again */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    check_one_record_segments(log, N, 3);
    fr_partlog_close(log);
    cleanup(tmp);
}

FR_TEST(an_interrupted_merge_is_finished_at_open) {
    interrupted_merge(0);
    interrupted_merge(1);
}

FR_TEST(a_merge_cut_short_before_its_swap_is_dropped) { interrupted_merge(2); }

int main(void) {
    FR_RUN(cleaned_segments_merge_up_to_segment_bytes);
    FR_RUN(groups_after_an_emptied_one_are_cleaned_too);
    FR_RUN(a_pending_swap_stops_the_cleaner_until_the_next_open);
    FR_RUN(an_interrupted_merge_is_finished_at_open);
    FR_RUN(a_merge_cut_short_before_its_swap_is_dropped);
    return fr_test_done();
}
