/* Time windows (tumbling, hopping) and sliding windows through the test
 * driver, worked out by hand from Kafka's KStreamWindowAggregate and
 * KStreamSlidingWindowAggregate: window creation, out-of-order records
 * within grace, late records dropped and counted, windowed key bytes,
 * changelog layout and configs, retention, describe() names. */
#include <stdlib.h>

#include "fr_graph.h"
#include "fr_store.h"
#include "test_windows_helpers.h"

static fr_topology_t *windowed_count(fr_streams_config_t *cfg, int kind, int64_t size, int64_t advance, int64_t grace,
                                     int64_t retention) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(fr_builder_stream(b, "in", &c), NULL);
    fr_windowed_stream_t *w;
    if (kind == 0) {
        fr_time_windows_t tw = fr_time_windows_advance_by(fr_time_windows_of_size_and_grace(size, grace), advance);
        w = fr_kgrouped_stream_windowed_by(g, &tw);
    } else {
        fr_sliding_windows_t sw = fr_sliding_windows_of(size, grace);
        w = fr_kgrouped_stream_windowed_by_sliding(g, &sw);
    }
    fr_kstream_to(fr_ktable_to_stream(fr_windowed_stream_count(w, NULL, retention), NULL), "out", NULL);
    return win_build(b, cfg);
}

FR_TEST(tumbling_grace_out_of_order_and_late) {
    fr_streams_config_t *cfg = win_config("win", "0");
    fr_topology_t *t = windowed_count(cfg, 0, 10, 10, 5, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 1), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 5), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 12), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 8), 0);  /* stream time 12, [0,10) closes at 15: updates */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 16), 0); /* stream time 16: [0,10) is closed */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 3), 0);  /* late */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "b", "x", 9), 0);  /* late for a new key too */
    const char *exp[] = {"a@0/10=1", "a@0/10=2", "a@10/20=1", "a@0/10=3", "a@10/20=2"};
    /* Timestamps: the largest record timestamp in the window. */
    const int64_t ets[] = {1, 5, 12, 8, 16};
    WIN_EXPECT(d, "out", 10, exp, ets);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 2);
    FR_CHECK_EQ_INT(m.dropped, 0);
    FR_CHECK_EQ_INT(m.processed, 7);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(hopping_windows_overlap) {
    fr_streams_config_t *cfg = win_config("hop", "0");
    fr_topology_t *t = windowed_count(cfg, 0, 10, 5, 0, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 7), 0);  /* [0,10) and [5,15) */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 12), 0); /* [5,15) and [10,20) */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 3), 0);  /* [0,10) closed at stream time 12 (no grace) */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 14), 0); /* [5,15) still open, [10,20) */
    const char *exp[] = {"a@0/10=1", "a@5/15=1", "a@5/15=2", "a@10/20=1", "a@5/15=3", "a@10/20=2"};
    const int64_t ets[] = {7, 7, 12, 12, 14, 14};
    WIN_EXPECT(d, "out", 10, exp, ets);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Kafka's TimeWindowedSerializer: key ‖ 8-byte BE start; the changelog keeps
 * the window store's key ‖ start ‖ 4-byte seq with the plain value. */
