/*
 * freshet configs — kafka-configs.sh for topics, brokers and broker loggers:
 * --describe [--all] and --alter (--add-config k=v,k2=[a,b] /
 * --add-config-file F / --delete-config k1,k2).
 *
 * Entities are named as Kafka's ConfigCommand names them: --entity-type
 * topics|brokers|broker-loggers with --entity-name N or (brokers)
 * --entity-default, or the shorthands --topic T, --broker N,
 * --broker-defaults, --broker-logger N.  Messages, checks and output follow
 * Kafka's tool:
 *   Dynamic configs for topic t are:
 *     retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}
 *   Completed updating config for topic t.
 * Argument errors print Kafka's message on stderr and exit 1; a request the
 * broker refuses prints "Error while executing config command with args
 * '...'" and the Java exception Kafka's admin client would raise (without its
 * stack trace), and exits 1.
 *
 * How an alter is sent: Kafka's tool uses IncrementalAlterConfigs, which
 * librdkafka 2.0.2 does not have.  Like Kafka's own tool before 2.3, this one
 * describes the entity's current dynamic configs, applies the additions and
 * deletions to them, and sends the complete set with AlterConfigs (which
 * replaces the whole set).  Deleting a config that is not set is refused as
 * Kafka 3.x refused it ("Invalid config(s): k").  A concurrent change by
 * another client between the describe and the alter can be lost, as it could
 * with those Kafka versions.
 *
 * The cluster-default broker resource (--entity-default, empty resource
 * name) and the broker loggers are out of librdkafka 2.0.2's reach; those
 * requests go over tool_configs_wire.h instead.  A broker logger's alter is
 * Kafka's: the loggers named must be ones the broker describes, then one
 * IncrementalAlterConfigs of SETs and DELETEs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fr_err.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_configs_parse.h"
#include "tool_configs_wire.h"

#define TIMEOUT_MS 30000
#define SUMMARY "This tool helps to manipulate and describe entity config for a topic, broker or broker-logger"

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to", "REQUIRED: The Kafka servers to connect to."},
    {"command-config", TOOL_ARG, "String: command config property file",
     "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server "
     "option for describing and altering broker configs."},
    {"alter", TOOL_FLAG, NULL, "Alter the configuration for the entity."},
    {"describe", TOOL_FLAG, NULL, "List configs for the given entity."},
    {"all", TOOL_FLAG, NULL, "List all configs for the given entity, including static configs if available."},
    {"entity-type", TOOL_LIST, "String", "Type of entity (topics/brokers/broker-loggers)"},
    {"entity-name", TOOL_LIST, "String", "Name of entity (topic name/broker id)"},
    {"entity-default", TOOL_FLAG, NULL, "Default entity name for brokers (applies to corresponding entity type)"},
    {"add-config", TOOL_ARG, "String",
     "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: "
     "'k1=v1,k2=[v1,v2,v2],k3=v3'. Topics take the topic configs (cleanup.policy, retention.ms, segment.bytes, "
     "max.message.bytes, flush.messages, ...); brokers take their log.* synonyms (log.cleanup.policy, "
     "log.retention.ms, log.segment.bytes, message.max.bytes, log.flush.interval.messages, ...)."},
    {"add-config-file", TOOL_ARG, "String",
     "Path to a properties file with configs to add. See add-config for a list of valid configurations."},
    {"delete-config", TOOL_LIST, "String", "config keys to remove 'k1,k2'"},
    {"topic", TOOL_ARG, "String", "The topic's name."},
    {"broker", TOOL_ARG, "String", "The broker's ID."},
    {"broker-defaults", TOOL_FLAG, NULL, "The config defaults for all brokers."},
    {"broker-logger", TOOL_ARG, "String", "The broker's ID for its logger config."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

typedef struct ctx {
    int argc;
    char **argv;
    const tool_args_t *args;
    const char *type;      /* "topics", "brokers" or "broker-loggers" */
    rd_kafka_t *rk;        /* librdkafka admin client (created on first use) */
    rd_kafka_queue_t *queue;
    fr_props_t *client_props;
} ctx_t;

/* ---- errors ---- */

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, SUMMARY, opts, NOPTS);
    return 1;
}

