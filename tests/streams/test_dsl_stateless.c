/* KStream stateless operators through the test driver. */
#include <stdlib.h>

#include "fr_test.h"
#include "fr_task.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

static fr_streams_config_t *config(void) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "ops", NULL, 0);
    fr_streams_config_set(cfg, "default.key.serde", "string", NULL, 0);
    fr_streams_config_set(cfg, "default.value.serde", "org.apache.kafka.common.serialization.Serdes$LongSerde", NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    return cfg;
}

static int is_even(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return v->i64 % 2 == 0; }
static int is_big(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return v->i64 >= 100; }
static int times10(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64(v->i64 * 10);
    return 0;
}
static int to_text(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    char *p = fr_scratch_alloc(s, 32);
    int n = snprintf(p, 32, "v=%lld", (long long)v->i64);
    *out = fr_datum_strn(p, (size_t)n);
    return 0;
}
static int swap(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *ok, fr_datum_t *ov, fr_scratch_t *s) {
    char *p = fr_scratch_alloc(s, 32);
    int n = snprintf(p, 32, "%lld", (long long)v->i64);
    *ok = fr_datum_strn(p, (size_t)n);
    *ov = fr_datum_i64((int64_t)k->len);
    return 0;
}
static int repeat(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_emitter_t *e) {
    for (int64_t i = 0; i < v->i64; i++) {
        fr_datum_t o = fr_datum_i64(i);
        int rc = fr_emit(e, k, &o);
        if (rc)
            return rc;
    }
    return 0;
}
static int key_upper(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    char *p = fr_scratch_strndup(s, k->ptr, k->len);
    for (size_t i = 0; i < k->len; i++)
        p[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
    *out = fr_datum_strn(p, k->len);
    return 0;
}
static int count_calls(void *ctx, const fr_datum_t *k, const fr_datum_t *v) {
    (*(int *)ctx)++;
    return 0;
}

typedef struct built {
    fr_topology_t *t;
    fr_test_driver_t *d;
    fr_streams_config_t *cfg;
} built_t;

static void build(built_t *x, fr_builder_t *b) {
    x->cfg = config();
    char err[256] = "";
    int rc = fr_builder_build(b, x->cfg, &x->t, err, sizeof err);
    if (rc)
        fprintf(stderr, "build: %s\n", err);
    FR_CHECK_EQ_INT(rc, 0);
    fr_builder_free(b);
    FR_CHECK_EQ_INT(fr_test_driver_new(x->t, x->cfg, NULL, &x->d, err, sizeof err), 0);
}

static void done(built_t *x) {
    fr_test_driver_free(x->d);
    fr_topology_free(x->t);
    fr_streams_config_free(x->cfg);
}

static void pipe_i64(built_t *x, const char *k, int64_t v, int64_t ts) {
    fr_datum_t kd = fr_datum_str(k), vd = fr_datum_i64(v);
    FR_CHECK_EQ_INT(fr_test_driver_pipe(x->d, "in", &kd, &vd, ts), 0);
}

/* Next record as (key text, int64 value); 0 when none. */
static int next_i64(built_t *x, const char *topic, char *key, int64_t *v) {
    fr_test_record_t r;
    if (!fr_test_driver_read(x->d, topic, &r))
        return 0;
    snprintf(key, 64, "%.*s", r.key.len < 0 ? 0 : r.key.len, (const char *)r.key.ptr);
    fr_datum_t d;
    FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &d), 0);
    *v = d.i64;
    return 1;
}

FR_TEST(filter_filter_not_map_values) {
    built_t x;
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *in = fr_builder_stream(b, "in", NULL);
    fr_kstream_to(fr_kstream_map_values(fr_kstream_filter(in, is_even, NULL, NULL), times10, NULL, NULL, NULL), "even",
                  NULL);
    fr_kstream_to(fr_kstream_filter_not(in, is_even, NULL, "odd-filter"), "odd", NULL);
    fr_kstream_to(fr_kstream_map_values(in, to_text, NULL, fr_serde_string(), NULL), "text", NULL);
    build(&x, b);
    for (int i = 1; i <= 4; i++)
        pipe_i64(&x, "k", i, i);
    char k[64];
    int64_t v;
    FR_CHECK_EQ_INT(next_i64(&x, "even", k, &v), 1);
    FR_CHECK_EQ_INT(v, 20);
    FR_CHECK_EQ_INT(next_i64(&x, "even", k, &v), 1);
    FR_CHECK_EQ_INT(v, 40);
    FR_CHECK_EQ_INT(next_i64(&x, "even", k, &v), 0);
    FR_CHECK_EQ_INT(next_i64(&x, "odd", k, &v), 1);
    FR_CHECK_EQ_INT(v, 1);
    FR_CHECK_EQ_STR(k, "k");
    FR_CHECK_EQ_INT(next_i64(&x, "odd", k, &v), 1);
    FR_CHECK_EQ_INT(v, 3);
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(x.d, "text", &r), 1);
    FR_CHECK(r.value.len == 3 && !memcmp(r.value.ptr, "v=1", 3));
    FR_CHECK_EQ_INT(r.timestamp, 1);
    done(&x);
}

