/*
 * config.c — the streams keys the runtime reads, and the librdkafka settings
 * it passes through to its clients.
 *
 * Kafka Streams users configure one properties object for everything; the
 * runtime keeps its own keys, hands the rest to librdkafka (with Kafka
 * Streams' consumer./producer./restore.consumer./admin. prefixes for one
 * client only), and then forces the few client settings its correctness
 * depends on (manual offset commits, the range assignor, Kafka's
 * partitioner), so a pass-through key can never silently break them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"
#include "rt_internal.h"


/* Kafka Streams keys that belong to the DSL layer or that the runtime
 * accepts and does not act on (yet); never passed to librdkafka. */
static const char *const rt_ignored_keys[] = {
    "default.key.serde", "default.value.serde", "default.timestamp.extractor",
    "default.deserialization.exception.handler", "default.production.exception.handler",
    "topology.optimization", "application.server",
    "num.standby.replicas", "state.cleanup.delay.ms", "upgrade.from", "window.size.ms",
    "windowed.inner.class.serde", "rocksdb.config.setter", "metrics.recording.level", "metrics.num.samples",
    "metrics.sample.window.ms", "built.in.metrics.version", "probing.rebalance.interval.ms",
    "acceptable.recovery.lag", "max.warmup.replicas", "task.timeout.ms", "retries", "retry.backoff.ms",
    NULL,
};

void rt_config_init(rt_config_t *c) {
    memset(c, 0, sizeof(*c));
    /* Kafka's defaults, from the table the DSL's configuration keeps (fr_config.c) */
    c->num_threads = (int)fr_streams_config_get_int(NULL, FR_STREAMS_NUM_STREAM_THREADS);
    c->commit_interval_ms = fr_streams_config_get_int(NULL, FR_STREAMS_COMMIT_INTERVAL_MS);
    c->cache_max_bytes = fr_streams_config_get_int(NULL, FR_STREAMS_CACHE_MAX_BYTES);
    c->store_map_bytes = fr_streams_config_get_int(NULL, FR_STREAMS_STATE_STORE_MAP_BYTES);
    c->replication_factor = -1;
    c->poll_ms = 100;
    c->max_task_idle_ms = 0;    /* Kafka's defaults */
    c->buffered_records = 1000;
    c->purge_interval_ms = 30000;
}

static void kv_free(rt_kv_t *kv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void rt_config_free(rt_config_t *c) {
    free(c->application_id);
    free(c->bootstrap_servers);
    free(c->state_dir);
    kv_free(c->common, c->ncommon);
    kv_free(c->consumer, c->nconsumer);
    kv_free(c->producer, c->nproducer);
    kv_free(c->restore, c->nrestore);
    kv_free(c->admin, c->nadmin);
    memset(c, 0, sizeof(*c));
}

static int set_str(char **dst, const char *value) {
    char *s = strdup(value);
    if (!s)
        return FR_ERR_NOMEM;
    free(*dst);
    *dst = s;
    return 0;
}

static int parse_i64(const char *key, const char *value, int64_t min, int64_t *out, char *err, size_t errlen) {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min) {
        fr_errorf(err, errlen, "invalid value '%s' for %s: expected an integer >= %lld", value, key, (long long)min);
        return FR_ERR_CONFIG;
    }
    *out = v;
    return 0;
}

/* Adds (or replaces) a librdkafka setting in one list. */
static int kv_put(rt_kv_t **kv, size_t *n, const char *key, const char *value) {
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*kv)[i].key, key) == 0)
            return set_str(&(*kv)[i].value, value);
    }
    rt_kv_t *grown = realloc(*kv, (*n + 1) * sizeof(**kv));
    if (!grown)
        return FR_ERR_NOMEM;
    *kv = grown;
    grown[*n].key = strdup(key);
    grown[*n].value = strdup(value);
    if (!grown[*n].key || !grown[*n].value) {
        free(grown[*n].key);
        free(grown[*n].value);
        return FR_ERR_NOMEM;
    }
    (*n)++;
    return 0;
}

/* Does librdkafka know this key?  Checked on a scratch configuration so a
 * typo fails at fr_streams_new instead of at the first client. */
static int rdkafka_accepts(const char *key, const char *value, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr));
    rd_kafka_conf_destroy(conf);
    if (res == RD_KAFKA_CONF_OK)
        return 0;
    fr_errorf(err, errlen, "configuration %s=%s: %s", key, value, errstr);
    return FR_ERR_CONFIG;
}

