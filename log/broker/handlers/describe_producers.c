/*
 * DescribeProducers: each partition's idempotent producers, as
 * KafkaApis.handleDescribeProducersRequest and UnifiedLog.activeProducers
 * answer: an invalid topic name with its message, an unknown topic with
 * UNKNOWN_TOPIC_OR_PARTITION and Kafka's message, an unknown partition of a
 * known topic with the code alone.  No producer is in a transaction here, so
 * the coordinator epoch and the transaction's first offset are -1.
 */
#include <stdlib.h>

#include "handlers.h"

typedef fr_describe_producers_response_partition_response_t partition_out_t;
typedef fr_describe_producers_response_producer_state_t producer_out_t;

#define UNKNOWN_TOPIC_MESSAGE "This server does not host this topic-partition."

static int describe_partition(fr_req_t *req, fr_topic_t *topic, partition_out_t *pr) {
    fr_partition_t *p = fr_topic_partition(topic, pr->partition_index);
    if (!p) {
        pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return 0;
    }
    fr_producer_summary_t *s;
    int32_t n;
    if (fr_partlog_active_producers(p->log, &s, &n))
        return FR_ERR_NOMEM;
    pr->active_producers = FR_REQ_ARRAY(req, producer_out_t, n > 0 ? n : 1);
    if (!pr->active_producers) {
        free(s);
        return FR_ERR_NOMEM;
    }
    pr->active_producers_count = n;
    for (int32_t i = 0; i < n; i++)
        pr->active_producers[i] = (producer_out_t){.producer_id = s[i].producer_id,
                                                   .producer_epoch = s[i].epoch,
                                                   .last_sequence = s[i].last_sequence,
                                                   .last_timestamp = s[i].last_timestamp,
                                                   .coordinator_epoch = -1,
                                                   .current_txn_start_offset = -1};
    free(s);
    return 0;
}

int fr_handle_describe_producers(fr_req_t *req) {
    fr_describe_producers_request_t in;
    if (fr_describe_producers_request_read(&req->body, req->hdr.api_version, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_producers_response_t out;
    fr_describe_producers_response_init(&out);
    int32_t ntopics = in.topics_count > 0 ? in.topics_count : 0;
    out.topics = FR_REQ_ARRAY(req, fr_describe_producers_response_topic_response_t, ntopics > 0 ? ntopics : 1);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = ntopics;
    for (int32_t i = 0; i < ntopics; i++) {
        const fr_describe_producers_request_topic_request_t *tq = &in.topics[i];
        fr_describe_producers_response_topic_response_t *tr = &out.topics[i];
        int32_t nparts = tq->partition_indexes_count > 0 ? tq->partition_indexes_count : 0;
        tr->name = tq->name;
        tr->partitions = FR_REQ_ARRAY(req, partition_out_t, nparts > 0 ? nparts : 1);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = nparts;
        /* the topic's error, if any, is every partition's (checkValidTopic, then the metadata) */
        char why[300];
        int16_t topic_error = (int16_t)fr_topic_name_validate(tq->name, why, sizeof(why));
        fr_topic_t *topic = topic_error ? NULL : fr_topics_find(&req->srv->topics, tq->name);
        fr_slice_t message = topic_error ? fr_req_msg(req, why) : fr_slice_from_cstr(UNKNOWN_TOPIC_MESSAGE);
        if (!topic_error && !topic)
            topic_error = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        for (int32_t j = 0; j < nparts; j++) {
            partition_out_t *pr = &tr->partitions[j];
            fr_describe_producers_response_partition_response_init(pr);
            pr->partition_index = tq->partition_indexes[j];
            if (topic_error) {
                pr->error_code = topic_error;
                pr->error_message = message;
            } else if (describe_partition(req, topic, pr)) {
                return FR_ERR_NOMEM;
            }
        }
    }
    fr_describe_producers_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}
