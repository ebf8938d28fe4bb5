/*
 * fr_join.c — helpers shared by the join operators (fr_join.h) and the
 * JoinWindows constructors of streams_joins.h.
 */
#include <string.h>

#include "fr_join.h"

fr_join_windows_t fr_join_windows_of(int64_t diff, int64_t grace) { return (fr_join_windows_t){diff, diff, grace}; }
fr_join_windows_t fr_join_windows_no_grace(int64_t diff) { return (fr_join_windows_t){diff, diff, 0}; }
fr_join_windows_t fr_join_windows_before(fr_join_windows_t w, int64_t before) {
    w.before_ms = before;
    return w;
}
fr_join_windows_t fr_join_windows_after(fr_join_windows_t w, int64_t after) {
    w.after_ms = after;
    return w;
}

int fr_join_drop(fr_task_t *t, const fr_node_t *n, const char *why) {
    const fr_record_context_t *rc = fr_task_record_context(t);
    fr_warn("streams", "%s: skipping record due to %s (topic %s partition %d offset %lld)", n->name, why,
            rc->topic ? rc->topic : "-", rc->partition, (long long)rc->offset);
    fr_task_count_dropped(t);
    return 0;
}

int fr_join_apply(fr_task_t *t, const fr_node_t *n, fr_value_joiner_fn fn, void *ctx, const fr_datum_t *key,
                  const fr_datum_t *left, const fr_datum_t *right, fr_slice_t *out) {
    fr_datum_t res = fr_datum_null();
    fr_scratch_t *sc = fr_task_scratch(t);
    int rc = fn(ctx, key, left, right, &res, sc);
    if (rc < 0) {
        fr_error("streams", "%s: joiner failed: %s", n->name, fr_err_str(rc));
        return rc;
    }
    uint8_t buf[8];
    fr_slice_t enc;
    if ((rc = fr_task_encode(t, n, fr_task_value_serde(t, n->value_serde), &res, buf, &enc)))
        return rc;
    if (!fr_slice_is_null(enc)) {
        uint8_t *copy = fr_scratch_alloc(sc, (size_t)enc.len + 1);
        if (!copy)
            return FR_ERR_NOMEM;
        memcpy(copy, enc.ptr, (size_t)enc.len);
        enc.ptr = copy;
    }
    *out = enc;
    return 0;
}

fr_node_t *fr_join_copartitioned(fr_kstream_t *s, const char *prefix, const fr_serde_t *ks, const fr_serde_t *vs) {
    if (!s->repartition_required)
        return s->node;
    fr_graph_t *g = s->b->g;
    return fr_graph_add_repartition(g, s->node, prefix, ks ? ks : s->key_serde, vs ? vs : s->value_serde, 1, 0, 0,
                                    NULL, NULL);
}

fr_store_def_t *fr_join_table_store(fr_graph_t *g, const fr_ktable_t *t, const char *what) {
    if (!t->store)
        fr_graph_fail(g, FR_ERR_INVALID_ARG,
                      "%s: the table from %s is not materialized (join a source table, an aggregation or a "
                      "materialized join result)",
                      what, t->node->name);
    else if (t->store->kind != FR_STORE_KV) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: joining a windowed table (%s) is not supported", what, t->store->name);
        return NULL;
    }
    return t->store;
}

int fr_join_is_copartition_node(const fr_node_t *n) {
    return n->ops == &fr_join_stream_table_ops || n->ops == &fr_join_table_table_ops[0] ||
           n->ops == &fr_join_stream_stream_ops[0];
}
