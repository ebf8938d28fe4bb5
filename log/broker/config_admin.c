#include "config_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynamic_config.h"
#include "fr_err.h"
#include "retention.h"
#include "topic_config.h"

static const char *type_name(int8_t type) {
    switch (type) {
    case FR_RESOURCE_TOPIC: return "TOPIC";
    case FR_RESOURCE_BROKER: return "BROKER";
    case FR_RESOURCE_BROKER_LOGGER: return "BROKER_LOGGER";
    default: return "UNKNOWN";
    }
}

char *fr_config_cstr(fr_arena_t *arena, fr_slice_t s) {
    return fr_arena_strndup(arena, s.len > 0 ? (const char *)s.ptr : "", s.len > 0 ? (size_t)s.len : 0);
}

void fr_config_resource_str(int8_t type, fr_slice_t name, char *buf, size_t len) {
    snprintf(buf, len, "ConfigResource(type=%s, name='%.*s')", type_name(type), name.len > 0 ? (int)name.len : 0,
             name.len > 0 ? (const char *)name.ptr : "");
}

int fr_config_parse_node_id(fr_slice_t name, int32_t *out) {
    int32_t i = 0, n = name.len;
    int neg = n > 0 && (name.ptr[0] == '-' || name.ptr[0] == '+') ? name.ptr[0] == '-' : -1;
    if (neg >= 0)
        i = 1;
    if (i >= n)
        return -1;
    int64_t v = 0;
    for (; i < n; i++) {
        if (name.ptr[i] < '0' || name.ptr[i] > '9')
            return -1;
        v = v * 10 + (name.ptr[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return -1;
    }
    if (neg == 1)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int fr_config_target_find(fr_server_t *srv, int8_t type, fr_slice_t name, fr_config_target_t *out, char *err,
                          size_t errlen) {
    memset(out, 0, sizeof(*out));
    out->type = type;
    int n = name.len > 0 ? (int)name.len : 0;
    const char *s = name.len > 0 ? (const char *)name.ptr : "";
    if (type == FR_RESOURCE_TOPIC) {
        out->topic = fr_topics_find(&srv->topics, name);
        if (!out->topic) {
            snprintf(err, errlen, "The topic '%.*s' does not exist.", n, s);
            return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
        out->current = &out->topic->overrides;
        return 0;
    }
    if (type == FR_RESOURCE_BROKER) {
        if (n == 0) {
            out->current = &srv->cfg->dynamic_default;
            return 0;
        }
        int32_t id;
        if (fr_config_parse_node_id(name, &id)) {
            snprintf(err, errlen, "Broker id must be an integer, but it is: %.*s", n, s);
            return FR_ERR_INVALID_REQUEST;
        }
        if (id != srv->cfg->broker_id) {
            snprintf(err, errlen, "Unexpected broker id, expected %d or empty string, but received %.*s",
                     srv->cfg->broker_id, n, s);
            return FR_ERR_INVALID_REQUEST;
        }
        out->per_broker = 1;
        out->current = &srv->cfg->dynamic_broker;
        return 0;
    }
    snprintf(err, errlen, "Unknown resource type %d", type); /* Kafka's ConfigAdminManager.preprocess */
    return FR_ERR_INVALID_REQUEST;
}

/* ---------- incremental operations ---------- */

/* Calls fn(item, len, ctx) for each non-empty item of a comma-separated list; stops at a non-zero return. */
static int each_item(const char *list, int (*fn)(const char *, size_t, void *), void *ctx) {
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int rc = n ? fn(p, n, ctx) : 0;
        if (rc)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

typedef struct list_build {
    const char *old, *given; /* the two lists */
    int append;
    char *out;               /* malloc'd result */
    size_t len;
} list_build_t;

/* Whole-item membership: is [item, item+n) one of list's items? */
static int list_has(const char *list, const char *item, size_t n) {
    for (const char *p = list; p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, item, n) == 0)
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int push_item(list_build_t *b, const char *item, size_t n) {
    if (list_has(b->out, item, n))
        return 0; /* no duplicates */
    char *grown = realloc(b->out, b->len + n + 2);
    if (!grown)
        return FR_ERR_NOMEM;
    if (b->len)
        grown[b->len++] = ',';
    memcpy(grown + b->len, item, n);
    b->len += n;
    grown[b->len] = '\0';
    b->out = grown;
    return 0;
}

static int keep_old(const char *item, size_t n, void *ctx) {
    list_build_t *b = ctx;
    return b->append || !list_has(b->given, item, n) ? push_item(b, item, n) : 0;
}

static int add_given(const char *item, size_t n, void *ctx) { return push_item(ctx, item, n); }

/*
 * Kafka's list arithmetic: APPEND keeps the old items and adds the given ones
 * not among them; SUBTRACT keeps the old items that were not given.  Empty
 * items are dropped.  *out is malloc'd ("" for an empty list).
 */
static int list_op(const char *old, const char *given, int append, char **out) {
    list_build_t b = {old, given, append, calloc(1, 1), 0};
    int rc = b.out ? each_item(old, keep_old, &b) : FR_ERR_NOMEM;
    if (!rc && append)
        rc = each_item(given, add_given, &b);
    if (rc) {
        free(b.out);
        return rc;
    }
    *out = b.out;
    return 0;
}

int fr_config_apply_op(fr_props_t *set, const char *name, int8_t op, const char *value, char *err, size_t errlen) {
    if (op < FR_CONFIG_OP_SET || op > FR_CONFIG_OP_SUBTRACT) {
        snprintf(err, errlen, "Unknown alter config operation type %d for config key: %s", op, name);
        return FR_ERR_INVALID_REQUEST;
    }
    if (op == FR_CONFIG_OP_DELETE) {
        fr_props_unset(set, name);
        return 0;
    }
    if (!value) {
        snprintf(err, errlen, "Null value not supported for : %s", name);
        return FR_ERR_INVALID_REQUEST;
    }
    if (op == FR_CONFIG_OP_SET)
        return fr_props_set(set, name, value);
    if (!fr_config_is_list(name)) {
        snprintf(err, errlen, "Config value %s is not allowed for config key: %s",
                 op == FR_CONFIG_OP_APPEND ? "append" : "subtract", name);
        return FR_ERR_INVALID_REQUEST;
    }
    const char *old = fr_props_get(set, name);
    if (!old)
        old = fr_config_default(name);
    char *list;
    int rc = list_op(old ? old : "", value, op == FR_CONFIG_OP_APPEND, &list);
    if (rc)
        return rc;
    rc = fr_props_set(set, name, list);
    free(list);
    return rc;
}

/* ---------- validate and apply ---------- */

int fr_config_target_apply(fr_server_t *srv, const fr_config_target_t *t, const fr_props_t *set, int validate_only,
                           char *err, size_t errlen) {
    int rc;
    if (t->type == FR_RESOURCE_TOPIC) {
        for (size_t i = 0; i < set->count; i++)
            if ((rc = fr_topic_config_validate(set->items[i].key, set->items[i].value, err, errlen)))
                return rc;
        if ((rc = fr_topic_config_validate_set(srv->cfg, set, err, errlen)))
            return rc;
        if (validate_only)
            return 0;
        rc = fr_topics_set_overrides(&srv->topics, t->topic, set, err, errlen);
    } else {
        char e2[768], what[300];
        rc = fr_dynamic_config_validate(srv->cfg, t->per_broker, set, e2, sizeof(e2));
        if (!rc && !validate_only)
            rc = fr_dynamic_config_replace(srv->cfg, t->per_broker, set, e2, sizeof(e2));
        if (rc) {
            /* Kafka's words for a broker resource that cannot take the change */
            char id[16];
            snprintf(id, sizeof(id), "%d", srv->cfg->broker_id);
            fr_config_resource_str(FR_RESOURCE_BROKER, fr_slice_from_cstr(t->per_broker ? id : ""), what,
                                   sizeof(what));
            if (rc == FR_ERR_INVALID_REQUEST || rc == FR_ERR_INVALID_CONFIG)
                snprintf(err, errlen, "Invalid config value for resource %s: %s", what, e2);
            else
                snprintf(err, errlen, "%s", e2);
        } else if (!validate_only) {
            fr_topics_reconfigure(&srv->topics);
            fr_retention_reconfigure(srv); /* log.cleaner.backoff.ms */
        }
    }
    return fr_err_to_kafka(rc);
}
