/* KTable semantics: the KGroupedTable walk-through of Kafka's dsl-api docs
 * (adder and subtractor, update by update), KTable filter / mapValues /
 * toStream changes, and KGroupedStream reduce / aggregate. */
#include <stdlib.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"
#include "test_driver_helpers.h"

static int region_of(void *ctx, const fr_datum_t *user, const fr_datum_t *region, fr_datum_t *ok, fr_datum_t *ov,
                     fr_scratch_t *s) {
    *ok = *region;
    *ov = fr_datum_i64((int64_t)user->len);
    return 0;
}
static int zero(void *ctx, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64(0);
    return 0;
}
static int add(void *ctx, const fr_datum_t *k, const fr_datum_t *v, const fr_datum_t *agg, fr_datum_t *out,
               fr_scratch_t *s) {
    *out = fr_datum_i64(agg->i64 + v->i64);
    return 0;
}
static int sub(void *ctx, const fr_datum_t *k, const fr_datum_t *v, const fr_datum_t *agg, fr_datum_t *out,
               fr_scratch_t *s) {
    *out = fr_datum_i64(agg->i64 - v->i64);
    return 0;
}

static fr_streams_config_t *config(void) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "tbl", NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    return cfg;
}

static void pipe_ss(fr_test_driver_t *d, const char *topic, const char *k, const char *v, int64_t ts) {
    fr_datum_t kd = k ? fr_datum_str(k) : fr_datum_null(), vd = v ? fr_datum_str(v) : fr_datum_null();
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, topic, &kd, &vd, ts), 0);
}

static void expect_i64(fr_test_driver_t *d, const char *topic, const char *k, int64_t v) {
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, topic, &r), 1);
    FR_CHECK(r.key.len == (int32_t)strlen(k) && !memcmp(r.key.ptr, k, strlen(k)));
    fr_datum_t dv;
    FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &dv), 0);
    if (r.key.len != (int32_t)strlen(k) || dv.i64 != v)
        fprintf(stderr, "  got (%.*s, %lld), want (%s, %lld)\n", r.key.len, (const char *)r.key.ptr,
                (long long)dv.i64, k, (long long)v);
    FR_CHECK_EQ_INT(dv.i64, v);
}

FR_TEST(grouped_table_adder_subtractor_walkthrough) {
    fr_streams_config_t *cfg = config();
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_ktable_t *profiles = fr_builder_table(b, "profiles", &c, NULL);
    fr_kgrouped_table_t *g = fr_ktable_group_by(profiles, region_of, NULL, fr_serde_string(), fr_serde_int64(), NULL);
    fr_materialized_t m = {.name = "aggregated-table-store", .value_serde = fr_serde_int64()};
    fr_ktable_t *agg = fr_kgrouped_table_aggregate(g, zero, add, sub, NULL, &m);
    fr_kstream_to(fr_ktable_to_stream(agg, NULL), "out", NULL);
    FR_CHECK_EQ_STR(fr_ktable_store_name(profiles), "profiles-STATE-STORE-0000000000");
    fr_topology_t *t;
    fr_test_driver_t *d = build_driver(b, cfg, &t);
    pipe_ss(d, "profiles", "alice", "E", 1);
    expect_i64(d, "out", "E", 5);
    pipe_ss(d, "profiles", "bob", "A", 2);
    expect_i64(d, "out", "A", 3);
    pipe_ss(d, "profiles", "charlie", "A", 3);
    expect_i64(d, "out", "A", 10);
    pipe_ss(d, "profiles", "alice", "A", 4); /* UPDATE: E loses 5, A gains 5 */
    expect_i64(d, "out", "E", 0);
    expect_i64(d, "out", "A", 15);
    pipe_ss(d, "profiles", "charlie", NULL, 5); /* DELETE: only the subtractor */
    expect_i64(d, "out", "A", 8);
    pipe_ss(d, "profiles", NULL, "E", 6); /* ignored */
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    pipe_ss(d, "profiles", "bob", "E", 7);
    expect_i64(d, "out", "A", 5);
    expect_i64(d, "out", "E", 3);
    fr_test_driver_metrics_t mt;
    fr_test_driver_metrics(d, &mt);
    FR_CHECK_EQ_INT(mt.dropped, 1);
    fr_datum_t key = fr_datum_str("A"), v;
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "aggregated-table-store", &key, &v), 0);
    FR_CHECK_EQ_INT(v.i64, 5);
    /* The source table is materialized too, with its changelog. */
    key = fr_datum_str("charlie");
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "profiles-STATE-STORE-0000000000", &key, &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "tbl-profiles-STATE-STORE-0000000000-changelog"), 6);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int long_name(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return v->len >= 4; }
static int name_len(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64((int64_t)v->len);
    return 0;
}

