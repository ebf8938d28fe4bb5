/*
 * fr_join_stream_table.c — KStream-KTable join and leftJoin (Kafka's
 * KStreamKTableJoinProcessor).
 *
 * The join node hangs off the stream only and reads the table's store: a
 * stream record looks up the table's current value for its key; a table
 * update changes the store and triggers nothing.  Connecting the node to the
 * table's store puts stream and table in one sub-topology (one task per
 * partition), which is why both inputs must be co-partitioned.
 */
#include <string.h>

#include "fr_join.h"
#include "fr_store.h"
#include "fr_ts_value.h"

typedef struct st_arg {
    fr_join_inputs_t in; /* first: co-partition walk */
    fr_value_joiner_fn fn;
    void *ctx;
    int left;
    fr_store_def_t *store;
} st_arg_t;

static int st_init(fr_task_t *t, fr_node_t *n, void **state) {
    st_arg_t *a = n->arg;
    *state = fr_task_kvstore(t, a->store->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

/* Kafka drops null values always and null keys unless it is a left join
 * (KIP-962: a null-keyed record cannot match, so it joins with null). */
static int st_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    st_arg_t *a = n->arg;
    int null_key = fr_slice_is_null(r->key);
    if (fr_slice_is_null(r->value) || (null_key && !a->left))
        return fr_join_drop(t, n, "null join key or value");
    fr_slice_t tv = FR_SLICE_NULL;
    if (!null_key) {
        /* The result has the stream record's timestamp (KStreamKTableJoin). */
        int rc = fr_tsv_get(state, a->store, r->key, &tv, NULL);
        if (rc && rc != FR_ERR_NOT_FOUND)
            return rc;
    }
    if (fr_slice_is_null(tv) && !a->left)
        return 0;
    fr_datum_t k, v, right;
    fr_task_view(t, n, r, &k, &v);
    fr_serde_view(fr_task_value_serde(t, a->store->value_serde), tv, &right);
    fr_rec_t o = *r;
    int rc = fr_join_apply(t, n, a->fn, a->ctx, &k, &v, &right, &o.value);
    if (rc)
        return rc;
    o.is_change = 0;
    o.old_value = FR_SLICE_NULL;
    return fr_task_forward(t, n, &o);
}

const fr_node_ops_t fr_join_stream_table_ops = {"stream-table-join", st_init, st_process, NULL};

static fr_kstream_t *stream_table_join(fr_kstream_t *s, fr_ktable_t *tbl, fr_value_joiner_fn fn, void *ctx,
                                       const fr_serde_t *value_out, const fr_joined_t *j, int left) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g || !tbl)
        return NULL;
    const char *what = left ? "leftJoin(KTable)" : "join(KTable)";
    if (!fn || tbl->b != s->b) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: %s", what, fn ? "the table is from another builder" : "no joiner");
        return NULL;
    }
    fr_store_def_t *store = fr_join_table_store(g, tbl, what);
    if (!store)
        return NULL;
    const char *jname = j ? j->name : NULL;
    const fr_serde_t *ks = j && j->key_serde ? j->key_serde : s->key_serde;
    const fr_serde_t *vs = j && j->value_serde ? j->value_serde : s->value_serde;
    /* Kafka: the repartition topic is named after Joined's name, else the stream's node. */
    fr_node_t *up = fr_join_copartitioned(s, jname ? jname : s->node->name, ks, vs);
    st_arg_t *a = up ? fr_graph_alloc(g, sizeof *a) : NULL;
    const fr_serde_t *out = value_out ? value_out : s->value_serde;
    fr_node_t *n = a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_join_stream_table_ops,
                                         fr_graph_name_or(g, jname, left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-"), up,
                                         ks, out)
                     : NULL;
    if (!n || fr_graph_node_add_store(g, n, store->name))
        return NULL;
    *a = (st_arg_t){{up, tbl->node}, fn, ctx, left, store};
    n->arg = a;
    return fr_builder_new_kstream(s->b, n, ks, out, 0);
}

fr_kstream_t *fr_kstream_join_table(fr_kstream_t *s, fr_ktable_t *t, fr_value_joiner_fn fn, void *ctx,
                                    const fr_serde_t *value_out, const fr_joined_t *joined) {
    return stream_table_join(s, t, fn, ctx, value_out, joined, 0);
}

fr_kstream_t *fr_kstream_left_join_table(fr_kstream_t *s, fr_ktable_t *t, fr_value_joiner_fn fn, void *ctx,
                                         const fr_serde_t *value_out, const fr_joined_t *joined) {
    return stream_table_join(s, t, fn, ctx, value_out, joined, 1);
}
