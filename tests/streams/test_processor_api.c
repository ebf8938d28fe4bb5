/* Processor API: a processor with a store, a stream-time and a wall-clock
 * punctuator, and the record context (topic, partition, offset, timestamp,
 * headers). */
#include <stdlib.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

typedef struct seen {
    int64_t offsets[8], timestamps[8];
    char topic[32];
    int nheaders_first;
    int n;
    int64_t stream_puncts[8], wall_puncts[8];
    int nstream, nwall;
} seen_t;

static int emit_total(void *ctx, fr_processor_context_t *pc, int64_t ts) {
    seen_t *s = ctx;
    if (s->nstream < 8)
        s->stream_puncts[s->nstream++] = ts;
    fr_kv_t *kv = fr_pctx_kv(pc, "totals");
    fr_datum_t k = fr_datum_str("all"), v;
    if (fr_kv_get(kv, &k, &v) == 0)
        return fr_pctx_forward(pc, &k, &v);
    return 0;
}

static int wall_tick(void *ctx, fr_processor_context_t *pc, int64_t ts) {
    seen_t *s = ctx;
    if (s->nwall < 8)
        s->wall_puncts[s->nwall++] = ts;
    return 0;
}

static int p_init(void *ctx, fr_processor_context_t *pc, void **state) {
    int rc = fr_pctx_schedule(pc, 10, FR_PUNCTUATE_STREAM_TIME, emit_total, ctx);
    if (rc == 0)
        rc = fr_pctx_schedule(pc, 1000, FR_PUNCTUATE_WALL_CLOCK, wall_tick, ctx);
    return rc;
}

static int p_process(void *state, fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value) {
    seen_t *s = state;
    const fr_record_context_t *rc = fr_pctx_record_context(pc);
    if (s->n < 8) {
        s->offsets[s->n] = rc->offset;
        s->timestamps[s->n] = rc->timestamp;
    }
    if (s->n == 0) {
        snprintf(s->topic, sizeof s->topic, "%s", rc->topic);
        s->nheaders_first = (int)rc->nheaders;
    }
    s->n++;
    fr_kv_t *kv = fr_pctx_kv(pc, "totals");
    fr_datum_t k = fr_datum_str("all"), cur;
    int64_t total = value->i64;
    if (fr_kv_get(kv, &k, &cur) == 0)
        total += cur.i64;
    fr_datum_t nv = fr_datum_i64(total);
    return fr_kv_put(kv, &k, &nv);
}

FR_TEST(processor_store_punctuators_context) {
    seen_t s = {0};
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "papi", NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_materialized_t m = {.name = "totals", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    FR_CHECK_EQ_INT(fr_builder_add_kv_store(b, &m), 0);
    fr_consumed_t c = {fr_serde_string(), fr_serde_int64(), NULL};
    fr_processor_supplier_t sup = {&s, p_init, p_process, NULL};
    const char *stores[] = {"totals"};
    fr_kstream_t *out = fr_kstream_process(fr_builder_stream(b, "in", &c), &sup, stores, 1, NULL, NULL, NULL);
    fr_kstream_to(out, "totals-out", NULL);
    fr_topology_t *t = NULL;
    char err[256] = "";
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), 0);
    fr_builder_free(b);
    char *desc = fr_topology_describe(t);
    FR_CHECK(desc && strstr(desc, "Processor: KSTREAM-PROCESSOR-0000000001 (stores: [totals])"));
    free(desc);
    fr_test_driver_opts_t o = {.start_wall_clock_ms = 5000};
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, &o, &d, NULL, 0), 0);
    fr_header_t h = {"trace", {(const uint8_t *)"abc", 3}};
    uint8_t vb[8];
    fr_slice_t k = fr_slice_from_cstr("k"), v;
    fr_datum_t one = fr_datum_i64(5);
    fr_serde_encode(fr_serde_int64(), &one, vb, &v);
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", k, v, 3, &h, 1), 0); /* stream time 3: punctuates (aligned to 0) */
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", k, v, 7, NULL, 0), 0);  /* next due at 10 */
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", k, v, 25, NULL, 0), 0); /* fires once at 25, next 30 */
    FR_CHECK_EQ_INT(s.n, 3);
    FR_CHECK_EQ_STR(s.topic, "in");
    FR_CHECK_EQ_INT(s.nheaders_first, 1);
    FR_CHECK_EQ_INT(s.offsets[0], 0);
    FR_CHECK_EQ_INT(s.offsets[2], 2);
    FR_CHECK_EQ_INT(s.timestamps[1], 7);
    FR_CHECK_EQ_INT(s.nstream, 2);
    FR_CHECK_EQ_INT(s.stream_puncts[0], 3);
    FR_CHECK_EQ_INT(s.stream_puncts[1], 25);
    /* The punctuator forwarded the totals after each record it followed. */
    fr_test_record_t r;
    fr_datum_t dv;
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "totals-out", &r), 1);
    fr_serde_decode(fr_serde_int64(), r.value, &dv);
    FR_CHECK_EQ_INT(dv.i64, 5);
    FR_CHECK_EQ_INT(r.timestamp, 3);
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "totals-out", &r), 1);
    fr_serde_decode(fr_serde_int64(), r.value, &dv);
    FR_CHECK_EQ_INT(dv.i64, 15);
    FR_CHECK_EQ_INT(r.timestamp, 25);
    /* Wall clock: first due at 5000 + 1000. */
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 999), 0);
    FR_CHECK_EQ_INT(s.nwall, 0);
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 1), 0);
    FR_CHECK_EQ_INT(s.nwall, 1);
    FR_CHECK_EQ_INT(s.wall_puncts[0], 6000);
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 2500), 0); /* 8500: one punctuation, next 9000 */
    FR_CHECK_EQ_INT(s.nwall, 2);
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 500), 0);
    FR_CHECK_EQ_INT(s.nwall, 3);
    fr_datum_t key = fr_datum_str("all");
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "totals", &key, &dv), 0);
    FR_CHECK_EQ_INT(dv.i64, 15);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "papi-totals-changelog"), 3);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(processor_store_punctuators_context);
    return fr_test_done();
}
