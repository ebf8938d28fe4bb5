#include "tool_perf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int64_t tool_perf_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t tool_perf_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tool_perf_sleep_until_us(int64_t deadline_us) {
    struct timespec ts = {.tv_sec = deadline_us / 1000000, .tv_nsec = (deadline_us % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* ---- latency samples ---- */

int tool_perf_lat_init(tool_perf_lat_t *l, int64_t expected, size_t max_samples) {
    memset(l, 0, sizeof(*l));
    if (expected < 1)
        expected = 1;
    int64_t keep = expected < (int64_t)max_samples ? expected : (int64_t)max_samples;
    l->sampling = expected / keep;
    l->cap = (size_t)(expected / l->sampling) + 1;
    l->samples = malloc(l->cap * sizeof(*l->samples));
    return l->samples ? 0 : -1;
}

void tool_perf_lat_free(tool_perf_lat_t *l) {
    free(l->samples);
    l->samples = NULL;
}

void tool_perf_lat_record(tool_perf_lat_t *l, int64_t v) {
    l->count++;
    l->sum += v;
    if (v > l->max)
        l->max = v;
    if (l->seen++ % l->sampling == 0 && l->n < l->cap)
        l->samples[l->n++] = v;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void tool_perf_lat_sort(tool_perf_lat_t *l) { qsort(l->samples, l->n, sizeof(*l->samples), cmp_i64); }

int64_t tool_perf_lat_pct(const tool_perf_lat_t *l, double p) {
    if (l->n == 0)
        return 0;
    size_t i = (size_t)(p * (double)l->n);
    return l->samples[i < l->n ? i : l->n - 1];
}

/* ---- payloads ---- */

void tool_perf_random_payload(unsigned char *buf, size_t len, uint64_t *seed) {
    uint64_t x = *seed ? *seed : 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)('A' + (x >> 33) % 26);
    }
    *seed = x;
}

/* ---- Java date formats ---- */

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* Appends a number zero-padded to `width` digits. */
static size_t put_num(char *out, size_t cap, size_t pos, long v, int width) {
    if (pos < cap) {
        int n = snprintf(out + pos, cap - pos, "%0*ld", width, v);
        return pos + (n > 0 ? (size_t)n : 0);
    }
    return pos;
}

char *tool_perf_java_date(char *out, size_t outlen, const char *pattern, int64_t epoch_ms) {
    time_t secs = (time_t)(epoch_ms / 1000);
    long ms = (long)(epoch_ms % 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    size_t pos = 0;
    out[0] = '\0';
    for (const char *p = pattern; *p && pos + 1 < outlen;) {
        char c = *p;
        if (c == '\'') { /* quoted text; '' is a quote */
            p++;
            if (*p == '\'') {
                out[pos++] = '\'';
                p++;
                continue;
            }
            while (*p && *p != '\'' && pos + 1 < outlen)
                out[pos++] = *p++;
            if (*p == '\'')
                p++;
            continue;
        }
        int run = 1;
        while (p[run] == c)
            run++;
        p += run;
        switch (c) {
        case 'y':
            pos = put_num(out, outlen, pos, run == 2 ? (tm.tm_year + 1900) % 100 : tm.tm_year + 1900, run);
            break;
        case 'M':
            if (run >= 3)
                pos += (size_t)snprintf(out + pos, outlen - pos, "%s", month_names[tm.tm_mon]);
            else
                pos = put_num(out, outlen, pos, tm.tm_mon + 1, run);
            break;
        case 'd': pos = put_num(out, outlen, pos, tm.tm_mday, run); break;
        case 'H': pos = put_num(out, outlen, pos, tm.tm_hour, run); break;
        case 'h': pos = put_num(out, outlen, pos, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, run); break;
        case 'm': pos = put_num(out, outlen, pos, tm.tm_min, run); break;
        case 's': pos = put_num(out, outlen, pos, tm.tm_sec, run); break;
        case 'S': pos = put_num(out, outlen, pos, ms, run); break;
        case 'a': pos += (size_t)snprintf(out + pos, outlen - pos, "%s", tm.tm_hour < 12 ? "AM" : "PM"); break;
        case 'E': pos += (size_t)snprintf(out + pos, outlen - pos, "%s", day_names[tm.tm_wday]); break;
        default:
            for (int i = 0; i < run && pos + 1 < outlen; i++)
                out[pos++] = c;
            break;
        }
        if (pos >= outlen)
            pos = outlen - 1;
        out[pos] = '\0';
    }
    out[pos < outlen ? pos : outlen - 1] = '\0';
    return out;
}

/* ---- metrics ---- */

int tool_perf_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    tool_perf_stats_t *st = opaque;
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, json, len);
        copy[len] = '\0';
        free(st->last_json);
        st->last_json = copy;
        st->docs++;
    }
    return 0; /* librdkafka frees json */
}

