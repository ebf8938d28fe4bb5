/*
 * fr_config.c — the streams configuration object: Kafka Streams' keys, their
 * defaults and validation, plus the function-pointer settings (timestamp
 * extractor) that a .properties file cannot carry.
 *
 * Unknown keys are kept as they are: the runtime passes them to its clients
 * (Kafka Streams does the same with consumer/producer settings).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_graph.h"
#include "fr_props.h"

typedef struct fr_cfg_entry {
    char *key;
    char *value;
} fr_cfg_entry_t;

struct fr_streams_config {
    fr_cfg_entry_t *items;
    size_t count, cap;
    fr_timestamp_extractor_fn extractor;
    void *extractor_ctx;
};

typedef enum { K_STRING, K_INT, K_GUARANTEE, K_EXTRACTOR, K_DESER, K_SERDE, K_APPID } kind_t;

static const struct known {
    const char *key;
    const char *def;
    kind_t kind;
} k_known[] = {
    {FR_STREAMS_APPLICATION_ID, NULL, K_APPID},
    {FR_STREAMS_BOOTSTRAP_SERVERS, NULL, K_STRING},
    {FR_STREAMS_STATE_DIR, "/tmp/kafka-streams", K_STRING},
    {FR_STREAMS_NUM_STREAM_THREADS, "1", K_INT},
    {FR_STREAMS_COMMIT_INTERVAL_MS, "30000", K_INT},
    {FR_STREAMS_PROCESSING_GUARANTEE, "at_least_once", K_GUARANTEE},
    {FR_STREAMS_CACHE_MAX_BYTES, "10485760", K_INT},
    {FR_STREAMS_TIMESTAMP_EXTRACTOR, "FailOnInvalidTimestamp", K_EXTRACTOR},
    {FR_STREAMS_DESER_HANDLER, "LogAndFailExceptionHandler", K_DESER},
    {FR_STREAMS_DEFAULT_KEY_SERDE, "bytes", K_SERDE},
    {FR_STREAMS_DEFAULT_VALUE_SERDE, "bytes", K_SERDE},
    {FR_STREAMS_STATE_STORE_MAP_BYTES, "17179869184", K_INT},
};

static const struct known *known(const char *key) {
    for (size_t i = 0; i < sizeof k_known / sizeof k_known[0]; i++)
        if (!strcmp(k_known[i].key, key))
            return &k_known[i];
    return NULL;
}

/* Kafka takes class names; we take the simple name after the last '.'. */
static const char *simple_name(const char *v) {
    const char *dot = strrchr(v, '.');
    return dot ? dot + 1 : v;
}

int fr_ts_policy_parse(const char *v, fr_ts_policy_t *out) {
    static const struct { const char *n; fr_ts_policy_t p; } names[] = {
        {"FailOnInvalidTimestamp", FR_TS_FAIL_ON_INVALID},
        {"LogAndSkipOnInvalidTimestamp", FR_TS_SKIP_ON_INVALID},
        {"UsePartitionTimeOnInvalidTimestamp", FR_TS_PARTITION_TIME},
        {"WallclockTimestampExtractor", FR_TS_WALL_CLOCK},
    };
    const char *s = simple_name(v);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].n)) {
            *out = names[i].p;
            return 0;
        }
    return FR_ERR_CONFIG;
}

int fr_deser_handler_parse(const char *v, int *cont) {
    const char *s = simple_name(v);
    if (!strcmp(s, "LogAndFailExceptionHandler"))
        *cont = 0;
    else if (!strcmp(s, "LogAndContinueExceptionHandler"))
        *cont = 1;
    else
        return FR_ERR_CONFIG;
    return 0;
}

static int validate(const struct known *k, const char *v, char *err, size_t errlen) {
    switch (k->kind) {
    case K_STRING:
        return 0;
    case K_APPID:
        if (!*v)
            goto bad;
        for (const char *p = v; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                  *p == '_' || *p == '-'))
                goto bad;
        return 0;
    case K_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end || n < 0)
            goto bad;
        if (!strcmp(k->key, FR_STREAMS_NUM_STREAM_THREADS) && n < 1)
            goto bad;
        if (!strcmp(k->key, FR_STREAMS_STATE_STORE_MAP_BYTES) && n < (1 << 20))
            goto bad;
        return 0;
    }
    case K_GUARANTEE:
        if (!strcmp(v, "at_least_once") || !strcmp(v, "exactly_once_v2") || !strcmp(v, "exactly_once") ||
            !strcmp(v, "exactly_once_beta"))
            return 0;
        goto bad;
    case K_EXTRACTOR: {
        fr_ts_policy_t p;
        if (fr_ts_policy_parse(v, &p) == 0)
            return 0;
        goto bad;
    }
    case K_DESER: {
        int c;
        if (fr_deser_handler_parse(v, &c) == 0)
            return 0;
        goto bad;
    }
    case K_SERDE:
        if (fr_serde_by_name(v))
            return 0;
        goto bad;
    }
