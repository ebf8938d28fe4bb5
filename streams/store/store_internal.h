/*
 * store_internal.h — what the store files share (not for users of fr_store.h).
 *
 * Layout of one environment (one LMDB directory per task):
 *   - one named database per store, holding the stored keys of fr_store.h
 *     (key-value stores: FR_KV_PREFIX ‖ user key);
 *   - for window and session stores, a time index "__fr_idx:<name>" whose
 *     keys are time ‖ user key ‖ rest (window: start ‖ key ‖ seq, session:
 *     end ‖ key ‖ start) with empty values, so retention drops expired
 *     entries oldest first without scanning the store, and fetch_all walks
 *     windows in time order; an index key is as long as its stored key, so
 *     the index costs no key length;
 *   - "__fr_meta": 'o' ‖ topic ‖ 0 ‖ partition (4B BE) → offset (8B BE) for
 *     the changelog offsets, and 'k' ‖ store name → kind (1 byte).
 *
 * Ownership: the environment owns its stores (freed at close), each store
 * owns its cache entries; iterators on the write transaction are linked into
 * the environment so that a commit or close can end their cursors.
 */
#ifndef FR_STORE_INTERNAL_H
#define FR_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fr_arena.h"
#include "fr_store.h"

#define FR_STORE_COMPONENT "state-store"
#define FR_STORE_RESERVED_PREFIX "__fr_"
#define FR_STORE_META_DB "__fr_meta"
#define FR_STORE_INDEX_PREFIX "__fr_idx:"

/* Key-value stored keys are one prefix byte ‖ user key: LMDB has no empty
 * keys and Kafka has empty (non-null) ones.  The same byte in front of every
 * key keeps the user keys' byte order. */
#define FR_KV_PREFIX 0x00
#define FR_KV_PREFIX_LEN 1
#define FR_WIN_SUFFIX 12  /* start (8) ‖ seq (4) */
#define FR_SESS_SUFFIX 16 /* end (8) ‖ start (8) */
/* Stack buffers for stored keys; LMDB's own limit (511 in Debian's build) is below it. */
#define FR_STORE_KEY_BUF 2048

/* Recorded in "__fr_meta" when a store is created.  1 was the key-value
 * layout without the prefix byte: such a store is refused, not misread. */
typedef enum store_kind {
    STORE_KV_UNPREFIXED = 1,
    STORE_KV = 4,
    STORE_WINDOW = 2,
    STORE_SESSION = 3,
} store_kind_t;

typedef struct cache_entry cache_entry_t;

/* The record cache of one store: the keys changed since the last flush, in
 * the order of their last change (Kafka's dirty keys), found by hash. */
typedef struct store_cache {
    cache_entry_t **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first entry */
    size_t count;
    cache_entry_t *head, *tail;
    int64_t min_time; /* smallest window start / session end among the entries, for retention */
    /* Entries come from arenas[active]; a flush switches arenas before its
     * listeners run (they may add entries for the next round) and resets the
     * one it emptied, so changing a key allocates nothing in steady state. */
    fr_arena_t arenas[2];
    int active;
} store_cache_t;

typedef struct fr_store {
    fr_store_env_t *env;
    char *name;
    store_kind_t kind;
    MDB_dbi dbi;
    MDB_dbi idx_dbi;  /* time index; window and session stores only */
    int published;    /* the databases are committed, so snapshots may use them (under env->mu) */
    int has_listener;
    fr_store_listener_t listener;
    store_cache_t cache;
    int64_t retention_ms;
    int retain_duplicates;
    int64_t stream_time; /* observed; INT64_MIN before the first advance */
} fr_store_t;

/* The public handles are the common store under another name. */
struct fr_kvstore { fr_store_t s; };
struct fr_winstore { fr_store_t s; };
struct fr_sessstore { fr_store_t s; };

