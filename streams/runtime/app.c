/*
 * app.c — an application instance (Kafka Streams' KafkaStreams): creation,
 * start, the state machine shared by the stream threads, and clean close.
 *
 * State: CREATED → (start) REBALANCING ⇄ RUNNING → (close) PENDING_SHUTDOWN
 * → NOT_RUNNING.  The instance is REBALANCING while any thread is between a
 * revoke and the end of its restoration, RUNNING when every thread processes.
 * A fatal error in a thread (a failed delivery, a task error) asks every
 * thread to stop — healthy threads still commit and leave the group cleanly,
 * as with Kafka's SHUTDOWN_CLIENT policy — and the instance ends in ERROR
 * with the first error's message.  Nothing here ever exits the process.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fr_fs.h"
#include "fr_logging.h"
#include "rt_internal.h"

int64_t rt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *fr_streams_state_name(fr_streams_state_t s) {
    switch (s) {
    case FR_STREAMS_CREATED: return "CREATED";
    case FR_STREAMS_REBALANCING: return "REBALANCING";
    case FR_STREAMS_RUNNING: return "RUNNING";
    case FR_STREAMS_PENDING_SHUTDOWN: return "PENDING_SHUTDOWN";
    case FR_STREAMS_NOT_RUNNING: return "NOT_RUNNING";
    case FR_STREAMS_ERROR: return "ERROR";
    }
    return "UNKNOWN";
}

/* Under app->lock. */
static void set_state_locked(fr_streams_t *app, fr_streams_state_t s) {
    fr_streams_state_t old = app->state;
    if (old == s)
        return;
    app->state = s;
    fr_info(RT_LOG, "stream-client [%s] State transition from %s to %s", app->cfg.application_id,
            fr_streams_state_name(old), fr_streams_state_name(s));
    if (app->listener)
        app->listener(app->listener_ctx, s, old);
    pthread_cond_broadcast(&app->cond);
}

/* Under app->lock: the instance state that the thread states imply. */
static void recompute_locked(fr_streams_t *app) {
    if ((app->state != FR_STREAMS_REBALANCING && app->state != FR_STREAMS_RUNNING) || app->error)
        return; /* CREATED, failing, or shutting down / stopped: threads no longer drive it */
    int rebalancing = 0;
    for (int i = 0; i < app->nthreads; i++) {
        rt_thread_state_t ts = app->threads[i].state;
        rebalancing |= ts == RT_THREAD_CREATED || ts == RT_THREAD_STARTING || ts == RT_THREAD_REBALANCING;
    }
    set_state_locked(app, rebalancing ? FR_STREAMS_REBALANCING : FR_STREAMS_RUNNING);
}

void rt_thread_set_state(rt_thread_t *th, rt_thread_state_t s) {
    fr_streams_t *app = th->app;
    pthread_mutex_lock(&app->lock);
    th->state = s;
    recompute_locked(app);
    pthread_mutex_unlock(&app->lock);
}

void rt_thread_fail(rt_thread_t *th, int err, const char *fmt, ...) {
    fr_streams_t *app = th->app;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!th->fatal) {
        th->fatal = err ? err : FR_ERR_UNKNOWN_SERVER_ERROR;
        snprintf(th->fatal_msg, sizeof(th->fatal_msg), "%s", msg);
    }
    fr_error(RT_LOG, "stream-thread [%s] fatal: %s; shutting the client down", th->name, msg);
    pthread_mutex_lock(&app->lock);
    if (!app->error) {
        app->error = th->fatal;
        snprintf(app->error_msg, sizeof(app->error_msg), "stream-thread [%s]: %s", th->name, msg);
    }
    __atomic_store_n(&app->stop, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&app->lock);
}

void rt_thread_exited(rt_thread_t *th) {
    fr_streams_t *app = th->app;
    pthread_mutex_lock(&app->lock);
    th->state = RT_THREAD_DEAD;
    if (--app->live_threads == 0 && app->error)
        set_state_locked(app, FR_STREAMS_ERROR);
    pthread_cond_broadcast(&app->cond);
    pthread_mutex_unlock(&app->lock);
}

