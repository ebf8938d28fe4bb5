/*
 * recovery.c — scan and truncate a torn segment, check or rebuild the indexes
 * of older ones.  See recovery.h.
 */
#include "recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"

#define COMPONENT "storage"

/* ---- full scan ---- */

/* Checks one framed batch at position pos against what the segment expects next. */
static const char *check_batch(const fr_segment_t *seg, const uint8_t *batch, size_t len,
                               const fr_batch_header_t *h, int64_t limit_offset, int contiguous) {
    const char *why = NULL;
    if (fr_batch_validate(batch, len, h, 0, &why))
        return why ? why : "invalid batch";
    if (contiguous && h->base_offset != seg->next_offset)
        return "batch base offset is not the next offset of the segment";
    if (h->base_offset < seg->next_offset) /* gaps are fine in older segments: compaction drops whole batches */
        return "batch base offset is below the next offset of the segment";
    int64_t last = fr_batch_last_offset(h);
    if (last >= limit_offset)
        return "batch offsets run into the next segment";
    if (last - seg->base_offset > INT32_MAX)
        return "batch offsets too far from the segment base offset";
    return NULL;
}

int fr_recover_segment(fr_segment_t *seg, const char *dir, int64_t limit_offset,
                       int64_t index_interval_bytes, int contiguous, int64_t *truncated_bytes) {
    struct stat st;
    int fd = seg->log->fd;
    const char *why = NULL;

    if (truncated_bytes)
        *truncated_bytes = 0;
    if (fstat(fd, &st) < 0)
        return FR_ERR_IO;
    fr_segment_reset(seg);
    seg->roll_base_ms = -1;
    int64_t file_size = st.st_size;
    int64_t good_end = 0;

    if (file_size > 0) {
        uint8_t *map = mmap(NULL, (size_t)file_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
            return FR_ERR_IO;
        madvise(map, (size_t)file_size, MADV_SEQUENTIAL);

        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        fr_batch_iter_init(&it, map, (size_t)file_size);
        while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
            if ((why = check_batch(seg, batch, blen, &h, limit_offset, contiguous)) != NULL)
                break;
            if (good_end == 0)
                seg->roll_base_ms = h.max_timestamp;
            seg->size = good_end; /* track_batch sets size = position + batch size */
            fr_segment_track_batch(seg, good_end, &h, index_interval_bytes);
            good_end = seg->size;
        }
        if (!why && it.err)
            why = it.err == FR_ERR_NEED_MORE ? "partial batch at the end of the file" : it.why;
        munmap(map, (size_t)file_size);
    }
    seg->size = good_end;
    seg->synced_size = good_end;

    if (good_end < file_size) {
        fr_warn(COMPONENT, "%s/%s: corrupt or torn batch at position %" PRId64 " (%s); truncating %" PRId64
                " bytes, the log ends at offset %" PRId64,
                dir, seg->name, good_end, why ? why : "?", file_size - good_end, seg->next_offset);
        if (ftruncate(fd, good_end) < 0) {
            fr_error(COMPONENT, "%s/%s: cannot truncate: %s", dir, seg->name, strerror(errno));
            return FR_ERR_IO;
        }
        seg->synced_size = 0; /* the truncation itself is not on disk yet */
        if (truncated_bytes)
            *truncated_bytes = file_size - good_end;
    }
    return 0;
}

/* ---- older segments ---- */

/* Loads one index file; a missing file is an empty index.  0, or why not. */
static const char *load_index(int dirfd, const fr_segment_t *seg, const char *suffix, void *idx,
                              int is_time) {
    char name[FR_SEGMENT_FILENAME_MAX];
    const char *why = NULL;
    fr_segment_filename(name, seg->base_offset, suffix);
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? NULL : "cannot open the index file";
    int rc = is_time ? fr_time_index_load(idx, fd, &why) : fr_offset_index_load(idx, fd, &why);
    close(fd);
    if (rc)
        return why ? why : "cannot read the index file";
    return NULL;
}

/*
 * Walks batch headers from the batch named by the last time index entry (or
 * the last offset index entry, whichever comes first) to the end of the file,
 * filling in next_offset and the max timestamp.  Every batch after the last
 * time index entry is seen, so a time index that lost its tail entries is
 * caught (some batch beats its last timestamp); every batch after the last
 * offset index entry is seen, so missing offset entries are caught.
 * Returns NULL when everything agrees, else the reason for doubt (*at set).
 */
