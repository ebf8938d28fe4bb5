/*
 * DescribeConfigs for topics (every topic config with its effective value and
 * source), for this broker (resource "<broker.id>": its configs with their
 * dynamic, static or default source) and for the cluster default (resource
 * "": the dynamic defaults only), with synonyms in Kafka's order (v1+, see
 * topic_config.h) and documentation (v3+) when asked for, and for the
 * broker's loggers (broker_loggers.c).  As in Kafka, an entry's source is the
 * head of its synonym chain.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_admin.h"
#include "dynamic_config.h"
#include "handlers.h"
#include "topic_config.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define RESOURCE_BROKER_LOGGER 8

typedef fr_describe_configs_response_describe_configs_resource_result_t entry_t;
typedef fr_describe_configs_response_describe_configs_synonym_t synonym_t;

/* How a broker-only config's value is kept in the loaded config. */
enum { K_I32, K_I16, K_I64, K_BOOL, K_NOT_BOOL, K_LISTENERS, K_ADVERTISED, K_LOG_DIRS };

/* Broker-only configs reported besides the topic configs' broker synonyms:
 * the ones this broker reads (Kafka lists every key it has; the others mean
 * nothing to Freshet and are not described). */
static const struct {
    const char *key;
    int type; /* FR_CFG_* */
    int kind; /* K_* */
    size_t off;
} broker_keys[] = {
#define FIELD(f) offsetof(fr_broker_config_t, f)
    {"broker.id", FR_CFG_INT, K_I32, FIELD(broker_id)},
    {"listeners", FR_CFG_STRING, K_LISTENERS, 0},
    {"advertised.listeners", FR_CFG_STRING, K_ADVERTISED, 0},
    {"log.dirs", FR_CFG_STRING, K_LOG_DIRS, 0},
    {"num.partitions", FR_CFG_INT, K_I32, FIELD(num_partitions)},
    {"default.replication.factor", FR_CFG_INT, K_I16, FIELD(default_replication_factor)},
    {"auto.create.topics.enable", FR_CFG_BOOLEAN, K_BOOL, FIELD(auto_create_topics_enable)},
    {"delete.topic.enable", FR_CFG_BOOLEAN, K_BOOL, FIELD(delete_topic_enable)},
    {"socket.request.max.bytes", FR_CFG_INT, K_I32, FIELD(socket_request_max_bytes)},
    {"socket.send.buffer.bytes", FR_CFG_INT, K_I32, FIELD(socket_send_buffer_bytes)},
    {"socket.receive.buffer.bytes", FR_CFG_INT, K_I32, FIELD(socket_receive_buffer_bytes)},
    {"fetch.max.bytes", FR_CFG_INT, K_I32, FIELD(fetch_max_bytes)},
    {"max.incremental.fetch.session.cache.slots", FR_CFG_INT, K_I32, FIELD(max_incremental_fetch_session_cache_slots)},
    {"log.retention.check.interval.ms", FR_CFG_LONG, K_I64, FIELD(log_retention_check_interval_ms)},
    {"log.cleaner.enable", FR_CFG_BOOLEAN, K_BOOL, FIELD(log_cleaner_enable)},
    {"group.initial.rebalance.delay.ms", FR_CFG_INT, K_I32, FIELD(group_initial_rebalance_delay_ms)},
    {"group.min.session.timeout.ms", FR_CFG_INT, K_I32, FIELD(group_min_session_timeout_ms)},
    {"group.max.session.timeout.ms", FR_CFG_INT, K_I32, FIELD(group_max_session_timeout_ms)},
    {"group.max.size", FR_CFG_INT, K_I32, FIELD(group_max_size)},
    {"offsets.retention.minutes", FR_CFG_INT, K_I64, FIELD(offsets_retention_minutes)},
    {"offsets.retention.check.interval.ms", FR_CFG_LONG, K_I64, FIELD(offsets_retention_check_interval_ms)},
    {"offsets.topic.num.partitions", FR_CFG_INT, K_I32, FIELD(offsets_topic_num_partitions)},
    {"offsets.topic.segment.bytes", FR_CFG_INT, K_I32, FIELD(offsets_topic_segment_bytes)},
    {"offset.metadata.max.bytes", FR_CFG_INT, K_I32, FIELD(offset_metadata_max_bytes)},
    {"transaction.state.log.num.partitions", FR_CFG_INT, K_I32, FIELD(txn_state_num_partitions)},
    {"transaction.state.log.segment.bytes", FR_CFG_INT, K_I32, FIELD(txn_state_segment_bytes)},
    {"freshet.page.cache.retain.bytes", FR_CFG_LONG, K_I64, FIELD(page_cache_retain_bytes)},
    {"freshet.page.cache.lag.window.ms", FR_CFG_LONG, K_I64, FIELD(page_cache_lag_window_ms)},
    {"freshet.produce.validate.compressed.records", FR_CFG_BOOLEAN, K_NOT_BOOL, FIELD(log.trust_compressed)},
#undef FIELD
};

