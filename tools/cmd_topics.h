/*
 * cmd_topics.h — what the files of `freshet topics` share (cmd_topics.c:
 * options, create/alter/delete/list; cmd_topics_describe.c: --describe).
 */
#ifndef FR_CMD_TOPICS_H
#define FR_CMD_TOPICS_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "tool_args.h"

typedef struct topics_ctx {
    const tool_args_t *args;
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    int timeout_ms;
    const struct rd_kafka_metadata *md;
} topics_ctx_t;

/* The --describe report filters, at most one of which may be given. */
#define TOPICS_NREPORTS 4
extern const char *const topics_report_opts[TOPICS_NREPORTS];

/* Prints "Error while executing topic command : msg" on stderr; returns 1. */
int topics_command_error(const char *msg);
/* Kafka's message for a failed topic operation (the broker's, else Java's text). */
const char *topics_error_message(rd_kafka_resp_err_t err, const char *errstr, const char *topic, char *buf,
                                 size_t len);
/* Waits for the admin result of `type`; NULL (after reporting) on error.  Caller destroys the event. */
rd_kafka_event_t *topics_admin_wait(topics_ctx_t *c, rd_kafka_event_type_t type, const char *api);
rd_kafka_AdminOptions_t *topics_admin_options(topics_ctx_t *c, rd_kafka_admin_op_t op, bool operation_timeout);
/* The topics matching --topic (all when absent), sorted; count, or -1 (reported). Caller frees *out. */
long topics_get_topics(topics_ctx_t *c, const rd_kafka_metadata_topic_t ***out);
/* With --if-exists absent, no match is an error.  Returns 0 or 1 (reported). */
int topics_ensure_topic_exists(topics_ctx_t *c, long found);
/* --describe */
int topics_do_describe(topics_ctx_t *c);

#endif
