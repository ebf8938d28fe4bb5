/* Word count through the test driver: Kafka's docs walk-through (dsl-api,
 * "Aggregating" / KGroupedStream) update by update without a cache, and the
 * deduplicated result with one; repartition and changelog topics. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"
#include "test_driver_helpers.h"

/* Lower-cases the line and emits each run of word characters. */
static int split_words(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_emitter_t *e) {
    char *low = fr_scratch_strndup(fr_emitter_scratch(e), v->ptr, v->len);
    if (!low)
        return FR_ERR_NOMEM;
    size_t i = 0;
    while (i < v->len) {
        while (i < v->len && !isalnum((unsigned char)low[i]))
            i++;
        size_t start = i;
        while (i < v->len && isalnum((unsigned char)low[i])) {
            low[i] = (char)tolower((unsigned char)low[i]);
            i++;
        }
        if (i > start) {
            fr_datum_t w = fr_datum_strn(low + start, i - start);
            int rc = fr_emit(e, NULL, &w);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int word_key(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = *v;
    return 0;
}

static fr_topology_t *wordcount(fr_streams_config_t *cfg) {
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kstream_t *words = fr_kstream_flat_map_values(fr_builder_stream(b, "lines", &c), split_words, NULL, NULL, NULL);
    fr_materialized_t m = {.name = "counts-store"};
    fr_ktable_t *counts = fr_kgrouped_stream_count(fr_kstream_group_by(words, word_key, NULL, NULL, NULL), &m);
    fr_kstream_to(fr_ktable_to_stream(counts, NULL), "counts", NULL);
    fr_topology_t *t = NULL;
    char err[256] = "";
    int rc = fr_builder_build(b, cfg, &t, err, sizeof err);
    if (rc)
        fprintf(stderr, "build: %s\n", err);
    fr_builder_free(b);
    return t;
}

static fr_streams_config_t *config(const char *cache) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "wc", NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", cache, NULL, 0);
    return cfg;
}

static int read_count(fr_test_driver_t *d, const char *topic, char *word, size_t wl, int64_t *count, int64_t *ts) {
    fr_test_record_t r;
    if (!fr_test_driver_read(d, topic, &r))
        return 0;
    fr_datum_t k, v;
    if (fr_serde_decode(fr_serde_string(), r.key, &k) || fr_serde_decode(fr_serde_int64(), r.value, &v))
        return -1;
    snprintf(word, wl, "%.*s", (int)k.len, k.ptr);
    *count = v.i64;
    if (ts)
        *ts = r.timestamp;
    return 1;
}

FR_TEST(update_by_update_without_cache) {
    fr_streams_config_t *cfg = config("0");
    fr_topology_t *t = wordcount(cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    const char *in[] = {"hello", "kafka", "streams", "kafka", "kafka", "streams"};
    for (int i = 0; i < 6; i++) {
        fr_datum_t v = fr_datum_str(in[i]);
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "lines", NULL, &v, i + 1), 0);
    }
    const char *ew[] = {"hello", "kafka", "streams", "kafka", "kafka", "streams"};
    const int64_t ec[] = {1, 1, 1, 2, 3, 2};
    char w[64];
    int64_t c = 0, ts = 0;
    for (int i = 0; i < 6; i++) {
        FR_CHECK_EQ_INT(read_count(d, "counts", w, sizeof w, &c, &ts), 1);
        FR_CHECK_EQ_STR(w, ew[i]);
        FR_CHECK_EQ_INT(c, ec[i]);
        FR_CHECK_EQ_INT(ts, i + 1);
    }
    FR_CHECK_EQ_INT(read_count(d, "counts", w, sizeof w, &c, NULL), 0);
    /* The store and the changelog agree with the stream. */
    fr_datum_t key = fr_datum_str("kafka"), val;
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "counts-store", &key, &val), 0);
    FR_CHECK_EQ_INT(val.i64, 3);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "wc-counts-store-changelog"), 6);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "wc-counts-store-repartition"), 6);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(deduplicated_with_cache) {
    fr_streams_config_t *cfg = config("10485760");
    fr_topology_t *t = wordcount(cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    fr_datum_t v1 = fr_datum_str("hello kafka streams"), v2 = fr_datum_str("Kafka KAFKA streams");
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "lines", NULL, &v1, 1), 0);
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "lines", NULL, &v2, 2), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "counts"), 0); /* held in the cache until the commit */
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "counts"), 3);
    int seen = 0;
    char w[64];
    int64_t c;
    while (read_count(d, "counts", w, sizeof w, &c, NULL) == 1) {
        if (!strcmp(w, "hello"))
            {
            FR_CHECK_EQ_INT(c, 1);
            seen |= 1;
        }
        else if (!strcmp(w, "kafka"))
            {
            FR_CHECK_EQ_INT(c, 3);
            seen |= 2;
        }
        else if (!strcmp(w, "streams"))
            {
            FR_CHECK_EQ_INT(c, 2);
            seen |= 4;
        }
        else
            FR_CHECK(0);
    }
    FR_CHECK_EQ_INT(seen, 7);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "wc-counts-store-changelog"), 3);
    /* Nothing new: a second commit sends nothing. */
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "counts"), 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(commit_interval_flushes_on_wall_clock) {
    fr_streams_config_t *cfg = config("1048576");
    fr_streams_config_set(cfg, "commit.interval.ms", "1000", NULL, 0);
    fr_topology_t *t = wordcount(cfg);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, NULL, &d, NULL, 0), 0);
    fr_datum_t v = fr_datum_str("a a a");
    FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "lines", NULL, &v, 5), 0);
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 999), 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "counts"), 0);
    FR_CHECK_EQ_INT(fr_test_driver_advance_wall_clock(d, 1), 0);
    char w[64];
    int64_t c;
    FR_CHECK_EQ_INT(read_count(d, "counts", w, sizeof w, &c, NULL), 1);
    FR_CHECK_EQ_STR(w, "a");
    FR_CHECK_EQ_INT(c, 3);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Java's value.toLowerCase().split("\\W+") as Kafka's WordCountDemo runs it:
 * a leading separator gives a leading "", trailing empty strings are
 * removed, and an empty line is [""] (no match: the line itself). */
