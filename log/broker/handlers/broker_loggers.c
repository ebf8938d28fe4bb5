/*
 * The BROKER_LOGGER config resource (KIP-412), named by the broker's id:
 * its loggers and their levels, described by DescribeConfigs and changed by
 * IncrementalAlterConfigs (SET a level; DELETE, which in Kafka takes a
 * logger's own level away, is refused for root), with Kafka's checks and
 * messages (ConfigHelper, RuntimeLoggerManager).
 *
 * Freshet has one process-wide level, so it has one logger, log4j's "root":
 * Kafka lists every log4j logger it has, and a logger it does not know is
 * INVALID_CONFIG, as here for any name but root.  The root logger's level
 * cannot be deleted, in Kafka as here.  A level set at runtime lasts until
 * the broker stops, as in Kafka.
 */
#include <stdio.h>
#include <string.h>

#include "broker_config.h"
#include "config_admin.h"
#include "fr_logging.h"
#include "handlers.h"
#include "topic_config.h"

#define COMPONENT "config"
#define ROOT_LOGGER "root"
/* log4j's levels as Kafka lists them in its message (sorted) */
#define VALID_LEVELS "DEBUG, ERROR, FATAL, INFO, TRACE, WARN"

/* Whether name is "<broker.id>" of this broker: 0, or INVALID_REQUEST with
 * Kafka's message, which describe (ConfigHelper) words for a broker id and
 * alter (RuntimeLoggerManager) for a node id. */
static int16_t check_id(fr_req_t *req, fr_slice_t name, int describe, char *err, size_t errlen) {
    int n = name.len > 0 ? (int)name.len : 0;
    const char *s = name.len > 0 ? (const char *)name.ptr : "";
    int32_t id;
    if (n == 0 && describe)
        snprintf(err, errlen, "Broker id must not be empty");
    else if (fr_config_parse_node_id(name, &id))
        snprintf(err, errlen, "%s id must be an integer, but it is: %.*s", describe ? "Broker" : "Node", n, s);
    else if (id == req->srv->cfg->broker_id)
        return 0;
    else if (describe)
        snprintf(err, errlen, "Unexpected broker id, expected %d but received %.*s", req->srv->cfg->broker_id, n, s);
    else
        snprintf(err, errlen, "Unexpected node id. Expected %d, but received %.*s", req->srv->cfg->broker_id, n, s);
    return FR_ERR_INVALID_REQUEST;
}

int16_t fr_req_describe_loggers(fr_req_t *req, fr_slice_t name, const fr_slice_t *keys, int32_t nkeys,
                                fr_describe_configs_response_describe_configs_result_t *r) {
    char err[256];
    int16_t code = check_id(req, name, 1, err, sizeof(err));
    if (code) {
        r->error_message = fr_req_msg(req, err);
        return code;
    }
    int wanted = nkeys <= 0;
    for (int32_t i = 0; i < nkeys; i++)
        wanted |= fr_slice_eq_cstr(keys[i], ROOT_LOGGER);
    if (!wanted)
        return FR_ERR_NONE;
    fr_describe_configs_response_describe_configs_resource_result_t *e =
        FR_REQ_ARRAY(req, fr_describe_configs_response_describe_configs_resource_result_t, 1);
    if (!e)
        return fr_err_to_kafka(FR_ERR_NOMEM);
    e->name = fr_slice_from_cstr(ROOT_LOGGER);
    e->value = fr_slice_from_cstr(fr_logging_level_name(fr_logging_level()));
    e->config_source = FR_CFG_SRC_DYNAMIC_BROKER_LOGGER;
    e->documentation = FR_SLICE_NULL;
    r->configs = e;
    r->configs_count = 1;
    return FR_ERR_NONE;
}

/* One operation checked as RuntimeLoggerManager.validateLogLevelConfigs does. */
static int16_t check_change(const fr_config_change_t *c, char *err, size_t errlen) {
    static const char *const op_names[] = {"SET", "DELETE", "APPEND", "SUBTRACT"};
    int n = c->name.len > 0 ? (int)c->name.len : 0;
    const char *s = c->name.len > 0 ? (const char *)c->name.ptr : "";
    if (c->op == FR_CONFIG_OP_APPEND || c->op == FR_CONFIG_OP_SUBTRACT) {
        snprintf(err, errlen, "%s operation is not allowed for the BROKER_LOGGER resource", op_names[c->op]);
        return FR_ERR_INVALID_REQUEST;
    }
    if (c->op != FR_CONFIG_OP_SET && c->op != FR_CONFIG_OP_DELETE) {
        snprintf(err, errlen, "Unknown operation type %d is not allowed for the BROKER_LOGGER resource", c->op);
        return FR_ERR_INVALID_REQUEST;
    }
    if (!fr_slice_eq_cstr(c->name, ROOT_LOGGER)) {
        snprintf(err, errlen, "Logger %.*s does not exist!", n, s);
        return FR_ERR_INVALID_CONFIG;
    }
    if (c->op == FR_CONFIG_OP_DELETE) {
        snprintf(err, errlen, "Removing the log level of the " ROOT_LOGGER " logger is not allowed");
        return FR_ERR_INVALID_REQUEST;
    }
    char level[16] = "";
    int vn = c->value.len > 0 ? (int)c->value.len : 0;
    if (vn < (int)sizeof(level))
        memcpy(level, c->value.ptr, (size_t)vn);
    /* Kafka compares with its upper-case names */
    int lvl = vn < (int)sizeof(level) ? fr_logging_parse_level(level) : -1;
    if (lvl < 0 || strcmp(level, fr_logging_level_name((fr_log_level_t)lvl)) != 0) {
        snprintf(err, errlen,
                 "Cannot set the log level of %.*s to %.*s as it is not a supported log level. Valid log levels are "
                 VALID_LEVELS, n, s, vn, vn ? (const char *)c->value.ptr : "");
        return FR_ERR_INVALID_CONFIG;
    }
    return 0;
}

int16_t fr_req_alter_loggers(fr_req_t *req, fr_slice_t name, const fr_config_change_t *changes, int32_t n,
                             int validate_only, char *err, size_t errlen) {
    int16_t code = check_id(req, name, 0, err, errlen);
    for (int32_t i = 0; i < n && !code; i++)
        code = check_change(&changes[i], err, errlen);
    if (code || validate_only)
        return code;
    for (int32_t i = 0; i < n; i++) {
        char level[16];
        snprintf(level, sizeof(level), "%.*s", (int)changes[i].value.len, (const char *)changes[i].value.ptr);
        fr_logging_set_level((fr_log_level_t)fr_logging_parse_level(level));
        fr_warn(COMPONENT, "Updated the log level of " ROOT_LOGGER " to %s", level);
    }
    return 0;
}
