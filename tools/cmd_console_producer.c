/*
 * freshet console-producer — kafka-console-producer.sh: reads lines from
 * stdin and produces each one as a record.
 *
 * Flags, defaults and line parsing follow Kafka 3.x's ConsoleProducer and
 * LineMessageReader (see tool_reader.h).  Producer settings are layered as in
 * Kafka: the flags' defaults, then --producer.config, then --producer-property,
 * then the flags given explicitly, then --bootstrap-server.  Keyed records go
 * to the partition the Java client would choose (partitioner=murmur2_random).
 *
 * Every failed delivery is logged on stderr as the Java client logs it
 * ("Error when sending message to topic T with key: 3 bytes, value: 5 bytes
 * with error: ..."); unlike Kafka, any failure makes the exit code 1.
 * At EOF the producer waits for every record's delivery report.
 * Exit codes: 0 all delivered, 1 bad usage / bad input line / a delivery
 * failed, 128+signal when interrupted (records already read are still flushed).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_reader.h"

#define COMPONENT "console-producer"

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to",
     "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The "
     "broker list string in the form HOST1:PORT1,HOST2:PORT2."},
    {"broker-list", TOOL_ARG, "String: broker-list",
     "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The "
     "broker list string in the form HOST1:PORT1,HOST2:PORT2."},
    {"topic", TOOL_ARG, "String: topic", "REQUIRED: The topic id to produce messages to."},
    {"sync", TOOL_FLAG, NULL,
     "If set message send requests to the brokers are synchronously, one at a time as they arrive."},
    {"compression-codec", TOOL_OPTIONAL_ARG, "String: compression-codec",
     "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified "
     "without value, then it defaults to 'gzip'"},
    {"batch-size", TOOL_ARG, "Integer: size",
     "Number of messages to send in a single batch if they are not being sent synchronously. "
     "please note that this option will be replaced if max-partition-memory-bytes is also set "
     "(default: 16384)"},
    {"message-send-max-retries", TOOL_ARG, "Integer",
     "This property specifies the number of retries before the producer give up and drop this "
     "message. This is the option to control `retries` in producer configs. (default: 3)"},
    {"retry-backoff-ms", TOOL_ARG, "Long",
     "This is the option to control `retry.backoff.ms` in producer configs. (default: 100)"},
    {"timeout", TOOL_ARG, "Long: timeout_ms",
     "If set and the producer is running in asynchronous mode, this gives the maximum amount of "
     "time a message will queue awaiting sufficient batch size. The value is given in ms. This is "
     "the option to control `linger.ms` in producer configs. (default: 1000)"},
    {"request-required-acks", TOOL_ARG, "String: request required acks",
     "The required `acks` of the producer requests (default: -1)"},
    {"request-timeout-ms", TOOL_ARG, "Integer: request timeout ms",
     "The ack timeout of the producer requests. Value must be non-negative and non-zero. "
     "(default: 1500)"},
    {"metadata-expiry-ms", TOOL_ARG, "Long: metadata expiration interval",
     "The period of time in milliseconds after which we force a refresh of metadata even if we "
     "haven't seen any leadership changes. This is the option to control `metadata.max.age.ms` "
     "in producer configs. (default: 300000)"},
    {"max-block-ms", TOOL_ARG, "Long: max block on send",
     "The max time that the producer will block for during a send request. (default: 60000)"},
    {"max-memory-bytes", TOOL_ARG, "Long: total memory in bytes",
     "The total memory used by the producer to buffer records waiting to be sent to the server. "
     "This is the option to control `buffer.memory` in producer configs. (default: 33554432)"},
    {"max-partition-memory-bytes", TOOL_ARG, "Integer: memory in bytes per partition",
     "The buffer size allocated for a partition. This is the option to control `batch.size` in "
     "producer configs. (default: 16384)"},
    {"socket-buffer-size", TOOL_ARG, "Integer: size",
     "The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in "
     "producer configs. (default: 102400)"},
    {"line-reader", TOOL_ARG, "String: reader_class",
     "The class name of the class to use for reading lines from standard in. Only the default, "
     "kafka.tools.LineMessageReader (line per message), is supported."},
    {"property", TOOL_LIST, "String: prop",
     "A mechanism to pass user-defined properties in the form key=value to the message reader. "
     "Default properties include:\n parse.key=false\n parse.headers=false\n ignore.error=false\n "
     "key.separator=\\t\n headers.delimiter=\\t\n headers.separator=,\n headers.key.separator=:\n "
     "null.marker=   When set, any fields (key, value and headers) equal to this will be "
     "replaced by null\nDefault parsing pattern when:\n parse.headers=true and parse.key=true:\n "
     " \"h1:v1,h2:v2...\\tkey\\tvalue\"\n parse.key=true:\n  \"key\\tvalue\"\n "
     "parse.headers=true:\n  \"h1:v1,h2:v2...\\tvalue\""},
    {"reader-config", TOOL_ARG, "String: config file",
     "Config properties file for the message reader. Note that --property takes precedence over "
     "this config."},
    {"producer-property", TOOL_LIST, "String: producer_prop",
     "A mechanism to pass user-defined properties in the form key=value to the producer."},
    {"producer.config", TOOL_ARG, "String: config file",
     "Producer config properties file. Note that --producer-property takes precedence over this "
     "config."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char summary[] =
    "This tool helps to read data from standard input and publish it to Kafka.";

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, summary, opts, NOPTS);
    return 1;
}

/* Flags that set a producer property, with Kafka's defaults (maybeMergeOptions). */
static const struct {
    const char *flag, *property, *dflt;
} flag_props[] = {
    {"timeout", "linger.ms", "1000"},
    {"request-required-acks", "acks", "-1"},
    {"request-timeout-ms", "request.timeout.ms", "1500"},
    {"message-send-max-retries", "retries", "3"},
    {"retry-backoff-ms", "retry.backoff.ms", "100"},
    {"socket-buffer-size", "send.buffer.bytes", "102400"},
    {"max-memory-bytes", "buffer.memory", "33554432"},
    {"batch-size", "batch.size", "16384"},
    {"max-partition-memory-bytes", "batch.size", "16384"},
    {"metadata-expiry-ms", "metadata.max.age.ms", "300000"},
    {"max-block-ms", "max.block.ms", "60000"},
};

