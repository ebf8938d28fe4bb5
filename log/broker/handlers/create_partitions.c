/* CreatePartitions: grows a topic; partitions are never removed. */
#include "handlers.h"

int fr_handle_create_partitions(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_create_partitions_request_t in;
    if (fr_create_partitions_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_create_partitions_response_t out;
    fr_create_partitions_response_init(&out);
    out.results = FR_REQ_ARRAY(req, fr_create_partitions_response_create_partitions_topic_result_t, in.topics_count);
    if (!out.results)
        return FR_ERR_NOMEM;
    out.results_count = in.topics_count;
    for (int32_t i = 0; i < in.topics_count; i++) {
        fr_create_partitions_request_create_partitions_topic_t *t = &in.topics[i];
        fr_create_partitions_response_create_partitions_topic_result_t *r = &out.results[i];
        r->name = t->name;
        r->error_message = FR_SLICE_NULL;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        if (!topic) {
            r->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            r->error_message = fr_req_msg(req, "The topic does not exist.");
            continue;
        }
        char err[300] = "";
        int rc = fr_topics_add_partitions(&req->srv->topics, topic, t->count, in.validate_only, err, sizeof(err));
        r->error_code = fr_err_to_kafka(rc);
        if (rc)
            r->error_message = fr_req_msg(req, err[0] ? err : fr_err_str(rc));
    }
    fr_create_partitions_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
