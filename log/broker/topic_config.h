/*
 * topic_config.h — Kafka's per-topic configs: names, types, broker synonyms
 * and defaults, validation, the synonym chains DescribeConfigs reports, and
 * the effective fr_log_config_t of a topic.
 *
 * Where a value comes from, highest precedence first (Kafka's ConfigSource):
 * the topic's own override (DYNAMIC_TOPIC_CONFIG), this broker's dynamic
 * config (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default
 * (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties / --override
 * (STATIC_BROKER_CONFIG), Kafka's built-in default (DEFAULT_CONFIG).  A topic
 * config may have several broker synonyms (retention.ms: log.retention.ms,
 * log.retention.minutes, log.retention.hours), tried in that order within
 * each source.
 *
 * The tables are static.  Strings handed out (synonym names and values, the
 * defaults) are borrowed: from the tables, or from the props of the topic or
 * broker config, valid until those change.
 */
#ifndef FR_TOPIC_CONFIG_H
#define FR_TOPIC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "broker_config.h"
#include "fr_props.h"

/* DescribeConfigs config_type values. */
enum { FR_CFG_BOOLEAN = 1, FR_CFG_STRING = 2, FR_CFG_INT = 3, FR_CFG_SHORT = 4, FR_CFG_LONG = 5,
       FR_CFG_DOUBLE = 6, FR_CFG_LIST = 7, FR_CFG_CLASS = 8, FR_CFG_PASSWORD = 9 };
/* DescribeConfigs config_source values. */
enum { FR_CFG_SRC_UNKNOWN = 0, FR_CFG_SRC_DYNAMIC_TOPIC = 1, FR_CFG_SRC_DYNAMIC_BROKER = 2,
       FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER = 3, FR_CFG_SRC_STATIC_BROKER = 4, FR_CFG_SRC_DEFAULT = 5,
       FR_CFG_SRC_DYNAMIC_BROKER_LOGGER = 6 };

typedef struct fr_topic_config_def {
    const char *name;          /* topic-level key, e.g. "segment.bytes" */
    const char *broker_key;    /* its main synonym at broker level, e.g. "log.segment.bytes";
                                  NULL when Kafka has none (the default is LogConfig's) */
    int type;                  /* FR_CFG_* */
    int64_t min;               /* Kafka's lower bound for INT and LONG values */
    const char *doc;
} fr_topic_config_def_t;

/* The known topic configs, sorted by name; *count receives the length. */
const fr_topic_config_def_t *fr_topic_config_defs(size_t *count);
const fr_topic_config_def_t *fr_topic_config_find(const char *name);
/* The topic config whose main broker synonym is broker_key, or NULL. */
const fr_topic_config_def_t *fr_topic_config_find_broker(const char *broker_key);

/*
 * Validates one topic-level key/value.  0, or FR_ERR_INVALID_CONFIG with
 * Kafka's message ("Unknown topic config name: k", "Invalid value v for
 * configuration k: Not a number of type LONG", ...).
 */
int fr_topic_config_validate(const char *key, const char *value, char *err, size_t errlen);
/* Validates value by def's rules; the message names `name` (a topic or broker key). */
int fr_config_validate_value(const fr_topic_config_def_t *def, const char *name, const char *value,
                             char *err, size_t errlen);

/* True for LIST configs (cleanup.policy, log.cleanup.policy): APPEND and SUBTRACT apply. */
int fr_config_is_list(const char *name);
/* Kafka's built-in default of a topic or broker key, or NULL when it has none. */
const char *fr_config_default(const char *name);

typedef struct fr_config_synonym {
    const char *name;
    const char *value;
    int source;                /* FR_CFG_SRC_* */
} fr_config_synonym_t;

#define FR_CFG_MAX_SYNONYMS 16

/*
 * Kafka's synonym chain of a broker key: for each source (dynamic broker,
 * dynamic default, static, default) each synonym name that has a value there,
 * then everything before the first entry named broker_key itself dropped (so a
 * key set only through an alternative name, e.g. log.retention.hours, has an
 * empty chain, as in Kafka).  per_broker = 0 leaves out this broker's own
 * dynamic values (describing the cluster default).  Returns the count.
 */
size_t fr_broker_config_synonyms(const fr_broker_config_t *broker, const char *broker_key, int per_broker,
                                 fr_config_synonym_t out[FR_CFG_MAX_SYNONYMS]);
/* The other names of broker keys that have several (log.retention.minutes
 * and .hours, log.roll.hours, ...), with their config types: Kafka describes
 * each as a broker config of its own.  Fills at most max; returns the count. */
#define FR_CFG_MAX_OTHER_NAMES 8
size_t fr_broker_config_other_names(const char *names[], int types[], size_t max);
/* A topic config's chain: its override (DYNAMIC_TOPIC_CONFIG) if any, then its broker key's chain. */
size_t fr_topic_config_synonyms(const fr_topic_config_def_t *def, const fr_props_t *topic_overrides,
                                const fr_broker_config_t *broker, fr_config_synonym_t out[FR_CFG_MAX_SYNONYMS]);

/*
 * The effective broker-level value of a broker key (hours and minutes
 * converted to ms) and its source (the head of its synonym chain, else
 * DEFAULT).  Formats into buf; NULL for a key without any value.
 */
const char *fr_broker_config_value(const fr_broker_config_t *broker, const char *broker_key,
                                   int *source, char *buf, size_t buflen);
/* The value a topic sees for def: its override, else the broker-level value. */
const char *fr_topic_config_value(const fr_topic_config_def_t *def, const fr_props_t *topic_overrides,
                                  const fr_broker_config_t *broker, int *source, char *buf, size_t buflen);

/* fr_topic_config_value of key as a long; fallback when the key or its value is none or not a long. */
int64_t fr_topic_config_long(const fr_broker_config_t *broker, const fr_props_t *topic_overrides, const char *key,
                             int64_t fallback);

/* The codec (0..4) a compression.type value names; -1 for "producer" (keep the producer's). */
int fr_config_compression_codec(const char *compression_type);
/* The checks across a topic's configs (Kafka's LogConfig.validateValues):
 * min.compaction.lag.ms no more than max.compaction.lag.ms, as the topic with
 * these overrides would see them.  0, or INVALID_CONFIG with Kafka's message. */
int fr_topic_config_validate_set(const fr_broker_config_t *broker, const fr_props_t *overrides, char *err,
                                 size_t errlen);
/* Whether a topic's cleanup.policy (its override, else the broker's) lists
 * policy ("delete" or "compact"). */
int fr_topic_cleanup_policy_has(const fr_broker_config_t *broker, const fr_props_t *overrides, const char *policy);
/* Effective log settings for a topic with these overrides (broker->log holds the broker level). */
void fr_topic_log_config(const fr_broker_config_t *broker, const fr_props_t *overrides, fr_log_config_t *out);

#endif
