/*
 * commit.c — the at-least-once commit protocol over one thread's tasks.
 *
 *   1. fr_task_flush on every task: caches emit changelog and downstream
 *      records into the producer;
 *   2. rd_kafka_flush: every record the thread produced is acknowledged
 *      (a delivery failure is fatal for the thread: its input offsets must
 *      not be committed past records that were lost);
 *   3. fr_task_commit with each changelog partition's last acknowledged
 *      offset + 1: the store and its checkpoint now match the changelog;
 *   4. the consumed input offsets go to the group, synchronously.
 *
 * A crash anywhere before 4 leaves the input offsets behind the effects of
 * the records processed since the last commit, so they are processed again
 * (at-least-once).  Exactly-once later wraps 1–4 in a producer transaction,
 * with step 4 becoming SendOffsetsToTransaction; nothing here needs to
 * change shape for that.
 *
 * Repartition topics are the application's own: once their offsets are
 * committed, the records below are deleted (DeleteRecords, at most every
 * repartition.purge.interval.ms, as Kafka Streams does), so they do not
 * grow without bound.
 *
 * An input-offset commit that the group refuses (a rebalance in progress,
 * partitions lost to another member) is not fatal: the records will be
 * processed again by the new owner, which is what at-least-once allows.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "rt_internal.h"

#define RT_FLUSH_TIMEOUT_MS 120000

/* Deletes repartition records below the committed offsets (asynchronous;
 * results are served by rt_purge_poll). */
static void purge_repartition(rt_thread_t *th) {
    const rt_topics_t *tp = &th->app->topics;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        for (size_t s = 0; s < t->nsrc; s++) {
            if (t->committed_offset[s] > 0 && rt_topics_is_repartition(tp, t->src[s]))
                rd_kafka_topic_partition_list_add(l, t->src[s], t->partition)->offset = t->committed_offset[s];
        }
    }
    if (l->cnt) {
        rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(l);
        rd_kafka_DeleteRecords(th->producer, &dr, 1, NULL, th->admin_q);
        rd_kafka_DeleteRecords_destroy(dr);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

void rt_purge_poll(rt_thread_t *th) {
    rd_kafka_event_t *ev;
    while (th->admin_q && (ev = rd_kafka_queue_poll(th->admin_q, 0)) != NULL) {
        if (rd_kafka_event_error(ev))
            fr_warn(RT_LOG, "stream-thread [%s] purging repartition topics: %s", th->name,
                    rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
    }
}

static int commit_input(rt_thread_t *th, int revoking) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        for (size_t s = 0; s < t->nsrc; s++) {
            if (t->next_offset[s] >= 0 && t->next_offset[s] != t->committed_offset[s])
                rd_kafka_topic_partition_list_add(l, t->src[s], t->partition)->offset = t->next_offset[s];
        }
    }
    int rc = 0;
    if (l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_commit(th->consumer, l, 0);
        if (e) {
            fr_warn(RT_LOG, "stream-thread [%s] offset commit failed%s: %s; the records since the last commit will "
                            "be processed again",
                    th->name, revoking ? " during a revoke" : "", rd_kafka_err2str(e));
            rc = FR_ERR_REBALANCE_IN_PROGRESS;
        } else {
            for (int i = 0; i < l->cnt; i++) {
                if (l->elems[i].err)
                    continue;
                rt_task_t *t = rt_task_for(th, l->elems[i].topic, l->elems[i].partition);
                for (size_t s = 0; t && s < t->nsrc; s++) {
                    if (strcmp(t->src[s], l->elems[i].topic) == 0)
                        t->committed_offset[s] = l->elems[i].offset;
                }
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int rt_commit_all(rt_thread_t *th, int revoking) {
    th->last_commit_ms = rt_now_ms();
    if (!th->ntasks)
        return 0;
    int rc;
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        if ((rc = fr_task_flush(t->task)) != 0) {
            rt_thread_fail(th, rc, "task %zu_%d flush failed: %s", t->sub, t->partition, fr_err_str(rc));
            return rc;
        }
    }
    rd_kafka_resp_err_t e = rd_kafka_flush(th->producer, RT_FLUSH_TIMEOUT_MS);
    if (e) {
        rt_thread_fail(th, FR_ERR_REQUEST_TIMED_OUT, "producer did not deliver %d records within %d ms: %s",
                       rd_kafka_outq_len(th->producer), RT_FLUSH_TIMEOUT_MS, rd_kafka_err2str(e));
        return FR_ERR_REQUEST_TIMED_OUT;
    }
    if (th->fatal)
        return th->fatal; /* a delivery report failed the thread */
    fr_store_offset_t *offs = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        if (t->ncl > cap) {
            fr_store_offset_t *g = realloc(offs, t->ncl * sizeof(*g));
            if (!g) {
                free(offs);
                rt_thread_fail(th, FR_ERR_NOMEM, "out of memory in commit");
                return FR_ERR_NOMEM;
            }
            offs = g;
            cap = t->ncl;
        }
        for (size_t c = 0; c < t->ncl; c++) {
            if (t->cl_acked[c] >= 0 && t->cl_acked[c] + 1 > t->cl_next[c])
                t->cl_next[c] = t->cl_acked[c] + 1;
            offs[c] = (fr_store_offset_t){t->cl[c].topic, t->cl[c].partition, t->cl_next[c]};
        }
        if ((rc = fr_task_commit(t->task, offs, t->ncl)) != 0) {
            free(offs);
            rt_thread_fail(th, rc, "task %zu_%d store commit failed: %s", t->sub, t->partition, fr_err_str(rc));
            return rc;
        }
        t->processed_since_commit = 0;
    }
    free(offs);
    if (commit_input(th, revoking) == 0 && th->admin_q && !revoking &&
        th->last_commit_ms - th->last_purge_ms >= th->app->cfg.purge_interval_ms) {
        purge_repartition(th);
        th->last_purge_ms = th->last_commit_ms;
    }
    fr_debug(RT_LOG, "stream-thread [%s] committed %zu tasks", th->name, th->ntasks);
    return 0;
}
