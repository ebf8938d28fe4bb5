/*
 * example_app.h — what the streams examples share: parsing the command line
 * into a config, and running a built topology until SIGINT/SIGTERM.
 *
 * Every example takes:
 *   --bootstrap-server H:P   default localhost:9092
 *   --state-dir DIR          default /tmp/kafka-streams (Kafka's)
 *   --set key=value          any Kafka Streams or librdkafka key, repeatable
 *   --help
 */
#ifndef EXAMPLE_APP_H
#define EXAMPLE_APP_H

#include "freshet/streams.h"
#include "freshet/streams_app.h"

/* Fills a new config with application.id, the example's defaults (pairs of
 * key, value, NULL-terminated; may be NULL) and then the command line, which
 * wins.  Returns NULL after printing why (bad flag, bad value, --help). */
fr_streams_config_t *example_config(int argc, char **argv, const char *usage, const char *application_id,
                                    const char *const *defaults);

/* A topic the example reads or writes: created when missing (1 partition,
 * replication factor 1, cleanup.policy when given), so each example runs
 * with one command; Kafka's demos ask for them to be created by hand. */
typedef struct example_topic {
    const char *name;
    const char *cleanup_policy; /* NULL: the broker's default */
} example_topic_t;

/* Creates the missing topics (topics ends with {NULL}), builds the topology
 * with cfg, runs it until SIGINT/SIGTERM or a fatal error, closes it cleanly
 * and frees everything (builder, config, topology).  Logs every state change
 * on stderr.  Returns the exit code for main(). */
int example_run(const char *name, fr_builder_t *b, fr_streams_config_t *cfg, const example_topic_t *topics);

#endif
