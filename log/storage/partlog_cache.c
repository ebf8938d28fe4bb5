/*
 * partlog_cache.c — keeps a partition's page-cache footprint to its newest
 * bytes (fr_partlog_release_cache).
 *
 * Why: left alone, the page cache keeps every byte a broker appends until
 * memory pressure evicts it, so a busy broker's footprint grows to all free
 * memory and each append lands in a page the kernel must first find.  Where
 * fresh memory is slow to get (virtual machines whose host backs guest memory
 * lazily or takes free pages back through the balloon, measured here at about
 * 2 s of kernel time per GiB, ten times a warm page), that cost moved the
 * 1 KiB produce rate from ~1000 MB/s to ~280 MB/s once the log passed a
 * gigabyte.  Writing back and dropping the bytes consumers at the tail no
 * longer read lets the next appends reuse warm pages, and keeps the broker
 * from pushing other programs' pages out; BookKeeper drops its journal pages
 * after each sync for the same reasons, and Redpanda manages its own cache.
 *
 * The writeback of new bytes starts at once (each call starts it for the
 * bytes appended since the last), so the disk works while the producer does,
 * and the bytes are clean when their turn to be dropped comes: the drop then
 * waits for nothing.  Waiting for a whole chunk's writeback at drop time, one
 * partition at a time, could not keep up with a gigabyte a second, and the
 * cache grew into cold memory anyway.
 *
 * The newest keep_bytes of the log (across segments) stay cached, so tail
 * reads and the fetches of consumers a little behind still come from memory;
 * older reads go to the disk, as they do in Kafka once the kernel has evicted.
 *
 * Durability does not change: this is neither a flush nor a reason to
 * acknowledge.  But a write error met by the writeback here would be
 * consumed (the kernel reports a writeback error once per open file), so it
 * is kept in the log and every later fr_partlog_flush fails with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "partlog_internal.h"

#define COMPONENT "log"
#define RELEASE_STEP (8 << 20) /* write back and drop this much at a time: pages come back while a burst goes on */
#define PAGE_MASK_BYTES 4095

typedef struct release_item {
    fr_segfile_t *file;
    int64_t base_offset;
    int64_t from, to;
} release_item_t;

/* Writes back [from, to) and drops it from the page cache; 0 or errno of the writeback. */
static int release_range(int fd, int64_t from, int64_t to) {
    for (int64_t off = from; off < to; off += RELEASE_STEP) {
        int64_t len = to - off < RELEASE_STEP ? to - off : RELEASE_STEP;
        if (sync_file_range(fd, off, len,
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
            return errno;
        /* advice only: a failure leaves the pages cached, which is where they were */
        (void)posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
    }
    return 0;
}

/* Starts the writeback of the active segment's whole pages not started yet
 * (the last, partial page is still being written).  Errors surface at the
 * drop's or the flush's wait. */
static void start_writeback(fr_partlog_t *log) {
    pthread_mutex_lock(&log->lock);
    fr_segment_t *seg = log->segs[log->nsegs - 1];
    int64_t from = seg->writeback_started > seg->cache_released ? seg->writeback_started : seg->cache_released;
    int64_t to = seg->size & ~(int64_t)PAGE_MASK_BYTES;
    fr_segfile_t *file = seg->log;
    if (to <= from) {
        pthread_mutex_unlock(&log->lock);
        return;
    }
    fr_segfile_ref(file);
    pthread_mutex_unlock(&log->lock);
    int ok = sync_file_range(file->fd, from, to - from, SYNC_FILE_RANGE_WRITE) == 0;
    pthread_mutex_lock(&log->lock);
    fr_segment_t *act = log->segs[log->nsegs - 1]; /* a log always has its active segment */
    if (ok && act->log == file && to > act->writeback_started) /* not rolled meanwhile */
        act->writeback_started = to;
    pthread_mutex_unlock(&log->lock);
    fr_segfile_unref(file);
}

int fr_partlog_release_cache(fr_partlog_t *log, int64_t keep_bytes, int64_t *released) {
    if (released)
        *released = 0;
    if (keep_bytes < 0)
        return 0;
    start_writeback(log);
    pthread_mutex_lock(&log->lock);
    release_item_t *items = calloc(log->nsegs ? log->nsegs : 1, sizeof(*items));
    if (!items) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_NOMEM;
    }
    size_t n = 0;
    int64_t newer = 0; /* bytes in the segments after this one */
    for (size_t i = log->nsegs; i-- > 0;) {
        fr_segment_t *seg = log->segs[i];
        int64_t keep_here = keep_bytes > newer ? keep_bytes - newer : 0;
        int64_t to = seg->size > keep_here ? seg->size - keep_here : 0;
        if (i + 1 == log->nsegs) /* the active segment's last page is still being written */
            to &= ~(int64_t)PAGE_MASK_BYTES;
        newer += seg->size;
        if (to <= seg->cache_released) {
            if (newer >= keep_bytes && i + 1 < log->nsegs)
                break; /* older segments were released on earlier calls */
            continue;
        }
        fr_segfile_ref(seg->log);
        items[n++] = (release_item_t){seg->log, seg->base_offset, seg->cache_released, to};
    }
    pthread_mutex_unlock(&log->lock);

    int rc = 0, err = 0;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!err && (err = release_range(items[i].file->fd, items[i].from, items[i].to)) != 0) {
            char name[FR_SEGMENT_FILENAME_MAX];
            fr_segment_filename(name, items[i].base_offset, ".log");
            fr_error(COMPONENT, "%s/%s: writeback failed: %s (the next flush fails too)", log->dir, name,
                     strerror(err));
        }
        if (!err)
            total += items[i].to - items[i].from;
        else
            items[i].to = -1;
    }

    pthread_mutex_lock(&log->lock);
    if (err) {
        log->writeback_error = err;
        rc = FR_ERR_KAFKA_STORAGE_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        /* the segment may be gone (retention) or replaced (compaction) meanwhile */
        size_t j = log->nsegs ? fr_partlog_floor_segment(log, items[i].base_offset) : 0;
        fr_segment_t *seg = j < log->nsegs ? log->segs[j] : NULL;
        if (items[i].to >= 0 && seg && seg->log == items[i].file && items[i].to > seg->cache_released) {
            seg->cache_released = items[i].to;
            if (seg->cold_end < seg->cache_released)
                seg->cold_end = seg->cache_released;
        }
        fr_segfile_unref(items[i].file);
    }
    pthread_mutex_unlock(&log->lock);
    free(items);
    if (released)
        *released = total;
    return rc;
}