int rt_app_stopping(const fr_streams_t *app) { return __atomic_load_n(&app->stop, __ATOMIC_ACQUIRE); }

int fr_streams_new(const fr_topology_t *topology, const fr_streams_config_t *config, fr_streams_t **out, char *err,
                   size_t errlen) {
    *out = NULL;
    if (!topology || !config) {
        fr_errorf(err, errlen, "fr_streams_new: topology and config are required");
        return FR_ERR_INVALID_ARG;
    }
    fr_streams_t *app = calloc(1, sizeof(*app));
    if (!app)
        return FR_ERR_NOMEM;
    app->topo = topology;
    rt_config_init(&app->cfg);
    int rc = 0;
    size_t n = fr_streams_config_count(config);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *k, *v;
        if (fr_streams_config_entry(config, i, &k, &v) == 0 && k && v)
            rc = rt_config_set(&app->cfg, k, v, err, errlen);
    }
    if (!rc)
        rc = rt_config_validate(&app->cfg, err, errlen);
    if (!rc && fr_topology_subtopology_count(topology) == 0) {
        fr_errorf(err, errlen, "the topology has no source topics");
        rc = FR_ERR_INVALID_ARG;
    }
    if (!rc) {
        size_t len = strlen(app->cfg.state_dir) + strlen(app->cfg.application_id) + 2;
        app->app_state_dir = malloc(len);
        if (!app->app_state_dir)
            rc = FR_ERR_NOMEM;
        else
            snprintf(app->app_state_dir, len, "%s/%s", app->cfg.state_dir, app->cfg.application_id);
    }
    if (rc) {
        rt_config_free(&app->cfg);
        free(app->app_state_dir);
        free(app);
        return rc;
    }
    /* Recursive: a state listener runs under the lock and may ask for the state. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&app->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&app->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_rwlock_init(&app->iq_lock, NULL);
    app->state = FR_STREAMS_CREATED;
    *out = app;
    return 0;
}

void fr_streams_set_state_listener(fr_streams_t *app, fr_streams_state_listener_t listener, void *ctx) {
    pthread_mutex_lock(&app->lock);
    app->listener = listener;
    app->listener_ctx = ctx;
    pthread_mutex_unlock(&app->lock);
}

int fr_streams_start(fr_streams_t *app, char *err, size_t errlen) {
    if (app->state != FR_STREAMS_CREATED) {
        fr_errorf(err, errlen, "fr_streams_start: the instance is %s, not CREATED", fr_streams_state_name(app->state));
        return FR_ERR_INVALID_ARG;
    }
    int rc = fr_mkdir_p(app->app_state_dir) ? FR_ERR_IO : 0;
    if (rc) {
        fr_errorf(err, errlen, "cannot create state directory %s: %s", app->app_state_dir, strerror(errno));
        return rc;
    }
    if ((rc = rt_topics_prepare(app->topo, &app->cfg, &app->topics, err, errlen)) != 0)
        return rc;
    app->threads = calloc((size_t)app->cfg.num_threads, sizeof(rt_thread_t));
    if (!app->threads)
        return FR_ERR_NOMEM;
    app->nthreads = app->cfg.num_threads;
    for (int i = 0; i < app->nthreads; i++) {
        if ((rc = rt_thread_init(&app->threads[i], app, i, err, errlen)) != 0)
            return rc; /* fr_streams_close frees what was made */
    }
    pthread_mutex_lock(&app->lock);
    set_state_locked(app, FR_STREAMS_REBALANCING);
    pthread_mutex_unlock(&app->lock);
    /* Global tables are caught up before any stream thread processes. */
    if ((rc = rt_global_start(app, err, errlen)) != 0)
        return rc;
    for (int i = 0; i < app->nthreads; i++) {
        rt_thread_t *th = &app->threads[i];
        pthread_mutex_lock(&app->lock);
        app->live_threads++;
        pthread_mutex_unlock(&app->lock);
        if ((rc = pthread_create(&th->tid, NULL, rt_thread_main, th)) != 0) {
            pthread_mutex_lock(&app->lock);
            app->live_threads--;
            pthread_mutex_unlock(&app->lock);
            fr_errorf(err, errlen, "cannot start stream thread %d: %s", i, strerror(rc));
            __atomic_store_n(&app->stop, 1, __ATOMIC_RELEASE);
            return FR_ERR_NOMEM;
        }
        th->started = 1;
    }
    fr_info(RT_LOG, "stream-client [%s] started %d stream threads, state in %s", app->cfg.application_id,
            app->nthreads, app->app_state_dir);
    return 0;
}

