/*
 * fr_task.h — the contract between a built topology and whatever runs it.
 *
 * Two drivers run topologies: the runtime (runtime/: librdkafka consumer
 * group, stream threads, changelog producer, commits) and the test driver
 * (driver/: in memory, no broker).  Both see a topology only through this
 * header, so neither knows how operators are wired.
 *
 * A built topology splits into sub-topologies: groups of processors connected
 * through the graph, each fed by its own source topics (user topics and
 * repartition topics).  A task is one sub-topology instance for one partition
 * number: it receives the records of that partition of every source topic of
 * the sub-topology, and owns its state stores (one LMDB environment, see
 * store/fr_store.h) in `<state.dir>/<application.id>/<sub>_<partition>/`,
 * the directory name Kafka Streams uses for task ids.
 *
 * Topic names given to and returned by these calls are full names: the
 * application id prefix of internal topics (`<application.id>-<name>-repartition`,
 * `<application.id>-<store>-changelog`) is already applied.
 *
 * Ownership: the topology owns everything returned by the fr_topology_*
 * queries (valid while the topology lives).  A task owns its stores; the
 * caller owns the task and frees it with fr_task_close().  Record slices
 * passed in are borrowed for the duration of the call; slices passed out
 * through fr_task_io_t are borrowed for the duration of the callback.
 * The topology is immutable once built and may be shared by tasks on many
 * threads; a task is used by one thread at a time.
 */
#ifndef FR_TASK_H
#define FR_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_store.h"
#include "freshet/streams.h"

typedef struct fr_task fr_task_t;

/* ---- what a topology needs from the cluster ---- */

typedef enum fr_internal_topic_kind {
    FR_INTERNAL_REPARTITION, /* cleanup.policy=delete, written and read by the application */
    FR_INTERNAL_CHANGELOG,   /* cleanup.policy=compact (compact,delete for window stores) */
} fr_internal_topic_kind_t;

typedef struct fr_internal_topic {
    const char *name;            /* full name */
    fr_internal_topic_kind_t kind;
    /* Partition count: -1 means "as many as the source topics of sub-topology
     * `copartition_sub`" (the runtime reads those counts from metadata). */
    int32_t partitions;
    size_t copartition_sub;
    const char *const *configs;  /* NULL-terminated key, value, key, value, ... (e.g. retention.ms for windowed changelogs) */
} fr_internal_topic_t;

size_t fr_topology_subtopology_count(const fr_topology_t *t);
/* Source topics of a sub-topology (user and repartition topics), full names. */
const char *const *fr_topology_source_topics(const fr_topology_t *t, size_t sub, size_t *n);
/* Topics the application must create before it runs (repartition and changelog topics). */
const fr_internal_topic_t *fr_topology_internal_topics(const fr_topology_t *t, size_t *n);
/* Global tables: topics read in full by every instance (GlobalKTable), with no tasks of their own. */
const char *const *fr_topology_global_topics(const fr_topology_t *t, size_t *n);
/* Co-partition groups (one per join): source topics that must have equal
 * partition counts.  copartition_topics fills up to cap full names of group
 * i (owned by the topology) and returns how many there are.  The runtime
 * checks the counts it reads from metadata with check_copartition (count
 * returns < 1 for unknown topics, which are skipped): FR_ERR_INVALID_PARTITIONS
 * with a message naming the join and topics, like Kafka's "Topics not
 * co-partitioned". */
size_t fr_topology_copartition_count(const fr_topology_t *t);
size_t fr_topology_copartition_topics(const fr_topology_t *t, size_t i, const char **out, size_t cap);
int fr_topology_check_copartition(const fr_topology_t *t, int32_t (*count)(void *ctx, const char *topic), void *ctx,
                                  char *err, size_t errlen);

/* ---- a running task ---- */

typedef struct fr_record_in {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;          /* the record's timestamp (the extractor is applied inside the task) */
    fr_slice_t key;             /* null slice for a null key */
    fr_slice_t value;           /* null slice for a null value (tombstone) */
    const fr_header_t *headers; /* may be NULL when nheaders is 0 */
    size_t nheaders;
} fr_record_in_t;

/* How a task sends records out: sinks, repartition topics and changelogs all
 * go through `send` (partition -1: the caller partitions by key bytes with
 * Kafka's default partitioner, murmur2).  The runtime hands them to its
 * producer; the test driver keeps them in memory. */
typedef struct fr_task_io {
    void *ctx;
    int (*send)(void *ctx, const char *topic, int32_t partition, fr_slice_t key, fr_slice_t value, int64_t timestamp,
                const fr_header_t *headers, size_t nheaders);
    /* Partition count of a topic, for user partitioners (Produced /
     * Repartitioned): < 1 when unknown, and the record then goes with
     * partition -1.  May be NULL (same effect). */
    int32_t (*partition_count)(void *ctx, const char *topic);
} fr_task_io_t;

typedef struct fr_task_opts {
    const char *state_dir;   /* <state.dir>/<application.id> (the task adds <sub>_<partition>) */
    size_t cache_max_bytes;  /* this task's share of cache.max.bytes.buffering; 0 = every update goes downstream */
    int64_t wall_clock_ms;   /* the clock at creation (wall-clock punctuators start from here) */
    size_t store_map_bytes;  /* the task's LMDB map (freshet.state.store.map.bytes); 0 = the store's default */
} fr_task_opts_t;

