/*
 * freshet topics --describe: one header line per topic (with the Configs
 * column from DescribeConfigs) and one line per partition, as Kafka 3.x's
 * TopicCommand prints them; the report filters (--under-replicated-partitions
 * and the like) and --topics-with-overrides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_topics.h"
#include "fr_logging.h"
#include "fr_messages.h"
#include "tool_wire.h"
#include "topics.h"

#define COMPONENT "topics"

/* ---- --describe ---- */

/* One topic's configs from DescribeConfigs (borrowed from the result event). */
typedef struct topic_configs {
    const rd_kafka_ConfigEntry_t **entries;
    size_t count;
    bool known; /* false when the broker could not say */
} topic_configs_t;

/* Kafka's ConfigEntry.isDefault(): the source is the default config. */
static bool config_is_default(const rd_kafka_ConfigEntry_t *e) {
    rd_kafka_ConfigSource_t src = rd_kafka_ConfigEntry_source(e);
    if (src == RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG) /* DescribeConfigs v0 */
        return rd_kafka_ConfigEntry_is_default(e);
    return src == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG;
}

static const char *config_value(const topic_configs_t *tc, const char *name) {
    for (size_t i = 0; i < tc->count; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(tc->entries[i]), name) == 0)
            return rd_kafka_ConfigEntry_value(tc->entries[i]);
    return NULL;
}

/*
 * Sends DescribeConfigs for the topics and fills cfgs[i].  A broker without
 * the API leaves every entry unknown (one warning); other failures are errors.
 * *evp keeps the result event alive (caller destroys).  Returns 0 or 1.
 */
static int describe_configs(topics_ctx_t *c, const rd_kafka_metadata_topic_t **topics, long n,
                            topic_configs_t *cfgs, rd_kafka_event_t **evp) {
    *evp = NULL;
    rd_kafka_ConfigResource_t **rs = calloc((size_t)n, sizeof(*rs));
    if (!rs)
        return topics_command_error("out of memory");
    for (long i = 0; i < n; i++)
        rs[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]->topic);
    rd_kafka_AdminOptions_t *o = topics_admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, false);
    rd_kafka_DescribeConfigs(c->rk, rs, (size_t)n, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy_array(rs, (size_t)n);
    free(rs);

    rd_kafka_event_t *ev = rd_kafka_queue_poll(c->queue, c->timeout_ms + 5000);
    if (!ev)
        return topics_command_error("Timed out waiting for a node assignment. Call: describeConfigs");
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
        fr_warn(COMPONENT, "The broker does not support DescribeConfigs: the Configs column is empty");
        rd_kafka_event_destroy(ev);
        return 0;
    }
    if (err || rd_kafka_event_type(ev) != RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT) {
        int rc = topics_command_error(err ? rd_kafka_event_error_string(ev) : "unexpected admin result");
        rd_kafka_event_destroy(ev);
        return rc;
    }
    size_t cnt;
    const rd_kafka_ConfigResource_t **res =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &cnt);
    for (size_t r = 0; r < cnt; r++) {
        const char *name = rd_kafka_ConfigResource_name(res[r]);
        rd_kafka_resp_err_t rerr = rd_kafka_ConfigResource_error(res[r]);
        if (rerr) {
            char buf[512];
            int rc = topics_command_error(topics_error_message(rerr, rd_kafka_ConfigResource_error_string(res[r]),
                                                 name, buf, sizeof(buf)));
            rd_kafka_event_destroy(ev);
            return rc;
        }
        for (long i = 0; i < n; i++) {
            if (strcmp(topics[i]->topic, name) == 0) {
                cfgs[i].entries = rd_kafka_ConfigResource_configs(res[r], &cfgs[i].count);
                cfgs[i].known = true;
            }
        }
    }
    *evp = ev;
    return 0;
}

static void print_ids(const char *label, const int32_t *ids, int cnt) {
    printf("\t%s: ", label);
    for (int i = 0; i < cnt; i++)
        printf("%s%" PRId32, i ? "," : "", ids[i]);
}

static bool broker_is_live(const struct rd_kafka_metadata *md, int32_t id) {
    for (int i = 0; i < md->broker_cnt; i++)
        if (md->brokers[i].id == id)
            return true;
    return false;
}

static int cmp_partition_ptr(const void *x, const void *y) {
    const rd_kafka_metadata_partition_t *a = *(const rd_kafka_metadata_partition_t *const *)x;
    const rd_kafka_metadata_partition_t *b = *(const rd_kafka_metadata_partition_t *const *)y;
    return (a->id > b->id) - (a->id < b->id);
}

/* Kafka's PartitionDescription filters: should this partition line be printed? */
static bool want_partition(const topics_ctx_t *c, const rd_kafka_metadata_partition_t *p,
                           const topic_configs_t *tc, bool describe_configs) {
    if (describe_configs)
        return true;
    const tool_args_t *a = c->args;
    bool has_leader = p->leader >= 0;
    const char *mi = config_value(tc, "min.insync.replicas");
    int min_isr = mi ? atoi(mi) : 1;
    return (tool_args_has(a, "under-replicated-partitions") && p->replica_cnt - p->isr_cnt > 0) ||
           (tool_args_has(a, "unavailable-partitions") && (!has_leader || !broker_is_live(c->md, p->leader))) ||
           (tool_args_has(a, "under-min-isr-partitions") && (!has_leader || p->isr_cnt < min_isr)) ||
           (tool_args_has(a, "at-min-isr-partitions") && p->isr_cnt == min_isr);
}

