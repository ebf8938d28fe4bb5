/*
 * fr_global_table.c — GlobalKTable and KStream-GlobalKTable join / leftJoin
 * (Kafka's InternalStreamsBuilder#globalTable, KStreamGlobalKTableJoin).
 *
 * A global table is a source and a table node marked global: the layout
 * puts them in a node group of their own that gets no partitioned tasks;
 * whoever runs the topology feeds every partition of the topic to one
 * global task (fr_task_open_global) and lets the other tasks look its store
 * up (fr_task_set_global_stores).  The join node reads the store by name
 * without connecting to it — as in Kafka, describe() shows "stores: []" —
 * so the stream side needs no co-partitioning: a key mapper picks the
 * lookup key from each record.
 */
#include <stdio.h>
#include <string.h>

#include "fr_join.h"
#include "fr_store.h"

struct fr_global_ktable {
    fr_builder_t *b;
    fr_node_t *node;
    fr_store_def_t *store;
};

/* The table node: upsert (a null value deletes); nothing is forwarded. */
static int global_source_init(fr_task_t *t, fr_node_t *n, void **state) {
    fr_store_def_t *def = n->arg;
    *state = fr_task_kvstore(t, def->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

static int global_source_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    if (fr_slice_is_null(r->key))
        return fr_join_drop(t, n, "a null key");
    return fr_kvstore_put(state, r->key, r->value, r->ts);
}

static const fr_node_ops_t global_source_ops = {"global-table-source", global_source_init, global_source_process,
                                                NULL};

fr_global_ktable_t *fr_builder_global_table(fr_builder_t *b, const char *topic, const fr_consumed_t *c,
                                            const fr_materialized_t *m) {
    fr_graph_t *g = fr_builder_graph(b);
    if (!g)
        return NULL;
    if (!topic || !*topic) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "globalTable(): no topic");
        return NULL;
    }
    for (size_t i = 0; i < g->nnodes; i++)
        for (size_t k = 0; g->nodes[i]->role == FR_NODE_SOURCE && k < g->nodes[i]->ntopics; k++)
            if (!strcmp(g->nodes[i]->topics[k], topic)) {
                fr_graph_fail(g, FR_ERR_INVALID_ARG, "topic \"%s\" is already a source of %s", topic,
                              g->nodes[i]->name);
                return NULL;
            }
    /* Kafka's order: the store name (when generated), the source, the table node. */
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s-STATE-STORE-", topic);
    char *store = m && m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, prefix);
    const fr_serde_t *sks = c ? c->key_serde : NULL, *svs = c ? c->value_serde : NULL;
    fr_node_t *src = store ? fr_graph_add_node(g, FR_NODE_SOURCE, &fr_source_ops,
                                               fr_graph_name_or(g, c ? c->name : NULL, "KSTREAM-SOURCE-"), NULL, sks,
                                               svs)
                           : NULL;
    if (!src || fr_graph_node_add_topic(g, src, topic))
        return NULL;
    const fr_serde_t *ks = m && m->key_serde ? m->key_serde : sks;
    const fr_serde_t *vs = m && m->value_serde ? m->value_serde : svs;
    fr_node_t *tn = fr_graph_add_node(g, FR_NODE_PROCESSOR, &global_source_ops, fr_graph_new_name(g, "KTABLE-SOURCE-"),
                                      src, ks, vs);
    /* Never changelogged: the topic itself is replayed to restore. */
    fr_store_def_t *def = tn ? fr_graph_add_store(g, store, ks, vs, 0, 0, tn) : NULL;
    if (!def) /* fr_graph_add_store connects it to its owner */
        return NULL;
    src->global = tn->global = 1;
    tn->arg = def;
    fr_global_ktable_t *gt = fr_arena_calloc(&b->handles, 1, sizeof *gt);
    if (!gt) {
        fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *gt = (fr_global_ktable_t){b, tn, def};
    return gt;
}

const char *fr_global_ktable_store_name(const fr_global_ktable_t *gt) { return gt ? gt->store->name : NULL; }

/* ---- KStream-GlobalKTable join ---- */

