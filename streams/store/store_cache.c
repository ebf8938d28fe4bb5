/*
 * store_cache.c — the write path every store shares: LMDB writes with the
 * time index, the record cache (Kafka's dirty keys with the value before
 * their first change), the listeners, flush, and retention drops.
 *
 * The cache holds no new values: puts go straight into the write
 * transaction, so a flush reads each changed key's current value back from
 * LMDB.  What it keeps is which keys changed, in the order of their last
 * change, and each key's old value, so that a KTable downstream sees one
 * (new, old) update per key per flush, as with Kafka's caching stores.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_hash.h"
#include "fr_logging.h"
#include "store_internal.h"

/* A flush whose listeners keep changing stores again (only a cycle in the
 * topology could) gives up after this many passes. */
#define MAX_FLUSH_ROUNDS 1000
#define INITIAL_BUCKETS 64

struct cache_entry {
    cache_entry_t *hnext;        /* hash chain */
    cache_entry_t *prev, *next;  /* order of last change */
    uint64_t hash;
    int64_t ts;                  /* timestamp of the last change */
    uint32_t klen;
    int32_t oldlen;              /* -1: the key had no value before */
    uint8_t data[];              /* the stored key, then the old value */
};

static const uint8_t empty_bytes[1];

static size_t entry_cost(const cache_entry_t *e) {
    return sizeof(*e) + e->klen + (e->oldlen > 0 ? (size_t)e->oldlen : 0);
}

/* ---- index keys ---- */

/* The time field sits after the user key in a stored key and first in an
 * index key; what follows it (window seq, session start) stays last. */
static size_t tail_len(const fr_store_t *s) { return s->kind == STORE_WINDOW ? 4 : 8; }

size_t store_index_key(const fr_store_t *s, const uint8_t *key, size_t klen, uint8_t *out) {
    if (s->kind == STORE_KV)
        return 0;
    size_t tail = tail_len(s), user = klen - 8 - tail;
    memcpy(out, key + user, 8);
    memcpy(out + 8, key, user);
    memcpy(out + 8 + user, key + user + 8, tail);
    return klen;
}

void store_index_to_key(const fr_store_t *s, const uint8_t *idx, size_t len, uint8_t *out) {
    size_t tail = tail_len(s), user = len - 8 - tail;
    memcpy(out, idx + 8, user);
    memcpy(out + user, idx, 8);
    memcpy(out + user + 8, idx + 8 + user, tail);
}

/* ---- LMDB writes ---- */

int store_raw_get(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t *value) {
    fr_store_env_t *env = s->env;
    MDB_val k = {klen, (void *)key}, v;
    int m = mdb_get(env->txn, s->dbi, &k, &v);
    if (m) {
        *value = FR_SLICE_NULL;
        return store_mdb_err(env, m, s->name, "get");
    }
    *value = (fr_slice_t){v.mv_data ? v.mv_data : empty_bytes, (int32_t)v.mv_size};
    return 0;
}

int store_raw_put(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t value) {
    fr_store_env_t *env = s->env;
    uint8_t idx[FR_STORE_KEY_BUF];
    size_t ilen = store_index_key(s, key, klen, idx);
    MDB_val k = {klen, (void *)key}, ik = {ilen, idx};
    int m;
    if (fr_slice_is_null(value)) {
        m = mdb_del(env->txn, s->dbi, &k, NULL);
        if (m == MDB_NOTFOUND)
            return 0;
        if (m)
            return store_fail(env, m, s->name, "delete");
        if (ilen && (m = mdb_del(env->txn, s->idx_dbi, &ik, NULL)) && m != MDB_NOTFOUND)
            return store_fail(env, m, s->name, "delete from the time index");
    } else {
        MDB_val v = {(size_t)value.len, value.ptr ? (void *)value.ptr : (void *)empty_bytes};
        if ((m = mdb_put(env->txn, s->dbi, &k, &v, 0)))
            return store_fail(env, m, s->name, "put");
        MDB_val none = {0, (void *)empty_bytes};
        /* NOOVERWRITE: an update of an existing window only looks the index up. */
        if (ilen && (m = mdb_put(env->txn, s->idx_dbi, &ik, &none, MDB_NOOVERWRITE)) && m != MDB_KEYEXIST)
            return store_fail(env, m, s->name, "put into the time index");
    }
    env->dirty = 1;
    return 0;
}