FR_TEST(table_filter_map_values_changes) {
    fr_streams_config_t *cfg = config();
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_ktable_t *tb = fr_builder_table(b, "names", &c, NULL);
    fr_ktable_t *f = fr_ktable_map_values(fr_ktable_filter(tb, long_name, NULL, NULL), name_len, NULL,
                                          fr_serde_int64(), NULL);
    fr_kstream_to(fr_ktable_to_stream(f, NULL), "out", NULL);
    fr_topology_t *t = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, NULL, 0), 0);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    pipe_ss(d, "names", "k1", "bob", 1); /* filtered out, nothing before: no output */
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    pipe_ss(d, "names", "k1", "robert", 2);
    expect_i64(d, "out", "k1", 6);
    pipe_ss(d, "names", "k1", "rob", 3); /* no longer passes: a delete downstream */
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "out", &r), 1);
    FR_CHECK(fr_slice_is_null(r.value));
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

static int keep_max(void *ctx, const fr_datum_t *agg, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = agg->i64 >= v->i64 ? *agg : *v;
    return 0;
}

FR_TEST(grouped_stream_reduce_and_aggregate) {
    fr_streams_config_t *cfg = config();
    fr_streams_config_set(cfg, "default.key.serde", "string", NULL, 0);
    fr_streams_config_set(cfg, "default.value.serde", "long", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(fr_builder_stream(b, "in", NULL), NULL);
    fr_materialized_t mm = {.name = "max"}, ms = {.name = "sum", .value_serde = fr_serde_int64()};
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_stream_reduce(g, keep_max, NULL, &mm), NULL), "max-out", NULL);
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_stream_aggregate(g, zero, add, NULL, &ms), NULL), "sum-out", NULL);
    fr_topology_t *t = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, NULL, 0), 0);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    const int64_t vals[] = {3, 9, 4};
    for (int i = 0; i < 3; i++) {
        fr_datum_t k = fr_datum_str("x"), v = fr_datum_i64(vals[i]);
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, i), 0);
    }
    expect_i64(d, "max-out", "x", 3);
    expect_i64(d, "max-out", "x", 9);
    expect_i64(d, "max-out", "x", 9);
    expect_i64(d, "sum-out", "x", 3);
    expect_i64(d, "sum-out", "x", 12);
    expect_i64(d, "sum-out", "x", 16);
    /* A null key into groupByKey is dropped and counted, as in Kafka. */
    fr_datum_t v = fr_datum_i64(1);
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", NULL, &v, 5), 0);
    fr_test_driver_metrics_t mt;
    fr_test_driver_metrics(d, &mt);
    FR_CHECK_EQ_INT(mt.dropped, 2); /* once per aggregation */
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "sum-out"), 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* The next record of topic is (k, v) at timestamp ts. */
static void expect_i64_at(fr_test_driver_t *d, const char *topic, const char *k, int64_t v, int64_t ts) {
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, topic, &r), 1);
    fr_datum_t dv = fr_datum_null();
    FR_CHECK(r.key.len == (int32_t)strlen(k) && !memcmp(r.key.ptr, k, strlen(k)));
    FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &dv), 0);
    if (dv.i64 != v || r.timestamp != ts)
        fprintf(stderr, "  got (%.*s, %lld)@%lld, want (%s, %lld)@%lld\n", r.key.len, (const char *)r.key.ptr,
                (long long)dv.i64, (long long)r.timestamp, k, (long long)v, (long long)ts);
    FR_CHECK_EQ_INT(dv.i64, v);
    FR_CHECK_EQ_INT(r.timestamp, ts);
}

/* The last record of a topic (its changelog's latest entry). */
static fr_test_record_t last_record(fr_test_driver_t *d, const char *topic) {
    fr_test_record_t r, last = {0};
    while (fr_test_driver_read(d, topic, &r) == 1)
        last = r;
    return last;
}

