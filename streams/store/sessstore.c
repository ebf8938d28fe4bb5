/*
 * sessstore.c — session stores: key ‖ end (8B BE) ‖ start (8B BE), Kafka's
 * SessionKeySchema, with a time index by end for retention.  See fr_store.h.
 */
#include <string.h>

#include "fr_logging.h"
#include "store_internal.h"

int fr_sessstore_open(fr_store_env_t *env, const char *name, int64_t retention_ms,
                      const fr_store_listener_t *listener, fr_sessstore_t **out) {
    fr_store_t *s;
    *out = NULL;
    if (retention_ms < 0) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: negative retention", env->dir, name ? name : "(null)");
        return FR_ERR_INVALID_ARG;
    }
    int rc = store_register(env, name, STORE_SESSION, listener, sizeof(fr_sessstore_t), &s);
    if (rc)
        return rc;
    s->retention_ms = retention_ms;
    *out = (fr_sessstore_t *)s;
    return 0;
}

static size_t encode(uint8_t *out, fr_slice_t key, int64_t end, int64_t start) {
    size_t n = (size_t)key.len;
    if (n)
        memcpy(out, key.ptr, n);
    store_put_be64(out + n, end);
    store_put_be64(out + n + 8, start);
    return n + FR_SESS_SUFFIX;
}

static int check_session(const fr_store_t *s, int64_t start, int64_t end) {
    if (start >= 0 && end >= start)
        return 0;
    fr_error(FR_STORE_COMPONENT, "%s: store %s: bad session [%lld, %lld] (want 0 <= start <= end)", s->env->dir,
             s->name, (long long)start, (long long)end);
    return FR_ERR_INVALID_ARG;
}

int fr_sessstore_put(fr_sessstore_t *ss, fr_slice_t key, int64_t start, int64_t end, fr_slice_t value, int64_t ts) {
    fr_store_t *s = &ss->s;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, FR_SESS_SUFFIX)) || (rc = store_check_value(s, value)) ||
        (rc = check_session(s, start, end)))
        return rc;
    if (end < store_cutoff(s)) {
        fr_debug(FR_STORE_COMPONENT, "%s: store %s: session ending at %lld has expired; ignored", s->env->dir,
                 s->name, (long long)end);
        return 0;
    }
    uint8_t buf[FR_STORE_KEY_BUF];
    size_t n = encode(buf, key, end, start);
    return store_update(s, buf, n, value, ts, end);
}

int fr_sessstore_remove(fr_sessstore_t *ss, fr_slice_t key, int64_t start, int64_t end, int64_t ts) {
    return fr_sessstore_put(ss, key, start, end, FR_SLICE_NULL, ts);
}

int fr_sessstore_find(fr_sessstore_t *ss, fr_slice_t key, int64_t earliest_end, int64_t latest_start,
                      fr_store_iter_t **out) {
    fr_store_t *s = &ss->s;
    *out = NULL;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_key(s, key, FR_SESS_SUFFIX)))
        return rc;
    /* Every session ending at or after earliest_end; the iterator filters
     * the starts, since the byte order is by end first. */
    uint8_t lo[FR_STORE_KEY_BUF], hi[FR_STORE_KEY_BUF];
    size_t n = encode(lo, key, store_time_clamp(earliest_end), 0);
    encode(hi, key, INT64_MAX, INT64_MAX);
    iter_spec_t spec = {
        .mode = ITER_SESS_FIND,
        .txn = s->env->txn,
        .dbi = s->dbi,
        .lo = {lo, (int32_t)n},
        .hi = {hi, (int32_t)n},
        .klen = (size_t)key.len,
        .time_max = latest_start,
        .empty = latest_start < 0,
    };
    return store_iter_open(s->env, 1, s->name, &spec, out);
}

int fr_sessstore_advance(fr_sessstore_t *ss, int64_t stream_time) {
    return store_advance(&ss->s, stream_time);
}

int fr_sessstore_restore(fr_sessstore_t *ss, fr_slice_t stored_key, fr_slice_t value) {
    fr_store_t *s = &ss->s;
    int rc = store_env_ok(s->env);
    if (rc || (rc = store_check_value(s, value)))
        return rc;
    if (stored_key.len < FR_SESS_SUFFIX || !stored_key.ptr) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: changelog key of %d bytes is not a session key", s->env->dir,
                 s->name, stored_key.len);
        return FR_ERR_INVALID_ARG;
    }
    fr_slice_t user = {stored_key.ptr, stored_key.len - FR_SESS_SUFFIX};
    int64_t end = store_get_be64(stored_key.ptr + user.len), start = store_get_be64(stored_key.ptr + user.len + 8);
    if ((rc = store_check_key(s, user, FR_SESS_SUFFIX)) || (rc = check_session(s, start, end)))
        return rc;
    return store_raw_put(s, stored_key.ptr, (size_t)stored_key.len, value);
}