void tool_perf_stats_refresh(rd_kafka_t *rk, tool_perf_stats_t *st, bool consumer, int timeout_ms) {
    uint64_t before = st->docs;
    int64_t deadline = tool_perf_now_us() + (int64_t)timeout_ms * 1000;
    while (st->docs == before && tool_perf_now_us() < deadline) {
        if (consumer) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
            if (m)
                rd_kafka_message_destroy(m);
        } else {
            rd_kafka_poll(rk, 50);
        }
    }
}

typedef struct metric {
    char name[96];
    char value[48];
} metric_t;

static int cmp_metric(const void *a, const void *b) {
    return strcmp(((const metric_t *)a)->name, ((const metric_t *)b)->name);
}

/* Collects the top-level "key": number pairs of a JSON object. */
static size_t top_level_numbers(const char *js, metric_t *out, size_t cap) {
    size_t n = 0;
    int depth = 0;
    const char *key = NULL;
    size_t key_len = 0;
    for (const char *p = js; *p; p++) {
        if (*p == '"') {
            const char *s = ++p;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (!*p)
                break;
            if (depth == 1) {
                const char *q = p + 1;
                while (*q == ' ')
                    q++;
                if (*q == ':') {
                    key = s;
                    key_len = (size_t)(p - s);
                }
            }
            continue;
        }
        if (*p == '{' || *p == '[') {
            depth++;
            key = NULL;
        } else if (*p == '}' || *p == ']') {
            depth--;
        } else if (depth == 1 && key && (*p == '-' || (*p >= '0' && *p <= '9'))) {
            const char *s = p;
            while (p[1] && strchr("-+.eE0123456789", p[1]))
                p++;
            if (n < cap) {
                snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)key_len, key);
                snprintf(out[n].value, sizeof(out[n].value), "%.*s", (int)(p - s + 1), s);
                n++;
            }
            key = NULL;
        } else if (*p == ',') {
            key = NULL;
        }
    }
    return n;
}

void tool_perf_stats_print(FILE *out, const tool_perf_stats_t *st, const char *group,
                           const char *client_id) {
    if (!st->last_json)
        return;
    metric_t m[64];
    size_t n = top_level_numbers(st->last_json, m, sizeof(m) / sizeof(m[0]));
    if (n == 0)
        return;
    qsort(m, n, sizeof(m[0]), cmp_metric);
    char names[64][200];
    int width = (int)strlen("Metric Name");
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "%.40s:%.95s:{client-id=%.40s}", group, m[i].name, client_id);
        int w = (int)strlen(names[i]);
        if (w > width)
            width = w;
    }
    fprintf(out, "\n%-*s   %s\n", width, "Metric Name", "Value");
    for (size_t i = 0; i < n; i++) {
        if (strpbrk(m[i].value, ".eE"))
            fprintf(out, "%-*s : %.3f\n", width, names[i], strtod(m[i].value, NULL));
        else
            fprintf(out, "%-*s : %s\n", width, names[i], m[i].value);
    }
}

void tool_perf_stats_free(tool_perf_stats_t *st) {
    free(st->last_json);
    st->last_json = NULL;
}
