/*
 * global_thread.c — GlobalKTables: Kafka Streams' GlobalStreamThread.
 *
 * One global thread per application instance owns every global task (one
 * per global table's node group, fr_task_open_global) and their LMDB
 * environments under <state.dir>/<application.id>/global.  It reads every
 * partition of each global topic with its own consumer (assign, never a
 * group member, never an offset commit): the topic is the table's changelog,
 * and the offsets reached are stored with the data in the store's commit, so
 * the Kafka-format checkpoint is <state.dir>/<application.id>/global/.checkpoint.
 *
 * Start-up (bootstrapping).  fr_streams_start blocks until the global thread
 * has read each partition from its checkpointed offset (0 for a new or wiped
 * store) to the high watermark taken at start and committed the stores, as
 * Kafka's GlobalStreamThread.start() does: the stream threads start only
 * then, so the first stream record already sees every global record written
 * before the instance started.  A checkpoint beyond a partition's end means
 * the topic was deleted and recreated: the global state is wiped and read
 * again from the beginning.
 *
 * Running.  The thread keeps consuming and commits its stores after every
 * poll batch that changed them; each commit bumps a generation counter.
 * Stream threads never touch the global environments' write transactions
 * (LMDB ties them to this thread): a stream task reads through
 * fr_task_set_global_reader from a read snapshot of the last global commit,
 * kept per stream thread and replaced between records once the generation
 * moved.  So a global update is visible to stream records processed after
 * the global batch holding it commits — at most one global poll batch
 * (poll.ms plus up to RT_GLOBAL_BATCH records) behind the topic, and not
 * synchronized with stream time, as in Kafka.  Stream threads drop stale
 * snapshots once per loop too, so an idle thread does not pin old pages.
 *
 * Shutdown.  fr_streams_close stops the stream threads first (they close
 * their snapshots), then this thread, which commits and closes its stores.
 * A fatal error here (a processing error, a stalled bootstrap) fails the
 * application like a stream thread's; the environments stay open until
 * close, because stream threads may still hold snapshots of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "rt_internal.h"

#define RT_GLOBAL_BATCH 1000
#define RT_GLOBAL_STALL_MS 120000

typedef struct rt_gpart {
    const char *topic;  /* borrowed from the topology */
    int32_t partition;
    size_t task;        /* index of the global task reading it */
    int64_t next;       /* next offset to read (what the checkpoint records) */
    int64_t end;        /* high watermark when bootstrapping started */
    int caught_up;      /* read up to end: bootstrapped */
    int at_end;         /* its end-of-partition event came after its last record */
} rt_gpart_t;

struct rt_global {
    fr_streams_t *app;
    char name[160];
    pthread_t tid;
    int started;
    rd_kafka_t *consumer;
    fr_task_t **tasks;        /* owned by the global thread (opened and closed there) */
    size_t ntasks;
    rt_gpart_t *parts;
    size_t nparts;
    int phase;                /* under app->lock: 0 bootstrapping, 1 running, -1 failed to bootstrap */
    int stop;                 /* atomic: set by rt_global_stop once no stream thread runs */
    int failed;
    uint64_t generation;      /* atomic: bumped after every commit */
    int64_t restored;         /* records read while bootstrapping */
    int64_t dirty;            /* records processed since the last commit */
    rt_nudge_t nudge;         /* fetch_nudge.c */
};

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    fr_log_level_t l = level <= 3 ? FR_LOG_ERROR : level == 4 ? FR_LOG_WARN : level <= 6 ? FR_LOG_INFO : FR_LOG_DEBUG;
    FR_LOG_(l, "rdkafka", "[%s] %s: %s", rd_kafka_name(rk), fac, buf);
}

