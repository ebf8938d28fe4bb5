/*
 * tool_configs_wire.h — what `freshet configs` prints (a resource's config
 * entries), and its requests over tool_wire.h for the resources librdkafka
 * 2.0.2 cannot address: the cluster-default broker (BROKER named "") and a
 * broker's loggers (BROKER_LOGGER, which 2.0.2 has no type for).  Each call
 * makes one connection to the first reachable bootstrap server.
 *
 * Errors: -1 with *code, a Kafka error code (>= -1) from the broker or a
 * librdkafka local one (RD_KAFKA_RESP_ERR__TRANSPORT, __FAIL), and msg.
 *
 * Ownership: a tool_cfg_list_t owns its strings; tool_cfg_list_free.
 */
#ifndef FR_TOOL_CONFIGS_WIRE_H
#define FR_TOOL_CONFIGS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_props.h"

/* ConfigResource.Type ids on the wire */
enum { TOOL_RESOURCE_BROKER = 4, TOOL_RESOURCE_BROKER_LOGGER = 8 };

typedef struct tool_cfg_synonym {
    char *name, *value;
    int source;
} tool_cfg_synonym_t;

typedef struct tool_cfg_entry {
    char *name, *value; /* value NULL for sensitive or null values */
    int source;
    bool sensitive;
    tool_cfg_synonym_t *synonyms;
    size_t nsynonyms;
} tool_cfg_entry_t;

typedef struct tool_cfg_list {
    tool_cfg_entry_t *items;
    size_t count;
} tool_cfg_list_t;

void tool_cfg_list_free(tool_cfg_list_t *l);

/* DescribeConfigs of one resource, with synonyms, into out (appended). */
int tool_configs_wire_describe(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                               tool_cfg_list_t *out, int *code, char *msg, size_t msglen);
/* AlterConfigs: set becomes the resource's whole set of dynamic configs. */
int tool_configs_wire_alter(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                            const fr_props_t *set, int *code, char *msg, size_t msglen);
/* IncrementalAlterConfigs: a SET for each of add, then a DELETE for each key of del. */
int tool_configs_wire_incremental(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                                  const fr_props_t *add, const fr_props_t *del, int *code, char *msg,
                                  size_t msglen);

#endif
