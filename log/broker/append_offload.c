/*
 * append_offload.c — Produce appends that decompress or re-compress records,
 * run on a worker thread.
 *
 * Why: most appends only check CRCs and write, and run on the network loop.
 * But a topic whose compression.type names a codec re-compresses every batch
 * sent in another one, and a compacted topic decompresses compressed batches
 * to check their keys.  On a megabyte batch that takes milliseconds (gzip:
 * 3-19 ms here, text to random bytes), and on the loop every other client
 * would wait that long.
 * Kafka does this work on its request handler threads, never on the network
 * threads; here it goes to the thread pool.
 *
 * The produce handler parks its request (its connection reads nothing more
 * meanwhile, so one connection's appends stay in order) and hands over the
 * costly partitions.  The job copies their records and topic names: the
 * connection may close, or the topic be deleted, before it ends.  Partitions
 * are appended one after another, each as a log job (fr_server_log_job keeps
 * the log open through a deletion), and each is looked up by name again when
 * its turn comes.  The flush policy and waiting consumers hear of each append
 * as soon as it is back, whether or not the request still waits for it.
 *
 * One request's appends run at a time for the whole broker: the pool has
 * four threads and the fsyncs that acks=all producers wait for must find one
 * free.  That costs nothing against what came before, when every
 * conversion ran one at a time on the loop itself.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"

struct fr_append_offload {
    fr_lane_job_t lane_job; /* in the server's append_lane: one request's appends run at a time */
    fr_server_t *srv;
    int64_t now_ms;
    size_t n, at;           /* parts, and the one running or next to run */
    int done;               /* every part is appended or refused (loop thread only) */
    int abandoned;          /* the request went away first: the job frees itself */
    fr_offload_part_t parts[]; /* followed by the records and topic names they point to */
};

static void append_run(fr_partlog_t *log, void *arg) {
    fr_append_offload_t *o = arg;
    fr_offload_part_t *part = &o->parts[o->at];
    part->rc = fr_partlog_append(log, (uint8_t *)part->records, part->len, o->now_ms, &part->info);
}

/* Back on the loop: what the handler would have done after an append of its own. */
static void append_note(fr_append_offload_t *o) {
    const fr_offload_part_t *part = &o->parts[o->at];
    if (part->rc || part->info.duplicate)
        return;
    fr_partition_t *p = fr_topic_partition(fr_topics_find(&o->srv->topics, part->topic), part->partition);
    if (p) /* NULL: deleted meanwhile, and its log with it */
        fr_server_note_append(o->srv, p, part->info.needs_flush);
}

static void append_done(void *arg);

/* Runs o's next part, on the pool when it can be queued: 1 while one runs
 * there; 0 once none is left (o is then done, or freed if abandoned). */
static int append_step(fr_append_offload_t *o) {
    fr_server_t *srv = o->srv;
    for (; o->at < o->n && !o->abandoned; o->at++) {
        fr_offload_part_t *part = &o->parts[o->at];
        fr_partition_t *p = fr_topic_partition(fr_topics_find(&srv->topics, part->topic), part->partition);
        if (!p || !p->log) {
            part->rc = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        if (fr_server_log_job(srv, p, append_run, append_done, o) == 0)
            return 1;
        append_run(p->log, o); /* on the loop, as a last resort, rather than not at all */
        append_note(o);
    }
    if (o->abandoned) {
        free(o);
    } else {
        o->done = 1;
        fr_server_wake(srv);
    }
    return 0;
}

static void append_done(void *arg) {
    fr_append_offload_t *o = arg;
    fr_server_t *srv = o->srv;
    append_note(o);
    o->at++;
    if (!append_step(o))
        fr_lane_job_end(&srv->append_lane);
}

static int append_start(fr_lane_t *lane, fr_lane_job_t *job) {
    (void)lane;
    return append_step(FR_LANE_JOB_OWNER(job, fr_append_offload_t));
}

fr_append_offload_t *fr_append_offload_start(fr_server_t *srv, const fr_offload_part_t *parts, size_t n,
                                             int64_t now_ms) {
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += parts[i].len + (parts[i].topic.len > 0 ? (size_t)parts[i].topic.len : 0);
    fr_append_offload_t *o = malloc(sizeof(*o) + n * sizeof(*parts) + bytes);
    if (!o)
        return NULL;
    *o = (fr_append_offload_t){.srv = srv, .now_ms = now_ms, .n = n};
    uint8_t *copy = (uint8_t *)(o->parts + n);
    for (size_t i = 0; i < n; i++) {
        fr_offload_part_t *part = &o->parts[i];
        *part = parts[i];
        part->rc = 0;
        part->info = (fr_append_info_t){.base_offset = -1, .last_offset = -1, .bad_record = -1};
        memcpy(copy, part->records, part->len);
        part->records = copy; /* the request's bytes go with its connection */
        copy += part->len;
        if (part->topic.len > 0)
            memcpy(copy, part->topic.ptr, (size_t)part->topic.len);
        part->topic.ptr = copy;
        copy += part->topic.len > 0 ? part->topic.len : 0;
    }
    fr_lane_push(&srv->append_lane, &o->lane_job, append_start);
    return o;
}

int fr_append_offload_done(const fr_append_offload_t *o) { return o->done; }

const fr_offload_part_t *fr_append_offload_result(const fr_append_offload_t *o, size_t i) {
    return i < o->n ? &o->parts[i] : NULL;
}

void fr_append_offload_release(fr_append_offload_t *o) {
    if (!o)
        return;
    if (o->done)
        free(o);
    else
        o->abandoned = 1;
}
