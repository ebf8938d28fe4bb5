#include "topic_config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compression.h"
#include "fr_err.h"
#include "metadata_version.h"
#include "record_batch.h"

#define NO_MIN INT64_MIN

/* Kafka's LogConfig: name, main broker synonym, type, lower bound. */
static const fr_topic_config_def_t defs[] = {
    {"cleanup.policy", "log.cleanup.policy", FR_CFG_LIST, NO_MIN, "The retention policy for old log segments: delete or compact."},
    {"compression.gzip.level", "compression.gzip.level", FR_CFG_INT, NO_MIN, "Level of gzip when the broker compresses (compression.type=gzip)."},
    {"compression.lz4.level", "compression.lz4.level", FR_CFG_INT, NO_MIN, "Level of lz4 when the broker compresses (compression.type=lz4)."},
    {"compression.type", "compression.type", FR_CFG_STRING, NO_MIN, "Final compression type for the topic."},
    {"compression.zstd.level", "compression.zstd.level", FR_CFG_INT, NO_MIN, "Level of zstd when the broker compresses (compression.type=zstd)."},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", FR_CFG_LONG, 0, "How long delete tombstones are retained for compacted topics."},
    {"file.delete.delay.ms", "log.segment.delete.delay.ms", FR_CFG_LONG, 0, "Time to wait before deleting a file from the filesystem."},
    {"flush.messages", "log.flush.interval.messages", FR_CFG_LONG, 1, "Messages accumulated before an fsync of the log."},
    {"flush.ms", "log.flush.interval.ms", FR_CFG_LONG, 0, "Maximum time between fsyncs of the log."},
    {"follower.replication.throttled.replicas", NULL, FR_CFG_LIST, NO_MIN, "Replicas whose replication is throttled on the follower side ('*' or partition:broker pairs); no effect on one broker."},
    {"index.interval.bytes", "log.index.interval.bytes", FR_CFG_INT, 0, "Bytes between entries of the offset index."},
    {"leader.replication.throttled.replicas", NULL, FR_CFG_LIST, NO_MIN, "Replicas whose replication is throttled on the leader side ('*' or partition:broker pairs); no effect on one broker."},
    {"local.retention.bytes", "log.local.retention.bytes", FR_CFG_LONG, -2, "Local bytes kept before deletion under tiered storage (-2: retention.bytes); tiered storage is not served."},
    {"local.retention.ms", "log.local.retention.ms", FR_CFG_LONG, -2, "Local time kept before deletion under tiered storage (-2: retention.ms); tiered storage is not served."},
    {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", FR_CFG_LONG, 1, "Maximum time a message stays ineligible for compaction."},
    {"max.message.bytes", "message.max.bytes", FR_CFG_INT, 0, "Largest record batch size allowed."},
    {"message.downconversion.enable", "log.message.downconversion.enable", FR_CFG_BOOLEAN, NO_MIN, "[DEPRECATED] Whether old fetchers get batches down-converted; Freshet converts none (Fetch starts at v4)."},
    {"message.format.version", "log.message.format.version", FR_CFG_STRING, NO_MIN, "[DEPRECATED] Ignored, as by Kafka 3.x at inter-broker protocol 3.0 or later: batches are always stored as magic v2."},
    {"message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", FR_CFG_LONG, 0, "How far a CreateTime record's timestamp may be ahead of the broker's clock."},
    {"message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", FR_CFG_LONG, 0, "How far a CreateTime record's timestamp may be behind the broker's clock."},
    {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms", FR_CFG_LONG, 0, "[DEPRECATED] Both bounds at once, where neither of the two is set."},
    {"message.timestamp.type", "log.message.timestamp.type", FR_CFG_STRING, NO_MIN, "CreateTime or LogAppendTime."},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", FR_CFG_DOUBLE, NO_MIN, "Dirty ratio that triggers compaction."},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", FR_CFG_LONG, 0, "Minimum time a message stays uncompacted."},
    {"min.insync.replicas", "min.insync.replicas", FR_CFG_INT, 1, "Minimum in-sync replicas for acks=all, capped at the replication factor as in Kafka 3.7+ (KAFKA-15583): on one broker, never more than 1."},
    {"preallocate", "log.preallocate", FR_CFG_BOOLEAN, NO_MIN, "Preallocate segment files."},
    {"remote.log.copy.disable", NULL, FR_CFG_BOOLEAN, NO_MIN, "Stop copying segments to remote storage; tiered storage is not served."},
    {"remote.log.delete.on.disable", NULL, FR_CFG_BOOLEAN, NO_MIN, "Delete remote data when remote storage is turned off; tiered storage is not served."},
    {"remote.storage.enable", NULL, FR_CFG_BOOLEAN, NO_MIN, "Tiered storage for the topic; only false is accepted, as by a Kafka broker without it."},
    {"retention.bytes", "log.retention.bytes", FR_CFG_LONG, NO_MIN, "Maximum partition size before old segments are discarded."},
    {"retention.ms", "log.retention.ms", FR_CFG_LONG, -1, "Maximum time a log is retained before old segments are discarded."},
    {"segment.bytes", "log.segment.bytes", FR_CFG_INT, 14, "Segment file size."},
    {"segment.index.bytes", "log.index.size.max.bytes", FR_CFG_INT, 4, "Size of the offset index."},
    {"segment.jitter.ms", "log.roll.jitter.ms", FR_CFG_LONG, 0, "Maximum random jitter subtracted from segment.ms."},
    {"segment.ms", "log.roll.ms", FR_CFG_LONG, 1, "Time after which a segment is rolled even if not full."},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", FR_CFG_BOOLEAN, NO_MIN, "Allow out-of-sync replicas to become leader."},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/*
 * Broker keys with more than one name (Kafka's brokerConfigSynonyms), in
 * precedence order, with the milliseconds per unit of each name.
 */
static const struct {
    const char *names[3];
    int64_t unit_ms[3];
    int every_name; /* the other names have the same synonyms (not log.flush.scheduler.interval.ms: its own) */
} multi_names[] = {
    {{"log.roll.ms", "log.roll.hours"}, {1, 3600000}, 1},
    {{"log.roll.jitter.ms", "log.roll.jitter.hours"}, {1, 3600000}, 1},
    {{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}, {1, 1}, 0},
    {{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}, {1, 60000, 3600000}, 1},
};

/* Kafka's built-in defaults (KafkaConfig and LogConfig); keys whose default is null are absent. */
static const struct {
    const char *key, *value;
} kafka_defaults[] = {
    {"log.cleanup.policy", "delete"},
    /* broker-only dynamic keys (dynamic_config.c) */
    {"background.threads", "10"},
    {"log.cleaner.backoff.ms", "15000"},
    {"log.cleaner.dedupe.buffer.size", "134217728"},
    {"log.cleaner.io.buffer.size", "524288"},
    {"log.cleaner.threads", "1"},
    {"num.io.threads", "8"},
    {"num.network.threads", "3"},
    {"num.recovery.threads.per.data.dir", "1"},
    {"num.replica.fetchers", "1"},
    {"producer.id.expiration.ms", "86400000"},
    {"sasl.kerberos.kinit.cmd", "/usr/bin/kinit"},
    {"sasl.kerberos.min.time.before.relogin", "60000"},
    {"compression.type", "producer"},
    {"compression.gzip.level", "-1"},
    {"compression.lz4.level", "9"},
    {"compression.zstd.level", "3"},
    {"log.cleaner.delete.retention.ms", "86400000"},
    {"log.segment.delete.delay.ms", "60000"},
    {"log.flush.interval.messages", "9223372036854775807"},
    {"log.flush.scheduler.interval.ms", "9223372036854775807"},
    {"log.index.interval.bytes", "4096"},
    {"log.local.retention.bytes", "-2"},
    {"log.local.retention.ms", "-2"},
    {"log.cleaner.max.compaction.lag.ms", "9223372036854775807"},
    {"message.max.bytes", "1048588"},
    {"log.message.downconversion.enable", "true"},
    {"log.message.format.version", FR_MESSAGE_FORMAT_VERSION_DEFAULT},
    {"log.message.timestamp.after.max.ms", "9223372036854775807"},
    {"log.message.timestamp.before.max.ms", "9223372036854775807"},
    {"log.message.timestamp.difference.max.ms", "9223372036854775807"},
    {"log.message.timestamp.type", "CreateTime"},
    {"log.cleaner.min.cleanable.ratio", "0.5"},
    {"log.cleaner.min.compaction.lag.ms", "0"},
    {"min.insync.replicas", "1"},
    {"log.preallocate", "false"},
    {"log.retention.bytes", "-1"},
    {"log.retention.hours", "168"},
    {"log.segment.bytes", "1073741824"},
    {"log.index.size.max.bytes", "10485760"},
    {"log.roll.jitter.hours", "0"},
    {"log.roll.hours", "168"},
    {"unclean.leader.election.enable", "false"},
    /* topic-level defaults (LogConfig) that differ in name from the broker's */
    {"cleanup.policy", "delete"},
    {"delete.retention.ms", "86400000"},
    {"file.delete.delay.ms", "60000"},
    {"flush.messages", "9223372036854775807"},
    {"flush.ms", "9223372036854775807"},
    {"follower.replication.throttled.replicas", ""},
    {"index.interval.bytes", "4096"},
    {"leader.replication.throttled.replicas", ""},
    {"local.retention.bytes", "-2"},
    {"local.retention.ms", "-2"},
    {"max.compaction.lag.ms", "9223372036854775807"},
    {"max.message.bytes", "1048588"},
    {"message.downconversion.enable", "true"},
    {"message.format.version", FR_MESSAGE_FORMAT_VERSION_DEFAULT},
    {"message.timestamp.after.max.ms", "9223372036854775807"},
    {"message.timestamp.before.max.ms", "9223372036854775807"},
    {"message.timestamp.difference.max.ms", "9223372036854775807"},
    {"message.timestamp.type", "CreateTime"},
    {"min.cleanable.dirty.ratio", "0.5"},
    {"min.compaction.lag.ms", "0"},
    {"preallocate", "false"},
    {"remote.log.copy.disable", "false"},
    {"remote.log.delete.on.disable", "false"},
    {"remote.storage.enable", "false"},
    {"retention.bytes", "-1"},
    {"retention.ms", "604800000"},
    {"segment.bytes", "1073741824"},
    {"segment.index.bytes", "10485760"},
    {"segment.jitter.ms", "0"},
    {"segment.ms", "604800000"},
};

const fr_topic_config_def_t *fr_topic_config_defs(size_t *count) {
    *count = NDEFS;
    return defs;
}

const fr_topic_config_def_t *fr_topic_config_find(const char *name) {
    for (size_t i = 0; i < NDEFS; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

const fr_topic_config_def_t *fr_topic_config_find_broker(const char *broker_key) {
    for (size_t i = 0; i < NDEFS; i++)
        if (defs[i].broker_key && strcmp(defs[i].broker_key, broker_key) == 0)
            return &defs[i];
    return NULL;
}

const char *fr_config_default(const char *name) {
    for (size_t i = 0; i < sizeof(kafka_defaults) / sizeof(kafka_defaults[0]); i++)
        if (strcmp(kafka_defaults[i].key, name) == 0)
            return kafka_defaults[i].value;
    return NULL;
}

int fr_config_is_list(const char *name) {
    const fr_topic_config_def_t *d = fr_topic_config_find(name);
    return (d && d->type == FR_CFG_LIST) || strcmp(name, "log.cleanup.policy") == 0;
}

/* ---------- validation (Kafka's ConfigDef messages) ---------- */

/* Copies s without surrounding blanks into buf (Kafka trims values before parsing). */
static const char *trimmed(const char *s, char *buf, size_t len) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static int one_of(const char *v, const char *const *allowed) {
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(v, allowed[i]) == 0)
            return 1;
    return 0;
}

static int bad(char *err, size_t errlen, const char *name, const char *value, const char *why) {
    snprintf(err, errlen, "Invalid value %s for configuration %s: %s", value, name, why);
    return FR_ERR_INVALID_CONFIG;
}

/* Kafka's ranges of the compression levels (GzipCompression, Lz4Compression,
 * ZstdCompression); 1 for any other key. */
static const struct {
    const char *name;
    int64_t min, max, also; /* also: one more value allowed outside [min, max] */
} levels[] = {
    {"compression.gzip.level", 1, 9, -1},
    {"compression.lz4.level", 1, 17, 1},
    {"compression.zstd.level", -131072, 22, -131072},
};

static int level_in_range(const char *name, int64_t n) {
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(name, levels[i].name) == 0)
            return (n >= levels[i].min && n <= levels[i].max) || n == levels[i].also;
    return 1;
}

/* ConfigDef.Range's words, or gzip's own, into why. */
static const char *level_range_why(const char *name, int64_t n, char *why, size_t len) {
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(name, levels[i].name) != 0)
            continue;
        if (levels[i].also < levels[i].min)
            snprintf(why, len, "Value must be between %" PRId64 " and %" PRId64 " or equal to %" PRId64,
                     levels[i].min, levels[i].max, levels[i].also);
        else if (n < levels[i].min)
            snprintf(why, len, "Value must be at least %" PRId64, levels[i].min);
        else
            snprintf(why, len, "Value must be no more than %" PRId64, levels[i].max);
        return why;
    }
    return "";
}

/* Kafka's ThrottledReplicaListValidator: the literal '*', or a list whose
 * items (trimmed) are each empty or partition:broker in digits. */
static int throttled_replicas_valid(const char *v) {
    if (strcmp(v, "*") == 0)
        return 1;
    for (const char *p = v;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *q = p;
        if (*q != ',' && *q) {
            size_t a = strspn(q, "0123456789");
            if (!a || q[a] != ':')
                return 0;
            q += a + 1;
            size_t b = strspn(q, "0123456789");
            if (!b)
                return 0;
            q += b;
        }
        while (*q == ' ' || *q == '\t')
            q++;
        if (!*q)
            return 1;
        if (*q != ',')
            return 0;
        p = q + 1;
    }
}

/* ThrottledReplicaListValidator's words, which name the config, into why. */
static const char *throttled_why(const char *name, char *why, size_t len) {
    snprintf(why, len,
             "%s must be the literal '*' or a list of replicas in the following format: "
             "[partitionId]:[brokerId],[partitionId]:[brokerId],...",
             name);
    return why;
}

int fr_config_validate_value(const fr_topic_config_def_t *d, const char *name, const char *value, char *err,
                             size_t errlen) {
    static const char *const compressions[] = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer", NULL};
    static const char *const timestamp_types[] = {"CreateTime", "LogAppendTime", NULL};
    static const char *const policies[] = {"compact", "delete", NULL};
    char v[256], why[192]; /* the longest: the throttled-replicas format with its config's name */
    if (!value)
        return bad(err, errlen, name, "null", "Value must be non-null");
    if (strlen(value) >= sizeof(v))
        return bad(err, errlen, name, value, "Value is too long");
    trimmed(value, v, sizeof(v));
    switch (d->type) {
    case FR_CFG_INT:
    case FR_CFG_LONG: {
        int64_t n;
        int64_t max = d->type == FR_CFG_INT ? INT32_MAX : INT64_MAX;
        int64_t min = d->type == FR_CFG_INT ? INT32_MIN : INT64_MIN;
        if (fr_config_parse_long(v, min, max, &n))
            return bad(err, errlen, name, value, d->type == FR_CFG_INT ? "Not a number of type INT"
                                                                       : "Not a number of type LONG");
        if (d->min != NO_MIN && n < d->min) {
            snprintf(why, sizeof(why), "Value must be at least %" PRId64, d->min);
            return bad(err, errlen, name, value, why);
        }
        return level_in_range(d->name, n) ? 0 : bad(err, errlen, name, value, level_range_why(d->name, n, why, sizeof(why)));
    }
    case FR_CFG_BOOLEAN: {
        int b;
        if (fr_config_parse_bool(v, &b))
            return bad(err, errlen, name, value, "Expected value to be either true or false");
        return 0;
    }
    case FR_CFG_DOUBLE: {
        char *end;
        errno = 0;
        double dv = strtod(v, &end);
        if (end == v || *end || errno || isnan(dv))
            return bad(err, errlen, name, value, "Not a number of type DOUBLE");
        if (dv < 0)
            return bad(err, errlen, name, value, "Value must be at least 0");
        if (dv > 1)
            return bad(err, errlen, name, value, "Value must be no more than 1");
        return 0;
    }
    case FR_CFG_LIST:
        if (strcmp(d->name, "cleanup.policy") != 0)
            return throttled_replicas_valid(v) ? 0 : bad(err, errlen, name, value, throttled_why(d->name, why, sizeof(why)));
        /* cleanup.policy: a comma-separated list of compact / delete.  An empty
         * one is Kafka's too: neither, so no segment is ever removed */
        if (!*v)
            return 0;
        for (const char *p = v;;) {
            const char *comma = strchr(p, ',');
            int n = comma ? (int)(comma - p) : (int)strlen(p);
            char raw[64], item[64];
            snprintf(raw, sizeof(raw), "%.*s", n, p);
            if (!one_of(trimmed(raw, item, sizeof(item)), policies))
                return bad(err, errlen, name, item, "String must be one of: compact, delete");
            if (!comma)
                return 0;
            p = comma + 1;
        }
    default:
        if (strcmp(d->name, "compression.type") == 0 && !one_of(v, compressions))
            return bad(err, errlen, name, value,
                       "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer");
        if (strcmp(d->name, "message.timestamp.type") == 0 && !one_of(v, timestamp_types))
            return bad(err, errlen, name, value, "String must be one of: CreateTime, LogAppendTime");
        if (strcmp(d->name, "message.format.version") == 0 && !fr_metadata_version_valid(v)) {
            char version_why[sizeof(v) + 32];
            snprintf(version_why, sizeof(version_why), "Version %s is not a valid version", v);
            return bad(err, errlen, name, value, version_why);
        }
        return 0;
    }
}

int fr_topic_config_validate(const char *key, const char *value, char *err, size_t errlen) {
    const fr_topic_config_def_t *d = fr_topic_config_find(key);
    if (!d) {
        snprintf(err, errlen, "Unknown topic config name: %s", key);
        return FR_ERR_INVALID_CONFIG;
    }
    return fr_config_validate_value(d, key, value, err, errlen);
}

int fr_topic_config_validate_set(const fr_broker_config_t *broker, const fr_props_t *overrides, char *err,
                                 size_t errlen) {
    /* LogConfig.validateRemoteStorageOnlyIfSystemEnabled: this broker has no tiered storage */
    const char *remote = overrides ? fr_props_get(overrides, "remote.storage.enable") : NULL;
    int on = 0;
    if (remote && fr_config_parse_bool(remote, &on) == 0 && on) {
        snprintf(err, errlen, "Tiered Storage functionality is disabled in the broker. "
                              "Topic cannot be configured with remote log storage.");
        return FR_ERR_INVALID_CONFIG;
    }
    /* Kafka's LogConfig.validateValues, over the values the topic would see */
    int64_t lag[2];
    static const char *const keys[2] = {"min.compaction.lag.ms", "max.compaction.lag.ms"};
    for (int i = 0; i < 2; i++) {
        char buf[64];
        int source;
        const char *v = fr_topic_config_value(fr_topic_config_find(keys[i]), overrides, broker, &source, buf,
                                              sizeof(buf));
        if (!v || fr_config_parse_long(v, INT64_MIN, INT64_MAX, &lag[i]))
            return 0; /* each value was checked on its own */
    }
    if (lag[0] > lag[1]) {
        snprintf(err, errlen, "conflict topic config setting %s (%" PRId64 ") > %s (%" PRId64 ")", keys[0], lag[0],
                 keys[1], lag[1]);
        return FR_ERR_INVALID_CONFIG;
    }
    return 0;
}

/* ---------- synonyms and values ---------- */

/* The multi_names group key is the first name of, or (any_name) any name of
 * where the group's other names share its synonyms; -1 for none. */
static int group_of(const char *key, int any_name) {
    for (size_t i = 0; i < sizeof(multi_names) / sizeof(multi_names[0]); i++)
        for (int n = 0; n < 3 && multi_names[i].names[n] && (n == 0 || (any_name && multi_names[i].every_name)); n++)
            if (strcmp(multi_names[i].names[n], key) == 0)
                return (int)i;
    return -1;
}

/* Group g's names in precedence order (NULL-terminated, at most 3) and, when
 * units is not NULL, their units; key alone (in ms) for g < 0. */
static void names_in(int g, const char *key, const char *names[4], int64_t units[3]) {
    int n = 0;
    for (; g >= 0 && n < 3 && multi_names[g].names[n]; n++) {
        names[n] = multi_names[g].names[n];
        if (units)
            units[n] = multi_names[g].unit_ms[n];
    }
    if (n == 0) {
        names[n++] = key;
        if (units)
            units[0] = 1;
    }
    names[n] = NULL;
}

/* The names a broker key's value is read from, and their units. */
static void names_of(const char *broker_key, const char *names[4], int64_t units[3]) {
    names_in(group_of(broker_key, 0), broker_key, names, units);
}

/* Kafka's brokerConfigSynonyms: the names a key's chain is made of. */
static void synonym_names_of(const char *key, const char *names[4]) {
    names_in(group_of(key, 1), key, names, NULL);
}

size_t fr_broker_config_other_names(const char *names[], int types[], size_t max) {
    size_t k = 0;
    for (size_t i = 0; i < sizeof(multi_names) / sizeof(multi_names[0]); i++)
        for (int n = 1; n < 3 && multi_names[i].names[n] && k < max; n++, k++) {
            names[k] = multi_names[i].names[n];
            types[k] = multi_names[i].unit_ms[n] == 1 ? FR_CFG_LONG : FR_CFG_INT; /* ms LONG, hours INT */
        }
    return k;
}

/* Every synonym of broker_key in source order, without Kafka's final drop. */
static size_t full_chain(const fr_broker_config_t *b, const char *broker_key, int per_broker,
                         fr_config_synonym_t *out) {
    const char *names[4];
    synonym_names_of(broker_key, names);
    const fr_props_t *layers[3] = {per_broker ? &b->dynamic_broker : NULL, &b->dynamic_default, &b->props};
    static const int sources[3] = {FR_CFG_SRC_DYNAMIC_BROKER, FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER,
                                   FR_CFG_SRC_STATIC_BROKER};
    size_t n = 0;
    for (int l = 0; l < 3; l++) {
        if (!layers[l])
            continue;
        for (int i = 0; names[i]; i++) {
            const char *v = fr_props_get(layers[l], names[i]);
            if (v && n < FR_CFG_MAX_SYNONYMS)
                out[n++] = (fr_config_synonym_t){names[i], v, sources[l]};
        }
    }
    for (int i = 0; names[i]; i++) {
        const char *v = fr_config_default(names[i]);
        if (v && n < FR_CFG_MAX_SYNONYMS)
            out[n++] = (fr_config_synonym_t){names[i], v, FR_CFG_SRC_DEFAULT};
    }
    return n;
}

size_t fr_broker_config_synonyms(const fr_broker_config_t *b, const char *broker_key, int per_broker,
                                 fr_config_synonym_t out[FR_CFG_MAX_SYNONYMS]) {
    fr_config_synonym_t all[FR_CFG_MAX_SYNONYMS];
    size_t n = full_chain(b, broker_key, per_broker, all), first = 0;
    while (first < n && strcmp(all[first].name, broker_key) != 0)
        first++;
    memcpy(out, all + first, (n - first) * sizeof(*out));
    return n - first;
}

size_t fr_topic_config_synonyms(const fr_topic_config_def_t *def, const fr_props_t *overrides,
                                const fr_broker_config_t *b, fr_config_synonym_t out[FR_CFG_MAX_SYNONYMS]) {
    size_t n = 0;
    const char *ov = overrides ? fr_props_get(overrides, def->name) : NULL;
    if (ov)
        out[n++] = (fr_config_synonym_t){def->name, ov, FR_CFG_SRC_DYNAMIC_TOPIC};
    if (!def->broker_key)
        return n; /* no broker-level synonym: Kafka lists the topic's own value only */
    fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
    size_t m = fr_broker_config_synonyms(b, def->broker_key, 1, chain);
    for (size_t i = 0; i < m && n < FR_CFG_MAX_SYNONYMS; i++)
        out[n++] = chain[i];
    return n;
}

const char *fr_broker_config_value(const fr_broker_config_t *b, const char *broker_key, int *source, char *buf,
                                   size_t buflen) {
    fr_config_synonym_t chain[FR_CFG_MAX_SYNONYMS];
    *source = fr_broker_config_synonyms(b, broker_key, 1, chain) ? chain[0].source : FR_CFG_SRC_DEFAULT;
    /* The value: the first name set anywhere, by source then by name precedence, in ms. */
    size_t n = full_chain(b, broker_key, 1, chain);
    if (n == 0)
        return NULL;
    const char *names[4];
    int64_t units[3], unit = 1;
    names_of(broker_key, names, units);
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], chain[0].name) == 0)
            unit = units[i];
    int64_t v;
    if (unit != 1 && fr_config_parse_long(chain[0].value, INT64_MIN, INT64_MAX, &v) == 0) {
        /* Kafka: a negative retention in minutes or hours means unlimited (-1) */
        snprintf(buf, buflen, "%" PRId64, v < 0 ? -1 : v > INT64_MAX / unit ? INT64_MAX : v * unit);
        return buf;
    }
    snprintf(buf, buflen, "%s", chain[0].value);
    return buf;
}

