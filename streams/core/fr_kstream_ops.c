/*
 * fr_kstream_ops.c — KStream's stateless operators: filter, filterNot, map,
 * mapValues, flatMap, flatMapValues, selectKey, peek, foreach, merge, split.
 *
 * Each operator decodes the record into datums with its input serdes, calls
 * the user function, encodes the result with its output serdes (numbers into
 * a stack buffer, text as a view) and forwards depth first, so nothing is
 * allocated per record unless the user function asks for scratch memory.
 */
#include <string.h>

#include "fr_graph.h"

typedef struct op_arg {
    union {
        fr_predicate_fn pred;
        fr_value_mapper_fn map_values;
        fr_key_value_mapper_fn map;
        fr_key_selector_fn select_key;
        fr_flat_mapper_fn flat;
        fr_action_fn action;
    } fn;
    void *ctx;
    int negate;     /* filterNot */
    int values_only; /* flatMapValues */
} op_arg_t;

static int fail_fn(const fr_node_t *n, int rc) {
    fr_error("streams", "%s: user function failed: %s", n->name, fr_err_str(rc));
    return rc;
}

static int filter_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    int keep = a->fn.pred(a->ctx, &k, &v);
    if (keep < 0)
        return fail_fn(n, keep);
    if ((keep != 0) != (a->negate != 0))
        return fr_task_forward(t, n, r);
    return 0;
}

static int map_values_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v, out = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    int rc = a->fn.map_values(a->ctx, &k, &v, &out, fr_task_scratch(t));
    if (rc < 0)
        return fail_fn(n, rc);
    uint8_t buf[8];
    fr_rec_t o = *r;
    o.is_change = 0;
    if ((rc = fr_task_encode(t, n, fr_task_value_serde(t, n->value_serde), &out, buf, &o.value)))
        return rc;
    return fr_task_forward(t, n, &o);
}

static int map_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v, ok = fr_datum_null(), ov = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    int rc = a->fn.map(a->ctx, &k, &v, &ok, &ov, fr_task_scratch(t));
    if (rc < 0)
        return fail_fn(n, rc);
    uint8_t kb[8], vb[8];
    fr_rec_t o = *r;
    o.is_change = 0;
    if ((rc = fr_task_encode(t, n, fr_task_key_serde(t, n->key_serde), &ok, kb, &o.key)) ||
        (rc = fr_task_encode(t, n, fr_task_value_serde(t, n->value_serde), &ov, vb, &o.value)))
        return rc;
    return fr_task_forward(t, n, &o);
}

static int select_key_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v, ok = fr_datum_null();
    fr_task_view(t, n, r, &k, &v);
    int rc = a->fn.select_key(a->ctx, &k, &v, &ok, fr_task_scratch(t));
    if (rc < 0)
        return fail_fn(n, rc);
    uint8_t kb[8];
    fr_rec_t o = *r;
    if ((rc = fr_task_encode(t, n, fr_task_key_serde(t, n->key_serde), &ok, kb, &o.key)))
        return rc;
    return fr_task_forward(t, n, &o);
}

struct fr_emitter {
    fr_task_t *t;
    fr_node_t *n;
    const fr_rec_t *in;
    int values_only;
};

int fr_emit(fr_emitter_t *e, const fr_datum_t *key, const fr_datum_t *value) {
    if (!e || !value)
        return FR_ERR_INVALID_ARG;
    uint8_t kb[8], vb[8];
    fr_rec_t o = *e->in;
    o.is_change = 0;
    int rc;
    if (!e->values_only) {
        fr_datum_t nk = key ? *key : fr_datum_null();
        if ((rc = fr_task_encode(e->t, e->n, fr_task_key_serde(e->t, e->n->key_serde), &nk, kb, &o.key)))
            return rc;
    }
    if ((rc = fr_task_encode(e->t, e->n, fr_task_value_serde(e->t, e->n->value_serde), value, vb, &o.value)))
        return rc;
    return fr_task_forward(e->t, e->n, &o);
}

fr_scratch_t *fr_emitter_scratch(fr_emitter_t *e) { return e ? fr_task_scratch(e->t) : NULL; }

static int flat_map_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    fr_emitter_t e = {t, n, r, a->values_only};
    int rc = a->fn.flat(a->ctx, &k, &v, &e);
    return rc < 0 ? fail_fn(n, rc) : 0;
}

static int peek_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    op_arg_t *a = n->arg;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    int rc = a->fn.action(a->ctx, &k, &v);
    if (rc < 0)
        return fail_fn(n, rc);
    return fr_task_forward(t, n, r); /* foreach has no children: a no-op */
}

static int pass_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    return fr_task_forward(t, n, r);
}

