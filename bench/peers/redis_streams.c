/*
 * redis_streams — the Redis Streams peer of bench/run: the same three
 * workloads as Freshet's perf tools, on XADD / XREADGROUP with pipelining
 * (hiredis, as redis-benchmark -P pipelines), each printing one JSON line.
 *
 *   redis_streams produce --port P --stream S [--streams K] --count N --size B [--pipeline D]
 *   redis_streams consume --port P --stream S --count N [--batch B]
 *   redis_streams e2e     --port P --stream S --count N --size B --rate R
 *
 * produce: N XADDs of B random upper-case letters (field "v"), round-robin
 *   over K streams (S.0 .. S.K-1 when K > 1; the analogue of partitions),
 *   with up to D commands in flight: D are written, then their D replies
 *   read.  Latency of a record is its batch's round trip.
 * consume: a new consumer group reads N entries from the start of S with
 *   XREADGROUP COUNT B; each batch is acknowledged with one XACK of its ids,
 *   pipelined with the next read (at-least-once, as a Kafka consumer that
 *   commits).
 * e2e: a consumer thread (XREADGROUP BLOCK, XACK) on its own connection
 *   and a producer sending N entries at R per second on a fixed schedule;
 *   each entry carries its scheduled send time and sequence number, and its
 *   latency is receive time minus scheduled time (as e2e-latency --rate).
 *
 * Output fields mirror the Freshet tools' --json lines.  Exit 0, or 1 with
 * a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <hiredis/hiredis.h>

typedef struct opts {
    const char *mode, *host, *stream;
    int port, streams, pipeline, batch;
    long long count, size;
    double rate;
} opts_t;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(int64_t t) {
    struct timespec ts = {.tv_sec = t / 1000000, .tv_nsec = (t % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "redis_streams: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static redisContext *connect_or_die(const opts_t *o) {
    redisContext *c = redisConnect(o->host, o->port);
    if (!c || c->err)
        die("connect", c ? c->errstr : "out of memory");
    return c;
}

/* Reads one reply; dies on a connection error or an error reply. */
static redisReply *get_reply(redisContext *c) {
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK || !r)
        die("reply", c->errstr);
    redisReply *rep = r;
    if (rep->type == REDIS_REPLY_ERROR)
        die("error reply", rep->str);
    return rep;
}

static void fill_letters(unsigned char *buf, size_t len) {
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)('A' + (x >> 33) % 26);
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Kafka's percentile rule on sorted values. */
static int64_t pct(const int64_t *v, size_t n, double p) {
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)n);
    return v[i < n ? i : n - 1];
}

/* ---- produce ---- */

