/*
 * CreateTopics: name rules, partition and replication checks, topic configs,
 * validate_only, and (v5+) the created topic's effective configs.
 *
 * Checks are made at once; the topics' files are made on a worker thread
 * (topic_build.c) while the request is parked.  The answer waits for them,
 * so a client that gets success can use the topic, up to the request's
 * timeout_ms: then the unfinished ones are answered REQUEST_TIMED_OUT and
 * are created all the same, as Kafka does.  A timeout_ms of 0 or less asks
 * not to wait: the answer comes at once, every topic that passed the checks
 * REQUEST_TIMED_OUT while its creation goes on, as Kafka's ZkAdminManager
 * answers it (librdkafka, asked not to wait, takes that for success; a
 * KRaft controller answers REQUEST_TIMED_OUT too).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "topic_config.h"
#include "topics.h"

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

/* Kafka's checks of a manual assignment, in its order (ReplicationControlManager.createTopic). */
static int check_assignments(fr_req_t *req, const fr_create_topics_request_creatable_topic_t *t, char *err,
                             size_t errlen) {
    if (t->replication_factor != -1) {
        snprintf(err, errlen, "A manual partition assignment was specified, but replication factor was not set to -1.");
        return FR_ERR_INVALID_REQUEST;
    }
    if (t->num_partitions != -1) {
        snprintf(err, errlen, "A manual partition assignment was specified, but numPartitions was not set to -1.");
        return FR_ERR_INVALID_REQUEST;
    }
    int32_t n = t->assignments_count;
    fr_slice_t *keys = FR_REQ_ARRAY(req, fr_slice_t, n); /* each partition index's bytes, as a name */
    if (!keys)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++)
        keys[i] = (fr_slice_t){(const uint8_t *)&t->assignments[i].partition_index, sizeof(int32_t)};
    uint8_t *marks = fr_req_mark_duplicate_names(req, keys, n, sizeof(*keys), 0, 0);
    if (!marks)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        const fr_create_topics_request_creatable_replica_assignment_t *a = &t->assignments[i];
        if (marks[i] == FR_NAME_REPEAT) {
            snprintf(err, errlen, "Found multiple manual partition assignments for partition %d", a->partition_index);
            return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        int rc = fr_req_check_replicas(a->broker_ids, a->broker_ids_count, req->srv->cfg->broker_id, err, errlen);
        if (rc)
            return rc;
    }
    for (int32_t i = 0; i < n; i++) /* n distinct indexes, so each within [0, n) makes 0..n-1 */
        if (t->assignments[i].partition_index < 0 || t->assignments[i].partition_index >= n) {
            snprintf(err, errlen, "partitions should be a consecutive 0-based integer sequence");
            return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    return 0;
}

/* The request's configs as overrides, each checked, then together;
 * INVALID_CONFIG names every null value, as Kafka's computeConfigChanges does. */
static int topic_overrides(const fr_broker_config_t *broker, const fr_create_topics_request_creatable_topic_t *t,
                           fr_props_t *out, char *err, size_t errlen) {
    size_t used = 0;
    for (int32_t i = 0; i < t->configs_count; i++) {
        const fr_create_topics_request_creatable_topic_config_t *c = &t->configs[i];
        if (!fr_slice_is_null(c->value))
            continue;
        const char *sep = used ? "," : "Null value not supported for topic configs: ";
        int w = snprintf(err + used, errlen - used, "%s%.*s", sep, (int)c->name.len, (const char *)c->name.ptr);
        used = w < 0 || (size_t)w >= errlen - used ? errlen - 1 : used + (size_t)w;
    }
    if (used)
        return FR_ERR_INVALID_CONFIG;
    for (int32_t i = 0; i < t->configs_count; i++) {
        const fr_create_topics_request_creatable_topic_config_t *c = &t->configs[i];
        char key[256], val[1024];
        snprintf(key, sizeof(key), "%.*s", (int)c->name.len, (const char *)c->name.ptr);
        snprintf(val, sizeof(val), "%.*s", (int)c->value.len, (const char *)c->value.ptr);
        if (fr_props_set(out, key, val))
            return FR_ERR_NOMEM;
        int rc = fr_topic_config_validate(key, val, err, errlen);
        if (rc)
            return rc;
    }
    return fr_topic_config_validate_set(broker, out, err, errlen);
}

/*
 * One topic, checked in Kafka's order (ReplicationControlManager.createTopics):
 * its name (rules, existence, '.'/'_' collisions), its configs, then a manual
 * assignment or the replication factor and the partition count.
 */
