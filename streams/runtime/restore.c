/*
 * restore.c — bringing a thread's new tasks up to date from their changelogs
 * before they process input.
 *
 * For each changelog partition of each task: read from the store's
 * checkpointed offset (restore_from; 0 for a new or wiped store) to the high
 * watermark taken when restoration starts, with the thread's restore
 * consumer (assign, no group), applying every record with fr_task_restore;
 * then commit each task with the offsets reached.  The end is the watermark
 * or the partition-EOF event, whichever comes first: a compacted changelog
 * may have no record at hw-1.
 *
 * A checkpoint beyond the changelog's end means the changelog was deleted
 * and recreated (or truncated): the local store cannot be trusted, so the
 * task directory is wiped and restored from scratch, as Kafka Streams does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "rt_internal.h"

#define RT_RESTORE_STALL_MS 120000

typedef struct restore_part {
    rt_task_t *task;
    size_t cl;          /* index in task->cl */
    int64_t end;        /* high watermark at start */
    int64_t restored;   /* records applied */
    int done;
} restore_part_t;

/* Wipes a task whose checkpoint is ahead of its changelog and reopens it. */
static int wipe_task(rt_thread_t *th, rt_task_t *t) {
    fr_streams_t *app = th->app;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%zu_%d", app->app_state_dir, t->sub, t->partition);
    fr_warn(RT_LOG, "stream-thread [%s] task %zu_%d: checkpoint is past the end of its changelog; wiping %s and "
                    "restoring from the beginning",
            th->name, t->sub, t->partition, dir);
    fr_task_close(t->task);
    t->task = NULL;
    int rc = fr_store_env_destroy_dir(dir);
    if (rc)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fr_task_opts_t opts = {.state_dir = app->app_state_dir,
                           .cache_max_bytes = (size_t)(app->cfg.cache_max_bytes / app->nthreads) /
                                              (th->ntasks ? th->ntasks : 1),
                           .wall_clock_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                           .store_map_bytes = (size_t)app->cfg.store_map_bytes};
    fr_task_io_t io;
    rt_task_io(t, &io);
    if ((rc = fr_task_open(app->topo, t->sub, t->partition, &opts, &io, &t->task)) != 0)
        return rc;
    rt_global_attach(th, t->task);
    size_t n;
    t->cl = fr_task_changelogs(t->task, &n);
    if (n != t->ncl)
        return FR_ERR_CORRUPT;
    for (size_t i = 0; i < t->ncl; i++) {
        t->cl_acked[i] = -1;
        t->cl_next[i] = t->cl[i].restore_from;
    }
    return 0;
}

/* Nudges the fetcher of one changelog partition not yet restored (fetch_nudge.c). */
static void nudge_remaining(rt_thread_t *th, const restore_part_t *parts, size_t n, size_t remaining,
                            rt_nudge_t *nudge) {
    size_t pick = rt_nudge_pick(nudge, remaining);
    for (size_t i = 0; i < n && pick != SIZE_MAX; i++) {
        if (!parts[i].done && pick-- == 0) {
            const fr_task_changelog_t *c = &parts[i].task->cl[parts[i].cl];
            rt_fetch_nudge(th->restore_consumer, c->topic, c->partition, 100);
            return;
        }
    }
}

static restore_part_t *find_part(restore_part_t *parts, size_t n, const char *topic, int32_t partition) {
    for (size_t i = 0; i < n; i++) {
        const fr_task_changelog_t *c = &parts[i].task->cl[parts[i].cl];
        if (c->partition == partition && strcmp(c->topic, topic) == 0)
            return &parts[i];
    }
    return NULL;
}

/* The watermarks of every changelog partition; wipes tasks whose checkpoint is ahead. */
static int collect(rt_thread_t *th, restore_part_t *parts, size_t *nparts) {
    size_t n = 0;
    for (size_t i = 0; i < th->ntasks; i++) {
        rt_task_t *t = th->tasks[i];
        for (int attempt = 0; attempt < 2; attempt++) {
            int wipe = 0;
            size_t first = n;
            for (size_t c = 0; c < t->ncl; c++) {
                int64_t lo = 0, hi = 0;
                rd_kafka_resp_err_t e =
                    rd_kafka_query_watermark_offsets(th->restore_consumer, t->cl[c].topic, t->cl[c].partition, &lo,
                                                     &hi, 10000);
                if (e) {
                    rt_thread_fail(th, FR_ERR_UNKNOWN_TOPIC_OR_PARTITION, "restoration: watermarks of %s [%d]: %s",
                                   t->cl[c].topic, t->cl[c].partition, rd_kafka_err2str(e));
                    return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                }
                if (t->cl[c].restore_from > hi) {
                    wipe = 1;
                    break;
                }
                parts[n++] = (restore_part_t){.task = t, .cl = c, .end = hi, .done = t->cl[c].restore_from >= hi};
            }
            if (!wipe)
                break;
            n = first;
            int rc = attempt == 1 ? FR_ERR_CORRUPT : wipe_task(th, t);
            if (rc) {
                rt_thread_fail(th, rc, "restoration: task %zu_%d: cannot wipe a store that is ahead of its changelog: %s",
                               t->sub, t->partition, fr_err_str(rc));
                return rc;
            }
        }
    }
    *nparts = n;
    return 0;
}

