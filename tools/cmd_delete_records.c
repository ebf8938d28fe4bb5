/*
 * freshet delete-records — kafka-delete-records.sh (Kafka's
 * DeleteRecordsCommand): moves the log start offset of the partitions named
 * in a JSON file, on librdkafka's rd_kafka_DeleteRecords.
 *
 * The file is Kafka's:
 *   {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}
 * (version may be left out; offset -1 means the high watermark).  A
 * partition listed twice is refused.  Output, as Kafka prints it (partitions
 * in the file's order):
 *   Executing records delete operation
 *   Records delete operation completed:
 *   partition: foo-1\tlow_watermark: 1
 *   partition: foo-2\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested ...
 * Problems with the file or the options end the command with Kafka's
 * exception line on stderr and exit code 1; per-partition errors do not
 * change the exit code (Kafka's neither).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"

#define TIMEOUT_MS 60000

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server(s) to use for bootstrapping",
     "REQUIRED: The server to connect to."},
    {"offset-json-file", TOOL_ARG, "String: Offset json file path",
     "REQUIRED: The JSON file with offset per partition. The format to use is:\n"
     "{\"partitions\":\n  [{\"topic\": \"foo\", \"partition\": 1, \"offset\": 1}],\n \"version\":1\n}"},
    {"command-config", TOOL_ARG, "String: command config property file path",
     "A property file containing configs to be passed to Admin Client."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))
#define SUMMARY "This tool helps to delete records of the given partitions down to the specified offset."

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, SUMMARY, opts, NOPTS);
    return 1;
}

static int fail(const char *exception, const char *msg) {
    fflush(stdout);
    fprintf(stderr, "Exception in thread \"main\" %s: %s\n", exception, msg);
    return 1;
}

/* Kafka's exception for a partition's error, as Throwable.toString prints it. */
static void exception_text(rd_kafka_resp_err_t err, char *buf, size_t len) {
    static const struct {
        rd_kafka_resp_err_t err;
        const char *name, *msg;
    } known[] = {
        {RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE, "OffsetOutOfRangeException",
         "The requested offset is not within the range of offsets maintained by the server."},
        {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "UnknownTopicOrPartitionException",
         "This server does not host this topic-partition."},
        {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, "NotLeaderOrFollowerException",
         "For requests intended only for the leader, this error indicates that the broker is not the current "
         "leader. For requests intended for any replica, this error indicates that the broker is not a replica "
         "of the topic partition."},
        {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "TopicAuthorizationException", "Topic authorization failed."},
        {RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, "KafkaStorageException", "Disk error when trying to access log file "
         "on the disk."},
        {RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, "InvalidTopicException",
         "The request attempted to perform an operation on an invalid topic."},
        {RD_KAFKA_RESP_ERR_POLICY_VIOLATION, "PolicyViolationException", "Request parameters do not satisfy the "
         "configured policy."},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (known[i].err == err) {
            snprintf(buf, len, "org.apache.kafka.common.errors.%s: %s", known[i].name, known[i].msg);
            return;
        }
    }
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        snprintf(buf, len, "org.apache.kafka.common.errors.TimeoutException: %s", rd_kafka_err2str(err));
    else
        snprintf(buf, len, "org.apache.kafka.common.KafkaException: %s", rd_kafka_err2str(err));
}

/*
 * Reads Kafka's offset JSON file into a partition list (file order).
 * Returns NULL after printing Kafka's exception line.
 */
static rd_kafka_topic_partition_list_t *read_offsets(const char *path) {
    json_error_t jerr;
    char msg[512];
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        if (strstr(jerr.text, "unable to open"))
            fail("java.nio.file.NoSuchFileException", path);
        else
            fail("kafka.admin.AdminOperationException", "The input string is not a valid JSON");
        return NULL;
    }
    rd_kafka_topic_partition_list_t *list = NULL;
    json_t *version = json_object_get(root, "version"), *parts = json_object_get(root, "partitions");
    if (!json_is_object(root)) {
        fail("kafka.admin.AdminOperationException", "The input string is not a valid JSON");
    } else if (version && (!json_is_integer(version) || json_integer_value(version) != 1)) {
        if (json_is_integer(version))
            snprintf(msg, sizeof(msg), "Not supported version field value %" JSON_INTEGER_FORMAT,
                     json_integer_value(version));
        else
            snprintf(msg, sizeof(msg), "Not supported version field value (not a number)");
        fail("kafka.admin.AdminOperationException", msg);
    } else if (!json_is_array(parts)) {
        fail("kafka.admin.AdminOperationException", "Missing partitions field");
    } else {
        list = rd_kafka_topic_partition_list_new((int)json_array_size(parts));
        size_t i;
        json_t *p;
        json_array_foreach(parts, i, p) {
            json_t *t = json_object_get(p, "topic"), *pn = json_object_get(p, "partition"),
                   *off = json_object_get(p, "offset");
            const char *missing = !json_is_string(t) ? "topic" : !json_is_integer(pn) ? "partition"
                                  : !json_is_integer(off) ? "offset" : NULL;
            if (missing) {
                snprintf(msg, sizeof(msg), "Missing or invalid \"%s\" in partition entry %zu", missing, i);
                fail("kafka.admin.AdminOperationException", msg);
                rd_kafka_topic_partition_list_destroy(list);
                list = NULL;
                break;
            }
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_add(list, json_string_value(t), (int32_t)json_integer_value(pn));
            tp->offset = json_integer_value(off);
        }
    }
    json_decref(root);
    if (!list)
        return NULL;

    /* Kafka: "Offset json file contains duplicate topic partitions: t-0,t-1" */
    size_t dl = 0;
    msg[0] = '\0';
    for (int i = 0; i < list->cnt; i++) {
        for (int j = 0; j < i; j++) {
            if (list->elems[j].partition == list->elems[i].partition &&
                strcmp(list->elems[j].topic, list->elems[i].topic) == 0) {
                dl += (size_t)snprintf(msg + dl, dl < sizeof(msg) ? sizeof(msg) - dl : 0, "%s%s-%" PRId32,
                                       dl ? "," : "", list->elems[i].topic, list->elems[i].partition);
                break;
            }
        }
        if (dl >= sizeof(msg))
            break;
    }
    if (dl) {
        char full[600];
        snprintf(full, sizeof(full), "Offset json file contains duplicate topic partitions: %s", msg);
        fail("kafka.common.AdminCommandFailedException", full);
        rd_kafka_topic_partition_list_destroy(list);
        return NULL;
    }
    return list;
}

