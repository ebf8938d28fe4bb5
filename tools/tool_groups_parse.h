/*
 * tool_groups_parse.h — the argument formats of kafka-consumer-groups.sh that
 * are parsed without a broker: --to-datetime, --by-duration, the
 * "topic:0,1,2" form of --topic, and the CSV lines of --from-file / --export.
 *
 * Nothing here depends on librdkafka, so it is unit-tested on its own.
 * Every function returns 0, or -1 with the message Kafka prints in err.
 */
#ifndef FR_TOOL_GROUPS_PARSE_H
#define FR_TOOL_GROUPS_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Kafka's Utils.getDateTime(): "yyyy-MM-dd'T'HH:mm:ss.SSS" with an optional
 * zone ("Z", "+hh", "+hhmm", "+hh:mm", or '-'); without a zone the time is
 * UTC.  As with Java's SimpleDateFormat, the fraction is the number of
 * milliseconds it spells (1 to 3 digits).  Sets *ms to milliseconds since the
 * epoch.
 */
int tool_parse_datetime(const char *s, int64_t *ms, char *err, size_t errlen);

/*
 * Java's Duration.parse(): "[+-]PnDTnHnMn.nS" (case-insensitive, each number
 * may carry a sign, at least one part, no "T" without a time part).  Sets *ms
 * to the duration in milliseconds (truncated toward zero, as toMillis() does).
 */
int tool_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);

/*
 * One "topic:0,1,2" argument (Kafka's parseTopicsWithPartitions).  Sets
 * *topic_len to the length of the topic name at the start of arg, and fills
 * parts (capacity cap) with the partitions; *nparts is their count.  An arg
 * without ':' is an error here (callers take it as a whole topic first).
 */
int tool_parse_topic_partitions(const char *arg, size_t *topic_len, int32_t *parts, size_t cap,
                                size_t *nparts, char *err, size_t errlen);

/* How many partitions "topic:0,1,2" names (the capacity parse needs). */
size_t tool_count_partitions(const char *arg);

/*
 * One line of a reset plan CSV: "topic,partition,offset" or
 * "group,topic,partition,offset".  Splits line in place (it is modified);
 * *group is NULL in the 3-field form.  Returns 0, or -1 with a message.
 */
int tool_parse_plan_line(char *line, char **group, char **topic, int32_t *partition,
                         int64_t *offset, char *err, size_t errlen);

#endif
