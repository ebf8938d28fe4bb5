/*
 * fr_join_table_table.c — KTable-KTable join, leftJoin and outerJoin
 * (Kafka's KTableKTableInnerJoin / LeftJoin / RightJoin / OuterJoin and
 * KTableKTableJoinMerger).
 *
 * Layout as Kafka's: the left table's changes go to KTABLE-JOINTHIS (which
 * reads the right table's store), the right table's to KTABLE-JOINOTHER
 * (reading the left's), and both feed KTABLE-MERGE, which materializes the
 * result when asked (its store's listener then forwards, deduplicated by the
 * cache) or passes the change on.  Each side computes the change of the join
 * result from its own change (new, old) and the other side's current value,
 * so a result that disappears is forwarded as (null, old): a tombstone.
 *
 * Timestamps as Kafka's: the tables' stores keep ValueAndTimestamp
 * (fr_ts_value.h), and a result carries the larger of the change's
 * timestamp and the other side's value's (the change's own when the other
 * side has no value); a materialized result is stored with that timestamp.
 */
#include <string.h>

#include "fr_join.h"
#include "fr_store.h"
#include "fr_ts_value.h"

typedef enum tt_mode { TT_INNER, TT_LEFT, TT_OUTER } tt_mode_t;

typedef struct tt_arg {
    fr_join_inputs_t in; /* first: co-partition walk */
    fr_value_joiner_fn fn;
    void *ctx;
    tt_mode_t mode;
    int side;                 /* 0: this (left) table's changes, 1: the other's */
    fr_store_def_t *other;    /* the store this side reads */
} tt_arg_t;

typedef struct merge_arg {
    fr_store_def_t *store; /* NULL: not materialized */
} merge_arg_t;

