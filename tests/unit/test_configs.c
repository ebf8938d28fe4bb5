/*
 * Configs without a broker: topic config validation (Kafka's messages), the
 * synonym chains and effective values with dynamic and static layers,
 * IncrementalAlterConfigs' list arithmetic, dynamic broker config checks,
 * fr_props_store round trips, and the --add-config syntax of the tool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_config.h"
#include "config_admin.h"
#include "dynamic_config.h"
#include "fr_err.h"
#include "fr_props.h"
#include "fr_test.h"
#include "tool_configs_parse.h"
#include "topic_config.h"

static const char *validate_msg(const char *key, const char *value, int *rc) {
    static char err[512];
    err[0] = '\0';
    *rc = fr_topic_config_validate(key, value, err, sizeof(err));
    return err;
}

FR_TEST(topic_values_are_checked_with_kafkas_messages) {
    int rc;
    FR_CHECK_EQ_STR(validate_msg("retention.ms", "soon", &rc),
                    "Invalid value soon for configuration retention.ms: Not a number of type LONG");
    FR_CHECK_EQ_INT(rc, FR_ERR_INVALID_CONFIG);
    FR_CHECK_EQ_STR(validate_msg("segment.bytes", "13", &rc),
                    "Invalid value 13 for configuration segment.bytes: Value must be at least 14");
    FR_CHECK_EQ_STR(validate_msg("max.message.bytes", "3000000000", &rc),
                    "Invalid value 3000000000 for configuration max.message.bytes: Not a number of type INT");
    FR_CHECK_EQ_STR(validate_msg("preallocate", "yes", &rc),
                    "Invalid value yes for configuration preallocate: Expected value to be either true or false");
    FR_CHECK_EQ_STR(validate_msg("min.cleanable.dirty.ratio", "1.5", &rc),
                    "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1");
    FR_CHECK_EQ_STR(validate_msg("cleanup.policy", "compact,purge", &rc),
                    "Invalid value purge for configuration cleanup.policy: String must be one of: compact, delete");
    FR_CHECK_EQ_STR(validate_msg("no.such", "1", &rc), "Unknown topic config name: no.such");
    FR_CHECK_EQ_INT(rc, FR_ERR_INVALID_CONFIG);
    validate_msg("retention.ms", "-1", &rc);
    FR_CHECK_EQ_INT(rc, 0);
    validate_msg("retention.bytes", "-7", &rc); /* no lower bound in Kafka */
    FR_CHECK_EQ_INT(rc, 0);
    validate_msg("cleanup.policy", " delete , compact ", &rc);
    FR_CHECK_EQ_INT(rc, 0);
    validate_msg("compression.type", "zstd", &rc);
    FR_CHECK_EQ_INT(rc, 0);
    validate_msg("flush.messages", "0", &rc);
    FR_CHECK_EQ_INT(rc, FR_ERR_INVALID_CONFIG);
}

/* Kafka 3.x still defines the deprecated format keys and checks their values
 * (MetadataVersionValidator), though it ignores them from IBP 3.0 on. */
