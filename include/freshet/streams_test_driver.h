/*
 * streams_test_driver.h — run a topology without a broker (Kafka's
 * TopologyTestDriver).
 *
 * The driver opens every task of every sub-topology (partitions per topic:
 * opts.partitions, 1 by default) with state in a temporary directory that
 * fr_test_driver_free() removes.  It keeps every topic in memory: records
 * piped in run through the task that owns their partition; records sent to a
 * repartition topic (or any topic the topology reads) are appended there and
 * then processed by the task that reads it, in send order, before the pipe
 * call returns; sink and changelog records stay readable, in order.
 * A GlobalKTable's topic (piped or written) feeds one global task, whose
 * store every task's global joins read.
 *
 * Time.  Stream time comes from the piped timestamps.  The wall clock starts
 * at opts.start_wall_clock_ms and moves only with
 * fr_test_driver_advance_wall_clock(), which fires wall-clock punctuators and
 * commits (flushing record caches) whenever commit.interval.ms has passed.
 * Caches are also flushed by fr_test_driver_commit() and when the driver is
 * freed — so with cache.max.bytes.buffering > 0, output appears deduplicated
 * after a commit, and with 0 it appears update by update.
 *
 * Ownership: the driver borrows the topology (keep it alive until the driver
 * is freed) and reads cfg only in fr_test_driver_new().  Records and values
 * handed out point into the driver's memory: record bytes stay valid until
 * the driver is freed; store values until the next driver call.
 */
#ifndef FRESHET_STREAMS_TEST_DRIVER_H
#define FRESHET_STREAMS_TEST_DRIVER_H

#include "freshet/streams.h"

typedef struct fr_test_driver fr_test_driver_t;

typedef struct fr_test_driver_opts {
    int32_t partitions;          /* partitions of every topic; 0 = 1 */
    int64_t start_wall_clock_ms; /* 0 = 0 */
} fr_test_driver_opts_t;

/* opts may be NULL.  Errors: FR_ERR_CONFIG (no application.id), FR_ERR_IO
 * (temp dir), store errors; a message goes to err. */
int fr_test_driver_new(const fr_topology_t *t, const fr_streams_config_t *cfg, const fr_test_driver_opts_t *opts,
                       fr_test_driver_t **out, char *err, size_t errlen);
/* Flushes caches, closes every task and removes the state directory; NULL is a no-op. */
void fr_test_driver_free(fr_test_driver_t *d);

/* Pipes one record into a source topic (the partition by Kafka's default
 * partitioner on the key bytes).  Returns the processing result: 0, or the
 * error a task hit (FR_ERR_PARSE for bytes the source serde rejects, a user
 * function's error, ...); FR_ERR_UNKNOWN_TOPIC_OR_PARTITION when no
 * sub-topology reads the topic. */
int fr_test_driver_pipe_raw(fr_test_driver_t *d, const char *topic, fr_slice_t key, fr_slice_t value, int64_t ts,
                            const fr_header_t *headers, size_t nheaders);
/* Same, with datums encoded by their own type (string as UTF-8, int64 as 8
 * bytes BE, ...).  key or value NULL means null. */
int fr_test_driver_pipe(fr_test_driver_t *d, const char *topic, const fr_datum_t *key, const fr_datum_t *value,
                        int64_t ts);

typedef struct fr_test_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    fr_slice_t key, value;
    int64_t timestamp;
    const fr_header_t *headers;
    size_t nheaders;
} fr_test_record_t;

/* Next unread record written to topic (full name: internal topics carry the
 * application id prefix), in the order they were sent.  1 when a record was
 * read, 0 when there is none. */
int fr_test_driver_read(fr_test_driver_t *d, const char *topic, fr_test_record_t *out);
/* Unread records of a topic. */
size_t fr_test_driver_unread(const fr_test_driver_t *d, const char *topic);
/* Every topic written so far (sinks, repartition and changelog topics), in
 * first-write order; *n gets the count.  Owned by the driver. */
const char *const *fr_test_driver_topics(fr_test_driver_t *d, size_t *n);

/* Reads a key-value store through its serdes: FR_ERR_NOT_FOUND when the key
 * is missing, FR_ERR_INVALID_ARG for an unknown store. */
int fr_test_driver_kv_get(fr_test_driver_t *d, const char *store, const fr_datum_t *key, fr_datum_t *value);

/* Moves the wall clock forward (fires wall-clock punctuators, commits when
 * commit.interval.ms has passed since the last commit). */
int fr_test_driver_advance_wall_clock(fr_test_driver_t *d, int64_t ms);
/* Flushes every cache (until no task has more to send) and commits stores. */
int fr_test_driver_commit(fr_test_driver_t *d);

typedef struct fr_test_driver_metrics {
    int64_t processed; /* records run through tasks (piped and internal) */
    int64_t dropped;   /* skipped: null keys into aggregations, bad bytes with log-and-continue, bad timestamps */
    int64_t dropped_late; /* skipped for an expired window (past its grace), once per window (Kafka's dropped-records) */
} fr_test_driver_metrics_t;
void fr_test_driver_metrics(const fr_test_driver_t *d, fr_test_driver_metrics_t *m);

#endif
