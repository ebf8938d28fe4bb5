/* KTable-KTable joins: the semantics table of Kafka's dsl-api docs row by
 * row for inner, left and outer joins (tombstones when a result goes away),
 * a materialized result (queryable, change-deduplicated), describe() names. */
#include "test_join_helpers.h"

typedef enum { INNER, LEFT, OUTER } mode_t_;

static fr_ktable_t *join(mode_t_ m, fr_ktable_t *a, fr_ktable_t *b, const fr_materialized_t *mat, const char *name) {
    return m == INNER  ? fr_ktable_join(a, b, pair_joiner, NULL, NULL, mat, name)
           : m == LEFT ? fr_ktable_left_join(a, b, pair_joiner, NULL, NULL, mat, name)
                       : fr_ktable_outer_join(a, b, pair_joiner, NULL, NULL, mat, name);
}

typedef struct row {
    int64_t ts;
    const char *left, *right;
    const char *inner, *left_join, *outer;
} row_t;

/* Kafka's table; "" is no output, "null" a tombstone. */
static const row_t k_rows[] = {
    {1, "null", NULL, "", "", ""},
    {2, NULL, "null", "", "", ""},
    {3, "A", NULL, "", "[A, null]", "[A, null]"},
    {4, NULL, "a", "[A, a]", "[A, a]", "[A, a]"},
    {5, "B", NULL, "[B, a]", "[B, a]", "[B, a]"},
    {6, NULL, "b", "[B, b]", "[B, b]", "[B, b]"},
    {7, "null", NULL, "null", "null", "[null, b]"},
    {8, NULL, "null", "", "", "null"},
    {9, "C", NULL, "", "[C, null]", "[C, null]"},
    {10, NULL, "c", "[C, c]", "[C, c]", "[C, c]"},
    {11, NULL, "null", "null", "[C, null]", "[C, null]"},
    {12, "null", NULL, "", "null", "null"},
    {13, NULL, "null", "", "", ""},
    {14, NULL, "d", "", "", "[null, d]"},
    {15, "D", NULL, "[D, d]", "[D, d]", "[D, d]"},
};

static void run_docs_table(mode_t_ mode, int materialized) {
    static const char *const app[] = {"tt-inner", "tt-left", "tt-outer"};
    fr_streams_config_t *cfg = join_config(app[mode]);
    fr_builder_t *b = fr_builder_new();
    fr_ktable_t *l = fr_builder_table(b, "left", NULL, NULL);
    fr_ktable_t *r = fr_builder_table(b, "right", NULL, NULL);
    fr_materialized_t m = {.name = "joined"};
    fr_ktable_t *j = join(mode, l, r, materialized ? &m : NULL, NULL);
    FR_CHECK_EQ_INT(fr_kstream_to(fr_ktable_to_stream(j, NULL), "out", NULL), 0);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    for (size_t i = 0; i < sizeof k_rows / sizeof *k_rows; i++) {
        const row_t *rw = &k_rows[i];
        const char *v = rw->left ? rw->left : rw->right;
        FR_CHECK_EQ_INT(pipe_s(d, rw->left ? "left" : "right", "k", strcmp(v, "null") ? v : NULL, rw->ts), 0);
        const char *want = mode == INNER ? rw->inner : mode == LEFT ? rw->left_join : rw->outer;
        const char *got = outputs(d, "out", 0);
        if (strcmp(got, want))
            fprintf(stderr, "  %s (materialized %d) ts=%lld: got \"%s\", want \"%s\"\n", app[mode], materialized,
                    (long long)rw->ts, got, want);
        FR_CHECK_EQ_STR(got, want);
    }
    if (materialized) { /* the store holds the last result */
        fr_datum_t k = fr_datum_str("k"), v;
        FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "joined", &k, &v), 0);
        FR_CHECK(fr_datum_eq_str(&v, "[D, d]"));
    }
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(docs_table_inner) { run_docs_table(INNER, 0); }
FR_TEST(docs_table_left) { run_docs_table(LEFT, 0); }
FR_TEST(docs_table_outer) { run_docs_table(OUTER, 0); }
FR_TEST(docs_table_inner_materialized) { run_docs_table(INNER, 1); }
FR_TEST(docs_table_left_materialized) { run_docs_table(LEFT, 1); }
FR_TEST(docs_table_outer_materialized) { run_docs_table(OUTER, 1); }

