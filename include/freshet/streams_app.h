/*
 * freshet/streams_app.h — running a topology against a Kafka-protocol cluster
 * (Kafka Streams' KafkaStreams class).
 *
 *     fr_streams_t *app;
 *     char err[512];
 *     if (fr_streams_new(topology, config, &app, err, sizeof err) != 0 ||
 *         fr_streams_start(app, err, sizeof err) != 0) { ... }
 *     while (!got_sigterm && fr_streams_await(app, 500) == 0)  // the signal handler only sets the flag
 *         ;
 *     int rc = fr_streams_close(app);   // final commit, leaves the group, frees app
 *
 * Configuration (the config object of freshet/streams.h, Kafka Streams keys):
 *   application.id            required; the consumer group and the prefix of internal topics
 *   bootstrap.servers         required
 *   state.dir                 default "/tmp/kafka-streams" (Kafka's); stores live in
 *                             <state.dir>/<application.id>/<sub>_<partition>/
 *   num.stream.threads        default 1
 *   commit.interval.ms        default 30000
 *   cache.max.bytes.buffering default 10485760, split evenly over threads, and a
 *                             thread's share over its tasks
 *   processing.guarantee      at_least_once (default); exactly_once_v2 is refused
 *                             until Freshet brokers support transactions
 *   replication.factor        internal topics; default -1 (the broker's default)
 *   poll.ms                   longest wait of one consumer poll, default 100
 *   max.task.idle.ms          default 0: a task reading several partitions (a
 *                             join, a merge) processes the earliest of their
 *                             head records, and waits while one of them is
 *                             empty and not known to be caught up; > 0 also
 *                             waits that long once it is (counted from then
 *                             until it gets records again, as in Kafka);
 *                             -1 never waits
 *   buffered.records.per.partition  default 1000: past this many buffered
 *                             records a partition is paused until they drain
 *   repartition.purge.interval.ms  default 30000: how often records of
 *                             repartition topics below the committed offsets
 *                             are deleted (DeleteRecords)
 * Every other key goes to librdkafka: unprefixed keys to every client, and
 * `consumer.`, `producer.`, `restore.consumer.`, `admin.` prefixed keys to
 * that client only (e.g. consumer.session.timeout.ms=6000).  Keys that
 * neither the runtime nor librdkafka knows are an error at fr_streams_new.
 *
 * Partitioning: the runtime's producers use Kafka's default partitioner
 * (murmur2 of the key bytes, random for null keys), so records land where a
 * Java producer would put them.  Co-partitioned topics must have equal
 * partition counts (checked at start); the group uses the "range" assignor,
 * which gives one consumer the same partition number of every topic with the
 * same count, so each task's input partitions are on one thread.
 *
 * GlobalKTables: a global stream thread reads every partition of each global
 * topic (assign, no group; `restore.consumer.` settings apply).
 * fr_streams_start blocks until it has read them from the global checkpoint
 * (<state.dir>/<application.id>/global/.checkpoint) to their ends, so the
 * first stream record sees them all; later updates reach stream tasks after
 * the global thread's next commit (every poll batch), not synchronized with
 * stream time, as in Kafka.  Interactive queries read global stores too.
 *
 * Processing guarantee: at-least-once.  A record is reflected in the stores,
 * changelogs and output topics before its input offset is committed, so
 * nothing is lost; after a crash (kill -9) the records processed since the
 * last commit are processed again, and aggregates may count them twice.
 *
 * Threads: fr_streams_* calls may come from any thread, except that
 * fr_streams_close must not be called from a state listener or a query
 * callback, and no other call may race with fr_streams_close (it frees the
 * instance).  Errors: 0 or a negative fr_err_t; err/errlen (when given)
 * receive a message.
 */
#ifndef FRESHET_STREAMS_APP_H
#define FRESHET_STREAMS_APP_H

#include <stddef.h>
#include <stdint.h>

#include "freshet/streams.h"

typedef struct fr_streams fr_streams_t;

/* Kafka Streams' KafkaStreams.State. */
typedef enum fr_streams_state {
    FR_STREAMS_CREATED,
    FR_STREAMS_REBALANCING,      /* a rebalance or restoration is in progress on some thread */
    FR_STREAMS_RUNNING,
    FR_STREAMS_PENDING_SHUTDOWN, /* fr_streams_close is committing and leaving the group */
    FR_STREAMS_NOT_RUNNING,
    FR_STREAMS_ERROR,            /* a stream thread hit a fatal error; every thread stopped */
} fr_streams_state_t;

