/*
 * tool_wire.h — a minimal blocking Kafka client over the generated codecs
 * (fr_messages.h), for the few admin requests librdkafka 2.0.2 cannot make.
 *
 * The tools speak to brokers through librdkafka.  Its Admin API, though,
 * cannot address the cluster-default broker config resource (BROKER with an
 * empty name, what kafka-configs.sh --entity-default uses): 2.0.2 refuses or
 * crashes on a broker resource whose name is not a broker id; nor has it the
 * BROKER_LOGGER resource or IncrementalAlterConfigs.  For those the tools
 * send the requests themselves (tool_configs_wire.h): one connection to a
 * bootstrap server, ApiVersions first, then each request at the highest
 * version both sides serve.
 *
 * Ownership: a response and every slice in it live in the caller's arena.
 */
#ifndef FR_TOOL_WIRE_H
#define FR_TOOL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_arena.h"

typedef struct tool_wire {
    int fd;
    int32_t correlation_id;
    int timeout_ms;
    int16_t max_version[64];  /* the broker's ranges by api key (-1: not served) */
    int16_t min_version[64];
} tool_wire_t;

/*
 * Connects to the first reachable server of a bootstrap list
 * ("host:port[,host:port...]", IPv6 as [addr]:port) and asks ApiVersions.
 * Every read and write waits at most timeout_ms.  Returns 0, or -1 with a
 * message in err.
 */
int tool_wire_connect(tool_wire_t *w, const char *bootstrap, int timeout_ms, char *err, size_t errlen);
void tool_wire_close(tool_wire_t *w);

/*
 * The highest version of api_key that both this build's codecs and the
 * broker serve, at least min_wanted; -1 when there is none.
 */
int16_t tool_wire_version(const tool_wire_t *w, int16_t api_key, int16_t min_wanted);

/*
 * Sends request (the fr_<api>_request_t for api_key) at version and reads the
 * response (*response: the fr_<api>_response_t, from arena).  Returns 0, or
 * -1 with a message (I/O error, timeout, unreadable response).
 */
int tool_wire_call(tool_wire_t *w, int16_t api_key, int16_t version, const void *request, fr_arena_t *arena,
                   void **response, char *err, size_t errlen);

#endif
