/*
 * offset_index.h — a segment's sparse offset index (<base>.index).
 *
 * Entries are 8 bytes, big-endian: a 4-byte offset relative to the segment's
 * base offset and the 4-byte file position of a batch in the .log; both
 * strictly increase.  As in Kafka, the entry (o, p) names the *last* offset of
 * the batch at position p.  To find the batch holding offset X, take the last
 * entry with base + o <= X (or position 0) and scan batch headers forward from
 * its position: that batch is at most about index_interval_bytes away.
 *
 * The entries live in a heap array in file byte order, so writing the file is
 * one pwrite.  The array is written out whole when the segment stops being
 * active and at close; before a close the active segment's index is never
 * needed on disk: an open after a crash rebuilds it by a scan.
 *
 * Not thread-safe: the owning partlog's lock guards it.
 */
#ifndef FR_OFFSET_INDEX_H
#define FR_OFFSET_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define FR_OFFSET_INDEX_ENTRY_SIZE 8

typedef struct fr_offset_index {
    int64_t base_offset;
    uint8_t *entries;   /* n entries in file format; owned */
    size_t n, cap;      /* entries used / allocated */
    size_t max_entries; /* the index is full at this many */
} fr_offset_index_t;

/* An empty index holding at most max_bytes / 8 entries (at least 1). */
void fr_offset_index_init(fr_offset_index_t *idx, int64_t base_offset, int64_t max_bytes);
void fr_offset_index_free(fr_offset_index_t *idx);
/* Drops every entry (keeps the array). */
void fr_offset_index_clear(fr_offset_index_t *idx);
int fr_offset_index_is_full(const fr_offset_index_t *idx);

/*
 * Appends (offset, position).  Returns 0, FR_ERR_NOMEM, or FR_ERR_INVALID_ARG
 * when the index is full, the entry does not increase both fields, or a field
 * does not fit in 4 bytes; the index is then unchanged (sparser, still right).
 */
int fr_offset_index_append(fr_offset_index_t *idx, int64_t offset, int64_t position);

/* Entry i (< n) as absolute offset and position. */
void fr_offset_index_entry(const fr_offset_index_t *idx, size_t i, int64_t *offset, int64_t *position);

/*
 * The last entry whose offset is <= target: sets *offset and *position and
 * returns its number.  With no such entry, returns -1 and the segment start
 * (*offset = base_offset, *position = 0).
 */
long fr_offset_index_lookup(const fr_offset_index_t *idx, int64_t target, int64_t *offset,
                            int64_t *position);
/* The same, for the last entry whose position is <= max_position. */
long fr_offset_index_lookup_position(const fr_offset_index_t *idx, int64_t max_position,
                                     int64_t *offset, int64_t *position);

/*
 * Replaces the entries with the contents of the file fd.  Returns 0,
 * FR_ERR_IO, FR_ERR_NOMEM, or FR_ERR_CORRUPT (*why set, nothing loaded) when
 * the file size is not a multiple of 8.
 */
int fr_offset_index_load(fr_offset_index_t *idx, int fd, const char **why);

/*
 * Structural check of loaded entries: offsets and positions strictly
 * increase, offsets lie in [base_offset, limit_offset) and positions in
 * [0, log_size).  Returns 0 or FR_ERR_CORRUPT with *why and *bad_entry set.
 */
int fr_offset_index_check(const fr_offset_index_t *idx, int64_t log_size, int64_t limit_offset,
                          const char **why, size_t *bad_entry);

/* Writes every entry at position 0 of fd and truncates the file after them. */
int fr_offset_index_write(const fr_offset_index_t *idx, int fd);

#endif
