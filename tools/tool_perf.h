/*
 * tool_perf.h — what the performance tools (producer-perf-test,
 * consumer-perf-test, e2e-latency) share: a microsecond clock, a latency
 * sample set with Kafka's percentile rule, random payloads, Java date
 * formats and librdkafka's statistics printed as Kafka's metrics table.
 *
 * Nothing here allocates after setup: the sample array is sized once, so a
 * hot loop that records latencies never calls malloc.
 */
#ifndef FR_TOOL_PERF_H
#define FR_TOOL_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* Microseconds on the monotonic clock (shared by every thread of the process). */
int64_t tool_perf_now_us(void);

/* Milliseconds since the epoch (the wall clock the Kafka tools print). */
int64_t tool_perf_wall_ms(void);

/* Sleeps until the monotonic clock reaches deadline_us (returns at once when past). */
void tool_perf_sleep_until_us(int64_t deadline_us);

/*
 * Latency samples.  Like Kafka's ProducerPerformance.Stats, at most `cap`
 * samples are kept: every `sampling`-th recorded value (sampling =
 * expected / min(expected, cap)), so the array never grows.  Count, sum and
 * max cover every recorded value, sampled or not.
 */
typedef struct tool_perf_lat {
    int64_t *samples; /* owned; `cap` entries */
    size_t cap, n;
    int64_t sampling, seen;
    int64_t count, sum, max;
} tool_perf_lat_t;

/* Sizes the sample array for `expected` values, keeping at most max_samples.
 * Returns 0 or -1 (out of memory). */
int tool_perf_lat_init(tool_perf_lat_t *l, int64_t expected, size_t max_samples);
void tool_perf_lat_free(tool_perf_lat_t *l);
/* Records one value (any unit; the caller keeps it consistent). */
void tool_perf_lat_record(tool_perf_lat_t *l, int64_t v);
/* Sorts the samples (once; further records are not allowed afterwards). */
void tool_perf_lat_sort(tool_perf_lat_t *l);
/* Kafka's rule on sorted samples: samples[(int)(p * n)]; 0 when there are none. */
int64_t tool_perf_lat_pct(const tool_perf_lat_t *l, double p);

/*
 * Fills buf with `len` random upper-case letters, as Kafka's perf tools make
 * their payloads ('A' + random 0..25).  `seed` is updated (xorshift).
 */
void tool_perf_random_payload(unsigned char *buf, size_t len, uint64_t *seed);

/*
 * Formats epoch milliseconds with a Java SimpleDateFormat pattern (local
 * time).  Supported letters: y M d H h m s S a E, and 'quoted' text; other
 * letters are copied.  Returns out.
 */
char *tool_perf_java_date(char *out, size_t outlen, const char *pattern, int64_t epoch_ms);

/*
 * --print-metrics: librdkafka's statistics (statistics.interval.ms) kept by
 * a stats callback and printed at the end as Kafka prints its metrics:
 *   Metric Name                                   Value
 *   producer-metrics:msg_cnt:{client-id=...}    : 0
 * Only the statistics' top-level numbers are listed (librdkafka's names).
 */
typedef struct tool_perf_stats {
    char *last_json; /* owned; the newest statistics document */
    uint64_t docs;   /* how many documents arrived */
} tool_perf_stats_t;

/* A stats callback for rd_kafka_conf_set_stats_cb: the conf's opaque must
 * point at a tool_perf_stats_t (the tools make it their state's first
 * member).  Keeps a copy of the newest document. */
int tool_perf_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque);
/* Serves rk's callbacks (rd_kafka_consumer_poll when `consumer`, dropping any
 * record, else rd_kafka_poll) until a statistics document newer than the call
 * arrives or timeout_ms passes, so short runs still print their metrics. */
void tool_perf_stats_refresh(rd_kafka_t *rk, tool_perf_stats_t *st, bool consumer, int timeout_ms);
/* Prints the table; `group` is "producer-metrics" or "consumer-metrics". */
void tool_perf_stats_print(FILE *out, const tool_perf_stats_t *st, const char *group,
                           const char *client_id);
void tool_perf_stats_free(tool_perf_stats_t *st);

#endif