static const fr_node_ops_t filter_ops = {"filter", NULL, filter_process, NULL};
static const fr_node_ops_t map_values_ops = {"mapValues", NULL, map_values_process, NULL};
static const fr_node_ops_t map_ops = {"map", NULL, map_process, NULL};
static const fr_node_ops_t select_key_ops = {"selectKey", NULL, select_key_process, NULL};
static const fr_node_ops_t flat_map_ops = {"flatMap", NULL, flat_map_process, NULL};
static const fr_node_ops_t peek_ops = {"peek", NULL, peek_process, NULL};
static const fr_node_ops_t pass_ops = {"pass", NULL, pass_process, NULL};

/* Adds one stateless operator after s. */
static fr_kstream_t *add_op(fr_kstream_t *s, const fr_node_ops_t *ops, const char *prefix, const char *name,
                            const void *fn, void *ctx, int negate, int values_only, const fr_serde_t *ks,
                            const fr_serde_t *vs, int repartition) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g)
        return NULL;
    if (!fn) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "%s: no function given", prefix);
        return NULL;
    }
    op_arg_t *a = fr_graph_alloc(g, sizeof *a);
    if (!a)
        return NULL;
    memcpy(&a->fn, &fn, sizeof fn);
    a->ctx = ctx;
    a->negate = negate;
    a->values_only = values_only;
    ks = ks ? ks : s->key_serde;
    vs = vs ? vs : s->value_serde;
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, ops, fr_graph_name_or(g, name, prefix), s->node, ks, vs);
    if (!n)
        return NULL;
    n->arg = a;
    return fr_builder_new_kstream(s->b, n, ks, vs, repartition || s->repartition_required);
}

/* Function pointers travel through add_op as data pointers' size; POSIX
 * guarantees the two are interchangeable. */
#define FNPTR(f) ((const void *)(uintptr_t)(f))

fr_kstream_t *fr_kstream_filter(fr_kstream_t *s, fr_predicate_fn fn, void *ctx, const char *name) {
    return add_op(s, &filter_ops, "KSTREAM-FILTER-", name, FNPTR(fn), ctx, 0, 0, NULL, NULL, 0);
}

fr_kstream_t *fr_kstream_filter_not(fr_kstream_t *s, fr_predicate_fn fn, void *ctx, const char *name) {
    return add_op(s, &filter_ops, "KSTREAM-FILTER-", name, FNPTR(fn), ctx, 1, 0, NULL, NULL, 0);
}

fr_kstream_t *fr_kstream_map(fr_kstream_t *s, fr_key_value_mapper_fn fn, void *ctx, const fr_serde_t *key_out,
                             const fr_serde_t *value_out, const char *name) {
    return add_op(s, &map_ops, "KSTREAM-MAP-", name, FNPTR(fn), ctx, 0, 0, key_out, value_out, 1);
}

fr_kstream_t *fr_kstream_map_values(fr_kstream_t *s, fr_value_mapper_fn fn, void *ctx, const fr_serde_t *value_out,
                                    const char *name) {
    return add_op(s, &map_values_ops, "KSTREAM-MAPVALUES-", name, FNPTR(fn), ctx, 0, 0, NULL, value_out, 0);
}

fr_kstream_t *fr_kstream_flat_map(fr_kstream_t *s, fr_flat_mapper_fn fn, void *ctx, const fr_serde_t *key_out,
                                  const fr_serde_t *value_out, const char *name) {
    return add_op(s, &flat_map_ops, "KSTREAM-FLATMAP-", name, FNPTR(fn), ctx, 0, 0, key_out, value_out, 1);
}

fr_kstream_t *fr_kstream_flat_map_values(fr_kstream_t *s, fr_flat_mapper_fn fn, void *ctx,
                                         const fr_serde_t *value_out, const char *name) {
    return add_op(s, &flat_map_ops, "KSTREAM-FLATMAPVALUES-", name, FNPTR(fn), ctx, 0, 1, NULL, value_out, 0);
}

fr_kstream_t *fr_kstream_select_key(fr_kstream_t *s, fr_key_selector_fn fn, void *ctx, const fr_serde_t *key_out,
                                    const char *name) {
    return add_op(s, &select_key_ops, "KSTREAM-KEY-SELECT-", name, FNPTR(fn), ctx, 0, 0, key_out, NULL, 1);
}

fr_kstream_t *fr_kstream_peek(fr_kstream_t *s, fr_action_fn fn, void *ctx, const char *name) {
    return add_op(s, &peek_ops, "KSTREAM-PEEK-", name, FNPTR(fn), ctx, 0, 0, NULL, NULL, 0);
}

