/*
 * rt_internal.h — the runtime's private structures (include/freshet/streams_app.h
 * is the public face).
 *
 * Shape, as in Kafka Streams: one fr_streams_t (an application instance) runs
 * num.stream.threads stream threads.  Each thread owns a group consumer
 * (group.id = application.id), a restore consumer (assign only, no group) and
 * an idempotent producer, and the tasks made from its partition assignment.
 * Nothing but the task registry (for interactive queries) and the state
 * machine is shared between threads.
 *
 *   app.c             fr_streams_new/start/close, the state machine, errors
 *   config.c          the streams keys and the librdkafka pass-through
 *   internal_topics.c metadata, co-partitioning checks, CreateTopics
 *   stream_thread.c   the poll loop and the rebalance callback
 *   task_manager.c    tasks from an assignment, record routing, task io
 *   partition_group.c a task's input partitions merged in timestamp order
 *   restore.c         changelog restoration before processing
 *   commit.c          the commit protocol (flush, acks, store commit, offsets)
 *   iq.c              interactive queries over store snapshots
 *   global_thread.c   GlobalKTables: the global stream thread and the readers of its stores
 */
#ifndef FR_RT_INTERNAL_H
#define FR_RT_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "fr_task.h"
#include "freshet/streams_app.h"

#define RT_LOG "streams"

/* ---- configuration (config.c) ---- */

typedef struct rt_kv {
    char *key;
    char *value;
} rt_kv_t;

typedef struct rt_config {
    char *application_id;
    char *bootstrap_servers;
    char *state_dir;             /* the state.dir setting (the app dir is state_dir/application_id) */
    int num_threads;
    int64_t commit_interval_ms;
    int64_t cache_max_bytes;
    int64_t store_map_bytes;     /* freshet.state.store.map.bytes: each task's LMDB map */
    int replication_factor;      /* internal topics; -1 = the broker's default */
    int64_t poll_ms;             /* max wait of one consumer poll */
    int64_t max_task_idle_ms;    /* max.task.idle.ms: -1 never wait for an empty input partition */
    int64_t buffered_records;    /* buffered.records.per.partition: pause a partition past this */
    int64_t purge_interval_ms;   /* repartition.purge.interval.ms */
    /* librdkafka settings: common to every client, or for one role
     * (Kafka Streams' consumer. / producer. / restore.consumer. / admin. prefixes). */
    rt_kv_t *common, *consumer, *producer, *restore, *admin;
    size_t ncommon, nconsumer, nproducer, nrestore, nadmin;
} rt_config_t;

typedef enum rt_role { RT_ROLE_CONSUMER, RT_ROLE_RESTORE, RT_ROLE_PRODUCER, RT_ROLE_ADMIN } rt_role_t;

void rt_config_init(rt_config_t *c);
void rt_config_free(rt_config_t *c);
/* One setting; unknown keys that librdkafka does not know either are
 * reported as FR_ERR_CONFIG. */
int rt_config_set(rt_config_t *c, const char *key, const char *value, char *err, size_t errlen);
/* Checks required keys once every setting is in. */
int rt_config_validate(rt_config_t *c, char *err, size_t errlen);
/* A librdkafka configuration for one client: the pass-through settings, then
 * the role's own, then the settings the runtime depends on (which win).
 * client_id names the client in broker logs.  The caller owns the result. */
rd_kafka_conf_t *rt_config_client(const rt_config_t *c, rt_role_t role, const char *client_id, char *err,
                                  size_t errlen);

/* ---- topics (internal_topics.c) ---- */

/* What startup learned about the topology's topics. */
typedef struct rt_topics {
    size_t nsubs;
    int32_t *sub_partitions;    /* per sub-topology: the partition count of its source topics */
    /* topic name -> sub-topology (every source topic belongs to exactly one sub). */
    const char **src_topics;    /* borrowed from the topology */
    size_t *src_sub;
    unsigned char *src_repartition; /* 1: a repartition topic (purged after commits) */
    size_t nsrc;
} rt_topics_t;

/* Reads metadata, checks the source topics exist and are co-partitioned,
 * creates the internal topics.  Fills t (free with rt_topics_free). */
int rt_topics_prepare(const fr_topology_t *topo, const rt_config_t *c, rt_topics_t *t, char *err, size_t errlen);
void rt_topics_free(rt_topics_t *t);
/* 1 when a source topic is one of the application's repartition topics. */
int rt_topics_is_repartition(const rt_topics_t *t, const char *topic);
/* The sub-topology a source topic feeds; -1 when it is none of ours. */
long rt_topics_sub_of(const rt_topics_t *t, const char *topic);

/* ---- tasks (task_manager.c) ---- */

typedef struct rt_thread rt_thread_t;
typedef struct rt_global rt_global_t;

