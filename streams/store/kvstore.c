/*
 * kvstore.c — key-value stores: the stored key is the user key.  See fr_store.h.
 */
#include "store_internal.h"

int fr_kvstore_open(fr_store_env_t *env, const char *name, const fr_store_listener_t *listener,
                    fr_kvstore_t **out) {
    fr_store_t *s;
    *out = NULL;
    int rc = store_register(env, name, STORE_KV, listener, sizeof(fr_kvstore_t), &s);
    if (rc == 0)
        *out = (fr_kvstore_t *)s;
    return rc;
}

int fr_kvstore_put(fr_kvstore_t *kv, fr_slice_t key, fr_slice_t value, int64_t ts) {
    fr_store_t *s = &kv->s;
    int rc = store_check_key(s, key, 0);
    if (rc || (rc = store_check_value(s, value)))
        return rc;
    return store_update(s, key.ptr, (size_t)key.len, value, ts, 0);
}

int fr_kvstore_delete(fr_kvstore_t *kv, fr_slice_t key, int64_t ts) {
    return fr_kvstore_put(kv, key, FR_SLICE_NULL, ts);
}

int fr_kvstore_get(fr_kvstore_t *kv, fr_slice_t key, fr_slice_t *value) {
    fr_store_t *s = &kv->s;
    *value = FR_SLICE_NULL;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, 0)))
        return rc;
    return store_raw_get(s, key.ptr, (size_t)key.len, value);
}

int fr_kvstore_range(fr_kvstore_t *kv, fr_slice_t from, fr_slice_t to, fr_store_iter_t **out) {
    fr_store_t *s = &kv->s;
    *out = NULL;
    int rc = store_env_ok(s->env);
    if (rc)
        return rc;
    iter_spec_t spec = {.mode = ITER_KV, .txn = s->env->txn, .dbi = s->dbi, .lo = from, .hi = to};
    return store_iter_open(s->env, 1, s->name, &spec, out);
}

int fr_kvstore_restore(fr_kvstore_t *kv, fr_slice_t key, fr_slice_t value) {
    fr_store_t *s = &kv->s;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, 0)) || (rc = store_check_value(s, value)))
        return rc;
    return store_raw_put(s, key.ptr, (size_t)key.len, value);
}

int64_t fr_kvstore_approximate_count(fr_kvstore_t *kv) {
    fr_store_t *s = &kv->s;
    MDB_stat st;
    if (store_env_ok(s->env) || mdb_stat(s->env->txn, s->dbi, &st))
        return 0;
    return (int64_t)st.ms_entries;
}