struct fr_store_env {
    char *dir;
    MDB_env *mdb;
    MDB_txn *txn;         /* the long-lived write transaction; NULL only after a failure */
    MDB_dbi meta;
    size_t maxkey;        /* LMDB's key limit, capped at FR_STORE_KEY_BUF */
    size_t cache_max;
    size_t cache_bytes;   /* what every store's cache entries cost */
    unsigned max_stores;
    int dirty;            /* data written since the transaction began */
    int flushing;         /* inside fr_store_env_flush (listeners run) */
    int failed;           /* the first fatal error; 0 while healthy */
    int lock_fd;          /* holds the flock on <dir>/.lock */
    int warned_full;      /* the map-nearly-full warning was logged */
    pthread_t owner;      /* began the write transaction and holds LMDB's write lock */
    fr_store_t **stores;  /* max_stores slots, in open order */
    size_t nstores;       /* written under mu: snapshots read it from other threads */
    fr_store_iter_t *iters; /* live iterators on txn */
    pthread_mutex_t mu;
    uint8_t *scratch;     /* a copy of the new value handed to listeners at flush */
    size_t scratch_cap;
};

/* ---- store_env.c ---- */

/* Maps an LMDB return code to an fr_err code and logs it with the path
 * (MDB_NOTFOUND maps to FR_ERR_NOT_FOUND silently). */
int store_mdb_err(const fr_store_env_t *env, int rc, const char *store, const char *what);
/* Same, and poisons the environment: for errors from writes, after which
 * the LMDB transaction can only be aborted. */
int store_fail(fr_store_env_t *env, int rc, const char *store, const char *what);
/* Poisons the environment with an fr_err code (or a listener's return). */
void store_poison(fr_store_env_t *env, int err);
/* 0 when the environment can be used, else its failure. */
int store_env_ok(const fr_store_env_t *env);
/* FR_ERR_INVALID_ARG (logged) unless called on the owner thread. */
int store_check_owner(const fr_store_env_t *env, const char *what);
/* Commits the write transaction and begins the next one (no flush, no checkpoint file). */
int store_txn_cycle(fr_store_env_t *env);
/* Opens (creating) a store's databases and registers it.  alloc is the size
 * of the public handle struct, whose first member is the fr_store_t. */
int store_register(fr_store_env_t *env, const char *name, store_kind_t kind, const fr_store_listener_t *listener,
                   size_t alloc, fr_store_t **out);
/* FR_ERR_INVALID_ARG (logged) unless key is a non-null slice whose stored
 * form (key + prefix/suffix bytes) fits LMDB; empty keys are fine when
 * extra > 0 (always: key-value keys carry FR_KV_PREFIX). */
int store_check_key(const fr_store_t *s, fr_slice_t key, size_t extra);
int store_check_value(const fr_store_t *s, fr_slice_t value);

/* ---- store_cache.c ---- */

/* Writes (value non-null) or deletes (null) a stored key, with the index
 * entry of window and session stores, the record cache and the listener.
 * time is the window start / session end (retention of cached keys). */
int store_update(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t value, int64_t ts, int64_t time);
/* The same without cache or listener (restoration, retention). */
int store_raw_put(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t value);
/* A stored key's value in the write transaction. */
int store_raw_get(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t *value);
/* Flushes the environment when retention is about to drop a key that the
 * store's cache still has to report. */
int store_flush_before_drop(fr_store_t *s, int64_t cutoff);
void store_cache_free(fr_store_t *s, fr_store_env_t *env);
/* Drops index entries (and their stored keys) older than cutoff; no cache, no listener. */
int store_drop_before(fr_store_t *s, int64_t cutoff);
/* Window and session retention: moves the store's stream time forward and
 * drops what fell out of retention (after reporting cached changes to it). */
int store_advance(fr_store_t *s, int64_t stream_time);

/* ---- store_checkpoint.c ---- */

/* Rewrites <dir>/.checkpoint from the offsets in the meta database. */
int store_checkpoint_write(fr_store_env_t *env);