int rt_restore_tasks(rt_thread_t *th) {
    size_t total = 0;
    for (size_t i = 0; i < th->ntasks; i++)
        total += th->tasks[i]->ncl;
    if (!total)
        return 0;
    restore_part_t *parts = calloc(total, sizeof(*parts));
    if (!parts)
        return FR_ERR_NOMEM;
    size_t n = 0;
    int rc = collect(th, parts, &n);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    size_t remaining = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (parts[i].done)
            continue;
        const fr_task_changelog_t *c = &parts[i].task->cl[parts[i].cl];
        rd_kafka_topic_partition_list_add(l, c->topic, c->partition)->offset = c->restore_from;
        remaining++;
        fr_info(RT_LOG, "stream-thread [%s] restoring task %zu_%d from %s [%d], offsets %lld to %lld", th->name,
                parts[i].task->sub, parts[i].task->partition, c->topic, c->partition, (long long)c->restore_from,
                (long long)parts[i].end);
    }
    if (!rc && remaining) {
        rd_kafka_resp_err_t e = rd_kafka_assign(th->restore_consumer, l);
        if (e) {
            rc = FR_ERR_UNKNOWN_SERVER_ERROR;
            rt_thread_fail(th, rc, "restoration: restore consumer assign: %s", rd_kafka_err2str(e));
        }
    }
    int64_t last_progress = rt_now_ms();
    rt_nudge_t nudge = {0};
    while (!rc && remaining) {
        if (rt_app_stopping(th->app)) {
            rc = FR_ERR_CLOSED;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(th->restore_consumer, 0);
        if (!m) {
            nudge_remaining(th, parts, n, (size_t)remaining, &nudge);
            m = rd_kafka_consumer_poll(th->restore_consumer, 100);
        }
        if (!m) {
            if (rt_now_ms() - last_progress > RT_RESTORE_STALL_MS) {
                rc = FR_ERR_REQUEST_TIMED_OUT;
                rt_thread_fail(th, rc, "restoration made no progress for %d s", RT_RESTORE_STALL_MS / 1000);
            }
            continue;
        }
        last_progress = rt_now_ms();
        restore_part_t *p = m->rkt ? find_part(parts, n, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p && !p->done && m->offset >= p->end) {
                p->done = 1;
                remaining--;
            }
        } else if (m->err) {
            fr_warn(RT_LOG, "stream-thread [%s] restore consumer: %s", th->name, rd_kafka_message_errstr(m));
        } else if (p && !p->done) {
            nudge.flowed = 1;
            const fr_task_changelog_t *c = &p->task->cl[p->cl];
            fr_record_in_t rec = {
                .topic = c->topic,
                .partition = c->partition,
                .offset = m->offset,
                .timestamp = rd_kafka_message_timestamp(m, NULL),
                .key = m->key ? (fr_slice_t){m->key, (int32_t)m->key_len} : FR_SLICE_NULL,
                .value = m->payload ? (fr_slice_t){m->payload, (int32_t)m->len} : FR_SLICE_NULL,
            };
            rc = fr_task_restore(p->task->task, &rec);
            if (rc)
                rt_thread_fail(th, rc, "restoring %s [%d] offset %lld: %s", c->topic, c->partition,
                               (long long)m->offset, fr_err_str(rc));
            p->restored++;
            if (m->offset + 1 >= p->end) {
                p->done = 1;
                remaining--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (l->cnt)
        rd_kafka_assign(th->restore_consumer, NULL);
    rd_kafka_topic_partition_list_destroy(l);
    /* Commit every task with the offsets reached: the store now reflects the
     * changelog up to there, and a restart resumes from it. */
    fr_store_offset_t *offs = NULL;
    for (size_t i = 0; i < th->ntasks && !rc; i++) {
        rt_task_t *t = th->tasks[i];
        if (!t->ncl)
            continue;
        fr_store_offset_t *g = realloc(offs, t->ncl * sizeof(*g));
        if (!g) {
            rc = FR_ERR_NOMEM;
            break;
        }
        offs = g;
        int64_t restored = 0;
        for (size_t c = 0; c < t->ncl; c++) {
            restore_part_t *p = find_part(parts, n, t->cl[c].topic, t->cl[c].partition);
            if (p && p->end > t->cl_next[c])
                t->cl_next[c] = p->end;
            restored += p ? p->restored : 0;
            offs[c] = (fr_store_offset_t){t->cl[c].topic, t->cl[c].partition, t->cl_next[c]};
        }
        if ((rc = fr_task_commit(t->task, offs, t->ncl)) != 0)
            rt_thread_fail(th, rc, "task %zu_%d: commit after restoration: %s", t->sub, t->partition,
                           fr_err_str(rc));
        else if (restored)
            fr_info(RT_LOG, "stream-thread [%s] task %zu_%d restored %lld records", th->name, t->sub, t->partition,
                    (long long)restored);
    }
    free(offs);
    free(parts);
    return rc;
}
