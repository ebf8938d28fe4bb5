/*
 * freshet e2e-latency — Kafka's EndToEndLatency (kafka.tools.EndToEndLatency)
 * on librdkafka, plus a fixed-rate mode for latency under load.
 *
 *   e2e-latency broker_list topic num_messages producer_acks message_size_bytes [properties_file]
 *               [--rate R] [--json]
 *
 * Ping-pong mode (Kafka's): a consumer is assigned every partition of the
 * topic at its end (the high watermark, read before the first send); then,
 * num_messages times, one record of random letters is produced and waited
 * for (acks 1 or all, linger.ms=0), and the consumer polls until it gets it
 * back, checking it is the same record and the only one.  Every 1000th
 * round prints "i<TAB>latency_ms"; the end prints
 *   Avg latency: X ms
 *
 *   Percentiles: 50th = A, 99th = B, 99.9th = C
 * with the percentiles in whole milliseconds, as Kafka prints them.
 *
 * Fixed-rate mode (--rate R, a Freshet addition): the producer sends
 * num_messages records at R records/s on a fixed schedule while a consumer
 * thread, assigned the same way, reads them.  Each record carries its
 * scheduled send time (monotonic microseconds, shared by both threads) and
 * its sequence number in its first 16 bytes; latency is receive time minus
 * the scheduled time, so a producer that falls behind shows up as latency
 * (no coordinated omission).  The producer wakes at most every 100 us and
 * sends every record due by then, so a record may wait up to one tick; that
 * wait is counted in its latency.  The same two result lines follow a summary
 * line; the consumer gives up 10 s after the last record it saw.
 *
 * --json adds one JSON line with the figures, latencies in microseconds.
 * The properties file applies to both clients; then the tool sets group.id,
 * enable.auto.commit=false, auto.offset.reset=latest, linger.ms=0 and acks,
 * and fetch.wait.max.ms=0 unless the file sets it (Kafka forces 0: no
 * temporal batching on the broker).  A file with fetch.wait.max.ms=100 turns
 * it into a long poll, which returns as soon as one record is appended
 * (fetch.min.bytes is 1) instead of fetching again and again while idle.
 * Exit codes: 0; 1 for bad arguments, a lost, mismatched or extra record, or
 * a failed send; 128+signal.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_perf.h"

#define COMPONENT "e2e-latency"

enum { POLL_TIMEOUT_MS = 60000, RATE_IDLE_TIMEOUT_MS = 10000, RATE_HEADER = 16, RATE_TICK_US = 100 };

static const char usage_text[] =
    "USAGE: freshet e2e-latency broker_list topic num_messages producer_acks message_size_bytes "
    "[optional] properties_file [--rate R] [--json]\n";

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    fputs(usage_text, stderr);
    return 1;
}

/* ---- setup shared by both modes ---- */

typedef struct e2e_args {
    const char *bootstrap, *topic, *acks, *props_file;
    int64_t num, size;
    double rate; /* 0: ping-pong */
    bool json;
} e2e_args_t;

static int parse_args(int argc, char **argv, e2e_args_t *ea) {
    const char *pos[6];
    int npos = 0;
    memset(ea, 0, sizeof(*ea));
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (strcmp(w, "--json") == 0) {
            ea->json = true;
        } else if (strcmp(w, "--rate") == 0 || strncmp(w, "--rate=", 7) == 0) {
            const char *v = w[6] == '=' ? w + 7 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            ea->rate = v ? strtod(v, &end) : 0;
            if (!v || !*v || *end || !(ea->rate > 0))
                return usage_error("--rate needs a positive number of records per second");
        } else if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            fputs(usage_text, stdout);
            return -2;
        } else if (strncmp(w, "--", 2) == 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Unknown option %s", w);
            return usage_error(msg);
        } else if (npos < 6) {
            pos[npos++] = w;
        } else {
            return usage_error(NULL);
        }
    }
    if (npos != 5 && npos != 6)
        return usage_error(NULL);
    ea->bootstrap = pos[0];
    ea->topic = pos[1];
    ea->acks = pos[3];
    ea->props_file = npos == 6 && *pos[5] ? pos[5] : NULL;
    if (tool_parse_i64(pos[2], 1, INT32_MAX, &ea->num) != 0)
        return usage_error("num_messages must be a positive integer");
    if (tool_parse_i64(pos[4], 0, INT32_MAX, &ea->size) != 0)
        return usage_error("message_size_bytes must be a non-negative integer");
    if (strcmp(ea->acks, "1") != 0 && strcmp(ea->acks, "all") != 0) {
        fprintf(stderr, "Latency testing requires synchronous acknowledgement. Please use 1 or all\n");
        return 1;
    }
    if (ea->rate > 0 && ea->size < RATE_HEADER) {
        fprintf(stderr, "--rate needs message_size_bytes of at least %d (send time and sequence)\n", RATE_HEADER);
        return 1;
    }
    return 0;
}

