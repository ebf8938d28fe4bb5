/*
 * stream_thread.c — one stream thread: its clients, its poll loop and the
 * consumer-group rebalance callback.
 *
 * Clients.  Each thread has its own group consumer, restore consumer and
 * producer.  One producer per thread (as Kafka Streams does) rather than one
 * shared: a commit waits only for this thread's records (rd_kafka_flush on a
 * shared producer would also wait for every other thread's), a delivery
 * failure stops only the thread that produced the record, and exactly-once
 * later needs one transactional producer per thread anyway.
 *
 * Rebalances are eager (the range assignor): on revoke the thread commits
 * and closes every task; on assign it opens the new tasks, restores their
 * stores from the changelogs, and only then assigns the input partitions, so
 * no record is processed against a store that is not caught up.  Restoration
 * runs inside the callback, i.e. inside rd_kafka_consumer_poll, where
 * librdkafka does not count time against max.poll.interval.ms.
 *
 * Loop: poll a bounded batch of records (so commits and punctuation are not
 * starved; a task with several input partitions queues them and takes them
 * in timestamp order once the batch is in), serve delivery reports, fire
 * wall-clock punctuators, commit every commit.interval.ms.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "rt_internal.h"

#define RT_MAX_BATCH 1000

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    /* syslog levels: 0-3 errors, 4 warning, 5-6 info, 7 debug */
    fr_log_level_t l = level <= 3 ? FR_LOG_ERROR : level == 4 ? FR_LOG_WARN : level <= 6 ? FR_LOG_INFO : FR_LOG_DEBUG;
    FR_LOG_(l, "rdkafka", "[%s] %s: %s", rd_kafka_name(rk), fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    rt_thread_t *th = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof(buf));
        rt_thread_fail(th, FR_ERR_UNKNOWN_SERVER_ERROR, "client %s: fatal error %s: %s", rd_kafka_name(rk),
                       rd_kafka_err2name(orig), buf);
        return;
    }
    /* Transport errors and the like: librdkafka retries by itself. */
    fr_warn(RT_LOG, "stream-thread [%s] client %s: %s: %s", th->name, rd_kafka_name(rk),
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    rt_thread_t *th = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rt_thread_set_state(th, RT_THREAD_REBALANCING);
        fr_info(RT_LOG, "stream-thread [%s] assigned %d partitions", th->name, parts->cnt);
        int rc = th->fatal ? th->fatal : rt_tasks_create(th, parts);
        if (!rc && !rt_app_stopping(th->app))
            rc = rt_restore_tasks(th);
        if (rc || rt_app_stopping(th->app)) {
            /* Not processing: leave the partitions unconsumed; the loop ends. */
            if (rc && rc != FR_ERR_CLOSED && !th->fatal)
                rt_thread_fail(th, rc, "creating tasks for the assignment failed: %s", fr_err_str(rc));
            rd_kafka_assign(rk, NULL);
            return;
        }
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
        if (e) {
            rt_thread_fail(th, FR_ERR_UNKNOWN_SERVER_ERROR, "assign failed: %s", rd_kafka_err2str(e));
            return;
        }
        for (size_t i = 0; i < th->ntasks; i++)
            rt_iq_register(th->app, th->tasks[i]);
        th->last_commit_ms = rt_now_ms();
        rt_thread_set_state(th, rt_app_stopping(th->app) ? RT_THREAD_PENDING_SHUTDOWN : RT_THREAD_RUNNING);
    } else {
        /* Revoked (or lost): commit what we have, close the tasks. */
        int lost = rd_kafka_assignment_lost(rk);
        fr_info(RT_LOG, "stream-thread [%s] %s %d partitions", th->name, lost ? "lost" : "revoked", parts->cnt);
        if (!rt_app_stopping(th->app))
            rt_thread_set_state(th, RT_THREAD_REBALANCING);
        if (!th->fatal)
            rt_commit_all(th, 1);
        rt_tasks_close_all(th);
        rd_kafka_assign(rk, NULL);
    }
}

static rd_kafka_t *make_client(rt_thread_t *th, rd_kafka_type_t type, rt_role_t role, const char *suffix, char *err,
                               size_t errlen) {
    char client_id[160], errstr[512];
    snprintf(client_id, sizeof(client_id), "%s-%s", th->name, suffix);
    rd_kafka_conf_t *conf = rt_config_client(&th->app->cfg, role, client_id, err, errlen);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_opaque(conf, th);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    if (role == RT_ROLE_CONSUMER)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    if (role == RT_ROLE_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, rt_delivery_cb);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fr_errorf(err, errlen, "%s: %s", client_id, errstr);
    }
    return rk;
}