const char *fr_streams_state_name(fr_streams_state_t s); /* "RUNNING", ...; static storage */

/* Called on every state change, from the thread that caused it, with the
 * runtime's state lock held: keep it short, and call nothing but
 * fr_streams_state / fr_streams_error_message from it. */
typedef void (*fr_streams_state_listener_t)(void *ctx, fr_streams_state_t new_state, fr_streams_state_t old_state);

/*
 * Creates an application instance (state CREATED; nothing is contacted yet).
 * The topology is borrowed and must outlive the instance; the config is
 * copied (the caller keeps ownership).
 */
int fr_streams_new(const fr_topology_t *topology, const fr_streams_config_t *config, fr_streams_t **out, char *err,
                   size_t errlen);
/* Set before fr_streams_start. */
void fr_streams_set_state_listener(fr_streams_t *app, fr_streams_state_listener_t listener, void *ctx);

/*
 * Checks the source topics (missing ones are an error), creates the internal
 * topics (repartition and changelog) and starts the stream threads.  Returns
 * once the threads run (state REBALANCING until the first assignment is
 * restored, then RUNNING).
 */
int fr_streams_start(fr_streams_t *app, char *err, size_t errlen);

fr_streams_state_t fr_streams_state(fr_streams_t *app);
/* The fatal error that put the instance in ERROR ("" otherwise).  Valid until
 * fr_streams_close. */
const char *fr_streams_error_message(fr_streams_t *app);

/*
 * Waits up to timeout_ms for the instance to stop by itself (ERROR).  Returns
 * 0 on timeout while it still runs, 1 once it is in ERROR or NOT_RUNNING.
 * Meant for a main loop that also watches a signal flag (see above).
 */
int fr_streams_await(fr_streams_t *app, int64_t timeout_ms);
/* Waits up to timeout_ms for a state; 0 when reached, FR_ERR_REQUEST_TIMED_OUT otherwise. */
int fr_streams_wait_for_state(fr_streams_t *app, fr_streams_state_t s, int64_t timeout_ms);

/*
 * Clean shutdown: every thread commits (flush, acknowledged changelogs, store
 * commit, input offsets), leaves the group and closes its tasks; then the
 * instance is freed.  Returns 0, or the error that put it in ERROR.  NULL is
 * a no-op.
 */
int fr_streams_close(fr_streams_t *app);

/* ---- interactive queries ----
 *
 * Queries read the stores of this instance's tasks through a snapshot of the
 * last commit (so they see state as of at most commit.interval.ms ago).
 * Errors: FR_ERR_NOT_FOUND (no such key), FR_ERR_INVALID_ARG (no store of
 * that name in the topology), FR_ERR_NOT_LEADER_OR_FOLLOWER (the key's
 * partition belongs to another instance: ask it), FR_ERR_REBALANCE_IN_PROGRESS
 * (the instance is not RUNNING; retry: Kafka's InvalidStateStoreException).
 */

/* The partition a key's store entry lives in (murmur2 like Kafka's producer),
 * for routing a query to the instance that owns it. */
int fr_streams_store_partition(fr_streams_t *app, const char *store, const void *key, size_t keylen,
                               int32_t *partition);

/* Key-value get.  *value is malloc'd (the caller frees it); a zero-length
 * value gives a non-NULL *value. */
int fr_streams_store_get(fr_streams_t *app, const char *store, const void *key, size_t keylen, void **value,
                         size_t *value_len);

/* Called per entry; key and value are valid during the call.  Return non-zero to stop. */
typedef int (*fr_streams_kv_cb)(void *ctx, const void *key, size_t keylen, const void *value, size_t value_len);
/* Key-value range over every local task of the store: keys in [from, to]
 * (NULL bound = open), ascending within a task (tasks are not merged). */
int fr_streams_store_range(fr_streams_t *app, const char *store, const void *from, size_t fromlen, const void *to,
                           size_t tolen, fr_streams_kv_cb cb, void *ctx);

/* Window stores hold Kafka's ValueAndTimestamp (the window's latest record
 * timestamp, then the value): the callback gets them apart. */
typedef int (*fr_streams_window_cb)(void *ctx, int64_t window_start, int64_t timestamp, const void *value,
                                    size_t value_len);
/* One key's windows starting in [time_from, time_to], ascending by start. */
int fr_streams_store_window_fetch(fr_streams_t *app, const char *store, const void *key, size_t keylen,
                                  int64_t time_from, int64_t time_to, fr_streams_window_cb cb, void *ctx);

#endif
