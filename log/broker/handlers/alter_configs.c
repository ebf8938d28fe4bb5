/*
 * AlterConfigs: replaces the whole set of dynamic configs of each resource
 * with the configs given, as Kafka does: for a topic its overrides, for a
 * broker its dynamic configs (this broker's with resource name
 * "<broker.id>", the cluster default with "").  Resources are independent;
 * validate_only checks without changing anything.  A resource named twice,
 * a key given twice and a null value are INVALID_REQUEST, as in Kafka
 * (fr_req_alter_config); the rules live in config_admin.h.
 */
#include <stddef.h>
#include <stdio.h>

#include "config_admin.h"
#include "handlers.h"

typedef fr_alter_configs_request_alter_configs_resource_t resource_t;
typedef fr_alter_configs_response_alter_configs_resource_response_t result_t;

/* The resource's entries as changes (all SETs), altered as Kafka does. */
static int16_t alter_one(fr_req_t *req, const resource_t *res, int validate_only, char *err, size_t errlen) {
    fr_config_change_t *changes = FR_REQ_ARRAY(req, fr_config_change_t, res->configs_count);
    if (!changes)
        return fr_err_to_kafka(FR_ERR_NOMEM);
    for (int32_t i = 0; i < res->configs_count; i++)
        changes[i] = (fr_config_change_t){res->configs[i].name, res->configs[i].value, FR_CONFIG_OP_SET};
    return fr_req_alter_config(req, res->resource_type, res->resource_name, changes, res->configs_count, 1,
                               validate_only, err, errlen);
}

int fr_handle_alter_configs(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_alter_configs_request_t in;
    if (fr_alter_configs_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_alter_configs_response_t out;
    fr_alter_configs_response_init(&out);
    out.responses = FR_REQ_ARRAY(req, result_t, in.resources_count);
    uint8_t *repeated = fr_req_mark_duplicate_resources(req, in.resources, in.resources_count, sizeof(resource_t),
                                                        offsetof(resource_t, resource_type),
                                                        offsetof(resource_t, resource_name));
    if (!out.responses || !repeated)
        return FR_ERR_NOMEM;
    out.responses_count = in.resources_count > 0 ? in.resources_count : 0;
    for (int32_t i = 0; i < out.responses_count; i++) {
        const resource_t *res = &in.resources[i];
        result_t *r = &out.responses[i];
        char err[1024] = "";
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        if (repeated[i] != FR_NAME_UNIQUE) { /* Kafka refuses every entry of a repeated resource */
            r->error_code = FR_ERR_INVALID_REQUEST;
            snprintf(err, sizeof(err), "Each resource must appear at most once.");
        } else {
            r->error_code = alter_one(req, res, in.validate_only, err, sizeof(err));
        }
        r->error_message = r->error_code ? fr_req_msg(req, err) : FR_SLICE_NULL;
    }
    fr_alter_configs_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