/* Kafka: a null or empty key list asks for every config. */
static int wanted(const fr_slice_t *keys, int32_t nkeys, const char *name) {
    if (nkeys <= 0)
        return 1;
    for (int32_t i = 0; i < nkeys; i++)
        if (fr_slice_eq_cstr(keys[i], name))
            return 1;
    return 0;
}

/* broker_keys[i]'s value in cfg, formatted into buf; NULL for none. */
static const char *broker_only_value(const fr_broker_config_t *cfg, size_t i, char *buf, size_t len) {
    const uint8_t *field = (const uint8_t *)cfg + broker_keys[i].off;
    int32_t i32;
    int16_t i16;
    int64_t i64;
    int b;
    switch (broker_keys[i].kind) {
    case K_I32:
        memcpy(&i32, field, sizeof(i32));
        snprintf(buf, len, "%" PRId32, i32);
        break;
    case K_I16:
        memcpy(&i16, field, sizeof(i16));
        snprintf(buf, len, "%d", i16);
        break;
    case K_I64:
        memcpy(&i64, field, sizeof(i64));
        snprintf(buf, len, "%" PRId64, i64);
        break;
    case K_BOOL:
    case K_NOT_BOOL:
        memcpy(&b, field, sizeof(b));
        snprintf(buf, len, "%s", (b != 0) != (broker_keys[i].kind == K_NOT_BOOL) ? "true" : "false");
        break;
    case K_LISTENERS:
        snprintf(buf, len, "%s", cfg->listeners_value);
        break;
    case K_ADVERTISED:
        fr_listeners_format_advertised(&cfg->listeners, buf, len);
        break;
    case K_LOG_DIRS: {
        size_t o = 0;
        buf[0] = '\0';
        for (int d = 0; d < cfg->num_log_dirs && o < len; d++)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", d ? "," : "", cfg->log_dirs[d]);
        break;
    }
    default:
        return NULL;
    }
    return buf;
}

static void set_entry(fr_req_t *req, entry_t *e, int include_docs, const char *name, const char *value, int source,
                      int type, const char *doc, int read_only) {
    e->name = fr_slice_from_cstr(name);
    e->value = value ? fr_req_msg(req, value) : FR_SLICE_NULL;
    e->read_only = read_only;
    e->is_default = source == FR_CFG_SRC_DEFAULT;
    e->config_source = (int8_t)source;
    e->is_sensitive = 0;
    e->config_type = (int8_t)type;
    e->documentation = include_docs && doc ? fr_slice_from_cstr(doc) : FR_SLICE_NULL;
    e->synonyms = NULL;
    e->synonyms_count = 0;
}

/* Copies a synonym chain into the entry (arena memory). */
static int set_synonyms(fr_req_t *req, entry_t *e, const fr_config_synonym_t *chain, size_t n) {
    synonym_t *s = FR_REQ_ARRAY(req, synonym_t, n);
    if (!s)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        s[i] = (synonym_t){fr_req_msg(req, chain[i].name), fr_req_msg(req, chain[i].value), (int8_t)chain[i].source};
    e->synonyms = s;
    e->synonyms_count = (int32_t)n;
    return 0;
}

static int describe_topic(fr_req_t *req, fr_describe_configs_request_describe_configs_resource_t *res,
                          fr_describe_configs_response_describe_configs_result_t *r, int synonyms, int docs) {
    char why[512];
    if (fr_topic_name_validate(res->resource_name, why, sizeof(why))) {
        r->error_code = FR_ERR_INVALID_TOPIC_EXCEPTION;
        r->error_message = fr_req_msg(req, why);
        return 0;
    }
    fr_topic_t *topic = fr_topics_find(&req->srv->topics, res->resource_name);
    if (!topic) {
        r->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        r->error_message = fr_req_msg(req, "The topic does not exist.");
        return 0;
    }
    size_t n;
    const fr_topic_config_def_t *defs = fr_topic_config_defs(&n);
    r->configs = FR_REQ_ARRAY(req, entry_t, n);
    if (!r->configs)
        return FR_ERR_NOMEM;
    int32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!wanted(res->configuration_keys, res->configuration_keys_count, defs[i].name))
            continue;
        char buf[256];
        int source;
        const char *val = fr_topic_config_value(&defs[i], &topic->overrides, req->srv->cfg, &source, buf, sizeof(buf));
        /* Kafka: the source is the head of the synonym chain, DEFAULT_CONFIG when it is empty */
        fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
        size_t nsyn = fr_topic_config_synonyms(&defs[i], &topic->overrides, req->srv->cfg, chain);
        source = nsyn ? chain[0].source : FR_CFG_SRC_DEFAULT;
        set_entry(req, &r->configs[k], docs, defs[i].name, val, source, defs[i].type, defs[i].doc, 0);
        if (synonyms && set_synonyms(req, &r->configs[k], chain, nsyn))
            return FR_ERR_NOMEM;
        k++;
    }
    r->configs_count = k;
    return 0;
}

