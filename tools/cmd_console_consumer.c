/*
 * freshet console-consumer — kafka-console-consumer.sh: prints records to stdout.
 *
 * Flags, checks and messages follow Kafka 3.x's ConsoleConsumer; records are
 * printed by Kafka's DefaultMessageFormatter (see tool_format.h).
 *
 * Two ways to consume:
 *   - with a group (--group, or group.id in --consumer.config/--consumer-property):
 *     subscribe, as Kafka does; this needs the broker's group coordinator.
 *   - without a group (the default): no coordinator is needed.  Kafka would
 *     subscribe with a throw-away group; here every partition of the topic
 *     (or of every topic matching --include) is assigned directly, starting at
 *     the end (or the beginning with --from-beginning or
 *     auto.offset.reset=earliest).  Metadata is re-read every few seconds, so a
 *     topic that does not exist yet, or that gains partitions, is picked up.
 *     With --partition only that partition is assigned, at --offset.
 *     librdkafka only assigns with a group.id, so a throw-away
 *     "console-consumer-NNNNN" is set as Kafka does; nothing is committed under
 *     it, and librdkafka only looks its coordinator up (without waiting on it)
 *     when the broker advertises FindCoordinator.
 *
 * At exit "Processed a total of N messages" goes to stderr.  Exit codes: 0
 * after --max-messages, --timeout-ms or end of output; 1 for bad usage or a
 * fatal client error; 128+signal on SIGINT/SIGTERM (as the JVM does).
 */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_fetch_nudge.h"
#include "tool_format.h"

#define COMPONENT "console-consumer"

/* How often the no-group mode re-reads metadata to find new topics/partitions. */
#define METADATA_REFRESH_MS 5000

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to",
     "REQUIRED: The server(s) to connect to."},
    {"topic", TOOL_ARG, "String: topic", "The topic to consume on."},
    {"include", TOOL_ARG, "String: Java regex (String)",
     "Regular expression specifying list of topics to include for consumption."},
    {"whitelist", TOOL_ARG, "String: Java regex (String)",
     "DEPRECATED, use --include instead; ignored if --include specified. Regular expression "
     "specifying list of topics to include for consumption."},
    {"partition", TOOL_ARG, "Integer: partition",
     "The partition to consume from. Consumption starts from the end of the partition unless "
     "'--offset' is specified."},
    {"offset", TOOL_ARG, "String: consume offset",
     "The offset to consume from (a non-negative number), or 'earliest' which means from "
     "beginning, or 'latest' which means from end (default: latest)"},
    {"consumer-property", TOOL_LIST, "String: consumer_prop",
     "A mechanism to pass user-defined properties in the form key=value to the consumer."},
    {"consumer.config", TOOL_ARG, "String: config file",
     "Consumer config properties file. Note that --consumer-property takes precedence over this "
     "config."},
    {"formatter", TOOL_ARG, "String: class",
     "The name of a class to use for formatting kafka messages for display. Only "
     "kafka.tools.DefaultMessageFormatter is supported. (default: "
     "kafka.tools.DefaultMessageFormatter)"},
    {"formatter-config", TOOL_ARG, "String: config file",
     "Config properties file to initialize the message formatter. Note that --property takes "
     "precedence over this config."},
    {"property", TOOL_LIST, "String: prop",
     "The properties to initialize the message formatter. Default properties include:\n "
     "print.timestamp=true|false\n print.key=true|false\n print.offset=true|false\n "
     "print.partition=true|false\n print.headers=true|false\n print.value=true|false\n "
     "key.separator=<key.separator>\n line.separator=<line.separator>\n "
     "headers.separator=<line.separator>\n null.literal=<null.literal>"},
    {"from-beginning", TOOL_FLAG, NULL,
     "If the consumer does not already have an established offset to consume from, start with "
     "the earliest message present in the log rather than the latest message."},
    {"max-messages", TOOL_ARG, "Integer: num_messages",
     "The maximum number of messages to consume before exiting. If not set, consumption is "
     "continual."},
    {"timeout-ms", TOOL_ARG, "Integer: timeout_ms",
     "If specified, exit if no message is available for consumption for the specified interval."},
    {"skip-message-on-error", TOOL_FLAG, NULL,
     "If there is an error when processing a message, skip it instead of halt. (No effect: "
     "records are printed as their bytes and cannot fail to deserialize.)"},
    {"key-deserializer", TOOL_ARG, "String: deserializer for key",
     "Ignored: keys are printed as their bytes."},
    {"value-deserializer", TOOL_ARG, "String: deserializer for values",
     "Ignored: values are printed as their bytes."},
    {"enable-systest-events", TOOL_FLAG, NULL, "Not supported: an error."},
    {"isolation-level", TOOL_ARG, "String",
     "Set to read_committed in order to filter out transactional messages which are not "
     "committed. Set to read_uncommitted to read all messages. (default: read_uncommitted)"},
    {"group", TOOL_ARG, "String: consumer group id",
     "The consumer group id of the consumer. Without it no group is used: every partition is "
     "assigned directly."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char summary[] =
    "This tool helps to read data from Kafka topics and outputs it to standard output.";

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, summary, opts, NOPTS);
    return 1;
}

