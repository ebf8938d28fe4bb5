/*
 * streams_windows.h — windowed aggregations and suppression (Kafka Streams'
 * TimeWindows, SlidingWindows, SessionWindows, windowedBy, suppress).
 *
 * Windows.  All times are milliseconds of record time (stream time, never
 * the wall clock).
 *   - Time windows [start, start + size): tumbling when advance == size,
 *     hopping (overlapping) when advance < size; starts are multiples of
 *     advance (aligned to the epoch), as in Kafka's TimeWindows.
 *   - Sliding windows [start, start + time_difference] (both ends
 *     inclusive): Kafka's SlidingWindows, which keep one window per distinct
 *     set of records — a record at t gets its left window [t - d, t] and, when
 *     later records fall in (t, t + d], its right window [t + 1, t + 1 + d].
 *     Records earlier than d go into the window [0, d].
 *   - Session windows [start, end] (inclusive): a record at t merges with
 *     every session of its key within the inactivity gap (end >= t - gap and
 *     start <= t + gap); merged sessions are removed, which goes downstream as
 *     a tombstone for each merged session's windowed key.
 *
 * Grace.  A window is closed once stream time >= window end + grace (session
 * windows: once session end < stream time - grace).  A record for a closed
 * window does not touch it: it is logged, dropped and counted in the task's
 * dropped_late metric (Kafka's dropped-records sensor: once per expired
 * window it would have updated).  Records out of order but within grace
 * update their windows.
 *
 * Windowed keys.  A windowed KTable's keys are Kafka's serialized windowed
 * keys, and its key serde is fr_serde_bytes(): downstream user functions get
 * a BYTES datum, fr_windowed_key() decodes it, and to() writes the bytes as
 * they are — exactly what Kafka's serializers put in a topic:
 *   - time and sliding windows (TimeWindowedSerializer):
 *       key bytes ‖ window start (8 bytes, big-endian)
 *   - session windows (SessionWindowedSerializer):
 *       key bytes ‖ session end (8 bytes BE) ‖ session start (8 bytes BE)
 * The key bytes are the grouped stream's key serde's bytes.  Like Kafka's
 * TimeWindowedDeserializer, decoding a time-windowed key needs the window
 * size (end = start + size, at most INT64_MAX; for sliding windows size =
 * time difference).
 *
 * Stores.  A time or sliding aggregation owns a window store named like
 * Kafka's (KSTREAM-AGGREGATE-STATE-STORE-<n>, or Materialized's name) with
 * retention max(size + grace, retention_ms) (sliding windows: 2 d + grace,
 * as Kafka's SlidingWindowStoreMaterializer); a session aggregation owns a
 * session store with retention max(gap + grace, retention_ms).  Windows
 * older than stream time - retention are dropped.  Their changelog topics get
 * cleanup.policy=compact,delete and retention.ms = retention + 1 day
 * (Kafka's windowstore.changelog.additional.retention.ms default).  Window
 * store values are kept with the window's largest record timestamp, which is
 * the timestamp of every update sent downstream (Kafka's ValueAndTimestamp);
 * session updates carry the session end as their timestamp.
 *
 * Suppression.  fr_ktable_suppress() holds a table's updates in a buffer and
 * emits them later: untilWindowCloses emits exactly one final result per
 * window once stream time reaches window end + grace; untilTimeLimit emits
 * a key's latest value once stream time passes the time its first buffered
 * update arrived + the limit.  The buffer is an LMDB key-value store with a
 * changelog (KTABLE-SUPPRESS-STATE-STORE-<n>, or "<name>-store"), so buffered
 * results survive a restart.  Buffers are unbounded (Kafka's
 * BufferConfig.unbounded()); eviction runs when a record reaches the
 * suppression, using the task's stream time.
 *
 * Ownership and errors as in streams.h: handles belong to the builder, calls
 * on a NULL handle return NULL, the first error is reported at build.
 */
#ifndef FRESHET_STREAMS_WINDOWS_H
#define FRESHET_STREAMS_WINDOWS_H

#include <stdint.h>

#include "freshet/streams.h"

/* ---- window specifications (plain values, copied by windowedBy) ---- */

typedef struct fr_time_windows {
    int64_t size_ms;    /* > 0 */
    int64_t advance_ms; /* 0 < advance <= size; size for tumbling windows */
    int64_t grace_ms;   /* >= 0 */
} fr_time_windows_t;

/* Kafka's TimeWindows.ofSizeWithNoGrace / ofSizeAndGrace / advanceBy. */
fr_time_windows_t fr_time_windows_of_size_no_grace(int64_t size_ms);
fr_time_windows_t fr_time_windows_of_size_and_grace(int64_t size_ms, int64_t grace_ms);
fr_time_windows_t fr_time_windows_advance_by(fr_time_windows_t w, int64_t advance_ms);

