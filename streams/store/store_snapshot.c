/*
 * store_snapshot.c — read-only views of the last commit for interactive
 * queries, from any thread.  See fr_store.h.
 *
 * A snapshot is an LMDB read transaction (MDB_NOTLS, so it belongs to no
 * thread) plus a copy of the stores whose databases were committed when it
 * began: a database handle created in the owner's open write transaction is
 * not usable by other transactions until that one commits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "store_internal.h"

typedef struct snap_store {
    const char *name; /* borrowed from the environment's store */
    store_kind_t kind;
    MDB_dbi dbi;
} snap_store_t;

struct fr_store_snapshot {
    fr_store_env_t *env;
    MDB_txn *txn;
    size_t n;
    snap_store_t stores[];
};

int fr_store_snapshot_open(fr_store_env_t *env, fr_store_snapshot_t **out) {
    *out = NULL;
    pthread_mutex_lock(&env->mu);
    /* Under mu, so that every store listed was committed before the read
     * transaction began and its handle is valid in it. */
    fr_store_snapshot_t *snap = calloc(1, sizeof(*snap) + env->nstores * sizeof(snap_store_t));
    int m = snap ? mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &snap->txn) : ENOMEM;
    if (m == 0) {
        snap->env = env;
        for (size_t i = 0; i < env->nstores; i++) {
            const fr_store_t *s = env->stores[i];
            if (s->published)
                snap->stores[snap->n++] = (snap_store_t){s->name, s->kind, s->dbi};
        }
    }
    pthread_mutex_unlock(&env->mu);
    if (m) {
        free(snap);
        return store_mdb_err(env, m, NULL, "begin a snapshot");
    }
    *out = snap;
    return 0;
}

void fr_store_snapshot_close(fr_store_snapshot_t *snap) {
    if (!snap)
        return;
    mdb_txn_abort(snap->txn);
    free(snap);
}

static int find_store(fr_store_snapshot_t *snap, const char *name, store_kind_t kind, const snap_store_t **out) {
    for (size_t i = 0; name && i < snap->n; i++) {
        if (strcmp(snap->stores[i].name, name) != 0)
            continue;
        if (snap->stores[i].kind != kind) {
            fr_error(FR_STORE_COMPONENT, "%s: snapshot: store %s is not a %s store", snap->env->dir, name,
                     kind == STORE_KV ? "key-value" : "window");
            return FR_ERR_INVALID_ARG;
        }
        *out = &snap->stores[i];
        return 0;
    }
    return FR_ERR_NOT_FOUND;
}

/* Key checks without a store handle (the snapshot may run on another thread
 * than the store's owner, so it touches nothing the owner writes). */
static int check_key(const fr_store_snapshot_t *snap, fr_slice_t key, size_t suffix) {
    if (key.len < 0 || (key.len > 0 && !key.ptr) || (size_t)key.len + suffix > snap->env->maxkey)
        return FR_ERR_INVALID_ARG;
    return 0;
}

int fr_store_snapshot_kv_get(fr_store_snapshot_t *snap, const char *store, fr_slice_t key, fr_slice_t *value) {
    const snap_store_t *s;
    *value = FR_SLICE_NULL;
    int rc = find_store(snap, store, STORE_KV, &s);
    if (rc || (rc = check_key(snap, key, FR_KV_PREFIX_LEN)))
        return rc;
    uint8_t sk[FR_STORE_KEY_BUF];
    sk[0] = FR_KV_PREFIX;
    if (key.len)
        memcpy(sk + FR_KV_PREFIX_LEN, key.ptr, (size_t)key.len);
    MDB_val k = {(size_t)key.len + FR_KV_PREFIX_LEN, sk}, v;
    int m = mdb_get(snap->txn, s->dbi, &k, &v);
    if (m)
        return store_mdb_err(snap->env, m, store, "snapshot get");
    static const uint8_t empty_bytes[1];
    *value = (fr_slice_t){v.mv_data ? v.mv_data : empty_bytes, (int32_t)v.mv_size};
    return 0;
}

int fr_store_snapshot_kv_range(fr_store_snapshot_t *snap, const char *store, fr_slice_t from, fr_slice_t to,
                               fr_store_iter_t **out) {
    const snap_store_t *s;
    *out = NULL;
    int rc = find_store(snap, store, STORE_KV, &s);
    if (rc)
        return rc;
    uint8_t lo[FR_STORE_KEY_BUF], hi[FR_STORE_KEY_BUF];
    iter_spec_t spec = {.mode = ITER_KV,
                        .txn = snap->txn,
                        .dbi = s->dbi,
                        .lo = store_kv_bound(from, lo, sizeof(lo)),
                        .hi = store_kv_bound(to, hi, sizeof(hi))};
    return store_iter_open(snap->env, 0, s->name, &spec, out);
}

int fr_store_snapshot_win_fetch(fr_store_snapshot_t *snap, const char *store, fr_slice_t key, int64_t time_from,
                                int64_t time_to, fr_store_iter_t **out) {
    const snap_store_t *s;
    *out = NULL;
    int rc = find_store(snap, store, STORE_WINDOW, &s);
    if (rc || (rc = check_key(snap, key, FR_WIN_SUFFIX)))
        return rc;
    uint8_t lo[FR_STORE_KEY_BUF], hi[FR_STORE_KEY_BUF];
    size_t klen = (size_t)key.len, n = klen + FR_WIN_SUFFIX;
    int64_t from = store_time_clamp(time_from);
    if (klen) {
        memcpy(lo, key.ptr, klen);
        memcpy(hi, key.ptr, klen);
    }
    store_put_be64(lo + klen, from);
    store_put_be32(lo + klen + 8, 0);
    store_put_be64(hi + klen, time_to < 0 ? 0 : time_to);
    store_put_be32(hi + klen + 8, UINT32_MAX);
    iter_spec_t spec = {
        .mode = ITER_WIN_KEY,
        .txn = snap->txn,
        .dbi = s->dbi,
        .lo = {lo, (int32_t)n},
        .hi = {hi, (int32_t)n},
        .klen = klen,
        .empty = time_to < from,
    };
    return store_iter_open(snap->env, 0, s->name, &spec, out);
}
