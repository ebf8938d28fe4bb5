/*
 * fr_source_sink.c — the topic boundary: source nodes (deserialization
 * checks), sink nodes (to(), repartition topics) and the null-key filter
 * Kafka puts in front of every repartition sink.
 */
#include <string.h>

#include "fr_graph.h"

/* A record's bytes are checked once, where they enter the topology: past the
 * source, operators decode without re-validating. */
static int check_bytes(fr_task_t *t, fr_node_t *n, const fr_serde_t *s, fr_slice_t b, const char *what) {
    fr_datum_t d;
    int rc = fr_serde_decode(s, b, &d);
    if (rc == 0)
        return 0;
    const fr_record_context_t *rc_ = fr_task_record_context(t);
    const fr_topology_t *topo = fr_task_topology(t);
    if (topo->deser_continue) {
        fr_warn("streams", "%s: skipping record whose %s is not %s (%d bytes; topic %s partition %d offset %lld)",
                n->name, what, fr_serde_name(s), b.len, rc_->topic ? rc_->topic : "-", rc_->partition,
                (long long)rc_->offset);
        fr_task_count_dropped(t);
        return 1;
    }
    fr_error("streams", "%s: cannot deserialize the %s as %s (%d bytes; topic %s partition %d offset %lld)", n->name,
             what, fr_serde_name(s), b.len, rc_->topic ? rc_->topic : "-", rc_->partition, (long long)rc_->offset);
    return FR_ERR_PARSE;
}

static int source_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    const fr_serde_t *ks = fr_task_key_serde(t, n->key_serde), *vs = fr_task_value_serde(t, n->value_serde);
    fr_source_arg_t *a = n->arg;
    int rc = check_bytes(t, n, ks, r->key, "key");
    if (rc)
        return rc > 0 ? 0 : rc;
    if (a && a->change_values) {
        fr_rec_t c = *r;
        if (fr_change_decode(r->value, &c.value, &c.old_value)) {
            /* Kafka's ChangedDeserializer failing goes to the deserialization handler too. */
            const fr_record_context_t *rc_ = fr_task_record_context(t);
            if (fr_task_topology(t)->deser_continue) {
                fr_warn("streams", "%s: skipping malformed change record (topic %s partition %d offset %lld)",
                        n->name, n->full_topics[0], rc_->partition, (long long)rc_->offset);
                fr_task_count_dropped(t);
                return 0;
            }
            fr_error("streams", "%s: malformed change record in %s", n->name, n->full_topics[0]);
            return FR_ERR_PARSE;
        }
        c.is_change = 1;
        if ((rc = check_bytes(t, n, vs, c.value, "value")) || (rc = check_bytes(t, n, vs, c.old_value, "old value")))
            return rc > 0 ? 0 : rc;
        return fr_task_forward(t, n, &c);
    }
    if ((rc = check_bytes(t, n, vs, r->value, "value")))
        return rc > 0 ? 0 : rc;
    return fr_task_forward(t, n, r);
}

const fr_node_ops_t fr_source_ops = {"source", NULL, source_process, NULL};

static int null_key_filter_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    if (fr_slice_is_null(r->key)) {
        fr_task_count_dropped(t);
        return 0;
    }
    return fr_task_forward(t, n, r);
}

const fr_node_ops_t fr_null_key_filter_ops = {"repartition-filter", NULL, null_key_filter_process, NULL};

static int sink_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    fr_sink_arg_t *a = n->arg;
    const fr_task_io_t *io = fr_task_io_of(t);
    const char *topic = n->ntopics ? n->full_topics[0] : NULL;
    int32_t partition = -1;
    fr_datum_t k, v;
    if (a && (a->extractor || a->partitioner))
        fr_task_view(t, n, r, &k, &v);
    if (a && a->extractor) {
        topic = a->extractor(a->extractor_ctx, &k, &v, fr_task_record_context(t));
        if (!topic || !*topic) {
            fr_error("streams", "%s: the topic name extractor returned no topic", n->name);
            return FR_ERR_INVALID_ARG;
        }
    }
    if (a && a->partitioner) {
        int32_t np = io->partition_count ? io->partition_count(io->ctx, topic) : -1;
        if (np > 0) {
            partition = a->partitioner(a->partitioner_ctx, topic, &k, &v, np);
            if (partition >= np) {
                fr_error("streams", "%s: partitioner chose partition %d of %d for %s", n->name, partition, np, topic);
                return FR_ERR_INVALID_ARG;
            }
            if (partition < 0)
                partition = -1;
        }
    }
    fr_slice_t value = r->value;
    if (a && a->change_values) {
        int rc = fr_change_encode(fr_task_scratch(t), r->value, r->is_change ? r->old_value : FR_SLICE_NULL, &value);
        if (rc)
            return rc;
    }
    return io->send(io->ctx, topic, partition, r->key, value, r->ts, r->headers, r->nheaders);
}

