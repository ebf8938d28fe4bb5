/*
 * tool_fetch_nudge.h — keeps librdkafka's fetcher going for a consumer that
 * reads more slowly than it fetches.
 *
 * librdkafka 2.0.2 stops fetching a partition once the consumer's queue
 * holds queued.min.messages records and decides again only when that
 * broker's thread next wakes, up to a second later, so a console consumer
 * writing 2M short records to a file spent 12 s on them, 11 of them
 * waiting.  Any request for that broker wakes its thread.  So when a poll
 * finds nothing right after records flowed, and a partition has not
 * reported its end (the consumer needs enable.partition.eof), the tool asks
 * one such partition's leader for its watermarks, in turn.  A consumer
 * tailing caught-up partitions sends nothing.  The streams runtime does the
 * same for its threads (streams/runtime/fetch_nudge.c).
 *
 * The tracker owns copies of the topic names it has seen; tool_nudge_free
 * releases them.  Out of memory, it tracks less and nudges less: waking the
 * fetcher only saves time.
 */
#ifndef FR_TOOL_FETCH_NUDGE_H
#define FR_TOOL_FETCH_NUDGE_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct tool_nudge_part {
    char *topic;
    int32_t partition;
    int caught_up; /* its end-of-partition came after its last record */
} tool_nudge_part_t;

typedef struct tool_nudge {
    tool_nudge_part_t *parts;
    size_t n, cap;
    size_t last;     /* the entry of the last message: the next is likely the same */
    int flowed;      /* records came since the last nudge */
    size_t turn;
} tool_nudge_t;

/* Notes a consumed message: a record, or an end-of-partition event. */
void tool_nudge_note(tool_nudge_t *n, const rd_kafka_message_t *m);
/* A poll found nothing: wakes the fetcher of one partition that may have more. */
void tool_nudge_idle(tool_nudge_t *n, rd_kafka_t *rk);
void tool_nudge_free(tool_nudge_t *n);

#endif
