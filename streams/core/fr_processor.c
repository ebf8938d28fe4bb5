/*
 * fr_processor.c — the processor API: KStream#process with user processors,
 * their context (forward, record context, punctuation schedules) and typed
 * access to the key-value stores connected to them.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_graph.h"
#include "fr_store.h"

struct fr_kv {
    fr_task_t *t;
    const fr_store_def_t *def;
    fr_kvstore_t *kv;
};

struct fr_processor_context {
    fr_task_t *t;
    fr_node_t *n;
    const fr_processor_supplier_t *sup;
    void *state;
    fr_kv_t *kvs;
    size_t nkv;
    int in_init;
};

static int proc_init(fr_task_t *t, fr_node_t *n, void **state) {
    const fr_processor_supplier_t *sup = n->arg;
    fr_processor_context_t *pc = calloc(1, sizeof *pc);
    if (!pc)
        return FR_ERR_NOMEM;
    *state = pc;
    pc->t = t;
    pc->n = n;
    pc->sup = sup;
    pc->state = sup->ctx;
    pc->kvs = calloc(n->nstores + 1, sizeof *pc->kvs);
    if (!pc->kvs)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < n->nstores; i++) {
        fr_kv_t *kv = &pc->kvs[pc->nkv];
        kv->t = t;
        kv->def = fr_task_store_def(t, n->stores[i]);
        kv->kv = fr_task_kvstore(t, n->stores[i]);
        if (!kv->def || !kv->kv)
            return FR_ERR_NOT_FOUND;
        pc->nkv++;
    }
    if (!sup->init)
        return 0;
    pc->in_init = 1;
    int rc = sup->init(sup->ctx, pc, &pc->state);
    pc->in_init = 0;
    return rc < 0 ? rc : 0;
}

static int proc_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    fr_processor_context_t *pc = state;
    fr_datum_t k, v;
    fr_task_view(t, n, r, &k, &v);
    int rc = pc->sup->process(pc->state, pc, &k, &v);
    if (rc < 0)
        fr_error("streams", "%s: processor failed: %s", n->name, fr_err_str(rc));
    return rc < 0 ? rc : 0;
}

static void proc_close(fr_task_t *t, fr_node_t *n, void *state) {
    fr_processor_context_t *pc = state;
    if (!pc)
        return;
    if (pc->sup->close)
        pc->sup->close(pc->state);
    free(pc->kvs);
    free(pc);
}

static const fr_node_ops_t proc_ops = {"processor", proc_init, proc_process, proc_close};

int fr_builder_add_kv_store(fr_builder_t *b, const fr_materialized_t *m) {
    fr_graph_t *g = fr_builder_graph(b);
    if (!g)
        return b ? (fr_builder_error(b, NULL) ? fr_builder_error(b, NULL) : FR_ERR_INVALID_ARG) : FR_ERR_INVALID_ARG;
    if (!m || !m->name)
        return fr_graph_fail(g, FR_ERR_INVALID_ARG, "add_kv_store(): a store needs a name");
    if (!fr_graph_add_store(g, m->name, m->key_serde, m->value_serde, !m->logging_disabled, 1, NULL))
        return g->err;
    return 0;
}

fr_kstream_t *fr_kstream_process(fr_kstream_t *s, const fr_processor_supplier_t *supplier,
                                 const char *const *store_names, size_t nstores, const fr_serde_t *key_out,
                                 const fr_serde_t *value_out, const char *name) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g)
        return NULL;
    if (!supplier || !supplier->process) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "process(): no process function");
        return NULL;
    }
    for (size_t i = 0; i < nstores; i++)
        if (!store_names[i] || !fr_graph_find_store(g, store_names[i])) {
            fr_graph_fail(g, FR_ERR_INVALID_ARG, "process(): unknown store \"%s\"",
                          store_names[i] ? store_names[i] : "(null)");
            return NULL;
        }
    fr_processor_supplier_t *copy = fr_graph_alloc(g, sizeof *copy);
    const fr_serde_t *ks = key_out ? key_out : s->key_serde, *vs = value_out ? value_out : s->value_serde;
    fr_node_t *n = copy ? fr_graph_add_node(g, FR_NODE_PROCESSOR, &proc_ops,
                                            fr_graph_name_or(g, name, "KSTREAM-PROCESSOR-"), s->node, ks, vs)
                        : NULL;
    if (!n)
        return NULL;
    *copy = *supplier;
    n->arg = copy;
    for (size_t i = 0; i < nstores; i++)
        if (fr_graph_node_add_store(g, n, store_names[i]))
            return NULL;
    /* Kafka marks the output of process() as possibly re-keyed. */
    return fr_builder_new_kstream(s->b, n, ks, vs, 1);
}

/* ---- the context ---- */