const fr_node_ops_t fr_sink_ops = {"sink", NULL, sink_process, NULL};

/* Produced serdes must describe the bytes the stream carries: the same type,
 * or bytes (raw pass-through). */
static int serde_fits(const fr_serde_t *want, const fr_serde_t *have) {
    return !want || !have || want == have || fr_serde_type(want) == FR_TYPE_BYTES;
}

static int add_sink(fr_kstream_t *s, const char *topic, fr_topic_extractor_fn ex, void *ex_ctx,
                    const fr_produced_t *p) {
    if (!s)
        return FR_ERR_INVALID_ARG;
    fr_graph_t *g = fr_builder_graph(s->b);
    if (!g)
        return fr_builder_error(s->b, NULL) ? fr_builder_error(s->b, NULL) : FR_ERR_INVALID_ARG;
    if (!topic && !ex)
        return fr_graph_fail(g, FR_ERR_INVALID_ARG, "to(): no topic");
    if (p && (!serde_fits(p->key_serde, s->key_serde) || !serde_fits(p->value_serde, s->value_serde)))
        return fr_graph_fail(g, FR_ERR_INVALID_ARG, "to(%s): Produced serdes %s/%s do not match the stream's %s/%s",
                             topic ? topic : "extractor", fr_serde_name(p->key_serde), fr_serde_name(p->value_serde),
                             fr_serde_name(s->key_serde), fr_serde_name(s->value_serde));
    fr_sink_arg_t *a = fr_graph_alloc(g, sizeof *a);
    if (!a)
        return g->err;
    if (p) {
        a->partitioner = p->partitioner;
        a->partitioner_ctx = p->partitioner_ctx;
    }
    a->extractor = ex;
    a->extractor_ctx = ex_ctx;
    fr_node_t *n = fr_graph_add_node(g, FR_NODE_SINK, &fr_sink_ops,
                                     fr_graph_name_or(g, p ? p->name : NULL, "KSTREAM-SINK-"), s->node, s->key_serde,
                                     s->value_serde);
    if (!n || (topic && fr_graph_node_add_topic(g, n, topic)))
        return g->err;
    n->arg = a;
    return 0;
}

int fr_kstream_to(fr_kstream_t *s, const char *topic, const fr_produced_t *produced) {
    if (!topic && s && s->b && s->b->g && !s->b->built)
        return fr_graph_fail(s->b->g, FR_ERR_INVALID_ARG, "to(): no topic");
    return add_sink(s, topic, NULL, NULL, produced);
}

int fr_kstream_to_extractor(fr_kstream_t *s, fr_topic_extractor_fn fn, void *ctx, const fr_produced_t *produced) {
    if (!fn && s && s->b && s->b->g && !s->b->built)
        return fr_graph_fail(s->b->g, FR_ERR_INVALID_ARG, "to(): no topic name extractor");
    return add_sink(s, NULL, fn, ctx, produced);
}

fr_kstream_t *fr_kstream_repartition(fr_kstream_t *s, const fr_repartitioned_t *r) {
    fr_graph_t *g = s ? fr_builder_graph(s->b) : NULL;
    if (!g)
        return NULL;
    const fr_serde_t *ks = r && r->key_serde ? r->key_serde : s->key_serde;
    const fr_serde_t *vs = r && r->value_serde ? r->value_serde : s->value_serde;
    if (!serde_fits(ks, s->key_serde) || !serde_fits(vs, s->value_serde)) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "repartition(): serdes do not match the stream's");
        return NULL;
    }
    if (r && r->partitions < 0) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "repartition(): negative partition count");
        return NULL;
    }
    /* Kafka: the name (given or KSTREAM-REPARTITION-<n>) prefixes the topic. */
    char *name = fr_graph_name_or(g, r ? r->name : NULL, "KSTREAM-REPARTITION-");
    if (!name)
        return NULL;
    fr_node_t *src = fr_graph_add_repartition(g, s->node, name, ks, vs, 1, 0, r ? r->partitions : 0,
                                              r ? r->partitioner : NULL, r ? r->partitioner_ctx : NULL);
    return fr_builder_new_kstream(s->b, src, ks, vs, 0);
}
