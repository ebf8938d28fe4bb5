/*
 * fr_graph.h — the processor graph behind a builder and a topology (internal).
 *
 * A graph is a list of nodes (sources, processors, sinks) and store
 * definitions, all allocated in one arena owned by the graph.  Each node has
 * an operator vtable (fr_node_ops_t): a new operator kind (windowed
 * aggregation, a join, suppress, ...) is one new file that defines its ops
 * and a public function adding its node through fr_graph_add_node(); the
 * task runs any node through the vtable and never switches on the kind.
 *
 * Records between nodes are serialized bytes (fr_rec_t).  A node emits keys
 * and values in its own key_serde/value_serde (NULL: the configured default);
 * it reads them in its first parent's serdes.  KTable nodes pass changes:
 * value is the new value, old_value the previous one (is_change = 1).
 *
 * Naming follows Kafka's InternalStreamsBuilder: one counter shared by
 * processor and store names, "<PREFIX><10-digit index>".
 */
#ifndef FR_GRAPH_H
#define FR_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_logging.h"
#include "fr_task.h"
#include "freshet/streams.h"

typedef struct fr_node fr_node_t;

typedef enum fr_node_role {
    FR_NODE_SOURCE,
    FR_NODE_PROCESSOR,
    FR_NODE_SINK,
} fr_node_role_t;

typedef struct fr_rec {
    fr_slice_t key, value;
    fr_slice_t old_value; /* KTable change: the previous value (null slice when none) */
    int is_change;
    int64_t ts;
    const fr_header_t *headers;
    size_t nheaders;
} fr_rec_t;

typedef struct fr_node_ops {
    const char *kind; /* for log lines */
    /* Per-task set-up (optional): *state is handed to process and close. */
    int (*init)(fr_task_t *t, fr_node_t *n, void **state);
    int (*process)(fr_task_t *t, fr_node_t *n, void *state, const fr_rec_t *r);
    void (*close)(fr_task_t *t, fr_node_t *n, void *state);
} fr_node_ops_t;

struct fr_node {
    size_t id; /* index in the graph (creation order) */
    fr_node_role_t role;
    const fr_node_ops_t *ops;
    char *name;
    fr_node_t **children;
    size_t nchildren, children_cap;
    fr_node_t **parents;
    size_t nparents, parents_cap;
    char **stores; /* names of connected stores */
    size_t nstores;
    /* Source: its topics; sink: its topic (none with a topic extractor).
     * internal_topic: the names get the application id prefix at build. */
    char **topics;
    size_t ntopics;
    int internal_topic;
    char **full_topics; /* set at build */
    const fr_serde_t *key_serde, *value_serde; /* what this node emits; NULL = default */
    void *arg;   /* operator settings, in the graph arena */
    size_t sub;  /* sub-topology, set at build (global: index in the topology's globals) */
    int global;  /* part of a GlobalKTable (its source and table node): runs in no task of its own */
};

typedef enum fr_store_kind { FR_STORE_KV = 0, FR_STORE_WINDOW, FR_STORE_SESSION } fr_store_kind_t;

typedef struct fr_store_def {
    char *name;
    const fr_serde_t *key_serde, *value_serde; /* NULL = default */
    int logged, cached;
    fr_node_t *owner;  /* its forwards go to owner's children (NULL: a processor-API store) */
    char *changelog;   /* full changelog topic, set at build (NULL when not logged) */
    size_t sub;
    /* Window and session stores (fr_window*.c).  A window store forwards
     * Kafka's TimeWindowedSerializer key (key ‖ start, the seq stripped); a
     * session store its stored key (key ‖ end ‖ start).  timestamped (also
     * the KTables' key-value stores, fr_ts_value.h): stored values are
     * Kafka's ValueAndTimestamp bytes (8-byte BE timestamp ‖ value):
     * forwards and the changelog carry the plain value with that timestamp,
     * and restoration puts the changelog record's timestamp back in front. */
    fr_store_kind_t kind;
    int64_t retention_ms;
    int retain_duplicates, timestamped;
    const char *const *changelog_configs; /* NULL: cleanup.policy=compact */
} fr_store_def_t;

