/*
 * fr_task.c — fr_task.h: one sub-topology instance for one partition.
 *
 * A task owns its store environment, one state pointer per node (set by the
 * node's init), a scratch arena reset at every entry point (record,
 * punctuation, flush), the record context, stream time and punctuation
 * schedules.  Records run depth first through the nodes' vtables; stores
 * talk back through their listener (changelog records out through the task's
 * io, table changes on to the owning node's children).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_graph.h"
#include "fr_store.h"

typedef struct task_store {
    fr_task_t *t;
    fr_store_def_t *def;
    fr_kvstore_t *kv;       /* by def->kind: one of kv, win, sess */
    fr_winstore_t *win;
    fr_sessstore_t *sess;
} task_store_t;

typedef struct punct {
    int64_t interval, next;
    fr_punctuation_type_t type;
    fr_punctuator_fn fn;
    void *ctx;
    fr_processor_context_t *pc;
} punct_t;

struct fr_task {
    const fr_topology_t *topo;
    const fr_sub_t *sub;
    size_t sub_id;
    int32_t partition;
    fr_task_io_t io;
    char *dir;
    fr_store_env_t *env;
    task_store_t *stores;
    size_t nstores;
    fr_task_changelog_t *changelogs;
    size_t nchangelogs;
    void **state;   /* by node id */
    char *inited;   /* by node id */
    fr_scratch_t *scratch;
    fr_record_context_t rc;
    int64_t *partition_time; /* per source topic of the sub */
    int64_t wall;
    fr_kvstore_t *(*global_kv)(void *ctx, const char *store); /* fr_task_set_global_stores() */
    void *global_ctx;
    fr_task_global_get_fn global_get; /* fr_task_set_global_reader() */
    void *global_get_ctx;
    punct_t *puncts;
    size_t npuncts, puncts_cap;
    fr_task_metrics_t m;
};

/* ---- helpers for operators ---- */

const fr_serde_t *fr_task_key_serde(const fr_task_t *t, const fr_serde_t *s) {
    return s ? s : t->topo->default_key_serde;
}
const fr_serde_t *fr_task_value_serde(const fr_task_t *t, const fr_serde_t *s) {
    return s ? s : t->topo->default_value_serde;
}
const fr_serde_t *fr_task_in_key_serde(const fr_task_t *t, const fr_node_t *n) {
    return fr_task_key_serde(t, n->nparents ? n->parents[0]->key_serde : n->key_serde);
}
const fr_serde_t *fr_task_in_value_serde(const fr_task_t *t, const fr_node_t *n) {
    return fr_task_value_serde(t, n->nparents ? n->parents[0]->value_serde : n->value_serde);
}

void fr_task_view(const fr_task_t *t, const fr_node_t *n, const fr_rec_t *r, fr_datum_t *key, fr_datum_t *value) {
    fr_serde_view(fr_task_in_key_serde(t, n), r->key, key);
    fr_serde_view(fr_task_in_value_serde(t, n), r->value, value);
}

int fr_task_encode(fr_task_t *t, const fr_node_t *n, const fr_serde_t *s, const fr_datum_t *d, uint8_t buf8[8],
                   fr_slice_t *out) {
    int rc = fr_serde_encode(s, d, buf8, out);
    if (rc)
        fr_error("streams", "%s: a result of type %s cannot be written with the %s serde%s", n->name,
                 fr_type_str(d->type), fr_serde_name(s), rc == FR_ERR_PARSE ? " (not valid JSON)" : "");
    return rc;
}

int fr_task_forward(fr_task_t *t, const fr_node_t *n, const fr_rec_t *r) {
    for (size_t i = 0; i < n->nchildren; i++) {
        fr_node_t *c = n->children[i];
        int rc = c->ops->process(t, c, t->state[c->id], r);
        if (rc)
            return rc;
    }
    return 0;
}

fr_scratch_t *fr_task_scratch(fr_task_t *t) { return t->scratch; }
const fr_record_context_t *fr_task_record_context(const fr_task_t *t) { return &t->rc; }
void fr_task_count_dropped(fr_task_t *t) { t->m.dropped++; }
const fr_topology_t *fr_task_topology(const fr_task_t *t) { return t->topo; }
const fr_task_io_t *fr_task_io_of(const fr_task_t *t) { return &t->io; }
int32_t fr_task_partition(const fr_task_t *t) { return t->partition; }
int64_t fr_task_stream_time(const fr_task_t *t) { return t->m.stream_time; }
void *fr_task_node_state(const fr_task_t *t, const fr_node_t *n) { return t->inited[n->id] ? t->state[n->id] : NULL; }

