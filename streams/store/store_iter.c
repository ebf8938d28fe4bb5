/*
 * store_iter.c — iterators over a store's key range, on the owner's write
 * transaction or on a snapshot.
 *
 * Window and session scans walk the byte range of one user key's stored
 * keys, key ‖ from-suffix .. key ‖ to-suffix.  That range also holds the
 * stored keys of longer user keys that start with the same bytes ("a" and
 * "a\0\0\0\0\0\0\0\1"): every key in the range starts with the user key (both
 * bounds do), so exactly those whose length is user key + suffix belong to it.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "store_internal.h"

enum { TAKE = 1, SKIP = 0, END = 2 };

struct fr_store_iter {
    fr_store_env_t *env;   /* the environment, always (for logs) */
    int linked;            /* on env->iters: runs on the write transaction */
    fr_store_iter_t *prev, *next;
    const char *store;
    MDB_cursor *cur;
    MDB_dbi value_dbi;
    MDB_txn *txn;
    iter_mode_t mode;
    int started, done, ended;
    size_t klen;
    int64_t time_max;
    size_t maxkey;
    uint8_t *lo, *hi;      /* NULL when open; point into bounds[] */
    size_t lolen, hilen;
    uint8_t key[FR_STORE_KEY_BUF]; /* ITER_WIN_TIME: the stored key of an index entry */
    uint8_t bounds[];
};

static const uint8_t empty_bytes[1];

static fr_slice_t slice_of(const MDB_val *v) {
    return (fr_slice_t){v->mv_data ? v->mv_data : empty_bytes, (int32_t)v->mv_size};
}

int store_iter_open(fr_store_env_t *env, int on_write_txn, const char *store, const iter_spec_t *spec,
                    fr_store_iter_t **out) {
    *out = NULL;
    if ((spec->lo.len > 0 && !spec->lo.ptr) || (spec->hi.len > 0 && !spec->hi.ptr)) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: range bound without data", env->dir, store);
        return FR_ERR_INVALID_ARG;
    }
    size_t lolen = fr_slice_is_null(spec->lo) ? 0 : (size_t)spec->lo.len;
    size_t hilen = fr_slice_is_null(spec->hi) ? 0 : (size_t)spec->hi.len;
    fr_store_iter_t *it = calloc(1, sizeof(*it) + lolen + hilen + 1);
    if (!it)
        return FR_ERR_NOMEM;
    it->env = env;
    it->store = store;
    it->txn = spec->txn;
    it->mode = spec->mode;
    it->value_dbi = spec->value_dbi;
    it->klen = spec->klen;
    it->time_max = spec->time_max;
    it->maxkey = env->maxkey;
    if (!fr_slice_is_null(spec->lo)) {
        it->lo = it->bounds;
        it->lolen = lolen;
        if (lolen)
            memcpy(it->lo, spec->lo.ptr, lolen);
    }
    if (!fr_slice_is_null(spec->hi)) {
        it->hi = it->bounds + lolen;
        it->hilen = hilen;
        if (hilen)
            memcpy(it->hi, spec->hi.ptr, hilen);
    }
    if (it->lo && it->hi && store_cmp(it->lo, lolen, it->hi, hilen) > 0)
        it->done = 1; /* from > to: Kafka returns nothing too */
    if (spec->empty)
        it->done = 1;
    if (!it->done) {
        int m = mdb_cursor_open(spec->txn, spec->dbi, &it->cur);
        if (m) {
            free(it);
            return on_write_txn ? store_fail(env, m, store, "open a cursor") : store_mdb_err(env, m, store, "open a cursor");
        }
    }
    if (on_write_txn) {
        it->linked = 1;
        it->next = env->iters;
        if (env->iters)
            env->iters->prev = it;
        env->iters = it;
    }
    *out = it;
    return 0;
}

static void unlink_iter(fr_store_iter_t *it) {
    if (!it->linked)
        return;
    *(it->prev ? &it->prev->next : &it->env->iters) = it->next;
    if (it->next)
        it->next->prev = it->prev;
    it->prev = it->next = NULL;
    it->linked = 0;
}

void store_iters_end(fr_store_env_t *env) {
    size_t n = 0;
    while (env->iters) {
        fr_store_iter_t *it = env->iters;
        /* LMDB frees a write transaction's cursors when it ends: close them
         * first so that fr_store_iter_close() never touches freed memory. */
        if (it->cur)
            mdb_cursor_close(it->cur);
        it->cur = NULL;
        it->ended = 1;
        unlink_iter(it);
        n++;
    }
    if (n)
        fr_warn(FR_STORE_COMPONENT, "%s: %zu iterators were still open when the transaction ended; they are closed",
                env->dir, n);
}

