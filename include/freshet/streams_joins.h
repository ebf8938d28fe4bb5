/*
 * streams_joins.h — joins and GlobalKTable (Kafka Streams' join DSL).
 *
 * Included by streams.h; the same conventions apply (see there): builder
 * calls return NULL on error and remember the first error, serdes NULL mean
 * "as the input", strings in options are copied, ctx pointers are borrowed.
 *
 * Semantics are Kafka's (3.x), with its join tables in dsl-api.html:
 *
 *  - KStream-KTable (join, leftJoin): only stream records trigger a lookup of
 *    the table's current value for the key; table updates update the table
 *    and emit nothing.  Stream records with a null key or value are dropped
 *    and counted.  The result keeps the stream record's timestamp.
 *  - KStream-KStream (join, leftJoin, outerJoin): records of either side join
 *    with the other side's records of the same key whose timestamps lie in
 *    the join window (this.ts - before <= other.ts <= this.ts + after).  Both
 *    sides are kept in window stores (with duplicates) for before + after +
 *    grace.  Left/outer results with no partner are emitted only once the
 *    window has closed (stream time > ts + after + grace for a left record),
 *    not eagerly: Kafka's ≥ 3.1 "spurious results" fix, with a shared store of
 *    not-yet-joined records.  The result timestamp is the larger of the two.
 *  - KTable-KTable (join, leftJoin, outerJoin): either side's update emits
 *    the change of the join result (new, old), a tombstone when a result
 *    disappears, Kafka's KTableKTable*Join processors.
 *  - KStream-GlobalKTable: the table is read in full by every task (all
 *    partitions of its topic); a key mapper picks the lookup key from each
 *    stream record, so no co-partitioning is needed.
 *
 * Co-partitioning.  Stream-table, stream-stream and table-table joins need
 * both inputs partitioned alike: a stream whose key changed (map, selectKey,
 * ...) goes through a repartition topic first (as groupBy does), and the
 * inputs' topics form a co-partition group whose partition counts must be
 * equal (fr_topology_copartition_groups() in fr_task.h lists them for the
 * runtime; builders check what they know).
 *
 * Tables joined with a stream or another table must be materialized (a
 * source table, an aggregation, or a table-table join given a
 * fr_materialized_t): the join reads the other side's store.  Joining an
 * unmaterialized table (e.g. a filter result) is an error at the call.
 */
#ifndef FRESHET_STREAMS_JOINS_H
#define FRESHET_STREAMS_JOINS_H

#include "freshet/streams.h"

/* Kafka's ValueJoinerWithKey: out = join(left, right).  In left/outer joins
 * a missing side is a null datum (is_null = 1).  key is read-only; it is a
 * null datum only for KStream-GlobalKTable joins of null-keyed records. */
typedef int (*fr_value_joiner_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *left,
                                  const fr_datum_t *right, fr_datum_t *out, fr_scratch_t *scratch);

/* Kafka's Joined (stream-table) and StreamJoined (stream-stream). */
typedef struct fr_joined {
    const fr_serde_t *key_serde;         /* NULL: the stream's */
    const fr_serde_t *value_serde;       /* this side's values; NULL: the stream's */
    const fr_serde_t *other_value_serde; /* NULL: the other side's */
    const char *name;                    /* processor names (and repartition topics) */
    const char *store_name;              /* stream-stream: base name of the window stores */
    int logging_disabled;                /* stream-stream: no changelogs for the window stores */
} fr_joined_t;

/* Kafka's JoinWindows, all in milliseconds. */
typedef struct fr_join_windows {
    int64_t before_ms, after_ms, grace_ms;
} fr_join_windows_t;

/* JoinWindows.ofTimeDifferenceAndGrace(diff, grace) / ofTimeDifferenceWithNoGrace(diff). */
fr_join_windows_t fr_join_windows_of(int64_t time_difference_ms, int64_t grace_ms);
fr_join_windows_t fr_join_windows_no_grace(int64_t time_difference_ms);
/* JoinWindows#before / #after: replace one bound. */
fr_join_windows_t fr_join_windows_before(fr_join_windows_t w, int64_t before_ms);
fr_join_windows_t fr_join_windows_after(fr_join_windows_t w, int64_t after_ms);

/* ---- KStream-KTable ---- value_out: the joiner's result serde (NULL: the stream's value serde). */
fr_kstream_t *fr_kstream_join_table(fr_kstream_t *s, fr_ktable_t *t, fr_value_joiner_fn fn, void *ctx,
                                    const fr_serde_t *value_out, const fr_joined_t *joined);
fr_kstream_t *fr_kstream_left_join_table(fr_kstream_t *s, fr_ktable_t *t, fr_value_joiner_fn fn, void *ctx,
                                         const fr_serde_t *value_out, const fr_joined_t *joined);

/* ---- KStream-KStream (windowed) ----
 * The window must have before + after >= 0 and grace >= 0. */
fr_kstream_t *fr_kstream_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                              fr_join_windows_t windows, const fr_serde_t *value_out, const fr_joined_t *joined);
fr_kstream_t *fr_kstream_left_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                                   fr_join_windows_t windows, const fr_serde_t *value_out,
                                   const fr_joined_t *joined);
fr_kstream_t *fr_kstream_outer_join(fr_kstream_t *s, fr_kstream_t *other, fr_value_joiner_fn fn, void *ctx,
                                    fr_join_windows_t windows, const fr_serde_t *value_out,
                                    const fr_joined_t *joined);

/* ---- KTable-KTable ----
 * m (may be NULL) materializes the result (m->name or a generated
 * KTABLE-MERGE-STATE-STORE-<n>); name (may be NULL) names the processors
 * (<name>, <name>-join-this, <name>-join-other). */
fr_ktable_t *fr_ktable_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                            const fr_serde_t *value_out, const fr_materialized_t *m, const char *name);
fr_ktable_t *fr_ktable_left_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                                 const fr_serde_t *value_out, const fr_materialized_t *m, const char *name);
fr_ktable_t *fr_ktable_outer_join(fr_ktable_t *t, fr_ktable_t *other, fr_value_joiner_fn fn, void *ctx,
                                  const fr_serde_t *value_out, const fr_materialized_t *m, const char *name);

/* ---- GlobalKTable ---- */
typedef struct fr_global_ktable fr_global_ktable_t;

/* A table over every partition of topic, in a key-value store named by
 * m->name or "<topic>-STATE-STORE-<n>"; never changelogged (the topic is its
 * changelog).  Owned by the builder. */
fr_global_ktable_t *fr_builder_global_table(fr_builder_t *b, const char *topic, const fr_consumed_t *consumed,
                                            const fr_materialized_t *m);
const char *fr_global_ktable_store_name(const fr_global_ktable_t *gt);

/* Joins each stream record with the global table's value for
 * mapper(key, value) (written with the table's key serde).  Inner: no
 * output when the lookup key is null or missing; left: the joiner gets a null
 * right side.  Stream records with a null value are dropped and counted (and
 * null keys too, unless the mapper is what gives them a lookup key). */
fr_kstream_t *fr_kstream_join_global(fr_kstream_t *s, fr_global_ktable_t *gt, fr_key_selector_fn mapper,
                                     void *mapper_ctx, fr_value_joiner_fn fn, void *ctx,
                                     const fr_serde_t *value_out, const char *name);
fr_kstream_t *fr_kstream_left_join_global(fr_kstream_t *s, fr_global_ktable_t *gt, fr_key_selector_fn mapper,
                                          void *mapper_ctx, fr_value_joiner_fn fn, void *ctx,
                                          const fr_serde_t *value_out, const char *name);

#endif
