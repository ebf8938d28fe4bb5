/* FindCoordinator: on a single node this broker coordinates every group.  For
 * a group it first makes sure __consumer_offsets is there (it is made again
 * after a deletion), as Kafka's getCoordinator does.
 *
 * Transactions are not served yet (no AddPartitionsToTxn, EndTxn, ...), so no
 * transactional id is allowed a coordinator: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * Kafka's answer to a transactional id its authorizer refuses, as Produce and
 * InitProducerId answer one.  Clients give up at once on it (librdkafka and the
 * Java producer with a fatal error, the Java admin per key).  A retriable
 * COORDINATOR_NOT_AVAILABLE, answered before, held librdkafka's
 * init_transactions for its whole timeout, and the Java admin's
 * fenceProducers, which looks a coordinator up again without back-off, sent
 * thousands of FindCoordinator requests a second for a minute. */
#include "group.h"
#include "handlers.h"

#define NOT_AVAILABLE_MESSAGE "The coordinator is not available."
#define NO_TRANSACTIONS_MESSAGE "This broker does not serve transactions, so no transactional id is authorized."

int fr_handle_find_coordinator(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_find_coordinator_request_t in;
    if (fr_find_coordinator_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    const fr_broker_config_t *cfg = req->srv->cfg;
    fr_find_coordinator_response_t out;
    fr_find_coordinator_response_init(&out);
    const fr_listener_t *adv = fr_req_advertised(req);
    int16_t err = in.key_type == 0 || in.key_type == 1 ? FR_ERR_NONE : FR_ERR_INVALID_REQUEST;
    if (in.key_type == 0 && fr_groups_offsets_topic_ready(&req->srv->groups, NULL))
        err = FR_ERR_COORDINATOR_NOT_AVAILABLE;
    else if (in.key_type == 1)
        err = FR_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    const char *why = err == FR_ERR_COORDINATOR_NOT_AVAILABLE                 ? NOT_AVAILABLE_MESSAGE
                      : err == FR_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ? NO_TRANSACTIONS_MESSAGE
                                                                            : NULL;
    if (v < 4) {
        out.error_code = err;
        /* Kafka's Errors.message(): the name for NONE, the exception's text otherwise */
        out.error_message = fr_slice_from_cstr(why   ? why
                                               : err ? "This most likely occurs because of a request being malformed "
                                                       "by the client library or the message was sent to an "
                                                       "incompatible broker. See the broker logs for more details."
                                                     : "NONE");
        out.node_id = err ? -1 : cfg->broker_id;
        out.host = fr_slice_from_cstr(err ? "" : adv->host);
        out.port = err ? -1 : adv->port;
    } else {
        out.coordinators = FR_REQ_ARRAY(req, fr_find_coordinator_response_coordinator_t, in.coordinator_keys_count);
        if (!out.coordinators)
            return FR_ERR_NOMEM;
        out.coordinators_count = in.coordinator_keys_count;
        for (int32_t i = 0; i < in.coordinator_keys_count; i++) {
            fr_find_coordinator_response_coordinator_t *c = &out.coordinators[i];
            c->key = in.coordinator_keys[i];
            c->error_code = err;
            c->error_message = why ? fr_slice_from_cstr(why) : FR_SLICE_NULL;
            c->node_id = err ? -1 : cfg->broker_id;
            c->host = fr_slice_from_cstr(err ? "" : adv->host);
            c->port = err ? -1 : adv->port;
        }
    }
    fr_find_coordinator_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
