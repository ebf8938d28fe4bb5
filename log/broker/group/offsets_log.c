/*
 * offsets_log.c — committed offsets and group metadata, in memory and in the
 * internal topic __consumer_offsets, using Kafka's record formats so the
 * topic reads like Kafka's:
 *
 *   offset commit   key v1: int16 1, string group, string topic, int32 partition
 *                   value v3: int16 3, int64 offset, int32 leader epoch,
 *                             string metadata, int64 commit timestamp
 *   group metadata  key v2: int16 2, string group
 *                   value v3: int16 3, string protocol type, int32 generation,
 *                             nullable string protocol, nullable string leader,
 *                             int64 state timestamp, members [string id,
 *                             nullable string instance id, string client id,
 *                             string client host, int32 rebalance timeout,
 *                             int32 session timeout, bytes subscription,
 *                             bytes assignment]
 * A null value is a tombstone.  Reloading replays the topic: the last record
 * for a key wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_writer.h"
#include "broker.h"
#include "fr_array.h"
#include "fr_err.h"
#include "fr_logging.h"
#include "group.h"
#include "internal_topics.h"
#include "record_batch.h"

#define COMPONENT "group-coordinator"

/* ---------- in-memory offsets ---------- */

fr_offset_entry_t *fr_group_offset(const fr_group_t *grp, fr_slice_t topic, int32_t partition) {
    for (int32_t i = 0; i < grp->num_offsets; i++)
        if (grp->offsets[i].partition == partition && fr_slice_eq_cstr(topic, grp->offsets[i].topic))
            return &grp->offsets[i];
    return NULL;
}

static int offsets_put(fr_group_t *grp, const fr_offset_entry_t *e) {
    fr_offset_entry_t *cur = fr_group_offset(grp, fr_slice_from_cstr(e->topic), e->partition);
    char *md = strdup(e->metadata ? e->metadata : "");
    if (!md)
        return FR_ERR_NOMEM;
    if (cur) {
        free(cur->metadata);
        cur->metadata = md;
        cur->offset = e->offset;
        cur->leader_epoch = e->leader_epoch;
        cur->commit_timestamp = e->commit_timestamp;
        cur->expire_timestamp = e->expire_timestamp;
        return 0;
    }
    if (FR_ARRAY_GROW(grp->offsets, grp->cap_offsets, (size_t)grp->num_offsets + 1, 16)) {
        free(md);
        return FR_ERR_NOMEM;
    }
    char *topic = strdup(e->topic);
    if (!topic) {
        free(md);
        return FR_ERR_NOMEM;
    }
    grp->offsets[grp->num_offsets++] = (fr_offset_entry_t){topic, e->partition, e->offset, e->leader_epoch, md,
                                                           e->commit_timestamp, e->expire_timestamp};
    return 0;
}

static void offsets_remove_at(fr_group_t *grp, int32_t i) {
    free(grp->offsets[i].topic);
    free(grp->offsets[i].metadata);
    grp->offsets[i] = grp->offsets[--grp->num_offsets];
}

/* ---------- record encodings ---------- */

static void put_str(fr_writer_t *w, const char *s) { fr_write_string(w, 0, fr_slice_from_cstr(s ? s : "")); }
static void put_nstr(fr_writer_t *w, const char *s) { fr_write_string(w, 0, s ? fr_slice_from_cstr(s) : FR_SLICE_NULL); }

static void offset_key(fr_writer_t *w, const char *group, const char *topic, int32_t partition) {
    fr_write_i16(w, 1);
    put_str(w, group);
    put_str(w, topic);
    fr_write_i32(w, partition);
}

/* Kafka's OffsetCommitValue: v1 when the commit has an expire timestamp
 * (GroupMetadataManager.offsetCommitValue), else v3 with the leader epoch. */
static void offset_value(fr_writer_t *w, const fr_offset_entry_t *e) {
    int v1 = e->expire_timestamp >= 0;
    fr_write_i16(w, v1 ? 1 : 3);
    fr_write_i64(w, e->offset);
    if (!v1)
        fr_write_i32(w, e->leader_epoch);
    put_str(w, e->metadata);
    fr_write_i64(w, e->commit_timestamp);
    if (v1)
        fr_write_i64(w, e->expire_timestamp);
}

