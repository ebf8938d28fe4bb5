/*
 * freshet producer-perf-test — kafka-producer-perf-test.sh (Kafka 3.x's
 * ProducerPerformance) on librdkafka.
 *
 *   producer-perf-test --topic T --num-records N (--record-size S | --payload-file F)
 *                      --throughput R|-1 [--producer-props k=v ...] [--producer.config F]
 *                      [--print-metrics] [--transactional-id ID --transaction-duration-ms MS]
 *
 * Output is Kafka's: every reporting interval (5 s)
 *   N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.
 * and at the end
 *   N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency,
 *   P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.
 * Latency is per record, from the produce call to its delivery report; a
 * record's send time travels in its opaque, so nothing is allocated per
 * record.  Percentiles come from a preallocated sample array (at most 500,000
 * samples, every k-th record as Kafka samples).  Throttling is Kafka's
 * ThroughputThrottler: when the rate so far exceeds R, sleep 1/R per record,
 * in chunks of at least 2 ms, serving delivery reports meanwhile.
 *
 * Payloads: Kafka draws every record's bytes from random upper-case letters;
 * here a pool of random letters is made once and each record is a window of
 * it at a different offset (the same letters, without generating them in the
 * hot loop).  The pool outlives the producer, so librdkafka is handed the
 * bytes without a copy (no RD_KAFKA_MSG_F_COPY): like Kafka's tool, whose
 * records share one payload array, each record's bytes are copied once,
 * into the batch being built.  Copying them at produce too cost a quarter of
 * the client's CPU on 1 KiB records.
 *
 * Freshet additions: --reporting-interval MS (Kafka fixes it at 5000) and
 * --json, which adds one JSON line with the final figures and latencies in
 * microseconds (Kafka's lines round latencies to whole milliseconds).
 * Exit codes: 0; 1 for a usage error or any failed delivery; 128+signal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_array.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_perf.h"

#define COMPONENT "producer-perf-test"
#define PROG "producer-performance"

enum { MAX_SAMPLES = 500000, MIN_SLEEP_US = 2000, POOL_EXTRA = 64 * 1024, MAX_ERRORS_SHOWN = 10 };

static const tool_opt_t opts[] = {
    {"help", TOOL_FLAG, NULL, NULL},
    {"topic", TOOL_ARG, "TOPIC", NULL},
    {"num-records", TOOL_ARG, "NUM-RECORDS", NULL},
    {"payload-delimiter", TOOL_ARG, "PAYLOAD-DELIMITER", NULL},
    {"throughput", TOOL_ARG, "THROUGHPUT", NULL},
    {"producer-props", TOOL_ARG, "PROP-NAME=PROP-VALUE", NULL},
    {"producer.config", TOOL_ARG, "CONFIG-FILE", NULL},
    {"print-metrics", TOOL_FLAG, NULL, NULL},
    {"transactional-id", TOOL_ARG, "TRANSACTIONAL-ID", NULL},
    {"transaction-duration-ms", TOOL_ARG, "TRANSACTION-DURATION", NULL},
    {"record-size", TOOL_ARG, "RECORD-SIZE", NULL},
    {"payload-file", TOOL_ARG, "PAYLOAD-FILE", NULL},
    {"reporting-interval", TOOL_ARG, "MS", NULL},
    {"json", TOOL_FLAG, NULL, NULL},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char usage_line[] =
    "usage: " PROG " [-h] --topic TOPIC --num-records NUM-RECORDS [--payload-delimiter PAYLOAD-DELIMITER]\n"
    "                            --throughput THROUGHPUT [--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]]\n"
    "                            [--producer.config CONFIG-FILE] [--print-metrics] [--transactional-id TRANSACTIONAL-ID]\n"
    "                            [--transaction-duration-ms TRANSACTION-DURATION] [--reporting-interval MS] [--json]\n"
    "                            (--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE)\n";

static const char help_text[] =
    "\nThis tool is used to verify the producer performance.\n\n"
    "optional arguments:\n"
    "  -h, --help             show this help message and exit\n"
    "  --topic TOPIC          produce messages to this topic\n"
    "  --num-records NUM-RECORDS\n"
    "                         number of messages to produce\n"
    "  --payload-delimiter PAYLOAD-DELIMITER\n"
    "                         provides delimiter to be used when --payload-file is provided. Defaults to new\n"
    "                         line. Note that this parameter will be ignored if --payload-file is not\n"
    "                         provided. (default: \\n)\n"
    "  --throughput THROUGHPUT\n"
    "                         throttle maximum message throughput to *approximately* THROUGHPUT\n"
    "                         messages/sec. Set this to -1 to disable throttling.\n"
    "  --producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]\n"
    "                         kafka producer related configuration properties like\n"
    "                         bootstrap.servers,client.id etc. These configs take precedence over those\n"
    "                         passed via --producer.config.\n"
    "  --producer.config CONFIG-FILE\n"
    "                         producer config properties file.\n"
    "  --print-metrics        print out metrics at the end of the test. (default: false)\n"
    "  --transactional-id TRANSACTIONAL-ID\n"
    "                         The transactionalId to use if transaction-duration-ms is > 0. Useful when\n"
    "                         testing the performance of concurrent transactions. (default:\n"
    "                         performance-producer-default-transactional-id)\n"
    "  --transaction-duration-ms TRANSACTION-DURATION\n"
    "                         The max age of each transaction. The commitTransaction will be called after\n"
    "                         this time has elapsed. Transactions are only enabled if this value is\n"
    "                         positive. (default: 0)\n"
    "  --reporting-interval MS\n"
    "                         (freshet) interval between progress lines in ms. (default: 5000)\n"
    "  --json                 (freshet) also print the final figures as one JSON line, latencies in\n"
    "                         microseconds. (default: false)\n\n"
    "  either --record-size or --payload-file must be specified but not both.\n\n"
    "  --record-size RECORD-SIZE\n"
    "                         message size in bytes. Note that you must provide exactly one of --record-\n"
    "                         size or --payload-file.\n"
    "  --payload-file PAYLOAD-FILE\n"
    "                         file to read the message payloads from. This works only for UTF-8 encoded\n"
    "                         text files. Payloads will be read from this file and a payload will be\n"
    "                         randomly selected when sending messages. Note that you must provide exactly\n"
    "                         one of --record-size or --payload-file.\n";

/* argparse4j's error shape: the usage, then "prog: error: message", exit 1. */
static int usage_error(const char *fmt, const char *a, const char *b) {
    fputs(usage_line, stderr);
    fprintf(stderr, PROG ": error: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

/* Kafka's Stats: totals, the current reporting window and latency samples (us). */
typedef struct perf_state {
    tool_perf_stats_t stats; /* first member: the stats callback's opaque */
    tool_perf_lat_t lat;
    int64_t start_us, report_us;
    int64_t bytes;
    int64_t win_start_us, win_count, win_bytes, win_lat_sum, win_lat_max;
    int64_t failed;
    rd_kafka_resp_err_t first_error;
} perf_state_t;

static void print_window(perf_state_t *st, int64_t now) {
    double elapsed_ms = (double)(now - st->win_start_us) / 1000.0;
    if (elapsed_ms <= 0)
        elapsed_ms = 1e-3;
    printf("%" PRId64 " records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max "
           "latency.\n",
           st->win_count, 1000.0 * (double)st->win_count / elapsed_ms,
           1000.0 * (double)st->win_bytes / elapsed_ms / (1024.0 * 1024.0),
           st->win_count ? (double)st->win_lat_sum / (double)st->win_count / 1000.0 : 0.0,
           (double)st->win_lat_max / 1000.0);
    fflush(stdout);
    st->win_start_us = now;
    st->win_count = st->win_bytes = st->win_lat_sum = st->win_lat_max = 0;
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    perf_state_t *st = opaque;
    int64_t now = tool_perf_now_us();
    if (m->err) {
        if (st->failed++ < MAX_ERRORS_SHOWN)
            fr_error(COMPONENT, "Error when sending record to topic %s: %s",
                     m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
        if (!st->first_error)
            st->first_error = m->err;
        return;
    }
    int64_t lat = now - (int64_t)(intptr_t)m->_private;
    if (lat < 0)
        lat = 0;
    tool_perf_lat_record(&st->lat, lat);
    st->bytes += (int64_t)m->len;
    st->win_count++;
    st->win_bytes += (int64_t)m->len;
    st->win_lat_sum += lat;
    if (lat > st->win_lat_max)
        st->win_lat_max = lat;
    if (now - st->win_start_us >= st->report_us)
        print_window(st, now);
}

static void print_total(perf_state_t *st, bool json) {
    int64_t now = tool_perf_now_us();
    double elapsed_ms = (double)(now - st->start_us) / 1000.0;
    if (elapsed_ms <= 0)
        elapsed_ms = 1e-3;
    tool_perf_lat_t *l = &st->lat;
    tool_perf_lat_sort(l);
    double rps = 1000.0 * (double)l->count / elapsed_ms;
    double mbps = 1000.0 * (double)st->bytes / elapsed_ms / (1024.0 * 1024.0);
    double avg_us = l->count ? (double)l->sum / (double)l->count : 0.0;
    int64_t p50 = tool_perf_lat_pct(l, 0.5), p95 = tool_perf_lat_pct(l, 0.95),
            p99 = tool_perf_lat_pct(l, 0.99), p999 = tool_perf_lat_pct(l, 0.999);
    printf("%" PRId64 " records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max "
           "latency, %" PRId64 " ms 50th, %" PRId64 " ms 95th, %" PRId64 " ms 99th, %" PRId64
           " ms 99.9th.\n",
           l->count, rps, mbps, avg_us / 1000.0, (double)l->max / 1000.0, p50 / 1000, p95 / 1000,
           p99 / 1000, p999 / 1000);
    if (json)
        printf("{\"tool\":\"producer-perf-test\",\"records\":%" PRId64 ",\"failed\":%" PRId64
               ",\"bytes\":%" PRId64 ",\"elapsed_ms\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.4f,"
               "\"latency_us\":{\"avg\":%.1f,\"max\":%" PRId64 ",\"p50\":%" PRId64 ",\"p95\":%" PRId64
               ",\"p99\":%" PRId64 ",\"p999\":%" PRId64 "}}\n",
               l->count, st->failed, st->bytes, elapsed_ms, rps, mbps, avg_us, l->max, p50, p95, p99,
               p999);
    fflush(stdout);
}

/* Kafka's ThroughputThrottler, in microseconds. */
typedef struct throttler {
    double target; /* records/s; < 0 disables */
    int64_t start_us, sleep_per_record_ns, deficit_ns;
} throttler_t;

static bool should_throttle(const throttler_t *t, int64_t sent, int64_t now_us) {
    if (t->target < 0)
        return false;
    double elapsed_s = (double)(now_us - t->start_us) / 1e6;
    return elapsed_s > 0 && (double)sent / elapsed_s > t->target;
}

/* Sleeps off the accumulated deficit, serving delivery reports meanwhile. */
static void throttle(throttler_t *t, rd_kafka_t *rk) {
    t->deficit_ns += t->sleep_per_record_ns;
    if (t->deficit_ns < (int64_t)MIN_SLEEP_US * 1000)
        return;
    int64_t begin = tool_perf_now_us(), until = begin + t->deficit_ns / 1000;
    for (int64_t now = begin; now < until && !tool_signal; now = tool_perf_now_us()) {
        int64_t left_us = until - now;
        if (left_us >= 1000)
            rd_kafka_poll(rk, (int)(left_us / 1000));
        else
            tool_perf_sleep_until_us(until);
    }
    int64_t slept_ns = (tool_perf_now_us() - begin) * 1000;
    t->deficit_ns = slept_ns <= t->deficit_ns ? t->deficit_ns - slept_ns : 0;
}

/* Payloads from --payload-file: one buffer, split in place by the delimiter. */
typedef struct payloads {
    char *buf;
    const char **ptr;
    size_t *len;
    size_t count;
} payloads_t;

static void payloads_free(payloads_t *p) {
    free(p->buf);
    free(p->ptr);
    free(p->len);
}

/* Reads the file and splits it as Java's String.split does (trailing empty
 * pieces dropped).  Returns 0 or -1 with a message. */
static int payloads_load(payloads_t *p, const char *path, const char *delim, char *err, size_t errlen) {
    memset(p, 0, sizeof(*p));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, n = 0;
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (FR_ARRAY_GROW(p->buf, cap, n + r + 1, sizeof(chunk))) {
            fclose(f);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(p->buf + n, chunk, r);
        n += r;
    }
    fclose(f);
    size_t dlen = strlen(delim);
    if (dlen == 0)
        dlen = 1, delim = "\n";
    size_t pieces = 1;
    for (size_t i = 0; i + dlen <= n; i++)
        if (memcmp(p->buf + i, delim, dlen) == 0)
            pieces++, i += dlen - 1;
    p->ptr = malloc(pieces * sizeof(*p->ptr));
    p->len = malloc(pieces * sizeof(*p->len));
    if (!p->ptr || !p->len) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (i + dlen <= n && memcmp(p->buf + i, delim, dlen) == 0)) {
            p->ptr[p->count] = p->buf ? p->buf + start : "";
            p->len[p->count] = i - start;
            p->count++;
            if (i == n)
                break;
            i += dlen - 1;
            start = i + 1;
        }
    }
    while (p->count > 0 && p->len[p->count - 1] == 0)
        p->count--;
    if (p->count == 0) {
        snprintf(err, errlen, "File does not contain any payloads");
        return -1;
    }
    return 0;
}

/*
 * argparse4j takes every word after --producer-props up to the next option;
 * tool_args takes one value per occurrence.  Rewrites argv so that each such
 * word gets its own "--producer-props".  The result (and its array) is
 * malloc'd; the words are argv's.
 */
static char **expand_nargs(int argc, char **argv, int *out_argc) {
    char **out = malloc(sizeof(*out) * (size_t)(2 * argc + 1));
    if (!out)
        return NULL;
    int n = 0;
    static char flag[] = "--producer-props";
    for (int i = 0; i < argc; i++) {
        out[n++] = argv[i];
        if (strcmp(argv[i], flag) != 0)
            continue;
        bool first = true;
        while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 && strcmp(argv[i + 1], "-h") != 0) {
            if (!first)
                out[n++] = flag;
            out[n++] = argv[++i];
            first = false;
        }
    }
    out[n] = NULL;
    *out_argc = n;
    return out;
}

