/*
 * fr_builder.c — the builder: handles, sources (stream, table), the
 * repartition helper every key-changing operator uses, and build().
 */
#include <stdio.h>
#include <string.h>

#include "fr_graph.h"
#include "fr_store.h"
#include "fr_ts_value.h"

fr_builder_t *fr_builder_new(void) {
    fr_builder_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->g = fr_graph_new();
    if (!b->g) {
        free(b);
        return NULL;
    }
    fr_arena_init(&b->handles, 4096);
    return b;
}

void fr_builder_free(fr_builder_t *b) {
    if (!b)
        return;
    if (!b->built)
        fr_graph_free(b->g);
    fr_arena_free(&b->handles);
    free(b);
}

int fr_builder_error(const fr_builder_t *b, const char **msg) {
    if (!b)
        return FR_ERR_INVALID_ARG;
    const char *m = b->err ? b->errmsg : (b->g && !b->built && b->g->err) ? b->g->errmsg : "";
    if (msg)
        *msg = m;
    return b->err ? b->err : (b->g && !b->built) ? b->g->err : 0;
}

fr_graph_t *fr_builder_graph(fr_builder_t *b) {
    if (!b)
        return NULL;
    if (b->built) {
        if (!b->err) {
            b->err = FR_ERR_INVALID_ARG;
            snprintf(b->errmsg, sizeof b->errmsg, "builder used after fr_builder_build()");
        }
        return NULL;
    }
    return b->g->err ? NULL : b->g;
}

fr_kstream_t *fr_builder_new_kstream(fr_builder_t *b, fr_node_t *n, const fr_serde_t *ks, const fr_serde_t *vs,
                                     int repartition_required) {
    if (!n)
        return NULL;
    fr_kstream_t *s = fr_arena_calloc(&b->handles, 1, sizeof *s);
    if (!s) {
        fr_graph_fail(b->g, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *s = (fr_kstream_t){b, n, ks, vs, repartition_required};
    return s;
}

fr_ktable_t *fr_builder_new_ktable(fr_builder_t *b, fr_node_t *n, const fr_serde_t *ks, const fr_serde_t *vs,
                                   fr_store_def_t *store) {
    if (!n)
        return NULL;
    fr_ktable_t *t = fr_arena_calloc(&b->handles, 1, sizeof *t);
    if (!t) {
        fr_graph_fail(b->g, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *t = (fr_ktable_t){b, n, ks, vs, store};
    return t;
}

static fr_node_t *add_source(fr_graph_t *g, const char *const *topics, size_t n, const fr_consumed_t *c,
                             int internal) {
    if (n == 0) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "a source needs at least one topic");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!topics[i] || !*topics[i]) {
            fr_graph_fail(g, FR_ERR_INVALID_ARG, "empty topic name");
            return NULL;
        }
        for (size_t j = 0; j < g->nnodes; j++) {
            fr_node_t *o = g->nodes[j];
            if (o->role != FR_NODE_SOURCE)
                continue;
            for (size_t k = 0; k < o->ntopics; k++)
                if (!strcmp(o->topics[k], topics[i])) {
                    fr_graph_fail(g, FR_ERR_INVALID_ARG, "topic \"%s\" is already a source of %s", topics[i],
                                  o->name);
                    return NULL;
                }
        }
    }
    fr_node_t *s = fr_graph_add_node(g, FR_NODE_SOURCE, &fr_source_ops, fr_graph_name_or(g, c ? c->name : NULL,
                                     "KSTREAM-SOURCE-"), NULL, c ? c->key_serde : NULL, c ? c->value_serde : NULL);
    if (!s)
        return NULL;
    s->internal_topic = internal;
    for (size_t i = 0; i < n; i++)
        if (fr_graph_node_add_topic(g, s, topics[i]))
            return NULL;
    return s;
}

fr_kstream_t *fr_builder_stream_topics(fr_builder_t *b, const char *const *topics, size_t n,
                                       const fr_consumed_t *consumed) {
    fr_graph_t *g = fr_builder_graph(b);
    if (!g)
        return NULL;
    if (!topics) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "stream(): no topics");
        return NULL;
    }
    fr_node_t *s = add_source(g, topics, n, consumed, 0);
    return s ? fr_builder_new_kstream(b, s, s->key_serde, s->value_serde, 0) : NULL;
}

fr_kstream_t *fr_builder_stream(fr_builder_t *b, const char *topic, const fr_consumed_t *consumed) {
    return fr_builder_stream_topics(b, &topic, 1, consumed);
}

/* KTABLE-SOURCE: upserts into the table's store; the store's listener sends
 * the change (new, old) downstream, deduplicated when the cache is on. */
