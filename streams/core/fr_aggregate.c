/*
 * fr_aggregate.c — grouping and rolling aggregation: KStream groupByKey /
 * groupBy, KGroupedStream count / reduce / aggregate, KTable groupBy and
 * KGroupedTable count / reduce / aggregate (adder and subtractor).
 *
 * An aggregation owns a key-value store.  It never forwards by itself: it
 * writes the new aggregate, and the store's listener (fr_task.c) sends the
 * change (new, old) to the node's children — on every put when the cache is
 * off, once per key per flush when it is on — which is exactly Kafka's
 * record-cache behaviour for KTable updates.
 *
 * The store is timestamped (fr_ts_value.h): the aggregate's timestamp is
 * Kafka's, the record's for a new key and the larger of the record's and the
 * aggregate's afterwards (KStreamAggregate, KTableAggregate, KTableReduce),
 * and it is the timestamp of the update sent downstream.
 */
#include <string.h>

#include "fr_graph.h"
#include "fr_store.h"
#include "fr_ts_value.h"

typedef enum agg_kind { AGG_COUNT, AGG_REDUCE, AGG_AGGREGATE } agg_kind_t;

typedef struct agg_arg {
    agg_kind_t kind;
    fr_initializer_fn init;
    fr_aggregator_fn adder, subtractor;
    fr_reducer_fn reduce_add, reduce_sub;
    void *ctx;
    fr_store_def_t *store;
} agg_arg_t;

