#include "dynamic_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "topic_config.h"

#define COMPONENT "config"

#define NO_MIN INT64_MIN
#define PER_BROKER_ONLY "[per broker only] " /* in the documentation of the keys below */

/* Kafka's dynamic broker configs that are not topic synonyms
 * (DynamicBrokerConfig.AllDynamicConfigs), those Freshet takes, with
 * KafkaConfig's types and lower bounds.  The connection limits are not
 * among them: taken without being enforced, they would promise what
 * Freshet does not do. */
static const fr_topic_config_def_t broker_keys[] = {
    {"background.threads", "background.threads", FR_CFG_INT, 1, "No effect here (one loop thread)."},
    {"log.cleaner.backoff.ms", "log.cleaner.backoff.ms", FR_CFG_LONG, 0, "How long the cleaner waits when there is nothing to clean."},
    {"log.cleaner.dedupe.buffer.size", "log.cleaner.dedupe.buffer.size", FR_CFG_LONG, NO_MIN, "No effect here."},
    {"log.cleaner.io.buffer.size", "log.cleaner.io.buffer.size", FR_CFG_INT, 0, "No effect here."},
    {"log.cleaner.threads", "log.cleaner.threads", FR_CFG_INT, 0, "No effect here (one cleaner)."},
    {"num.io.threads", "num.io.threads", FR_CFG_INT, 1, "No effect here (one loop thread)."},
    {"num.network.threads", "num.network.threads", FR_CFG_INT, 1, "No effect here (one loop thread)."},
    {"num.recovery.threads.per.data.dir", "num.recovery.threads.per.data.dir", FR_CFG_INT, 1, "No effect here."},
    {"num.replica.fetchers", "num.replica.fetchers", FR_CFG_INT, NO_MIN, "No effect on one broker."},
    {"producer.id.expiration.ms", "producer.id.expiration.ms", FR_CFG_INT, 1, "How long an idempotent producer is remembered after its last write."},
    {"sasl.kerberos.kinit.cmd", "sasl.kerberos.kinit.cmd", FR_CFG_STRING, NO_MIN, PER_BROKER_ONLY "No effect here (no SASL)."},
    {"sasl.kerberos.min.time.before.relogin", "sasl.kerberos.min.time.before.relogin", FR_CFG_LONG, NO_MIN, PER_BROKER_ONLY "No effect here (no SASL)."},
    {"sasl.kerberos.service.name", "sasl.kerberos.service.name", FR_CFG_STRING, NO_MIN, PER_BROKER_ONLY "No effect here (no SASL)."},
};
#define NKEYS (sizeof(broker_keys) / sizeof(broker_keys[0]))

const fr_topic_config_def_t *fr_dynamic_config_broker_keys(size_t *count) {
    *count = NKEYS;
    return broker_keys;
}

const fr_topic_config_def_t *fr_dynamic_config_broker_key(const char *key) {
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(broker_keys[i].name, key) == 0)
            return &broker_keys[i];
    return NULL;
}

/* Kafka's PerBrokerConfigs among the keys above: a listener's, not for the cluster default. */
static const char *const per_broker_keys[] = {
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.service.name",
};

/* The rules of a dynamic key: a topic config's (through its broker synonym) or a broker key's; NULL when not dynamic. */
static const fr_topic_config_def_t *dynamic_def(const char *key) {
    if (strcmp(key, "log.message.format.version") == 0)
        return NULL; /* Kafka's DynamicLogConfig.NonReconfigrableLogConfigs */
    const fr_topic_config_def_t *d = fr_topic_config_find_broker(key);
    return d ? d : fr_dynamic_config_broker_key(key);
}

int fr_dynamic_config_is_dynamic(const char *key) { return dynamic_def(key) != NULL; }

static void set_path(const fr_broker_config_t *cfg, int per_broker, char *buf, size_t len) {
    if (per_broker)
        snprintf(buf, len, "%s/.broker-configs/%d.properties", cfg->log_dirs[0], cfg->broker_id);
    else
        snprintf(buf, len, "%s/.broker-configs/default.properties", cfg->log_dirs[0]);
}

static int props_add_all(fr_props_t *dst, const fr_props_t *src) {
    for (size_t i = 0; i < src->count; i++)
        if (fr_props_set(dst, src->items[i].key, src->items[i].value))
            return FR_ERR_NOMEM;
    return 0;
}

/*
 * A fresh config from every layer: the static pairs, then the dynamic
 * default, then this broker's dynamic set (later pairs win, and Kafka's
 * ms-over-minutes-over-hours rules apply to the merged pairs).
 */
