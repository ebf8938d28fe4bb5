/*
 * tool_configs_parse.h — the parts of kafka-configs.sh that need no broker:
 * the --add-config syntax, the --delete-config list, config key rules, and
 * the names Kafka prints for config sources and broker errors.
 *
 * Nothing here depends on librdkafka, so it is unit-tested on its own.
 * Functions that can fail return 0, or -1 with the message Kafka prints in err.
 */
#ifndef FR_TOOL_CONFIGS_PARSE_H
#define FR_TOOL_CONFIGS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_props.h"

/*
 * Kafka's parseConfigsToBeAdded for --add-config: pairs separated by ','
 * and split at '=' (except inside square brackets), keys and values trimmed,
 * every '[' and ']' then removed from values: "k1=v1,k2=[a,b],k3=" gives
 * k1=v1, k2=a,b, k3= (empty).  Adds the pairs to out (a later key wins).
 */
int tool_configs_parse_add(const char *s, fr_props_t *out, char *err, size_t errlen);

/* Kafka's validatePropsKey: every key matches [$a-zA-Z0-9._-]*. */
int tool_configs_check_keys(const fr_props_t *p, char *err, size_t errlen);

/*
 * One --delete-config value: names separated by ',' (trimmed; empty names
 * skipped), added to out with empty values, in order.  Returns 0 or -1 (out
 * of memory).
 */
int tool_configs_parse_delete(const char *s, fr_props_t *out);

/* Java's ConfigEntry.ConfigSource name for a DescribeConfigs source id ("DYNAMIC_TOPIC_CONFIG", ...). */
const char *tool_config_source_name(int source);

/*
 * The Java exception Kafka's admin client raises for a broker error code,
 * fully qualified ("org.apache.kafka.common.errors.InvalidConfigurationException"),
 * and its default message for when the broker sent none.
 */
const char *tool_java_exception(int16_t code, const char **default_message);

#endif