FR_TEST(deprecated_message_format_keys_are_checked_as_kafka_checks_them) {
    int rc;
    static const char *const good[] = {"3.0-IV1", "2.8", "2.8.2", "0.8.0", "0.10.2.1", "0.10.0-IV1", "4.0-IV1",
                                       "3.9", "3.9-IV0", "1.0.2-rc1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        validate_msg("message.format.version", good[i], &rc);
        FR_CHECK_EQ_INT(rc, 0);
    }
    /* 4.0 is not a production release in 3.9; a 0.x release needs three parts; parts are Java's split's */
    static const char *const bad[] = {"4.0", "3", "3.0.", "0.10", "banana", "", "3.0-IV9", "2.8-IV1x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        validate_msg("message.format.version", bad[i], &rc);
        FR_CHECK_EQ_INT(rc, FR_ERR_INVALID_CONFIG);
    }
    FR_CHECK_EQ_STR(validate_msg("message.format.version", "banana", &rc),
                    "Invalid value banana for configuration message.format.version: "
                    "Version banana is not a valid version");
    FR_CHECK_EQ_STR(validate_msg("message.downconversion.enable", "maybe", &rc),
                    "Invalid value maybe for configuration message.downconversion.enable: "
                    "Expected value to be either true or false");
    FR_CHECK_EQ_STR(fr_config_default("message.format.version"), "3.0-IV1");
    FR_CHECK_EQ_STR(fr_config_default("log.message.downconversion.enable"), "true");
    /* the format version is not dynamic in Kafka (NonReconfigrableLogConfigs); down-conversion is */
    FR_CHECK(!fr_dynamic_config_is_dynamic("log.message.format.version"));
    FR_CHECK(fr_dynamic_config_is_dynamic("log.message.downconversion.enable"));
    /* server.properties: checked too */
    fr_broker_config_t cfg;
    fr_props_t p;
    fr_props_init(&p);
    fr_props_set(&p, "log.dirs", "/nonexistent-freshet-test");
    fr_props_set(&p, "log.message.format.version", "2.1-IV2");
    fr_props_set(&p, "log.message.downconversion.enable", "false");
    char err[256] = "";
    fr_broker_config_defaults(&cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(&cfg, &p, err, sizeof(err)), 0);
    fr_broker_config_free(&cfg);
    fr_props_set(&p, "log.message.format.version", "0.7");
    fr_broker_config_defaults(&cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(&cfg, &p, err, sizeof(err)), FR_ERR_CONFIG);
    FR_CHECK_EQ_STR(err, "Invalid value 0.7 for configuration log.message.format.version: "
                         "Version 0.7 is not a valid version");
    fr_broker_config_free(&cfg);
    fr_props_free(&p);
}

/* A broker config with the given static pairs, loaded as the server loads it. */
static void broker_with(fr_broker_config_t *cfg, const char *const *kv) {
    fr_props_t p;
    fr_props_init(&p);
    for (size_t i = 0; kv && kv[i]; i += 2)
        fr_props_set(&p, kv[i], kv[i + 1]);
    fr_props_set(&p, "log.dirs", "/nonexistent-freshet-test");
    char err[256];
    fr_broker_config_defaults(cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(cfg, &p, err, sizeof(err)), 0);
    fr_props_free(&p);
}

FR_TEST(synonym_chains_follow_kafkas_order) {
    fr_broker_config_t cfg;
    broker_with(&cfg, (const char *const[]){"log.retention.hours", "1", "message.max.bytes", "900000", NULL});
    fr_props_set(&cfg.dynamic_default, "message.max.bytes", "5000");
    fr_props_set(&cfg.dynamic_broker, "message.max.bytes", "20000");
    fr_config_synonym_t s[FR_CFG_MAX_SYNONYMS];
    size_t n = fr_broker_config_synonyms(&cfg, "message.max.bytes", 1, s);
    FR_CHECK_EQ_INT(n, 4);
    int want[] = {FR_CFG_SRC_DYNAMIC_BROKER, FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER, FR_CFG_SRC_STATIC_BROKER,
                  FR_CFG_SRC_DEFAULT};
    for (size_t i = 0; i < n && i < 4; i++)
        FR_CHECK_EQ_INT(s[i].source, want[i]);
    /* the cluster default resource leaves this broker's value out */
    n = fr_broker_config_synonyms(&cfg, "message.max.bytes", 0, s);
    FR_CHECK_EQ_INT(n, 3);
    FR_CHECK_EQ_STR(s[0].value, "5000");

    /* set only through log.retention.hours: Kafka reports no synonyms and DEFAULT_CONFIG, but the value in ms */
    char buf[64];
    int src;
    FR_CHECK_EQ_INT(fr_broker_config_synonyms(&cfg, "log.retention.ms", 1, s), 0);
    FR_CHECK_EQ_STR(fr_broker_config_value(&cfg, "log.retention.ms", &src, buf, sizeof(buf)), "3600000");
    FR_CHECK_EQ_INT(src, FR_CFG_SRC_DEFAULT);
    /* a dynamic log.retention.ms wins over the static hours and leads the chain */
    fr_props_set(&cfg.dynamic_default, "log.retention.ms", "60000");
    n = fr_broker_config_synonyms(&cfg, "log.retention.ms", 1, s);
    FR_CHECK_EQ_INT(n, 3);
    FR_CHECK_EQ_STR(s[0].name, "log.retention.ms");
    FR_CHECK_EQ_STR(s[1].name, "log.retention.hours");
    FR_CHECK_EQ_INT(s[1].source, FR_CFG_SRC_STATIC_BROKER);
    FR_CHECK_EQ_STR(fr_broker_config_value(&cfg, "log.retention.ms", &src, buf, sizeof(buf)), "60000");
    FR_CHECK_EQ_INT(src, FR_CFG_SRC_DYNAMIC_DEFAULT_BROKER);

    /* a topic's own override heads its chain */
    fr_props_t ov;
    fr_props_init(&ov);
    fr_props_set(&ov, "max.message.bytes", "100");
    const fr_topic_config_def_t *d = fr_topic_config_find("max.message.bytes");
    n = fr_topic_config_synonyms(d, &ov, &cfg, s);
    FR_CHECK_EQ_INT(n, 5);
    FR_CHECK_EQ_INT(s[0].source, FR_CFG_SRC_DYNAMIC_TOPIC);
    FR_CHECK_EQ_STR(fr_topic_config_value(d, &ov, &cfg, &src, buf, sizeof(buf)), "100");
    fr_props_free(&ov);
    fr_broker_config_free(&cfg);
}