/* What the delivery report callback counts. */
typedef struct producer_state {
    const char *topic;
    long delivered, failed;
    bool topic_known;  /* its partitions have been seen in metadata */
} producer_state_t;

/* Counts and logs one record that failed, in ErrorLoggingCallback's words. */
static void report_failure(producer_state_t *st, const void *k, size_t klen, const void *v, size_t vlen,
                           const char *why) {
    st->failed++;
    char key[32], value[32];
    if (k)
        snprintf(key, sizeof(key), "%zu bytes", klen);
    else
        snprintf(key, sizeof(key), "null");
    if (v)
        snprintf(value, sizeof(value), "%zu bytes", vlen);
    else
        snprintf(value, sizeof(value), "null");
    fr_error(COMPONENT, "Error when sending message to topic %s with key: %s, value: %s with error: %s",
             st->topic, key, value, why);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    producer_state_t *st = opaque;
    if (!m->err)
        st->delivered++;
    else
        report_failure(st, m->key, m->key_len, m->payload, m->len, rd_kafka_err2str(m->err));
}

/*
 * Kafka's send() first waits up to max.block.ms for the topic's partitions
 * (KafkaProducer.waitOnMetadata), and the record fails when they do not come:
 * with no broker reachable each line costs max.block.ms, not librdkafka's
 * five-minute message timeout.  Once seen, the topic is not asked about
 * again.  Returns true when the record may be sent.
 */
static bool topic_ready(rd_kafka_t *rk, producer_state_t *st, int64_t max_block_ms) {
    if (st->topic_known)
        return true;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, st->topic, NULL);
    int64_t deadline = tool_now_ms() + max_block_ms;
    while (rkt && !tool_signal) {
        const struct rd_kafka_metadata *md = NULL;
        int64_t left = deadline - tool_now_ms();
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, (int)(left > 0 ? (left < 1000 ? left : 1000) : 1));
        st->topic_known = !err && md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (st->topic_known || tool_now_ms() >= deadline)
            break;
        rd_kafka_poll(rk, 100); /* a topic being auto-created: ask again */
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return st->topic_known;
}

/* Kafka's Utils.getPort pattern, whole: [scheme://][\[]host[\]]:port. */
static bool host_port_valid(const char *s, size_t n) {
    const char *end = s + n, *p = s;
    const char *scheme = memmem(s, n, "://", 3);
    if (scheme) {
        for (const char *q = s; q < scheme; q++)
            if (!isalnum((unsigned char)*q) && !strchr("-%._", *q))
                return false;
        p = scheme + 3;
    }
    const char *colon = NULL;
    for (const char *q = end; q > p; q--)
        if (q[-1] == ':') {
            colon = q - 1;
            break;
        }
    if (!colon || colon + 1 == end)
        return false;
    for (const char *q = colon + 1; q < end; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    if (p < colon && *p == '[')
        p++;
    const char *host_end = colon > p && colon[-1] == ']' ? colon - 1 : colon;
    for (const char *q = p; q < host_end; q++)
        if (!isalnum((unsigned char)*q) && !strchr("-%._:", *q))
            return false;
    return true;
}

/* ToolsUtils.validateBootstrapServer: every comma-separated entry a host:port. */
static const char *bootstrap_invalid(const char *list) {
    size_t len = strlen(list), blank = strspn(list, " \t");
    if (blank == len)
        return "Error while validating the bootstrap address\n";
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!host_port_valid(p, n))
            return "Please provide valid host:port like host1:9091,host2:9092\n";
        if (!comma)
            return NULL;
        p = comma + 1;
    }
}

