/* Session windows through the test driver (Kafka's
 * KStreamSessionWindowAggregate): merging, tombstones for merged sessions,
 * grace, late drops, SessionWindowedSerializer bytes, a user merger. */
#include "test_windows_helpers.h"

static int concat(void *ctx, const fr_datum_t *k, const fr_datum_t *v, const fr_datum_t *agg, fr_datum_t *out,
                  fr_scratch_t *s) {
    char *p = fr_scratch_alloc(s, agg->len + v->len);
    if (!p)
        return FR_ERR_NOMEM;
    memcpy(p, agg->ptr, agg->len);
    memcpy(p + agg->len, v->ptr, v->len);
    *out = fr_datum_strn(p, agg->len + v->len);
    return 0;
}

static int empty(void *ctx, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_strn("", 0);
    return 0;
}

/* Kafka's merger gets (key, agg1, agg2): "+" marks each merge. */
static int merge_plus(void *ctx, const fr_datum_t *k, const fr_datum_t *a, const fr_datum_t *b, fr_datum_t *out,
                      fr_scratch_t *s) {
    char *p = fr_scratch_alloc(s, a->len + b->len + 1);
    if (!p)
        return FR_ERR_NOMEM;
    memcpy(p, a->ptr, a->len);
    p[a->len] = '+';
    memcpy(p + a->len + 1, b->ptr, b->len);
    *out = fr_datum_strn(p, a->len + b->len + 1);
    return 0;
}

static fr_topology_t *session_topology(fr_streams_config_t *cfg, int aggregate) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_session_windows_t sw = fr_session_windows_of(5, 10);
    fr_windowed_stream_t *w =
        fr_kgrouped_stream_windowed_by_session(fr_kstream_group_by_key(fr_builder_stream(b, "in", &c), NULL), &sw);
    fr_materialized_t m = {.value_serde = fr_serde_string()};
    fr_ktable_t *tb = aggregate ? fr_windowed_stream_aggregate(w, empty, concat, merge_plus, NULL, &m, 0)
                                : fr_windowed_stream_count(w, NULL, 0);
    fr_kstream_to(fr_ktable_to_stream(tb, NULL), "out", NULL);
    return win_build(b, cfg);
}

FR_TEST(session_merge_tombstones_and_late) {
    fr_streams_config_t *cfg = win_config("sess", "0");
    fr_topology_t *t = session_topology(cfg, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 3), 0);  /* merges [0,0] */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 20), 0); /* a new session */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 10), 0); /* out of order, within grace (close 10) */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 14), 0); /* merges [10,10] */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 17), 0); /* bridges [10,14] and [20,20] */
    FR_CHECK_EQ_INT(win_pipe(d, "in", "a", "x", 2), 0);  /* would merge with [0,3], which closed: late */
    const char *exp[] = {
        "a@0/0=1",   "a@0/0=null",  "a@0/3=2",   "a@20/20=1", "a@10/10=1",
        "a@10/10=null", "a@10/14=2", "a@10/14=null", "a@20/20=null", "a@10/20=4",
    };
    /* Session updates and tombstones carry the session end. */
    const int64_t ets[] = {0, 0, 3, 20, 10, 10, 14, 14, 20, 20};
    WIN_EXPECT(d, "out", 0, exp, ets);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped_late, 1);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* SessionWindowedSerializer: key ‖ 8-byte BE end ‖ 8-byte BE start; the
 * changelog carries the same key and tombstones for merged sessions. */
FR_TEST(session_key_bytes_and_merger) {
    fr_streams_config_t *cfg = win_config("sessb", "0");
    fr_topology_t *t = session_topology(cfg, 1);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "k", "A", 258), 0);
    FR_CHECK_EQ_INT(win_pipe(d, "in", "k", "B", 260), 0);
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
    const uint8_t k1[] = {'k', 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 1, 2};
    FR_CHECK(r.key.len == sizeof k1 && memcmp(r.key.ptr, k1, sizeof k1) == 0);
    FR_CHECK(r.value.len == 1 && r.value.ptr[0] == 'A');
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1); /* tombstone of [258,258] */
    FR_CHECK(r.key.len == sizeof k1 && memcmp(r.key.ptr, k1, sizeof k1) == 0);
    FR_CHECK(fr_slice_is_null(r.value));
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
    const uint8_t k2[] = {'k', 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 1, 2};
    FR_CHECK(r.key.len == sizeof k2 && memcmp(r.key.ptr, k2, sizeof k2) == 0);
    /* initializer "" merged with "A" by the merger, then "B" added */
    FR_CHECK(r.value.len == 3 && memcmp(r.value.ptr, "+AB", 3) == 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    const char *cl = "sessb-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog";
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, cl), 3);
    FR_CHECK_EQ_INT(fr_test_driver_read(d, cl, &r), 1);
    FR_CHECK(r.key.len == sizeof k1 && memcmp(r.key.ptr, k1, sizeof k1) == 0);
    fr_datum_t kd = fr_datum_bytes(k2, sizeof k2);
    fr_windowed_t w;
    FR_CHECK_EQ_INT(fr_windowed_key(&kd, fr_serde_string(), 0, &w), 0);
    FR_CHECK(fr_datum_eq_str(&w.key, "k"));
    FR_CHECK_EQ_INT(w.start, 258);
    FR_CHECK_EQ_INT(w.end, 260);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(session_merge_tombstones_and_late);
    FR_RUN(session_key_bytes_and_merger);
    return fr_test_done();
}
