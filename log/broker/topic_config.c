#include "topic_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"

static const fr_topic_config_def_t defs[] = {
    {"cleanup.policy", "log.cleanup.policy", FR_CFG_LIST, "The retention policy for old log segments: delete or compact."},
    {"compression.type", "compression.type", FR_CFG_STRING, "Final compression type for the topic."},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", FR_CFG_LONG, "How long delete tombstones are retained for compacted topics."},
    {"file.delete.delay.ms", "log.segment.delete.delay.ms", FR_CFG_LONG, "Time to wait before deleting a file from the filesystem."},
    {"flush.messages", "log.flush.interval.messages", FR_CFG_LONG, "Messages accumulated before an fsync of the log."},
    {"flush.ms", "log.flush.interval.ms", FR_CFG_LONG, "Maximum time between fsyncs of the log."},
    {"index.interval.bytes", "log.index.interval.bytes", FR_CFG_INT, "Bytes between entries of the offset index."},
    {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", FR_CFG_LONG, "Maximum time a message stays ineligible for compaction."},
    {"max.message.bytes", "message.max.bytes", FR_CFG_INT, "Largest record batch size allowed."},
    {"message.timestamp.type", "log.message.timestamp.type", FR_CFG_STRING, "CreateTime or LogAppendTime."},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", FR_CFG_DOUBLE, "Dirty ratio that triggers compaction."},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", FR_CFG_LONG, "Minimum time a message stays uncompacted."},
    {"min.insync.replicas", "min.insync.replicas", FR_CFG_INT, "Minimum in-sync replicas for acks=all."},
    {"preallocate", "log.preallocate", FR_CFG_BOOLEAN, "Preallocate segment files."},
    {"retention.bytes", "log.retention.bytes", FR_CFG_LONG, "Maximum partition size before old segments are discarded."},
    {"retention.ms", "log.retention.ms", FR_CFG_LONG, "Maximum time a log is retained before old segments are discarded."},
    {"segment.bytes", "log.segment.bytes", FR_CFG_INT, "Segment file size."},
    {"segment.index.bytes", "log.index.size.max.bytes", FR_CFG_INT, "Size of the offset index."},
    {"segment.jitter.ms", "log.roll.jitter.ms", FR_CFG_LONG, "Maximum random jitter subtracted from segment.ms."},
    {"segment.ms", "log.roll.ms", FR_CFG_LONG, "Time after which a segment is rolled even if not full."},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", FR_CFG_BOOLEAN, "Allow out-of-sync replicas to become leader."},
};

static const char *default_of(const char *broker_key) {
    static const struct { const char *k, *v; } d[] = {
        {"log.cleanup.policy", "delete"},
        {"compression.type", "producer"},
        {"log.cleaner.delete.retention.ms", "86400000"},
        {"log.segment.delete.delay.ms", "60000"},
        {"log.flush.interval.messages", "9223372036854775807"},
        {"log.flush.interval.ms", "9223372036854775807"},
        {"log.index.interval.bytes", "4096"},
        {"log.cleaner.max.compaction.lag.ms", "9223372036854775807"},
        {"message.max.bytes", "1048588"},
        {"log.message.timestamp.type", "CreateTime"},
        {"log.cleaner.min.cleanable.ratio", "0.5"},
        {"log.cleaner.min.compaction.lag.ms", "0"},
        {"min.insync.replicas", "1"},
        {"log.preallocate", "false"},
        {"log.retention.bytes", "-1"},
        {"log.retention.ms", "604800000"},
        {"log.segment.bytes", "1073741824"},
        {"log.index.size.max.bytes", "10485760"},
        {"log.roll.jitter.ms", "0"},
        {"log.roll.ms", "604800000"},
        {"unclean.leader.election.enable", "false"},
    };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
        if (strcmp(d[i].k, broker_key) == 0)
            return d[i].v;
    return NULL;
}

const fr_topic_config_def_t *fr_topic_config_defs(size_t *count) {
    *count = sizeof(defs) / sizeof(defs[0]);
    return defs;
}