/* The cluster-default broker resource (name ""): only the dynamic defaults, as Kafka reports it. */
static int describe_broker_default(fr_req_t *req, fr_describe_configs_request_describe_configs_resource_t *res,
                                   fr_describe_configs_response_describe_configs_result_t *r, int synonyms,
                                   int docs) {
    const fr_broker_config_t *cfg = req->srv->cfg;
    const fr_props_t *dyn = &cfg->dynamic_default;
    r->configs = FR_REQ_ARRAY(req, entry_t, dyn->count);
    if (!r->configs)
        return FR_ERR_NOMEM;
    int32_t k = 0;
    for (size_t i = 0; i < dyn->count; i++) {
        const char *key = dyn->items[i].key;
        if (!wanted(res->configuration_keys, res->configuration_keys_count, key))
            continue;
        const fr_topic_config_def_t *d = fr_topic_config_find_broker(key);
        fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
        size_t nsyn = fr_broker_config_synonyms(cfg, key, 0, chain);
        set_entry(req, &r->configs[k], docs, key, dyn->items[i].value, FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER,
                  d ? d->type : FR_CFG_STRING, d ? d->doc : NULL, 0);
        if (synonyms && set_synonyms(req, &r->configs[k], chain, nsyn))
            return FR_ERR_NOMEM;
        k++;
    }
    r->configs_count = k;
    return 0;
}

/* Entry k: a key as Kafka describes it for this broker, its own value (the
 * head of its synonym chain: null when set only under another name, as
 * log.retention.ms is when log.retention.hours gives the retention) and its
 * chain. */
static int add_broker_key(fr_req_t *req, fr_describe_configs_response_describe_configs_result_t *r, int32_t k,
                          const char *key, int type, const char *doc, int synonyms) {
    fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
    size_t nsyn = fr_broker_config_synonyms(req->srv->cfg, key, 1, chain);
    set_entry(req, &r->configs[k], doc != NULL, key, nsyn ? chain[0].value : NULL,
              nsyn ? chain[0].source : FR_CFG_SRC_DEFAULT, type, doc, !fr_dynamic_config_is_dynamic(key));
    return synonyms && set_synonyms(req, &r->configs[k], chain, nsyn) ? FR_ERR_NOMEM : 0;
}

