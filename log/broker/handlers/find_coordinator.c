/* FindCoordinator: on a single node this broker coordinates every group.  For
 * a group it first makes sure __consumer_offsets is there (it is made again
 * after a deletion), as Kafka's getCoordinator does.
 *
 * Transactions are not served yet (no AddPartitionsToTxn, EndTxn, ...), so a
 * transaction coordinator is COORDINATOR_NOT_AVAILABLE, which is what Kafka
 * answers when its transaction log cannot be made: a transactional producer
 * fails in init_transactions instead of hanging at its first send. */
#include "group.h"
#include "handlers.h"

#define NOT_AVAILABLE_MESSAGE "The coordinator is not available."

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
    if ((in.key_type == 0 && fr_groups_offsets_topic_ready(&req->srv->groups, NULL)) || in.key_type == 1)
        err = FR_ERR_COORDINATOR_NOT_AVAILABLE;
    if (v < 4) {
        out.error_code = err;
        /* Kafka's Errors.message(): the name for NONE, the exception's text otherwise */
        out.error_message = fr_slice_from_cstr(err == FR_ERR_COORDINATOR_NOT_AVAILABLE ? NOT_AVAILABLE_MESSAGE
                                               : err ? "This most likely occurs because of a request being malformed by "
                                                       "the client library or the message was sent to an incompatible "
                                                       "broker. See the broker logs for more details."
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
            c->error_message = err == FR_ERR_COORDINATOR_NOT_AVAILABLE ? fr_slice_from_cstr(NOT_AVAILABLE_MESSAGE)
                                                                       : FR_SLICE_NULL;
            c->node_id = err ? -1 : cfg->broker_id;
            c->host = fr_slice_from_cstr(err ? "" : adv->host);
            c->port = err ? -1 : adv->port;
        }
    }
    fr_find_coordinator_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
