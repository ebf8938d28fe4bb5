/*
 * fr_join_copartition.c — co-partition groups (Kafka's copartitionGroups):
 * the source topics whose records a join brings together must have the same
 * partition count, or a key would meet its partner in another task.
 *
 * A group is every source topic upstream of a join's two inputs (a
 * repartitioned input contributes its repartition topic).  At build, the
 * topology's repartition topics feeding a join take their partition count
 * from the join's sub-topology (the other side's topics) and explicit counts
 * that disagree are an error; counts of user topics are only known to the
 * runtime, which checks them with fr_topology_check_copartition().
 */
#include <stdlib.h>
#include <string.h>

#include "fr_join.h"

/* Adds the topics of the sources upstream of n (deduplicated). */
static void upstream_topics(const fr_node_t *n, const char **out, size_t *len, size_t cap) {
    if (n->role == FR_NODE_SOURCE) {
        for (size_t k = 0; k < n->ntopics; k++) {
            const char *tp = n->full_topics ? n->full_topics[k] : n->topics[k];
            size_t i = 0;
            while (i < *len && strcmp(out[i], tp))
                i++;
            if (i == *len && *len < cap)
                out[(*len)++] = tp;
        }
        return;
    }
    for (size_t p = 0; p < n->nparents; p++)
        upstream_topics(n->parents[p], out, len, cap);
}

static const fr_node_t *nth_join(const fr_topology_t *t, size_t i) {
    for (size_t k = 0; k < t->g->nnodes; k++)
        if (fr_join_is_copartition_node(t->g->nodes[k]) && i-- == 0)
            return t->g->nodes[k];
    return NULL;
}

size_t fr_topology_copartition_count(const fr_topology_t *t) {
    size_t n = 0;
    while (t && nth_join(t, n))
        n++;
    return n;
}

size_t fr_topology_copartition_topics(const fr_topology_t *t, size_t i, const char **out, size_t cap) {
    const fr_node_t *j = t ? nth_join(t, i) : NULL;
    if (!j)
        return 0;
    const fr_join_inputs_t *in = j->arg;
    size_t len = 0, total = t->g->nnodes * 4 + 8;
    const char **all = calloc(total, sizeof *all);
    if (!all)
        return 0;
    upstream_topics(in->left, all, &len, total);
    upstream_topics(in->right, all, &len, total);
    for (size_t k = 0; k < len && k < cap; k++)
        out[k] = all[k];
    free(all);
    return len;
}

static const fr_internal_topic_t *internal_of(const fr_topology_t *t, const char *topic) {
    for (size_t i = 0; i < t->ninternal; i++)
        if (!strcmp(t->internal[i].name, topic))
            return &t->internal[i];
    return NULL;
}

int fr_topology_check_copartition(const fr_topology_t *t, int32_t (*count)(void *ctx, const char *topic), void *ctx,
                                  char *err, size_t errlen) {
    const char *topics[64];
    for (size_t g = 0, ng = fr_topology_copartition_count(t); g < ng; g++) {
        size_t n = fr_topology_copartition_topics(t, g, topics, 64);
        const char *first = NULL;
        int32_t want = 0;
        for (size_t i = 0; i < n && i < 64; i++) {
            int32_t c = count(ctx, topics[i]);
            if (c < 1)
                continue;
            if (!first) {
                first = topics[i], want = c;
            } else if (c != want) {
                fr_errorf(err, errlen,
                          "topics not co-partitioned for %s: %s has %d partitions, %s has %d (joined inputs need "
                          "equal partition counts)",
                          nth_join(t, g)->name, first, want, topics[i], c);
                return FR_ERR_INVALID_PARTITIONS;
            }
        }
    }
    return 0;
}

/* Build time: only explicit repartition counts (Repartitioned) are known. */
static int32_t explicit_count(void *ctx, const char *topic) {
    const fr_internal_topic_t *it = internal_of(ctx, topic);
    return it ? it->partitions : -1;
}

int fr_join_copartition_layout(fr_topology_t *t, char *err, size_t errlen) {
    int rc = fr_topology_check_copartition(t, explicit_count, t, err, errlen);
    if (rc)
        return rc;
    /* A repartition topic feeding a join is sized like the join's other
     * inputs: point it at the join's sub-topology when that one reads a
     * topic whose count the runtime learns from metadata. */
    const char *topics[64];
    for (size_t g = 0, ng = fr_topology_copartition_count(t); g < ng; g++) {
        const fr_node_t *j = nth_join(t, g);
        size_t n = fr_topology_copartition_topics(t, g, topics, 64), user = 0;
        for (size_t i = 0; i < n && i < 64; i++)
            user += internal_of(t, topics[i]) == NULL;
        if (!user)
            continue;
        for (size_t i = 0; i < n && i < 64; i++) {
            fr_internal_topic_t *it = (fr_internal_topic_t *)internal_of(t, topics[i]);
            if (it && it->kind == FR_INTERNAL_REPARTITION && it->partitions < 0)
                it->copartition_sub = j->sub;
        }
    }
    return 0;
}
