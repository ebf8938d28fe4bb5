/*
 * partlog_internal.h — the partition log's state, shared by partlog.c,
 * partlog_time.c and partlog_retention.c.  Nothing outside log/storage
 * includes it: everyone else goes through fr_partlog.h.
 */
#ifndef FR_PARTLOG_INTERNAL_H
#define FR_PARTLOG_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_partlog.h"
#include "producer_state.h"
#include "segment.h"

struct fr_partlog {
    pthread_mutex_t lock;
    char *dir;
    int dirfd;                  /* also holds the flock */
    fr_log_config_t cfg;
    fr_segment_t **segs;        /* by base offset; segs[nsegs - 1] is active */
    size_t nsegs, cap;
    int64_t leo;                /* log end offset: next offset to assign */
    int64_t log_start;          /* log start offset (Kafka's logStartOffset): reads below it are out of range */
    int64_t size_bytes;
    int32_t leader_epoch;
    int64_t appended_messages;  /* records appended since open */
    int64_t flushed_messages;   /* of those, covered by a completed flush */
    int64_t last_flush_ms;      /* -1: set by the first append */
    int64_t last_append_ms;
    int64_t recovery_point;     /* every offset below it is on disk (fsynced): Kafka's recoveryPoint */
    int fsync_failed;           /* an fsync failed since open: the recovery point stays put */
    int rolled_unsynced;        /* a roll not yet reported by an append (fr_append_info_t.rolled) */
    uint64_t dir_changes;       /* segment files created, ever */
    uint64_t dir_synced;        /* dir_changes covered by the last directory fsync */
    int64_t snapshot_unsynced;  /* offset of the producer snapshot a roll wrote, until a flush syncs it; -1 */
    int writeback_error;        /* errno of a failed writeback in fr_partlog_release_cache: every
                                   later flush fails, as the kernel reports it only once */
    int tail_dirty;             /* a failed append left bytes past the active segment's size
                                   that could not be cut yet: cut them before the next write */
    fr_producer_state_t producers; /* idempotent producers (producer_state.h) */
};

/* What partlog_open.c shares with partlog.c. */
void fr_partlog_set_config_locked(fr_partlog_t *log, const fr_log_config_t *cfg);
int64_t fr_partlog_wall_clock_ms(void);
/* Adds seg as the newest segment; it counts segment.ms from now when it has no timestamp. */
int fr_partlog_push_segment(fr_partlog_t *log, fr_segment_t *seg);
/* Frees the log's memory and closes its files (nothing is written). */
void fr_partlog_free(fr_partlog_t *log);

/* Index of the segment holding offset (the last one whose base <= offset).  Lock held. */
size_t fr_partlog_floor_segment(const fr_partlog_t *log, int64_t offset);
/* Closes the active segment's indexes and starts a new one at the log end.  Lock held. */
int fr_partlog_roll_locked(fr_partlog_t *log);
/* Renames a segment's files to <name>.deleted (the .log must go; an index file that cannot be
 * renamed is removed).  0 or FR_ERR_IO.  Lock held. */
int fr_partlog_rename_for_deletion(const fr_partlog_t *log, const fr_segment_t *seg);
/* Removes the renamed files of the segments based at bases[0..n); without the lock. */
void fr_partlog_remove_deleted_files(const fr_partlog_t *log, const int64_t *bases, size_t n);

/* ---- cleaned segments into place (partlog_swap.c; the order of steps is there) ---- */

/* A segment the cleaner works on, as it was when the pass began. */
typedef struct fr_clean_seg {
    int64_t base;
    int64_t size;
    int64_t next_offset;
    int64_t first_batch_timestamp; /* the segment's roll_base_ms: its first batch's max timestamp, -1 for
                                      none (Kafka's getFirstBatchTimestamp, what max.compaction.lag.ms
                                      counts from) */
    fr_segfile_t *file;            /* a reference taken under the lock */
} fr_clean_seg_t;

/* Writes out as <base>.log.cleaned (modified at *mtime unless NULL), fsyncs it, renames it
 * <base>.log.swap and fsyncs the directory.  Returns the open fd, or -1 (nothing left behind). */
int fr_partlog_write_swap(const fr_partlog_t *log, int64_t base, const fr_writer_t *out,
                          const struct timespec *mtime);
/* Removes <base>.log.swap. */
void fr_partlog_drop_swap(const fr_partlog_t *log, int64_t base);
/*
 * Under the lock: puts the swap (fd, its bytes data[0..len)) in place of the k consecutive
 * segments g[0..k), if the log still has every one of them, not active.  Returns 1 done, 0
 * they are not all there (retention), -1 an error with everything as it was, -2 an error
 * that left some old segment renamed for deletion: the swap must stay, for the next open
 * to finish.  On 0 and -1 the caller removes the swap; the caller closes fd.  On 1 the
 * caller removes the .deleted files of g[1..k).
 */
int fr_partlog_swap_in_locked(fr_partlog_t *log, const fr_clean_seg_t *g, size_t k, int fd, const uint8_t *data,
                              size_t len);
/* Under the lock: a segment the clean left with no batch goes, as retention removes one, unless
 * it is the log's first (whose base is the log start a reopen finds).  1 when it went (the
 * caller removes its .deleted files), 0 when the log no longer has it or it is first, -1 on error. */
int fr_partlog_drop_emptied_locked(fr_partlog_t *log, const fr_clean_seg_t *cs);
/* Removes <base>.log.cleaned files, the leftovers of a pass a stop interrupted.  Returns 1 when
 * a <base>.log.swap is there (or the directory cannot be read): a replacement an I/O error left
 * half done, which only an open may finish, so no pass may run; else 0. */
int fr_partlog_sweep_cleaner_files(const fr_partlog_t *log);
/* At open, before the segments are listed: finishes every replacement that left a
 * <base>.log.swap (see partlog_swap.c).  0 or FR_ERR_IO / FR_ERR_NOMEM. */
int fr_partlog_finish_swaps(const fr_partlog_t *log);

#endif