/* Kafka's IllegalArgumentException / InvalidConfigurationException path: the message alone. */
static int arg_error(const char *msg) {
    fprintf(stderr, "%s\n", msg);
    return 1;
}

/* Kafka's path for a failed request: the command line, then the exception. */
static int exec_error(const ctx_t *c, const char *exception, const char *msg) {
    fprintf(stderr, "Error while executing config command with args '");
    for (int i = 1; i < c->argc; i++)
        fprintf(stderr, "%s%s", i > 1 ? " " : "", c->argv[i]);
    fprintf(stderr, "'\njava.util.concurrent.ExecutionException: %s: %s\n", exception, msg);
    return 1;
}

/* A broker error code (>= -1) or a librdkafka local error, with the broker's message if any. */
static int request_error(const ctx_t *c, int code, const char *msg, const char *api) {
    char buf[512];
    if (code < -1) { /* librdkafka's own errors */
        if (code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
            code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
            snprintf(buf, sizeof(buf), "Timed out waiting for a node assignment. Call: %s", api);
            return exec_error(c, "org.apache.kafka.common.errors.TimeoutException", buf);
        }
        return exec_error(c, "org.apache.kafka.common.KafkaException",
                          msg && *msg ? msg : rd_kafka_err2str((rd_kafka_resp_err_t)code));
    }
    const char *dflt;
    const char *exception = tool_java_exception((int16_t)code, &dflt);
    return exec_error(c, exception, msg && *msg ? msg : dflt);
}

/* ---- entries ---- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const tool_cfg_entry_t *)a)->name, ((const tool_cfg_entry_t *)b)->name);
}

/* ---- librdkafka backend (topics and broker ids) ---- */

static int ensure_client(ctx_t *c, char *err, size_t errlen) {
    if (c->rk)
        return 0;
    rd_kafka_conf_t *conf = tool_conf_new(c->client_props, err, errlen);
    if (!conf)
        return -1;
    c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    c->queue = rd_kafka_queue_new(c->rk);
    return 0;
}

static rd_kafka_AdminOptions_t *admin_options(ctx_t *c, rd_kafka_admin_op_t op) {
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, TIMEOUT_MS, errstr, sizeof(errstr));
    return o;
}

