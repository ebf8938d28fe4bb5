/*
 * winstore.c — window stores: key ‖ start (8B BE) ‖ seq (4B BE), Kafka's
 * WindowKeySchema, with a time index for retention and fetch_all.
 * See fr_store.h.
 */
#include <string.h>

#include "fr_logging.h"
#include "store_internal.h"

#define SEQ_MAX UINT32_MAX

int fr_winstore_open(fr_store_env_t *env, const char *name, int64_t retention_ms, int retain_duplicates,
                     const fr_store_listener_t *listener, fr_winstore_t **out) {
    fr_store_t *s;
    *out = NULL;
    if (retention_ms < 0) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: negative retention", env->dir, name ? name : "(null)");
        return FR_ERR_INVALID_ARG;
    }
    int rc = store_register(env, name, STORE_WINDOW, listener, sizeof(fr_winstore_t), &s);
    if (rc)
        return rc;
    s->retention_ms = retention_ms;
    s->retain_duplicates = retain_duplicates != 0;
    *out = (fr_winstore_t *)s;
    return 0;
}

static size_t encode(uint8_t *out, fr_slice_t key, int64_t start, uint32_t seq) {
    size_t n = (size_t)key.len;
    if (n)
        memcpy(out, key.ptr, n);
    store_put_be64(out + n, start);
    store_put_be32(out + n + 8, seq);
    return n + FR_WIN_SUFFIX;
}

static int check_time(const fr_store_t *s, int64_t t) {
    if (t >= 0)
        return 0;
    fr_error(FR_STORE_COMPONENT, "%s: store %s: negative window start %lld", s->env->dir, s->name, (long long)t);
    return FR_ERR_INVALID_ARG;
}

/* One past the highest seq stored for key and start (1 for the first),
 * found from the data so that it survives restarts. */
static int next_seq(fr_store_t *s, fr_slice_t key, int64_t start, uint32_t *seq) {
    fr_store_env_t *env = s->env;
    uint8_t buf[FR_STORE_KEY_BUF];
    size_t n = encode(buf, key, start, SEQ_MAX), prefix = n - 4;
    MDB_cursor *c;
    int m = mdb_cursor_open(env->txn, s->dbi, &c);
    if (m)
        return store_fail(env, m, s->name, "open a cursor");
    MDB_val k = {n, buf}, v;
    m = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (m == 0 && k.mv_size == n && memcmp(k.mv_data, buf, n) == 0) {
        mdb_cursor_close(c);
        fr_error(FR_STORE_COMPONENT, "%s: store %s: no sequence number left for a duplicate", env->dir, s->name);
        return FR_ERR_INVALID_ARG;
    }
    m = mdb_cursor_get(c, &k, &v, m == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    *seq = 1;
    /* Walk back over longer keys that share the prefix to this key's last seq. */
    while (m == 0 && k.mv_size >= prefix && memcmp(k.mv_data, buf, prefix) == 0) {
        if (k.mv_size == n) {
            *seq = store_get_be32((const uint8_t *)k.mv_data + prefix) + 1;
            break;
        }
        m = mdb_cursor_get(c, &k, &v, MDB_PREV);
    }
    mdb_cursor_close(c);
    if (m && m != MDB_NOTFOUND)
        return store_fail(env, m, s->name, "find the next sequence number");
    return 0;
}

int fr_winstore_put(fr_winstore_t *w, fr_slice_t key, int64_t window_start, fr_slice_t value, int64_t ts) {
    fr_store_t *s = &w->s;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, FR_WIN_SUFFIX)) || (rc = store_check_value(s, value)) ||
        (rc = check_time(s, window_start)))
        return rc;
    if (s->retain_duplicates && fr_slice_is_null(value))
        return 0; /* a duplicate cannot be named, so it cannot be deleted (Kafka ignores these too) */
    if (window_start < store_cutoff(s)) {
        fr_debug(FR_STORE_COMPONENT, "%s: store %s: window at %lld has expired; put ignored", s->env->dir, s->name,
                 (long long)window_start);
        return 0;
    }
    uint32_t seq = 0;
    if (s->retain_duplicates && (rc = next_seq(s, key, window_start, &seq)))
        return rc;
    uint8_t buf[FR_STORE_KEY_BUF];
    size_t n = encode(buf, key, window_start, seq);
    return store_update(s, buf, n, value, ts, window_start);
}