static int run_produce(const opts_t *o) {
    redisContext *c = connect_or_die(o);
    size_t pool_len = (size_t)o->size + 65536;
    unsigned char *pool = malloc(pool_len);
    int64_t *lat = malloc(sizeof(*lat) * (size_t)o->count);
    char (*names)[256] = calloc((size_t)o->streams, sizeof(*names));
    if (!pool || !lat || !names)
        die("out of memory", NULL);
    fill_letters(pool, pool_len);
    for (int k = 0; k < o->streams; k++) {
        if (o->streams == 1)
            snprintf(names[k], sizeof(names[k]), "%s", o->stream);
        else
            snprintf(names[k], sizeof(names[k]), "%s.%d", o->stream, k);
    }
    int64_t start = now_us();
    long long sent = 0;
    uint64_t rnd = 0x12345;
    while (sent < o->count) {
        long long n = o->count - sent < o->pipeline ? o->count - sent : o->pipeline;
        int64_t t0 = now_us();
        for (long long i = 0; i < n; i++) {
            rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
            const char *argv[5] = {"XADD", names[(sent + i) % o->streams], "*", "v",
                                   (const char *)pool + rnd % 65536};
            size_t lens[5] = {4, strlen(argv[1]), 1, 1, (size_t)o->size};
            redisAppendCommandArgv(c, 5, argv, lens);
        }
        for (long long i = 0; i < n; i++)
            freeReplyObject(get_reply(c));
        int64_t t1 = now_us();
        for (long long i = 0; i < n; i++)
            lat[sent + i] = t1 - t0;
        sent += n;
    }
    double elapsed_ms = (double)(now_us() - start) / 1000.0;
    qsort(lat, (size_t)sent, sizeof(*lat), cmp_i64);
    double sum = 0;
    for (long long i = 0; i < sent; i++)
        sum += (double)lat[i];
    double bytes = (double)sent * (double)o->size;
    printf("{\"tool\":\"redis-produce\",\"records\":%lld,\"failed\":0,\"bytes\":%.0f,\"elapsed_ms\":%.3f,"
           "\"records_per_sec\":%.1f,\"mb_per_sec\":%.4f,\"latency_us\":{\"avg\":%.1f,\"max\":%" PRId64
           ",\"p50\":%" PRId64 ",\"p95\":%" PRId64 ",\"p99\":%" PRId64 ",\"p999\":%" PRId64 "}}\n",
           sent, bytes, elapsed_ms, 1000.0 * (double)sent / elapsed_ms, 1000.0 * bytes / elapsed_ms / 1048576.0,
           sent ? sum / (double)sent : 0.0, sent ? lat[sent - 1] : 0, pct(lat, (size_t)sent, 0.5),
           pct(lat, (size_t)sent, 0.95), pct(lat, (size_t)sent, 0.99), pct(lat, (size_t)sent, 0.999));
    free(pool);
    free(lat);
    free(names);
    redisFree(c);
    return 0;
}

/* ---- consume ---- */

/* Appends "XACK stream group id..." for every entry of an XREADGROUP reply
 * and returns how many entries (and their value bytes) it held. */
static long long ack_entries(redisContext *c, const char *stream, const char *group, redisReply *rep,
                             long long *bytes) {
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
        return 0;
    redisReply *entries = rep->element[0]->element[1];
    size_t n = entries->elements;
    if (n == 0)
        return 0;
    const char **argv = malloc(sizeof(*argv) * (n + 3));
    size_t *lens = malloc(sizeof(*lens) * (n + 3));
    if (!argv || !lens)
        die("out of memory", NULL);
    argv[0] = "XACK", lens[0] = 4;
    argv[1] = stream, lens[1] = strlen(stream);
    argv[2] = group, lens[2] = strlen(group);
    for (size_t i = 0; i < n; i++) {
        redisReply *e = entries->element[i];
        argv[3 + i] = e->element[0]->str;
        lens[3 + i] = e->element[0]->len;
        redisReply *fields = e->element[1];
        for (size_t f = 1; f < fields->elements; f += 2)
            *bytes += (long long)fields->element[f]->len;
    }
    redisAppendCommandArgv(c, (int)(n + 3), argv, lens);
    free(argv);
    free(lens);
    return (long long)n;
}

static int run_consume(const opts_t *o) {
    redisContext *c = connect_or_die(o);
    char group[64], count[32];
    snprintf(group, sizeof(group), "bench-%" PRId64, now_us());
    snprintf(count, sizeof(count), "%d", o->batch);
    redisReply *r = redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", o->stream, group);
    if (!r || r->type == REDIS_REPLY_ERROR)
        die("XGROUP CREATE", r ? r->str : c->errstr);
    freeReplyObject(r);
    int64_t start = now_us();
    long long got = 0, bytes = 0;
    int pending_acks = 0;
    while (got < o->count) {
        const char *argv[9] = {"XREADGROUP", "GROUP", group, "c1", "COUNT", count, "STREAMS", o->stream, ">"};
        redisAppendCommandArgv(c, 9, argv, NULL);
        for (; pending_acks > 0; pending_acks--)
            freeReplyObject(get_reply(c));
        redisReply *rep = get_reply(c);
        long long n = ack_entries(c, o->stream, group, rep, &bytes);
        freeReplyObject(rep);
        if (n == 0)
            break; /* the stream holds fewer entries than asked for */
        pending_acks = 1;
        got += n;
    }
    for (; pending_acks > 0; pending_acks--)
        freeReplyObject(get_reply(c));
    double elapsed_ms = (double)(now_us() - start) / 1000.0;
    printf("{\"tool\":\"redis-consume\",\"messages\":%lld,\"bytes\":%lld,\"elapsed_ms\":%.3f,\"mb_per_sec\":%.4f,"
           "\"msgs_per_sec\":%.1f,\"fetch_mb_per_sec\":%.4f,\"fetch_msgs_per_sec\":%.1f}\n",
           got, bytes, elapsed_ms, 1000.0 * (double)bytes / elapsed_ms / 1048576.0,
           1000.0 * (double)got / elapsed_ms, 1000.0 * (double)bytes / elapsed_ms / 1048576.0,
           1000.0 * (double)got / elapsed_ms);
    redisFree(c);
    return got == o->count ? 0 : (fprintf(stderr, "redis_streams: only %lld of %lld entries\n", got, o->count), 1);
}

