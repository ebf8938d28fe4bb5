/*
 * time_index.h — a segment's sparse time index (<base>.timeindex).
 *
 * Entries are 12 bytes, big-endian: an 8-byte timestamp and the 4-byte
 * offset (relative to the segment's base offset) of the batch that first
 * reached that timestamp.  Entry (t, o) says: no batch before offset o has a
 * max timestamp >= t, and the batch holding o has max timestamp t.  Timestamps
 * strictly increase, offsets never decrease.  Entries are added next to the
 * offset index entries (every index_interval_bytes) when the segment's max
 * timestamp has grown, and one last time when the segment stops being active,
 * so the last entry of an inactive segment carries its max timestamp.
 *
 * Storage, ownership and locking as for offset_index.h.
 */
#ifndef FR_TIME_INDEX_H
#define FR_TIME_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define FR_TIME_INDEX_ENTRY_SIZE 12

typedef struct fr_time_index {
    int64_t base_offset;
    uint8_t *entries;
    size_t n, cap;
    size_t max_entries;
} fr_time_index_t;

void fr_time_index_init(fr_time_index_t *idx, int64_t base_offset, int64_t max_bytes);
void fr_time_index_free(fr_time_index_t *idx);
void fr_time_index_clear(fr_time_index_t *idx);
int fr_time_index_is_full(const fr_time_index_t *idx);

/*
 * Appends (timestamp, offset) when timestamp is >= 0 and greater than the
 * last entry's; otherwise does nothing and returns 0.  Returns FR_ERR_INVALID_ARG
 * (index unchanged) when full (unless skip_full_check, used for the final
 * entry of a segment), when the offset goes backwards or does not fit in 4
 * bytes; FR_ERR_NOMEM.
 */
int fr_time_index_maybe_append(fr_time_index_t *idx, int64_t timestamp, int64_t offset,
                               int skip_full_check);

void fr_time_index_entry(const fr_time_index_t *idx, size_t i, int64_t *timestamp, int64_t *offset);
/* The last entry, or -1 / base_offset when empty. */
void fr_time_index_last(const fr_time_index_t *idx, int64_t *timestamp, int64_t *offset);

/*
 * The last entry whose timestamp is <= target: sets *timestamp, *offset and
 * returns its number.  With none, returns -1 with *timestamp = -1 and
 * *offset = base_offset (search from the segment start).
 */
long fr_time_index_lookup(const fr_time_index_t *idx, int64_t target, int64_t *timestamp,
                          int64_t *offset);

/* As fr_offset_index_load (size must be a multiple of 12). */
int fr_time_index_load(fr_time_index_t *idx, int fd, const char **why);
/*
 * Timestamps strictly increase, offsets never decrease and lie in
 * [base_offset, limit_offset).  0 or FR_ERR_CORRUPT with *why, *bad_entry.
 */
int fr_time_index_check(const fr_time_index_t *idx, int64_t limit_offset, const char **why,
                        size_t *bad_entry);
int fr_time_index_write(const fr_time_index_t *idx, int fd);

#endif
