/* Windowed KStream-KStream joins: the semantics table of Kafka's dsl-api
 * docs row by row (inner, left, outer; unmatched left/outer results only
 * once their window has closed), the exact closing boundary, before/after
 * windows, duplicates, late and out-of-order records, describe() names. */
#include "fr_task.h"
#include "test_join_helpers.h"

typedef enum { INNER, LEFT, OUTER } mode_t_;

static fr_test_driver_t *open_join(mode_t_ mode, fr_join_windows_t w, const char *app, fr_topology_t **tp,
                                   fr_streams_config_t **cfgp) {
    fr_streams_config_t *cfg = join_config(app);
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *l = fr_builder_stream(b, "left", NULL), *r = fr_builder_stream(b, "right", NULL);
    fr_kstream_t *j = mode == INNER  ? fr_kstream_join(l, r, pair_joiner, NULL, w, NULL, NULL)
                      : mode == LEFT ? fr_kstream_left_join(l, r, pair_joiner, NULL, w, NULL, NULL)
                                     : fr_kstream_outer_join(l, r, pair_joiner, NULL, w, NULL, NULL);
    FR_CHECK_EQ_INT(fr_kstream_to(j, "out", NULL), 0);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    *tp = t;
    *cfgp = cfg;
    return d;
}

static void close_join(fr_test_driver_t *d, fr_topology_t *t, fr_streams_config_t *cfg) {
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

typedef struct row {
    int64_t ts;
    const char *left, *right;
    const char *inner, *left_join, *outer;
} row_t;

#define JOINED(x) x, x, x
static const row_t k_rows[] = {
    {1, "null", NULL, JOINED("")},
    {2, NULL, "null", JOINED("")},
    {3, "A", NULL, JOINED("")},
    {4, NULL, "a", JOINED("[A, a]")},
    {5, "B", NULL, JOINED("[B, a]")},
    {6, NULL, "b", JOINED("[A, b], [B, b]")},
    {7, "null", NULL, JOINED("")},
    {8, NULL, "null", JOINED("")},
    {9, "C", NULL, JOINED("[C, a], [C, b]")},
    {10, NULL, "c", JOINED("[A, c], [B, c], [C, c]")},
    {11, NULL, "null", JOINED("")},
    {12, "null", NULL, JOINED("")},
    {13, NULL, "null", JOINED("")},
    {14, NULL, "d", JOINED("[A, d], [B, d], [C, d]")},
    {15, "D", NULL, JOINED("[D, a], [D, b], [D, c], [D, d]")},
    {40, "E", NULL, JOINED("")},
    {60, "F", NULL, "", "[E, null]", "[E, null]"},
    {80, NULL, "f", "", "[F, null]", "[F, null]"},
    {100, "G", NULL, "", "", "[null, f]"},
};

/* The docs assume "a window of 15 seconds with a grace period of 5".  Kafka's
 * code closes a left record's window when ts + after + grace < stream time
 * (strictly), so the table's rows come out exactly with a time difference of
 * 14 (E at 40 closes at 60 > 59); time_difference_boundary pins 15. */
static void run_docs_table(mode_t_ mode) {
    static const char *const app[] = {"ss-inner", "ss-left", "ss-outer"};
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(mode, fr_join_windows_of(14, 5), app[mode], &t, &cfg);
    for (size_t i = 0; i < sizeof k_rows / sizeof *k_rows; i++) {
        const row_t *rw = &k_rows[i];
        const char *v = rw->left ? rw->left : rw->right;
        FR_CHECK_EQ_INT(pipe_s(d, rw->left ? "left" : "right", "k", strcmp(v, "null") ? v : NULL, rw->ts), 0);
        const char *want = mode == INNER ? rw->inner : mode == LEFT ? rw->left_join : rw->outer;
        const char *got = outputs(d, "out", 0);
        if (strcmp(got, want))
            fprintf(stderr, "  %s ts=%lld: got \"%s\", want \"%s\"\n", app[mode], (long long)rw->ts, got, want);
        FR_CHECK_EQ_STR(got, want);
    }
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped, 7); /* the seven null values */
    FR_CHECK_EQ_INT(m.dropped_late, 0);
    close_join(d, t, cfg);
}

