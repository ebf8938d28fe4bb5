/*
 * InitProducerId: a producer id and epoch for an idempotent producer.  The
 * rules live in producer_ids.h; this file maps the request onto them and the
 * answer onto Kafka's error codes.  A transactional id is refused first, as
 * Kafka's authorizer refuses one, since transactions are not served (see
 * find_coordinator.c); producer_ids.h keeps the transactional rules for when
 * they are.
 */
#include "handlers.h"
#include "producer_ids.h"

/* PRODUCER_FENCED is KIP-588 (InitProducerId v4+); older versions get INVALID_PRODUCER_EPOCH. */

int fr_handle_init_producer_id(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_init_producer_id_request_t in;
    if (fr_init_producer_id_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_init_producer_id_response_t out;
    fr_init_producer_id_response_init(&out);
    out.producer_id = -1;
    out.producer_epoch = -1;

    int rc;
    if (!fr_slice_is_null(in.transactional_id)) {
        rc = FR_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    } else if ((in.producer_id == -1) != (in.producer_epoch == -1)) {
        /* a producer id without an epoch or the other way round; any other pair, below -1 too,
         * is Kafka's Some(ProducerIdAndEpoch), which an idempotent producer's init ignores */
        rc = FR_ERR_INVALID_REQUEST;
    } else {
        int64_t id;
        int16_t epoch;
        rc = fr_producer_ids_init_producer(req->srv->producer_ids, in.transactional_id, in.transaction_timeout_ms,
                                           in.producer_id, in.producer_epoch, &id, &epoch);
        if (rc == 0) {
            out.producer_id = id;
            out.producer_epoch = epoch;
        }
    }
    if (rc == FR_ERR_INVALID_PRODUCER_EPOCH && v >= 4)
        out.error_code = FR_ERR_PRODUCER_FENCED;
    else
        out.error_code = fr_err_to_kafka(rc);
    fr_init_producer_id_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