static int agg_init(fr_task_t *t, fr_node_t *n, void **state) {
    agg_arg_t *a = n->arg;
    *state = fr_task_kvstore(t, a->store->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

static int fn_failed(const fr_node_t *n, int rc) {
    fr_error("streams", "%s: user function failed: %s", n->name, fr_err_str(rc));
    return rc;
}

/* Writes the new aggregate with its timestamp.  The encoded bytes may point
 * into the store's memory (a reducer returning the old aggregate): they are
 * copied behind the timestamp before the put. */
static int store_agg(fr_task_t *t, fr_node_t *n, fr_kvstore_t *kv, fr_slice_t key, const fr_datum_t *agg, int64_t ts) {
    agg_arg_t *a = n->arg;
    uint8_t buf[8];
    fr_slice_t enc;
    int rc = fr_task_encode(t, n, fr_task_value_serde(t, a->store->value_serde), agg, buf, &enc);
    if (rc)
        return rc;
    return fr_tsv_put(t, kv, a->store, key, enc, ts);
}

static int64_t max_ts(int64_t a, int64_t b) { return a > b ? a : b; }

static int drop_null(fr_task_t *t, fr_node_t *n, const char *what) {
    const fr_record_context_t *rc = fr_task_record_context(t);
    fr_warn("streams", "%s: skipping record with a null %s (topic %s partition %d offset %lld)", n->name, what,
            rc->topic ? rc->topic : "-", rc->partition, (long long)rc->offset);
    fr_task_count_dropped(t);
    return 0;
}

/* KGroupedStream: initializer on the first record of a key, then the adder. */
static int stream_agg_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    agg_arg_t *a = n->arg;
    if (fr_slice_is_null(r->key))
        return drop_null(t, n, "key");
    if (fr_slice_is_null(r->value))
        return drop_null(t, n, "value");
    fr_datum_t k, v, old, out = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    fr_slice_t oldb;
    int64_t old_ts = r->ts;
    int rc = fr_tsv_get(state, a->store, r->key, &oldb, &old_ts);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    int have_old = rc == 0;
    const fr_serde_t *as = fr_task_value_serde(t, a->store->value_serde);
    if (have_old)
        fr_serde_view(as, oldb, &old);
    fr_scratch_t *sc = fr_task_scratch(t);
    switch (a->kind) {
    case AGG_COUNT:
        out = fr_datum_i64((have_old ? old.i64 : 0) + 1);
        break;
    case AGG_REDUCE:
        if (!have_old)
            out = v;
        else if ((rc = a->reduce_add(a->ctx, &old, &v, &out, sc)) < 0)
            return fn_failed(n, rc);
        break;
    case AGG_AGGREGATE:
        if (!have_old && (rc = a->init(a->ctx, &old, sc)) < 0)
            return fn_failed(n, rc);
        if ((rc = a->adder(a->ctx, &k, &v, &old, &out, sc)) < 0)
            return fn_failed(n, rc);
        break;
    }
    return store_agg(t, n, state, r->key, &out, have_old ? max_ts(r->ts, old_ts) : r->ts);
}

/* KGroupedTable: subtract the old value, then add the new one (Kafka's
 * KTableAggregate / KTableReduce); a null result removes the key. */
static int table_agg_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    agg_arg_t *a = n->arg;
    if (fr_slice_is_null(r->key))
        return drop_null(t, n, "key");
    fr_datum_t k, nv, ov, agg, tmp;
    fr_task_view(t, n, r, &k, &nv);
    const fr_serde_t *vs = fr_task_in_value_serde(t, n);
    fr_serde_view(vs, r->is_change ? r->old_value : FR_SLICE_NULL, &ov);
    fr_slice_t oldb;
    int64_t old_ts = r->ts, ts = r->ts;
    int rc = fr_tsv_get(state, a->store, r->key, &oldb, &old_ts);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    int have_agg = rc == 0;
    rc = 0; /* a missing aggregate is no error: count and reduce below leave rc alone */
    const fr_serde_t *as = fr_task_value_serde(t, a->store->value_serde);
    if (have_agg)
        fr_serde_view(as, oldb, &agg);
    else
        agg = fr_datum_null();
    fr_scratch_t *sc = fr_task_scratch(t);
    if (!ov.is_null && have_agg) {
        tmp = fr_datum_null();
        if (a->kind == AGG_COUNT)
            tmp = fr_datum_i64(agg.i64 - 1);
        else if (a->kind == AGG_REDUCE)
            rc = a->reduce_sub(a->ctx, &agg, &ov, &tmp, sc);
        else
            rc = a->subtractor(a->ctx, &k, &ov, &agg, &tmp, sc);
        if (rc < 0)
            return fn_failed(n, rc);
        agg = tmp;
        ts = max_ts(r->ts, old_ts);
    }
    if (!nv.is_null) {
        /* KTableAggregate takes the larger timestamp when there was an
         * aggregate; KTableReduce when the subtraction left one. */
        if (a->kind == AGG_REDUCE ? !agg.is_null : have_agg)
            ts = max_ts(r->ts, old_ts);
        tmp = fr_datum_null();
        if (a->kind == AGG_REDUCE) {
            if (agg.is_null)
                tmp = nv;
            else
                rc = a->reduce_add(a->ctx, &agg, &nv, &tmp, sc);
        } else {
            if (agg.is_null) {
                if (a->kind == AGG_COUNT)
                    agg = fr_datum_i64(0);
                else if ((rc = a->init(a->ctx, &agg, sc)) < 0)
                    return fn_failed(n, rc);
            }
            if (a->kind == AGG_COUNT)
                tmp = fr_datum_i64(agg.i64 + 1);
            else
                rc = a->adder(a->ctx, &k, &nv, &agg, &tmp, sc);
        }
        if (rc < 0)
            return fn_failed(n, rc);
        agg = tmp;
    }
    if (agg.is_null && !have_agg)
        return 0; /* nothing was there and nothing is: no update */
    return store_agg(t, n, state, r->key, &agg, ts);
}

static const fr_node_ops_t stream_agg_ops = {"aggregate", agg_init, stream_agg_process, NULL};
static const fr_node_ops_t table_agg_ops = {"table-aggregate", agg_init, table_agg_process, NULL};

/* ---- KStream grouping ---- */