static void group_value(fr_writer_t *w, const fr_group_t *grp) {
    fr_write_i16(w, 3);
    put_str(w, grp->protocol_type);
    fr_write_i32(w, grp->generation_id);
    put_nstr(w, grp->protocol_name);
    put_nstr(w, grp->leader_id);
    fr_write_i64(w, fr_now_ms());
    fr_write_i32(w, grp->num_members);
    for (int32_t i = 0; i < grp->num_members; i++) {
        const fr_member_t *m = grp->members[i];
        put_str(w, m->member_id);
        put_nstr(w, m->group_instance_id);
        put_str(w, m->client_id);
        put_str(w, m->client_host);
        fr_write_i32(w, m->rebalance_timeout_ms);
        fr_write_i32(w, m->session_timeout_ms);
        fr_bytes_t sub = {NULL, 0};
        for (int32_t p = 0; p < m->num_protocols; p++)
            if (grp->protocol_name && strcmp(m->protocols[p].name, grp->protocol_name) == 0)
                sub = m->protocols[p].metadata;
        fr_write_bytes(w, 0, (fr_slice_t){sub.ptr, sub.len < 0 ? 0 : sub.len});
        fr_write_bytes(w, 0, (fr_slice_t){m->assignment.ptr, m->assignment.len < 0 ? 0 : m->assignment.len});
    }
}

/* ---------- appending to __consumer_offsets ---------- */

/* Builds records with build(); appends them as one batch to the group's partition. */
typedef void (*records_fn)(fr_batch_writer_t *bw, fr_writer_t *scratch, void *ctx);

static void add_record(fr_batch_writer_t *bw, fr_writer_t *k, fr_writer_t *v, int tombstone) {
    fr_batch_writer_add(bw, (fr_slice_t){k->buf, (int32_t)k->len},
                        tombstone ? FR_SLICE_NULL : (fr_slice_t){v->buf, (int32_t)v->len}, fr_now_ms());
}

