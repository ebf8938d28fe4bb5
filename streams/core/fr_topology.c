/*
 * fr_topology.c — splitting a built graph into sub-topologies (Kafka's node
 * groups) and listing what the cluster must provide: source topics per
 * sub-topology and the internal topics (repartition, changelog).
 *
 * Two nodes are in the same sub-topology when an edge or a shared store
 * connects them; a repartition topic is a sink in one and a source in
 * another, so it splits them.  Sub-topologies are numbered in the order of
 * their first node, which puts upstream ones first as Kafka does.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_graph.h"
#include "fr_join.h"

static size_t uf_find(size_t *p, size_t x) {
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static void uf_union(size_t *p, size_t a, size_t b) {
    a = uf_find(p, a);
    b = uf_find(p, b);
    if (a != b) {
        if (a < b)
            p[b] = a;
        else
            p[a] = b;
    }
}

static const char *const k_changelog_cfg[] = {"cleanup.policy", "compact", NULL};
static const char *const k_repartition_cfg[] = {"cleanup.policy", "delete", NULL};

int fr_topology_layout(fr_topology_t *t, char *err, size_t errlen) {
    fr_graph_t *g = t->g;
    size_t n = g->nnodes;
    size_t *parent = malloc(n * sizeof *parent), *subof = malloc(n * sizeof *subof);
    if (!parent || !subof) {
        free(parent);
        free(subof);
        return FR_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        parent[i] = i;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < g->nodes[i]->nchildren; c++)
            uf_union(parent, i, g->nodes[i]->children[c]->id);
    /* Nodes sharing a store run in one task. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            for (size_t a = 0; a < g->nodes[i]->nstores; a++)
                for (size_t b = 0; b < g->nodes[j]->nstores; b++)
                    if (!strcmp(g->nodes[i]->stores[a], g->nodes[j]->stores[b]))
                        uf_union(parent, i, j);
    /* A GlobalKTable's nodes are a group of their own (the join reading its
     * store does not name the store, so nothing else joins the group). */
    for (size_t i = 0; i < n; i++)
        if (g->nodes[i]->global)
            g->nodes[uf_find(parent, i)]->global = 1;
    /* Roots are the smallest id of each component: number them in id order,
     * sub-topologies and global groups apart. */
    size_t nsubs = 0, nglobals = 0;
    for (size_t i = 0; i < n; i++)
        if (uf_find(parent, i) == i)
            subof[i] = g->nodes[i]->global ? nglobals++ : nsubs++;
    for (size_t i = 0; i < n; i++) {
        g->nodes[i]->sub = subof[uf_find(parent, i)];
        g->nodes[i]->global = g->nodes[uf_find(parent, i)]->global;
    }
    free(parent);
    free(subof);

    t->subs = calloc(nsubs + 1, sizeof *t->subs);
    t->globals = calloc(nglobals + 1, sizeof *t->globals);
    t->global_topics = calloc(n + 1, sizeof *t->global_topics);
    if (!t->subs || !t->globals || !t->global_topics)
        return FR_ERR_NOMEM;
    t->nsubs = nsubs;
    t->nglobals = nglobals;
    for (size_t s = 0; s < nsubs + nglobals; s++) {
        int global = s >= nsubs;
        fr_sub_t *sub = global ? &t->globals[s - nsubs] : &t->subs[s];
        size_t sid = global ? s - nsubs : s;
        size_t nn = 0, nt = 0;
        for (size_t i = 0; i < n; i++)
            if (g->nodes[i]->sub == sid && g->nodes[i]->global == global) {
                nn++;
                if (g->nodes[i]->role == FR_NODE_SOURCE)
                    nt += g->nodes[i]->ntopics;
            }
        sub->nodes = calloc(nn, sizeof *sub->nodes);
        sub->topics = calloc(nt + 1, sizeof *sub->topics);
        sub->topic_source = calloc(nt + 1, sizeof *sub->topic_source);
        sub->stores = calloc(g->nstores + 1, sizeof *sub->stores);
        if (!sub->nodes || !sub->topics || !sub->topic_source || !sub->stores)
            return FR_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
            fr_node_t *nd = g->nodes[i];
            if (nd->sub != sid || nd->global != global)
                continue;
            sub->nodes[sub->nnodes++] = nd;
            if (nd->role == FR_NODE_SOURCE)
                for (size_t k = 0; k < nd->ntopics; k++) {
                    sub->topics[sub->ntopics] = nd->full_topics[k];
                    sub->topic_source[sub->ntopics++] = nd;
                    if (global)
                        t->global_topics[t->nglobal_topics++] = nd->full_topics[k];
                }
        }
        if (sub->ntopics == 0) {
            fr_errorf(err, errlen, "sub-topology %zu (%s) has no source", sid, sub->nodes[0]->name);
            return FR_ERR_INVALID_ARG;
        }
    }
    for (size_t i = 0; i < g->nstores; i++) {
        fr_store_def_t *st = g->stores[i];
        fr_node_t *user = st->owner;
        for (size_t k = 0; !user && k < n; k++)
            for (size_t a = 0; a < g->nodes[k]->nstores; a++)
                if (!strcmp(g->nodes[k]->stores[a], st->name))
                    user = g->nodes[k];
        if (!user) {
            fr_errorf(err, errlen, "store \"%s\" is not connected to any processor", st->name);
            return FR_ERR_INVALID_ARG;
        }
        st->sub = user->sub;
        fr_sub_t *sub = user->global ? &t->globals[st->sub] : &t->subs[st->sub];
        sub->stores[sub->nstores++] = st;
    }

    size_t ni = g->nstores;
    for (size_t i = 0; i < n; i++)
        if (g->nodes[i]->role == FR_NODE_SINK && g->nodes[i]->internal_topic)
            ni++;
    t->internal = calloc(ni + 1, sizeof *t->internal);
    if (!t->internal)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        fr_node_t *nd = g->nodes[i];
        if (nd->role != FR_NODE_SINK || !nd->internal_topic)
            continue;
        fr_sink_arg_t *a = nd->arg;
        t->internal[t->ninternal++] = (fr_internal_topic_t){
            nd->full_topics[0], FR_INTERNAL_REPARTITION, a && a->partitions > 0 ? a->partitions : -1, nd->sub,
            k_repartition_cfg};
    }
    for (size_t i = 0; i < g->nstores; i++) {
        fr_store_def_t *st = g->stores[i];
        if (st->changelog)
            t->internal[t->ninternal++] =
                (fr_internal_topic_t){st->changelog, FR_INTERNAL_CHANGELOG, -1, st->sub,
                                      st->changelog_configs ? st->changelog_configs : k_changelog_cfg};
    }
    return fr_join_copartition_layout(t, err, errlen);
}

