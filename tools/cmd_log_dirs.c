/*
 * freshet log-dirs — kafka-log-dirs.sh (Kafka's LogDirsCommand): the log
 * directories of each broker with the size of every partition in them.
 *
 * librdkafka 2.0.2 has no DescribeLogDirs call, so this tool speaks the
 * protocol itself over tool_wire.h (the generated codecs): a Metadata request
 * to a bootstrap server for the brokers (Kafka's describeCluster), then a
 * DescribeLogDirs request (all topics) to each broker asked about, at the
 * highest version both sides serve.  As in Kafka, --topic-list filters the
 * answer on the client side.  Output:
 *
 *   Querying brokers for log directories information
 *   Received log directory information from brokers 0
 *   {"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":"/x","error":null,
 *     "partitions":[{"partition":"t-0","size":123,"offsetLag":0,"isFuture":false}]}]}]}
 *
 * (the JSON on one line, keys in the order Kafka's Scala tool wrote them; a
 * dir with an error names Kafka's exception class in "error").  Brokers in
 * --broker-list that the cluster lacks give Kafka's ERROR line and nothing
 * else.  Failing to reach a broker prints an error on stderr and exits 1.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_arena.h"
#include "fr_err.h"
#include "fr_messages.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_wire.h"

#define TIMEOUT_MS 30000
#define MAX_BROKERS 1024

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: The server(s) to use for bootstrapping",
     "REQUIRED: the server(s) to use for bootstrapping"},
    {"command-config", TOOL_ARG, "String: Admin client property file",
     "Property file containing configs to be passed to Admin Client."},
    {"describe", TOOL_FLAG, NULL, "Describe the specified log directories on the specified brokers."},
    {"topic-list", TOOL_ARG, "String: Topic list",
     "The list of topics to be queried in the form \"topic1,topic2,topic3\". All topics will be queried if no "
     "topic list is specified (default: )"},
    {"broker-list", TOOL_ARG, "String: Broker list",
     "The list of brokers to be queried in the form \"0,1,2\". All brokers in the cluster will be queried if no "
     "broker list is specified"},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))
#define SUMMARY "This tool helps to query log directory usage on the specified brokers."

typedef struct broker {
    int32_t id;
    char addr[300]; /* host:port */
} broker_t;

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, SUMMARY, opts, NOPTS);
    return 1;
}

static int error_exit(const char *msg) {
    fflush(stdout);
    fprintf(stderr, "Error: %s\n", msg);
    return 1;
}

/* Kafka's exception class for a log dir error code. */
static const char *error_class(int16_t code) {
    switch (code) {
    case FR_ERR_KAFKA_STORAGE_ERROR:
        return "org.apache.kafka.common.errors.KafkaStorageException";
    case FR_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return "org.apache.kafka.common.errors.ClusterAuthorizationException";
    default:
        return "org.apache.kafka.common.errors.UnknownServerException";
    }
}

/* Is name in the comma-separated list (empty list: every name)? */
static int in_list(const char *list, fr_slice_t name) {
    if (!list || !*list)
        return 1;
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == (size_t)name.len && memcmp(p, name.ptr, n) == 0)
            return 1;
        p = comma ? comma + 1 : p + n;
    }
    return 0;
}

/* The cluster's brokers, from a Metadata request for no topics.  Count, or -1 with a message. */
static int cluster_brokers(const char *bootstrap, broker_t *out, int max, char *err, size_t errlen) {
    tool_wire_t w;
    if (tool_wire_connect(&w, bootstrap, TIMEOUT_MS, err, errlen))
        return -1;
    int16_t v = tool_wire_version(&w, FR_API_METADATA, 1);
    if (v < 0) {
        snprintf(err, errlen, "the broker does not serve Metadata v1 or later");
        tool_wire_close(&w);
        return -1;
    }
    fr_metadata_request_t req;
    fr_metadata_request_init(&req);
    req.topics_count = 0;
    req.allow_auto_topic_creation = false;
    fr_arena_t arena;
    fr_arena_init(&arena, 4096);
    void *resp;
    int n = -1;
    if (tool_wire_call(&w, FR_API_METADATA, v, &req, &arena, &resp, err, errlen) == 0) {
        fr_metadata_response_t *md = resp;
        n = 0;
        for (int32_t i = 0; i < md->brokers_count && n < max; i++, n++) {
            out[n].id = md->brokers[i].node_id;
            snprintf(out[n].addr, sizeof(out[n].addr), "%.*s:%" PRId32, (int)md->brokers[i].host.len,
                     (const char *)md->brokers[i].host.ptr, md->brokers[i].port);
        }
    }
    fr_arena_free(&arena);
    tool_wire_close(&w);
    return n;
}