/* A broker setting whose value is refused with an error naming the key. */
static void refused_naming_the_key(const char *key, const char *value) {
    fr_broker_config_t cfg;
    fr_props_t p;
    fr_props_init(&p);
    fr_props_set(&p, key, value);
    char err[256] = "";
    fr_broker_config_defaults(&cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(&cfg, &p, err, sizeof(err)), FR_ERR_CONFIG);
    FR_CHECK(strstr(err, key) != NULL);
    fr_broker_config_free(&cfg);
    fr_props_free(&p);
}

FR_TEST(page_cache_retain_bytes_is_checked) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.page_cache_retain_bytes, 1LL << 30);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"freshet.page.cache.retain.bytes", "-1", NULL});
    FR_CHECK_EQ_INT(cfg.page_cache_retain_bytes, -1);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("freshet.page.cache.retain.bytes", "-2");
}

FR_TEST(validate_compressed_records_is_a_boolean_defaulting_to_kafkas_checks) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.log.trust_compressed, 0);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"freshet.produce.validate.compressed.records", "false", NULL});
    FR_CHECK_EQ_INT(cfg.log.trust_compressed, 1);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"freshet.produce.validate.compressed.records", "true", NULL});
    FR_CHECK_EQ_INT(cfg.log.trust_compressed, 0);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("freshet.produce.validate.compressed.records", "sometimes");
}

FR_TEST(group_max_size_is_kafkas) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.group_max_size, INT32_MAX);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"group.max.size", "5", NULL});
    FR_CHECK_EQ_INT(cfg.group_max_size, 5);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("group.max.size", "0"); /* atLeast(1) */
    refused_naming_the_key("group.max.size", "many");
}

FR_TEST(internal_topic_settings_are_kafkas) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.txn_state_num_partitions, 50);
    FR_CHECK_EQ_INT(cfg.txn_state_segment_bytes, 104857600);
    FR_CHECK_EQ_INT(cfg.offsets_topic_segment_bytes, 104857600);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"transaction.state.log.num.partitions", "3",
                                            "transaction.state.log.segment.bytes", "1048576",
                                            "offsets.topic.segment.bytes", "2097152", NULL});
    FR_CHECK_EQ_INT(cfg.txn_state_num_partitions, 3);
    FR_CHECK_EQ_INT(cfg.txn_state_segment_bytes, 1048576);
    FR_CHECK_EQ_INT(cfg.offsets_topic_segment_bytes, 2097152);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("transaction.state.log.num.partitions", "0"); /* atLeast(1) */
    refused_naming_the_key("transaction.state.log.segment.bytes", "0");
    refused_naming_the_key("offsets.topic.segment.bytes", "2147483648");
}