void fr_topology_free(fr_topology_t *t) {
    if (!t)
        return;
    for (size_t s = 0; t->subs && s < t->nsubs; s++) {
        free(t->subs[s].nodes);
        free(t->subs[s].topics);
        free(t->subs[s].topic_source);
        free(t->subs[s].stores);
    }
    free(t->subs);
    for (size_t s = 0; t->globals && s < t->nglobals; s++) {
        free(t->globals[s].nodes);
        free(t->globals[s].topics);
        free(t->globals[s].topic_source);
        free(t->globals[s].stores);
    }
    free(t->globals);
    free(t->global_topics);
    free(t->internal);
    fr_graph_free(t->g);
    free(t);
}

size_t fr_topology_subtopology_count(const fr_topology_t *t) { return t ? t->nsubs : 0; }
size_t fr_topology_global_count(const fr_topology_t *t) { return t ? t->nglobals : 0; }

const char *const *fr_topology_source_topics(const fr_topology_t *t, size_t sub, size_t *n) {
    if (!t || sub >= t->nsubs) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = t->subs[sub].ntopics;
    return t->subs[sub].topics;
}

const fr_internal_topic_t *fr_topology_internal_topics(const fr_topology_t *t, size_t *n) {
    if (n)
        *n = t ? t->ninternal : 0;
    return t ? t->internal : NULL;
}

const char *const *fr_topology_global_source_topics(const fr_topology_t *t, size_t global, size_t *n) {
    if (!t || global >= t->nglobals) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = t->globals[global].ntopics;
    return t->globals[global].topics;
}

const char *const *fr_topology_global_topics(const fr_topology_t *t, size_t *n) {
    static const char *const none[] = {NULL};
    if (n)
        *n = t && t->global_topics ? t->nglobal_topics : 0;
    return t && t->global_topics ? t->global_topics : none;
}
