/*
 * tool_format.h — the console consumer's record formatter, Kafka's
 * DefaultMessageFormatter.
 *
 * Fields are written in Kafka's order, each followed by key.separator when
 * another field follows, the last one by line.separator:
 *
 *   [CreateTime:<ms> | LogAppendTime:<ms> | NO_TIMESTAMP]   print.timestamp
 *   [Partition:<p>]                                        print.partition
 *   [Offset:<o>]                                           print.offset
 *   [h1:v1,h2:v2 | NO_HEADERS]                             print.headers (headers.separator)
 *   [<key>]                                                print.key
 *   [<value>]                                              print.value (default true)
 *
 * A null key, value or header value prints as null.literal ("null").
 * Defaults: key.separator "\t", line.separator "\n", headers.separator ",".
 * Booleans are true when the trimmed value equals "true" ignoring case,
 * as in Kafka.  Separators are taken literally (Kafka does not unescape them).
 *
 * Nothing here depends on librdkafka, so it is unit-tested on its own.
 */
#ifndef FR_TOOL_FORMAT_H
#define FR_TOOL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fr_props.h"

typedef enum tool_ts_type {
    TOOL_TS_NONE = 0,
    TOOL_TS_CREATE_TIME = 1,
    TOOL_TS_LOG_APPEND_TIME = 2,
} tool_ts_type_t;

/* One header; value NULL means a null value. */
typedef struct tool_header {
    const char *key;
    size_t key_len;
    const void *value;
    size_t value_len;
} tool_header_t;

/* A consumed record as the formatter sees it; every pointer is borrowed. */
typedef struct tool_record {
    int32_t partition;
    int64_t offset;
    tool_ts_type_t ts_type;
    int64_t timestamp;
    const void *key; /* NULL: null key */
    size_t key_len;
    const void *value; /* NULL: null value */
    size_t value_len;
    const tool_header_t *headers;
    size_t header_count;
} tool_record_t;

typedef struct tool_formatter {
    bool print_timestamp, print_partition, print_offset, print_headers, print_key, print_value;
    char *key_separator, *line_separator, *headers_separator, *null_literal; /* owned */
} tool_formatter_t;

/* Reads Kafka's formatter properties from props (may be NULL: all defaults).
 * Returns 0 or -1 (out of memory).  Free with tool_formatter_free(). */
int tool_formatter_init(tool_formatter_t *f, const fr_props_t *props);
void tool_formatter_free(tool_formatter_t *f);

/* Kafka's boolean property parsing: trimmed, case-insensitive "true". */
bool tool_prop_bool(const char *value);

/* Writes one record.  Returns 0, or -1 when the stream reports a write error. */
int tool_formatter_write(const tool_formatter_t *f, const tool_record_t *r, FILE *out);

#endif