/* Different keys stay apart; the result key is the table key. */
FR_TEST(keys_are_independent) {
    fr_streams_config_t *cfg = join_config("tt-keys");
    fr_builder_t *b = fr_builder_new();
    fr_ktable_t *left = fr_builder_table(b, "left", NULL, NULL);
    fr_ktable_t *right = fr_builder_table(b, "right", NULL, NULL);
    fr_ktable_t *j = join(INNER, left, right, NULL, NULL);
    fr_kstream_to(fr_ktable_to_stream(j, NULL), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    pipe_s(d, "left", "x", "X", 1);
    pipe_s(d, "right", "y", "y", 2);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "");
    pipe_s(d, "right", "x", "x", 3);
    pipe_s(d, "left", "y", "Y", 4);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "x:[X, x]@3, y:[Y, y]@4");
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Out-of-order timestamps: a result carries the larger of the change's and
 * the other side's value's timestamps, the change's own when the other side
 * has none (Kafka's KTableKTableInnerJoin / LeftJoin / RightJoin /
 * OuterJoin); a materialized result keeps it (its changelog too). */
static void run_result_timestamps(mode_t_ mode, int materialized) {
    static const char *const app[] = {"tt-ts-inner", "tt-ts-left", "tt-ts-outer"};
    fr_streams_config_t *cfg = join_config(app[mode]);
    fr_builder_t *b = fr_builder_new();
    fr_materialized_t m = {.name = "joined"};
    fr_ktable_t *left = fr_builder_table(b, "left", NULL, NULL);
    fr_ktable_t *right = fr_builder_table(b, "right", NULL, NULL);
    fr_ktable_t *j = join(mode, left, right, materialized ? &m : NULL, NULL);
    fr_kstream_to(fr_ktable_to_stream(j, NULL), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    pipe_s(d, "left", "k", "A", 10);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), mode == INNER ? "" : "k:[A, null]@10");
    pipe_s(d, "right", "k", "a", 5); /* older than the left value */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "k:[A, a]@10");
    pipe_s(d, "left", "k", "B", 3); /* older than the right value */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "k:[B, a]@5");
    pipe_s(d, "right", "k", NULL, 1); /* a tombstone older than both */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), mode == INNER ? "k:null@3" : "k:[B, null]@3");
    pipe_s(d, "right", "o", "o", 7); /* no left value: the change's timestamp */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), mode == OUTER ? "o:[null, o]@7" : "");
    pipe_s(d, "left", "o", "O", 2);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "o:[O, o]@7");
    if (materialized) {
        fr_datum_t k = fr_datum_str("o"), v;
        FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "joined", &k, &v), 0); /* the plain value */
        FR_CHECK(fr_datum_eq_str(&v, "[O, o]"));
        char topic[64];
        snprintf(topic, sizeof topic, "%s-joined-changelog", app[mode]);
        fr_test_record_t r, last = {0};
        int n = 0;
        while (fr_test_driver_read(d, topic, &r) == 1)
            last = r, n++;
        FR_CHECK(n > 0 && last.timestamp == 7 && last.value.len == 6 && !memcmp(last.value.ptr, "[O, o]", 6));
    }
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(result_timestamps_inner) { run_result_timestamps(INNER, 0); }
FR_TEST(result_timestamps_left) { run_result_timestamps(LEFT, 0); }
FR_TEST(result_timestamps_outer) { run_result_timestamps(OUTER, 0); }
FR_TEST(result_timestamps_materialized) {
    run_result_timestamps(INNER, 1);
    run_result_timestamps(LEFT, 1);
    run_result_timestamps(OUTER, 1);
}

/* Kafka's names: the merge takes the first index, then join-this, join-other;
 * each side's processor reads the other side's store. */
