/*
 * AlterConfigs: replaces the whole set of dynamic configs of each resource
 * with the configs given (entries with a null value are left out), as Kafka
 * does: for a topic its overrides, for a broker its dynamic configs (this
 * broker's with resource name "<broker.id>", the cluster default with "").
 * Resources are independent; validate_only checks without changing anything.
 * The rules live in config_admin.h.
 */
#include <stdio.h>

#include "config_admin.h"
#include "handlers.h"

typedef fr_alter_configs_request_alter_configs_resource_t resource_t;
typedef fr_alter_configs_response_alter_configs_resource_response_t result_t;

/* Builds the resource's new set and applies it; returns a Kafka error code with err. */
static int16_t alter_one(fr_req_t *req, const resource_t *res, int validate_only, char *err, size_t errlen) {
    fr_config_target_t target;
    int rc = fr_config_target_find(req->srv, res->resource_type, res->resource_name, &target, err, errlen);
    if (rc)
        return (int16_t)rc;
    fr_props_t set;
    fr_props_init(&set);
    for (int32_t i = 0; i < res->configs_count && !rc; i++) {
        const fr_alter_configs_request_alterable_config_t *c = &res->configs[i];
        if (c->value.len < 0)
            continue;
        char *name = fr_config_cstr(req->arena, c->name), *value = fr_config_cstr(req->arena, c->value);
        rc = name && value ? fr_props_set(&set, name, value) : FR_ERR_NOMEM;
    }
    if (!rc)
        rc = fr_config_target_apply(req->srv, &target, &set, validate_only, err, errlen);
    fr_props_free(&set);
    return fr_err_to_kafka(rc);
}

int fr_handle_alter_configs(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_alter_configs_request_t in;
    if (fr_alter_configs_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_alter_configs_response_t out;
    fr_alter_configs_response_init(&out);
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
    fr_alter_configs_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
