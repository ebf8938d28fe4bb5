/*
 * topics.h — the broker's registry of topics and their partitions.
 *
 * Topics are discovered at open from the log directories (every
 * <topic>-<partition> directory), so topics, partition counts and offsets
 * survive restarts with nothing but the data itself.  Each partition dir holds
 * Kafka's partition.metadata (the topic id); topic-level config overrides are
 * kept in <log.dir>/.topic-configs/<topic>.properties.  Each log dir holds
 * meta.properties (broker.id, cluster.id) and a .lock held with flock() so a
 * second broker on the same dirs is refused.
 *
 * Threading: the registry is owned by the network loop thread; only the
 * partlogs inside it may be used from other threads.
 *
 * Ownership: the registry owns topics, partitions and partlogs.  Pointers to
 * a topic or partition stay valid until that topic is deleted or the registry
 * closed; code that parks across loop iterations must look topics up again.
 */
#ifndef FR_TOPICS_H
#define FR_TOPICS_H

#include <stdint.h>

#include "broker_config.h"
#include "fr_buf.h"
#include "fr_partlog.h"
#include "fr_props.h"

typedef struct fr_topic fr_topic_t;

typedef struct fr_partition {
    fr_topic_t *topic;
    int32_t index;
    fr_partlog_t *log;
    int flush_in_progress;     /* an fsync is queued or running */
    int flush_again;           /* more data was appended while it ran */
    int64_t unflushed_since_ms;/* monotonic ms of the oldest unflushed append, or 0 */
    int64_t flushed_end;       /* log end offset covered by the last completed fsync */
    int flush_error;           /* Kafka error of the last fsync, 0 when it succeeded */
    int64_t flush_error_end;   /* the end offset that failed fsync was to cover */
    int64_t flush_awaited_end; /* the highest end offset a produce request waits to see fsynced */
    int64_t cache_mark;        /* log size when its last page-cache release was queued */
    int cache_release_wanted;  /* enough was appended since: waits for the running release */
    int64_t fetch_lag;         /* most bytes behind the end a fetch read from, this lag window */
    int64_t fetch_lag_prev;    /* the same, the window before (server.c: cache_keep) */
    int64_t cleaner_first_dirty; /* compaction: the cleaner's first dirty offset (retention.c; kept in
                                    each log dir's cleaner-offset-checkpoint) */
} fr_partition_t;

struct fr_topic {
    char *name;
    uint8_t id[16];
    int32_t num_partitions;
    fr_partition_t **partitions;
    fr_props_t overrides;      /* topic-level configs set at create/alter */
    fr_log_config_t log_cfg;   /* effective log settings */
    int log_dir;               /* index into cfg->log_dirs */
    int growths;               /* partition additions under way (fr_topics_grow_begin) */
    int32_t growing_to;        /* the partitions it will have once they end */
};

typedef struct fr_topics {
    const fr_broker_config_t *cfg;
    fr_topic_t **items;        /* sorted by name */
    size_t count, cap;
    fr_topic_t **pending;      /* being created (fr_topics_create_begin): names taken, not found yet */
    size_t npending, pending_cap;
    int lock_fds[FR_MAX_LOG_DIRS];
    char cluster_id[32];
    fr_topic_t **id_table;     /* the topics by id, open addressing (topic_ids.c) */
    size_t id_slots;
    int id_stale;              /* a topic came or went: rebuilt at the next lookup by id */
} fr_topics_t;

/* Locks the log dirs, reads or writes meta.properties, opens (and recovers)
 * every partition.  On error writes a message to err. */
int fr_topics_open(fr_topics_t *t, const fr_broker_config_t *cfg, char *err, size_t errlen);

/* Kafka's clean shutdown file, one per log dir: the last thing a broker that
 * stopped with every log flushed writes.  fr_topics_open notes it and removes
 * it (durably, before opening any log: a failure stops the start); a log dir
 * without it had a crash, and its partitions are recovered from their
 * recovery points (recovery-point-offset-checkpoint). */
#define FR_CLEAN_SHUTDOWN_FILE ".kafka_cleanshutdown"
/* Writes it in every log dir of cfg (durably).  0, or FR_ERR_IO after logging which. */
int fr_topics_mark_clean_shutdown(const fr_broker_config_t *cfg);
void fr_topics_close(fr_topics_t *t);

fr_topic_t *fr_topics_find(const fr_topics_t *t, fr_slice_t name);
fr_topic_t *fr_topics_find_cstr(const fr_topics_t *t, const char *name);
fr_partition_t *fr_topic_partition(const fr_topic_t *topic, int32_t index);
/* The topic with this id, or NULL (also for the zero id, which names no
 * topic).  Hashed: Fetch v13+ looks up every topic it reads this way. */
fr_topic_t *fr_topics_find_id(fr_topics_t *t, const uint8_t id[16]);

/* Kafka's topic name rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
 * 0, or FR_ERR_INVALID_TOPIC_EXCEPTION with Kafka's message. */
int fr_topic_name_validate(fr_slice_t name, char *err, size_t errlen);
/* What a new topic's name must pass, in Kafka's order: the rules above,
 * then TOPIC_ALREADY_EXISTS, then INVALID_TOPIC_EXCEPTION when it differs
 * from a topic's (or one being made) only in '.' against '_'. */
