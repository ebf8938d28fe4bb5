/* Bad input through the test driver: bytes a serde rejects give a clear error
 * (or are skipped with log-and-continue), bad config and unknown topics are
 * errors, builder misuse is reported at build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

static fr_topology_t *count_by_key(fr_streams_config_t *cfg, const fr_serde_t *vs) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), vs, NULL};
    fr_ktable_t *t = fr_kgrouped_stream_count(fr_kstream_group_by_key(fr_builder_stream(b, "in", &c), NULL), NULL);
    fr_kstream_to(fr_ktable_to_stream(t, NULL), "out", NULL);
    fr_topology_t *topo = NULL;
    fr_builder_build(b, cfg, &topo, NULL, 0);
    fr_builder_free(b);
    return topo;
}

FR_TEST(bad_bytes_fail_clearly) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "bad", NULL, 0);
    fr_topology_t *t = count_by_key(cfg, fr_serde_int64());
    FR_CHECK(t != NULL);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", fr_slice_from_cstr("k"), fr_slice_from_cstr("abc"), 1, NULL, 0),
                    FR_ERR_PARSE);
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "nope", fr_slice_from_cstr("k"), fr_slice_from_cstr("abc"), 1, NULL, 0),
                    FR_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(bad_json_skipped_with_log_and_continue) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "bad", NULL, 0);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "default.deserialization.exception.handler",
                                          "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler", NULL, 0),
                    0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    fr_topology_t *t = count_by_key(cfg, fr_serde_json());
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", fr_slice_from_cstr("k"), fr_slice_from_cstr("{\"a\":"), 1, NULL, 0),
                    0);
    FR_CHECK_EQ_INT(fr_test_driver_pipe_raw(d, "in", fr_slice_from_cstr("k"), fr_slice_from_cstr("{\"a\":1}"), 2, NULL,
                                            0),
                    0);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped, 1);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 1);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(config_validation) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    char err[128] = "";
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "processing.guarantee", "sometimes", err, sizeof err), FR_ERR_CONFIG);
    FR_CHECK(strstr(err, "processing.guarantee") != NULL);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "num.stream.threads", "0", NULL, 0), FR_ERR_CONFIG);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "application.id", "has space", NULL, 0), FR_ERR_CONFIG);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "statestore.cache.max.bytes", "0", NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_streams_config_get_int(cfg, "cache.max.bytes.buffering"), 0);
    FR_CHECK_EQ_INT(fr_streams_config_get_int(cfg, "commit.interval.ms"), 30000);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "processing.guarantee", "exactly_once_v2", NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_streams_config_get_int(cfg, "commit.interval.ms"), 100);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, "linger.ms", "5", NULL, 0), 0); /* passed through */
    FR_CHECK_EQ_STR(fr_streams_config_get(cfg, "linger.ms"), "5");
    /* No application.id: build fails with a message. */
    fr_builder_t *b = fr_builder_new();
    fr_kstream_to(fr_builder_stream(b, "in", NULL), "out", NULL);
    fr_topology_t *t = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), FR_ERR_CONFIG);
    FR_CHECK(strstr(err, "application.id") != NULL);
    fr_builder_free(b);
    fr_streams_config_free(cfg);
}

/* A task's stores live in one LMDB map of freshet.state.store.map.bytes:
 * state past it fails the task clearly (out of memory, and the log names the
 * key), and the default leaves room for far more. */
static int pipe_distinct_keys(fr_streams_config_t *cfg, int n) {
    fr_topology_t *t = count_by_key(cfg, fr_serde_string());
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    char key[400];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        memset(key, 'a' + i % 26, sizeof key);
        snprintf(key, 16, "%08d", i); /* distinct */
        rc = fr_test_driver_pipe_raw(d, "in", (fr_slice_t){(const uint8_t *)key, sizeof key},
                                     fr_slice_from_cstr("v"), i, NULL, 0);
    }
    fr_test_driver_free(d);
    fr_topology_free(t);
    return rc;
}

FR_TEST(state_past_the_map_size_fails_the_task) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "full", NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    FR_CHECK_EQ_INT(fr_streams_config_get_int(cfg, FR_STREAMS_STATE_STORE_MAP_BYTES), 17179869184LL);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, FR_STREAMS_STATE_STORE_MAP_BYTES, "4096", NULL, 0), FR_ERR_CONFIG);
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, FR_STREAMS_STATE_STORE_MAP_BYTES, "lots", NULL, 0), FR_ERR_CONFIG);
    FR_CHECK_EQ_INT(pipe_distinct_keys(cfg, 8000), 0); /* ~3 MB of keys, in the store and its changelog */
    FR_CHECK_EQ_INT(fr_streams_config_set(cfg, FR_STREAMS_STATE_STORE_MAP_BYTES, "1048576", NULL, 0), 0);
    FR_CHECK_EQ_INT(pipe_distinct_keys(cfg, 8000), FR_ERR_NOMEM);
    fr_streams_config_free(cfg);
}

FR_TEST(builder_errors_surface_at_build) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "x", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_builder_stream(b, "in", NULL);
    FR_CHECK(fr_kstream_filter(s, NULL, NULL, NULL) == NULL); /* no predicate */
    FR_CHECK(fr_kstream_map_values(NULL, NULL, NULL, NULL, NULL) == NULL);
    fr_topology_t *t = NULL;
    char err[256] = "";
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), FR_ERR_INVALID_ARG);
    FR_CHECK(strstr(err, "no function") != NULL);
    fr_builder_free(b);
    b = fr_builder_new();
    fr_builder_stream(b, "in", NULL);
    FR_CHECK(fr_builder_stream(b, "in", NULL) == NULL); /* a topic read twice */
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), FR_ERR_INVALID_ARG);
    fr_builder_free(b);
    fr_streams_config_free(cfg);
}

FR_TEST(mapper_type_mismatch_is_an_error) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "x", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_int64(), NULL};
    fr_kstream_to(fr_builder_stream(b, "in", &c), "out", NULL);
    fr_topology_t *t = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, NULL, 0), 0);
    fr_builder_free(b);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    fr_datum_t k = fr_datum_str("k"), v = fr_datum_i64(1);
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, -5), FR_ERR_INVALID_TIMESTAMP); /* FailOnInvalidTimestamp */
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "in", &k, &v, 5), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "out"), 1);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(bad_bytes_fail_clearly);
    FR_RUN(bad_json_skipped_with_log_and_continue);
    FR_RUN(config_validation);
    FR_RUN(state_past_the_map_size_fails_the_task);
    FR_RUN(builder_errors_surface_at_build);
    FR_RUN(mapper_type_mismatch_is_an_error);
    return fr_test_done();
}
