/*
 * handlers.h — one entry point per Kafka API (one file each) and the small
 * helpers they share.  Every handler follows broker.h's request lifecycle.
 */
#ifndef FR_HANDLERS_H
#define FR_HANDLERS_H

#include <stddef.h>

#include "broker.h"
#include "fr_err.h"

int fr_handle_api_versions(fr_req_t *req);
int fr_handle_metadata(fr_req_t *req);
int fr_handle_produce(fr_req_t *req);
int fr_handle_fetch(fr_req_t *req);
int fr_handle_list_offsets(fr_req_t *req);
int fr_handle_create_topics(fr_req_t *req);
int fr_handle_delete_topics(fr_req_t *req);
int fr_handle_delete_records(fr_req_t *req);
int fr_handle_describe_log_dirs(fr_req_t *req);
int fr_handle_create_partitions(fr_req_t *req);
int fr_handle_describe_configs(fr_req_t *req);
int fr_handle_alter_configs(fr_req_t *req);
int fr_handle_incremental_alter_configs(fr_req_t *req);
int fr_handle_find_coordinator(fr_req_t *req);
int fr_handle_join_group(fr_req_t *req);
int fr_handle_sync_group(fr_req_t *req);
int fr_handle_heartbeat(fr_req_t *req);
int fr_handle_leave_group(fr_req_t *req);
int fr_handle_offset_commit(fr_req_t *req);
int fr_handle_offset_fetch(fr_req_t *req);
int fr_handle_list_groups(fr_req_t *req);
int fr_handle_describe_cluster(fr_req_t *req);
int fr_handle_offset_for_leader_epoch(fr_req_t *req);
int fr_handle_describe_producers(fr_req_t *req);
int fr_handle_describe_topic_partitions(fr_req_t *req);
int fr_handle_describe_groups(fr_req_t *req);
int fr_handle_delete_groups(fr_req_t *req);
int fr_handle_offset_delete(fr_req_t *req);
int fr_handle_init_producer_id(fr_req_t *req);
int fr_handle_describe_acls(fr_req_t *req);
int fr_handle_create_acls(fr_req_t *req);
int fr_handle_delete_acls(fr_req_t *req);
int fr_handle_sasl_handshake(fr_req_t *req);
int fr_handle_sasl_authenticate(fr_req_t *req);
int fr_handle_alter_partition_reassignments(fr_req_t *req);
int fr_handle_list_partition_reassignments(fr_req_t *req);

/* Every partition's leader epoch: one broker, never re-elected.  Batches
 * are stamped with it (partlog) and Metadata reports it. */
#define FR_LEADER_EPOCH 0

/* Kafka's Partition.checkCurrentLeaderEpoch for a request's
 * current_leader_epoch (-1: not given): FENCED_LEADER_EPOCH below the
 * leader's, UNKNOWN_LEADER_EPOCH above it, else 0. */
static inline int16_t fr_req_leader_epoch_error(int32_t current) {
    if (current == -1 || current == FR_LEADER_EPOCH)
        return FR_ERR_NONE;
    return current < FR_LEADER_EPOCH ? FR_ERR_FENCED_LEADER_EPOCH : FR_ERR_UNKNOWN_LEADER_EPOCH;
}

/* What an authorized_operations field holds when asked for: every operation
 * Kafka supports on the resource type (AclEntry.supportedOperations), as a
 * broker without an authorizer answers; a bit per AclOperation code. */
enum { /* Kafka's AclOperation codes */
    FR_ACL_READ = 3,
    FR_ACL_WRITE = 4,
    FR_ACL_CREATE = 5,
    FR_ACL_DELETE = 6,
    FR_ACL_ALTER = 7,
    FR_ACL_DESCRIBE = 8,
    FR_ACL_CLUSTER_ACTION = 9,
    FR_ACL_DESCRIBE_CONFIGS = 10,
    FR_ACL_ALTER_CONFIGS = 11,
    FR_ACL_IDEMPOTENT_WRITE = 12,
};
#define FR_ACL_BIT(op) (1 << FR_ACL_##op)
#define FR_ACL_OPS_TOPIC                                                                                         \
    (FR_ACL_BIT(READ) | FR_ACL_BIT(WRITE) | FR_ACL_BIT(CREATE) | FR_ACL_BIT(DELETE) | FR_ACL_BIT(ALTER) |         \
     FR_ACL_BIT(DESCRIBE) | FR_ACL_BIT(DESCRIBE_CONFIGS) | FR_ACL_BIT(ALTER_CONFIGS))
#define FR_ACL_OPS_GROUP                                                                                         \
    (FR_ACL_BIT(READ) | FR_ACL_BIT(DELETE) | FR_ACL_BIT(DESCRIBE) | FR_ACL_BIT(DESCRIBE_CONFIGS) |                \
     FR_ACL_BIT(ALTER_CONFIGS))
