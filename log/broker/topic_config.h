/*
 * topic_config.h — Kafka's per-topic configs: names, types, broker synonyms
 * and defaults, validation, and the effective fr_log_config_t of a topic.
 *
 * The table is static; nothing here allocates except fr_topic_config_value(),
 * which formats into a caller buffer.
 */
#ifndef FR_TOPIC_CONFIG_H
#define FR_TOPIC_CONFIG_H

#include <stddef.h>

#include "broker_config.h"
#include "fr_props.h"

/* DescribeConfigs config_type values. */
enum { FR_CFG_BOOLEAN = 1, FR_CFG_STRING = 2, FR_CFG_INT = 3, FR_CFG_SHORT = 4, FR_CFG_LONG = 5,
       FR_CFG_DOUBLE = 6, FR_CFG_LIST = 7, FR_CFG_CLASS = 8, FR_CFG_PASSWORD = 9 };
/* DescribeConfigs config_source values. */
enum { FR_CFG_SRC_UNKNOWN = 0, FR_CFG_SRC_DYNAMIC_TOPIC = 1, FR_CFG_SRC_DYNAMIC_BROKER = 2,
       FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER = 3, FR_CFG_SRC_STATIC_BROKER = 4, FR_CFG_SRC_DEFAULT = 5 };

typedef struct fr_topic_config_def {
    const char *name;          /* topic-level key, e.g. "segment.bytes" */
    const char *broker_key;    /* synonym at broker level, e.g. "log.segment.bytes" */
    int type;                  /* FR_CFG_* */
    const char *doc;
} fr_topic_config_def_t;

/* The known topic configs; *count receives the length. */
const fr_topic_config_def_t *fr_topic_config_defs(size_t *count);
const fr_topic_config_def_t *fr_topic_config_find(const char *name);

/* Validates one topic-level key/value.  0, or FR_ERR_INVALID_CONFIG with a message. */
int fr_topic_config_validate(const char *key, const char *value, char *err, size_t errlen);

/*
 * The value a topic sees for def: its own override if set (*source =
 * DYNAMIC_TOPIC), else the broker's static value (STATIC_BROKER) if the
 * broker key was given, else the default (DEFAULT).  Formats into buf.
 */
const char *fr_topic_config_value(const fr_topic_config_def_t *def, const fr_props_t *topic_overrides,
                                  const fr_broker_config_t *broker, int *source, char *buf, size_t buflen);

/* The broker-level value and source of a broker key (for synonyms and broker describes). */
const char *fr_broker_config_value(const fr_broker_config_t *broker, const char *broker_key,
                                   int *source, char *buf, size_t buflen);

/* Effective log settings for a topic with these overrides. */
void fr_topic_log_config(const fr_broker_config_t *broker, const fr_props_t *overrides, fr_log_config_t *out);

#endif
