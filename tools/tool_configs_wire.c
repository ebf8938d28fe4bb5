#include "tool_configs_wire.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"
#include "fr_messages.h"
#include "tool_wire.h"

void tool_cfg_list_free(tool_cfg_list_t *l) {
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
        for (size_t j = 0; j < l->items[i].nsynonyms; j++) {
            free(l->items[i].synonyms[j].name);
            free(l->items[i].synonyms[j].value);
        }
        free(l->items[i].synonyms);
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static char *dup_slice(fr_slice_t s) { return s.len < 0 ? NULL : strndup(s.len ? (const char *)s.ptr : "", (size_t)s.len); }

/* A connection, an arena and the version of api_key to send (at least min_version). */
typedef struct call {
    tool_wire_t w;
    fr_arena_t arena;
    int16_t version;
} call_t;

static int call_open(call_t *c, const char *bootstrap, int timeout_ms, int16_t api_key, int16_t min_version,
                     const char *api, int *code, char *msg, size_t msglen) {
    if (tool_wire_connect(&c->w, bootstrap, timeout_ms, msg, msglen)) {
        *code = RD_KAFKA_RESP_ERR__TRANSPORT;
        return -1;
    }
    fr_arena_init(&c->arena, 8192);
    if ((c->version = tool_wire_version(&c->w, api_key, min_version)) < 0) {
        *code = FR_ERR_UNSUPPORTED_VERSION;
        snprintf(msg, msglen, "The broker does not support %s", api);
        fr_arena_free(&c->arena);
        tool_wire_close(&c->w);
        return -1;
    }
    return 0;
}

static void call_close(call_t *c) {
    fr_arena_free(&c->arena);
    tool_wire_close(&c->w);
}

/* The one result's error, if any, as *code and msg; 0 when it has none. */
static int result_error(int32_t count, int16_t error_code, fr_slice_t error_message, const char *api, int *code,
                        char *msg, size_t msglen) {
    if (count != 1) {
        *code = RD_KAFKA_RESP_ERR__FAIL;
        snprintf(msg, msglen, "%s answered %d results for one resource", api, count);
        return -1;
    }
    if (error_code) {
        *code = error_code;
        snprintf(msg, msglen, "%.*s", error_message.len > 0 ? (int)error_message.len : 0,
                 error_message.len > 0 ? (const char *)error_message.ptr : "");
        return -1;
    }
    return 0;
}

int tool_configs_wire_describe(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                               tool_cfg_list_t *out, int *code, char *msg, size_t msglen) {
    call_t c;
    if (call_open(&c, bootstrap, timeout_ms, FR_API_DESCRIBE_CONFIGS, 1, "DescribeConfigs", code, msg, msglen))
        return -1;
    fr_describe_configs_request_describe_configs_resource_t res = {type, fr_slice_from_cstr(name), NULL, -1};
    fr_describe_configs_request_t req;
    fr_describe_configs_request_init(&req);
    req.resources = &res;
    req.resources_count = 1;
    req.include_synonyms = true;
    fr_describe_configs_response_t *resp = NULL;
    int rc = -1;
    if (tool_wire_call(&c.w, FR_API_DESCRIBE_CONFIGS, c.version, &req, &c.arena, (void **)&resp, msg, msglen)) {
        *code = RD_KAFKA_RESP_ERR__TRANSPORT;
    } else if (!result_error(resp->results_count, resp->results_count ? resp->results[0].error_code : 0,
                             resp->results_count ? resp->results[0].error_message : FR_SLICE_NULL,
                             "DescribeConfigs", code, msg, msglen)) {
        const fr_describe_configs_response_describe_configs_result_t *r = &resp->results[0];
        out->items = calloc(r->configs_count > 0 ? (size_t)r->configs_count : 1, sizeof(*out->items));
        for (int32_t i = 0; out->items && i < r->configs_count; i++) {
            const fr_describe_configs_response_describe_configs_resource_result_t *src = &r->configs[i];
            tool_cfg_entry_t *e = &out->items[out->count++];
            e->name = dup_slice(src->name);
            e->value = dup_slice(src->value);
            e->source = src->config_source;
            e->sensitive = src->is_sensitive;
            e->synonyms = calloc(src->synonyms_count > 0 ? (size_t)src->synonyms_count : 1, sizeof(*e->synonyms));
            for (int32_t j = 0; e->synonyms && j < src->synonyms_count; j++)
                e->synonyms[e->nsynonyms++] = (tool_cfg_synonym_t){dup_slice(src->synonyms[j].name),
                                                                   dup_slice(src->synonyms[j].value),
                                                                   src->synonyms[j].source};
        }
        rc = 0;
    }
    call_close(&c);
    return rc;
}

int tool_configs_wire_alter(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                            const fr_props_t *set, int *code, char *msg, size_t msglen) {
    call_t c;
    if (call_open(&c, bootstrap, timeout_ms, FR_API_ALTER_CONFIGS, 0, "AlterConfigs", code, msg, msglen))
        return -1;
    int rc = -1;
    fr_alter_configs_request_alterable_config_t *cfgs = fr_arena_calloc(&c.arena, set->count + 1, sizeof(*cfgs));
    for (size_t i = 0; cfgs && i < set->count; i++)
        cfgs[i] = (fr_alter_configs_request_alterable_config_t){fr_slice_from_cstr(set->items[i].key),
                                                                fr_slice_from_cstr(set->items[i].value)};
    fr_alter_configs_request_alter_configs_resource_t res = {type, fr_slice_from_cstr(name), cfgs,
                                                             (int32_t)set->count};
    fr_alter_configs_request_t req;
    fr_alter_configs_request_init(&req);
    req.resources = &res;
    req.resources_count = 1;
    fr_alter_configs_response_t *resp = NULL;
    if (!cfgs) {
        *code = RD_KAFKA_RESP_ERR__FAIL;
        snprintf(msg, msglen, "out of memory");
    } else if (tool_wire_call(&c.w, FR_API_ALTER_CONFIGS, c.version, &req, &c.arena, (void **)&resp, msg, msglen)) {
        *code = RD_KAFKA_RESP_ERR__TRANSPORT;
    } else {
        rc = result_error(resp->responses_count, resp->responses_count ? resp->responses[0].error_code : 0,
                          resp->responses_count ? resp->responses[0].error_message : FR_SLICE_NULL, "AlterConfigs",
                          code, msg, msglen);
    }
    call_close(&c);
    return rc;
}

int tool_configs_wire_incremental(const char *bootstrap, int timeout_ms, int8_t type, const char *name,
                                  const fr_props_t *add, const fr_props_t *del, int *code, char *msg,
                                  size_t msglen) {
    call_t c;
    if (call_open(&c, bootstrap, timeout_ms, FR_API_INCREMENTAL_ALTER_CONFIGS, 0, "IncrementalAlterConfigs", code,
                  msg, msglen))
        return -1;
    int rc = -1;
    size_t n = add->count + del->count;
    fr_incremental_alter_configs_request_alterable_config_t *ops = fr_arena_calloc(&c.arena, n + 1, sizeof(*ops));
    for (size_t i = 0; ops && i < add->count; i++)
        ops[i] = (fr_incremental_alter_configs_request_alterable_config_t){
            fr_slice_from_cstr(add->items[i].key), 0 /* SET */, fr_slice_from_cstr(add->items[i].value)};
    for (size_t i = 0; ops && i < del->count; i++)
        ops[add->count + i] = (fr_incremental_alter_configs_request_alterable_config_t){
            fr_slice_from_cstr(del->items[i].key), 1 /* DELETE */, fr_slice_from_cstr("")};
    fr_incremental_alter_configs_request_alter_configs_resource_t res = {type, fr_slice_from_cstr(name), ops,
                                                                         (int32_t)n};
    fr_incremental_alter_configs_request_t req;
    fr_incremental_alter_configs_request_init(&req);
    req.resources = &res;
    req.resources_count = 1;
    fr_incremental_alter_configs_response_t *resp = NULL;
    if (!ops) {
        *code = RD_KAFKA_RESP_ERR__FAIL;
        snprintf(msg, msglen, "out of memory");
    } else if (tool_wire_call(&c.w, FR_API_INCREMENTAL_ALTER_CONFIGS, c.version, &req, &c.arena, (void **)&resp,
                              msg, msglen)) {
        *code = RD_KAFKA_RESP_ERR__TRANSPORT;
    } else {
        rc = result_error(resp->responses_count, resp->responses_count ? resp->responses[0].error_code : 0,
                          resp->responses_count ? resp->responses[0].error_message : FR_SLICE_NULL,
                          "IncrementalAlterConfigs", code, msg, msglen);
    }
    call_close(&c);
    return rc;
}
