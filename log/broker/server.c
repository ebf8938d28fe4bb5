/*
 * server.c — the listening socket, signals, long-poll wakeups and the flush
 * policy.  Connections live in conn.c, API handlers in handlers/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "dynamic_config.h"
#include "fr_err.h"
#include "fr_logging.h"
#include "retention.h"

#define COMPONENT "server"
#define ACCEPTS_PER_WAKEUP 64

/* ---------- flush policy (fsync off the loop) and page-cache release ---------- */

/* Each partition keeps at least this much of its newest data cached. */
#define CACHE_KEEP_MIN (1LL << 20)
#define CACHE_KEEP_TAIL (16LL << 20)
#define FLUSH_TICK_MS 100      /* the flush timer's round */

struct fr_flush_work {
    uv_work_t work;
    fr_server_t *srv;
    fr_flush_work_t *next;
    fr_partition_t *partition;   /* NULL once its topic was deleted */
    fr_partlog_t *log;
    int64_t end;                 /* log end offset when the sync was queued: what it makes durable */
    int release;                 /* a page-cache release (keep: bytes to keep), not an fsync */
    int64_t keep;
    int rc;
    fr_log_job_fn run;           /* a caller's job (fr_server_log_job), neither of the above */
    fr_log_job_done_fn done;
    void *arg;
    char *gone_dir;              /* the log's renamed directory, once its topic is deleted (work_log_gone) */
};

static void flush_run(uv_work_t *w) {
    fr_flush_work_t *fw = w->data;
    if (fw->run)
        fw->run(fw->log, fw->arg);
    else
        fw->rc = fw->release ? fr_partlog_release_cache(fw->log, fw->keep, NULL) : fr_partlog_flush(fw->log);
}

static void flush_schedule(fr_server_t *srv, fr_partition_t *p);
static void cache_release_next(fr_server_t *srv);

/* ---------- deleted topics' files ---------- */

/* A deleted topic's partlog goes when the last work on it is back; the one
 * holding its renamed directory (dir, taken) hands it on to another. */
static void work_log_gone(fr_server_t *srv, fr_partlog_t *log, char *dir) {
    for (fr_flush_work_t *o = srv->flushes; o; o = o->next)
        if (o->log == log) {
            if (!o->gone_dir)
                o->gone_dir = dir;
            else
                free(dir);
            return;
        }
    fr_log_discard(srv, log, dir);
}

/* fr_topics_delete's discard: works still running on the log keep it. */
static void topic_partition_discard(void *ctx, fr_partition_t *p, const char *dir) {
    fr_server_t *srv = ctx;
    char *copy = dir ? strdup(dir) : NULL; /* NULL: the rename failed, the files are gone already */
    int held = 0;
    for (fr_flush_work_t *fw = srv->flushes; fw; fw = fw->next)
        if (fw->log == p->log) {
            fw->partition = NULL;
            if (!held++) {
                fw->gone_dir = copy;
                copy = NULL;
            }
        }
    if (!held)
        fr_log_discard(srv, p->log, copy);
}

static void flush_done(uv_work_t *w, int status) {
    fr_flush_work_t *fw = w->data;
    fr_server_t *srv = fw->srv;
    for (fr_flush_work_t **pp = &srv->flushes; *pp; pp = &(*pp)->next)
        if (*pp == fw) {
            *pp = fw->next;
            break;
        }
    (void)status;
    fr_partition_t *p = fw->partition;
    if (!p)
        work_log_gone(srv, fw->log, fw->gone_dir); /* its topic was deleted while we worked */
    if (fw->run) {
        fr_log_job_done_fn done = fw->done;
        void *arg = fw->arg;
        free(fw);
        done(arg);
        return;
    }
    if (p && !fw->release) { /* a release records nothing: its log fails its next flush (partlog_cache.c) */
        if (fw->rc) {
            fr_error(COMPONENT, "fsync of %s-%d failed: %s", p->topic->name, p->index, fr_err_str(fw->rc));
            p->flush_error = FR_ERR_KAFKA_STORAGE_ERROR;
            p->flush_error_end = fw->end;
        } else {
            p->flush_error = 0;
            if (fw->end > p->flushed_end)
                p->flushed_end = fw->end;
        }
        p->flush_in_progress = 0;
        fr_server_wake(srv); /* produce requests may be waiting for this sync */
        if (p->flush_again && !srv->stopping) {
            p->flush_again = 0;
            flush_schedule(srv, p);
        }
    }
    int was_release = fw->release;
    free(fw);
    if (was_release) {
        srv->cache_release_running = 0;
        if (!srv->stopping)
            cache_release_next(srv);
    }
}