/* ---- store_iter.c ---- */

typedef enum iter_mode {
    ITER_KV,        /* every key in [lo, hi] */
    ITER_WIN_KEY,   /* one key's windows: stored keys in [lo, hi] of length klen + 12 */
    ITER_WIN_TIME,  /* the time index from lo (8B start) while start <= time_max */
    ITER_SESS_FIND, /* one key's sessions: stored keys in [lo, hi] of length klen + 16, start <= time_max */
} iter_mode_t;

typedef struct iter_spec {
    iter_mode_t mode;
    MDB_txn *txn;
    MDB_dbi dbi;       /* the database the cursor walks */
    MDB_dbi value_dbi; /* ITER_WIN_TIME: the store, where values live */
    fr_slice_t lo, hi; /* bounds (copied); a null slice is open */
    size_t klen;
    int64_t time_max;
    int empty;         /* the bounds admit nothing */
} iter_spec_t;

/* on_write_txn: the iterator runs on env's write transaction and is ended by
 * a commit; else on a snapshot's read transaction.  store names the store in
 * log messages (borrowed: it lives as long as env). */
int store_iter_open(fr_store_env_t *env, int on_write_txn, const char *store, const iter_spec_t *spec,
                    fr_store_iter_t **out);
/* Ends every live iterator's cursor (before the transaction ends). */
void store_iters_end(fr_store_env_t *env);

/* Clamped query bounds: times below 0 never exist. */
static inline int64_t store_time_clamp(int64_t t) { return t < 0 ? 0 : t; }

/* ---- key encodings ---- */

static inline void store_put_be64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        p[i] = (uint8_t)u;
}
static inline int64_t store_get_be64(const uint8_t *p) {
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}
static inline void store_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static inline uint32_t store_get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
/* A key-value store's stored key for key (checked): FR_KV_PREFIX ‖ key in
 * buf (FR_STORE_KEY_BUF bytes); *len gets its length. */
int store_kv_key(const fr_store_t *s, fr_slice_t key, uint8_t *buf, size_t *len);
/* The user key of a key-value stored key (the prefix stripped). */
static inline fr_slice_t store_kv_user_key(const uint8_t *stored, size_t len) {
    return (fr_slice_t){stored + FR_KV_PREFIX_LEN, (int32_t)(len - FR_KV_PREFIX_LEN)};
}
/* A range bound as a stored key: a null bound stays null (open). */
static inline fr_slice_t store_kv_bound(fr_slice_t b, uint8_t *buf, size_t cap) {
    if (fr_slice_is_null(b) || (b.len > 0 && !b.ptr))
        return b; /* null, or left for store_iter_open to reject */
    size_t n = (size_t)b.len + FR_KV_PREFIX_LEN;
    if (n > cap) /* far longer than any key: a cut bound compares with every storable key as the whole one */
        n = cap;
    buf[0] = FR_KV_PREFIX;
    if (n > FR_KV_PREFIX_LEN)
        memcpy(buf + FR_KV_PREFIX_LEN, b.ptr, n - FR_KV_PREFIX_LEN);
    return (fr_slice_t){buf, (int32_t)n};
}

/* Lexicographic byte order, shorter first on a common prefix (LMDB's default). */
static inline int store_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen < blen ? -1 : alen > blen);
}

/* The time index key of a stored key (same length); 0 when the store has no index. */
size_t store_index_key(const fr_store_t *s, const uint8_t *key, size_t klen, uint8_t *out);
/* The stored key of a time index key (same length). */
void store_index_to_key(const fr_store_t *s, const uint8_t *idx, size_t len, uint8_t *out);
/* stream time − retention without overflow: the oldest time kept. */
static inline int64_t store_cutoff(const fr_store_t *s) {
    if (s->stream_time == INT64_MIN)
        return INT64_MIN;
    return s->stream_time < INT64_MIN + s->retention_ms ? INT64_MIN : s->stream_time - s->retention_ms;
}

#endif