static int effective(const fr_broker_config_t *cfg, const fr_props_t *dyn_default, const fr_props_t *dyn_broker,
                     fr_broker_config_t *out, char *err, size_t errlen) {
    fr_props_t merged;
    fr_props_init(&merged);
    fr_broker_config_defaults(out);
    int rc = props_add_all(&merged, &cfg->props);
    if (!rc)
        rc = props_add_all(&merged, dyn_default);
    if (!rc)
        rc = props_add_all(&merged, dyn_broker);
    if (rc)
        snprintf(err, errlen, "out of memory");
    else
        rc = fr_broker_config_load(out, &merged, err, errlen);
    fr_props_free(&merged);
    return rc;
}

/*
 * Takes the effective values of fresh into cfg.  What cannot change at
 * runtime (identity, listeners, log dirs) and the memory cfg owns stay with
 * cfg; fresh's own copies are freed.
 */
static void adopt(fr_broker_config_t *cfg, fr_broker_config_t *fresh) {
    fr_broker_config_t keep = *cfg;
    *cfg = *fresh;
    memcpy(cfg->log_dirs, keep.log_dirs, sizeof(keep.log_dirs));
    cfg->num_log_dirs = keep.num_log_dirs;
    cfg->broker_id = keep.broker_id;
    cfg->listeners = keep.listeners;
    memcpy(cfg->listeners_value, keep.listeners_value, sizeof(keep.listeners_value));
    memcpy(cfg->advertised_value, keep.advertised_value, sizeof(keep.advertised_value));
    cfg->props = keep.props;
    cfg->dynamic_broker = keep.dynamic_broker;
    cfg->dynamic_default = keep.dynamic_default;
    fresh->dynamic_broker = (fr_props_t){0};
    fresh->dynamic_default = (fr_props_t){0};
    fr_broker_config_free(fresh);
}

static int recompute(fr_broker_config_t *cfg, char *err, size_t errlen) {
    fr_broker_config_t fresh;
    int rc = effective(cfg, &cfg->dynamic_default, &cfg->dynamic_broker, &fresh, err, errlen);
    if (rc) {
        fr_broker_config_free(&fresh);
        return rc;
    }
    adopt(cfg, &fresh);
    return 0;
}

/* Kafka names every refused key at once, as a Scala Set: "<why>: Set(a, b)".  How many it refused. */
static int refuse_keys(const fr_props_t *set, int (*refused)(const char *key), const char *why, char *err,
                       size_t errlen) {
    size_t o = (size_t)snprintf(err, errlen, "%s: Set(", why);
    int n = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (!refused(set->items[i].key))
            continue;
        if (o < errlen)
            o += (size_t)snprintf(err + o, errlen - o, "%s%s", n ? ", " : "", set->items[i].key);
        n++;
    }
    if (n && o < errlen)
        snprintf(err + o, errlen - o, ")");
    return n;
}

static int not_dynamic(const char *key) { return !fr_dynamic_config_is_dynamic(key); }

static int per_broker_key(const char *key) {
    for (size_t i = 0; i < sizeof(per_broker_keys) / sizeof(per_broker_keys[0]); i++)
        if (strcmp(per_broker_keys[i], key) == 0)
            return 1;
    return 0;
}

int fr_dynamic_config_validate(const fr_broker_config_t *cfg, int per_broker, const fr_props_t *set, char *err,
                               size_t errlen) {
    /* Kafka's DynamicBrokerConfig.validateConfigs, in its order */
    if (refuse_keys(set, not_dynamic, "Cannot update these configs dynamically", err, errlen))
        return FR_ERR_INVALID_REQUEST;
    for (size_t i = 0; i < set->count; i++) {
        const fr_topic_config_def_t *d = dynamic_def(set->items[i].key);
        int rc = fr_config_validate_value(d, set->items[i].key, set->items[i].value, err, errlen);
        if (rc)
            return rc;
    }
    if (!per_broker && refuse_keys(set, per_broker_key,
                                   "Cannot update these configs at default cluster level, broker id must be "
                                   "specified",
                                   err, errlen))
        return FR_ERR_INVALID_REQUEST;
    /* The broker's own checks, on the config as it would be. */
    fr_broker_config_t fresh;
    int rc = effective(cfg, per_broker ? &cfg->dynamic_default : set, per_broker ? set : &cfg->dynamic_broker,
                       &fresh, err, errlen);
    fr_broker_config_free(&fresh);
    if (rc == FR_ERR_CONFIG)
        return FR_ERR_INVALID_CONFIG;
    return rc;
}