typedef struct fr_graph {
    fr_arena_t arena;
    fr_node_t **nodes;
    size_t nnodes, nodes_cap;
    fr_store_def_t **stores;
    size_t nstores, stores_cap;
    int index; /* Kafka's name counter */
    int err;
    char errmsg[256];
} fr_graph_t;

fr_graph_t *fr_graph_new(void);
void fr_graph_free(fr_graph_t *g);
/* Records the first error (sticky); returns err. */
int fr_graph_fail(fr_graph_t *g, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *fr_graph_strdup(fr_graph_t *g, const char *s);
/* "<prefix><10 digits>" from the shared counter. */
char *fr_graph_new_name(fr_graph_t *g, const char *prefix);
/* name if given (copied), else a generated one. */
char *fr_graph_name_or(fr_graph_t *g, const char *name, const char *prefix);
/* A node with parent (may be NULL) and the emitted serdes; NULL on error (recorded). */
fr_node_t *fr_graph_add_node(fr_graph_t *g, fr_node_role_t role, const fr_node_ops_t *ops, char *name,
                             fr_node_t *parent, const fr_serde_t *key_serde, const fr_serde_t *value_serde);
int fr_graph_link(fr_graph_t *g, fr_node_t *parent, fr_node_t *child);
int fr_graph_node_add_store(fr_graph_t *g, fr_node_t *n, const char *store);
int fr_graph_node_add_topic(fr_graph_t *g, fr_node_t *n, const char *topic);
fr_store_def_t *fr_graph_add_store(fr_graph_t *g, const char *name, const fr_serde_t *ks, const fr_serde_t *vs,
                                   int logged, int cached, fr_node_t *owner);
fr_store_def_t *fr_graph_find_store(const fr_graph_t *g, const char *name);
fr_node_t *fr_graph_find_node(const fr_graph_t *g, const char *name);
void *fr_graph_alloc(fr_graph_t *g, size_t n); /* zeroed */

/* ---- builder and handles ---- */

struct fr_builder {
    fr_graph_t *g; /* moves to the topology at build */
    fr_arena_t handles;
    int built;
    int err;
    char errmsg[256];
};

struct fr_kstream {
    fr_builder_t *b;
    fr_node_t *node;
    const fr_serde_t *key_serde, *value_serde;
    int repartition_required; /* the key changed since the last source or repartition */
};

struct fr_ktable {
    fr_builder_t *b;
    fr_node_t *node;
    const fr_serde_t *key_serde, *value_serde;
    fr_store_def_t *store; /* materialized store, or NULL */
};

struct fr_kgrouped_stream {
    fr_kstream_t s;     /* the stream being grouped (after the key selector, if any) */
    const fr_serde_t *key_serde, *value_serde;
    char *repartition_name; /* Grouped name, or NULL */
};

struct fr_kgrouped_table {
    fr_builder_t *b;
    fr_node_t *select;  /* emits changes keyed by the new key */
    const fr_serde_t *key_serde, *value_serde;
    char *repartition_name;
};

/* Checks a builder is usable (not built, no error): returns its graph or NULL. */
fr_graph_t *fr_builder_graph(fr_builder_t *b);
/* New handles (in the builder's handle arena). */
fr_kstream_t *fr_builder_new_kstream(fr_builder_t *b, fr_node_t *n, const fr_serde_t *ks, const fr_serde_t *vs,
                                     int repartition_required);
fr_ktable_t *fr_builder_new_ktable(fr_builder_t *b, fr_node_t *n, const fr_serde_t *ks, const fr_serde_t *vs,
                                   fr_store_def_t *store);

/* Built-in node kinds other files use. */
extern const fr_node_ops_t fr_source_ops;          /* validates bytes with its serdes, forwards */
extern const fr_node_ops_t fr_sink_ops;            /* sends through fr_task_io_t */
extern const fr_node_ops_t fr_null_key_filter_ops; /* drops (and counts) null keys before a repartition */

typedef struct fr_source_arg {
    int change_values; /* values are encoded KTable changes */
} fr_source_arg_t;

typedef struct fr_sink_arg {
    fr_partitioner_fn partitioner;
    void *partitioner_ctx;
    fr_topic_extractor_fn extractor;
    void *extractor_ctx;
    int change_values;  /* encode (new, old) into the value */
    int32_t partitions; /* repartition topics: requested count (0 = copartitioned) */
} fr_sink_arg_t;

/* Kafka's repartition (createRepartitionedSource): sink + null-key filter +
 * source around topic "<prefix>-repartition".  Names follow Kafka: generated
 * names when prefix is itself a generated name, else "<topic>-sink",
 * "<topic>-filter", "<topic>-source".  Returns the new source node.
 * change_values: the records carry KTable changes (encoded into the value). */
fr_node_t *fr_graph_add_repartition(fr_graph_t *g, fr_node_t *parent, const char *prefix, const fr_serde_t *ks,
                                    const fr_serde_t *vs, int with_filter, int change_values, int32_t partitions,
                                    fr_partitioner_fn partitioner, void *partitioner_ctx);

/* ---- shared by the aggregations (fr_aggregate.c, fr_window.c) ---- */

/* The value serde of an aggregation into *out: int64 for count, the input's
 * for reduce (NULL: the configured default), Materialized's when it names
 * one.  -1 after failing the graph: an aggregate() without a value serde, or
 * a count() whose serde is not int64. */
int fr_agg_value_serde(fr_graph_t *g, int is_count, int is_reduce, const fr_serde_t *input,
                       const fr_materialized_t *m, const fr_serde_t **out);
/* Where a grouped stream's aggregation reads from: the grouped stream, or,
 * when its key changed, a repartition topic named after the Grouped name or
 * else the store.  NULL after failing the graph. */
fr_node_t *fr_grouped_stream_source(fr_graph_t *g, fr_kgrouped_stream_t *gs, const char *store,
                                    const fr_serde_t *key_serde);

/* ---- helpers for operators (fr_task.c) ---- */

/* Serde of what node n reads (its first parent's output), defaults resolved. */
const fr_serde_t *fr_task_in_key_serde(const fr_task_t *t, const fr_node_t *n);
const fr_serde_t *fr_task_in_value_serde(const fr_task_t *t, const fr_node_t *n);
const fr_serde_t *fr_task_key_serde(const fr_task_t *t, const fr_serde_t *s);   /* s, or the default key serde */
const fr_serde_t *fr_task_value_serde(const fr_task_t *t, const fr_serde_t *s); /* s, or the default value serde */
/* Decode without validation (bytes inside the topology were validated at the
 * source or produced by an encode). */
void fr_serde_view(const fr_serde_t *s, fr_slice_t bytes, fr_datum_t *out);
/* Decodes r's key and value as node n reads them. */
void fr_task_view(const fr_task_t *t, const fr_node_t *n, const fr_rec_t *r, fr_datum_t *key, fr_datum_t *value);
/* Encodes a user result for node n; on a type mismatch logs which operator and fails. */
int fr_task_encode(fr_task_t *t, const fr_node_t *n, const fr_serde_t *s, const fr_datum_t *d, uint8_t buf8[8],
                   fr_slice_t *out);
/* Sends r to every child of n, depth first; stops at the first error. */
int fr_task_forward(fr_task_t *t, const fr_node_t *n, const fr_rec_t *r);
fr_scratch_t *fr_task_scratch(fr_task_t *t);
fr_scratch_t *fr_scratch_new(size_t block);
void fr_scratch_reset(fr_scratch_t *s);
void fr_scratch_free(fr_scratch_t *s);
const char *fr_type_str(fr_type_t t);
const fr_record_context_t *fr_task_record_context(const fr_task_t *t);
void fr_task_count_dropped(fr_task_t *t);
/* The task's handle on a store (NULL if the store is not in this task). */
fr_kvstore_t *fr_task_kvstore(fr_task_t *t, const char *name);
fr_winstore_t *fr_task_winstore(fr_task_t *t, const char *name);
fr_sessstore_t *fr_task_sessstore(fr_task_t *t, const char *name);
/* A record skipped for an expired window (Kafka's dropped-records, task metric dropped_late). */
void fr_task_count_dropped_late(fr_task_t *t);
const fr_topology_t *fr_task_topology(const fr_task_t *t);
const fr_store_def_t *fr_task_store_def(const fr_task_t *t, const char *name);
int64_t fr_task_stream_time(const fr_task_t *t);
/* The state node n's init set in this task (NULL before its init): for nodes
 * sharing per-task state, e.g. the two sides of a stream-stream join. */
void *fr_task_node_state(const fr_task_t *t, const fr_node_t *n);
/* Processor API: a punctuation schedule for processor context pc. */
int fr_task_schedule(fr_task_t *t, int64_t interval, fr_punctuation_type_t type, fr_punctuator_fn fn, void *ctx,
                     fr_processor_context_t *pc);
const fr_task_io_t *fr_task_io_of(const fr_task_t *t);
int32_t fr_task_partition(const fr_task_t *t);

/* Murmur2 as Kafka's default partitioner computes it. */
int32_t fr_murmur2(const uint8_t *data, size_t len);
int32_t fr_default_partition(fr_slice_t key, int32_t partitions);

/* KTable changes through a repartition topic: flags byte (1 new, 2 old),
 * int32 BE length of new, new bytes, old bytes. */
int fr_change_encode(fr_scratch_t *s, fr_slice_t new_value, fr_slice_t old_value, fr_slice_t *out);
int fr_change_decode(fr_slice_t bytes, fr_slice_t *new_value, fr_slice_t *old_value);

/* ---- the built topology ---- */

typedef enum fr_ts_policy {
    FR_TS_FAIL_ON_INVALID,  /* FailOnInvalidTimestamp (Kafka's default) */
    FR_TS_SKIP_ON_INVALID,  /* LogAndSkipOnInvalidTimestamp */
    FR_TS_PARTITION_TIME,   /* UsePartitionTimeOnInvalidTimestamp */
    FR_TS_WALL_CLOCK,       /* WallclockTimestampExtractor */
} fr_ts_policy_t;

typedef struct fr_sub {
    fr_node_t **nodes;   /* in id order */
    size_t nnodes;
    const char **topics; /* full source topic names */
    fr_node_t **topic_source; /* the source node of each topic */
    size_t ntopics;
    fr_store_def_t **stores;
    size_t nstores;
} fr_sub_t;

struct fr_topology {
    fr_graph_t *g;
    char *app_id;
    const fr_serde_t *default_key_serde, *default_value_serde;
    fr_ts_policy_t ts_policy;
    fr_timestamp_extractor_fn extractor; /* overrides ts_policy when set */
    void *extractor_ctx;
    int deser_continue; /* LogAndContinueExceptionHandler */
    fr_sub_t *subs;
    size_t nsubs;
    fr_internal_topic_t *internal;
    size_t ninternal;
    /* GlobalKTables: one node group each, not in subs (no partitioned tasks). */
    fr_sub_t *globals;
    size_t nglobals;
    const char **global_topics; /* NULL-terminated */
    size_t nglobal_topics;
};

int fr_ts_policy_parse(const char *v, fr_ts_policy_t *out);
int fr_deser_handler_parse(const char *v, int *cont);

/* Splits the graph into sub-topologies and lists internal topics (fr_topology.c). */
int fr_topology_layout(fr_topology_t *t, char *err, size_t errlen);

#endif