/* The admin client: Kafka-style properties from --command-config, then --bootstrap-server. */
static rd_kafka_t *admin_client(const tool_args_t *a, char *err, size_t errlen) {
    fr_props_t props;
    fr_props_init(&props);
    rd_kafka_t *rk = NULL;
    const char *file = tool_args_value(a, "command-config");
    if ((!file || tool_props_load_file(&props, file, err, errlen) == 0) &&
        tool_props_default(&props, "client.id", "freshet-delete-records") == 0 &&
        fr_props_set(&props, "bootstrap.servers", tool_args_value(a, "bootstrap-server")) == 0) {
        rd_kafka_conf_t *conf = tool_conf_new(&props, err, errlen);
        if (conf && !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen)))
            rd_kafka_conf_destroy(conf);
    }
    fr_props_free(&props);
    return rk;
}

static int run(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *offsets) {
    char errstr[512];
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS);
    rd_kafka_AdminOptions_set_request_timeout(o, TIMEOUT_MS, errstr, sizeof(errstr));
    rd_kafka_AdminOptions_set_operation_timeout(o, TIMEOUT_MS, errstr, sizeof(errstr));
    rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(offsets);

    printf("Executing records delete operation\n");
    fflush(stdout);
    rd_kafka_DeleteRecords(rk, &del, 1, o, q);
    rd_kafka_DeleteRecords_destroy(del);
    rd_kafka_AdminOptions_destroy(o);

    int rc = 0;
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
    const rd_kafka_DeleteRecords_result_t *res = ev ? rd_kafka_event_DeleteRecords_result(ev) : NULL;
    rd_kafka_resp_err_t err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    const rd_kafka_topic_partition_list_t *got = res && !err ? rd_kafka_DeleteRecords_result_offsets(res) : NULL;
    printf("Records delete operation completed:\n");
    for (int i = 0; i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *want = &offsets->elems[i];
        const rd_kafka_topic_partition_t *r =
            got ? rd_kafka_topic_partition_list_find(got, want->topic, want->partition) : NULL;
        rd_kafka_resp_err_t perr = r ? r->err : err ? err : RD_KAFKA_RESP_ERR__TIMED_OUT;
        if (!perr) {
            printf("partition: %s-%" PRId32 "\tlow_watermark: %" PRId64 "\n", want->topic, want->partition, r->offset);
        } else {
            char text[512];
            exception_text(perr, text, sizeof(text));
            printf("partition: %s-%" PRId32 "\terror: %s\n", want->topic, want->partition, text);
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    fflush(stdout);
    return rc;
}

int fr_cmd_delete_records(int argc, char **argv) {
    tool_logging_init();
    tool_args_t a;
    char err[1024];
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (argc < 2 || tool_args_has(&a, "help")) {
        int help = argc >= 2;
        tool_usage(help ? stdout : stderr, SUMMARY, opts, NOPTS);
        tool_args_free(&a);
        return help ? 0 : 1;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;
    const char *missing = !tool_args_has(&a, "bootstrap-server") ? "bootstrap-server"
                          : !tool_args_has(&a, "offset-json-file") ? "offset-json-file" : NULL;
    if (missing) {
        snprintf(err, sizeof(err), "Missing required argument \"[%s]\"", missing);
        tool_args_free(&a);
        return usage_error(err);
    }
    rd_kafka_topic_partition_list_t *offsets = read_offsets(tool_args_value(&a, "offset-json-file"));
    if (!offsets) {
        tool_args_free(&a);
        return 1;
    }
    rd_kafka_t *rk = admin_client(&a, err, sizeof(err));
    int rc;
    if (!rk) {
        rc = fail("org.apache.kafka.common.KafkaException", err);
    } else {
        rc = run(rk, offsets);
        rd_kafka_destroy(rk);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    tool_args_free(&a);
    return rc;
}
