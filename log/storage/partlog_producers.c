/* The idempotent producers a partition knows, copied out for DescribeProducers. */
#include <stdlib.h>

#include "fr_err.h"
#include "fr_partlog.h"
#include "partlog_internal.h"

static int cmp_producer_id(const void *a, const void *b) {
    int64_t x = ((const fr_producer_summary_t *)a)->producer_id, y = ((const fr_producer_summary_t *)b)->producer_id;
    return (x > y) - (x < y);
}

int fr_partlog_active_producers(fr_partlog_t *log, fr_producer_summary_t **out, int32_t *count) {
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&log->lock);
    const fr_producer_state_t *ps = &log->producers;
    fr_producer_summary_t *s = ps->count ? calloc(ps->count, sizeof(*s)) : NULL;
    if (ps->count && !s) {
        pthread_mutex_unlock(&log->lock);
        return FR_ERR_NOMEM;
    }
    /* Kafka expires producers on a timer, also on a partition nobody writes to; here expiry
     * runs on appends, so one past producer.id.expiration.ms is left out as Kafka would have
     * dropped it (isProducerExpired: its newest batch's timestamp that old, or none kept) */
    int64_t now = fr_partlog_wall_clock_ms();
    size_t n = 0, seen = 0;
    for (size_t i = 0; i < ps->cap && seen < ps->count; i++) {
        const fr_producer_entry_t *e = &ps->slots[i];
        if (e->producer_id == FR_NO_PRODUCER_ID)
            continue;
        seen++;
        const fr_producer_batch_t *last = e->nbatches ? fr_producer_entry_batch(e, 0) : NULL;
        if (now - (last ? last->max_timestamp : -1) >= ps->expiration_ms)
            continue;
        s[n++] = (fr_producer_summary_t){e->producer_id, e->epoch, last ? last->last_seq : -1,
                                         last ? last->max_timestamp : -1};
    }
    pthread_mutex_unlock(&log->lock);
    if (n > 1)
        qsort(s, n, sizeof(*s), cmp_producer_id);
    *out = s;
    *count = (int32_t)n;
    return 0;
}