typedef struct fr_sliding_windows {
    int64_t time_difference_ms; /* > 0 */
    int64_t grace_ms;           /* >= 0 */
} fr_sliding_windows_t;
/* Kafka's SlidingWindows.ofTimeDifferenceAndGrace. */
fr_sliding_windows_t fr_sliding_windows_of(int64_t time_difference_ms, int64_t grace_ms);

typedef struct fr_session_windows {
    int64_t gap_ms;   /* inactivity gap, > 0 */
    int64_t grace_ms; /* >= 0 */
} fr_session_windows_t;
/* Kafka's SessionWindows.ofInactivityGapAndGrace. */
fr_session_windows_t fr_session_windows_of(int64_t gap_ms, int64_t grace_ms);

/* ---- windowed grouped streams ---- */

typedef struct fr_windowed_stream fr_windowed_stream_t;

/* Invalid specifications fail the builder (FR_ERR_INVALID_ARG). */
fr_windowed_stream_t *fr_kgrouped_stream_windowed_by(fr_kgrouped_stream_t *g, const fr_time_windows_t *w);
fr_windowed_stream_t *fr_kgrouped_stream_windowed_by_sliding(fr_kgrouped_stream_t *g, const fr_sliding_windows_t *w);
fr_windowed_stream_t *fr_kgrouped_stream_windowed_by_session(fr_kgrouped_stream_t *g, const fr_session_windows_t *w);

/* Session merger (Kafka's Merger): out = agg1 merged with agg2. */
typedef int (*fr_merger_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *agg1, const fr_datum_t *agg2,
                            fr_datum_t *out, fr_scratch_t *scratch);

/* Windowed count / reduce / aggregate: a windowed KTable (key serde bytes,
 * keys as described above).  m as in streams.h (m->value_serde required by
 * aggregate); retention_ms 0 means window size + grace.  Null keys and null
 * values are dropped and counted (dropped).  aggregate() on session windows
 * needs merger (ignored for time and sliding windows). */
fr_ktable_t *fr_windowed_stream_count(fr_windowed_stream_t *w, const fr_materialized_t *m, int64_t retention_ms);
fr_ktable_t *fr_windowed_stream_reduce(fr_windowed_stream_t *w, fr_reducer_fn fn, void *ctx,
                                       const fr_materialized_t *m, int64_t retention_ms);
fr_ktable_t *fr_windowed_stream_aggregate(fr_windowed_stream_t *w, fr_initializer_fn init, fr_aggregator_fn adder,
                                          fr_merger_fn merger, void *ctx, const fr_materialized_t *m,
                                          int64_t retention_ms);

/* ---- windowed keys ---- */

typedef struct fr_windowed {
    fr_datum_t key; /* decoded with the key serde; points into the windowed bytes */
    int64_t start, end;
} fr_windowed_t;

/* Decodes a windowed key (a BYTES datum as seen downstream of a windowed
 * table, or the key bytes of its output topic).  window_size_ms > 0: a
 * time-windowed key (end = start + size); 0: a session-windowed key.
 * FR_ERR_PARSE when the bytes are too short or the key bytes do not decode. */
int fr_windowed_key(const fr_datum_t *d, const fr_serde_t *key_serde, int64_t window_size_ms, fr_windowed_t *out);

/* ---- suppression ---- */

typedef enum fr_suppress_mode {
    FR_SUPPRESS_UNTIL_WINDOW_CLOSES, /* windowed tables only */
    FR_SUPPRESS_UNTIL_TIME_LIMIT,
} fr_suppress_mode_t;

typedef struct fr_suppressed {
    fr_suppress_mode_t mode;
    int64_t time_limit_ms; /* FR_SUPPRESS_UNTIL_TIME_LIMIT: >= 0 */
    const char *name;      /* processor name (its store: "<name>-store"); NULL: generated */
    int logging_disabled;  /* no changelog for the buffer (results buffered at a crash are lost) */
} fr_suppressed_t;

/* Kafka's Suppressed.untilWindowCloses(unbounded()) / untilTimeLimit(limit, unbounded()). */
fr_suppressed_t fr_suppressed_until_window_closes(void);
fr_suppressed_t fr_suppressed_until_time_limit(int64_t time_limit_ms);

/* A table with t's updates held back as s says (same serdes as t). */
fr_ktable_t *fr_ktable_suppress(fr_ktable_t *t, const fr_suppressed_t *s);

#endif