/* Builds the layered producer properties.  Returns 0 or -1 with a message. */
static int build_props(const tool_args_t *a, fr_props_t *props, char *err, size_t errlen) {
    for (size_t i = 0; i < sizeof(flag_props) / sizeof(flag_props[0]); i++)
        if (tool_props_default(props, flag_props[i].property, flag_props[i].dflt) != 0)
            goto nomem;
    if (fr_props_set(props, "client.id", "console-producer") != 0 ||
        fr_props_set(props, "partitioner", "murmur2_random") != 0)
        goto nomem;

    const char *file = tool_args_value(a, "producer.config");
    if (file && tool_props_load_file(props, file, err, errlen) != 0)
        return -1;
    if (tool_props_add_kvs(props, a, "producer-property", err, errlen) != 0)
        return -1;

    for (size_t i = 0; i < sizeof(flag_props) / sizeof(flag_props[0]); i++) {
        const char *v = tool_args_value(a, flag_props[i].flag);
        if (v && fr_props_set(props, flag_props[i].property, v) != 0)
            goto nomem;
    }
    /* ConsoleProducer sets compression.type last, from --compression-codec
     * alone: "none" without it, whatever --producer-property says */
    const char *codec = tool_args_has(a, "compression-codec") ? tool_args_value(a, "compression-codec") : "none";
    if (fr_props_set(props, "compression.type", codec && *codec ? codec : "gzip") != 0)
        goto nomem;
    const char *bootstrap = tool_args_value(a, "bootstrap-server");
    if (!bootstrap)
        bootstrap = tool_args_value(a, "broker-list");
    if (fr_props_set(props, "bootstrap.servers", bootstrap) != 0)
        goto nomem;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Reader properties: --reader-config, then "topic", then --property. */
static int build_reader_props(const tool_args_t *a, fr_props_t *props, char *err, size_t errlen) {
    const char *file = tool_args_value(a, "reader-config");
    if (file && tool_props_load_file(props, file, err, errlen) != 0)
        return -1;
    if (fr_props_set(props, "topic", tool_args_value(a, "topic")) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return tool_props_add_kvs(props, a, "property", err, errlen);
}

/*
 * Produces one parsed line.  A full queue is waited out for up to
 * max_block_ms (Kafka's max.block.ms).  Returns 0, or -1 for an error that
 * must stop the producer (reported here).
 */
static int produce_line(rd_kafka_t *rk, producer_state_t *st, const tool_line_t *l,
                        int64_t max_block_ms) {
    rd_kafka_headers_t *hdrs = NULL;
    int64_t deadline = tool_now_ms() + max_block_ms;
    if (!topic_ready(rk, st, max_block_ms)) {
        char why[320];
        snprintf(why, sizeof(why), "org.apache.kafka.common.errors.TimeoutException: Topic %s not present in "
                 "metadata after %" PRId64 " ms.", st->topic, max_block_ms);
        report_failure(st, l->key, l->key_len, l->value, l->value_len, why);
        return 0;
    }
    for (;;) {
        if (l->header_count) {
            hdrs = rd_kafka_headers_new(l->header_count);
            for (size_t i = 0; i < l->header_count; i++)
                rd_kafka_header_add(hdrs, l->headers[i].key, (ssize_t)l->headers[i].key_len,
                                    l->headers[i].value, (ssize_t)l->headers[i].value_len);
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(st->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(l->key, l->key ? l->key_len : 0),
            RD_KAFKA_V_VALUE((void *)l->value, l->value ? l->value_len : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (!err)
            return 0; /* the headers now belong to the message */
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        hdrs = NULL;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && tool_now_ms() < deadline && !tool_signal) {
            rd_kafka_poll(rk, 100);
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fr_error(COMPONENT, "Failed to allocate memory within the configured max blocking time %" PRId64
                                " ms.", max_block_ms);
            return -1;
        }
        /* Refused before sending (e.g. too large): reported like a failed delivery. */
        rd_kafka_message_t m = {.err = err,
                                .key = (void *)l->key,
                                .key_len = l->key_len,
                                .payload = (void *)l->value,
                                .len = l->value_len};
        dr_msg_cb(rk, &m, st);
        return 0;
    }
}

/* Waits until every produced record has a delivery report.  A second signal
 * gives up on whatever is still in flight. */
static void flush_all(rd_kafka_t *rk) {
    int first_signal = tool_signal;
    while (rd_kafka_outq_len(rk) > 0) {
        rd_kafka_flush(rk, 100);
        if (tool_signal && tool_signal != first_signal) {
            rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_poll(rk, 0);
            break;
        }
        first_signal = tool_signal;
    }
}

/* Reads stdin line by line and produces.  Returns 0, or 1 when a line could
 * not be parsed or produced (the error is reported). */
static int read_loop(rd_kafka_t *rk, producer_state_t *st, const tool_line_reader_t *reader,
                     bool sync, int64_t max_block_ms) {
    bool prompt = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    char *buf = NULL;
    size_t cap = 0;
    tool_line_t line = {0};
    int rc = 0;
    for (long lineno = 1; !tool_signal; lineno++) {
        if (prompt) {
            fputc('>', stdout);
            fflush(stdout);
        }
        errno = 0;
        ssize_t n = getline(&buf, &cap, stdin);
        if (n < 0) {
            if (errno == EINTR && !tool_signal) {
                clearerr(stdin);
                lineno--;
                continue;
            }
            if (errno && errno != EINTR) {
                fr_error(COMPONENT, "Error reading standard input: %s", strerror(errno));
                rc = 1;
            }
            break;
        }
        size_t len = (size_t)n;
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
        char err[1024];
        if (tool_line_parse(reader, buf, len, lineno, &line, err, sizeof(err)) != 0) {
            fr_error(COMPONENT, "%s", err);
            rc = 1;
            break;
        }
        if (produce_line(rk, st, &line, max_block_ms) != 0) {
            rc = 1;
            break;
        }
        if (sync)
            flush_all(rk);
        else
            rd_kafka_poll(rk, 0);
    }
    tool_line_free(&line);
    free(buf);
    return rc;
}

int fr_cmd_console_producer(int argc, char **argv) {
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

    int rc = 1;
    fr_props_t props, reader_props;
    fr_props_init(&props);
    fr_props_init(&reader_props);
    tool_line_reader_t reader = {0};
    rd_kafka_t *rk = NULL;
    producer_state_t st = {.topic = tool_args_value(&a, "topic")};

    if (!st.topic) {
        rc = usage_error("Missing required argument \"[topic]\"");
        goto out;
    }
    if (!tool_args_has(&a, "bootstrap-server") && !tool_args_has(&a, "broker-list")) {
        rc = usage_error("Missing required argument \"[bootstrap-server]\"");
        goto out;
    }
    const char *servers = tool_args_value(&a, "bootstrap-server");
    const char *bad_servers = bootstrap_invalid(servers ? servers : tool_args_value(&a, "broker-list"));
    if (bad_servers) {
        rc = usage_error(bad_servers);
        goto out;
    }
    const char *line_reader = tool_args_value(&a, "line-reader");
    if (line_reader && strcmp(line_reader, "kafka.tools.LineMessageReader") != 0 &&
        strcmp(line_reader, "org.apache.kafka.tools.LineMessageReader") != 0) {
        fprintf(stderr, "Unsupported --line-reader %s: only the default LineMessageReader is supported\n",
                line_reader);
        goto out;
    }
    for (size_t i = 0; i < sizeof(flag_props) / sizeof(flag_props[0]); i++) {
        const char *v = tool_args_value(&a, flag_props[i].flag);
        int64_t num;
        if (v && strcmp(flag_props[i].flag, "request-required-acks") != 0 &&
            tool_parse_i64(v, INT32_MIN, INT64_MAX, &num) != 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option %s", v, flag_props[i].flag);
            rc = usage_error(msg);
            goto out;
        }
    }

    if (build_reader_props(&a, &reader_props, err, sizeof(err)) != 0 ||
        tool_line_reader_init(&reader, &reader_props, err, sizeof(err)) != 0 ||
        build_props(&a, &props, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    int64_t max_block_ms = 60000;
    const char *mb = fr_props_get(&props, "max.block.ms");
    if (mb && tool_parse_i64(mb, 0, INT64_MAX, &max_block_ms) != 0) {
        fprintf(stderr, "Invalid value %s for configuration max.block.ms\n", mb);
        goto out;
    }

    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, &st);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "Failed to create the producer: %s\n", err);
        goto out;
    }

    tool_signals_install();
    int read_rc = read_loop(rk, &st, &reader, tool_args_has(&a, "sync"), max_block_ms);
    flush_all(rk);
    fflush(stdout);
    if (tool_signal)
        rc = 128 + tool_signal;
    else
        rc = (read_rc != 0 || st.failed > 0) ? 1 : 0;
    fr_debug(COMPONENT, "delivered %ld, failed %ld", st.delivered, st.failed);

out:
    if (rk)
        rd_kafka_destroy(rk);
    tool_line_reader_free(&reader);
    fr_props_free(&reader_props);
    fr_props_free(&props);
    tool_args_free(&a);
    return rc;
}
