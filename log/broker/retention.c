/*
 * retention.c — the periodic retention pass, the cleaner's own pass, and the
 * log start and cleaner offset checkpoints.  See retention.h.
 */
#include "retention.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "offset_checkpoint.h"
#include "topic_config.h"

#define COMPONENT "retention"
#define INITIAL_DELAY_MS 30000 /* Kafka's LogManager.InitialTaskDelayMs */

/* One partition of a pass: what the loop thread gave it, what the pass found. */
typedef struct ret_entry {
    fr_partlog_t *log;
    const fr_topic_t *topic;     /* identity only, compared on the loop thread */
    char *topic_name;            /* owned copy, for the checkpoint */
    int32_t partition;
    int log_dir;
    fr_retention_policy_t policy;
    fr_partition_t *part;        /* touched on the loop thread only (pass_done), when not skipped */
    int compact;                 /* cleanup.policy includes compact */
    fr_compact_policy_t cpolicy;
    int64_t first_dirty;         /* the cleaner checkpoint, in and out */
    int skip;                    /* its topic is being deleted (under the pass lock) */
    int64_t log_start;           /* after the pass */
    int64_t recovery_point;      /* read once per pass, with the partition's other work */
} ret_entry_t;

typedef struct ret_pass {
    uv_work_t work;
    fr_retention_task_t *task;
    pthread_mutex_t lock;        /* held while the pass works on one partition */
    ret_entry_t *entries;
    size_t n;
    int retention;               /* 0: the cleaner's own pass, compaction only */
} ret_pass_t;

/* The checkpoint files of a log dir: Kafka's, in its format (offset_checkpoint.h).  The recovery
 * points are read when the logs are opened (topics_open.c), the others once they are. */
enum { CKPT_LOG_START, CKPT_CLEANER, CKPT_RECOVERY, CKPT_KINDS };
static const char *const ckpt_names[CKPT_KINDS] = {FR_LOG_START_OFFSET_CHECKPOINT, FR_CLEANER_OFFSET_CHECKPOINT,
                                                   FR_RECOVERY_POINT_OFFSET_CHECKPOINT};

struct fr_retention_task {
    fr_server_t *srv;
    uv_timer_t timer;
    uv_timer_t clean_timer;      /* the cleaner's own pace (log.cleaner.backoff.ms) */
    int64_t interval_ms;
    ret_pass_t *running;
    int again;                   /* a pass was asked for while one ran */
    char *written[CKPT_KINDS][FR_MAX_LOG_DIRS]; /* the checkpoint text last written per log dir */
};

/* ---- effective settings ---- */

static void topic_policy(const fr_broker_config_t *cfg, const fr_topic_t *topic, fr_retention_policy_t *p) {
    p->retention_ms = fr_topic_config_long(cfg, &topic->overrides, "retention.ms", cfg->log_retention_ms);
    p->retention_bytes = fr_topic_config_long(cfg, &topic->overrides, "retention.bytes", cfg->log_retention_bytes);
    p->delete_enabled = fr_topic_cleanup_policy_has(cfg, &topic->overrides, "delete");
}

/* cleanup.policy includes compact: the cleaner settings (Kafka's defaults as fallbacks). */
static int topic_compact_policy(const fr_broker_config_t *cfg, const fr_topic_t *topic, fr_compact_policy_t *c) {
    char buf[64];
    int source;
    if (!topic->log_cfg.compacted) /* what produce goes by too (fr_topic_log_config) */
        return 0;
    const fr_topic_config_def_t *def = fr_topic_config_find("min.cleanable.dirty.ratio");
    const char *ratio = def ? fr_topic_config_value(def, &topic->overrides, cfg, &source, buf, sizeof(buf)) : NULL;
    char *end = NULL;
    double r = ratio ? strtod(ratio, &end) : 0.5;
    c->min_cleanable_ratio = end && end != ratio && *end == '\0' ? r : 0.5;
    c->min_lag_ms = fr_topic_config_long(cfg, &topic->overrides, "min.compaction.lag.ms", 0);
    c->max_lag_ms = fr_topic_config_long(cfg, &topic->overrides, "max.compaction.lag.ms", INT64_MAX);
    c->delete_retention_ms = fr_topic_config_long(cfg, &topic->overrides, "delete.retention.ms", 86400000);
    return 1;
}

/* ---- entries ---- */

static void entries_free(ret_entry_t *e, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(e[i].topic_name);
    free(e);
}

