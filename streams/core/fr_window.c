/*
 * fr_window.c — windowedBy on a KGroupedStream and windowed count / reduce /
 * aggregate (streams_windows.h); the time-window (tumbling and hopping)
 * processor, Kafka's KStreamWindowAggregate.  Sliding windows live in
 * fr_window_sliding.c, sessions in fr_window_session.c.
 *
 * Like fr_aggregate.c, a windowed aggregation never forwards by itself: it
 * writes its store, and the store's listener (fr_task.c) sends each window's
 * change to the children with the windowed key.
 */
#include <string.h>

#include "fr_window.h"

struct fr_windowed_stream {
    fr_kgrouped_stream_t *g;
    fr_win_arg_t spec;
};

/* Kafka's windowstore.changelog.additional.retention.ms default (1 day). */
#define CHANGELOG_EXTRA_RETENTION_MS 86400000LL

/* ---- specifications ---- */

fr_time_windows_t fr_time_windows_of_size_no_grace(int64_t size_ms) {
    return (fr_time_windows_t){size_ms, size_ms, 0};
}
fr_time_windows_t fr_time_windows_of_size_and_grace(int64_t size_ms, int64_t grace_ms) {
    return (fr_time_windows_t){size_ms, size_ms, grace_ms};
}
fr_time_windows_t fr_time_windows_advance_by(fr_time_windows_t w, int64_t advance_ms) {
    w.advance_ms = advance_ms;
    return w;
}
fr_sliding_windows_t fr_sliding_windows_of(int64_t d, int64_t grace_ms) { return (fr_sliding_windows_t){d, grace_ms}; }
fr_session_windows_t fr_session_windows_of(int64_t gap, int64_t grace_ms) { return (fr_session_windows_t){gap, grace_ms}; }

/* ---- helpers shared by the windowed processors ---- */

void fr_win_put_be64(uint8_t *p, int64_t v) {
    uint64_t x = (uint64_t)v;
    for (int i = 7; i >= 0; i--, x >>= 8)
        p[i] = (uint8_t)x;
}

int64_t fr_win_get_be64(const uint8_t *p) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    return (int64_t)x;
}

int fr_win_fn_failed(const fr_node_t *n, int rc) {
    fr_error("streams", "%s: user function failed: %s", n->name, fr_err_str(rc));
    return rc;
}

int fr_win_drop_null(fr_task_t *t, const fr_node_t *n, const fr_rec_t *r, int value_too) {
    if (!fr_slice_is_null(r->key) && !(value_too && fr_slice_is_null(r->value)))
        return 0;
    const fr_record_context_t *rc = fr_task_record_context(t);
    fr_warn("streams", "%s: skipping record with a null %s (topic %s partition %d offset %lld)", n->name,
            value_too ? "key or value" : "key", rc->topic ? rc->topic : "-", rc->partition, (long long)rc->offset);
    fr_task_count_dropped(t);
    return 1;
}

void fr_win_skip_expired(fr_task_t *t, const fr_node_t *n, int64_t ts, int64_t start, int64_t end) {
    const fr_record_context_t *rc = fr_task_record_context(t);
    fr_warn("streams",
            "%s: skipping record for expired window [%lld,%lld] (timestamp %lld, stream time %lld; topic %s "
            "partition %d offset %lld)",
            n->name, (long long)start, (long long)end, (long long)ts, (long long)fr_task_stream_time(t),
            rc->topic ? rc->topic : "-", rc->partition, (long long)rc->offset);
    fr_task_count_dropped_late(t);
}

int fr_win_initial(const fr_node_t *n, fr_scratch_t *sc, fr_datum_t *out) {
    const fr_win_arg_t *a = n->arg;
    *out = fr_datum_null();
    if (a->agg == FR_WAGG_COUNT)
        *out = fr_datum_i64(0);
    else if (a->agg == FR_WAGG_AGGREGATE) {
        int rc = a->init(a->ctx, out, sc);
        if (rc < 0)
            return fr_win_fn_failed(n, rc);
    }
    return 0;
}

