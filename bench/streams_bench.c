/*
 * streams_bench — the C side of bench/streams: loads input topics and runs
 * one pipeline over them, timing it.
 *
 *   streams_bench load-words     --bootstrap B --topic T --records N --distinct D [--seed S]
 *   streams_bench load-pageviews --bootstrap B --topic T --records N --users U --pages P --span-ms MS
 *   streams_bench load-users     --bootstrap B --topic T --users U --span-ms MS
 *   streams_bench run --kind pipe|pipe-defaults|stateless|wordcount|windowed|join --bootstrap B --input T --output O
 *                     --records N --state-dir DIR [--table T] [--app-id A] [--set key=value]...
 *
 * Words: one word per record ("w00042", drawn uniformly from D distinct),
 * null key.  Page views: key "user<n>", value "/page/<n>", timestamps spread
 * evenly over the last MS milliseconds, so a windowed count sees many windows.
 * Users: key "user<n>" for each of U users, value "name-<n>", timestamps a
 * minute before the page views' span, so a join meets them first.
 *
 * run prints one JSON line:
 *   {"kind":..., "records":N, "seconds":S, "records_per_sec":R, "close_seconds":C}
 * S runs from the first input record the pipeline sees to the moment the
 * last input record has gone through its last stateful step (for WordCount:
 * reached the count after the repartition topic), so the pipe and the
 * topologies are timed over the same span; closing (final commit, flush,
 * leaving the group) is reported apart.  One stream thread, as the issue's
 * targets are per stream thread.
 *
 *   pipe       librdkafka consumer → producer, no processing: the ceiling (it
 *              wakes librdkafka's fetcher as the runtime does, see run_pipe),
 *              producing with the runtime's producer settings
 *   pipe-defaults  the same, producing with librdkafka's defaults
 *   stateless  source → filter → mapValues (uppercase) → sink
 *   wordcount  source → selectKey(word) → repartition → count → sink
 *              (groupBy(word).count() spelled out, so the records reaching the
 *              count can be counted: Kafka's groupBy is exactly selectKey + repartition)
 *   windowed   page views → groupByKey → 1-minute tumbling windows (10 s grace) → count → sink
 *   join       page views → join(users table, by key) → sink: a task with two input
 *              partitions, merged in timestamp order
 */
#include <ctype.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "freshet/streams.h"
#include "freshet/streams_app.h"
#include "freshet/streams_joins.h"
#ifdef HAVE_STREAMS_WINDOWS
#include "freshet/streams_windows.h"
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ms_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void) { /* xorshift64: reproducible inputs across runs */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *arg(int argc, char **argv, const char *name, const char *def) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static void die(const char *what, const char *why) {
    fprintf(stderr, "streams_bench: %s: %s\n", what, why);
    exit(1);
}

/* ---------------------------------------------------------------- load */

/* A producer with bootstrap and the NULL-ended key/value pairs kv. */
static rd_kafka_t *producer_with(const char *bootstrap, const char *const *kv) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die("bootstrap.servers", err);
    for (int i = 0; kv[i]; i += 2)
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
            die(kv[i], err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("producer", err);
    return rk;
}

/* The loaders' producer: big batches, a queue that takes a whole input. */
static rd_kafka_t *producer(const char *bootstrap) {
    static const char *const kv[] = {"linger.ms", "20", "batch.size", "1000000", "acks", "1",
                                     "queue.buffering.max.messages", "1000000", NULL};
    return producer_with(bootstrap, kv);
}

static void produce_one(rd_kafka_t *rk, const char *topic, const char *key, const char *value, int64_t ts) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, key ? strlen(key) : 0), RD_KAFKA_V_VALUE((void *)value, strlen(value)),
            RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 10);
            continue;
        }
        if (e)
            die("produce", rd_kafka_err2str(e));
        return;
    }
}

static int load_users(int argc, char **argv) {
    const char *bootstrap = arg(argc, argv, "--bootstrap", "localhost:9092");
    const char *topic = arg(argc, argv, "--topic", NULL);
    long users = atol(arg(argc, argv, "--users", "1000"));
    int64_t ts = now_ms_wall() - atol(arg(argc, argv, "--span-ms", "600000")) - 60000;
    if (!topic || users <= 0)
        die("load-users", "--topic and --users are required");
    rd_kafka_t *rk = producer(bootstrap);
    char key[32], value[64];
    for (long i = 0; i < users; i++) {
        snprintf(key, sizeof(key), "user%ld", i);
        snprintf(value, sizeof(value), "name-%ld", i);
        produce_one(rk, topic, key, value, ts);
    }
    if (rd_kafka_flush(rk, 60000))
        die("load-users", "flush timed out");
    rd_kafka_destroy(rk);
    return 0;
}

