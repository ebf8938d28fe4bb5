/*
 * fr_ktable_ops.c — KTable filter, filterNot, mapValues and toStream.
 *
 * Table nodes pass changes (new, old).  These operators work as Kafka's do
 * with old values enabled: both sides are transformed, and a change whose
 * both sides vanish (filtered out) is not forwarded at all.
 */
#include <string.h>

#include "fr_graph.h"

typedef struct tbl_arg {
    fr_predicate_fn pred;
    fr_value_mapper_fn map;
    void *ctx;
    int negate;
} tbl_arg_t;

static int apply_filter(tbl_arg_t *a, const fr_datum_t *k, const fr_datum_t *v, int *keep) {
    if (v->is_null) {
        *keep = 0;
        return 0;
    }
    int rc = a->pred(a->ctx, k, v);
    if (rc < 0)
        return rc;
    *keep = (rc != 0) != (a->negate != 0);
    return 0;
}

static int filter_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    tbl_arg_t *a = n->arg;
    fr_datum_t k, nv, ov;
    fr_task_view(t, n, r, &k, &nv);
    fr_serde_view(fr_task_in_value_serde(t, n), r->is_change ? r->old_value : FR_SLICE_NULL, &ov);
    int keep_new, keep_old, rc;
    if ((rc = apply_filter(a, &k, &nv, &keep_new)) || (rc = apply_filter(a, &k, &ov, &keep_old))) {
        fr_error("streams", "%s: predicate failed: %s", n->name, fr_err_str(rc));
        return rc;
    }
    if (!keep_new && !keep_old)
        return 0;
    fr_rec_t o = *r;
    o.value = keep_new ? r->value : FR_SLICE_NULL;
    o.old_value = keep_old ? r->old_value : FR_SLICE_NULL;
    o.is_change = 1;
    return fr_task_forward(t, n, &o);
}

static int map_values_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    tbl_arg_t *a = n->arg;
    fr_datum_t k, nv, ov, mn = fr_datum_null(), mo = fr_datum_null();
    fr_task_view(t, n, r, &k, &nv);
    fr_serde_view(fr_task_in_value_serde(t, n), r->is_change ? r->old_value : FR_SLICE_NULL, &ov);
    fr_scratch_t *sc = fr_task_scratch(t);
    int rc = 0;
    if (!nv.is_null)
        rc = a->map(a->ctx, &k, &nv, &mn, sc);
    if (rc >= 0 && !ov.is_null)
        rc = a->map(a->ctx, &k, &ov, &mo, sc);
    if (rc < 0) {
        fr_error("streams", "%s: mapper failed: %s", n->name, fr_err_str(rc));
        return rc;
    }
    uint8_t b1[8], b2[8];
    fr_rec_t o = *r;
    const fr_serde_t *vs = fr_task_value_serde(t, n->value_serde);
    if ((rc = fr_task_encode(t, n, vs, &mn, b1, &o.value)) || (rc = fr_task_encode(t, n, vs, &mo, b2, &o.old_value)))
        return rc;
    o.is_change = 1;
    return fr_task_forward(t, n, &o);
}

static int to_stream_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    fr_rec_t o = *r;
    o.is_change = 0;
    o.old_value = FR_SLICE_NULL;
    return fr_task_forward(t, n, &o);
}

static const fr_node_ops_t filter_ops = {"ktable-filter", NULL, filter_process, NULL};
static const fr_node_ops_t map_values_ops = {"ktable-mapValues", NULL, map_values_process, NULL};
static const fr_node_ops_t to_stream_ops = {"toStream", NULL, to_stream_process, NULL};

static fr_ktable_t *add(fr_ktable_t *t, const fr_node_ops_t *ops, const char *prefix, const char *name,
                        fr_predicate_fn pred, fr_value_mapper_fn map, void *ctx, int negate, const fr_serde_t *vs) {
    fr_graph_t *g = t ? fr_builder_graph(t->b) : NULL;
    if (!g)
        return NULL;
    if (!pred && !map) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: no function given", prefix);
        return NULL;
    }
    tbl_arg_t *a = fr_graph_alloc(g, sizeof *a);
    vs = vs ? vs : t->value_serde;
    fr_node_t *n = a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, ops, fr_graph_name_or(g, name, prefix), t->node,
                                         t->key_serde, vs)
                     : NULL;
    if (!n)
        return NULL;
    *a = (tbl_arg_t){pred, map, ctx, negate};
    n->arg = a;
    return fr_builder_new_ktable(t->b, n, t->key_serde, vs, NULL);
}

fr_ktable_t *fr_ktable_filter(fr_ktable_t *t, fr_predicate_fn fn, void *ctx, const char *name) {
    return add(t, &filter_ops, "KTABLE-FILTER-", name, fn, NULL, ctx, 0, NULL);
}

fr_ktable_t *fr_ktable_filter_not(fr_ktable_t *t, fr_predicate_fn fn, void *ctx, const char *name) {
    return add(t, &filter_ops, "KTABLE-FILTER-", name, fn, NULL, ctx, 1, NULL);
}

fr_ktable_t *fr_ktable_map_values(fr_ktable_t *t, fr_value_mapper_fn fn, void *ctx, const fr_serde_t *value_out,
                                  const char *name) {
    return add(t, &map_values_ops, "KTABLE-MAPVALUES-", name, NULL, fn, ctx, 0, value_out);
}

fr_kstream_t *fr_ktable_to_stream(fr_ktable_t *t, const char *name) {
    fr_graph_t *g = t ? fr_builder_graph(t->b) : NULL;
    if (!g)
        return NULL;
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, &to_stream_ops,
                                     fr_graph_name_or(g, name, "KTABLE-TOSTREAM-"), t->node, t->key_serde,
                                     t->value_serde);
    return fr_builder_new_kstream(t->b, n, t->key_serde, t->value_serde, 0);
}

const char *fr_ktable_store_name(const fr_ktable_t *t) { return t && t->store ? t->store->name : NULL; }
