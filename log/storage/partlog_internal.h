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

#endif
