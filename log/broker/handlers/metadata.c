/*
 * Metadata: the one broker, and topics with their partitions.  Unknown topics
 * are created here when auto.create.topics.enable and the client allow it,
 * as Kafka does: their files are made off the loop (topic_build.c), and
 * until they are published the topic is answered LEADER_NOT_AVAILABLE, which
 * clients retry.  __consumer_offsets and __transaction_state are made in the
 * shape Kafka gives them (internal_topics.h), not with num.partitions.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "internal_topics.h"

static int fill_topic(fr_req_t *req, fr_metadata_response_metadata_response_topic_t *t, fr_topic_t *topic,
                      int32_t authorized_operations) {
    int32_t id = req->srv->cfg->broker_id;
    t->error_code = FR_ERR_NONE;
    t->name = fr_slice_from_cstr(topic->name);
    memcpy(t->topic_id, topic->id, 16);
    t->is_internal = fr_topic_is_internal(t->name);
    t->topic_authorized_operations = authorized_operations;
    t->partitions = FR_REQ_ARRAY(req, fr_metadata_response_metadata_response_partition_t, topic->num_partitions);
    int32_t *node = FR_REQ_ARRAY(req, int32_t, 1);
    if (!t->partitions || !node)
        return FR_ERR_NOMEM;
    *node = id;
    t->partitions_count = topic->num_partitions;
    for (int32_t i = 0; i < topic->num_partitions; i++) {
        fr_metadata_response_metadata_response_partition_t *p = &t->partitions[i];
        p->error_code = FR_ERR_NONE;
        p->partition_index = i;
        p->leader_id = id;
        p->leader_epoch = FR_LEADER_EPOCH;
        p->replica_nodes = node;
        p->replica_nodes_count = 1;
        p->isr_nodes = node;
        p->isr_nodes_count = 1;
        p->offline_replicas = NULL;
        p->offline_replicas_count = 0;
    }
    return 0;
}

static int has_topic_id(const fr_metadata_request_metadata_request_topic_t *t) {
    static const uint8_t zero_id[16];
    return memcmp(t->topic_id, zero_id, 16) != 0;
}

/* v10 and v11 carry a topic id and a nullable name, but Kafka looks topics up
 * by id only from v12: a topic asked for there by id, or with no name, fails
 * the whole request. */
static int asks_by_id_before_v12(const fr_metadata_request_t *in, int16_t v) {
    if (v >= 12)
        return 0;
    for (int32_t i = 0; i < in->topics_count; i++)
        if (fr_slice_is_null(in->topics[i].name) || has_topic_id(&in->topics[i]))
            return 1;
    return 0;
}

/* Kafka's answer to a request it refuses as a whole (MetadataRequest's error
 * response): no brokers, and every topic asked for, repeats included, echoed
 * with INVALID_REQUEST, a null name as "". */
static int answer_invalid_request(fr_req_t *req, int16_t v, const fr_metadata_request_t *in) {
    fr_metadata_response_t out;
    fr_metadata_response_init(&out);
    out.topics = FR_REQ_ARRAY(req, fr_metadata_response_metadata_response_topic_t, in->topics_count);
    if (!out.topics)
        return FR_ERR_NOMEM;
    out.topics_count = in->topics_count;
    for (int32_t i = 0; i < in->topics_count; i++) {
        fr_metadata_response_metadata_response_topic_t *t = &out.topics[i]; /* zeroed by the arena */
        t->error_code = FR_ERR_INVALID_REQUEST;
        t->name = fr_slice_is_null(in->topics[i].name) ? fr_slice_from_cstr("") : in->topics[i].name;
        memcpy(t->topic_id, in->topics[i].topic_id, 16);
        t->topic_authorized_operations = INT32_MIN;
    }
    fr_metadata_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}