/* ---- e2e at a fixed rate ---- */

typedef struct e2e_state {
    const opts_t *o;
    char group[64];
    int64_t *lat;
    unsigned char *seen;
    atomic_llong received;
    atomic_bool stop;
    long long duplicates;
} e2e_state_t;

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static void *e2e_consumer(void *arg) {
    e2e_state_t *st = arg;
    const opts_t *o = st->o;
    redisContext *c = connect_or_die(o);
    long long bytes = 0;
    while (!atomic_load(&st->stop) && atomic_load(&st->received) < o->count) {
        redisReply *rep = redisCommand(c, "XREADGROUP GROUP %s c1 COUNT 1000 BLOCK 100 STREAMS %s >", st->group,
                                       o->stream);
        int64_t t = now_us();
        if (!rep || rep->type == REDIS_REPLY_ERROR)
            die("XREADGROUP", rep ? rep->str : c->errstr);
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0) {
            redisReply *entries = rep->element[0]->element[1];
            for (size_t i = 0; i < entries->elements; i++) {
                redisReply *fields = entries->element[i]->element[1];
                if (fields->elements < 2 || fields->element[1]->len < 16)
                    continue;
                const unsigned char *v = (const unsigned char *)fields->element[1]->str;
                int64_t sent = (int64_t)get_u64(v);
                uint64_t seq = get_u64(v + 8);
                if (seq >= (uint64_t)o->count)
                    continue;
                if (st->seen[seq]) {
                    st->duplicates++;
                    continue;
                }
                st->seen[seq] = 1;
                st->lat[atomic_load(&st->received)] = t - sent;
                atomic_fetch_add(&st->received, 1);
            }
            ack_entries(c, o->stream, st->group, rep, &bytes);
            freeReplyObject(get_reply(c));
        }
        freeReplyObject(rep);
    }
    redisFree(c);
    return NULL;
}

