/*
 * fr_describe.c — fr_topology_describe(): Kafka's TopologyDescription text.
 *
 * Layout as Kafka prints it: "Topologies:" then each sub-topology indented,
 * nodes ordered by the size of the sub-graph below them (largest first; ties
 * by name), with "-->" successors and "<--" predecessors in the same order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_graph.h"

static size_t subtree_size(const fr_node_t *n) {
    size_t s = 1;
    for (size_t i = 0; i < n->nchildren; i++)
        s += subtree_size(n->children[i]);
    return s;
}

static int node_cmp(const void *a, const void *b) {
    const fr_node_t *x = *(const fr_node_t *const *)a, *y = *(const fr_node_t *const *)b;
    size_t sx = subtree_size(x), sy = subtree_size(y);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_names(FILE *f, fr_node_t **nodes, size_t n) {
    if (n == 0) {
        fputs("none", f);
        return;
    }
    fr_node_t **s = malloc(n * sizeof *s);
    if (!s)
        return;
    memcpy(s, nodes, n * sizeof *s);
    qsort(s, n, sizeof *s, node_cmp);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", s[i]->name);
    free(s);
}

static void print_strings(FILE *f, char **items, size_t n) {
    char **s = n ? malloc(n * sizeof *s) : NULL;
    fputc('[', f);
    if (s) {
        memcpy(s, items, n * sizeof *s);
        qsort(s, n, sizeof *s, str_cmp);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s%s", i ? ", " : "", s[i]);
        free(s);
    }
    fputc(']', f);
}

static void print_node(FILE *f, const fr_node_t *n) {
    fputs("    ", f);
    switch (n->role) {
    case FR_NODE_SOURCE:
        fprintf(f, "Source: %s (topics: ", n->name);
        print_strings(f, n->topics, n->ntopics);
        fputs(")\n      --> ", f);
        print_names(f, n->children, n->nchildren);
        break;
    case FR_NODE_PROCESSOR:
        fprintf(f, "Processor: %s (stores: ", n->name);
        print_strings(f, n->stores, n->nstores);
        fputs(")\n      --> ", f);
        print_names(f, n->children, n->nchildren);
        fputs("\n      <-- ", f);
        print_names(f, n->parents, n->nparents);
        break;
    case FR_NODE_SINK:
        if (n->ntopics)
            fprintf(f, "Sink: %s (topic: %s)\n      <-- ", n->name, n->topics[0]);
        else
            fprintf(f, "Sink: %s (extractor class: topic name extractor)\n      <-- ", n->name);
        print_names(f, n->parents, n->nparents);
        break;
    }
    fputc('\n', f);
}

char *fr_topology_describe(const fr_topology_t *t) {
    if (!t)
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fputs("Topologies:\n ", f);
    /* Kafka numbers sub-topologies and global stores in one sequence (by
     * their first node) and prints a global store without the blank line. */
    size_t si = 0, gi = 0;
    for (size_t id = 0; si < t->nsubs || gi < t->nglobals; id++) {
        int global = si == t->nsubs ||
                     (gi < t->nglobals && t->globals[gi].nodes[0]->id < t->subs[si].nodes[0]->id);
        const fr_sub_t *sub = global ? &t->globals[gi++] : &t->subs[si++];
        if (global)
            fprintf(f, "  Sub-topology: %zu for global store (will not generate tasks)\n", id);
        else
            fprintf(f, "  Sub-topology: %zu\n", id);
        fr_node_t **sorted = malloc(sub->nnodes * sizeof *sorted);
        if (!sorted)
            break;
        memcpy(sorted, sub->nodes, sub->nnodes * sizeof *sorted);
        qsort(sorted, sub->nnodes, sizeof *sorted, node_cmp);
        for (size_t i = 0; i < sub->nnodes; i++)
            print_node(f, sorted[i]);
        free(sorted);
        if (!global)
            fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
