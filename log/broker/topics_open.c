/*
 * topics_open.c — loads the topic registry from the log dirs at start
 * (fr_topics_open): locks each log dir, reads meta.properties, opens and
 * recovers every partition directory found, finishes a topic build cut short
 * by a stop (topic_files.h), recreates partitions missing in the middle of a
 * topic, and gives every partition directory its topic's id.  A log dir
 * without Kafka's clean shutdown file had a crash: its partitions recover
 * from the recovery points of its recovery-point-offset-checkpoint.
 */
#include "topics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "offset_checkpoint.h"
#include "topic_config.h"
#include "topic_files.h"
#include "topics_internal.h"

#define COMPONENT "topics"

static int lock_dir(fr_topics_t *t, int i, char *err, size_t errlen) {
    const char *dir = t->cfg->log_dirs[i];
    if (fr_mkdir_p(dir)) {
        snprintf(err, errlen, "cannot create log dir %s: %s", dir, strerror(errno));
        return FR_ERR_IO;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return FR_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        snprintf(err, errlen,
                 "Failed to acquire lock on file .lock in %s. A Kafka instance in another process or thread is using this directory.",
                 dir);
        close(fd);
        return FR_ERR_LOCKED;
    }
    t->lock_fds[i] = fd;
    return 0;
}

static int load_meta(fr_topics_t *t, char *err, size_t errlen) {
    /* cluster.id and broker.id live in meta.properties of every log dir. */
    t->cluster_id[0] = '\0';
    for (int i = 0; i < t->cfg->num_log_dirs; i++) {
        char path[4200], e2[256];
        snprintf(path, sizeof(path), "%s/meta.properties", t->cfg->log_dirs[i]);
        fr_props_t p;
        fr_props_init(&p);
        if (fr_props_load(&p, path, e2, sizeof(e2)) == 0) {
            const char *cid = fr_props_get(&p, "cluster.id");
            const char *bid = fr_props_get(&p, "broker.id");
            if (bid && atoi(bid) != t->cfg->broker_id) {
                snprintf(err, errlen,
                         "Configured broker.id %d doesn't match stored broker.id %s in meta.properties of %s.",
                         t->cfg->broker_id, bid, t->cfg->log_dirs[i]);
                fr_props_free(&p);
                return FR_ERR_CONFIG;
            }
            if (cid && !t->cluster_id[0])
                snprintf(t->cluster_id, sizeof(t->cluster_id), "%s", cid);
        }
        fr_props_free(&p);
    }
    if (!t->cluster_id[0]) {
        uint8_t id[16];
        fr_topic_id_random(id);
        fr_uuid_to_string(id, t->cluster_id);
    }
    for (int i = 0; i < t->cfg->num_log_dirs; i++) {
        char path[4200], body[256];
        snprintf(path, sizeof(path), "%s/meta.properties", t->cfg->log_dirs[i]);
        int n = snprintf(body, sizeof(body), "#\n#Written by freshet\nversion=0\nbroker.id=%d\ncluster.id=%s\n",
                         t->cfg->broker_id, t->cluster_id);
        if (access(path, F_OK) != 0 && fr_file_replace(path, body, (size_t)n, FR_FS_SYNC_DIR)) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            return FR_ERR_IO;
        }
    }
    return 0;
}

/* Splits "<topic>-<n>" at the last '-'; 0 on success. */
static int parse_partition_dir(const char *name, char *topic, size_t tlen, int32_t *index) {
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1])
        return -1;
    for (const char *c = dash + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    long v = strtol(dash + 1, NULL, 10);
    if (v < 0 || v > INT32_MAX - 1 || (size_t)(dash - name) >= tlen)
        return -1;
    memcpy(topic, name, (size_t)(dash - name));
    topic[dash - name] = '\0';
    char e[8];
    if (fr_topic_name_validate(fr_slice_from_cstr(topic), e, 1))
        return -1;
    *index = (int32_t)v;
    return 0;
}

/* ---- clean shutdown and recovery points ---- */

/* A log dir's recovery points (none read when its broker stopped cleanly: nothing to recover). */
typedef struct recovery_point {
    char *topic;
    int32_t partition;
    int64_t offset;
} recovery_point_t;

typedef struct recovery_points {
    recovery_point_t *items;
    size_t n, cap;
} recovery_points_t;

static int cmp_recovery_point(const void *a, const void *b) {
    const recovery_point_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static int add_recovery_point(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    recovery_points_t *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        recovery_point_t *items = realloc(r->items, cap * sizeof(*items));
        if (!items)
            return FR_ERR_NOMEM;
        r->items = items;
        r->cap = cap;
    }
    char *name = strdup(topic);
    if (!name)
        return FR_ERR_NOMEM;
    r->items[r->n++] = (recovery_point_t){name, partition, offset};
    return 0;
}