bad:
    if (err)
        fr_errorf(err, errlen, "invalid value \"%s\" for %s", v, k->key);
    return FR_ERR_CONFIG;
}

fr_streams_config_t *fr_streams_config_new(void) { return calloc(1, sizeof(fr_streams_config_t)); }

void fr_streams_config_free(fr_streams_config_t *cfg) {
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->count; i++) {
        free(cfg->items[i].key);
        free(cfg->items[i].value);
    }
    free(cfg->items);
    free(cfg);
}

int fr_streams_config_set(fr_streams_config_t *cfg, const char *key, const char *value, char *err, size_t errlen) {
    if (!cfg || !key || !value)
        return FR_ERR_INVALID_ARG;
    if (!strcmp(key, "statestore.cache.max.bytes")) /* Kafka 3.4's name for the same budget */
        key = FR_STREAMS_CACHE_MAX_BYTES;
    const struct known *k = known(key);
    if (k) {
        int rc = validate(k, value, err, errlen);
        if (rc)
            return rc;
    }
    char *v = strdup(value);
    if (!v)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < cfg->count; i++)
        if (!strcmp(cfg->items[i].key, key)) {
            free(cfg->items[i].value);
            cfg->items[i].value = v;
            return 0;
        }
    if (FR_ARRAY_GROW(cfg->items, cfg->cap, cfg->count + 1, 16)) {
        free(v);
        return FR_ERR_NOMEM;
    }
    char *kc = strdup(key);
    if (!kc) {
        free(v);
        return FR_ERR_NOMEM;
    }
    cfg->items[cfg->count++] = (fr_cfg_entry_t){kc, v};
    return 0;
}

int fr_streams_config_load(fr_streams_config_t *cfg, const char *path, char *err, size_t errlen) {
    fr_props_t p;
    fr_props_init(&p);
    int rc = fr_props_load(&p, path, err, errlen);
    for (size_t i = 0; rc == 0 && i < p.count; i++)
        rc = fr_streams_config_set(cfg, p.items[i].key, p.items[i].value, err, errlen);
    fr_props_free(&p);
    return rc;
}

const char *fr_streams_config_get(const fr_streams_config_t *cfg, const char *key) {
    if (!key)
        return NULL;
    for (size_t i = 0; cfg && i < cfg->count; i++)
        if (!strcmp(cfg->items[i].key, key))
            return cfg->items[i].value;
    if (!strcmp(key, FR_STREAMS_COMMIT_INTERVAL_MS)) {
        /* Kafka lowers the default to 100 ms under exactly-once. */
        const char *g = fr_streams_config_get(cfg, FR_STREAMS_PROCESSING_GUARANTEE);
        if (g && strncmp(g, "exactly_once", 12) == 0)
            return "100";
    }
    const struct known *k = known(key);
    return k ? k->def : NULL;
}

int64_t fr_streams_config_get_int(const fr_streams_config_t *cfg, const char *key) {
    const char *v = fr_streams_config_get(cfg, key);
    return v ? strtoll(v, NULL, 10) : 0;
}

size_t fr_streams_config_count(const fr_streams_config_t *cfg) { return cfg ? cfg->count : 0; }

int fr_streams_config_entry(const fr_streams_config_t *cfg, size_t i, const char **key, const char **value) {
    if (!cfg || i >= cfg->count)
        return FR_ERR_NOT_FOUND;
    *key = cfg->items[i].key;
    *value = cfg->items[i].value;
    return 0;
}

void fr_streams_config_set_timestamp_extractor(fr_streams_config_t *cfg, fr_timestamp_extractor_fn fn, void *ctx) {
    if (!cfg)
        return;
    cfg->extractor = fn;
    cfg->extractor_ctx = fn ? ctx : NULL;
}

fr_timestamp_extractor_fn fr_streams_config_timestamp_extractor(const fr_streams_config_t *cfg, void **ctx) {
    if (ctx)
        *ctx = cfg ? cfg->extractor_ctx : NULL;
    return cfg ? cfg->extractor : NULL;
}
