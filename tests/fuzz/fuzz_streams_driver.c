/*
 * Hostile records through a real topology (streams_test_driver.h): every
 * parser of bytes that a streams application reads from topics or keeps in
 * its stores sees fuzzed input, and every failure must come back as a return
 * value.  The topology, built once:
 *
 *   in (string keys, JSON values) ─ filter ─ mapValues ─ groupByKey ─ count ─ out-count
 *                                 ├ groupByKey ─ windowedBy(tumbling 60 s, grace 10 s) ─ count ─ out-win
 *                                 ├ groupByKey ─ windowedBy(session gap 5 s, grace 1 s) ─ count ─ out-sess
 *                                 └ join(tbl) ─ out-join
 *   tbl (string keys, int64 values) ─ groupBy(first key byte) ─ [fz-regroup-repartition]
 *                                   ─ reduce(adder, subtractor) ─ out-sum
 *
 * with default.deserialization.exception.handler=LogAndContinue, so bytes
 * the serdes reject are skipped and counted, UsePartitionTimeOnInvalidTimestamp
 * (negative timestamps take the partition time, or are skipped before there
 * is one), and no record cache.  The
 * repartition topic of the grouped table is an external input too: raw
 * bytes are piped straight into it, which exercises the change encoding.
 *
 * Input format, repeated: one control byte (topic, null key / value, commit,
 * wall clock, timestamp mode), the timestamp (mode: +u16, -u8, raw 8 bytes,
 * same), then key and value as a length byte and that many bytes.  One
 * driver serves many inputs and is re-created every k_inputs_per_driver runs
 * so that its in-memory topics and LMDB files stay small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

#define APP_ID "fz"
#define REPARTITION APP_ID "-regroup-repartition"

enum { k_inputs_per_driver = 128, k_max_records = 64 };

static fr_streams_config_t *g_cfg;
static fr_topology_t *g_topo;
static fr_test_driver_t *g_driver;
static unsigned g_inputs;

/* ---- user functions: they get hostile (but serde-valid) datums ---- */

static int keep_some(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return !v->is_null && v->len % 3 != 0; }

static int describe(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    size_t n = v->is_null ? 0 : v->len < 16 ? v->len : 16;
    char *p = fr_scratch_alloc(s, n + 2);
    if (!p)
        return FR_ERR_NOMEM;
    p[0] = 'v';
    p[1] = ':';
    if (n)
        memcpy(p + 2, v->ptr, n);
    *out = fr_datum_strn(p, n + 2);
    return 0;
}

/* tbl's (key, value) -> (first byte of the key, value). */
static int first_byte(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *ok, fr_datum_t *ov,
                      fr_scratch_t *s) {
    *ok = fr_datum_strn(k->ptr, k->len ? 1 : 0);
    *ov = *v;
    return 0;
}

/* Wrapping sums: the values are fuzzed, signed overflow would be the harness's UB. */
static int adder(void *ctx, const fr_datum_t *agg, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64((int64_t)((uint64_t)agg->i64 + (uint64_t)v->i64));
    return 0;
}
static int subtractor(void *ctx, const fr_datum_t *agg, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = fr_datum_i64((int64_t)((uint64_t)agg->i64 - (uint64_t)v->i64));
    return 0;
}

static int joiner(void *ctx, const fr_datum_t *k, const fr_datum_t *l, const fr_datum_t *r, fr_datum_t *out,
                  fr_scratch_t *s) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%zu|%lld", l->is_null ? (size_t)0 : l->len, r->is_null ? -1LL : (long long)r->i64);
    char *p = fr_scratch_strndup(s, buf, (size_t)n);
    if (!p)
        return FR_ERR_NOMEM;
    *out = fr_datum_strn(p, (size_t)n);
    return 0;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "fuzz_streams_driver: %s: %s\n", what, msg);
    abort();
}

