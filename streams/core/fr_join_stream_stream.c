/*
 * fr_join_stream_stream.c — windowed KStream-KStream join, leftJoin and
 * outerJoin (Kafka's KStreamImplJoin, KStreamJoinWindow, KStreamKStreamJoin
 * with the ≥ 3.1 outer-join fix).
 *
 * Layout as Kafka's: each side goes through KSTREAM-WINDOWED, which forwards
 * the record and then keeps it in that side's window store (duplicates
 * retained, retention before + after + grace); KSTREAM-JOINTHIS (or
 * OUTERTHIS) joins the left records with the right store, JOINOTHER (or
 * OUTEROTHER) the right records with the left store, and KSTREAM-MERGE
 * unites their outputs.
 *
 * Left/outer joins.  A record that finds no partner is not emitted at once
 * (a partner may still come within the window): it waits in a shared
 * key-value store keyed by timestamp ‖ side ‖ key, is removed when a partner
 * arrives, and is emitted with a null partner once its window has closed
 * (ts + after + grace < stream time, after/before by side), checked whenever
 * a record advances stream time.  Both join nodes share one stream time, the
 * highest timestamp either has seen (Kafka's shared time tracker).
 */
#include <stdio.h>
#include <string.h>

#include "fr_join.h"
#include "fr_store.h"
#include "fr_time.h"

typedef struct ss_arg {
    fr_join_inputs_t in; /* first: co-partition walk */
    fr_value_joiner_fn fn;
    void *ctx;
    int side;           /* 0: left (this) records, 1: right (other) records */
    int outer;          /* this side's unmatched records are emitted with a null partner */
    int64_t before, after, grace; /* from this side's point of view */
    int64_t win_before, win_after; /* the JoinWindows' own before/after */
    fr_store_def_t *other_store, *shared; /* shared: NULL for inner joins */
    fr_node_t *owner;   /* the left join node: owns the time tracker */
} ss_arg_t;

typedef struct windowed_arg {
    fr_store_def_t *store;
} windowed_arg_t;

/* Per-task state shared by the two join nodes (Kafka's TimeTracker). */
typedef struct tracker {
    int64_t stream_time, min_time;
} tracker_t;

typedef struct ss_state {
    tracker_t *tr;
    fr_winstore_t *other;
    fr_kvstore_t *shared;
} ss_state_t;

/* ---- KSTREAM-WINDOWED ---- */

