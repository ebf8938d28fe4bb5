/*
 * fr_store.h — LMDB state stores for one stream task.
 *
 * One task (one input partition group) owns one store environment: a
 * directory `state.dir/<application.id>/<task id>/` holding one LMDB
 * environment.  Every store of the task (key-value, window, session) is a
 * named database inside it, so one LMDB write transaction covers all of the
 * task's stores and the changelog offsets they reflect: a commit is atomic,
 * and a crash between commits leaves the store exactly as of the last commit.
 *
 * Write path.  The owning thread keeps one write transaction open between
 * commits; puts go straight into it, so reads on the owning thread always see
 * the task's own writes.  Nothing is durable until fr_store_env_commit().
 *
 * Record cache.  A store opened with a listener remembers which keys changed
 * since the last flush (and each key's value before its first change).  A
 * flush hands every changed key once to the listener: `log` for the changelog
 * record, `forward` with the new and old values for downstream processors
 * (Kafka's cache flush listener, which dedups KTable updates).  With a cache
 * budget of 0 bytes the listener runs on every put instead (no dedup).  When
 * the changed keys of an environment exceed the budget, the environment
 * flushes early (Kafka's eviction), so memory stays bounded.  Listeners may
 * therefore run inside any put, and inside a window/session advance (which
 * flushes before it drops a changed window, so its last update still goes
 * downstream); a flush reached from inside a listener is a no-op, and the
 * running flush picks up what the listeners changed.
 *
 * Commit protocol (at-least-once; exactly-once later puts a transaction around
 * the same steps):
 *   1. fr_store_env_flush()   — listeners emit changelog records and forwards;
 *   2. the runtime waits for the changelog records to be acknowledged;
 *   3. fr_store_env_commit()  — records the changelog offsets in the same LMDB
 *      transaction as the data, commits it, starts the next one, and rewrites
 *      the Kafka-format `.checkpoint` file in the task directory;
 *   4. the runtime commits the input offsets.
 *
 * Restoration writes changelog records with the *_restore() calls (no
 * listener, no cache) and ends with a commit carrying the restored offsets.
 *
 * Interactive queries read from other threads through a snapshot: a read-only
 * LMDB transaction on the last committed state (fr_store_snapshot_*).
 *
 * Threads.  Everything but snapshots runs on the environment's owner thread,
 * the thread that opened it: LMDB's write lock is a mutex owned by the thread
 * that began the transaction, so a task moves to another thread only between
 * close and reopen (a commit elsewhere gets FR_ERR_INVALID_ARG).  A task directory is locked (flock on
 * `.lock`) while open: a second open, in this process or another, gets
 * FR_ERR_LOCKED instead of waiting.
 *
 * Failure.  An LMDB write error (map full, disk error) or a listener error
 * (the changelog send or the downstream processing failed) poisons the
 * environment: every later call returns that error until it is closed, which
 * discards the uncommitted writes; the last commit is intact.
 *
 * Keys and values are raw bytes (serdes live in the DSL layer).  A null value
 * (FR_SLICE_NULL, len -1) is a delete; an empty value (len 0) is a value.  A
 * null key is FR_ERR_INVALID_ARG; an empty key (len 0) is a key, as in Kafka
 * (LMDB has no empty keys, so a key-value store keeps one prefix byte in
 * front of every key, and window/session stored keys have their suffix):
 * listeners, iterators and the changelog see the user's key bytes.  LMDB
 * limits keys to 511 bytes: longer keys (after the key-value prefix or the
 * window/session suffix is added) get FR_ERR_INVALID_ARG, never a crash.
 * A key-value store created by a version without the prefix byte is refused
 * at open with FR_ERR_CORRUPT (wipe and restore it).  Window and session times are
 * milliseconds >= 0 (negative ones get FR_ERR_INVALID_ARG; query bounds
 * below 0 are clamped).  Store names starting with "__fr_" are reserved.
 *
 * Ownership: the environment owns its stores; handles stay valid until
 * fr_store_env_close().  Slices returned by get/iterators point into LMDB or
 * cache memory and are valid until the next write to that environment, the
 * next iterator step, or the commit — copy them to keep them.  Iterators on
 * the owner thread must be closed before the commit: the commit ends their
 * transaction, and fr_store_iter_next() then returns FR_ERR_CLOSED (close
 * them anyway to free them).
 * Errors: 0 on success, FR_ERR_NOT_FOUND for a missing key, FR_ERR_INVALID_ARG,
 * FR_ERR_IO / FR_ERR_CORRUPT / FR_ERR_NOMEM (map full) / FR_ERR_CONFIG (more
 * stores than max_stores) from LMDB, FR_ERR_LOCKED, FR_ERR_EXISTS (a store
 * opened twice), FR_ERR_CLOSED (an iterator past its commit); all but
 * NOT_FOUND are logged with the path.
 */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"