int rt_thread_init(rt_thread_t *th, fr_streams_t *app, int index, char *err, size_t errlen) {
    memset(th, 0, sizeof(*th));
    th->app = app;
    th->index = index;
    th->state = RT_THREAD_CREATED;
    snprintf(th->name, sizeof(th->name), "%s-StreamThread-%d", app->cfg.application_id, index + 1);
    size_t nsubs = app->topics.nsubs;
    th->by_sub = calloc(nsubs, sizeof(*th->by_sub));
    if (!th->by_sub)
        return FR_ERR_NOMEM;
    for (size_t s = 0; s < nsubs; s++) {
        th->by_sub[s] = calloc((size_t)app->topics.sub_partitions[s], sizeof(rt_task_t *));
        if (!th->by_sub[s])
            return FR_ERR_NOMEM;
    }
    th->producer = make_client(th, RD_KAFKA_PRODUCER, RT_ROLE_PRODUCER, "producer", err, errlen);
    if (!th->producer)
        return FR_ERR_CONFIG;
    th->restore_consumer = make_client(th, RD_KAFKA_CONSUMER, RT_ROLE_RESTORE, "restore-consumer", err, errlen);
    if (!th->restore_consumer)
        return FR_ERR_CONFIG;
    th->consumer = make_client(th, RD_KAFKA_CONSUMER, RT_ROLE_CONSUMER, "consumer", err, errlen);
    if (!th->consumer)
        return FR_ERR_CONFIG;
    rd_kafka_poll_set_consumer(th->consumer);
    th->admin_q = rd_kafka_queue_new(th->producer);
    return 0;
}

static int subscribe(rt_thread_t *th) {
    const rt_topics_t *t = &th->app->topics;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)t->nsrc);
    for (size_t i = 0; i < t->nsrc; i++)
        rd_kafka_topic_partition_list_add(l, t->src_topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(th->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        rt_thread_fail(th, FR_ERR_UNKNOWN_SERVER_ERROR, "subscribe failed: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int rt_thread_process(rt_thread_t *th, rt_task_t *t, size_t src, const rd_kafka_message_t *m) {
    rt_global_refresh(th); /* a record boundary: newer global state may be read from here */
    int rc = rt_task_process_msg(th, t, src, m);
    if (rc)
        rt_thread_fail(th, rc, "task %zu_%d failed processing %s [%d] offset %lld: %s", t->sub, t->partition,
                       rd_kafka_topic_name(m->rkt), m->partition, (long long)m->offset, fr_err_str(rc));
    return rc;
}

/* 1 when m was handed to a task's input queue (which then owns it). */
static int handle_message(rt_thread_t *th, rd_kafka_message_t *m) {
    if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            rt_thread_fail(th, FR_ERR_UNKNOWN_SERVER_ERROR, "consumer fatal error: %s", rd_kafka_message_errstr(m));
            return 0;
        }
        fr_warn(RT_LOG, "stream-thread [%s] consumer: %s", th->name, rd_kafka_message_errstr(m));
        return 0;
    }
    const char *topic = rd_kafka_topic_name(m->rkt);
    rt_task_t *t = rt_task_for(th, topic, m->partition);
    if (!t) {
        if (m->err) /* the end of a partition given up in a rebalance */
            return 0;
        /* Cannot happen with eager assignment; never silently commit past it. */
        rt_thread_fail(th, FR_ERR_UNKNOWN_TOPIC_OR_PARTITION, "record from %s [%d] which no task owns", topic,
                       m->partition);
        return 0;
    }
    long src = rt_task_source(t, topic);
    if (src < 0) { /* rt_task_for found t by this topic: cannot happen */
        rt_thread_fail(th, FR_ERR_UNKNOWN_TOPIC_OR_PARTITION, "%s is not a source of task %zu_%d", topic, t->sub,
                       t->partition);
        return 0;
    }
    /* End of partition: what came before it is all there is, for now. */
    t->caught_up[src] = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (m->err)
        return 0;
    th->nudge.flowed = 1;
    if (t->inq) {
        rt_inq_add(th, t, (size_t)src, m);
        return 1;
    }
    rt_thread_process(th, t, (size_t)src, m);
    return 0;
}

