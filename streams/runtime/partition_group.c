/*
 * partition_group.c — the input partitions of one task, merged in timestamp
 * order (Kafka Streams' PartitionGroup).
 *
 * Why: a join's result depends on which side a record meets first.  The
 * consumer hands over records in fetch order, and at start-up one partition
 * is often fetched before another (each resets its offset on its own), so
 * without ordering an order could be joined before the customer row that is
 * older than it was read.  Kafka processes the earliest of the partitions'
 * head records, and does not guess while a partition is empty and might
 * still hold earlier records.
 *
 * "Caught up" is librdkafka's end-of-partition event (the main consumer has
 * enable.partition.eof forced on): it comes after the last record of a fetch
 * that reached the high watermark, so a queue that has drained since is
 * known to lag by nothing, which is what Kafka reads from the fetch's lag
 * metadata (the stream thread keeps it in the task's caught_up).  Until a
 * partition reports either a record or its end, the task waits (Kafka:
 * "lag unknown").
 *
 * Memory: each queue holds rd_kafka_message_t pointers, not copies.  When
 * the task has to wait and a queue holds more than
 * buffered.records.per.partition, that partition is paused at the consumer,
 * and resumed once the queue is back to that size; librdkafka then fetches
 * again from the offset after the last record it handed over.
 */
#include <stdlib.h>

#include "fr_logging.h"
#include "rt_internal.h"

int rt_inq_open(rt_task_t *t) {
    if (t->nsrc < 2)
        return 0;
    t->inq = calloc(t->nsrc, sizeof(*t->inq));
    if (!t->inq)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < t->nsrc; i++)
        t->inq[i].idle_deadline = -1;
    return 0;
}

static void set_paused(rt_thread_t *th, rt_task_t *t, size_t i, int pause) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t->src[i], t->partition);
    rd_kafka_resp_err_t e = pause ? rd_kafka_pause_partitions(th->consumer, l)
                                  : rd_kafka_resume_partitions(th->consumer, l);
    if (!e)
        e = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        /* Not fatal: an unpaused partition only buffers more. */
        fr_warn(RT_LOG, "stream-thread [%s] %s %s [%d] failed: %s", th->name, pause ? "pausing" : "resuming",
                t->src[i], t->partition, rd_kafka_err2str(e));
        return;
    }
    t->inq[i].paused = pause;
}

void rt_inq_close(rt_thread_t *th, rt_task_t *t) {
    if (!t->inq)
        return;
    for (size_t i = 0; i < t->nsrc; i++) {
        rt_inqueue_t *q = &t->inq[i];
        for (size_t n = 0; n < q->len; n++)
            rd_kafka_message_destroy(q->msgs[(q->head + n) % q->cap]);
        free(q->msgs);
        /* A paused partition would stay paused if it came back to this
         * consumer in a later assignment. */
        if (q->paused && th->consumer)
            set_paused(th, t, i, 0);
    }
    free(t->inq);
    t->inq = NULL;
}

static int push(rt_inqueue_t *q, rd_kafka_message_t *m) {
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        rd_kafka_message_t **g = malloc(cap * sizeof(*g));
        if (!g)
            return FR_ERR_NOMEM;
        for (size_t n = 0; n < q->len; n++)
            g[n] = q->msgs[(q->head + n) % q->cap];
        free(q->msgs);
        q->msgs = g;
        q->cap = cap;
        q->head = 0;
    }
    q->msgs[(q->head + q->len) % q->cap] = m;
    q->len++;
    return 0;
}

int rt_inq_add(rt_thread_t *th, rt_task_t *t, size_t src, rd_kafka_message_t *m) {
    rt_inqueue_t *q = &t->inq[src];
    int rc = push(q, m);
    if (rc) {
        rd_kafka_message_destroy(m);
        rt_thread_fail(th, rc, "task %zu_%d: no memory to buffer a record of %s", t->sub, t->partition,
                       t->src[src]);
        return rc;
    }
    q->idle_deadline = -1;
    return 0;
}

/* Kafka's readyToProcess: every partition has a record, or is caught up and
 * has idled max.task.idle.ms; -1 never waits. */
static int ready(rt_thread_t *th, rt_task_t *t, int64_t now) {
    int64_t idle = th->app->cfg.max_task_idle_ms;
    int buffered = 0;
    for (size_t i = 0; i < t->nsrc; i++) {
        rt_inqueue_t *q = &t->inq[i];
        if (q->len) {
            q->idle_deadline = -1;
            buffered = 1;
            continue;
        }
        if (idle < 0)
            continue;
        if (!t->caught_up[i]) /* lag unknown or positive: its records may be earlier */
            return 0;
        if (q->idle_deadline < 0)
            q->idle_deadline = now + idle;
        if (now < q->idle_deadline)
            return 0;
    }
    return buffered;
}

int rt_inq_process(rt_thread_t *th, rt_task_t *t, int64_t now_ms) {
    while (!th->fatal && ready(th, t, now_ms)) {
        /* ready: some queue holds a record; take the earliest head (the first on a tie) */
        size_t best = t->nsrc;
        int64_t best_ts = 0;
        for (size_t i = 0; i < t->nsrc; i++) {
            rt_inqueue_t *q = &t->inq[i];
            int64_t ts = q->len ? rd_kafka_message_timestamp(q->msgs[q->head], NULL) : 0;
            if (q->len && (best == t->nsrc || ts < best_ts)) {
                best = i;
                best_ts = ts;
            }
        }
        rt_inqueue_t *q = &t->inq[best];
        rd_kafka_message_t *m = q->msgs[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        int rc = rt_thread_process(th, t, best, m);
        rd_kafka_message_destroy(m);
        if (q->paused && (int64_t)q->len <= th->app->cfg.buffered_records)
            set_paused(th, t, best, 0);
        if (rc)
            return rc;
    }
    /* Waiting on another partition: stop fetching the ones that piled up.
     * Only then, as pausing discards what librdkafka has fetched ahead and
     * resuming waits for its next fetch round. */
    for (size_t i = 0; i < t->nsrc && !th->fatal; i++) {
        if (!t->inq[i].paused && (int64_t)t->inq[i].len > th->app->cfg.buffered_records)
            set_paused(th, t, i, 1);
    }
    return 0;
}
