/*
 * topic_build.c — a new topic's files are made on a worker thread.
 *
 * Why: creating a partition makes its directory and segment files and
 * writes partition.metadata with an fsync, about 0.5 ms each here (62 ms
 * for 100 partitions, 220 ms for 500).  On the loop every client would
 * wait for that.  Kafka also creates logs off its request threads.
 *
 * The registry reserves the name on the loop (fr_topics_create_begin), a
 * pool thread makes the files (fr_topic_make_files), and the loop publishes
 * the topic when that is back (fr_topics_create_end).  One topic is built
 * at a time for the whole broker and the others wait their turn: the pool
 * is shared with the fsyncs that durable produces wait for.  A build always
 * runs to its end, also when the request that asked for it is gone.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"
#include "fr_logging.h"

#define COMPONENT "topics"

struct fr_topic_build {
    fr_lane_job_t lane_job; /* in the server's topic_build_lane: one build runs at a time */
    fr_server_t *srv;
    fr_topic_t *topic;      /* the registry's pending topic, until published; or */
    fr_topic_growth_t *growth; /* a topic's new partitions, until added */
    uv_work_t work;
    int rc;                 /* the worker's step, then the loop's (create_end / grow_end) */
    char err[512];
    int done;               /* published or dropped (loop thread only) */
    int abandoned;          /* nobody waits for it: the job frees itself */
};

static void build_finish(fr_topic_build_t *b) {
    fr_server_t *srv = b->srv;
    int rc;
    if (b->growth) {
        rc = fr_topics_grow_end(&srv->topics, b->growth, b->rc, b->err, sizeof(b->err));
    } else {
        rc = fr_topics_create_end(&srv->topics, b->topic, b->rc);
        if (rc && !b->rc) /* made, but could not be published (out of memory) */
            snprintf(b->err, sizeof(b->err), "cannot publish topic: %s", fr_err_str(rc));
    }
    b->rc = rc;
    b->topic = NULL;
    b->growth = NULL;
    fr_server_wake(srv); /* also for others than its requester: a deletion may wait for a growth */
    if (b->abandoned)
        free(b);
    else
        b->done = 1;
}

static void build_work(uv_work_t *w) {
    fr_topic_build_t *b = w->data;
    b->rc = b->growth ? fr_topic_growth_make(b->srv->cfg, b->growth, b->err, sizeof(b->err))
                      : fr_topic_make_files(b->srv->cfg, b->topic, b->err, sizeof(b->err));
}

static void build_after(uv_work_t *w, int status) {
    fr_topic_build_t *b = w->data;
    fr_server_t *srv = b->srv;
    (void)status; /* never cancelled: nothing calls uv_cancel on it */
    build_finish(b);
    fr_lane_job_end(&srv->topic_build_lane);
}

static int build_start(fr_lane_t *lane, fr_lane_job_t *job) {
    fr_topic_build_t *b = FR_LANE_JOB_OWNER(job, fr_topic_build_t);
    (void)lane;
    b->work.data = b;
    if (uv_queue_work(b->srv->loop, &b->work, build_work, build_after) == 0)
        return 1;
    fr_warn(COMPONENT, "cannot queue a topic's new partitions; making them on the network thread");
    build_work(&b->work);
    build_finish(b);
    return 0;
}

static void build_enqueue(fr_server_t *srv, fr_topic_build_t *b) {
    b->srv = srv;
    fr_lane_push(&srv->topic_build_lane, &b->lane_job, build_start);
}

fr_topic_build_t *fr_topic_build_start(fr_server_t *srv, fr_topic_t *topic) {
    fr_topic_build_t *b = calloc(1, sizeof(*b));
    if (!b) {
        fr_topics_create_end(&srv->topics, topic, FR_ERR_NOMEM);
        return NULL;
    }
    b->topic = topic;
    build_enqueue(srv, b);
    return b;
}

fr_topic_build_t *fr_topic_grow_start(fr_server_t *srv, fr_topic_growth_t *growth) {
    fr_topic_build_t *b = calloc(1, sizeof(*b));
    if (!b) {
        char err[8];
        fr_topics_grow_end(&srv->topics, growth, FR_ERR_NOMEM, err, sizeof(err));
        return NULL;
    }
    b->growth = growth;
    build_enqueue(srv, b);
    return b;
}

void fr_topic_build_release(fr_topic_build_t *b) {
    if (!b)
        return;
    if (b->done)
        free(b);
    else
        b->abandoned = 1;
}

int fr_topic_builds_collect(fr_topic_build_t **builds, int32_t n, int timed_out, int no_wait,
                            fr_topic_build_fail_fn fail, void *ctx) {
    for (int32_t i = 0; i < n; i++)
        if (builds[i] && !builds[i]->done && !timed_out && !no_wait)
            return 0;
    for (int32_t i = 0; i < n; i++) {
        fr_topic_build_t *b = builds[i];
        if (!b)
            continue;
        if (b->done && b->rc)
            fail(ctx, i, b->rc, b->err[0] ? b->err : NULL);
        else if (!b->done || no_wait)
            fail(ctx, i, FR_ERR_REQUEST_TIMED_OUT, NULL);
        fr_topic_build_release(b);
        builds[i] = NULL;
    }
    return 1;
}

void fr_topic_builds_release(fr_topic_build_t **builds, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        fr_topic_build_release(builds[i]);
        builds[i] = NULL;
    }
}