static int describe_broker(fr_req_t *req, fr_describe_configs_request_describe_configs_resource_t *res,
                           fr_describe_configs_response_describe_configs_result_t *r, int synonyms, int docs) {
    const fr_broker_config_t *cfg = req->srv->cfg;
    if (res->resource_name.len <= 0)
        return describe_broker_default(req, res, r, synonyms, docs);
    int32_t id;
    int bad = fr_config_parse_node_id(res->resource_name, &id);
    if (bad || id != cfg->broker_id) {
        r->error_code = FR_ERR_INVALID_REQUEST;
        char msg[400];
        int n = res->resource_name.len > 300 ? 300 : (int)res->resource_name.len;
        if (bad) /* Kafka's ConfigHelper.resourceNameToBrokerId */
            snprintf(msg, sizeof(msg), "Broker id must be an integer, but it is: %.*s", n,
                     (const char *)res->resource_name.ptr);
        else
            snprintf(msg, sizeof(msg), "Unexpected broker id, expected %d or empty string, but received %.*s",
                     cfg->broker_id, n, (const char *)res->resource_name.ptr);
        r->error_message = fr_req_msg(req, msg);
        return 0;
    }
    size_t ndefs;
    const fr_topic_config_def_t *defs = fr_topic_config_defs(&ndefs);
    size_t nb = sizeof(broker_keys) / sizeof(broker_keys[0]);
    const char *other[FR_CFG_MAX_OTHER_NAMES];
    int other_type[FR_CFG_MAX_OTHER_NAMES];
    size_t nother = fr_broker_config_other_names(other, other_type, FR_CFG_MAX_OTHER_NAMES);
    size_t ndyn;
    const fr_topic_config_def_t *dyn = fr_dynamic_config_broker_keys(&ndyn);
    r->configs = FR_REQ_ARRAY(req, entry_t, ndefs + nb + nother + ndyn);
    if (!r->configs)
        return FR_ERR_NOMEM;
    int32_t k = 0;
    fr_broker_config_t defaults;
    fr_broker_config_defaults(&defaults);
    for (size_t i = 0; i < nb; i++) {
        if (!wanted(res->configuration_keys, res->configuration_keys_count, broker_keys[i].key))
            continue;
        char buf[1024], dbuf[64];
        const char *sv = fr_props_get(&cfg->props, broker_keys[i].key);
        set_entry(req, &r->configs[k], docs, broker_keys[i].key, broker_only_value(cfg, i, buf, sizeof(buf)),
                  sv ? FR_CFG_SRC_STATIC_BROKER : FR_CFG_SRC_DEFAULT, broker_keys[i].type, NULL, 1);
        /* Kafka's chain for a key set in the properties file only: that value, then the default, which
         * advertised.listeners and log.dirs have none of (they follow listeners and log.dir) */
        fr_config_synonym_t chain[2];
        size_t nsyn = 0;
        if (sv)
            chain[nsyn++] = (fr_config_synonym_t){broker_keys[i].key, sv, FR_CFG_SRC_STATIC_BROKER};
        if (broker_keys[i].kind != K_ADVERTISED && broker_keys[i].kind != K_LOG_DIRS)
            chain[nsyn++] = (fr_config_synonym_t){broker_keys[i].key,
                                                  broker_only_value(&defaults, i, dbuf, sizeof(dbuf)),
                                                  FR_CFG_SRC_DEFAULT};
        if (synonyms && set_synonyms(req, &r->configs[k], chain, nsyn))
            return FR_ERR_NOMEM;
        k++;
    }
    for (size_t i = 0; i < ndyn; i++) { /* the broker-only dynamic keys, with their dynamic sources */
        if (!wanted(res->configuration_keys, res->configuration_keys_count, dyn[i].name))
            continue;
        if (add_broker_key(req, r, k, dyn[i].name, dyn[i].type, docs ? dyn[i].doc : NULL, synonyms))
            return FR_ERR_NOMEM;
        k++;
    }
    for (size_t i = 0; i < ndefs; i++) {
        if (!defs[i].broker_key)
            continue; /* a topic config without a broker-level name */
        /* a broker key may back two topic configs: report it once */
        int seen = 0;
        for (int32_t j = 0; j < k; j++)
            seen |= fr_slice_eq_cstr(r->configs[j].name, defs[i].broker_key);
        if (seen || !wanted(res->configuration_keys, res->configuration_keys_count, defs[i].broker_key))
            continue;
        if (add_broker_key(req, r, k, defs[i].broker_key, defs[i].type, docs ? defs[i].doc : NULL, synonyms))
            return FR_ERR_NOMEM;
        k++;
    }
    /* a key's other names (log.retention.hours, ...), each with its own value and chain */
    for (size_t i = 0; i < nother; i++) {
        if (!wanted(res->configuration_keys, res->configuration_keys_count, other[i]))
            continue;
        if (add_broker_key(req, r, k++, other[i], other_type[i], NULL, synonyms))
            return FR_ERR_NOMEM;
    }
    r->configs_count = k;
    return 0;
}

int fr_handle_describe_configs(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_describe_configs_request_t in;
    if (fr_describe_configs_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_configs_response_t out;
    fr_describe_configs_response_init(&out);
    out.results = FR_REQ_ARRAY(req, fr_describe_configs_response_describe_configs_result_t, in.resources_count);
    if (!out.results)
        return FR_ERR_NOMEM;
    out.results_count = in.resources_count;
    for (int32_t i = 0; i < in.resources_count; i++) {
        fr_describe_configs_request_describe_configs_resource_t *res = &in.resources[i];
        fr_describe_configs_response_describe_configs_result_t *r = &out.results[i];
        r->error_code = FR_ERR_NONE;
        r->error_message = FR_SLICE_NULL;
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        r->configs = NULL;
        r->configs_count = 0;
        int rc;
        if (res->resource_type == RESOURCE_TOPIC)
            rc = describe_topic(req, res, r, in.include_synonyms, in.include_documentation);
        else if (res->resource_type == RESOURCE_BROKER)
            rc = describe_broker(req, res, r, in.include_synonyms, in.include_documentation);
        else if (res->resource_type == RESOURCE_BROKER_LOGGER) {
            r->error_code = fr_req_describe_loggers(req, res->resource_name, res->configuration_keys,
                                                    res->configuration_keys_count, r);
            rc = 0;
        } else {
            char msg[64];
            snprintf(msg, sizeof(msg), "Unsupported resource type: %d", res->resource_type);
            r->error_code = FR_ERR_INVALID_REQUEST;
            r->error_message = fr_req_msg(req, msg);
            rc = 0;
        }
        if (rc)
            return rc;
    }
    fr_describe_configs_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