int fr_win_add(const fr_node_t *n, const fr_datum_t *k, const fr_datum_t *v, const fr_datum_t *agg, fr_datum_t *out,
               fr_scratch_t *sc) {
    const fr_win_arg_t *a = n->arg;
    int rc = 0;
    *out = fr_datum_null();
    switch (a->agg) {
    case FR_WAGG_COUNT:
        *out = fr_datum_i64((agg->is_null ? 0 : agg->i64) + 1);
        break;
    case FR_WAGG_REDUCE:
        if (agg->is_null)
            *out = *v;
        else
            rc = a->reducer(a->ctx, agg, v, out, sc);
        break;
    case FR_WAGG_AGGREGATE:
        rc = a->adder(a->ctx, k, v, agg, out, sc);
        break;
    }
    return rc < 0 ? fr_win_fn_failed(n, rc) : 0;
}

int fr_win_copy(fr_task_t *t, fr_slice_t in, fr_slice_t *out) {
    *out = in;
    if (fr_slice_is_null(in) || in.len == 0)
        return 0;
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), (size_t)in.len);
    if (!p)
        return FR_ERR_NOMEM;
    memcpy(p, in.ptr, (size_t)in.len);
    out->ptr = p;
    return 0;
}

int fr_win_encode(fr_task_t *t, const fr_node_t *n, const fr_datum_t *agg, int with_ts, int64_t ts, fr_slice_t *out) {
    const fr_win_arg_t *a = n->arg;
    uint8_t buf[8];
    fr_slice_t enc;
    int rc = fr_task_encode(t, n, fr_task_value_serde(t, a->store->value_serde), agg, buf, &enc);
    if (rc)
        return rc;
    if (fr_slice_is_null(enc)) {
        *out = enc;
        return 0;
    }
    size_t off = with_ts ? 8 : 0;
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), (size_t)enc.len + off + 1);
    if (!p)
        return FR_ERR_NOMEM;
    if (with_ts)
        fr_win_put_be64(p, ts);
    if (enc.len)
        memcpy(p + off, enc.ptr, (size_t)enc.len);
    *out = (fr_slice_t){p, (int32_t)(enc.len + (int32_t)off)};
    return 0;
}

/* ---- time windows: Kafka's KStreamWindowAggregate ---- */

