/*
 * broker.h — the broker's internals shared by the server, the connection code
 * and the API handlers (log/broker/handlers/<api>.c).
 *
 * Threading: one libuv loop thread owns the server, every connection and the
 * topic registry.  Only fsync work and retention passes run on libuv's thread
 * pool.
 *
 * Request lifecycle: a connection reads one whole frame, decodes the header,
 * and calls the API's handler with a fr_req_t.  The handler decodes its body
 * from req->body (slices borrow the frame, which stays untouched until the
 * request completes; allocations come from req->arena, reset after it), then
 * writes its response body into req->resp (the frame size and response header
 * are already there) and returns FR_REQ_DONE.  It may instead return
 * FR_REQ_NO_RESPONSE (acks=0 produce), FR_REQ_CLOSE (one that failed) or
 * FR_REQ_PARKED (a long-poll fetch that
 * set req->retry and req->deadline_ms): the connection then reads nothing more
 * until the request completes, so responses keep request order as Kafka
 * requires.  Any negative return closes the connection (malformed request).
 */
#ifndef FR_BROKER_H
#define FR_BROKER_H

#include <stdint.h>
#include <uv.h>

#include "broker_config.h"
#include "fetch_sessions.h"
#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"
#include "group.h"
#include "lane.h"
#include "producer_ids.h"
#include "topics.h"

typedef struct fr_server fr_server_t;
typedef struct fr_conn fr_conn_t;
typedef struct fr_req fr_req_t;

/* FR_REQ_CLOSE: no response, and the connection closes after the request
 * (an acks=0 produce that failed: Kafka's only way to tell that client). */
enum { FR_REQ_DONE = 0, FR_REQ_NO_RESPONSE = 1, FR_REQ_PARKED = 2, FR_REQ_CLOSE = 3 };

struct fr_req {
    fr_server_t *srv;
    fr_conn_t *conn;
    fr_request_header_t hdr;
    fr_reader_t body;           /* the request body, after the header */
    uint8_t *frame;             /* the whole request frame (mutable: produce patches it) */
    size_t frame_len;
    fr_arena_t *arena;
    fr_writer_t *resp;          /* holds size + response header; handler appends the body */
    size_t resp_body_start;     /* offset in resp where the body begins (for retries) */
    int64_t now_ms;             /* wall clock at request start */
    /* Parking (long-poll fetch). */
    /* Any FR_REQ_*; FR_REQ_PARKED after a time-out only with deadline_ms moved on. */
    int (*retry)(fr_req_t *req, int timed_out);
    void *state;                /* handler state kept across retries (arena memory) */
    uint64_t deadline_ms;       /* loop time (uv_now) when retry(timed_out=1) must run */
    /* Frees what state holds outside the arena; runs once when the request
     * completes or its connection closes first (NULL: nothing to free). */
    void (*cleanup)(fr_req_t *req);
};

typedef int (*fr_handler_fn)(fr_req_t *req);

typedef struct fr_handler {
    int16_t api_key;
    int16_t min_version, max_version;  /* what the broker serves (within the codec's range) */
    fr_handler_fn fn;
} fr_handler_t;

/* The handler table (handlers/dispatch.c): only APIs listed there are advertised. */
const fr_handler_t *fr_handler_find(int16_t api_key);
const fr_handler_t *fr_handlers(size_t *count);

typedef struct fr_flush_work fr_flush_work_t;
typedef struct fr_warm fr_warm_t;
typedef struct fr_time_lookup fr_time_lookup_t;
typedef struct fr_topic_build fr_topic_build_t;
typedef struct fr_retention_task fr_retention_task_t;
typedef struct fr_log_discard fr_log_discard_t;
typedef struct fr_append_offload fr_append_offload_t;