static void flush_schedule(fr_server_t *srv, fr_partition_t *p) {
    if (p->flush_in_progress) {
        p->flush_again = 1;
        return;
    }
    fr_flush_work_t *fw = calloc(1, sizeof(*fw));
    if (!fw) {
        /* fall back to syncing here: slower, never skipped */
        int64_t end = fr_partlog_end_offset(p->log);
        if (fr_partlog_flush(p->log) == 0 && end > p->flushed_end)
            p->flushed_end = end;
        srv->wakeup = 1;
        return;
    }
    fw->srv = srv;
    fw->partition = p;
    fw->log = p->log;
    fw->end = fr_partlog_end_offset(p->log); /* every append noted so far is in (offloaded ones are noted once back) */
    fw->work.data = fw;
    p->flush_in_progress = 1;
    p->unflushed_since_ms = 0;
    if (uv_queue_work(srv->loop, &fw->work, flush_run, flush_done)) {
        p->flush_in_progress = 0;
        if (fr_partlog_flush(p->log) == 0 && fw->end > p->flushed_end)
            p->flushed_end = fw->end;
        free(fw);
        srv->wakeup = 1;
        return;
    }
    fw->next = srv->flushes;
    srv->flushes = fw;
}

void fr_server_wake(fr_server_t *srv) { srv->wakeup = 1; }

int fr_server_log_job(fr_server_t *srv, fr_partition_t *p, fr_log_job_fn run, fr_log_job_done_fn done, void *arg) {
    fr_flush_work_t *fw = calloc(1, sizeof(*fw));
    if (!fw)
        return FR_ERR_NOMEM;
    *fw = (fr_flush_work_t){.srv = srv, .partition = p, .log = p->log, .run = run, .done = done, .arg = arg};
    fw->work.data = fw;
    if (uv_queue_work(srv->loop, &fw->work, flush_run, flush_done)) {
        free(fw);
        return FR_ERR_IO;
    }
    /* in the list, the log outlives a deletion of its topic until the job is back */
    fw->next = srv->flushes;
    srv->flushes = fw;
    return 0;
}

/* The newest bytes p keeps cached (-1: no releases).  What its consumers
 * will read: twice the furthest behind the end any fetch read from in the
 * last one or two lag windows, at least CACHE_KEEP_TAIL for the readers at
 * the tail.  Never more than an even share of the broker's
 * freshet.page.cache.retain.bytes among the partitions holding more than the
 * 1 MiB floor (the flush timer recounts them), nor less than that floor.
 * Keeping only what is read matters where fresh memory is dear (see
 * partlog_cache.c): a cache that grows to its budget with bytes nobody reads
 * pays for every page of it. */
static int64_t cache_keep(const fr_server_t *srv, const fr_partition_t *p) {
    int64_t budget = srv->cfg->page_cache_retain_bytes;
    if (budget < 0)
        return -1;
    int64_t share = budget / (srv->cache_sharing_partitions > 0 ? srv->cache_sharing_partitions : 1);
    int64_t lag = p->fetch_lag > p->fetch_lag_prev ? p->fetch_lag : p->fetch_lag_prev;
    int64_t want = lag > INT64_MAX / 2 ? INT64_MAX : 2 * lag;
    if (want < CACHE_KEEP_TAIL)
        want = CACHE_KEEP_TAIL;
    if (want > share)
        want = share;
    return want > CACHE_KEEP_MIN ? want : CACHE_KEEP_MIN;
}

void fr_server_note_fetch(fr_partition_t *p, int64_t bytes_behind) {
    if (bytes_behind > p->fetch_lag)
        p->fetch_lag = bytes_behind;
}

/* Appends between two release jobs of a partition: a quarter of what it keeps,
 * between 1 and 16 MiB (fewer, larger writebacks; a bounded overshoot). */
