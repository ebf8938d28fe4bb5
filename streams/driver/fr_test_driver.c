/*
 * fr_test_driver.c — streams_test_driver.h: every task of a topology in one
 * process, topics in memory, fr_task_io_t implemented by appending to them.
 *
 * Records sent to a topic that some sub-topology reads go on a FIFO of work
 * that is drained after each entry point (pipe, punctuation, flush), so a
 * repartitioned record is processed after the record that caused it, as it
 * would be by a real consumer.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_array.h"
#include "fr_fs.h"
#include "fr_graph.h"
#include "fr_store.h"
#include "fr_ts_value.h"
#include "freshet/streams_test_driver.h"

typedef struct drec {
    int32_t partition;
    int64_t offset;
    fr_slice_t key, value;
    int64_t ts;
    fr_header_t *headers;
    size_t nheaders;
} drec_t;

typedef struct dtopic {
    char *name;
    drec_t *recs;
    size_t n, cap, read;
    int64_t *next_offset; /* per partition */
} dtopic_t;

typedef struct work {
    size_t topic, rec;
} work_t;

struct fr_test_driver {
    const fr_topology_t *topo;
    int32_t partitions;
    char *tmpdir, *appdir;
    fr_task_t **tasks; /* [sub * partitions + p], then one per global table group */
    size_t ntasks;
    dtopic_t *topics;
    size_t ntopics, topics_cap;
    const char **names; /* for fr_test_driver_topics */
    work_t *queue;
    size_t qhead, qlen, qcap;
    int64_t wall, last_commit, commit_interval;
    fr_task_io_t io;
    size_t sent; /* records sent so far (to detect quiet flush rounds) */
};

static dtopic_t *topic_get(fr_test_driver_t *d, const char *name, int create) {
    for (size_t i = 0; i < d->ntopics; i++)
        if (!strcmp(d->topics[i].name, name))
            return &d->topics[i];
    if (!create)
        return NULL;
    if (d->ntopics == d->topics_cap) {
        size_t cap = d->topics_cap ? d->topics_cap * 2 : 16;
        dtopic_t *nt = realloc(d->topics, cap * sizeof *nt);
        const char **nn = realloc(d->names, (cap + 1) * sizeof *nn);
        if (nt)
            d->topics = nt;
        if (nn)
            d->names = nn;
        if (!nt || !nn)
            return NULL;
        d->topics_cap = cap;
    }
    dtopic_t *t = &d->topics[d->ntopics];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->next_offset = calloc((size_t)d->partitions, sizeof *t->next_offset);
    if (!t->name || !t->next_offset) {
        free(t->name);
        free(t->next_offset);
        return NULL;
    }
    d->names[d->ntopics] = t->name;
    d->ntopics++;
    return t;
}

static fr_slice_t copy_slice(fr_slice_t s) {
    if (fr_slice_is_null(s))
        return FR_SLICE_NULL;
    uint8_t *p = malloc((size_t)s.len + 1);
    if (!p)
        return (fr_slice_t){NULL, -2};
    if (s.len)
        memcpy(p, s.ptr, (size_t)s.len);
    return (fr_slice_t){p, s.len};
}

/* The sub-topology reading a topic, or -1. */
static long reader_of(const fr_test_driver_t *d, const char *topic) {
    for (size_t s = 0; s < d->topo->nsubs; s++)
        for (size_t i = 0; i < d->topo->subs[s].ntopics; i++)
            if (!strcmp(d->topo->subs[s].topics[i], topic))
                return (long)s;
    return -1;
}

/* The global node group reading a topic, or -1. */
static long global_of(const fr_test_driver_t *d, const char *topic) {
    for (size_t g = 0; g < d->topo->nglobals; g++)
        for (size_t i = 0; i < d->topo->globals[g].ntopics; i++)
            if (!strcmp(d->topo->globals[g].topics[i], topic))
                return (long)g;
    return -1;
}

static fr_task_t *global_task(const fr_test_driver_t *d, size_t g) {
    return d->tasks[d->topo->nsubs * (size_t)d->partitions + g];
}

/* fr_task_set_global_stores(): every task reads the global tasks' stores. */
static fr_kvstore_t *global_store(void *ctx, const char *name) {
    fr_test_driver_t *d = ctx;
    for (size_t g = 0; g < d->topo->nglobals; g++) {
        fr_kvstore_t *kv = global_task(d, g) ? fr_task_kvstore(global_task(d, g), name) : NULL;
        if (kv)
            return kv;
    }
    return NULL;
}

