#include "topics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_array.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "topic_config.h"
#include "topic_files.h"
#include "topics_internal.h"

#define COMPONENT "topics"

void fr_uuid_to_string(const uint8_t id[16], char out[23]) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int o = 0;
    for (int i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)id[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)id[i + 1] << 8;
        if (i + 2 < 16)
            v |= id[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        if (i + 1 < 16)
            out[o++] = tbl[(v >> 6) & 63];
        if (i + 2 < 16)
            out[o++] = tbl[v & 63];
    }
    out[o] = '\0';
}

void fr_topic_id_random(uint8_t id[16]) {
    if (getrandom(id, 16, 0) != 16) {
        /* getrandom cannot fail for 16 bytes after boot; keep ids distinct anyway */
        for (int i = 0; i < 16; i++)
            id[i] = (uint8_t)rand();
    }
    id[6] = (id[6] & 0x0f) | 0x40; /* version 4, as java.util.UUID.randomUUID */
    id[8] = (id[8] & 0x3f) | 0x80;
}

/* ---------- name rules ---------- */

int fr_topic_name_validate(fr_slice_t name, char *err, size_t errlen) {
    /* Kafka's Topic.validate, word for word */
    if (name.len <= 0) {
        snprintf(err, errlen, "Topic name is invalid: the empty string is not allowed");
        return FR_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if ((name.len == 1 && name.ptr[0] == '.') || (name.len == 2 && name.ptr[0] == '.' && name.ptr[1] == '.')) {
        snprintf(err, errlen, "Topic name is invalid: '%.*s' is not allowed", (int)name.len, (const char *)name.ptr);
        return FR_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (name.len > 249) {
        snprintf(err, errlen, "Topic name is invalid: the length of '%.*s' is longer than the max allowed length 249",
                 (int)name.len, (const char *)name.ptr);
        return FR_ERR_INVALID_TOPIC_EXCEPTION;
    }
    for (int32_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-')) {
            snprintf(err, errlen,
                     "Topic name is invalid: '%.*s' contains one or more characters other than ASCII alphanumerics, "
                     "'.', '_' and '-'",
                     (int)name.len, (const char *)name.ptr);
            return FR_ERR_INVALID_TOPIC_EXCEPTION;
        }
    }
    return 0;
}

/* '.' and '_' read alike in metric names, so Kafka refuses a name equal to
 * another's but for them (Topic.hasCollision). */
static int names_collide(fr_slice_t name, const char *other) {
    size_t n = strlen(other);
    if ((size_t)name.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = (char)name.ptr[i] == '.' ? '_' : (char)name.ptr[i], b = other[i] == '.' ? '_' : other[i];
        if (a != b)
            return 0;
    }
    return 1;
}

static const char *colliding_topic(const fr_topics_t *t, fr_slice_t name) {
    if (!memchr(name.ptr, '.', (size_t)name.len) && !memchr(name.ptr, '_', (size_t)name.len))
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        if (names_collide(name, t->items[i]->name))
            return t->items[i]->name;
    for (size_t i = 0; i < t->npending; i++)
        if (names_collide(name, t->pending[i]->name))
            return t->pending[i]->name;
    return NULL;
}

int fr_topic_is_internal(fr_slice_t name) {
    static const char *const internal[] = {"__consumer_offsets", "__transaction_state", "__share_group_state"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (fr_slice_eq_cstr(name, internal[i]))
            return 1;
    return 0;
}

/* ---------- lookup ---------- */

static const char *topic_name_of(const void *item) { return ((const fr_topic_t *)item)->name; }

/* Index of name, or -(insertion point) - 1. */
static long topics_search(const fr_topics_t *t, fr_slice_t name) {
    return fr_sorted_search((void *const *)t->items, t->count, name, topic_name_of);
}

fr_topic_t *fr_topics_find(const fr_topics_t *t, fr_slice_t name) {
    if (name.len < 0)
        return NULL;
    long i = topics_search(t, name);
    return i >= 0 ? t->items[i] : NULL;
}

fr_topic_t *fr_topics_find_cstr(const fr_topics_t *t, const char *name) {
    return fr_topics_find(t, fr_slice_from_cstr(name));
}

fr_partition_t *fr_topic_partition(const fr_topic_t *topic, int32_t index) {
    if (!topic || index < 0 || index >= topic->num_partitions)
        return NULL;
    return topic->partitions[index];
}

/* ---------- topic objects ---------- */

void fr_topic_free(fr_topic_t *topic, int delete_data) {
    if (!topic)
        return;
    for (int32_t i = 0; i < topic->num_partitions; i++) {
        fr_partition_t *p = topic->partitions[i];
        if (!p)
            continue;
        if (p->log) {
            if (delete_data)
                fr_partlog_delete(p->log);
            else
                fr_partlog_close(p->log);
        }
        free(p);
    }
    free(topic->partitions);
    fr_props_free(&topic->overrides);
    free(topic->name);
    free(topic);
}

int fr_topics_insert(fr_topics_t *t, fr_topic_t *topic) {
    long i = topics_search(t, fr_slice_from_cstr(topic->name));
    if (i >= 0)
        return FR_ERR_EXISTS;
    size_t pos = (size_t)(-i - 1);
    if (FR_ARRAY_GROW(t->items, t->cap, t->count + 1, 32))
        return FR_ERR_NOMEM;
    memmove(t->items + pos + 1, t->items + pos, (t->count - pos) * sizeof(*t->items));
    t->items[pos] = topic;
    t->count++;
    t->id_stale = 1;
    return 0;
}

fr_topic_t *fr_topic_new(const fr_topics_t *t, const char *name, int log_dir) {
    fr_topic_t *topic = calloc(1, sizeof(*topic));
    if (!topic)
        return NULL;
    topic->name = strdup(name);
    if (!topic->name) {
        free(topic);
        return NULL;
    }
    topic->log_dir = log_dir;
    fr_props_init(&topic->overrides);
    fr_topic_log_config(t->cfg, &topic->overrides, &topic->log_cfg);
    return topic;
}

int fr_topic_ensure_slots(fr_topic_t *topic, int32_t n) {
    if (n <= topic->num_partitions)
        return 0;
    fr_partition_t **np = realloc(topic->partitions, (size_t)n * sizeof(*np));
    if (!np)
        return FR_ERR_NOMEM;
    for (int32_t i = topic->num_partitions; i < n; i++)
        np[i] = NULL;
    topic->partitions = np;
    topic->num_partitions = n;
    return 0;
}

/* ---------- close ---------- */

void fr_topics_close(fr_topics_t *t) {
    for (size_t i = 0; i < t->count; i++)
        fr_topic_free(t->items[i], 0);
    free(t->items);
    t->items = NULL;
    t->count = t->cap = 0;
    free(t->id_table);
    t->id_table = NULL;
    t->id_slots = 0;
    for (size_t i = 0; i < t->npending; i++) /* none when the loop has ended: each creation ends on it */
        fr_topic_free(t->pending[i], 0);
    free(t->pending);
    t->pending = NULL;
    t->npending = t->pending_cap = 0;
    for (int i = 0; i < FR_MAX_LOG_DIRS; i++) {
        if (t->lock_fds[i] >= 0) {
            flock(t->lock_fds[i], LOCK_UN);
            close(t->lock_fds[i]);
            t->lock_fds[i] = -1;
        }
    }
}

/* ---------- create / grow / delete ---------- */

static int pick_log_dir(const fr_topics_t *t) {
    /* The dir holding the fewest partitions, as Kafka places new logs. */
    long counts[FR_MAX_LOG_DIRS] = {0};
    for (size_t i = 0; i < t->count; i++)
        counts[t->items[i]->log_dir] += t->items[i]->num_partitions;
    for (size_t i = 0; i < t->npending; i++)
        counts[t->pending[i]->log_dir] += t->pending[i]->num_partitions;
    int best = 0;
    for (int i = 1; i < t->cfg->num_log_dirs; i++)
        if (counts[i] < counts[best])
            best = i;
    return best;
}

static long pending_index(const fr_topics_t *t, fr_slice_t name) {
    for (size_t i = 0; i < t->npending; i++)
        if (fr_slice_eq_cstr(name, t->pending[i]->name))
            return (long)i;
    return -1;
}

int fr_topics_pending(const fr_topics_t *t, fr_slice_t name) { return pending_index(t, name) >= 0; }

int fr_topics_check_name(const fr_topics_t *t, fr_slice_t name, char *err, size_t errlen) {
    int rc = fr_topic_name_validate(name, err, errlen);
    if (rc)
        return rc;
    if (fr_topics_find(t, name) || fr_topics_pending(t, name)) {
        snprintf(err, errlen, "Topic '%.*s' already exists.", (int)name.len, (const char *)name.ptr);
        return FR_ERR_TOPIC_ALREADY_EXISTS;
    }
    const char *other = colliding_topic(t, name);
    if (other) {
        snprintf(err, errlen, "Topic '%.*s' collides with existing topic: %s", (int)name.len, (const char *)name.ptr,
                 other);
        return FR_ERR_INVALID_TOPIC_EXCEPTION;
    }
    return 0;
}

int fr_topics_create_begin(fr_topics_t *t, fr_slice_t name, int32_t nparts, const fr_props_t *overrides,
                           int validate_only, fr_topic_t **out, char *err, size_t errlen) {
    *out = NULL;
    int rc = fr_topics_check_name(t, name, err, errlen);
    if (rc)
        return rc;
    if (nparts <= 0) {
        snprintf(err, errlen, "Number of partitions was set to an invalid non-positive value.");
        return FR_ERR_INVALID_PARTITIONS;
    }
    if (nparts > FR_TOPIC_PARTITIONS_MAX) {
        snprintf(err, errlen, "Number of partitions %d exceeds the limit of %d.", nparts, FR_TOPIC_PARTITIONS_MAX);
        return FR_ERR_INVALID_PARTITIONS;
    }
    for (size_t i = 0; overrides && i < overrides->count; i++) {
        rc = fr_topic_config_validate(overrides->items[i].key, overrides->items[i].value, err, errlen);
        if (rc)
            return rc;
    }
    if (validate_only)
        return 0;

    char cname[256];
    snprintf(cname, sizeof(cname), "%.*s", (int)name.len, (const char *)name.ptr);
    fr_topic_t *topic = fr_topic_new(t, cname, pick_log_dir(t));
    if (!topic)
        return FR_ERR_NOMEM;
    fr_topic_id_random(topic->id);
    rc = fr_topic_ensure_slots(topic, nparts);
    for (size_t i = 0; !rc && overrides && i < overrides->count; i++)
        rc = fr_props_set(&topic->overrides, overrides->items[i].key, overrides->items[i].value) ? FR_ERR_NOMEM : 0;
    if (!rc)
        rc = FR_ARRAY_GROW(t->pending, t->pending_cap, t->npending + 1, 8);
    if (rc) {
        fr_topic_free(topic, 0);
        return rc;
    }
    fr_topic_log_config(t->cfg, &topic->overrides, &topic->log_cfg);
    t->pending[t->npending++] = topic;
    *out = topic;
    return 0;
}

static void topic_reconfigure(const fr_topics_t *t, fr_topic_t *topic);

int fr_topics_create_end(fr_topics_t *t, fr_topic_t *topic, int rc) {
    long i = pending_index(t, fr_slice_from_cstr(topic->name));
    if (i >= 0)
        t->pending[i] = t->pending[--t->npending];
    if (!rc && (rc = fr_topics_insert(t, topic)) != 0) {
        char path[4200];
        fr_topic_config_path(t->cfg, topic->log_dir, topic->name, path, sizeof(path));
        unlink(path);
    }
    if (rc) {
        fr_topic_free(topic, 1); /* what fr_topic_make_files made, when it was the insert that failed */
        return rc;
    }
    topic_reconfigure(t, topic); /* broker configs changed while it was made */
    fr_info(COMPONENT, "Created topic %s with %d partitions", topic->name, topic->num_partitions);
    return 0;
}

int fr_topics_create(fr_topics_t *t, fr_slice_t name, int32_t nparts, const fr_props_t *overrides,
                     int validate_only, fr_topic_t **out, char *err, size_t errlen) {
    fr_topic_t *topic;
    int rc = fr_topics_create_begin(t, name, nparts, overrides, validate_only, &topic, err, errlen);
    if (rc || !topic)
        return rc;
    rc = fr_topics_create_end(t, topic, fr_topic_make_files(t->cfg, topic, err, errlen));
    if (out)
        *out = rc ? NULL : topic;
    return rc;
}

struct fr_topic_growth {
    fr_topic_t *topic;        /* loop thread only: the topic cannot be deleted while it grows */
    char *name;               /* what the worker needs, copied: the topic may be reconfigured meanwhile */
    int log_dir;
    uint8_t id[16];
    fr_log_config_t log_cfg;
    int32_t from, to;
    fr_partition_t *made[];   /* to - from, by fr_topic_growth_make */
};

int fr_topics_grow_check(const fr_topic_t *topic, int32_t new_count, char *err, size_t errlen) {
    int32_t have = topic->growths ? topic->growing_to : topic->num_partitions;
    if (new_count == have) {
        snprintf(err, errlen, "Topic already has %d partition(s).", have);
        return FR_ERR_INVALID_PARTITIONS;
    }
    if (new_count < have) {
        snprintf(err, errlen, "The topic %s currently has %d partition(s); %d would not be an increase.", topic->name,
                 have, new_count);
        return FR_ERR_INVALID_PARTITIONS;
    }
    if (new_count > FR_TOPIC_PARTITIONS_MAX) {
        snprintf(err, errlen, "Number of partitions %d exceeds the limit of %d.", new_count, FR_TOPIC_PARTITIONS_MAX);
        return FR_ERR_INVALID_PARTITIONS;
    }
    return 0;
}

int fr_topics_grow_begin(fr_topic_t *topic, int32_t new_count, int validate_only, fr_topic_growth_t **out,
                         char *err, size_t errlen) {
    *out = NULL;
    int rc = fr_topics_grow_check(topic, new_count, err, errlen);
    if (rc)
        return rc;
    int32_t have = topic->growths ? topic->growing_to : topic->num_partitions;
    if (validate_only)
        return 0;
    fr_topic_growth_t *g = calloc(1, sizeof(*g) + (size_t)(new_count - have) * sizeof(g->made[0]));
    if (!g || !(g->name = strdup(topic->name))) {
        free(g);
        return FR_ERR_NOMEM;
    }
    g->topic = topic;
    g->log_dir = topic->log_dir;
    memcpy(g->id, topic->id, 16);
    g->log_cfg = topic->log_cfg;
    g->from = have;
    g->to = new_count;
    topic->growths++;
    topic->growing_to = new_count;
    *out = g;
    return 0;
}

int fr_topic_growth_make(const fr_broker_config_t *cfg, fr_topic_growth_t *g, char *err, size_t errlen) {
    return fr_topic_partitions_build(cfg, g->log_dir, g->name, g->id, &g->log_cfg, g->from, g->to, g->made, err,
                                     errlen);
}

int fr_topics_grow_end(fr_topics_t *t, fr_topic_growth_t *g, int rc, char *err, size_t errlen) {
    fr_topic_t *topic = g->topic;
    topic->growths--;
    if (!rc && topic->num_partitions != g->from) {
        /* an earlier growth failed: these would leave a hole in the partition numbers */
        snprintf(err, errlen, "cannot add partitions %d to %d: the topic has %d partitions, an earlier addition failed",
                 g->from, g->to - 1, topic->num_partitions);
        rc = FR_ERR_KAFKA_STORAGE_ERROR;
    }
    if (!rc)
        rc = fr_topic_ensure_slots(topic, g->to);
    for (int32_t i = 0; i < g->to - g->from; i++) {
        fr_partition_t *p = g->made[i];
        if (rc) {
            if (p) {
                fr_partlog_delete(p->log);
                free(p);
            }
        } else {
            p->topic = topic;
            topic->partitions[g->from + i] = p;
        }
    }
    if (!rc) {
        topic_reconfigure(t, topic); /* its configs changed while they were made */
        fr_info(COMPONENT, "Topic %s now has %d partitions", topic->name, topic->num_partitions);
    }
    free(g->name);
    free(g);
    return rc;
}

/* "<dir>.<32 hex>-delete", the name Kafka gives a deleted partition's
 * directory.  As in Kafka, a long "<topic>-<partition>" is cut so that the
 * name fits NAME_MAX (255): the rename must not fail for a long topic name. */
#define GONE_SUFFIX_LEN (1 + 32 + 7) /* ".<32 hex>-delete" */
static void gone_dir_name(const char *dir, char *buf, size_t len) {
    uint8_t id[16];
    char hex[33];
    fr_topic_id_random(id);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    const char *slash = strrchr(dir, '/');
    int parent = slash ? (int)(slash - dir + 1) : 0;
    int keep = (int)strlen(dir + parent);
    if (keep > 255 - GONE_SUFFIX_LEN)
        keep = 255 - GONE_SUFFIX_LEN;
    snprintf(buf, len, "%.*s%.*s.%s-delete", parent, dir, keep, dir + parent, hex);
}

int fr_topics_delete(fr_topics_t *t, fr_topic_t *topic, fr_topics_discard_fn discard, void *ctx) {
    long i = topics_search(t, fr_slice_from_cstr(topic->name));
    if (i < 0 || t->items[i] != topic)
        return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (topic->growths)
        return FR_ERR_REQUEST_TIMED_OUT; /* callers wait for topic->growths to be 0 */
    memmove(t->items + i, t->items + i + 1, (t->count - (size_t)i - 1) * sizeof(*t->items));
    t->count--;
    t->id_stale = 1;
    fr_info(COMPONENT, "Deleted topic %s", topic->name);
    /* Each partition's directory is renamed out of the topic's way at once (a
     * topic of the same name may be created next) and its files are deleted
     * by discard, off the network loop: unlinking a big segment takes the file
     * system a while.  Where the rename fails, the files go here.  The config
     * file goes last: cut short, a deletion leaves a file nobody reads, never
     * a topic that has lost its configs (a compacted one would be cleaned by
     * retention).  The caller makes all of it durable (topic_delete.c). */
    char dir[4200], gone[4300];
    for (int32_t p = 0; p < topic->num_partitions; p++) {
        fr_partition_t *part = topic->partitions[p];
        fr_topic_partition_dir(t->cfg, topic->log_dir, topic->name, p, dir, sizeof(dir));
        gone_dir_name(dir, gone, sizeof(gone));
        int renamed = rename(dir, gone) == 0;
        if (!renamed) {
            if (errno != ENOENT)
                fr_warn(COMPONENT, "cannot rename %s for deletion (%s); deleting it now", dir, strerror(errno));
            fr_rmtree(dir);
        }
        if (part && part->log) {
            discard(ctx, part, renamed ? gone : NULL);
            part->log = NULL;
        } else if (renamed) {
            fr_rmtree(gone);
        }
    }
    fr_topic_config_path(t->cfg, topic->log_dir, topic->name, dir, sizeof(dir));
    if (unlink(dir) && errno != ENOENT) /* left behind, it is read by nobody: a new topic replaces it */
        fr_warn(COMPONENT, "cannot remove %s: %s", dir, strerror(errno));
    fr_topic_free(topic, 0);
    return 0;
}

/* ---------- config changes ---------- */

/* Recomputes a topic's effective log settings and hands them to its open partitions. */
static void topic_reconfigure(const fr_topics_t *t, fr_topic_t *topic) {
    fr_topic_log_config(t->cfg, &topic->overrides, &topic->log_cfg);
    for (int32_t i = 0; i < topic->num_partitions; i++)
        if (topic->partitions[i] && topic->partitions[i]->log)
            fr_partlog_set_config(topic->partitions[i]->log, &topic->log_cfg);
}

int fr_topics_set_overrides(fr_topics_t *t, fr_topic_t *topic, const fr_props_t *overrides, char *err,
                            size_t errlen) {
    fr_props_t copy;
    fr_props_init(&copy);
    for (size_t i = 0; i < overrides->count; i++) {
        if (fr_props_set(&copy, overrides->items[i].key, overrides->items[i].value)) {
            fr_props_free(&copy);
            snprintf(err, errlen, "out of memory");
            return FR_ERR_NOMEM;
        }
    }
    char e2[512];
    if (fr_topic_overrides_save(t->cfg, topic->log_dir, topic->name, &copy, e2, sizeof(e2))) {
        snprintf(err, errlen, "cannot persist configs of topic %s: %s", topic->name, e2);
        fr_props_free(&copy);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    fr_props_free(&topic->overrides);
    topic->overrides = copy;
    topic_reconfigure(t, topic);
    fr_info(COMPONENT, "Updated configs of topic %s (%zu overrides)", topic->name, copy.count);
    return 0;
}

void fr_topics_reconfigure(fr_topics_t *t) {
    for (size_t i = 0; i < t->count; i++)
        topic_reconfigure(t, t->items[i]);
}
