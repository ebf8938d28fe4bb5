/*
 * OffsetDelete: removes committed offsets of a group, except for topics the
 * group's members are subscribed to right now (GROUP_SUBSCRIBED_TO_TOPIC).
 * A group with members that is not a consumer group (Kafka Connect's
 * workers, say) keeps all its offsets: NON_EMPTY_GROUP, as Kafka's
 * ClassicGroup.validateOffsetDelete answers.
 */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "handlers.h"

int fr_handle_offset_delete(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_offset_delete_request_t in;
    if (fr_offset_delete_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_groups_t *g = &req->srv->groups;
    fr_offset_delete_response_t out;
    fr_offset_delete_response_init(&out);
    /* Kafka's isValidGroupId: OffsetDelete needs a non-empty id, though a simple
     * consumer's commits may have made a group named "" */
    fr_group_t *grp = in.group_id.len > 0 ? fr_groups_find(g, in.group_id) : NULL;
    int16_t coordinator_err = (int16_t)fr_groups_coordinator_error(g);
    if (!grp || coordinator_err) {
        out.error_code = in.group_id.len <= 0 ? FR_ERR_INVALID_GROUP_ID
                         : coordinator_err    ? coordinator_err
                                              : FR_ERR_GROUP_ID_NOT_FOUND;
        fr_offset_delete_response_write(req->resp, v, &out);
        return FR_REQ_DONE;
    }
    int active = grp->state == FR_GROUP_STABLE || grp->state == FR_GROUP_PREPARING_REBALANCE ||
                 grp->state == FR_GROUP_COMPLETING_REBALANCE;
    if (active && (!grp->protocol_type || strcmp(grp->protocol_type, "consumer") != 0)) {
        out.error_code = FR_ERR_NON_EMPTY_GROUP;
        fr_offset_delete_response_write(req->resp, v, &out);
        return FR_REQ_DONE;
    }
    out.topics = FR_REQ_ARRAY(req, fr_offset_delete_response_offset_delete_response_topic_t, in.topics_count);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = in.topics_count;
    for (int32_t i = 0; i < in.topics_count; i++) {
        fr_offset_delete_response_offset_delete_response_topic_t *t = &out.topics[i];
        t->name = in.topics[i].name;
        t->partitions = FR_REQ_ARRAY(req, fr_offset_delete_response_offset_delete_response_partition_t,
                                     in.topics[i].partitions_count);
        if (!t->partitions)
            return FR_ERR_NOMEM;
        t->partitions_count = in.topics[i].partitions_count;
        char *name = fr_arena_strndup(req->arena, in.topics[i].name.ptr,
                                      in.topics[i].name.len > 0 ? (size_t)in.topics[i].name.len : 0);
        if (!name)
            return FR_ERR_NOMEM;
        int subscribed = fr_group_subscribes_to(grp, name);
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, in.topics[i].name);
        for (int32_t j = 0; j < in.topics[i].partitions_count; j++) {
            int32_t p = in.topics[i].partitions[j].partition_index;
            t->partitions[j].partition_index = p;
            if (!fr_topic_partition(topic, p))
                t->partitions[j].error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (subscribed)
                t->partitions[j].error_code = FR_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
            else
                t->partitions[j].error_code = fr_err_to_kafka(fr_group_delete_offsets(g, grp, name, p));
        }
    }
    fr_offset_delete_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
