/*
 * enrichment_join — orders enriched with their customer (a stream-table join).
 *
 *   streams-customers (key: customer id, value: JSON, e.g. {"name":"Alice","tier":"gold"})
 *     → a KTable: the latest value per customer id (an LMDB store + changelog)
 *
 *   streams-orders (key: order id, value: JSON with a "customer" field,
 *                   e.g. {"customer":"c1","item":"book","amount":12.5})
 *     → selectKey(customer id)          (then a repartition topic, so each
 *                                        order meets its customer's partition)
 *     → leftJoin(customers)             (an order whose customer is unknown
 *                                        still passes, with "customer": null)
 *     → streams-orders-enriched (key: customer id,
 *                                value: {"order":{...},"customer":{...}})
 *
 * As in Kafka, only orders trigger output: a customer update changes the
 * table for later orders and emits nothing.  Both input topics need the same
 * number of partitions (co-partitioning, checked at start).  Values that are
 * not JSON are logged and skipped (LogAndContinueExceptionHandler).
 *
 *   build/examples/streams/enrichment_join [--bootstrap-server localhost:9092]
 *                                          [--state-dir DIR] [--set key=value]...
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "example_app.h"
#include "freshet/streams_joins.h"

#define ORDERS_TOPIC "streams-orders"
#define CUSTOMERS_TOPIC "streams-customers"
#define OUTPUT_TOPIC "streams-orders-enriched"

/* An order's "customer" field, copied into the task's scratch memory (the
 * key must outlive this call).  An order without one gets a null key and is
 * dropped on the way into the repartition topic, as Kafka drops null keys
 * there. */
static int customer_of_order(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                             fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    *out_key = fr_datum_null();
    if (value->is_null)
        return 0;
    json_t *order = json_loadb(value->ptr, value->len, 0, NULL);
    const char *id = json_string_value(json_object_get(order, "customer"));
    int rc = 0;
    if (id) {
        char *copy = fr_scratch_strndup(scratch, id, strlen(id));
        if (copy)
            *out_key = fr_datum_str(copy);
        else
            rc = FR_ERR_NOMEM;
    }
    json_decref(order);
    return rc;
}

/* {"order": <order>, "customer": <customer or null>}: both sides are
 * validated JSON text already (JSON serde), so they are pasted as they are. */
static int enrich(void *ctx, const fr_datum_t *key, const fr_datum_t *order, const fr_datum_t *customer,
                  fr_datum_t *out, fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    const char *c = customer->is_null ? "null" : customer->ptr;
    size_t clen = customer->is_null ? 4 : customer->len;
    size_t cap = order->len + clen + 32;
    char *buf = fr_scratch_alloc(scratch, cap);
    if (!buf)
        return FR_ERR_NOMEM;
    int n = snprintf(buf, cap, "{\"order\":%.*s,\"customer\":%.*s}", (int)order->len, order->ptr, (int)clen, c);
    *out = fr_datum_strn(buf, (size_t)n);
    out->type = FR_TYPE_JSON;
    return 0;
}

static const char USAGE[] =
    "usage: enrichment_join [--bootstrap-server H:P] [--state-dir DIR] [--set key=value]...\n"
    "Joins " ORDERS_TOPIC " (JSON orders with a \"customer\" field) with the " CUSTOMERS_TOPIC
    " table into " OUTPUT_TOPIC ".\n";

int main(int argc, char **argv) {
    static const char *const defaults[] = {
        FR_STREAMS_CACHE_MAX_BYTES, "0", FR_STREAMS_DESER_HANDLER, "LogAndContinueExceptionHandler", NULL};
    fr_streams_config_t *cfg = example_config(argc, argv, USAGE, "streams-enrichment-join", defaults);
    if (!cfg)
        return 2;
    fr_builder_t *b = fr_builder_new();
    if (!b) {
        fr_streams_config_free(cfg);
        return 1;
    }
    fr_consumed_t json_values = {.key_serde = fr_serde_string(), .value_serde = fr_serde_json()};
    fr_materialized_t store = {.name = "customers", .key_serde = fr_serde_string(), .value_serde = fr_serde_json()};
    fr_ktable_t *customers = fr_builder_table(b, CUSTOMERS_TOPIC, &json_values, &store);
    fr_kstream_t *orders = fr_builder_stream(b, ORDERS_TOPIC, &json_values);
    fr_kstream_t *by_customer = fr_kstream_select_key(orders, customer_of_order, NULL, NULL, "order-customer");
    fr_joined_t joined = {.name = "orders-with-customer"};
    fr_kstream_t *enriched = fr_kstream_left_join_table(by_customer, customers, enrich, NULL, fr_serde_json(), &joined);
    fr_kstream_to(enriched, OUTPUT_TOPIC, NULL);
    static const example_topic_t topics[] = {
        {ORDERS_TOPIC, NULL}, {CUSTOMERS_TOPIC, "compact"}, {OUTPUT_TOPIC, NULL}, {NULL, NULL}};
    return example_run("enrichment_join", b, cfg, topics);
}