/* Everything the checks decide before a client exists. */
typedef struct consumer_cfg {
    const char *topic;   /* --topic, or NULL */
    char *include;       /* tool_include_regex() of --include/--whitelist, or NULL (owned) */
    int32_t partition;   /* -1: all partitions */
    int64_t offset;      /* RD_KAFKA_OFFSET_BEGINNING/END or an absolute offset */
    int64_t max_messages; /* -1: unlimited */
    int64_t timeout_ms;   /* -1: none */
    bool group_mode;
} consumer_cfg_t;

static bool is_internal_topic(const char *t) {
    return strcmp(t, "__consumer_offsets") == 0 || strcmp(t, "__transaction_state") == 0;
}

/* The checks of Kafka's ConsoleConsumer.ConsumerConfig.  Returns 0, or the exit code. */
static int check_args(const tool_args_t *a, consumer_cfg_t *cfg) {
    char msg[512];
    memset(cfg, 0, sizeof(*cfg));
    cfg->partition = -1;
    cfg->max_messages = -1;
    cfg->timeout_ms = -1;
    cfg->topic = tool_args_value(a, "topic");

    int topic_opts = tool_args_has(a, "topic") + tool_args_has(a, "include") + tool_args_has(a, "whitelist");
    if (topic_opts != 1)
        return usage_error(tool_args_has(a, "whitelist")
                               ? "Exactly one of --include/--topic is required. --whitelist has been "
                                 "deprecated and will be removed in a future Kafka release"
                               : "Exactly one of --include/--topic is required. ");
    const char *inc = tool_args_value(a, "include");
    if (!inc)
        inc = tool_args_value(a, "whitelist");
    if (inc) {
        cfg->include = tool_include_regex(inc);
        regex_t re;
        if (!cfg->include || regcomp(&re, cfg->include, REG_EXTENDED | REG_NOSUB) != 0) {
            snprintf(msg, sizeof(msg), "Invalid regular expression for --include: %s", inc);
            return usage_error(msg);
        }
        regfree(&re);
    }

    const char *p = tool_args_value(a, "partition");
    int64_t v;
    if (p) {
        if (tool_parse_i64(p, 0, INT32_MAX, &v) != 0) {
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option partition", p);
            return usage_error(msg);
        }
        cfg->partition = (int32_t)v;
        if (!cfg->topic)
            return usage_error("The topic is required when partition is specified.");
        if (tool_args_has(a, "from-beginning") && tool_args_has(a, "offset"))
            return usage_error("Options from-beginning and offset cannot be specified together.");
    } else if (tool_args_has(a, "offset")) {
        return usage_error("The partition is required when offset is specified.");
    }

    const char *off = tool_args_value(a, "offset");
    if (off) {
        if (strcasecmp(off, "earliest") == 0)
            cfg->offset = RD_KAFKA_OFFSET_BEGINNING;
        else if (strcasecmp(off, "latest") == 0)
            cfg->offset = RD_KAFKA_OFFSET_END;
        else if (tool_parse_i64(off, 0, INT64_MAX, &cfg->offset) != 0) {
            snprintf(msg, sizeof(msg),
                     "The provided offset value '%s' is incorrect. Valid values are 'earliest', "
                     "'latest', or a non-negative long.",
                     off);
            return usage_error(msg);
        }
    } else {
        cfg->offset = tool_args_has(a, "from-beginning") ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }

    const struct {
        const char *name;
        int64_t *out;
    } nums[] = {{"max-messages", &cfg->max_messages}, {"timeout-ms", &cfg->timeout_ms}};
    for (size_t i = 0; i < 2; i++) {
        const char *s = tool_args_value(a, nums[i].name);
        if (s && tool_parse_i64(s, INT32_MIN, INT32_MAX, nums[i].out) != 0) {
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option %s", s, nums[i].name);
            return usage_error(msg);
        }
    }
    if (!tool_args_has(a, "bootstrap-server"))
        return usage_error("Missing required argument \"[bootstrap-server]\"");

    const char *fmt = tool_args_value(a, "formatter");
    if (fmt && strcmp(fmt, "kafka.tools.DefaultMessageFormatter") != 0 &&
        strcmp(fmt, "org.apache.kafka.tools.consumer.DefaultMessageFormatter") != 0) {
        fprintf(stderr, "Unsupported --formatter %s: only kafka.tools.DefaultMessageFormatter is supported\n",
                fmt);
        return 1;
    }
    if (tool_args_has(a, "enable-systest-events")) {
        fprintf(stderr, "--enable-systest-events is not supported\n");
        return 1;
    }
    const char *iso = tool_args_value(a, "isolation-level");
    if (iso && strcmp(iso, "read_committed") != 0 && strcmp(iso, "read_uncommitted") != 0) {
        snprintf(msg, sizeof(msg), "Invalid value %s for option isolation-level", iso);
        return usage_error(msg);
    }
    return 0;
}