/* Asks one broker for its log dirs; appends {"broker":id,"logDirs":[...]} to brokers.  0 or -1. */
static int describe_broker(const broker_t *b, const char *topics, json_t *brokers, char *err, size_t errlen) {
    tool_wire_t w;
    if (tool_wire_connect(&w, b->addr, TIMEOUT_MS, err, errlen))
        return -1;
    int16_t v = tool_wire_version(&w, FR_API_DESCRIBE_LOG_DIRS, 0);
    if (v < 0) {
        snprintf(err, errlen, "broker %" PRId32 " does not serve DescribeLogDirs", b->id);
        tool_wire_close(&w);
        return -1;
    }
    fr_describe_log_dirs_request_t req;
    fr_describe_log_dirs_request_init(&req);
    req.topics = NULL;
    req.topics_count = -1; /* every topic; --topic-list filters here, as Kafka's tool does */
    fr_arena_t arena;
    fr_arena_init(&arena, 4096);
    void *resp;
    int rc = tool_wire_call(&w, FR_API_DESCRIBE_LOG_DIRS, v, &req, &arena, &resp, err, errlen);
    tool_wire_close(&w);
    if (rc == 0) {
        fr_describe_log_dirs_response_t *r = resp;
        json_t *dirs = json_array();
        for (int32_t i = 0; i < r->results_count; i++) {
            fr_describe_log_dirs_response_describe_log_dirs_result_t *d = &r->results[i];
            json_t *parts = json_array();
            for (int32_t t = 0; t < d->topics_count; t++) {
                fr_describe_log_dirs_response_describe_log_dirs_topic_t *dt = &d->topics[t];
                if (!in_list(topics, dt->name))
                    continue;
                for (int32_t p = 0; p < dt->partitions_count; p++) {
                    fr_describe_log_dirs_response_describe_log_dirs_partition_t *dp = &dt->partitions[p];
                    char name[600];
                    snprintf(name, sizeof(name), "%.*s-%" PRId32, (int)dt->name.len, (const char *)dt->name.ptr,
                             dp->partition_index);
                    json_array_append_new(parts, json_pack("{s:s, s:I, s:I, s:b}", "partition", name, "size",
                                                           (json_int_t)dp->partition_size, "offsetLag",
                                                           (json_int_t)dp->offset_lag, "isFuture",
                                                           dp->is_future_key ? 1 : 0));
                }
            }
            json_t *dir = json_object();
            json_object_set_new(dir, "logDir", json_stringn((const char *)d->log_dir.ptr, (size_t)d->log_dir.len));
            json_object_set_new(dir, "error", d->error_code ? json_string(error_class(d->error_code)) : json_null());
            json_object_set_new(dir, "partitions", parts);
            json_array_append_new(dirs, dir);
        }
        json_array_append_new(brokers, json_pack("{s:i, s:o}", "broker", (int)b->id, "logDirs", dirs));
    }
    fr_arena_free(&arena);
    return rc;
}

static int describe(const tool_args_t *a) {
    char err[1024];
    static broker_t cluster[MAX_BROKERS], chosen[MAX_BROKERS];
    int n = cluster_brokers(tool_args_value(a, "bootstrap-server"), cluster, MAX_BROKERS, err, sizeof(err));
    if (n < 0)
        return error_exit(err);

    int m = 0;
    const char *list = tool_args_value(a, "broker-list");
    if (!list) {
        memcpy(chosen, cluster, (size_t)n * sizeof(*cluster));
        m = n;
    } else {
        char missing[1024] = "";
        size_t ml = 0;
        for (const char *p = list; *p;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char word[32];
            int64_t id;
            snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) ? len : sizeof(word) - 1), p);
            p = comma ? comma + 1 : p + len;
            if (!*word)
                continue;
            if (tool_parse_i64(word, INT32_MIN, INT32_MAX, &id)) {
                snprintf(err, sizeof(err), "For input string: \"%s\"", word);
                return error_exit(err);
            }
            int found = -1;
            for (int i = 0; i < n; i++)
                if (cluster[i].id == id)
                    found = i;
            int dup = 0;
            for (int i = 0; i < m; i++)
                dup |= chosen[i].id == id;
            if (found >= 0 && !dup && m < MAX_BROKERS)
                chosen[m++] = cluster[found];
            else if (found < 0 && ml < sizeof(missing))
                ml += (size_t)snprintf(missing + ml, sizeof(missing) - ml, "%s%s", ml ? "," : "", word);
        }
        if (ml) {
            char existing[1024] = "";
            size_t el = 0;
            for (int i = 0; i < n && el < sizeof(existing); i++)
                el += (size_t)snprintf(existing + el, sizeof(existing) - el, "%s%" PRId32, i ? "," : "", cluster[i].id);
            printf("ERROR: The given brokers do not exist from --broker-list: %s. Current existent brokers: %s\n",
                   missing, existing);
            return 0;
        }
    }

    printf("Querying brokers for log directories information\n");
    fflush(stdout);
    json_t *brokers = json_array();
    int rc = 0;
    for (int i = 0; i < m && rc == 0; i++)
        rc = describe_broker(&chosen[i], tool_args_value(a, "topic-list"), brokers, err, sizeof(err));
    if (rc) {
        json_decref(brokers);
        return error_exit(err);
    }
    printf("Received log directory information from brokers ");
    for (int i = 0; i < m; i++)
        printf("%s%" PRId32, i ? "," : "", chosen[i].id);
    printf("\n");
    json_t *root = json_pack("{s:i, s:o}", "version", 1, "brokers", brokers);
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "");
    free(text);
    json_decref(root);
    fflush(stdout);
    return 0;
}

int fr_cmd_log_dirs(int argc, char **argv) {
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
                          : !tool_args_has(&a, "describe")       ? "describe"
                                                                 : NULL;
    if (missing) {
        snprintf(err, sizeof(err), "Missing required argument \"[%s]\"", missing);
        tool_args_free(&a);
        return usage_error(err);
    }
    if (tool_args_has(&a, "command-config"))
        fprintf(stderr, "Warning: --command-config is ignored: this tool connects to the brokers in plaintext, "
                        "without a client configuration\n");
    int rc = describe(&a);
    tool_args_free(&a);
    return rc;
}
