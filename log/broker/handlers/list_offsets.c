/*
 * ListOffsets: earliest (-2), latest (-1) or the first offset at or after a
 * timestamp.  Version 0 answers in the old style (a list of offsets).
 */
#include "handlers.h"

#define LATEST_TIMESTAMP (-1)
#define EARLIEST_TIMESTAMP (-2)

int fr_handle_list_offsets(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_list_offsets_request_t in;
    if (fr_list_offsets_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_list_offsets_response_t out;
    fr_list_offsets_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, fr_list_offsets_response_list_offsets_topic_response_t, in.topics_count);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = in.topics_count;
    for (int32_t i = 0; i < in.topics_count; i++) {
        fr_list_offsets_request_list_offsets_topic_t *t = &in.topics[i];
        fr_list_offsets_response_list_offsets_topic_response_t *tr = &out.topics[i];
        tr->name = t->name;
        tr->partitions = FR_REQ_ARRAY(req, fr_list_offsets_response_list_offsets_partition_response_t,
                                      t->partitions_count);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = t->partitions_count;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        for (int32_t j = 0; j < t->partitions_count; j++) {
            fr_list_offsets_request_list_offsets_partition_t *pp = &t->partitions[j];
            fr_list_offsets_response_list_offsets_partition_response_t *pr = &tr->partitions[j];
            pr->partition_index = pp->partition_index;
            pr->timestamp = -1;
            pr->offset = -1;
            pr->leader_epoch = 0;
            pr->old_style_offsets = NULL;
            pr->old_style_offsets_count = 0;
            fr_partition_t *p = fr_topic_partition(topic, pp->partition_index);
            if (!p) {
                pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                pr->leader_epoch = -1;
                continue;
            }
            pr->error_code = FR_ERR_NONE;
            if (pp->timestamp == LATEST_TIMESTAMP) {
                pr->offset = fr_partlog_end_offset(p->log);
            } else if (pp->timestamp == EARLIEST_TIMESTAMP) {
                pr->offset = fr_partlog_start_offset(p->log);
            } else if (pp->timestamp < 0) {
                /* -3 (max timestamp) and other specials are not served by the versions we advertise */
                pr->error_code = FR_ERR_UNSUPPORTED_VERSION;
                continue;
            } else {
                int64_t off, ts;
                int rc = fr_partlog_offset_for_time(p->log, pp->timestamp, &off, &ts);
                if (rc) {
                    pr->error_code = fr_err_to_kafka(rc);
                    continue;
                }
                pr->offset = off;
                pr->timestamp = ts;
            }
            if (v == 0) {
                int64_t *o = FR_REQ_ARRAY(req, int64_t, 1);
                if (!o)
                    return FR_ERR_NOMEM;
                *o = pr->offset;
                pr->old_style_offsets = o;
                pr->old_style_offsets_count = pr->offset >= 0 && pp->max_num_offsets > 0 ? 1 : 0;
            }
        }
    }
    fr_list_offsets_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