static int append(fr_test_driver_t *d, const char *topic, int32_t partition, fr_slice_t key, fr_slice_t value,
                  int64_t ts, const fr_header_t *headers, size_t nheaders, size_t *tidx, size_t *ridx) {
    dtopic_t *t = topic_get(d, topic, 1);
    if (!t)
        return FR_ERR_NOMEM;
    if (partition < 0)
        partition = fr_default_partition(key, d->partitions);
    if (partition >= d->partitions)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (FR_ARRAY_GROW(t->recs, t->cap, t->n + 1, 64))
        return FR_ERR_NOMEM;
    drec_t *r = &t->recs[t->n];
    memset(r, 0, sizeof *r);
    r->partition = partition;
    r->offset = t->next_offset[partition]++;
    r->ts = ts;
    r->key = copy_slice(key);
    r->value = copy_slice(value);
    if (r->key.len == -2 || r->value.len == -2)
        return FR_ERR_NOMEM;
    if (nheaders) {
        r->headers = calloc(nheaders, sizeof *r->headers);
        if (!r->headers)
            return FR_ERR_NOMEM;
        for (size_t i = 0; i < nheaders; i++) {
            r->headers[i].key = strdup(headers[i].key ? headers[i].key : "");
            r->headers[i].value = copy_slice(headers[i].value);
        }
        r->nheaders = nheaders;
    }
    *tidx = (size_t)(t - d->topics);
    *ridx = t->n++;
    return 0;
}

static int enqueue(fr_test_driver_t *d, size_t tidx, size_t ridx) {
    if (d->qhead + d->qlen == d->qcap) {
        if (d->qhead) {
            memmove(d->queue, d->queue + d->qhead, d->qlen * sizeof *d->queue);
            d->qhead = 0;
        } else if (FR_ARRAY_GROW(d->queue, d->qcap, d->qcap + 1, 64)) {
            return FR_ERR_NOMEM;
        }
    }
    d->queue[d->qhead + d->qlen++] = (work_t){tidx, ridx};
    return 0;
}

static int io_send(void *ctx, const char *topic, int32_t partition, fr_slice_t key, fr_slice_t value, int64_t ts,
                   const fr_header_t *headers, size_t nheaders) {
    fr_test_driver_t *d = ctx;
    size_t ti, ri;
    int rc = append(d, topic, partition, key, value, ts, headers, nheaders, &ti, &ri);
    if (rc)
        return rc;
    d->sent++;
    return reader_of(d, topic) >= 0 || global_of(d, topic) >= 0 ? enqueue(d, ti, ri) : 0;
}

static int32_t io_partition_count(void *ctx, const char *topic) { return ((fr_test_driver_t *)ctx)->partitions; }

static int run(fr_test_driver_t *d, const char *topic, const drec_t *r) {
    long s = reader_of(d, topic), g = s < 0 ? global_of(d, topic) : -1;
    if (s < 0 && g < 0)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    fr_record_in_t in = {topic, r->partition, r->offset, r->ts, r->key, r->value, r->headers, r->nheaders};
    if (g >= 0) /* a global table reads every partition */
        return fr_task_process(global_task(d, (size_t)g), &in);
    return fr_task_process(d->tasks[(size_t)s * (size_t)d->partitions + (size_t)r->partition], &in);
}

static int drain(fr_test_driver_t *d) {
    while (d->qlen) {
        work_t w = d->queue[d->qhead++];
        d->qlen--;
        dtopic_t *t = &d->topics[w.topic];
        int rc = run(d, t->name, &t->recs[w.rec]);
        if (rc) {
            d->qhead = d->qlen = 0;
            return rc;
        }
    }
    d->qhead = 0;
    return 0;
}

