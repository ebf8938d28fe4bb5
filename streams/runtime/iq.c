/*
 * iq.c — interactive queries: reading this instance's stores from any thread.
 *
 * A store belongs to one sub-topology; its changelog topic
 * (<application.id>-<store>-changelog, an internal topic of that
 * sub-topology) says which, and how many partitions (tasks) it has.  A key
 * lives in the task whose partition is murmur2(key bytes) — the partition
 * the runtime's producers and Kafka's default partitioner give the key.
 *
 * Reads go through a store snapshot (a read-only LMDB transaction on the last
 * commit), taken while holding the registry lock for reading; a stream thread
 * takes it for writing before closing a task, so a task never goes away under
 * a query.  Results are copied out (get) or handed to a callback while the
 * snapshot is open (range, window fetch).
 *
 * Stores without a changelog (logging disabled) have no partition mapping
 * and are not queryable here.  Window stores hold Kafka's ValueAndTimestamp
 * (the DSL's window aggregations are timestamped); window fetch splits it.
 * So do the KTables' key-value stores (fr_ts_value.h): get and range return
 * the plain value, as Kafka's interactive queries on a KTable do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "fr_ts_value.h"
#include "rt_internal.h"

/* The changelog topic of a store, or NULL when the topology has none by that name. */
static const fr_internal_topic_t *store_changelog(fr_streams_t *app, const char *store) {
    char name[1024];
    if (!store || snprintf(name, sizeof(name), "%s-%s-changelog", app->cfg.application_id, store) >= (int)sizeof(name))
        return NULL;
    size_t n;
    const fr_internal_topic_t *it = fr_topology_internal_topics(app->topo, &n);
    for (size_t i = 0; i < n; i++) {
        if (it[i].kind == FR_INTERNAL_CHANGELOG && strcmp(it[i].name, name) == 0)
            return &it[i];
    }
    return NULL;
}

static int32_t store_partitions(fr_streams_t *app, const fr_internal_topic_t *cl) {
    if (cl->partitions > 0)
        return cl->partitions;
    if (cl->copartition_sub < app->topics.nsubs)
        return app->topics.sub_partitions[cl->copartition_sub];
    return -1;
}

static int check_started(fr_streams_t *app) {
    fr_streams_state_t s = fr_streams_state(app);
    if (s == FR_STREAMS_RUNNING || s == FR_STREAMS_REBALANCING)
        return 0;
    return FR_ERR_REBALANCE_IN_PROGRESS;
}

int fr_streams_store_partition(fr_streams_t *app, const char *store, const void *key, size_t keylen,
                               int32_t *partition) {
    int rc = check_started(app);
    if (rc)
        return rc;
    const fr_internal_topic_t *cl = store_changelog(app, store);
    if (!cl || !key)
        return FR_ERR_INVALID_ARG;
    int32_t n = store_partitions(app, cl);
    if (n < 1)
        return FR_ERR_INVALID_ARG;
    *partition = rd_kafka_msg_partitioner_murmur2(NULL, key, keylen, n, NULL, NULL);
    return 0;
}

/* Under iq_lock (read): the registered task of (sub, partition). */
static rt_task_t *find_task(fr_streams_t *app, size_t sub, int32_t partition) {
    for (size_t i = 0; i < app->iq_ntasks; i++) {
        rt_task_t *t = app->iq_tasks[i];
        if (t->sub == sub && t->partition == partition)
            return t;
    }
    return NULL;
}

/* Not here: migrating (rebalancing) or owned by another instance. */
static int not_local(fr_streams_t *app) {
    return fr_streams_state(app) == FR_STREAMS_RUNNING ? FR_ERR_NOT_LEADER_OR_FOLLOWER : FR_ERR_REBALANCE_IN_PROGRESS;
}

typedef int (*snap_fn)(fr_store_snapshot_t *snap, void *arg);

/* Runs fn on a snapshot of the task owning key's partition. */
static int with_key_snapshot(fr_streams_t *app, const char *store, const void *key, size_t keylen, snap_fn fn,
                             void *arg) {
    int32_t p;
    fr_store_snapshot_t *snap;
    if (!store_changelog(app, store) && check_started(app) == 0 && rt_global_snapshot(app, store, &snap) == 0) {
        int rc = fn(snap, arg); /* a global store: every instance holds all of it */
        fr_store_snapshot_close(snap);
        return rc;
    }
    int rc = fr_streams_store_partition(app, store, key, keylen, &p);
    if (rc)
        return rc;
    const fr_internal_topic_t *cl = store_changelog(app, store);
    pthread_rwlock_rdlock(&app->iq_lock);
    rt_task_t *t = find_task(app, cl->copartition_sub, p);
    if (!t) {
        pthread_rwlock_unlock(&app->iq_lock);
        return not_local(app);
    }
    rc = fr_store_snapshot_open(fr_task_store_env(t->task), &snap);
    if (!rc) {
        rc = fn(snap, arg);
        fr_store_snapshot_close(snap);
    }
    pthread_rwlock_unlock(&app->iq_lock);
    return rc;
}

/* A key-value store whose values carry Kafka's timestamp in front. */
static int kv_timestamped(const fr_streams_t *app, const char *store) {
    const fr_store_def_t *d = fr_graph_find_store(app->topo->g, store);
    return d && d->kind == FR_STORE_KV && d->timestamped;
}