static void build(void) {
    char err[256] = "";
    fr_logging_set_level(FR_LOG_ERROR);
    g_cfg = fr_streams_config_new();
    if (!g_cfg || fr_streams_config_set(g_cfg, FR_STREAMS_APPLICATION_ID, APP_ID, err, sizeof err) ||
        fr_streams_config_set(g_cfg, FR_STREAMS_DESER_HANDLER, "LogAndContinueExceptionHandler", err, sizeof err) ||
        fr_streams_config_set(g_cfg, FR_STREAMS_CACHE_MAX_BYTES, "0", err, sizeof err) ||
        fr_streams_config_set(g_cfg, FR_STREAMS_TIMESTAMP_EXTRACTOR, "UsePartitionTimeOnInvalidTimestamp", err,
                              sizeof err))
        die("config", err);

    fr_builder_t *b = fr_builder_new();
    fr_consumed_t sj = {fr_serde_string(), fr_serde_json(), NULL};
    fr_consumed_t sl = {fr_serde_string(), fr_serde_int64(), NULL};
    fr_kstream_t *in = fr_builder_stream(b, "in", &sj);

    fr_kstream_t *mapped =
        fr_kstream_map_values(fr_kstream_filter(in, keep_some, NULL, NULL), describe, NULL, fr_serde_string(), NULL);
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_stream_count(fr_kstream_group_by_key(mapped, NULL), NULL), NULL),
                  "out-count", NULL);

    fr_time_windows_t tw = fr_time_windows_of_size_and_grace(60000, 10000);
    fr_session_windows_t sw = fr_session_windows_of(5000, 1000);
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(in, NULL);
    fr_kstream_to(fr_ktable_to_stream(fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(g, &tw), NULL, 0), NULL),
                  "out-win", NULL);
    fr_kstream_to(
        fr_ktable_to_stream(fr_windowed_stream_count(fr_kgrouped_stream_windowed_by_session(g, &sw), NULL, 0), NULL),
        "out-sess", NULL);

    fr_materialized_t tm = {.name = "tbl-store"};
    fr_ktable_t *tbl = fr_builder_table(b, "tbl", &sl, &tm);
    fr_grouped_t gr = {.name = "regroup"};
    fr_kgrouped_table_t *gt = fr_ktable_group_by(tbl, first_byte, NULL, fr_serde_string(), fr_serde_int64(), &gr);
    fr_materialized_t sm = {.name = "sum-store", .value_serde = fr_serde_int64()};
    fr_kstream_to(fr_ktable_to_stream(fr_kgrouped_table_reduce(gt, adder, subtractor, NULL, &sm), NULL), "out-sum",
                  NULL);

    fr_kstream_to(fr_kstream_join_table(in, tbl, joiner, NULL, fr_serde_string(), NULL), "out-join", NULL);

    if (fr_builder_build(b, g_cfg, &g_topo, err, sizeof err))
        die("build", err);
    fr_builder_free(b);
}

/* Reads everything the topology wrote (sinks, changelogs, the repartition
 * topic) and checks what our own serializers must have produced. */
static void drain_outputs(void) {
    size_t n;
    const char *const *topics = fr_test_driver_topics(g_driver, &n);
    for (size_t i = 0; i < n; i++) {
        const char *t = topics[i];
        fr_test_record_t r;
        while (fr_test_driver_read(g_driver, t, &r) == 1) {
            fr_datum_t d;
            fr_windowed_t w;
            if (!strcmp(t, "out-count") || !strcmp(t, "out-sum")) {
                if (fr_serde_decode(fr_serde_int64(), r.value, &d))
                    die(t, "value is not an int64");
                if (!strcmp(t, "out-count") && !d.is_null && d.i64 < 1)
                    die(t, "count below 1");
            } else if (!strcmp(t, "out-win") || !strcmp(t, "out-sess")) {
                int session = !strcmp(t, "out-sess");
                d = fr_datum_bytes(r.key.ptr, fr_slice_is_null(r.key) ? 0 : (size_t)r.key.len);
                if (fr_slice_is_null(r.key) || fr_windowed_key(&d, fr_serde_string(), session ? 0 : 60000, &w))
                    die(t, "key is not a windowed key");
                if (w.start > w.end || (!session && w.start % 60000 != 0))
                    die(t, "window bounds");
                if (fr_serde_decode(fr_serde_int64(), r.value, &d) || (!d.is_null && d.i64 < 1))
                    die(t, "value is not a count");
            } else if (!strcmp(t, "out-join")) {
                if (fr_slice_is_null(r.value))
                    die(t, "null join result");
            }
        }
    }
}