typedef struct gj_arg {
    fr_key_selector_fn mapper;
    void *mapper_ctx;
    fr_value_joiner_fn fn;
    void *ctx;
    int left;
    fr_store_def_t *store;
} gj_arg_t;

/* The store is read through fr_task_global_get at every record: the global
 * task may open after this one, and a runtime reads it from snapshots. */
static int gj_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    (void)state;
    gj_arg_t *a = n->arg;
    if (fr_slice_is_null(r->value))
        return fr_join_drop(t, n, "null join key or value");
    fr_datum_t k, v, mk = fr_datum_null(), gv = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    int rc = a->mapper(a->mapper_ctx, &k, &v, &mk, fr_task_scratch(t));
    if (rc < 0) {
        fr_error("streams", "%s: key mapper failed: %s", n->name, fr_err_str(rc));
        return rc;
    }
    /* Kafka (KIP-962): a left join keeps a null-keyed record; otherwise no lookup key means no join. */
    if (mk.is_null && !(a->left && k.is_null))
        return fr_join_drop(t, n, "null join key or value");
    if (!mk.is_null) {
        uint8_t buf[8];
        fr_slice_t kb, vb = FR_SLICE_NULL;
        if ((rc = fr_task_encode(t, n, fr_task_key_serde(t, a->store->key_serde), &mk, buf, &kb)))
            return rc;
        rc = fr_slice_is_null(kb) ? FR_ERR_NOT_FOUND : fr_task_global_get(t, a->store->name, kb, &vb);
        if (rc == FR_ERR_INVALID_ARG)
            fr_error("streams", "%s: global store %s is not available to this task", n->name, a->store->name);
        if (rc && rc != FR_ERR_NOT_FOUND)
            return rc;
        fr_serde_view(fr_task_value_serde(t, a->store->value_serde), vb, &gv);
    }
    if (gv.is_null && !a->left)
        return 0;
    fr_rec_t o = *r;
    if ((rc = fr_join_apply(t, n, a->fn, a->ctx, &k, &v, &gv, &o.value)))
        return rc;
    return fr_task_forward(t, n, &o);
}

static const fr_node_ops_t global_join_ops = {"stream-globaltable-join", NULL, gj_process, NULL};

static fr_kstream_t *global_join(fr_kstream_t *s, fr_global_ktable_t *gt, fr_key_selector_fn mapper, void *mctx,
                                 fr_value_joiner_fn fn, void *ctx, const fr_serde_t *value_out, const char *name,
                                 int left) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g || !gt)
        return NULL;
    if (!mapper || !fn || gt->b != s->b) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s(GlobalKTable): %s", left ? "leftJoin" : "join",
                      !mapper ? "no key mapper" : !fn ? "no joiner" : "the table is from another builder");
        return NULL;
    }
    gj_arg_t *a = fr_graph_alloc(g, sizeof *a);
    const fr_serde_t *out = value_out ? value_out : s->value_serde;
    /* Kafka names both variants KSTREAM-LEFTJOIN-. */
    fr_node_t *n = a ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &global_join_ops,
                                         fr_graph_name_or(g, name, "KSTREAM-LEFTJOIN-"), s->node, s->key_serde, out)
                     : NULL;
    if (!n)
        return NULL;
    *a = (gj_arg_t){mapper, mctx, fn, ctx, left, gt->store};
    n->arg = a;
    return fr_builder_new_kstream(s->b, n, s->key_serde, out, s->repartition_required);
}

fr_kstream_t *fr_kstream_join_global(fr_kstream_t *s, fr_global_ktable_t *gt, fr_key_selector_fn mapper,
                                     void *mapper_ctx, fr_value_joiner_fn fn, void *ctx,
                                     const fr_serde_t *value_out, const char *name) {
    return global_join(s, gt, mapper, mapper_ctx, fn, ctx, value_out, name, 0);
}

fr_kstream_t *fr_kstream_left_join_global(fr_kstream_t *s, fr_global_ktable_t *gt, fr_key_selector_fn mapper,
                                          void *mapper_ctx, fr_value_joiner_fn fn, void *ctx,
                                          const fr_serde_t *value_out, const char *name) {
    return global_join(s, gt, mapper, mapper_ctx, fn, ctx, value_out, name, 1);
}