static int load(int argc, char **argv, int pageviews) {
    const char *bootstrap = arg(argc, argv, "--bootstrap", "localhost:9092");
    const char *topic = arg(argc, argv, "--topic", NULL);
    long n = atol(arg(argc, argv, "--records", "0"));
    rng_state += (uint64_t)atol(arg(argc, argv, "--seed", "0"));
    if (!topic || n <= 0)
        die("load", "--topic and --records are required");
    rd_kafka_t *rk = producer(bootstrap);
    char key[32], value[64];
    if (pageviews) {
        long users = atol(arg(argc, argv, "--users", "1000")), pages = atol(arg(argc, argv, "--pages", "100"));
        int64_t span = atol(arg(argc, argv, "--span-ms", "600000")), start = now_ms_wall() - span;
        for (long i = 0; i < n; i++) {
            snprintf(key, sizeof(key), "user%ld", (long)(rng() % (uint64_t)users));
            snprintf(value, sizeof(value), "/page/%ld", (long)(rng() % (uint64_t)pages));
            produce_one(rk, topic, key, value, start + (int64_t)((double)span * (double)i / (double)n));
            if (i % 10000 == 0)
                rd_kafka_poll(rk, 0);
        }
    } else {
        long distinct = atol(arg(argc, argv, "--distinct", "10000"));
        for (long i = 0; i < n; i++) {
            snprintf(value, sizeof(value), "w%05ld", (long)(rng() % (uint64_t)distinct));
            produce_one(rk, topic, NULL, value, 0);
            if (i % 10000 == 0)
                rd_kafka_poll(rk, 0);
        }
    }
    rd_kafka_resp_err_t e = rd_kafka_flush(rk, 120000);
    rd_kafka_destroy(rk);
    if (e)
        die("flush", rd_kafka_err2str(e));
    return 0;
}

/* ---------------------------------------------------------------- pipe */

/* The runtime's producer settings (streams/runtime/config.c: idempotence,
 * linger.ms 5, librdkafka's queue of 100,000 messages), so the pipe waits
 * for the broker as a topology does instead of queueing its whole input. */
static rd_kafka_t *pipe_producer(const char *bootstrap, int bare) {
    static const char *const runtime_kv[] = {"enable.idempotence", "true", "linger.ms", "5", NULL};
    /* "pipe-defaults": librdkafka's own defaults, which differ from the
     * runtime's only in idempotence (off; linger.ms is 5 either way), for
     * readers who take those as the ceiling. */
    static const char *const bare_kv[] = {NULL};
    return producer_with(bootstrap, bare ? bare_kv : runtime_kv);
}

static int run_pipe(const char *bootstrap, const char *kind, const char *in, const char *out, long n,
                    const char *group) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", bootstrap, "group.id", group, "auto.offset.reset", "earliest", NULL};
    for (int i = 0; kv[i]; i += 2)
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
            die(kv[i], err);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!c)
        die("consumer", err);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, in, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(c, tl))
        die("subscribe", in);
    rd_kafka_topic_partition_list_destroy(tl);
    rd_kafka_t *p = pipe_producer(bootstrap, strcmp(kind, "pipe-defaults") == 0);
    long seen = 0;
    double t0 = 0, t1 = 0, deadline = now_s() + 600;
    int flowed = 0; /* records came since the last nudge */
    while (seen < n && now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 0);
        if (!m && flowed) {
            /* As the runtime does (streams/runtime/fetch_nudge.c): librdkafka
             * 2.0.2 stops fetching once its queue holds queued.min.messages
             * and looks again up to a second later, unless a request wakes
             * its broker thread.  Without this the pipe idled most of the
             * time (142k records/s against ~1M).  The inputs have one
             * partition (bench/streams loads them so). */
            int64_t lo, hi;
            rd_kafka_query_watermark_offsets(c, in, 0, &lo, &hi, 100);
            flowed = 0;
        }
        if (!m)
            m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        if (!m->err) {
            flowed = 1;
            if (seen++ == 0)
                t0 = now_s();
            for (;;) {
                rd_kafka_resp_err_t e = rd_kafka_producev(
                    p, RD_KAFKA_V_TOPIC(out), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_END);
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    break;
                rd_kafka_poll(p, 10);
            }
            rd_kafka_poll(p, 0);
        }
        rd_kafka_message_destroy(m);
    }
    t1 = now_s();
    double c0 = now_s();
    rd_kafka_flush(p, 60000);
    rd_kafka_destroy(p);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    double closing = now_s() - c0;
    if (seen < n)
        die("pipe", "timed out before reading every record");
    printf("{\"kind\":\"%s\",\"records\":%ld,\"seconds\":%.4f,\"records_per_sec\":%.1f,\"close_seconds\":%.4f}\n",
           kind, n, t1 - t0, (double)n / (t1 - t0), closing);
    return 0;
}

