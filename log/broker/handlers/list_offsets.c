/*
 * ListOffsets: earliest (-2), latest (-1) or the first offset at or after a
 * timestamp.  Version 0 answers in the old style (a list of offsets).
 *
 * Timestamps are looked up on a worker thread (time_lookup.c): the search
 * reads and decodes batches, old ones from the disk.  The request parks until
 * every partition's answer is in; earliest and latest are read when the
 * response is built.
 */
#include "handlers.h"

#define LATEST_TIMESTAMP (-1)
#define EARLIEST_TIMESTAMP (-2)

typedef struct list_offsets_state {
    fr_list_offsets_request_t in;
    fr_time_lookup_t *lookup; /* the by-time queries, in request order; NULL when there are none */
} list_offsets_state_t;

/* The by-time queries of the request, in the order the response meets them. */
static size_t time_queries(const fr_list_offsets_request_t *in, fr_time_query_t *out) {
    size_t n = 0;
    for (int32_t i = 0; i < in->topics_count; i++)
        for (int32_t j = 0; j < in->topics[i].partitions_count; j++) {
            const fr_list_offsets_request_list_offsets_partition_t *pp = &in->topics[i].partitions[j];
            if (pp->timestamp < 0)
                continue;
            if (out)
                out[n] = (fr_time_query_t){.topic = in->topics[i].name, .partition = pp->partition_index,
                                           .timestamp = pp->timestamp};
            n++;
        }
    return n;
}

static void answer_partition(const list_offsets_state_t *st, size_t *next_query, fr_topic_t *topic,
                             const fr_list_offsets_request_list_offsets_partition_t *pp,
                             fr_list_offsets_response_list_offsets_partition_response_t *pr) {
    pr->partition_index = pp->partition_index;
    pr->error_code = FR_ERR_NONE;
    pr->timestamp = -1;
    pr->offset = -1;
    pr->leader_epoch = 0;
    if (pp->timestamp >= 0) {
        const fr_time_query_t *q = fr_time_lookup_result(st->lookup, (*next_query)++);
        pr->error_code = q->error_code;
        if (q->error_code == FR_ERR_NONE) {
            pr->offset = q->offset;
            pr->timestamp = q->found_timestamp;
        } else if (q->error_code == FR_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
            pr->leader_epoch = -1;
        }
        return;
    }
    fr_partition_t *p = fr_topic_partition(topic, pp->partition_index);
    if (!p) {
        pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        pr->leader_epoch = -1;
    } else if (pp->timestamp == LATEST_TIMESTAMP) {
        pr->offset = fr_partlog_end_offset(p->log);
    } else if (pp->timestamp == EARLIEST_TIMESTAMP) {
        pr->offset = fr_partlog_start_offset(p->log);
    } else {
        /* -3 (max timestamp) and other specials are not served by the versions we advertise */
        pr->error_code = FR_ERR_UNSUPPORTED_VERSION;
    }
}

static int list_offsets_build(fr_req_t *req) {
    list_offsets_state_t *st = req->state;
    fr_list_offsets_request_t *in = &st->in;
    int16_t v = req->hdr.api_version;
    fr_list_offsets_response_t out;
    fr_list_offsets_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, fr_list_offsets_response_list_offsets_topic_response_t, in->topics_count);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = in->topics_count;
    size_t next_query = 0;
    for (int32_t i = 0; i < in->topics_count; i++) {
        fr_list_offsets_request_list_offsets_topic_t *t = &in->topics[i];
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
            answer_partition(st, &next_query, topic, pp, pr);
            pr->old_style_offsets = NULL;
            pr->old_style_offsets_count = 0;
            if (v == 0 && pr->error_code == FR_ERR_NONE) {
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

static void list_offsets_cleanup(fr_req_t *req) {
    list_offsets_state_t *st = req->state;
    fr_time_lookup_release(st->lookup);
    st->lookup = NULL;
}

static int list_offsets_retry(fr_req_t *req, int timed_out) {
    list_offsets_state_t *st = req->state;
    (void)timed_out; /* no deadline: every lookup ends, and its end wakes parked requests */
    if (!fr_time_lookup_done(st->lookup))
        return FR_REQ_PARKED;
    return list_offsets_build(req);
}

int fr_handle_list_offsets(fr_req_t *req) {
    list_offsets_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_list_offsets_request_read(&req->body, req->hdr.api_version, req->arena, &st->in))
        return FR_ERR_PARSE;
    req->state = st;
    size_t n = time_queries(&st->in, NULL);
    if (n == 0)
        return list_offsets_build(req);
    fr_time_query_t *queries = FR_REQ_ARRAY(req, fr_time_query_t, n);
    if (!queries)
        return FR_ERR_NOMEM;
    time_queries(&st->in, queries);
    st->lookup = fr_time_lookup_start(req->srv, queries, n);
    if (!st->lookup)
        return FR_ERR_NOMEM;
    req->cleanup = list_offsets_cleanup;
    req->retry = list_offsets_retry;
    req->deadline_ms = UINT64_MAX;
    if (fr_time_lookup_done(st->lookup)) /* none had to wait for the pool (e.g. unknown topics) */
        return list_offsets_build(req);
    return FR_REQ_PARKED;
}