const char *fr_topic_config_value(const fr_topic_config_def_t *def, const fr_props_t *overrides,
                                  const fr_broker_config_t *broker, int *source, char *buf, size_t buflen) {
    const char *v = overrides ? fr_props_get(overrides, def->name) : NULL;
    if (v) {
        *source = FR_CFG_SRC_DYNAMIC_TOPIC;
        snprintf(buf, buflen, "%s", v);
        return buf;
    }
    if (!def->broker_key) {
        *source = FR_CFG_SRC_DEFAULT;
        return fr_config_default(def->name);
    }
    return fr_broker_config_value(broker, def->broker_key, source, buf, buflen);
}

/* ---------- effective log settings ---------- */

int fr_topic_cleanup_policy_has(const fr_broker_config_t *broker, const fr_props_t *overrides, const char *policy) {
    const char *list = overrides ? fr_props_get(overrides, "cleanup.policy") : NULL;
    /* validated lists hold only "delete" and "compact", so a substring is a member */
    return strstr(list ? list : broker->cleanup_policy, policy) != NULL;
}

int fr_config_compression_codec(const char *compression_type) {
    static const char *const names[] = {"uncompressed", "gzip", "snappy", "lz4", "zstd"};
    char v[32];
    trimmed(compression_type, v, sizeof(v)); /* as validated */
    for (int codec = 0; codec < (int)(sizeof(names) / sizeof(names[0])); codec++)
        if (strcmp(v, names[codec]) == 0)
            return codec;
    return -1;
}

