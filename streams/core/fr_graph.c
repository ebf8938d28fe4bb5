/*
 * fr_graph.c — graph storage: nodes, edges, store definitions and Kafka's
 * node naming.  Everything lives in the graph's arena; edge arrays grow by
 * copying into a bigger arena block (graphs are small and built once).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fr_graph.h"

fr_graph_t *fr_graph_new(void) {
    fr_graph_t *g = calloc(1, sizeof *g);
    if (g)
        fr_arena_init(&g->arena, 16384);
    return g;
}

void fr_graph_free(fr_graph_t *g) {
    if (!g)
        return;
    fr_arena_free(&g->arena);
    free(g);
}

int fr_graph_fail(fr_graph_t *g, int err, const char *fmt, ...) {
    if (g && !g->err) {
        g->err = err;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->errmsg, sizeof g->errmsg, fmt, ap);
        va_end(ap);
    }
    return err;
}

void *fr_graph_alloc(fr_graph_t *g, size_t n) {
    void *p = fr_arena_calloc(&g->arena, 1, n ? n : 1);
    if (!p)
        fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
    return p;
}

char *fr_graph_strdup(fr_graph_t *g, const char *s) {
    char *p = fr_arena_strndup(&g->arena, s, strlen(s));
    if (!p)
        fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
    return p;
}

char *fr_graph_new_name(fr_graph_t *g, const char *prefix) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%010d", prefix, g->index++);
    return fr_graph_strdup(g, buf);
}

char *fr_graph_name_or(fr_graph_t *g, const char *name, const char *prefix) {
    if (name) {
        if (!*name) {
            fr_graph_fail(g, FR_ERR_INVALID_ARG, "empty processor name");
            return NULL;
        }
        if (fr_graph_find_node(g, name)) {
            fr_graph_fail(g, FR_ERR_INVALID_ARG, "processor name \"%s\" is already used", name);
            return NULL;
        }
        return fr_graph_strdup(g, name);
    }
    return fr_graph_new_name(g, prefix);
}

/* Appends item to a pointer array kept in the arena. */
static int push(fr_graph_t *g, void ***arr, size_t *n, size_t *cap, void *item) {
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        void **na = fr_arena_alloc(&g->arena, ncap * sizeof *na);
        if (!na)
            return fr_graph_fail(g, FR_ERR_NOMEM, "out of memory");
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

int fr_graph_link(fr_graph_t *g, fr_node_t *parent, fr_node_t *child) {
    if (push(g, (void ***)&parent->children, &parent->nchildren, &parent->children_cap, child))
        return g->err;
    return push(g, (void ***)&child->parents, &child->nparents, &child->parents_cap, parent);
}

fr_node_t *fr_graph_add_node(fr_graph_t *g, fr_node_role_t role, const fr_node_ops_t *ops, char *name,
                             fr_node_t *parent, const fr_serde_t *ks, const fr_serde_t *vs) {
    if (!name || g->err)
        return NULL;
    fr_node_t *n = fr_graph_alloc(g, sizeof *n);
    if (!n)
        return NULL;
    n->id = g->nnodes;
    n->role = role;
    n->ops = ops;
    n->name = name;
    n->key_serde = ks;
    n->value_serde = vs;
    if (push(g, (void ***)&g->nodes, &g->nnodes, &g->nodes_cap, n))
        return NULL;
    if (parent && fr_graph_link(g, parent, n))
        return NULL;
    return n;
}

int fr_graph_node_add_store(fr_graph_t *g, fr_node_t *n, const char *store) {
    char **a = fr_graph_alloc(g, (n->nstores + 1) * sizeof *a);
    char *s = fr_graph_strdup(g, store);
    if (!a || !s)
        return g->err;
    if (n->nstores)
        memcpy(a, n->stores, n->nstores * sizeof *a);
    a[n->nstores++] = s;
    n->stores = a;
    return 0;
}

int fr_graph_node_add_topic(fr_graph_t *g, fr_node_t *n, const char *topic) {
    char **a = fr_graph_alloc(g, (n->ntopics + 1) * sizeof *a);
    char *s = fr_graph_strdup(g, topic);
    if (!a || !s)
        return g->err;
    if (n->ntopics)
        memcpy(a, n->topics, n->ntopics * sizeof *a);
    a[n->ntopics++] = s;
    n->topics = a;
    return 0;
}

fr_store_def_t *fr_graph_find_store(const fr_graph_t *g, const char *name) {
    for (size_t i = 0; i < g->nstores; i++)
        if (!strcmp(g->stores[i]->name, name))
            return g->stores[i];
    return NULL;
}

fr_node_t *fr_graph_find_node(const fr_graph_t *g, const char *name) {
    for (size_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i]->name, name))
            return g->nodes[i];
    return NULL;
}

fr_store_def_t *fr_graph_add_store(fr_graph_t *g, const char *name, const fr_serde_t *ks, const fr_serde_t *vs,
                                   int logged, int cached, fr_node_t *owner) {
    if (g->err || !name)
        return NULL;
    if (fr_graph_find_store(g, name)) {
        fr_graph_fail(g, FR_ERR_INVALID_ARG, "store name \"%s\" is already used", name);
        return NULL;
    }
    fr_store_def_t *s = fr_graph_alloc(g, sizeof *s);
    if (!s || !(s->name = fr_graph_strdup(g, name)))
        return NULL;
    s->key_serde = ks;
    s->value_serde = vs;
    s->logged = logged;
    s->cached = cached;
    s->owner = owner;
    if (push(g, (void ***)&g->stores, &g->nstores, &g->stores_cap, s))
        return NULL;
    if (owner && fr_graph_node_add_store(g, owner, name))
        return NULL;
    return s;
}
