#include "broker_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dynamic_config.h"
#include "fr_err.h"
#include "fr_logging.h"
#include "topic_config.h"

/* Keys a standard Kafka server.properties carries that mean nothing for a
 * single-node broker (threads, ZooKeeper, KRaft quorum, replication of internal
 * topics).  They are accepted silently so a Kafka file works unchanged. */
static const char *const accepted_keys[] = {
    "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "zookeeper.connect", "zookeeper.connection.timeout.ms",
    "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
    "inter.broker.listener.name",
    "min.insync.replicas",
    "log.preallocate", "log.roll.jitter.ms",
    "log.roll.jitter.hours",
    "log.cleaner.delete.retention.ms", "log.cleaner.min.cleanable.ratio",
    "log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms",
    "log.segment.delete.delay.ms", "log.flush.scheduler.interval.ms",
    "unclean.leader.election.enable", "replica.fetch.max.bytes",
    "queued.max.requests",
    "connections.max.idle.ms", "request.timeout.ms", "metadata.log.dir", "cluster.id",
};

void fr_broker_config_defaults(fr_broker_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->broker_id = 0;
    snprintf(cfg->listeners_value, sizeof(cfg->listeners_value), "PLAINTEXT://:9092");
    cfg->num_partitions = 1;
    cfg->default_replication_factor = 1;
    cfg->auto_create_topics_enable = 1;
    cfg->delete_topic_enable = 1;
    cfg->socket_request_max_bytes = 104857600;
    cfg->socket_send_buffer_bytes = 262144;
    cfg->fetch_max_bytes = 57671680;
    cfg->max_incremental_fetch_session_cache_slots = 1000;
    cfg->socket_receive_buffer_bytes = -1;
    cfg->log_retention_ms = 168LL * 3600 * 1000;
    cfg->log_retention_bytes = -1;
    cfg->page_cache_retain_bytes = 1LL << 30;
    cfg->page_cache_lag_window_ms = 10000;
    snprintf(cfg->cleanup_policy, sizeof(cfg->cleanup_policy), "delete");
    snprintf(cfg->compression_type, sizeof(cfg->compression_type), "producer");
    fr_log_config_defaults(&cfg->log);
    cfg->ts_difference_max_ms = INT64_MAX;
    cfg->group_initial_rebalance_delay_ms = 3000;
    cfg->group_min_session_timeout_ms = 6000;
    cfg->group_max_size = INT32_MAX;
    cfg->group_max_session_timeout_ms = 1800000;
    cfg->offsets_retention_minutes = 10080;
    cfg->offsets_retention_check_interval_ms = 600000;
    cfg->log_retention_check_interval_ms = 300000;
    cfg->log_cleaner_enable = 1;
    cfg->log_cleaner_backoff_ms = 15000;
    cfg->offsets_topic_num_partitions = 50;
    cfg->offsets_topic_segment_bytes = 104857600;
    cfg->txn_state_num_partitions = 50;
    cfg->txn_state_segment_bytes = 104857600;
    cfg->offset_metadata_max_bytes = 4096;
    fr_props_init(&cfg->props);
}

void fr_broker_config_free(fr_broker_config_t *cfg) {
    for (int i = 0; i < cfg->num_log_dirs; i++)
        free(cfg->log_dirs[i]);
    cfg->num_log_dirs = 0;
    fr_props_free(&cfg->props);
    fr_props_free(&cfg->dynamic_broker);
    fr_props_free(&cfg->dynamic_default);
}

int fr_config_parse_long(const char *s, int64_t min, int64_t max, int64_t *out) {
    char *end;
    errno = 0;
    while (*s == ' ')
        s++;
    long long v = strtoll(s, &end, 10);
    while (*end == ' ')
        end++;
    if (errno || end == s || *end || v < min || v > max)
        return FR_ERR_CONFIG;
    *out = v;
    return 0;
}

int fr_config_parse_bool(const char *s, int *out) {
    if (strcasecmp(s, "true") == 0)
        *out = 1;
    else if (strcasecmp(s, "false") == 0)
        *out = 0;
    else
        return FR_ERR_CONFIG;
    return 0;
}