static int java_split(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_emitter_t *e) {
    const char *p = v->ptr, *end = v->ptr + v->len;
    int any_word = 0, rc;
    for (size_t i = 0; i < v->len; i++)
        any_word |= isalnum((unsigned char)p[i]) || p[i] == '_';
    if (v->len == 0 || (any_word && !(isalnum((unsigned char)p[0]) || p[0] == '_'))) {
        fr_datum_t empty = fr_datum_strn("", 0);
        if ((rc = fr_emit(e, NULL, &empty)))
            return rc;
    }
    while (p < end) {
        while (p < end && !(isalnum((unsigned char)*p) || *p == '_'))
            p++;
        const char *w = p;
        while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        if (p > w) {
            char *low = fr_scratch_strndup(fr_emitter_scratch(e), w, (size_t)(p - w));
            if (!low)
                return FR_ERR_NOMEM;
            for (char *c = low; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            fr_datum_t word = fr_datum_strn(low, (size_t)(p - w));
            if ((rc = fr_emit(e, NULL, &word)))
                return rc;
        }
    }
    return 0;
}

/* Kafka counts the empty word "" like any other (an empty, non-null key):
 * through the repartition topic, the count store and its changelog. */
FR_TEST(empty_word_counted_like_kafka) {
    fr_streams_config_t *cfg = config("0");
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t cs = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kstream_t *words = fr_kstream_flat_map_values(fr_builder_stream(b, "lines", &cs), java_split, NULL, NULL, NULL);
    fr_materialized_t m = {.name = "counts-store"};
    fr_ktable_t *counts = fr_kgrouped_stream_count(fr_kstream_group_by(words, word_key, NULL, NULL, NULL), &m);
    fr_kstream_to(fr_ktable_to_stream(counts, NULL), "counts", NULL);
    fr_topology_t *t;
    fr_test_driver_t *d = build_driver(b, cfg, &t);
    /* Java: [""], ["", "hello"], ["hello"], [], ["hello", "world"]. */
    const char *in[] = {"", " hello", "hello ", "  ", "Hello, world"};
    for (int i = 0; i < 5; i++) {
        fr_datum_t v = fr_datum_str(in[i]);
        FR_CHECK_EQ_INT(fr_test_driver_pipe(d, "lines", NULL, &v, i + 1), 0);
    }
    const char *ew[] = {"", "", "hello", "hello", "hello", "world"};
    const int64_t ec[] = {1, 2, 1, 2, 3, 1}, ets[] = {1, 2, 2, 3, 5, 5};
    fr_test_record_t r;
    for (int i = 0; i < 6; i++) {
        FR_CHECK_EQ_INT(fr_test_driver_read(d, "counts", &r), 1);
        FR_CHECK(!fr_slice_is_null(r.key) && (size_t)r.key.len == strlen(ew[i]) &&
                 !memcmp(r.key.ptr, ew[i], strlen(ew[i])));
        fr_datum_t v;
        FR_CHECK_EQ_INT(fr_serde_decode(fr_serde_int64(), r.value, &v), 0);
        FR_CHECK_EQ_INT(v.i64, ec[i]);
        FR_CHECK_EQ_INT(r.timestamp, ets[i]);
    }
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "counts"), 0);
    fr_datum_t key = fr_datum_strn("", 0), val;
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "counts-store", &key, &val), 0);
    FR_CHECK_EQ_INT(val.i64, 2);
    /* The changelog carries the empty key itself. */
    FR_CHECK_EQ_INT(fr_test_driver_read(d, "wc-counts-store-changelog", &r), 1);
    FR_CHECK(r.key.len == 0);
    FR_CHECK_EQ_INT(fr_test_driver_unread(d, "wc-counts-store-changelog"), 5);
    FR_CHECK_EQ_INT(fr_test_driver_commit(d), 0);
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(update_by_update_without_cache);
    FR_RUN(deduplicated_with_cache);
    FR_RUN(commit_interval_flushes_on_wall_clock);
    FR_RUN(empty_word_counted_like_kafka);
    return fr_test_done();
}
