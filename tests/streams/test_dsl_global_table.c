/* GlobalKTable: a store fed from every partition of its topic, lookups with
 * a key mapper (join and leftJoin), updates and deletes, null keys, the
 * topology's global topics and describe()'s "for global store" section. */
#include "fr_task.h"
#include "test_join_helpers.h"

/* Orders are "product:qty"; the lookup key is the product. */
static int product_of(void *ctx, const fr_datum_t *k, const fr_datum_t *v, fr_datum_t *out, fr_scratch_t *s) {
    const char *colon = memchr(v->ptr, ':', v->len);
    *out = colon ? fr_datum_strn(v->ptr, (size_t)(colon - v->ptr)) : fr_datum_null();
    return 0;
}

static fr_topology_t *orders_topology(int left, fr_streams_config_t *cfg, int *calls) {
    fr_builder_t *b = fr_builder_new();
    fr_global_ktable_t *products = fr_builder_global_table(b, "products", NULL, NULL);
    fr_kstream_t *orders = fr_builder_stream(b, "orders", NULL);
    fr_kstream_t *j = left ? fr_kstream_left_join_global(orders, products, product_of, NULL, pair_joiner, calls, NULL,
                                                         NULL)
                           : fr_kstream_join_global(orders, products, product_of, NULL, pair_joiner, calls, NULL, NULL);
    FR_CHECK_EQ_INT(fr_kstream_to(j, "out", NULL), 0);
    FR_CHECK_EQ_STR(fr_global_ktable_store_name(products), "products-STATE-STORE-0000000000");
    fr_topology_t *t = build_or_fail(b, cfg);
    fr_builder_free(b);
    return t;
}

static void lookups(int left) {
    fr_streams_config_t *cfg = join_config(left ? "gt-left" : "gt-inner");
    int calls = 0;
    fr_topology_t *t = orders_topology(left, cfg, &calls);
    fr_test_driver_opts_t o = {.partitions = 4};
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(t, cfg, &o, &d, NULL, 0), 0);
    /* Products land on different partitions; every order task sees all of them. */
    static const char *const prods[] = {"p1", "p2", "p3", "p4", "p5", "p6"};
    for (int i = 0; i < 6; i++) {
        char v[16];
        snprintf(v, sizeof v, "name-%s", prods[i]);
        FR_CHECK_EQ_INT(pipe_s(d, "products", prods[i], v, i), 0);
    }
    FR_CHECK_EQ_STR(outputs(d, "out", 0), ""); /* table updates trigger nothing */
    FR_CHECK_EQ_INT(calls, 0);
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o1", "p1:2", 10), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o2", "p6:1", 11), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o3", "p9:5", 12), 0); /* unknown product */
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o4", "bad", 13), 0);  /* no lookup key: dropped */
    FR_CHECK_EQ_STR(outputs(d, "out", 1), left ? "o1:[p1:2, name-p1]@10, o2:[p6:1, name-p6]@11, o3:[p9:5, null]@12"
                                               : "o1:[p1:2, name-p1]@10, o2:[p6:1, name-p6]@11");
    /* An update and a delete are seen by the next lookups. */
    FR_CHECK_EQ_INT(pipe_s(d, "products", "p1", "renamed", 20), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "products", "p6", NULL, 21), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o5", "p1:1", 22), 0);
    FR_CHECK_EQ_INT(pipe_s(d, "orders", "o6", "p6:1", 23), 0);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), left ? "o5:[p1:1, renamed]@22, o6:[p6:1, null]@23" : "o5:[p1:1, renamed]@22");
    fr_datum_t k = fr_datum_str("p1"), v;
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "products-STATE-STORE-0000000000", &k, &v), 0);
    FR_CHECK(fr_datum_eq_str(&v, "renamed"));
    k = fr_datum_str("p6");
    FR_CHECK_EQ_INT(fr_test_driver_kv_get(d, "products-STATE-STORE-0000000000", &k, &v), FR_ERR_NOT_FOUND);
    fr_test_driver_metrics_t m;
    fr_test_driver_metrics(d, &m);
    FR_CHECK_EQ_INT(m.dropped, 1); /* o4 */
    /* Null keys: the mapper reads the value, so the lookup still works (Kafka's KIP-962). */
    FR_CHECK_EQ_INT(pipe_s(d, "orders", NULL, "p2:7", 30), 0);
    FR_CHECK_EQ_STR(outputs(d, "out", 1), "null:[p2:7, name-p2]@30");
    fr_test_driver_free(d);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(join_lookups) { lookups(0); }
