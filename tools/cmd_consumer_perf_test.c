/*
 * freshet consumer-perf-test — kafka-consumer-perf-test.sh (Kafka 3.x's
 * ConsumerPerformance) on librdkafka's high-level consumer.
 *
 *   consumer-perf-test --bootstrap-server H:P --topic T --messages N [--group G]
 *                      [--fetch-size B] [--timeout MS] [--show-detailed-stats]
 *                      [--reporting-interval MS] [--consumer.config F] ...
 *
 * Output is Kafka's: the header
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
 *   nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 * and one line of values; with --show-detailed-stats a line per reporting
 * interval instead ("time, threadId, ..." header).  The run starts before the
 * subscription, so the first group join counts as rebalance time, and ends
 * when N records were read or no record came for --timeout ms (Kafka's
 * WARNING line then says so).  Bytes are key plus value sizes.
 *
 * Properties are layered as Kafka does: --consumer.config, then the tool's
 * settings (group.id, receive.buffer.bytes from --socket-buffer-size,
 * max.partition.fetch.bytes from --fetch-size, auto.offset.reset earliest or
 * latest with --from-latest, check.crcs=false, client.id when unset).
 * Freshet addition: --json prints one JSON line with the final figures.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_perf.h"

#define COMPONENT "consumer-perf-test"

enum { POLL_BATCH = 500 };

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to",
     "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to."},
    {"broker-list", TOOL_ARG, "String: broker-list",
     "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The "
     "broker list string in the form HOST1:PORT1,HOST2:PORT2."},
    {"topic", TOOL_ARG, "String: topic", "REQUIRED: The topic to consume from."},
    {"group", TOOL_ARG, "String: gid", "The group id to consume on. (default: perf-consumer-<random>)"},
    {"fetch-size", TOOL_ARG, "Integer: size",
     "The amount of data to fetch in a single request. (default: 1048576)"},
    {"from-latest", TOOL_FLAG, NULL,
     "If the consumer does not already have an established offset to consume from, start with the "
     "latest message present in the log rather than the earliest message."},
    {"socket-buffer-size", TOOL_ARG, "Integer: size", "The size of the tcp RECV size. (default: 2097152)"},
    {"threads", TOOL_ARG, "Integer: count", "DEPRECATED AND IGNORED: Number of processing threads. (default: 10)"},
    {"num-fetch-threads", TOOL_ARG, "Integer: count",
     "DEPRECATED AND IGNORED: Number of fetcher threads. (default: 1)"},
    {"consumer.config", TOOL_ARG, "String: config file", "Consumer config properties file."},
    {"print-metrics", TOOL_FLAG, NULL, "Print out the metrics."},
    {"show-detailed-stats", TOOL_FLAG, NULL,
     "If set, stats are reported for each reporting interval as configured by reporting-interval"},
    {"timeout", TOOL_ARG, "Long: milliseconds",
     "The maximum allowed time in milliseconds between returned records. (default: 10000)"},
    {"messages", TOOL_ARG, "Long: count", "REQUIRED: The number of messages to send or consume"},
    {"reporting-interval", TOOL_ARG, "Integer: interval_ms",
     "Interval in milliseconds at which to print progress info. (default: 5000)"},
    {"date-format", TOOL_ARG, "String: date format",
     "The date format to use for formatting the time field. See java.text.SimpleDateFormat for "
     "options. (default: yyyy-MM-dd HH:mm:ss:SSS)"},
    {"hide-header", TOOL_FLAG, NULL, "If set, skips printing the header for the stats"},
    {"json", TOOL_FLAG, NULL,
     "(freshet) Also print the final figures as one JSON line."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char summary[] = "This tool helps in performance test for the full zookeeper consumer";

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, summary, opts, NOPTS);
    return 1;
}

typedef struct cperf_state {
    tool_perf_stats_t stats; /* first member: the stats callback's opaque */
    int64_t join_start_ms, join_total_ms, join_round_ms;
    bool from_latest;
} cperf_state_t;

