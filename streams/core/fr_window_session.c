/*
 * fr_window_session.c — session windows: Kafka's KStreamSessionWindowAggregate.
 *
 * A record at t starts the session [t, t] and merges with every session of
 * its key that ends at or after t - gap and starts at or before t + gap.
 * Merged sessions are removed from the store (their removal goes downstream
 * as a tombstone for their windowed key, timestamped with their end), and the
 * merged session is written with the new aggregate (timestamped with its end).
 */
#include <string.h>

#include "fr_window.h"

typedef struct sess {
    int64_t start, end;
    fr_datum_t agg;
} sess_t;

/* Merger for count and reduce (Kafka uses the reducer / a sum as the merger). */
static int merge(const fr_node_t *n, const fr_datum_t *k, const fr_datum_t *a1, const fr_datum_t *a2, fr_datum_t *out,
                 fr_scratch_t *sc) {
    const fr_win_arg_t *a = n->arg;
    int rc = 0;
    switch (a->agg) {
    case FR_WAGG_COUNT:
        *out = fr_datum_i64((a1->is_null ? 0 : a1->i64) + (a2->is_null ? 0 : a2->i64));
        break;
    case FR_WAGG_REDUCE:
        if (a1->is_null || a2->is_null)
            *out = a1->is_null ? *a2 : *a1;
        else
            rc = a->reducer(a->ctx, a1, a2, out, sc);
        break;
    case FR_WAGG_AGGREGATE:
        rc = a->merger(a->ctx, k, a1, a2, out, sc);
        break;
    }
    return rc < 0 ? fr_win_fn_failed(n, rc) : 0;
}

int fr_win_session_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    const fr_win_arg_t *a = n->arg;
    if (fr_win_drop_null(t, n, r, 0)) /* a null value is aggregated, as in Kafka */
        return 0;
    fr_sessstore_t *ss = state;
    int64_t now = fr_task_stream_time(t), ts = r->ts, close = fr_time_sub(now, a->grace);
    int rc = fr_sessstore_advance(ss, now);
    if (rc)
        return rc;
    fr_datum_t k, v, agg, tmp;
    fr_task_view(t, n, r, &k, &v);
    fr_scratch_t *sc = fr_task_scratch(t);
    const fr_serde_t *as = fr_task_value_serde(t, a->store->value_serde);
    if ((rc = fr_win_initial(n, sc, &agg)))
        return rc;

    /* The sessions this record merges with, copied out before any write. */
    fr_store_iter_t *it;
    if ((rc = fr_sessstore_find(ss, r->key, fr_time_sub(ts, a->size), fr_time_add(ts, a->size), &it)))
        return rc;
    sess_t *merged = NULL;
    size_t nm = 0, cap = 0;
    int64_t start = ts, end = ts;
    fr_store_entry_t e;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (nm == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            sess_t *p = fr_scratch_alloc(sc, ncap * sizeof *p);
            if (!p) {
                rc = FR_ERR_NOMEM;
                break;
            }
            if (nm)
                memcpy(p, merged, nm * sizeof *p);
            merged = p;
            cap = ncap;
        }
        fr_slice_t val;
        if ((rc = fr_win_copy(t, e.value, &val)))
            break;
        sess_t *s = &merged[nm++];
        s->start = e.start;
        s->end = e.end;
        fr_serde_view(as, val, &s->agg);
        if ((rc = merge(n, &k, &agg, &s->agg, &tmp, sc)))
            break;
        agg = tmp;
        if (s->start < start)
            start = s->start;
        if (s->end > end)
            end = s->end;
    }
    fr_store_iter_close(it);
    if (rc < 0)
        return rc;

    if (end < close) {
        fr_win_skip_expired(t, n, ts, start, end);
        return 0;
    }
    if (!(start == ts && end == ts))
        for (size_t i = 0; i < nm; i++)
            if ((rc = fr_sessstore_remove(ss, r->key, merged[i].start, merged[i].end, merged[i].end)))
                return rc;
    fr_slice_t enc;
    if ((rc = fr_win_add(n, &k, &v, &agg, &tmp, sc)) || (rc = fr_win_encode(t, n, &tmp, 0, 0, &enc)))
        return rc;
    return fr_sessstore_put(ss, r->key, start, end, enc, end);
}
