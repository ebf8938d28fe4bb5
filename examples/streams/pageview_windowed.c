/*
 * pageview_windowed — page views per page per minute, in tumbling windows.
 *
 *   streams-pageviews (key: user, value: page, e.g. "/index.html";
 *                      a JSON value {"page": "/index.html", ...} works too)
 *     → groupBy(page)                    (through a repartition topic)
 *     → 1-minute tumbling windows, 10 s grace (record time, not wall clock)
 *     → count                            (an LMDB window store + changelog)
 *     → streams-pageviews-per-minute     (key: Kafka's time-windowed key,
 *                                         page bytes ‖ window start as 8 bytes
 *                                         big-endian; value: 8-byte big-endian long)
 *
 * Every update is also printed on stdout, decoded:
 *   /index.html [2026-11-22T01:42:00Z, 2026-11-22T01:43:00Z) 3
 * A record arriving more than 10 s after its window ended (by stream time)
 * is dropped as late, as in Kafka.
 *
 *   build/examples/streams/pageview_windowed [--bootstrap-server localhost:9092]
 *                                            [--state-dir DIR] [--set key=value]...
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "example_app.h"
#include "freshet/streams_windows.h"

#define INPUT_TOPIC "streams-pageviews"
#define OUTPUT_TOPIC "streams-pageviews-per-minute"
#define WINDOW_MS 60000
#define GRACE_MS 10000

/* The page of a view: the value itself, or the "page" field of a JSON
 * object.  A deliberately small scan rather than a JSON parser: it only
 * needs "page":"..." without escapes, which is what the README feeds it. */
static int page_of(const fr_datum_t *value, const char **page, size_t *len) {
    const char *p = value->ptr, *end = value->ptr + value->len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p != '{') {
        *page = value->ptr;
        *len = value->len;
        return value->len > 0;
    }
    static const char field[] = "\"page\"";
    for (; p + sizeof(field) - 1 < end; p++) {
        if (memcmp(p, field, sizeof(field) - 1) != 0)
            continue;
        p += sizeof(field) - 1;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (p == end || *p != '"')
            return 0;
        const char *start = ++p;
        while (p < end && *p != '"')
            p++;
        *page = start;
        *len = (size_t)(p - start);
        return p < end && *len > 0;
    }
    return 0;
}

/* Views without a page are dropped here rather than failing the task. */
static int has_page(void *ctx, const fr_datum_t *key, const fr_datum_t *value) {
    (void)ctx;
    (void)key;
    const char *page;
    size_t len;
    return !value->is_null && page_of(value, &page, &len);
}

static int page_as_key(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                       fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    (void)scratch;
    const char *page;
    size_t len;
    page_of(value, &page, &len); /* has_page ran first */
    *out_key = fr_datum_strn(page, len);
    return 0;
}

static void format_time(int64_t ms, char *buf, size_t cap) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_update(void *ctx, const fr_datum_t *key, const fr_datum_t *value) {
    (void)ctx;
    fr_windowed_t w;
    if (fr_windowed_key(key, fr_serde_string(), WINDOW_MS, &w) != 0)
        return 0; /* not ours to fail on: the sink still writes the bytes */
    char from[32], to[32];
    format_time(w.start, from, sizeof(from));
    format_time(w.end, to, sizeof(to));
    if (value->is_null)
        printf("%.*s [%s, %s) deleted\n", (int)w.key.len, w.key.ptr, from, to);
    else
        printf("%.*s [%s, %s) %lld\n", (int)w.key.len, w.key.ptr, from, to, (long long)value->i64);
    fflush(stdout);
    return 0;
}

static const char USAGE[] =
    "usage: pageview_windowed [--bootstrap-server H:P] [--state-dir DIR] [--set key=value]...\n"
    "Counts views per page per minute from " INPUT_TOPIC " (key user, value page) into " OUTPUT_TOPIC ".\n";

int main(int argc, char **argv) {
    /* No record cache, so each view shows up at once (Kafka would batch
     * updates per commit.interval.ms with its default 10 MB cache). */
    static const char *const defaults[] = {FR_STREAMS_CACHE_MAX_BYTES, "0", NULL};
    fr_streams_config_t *cfg = example_config(argc, argv, USAGE, "streams-pageview-windowed", defaults);
    if (!cfg)
        return 2;
    fr_builder_t *b = fr_builder_new();
    if (!b) {
        fr_streams_config_free(cfg);
        return 1;
    }
    fr_consumed_t strings = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_kstream_t *views = fr_kstream_filter(fr_builder_stream(b, INPUT_TOPIC, &strings), has_page, NULL, NULL);
    fr_grouped_t grouped = {.name = "views-by-page", .key_serde = fr_serde_string()};
    fr_kgrouped_stream_t *by_page = fr_kstream_group_by(views, page_as_key, NULL, fr_serde_string(), &grouped);
    fr_time_windows_t minute = fr_time_windows_of_size_and_grace(WINDOW_MS, GRACE_MS);
    fr_materialized_t m = {.name = "views-per-minute", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    fr_ktable_t *counts = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(by_page, &minute), &m, 0);
    fr_kstream_t *updates = fr_kstream_peek(fr_ktable_to_stream(counts, NULL), print_update, NULL, NULL);
    /* The windowed key is bytes already (Kafka's TimeWindowedSerializer layout). */
    fr_produced_t produced = {.key_serde = fr_serde_bytes(), .value_serde = fr_serde_int64()};
    fr_kstream_to(updates, OUTPUT_TOPIC, &produced);
    static const example_topic_t topics[] = {{INPUT_TOPIC, NULL}, {OUTPUT_TOPIC, NULL}, {NULL, NULL}};
    return example_run("pageview_windowed", b, cfg, topics);
}