static int set_log_dirs(fr_broker_config_t *cfg, const char *v, char *err, size_t errlen) {
    for (int i = 0; i < cfg->num_log_dirs; i++)
        free(cfg->log_dirs[i]);
    cfg->num_log_dirs = 0;
    const char *p = v;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            if (cfg->num_log_dirs == FR_MAX_LOG_DIRS) {
                snprintf(err, errlen, "Invalid value %s for configuration log.dirs: at most %d directories", v, FR_MAX_LOG_DIRS);
                return FR_ERR_CONFIG;
            }
            cfg->log_dirs[cfg->num_log_dirs] = strndup(p, n);
            if (!cfg->log_dirs[cfg->num_log_dirs])
                return FR_ERR_NOMEM;
            cfg->num_log_dirs++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (cfg->num_log_dirs == 0) {
        snprintf(err, errlen, "Invalid value %s for configuration log.dirs: empty list", v);
        return FR_ERR_CONFIG;
    }
    return 0;
}

/* Numeric keys: where the value lands and its Kafka type bounds. */
typedef struct num_key {
    const char *key;
    int64_t min, max;
    const char *type; /* Kafka's type name for the error message */
} num_key_t;

static int parse_num(const char *key, const char *v, int64_t min, int64_t max, const char *type,
                     int64_t *out, char *err, size_t errlen) {
    if (fr_config_parse_long(v, min, max, out)) {
        if (fr_config_parse_long(v, INT64_MIN, INT64_MAX, out) == 0)
            snprintf(err, errlen, "Invalid value %s for configuration %s: Value must be at least %lld", v, key, (long long)min);
        else
            snprintf(err, errlen, "Invalid value %s for configuration %s: Not a number of type %s", v, key, type);
        return FR_ERR_CONFIG;
    }
    return 0;
}

/* -1 (the OS sizes the buffer) or a size; 0 is refused, as Kafka's socket setters refuse
 * it: the kernel would read it as its minimum, not as "unset". */
static int parse_socket_buffer(const char *key, const char *v, int32_t *out, char *err, size_t errlen) {
    int64_t n;
    if (parse_num(key, v, -1, INT32_MAX, "INT", &n, err, errlen))
        return FR_ERR_CONFIG;
    if (n == 0) {
        snprintf(err, errlen, "Invalid value 0 for configuration %s: Must be -1 (the OS default) or a size in bytes",
                 key);
        return FR_ERR_CONFIG;
    }
    *out = (int32_t)n;
    return 0;
}

static int is_accepted(const char *key) {
    for (size_t i = 0; i < sizeof(accepted_keys) / sizeof(accepted_keys[0]); i++)
        if (strcmp(key, accepted_keys[i]) == 0)
            return 1;
    return 0;
}

void fr_log_config_set_ts_bounds(fr_log_config_t *cfg, int64_t before, int64_t after, int64_t difference) {
    cfg->ts_before_max_ms = before == INT64_MAX ? difference : before;
    cfg->ts_after_max_ms = after == INT64_MAX ? difference : after;
    cfg->ts_bounded = cfg->ts_before_max_ms != INT64_MAX || cfg->ts_after_max_ms != INT64_MAX;
}