const fr_topic_config_def_t *fr_topic_config_find(const char *name) {
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

int fr_topic_config_validate(const char *key, const char *value, char *err, size_t errlen) {
    const fr_topic_config_def_t *d = fr_topic_config_find(key);
    if (!d) {
        snprintf(err, errlen, "Unknown topic config name: %s", key);
        return FR_ERR_INVALID_CONFIG;
    }
    int64_t v;
    int b;
    switch (d->type) {
    case FR_CFG_INT:
        if (fr_config_parse_long(value, strcmp(key, "segment.bytes") == 0 ? 14 : 0, INT32_MAX, &v))
            goto bad;
        break;
    case FR_CFG_LONG:
        if (fr_config_parse_long(value, strstr(key, "retention") ? -1 : 0, INT64_MAX, &v))
            goto bad;
        if ((strcmp(key, "segment.ms") == 0 || strcmp(key, "flush.messages") == 0) && v < 1)
            goto bad;
        break;
    case FR_CFG_BOOLEAN:
        if (fr_config_parse_bool(value, &b))
            goto bad;
        break;
    case FR_CFG_DOUBLE: {
        char *end;
        double dv = strtod(value, &end);
        if (end == value || *end || dv < 0 || dv > 1)
            goto bad;
        break;
    }
    default:
        if (strcmp(key, "cleanup.policy") == 0 && strcmp(value, "delete") && strcmp(value, "compact") &&
            strcmp(value, "compact,delete") && strcmp(value, "delete,compact"))
            goto bad;
        if (strcmp(key, "message.timestamp.type") == 0 && strcmp(value, "CreateTime") &&
            strcmp(value, "LogAppendTime"))
            goto bad;
        if (strcmp(key, "compression.type") == 0 && strcmp(value, "producer") && strcmp(value, "uncompressed") &&
            strcmp(value, "gzip") && strcmp(value, "snappy") && strcmp(value, "lz4") && strcmp(value, "zstd"))
            goto bad;
        break;
    }
    return 0;
bad:
    snprintf(err, errlen, "Invalid value %s for configuration %s", value, key);
    return FR_ERR_INVALID_CONFIG;
}

const char *fr_broker_config_value(const fr_broker_config_t *broker, const char *broker_key,
                                   int *source, char *buf, size_t buflen) {
    const char *v = fr_props_get(&broker->props, broker_key);
    /* Retention and roll may be given in other units; report the effective ms. */
    if (!v && strcmp(broker_key, "log.retention.ms") == 0 &&
        (fr_props_get(&broker->props, "log.retention.hours") || fr_props_get(&broker->props, "log.retention.minutes"))) {
        snprintf(buf, buflen, "%" PRId64, broker->log_retention_ms);
        *source = FR_CFG_SRC_STATIC_BROKER;
        return buf;
    }
    if (!v && strcmp(broker_key, "log.roll.ms") == 0 && fr_props_get(&broker->props, "log.roll.hours")) {
        snprintf(buf, buflen, "%" PRId64, broker->log.segment_ms);
        *source = FR_CFG_SRC_STATIC_BROKER;
        return buf;
    }
    if (v) {
        *source = FR_CFG_SRC_STATIC_BROKER;
        snprintf(buf, buflen, "%s", v);
        return buf;
    }
    *source = FR_CFG_SRC_DEFAULT;
    v = default_of(broker_key);
    return v;
}

const char *fr_topic_config_value(const fr_topic_config_def_t *def, const fr_props_t *overrides,
                                  const fr_broker_config_t *broker, int *source, char *buf, size_t buflen) {
    const char *v = overrides ? fr_props_get(overrides, def->name) : NULL;
    if (v) {
        *source = FR_CFG_SRC_DYNAMIC_TOPIC;
        snprintf(buf, buflen, "%s", v);
        return buf;
    }
    return fr_broker_config_value(broker, def->broker_key, source, buf, buflen);
}

static int64_t override_long(const fr_props_t *o, const char *key, int64_t dflt) {
    const char *v = o ? fr_props_get(o, key) : NULL;
    int64_t out;
    if (v && fr_config_parse_long(v, INT64_MIN, INT64_MAX, &out) == 0)
        return out;
    return dflt;
}

void fr_topic_log_config(const fr_broker_config_t *broker, const fr_props_t *o, fr_log_config_t *out) {
    *out = broker->log;
    out->segment_bytes = override_long(o, "segment.bytes", out->segment_bytes);
    out->segment_ms = override_long(o, "segment.ms", out->segment_ms);
    out->index_interval_bytes = (int32_t)override_long(o, "index.interval.bytes", out->index_interval_bytes);
    out->max_message_bytes = (int32_t)override_long(o, "max.message.bytes", out->max_message_bytes);
    out->index_max_bytes = (int32_t)override_long(o, "segment.index.bytes", out->index_max_bytes);
    out->flush_interval_messages = override_long(o, "flush.messages", out->flush_interval_messages);
    out->flush_interval_ms = override_long(o, "flush.ms", out->flush_interval_ms);
}
