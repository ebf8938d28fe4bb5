/*
 * ListOffsets: earliest (-2), latest (-1), the first offset at or after a
 * timestamp, and from v7 the record with the largest timestamp (-3, KIP-734),
 * from v8 the earliest local offset (-4: the log start, as Kafka answers
 * without tiered storage) and from v9 the latest tiered one (-5: none, -1).
 * Version 0 answers in the old style, Kafka's offsets before a time: a list
 * of segment base offsets by the segments' modification times
 * (fr_partlog_legacy_offsets_before), not v1's record search.  v10's timeout
 * is for remote storage, which there is none of.
 *
 * Timestamps (and the max timestamp) are looked up on a worker thread
 * (time_lookup.c): the search reads and decodes batches, old ones from the
 * disk.  The request parks until
 * every partition's answer is in; earliest and latest are read when the
 * response is built.
 *
 * Checks in Kafka's order (ReplicaManager.fetchOffset): a partition named
 * twice (v1+) gets one answer, INVALID_REQUEST; a special timestamp the
 * version does not serve, UNSUPPORTED_VERSION; then an unknown partition,
 * then current_leader_epoch (v4+).  leader_epoch is -1 wherever no offset
 * is found, as in Kafka's error answers.
 */
#include <string.h>

#include "handlers.h"

#define LATEST_TIMESTAMP (-1)
#define EARLIEST_TIMESTAMP (-2)
#define EARLIEST_LOCAL_TIMESTAMP (-4)
#define LATEST_TIERED_TIMESTAMP (-5)

typedef struct list_offsets_state {
    fr_list_offsets_request_t in;
    uint8_t *dups;            /* per partition entry, in request order: FR_NAME_* (v1+; else all unique) */
    fr_time_lookup_t *lookup; /* the by-time queries, in request order; NULL when there are none */
    int16_t v;                /* the request's version */
} list_offsets_state_t;

/* Marks the partition entries that name a (topic, partition) more than once (v1+; Kafka's v0 does not). */
static int mark_duplicates(fr_req_t *req, list_offsets_state_t *st) {
    const fr_list_offsets_request_t *in = &st->in;
    int32_t n = 0;
    if (req->hdr.api_version >= 1) {
        st->dups = fr_req_mark_duplicate_partitions(
            req, in->topics, in->topics_count,
            &FR_PARTITION_LAYOUT(fr_list_offsets_request_list_offsets_topic_t, name, partitions, partitions_count,
                                 fr_list_offsets_request_list_offsets_partition_t, partition_index),
            0, &n);
        return st->dups ? 0 : FR_ERR_NOMEM;
    }
    for (int32_t i = 0; i < in->topics_count; i++)
        n += in->topics[i].partitions_count;
    st->dups = FR_REQ_ARRAY(req, uint8_t, n);
    return st->dups ? 0 : FR_ERR_NOMEM;
}

/* Kafka's isListOffsetsTimestampUnsupported: a negative timestamp other than
 * the special ones, or one the version does not serve yet. */
static int unsupported_timestamp(int64_t ts, int16_t v) {
    switch (ts) {
    case LATEST_TIMESTAMP:
    case EARLIEST_TIMESTAMP:
        return 0;
    case FR_LIST_OFFSETS_MAX_TIMESTAMP:
        return v < 7;
    case EARLIEST_LOCAL_TIMESTAMP:
        return v < 8;
    case LATEST_TIERED_TIMESTAMP:
        return v < 9;
    default:
        return ts < 0;
    }
}

/* Whether an entry's offset is looked up by time (it passes the checks that come first; v1+). */
static int by_time(const list_offsets_state_t *st, int32_t k,
                   const fr_list_offsets_request_list_offsets_partition_t *pp) {
    if (st->v == 0)
        return 0;
    int searched = pp->timestamp >= 0 ||
                   (pp->timestamp == FR_LIST_OFFSETS_MAX_TIMESTAMP && !unsupported_timestamp(pp->timestamp, st->v));
    return searched && st->dups[k] == FR_NAME_UNIQUE &&
           fr_req_leader_epoch_error(pp->current_leader_epoch) == FR_ERR_NONE;
}

/* The by-time queries of the request, in the order the response meets them. */
static size_t time_queries(const list_offsets_state_t *st, fr_time_query_t *out) {
    const fr_list_offsets_request_t *in = &st->in;
    size_t n = 0;
    int32_t k = 0;
    for (int32_t i = 0; i < in->topics_count; i++)
        for (int32_t j = 0; j < in->topics[i].partitions_count; j++, k++) {
            const fr_list_offsets_request_list_offsets_partition_t *pp = &in->topics[i].partitions[j];
            if (!by_time(st, k, pp))
                continue;
            if (out)
                out[n] = (fr_time_query_t){.topic = in->topics[i].name, .partition = pp->partition_index,
                                           .timestamp = pp->timestamp};
            n++;
        }
    return n;
}

