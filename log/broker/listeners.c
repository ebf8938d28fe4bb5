#include "listeners.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker_config.h"
#include "fr_err.h"
#include "fr_logging.h"

#define COMPONENT "config"

static const char DEFAULT_PROTOCOL_MAP[] = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";
static const char *const PROTOCOLS[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", NULL};

typedef struct protocol_map {
    char name[FR_MAX_LISTENERS * 2][64];
    int plaintext[FR_MAX_LISTENERS * 2];
    int count;
} protocol_map_t;

/* The next comma-separated item of *p, trimmed, into buf; 0 at the end of the list. */
static int next_item(const char **p, char *buf, size_t len, int *too_long) {
    if (!**p)
        return 0;
    const char *comma = strchr(*p, ',');
    size_t n = comma ? (size_t)(comma - *p) : strlen(*p);
    const char *s = *p;
    *p = comma ? comma + 1 : s + n;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *too_long = n >= len;
    if (*too_long)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

static void upper(char *s) {
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

/* Kafka's endpoint pattern: NAME://host:port, the host optionally in brackets. */
static int parse_endpoint(const char *entry, fr_listener_t *out) {
    const char *sep = strstr(entry, "://");
    if (!sep || sep == entry || (size_t)(sep - entry) >= sizeof(out->name))
        return -1;
    memcpy(out->name, entry, (size_t)(sep - entry));
    out->name[sep - entry] = '\0';
    upper(out->name);
    const char *hostport = sep + 3, *colon = strrchr(hostport, ':');
    if (!colon)
        return -1;
    size_t hl = (size_t)(colon - hostport);
    if (hl >= 2 && hostport[0] == '[' && hostport[hl - 1] == ']') /* [::1] */
        hostport++, hl -= 2;
    if (hl >= sizeof(out->host))
        return -1;
    for (size_t i = 0; i < hl; i++)
        if (!isalnum((unsigned char)hostport[i]) && !strchr("-%._:", hostport[i]))
            return -1;
    memcpy(out->host, hostport, hl);
    out->host[hl] = '\0';
    int64_t port;
    if (fr_config_parse_long(colon + 1, 0, 65535, &port))
        return -1;
    out->port = (int)port;
    return 0;
}

/* A listeners-style list into l[0..*n), with Kafka's checks: distinct names, and
 * distinct ports for the listeners themselves (advertised ones may share one). */
static int parse_endpoints(const char *key, const char *value, int distinct_ports, fr_listener_t *l, int *n, char *err,
                           size_t errlen) {
    char entry[512];
    int too_long;
    *n = 0;
    for (const char *p = value; next_item(&p, entry, sizeof(entry), &too_long);) {
        if (!*entry)
            continue;
        if (*n == FR_MAX_LISTENERS) {
            snprintf(err, errlen, "Invalid value %s for configuration %s: more than %d listeners", value, key,
                     FR_MAX_LISTENERS);
            return FR_ERR_CONFIG;
        }
        if (too_long || parse_endpoint(entry, &l[*n])) {
            snprintf(err, errlen, "Invalid value %s for configuration %s: Unable to parse %s to a broker endpoint",
                     value, key, entry);
            return FR_ERR_CONFIG;
        }
        for (int i = 0; i < *n; i++) {
            if (strcmp(l[i].name, l[*n].name) == 0) {
                snprintf(err, errlen, "Each listener must have a different name, %s: %s", key, value);
                return FR_ERR_CONFIG;
            }
            if (distinct_ports && l[i].port && l[i].port == l[*n].port) {
                snprintf(err, errlen,
                         "Each listener must have a different port unless exactly one listener has an IPv4 address "
                         "and the other IPv6 address, %s: %s, port: %d",
                         key, value, l[*n].port);
                return FR_ERR_CONFIG;
            }
        }
        (*n)++;
    }
    return 0;
}

static int parse_protocol_map(const char *value, protocol_map_t *m, char *err, size_t errlen) {
    char entry[160];
    int too_long;
    m->count = 0;
    for (const char *p = value; next_item(&p, entry, sizeof(entry), &too_long);) {
        char *colon = strchr(entry, ':');
        if (too_long || !colon || colon == entry || m->count == (int)(sizeof(m->name) / sizeof(m->name[0]))) {
            snprintf(err, errlen,
                     "Invalid value %s for configuration listener.security.protocol.map: Map entry '%s' is not "
                     "NAME:PROTOCOL",
                     value, entry);
            return FR_ERR_CONFIG;
        }
        *colon = '\0';
        char *proto = colon + 1;
        upper(entry);
        upper(proto);
        int known = 0;
        for (size_t i = 0; PROTOCOLS[i]; i++)
            known |= strcmp(proto, PROTOCOLS[i]) == 0;
        if (!known || strlen(entry) >= sizeof(m->name[0])) {
            snprintf(err, errlen,
                     "Invalid value %s for configuration listener.security.protocol.map: No security protocol named "
                     "%s",
                     value, proto);
            return FR_ERR_CONFIG;
        }
        memcpy(m->name[m->count], entry, strlen(entry) + 1); /* fits: checked above */
        m->plaintext[m->count++] = strcmp(proto, "PLAINTEXT") == 0;
    }
    return 0;
}

/* 1 when name is in the comma-separated list (names compared upper-cased). */
static int listed(const char *list, const char *name) {
    char item[64];
    int too_long;
    for (const char *p = list ? list : ""; next_item(&p, item, sizeof(item), &too_long);) {
        upper(item);
        if (!too_long && strcmp(item, name) == 0)
            return 1;
    }
    return 0;
}

static int is_meta_address(const char *host) { return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0; }

static int check_routable(const fr_listener_t *a, char *err, size_t errlen) {
    if (is_meta_address(a->host)) {
        snprintf(err, errlen,
                 "advertised.listeners cannot use the nonroutable meta-address %s. Use a routable IP address.",
                 a->host);
        return FR_ERR_CONFIG;
    }
    return 0;
}

/* advertised.listeners: names among the listeners', none a controller's; each served listener's entry. */
static int resolve_advertised(fr_listeners_t *out, const fr_listener_t *all, int n, const char *advertised,
                              const char *controller_names, char *err, size_t errlen) {
    fr_listener_t adv[FR_MAX_LISTENERS];
    int na = 0;
    if (advertised) {
        int rc = parse_endpoints("advertised.listeners", advertised, 0, adv, &na, err, errlen);
        if (rc)
            return rc;
    }
    for (int j = 0; j < na; j++) {
        int known = 0;
        for (int i = 0; i < n; i++)
            known |= strcmp(all[i].name, adv[j].name) == 0;
        if (!known) {
            size_t o = 0;
            char names[FR_MAX_LISTENERS * 66] = "";
            for (int i = 0; i < n && o < sizeof(names); i++)
                o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? "," : "", all[i].name);
            snprintf(err, errlen,
                     "advertised.listeners listener names must be equal to or a subset of the ones defined in "
                     "listeners. Found %s. The valid options based on currently configured listeners are %s",
                     adv[j].name, names);
            return FR_ERR_CONFIG;
        }
        if (listed(controller_names, adv[j].name)) {
            snprintf(err, errlen,
                     "The advertised.listeners config must not contain KRaft controller listeners from "
                     "controller.listener.names when process.roles contains the broker role because Kafka clients "
                     "that send requests via advertised listeners wouldn't be able to connect to them");
            return FR_ERR_CONFIG;
        }
    }
    for (int j = 0; j < na; j++) {
        int rc = check_routable(&adv[j], err, errlen);
        if (rc)
            return rc;
    }
    for (int i = 0; i < out->count; i++) {
        int named = 0;
        out->advertised[i] = out->bind[i];
        for (int j = 0; j < na; j++)
            if (strcmp(adv[j].name, out->bind[i].name) == 0) {
                out->advertised[i] = adv[j];
                named = 1;
            }
        if (named)
            continue;
        if (!advertised) { /* Kafka advertises the listeners themselves, and refuses a meta-address */
            int rc = check_routable(&out->advertised[i], err, errlen);
            if (rc)
                return rc;
        } else if (is_meta_address(out->advertised[i].host)) {
            out->advertised[i].host[0] = '\0'; /* not advertised by Kafka; here the host's name, as for "" */
        }
    }
    return 0;
}

int fr_listeners_resolve(fr_listeners_t *out, const char *listeners, const char *advertised,
                         const char *protocol_map, const char *controller_names, char *err, size_t errlen) {
    fr_listener_t all[FR_MAX_LISTENERS];
    protocol_map_t map;
    int n, rc;
    memset(out, 0, sizeof(*out));
    if ((rc = parse_endpoints("listeners", listeners, 1, all, &n, err, errlen)) != 0 ||
        (rc = parse_protocol_map(protocol_map ? protocol_map : DEFAULT_PROTOCOL_MAP, &map, err, errlen)) != 0)
        return rc;
    for (int i = 0; i < n; i++) {
        /* a KRaft controller's listener serves no client; Kafka maps it to PLAINTEXT
         * itself when the map does not name it (effectiveListenerSecurityProtocolMap) */
        if (listed(controller_names, all[i].name))
            continue;
        int k = 0;
        while (k < map.count && strcmp(map.name[k], all[i].name) != 0)
            k++;
        if (k == map.count) {
            snprintf(err, errlen, "No security protocol defined for listener %s", all[i].name);
            return FR_ERR_CONFIG;
        }
        if (!map.plaintext[k]) {
            fr_warn(COMPONENT, "listener %s is not served: its security protocol is not PLAINTEXT, the only one this "
                    "broker speaks", all[i].name);
            continue;
        }
        out->bind[out->count++] = all[i];
    }
    if (out->count == 0) {
        snprintf(err, errlen, "Invalid value %s for configuration listeners: no PLAINTEXT listener in '%s' (only "
                 "PLAINTEXT is supported)", listeners, listeners);
        return FR_ERR_CONFIG;
    }
    return resolve_advertised(out, all, n, advertised, controller_names, err, errlen);
}

void fr_listeners_format_advertised(const fr_listeners_t *l, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->count && o < len; i++) {
        const fr_listener_t *e = &l->advertised[i];
        int v6 = strchr(e->host, ':') != NULL;
        o += (size_t)snprintf(buf + o, len - o, "%s%s://%s%s%s:%d", i ? "," : "", e->name, v6 ? "[" : "", e->host,
                              v6 ? "]" : "", e->port);
    }
}