int fr_pctx_forward_ts(fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value, int64_t ts) {
    if (!pc || !key || !value)
        return FR_ERR_INVALID_ARG;
    const fr_record_context_t *rc_ = fr_task_record_context(pc->t);
    uint8_t kb[8], vb[8];
    fr_rec_t r = {FR_SLICE_NULL, FR_SLICE_NULL, FR_SLICE_NULL, 0, ts, rc_->headers, rc_->nheaders};
    int rc;
    if ((rc = fr_task_encode(pc->t, pc->n, fr_task_key_serde(pc->t, pc->n->key_serde), key, kb, &r.key)) ||
        (rc = fr_task_encode(pc->t, pc->n, fr_task_value_serde(pc->t, pc->n->value_serde), value, vb, &r.value)))
        return rc;
    return fr_task_forward(pc->t, pc->n, &r);
}

int fr_pctx_forward(fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value) {
    if (!pc)
        return FR_ERR_INVALID_ARG;
    return fr_pctx_forward_ts(pc, key, value, fr_task_record_context(pc->t)->timestamp);
}

const fr_record_context_t *fr_pctx_record_context(const fr_processor_context_t *pc) {
    return pc ? fr_task_record_context(pc->t) : NULL;
}
int32_t fr_pctx_partition(const fr_processor_context_t *pc) { return pc ? fr_task_partition(pc->t) : -1; }
int64_t fr_pctx_stream_time(const fr_processor_context_t *pc) { return pc ? fr_task_stream_time(pc->t) : -1; }
const char *fr_pctx_application_id(const fr_processor_context_t *pc) {
    return pc ? fr_task_topology(pc->t)->app_id : NULL;
}
fr_scratch_t *fr_pctx_scratch(fr_processor_context_t *pc) { return pc ? fr_task_scratch(pc->t) : NULL; }

int fr_pctx_schedule(fr_processor_context_t *pc, int64_t interval_ms, fr_punctuation_type_t type, fr_punctuator_fn fn,
                     void *ctx) {
    if (!pc || !pc->in_init)
        return FR_ERR_INVALID_ARG;
    return fr_task_schedule(pc->t, interval_ms, type, fn, ctx, pc);
}

fr_kv_t *fr_pctx_kv(fr_processor_context_t *pc, const char *store_name) {
    for (size_t i = 0; pc && store_name && i < pc->nkv; i++)
        if (!strcmp(pc->kvs[i].def->name, store_name))
            return &pc->kvs[i];
    return NULL;
}

/* ---- typed store access ---- */

static int enc_key(fr_kv_t *kv, const fr_datum_t *key, uint8_t buf[8], fr_slice_t *out) {
    int rc = fr_serde_encode(fr_task_key_serde(kv->t, kv->def->key_serde), key, buf, out);
    if (!rc && fr_slice_is_null(*out))
        rc = FR_ERR_INVALID_ARG; /* stores have no null keys */
    return rc;
}

int fr_kv_get(fr_kv_t *kv, const fr_datum_t *key, fr_datum_t *value) {
    if (!kv || !key || !value)
        return FR_ERR_INVALID_ARG;
    uint8_t kb[8];
    fr_slice_t k, v;
    int rc = enc_key(kv, key, kb, &k);
    if (rc || (rc = fr_kvstore_get(kv->kv, k, &v)))
        return rc;
    fr_serde_view(fr_task_value_serde(kv->t, kv->def->value_serde), v, value);
    return 0;
}

int fr_kv_put(fr_kv_t *kv, const fr_datum_t *key, const fr_datum_t *value) {
    if (!kv || !key || !value)
        return FR_ERR_INVALID_ARG;
    uint8_t kb[8], vb[8];
    fr_slice_t k, v;
    int rc = enc_key(kv, key, kb, &k);
    if (rc || (rc = fr_serde_encode(fr_task_value_serde(kv->t, kv->def->value_serde), value, vb, &v)))
        return rc;
    return fr_kvstore_put(kv->kv, k, v, fr_task_record_context(kv->t)->timestamp);
}

int fr_kv_delete(fr_kv_t *kv, const fr_datum_t *key) {
    fr_datum_t null = fr_datum_null();
    return fr_kv_put(kv, key, &null);
}

int fr_kv_all(fr_kv_t *kv, int (*fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value), void *ctx) {
    if (!kv || !fn)
        return FR_ERR_INVALID_ARG;
    fr_store_iter_t *it;
    int rc = fr_kvstore_range(kv->kv, FR_SLICE_NULL, FR_SLICE_NULL, &it);
    if (rc)
        return rc;
    fr_store_entry_t e;
    const fr_serde_t *ks = fr_task_key_serde(kv->t, kv->def->key_serde);
    const fr_serde_t *vs = fr_task_value_serde(kv->t, kv->def->value_serde);
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        fr_datum_t k, v;
        fr_serde_view(ks, e.key, &k);
        fr_serde_view(vs, e.value, &v);
        if ((rc = fn(ctx, &k, &v)) != 0)
            break;
    }
    fr_store_iter_close(it);
    return rc < 0 ? rc : 0;
}