/* Builds the consumer properties with Kafka's group and offset-reset rules.
 * Returns 0 or the exit code (message printed). */
static int build_props(const tool_args_t *a, consumer_cfg_t *cfg, fr_props_t *props) {
    char err[1024];
    fr_props_t file, extra;
    fr_props_init(&file);
    fr_props_init(&extra);
    int rc = 1;
    const char *path = tool_args_value(a, "consumer.config");
    if ((path && tool_props_load_file(&file, path, err, sizeof(err)) != 0) ||
        tool_props_add_kvs(&extra, a, "consumer-property", err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }

    /* A group id given in several places must be the same everywhere. */
    const char *groups[3] = {tool_args_value(a, "group"), fr_props_get(&file, "group.id"),
                             fr_props_get(&extra, "group.id")};
    const char *group = NULL;
    char detected[512] = "";
    bool conflict = false;
    for (int i = 0; i < 3; i++) {
        if (!groups[i])
            continue;
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= groups[j] && strcmp(groups[j], groups[i]) == 0;
        if (dup)
            continue;
        size_t used = strlen(detected);
        snprintf(detected + used, sizeof(detected) - used, "%s'%s'", used ? ", " : "", groups[i]);
        if (group)
            conflict = true;
        group = groups[i];
    }
    if (conflict) {
        char msg[768];
        snprintf(msg, sizeof(msg),
                 "The group ids provided in different places (directly using '--group', via "
                 "'--consumer-property', or via '--consumer.config') do not match. Detected group "
                 "ids: %s",
                 detected);
        rc = usage_error(msg);
        goto out;
    }
    cfg->group_mode = group != NULL;
    if (cfg->group_mode && cfg->partition >= 0) {
        rc = usage_error("Options group and partition cannot be specified together.");
        goto out;
    }

    if (fr_props_set(props, "client.id", "console-consumer") != 0 ||
        /* end-of-partition events are not printed; they tell the fetch nudge
         * which partitions are caught up (tool_fetch_nudge.h) */
        fr_props_set(props, "enable.partition.eof", "true") != 0 ||
        tool_props_merge(props, &file) != 0 || tool_props_merge(props, &extra) != 0)
        goto nomem;

    if (group) {
        if (fr_props_set(props, "group.id", group) != 0)
            goto nomem;
    } else {
        /* librdkafka needs a group id to assign partitions; as in Kafka it is a
         * throw-away one, and nothing is committed under it. */
        char g[64];
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        snprintf(g, sizeof(g), "console-consumer-%d", rand() % 100000);
        if (fr_props_set(props, "group.id", g) != 0 ||
            tool_props_default(props, "enable.auto.commit", "false") != 0 ||
            fr_props_set(props, "enable.auto.offset.store", "false") != 0)
            goto nomem;
    }

    const char *reset = fr_props_get(props, "auto.offset.reset");
    if (reset) {
        if (tool_args_has(a, "from-beginning") && strcmp(reset, "earliest") != 0) {
            fprintf(stderr,
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', "
                    "please remove one option\n",
                    reset);
            goto out;
        }
        /* Without a group there is nothing committed: the reset policy is where to start. */
        if (!cfg->group_mode && cfg->partition < 0)
            cfg->offset = (strcmp(reset, "earliest") == 0 || strcmp(reset, "smallest") == 0 ||
                           strcmp(reset, "beginning") == 0)
                              ? RD_KAFKA_OFFSET_BEGINNING
                              : RD_KAFKA_OFFSET_END;
    } else if (fr_props_set(props, "auto.offset.reset",
                            tool_args_has(a, "from-beginning") ? "earliest" : "latest") != 0) {
        goto nomem;
    }

    const char *iso = tool_args_value(a, "isolation-level");
    if (iso ? fr_props_set(props, "isolation.level", iso) != 0
            : tool_props_default(props, "isolation.level", "read_uncommitted") != 0)
        goto nomem;
    if (fr_props_set(props, "bootstrap.servers", tool_args_value(a, "bootstrap-server")) != 0)
        goto nomem;
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "out of memory\n");
out:
    fr_props_free(&file);
    fr_props_free(&extra);
    return rc;
}