struct fr_server {
    uv_loop_t *loop;
    fr_broker_config_t *cfg;
    fr_topics_t topics;
    fr_groups_t groups;         /* the group coordinator */
    fr_producer_ids_t *producer_ids; /* InitProducerId (producer_ids.h) */
    fr_fetch_sessions_t fetch_sessions; /* incremental fetch sessions (fetch_sessions.h) */
    struct fr_server_listener {
        fr_server_t *srv;
        int fd;
        int port;               /* bound port */
        uv_poll_t poll;
    } listen[FR_MAX_LISTENERS]; /* listen[i] serves cfg->listeners.bind[i] */
    int num_listen;
    uv_signal_t sigint, sigterm;
    uv_check_t check;           /* after each I/O round: retries parked requests, then sends held output */
    uv_timer_t flush_timer;     /* time-based flush policy and the coordinator's clock */
    uv_timer_t park_timer;      /* fires at the earliest parked-fetch deadline */
    uv_timer_t group_timer;     /* fires at a group deadline due before the next flush tick */
    fr_conn_t *conns;           /* all connections (doubly linked) */
    fr_conn_t *parked;          /* connections with a parked request (singly linked via park_next) */
    fr_conn_t *held_output;     /* connections whose responses wait for the parked ones (conn.c) */
    fr_flush_work_t *flushes;   /* fsyncs, page-cache releases and log jobs queued or running */
    int cache_release_running;  /* a page-cache release is queued or running (one at a time) */
    int64_t cache_sharing_partitions; /* partitions over 1 MiB, sharing the page-cache budget (flush timer) */
    int64_t flush_ticks;        /* flush timer rounds; the fetch lag windows turn every freshet.page.cache.lag.window.ms */
    fr_retention_task_t *retention; /* log retention and log start checkpoints (retention.h) */
    /* Work that comes in bursts waits in a lane, not in the pool (lane.h). */
    fr_lane_t warm_lane;        /* cold fetches' cache warm-ups, FR_WARM_RUNNING at once (fetch_warm.c) */
    fr_lane_t time_lookup_lane; /* ListOffsets by time, one request at a time (time_lookup.c) */
    fr_lane_t topic_build_lane; /* new topics' and partitions' files, one topic at a time (topic_build.c) */
    fr_lane_t discard_lane;     /* deleted partitions' files, one at a time, after their sync (topic_delete.c) */
    fr_lane_t append_lane;      /* appends that (de)compress records, one request at a time (append_offload.c) */
    uint64_t dir_sync_asked;    /* log dir syncs asked for (tickets, topic_delete.c) */
    uint64_t dir_sync_done;     /* the newest ticket a finished sync covered */
    uint64_t dir_sync_ok;       /* the newest ticket a successful sync covered (one runs while asked > done) */
    int wakeup;                 /* data appended or a group changed since parked requests were last looked at */
    int stopping;
    int64_t conn_count;
};

/* Server API (server.c). */
int fr_server_init(fr_server_t *srv, uv_loop_t *loop, fr_broker_config_t *cfg, char *err, size_t errlen);
/* Runs until fr_server_stop or SIGINT/SIGTERM; then flushes and closes everything. */
int fr_server_run(fr_server_t *srv);
void fr_server_stop(fr_server_t *srv);
/* Parked requests look again after this I/O round (something they wait for changed). */
void fr_server_wake(fr_server_t *srv);
/* Called by the produce handler after a successful append. */
void fr_server_note_append(fr_server_t *srv, fr_partition_t *p, const fr_append_info_t *info);
/* Called by the fetch handler for records read bytes_behind the end of p's log. */
void fr_server_note_fetch(fr_partition_t *p, int64_t bytes_behind);
/* Deletes a topic: takes it out of the registry, renames its directories
 * and removes its config file (fr_server_topic_remove; topic_delete.c).
 * After one or more deletions the caller asks for the sync that makes them
 * durable (fr_dir_sync_request) and waits for its ticket with
 * fr_dir_sync_state; their files are removed after that sync, on the thread
 * pool, one partition at a time.  REQUEST_TIMED_OUT, deleting nothing, while
 * partitions are being added to it (topic->growths): the caller waits and
 * asks again. */
int fr_server_delete_topic(fr_server_t *srv, fr_topic_t *topic);
/* fr_server_delete_topic's first step, dealing with fsyncs and jobs still
 * running on the topic's partitions (server.c). */
int fr_server_topic_remove(fr_server_t *srv, fr_topic_t *topic);
/* Asks for a sync of every log dir and its ".topic-configs" (one runs at a
 * time; the next covers all asked meanwhile); returns the ticket for it. */
uint64_t fr_dir_sync_request(fr_server_t *srv);
/* 1 while the sync for ticket is to come, 0 once it is done, FR_ERR_IO if it failed. */
int fr_dir_sync_state(const fr_server_t *srv, uint64_t ticket);
/* Deletes a deleted topic's log and its renamed directory dir (taken; NULL
 * when there is none) on the thread pool once no log dir sync waits. */
void fr_log_discard(fr_server_t *srv, fr_partlog_t *log, char *dir);

