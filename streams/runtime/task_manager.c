/*
 * task_manager.c — the tasks of one stream thread: made from a partition
 * assignment, fed the consumer's records, and wired to the thread's producer.
 *
 * Task (sub, p) exists on the thread that owns partition p of the
 * sub-topology's source topics; the range assignor puts all of them on one
 * thread (see streams_app.h).  Records route by (topic → sub, partition).
 * Every record a task sends goes to the thread's producer; records for the
 * task's own changelog partitions carry a pointer to the task's
 * "highest acknowledged offset" slot, which the delivery report updates, so
 * the store commit can record exactly what the changelog holds.  A task is
 * closed only after its records' delivery reports were served (a commit
 * flushes first; a failed thread purges the producer first).
 */
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_logging.h"
#include "rt_internal.h"

static int32_t rt_partition_count(void *ctx, const char *topic);

static int rt_task_send(void *ctx, const char *topic, int32_t partition, fr_slice_t key, fr_slice_t value,
                        int64_t timestamp, const fr_header_t *headers, size_t nheaders) {
    rt_task_t *t = ctx;
    rt_thread_t *th = t->thread;
    int64_t *slot = NULL;
    for (size_t i = 0; i < t->ncl; i++) {
        if ((t->cl[i].topic == topic || strcmp(t->cl[i].topic, topic) == 0) &&
            (partition == t->cl[i].partition || partition < 0)) {
            slot = &t->cl_acked[i];
            partition = t->cl[i].partition; /* a task's changelog partition is its own */
            break;
        }
    }
    rd_kafka_headers_t *hdrs = NULL;
    if (nheaders) {
        hdrs = rd_kafka_headers_new(nheaders);
        for (size_t i = 0; i < nheaders; i++) {
            const fr_slice_t *v = &headers[i].value;
            rd_kafka_header_add(hdrs, headers[i].key, -1, fr_slice_is_null(*v) ? NULL : v->ptr,
                                fr_slice_is_null(*v) ? 0 : (size_t)v->len);
        }
    }
    void *kp = fr_slice_is_null(key) ? NULL : (void *)key.ptr;
    size_t kl = fr_slice_is_null(key) ? 0 : (size_t)key.len;
    void *vp = fr_slice_is_null(value) ? NULL : (void *)value.ptr;
    size_t vl = fr_slice_is_null(value) ? 0 : (size_t)value.len;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            th->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(kp, kl), RD_KAFKA_V_VALUE(vp, vl),
            RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0), RD_KAFKA_V_OPAQUE(slot),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (!e)
            return 0; /* librdkafka owns hdrs now */
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && !th->fatal) {
            rd_kafka_poll(th->producer, 100); /* back-pressure: wait for deliveries */
            continue;
        }
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        fr_error(RT_LOG, "stream-thread [%s] produce to %s [%d] failed: %s", th->name, topic, partition,
                 rd_kafka_err2str(e));
        return th->fatal ? th->fatal : FR_ERR_UNKNOWN_SERVER_ERROR;
    }
}

void rt_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    rt_thread_t *th = opaque;
    if (m->err) {
        if (!th->fatal)
            rt_thread_fail(th, FR_ERR_UNKNOWN_SERVER_ERROR, "delivery to %s [%d] failed: %s",
                           rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
        return;
    }
    int64_t *slot = m->_private;
    if (slot && m->offset > *slot)
        *slot = m->offset;
}