/* ---- listeners ---- */

static int emit(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t new_value, fr_slice_t old_value,
                int64_t ts) {
    if (fr_slice_is_null(new_value) && fr_slice_is_null(old_value))
        return 0; /* nothing was there and nothing is: Kafka skips it too */
    const fr_store_listener_t *l = &s->listener;
    /* The changelog and downstream see the user key, not the prefix. */
    fr_slice_t k = s->kind == STORE_KV ? store_kv_user_key(key, klen) : (fr_slice_t){key, (int32_t)klen};
    int rc = 0;
    const char *which = "changelog";
    if (l->log)
        rc = l->log(l->ctx, s->name, k, new_value, ts);
    if (rc == 0 && l->forward) {
        which = "forward";
        rc = l->forward(l->ctx, s->name, k, new_value, old_value, ts);
    }
    if (rc) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: the %s listener failed (%s); the environment must be closed",
                 s->env->dir, s->name, which, fr_err_str(rc));
        store_poison(s->env, rc);
        return rc;
    }
    return store_env_ok(s->env); /* a write inside the listener may have failed */
}

/* Without a cache budget every change goes to the listener at once. */
static int update_uncached(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t value, int64_t ts) {
    fr_slice_t cur, old = FR_SLICE_NULL;
    int rc = store_raw_get(s, key, klen, &cur);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    uint8_t small[256], *heap = NULL;
    if (rc == 0) {
        /* The put below may move the bytes cur points at. */
        uint8_t *copy = (size_t)cur.len <= sizeof(small) ? small : (heap = malloc((size_t)cur.len));
        if (!copy)
            return FR_ERR_NOMEM;
        memcpy(copy, cur.ptr, (size_t)cur.len);
        old = (fr_slice_t){copy, cur.len};
    }
    rc = store_raw_put(s, key, klen, value);
    if (rc == 0)
        rc = emit(s, key, klen, value, old, ts);
    free(heap);
    return rc;
}

static cache_entry_t *cache_find(store_cache_t *c, const uint8_t *key, size_t klen, uint64_t h) {
    if (!c->nbuckets)
        return NULL;
    for (cache_entry_t *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0)
            return e;
    return NULL;
}