static int run_e2e(const opts_t *o) {
    if (o->size < 16)
        die("e2e needs --size of at least 16", NULL);
    redisContext *c = connect_or_die(o);
    e2e_state_t st = {.o = o};
    snprintf(st.group, sizeof(st.group), "e2e-%" PRId64, now_us());
    redisReply *r = redisCommand(c, "XGROUP CREATE %s %s $ MKSTREAM", o->stream, st.group);
    if (!r || r->type == REDIS_REPLY_ERROR)
        die("XGROUP CREATE", r ? r->str : c->errstr);
    freeReplyObject(r);
    st.lat = malloc(sizeof(*st.lat) * (size_t)o->count);
    st.seen = calloc((size_t)o->count, 1);
    unsigned char *pool = malloc((size_t)o->size + 4096);
    if (!st.lat || !st.seen || !pool)
        die("out of memory", NULL);
    fill_letters(pool, (size_t)o->size + 4096);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_t thr;
    if (pthread_create(&thr, NULL, e2e_consumer, &st) != 0)
        die("pthread_create", NULL);
    sleep_until_us(now_us() + 100000); /* the consumer is blocked in XREADGROUP */

    double interval = 1e6 / o->rate;
    int64_t start = now_us() + 1000;
    long long sent = 0;
    while (sent < o->count) {
        long long due = (long long)((double)(now_us() - start) / interval) + 1;
        if (due > o->count)
            due = o->count;
        long long n = 0;
        for (; sent < due; sent++, n++) {
            unsigned char *p = pool + (size_t)(sent * 7919) % 4096;
            put_u64(p, (uint64_t)(start + (int64_t)((double)sent * interval)));
            put_u64(p + 8, (uint64_t)sent);
            const char *argv[5] = {"XADD", o->stream, "*", "v", (const char *)p};
            size_t lens[5] = {4, strlen(o->stream), 1, 1, (size_t)o->size};
            redisAppendCommandArgv(c, 5, argv, lens);
        }
        for (; n > 0; n--)
            freeReplyObject(get_reply(c));
        if (sent < o->count)
            sleep_until_us(start + (int64_t)((double)sent * interval));
    }
    double elapsed_s = (double)(now_us() - start) / 1e6;
    int64_t last_change = now_us();
    long long last = -1;
    while (atomic_load(&st.received) < o->count && now_us() - last_change < 10000000) {
        long long got = atomic_load(&st.received);
        if (got != last)
            last = got, last_change = now_us();
        sleep_until_us(now_us() + 10000);
    }
    atomic_store(&st.stop, true);
    pthread_join(thr, NULL);
    long long got = atomic_load(&st.received);
    qsort(st.lat, (size_t)got, sizeof(*st.lat), cmp_i64);
    double sum = 0;
    for (long long i = 0; i < got; i++)
        sum += (double)st.lat[i];
    printf("{\"tool\":\"redis-e2e\",\"mode\":\"rate\",\"rate\":%.1f,\"sent\":%lld,\"received\":%lld,"
           "\"achieved_rate\":%.1f,\"latency_us\":{\"avg\":%.1f,\"p50\":%" PRId64 ",\"p99\":%" PRId64
           ",\"p999\":%" PRId64 ",\"max\":%" PRId64 "}}\n",
           o->rate, sent, got, elapsed_s > 0 ? (double)sent / elapsed_s : 0.0, got ? sum / (double)got : 0.0,
           pct(st.lat, (size_t)got, 0.5), pct(st.lat, (size_t)got, 0.99), pct(st.lat, (size_t)got, 0.999),
           got ? st.lat[got - 1] : 0);
    free(st.lat);
    free(st.seen);
    free(pool);
    redisFree(c);
    return got == sent ? 0 : 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: redis_streams produce|consume|e2e --port P --stream S [--host H] [--streams K] --count N\n"
            "                     [--size B] [--pipeline D] [--batch B] [--rate R]\n");
    exit(1);
}

int main(int argc, char **argv) {
    opts_t o = {.host = "127.0.0.1", .streams = 1, .pipeline = 100, .batch = 1000, .size = 100};
    if (argc < 2)
        usage();
    o.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (strcmp(k, "--port") == 0) o.port = atoi(v);
        else if (strcmp(k, "--host") == 0) o.host = v;
        else if (strcmp(k, "--stream") == 0) o.stream = v;
        else if (strcmp(k, "--streams") == 0) o.streams = atoi(v);
        else if (strcmp(k, "--count") == 0) o.count = atoll(v);
        else if (strcmp(k, "--size") == 0) o.size = atoll(v);
        else if (strcmp(k, "--pipeline") == 0) o.pipeline = atoi(v);
        else if (strcmp(k, "--batch") == 0) o.batch = atoi(v);
        else if (strcmp(k, "--rate") == 0) o.rate = atof(v);
        else usage();
    }
    if (!o.port || !o.stream || o.count < 1 || o.streams < 1 || o.pipeline < 1 || o.batch < 1 || o.size < 0)
        usage();
    if (strcmp(o.mode, "produce") == 0)
        return run_produce(&o);
    if (strcmp(o.mode, "consume") == 0)
        return run_consume(&o);
    if (strcmp(o.mode, "e2e") == 0 && o.rate > 0)
        return run_e2e(&o);
    usage();
    return 1;
}