static int windowed_init(fr_task_t *t, fr_node_t *n, void **state) {
    windowed_arg_t *a = n->arg;
    *state = fr_task_winstore(t, a->store->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* Forward first, then store (Kafka's order).  A record older than the
 * store's retention cannot be kept: it is counted as late. */
static int windowed_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    windowed_arg_t *a = n->arg;
    int rc = fr_task_forward(t, n, r);
    if (rc || fr_slice_is_null(r->key) || fr_slice_is_null(r->value))
        return rc;
    if ((rc = fr_winstore_advance(state, r->ts)))
        return rc;
    int64_t observed = fr_task_stream_time(t);
    if (r->ts <= fr_time_sub(observed, a->store->retention_ms)) {
        const fr_record_context_t *c = fr_task_record_context(t);
        fr_warn("streams", "%s: skipping record for an expired window (ts %lld, stream time %lld; topic %s "
                "partition %d offset %lld)", n->name, (long long)r->ts, (long long)observed, c->topic ? c->topic : "-",
                c->partition, (long long)c->offset);
        fr_task_count_dropped_late(t);
        return 0;
    }
    return fr_winstore_put(state, r->key, r->ts, r->value, r->ts);
}

static const fr_node_ops_t windowed_ops = {"join-window", windowed_init, windowed_process, NULL};

/* ---- the join nodes ---- */

static int ss_init(fr_task_t *t, fr_node_t *n, void **state) {
    ss_arg_t *a = n->arg;
    ss_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return FR_ERR_NOMEM;
    *state = s;
    if (!(s->other = fr_task_winstore(t, a->other_store->name)))
        return FR_ERR_NOT_FOUND;
    if (a->shared && !(s->shared = fr_task_kvstore(t, a->shared->name)))
        return FR_ERR_NOT_FOUND;
    if (a->side == 0) {
        if (!(s->tr = malloc(sizeof *s->tr)))
            return FR_ERR_NOMEM;
        /* min_time 0: records left in the shared store by an earlier run are looked at on the first record. */
        *s->tr = (tracker_t){-1, 0};
    } else {
        ss_state_t *left = fr_task_node_state(t, a->owner); /* inited first: lower id */
        if (!left || !left->tr)
            return FR_ERR_NOT_FOUND;
        s->tr = left->tr;
    }
    return 0;
}

static void ss_close(fr_task_t *t, fr_node_t *n, void *state) {
    ss_arg_t *a = n->arg;
    ss_state_t *s = state;
    if (!s)
        return;
    if (a->side == 0)
        free(s->tr);
    free(s);
}

static void be64(uint8_t *p, int64_t v) {
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
        p[i] = (uint8_t)v;
}
static int64_t rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Shared store key: ts (8 bytes BE) ‖ side (0 right, 1 left: Kafka's order) ‖ key. */
static fr_slice_t shared_key(fr_task_t *t, int64_t ts, int left, fr_slice_t key) {
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), (size_t)key.len + 9);
    if (!p)
        return (fr_slice_t){NULL, -2};
    be64(p, ts);
    p[8] = (uint8_t)(left != 0);
    memcpy(p + 9, key.ptr, (size_t)key.len);
    return (fr_slice_t){p, key.len + 9};
}

/* Values waiting under one shared key: a list of (int32 BE length, bytes),
 * Kafka's ListValueStore for duplicates of key and timestamp. */
static int shared_append(fr_task_t *t, fr_kvstore_t *kv, fr_slice_t sk, fr_slice_t v, int64_t ts) {
    fr_slice_t cur = FR_SLICE_NULL;
    int rc = fr_kvstore_get(kv, sk, &cur);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    int32_t have = fr_slice_is_null(cur) ? 0 : cur.len;
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), (size_t)have + 4 + (size_t)v.len);
    if (!p)
        return FR_ERR_NOMEM;
    if (have)
        memcpy(p, cur.ptr, (size_t)have);
    uint32_t l = (uint32_t)v.len;
    p[have] = (uint8_t)(l >> 24), p[have + 1] = (uint8_t)(l >> 16), p[have + 2] = (uint8_t)(l >> 8);
    p[have + 3] = (uint8_t)l;
    memcpy(p + have + 4, v.ptr, (size_t)v.len);
    return fr_kvstore_put(kv, sk, (fr_slice_t){p, have + 4 + v.len}, ts);
}

/* Joins with a missing partner and forwards: left records as (v, null), right ones as (null, v). */
static int forward_unmatched(fr_task_t *t, fr_node_t *n, fr_slice_t key, int left, fr_slice_t v, int64_t ts,
                             const fr_serde_t *lvs, const fr_serde_t *rvs) {
    ss_arg_t *a = n->arg;
    fr_datum_t k, mine, none = fr_datum_null();
    fr_serde_view(fr_task_in_key_serde(t, n), key, &k);
    fr_serde_view(left ? lvs : rvs, v, &mine);
    fr_rec_t o = {key, FR_SLICE_NULL, FR_SLICE_NULL, 0, ts, NULL, 0};
    int rc = left ? fr_join_apply(t, n, a->fn, a->ctx, &k, &mine, &none, &o.value)
                  : fr_join_apply(t, n, a->fn, a->ctx, &k, &none, &mine, &o.value);
    return rc ? rc : fr_task_forward(t, n, &o);
}

/* Value serdes of the left and right records (each join node reads its own side). */
static void side_serdes(fr_task_t *t, fr_node_t *n, const fr_serde_t **lvs, const fr_serde_t **rvs) {
    ss_arg_t *a = n->arg;
    const fr_serde_t *mine = fr_task_in_value_serde(t, n);
    const fr_serde_t *theirs = fr_task_value_serde(t, a->other_store->value_serde);
    *lvs = a->side == 0 ? mine : theirs;
    *rvs = a->side == 0 ? theirs : mine;
}

