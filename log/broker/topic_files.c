/*
 * topic_files.c — a topic's files in its log dir; see topic_files.h.
 */
#include "topic_files.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc64.h>

#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "broker_config.h"
#include "fr_props.h"

void fr_topic_partition_dir(const fr_broker_config_t *cfg, int log_dir, const char *topic, int32_t index,
                            char *buf, size_t len) {
    snprintf(buf, len, "%s/%s-%d", cfg->log_dirs[log_dir], topic, index);
}

/* A file name may have 255 bytes (NAME_MAX).  "<topic>.properties" and its
 * temp file ("...properties.tmp", fr_props_store) fit up to 240; Kafka allows
 * 249.  Longer names keep their first CONFIG_NAME_KEEP characters and add a
 * CRC-64 of the whole name after '~', which no topic name contains, so no two
 * topics share a file and a short name never looks like a long one's. */
#define CONFIG_NAME_KEEP 200
#define CONFIG_SUFFIX_MAX (sizeof(".properties.tmp") - 1)

void fr_topic_config_path(const fr_broker_config_t *cfg, int log_dir, const char *topic, char *buf, size_t len) {
    size_t n = strlen(topic);
    if (n + CONFIG_SUFFIX_MAX <= 255) {
        snprintf(buf, len, "%s/.topic-configs/%s.properties", cfg->log_dirs[log_dir], topic);
        return;
    }
    unsigned long long h = (unsigned long long)crc64_ecma_refl(0, (const unsigned char *)topic, (uint64_t)n);
    snprintf(buf, len, "%s/.topic-configs/%.*s~%016llx.properties", cfg->log_dirs[log_dir], CONFIG_NAME_KEEP, topic,
             h);
}

/* ---------- partition.metadata ---------- */

/* A topic id in Kafka's URL-safe base64 of 16 bytes (22 characters, no
 * padding) in s[0..len); the standard alphabet's '+' and '/' are taken too.
 * Kafka's zero id names no topic: -1, as for a malformed one. */
static int uuid_decode(const char *s, size_t len, uint8_t id[16]) {
    static const uint8_t zero[16];
    uint8_t buf[16];
    int bits = 0, n = 0;
    uint32_t acc = 0;
    if (len != 22)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v;
        char c = s[i];
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-' || c == '+') v = 62;
        else if (c == '_' || c == '/') v = 63;
        else return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (memcmp(buf, zero, 16) == 0)
        return -1;
    memcpy(id, buf, 16);
    return 0;
}

int fr_topic_id_parse(const char *text, size_t len, uint8_t id[16]) {
    static const char key[] = "topic_id: ";
    uint8_t got[16] = {0};
    int rc = -1;
    for (size_t at = 0; at < len;) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        at += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n >= sizeof(key) - 1 && memcmp(line, key, sizeof(key) - 1) == 0)
            rc = uuid_decode(line + sizeof(key) - 1, n - (sizeof(key) - 1), got);
    }
    if (rc)
        return -1;
    memcpy(id, got, 16);
    return 0;
}

static int write_partition_metadata(const char *dir, const uint8_t id[16], int flags) {
    char path[4300], body[128], ids[23];
    fr_uuid_to_string(id, ids);
    if (snprintf(path, sizeof(path), "%s/partition.metadata", dir) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int n = snprintf(body, sizeof(body), "version: 0\ntopic_id: %s\n", ids);
    return fr_file_replace(path, body, (size_t)n, flags);
}

int fr_topic_id_write(const char *dir, const uint8_t id[16]) {
    return write_partition_metadata(dir, id, FR_FS_SYNC_DIR);
}

int fr_topic_id_read(const char *dir, uint8_t id[16]) {
    char path[4300], text[1024];
    if (snprintf(path, sizeof(path), "%s/partition.metadata", dir) >= (int)sizeof(path))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof(text), f);
    int too_big = n == sizeof(text); /* ours is 43 bytes: a file this big is not one */
    fclose(f);
    return too_big ? -1 : fr_topic_id_parse(text, n, id);
}

/* ---------- overrides and partitions ---------- */