static fr_kgrouped_stream_t *new_grouped(fr_kstream_t *s, fr_node_t *n, const fr_serde_t *ks, const fr_grouped_t *gr,
                                         int repartition) {
    fr_graph_t *g = s->b->g;
    fr_kgrouped_stream_t *gs = fr_arena_calloc(&s->b->handles, 1, sizeof *gs);
    if (!gs) {
        fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    gs->s = *s;
    gs->s.node = n;
    gs->s.repartition_required = repartition;
    gs->key_serde = gr && gr->key_serde ? gr->key_serde : ks;
    gs->value_serde = gr && gr->value_serde ? gr->value_serde : s->value_serde;
    gs->s.key_serde = gs->key_serde;
    gs->s.value_serde = gs->value_serde;
    if (gr && gr->name && !(gs->repartition_name = fr_graph_strdup(g, gr->name)))
        return NULL;
    return gs;
}

fr_kgrouped_stream_t *fr_kstream_group_by_key(fr_kstream_t *s, const fr_grouped_t *grouped) {
    if (!s || !fr_builder_graph(s->b))
        return NULL;
    return new_grouped(s, s->node, s->key_serde, grouped, s->repartition_required);
}

fr_kgrouped_stream_t *fr_kstream_group_by(fr_kstream_t *s, fr_key_selector_fn fn, void *ctx,
                                          const fr_serde_t *key_out, const fr_grouped_t *grouped) {
    /* Kafka names the key selector after Grouped's name when there is one. */
    fr_kstream_t *sel = fr_kstream_select_key(s, fn, ctx, key_out, grouped ? grouped->name : NULL);
    if (!sel)
        return NULL;
    return new_grouped(s, sel->node, sel->key_serde, grouped, 1);
}

int fr_agg_value_serde(fr_graph_t *g, int is_count, int is_reduce, const fr_serde_t *input,
                       const fr_materialized_t *m, const fr_serde_t **out) {
    const fr_serde_t *vs = is_count ? fr_serde_int64() : is_reduce ? input : NULL;
    if (m && m->value_serde)
        vs = m->value_serde;
    if (!vs && !is_count && !is_reduce) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "aggregate(): Materialized value_serde is required");
        return -1;
    }
    if (is_count && fr_serde_type(vs) != FR_TYPE_INT64) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "count(): the value serde must be int64");
        return -1;
    }
    *out = vs;
    return 0;
}

fr_node_t *fr_grouped_stream_source(fr_graph_t *g, fr_kgrouped_stream_t *gs, const char *store,
                                    const fr_serde_t *key_serde) {
    if (!gs->s.repartition_required)
        return gs->s.node;
    return fr_graph_add_repartition(g, gs->s.node, gs->repartition_name ? gs->repartition_name : store, key_serde,
                                    gs->value_serde, 1, 0, 0, NULL, NULL);
}

static fr_ktable_t *stream_aggregate(fr_kgrouped_stream_t *gs, agg_kind_t kind, fr_initializer_fn init,
                                     fr_aggregator_fn adder, fr_reducer_fn reducer, void *ctx,
                                     const fr_materialized_t *m) {
    fr_graph_t *g = gs ? fr_builder_graph(gs->s.b) : NULL;
    if (!g)
        return NULL;
    if ((kind == AGG_REDUCE && !reducer) || (kind == AGG_AGGREGATE && (!init || !adder))) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "aggregation: missing function");
        return NULL;
    }
    const fr_serde_t *vs;
    if (fr_agg_value_serde(g, kind == AGG_COUNT, kind == AGG_REDUCE, gs->value_serde, m, &vs))
        return NULL;
    const fr_serde_t *ks = m && m->key_serde ? m->key_serde : gs->key_serde;
    const char *prefix = kind == AGG_REDUCE ? "KSTREAM-REDUCE-" : "KSTREAM-AGGREGATE-";
    char sp[64];
    snprintf(sp, sizeof sp, "%sSTATE-STORE-", prefix);
    if (kind == AGG_COUNT && !(m && m->name))
        g->index++; /* Kafka's count() burns one name for compatibility */
    char *store = m && m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, sp);
    char *name = fr_graph_new_name(g, prefix);
    if (!store || !name)
        return NULL;
    fr_node_t *parent = fr_grouped_stream_source(g, gs, store, ks);
    if (!parent)
        return NULL;
    agg_arg_t *a = fr_graph_alloc(g, sizeof *a);
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, &stream_agg_ops, name, parent, ks, vs);
    if (!a || !n)
        return NULL;
    *a = (agg_arg_t){kind, init, adder, NULL, reducer, NULL, ctx, NULL};
    a->store = fr_graph_add_store(g, store, ks, vs, !(m && m->logging_disabled), 1, n);
    if (!a->store)
        return NULL;
    a->store->timestamped = 1; /* Kafka's TimestampedKeyValueStore */
    n->arg = a;
    return fr_builder_new_ktable(gs->s.b, n, ks, vs, a->store);
}