/* fetch_nudge.c: waking a consumer's fetcher that stopped for a full queue
 * (librdkafka 2.0.2 waits up to a second to fetch again). */
typedef struct rt_nudge {
    int flowed;  /* records came since the last nudge: set by the caller */
    size_t turn;
} rt_nudge_t;
/* Which of `candidates` partitions to nudge now, in turn; SIZE_MAX for none
 * (no candidate, or no record came since the last nudge). */
size_t rt_nudge_pick(rt_nudge_t *n, size_t candidates);
/* Wakes the thread of the broker leading topic/partition with a watermark
 * request (blocks for its round trip, at most timeout_ms). */
void rt_fetch_nudge(rd_kafka_t *rk, const char *topic, int32_t partition, int timeout_ms);
/* Nudges one of the thread's fetchable partitions that has not reported its
 * end: called when a poll found nothing. */
void rt_thread_nudge_fetch(rt_thread_t *th);

/* Records of one input partition waiting for their turn (partition_group.c). */
typedef struct rt_inqueue {
    rd_kafka_message_t **msgs;   /* a ring; the queue owns the messages */
    size_t cap, head, len;
    int paused;                  /* paused at the consumer: more than buffered.records.per.partition */
    int64_t idle_deadline;       /* empty and caught up: wait for new records until then; -1 not idling */
} rt_inqueue_t;

typedef struct rt_task {
    size_t sub;
    int32_t partition;
    fr_task_t *task;
    rt_thread_t *thread;
    /* input: the sub-topology's source topics and the next offset to commit */
    const char *const *src;
    size_t nsrc;
    int64_t *next_offset;      /* -1: nothing processed yet */
    int64_t *committed_offset; /* what was last committed to the group */
    rt_inqueue_t *inq;         /* nsrc > 1 only: one queue per source, merged by timestamp */
    uint8_t *caught_up;        /* per source: its end-of-partition event came after its last record */
    /* changelogs: the task's own list, and the highest acknowledged offset per
     * entry (updated from delivery reports; -1 none since the last commit) */
    const fr_task_changelog_t *cl;
    size_t ncl;
    int64_t *cl_acked;
    int64_t *cl_next;          /* the offset the store commit records */
    int64_t processed_since_commit;
    int registered;            /* visible to interactive queries */
} rt_task_t;

/* ---- a stream thread (stream_thread.c) ---- */

typedef enum rt_thread_state {
    RT_THREAD_CREATED,
    RT_THREAD_STARTING,        /* subscribed, waiting for the first assignment */
    RT_THREAD_REBALANCING,     /* partitions revoked or being restored */
    RT_THREAD_RUNNING,
    RT_THREAD_PENDING_SHUTDOWN,
    RT_THREAD_DEAD,
} rt_thread_state_t;

struct rt_thread {
    fr_streams_t *app;
    int index;
    char name[128];
    pthread_t tid;
    int started;
    rd_kafka_t *consumer;
    rd_kafka_t *restore_consumer;
    rd_kafka_t *producer;
    rt_thread_state_t state;   /* written under app->lock */
    /* tasks of the current assignment, indexed [sub][partition] */
    rt_task_t ***by_sub;
    rt_task_t **tasks;
    size_t ntasks, tasks_cap;
    int64_t last_commit_ms;
    int64_t last_punctuate_ms;
    int64_t last_purge_ms;
    rt_nudge_t nudge;          /* fetch_nudge.c, for the main consumer */
    rd_kafka_queue_t *admin_q; /* DeleteRecords results (repartition purges) */
    fr_header_t *hdr_buf;      /* headers of the record being processed */
    size_t hdr_cap;
    struct rt_pcount { char *topic; int32_t partitions; } *pcount; /* partition counts of sink topics */
    size_t npcount;
    /* read snapshots of the global stores (global_thread.c), one per global
     * task, replaced between records after a newer global commit */
    fr_store_snapshot_t **gsnap;
    uint64_t gsnap_gen;
    /* the first fatal error of this thread (delivery failure, task error) */
    int fatal;
    char fatal_msg[512];
};

/* ---- the application instance (app.c) ---- */

struct fr_streams {
    const fr_topology_t *topo;
    rt_config_t cfg;
    char *app_state_dir;        /* <state.dir>/<application.id> */
    rt_topics_t topics;
    rt_thread_t *threads;
    int nthreads;
    rt_global_t *global;        /* GlobalKTables; NULL when the topology has none */

    pthread_mutex_t lock;       /* state, thread states, error */
    pthread_cond_t cond;        /* signalled on every state change */
    fr_streams_state_t state;
    fr_streams_state_listener_t listener;
    void *listener_ctx;
    int stop;                   /* threads leave their loops (read without the lock: advisory) */
    int live_threads;
    int error;                  /* the first fatal error code */
    char error_msg[1024];