static int table_source_init(fr_task_t *t, fr_node_t *n, void **state) {
    fr_store_def_t *def = n->arg;
    *state = fr_task_kvstore(t, def->name);
    return *state ? 0 : FR_ERR_NOT_FOUND;
}

static int table_source_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    if (fr_slice_is_null(r->key)) {
        const fr_record_context_t *rc = fr_task_record_context(t);
        fr_warn("streams", "%s: skipping record with a null key (topic %s partition %d offset %lld)", n->name,
                rc->topic ? rc->topic : "-", rc->partition, (long long)rc->offset);
        fr_task_count_dropped(t);
        return 0;
    }
    /* Kafka's KTableSource: ValueAndTimestamp.make(value, record timestamp). */
    return fr_tsv_put(t, state, n->arg, r->key, r->value, r->ts);
}

static const fr_node_ops_t table_source_ops = {"table-source", table_source_init, table_source_process, NULL};

fr_ktable_t *fr_builder_table(fr_builder_t *b, const char *topic, const fr_consumed_t *consumed,
                              const fr_materialized_t *m) {
    fr_graph_t *g = fr_builder_graph(b);
    if (!g)
        return NULL;
    if (!topic) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "table(): no topic");
        return NULL;
    }
    /* Kafka's order: the store name (when generated) takes the first index. */
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s-STATE-STORE-", topic);
    char *store = m && m->name ? fr_graph_strdup(g, m->name) : fr_graph_new_name(g, prefix);
    fr_node_t *src = add_source(g, &topic, 1, consumed, 0);
    if (!src || !store)
        return NULL;
    const fr_serde_t *ks = m && m->key_serde ? m->key_serde : src->key_serde;
    const fr_serde_t *vs = m && m->value_serde ? m->value_serde : src->value_serde;
    char *tname = NULL;
    if (consumed && consumed->name) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s-table-source", consumed->name);
        tname = fr_graph_name_or(g, buf, NULL);
    } else {
        tname = fr_graph_new_name(g, "KTABLE-SOURCE-");
    }
    fr_node_t *tn = fr_graph_add_node(g, FR_NODE_PROCESSOR, &table_source_ops, tname, src, ks, vs);
    if (!tn)
        return NULL;
    fr_store_def_t *def = fr_graph_add_store(g, store, ks, vs, !(m && m->logging_disabled),
                                             1, tn);
    if (!def)
        return NULL;
    def->timestamped = 1;
    tn->arg = def;
    return fr_builder_new_ktable(b, tn, ks, vs, def);
}

/* Kafka names repartition processors after the topic unless the prefix is a
 * generated name ("KSTREAM...-<10 digits>"). */