static int64_t cache_chunk(int64_t keep) {
    int64_t c = keep / 4;
    return c < (1LL << 20) ? (1LL << 20) : c > (16LL << 20) ? (16LL << 20) : c;
}

/* Bytes appended to p since its last release job: each job starts their
 * writeback and drops what has left the newest bytes (partlog_cache.c), so
 * logs smaller than what they keep get jobs too, for the writeback. */
static int64_t cache_pending(fr_partition_t *p) {
    int64_t size = fr_partlog_size_bytes(p->log);
    if (size < p->cache_mark) /* retention deleted segments */
        p->cache_mark = size;
    return size - p->cache_mark;
}

/* One release runs at a time, for the partition furthest behind: it may wait
 * for the disk, and must not hold up the fsyncs that acknowledgements wait for. */
static void cache_release_next(fr_server_t *srv) {
    fr_partition_t *best = NULL;
    int64_t most = 0;
    for (size_t i = 0; i < srv->topics.count; i++) {
        fr_topic_t *topic = srv->topics.items[i];
        for (int32_t j = 0; j < topic->num_partitions; j++) {
            fr_partition_t *p = topic->partitions[j];
            if (!p->cache_release_wanted)
                continue;
            int64_t b = p->log ? cache_pending(p) : 0;
            if (b <= 0)
                p->cache_release_wanted = 0;
            else if (b > most) {
                most = b;
                best = p;
            }
        }
    }
    if (!best)
        return;
    fr_flush_work_t *fw = calloc(1, sizeof(*fw));
    if (!fw)
        return; /* tried again at the next append */
    *fw = (fr_flush_work_t){.srv = srv, .partition = best, .log = best->log, .release = 1,
                            .keep = cache_keep(srv, best)};
    fw->work.data = fw;
    if (uv_queue_work(srv->loop, &fw->work, flush_run, flush_done)) {
        free(fw);
        return;
    }
    best->cache_release_wanted = 0;
    best->cache_mark = fr_partlog_size_bytes(best->log);
    srv->cache_release_running = 1;
    fw->next = srv->flushes;
    srv->flushes = fw;
}

void fr_server_note_append(fr_server_t *srv, fr_partition_t *p, const fr_append_info_t *info) {
    srv->wakeup = 1;
    int64_t keep = cache_keep(srv, p);
    if (keep >= 0 && cache_pending(p) >= cache_chunk(keep)) {
        p->cache_release_wanted = 1;
        if (!srv->cache_release_running && !srv->stopping)
            cache_release_next(srv);
    }
    /* A rolled segment is synced at once, off the loop (Kafka's roll schedules a flush up
     * to the new segment): the recovery point then passes it, so that a restart after a
     * crash scans only the newest segments again. */
    if (info->needs_flush || info->rolled)
        flush_schedule(srv, p);
    else if (p->topic->log_cfg.flush_interval_ms < INT64_MAX && !p->unflushed_since_ms)
        p->unflushed_since_ms = (int64_t)uv_now(srv->loop);
}

/* Group deadlines are met to the millisecond, as Kafka's timer wheel meets them (a
 * client may wait out a session timeout and count on the member being gone); the
 * flush tick alone would be up to a round late. */
static void on_group_timer(uv_timer_t *t);

/* After a tick: the next group deadline, when it falls before the flush tick's next round.
 * One still due after the tick (a phase that could not end yet) is left to that round,
 * when `later` asks for deadlines to come only.  (A deadline a request sets under a
 * round ahead also waits for the round.) */
static void arm_group_timer(fr_server_t *srv, uint64_t now, int later) {
    uint64_t due = fr_groups_next_deadline(&srv->groups);
    if (due < now + FLUSH_TICK_MS && (!later || due > now))
        uv_timer_start(&srv->group_timer, on_group_timer, due > now ? due - now : 0, 0);
}

static void on_group_timer(uv_timer_t *t) {
    fr_server_t *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    fr_groups_tick(&srv->groups, now);
    arm_group_timer(srv, now, 1);
}