/* Runs run(p's log, arg) on the thread pool, then done(arg) on the loop.  The
 * log stays open until then even if p's topic is deleted meanwhile (p itself
 * may be gone by the time done runs).  0, FR_ERR_NOMEM, or FR_ERR_IO when the
 * job could not be queued (nothing runs then). */
typedef void (*fr_log_job_fn)(fr_partlog_t *log, void *arg);
typedef void (*fr_log_job_done_fn)(void *arg);
int fr_server_log_job(fr_server_t *srv, fr_partition_t *p, fr_log_job_fn run, fr_log_job_done_fn done, void *arg);

/* One request's partition jobs, run one after another as log jobs in a lane
 * (log_steps.c): what ListOffsets by time and costly appends share.  Each
 * step is looked up by topic name and partition when its turn comes; a
 * partition gone by then gets ops->missing instead of ops->run.  When every
 * step is through, done turns true and parked requests are retried.
 * Ownership: s is the first member of its owner, one malloc'd block;
 * fr_log_steps_release frees that block at once when done, or lets a
 * waiting or running job free it (the step running completes, with its
 * ops->ran; the rest are dropped). */
typedef struct fr_log_steps fr_log_steps_t;
typedef struct fr_log_steps_ops {
    fr_slice_t (*topic)(const fr_log_steps_t *s, size_t i, int32_t *partition); /* step i's partition */
    void (*run)(fr_log_steps_t *s, size_t i, fr_partlog_t *log); /* a worker (the loop, if none can be had) */
    void (*ran)(fr_log_steps_t *s, size_t i);     /* on the loop after run; may be NULL */
    void (*missing)(fr_log_steps_t *s, size_t i); /* on the loop, instead of run */
    void (*dispose)(fr_log_steps_t *s);           /* frees what the steps' results own, just before
                                                     the owner is freed; may be NULL */
} fr_log_steps_ops_t;
struct fr_log_steps {
    fr_lane_job_t lane_job;
    fr_server_t *srv;
    fr_lane_t *lane;
    const fr_log_steps_ops_t *ops;
    size_t n, at;  /* steps, and the one running or next to run */
    int done;      /* every step is through (loop thread only) */
    int abandoned; /* the request went away first: the job frees its owner */
};
void fr_log_steps_start(fr_log_steps_t *s, fr_server_t *srv, fr_lane_t *lane, const fr_log_steps_ops_t *ops,
                        size_t n);
int fr_log_steps_done(const fr_log_steps_t *s);
void fr_log_steps_release(fr_log_steps_t *s);

/* Cache warm-ups for cold fetches (fetch_warm.c).  fr_warm_start takes over
 * the n read results' file references (dropped at once if it fails, returning
 * NULL) and reads their ranges into the page cache on a worker thread (at
 * most FR_WARM_RUNNING at once, the rest wait their turn); when that is done
 * fr_warm_done turns true and parked requests are retried.  fr_warm_release
 * frees a finished job, or lets a waiting or running one free itself. */
#define FR_WARM_RUNNING 2
fr_warm_t *fr_warm_start(fr_server_t *srv, fr_read_result_t *parts, size_t n);
int fr_warm_done(const fr_warm_t *w);
void fr_warm_release(fr_warm_t *w);

/* ListOffsets by timestamp off the loop (time_lookup.c).  fr_time_lookup_start
 * copies the n queries (topic names included) and answers them one after
 * another on the thread pool, one request's lookup at a time for the whole
 * broker; NULL when out of memory.  When all are answered fr_time_lookup_done
 * turns true, parked requests are retried, and fr_time_lookup_result gives
 * query i's answer: error_code, offset and found_timestamp (-1 and -1 when no
 * record qualifies), UNKNOWN_TOPIC_OR_PARTITION for a partition gone by its
 * turn.  A query's timestamp FR_LIST_OFFSETS_MAX_TIMESTAMP asks for the
 * record with the largest timestamp.  fr_time_lookup_release frees a
 * finished job, or lets a waiting or running one free itself. */
#define FR_LIST_OFFSETS_MAX_TIMESTAMP (-3)
typedef struct fr_time_query {
    fr_slice_t topic;
    int32_t partition;
    int64_t timestamp;
    int16_t error_code;
    int64_t offset, found_timestamp;
} fr_time_query_t;
fr_time_lookup_t *fr_time_lookup_start(fr_server_t *srv, const fr_time_query_t *queries, size_t n);
int fr_time_lookup_done(const fr_time_lookup_t *l);
const fr_time_query_t *fr_time_lookup_result(const fr_time_lookup_t *l, size_t i);
void fr_time_lookup_release(fr_time_lookup_t *l);