/* ---------------------------------------------------------------- topologies */

/* Counters the topologies bump from their stream thread; main polls them. */
static atomic_long g_first;    /* records seen at the source */
static atomic_long g_last;     /* records through the last stateful step */
static _Atomic double g_t0;

static int at_source(void *ctx, const fr_datum_t *key, const fr_datum_t *value) {
    (void)ctx, (void)key, (void)value;
    if (atomic_fetch_add_explicit(&g_first, 1, memory_order_relaxed) == 0)
        atomic_store(&g_t0, now_s());
    return 0;
}

static int at_end(void *ctx, const fr_datum_t *key, const fr_datum_t *value) {
    (void)ctx, (void)key, (void)value;
    atomic_fetch_add_explicit(&g_last, 1, memory_order_relaxed);
    return 0;
}

/* Keeps everything but words ending in '7' (about 10% dropped), so the filter does work. */
static int keep(void *ctx, const fr_datum_t *key, const fr_datum_t *value) {
    (void)ctx, (void)key;
    return !value->is_null && !(value->len > 0 && value->ptr[value->len - 1] == '7');
}

static int upper(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out, fr_scratch_t *scratch) {
    (void)ctx, (void)key;
    char *s = fr_scratch_strndup(scratch, value->ptr, value->len);
    if (!s)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < value->len; i++)
        s[i] = (char)toupper((unsigned char)s[i]);
    *out = fr_datum_strn(s, value->len);
    return 0;
}

static int word_key(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                    fr_scratch_t *scratch) {
    (void)ctx, (void)key, (void)scratch;
    *out_key = *value;
    return 0;
}

/* "<page> by <name>" */
static int view_by_user(void *ctx, const fr_datum_t *key, const fr_datum_t *view, const fr_datum_t *user,
                        fr_datum_t *out, fr_scratch_t *scratch) {
    (void)ctx, (void)key;
    size_t n = view->len + 4 + user->len;
    char *buf = fr_scratch_alloc(scratch, n + 1);
    if (!buf)
        return FR_ERR_NOMEM;
    snprintf(buf, n + 1, "%.*s by %.*s", (int)view->len, view->ptr, (int)user->len, user->ptr);
    *out = fr_datum_strn(buf, n);
    return 0;
}