int fr_topics_check_name(const fr_topics_t *t, fr_slice_t name, char *err, size_t errlen);

/* A random (version 4) topic id, as java.util.UUID.randomUUID gives. */
void fr_topic_id_random(uint8_t id[16]);

/* Kafka's internal topics (Topic.isInternal): __consumer_offsets,
 * __transaction_state and __share_group_state, whether or not they exist. */
int fr_topic_is_internal(fr_slice_t name);

/*
 * Creates a topic with nparts partitions and the given overrides (validated).
 * validate_only checks everything and creates nothing.  Errors:
 * those of fr_topics_check_name, INVALID_PARTITIONS,
 * INVALID_CONFIG, KAFKA_STORAGE_ERROR; err gets the message.
 */
int fr_topics_create(fr_topics_t *t, fr_slice_t name, int32_t nparts, const fr_props_t *overrides,
                     int validate_only, fr_topic_t **out, char *err, size_t errlen);
/*
 * The same in three steps, so that the network loop is not held while the
 * files are made (about 0.5 ms per partition, most of it fsync):
 * - fr_topics_create_begin (loop thread) validates as above and takes the
 *   name: until the last step another create of it gets
 *   TOPIC_ALREADY_EXISTS, while lookups do not find it yet
 *   (fr_topics_pending tells).  *out gets the topic, not in the registry
 *   and owned by the registry's pending list; NULL with validate_only.
 * - fr_topic_make_files (any thread) creates its config file and
 *   partitions; it touches nothing but the topic and its files, and removes
 *   what it made when it fails (0, or an error with err).
 * - fr_topics_create_end (loop thread) gives the name back and, when rc is
 *   0, publishes the topic with the broker configs of now; otherwise, or
 *   when publishing fails, frees it.  Returns rc, or the publishing error.
 */
int fr_topics_create_begin(fr_topics_t *t, fr_slice_t name, int32_t nparts, const fr_props_t *overrides,
                           int validate_only, fr_topic_t **out, char *err, size_t errlen);
int fr_topic_make_files(const fr_broker_config_t *cfg, fr_topic_t *topic, char *err, size_t errlen);
int fr_topics_create_end(fr_topics_t *t, fr_topic_t *topic, int rc);
int fr_topics_pending(const fr_topics_t *t, fr_slice_t name);
/*
 * Grows a topic to new_count partitions (INVALID_PARTITIONS if not larger),
 * in three steps as for creation:
 * - fr_topics_grow_begin (loop thread) validates new_count against the
 *   partitions the topic will have once the additions under way end, and
 *   counts the growth in the topic; *out gets it (NULL with validate_only).
 *   While a topic grows it cannot be deleted (fr_topics_delete refuses).
 * - fr_topic_growth_make (any thread) makes the new partitions' files, apart
 *   from the topic; it removes them again when it fails.
 * - fr_topics_grow_end (loop thread) adds them to the topic, or deletes them
 *   when rc is an error or an earlier growth of the topic failed (the
 *   partitions would have a hole); frees the growth.  Returns rc, or that
 *   reason, with err.
 */
typedef struct fr_topic_growth fr_topic_growth_t;
/* fr_topics_grow_begin's checks alone, in Kafka's words: 0 or INVALID_PARTITIONS. */
int fr_topics_grow_check(const fr_topic_t *topic, int32_t new_count, char *err, size_t errlen);
int fr_topics_grow_begin(fr_topic_t *topic, int32_t new_count, int validate_only, fr_topic_growth_t **out,
                         char *err, size_t errlen);
int fr_topic_growth_make(const fr_broker_config_t *cfg, fr_topic_growth_t *g, char *err, size_t errlen);
int fr_topics_grow_end(fr_topics_t *t, fr_topic_growth_t *g, int rc, char *err, size_t errlen);
/* Removes a topic and its data (REQUEST_TIMED_OUT while it grows: wait for
 * topic->growths to be 0).  Each partition's directory is renamed to
 * "<topic>-<n>.<32 hex>-delete" and its log handed to discard(ctx, partition,
 * renamed dir), which owns it from then on and deletes it (see
 * fr_partlog_delete_from); dir is NULL when the rename failed and the files
 * were deleted here already. */
typedef void (*fr_topics_discard_fn)(void *ctx, fr_partition_t *p, const char *dir);
int fr_topics_delete(fr_topics_t *t, fr_topic_t *topic, fr_topics_discard_fn discard, void *ctx);

/*
 * Replaces a topic's config overrides with a copy of `overrides` (validated
 * by the caller), persists them, and recomputes the topic's effective log
 * settings, which its partitions apply from their next append.  When they
 * cannot be persisted nothing changes: FR_ERR_KAFKA_STORAGE_ERROR.
 */
int fr_topics_set_overrides(fr_topics_t *t, fr_topic_t *topic, const fr_props_t *overrides, char *err,
                            size_t errlen);
/* Recomputes every topic's effective log settings from t->cfg (after a broker-level config change). */
void fr_topics_reconfigure(fr_topics_t *t);

/* Formats a UUID Kafka's way (URL-safe base64, no padding): 22 chars + NUL. */
void fr_uuid_to_string(const uint8_t id[16], char out[23]);

#endif
