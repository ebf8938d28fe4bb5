/*
 * freshet topics — kafka-topics.sh: create, list, describe, alter and delete topics.
 *
 * Flags, checks, messages and output follow Kafka 3.x's TopicCommand.  Topic
 * names come from a Metadata request (as ListTopics does in the Java admin
 * client); --topic is a regular expression for every action except --create
 * (Kafka's IncludeList: ',' means '|', the whole name must match).  Creation,
 * deletion and partition increases go through librdkafka's Admin API; the
 * --describe Configs column comes from DescribeConfigs and shows every entry
 * whose source is not the default, as Kafka's ConfigEntry.isDefault() does.
 *
 * --describe output (tab-separated, one header line per topic then one line
 * per partition, partitions sorted):
 *   Topic: T\tTopicId: I\tPartitionCount: N\tReplicationFactor: R\tConfigs: k=v,...
 *   \tTopic: T\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1
 * librdkafka 2.0.2 does not expose topic ids, so they come from a Metadata
 * request of the tool's own (tool_wire); where the broker cannot give one
 * the column is left out, as Kafka does for a zero topic id.  A broker without
 * DescribeConfigs gives an empty Configs column and one warning on stderr.
 *
 * Errors print "Error while executing topic command : <message>" on stderr
 * (Kafka prints it on stdout) and exit 1; bad usage prints the message and the
 * usage on stderr and exits 1.
 */
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "cmd_topics.h"

#define COMPONENT "topics"

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to",
     "REQUIRED: The Kafka server to connect to."},
    {"command-config", TOOL_ARG, "String: command config property file",
     "Property file containing configs to be passed to Admin Client."},
    {"list", TOOL_FLAG, NULL, "List all available topics."},
    {"create", TOOL_FLAG, NULL, "Create a new topic."},
    {"delete", TOOL_FLAG, NULL, "Delete a topic"},
    {"alter", TOOL_FLAG, NULL,
     "Alter the number of partitions and replica assignment. (To alter topic configurations, the "
     "kafka-configs tool can be used.)"},
    {"describe", TOOL_FLAG, NULL, "List details for the given topics."},
    {"topic", TOOL_ARG, "String: topic",
     "The topic to create, alter, describe or delete. It also accepts a regular expression, "
     "except for --create option. Put topic name in double quotes and use the '\\' prefix to "
     "escape regular expression symbols; e.g. \"test\\.topic\"."},
    {"config", TOOL_LIST, "String: name=value",
     "A topic configuration override for the topic being created. It is supported only in "
     "combination with --create. (To alter topic configurations, the kafka-configs tool can be "
     "used.)"},
    {"partitions", TOOL_ARG, "Integer: # of partitions",
     "The number of partitions for the topic being created or altered. If not supplied with "
     "--create, the topic uses the cluster default. (WARNING: If partitions are increased for a "
     "topic that has a key, the partition logic or ordering of the messages will be affected)."},
    {"replication-factor", TOOL_ARG, "Integer: replication factor",
     "The replication factor for each partition in the topic being created. If not supplied, the "
     "topic uses the cluster default."},
    {"replica-assignment", TOOL_ARG,
     "String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , "
     "broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
     "A list of manual partition-to-broker assignments for the topic being created or altered."},
    {"under-replicated-partitions", TOOL_FLAG, NULL,
     "If set when describing topics, only show under replicated partitions."},
    {"unavailable-partitions", TOOL_FLAG, NULL,
     "If set when describing topics, only show partitions whose leader is not available."},
    {"under-min-isr-partitions", TOOL_FLAG, NULL,
     "If set when describing topics, only show partitions whose isr count is less than the "
     "configured minimum."},
    {"at-min-isr-partitions", TOOL_FLAG, NULL,
     "If set when describing topics, only show partitions whose isr count is equal to the "
     "configured minimum."},
    {"topics-with-overrides", TOOL_FLAG, NULL,
     "If set when describing topics, only show topics that have overridden configs."},
    {"if-exists", TOOL_FLAG, NULL,
     "If set when altering or deleting or describing topics, the action will only execute if the "
     "topic exists."},
    {"if-not-exists", TOOL_FLAG, NULL,
     "If set when creating topics, the action will only execute if the topic does not already "
     "exist."},
    {"exclude-internal", TOOL_FLAG, NULL,
     "Exclude internal topics when running list or describe command. The internal topics will be "
     "listed by default."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char *const actions[] = {"create", "list", "alter", "describe", "delete"};
const char *const topics_report_opts[TOPICS_NREPORTS] = {"under-replicated-partitions", "unavailable-partitions",
                                                         "under-min-isr-partitions", "at-min-isr-partitions"};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, "This tool helps to create, delete, describe, or change a topic.", opts, NOPTS);
    return 1;
}