/* Emits the waiting records whose window has closed (Kafka's emitNonJoinedOuterRecords). */
static int emit_closed(fr_task_t *t, fr_node_t *n, ss_state_t *s) {
    ss_arg_t *a = n->arg;
    tracker_t *tr = s->tr;
    if (fr_time_add(fr_time_add(tr->min_time, a->after), a->grace) >= tr->stream_time)
        return 0;
    const fr_serde_t *lvs, *rvs;
    side_serdes(t, n, &lvs, &rvs);
    fr_scratch_t *sc = fr_task_scratch(t);
    fr_store_iter_t *it = NULL;
    int rc = fr_kvstore_range(s->shared, FR_SLICE_NULL, FR_SLICE_NULL, &it);
    if (rc)
        return rc;
    /* Copies of what to emit: forwarding may write to the environment, which ends the iterator's view. */
    typedef struct pend { fr_slice_t sk, val; } pend_t;
    pend_t *pend = NULL;
    size_t np = 0, cap = 0;
    int left_open = 0, right_open = 0;
    fr_store_entry_t e;
    tr->min_time = INT64_MAX;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (e.key.len < 9)
            continue;
        int64_t ts = rd64(e.key.ptr);
        int left = e.key.ptr[8] != 0;
        tr->min_time = ts;
        if (left_open && right_open)
            break;
        int64_t lookback = left ? a->win_after : a->win_before;
        if (fr_time_add(fr_time_add(ts, lookback), a->grace) >= tr->stream_time) {
            if (left)
                left_open = 1;
            else
                right_open = 1;
            continue;
        }
        if (np == cap) {
            size_t nc = cap ? cap * 2 : 16;
            pend_t *p = fr_scratch_alloc(sc, nc * sizeof *p);
            if (!p) {
                rc = FR_ERR_NOMEM;
                break;
            }
            if (np)
                memcpy(p, pend, np * sizeof *p);
            pend = p, cap = nc;
        }
        uint8_t *kc = fr_scratch_alloc(sc, (size_t)e.key.len + (size_t)e.value.len + 1);
        if (!kc) {
            rc = FR_ERR_NOMEM;
            break;
        }
        memcpy(kc, e.key.ptr, (size_t)e.key.len);
        memcpy(kc + e.key.len, e.value.ptr, (size_t)e.value.len);
        pend[np++] = (pend_t){{kc, e.key.len}, {kc + e.key.len, e.value.len}};
    }
    fr_store_iter_close(it);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < np; i++) {
        fr_slice_t key = {pend[i].sk.ptr + 9, pend[i].sk.len - 9};
        int64_t ts = rd64(pend[i].sk.ptr);
        int left = pend[i].sk.ptr[8] != 0;
        const uint8_t *p = pend[i].val.ptr, *end = p + pend[i].val.len;
        while (end - p >= 4) {
            int32_t l = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
            if (l < 0 || l > end - p - 4)
                return FR_ERR_CORRUPT;
            if ((rc = forward_unmatched(t, n, key, left, (fr_slice_t){p + 4, l}, ts, lvs, rvs)))
                return rc;
            p += 4 + l;
        }
        if ((rc = fr_kvstore_delete(s->shared, pend[i].sk, ts)))
            return rc;
    }
    return 0;
}

