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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynamic_config.h"
#include "handlers.h"
#include "topic_config.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define RESOURCE_BROKER_LOGGER 8

typedef fr_describe_configs_response_describe_configs_resource_result_t entry_t;
typedef fr_describe_configs_response_describe_configs_synonym_t synonym_t;

/* Broker-only configs reported besides the topic configs' broker synonyms. */
static const struct {
    const char *key;
    int type;
} broker_keys[] = {
    {"broker.id", FR_CFG_INT},
    {"listeners", FR_CFG_STRING},
    {"advertised.listeners", FR_CFG_STRING},
    {"log.dirs", FR_CFG_STRING},
    {"num.partitions", FR_CFG_INT},
    {"default.replication.factor", FR_CFG_INT},
    {"auto.create.topics.enable", FR_CFG_BOOLEAN},
    {"delete.topic.enable", FR_CFG_BOOLEAN},
    {"socket.request.max.bytes", FR_CFG_INT},
    {"socket.send.buffer.bytes", FR_CFG_INT},
    {"socket.receive.buffer.bytes", FR_CFG_INT},
    {"log.retention.check.interval.ms", FR_CFG_LONG},
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

static const char *broker_only_value(const fr_broker_config_t *cfg, const char *key, int *source, char *buf,
                                     size_t len) {
    const char *v = fr_props_get(&cfg->props, key);
    *source = v ? FR_CFG_SRC_STATIC_BROKER : FR_CFG_SRC_DEFAULT;
    if (strcmp(key, "broker.id") == 0)
        snprintf(buf, len, "%d", cfg->broker_id);
    else if (strcmp(key, "listeners") == 0)
        snprintf(buf, len, "PLAINTEXT://%s:%d", cfg->listener.host, cfg->listener.port);
    else if (strcmp(key, "advertised.listeners") == 0)
        snprintf(buf, len, "PLAINTEXT://%s:%d", cfg->advertised.host, cfg->advertised.port);
    else if (strcmp(key, "log.dirs") == 0) {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < cfg->num_log_dirs && o < len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", cfg->log_dirs[i]);
    } else if (strcmp(key, "num.partitions") == 0)
        snprintf(buf, len, "%d", cfg->num_partitions);
    else if (strcmp(key, "default.replication.factor") == 0)
        snprintf(buf, len, "%d", cfg->default_replication_factor);
    else if (strcmp(key, "auto.create.topics.enable") == 0)
        snprintf(buf, len, "%s", cfg->auto_create_topics_enable ? "true" : "false");
    else if (strcmp(key, "delete.topic.enable") == 0)
        snprintf(buf, len, "%s", cfg->delete_topic_enable ? "true" : "false");
    else if (strcmp(key, "socket.request.max.bytes") == 0)
        snprintf(buf, len, "%d", cfg->socket_request_max_bytes);
    else if (strcmp(key, "socket.send.buffer.bytes") == 0)
        snprintf(buf, len, "%d", cfg->socket_send_buffer_bytes);
    else if (strcmp(key, "socket.receive.buffer.bytes") == 0)
        snprintf(buf, len, "%d", cfg->socket_receive_buffer_bytes);
    else if (strcmp(key, "log.retention.check.interval.ms") == 0)
        snprintf(buf, len, "%" PRId64, cfg->log_retention_check_interval_ms);
    else
        return NULL;
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
    char why[256];
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

static int describe_broker(fr_req_t *req, fr_describe_configs_request_describe_configs_resource_t *res,
                           fr_describe_configs_response_describe_configs_result_t *r, int synonyms, int docs) {
    const fr_broker_config_t *cfg = req->srv->cfg;
    if (res->resource_name.len <= 0)
        return describe_broker_default(req, res, r, synonyms, docs);
    char idbuf[16];
    snprintf(idbuf, sizeof(idbuf), "%d", cfg->broker_id);
    if (!fr_slice_eq_cstr(res->resource_name, idbuf)) {
        r->error_code = FR_ERR_INVALID_REQUEST;
        char msg[128];
        snprintf(msg, sizeof(msg), "Unexpected broker id, expected %d or empty string, but received %.*s",
                 cfg->broker_id, (int)res->resource_name.len, (const char *)res->resource_name.ptr);
        r->error_message = fr_req_msg(req, msg);
        return 0;
    }
    size_t ndefs;
    const fr_topic_config_def_t *defs = fr_topic_config_defs(&ndefs);
    size_t nb = sizeof(broker_keys) / sizeof(broker_keys[0]);
    r->configs = FR_REQ_ARRAY(req, entry_t, ndefs + nb);
    if (!r->configs)
        return FR_ERR_NOMEM;
    int32_t k = 0;
    for (size_t i = 0; i < nb; i++) {
        if (!wanted(res->configuration_keys, res->configuration_keys_count, broker_keys[i].key))
            continue;
        char buf[1024];
        int source;
        const char *val = broker_only_value(cfg, broker_keys[i].key, &source, buf, sizeof(buf));
        set_entry(req, &r->configs[k], docs, broker_keys[i].key, val, source, broker_keys[i].type, NULL, 1);
        const char *sv = fr_props_get(&cfg->props, broker_keys[i].key);
        if (synonyms && sv) {
            fr_config_synonym_t one = {broker_keys[i].key, sv, FR_CFG_SRC_STATIC_BROKER};
            if (set_synonyms(req, &r->configs[k], &one, 1))
                return FR_ERR_NOMEM;
        }
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
        char buf[256];
        int source;
        const char *val = fr_broker_config_value(cfg, defs[i].broker_key, &source, buf, sizeof(buf));
        fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
        size_t nsyn = fr_broker_config_synonyms(cfg, defs[i].broker_key, 1, chain);
        set_entry(req, &r->configs[k], docs, defs[i].broker_key, val, source, defs[i].type, defs[i].doc,
                  !fr_dynamic_config_is_dynamic(defs[i].broker_key));
        if (synonyms && set_synonyms(req, &r->configs[k], chain, nsyn))
            return FR_ERR_NOMEM;
        k++;
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