    /* interactive queries: tasks whose stores are queryable, guarded by iq_lock
     * (writers: stream threads adding/removing tasks; readers: queries) */
    pthread_rwlock_t iq_lock;
    rt_task_t **iq_tasks;
    size_t iq_ntasks, iq_cap;
};

int64_t rt_now_ms(void);
/* Thread state change; recomputes the application state (REBALANCING while any
 * thread is, RUNNING when all are) and notifies the listener. */
void rt_thread_set_state(rt_thread_t *th, rt_thread_state_t s);
/* A fatal error in a thread: records it, asks every thread to stop; the
 * application ends in ERROR. */
void rt_thread_fail(rt_thread_t *th, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The thread has left its loop and released its clients. */
void rt_thread_exited(rt_thread_t *th);
int rt_app_stopping(const fr_streams_t *app);

int rt_thread_init(rt_thread_t *th, fr_streams_t *app, int index, char *err, size_t errlen);
void *rt_thread_main(void *arg);
/* Processes one record of t's source src (between records, global snapshots
 * may be refreshed); a failure stops the thread with a message naming the record. */
int rt_thread_process(rt_thread_t *th, rt_task_t *t, size_t src, const rd_kafka_message_t *m);
void rt_thread_free(rt_thread_t *th);

/* task_manager.c */
/* Creates the tasks for a new assignment (eager: the thread has none). */
int rt_tasks_create(rt_thread_t *th, const rd_kafka_topic_partition_list_t *parts);
/* Closes every task of the thread (after a commit).  Unregisters them from IQ first. */
void rt_tasks_close_all(rt_thread_t *th);
/* The io a task sends through (the thread's producer). */
void rt_task_io(rt_task_t *t, fr_task_io_t *io);
rt_task_t *rt_task_for(rt_thread_t *th, const char *topic, int32_t partition);
/* The index of topic among t's source topics; -1 if it is none of them. */
long rt_task_source(const rt_task_t *t, const char *topic);
/* Processes m, a record of t's source src (rt_task_source), and notes its offset. */
int rt_task_process_msg(rt_thread_t *th, rt_task_t *t, size_t src, const rd_kafka_message_t *m);

/* partition_group.c.  A task with several input partitions (a join, a
 * merge) takes their records in timestamp order, as Kafka Streams'
 * PartitionGroup does: it processes the earliest head record only while
 * every partition has a record buffered or is known to be caught up
 * (end-of-partition seen) and, with max.task.idle.ms > 0, has stayed empty
 * that long.  Tasks with one input partition process records as they come. */
int rt_inq_open(rt_task_t *t);
/* Destroys the buffered records (they were not processed, so their offsets
 * were not committed) and resumes the partitions this task paused. */
void rt_inq_close(rt_thread_t *th, rt_task_t *t);
/* Takes m, a record of t's source src. */
int rt_inq_add(rt_thread_t *th, rt_task_t *t, size_t src, rd_kafka_message_t *m);
/* Processes t's buffered records while t is ready; 0 or the first error
 * (already reported through rt_thread_fail). */
int rt_inq_process(rt_thread_t *th, rt_task_t *t, int64_t now_ms);
void rt_iq_register(fr_streams_t *app, rt_task_t *t);
void rt_iq_unregister(fr_streams_t *app, rt_task_t *t);
/* The producer's delivery report callback (msg_opaque: an rt_task cl_acked slot or NULL). */
void rt_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

/* restore.c: restores every task of the thread from its changelogs, then commits the stores. */
int rt_restore_tasks(rt_thread_t *th);

/* commit.c: the commit protocol over every task of the thread.  on_close: no
 * input-offset commit failure is fatal (the group may be gone). */
int rt_commit_all(rt_thread_t *th, int revoking);
/* Serves finished repartition purges (non-blocking). */
void rt_purge_poll(rt_thread_t *th);

/* global_thread.c.  start: opens the global stores and blocks until they hold
 * every global topic up to its end at start (Kafka's bootstrapping); a no-op
 * without global tables.  stop: only once no stream thread runs (they read
 * the stores' snapshots); commits and closes the global stores. */
int rt_global_start(fr_streams_t *app, char *err, size_t errlen);
void rt_global_stop(fr_streams_t *app);
/* A stream task reads global stores through the thread's snapshots. */
void rt_global_attach(rt_thread_t *th, fr_task_t *task);
/* Between records: drops the thread's snapshots if the global thread committed since. */
void rt_global_refresh(rt_thread_t *th);
/* Closes the thread's snapshots (before the thread exits). */
void rt_global_release(rt_thread_t *th);
/* A snapshot of the global store named store (interactive queries); FR_ERR_NOT_FOUND if none (or bootstrapping). */
int rt_global_snapshot(fr_streams_t *app, const char *store, fr_store_snapshot_t **out);

#endif