int fr_test_driver_new(const fr_topology_t *topo, const fr_streams_config_t *cfg, const fr_test_driver_opts_t *opts,
                       fr_test_driver_t **out, char *err, size_t errlen) {
    if (!topo || !cfg || !out)
        return FR_ERR_INVALID_ARG;
    *out = NULL;
    fr_test_driver_t *d = calloc(1, sizeof *d);
    if (!d)
        return FR_ERR_NOMEM;
    d->topo = topo;
    d->partitions = opts && opts->partitions > 0 ? opts->partitions : 1;
    d->wall = d->last_commit = opts ? opts->start_wall_clock_ms : 0;
    d->commit_interval = fr_streams_config_get_int(cfg, FR_STREAMS_COMMIT_INTERVAL_MS);
    d->io = (fr_task_io_t){d, io_send, io_partition_count};
    char tmpl[] = "/tmp/fr-test-driver-XXXXXX";
    int rc = FR_ERR_NOMEM;
    if (!mkdtemp(tmpl)) {
        fr_errorf(err, errlen, "test driver: cannot create a temp dir");
        free(d);
        return FR_ERR_IO;
    }
    d->tmpdir = strdup(tmpl);
    size_t al = strlen(tmpl) + strlen(topo->app_id) + 2;
    d->appdir = malloc(al);
    d->ntasks = topo->nsubs * (size_t)d->partitions + topo->nglobals;
    d->tasks = calloc(d->ntasks + 1, sizeof *d->tasks);
    if (!d->tmpdir || !d->appdir || !d->tasks)
        goto fail;
    snprintf(d->appdir, al, "%s/%s", tmpl, topo->app_id);
    int64_t cache = fr_streams_config_get_int(cfg, FR_STREAMS_CACHE_MAX_BYTES);
    size_t share = cache > 0 ? (size_t)cache / d->ntasks : 0;
    if (cache > 0 && share == 0)
        share = 1;
    fr_task_opts_t to = {d->appdir, share, d->wall,
                         (size_t)fr_streams_config_get_int(cfg, FR_STREAMS_STATE_STORE_MAP_BYTES)};
    for (size_t s = 0; s < topo->nsubs; s++)
        for (int32_t p = 0; p < d->partitions; p++)
            if ((rc = fr_task_open(topo, s, p, &to, &d->io, &d->tasks[s * (size_t)d->partitions + (size_t)p]))) {
                fr_errorf(err, errlen, "test driver: task %zu_%d failed to open: %s", s, p, fr_err_str(rc));
                goto fail;
            }
    for (size_t g = 0; g < topo->nglobals; g++)
        if ((rc = fr_task_open_global(topo, g, &to, &d->io, &d->tasks[topo->nsubs * (size_t)d->partitions + g]))) {
            fr_errorf(err, errlen, "test driver: global task %zu failed to open: %s", g, fr_err_str(rc));
            goto fail;
        }
    for (size_t i = 0; i < d->ntasks; i++)
        fr_task_set_global_stores(d->tasks[i], global_store, d);
    *out = d;
    return 0;
fail:
    fr_test_driver_free(d);
    return rc;
}

void fr_test_driver_free(fr_test_driver_t *d) {
    if (!d)
        return;
    if (d->tasks) {
        for (size_t i = 0; i < d->ntasks; i++)
            if (d->tasks[i])
                fr_task_flush(d->tasks[i]);
        drain(d);
        for (size_t i = 0; i < d->ntasks; i++)
            fr_task_close(d->tasks[i]);
    }
    if (d->tmpdir)
        fr_rmtree(d->tmpdir);
    for (size_t i = 0; i < d->ntopics; i++) {
        dtopic_t *t = &d->topics[i];
        for (size_t k = 0; k < t->n; k++) {
            free((void *)t->recs[k].key.ptr);
            free((void *)t->recs[k].value.ptr);
            for (size_t h = 0; h < t->recs[k].nheaders; h++) {
                free((void *)t->recs[k].headers[h].key);
                free((void *)t->recs[k].headers[h].value.ptr);
            }
            free(t->recs[k].headers);
        }
        free(t->recs);
        free(t->next_offset);
        free(t->name);
    }
    free(d->topics);
    free(d->names);
    free(d->queue);
    free(d->tasks);
    free(d->tmpdir);
    free(d->appdir);
    free(d);
}

int fr_test_driver_pipe_raw(fr_test_driver_t *d, const char *topic, fr_slice_t key, fr_slice_t value, int64_t ts,
                            const fr_header_t *headers, size_t nheaders) {
    if (!d || !topic)
        return FR_ERR_INVALID_ARG;
    if (reader_of(d, topic) < 0 && global_of(d, topic) < 0)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    /* Piped input is not kept as a readable topic, only its offsets count. */
    dtopic_t *t = topic_get(d, topic, 1);
    if (!t)
        return FR_ERR_NOMEM;
    drec_t r = {fr_default_partition(key, d->partitions), 0, key, value, ts, (fr_header_t *)headers, nheaders};
    r.offset = t->next_offset[r.partition]++;
    int rc = run(d, topic, &r);
    if (rc == 0)
        rc = drain(d);
    d->qhead = d->qlen = 0;
    return rc;
}

int fr_test_driver_pipe(fr_test_driver_t *d, const char *topic, const fr_datum_t *key, const fr_datum_t *value,
                        int64_t ts) {
    static const fr_serde_t *(*const by_type[])(void) = {fr_serde_bytes, fr_serde_string, fr_serde_int64,
                                                         fr_serde_double, fr_serde_json};
    uint8_t kb[8], vb[8];
    fr_slice_t k = FR_SLICE_NULL, v = FR_SLICE_NULL;
    int rc;
    if (key && !key->is_null && (rc = fr_serde_encode(by_type[key->type](), key, kb, &k)))
        return rc;
    if (value && !value->is_null && (rc = fr_serde_encode(by_type[value->type](), value, vb, &v)))
        return rc;
    return fr_test_driver_pipe_raw(d, topic, k, v, ts, NULL, 0);
}