FR_TEST(describe_names) {
    fr_streams_config_t *cfg = join_config("tt-describe");
    fr_builder_t *b = fr_builder_new();
    fr_ktable_t *left = fr_builder_table(b, "left", NULL, NULL);
    fr_ktable_t *right = fr_builder_table(b, "right", NULL, NULL);
    fr_ktable_t *j = join(LEFT, left, right, NULL, NULL);
    fr_kstream_to(fr_ktable_to_stream(j, NULL), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    char *desc = fr_topology_describe(t);
    const char *want =
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [left])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Source: KSTREAM-SOURCE-0000000004 (topics: [right])\n"
        "      --> KTABLE-SOURCE-0000000005\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [left-STATE-STORE-0000000000])\n"
        "      --> KTABLE-JOINTHIS-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SOURCE-0000000005 (stores: [right-STATE-STORE-0000000003])\n"
        "      --> KTABLE-JOINOTHER-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000004\n"
        "    Processor: KTABLE-JOINOTHER-0000000008 (stores: [left-STATE-STORE-0000000000])\n"
        "      --> KTABLE-MERGE-0000000006\n"
        "      <-- KTABLE-SOURCE-0000000005\n"
        "    Processor: KTABLE-JOINTHIS-0000000007 (stores: [right-STATE-STORE-0000000003])\n"
        "      --> KTABLE-MERGE-0000000006\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-MERGE-0000000006 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000009\n"
        "      <-- KTABLE-JOINOTHER-0000000008, KTABLE-JOINTHIS-0000000007\n"
        "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- KTABLE-MERGE-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000009\n\n";
    if (strcmp(desc, want))
        fprintf(stderr, "%s", desc);
    FR_CHECK_EQ_STR(desc, want);
    free(desc);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* A join result without a store cannot be joined again (no value to read). */
FR_TEST(join_of_unmaterialized_join_is_an_error) {
    fr_builder_t *b = fr_builder_new();
    fr_ktable_t *a = fr_builder_table(b, "a", NULL, NULL), *c = fr_builder_table(b, "c", NULL, NULL);
    fr_ktable_t *j = join(INNER, a, c, NULL, NULL);
    FR_CHECK(fr_ktable_store_name(j) == NULL);
    FR_CHECK(join(INNER, j, fr_builder_table(b, "e", NULL, NULL), NULL, NULL) == NULL);
    FR_CHECK_EQ_INT(fr_builder_error(b, NULL), FR_ERR_INVALID_ARG);
    fr_builder_free(b);
    b = fr_builder_new();
    a = fr_builder_table(b, "a", NULL, NULL), c = fr_builder_table(b, "c", NULL, NULL);
    fr_materialized_t m = {0};
    j = join(INNER, a, c, &m, "ac");
    FR_CHECK_EQ_STR(fr_ktable_store_name(j), "KTABLE-MERGE-STATE-STORE-0000000006");
    FR_CHECK(join(LEFT, j, fr_builder_table(b, "e", NULL, NULL), NULL, NULL) != NULL);
    FR_CHECK_EQ_INT(fr_builder_error(b, NULL), 0);
    fr_kstream_to(fr_ktable_to_stream(j, NULL), "out", NULL);
    fr_streams_config_t *cfg = join_config("tt-mat");
    fr_topology_t *t = build_or_fail(b, cfg);
    char *desc = t ? fr_topology_describe(t) : NULL;
    FR_CHECK(desc && strstr(desc, "Processor: ac (stores: [KTABLE-MERGE-STATE-STORE-0000000006])\n") != NULL);
    FR_CHECK(desc && strstr(desc, "Processor: ac-join-this (stores: [c-STATE-STORE-0000000003])\n") != NULL);
    if (desc && !strstr(desc, "Processor: ac (stores"))
        fprintf(stderr, "%s", desc);
    free(desc);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
    fr_builder_free(b);
}

int main(void) {
    FR_RUN(docs_table_inner);
    FR_RUN(docs_table_left);
    FR_RUN(docs_table_outer);
    FR_RUN(docs_table_inner_materialized);
    FR_RUN(docs_table_left_materialized);
    FR_RUN(docs_table_outer_materialized);
    FR_RUN(keys_are_independent);
    FR_RUN(result_timestamps_inner);
    FR_RUN(result_timestamps_left);
    FR_RUN(result_timestamps_outer);
    FR_RUN(result_timestamps_materialized);
    FR_RUN(describe_names);
    FR_RUN(join_of_unmaterialized_join_is_an_error);
    return fr_test_done();
}