fr_streams_state_t fr_streams_state(fr_streams_t *app) {
    pthread_mutex_lock(&app->lock);
    fr_streams_state_t s = app->state;
    pthread_mutex_unlock(&app->lock);
    return s;
}

const char *fr_streams_error_message(fr_streams_t *app) { return app->error_msg; }

static void deadline_ts(int64_t timeout_ms, struct timespec *ts) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

int fr_streams_await(fr_streams_t *app, int64_t timeout_ms) {
    struct timespec ts;
    deadline_ts(timeout_ms, &ts);
    pthread_mutex_lock(&app->lock);
    while (app->state != FR_STREAMS_ERROR && app->state != FR_STREAMS_NOT_RUNNING) {
        if (pthread_cond_timedwait(&app->cond, &app->lock, &ts) == ETIMEDOUT)
            break;
    }
    int done = app->state == FR_STREAMS_ERROR || app->state == FR_STREAMS_NOT_RUNNING;
    pthread_mutex_unlock(&app->lock);
    return done;
}

int fr_streams_wait_for_state(fr_streams_t *app, fr_streams_state_t s, int64_t timeout_ms) {
    struct timespec ts;
    deadline_ts(timeout_ms, &ts);
    pthread_mutex_lock(&app->lock);
    while (app->state != s) {
        if (pthread_cond_timedwait(&app->cond, &app->lock, &ts) == ETIMEDOUT)
            break;
    }
    int rc = app->state == s ? 0 : FR_ERR_REQUEST_TIMED_OUT;
    pthread_mutex_unlock(&app->lock);
    return rc;
}

int fr_streams_close(fr_streams_t *app) {
    if (!app)
        return 0;
    pthread_mutex_lock(&app->lock);
    if (app->state != FR_STREAMS_ERROR && app->state != FR_STREAMS_NOT_RUNNING)
        set_state_locked(app, FR_STREAMS_PENDING_SHUTDOWN);
    __atomic_store_n(&app->stop, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&app->lock);
    for (int i = 0; i < app->nthreads; i++) {
        if (app->threads[i].started)
            pthread_join(app->threads[i].tid, NULL);
    }
    pthread_mutex_lock(&app->lock);
    set_state_locked(app, app->error ? FR_STREAMS_ERROR : FR_STREAMS_NOT_RUNNING);
    pthread_mutex_unlock(&app->lock);
    int rc = app->error;
    if (rc)
        fr_error(RT_LOG, "stream-client [%s] closed after a fatal error: %s", app->cfg.application_id,
                 app->error_msg);
    else
        fr_info(RT_LOG, "stream-client [%s] closed cleanly", app->cfg.application_id);
    for (int i = 0; i < app->nthreads; i++)
        rt_thread_free(&app->threads[i]);
    rt_global_stop(app); /* after the stream threads: they read its stores */
    free(app->threads);
    free(app->iq_tasks);
    rt_topics_free(&app->topics);
    rt_config_free(&app->cfg);
    free(app->app_state_dir);
    pthread_rwlock_destroy(&app->iq_lock);
    pthread_cond_destroy(&app->cond);
    pthread_mutex_destroy(&app->lock);
    free(app);
    return rc;
}