static void process_buffered(rt_thread_t *th) {
    int64_t now = rt_now_ms();
    for (size_t i = 0; i < th->ntasks && !th->fatal; i++) {
        if (th->tasks[i]->inq)
            rt_inq_process(th, th->tasks[i], now);
    }
}

static void punctuate(rt_thread_t *th, int64_t now) {
    for (size_t i = 0; i < th->ntasks && !th->fatal; i++) {
        rt_task_t *t = th->tasks[i];
        int rc = fr_task_punctuate_wall(t->task, now);
        if (rc)
            rt_thread_fail(th, rc, "task %zu_%d wall-clock punctuation failed: %s", t->sub, t->partition,
                           fr_err_str(rc));
    }
}

/* Wall-clock time for punctuators (the monotonic clock drives the loop's timers). */
static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void *rt_thread_main(void *arg) {
    rt_thread_t *th = arg;
    fr_streams_t *app = th->app;
    const int poll_ms = (int)app->cfg.poll_ms;
    fr_info(RT_LOG, "stream-thread [%s] starting", th->name);
    rt_thread_set_state(th, RT_THREAD_STARTING);
    th->last_commit_ms = th->last_punctuate_ms = rt_now_ms();
    if (subscribe(th) == 0) {
        while (!rt_app_stopping(app) && !th->fatal) {
            for (int n = 0; n < RT_MAX_BATCH && !th->fatal; n++) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(th->consumer, 0);
                if (!m && n == 0) { /* nothing queued: the fetcher may have stopped for a full queue */
                    rt_thread_nudge_fetch(th);
                    m = rd_kafka_consumer_poll(th->consumer, poll_ms);
                }
                if (!m)
                    break;
                if (!handle_message(th, m))
                    rd_kafka_message_destroy(m);
            }
            process_buffered(th);
            rd_kafka_poll(th->producer, 0); /* delivery reports */
            rt_purge_poll(th);
            rt_global_refresh(th); /* an idle thread does not pin old global pages */
            int64_t now = rt_now_ms();
            if (!th->fatal && now - th->last_punctuate_ms >= 10) {
                punctuate(th, wall_ms());
                th->last_punctuate_ms = now;
            }
            if (!th->fatal && now - th->last_commit_ms >= app->cfg.commit_interval_ms)
                rt_commit_all(th, 0);
        }
    }
    rt_thread_set_state(th, RT_THREAD_PENDING_SHUTDOWN);
    fr_info(RT_LOG, "stream-thread [%s] shutting down%s", th->name, th->fatal ? " after a fatal error" : "");
    /* The revoke callback inside consumer_close commits (unless fatal) and
     * closes the tasks; then the group sees us leave. */
    rd_kafka_consumer_close(th->consumer);
    rt_tasks_close_all(th);
    rt_global_release(th);
    rd_kafka_destroy(th->consumer);
    th->consumer = NULL;
    rd_kafka_destroy(th->restore_consumer);
    th->restore_consumer = NULL;
    rd_kafka_flush(th->producer, th->fatal ? 0 : 10000);
    rt_purge_poll(th);
    rd_kafka_queue_destroy(th->admin_q);
    th->admin_q = NULL;
    rd_kafka_destroy(th->producer);
    th->producer = NULL;
    fr_info(RT_LOG, "stream-thread [%s] stopped", th->name);
    rt_thread_exited(th);
    return NULL;
}

void rt_thread_free(rt_thread_t *th) {
    if (!th->app)
        return;
    rt_tasks_close_all(th);
    rt_global_release(th);
    if (th->consumer) {
        rd_kafka_consumer_close(th->consumer);
        rd_kafka_destroy(th->consumer);
    }
    if (th->restore_consumer)
        rd_kafka_destroy(th->restore_consumer);
    if (th->admin_q)
        rd_kafka_queue_destroy(th->admin_q);
    if (th->producer)
        rd_kafka_destroy(th->producer);
    if (th->by_sub) {
        for (size_t s = 0; s < th->app->topics.nsubs; s++)
            free(th->by_sub[s]);
        free(th->by_sub);
    }
    free(th->tasks);
    memset(th, 0, sizeof(*th));
}