fr_kvstore_t *fr_task_kvstore(fr_task_t *t, const char *name) {
    for (size_t i = 0; i < t->nstores; i++)
        if (!strcmp(t->stores[i].def->name, name))
            return t->stores[i].kv;
    return NULL;
}

fr_winstore_t *fr_task_winstore(fr_task_t *t, const char *name) {
    for (size_t i = 0; i < t->nstores; i++)
        if (!strcmp(t->stores[i].def->name, name))
            return t->stores[i].win;
    return NULL;
}

fr_sessstore_t *fr_task_sessstore(fr_task_t *t, const char *name) {
    for (size_t i = 0; i < t->nstores; i++)
        if (!strcmp(t->stores[i].def->name, name))
            return t->stores[i].sess;
    return NULL;
}

void fr_task_count_dropped_late(fr_task_t *t) { t->m.dropped_late++; }

const fr_store_def_t *fr_task_store_def(const fr_task_t *t, const char *name) {
    for (size_t i = 0; i < t->nstores; i++)
        if (!strcmp(t->stores[i].def->name, name))
            return t->stores[i].def;
    return NULL;
}

int fr_task_schedule(fr_task_t *t, int64_t interval, fr_punctuation_type_t type, fr_punctuator_fn fn, void *ctx,
                     fr_processor_context_t *pc) {
    if (interval < 1 || !fn)
        return FR_ERR_INVALID_ARG;
    if (FR_ARRAY_GROW(t->puncts, t->puncts_cap, t->npuncts + 1, 4))
        return FR_ERR_NOMEM;
    /* Kafka: stream time aligned to 0 (fires on the first record), wall clock from now. */
    int64_t first = type == FR_PUNCTUATE_STREAM_TIME ? 0 : t->wall + interval;
    t->puncts[t->npuncts++] = (punct_t){interval, first, type, fn, ctx, pc};
    return 0;
}

/* Fires due punctuators of one type at time now; the next one is aligned to
 * the schedule, skipping missed intervals (Kafka's PunctuationSchedule). */
static int punctuate(fr_task_t *t, fr_punctuation_type_t type, int64_t now) {
    for (size_t i = 0; i < t->npuncts; i++) {
        punct_t *p = &t->puncts[i];
        if (p->type != type || now < p->next)
            continue;
        fr_record_context_t saved = t->rc;
        t->rc = (fr_record_context_t){NULL, t->partition, -1, now, NULL, 0};
        fr_scratch_reset(t->scratch);
        int rc = p->fn(p->ctx, p->pc, now);
        t->rc = saved;
        if (rc < 0) {
            fr_error("streams", "task %zu_%d: punctuator failed: %s", t->sub_id, t->partition, fr_err_str(rc));
            return rc;
        }
        int64_t next = p->next + p->interval;
        if (now >= next)
            next = p->next + ((now - p->next) / p->interval + 1) * p->interval;
        p->next = next;
    }
    return 0;
}

/* ---- store listener ---- */

/* A timestamped value's timestamp and plain value (see fr_store_def_t). */
static void untimestamp(fr_slice_t *v, int64_t *ts) {
    if (fr_slice_is_null(*v) || v->len < 8)
        return;
    const uint8_t *p = v->ptr;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    *ts = (int64_t)x;
    v->ptr += 8;
    v->len -= 8;
}

static int store_log(void *ctx, const char *store, fr_slice_t key, fr_slice_t value, int64_t ts) {
    task_store_t *s = ctx;
    if (!s->def->changelog)
        return 0;
    fr_task_t *t = s->t;
    if (s->def->timestamped)
        untimestamp(&value, &ts);
    return t->io.send(t->io.ctx, s->def->changelog, t->partition, key, value, ts, NULL, 0);
}

