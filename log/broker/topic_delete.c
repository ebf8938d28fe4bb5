/*
 * topic_delete.c — what a topic deletion leaves to do on disk: make the
 * renames and unlinks in the log dirs durable before the deletion is
 * answered, then remove the deleted partitions' files, one at a time.
 *
 * Why a directory sync: DeleteTopics renames each partition directory to
 * "-delete" and unlinks the topic's config file (topics.c).  Until the log
 * dir and its ".topic-configs" are fsynced, a power cut can undo part of
 * that, and a deleted topic could come back.  One sync runs at a time and
 * the next covers every deletion made while it ran (a group commit), so a
 * burst of deletions costs a few syncs, not one each.
 *
 * Why the removals wait, and go one at a time: the thread pool is FIFO and
 * shared with the fsyncs produce requests wait for.  Queued all at once, a
 * 100-partition topic's removals would occupy every worker, and the next
 * deletion's sync (and every acks=all produce) would wait for them.  So no
 * removal starts while a sync is asked for or running, and at most one runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"

#define COMPONENT "topics"

struct fr_log_discard {
    uv_work_t work;
    fr_lane_job_t lane_job; /* in the server's discard_lane: one at a time */
    fr_server_t *srv;
    fr_partlog_t *log;
    char *dir; /* the renamed "-delete" directory, or NULL */
};

typedef struct dir_sync_job {
    uv_work_t work;
    fr_server_t *srv;
    uint64_t ticket; /* the newest ticket it covers */
    int rc;
} dir_sync_job_t;

static void discards_resume(fr_server_t *srv);
static void dir_sync_start(fr_server_t *srv);

/* ---------- directory syncs ---------- */

static int sync_dir_if_present(const char *dir) {
    int rc = fr_fsync_dir(dir);
    return rc && errno != ENOENT ? rc : 0;
}

static void dir_sync_run(uv_work_t *w) {
    dir_sync_job_t *job = w->data;
    const fr_broker_config_t *cfg = job->srv->cfg;
    job->rc = 0;
    for (int i = 0; i < cfg->num_log_dirs; i++) {
        char configs[4200];
        snprintf(configs, sizeof(configs), "%s/.topic-configs", cfg->log_dirs[i]);
        const char *failed = fr_fsync_dir(cfg->log_dirs[i]) ? cfg->log_dirs[i]
                             : sync_dir_if_present(configs) ? configs
                                                            : NULL;
        if (failed) {
            fr_error(COMPONENT, "cannot sync %s after a topic deletion: %s", failed, strerror(errno));
            job->rc = FR_ERR_IO;
        }
    }
}

/* Records a sync's result for the tickets it covers, and lets what waited go on. */
static void dir_sync_finish(fr_server_t *srv, uint64_t ticket, int rc) {
    srv->dir_sync_done = ticket;
    if (rc == 0)
        srv->dir_sync_ok = ticket;
    fr_server_wake(srv); /* the deletions it covered are answered */
    if (srv->dir_sync_asked > srv->dir_sync_done)
        dir_sync_start(srv);
    discards_resume(srv);
}

static void dir_sync_done(uv_work_t *w, int status) {
    dir_sync_job_t *job = w->data;
    fr_server_t *srv = job->srv;
    uint64_t ticket = job->ticket;
    int rc = job->rc;
    (void)status; /* never cancelled */
    free(job);
    dir_sync_finish(srv, ticket, rc);
}

static void dir_sync_start(fr_server_t *srv) {
    dir_sync_job_t local = {.srv = srv, .ticket = srv->dir_sync_asked};
    dir_sync_job_t *job = malloc(sizeof(*job));
    if (job) {
        *job = local;
        job->work.data = job;
        if (uv_queue_work(srv->loop, &job->work, dir_sync_run, dir_sync_done) == 0)
            return;
        free(job);
    }
    fr_warn(COMPONENT, "cannot queue a log dir sync; syncing on the network thread");
    local.work.data = &local;
    dir_sync_run(&local.work);
    dir_sync_finish(srv, local.ticket, local.rc);
}

uint64_t fr_dir_sync_request(fr_server_t *srv) {
    /* a sync runs exactly while asked > done: it starts when asked first
     * passes done, and at its end when more were asked meanwhile */
    int idle = srv->dir_sync_asked == srv->dir_sync_done;
    uint64_t ticket = ++srv->dir_sync_asked;
    srv->discard_lane.held = 1;
    if (idle)
        dir_sync_start(srv);
    return ticket;
}

int fr_dir_sync_state(const fr_server_t *srv, uint64_t ticket) {
    if (srv->dir_sync_done < ticket)
        return 1;
    return srv->dir_sync_ok >= ticket ? 0 : FR_ERR_IO;
}

/* ---------- removals ---------- */

static void discard_run(uv_work_t *w) {
    fr_log_discard_t *d = w->data;
    fr_partlog_delete_from(d->log, d->dir);
}

static void discard_done(uv_work_t *w, int status) {
    fr_log_discard_t *d = w->data;
    fr_server_t *srv = d->srv;
    (void)status;
    free(d->dir);
    free(d);
    fr_lane_job_end(&srv->discard_lane);
}

static int discard_start(fr_lane_t *lane, fr_lane_job_t *job) {
    fr_log_discard_t *d = FR_LANE_JOB_OWNER(job, fr_log_discard_t);
    (void)lane;
    d->work.data = d;
    if (uv_queue_work(d->srv->loop, &d->work, discard_run, discard_done) == 0)
        return 1;
    fr_partlog_delete_from(d->log, d->dir); /* here, rather than never */
    free(d->dir);
    free(d);
    return 0;
}

/* Removals start again once no sync is asked for. */
static void discards_resume(fr_server_t *srv) {
    srv->discard_lane.held = srv->dir_sync_asked > srv->dir_sync_done;
    fr_lane_pump(&srv->discard_lane);
}

int fr_server_delete_topic(fr_server_t *srv, fr_topic_t *topic) {
    int held = srv->discard_lane.held;
    srv->discard_lane.held = 1; /* its removals wait for the sync the caller asks for next */
    int rc = fr_server_topic_remove(srv, topic);
    if (rc)
        srv->discard_lane.held = held; /* nothing was deleted */
    return rc;
}

void fr_log_discard(fr_server_t *srv, fr_partlog_t *log, char *dir) {
    fr_log_discard_t *d = malloc(sizeof(*d));
    if (!d) {
        fr_partlog_delete_from(log, dir);
        free(dir);
        return;
    }
    *d = (fr_log_discard_t){.srv = srv, .log = log, .dir = dir};
    fr_lane_push(&srv->discard_lane, &d->lane_job, discard_start);
}
