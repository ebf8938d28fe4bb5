/* What the streams fuzz targets (tests/fuzz/fuzz_streams_*.c) found, one
 * case per finding:
 *   - KGroupedTable count / reduce failed the first update of a new key with
 *     FR_ERR_NOT_FOUND (the store miss leaked out as the user function's rc);
 *   - a malformed change record in a KGroupedTable's repartition topic failed
 *     the task even with LogAndContinueExceptionHandler (Kafka hands
 *     ChangedDeserializer failures to the handler too);
 *   - fr_windowed_key overflowed start + size for a start near INT64_MAX
 *     (Kafka truncates the end to Long.MAX_VALUE);
 *   - the window aggregations and the stream-stream join overflowed window
 *     bounds (start + size, ts + after + grace) for records near INT64_MAX:
 *     bounds past the end of time now stop at INT64_MAX. */
#include <stdint.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"
#include "test_driver_helpers.h"

static int first_byte(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *ok, fr_datum_t *ov,
                      fr_scratch_t *s) {
    *ok = fr_datum_strn(k->ptr, k->len ? 1 : 0);
    *ov = *v;
    return 0;
}
static int add(void *ctx, const fr_datum_t *agg, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64(agg->i64 + v->i64);
    return 0;
}
static int sub(void *ctx, const fr_datum_t *agg, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64(agg->i64 - v->i64);
    return 0;
}

/* tbl (string, int64) -> groupBy(first key byte) -> count to out-count, reduce to out-sum. */
static fr_topology_t *grouped_table(fr_streams_config_t *cfg) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_int64(), NULL};
    fr_ktable_t *tbl = fr_builder_table(b, "tbl", &c, NULL);
    fr_grouped_t g1 = {.name = "by-count"}, g2 = {.name = "by-sum"};
    fr_kgrouped_table_t *gc = fr_ktable_group_by(tbl, first_byte, NULL, fr_serde_string(), fr_serde_int64(), &g1);
    fr_kgrouped_table_t *gs = fr_ktable_group_by(tbl, first_byte, NULL, fr_serde_string(), fr_serde_int64(), &g2);
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_table_count(gc, NULL), NULL), "out-count", NULL);
    fr_materialized_t m = {.value_serde = fr_serde_int64()};
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_table_reduce(gs, add, sub, NULL, &m), NULL), "out-sum", NULL);
    fr_topology_t *t = NULL;
    char err[256] = "";
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), 0);
    fr_builder_free(b);
    return t;
}

static fr_streams_config_t *config(const char *app, int log_and_continue) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", app, NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    if (log_and_continue)
        fr_streams_config_set(cfg, "default.deserialization.exception.handler", "LogAndContinueExceptionHandler",
                              NULL, 0);
    return cfg;
}

static void pipe_sl(fr_test_driver_t *d, const char *k, const int64_t *v, int64_t ts) {
    fr_datum_t kd = fr_datum_str(k), vd = v ? fr_datum_i64(*v) : fr_datum_null();
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "tbl", &kd, &vd, ts), 0);
}

static void expect(fr_test_driver_t *d, const char *topic, const char *k, int64_t v) {
    fr_test_record_t r;
    fr_datum_t dv;
    int got = fr_test_driver_read(d, topic, &r);
    FR_CHECK_EQ_INT(got, 1);
    if (got != 1)
        return;
    FR_CHECK(r.key.len == (int32_t)strlen(k) && !memcmp(r.key.ptr, k, strlen(k)));
    FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &dv), 0);
    FR_CHECK(!dv.is_null);
    FR_CHECK_EQ_INT(dv.i64, v);
}

