/*
 * topic_files.h — a topic's files in its log dir: the partition directories
 * with their logs and partition.metadata, and the topic's config overrides
 * file (.topic-configs/<topic>.properties).
 *
 * Threading: any thread.  These touch only files and the objects passed in,
 * never the registry (topics.c), which is why creating and growing a topic
 * can run them on a worker (topic_build.c).
 *
 * Ownership: paths and names are the caller's.  A partition made here is the
 * caller's until it is put in its topic; its topic field is left NULL.
 */
#ifndef FR_TOPIC_FILES_H
#define FR_TOPIC_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "topics.h"

/* "<log dir>/<topic>-<index>" */
void fr_topic_partition_dir(const fr_broker_config_t *cfg, int log_dir, const char *topic, int32_t index,
                            char *buf, size_t len);

/* "<log dir>/.topic-configs/<topic>.properties"; a name too long for that
 * (over 240 characters) is cut and a hash of it added (topic_files.c). */
void fr_topic_config_path(const fr_broker_config_t *cfg, int log_dir, const char *topic, char *buf, size_t len);

/* The topic id kept in a partition directory's partition.metadata: 0, or -1
 * when the file is missing or unreadable, or names no id. */
int fr_topic_id_read(const char *partition_dir, uint8_t id[16]);
/* The topic id in partition.metadata's text[0..len) (its "topic_id: " line,
 * the last one if several): 0, or -1 when there is none, it is not 22
 * base64 characters, or it is Kafka's zero id.  id is written only on 0. */
int fr_topic_id_parse(const char *text, size_t len, uint8_t id[16]);

/* Writes the topic's overrides file, or removes it when there are none.  0,
 * or -1 with err. */
int fr_topic_overrides_save(const fr_broker_config_t *cfg, int log_dir, const char *topic,
                            const fr_props_t *overrides, char *err, size_t errlen);

/* The recovery point of a partition whose log dir had a clean shutdown, or
 * that is new: nothing to recover (fr_partlog_open_clean). */
#define FR_TOPIC_RECOVERY_POINT_CLEAN INT64_MAX

/* Opens partition index of a topic, recovering its log from recovery_point
 * (fr_partlog_open_from, or fr_partlog_open_clean for
 * FR_TOPIC_RECOVERY_POINT_CLEAN), or creating the directory when it is
 * missing.  *out gets the partition. */
int fr_topic_partition_open(const fr_broker_config_t *cfg, int log_dir, const char *topic,
                            const fr_log_config_t *log_cfg, int32_t index, int64_t recovery_point,
                            fr_partition_t **out, char *err, size_t errlen);

/* Makes partitions [from, to) of a new or growing topic: directory, empty
 * log and partition.metadata holding id, all made durable (each directory
 * and the log dir fsynced) before it returns; parts[i - from] gets partition i.
 * On failure it deletes those it made (parts are all NULL then) and returns
 * KAFKA_STORAGE_ERROR or NOMEM, with err. */
int fr_topic_partitions_make(const fr_broker_config_t *cfg, int log_dir, const char *topic, const uint8_t id[16],
                             const fr_log_config_t *log_cfg, int32_t from, int32_t to, fr_partition_t **parts,
                             char *err, size_t errlen);

/*
 * The creation or growth under way in a log dir: partitions [from, to) of
 * topic, whose id is id.  It is saved (durably) before the first of their
 * directories is made and cleared (durably) once all of them are durable, so
 * that a broker stopped in between finishes them at its next start
 * (fr_topics_open) instead of loading a topic with only some of its
 * partitions.  One build runs at a time for the whole broker (topic_build.c;
 * the offsets topic is made at start, before any), so a log dir has at most
 * one: "<log dir>/.topic-build".
 */
typedef struct fr_topic_intent {
    char topic[256];
    uint8_t id[16];
    int32_t from, to;
} fr_topic_intent_t;

/* fr_topic_partitions_make between saving the build's intent and clearing it:
 * what CreateTopics and CreatePartitions use.  Same results. */
int fr_topic_partitions_build(const fr_broker_config_t *cfg, int log_dir, const char *topic, const uint8_t id[16],
                              const fr_log_config_t *log_cfg, int32_t from, int32_t to, fr_partition_t **parts,
                              char *err, size_t errlen);

/* 1 and *out when a log dir holds one, 0 when it holds none, -1 with err
 * when it cannot be read or makes no sense. */
int fr_topic_intent_load(const fr_broker_config_t *cfg, int log_dir, fr_topic_intent_t *out, char *err,
                         size_t errlen);
/* Removes it and syncs the log dir.  0, or -1 with err. */
int fr_topic_intent_clear(const fr_broker_config_t *cfg, int log_dir, char *err, size_t errlen);

/* Writes partition.metadata (holding id) in partition_dir, durably.  0 or -1 (errno). */
int fr_topic_id_write(const char *partition_dir, const uint8_t id[16]);

#endif
