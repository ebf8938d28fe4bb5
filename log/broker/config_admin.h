/*
 * config_admin.h — what AlterConfigs and IncrementalAlterConfigs share
 * (Kafka's ConfigAdminManager): finding the resource a request names, the
 * incremental operations on a config set, and validating and applying a new
 * set to a topic (its overrides) or to the broker (its dynamic configs).
 *
 * Errors are Kafka's: UNKNOWN_TOPIC_OR_PARTITION for a topic that does not
 * exist, INVALID_REQUEST for a bad resource or operation and for broker
 * configs that cannot change at runtime, INVALID_CONFIG for a bad value or an
 * unknown topic config, each with a message naming what was wrong.
 *
 * Threading: the network loop thread (it owns the topics and the config).
 */
#ifndef FR_CONFIG_ADMIN_H
#define FR_CONFIG_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "broker.h"
#include "fr_props.h"

/* ConfigResource types (Kafka's ConfigResource.Type ids). */
enum { FR_RESOURCE_TOPIC = 2, FR_RESOURCE_BROKER = 4, FR_RESOURCE_BROKER_LOGGER = 8 };
/* IncrementalAlterConfigs operations (AlterConfigOp.OpType ids). */
enum { FR_CONFIG_OP_SET = 0, FR_CONFIG_OP_DELETE = 1, FR_CONFIG_OP_APPEND = 2, FR_CONFIG_OP_SUBTRACT = 3 };

typedef struct fr_config_target {
    int8_t type;               /* FR_RESOURCE_TOPIC or FR_RESOURCE_BROKER */
    fr_topic_t *topic;         /* topics */
    int per_broker;            /* brokers: 1 this broker ("<broker.id>"), 0 the cluster default ("") */
    const fr_props_t *current; /* its current set: the topic's overrides or the dynamic set */
} fr_config_target_t;

/*
 * Resolves the resource (type, name) of an alter request.  Returns 0, or
 * UNKNOWN_TOPIC_OR_PARTITION / INVALID_REQUEST with a message in err.
 * out->topic and out->current are valid until the topic or set changes.
 */
int fr_config_target_find(fr_server_t *srv, int8_t type, fr_slice_t name, fr_config_target_t *out, char *err,
                          size_t errlen);

/*
 * Applies one incremental operation to set, as Kafka does: SET replaces,
 * DELETE removes, APPEND adds the comma-separated items not already in the
 * list and SUBTRACT removes the given items, both for LIST configs only and
 * starting from Kafka's default when the key is not in set.  Returns 0,
 * INVALID_REQUEST (unknown operation, APPEND/SUBTRACT on a non-list config,
 * null value) with a message, or FR_ERR_NOMEM.
 */
int fr_config_apply_op(fr_props_t *set, const char *name, int8_t op, const char *value, char *err, size_t errlen);

/*
 * Validates set as the target's new complete set and, unless validate_only,
 * makes it so: persisted, and in effect for the next append of every topic it
 * concerns.  Returns 0 or a Kafka error code with a message.
 */
int fr_config_target_apply(fr_server_t *srv, const fr_config_target_t *target, const fr_props_t *set,
                           int validate_only, char *err, size_t errlen);

/* A broker id as a resource name, read as Java's Integer.parseInt reads it
 * (an optional sign, then digits, nothing else, within int32): 0, or -1. */
int fr_config_parse_node_id(fr_slice_t name, int32_t *out);

/* A NUL-terminated arena copy of a request string ("" for a null one); NULL when out of memory. */
char *fr_config_cstr(fr_arena_t *arena, fr_slice_t s);

/* Kafka's text for a resource in messages: "ConfigResource(type=BROKER, name='0')". */
void fr_config_resource_str(int8_t type, fr_slice_t name, char *buf, size_t len);

#endif