/* The clients' properties: the file, then the tool's settings. */
static rd_kafka_t *make_client(const e2e_args_t *ea, rd_kafka_type_t type, void *opaque,
                               void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *)) {
    fr_props_t props;
    fr_props_init(&props);
    char err[1024], group[64];
    rd_kafka_t *rk = NULL;
    if (ea->props_file && tool_props_load_file(&props, ea->props_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    int bad = fr_props_set(&props, "bootstrap.servers", ea->bootstrap);
    if (type == RD_KAFKA_CONSUMER) {
        snprintf(group, sizeof(group), "test-group-%" PRId64, tool_perf_wall_ms());
        bad |= fr_props_set(&props, "group.id", group);
        bad |= fr_props_set(&props, "enable.auto.commit", "false");
        bad |= fr_props_set(&props, "auto.offset.reset", "latest");
        if (!fr_props_get(&props, "fetch.wait.max.ms") && !fr_props_get(&props, "fetch.max.wait.ms"))
            bad |= fr_props_set(&props, "fetch.wait.max.ms", "0");
    } else {
        bad |= fr_props_set(&props, "linger.ms", "0");
        bad |= fr_props_set(&props, "acks", ea->acks);
    }
    if (bad) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    rd_kafka_conf_t *conf = tool_conf_new(&props, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    rd_kafka_conf_set_opaque(conf, opaque);
    if (dr)
        rd_kafka_conf_set_dr_msg_cb(conf, dr);
    rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "Failed to create the %s: %s\n", type == RD_KAFKA_CONSUMER ? "consumer" : "producer", err);
    } else if (type == RD_KAFKA_CONSUMER) {
        rd_kafka_poll_set_consumer(rk);
    }
out:
    fr_props_free(&props);
    return rk;
}

/* CreateTopics of one topic with one partition and one replica; NULL, or
 * why it failed (in errstr).  A topic made meanwhile by someone else is fine. */
static const char *create_topic(rd_kafka_t *rk, const char *topic, char *errstr, size_t len) {
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 1, 1, errstr, len);
    if (!nt)
        return errstr;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    rd_kafka_queue_destroy(q);
    rd_kafka_resp_err_t err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (!err) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        err = cnt == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    if (!err || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return NULL;
    snprintf(errstr, len, "%s", rd_kafka_err2str(err));
    return errstr;
}

/* Kafka's EndToEndLatency.createTopic: a missing topic is made with one
 * partition and one replica first.  Returns 0 or -1 (reported). */
static int create_if_missing(rd_kafka_t *rk, const char *topic) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    if (err) {
        fprintf(stderr, "Could not list the topics: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    bool exists = false;
    for (int i = 0; i < md->topic_cnt; i++)
        exists |= strcmp(md->topics[i].topic, topic) == 0;
    rd_kafka_metadata_destroy(md);
    if (exists)
        return 0;
    printf("Topic \"%s\" does not exist. Will create topic with 1 partition(s) and replication factor = 1\n", topic);
    fflush(stdout);
    char errstr[256];
    const char *why = create_topic(rk, topic, errstr, sizeof(errstr));
    if (why) {
        printf("Creation of topic %s failed\n", topic);
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    return 0;
}

/* Assigns every partition of the topic at its high watermark (Kafka's
 * assign + seekToEnd + position).  Returns 0 or -1 (reported). */
static int assign_at_end(rd_kafka_t *consumer, const char *topic) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(consumer, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    /* a topic just made may answer LEADER_NOT_AVAILABLE for a moment */
    for (int tries = 0;; tries++) {
        err = rd_kafka_metadata(consumer, 0, rkt, &md, 10000);
        if (tries == 50 || err || (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0))
            break;
        rd_kafka_metadata_destroy(md);
        md = NULL;
        rd_kafka_poll(consumer, 100);
    }
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        fprintf(stderr, "Could not get the partitions of topic %s: %s\n", topic,
                rd_kafka_err2str(err ? err : md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        if (md)
            rd_kafka_metadata_destroy(md);
        return -1;
    }
    int n = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    int rc = 0;
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    if ((err = tool_log_offsets(consumer, parts, RD_KAFKA_OFFSET_END, 10000)) != 0) {
        fprintf(stderr, "Could not get the end offsets of %s: %s\n", topic, rd_kafka_err2str(err));
        rc = -1;
    }
    if (rc == 0 && (err = rd_kafka_assign(consumer, parts)) != 0) {
        fprintf(stderr, "Could not assign the partitions of %s: %s\n", topic, rd_kafka_err2str(err));
        rc = -1;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return rc;
}

static void print_results(const e2e_args_t *ea, tool_perf_lat_t *l) {
    tool_perf_lat_sort(l);
    double avg_us = l->count ? (double)l->sum / (double)l->count : 0.0;
    int64_t p50 = tool_perf_lat_pct(l, 0.5), p99 = tool_perf_lat_pct(l, 0.99), p999 = tool_perf_lat_pct(l, 0.999);
    printf("Avg latency: %.4f ms\n\n", avg_us / 1000.0);
    printf("Percentiles: 50th = %" PRId64 ", 99th = %" PRId64 ", 99.9th = %" PRId64 "\n", p50 / 1000, p99 / 1000,
           p999 / 1000);
    fflush(stdout);
}

static void print_json(const e2e_args_t *ea, tool_perf_lat_t *l, int64_t sent, int64_t received,
                       double elapsed_s) {
    double avg_us = l->count ? (double)l->sum / (double)l->count : 0.0;
    printf("{\"tool\":\"e2e-latency\",\"mode\":\"%s\",\"rate\":%.1f,\"sent\":%" PRId64 ",\"received\":%" PRId64
           ",\"achieved_rate\":%.1f,\"latency_us\":{\"avg\":%.1f,\"p50\":%" PRId64 ",\"p99\":%" PRId64
           ",\"p999\":%" PRId64 ",\"max\":%" PRId64 "}}\n",
           ea->rate > 0 ? "rate" : "ping-pong", ea->rate, sent, received,
           elapsed_s > 0 ? (double)sent / elapsed_s : 0.0, avg_us, tool_perf_lat_pct(l, 0.5),
           tool_perf_lat_pct(l, 0.99), tool_perf_lat_pct(l, 0.999), l->max);
    fflush(stdout);
}

/* ---- ping-pong mode ---- */

typedef struct pp_state {
    int delivered;
    rd_kafka_resp_err_t err;
} pp_state_t;

static void pp_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    pp_state_t *st = opaque;
    st->delivered = 1;
    st->err = m->err;
}

static int run_ping_pong(const e2e_args_t *ea, rd_kafka_t *producer, rd_kafka_t *consumer, pp_state_t *st) {
    tool_perf_lat_t lat;
    if (tool_perf_lat_init(&lat, ea->num, (size_t)ea->num) != 0)
        return 1;
    unsigned char *msg = malloc((size_t)ea->size + 1);
    if (!msg) {
        tool_perf_lat_free(&lat);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(producer, ea->topic, NULL);
    uint64_t seed = 0;
    int rc = 0;
    int64_t t0 = tool_perf_now_us();
    for (int64_t i = 0; i < ea->num && !tool_signal; i++) {
        tool_perf_random_payload(msg, (size_t)ea->size, &seed);
        int64_t begin = tool_perf_now_us();
        st->delivered = 0;
        if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, msg, (size_t)ea->size, NULL, 0,
                             NULL) != 0) {
            fprintf(stderr, "Failed to send: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            rc = 1;
            break;
        }
        while (!st->delivered && !tool_signal)
            rd_kafka_poll(producer, 100);
        if (st->err) {
            fprintf(stderr, "Failed to send: %s\n", rd_kafka_err2str(st->err));
            rc = 1;
            break;
        }
        rd_kafka_message_t *m = NULL;
        int64_t deadline = tool_now_ms() + POLL_TIMEOUT_MS;
        while (!tool_signal) {
            int64_t left = deadline - tool_now_ms();
            if (left <= 0)
                break;
            m = rd_kafka_consumer_poll(consumer, (int)left);
            if (m && m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fr_warn(COMPONENT, "Consumer error: %s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                m = NULL;
                continue;
            }
            if (m)
                break;
        }
        int64_t elapsed = tool_perf_now_us() - begin;
        if (!m) {
            if (!tool_signal) {
                fprintf(stderr, "poll() timed out before finding a result (timeout:[%d])\n", POLL_TIMEOUT_MS);
                rc = 1;
            }
            break;
        }
        bool same = m->len == (size_t)ea->size && (ea->size == 0 || memcmp(m->payload, msg, (size_t)ea->size) == 0);
        if (!same) {
            fprintf(stderr, "The message read [%.*s] did not match the message sent [%.*s]\n",
                    (int)(m->len < 64 ? m->len : 64), (const char *)m->payload,
                    (int)(ea->size < 64 ? ea->size : 64), (const char *)msg);
            rd_kafka_message_destroy(m);
            rc = 1;
            break;
        }
        rd_kafka_message_destroy(m);
        rd_kafka_message_t *extra = rd_kafka_consumer_poll(consumer, 0);
        if (extra && !extra->err) {
            int count = 2;
            rd_kafka_message_destroy(extra);
            while ((extra = rd_kafka_consumer_poll(consumer, 0)) != NULL) {
                count += !extra->err;
                rd_kafka_message_destroy(extra);
            }
            fprintf(stderr, "Only one result was expected during this test. We found [%d]\n", count);
            rc = 1;
            break;
        }
        if (extra)
            rd_kafka_message_destroy(extra);
        if (i % 1000 == 0) {
            printf("%" PRId64 "\t%.6f\n", i, (double)elapsed / 1000.0);
            fflush(stdout);
        }
        tool_perf_lat_record(&lat, elapsed);
    }
    double elapsed_s = (double)(tool_perf_now_us() - t0) / 1e6;
    if (rc == 0 && !tool_signal) {
        print_results(ea, &lat);
        if (ea->json)
            print_json(ea, &lat, lat.count, lat.count, elapsed_s);
    }
    rd_kafka_topic_destroy(rkt);
    free(msg);
    tool_perf_lat_free(&lat);
    return rc;
}

/* ---- fixed-rate mode ---- */

typedef struct rate_state {
    rd_kafka_t *consumer;
    int64_t expected;
    tool_perf_lat_t lat;
    atomic_bool stop;
    atomic_int_fast64_t received;
    int64_t mismatched, duplicates, last_seq;
    unsigned char *seen; /* one byte per sequence number */
    atomic_int_fast64_t dr_failed;
} rate_state_t;

static void rate_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    rate_state_t *st = opaque;
    if (m->err && atomic_fetch_add(&st->dr_failed, 1) < 10)
        fr_error(COMPONENT, "Failed to send: %s", rd_kafka_err2str(m->err));
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void *rate_consumer(void *arg) {
    rate_state_t *st = arg;
    while (!atomic_load(&st->stop) && atomic_load(&st->received) < st->expected) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(st->consumer, 100);
        int64_t now_us = tool_perf_now_us();
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fr_warn(COMPONENT, "Consumer error: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->len < RATE_HEADER) {
            st->mismatched++;
        } else {
            int64_t sent_us = (int64_t)get_u64(m->payload);
            uint64_t seq = get_u64((const unsigned char *)m->payload + 8);
            if (seq >= (uint64_t)st->expected) {
                st->mismatched++;
            } else if (st->seen[seq]) {
                st->duplicates++;
            } else {
                st->seen[seq] = 1;
                tool_perf_lat_record(&st->lat, now_us - sent_us);
                atomic_fetch_add(&st->received, 1);
            }
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int run_rate(const e2e_args_t *ea, rd_kafka_t *producer, rate_state_t *st) {
    int rc = 1;
    unsigned char *pool = malloc((size_t)ea->size + 4096);
    st->seen = calloc((size_t)ea->num, 1);
    if (!pool || !st->seen || tool_perf_lat_init(&st->lat, ea->num, (size_t)ea->num) != 0) {
        free(pool);
        return 1;
    }
    uint64_t seed = 0;
    tool_perf_random_payload(pool, (size_t)ea->size + 4096, &seed);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* sleep to the microsecond, not the default 50 us */

    pthread_t thr;
    if (pthread_create(&thr, NULL, rate_consumer, st) != 0) {
        fprintf(stderr, "could not start the consumer thread\n");
        free(pool);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(producer, ea->topic, NULL);
    double interval_us = 1e6 / ea->rate;
    int64_t start = tool_perf_now_us() + 1000, sent = 0, failed = 0;
    while (sent < ea->num && !tool_signal) {
        int64_t now = tool_perf_now_us();
        int64_t due = (int64_t)((double)(now - start) / interval_us) + 1;
        if (due > ea->num)
            due = ea->num;
        for (; sent < due && !tool_signal; sent++) {
            unsigned char *p = pool + (size_t)(sent * 7919) % 4096;
            /* The header is written into the pool window; librdkafka copies it. */
            put_u64(p, (uint64_t)(start + (int64_t)((double)sent * interval_us)));
            put_u64(p + 8, (uint64_t)sent);
            while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, p, (size_t)ea->size, NULL, 0,
                                    NULL) != 0) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    failed++;
                    break;
                }
                rd_kafka_poll(producer, 1);
            }
        }
        rd_kafka_poll(producer, 0);
        if (sent < ea->num) {
            /* Sleep in ticks, not per record: at 100k records/s a 10 us sleep per
             * record cost the client about a core of futex and timer work on a
             * 2-core machine, starving the broker and the consumer it measures. */
            int64_t next = start + (int64_t)((double)sent * interval_us);
            if (next < now + RATE_TICK_US)
                next = now + RATE_TICK_US;
            tool_perf_sleep_until_us(next);
        }
    }
    double elapsed_s = (double)(tool_perf_now_us() - start) / 1e6;
    while (rd_kafka_outq_len(producer) > 0 && !tool_signal)
        rd_kafka_flush(producer, 100);
    /* Let the consumer catch up, then stop it. */
    int64_t last_count = -1, last_change = tool_now_ms();
    while (!tool_signal && atomic_load(&st->received) < ea->num - failed - atomic_load(&st->dr_failed)) {
        int64_t r = atomic_load(&st->received);
        if (r != last_count) {
            last_count = r;
            last_change = tool_now_ms();
        } else if (tool_now_ms() - last_change > RATE_IDLE_TIMEOUT_MS) {
            break;
        }
        tool_perf_sleep_until_us(tool_perf_now_us() + 10000);
    }
    atomic_store(&st->stop, true);
    pthread_join(thr, NULL);
    rd_kafka_topic_destroy(rkt);
    free(pool);

    int64_t received = atomic_load(&st->received);
    failed += atomic_load(&st->dr_failed);
    printf("%" PRId64 " records sent at %.1f records/s (target %.1f), %" PRId64 " received, %" PRId64
           " failed, %" PRId64 " duplicated\n",
           sent, elapsed_s > 0 ? (double)sent / elapsed_s : 0.0, ea->rate, received, failed, st->duplicates);
    print_results(ea, &st->lat);
    if (ea->json)
        print_json(ea, &st->lat, sent, received, elapsed_s);
    if (tool_signal)
        rc = 128 + tool_signal;
    else if (received != sent || failed || st->mismatched) {
        fprintf(stderr, "%" PRId64 " of %" PRId64 " records were not received (%" PRId64 " failed, %" PRId64
                        " not ours)\n",
                sent - received, sent, failed, st->mismatched);
        rc = 1;
    } else {
        rc = 0;
    }
    return rc;
}

int fr_cmd_e2e_latency(int argc, char **argv) {
    tool_logging_init();
    e2e_args_t ea;
    int prc = parse_args(argc, argv, &ea);
    if (prc != 0)
        return prc == -2 ? 0 : prc;

    int rc = 1;
    pp_state_t pp = {0};
    rate_state_t rs = {0};
    void *popaque = ea.rate > 0 ? (void *)&rs : (void *)&pp;
    rd_kafka_t *consumer = make_client(&ea, RD_KAFKA_CONSUMER, NULL, NULL);
    rd_kafka_t *producer = consumer ? make_client(&ea, RD_KAFKA_PRODUCER, popaque, ea.rate > 0 ? rate_dr : pp_dr) : NULL;
    if (!consumer || !producer)
        goto out;
    tool_signals_install();
    if (create_if_missing(consumer, ea.topic) != 0 || assign_at_end(consumer, ea.topic) != 0)
        goto out;
    /* Wait until the fetchers have started at the assigned offsets. */
    rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
    if (m) {
        fr_warn(COMPONENT, "unexpected record or event before the test started: %s",
                m->err ? rd_kafka_message_errstr(m) : "a record");
        rd_kafka_message_destroy(m);
    }
    if (ea.rate > 0) {
        rs.consumer = consumer;
        rs.expected = ea.num;
        rc = run_rate(&ea, producer, &rs);
    } else {
        rc = run_ping_pong(&ea, producer, consumer, &pp);
        if (tool_signal)
            rc = 128 + tool_signal;
    }

out:
    if (consumer) {
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
    }
    if (producer) {
        rd_kafka_flush(producer, 5000);
        rd_kafka_destroy(producer);
    }
    tool_perf_lat_free(&rs.lat);
    free(rs.seen);
    return rc;
}