static int cache_grow(store_cache_t *c) {
    size_t n = c->nbuckets ? 2 * c->nbuckets : INITIAL_BUCKETS;
    cache_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return FR_ERR_NOMEM;
    for (cache_entry_t *e = c->head; e; e = e->next) {
        e->hnext = b[e->hash & (n - 1)];
        b[e->hash & (n - 1)] = e;
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
    return 0;
}

static void list_unlink(store_cache_t *c, cache_entry_t *e) {
    *(e->prev ? &e->prev->next : &c->head) = e->next;
    *(e->next ? &e->next->prev : &c->tail) = e->prev;
    e->prev = e->next = NULL;
}

static void list_append(store_cache_t *c, cache_entry_t *e) {
    e->prev = c->tail;
    e->next = NULL;
    *(c->tail ? &c->tail->next : &c->head) = e;
    c->tail = e;
}

/* A new cache entry remembering the key's value before this change. */
static int cache_add(fr_store_t *s, const uint8_t *key, size_t klen, uint64_t h, int64_t time, cache_entry_t **out) {
    store_cache_t *c = &s->cache;
    fr_slice_t old;
    int rc = store_raw_get(s, key, klen, &old);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    if (c->count >= c->nbuckets && cache_grow(c))
        return FR_ERR_NOMEM;
    size_t oldlen = rc == 0 ? (size_t)old.len : 0;
    cache_entry_t *e = fr_arena_alloc(&c->arenas[c->active], sizeof(*e) + klen + oldlen);
    if (!e)
        return FR_ERR_NOMEM;
    e->hash = h;
    e->klen = (uint32_t)klen;
    e->oldlen = rc == 0 ? old.len : -1;
    memcpy(e->data, key, klen);
    if (oldlen)
        memcpy(e->data + klen, old.ptr, oldlen);
    e->hnext = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = e;
    e->prev = e->next = NULL;
    c->count++;
    if (time < c->min_time)
        c->min_time = time;
    s->env->cache_bytes += entry_cost(e);
    *out = e;
    return 0;
}

int store_update(fr_store_t *s, const uint8_t *key, size_t klen, fr_slice_t value, int64_t ts, int64_t time) {
    fr_store_env_t *env = s->env;
    int rc = store_env_ok(env);
    if (rc)
        return rc;
    if (!s->has_listener)
        return store_raw_put(s, key, klen, value);
    if (env->cache_max == 0)
        return update_uncached(s, key, klen, value, ts);

    uint64_t h = fr_hash_bytes(key, klen);
    cache_entry_t *e = cache_find(&s->cache, key, klen, h);
    if (e)
        list_unlink(&s->cache, e);
    else if ((rc = cache_add(s, key, klen, h, time, &e)))
        return rc;
    list_append(&s->cache, e);
    e->ts = ts;
    if ((rc = store_raw_put(s, key, klen, value)))
        return rc;
    /* Kafka evicts when the cache outgrows its budget; here that is an
     * early flush of the whole environment (a flush already running will
     * reach the new entries itself). */
    if (env->cache_bytes > env->cache_max && !env->flushing)
        return fr_store_env_flush(env);
    return 0;
}

/* ---- flush ---- */

static int flush_entry(fr_store_t *s, cache_entry_t *e) {
    fr_store_env_t *env = s->env;
    fr_slice_t cur, new_value = FR_SLICE_NULL;
    int rc = store_raw_get(s, e->data, e->klen, &cur);
    if (rc && rc != FR_ERR_NOT_FOUND)
        return rc;
    if (rc == 0) {
        /* A listener's own writes may move the bytes cur points at. */
        if ((size_t)cur.len > env->scratch_cap) {
            uint8_t *p = realloc(env->scratch, (size_t)cur.len);
            if (!p)
                return FR_ERR_NOMEM;
            env->scratch = p;
            env->scratch_cap = (size_t)cur.len;
        }
        if (cur.len)
            memcpy(env->scratch, cur.ptr, (size_t)cur.len);
        new_value = (fr_slice_t){cur.len ? env->scratch : empty_bytes, cur.len};
    }
    fr_slice_t old = e->oldlen < 0 ? FR_SLICE_NULL : (fr_slice_t){e->data + e->klen, e->oldlen};
    return emit(s, e->data, e->klen, new_value, old, e->ts);
}

/* Takes the store's changed keys out of the cache (so that listeners can
 * change them again for the next round) and reports each one. */
static int flush_store(fr_store_t *s) {
    store_cache_t *c = &s->cache;
    cache_entry_t *e = c->head;
    for (cache_entry_t *x = e; x; x = x->next) {
        c->buckets[x->hash & (c->nbuckets - 1)] = NULL;
        s->env->cache_bytes -= entry_cost(x);
    }
    c->head = c->tail = NULL;
    c->count = 0;
    c->min_time = INT64_MAX;
    fr_arena_t *emptied = &c->arenas[c->active];
    c->active ^= 1;
    int rc = 0;
    for (; e && rc == 0; e = e->next)
        rc = flush_entry(s, e);
    fr_arena_reset(emptied);
    /* The keys not reported are gone from the cache: committing now would
     * store data that the changelog never saw. */
    if (rc)
        store_poison(s->env, rc);
    return rc;
}

int fr_store_env_flush(fr_store_env_t *env) {
    int rc = store_env_ok(env);
    if (rc || env->flushing)
        return rc;
    env->flushing = 1;
    for (int round = 0; rc == 0; round++) {
        int pending = 0;
        for (size_t i = 0; i < env->nstores && rc == 0; i++) {
            if (env->stores[i]->cache.head) {
                pending = 1;
                rc = flush_store(env->stores[i]);
            }
        }
        if (!pending)
            break;
        if (rc == 0 && round == MAX_FLUSH_ROUNDS) {
            fr_error(FR_STORE_COMPONENT, "%s: flush: listeners still change stores after %d rounds (a cycle?)",
                     env->dir, MAX_FLUSH_ROUNDS);
            rc = FR_ERR_INVALID_ARG;
            store_poison(env, rc);
        }
    }
    env->flushing = 0;
    return rc;
}

void store_cache_free(fr_store_t *s, fr_store_env_t *env) {
    for (cache_entry_t *e = s->cache.head; e; e = e->next)
        env->cache_bytes -= entry_cost(e);
    fr_arena_free(&s->cache.arenas[0]);
    fr_arena_free(&s->cache.arenas[1]);
    free(s->cache.buckets);
    memset(&s->cache, 0, sizeof(s->cache));
    s->cache.min_time = INT64_MAX;
}

/* ---- retention ---- */

int store_flush_before_drop(fr_store_t *s, int64_t cutoff) {
    if (s->cache.head && s->cache.min_time < cutoff && !s->env->flushing)
        return fr_store_env_flush(s->env);
    return 0;
}

int store_advance(fr_store_t *s, int64_t stream_time) {
    int rc = store_env_ok(s->env);
    if (rc || stream_time <= s->stream_time)
        return rc;
    s->stream_time = stream_time;
    int64_t cutoff = store_cutoff(s);
    if ((rc = store_flush_before_drop(s, cutoff)))
        return rc;
    return store_drop_before(s, cutoff);
}

int store_drop_before(fr_store_t *s, int64_t cutoff) {
    fr_store_env_t *env = s->env;
    int rc = store_env_ok(env);
    if (rc || cutoff <= 0) /* times are >= 0: nothing is older */
        return rc;
    MDB_cursor *c;
    int m = mdb_cursor_open(env->txn, s->idx_dbi, &c);
    if (m)
        return store_fail(env, m, s->name, "open a cursor on the time index");
    uint8_t key[FR_STORE_KEY_BUF];
    size_t dropped = 0;
    for (;;) {
        MDB_val ik, iv;
        /* Always the oldest entry: the one before was just deleted. */
        if ((m = mdb_cursor_get(c, &ik, &iv, MDB_FIRST)))
            break;
        if (ik.mv_size < 8 + tail_len(s) || ik.mv_size > sizeof(key)) {
            fr_error(FR_STORE_COMPONENT, "%s: store %s: time index entry of %zu bytes is corrupt", env->dir,
                     s->name, ik.mv_size);
            rc = FR_ERR_CORRUPT;
            store_poison(env, rc);
            break;
        }
        if (store_get_be64(ik.mv_data) >= cutoff)
            break;
        store_index_to_key(s, ik.mv_data, ik.mv_size, key);
        MDB_val k = {ik.mv_size, key};
        if ((m = mdb_cursor_del(c, 0)) || ((m = mdb_del(env->txn, s->dbi, &k, NULL)) && m != MDB_NOTFOUND))
            break;
        m = 0;
        dropped++;
        env->dirty = 1;
    }
    mdb_cursor_close(c);
    if (rc == 0 && m && m != MDB_NOTFOUND)
        rc = store_fail(env, m, s->name, "drop expired entries");
    if (dropped)
        fr_debug(FR_STORE_COMPONENT, "%s: store %s: dropped %zu entries older than %lld", env->dir, s->name, dropped,
                 (long long)cutoff);
    return rc;
}