/* Every open partition of the registry, with its policy.  NULL on ENOMEM. */
static ret_entry_t *entries_new(fr_server_t *srv, size_t *n_out) {
    const fr_topics_t *topics = &srv->topics;
    size_t n = 0;
    for (size_t i = 0; i < topics->count; i++)
        n += (size_t)topics->items[i]->num_partitions;
    ret_entry_t *e = calloc(n ? n : 1, sizeof(*e));
    if (!e)
        return NULL;
    n = 0;
    for (size_t i = 0; i < topics->count; i++) {
        const fr_topic_t *topic = topics->items[i];
        fr_retention_policy_t policy;
        fr_compact_policy_t cpolicy = {0};
        topic_policy(srv->cfg, topic, &policy);
        int compact = srv->cfg->log_cleaner_enable && topic_compact_policy(srv->cfg, topic, &cpolicy);
        for (int32_t p = 0; p < topic->num_partitions; p++) {
            const fr_partition_t *part = topic->partitions[p];
            if (!part || !part->log)
                continue;
            e[n] = (ret_entry_t){.log = part->log, .topic = topic, .topic_name = strdup(topic->name),
                                 .partition = p, .log_dir = topic->log_dir, .policy = policy,
                                 .part = topic->partitions[p], .compact = compact, .cpolicy = cpolicy,
                                 .first_dirty = part->cleaner_first_dirty,
                                 .log_start = fr_partlog_start_offset(part->log),
                                 .recovery_point = fr_partlog_recovery_point(part->log)};
            if (!e[n++].topic_name) {
                entries_free(e, n);
                return NULL;
            }
        }
    }
    *n_out = n;
    return e;
}

/* ---- checkpoints ---- */

static void checkpoint_path(const fr_broker_config_t *cfg, int kind, int d, char *buf, size_t len) {
    snprintf(buf, len, "%s/%s", cfg->log_dirs[d], ckpt_names[kind]);
}

/* The offset entry e puts in a checkpoint of kind, or -1 for none: log starts above 0; the cleaner's
 * first dirty offsets where it has cleaned (LogCleanerManager's checkpoints; kept while a topic is
 * not compacted for a while, as Kafka keeps its entry); every log's recovery point, as it is now
 * (it only moves up, so a checkpoint never claims more than was flushed). */
static int64_t checkpoint_offset(const ret_entry_t *e, int kind) {
    if (kind == CKPT_LOG_START)
        return e->log_start > 0 ? e->log_start : -1;
    if (kind == CKPT_RECOVERY)
        return e->recovery_point;
    return e->first_dirty > 0 ? e->first_dirty : -1;
}

/*
 * Writes each log dir's checkpoints from entries (those not skipped) when
 * one differs from what was last written.  lock (may be NULL) guards the
 * skip flags.
 */
static void write_checkpoints(fr_retention_task_t *task, const ret_entry_t *e, size_t n, pthread_mutex_t *lock) {
    const fr_broker_config_t *cfg = task->srv->cfg;
    fr_offset_checkpoint_entry_t *ce = calloc(n ? n : 1, sizeof(*ce));
    if (!ce) {
        fr_error(COMPONENT, "out of memory writing the offset checkpoints");
        return;
    }
    for (int kind = 0; kind < CKPT_KINDS; kind++) {
        if (kind == CKPT_CLEANER && !cfg->log_cleaner_enable)
            continue; /* Kafka leaves the cleaner's file alone when it runs no cleaner */
        for (int d = 0; d < cfg->num_log_dirs; d++) {
            size_t m = 0;
            if (lock)
                pthread_mutex_lock(lock);
            for (size_t i = 0; i < n; i++) {
                int64_t off = checkpoint_offset(&e[i], kind);
                if (e[i].log_dir == d && !e[i].skip && off >= 0)
                    ce[m++] = (fr_offset_checkpoint_entry_t){e[i].topic_name, e[i].partition, off};
            }
            if (lock)
                pthread_mutex_unlock(lock);
            char *text, path[4200];
            size_t len;
            if (fr_offset_checkpoint_format(ce, m, &text, &len)) {
                fr_error(COMPONENT, "out of memory writing the offset checkpoints");
                free(ce);
                return;
            }
            if (task->written[kind][d] && strcmp(task->written[kind][d], text) == 0) {
                free(text);
                continue;
            }
            checkpoint_path(cfg, kind, d, path, sizeof(path));
            if (fr_offset_checkpoint_write_text(path, text, len)) {
                fr_error(COMPONENT, "cannot write %s: %s", path, strerror(errno));
                free(text);
                continue;
            }
            free(task->written[kind][d]);
            task->written[kind][d] = text;
        }
    }
    free(ce);
}

typedef struct restore_ctx {
    fr_server_t *srv;
    int log_dir, kind;
    size_t restored;
} restore_ctx_t;

