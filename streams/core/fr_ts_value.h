/*
 * fr_ts_value.h — Kafka's ValueAndTimestamp in timestamped stores (internal).
 *
 * A store whose definition says timestamped (fr_store_def_t) keeps
 * 8-byte big-endian timestamp ‖ value, as Kafka's timestamped stores do: the
 * KTables' stores (table sources, aggregations, materialized table-table
 * joins) and the time-window aggregations.  A null value (a delete) has no
 * timestamp.  The changelog and downstream forwards carry the plain value
 * with the timestamp as the record's (fr_task.c); readers use these helpers.
 */
#ifndef FR_TS_VALUE_H
#define FR_TS_VALUE_H

#include <string.h>

#include "fr_graph.h"
#include "fr_store.h"

#define FR_TSV_TS_LEN 8

/* Splits a stored value: *v becomes the plain value, *ts its timestamp.
 * A null value stays null and leaves *ts alone; FR_ERR_CORRUPT when a
 * non-null value is shorter than its timestamp. */
static inline int fr_tsv_split(fr_slice_t *v, int64_t *ts) {
    if (fr_slice_is_null(*v))
        return 0;
    if (v->len < FR_TSV_TS_LEN)
        return FR_ERR_CORRUPT;
    uint64_t x = 0;
    for (int i = 0; i < FR_TSV_TS_LEN; i++)
        x = x << 8 | v->ptr[i];
    *ts = (int64_t)x;
    v->ptr += FR_TSV_TS_LEN;
    v->len -= FR_TSV_TS_LEN;
    return 0;
}

/* ts ‖ v in the task's scratch (valid until the task's next entry point); a
 * null v stays null. */
static inline int fr_tsv_make(fr_task_t *t, fr_slice_t v, int64_t ts, fr_slice_t *out) {
    *out = v;
    if (fr_slice_is_null(v))
        return 0;
    uint8_t *p = fr_scratch_alloc(fr_task_scratch(t), (size_t)v.len + FR_TSV_TS_LEN);
    if (!p)
        return FR_ERR_NOMEM;
    uint64_t x = (uint64_t)ts;
    for (int i = FR_TSV_TS_LEN - 1; i >= 0; i--, x >>= 8)
        p[i] = (uint8_t)x;
    if (v.len)
        memcpy(p + FR_TSV_TS_LEN, v.ptr, (size_t)v.len);
    *out = (fr_slice_t){p, v.len + FR_TSV_TS_LEN};
    return 0;
}

/* fr_kvstore_get on the store of def: the plain value, and its timestamp in
 * *ts (when def is timestamped and the key is there; ts may be NULL).  The
 * value is borrowed as fr_kvstore_get's. */
static inline int fr_tsv_get(fr_kvstore_t *kv, const fr_store_def_t *def, fr_slice_t key, fr_slice_t *value,
                             int64_t *ts) {
    int rc = fr_kvstore_get(kv, key, value);
    if (rc || !def->timestamped)
        return rc;
    int64_t dummy;
    rc = fr_tsv_split(value, ts ? ts : &dummy);
    if (rc)
        fr_error("streams", "store %s: a stored value of %d bytes has no timestamp", def->name, value->len);
    return rc;
}

/* fr_kvstore_put on the store of def, with ts in front when it is timestamped. */
static inline int fr_tsv_put(fr_task_t *t, fr_kvstore_t *kv, const fr_store_def_t *def, fr_slice_t key,
                             fr_slice_t value, int64_t ts) {
    fr_slice_t v = value;
    int rc = def->timestamped ? fr_tsv_make(t, value, ts, &v) : 0;
    return rc ? rc : fr_kvstore_put(kv, key, v, ts);
}

#endif
