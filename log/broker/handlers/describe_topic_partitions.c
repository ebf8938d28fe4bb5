/*
 * DescribeTopicPartitions: topics and their partitions, a page at a time, as
 * a Kafka KRaft broker answers it (DescribeTopicPartitionsRequestHandler and
 * KRaftMetadataCache.getTopicMetadataForDescribeTopicResponse).
 *
 * Topics come sorted by name, each once; an empty list means every topic.  A
 * cursor (topic, partition) says where to start; the page holds at most
 * min(ResponsePartitionLimit, 2000) partitions, at least one, and ends with
 * the cursor to ask from next.  A named topic that does not exist is answered
 * with its error (not when every topic is asked for).  A cursor outside the
 * topics asked for, or with a negative partition, makes the whole request
 * INVALID_REQUEST.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

/* Kafka's max.request.partition.size.limit default; the broker key is not read. */
#define MAX_PARTITIONS_PER_RESPONSE 2000

typedef fr_describe_topic_partitions_response_describe_topic_partitions_response_topic_t topic_out_t;
typedef fr_describe_topic_partitions_response_describe_topic_partitions_response_partition_t partition_out_t;

/* Byte order: Java's String.compareTo for the ASCII names topics have. */
static int cmp_names(const void *a, const void *b) {
    return fr_slice_cmp(*(const fr_slice_t *)a, *(const fr_slice_t *)b);
}