FR_TEST(left_join_lookups) { lookups(1); }

/* The global topic is listed for the runtime, gets no task of its own and no changelog. */
FR_TEST(global_topics_and_tasks) {
    fr_streams_config_t *cfg = join_config("gt-topics");
    fr_topology_t *t = orders_topology(0, cfg, NULL);
    size_t n = 0;
    const char *const *g = fr_topology_global_topics(t, &n);
    FR_CHECK_EQ_INT(n, 1);
    FR_CHECK(n == 1 && !strcmp(g[0], "products"));
    FR_CHECK_EQ_INT(fr_topology_subtopology_count(t), 1);
    FR_CHECK_EQ_INT(fr_topology_global_count(t), 1);
    const char *const *src = fr_topology_source_topics(t, 0, &n);
    FR_CHECK_EQ_INT(n, 1);
    FR_CHECK(n == 1 && !strcmp(src[0], "orders"));
    fr_topology_internal_topics(t, &n);
    FR_CHECK_EQ_INT(n, 0);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

/* Kafka's text: the global store is sub-topology 0 (its nodes come first), the join lists no store. */
FR_TEST(describe_global_store) {
    fr_streams_config_t *cfg = join_config("gt-describe");
    fr_topology_t *t = orders_topology(0, cfg, NULL);
    char *desc = fr_topology_describe(t);
    const char *want = "Topologies:\n"
                       "   Sub-topology: 0 for global store (will not generate tasks)\n"
                       "    Source: KSTREAM-SOURCE-0000000001 (topics: [products])\n"
                       "      --> KTABLE-SOURCE-0000000002\n"
                       "    Processor: KTABLE-SOURCE-0000000002 (stores: [products-STATE-STORE-0000000000])\n"
                       "      --> none\n"
                       "      <-- KSTREAM-SOURCE-0000000001\n"
                       "  Sub-topology: 1\n"
                       "    Source: KSTREAM-SOURCE-0000000003 (topics: [orders])\n"
                       "      --> KSTREAM-LEFTJOIN-0000000004\n"
                       "    Processor: KSTREAM-LEFTJOIN-0000000004 (stores: [])\n"
                       "      --> KSTREAM-SINK-0000000005\n"
                       "      <-- KSTREAM-SOURCE-0000000003\n"
                       "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
                       "      <-- KSTREAM-LEFTJOIN-0000000004\n\n";
    if (strcmp(desc, want))
        fprintf(stderr, "%s", desc);
    FR_CHECK_EQ_STR(desc, want);
    free(desc);
    fr_topology_free(t);
    fr_streams_config_free(cfg);
}

FR_TEST(errors) {
    fr_builder_t *b = fr_builder_new();
    fr_kstream_t *s = fr_builder_stream(b, "orders", NULL);
    FR_CHECK(fr_builder_global_table(b, "orders", NULL, NULL) == NULL); /* already a source */
    FR_CHECK_EQ_INT(fr_builder_error(b, NULL), FR_ERR_INVALID_ARG);
    fr_builder_free(b);
    b = fr_builder_new();
    s = fr_builder_stream(b, "orders", NULL);
    fr_global_ktable_t *gt = fr_builder_global_table(b, "products", NULL, NULL);
    FR_CHECK(gt != NULL);
    FR_CHECK(fr_kstream_join_global(s, gt, NULL, NULL, pair_joiner, NULL, NULL, NULL) == NULL); /* no mapper */
    FR_CHECK_EQ_INT(fr_builder_error(b, NULL), FR_ERR_INVALID_ARG);
    fr_builder_free(b);
}

int main(void) {
    FR_RUN(join_lookups);
    FR_RUN(left_join_lookups);
    FR_RUN(global_topics_and_tasks);
    FR_RUN(describe_global_store);
    FR_RUN(errors);
    return fr_test_done();
}