FR_TEST(grouped_table_count_and_reduce_new_keys) {
    fr_streams_config_t *cfg = config("fz-reg-agg", 0);
    fr_topology_t *t = grouped_table(cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    int64_t v3 = 3, v4 = 4, v10 = 10;
    pipe_sl(d, "alice", &v3, 1); /* first update of key "a": was FR_ERR_NOT_FOUND */
    expect(d, "out-count", "a", 1);
    expect(d, "out-sum", "a", 3);
    pipe_sl(d, "anna", &v4, 2);
    expect(d, "out-count", "a", 2);
    expect(d, "out-sum", "a", 7);
    pipe_sl(d, "alice", &v10, 3); /* update: subtract 3, add 10 (one change, the key stays) */
    expect(d, "out-count", "a", 2);
    expect(d, "out-sum", "a", 14);
    pipe_sl(d, "", &v4, 4); /* the empty key groups under the empty key */
    expect(d, "out-count", "", 1);
    expect(d, "out-sum", "", 4);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out-count"), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out-sum"), 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(malformed_change_record_follows_the_deserialization_handler) {
    static const uint8_t bad[][6] = {
        {4, 0, 0, 0, 0, 0},    /* unknown flags */
        {1, 0, 0, 0, 9, 0},    /* new value longer than the record */
        {0, 0, 0, 0, 1, 0},    /* a length for an absent new value */
    };
    for (int cont = 0; cont <= 1; cont++) {
        fr_streams_config_t *cfg = config(cont ? "fz-reg-cont" : "fz-reg-fail", cont);
        fr_topology_t *t = grouped_table(cfg);
        fr_test_driver_t *d = NULL;
        FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
        char topic[64];
        snprintf(topic, sizeof topic, "%s-by-sum-repartition", cont ? "fz-reg-cont" : "fz-reg-fail");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            int rc = fr_test_driver_pipe_raw(d, topic, fr_slice_from_cstr("a"), (fr_slice_t){bad[i], 6}, 1, NULL, 0);
            FR_CHECK_EQ_INT(rc, cont ? 0 : FR_ERR_PARSE);
        }
        /* a short record, and a null one */
        FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, topic, fr_slice_from_cstr("a"), (fr_slice_t){bad[0], 3}, 1, NULL, 0),
                        cont ? 0 : FR_ERR_PARSE);
        FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, topic, fr_slice_from_cstr("a"), FR_SLICE_NULL, 1, NULL, 0),
                        cont ? 0 : FR_ERR_PARSE);
        fr_test_driver_metrics_t m;
        fr_test_driver_metrics(d, &m);
        FR_CHECK_EQ_INT(m.dropped, cont ? 5 : 0);
        FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out-sum"), 0);
        /* A good change still goes through afterwards. */
        int64_t v5 = 5;
        pipe_sl(d, "ab", &v5, 2);
        expect(d, "out-sum", "a", 5);
        fr_test_driver_free(d);
        fr_topology_free(t);
        fr_streams_config_free(cfg);
    }
}

FR_TEST(windowed_key_end_saturates) {
    uint8_t b[9] = {'k', 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0};
    fr_datum_t d = fr_datum_bytes(b, sizeof b);
    fr_windowed_t w;
    FR_CHECK_EQ_INT(fr_windowed_key(&d, fr_serde_string(), 60000, &w), 0);
    FR_CHECK_EQ_INT(w.start, INT64_MAX - 15);
    FR_CHECK(w.end == INT64_MAX);
    FR_CHECK(w.key.len == 1 && w.key.ptr[0] == 'k');
    b[1] = 0;
    FR_CHECK_EQ_INT(fr_windowed_key(&d, fr_serde_string(), 60000, &w), 0);
    FR_CHECK_EQ_INT(w.end, w.start + 60000);
}

static int join_lens(void *ctx, const fr_datum_t *k, const fr_datum_t *l, const fr_datum_t *r, fr_datum_t *out,
                     fr_scratch_t *s) {
    *out = fr_datum_i64((int64_t)(l->len * 100 + r->len));
    return 0;
}

/* The count of the windowed record read from topic, and its window start. */
static int64_t read_window_count(fr_test_driver_t *d, const char *topic, int64_t size, int64_t *start) {
    fr_test_record_t r;
    fr_datum_t kd, vd;
    fr_windowed_t w;
    if (fr_test_driver_read(d, topic, &r) != 1)
        return -1;
    kd = fr_datum_bytes(r.key.ptr, (size_t)r.key.len);
    if (fr_windowed_key(&kd, fr_serde_string(), size, &w) || fr_serde_decode(fr_serde_int64(), r.value, &vd))
        return -2;
    *start = w.start;
    return vd.i64;
}

