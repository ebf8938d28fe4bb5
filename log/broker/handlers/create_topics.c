/*
 * CreateTopics: name rules, partition and replication checks, topic configs,
 * validate_only, and (v5+) the created topic's effective configs.
 *
 * Checks are made at once; the topics' files are made on a worker thread
 * (topic_build.c) while the request is parked.  The answer waits for them,
 * so a client that gets success can use the topic, up to the request's
 * timeout_ms: then the unfinished ones are answered REQUEST_TIMED_OUT and
 * are created all the same, as Kafka does.  A timeout_ms of 0 or less asks
 * not to wait: the checks' outcome is the answer, the creation goes on.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "topic_config.h"

/* The effective configs of a topic, as v5+ responses carry them. */
static int fill_configs(fr_req_t *req, fr_create_topics_response_creatable_topic_result_t *r,
                        const fr_props_t *overrides) {
    size_t n;
    const fr_topic_config_def_t *defs = fr_topic_config_defs(&n);
    r->configs = FR_REQ_ARRAY(req, fr_create_topics_response_creatable_topic_configs_t, n);
    if (!r->configs)
        return FR_ERR_NOMEM;
    r->configs_count = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        int source;
        const char *val = fr_topic_config_value(&defs[i], overrides, req->srv->cfg, &source, buf, sizeof(buf));
        fr_create_topics_response_creatable_topic_configs_t *c = &r->configs[i];
        c->name = fr_slice_from_cstr(defs[i].name);
        c->value = val ? fr_req_msg(req, val) : FR_SLICE_NULL;
        c->read_only = 0;
        c->config_source = (int8_t)source;
        c->is_sensitive = 0;
    }
    return 0;
}

