/* suppress(): untilWindowCloses emits one final result per window once
 * stream time reaches window end + grace; untilTimeLimit; the buffer is a
 * store that survives a restart; describe() names. */
#include <stdlib.h>

#include "fr_graph.h"
#include "test_windows_helpers.h"

static fr_topology_t *final_counts(fr_streams_config_t *cfg) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_time_windows_t tw = fr_time_windows_of_size_and_grace(10, 5);
    fr_windowed_stream_t *w =
        fr_kgrouped_stream_windowed_by(fr_kstream_group_by_key(fr_builder_stream(b, "in", &c), NULL), &tw);
    fr_suppressed_t s = fr_suppressed_until_window_closes();
    fr_ktable_t *tb = fr_ktable_suppress(fr_windowed_stream_count(w, NULL, 0), &s);
    fr_kstream_to(fr_ktable_to_stream(tb, NULL), "out", NULL);
    return win_build(b, cfg);
}

static void run_final(const char *cache) {
    fr_streams_config_t *cfg = win_config("supp", cache);
    fr_topology_t *t = final_counts(cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 1), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 3), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "b", "x", 4), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 12), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 8), 0); /* within grace: part of the final result */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "b", "x", 14), 0);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0); /* nothing final before 10 + 5 */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 15), 0);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    {
        const char *exp[] = {"a@0/10=3", "b@0/10=1"};
        const int64_t ets[] = {8, 4};
        WIN_EXPECT(d, "out", 10, exp, ets);
    }
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 2), 0); /* late: dropped, no second final */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "c", "x", 19), 0);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "c", "x", 30), 0);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    {
        const char *exp[] = {"a@10/20=2", "b@10/20=1", "c@10/20=1"};
        const int64_t ets[] = {15, 14, 19};
        WIN_EXPECT(d, "out", 10, exp, ets);
    }
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    /* The buffer is logged: entries in, then tombstones as they were emitted. */
    FR_CHECK(fr_test_driver_unread(d, "supp-KTABLE-SUPPRESS-STATE-STORE-0000000005-changelog") > 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(until_window_closes_without_cache) { run_final("0"); }
FR_TEST(until_window_closes_with_cache) { run_final("10485760"); }

FR_TEST(describe_names) {
    fr_streams_config_t *cfg = win_config("supp", "0");
    fr_topology_t *t = final_counts(cfg);
    char *text = fr_topology_describe(t);
    FR_CHECK(text && strstr(text, "Processor: KSTREAM-AGGREGATE-0000000003 (stores: "
                                  "[KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
                                  "      --> KTABLE-SUPPRESS-0000000004\n"));
    FR_CHECK(text && strstr(text, "Processor: KTABLE-SUPPRESS-0000000004 (stores: "
                                  "[KTABLE-SUPPRESS-STATE-STORE-0000000005])\n"
                                  "      --> KTABLE-TOSTREAM-0000000006\n"));
    FR_CHECK(text && strstr(text, "Sink: KSTREAM-SINK-0000000007 (topic: out)"));
    free(text);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int ktable_key(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = *k;
    return 0;
}

FR_TEST(until_time_limit) {
    fr_streams_config_t *cfg = win_config("limit", "0");
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_ktable_t *counts =
        fr_kgrouped_stream_count(fr_kstream_group_by(fr_builder_stream(b, "in", &c), ktable_key, NULL, NULL, NULL),
                                 NULL);
    fr_suppressed_t s = fr_suppressed_until_time_limit(10);
    s.name = "hold";
    fr_kstream_to(fr_ktable_to_stream(fr_ktable_suppress(counts, &s), NULL), "out", NULL);
    fr_topology_t *t = win_build(b, cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "k", "x", 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "k", "x", 5), 0); /* keeps k's buffer time 0 */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "j", "x", 9), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "x", "x", 10), 0); /* 0 <= 10 - 10: k */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "x", "x", 19), 0); /* 9 <= 19 - 10: j */
    const char *ek[] = {"k", "j"};
    const int64_t ev[] = {2, 1}, ets[] = {5, 9};
    for (int i = 0; i < 2; i++) {
        fr_test_record_t r;
        fr_datum_t v;
        FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
        FR_CHECK(r.key.len == 1 && r.key.ptr[0] == ek[i][0]);
        FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &v), 0);
        FR_CHECK_EQ_INT(v.i64, ev[i]);
        FR_CHECK_EQ_INT(r.timestamp, ets[i]);
    }
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    char *text = fr_topology_describe(t);
    FR_CHECK(text && strstr(text, "Processor: hold (stores: [hold-store])"));
    free(text);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int noop_send(void *ctx, const char *topic, int32_t p, fr_slice_t k, fr_slice_t v, int64_t ts,
                     const fr_header_t *h, size_t nh) {
    if (!strcmp(topic, "out"))
        (*(int *)ctx)++;
    return 0;
}

/* A final result buffered before a restart is emitted after it, once. */
FR_TEST(buffer_survives_restart) {
    fr_streams_config_t *cfg = win_config("restart", "0");
    fr_topology_t *t = final_counts(cfg);
    char dir[] = "/tmp/fr_supp_XXXXXX";
    FR_CHECK(mkdtemp(dir) != NULL);
    int out = 0;
    fr_task_io_t io = {&out, noop_send, NULL};
    fr_task_opts_t o = {.state_dir = dir};
    fr_task_t *task = NULL;
    uint8_t v = 'x';
    fr_record_in_t r = {"in", 0, 0, 3, fr_slice_from_cstr("a"), {&v, 1}, NULL, 0};
    FR_CHECK_EQ_INT(fr_task_open(t, 0, 0, &o, &io, &task), 0);
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    FR_CHECK_EQ_INT(fr_task_flush(task), 0);
    FR_CHECK_EQ_INT(fr_task_commit(task, NULL, 0), 0);
    fr_task_close(task);
    FR_CHECK_EQ_INT(out, 0);
    FR_CHECK_EQ_INT(fr_task_open(t, 0, 0, &o, &io, &task), 0);
    r.timestamp = 40;
    r.key = fr_slice_from_cstr("z");
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    FR_CHECK_EQ_INT(out, 1); /* a@0/10 */
    r.timestamp = 41;
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    FR_CHECK_EQ_INT(out, 1);
    fr_task_close(task);
    fr_store_env_destroy_dir(dir);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(until_window_closes_without_cache);
    FR_RUN(until_window_closes_with_cache);
    FR_RUN(describe_names);
    FR_RUN(until_time_limit);
    FR_RUN(buffer_survives_restart);
    return fr_test_done();
}
