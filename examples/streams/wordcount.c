/*
 * wordcount — Kafka's WordCountDemo on Freshet Streams.
 *
 *   streams-plaintext-input (lines of text)
 *     → flatMapValues: lowercase, split on \W+
 *     → groupBy(word)          (through a repartition topic)
 *     → count                  (an LMDB store, backed by a changelog topic)
 *     → streams-wordcount-output (key: the word as a string,
 *                                 value: the count as an 8-byte big-endian long, Serdes.Long)
 *
 * application.id is streams-wordcount and cache.max.bytes.buffering is 0, as
 * in Kafka's demo, so every update of a count reaches the output topic.
 *
 *   build/examples/streams/wordcount [--bootstrap-server localhost:9092]
 *                                    [--state-dir DIR] [--set key=value]...
 *
 * Ctrl-C (SIGINT) or SIGTERM commits and leaves the group cleanly.
 */
#include <stdio.h>

#include "example_app.h"

#define INPUT_TOPIC "streams-plaintext-input"
#define OUTPUT_TOPIC "streams-wordcount-output"

/* Java's \W is [^a-zA-Z0-9_] (without UNICODE_CHARACTER_CLASS), so any other
 * byte, UTF-8 included, separates words. */
static int is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int emit_word(fr_emitter_t *emit, const char *start, size_t len) {
    char *word = fr_scratch_strndup(fr_emitter_scratch(emit), start, len);
    if (!word)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < len; i++)
        if (word[i] >= 'A' && word[i] <= 'Z')
            word[i] = (char)(word[i] - 'A' + 'a');
    fr_datum_t value = fr_datum_strn(word, len);
    return fr_emit(emit, NULL, &value);
}

/*
 * value.toLowerCase().split("\\W+") with Java's semantics, so that the
 * counts are Kafka's: every maximal run of word bytes is a word; a line that
 * starts with a separator also yields a leading empty word ("" for " hi",
 * then "hi"); trailing empty strings are removed (a line of separators only
 * yields nothing); an empty line yields [""] (no match: the line itself).
 * The empty word is counted like any other, under the empty key.  Kafka's
 * demo would throw on a null value; we skip it.
 */
static int split_words(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_emitter_t *emit) {
    (void)ctx;
    (void)key;
    if (value->is_null)
        return 0;
    const char *p = value->ptr, *end = value->ptr + value->len;
    int has_word = 0;
    for (const char *q = p; q < end && !has_word; q++)
        has_word = is_word_byte((unsigned char)*q);
    if (p == end || (has_word && !is_word_byte((unsigned char)*p))) {
        int rc = emit_word(emit, p, 0);
        if (rc)
            return rc;
    }
    while (p < end) {
        while (p < end && !is_word_byte((unsigned char)*p))
            p++;
        const char *word = p;
        while (p < end && is_word_byte((unsigned char)*p))
            p++;
        if (p > word) {
            int rc = emit_word(emit, word, (size_t)(p - word));
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* groupBy((key, word) -> word) */
static int word_as_key(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                       fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    (void)scratch;
    *out_key = *value;
    return 0;
}

static const char USAGE[] =
    "usage: wordcount [--bootstrap-server H:P] [--state-dir DIR] [--set key=value]...\n"
    "Counts the words of " INPUT_TOPIC " into " OUTPUT_TOPIC " (string keys, 8-byte big-endian long counts).\n";

int main(int argc, char **argv) {
    /* Kafka's demo: String serdes by default, no record cache. */
    static const char *const defaults[] = {
        FR_STREAMS_DEFAULT_KEY_SERDE, "string", FR_STREAMS_DEFAULT_VALUE_SERDE, "string",
        FR_STREAMS_CACHE_MAX_BYTES,   "0",      NULL};
    fr_streams_config_t *cfg = example_config(argc, argv, USAGE, "streams-wordcount", defaults);
    if (!cfg)
        return 2;
    fr_builder_t *b = fr_builder_new();
    if (!b) {
        fr_streams_config_free(cfg);
        return 1;
    }
    /* Unnamed operators, as in the demo: the store, repartition and changelog
     * topics get Kafka's generated names
     * (streams-wordcount-KSTREAM-AGGREGATE-STATE-STORE-000000000N-changelog). */
    fr_kstream_t *lines = fr_builder_stream(b, INPUT_TOPIC, NULL);
    fr_kstream_t *words = fr_kstream_flat_map_values(lines, split_words, NULL, NULL, NULL);
    fr_kgrouped_stream_t *grouped = fr_kstream_group_by(words, word_as_key, NULL, NULL, NULL);
    fr_ktable_t *counts = fr_kgrouped_stream_count(grouped, NULL);
    fr_produced_t produced = {.key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    /* A failed call leaves NULL handles; the builder's first error is reported by example_run. */
    fr_kstream_to(fr_ktable_to_stream(counts, NULL), OUTPUT_TOPIC, &produced);
    /* The output is a changelog of counts: compacted, as in Kafka's quickstart. */
    static const example_topic_t topics[] = {{INPUT_TOPIC, NULL}, {OUTPUT_TOPIC, "compact"}, {NULL, NULL}};
    return example_run("wordcount", b, cfg, topics);
}
