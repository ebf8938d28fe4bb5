/*
 * append_offload.c — Produce appends that decompress or re-compress records,
 * run on a worker thread.
 *
 * Why: most appends only check CRCs and write, and run on the network loop.
 * But a topic whose compression.type names a codec re-compresses every batch
 * sent in another one, a compacted topic decompresses compressed batches
 * to check their keys, and any topic decompresses them to check their
 * records.  On a megabyte batch that takes milliseconds (gzip: 3-19 ms here,
 * text to random bytes), and on the loop every other client would wait that
 * long.  (lz4 batches are checked on the loop, where a megabyte decompresses
 * in under a millisecond, unless their block headers say they could decode
 * to more than FR_LZ4_CHECK_MAX_OUT: see fr_partlog_codec_bytes.)
 * Kafka does this work on its request handler threads, never on the network
 * threads; here it goes to the thread pool.
 *
 * The produce handler parks its request (its connection reads nothing more
 * meanwhile, so one connection's appends stay in order) and hands over the
 * costly partitions.  The job copies their records and topic names: the
 * connection may close, or the topic be deleted, before it ends.  Partitions
 * are appended one after another, each as a log job that keeps the log open
 * through a deletion, and each is looked up by name again when its turn
 * comes (fr_log_steps_t, log_steps.c).  The flush policy and waiting consumers hear of each append
 * as soon as it is back, whether or not the request still waits for it.
 *
 * One request's appends run at a time for the whole broker: the pool has
 * four threads and the fsyncs that acks=all producers wait for must find one
 * free.  That costs nothing against what came before, when every
 * conversion ran one at a time on the loop itself.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_err.h"

struct fr_append_offload {
    fr_log_steps_t steps;      /* in the server's append_lane: one request's appends run at a time */
    int64_t now_ms;
    fr_offload_part_t parts[]; /* followed by the records and topic names they point to */
};
_Static_assert(offsetof(fr_append_offload_t, steps) == 0, "fr_log_steps_release frees the block at its steps");

static fr_slice_t append_topic(const fr_log_steps_t *s, size_t i, int32_t *partition) {
    const fr_offload_part_t *part = &((const fr_append_offload_t *)s)->parts[i];
    *partition = part->partition;
    return part->topic;
}

static void append_run(fr_log_steps_t *s, size_t i, fr_partlog_t *log) {
    fr_append_offload_t *o = (fr_append_offload_t *)s;
    fr_offload_part_t *part = &o->parts[i];
    part->rc = fr_partlog_append(log, (uint8_t *)part->records, part->len, o->now_ms, &part->info);
}

/* Back on the loop: what the handler would have done after an append of its own. */
static void append_ran(fr_log_steps_t *s, size_t i) {
    const fr_offload_part_t *part = &((fr_append_offload_t *)s)->parts[i];
    if (part->rc || part->info.duplicate)
        return;
    fr_partition_t *p = fr_topic_partition(fr_topics_find(&s->srv->topics, part->topic), part->partition);
    if (p) /* NULL: deleted meanwhile, and its log with it */
        fr_server_note_append(s->srv, p, &part->info);
}

static void append_missing(fr_log_steps_t *s, size_t i) {
    ((fr_append_offload_t *)s)->parts[i].rc = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

static void append_dispose(fr_log_steps_t *s) {
    fr_append_offload_t *o = (fr_append_offload_t *)s;
    for (size_t i = 0; i < s->n; i++)
        fr_append_info_release(&o->parts[i].info);
}

static const fr_log_steps_ops_t append_ops = {
    .topic = append_topic, .run = append_run, .ran = append_ran, .missing = append_missing,
    .dispose = append_dispose};

fr_append_offload_t *fr_append_offload_start(fr_server_t *srv, const fr_offload_part_t *parts, size_t n,
                                             int64_t now_ms) {
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += parts[i].len + (parts[i].topic.len > 0 ? (size_t)parts[i].topic.len : 0);
    fr_append_offload_t *o = malloc(sizeof(*o) + n * sizeof(*parts) + bytes);
    if (!o)
        return NULL;
    o->now_ms = now_ms;
    uint8_t *copy = (uint8_t *)(o->parts + n);
    for (size_t i = 0; i < n; i++) {
        fr_offload_part_t *part = &o->parts[i];
        *part = parts[i];
        part->rc = 0;
        part->info = (fr_append_info_t){.base_offset = -1, .last_offset = -1};
        memcpy(copy, part->records, part->len);
        part->records = copy; /* the request's bytes go with its connection */
        copy += part->len;
        if (part->topic.len > 0)
            memcpy(copy, part->topic.ptr, (size_t)part->topic.len);
        part->topic.ptr = copy;
        copy += part->topic.len > 0 ? part->topic.len : 0;
    }
    fr_log_steps_start(&o->steps, srv, &srv->append_lane, &append_ops, n);
    return o;
}

int fr_append_offload_done(const fr_append_offload_t *o) { return fr_log_steps_done(&o->steps); }

const fr_offload_part_t *fr_append_offload_result(const fr_append_offload_t *o, size_t i) {
    return i < o->steps.n ? &o->parts[i] : NULL;
}

void fr_append_offload_release(fr_append_offload_t *o) { fr_log_steps_release(o ? &o->steps : NULL); }
