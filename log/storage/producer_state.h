/*
 * producer_state.h — one partition's idempotent-producer state (Kafka's
 * ProducerStateManager): for every producer id that appended to the
 * partition, its epoch and the metadata of its last 5 batches, so that a
 * retried batch is answered as a duplicate with its original offsets and a
 * gap in the sequence numbers is refused.
 *
 * The rules (Kafka's, for a batch with producerId >= 0, i.e. an idempotent
 * batch; batches without a producer id never touch this state):
 *   - epoch lower than the producer's current epoch    -> INVALID_PRODUCER_EPOCH
 *   - same epoch, first and last sequence equal to one of the last 5 batches:
 *     a duplicate, not appended again (the caller answers with the original
 *     offsets)
 *   - same epoch, first sequence == last sequence + 1 (INT32_MAX wraps to 0):
 *     appended
 *   - same epoch, anything else                        -> OUT_OF_ORDER_SEQUENCE_NUMBER
 *   - higher epoch: must start at sequence 0, else     -> OUT_OF_ORDER_SEQUENCE_NUMBER
 *   - unknown producer id (never seen, expired, or its batches deleted):
 *     any sequence is accepted and starts its entry, as Kafka's
 *     ProducerAppendInfo does for a producer with no epoch on record
 * A batch's last sequence is baseSequence + lastOffsetDelta, wrapping past
 * INT32_MAX to 0 as Kafka's DefaultRecordBatch.incrementSequence does.
 *
 * Lookups are O(1): an open-addressing hash table keyed by producer id, the
 * entries stored inline.  Nothing here is per record.
 *
 * Appends are transactional: fr_producer_append_begin, one
 * fr_producer_append_batch per idempotent batch of the request (each checked
 * against the state left by the batches before it), then _commit, or _abort
 * which puts back every entry the append touched.  So a request with several
 * batches is checked whole before anything is written, and a failed write
 * leaves no trace.
 *
 * Snapshots (producer_snapshot.c): "<20-digit offset>.snapshot" in the
 * partition directory holds the state of every producer as of that log
 * offset (all batches below it).  Format, big-endian:
 *
 *   magic "FRPS" | version int16 (1) | crc uint32 (CRC-32C of the bytes after it)
 *   offset int64 | producer count int32 | producers...
 *   producer: id int64 | epoch int16 | last_timestamp int64 | batch count int8 (0..5)
 *             (last_timestamp: its newest batch's max timestamp; read back from the batches)
 *             batches, oldest first: first_seq int32 | last_seq int32 |
 *                                    first_offset int64 | last_offset int64 |
 *                                    max_timestamp int64
 *
 * A snapshot is written at every segment roll and at close, through a .tmp
 * file and a rename, without fsync: it only saves a scan, and a lost, torn or
 * corrupt one is ignored (with a warning) and the state rebuilt from the log.
 * The two newest are kept.
 *
 * Threading and ownership: a fr_producer_state_t belongs to its partlog and
 * is used under the partlog's lock only.  Entry pointers returned by
 * fr_producer_state_find are valid until the next insert or removal.
 */
#ifndef FR_PRODUCER_STATE_H
#define FR_PRODUCER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "record_batch.h"
#include "segment.h"

#define FR_NO_PRODUCER_ID (-1)
#define FR_PRODUCER_BATCHES_KEPT 5
/* Kafka's defaults of producer.id.expiration.ms and producer.id.expiration.check.interval.ms */
#define FR_PRODUCER_EXPIRATION_MS (24LL * 60 * 60 * 1000)
#define FR_PRODUCER_EXPIRATION_CHECK_MS (10LL * 60 * 1000)

typedef struct fr_producer_batch {
    int32_t first_seq, last_seq;
    int64_t first_offset, last_offset;
    int64_t max_timestamp;
} fr_producer_batch_t;