/* DescribeTopicPartitionsRequest.getErrorResponse: each topic asked for, repeats too. */
static int answer_invalid_request(fr_req_t *req, const fr_describe_topic_partitions_request_t *in) {
    fr_describe_topic_partitions_response_t out;
    fr_describe_topic_partitions_response_init(&out);
    int32_t n = in->topics_count > 0 ? in->topics_count : 0;
    out.topics = FR_REQ_ARRAY(req, topic_out_t, n);
    if (n && !out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = n;
    for (int32_t i = 0; i < n; i++) {
        fr_describe_topic_partitions_response_describe_topic_partitions_response_topic_init(&out.topics[i]);
        out.topics[i].error_code = FR_ERR_INVALID_REQUEST;
        out.topics[i].name = in->topics[i].name;
    }
    fr_describe_topic_partitions_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}

/* The names to describe, sorted, each once, from the cursor's topic on; NULL on no memory. */
static fr_slice_t *names_to_describe(fr_req_t *req, const fr_describe_topic_partitions_request_t *in, int all,
                                     fr_slice_t from, int32_t *count) {
    const fr_topics_t *topics = &req->srv->topics;
    int32_t cap = all ? (int32_t)topics->count : in->topics_count;
    fr_slice_t *names = FR_REQ_ARRAY(req, fr_slice_t, cap > 0 ? cap : 1);
    if (!names)
        return NULL;
    int32_t n = 0;
    if (all) { /* the topics are kept sorted by name already */
        for (size_t i = 0; i < topics->count; i++) {
            fr_slice_t name = fr_slice_from_cstr(topics->items[i]->name);
            if (fr_slice_cmp(name, from) >= 0)
                names[n++] = name;
        }
        *count = n;
        return names;
    }
    uint8_t *dups = fr_req_mark_duplicate_names(req, in->topics, in->topics_count, sizeof(*in->topics),
                                                offsetof(fr_describe_topic_partitions_request_topic_request_t, name),
                                                0);
    if (!dups)
        return NULL;
    for (int32_t i = 0; i < in->topics_count; i++)
        if (dups[i] != FR_NAME_REPEAT && fr_slice_cmp(in->topics[i].name, from) >= 0)
            names[n++] = in->topics[i].name;
    qsort(names, (size_t)n, sizeof(*names), cmp_names);
    *count = n;
    return names;
}

static int fill_partitions(fr_req_t *req, topic_out_t *t, const fr_topic_t *topic, int32_t start, int32_t max,
                           int32_t *next) {
    int32_t upper = topic->num_partitions;
    if ((int64_t)start + max < upper)
        upper = start + max;
    *next = upper < topic->num_partitions ? upper : -1;
    int32_t n = upper > start ? upper - start : 0;
    int32_t *node = FR_REQ_ARRAY(req, int32_t, 1);
    t->partitions = FR_REQ_ARRAY(req, partition_out_t, n > 0 ? n : 1);
    if (!node || !t->partitions)
        return FR_ERR_NOMEM;
    *node = req->srv->cfg->broker_id;
    t->partitions_count = n;
    for (int32_t i = 0; i < n; i++) {
        partition_out_t *p = &t->partitions[i];
        fr_describe_topic_partitions_response_describe_topic_partitions_response_partition_init(p);
        p->partition_index = start + i;
        p->leader_id = *node;
        p->leader_epoch = FR_LEADER_EPOCH;
        p->replica_nodes = p->isr_nodes = node;
        p->replica_nodes_count = p->isr_nodes_count = 1;
        /* a KRaft partition's ELR lists are empty, not null, when it has none */
        p->eligible_leader_replicas_count = p->last_known_elr_count = 0;
        p->offline_replicas_count = 0;
    }
    return 0;
}

int fr_handle_describe_topic_partitions(fr_req_t *req) {
    fr_describe_topic_partitions_request_t in;
    if (fr_describe_topic_partitions_request_read(&req->body, req->hdr.api_version, req->arena, &in))
        return FR_ERR_PARSE;
    int all = in.topics_count <= 0;
    fr_slice_t from = in.cursor_null ? fr_slice_from_cstr("") : in.cursor.topic_name;
    int32_t nnames = 0;
    fr_slice_t *names = names_to_describe(req, &in, all, from, &nnames);
    if (!names)
        return FR_ERR_NOMEM;
    if (!in.cursor_null) {
        int found = all; /* the cursor's topic must be among those named */
        for (int32_t i = 0; i < nnames && !found; i++)
            found = fr_slice_cmp(names[i], from) == 0;
        if (!found || in.cursor.partition_index < 0)
            return answer_invalid_request(req, &in);
    }
    int32_t remaining = in.response_partition_limit < MAX_PARTITIONS_PER_RESPONSE ? in.response_partition_limit
                                                                                  : MAX_PARTITIONS_PER_RESPONSE;
    if (remaining < 1)
        remaining = 1;

    fr_describe_topic_partitions_response_t out;
    fr_describe_topic_partitions_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, topic_out_t, nnames > 0 ? nnames : 1);
    if (!out.topics)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < nnames; i++) {
        if (remaining == 0) { /* the page is full: the next one starts at this topic */
            out.next_cursor_null = false;
            out.next_cursor.topic_name = names[i];
            out.next_cursor.partition_index = 0;
            break;
        }
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, names[i]);
        topic_out_t *t = &out.topics[out.topics_count];
        fr_describe_topic_partitions_response_describe_topic_partitions_response_topic_init(t);
        t->name = names[i];
        t->is_internal = fr_topic_is_internal(names[i]);
        t->topic_authorized_operations = FR_ACL_OPS_TOPIC; /* no authorizer: every operation */
        if (!topic) {
            if (all)
                continue;
            char why[300];
            int rc = fr_topic_name_validate(names[i], why, sizeof(why));
            t->error_code = rc ? (int16_t)rc : FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            out.topics_count++;
            continue;
        }
        memcpy(t->topic_id, topic->id, 16);
        int32_t start = fr_slice_cmp(names[i], from) == 0 && !in.cursor_null ? in.cursor.partition_index : 0, next;
        if (fill_partitions(req, t, topic, start, remaining, &next))
            return FR_ERR_NOMEM;
        out.topics_count++;
        if (next != -1) {
            out.next_cursor_null = false;
            out.next_cursor.topic_name = names[i];
            out.next_cursor.partition_index = next;
            break;
        }
        remaining -= t->partitions_count;
    }
    fr_describe_topic_partitions_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}