/* Records the first fatal error as the application's and stops everything. */
static void global_fail(rt_global_t *g, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void global_fail(rt_global_t *g, int err, const char *fmt, ...) {
    fr_streams_t *app = g->app;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fr_error(RT_LOG, "global-stream-thread [%s] fatal: %s; shutting the client down", g->name, msg);
    pthread_mutex_lock(&app->lock);
    g->failed = 1;
    if (!app->error) {
        app->error = err ? err : FR_ERR_UNKNOWN_SERVER_ERROR;
        snprintf(app->error_msg, sizeof(app->error_msg), "global-stream-thread [%s]: %s", g->name, msg);
    }
    if (g->phase == 0)
        g->phase = -1;
    __atomic_store_n(&app->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&app->cond);
    pthread_mutex_unlock(&app->lock);
}

static int global_stopping(const rt_global_t *g) { return __atomic_load_n(&g->stop, __ATOMIC_ACQUIRE); }

/* Global tables only read: nothing may be sent. */
static int global_send(void *ctx, const char *topic, int32_t partition, fr_slice_t key, fr_slice_t value,
                       int64_t timestamp, const fr_header_t *headers, size_t nheaders) {
    (void)partition, (void)key, (void)value, (void)timestamp, (void)headers, (void)nheaders;
    fr_error(RT_LOG, "global-stream-thread [%s]: a global task tried to write to %s", ((rt_global_t *)ctx)->name,
             topic);
    return FR_ERR_INVALID_ARG;
}

static int open_tasks(rt_global_t *g) {
    fr_task_opts_t opts = {.state_dir = g->app->app_state_dir, .cache_max_bytes = 0, .wall_clock_ms = rt_now_ms(),
                           .store_map_bytes = (size_t)g->app->cfg.store_map_bytes};
    fr_task_io_t io = {.ctx = g, .send = global_send};
    for (size_t i = 0; i < g->ntasks; i++) {
        int rc = fr_task_open_global(g->app->topo, i, &opts, &io, &g->tasks[i]);
        if (rc) {
            global_fail(g, rc, "cannot open global task %zu in %s: %s", i, g->app->app_state_dir, fr_err_str(rc));
            return rc;
        }
    }
    return 0;
}

static void close_tasks(rt_global_t *g) {
    for (size_t i = 0; i < g->ntasks; i++) {
        fr_task_close(g->tasks[i]);
        g->tasks[i] = NULL;
    }
}

/* Checkpointed offsets and high watermarks; wipes the global state once if a
 * checkpoint is past a partition's end (the topic was recreated). */
static int read_positions(rt_global_t *g) {
    for (int attempt = 0; attempt < 2; attempt++) {
        int wipe = 0;
        for (size_t i = 0; i < g->nparts && !wipe; i++) {
            rt_gpart_t *p = &g->parts[i];
            int64_t lo = 0, hi = 0, off = 0;
            rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(g->consumer, p->topic, p->partition, &lo, &hi,
                                                                     10000);
            if (e) {
                global_fail(g, FR_ERR_UNKNOWN_TOPIC_OR_PARTITION, "watermarks of %s [%d]: %s", p->topic, p->partition,
                            rd_kafka_err2str(e));
                return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
            p->next = fr_store_env_checkpoint(fr_task_store_env(g->tasks[p->task]), p->topic, p->partition, &off) == 0
                          ? off
                          : 0;
            p->end = hi;
            p->caught_up = p->next >= hi;
            wipe = p->next > hi;
        }
        if (!wipe)
            return 0;
        if (attempt == 1) {
            global_fail(g, FR_ERR_CORRUPT, "global state is still ahead of its topics after a wipe");
            return FR_ERR_CORRUPT;
        }
        fr_warn(RT_LOG, "global-stream-thread [%s] a checkpoint is past the end of its topic; wiping the global "
                        "state and reading the topics from the beginning", g->name);
        close_tasks(g);
        for (size_t i = 0; i < g->ntasks; i++) {
            char dir[4096];
            if (i == 0)
                snprintf(dir, sizeof(dir), "%s/global", g->app->app_state_dir);
            else
                snprintf(dir, sizeof(dir), "%s/global-%zu", g->app->app_state_dir, i);
            int rc = fr_store_env_destroy_dir(dir);
            if (rc) {
                global_fail(g, rc, "cannot wipe %s: %s", dir, fr_err_str(rc));
                return rc;
            }
        }
        int rc = open_tasks(g);
        if (rc)
            return rc;
    }
    return 0;
}

/* Flushes and commits every global task with the offsets reached, then
 * publishes the commit to the stream threads' readers. */
static int commit(rt_global_t *g) {
    fr_store_offset_t *offs = malloc((g->nparts ? g->nparts : 1) * sizeof(*offs));
    if (!offs)
        return FR_ERR_NOMEM;
    int rc = 0;
    for (size_t t = 0; t < g->ntasks && !rc; t++) {
        size_t n = 0;
        for (size_t i = 0; i < g->nparts; i++) {
            if (g->parts[i].task == t)
                offs[n++] = (fr_store_offset_t){g->parts[i].topic, g->parts[i].partition, g->parts[i].next};
        }
        if ((rc = fr_task_flush(g->tasks[t])) == 0)
            rc = fr_task_commit(g->tasks[t], offs, n);
    }
    free(offs);
    if (rc)
        global_fail(g, rc, "committing the global stores failed: %s", fr_err_str(rc));
    else {
        g->dirty = 0;
        __atomic_add_fetch(&g->generation, 1, __ATOMIC_RELEASE);
    }
    return rc;
}

static rt_gpart_t *find_part(rt_global_t *g, const char *topic, int32_t partition) {
    for (size_t i = 0; i < g->nparts; i++) {
        if (g->parts[i].partition == partition && strcmp(g->parts[i].topic, topic) == 0)
            return &g->parts[i];
    }
    return NULL;
}

/* One consumer event: a record into its global task, or an end-of-partition. */
static int handle(rt_global_t *g, rd_kafka_message_t *m) {
    rt_gpart_t *p = m->rkt ? find_part(g, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (p && m->offset >= p->end)
            p->caught_up = 1;
        if (p)
            p->at_end = 1;
        return 0;
    }
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            global_fail(g, FR_ERR_UNKNOWN_SERVER_ERROR, "consumer: %s", rd_kafka_message_errstr(m));
            return FR_ERR_UNKNOWN_SERVER_ERROR;
        }
        fr_warn(RT_LOG, "global-stream-thread [%s] consumer: %s", g->name, rd_kafka_message_errstr(m));
        return 0;
    }
    if (!p)
        return 0;
    p->at_end = 0;
    g->nudge.flowed = 1;
    fr_record_in_t rec = {
        .topic = p->topic,
        .partition = p->partition,
        .offset = m->offset,
        .timestamp = rd_kafka_message_timestamp(m, NULL),
        .key = m->key ? (fr_slice_t){m->key, (int32_t)m->key_len} : FR_SLICE_NULL,
        .value = m->payload ? (fr_slice_t){m->payload, (int32_t)m->len} : FR_SLICE_NULL,
    };
    int rc = fr_task_process(g->tasks[p->task], &rec);
    if (rc) {
        global_fail(g, rc, "failed processing %s [%d] offset %lld: %s", p->topic, p->partition, (long long)m->offset,
                    fr_err_str(rc));
        return rc;
    }
    p->next = m->offset + 1;
    if (p->next >= p->end)
        p->caught_up = 1;
    g->dirty++;
    return 0;
}

