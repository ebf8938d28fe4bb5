/*
 * fr_array.h — room in a growing heap array.
 *
 * The caller owns the array (a plain T * from malloc/realloc, or NULL) and
 * frees it with free(); fr_array_grow only reallocates it.  On failure
 * nothing changes: the array, its elements and its capacity are as they
 * were, so a caller can answer FR_ERR_NOMEM and carry on.
 */
#ifndef FR_ARRAY_H
#define FR_ARRAY_H

#include <stddef.h>

/*
 * Makes *arrayp (a T **, passed as void *) hold at least need elements of
 * elem_size bytes.  The capacity *cap doubles from first_cap, so appending
 * one element at a time costs amortised O(1).  Returns 0, or FR_ERR_NOMEM
 * when out of memory or when the size would overflow.
 */
int fr_array_grow(void *arrayp, size_t *cap, size_t need, size_t elem_size, size_t first_cap);

/* fr_array_grow for an array lvalue arr and its size_t capacity lvalue cap. */
#define FR_ARRAY_GROW(arr, cap, need, first_cap) fr_array_grow(&(arr), &(cap), (need), sizeof(*(arr)), (first_cap))

#endif
