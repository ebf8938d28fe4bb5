/*
 * broker_config.h — the broker's configuration, with Kafka's keys and defaults.
 *
 * fr_broker_config_load() takes the .properties pairs (file plus --override
 * pairs), validates every key it knows, warns about keys it does not, and
 * fills a fr_broker_config_t.  Invalid values are refused with a message that
 * names the key, in Kafka's words ("Invalid value x for configuration k: ...").
 *
 * The config owns its strings; fr_broker_config_free() releases them.  The
 * original pairs are kept (props) so DescribeConfigs can report which keys
 * were set statically.
 */
#ifndef FR_BROKER_CONFIG_H
#define FR_BROKER_CONFIG_H

#include <stdint.h>

#include "fr_partlog.h"
#include "fr_props.h"
#include "listeners.h"

#define FR_MAX_LOG_DIRS 16

typedef struct fr_broker_config {
    int32_t broker_id;                 /* broker.id / node.id, default 0 */
    fr_listeners_t listeners;          /* listeners and advertised.listeners, resolved (listeners.h) */
    char listeners_value[1024];        /* listeners as set, default PLAINTEXT://:9092 */
    char advertised_value[1024];       /* advertised.listeners as set, "" when not */
    char *log_dirs[FR_MAX_LOG_DIRS];   /* log.dirs (or log.dir), default /tmp/kafka-logs */
    int num_log_dirs;
    int32_t num_partitions;            /* num.partitions, 1 */
    int16_t default_replication_factor;/* default.replication.factor, 1 */
    int auto_create_topics_enable;     /* auto.create.topics.enable, true */
    int delete_topic_enable;           /* delete.topic.enable, true */
    int32_t socket_request_max_bytes;  /* socket.request.max.bytes, 104857600 */
    /* socket.send.buffer.bytes / socket.receive.buffer.bytes: SO_SNDBUF / SO_RCVBUF of
     * each accepted connection, -1 for the OS's own sizing.  Defaults differ from
     * Kafka's 102400 on purpose (bench/README, "Socket buffers"): a bounded send
     * buffer of 262144, and the OS's autotuned receive buffer. */
    int32_t socket_send_buffer_bytes;
    int32_t socket_receive_buffer_bytes;
    /* fetch.max.bytes, 57671680 (Kafka's broker setting, at least 1024): the most a Fetch
     * response carries whatever the client asks, but for the first batch, which always
     * goes out whole */
    int32_t fetch_max_bytes;
    /* max.incremental.fetch.session.cache.slots, 1000 (at least 0): fetch sessions kept
     * (fetch_sessions.h) */
    int32_t max_incremental_fetch_session_cache_slots;
    int64_t log_retention_ms;          /* log.retention.{ms,minutes,hours}, 7 days */
    int64_t log_retention_bytes;       /* log.retention.bytes, -1 */
    int64_t log_retention_check_interval_ms; /* log.retention.check.interval.ms, 300000 */
    int log_cleaner_enable;                  /* log.cleaner.enable, true: false, compacted topics are never cleaned */
    int64_t log_cleaner_backoff_ms;          /* log.cleaner.backoff.ms, 15000: how often the cleaner looks */
    /* freshet.page.cache.retain.bytes (ours, not Kafka's), 1 GiB: the most page cache
     * the broker keeps for its partitions' newest bytes, an even share among those
     * over 1 MiB; within it each keeps what its consumers will read (server.c
     * cache_keep); older bytes are written back and dropped (fr_partlog_release_cache).
     * -1 leaves the page cache to the kernel, as Kafka does. */
    int64_t page_cache_retain_bytes;
    /* freshet.page.cache.lag.window.ms (ours), 10000: how long a fetch's distance
     * behind the end keeps counting for its partition's cache (one to two windows). */
    int64_t page_cache_lag_window_ms;
    char cleanup_policy[32];           /* log.cleanup.policy, delete */
    char compression_type[16];         /* compression.type, producer */
    /* segment/index/flush/message size settings; log.trust_compressed is
     * freshet.produce.validate.compressed.records (ours), true: the records of
     * compressed batches are decompressed and checked as Kafka does (false:
     * header and CRC only) */
    fr_log_config_t log;
    /* log.message.timestamp.difference.max.ms, Long.MAX_VALUE: the bound either way where
     * log.message.timestamp.before/after.max.ms (log.ts_before/after_max_ms, each
     * resolved with it as Kafka does) is unset; a topic's own difference falls back to it */
    int64_t ts_difference_max_ms;
    int32_t group_initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms, 3000 */
    int32_t group_min_session_timeout_ms;     /* group.min.session.timeout.ms, 6000 */
    int32_t group_max_size;                   /* group.max.size, INT32_MAX */
    int32_t group_max_session_timeout_ms;     /* group.max.session.timeout.ms, 1800000 */
    int64_t offsets_retention_minutes;        /* offsets.retention.minutes, 10080 */
    int64_t offsets_retention_check_interval_ms; /* offsets.retention.check.interval.ms, 600000 */
    int32_t offsets_topic_num_partitions;     /* offsets.topic.num.partitions, 50 */
    int32_t offsets_topic_segment_bytes;      /* offsets.topic.segment.bytes, 104857600 */
    int32_t txn_state_num_partitions;         /* transaction.state.log.num.partitions, 50 */
    int32_t txn_state_segment_bytes;          /* transaction.state.log.segment.bytes, 104857600 */
    int32_t offset_metadata_max_bytes;        /* offset.metadata.max.bytes, 4096 */
    fr_props_t props;                  /* every pair as given, for DescribeConfigs */
    /* Dynamic configs (AlterConfigs on this broker's id / on the cluster
     * default), see dynamic_config.h.  The fields above hold the effective
     * values, recomputed on every change; keep them plain values. */
    fr_props_t dynamic_broker;
    fr_props_t dynamic_default;
} fr_broker_config_t;

/* Kafka's defaults (log dir /tmp/kafka-logs, listener PLAINTEXT://:9092). */
void fr_broker_config_defaults(fr_broker_config_t *cfg);
/*
 * Applies props over the defaults.  Returns 0, or FR_ERR_CONFIG with a
 * message naming the key in err.  Unknown keys produce a warning only.
 */
int fr_broker_config_load(fr_broker_config_t *cfg, const fr_props_t *props, char *err, size_t errlen);
void fr_broker_config_free(fr_broker_config_t *cfg);

/*
 * Sets cfg's timestamp bounds as Kafka's KafkaConfig (broker level) and
 * LogConfig (topic level) resolve them: a bound left at Long.MAX_VALUE
 * (INT64_MAX) takes difference, the older message.timestamp.difference.max.ms;
 * ts_bounded says whether either bound is then set.
 */
void fr_log_config_set_ts_bounds(fr_log_config_t *cfg, int64_t before, int64_t after, int64_t difference);

/* Value parsers shared with topic configs; 0 or FR_ERR_CONFIG. */
int fr_config_parse_long(const char *s, int64_t min, int64_t max, int64_t *out);
int fr_config_parse_bool(const char *s, int *out);

#endif
