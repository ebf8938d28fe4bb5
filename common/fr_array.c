/*
 * fr_array.c — see fr_array.h.
 */
#include "fr_array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"

int fr_array_grow(void *arrayp, size_t *cap, size_t need, size_t elem_size, size_t first_cap) {
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : (first_cap ? first_cap : 1);
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return FR_ERR_NOMEM;
        ncap *= 2;
    }
    if (elem_size && ncap > SIZE_MAX / elem_size)
        return FR_ERR_NOMEM;
    /* The caller's T * is read and written as bytes, so the array may be of
     * any element type without the call site casting to void **. */
    void *old;
    memcpy(&old, arrayp, sizeof(old));
    void *grown = realloc(old, ncap * elem_size);
    if (!grown)
        return FR_ERR_NOMEM;
    memcpy(arrayp, &grown, sizeof(grown));
    *cap = ncap;
    return 0;
}