static void answer_partition(const list_offsets_state_t *st, size_t *next_query, int32_t k, fr_topic_t *topic,
                             const fr_list_offsets_request_list_offsets_partition_t *pp,
                             fr_list_offsets_response_list_offsets_partition_response_t *pr) {
    pr->partition_index = pp->partition_index;
    pr->error_code = FR_ERR_NONE;
    pr->timestamp = -1;
    pr->offset = -1;
    pr->leader_epoch = -1;
    if (by_time(st, k, pp)) { /* the lookup also answers an unknown partition */
        const fr_time_query_t *q = fr_time_lookup_result(st->lookup, (*next_query)++);
        pr->error_code = q->error_code;
        if (q->error_code == FR_ERR_NONE && q->offset >= 0) {
            pr->offset = q->offset;
            pr->timestamp = q->found_timestamp;
            pr->leader_epoch = FR_LEADER_EPOCH; /* the found batch's: every batch here has it */
        }
        return;
    }
    fr_partition_t *p = fr_topic_partition(topic, pp->partition_index);
    if (st->dups[k] != FR_NAME_UNIQUE)
        pr->error_code = FR_ERR_INVALID_REQUEST;
    else if (unsupported_timestamp(pp->timestamp, st->v))
        pr->error_code = FR_ERR_UNSUPPORTED_VERSION;
    else if (!p)
        pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (!(pr->error_code = fr_req_leader_epoch_error(pp->current_leader_epoch)) &&
             pp->timestamp != LATEST_TIERED_TIMESTAMP) { /* nothing is tiered: -1, epoch -1 */
        pr->offset =
            pp->timestamp == LATEST_TIMESTAMP ? fr_partlog_end_offset(p->log) : fr_partlog_start_offset(p->log);
        pr->leader_epoch = FR_LEADER_EPOCH;
    }
}

/* Version 0's list for a partition that passed the checks: Kafka's legacyFetchOffsetsBefore. */
static int legacy_offsets(fr_req_t *req, fr_topic_t *topic, const fr_list_offsets_request_list_offsets_partition_t *pp,
                          fr_list_offsets_response_list_offsets_partition_response_t *pr) {
    if (pp->max_num_offsets < 0) { /* Kafka's array of that many offsets throws: an unexpected error */
        pr->error_code = FR_ERR_UNKNOWN_SERVER_ERROR;
        return 0;
    }
    fr_partlog_t *log = fr_topic_partition(topic, pp->partition_index)->log;
    int64_t now = fr_now_ms();
    size_t n, cap = fr_partlog_segment_count(log) + 1; /* every segment and the log end */
    if ((size_t)pp->max_num_offsets < cap)
        cap = (size_t)pp->max_num_offsets;
    for (;;) { /* again with more room if appends on a worker rolled a segment meanwhile */
        int64_t *o = FR_REQ_ARRAY(req, int64_t, cap ? cap : 1);
        if (!o)
            return FR_ERR_NOMEM;
        n = fr_partlog_legacy_offsets_before(log, pp->timestamp, now, pp->max_num_offsets, o, cap);
        pr->old_style_offsets = o;
        if (n <= cap)
            break;
        cap = n;
    }
    pr->old_style_offsets_count = (int32_t)n;
    return 0;
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
    size_t next_query = 0;
    int32_t k = 0; /* the partition entry's index in the whole request */
    for (int32_t i = 0; i < in->topics_count; i++) {
        fr_list_offsets_request_list_offsets_topic_t *t = &in->topics[i];
        fr_list_offsets_response_list_offsets_topic_response_t *tr = &out.topics[out.topics_count];
        tr->name = t->name;
        tr->partitions = FR_REQ_ARRAY(req, fr_list_offsets_response_list_offsets_partition_response_t,
                                      t->partitions_count);
        if (!tr->partitions)
            return FR_ERR_NOMEM;
        tr->partitions_count = 0;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, t->name);
        for (int32_t j = 0; j < t->partitions_count; j++, k++) {
            if (st->dups[k] == FR_NAME_REPEAT)
                continue; /* Kafka answers a partition once */
            fr_list_offsets_request_list_offsets_partition_t *pp = &t->partitions[j];
            fr_list_offsets_response_list_offsets_partition_response_t *pr = &tr->partitions[tr->partitions_count++];
            answer_partition(st, &next_query, k, topic, pp, pr);
            pr->old_style_offsets = NULL;
            pr->old_style_offsets_count = 0;
            if (v == 0 && pr->error_code == FR_ERR_NONE && legacy_offsets(req, topic, pp, pr))
                return FR_ERR_NOMEM;
        }
        if (tr->partitions_count > 0 || t->partitions_count == 0)
            out.topics_count++; /* a topic entry of repeats only is left out */
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
    st->v = req->hdr.api_version;
    int rc = mark_duplicates(req, st);
    if (rc)
        return rc;
    size_t n = time_queries(st, NULL);
    if (n == 0)
        return list_offsets_build(req);
    fr_time_query_t *queries = FR_REQ_ARRAY(req, fr_time_query_t, n);
    if (!queries)
        return FR_ERR_NOMEM;
    time_queries(st, queries);
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