static void on_flush_timer(uv_timer_t *t) {
    fr_server_t *srv = t->data;
    int64_t now = (int64_t)uv_now(srv->loop);
    fr_groups_tick(&srv->groups, (uint64_t)now);
    arm_group_timer(srv, (uint64_t)now, 0);
    int64_t sharing = 0;
    int64_t window_ticks = (srv->cfg->page_cache_lag_window_ms + FLUSH_TICK_MS - 1) / FLUSH_TICK_MS;
    int new_lag_window = ++srv->flush_ticks % (window_ticks > 0 ? window_ticks : 1) == 0;
    for (size_t i = 0; i < srv->topics.count; i++) {
        fr_topic_t *topic = srv->topics.items[i];
        for (int32_t j = 0; j < topic->num_partitions; j++) {
            fr_partition_t *p = topic->partitions[j];
            if (new_lag_window) {
                p->fetch_lag_prev = p->fetch_lag;
                p->fetch_lag = 0;
            }
            /* a log under the floor is all cached anyway: it takes no share */
            if (srv->cfg->page_cache_retain_bytes >= 0 && p->log && fr_partlog_size_bytes(p->log) > CACHE_KEEP_MIN)
                sharing++;
            if (p->unflushed_since_ms && now - p->unflushed_since_ms >= topic->log_cfg.flush_interval_ms)
                flush_schedule(srv, p);
        }
    }
    srv->cache_sharing_partitions = sharing;
}

int fr_server_topic_remove(fr_server_t *srv, fr_topic_t *topic) {
    if (topic->growths)
        return FR_ERR_REQUEST_TIMED_OUT; /* its new partitions are being made: the caller waits for them */
    fr_retention_topic_deleted(srv, topic); /* a running retention pass lets go of its partitions */
    fr_groups_topic_deleted(&srv->groups, topic->name);
    srv->wakeup = 1; /* produce requests parked for the topic's fsyncs are answered now */
    /* An fsync or job still running on a partition keeps its partlog until it returns. */
    return fr_topics_delete(&srv->topics, topic, topic_partition_discard, srv);
}

/* ---------- long-poll wakeups ---------- */

/* Only wakes the loop: on_check, which runs after every I/O round, does the work. */
static void on_park_timer(uv_timer_t *t) { (void)t; }

static void retry_parked(fr_server_t *srv) {
    if (!srv->parked)
        return;
    uint64_t now = uv_now(srv->loop);
    /* A retry can wake others (a join completing a rebalance): pass again until
     * nothing new happened, so nobody sleeps until its deadline for no reason. */
    for (int pass = 0; pass < 8; pass++) {
        int woken = srv->wakeup;
        srv->wakeup = 0;
        /* A retry unlinks only its own entry (or re-parks it at the head): keep the next one first. */
        for (fr_conn_t *c = srv->parked, *next; c; c = next) {
            next = fr_conn_park_next(c);
            int timed_out = fr_conn_parked_deadline(c) <= now;
            if (timed_out || woken)
                fr_conn_retry_parked(c, timed_out);
        }
        if (!srv->wakeup)
            break;
    }
    /* Arm the wakeup for the earliest deadline still parked. */
    uint64_t earliest = UINT64_MAX;
    for (fr_conn_t *c = srv->parked; c; c = fr_conn_park_next(c))
        if (fr_conn_parked_deadline(c) < earliest)
            earliest = fr_conn_parked_deadline(c);
    if (earliest != UINT64_MAX)
        uv_timer_start(&srv->park_timer, on_park_timer, earliest > now ? earliest - now : 0, 0);
}

static void on_check(uv_check_t *h) {
    fr_server_t *srv = h->data;
    retry_parked(srv);
    fr_conn_send_held(srv);
}

/* ---------- listener ---------- */

/*
 * socket.send.buffer.bytes / socket.receive.buffer.bytes on a new connection (-1: the
 * kernel's autotuning).  Why a bounded send buffer by default: a fetch answered with
 * several partitions' ranges of a megabyte or more otherwise piles megabytes into the
 * socket, and with this machine's BBR congestion control the loopback then carries them
 * in small, reordered segments, at half the speed for five times the broker's CPU
 * (bench/README, "Socket buffers").
 * A failure only leaves the kernel's sizing, so it is logged and the connection kept.
 */
