/*
 * IncrementalAlterConfigs (KIP-339): SET, DELETE, APPEND and SUBTRACT on
 * single configs of a topic or broker, the others left as they are.  Each
 * resource's operations apply, in order, to a copy of its current set; the
 * result is validated and applied as a whole (or not at all), like
 * AlterConfigs.  A resource naming one config twice is refused
 * (INVALID_REQUEST), as Kafka does.  The rules live in config_admin.h.
 */
#include <stdio.h>
#include <string.h>

#include "config_admin.h"
#include "handlers.h"

typedef fr_incremental_alter_configs_request_alter_configs_resource_t resource_t;
typedef fr_incremental_alter_configs_request_alterable_config_t op_t;
typedef fr_incremental_alter_configs_response_alter_configs_resource_response_t result_t;

static int has_duplicate_names(const resource_t *res) {
    for (int32_t i = 0; i < res->configs_count; i++)
        for (int32_t j = i + 1; j < res->configs_count; j++)
            if (res->configs[i].name.len == res->configs[j].name.len &&
                (res->configs[i].name.len <= 0 ||
                 memcmp(res->configs[i].name.ptr, res->configs[j].name.ptr, (size_t)res->configs[i].name.len) == 0))
                return 1;
    return 0;
}

static int16_t alter_one(fr_req_t *req, const resource_t *res, int validate_only, char *err, size_t errlen) {
    fr_config_target_t target;
    int rc = fr_config_target_find(req->srv, res->resource_type, res->resource_name, &target, err, errlen);
    if (rc)
        return (int16_t)rc;
    if (has_duplicate_names(res)) {
        snprintf(err, errlen, "Error due to duplicate config keys");
        return FR_ERR_INVALID_REQUEST;
    }
    fr_props_t set;
    fr_props_init(&set);
    for (size_t i = 0; i < target.current->count && !rc; i++)
        rc = fr_props_set(&set, target.current->items[i].key, target.current->items[i].value);
    for (int32_t i = 0; i < res->configs_count && !rc; i++) {
        const op_t *op = &res->configs[i];
        char *name = fr_config_cstr(req->arena, op->name);
        char *value = op->value.len < 0 ? NULL : fr_config_cstr(req->arena, op->value);
        if (!name || (op->value.len >= 0 && !value))
            rc = FR_ERR_NOMEM;
        else
            rc = fr_config_apply_op(&set, name, op->config_operation, value, err, errlen);
    }
    if (!rc)
        rc = fr_config_target_apply(req->srv, &target, &set, validate_only, err, errlen);
    fr_props_free(&set);
    return fr_err_to_kafka(rc);
}

int fr_handle_incremental_alter_configs(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_incremental_alter_configs_request_t in;
    if (fr_incremental_alter_configs_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_incremental_alter_configs_response_t out;
    fr_incremental_alter_configs_response_init(&out);
    out.responses = FR_REQ_ARRAY(req, result_t, in.resources_count);
    if (!out.responses)
        return FR_ERR_NOMEM;
    out.responses_count = in.resources_count > 0 ? in.resources_count : 0;
    for (int32_t i = 0; i < out.responses_count; i++) {
        const resource_t *res = &in.resources[i];
        result_t *r = &out.responses[i];
        char err[1024] = "";
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        r->error_code = alter_one(req, res, in.validate_only, err, sizeof(err));
        r->error_message = r->error_code ? fr_req_msg(req, err) : FR_SLICE_NULL;
    }
    fr_incremental_alter_configs_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
