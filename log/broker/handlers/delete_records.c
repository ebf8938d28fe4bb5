/*
 * DeleteRecords: moves partitions' log start offsets forward, as Kafka's
 * ReplicaManager.deleteRecords does on a leader.  Offset -1 means the high
 * watermark; an offset below 0 otherwise, or past the high watermark, is
 * OFFSET_OUT_OF_RANGE.  As in Kafka, an internal topic's records are never
 * deleted (INVALID_TOPIC_EXCEPTION: __consumer_offsets holds the groups'
 * commits), nor a topic's whose cleanup.policy lacks delete
 * (POLICY_VIOLATION).  A partition named twice is answered once, and, as in
 * Kafka's map of the request, the offset given last is the one applied.
 * The answer's low_watermark is the new log start
 * offset (on a single node every replica has it at once, so nothing waits
 * for timeout_ms).  The segments wholly below it are deleted by a retention
 * pass started here, off the network loop, which also writes the log start
 * offset checkpoint (retention.h).
 */
#include "handlers.h"
#include "retention.h"
#include "topic_config.h"

int fr_handle_delete_records(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_delete_records_request_t in;
    if (fr_delete_records_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_delete_records_response_t out;
    fr_delete_records_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, fr_delete_records_response_delete_records_topic_result_t, in.topics_count);
    int32_t n;
    uint8_t *dups = fr_req_mark_duplicate_partitions(
        req, in.topics, in.topics_count,
        &FR_PARTITION_LAYOUT(fr_delete_records_request_delete_records_topic_t, name, partitions, partitions_count,
                             fr_delete_records_request_delete_records_partition_t, partition_index),
        1, &n);
    if (!out.topics || !dups)
        return FR_ERR_NOMEM;
    int moved = 0;
    for (int32_t i = 0, k = 0; i < in.topics_count; i++) {
        fr_delete_records_request_delete_records_topic_t *t = &in.topics[i];
        fr_delete_records_response_delete_records_topic_result_t *tr = &out.topics[out.topics_count];
        tr->name = t->name;
        tr->partitions = FR_REQ_ARRAY(req, fr_delete_records_response_delete_records_partition_result_t,
                                      t->partitions_count);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = 0;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        int16_t refused = FR_ERR_NONE; /* Kafka checks these after the partition's existence */
        if (fr_topic_is_internal(t->name))
            refused = FR_ERR_INVALID_TOPIC_EXCEPTION;
        else if (topic && !fr_topic_cleanup_policy_has(req->srv->cfg, &topic->overrides, "delete"))
            refused = FR_ERR_POLICY_VIOLATION;
        for (int32_t j = 0; j < t->partitions_count; j++, k++) {
            if (dups[k] == FR_NAME_REPEAT)
                continue; /* a later entry for this partition is the one applied */
            fr_delete_records_response_delete_records_partition_result_t *pr = &tr->partitions[tr->partitions_count++];
            pr->partition_index = t->partitions[j].partition_index;
            pr->low_watermark = -1;
            fr_partition_t *p = fr_topic_partition(topic, pr->partition_index);
            if (!p || !p->log) {
                pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (refused) {
                pr->error_code = refused;
                continue;
            }
            int rc = fr_partlog_delete_records(p->log, t->partitions[j].offset, &pr->low_watermark);
            pr->error_code = fr_err_to_kafka(rc);
            moved |= rc == 0;
        }
        if (tr->partitions_count > 0 || t->partitions_count == 0)
            out.topics_count++; /* a topic entry of repeats only is left out */
    }
    if (moved)
        fr_retention_kick(req->srv);
    fr_delete_records_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