/* Formatter properties: --formatter-config, then --property. */
static int build_formatter(const tool_args_t *a, tool_formatter_t *f) {
    char err[1024];
    fr_props_t props;
    fr_props_init(&props);
    const char *path = tool_args_value(a, "formatter-config");
    int rc = 1;
    if ((path && tool_props_load_file(&props, path, err, sizeof(err)) != 0) ||
        tool_props_add_kvs(&props, a, "property", err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
    } else if (tool_formatter_init(f, &props) != 0) {
        fprintf(stderr, "out of memory\n");
    } else {
        rc = 0;
    }
    fr_props_free(&props);
    return rc;
}

/* ---- the no-group mode: direct assignment of every partition ---- */

typedef struct assigner {
    const consumer_cfg_t *cfg;
    regex_t re; /* for --include */
    bool have_re;
    rd_kafka_topic_partition_list_t *assigned; /* what is assigned so far */
    int64_t next_refresh_ms;
    bool warned_missing;
} assigner_t;

static bool assigner_wants(const assigner_t *as, const char *topic) {
    if (as->cfg->topic)
        return strcmp(topic, as->cfg->topic) == 0;
    return !is_internal_topic(topic) && regexec(&as->re, topic, 0, NULL, 0) == 0;
}

/*
 * Turns the logical start (RD_KAFKA_OFFSET_BEGINNING or END) of every
 * partition in parts into its log's offset, asked of the broker at once.
 * Left to librdkafka, a logical offset races the partition's leader lookup
 * and waits out a 500 ms retry: 0.5 s before the first record with
 * --partition, 1 s with --from-beginning over three partitions.  When the lookup fails the logical offsets stay,
 * and librdkafka resolves them itself.
 */
static void resolve_start(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, int64_t start) {
    if ((start != RD_KAFKA_OFFSET_BEGINNING && start != RD_KAFKA_OFFSET_END) || parts->cnt == 0)
        return;
    rd_kafka_resp_err_t err = tool_log_offsets(rk, parts, start, 5000);
    if (err)
        fr_debug(COMPONENT, "Could not look up where the partitions start (%s); librdkafka will",
                 rd_kafka_err2str(err));
}

/*
 * Reads metadata and assigns the partitions not assigned yet.  Transient
 * failures (broker not reachable, topic not there yet) only delay; returns -1
 * only when the assignment itself is refused (reported).
 */
static int assigner_refresh(rd_kafka_t *rk, assigner_t *as) {
    as->next_refresh_ms = tool_now_ms() + METADATA_REFRESH_MS;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
    if (err) {
        fr_debug(COMPONENT, "Could not fetch metadata: %s", rd_kafka_err2str(err));
        as->next_refresh_ms = tool_now_ms() + 1000;
        return 0;
    }
    rd_kafka_topic_partition_list_t *add = rd_kafka_topic_partition_list_new(8);
    bool found = false;
    for (int t = 0; t < md->topic_cnt; t++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[t];
        if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || !assigner_wants(as, mt->topic))
            continue;
        found = true;
        for (int p = 0; p < mt->partition_cnt; p++) {
            int32_t id = mt->partitions[p].id;
            if (rd_kafka_topic_partition_list_find(as->assigned, mt->topic, id))
                continue;
            rd_kafka_topic_partition_list_add(add, mt->topic, id)->offset = as->cfg->offset;
            rd_kafka_topic_partition_list_add(as->assigned, mt->topic, id);
        }
    }
    rd_kafka_metadata_destroy(md);
    if (!found) {
        if (!as->warned_missing && as->cfg->topic)
            fr_warn(COMPONENT, "Topic %s does not exist yet; waiting for it", as->cfg->topic);
        as->warned_missing = true;
        as->next_refresh_ms = tool_now_ms() + 1000;
    }
    int rc = 0;
    if (add->cnt > 0) {
        resolve_start(rk, add, as->cfg->offset);
        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, add);
        if (e) {
            fr_error(COMPONENT, "Could not assign partitions: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            rc = -1;
        }
    }
    rd_kafka_topic_partition_list_destroy(add);
    return rc;
}