static int ss_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    ss_arg_t *a = n->arg;
    ss_state_t *s = state;
    tracker_t *tr = s->tr;
    if (r->ts > tr->stream_time)
        tr->stream_time = r->ts;
    fr_datum_t k, v, none = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    int null_key = fr_slice_is_null(r->key);
    if (a->outer && null_key && !fr_slice_is_null(r->value)) {
        fr_rec_t o = *r;
        int rc = a->side == 0 ? fr_join_apply(t, n, a->fn, a->ctx, &k, &v, &none, &o.value)
                              : fr_join_apply(t, n, a->fn, a->ctx, &k, &none, &v, &o.value);
        return rc ? rc : fr_task_forward(t, n, &o);
    }
    if (null_key || fr_slice_is_null(r->value))
        return fr_join_drop(t, n, "null key or value");
    int rc;
    if (s->shared && r->ts == tr->stream_time && (rc = emit_closed(t, n, s)))
        return rc;
    int64_t from = fr_time_sub(r->ts, a->before), to = fr_time_add(r->ts, a->after);
    from = from < 0 ? 0 : from;
    to = to < 0 ? 0 : to;
    const fr_serde_t *ovs = fr_task_value_serde(t, a->other_store->value_serde);
    fr_store_iter_t *it = NULL;
    if ((rc = fr_winstore_fetch(s->other, r->key, from, to, &it)))
        return rc;
    /* Matches are copied out before anything is forwarded (a forward may write to the stores). */
    typedef struct match { fr_slice_t v; int64_t ts; } match_t;
    match_t *m = NULL;
    size_t nm = 0, cap = 0;
    fr_scratch_t *sc = fr_task_scratch(t);
    fr_store_entry_t e;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (nm == cap) {
            size_t nc = cap ? cap * 2 : 8;
            match_t *p = fr_scratch_alloc(sc, nc * sizeof *p);
            if (!p) {
                rc = FR_ERR_NOMEM;
                break;
            }
            if (nm)
                memcpy(p, m, nm * sizeof *p);
            m = p, cap = nc;
        }
        uint8_t *c = fr_scratch_alloc(sc, (size_t)e.value.len + 1);
        if (!c) {
            rc = FR_ERR_NOMEM;
            break;
        }
        memcpy(c, e.value.ptr, (size_t)e.value.len);
        m[nm++] = (match_t){{c, e.value.len}, e.start};
    }
    fr_store_iter_close(it);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nm; i++) {
        if (s->shared) { /* the partner found a match: it no longer waits */
            fr_slice_t sk = shared_key(t, m[i].ts, a->side != 0, r->key);
            if (sk.len < 0)
                return FR_ERR_NOMEM;
            if ((rc = fr_kvstore_delete(s->shared, sk, m[i].ts)))
                return rc;
        }
        fr_datum_t other;
        fr_serde_view(ovs, m[i].v, &other);
        fr_rec_t o = *r;
        o.ts = r->ts > m[i].ts ? r->ts : m[i].ts;
        rc = a->side == 0 ? fr_join_apply(t, n, a->fn, a->ctx, &k, &v, &other, &o.value)
                          : fr_join_apply(t, n, a->fn, a->ctx, &k, &other, &v, &o.value);
        if (rc || (rc = fr_task_forward(t, n, &o)))
            return rc;
    }
    if (nm || !a->outer)
        return 0;
    /* No partner (yet).  Out of order past its window end: emit now, nothing can come. */
    if (!s->shared || to < tr->stream_time) {
        fr_rec_t o = *r;
        rc = a->side == 0 ? fr_join_apply(t, n, a->fn, a->ctx, &k, &v, &none, &o.value)
                          : fr_join_apply(t, n, a->fn, a->ctx, &k, &none, &v, &o.value);
        return rc ? rc : fr_task_forward(t, n, &o);
    }
    if (r->ts < tr->min_time)
        tr->min_time = r->ts;
    fr_slice_t sk = shared_key(t, r->ts, a->side == 0, r->key);
    return sk.len < 0 ? FR_ERR_NOMEM : shared_append(t, s->shared, sk, r->value, r->ts);
}

const fr_node_ops_t fr_join_stream_stream_ops[2] = {
    {"stream-stream-join-this", ss_init, ss_process, ss_close},
    {"stream-stream-join-other", ss_init, ss_process, ss_close},
};

static int pass_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    return fr_task_forward(t, n, r);
}
static const fr_node_ops_t merge_ops = {"stream-stream-merge", NULL, pass_process, NULL};

/* ---- builder ---- */

/* Kafka's NamedInternal#suffixWithOrElseGet: a generated name burns an index
 * even when the user named the join (topology compatibility). */
static char *name_or(fr_graph_t *g, const char *base, const char *suffix, const char *prefix) {
    char *gen = fr_graph_new_name(g, prefix);
    if (!base)
        return gen;
    char buf[300];
    snprintf(buf, sizeof buf, "%s%s", base, suffix);
    return fr_graph_strdup(g, buf);
}