/* A poll found nothing: nudges the fetcher of one partition that has not
 * reported its end since its last record (fetch_nudge.c). */
static void nudge_fetch(rt_global_t *g) {
    if (!g->nudge.flowed) /* nothing came since the last nudge: no need to count */
        return;
    size_t candidates = 0;
    for (size_t i = 0; i < g->nparts; i++)
        candidates += !g->parts[i].at_end;
    size_t pick = rt_nudge_pick(&g->nudge, candidates);
    for (size_t i = 0; i < g->nparts && pick != SIZE_MAX; i++) {
        if (!g->parts[i].at_end && pick-- == 0) {
            rt_fetch_nudge(g->consumer, g->parts[i].topic, g->parts[i].partition, 100);
            return;
        }
    }
}

/* Reads every partition up to its watermark at start, then commits. */
static int bootstrap(rt_global_t *g) {
    int rc = read_positions(g);
    if (rc)
        return rc;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)g->nparts);
    size_t behind = 0;
    for (size_t i = 0; i < g->nparts; i++) {
        rt_gpart_t *p = &g->parts[i];
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->next;
        behind += !p->caught_up;
        fr_info(RT_LOG, "global-stream-thread [%s] restoring %s [%d] from offset %lld to %lld", g->name, p->topic,
                p->partition, (long long)p->next, (long long)p->end);
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(g->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        global_fail(g, FR_ERR_UNKNOWN_SERVER_ERROR, "assign: %s", rd_kafka_err2str(e));
        return FR_ERR_UNKNOWN_SERVER_ERROR;
    }
    int64_t last_progress = rt_now_ms();
    while (behind) {
        if (global_stopping(g) || rt_app_stopping(g->app))
            return FR_ERR_CLOSED;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(g->consumer, 0);
        if (!m) {
            nudge_fetch(g);
            m = rd_kafka_consumer_poll(g->consumer, 100);
        }
        if (!m) {
            if (rt_now_ms() - last_progress > RT_GLOBAL_STALL_MS) {
                global_fail(g, FR_ERR_REQUEST_TIMED_OUT, "bootstrapping made no progress for %d s",
                            RT_GLOBAL_STALL_MS / 1000);
                return FR_ERR_REQUEST_TIMED_OUT;
            }
            continue;
        }
        last_progress = rt_now_ms();
        if (!m->err)
            g->restored++;
        rc = handle(g, m);
        rd_kafka_message_destroy(m);
        if (rc)
            return rc;
        behind = 0;
        for (size_t i = 0; i < g->nparts; i++)
            behind += !g->parts[i].caught_up;
    }
    if ((rc = commit(g)) != 0)
        return rc;
    fr_info(RT_LOG, "global-stream-thread [%s] bootstrapped: restored %lld records from %zu partitions", g->name,
            (long long)g->restored, g->nparts);
    return 0;
}

