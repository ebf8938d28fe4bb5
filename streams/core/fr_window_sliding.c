/*
 * fr_window_sliding.c — sliding windows: Kafka's KStreamSlidingWindowAggregate
 * (its reverse-iterator path, the one Kafka's built-in stores take, so
 * updates go downstream in Kafka's order).
 *
 * A window [s, s + d] exists for each distinct set of records: the left
 * window [t - d, t] of every record, and the right window [t + 1, t + 1 + d]
 * of a record once a later record falls inside it.  Each window's value
 * carries the largest record timestamp in it, which decides whether a right
 * window would be empty.  Records earlier than d share the window [0, d].
 */
#include <string.h>

#include "fr_window.h"

typedef struct swin {
    int64_t start, maxts;
    fr_datum_t agg;
} swin_t;

typedef struct sctx {
    fr_task_t *t;
    fr_node_t *n;
    fr_winstore_t *ws;
    const fr_rec_t *r;
    fr_datum_t k, v;
    int64_t close;
} sctx_t;

/* Kafka's updateWindowAndForward: adds the record to the window starting at
 * start whose aggregate so far is agg (largest timestamp agg_ts), unless the
 * window has closed. */
static int update_window(sctx_t *c, int64_t start, const fr_datum_t *agg, int64_t agg_ts) {
    const fr_win_arg_t *a = c->n->arg;
    int64_t end = fr_time_add(start, a->size), ts = c->r->ts;
    if (end < c->close) {
        fr_win_skip_expired(c->t, c->n, ts, start, end);
        return 0;
    }
    fr_datum_t out;
    fr_slice_t enc;
    int64_t nts = agg_ts > ts ? agg_ts : ts;
    int rc = fr_win_add(c->n, &c->k, &c->v, agg, &out, fr_task_scratch(c->t));
    if (rc || (rc = fr_win_encode(c->t, c->n, &out, 1, nts, &enc)))
        return rc;
    return fr_winstore_put(c->ws, c->r->key, start, enc, nts);
}

static int update_fresh(sctx_t *c, int64_t start) {
    fr_datum_t init;
    int rc = fr_win_initial(c->n, fr_task_scratch(c->t), &init);
    return rc ? rc : update_window(c, start, &init, c->r->ts);
}

/* The record's right window takes over the aggregate of the later records
 * as it is (Kafka's createCurrentRecordRightWindow). */
static int put_right_window(sctx_t *c, const swin_t *w) {
    fr_slice_t enc;
    int rc = fr_win_encode(c->t, c->n, &w->agg, 1, w->maxts, &enc);
    return rc ? rc : fr_winstore_put(c->ws, c->r->key, fr_time_add(c->r->ts, 1), enc, w->maxts);
}

/* The key's windows starting in [from, to], ascending, copied out of the store. */
static int fetch(sctx_t *c, int64_t from, int64_t to, swin_t **out, size_t *n) {
    const fr_win_arg_t *a = c->n->arg;
    const fr_serde_t *as = fr_task_value_serde(c->t, a->store->value_serde);
    fr_store_iter_t *it;
    int rc = fr_winstore_fetch(c->ws, c->r->key, from, to, &it);
    if (rc)
        return rc;
    size_t cap = 0;
    swin_t *ws = NULL;
    fr_store_entry_t e;
    *n = 0;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            swin_t *nw = fr_scratch_alloc(fr_task_scratch(c->t), ncap * sizeof *nw);
            if (!nw) {
                rc = FR_ERR_NOMEM;
                break;
            }
            if (*n)
                memcpy(nw, ws, *n * sizeof *nw);
            ws = nw;
            cap = ncap;
        }
        fr_slice_t v;
        if (e.value.len < 8 || (rc = fr_win_copy(c->t, e.value, &v)))
            break;
        ws[*n].start = e.start;
        ws[*n].maxts = fr_win_get_be64(v.ptr);
        fr_serde_view(as, (fr_slice_t){v.ptr + 8, v.len - 8}, &ws[*n].agg);
        (*n)++;
    }
    fr_store_iter_close(it);
    *out = ws;
    return rc < 0 ? rc : 0;
}

