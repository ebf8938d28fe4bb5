/*
 * segment.h — one segment of a partition log: <base>.log with its .index and
 * .timeindex (20-digit, zero-padded base offset).
 *
 * A segment holds whole record batches with contiguous offsets from its base
 * offset.  Its .log file is shared with fetches through a refcounted
 * fr_segfile_t: a read takes a reference, and the fd stays open until the
 * last reference goes, even when the segment is closed or its file deleted.
 *
 * The two indexes live in memory (see offset_index.h, time_index.h) and are
 * written to their files when the segment stops being active (the roll) and
 * when the log is closed.
 *
 * Everything here except fr_segfile_ref/unref and fr_segment_scan_time on a
 * snapshot runs under the owning partlog's lock; the functions that read the
 * file (pread of batch headers) do not read record bodies.
 */
#ifndef FR_SEGMENT_H
#define FR_SEGMENT_H

#include <stdatomic.h>
#include <stdint.h>

#include "offset_index.h"
#include "record_batch.h"
#include "time_index.h"

#define FR_SEGMENT_NAME_DIGITS 20
#define FR_SEGMENT_FILENAME_MAX 40

/* A refcounted segment file descriptor. */
typedef struct fr_segfile {
    int fd;
    atomic_int refs;
} fr_segfile_t;

/* Wraps fd (owned from here on) with one reference; NULL on ENOMEM (fd is closed). */
fr_segfile_t *fr_segfile_new(int fd);
void fr_segfile_ref(fr_segfile_t *f);
/* Drops a reference (any thread); the last one closes the fd.  void * so that it
 * can be handed out as fr_read_result_t.unref. */
void fr_segfile_unref(void *f);

typedef struct fr_segment {
    int64_t base_offset;
    int64_t next_offset;        /* last offset of the last batch + 1; base_offset when empty */
    int64_t size;               /* bytes of whole, valid batches in the .log */
    int64_t synced_size;        /* bytes of the .log known to be fsync'ed */
    int index_unsynced;         /* index files written but not yet fsync'ed */
    int64_t max_timestamp;      /* largest batch max timestamp, -1 when none */
    int64_t offset_of_max_timestamp;
    int64_t roll_base_ms;       /* its first batch's max timestamp (Kafka's rollingBasedTimestamp):
                                   segment_ms counts from here to the appended batch's; -1 for none */
    int64_t created_ms;         /* the wall clock when made or opened: segment_ms counts from here
                                   to now when roll_base_ms is -1 */
    int64_t roll_jitter_ms;     /* the random part of segment.jitter.ms drawn for this segment */
    int64_t bytes_since_index;  /* bytes appended since the last index entry */
    int64_t cache_released;     /* the .log up to here was written back and dropped from the page cache */
    int64_t writeback_started;  /* writeback of the .log was started up to here (fr_partlog_release_cache) */
    int64_t reserved_end;       /* disk blocks reserved past the end, up to here (fr_segment_reserve) */
    int64_t cold_end;           /* the .log below here may not be in the page cache: found on disk at open, or released */
    fr_segfile_t *log;          /* the .log file (O_RDWR) */
    fr_offset_index_t oindex;
    fr_time_index_t tindex;
    /* The last batches appended (a ring, oldest at recent_next - recent_len):
     * consumers at the tail fetch from these, and finding them here saves the
     * header reads an index lookup needs.  Allocated at the first append,
     * freed at the seal: only segments written by this process carry one. */
    struct fr_segment_recent *recent;
    unsigned recent_len, recent_next;
    char name[FR_SEGMENT_FILENAME_MAX]; /* "<base>.log", for messages */
} fr_segment_t;

enum { FR_SEGMENT_RECENT = 64 };
typedef struct fr_segment_recent {
    int64_t position;
    fr_batch_header_t h;
} fr_segment_recent_t;

/* "<20-digit base><suffix>" into buf (FR_SEGMENT_FILENAME_MAX bytes). */
void fr_segment_filename(char *buf, int64_t base_offset, const char *suffix);
/* The files of a segment, by suffix: the .log first, then its two indexes. */
enum { FR_SEGMENT_FILES = 3 };
extern const char *const fr_segment_file_suffixes[FR_SEGMENT_FILES];
/* Parses "<20 digits>.log" (or another suffix); 0 and *base, or -1. */
int fr_segment_parse_filename(const char *name, const char *suffix, int64_t *base);

/*
 * Creates a new, empty segment file <base>.log in dirfd (it must not exist).
 * index_max_bytes sizes the indexes.  Returns 0 or FR_ERR_IO / FR_ERR_EXISTS /
 * FR_ERR_NOMEM.  The caller owns *out and frees it with fr_segment_free.
 */
int fr_segment_create(int dirfd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out);
/*
 * Opens an existing <base>.log.  size is set to the file size and nothing
 * else is known yet: recovery (recovery.h) fills in the rest.
 */
int fr_segment_open(int dirfd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out);
/*
 * A segment over fd, an open .log of base_offset that the segment now owns
 * (closed on failure too), empty as far as it knows: the caller tracks its
 * batches.  Returns 0 or FR_ERR_NOMEM.
 */
int fr_segment_adopt(int fd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out);
/* Frees the indexes and drops the segment's reference to its file. */
void fr_segment_free(fr_segment_t *seg);

