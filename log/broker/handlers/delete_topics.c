/* DeleteTopics: by name (v0-5) or by name or id (v6). */
#include <string.h>

#include "handlers.h"

static int16_t delete_one(fr_req_t *req, fr_topic_t *topic) {
    if (!req->srv->cfg->delete_topic_enable)
        return FR_ERR_TOPIC_DELETION_DISABLED;
    if (!topic)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return fr_err_to_kafka(fr_server_delete_topic(req->srv, topic));
}

int fr_handle_delete_topics(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_delete_topics_request_t in;
    if (fr_delete_topics_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_server_t *srv = req->srv;
    int32_t n = v >= 6 ? in.topics_count : in.topic_names_count;
    fr_delete_topics_response_t out;
    fr_delete_topics_response_init(&out);
    out.responses = FR_REQ_ARRAY(req, fr_delete_topics_response_deletable_topic_result_t, n);
    if (!out.responses)
        return FR_ERR_NOMEM;
    out.responses_count = n < 0 ? 0 : n;
    for (int32_t i = 0; i < out.responses_count; i++) {
        fr_delete_topics_response_deletable_topic_result_t *r = &out.responses[i];
        r->error_message = FR_SLICE_NULL;
        fr_topic_t *topic = NULL;
        if (v >= 6) {
            r->name = in.topics[i].name;
            memcpy(r->topic_id, in.topics[i].topic_id, 16);
            if (!fr_slice_is_null(in.topics[i].name)) {
                topic = fr_topics_find(&srv->topics, in.topics[i].name);
            } else {
                for (size_t j = 0; j < srv->topics.count && !topic; j++)
                    if (memcmp(srv->topics.items[j]->id, in.topics[i].topic_id, 16) == 0)
                        topic = srv->topics.items[j];
                if (!topic) {
                    r->error_code = FR_ERR_UNKNOWN_TOPIC_ID;
                    continue;
                }
                r->name = fr_req_msg(req, topic->name);
            }
            if (topic)
                memcpy(r->topic_id, topic->id, 16);
        } else {
            r->name = in.topic_names[i];
            topic = fr_topics_find(&srv->topics, in.topic_names[i]);
        }
        r->error_code = delete_one(req, topic);
    }
    fr_delete_topics_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