static int tt_init(fr_task_t *t, fr_node_t *n, void **state) {
    tt_arg_t *a = n->arg;
    *state = fr_task_kvstore(t, a->other->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* joiner(left, right) whichever side this node is. */
static int tt_join(fr_task_t *t, const fr_node_t *n, const fr_datum_t *k, const fr_datum_t *mine,
                   const fr_datum_t *theirs, fr_slice_t *out) {
    tt_arg_t *a = n->arg;
    return a->side == 0 ? fr_join_apply(t, n, a->fn, a->ctx, k, mine, theirs, out)
                        : fr_join_apply(t, n, a->fn, a->ctx, k, theirs, mine, out);
}

static int tt_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    tt_arg_t *a = n->arg;
    if (fr_slice_is_null(r->key))
        return fr_join_drop(t, n, "null key");
    fr_slice_t ob = FR_SLICE_NULL;
    int64_t other_ts = r->ts;
    int rc = fr_tsv_get(state, a->other, r->key, &ob, &other_ts);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    fr_datum_t k, nv, ov, other;
    fr_task_view(t, n, r, &k, &nv);
    fr_serde_view(fr_task_in_value_serde(t, n), r->is_change ? r->old_value : FR_SLICE_NULL, &ov);
    fr_serde_view(fr_task_value_serde(t, a->other->value_serde), ob, &other);
    /* The other side's value is read before the joiner runs: copy-free is
     * safe because nothing writes to the task's stores until the forward. */
    int need_new, need_old;
    if (a->mode == TT_INNER) {
        if (other.is_null)
            return 0;
        need_new = !nv.is_null;
        need_old = !ov.is_null;
    } else if (a->mode == TT_OUTER || (a->mode == TT_LEFT && a->side == 0)) {
        if (other.is_null && nv.is_null && ov.is_null)
            return 0;
        need_new = !other.is_null || !nv.is_null;
        need_old = !other.is_null || !ov.is_null;
        if (a->mode == TT_LEFT) { /* KTableKTableLeftJoin: only existing left values join */
            need_new = !nv.is_null;
            need_old = !ov.is_null;
        }
    } else { /* left join, right side (KTableKTableRightJoin): the left value must exist */
        if (other.is_null)
            return 0;
        need_new = need_old = 1;
    }
    fr_rec_t o = *r;
    o.value = o.old_value = FR_SLICE_NULL;
    o.is_change = 1;
    if (!other.is_null && other_ts > o.ts)
        o.ts = other_ts;
    if (need_new && (rc = tt_join(t, n, &k, &nv, &other, &o.value)))
        return rc;
    if (need_old && (rc = tt_join(t, n, &k, &ov, &other, &o.old_value)))
        return rc;
    return fr_task_forward(t, n, &o);
}

const fr_node_ops_t fr_join_table_table_ops[2] = {
    {"table-table-join-this", tt_init, tt_process, NULL},
    {"table-table-join-other", tt_init, tt_process, NULL},
};

static int merge_init(fr_task_t *t, fr_node_t *n, void **state) {
    merge_arg_t *a = n->arg;
    if (!a->store)
        return 0;
    *state = fr_task_kvstore(t, a->store->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* Materialized: the store's listener forwards (new, previous); else pass on. */
static int merge_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    merge_arg_t *a = n->arg;
    if (state)
        return fr_tsv_put(t, state, a->store, r->key, r->value, r->ts);
    return fr_task_forward(t, n, r);
}

static const fr_node_ops_t merge_ops = {"table-table-merge", merge_init, merge_process, NULL};

static fr_ktable_t *table_join(fr_ktable_t *t, fr_ktable_t *o, fr_value_joiner_fn fn, void *ctx,
                               const fr_serde_t *value_out, const fr_materialized_t *m, const char *name,
                               tt_mode_t mode) {
    fr_graph_t *g = t ? fr_builder_graph(t->b) : NULL;
    if (!g || !o)
        return NULL;
    static const char *const what_of[] = {"join(KTable)", "leftJoin(KTable)", "outerJoin(KTable)"};
    const char *what = what_of[mode];
    if (!fn || o->b != t->b) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: %s", what, fn ? "the tables are from different builders" : "no joiner");
        return NULL;
    }
    fr_store_def_t *ls = fr_join_table_store(g, t, what), *rs = ls ? fr_join_table_store(g, o, what) : NULL;
    if (!rs)
        return NULL;
    const fr_serde_t *vs = value_out ? value_out : (m && m->value_serde ? m->value_serde : t->value_serde);
    const fr_serde_t *ks = t->key_serde;
    /* Kafka's order of names: the result store, the merge, join-this, join-other. */
    char *store_name = m ? (m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, "KTABLE-MERGE-STATE-STORE-"))
                         : NULL;
    char buf[300];
    char *merge_name = fr_graph_name_or(g, name, "KTABLE-MERGE-");
    if (name)
        snprintf(buf, sizeof buf, "%s-join-this", name);
    char *this_name = fr_graph_name_or(g, name ? buf : NULL, "KTABLE-JOINTHIS-");
    if (name)
        snprintf(buf, sizeof buf, "%s-join-other", name);
    char *other_name = fr_graph_name_or(g, name ? buf : NULL, "KTABLE-JOINOTHER-");
    tt_arg_t *ta = fr_graph_alloc(g, sizeof *ta), *oa = fr_graph_alloc(g, sizeof *oa);
    merge_arg_t *ma = fr_graph_alloc(g, sizeof *ma);
    if (!ta || !oa || !ma || !merge_name || !this_name || !other_name || (m && !store_name))
        return NULL;
    fr_node_t *jt = fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_join_table_table_ops[0], this_name, t->node, ks, vs);
    fr_node_t *jo = jt ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_join_table_table_ops[1], other_name, o->node, ks,
                                           vs)
                       : NULL;
    fr_node_t *mg = jo ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &merge_ops, merge_name, jt, ks, vs) : NULL;
    if (!mg || fr_graph_link(g, jo, mg) || fr_graph_node_add_store(g, jt, rs->name) ||
        fr_graph_node_add_store(g, jo, ls->name))
        return NULL;
    *ta = (tt_arg_t){{t->node, o->node}, fn, ctx, mode, 0, rs};
    *oa = (tt_arg_t){{t->node, o->node}, fn, ctx, mode, 1, ls};
    jt->arg = ta;
    jo->arg = oa;
    mg->arg = ma;
    if (store_name) {
        ma->store = fr_graph_add_store(g, store_name, m->key_serde ? m->key_serde : ks, vs, !m->logging_disabled, 1, mg);
        if (!ma->store) /* connected to the merge node as its owner */
            return NULL;
        ma->store->timestamped = 1;
    }
    return fr_builder_new_ktable(t->b, mg, ks, vs, ma->store);
}

fr_ktable_t *fr_ktable_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                            const fr_serde_t *value_out, const fr_materialized_t *m, const char *name) {
    return table_join(t, other, fn, ctx, value_out, m, name, TT_INNER);
}

fr_ktable_t *fr_ktable_left_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                                 const fr_serde_t *value_out, const fr_materialized_t *m, const char *name) {
    return table_join(t, other, fn, ctx, value_out, m, name, TT_LEFT);
}

fr_ktable_t *fr_ktable_outer_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                                  const fr_serde_t *value_out, const fr_materialized_t *m, const char *name) {
    return table_join(t, other, fn, ctx, value_out, m, name, TT_OUTER);
}