/* cachestat(2), Linux 6.5; older headers lack it (the number is the same on every architecture). */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct fr_cachestat_range {
    uint64_t off, len;
};
struct fr_cachestat {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/* 1 when every page of the range is in the page cache; 0 when some is not,
 * or when the kernel cannot tell (before 6.5, or a sandbox refusing it). */
static int range_cached(int fd, int64_t pos, size_t len) {
    static atomic_int cannot_tell;
    if (atomic_load_explicit(&cannot_tell, memory_order_relaxed))
        return 0;
    struct fr_cachestat_range range = {(uint64_t)pos, (uint64_t)len};
    struct fr_cachestat cs;
    if (syscall(__NR_cachestat, fd, &range, &cs, 0) < 0) {
        if (errno == ENOSYS || errno == EPERM)
            atomic_store_explicit(&cannot_tell, 1, memory_order_relaxed);
        return 0;
    }
    const uint64_t page = PAGE_MASK_BYTES + 1;
    uint64_t first = (uint64_t)pos / page, end = ((uint64_t)pos + len + page - 1) / page;
    return cs.nr_cache >= end - first;
}

int fr_partlog_cold_range(fr_partlog_t *log, int64_t offset, int64_t max_bytes, fr_read_result_t *out) {
    int cold = 0;
    *out = (fr_read_result_t){.fd = -1, .offset = offset};
    pthread_mutex_lock(&log->lock);
    if (log->nsegs && offset >= log->log_start && offset < log->leo) {
        fr_segment_t *seg = log->segs[fr_partlog_floor_segment(log, offset)];
        int64_t pos = fr_segment_position_hint(seg, offset);
        if (pos < seg->cold_end && pos < seg->size) {
            int64_t len = seg->size - pos;
            int64_t cap = (max_bytes > 0 ? max_bytes : 0) + log->cfg.index_interval_bytes;
            fr_segfile_ref(seg->log);
            out->fd = seg->log->fd;
            out->file_position = pos;
            out->len = (size_t)(len < cap ? len : cap);
            out->unref = fr_segfile_unref;
            out->ref = seg->log;
            cold = 1;
        }
    }
    pthread_mutex_unlock(&log->lock);
    if (cold && range_cached(out->fd, out->file_position, out->len)) { /* read since, or kept by the kernel */
        out->unref(out->ref);
        *out = (fr_read_result_t){.fd = -1, .offset = offset};
        cold = 0;
    }
    return cold;
}

int64_t fr_partlog_cold_range_end(const fr_read_result_t *r) {
    int64_t end = r->file_position + (int64_t)r->len;
    fr_batch_header_t h;
    const char *why;
    /* From the range's start (a batch start) to the batch holding the offset:
     * within the range, whose headers the warm-up has just read.  The file's
     * own end bounds the batches (a short read fails the header). */
    for (int64_t p = r->file_position; p < end;) {
        if (fr_batch_header_pread(r->fd, p, INT64_MAX, &h, &why) != 0 || h.last_offset_delta < 0)
            break;
        int64_t size = fr_batch_size(&h);
        if (fr_batch_last_offset(&h) >= r->offset)
            return p + size > end ? p + size : end;
        p += size;
    }
    return end;
}
