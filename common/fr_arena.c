#include "fr_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fr_arena_block {
    fr_arena_block_t *prev;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void fr_arena_init(fr_arena_t *a, size_t block_size) {
    a->head = NULL;
    a->block_size = block_size ? block_size : 16384;
}

void *fr_arena_alloc(fr_arena_t *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    fr_arena_block_t *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t bsz = size > a->block_size ? size : a->block_size;
        if (bsz > SIZE_MAX - sizeof(*b))
            return NULL;
        b = malloc(sizeof(*b) + bsz);
        if (!b)
            return NULL;
        b->size = bsz;
        b->used = 0;
        b->prev = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *fr_arena_calloc(fr_arena_t *a, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = fr_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *fr_arena_strndup(fr_arena_t *a, const void *s, size_t len) {
    char *p = fr_arena_alloc(a, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void fr_arena_reset(fr_arena_t *a) {
    fr_arena_block_t *b = a->head;
    if (!b)
        return;
    /* Keep the oldest block: it is the default size; big one-off blocks go. */
    while (b->prev) {
        fr_arena_block_t *prev = b->prev;
        free(b);
        b = prev;
    }
    b->used = 0;
    a->head = b;
}

void fr_arena_free(fr_arena_t *a) {
    fr_arena_block_t *b = a->head;
    while (b) {
        fr_arena_block_t *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
}