#define FR_ACL_OPS_CLUSTER                                                                                       \
    (FR_ACL_BIT(CREATE) | FR_ACL_BIT(ALTER) | FR_ACL_BIT(DESCRIBE) | FR_ACL_BIT(CLUSTER_ACTION) |                 \
     FR_ACL_BIT(DESCRIBE_CONFIGS) | FR_ACL_BIT(ALTER_CONFIGS) | FR_ACL_BIT(IDEMPOTENT_WRITE))
/* An authorized_operations field: the set above when asked for, else Kafka's "not asked" value. */
#define FR_ACL_OPS_IF(asked, ops) ((asked) ? (int32_t)(ops) : INT32_MIN)

/* Zeroed array of n elements from the request arena (never NULL-for-zero). */
#define FR_REQ_ARRAY(req, type, n) ((type *)fr_arena_calloc((req)->arena, (size_t)((n) > 0 ? (n) : 1), sizeof(type)))

/* An arena copy of a message, as a slice (for error_message fields). */
fr_slice_t fr_req_msg(fr_req_t *req, const char *msg);

/*
 * For n request entries (stride bytes apart, each holding an fr_slice_t
 * name at name_off): FR_NAME_UNIQUE for a name given once, FR_NAME_KEPT for
 * the one entry of several with a name that is answered (the first, or with
 * keep_last the last, as where Kafka's map keeps the last value given),
 * FR_NAME_REPEAT for the others.  An arena array of n marks; NULL when out of
 * memory.
 */
enum { FR_NAME_UNIQUE = 0, FR_NAME_KEPT = 1, FR_NAME_REPEAT = 2 };
uint8_t *fr_req_mark_duplicate_names(fr_req_t *req, const void *items, int32_t n, size_t stride, size_t name_off,
                                     int keep_last);
/* The marks above for config resources (stride bytes apart, an int8_t
 * type at type_off and an fr_slice_t name at name_off), a (type, name)
 * being the name.  NULL when out of memory. */
uint8_t *fr_req_mark_duplicate_resources(fr_req_t *req, const void *resources, int32_t n, size_t stride,
                                         size_t type_off, size_t name_off);

/* One change of an alter request: AlterConfigs' entries are all SETs. */
typedef struct fr_config_change {
    fr_slice_t name, value; /* value ignored for DELETE */
    int8_t op;              /* FR_CONFIG_OP_* (config_admin.h) */
} fr_config_change_t;
/*
 * Alters one config resource as Kafka's ConfigAdminManager does, in its
 * order: a key given twice and a null value for anything but DELETE are
 * INVALID_REQUEST before the resource is looked up; then the resource is
 * found, and its new set (the changes alone when replace, as AlterConfigs
 * does, else the current set with the changes applied in order) is validated
 * and, unless validate_only, applied.  Returns a Kafka error code, with a
 * message in err.  (config_alter.c)
 */
int16_t fr_req_alter_config(fr_req_t *req, int8_t type, fr_slice_t name, const fr_config_change_t *changes,
                            int32_t n, int replace, int validate_only, char *err, size_t errlen);

/* The BROKER_LOGGER resource name (broker_loggers.c).  Describe fills r's
 * configs (arena) and returns a Kafka error code with r's message set;
 * alter checks every change before applying any and returns a Kafka error
 * code with a message in err. */
int16_t fr_req_describe_loggers(fr_req_t *req, fr_slice_t name, const fr_slice_t *keys, int32_t nkeys,
                                fr_describe_configs_response_describe_configs_result_t *r);
int16_t fr_req_alter_loggers(fr_req_t *req, fr_slice_t name, const fr_config_change_t *changes, int32_t n,
                             int validate_only, char *err, size_t errlen);

/* Where a request's topics keep their name and partitions, and its
 * partitions their index (the generated structs differ per API). */
typedef struct fr_partition_layout {
    size_t topic_size, name_off, parts_off, count_off, part_size, index_off;
} fr_partition_layout_t;
#define FR_PARTITION_LAYOUT(topic_t, name, parts, count, part_t, index)                                            \
    ((fr_partition_layout_t){sizeof(topic_t), offsetof(topic_t, name), offsetof(topic_t, parts),                   \
                             offsetof(topic_t, count), sizeof(part_t), offsetof(part_t, index)})
/* The marks above for every partition entry of a request's ntopics topics,
 * in order (topic by topic), a (topic, partition) being the name; *n gets
 * how many entries there are.  NULL when out of memory. */
uint8_t *fr_req_mark_duplicate_partitions(fr_req_t *req, const void *topics, int32_t ntopics,
                                          const fr_partition_layout_t *layout, int keep_last, int32_t *n);

/* A manual replica assignment's list for one partition, checked as Kafka
 * does; on one broker only [broker_id] passes.  0, or
 * INVALID_REPLICA_ASSIGNMENT with Kafka's message in err. */
int fr_req_check_replicas(const int32_t *ids, int32_t n, int32_t broker_id, char *err, size_t errlen);

#endif