/* A topic's timestamp bounds as Kafka's KafkaConfig and LogConfig resolve them: each bound
 * left at Long.MAX_VALUE falls back to difference.max.ms, the broker's resolved bounds are
 * a topic's defaults, and a topic's own difference only fills what is still unset. */
static void topic_bounds(const char *const *broker_kv, const char *const *topic_kv, int64_t before, int64_t after) {
    fr_broker_config_t b;
    fr_props_t o;
    fr_log_config_t lc;
    broker_with(&b, broker_kv);
    fr_props_init(&o);
    for (size_t i = 0; topic_kv && topic_kv[i]; i += 2)
        fr_props_set(&o, topic_kv[i], topic_kv[i + 1]);
    fr_topic_log_config(&b, &o, &lc);
    FR_CHECK_EQ_INT(lc.ts_before_max_ms, before);
    FR_CHECK_EQ_INT(lc.ts_after_max_ms, after);
    FR_CHECK_EQ_INT(lc.ts_bounded, before != INT64_MAX || after != INT64_MAX);
    fr_props_free(&o);
    fr_broker_config_free(&b);
}

FR_TEST(timestamp_bounds_resolve_as_kafkas_do) {
    const int64_t none = INT64_MAX;
    topic_bounds(NULL, NULL, none, none);
    topic_bounds(NULL, (const char *const[]){"message.timestamp.before.max.ms", "1000", NULL}, 1000, none);
    topic_bounds(NULL, (const char *const[]){"message.timestamp.after.max.ms", "0", NULL}, none, 0);
    topic_bounds(NULL, (const char *const[]){"message.timestamp.difference.max.ms", "5000", NULL}, 5000, 5000);
    topic_bounds(NULL,
                 (const char *const[]){"message.timestamp.difference.max.ms", "5000",
                                       "message.timestamp.after.max.ms", "60000", NULL},
                 5000, 60000);
    topic_bounds((const char *const[]){"log.message.timestamp.difference.max.ms", "7000", NULL}, NULL, 7000, 7000);
    topic_bounds((const char *const[]){"log.message.timestamp.before.max.ms", "3000", NULL}, NULL, 3000, none);
    /* the broker's difference became its bounds, which then outrank the topic's difference */
    topic_bounds((const char *const[]){"log.message.timestamp.difference.max.ms", "7000", NULL},
                 (const char *const[]){"message.timestamp.difference.max.ms", "5000", NULL}, 7000, 7000);
    topic_bounds((const char *const[]){"log.message.timestamp.after.max.ms", "100", NULL},
                 (const char *const[]){"message.timestamp.difference.max.ms", "5000", NULL}, 5000, 100);
    refused_naming_the_key("log.message.timestamp.before.max.ms", "-1");
    refused_naming_the_key("log.message.timestamp.difference.max.ms", "soon");
    int rc;
    FR_CHECK_EQ_STR(validate_msg("message.timestamp.after.max.ms", "-5", &rc),
                    "Invalid value -5 for configuration message.timestamp.after.max.ms: Value must be at least 0");
    FR_CHECK_EQ_INT(rc, FR_ERR_INVALID_CONFIG);
    validate_msg("message.timestamp.before.max.ms", "9223372036854775807", &rc);
    FR_CHECK_EQ_INT(rc, 0);
}

FR_TEST(fetch_max_bytes_is_kafkas) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.fetch_max_bytes, 57671680);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"fetch.max.bytes", "1024", NULL});
    FR_CHECK_EQ_INT(cfg.fetch_max_bytes, 1024);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("fetch.max.bytes", "1023");
    refused_naming_the_key("fetch.max.bytes", "3000000000");
}