FR_TEST(docs_table_inner) { run_docs_table(INNER); }
FR_TEST(docs_table_left) { run_docs_table(LEFT); }
FR_TEST(docs_table_outer) { run_docs_table(OUTER); }

/* Result timestamps are the larger of the pair; unmatched results keep their own. */
FR_TEST(result_timestamps_and_keys) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(OUTER, fr_join_windows_of(10, 0), "ss-ts", &t, &cfg);
    pipe_s(d, "left", "x", "X", 100);
    pipe_s(d, "right", "y", "y", 104); /* other key: no match */
    pipe_s(d, "right", "x", "x", 95);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "x:[X, x]@100");
    pipe_s(d, "left", "z", "Z", 200); /* closes y's window */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "y:[null, y]@104");
    close_join(d, t, cfg);
}

/* With a time difference of 15 and grace 5, E at 40 waits until stream time
 * passes 60, not reaches it. */
FR_TEST(time_difference_boundary) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(LEFT, fr_join_windows_of(15, 5), "ss-boundary", &t, &cfg);
    pipe_s(d, "left", "k", "E", 40);
    pipe_s(d, "left", "other", "F", 60);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "");
    pipe_s(d, "left", "other", "G", 61);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "k:[E, null]@40");
    close_join(d, t, cfg);
}

/* before 10, after 0: a left record joins right records from 10 ms before it
 * up to its own time, and a right record left records from its time up to 10 ms after. */
FR_TEST(before_and_after) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_join_windows_t w = fr_join_windows_after(fr_join_windows_before(fr_join_windows_no_grace(0), 10), 0);
    FR_CHECK_EQ_INT(w.before_ms, 10);
    FR_CHECK_EQ_INT(w.after_ms, 0);
    fr_test_driver_t *d = open_join(INNER, w, "ss-before-after", &t, &cfg);
    pipe_s(d, "right", "k", "r5", 5);
    pipe_s(d, "left", "k", "L10", 10); /* r5 is 5 before: joins */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[L10, r5]");
    pipe_s(d, "right", "k", "r15", 15); /* L10 would need r within [0, 10] */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "");
    pipe_s(d, "left", "k", "L20", 20); /* r15 within [10, 20]; r5 too old */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[L20, r15]");
    pipe_s(d, "right", "k", "r18", 18); /* left records within [18, 28]: L20 */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[L20, r18]");
    close_join(d, t, cfg);
}

/* Window stores keep duplicates: equal key and timestamp join separately. */
FR_TEST(duplicates_retained) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(INNER, fr_join_windows_no_grace(5), "ss-dups", &t, &cfg);
    pipe_s(d, "left", "k", "A1", 10);
    pipe_s(d, "left", "k", "A2", 10);
    pipe_s(d, "right", "k", "a", 12);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[A1, a], [A2, a]");
    close_join(d, t, cfg);
}

/* Records older than the stores' retention (before + after + grace) are not
 * kept and are counted as late; a later record cannot join them. */
FR_TEST(late_records_dropped_and_counted) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(INNER, fr_join_windows_no_grace(10), "ss-late", &t, &cfg);
    pipe_s(d, "left", "k", "A", 100);
    pipe_s(d, "right", "k", "a", 70); /* 70 <= 100 - 20: expired */
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    pipe_s(d, "right", "k", "b", 85); /* out of order but kept */
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "");
    pipe_s(d, "left", "k", "C", 78); /* a would match, but was not kept; C is late itself */
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 2);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[C, b]");
    pipe_s(d, "left", "k", "D", 90);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[D, b]");
    close_join(d, t, cfg);
}

/* Within grace, an out-of-order left record whose window end already passed
 * cannot get a partner any more: Kafka emits its left result at once. */