typedef struct fr_store_env fr_store_env_t;
typedef struct fr_kvstore fr_kvstore_t;
typedef struct fr_winstore fr_winstore_t;
typedef struct fr_sessstore fr_sessstore_t;
typedef struct fr_store_iter fr_store_iter_t;
typedef struct fr_store_snapshot fr_store_snapshot_t;

typedef struct fr_store_env_opts {
    size_t map_size;         /* LMDB map size (sparse file); 0 = 1 GiB */
    unsigned max_stores;     /* stores (each also names an LMDB database, window/session stores two); 0 = 64 */
    size_t cache_max_bytes;  /* record-cache budget for the environment (cache.max.bytes.buffering share); 0 = no dedup.
                              * A changed key costs its key and old-value bytes plus ~64 bytes of bookkeeping. */
} fr_store_env_opts_t;

/* Called once per changed key at flush (or on every put without a cache).
 * A null value (FR_SLICE_NULL: ptr NULL, len -1) is a delete: a tombstone in
 * the changelog; old_value is null when the key had no value before.  A key
 * that had no value before and has none now is not reported.  For window
 * and session stores the key is the stored key (see the key layouts below),
 * so the changelog carries Kafka's windowed key bytes.  Either callback may
 * be NULL.  The slices are borrowed for the call; the callbacks may write to
 * the environment's stores.  A nonzero return poisons the environment (see
 * Failure above). */
typedef struct fr_store_listener {
    void *ctx;
    int (*log)(void *ctx, const char *store, fr_slice_t key, fr_slice_t value, int64_t ts);
    int (*forward)(void *ctx, const char *store, fr_slice_t key, fr_slice_t new_value, fr_slice_t old_value,
                   int64_t ts);
} fr_store_listener_t;

/* One changelog partition's next offset to restore from (Kafka's checkpoint entry). */
typedef struct fr_store_offset {
    const char *topic;
    int32_t partition;
    int64_t offset;
} fr_store_offset_t;

/* ---- environment ---- */

/* Opens (creating the directory tree if needed) the task's environment; the
 * calling thread becomes its owner.  opts may be NULL (all defaults). */
int fr_store_env_open(const char *dir, const fr_store_env_opts_t *opts, fr_store_env_t **out);
/* Aborts uncommitted writes and closes; NULL is a no-op.  Close the
 * environment's snapshots first. */
void fr_store_env_close(fr_store_env_t *env);
/* Removes a task directory and everything in it (a wipe before a full restore).
 * The environment must not be open.  A missing directory is not an error. */
int fr_store_env_destroy_dir(const char *dir);

/* Step 1 of the commit protocol: run the listeners for every changed key. */
int fr_store_env_flush(fr_store_env_t *env);
/* Step 3: flush (if anything is still pending), store the offsets, commit,
 * begin the next transaction, rewrite `.checkpoint`.  Offsets accumulate:
 * a partition not named keeps its last committed offset.  Topic names must be
 * non-empty without blanks (the file's format); partitions >= 0.  An error
 * after the LMDB commit (only the `.checkpoint` rewrite can fail there) is
 * returned, but the data and offsets are committed. */
int fr_store_env_commit(fr_store_env_t *env, const fr_store_offset_t *offsets, size_t n);
/* The committed offset for a changelog partition; FR_ERR_NOT_FOUND if none. */
int fr_store_env_checkpoint(fr_store_env_t *env, const char *topic, int32_t partition, int64_t *offset);

/* ---- key-value store ---- */

/* listener may be NULL (an unlogged, uncached store).  Opening a name that is
 * already open in this environment gets FR_ERR_EXISTS; reopening a name that
 * was created as another kind of store gets FR_ERR_INVALID_ARG. */
int fr_kvstore_open(fr_store_env_t *env, const char *name, const fr_store_listener_t *listener,
                    fr_kvstore_t **out);
int fr_kvstore_put(fr_kvstore_t *s, fr_slice_t key, fr_slice_t value, int64_t ts); /* null value = delete */
int fr_kvstore_get(fr_kvstore_t *s, fr_slice_t key, fr_slice_t *value);
int fr_kvstore_delete(fr_kvstore_t *s, fr_slice_t key, int64_t ts);
/* Keys in [from, to] (byte order; a null bound is open), ascending. */
int fr_kvstore_range(fr_kvstore_t *s, fr_slice_t from, fr_slice_t to, fr_store_iter_t **out);
int fr_kvstore_restore(fr_kvstore_t *s, fr_slice_t key, fr_slice_t value); /* from the changelog */
int64_t fr_kvstore_approximate_count(fr_kvstore_t *s);