static int win_init(fr_task_t *t, fr_node_t *n, void **state) {
    fr_win_arg_t *a = n->arg;
    if (a->kind == FR_WIN_SESSION)
        *state = fr_task_sessstore(t, a->store->name);
    else
        *state = fr_task_winstore(t, a->store->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* Every window containing ts gets the record, unless it is closed (its end
 * at or before stream time - grace). */
static int time_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    fr_win_arg_t *a = n->arg;
    if (fr_win_drop_null(t, n, r, 0)) /* a null value is aggregated, as in Kafka */
        return 0;
    int64_t now = fr_task_stream_time(t), ts = r->ts, close = fr_time_sub(now, a->grace);
    int rc = fr_winstore_advance(state, now);
    if (rc)
        return rc;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    const fr_serde_t *as = fr_task_value_serde(t, a->store->value_serde);
    fr_scratch_t *sc = fr_task_scratch(t);
    int64_t first = ts - a->size + a->advance;
    first = (first > 0 ? first : 0) / a->advance * a->advance;
    /* counted, not start += advance: past the last start that could overflow */
    int64_t nwin = ts < first ? 0 : (ts / a->advance * a->advance - first) / a->advance + 1;
    for (int64_t i = 0; i < nwin; i++) {
        int64_t start = first + i * a->advance, end = fr_time_add(start, a->size);
        if (end <= close) {
            fr_win_skip_expired(t, n, ts, start, end);
            continue;
        }
        fr_slice_t old;
        fr_datum_t agg, out;
        int64_t nts = ts;
        rc = fr_winstore_get(state, r->key, start, &old);
        if (rc && rc != FR_ERR_NOT_FOUND)
            return rc;
        if (rc == 0 && old.len >= 8) {
            if ((rc = fr_win_copy(t, old, &old)))
                return rc;
            int64_t ots = fr_win_get_be64(old.ptr);
            nts = ots > ts ? ots : ts;
            fr_serde_view(as, (fr_slice_t){old.ptr + 8, old.len - 8}, &agg);
        } else if ((rc = fr_win_initial(n, sc, &agg))) {
            return rc;
        }
        fr_slice_t enc;
        if ((rc = fr_win_add(n, &k, &v, &agg, &out, sc)) || (rc = fr_win_encode(t, n, &out, 1, nts, &enc)) ||
            (rc = fr_winstore_put(state, r->key, start, enc, nts)))
            return rc;
    }
    return 0;
}

static const fr_node_ops_t time_ops = {"window-aggregate", win_init, time_process, NULL};
static const fr_node_ops_t sliding_ops = {"sliding-window-aggregate", win_init, fr_win_sliding_process, NULL};
static const fr_node_ops_t session_ops = {"session-window-aggregate", win_init, fr_win_session_process, NULL};

const fr_win_arg_t *fr_window_of(const fr_node_t *n) {
    for (; n; n = n->nparents ? n->parents[0] : NULL)
        if (n->ops == &time_ops || n->ops == &sliding_ops || n->ops == &session_ops)
            return n->arg;
    return NULL;
}

/* ---- builder ---- */

static fr_windowed_stream_t *windowed_by(fr_kgrouped_stream_t *g, fr_win_kind_t kind, int64_t size, int64_t advance,
                                         int64_t grace) {
    fr_graph_t *gr = g ? fr_builder_graph(g->s.b) : NULL;
    if (!gr)
        return NULL;
    if (size <= 0 || grace < 0 || (kind == FR_WIN_TIME && (advance <= 0 || advance > size))) {
        fr_graph_fail(gr, FR_ERR_INVALID_ARG,
                      "windowedBy(): invalid windows (size/gap %lld, advance %lld, grace %lld)", (long long)size,
                      (long long)advance, (long long)grace);
        return NULL;
    }
    fr_windowed_stream_t *w = fr_arena_calloc(&g->s.b->handles, 1, sizeof *w);
    if (!w) {
        fr_graph_fail(gr, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->g = g;
    w->spec = (fr_win_arg_t){.kind = kind, .size = size, .advance = advance, .grace = grace};
    return w;
}

fr_windowed_stream_t *fr_kgrouped_stream_windowed_by(fr_kgrouped_stream_t *g, const fr_time_windows_t *w) {
    return w ? windowed_by(g, FR_WIN_TIME, w->size_ms, w->advance_ms, w->grace_ms) : windowed_by(g, 0, 0, 0, -1);
}
fr_windowed_stream_t *fr_kgrouped_stream_windowed_by_sliding(fr_kgrouped_stream_t *g, const fr_sliding_windows_t *w) {
    return windowed_by(g, FR_WIN_SLIDING, w ? w->time_difference_ms : 0, 0, w ? w->grace_ms : -1);
}
fr_windowed_stream_t *fr_kgrouped_stream_windowed_by_session(fr_kgrouped_stream_t *g, const fr_session_windows_t *w) {
    return windowed_by(g, FR_WIN_SESSION, w ? w->gap_ms : 0, 0, w ? w->grace_ms : -1);
}

static int changelog_configs(fr_graph_t *g, fr_store_def_t *def) {
    const char **c = fr_graph_alloc(g, 5 * sizeof *c);
    char ret[32];
    snprintf(ret, sizeof ret, "%lld", (long long)(def->retention_ms + CHANGELOG_EXTRA_RETENTION_MS));
    if (!c || !(c[3] = fr_graph_strdup(g, ret)))
        return FR_ERR_NOMEM;
    c[0] = "cleanup.policy";
    c[1] = "compact,delete";
    c[2] = "retention.ms";
    def->changelog_configs = c;
    return 0;
}

static fr_ktable_t *win_aggregate(fr_windowed_stream_t *w, fr_wagg_kind_t kind, fr_initializer_fn init,
                                  fr_aggregator_fn adder, fr_reducer_fn reducer, fr_merger_fn merger, void *ctx,
                                  const fr_materialized_t *m, int64_t retention_ms) {
    fr_graph_t *g = w ? fr_builder_graph(w->g->s.b) : NULL;
    if (!g)
        return NULL;
    fr_kgrouped_stream_t *gs = w->g;
    if ((kind == FR_WAGG_REDUCE && !reducer) || (kind == FR_WAGG_AGGREGATE && (!init || !adder)) ||
        (kind == FR_WAGG_AGGREGATE && w->spec.kind == FR_WIN_SESSION && !merger)) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "windowed aggregation: missing function");
        return NULL;
    }
    const fr_serde_t *vs;
    if (fr_agg_value_serde(g, kind == FR_WAGG_COUNT, kind == FR_WAGG_REDUCE, gs->value_serde, m, &vs))
        return NULL;
    const fr_serde_t *ks = m && m->key_serde ? m->key_serde : gs->key_serde;
    const char *prefix = kind == FR_WAGG_REDUCE ? "KSTREAM-REDUCE-" : "KSTREAM-AGGREGATE-";
    char sp[64];
    snprintf(sp, sizeof sp, "%sSTATE-STORE-", prefix);
    if (kind == FR_WAGG_COUNT && !(m && m->name))
        g->index++; /* Kafka's windowed count() burns a store name too */
    char *store = m && m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, sp);
    char *name = fr_graph_new_name(g, prefix);
    if (!store || !name)
        return NULL;
    fr_node_t *parent = fr_grouped_stream_source(g, gs, store, ks);
    if (!parent)
        return NULL;
    const fr_node_ops_t *ops = w->spec.kind == FR_WIN_TIME      ? &time_ops
                               : w->spec.kind == FR_WIN_SLIDING ? &sliding_ops
                                                                : &session_ops;
    fr_win_arg_t *a = fr_graph_alloc(g, sizeof *a);
    fr_node_t *n = a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, ops, name, parent, fr_serde_bytes(), vs) : NULL;
    if (!n)
        return NULL;
    *a = w->spec;
    a->agg = kind;
    a->init = init;
    a->adder = adder;
    a->reducer = reducer;
    a->merger = merger;
    a->ctx = ctx;
    if (!(a->store = fr_graph_add_store(g, store, ks, vs, !(m && m->logging_disabled), 1, n)))
        return NULL;
    n->arg = a;
    /* Kafka: the store must keep every window until it closes; sliding
     * windows also need the left neighbours of an open window (2 d + grace). */
    int64_t min_ret = fr_time_add(a->kind == FR_WIN_SLIDING ? fr_time_add(a->size, a->size) : a->size, a->grace);
    a->store->kind = a->kind == FR_WIN_SESSION ? FR_STORE_SESSION : FR_STORE_WINDOW;
    a->store->retention_ms = retention_ms > min_ret ? retention_ms : min_ret;
    a->store->timestamped = a->kind != FR_WIN_SESSION;
    if (changelog_configs(g, a->store)) {
        fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return fr_builder_new_ktable(gs->s.b, n, fr_serde_bytes(), vs, a->store);
}