/* Parses a required number option; on failure prints argparse4j's error. */
static int number_arg(const tool_args_t *a, const char *name, const char *type, int64_t min, int64_t max,
                      int64_t *out) {
    const char *v = tool_args_value(a, name);
    if (tool_parse_i64(v, min, max, out) == 0)
        return 0;
    char opt[64];
    snprintf(opt, sizeof(opt), "--%s", name);
    char msg[128];
    snprintf(msg, sizeof(msg), "argument %%s: could not convert '%%s' to %s", type);
    usage_error(msg, opt, v);
    return -1;
}

int fr_cmd_producer_perf_test(int argc, char **argv) {
    tool_logging_init();
    int xargc;
    char **xargv = expand_nargs(argc, argv, &xargc);
    if (!xargv)
        return 1;
    /* -h is argparse's short help flag. */
    for (int i = 1; i < xargc; i++)
        if (strcmp(xargv[i], "-h") == 0)
            xargv[i] = "--help";

    tool_args_t a;
    char err[1024];
    int rc = 1;
    fr_props_t props;
    fr_props_init(&props);
    payloads_t pl = {0};
    unsigned char *pool = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    perf_state_t st = {0};

    if (tool_args_parse_abbrev(&a, opts, NOPTS, xargc, xargv, err, sizeof(err)) != 0) {
        char *rec = strstr(err, " is not a recognized option");
        if (rec) {
            *rec = '\0';
            rc = usage_error("unrecognized arguments: '--%s'%s", err, "");
        } else if (strncmp(err, "Found non-option argument ", 26) == 0) {
            rc = usage_error("unrecognized arguments: %s%s", err + 26, "");
        } else if (strncmp(err, "Option ", 7) == 0 && strstr(err, " requires an argument")) {
            *strstr(err, " requires an argument") = '\0';
            rc = usage_error("argument --%s: expected one argument%s", err + 7, "");
        } else {
            rc = usage_error("%s%s", err, "");
        }
        goto out;
    }
    if (tool_args_has(&a, "help")) {
        fputs(usage_line, stdout);
        fputs(help_text, stdout);
        rc = 0;
        goto out;
    }
    static const char *const required[] = {"topic", "num-records", "throughput"};
    for (size_t i = 0; i < 3; i++)
        if (!tool_args_has(&a, required[i])) {
            char opt[64];
            snprintf(opt, sizeof(opt), "--%s", required[i]);
            rc = usage_error("argument %s is required%s", opt, "");
            goto out;
        }
    bool has_size = tool_args_has(&a, "record-size"), has_file = tool_args_has(&a, "payload-file");
    if (has_size == has_file) {
        rc = has_size ? usage_error("argument --payload-file: not allowed with argument --record-size%s%s", "", "")
                      : usage_error("one of the arguments --record-size --payload-file is required%s%s", "", "");
        goto out;
    }
    int64_t num_records, record_size = 0, txn_ms = 0, report_ms = 5000;
    if (number_arg(&a, "num-records", "Long", 1, INT64_MAX / 2, &num_records) != 0 ||
        (has_size && number_arg(&a, "record-size", "Integer", 1, 100 * 1024 * 1024, &record_size) != 0) ||
        (tool_args_has(&a, "transaction-duration-ms") &&
         number_arg(&a, "transaction-duration-ms", "Long", INT64_MIN, INT64_MAX, &txn_ms) != 0) ||
        (tool_args_has(&a, "reporting-interval") &&
         number_arg(&a, "reporting-interval", "Long", 1, INT64_MAX / 1000, &report_ms) != 0))
        goto out;
    const char *tp = tool_args_value(&a, "throughput");
    char *end;
    double throughput = strtod(tp, &end);
    if (*tp == '\0' || *end != '\0') {
        rc = usage_error("argument --throughput: could not convert '%s' to Double%s", tp, "");
        goto out;
    }
    if (throughput == 0 || (throughput < 0 && throughput != -1)) {
        rc = usage_error("argument --throughput: %s is neither positive nor -1%s", tp, "");
        goto out;
    }
    if (!tool_args_has(&a, "producer-props") && !tool_args_has(&a, "producer.config")) {
        rc = usage_error("Either --producer-props or --producer.config must be specified.%s%s", "", "");
        goto out;
    }

    /* Properties: the config file, then --producer-props (Kafka's order). */
    const char *file = tool_args_value(&a, "producer.config");
    if (file && tool_props_load_file(&props, file, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    if (tool_props_add_kvs(&props, &a, "producer-props", err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    if (!fr_props_get(&props, "bootstrap.servers") && !fr_props_get(&props, "metadata.broker.list")) {
        fprintf(stderr, "Missing required configuration \"bootstrap.servers\" which has no default value.\n");
        goto out;
    }
    bool txn = txn_ms > 0;
    if (txn) {
        const char *tid = tool_args_value(&a, "transactional-id");
        if (fr_props_set(&props, "transactional.id",
                         tid ? tid : "performance-producer-default-transactional-id") != 0)
            goto out;
    }
    if (tool_props_default(&props, "client.id", "perf-producer-client") != 0)
        goto out;
    bool print_metrics = tool_args_has(&a, "print-metrics");
    if (print_metrics && tool_props_default(&props, "statistics.interval.ms", "500") != 0)
        goto out;

    if (has_file) {
        const char *delim = tool_args_value(&a, "payload-delimiter");
        const char *path = tool_args_value(&a, "payload-file");
        char *abs = realpath(path, NULL);
        printf("Reading payloads from: %s\n", abs ? abs : path);
        free(abs);
        if (payloads_load(&pl, path, delim ? delim : "\n", err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
        printf("Number of messages read: %zu\n", pl.count);
        fflush(stdout);
    } else {
        pool = malloc((size_t)record_size + POOL_EXTRA);
        if (!pool)
            goto out;
        uint64_t seed = 0x5eed;
        tool_perf_random_payload(pool, (size_t)record_size + POOL_EXTRA, &seed);
    }

    if (tool_perf_lat_init(&st.lat, num_records, MAX_SAMPLES) != 0)
        goto out;
    st.report_us = report_ms * 1000;

    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    if (print_metrics)
        rd_kafka_conf_set_stats_cb(conf, tool_perf_stats_cb);
    rd_kafka_conf_set_opaque(conf, &st);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "Failed to create the producer: %s\n", err);
        goto out;
    }
    const char *topic = tool_args_value(&a, "topic");
    rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) {
        fprintf(stderr, "Failed to create topic handle %s: %s\n", topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        goto out;
    }
    tool_signals_install();
    if (txn) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(rk, 60000);
        if (e) {
            fprintf(stderr, "init_transactions failed: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            goto out;
        }
    }

    uint64_t rnd = 0x12345;
    st.start_us = st.win_start_us = tool_perf_now_us();
    throttler_t thr = {.target = throughput,
                       .start_us = st.start_us,
                       .sleep_per_record_ns = throughput > 0 ? (int64_t)(1e9 / throughput) : 0};
    int64_t txn_size = 0, txn_start_us = 0, sent = 0;
    for (int64_t i = 0; i < num_records && !tool_signal; i++) {
        const void *payload;
        size_t len;
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        if (pl.count) {
            size_t k = (size_t)(rnd % pl.count);
            payload = pl.ptr[k];
            len = pl.len[k];
        } else {
            payload = pool + rnd % POOL_EXTRA;
            len = (size_t)record_size;
        }
        if (txn && txn_size == 0) {
            rd_kafka_error_t *e = rd_kafka_begin_transaction(rk);
            if (e) {
                fprintf(stderr, "begin_transaction failed: %s\n", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                break;
            }
            txn_start_us = tool_perf_now_us();
        }
        int64_t send_us = tool_perf_now_us();
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, (void *)payload, len, NULL, 0,
                                (void *)(intptr_t)send_us) != 0) {
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tool_signal) {
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    if (st.failed++ < MAX_ERRORS_SHOWN)
                        fr_error(COMPONENT, "Error when sending record to topic %s: %s", topic,
                                 rd_kafka_err2str(e));
                    if (!st.first_error)
                        st.first_error = e;
                }
                break;
            }
            rd_kafka_poll(rk, 1); /* a full queue blocks the send, as Java's send() does */
        }
        sent++;
        rd_kafka_poll(rk, 0);
        txn_size++;
        if (txn && txn_ms * 1000 <= send_us - txn_start_us) {
            rd_kafka_error_t *e = rd_kafka_commit_transaction(rk, -1);
            if (e) {
                fprintf(stderr, "commit_transaction failed: %s\n", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                break;
            }
            txn_size = 0;
        }
        if (should_throttle(&thr, i, send_us))
            throttle(&thr, rk);
    }
    if (txn && txn_size != 0) {
        rd_kafka_error_t *e = rd_kafka_commit_transaction(rk, -1);
        if (e) {
            fprintf(stderr, "commit_transaction failed: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    /* Every record's delivery report; a second signal gives up on the rest. */
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
    print_total(&st, tool_args_has(&a, "json"));
    if (print_metrics) {
        tool_perf_stats_refresh(rk, &st.stats, false, 2000);
        tool_perf_stats_print(stdout, &st.stats, "producer-metrics", fr_props_get(&props, "client.id"));
        fflush(stdout);
    }
    if (st.failed)
        fprintf(stderr, "%" PRId64 " of %" PRId64 " records failed (first error: %s)\n", st.failed, sent,
                rd_kafka_err2str(st.first_error));
    rc = tool_signal ? 128 + tool_signal : st.failed ? 1 : 0;

out:
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk)
        rd_kafka_destroy(rk);
    tool_perf_lat_free(&st.lat);
    tool_perf_stats_free(&st.stats);
    payloads_free(&pl);
    free(pool);
    fr_props_free(&props);
    tool_args_free(&a);
    free(xargv);
    return rc;
}