static int restore_one(void *ctx, const char *name, int32_t partition, int64_t offset) {
    restore_ctx_t *c = ctx;
    fr_topic_t *topic = fr_topics_find_cstr(&c->srv->topics, name);
    fr_partition_t *p = fr_topic_partition(topic, partition);
    if (!p || !p->log || topic->log_dir != c->log_dir)
        return 0;
    if (c->kind == CKPT_LOG_START)
        fr_partlog_restore_start_offset(p->log, offset);
    else /* Kafka's cleanableOffsets: a checkpoint past the log's end is not believed */
        p->cleaner_first_dirty = offset <= fr_partlog_end_offset(p->log) ? offset : 0;
    c->restored++;
    return 0;
}

static void restore_checkpoints(fr_server_t *srv) {
    for (int kind = 0; kind < CKPT_RECOVERY; kind++) {
        for (int d = 0; d < srv->cfg->num_log_dirs; d++) {
            char path[4200], err[4400];
            restore_ctx_t c = {srv, d, kind, 0};
            checkpoint_path(srv->cfg, kind, d, path, sizeof(path));
            int rc = fr_offset_checkpoint_read(path, restore_one, &c, err, sizeof(err));
            if (rc == FR_ERR_CORRUPT)
                fr_warn(COMPONENT, "ignoring a corrupt %s: %s", ckpt_names[kind], err);
            else if (rc && rc != FR_ERR_NOT_FOUND)
                fr_warn(COMPONENT, "cannot read %s: %s", path, fr_err_str(rc));
            else if (c.restored)
                fr_debug(COMPONENT, "%s: offsets of %zu partition(s) restored", path, c.restored);
        }
    }
}

/* ---- passes ---- */

static void pass_run(uv_work_t *w) {
    ret_pass_t *pass = w->data;
    int64_t now = fr_now_ms();
    size_t segments = 0;
    for (size_t i = 0; i < pass->n; i++) {
        ret_entry_t *e = &pass->entries[i];
        pthread_mutex_lock(&pass->lock);
        if (!e->skip) {
            int rc;
            if (pass->retention) {
                fr_retention_result_t res;
                rc = fr_partlog_apply_retention(e->log, &e->policy, now, &res);
                if (rc)
                    fr_error(COMPONENT, "retention of %s-%d: %s", e->topic_name, e->partition, fr_err_str(rc));
                e->log_start = res.log_start_offset;
                segments += res.segments_deleted;
            }
            /* the cleaner (Kafka's LogCleaner) runs in its own passes, every log.cleaner.backoff.ms */
            if (e->compact && !pass->retention) {
                fr_compact_result_t cres;
                rc = fr_partlog_compact(e->log, &e->cpolicy, now, &e->first_dirty, &cres);
                if (rc)
                    fr_error(COMPONENT, "compaction of %s-%d: %s", e->topic_name, e->partition, fr_err_str(rc));
                else if (!cres.skipped)
                    fr_info(COMPONENT, "cleaned %s-%d: %zu segment(s), %" PRId64 " record(s) removed, %" PRId64
                            " -> %" PRId64 " bytes (dirty ratio %.3f)", e->topic_name, e->partition,
                            cres.segments_cleaned, cres.records_removed, cres.bytes_before, cres.bytes_after,
                            cres.dirty_ratio);
            }
            e->recovery_point = fr_partlog_recovery_point(e->log);
        }
        pthread_mutex_unlock(&pass->lock);
    }
    write_checkpoints(pass->task, pass->entries, pass->n, &pass->lock);
    if (segments)
        fr_info(COMPONENT, "retention deleted %zu segment(s) of %zu partition(s)", segments, pass->n);
}

static void pass_done(uv_work_t *w, int status) {
    ret_pass_t *pass = w->data;
    fr_retention_task_t *task = pass->task;
    (void)status;
    task->running = NULL;
    for (size_t i = 0; i < pass->n; i++) /* skip: its topic (and partition) is gone */
        if (!pass->entries[i].skip && pass->entries[i].compact)
            pass->entries[i].part->cleaner_first_dirty = pass->entries[i].first_dirty;
    pthread_mutex_destroy(&pass->lock);
    entries_free(pass->entries, pass->n);
    free(pass);
    if (task->again && !task->srv->stopping) {
        task->again = 0;
        fr_retention_kick(task->srv);
    }
}

/* retention 0: the cleaner's pass, which compacts and leaves retention to the timer's own. */
static void pass_start(fr_retention_task_t *task, int retention) {
    if (task->running) {
        if (retention)
            task->again = 1;
        return;
    }
    ret_pass_t *pass = calloc(1, sizeof(*pass));
    if (pass)
        pass->entries = entries_new(task->srv, &pass->n);
    if (!pass || !pass->entries) {
        fr_error(COMPONENT, "out of memory starting a retention pass");
        free(pass);
        return;
    }
    pass->task = task;
    pass->retention = retention;
    pass->work.data = pass;
    pthread_mutex_init(&pass->lock, NULL);
    if (uv_queue_work(task->srv->loop, &pass->work, pass_run, pass_done)) {
        fr_error(COMPONENT, "cannot queue a retention pass");
        pthread_mutex_destroy(&pass->lock);
        entries_free(pass->entries, pass->n);
        free(pass);
        return;
    }
    task->running = pass;
}