fr_ktable_t *fr_windowed_stream_count(fr_windowed_stream_t *w, const fr_materialized_t *m, int64_t retention_ms) {
    return win_aggregate(w, FR_WAGG_COUNT, NULL, NULL, NULL, NULL, NULL, m, retention_ms);
}

fr_ktable_t *fr_windowed_stream_reduce(fr_windowed_stream_t *w, fr_reducer_fn fn, void *ctx,
                                       const fr_materialized_t *m, int64_t retention_ms) {
    return win_aggregate(w, FR_WAGG_REDUCE, NULL, NULL, fn, NULL, ctx, m, retention_ms);
}

fr_ktable_t *fr_windowed_stream_aggregate(fr_windowed_stream_t *w, fr_initializer_fn init, fr_aggregator_fn adder,
                                          fr_merger_fn merger, void *ctx, const fr_materialized_t *m,
                                          int64_t retention_ms) {
    return win_aggregate(w, FR_WAGG_AGGREGATE, init, adder, NULL, merger, ctx, m, retention_ms);
}

/* ---- windowed keys ---- */

int fr_windowed_key(const fr_datum_t *d, const fr_serde_t *key_serde, int64_t window_size_ms, fr_windowed_t *out) {
    if (!d || !key_serde || !out || window_size_ms < 0)
        return FR_ERR_INVALID_ARG;
    size_t suffix = window_size_ms > 0 ? 8 : 16;
    if (d->is_null || !d->ptr || d->len < suffix)
        return FR_ERR_PARSE;
    const uint8_t *p = (const uint8_t *)d->ptr;
    size_t kl = d->len - suffix;
    if (window_size_ms > 0) {
        out->start = fr_win_get_be64(p + kl);
        /* Kafka's timeWindowForSize: an end past Long.MAX is truncated to it. */
        out->end = out->start > INT64_MAX - window_size_ms ? INT64_MAX : out->start + window_size_ms;
    } else {
        out->end = fr_win_get_be64(p + kl);
        out->start = fr_win_get_be64(p + kl + 8);
    }
    return fr_serde_decode(key_serde, (fr_slice_t){p, (int32_t)kl}, &out->key);
}
