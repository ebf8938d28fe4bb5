/*
 * fr_join.h — helpers shared by the join operators (internal).
 *
 * Joins read the other side through its store and hand both sides to the
 * user's joiner; these helpers do the common parts: dropping records Kafka
 * skips, calling the joiner and encoding its result, repartitioning a stream
 * whose key changed, and recording co-partition groups for the topology.
 */
#ifndef FR_JOIN_H
#define FR_JOIN_H

#include "fr_graph.h"
#include "freshet/streams_joins.h"

/* Logs (with the record's topic/partition/offset) and counts a skipped record. */
int fr_join_drop(fr_task_t *t, const fr_node_t *n, const char *why);

/* Calls fn(key, left, right) and encodes the result with node n's value
 * serde into *out, copied into the task's scratch arena (the inputs may
 * point into store memory that the next write moves).  A null result is a
 * null slice. */
int fr_join_apply(fr_task_t *t, const fr_node_t *n, fr_value_joiner_fn fn, void *ctx, const fr_datum_t *key,
                  const fr_datum_t *left, const fr_datum_t *right, fr_slice_t *out);

/* A stream ready to join: s itself, or s through a repartition topic
 * "<prefix>-repartition" when its key changed (Kafka's repartitionForJoin).
 * Returns the source node to join from (NULL on error, recorded). */
fr_node_t *fr_join_copartitioned(fr_kstream_t *s, const char *prefix, const fr_serde_t *ks, const fr_serde_t *vs);

/* A table's store for a join, or NULL (error recorded) when the table is not materialized. */
fr_store_def_t *fr_join_table_store(fr_graph_t *g, const fr_ktable_t *t, const char *what);

/* Join nodes whose two inputs must be co-partitioned: fr_topology_copartition_*
 * walks each one's inputs up to their sources.  arg of such nodes starts with
 * this header. */
typedef struct fr_join_inputs {
    fr_node_t *left, *right; /* the inputs whose upstream sources form one group */
} fr_join_inputs_t;
int fr_join_is_copartition_node(const fr_node_t *n);
/* End of fr_topology_layout: checks explicit partition counts of each
 * co-partition group and sizes its repartition topics like the join's other inputs. */
int fr_join_copartition_layout(fr_topology_t *t, char *err, size_t errlen);

/* Ops of the join nodes that carry fr_join_inputs_t (in their files). */
extern const fr_node_ops_t fr_join_stream_table_ops;     /* fr_join_stream_table.c */
extern const fr_node_ops_t fr_join_table_table_ops[2];   /* fr_join_table_table.c: this, other */
extern const fr_node_ops_t fr_join_stream_stream_ops[2]; /* fr_join_stream_stream.c: this, other */

#endif
