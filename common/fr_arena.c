#include "fr_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The largest block a reset keeps: a connection whose requests need more (a fetch of thousands of
 * partitions needs a few hundred KiB) keeps one block that holds them, instead of getting and
 * giving back (mapping and unmapping, page by page) that memory on every request. */
#define KEEP_MAX ((size_t)512 * 1024)

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
        /* each new block twice the last, within what a reset keeps: a big request ends in one block */
        if (b && b->size <= KEEP_MAX / 2 && 2 * b->size > bsz)
            bsz = 2 * b->size;
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
    fr_arena_block_t *keep = NULL; /* the largest up to KEEP_MAX; none when all are bigger */
    for (fr_arena_block_t *b = a->head; b; b = b->prev)
        if (b->size <= KEEP_MAX && (!keep || b->size > keep->size))
            keep = b;
    for (fr_arena_block_t *b = a->head; b;) {
        fr_arena_block_t *prev = b->prev;
        if (b != keep)
            free(b);
        b = prev;
    }
    if (keep) {
        keep->used = 0;
        keep->prev = NULL;
    }
    a->head = keep;
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