static int generated_name(const char *p) {
    size_t n = strlen(p);
    if (strncmp(p, "KSTREAM", 7) != 0 || n < 11 || p[n - 11] != '-')
        return 0;
    for (size_t i = n - 10; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

fr_node_t *fr_graph_add_repartition(fr_graph_t *g, fr_node_t *parent, const char *prefix, const fr_serde_t *ks,
                                    const fr_serde_t *vs, int with_filter, int change_values, int32_t partitions,
                                    fr_partitioner_fn partitioner, void *partitioner_ctx) {
    if (g->err)
        return NULL;
    char topic[300], buf[320];
    size_t pl = strlen(prefix);
    if (pl >= 12 && !strcmp(prefix + pl - 12, "-repartition"))
        snprintf(topic, sizeof topic, "%s", prefix);
    else
        snprintf(topic, sizeof topic, "%s-repartition", prefix);
    /* Kafka always burns the three generated names, then maybe renames. */
    char *sink_name = fr_graph_new_name(g, "KSTREAM-SINK-");
    char *filter_name = with_filter ? fr_graph_new_name(g, "KSTREAM-FILTER-") : NULL;
    char *source_name = fr_graph_new_name(g, "KSTREAM-SOURCE-");
    /* KGroupedTable's repartition (no filter) keeps generated names, as Kafka's does. */
    if (with_filter && !generated_name(prefix)) {
        snprintf(buf, sizeof buf, "%s-sink", topic);
        sink_name = fr_graph_name_or(g, buf, NULL);
        if (with_filter) {
            snprintf(buf, sizeof buf, "%s-filter", topic);
            filter_name = fr_graph_name_or(g, buf, NULL);
        }
        snprintf(buf, sizeof buf, "%s-source", topic);
        source_name = fr_graph_name_or(g, buf, NULL);
    }
    fr_node_t *up = parent;
    if (with_filter) {
        up = fr_graph_add_node(g, FR_NODE_PROCESSOR, &fr_null_key_filter_ops, filter_name, parent, ks, vs);
        if (!up)
            return NULL;
    }
    fr_sink_arg_t *sa = fr_graph_alloc(g, sizeof *sa);
    if (!sa)
        return NULL;
    sa->partitioner = partitioner;
    sa->partitioner_ctx = partitioner_ctx;
    sa->change_values = change_values;
    sa->partitions = partitions;
    fr_node_t *sink = fr_graph_add_node(g, FR_NODE_SINK, &fr_sink_ops, sink_name, up, ks, vs);
    if (!sink || fr_graph_node_add_topic(g, sink, topic))
        return NULL;
    sink->internal_topic = 1;
    sink->arg = sa;
    const char *tp = topic;
    fr_consumed_t c = {ks, vs, NULL};
    fr_node_t *src = fr_graph_add_node(g, FR_NODE_SOURCE, &fr_source_ops, source_name, NULL, c.key_serde,
                                       c.value_serde);
    if (!src || fr_graph_node_add_topic(g, src, tp))
        return NULL;
    src->internal_topic = 1;
    fr_source_arg_t *srca = fr_graph_alloc(g, sizeof *srca);
    if (!srca)
        return NULL;
    srca->change_values = change_values;
    src->arg = srca;
    return src;
}

int fr_builder_build(fr_builder_t *b, const fr_streams_config_t *cfg, fr_topology_t **out, char *err,
                     size_t errlen) {
    if (!b || !cfg || !out)
        return FR_ERR_INVALID_ARG;
    *out = NULL;
    const char *msg;
    int rc = fr_builder_error(b, &msg);
    if (rc) {
        fr_errorf(err, errlen, "topology: %s", msg);
        return rc;
    }
    if (b->built) {
        fr_errorf(err, errlen, "topology: the builder was already built");
        return FR_ERR_INVALID_ARG;
    }
    const char *app = fr_streams_config_get(cfg, FR_STREAMS_APPLICATION_ID);
    if (!app) {
        fr_errorf(err, errlen, "application.id is required");
        return FR_ERR_CONFIG;
    }
    fr_graph_t *g = b->g;
    if (g->nnodes == 0) {
        fr_errorf(err, errlen, "topology has no sources");
        return FR_ERR_INVALID_ARG;
    }
    fr_topology_t *t = calloc(1, sizeof *t);
    if (!t)
        return FR_ERR_NOMEM;
    t->g = g;
    t->app_id = fr_graph_strdup(g, app);
    t->default_key_serde = fr_serde_by_name(fr_streams_config_get(cfg, FR_STREAMS_DEFAULT_KEY_SERDE));
    t->default_value_serde = fr_serde_by_name(fr_streams_config_get(cfg, FR_STREAMS_DEFAULT_VALUE_SERDE));
    fr_ts_policy_parse(fr_streams_config_get(cfg, FR_STREAMS_TIMESTAMP_EXTRACTOR), &t->ts_policy);
    fr_deser_handler_parse(fr_streams_config_get(cfg, FR_STREAMS_DESER_HANDLER), &t->deser_continue);
    t->extractor = fr_streams_config_timestamp_extractor(cfg, &t->extractor_ctx);

    /* Internal topics get the application id prefix (describe() shows them without). */
    char buf[600];
    for (size_t i = 0; i < g->nnodes && !g->err; i++) {
        fr_node_t *n = g->nodes[i];
        if (!n->ntopics)
            continue;
        n->full_topics = fr_graph_alloc(g, n->ntopics * sizeof(char *));
        for (size_t k = 0; n->full_topics && k < n->ntopics; k++) {
            if (n->internal_topic) {
                snprintf(buf, sizeof buf, "%s-%s", app, n->topics[k]);
                n->full_topics[k] = fr_graph_strdup(g, buf);
            } else {
                n->full_topics[k] = n->topics[k];
            }
        }
    }
    for (size_t i = 0; i < g->nstores && !g->err; i++) {
        fr_store_def_t *s = g->stores[i];
        if (s->logged) {
            snprintf(buf, sizeof buf, "%s-%s-changelog", app, s->name);
            s->changelog = fr_graph_strdup(g, buf);
        }
    }
    if (g->err) {
        fr_errorf(err, errlen, "topology: %s", g->errmsg);
        t->g = NULL;
        fr_topology_free(t);
        return g->err;
    }
    rc = fr_topology_layout(t, err, errlen);
    if (rc) {
        t->g = NULL;
        fr_topology_free(t);
        return rc;
    }
    b->built = 1;
    *out = t;
    return 0;
}