static int store_forward(void *ctx, const char *store, fr_slice_t key, fr_slice_t nv, fr_slice_t ov, int64_t ts) {
    task_store_t *s = ctx;
    if (!s->def->owner)
        return 0;
    fr_task_t *t = s->t;
    if (s->def->kind == FR_STORE_WINDOW && key.len >= 4)
        key.len -= 4; /* the seq: downstream sees Kafka's windowed key */
    if (s->def->timestamped) {
        /* A key-value delete goes on with the delete's timestamp (Kafka's
         * TimestampedCacheFlushListener); a dropped window or session with
         * its old value's. */
        int64_t ots = ts;
        untimestamp(&nv, &ts);
        untimestamp(&ov, fr_slice_is_null(nv) && s->def->kind != FR_STORE_KV ? &ts : &ots);
    }
    fr_record_context_t saved = t->rc;
    t->rc.timestamp = ts;
    fr_rec_t r = {key, nv, ov, 1, ts, t->rc.headers, t->rc.nheaders};
    int rc = fr_task_forward(t, s->def->owner, &r);
    t->rc = saved;
    return rc;
}

/* ---- lifecycle ---- */

/* A task over node group s: a sub-topology (partition >= 0) or a global
 * table's group (global: one task reading every partition, in "<dir>/global"). */
static int task_open(const fr_topology_t *topo, const fr_sub_t *s, size_t sub, int32_t partition, int global,
                     const fr_task_opts_t *opts, const fr_task_io_t *io, fr_task_t **out) {
    *out = NULL;
    fr_task_t *t = calloc(1, sizeof *t);
    if (!t)
        return FR_ERR_NOMEM;
    size_t nn = topo->g->nnodes;
    t->topo = topo;
    t->sub = s;
    t->sub_id = sub;
    t->partition = partition;
    t->io = *io;
    t->wall = opts->wall_clock_ms;
    t->m.stream_time = -1;
    t->rc.partition = partition;
    t->rc.offset = -1;
    t->state = calloc(nn, sizeof *t->state);
    t->inited = calloc(nn, 1);
    t->partition_time = malloc((s->ntopics + 1) * sizeof *t->partition_time);
    t->scratch = fr_scratch_new(16384);
    t->stores = calloc(s->nstores + 1, sizeof *t->stores);
    t->changelogs = calloc(s->nstores + 1, sizeof *t->changelogs);
    int rc = FR_ERR_NOMEM;
    if (!t->state || !t->inited || !t->partition_time || !t->scratch || !t->stores || !t->changelogs)
        goto fail;
    for (size_t i = 0; i < s->ntopics; i++)
        t->partition_time[i] = -1;

    if (s->nstores) {
        if (!opts->state_dir) {
            rc = FR_ERR_INVALID_ARG;
            goto fail;
        }
        size_t dl = strlen(opts->state_dir) + 64;
        if (!(t->dir = malloc(dl)))
            goto fail;
        if (global && sub == 0)
            snprintf(t->dir, dl, "%s/global", opts->state_dir);
        else if (global) /* each task locks its directory: further global tables get their own */
            snprintf(t->dir, dl, "%s/global-%zu", opts->state_dir, sub);
        else
            snprintf(t->dir, dl, "%s/%zu_%d", opts->state_dir, sub, partition);
        fr_store_env_opts_t eo = {opts->store_map_bytes, 0, opts->cache_max_bytes};
        if ((rc = fr_store_env_open(t->dir, &eo, &t->env))) {
            fr_error("streams", "task %zu_%d: cannot open the state stores in %s: %s", sub, partition, t->dir,
                     fr_err_str(rc));
            goto fail;
        }
        for (size_t i = 0; i < s->nstores; i++) {
            task_store_t *ts = &t->stores[t->nstores];
            ts->t = t;
            ts->def = s->stores[i];
            fr_store_listener_t l = {ts, store_log, store_forward};
            if (ts->def->kind == FR_STORE_WINDOW)
                rc = fr_winstore_open(t->env, ts->def->name, ts->def->retention_ms, ts->def->retain_duplicates, &l,
                                      &ts->win);
            else if (ts->def->kind == FR_STORE_SESSION)
                rc = fr_sessstore_open(t->env, ts->def->name, ts->def->retention_ms, &l, &ts->sess);
            else
                rc = fr_kvstore_open(t->env, ts->def->name, &l, &ts->kv);
            if (rc)
                goto fail;
            t->nstores++;
            if (ts->def->changelog) {
                fr_task_changelog_t *c = &t->changelogs[t->nchangelogs++];
                c->topic = ts->def->changelog;
                c->partition = partition;
                int64_t off = 0;
                c->restore_from = fr_store_env_checkpoint(t->env, c->topic, partition, &off) == 0 ? off : 0;
            }
        }
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        fr_node_t *n = s->nodes[i];
        if (n->ops->init && (rc = n->ops->init(t, n, &t->state[n->id]))) {
            fr_error("streams", "task %zu_%d: %s failed to initialize: %s", sub, partition, n->name, fr_err_str(rc));
            goto fail;
        }
        t->inited[n->id] = 1;
    }
    *out = t;
    return 0;
fail:
    fr_task_close(t);
    return rc;
}