int rt_config_set(rt_config_t *c, const char *key, const char *value, char *err, size_t errlen) {
    int64_t v;
    int rc;
    if (strcmp(key, "application.id") == 0)
        return set_str(&c->application_id, value);
    if (strcmp(key, "bootstrap.servers") == 0)
        return set_str(&c->bootstrap_servers, value);
    if (strcmp(key, "state.dir") == 0)
        return set_str(&c->state_dir, value);
    if (strcmp(key, "num.stream.threads") == 0) {
        if ((rc = parse_i64(key, value, 1, &v, err, errlen)) != 0)
            return rc;
        if (v > 256) {
            fr_errorf(err, errlen, "num.stream.threads=%s: at most 256", value);
            return FR_ERR_CONFIG;
        }
        c->num_threads = (int)v;
        return 0;
    }
    if (strcmp(key, "commit.interval.ms") == 0)
        return parse_i64(key, value, 0, &c->commit_interval_ms, err, errlen);
    if (strcmp(key, "cache.max.bytes.buffering") == 0 || strcmp(key, "statestore.cache.max.bytes") == 0)
        return parse_i64(key, value, 0, &c->cache_max_bytes, err, errlen);
    if (strcmp(key, "freshet.state.store.map.bytes") == 0)
        return parse_i64(key, value, 1 << 20, &c->store_map_bytes, err, errlen);
    if (strcmp(key, "poll.ms") == 0)
        return parse_i64(key, value, 0, &c->poll_ms, err, errlen);
    if (strcmp(key, "max.task.idle.ms") == 0)
        return parse_i64(key, value, -1, &c->max_task_idle_ms, err, errlen);
    if (strcmp(key, "buffered.records.per.partition") == 0)
        return parse_i64(key, value, 1, &c->buffered_records, err, errlen);
    if (strcmp(key, "repartition.purge.interval.ms") == 0)
        return parse_i64(key, value, 0, &c->purge_interval_ms, err, errlen);
    if (strcmp(key, "replication.factor") == 0) {
        if ((rc = parse_i64(key, value, -1, &v, err, errlen)) != 0)
            return rc;
        if (v == 0 || v > 32767) {
            fr_errorf(err, errlen, "replication.factor=%s: -1 (broker default) or 1..32767", value);
            return FR_ERR_CONFIG;
        }
        c->replication_factor = (int)v;
        return 0;
    }
    if (strcmp(key, "processing.guarantee") == 0) {
        if (strcmp(value, "at_least_once") == 0)
            return 0;
        if (strcmp(value, "exactly_once_v2") == 0 || strcmp(value, "exactly_once") == 0 ||
            strcmp(value, "exactly_once_beta") == 0) {
            fr_errorf(err, errlen,
                      "processing.guarantee=%s is not supported yet: exactly-once needs Kafka transactions "
                      "(InitProducerId with a transactional.id, AddPartitionsToTxn, AddOffsetsToTxn, "
                      "TxnOffsetCommit, EndTxn), which Freshet brokers do not implement; use at_least_once",
                      value);
            return FR_ERR_CONFIG;
        }
        fr_errorf(err, errlen, "processing.guarantee=%s: expected at_least_once", value);
        return FR_ERR_CONFIG;
    }
    for (const char *const *k = rt_ignored_keys; *k; k++) {
        if (strcmp(key, *k) == 0) {
            fr_debug(RT_LOG, "config %s is not used by the runtime", key);
            return 0;
        }
    }
    static const struct {
        const char *prefix;
        size_t off_kv, off_n;
    } prefixes[] = {
        {"restore.consumer.", offsetof(rt_config_t, restore), offsetof(rt_config_t, nrestore)},
        {"consumer.", offsetof(rt_config_t, consumer), offsetof(rt_config_t, nconsumer)},
        {"main.consumer.", offsetof(rt_config_t, consumer), offsetof(rt_config_t, nconsumer)},
        {"producer.", offsetof(rt_config_t, producer), offsetof(rt_config_t, nproducer)},
        {"admin.", offsetof(rt_config_t, admin), offsetof(rt_config_t, nadmin)},
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i].prefix);
        if (strncmp(key, prefixes[i].prefix, pl) == 0) {
            if ((rc = rdkafka_accepts(key + pl, value, err, errlen)) != 0)
                return rc;
            rt_kv_t **kv = (rt_kv_t **)((char *)c + prefixes[i].off_kv);
            size_t *n = (size_t *)((char *)c + prefixes[i].off_n);
            return kv_put(kv, n, key + pl, value);
        }
    }
    if ((rc = rdkafka_accepts(key, value, err, errlen)) != 0)
        return rc;
    return kv_put(&c->common, &c->ncommon, key, value);
}