static int64_t override_long(const fr_props_t *o, const char *key, int64_t dflt) {
    const char *v = o ? fr_props_get(o, key) : NULL;
    int64_t out;
    if (v && fr_config_parse_long(v, INT64_MIN, INT64_MAX, &out) == 0)
        return out;
    return dflt;
}

int64_t fr_topic_config_long(const fr_broker_config_t *broker, const fr_props_t *topic_overrides, const char *key,
                             int64_t fallback) {
    const fr_topic_config_def_t *def = fr_topic_config_find(key);
    char buf[64];
    int source;
    int64_t v;
    const char *s = def ? fr_topic_config_value(def, topic_overrides, broker, &source, buf, sizeof(buf)) : NULL;
    return s && fr_config_parse_long(s, INT64_MIN, INT64_MAX, &v) == 0 ? v : fallback;
}

/* compression.<codec>.level as the topic sees it (override, dynamic, static, default). */
static int codec_level(const fr_broker_config_t *broker, const fr_props_t *o, int codec) {
    static const char *const keys[] = {[FR_COMPRESSION_GZIP] = "compression.gzip.level",
                                       [FR_COMPRESSION_LZ4] = "compression.lz4.level",
                                       [FR_COMPRESSION_ZSTD] = "compression.zstd.level"};
    const char *key = codec >= 0 && codec < (int)(sizeof(keys) / sizeof(keys[0])) ? keys[codec] : NULL;
    const fr_topic_config_def_t *def = key ? fr_topic_config_find(key) : NULL;
    if (!def)
        return FR_COMPRESSION_LEVEL_DEFAULT;
    char buf[64];
    int source;
    const char *v = fr_topic_config_value(def, o, broker, &source, buf, sizeof(buf));
    int64_t n;
    if (!v || fr_config_parse_long(v, INT32_MIN, INT32_MAX, &n) || !level_in_range(key, n))
        return FR_COMPRESSION_LEVEL_DEFAULT;
    return (int)n;
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

    out->compacted = fr_topic_cleanup_policy_has(broker, o, "compact");
    out->segment_jitter_ms = fr_topic_config_long(broker, o, "segment.jitter.ms", 0);
    out->max_compaction_lag_ms = fr_topic_config_long(broker, o, "max.compaction.lag.ms", INT64_MAX);
    const char *ts_type = o ? fr_props_get(o, "message.timestamp.type") : NULL;
    if (ts_type) {
        char v[32];
        out->log_append_time = strcmp(trimmed(ts_type, v, sizeof(v)), "LogAppendTime") == 0;
    }
    /* the broker's bounds, already resolved, are the topic's defaults (as in Kafka) */
    fr_log_config_set_ts_bounds(out, override_long(o, "message.timestamp.before.max.ms", broker->log.ts_before_max_ms),
                                override_long(o, "message.timestamp.after.max.ms", broker->log.ts_after_max_ms),
                                override_long(o, "message.timestamp.difference.max.ms", broker->ts_difference_max_ms));
    const char *codec = o ? fr_props_get(o, "compression.type") : NULL;
    out->codec = fr_config_compression_codec(codec ? codec : broker->compression_type);
    out->recompress = out->codec >= 0;
    if (!out->recompress)
        out->codec = 0;
    out->codec_level = codec_level(broker, o, out->codec);
}