/* Waits for one admin result; returns it or NULL with *code and *msg set (msg points into a static buffer). */
static rd_kafka_event_t *admin_wait(ctx_t *c, rd_kafka_event_type_t type, int *code, const char **msg) {
    static char buf[512];
    rd_kafka_event_t *ev = rd_kafka_queue_poll(c->queue, TIMEOUT_MS + 5000);
    if (!ev) {
        *code = RD_KAFKA_RESP_ERR__TIMED_OUT;
        *msg = NULL;
        return NULL;
    }
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err || rd_kafka_event_type(ev) != type) {
        *code = err ? err : RD_KAFKA_RESP_ERR__FAIL;
        snprintf(buf, sizeof(buf), "%s", err ? rd_kafka_event_error_string(ev) : "unexpected admin result");
        *msg = buf;
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static int describe_rk(ctx_t *c, rd_kafka_ResourceType_t type, const char *name, tool_cfg_list_t *out, int *code,
                       char *msg, size_t msglen) {
    char err[512];
    if (ensure_client(c, err, sizeof(err))) {
        *code = RD_KAFKA_RESP_ERR__FAIL;
        snprintf(msg, msglen, "%s", err);
        return -1;
    }
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(type, name);
    if (!res) {
        /* librdkafka will not name an entity "": the broker's answer to it (Kafka's Topic.validate) */
        *code = RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION;
        snprintf(msg, msglen, "Topic name is illegal, it can't be empty");
        return -1;
    }
    rd_kafka_AdminOptions_t *o = admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(c->rk, &res, 1, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    const char *m;
    rd_kafka_event_t *ev = admin_wait(c, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, code, &m);
    if (!ev) {
        snprintf(msg, msglen, "%s", m ? m : "");
        return -1;
    }
    size_t n;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    int rc = 0;
    if (n != 1 || rd_kafka_ConfigResource_error(rs[0])) {
        *code = n == 1 ? (int)rd_kafka_ConfigResource_error(rs[0]) : RD_KAFKA_RESP_ERR__FAIL;
        const char *es = n == 1 ? rd_kafka_ConfigResource_error_string(rs[0]) : "no result";
        snprintf(msg, msglen, "%s", es ? es : "");
        rc = -1;
    } else {
        size_t ne;
        const rd_kafka_ConfigEntry_t **es = rd_kafka_ConfigResource_configs(rs[0], &ne);
        out->items = calloc(ne ? ne : 1, sizeof(*out->items));
        for (size_t i = 0; out->items && i < ne; i++) {
            tool_cfg_entry_t *e = &out->items[out->count++];
            e->name = strdup(rd_kafka_ConfigEntry_name(es[i]));
            e->value = dup_or_null(rd_kafka_ConfigEntry_value(es[i]));
            e->source = rd_kafka_ConfigEntry_source(es[i]);
            e->sensitive = rd_kafka_ConfigEntry_is_sensitive(es[i]);
            size_t ns;
            const rd_kafka_ConfigEntry_t **ss = rd_kafka_ConfigEntry_synonyms(es[i], &ns);
            e->synonyms = calloc(ns ? ns : 1, sizeof(*e->synonyms));
            for (size_t j = 0; e->synonyms && j < ns; j++) {
                e->synonyms[e->nsynonyms++] = (tool_cfg_synonym_t){strdup(rd_kafka_ConfigEntry_name(ss[j])),
                                                              dup_or_null(rd_kafka_ConfigEntry_value(ss[j])),
                                                              rd_kafka_ConfigEntry_source(ss[j])};
            }
        }
        if (!out->items) {
            *code = RD_KAFKA_RESP_ERR__FAIL;
            snprintf(msg, msglen, "out of memory");
            rc = -1;
        }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

static int alter_rk(ctx_t *c, rd_kafka_ResourceType_t type, const char *name, const fr_props_t *set, int *code,
                    char *msg, size_t msglen) {
    char err[512];
    if (ensure_client(c, err, sizeof(err))) {
        *code = RD_KAFKA_RESP_ERR__FAIL;
        snprintf(msg, msglen, "%s", err);
        return -1;
    }
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(type, name);
    for (size_t i = 0; i < set->count; i++)
        rd_kafka_ConfigResource_set_config(res, set->items[i].key, set->items[i].value);
    rd_kafka_AdminOptions_t *o = admin_options(c, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    rd_kafka_AlterConfigs(c->rk, &res, 1, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    const char *m;
    rd_kafka_event_t *ev = admin_wait(c, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, code, &m);
    if (!ev) {
        snprintf(msg, msglen, "%s", m ? m : "");
        return -1;
    }
    size_t n;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    int rc = 0;
    if (n != 1 || rd_kafka_ConfigResource_error(rs[0])) {
        *code = n == 1 ? (int)rd_kafka_ConfigResource_error(rs[0]) : RD_KAFKA_RESP_ERR__FAIL;
        const char *es = n == 1 ? rd_kafka_ConfigResource_error_string(rs[0]) : "no result";
        snprintf(msg, msglen, "%s", es ? es : "");
        rc = -1;
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* ---- one entity ---- */

static bool is_topics(const ctx_t *c) { return strcmp(c->type, "topics") == 0; }
static bool is_loggers(const ctx_t *c) { return strcmp(c->type, "broker-loggers") == 0; }

/* The entity as Kafka's messages name it: its type without the plural's s. */
static const char *entity_word(const ctx_t *c) {
    return is_topics(c) ? "topic" : is_loggers(c) ? "broker-logger" : "broker";
}

/* DescribeConfigs of one entity ("" = the cluster-default broker), sorted by name. */
static int describe_entity(ctx_t *c, const char *name, tool_cfg_list_t *out, int *code, char *msg, size_t msglen) {
    const char *bootstrap = tool_args_value(c->args, "bootstrap-server");
    int rc;
    if (is_topics(c))
        rc = describe_rk(c, RD_KAFKA_RESOURCE_TOPIC, name, out, code, msg, msglen);
    else if (is_loggers(c))
        rc = tool_configs_wire_describe(bootstrap, TIMEOUT_MS, TOOL_RESOURCE_BROKER_LOGGER, name, out, code, msg,
                                        msglen);
    else if (*name)
        rc = describe_rk(c, RD_KAFKA_RESOURCE_BROKER, name, out, code, msg, msglen);
    else
        rc = tool_configs_wire_describe(bootstrap, TIMEOUT_MS, TOOL_RESOURCE_BROKER, "", out, code, msg, msglen);
    if (rc == 0)
        qsort(out->items, out->count, sizeof(*out->items), cmp_entry);
    return rc;
}

/* The source an entry must have to be the entity's own dynamic config; -1: any (a logger's level). */
static int dynamic_source(const ctx_t *c, const char *name) {
    if (is_loggers(c))
        return -1;
    if (is_topics(c))
        return RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG;
    return *name ? RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG : RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG;
}

/* ---- --describe ---- */

static int print_entity(ctx_t *c, const char *name, bool all) {
    if (!*name)
        printf("Default configs for %s in the cluster are:\n", c->type);
    else
        printf("%s configs for %s %s are:\n", all ? "All" : "Dynamic", entity_word(c), name);
    tool_cfg_list_t l = {0};
    int code;
    char msg[1024] = "";
    if (describe_entity(c, name, &l, &code, msg, sizeof(msg))) {
        fflush(stdout);
        return request_error(c, code, msg, "describeConfigs");
    }
    int want = dynamic_source(c, name);
    for (size_t i = 0; i < l.count; i++) {
        const tool_cfg_entry_t *e = &l.items[i];
        if (!all && want >= 0 && e->source != want)
            continue;
        printf("  %s=%s sensitive=%s synonyms={", e->name, e->value ? e->value : "null",
               e->sensitive ? "true" : "false");
        for (size_t j = 0; j < e->nsynonyms; j++)
            printf("%s%s:%s=%s", j ? ", " : "", tool_config_source_name(e->synonyms[j].source), e->synonyms[j].name,
                   e->synonyms[j].value ? e->synonyms[j].value : "null");
        printf("}\n");
    }
    tool_cfg_list_free(&l);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int do_describe(ctx_t *c, const char *name) {
    bool all = tool_args_has(c->args, "all");
    char err[512];
    if (ensure_client(c, err, sizeof(err)))
        return exec_error(c, "org.apache.kafka.common.KafkaException", err);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t merr = rd_kafka_metadata(c->rk, 1, NULL, &md, TIMEOUT_MS);
    if (merr)
        return request_error(c, merr, NULL, is_topics(c) ? "listTopics" : "describeCluster");
    /* the entities: the one named, else every topic, or every broker and the default */
    size_t n = 0, cap = (size_t)(md->topic_cnt + md->broker_cnt) + 2;
    char **names = calloc(cap, sizeof(*names));
    int rc = 0;
    if (!names) {
        rd_kafka_metadata_destroy(md);
        return arg_error("out of memory");
    }
    if (name) {
        /* a missing entity is the describe's error, as Kafka's ConfigCommand reports it */
        names[n++] = strdup(name);
    } else if (is_topics(c)) {
        for (int i = 0; i < md->topic_cnt; i++)
            if (md->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                names[n++] = strdup(md->topics[i].topic);
        qsort(names, n, sizeof(*names), cmp_str);
    } else {
        int32_t *ids = calloc((size_t)md->broker_cnt + 1, sizeof(*ids));
        for (int i = 0; ids && i < md->broker_cnt; i++)
            ids[i] = md->brokers[i].id;
        for (int i = 0; ids && i < md->broker_cnt; i++) {
            char id[16];
            snprintf(id, sizeof(id), "%d", ids[i]);
            names[n++] = strdup(id);
        }
        free(ids);
        names[n++] = strdup("");
    }
    rd_kafka_metadata_destroy(md);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = print_entity(c, names[i], all);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- --alter ---- */

/* Kafka's ConfigCommand for broker loggers: every logger named must be one
 * the broker described; then SETs and DELETEs in one IncrementalAlterConfigs. */
static int alter_loggers(ctx_t *c, const char *name, const tool_cfg_list_t *loggers, const fr_props_t *add,
                         const fr_props_t *del) {
    char err[1024], msg[1024] = "";
    size_t o = (size_t)snprintf(err, sizeof(err), "Invalid broker logger(s): ");
    int invalid = 0;
    const fr_props_t *named[] = {del, add}; /* Kafka lists the deletions first */
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < named[k]->count; i++) {
            bool known = false;
            for (size_t j = 0; j < loggers->count && !known; j++)
                known = strcmp(loggers->items[j].name, named[k]->items[i].key) == 0;
            if (!known && o < sizeof(err))
                o += (size_t)snprintf(err + o, sizeof(err) - o, "%s%s", invalid++ ? "," : "", named[k]->items[i].key);
        }
    if (invalid)
        return arg_error(err);
    int code;
    if (tool_configs_wire_incremental(tool_args_value(c->args, "bootstrap-server"), TIMEOUT_MS,
                                      TOOL_RESOURCE_BROKER_LOGGER, name, add, del, &code, msg, sizeof(msg)))
        return request_error(c, code, msg, "incrementalAlterConfigs");
    printf("Completed updating config for broker-logger %s.\n", name);
    return 0;
}

static int do_alter(ctx_t *c, const char *name) {
    fr_props_t add, del, set;
    fr_props_init(&add);
    fr_props_init(&del);
    fr_props_init(&set);
    tool_cfg_list_t old = {0};
    char err[1024], msg[1024] = "";
    int rc = 1, code;
    const char *file = tool_args_value(c->args, "add-config-file");
    const char *inline_cfg = tool_args_value(c->args, "add-config");
    if (file && tool_props_load_file(&add, file, err, sizeof(err))) {
        arg_error(err);
        goto out;
    }
    if (inline_cfg && tool_configs_parse_add(inline_cfg, &add, err, sizeof(err))) {
        arg_error(err);
        goto out;
    }
    if (!is_loggers(c) && tool_configs_check_keys(&add, err, sizeof(err))) {
        arg_error(err);
        goto out;
    }
    for (size_t i = 0; i < tool_args_count(c->args, "delete-config"); i++)
        if (tool_configs_parse_delete(tool_args_value_at(c->args, "delete-config", i), &del)) {
            arg_error("out of memory");
            goto out;
        }

    /* the entity's dynamic configs now */
    if (describe_entity(c, name, &old, &code, msg, sizeof(msg))) {
        rc = request_error(c, code, msg, "describeConfigs");
        goto out;
    }
    if (is_loggers(c)) {
        rc = alter_loggers(c, name, &old, &add, &del);
        goto out;
    }
    int want = dynamic_source(c, name);
    for (size_t i = 0; i < old.count; i++)
        if (old.items[i].source == want)
            fr_props_set(&set, old.items[i].name, old.items[i].value ? old.items[i].value : "");
    /* Kafka 3.x: deleting a config that is not set is an error */
    size_t o = (size_t)snprintf(err, sizeof(err), "Invalid config(s): ");
    int missing = 0;
    for (size_t i = 0; i < del.count; i++) {
        if (fr_props_get(&set, del.items[i].key))
            continue;
        if (o < sizeof(err))
            o += (size_t)snprintf(err + o, sizeof(err) - o, "%s%s", missing ? "," : "", del.items[i].key);
        missing++;
    }
    /* sensitive values are not described back: they would be lost */
    size_t so = 0;
    char sens[512] = "";
    for (size_t i = 0; i < old.count; i++)
        if (old.items[i].source == want && !old.items[i].value && !fr_props_get(&add, old.items[i].name) &&
            !fr_props_get(&del, old.items[i].name) && so < sizeof(sens))
            so += (size_t)snprintf(sens + so, sizeof(sens) - so, "%s%s", so ? ", " : "", old.items[i].name);
    tool_cfg_list_free(&old);
    if (missing) {
        arg_error(err);
        goto out;
    }
    if (sens[0]) {
        snprintf(err, sizeof(err),
                 "All sensitive broker config entries must be specified for --alter, missing entries: Set(%s)", sens);
        arg_error(err);
        goto out;
    }
    for (size_t i = 0; i < del.count; i++)
        fr_props_unset(&set, del.items[i].key);
    if (tool_props_merge(&set, &add)) {
        arg_error("out of memory");
        goto out;
    }

    int arc;
    if (is_topics(c))
        arc = alter_rk(c, RD_KAFKA_RESOURCE_TOPIC, name, &set, &code, msg, sizeof(msg));
    else if (*name)
        arc = alter_rk(c, RD_KAFKA_RESOURCE_BROKER, name, &set, &code, msg, sizeof(msg));
    else
        arc = tool_configs_wire_alter(tool_args_value(c->args, "bootstrap-server"), TIMEOUT_MS, TOOL_RESOURCE_BROKER,
                                      "", &set, &code, msg, sizeof(msg));
    if (arc) {
        rc = request_error(c, code, msg, "incrementalAlterConfigs");
        goto out;
    }
    if (*name)
        printf("Completed updating config for %s %s.\n", entity_word(c), name);
    else
        printf("Completed updating default config for %s in the cluster.\n", c->type);
    rc = 0;
out:
    tool_cfg_list_free(&old);
    fr_props_free(&add);
    fr_props_free(&del);
    fr_props_free(&set);
    return rc;
}

/* ---- arguments (Kafka's ConfigCommandOptions.checkArgs) ---- */

/*
 * The entity type and name from --entity-type/--entity-name/--entity-default
 * or the shorthand flags.  *name is NULL when no name was given, "" for the
 * default entity.  Returns 0, or 1 after printing Kafka's message.
 */
static int resolve_entity(const tool_args_t *a, const char **type, const char **name) {
    const char *types[8], *names[8];
    size_t nt = 0, nn = 0;
    for (size_t i = 0; i < tool_args_count(a, "entity-type") && nt < 6; i++)
        types[nt++] = tool_args_value_at(a, "entity-type", i);
    /* --entity-name and --entity-default in command-line order */
    for (size_t i = 0; i < a->nseen && nn < 6; i++) {
        const char *opt = a->opts[a->seen[i].opt].name;
        if (strcmp(opt, "entity-name") == 0)
            names[nn++] = a->seen[i].value;
        else if (strcmp(opt, "entity-default") == 0)
            names[nn++] = "";
    }
    bool flags = false;
    if (tool_args_has(a, "topic") && nt < 7) {
        types[nt++] = "topics";
        names[nn++] = tool_args_value(a, "topic");
        flags = true;
    }
    if (tool_args_has(a, "broker") && nt < 7) {
        types[nt++] = "brokers";
        names[nn++] = tool_args_value(a, "broker");
        flags = true;
    }
    if (tool_args_has(a, "broker-defaults") && nt < 7) {
        types[nt++] = "brokers";
        names[nn++] = "";
        flags = true;
    }
    if (tool_args_has(a, "broker-logger") && nt < 7) {
        types[nt++] = "broker-loggers";
        names[nn++] = tool_args_value(a, "broker-logger");
        flags = true;
    }
    char msg[512];
    for (size_t i = 0; i < nt; i++)
        for (size_t j = i + 1; j < nt; j++)
            if (strcmp(types[i], types[j]) == 0) {
                snprintf(msg, sizeof(msg), "Duplicate entity type(s) specified: %s", types[i]);
                return arg_error(msg);
            }
    if (!tool_args_has(a, "bootstrap-server"))
        return arg_error("Either --bootstrap-server or --bootstrap-controller must be specified.");
    for (size_t i = 0; i < nt; i++)
        if (strcmp(types[i], "topics") && strcmp(types[i], "brokers") && strcmp(types[i], "broker-loggers")) {
            snprintf(msg, sizeof(msg),
                     "Invalid entity type %s, the entity type must be one of topics, brokers, broker-loggers with a "
                     "--bootstrap-server argument",
                     types[i]);
            return arg_error(msg);
        }
    if (nt == 0)
        return arg_error("At least one entity type must be specified");
    if (nt > 1)
        return arg_error("Only 'users' and 'clients' entity types may be specified together");
    if (flags && (tool_args_has(a, "entity-name") || tool_args_has(a, "entity-type") ||
                  tool_args_has(a, "entity-default")))
        return arg_error("--entity-{type,name,default} should not be used in conjunction with specific entity flags");
    bool has_name = false, has_default = false;
    for (size_t i = 0; i < nn; i++) {
        has_name |= names[i][0] != '\0';
        has_default |= names[i][0] == '\0';
    }
    bool brokers = strcmp(types[0], "brokers") == 0;
    if (has_name && (brokers || strcmp(types[0], "broker-loggers") == 0)) {
        for (size_t i = 0; i < nn; i++) {
            int64_t id;
            if (names[i][0] && tool_parse_i64(names[i], INT32_MIN, INT32_MAX, &id)) {
                snprintf(msg, sizeof(msg), "The entity name for %s must be a valid integer broker id, but it is: %s",
                         types[0], names[i]);
                return arg_error(msg);
            }
        }
    }
    bool alter = tool_args_has(a, "alter");
    if (!alter && !brokers && tool_args_has(a, "entity-default")) {
        snprintf(msg, sizeof(msg), "--entity-default must not be specified with --describe of %s", types[0]);
        return arg_error(msg);
    }
    if (!alter && strcmp(types[0], "broker-loggers") == 0 && !has_name)
        return arg_error("An entity name must be specified with --describe of broker-loggers");
    if (alter) {
        if (brokers && !has_name && !has_default)
            return arg_error("An entity-name or default entity must be specified with --alter of users, clients, "
                             "brokers or ips");
        if (!brokers && !has_name) {
            snprintf(msg, sizeof(msg), "An entity name must be specified with --alter of %s", types[0]);
            return arg_error(msg);
        }
        bool add = tool_args_has(a, "add-config"), file = tool_args_has(a, "add-config-file");
        if (add && file)
            return arg_error("Only one of --add-config or --add-config-file must be specified");
        if (!add && !file && !tool_args_has(a, "delete-config"))
            return arg_error(
                "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter");
        if (nn != nt)
            return arg_error("An entity name must be specified for every entity type");
    }
    *type = types[0];
    *name = nn ? names[0] : NULL;
    return 0;
}

static int check_actions(const tool_args_t *a) {
    bool alter = tool_args_has(a, "alter"), describe = tool_args_has(a, "describe");
    if (alter == describe)
        return usage_error("Command must include exactly one action: --describe, --alter");
    const char *with_describe[] = {"alter", "add-config", "delete-config"};
    for (size_t i = 0; describe && i < 3; i++) {
        if (tool_args_has(a, with_describe[i])) {
            char msg[128];
            snprintf(msg, sizeof(msg), "Option \"[describe]\" can't be used with option \"[%s]\"", with_describe[i]);
            return usage_error(msg);
        }
    }
    return 0;
}

int fr_cmd_configs(int argc, char **argv) {
    tool_logging_init();
    tool_args_t a;
    char err[1024];
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (argc < 2 || tool_args_has(&a, "help")) {
        tool_usage(argc < 2 ? stderr : stdout, SUMMARY, opts, NOPTS);
        tool_args_free(&a);
        return argc < 2 ? 1 : 0;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;
    const char *type = NULL, *name = NULL;
    int rc = check_actions(&a);
    if (rc == 0)
        rc = resolve_entity(&a, &type, &name);
    if (rc) {
        tool_args_free(&a);
        return rc;
    }

    fr_props_t props;
    fr_props_init(&props);
    ctx_t c = {.argc = argc, .argv = argv, .args = &a, .type = type, .client_props = &props};
    const char *file = tool_args_value(&a, "command-config");
    if (file && tool_props_load_file(&props, file, err, sizeof(err)) != 0) {
        rc = arg_error(err);
    } else if (tool_props_default(&props, "client.id", "freshet-configs") != 0 ||
               fr_props_set(&props, "bootstrap.servers", tool_args_value(&a, "bootstrap-server")) != 0) {
        rc = arg_error("out of memory");
    } else if (tool_args_has(&a, "alter")) {
        rc = do_alter(&c, name);
    } else {
        rc = do_describe(&c, name);
    }
    fflush(stdout);
    if (c.queue)
        rd_kafka_queue_destroy(c.queue);
    if (c.rk)
        rd_kafka_destroy(c.rk);
    fr_props_free(&props);
    tool_args_free(&a);
    return rc;
}
