/*
 * log_steps.c — a request's partition jobs, one after another on the thread
 * pool, in a lane (fr_log_steps_t, broker.h).
 *
 * Why: ListOffsets by time (time_lookup.c) and appends that (de)compress
 * records (append_offload.c) both take one request's partitions off the
 * loop, run them in order as log jobs (fr_server_log_job keeps each log open
 * through a deletion), and must outlive a request that goes away first.
 * That lifecycle is kept here once; the owners say what a step does.
 *
 * A step that cannot be queued runs on the loop, as a last resort, rather
 * than not at all.
 */
#include <stdlib.h>

#include "broker.h"

static void steps_run(fr_partlog_t *log, void *arg) {
    fr_log_steps_t *s = arg;
    s->ops->run(s, s->at, log);
}

static void steps_ran(void *arg);

static void steps_free(fr_log_steps_t *s) {
    if (s->ops->dispose)
        s->ops->dispose(s);
    free(s); /* its owner: s is the first member */
}

/* Runs s's next step, on the pool when it can be queued: 1 while one runs
 * there; 0 once none is left (s is then done, or its owner freed if
 * abandoned). */
static int steps_next(fr_log_steps_t *s) {
    fr_server_t *srv = s->srv;
    for (; s->at < s->n && !s->abandoned; s->at++) {
        int32_t partition = -1;
        fr_slice_t topic = s->ops->topic(s, s->at, &partition);
        fr_partition_t *p = fr_topic_partition(fr_topics_find(&srv->topics, topic), partition);
        if (!p || !p->log) {
            s->ops->missing(s, s->at);
            continue;
        }
        if (fr_server_log_job(srv, p, steps_run, steps_ran, s) == 0)
            return 1;
        steps_run(p->log, s);
        if (s->ops->ran)
            s->ops->ran(s, s->at);
    }
    if (s->abandoned) {
        steps_free(s);
    } else {
        s->done = 1;
        fr_server_wake(srv);
    }
    return 0;
}

static void steps_ran(void *arg) {
    fr_log_steps_t *s = arg;
    fr_lane_t *lane = s->lane; /* s may be freed below */
    if (s->ops->ran)
        s->ops->ran(s, s->at);
    s->at++;
    if (!steps_next(s))
        fr_lane_job_end(lane);
}

static int steps_start(fr_lane_t *lane, fr_lane_job_t *job) {
    (void)lane;
    return steps_next(FR_LANE_JOB_OWNER(job, fr_log_steps_t));
}

void fr_log_steps_start(fr_log_steps_t *s, fr_server_t *srv, fr_lane_t *lane, const fr_log_steps_ops_t *ops,
                        size_t n) {
    *s = (fr_log_steps_t){.srv = srv, .lane = lane, .ops = ops, .n = n};
    fr_lane_push(lane, &s->lane_job, steps_start);
}

int fr_log_steps_done(const fr_log_steps_t *s) { return s->done; }

void fr_log_steps_release(fr_log_steps_t *s) {
    if (!s)
        return;
    if (s->done)
        steps_free(s);
    else
        s->abandoned = 1;
}
