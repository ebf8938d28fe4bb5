/* KStream-KTable joins: the semantics table of Kafka's dsl-api docs row by
 * row (inner and left), null keys and values, co-partitioning through a
 * repartition topic after a key change, describe() names, and the error for
 * an unmaterialized table. */
#include "fr_task.h"
#include "test_join_helpers.h"

static fr_test_driver_t *stream_table(int left, fr_topology_t **tp, fr_streams_config_t **cfgp, int *calls) {
    fr_streams_config_t *cfg = join_config(left ? "st-left" : "st-inner");
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_builder_stream(b, "left", NULL);
    fr_ktable_t *tb = fr_builder_table(b, "right", NULL, NULL);
    fr_kstream_t *j = left ? fr_kstream_left_join_table(s, tb, pair_joiner, calls, NULL, NULL)
                           : fr_kstream_join_table(s, tb, pair_joiner, calls, NULL, NULL);
    FR_CHECK_EQ_INT(fr_kstream_to(j, "out", NULL), 0);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    *tp = t;
    *cfgp = cfg;
    return d;
}

/* One row of the docs table: which side gets what, and the expected output. */
typedef struct row {
    int64_t ts;
    const char *left, *right; /* NULL: no record on that side; "null": a null value */
    const char *inner, *left_join;
} row_t;

static const row_t k_rows[] = {
    {1, "null", NULL, "", ""},         {2, NULL, "null", "", ""},  {3, "A", NULL, "", "[A, null]"},
    {4, NULL, "a", "", ""},            {5, "B", NULL, "[B, a]", "[B, a]"}, {6, NULL, "b", "", ""},
    {7, "null", NULL, "", ""},         {8, NULL, "null", "", ""}, {9, "C", NULL, "", "[C, null]"},
    {10, NULL, "c", "", ""},           {11, NULL, "null", "", ""}, {12, "null", NULL, "", ""},
    {13, NULL, "null", "", ""},        {14, NULL, "d", "", ""},    {15, "D", NULL, "[D, d]", "[D, d]"},
};

static void run_docs_table(int left) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    int calls = 0, want_calls = 0;
    fr_test_driver_t *d = stream_table(left, &t, &cfg, &calls);
    for (size_t i = 0; i < sizeof k_rows / sizeof *k_rows; i++) {
        const row_t *r = &k_rows[i];
        const char *topic = r->left ? "left" : "right";
        const char *v = r->left ? r->left : r->right;
        FR_CHECK_EQ_INT(pipe_s(d, topic, "k", strcmp(v, "null") ? v : NULL, r->ts), 0);
        const char *want = left ? r->left_join : r->inner;
        const char *got = outputs(d, "out", 0);
        if (strcmp(got, want))
            fprintf(stderr, "  %s join, row ts=%lld: got \"%s\", want \"%s\"\n", left ? "left" : "inner",
                    (long long)r->ts, got, want);
        FR_CHECK_EQ_STR(got, want);
        want_calls += *want != 0;
    }
    /* The joiner ran exactly once per output: table updates never call it. */
    FR_CHECK_EQ_INT(calls, want_calls);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped, 3); /* the three null stream values (ts 1, 7, 12) */
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(docs_table_inner) { run_docs_table(0); }
FR_TEST(docs_table_left) { run_docs_table(1); }

/* Output keeps the stream record's key and timestamp; other keys do not match. */
FR_TEST(keys_and_timestamps) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = stream_table(0, &t, &cfg, NULL);
    FR_CHECK_EQ_INT(pipe_s(d, "right", "x", "tx", 100), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "right", "y", "ty", 200), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "y", "sy", 50), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "z", "sz", 60), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "x", "sx", 70), 0);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "y:[sy, ty]@50, x:[sx, tx]@70");
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Kafka (KIP-962): leftJoin passes a null-keyed record with a null table side; join drops it. */
FR_TEST(null_key_left_join_passes_inner_drops) {
    for (int left = 0; left <= 1; left++) {
        fr_topology_t *t;
        fr_streams_config_t *cfg;
        fr_test_driver_t *d = stream_table(left, &t, &cfg, NULL);
        FR_CHECK_EQ_INT(pipe_s(d, "left", NULL, "V", 5), 0);
        FR_CHECK_EQ_STR(outputs(d, "out", 1), left ? "null:[V, null]@5" : "");
        fr_test_driver_metrics_t m;
        fr_test_driver_metrics(d, &m);
        FR_CHECK_EQ_INT(m.dropped, left ? 0 : 1);
        fr_test_driver_free(d);
        fr_topology_free(t);
        fr_streams_config_free(cfg);
    }
}

static int first_char_key(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_strn(v->ptr, 1);
    return 0;
}

/* A key change before the join goes through a repartition topic named after
 * the key selector, and the join reads the repartitioned records. */
