/*
 * streams.h — Freshet Streams: Kafka Streams' DSL and processor API in C.
 *
 * A program builds a topology with a builder (fr_builder_*), from streams and
 * tables read from topics, through operators (filter, map, groupBy, count,
 * ...), to sinks; fr_builder_build() turns it into an immutable fr_topology_t
 * that the runtime (streams_app.h) or the test driver (streams_test_driver.h)
 * runs, and fr_topology_describe() prints like Kafka's Topology#describe().
 *
 * Data model.  Keys and values travel between operators as serialized bytes,
 * exactly as they would sit in a topic; every stream and table handle knows
 * the serdes of its keys and values.  User functions never see bytes: they get
 * typed views (fr_datum_t) decoded by the serde — a string is pointer+length
 * into the record, an int64 is an int64_t, JSON is validated text — and hand
 * back typed datums that the operator encodes with the declared output serde.
 * Nothing is copied or allocated per record on that path: views point into the
 * record, results that need memory take it from the task's scratch arena
 * (fr_scratch_alloc), which is reset between input records.
 *
 * Serde arguments: NULL means "the same serde as the input" for operators that
 * keep a type (filter, mapValues with an unchanged value type, ...), and "the
 * configured default" (default.key.serde / default.value.serde) for sources.
 *
 * Errors.  Builder calls never fail loudly: on a bad argument or out of memory
 * they return NULL, remember the first error in the builder, and every call
 * given a NULL handle returns NULL, so a chain of calls can be checked once at
 * fr_builder_build() (which reports the first error).  Everything else returns
 * 0 or a negative fr_err_t (common/fr_err.h); user functions return 0 (or 1/0
 * for predicates) and a negative value to fail the task with that error.
 *
 * Ownership.  The builder owns every handle it returns (streams, tables,
 * grouped streams); they are valid until fr_builder_free().  A topology owns
 * copies of everything it needs (names, serdes, the ctx pointers are borrowed:
 * the caller keeps user contexts alive while the topology runs).  Datums
 * passed to user functions are borrowed for the call.
 *
 * Threading.  A topology is immutable and may be shared by tasks on many
 * threads; user functions of one task are called from one thread at a time,
 * but the same function (and ctx) may run on several tasks at once.
 *
 * Windows, joins, suppression and GlobalKTable live in streams_windows.h and
 * streams_joins.h (follow-up); the runtime (fr_streams_t) in streams_app.h.
 */
#ifndef FRESHET_STREAMS_H
#define FRESHET_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h" /* fr_slice_t, and fr_err_t through fr_err.h */

/* ======================================================================
 * Configuration: Kafka Streams' keys, with Kafka's defaults.
 * ====================================================================== */

typedef struct fr_streams_config fr_streams_config_t;

/* Keys this library reads (any other key is kept and handed to the clients
 * by the runtime, e.g. librdkafka settings, as Kafka Streams passes client
 * configs through). */
#define FR_STREAMS_APPLICATION_ID "application.id"               /* required */
#define FR_STREAMS_BOOTSTRAP_SERVERS "bootstrap.servers"
#define FR_STREAMS_STATE_DIR "state.dir"                         /* /tmp/kafka-streams */
#define FR_STREAMS_NUM_STREAM_THREADS "num.stream.threads"       /* 1 */
#define FR_STREAMS_COMMIT_INTERVAL_MS "commit.interval.ms"       /* 30000 (100 with exactly_once_v2) */
#define FR_STREAMS_PROCESSING_GUARANTEE "processing.guarantee"   /* at_least_once | exactly_once_v2 */
#define FR_STREAMS_CACHE_MAX_BYTES "cache.max.bytes.buffering"   /* 10485760; statestore.cache.max.bytes is an alias */
#define FR_STREAMS_TIMESTAMP_EXTRACTOR "default.timestamp.extractor"
#define FR_STREAMS_DESER_HANDLER "default.deserialization.exception.handler"
#define FR_STREAMS_DEFAULT_KEY_SERDE "default.key.serde"         /* bytes */
#define FR_STREAMS_DEFAULT_VALUE_SERDE "default.value.serde"     /* bytes */
/* Ours, not Kafka's: the most state one task's stores may hold, the size of
 * its LMDB map (address space only: the file grows as the state does).
 * Default 17179869184 (16 GiB), at least 1048576.  A full map fails the task
 * with a message naming this key. */
