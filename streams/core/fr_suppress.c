/*
 * fr_suppress.c — KTable#suppress (Kafka's KTableSuppressProcessor with an
 * unbounded buffer): untilWindowCloses and untilTimeLimit.
 *
 * The buffer is a key-value store (logged, so it is restored after a crash
 * like Kafka's changelogged in-memory buffer) with two kinds of entries:
 *   'T' ‖ buffer time (8B BE) ‖ key  →  timestamp (8B BE) ‖ flag ‖ value
 *   'K' ‖ key                        →  buffer time (8B BE)
 * T entries are in eviction order (time, then key bytes); K finds a key's
 * entry.  The buffer time is the window end for final results and the
 * arrival time of the key's first buffered update for a time limit (a later
 * update replaces the value but keeps the time, as Kafka's buffer does).
 * flag is 1 for a value, 0 for a tombstone (kept only with a time limit:
 * final results drop tombstones, Kafka's safeToDropTombstones).
 */
#include <string.h>

#include "fr_window.h"

typedef struct supp_arg {
    fr_suppressed_t s;
    fr_win_kind_t win_kind;
    int64_t win_size, grace; /* of the windowed aggregation (final results) */
    char *store;
} supp_arg_t;

typedef struct evict {
    fr_slice_t tkey, key, value;
    int64_t ts;
} evict_t;

fr_suppressed_t fr_suppressed_until_window_closes(void) {
    return (fr_suppressed_t){FR_SUPPRESS_UNTIL_WINDOW_CLOSES, 0, NULL, 0};
}

fr_suppressed_t fr_suppressed_until_time_limit(int64_t ms) {
    return (fr_suppressed_t){FR_SUPPRESS_UNTIL_TIME_LIMIT, ms, NULL, 0};
}

static int supp_init(fr_task_t *t, fr_node_t *n, void **state) {
    supp_arg_t *a = n->arg;
    *state = fr_task_kvstore(t, a->store);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* 'T'/'K' prefixed keys in scratch. */
static uint8_t *prefixed(fr_task_t *t, char tag, const int64_t *time, fr_slice_t key, fr_slice_t *out) {
    size_t n = 1 + (time ? 8 : 0) + (size_t)(key.len > 0 ? key.len : 0);
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), n);
    if (!p)
        return NULL;
    p[0] = (uint8_t)tag;
    if (time)
        fr_win_put_be64(p + 1, *time);
    if (key.len > 0)
        memcpy(p + n - (size_t)key.len, key.ptr, (size_t)key.len);
    *out = (fr_slice_t){p, (int32_t)n};
    return p;
}

/* The buffer time of a windowed key: its window end. */
static int window_end(const supp_arg_t *a, fr_slice_t key, int64_t *end) {
    if (a->win_kind == FR_WIN_SESSION) {
        if (key.len < 16)
            return FR_ERR_PARSE;
        *end = fr_win_get_be64(key.ptr + key.len - 16);
    } else {
        if (key.len < 8)
            return FR_ERR_PARSE;
        *end = fr_win_get_be64(key.ptr + key.len - 8) + a->win_size;
    }
    return 0;
}

static int remove_entry(fr_task_t *t, fr_kvstore_t *kv, fr_slice_t key, int64_t ts) {
    fr_slice_t kk, tk, tv;
    if (!prefixed(t, 'K', NULL, key, &kk))
        return FR_ERR_NOMEM;
    int rc = fr_kvstore_get(kv, kk, &tv);
    if (rc == FR_ERR_NOT_FOUND)
        return 0;
    if (rc || tv.len != 8)
        return rc ? rc : FR_ERR_CORRUPT;
    int64_t time = fr_win_get_be64(tv.ptr);
    if (!prefixed(t, 'T', &time, key, &tk))
        return FR_ERR_NOMEM;
    if ((rc = fr_kvstore_delete(kv, tk, ts)))
        return rc;
    return fr_kvstore_delete(kv, kk, ts);
}

/* Emits (and removes) every entry whose buffer time is at or before limit. */
static int evict(fr_task_t *t, fr_node_t *n, fr_kvstore_t *kv, int64_t limit) {
    if (limit < 0)
        return 0;
    int64_t upto = limit + 1;
    fr_slice_t from = {(const uint8_t *)"T", 1}, to;
    if (!prefixed(t, 'T', &upto, (fr_slice_t){NULL, 0}, &to))
        return FR_ERR_NOMEM;
    fr_store_iter_t *it;
    int rc = fr_kvstore_range(kv, from, to, &it);
    if (rc)
        return rc;
    evict_t *ev = NULL;
    size_t ne = 0, cap = 0;
    fr_store_entry_t e;
    fr_scratch_t *sc = fr_task_scratch(t);
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (e.key.len < 9 || e.value.len < 9) {
            rc = FR_ERR_CORRUPT;
            break;
        }
        if (fr_win_get_be64(e.key.ptr + 1) > limit)
            break;
        if (ne == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            evict_t *p = fr_scratch_alloc(sc, ncap * sizeof *p);
            if (!p) {
                rc = FR_ERR_NOMEM;
                break;
            }
            if (ne)
                memcpy(p, ev, ne * sizeof *p);
            ev = p;
            cap = ncap;
        }
        evict_t *x = &ev[ne++];
        fr_slice_t k, v;
        if ((rc = fr_win_copy(t, e.key, &k)) || (rc = fr_win_copy(t, e.value, &v)))
            break;
        x->tkey = k;
        x->key = (fr_slice_t){k.ptr + 9, k.len - 9};
        x->ts = fr_win_get_be64(v.ptr);
        x->value = v.ptr[8] ? (fr_slice_t){v.ptr + 9, v.len - 9} : FR_SLICE_NULL;
    }
    fr_store_iter_close(it);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ne; i++) {
        fr_slice_t kk;
        if (!prefixed(t, 'K', NULL, ev[i].key, &kk))
            return FR_ERR_NOMEM;
        if ((rc = fr_kvstore_delete(kv, ev[i].tkey, ev[i].ts)) || (rc = fr_kvstore_delete(kv, kk, ev[i].ts)))
            return rc;
        fr_rec_t out = {ev[i].key, ev[i].value, FR_SLICE_NULL, 1, ev[i].ts, NULL, 0};
        if ((rc = fr_task_forward(t, n, &out)))
            return rc;
    }
    return 0;
}