static int has_start(const swin_t *w, size_t n, int64_t start) {
    for (size_t i = 0; i < n; i++)
        if (w[i].start == start)
            return 1;
    return 0;
}

/* Kafka's processEarly: 0 <= t < d. */
static int process_early(sctx_t *c) {
    const fr_win_arg_t *a = c->n->arg;
    int64_t ts = c->r->ts;
    swin_t *w;
    size_t n;
    int rc = fetch(c, 0, ts + 1, &w, &n);
    if (rc)
        return rc;
    const swin_t *combined = NULL, *right = NULL;
    int right_created = 0, have_prev = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].start == 0) {
            combined = &w[i];
            if (w[i].maxts < ts) {
                prev = w[i].maxts;
                have_prev = 1;
            }
        } else if (w[i].start <= ts) {
            right = &w[i];
            if ((rc = update_window(c, w[i].start, &w[i].agg, w[i].maxts)))
                return rc;
        } else if (w[i].start == ts + 1) {
            right_created = 1;
        } else {
            return FR_ERR_CORRUPT;
        }
    }
    if (!right && combined && combined->maxts > ts)
        right = combined;
    if (!right_created && right && right->maxts > ts && (rc = put_right_window(c, right)))
        return rc;
    if (have_prev && !has_start(w, n, prev + 1) && (rc = update_fresh(c, prev + 1)))
        return rc;
    (void)a;
    return combined ? update_window(c, 0, &combined->agg, combined->maxts) : update_fresh(c, 0);
}

int fr_win_sliding_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r) {
    const fr_win_arg_t *a = n->arg;
    if (fr_win_drop_null(t, n, r, 1))
        return 0;
    int64_t now = fr_task_stream_time(t), ts = r->ts, d = a->size;
    sctx_t c = {t, n, state, r, {0}, {0}, fr_time_sub(now, a->grace)};
    int rc = fr_winstore_advance(state, now);
    if (rc)
        return rc;
    if (fr_time_add(ts, d) < c.close) {
        fr_win_skip_expired(t, n, ts, ts, fr_time_add(ts, d));
        return 0;
    }
    fr_task_view(t, n, r, &c.k, &c.v);
    if (ts < d)
        return process_early(&c);

    /* Kafka's processReverse: newest window first. */
    swin_t *w;
    size_t nw;
    int64_t lo = fr_time_sub(fr_time_sub(ts, d), d);
    if ((rc = fetch(&c, lo > 0 ? lo : 0, fr_time_add(ts, 1), &w, &nw)))
        return rc;
    const swin_t *left = NULL, *right = NULL;
    int left_created = 0, right_created = 0, have_prev = 0;
    int64_t prev = 0;
    size_t seen_from = nw; /* windows w[seen_from..] were visited (Kafka's windowStartTimes) */
    for (size_t i = nw; i-- > 0;) {
        seen_from = i;
        int64_t start = w[i].start, end = fr_time_add(start, d);
        if (start == fr_time_add(ts, 1)) {
            right_created = 1;
        } else if (end > ts) {
            if (!right)
                right = &w[i];
            if ((rc = update_window(&c, start, &w[i].agg, w[i].maxts)))
                return rc;
        } else if (end == ts) {
            left_created = 1;
            if ((rc = update_window(&c, start, &w[i].agg, w[i].maxts)))
                return rc;
            if (w[i].maxts >= ts)
                return 0; /* every window this record needs already exists */
            prev = w[i].maxts;
            have_prev = 1;
        } else {
            left = &w[i];
            prev = w[i].maxts;
            have_prev = 1;
            break;
        }
    }
    /* Kafka's createWindows. */
    if (have_prev && !has_start(w + seen_from, nw - seen_from, prev + 1) && fr_time_add(prev + 1, d) >= ts &&
        (rc = update_fresh(&c, prev + 1)))
        return rc;
    if (!left_created) {
        if (have_prev && ts - d <= prev && left)
            rc = update_window(&c, ts - d, &left->agg, ts);
        else
            rc = update_fresh(&c, ts - d);
        if (rc)
            return rc;
    }
    if (!right_created && right && right->maxts > ts)
        return put_right_window(&c, right);
    return 0;
}
