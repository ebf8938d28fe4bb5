/*
 * time_index.c — the sparse timestamp -> offset index of one segment.
 * See time_index.h.
 */
#include "time_index.h"

#include <stdlib.h>

#include "fr_array.h"
#include "fr_buf.h"
#include "fr_err.h"
#include "index_file.h"

#define ENTRY FR_TIME_INDEX_ENTRY_SIZE

void fr_time_index_init(fr_time_index_t *idx, int64_t base_offset, int64_t max_bytes) {
    idx->base_offset = base_offset;
    idx->entries = NULL;
    idx->n = idx->cap = 0;
    idx->max_entries = max_bytes >= ENTRY ? (size_t)(max_bytes / ENTRY) : 1;
}

void fr_time_index_free(fr_time_index_t *idx) {
    free(idx->entries);
    idx->entries = NULL;
    idx->n = idx->cap = 0;
}

void fr_time_index_clear(fr_time_index_t *idx) { idx->n = 0; }

/* Kafka's TimeIndex.isFull: the last slot is kept for the entry a roll or close adds (skip_full_check). */
int fr_time_index_is_full(const fr_time_index_t *idx) { return idx->n + 1 >= idx->max_entries; }

static inline int64_t ts_at(const fr_time_index_t *idx, size_t i) {
    return (int64_t)fr_be64(idx->entries + i * ENTRY);
}
static inline uint32_t rel_at(const fr_time_index_t *idx, size_t i) {
    return fr_be32(idx->entries + i * ENTRY + 8);
}

void fr_time_index_entry(const fr_time_index_t *idx, size_t i, int64_t *timestamp, int64_t *offset) {
    *timestamp = ts_at(idx, i);
    *offset = idx->base_offset + rel_at(idx, i);
}

void fr_time_index_last(const fr_time_index_t *idx, int64_t *timestamp, int64_t *offset) {
    if (idx->n == 0) {
        *timestamp = -1;
        *offset = idx->base_offset;
        return;
    }
    fr_time_index_entry(idx, idx->n - 1, timestamp, offset);
}

int fr_time_index_maybe_append(fr_time_index_t *idx, int64_t timestamp, int64_t offset,
                               int skip_full_check) {
    int64_t rel = offset - idx->base_offset;
    if (timestamp < 0 || (idx->n > 0 && timestamp <= ts_at(idx, idx->n - 1)))
        return 0;
    if ((!skip_full_check && fr_time_index_is_full(idx)) || rel < 0 || rel > INT32_MAX)
        return FR_ERR_INVALID_ARG;
    if (idx->n > 0 && (uint32_t)rel < rel_at(idx, idx->n - 1))
        return FR_ERR_INVALID_ARG;
    if (fr_array_grow(&idx->entries, &idx->cap, idx->n + 1, ENTRY, 64))
        return FR_ERR_NOMEM;
    uint8_t *e = idx->entries + idx->n * ENTRY;
    fr_put_be64(e, (uint64_t)timestamp);
    fr_put_be32(e + 8, (uint32_t)rel);
    idx->n++;
    return 0;
}

long fr_time_index_lookup(const fr_time_index_t *idx, int64_t target, int64_t *timestamp,
                          int64_t *offset) {
    size_t lo = 0, hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts_at(idx, mid) <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *timestamp = -1;
        *offset = idx->base_offset;
        return -1;
    }
    fr_time_index_entry(idx, lo - 1, timestamp, offset);
    return (long)(lo - 1);
}

int fr_time_index_load(fr_time_index_t *idx, int fd, const char **why) {
    uint8_t *buf;
    size_t len;
    int rc = fr_index_read_file(fd, (idx->max_entries + 1) * ENTRY, &buf, &len);
    if (rc == FR_ERR_CORRUPT)
        *why = "time index file larger than the configured maximum";
    if (rc)
        return rc;
    if (len % ENTRY != 0) {
        free(buf);
        *why = "time index file size is not a multiple of 12";
        return FR_ERR_CORRUPT;
    }
    free(idx->entries);
    idx->entries = buf;
    idx->n = idx->cap = len / ENTRY;
    return 0;
}

int fr_time_index_check(const fr_time_index_t *idx, int64_t limit_offset, const char **why,
                        size_t *bad_entry) {
    for (size_t i = 0; i < idx->n; i++) {
        *bad_entry = i;
        if (i > 0 && ts_at(idx, i) <= ts_at(idx, i - 1)) {
            *why = "timestamps do not increase";
            return FR_ERR_CORRUPT;
        }
        if (i > 0 && rel_at(idx, i) < rel_at(idx, i - 1)) {
            *why = "offsets go backwards";
            return FR_ERR_CORRUPT;
        }
        if (idx->base_offset + rel_at(idx, i) >= limit_offset) {
            *why = "offset beyond the segment";
            return FR_ERR_CORRUPT;
        }
    }
    return 0;
}

int fr_time_index_write(const fr_time_index_t *idx, int fd) {
    return fr_index_write_file(fd, idx->entries, idx->n * ENTRY);
}
