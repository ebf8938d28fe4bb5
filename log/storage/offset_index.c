/*
 * offset_index.c — the sparse offset -> position index of one segment.
 * See offset_index.h.
 */
#include "offset_index.h"

#include <stdlib.h>

#include "fr_array.h"
#include "fr_buf.h"
#include "fr_err.h"
#include "index_file.h"

#define ENTRY FR_OFFSET_INDEX_ENTRY_SIZE

void fr_offset_index_init(fr_offset_index_t *idx, int64_t base_offset, int64_t max_bytes) {
    idx->base_offset = base_offset;
    idx->entries = NULL;
    idx->n = idx->cap = 0;
    idx->max_entries = max_bytes >= ENTRY ? (size_t)(max_bytes / ENTRY) : 1;
}

void fr_offset_index_free(fr_offset_index_t *idx) {
    free(idx->entries);
    idx->entries = NULL;
    idx->n = idx->cap = 0;
}

void fr_offset_index_clear(fr_offset_index_t *idx) { idx->n = 0; }

int fr_offset_index_is_full(const fr_offset_index_t *idx) { return idx->n >= idx->max_entries; }

static inline uint32_t rel_at(const fr_offset_index_t *idx, size_t i) {
    return fr_be32(idx->entries + i * ENTRY);
}
static inline uint32_t pos_at(const fr_offset_index_t *idx, size_t i) {
    return fr_be32(idx->entries + i * ENTRY + 4);
}

void fr_offset_index_entry(const fr_offset_index_t *idx, size_t i, int64_t *offset, int64_t *position) {
    *offset = idx->base_offset + rel_at(idx, i);
    *position = pos_at(idx, i);
}

int fr_offset_index_append(fr_offset_index_t *idx, int64_t offset, int64_t position) {
    int64_t rel = offset - idx->base_offset;
    if (fr_offset_index_is_full(idx) || rel < 0 || rel > INT32_MAX || position < 0 ||
        position > INT32_MAX)
        return FR_ERR_INVALID_ARG;
    if (idx->n > 0 && ((uint32_t)rel <= rel_at(idx, idx->n - 1) ||
                       (uint32_t)position <= pos_at(idx, idx->n - 1)))
        return FR_ERR_INVALID_ARG;
    if (fr_array_grow(&idx->entries, &idx->cap, idx->n + 1, ENTRY, 64))
        return FR_ERR_NOMEM;
    uint8_t *e = idx->entries + idx->n * ENTRY;
    fr_put_be32(e, (uint32_t)rel);
    fr_put_be32(e + 4, (uint32_t)position);
    idx->n++;
    return 0;
}

/* Number of leading entries whose key (relative offset, or position) is <= key. */
static size_t upper_bound(const fr_offset_index_t *idx, int64_t key, int by_position) {
    size_t lo = 0, hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t k = by_position ? pos_at(idx, mid) : rel_at(idx, mid);
        if (k <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static long found(const fr_offset_index_t *idx, size_t count, int64_t *offset, int64_t *position) {
    if (count == 0) {
        *offset = idx->base_offset;
        *position = 0;
        return -1;
    }
    fr_offset_index_entry(idx, count - 1, offset, position);
    return (long)(count - 1);
}

long fr_offset_index_lookup(const fr_offset_index_t *idx, int64_t target, int64_t *offset,
                            int64_t *position) {
    int64_t rel = target - idx->base_offset;
    return found(idx, rel < 0 ? 0 : upper_bound(idx, rel, 0), offset, position);
}

long fr_offset_index_lookup_position(const fr_offset_index_t *idx, int64_t max_position,
                                     int64_t *offset, int64_t *position) {
    return found(idx, max_position < 0 ? 0 : upper_bound(idx, max_position, 1), offset, position);
}

int fr_offset_index_load(fr_offset_index_t *idx, int fd, const char **why) {
    uint8_t *buf;
    size_t len;
    int rc = fr_index_read_file(fd, (idx->max_entries + 1) * ENTRY, &buf, &len);
    if (rc == FR_ERR_CORRUPT)
        *why = "index file larger than the configured maximum";
    if (rc)
        return rc;
    if (len % ENTRY != 0) {
        free(buf);
        *why = "index file size is not a multiple of 8";
        return FR_ERR_CORRUPT;
    }
    free(idx->entries);
    idx->entries = buf;
    idx->n = idx->cap = len / ENTRY;
    return 0;
}

int fr_offset_index_check(const fr_offset_index_t *idx, int64_t log_size, int64_t limit_offset,
                          const char **why, size_t *bad_entry) {
    for (size_t i = 0; i < idx->n; i++) {
        int64_t off, pos;
        fr_offset_index_entry(idx, i, &off, &pos);
        *bad_entry = i;
        if (i > 0 && rel_at(idx, i) <= rel_at(idx, i - 1)) {
            *why = "offsets do not increase";
            return FR_ERR_CORRUPT;
        }
        if (i > 0 && pos_at(idx, i) <= pos_at(idx, i - 1)) {
            *why = "positions do not increase";
            return FR_ERR_CORRUPT;
        }
        if (off >= limit_offset) {
            *why = "offset beyond the segment";
            return FR_ERR_CORRUPT;
        }
        if (pos >= log_size) {
            *why = "position beyond the end of the log file";
            return FR_ERR_CORRUPT;
        }
    }
    return 0;
}

int fr_offset_index_write(const fr_offset_index_t *idx, int fd) {
    return fr_index_write_file(fd, idx->entries, idx->n * ENTRY);
}
