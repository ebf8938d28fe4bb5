/*
 * tool_groups_admin.h — what `freshet consumer-groups` asks the cluster,
 * over librdkafka's Admin API, in the shapes Kafka's ConsumerGroupService
 * uses: group listings, group descriptions, committed offsets, log start/end
 * offsets and offsets by time, topic partitions, and Kafka's texts for the
 * errors that come back.
 *
 * Every call waits for its answer (at most the --timeout).  A call that fails
 * prints "Error: ..." on stderr (cg_error) and returns NULL or -1; the
 * command then exits 1.
 */
#ifndef FR_TOOL_GROUPS_ADMIN_H
#define FR_TOOL_GROUPS_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "tool_args.h"

typedef struct cg_ctx {
    const tool_args_t *args;
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue; /* admin results */
    int timeout_ms;          /* --timeout */
    const struct rd_kafka_metadata *md; /* all topics, read on first need (owned) */
    int rc;                  /* 1 once an error was reported */
} cg_ctx_t;

/* Prints "Error: <msg>" on stderr and marks the command failed. */
void cg_error(cg_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the Java exception Kafka's Errors maps the code to
 * ("The group id does not exist."), or librdkafka's text for other codes. */
const char *cg_err_message(rd_kafka_resp_err_t err);

/* The Java exception's toString() for err, as Kafka prints it:
 * "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist." */
void cg_err_exception(rd_kafka_resp_err_t err, char *buf, size_t len);

/* Admin options with the --timeout as request timeout.  Caller destroys. */
rd_kafka_AdminOptions_t *cg_admin_options(cg_ctx_t *c, rd_kafka_admin_op_t op);

/* Waits for the result event of `type`.  Returns it (caller destroys), or NULL (reported). */
rd_kafka_event_t *cg_admin_wait(cg_ctx_t *c, rd_kafka_event_type_t type, const char *api);

/* One listed group. */
typedef struct cg_listing {
    char *group; /* owned */
    rd_kafka_consumer_group_state_t state; /* UNKNOWN when the broker did not say */
} cg_listing_t;

/*
 * ListConsumerGroups (groups of protocol type "consumer" or "" only, as the
 * Java admin client lists them), keeping only `states` when nstates > 0.
 * Fills *out (cg_listings_free) in the order the brokers answered.  Returns 0 or -1.
 */
int cg_list_groups(cg_ctx_t *c, const rd_kafka_consumer_group_state_t *states, size_t nstates,
                   cg_listing_t **out, size_t *n);
void cg_listings_free(cg_listing_t *l, size_t n);

/*
 * The groups to act on: every listed group with --all-groups, else every
 * --group.  Fills *out with pointers (into argv or into *listings) sorted by
 * name without duplicates; free *out and cg_listings_free(*listings, *nlist).
 * Returns the count, or -1.
 */
long cg_selected_groups(cg_ctx_t *c, const char ***out, cg_listing_t **listings, size_t *nlist);

/* DescribeConsumerGroups.  Returns the result event (caller destroys), or NULL. */
rd_kafka_event_t *cg_describe(cg_ctx_t *c, const char **groups, size_t n);

/* The description of `group` in a cg_describe() event, or NULL.  Borrowed from the event. */
const rd_kafka_ConsumerGroupDescription_t *cg_description(rd_kafka_event_t *ev, const char *group);

/* The description's state name as Kafka spells it ("Stable", "Empty", "Dead", ...). */
const char *cg_state_name(const rd_kafka_ConsumerGroupDescription_t *d);

/*
 * ListConsumerGroupOffsets for every partition of the group: a new list
 * (caller destroys) of the partitions with a committed offset (.offset >= 0),
 * sorted by topic and partition.  NULL on error.
 */
rd_kafka_topic_partition_list_t *cg_committed(cg_ctx_t *c, const char *group);

/*
 * Sets each partition's .offset to the log's offset for `spec`:
 * RD_KAFKA_OFFSET_BEGINNING (log start), RD_KAFKA_OFFSET_END (log end) or a
 * timestamp (the first offset whose timestamp reaches it; -1 when there is
 * none).  A partition whose offset could not be had keeps .err set (a
 * partition of a topic that does not exist: UNKNOWN_TOPIC_OR_PART).
 * Returns 0, or -1 when the query failed as a whole.
 */
int cg_log_offsets(cg_ctx_t *c, rd_kafka_topic_partition_list_t *parts, int64_t spec);

/* The metadata of every topic (read once, kept in c->md).  Returns 0 or -1. */
int cg_metadata(cg_ctx_t *c);

/* The partition count of a topic from cg_metadata(); -1 when the topic does not exist. */
int cg_topic_partition_count(cg_ctx_t *c, const char *topic);

/* Sorts a partition list by topic, then partition (Kafka's TopicPartition order for output). */
void cg_sort_partitions(rd_kafka_topic_partition_list_t *l);

#endif
