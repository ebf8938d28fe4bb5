/*
 * time_lookup.c — ListOffsets by timestamp (and by max timestamp, -3),
 * answered on a worker thread.
 *
 * Why: finding the first offset at or after a timestamp reads batches from
 * the segment files (headers between index entries, then the batch itself,
 * decompressed when it is compressed).  For old data those reads go to the
 * disk, and a compressed batch may take milliseconds to decode: on the loop,
 * every other client would wait for them.  A consumer seeking by time
 * (offsetsForTimes, kcat -o s@...) is exactly the client reading old data.
 *
 * The queries of one request run one after another, each as a log job that
 * keeps the partition's log open even when its topic is deleted meanwhile
 * (fr_log_steps_t, log_steps.c).  One request's lookup runs at a time for the
 * whole broker and the others wait their turn: the thread pool is shared
 * with the fsyncs that durable produces wait for, and a client asking for
 * thousands of partitions must not take it from them.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"

struct fr_time_lookup {
    fr_log_steps_t steps;   /* in the server's time_lookup_lane: one request's lookup runs at a time */
    fr_time_query_t q[];    /* followed by the topic names the queries point to */
};
_Static_assert(offsetof(fr_time_lookup_t, steps) == 0, "fr_log_steps_release frees the block at its steps");

static fr_slice_t lookup_topic(const fr_log_steps_t *s, size_t i, int32_t *partition) {
    const fr_time_query_t *q = &((const fr_time_lookup_t *)s)->q[i];
    *partition = q->partition;
    return q->topic;
}

static void lookup_run(fr_log_steps_t *s, size_t i, fr_partlog_t *log) {
    fr_time_query_t *q = &((fr_time_lookup_t *)s)->q[i];
    int rc = q->timestamp == FR_LIST_OFFSETS_MAX_TIMESTAMP
                 ? fr_partlog_offset_of_max_timestamp(log, &q->offset, &q->found_timestamp)
                 : fr_partlog_offset_for_time(log, q->timestamp, &q->offset, &q->found_timestamp);
    q->error_code = rc ? fr_err_to_kafka(rc) : FR_ERR_NONE;
}

static void lookup_missing(fr_log_steps_t *s, size_t i) {
    ((fr_time_lookup_t *)s)->q[i].error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

static const fr_log_steps_ops_t lookup_ops = {
    .topic = lookup_topic, .run = lookup_run, .missing = lookup_missing};

fr_time_lookup_t *fr_time_lookup_start(fr_server_t *srv, const fr_time_query_t *queries, size_t n) {
    size_t names = 0;
    for (size_t i = 0; i < n; i++)
        names += queries[i].topic.len > 0 ? (size_t)queries[i].topic.len : 0;
    fr_time_lookup_t *l = malloc(sizeof(*l) + n * sizeof(*queries) + names);
    if (!l)
        return NULL;
    uint8_t *name = (uint8_t *)(l->q + n);
    for (size_t i = 0; i < n; i++) {
        fr_time_query_t *q = &l->q[i];
        *q = queries[i];
        q->error_code = FR_ERR_NONE;
        q->offset = q->found_timestamp = -1;
        if (q->topic.len > 0)
            memcpy(name, q->topic.ptr, (size_t)q->topic.len);
        q->topic.ptr = name; /* the request's copy goes with its arena */
        name += q->topic.len > 0 ? q->topic.len : 0;
    }
    fr_log_steps_start(&l->steps, srv, &srv->time_lookup_lane, &lookup_ops, n);
    return l;
}

int fr_time_lookup_done(const fr_time_lookup_t *l) { return fr_log_steps_done(&l->steps); }

const fr_time_query_t *fr_time_lookup_result(const fr_time_lookup_t *l, size_t i) {
    return i < l->steps.n ? &l->q[i] : NULL;
}

void fr_time_lookup_release(fr_time_lookup_t *l) { fr_log_steps_release(l ? &l->steps : NULL); }
