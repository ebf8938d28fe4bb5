/*
 * The part of AlterConfigs and IncrementalAlterConfigs that is the same once
 * their entries are read: Kafka's checks of a resource's entries (its
 * ConfigAdminManager.preprocess), then the config_admin.h steps.
 */
#include <stddef.h>
#include <stdio.h>

#include "config_admin.h"
#include "handlers.h"

/* Kafka's two refusals before the resource is looked up; 0 or INVALID_REQUEST with err. */
static int16_t check_changes(fr_req_t *req, const fr_config_change_t *c, int32_t n, char *err, size_t errlen) {
    /* a sort, not a pairwise scan: a request may name a great many keys */
    const uint8_t *marks = fr_req_mark_duplicate_names(req, c, n, sizeof(*c), offsetof(fr_config_change_t, name), 0);
    if (!marks)
        return fr_err_to_kafka(FR_ERR_NOMEM);
    for (int32_t i = 0; i < n; i++)
        if (marks[i] != FR_NAME_UNIQUE) {
            snprintf(err, errlen, "Error due to duplicate config keys");
            return FR_ERR_INVALID_REQUEST;
        }
    size_t o = (size_t)snprintf(err, errlen, "Null value not supported for : ");
    int nulls = 0;
    for (int32_t i = 0; i < n; i++) {
        if (c[i].op == FR_CONFIG_OP_DELETE || !fr_slice_is_null(c[i].value))
            continue;
        if (o < errlen)
            o += (size_t)snprintf(err + o, errlen - o, "%s%.*s", nulls ? ", " : "",
                                  c[i].name.len > 0 ? (int)c[i].name.len : 0,
                                  c[i].name.len > 0 ? (const char *)c[i].name.ptr : "");
        nulls++;
    }
    if (nulls)
        return FR_ERR_INVALID_REQUEST;
    err[0] = '\0';
    return 0;
}

int16_t fr_req_alter_config(fr_req_t *req, int8_t type, fr_slice_t name, const fr_config_change_t *changes,
                            int32_t n, int replace, int validate_only, char *err, size_t errlen) {
    int16_t code = check_changes(req, changes, n, err, errlen);
    if (code)
        return code;
    if (type == FR_RESOURCE_BROKER_LOGGER && !replace) /* AlterConfigs never took loggers */
        return fr_req_alter_loggers(req, name, changes, n, validate_only, err, errlen);
    fr_config_target_t target;
    int rc = fr_config_target_find(req->srv, type, name, &target, err, errlen);
    if (rc)
        return (int16_t)rc;
    fr_props_t set;
    fr_props_init(&set);
    for (size_t i = 0; !replace && i < target.current->count && !rc; i++)
        rc = fr_props_set(&set, target.current->items[i].key, target.current->items[i].value);
    for (int32_t i = 0; i < n && !rc; i++) {
        char *key = fr_config_cstr(req->arena, changes[i].name);
        char *value = fr_slice_is_null(changes[i].value) ? NULL : fr_config_cstr(req->arena, changes[i].value);
        if (!key || (!fr_slice_is_null(changes[i].value) && !value))
            rc = FR_ERR_NOMEM;
        else
            rc = fr_config_apply_op(&set, key, changes[i].op, value, err, errlen);
    }
    if (!rc)
        rc = fr_config_target_apply(req->srv, &target, &set, validate_only, err, errlen);
    fr_props_free(&set);
    return fr_err_to_kafka(rc);
}
