/*
 * dispatch.c — the table of APIs the broker serves.  Only APIs listed here are
 * advertised by ApiVersions; their ranges must lie within what the generated
 * codecs support (unit.test_codec_roundtrip checks it).
 */
#include <string.h>

#include "fr_arena.h"
#include "handlers.h"

static const fr_handler_t handlers[] = {
    {FR_API_PRODUCE, 0, 9, fr_handle_produce},
    {FR_API_FETCH, 4, 17, fr_handle_fetch},
    {FR_API_LIST_OFFSETS, 0, 10, fr_handle_list_offsets},
    {FR_API_METADATA, 0, 12, fr_handle_metadata},
    {FR_API_OFFSET_COMMIT, 0, 8, fr_handle_offset_commit},
    {FR_API_OFFSET_FETCH, 0, 8, fr_handle_offset_fetch},
    {FR_API_FIND_COORDINATOR, 0, 4, fr_handle_find_coordinator},
    {FR_API_JOIN_GROUP, 0, 9, fr_handle_join_group},
    {FR_API_HEARTBEAT, 0, 4, fr_handle_heartbeat},
    {FR_API_LEAVE_GROUP, 0, 5, fr_handle_leave_group},
    {FR_API_SYNC_GROUP, 0, 5, fr_handle_sync_group},
    {FR_API_DESCRIBE_GROUPS, 0, 5, fr_handle_describe_groups},
    {FR_API_LIST_GROUPS, 0, 5, fr_handle_list_groups},
    {FR_API_OFFSET_FOR_LEADER_EPOCH, 0, 4, fr_handle_offset_for_leader_epoch},
    {FR_API_DESCRIBE_CONFIGS, 0, 4, fr_handle_describe_configs},
    {FR_API_SASL_HANDSHAKE, 0, 1, fr_handle_sasl_handshake},
    {FR_API_API_VERSIONS, 0, 3, fr_handle_api_versions},
    {FR_API_CREATE_TOPICS, 0, 7, fr_handle_create_topics},
    {FR_API_DELETE_TOPICS, 0, 6, fr_handle_delete_topics},
    {FR_API_DELETE_RECORDS, 0, 2, fr_handle_delete_records},
    {FR_API_INIT_PRODUCER_ID, 0, 4, fr_handle_init_producer_id},
    {FR_API_DESCRIBE_ACLS, 0, 3, fr_handle_describe_acls},
    {FR_API_SASL_AUTHENTICATE, 0, 2, fr_handle_sasl_authenticate},
    {FR_API_CREATE_ACLS, 0, 3, fr_handle_create_acls},
    {FR_API_DELETE_ACLS, 0, 3, fr_handle_delete_acls},
    {FR_API_DESCRIBE_LOG_DIRS, 0, 4, fr_handle_describe_log_dirs},
    {FR_API_CREATE_PARTITIONS, 0, 3, fr_handle_create_partitions},
    {FR_API_DELETE_GROUPS, 0, 2, fr_handle_delete_groups},
    {FR_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0, fr_handle_alter_partition_reassignments},
    {FR_API_LIST_PARTITION_REASSIGNMENTS, 0, 0, fr_handle_list_partition_reassignments},
    {FR_API_OFFSET_DELETE, 0, 0, fr_handle_offset_delete},
    {FR_API_ALTER_CONFIGS, 0, 2, fr_handle_alter_configs},
    {FR_API_INCREMENTAL_ALTER_CONFIGS, 0, 1, fr_handle_incremental_alter_configs},
    {FR_API_DESCRIBE_CLUSTER, 0, 1, fr_handle_describe_cluster},
    {FR_API_DESCRIBE_PRODUCERS, 0, 0, fr_handle_describe_producers},
    {FR_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0, fr_handle_describe_topic_partitions},
};

const fr_handler_t *fr_handlers(size_t *count) {
    *count = sizeof(handlers) / sizeof(handlers[0]);
    return handlers;
}

const fr_handler_t *fr_handler_find(int16_t api_key) {
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (handlers[i].api_key == api_key)
            return &handlers[i];
    return NULL;
}

fr_slice_t fr_req_msg(fr_req_t *req, const char *msg) {
    size_t n = strlen(msg);
    char *p = fr_arena_strndup(req->arena, msg, n);
    if (!p)
        return FR_SLICE_NULL;
    return (fr_slice_t){(const uint8_t *)p, (int32_t)n};
}