static void set_socket_buffers(fr_server_t *srv, int fd) {
    const struct {
        int opt, bytes;
        const char *key;
    } bufs[] = {{SO_SNDBUF, srv->cfg->socket_send_buffer_bytes, "socket.send.buffer.bytes"},
                {SO_RCVBUF, srv->cfg->socket_receive_buffer_bytes, "socket.receive.buffer.bytes"}};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        if (bufs[i].bytes > 0 && setsockopt(fd, SOL_SOCKET, bufs[i].opt, &bufs[i].bytes, sizeof(bufs[i].bytes)) < 0)
            fr_warn(COMPONENT, "cannot apply %s=%d: %s", bufs[i].key, bufs[i].bytes, strerror(errno));
}

static void on_accept(uv_poll_t *h, int status, int events) {
    struct fr_server_listener *l = h->data;
    fr_server_t *srv = l->srv;
    if (status < 0 || srv->stopping)
        return;
    (void)events;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                fr_warn(COMPONENT, "accept failed: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        set_socket_buffers(srv, fd);
        char host[INET6_ADDRSTRLEN] = "?", peer[64];
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        }
        snprintf(peer, sizeof(peer), "%s:%d", host, port);
        fr_conn_accept(srv, fd, peer, (int)(l - srv->listen));
    }
}

/* Binds served listener i; its advertised address gets the bound port (for
 * port 0) and the canonical host name (for an empty host), as Kafka's. */