int topics_command_error(const char *msg) {
    fprintf(stderr, "Error while executing topic command : %s\n", msg);
    return 1;
}

/* ---- argument checks (TopicCommandOptions.checkArgs) ---- */

/* "Option "[used]" can't be used with option "[x]"" when `used` is given with any of `invalid`. */
static int check_invalid(const tool_args_t *a, const char *used, const char *const *invalid, size_t n) {
    if (!tool_args_has(a, used))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (invalid[i] && tool_args_has(a, invalid[i])) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Option \"[%s]\" can't be used with option \"[%s]\"", used,
                     invalid[i]);
            return usage_error(msg);
        }
    }
    return 0;
}

/* The actions other than the ones listed (NULL-terminated), plus `extra` (may be NULL). */
static size_t other_actions(const char *const *keep, const char *const *extra, size_t nextra,
                            const char **out) {
    size_t n = 0;
    for (size_t i = 0; i < NACTIONS; i++) {
        bool kept = false;
        for (size_t k = 0; keep[k]; k++)
            kept |= strcmp(keep[k], actions[i]) == 0;
        if (!kept)
            out[n++] = actions[i];
    }
    for (size_t i = 0; i < nextra; i++)
        out[n++] = extra[i];
    return n;
}

static int check_args(const tool_args_t *a) {
    int nactions = 0;
    for (size_t i = 0; i < NACTIONS; i++)
        nactions += tool_args_has(a, actions[i]);
    if (nactions != 1)
        return usage_error(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete");
    if (!tool_args_has(a, "bootstrap-server"))
        return usage_error("--bootstrap-server must be specified");
    if (tool_args_has(a, "describe") && tool_args_has(a, "if-exists") && !tool_args_has(a, "topic"))
        return usage_error("--topic or --topic-id is required to describe a topic");
    if (!tool_args_has(a, "list") && !tool_args_has(a, "describe") && !tool_args_has(a, "topic"))
        return usage_error("Missing required argument \"[topic]\"");
    if (tool_args_has(a, "alter")) {
        if (tool_args_has(a, "config"))
            return usage_error("Option combination \"[bootstrap-server],[config]\" can't be used with "
                               "option \"[alter]\" (To alter topic configurations, the kafka-configs "
                               "tool can be used.)");
        if (!tool_args_has(a, "partitions"))
            return usage_error("Missing required argument \"[partitions]\"");
    }

    const char *inv[16];
    size_t n;
    int rc;
    n = other_actions((const char *[]){"alter", "create", NULL}, NULL, 0, inv);
    if ((rc = check_invalid(a, "config", inv, n)) || (rc = check_invalid(a, "partitions", inv, n)) ||
        (rc = check_invalid(a, "replica-assignment", inv, n)))
        return rc;
    n = other_actions((const char *[]){"create", NULL}, NULL, 0, inv);
    if ((rc = check_invalid(a, "replication-factor", inv, n)))
        return rc;
    if (tool_args_has(a, "create") &&
        (rc = check_invalid(a, "replica-assignment", (const char *[]){"partitions", "replication-factor"}, 2)))
        return rc;
    const char *with_overrides[] = {"topics-with-overrides"};
    n = other_actions((const char *[]){"describe", NULL}, with_overrides, 1, inv);
    for (size_t i = 0; i < TOPICS_NREPORTS; i++)
        if ((rc = check_invalid(a, topics_report_opts[i], inv, n)))
            return rc;
    n = other_actions((const char *[]){"describe", NULL}, topics_report_opts, TOPICS_NREPORTS, inv);
    if ((rc = check_invalid(a, "topics-with-overrides", inv, n)))
        return rc;
    n = other_actions((const char *[]){"alter", "delete", "describe", NULL}, NULL, 0, inv);
    if ((rc = check_invalid(a, "if-exists", inv, n)))
        return rc;
    n = other_actions((const char *[]){"create", NULL}, NULL, 0, inv);
    if ((rc = check_invalid(a, "if-not-exists", inv, n)))
        return rc;
    n = other_actions((const char *[]){"list", "describe", NULL}, NULL, 0, inv);
    if ((rc = check_invalid(a, "exclude-internal", inv, n)))
        return rc;

    const char *ints[] = {"partitions", "replication-factor"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = tool_args_value(a, ints[i]);
        int64_t num;
        if (v && tool_parse_i64(v, INT32_MIN, INT32_MAX, &num) != 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option %s", v, ints[i]);
            return usage_error(msg);
        }
    }
    return 0;
}

/* ---- shared state ---- */


static bool is_internal_topic(const char *t) {
    return strcmp(t, "__consumer_offsets") == 0 || strcmp(t, "__transaction_state") == 0;
}

/*
 * Kafka's message for a failed topic operation: the broker's own message when
 * it sent one, else the text of the Java exception for that error code.
 */
const char *topics_error_message(rd_kafka_resp_err_t err, const char *errstr, const char *topic,
                                 char *buf, size_t len) {
    if (errstr && *errstr && strcmp(errstr, rd_kafka_err2str(err)) != 0)
        return errstr;
    switch (err) {
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
        snprintf(buf, len, "Topic '%s' already exists.", topic);
        break;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        snprintf(buf, len, "This server does not host this topic-partition.");
        break;
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        snprintf(buf, len, "The request attempted to perform an operation on an invalid topic.");
        break;
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
        snprintf(buf, len, "Number of partitions is below 1.");
        break;
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        snprintf(buf, len, "Replication factor is below 1 or larger than the number of available brokers.");
        break;
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
        snprintf(buf, len, "Replica assignment is invalid.");
        break;
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
        snprintf(buf, len, "Configuration is invalid.");
        break;
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
        snprintf(buf, len, "Topic deletion is disabled.");
        break;
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
        snprintf(buf, len, "Request parameters do not satisfy the configured policy.");
        break;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        snprintf(buf, len, "Topic authorization failed.");
        break;
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        snprintf(buf, len, "Cluster authorization failed.");
        break;
    default:
        snprintf(buf, len, "%s", errstr && *errstr ? errstr : rd_kafka_err2str(err));
        break;
    }
    return buf;
}

/* Waits for the admin result event of `type`.  Returns it (caller destroys), or
 * NULL after printing the error. */
rd_kafka_event_t *topics_admin_wait(topics_ctx_t *c, rd_kafka_event_type_t type, const char *api) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(c->queue, c->timeout_ms + 5000);
    char buf[512];
    if (!ev) {
        snprintf(buf, sizeof(buf), "Timed out waiting for a node assignment. Call: %s", api);
        topics_command_error(buf);
        return NULL;
    }
    if (rd_kafka_event_type(ev) != type) {
        snprintf(buf, sizeof(buf), "unexpected admin result %s", rd_kafka_event_name(ev));
        topics_command_error(buf);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err) {
        if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
            snprintf(buf, sizeof(buf), "The broker does not support %s: %s", api,
                     rd_kafka_event_error_string(ev));
        else
            snprintf(buf, sizeof(buf), "%s", rd_kafka_event_error_string(ev));
        topics_command_error(buf);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

rd_kafka_AdminOptions_t *topics_admin_options(topics_ctx_t *c, rd_kafka_admin_op_t op,
                                              bool operation_timeout) {
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->rk, op);
    if (rd_kafka_AdminOptions_set_request_timeout(o, c->timeout_ms, errstr, sizeof(errstr)) ||
        (operation_timeout &&
         rd_kafka_AdminOptions_set_operation_timeout(o, c->timeout_ms, errstr, sizeof(errstr))))
        fr_warn(COMPONENT, "admin options: %s", errstr);
    return o;
}

/* Fetches metadata for all topics into c->md.  Returns 0 or 1 (reported). */
static int load_metadata(topics_ctx_t *c) {
    rd_kafka_resp_err_t err = rd_kafka_metadata(c->rk, 1, NULL, &c->md, c->timeout_ms);
    if (err) {
        char buf[512];
        snprintf(buf, sizeof(buf), "%s",
                 err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
                     ? "Timed out waiting for a node assignment. Call: listTopics"
                     : rd_kafka_err2str(err));
        return topics_command_error(buf);
    }
    return 0;
}

static int cmp_topic_ptr(const void *x, const void *y) {
    const rd_kafka_metadata_topic_t *a = *(const rd_kafka_metadata_topic_t *const *)x;
    const rd_kafka_metadata_topic_t *b = *(const rd_kafka_metadata_topic_t *const *)y;
    return strcmp(a->topic, b->topic);
}

/*
 * Kafka's getTopics(): every known topic, sorted, filtered by the --topic
 * regex and --exclude-internal.  Fills *out (owned by the caller, pointers into
 * c->md) and returns the count, or -1 (reported).
 */
long topics_get_topics(topics_ctx_t *c, const rd_kafka_metadata_topic_t ***out) {
    *out = NULL;
    const char *filter = tool_args_value(c->args, "topic");
    bool exclude_internal = tool_args_has(c->args, "exclude-internal");
    regex_t re;
    if (filter) {
        char *pattern = tool_include_regex(filter);
        if (!pattern) {
            topics_command_error("out of memory");
            return -1;
        }
        int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
        free(pattern);
        if (rc != 0) {
            char buf[512];
            snprintf(buf, sizeof(buf), "Invalid regular expression for --topic: %s", filter);
            topics_command_error(buf);
            return -1;
        }
    }
    const rd_kafka_metadata_topic_t **list = calloc((size_t)c->md->topic_cnt + 1, sizeof(*list));
    long n = 0;
    for (int i = 0; list && i < c->md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &c->md->topics[i];
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            continue;
        if (exclude_internal && is_internal_topic(t->topic))
            continue;
        if (filter && regexec(&re, t->topic, 0, NULL, 0) != 0)
            continue;
        list[n++] = t;
    }
    if (filter)
        regfree(&re);
    if (!list) {
        topics_command_error("out of memory");
        return -1;
    }
    qsort(list, (size_t)n, sizeof(*list), cmp_topic_ptr);
    *out = list;
    return n;
}

/* Kafka's ensureTopicExists(): a named topic that matched nothing is an error unless --if-exists. */
int topics_ensure_topic_exists(topics_ctx_t *c, long found) {
    const char *topic = tool_args_value(c->args, "topic");
    if (topic && *topic && found == 0 && !tool_args_has(c->args, "if-exists")) {
        char buf[512];
        snprintf(buf, sizeof(buf), "Topic '%s' does not exist as expected", topic);
        return topics_command_error(buf);
    }
    return 0;
}

/* ---- --list ---- */

static int do_list(topics_ctx_t *c) {
    const rd_kafka_metadata_topic_t **topics;
    long n = topics_get_topics(c, &topics);
    if (n < 0)
        return 1;
    for (long i = 0; i < n; i++)
        printf("%s\n", topics[i]->topic);
    free(topics);
    return 0;
}

/* ---- --create ---- */

/* Parses "0:1,1:2" into per-partition broker lists (Kafka's parseReplicaAssignment).
 * Returns the partition count, or -1 (reported).  *out is owned by the caller. */
static long parse_replica_assignment(const char *s, int32_t (**out)[64], int *rf) {
    long parts = 1;
    for (const char *p = s; *p; p++)
        parts += *p == ',';
    int32_t(*lists)[64] = calloc((size_t)parts, sizeof(*lists));
    if (!lists) {
        topics_command_error("out of memory");
        return -1;
    }
    char *copy = strdup(s), *save1 = NULL;
    long idx = 0;
    for (char *part = strtok_r(copy, ",", &save1); part; part = strtok_r(NULL, ",", &save1), idx++) {
        int cnt = 0;
        char *save2 = NULL, buf[512];
        for (char *b = strtok_r(part, ":", &save2); b; b = strtok_r(NULL, ":", &save2)) {
            while (*b == ' ')
                b++;
            size_t l = strlen(b);
            while (l > 0 && b[l - 1] == ' ')
                b[--l] = '\0';
            int64_t id;
            if (cnt >= 64 || tool_parse_i64(b, 0, INT32_MAX, &id) != 0) {
                snprintf(buf, sizeof(buf), "For input string: \"%s\"", b);
                goto fail_msg;
            }
            for (int k = 0; k < cnt; k++) {
                if (lists[idx][k] == (int32_t)id) {
                    snprintf(buf, sizeof(buf),
                             "Partition replica lists may not contain duplicate entries: %" PRId64, id);
                    goto fail_msg;
                }
            }
            lists[idx][cnt++] = (int32_t)id;
        }
        if (idx == 0)
            *rf = cnt;
        if (cnt != *rf || cnt == 0) {
            int k = snprintf(buf, sizeof(buf), "Partition %ld has different replication factor: [", idx);
            for (int r = 0; r < cnt && k > 0 && (size_t)k < sizeof(buf); r++)
                k += snprintf(buf + k, sizeof(buf) - (size_t)k, "%s%" PRId32, r ? ", " : "", lists[idx][r]);
            if (k > 0 && (size_t)k < sizeof(buf))
                snprintf(buf + k, sizeof(buf) - (size_t)k, "]");
            goto fail_msg;
        }
        continue;
    fail_msg:
        free(copy);
        free(lists);
        topics_command_error(buf);
        return -1;
    }
    free(copy);
    *out = lists;
    return idx;
}

/* Splits one --config value as Kafka does ("\s*=\s*", exactly two parts, trimmed). */
static int parse_config(const char *kv, char *key, size_t klen, char *value, size_t vlen) {
    const char *eq = strchr(kv, '=');
    if (!eq || strchr(eq + 1, '='))
        return -1;
    const char *ks = kv, *ke = eq, *vs = eq + 1, *ve = kv + strlen(kv);
    while (ks < ke && (*ks == ' ' || *ks == '\t'))
        ks++;
    while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    while (vs < ve && (*vs == ' ' || *vs == '\t'))
        vs++;
    while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    if (ke == ks || ve == vs) /* Java's split drops the empty side: not two parts */
        return -1;
    snprintf(key, klen, "%.*s", (int)(ke - ks), ks);
    snprintf(value, vlen, "%.*s", (int)(ve - vs), vs);
    return 0;
}

/*
 * Kafka's createTopic() checks, done before any connection: prints the
 * collision warning and returns the NewTopic to send, or NULL (reported).
 */
static rd_kafka_NewTopic_t *new_topic(const tool_args_t *a) {
    const char *topic = tool_args_value(a, "topic");
    if (strchr(topic, '.') || strchr(topic, '_'))
        printf("WARNING: Due to limitations in metric names, topics with a period ('.') or "
               "underscore ('_') could collide. To avoid issues it is best to use either, but not "
               "both.\n");
    fflush(stdout);

    int64_t partitions = -1, rf = -1;
    if (tool_args_has(a, "partitions"))
        tool_parse_i64(tool_args_value(a, "partitions"), INT32_MIN, INT32_MAX, &partitions);
    if (tool_args_has(a, "replication-factor"))
        tool_parse_i64(tool_args_value(a, "replication-factor"), INT32_MIN, INT32_MAX, &rf);
    if (tool_args_has(a, "replication-factor") && (rf < 1 || rf > 32767)) {
        topics_command_error("The replication factor must be between 1 and 32767 inclusive");
        return NULL;
    }
    if (tool_args_has(a, "partitions") && partitions < 1) {
        topics_command_error("The partitions must be greater than 0");
        return NULL;
    }

    int32_t(*assignment)[64] = NULL;
    int assigned_rf = 0;
    const char *ra = tool_args_value(a, "replica-assignment");
    if (ra && *ra) {
        long n = parse_replica_assignment(ra, &assignment, &assigned_rf);
        if (n < 0)
            return NULL;
        partitions = n;
        rf = -1;
    }

    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, (int)partitions, (int)rf, errstr, sizeof(errstr));
    if (!nt) {
        free(assignment);
        topics_command_error(errstr);
        return NULL;
    }
    for (int32_t p = 0; assignment && p < partitions; p++) {
        if (rd_kafka_NewTopic_set_replica_assignment(nt, p, assignment[p], (size_t)assigned_rf, errstr,
                                                     sizeof(errstr))) {
            topics_command_error(errstr);
            goto fail;
        }
    }
    size_t nconfigs = tool_args_count(a, "config");
    for (size_t i = 0; i < nconfigs; i++) {
        char key[256], value[1024];
        if (parse_config(tool_args_value_at(a, "config", i), key, sizeof(key), value, sizeof(value))) {
            topics_command_error("requirement failed: Invalid topic config: all configs to be added must be "
                          "in the format \"key=val\".");
            goto fail;
        }
        rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(nt, key, value);
        if (err) {
            topics_command_error(rd_kafka_err2str(err));
            goto fail;
        }
    }
    free(assignment);
    return nt;
fail:
    free(assignment);
    rd_kafka_NewTopic_destroy(nt);
    return NULL;
}

