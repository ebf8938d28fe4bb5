/*
 * fr_arena.h — bump allocator for memory that lives exactly as long as one
 * request (or one parse).  Nothing allocated from an arena is freed on its
 * own: fr_arena_reset() releases everything at once and keeps one block for
 * the next request (the largest, up to 512 KiB), so steady-state request
 * handling does not malloc.  A new block is twice the last one (or what the
 * allocation needs), so a big request ends up in one kept block.
 */
#ifndef FR_ARENA_H
#define FR_ARENA_H

#include <stddef.h>

typedef struct fr_arena_block fr_arena_block_t;

typedef struct fr_arena {
    fr_arena_block_t *head;  /* current block (newest) */
    size_t block_size;       /* default size of new blocks */
} fr_arena_t;

void fr_arena_init(fr_arena_t *a, size_t block_size);
/* 16-byte aligned memory, or NULL when out of memory.  Lives until reset/free. */
void *fr_arena_alloc(fr_arena_t *a, size_t size);
/* Like fr_arena_alloc, zero-filled; n*size is checked for overflow. */
void *fr_arena_calloc(fr_arena_t *a, size_t n, size_t size);
/* NUL-terminated copy of len bytes (for code that needs C strings). */
char *fr_arena_strndup(fr_arena_t *a, const void *s, size_t len);
/* Releases all allocations; keeps one block for reuse (the largest up to 512 KiB). */
void fr_arena_reset(fr_arena_t *a);
/* Releases everything. */
void fr_arena_free(fr_arena_t *a);

#endif