FR_TEST(out_of_order_unmatched_emitted_at_once) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = open_join(LEFT, fr_join_windows_of(10, 20), "ss-ooo", &t, &cfg);
    pipe_s(d, "left", "k", "A", 100);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "");
    pipe_s(d, "left", "j", "B", 85); /* window end 95 < stream time 100 */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "j:[B, null]@85");
    pipe_s(d, "left", "k", "C", 95); /* window end 105: waits */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "");
    pipe_s(d, "right", "k", "c", 104); /* joins A and C; neither is left over */
    FR_CHECK_EQ_STR(outputs(d, "out", 0), "[C, c], [A, c]"); /* by timestamp: C at 95, A at 100 */
    pipe_s(d, "left", "z", "Z", 1000);
    FR_CHECK_EQ_STR(outputs(d, "out", 0), ""); /* A and C were matched; Z waits */
    close_join(d, t, cfg);
}

FR_TEST(describe_names) {
    fr_streams_config_t *cfg = join_config("ss-describe");
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *l = fr_builder_stream(b, "left", NULL), *r = fr_builder_stream(b, "right", NULL);
    fr_kstream_to(fr_kstream_left_join(l, r, pair_joiner, NULL, fr_join_windows_of(10, 5), NULL, NULL), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    char *desc = fr_topology_describe(t);
    static const char *const want[] = {
        "Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
        "      --> KSTREAM-JOINTHIS-0000000004\n",
        "Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-OUTEROTHER-0000000005-store])\n"
        "      --> KSTREAM-OUTEROTHER-0000000005\n",
        "Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-OUTEROTHER-0000000005-store, "
        "KSTREAM-OUTERSHARED-0000000004-store])\n      --> KSTREAM-MERGE-0000000006\n",
        "Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store, "
        "KSTREAM-OUTERSHARED-0000000004-store])\n      --> KSTREAM-MERGE-0000000006\n",
        "Processor: KSTREAM-MERGE-0000000006 (stores: [])\n      --> KSTREAM-SINK-0000000007\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        FR_CHECK(strstr(desc, want[i]) != NULL);
    if (!strstr(desc, want[2]))
        fprintf(stderr, "%s", desc);
    free(desc);
    /* Window-store changelogs are compact,delete with the retention plus a day. */
    size_t ni;
    const fr_internal_topic_t *it = fr_topology_internal_topics(t, &ni);
    int seen = 0;
    for (size_t i = 0; i < ni; i++)
        if (!strcmp(it[i].name, "ss-describe-KSTREAM-JOINTHIS-0000000004-store-changelog")) {
            seen++;
            FR_CHECK_EQ_STR(it[i].configs[1], "compact,delete");
            FR_CHECK_EQ_STR(it[i].configs[3], "86400025");
        }
    FR_CHECK_EQ_INT(seen, 1);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* A named join: processors and stores follow StreamJoined's name and store name. */
FR_TEST(named_join) {
    fr_streams_config_t *cfg = join_config("ss-named");
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *l = fr_builder_stream(b, "left", NULL), *r = fr_builder_stream(b, "right", NULL);
    fr_joined_t j = {.name = "pv", .store_name = "pvs"};
    fr_kstream_to(fr_kstream_outer_join(l, r, pair_joiner, NULL, fr_join_windows_of(10, 5), NULL, &j), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    char *desc = fr_topology_describe(t);
    FR_CHECK(strstr(desc, "Processor: pv-this-windowed (stores: [pvs-outer-this-join-store])") != NULL);
    FR_CHECK(strstr(desc, "Processor: pv-outer-this-join (stores: [pvs-outer-other-join-store, "
                          "pvs-outer-shared-join-store])") != NULL);
    FR_CHECK(strstr(desc, "Processor: pv-merge (stores: [])\n      --> KSTREAM-SINK-0000000007") != NULL);
    if (!strstr(desc, "pv-merge"))
        fprintf(stderr, "%s", desc);
    free(desc);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(docs_table_inner);
    FR_RUN(docs_table_left);
    FR_RUN(docs_table_outer);
    FR_RUN(result_timestamps_and_keys);
    FR_RUN(time_difference_boundary);
    FR_RUN(before_and_after);
    FR_RUN(duplicates_retained);
    FR_RUN(late_records_dropped_and_counted);
    FR_RUN(out_of_order_unmatched_emitted_at_once);
    FR_RUN(describe_names);
    FR_RUN(named_join);
    return fr_test_done();
}
