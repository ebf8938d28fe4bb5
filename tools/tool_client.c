#include "tool_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "fr_logging.h"

volatile sig_atomic_t tool_signal = 0;

static void on_signal(int signo) { tool_signal = signo; }

void tool_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking read must return */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void tool_logging_init(void) {
    if (!getenv("FR_LOG_LEVEL"))
        fr_logging_set_level(FR_LOG_WARN);
}

int64_t tool_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tool_props_load_file(fr_props_t *p, const char *path, char *err, size_t errlen) {
    fr_props_t file;
    fr_props_init(&file);
    char msg[512];
    if (fr_props_load(&file, path, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s", msg);
        fr_props_free(&file);
        return -1;
    }
    int rc = tool_props_merge(p, &file);
    fr_props_free(&file);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

int tool_props_add_kvs(fr_props_t *p, const tool_args_t *a, const char *opt, char *err,
                       size_t errlen) {
    size_t n = tool_args_count(a, opt);
    for (size_t i = 0; i < n; i++) {
        const char *kv = tool_args_value_at(a, opt, i);
        char msg[512];
        if (fr_props_set_kv(p, kv, msg, sizeof(msg)) != 0) {
            snprintf(err, errlen, "Invalid --%s: %s", opt, msg);
            return -1;
        }
    }
    return 0;
}

int tool_props_merge(fr_props_t *dst, const fr_props_t *src) {
    for (size_t i = 0; i < src->count; i++)
        if (fr_props_set(dst, src->items[i].key, src->items[i].value) != 0)
            return -1;
    return 0;
}

int tool_props_default(fr_props_t *p, const char *key, const char *value) {
    if (fr_props_get(p, key))
        return 0;
    return fr_props_set(p, key, value) == 0 ? 0 : -1;
}

/* librdkafka's syslog levels onto ours.  librdkafka only emits debug lines
 * when the user set debug=..., so those always show. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    fr_log_level_t l = level <= LOG_ERR       ? FR_LOG_ERROR
                       : level == LOG_WARNING ? FR_LOG_WARN
                       : level <= LOG_INFO    ? FR_LOG_INFO
                                              : FR_LOG_DEBUG;
    if (fr_log_enabled(l) || l == FR_LOG_DEBUG)
        fr_logf(l, "rdkafka", "%s [%s] %s", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

/* Client-level errors.  Connection failures are already in librdkafka's own
 * log lines; a fatal error is remembered by librdkafka (rd_kafka_fatal_error)
 * and the tool acts on it. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
        fr_debug("rdkafka", "%s: %s", rd_kafka_err2name(err), reason);
        break;
    case RD_KAFKA_RESP_ERR__FATAL:
        fr_error("rdkafka", "Fatal error: %s", reason);
        break;
    default:
        fr_warn("rdkafka", "%s: %s", rd_kafka_err2name(err), reason);
        break;
    }
}

/* Java client names that the tools handle themselves or that mean nothing here. */
static const char *const dropped_names[] = {
    "key.serializer",   "value.serializer",       "key.deserializer",
    "value.deserializer", "max.block.ms",         "default.api.timeout.ms",
};

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err,
                    size_t errlen) {
    char msg[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, value, msg, sizeof(msg));
    if (res == RD_KAFKA_CONF_OK)
        return 0;
    if (res == RD_KAFKA_CONF_UNKNOWN) {
        fr_warn("config", "The configuration '%s' was supplied but isn't a known config.", key);
        return 0;
    }
    snprintf(err, errlen, "Invalid value %s for configuration %s: %s", value, key, msg);
    return -1;
}

/* Whether a bootstrap list names at least one host: librdkafka accepts an
 * empty one and then waits for brokers that never come. */
static bool names_a_host(const char *list) {
    for (const char *p = list; *p; p++)
        if (*p != ',' && *p != ' ' && *p != '\t')
            return true;
    return false;
}

rd_kafka_conf_t *tool_conf_new(const fr_props_t *props, char *err, size_t errlen) {
    for (const char *const *k = (const char *const[]){"bootstrap.servers", "metadata.broker.list", NULL}; *k; k++) {
        const char *list = fr_props_get(props, *k);
        if (list && !names_a_host(list)) {
            snprintf(err, errlen, "No resolvable bootstrap urls given in %s", *k);
            return NULL;
        }
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    for (size_t i = 0; i < props->count; i++) {
        const char *key = props->items[i].key, *value = props->items[i].value;
        bool dropped = false;
        for (size_t d = 0; d < sizeof(dropped_names) / sizeof(dropped_names[0]); d++)
            dropped |= strcmp(key, dropped_names[d]) == 0;
        if (dropped)
            continue;
        int rc;
        if (strcmp(key, "buffer.memory") == 0) {
            /* Java's bytes become librdkafka's kilobytes. */
            char kb[32];
            long long bytes = strtoll(value, NULL, 10);
            snprintf(kb, sizeof(kb), "%lld", bytes > 1024 ? (bytes + 1023) / 1024 : 1);
            rc = conf_set(conf, "queue.buffering.max.kbytes", kb, err, errlen);
        } else if (strcmp(key, "send.buffer.bytes") == 0) {
            /* Java's -1 (OS default) is librdkafka's 0. */
            rc = conf_set(conf, "socket.send.buffer.bytes", strcmp(value, "-1") == 0 ? "0" : value, err,
                          errlen);
        } else if (strcmp(key, "receive.buffer.bytes") == 0) {
            rc = conf_set(conf, "socket.receive.buffer.bytes", strcmp(value, "-1") == 0 ? "0" : value,
                          err, errlen);
        } else {
            rc = conf_set(conf, key, value, err, errlen);
        }
        if (rc != 0) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

rd_kafka_resp_err_t tool_log_offsets(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, int64_t which,
                                     int timeout_ms) {
    /* asked on a copy, so that a failure leaves parts as they were */
    rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_copy(parts);
    /* ListOffsets reads a "timestamp" of -2 as the log start and -1 as its end */
    for (int i = 0; i < ask->cnt; i++)
        ask->elems[i].offset = which;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, ask, timeout_ms);
    for (int i = 0; i < ask->cnt && !err; i++) {
        err = ask->elems[i].err;
        if (!err && ask->elems[i].offset < 0) /* left as asked: no answer came for it */
            err = RD_KAFKA_RESP_ERR__NO_OFFSET;
    }
    for (int i = 0; i < parts->cnt && !err; i++)
        parts->elems[i].offset = ask->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(ask);
    return err;
}