/* ---- window store ----
 * Stored key: key ‖ window start (8 bytes, big-endian) ‖ seq (4 bytes, big-endian),
 * Kafka's WindowKeySchema layout.  seq is 0 unless the store retains
 * duplicates (stream-stream joins), then it increments per put (one past the
 * highest seq stored for that key and window, so it survives restarts; puts
 * of a null value are ignored there, as in Kafka).
 * Windows that start before (observed stream time − retention) are dropped;
 * a put into such a window is ignored.  fr_winstore_get() of a store with
 * duplicates returns the lowest seq. */
int fr_winstore_open(fr_store_env_t *env, const char *name, int64_t retention_ms, int retain_duplicates,
                     const fr_store_listener_t *listener, fr_winstore_t **out);
int fr_winstore_put(fr_winstore_t *s, fr_slice_t key, int64_t window_start, fr_slice_t value, int64_t ts);
int fr_winstore_get(fr_winstore_t *s, fr_slice_t key, int64_t window_start, fr_slice_t *value);
/* One key's windows starting in [time_from, time_to], ascending by start. */
int fr_winstore_fetch(fr_winstore_t *s, fr_slice_t key, int64_t time_from, int64_t time_to, fr_store_iter_t **out);
/* Every key's windows starting in [time_from, time_to], ascending by start
 * (then by key bytes), read through the store's time index. */
int fr_winstore_fetch_all(fr_winstore_t *s, int64_t time_from, int64_t time_to, fr_store_iter_t **out);
/* Advance observed stream time; drops (without changelog records) expired windows. */
int fr_winstore_advance(fr_winstore_t *s, int64_t stream_time);
int fr_winstore_restore(fr_winstore_t *s, fr_slice_t stored_key, fr_slice_t value);

/* ---- session store ----
 * Stored key: key ‖ session end (8 bytes BE) ‖ session start (8 bytes BE),
 * Kafka's SessionKeySchema layout.  end >= start.  Sessions that end before
 * (observed stream time − retention) are dropped; a put of such a session is
 * ignored.  A put with a null value is a remove. */
int fr_sessstore_open(fr_store_env_t *env, const char *name, int64_t retention_ms,
                      const fr_store_listener_t *listener, fr_sessstore_t **out);
int fr_sessstore_put(fr_sessstore_t *s, fr_slice_t key, int64_t start, int64_t end, fr_slice_t value, int64_t ts);
int fr_sessstore_remove(fr_sessstore_t *s, fr_slice_t key, int64_t start, int64_t end, int64_t ts);
/* Sessions of key with end >= earliest_end and start <= latest_start (those a
 * new record could merge with), ascending by end. */
int fr_sessstore_find(fr_sessstore_t *s, fr_slice_t key, int64_t earliest_end, int64_t latest_start,
                      fr_store_iter_t **out);
int fr_sessstore_advance(fr_sessstore_t *s, int64_t stream_time);
int fr_sessstore_restore(fr_sessstore_t *s, fr_slice_t stored_key, fr_slice_t value);

/* ---- iterators ---- */

typedef struct fr_store_entry {
    fr_slice_t key;    /* the user key (suffix stripped) */
    fr_slice_t value;
    int64_t start;     /* window start / session start; 0 for key-value */
    int64_t end;       /* window end (start + size is the DSL's business: here start) / session end */
} fr_store_entry_t;

/* 1 and fills e; 0 at the end; < 0 on error. */
int fr_store_iter_next(fr_store_iter_t *it, fr_store_entry_t *e);
void fr_store_iter_close(fr_store_iter_t *it); /* NULL is a no-op */

/* ---- snapshots for interactive queries (any thread) ----
 * A snapshot sees the last commit made before it was opened, including the
 * stores committed by then (another store name gets FR_ERR_NOT_FOUND).  One
 * snapshot is used by one thread at a time; many may be open at once.  Close
 * its iterators before it; slices stay valid until it closes.  A long-lived
 * snapshot keeps LMDB from reusing pages, so close it when the query ends. */

int fr_store_snapshot_open(fr_store_env_t *env, fr_store_snapshot_t **out);
void fr_store_snapshot_close(fr_store_snapshot_t *snap);
int fr_store_snapshot_kv_get(fr_store_snapshot_t *snap, const char *store, fr_slice_t key, fr_slice_t *value);
int fr_store_snapshot_kv_range(fr_store_snapshot_t *snap, const char *store, fr_slice_t from, fr_slice_t to,
                               fr_store_iter_t **out);
int fr_store_snapshot_win_fetch(fr_store_snapshot_t *snap, const char *store, fr_slice_t key, int64_t time_from,
                                int64_t time_to, fr_store_iter_t **out);

#endif