/* ---- consuming ---- */

/* Prints one record; returns 0, or -1 when stdout is gone. */
static int print_record(const tool_formatter_t *f, const rd_kafka_message_t *m, tool_header_t **hbuf,
                        size_t *hcap) {
    tool_record_t r = {
        .partition = m->partition,
        .offset = m->offset,
        .key = m->key,
        .key_len = m->key_len,
        .value = m->payload,
        .value_len = m->len,
    };
    rd_kafka_timestamp_type_t tstype;
    r.timestamp = rd_kafka_message_timestamp(m, &tstype);
    r.ts_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? TOOL_TS_CREATE_TIME
                : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? TOOL_TS_LOG_APPEND_TIME
                                                               : TOOL_TS_NONE;
    rd_kafka_headers_t *hdrs = NULL;
    if (f->print_headers && rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        size_t n = rd_kafka_header_cnt(hdrs);
        if (n > *hcap) {
            tool_header_t *nb = realloc(*hbuf, n * sizeof(*nb));
            if (!nb)
                return -1;
            *hbuf = nb;
            *hcap = n;
        }
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; i < n && rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == 0; i++) {
            (*hbuf)[i] = (tool_header_t){name, strlen(name), val, size};
            r.header_count = i + 1;
        }
        r.headers = *hbuf;
    }
    return tool_formatter_write(f, &r, stdout);
}

/* True for consumer errors that only mean "not yet" (the Java consumer just waits). */
static bool transient_error(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
        return true;
    default:
        return false;
    }
}