int fr_task_open(const fr_topology_t *t, size_t sub, int32_t partition, const fr_task_opts_t *opts,
                 const fr_task_io_t *io, fr_task_t **out);
void fr_task_close(fr_task_t *task); /* aborts uncommitted store writes; NULL is a no-op */

/* Global tables: one task per global node group (fr_topology_global_count),
 * fed the records of every partition of its topics, state in
 * "<opts->state_dir>/global" ("global-<n>" for group n > 0), no changelogs (the topic is the changelog:
 * restoring is re-reading it).  Process, flush, commit and close it like any
 * task.  The other tasks read its stores through the lookup given to
 * fr_task_set_global_stores() (without one, a KStream-GlobalKTable join fails
 * at its first record).  LMDB lets only the owning thread use the write
 * transaction, so a runtime running global tasks on another thread must hand
 * readers committed state (fr_task_set_global_reader). */
size_t fr_topology_global_count(const fr_topology_t *t);
/* The topics global task `global` reads (every partition of each). */
const char *const *fr_topology_global_source_topics(const fr_topology_t *t, size_t global, size_t *n);
int fr_task_open_global(const fr_topology_t *t, size_t global, const fr_task_opts_t *opts, const fr_task_io_t *io,
                        fr_task_t **out);
/* How this task finds global stores: lookup(ctx, name) returns the store or NULL. */
void fr_task_set_global_stores(fr_task_t *task, fr_kvstore_t *(*lookup)(void *ctx, const char *store), void *ctx);
/* A global store by name for a join in this task (NULL when not available). */
fr_kvstore_t *fr_task_global_kvstore(fr_task_t *task, const char *name);
/* Instead of the lookup, for a runtime whose global tasks run on another
 * thread: get(ctx, store, key, &value) reads the key from the committed state
 * of a global store (a store snapshot): 0, FR_ERR_NOT_FOUND for a missing
 * key, FR_ERR_INVALID_ARG for an unknown store.  The value must stay valid
 * until the task's next record (the runtime changes snapshots only between
 * records).  A reader takes precedence over the lookup. */
typedef int (*fr_task_global_get_fn)(void *ctx, const char *store, fr_slice_t key, fr_slice_t *value);
void fr_task_set_global_reader(fr_task_t *task, fr_task_global_get_fn get, void *ctx);
/* Reads a key of a global store through the reader, or else the lookup's
 * store: 0 (value borrowed as above), FR_ERR_NOT_FOUND for a missing key,
 * FR_ERR_INVALID_ARG when the store is not available to this task. */
int fr_task_global_get(fr_task_t *task, const char *store, fr_slice_t key, fr_slice_t *value);

/* Changelog partitions this task's stores write, and where restoration must
 * start (the checkpointed offset, or 0 when the store is new or was wiped). */
typedef struct fr_task_changelog {
    const char *topic;
    int32_t partition;
    int64_t restore_from;
} fr_task_changelog_t;
const fr_task_changelog_t *fr_task_changelogs(fr_task_t *task, size_t *n);
/* Applies one changelog record during restoration (no downstream effects). */
int fr_task_restore(fr_task_t *task, const fr_record_in_t *changelog_record);

/* Runs one input record through the sub-topology.  Stream time advances to
 * the record's timestamp; stream-time punctuators due by then fire right
 * after the record (Kafka's order: process, then punctuate).
 * Late records (beyond a window's grace) are dropped and counted.  A record
 * that cannot be deserialized is FR_ERR_PARSE (logged with topic, partition
 * and offset), or is skipped and counted with
 * default.deserialization.exception.handler=LogAndContinueExceptionHandler. */
int fr_task_process(fr_task_t *task, const fr_record_in_t *rec);
/* Fires wall-clock punctuators due at now_ms. */
int fr_task_punctuate_wall(fr_task_t *task, int64_t now_ms);

/* The commit protocol (see fr_store.h): flush caches (sends changelog and
 * downstream records through io), then, once the caller has every sent
 * record acknowledged, commit with the changelog offsets reached. */
int fr_task_flush(fr_task_t *task);
int fr_task_commit(fr_task_t *task, const fr_store_offset_t *changelog_offsets, size_t n);

/* Counters (Kafka's task metrics). */
typedef struct fr_task_metrics {
    int64_t processed;
    int64_t dropped_late;   /* records past a window's grace period */
    int64_t dropped;        /* records skipped: null keys into aggregations, bad bytes (log-and-continue), invalid timestamps */
    int64_t stream_time;
} fr_task_metrics_t;
void fr_task_metrics(const fr_task_t *task, fr_task_metrics_t *m);

/* 1 when the task has a store by that name (any thread: names are fixed at open). */
int fr_task_has_store(const fr_task_t *task, const char *name);

/* The task's store environment, for interactive queries (snapshots) and tests. */
fr_store_env_t *fr_task_store_env(fr_task_t *task);

#endif