FR_TEST(map_flat_map_select_key) {
    built_t x;
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *in = fr_builder_stream(b, "in", NULL);
    fr_kstream_to(fr_kstream_map(in, swap, NULL, NULL, NULL, NULL), "swapped", NULL);
    fr_kstream_to(fr_kstream_flat_map(in, repeat, NULL, NULL, NULL, NULL), "flat", NULL);
    fr_kstream_to(fr_kstream_flat_map_values(in, repeat, NULL, NULL, NULL), "flatv", NULL);
    fr_kstream_to(fr_kstream_select_key(in, key_upper, NULL, NULL, NULL), "upper", NULL);
    build(&x, b);
    pipe_i64(&x, "abc", 3, 7);
    char k[64];
    int64_t v;
    FR_CHECK_EQ_INT(next_i64(&x, "swapped", k, &v), 1);
    FR_CHECK_EQ_STR(k, "3");
    FR_CHECK_EQ_INT(v, 3);
    for (int i = 0; i < 3; i++) {
        FR_CHECK_EQ_INT(next_i64(&x, "flat", k, &v), 1);
        FR_CHECK_EQ_INT(v, i);
        FR_CHECK_EQ_STR(k, "abc");
        FR_CHECK_EQ_INT(next_i64(&x, "flatv", k, &v), 1);
        FR_CHECK_EQ_INT(v, i);
    }
    FR_CHECK_EQ_INT(next_i64(&x, "flat", k, &v), 0);
    FR_CHECK_EQ_INT(next_i64(&x, "upper", k, &v), 1);
    FR_CHECK_EQ_STR(k, "ABC");
    FR_CHECK_EQ_INT(v, 3);
    done(&x);
}

FR_TEST(split_merge_peek_foreach) {
    built_t x;
    int peeks = 0, foreachs = 0;
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *in = fr_builder_stream(b, "in", NULL);
    fr_branched_t *br = fr_kstream_split(in, "split-");
    fr_kstream_t *big = fr_branched_branch(br, is_big, NULL, "big");
    fr_kstream_t *even = fr_branched_branch(br, is_even, NULL, NULL);
    fr_kstream_t *rest = fr_branched_default(br, NULL);
    fr_kstream_to(big, "big", NULL);
    fr_kstream_to(even, "even", NULL);
    fr_kstream_to(rest, "rest", NULL);
    fr_kstream_t *merged = fr_kstream_peek(fr_kstream_merge(big, rest, NULL), count_calls, &peeks, NULL);
    fr_kstream_to(merged, "merged", NULL);
    FR_CHECK_EQ_INT(fr_kstream_foreach(even, count_calls, &foreachs, NULL), 0);
    build(&x, b);
    char *desc = fr_topology_describe(x.t);
    FR_CHECK(desc && strstr(desc, "Processor: split- (stores: [])"));
    FR_CHECK(desc && strstr(desc, "split-big"));
    FR_CHECK(desc && strstr(desc, "split-2"));
    FR_CHECK(desc && strstr(desc, "split-0"));
    FR_CHECK(desc && strstr(desc, "KSTREAM-MERGE-"));
    free(desc);
    const int64_t vals[] = {100, 4, 5, 202, 7};
    for (int i = 0; i < 5; i++)
        pipe_i64(&x, "k", vals[i], i);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "big"), 2);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "even"), 1);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "rest"), 2);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "merged"), 4);
    FR_CHECK_EQ_INT(peeks, 4);
    FR_CHECK_EQ_INT(foreachs, 1);
    char k[64];
    int64_t v;
    const int64_t order[] = {100, 5, 202, 7};
    for (int i = 0; i < 4; i++) {
        FR_CHECK_EQ_INT(next_i64(&x, "merged", k, &v), 1);
        FR_CHECK_EQ_INT(v, order[i]);
    }
    done(&x);
}