static void driver_close(void) {
    if (!g_driver)
        return;
    drain_outputs();
    fr_test_driver_free(g_driver);
    g_driver = NULL;
}

static void driver_open(void) {
    char err[256] = "";
    if (fr_test_driver_new(g_topo, g_cfg, NULL, &g_driver, err, sizeof err))
        die("driver", err);
}

static void at_exit(void) {
    driver_close();
    fr_topology_free(g_topo);
    fr_streams_config_free(g_cfg);
}

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor_t;

static uint8_t take_u8(cursor_t *c) {
    if (!c->n)
        return 0;
    c->n--;
    return *c->p++;
}

/* A length byte and that many bytes (fewer at the end of the input). */
static fr_slice_t take_bytes(cursor_t *c) {
    size_t len = take_u8(c);
    if (len > c->n)
        len = c->n;
    fr_slice_t s = {c->p, (int32_t)len};
    c->p += len;
    c->n -= len;
    return s;
}

/* With LogAndContinue, partition time for bad timestamps and user functions
 * that never fail, nothing the bytes can say is an error: bad bytes are
 * skipped and counted (fr_test_driver_metrics' dropped). */
static int expected(int rc) { return rc == 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_topo) {
        build();
        atexit(at_exit);
    }
    if (!g_driver)
        driver_open();

    cursor_t c = {data, size};
    int64_t ts = 1000;
    for (int i = 0; i < k_max_records && c.n; i++) {
        uint8_t ctl = take_u8(&c);
        static const char *const topics[] = {"in", "tbl", REPARTITION, "in"};
        const char *topic = topics[ctl & 3];
        switch ((ctl >> 6) & 3) {
        case 0: { /* wrapping: a raw timestamp may be near INT64_MAX */
            uint64_t hi = take_u8(&c), lo = take_u8(&c);
            ts = (int64_t)((uint64_t)ts + (hi << 8 | lo));
            break;
        }
        case 1: ts = (int64_t)((uint64_t)ts - take_u8(&c)); break;
        case 2: {
            uint64_t x = 0;
            for (int k = 0; k < 8; k++)
                x = x << 8 | take_u8(&c);
            ts = (int64_t)x;
            break;
        }
        default: break;
        }
        fr_slice_t key = take_bytes(&c), value = take_bytes(&c);
        /* Copies of exact size, so ASan sees reads past the record. */
        uint8_t *kc = malloc(key.len ? (size_t)key.len : 1), *vc = malloc(value.len ? (size_t)value.len : 1);
        memcpy(kc, key.ptr, (size_t)key.len);
        memcpy(vc, value.ptr, (size_t)value.len);
        key = ctl & 4 ? FR_SLICE_NULL : (fr_slice_t){kc, key.len};
        value = ctl & 8 ? FR_SLICE_NULL : (fr_slice_t){vc, value.len};
        int rc = fr_test_driver_pipe_raw(g_driver, topic, key, value, ts, NULL, 0);
        free(kc);
        free(vc);
        if (!expected(rc)) {
            fprintf(stderr, "pipe into %s: %s\n", topic, fr_err_str(rc));
            abort();
        }
        if ((ctl & 0x30) == 0x10 && !expected(rc = fr_test_driver_commit(g_driver))) {
            fprintf(stderr, "commit: %s\n", fr_err_str(rc));
            abort();
        }
        if ((ctl & 0x30) == 0x20 && !expected(rc = fr_test_driver_advance_wall_clock(g_driver, 31000))) {
            fprintf(stderr, "advance wall clock: %s\n", fr_err_str(rc));
            abort();
        }
    }
    drain_outputs();
    if (++g_inputs % k_inputs_per_driver == 0)
        driver_close();
    return 0;
}