static void recovery_points_free(recovery_points_t *r) {
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].topic);
    free(r->items);
}

static void clean_shutdown_path(const fr_broker_config_t *cfg, int ld, char *buf, size_t len) {
    snprintf(buf, len, "%s/%s", cfg->log_dirs[ld], FR_CLEAN_SHUTDOWN_FILE);
}

/*
 * Kafka's LogManager.loadLogs: a log dir whose clean shutdown file is there
 * needs no recovery (*clean_out 1; the file is removed).  Otherwise its partitions recover from
 * the recovery points in its checkpoint, and those it does not name (or all,
 * when the file is missing or unreadable) from offset 0.
 */
static int recovery_points_load(const fr_topics_t *t, int ld, recovery_points_t *r, int *clean_out, char *err,
                                size_t errlen) {
    char path[4200], why[4400];
    clean_shutdown_path(t->cfg, ld, path, sizeof(path));
    *clean_out = access(path, F_OK) == 0;
    if (*clean_out) {
        /* Gone before any log is opened (KAFKA-10471): a crash from here on, even while loading,
         * is a crash.  Durably, or such a crash could find it again and skip recovery. */
        if (unlink(path) < 0 || fr_fsync_dir(t->cfg->log_dirs[ld]) < 0) {
            snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
            return FR_ERR_IO;
        }
        fr_info(COMPONENT, "Skipping recovery of the logs in %s: the broker stopped cleanly", t->cfg->log_dirs[ld]);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s", t->cfg->log_dirs[ld], FR_RECOVERY_POINT_OFFSET_CHECKPOINT);
    int rc = fr_offset_checkpoint_read(path, add_recovery_point, r, why, sizeof(why));
    if (rc == FR_ERR_NOMEM) {
        snprintf(err, errlen, "out of memory reading the recovery points of %s", t->cfg->log_dirs[ld]);
        return rc;
    }
    if (rc == FR_ERR_CORRUPT)
        fr_warn(COMPONENT, "ignoring a corrupt %s: %s", path, why);
    else if (rc && rc != FR_ERR_NOT_FOUND)
        fr_warn(COMPONENT, "cannot read %s: %s", path, fr_err_str(rc));
    if (rc) { /* none of it believed: every segment of every partition is scanned */
        recovery_points_free(r);
        *r = (recovery_points_t){0};
    } else {
        qsort(r->items, r->n, sizeof(*r->items), cmp_recovery_point);
    }
    fr_info(COMPONENT, "Recovering the logs in %s from their recovery points: the broker did not stop cleanly",
            t->cfg->log_dirs[ld]);
    return 0;
}

static int64_t recovery_point_of(const recovery_points_t *r, int clean, const char *topic, int32_t partition) {
    if (clean)
        return FR_TOPIC_RECOVERY_POINT_CLEAN;
    recovery_point_t key = {(char *)topic, partition, 0};
    const recovery_point_t *hit = r->n ? bsearch(&key, r->items, r->n, sizeof(*r->items), cmp_recovery_point)
                                       : NULL;
    return hit && hit->offset >= 0 ? hit->offset : 0;
}

int fr_topics_mark_clean_shutdown(const fr_broker_config_t *cfg) {
    static const char text[] = "{\"version\":0,\"brokerEpoch\":-1}";
    int rc = 0;
    for (int ld = 0; ld < cfg->num_log_dirs; ld++) {
        char path[4200];
        clean_shutdown_path(cfg, ld, path, sizeof(path));
        if (fr_file_replace(path, text, sizeof(text) - 1, FR_FS_SYNC_DIR) < 0) {
            fr_error(COMPONENT, "cannot write %s: %s", path, strerror(errno));
            rc = FR_ERR_IO;
        }
    }
    return rc;
}

/* ---- partitions ---- */

/* Opens an existing topic's partition at startup (recovering it, or making a missing one anew). */
static int open_partition(const fr_topics_t *t, fr_topic_t *topic, int32_t index, int64_t recovery_point, char *err,
                          size_t errlen) {
    fr_partition_t *p;
    int rc = fr_topic_partition_open(t->cfg, topic->log_dir, topic->name, &topic->log_cfg, index, recovery_point,
                                     &p, err, errlen);
    if (!rc) {
        p->topic = topic;
        topic->partitions[index] = p;
    }
    return rc;
}

/* A topic found on disk, registered with its overrides file read. */
static int topic_load(fr_topics_t *t, const char *name, int ld, fr_topic_t **out) {
    fr_topic_t *topic = fr_topic_new(t, name, ld);
    if (!topic)
        return FR_ERR_NOMEM;
    char path[4200], e2[256];
    fr_topic_config_path(t->cfg, ld, name, path, sizeof(path));
    if (fr_props_load(&topic->overrides, path, e2, sizeof(e2)) == FR_ERR_CONFIG)
        fr_warn(COMPONENT, "ignoring unreadable topic configs: %s", e2);
    fr_topic_log_config(t->cfg, &topic->overrides, &topic->log_cfg);
    int rc = fr_topics_insert(t, topic);
    if (rc) {
        fr_topic_free(topic, 0);
        return rc;
    }
    *out = topic;
    return 0;
}

/* Makes partition index of topic, which its directory lacks: empty, with the
 * topic's id, durable. */
static int make_partition(const fr_topics_t *t, fr_topic_t *topic, int32_t index, char *err, size_t errlen) {
    int rc = fr_topic_partitions_make(t->cfg, topic->log_dir, topic->name, topic->id, &topic->log_cfg, index,
                                      index + 1, &topic->partitions[index], err, errlen);
    if (!rc)
        topic->partitions[index]->topic = topic;
    return rc;
}

/* Finishes the topic build the broker was doing in log dir ld when it stopped,
 * if any (topic_files.h): makes the partitions it had not made, with the
 * build's topic id, so that the topic has the count its request asked for. */
static int finish_build(fr_topics_t *t, int ld, char *err, size_t errlen) {
    fr_topic_intent_t in;
    char e2[512];
    int found = fr_topic_intent_load(t->cfg, ld, &in, e2, sizeof(e2));
    if (found == 0)
        return 0;
    /* the file names directories to make: a name Kafka would refuse, or more
     * partitions than a creation may ask for, is not followed */
    if (found > 0 &&
        (fr_topic_name_validate(fr_slice_from_cstr(in.topic), e2, sizeof(e2)) || in.to > FR_TOPIC_PARTITIONS_MAX)) {
        snprintf(e2, sizeof(e2), "topic %.249s, partitions %d to %d: not a topic build this broker makes", in.topic,
                 in.from, in.to - 1);
        found = -1;
    }
    if (found < 0) {
        fr_warn(COMPONENT, "ignoring an unreadable topic build: %s", e2);
    } else {
        fr_topic_t *topic = fr_topics_find_cstr(t, in.topic);
        int rc = topic ? 0 : topic_load(t, in.topic, ld, &topic);
        if (!rc && topic->log_dir != ld) {
            fr_warn(COMPONENT, "not finishing the build of topic %s found in %s: the topic lives in %s", in.topic,
                    t->cfg->log_dirs[ld], t->cfg->log_dirs[topic->log_dir]);
        } else if (!rc) {
            /* a made directory still without partition.metadata gets it from settle_topic_id */
            memcpy(topic->id, in.id, 16);
            rc = fr_topic_ensure_slots(topic, in.to);
            int32_t made = 0;
            for (int32_t i = in.from; i < in.to && !rc; i++) {
                if (!topic->partitions[i]) {
                    rc = make_partition(t, topic, i, err, errlen);
                    made++;
                }
            }
            if (!rc)
                fr_info(COMPONENT, "Topic %s: partitions %d to %d were being made when the broker stopped (cut short); "
                        "made the %d missing now", in.topic, in.from, in.to - 1, made);
        }
        if (rc) {
            if (rc == FR_ERR_NOMEM)
                snprintf(err, errlen, "out of memory");
            return rc;
        }
    }
    if (fr_topic_intent_clear(t->cfg, ld, e2, sizeof(e2))) {
        snprintf(err, errlen, "%s", e2);
        return FR_ERR_IO;
    }
    return 0;
}

static int id_is_zero(const uint8_t id[16]) {
    static const uint8_t zero[16];
    return memcmp(id, zero, 16) == 0;
}

/* Gives every partition directory of topic a partition.metadata naming the
 * topic's id, so that the id a topic gets at start is the same at the next:
 * directories from before ids, or made by hand, lack one.  A directory
 * naming another id is reported and left alone, as Kafka does not reconcile
 * them either. */
static int settle_topic_id(const fr_topics_t *t, const fr_topic_t *topic, char *err, size_t errlen) {
    for (int32_t p = 0; p < topic->num_partitions; p++) {
        char dir[4200], ids[2][23];
        uint8_t id[16];
        fr_topic_partition_dir(t->cfg, topic->log_dir, topic->name, p, dir, sizeof(dir));
        if (fr_topic_id_read(dir, id)) {
            if (fr_topic_id_write(dir, topic->id)) {
                snprintf(err, errlen, "cannot write partition.metadata in %s: %s", dir, strerror(errno));
                return FR_ERR_KAFKA_STORAGE_ERROR;
            }
            fr_uuid_to_string(topic->id, ids[0]);
            fr_info(COMPONENT, "%s had no topic id; gave it %s's, %s", dir, topic->name, ids[0]);
        } else if (memcmp(id, topic->id, 16)) {
            fr_uuid_to_string(id, ids[0]);
            fr_uuid_to_string(topic->id, ids[1]);
            fr_warn(COMPONENT, "%s names topic id %s, but topic %s has %s (from its other partitions)", dir, ids[0],
                    topic->name, ids[1]);
        }
    }
    return 0;
}

static int scan_dir(fr_topics_t *t, int ld, char *err, size_t errlen) {
    const char *base = t->cfg->log_dirs[ld];
    recovery_points_t rps = {0};
    int clean;
    int rc = recovery_points_load(t, ld, &rps, &clean, err, errlen);
    if (rc) {
        recovery_points_free(&rps);
        return rc;
    }
    DIR *d = opendir(base);
    if (!d) {
        recovery_points_free(&rps);
        snprintf(err, errlen, "cannot read log dir %s: %s", base, strerror(errno));
        return FR_ERR_IO;
    }
    struct dirent *e;
    while ((e = readdir(d)) && !rc) {
        char tname[256];
        int32_t index;
        size_t nlen = strlen(e->d_name);
        if (e->d_name[0] != '.' && nlen > 7 && strcmp(e->d_name + nlen - 7, "-delete") == 0) {
            /* a deleted topic's partition whose files were not all gone when the broker stopped */
            char gone[4200];
            snprintf(gone, sizeof(gone), "%s/%s", base, e->d_name);
            if (fr_rmtree(gone))
                fr_warn(COMPONENT, "cannot finish deleting %s: %s", gone, strerror(errno));
            else
                fr_info(COMPONENT, "Deleted %s, left over from a topic deletion", gone);
            continue;
        }
        if (e->d_name[0] == '.' || parse_partition_dir(e->d_name, tname, sizeof(tname), &index))
            continue;
        fr_topic_t *topic = fr_topics_find_cstr(t, tname);
        if (!topic && (rc = topic_load(t, tname, ld, &topic)))
            break;
        if (topic->log_dir != ld) {
            fr_warn(COMPONENT, "partition %s in %s: topic %s already lives in %s; partitions of one topic are kept in one log dir",
                    e->d_name, base, tname, t->cfg->log_dirs[topic->log_dir]);
        } else if (id_is_zero(topic->id)) { /* the first directory that names the id gives it */
            char pdir[4200];
            snprintf(pdir, sizeof(pdir), "%s/%s", base, e->d_name);
            (void)fr_topic_id_read(pdir, topic->id); /* left zero when it names none */
        }
        if ((rc = fr_topic_ensure_slots(topic, index + 1)))
            break;
        if (!topic->partitions[index])
            rc = open_partition(t, topic, index, recovery_point_of(&rps, clean, tname, index), err, errlen);
    }
    closedir(d);
    recovery_points_free(&rps);
    return rc;
}

int fr_topics_open(fr_topics_t *t, const fr_broker_config_t *cfg, char *err, size_t errlen) {
    memset(t, 0, sizeof(*t));
    t->cfg = cfg;
    for (int i = 0; i < FR_MAX_LOG_DIRS; i++)
        t->lock_fds[i] = -1;
    int rc = 0;
    for (int i = 0; i < cfg->num_log_dirs && !rc; i++)
        rc = lock_dir(t, i, err, errlen);
    if (!rc)
        rc = load_meta(t, err, errlen);
    for (int i = 0; i < cfg->num_log_dirs && !rc; i++)
        rc = scan_dir(t, i, err, errlen);
    for (int i = 0; i < cfg->num_log_dirs && !rc; i++)
        rc = finish_build(t, i, err, errlen);
    for (size_t i = 0; i < t->count && !rc; i++) {
        fr_topic_t *topic = t->items[i];
        if (id_is_zero(topic->id)) /* no directory of it names one */
            fr_topic_id_random(topic->id);
        /* A topic with a missing partition dir in the middle is repaired: recreate it empty. */
        for (int32_t p = 0; p < topic->num_partitions && !rc; p++) {
            if (!topic->partitions[p]) {
                fr_warn(COMPONENT, "partition %s-%d is missing; recreating it empty", topic->name, p);
                rc = make_partition(t, topic, p, err, errlen);
            }
        }
        if (!rc)
            rc = settle_topic_id(t, topic, err, errlen);
    }
    if (rc) {
        fr_topics_close(t);
        return rc;
    }
    t->id_stale = 1; /* ids were set or settled after the topics went in */
    fr_info(COMPONENT, "loaded %zu topics from %d log dir(s)", t->count, cfg->num_log_dirs);
    return 0;
}