static int do_create(topics_ctx_t *c, rd_kafka_NewTopic_t *nt) {
    const char *topic = tool_args_value(c->args, "topic");
    rd_kafka_AdminOptions_t *o = topics_admin_options(c, RD_KAFKA_ADMIN_OP_CREATETOPICS, true);
    rd_kafka_CreateTopics(c->rk, &nt, 1, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = topics_admin_wait(c, RD_KAFKA_EVENT_CREATETOPICS_RESULT, "createTopics");
    if (!ev)
        return 1;
    size_t cnt;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    int rc = 0;
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        char buf[512];
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && tool_args_has(c->args, "if-not-exists"))
            continue;
        if (err) {
            rc = topics_command_error(topics_error_message(err, rd_kafka_topic_result_error_string(res[i]), topic, buf,
                                             sizeof(buf)));
            continue;
        }
        printf("Created topic %s.\n", topic);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* ---- --delete ---- */

static int do_delete(topics_ctx_t *c) {
    const rd_kafka_metadata_topic_t **topics;
    long n = topics_get_topics(c, &topics);
    if (n < 0)
        return 1;
    int rc = topics_ensure_topic_exists(c, n);
    if (rc || n == 0) {
        free(topics);
        return rc;
    }
    rd_kafka_DeleteTopic_t **dt = calloc((size_t)n, sizeof(*dt));
    if (!dt) {
        free(topics);
        return topics_command_error("out of memory");
    }
    for (long i = 0; i < n; i++)
        dt[i] = rd_kafka_DeleteTopic_new(topics[i]->topic);
    rd_kafka_AdminOptions_t *o = topics_admin_options(c, RD_KAFKA_ADMIN_OP_DELETETOPICS, true);
    rd_kafka_DeleteTopics(c->rk, dt, (size_t)n, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)n);
    free(dt);
    free(topics);

    rd_kafka_event_t *ev = topics_admin_wait(c, RD_KAFKA_EVENT_DELETETOPICS_RESULT, "deleteTopics");
    if (!ev)
        return 1;
    size_t cnt;
    const rd_kafka_topic_result_t **res =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
    for (size_t i = 0; i < cnt && rc == 0; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        char buf[512];
        if (err)
            rc = topics_command_error(topics_error_message(err, rd_kafka_topic_result_error_string(res[i]),
                                             rd_kafka_topic_result_name(res[i]), buf, sizeof(buf)));
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* ---- --alter ---- */

static int do_alter(topics_ctx_t *c) {
    const rd_kafka_metadata_topic_t **topics;
    long n = topics_get_topics(c, &topics);
    if (n < 0)
        return 1;
    int rc = topics_ensure_topic_exists(c, n);
    if (rc || n == 0) {
        free(topics);
        return rc;
    }
    int64_t partitions;
    tool_parse_i64(tool_args_value(c->args, "partitions"), INT32_MIN, INT32_MAX, &partitions);
    int32_t(*assignment)[64] = NULL;
    int assigned_rf = 0;
    long nassigned = 0;
    const char *ra = tool_args_value(c->args, "replica-assignment");
    if (ra && *ra && (nassigned = parse_replica_assignment(ra, &assignment, &assigned_rf)) < 0) {
        free(topics);
        return 1;
    }

    char errstr[512];
    rd_kafka_NewPartitions_t **np = calloc((size_t)n, sizeof(*np));
    rc = 1;
    if (!np) {
        topics_command_error("out of memory");
        goto out;
    }
    for (long i = 0; i < n; i++) {
        np[i] = rd_kafka_NewPartitions_new(topics[i]->topic, (size_t)(partitions > 0 ? partitions : 0),
                                           errstr, sizeof(errstr));
        if (!np[i]) {
            topics_command_error(errstr);
            goto out;
        }
        /* The assignment lists every partition; only the new ones are sent. */
        for (long p = topics[i]->partition_cnt; assignment && p < nassigned; p++) {
            if (rd_kafka_NewPartitions_set_replica_assignment(np[i], (int32_t)(p - topics[i]->partition_cnt),
                                                              assignment[p], (size_t)assigned_rf,
                                                              errstr, sizeof(errstr))) {
                topics_command_error(errstr);
                goto out;
            }
        }
    }
    rd_kafka_AdminOptions_t *o = topics_admin_options(c, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, true);
    rd_kafka_CreatePartitions(c->rk, np, (size_t)n, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = topics_admin_wait(c, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, "createPartitions");
    if (ev) {
        size_t cnt;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &cnt);
        rc = 0;
        for (size_t i = 0; i < cnt && rc == 0; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
            char buf[512];
            if (err)
                rc = topics_command_error(topics_error_message(err, rd_kafka_topic_result_error_string(res[i]),
                                                 rd_kafka_topic_result_name(res[i]), buf, sizeof(buf)));
        }
        rd_kafka_event_destroy(ev);
    }
out:
    for (long i = 0; np && i < n; i++)
        if (np[i])
            rd_kafka_NewPartitions_destroy(np[i]);
    free(np);
    free(assignment);
    free(topics);
    return rc;
}

int fr_cmd_topics(int argc, char **argv) {
    tool_logging_init();
    tool_args_t a;
    char err[1024];
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (argc < 2) {
        tool_args_free(&a);
        return usage_error("Create, delete, describe, or change a topic.");
    }
    if (tool_args_has(&a, "help")) {
        tool_usage(stdout, "This tool helps to create, delete, describe, or change a topic.", opts, NOPTS);
        tool_args_free(&a);
        return 0;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;
    int rc = check_args(&a);
    if (rc != 0) {
        tool_args_free(&a);
        return rc;
    }

    topics_ctx_t c = {.args = &a, .timeout_ms = 60000};
    fr_props_t props;
    fr_props_init(&props);
    rd_kafka_NewTopic_t *nt = NULL;
    rc = 1;
    if (tool_args_has(&a, "create") && !(nt = new_topic(&a)))
        goto out;
    const char *file = tool_args_value(&a, "command-config");
    if (file && tool_props_load_file(&props, file, err, sizeof(err)) != 0) {
        topics_command_error(err);
        goto out;
    }
    const char *api_timeout = fr_props_get(&props, "default.api.timeout.ms");
    int64_t t;
    if (api_timeout) {
        if (tool_parse_i64(api_timeout, 1, INT32_MAX - 10000, &t) != 0) {
            snprintf(err, sizeof(err), "Invalid value %s for configuration default.api.timeout.ms", api_timeout);
            topics_command_error(err);
            goto out;
        }
        c.timeout_ms = (int)t;
    }
    if (tool_props_default(&props, "client.id", "freshet-topics") != 0 ||
        fr_props_set(&props, "bootstrap.servers", tool_args_value(&a, "bootstrap-server")) != 0) {
        topics_command_error("out of memory");
        goto out;
    }
    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        topics_command_error(err);
        goto out;
    }
    c.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!c.rk) {
        rd_kafka_conf_destroy(conf);
        topics_command_error(err);
        goto out;
    }
    c.queue = rd_kafka_queue_new(c.rk);

    if (tool_args_has(&a, "create"))
        rc = do_create(&c, nt);
    else if ((rc = load_metadata(&c)) == 0) {
        if (tool_args_has(&a, "list"))
            rc = do_list(&c);
        else if (tool_args_has(&a, "describe"))
            rc = topics_do_describe(&c);
        else if (tool_args_has(&a, "alter"))
            rc = do_alter(&c);
        else
            rc = do_delete(&c);
    }
    fflush(stdout);

out:
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    if (c.md)
        rd_kafka_metadata_destroy(c.md);
    if (c.queue)
        rd_kafka_queue_destroy(c.queue);
    if (c.rk)
        rd_kafka_destroy(c.rk);
    fr_props_free(&props);
    tool_args_free(&a);
    return rc;
}
