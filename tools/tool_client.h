/*
 * tool_client.h — what every client tool does around librdkafka: client
 * configuration from Kafka-style properties, logging, signals, clocks, and
 * where partitions' logs start and end.
 *
 * Configuration is layered the way the Kafka tools layer it: the tool's
 * defaults, then the --*.config file, then --*-property k=v pairs, then the
 * tool's explicit flags, then --bootstrap-server.  Each layer is an fr_props_t
 * merged into one with tool_props_merge(); tool_conf_new() turns the result
 * into a librdkafka configuration.
 *
 * Kafka users' property files carry Java-client names that librdkafka does
 * not know.  tool_conf_new() translates the few that have a librdkafka
 * equivalent (buffer.memory, send.buffer.bytes, receive.buffer.bytes), drops
 * the serializer/deserializer class names and the settings the tools apply
 * themselves (max.block.ms, default.api.timeout.ms), and for any other unknown
 * name prints the Java client's warning ("The configuration 'x' was supplied
 * but isn't a known config.") and goes on, as the Java client does.  An
 * invalid value for a known name is an error.
 */
#ifndef FR_TOOL_CLIENT_H
#define FR_TOOL_CLIENT_H

#include <signal.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "fr_props.h"
#include "tool_args.h"

/* The last SIGINT/SIGTERM received (0 when none); set by the handlers. */
extern volatile sig_atomic_t tool_signal;

/* SIGINT and SIGTERM set tool_signal (without SA_RESTART, so a blocking read
 * returns EINTR); SIGPIPE is ignored so a closed stdout is a write error. */
void tool_signals_install(void);

/* The Kafka tools log at WARN to stderr; do the same unless FR_LOG_LEVEL says otherwise. */
void tool_logging_init(void);

/* Milliseconds on the monotonic clock. */
int64_t tool_now_ms(void);

/* Loads a .properties file into p (its keys replace p's).  Returns 0 or -1 with a message. */
int tool_props_load_file(fr_props_t *p, const char *path, char *err, size_t errlen);

/* Adds every "k=v" value of the repeated option `opt` to p.  Returns 0 or -1 with a message. */
int tool_props_add_kvs(fr_props_t *p, const tool_args_t *a, const char *opt, char *err,
                       size_t errlen);

/* Copies every entry of src into dst (src wins).  Returns 0 or -1 (out of memory). */
int tool_props_merge(fr_props_t *dst, const fr_props_t *src);

/* Sets key only when p does not have it yet.  Returns 0 or -1 (out of memory). */
int tool_props_default(fr_props_t *p, const char *key, const char *value);

/*
 * A librdkafka configuration from props (see the header comment), with the
 * tools' log and error callbacks installed (librdkafka lines go through
 * fr_logging; connection failures are not repeated as error events).  Returns NULL with a message in err.
 * The caller owns the result (rd_kafka_new() takes it over on success).
 */
rd_kafka_conf_t *tool_conf_new(const fr_props_t *props, char *err, size_t errlen);

/*
 * Sets the offset of every partition in parts to its log's start (which =
 * RD_KAFKA_OFFSET_BEGINNING) or end (RD_KAFKA_OFFSET_END), asked in one
 * ListOffsets request per leader rather than two per partition (as
 * rd_kafka_query_watermark_offsets would).  Returns 0, or the first error
 * (the request's, or a partition's), leaving parts as they were.
 */
rd_kafka_resp_err_t tool_log_offsets(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, int64_t which,
                                     int timeout_ms);

#endif
