/*
 * DescribeCluster: this broker as the whole cluster, as a Kafka broker
 * answers it (KafkaApis.handleDescribeCluster): itself as the only broker, at
 * the listener the request came in on, and as the controller id (a KRaft
 * broker names a live broker there).  Only the broker endpoint type is
 * served; another is refused with Kafka's errors and words.
 */
#include <stdio.h>

#include "handlers.h"

#define ENDPOINT_BROKER 1
#define ENDPOINT_CONTROLLER 2

static const char *endpoint_name(int8_t type) {
    return type == ENDPOINT_BROKER ? "BROKER" : type == ENDPOINT_CONTROLLER ? "CONTROLLER" : "UNKNOWN";
}

int fr_handle_describe_cluster(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_describe_cluster_request_t in;
    if (fr_describe_cluster_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_cluster_response_t out;
    fr_describe_cluster_response_init(&out);
    if (in.endpoint_type != ENDPOINT_BROKER) {
        char msg[128];
        if (in.endpoint_type != ENDPOINT_CONTROLLER) {
            out.error_code = v == 0 ? FR_ERR_INVALID_REQUEST : FR_ERR_UNSUPPORTED_ENDPOINT_TYPE;
            snprintf(msg, sizeof(msg), "Unsupported endpoint type %d", in.endpoint_type);
        } else {
            out.error_code = v == 0 ? FR_ERR_INVALID_REQUEST : FR_ERR_MISMATCHED_ENDPOINT_TYPE;
            snprintf(msg, sizeof(msg),
                     "The request was sent to an endpoint of type %s, but we wanted an endpoint of type %s",
                     endpoint_name(ENDPOINT_BROKER), endpoint_name(in.endpoint_type));
        }
        out.error_message = fr_req_msg(req, msg);
        fr_describe_cluster_response_write(req->resp, v, &out);
        return FR_REQ_DONE;
    }
    const fr_server_t *srv = req->srv;
    out.brokers = FR_REQ_ARRAY(req, fr_describe_cluster_response_describe_cluster_broker_t, 1);
    if (!out.brokers)
        return FR_ERR_NOMEM;
    const fr_listener_t *adv = fr_req_advertised(req);
    out.brokers_count = 1;
    out.brokers[0].broker_id = srv->cfg->broker_id;
    out.brokers[0].host = fr_slice_from_cstr(adv->host);
    out.brokers[0].port = adv->port;
    out.brokers[0].rack = FR_SLICE_NULL;
    out.endpoint_type = ENDPOINT_BROKER;
    out.cluster_id = fr_slice_from_cstr(srv->topics.cluster_id);
    out.controller_id = srv->cfg->broker_id;
    out.cluster_authorized_operations =
        FR_ACL_OPS_IF(in.include_cluster_authorized_operations, FR_ACL_OPS_CLUSTER);
    fr_describe_cluster_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
