/*
 * retention.h — the broker's log retention task: Kafka's LogManager
 * cleanupLogs, its LogCleaner's schedule, and their offset checkpoints.
 *
 * Every log.retention.check.interval.ms (first after min(30 s, interval), as
 * Kafka's InitialTaskDelayMs), and soon after a DeleteRecords or a topic
 * deletion, a pass runs on libuv's thread pool, off the network loop: for
 * every partition it applies the topic's effective retention.ms,
 * retention.bytes and cleanup.policy (topic override, dynamic broker config,
 * server.properties, default; read on the loop when the pass starts, so
 * config changes apply from the next pass) with fr_partlog_apply_retention.
 * The cleaner runs in passes of its own, every log.cleaner.backoff.ms
 * (Kafka's cleaner thread backs off that long when it finds nothing to
 * clean): for topics whose cleanup.policy includes compact (__consumer_offsets
 * among them) fr_partlog_compact (min.cleanable.dirty.ratio,
 * min/max.compaction.lag.ms, delete.retention.ms); log.cleaner.enable=false
 * turns it off.  Every pass then writes each log dir's
 * log-start-offset-checkpoint, cleaner-offset-checkpoint and
 * recovery-point-offset-checkpoint (Kafka's files and format,
 * offset_checkpoint.h; the cleaner's first dirty offset per compacted
 * partition lives in fr_partition_t.cleaner_first_dirty) when their contents
 * changed.  One pass runs at a time.  At startup the checkpoints give each
 * partition back its log start offset and first dirty offset (the recovery
 * points were read when the logs were opened); at shutdown they are written
 * once more.
 *
 * A topic deleted while a pass runs: fr_retention_topic_deleted (called
 * before its partlogs go) waits for the partition the pass may be in the
 * middle of, and the pass touches none of the topic's partitions after that.
 *
 * Threading: every function here runs on the loop thread.
 */
#ifndef FR_RETENTION_H
#define FR_RETENTION_H

#include <stddef.h>

#include "broker.h"

/* Restores the log start and first dirty offsets from the checkpoints and starts the timers.
 * 0, or FR_ERR_NOMEM with a message (a bad checkpoint is only a warning). */
int fr_retention_start(fr_server_t *srv, char *err, size_t errlen);
/* Starts the cleaner's timer, or restarts it when log.cleaner.backoff.ms changed. */
void fr_retention_reconfigure(fr_server_t *srv);
/* Asks for a pass now (or right after the running one). */
void fr_retention_kick(fr_server_t *srv);
/* The topic is about to be deleted: the running pass lets go of it. */
void fr_retention_topic_deleted(fr_server_t *srv, const fr_topic_t *topic);
/* Stops the timers (fr_server_stop); a running pass finishes. */
void fr_retention_stop(fr_server_t *srv);
/* After the loop has ended: writes the checkpoints and frees the task. */
void fr_retention_shutdown(fr_server_t *srv);

#endif