FR_TEST(windowed_key_bytes_and_changelog) {
    fr_streams_config_t *cfg = win_config("bytes", "0");
    fr_topology_t *t = windowed_count(cfg, 0, 1000, 1000, 0, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "ab", "x", 0x10203), 0); 
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
    /* 0x10203 = 66051; 66051 / 1000 * 1000 = 66000 = 0x101D0. */
    const uint8_t want[] = {'a', 'b', 0, 0, 0, 0, 0, 0x01, 0x01, 0xD0};
    FR_CHECK_EQ_INT(r.key.len, sizeof want);
    FR_CHECK(r.key.len == sizeof want && memcmp(r.key.ptr, want, sizeof want) == 0);
    const uint8_t one[] = {0, 0, 0, 0, 0, 0, 0, 1};
    FR_CHECK(r.value.len == 8 && memcmp(r.value.ptr, one, 8) == 0);
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "bytes-KSTREAM-AGGREGATE-STATE-STORE-0000000002-changelog", &r), 1);
    const uint8_t want_cl[] = {'a', 'b', 0, 0, 0, 0, 0, 0x01, 0x01, 0xD0, 0, 0, 0, 0};
    FR_CHECK(r.key.len == sizeof want_cl && memcmp(r.key.ptr, want_cl, sizeof want_cl) == 0);
    FR_CHECK(r.value.len == 8 && memcmp(r.value.ptr, one, 8) == 0);
    FR_CHECK_EQ_INT(r.timestamp, 0x10203);
    /* Decoding gives the key and both ends. */
    fr_datum_t kd = fr_datum_bytes(want, sizeof want);
    fr_windowed_t w;
    FR_CHECK_EQ_INT(fr_windowed_key(&kd, fr_serde_string(), 1000, &w), 0);
    FR_CHECK(fr_datum_eq_str(&w.key, "ab"));
    FR_CHECK_EQ_INT(w.start, 66000);
    FR_CHECK_EQ_INT(w.end, 67000);
    fr_datum_t shortd = fr_datum_bytes(want, 7);
    FR_CHECK_EQ_INT(fr_windowed_key(&shortd, fr_serde_string(), 1000, &w), FR_ERR_PARSE);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(describe_and_internal_topics) {
    fr_streams_config_t *cfg = win_config("desc", "0");
    fr_topology_t *t = windowed_count(cfg, 0, 10, 10, 5, 100);
    char *text = fr_topology_describe(t);
    FR_CHECK(text && strstr(text, "Processor: KSTREAM-AGGREGATE-0000000003 (stores: "
                                  "[KSTREAM-AGGREGATE-STATE-STORE-0000000002])"));
    FR_CHECK(text && strstr(text, "Processor: KTABLE-TOSTREAM-0000000004 (stores: [])"));
    FR_CHECK(text && strstr(text, "Sink: KSTREAM-SINK-0000000005 (topic: out)"));
    free(text);
    size_t n = 0;
    const fr_internal_topic_t *it = fr_topology_internal_topics(t, &n);
    FR_CHECK_EQ_INT(n, 1);
    if (n == 1) {
        FR_CHECK_EQ_STR(it[0].name, "desc-KSTREAM-AGGREGATE-STATE-STORE-0000000002-changelog");
        FR_CHECK_EQ_STR(it[0].configs[0], "cleanup.policy");
        FR_CHECK_EQ_STR(it[0].configs[1], "compact,delete");
        FR_CHECK_EQ_STR(it[0].configs[2], "retention.ms");
        FR_CHECK_EQ_STR(it[0].configs[3], "86400100"); /* retention 100 (> 10 + 5) + 1 day */
        FR_CHECK(it[0].configs[4] == NULL);
    }
    fr_topology_free(t);
    /* Retention below size + grace is raised to it. */
    t = windowed_count(cfg, 0, 10, 10, 5, 1);
    it = fr_topology_internal_topics(t, &n);
    FR_CHECK(n == 1 && !strcmp(it[0].configs[3], "86400015"));
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int noop_send(void *ctx, const char *topic, int32_t p, fr_slice_t k, fr_slice_t v, int64_t ts,
                     const fr_header_t *h, size_t nh) {
    (*(int *)ctx)++;
    return 0;
}

static int count_windows(fr_task_t *task, const char *store, const char *key, int64_t from, int64_t to) {
    fr_winstore_t *ws = fr_task_winstore(task, store);
    fr_store_iter_t *it;
    if (!ws || fr_winstore_fetch(ws, fr_slice_from_cstr(key), from, to, &it))
        return -1;
    fr_store_entry_t e;
    int n = 0;
    while (fr_store_iter_next(it, &e) == 1)
        n++;
    fr_store_iter_close(it);
    return n;
}

/* Windows older than stream time - retention leave the store. */
FR_TEST(retention_drops_old_windows) {
    fr_streams_config_t *cfg = win_config("ret", "0");
    fr_topology_t *t = windowed_count(cfg, 0, 10, 10, 0, 30);
    char dir[] = "/tmp/fr_win_ret_XXXXXX";
    FR_CHECK(mkdtemp(dir) != NULL);
    int sent = 0;
    fr_task_io_t io = {&sent, noop_send, NULL};
    fr_task_opts_t o = {.state_dir = dir};
    fr_task_t *task = NULL;
    FR_CHECK_EQ_INT(fr_task_open(t, 0, 0, &o, &io, &task), 0);
    const char *store = "KSTREAM-AGGREGATE-STATE-STORE-0000000002";
    uint8_t v = 'x';
    fr_record_in_t r = {"in", 0, 0, 5, fr_slice_from_cstr("a"), {&v, 1}, NULL, 0};
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    r.timestamp = 25;
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    FR_CHECK_EQ_INT(count_windows(task, store, "a", 0, 100), 2); /* [0,10) kept: 0 >= 25 - 30 */
    r.timestamp = 31;
    FR_CHECK_EQ_INT(fr_task_process(task, &r), 0);
    FR_CHECK_EQ_INT(count_windows(task, store, "a", 0, 0), 0); /* 0 < 31 - 30: dropped */
    FR_CHECK_EQ_INT(count_windows(task, store, "a", 0, 100), 2); /* [20,30) and [30,40) */
    FR_CHECK_EQ_INT(sent, 6); /* 3 outputs + 3 changelog records */
    fr_task_close(task);
    fr_store_env_destroy_dir(dir);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Records 5, 12, 8, 30 with d = 10: left windows, the right window of the
 * previous record, the early window [0,10], and a right window created for
 * an out-of-order record. */
FR_TEST(sliding_window_creation) {
    fr_streams_config_t *cfg = win_config("slide", "0");
    fr_topology_t *t = windowed_count(cfg, 1, 10, 0, 100, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 5), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 12), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 8), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 30), 0);
    const char *exp[] = {
        "a@0/10=1",                           /* 5: early record, window [0,10] */
        "a@6/16=1", "a@2/12=2",               /* 12: right window of 5, then 12's left window */
        "a@2/12=3", "a@6/16=2", "a@9/19=1", /* 8: updates, then its right window (holds 12) */
        "a@0/10=2",                           /* ... and the early window */
        "a@20/30=1",                          /* 30: alone */
    };
    const int64_t ets[] = {5, 12, 12, 12, 12, 12, 8, 30};
    WIN_EXPECT(d, "out", 10, exp, ets);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(sliding_in_order_reuses_windows_and_drops_late) {
    fr_streams_config_t *cfg = win_config("slide2", "0");
    fr_topology_t *t = windowed_count(cfg, 1, 10, 0, 0, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 20), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 25), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 25), 0); /* same timestamp: only its left window */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 9), 0);  /* 9 + 10 < 25: late */
    const char *exp[] = {"a@10/20=1", "a@21/31=1", "a@15/25=2", "a@21/31=2", "a@15/25=3"};
    const int64_t ets[] = {20, 25, 25, 25, 25};
    WIN_EXPECT(d, "out", 10, exp, ets);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Kafka 3.x: KStreamWindowAggregate and KStreamSessionWindowAggregate skip
 * null keys only, so count() counts a null value; KStreamSlidingWindowAggregate
 * and KStreamAggregate (non-windowed) skip null values too. */
