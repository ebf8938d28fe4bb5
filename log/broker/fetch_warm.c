/*
 * fetch_warm.c — brings a cold fetch's bytes into the page cache on a worker
 * thread, so that the network loop's sendfile then copies from memory.
 *
 * Why: sendfile of bytes that are not cached waits for the disk, and while
 * the loop waits every other client on it waits too: one consumer replaying
 * old data would add a disk read to each tail consumer's and producer's
 * latency (Kafka's network threads have the same stall).  The fetch handler
 * asks the log whether its read may be cold (fr_partlog_cold_range) and, if
 * so, parks while a job here reads the range; the retry then finds it cached.
 *
 * The job reads by sendfile to /dev/null: the kernel fills the page cache
 * (with its usual readahead) and copies nothing out.  Errors are not reported
 * here: the fetch's own read meets them and answers with them.
 *
 * At most FR_WARM_RUNNING jobs hold thread-pool threads at once; the others
 * wait in the server's warm_lane (lane.h).  The pool is libuv's, shared with the fsyncs
 * the flush policy waits for: consumers replaying old data from a slow disk
 * must not take every thread and hold up durable produces behind them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "broker.h"
#include "fr_logging.h"

#define COMPONENT "fetch"

struct fr_warm {
    uv_work_t work;
    fr_lane_job_t lane_job; /* in the server's warm_lane */
    fr_server_t *srv;
    int done;        /* the worker finished (loop thread only) */
    int abandoned;   /* the fetch went away first: the job frees itself when done */
    size_t n;
    fr_read_result_t parts[];
};

static void warm_free(fr_warm_t *w) {
    for (size_t i = 0; i < w->n; i++)
        if (w->parts[i].unref)
            w->parts[i].unref(w->parts[i].ref);
    free(w);
}

/* Reads [from, to) of fd into the page cache; stops early at an error or the file's end. */
static void warm_read(int null_fd, int fd, int64_t from, int64_t to) {
    off_t off = (off_t)from;
    while (off < to) {
        ssize_t got = sendfile(null_fd, fd, &off, (size_t)(to - off));
        if (got <= 0)
            break;
    }
}

static void warm_run(uv_work_t *work) {
    fr_warm_t *w = work->data;
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0)
        return; /* the fetch reads on the loop, as without warming */
    for (size_t i = 0; i < w->n; i++) {
        const fr_read_result_t *r = &w->parts[i];
        int64_t end = r->file_position + (int64_t)r->len;
        warm_read(null_fd, r->fd, r->file_position, end);
        /* a first batch bigger than the fetch's limit is returned whole: read the rest too */
        int64_t batch_end = fr_partlog_cold_range_end(r);
        if (batch_end > end)
            warm_read(null_fd, r->fd, end, batch_end);
    }
    close(null_fd);
}

/* The job's end, or its failure to start (its fetch then reads on the loop):
 * wakes the fetch, or frees the job when the fetch went away. */
static void warm_finish(fr_warm_t *w) {
    if (w->abandoned) {
        warm_free(w);
        return;
    }
    w->done = 1;
    fr_server_wake(w->srv);
}

static void warm_after(uv_work_t *work, int status) {
    fr_warm_t *w = work->data;
    fr_server_t *srv = w->srv;
    (void)status;
    warm_finish(w);
    fr_lane_job_end(&srv->warm_lane);
}

static int warm_start_job(fr_lane_t *lane, fr_lane_job_t *job) {
    fr_warm_t *w = FR_LANE_JOB_OWNER(job, fr_warm_t);
    (void)lane;
    if (w->abandoned) {
        warm_free(w);
        return 0;
    }
    if (uv_queue_work(w->srv->loop, &w->work, warm_run, warm_after)) {
        fr_debug(COMPONENT, "cannot queue a cache warm-up; the fetch reads on the loop");
        warm_finish(w);
        return 0;
    }
    return 1;
}

fr_warm_t *fr_warm_start(fr_server_t *srv, fr_read_result_t *parts, size_t n) {
    fr_warm_t *w = malloc(sizeof(*w) + n * sizeof(*parts));
    if (!w) {
        for (size_t i = 0; i < n; i++)
            parts[i].unref(parts[i].ref);
        return NULL;
    }
    *w = (fr_warm_t){.srv = srv, .n = n};
    for (size_t i = 0; i < n; i++)
        w->parts[i] = parts[i];
    w->work.data = w;
    fr_lane_push(&srv->warm_lane, &w->lane_job, warm_start_job);
    return w;
}

int fr_warm_done(const fr_warm_t *w) { return w->done; }

void fr_warm_release(fr_warm_t *w) {
    if (!w)
        return;
    if (w->done)
        warm_free(w);
    else
        w->abandoned = 1;
}