static void *global_main(void *arg) {
    rt_global_t *g = arg;
    fr_streams_t *app = g->app;
    int rc = open_tasks(g);
    if (!rc)
        rc = bootstrap(g);
    pthread_mutex_lock(&app->lock);
    if (g->phase == 0)
        g->phase = rc ? -1 : 1;
    pthread_cond_broadcast(&app->cond);
    pthread_mutex_unlock(&app->lock);
    while (!rc && !global_stopping(g)) {
        for (int n = 0; n < RT_GLOBAL_BATCH && !rc; n++) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(g->consumer, 0);
            if (!m && n == 0) {
                nudge_fetch(g);
                m = rd_kafka_consumer_poll(g->consumer, (int)app->cfg.poll_ms);
            }
            if (!m)
                break;
            rc = handle(g, m);
            rd_kafka_message_destroy(m);
        }
        if (!rc && g->dirty)
            rc = commit(g);
    }
    if (!g->failed && g->dirty)
        commit(g);
    /* Stream threads may hold snapshots until they exit: wait for close. */
    while (!global_stopping(g)) {
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_assign(g->consumer, NULL);
    close_tasks(g);
    fr_info(RT_LOG, "global-stream-thread [%s] stopped", g->name);
    return NULL;
}

/* Every partition of every global topic, from metadata. */
static int collect_parts(rt_global_t *g, char *err, size_t errlen) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(g->consumer, 1, NULL, &md, 30000);
    if (e) {
        fr_errorf(err, errlen, "metadata request for the global topics failed: %s", rd_kafka_err2str(e));
        return FR_ERR_BROKER_NOT_AVAILABLE;
    }
    int rc = 0;
    for (size_t t = 0; t < g->ntasks && !rc; t++) {
        size_t n;
        const char *const *topics = fr_topology_global_source_topics(g->app->topo, t, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            int found = -1;
            for (int j = 0; j < md->topic_cnt && found < 0; j++) {
                if (strcmp(md->topics[j].topic, topics[i]) == 0 && md->topics[j].err == 0 &&
                    md->topics[j].partition_cnt > 0)
                    found = j;
            }
            if (found < 0) {
                fr_errorf(err, errlen, "global table topic %s is missing: create it before starting the application",
                          topics[i]);
                rc = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                break;
            }
            int cnt = md->topics[found].partition_cnt;
            rt_gpart_t *gp = realloc(g->parts, (g->nparts + (size_t)cnt) * sizeof(*gp));
            if (!gp) {
                rc = FR_ERR_NOMEM;
                break;
            }
            g->parts = gp;
            for (int p = 0; p < cnt; p++)
                g->parts[g->nparts++] = (rt_gpart_t){.topic = topics[i], .partition = p, .task = t};
        }
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

int rt_global_start(fr_streams_t *app, char *err, size_t errlen) {
    size_t n = fr_topology_global_count(app->topo);
    if (!n)
        return 0;
    rt_global_t *g = calloc(1, sizeof(*g));
    if (!g || !(g->tasks = calloc(n, sizeof(*g->tasks)))) {
        free(g);
        return FR_ERR_NOMEM;
    }
    app->global = g;
    g->app = app;
    g->ntasks = n;
    snprintf(g->name, sizeof(g->name), "%s-GlobalStreamThread", app->cfg.application_id);
    char client_id[200], errstr[512];
    snprintf(client_id, sizeof(client_id), "%s-global-consumer", g->name);
    rd_kafka_conf_t *conf = rt_config_client(&app->cfg, RT_ROLE_RESTORE, client_id, err, errlen);
    if (!conf)
        return FR_ERR_CONFIG;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (!(g->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)))) {
        rd_kafka_conf_destroy(conf);
        fr_errorf(err, errlen, "%s: %s", client_id, errstr);
        return FR_ERR_CONFIG;
    }
    rd_kafka_poll_set_consumer(g->consumer); /* consumer_poll also serves client events */
    int rc = collect_parts(g, err, errlen);
    if (rc)
        return rc;
    if ((rc = pthread_create(&g->tid, NULL, global_main, g)) != 0) {
        fr_errorf(err, errlen, "cannot start the global stream thread: %s", strerror(rc));
        return FR_ERR_NOMEM;
    }
    g->started = 1;
    /* Kafka's GlobalStreamThread.start(): block until the global state is caught up. */
    pthread_mutex_lock(&app->lock);
    while (g->phase == 0)
        pthread_cond_wait(&app->cond, &app->lock);
    rc = g->phase < 0 ? (app->error ? app->error : FR_ERR_CLOSED) : 0;
    if (rc)
        fr_errorf(err, errlen, "%s", app->error_msg[0] ? app->error_msg : "global state bootstrapping was stopped");
    pthread_mutex_unlock(&app->lock);
    return rc;
}

