/*
 * fr_window.h — windowed aggregations and suppression, shared between
 * fr_window.c (windowedBy, time windows), fr_window_sliding.c,
 * fr_window_session.c and fr_suppress.c (internal).
 */
#ifndef FR_WINDOW_H
#define FR_WINDOW_H

#include "fr_graph.h"
#include "fr_store.h"
#include "fr_time.h"
#include "freshet/streams_windows.h"

typedef enum fr_win_kind { FR_WIN_TIME, FR_WIN_SLIDING, FR_WIN_SESSION } fr_win_kind_t;
typedef enum fr_wagg_kind { FR_WAGG_COUNT, FR_WAGG_REDUCE, FR_WAGG_AGGREGATE } fr_wagg_kind_t;

/* A windowed aggregation node's settings (node->arg). */
typedef struct fr_win_arg {
    fr_win_kind_t kind;
    int64_t size;    /* window size; sliding: time difference; session: inactivity gap */
    int64_t advance; /* time windows */
    int64_t grace;
    fr_wagg_kind_t agg;
    fr_initializer_fn init;
    fr_aggregator_fn adder;
    fr_reducer_fn reducer;
    fr_merger_fn merger;
    void *ctx;
    fr_store_def_t *store;
} fr_win_arg_t;

/* The windowed aggregation a table node descends from (following first
 * parents), or NULL when the table is not windowed. */
const fr_win_arg_t *fr_window_of(const fr_node_t *n);

/* The aggregation's initial value (count: 0, reduce: null). */
int fr_win_initial(const fr_node_t *n, fr_scratch_t *sc, fr_datum_t *out);
/* out = agg + the record (agg as given by fr_win_initial or the store). */
int fr_win_add(const fr_node_t *n, const fr_datum_t *k, const fr_datum_t *v, const fr_datum_t *agg, fr_datum_t *out,
               fr_scratch_t *sc);
/* Encodes agg with the store's value serde, copied into scratch; with_ts
 * puts the 8-byte BE timestamp in front (ValueAndTimestamp). */
int fr_win_encode(fr_task_t *t, const fr_node_t *n, const fr_datum_t *agg, int with_ts, int64_t ts, fr_slice_t *out);
/* Copies a slice into scratch (store memory is only valid until the next write). */
int fr_win_copy(fr_task_t *t, fr_slice_t in, fr_slice_t *out);
/* Big-endian int64 helpers for key layouts. */
void fr_win_put_be64(uint8_t *p, int64_t v);
int64_t fr_win_get_be64(const uint8_t *p);
/* Logs and counts a record skipped for an expired window. */
void fr_win_skip_expired(fr_task_t *t, const fr_node_t *n, int64_t ts, int64_t start, int64_t end);
/* Drops a record with a null key, or a null value when value_too (counted in
 * dropped); 1 when dropped.  Kafka's time and session window aggregations
 * (KStreamWindowAggregate, KStreamSessionWindowAggregate) drop null keys
 * only and aggregate null values (count() counts them); the sliding one
 * (KStreamSlidingWindowAggregate) drops both. */
int fr_win_drop_null(fr_task_t *t, const fr_node_t *n, const fr_rec_t *r, int value_too);
int fr_win_fn_failed(const fr_node_t *n, int rc);

int fr_win_sliding_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r);
int fr_win_session_process(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r);

#endif