int fr_winstore_fetch(fr_winstore_t *w, fr_slice_t key, int64_t time_from, int64_t time_to, fr_store_iter_t **out) {
    fr_store_t *s = &w->s;
    *out = NULL;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, FR_WIN_SUFFIX)))
        return rc;
    uint8_t lo[FR_STORE_KEY_BUF], hi[FR_STORE_KEY_BUF];
    int64_t from = store_time_clamp(time_from);
    size_t n = encode(lo, key, from, 0);
    encode(hi, key, time_to < 0 ? 0 : time_to, SEQ_MAX);
    iter_spec_t spec = {
        .mode = ITER_WIN_KEY,
        .txn = s->env->txn,
        .dbi = s->dbi,
        .lo = {lo, (int32_t)n},
        .hi = {hi, (int32_t)n},
        .klen = (size_t)key.len,
        .empty = time_to < from,
    };
    return store_iter_open(s->env, 1, s->name, &spec, out);
}

int fr_winstore_get(fr_winstore_t *w, fr_slice_t key, int64_t window_start, fr_slice_t *value) {
    fr_store_t *s = &w->s;
    *value = FR_SLICE_NULL;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, FR_WIN_SUFFIX)))
        return rc;
    if (window_start < 0)
        return FR_ERR_NOT_FOUND;
    if (!s->retain_duplicates) {
        uint8_t buf[FR_STORE_KEY_BUF];
        size_t n = encode(buf, key, window_start, 0);
        return store_raw_get(s, buf, n, value);
    }
    /* The lowest seq; its bytes live in the transaction, not the cursor. */
    fr_store_iter_t *it;
    if ((rc = fr_winstore_fetch(w, key, window_start, window_start, &it)))
        return rc;
    fr_store_entry_t e;
    rc = fr_store_iter_next(it, &e);
    fr_store_iter_close(it);
    if (rc == 1) {
        *value = e.value;
        return 0;
    }
    return rc == 0 ? FR_ERR_NOT_FOUND : rc;
}

int fr_winstore_fetch_all(fr_winstore_t *w, int64_t time_from, int64_t time_to, fr_store_iter_t **out) {
    fr_store_t *s = &w->s;
    *out = NULL;
    int rc = store_env_ok(s->env);
    if (rc)
        return rc;
    uint8_t lo[8];
    int64_t from = store_time_clamp(time_from);
    store_put_be64(lo, from);
    iter_spec_t spec = {
        .mode = ITER_WIN_TIME,
        .txn = s->env->txn,
        .dbi = s->idx_dbi,
        .value_dbi = s->dbi,
        .lo = {lo, 8},
        .hi = FR_SLICE_NULL,
        .time_max = time_to,
        .empty = time_to < from,
    };
    return store_iter_open(s->env, 1, s->name, &spec, out);
}

int fr_winstore_advance(fr_winstore_t *w, int64_t stream_time) {
    return store_advance(&w->s, stream_time);
}

int fr_winstore_restore(fr_winstore_t *w, fr_slice_t stored_key, fr_slice_t value) {
    fr_store_t *s = &w->s;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_value(s, value)))
        return rc;
    if (stored_key.len < FR_WIN_SUFFIX || !stored_key.ptr) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: changelog key of %d bytes is not a windowed key", s->env->dir,
                 s->name, stored_key.len);
        return FR_ERR_INVALID_ARG;
    }
    fr_slice_t user = {stored_key.ptr, stored_key.len - FR_WIN_SUFFIX};
    if ((rc = store_check_key(s, user, FR_WIN_SUFFIX)) ||
        (rc = check_time(s, store_get_be64(stored_key.ptr + user.len))))
        return rc;
    return store_raw_put(s, stored_key.ptr, (size_t)stored_key.len, value);
}
