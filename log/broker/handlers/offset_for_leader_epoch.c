/*
 * OffsetForLeaderEpoch: where a leader epoch ended, as Kafka's
 * LeaderEpochFileCache.endOffsetFor answers for a partition that has only
 * ever had one leader epoch (FR_LEADER_EPOCH, starting at the log start):
 *   - that epoch: the log end offset (it is still being written);
 *   - an epoch below it: the epoch asked for and the log start offset
 *     (where the first known epoch starts);
 *   - an epoch above it, or -1: unknown (-1, -1).
 * A consumer asks after a seek or a leader change to detect truncation; with
 * one leader for ever there is none to find, but the answer is Kafka's.
 */
#include "handlers.h"

typedef fr_offset_for_leader_epoch_response_epoch_end_offset_t result_t;

static void end_offset_for(fr_partlog_t *log, int32_t epoch, result_t *r) {
    if (epoch == FR_LEADER_EPOCH) {
        r->leader_epoch = epoch;
        r->end_offset = fr_partlog_end_offset(log);
    } else if (epoch < FR_LEADER_EPOCH && epoch != -1) {
        r->leader_epoch = epoch;
        r->end_offset = fr_partlog_start_offset(log);
    }
}

int fr_handle_offset_for_leader_epoch(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_offset_for_leader_epoch_request_t in;
    if (fr_offset_for_leader_epoch_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_offset_for_leader_epoch_response_t out;
    fr_offset_for_leader_epoch_response_init(&out);
    int32_t ntopics = in.topics_count > 0 ? in.topics_count : 0;
    out.topics = FR_REQ_ARRAY(req, fr_offset_for_leader_epoch_response_offset_for_leader_topic_result_t,
                              ntopics > 0 ? ntopics : 1);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = ntopics;
    for (int32_t i = 0; i < ntopics; i++) {
        const fr_offset_for_leader_epoch_request_offset_for_leader_topic_t *tq = &in.topics[i];
        fr_offset_for_leader_epoch_response_offset_for_leader_topic_result_t *tr = &out.topics[i];
        int32_t nparts = tq->partitions_count > 0 ? tq->partitions_count : 0;
        tr->topic = tq->topic;
        tr->partitions = FR_REQ_ARRAY(req, result_t, nparts > 0 ? nparts : 1);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = nparts;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, tq->topic);
        for (int32_t j = 0; j < nparts; j++) {
            const fr_offset_for_leader_epoch_request_offset_for_leader_partition_t *pq = &tq->partitions[j];
            result_t *r = &tr->partitions[j];
            fr_offset_for_leader_epoch_response_epoch_end_offset_init(r);
            r->partition = pq->partition;
            fr_partition_t *p = fr_topic_partition(topic, pq->partition); /* NULL for no topic too */
            if (!p)
                r->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if ((r->error_code = fr_req_leader_epoch_error(pq->current_leader_epoch)) == FR_ERR_NONE)
                end_offset_for(p->log, pq->leader_epoch, r);
        }
    }
    fr_offset_for_leader_epoch_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