#define FR_STREAMS_STATE_STORE_MAP_BYTES "freshet.state.store.map.bytes"

/* Returns NULL when out of memory.  The caller frees with fr_streams_config_free(). */
fr_streams_config_t *fr_streams_config_new(void);
void fr_streams_config_free(fr_streams_config_t *cfg); /* NULL is a no-op */
/* Sets a key (copies key and value).  Known keys are validated: a bad value is
 * FR_ERR_CONFIG with a message in err (err may be NULL).  Kafka's class names
 * are accepted where Kafka takes a class (e.g. "org.apache.kafka.streams.
 * processor.WallclockTimestampExtractor", "org.apache.kafka.common.
 * serialization.Serdes$StringSerde"), as are the short names. */
int fr_streams_config_set(fr_streams_config_t *cfg, const char *key, const char *value, char *err, size_t errlen);
/* Loads a .properties file (every key through fr_streams_config_set). */
int fr_streams_config_load(fr_streams_config_t *cfg, const char *path, char *err, size_t errlen);
/* The value set for key, else the default of a known key, else NULL; a NULL
 * cfg gives the defaults.  Valid until the key is set again or the config is
 * freed. */
const char *fr_streams_config_get(const fr_streams_config_t *cfg, const char *key);
/* Integer keys (num.stream.threads, commit.interval.ms, cache.max.bytes.buffering). */
int64_t fr_streams_config_get_int(const fr_streams_config_t *cfg, const char *key);
/* Every key that was set, in setting order (for passing client settings on). */
size_t fr_streams_config_count(const fr_streams_config_t *cfg);
int fr_streams_config_entry(const fr_streams_config_t *cfg, size_t i, const char **key, const char **value);

/* ======================================================================
 * Values: datums and serdes.
 * ====================================================================== */

typedef enum fr_type {
    FR_TYPE_BYTES = 0, /* raw bytes (Serdes.ByteArray) */
    FR_TYPE_STRING,    /* UTF-8 text, not NUL-terminated (Serdes.String) */
    FR_TYPE_INT64,     /* 8 bytes big-endian (Serdes.Long) */
    FR_TYPE_DOUBLE,    /* 8 bytes IEEE 754 big-endian (Serdes.Double) */
    FR_TYPE_JSON,      /* UTF-8 JSON text, validated (jansson) when decoded at a topic and when encoded */
} fr_type_t;

/* A typed view of one key or value.  For BYTES/STRING/JSON, ptr/len point at
 * memory owned by someone else (the record, the caller, the scratch arena). */
typedef struct fr_datum {
    fr_type_t type;
    int is_null;     /* a null key or value (tombstone); the other fields are unused */
    int64_t i64;     /* FR_TYPE_INT64 */
    double f64;      /* FR_TYPE_DOUBLE */
    const char *ptr; /* FR_TYPE_BYTES / STRING / JSON */
    size_t len;
} fr_datum_t;

fr_datum_t fr_datum_null(void);
fr_datum_t fr_datum_str(const char *s); /* NUL-terminated; borrowed */
fr_datum_t fr_datum_strn(const char *s, size_t len);
fr_datum_t fr_datum_bytes(const void *p, size_t len);
fr_datum_t fr_datum_json(const char *text);
fr_datum_t fr_datum_i64(int64_t v);
fr_datum_t fr_datum_f64(double v);
/* 1 when d is a non-null byte-like datum equal to the C string. */
int fr_datum_eq_str(const fr_datum_t *d, const char *s);

/* Serdes are static singletons: never freed, shareable everywhere. */
typedef struct fr_serde fr_serde_t;
const fr_serde_t *fr_serde_bytes(void);
const fr_serde_t *fr_serde_string(void);
const fr_serde_t *fr_serde_int64(void);
const fr_serde_t *fr_serde_double(void);
const fr_serde_t *fr_serde_json(void);
/* "bytes", "string", "long"/"int64", "double", "json", or Kafka's Serdes$XSerde class names; NULL if unknown. */
const fr_serde_t *fr_serde_by_name(const char *name);
fr_type_t fr_serde_type(const fr_serde_t *s);
const char *fr_serde_name(const fr_serde_t *s);
/* Decodes bytes into a view (no copy: out points into bytes).  A null slice
 * gives a null datum.  Bad bytes (an int64 that is not 8 bytes, invalid JSON)
 * are FR_ERR_PARSE. */