int fr_task_open(const fr_topology_t *topo, size_t sub, int32_t partition, const fr_task_opts_t *opts,
                 const fr_task_io_t *io, fr_task_t **out) {
    if (!topo || sub >= topo->nsubs || partition < 0 || !opts || !io || !io->send || !out)
        return FR_ERR_INVALID_ARG;
    return task_open(topo, &topo->subs[sub], sub, partition, 0, opts, io, out);
}

int fr_task_open_global(const fr_topology_t *topo, size_t global, const fr_task_opts_t *opts, const fr_task_io_t *io,
                        fr_task_t **out) {
    if (!topo || global >= topo->nglobals || !opts || !io || !io->send || !out)
        return FR_ERR_INVALID_ARG;
    return task_open(topo, &topo->globals[global], global, 0, 1, opts, io, out);
}

void fr_task_set_global_stores(fr_task_t *t, fr_kvstore_t *(*lookup)(void *ctx, const char *store), void *ctx) {
    t->global_kv = lookup;
    t->global_ctx = ctx;
}

fr_kvstore_t *fr_task_global_kvstore(fr_task_t *t, const char *name) {
    return t->global_kv ? t->global_kv(t->global_ctx, name) : NULL;
}

void fr_task_set_global_reader(fr_task_t *t, fr_task_global_get_fn get, void *ctx) {
    t->global_get = get;
    t->global_get_ctx = ctx;
}

int fr_task_global_get(fr_task_t *t, const char *name, fr_slice_t key, fr_slice_t *value) {
    *value = FR_SLICE_NULL;
    if (t->global_get)
        return t->global_get(t->global_get_ctx, name, key, value);
    fr_kvstore_t *kv = fr_task_global_kvstore(t, name);
    return kv ? fr_kvstore_get(kv, key, value) : FR_ERR_INVALID_ARG;
}

void fr_task_close(fr_task_t *t) {
    if (!t)
        return;
    for (size_t i = 0; t->inited && i < t->sub->nnodes; i++) {
        fr_node_t *n = t->sub->nodes[i];
        if (t->inited[n->id] && n->ops->close)
            n->ops->close(t, n, t->state[n->id]);
    }
    fr_store_env_close(t->env);
    fr_scratch_free(t->scratch);
    free(t->dir);
    free(t->state);
    free(t->inited);
    free(t->partition_time);
    free(t->stores);
    free(t->changelogs);
    free(t->puncts);
    free(t);
}

const fr_task_changelog_t *fr_task_changelogs(fr_task_t *t, size_t *n) {
    if (n)
        *n = t ? t->nchangelogs : 0;
    return t ? t->changelogs : NULL;
}

static int restore_one(fr_task_t *t, task_store_t *s, const fr_record_in_t *r) {
    fr_slice_t v = r->value;
    if (s->def->timestamped && !fr_slice_is_null(v)) {
        uint8_t *b = fr_scratch_alloc(t->scratch, (size_t)v.len + 8);
        if (!b)
            return FR_ERR_NOMEM;
        uint64_t x = (uint64_t)r->timestamp;
        for (int i = 7; i >= 0; i--, x >>= 8)
            b[i] = (uint8_t)x;
        if (v.len)
            memcpy(b + 8, v.ptr, (size_t)v.len);
        v = (fr_slice_t){b, v.len + 8};
    }
    if (s->win)
        return fr_winstore_restore(s->win, r->key, v);
    if (s->sess)
        return fr_sessstore_restore(s->sess, r->key, v);
    return fr_kvstore_restore(s->kv, r->key, v);
}