int fr_handle_metadata(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_metadata_request_t in;
    if (fr_metadata_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    if (asks_by_id_before_v12(&in, v))
        return answer_invalid_request(req, v, &in);
    fr_server_t *srv = req->srv;
    fr_metadata_response_t out;
    fr_metadata_response_init(&out);

    out.brokers = FR_REQ_ARRAY(req, fr_metadata_response_metadata_response_broker_t, 1);
    if (!out.brokers)
        return FR_ERR_NOMEM;
    out.brokers_count = 1;
    out.brokers[0].node_id = srv->cfg->broker_id;
    const fr_listener_t *adv = fr_req_advertised(req);
    out.brokers[0].host = fr_slice_from_cstr(adv->host);
    out.brokers[0].port = adv->port;
    out.brokers[0].rack = FR_SLICE_NULL;
    out.cluster_id = fr_slice_from_cstr(srv->topics.cluster_id);
    out.controller_id = srv->cfg->broker_id;
    out.cluster_authorized_operations = FR_ACL_OPS_IF(in.include_cluster_authorized_operations, FR_ACL_OPS_CLUSTER);
    int32_t topic_ops = FR_ACL_OPS_IF(in.include_topic_authorized_operations, FR_ACL_OPS_TOPIC);

    /* v0: an empty list means all topics; v1+: null means all, empty means none. */
    int all = in.topics_count < 0 || (v == 0 && in.topics_count == 0);
    if (all) {
        out.topics = FR_REQ_ARRAY(req, fr_metadata_response_metadata_response_topic_t, srv->topics.count);
        if (!out.topics)
            return FR_ERR_NOMEM;
        out.topics_count = (int32_t)srv->topics.count;
        for (size_t i = 0; i < srv->topics.count; i++)
            if (fill_topic(req, &out.topics[i], srv->topics.items[i], topic_ops))
                return FR_ERR_NOMEM;
    } else {
        out.topics = FR_REQ_ARRAY(req, fr_metadata_response_metadata_response_topic_t, in.topics_count);
        if (!out.topics)
            return FR_ERR_NOMEM;
        /* Kafka answers each topic once (a set of the names asked for) */
        uint8_t *dups = fr_req_mark_duplicate_names(req, in.topics, in.topics_count, sizeof(*in.topics),
                                                    offsetof(fr_metadata_request_metadata_request_topic_t, name), 0);
        if (!dups)
            return FR_ERR_NOMEM;
        /* v12: once any topic is asked for by id, Kafka looks up the ids only (useTopicId) */
        int by_ids = 0;
        for (int32_t i = 0; i < in.topics_count && !by_ids; i++)
            by_ids = has_topic_id(&in.topics[i]);
        for (int32_t i = 0; i < in.topics_count; i++) {
            if (by_ids ? !has_topic_id(&in.topics[i])
                       : dups[i] == FR_NAME_REPEAT && !fr_slice_is_null(in.topics[i].name))
                continue;
            fr_metadata_response_metadata_response_topic_t *t = &out.topics[out.topics_count++];
            fr_slice_t name = by_ids ? FR_SLICE_NULL : in.topics[i].name;
            t->name = name;
            t->partitions_count = 0;
            /* Kafka answers a name it has no topic for with its internal flag and, when asked,
             * the operations an authorizer-less broker allows; an unknown id with neither */
            t->is_internal = !fr_slice_is_null(name) && fr_topic_is_internal(name);
            t->topic_authorized_operations = fr_slice_is_null(name) ? INT32_MIN : topic_ops;
            fr_topic_t *topic = NULL;
            if (fr_slice_is_null(name)) {
                topic = fr_topics_find_id(&srv->topics, in.topics[i].topic_id); /* by id (v10+) */
                if (!topic) {
                    t->error_code = FR_ERR_UNKNOWN_TOPIC_ID;
                    memcpy(t->topic_id, in.topics[i].topic_id, 16);
                    continue;
                }
            } else {
                topic = fr_topics_find(&srv->topics, name);
            }
            if (!topic) {
                char err[300];
                int rc = fr_topic_name_validate(name, err, sizeof(err));
                if (rc) {
                    t->error_code = (int16_t)rc;
                    continue;
                }
                if (fr_topics_pending(&srv->topics, name)) {
                    t->error_code = FR_ERR_LEADER_NOT_AVAILABLE; /* being created: the client asks again */
                    continue;
                }
                if (!srv->cfg->auto_create_topics_enable || !in.allow_auto_topic_creation) {
                    t->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                    continue;
                }
                /* an internal topic gets its own partition count and configs, as Kafka makes it */
                fr_props_t shape;
                int32_t nparts;
                fr_props_init(&shape);
                rc = fr_internal_topic_shape(srv->cfg, name, &shape, &nparts);
                if (!rc)
                    rc = fr_topics_create_begin(&srv->topics, name, nparts, &shape, 0, &topic, err, sizeof(err));
                fr_props_free(&shape);
                if (rc) {
                    t->error_code = fr_err_to_kafka(rc);
                    continue;
                }
                /* Made off the loop; until then the topic is answered as Kafka answers a topic it has just
                 * auto-created. */
                fr_topic_build_release(fr_topic_build_start(srv, topic));
                t->error_code = FR_ERR_LEADER_NOT_AVAILABLE;
                continue;
            }
            if (fill_topic(req, t, topic, topic_ops))
                return FR_ERR_NOMEM;
        }
    }
    fr_metadata_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