int fr_serde_decode(const fr_serde_t *s, fr_slice_t bytes, fr_datum_t *out);
/* Encodes d.  Byte-like datums are not copied (*out points at d->ptr); numbers
 * are written into buf8 (8 bytes, owned by the caller), which *out then points
 * at.  A datum whose type the serde cannot carry is FR_ERR_INVALID_ARG; text
 * that is not JSON for the JSON serde is FR_ERR_PARSE. */
int fr_serde_encode(const fr_serde_t *s, const fr_datum_t *d, uint8_t buf8[8], fr_slice_t *out);

/* Per-task scratch memory for results of user functions (strings built by a
 * mapper, ...).  Valid until the operator that received it has forwarded the
 * result (in practice: until the current input record is done). */
typedef struct fr_scratch fr_scratch_t;
void *fr_scratch_alloc(fr_scratch_t *s, size_t n);       /* NULL when out of memory */
char *fr_scratch_strndup(fr_scratch_t *s, const char *p, size_t n);

/* ======================================================================
 * Records: headers and context.
 * ====================================================================== */

typedef struct fr_header {
    const char *key;   /* NUL-terminated */
    fr_slice_t value;  /* may be null */
} fr_header_t;

/* Where the record being processed came from (Kafka's RecordContext).  In a
 * punctuator: topic NULL, partition = the task's, offset -1, timestamp = the
 * punctuation time, no headers. */
typedef struct fr_record_context {
    const char *topic; /* full topic name */
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const fr_header_t *headers;
    size_t nheaders;
} fr_record_context_t;

/* A pluggable timestamp extractor (default.timestamp.extractor as a function).
 * rc->timestamp is the record's own timestamp; partition_time is the highest
 * timestamp seen so far on the partition (-1 at first).  Returning a negative
 * timestamp makes the record invalid: it is skipped and counted. */
typedef int64_t (*fr_timestamp_extractor_fn)(void *ctx, const fr_record_context_t *rc, fr_slice_t key,
                                             fr_slice_t value, int64_t partition_time);
/* Replaces default.timestamp.extractor.  fn NULL restores the configured one. */
void fr_streams_config_set_timestamp_extractor(fr_streams_config_t *cfg, fr_timestamp_extractor_fn fn, void *ctx);
fr_timestamp_extractor_fn fr_streams_config_timestamp_extractor(const fr_streams_config_t *cfg, void **ctx);

/* ======================================================================
 * User functions.  ctx is the pointer given with the function.  Return 0 on
 * success, a negative fr_err_t to fail the task.  Predicates return 1 (keep),
 * 0 (drop) or a negative error.
 * ====================================================================== */

typedef struct fr_emitter fr_emitter_t;

typedef int (*fr_predicate_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value);
typedef int (*fr_value_mapper_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out,
                                  fr_scratch_t *scratch);
typedef int (*fr_key_value_mapper_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value,
                                      fr_datum_t *out_key, fr_datum_t *out_value, fr_scratch_t *scratch);
typedef int (*fr_key_selector_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                                  fr_scratch_t *scratch);
/* Calls fr_emit() zero or more times. */
typedef int (*fr_flat_mapper_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_emitter_t *emit);
typedef int (*fr_action_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value);
typedef int (*fr_initializer_fn)(void *ctx, fr_datum_t *out, fr_scratch_t *scratch);
/* out = agg (+|-) value.  Setting out to null (table subtractor) removes the key. */
typedef int (*fr_aggregator_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value, const fr_datum_t *agg,
                                fr_datum_t *out, fr_scratch_t *scratch);
typedef int (*fr_reducer_fn)(void *ctx, const fr_datum_t *agg, const fr_datum_t *value, fr_datum_t *out,
                             fr_scratch_t *scratch);
/* Partition for a record, or a negative value for the default (murmur2 of the key bytes). */
typedef int32_t (*fr_partitioner_fn)(void *ctx, const char *topic, const fr_datum_t *key, const fr_datum_t *value,
                                     int32_t num_partitions);
/* Topic for a record (Kafka's TopicNameExtractor); the string must outlive the call. */
typedef const char *(*fr_topic_extractor_fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value,
                                             const fr_record_context_t *rc);

/* Inside a flat mapper: forwards one record (flatMapValues ignores key, which may be NULL). */
int fr_emit(fr_emitter_t *e, const fr_datum_t *key, const fr_datum_t *value);
fr_scratch_t *fr_emitter_scratch(fr_emitter_t *e);