typedef struct fr_producer_entry {
    int64_t producer_id;       /* FR_NO_PRODUCER_ID marks a free slot */
    uint32_t undo_stamp;       /* the append that last saved this entry for undo */
    int16_t epoch;
    uint8_t nbatches;          /* 0..FR_PRODUCER_BATCHES_KEPT */
    uint8_t head;              /* ring index of the oldest batch */
    fr_producer_batch_t batches[FR_PRODUCER_BATCHES_KEPT];
} fr_producer_entry_t;

typedef struct fr_producer_state {
    fr_producer_entry_t *slots; /* cap slots, power of two; NULL when cap == 0 */
    size_t cap, count;
    uint32_t stamp;             /* the current append's stamp */
    int64_t last_expiry_ms;     /* last expiry sweep (broker clock) */
    int64_t expiration_ms;      /* producer.id.expiration.ms: forgotten this long after the newest batch's
                                   max timestamp (Kafka's lastTimestamp) */
    int64_t expiration_check_ms; /* producer.id.expiration.check.interval.ms: how often appends sweep */
    int64_t snapshots[2];       /* offsets of the newest snapshot files on disk, -1 for none */
} fr_producer_state_t;

void fr_producer_state_init(fr_producer_state_t *ps);
void fr_producer_state_free(fr_producer_state_t *ps);
/* Forgets every producer (the snapshot bookkeeping stays). */
void fr_producer_state_clear(fr_producer_state_t *ps);

fr_producer_entry_t *fr_producer_state_find(const fr_producer_state_t *ps, int64_t producer_id);
/* The i-th newest batch of e (i = 0 is the last one appended); i < e->nbatches. */
const fr_producer_batch_t *fr_producer_entry_batch(const fr_producer_entry_t *e, int i);
/* baseSequence + lastOffsetDelta with Kafka's wrap past INT32_MAX. */
int32_t fr_producer_last_seq(const fr_batch_header_t *h);

/* ---- appends ---- */

typedef struct fr_producer_undo {
    int existed;               /* 0: the append created the entry (abort removes it) */
    fr_producer_entry_t saved; /* the entry before the append (saved.producer_id is the key) */
} fr_producer_undo_t;

typedef struct fr_producer_append {
    fr_producer_state_t *ps;
    int64_t now_ms;
    fr_producer_undo_t inline_undo[2];
    fr_producer_undo_t *undo;  /* inline_undo or heap (freed by commit/abort) */
    size_t nundo, undo_cap;
    int duplicates;            /* batches found to be already in the log */
    int all_duplicates;        /* set by fr_producer_append_request: nothing to append */
    fr_producer_batch_t first_dup, last_dup;
    const char *why;           /* static: why the last batch was refused */
    fr_batch_header_t refused; /* that batch's header */
} fr_producer_append_t;

void fr_producer_append_begin(fr_producer_append_t *a, fr_producer_state_t *ps, int64_t now_ms);
/*
 * Checks one idempotent batch (h->producer_id >= 0; a negative epoch is
 * INVALID_RECORD for a producer not known yet, fenced for a known one) that
 * would take offsets first_offset .. first_offset + lastOffsetDelta, and
 * records it in the state.  A duplicate is counted (a->duplicates, its
 * original offsets in a->first_dup / a->last_dup) and changes nothing.
 * Returns 0, or FR_ERR_INVALID_PRODUCER_EPOCH, FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER
 * (a->why says more) or FR_ERR_NOMEM; after an
 * error the caller must abort.
 */
int fr_producer_append_batch(fr_producer_append_t *a, const fr_batch_header_t *h, int64_t first_offset);
/*
 * Checks a whole request: every batch of buf that has a producer id (buf is
 * framed and validated already), as if the batches were appended from
 * first_offset on, each against the state the ones before it left.  Returns
 * 0 when the append goes ahead (then commit after the write, or abort if it
 * fails); 0 with a->all_duplicates set when every batch of buf is already in
 * the log (append nothing; a->first_dup and a->last_dup hold the original
 * offsets); or an error, like fr_producer_append_batch's, or
 * FR_ERR_INVALID_RECORD for a mix of duplicates and new batches.  In the last
 * two cases the append is already aborted.  First, once per
 * ps->expiration_check_ms, forgets the producers whose newest batch is
 * ps->expiration_ms old (Kafka's periodic removeExpiredProducers).
 */