/*
 * Bookkeeping for one batch just placed at position (Kafka's
 * LogSegment.append, per batch): max timestamp, index entries every
 * index_interval_bytes, next_offset and size.
 */
void fr_segment_track_batch(fr_segment_t *seg, int64_t position, const fr_batch_header_t *h,
                            int64_t index_interval_bytes);
/* Forgets all batches: empty indexes, size 0 (the file is not touched). */
void fr_segment_reset(fr_segment_t *seg);
/*
 * Before an append that ends the .log at end: reserves disk blocks ahead of
 * it with fallocate(FALLOC_FL_KEEP_SIZE), a quarter of the segment (1 to 32
 * MiB, never past segment_bytes), so that appends land in allocated extents
 * and the file system skips its per-block delayed-allocation work.  Logs
 * under 1 MiB reserve nothing.  The file size does not change, so readers and
 * recovery see nothing; a failure (no support, no space) only means appends
 * take the unreserved path, and the write reports its own errors.
 */
void fr_segment_reserve(fr_segment_t *seg, int64_t end, int64_t segment_bytes);
/* Gives back the blocks reserved past the end of the .log (at the roll and at
 * close; also those a crash left behind). */
void fr_segment_unreserve(fr_segment_t *seg);

/* The .log's modification time in ms (Java's File.lastModified), -1 when it cannot be read.
 * Kafka's segment lastModified: ListOffsets v0 and, for a segment without timestamps, time
 * retention go by it, so the broker's own housekeeping keeps it (unreserve, the cleaner's swap). */
int64_t fr_segment_mtime_ms(const fr_segment_t *seg);

/* Kafka's LogSegment.largestTimestamp: the largest record timestamp, else the file's modification
 * time; INT64_MAX when neither is known (never old enough). */
int64_t fr_segment_largest_timestamp(const fr_segment_t *seg);
/* Adds the final time index entry (the segment's max timestamp), at the roll,
 * drops the ring of recent batches (no longer the tail) and gives back the
 * blocks reserved past its end. */
void fr_segment_seal(fr_segment_t *seg);
/* Writes both index files (creating them) and marks them unsynced.  On failure
 * (errno kept) both files are removed, so that open rebuilds them rather than
 * trusting a half-written one. */
int fr_segment_write_indexes(fr_segment_t *seg, int dirfd);

/*
 * Reads the header of the batch at position and checks that it frames
 * (magic 2, sane length, inside seg->size).  Returns 0 or FR_ERR_CORRUPT
 * (*why set) / FR_ERR_IO.
 */
int fr_segment_read_header(const fr_segment_t *seg, int64_t position, fr_batch_header_t *h,
                           const char **why);
/* The same from any file whose batches end by end (needs no segment, so no lock). */
int fr_batch_header_pread(int fd, int64_t position, int64_t end, fr_batch_header_t *h, const char **why);

/* Where a read of offset starts scanning, known without I/O: the batch's
 * position when it is among the last appended, else the index entry at or
 * before it (0 without one). */
int64_t fr_segment_position_hint(const fr_segment_t *seg, int64_t offset);

/*
 * Finds the first batch whose last offset is >= offset (the batch holding it,
 * or the next one after a gap): its position and header.  Recent batches
 * come from memory; otherwise it starts at the offset index entry and scans
 * headers forward.  FR_ERR_NOT_FOUND when the
 * segment has none; FR_ERR_CORRUPT when the file disagrees with the segment.
 */
int fr_segment_find(const fr_segment_t *seg, const char *dir, int64_t offset, int64_t *position,
                    fr_batch_header_t *h);

/*
 * End of a fetch that starts with the batch at start (first_size bytes): the
 * largest batch boundary <= start + max_bytes, but at least the end of the
 * first batch, and never past the segment.
 */
int fr_segment_fetch_end(const fr_segment_t *seg, const char *dir, int64_t start,
                         int64_t first_size, int64_t max_bytes, int64_t *end);

/*
 * The first batch at or after offset from (-1: any) whose max timestamp is
 * >= ts, found in two steps so that the partlog's lock need not be held while
 * headers are read from the disk.  fr_segment_time_start, under the lock,
 * finds in the in-memory indexes where the scan begins.
 * fr_segment_scan_time reads headers from there; it uses only the segment's
 * file, size and name, so it may run without the lock on a copy taken under
 * it (fr_segment_snapshot: no indexes or recent batches, and a reference to
 * the file that the caller drops with fr_segfile_unref).  The batch's
 * position and header, or FR_ERR_NOT_FOUND when no batch of the segment
 * qualifies, FR_ERR_CORRUPT, FR_ERR_IO.
 */
typedef struct fr_segment_time_start {
    int64_t position;     /* a batch boundary */
    long entry;           /* the offset index entry at position (-1: none), checked when read */
    int64_t entry_offset;
    int64_t t_ts, t_off;  /* the time index entry the scan holds to its promise (t_ts -1: none) */
} fr_segment_time_start_t;
void fr_segment_time_start(const fr_segment_t *seg, int64_t ts, int64_t from, fr_segment_time_start_t *start);
int fr_segment_scan_time(const fr_segment_t *seg, const char *dir, const fr_segment_time_start_t *start, int64_t ts,
                         int64_t from, int64_t *position, fr_batch_header_t *h);
void fr_segment_snapshot(const fr_segment_t *seg, fr_segment_t *copy);

#endif