/* ======================================================================
 * Options (Kafka's Consumed, Produced, Grouped, Materialized, Repartitioned).
 * Every pointer may be NULL; every field may be zero/NULL for the default.
 * Strings are copied.
 * ====================================================================== */

typedef struct fr_consumed {
    const fr_serde_t *key_serde, *value_serde;
    const char *name; /* source processor name */
} fr_consumed_t;

typedef struct fr_produced {
    const fr_serde_t *key_serde, *value_serde; /* must match the stream's serdes, or be bytes (raw pass) */
    fr_partitioner_fn partitioner;
    void *partitioner_ctx;
    const char *name; /* sink processor name */
} fr_produced_t;

typedef struct fr_grouped {
    const char *name; /* names the repartition topic (<name>-repartition) and its processors */
    const fr_serde_t *key_serde, *value_serde;
} fr_grouped_t;

typedef struct fr_materialized {
    const char *name;                          /* store name (queryable), else generated */
    const fr_serde_t *key_serde, *value_serde; /* value_serde is required by aggregate() */
    int logging_disabled;                      /* no changelog topic */
} fr_materialized_t;

typedef struct fr_repartitioned {
    const char *name; /* topic <name>-repartition */
    const fr_serde_t *key_serde, *value_serde;
    int32_t partitions; /* 0: as many as the upstream sub-topology's sources */
    fr_partitioner_fn partitioner;
    void *partitioner_ctx;
} fr_repartitioned_t;

/* ======================================================================
 * Builder and handles.
 * ====================================================================== */

typedef struct fr_builder fr_builder_t;
typedef struct fr_kstream fr_kstream_t;
typedef struct fr_ktable fr_ktable_t;
typedef struct fr_kgrouped_stream fr_kgrouped_stream_t;
typedef struct fr_kgrouped_table fr_kgrouped_table_t;
typedef struct fr_branched fr_branched_t;
typedef struct fr_topology fr_topology_t;

fr_builder_t *fr_builder_new(void); /* NULL when out of memory */
void fr_builder_free(fr_builder_t *b); /* frees every handle; NULL is a no-op */
/* The first error a builder call hit (0 when none) and its message. */
int fr_builder_error(const fr_builder_t *b, const char **msg);

fr_kstream_t *fr_builder_stream(fr_builder_t *b, const char *topic, const fr_consumed_t *consumed);
/* Several topics into one source node (Kafka's stream(Collection<String>)). */
fr_kstream_t *fr_builder_stream_topics(fr_builder_t *b, const char *const *topics, size_t n,
                                       const fr_consumed_t *consumed);
/* A table from a topic, materialized in a key-value store (named by
 * materialized->name, else "<topic>-STATE-STORE-<n>"), changelogged. */
fr_ktable_t *fr_builder_table(fr_builder_t *b, const char *topic, const fr_consumed_t *consumed,
                              const fr_materialized_t *materialized);

/* Builds the topology (application.id from cfg names its internal topics;
 * cfg is only read during the call).  The builder stays usable only for
 * fr_builder_free().  On error returns FR_ERR_INVALID_ARG / FR_ERR_CONFIG /
 * FR_ERR_NOMEM with a message in err. */
int fr_builder_build(fr_builder_t *b, const fr_streams_config_t *cfg, fr_topology_t **out, char *err, size_t errlen);
void fr_topology_free(fr_topology_t *t); /* NULL is a no-op */
/* Kafka's Topology#describe() text (same layout and node names; internal
 * topics without the application id prefix, as Kafka prints them).  Returns a
 * NUL-terminated string the caller frees with free(), or NULL when out of memory. */
char *fr_topology_describe(const fr_topology_t *t);

/* ---- KStream: stateless operators ----
 * name (may be NULL) names the processor (Kafka's Named); otherwise the
 * processor gets Kafka's generated name (KSTREAM-FILTER-0000000001, ...). */
fr_kstream_t *fr_kstream_filter(fr_kstream_t *s, fr_predicate_fn fn, void *ctx, const char *name);
fr_kstream_t *fr_kstream_filter_not(fr_kstream_t *s, fr_predicate_fn fn, void *ctx, const char *name);
/* Output serdes NULL = unchanged. */
fr_kstream_t *fr_kstream_map(fr_kstream_t *s, fr_key_value_mapper_fn fn, void *ctx, const fr_serde_t *key_out,
                             const fr_serde_t *value_out, const char *name);