static int32_t last_partitioner(void *ctx, const char *topic, const fr_datum_t *k, const fr_datum_t *v, int32_t n) {
    return n - 1;
}
static const char *topic_by_parity(void *ctx, const fr_datum_t *k, const fr_datum_t *v, const fr_record_context_t *rc) {
    return v->i64 % 2 ? "odd-out" : "even-out";
}

FR_TEST(to_with_partitioner_and_extractor) {
    built_t x;
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *in = fr_builder_stream(b, "in", NULL);
    fr_produced_t p = {.partitioner = last_partitioner};
    fr_kstream_to(in, "out", &p);
    fr_kstream_to_extractor(in, topic_by_parity, NULL, NULL);
    x.cfg = config();
    FR_CHECK_EQ_INT(fr_builder_build(b, x.cfg, &x.t, NULL, 0), 0);
    fr_builder_free(b);
    fr_test_driver_opts_t o = {.partitions = 4};
    FR_CHECK_EQ_INT(fr_test_driver_new(x.t, x.cfg, &o, &x.d, NULL, 0), 0);
    pipe_i64(&x, "a", 1, 1);
    pipe_i64(&x, "b", 2, 2);
    fr_test_record_t r;
    FR_CHECK_EQ_INT(fr_test_driver_read(x.d, "out", &r), 1);
    FR_CHECK_EQ_INT(r.partition, 3);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "odd-out"), 1);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "even-out"), 1);
    done(&x);
}

/* selectKey then groupByKey: the repartition topic appears, is read back by
 * the aggregation's sub-topology, and records land by the new key. */
FR_TEST(repartition_routes_by_new_key) {
    built_t x;
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *in = fr_builder_stream(b, "in", NULL);
    fr_kstream_t *up = fr_kstream_select_key(in, key_upper, NULL, NULL, NULL);
    fr_grouped_t g = {.name = "by-upper"};
    fr_ktable_t *c = fr_kgrouped_stream_count(fr_kstream_group_by_key(up, &g), NULL);
    fr_kstream_to(fr_ktable_to_stream(c, NULL), "counts", NULL);
    char changelog[128];
    snprintf(changelog, sizeof changelog, "ops-%s-changelog", fr_ktable_store_name(c));
    FR_CHECK_EQ_STR(fr_ktable_store_name(c), "KSTREAM-AGGREGATE-STATE-STORE-0000000003");
    fr_repartitioned_t rp = {.name = "explicit"};
    fr_kstream_to(fr_kstream_repartition(in, &rp), "through", NULL);
    x.cfg = config();
    FR_CHECK_EQ_INT(fr_builder_build(b, x.cfg, &x.t, NULL, 0), 0);
    fr_builder_free(b);
    size_t n;
    FR_CHECK_EQ_INT(fr_topology_subtopology_count(x.t), 3);
    fr_test_driver_opts_t o = {.partitions = 3};
    FR_CHECK_EQ_INT(fr_test_driver_new(x.t, x.cfg, &o, &x.d, NULL, 0), 0);
    const char *keys[] = {"ab", "AB", "cd", "ab"};
    for (int i = 0; i < 4; i++)
        pipe_i64(&x, keys[i], 1, i);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "ops-by-upper-repartition"), 4);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "ops-explicit-repartition"), 4);
    FR_CHECK_EQ_INT(fr_test_driver_unread(x.d, "through"), 4);
    /* Every record of one new key went to one partition of the repartition topic. */
    fr_test_record_t r;
    int32_t ab_part = -1;
    while (fr_test_driver_read(x.d, "ops-by-upper-repartition", &r)) {
        if (r.key.len == 2 && !memcmp(r.key.ptr, "AB", 2)) {
            if (ab_part < 0)
                ab_part = r.partition;
            FR_CHECK_EQ_INT(r.partition, ab_part);
        }
    }
    char k[64];
    int64_t v, last_ab = 0;
    while (next_i64(&x, "counts", k, &v))
        if (!strcmp(k, "AB"))
            last_ab = v;
    FR_CHECK_EQ_INT(last_ab, 3);
    const char *const *names = fr_test_driver_topics(x.d, &n);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found += !strcmp(names[i], changelog);
    FR_CHECK_EQ_INT(found, 1);
    done(&x);
}

int main(void) {
    FR_RUN(filter_filter_not_map_values);
    FR_RUN(map_flat_map_select_key);
    FR_RUN(split_merge_peek_foreach);
    FR_RUN(to_with_partitioner_and_extractor);
    FR_RUN(repartition_routes_by_new_key);
    return fr_test_done();
}
