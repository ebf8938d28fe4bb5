/*
 * fr_err.h — Freshet's error values.
 *
 * One X-macro list generates the enum and fr_err_str().  Values >= 0 (and -1,
 * UNKNOWN_SERVER_ERROR) are Kafka's wire error codes and may be put on the wire
 * as they are.  Internal errors live in a separate range below -1000 and must
 * be mapped to a Kafka code before they reach a client (fr_err_to_kafka()).
 */
#ifndef FR_ERR_H
#define FR_ERR_H

#include <stddef.h>
#include <stdint.h>

#define FR_KAFKA_ERRORS(X)                                                   \
    X(UNKNOWN_SERVER_ERROR, -1, "unexpected server error")                    \
    X(NONE, 0, "success")                                                     \
    X(OFFSET_OUT_OF_RANGE, 1, "offset out of range")                          \
    X(CORRUPT_MESSAGE, 2, "record failed its CRC check or is otherwise corrupt") \
    X(UNKNOWN_TOPIC_OR_PARTITION, 3, "unknown topic or partition")            \
    X(INVALID_FETCH_SIZE, 4, "invalid fetch size")                            \
    X(LEADER_NOT_AVAILABLE, 5, "leader not available")                        \
    X(NOT_LEADER_OR_FOLLOWER, 6, "not leader or follower")                    \
    X(REQUEST_TIMED_OUT, 7, "request timed out")                              \
    X(BROKER_NOT_AVAILABLE, 8, "broker not available")                        \
    X(REPLICA_NOT_AVAILABLE, 9, "replica not available")                      \
    X(MESSAGE_TOO_LARGE, 10, "message larger than the server accepts")        \
    X(STALE_CONTROLLER_EPOCH, 11, "stale controller epoch")                   \
    X(OFFSET_METADATA_TOO_LARGE, 12, "offset metadata too large")             \
    X(NETWORK_EXCEPTION, 13, "network exception")                             \
    X(COORDINATOR_LOAD_IN_PROGRESS, 14, "coordinator load in progress")       \
    X(COORDINATOR_NOT_AVAILABLE, 15, "coordinator not available")             \
    X(NOT_COORDINATOR, 16, "not coordinator")                                 \
    X(INVALID_TOPIC_EXCEPTION, 17, "invalid topic name")                      \
    X(RECORD_LIST_TOO_LARGE, 18, "record batch larger than the segment size") \
    X(NOT_ENOUGH_REPLICAS, 19, "not enough replicas")                         \
    X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, "not enough replicas after append") \
    X(INVALID_REQUIRED_ACKS, 21, "invalid required acks")                     \
    X(ILLEGAL_GENERATION, 22, "illegal generation")                           \
    X(INCONSISTENT_GROUP_PROTOCOL, 23, "inconsistent group protocol")         \
    X(INVALID_GROUP_ID, 24, "invalid group id")                               \
    X(UNKNOWN_MEMBER_ID, 25, "unknown member id")                             \
    X(INVALID_SESSION_TIMEOUT, 26, "invalid session timeout")                 \
    X(REBALANCE_IN_PROGRESS, 27, "rebalance in progress")                     \
    X(INVALID_COMMIT_OFFSET_SIZE, 28, "invalid commit offset size")           \
    X(TOPIC_AUTHORIZATION_FAILED, 29, "topic authorization failed")           \
    X(GROUP_AUTHORIZATION_FAILED, 30, "group authorization failed")           \
    X(CLUSTER_AUTHORIZATION_FAILED, 31, "cluster authorization failed")       \
    X(INVALID_TIMESTAMP, 32, "invalid timestamp")                             \
    X(UNSUPPORTED_SASL_MECHANISM, 33, "unsupported SASL mechanism")           \
    X(ILLEGAL_SASL_STATE, 34, "illegal SASL state")                           \
    X(UNSUPPORTED_VERSION, 35, "unsupported API version")                     \
    X(TOPIC_ALREADY_EXISTS, 36, "topic already exists")                       \
    X(INVALID_PARTITIONS, 37, "invalid number of partitions")                 \
    X(INVALID_REPLICATION_FACTOR, 38, "invalid replication factor")           \
    X(INVALID_REPLICA_ASSIGNMENT, 39, "invalid replica assignment")           \
    X(INVALID_CONFIG, 40, "invalid configuration")                            \
    X(NOT_CONTROLLER, 41, "not controller")                                   \
    X(INVALID_REQUEST, 42, "invalid request")                                 \
    X(UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, "unsupported for message format")   \
    X(POLICY_VIOLATION, 44, "policy violation")                               \
    X(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, "out of order sequence number")       \
    X(DUPLICATE_SEQUENCE_NUMBER, 46, "duplicate sequence number")             \
    X(INVALID_PRODUCER_EPOCH, 47, "invalid producer epoch")                   \
    X(INVALID_TXN_STATE, 48, "invalid transaction state")                     \
    X(INVALID_PRODUCER_ID_MAPPING, 49, "invalid producer id mapping")         \
    X(INVALID_TRANSACTION_TIMEOUT, 50, "invalid transaction timeout")         \
    X(CONCURRENT_TRANSACTIONS, 51, "concurrent transactions")                 \
    X(TRANSACTION_COORDINATOR_FENCED, 52, "transaction coordinator fenced")   \
    X(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53, "transactional id authorization failed") \
    X(SECURITY_DISABLED, 54, "security disabled")                             \
    X(OPERATION_NOT_ATTEMPTED, 55, "operation not attempted")                 \
    X(KAFKA_STORAGE_ERROR, 56, "storage error")                               \
    X(LOG_DIR_NOT_FOUND, 57, "log dir not found")                             \
    X(SASL_AUTHENTICATION_FAILED, 58, "SASL authentication failed")           \
    X(UNKNOWN_PRODUCER_ID, 59, "unknown producer id")                         \
    X(REASSIGNMENT_IN_PROGRESS, 60, "reassignment in progress")               \
    X(NON_EMPTY_GROUP, 68, "group is not empty")                              \
    X(GROUP_ID_NOT_FOUND, 69, "group id not found")                           \
    X(FETCH_SESSION_ID_NOT_FOUND, 70, "fetch session id not found")           \
    X(INVALID_FETCH_SESSION_EPOCH, 71, "invalid fetch session epoch")         \
    X(LISTENER_NOT_FOUND, 72, "listener not found")                           \
    X(TOPIC_DELETION_DISABLED, 73, "topic deletion disabled")                 \
    X(FENCED_LEADER_EPOCH, 74, "fenced leader epoch")                         \
    X(UNKNOWN_LEADER_EPOCH, 75, "unknown leader epoch")                       \
    X(UNSUPPORTED_COMPRESSION_TYPE, 76, "unsupported compression type")       \
    X(STALE_BROKER_EPOCH, 77, "stale broker epoch")                           \
    X(OFFSET_NOT_AVAILABLE, 78, "offset not available")                       \
    X(MEMBER_ID_REQUIRED, 79, "member id required")                           \
    X(PREFERRED_LEADER_NOT_AVAILABLE, 80, "preferred leader not available")   \
    X(GROUP_MAX_SIZE_REACHED, 81, "group max size reached")                   \
    X(FENCED_INSTANCE_ID, 82, "fenced instance id")                           \
    X(NO_REASSIGNMENT_IN_PROGRESS, 85, "no partition reassignment is in progress") \
    X(GROUP_SUBSCRIBED_TO_TOPIC, 86, "the group is subscribed to the topic")    \
    X(INVALID_RECORD, 87, "invalid record")                                   \
    X(UNSTABLE_OFFSET_COMMIT, 88, "unstable offset commit")                   \
    X(PRODUCER_FENCED, 90, "producer fenced by a newer epoch")                 \
    X(UNKNOWN_TOPIC_ID, 100, "unknown topic id")                               \
    X(FETCH_SESSION_TOPIC_ID_ERROR, 106, "the fetch session encountered inconsistent topic id usage") \
    X(MISMATCHED_ENDPOINT_TYPE, 114, "the request was sent to an endpoint of the wrong type") \
    X(UNSUPPORTED_ENDPOINT_TYPE, 115, "this endpoint type is not supported")

