/*
 * tool_reader.h — the console producer's line parser, Kafka's LineMessageReader.
 *
 * One input line (without its line end) becomes one record:
 *
 *   parse.headers=true  parse.key=true    "h1:v1,h2:v2<TAB>key<TAB>value"
 *   parse.key=true                        "key<TAB>value"
 *   parse.headers=true                    "h1:v1,h2:v2<TAB>value"
 *   (neither)                             "value"
 *
 * Properties and their defaults (as in Kafka):
 *   parse.key=false, key.separator=\t, parse.headers=false, headers.delimiter=\t,
 *   headers.separator=",", headers.key.separator=":", ignore.error=false,
 *   null.marker (unset): a key, value or header value equal to it becomes null.
 * When a separator is missing the line is an error ("No key separator found on
 * line number 3: 'abc'"), unless ignore.error=true: then the key (or headers)
 * are null and the whole rest of the line is the value.  headers.separator is
 * literal text here (Kafka treats it as a regular expression); as in Java's
 * String.split, empty trailing header pairs are dropped.
 *
 * Nothing here depends on librdkafka, so it is unit-tested on its own.
 */
#ifndef FR_TOOL_READER_H
#define FR_TOOL_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "fr_props.h"
#include "tool_format.h"

typedef struct tool_line_reader {
    bool parse_key, parse_headers, ignore_error;
    char *key_separator, *headers_delimiter, *headers_separator, *headers_key_separator; /* owned */
    char *null_marker; /* owned; NULL when unset */
} tool_line_reader_t;

/* The parsed line: every pointer borrows from the line given to tool_line_parse(). */
typedef struct tool_line {
    const char *key; /* NULL: null key */
    size_t key_len;
    const char *value; /* NULL: null value */
    size_t value_len;
    tool_header_t *headers; /* owned array, reused across calls */
    size_t header_count, header_cap;
} tool_line_t;

/* Reads the reader properties; returns 0, or -1 with a Kafka-like message in err. */
int tool_line_reader_init(tool_line_reader_t *r, const fr_props_t *props, char *err, size_t errlen);
void tool_line_reader_free(tool_line_reader_t *r);

/*
 * Parses line[0..len) (line number `lineno`, for messages) into out.
 * Returns 0, or -1 with Kafka's message in err.  out->headers must start
 * zeroed; free it with tool_line_free().
 */
int tool_line_parse(const tool_line_reader_t *r, const char *line, size_t len, long lineno,
                    tool_line_t *out, char *err, size_t errlen);
void tool_line_free(tool_line_t *l);

#endif