FR_TEST(key_change_repartitions) {
    fr_streams_config_t *cfg = join_config("st-rekey");
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_builder_stream(b, "left", NULL);
    fr_ktable_t *tb = fr_builder_table(b, "right", NULL, NULL);
    fr_kstream_t *rk = fr_kstream_select_key(s, first_char_key, NULL, NULL, NULL);
    fr_kstream_to(fr_kstream_join_table(rk, tb, pair_joiner, NULL, NULL, NULL), "out", NULL);
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    char *desc = fr_topology_describe(t);
    FR_CHECK(strstr(desc, "Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-KEY-SELECT-0000000004-repartition)") != NULL);
    FR_CHECK(strstr(desc, "Processor: KSTREAM-JOIN-0000000008 (stores: [right-STATE-STORE-0000000001])") != NULL);
    if (!strstr(desc, "KSTREAM-JOIN-0000000008"))
        fprintf(stderr, "%s", desc);
    free(desc);
    size_t ni;
    const fr_internal_topic_t *it = fr_topology_internal_topics(t, &ni);
    int found = 0;
    for (size_t i = 0; i < ni; i++)
        if (!strcmp(it[i].name, "st-rekey-KSTREAM-KEY-SELECT-0000000004-repartition")) {
            found++;
            /* sized like the join's sub-topology (which reads "right"), not the upstream one */
            FR_CHECK_EQ_INT(it[i].partitions, -1);
            FR_CHECK_EQ_INT(it[i].copartition_sub, 1);
        }
    FR_CHECK_EQ_INT(found, 1);
    const char *grp[8];
    FR_CHECK_EQ_INT(fr_topology_copartition_count(t), 1);
    FR_CHECK_EQ_INT(fr_topology_copartition_topics(t, 0, grp, 8), 2);
    FR_CHECK_EQ_STR(grp[0], "st-rekey-KSTREAM-KEY-SELECT-0000000004-repartition");
    FR_CHECK_EQ_STR(grp[1], "right");
    fr_test_driver_opts_t o = {.partitions = 3};
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, &o, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "right", "a", "table-a", 1), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "right", "b", "table-b", 2), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "k1", "apple", 3), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "k2", "banana", 4), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "left", "k3", "cherry", 5), 0);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "a:[apple, table-a]@3, b:[banana, table-b]@4");
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int keep_all(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return 1; }

FR_TEST(unmaterialized_table_is_an_error) {
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_builder_stream(b, "left", NULL);
    fr_ktable_t *tb = fr_ktable_filter(fr_builder_table(b, "right", NULL, NULL), keep_all, NULL, NULL);
    FR_CHECK(fr_kstream_join_table(s, tb, pair_joiner, NULL, NULL, NULL) == NULL);
    const char *msg = NULL;
    FR_CHECK(fr_builder_error(b, &msg) == FR_ERR_INVALID_ARG);
    FR_CHECK(msg && strstr(msg, "not materialized") != NULL);
    fr_builder_free(b);
}

static int32_t counts(void *ctx, const char *topic) {
    const int32_t *c = ctx; /* left, right */
    return !strcmp(topic, "left") ? c[0] : !strcmp(topic, "right") ? c[1] : -1;
}

/* The join's inputs form a co-partition group; unequal counts are an error
 * the runtime reports from metadata, unknown counts are skipped. */
FR_TEST(copartition_check) {
    fr_topology_t *t;
    fr_streams_config_t *cfg;
    fr_test_driver_t *d = stream_table(0, &t, &cfg, NULL);
    const char *grp[4];
    FR_CHECK_EQ_INT(fr_topology_copartition_count(t), 1);
    FR_CHECK_EQ_INT(fr_topology_copartition_topics(t, 0, grp, 4), 2);
    FR_CHECK_EQ_STR(grp[0], "left");
    FR_CHECK_EQ_STR(grp[1], "right");
    char err[256] = "";
    int32_t same[] = {3, 3}, diff[] = {3, 4}, unknown[] = {3, -1};
    FR_CHECK_EQ_INT(fr_topology_check_copartition(t, counts, same, err, sizeof err), 0);
    FR_CHECK_EQ_INT(fr_topology_check_copartition(t, counts, unknown, err, sizeof err), 0);
    FR_CHECK_EQ_INT(fr_topology_check_copartition(t, counts, diff, err, sizeof err), FR_ERR_INVALID_PARTITIONS);
    if (!strstr(err, "KSTREAM-JOIN-0000000004"))
        fprintf(stderr, "  %s\n", err);
    FR_CHECK(strstr(err, "not co-partitioned") && strstr(err, "KSTREAM-JOIN-0000000004") && strstr(err, "right has 4"));
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Explicit repartition counts known at build must agree. */
FR_TEST(copartition_explicit_counts_at_build) {
    for (int32_t other = 2; other <= 3; other++) {
        fr_streams_config_t *cfg = join_config("st-parts");
        fr_builder_t *b = fr_builder_new();
        fr_repartitioned_t ra = {.name = "ra", .partitions = 2}, rb = {.name = "rb", .partitions = other};
        fr_kstream_t *a = fr_kstream_repartition(fr_builder_stream(b, "a", NULL), &ra);
        fr_kstream_t *c = fr_kstream_repartition(fr_builder_stream(b, "c", NULL), &rb);
        fr_kstream_to(fr_kstream_join(a, c, pair_joiner, NULL, fr_join_windows_no_grace(5), NULL, NULL), "out", NULL);
        fr_topology_t *t = NULL;
        char err[256] = "";
        int rc = fr_builder_build(b, cfg, &t, err, sizeof err);
        FR_CHECK_EQ_INT(rc, other == 2 ? 0 : FR_ERR_INVALID_PARTITIONS);
        if (other == 3)
            FR_CHECK(strstr(err, "st-parts-rb-repartition has 3") != NULL);
        fr_builder_free(b);
        fr_topology_free(t);
        fr_streams_config_free(cfg);
    }
}

int main(void) {
    FR_RUN(copartition_check);
    FR_RUN(copartition_explicit_counts_at_build);
    FR_RUN(docs_table_inner);
    FR_RUN(docs_table_left);
    FR_RUN(keys_and_timestamps);
    FR_RUN(null_key_left_join_passes_inner_drops);
    FR_RUN(key_change_repartitions);
    FR_RUN(unmaterialized_table_is_an_error);
    return fr_test_done();
}