int fr_topic_overrides_save(const fr_broker_config_t *cfg, int log_dir, const char *topic,
                            const fr_props_t *overrides, char *err, size_t errlen) {
    char dir[4200], path[4200];
    snprintf(dir, sizeof(dir), "%s/.topic-configs", cfg->log_dirs[log_dir]);
    if (fr_mkdir_p(dir)) {
        fr_errorf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    fr_topic_config_path(cfg, log_dir, topic, path, sizeof(path));
    if (overrides->count == 0) {
        if (unlink(path) == 0) { /* a file left by a deletion cut short must not come back for this topic */
            if (fr_fsync_dir(dir)) {
                fr_errorf(err, errlen, "cannot sync %s: %s", dir, strerror(errno));
                return -1;
            }
            return 0;
        }
        if (errno != ENOENT) {
            fr_errorf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    return fr_props_store(overrides, path, NULL, err, errlen) ? -1 : 0;
}

int fr_topic_partition_open(const fr_broker_config_t *cfg, int log_dir, const char *topic,
                            const fr_log_config_t *log_cfg, int32_t index, int64_t recovery_point,
                            fr_partition_t **out, char *err, size_t errlen) {
    char dir[4200];
    fr_topic_partition_dir(cfg, log_dir, topic, index, dir, sizeof(dir));
    *out = NULL;
    fr_partition_t *p = calloc(1, sizeof(*p));
    if (!p)
        return FR_ERR_NOMEM;
    p->index = index;
    int rc = recovery_point == FR_TOPIC_RECOVERY_POINT_CLEAN
                 ? fr_partlog_open_clean(dir, log_cfg, &p->log)
                 : fr_partlog_open_from(dir, log_cfg, recovery_point, &p->log);
    if (rc) {
        snprintf(err, errlen, "cannot open partition %s: %s", dir, fr_err_str(rc));
        if (rc != FR_ERR_LOCKED)
            rmdir(dir); /* e.g. a full disk: no empty partition dir left behind (never removes data) */
        free(p);
        return rc;
    }
    int64_t end = fr_partlog_end_offset(p->log);
    /* After a crash, what recovery found past the recovery point may be only in the page cache
     * (a process crash keeps it).  It is fsynced before anything is served from it, so that an
     * idempotent retry answered as a duplicate of it is on disk; Kafka leaves it to the next
     * flush.  A failure leaves it counted as unflushed. */
    int64_t durable = fr_partlog_recovery_point(p->log);
    if (durable < end && fr_partlog_flush(p->log) == 0) {
        durable = end;
    } else if (durable < end) { /* a retry of what it holds is refused, as after a failed flush */
        fr_error("topics", "%s: cannot fsync what recovery found past offset %" PRId64, dir, durable);
        p->flush_error = FR_ERR_KAFKA_STORAGE_ERROR;
        p->flush_error_end = end;
    }
    p->flushed_end = durable;
    *out = p;
    return 0;
}

/* Deletes the n partitions made in parts (NULL slots skipped) with their files. */
static void partitions_unmake(fr_partition_t **parts, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        if (parts[i]) {
            fr_partlog_delete(parts[i]->log);
            free(parts[i]);
            parts[i] = NULL;
        }
    }
}

int fr_topic_partitions_make(const fr_broker_config_t *cfg, int log_dir, const char *topic, const uint8_t id[16],
                             const fr_log_config_t *log_cfg, int32_t from, int32_t to, fr_partition_t **parts,
                             char *err, size_t errlen) {
    int rc = 0;
    char dir[4200];
    for (int32_t i = from; i < to; i++)
        parts[i - from] = NULL;
    for (int32_t i = from; i < to && !rc; i++) {
        rc = fr_topic_partition_open(cfg, log_dir, topic, log_cfg, i, FR_TOPIC_RECOVERY_POINT_CLEAN, &parts[i - from],
                                     err, errlen);
        fr_topic_partition_dir(cfg, log_dir, topic, i, dir, sizeof(dir));
        if (!rc && write_partition_metadata(dir, id, 0)) {
            snprintf(err, errlen, "cannot write partition.metadata in %s: %s", dir, strerror(errno));
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    /* The acknowledgement promises the partitions survive a power cut: their
     * files' names (each directory) and the directories' names (the log dir).
     * Synced after all are made, so one journal commit covers most of them. */
    for (int32_t i = from; i < to && !rc; i++) {
        fr_topic_partition_dir(cfg, log_dir, topic, i, dir, sizeof(dir));
        if (fr_fsync_dir(dir) || (i == to - 1 && fr_fsync_parent(dir))) {
            snprintf(err, errlen, "cannot sync the directory of %s: %s", dir, strerror(errno));
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    if (!rc)
        return 0;
    partitions_unmake(parts, to - from);
    /* What the failed open made (a directory, a first segment), and what a
     * deletion could not remove while descriptors ran out (EMFILE is a common
     * cause), would come back as partitions at the next start.  With every
     * descriptor released, remove what is left; these partitions are new. */
    for (int32_t i = from; i < to; i++) {
        fr_topic_partition_dir(cfg, log_dir, topic, i, dir, sizeof(dir));
        fr_rmtree(dir);
    }
    return rc == FR_ERR_NOMEM ? rc : FR_ERR_KAFKA_STORAGE_ERROR;
}

/* ---------- the build under way (topic_files.h) ---------- */

static void intent_path(const fr_broker_config_t *cfg, int log_dir, char *buf, size_t len) {
    snprintf(buf, len, "%s/.topic-build", cfg->log_dirs[log_dir]);
}

/* 0, or -1 with err. */
static int intent_save(const fr_broker_config_t *cfg, int log_dir, const fr_topic_intent_t *in, char *err,
                       size_t errlen) {
    char path[4200], ids[23], from[16], to[16], e2[512];
    intent_path(cfg, log_dir, path, sizeof(path));
    fr_uuid_to_string(in->id, ids);
    snprintf(from, sizeof(from), "%d", in->from);
    snprintf(to, sizeof(to), "%d", in->to);
    fr_props_t p;
    fr_props_init(&p);
    int rc = fr_props_set(&p, "topic", in->topic) || fr_props_set(&p, "topic.id", ids) ||
             fr_props_set(&p, "partitions.from", from) || fr_props_set(&p, "partitions.to", to);
    if (rc)
        snprintf(err, errlen, "out of memory");
    else if (fr_props_store(&p, path, "partitions being made; finished at start if the broker stopped first", e2,
                            sizeof(e2))) {
        snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    fr_props_free(&p);
    return rc ? -1 : 0;
}

static int intent_int(const fr_props_t *p, const char *key, int32_t *out) {
    const char *v = fr_props_get(p, key);
    int64_t n;
    if (!v || fr_config_parse_long(v, 0, INT32_MAX, &n))
        return -1;
    *out = (int32_t)n;
    return 0;
}

int fr_topic_intent_load(const fr_broker_config_t *cfg, int log_dir, fr_topic_intent_t *out, char *err,
                         size_t errlen) {
    char path[4200], e2[512];
    intent_path(cfg, log_dir, path, sizeof(path));
    fr_props_t p;
    fr_props_init(&p);
    int rc = fr_props_load(&p, path, e2, sizeof(e2));
    if (rc == FR_ERR_NOT_FOUND) {
        fr_props_free(&p);
        return 0;
    }
    const char *topic = fr_props_get(&p, "topic"), *id = fr_props_get(&p, "topic.id");
    int ok = 0;
    if (rc)
        snprintf(err, errlen, "%s", e2);
    else if (!topic || strlen(topic) >= sizeof(out->topic) || !id || uuid_decode(id, strlen(id), out->id) ||
             intent_int(&p, "partitions.from", &out->from) || intent_int(&p, "partitions.to", &out->to) ||
             out->from >= out->to)
        snprintf(err, errlen, "%s: not a topic build (topic, topic.id, partitions.from < partitions.to)", path);
    else
        ok = snprintf(out->topic, sizeof(out->topic), "%s", topic) > 0;
    fr_props_free(&p);
    return ok ? 1 : -1;
}

int fr_topic_intent_clear(const fr_broker_config_t *cfg, int log_dir, char *err, size_t errlen) {
    char path[4200];
    intent_path(cfg, log_dir, path, sizeof(path));
    if ((unlink(path) && errno != ENOENT) || fr_fsync_parent(path)) {
        /* the path's head is enough to name it, and keeps gcc -O3's -Wformat-truncation quiet */
        snprintf(err, errlen, "cannot remove %.300s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int fr_topic_partitions_build(const fr_broker_config_t *cfg, int log_dir, const char *topic, const uint8_t id[16],
                              const fr_log_config_t *log_cfg, int32_t from, int32_t to, fr_partition_t **parts,
                              char *err, size_t errlen) {
    fr_topic_intent_t in = {.from = from, .to = to};
    snprintf(in.topic, sizeof(in.topic), "%s", topic);
    memcpy(in.id, id, 16);
    char e2[512];
    if (intent_save(cfg, log_dir, &in, e2, sizeof(e2))) {
        for (int32_t i = from; i < to; i++)
            parts[i - from] = NULL;
        snprintf(err, errlen, "cannot save the topic build: %s", e2);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    int rc = fr_topic_partitions_make(cfg, log_dir, topic, id, log_cfg, from, to, parts, err, errlen);
    /* cleared also after a failure (its partitions are gone): the next start must not make them */
    if (fr_topic_intent_clear(cfg, log_dir, e2, sizeof(e2)) && !rc) {
        partitions_unmake(parts, to - from);
        snprintf(err, errlen, "%s", e2);
        rc = FR_ERR_KAFKA_STORAGE_ERROR;
    }
    return rc;
}

int fr_topic_make_files(const fr_broker_config_t *cfg, fr_topic_t *topic, char *err, size_t errlen) {
    char e2[512];
    if (fr_topic_overrides_save(cfg, topic->log_dir, topic->name, &topic->overrides, e2, sizeof(e2))) {
        snprintf(err, errlen, "cannot persist configs of topic %s: %s", topic->name, e2);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    int rc = fr_topic_partitions_build(cfg, topic->log_dir, topic->name, topic->id, &topic->log_cfg, 0,
                                       topic->num_partitions, topic->partitions, err, errlen);
    if (rc) {
        char path[4200];
        fr_topic_config_path(cfg, topic->log_dir, topic->name, path, sizeof(path));
        unlink(path);
        return rc;
    }
    for (int32_t i = 0; i < topic->num_partitions; i++)
        topic->partitions[i]->topic = topic;
    return 0;
}
