/*
 * AlterPartitionReassignments, partition by partition in Kafka's order
 * (ReplicationControlManager.alterPartitionReassignment): the topic, the
 * partition, then a cancellation (NO_REASSIGNMENT_IN_PROGRESS: none ever is)
 * or a target list checked like a manual assignment.  On one broker the only
 * target that passes is the list the partition has, which changes nothing.
 */
#include <stdio.h>

#include "handlers.h"

static int16_t alter_one(fr_req_t *req, const fr_topic_t *topic, fr_slice_t name,
                         const fr_alter_partition_reassignments_request_reassignable_partition_t *p, char *err,
                         size_t errlen) {
    if (!topic) {
        snprintf(err, errlen, "Unable to find a topic named %.*s.", (int)name.len, (const char *)name.ptr);
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (!fr_topic_partition(topic, p->partition_index)) {
        snprintf(err, errlen, "Unable to find partition %.*s:%d.", (int)name.len, (const char *)name.ptr,
                 (int)p->partition_index);
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (p->replicas_count < 0) {
        snprintf(err, errlen, "No partition reassignment is in progress.");
        return FR_ERR_NO_REASSIGNMENT_IN_PROGRESS;
    }
    return (int16_t)fr_req_check_replicas(p->replicas, p->replicas_count, req->srv->cfg->broker_id, err, errlen);
}

int fr_handle_alter_partition_reassignments(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_alter_partition_reassignments_request_t in;
    if (fr_alter_partition_reassignments_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_alter_partition_reassignments_response_t out;
    fr_alter_partition_reassignments_response_init(&out);
    out.error_message = FR_SLICE_NULL;
    out.responses =
        FR_REQ_ARRAY(req, fr_alter_partition_reassignments_response_reassignable_topic_response_t, in.topics_count);
    if (!out.responses)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < in.topics_count; i++) {
        const fr_alter_partition_reassignments_request_reassignable_topic_t *t = &in.topics[i];
        fr_alter_partition_reassignments_response_reassignable_topic_response_t *tr = &out.responses[out.responses_count++];
        tr->name = t->name;
        tr->partitions = FR_REQ_ARRAY(req, fr_alter_partition_reassignments_response_reassignable_partition_response_t,
                                      t->partitions_count);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        const fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        for (int32_t j = 0; j < t->partitions_count; j++) {
            fr_alter_partition_reassignments_response_reassignable_partition_response_t *pr =
                &tr->partitions[tr->partitions_count++];
            char err[256] = "";
            pr->partition_index = t->partitions[j].partition_index;
            pr->error_code = fr_err_to_kafka(alter_one(req, topic, t->name, &t->partitions[j], err, sizeof(err)));
            pr->error_message = pr->error_code ? fr_req_msg(req, err) : FR_SLICE_NULL;
        }
    }
    fr_alter_partition_reassignments_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