static fr_store_def_t *window_store(fr_graph_t *g, const char *name, const fr_serde_t *ks, const fr_serde_t *vs,
                                    int64_t retention, int logged) {
    fr_store_def_t *d = fr_graph_add_store(g, name, ks, vs, logged, 0, NULL);
    if (!d)
        return NULL;
    d->kind = FR_STORE_WINDOW;
    d->retention_ms = retention;
    d->retain_duplicates = 1;
    /* Kafka's windowed changelogs: compact,delete, retention plus windowstore.changelog.additional.retention.ms (1 day). */
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)fr_time_add(retention, 86400000LL));
    const char **cfg = fr_graph_alloc(g, 5 * sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg[0] = "cleanup.policy", cfg[1] = "compact,delete", cfg[2] = "retention.ms", cfg[3] = fr_graph_strdup(g, ms);
    d->changelog_configs = cfg;
    return cfg[3] ? d : NULL;
}

static fr_kstream_t *stream_join(fr_kstream_t *s, fr_kstream_t *o, fr_value_joiner_fn fn, void *ctx,
                                 fr_join_windows_t w, const fr_serde_t *value_out, const fr_joined_t *j,
                                 int left_outer, int right_outer) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g || !o)
        return NULL;
    const char *what = right_outer ? "outerJoin(KStream)" : left_outer ? "leftJoin(KStream)" : "join(KStream)";
    if (!fn || o->b != s->b || fr_time_add(w.before_ms, w.after_ms) < 0 || w.grace_ms < 0) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: %s", what,
                      !fn ? "no joiner" : o->b != s->b ? "the streams are from different builders"
                                                       : "the window needs before + after >= 0 and grace >= 0");
        return NULL;
    }
    const char *jn = j ? j->name : NULL;
    const fr_serde_t *ks = j && j->key_serde ? j->key_serde : s->key_serde;
    const fr_serde_t *lvs = j && j->value_serde ? j->value_serde : s->value_serde;
    const fr_serde_t *rvs = j && j->other_value_serde ? j->other_value_serde : o->value_serde;
    char buf[300];
    if (jn)
        snprintf(buf, sizeof buf, "%s-left", jn);
    fr_node_t *lin = fr_join_copartitioned(s, jn ? buf : s->node->name, ks, lvs);
    if (jn)
        snprintf(buf, sizeof buf, "%s-right", jn);
    fr_node_t *rin = lin ? fr_join_copartitioned(o, jn ? buf : o->node->name, ks, rvs) : NULL;
    if (!rin)
        return NULL;
    char *lwin = name_or(g, jn, "-this-windowed", "KSTREAM-WINDOWED-");
    char *rwin = name_or(g, jn, "-other-windowed", "KSTREAM-WINDOWED-");
    char *this_gen = fr_graph_new_name(g, right_outer ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-");
    char *other_gen = fr_graph_new_name(g, left_outer ? "KSTREAM-OUTEROTHER-" : "KSTREAM-JOINOTHER-");
    const char *this_sfx = right_outer ? "-outer-this-join" : "-this-join";
    const char *other_sfx = left_outer ? "-outer-other-join" : "-other-join";
    char *this_name = this_gen, *other_name = other_gen;
    if (jn) {
        snprintf(buf, sizeof buf, "%s%s", jn, this_sfx);
        this_name = fr_graph_strdup(g, buf);
        snprintf(buf, sizeof buf, "%s%s", jn, other_sfx);
        other_name = fr_graph_strdup(g, buf);
    }
    char *merge_name = name_or(g, jn, "-merge", "KSTREAM-MERGE-");
    if (!lwin || !rwin || !this_gen || !other_gen || !this_name || !other_name || !merge_name)
        return NULL;
    /* Stores: "<generated or store_name+suffix>-store", Kafka's StreamJoinedStoreFactory. */
    const char *base = j ? j->store_name : NULL;
    int logged = !(j && j->logging_disabled);
    int64_t retention = fr_time_add(fr_time_add(w.before_ms, w.after_ms), w.grace_ms);
    snprintf(buf, sizeof buf, "%s%s-store", base ? base : this_gen, base ? this_sfx : "");
    fr_store_def_t *lstore = window_store(g, buf, ks, lvs, retention, logged);
    snprintf(buf, sizeof buf, "%s%s-store", base ? base : other_gen, base ? other_sfx : "");
    fr_store_def_t *rstore = lstore ? window_store(g, buf, ks, rvs, retention, logged) : NULL;
    fr_store_def_t *shared = NULL;
    if (rstore && left_outer) {
        const char *sfx = right_outer ? "-outer-shared-join" : "-left-shared-join";
        size_t plen = strlen(right_outer ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-");
        if (base)
            snprintf(buf, sizeof buf, "%s%s-store", base, sfx);
        else
            snprintf(buf, sizeof buf, "KSTREAM-OUTERSHARED-%s-store", this_gen + plen);
        shared = fr_graph_add_store(g, buf, NULL, NULL, logged, 0, NULL);
    }
    if (!rstore || (left_outer && !shared))
        return NULL;
    windowed_arg_t *lwa = fr_graph_alloc(g, sizeof *lwa), *rwa = fr_graph_alloc(g, sizeof *rwa);
    ss_arg_t *la = fr_graph_alloc(g, sizeof *la), *ra = fr_graph_alloc(g, sizeof *ra);
    if (!lwa || !rwa || !la || !ra)
        return NULL;
    const fr_serde_t *out = value_out ? value_out : s->value_serde;
    fr_node_t *lw = fr_graph_add_node(g, FR_NODE_PROCESSOR, &windowed_ops, lwin, lin, ks, lvs);
    fr_node_t *rw = lw ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &windowed_ops, rwin, rin, ks, rvs) : NULL;
    fr_node_t *lj = rw ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_join_stream_stream_ops[0], this_name, lw, ks, out)
                       : NULL;
    fr_node_t *rj = lj ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_join_stream_stream_ops[1], other_name, rw, ks,
                                           out)
                       : NULL;
    fr_node_t *mg = rj ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &merge_ops, merge_name, lj, ks, out) : NULL;
    if (!mg || fr_graph_link(g, rj, mg) || fr_graph_node_add_store(g, lw, lstore->name) ||
        fr_graph_node_add_store(g, rw, rstore->name) || fr_graph_node_add_store(g, lj, rstore->name) ||
        fr_graph_node_add_store(g, rj, lstore->name) || (shared && fr_graph_node_add_store(g, lj, shared->name)) ||
        (shared && fr_graph_node_add_store(g, rj, shared->name)))
        return NULL;
    *lwa = (windowed_arg_t){lstore};
    *rwa = (windowed_arg_t){rstore};
    lw->arg = lwa;
    rw->arg = rwa;
    *la = (ss_arg_t){{lin, rin}, fn, ctx, 0, left_outer, w.before_ms, w.after_ms, w.grace_ms, w.before_ms, w.after_ms,
                     rstore, shared, lj};
    *ra = (ss_arg_t){{lin, rin}, fn, ctx, 1, right_outer, w.after_ms, w.before_ms, w.grace_ms, w.before_ms,
                     w.after_ms, lstore, shared, lj};
    lj->arg = la;
    rj->arg = ra;
    return fr_builder_new_kstream(s->b, mg, ks, out, 0);
}

fr_kstream_t *fr_kstream_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                              fr_join_windows_t windows, const fr_serde_t *value_out, const fr_joined_t *joined) {
    return stream_join(s, other, fn, ctx, windows, value_out, joined, 0, 0);
}

fr_kstream_t *fr_kstream_left_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                                   fr_join_windows_t windows, const fr_serde_t *value_out,
                                   const fr_joined_t *joined) {
    return stream_join(s, other, fn, ctx, windows, value_out, joined, 1, 0);
}

fr_kstream_t *fr_kstream_outer_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                                    fr_join_windows_t windows, const fr_serde_t *value_out,
                                    const fr_joined_t *joined) {
    return stream_join(s, other, fn, ctx, windows, value_out, joined, 1, 1);
}