static int listen_on(fr_server_t *srv, int i, char *err, size_t errlen) {
    const fr_listener_t *l = &srv->cfg->listeners.bind[i];
    fr_listener_t *adv = &srv->cfg->listeners.advertised[i];
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof(port), "%d", l->port);
    int rc = getaddrinfo(l->host[0] ? l->host : NULL, port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve listener host '%s': %s", l->host, gai_strerror(rc));
        return FR_ERR_CONFIG;
    }
    /* Prefer IPv6 wildcard (it takes IPv4 too) when no host was named. */
    struct addrinfo *ai = res;
    for (struct addrinfo *p = res; p && !l->host[0]; p = p->ai_next)
        if (p->ai_family == AF_INET6)
            ai = p;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return FR_ERR_IO;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1024)) {
        snprintf(err, errlen, "Socket server failed to bind to %s:%d: %s.", l->host[0] ? l->host : "0.0.0.0",
                 l->port, strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return FR_ERR_IO;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    struct fr_server_listener *slot = &srv->listen[i];
    slot->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    if (adv->port == 0)
        adv->port = slot->port;
    if (!adv->host[0] && gethostname(adv->host, sizeof(adv->host)))
        snprintf(adv->host, sizeof(adv->host), "localhost");
    slot->srv = srv;
    slot->fd = fd;
    return 0;
}

static void close_listen_fds(fr_server_t *srv) {
    for (int i = 0; i < srv->num_listen; i++)
        close(srv->listen[i].fd);
    srv->num_listen = 0;
}

/* Binds every served listener; on failure none stays open. */
static int listen_all(fr_server_t *srv, char *err, size_t errlen) {
    for (int i = 0; i < srv->cfg->listeners.count; i++) {
        int rc = listen_on(srv, i, err, errlen);
        if (rc) {
            close_listen_fds(srv);
            return rc;
        }
        srv->num_listen++;
    }
    return 0;
}

/* ---------- start / stop ---------- */

static void on_signal(uv_signal_t *h, int signum) {
    fr_server_t *srv = h->data;
    fr_info(COMPONENT, "received %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    fr_server_stop(srv);
}

int fr_server_init(fr_server_t *srv, uv_loop_t *loop, fr_broker_config_t *cfg, char *err, size_t errlen) {
    memset(srv, 0, sizeof(*srv));
    srv->loop = loop;
    srv->cfg = cfg;
    fr_lane_init(&srv->warm_lane, FR_WARM_RUNNING);
    fr_lane_init(&srv->time_lookup_lane, 1);
    fr_lane_init(&srv->topic_build_lane, 1);
    fr_lane_init(&srv->discard_lane, 1);
    fr_lane_init(&srv->append_lane, 1);
    fr_fetch_sessions_init(&srv->fetch_sessions, cfg->max_incremental_fetch_session_cache_slots,
                           FR_FETCH_SESSION_EVICTION_MS);
    int rc = fr_dynamic_config_load(cfg, err, errlen); /* before the topics inherit from it */
    if (rc)
        return rc;
    rc = fr_topics_open(&srv->topics, cfg, err, errlen);
    if (rc)
        return rc;
    rc = fr_groups_open(&srv->groups, srv, err, errlen);
    if (rc) {
        fr_topics_close(&srv->topics);
        return rc;
    }
    rc = fr_producer_ids_open(cfg->log_dirs[0], &srv->producer_ids, err, errlen);
    if (rc == 0 && (rc = listen_all(srv, err, errlen)) != 0)
        fr_producer_ids_close(srv->producer_ids);
    if (rc) {
        fr_groups_close(&srv->groups);
        fr_topics_close(&srv->topics);
        return rc;
    }
    for (int i = 0; i < srv->num_listen; i++) {
        uv_poll_init(loop, &srv->listen[i].poll, srv->listen[i].fd);
        srv->listen[i].poll.data = &srv->listen[i];
        uv_poll_start(&srv->listen[i].poll, UV_READABLE, on_accept);
    }
    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    srv->sigint.data = srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    uv_check_init(loop, &srv->check);
    srv->check.data = srv;
    uv_check_start(&srv->check, on_check);
    uv_timer_init(loop, &srv->flush_timer);
    srv->flush_timer.data = srv;
    uv_timer_start(&srv->flush_timer, on_flush_timer, FLUSH_TICK_MS, FLUSH_TICK_MS);
    uv_timer_init(loop, &srv->park_timer);
    srv->park_timer.data = srv;
    uv_timer_init(loop, &srv->group_timer);
    srv->group_timer.data = srv;
    if (fr_retention_start(srv, err, errlen))
        fr_error(COMPONENT, "log retention is off: %s", err);
    return 0;
}

void fr_server_stop(fr_server_t *srv) {
    if (srv->stopping)
        return;
    srv->stopping = 1;
    for (int i = 0; i < srv->num_listen; i++)
        uv_poll_stop(&srv->listen[i].poll);
    fr_conn_close_all(srv);
    for (int i = 0; i < srv->num_listen; i++)
        uv_close((uv_handle_t *)&srv->listen[i].poll, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->check, NULL);
    uv_close((uv_handle_t *)&srv->flush_timer, NULL);
    uv_close((uv_handle_t *)&srv->park_timer, NULL);
    uv_close((uv_handle_t *)&srv->group_timer, NULL);
    fr_retention_stop(srv);
}

int fr_server_run(fr_server_t *srv) {
    const fr_listeners_t *ls = &srv->cfg->listeners;
    for (int i = 0; i < srv->num_listen; i++)
        fr_info(COMPONENT, "[KafkaServer id=%d] started (listening on %s:%d, advertised as %s:%d, listener %s)",
                srv->cfg->broker_id, ls->bind[i].host[0] ? ls->bind[i].host : "0.0.0.0", srv->listen[i].port,
                ls->advertised[i].host, ls->advertised[i].port, ls->bind[i].name);
    uv_run(srv->loop, UV_RUN_DEFAULT); /* returns once every handle is closed and every fsync is back */
    close_listen_fds(srv);
    /* A clean shutdown leaves everything on disk: every log's recovery point at its end (not
     * after a failed fsync, when the next start must recover as after a crash). */
    int clean = 1;
    for (size_t i = 0; i < srv->topics.count; i++) {
        fr_topic_t *topic = srv->topics.items[i];
        for (int32_t j = 0; j < topic->num_partitions; j++) {
            fr_partlog_t *log = topic->partitions[j]->log;
            if (log && (fr_partlog_flush(log) || fr_partlog_recovery_point(log) < fr_partlog_end_offset(log)))
                clean = 0;
        }
    }
    fr_retention_shutdown(srv); /* the last offset checkpoints, recovery points at the log ends */
    fr_producer_ids_close(srv->producer_ids);
    fr_fetch_sessions_free(&srv->fetch_sessions);
    fr_groups_close(&srv->groups);
    fr_topics_close(&srv->topics);
    if (clean) /* last, as Kafka writes it once its logs are closed */
        fr_topics_mark_clean_shutdown(srv->cfg);
    fr_info(COMPONENT, "[KafkaServer id=%d] shut down completed", srv->cfg->broker_id);
    return 0;
}