FR_TEST(page_cache_lag_window_is_checked) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    FR_CHECK_EQ_INT(cfg.page_cache_lag_window_ms, 10000);
    fr_broker_config_free(&cfg);
    broker_with(&cfg, (const char *const[]){"freshet.page.cache.lag.window.ms", "2500", NULL});
    FR_CHECK_EQ_INT(cfg.page_cache_lag_window_ms, 2500);
    fr_broker_config_free(&cfg);
    refused_naming_the_key("freshet.page.cache.lag.window.ms", "99"); /* under one 100 ms timer round */
}

FR_TEST(incremental_ops_do_kafkas_list_arithmetic) {
    fr_props_t set;
    fr_props_init(&set);
    char err[256];
    /* APPEND to an unset list starts from Kafka's default */
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "cleanup.policy", FR_CONFIG_OP_APPEND, "compact", err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "cleanup.policy"), "delete,compact");
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "cleanup.policy", FR_CONFIG_OP_APPEND, "compact,delete", err,
                                       sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "cleanup.policy"), "delete,compact");
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "cleanup.policy", FR_CONFIG_OP_SUBTRACT, "delete", err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "cleanup.policy"), "compact");
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "cleanup.policy", FR_CONFIG_OP_SUBTRACT, "compact", err, sizeof(err)),
                    0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "cleanup.policy"), ""); /* an empty list, which Kafka keeps */
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "log.cleanup.policy", FR_CONFIG_OP_SUBTRACT, "delete", err,
                                       sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "log.cleanup.policy"), "");
    /* SET, DELETE; errors */
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "retention.ms", FR_CONFIG_OP_SET, "5", err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&set, "retention.ms"), "5");
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "retention.ms", FR_CONFIG_OP_APPEND, "6", err, sizeof(err)),
                    FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_STR(err, "Config value append is not allowed for config key: retention.ms");
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "retention.ms", FR_CONFIG_OP_SET, NULL, err, sizeof(err)),
                    FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "retention.ms", 9, "1", err, sizeof(err)), FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "retention.ms", FR_CONFIG_OP_DELETE, NULL, err, sizeof(err)), 0);
    FR_CHECK(fr_props_get(&set, "retention.ms") == NULL);
    FR_CHECK_EQ_INT(fr_config_apply_op(&set, "not.there", FR_CONFIG_OP_DELETE, NULL, err, sizeof(err)), 0);
    fr_props_free(&set);
}

FR_TEST(dynamic_broker_sets_are_validated) {
    fr_broker_config_t cfg;
    broker_with(&cfg, NULL);
    fr_props_t set;
    fr_props_init(&set);
    char err[512];
    fr_props_set(&set, "log.retention.ms", "1000");
    fr_props_set(&set, "log.dirs", "/x");
    fr_props_set(&set, "listeners", "PLAINTEXT://:1");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 1, &set, err, sizeof(err)), FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_STR(err, "Cannot update these configs dynamically: Set(log.dirs, listeners)");
    fr_props_free(&set);
    fr_props_set(&set, "log.segment.bytes", "10");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 0, &set, err, sizeof(err)), FR_ERR_INVALID_CONFIG);
    FR_CHECK_EQ_STR(err, "Invalid value 10 for configuration log.segment.bytes: Value must be at least 14");
    fr_props_set(&set, "log.segment.bytes", "1000");
    fr_props_set(&set, "log.cleanup.policy", "compact");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 0, &set, err, sizeof(err)), 0);
    FR_CHECK(fr_dynamic_config_is_dynamic("message.max.bytes"));
    FR_CHECK(!fr_dynamic_config_is_dynamic("log.retention.hours"));
    FR_CHECK(!fr_dynamic_config_is_dynamic("broker.id"));
    fr_props_free(&set);
    fr_broker_config_free(&cfg);
}

/* Kafka's dynamic broker-only keys: checked by KafkaConfig's types and bounds,
 * the Kerberos ones per broker only, the connection limits refused (not
 * enforced here); log.cleaner.backoff.ms and producer.id.expiration.ms apply. */