static int16_t create_one(fr_req_t *req, fr_create_topics_request_creatable_topic_t *t, int validate_only,
                          fr_create_topics_response_creatable_topic_result_t *r, int duplicate,
                          fr_topic_build_t **build) {
    fr_server_t *srv = req->srv;
    char err[512] = "";
    int32_t nparts = t->num_partitions;
    int16_t rf = t->replication_factor;
    if (duplicate) {
        snprintf(err, sizeof(err), "Create topics request from client `%.*s` contains multiple entries for the following topics: %.*s",
                 req->hdr.client_id.len > 0 ? (int)req->hdr.client_id.len : 0,
                 req->hdr.client_id.len > 0 ? (const char *)req->hdr.client_id.ptr : "", (int)t->name.len,
                 (const char *)t->name.ptr);
        r->error_message = fr_req_msg(req, err);
        return FR_ERR_INVALID_REQUEST;
    }
    if (t->assignments_count > 0) {
        if (nparts != -1 || rf != -1) {
            r->error_message = fr_req_msg(req, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
            return FR_ERR_INVALID_REQUEST;
        }
        nparts = t->assignments_count;
        for (int32_t i = 0; i < t->assignments_count; i++) {
            fr_create_topics_request_creatable_replica_assignment_t *a = &t->assignments[i];
            if (a->partition_index != i || a->broker_ids_count != 1 || a->broker_ids[0] != srv->cfg->broker_id) {
                r->error_message = fr_req_msg(req, "Replica assignment must place every partition on this broker, once, with partitions numbered from 0.");
                return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
        rf = 1;
    }
    if (nparts == -1)
        nparts = srv->cfg->num_partitions;
    if (rf == -1)
        rf = srv->cfg->default_replication_factor;
    if (rf <= 0) {
        r->error_message = fr_req_msg(req, "Replication factor must be larger than 0, or -1 to use the default value.");
        return FR_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (rf > 1) {
        snprintf(err, sizeof(err), "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only 1 broker(s) are registered.", rf, rf);
        r->error_message = fr_req_msg(req, err);
        return FR_ERR_INVALID_REPLICATION_FACTOR;
    }
    fr_props_t overrides;
    fr_props_init(&overrides);
    for (int32_t i = 0; i < t->configs_count; i++) {
        fr_create_topics_request_creatable_topic_config_t *c = &t->configs[i];
        if (fr_slice_is_null(c->value))
            continue;
        char key[256], val[1024];
        snprintf(key, sizeof(key), "%.*s", (int)c->name.len, (const char *)c->name.ptr);
        snprintf(val, sizeof(val), "%.*s", (int)c->value.len, (const char *)c->value.ptr);
        if (fr_props_set(&overrides, key, val)) {
            fr_props_free(&overrides);
            return FR_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    fr_topic_t *topic = NULL;
    int rc = fr_topics_create_begin(&srv->topics, t->name, nparts, &overrides, validate_only, &topic, err,
                                    sizeof(err));
    if (rc) {
        fr_props_free(&overrides);
        r->error_message = fr_req_msg(req, err[0] ? err : fr_err_str(rc));
        return fr_err_to_kafka(rc);
    }
    r->num_partitions = nparts;
    r->replication_factor = rf;
    if (topic)
        memcpy(r->topic_id, topic->id, 16);
    rc = fill_configs(req, r, &overrides);
    fr_props_free(&overrides);
    if (topic && !(*build = fr_topic_build_start(srv, topic)))
        return FR_ERR_UNKNOWN_SERVER_ERROR; /* out of memory: the topic was dropped */
    return rc ? FR_ERR_UNKNOWN_SERVER_ERROR : FR_ERR_NONE;
}

typedef struct create_topics_state {
    fr_create_topics_response_t out;
    fr_topic_build_t **builds; /* per topic, NULL when nothing is built (errors, validate_only) */
    int no_wait;               /* timeout_ms <= 0: answer without waiting for the builds */
} create_topics_state_t;

static void fail_one(void *ctx, int32_t i, int rc, const char *msg) {
    fr_req_t *req = ctx;
    create_topics_state_t *st = req->state;
    fr_create_topics_response_creatable_topic_result_t *r = &st->out.topics[i];
    if (rc == FR_ERR_REQUEST_TIMED_OUT)
        msg = "Timed out waiting for the topic's creation; it goes on.";
    r->error_code = fr_err_to_kafka(rc);
    r->error_message = fr_req_msg(req, msg ? msg : fr_err_str(rc));
    r->num_partitions = -1;
    r->replication_factor = -1;
    r->configs_count = -1;
}

static void create_topics_cleanup(fr_req_t *req) {
    create_topics_state_t *st = req->state;
    fr_topic_builds_release(st->builds, st->out.topics_count);
}

static int create_topics_retry(fr_req_t *req, int timed_out) {
    create_topics_state_t *st = req->state;
    if (!fr_topic_builds_collect(st->builds, st->out.topics_count, timed_out, st->no_wait, fail_one, req))
        return FR_REQ_PARKED;
    fr_create_topics_response_write(req->resp, req->hdr.api_version, &st->out);
    return FR_REQ_DONE;
}

int fr_handle_create_topics(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_create_topics_request_t in;
    if (fr_create_topics_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    create_topics_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    fr_create_topics_response_t *out = &st->out;
    fr_create_topics_response_init(out);
    out->topics = FR_REQ_ARRAY(req, fr_create_topics_response_creatable_topic_result_t, in.topics_count);
    st->builds = FR_REQ_ARRAY(req, fr_topic_build_t *, in.topics_count);
    if (!out->topics || !st->builds)
        return FR_ERR_NOMEM;
    req->state = st;
    req->cleanup = create_topics_cleanup;
    for (int32_t i = 0; i < in.topics_count; i++) {
        fr_create_topics_response_creatable_topic_result_t *r = &out->topics[i];
        r->name = in.topics[i].name;
        r->error_message = FR_SLICE_NULL;
        r->num_partitions = -1;
        r->replication_factor = -1;
        r->configs = NULL;
        r->configs_count = -1;
        st->builds[i] = NULL;
        out->topics_count = i + 1; /* the cleanup releases the builds started so far */
        int duplicate = 0;
        for (int32_t j = 0; j < in.topics_count; j++)
            if (j != i && in.topics[j].name.len == in.topics[i].name.len &&
                memcmp(in.topics[j].name.ptr, in.topics[i].name.ptr, (size_t)in.topics[i].name.len) == 0)
                duplicate = 1;
        r->error_code = create_one(req, &in.topics[i], in.validate_only, r, duplicate, &st->builds[i]);
        if (r->error_code)
            r->configs_count = -1;
    }
    req->retry = create_topics_retry;
    st->no_wait = in.timeout_ms <= 0;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->no_wait ? 0 : in.timeout_ms);
    return create_topics_retry(req, 0);
}
