/*
 * kvstore.c — key-value stores: the stored key is FR_KV_PREFIX ‖ user key,
 * so that the empty key (which LMDB cannot store) is a key like any other, as
 * in Kafka.  Listeners and iterators see the user key.  See fr_store.h.
 */
#include "store_internal.h"

int store_kv_key(const fr_store_t *s, fr_slice_t key, uint8_t *buf, size_t *len) {
    int rc = store_check_key(s, key, FR_KV_PREFIX_LEN);
    if (rc)
        return rc;
    buf[0] = FR_KV_PREFIX;
    if (key.len)
        memcpy(buf + FR_KV_PREFIX_LEN, key.ptr, (size_t)key.len);
    *len = (size_t)key.len + FR_KV_PREFIX_LEN;
    return 0;
}

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
    uint8_t sk[FR_STORE_KEY_BUF];
    size_t n;
    int rc = store_kv_key(s, key, sk, &n);
    if (rc || (rc = store_check_value(s, value)))
        return rc;
    return store_update(s, sk, n, value, ts, 0);
}

int fr_kvstore_delete(fr_kvstore_t *kv, fr_slice_t key, int64_t ts) {
    return fr_kvstore_put(kv, key, FR_SLICE_NULL, ts);
}

int fr_kvstore_get(fr_kvstore_t *kv, fr_slice_t key, fr_slice_t *value) {
    fr_store_t *s = &kv->s;
    uint8_t sk[FR_STORE_KEY_BUF];
    size_t n;
    *value = FR_SLICE_NULL;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_kv_key(s, key, sk, &n)))
        return rc;
    return store_raw_get(s, sk, n, value);
}

int fr_kvstore_range(fr_kvstore_t *kv, fr_slice_t from, fr_slice_t to, fr_store_iter_t **out) {
    fr_store_t *s = &kv->s;
    uint8_t lo[FR_STORE_KEY_BUF], hi[FR_STORE_KEY_BUF];
    *out = NULL;
    int rc = store_env_ok(s->env);
    if (rc)
        return rc;
    iter_spec_t spec = {.mode = ITER_KV,
                        .txn = s->env->txn,
                        .dbi = s->dbi,
                        .lo = store_kv_bound(from, lo, sizeof(lo)),
                        .hi = store_kv_bound(to, hi, sizeof(hi))};
    return store_iter_open(s->env, 1, s->name, &spec, out);
}

int fr_kvstore_restore(fr_kvstore_t *kv, fr_slice_t key, fr_slice_t value) {
    fr_store_t *s = &kv->s;
    uint8_t sk[FR_STORE_KEY_BUF];
    size_t n;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_kv_key(s, key, sk, &n)) || (rc = store_check_value(s, value)))
        return rc;
    return store_raw_put(s, sk, n, value);
}

int64_t fr_kvstore_approximate_count(fr_kvstore_t *kv) {
    fr_store_t *s = &kv->s;
    MDB_stat st;
    if (store_env_ok(s->env) || mdb_stat(s->env->txn, s->dbi, &st))
        return 0;
    return (int64_t)st.ms_entries;
}