static fr_topology_t *counts_of_kind(fr_streams_config_t *cfg, int kind) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(fr_builder_stream(b, "in", &c), NULL);
    fr_ktable_t *tb;
    if (kind == 0) {
        fr_time_windows_t tw = fr_time_windows_of_size_and_grace(10, 100);
        tb = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(g, &tw), NULL, 0);
    } else if (kind == 1) {
        fr_sliding_windows_t sw = fr_sliding_windows_of(10, 100);
        tb = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by_sliding(g, &sw), NULL, 0);
    } else if (kind == 2) {
        fr_session_windows_t sw = fr_session_windows_of(5, 100);
        tb = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by_session(g, &sw), NULL, 0);
    } else {
        tb = fr_kgrouped_stream_count(g, NULL);
    }
    fr_kstream_to(fr_ktable_to_stream(tb, NULL), "out", NULL);
    return win_build(b, cfg);
}

FR_TEST(null_values_counted_like_kafka) {
    for (int kind = 0; kind < 4; kind++) {
        fr_streams_config_t *cfg = win_config("nulls", "0");
        fr_topology_t *t = counts_of_kind(cfg, kind);
        fr_test_driver_t *d = NULL;
        FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
        fr_datum_t k = fr_datum_str("a"), v = fr_datum_str("x");
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, 1), 0);
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, NULL, 2), 0);   /* null value */
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", NULL, &v, 3), 0);   /* null key: dropped by all */
        char got[128] = "";
        int64_t ts = -1;
        int64_t size = kind == 2 ? 0 : 10;
        if (kind == 3) { /* a plain key */
            fr_test_record_t r;
            FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
            FR_CHECK(r.key.len == 1 && r.key.ptr[0] == 'a');
            ts = r.timestamp;
        } else {
            FR_CHECK_EQ_INT(win_read(d, "out", size, got, sizeof got, &ts), 1);
        }
        FR_CHECK_EQ_INT(ts, 1);
        fr_test_driver_metrics_t m;
        fr_test_driver_metrics(d, &m);
        if (kind == 0) { /* tumbling: the null value is the window's second record */
            FR_CHECK_EQ_STR(got, "a@0/10=1");
            FR_CHECK_EQ_INT(win_read(d, "out", size, got, sizeof got, &ts), 1);
            FR_CHECK_EQ_STR(got, "a@0/10=2");
            FR_CHECK_EQ_INT(ts, 2);
            FR_CHECK_EQ_INT(m.dropped, 1);
        } else if (kind == 2) { /* session: [1,1] merges with the null value's [2,2] */
            FR_CHECK_EQ_STR(got, "a@1/1=1");
            const char *exp[] = {"a@1/1=null", "a@1/2=2"};
            for (int i = 0; i < 2; i++) {
                FR_CHECK_EQ_INT(win_read(d, "out", size, got, sizeof got, &ts), 1);
                FR_CHECK_EQ_STR(got, exp[i]);
            }
            FR_CHECK_EQ_INT(m.dropped, 1);
        } else { /* sliding and non-windowed: the null value is skipped */
            FR_CHECK_EQ_INT(m.dropped, 2);
        }
        FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
        fr_test_driver_free(d);
        fr_topology_free(t);
        fr_streams_config_free(cfg);
    }
}

int main(void) {
    FR_RUN(tumbling_grace_out_of_order_and_late);
    FR_RUN(hopping_windows_overlap);
    FR_RUN(windowed_key_bytes_and_changelog);
    FR_RUN(describe_and_internal_topics);
    FR_RUN(retention_drops_old_windows);
    FR_RUN(sliding_window_creation);
    FR_RUN(sliding_in_order_reuses_windows_and_drops_late);
    FR_RUN(null_values_counted_like_kafka);
    return fr_test_done();
}