/* Kafka's timestamps of KTable updates with out-of-order records: a table
 * source forwards the record's; an aggregate the record's for a new key, then
 * the larger of the record's and the aggregate's (KTableAggregate,
 * KStreamAggregate).  Changelogs carry the plain value with that timestamp. */
FR_TEST(table_and_aggregation_timestamps) {
    fr_streams_config_t *cfg = config();
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_ktable_t *profiles = fr_builder_table(b, "profiles", &c, NULL);
    fr_kstream_to(fr_ktable_to_stream(profiles, NULL), "profiles-out", NULL);
    fr_kgrouped_table_t *g = fr_ktable_group_by(profiles, region_of, NULL, fr_serde_string(), fr_serde_int64(), NULL);
    fr_materialized_t m = {.name = "by-region", .value_serde = fr_serde_int64()};
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_table_aggregate(g, zero, add, sub, NULL, &m), NULL), "out", NULL);
    fr_materialized_t mc = {.name = "counts"};
    fr_kgrouped_stream_t *gs = fr_kstream_group_by_key(fr_builder_stream(b, "clicks", &c), NULL);
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_stream_count(gs, &mc), NULL), "counts-out", NULL);
    fr_topology_t *t = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, NULL, 0), 0);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);

    pipe_ss(d, "profiles", "alice", "E", 10);
    expect_i64_at(d, "out", "E", 5, 10);
    pipe_ss(d, "profiles", "bob", "A", 4);
    expect_i64_at(d, "out", "A", 3, 4);
    pipe_ss(d, "profiles", "charlie", "A", 8);
    expect_i64_at(d, "out", "A", 10, 8);
    pipe_ss(d, "profiles", "alice", "A", 2); /* older than both aggregates */
    expect_i64_at(d, "out", "E", 0, 10);
    expect_i64_at(d, "out", "A", 15, 8);
    pipe_ss(d, "profiles", "charlie", NULL, 20);
    expect_i64_at(d, "out", "A", 8, 20);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 0);
    /* The table source forwards each record's own timestamp, the delete's too. */
    const int64_t src_ts[] = {10, 4, 8, 2, 20};
    for (int i = 0; i < 5; i++) {
        fr_test_record_t r;
        FR_CHECK_EQ_INT(fr_test_driver_read(d, "profiles-out", &r), 1);
        FR_CHECK_EQ_INT(r.timestamp, src_ts[i]);
    }
    /* Queries get the plain values; changelogs the plain value at the update's timestamp. */
    fr_datum_t key = fr_datum_str("alice"), v;
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "profiles-STATE-STORE-0000000000", &key, &v), 0);
    FR_CHECK(fr_datum_eq_str(&v, "A"));
    key = fr_datum_str("A");
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "by-region", &key, &v), 0);
    FR_CHECK_EQ_INT(v.i64, 8);
    fr_test_record_t cl = last_record(d, "tbl-by-region-changelog");
    FR_CHECK_EQ_INT(cl.timestamp, 20);
    FR_CHECK_EQ_INT(cl.value.len, 8);
    cl = last_record(d, "tbl-profiles-STATE-STORE-0000000000-changelog");
    FR_CHECK(cl.timestamp == 20 && cl.value.len == -1);

    /* KStreamAggregate (count): the largest timestamp so far. */
    pipe_ss(d, "clicks", "x", "a", 5);
    pipe_ss(d, "clicks", "x", "b", 3);
    pipe_ss(d, "clicks", "x", "c", 9);
    expect_i64_at(d, "counts-out", "x", 1, 5);
    expect_i64_at(d, "counts-out", "x", 2, 5);
    expect_i64_at(d, "counts-out", "x", 3, 9);
    cl = last_record(d, "tbl-counts-changelog");
    FR_CHECK(cl.timestamp == 9 && cl.value.len == 8);
    key = fr_datum_str("x");
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "counts", &key, &v), 0);
    FR_CHECK_EQ_INT(v.i64, 3);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(grouped_table_adder_subtractor_walkthrough);
    FR_RUN(table_filter_map_values_changes);
    FR_RUN(grouped_stream_reduce_and_aggregate);
    FR_RUN(table_and_aggregation_timestamps);
    return fr_test_done();
}