static const char *walk_tail(fr_segment_t *seg, int64_t limit_offset, int64_t interval, int64_t *at) {
    fr_batch_header_t h;
    const char *why;
    int have_o = seg->oindex.n > 0, have_t = seg->tindex.n > 0;
    int64_t o_off = seg->base_offset, o_pos = 0, t_ts, t_off, s_off, start;

    if (have_o)
        fr_offset_index_entry(&seg->oindex, seg->oindex.n - 1, &o_off, &o_pos);
    fr_time_index_last(&seg->tindex, &t_ts, &t_off);
    long s_entry = fr_offset_index_lookup(&seg->oindex, t_off, &s_off, &start);

    int64_t expected = s_entry >= 0 ? -1 : seg->base_offset;
    int64_t bytes_since = 0, p;
    int t_seen = !have_t;
    seg->max_timestamp = seg->offset_of_max_timestamp = -1;
    for (p = start; p < seg->size; p += fr_batch_size(&h)) {
        *at = p;
        if (fr_segment_read_header(seg, p, &h, &why))
            return why;
        int64_t last = fr_batch_last_offset(&h);
        if ((p == start && s_entry >= 0 && last != s_off) || (p == o_pos && have_o && last != o_off))
            return "an offset index entry does not name the batch at its position";
        if (have_o && p < o_pos && p + fr_batch_size(&h) > o_pos)
            return "the last offset index entry is not at a batch boundary";
        if (expected >= 0 && h.base_offset < expected) /* compaction leaves gaps */
            return "batch offsets go backwards";
        if (h.last_offset_delta < 0 || last >= limit_offset || last - seg->base_offset > INT32_MAX)
            return "batch offsets outside the segment";
        if (p > o_pos && bytes_since > interval && !fr_offset_index_is_full(&seg->oindex))
            return "the offset index is missing entries";
        if (!t_seen && h.base_offset <= t_off && t_off <= last) {
            if (h.max_timestamp != t_ts)
                return "the last time index entry does not match the max timestamp of its batch";
            t_seen = 1;
        }
        if (h.max_timestamp > seg->max_timestamp) {
            seg->max_timestamp = h.max_timestamp;
            seg->offset_of_max_timestamp = last;
        }
        if (p >= o_pos)
            bytes_since += fr_batch_size(&h);
        expected = last + 1;
    }
    *at = p;
    if (!t_seen)
        return "the last time index entry names an offset that is not in the segment";
    if (seg->max_timestamp > t_ts)
        return "the time index lacks the segment's max timestamp";
    seg->next_offset = expected >= 0 ? expected : seg->base_offset;
    seg->bytes_since_index = bytes_since;
    if (have_t) {
        seg->max_timestamp = t_ts;
        seg->offset_of_max_timestamp = t_off;
    }
    return NULL;
}

int fr_load_segment(fr_segment_t *seg, int dirfd, const char *dir, int64_t limit_offset,
                    int64_t index_interval_bytes) {
    const char *why;
    size_t bad = 0;
    int64_t at = -1;
    int64_t file_size = seg->size;

    why = load_index(dirfd, seg, ".index", &seg->oindex, 0);
    if (!why)
        why = load_index(dirfd, seg, ".timeindex", &seg->tindex, 1);
    if (why) {
        fr_warn(COMPONENT, "%s/%s: %s; rebuilding the indexes", dir, seg->name, why);
    } else if (fr_offset_index_check(&seg->oindex, file_size, limit_offset, &why, &bad) ||
               fr_time_index_check(&seg->tindex, limit_offset, &why, &bad)) {
        fr_warn(COMPONENT, "%s/%s: index entry %zu: %s; rebuilding the indexes", dir, seg->name, bad, why);
    } else if ((why = walk_tail(seg, limit_offset, index_interval_bytes, &at)) != NULL) {
        fr_warn(COMPONENT, "%s/%s: index check failed at position %" PRId64 ": %s; rebuilding the indexes",
                dir, seg->name, at, why);
    } else {
        /* the first batch's max timestamp, which max.compaction.lag.ms counts from (the cleaner) */
        fr_batch_header_t h;
        if (file_size > 0 && fr_segment_read_header(seg, 0, &h, &why) == 0)
            seg->roll_base_ms = h.max_timestamp;
        return 0;
    }
    seg->size = file_size;
    int rc = fr_recover_segment(seg, dir, limit_offset, index_interval_bytes, 0, NULL);
    if (rc)
        return rc;
    fr_segment_seal(seg);
    if (fr_segment_write_indexes(seg, dirfd))
        fr_warn(COMPONENT, "%s/%s: cannot rewrite the index files: %s (kept in memory)", dir, seg->name,
                strerror(errno));
    return 0;
}