/* Produce appends that decompress or re-compress records, off the loop
 * (append_offload.c).  fr_append_offload_start copies the n parts (records
 * and topic names) and appends them one after another on the thread pool
 * with the request's now_ms, one request's appends at a time for the whole
 * broker; NULL when out of memory.  Each append is noted
 * (fr_server_note_append) as soon as it is back.  When all are done
 * fr_append_offload_done turns true, parked requests are retried, and
 * fr_append_offload_result gives part i's rc and info (rc
 * UNKNOWN_TOPIC_OR_PARTITION for a partition gone by its turn; info.why
 * and bad_record as fr_partlog_append leaves them).  fr_append_offload_release
 * frees a finished job, or lets a waiting or running one free itself: the
 * append running then completes, the ones still to come are dropped. */
typedef struct fr_offload_part {
    fr_slice_t topic;
    int32_t partition;
    const uint8_t *records;
    size_t len;
    int rc;
    fr_append_info_t info;
} fr_offload_part_t;
fr_append_offload_t *fr_append_offload_start(fr_server_t *srv, const fr_offload_part_t *parts, size_t n,
                                             int64_t now_ms);
int fr_append_offload_done(const fr_append_offload_t *o);
const fr_offload_part_t *fr_append_offload_result(const fr_append_offload_t *o, size_t i);
void fr_append_offload_release(fr_append_offload_t *o);

/* A new topic's files made off the loop (topic_build.c).  fr_topic_build_start
 * takes a topic from fr_topics_create_begin, makes its files on the thread
 * pool (one topic at a time for the whole broker, the others wait their
 * turn) and then publishes it in the registry, or drops it when that failed;
 * then parked requests are retried, and fr_topic_builds_collect below gives
 * the outcome.  fr_topic_build_release frees a finished job, or lets a
 * waiting or running one free itself; the topic is built either way.  Start
 * returns NULL when out of memory: the topic is dropped then. */
fr_topic_build_t *fr_topic_build_start(fr_server_t *srv, fr_topic_t *topic);
/* The same for a topic's new partitions, from fr_topics_grow_begin: they are
 * added to the topic when made, or deleted when that failed. */
fr_topic_build_t *fr_topic_grow_start(fr_server_t *srv, fr_topic_growth_t *growth);
void fr_topic_build_release(fr_topic_build_t *b);
/* For a request waiting on builds[0..n) (NULL entries are skipped): 0 while
 * one is unfinished, unless timed_out or no_wait; else 1, after calling
 * fail(ctx, i, rc, message or NULL) for each that failed, and with
 * REQUEST_TIMED_OUT for each unfinished one, or with no_wait (a timeout_ms
 * of 0 or less) for every one that did not fail: Kafka answers a request
 * that would not wait so, and the change goes on.  All are released (set to
 * NULL). */
typedef void (*fr_topic_build_fail_fn)(void *ctx, int32_t i, int rc, const char *message);
int fr_topic_builds_collect(fr_topic_build_t **builds, int32_t n, int timed_out, int no_wait,
                            fr_topic_build_fail_fn fail, void *ctx);
void fr_topic_builds_release(fr_topic_build_t **builds, int32_t n);

/* Connection API (conn.c). */
void fr_conn_accept(fr_server_t *srv, int fd, const char *peer, int listener);
/* The address to give the client of req: the advertised one of the listener
 * its connection came in on (Kafka answers per listener). */
const fr_listener_t *fr_req_advertised(const fr_req_t *req);
void fr_conn_close(fr_conn_t *c, const char *why);
/* Runs the parked request's retry; completes it if done. */
void fr_conn_retry_parked(fr_conn_t *c, int timed_out);
uint64_t fr_conn_parked_deadline(const fr_conn_t *c);
fr_conn_t *fr_conn_park_next(const fr_conn_t *c);
/* Sends the responses held back while parked requests were retried (after each I/O round). */
void fr_conn_send_held(fr_server_t *srv);
void fr_conn_close_all(fr_server_t *srv);
/* The client's address without port (static storage of the connection). */
const char *fr_conn_peer_host(const fr_conn_t *c);

/* Wall-clock milliseconds (record timestamps, log append time). */
int64_t fr_now_ms(void);

#endif