int fr_dynamic_config_replace(fr_broker_config_t *cfg, int per_broker, const fr_props_t *set, char *err,
                              size_t errlen) {
    int rc = fr_dynamic_config_validate(cfg, per_broker, set, err, errlen);
    if (rc)
        return rc;
    fr_props_t copy;
    fr_props_init(&copy);
    if (props_add_all(&copy, set)) {
        fr_props_free(&copy);
        snprintf(err, errlen, "out of memory");
        return FR_ERR_NOMEM;
    }
    char dir[4200], path[4300], e2[4600];
    snprintf(dir, sizeof(dir), "%s/.broker-configs", cfg->log_dirs[0]);
    set_path(cfg, per_broker, path, sizeof(path));
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(e2, sizeof(e2), "cannot create %s: %s", dir, strerror(errno));
        rc = FR_ERR_IO;
    } else if (copy.count == 0) {
        if (unlink(path) && errno != ENOENT) {
            snprintf(e2, sizeof(e2), "cannot remove %s: %s", path, strerror(errno));
            rc = FR_ERR_IO;
        }
    } else {
        rc = fr_props_store(&copy, path, "Dynamic broker configs, written by freshet: change them with freshet configs",
                            e2, sizeof(e2));
    }
    if (rc) {
        fr_props_free(&copy);
        snprintf(err, errlen, "cannot persist the dynamic broker configs: %s", e2);
        return FR_ERR_KAFKA_STORAGE_ERROR;
    }
    fr_props_t *level = per_broker ? &cfg->dynamic_broker : &cfg->dynamic_default;
    fr_props_free(level);
    *level = copy;
    rc = recompute(cfg, err, errlen);
    if (rc) /* validated above: only out of memory gets here */
        return rc;
    fr_info(COMPONENT, "Updated the dynamic %s configs (%zu entries)",
            per_broker ? "per-broker" : "cluster-default broker", level->count);
    return 0;
}

/* Loads one persisted set, keeping the entries that are dynamic and valid. */
static int load_level(fr_broker_config_t *cfg, int per_broker, char *err, size_t errlen) {
    char path[4300], e2[512];
    set_path(cfg, per_broker, path, sizeof(path));
    fr_props_t raw;
    fr_props_init(&raw);
    int rc = fr_props_load(&raw, path, e2, sizeof(e2));
    if (rc == FR_ERR_NOT_FOUND) {
        fr_props_free(&raw);
        return 0;
    }
    if (rc) {
        snprintf(err, errlen, "cannot load the dynamic broker configs: %s", e2);
        fr_props_free(&raw);
        return rc;
    }
    fr_props_t *level = per_broker ? &cfg->dynamic_broker : &cfg->dynamic_default;
    for (size_t i = 0; i < raw.count && !rc; i++) {
        const char *k = raw.items[i].key, *v = raw.items[i].value;
        const fr_topic_config_def_t *d = dynamic_def(k);
        if (!d || (!per_broker && per_broker_key(k))) {
            fr_warn(COMPONENT, "%s: ignoring %s, which cannot be updated dynamically", path, k);
            continue;
        }
        if (fr_config_validate_value(d, k, v, e2, sizeof(e2))) {
            fr_warn(COMPONENT, "%s: ignoring an invalid entry: %s", path, e2);
            continue;
        }
        rc = fr_props_set(level, k, v);
    }
    fr_props_free(&raw);
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}

int fr_dynamic_config_load(fr_broker_config_t *cfg, char *err, size_t errlen) {
    int rc = load_level(cfg, 0, err, errlen);
    if (!rc)
        rc = load_level(cfg, 1, err, errlen);
    if (rc || (cfg->dynamic_default.count == 0 && cfg->dynamic_broker.count == 0))
        return rc;
    char e2[512];
    if (recompute(cfg, e2, sizeof(e2))) {
        /* each entry is valid on its own; together with the static config they are not */
        fr_warn(COMPONENT, "ignoring the dynamic broker configs: %s", e2);
        fr_props_free(&cfg->dynamic_default);
        fr_props_free(&cfg->dynamic_broker);
        return 0;
    }
    fr_info(COMPONENT, "applied %zu dynamic default and %zu dynamic per-broker configs",
            cfg->dynamic_default.count, cfg->dynamic_broker.count);
    return 0;
}
