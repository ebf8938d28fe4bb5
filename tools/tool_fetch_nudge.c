/* tool_fetch_nudge.c — see tool_fetch_nudge.h. */
#include "tool_fetch_nudge.h"

#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_logging.h"

#define NUDGE_TIMEOUT_MS 100

static tool_nudge_part_t *find(tool_nudge_t *n, const char *topic, int32_t partition) {
    for (size_t k = 0; k < n->n; k++) {
        size_t i = (n->last + k) % n->n;
        if (n->parts[i].partition == partition && strcmp(n->parts[i].topic, topic) == 0) {
            n->last = i;
            return &n->parts[i];
        }
    }
    if (FR_ARRAY_GROW(n->parts, n->cap, n->n + 1, 8))
        return NULL;
    char *copy = strdup(topic);
    if (!copy)
        return NULL;
    n->parts[n->n] = (tool_nudge_part_t){.topic = copy, .partition = partition};
    n->last = n->n;
    return &n->parts[n->n++];
}

void tool_nudge_note(tool_nudge_t *n, const rd_kafka_message_t *m) {
    if (!m->rkt || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF))
        return;
    tool_nudge_part_t *p = find(n, rd_kafka_topic_name(m->rkt), m->partition);
    if (p)
        p->caught_up = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    n->flowed |= !m->err;
}

void tool_nudge_idle(tool_nudge_t *n, rd_kafka_t *rk) {
    if (!n->flowed)
        return;
    size_t behind = 0;
    for (size_t i = 0; i < n->n; i++)
        behind += !n->parts[i].caught_up;
    n->flowed = 0; /* a quiet partition is nudged once, not at every poll */
    if (!behind)
        return;
    size_t pick = n->turn++ % behind;
    for (size_t i = 0; i < n->n; i++) {
        if (n->parts[i].caught_up || pick-- > 0)
            continue;
        int64_t lo, hi;
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(rk, n->parts[i].topic, n->parts[i].partition, &lo, &hi, NUDGE_TIMEOUT_MS);
        /* the request woke the broker thread whatever the answer */
        if (e)
            fr_debug("tools", "waking the fetcher of %s [%d]: %s", n->parts[i].topic, n->parts[i].partition,
                     rd_kafka_err2str(e));
        return;
    }
}

void tool_nudge_free(tool_nudge_t *n) {
    for (size_t i = 0; i < n->n; i++)
        free(n->parts[i].topic);
    free(n->parts);
    memset(n, 0, sizeof(*n));
}
