/*
 * listeners.h — Kafka's listener settings, resolved into the endpoints this
 * single-node broker serves and the address it tells the clients of each.
 *
 *   listeners                       NAME://host:port,...  (host "": every
 *                                   interface; port 0: any, known once bound)
 *   listener.security.protocol.map  NAME:PROTOCOL,...  (Kafka's default maps
 *                                   PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL
 *                                   to themselves)
 *   controller.listener.names       KRaft controller listeners: no client traffic
 *   advertised.listeners            NAME://host:port,...  per listener, what
 *                                   Metadata and FindCoordinator answer to a
 *                                   client that came in on it
 *
 * A client is answered with the advertised address of the listener its
 * connection arrived on, as Kafka's KafkaApis does, so one broker can be
 * reached as host.docker.internal:9092 outside a container and as kafka:29092
 * inside.  Only PLAINTEXT listeners are served: one mapped to another
 * protocol is left out with a warning, and at least one must remain.  A
 * listener that advertised.listeners does not name advertises its own
 * address, or the host's name for a wildcard one (Kafka would advertise
 * none for it).  Checks and messages follow
 * Kafka's KafkaConfig and CoreUtils.listenerListToEndPoints.
 */
#ifndef FR_LISTENERS_H
#define FR_LISTENERS_H

#include <stddef.h>

#define FR_MAX_LISTENERS 8

typedef struct fr_listener {
    char name[64];    /* upper-cased, as Kafka's ListenerName.normalised */
    char host[256];   /* "" means every interface */
    int port;         /* 0 means an ephemeral port, resolved at bind */
} fr_listener_t;

typedef struct fr_listeners {
    fr_listener_t bind[FR_MAX_LISTENERS];       /* the PLAINTEXT data listeners, in the order configured */
    fr_listener_t advertised[FR_MAX_LISTENERS]; /* what the clients of bind[i] are told */
    int count;                                  /* >= 1 once resolved */
} fr_listeners_t;

/*
 * Resolves the four settings (advertised, protocol_map and controller_names
 * may be NULL: not set) into *out.  Returns 0, or FR_ERR_CONFIG with a
 * message naming the setting in err.
 */
int fr_listeners_resolve(fr_listeners_t *out, const char *listeners, const char *advertised,
                         const char *protocol_map, const char *controller_names, char *err, size_t errlen);

/* "NAME://host:port,..." of the served listeners' advertised addresses. */
void fr_listeners_format_advertised(const fr_listeners_t *l, char *buf, size_t len);

#endif