fr_ktable_t *fr_kgrouped_stream_count(fr_kgrouped_stream_t *g, const fr_materialized_t *m) {
    return stream_aggregate(g, AGG_COUNT, NULL, NULL, NULL, NULL, m);
}

fr_ktable_t *fr_kgrouped_stream_reduce(fr_kgrouped_stream_t *g, fr_reducer_fn fn, void *ctx,
                                       const fr_materialized_t *m) {
    return stream_aggregate(g, AGG_REDUCE, NULL, NULL, fn, ctx, m);
}

fr_ktable_t *fr_kgrouped_stream_aggregate(fr_kgrouped_stream_t *g, fr_initializer_fn init, fr_aggregator_fn adder,
                                          void *ctx, const fr_materialized_t *m) {
    return stream_aggregate(g, AGG_AGGREGATE, init, adder, NULL, ctx, m);
}

/* ---- KTable grouping ---- */

typedef struct select_arg {
    fr_key_value_mapper_fn fn;
    void *ctx;
} select_arg_t;

static int slices_equal(fr_slice_t a, fr_slice_t b) {
    return a.len == b.len && (a.len <= 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

/* Kafka's KTableRepartitionMap: the old value leaves its group, the new one
 * joins its group; one record when both groups are the same key. */
static int table_select_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    select_arg_t *a = n->arg;
    fr_datum_t k, nv, ov;
    fr_task_view(t, n, r, &k, &nv);
    fr_serde_view(fr_task_in_value_serde(t, n), r->is_change ? r->old_value : FR_SLICE_NULL, &ov);
    const fr_serde_t *ks = fr_task_key_serde(t, n->key_serde), *vs = fr_task_value_serde(t, n->value_serde);
    fr_scratch_t *sc = fr_task_scratch(t);
    uint8_t b1[8], b2[8], b3[8], b4[8];
    fr_rec_t o_new = *r, o_old = *r;
    int have_new = 0, have_old = 0, rc;
    if (!nv.is_null) {
        fr_datum_t mk = fr_datum_null(), mv = fr_datum_null();
        if ((rc = a->fn(a->ctx, &k, &nv, &mk, &mv, sc)) < 0)
            return fn_failed(n, rc);
        if ((rc = fr_task_encode(t, n, ks, &mk, b1, &o_new.key)) || (rc = fr_task_encode(t, n, vs, &mv, b2, &o_new.value)))
            return rc;
        have_new = !fr_slice_is_null(o_new.key);
    }
    if (!ov.is_null) {
        fr_datum_t mk = fr_datum_null(), mv = fr_datum_null();
        if ((rc = a->fn(a->ctx, &k, &ov, &mk, &mv, sc)) < 0)
            return fn_failed(n, rc);
        if ((rc = fr_task_encode(t, n, ks, &mk, b3, &o_old.key)) || (rc = fr_task_encode(t, n, vs, &mv, b4, &o_old.value)))
            return rc;
        have_old = !fr_slice_is_null(o_old.key);
    }
    if (have_new && have_old && slices_equal(o_new.key, o_old.key)) {
        o_new.old_value = o_old.value;
        o_new.is_change = 1;
        return fr_task_forward(t, n, &o_new);
    }
    if (have_old) {
        o_old.old_value = o_old.value;
        o_old.value = FR_SLICE_NULL;
        o_old.is_change = 1;
        if ((rc = fr_task_forward(t, n, &o_old)))
            return rc;
    }
    if (have_new) {
        o_new.old_value = FR_SLICE_NULL;
        o_new.is_change = 1;
        return fr_task_forward(t, n, &o_new);
    }
    return 0;
}

static const fr_node_ops_t table_select_ops = {"table-select", NULL, table_select_process, NULL};

fr_kgrouped_table_t *fr_ktable_group_by(fr_ktable_t *t, fr_key_value_mapper_fn fn, void *ctx,
                                        const fr_serde_t *key_out, const fr_serde_t *value_out,
                                        const fr_grouped_t *grouped) {
    fr_graph_t *g = t ? fr_builder_graph(t->b) : NULL;
    if (!g)
        return NULL;
    if (!fn) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "KTable groupBy(): no selector");
        return NULL;
    }
    const fr_serde_t *ks = grouped && grouped->key_serde ? grouped->key_serde : key_out ? key_out : t->key_serde;
    const fr_serde_t *vs = grouped && grouped->value_serde ? grouped->value_serde
                           : value_out                      ? value_out
                                                            : t->value_serde;
    select_arg_t *a = fr_graph_alloc(g, sizeof *a);
    fr_kgrouped_table_t *gt = fr_arena_calloc(&t->b->handles, 1, sizeof *gt);
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, &table_select_ops,
                                     fr_graph_name_or(g, grouped ? grouped->name : NULL, "KTABLE-SELECT-"), t->node,
                                     ks, vs);
    if (!a || !gt || !n)
        return NULL;
    *a = (select_arg_t){fn, ctx};
    n->arg = a;
    *gt = (fr_kgrouped_table_t){t->b, n, ks, vs, NULL};
    if (grouped && grouped->name && !(gt->repartition_name = fr_graph_strdup(g, grouped->name)))
        return NULL;
    return gt;
}