int rt_config_validate(rt_config_t *c, char *err, size_t errlen) {
    if (!c->application_id || !*c->application_id) {
        fr_errorf(err, errlen, "application.id is required");
        return FR_ERR_CONFIG;
    }
    for (const char *p = c->application_id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-')) {
            fr_errorf(err, errlen, "application.id '%s': only letters, digits, '.', '_' and '-' (it prefixes topic names)",
                      c->application_id);
            return FR_ERR_CONFIG;
        }
    }
    if (!c->bootstrap_servers || !*c->bootstrap_servers) {
        fr_errorf(err, errlen, "bootstrap.servers is required");
        return FR_ERR_CONFIG;
    }
    if (!c->state_dir && set_str(&c->state_dir, fr_streams_config_get(NULL, FR_STREAMS_STATE_DIR)) != 0)
        return FR_ERR_NOMEM;
    return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen) {
    char errstr[256];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fr_errorf(err, errlen, "librdkafka %s=%s: %s", key, value, errstr);
        return FR_ERR_CONFIG;
    }
    return 0;
}

static int conf_set_all(rd_kafka_conf_t *conf, const rt_kv_t *kv, size_t n, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        if (conf_set(conf, kv[i].key, kv[i].value, err, errlen) != 0)
            return FR_ERR_CONFIG;
    }
    return 0;
}

rd_kafka_conf_t *rt_config_client(const rt_config_t *c, rt_role_t role, const char *client_id, char *err,
                                  size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = conf_set(conf, "bootstrap.servers", c->bootstrap_servers, err, errlen);
    if (!rc)
        rc = conf_set(conf, "client.id", client_id, err, errlen);
    if (!rc)
        rc = conf_set_all(conf, c->common, c->ncommon, err, errlen);
    switch (role) {
    case RT_ROLE_CONSUMER:
        if (!rc)
            rc = conf_set(conf, "auto.offset.reset", "earliest", err, errlen); /* Kafka Streams' default */
        if (!rc)
            rc = conf_set_all(conf, c->consumer, c->nconsumer, err, errlen);
        /* Forced: offsets are committed by the commit protocol only, after the
         * records they cover are reflected in stores and acknowledged outputs.
         * The eager range assignor keeps same-numbered partitions of
         * co-partitioned topics on one member (librdkafka 2.0.2's
         * cooperative-sticky can skip records on retained partitions). */
        if (!rc)
            rc = conf_set(conf, "group.id", c->application_id, err, errlen);
        if (!rc)
            rc = conf_set(conf, "enable.auto.commit", "false", err, errlen);
        if (!rc)
            rc = conf_set(conf, "enable.auto.offset.store", "false", err, errlen);
        if (!rc)
            rc = conf_set(conf, "partition.assignment.strategy", "range", err, errlen);
        /* A task merging several partitions learns from these events that an
         * empty one is caught up (partition_group.c). */
        if (!rc)
            rc = conf_set(conf, "enable.partition.eof", "true", err, errlen);
        break;
    case RT_ROLE_RESTORE:
        if (!rc)
            rc = conf_set_all(conf, c->restore, c->nrestore, err, errlen);
        /* Forced: assign only, never a group member and never a commit
         * (librdkafka wants a group.id even for assign: the client id is
         * unique and joins nothing); EOF events tell where the changelog ends. */
        if (!rc)
            rc = conf_set(conf, "group.id", client_id, err, errlen);
        if (!rc)
            rc = conf_set(conf, "enable.auto.commit", "false", err, errlen);
        if (!rc)
            rc = conf_set(conf, "enable.partition.eof", "true", err, errlen);
        if (!rc)
            rc = conf_set(conf, "auto.offset.reset", "earliest", err, errlen);
        break;
    case RT_ROLE_PRODUCER:
        /* Idempotence keeps retries from duplicating changelog and output
         * records; the application can still turn it off. */
        if (!rc)
            rc = conf_set(conf, "enable.idempotence", "true", err, errlen);
        if (!rc)
            rc = conf_set(conf, "linger.ms", "5", err, errlen);
        if (!rc)
            rc = conf_set_all(conf, c->producer, c->nproducer, err, errlen);
        /* Forced: Kafka's default partitioner, so keys land where Java
         * clients (and interactive queries) expect them. */
        if (!rc)
            rc = conf_set(conf, "partitioner", "murmur2_random", err, errlen);
        break;
    case RT_ROLE_ADMIN:
        if (!rc)
            rc = conf_set_all(conf, c->admin, c->nadmin, err, errlen);
        break;
    }
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}
