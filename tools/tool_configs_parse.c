#include "tool_configs_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Kafka splits with the lookahead (?=[^\]]*(?:\[|$)): a separator counts
 * unless the next bracket after it is a ']' (it sits inside [...]).
 */
static int inside_brackets(const char *s) {
    for (; *s; s++) {
        if (*s == ']')
            return 1;
        if (*s == '[')
            return 0;
    }
    return 0;
}

/* Copies [p, p+n) trimmed of blanks into a malloc'd string, dropping '[' and ']' when strip is set. */
static char *trimmed_copy(const char *p, size_t n, int strip) {
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (!strip || (p[i] != '[' && p[i] != ']'))
            out[o++] = p[i];
    out[o] = '\0';
    if (strip) { /* Kafka trims after removing the brackets too */
        char *t = trimmed_copy(out, o, 0);
        free(out);
        return t;
    }
    return out;
}

int tool_configs_parse_add(const char *s, fr_props_t *out, char *err, size_t errlen) {
    const char *p = s;
    for (;;) {
        /* the next pair ends at a ',' outside brackets */
        const char *end = p;
        while (*end && !(*end == ',' && !inside_brackets(end + 1)))
            end++;
        const char *eq = NULL;
        int seps = 0;
        for (const char *q = p; q < end; q++) {
            if (*q == '=' && !inside_brackets(q + 1)) {
                seps++;
                if (!eq)
                    eq = q;
            }
        }
        if (seps != 1) {
            /* ConfigCommand's require(), whose message Scala prefixes */
            snprintf(err, errlen, "requirement failed: Invalid entity config: all configs to be added must be in "
                                  "the format \"key=val\".");
            return -1;
        }
        char *k = trimmed_copy(p, (size_t)(eq - p), 0), *v = trimmed_copy(eq + 1, (size_t)(end - eq - 1), 1);
        int rc = k && v ? fr_props_set(out, k, v) : -1;
        free(k);
        free(v);
        if (rc) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (!*end)
            return 0;
        p = end + 1;
    }
}

int tool_configs_check_keys(const fr_props_t *p, char *err, size_t errlen) {
    for (size_t i = 0; i < p->count; i++) {
        const char *k = p->items[i].key;
        if (k[strspn(k, "$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")]) {
            snprintf(err, errlen, "Invalid character found for config key: %s", k);
            return -1;
        }
    }
    return 0;
}

int tool_configs_parse_delete(const char *s, fr_props_t *out) {
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *k = trimmed_copy(p, n, 0);
        int rc = !k ? -1 : *k ? fr_props_set(out, k, "") : 0;
        free(k);
        if (rc)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

const char *tool_config_source_name(int source) {
    static const char *const names[] = {"UNKNOWN", "DYNAMIC_TOPIC_CONFIG", "DYNAMIC_BROKER_CONFIG",
                                        "DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG", "DEFAULT_CONFIG",
                                        "DYNAMIC_BROKER_LOGGER_CONFIG", "CLIENT_METRICS_CONFIG",
                                        "DYNAMIC_GROUP_CONFIG"};
    return source >= 0 && source < (int)(sizeof(names) / sizeof(names[0])) ? names[source] : "UNKNOWN";
}

const char *tool_java_exception(int16_t code, const char **default_message) {
    static const struct {
        int16_t code;
        const char *name, *message;
    } map[] = {
        {-1, "UnknownServerException", "The server experienced an unexpected error when processing the request."},
        {3, "UnknownTopicOrPartitionException", "This server does not host this topic-partition."},
        {7, "TimeoutException", "The request timed out."},
        {17, "InvalidTopicException", "The request attempted to perform an operation on an invalid topic."},
        {29, "TopicAuthorizationException", "Topic authorization failed."},
        {31, "ClusterAuthorizationException", "Cluster authorization failed."},
        {35, "UnsupportedVersionException", "The version of API is not supported."},
        {40, "InvalidConfigurationException", "Configuration is invalid."},
        {41, "NotControllerException", "This is not the correct controller for this cluster."},
        {42, "InvalidRequestException",
         "This most likely occurs because of a request being malformed by the client library or the message was sent "
         "to an incompatible broker. See the broker logs for more details."},
        {44, "PolicyViolationException", "Request parameters do not satisfy the configured policy."},
        {56, "KafkaStorageException", "Disk error when trying to access log file on the disk."},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].code == code) {
            static char buf[128];
            snprintf(buf, sizeof(buf), "org.apache.kafka.common.errors.%s", map[i].name);
            if (default_message)
                *default_message = map[i].message;
            return buf;
        }
    }
    if (default_message)
        *default_message = "Unexpected error";
    return "org.apache.kafka.common.KafkaException";
}