/* The poll loop.  Returns the exit code; *count is the number of records printed. */
static int consume(rd_kafka_t *rk, const consumer_cfg_t *cfg, assigner_t *as,
                   const tool_formatter_t *f, long *count) {
    tool_header_t *hbuf = NULL;
    size_t hcap = 0;
    int rc = 0;
    tool_nudge_t nudge = {0};
    int64_t last_record = tool_now_ms();
    while (!tool_signal && (cfg->max_messages < 0 || *count < cfg->max_messages)) {
        if (as && tool_now_ms() >= as->next_refresh_ms && assigner_refresh(rk, as) != 0) {
            rc = 1;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 0);
        if (!m) {
            fflush(stdout); /* about to wait: show what was printed */
            if (ferror(stdout)) {
                fprintf(stderr, "Unable to write to standard out, closing consumer.\n");
                break;
            }
            tool_nudge_idle(&nudge, rk);
            m = rd_kafka_consumer_poll(rk, 100);
        }
        if (!m) {
            if (cfg->timeout_ms >= 0 && tool_now_ms() - last_record >= cfg->timeout_ms)
                break;
            continue;
        }
        tool_nudge_note(&nudge, m);
        if (m->err) {
            rd_kafka_resp_err_t err = m->err;
            char buf[512];
            if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, buf, sizeof(buf));
                fr_error(COMPONENT, "Error processing message, terminating consumer process: %s: %s",
                         rd_kafka_err2name(ferr), buf);
                rd_kafka_message_destroy(m);
                rc = 1;
                break;
            }
            if (err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fr_warn(COMPONENT, "%s%s", transient_error(err) ? "" : "Consumer error: ",
                        rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        last_record = tool_now_ms();
        int w = print_record(f, m, &hbuf, &hcap);
        rd_kafka_message_destroy(m);
        if (w != 0) {
            fprintf(stderr, "Unable to write to standard out, closing consumer.\n");
            break;
        }
        (*count)++;
    }
    fflush(stdout);
    free(hbuf);
    tool_nudge_free(&nudge);
    return rc;
}

int fr_cmd_console_consumer(int argc, char **argv) {
    tool_logging_init();
    tool_args_t a;
    char err[1024];
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (argc < 2 || tool_args_has(&a, "help")) {
        tool_usage(argc < 2 ? stderr : stdout, summary, opts, NOPTS);
        tool_args_free(&a);
        return argc < 2 ? 1 : 0;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;

    consumer_cfg_t cfg;
    fr_props_t props;
    fr_props_init(&props);
    tool_formatter_t fmt = {0};
    assigner_t as = {.cfg = &cfg};
    rd_kafka_t *rk = NULL;
    long count = 0;
    int rc = check_args(&a, &cfg);
    if (rc != 0)
        goto out;
    if ((rc = build_props(&a, &cfg, &props)) != 0 || (rc = build_formatter(&a, &fmt)) != 0)
        goto out;
    rc = 1;
    for (int i = 0; i < 2; i++) {
        const char *d = tool_args_value(&a, i ? "value-deserializer" : "key-deserializer");
        if (d && !strstr(d, "StringDeserializer") && !strstr(d, "ByteArrayDeserializer"))
            fr_warn(COMPONENT, "Ignoring %s: records are printed as their bytes", d);
    }

    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "Failed to create the consumer: %s\n", err);
        goto out;
    }
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    assigner_t *assigner = NULL;
    if (cfg.group_mode) {
        rd_kafka_topic_partition_list_add(tp, cfg.topic ? cfg.topic : cfg.include, RD_KAFKA_PARTITION_UA);
        kerr = rd_kafka_subscribe(rk, tp);
    } else if (cfg.partition >= 0) {
        rd_kafka_topic_partition_list_add(tp, cfg.topic, cfg.partition)->offset = cfg.offset;
        resolve_start(rk, tp, cfg.offset);
        kerr = rd_kafka_assign(rk, tp);
    } else {
        assigner = &as;
        as.assigned = rd_kafka_topic_partition_list_new(8);
        as.have_re = cfg.include && regcomp(&as.re, cfg.include, REG_EXTENDED | REG_NOSUB) == 0;
    }
    rd_kafka_topic_partition_list_destroy(tp);
    if (kerr) {
        fprintf(stderr, "Could not %s: %s\n", cfg.group_mode ? "subscribe" : "assign the partition",
                rd_kafka_err2str(kerr));
        goto out;
    }

    tool_signals_install();
    rc = consume(rk, &cfg, assigner, &fmt, &count);
    if (tool_signal)
        rc = 128 + tool_signal;
    rd_kafka_consumer_close(rk);

out:
    if (rk) {
        rd_kafka_destroy(rk);
        fprintf(stderr, "Processed a total of %ld messages\n", count);
    }
    if (as.assigned)
        rd_kafka_topic_partition_list_destroy(as.assigned);
    if (as.have_re)
        regfree(&as.re);
    free(cfg.include);
    tool_formatter_free(&fmt);
    fr_props_free(&props);
    tool_args_free(&a);
    return rc;
}
