/*
 * fetch_nudge.c — waking librdkafka's fetcher after it stopped for a full
 * queue.
 *
 * Why: librdkafka 2.0.2 (Debian 12's) stops fetching a partition once the
 * consumer's queue holds queued.min.messages records (or
 * queued.max.messages.kbytes), and decides again only when that broker's
 * thread next wakes: on a request, a response, or its one-second timer.
 * (librdkafka 2.2 made that wait fetch.queue.backoff.ms.)  A stream thread
 * processes records more slowly than one fetch brings them, so its queue
 * fills in a few fetches, and once drained it stood idle for the rest of
 * that second, again and again.  WordCount over 2M one-word records ran at
 * 60k records/s that way, against 435k/s with a queue big enough to hold a
 * second of records; a plain consume -> produce loop at 142k/s against ~1M/s.
 *
 * A queue that holds a second of records costs librdkafka ~270 bytes per
 * record (1M queued: 340 MB resident), and a second of bigger records
 * would need queued.max.messages.kbytes raised too.  Waking the thread
 * costs one round trip instead: any request queued for a broker wakes its
 * thread, which then decides again what to fetch.  So when a poll finds
 * nothing after records came, while a partition has not reported its end
 * (it may have more), the caller asks that partition's leader, which is
 * the broker fetching it, for its watermarks.  One partition per nudge, in turn, is enough for
 * every partition of that broker; a cluster's other brokers get their turn
 * at the next nudges.  There is one nudge per time records came and the
 * queue then ran dry, so a partition whose fetch is merely in flight costs
 * at most one extra request per fetch, and a quiet one none after the
 * first.  (A first cut that nudged at most every 10 ms instead waited out a
 * whole poll.ms whenever a fetch came back within those 10 ms.)
 */
#include "fr_logging.h"
#include "rt_internal.h"

size_t rt_nudge_pick(rt_nudge_t *n, size_t candidates) {
    if (!n->flowed || candidates == 0)
        return SIZE_MAX;
    n->flowed = 0;
    return n->turn++ % candidates;
}

void rt_fetch_nudge(rd_kafka_t *rk, const char *topic, int32_t partition, int timeout_ms) {
    int64_t lo, hi;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, timeout_ms);
    /* The request woke the broker thread whatever its answer; a failure
     * (leader unknown, timeout) only means the fetcher decides on its timer. */
    if (e)
        fr_debug(RT_LOG, "waking the fetcher of %s [%d]: %s", topic, partition, rd_kafka_err2str(e));
}

/* Whether the thread's consumer may have stopped fetching t's source i:
 * it has not reported its end since its last record, and it is not paused. */
static int may_have_more(const rt_task_t *t, size_t i) {
    return !t->caught_up[i] && !(t->inq && t->inq[i].paused);
}

void rt_thread_nudge_fetch(rt_thread_t *th) {
    if (!th->nudge.flowed) /* nothing came since the last nudge: no need to count */
        return;
    size_t candidates = 0;
    for (size_t k = 0; k < th->ntasks; k++)
        for (size_t i = 0; i < th->tasks[k]->nsrc; i++)
            candidates += may_have_more(th->tasks[k], i);
    size_t pick = rt_nudge_pick(&th->nudge, candidates);
    for (size_t k = 0; k < th->ntasks && pick != SIZE_MAX; k++) {
        rt_task_t *t = th->tasks[k];
        for (size_t i = 0; i < t->nsrc; i++) {
            if (may_have_more(t, i) && pick-- == 0) {
                rt_fetch_nudge(th->consumer, t->src[i], t->partition, (int)th->app->cfg.poll_ms);
                return;
            }
        }
    }
}