FR_TEST(dynamic_broker_only_keys_are_kafkas) {
    char dir[] = "/tmp/freshet-dyn-XXXXXX";
    FR_CHECK(mkdtemp(dir) != NULL);
    fr_broker_config_t cfg;
    fr_props_t p;
    fr_props_init(&p);
    fr_props_set(&p, "log.dirs", dir);
    char err[512];
    fr_broker_config_defaults(&cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(&cfg, &p, err, sizeof(err)), 0);
    FR_CHECK(fr_dynamic_config_is_dynamic("log.cleaner.threads"));
    FR_CHECK(fr_dynamic_config_is_dynamic("sasl.kerberos.min.time.before.relogin"));
    FR_CHECK(!fr_dynamic_config_is_dynamic("max.connections"));
    FR_CHECK(!fr_dynamic_config_is_dynamic("listeners"));
    fr_props_t set;
    fr_props_init(&set);
    fr_props_set(&set, "log.cleaner.threads", "two");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 1, &set, err, sizeof(err)), FR_ERR_INVALID_CONFIG);
    FR_CHECK_EQ_STR(err, "Invalid value two for configuration log.cleaner.threads: Not a number of type INT");
    fr_props_free(&set);
    fr_props_set(&set, "num.io.threads", "0");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 1, &set, err, sizeof(err)), FR_ERR_INVALID_CONFIG);
    FR_CHECK_EQ_STR(err, "Invalid value 0 for configuration num.io.threads: Value must be at least 1");
    fr_props_free(&set);
    fr_props_set(&set, "sasl.kerberos.min.time.before.relogin", "58000");
    fr_props_set(&set, "log.cleaner.threads", "2");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 0, &set, err, sizeof(err)), FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_STR(err, "Cannot update these configs at default cluster level, broker id must be specified: "
                         "Set(sasl.kerberos.min.time.before.relogin)");
    FR_CHECK_EQ_INT(fr_dynamic_config_validate(&cfg, 1, &set, err, sizeof(err)), 0);
    fr_props_free(&set);
    fr_props_set(&set, "log.cleaner.backoff.ms", "2000");
    fr_props_set(&set, "producer.id.expiration.ms", "5000");
    FR_CHECK_EQ_INT(fr_dynamic_config_replace(&cfg, 1, &set, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(cfg.log_cleaner_backoff_ms, 2000);
    FR_CHECK_EQ_INT(cfg.log.producer_id_expiration_ms, 5000);
    fr_props_free(&set);
    FR_CHECK_EQ_INT(fr_dynamic_config_replace(&cfg, 1, &set, err, sizeof(err)), 0); /* back to the defaults */
    FR_CHECK_EQ_INT(cfg.log_cleaner_backoff_ms, 15000);
    FR_CHECK_EQ_INT(cfg.log.producer_id_expiration_ms, 86400000);
    fr_broker_config_free(&cfg);
    /* server.properties: checked the same way */
    fr_props_set(&p, "log.cleaner.threads", "-1");
    fr_broker_config_defaults(&cfg);
    FR_CHECK_EQ_INT(fr_broker_config_load(&cfg, &p, err, sizeof(err)), FR_ERR_CONFIG);
    FR_CHECK_EQ_STR(err, "Invalid value -1 for configuration log.cleaner.threads: Value must be at least 0");
    fr_broker_config_free(&cfg);
    fr_props_free(&p);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    FR_CHECK_EQ_INT(system(cmd), 0);
}

FR_TEST(props_store_round_trips) {
    char dir[] = "/tmp/freshet-props-XXXXXX";
    FR_CHECK(mkdtemp(dir) != NULL);
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/x.properties", dir);
    fr_props_t p, back;
    fr_props_init(&p);
    fr_props_init(&back);
    const char *pairs[][2] = {{"plain", "value"},         {"with space", " leading and trailing "},
                              {"a=b:c#d!e", "x=y:z"},     {"multi", "line1\nline2\ttab\\back"},
                              {"empty", ""},              {"#comment-like", "!bang"},
                              {"unicode", "caf\xc3\xa9"}, {"ctl", "\x01"}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        fr_props_set(&p, pairs[i][0], pairs[i][1]);
    FR_CHECK_EQ_INT(fr_props_store(&p, path, "written by a test", err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_props_load(&back, path, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(back.count, p.count);
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        FR_CHECK_EQ_STR(fr_props_get(&back, pairs[i][0]), pairs[i][1]);
    FR_CHECK_EQ_INT(fr_props_unset(&back, "plain"), 1);
    FR_CHECK_EQ_INT(fr_props_unset(&back, "plain"), 0);
    FR_CHECK(fr_props_get(&back, "plain") == NULL);
    FR_CHECK_EQ_STR(fr_props_get(&back, "empty"), "");
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no/such/dir/x", dir);
    FR_CHECK_EQ_INT(fr_props_store(&p, missing, NULL, err, sizeof(err)), FR_ERR_IO);
    fr_props_free(&p);
    fr_props_free(&back);
    unlink(path);
    rmdir(dir);
}

FR_TEST(add_config_syntax_is_kafkas) {
    fr_props_t p;
    fr_props_init(&p);
    char err[512];
    FR_CHECK_EQ_INT(tool_configs_parse_add("k1=v1, k2 = [a,b] ,k3=,k4=[x=y]", &p, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(p.count, 4);
    FR_CHECK_EQ_STR(fr_props_get(&p, "k1"), "v1");
    FR_CHECK_EQ_STR(fr_props_get(&p, "k2"), "a,b");
    FR_CHECK_EQ_STR(fr_props_get(&p, "k3"), "");
    FR_CHECK_EQ_STR(fr_props_get(&p, "k4"), "x=y");
    FR_CHECK_EQ_INT(tool_configs_check_keys(&p, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(tool_configs_parse_add("a=b=c", &p, err, sizeof(err)), -1);
    FR_CHECK(strstr(err, "Invalid entity config: all configs to be added must be in the format") != NULL);
    FR_CHECK_EQ_INT(tool_configs_parse_add("novalue", &p, err, sizeof(err)), -1);
    FR_CHECK_EQ_INT(tool_configs_parse_add("", &p, err, sizeof(err)), -1);
    fr_props_t bad;
    fr_props_init(&bad);
    fr_props_set(&bad, "bad key", "1");
    FR_CHECK_EQ_INT(tool_configs_check_keys(&bad, err, sizeof(err)), -1);
    FR_CHECK_EQ_STR(err, "Invalid character found for config key: bad key");
    fr_props_free(&bad);
    fr_props_t del;
    fr_props_init(&del);
    FR_CHECK_EQ_INT(tool_configs_parse_delete(" a, b ,,c", &del), 0);
    FR_CHECK_EQ_INT(del.count, 3);
    FR_CHECK_EQ_STR(del.items[1].key, "b");
    fr_props_free(&del);
    fr_props_free(&p);
    FR_CHECK_EQ_STR(tool_config_source_name(3), "DYNAMIC_DEFAULT_BROKER_CONFIG");
    const char *m;
    FR_CHECK_EQ_STR(tool_java_exception(40, &m), "org.apache.kafka.common.errors.InvalidConfigurationException");
}

int main(void) {
    FR_RUN(topic_values_are_checked_with_kafkas_messages);
    FR_RUN(deprecated_message_format_keys_are_checked_as_kafka_checks_them);
    FR_RUN(dynamic_broker_only_keys_are_kafkas);
    FR_RUN(synonym_chains_follow_kafkas_order);
    FR_RUN(page_cache_retain_bytes_is_checked);
    FR_RUN(page_cache_lag_window_is_checked);
    FR_RUN(timestamp_bounds_resolve_as_kafkas_do);
    FR_RUN(fetch_max_bytes_is_kafkas);
    FR_RUN(group_max_size_is_kafkas);
    FR_RUN(internal_topic_settings_are_kafkas);
    FR_RUN(validate_compressed_records_is_a_boolean_defaulting_to_kafkas_checks);
    FR_RUN(incremental_ops_do_kafkas_list_arithmetic);
    FR_RUN(dynamic_broker_sets_are_validated);
    FR_RUN(props_store_round_trips);
    FR_RUN(add_config_syntax_is_kafkas);
    return fr_test_done();
}