static int append_batch(fr_groups_t *g, const char *group_id, fr_writer_t *batch) {
    if (batch->err)
        return FR_ERR_UNKNOWN_SERVER_ERROR;
    fr_topic_t *topic;
    int rc = fr_groups_offsets_topic_ready(g, &topic);
    if (rc)
        return rc;
    fr_partition_t *p = fr_topic_partition(topic, fr_groups_offsets_partition(g, group_id));
    if (!p)
        return FR_ERR_COORDINATOR_NOT_AVAILABLE;
    fr_append_info_t info;
    rc = fr_partlog_append(p->log, batch->buf, batch->len, fr_now_ms(), &info);
    if (rc) {
        fr_append_info_release(&info);
        fr_error(COMPONENT, "cannot write to %s: %s", FR_OFFSETS_TOPIC, fr_err_str(rc));
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    fr_server_note_append(g->srv, p, &info);
    return 0;
}

int fr_group_commit_offsets(fr_groups_t *g, fr_group_t *grp, const fr_offset_entry_t *entries, int32_t n) {
    if (n <= 0)
        return 0;
    fr_writer_t batch, k, v;
    fr_writer_init(&batch);
    fr_writer_init(&k);
    fr_writer_init(&v);
    fr_batch_writer_t bw;
    fr_batch_writer_begin(&bw, &batch, fr_now_ms());
    for (int32_t i = 0; i < n; i++) {
        fr_writer_reset(&k);
        fr_writer_reset(&v);
        offset_key(&k, grp->group_id, entries[i].topic, entries[i].partition);
        offset_value(&v, &entries[i]);
        add_record(&bw, &k, &v, 0);
    }
    int rc = fr_batch_writer_finish(&bw);
    if (!rc)
        rc = append_batch(g, grp->group_id, &batch);
    for (int32_t i = 0; i < n && !rc; i++)
        rc = offsets_put(grp, &entries[i]);
    fr_writer_free(&batch);
    fr_writer_free(&k);
    fr_writer_free(&v);
    return rc;
}

int fr_group_delete_offsets(fr_groups_t *g, fr_group_t *grp, const char *topic, int32_t partition) {
    fr_writer_t batch, k;
    fr_writer_init(&batch);
    fr_writer_init(&k);
    fr_batch_writer_t bw;
    fr_batch_writer_begin(&bw, &batch, fr_now_ms());
    for (int32_t i = 0; i < grp->num_offsets; i++) {
        const fr_offset_entry_t *e = &grp->offsets[i];
        if ((topic && strcmp(e->topic, topic)) || (partition >= 0 && e->partition != partition))
            continue;
        fr_writer_reset(&k);
        offset_key(&k, grp->group_id, e->topic, e->partition);
        add_record(&bw, &k, NULL, 1);
    }
    int rc = 0;
    if (bw.count > 0) {
        rc = fr_batch_writer_finish(&bw);
        if (!rc)
            rc = append_batch(g, grp->group_id, &batch);
    }
    for (int32_t i = grp->num_offsets - 1; i >= 0 && !rc; i--) {
        const fr_offset_entry_t *e = &grp->offsets[i];
        if ((!topic || strcmp(e->topic, topic) == 0) && (partition < 0 || e->partition == partition))
            offsets_remove_at(grp, i);
    }
    fr_writer_free(&batch);
    fr_writer_free(&k);
    return rc;
}

void fr_groups_topic_deleted(fr_groups_t *g, const char *topic) {
    if (strcmp(topic, FR_OFFSETS_TOPIC) == 0) {
        /* Every group's state lived there.  As Kafka's coordinator resigns with
         * its partitions, all of it is let go: members find their group gone
         * and join afresh, and the topic is made again when next needed
         * (fr_groups_offsets_topic_ready). */
        fr_warn(COMPONENT, "%s was deleted: dropping the state of %zu groups", FR_OFFSETS_TOPIC, g->count);
        while (g->count)
            fr_groups_forget(g, g->items[g->count - 1]);
        return;
    }
    for (size_t i = 0; i < g->count; i++)
        if (fr_group_offset(g->items[i], fr_slice_from_cstr(topic), -1) || g->items[i]->num_offsets)
            fr_group_delete_offsets(g, g->items[i], topic, -1);
    /* Kafka's handleDeletedPartitions goes on as its periodic clean-up does (cleanupGroupMetadata):
     * every Empty group left without offsets is Dead at once, not at the next retention check.
     * Backwards: a deletion closes the gap in g->items behind it. */
    for (size_t i = g->count; i-- > 0;) {
        fr_group_t *grp = g->items[i];
        if (fr_group_deletable(grp)) {
            int rc = fr_groups_delete(g, fr_slice_from_cstr(grp->group_id));
            if (rc)
                fr_warn(COMPONENT, "could not delete an empty group: %s", fr_err_str(rc));
        }
    }
}

int fr_group_store_metadata(fr_groups_t *g, fr_group_t *grp) {
    fr_writer_t batch, k, v;
    fr_writer_init(&batch);
    fr_writer_init(&k);
    fr_writer_init(&v);
    fr_write_i16(&k, 2);
    put_str(&k, grp->group_id);
    int tombstone = grp->state == FR_GROUP_DEAD;
    if (!tombstone)
        group_value(&v, grp);
    fr_batch_writer_t bw;
    fr_batch_writer_begin(&bw, &batch, fr_now_ms());
    add_record(&bw, &k, &v, tombstone);
    int rc = fr_batch_writer_finish(&bw);
    if (!rc)
        rc = append_batch(g, grp->group_id, &batch);
    fr_writer_free(&batch);
    fr_writer_free(&k);
    fr_writer_free(&v);
    return rc;
}

/* ---------- loading ---------- */

static char *slice_dup(fr_slice_t s) { return s.len < 0 ? NULL : strndup((const char *)s.ptr, (size_t)s.len); }

static void load_group_value(fr_groups_t *g, fr_group_t *grp, fr_reader_t *r, uint64_t now) {
    int16_t version;
    fr_slice_t ptype, proto, leader;
    int64_t ts;
    int32_t n;
    if (fr_read_i16(r, &version) || version < 0 || version > 3 || fr_read_string(r, 0, 1, &ptype) ||
        fr_read_i32(r, &grp->generation_id) || fr_read_string(r, 0, 1, &proto) || fr_read_string(r, 0, 1, &leader))
        return;
    ts = -1; /* the state's timestamp: before v2 there is none */
    if (version >= 2 && fr_read_i64(r, &ts))
        return;
    grp->empty_since_ms = ts; /* meaningful when the group is Empty (load_record) */
    if (fr_read_array_len(r, 0, 8, &n))
        return;
    free(grp->protocol_type);
    free(grp->protocol_name);
    free(grp->leader_id);
    grp->protocol_type = slice_dup(ptype);
    grp->protocol_name = slice_dup(proto);
    grp->leader_id = slice_dup(leader);
    fr_group_clear_members(grp);
    for (int32_t i = 0; i < n; i++) {
        fr_slice_t id, inst = FR_SLICE_NULL, cid, chost, sub, asg;
        int32_t rebalance = 0, session;
        if (fr_read_string(r, 0, 0, &id) || (version >= 3 && fr_read_string(r, 0, 1, &inst)) ||
            fr_read_string(r, 0, 0, &cid) || fr_read_string(r, 0, 0, &chost) ||
            (version >= 1 && fr_read_i32(r, &rebalance)) || fr_read_i32(r, &session) ||
            fr_read_bytes(r, 0, 1, &sub) || fr_read_bytes(r, 0, 1, &asg))
            return;
        fr_member_t *m = calloc(1, sizeof(*m));
        if (!m || FR_ARRAY_GROW(grp->members, grp->cap_members, (size_t)grp->num_members + 1, 8)) {
            free(m);
            return;
        }
        m->member_id = slice_dup(id);
        m->group_instance_id = slice_dup(inst);
        m->client_id = slice_dup(cid);
        m->client_host = slice_dup(chost);
        m->rebalance_timeout_ms = version >= 1 ? rebalance : session;
        m->session_timeout_ms = session;
        m->protocols = calloc(1, sizeof(*m->protocols));
        if (m->protocols) {
            m->num_protocols = 1;
            m->protocols[0].name = strdup(grp->protocol_name ? grp->protocol_name : "");
            m->protocols[0].metadata.len = sub.len < 0 ? 0 : sub.len;
            m->protocols[0].metadata.ptr = malloc((size_t)m->protocols[0].metadata.len + 1);
            if (m->protocols[0].metadata.ptr && sub.len > 0)
                memcpy(m->protocols[0].metadata.ptr, sub.ptr, (size_t)sub.len);
        }
        m->assignment.len = asg.len < 0 ? 0 : asg.len;
        m->assignment.ptr = malloc((size_t)m->assignment.len + 1);
        if (m->assignment.ptr && asg.len > 0)
            memcpy(m->assignment.ptr, asg.ptr, (size_t)asg.len);
        m->joined_generation = grp->generation_id;
        m->last_heartbeat = now; /* members get a fresh session to come back after a restart */
        grp->members[grp->num_members++] = m;
        (void)g;
    }
    grp->state = grp->num_members > 0 ? FR_GROUP_STABLE : FR_GROUP_EMPTY;
    fr_group_snapshot_subscriptions(grp);
}

/* Applies one record of __consumer_offsets. */
static void load_record(fr_groups_t *g, const fr_record_t *rec, uint64_t now) {
    fr_reader_t kr;
    fr_reader_init(&kr, rec->key.ptr, rec->key.len < 0 ? 0 : (size_t)rec->key.len);
    int16_t kv;
    fr_slice_t group;
    if (fr_read_i16(&kr, &kv) || fr_read_string(&kr, 0, 0, &group))
        return;
    if (kv == 0 || kv == 1) {
        fr_slice_t topic;
        int32_t partition;
        if (fr_read_string(&kr, 0, 0, &topic) || fr_read_i32(&kr, &partition))
            return;
        fr_group_t *grp = fr_groups_find(g, group);
        if (rec->value.len < 0) {
            if (grp) {
                char *t = slice_dup(topic);
                for (int32_t i = grp->num_offsets - 1; t && i >= 0; i--)
                    if (grp->offsets[i].partition == partition && strcmp(grp->offsets[i].topic, t) == 0)
                        offsets_remove_at(grp, i);
                free(t);
            }
            return;
        }
        if (!grp && !(grp = fr_groups_get_or_create(g, group)))
            return;
        fr_reader_t vr;
        fr_reader_init(&vr, rec->value.ptr, (size_t)rec->value.len);
        int16_t vv;
        int64_t offset, ts = -1, expire = -1;
        int32_t epoch = -1;
        fr_slice_t md;
        if (fr_read_i16(&vr, &vv) || fr_read_i64(&vr, &offset) || (vv >= 3 && fr_read_i32(&vr, &epoch)) ||
            fr_read_string(&vr, 0, 1, &md) || fr_read_i64(&vr, &ts) || (vv == 1 && fr_read_i64(&vr, &expire)))
            return;
        char *t = slice_dup(topic), *m = slice_dup(md);
        if (t) {
            fr_offset_entry_t e = {t, partition, offset, epoch, m, ts, expire};
            offsets_put(grp, &e);
        }
        free(t);
        free(m);
    } else if (kv == 2) {
        fr_group_t *grp = fr_groups_find(g, group);
        if (rec->value.len < 0) {
            if (grp)
                fr_groups_forget(g, grp);
            return;
        }
        if (!grp && !(grp = fr_groups_get_or_create(g, group)))
            return;
        fr_reader_t vr;
        fr_reader_init(&vr, rec->value.ptr, (size_t)rec->value.len);
        load_group_value(g, grp, &vr, now); /* an Empty group's empty_since_ms: when it was written so */
    }
}

/* Replays one partition of __consumer_offsets from its start. */
static int load_partition(fr_groups_t *g, fr_partition_t *p, uint64_t now) {
    int64_t offset = fr_partlog_start_offset(p->log), end = fr_partlog_end_offset(p->log);
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    while (offset < end && !rc) {
        fr_read_result_t rr;
        rc = fr_partlog_read(p->log, offset, 1 << 20, &rr);
        if (rc || rr.len == 0)
            break;
        if (rr.len > cap) {
            uint8_t *nb = realloc(buf, rr.len);
            if (!nb) {
                rr.unref(rr.ref);
                rc = FR_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap = rr.len;
        }
        ssize_t got = pread(rr.fd, buf, rr.len, rr.file_position);
        rr.unref(rr.ref);
        if (got != (ssize_t)rr.len) {
            rc = FR_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        fr_batch_iter_t it;
        fr_batch_iter_init(&it, buf, rr.len);
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int64_t next = offset;
        while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
            next = fr_batch_last_offset(&h) + 1;
            if (fr_batch_compression(&h) != 0 || fr_batch_is_control(&h)) {
                fr_warn(COMPONENT, "skipping a compressed or control batch at offset %lld of %s-%d",
                        (long long)h.base_offset, FR_OFFSETS_TOPIC, p->index);
                continue;
            }
            fr_record_iter_t ri;
            if (fr_record_iter_init(&ri, batch, blen, &h))
                continue;
            fr_record_t rec;
            while (fr_record_iter_next(&ri, &rec))
                if (rec.offset >= offset)
                    load_record(g, &rec, now);
        }
        if (next <= offset)
            break; /* no whole batch: nothing more to learn */
        offset = next;
    }
    free(buf);
    return rc;
}

/* Starts making __consumer_offsets in Kafka's shape for it (internal_topics.h),
 * off the loop; *out is the pending topic. */
static int offsets_topic_create(fr_groups_t *g, fr_topic_t **out, char *err, size_t errlen) {
    fr_props_t o;
    fr_props_init(&o);
    fr_slice_t name = fr_slice_from_cstr(FR_OFFSETS_TOPIC);
    int32_t n;
    int rc = fr_internal_topic_shape(g->srv->cfg, name, &o, &n);
    if (!rc)
        rc = fr_topics_create_begin(&g->srv->topics, name, n, &o, 0, out, err, errlen);
    fr_props_free(&o);
    return rc;
}

int fr_groups_offsets_topic_ready(fr_groups_t *g, fr_topic_t **out) {
    fr_topic_t *topic = fr_topics_find_cstr(&g->srv->topics, FR_OFFSETS_TOPIC);
    if (out)
        *out = topic;
    if (topic) {
        g->offsets_partitions = topic->num_partitions;
        return 0;
    }
    if (fr_topics_pending(&g->srv->topics, fr_slice_from_cstr(FR_OFFSETS_TOPIC)))
        return FR_ERR_COORDINATOR_NOT_AVAILABLE;
    char err[256] = "";
    int rc = offsets_topic_create(g, &topic, err, sizeof(err));
    if (rc) {
        fr_error(COMPONENT, "cannot create %s: %s", FR_OFFSETS_TOPIC, err[0] ? err : fr_err_str(rc));
        return FR_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    fr_info(COMPONENT, "creating %s (%d partitions)", FR_OFFSETS_TOPIC, (int)topic->num_partitions);
    fr_topic_build_release(fr_topic_build_start(g->srv, topic));
    return FR_ERR_COORDINATOR_NOT_AVAILABLE; /* until its files are made, as Kafka answers while it creates it */
}

int fr_groups_coordinator_error(const fr_groups_t *g) {
    return fr_topics_find_cstr(&g->srv->topics, FR_OFFSETS_TOPIC) ? 0 : FR_ERR_NOT_COORDINATOR;
}

int fr_groups_open(fr_groups_t *g, fr_server_t *srv, char *err, size_t errlen) {
    memset(g, 0, sizeof(*g));
    g->srv = srv;
    const fr_broker_config_t *cfg = srv->cfg;
    g->initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms;
    g->min_session_timeout_ms = cfg->group_min_session_timeout_ms;
    g->max_size = cfg->group_max_size;
    g->max_session_timeout_ms = cfg->group_max_session_timeout_ms;
    g->offsets_retention_ms = cfg->offsets_retention_minutes * 60 * 1000;
    g->offsets_partitions = cfg->offsets_topic_num_partitions;
    g->retention_check_interval_ms = cfg->offsets_retention_check_interval_ms;
    g->next_retention_check = uv_now(srv->loop) + (uint64_t)g->retention_check_interval_ms;

    fr_topic_t *topic = fr_topics_find_cstr(&srv->topics, FR_OFFSETS_TOPIC);
    if (!topic) {
        /* Made when a client first looks for a group coordinator, as Kafka's
         * AutoTopicCreationManager does (fr_groups_offsets_topic_ready). */
        fr_info(COMPONENT, "%s does not exist yet: no groups to load", FR_OFFSETS_TOPIC);
        return 0;
    }
    g->offsets_partitions = topic->num_partitions; /* an existing topic keeps its count */
    uint64_t now = uv_now(srv->loop);
    for (int32_t i = 0; i < topic->num_partitions; i++) {
        int rc = load_partition(g, topic->partitions[i], now);
        if (rc) {
            snprintf(err, errlen, "cannot load %s-%d: %s", FR_OFFSETS_TOPIC, i, fr_err_str(rc));
            fr_groups_close(g);
            return rc;
        }
    }
    /* Kafka's loader makes a group of the offsets left of one that has no metadata record: one
     * whose offsets were all deleted (a generation-0 group gets no group tombstone) is not loaded */
    for (size_t i = g->count; i-- > 0;) {
        fr_group_t *grp = g->items[i];
        if (grp->generation_id == 0 && fr_group_deletable(grp))
            fr_groups_forget(g, grp);
    }
    for (size_t i = 0; i < g->count; i++) /* group.max.size may have been lowered meanwhile */
        if (g->items[i]->num_members > g->max_size)
            fr_group_prepare_rebalance(g, g->items[i], now, "Freshly-loaded group is over capacity (group.max.size)");
    fr_info(COMPONENT, "loaded %zu groups from %s", g->count, FR_OFFSETS_TOPIC);
    return 0;
}