static int build(fr_builder_t *b, const char *kind, const char *in, const char *table, const char *out) {
    fr_consumed_t strings = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_kstream_t *s = fr_kstream_peek(fr_builder_stream(b, in, &strings), at_source, NULL, "bench-source");
    if (strcmp(kind, "stateless") == 0) {
        s = fr_kstream_map_values(fr_kstream_filter(s, keep, NULL, NULL), upper, NULL, NULL, NULL);
        s = fr_kstream_peek(s, at_end, NULL, "bench-end");
        return fr_kstream_to(s, out, NULL);
    }
    if (strcmp(kind, "wordcount") == 0) {
        fr_repartitioned_t rp = {.name = "words"};
        s = fr_kstream_repartition(fr_kstream_select_key(s, word_key, NULL, NULL, NULL), &rp);
        s = fr_kstream_peek(s, at_end, NULL, "bench-end");
        fr_materialized_t m = {.name = "counts", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
        fr_ktable_t *t = fr_kgrouped_stream_count(fr_kstream_group_by_key(s, NULL), &m);
        fr_produced_t produced = {.key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
        return fr_kstream_to(fr_ktable_to_stream(t, NULL), out, &produced);
    }
    if (strcmp(kind, "join") == 0) {
        if (!table)
            die("join", "--table is required");
        fr_materialized_t m = {.name = "users", .key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
        fr_ktable_t *users = fr_builder_table(b, table, &strings, &m);
        s = fr_kstream_peek(fr_kstream_join_table(s, users, view_by_user, NULL, fr_serde_string(), NULL), at_end,
                            NULL, "bench-end");
        return fr_kstream_to(s, out, NULL);
    }
#ifdef HAVE_STREAMS_WINDOWS
    if (strcmp(kind, "windowed") == 0) {
        s = fr_kstream_peek(s, at_end, NULL, "bench-end");
        fr_time_windows_t w = fr_time_windows_of_size_and_grace(60000, 10000);
        fr_materialized_t m = {.name = "views", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
        fr_ktable_t *t = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(fr_kstream_group_by_key(s, NULL), &w),
                                                  &m, 0);
        fr_produced_t produced = {.key_serde = fr_serde_bytes(), .value_serde = fr_serde_int64()};
        return fr_kstream_to(fr_ktable_to_stream(t, NULL), out, &produced);
    }
#endif
    die("unknown or unavailable --kind", kind);
    return -1;
}

static int run_topology(int argc, char **argv, const char *kind, const char *bootstrap, const char *in,
                        const char *out, long n) {
    char err[1024];
    fr_streams_config_t *cfg = fr_streams_config_new();
    const char *kv[] = {"application.id", arg(argc, argv, "--app-id", "bench-streams"), "bootstrap.servers", bootstrap,
                        "state.dir", arg(argc, argv, "--state-dir", "/tmp/freshet-bench-streams"),
                        "num.stream.threads", "1", NULL};
    for (int i = 0; kv[i]; i += 2)
        if (fr_streams_config_set(cfg, kv[i], kv[i + 1], err, sizeof(err)))
            die(kv[i], err);
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--set") == 0) {
            char key[256];
            const char *eq = strchr(argv[i + 1], '=');
            if (!eq || (size_t)(eq - argv[i + 1]) >= sizeof(key))
                die("--set", argv[i + 1]);
            memcpy(key, argv[i + 1], (size_t)(eq - argv[i + 1]));
            key[eq - argv[i + 1]] = '\0';
            if (fr_streams_config_set(cfg, key, eq + 1, err, sizeof(err)))
                die(key, err);
        }
    fr_builder_t *b = fr_builder_new();
    fr_topology_t *topo = NULL;
    build(b, kind, in, arg(argc, argv, "--table", NULL), out);
    if (fr_builder_build(b, cfg, &topo, err, sizeof(err)))
        die("build", err);
    fr_builder_free(b);
    fr_streams_t *app = NULL;
    if (fr_streams_new(topo, cfg, &app, err, sizeof(err)) || fr_streams_start(app, err, sizeof(err)))
        die("start", err);
    fr_streams_config_free(cfg);
    /* Done when the last input record has passed the last step that runs
     * after a topic hop: for WordCount the end peek sits after the
     * repartition topic; in the other kinds everything runs in the source's
     * call chain, so the source count is the one to watch. */
    int after_hop = strcmp(kind, "wordcount") == 0;
    double deadline = now_s() + 600, t1 = 0;
    while (now_s() < deadline) {
        if (fr_streams_await(app, 1))
            die("run", fr_streams_error_message(app));
        if (atomic_load(after_hop ? &g_last : &g_first) >= n) {
            t1 = now_s();
            break;
        }
    }
    if (t1 == 0)
        die("run", "timed out");
    double t0 = atomic_load(&g_t0), c0 = now_s();
    int rc = fr_streams_close(app);
    double closing = now_s() - c0;
    fr_topology_free(topo);
    if (rc)
        die("close", fr_err_str(rc));
    printf("{\"kind\":\"%s\",\"records\":%ld,\"seconds\":%.4f,\"records_per_sec\":%.1f,\"close_seconds\":%.4f,"
           "\"end_records\":%ld}\n",
           kind, n, t1 - t0, (double)n / (t1 - t0), closing, atomic_load(&g_last));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        die("usage", "load-words | load-pageviews | load-users | run (see the comment at the top of bench/streams_bench.c)");
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "load-words") == 0)
        return load(argc, argv, 0);
    if (strcmp(argv[1], "load-pageviews") == 0)
        return load(argc, argv, 1);
    if (strcmp(argv[1], "load-users") == 0)
        return load_users(argc, argv);
    if (strcmp(argv[1], "run") != 0)
        die("unknown command", argv[1]);
    const char *kind = arg(argc, argv, "--kind", NULL), *bootstrap = arg(argc, argv, "--bootstrap", "localhost:9092");
    const char *in = arg(argc, argv, "--input", NULL), *out = arg(argc, argv, "--output", NULL);
    long n = atol(arg(argc, argv, "--records", "0"));
    if (!kind || !in || !out || n <= 0)
        die("run", "--kind, --input, --output and --records are required");
    if (strcmp(kind, "pipe") == 0 || strcmp(kind, "pipe-defaults") == 0)
        return run_pipe(bootstrap, kind, in, out, n, arg(argc, argv, "--app-id", "bench-pipe"));
    return run_topology(argc, argv, kind, bootstrap, in, out, n);
}
