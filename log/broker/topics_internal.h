/*
 * topics_internal.h — what the topic registry (topics.c) shares with its
 * loading at start (topics_open.c).  Not for other modules: they go through
 * topics.h.
 */
#ifndef FR_TOPICS_INTERNAL_H
#define FR_TOPICS_INTERNAL_H

#include <stdint.h>

#include "topics.h"

/* The most partitions a topic may have here (CreateTopics, CreatePartitions,
 * and a topic build file read at start). */
#define FR_TOPIC_PARTITIONS_MAX 100000

/* A topic object with no partitions and no overrides, its log settings the
 * broker's; NULL when out of memory.  Freed with fr_topic_free. */
fr_topic_t *fr_topic_new(const fr_topics_t *t, const char *name, int log_dir);
/* Closes (or, with delete_data, deletes) its partitions' logs and frees it. */
void fr_topic_free(fr_topic_t *topic, int delete_data);
/* Adds topic to the registry, which owns it then; FR_ERR_EXISTS, FR_ERR_NOMEM. */
int fr_topics_insert(fr_topics_t *t, fr_topic_t *topic);
/* Grows topic's partition array to n slots (new ones NULL); FR_ERR_NOMEM. */
int fr_topic_ensure_slots(fr_topic_t *topic, int32_t n);

#endif