static fr_ktable_t *table_aggregate(fr_kgrouped_table_t *gt, agg_kind_t kind, fr_initializer_fn init,
                                    fr_aggregator_fn adder, fr_aggregator_fn sub, fr_reducer_fn radd,
                                    fr_reducer_fn rsub, void *ctx, const fr_materialized_t *m) {
    fr_graph_t *g = gt ? fr_builder_graph(gt->b) : NULL;
    if (!g)
        return NULL;
    if ((kind == AGG_REDUCE && (!radd || !rsub)) || (kind == AGG_AGGREGATE && (!init || !adder || !sub))) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "KGroupedTable aggregation: missing function");
        return NULL;
    }
    const fr_serde_t *vs;
    if (fr_agg_value_serde(g, kind == AGG_COUNT, kind == AGG_REDUCE, gt->value_serde, m, &vs))
        return NULL;
    const fr_serde_t *ks = m && m->key_serde ? m->key_serde : gt->key_serde;
    const char *prefix = kind == AGG_REDUCE ? "KTABLE-REDUCE-" : "KTABLE-AGGREGATE-";
    char sp[64];
    snprintf(sp, sizeof sp, "%sSTATE-STORE-", prefix);
    char *store = m && m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, sp);
    if (!store)
        return NULL;
    fr_node_t *src = fr_graph_add_repartition(g, gt->select, gt->repartition_name ? gt->repartition_name : store, ks,
                                              gt->value_serde, 0, 1, 0, NULL, NULL);
    char *name = fr_graph_new_name(g, prefix);
    agg_arg_t *a = fr_graph_alloc(g, sizeof *a);
    fr_node_t *n = src && name && a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &table_agg_ops, name, src, ks, vs) : NULL;
    if (!n)
        return NULL;
    *a = (agg_arg_t){kind, init, adder, sub, radd, rsub, ctx, NULL};
    a->store = fr_graph_add_store(g, store, ks, vs, !(m && m->logging_disabled), 1, n);
    if (!a->store)
        return NULL;
    a->store->timestamped = 1; /* Kafka's TimestampedKeyValueStore */
    n->arg = a;
    return fr_builder_new_ktable(gt->b, n, ks, vs, a->store);
}

fr_ktable_t *fr_kgrouped_table_count(fr_kgrouped_table_t *g, const fr_materialized_t *m) {
    return table_aggregate(g, AGG_COUNT, NULL, NULL, NULL, NULL, NULL, NULL, m);
}

fr_ktable_t *fr_kgrouped_table_reduce(fr_kgrouped_table_t *g, fr_reducer_fn adder, fr_reducer_fn subtractor,
                                      void *ctx, const fr_materialized_t *m) {
    return table_aggregate(g, AGG_REDUCE, NULL, NULL, NULL, adder, subtractor, ctx, m);
}

fr_ktable_t *fr_kgrouped_table_aggregate(fr_kgrouped_table_t *g, fr_initializer_fn init, fr_aggregator_fn adder,
                                         fr_aggregator_fn subtractor, void *ctx, const fr_materialized_t *m) {
    return table_aggregate(g, AGG_AGGREGATE, init, adder, subtractor, NULL, NULL, ctx, m);
}