static int32_t rt_partition_count(void *ctx, const char *topic) {
    rt_task_t *t = ctx;
    rt_thread_t *th = t->thread;
    long sub = rt_topics_sub_of(&th->app->topics, topic);
    if (sub >= 0)
        return th->app->topics.sub_partitions[sub];
    for (size_t i = 0; i < th->npcount; i++) {
        if (strcmp(th->pcount[i].topic, topic) == 0)
            return th->pcount[i].partitions;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(th->producer, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    if (rkt && rd_kafka_metadata(th->producer, 0, rkt, &md, 5000) == 0) {
        if (md->topic_cnt == 1 && md->topics[0].err == 0)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (n > 0) {
        struct rt_pcount *g = realloc(th->pcount, (th->npcount + 1) * sizeof(*g));
        char *name = strdup(topic);
        if (g && name) {
            th->pcount = g;
            g[th->npcount].topic = name;
            g[th->npcount].partitions = n;
            th->npcount++;
        } else {
            free(name);
            if (g)
                th->pcount = g;
        }
    }
    return n;
}

void rt_task_io(rt_task_t *t, fr_task_io_t *io) {
    *io = (fr_task_io_t){.ctx = t, .send = rt_task_send, .partition_count = rt_partition_count};
}

static void task_free(rt_task_t *t) {
    if (!t)
        return;
    rt_inq_close(t->thread, t);
    fr_task_close(t->task);
    free(t->next_offset);
    free(t->committed_offset);
    free(t->caught_up);
    free(t->cl_acked);
    free(t->cl_next);
    free(t);
}

static int task_open(rt_thread_t *th, size_t sub, int32_t partition, size_t cache_bytes, rt_task_t **out) {
    fr_streams_t *app = th->app;
    rt_task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return FR_ERR_NOMEM;
    t->sub = sub;
    t->partition = partition;
    t->thread = th;
    t->src = fr_topology_source_topics(app->topo, sub, &t->nsrc);
    t->next_offset = malloc((t->nsrc ? t->nsrc : 1) * sizeof(int64_t));
    t->committed_offset = malloc((t->nsrc ? t->nsrc : 1) * sizeof(int64_t));
    t->caught_up = calloc(t->nsrc ? t->nsrc : 1, 1);
    if (!t->next_offset || !t->committed_offset || !t->caught_up) {
        task_free(t);
        return FR_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->nsrc; i++)
        t->next_offset[i] = t->committed_offset[i] = -1;
    if (rt_inq_open(t) != 0) {
        task_free(t);
        return FR_ERR_NOMEM;
    }
    fr_task_opts_t opts = {.state_dir = app->app_state_dir, .cache_max_bytes = cache_bytes, .wall_clock_ms = 0,
                           .store_map_bytes = (size_t)app->cfg.store_map_bytes};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    opts.wall_clock_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    fr_task_io_t io;
    rt_task_io(t, &io);
    /* A task directory is locked while open; during a rebalance inside one
     * process the previous owner thread may still be closing it. */
    int rc;
    for (int64_t deadline = rt_now_ms() + 10000;;) {
        rc = fr_task_open(app->topo, sub, partition, &opts, &io, &t->task);
        if (rc != FR_ERR_LOCKED || rt_now_ms() > deadline || rt_app_stopping(app))
            break;
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (rc) {
        fr_error(RT_LOG, "stream-thread [%s] cannot open task %zu_%d: %s", th->name, sub, partition, fr_err_str(rc));
        task_free(t);
        return rc;
    }
    rt_global_attach(th, t->task);
    t->cl = fr_task_changelogs(t->task, &t->ncl);
    t->cl_acked = malloc((t->ncl ? t->ncl : 1) * sizeof(int64_t));
    t->cl_next = malloc((t->ncl ? t->ncl : 1) * sizeof(int64_t));
    if (!t->cl_acked || !t->cl_next) {
        task_free(t);
        return FR_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->ncl; i++) {
        t->cl_acked[i] = -1;
        t->cl_next[i] = t->cl[i].restore_from;
    }
    *out = t;
    return 0;
}

int rt_tasks_create(rt_thread_t *th, const rd_kafka_topic_partition_list_t *parts) {
    fr_streams_t *app = th->app;
    /* Count the distinct tasks first, to split this thread's cache share. */
    size_t want = 0;
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        long sub = rt_topics_sub_of(&app->topics, p->topic);
        if (sub < 0 || p->partition < 0 || p->partition >= app->topics.sub_partitions[sub]) {
            fr_warn(RT_LOG, "stream-thread [%s] assigned %s [%d], which no sub-topology reads", th->name, p->topic,
                    p->partition);
            continue;
        }
        int dup = th->by_sub[sub][p->partition] != NULL;
        for (int j = 0; j < i && !dup; j++)
            dup = parts->elems[j].partition == p->partition && rt_topics_sub_of(&app->topics, parts->elems[j].topic) == sub;
        want += !dup;
    }
    want += th->ntasks;
    if (want > th->tasks_cap) {
        rt_task_t **g = realloc(th->tasks, want * sizeof(*g));
        if (!g)
            return FR_ERR_NOMEM;
        th->tasks = g;
        th->tasks_cap = want;
    }
    size_t cache = want ? (size_t)(app->cfg.cache_max_bytes / app->nthreads) / want : 0;
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        long sub = rt_topics_sub_of(&app->topics, p->topic);
        if (sub < 0 || p->partition < 0 || p->partition >= app->topics.sub_partitions[sub] ||
            th->by_sub[sub][p->partition])
            continue;
        rt_task_t *t;
        int rc = task_open(th, (size_t)sub, p->partition, cache, &t);
        if (rc)
            return rc;
        th->by_sub[sub][p->partition] = t;
        th->tasks[th->ntasks++] = t;
        fr_info(RT_LOG, "stream-thread [%s] created task %ld_%d (%zu changelogs)", th->name, sub, p->partition,
                t->ncl);
    }
    return 0;
}

void rt_tasks_close_all(rt_thread_t *th) {
    if (!th->ntasks)
        return;
    if (th->producer && rd_kafka_outq_len(th->producer) > 0) {
        /* Only after a failure (a commit flushes): drop what is queued and
         * serve the delivery reports, which point into the tasks. */
        rd_kafka_purge(th->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(th->producer, 5000);
    }
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        rt_iq_unregister(th->app, t);
        th->by_sub[t->sub][t->partition] = NULL;
        fr_task_metrics_t m = {0};
        if (t->task) /* NULL only if a wipe's reopen failed */
            fr_task_metrics(t->task, &m);
        fr_info(RT_LOG, "stream-thread [%s] closed task %zu_%d (processed %lld, dropped %lld, late %lld)", th->name,
                t->sub, t->partition, (long long)m.processed, (long long)m.dropped, (long long)m.dropped_late);
        task_free(t);
    }
    th->ntasks = 0;
}

rt_task_t *rt_task_for(rt_thread_t *th, const char *topic, int32_t partition) {
    long sub = rt_topics_sub_of(&th->app->topics, topic);
    if (sub < 0 || partition < 0 || partition >= th->app->topics.sub_partitions[sub])
        return NULL;
    return th->by_sub[sub][partition];
}

long rt_task_source(const rt_task_t *t, const char *topic) {
    for (size_t i = 0; i < t->nsrc; i++) {
        if (strcmp(t->src[i], topic) == 0)
            return (long)i;
    }
    return -1;
}

int rt_task_process_msg(rt_thread_t *th, rt_task_t *t, size_t src, const rd_kafka_message_t *m) {
    fr_record_in_t rec = {
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->offset,
        .timestamp = rd_kafka_message_timestamp(m, NULL),
        .key = m->key ? (fr_slice_t){m->key, (int32_t)m->key_len} : FR_SLICE_NULL,
        .value = m->payload ? (fr_slice_t){m->payload, (int32_t)m->len} : FR_SLICE_NULL,
    };
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == 0 && hdrs) {
        size_t n = rd_kafka_header_cnt(hdrs);
        if (n > th->hdr_cap) {
            fr_header_t *g = realloc(th->hdr_buf, n * sizeof(*g));
            if (!g)
                return FR_ERR_NOMEM;
            th->hdr_buf = g;
            th->hdr_cap = n;
        }
        for (size_t i = 0; i < n; i++) {
            const char *name;
            const void *val;
            size_t len;
            rd_kafka_header_get_all(hdrs, i, &name, &val, &len);
            th->hdr_buf[i].key = name;
            th->hdr_buf[i].value = val ? (fr_slice_t){val, (int32_t)len} : FR_SLICE_NULL;
        }
        rec.headers = th->hdr_buf;
        rec.nheaders = n;
    }
    int rc = fr_task_process(t->task, &rec);
    if (rc)
        return rc;
    t->next_offset[src] = m->offset + 1;
    t->processed_since_commit++;
    return 0;
}

/* ---- the interactive-query registry ---- */

void rt_iq_register(fr_streams_t *app, rt_task_t *t) {
    pthread_rwlock_wrlock(&app->iq_lock);
    if (!t->registered) {
        if (!FR_ARRAY_GROW(app->iq_tasks, app->iq_cap, app->iq_ntasks + 1, 16)) {
            app->iq_tasks[app->iq_ntasks++] = t;
            t->registered = 1;
        }
    }
    pthread_rwlock_unlock(&app->iq_lock);
}

void rt_iq_unregister(fr_streams_t *app, rt_task_t *t) {
    pthread_rwlock_wrlock(&app->iq_lock);
    for (size_t i = 0; t->registered && i < app->iq_ntasks; i++) {
        if (app->iq_tasks[i] == t) {
            app->iq_tasks[i] = app->iq_tasks[--app->iq_ntasks];
            t->registered = 0;
        }
    }
    pthread_rwlock_unlock(&app->iq_lock);
}