static int16_t create_one(fr_req_t *req, fr_create_topics_request_creatable_topic_t *t, int validate_only,
                          fr_create_topics_response_creatable_topic_result_t *r, fr_topic_build_t **build) {
    fr_server_t *srv = req->srv;
    char err[512] = "";
    int32_t nparts = t->num_partitions;
    int16_t rf = t->replication_factor;
    fr_props_t overrides;
    fr_props_init(&overrides);
    int rc;
    if (fr_slice_eq_cstr(t->name, "__cluster_metadata")) {
        snprintf(err, sizeof(err), "Creation of internal topic __cluster_metadata is prohibited.");
        rc = FR_ERR_INVALID_REQUEST;
    } else if (!(rc = fr_topics_check_name(&srv->topics, t->name, err, sizeof(err))) &&
               !(rc = topic_overrides(srv->cfg, t, &overrides, err, sizeof(err)))) {
        if (t->assignments_count > 0) {
            rc = check_assignments(req, t, err, sizeof(err));
            nparts = t->assignments_count;
            rf = 1;
        } else if (rf < -1 || rf == 0) {
            snprintf(err, sizeof(err), "Replication factor must be larger than 0, or -1 to use the default value.");
            rc = FR_ERR_INVALID_REPLICATION_FACTOR;
        } else if (nparts < -1 || nparts == 0) {
            snprintf(err, sizeof(err), "Number of partitions was set to an invalid non-positive value.");
            rc = FR_ERR_INVALID_PARTITIONS;
        } else {
            nparts = nparts == -1 ? srv->cfg->num_partitions : nparts;
            rf = rf == -1 ? srv->cfg->default_replication_factor : rf;
            if (rf > 1) {
                snprintf(err, sizeof(err), "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only 1 broker(s) are registered.", rf, rf);
                rc = FR_ERR_INVALID_REPLICATION_FACTOR;
            }
        }
    }
    fr_topic_t *topic = NULL;
    if (!rc)
        rc = fr_topics_create_begin(&srv->topics, t->name, nparts, &overrides, validate_only, &topic, err,
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
    else
        fr_topic_id_random(r->topic_id); /* validate_only: Kafka makes one all the same */
    rc = fill_configs(req, r, &overrides);
    fr_props_free(&overrides);
    if (topic && !(*build = fr_topic_build_start(srv, topic)))
        return FR_ERR_UNKNOWN_SERVER_ERROR; /* out of memory: the topic was dropped */
    return rc ? FR_ERR_UNKNOWN_SERVER_ERROR : FR_ERR_NONE;
}

/*
 * Kafka's controller writes a record per new topic, per config and per
 * partition, and refuses a request that would write more than 10000 of them
 * (QuorumController.MAX_RECORDS_PER_USER_OP), validate_only included: the
 * whole request fails.  Counted over the topics that would be created, each
 * checked as create_one checks it, with nothing made; that second check is
 * only needed when the request could be that large at all.
 */
#define MAX_RECORDS_PER_REQUEST 10000

static int too_many_records(fr_req_t *req, fr_create_topics_request_t *in, const uint8_t *dups) {
    int64_t bound = 0;
    for (int32_t i = 0; i < in->topics_count; i++) {
        const fr_create_topics_request_creatable_topic_t *t = &in->topics[i];
        int32_t parts = t->num_partitions == -1 ? req->srv->cfg->num_partitions : t->num_partitions;
        if (t->assignments_count > 0)
            parts = t->assignments_count;
        bound += 1 + (int64_t)(t->configs_count > 0 ? t->configs_count : 0) + (parts > 0 ? parts : 0);
    }
    if (bound <= MAX_RECORDS_PER_REQUEST)
        return 0;
    int64_t records = 0;
    for (int32_t i = 0; i < in->topics_count && records <= MAX_RECORDS_PER_REQUEST; i++) {
        if (dups[i] != FR_NAME_UNIQUE)
            continue;
        fr_create_topics_response_creatable_topic_result_t r = {0};
        fr_topic_build_t *none = NULL;
        if (create_one(req, &in->topics[i], 1, &r, &none) == FR_ERR_NONE)
            records += 1 + (int64_t)in->topics[i].configs_count + r.num_partitions;
    }
    return records > MAX_RECORDS_PER_REQUEST;
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
        msg = st->no_wait ? "Not waiting for the topic's creation (timeout_ms <= 0); it goes on."
                          : "Timed out waiting for the topic's creation; it goes on.";
    r->error_code = fr_err_to_kafka(rc);
    r->error_message = fr_req_msg(req, msg ? msg : fr_err_str(rc));
    r->num_partitions = -1;
    r->replication_factor = -1;
    r->configs_count = 0;
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
    uint8_t *dups = fr_req_mark_duplicate_names(req, in.topics, in.topics_count, sizeof(*in.topics),
                                                offsetof(fr_create_topics_request_creatable_topic_t, name), 0);
    if (!dups)
        return FR_ERR_NOMEM;
    int too_large = too_many_records(req, &in, dups);
    for (int32_t i = 0; i < in.topics_count; i++) {
        if (dups[i] == FR_NAME_REPEAT)
            continue; /* one answer per name, as Kafka keys its results by name */
        int32_t k = out->topics_count;
        fr_create_topics_response_creatable_topic_result_t *r = &out->topics[k];
        r->name = in.topics[i].name;
        r->error_message = FR_SLICE_NULL;
        r->num_partitions = -1;
        r->replication_factor = -1;
        r->configs = NULL;
        r->configs_count = 0; /* Kafka's failed results carry an empty list */
        st->builds[k] = NULL;
        out->topics_count = k + 1; /* the cleanup releases the builds started so far */
        if (too_large) {
            r->error_code = FR_ERR_POLICY_VIOLATION;
            r->error_message = fr_req_msg(req, "Unable to perform excessively large batch operation.");
            continue;
        }
        if (dups[i] == FR_NAME_KEPT) {
            r->error_code = FR_ERR_INVALID_REQUEST;
            r->error_message = fr_req_msg(req, "Duplicate topic name.");
            continue;
        }
        r->error_code = create_one(req, &in.topics[i], in.validate_only, r, &st->builds[k]);
        if (r->error_code)
            r->configs_count = 0;
    }
    req->retry = create_topics_retry;
    st->no_wait = in.timeout_ms <= 0;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->no_wait ? 0 : in.timeout_ms);
    return create_topics_retry(req, 0);
}
