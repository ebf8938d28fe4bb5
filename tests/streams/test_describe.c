/* describe(): the word-count topology prints as Kafka's Topology#describe(). */
#include <ctype.h>
#include <stdlib.h>

#include "fr_test.h"
#include "fr_task.h"
#include "freshet/streams.h"

static int split_words(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_emitter_t *e) { return 0; }
static int word_key(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    *out = *v;
    return 0;
}

static const char *k_expected =
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"
    "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
    "      --> KSTREAM-KEY-SELECT-0000000002\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
    "      --> counts-store-repartition-filter\n"
    "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: counts-store-repartition-filter (stores: [])\n"
    "      --> counts-store-repartition-sink\n"
    "      <-- KSTREAM-KEY-SELECT-0000000002\n"
    "    Sink: counts-store-repartition-sink (topic: counts-store-repartition)\n"
    "      <-- counts-store-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: counts-store-repartition-source (topics: [counts-store-repartition])\n"
    "      --> KSTREAM-AGGREGATE-0000000003\n"
    "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])\n"
    "      --> KTABLE-TOSTREAM-0000000007\n"
    "      <-- counts-store-repartition-source\n"
    "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000008\n"
    "      <-- KSTREAM-AGGREGATE-0000000003\n"
    "    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)\n"
    "      <-- KTABLE-TOSTREAM-0000000007\n"
    "\n";

FR_TEST(wordcount_describe_matches_kafka) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "streams-wordcount", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_consumed_t c = {fr_serde_string(), fr_serde_string(), NULL};
    fr_kstream_t *src = fr_builder_stream(b, "streams-plaintext-input", &c);
    fr_kstream_t *words = fr_kstream_flat_map_values(src, split_words, NULL, NULL, NULL);
    fr_materialized_t m = {.name = "counts-store"};
    fr_ktable_t *counts = fr_kgrouped_stream_count(fr_kstream_group_by(words, word_key, NULL, NULL, NULL), &m);
    FR_CHECK_EQ_INT(fr_kstream_to(fr_ktable_to_stream(counts, NULL), "streams-wordcount-output", NULL), 0);
    fr_topology_t *t = NULL;
    char err[256] = "";
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &t, err, sizeof err), 0);
    char *d = fr_topology_describe(t);
    FR_CHECK_EQ_STR(d, k_expected);
    free(d);
    FR_CHECK_EQ_INT(fr_topology_subtopology_count(t), 2);
    fr_topology_free(t);
    fr_builder_free(b);
    fr_streams_config_free(cfg);
}

/* Unnamed count: Kafka burns one index, so the store is ...-0000000002 and the
 * aggregate -0000000003; stateless nodes stay in one sub-topology. */
static int keep(void *ctx, const fr_datum_t *k, const fr_datum_t *v) { return 1; }

FR_TEST(generated_store_names) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", "app", NULL, 0);
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_kstream_filter(fr_builder_stream(b, "in", NULL), keep, NULL, NULL);
    fr_ktable_t *t = fr_kgrouped_stream_count(fr_kstream_group_by_key(s, NULL), NULL);
    FR_CHECK_EQ_STR(fr_ktable_store_name(t), "KSTREAM-AGGREGATE-STATE-STORE-0000000003");
    fr_topology_t *topo = NULL;
    FR_CHECK_EQ_INT(fr_builder_build(b, cfg, &topo, NULL, 0), 0);
    char *d = fr_topology_describe(topo);
    FR_CHECK(d && strstr(d, "Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])"));
    FR_CHECK(d && !strstr(d, "Sub-topology: 1"));
    free(d);
    size_t n;
    const fr_internal_topic_t *it = fr_topology_internal_topics(topo, &n);
    FR_CHECK_EQ_INT(n, 1);
    FR_CHECK_EQ_STR(it[0].name, "app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog");
    fr_topology_free(topo);
    fr_builder_free(b);
    fr_streams_config_free(cfg);
}

int main(void) {
    FR_RUN(wordcount_describe_matches_kafka);
    FR_RUN(generated_store_names);
    return fr_test_done();
}