/* Internal errors: never sent on the wire as they are. */
#define FR_INTERNAL_ERRORS(X)                                                 \
    X(PARSE, -1001, "malformed input: read past the end or bad length")       \
    X(NOMEM, -1002, "out of memory")                                          \
    X(IO, -1003, "I/O error (see errno)")                                     \
    X(CORRUPT, -1004, "corrupt data on disk")                                 \
    X(NEED_MORE, -1005, "incomplete input: more bytes needed")                \
    X(INVALID_ARG, -1006, "invalid argument")                                 \
    X(NOT_FOUND, -1007, "not found")                                          \
    X(EXISTS, -1008, "already exists")                                        \
    X(CONFIG, -1009, "invalid configuration")                                 \
    X(LOCKED, -1010, "resource locked by another process")                    \
    X(CLOSED, -1011, "closed")

typedef enum fr_err {
#define FR_ERR_ENUM_(name, code, msg) FR_ERR_##name = code,
    FR_KAFKA_ERRORS(FR_ERR_ENUM_)
    FR_INTERNAL_ERRORS(FR_ERR_ENUM_)
#undef FR_ERR_ENUM_
} fr_err_t;

/* Human-readable description; static storage, never NULL. */
const char *fr_err_str(int err);
/* Symbolic name ("UNKNOWN_TOPIC_OR_PARTITION"); static storage, never NULL. */
const char *fr_err_name(int err);
/* Formats an error message into err (truncated to errlen; a cut message is still a message). */
void fr_errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Map any error to a Kafka wire code (internal codes become the nearest Kafka one). */
int16_t fr_err_to_kafka(int err);

#endif