static void on_timer(uv_timer_t *t) {
    fr_retention_task_t *task = t->data;
    if (!task->srv->stopping)
        pass_start(task, 1);
}

static void on_clean_timer(uv_timer_t *t) {
    fr_retention_task_t *task = t->data;
    if (!task->srv->stopping)
        pass_start(task, 0);
}

/* ---- API ---- */

int fr_retention_start(fr_server_t *srv, char *err, size_t errlen) {
    fr_retention_task_t *task = calloc(1, sizeof(*task));
    if (!task) {
        snprintf(err, errlen, "out of memory");
        return FR_ERR_NOMEM;
    }
    task->srv = srv;
    task->interval_ms = srv->cfg->log_retention_check_interval_ms > 0 ? srv->cfg->log_retention_check_interval_ms
                                                                      : 300000;
    restore_checkpoints(srv);
    uv_timer_init(srv->loop, &task->timer);
    task->timer.data = task;
    uint64_t first = task->interval_ms < INITIAL_DELAY_MS ? (uint64_t)task->interval_ms : INITIAL_DELAY_MS;
    uv_timer_start(&task->timer, on_timer, first, (uint64_t)task->interval_ms);
    /* Kafka's cleaner thread looks again log.cleaner.backoff.ms after finding nothing to clean */
    uv_timer_init(srv->loop, &task->clean_timer);
    task->clean_timer.data = task;
    srv->retention = task;
    fr_retention_reconfigure(srv);
    fr_info(COMPONENT, "Starting log cleanup with a period of %" PRId64 " ms.", task->interval_ms);
    return 0;
}

void fr_retention_reconfigure(fr_server_t *srv) {
    fr_retention_task_t *task = srv->retention;
    if (!task || !srv->cfg->log_cleaner_enable || srv->stopping)
        return;
    /* (floored at 100 ms: each look builds the list of every partition on the loop) */
    uint64_t backoff = srv->cfg->log_cleaner_backoff_ms > 100 ? (uint64_t)srv->cfg->log_cleaner_backoff_ms : 100;
    if (uv_timer_get_repeat(&task->clean_timer) != backoff)
        uv_timer_start(&task->clean_timer, on_clean_timer, backoff, backoff);
}

void fr_retention_kick(fr_server_t *srv) {
    fr_retention_task_t *task = srv->retention;
    if (!task || srv->stopping)
        return;
    if (task->running) {
        task->again = 1;
        return;
    }
    /* From the timer, on the next loop iteration: never in the middle of a registry change. */
    uv_timer_start(&task->timer, on_timer, 0, (uint64_t)task->interval_ms);
}

void fr_retention_topic_deleted(fr_server_t *srv, const fr_topic_t *topic) {
    fr_retention_task_t *task = srv->retention;
    if (!task)
        return;
    ret_pass_t *pass = task->running;
    if (pass) {
        pthread_mutex_lock(&pass->lock); /* waits for the partition the pass is on */
        for (size_t i = 0; i < pass->n; i++)
            if (pass->entries[i].topic == topic)
                pass->entries[i].skip = 1;
        pthread_mutex_unlock(&pass->lock);
    }
    fr_retention_kick(srv); /* the checkpoints forget the topic */
}

void fr_retention_stop(fr_server_t *srv) {
    fr_retention_task_t *task = srv->retention;
    if (!task)
        return;
    uv_timer_stop(&task->timer);
    uv_close((uv_handle_t *)&task->timer, NULL);
    uv_timer_stop(&task->clean_timer);
    uv_close((uv_handle_t *)&task->clean_timer, NULL);
}

void fr_retention_shutdown(fr_server_t *srv) {
    fr_retention_task_t *task = srv->retention;
    if (!task)
        return;
    size_t n = 0;
    ret_entry_t *e = entries_new(srv, &n);
    if (e) {
        write_checkpoints(task, e, n, NULL);
        entries_free(e, n);
    } else {
        fr_error(COMPONENT, "out of memory writing the offset checkpoints");
    }
    for (int kind = 0; kind < CKPT_KINDS; kind++)
        for (int d = 0; d < FR_MAX_LOG_DIRS; d++)
            free(task->written[kind][d]);
    free(task);
    srv->retention = NULL;
}