FR_TEST(windows_and_joins_at_the_end_of_time) {
    fr_streams_config_t *cfg = config("fz-reg-eot", 0);
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kstream_t *in = fr_builder_stream(b, "in", &c), *other = fr_builder_stream(b, "other", &c);
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(in, NULL);
    fr_time_windows_t tumbling = fr_time_windows_of_size_and_grace(60000, 10000);
    fr_time_windows_t hopping = fr_time_windows_advance_by(tumbling, 20000);
    fr_sliding_windows_t sliding = fr_sliding_windows_of(5000, 1000);
    fr_session_windows_t session = fr_session_windows_of(5000, 1000);
    fr_kstream_to(fr_ktable_to_stream(fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(g, &tumbling), NULL, 0),
                                      NULL), "tumbling", NULL);
    fr_kstream_to(fr_ktable_to_stream(fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(g, &hopping), NULL, 0),
                                      NULL), "hopping", NULL);
    fr_kstream_to(fr_ktable_to_stream(
                      fr_windowed_stream_count(fr_kgrouped_stream_windowed_by_sliding(g, &sliding), NULL, 0), NULL),
                  "sliding", NULL);
    fr_kstream_to(fr_ktable_to_stream(
                      fr_windowed_stream_count(fr_kgrouped_stream_windowed_by_session(g, &session), NULL, 0), NULL),
                  "session", NULL);
    fr_kstream_to(fr_kstream_outer_join(in, other, join_lens, NULL, fr_join_windows_of(10000, 5000), fr_serde_int64(),
                                        NULL),
                  "joined", NULL);
    fr_topology_t *t;
    fr_test_driver_t *d = build_driver(b, cfg, &t);

    const int64_t ts = INT64_MAX - 1000;
    fr_datum_t k = fr_datum_str("k"), v = fr_datum_str("vv"), ov = fr_datum_str("o");
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, ts), 0);
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "other", &k, &ov, INT64_MAX), 0);

    int64_t start = 0;
    FR_CHECK_EQ_INT(read_window_count(d, "tumbling", 60000, &start), 1);
    FR_CHECK_EQ_INT(start, ts / 60000 * 60000);
    /* hopping: the three windows holding ts, oldest first */
    for (int i = 2; i >= 0; i--) {
        FR_CHECK_EQ_INT(read_window_count(d, "hopping", 60000, &start), 1);
        FR_CHECK_EQ_INT(start, ts / 20000 * 20000 - i * 20000);
    }
    FR_CHECK_EQ_INT(read_window_count(d, "sliding", 5000, &start), 1);
    FR_CHECK_EQ_INT(start, ts - 5000);
    FR_CHECK_EQ_INT(read_window_count(d, "session", 0, &start), 1);
    FR_CHECK_EQ_INT(start, ts);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "tumbling") + fr_test_driver_unread(d, "hopping") +
                        fr_test_driver_unread(d, "sliding") + fr_test_driver_unread(d, "session"), 0);
    /* the other side's record is 1000 ms later: inside the 10 s join window */
    fr_test_record_t r;
    fr_datum_t jd;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "joined", &r), 1);
    FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &jd), 0);
    FR_CHECK_EQ_INT(jd.i64, 201);
    FR_CHECK(r.timestamp == INT64_MAX);
    /* at INT64_MAX itself: the last window start must end the walk over
     * windows (start + advance would overflow), in the same windows as ts */
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, INT64_MAX), 0);
    FR_CHECK_EQ_INT(read_window_count(d, "tumbling", 60000, &start), 2);
    FR_CHECK_EQ_INT(start, ts / 60000 * 60000);
    for (int i = 2; i >= 0; i--) {
        FR_CHECK_EQ_INT(read_window_count(d, "hopping", 60000, &start), 2);
        FR_CHECK_EQ_INT(start, INT64_MAX / 20000 * 20000 - i * 20000);
    }
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "tumbling") + fr_test_driver_unread(d, "hopping"), 0);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(grouped_table_count_and_reduce_new_keys);
    FR_RUN(malformed_change_record_follows_the_deserialization_handler);
    FR_RUN(windowed_key_end_saturates);
    FR_RUN(windows_and_joins_at_the_end_of_time);
    return fr_test_done();
}