int fr_task_restore(fr_task_t *t, const fr_record_in_t *r) {
    if (!t || !r || !r->topic)
        return FR_ERR_INVALID_ARG;
    fr_scratch_reset(t->scratch);
    for (size_t i = 0; i < t->nstores; i++)
        if (t->stores[i].def->changelog && !strcmp(t->stores[i].def->changelog, r->topic))
            return restore_one(t, &t->stores[i], r);
    return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

/* The record's timestamp by the configured extractor; -1: skip the record. */
static int extract_ts(fr_task_t *t, const fr_record_in_t *r, size_t topic_idx, int64_t *ts) {
    const fr_topology_t *topo = t->topo;
    int64_t ptime = t->partition_time[topic_idx];
    if (topo->extractor) {
        *ts = topo->extractor(topo->extractor_ctx, &t->rc, r->key, r->value, ptime);
    } else {
        *ts = r->timestamp;
        if (topo->ts_policy == FR_TS_WALL_CLOCK)
            *ts = t->wall;
        else if (*ts < 0 && topo->ts_policy == FR_TS_PARTITION_TIME)
            *ts = ptime;
        else if (*ts < 0 && topo->ts_policy == FR_TS_FAIL_ON_INVALID) {
            fr_error("streams", "invalid timestamp %lld in %s partition %d offset %lld (FailOnInvalidTimestamp)",
                     (long long)r->timestamp, r->topic, r->partition, (long long)r->offset);
            return FR_ERR_INVALID_TIMESTAMP;
        }
    }
    if (*ts < 0) {
        fr_warn("streams", "skipping record with invalid timestamp %lld in %s partition %d offset %lld",
                (long long)*ts, r->topic, r->partition, (long long)r->offset);
        t->m.dropped++;
        *ts = -1;
    }
    return 0;
}

int fr_task_process(fr_task_t *t, const fr_record_in_t *r) {
    if (!t || !r || !r->topic)
        return FR_ERR_INVALID_ARG;
    const fr_sub_t *s = t->sub;
    size_t idx = 0;
    while (idx < s->ntopics && strcmp(s->topics[idx], r->topic))
        idx++;
    if (idx == s->ntopics)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    fr_scratch_reset(t->scratch);
    t->rc = (fr_record_context_t){s->topics[idx], r->partition, r->offset, r->timestamp, r->headers, r->nheaders};
    int64_t ts;
    int rc = extract_ts(t, r, idx, &ts);
    if (rc || ts < 0)
        return rc;
    t->rc.timestamp = ts;
    if (ts > t->partition_time[idx])
        t->partition_time[idx] = ts;
    if (ts > t->m.stream_time)
        t->m.stream_time = ts;
    t->m.processed++;
    fr_node_t *src = s->topic_source[idx];
    fr_rec_t rec = {r->key, r->value, FR_SLICE_NULL, 0, ts, r->headers, r->nheaders};
    rc = src->ops->process(t, src, t->state[src->id], &rec);
    if (rc)
        return rc;
    return punctuate(t, FR_PUNCTUATE_STREAM_TIME, t->m.stream_time);
}

int fr_task_punctuate_wall(fr_task_t *t, int64_t now_ms) {
    if (!t)
        return FR_ERR_INVALID_ARG;
    if (now_ms > t->wall)
        t->wall = now_ms;
    return punctuate(t, FR_PUNCTUATE_WALL_CLOCK, now_ms);
}

int fr_task_flush(fr_task_t *t) {
    if (!t)
        return FR_ERR_INVALID_ARG;
    if (!t->env)
        return 0;
    fr_scratch_reset(t->scratch);
    /* Forwards from the cache carry no source record. */
    t->rc = (fr_record_context_t){NULL, t->partition, -1, t->m.stream_time, NULL, 0};
    return fr_store_env_flush(t->env);
}

int fr_task_commit(fr_task_t *t, const fr_store_offset_t *offsets, size_t n) {
    if (!t)
        return FR_ERR_INVALID_ARG;
    if (!t->env)
        return 0;
    fr_scratch_reset(t->scratch);
    t->rc = (fr_record_context_t){NULL, t->partition, -1, t->m.stream_time, NULL, 0};
    return fr_store_env_commit(t->env, offsets, n);
}

void fr_task_metrics(const fr_task_t *t, fr_task_metrics_t *m) {
    if (t && m)
        *m = t->m;
}

int fr_task_has_store(const fr_task_t *t, const char *name) {
    for (size_t i = 0; t && name && i < t->nstores; i++)
        if (!strcmp(t->stores[i].def->name, name))
            return 1;
    return 0;
}

fr_store_env_t *fr_task_store_env(fr_task_t *t) { return t ? t->env : NULL; }