void rt_global_stop(fr_streams_t *app) {
    rt_global_t *g = app->global;
    if (!g)
        return;
    __atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
    if (g->started)
        pthread_join(g->tid, NULL);
    else
        close_tasks(g);
    if (g->consumer)
        rd_kafka_destroy(g->consumer);
    free(g->tasks);
    free(g->parts);
    free(g);
    app->global = NULL;
}

/* ---- the stream threads' side: readers over snapshots ---- */

/* The global task holding a store, or -1.  Task handles and store names do
 * not change once bootstrapping is over (the only wipe happens before). */
static long store_task(const rt_global_t *g, const char *store) {
    for (size_t i = 0; i < g->ntasks; i++) {
        if (g->tasks[i] && fr_task_has_store(g->tasks[i], store))
            return (long)i;
    }
    return -1;
}

static int global_get(void *ctx, const char *store, fr_slice_t key, fr_slice_t *value) {
    rt_thread_t *th = ctx;
    rt_global_t *g = th->app->global;
    long t = store ? store_task(g, store) : -1;
    if (t < 0)
        return FR_ERR_INVALID_ARG;
    if (!th->gsnap && !(th->gsnap = calloc(g->ntasks, sizeof(*th->gsnap))))
        return FR_ERR_NOMEM;
    if (!th->gsnap[t]) {
        /* Opened at the first lookup of a record, kept until the next record
         * after a newer global commit (the value stays valid that long). */
        int rc = fr_store_snapshot_open(fr_task_store_env(g->tasks[t]), &th->gsnap[t]);
        if (rc)
            return rc;
    }
    return fr_store_snapshot_kv_get(th->gsnap[t], store, key, value);
}

void rt_global_attach(rt_thread_t *th, fr_task_t *task) {
    if (th->app->global && task)
        fr_task_set_global_reader(task, global_get, th);
}

void rt_global_release(rt_thread_t *th) {
    rt_global_t *g = th->app->global;
    for (size_t i = 0; g && th->gsnap && i < g->ntasks; i++) {
        fr_store_snapshot_close(th->gsnap[i]);
        th->gsnap[i] = NULL;
    }
    free(th->gsnap);
    th->gsnap = NULL;
}

void rt_global_refresh(rt_thread_t *th) {
    rt_global_t *g = th->app->global;
    if (!g || !th->gsnap)
        return;
    uint64_t gen = __atomic_load_n(&g->generation, __ATOMIC_ACQUIRE);
    if (gen == th->gsnap_gen)
        return;
    for (size_t i = 0; i < g->ntasks; i++) {
        fr_store_snapshot_close(th->gsnap[i]);
        th->gsnap[i] = NULL;
    }
    th->gsnap_gen = gen;
}

int rt_global_snapshot(fr_streams_t *app, const char *store, fr_store_snapshot_t **out) {
    rt_global_t *g = app->global;
    if (!g)
        return FR_ERR_NOT_FOUND;
    /* While bootstrapping, the global thread may still wipe and reopen its tasks. */
    pthread_mutex_lock(&app->lock);
    int phase = g->phase;
    pthread_mutex_unlock(&app->lock);
    long t = phase == 1 && store ? store_task(g, store) : -1;
    if (t < 0)
        return FR_ERR_NOT_FOUND;
    return fr_store_snapshot_open(fr_task_store_env(g->tasks[t]), out);
}
