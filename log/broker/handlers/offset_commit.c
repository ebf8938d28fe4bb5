/*
 * OffsetCommit: members of the current generation, or "simple" consumers
 * (generation -1, no member id) of a group that has no members, store
 * offsets.  All valid partitions of a request go to __consumer_offsets in one
 * batch before the response.
 */
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "handlers.h"

/* The group-level verdict for this commit (0 when it may proceed), as Kafka decides it. */
static int16_t check_member(fr_req_t *req, const fr_offset_commit_request_t *in, fr_group_t *grp) {
    int32_t generation = in->generation_id_or_member_epoch;
    if (fr_slice_is_null(in->group_id))
        return FR_ERR_INVALID_GROUP_ID; /* Kafka takes "" as a simple consumer's group */
    int16_t err = (int16_t)fr_groups_coordinator_error(&req->srv->groups);
    if (err)
        return err;
    if (!grp)
        return generation < 0 ? FR_ERR_NONE : FR_ERR_ILLEGAL_GENERATION;
    if (generation < 0 && grp->state == FR_GROUP_EMPTY)
        return FR_ERR_NONE; /* a consumer that assigns partitions itself */
    fr_member_t *m;
    err = fr_group_validate_member(grp, in->member_id, in->group_instance_id, &m);
    if (err)
        return err;
    if (generation != grp->generation_id)
        return FR_ERR_ILLEGAL_GENERATION;
    if (grp->state == FR_GROUP_COMPLETING_REBALANCE)
        return FR_ERR_REBALANCE_IN_PROGRESS;
    m->last_heartbeat = uv_now(req->srv->loop); /* a commit is a sign of life too */
    return FR_ERR_NONE;
}

int fr_handle_offset_commit(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_offset_commit_request_t in;
    if (fr_offset_commit_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_groups_t *g = &req->srv->groups;
    fr_group_t *grp = fr_groups_find(g, in.group_id);
    int16_t group_err = check_member(req, &in, grp);

    fr_offset_commit_response_t out;
    fr_offset_commit_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, fr_offset_commit_response_offset_commit_response_topic_t, in.topics_count);
    int32_t total = 0;
    for (int32_t i = 0; i < in.topics_count; i++)
        total += in.topics[i].partitions_count;
    fr_offset_entry_t *entries = FR_REQ_ARRAY(req, fr_offset_entry_t, total);
    int16_t **slots = FR_REQ_ARRAY(req, int16_t *, total);
    if (!out.topics || !entries || !slots)
        return FR_ERR_NOMEM;
    out.topics_count = in.topics_count;
    /* v2-v4's retention_time_ms (-1: the broker's offsets.retention.minutes) sets each offset's
     * own expiry, as Kafka's GroupCoordinatorAdapter.commitOffsets does */
    int64_t expire = in.retention_time_ms < 0                             ? -1
                     : in.retention_time_ms > INT64_MAX - req->now_ms ? INT64_MAX
                                                                     : req->now_ms + in.retention_time_ms;
    int32_t n = 0;
    for (int32_t i = 0; i < in.topics_count; i++) {
        fr_offset_commit_request_offset_commit_request_topic_t *t = &in.topics[i];
        fr_offset_commit_response_offset_commit_response_topic_t *tr = &out.topics[i];
        tr->name = t->name;
        tr->partitions = FR_REQ_ARRAY(req, fr_offset_commit_response_offset_commit_response_partition_t, t->partitions_count);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = t->partitions_count;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        char *tname = fr_arena_strndup(req->arena, t->name.ptr, t->name.len > 0 ? (size_t)t->name.len : 0);
        if (!tname)
            return FR_ERR_NOMEM;
        for (int32_t j = 0; j < t->partitions_count; j++) {
            fr_offset_commit_request_offset_commit_request_partition_t *p = &t->partitions[j];
            tr->partitions[j].partition_index = p->partition_index;
            if (!fr_topic_partition(topic, p->partition_index)) {
                /* Kafka's KafkaApis answers these before the coordinator sees the request */
                tr->partitions[j].error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (group_err) {
                tr->partitions[j].error_code = group_err;
            } else if (fr_slice_java_length(p->committed_metadata) > req->srv->cfg->offset_metadata_max_bytes) {
                /* Kafka compares the metadata string's length in Java chars, not its bytes */
                tr->partitions[j].error_code = FR_ERR_OFFSET_METADATA_TOO_LARGE;
            } else {
                char *md = fr_arena_strndup(req->arena, p->committed_metadata.ptr,
                                            p->committed_metadata.len > 0 ? (size_t)p->committed_metadata.len : 0);
                if (!md)
                    return FR_ERR_NOMEM;
                entries[n] = (fr_offset_entry_t){tname, p->partition_index, p->committed_offset,
                                                 p->committed_leader_epoch, md,
                                                 p->commit_timestamp >= 0 ? p->commit_timestamp : req->now_ms,
                                                 expire};
                slots[n++] = &tr->partitions[j].error_code;
                tr->partitions[j].error_code = FR_ERR_NONE;
            }
        }
    }
    if (n > 0) {
        if (!grp && !(grp = fr_groups_get_or_create(g, in.group_id)))
            return FR_ERR_NOMEM;
        int rc = fr_group_commit_offsets(g, grp, entries, n);
        if (rc)
            for (int32_t k = 0; k < n; k++)
                *slots[k] = fr_err_to_kafka(rc);
    }
    fr_offset_commit_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