int fr_test_driver_read(fr_test_driver_t *d, const char *topic, fr_test_record_t *out) {
    dtopic_t *t = d && topic ? topic_get(d, topic, 0) : NULL;
    if (!t || t->read >= t->n)
        return 0;
    drec_t *r = &t->recs[t->read++];
    *out = (fr_test_record_t){t->name, r->partition, r->offset, r->key, r->value, r->ts, r->headers, r->nheaders};
    return 1;
}

size_t fr_test_driver_unread(const fr_test_driver_t *d, const char *topic) {
    for (size_t i = 0; d && topic && i < d->ntopics; i++)
        if (!strcmp(d->topics[i].name, topic))
            return d->topics[i].n - d->topics[i].read;
    return 0;
}

const char *const *fr_test_driver_topics(fr_test_driver_t *d, size_t *n) {
    *n = d ? d->ntopics : 0;
    return d ? d->names : NULL;
}

int fr_test_driver_kv_get(fr_test_driver_t *d, const char *store, const fr_datum_t *key, fr_datum_t *value) {
    if (!d || !store || !key || !value)
        return FR_ERR_INVALID_ARG;
    const fr_store_def_t *def = fr_graph_find_store(d->topo->g, store);
    if (!def)
        return FR_ERR_INVALID_ARG;
    const fr_serde_t *ks = def->key_serde ? def->key_serde : d->topo->default_key_serde;
    const fr_serde_t *vs = def->value_serde ? def->value_serde : d->topo->default_value_serde;
    uint8_t kb[8];
    fr_slice_t k, v;
    int rc = fr_serde_encode(ks, key, kb, &k);
    if (rc)
        return rc;
    fr_task_t *t = def->owner && def->owner->global
                       ? global_task(d, def->sub)
                       : d->tasks[def->sub * (size_t)d->partitions + (size_t)fr_default_partition(k, d->partitions)];
    fr_kvstore_t *kv = fr_task_kvstore(t, store);
    if (!kv)
        return FR_ERR_INVALID_ARG;
    /* A KTable's store keeps timestamps: the query gets the plain value. */
    if ((rc = fr_tsv_get(kv, def, k, &v, NULL)))
        return rc;
    fr_serde_view(vs, v, value);
    return 0;
}

int fr_test_driver_commit(fr_test_driver_t *d) {
    if (!d)
        return FR_ERR_INVALID_ARG;
    /* A flush upstream can fill a cache downstream: repeat until quiet. */
    for (int round = 0; round < 16; round++) {
        size_t before = d->sent;
        for (size_t i = 0; i < d->ntasks; i++) {
            int rc = fr_task_flush(d->tasks[i]);
            if (rc == 0)
                rc = drain(d);
            if (rc)
                return rc;
        }
        if (d->sent == before)
            break;
    }
    for (size_t i = 0; i < d->ntasks; i++) {
        size_t nc;
        const fr_task_changelog_t *cl = fr_task_changelogs(d->tasks[i], &nc);
        fr_store_offset_t offs[64];
        size_t no = 0;
        for (size_t c = 0; c < nc && no < 64; c++) {
            dtopic_t *t = topic_get(d, cl[c].topic, 0);
            if (t)
                offs[no++] = (fr_store_offset_t){cl[c].topic, cl[c].partition, t->next_offset[cl[c].partition]};
        }
        int rc = fr_task_commit(d->tasks[i], offs, no);
        if (rc)
            return rc;
    }
    d->last_commit = d->wall;
    return 0;
}

int fr_test_driver_advance_wall_clock(fr_test_driver_t *d, int64_t ms) {
    if (!d || ms < 0)
        return FR_ERR_INVALID_ARG;
    d->wall += ms;
    for (size_t i = 0; i < d->ntasks; i++) {
        int rc = fr_task_punctuate_wall(d->tasks[i], d->wall);
        if (rc == 0)
            rc = drain(d);
        if (rc)
            return rc;
    }
    if (d->wall - d->last_commit >= d->commit_interval)
        return fr_test_driver_commit(d);
    return 0;
}

void fr_test_driver_metrics(const fr_test_driver_t *d, fr_test_driver_metrics_t *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; d && i < d->ntasks; i++) {
        fr_task_metrics_t tm;
        fr_task_metrics(d->tasks[i], &tm);
        m->processed += tm.processed;
        m->dropped += tm.dropped;
        m->dropped_late += tm.dropped_late;
    }
}
