/*
 * dynamic_config.h — dynamic broker configs (Kafka's KIP-226).
 *
 * AlterConfigs and IncrementalAlterConfigs may change some broker configs at
 * runtime, for this broker (resource name "<broker.id>") or as the
 * cluster-wide default (resource name "").  Freshet allows it for the broker
 * synonyms of the topic configs (log.retention.ms, log.segment.bytes,
 * log.cleanup.policy, message.max.bytes, log.flush.interval.messages, ...):
 * the broker-level defaults every topic without an override of its own
 * inherits (not log.message.format.version, which Kafka does not let
 * change).  Also the broker-only keys of Kafka's dynamic set that Freshet
 * knows (fr_dynamic_config_broker_keys): the cleaner's, the thread pools',
 * producer.id.expiration.ms and a listener's Kerberos login settings.  Of
 * these log.cleaner.backoff.ms and producer.id.expiration.ms take effect;
 * the others are kept and described, as the same keys in server.properties
 * are, with nothing in Freshet to apply them to (one network thread, one
 * cleaner, no SASL/GSSAPI).  The Kerberos ones are per broker only, as in
 * Kafka.  Everything else (log.dirs, listeners, broker.id, ...) is refused
 * as Kafka refuses it: "Cannot update these configs dynamically".
 *
 * The two sets live in cfg->dynamic_broker and cfg->dynamic_default and are
 * persisted in the first log dir as .broker-configs/<broker.id>.properties
 * and .broker-configs/default.properties.  Precedence, as in Kafka: this
 * broker's dynamic value, the dynamic default, server.properties, the
 * built-in default.  After every change the effective fields of cfg
 * (cfg->log, cfg->log_retention_ms, cfg->cleanup_policy, ...) are recomputed
 * from all layers; the caller then pushes them into the topics
 * (fr_topics_reconfigure).
 *
 * Threading: the network loop thread owns cfg; call these from it.
 */
#ifndef FR_DYNAMIC_CONFIG_H
#define FR_DYNAMIC_CONFIG_H

#include <stddef.h>

#include "broker_config.h"
#include "fr_props.h"
#include "topic_config.h"

/* 1 when key may be changed at runtime. */
int fr_dynamic_config_is_dynamic(const char *key);

/* The broker-only dynamic keys above, with their types and bounds (name and
 * broker_key are both the key; min is Kafka's lower bound, if any). */
const fr_topic_config_def_t *fr_dynamic_config_broker_keys(size_t *count);
/* The entry of fr_dynamic_config_broker_keys for key, or NULL. */
const fr_topic_config_def_t *fr_dynamic_config_broker_key(const char *key);

/*
 * Loads the persisted sets and applies them over the static config; call
 * once at startup before the topics are opened.  An entry that is not
 * dynamic or not valid is dropped with a warning.  Returns 0, or an error
 * (unreadable file, FR_ERR_CONFIG) with a message.
 */
int fr_dynamic_config_load(fr_broker_config_t *cfg, char *err, size_t errlen);

/*
 * Checks a complete new set for one level (per_broker: this broker's set,
 * else the cluster default) as it would apply with the other layers.
 * Returns 0, FR_ERR_INVALID_REQUEST for keys that cannot change at runtime
 * ("Cannot update these configs dynamically: Set(log.dirs)"), or
 * FR_ERR_INVALID_CONFIG for a bad value ("Invalid value x for configuration
 * log.retention.ms: Not a number of type LONG").
 */
int fr_dynamic_config_validate(const fr_broker_config_t *cfg, int per_broker, const fr_props_t *set, char *err,
                               size_t errlen);

/*
 * Replaces one level's set with a copy of `set` (validated first), persists
 * it and recomputes cfg's effective values.  When the set cannot be
 * persisted nothing changes: FR_ERR_KAFKA_STORAGE_ERROR with a message.
 */
int fr_dynamic_config_replace(fr_broker_config_t *cfg, int per_broker, const fr_props_t *set, char *err,
                              size_t errlen);

#endif