fr_kstream_t *fr_kstream_map_values(fr_kstream_t *s, fr_value_mapper_fn fn, void *ctx, const fr_serde_t *value_out,
                                    const char *name);
fr_kstream_t *fr_kstream_flat_map(fr_kstream_t *s, fr_flat_mapper_fn fn, void *ctx, const fr_serde_t *key_out,
                                  const fr_serde_t *value_out, const char *name);
fr_kstream_t *fr_kstream_flat_map_values(fr_kstream_t *s, fr_flat_mapper_fn fn, void *ctx,
                                         const fr_serde_t *value_out, const char *name);
fr_kstream_t *fr_kstream_select_key(fr_kstream_t *s, fr_key_selector_fn fn, void *ctx, const fr_serde_t *key_out,
                                    const char *name);
fr_kstream_t *fr_kstream_peek(fr_kstream_t *s, fr_action_fn fn, void *ctx, const char *name);
/* Terminal; returns 0 or the builder's error. */
int fr_kstream_foreach(fr_kstream_t *s, fr_action_fn fn, void *ctx, const char *name);
fr_kstream_t *fr_kstream_merge(fr_kstream_t *a, fr_kstream_t *b, const char *name);

/* split(): each record goes to the first branch whose predicate keeps it, else
 * to the default branch (if any), else nowhere.  Branch processors are named
 * "<split name><branch name>" (default branch name: its 1-based index, "0"
 * for the default branch), like Kafka's BranchedKStream. */
fr_branched_t *fr_kstream_split(fr_kstream_t *s, const char *name);
fr_kstream_t *fr_branched_branch(fr_branched_t *br, fr_predicate_fn fn, void *ctx, const char *branch_name);
fr_kstream_t *fr_branched_default(fr_branched_t *br, const char *branch_name);

/* Writes to a topic; returns 0 or the builder's error. */
int fr_kstream_to(fr_kstream_t *s, const char *topic, const fr_produced_t *produced);
/* Writes to the topic the extractor picks per record. */
int fr_kstream_to_extractor(fr_kstream_t *s, fr_topic_extractor_fn fn, void *ctx, const fr_produced_t *produced);
/* Through an internal topic <application.id>-<name>-repartition. */
fr_kstream_t *fr_kstream_repartition(fr_kstream_t *s, const fr_repartitioned_t *repartitioned);

/* ---- grouping and aggregation ---- */
fr_kgrouped_stream_t *fr_kstream_group_by_key(fr_kstream_t *s, const fr_grouped_t *grouped);
/* Key change: records go through a repartition topic before the aggregation. */
fr_kgrouped_stream_t *fr_kstream_group_by(fr_kstream_t *s, fr_key_selector_fn fn, void *ctx,
                                          const fr_serde_t *key_out, const fr_grouped_t *grouped);
/* Null keys and null values are dropped (and counted), as in Kafka. */
fr_ktable_t *fr_kgrouped_stream_count(fr_kgrouped_stream_t *g, const fr_materialized_t *m);
fr_ktable_t *fr_kgrouped_stream_reduce(fr_kgrouped_stream_t *g, fr_reducer_fn fn, void *ctx,
                                       const fr_materialized_t *m);
/* m->value_serde is the aggregate's serde (required). */
fr_ktable_t *fr_kgrouped_stream_aggregate(fr_kgrouped_stream_t *g, fr_initializer_fn init, fr_aggregator_fn adder,
                                          void *ctx, const fr_materialized_t *m);

/* ---- KTable ---- */
/* Change semantics as Kafka's with old values enabled: an update that no
 * longer passes the filter is forwarded as a delete of the key. */
fr_ktable_t *fr_ktable_filter(fr_ktable_t *t, fr_predicate_fn fn, void *ctx, const char *name);
fr_ktable_t *fr_ktable_filter_not(fr_ktable_t *t, fr_predicate_fn fn, void *ctx, const char *name);
fr_ktable_t *fr_ktable_map_values(fr_ktable_t *t, fr_value_mapper_fn fn, void *ctx, const fr_serde_t *value_out,
                                  const char *name);
fr_kstream_t *fr_ktable_to_stream(fr_ktable_t *t, const char *name);
/* Name of the store behind a table (NULL when it is not materialized). */
const char *fr_ktable_store_name(const fr_ktable_t *t);
/* Re-groups a table (always through a repartition topic): each update is sent
 * as a change (old pair subtracted, new pair added). */
