/* Helpers for the windowed DSL tests: build a topology, read windowed
 * records as "key@start/end=value" strings. */
#ifndef TEST_WINDOWS_HELPERS_H
#define TEST_WINDOWS_HELPERS_H

#include <stdio.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

static fr_streams_config_t *win_config(const char *app, const char *cache) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", app, NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", cache, NULL, 0);
    return cfg;
}

static fr_topology_t *win_build(fr_builder_t *b, fr_streams_config_t *cfg) {
    fr_topology_t *t = NULL;
    char err[256] = "";
    if (fr_builder_build(b, cfg, &t, err, sizeof err))
        fprintf(stderr, "build: %s\n", err);
    fr_builder_free(b);
    return t;
}

/* Reads the next record of topic as "key@start/end=count" (int64 values) or
 * "key@start/end=null"; size 0 decodes a session key.  ts gets the timestamp.
 * Returns 0 when there is none. */
static int win_read(fr_test_driver_t *d, const char *topic, int64_t size, char *out, size_t outlen, int64_t *ts) {
    fr_test_record_t r;
    if (!fr_test_driver_read(d, topic, &r))
        return 0;
    fr_datum_t kd = fr_datum_bytes(r.key.ptr, r.key.len < 0 ? 0 : (size_t)r.key.len);
    fr_windowed_t w;
    if (fr_windowed_key(&kd, fr_serde_string(), size, &w)) {
        snprintf(out, outlen, "bad key");
        return 1;
    }
    if (fr_slice_is_null(r.value))
        snprintf(out, outlen, "%.*s@%lld/%lld=null", (int)w.key.len, w.key.ptr, (long long)w.start, (long long)w.end);
    else {
        fr_datum_t v;
        if (fr_serde_decode(fr_serde_int64(), r.value, &v))
            snprintf(out, outlen, "%.*s@%lld/%lld=%.*s", (int)w.key.len, w.key.ptr, (long long)w.start,
                     (long long)w.end, (int)r.value.len, (const char *)r.value.ptr);
        else
            snprintf(out, outlen, "%.*s@%lld/%lld=%lld", (int)w.key.len, w.key.ptr, (long long)w.start,
                     (long long)w.end, (long long)v.i64);
    }
    if (ts)
        *ts = r.timestamp;
    return 1;
}

static int win_pipe(fr_test_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts) {
    fr_datum_t k = fr_datum_str(key), v = fr_datum_str(value);
    return fr_test_driver_pipe(d, topic, &k, &v, ts);
}

/* Checks the next records of topic against expected strings and timestamps, then that nothing else is there. */
#define WIN_EXPECT(d, topic, size, exp, ets)                                                                           \
    do {                                                                                                               \
        char got_[128];                                                                                                \
        int64_t ts_ = -1;                                                                                              \
        for (size_t i_ = 0; i_ < sizeof(exp) / sizeof((exp)[0]); i_++) {                                               \
            FR_CHECK_EQ_INT(win_read(d, topic, size, got_, sizeof got_, &ts_), 1);                                     \
            FR_CHECK_EQ_STR(got_, (exp)[i_]);                                                                          \
            FR_CHECK_EQ_INT(ts_, (ets)[i_]);                                                                           \
        }                                                                                                              \
        FR_CHECK_EQ_INT(fr_test_driver_unread(d, topic), 0);                                                           \
    } while (0)

#endif