int fr_broker_config_load(fr_broker_config_t *cfg, const fr_props_t *props, char *err, size_t errlen) {
    int64_t v;
    int b;
    int have_roll_ms = 0, have_retention_ms = 0, have_retention_minutes = 0, have_log_dirs = 0;
    int64_t roll_hours = -1, retention_hours = -1, retention_minutes = -1;
    const int64_t I32 = INT32_MAX;
    const fr_topic_config_def_t *dynamic_only;

    for (size_t i = 0; i < props->count; i++) {
        const char *k = props->items[i].key, *val = props->items[i].value;
        if (fr_props_set(&cfg->props, k, val))
            return FR_ERR_NOMEM;
#define NUM(minv, maxv, type)                                                   \
    if (parse_num(k, val, minv, maxv, type, &v, err, errlen))                  \
        return FR_ERR_CONFIG;
#define BOOL_()                                                                 \
    if (fr_config_parse_bool(val, &b)) {                                        \
        snprintf(err, errlen, "Invalid value %s for configuration %s: Expected value to be either true or false", val, k); \
        return FR_ERR_CONFIG;                                                   \
    }
        if (strcmp(k, "broker.id") == 0 || strcmp(k, "node.id") == 0) {
            NUM(-1, I32, "INT");
            cfg->broker_id = v < 0 ? 0 : (int32_t)v;
        } else if (strcmp(k, "listeners") == 0 || strcmp(k, "advertised.listeners") == 0) {
            char *dst = k[0] == 'l' ? cfg->listeners_value : cfg->advertised_value;
            if (strlen(val) >= sizeof(cfg->listeners_value)) {
                snprintf(err, errlen, "Invalid value %s for configuration %s: Value is too long", val, k);
                return FR_ERR_CONFIG;
            }
            snprintf(dst, sizeof(cfg->listeners_value), "%s", val);
        } else if (strcmp(k, "listener.security.protocol.map") == 0 || strcmp(k, "controller.listener.names") == 0) {
            /* read with the listeners, once every key is in (below) */
        } else if (strcmp(k, "log.dirs") == 0 || (strcmp(k, "log.dir") == 0 && !have_log_dirs)) {
            int rc = set_log_dirs(cfg, val, err, errlen);
            if (rc)
                return rc;
            if (strcmp(k, "log.dirs") == 0)
                have_log_dirs = 1;
        } else if (strcmp(k, "log.dir") == 0) {
            /* log.dirs wins over log.dir, as in Kafka */
        } else if (strcmp(k, "num.partitions") == 0) {
            NUM(1, I32, "INT");
            cfg->num_partitions = (int32_t)v;
        } else if (strcmp(k, "default.replication.factor") == 0) {
            NUM(1, INT16_MAX, "INT");
            cfg->default_replication_factor = (int16_t)v;
        } else if (strcmp(k, "auto.create.topics.enable") == 0) {
            BOOL_();
            cfg->auto_create_topics_enable = b;
        } else if (strcmp(k, "delete.topic.enable") == 0) {
            BOOL_();
            cfg->delete_topic_enable = b;
        } else if (strcmp(k, "socket.request.max.bytes") == 0) {
            NUM(1, I32, "INT");
            cfg->socket_request_max_bytes = (int32_t)v;
        } else if (strcmp(k, "socket.send.buffer.bytes") == 0) {
            if (parse_socket_buffer(k, val, &cfg->socket_send_buffer_bytes, err, errlen))
                return FR_ERR_CONFIG;
        } else if (strcmp(k, "socket.receive.buffer.bytes") == 0) {
            if (parse_socket_buffer(k, val, &cfg->socket_receive_buffer_bytes, err, errlen))
                return FR_ERR_CONFIG;
        } else if (strcmp(k, "log.segment.bytes") == 0) {
            NUM(14, I32, "INT");
            cfg->log.segment_bytes = v;
        } else if (strcmp(k, "log.roll.ms") == 0) {
            NUM(1, INT64_MAX, "LONG");
            cfg->log.segment_ms = v;
            have_roll_ms = 1;
        } else if (strcmp(k, "log.roll.hours") == 0) {
            NUM(1, I32, "INT");
            roll_hours = v;
        } else if (strcmp(k, "log.index.interval.bytes") == 0) {
            NUM(0, I32, "INT");
            cfg->log.index_interval_bytes = (int32_t)v;
        } else if (strcmp(k, "group.initial.rebalance.delay.ms") == 0) {
            NUM(0, I32, "INT");
            cfg->group_initial_rebalance_delay_ms = (int32_t)v;
        } else if (strcmp(k, "group.min.session.timeout.ms") == 0) {
            NUM(0, I32, "INT");
            cfg->group_min_session_timeout_ms = (int32_t)v;
        } else if (strcmp(k, "group.max.size") == 0) {
            NUM(1, I32, "INT");
            cfg->group_max_size = (int32_t)v;
        } else if (strcmp(k, "group.max.session.timeout.ms") == 0) {
            NUM(0, I32, "INT");
            cfg->group_max_session_timeout_ms = (int32_t)v;
        } else if (strcmp(k, "offsets.retention.minutes") == 0) {
            NUM(1, I32, "INT");
            cfg->offsets_retention_minutes = v;
        } else if (strcmp(k, "offsets.retention.check.interval.ms") == 0) {
            NUM(1, INT64_MAX, "LONG");
            cfg->offsets_retention_check_interval_ms = v;
        } else if (strcmp(k, "log.retention.check.interval.ms") == 0) {
            NUM(1, INT64_MAX, "LONG");
            cfg->log_retention_check_interval_ms = v;
        } else if (strcmp(k, "offsets.topic.num.partitions") == 0) {
            NUM(1, I32, "INT");
            cfg->offsets_topic_num_partitions = (int32_t)v;
        } else if (strcmp(k, "offsets.topic.segment.bytes") == 0) {
            NUM(1, I32, "INT");
            cfg->offsets_topic_segment_bytes = (int32_t)v;
        } else if (strcmp(k, "transaction.state.log.num.partitions") == 0) {
            NUM(1, I32, "INT");
            cfg->txn_state_num_partitions = (int32_t)v;
        } else if (strcmp(k, "transaction.state.log.segment.bytes") == 0) {
            NUM(1, I32, "INT");
            cfg->txn_state_segment_bytes = (int32_t)v;
        } else if (strcmp(k, "offset.metadata.max.bytes") == 0) {
            NUM(0, I32, "INT");
            cfg->offset_metadata_max_bytes = (int32_t)v;
        } else if (strcmp(k, "log.index.size.max.bytes") == 0) {
            NUM(4, I32, "INT");
            cfg->log.index_max_bytes = (int32_t)v;
        } else if (strcmp(k, "log.cleaner.enable") == 0) {
            BOOL_();
            cfg->log_cleaner_enable = b;
        } else if (strcmp(k, "log.cleaner.backoff.ms") == 0) {
            NUM(0, INT64_MAX, "LONG");
            cfg->log_cleaner_backoff_ms = v;
        } else if (strcmp(k, "producer.id.expiration.ms") == 0) {
            NUM(1, I32, "INT");
            cfg->log.producer_id_expiration_ms = v;
        } else if (strcmp(k, "producer.id.expiration.check.interval.ms") == 0) {
            NUM(1, I32, "INT");
            cfg->log.producer_id_expiration_check_ms = v;
        } else if (strcmp(k, "message.max.bytes") == 0) {
            NUM(0, I32, "INT");
            cfg->log.max_message_bytes = (int32_t)v;
        } else if (strcmp(k, "log.flush.interval.messages") == 0) {
            NUM(1, INT64_MAX, "LONG");
            cfg->log.flush_interval_messages = v;
        } else if (strcmp(k, "log.flush.interval.ms") == 0) {
            NUM(0, INT64_MAX, "LONG");
            cfg->log.flush_interval_ms = v;
        } else if (strcmp(k, "log.retention.ms") == 0) {
            NUM(-1, INT64_MAX, "LONG");
            cfg->log_retention_ms = v;
            have_retention_ms = 1;
        } else if (strcmp(k, "log.retention.minutes") == 0) {
            NUM(-1, I32, "INT");
            retention_minutes = v;
            have_retention_minutes = 1;
        } else if (strcmp(k, "log.retention.hours") == 0) {
            NUM(-1, I32, "INT");
            retention_hours = v;
        } else if (strcmp(k, "log.retention.bytes") == 0) {
            NUM(-1, INT64_MAX, "LONG");
            cfg->log_retention_bytes = v;
        } else if (strcmp(k, "freshet.page.cache.retain.bytes") == 0) {
            NUM(-1, INT64_MAX, "LONG");
            cfg->page_cache_retain_bytes = v;
        } else if (strcmp(k, "freshet.produce.validate.compressed.records") == 0) {
            BOOL_();
            cfg->log.trust_compressed = !b;
        } else if (strcmp(k, "freshet.page.cache.lag.window.ms") == 0) {
            NUM(100, I32, "LONG");
            cfg->page_cache_lag_window_ms = v;
        } else if (strcmp(k, "log.cleanup.policy") == 0) {
            if (fr_config_validate_value(fr_topic_config_find("cleanup.policy"), k, val, err, errlen))
                return FR_ERR_CONFIG;
            if (strlen(val) >= sizeof(cfg->cleanup_policy)) {
                snprintf(err, errlen, "Invalid value %s for configuration log.cleanup.policy: Value is too long", val);
                return FR_ERR_CONFIG;
            }
            snprintf(cfg->cleanup_policy, sizeof(cfg->cleanup_policy), "%s", val);
        } else if (strcmp(k, "fetch.max.bytes") == 0) {
            NUM(1024, I32, "INT");
            cfg->fetch_max_bytes = (int32_t)v;
        } else if (strcmp(k, "max.incremental.fetch.session.cache.slots") == 0) {
            NUM(0, I32, "INT");
            cfg->max_incremental_fetch_session_cache_slots = (int32_t)v;
        } else if (strcmp(k, "log.message.timestamp.difference.max.ms") == 0) {
            NUM(0, INT64_MAX, "LONG");
            cfg->ts_difference_max_ms = v;
        } else if (strcmp(k, "log.message.timestamp.before.max.ms") == 0) {
            NUM(0, INT64_MAX, "LONG");
            cfg->log.ts_before_max_ms = v;
        } else if (strcmp(k, "log.message.timestamp.after.max.ms") == 0) {
            NUM(0, INT64_MAX, "LONG");
            cfg->log.ts_after_max_ms = v;
        } else if (strcmp(k, "log.message.timestamp.type") == 0) {
            if (strcmp(val, "CreateTime") && strcmp(val, "LogAppendTime")) {
                snprintf(err, errlen, "Invalid value %s for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime", val);
                return FR_ERR_CONFIG;
            }
            cfg->log.log_append_time = strcmp(val, "LogAppendTime") == 0;
        } else if (strcmp(k, "compression.type") == 0) {
            const char *ok[] = {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"};
            int found = 0;
            for (size_t j = 0; j < 6; j++)
                found |= strcmp(val, ok[j]) == 0;
            if (!found) {
                snprintf(err, errlen, "Invalid value %s for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer", val);
                return FR_ERR_CONFIG;
            }
            snprintf(cfg->compression_type, sizeof(cfg->compression_type), "%s", val);
        } else if (strcmp(k, "log4j.rootLogger.level") == 0) {
            /* the server command sets the level from it before loading the rest (tools/cmd_server.c);
             * any case, as log4j reads a level in its properties */
            if (fr_logging_parse_level(val) < 0) {
                snprintf(err, errlen, "Invalid value %s for configuration log4j.rootLogger.level: String must be one "
                         "of: FATAL, ERROR, WARN, INFO, DEBUG, TRACE", val);
                return FR_ERR_CONFIG;
            }
        } else if ((dynamic_only = fr_dynamic_config_broker_key(k)) != NULL) {
            /* a dynamic key with nothing to apply it to here, checked as Kafka checks it */
            if (fr_config_validate_value(dynamic_only, k, val, err, errlen))
                return FR_ERR_CONFIG;
        } else if (strcmp(k, "log.message.format.version") == 0 || strcmp(k, "log.message.downconversion.enable") == 0) {
            /* deprecated and without effect (batches are magic v2 only), but checked as Kafka checks them */
            if (fr_config_validate_value(fr_topic_config_find_broker(k), k, val, err, errlen))
                return FR_ERR_CONFIG;
        } else if (is_accepted(k)) {
            fr_debug("config", "%s is accepted but has no effect on a single-node broker", k);
        } else {
            fr_warn("config", "The configuration '%s' was supplied but isn't a known config.", k);
        }
#undef NUM
#undef BOOL_
    }
    fr_log_config_set_ts_bounds(&cfg->log, cfg->log.ts_before_max_ms, cfg->log.ts_after_max_ms,
                                cfg->ts_difference_max_ms);
    /* Kafka's precedence: *.ms over *.minutes over *.hours. */
    if (!have_roll_ms && roll_hours > 0)
        cfg->log.segment_ms = roll_hours * 3600 * 1000;
    if (!have_retention_ms) {
        if (have_retention_minutes)
            cfg->log_retention_ms = retention_minutes < 0 ? -1 : retention_minutes * 60 * 1000;
        else if (retention_hours != -1 || fr_props_get(props, "log.retention.hours"))
            cfg->log_retention_ms = retention_hours < 0 ? -1 : retention_hours * 3600 * 1000;
    }
    if (cfg->num_log_dirs == 0) {
        int rc = set_log_dirs(cfg, "/tmp/kafka-logs", err, errlen);
        if (rc)
            return rc;
    }
    int rc = fr_listeners_resolve(&cfg->listeners, cfg->listeners_value,
                                  cfg->advertised_value[0] ? cfg->advertised_value : NULL,
                                  fr_props_get(props, "listener.security.protocol.map"),
                                  fr_props_get(props, "controller.listener.names"), err, errlen);
    if (rc)
        return rc;
    if (cfg->default_replication_factor != 1) {
        snprintf(err, errlen, "Invalid value %d for configuration default.replication.factor: a single-node broker holds one replica", cfg->default_replication_factor);
        return FR_ERR_CONFIG;
    }
    return 0;
}