/* The plain value of a stored one. */
static int plain_value(const char *store, int timestamped, fr_slice_t *v) {
    int64_t ts;
    int rc = timestamped ? fr_tsv_split(v, &ts) : 0;
    if (rc)
        fr_error(RT_LOG, "store %s: a stored value of %d bytes has no timestamp", store, v->len);
    return rc;
}

typedef struct get_arg {
    const char *store;
    int timestamped;
    fr_slice_t key;
    void **value;
    size_t *value_len;
} get_arg_t;

static int do_get(fr_store_snapshot_t *snap, void *arg) {
    get_arg_t *g = arg;
    fr_slice_t v;
    int rc = fr_store_snapshot_kv_get(snap, g->store, g->key, &v);
    if (rc || (rc = plain_value(g->store, g->timestamped, &v)))
        return rc;
    size_t len = fr_slice_is_null(v) ? 0 : (size_t)v.len;
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return FR_ERR_NOMEM;
    if (len)
        memcpy(copy, v.ptr, len);
    *g->value = copy;
    *g->value_len = len;
    return 0;
}

int fr_streams_store_get(fr_streams_t *app, const char *store, const void *key, size_t keylen, void **value,
                         size_t *value_len) {
    *value = NULL;
    *value_len = 0;
    if (keylen > INT32_MAX)
        return FR_ERR_INVALID_ARG;
    get_arg_t g = {store, kv_timestamped(app, store), (fr_slice_t){key, (int32_t)keylen}, value, value_len};
    return with_key_snapshot(app, store, key, keylen, do_get, &g);
}

typedef struct win_arg {
    const char *store;
    fr_slice_t key;
    int64_t from, to;
    fr_streams_window_cb cb;
    void *ctx;
} win_arg_t;

static int do_window(fr_store_snapshot_t *snap, void *arg) {
    win_arg_t *w = arg;
    fr_store_iter_t *it;
    int rc = fr_store_snapshot_win_fetch(snap, w->store, w->key, w->from, w->to, &it);
    if (rc)
        return rc;
    fr_store_entry_t e;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        /* ValueAndTimestamp: 8-byte big-endian timestamp, then the value. */
        const uint8_t *v = e.value.ptr;
        size_t len = fr_slice_is_null(e.value) ? 0 : (size_t)e.value.len;
        int64_t ts = -1;
        if (len >= 8) {
            ts = (int64_t)fr_be64(v);
            v += 8;
            len -= 8;
        }
        if (w->cb(w->ctx, e.start, ts, v, len))
            break;
    }
    fr_store_iter_close(it);
    return rc < 0 ? rc : 0;
}

int fr_streams_store_window_fetch(fr_streams_t *app, const char *store, const void *key, size_t keylen,
                                  int64_t time_from, int64_t time_to, fr_streams_window_cb cb, void *ctx) {
    if (keylen > INT32_MAX || !cb)
        return FR_ERR_INVALID_ARG;
    win_arg_t w = {store, (fr_slice_t){key, (int32_t)keylen}, time_from, time_to, cb, ctx};
    return with_key_snapshot(app, store, key, keylen, do_window, &w);
}

int fr_streams_store_range(fr_streams_t *app, const char *store, const void *from, size_t fromlen, const void *to,
                           size_t tolen, fr_streams_kv_cb cb, void *ctx) {
    int rc = check_started(app);
    if (rc)
        return rc;
    const fr_internal_topic_t *cl = store_changelog(app, store);
    if (!cl || !cb || fromlen > INT32_MAX || tolen > INT32_MAX)
        return FR_ERR_INVALID_ARG;
    fr_slice_t lo = from ? (fr_slice_t){from, (int32_t)fromlen} : FR_SLICE_NULL;
    fr_slice_t hi = to ? (fr_slice_t){to, (int32_t)tolen} : FR_SLICE_NULL;
    int timestamped = kv_timestamped(app, store);
    pthread_rwlock_rdlock(&app->iq_lock);
    int stop = 0;
    for (size_t i = 0; i < app->iq_ntasks && !rc && !stop; i++) {
        rt_task_t *t = app->iq_tasks[i];
        if (t->sub != cl->copartition_sub)
            continue;
        fr_store_snapshot_t *snap;
        if ((rc = fr_store_snapshot_open(fr_task_store_env(t->task), &snap)) != 0)
            break;
        fr_store_iter_t *it;
        if ((rc = fr_store_snapshot_kv_range(snap, store, lo, hi, &it)) == 0) {
            fr_store_entry_t e;
            int r;
            while ((r = fr_store_iter_next(it, &e)) == 1) {
                if ((r = plain_value(store, timestamped, &e.value)))
                    break;
                if (cb(ctx, e.key.ptr, (size_t)e.key.len, e.value.ptr,
                       fr_slice_is_null(e.value) ? 0 : (size_t)e.value.len)) {
                    stop = 1;
                    break;
                }
            }
            if (r < 0)
                rc = r;
            fr_store_iter_close(it);
        }
        fr_store_snapshot_close(snap);
    }
    pthread_rwlock_unlock(&app->iq_lock);
    return rc;
}
