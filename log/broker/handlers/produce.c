/*
 * Produce: appends each partition's record batches to its log.  Batches are
 * validated (CRC, magic, size) and stored as sent, with the broker's base
 * offset patched in place; nothing is decompressed.  Errors are per
 * partition; other partitions of the same request still succeed.
 *
 * Idempotent producers: the log checks each batch's producer id, epoch and
 * sequence numbers (fr_partlog_append).  A retried batch that is already in
 * the log is answered NONE with its original base offset, as Kafka does, so
 * librdkafka and the Java client count it delivered once.
 *
 * Versions 0-2 are advertised, as Kafka 3.x does, because librdkafka before
 * 2.11 only compresses with gzip/snappy when the broker lists Produce v0; such
 * requests (message format v0/v1) are answered UNSUPPORTED_FOR_MESSAGE_FORMAT.
 */
#include "handlers.h"

static void append_one(fr_req_t *req, fr_topic_t *topic, int16_t acks,
                       fr_produce_request_partition_produce_data_t *pd,
                       fr_produce_response_partition_produce_response_t *pr) {
    pr->index = pd->index;
    pr->base_offset = -1;
    pr->log_append_time_ms = -1;
    pr->log_start_offset = -1;
    pr->error_message = FR_SLICE_NULL;
    if (acks != 0 && acks != 1 && acks != -1) {
        pr->error_code = FR_ERR_INVALID_REQUIRED_ACKS;
        return;
    }
    fr_partition_t *p = fr_topic_partition(topic, pd->index);
    if (!p) {
        pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    if (req->hdr.api_version < 3) {
        /* v0-2 carry message format v0/v1, which this broker does not store */
        pr->error_code = FR_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
        return;
    }
    if (pd->records.len <= 0) {
        pr->error_code = FR_ERR_CORRUPT_MESSAGE;
        pr->error_message = fr_req_msg(req, "produce request carried no record batch");
        return;
    }
    fr_append_info_t info;
    int rc = fr_partlog_append(p->log, pd->records.ptr, (size_t)pd->records.len, req->now_ms, &info);
    if (rc) {
        pr->error_code = fr_err_to_kafka(rc);
        pr->error_message = fr_req_msg(req, fr_err_str(rc));
        pr->log_start_offset = fr_partlog_start_offset(p->log);
        return;
    }
    pr->error_code = FR_ERR_NONE;
    pr->base_offset = info.base_offset;
    pr->log_append_time_ms = info.log_append_time;
    pr->log_start_offset = info.log_start_offset;
    if (!info.duplicate)
        fr_server_note_append(req->srv, p, info.needs_flush);
}

int fr_handle_produce(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_produce_request_t in;
    if (fr_produce_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_produce_response_t out;
    fr_produce_response_init(&out);
    out.responses = FR_REQ_ARRAY(req, fr_produce_response_topic_produce_response_t, in.topic_data_count);
    if (!out.responses)
        return FR_ERR_NOMEM;
    out.responses_count = in.topic_data_count;
    for (int32_t i = 0; i < in.topic_data_count; i++) {
        fr_produce_request_topic_produce_data_t *td = &in.topic_data[i];
        fr_produce_response_topic_produce_response_t *tr = &out.responses[i];
        tr->name = td->name;
        tr->partition_responses =
            FR_REQ_ARRAY(req, fr_produce_response_partition_produce_response_t, td->partition_data_count);
        if (!tr->partition_responses)
            return FR_ERR_NOMEM;
        tr->partition_responses_count = td->partition_data_count;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, td->name);
        for (int32_t j = 0; j < td->partition_data_count; j++)
            append_one(req, topic, in.acks, &td->partition_data[j], &tr->partition_responses[j]);
    }
    if (in.acks == 0)
        return FR_REQ_NO_RESPONSE;
    fr_produce_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