int fr_producer_append_request(fr_producer_append_t *a, const uint8_t *buf, size_t len, int64_t first_offset);
/* Keeps what the append recorded. */
void fr_producer_append_commit(fr_producer_append_t *a);
/* Restores every entry the append touched, as it was at begin. */
void fr_producer_append_abort(fr_producer_append_t *a);

/* ---- recovery and upkeep ---- */

/*
 * Records a batch read back from the log (recovery), with no checks: a new
 * epoch resets the producer's batches; a batch at or below the producer's
 * newest known offset is skipped, so replaying twice is harmless.  Batches
 * without a producer id, or with a negative epoch or sequence (which appends
 * refuse; a log written before those checks), are ignored.
 * Returns 0 or FR_ERR_NOMEM.
 */
int fr_producer_state_replay(fr_producer_state_t *ps, const fr_batch_header_t *h);
/* Forgets the producers whose newest batch's timestamp is ps->expiration_ms or
 * more before now_ms, as Kafka's isProducerExpired.  Returns how many. */
size_t fr_producer_state_expire(fr_producer_state_t *ps, int64_t now_ms);
/* The largest producer id in the state, or -1. */
int64_t fr_producer_state_max_id(const fr_producer_state_t *ps);

/* ---- snapshots (encoding: producer_state.c; files: producer_snapshot.c) ---- */

/* Appends the snapshot bytes for the state as of offset to w (check w->err). */
void fr_producer_state_encode(const fr_producer_state_t *ps, int64_t offset, fr_writer_t *w);
/*
 * Replaces the state with the snapshot in buf, which must be for `offset`.
 * Returns 0, FR_ERR_CORRUPT (*why says why; the state is then empty) or
 * FR_ERR_NOMEM.
 */
int fr_producer_state_decode(fr_producer_state_t *ps, const uint8_t *buf, size_t len, int64_t offset,
                             const char **why);

/*
 * Writes <offset>.snapshot in dirfd (see the top of this file) and deletes
 * the snapshot that is now third newest.  sync: the file and the directory
 * entry are fsynced before it returns (at close, as Kafka's takeSnapshot
 * does then); otherwise the caller has a flush sync it later
 * (fr_producer_snapshot_sync), as Kafka's roll does, since an fsync under the
 * log's lock would hold up appends.  Returns 0 or FR_ERR_IO / FR_ERR_NOMEM;
 * a failure is only worth a warning (recovery rescans the log).
 */
int fr_producer_snapshot_write(fr_producer_state_t *ps, int dirfd, const char *dir, int64_t offset, int sync);
/* fdatasyncs <offset>.snapshot in dirfd; one deleted meanwhile is no error.  0 or FR_ERR_IO. */
int fr_producer_snapshot_sync(int dirfd, int64_t offset);

/*
 * Rebuilds the state when a partition log is opened: loads the newest
 * snapshot whose offset is <= max_offset and that decodes (others that fail
 * are reported and skipped; snapshots above max_offset, which describe data
 * the log no longer has, and leftover .tmp files are deleted), then replays
 * the headers of the batches from that offset to the end of segs (the
 * partition's segments, oldest first, already recovered), and forgets the
 * producers expired at now_ms.  Only batch headers are read.  Returns 0 or
 * FR_ERR_IO / FR_ERR_NOMEM.
 */
int fr_producer_state_recover(fr_producer_state_t *ps, int dirfd, const char *dir, fr_segment_t *const *segs,
                              size_t nsegs, int64_t max_offset, int64_t now_ms);

#endif
