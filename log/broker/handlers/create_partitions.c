/*
 * CreatePartitions: grows a topic; partitions are never removed.
 *
 * Checks are made at once; the new partitions' files are made on a worker
 * thread (topic_build.c) while the request is parked, up to its timeout_ms
 * (then REQUEST_TIMED_OUT, and the partitions are added all the same, as
 * Kafka does; 0 or less answers at once, REQUEST_TIMED_OUT while they are
 * added, as Kafka's ZkAdminManager does).  A second request for the
 * same topic is checked against the count the first one asked for.  A
 * named topic still being created (a CreateTopics answered before its files
 * were made, as with timeout_ms <= 0) is waited for first, whatever the
 * timeout: Kafka's ZkAdminManager has written such a topic before it
 * answers, so a request right after finds it.
 *
 * As in Kafka (ControllerApis.createPartitions, ReplicationControlManager):
 * a name given twice is answered once, INVALID_REQUEST, and grows nothing;
 * an unknown topic gets no message; a manual assignment must list one
 * replica set per new partition, each checked as CreateTopics checks one.
 */
#include <stddef.h>
#include <stdio.h>

#include "handlers.h"
#include "topics.h"

/* Kafka's checks of the new partitions' manual assignments. */
static int check_assignments(fr_req_t *req, const fr_topic_t *topic,
                             const fr_create_partitions_request_create_partitions_topic_t *t, char *err,
                             size_t errlen) {
    if (t->assignments_count < 0)
        return 0; /* null: placed by the broker */
    int32_t additional = t->count - (topic->growths ? topic->growing_to : topic->num_partitions);
    if (t->assignments_count != additional) {
        snprintf(err, errlen, "Attempted to add %d additional partition(s), but only %d assignment(s) were specified.",
                 additional, t->assignments_count);
        return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int32_t i = 0; i < t->assignments_count; i++) {
        int rc = fr_req_check_replicas(t->assignments[i].broker_ids, t->assignments[i].broker_ids_count,
                                       req->srv->cfg->broker_id, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct create_partitions_state {
    fr_create_partitions_request_t in;
    fr_create_partitions_response_t out;
    fr_topic_build_t **builds; /* per topic, NULL when nothing is built (errors, validate_only) */
    int no_wait;
    uint64_t deadline_ms;      /* the request's own, kept while it waits for a creation */
} create_partitions_state_t;

static void fail_one(void *ctx, int32_t i, int rc, const char *msg) {
    fr_req_t *req = ctx;
    create_partitions_state_t *st = req->state;
    if (rc == FR_ERR_REQUEST_TIMED_OUT)
        msg = st->no_wait ? "Not waiting for the new partitions (timeout_ms <= 0); they are being added."
                          : "Timed out waiting for the new partitions; they are still being added.";
    st->out.results[i].error_code = fr_err_to_kafka(rc);
    st->out.results[i].error_message = fr_req_msg(req, msg ? msg : fr_err_str(rc));
}

static void create_partitions_cleanup(fr_req_t *req) {
    create_partitions_state_t *st = req->state;
    fr_topic_builds_release(st->builds, st->out.results_count);
}

static int create_partitions_retry(fr_req_t *req, int timed_out) {
    create_partitions_state_t *st = req->state;
    if (!fr_topic_builds_collect(st->builds, st->out.results_count, timed_out, st->no_wait, fail_one, req))
        return FR_REQ_PARKED;
    fr_create_partitions_response_write(req->resp, req->hdr.api_version, &st->out);
    return FR_REQ_DONE;
}

/* True while a topic the request names is still being created. */
static int creation_pending(fr_req_t *req, const fr_create_partitions_request_t *in) {
    for (int32_t i = 0; i < in->topics_count; i++)
        if (!fr_topics_find(&req->srv->topics, in->topics[i].name) &&
            fr_topics_pending(&req->srv->topics, in->topics[i].name))
            return 1;
    return 0;
}

static int create_partitions_start(fr_req_t *req);

static int create_partitions_wait(fr_req_t *req, int timed_out) {
    (void)timed_out; /* no deadline while waiting: a creation always ends, and its build wakes us */
    if (creation_pending(req, &((create_partitions_state_t *)req->state)->in))
        return FR_REQ_PARKED;
    return create_partitions_start(req);
}

int fr_handle_create_partitions(fr_req_t *req) {
    create_partitions_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_create_partitions_request_read(&req->body, req->hdr.api_version, req->arena, &st->in))
        return FR_ERR_PARSE;
    fr_create_partitions_response_init(&st->out);
    st->out.results =
        FR_REQ_ARRAY(req, fr_create_partitions_response_create_partitions_topic_result_t, st->in.topics_count);
    st->builds = FR_REQ_ARRAY(req, fr_topic_build_t *, st->in.topics_count);
    if (!st->out.results || !st->builds)
        return FR_ERR_NOMEM;
    req->state = st;
    req->cleanup = create_partitions_cleanup;
    st->no_wait = st->in.timeout_ms <= 0;
    st->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->no_wait ? 0 : st->in.timeout_ms);
    if (creation_pending(req, &st->in)) {
        req->retry = create_partitions_wait;
        req->deadline_ms = UINT64_MAX;
        return FR_REQ_PARKED;
    }
    return create_partitions_start(req);
}

/* Checks each topic and starts its growth; then waits for them as the request asks. */
static int create_partitions_start(fr_req_t *req) {
    create_partitions_state_t *st = req->state;
    fr_create_partitions_request_t in = st->in;
    fr_server_t *srv = req->srv;
    size_t name_off = offsetof(fr_create_partitions_request_create_partitions_topic_t, name);
    uint8_t *dups = fr_req_mark_duplicate_names(req, in.topics, in.topics_count, sizeof(*in.topics), name_off, 0);
    if (!dups)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < in.topics_count; i++) {
        if (dups[i] == FR_NAME_REPEAT)
            continue;
        fr_create_partitions_request_create_partitions_topic_t *t = &in.topics[i];
        int32_t k = st->out.results_count;
        fr_create_partitions_response_create_partitions_topic_result_t *r = &st->out.results[k];
        r->name = t->name;
        r->error_message = FR_SLICE_NULL;
        st->builds[k] = NULL;
        st->out.results_count = k + 1; /* the cleanup releases the builds started so far */
        if (dups[i] == FR_NAME_KEPT) {
            r->error_code = FR_ERR_INVALID_REQUEST;
            r->error_message = fr_req_msg(req, "Duplicate topic name.");
            continue;
        }
        fr_topic_t *topic = fr_topics_find(&srv->topics, t->name);
        if (!topic) {
            r->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        char err[300] = "";
        fr_topic_growth_t *growth = NULL;
        int rc = fr_topics_grow_check(topic, t->count, err, sizeof(err));
        if (!rc)
            rc = check_assignments(req, topic, t, err, sizeof(err));
        if (!rc)
            rc = fr_topics_grow_begin(topic, t->count, in.validate_only, &growth, err, sizeof(err));
        if (!rc && growth && !(st->builds[k] = fr_topic_grow_start(srv, growth)))
            rc = FR_ERR_NOMEM;
        r->error_code = fr_err_to_kafka(rc);
        if (rc)
            r->error_message = fr_req_msg(req, err[0] ? err : fr_err_str(rc));
    }
    req->retry = create_partitions_retry;
    req->deadline_ms = st->deadline_ms;
    return create_partitions_retry(req, 0);
}