void fr_store_iter_close(fr_store_iter_t *it) {
    if (!it)
        return;
    unlink_iter(it);
    if (it->cur)
        mdb_cursor_close(it->cur);
    free(it);
}

/* Decides what the entry under the cursor is to this iterator. */
static int accept(fr_store_iter_t *it, const MDB_val *k, const MDB_val *v, fr_store_entry_t *e) {
    const uint8_t *kp = k->mv_data;
    memset(e, 0, sizeof(*e));
    switch (it->mode) {
    case ITER_KV:
        if (k->mv_size < FR_KV_PREFIX_LEN || kp[0] != FR_KV_PREFIX) {
            fr_error(FR_STORE_COMPONENT, "%s: store %s: key of %zu bytes without the key-value prefix is corrupt",
                     it->env->dir, it->store, k->mv_size);
            return FR_ERR_CORRUPT;
        }
        e->key = store_kv_user_key(kp, k->mv_size);
        e->value = slice_of(v);
        return TAKE;
    case ITER_WIN_KEY:
        if (k->mv_size != it->klen + FR_WIN_SUFFIX)
            return SKIP; /* a longer key with the same first bytes */
        e->key = (fr_slice_t){kp, (int32_t)it->klen};
        e->start = e->end = store_get_be64(kp + it->klen);
        e->value = slice_of(v);
        return TAKE;
    case ITER_SESS_FIND:
        if (k->mv_size != it->klen + FR_SESS_SUFFIX)
            return SKIP;
        e->end = store_get_be64(kp + it->klen);
        e->start = store_get_be64(kp + it->klen + 8);
        if (e->start > it->time_max)
            return SKIP;
        e->key = (fr_slice_t){kp, (int32_t)it->klen};
        e->value = slice_of(v);
        return TAKE;
    case ITER_WIN_TIME: {
        if (k->mv_size < FR_WIN_SUFFIX || k->mv_size > sizeof(it->key)) {
            fr_error(FR_STORE_COMPONENT, "%s: store %s: time index entry of %zu bytes is corrupt", it->env->dir,
                     it->store, k->mv_size);
            return FR_ERR_CORRUPT;
        }
        int64_t start = store_get_be64(kp);
        if (start > it->time_max)
            return END;
        size_t user = k->mv_size - FR_WIN_SUFFIX;
        memcpy(it->key, kp + 8, user);
        memcpy(it->key + user, kp, 8);
        memcpy(it->key + user + 8, kp + 8 + user, 4);
        MDB_val sk = {k->mv_size, it->key}, sv;
        int m = mdb_get(it->txn, it->value_dbi, &sk, &sv);
        if (m == MDB_NOTFOUND) {
            fr_warn(FR_STORE_COMPONENT, "%s: store %s: time index names a window that is not stored; skipped",
                    it->env->dir, it->store);
            return SKIP;
        }
        if (m)
            return store_mdb_err(it->env, m, it->store, "get");
        e->key = (fr_slice_t){kp + 8, (int32_t)user};
        e->start = e->end = start;
        e->value = slice_of(&sv);
        return TAKE;
    }
    }
    return FR_ERR_INVALID_ARG;
}

int fr_store_iter_next(fr_store_iter_t *it, fr_store_entry_t *e) {
    if (!it || !e)
        return FR_ERR_INVALID_ARG;
    if (it->ended)
        return FR_ERR_CLOSED;
    if (it->done)
        return 0;
    if (it->linked && it->env->failed)
        return it->env->failed;
    for (;;) {
        MDB_val k, v;
        int m;
        if (!it->started) {
            it->started = 1;
            if (it->lolen) {
                /* A bound longer than any key: seek to what fits, skip the rest below. */
                k = (MDB_val){it->lolen < it->maxkey ? it->lolen : it->maxkey, it->lo};
                m = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
            } else {
                m = mdb_cursor_get(it->cur, &k, &v, MDB_FIRST);
            }
        } else {
            m = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
        }
        if (m) {
            it->done = 1;
            return m == MDB_NOTFOUND ? 0 : store_mdb_err(it->env, m, it->store, "iterate");
        }
        if (it->lolen && store_cmp(k.mv_data, k.mv_size, it->lo, it->lolen) < 0)
            continue;
        if (it->hi && store_cmp(k.mv_data, k.mv_size, it->hi, it->hilen) > 0) {
            it->done = 1;
            return 0;
        }
        int rc = accept(it, &k, &v, e);
        if (rc == TAKE)
            return 1;
        if (rc == END || rc < 0) {
            it->done = 1;
            return rc == END ? 0 : rc;
        }
    }
}
