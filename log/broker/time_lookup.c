/*
 * time_lookup.c — ListOffsets by timestamp, answered on a worker thread.
 *
 * Why: finding the first offset at or after a timestamp reads batches from
 * the segment files (headers between index entries, then the batch itself,
 * decompressed when it is compressed).  For old data those reads go to the
 * disk, and a compressed batch may take milliseconds to decode: on the loop,
 * every other client would wait for them.  A consumer seeking by time
 * (offsetsForTimes, kcat -o s@...) is exactly the client reading old data.
 *
 * The queries of one request run one after another, each as a log job
 * (fr_server_log_job), which keeps the partition's log open even when its
 * topic is deleted meanwhile.  One request's lookup runs at a time for the
 * whole broker and the others wait their turn: the thread pool is shared
 * with the fsyncs that durable produces wait for, and a client asking for
 * thousands of partitions must not take it from them.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"

struct fr_time_lookup {
    fr_lane_job_t lane_job; /* in the server's time_lookup_lane: one request's lookup runs at a time */
    fr_server_t *srv;
    size_t n, at;           /* queries, and the one running or next to run */
    int done;               /* every query is answered (loop thread only) */
    int abandoned;          /* the request went away first: the job frees itself */
    fr_time_query_t q[];    /* followed by the topic names the queries point to */
};

static void lookup_run(fr_partlog_t *log, void *arg) {
    fr_time_lookup_t *l = arg;
    fr_time_query_t *q = &l->q[l->at];
    int rc = fr_partlog_offset_for_time(log, q->timestamp, &q->offset, &q->found_timestamp);
    q->error_code = rc ? fr_err_to_kafka(rc) : FR_ERR_NONE;
}

static void lookup_done(void *arg);

/* Runs l's next query, on the pool when it can be queued: 1 while one runs
 * there; 0 once none is left (l is then answered, or freed if abandoned). */
static int lookup_step(fr_time_lookup_t *l) {
    fr_server_t *srv = l->srv;
    for (; l->at < l->n && !l->abandoned; l->at++) {
        fr_time_query_t *q = &l->q[l->at];
        fr_partition_t *p = fr_topic_partition(fr_topics_find(&srv->topics, q->topic), q->partition);
        if (!p || !p->log)
            q->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (fr_server_log_job(srv, p, lookup_run, lookup_done, l) == 0)
            return 1;
        else
            lookup_run(p->log, l); /* on the loop, as a last resort, rather than not at all */
    }
    if (l->abandoned) {
        free(l);
    } else {
        l->done = 1;
        fr_server_wake(srv);
    }
    return 0;
}

static void lookup_done(void *arg) {
    fr_time_lookup_t *l = arg;
    fr_server_t *srv = l->srv;
    l->at++;
    if (!lookup_step(l))
        fr_lane_job_end(&srv->time_lookup_lane);
}

static int lookup_start(fr_lane_t *lane, fr_lane_job_t *job) {
    (void)lane;
    return lookup_step(FR_LANE_JOB_OWNER(job, fr_time_lookup_t));
}

fr_time_lookup_t *fr_time_lookup_start(fr_server_t *srv, const fr_time_query_t *queries, size_t n) {
    size_t names = 0;
    for (size_t i = 0; i < n; i++)
        names += queries[i].topic.len > 0 ? (size_t)queries[i].topic.len : 0;
    fr_time_lookup_t *l = malloc(sizeof(*l) + n * sizeof(*queries) + names);
    if (!l)
        return NULL;
    *l = (fr_time_lookup_t){.srv = srv, .n = n};
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
    fr_lane_push(&srv->time_lookup_lane, &l->lane_job, lookup_start);
    return l;
}

int fr_time_lookup_done(const fr_time_lookup_t *l) { return l->done; }

const fr_time_query_t *fr_time_lookup_result(const fr_time_lookup_t *l, size_t i) {
    return i < l->n ? &l->q[i] : NULL;
}

void fr_time_lookup_release(fr_time_lookup_t *l) {
    if (!l)
        return;
    if (l->done)
        free(l);
    else
        l->abandoned = 1;
}