static int supp_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    supp_arg_t *a = n->arg;
    fr_kvstore_t *kv = state;
    int final = a->s.mode == FR_SUPPRESS_UNTIL_WINDOW_CLOSES;
    int64_t time = r->ts;
    int rc;
    if (fr_slice_is_null(r->key))
        return 0; /* tables have no null keys */
    if (final && (rc = window_end(a, r->key, &time))) {
        fr_error("streams", "%s: a key that is not a windowed key reached untilWindowCloses", n->name);
        return rc;
    }
    if (final && fr_slice_is_null(r->value)) {
        rc = remove_entry(t, kv, r->key, r->ts);
    } else {
        fr_slice_t kk, tk, tv, bv;
        if (!prefixed(t, 'K', NULL, r->key, &kk))
            return FR_ERR_NOMEM;
        rc = fr_kvstore_get(kv, kk, &tv);
        if (rc == 0 && tv.len == 8)
            time = fr_win_get_be64(tv.ptr); /* keep the first update's time */
        else if (rc && rc != FR_ERR_NOT_FOUND)
            return rc;
        int32_t vl = fr_slice_is_null(r->value) ? 0 : r->value.len;
        uint8_t *v = fr_scratch_alloc(fr_task_scratch(t), (size_t)vl + 9), tb[8];
        if (!v || !prefixed(t, 'T', &time, r->key, &tk))
            return FR_ERR_NOMEM;
        fr_win_put_be64(v, r->ts);
        v[8] = !fr_slice_is_null(r->value);
        if (vl)
            memcpy(v + 9, r->value.ptr, (size_t)vl);
        bv = (fr_slice_t){v, vl + 9};
        fr_win_put_be64(tb, time);
        if ((rc = fr_kvstore_put(kv, tk, bv, r->ts)) || (rc = fr_kvstore_put(kv, kk, (fr_slice_t){tb, 8}, r->ts)))
            return rc;
    }
    if (rc)
        return rc;
    int64_t now = fr_task_stream_time(t);
    return evict(t, n, kv, final ? fr_time_sub(now, a->grace) : fr_time_sub(now, a->s.time_limit_ms));
}

static const fr_node_ops_t supp_ops = {"suppress", supp_init, supp_process, NULL};

fr_ktable_t *fr_ktable_suppress(fr_ktable_t *t, const fr_suppressed_t *s) {
    fr_graph_t *g = t ? fr_builder_graph(t->b) : NULL;
    if (!g)
        return NULL;
    if (!s || (s->mode == FR_SUPPRESS_UNTIL_TIME_LIMIT && s->time_limit_ms < 0)) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "suppress(): invalid Suppressed");
        return NULL;
    }
    const fr_win_arg_t *w = fr_window_of(t->node);
    if (s->mode == FR_SUPPRESS_UNTIL_WINDOW_CLOSES && !w) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "suppress(untilWindowCloses) needs a windowed KTable");
        return NULL;
    }
    char *name = fr_graph_name_or(g, s->name, "KTABLE-SUPPRESS-");
    char *store = NULL;
    if (s->name) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s-store", s->name);
        store = fr_graph_strdup(g, buf);
    } else {
        store = fr_graph_new_name(g, "KTABLE-SUPPRESS-STATE-STORE-");
    }
    supp_arg_t *a = fr_graph_alloc(g, sizeof *a);
    fr_node_t *n = name && store && a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &supp_ops, name, t->node, t->key_serde,
                                                          t->value_serde)
                                      : NULL;
    if (!n)
        return NULL;
    a->s = *s;
    a->s.name = NULL; /* not kept: the caller's string */
    a->store = store;
    if (w) {
        a->win_kind = w->kind;
        a->win_size = w->size;
        a->grace = w->grace;
    }
    n->arg = a;
    /* The store is the node's own buffer: no owner, so nothing forwards from it. */
    if (!fr_graph_add_store(g, store, fr_serde_bytes(), fr_serde_bytes(), !s->logging_disabled, 0, NULL) ||
        fr_graph_node_add_store(g, n, store))
        return NULL;
    return fr_builder_new_ktable(t->b, n, t->key_serde, t->value_serde, NULL);
}
