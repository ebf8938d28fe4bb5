/*
 * OffsetFetch: committed offsets of a group (v0-7: one group; v8+: several).
 * Partitions without a commit answer offset -1 with no error, as in Kafka;
 * a null topic list (v2+) asks for every committed partition.
 */
#include <string.h>

#include "group.h"
#include "handlers.h"

typedef fr_offset_fetch_response_offset_fetch_response_partitions_t part_t;
typedef fr_offset_fetch_response_offset_fetch_response_topics_t topic_t;

static void fill_partition(const fr_group_t *grp, fr_slice_t topic, int32_t partition, int16_t group_err,
                           int32_t *index, int64_t *offset, int32_t *epoch, fr_slice_t *metadata, int16_t *err) {
    const fr_offset_entry_t *e = grp ? fr_group_offset(grp, topic, partition) : NULL;
    *index = partition;
    *offset = e ? e->offset : -1;
    *epoch = e ? e->leader_epoch : -1;
    *metadata = fr_slice_from_cstr(e && e->metadata ? e->metadata : "");
    *err = group_err;
}

/* One group's topics in the v8 shape; the v0-7 shape is converted from it.
 * With a group_err (only v0-1 ask for it), the partitions asked for carry it:
 * Kafka's getErrorResponse; later versions answer it for the whole group. */
static int fetch_group(fr_req_t *req, const fr_group_t *grp, const fr_offset_fetch_request_offset_fetch_request_topics_t *topics,
                       int32_t ntopics, int16_t group_err, topic_t **out, int32_t *nout) {
    if (ntopics >= 0) {
        topic_t *ts = FR_REQ_ARRAY(req, topic_t, ntopics);
        if (!ts)
            return FR_ERR_NOMEM;
        for (int32_t i = 0; i < ntopics; i++) {
            ts[i].name = topics[i].name;
            ts[i].partitions = FR_REQ_ARRAY(req, part_t, topics[i].partition_indexes_count);
            if (!ts[i].partitions)
                return FR_ERR_NOMEM;
            ts[i].partitions_count = topics[i].partition_indexes_count;
            for (int32_t j = 0; j < topics[i].partition_indexes_count; j++) {
                part_t *p = &ts[i].partitions[j];
                fill_partition(grp, topics[i].name, topics[i].partition_indexes[j], group_err, &p->partition_index,
                               &p->committed_offset, &p->committed_leader_epoch, &p->metadata, &p->error_code);
            }
        }
        *out = ts;
        *nout = ntopics;
        return 0;
    }
    /* every committed partition, grouped by topic */
    int32_t n = grp ? grp->num_offsets : 0, nt = 0;
    topic_t *ts = FR_REQ_ARRAY(req, topic_t, n);
    if (!ts)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        const fr_offset_entry_t *e = &grp->offsets[i];
        int32_t t = 0;
        while (t < nt && !fr_slice_eq_cstr(ts[t].name, e->topic))
            t++;
        if (t == nt) {
            ts[nt].name = fr_slice_from_cstr(e->topic);
            ts[nt].partitions = FR_REQ_ARRAY(req, part_t, n);
            if (!ts[nt].partitions)
                return FR_ERR_NOMEM;
            nt++;
        }
        part_t *p = &ts[t].partitions[ts[t].partitions_count++];
        fill_partition(grp, ts[t].name, e->partition, FR_ERR_NONE, &p->partition_index, &p->committed_offset,
                       &p->committed_leader_epoch, &p->metadata, &p->error_code);
    }
    *out = ts;
    *nout = nt;
    return 0;
}

int fr_handle_offset_fetch(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_offset_fetch_request_t in;
    if (fr_offset_fetch_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_groups_t *g = &req->srv->groups;
    int16_t coordinator_err = (int16_t)fr_groups_coordinator_error(g);
    fr_offset_fetch_response_t out;
    fr_offset_fetch_response_init(&out);
    if (v >= 8) {
        out.groups = FR_REQ_ARRAY(req, fr_offset_fetch_response_offset_fetch_response_group_t, in.groups_count);
        if (!out.groups)
            return FR_ERR_NOMEM;
        out.groups_count = in.groups_count;
        for (int32_t i = 0; i < in.groups_count; i++) {
            out.groups[i].group_id = in.groups[i].group_id;
            out.groups[i].error_code = coordinator_err;
            if (coordinator_err)
                continue; /* the group's error alone, no topics */
            if (fetch_group(req, fr_groups_find(g, in.groups[i].group_id), in.groups[i].topics,
                            in.groups[i].topics_count, FR_ERR_NONE, &out.groups[i].topics,
                            &out.groups[i].topics_count))
                return FR_ERR_NOMEM;
        }
    } else {
        /* v0-7 topics have the same shape as v8's; convert after filling */
        int32_t nt = in.topics_count;
        fr_offset_fetch_request_offset_fetch_request_topics_t *req_topics = NULL;
        if (coordinator_err && v >= 2)
            nt = 0; /* the top-level error alone, no partitions */
        if (nt >= 0) {
            req_topics = FR_REQ_ARRAY(req, fr_offset_fetch_request_offset_fetch_request_topics_t, nt);
            if (!req_topics)
                return FR_ERR_NOMEM;
            for (int32_t i = 0; i < nt; i++) {
                req_topics[i].name = in.topics[i].name;
                req_topics[i].partition_indexes = in.topics[i].partition_indexes;
                req_topics[i].partition_indexes_count = in.topics[i].partition_indexes_count;
            }
        }
        topic_t *ts;
        int32_t n;
        if (fetch_group(req, coordinator_err ? NULL : fr_groups_find(g, in.group_id), req_topics, nt,
                        coordinator_err, &ts, &n))
            return FR_ERR_NOMEM;
        out.topics = FR_REQ_ARRAY(req, fr_offset_fetch_response_offset_fetch_response_topic_t, n);
        if (!out.topics)
            return FR_ERR_NOMEM;
        out.topics_count = n;
        for (int32_t i = 0; i < n; i++) {
            out.topics[i].name = ts[i].name;
            out.topics[i].partitions =
                FR_REQ_ARRAY(req, fr_offset_fetch_response_offset_fetch_response_partition_t, ts[i].partitions_count);
            if (!out.topics[i].partitions)
                return FR_ERR_NOMEM;
            out.topics[i].partitions_count = ts[i].partitions_count;
            for (int32_t j = 0; j < ts[i].partitions_count; j++) {
                part_t *s = &ts[i].partitions[j];
                fr_offset_fetch_response_offset_fetch_response_partition_t *d = &out.topics[i].partitions[j];
                d->partition_index = s->partition_index;
                d->committed_offset = s->committed_offset;
                d->committed_leader_epoch = s->committed_leader_epoch;
                d->metadata = s->metadata;
                d->error_code = s->error_code;
            }
        }
        out.error_code = coordinator_err;
    }
    fr_offset_fetch_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