/* The assignment to start from: each partition at its committed offset, or,
 * when it has none, at the log start (or end, with --from-latest) asked of
 * the broker here, as auto.offset.reset would.  Why not leave the reset to
 * librdkafka: 2.0 waits out a 100 ms back-off before the ListOffsets of a
 * partition with no committed offset (its reset path retries "no offset" as an
 * error), and asking for BEGINNING in the assignment instead races the
 * partition's leader lookup and then waits 500 ms.  Every run of this tool
 * starts a fresh group, so each consume figure paid that client sleep (100 ms
 * of a 250 ms, 400 MB run).  Kafka's tool, on the Java consumer, asks at once.
 * An offset asked here that retention removes before the first fetch is reset
 * by auto.offset.reset as usual.  Returns a list the caller destroys, or NULL
 * (on any error) to assign parts as they came. */
static rd_kafka_topic_partition_list_t *start_offsets(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                                                      bool latest) {
    rd_kafka_topic_partition_list_t *start = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_topic_partition_list_t *reset = rd_kafka_topic_partition_list_new(parts->cnt > 0 ? parts->cnt : 1);
    if (rd_kafka_committed(rk, start, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        goto fail;
    for (int i = 0; i < start->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &start->elems[i];
        if (p->err)
            goto fail;
        if (p->offset < 0)
            rd_kafka_topic_partition_list_add(reset, p->topic, p->partition);
    }
    if (reset->cnt > 0) {
        if (tool_log_offsets(rk, reset, latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING, 10000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            goto fail;
        for (int i = 0; i < reset->cnt; i++)
            rd_kafka_topic_partition_list_find(start, reset->elems[i].topic, reset->elems[i].partition)->offset =
                reset->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(reset);
    return start;
fail:
    rd_kafka_topic_partition_list_destroy(reset);
    rd_kafka_topic_partition_list_destroy(start);
    return NULL;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    cperf_state_t *st = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        int64_t d = tool_now_ms() - st->join_start_ms;
        st->join_total_ms += d;
        st->join_round_ms += d;
        rd_kafka_topic_partition_list_t *start = start_offsets(rk, parts, st->from_latest);
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, start ? start : parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, start ? start : parts);
        }
        if (start)
            rd_kafka_topic_partition_list_destroy(start);
    } else {
        st->join_start_ms = tool_now_ms();
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    }
}

/* Java's %.4f of a double: NaN and Infinity spelled as Java spells them. */
static void put_double(char *out, size_t len, double v) {
    if (isnan(v))
        snprintf(out, len, "NaN");
    else if (isinf(v))
        snprintf(out, len, v > 0 ? "Infinity" : "-Infinity");
    else
        snprintf(out, len, "%.4f", v);
}

/* printConsumerProgress: one detailed-stats line for an interval. */
static void print_progress(const char *datefmt, int64_t bytes, int64_t last_bytes, int64_t msgs,
                           int64_t last_msgs, int64_t start_ms, int64_t end_ms, int64_t wall_end_ms,
                           int64_t join_ms) {
    double elapsed = (double)(end_ms - start_ms);
    double total_mb = (double)bytes / (1024.0 * 1024.0);
    double int_mb = (double)(bytes - last_bytes) / (1024.0 * 1024.0);
    char when[128], a[32], b[32], c[32], d[32];
    tool_perf_java_date(when, sizeof(when), datefmt, wall_end_ms);
    put_double(a, sizeof(a), 1000.0 * int_mb / elapsed);
    put_double(b, sizeof(b), (double)(msgs - last_msgs) / elapsed * 1000.0);
    int64_t fetch_ms = end_ms - start_ms - join_ms;
    double fmb = 0, fmsg = 0;
    if (fetch_ms > 0) {
        fmb = 1000.0 * int_mb / (double)fetch_ms;
        fmsg = 1000.0 * (double)(msgs - last_msgs) / (double)fetch_ms;
    }
    put_double(c, sizeof(c), fmb);
    put_double(d, sizeof(d), fmsg);
    printf("%s, %d, %.4f, %s, %" PRId64 ", %s, %" PRId64 ", %" PRId64 ", %s, %s\n", when, 0, total_mb, a, msgs, b,
           join_ms, fetch_ms, c, d);
    fflush(stdout);
}

/* Builds the consumer properties.  Returns 0 or -1 with a message. */
static int build_props(const tool_args_t *a, fr_props_t *props, char *err, size_t errlen) {
    const char *file = tool_args_value(a, "consumer.config");
    if (file && tool_props_load_file(props, file, err, errlen) != 0)
        return -1;
    char group[64];
    const char *g = tool_args_value(a, "group");
    if (!g) {
        srand((unsigned)tool_perf_now_us());
        snprintf(group, sizeof(group), "perf-consumer-%d", rand() % 100000);
        g = group;
    }
    const char *bootstrap = tool_args_value(a, "bootstrap-server");
    if (!bootstrap)
        bootstrap = tool_args_value(a, "broker-list");
    const char *fetch = tool_args_value(a, "fetch-size"), *sock = tool_args_value(a, "socket-buffer-size");
    if (fr_props_set(props, "bootstrap.servers", bootstrap) != 0 || fr_props_set(props, "group.id", g) != 0 ||
        fr_props_set(props, "receive.buffer.bytes", sock ? sock : "2097152") != 0 ||
        fr_props_set(props, "max.partition.fetch.bytes", fetch ? fetch : "1048576") != 0 ||
        fr_props_set(props, "auto.offset.reset", tool_args_has(a, "from-latest") ? "latest" : "earliest") != 0 ||
        fr_props_set(props, "check.crcs", "false") != 0 ||
        tool_props_default(props, "client.id", "perf-consumer-client") != 0 ||
        (tool_args_has(a, "print-metrics") && tool_props_default(props, "statistics.interval.ms", "500") != 0)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int fr_cmd_consumer_perf_test(int argc, char **argv) {
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
    fr_props_t props;
    fr_props_init(&props);
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *topics = NULL;
    cperf_state_t st = {0};
    const char *topic = tool_args_value(&a, "topic");
    int64_t count = 0, timeout_ms = 10000, report_ms = 5000, num;

    if (!tool_args_has(&a, "bootstrap-server") && !tool_args_has(&a, "broker-list")) {
        rc = usage_error("Missing required argument \"[bootstrap-server]\"");
        goto out;
    }
    if (!topic) {
        rc = usage_error("Missing required argument \"[topic]\"");
        goto out;
    }
    if (!tool_args_has(&a, "messages")) {
        rc = usage_error("Missing required argument \"[messages]\"");
        goto out;
    }
    static const struct {
        const char *name;
        int64_t min, max;
    } numeric[] = {{"messages", 0, INT64_MAX},
                   {"timeout", 0, INT64_MAX / 1000},
                   {"reporting-interval", 1, INT32_MAX},
                   {"fetch-size", 1, INT32_MAX},
                   {"socket-buffer-size", -1, INT32_MAX},
                   {"threads", INT32_MIN, INT32_MAX},
                   {"num-fetch-threads", INT32_MIN, INT32_MAX}};
    for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
        const char *v = tool_args_value(&a, numeric[i].name);
        if (v && tool_parse_i64(v, numeric[i].min, numeric[i].max, &num) != 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option %s", v, numeric[i].name);
            rc = usage_error(msg);
            goto out;
        }
    }
    tool_parse_i64(tool_args_value(&a, "messages"), 0, INT64_MAX, &count);
    if (tool_args_has(&a, "timeout"))
        tool_parse_i64(tool_args_value(&a, "timeout"), 0, INT64_MAX, &timeout_ms);
    if (tool_args_has(&a, "reporting-interval"))
        tool_parse_i64(tool_args_value(&a, "reporting-interval"), 1, INT32_MAX, &report_ms);
    const char *datefmt = tool_args_value(&a, "date-format");
    if (!datefmt)
        datefmt = "yyyy-MM-dd HH:mm:ss:SSS";
    bool detailed = tool_args_has(&a, "show-detailed-stats");

    if (build_props(&a, &props, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    if (tool_args_has(&a, "print-metrics"))
        rd_kafka_conf_set_stats_cb(conf, tool_perf_stats_cb);
    rd_kafka_conf_set_opaque(conf, &st);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "Failed to create the consumer: %s\n", err);
        goto out;
    }
    rd_kafka_poll_set_consumer(rk);
    tool_signals_install();

    if (!tool_args_has(&a, "hide-header")) {
        if (!detailed)
            printf("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                   "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
        else
            printf("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                   "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
        fflush(stdout);
    }

    st.from_latest = tool_args_has(&a, "from-latest");
    int64_t wall_start = tool_perf_wall_ms(), start_ms = tool_now_ms();
    st.join_start_ms = start_ms;
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t serr = rd_kafka_subscribe(rk, topics);
    if (serr) {
        fprintf(stderr, "Failed to subscribe to %s: %s\n", topic, rd_kafka_err2str(serr));
        goto out;
    }

    /* Records come in batches, as Java's poll() returns them (max.poll.records=500): the
     * clock is read once per batch, not per record. */
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[POLL_BATCH];
    int64_t bytes = 0, msgs = 0, last_bytes = 0, last_msgs = 0;
    int64_t now = tool_now_ms(), last_report = now, last_consumed = now;
    while (msgs < count && now - last_consumed <= timeout_ms && !tool_signal) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, POLL_BATCH);
        now = tool_now_ms();
        bool got = false;
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fr_warn(COMPONENT, "Consumer error: %s", rd_kafka_message_errstr(m));
            } else if (msgs < count) {
                got = true;
                msgs++;
                bytes += (int64_t)m->key_len + (int64_t)m->len;
            }
            rd_kafka_message_destroy(m);
            if (now - last_report >= report_ms) {
                if (detailed)
                    print_progress(datefmt, bytes, last_bytes, msgs, last_msgs, last_report, now,
                                   wall_start + (now - start_ms), st.join_round_ms);
                st.join_round_ms = 0;
                last_report = now;
                last_msgs = msgs;
                last_bytes = bytes;
            }
        }
        if (got)
            last_consumed = now;
    }
    rd_kafka_queue_destroy(queue);
    int64_t end_ms = tool_now_ms(), wall_end = wall_start + (end_ms - start_ms);
    if (msgs < count)
        printf("WARNING: Exiting before consuming the expected number of messages: timeout (%" PRId64
               " ms) exceeded. You can use the --timeout option to increase the timeout.\n",
               timeout_ms);

    if (tool_args_has(&a, "print-metrics"))
        tool_perf_stats_refresh(rk, &st.stats, true, 2000);
    rd_kafka_consumer_close(rk);

    double elapsed_s = (double)(end_ms - start_ms) / 1000.0;
    int64_t fetch_ms = (end_ms - start_ms) - st.join_total_ms;
    double mb = (double)bytes / (1024.0 * 1024.0);
    if (!detailed) {
        char s[128], e[128], v[4][32];
        tool_perf_java_date(s, sizeof(s), datefmt, wall_start);
        tool_perf_java_date(e, sizeof(e), datefmt, wall_end);
        put_double(v[0], sizeof(v[0]), mb / elapsed_s);
        put_double(v[1], sizeof(v[1]), (double)msgs / elapsed_s);
        put_double(v[2], sizeof(v[2]), mb / ((double)fetch_ms / 1000.0));
        put_double(v[3], sizeof(v[3]), (double)msgs / ((double)fetch_ms / 1000.0));
        printf("%s, %s, %.4f, %s, %" PRId64 ", %s, %" PRId64 ", %" PRId64 ", %s, %s\n", s, e, mb, v[0], msgs,
               v[1], st.join_total_ms, fetch_ms, v[2], v[3]);
    }
    if (tool_args_has(&a, "json"))
        printf("{\"tool\":\"consumer-perf-test\",\"messages\":%" PRId64 ",\"bytes\":%" PRId64
               ",\"elapsed_ms\":%" PRId64 ",\"rebalance_ms\":%" PRId64 ",\"fetch_ms\":%" PRId64
               ",\"mb_per_sec\":%.4f,\"msgs_per_sec\":%.1f,\"fetch_mb_per_sec\":%.4f,\"fetch_msgs_per_sec\":%.1f}\n",
               msgs, bytes, end_ms - start_ms, st.join_total_ms, fetch_ms, elapsed_s > 0 ? mb / elapsed_s : 0,
               elapsed_s > 0 ? (double)msgs / elapsed_s : 0, fetch_ms > 0 ? mb * 1000.0 / (double)fetch_ms : 0,
               fetch_ms > 0 ? (double)msgs * 1000.0 / (double)fetch_ms : 0);
    if (tool_args_has(&a, "print-metrics"))
        tool_perf_stats_print(stdout, &st.stats, "consumer-metrics", fr_props_get(&props, "client.id"));
    fflush(stdout);
    rc = tool_signal ? 128 + tool_signal : 0;

out:
    if (topics)
        rd_kafka_topic_partition_list_destroy(topics);
    if (rk)
        rd_kafka_destroy(rk);
    tool_perf_stats_free(&st.stats);
    fr_props_free(&props);
    tool_args_free(&a);
    return rc;
}