/*
 * The topics' ids, which librdkafka 2.0.2 does not show: one Metadata request
 * (v10+, the first with ids) on a connection of our own.  ids[i] stays zero
 * where the broker cannot say, and the header then has no TopicId, as Kafka
 * prints none for Uuid.ZERO_UUID.
 */
static void topic_ids(const topics_ctx_t *c, const rd_kafka_metadata_topic_t **topics, long n, uint8_t (*ids)[16]) {
    tool_wire_t w;
    char err[256];
    if (tool_wire_connect(&w, tool_args_value(c->args, "bootstrap-server"), c->timeout_ms, err, sizeof(err)))
        return;
    int16_t v = tool_wire_version(&w, FR_API_METADATA, 10);
    fr_arena_t arena;
    fr_arena_init(&arena, 8192);
    fr_metadata_request_t req;
    fr_metadata_request_init(&req);
    req.topics = fr_arena_calloc(&arena, (size_t)n, sizeof(*req.topics));
    fr_metadata_response_t *resp = NULL;
    if (v >= 0 && req.topics) {
        req.topics_count = (int32_t)n;
        req.allow_auto_topic_creation = false;
        for (long i = 0; i < n; i++)
            req.topics[i].name = fr_slice_from_cstr(topics[i]->topic);
        if (tool_wire_call(&w, FR_API_METADATA, v, &req, &arena, (void **)&resp, err, sizeof(err)))
            resp = NULL;
    }
    for (int32_t j = 0; resp && j < resp->topics_count; j++)
        for (long i = 0; i < n; i++)
            if (!resp->topics[j].error_code && fr_slice_eq_cstr(resp->topics[j].name, topics[i]->topic))
                memcpy(ids[i], resp->topics[j].topic_id, 16);
    fr_arena_free(&arena);
    tool_wire_close(&w);
}

static void describe_topic(const topics_ctx_t *c, const rd_kafka_metadata_topic_t *t, const uint8_t id[16],
                           const topic_configs_t *tc) {
    bool describe_configs = true;
    for (size_t i = 0; i < TOPICS_NREPORTS; i++)
        describe_configs &= !tool_args_has(c->args, topics_report_opts[i]);
    bool with_overrides = tool_args_has(c->args, "topics-with-overrides");

    const rd_kafka_metadata_partition_t **parts = calloc((size_t)t->partition_cnt + 1, sizeof(*parts));
    if (!parts)
        return;
    for (int i = 0; i < t->partition_cnt; i++)
        parts[i] = &t->partitions[i];
    qsort(parts, (size_t)t->partition_cnt, sizeof(*parts), cmp_partition_ptr);

    if (describe_configs) {
        bool has_non_default = false;
        for (size_t i = 0; i < tc->count; i++)
            has_non_default |= !config_is_default(tc->entries[i]);
        if (!with_overrides || has_non_default) {
            static const uint8_t zero_id[16];
            printf("Topic: %s", t->topic);
            if (memcmp(id, zero_id, 16) != 0) {
                char uuid[23];
                fr_uuid_to_string(id, uuid);
                printf("\tTopicId: %s", uuid);
            }
            printf("\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", t->partition_cnt,
                   t->partition_cnt > 0 ? parts[0]->replica_cnt : 0);
            bool first = true;
            for (size_t i = 0; i < tc->count; i++) {
                const rd_kafka_ConfigEntry_t *e = tc->entries[i];
                if (config_is_default(e))
                    continue;
                const char *v = rd_kafka_ConfigEntry_value(e);
                printf("%s%s=%s", first ? "" : ",", rd_kafka_ConfigEntry_name(e), v ? v : "null");
                first = false;
            }
            printf("\n");
        }
    }
    if (!with_overrides) {
        for (int i = 0; i < t->partition_cnt; i++) {
            const rd_kafka_metadata_partition_t *p = parts[i];
            if (!want_partition(c, p, tc, describe_configs))
                continue;
            printf("\tTopic: %s\tPartition: %" PRId32 "\tLeader: ", t->topic, p->id);
            if (p->leader >= 0)
                printf("%" PRId32, p->leader);
            else
                printf("none");
            print_ids("Replicas", p->replicas, p->replica_cnt);
            print_ids("Isr", p->isrs, p->isr_cnt);
            printf("\n");
        }
    }
    free(parts);
}

int topics_do_describe(topics_ctx_t *c) {
    const rd_kafka_metadata_topic_t **topics;
    long n = topics_get_topics(c, &topics);
    if (n < 0)
        return 1;
    int rc = topics_ensure_topic_exists(c, n);
    if (rc || n == 0) {
        free(topics);
        return rc;
    }
    topic_configs_t *cfgs = calloc((size_t)n, sizeof(*cfgs));
    uint8_t(*ids)[16] = calloc((size_t)n, sizeof(*ids));
    rd_kafka_event_t *ev = NULL;
    if (!cfgs || !ids)
        rc = topics_command_error("out of memory");
    else
        rc = describe_configs(c, topics, n, cfgs, &ev);
    if (rc == 0)
        topic_ids(c, topics, n, ids);
    for (long i = 0; rc == 0 && i < n; i++)
        describe_topic(c, topics[i], ids[i], &cfgs[i]);
    if (ev)
        rd_kafka_event_destroy(ev);
    free(ids);
    free(cfgs);
    free(topics);
    return rc;
}

/* ---- entry point ---- */