fr_kgrouped_table_t *fr_ktable_group_by(fr_ktable_t *t, fr_key_value_mapper_fn fn, void *ctx,
                                        const fr_serde_t *key_out, const fr_serde_t *value_out,
                                        const fr_grouped_t *grouped);
fr_ktable_t *fr_kgrouped_table_count(fr_kgrouped_table_t *g, const fr_materialized_t *m);
fr_ktable_t *fr_kgrouped_table_reduce(fr_kgrouped_table_t *g, fr_reducer_fn adder, fr_reducer_fn subtractor,
                                      void *ctx, const fr_materialized_t *m);
fr_ktable_t *fr_kgrouped_table_aggregate(fr_kgrouped_table_t *g, fr_initializer_fn init, fr_aggregator_fn adder,
                                         fr_aggregator_fn subtractor, void *ctx, const fr_materialized_t *m);

/* ======================================================================
 * Processor API.
 * ====================================================================== */

typedef struct fr_processor_context fr_processor_context_t;
typedef struct fr_kv fr_kv_t;

typedef enum fr_punctuation_type {
    FR_PUNCTUATE_STREAM_TIME, /* fires as stream time (record timestamps) passes each interval, aligned to 0 */
    FR_PUNCTUATE_WALL_CLOCK,  /* fires as the task's wall clock passes each interval from the schedule call */
} fr_punctuation_type_t;

typedef int (*fr_punctuator_fn)(void *ctx, fr_processor_context_t *pc, int64_t timestamp);

/* One processor instance is made per task: init gets the supplier's ctx and
 * may set *state to per-task memory (it defaults to ctx); process and close
 * get that state.  init and close are optional. */
typedef struct fr_processor_supplier {
    void *ctx;
    int (*init)(void *ctx, fr_processor_context_t *pc, void **state);
    int (*process)(void *state, fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value);
    void (*close)(void *state);
} fr_processor_supplier_t;

/* A key-value store that processors can name (Kafka's addStateStore). */
int fr_builder_add_kv_store(fr_builder_t *b, const fr_materialized_t *m);
/* Kafka's KStream#process: a processor connected to the named stores; the
 * returned stream carries what it forwards (serdes NULL = unchanged). */
fr_kstream_t *fr_kstream_process(fr_kstream_t *s, const fr_processor_supplier_t *supplier,
                                 const char *const *store_names, size_t nstores, const fr_serde_t *key_out,
                                 const fr_serde_t *value_out, const char *name);

/* Inside init/process/punctuate only. */
int fr_pctx_forward(fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value);
/* Forwards with an explicit timestamp (Kafka's Record#withTimestamp). */
int fr_pctx_forward_ts(fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value, int64_t ts);
const fr_record_context_t *fr_pctx_record_context(const fr_processor_context_t *pc);
int32_t fr_pctx_partition(const fr_processor_context_t *pc); /* the task's partition */
int64_t fr_pctx_stream_time(const fr_processor_context_t *pc);
const char *fr_pctx_application_id(const fr_processor_context_t *pc);
fr_scratch_t *fr_pctx_scratch(fr_processor_context_t *pc);
/* In init only: schedules fn every interval_ms. */
int fr_pctx_schedule(fr_processor_context_t *pc, int64_t interval_ms, fr_punctuation_type_t type, fr_punctuator_fn fn,
                     void *ctx);
/* A store connected to this processor; NULL if not connected. */
fr_kv_t *fr_pctx_kv(fr_processor_context_t *pc, const char *store_name);
/* Typed access through the store's serdes.  get: FR_ERR_NOT_FOUND when
 * missing; the value is valid until the next write to the task's stores. */
int fr_kv_get(fr_kv_t *kv, const fr_datum_t *key, fr_datum_t *value);
int fr_kv_put(fr_kv_t *kv, const fr_datum_t *key, const fr_datum_t *value); /* null value deletes */
int fr_kv_delete(fr_kv_t *kv, const fr_datum_t *key);
/* Calls fn for every entry in key-byte order; fn returns 0 to go on, 1 to stop, < 0 to fail. */
int fr_kv_all(fr_kv_t *kv, int (*fn)(void *ctx, const fr_datum_t *key, const fr_datum_t *value), void *ctx);

#include "freshet/streams_windows.h" /* windows and suppression */
#include "freshet/streams_joins.h"   /* joins and GlobalKTable */

#endif