int fr_kstream_foreach(fr_kstream_t *s, fr_action_fn fn, void *ctx, const char *name) {
    if (add_op(s, &peek_ops, "KSTREAM-FOREACH-", name, FNPTR(fn), ctx, 0, 0, NULL, NULL, 0))
        return 0;
    int rc = s ? fr_builder_error(s->b, NULL) : FR_ERR_INVALID_ARG;
    return rc ? rc : FR_ERR_INVALID_ARG;
}

fr_kstream_t *fr_kstream_merge(fr_kstream_t *a, fr_kstream_t *b, const char *name) {
    if (!a || !b)
        return NULL;
    fr_graph_t *g = fr_builder_graph(a->b);
    if (!g)
        return NULL;
    if (a->b != b->b) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "merge(): streams of two builders");
        return NULL;
    }
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, &pass_ops, fr_graph_name_or(g, name, "KSTREAM-MERGE-"),
                                     a->node, a->key_serde, a->value_serde);
    if (!n || fr_graph_link(g, b->node, n))
        return NULL;
    return fr_builder_new_kstream(a->b, n, a->key_serde, a->value_serde,
                                  a->repartition_required || b->repartition_required);
}

/* ---- split ---- */

typedef struct split_branch {
    fr_predicate_fn pred; /* NULL: the default branch */
    void *ctx;
    fr_node_t *child;
} split_branch_t;

struct fr_branched {
    fr_kstream_t *s;
    fr_node_t *node;
    split_branch_t *branches; /* in the graph arena; grown by copying */
    size_t n;
    int has_default;
};

typedef struct split_arg {
    fr_branched_t *br;
} split_arg_t;

static int split_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    fr_branched_t *br = ((split_arg_t *)n->arg)->br;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    for (size_t i = 0; i < br->n; i++) {
        split_branch_t *b = &br->branches[i];
        int keep = 1;
        if (b->pred && (keep = b->pred(b->ctx, &k, &v)) < 0)
            return fail_fn(n, keep);
        if (keep)
            return b->child->ops->process(t, b->child, NULL, r);
    }
    return 0;
}

static const fr_node_ops_t split_ops = {"split", NULL, split_process, NULL};

fr_branched_t *fr_kstream_split(fr_kstream_t *s, const char *name) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g)
        return NULL;
    fr_branched_t *br = fr_graph_alloc(g, sizeof *br);
    split_arg_t *a = fr_graph_alloc(g, sizeof *a);
    if (!br || !a)
        return NULL;
    /* Kafka: split(Named) names the splitter and prefixes its branches. */
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_PROCESSOR, &split_ops, fr_graph_name_or(g, name, "KSTREAM-BRANCH-"),
                                     s->node, s->key_serde, s->value_serde);
    if (!n)
        return NULL;
    a->br = br;
    n->arg = a;
    br->s = s;
    br->node = n;
    return br;
}

static fr_kstream_t *add_branch(fr_branched_t *br, fr_predicate_fn fn, void *ctx, const char *bname) {
    if (!br)
        return NULL;
    fr_graph_t *g = fr_builder_graph(br->s->b);
    if (!g)
        return NULL;
    if (br->has_default) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "split(): a branch after the default branch");
        return NULL;
    }
    char buf[320];
    if (bname)
        snprintf(buf, sizeof buf, "%s%s", br->node->name, bname);
    else if (fn)
        snprintf(buf, sizeof buf, "%s%zu", br->node->name, br->n + 1);
    else
        snprintf(buf, sizeof buf, "%s0", br->node->name);
    split_branch_t *nb = fr_graph_alloc(g, (br->n + 1) * sizeof *nb);
    fr_node_t *c = fr_graph_add_node(g, FR_NODE_PROCESSOR, &pass_ops, fr_graph_name_or(g, buf, NULL), br->node,
                                     br->s->key_serde, br->s->value_serde);
    if (!nb || !c)
        return NULL;
    if (br->n)
        memcpy(nb, br->branches, br->n * sizeof *nb);
    nb[br->n++] = (split_branch_t){fn, ctx, c};
    br->branches = nb;
    if (!fn)
        br->has_default = 1;
    return fr_builder_new_kstream(br->s->b, c, br->s->key_serde, br->s->value_serde, br->s->repartition_required);
}

fr_kstream_t *fr_branched_branch(fr_branched_t *br, fr_predicate_fn fn, void *ctx, const char *branch_name) {
    if (br && !fn) {
        fr_graph_fail(br->s->b->g, FR_ERR_INVALID_ARG, "split(): a branch needs a predicate");
        return NULL;
    }
    return add_branch(br, fn, ctx, branch_name);
}

fr_kstream_t *fr_branched_default(fr_branched_t *br, const char *branch_name) {
    return add_branch(br, NULL, NULL, branch_name);
}
